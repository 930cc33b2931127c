"""The canvas's scatters remember their bounding rectangle; it must still follow new points and zooming,
or points outside a stale rectangle would not be repainted (they would vanish or leave trails)."""

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from workbench.qt.canvas import CachedBoundsScatter


def _scatter_in_plot(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 300)
    widget.show()
    scatter = CachedBoundsScatter(size=7, pxMode=True)
    widget.addItem(scatter)
    widget.getViewBox().disableAutoRange()
    widget.setRange(xRange=(-10, 10), yRange=(-10, 10), padding=0)
    return widget, scatter


def test_bounds_follow_new_points(qtbot):
    _widget, scatter = _scatter_in_plot(qtbot)
    scatter.setData(pos=np.array([[0.0, 0.0], [1.0, 1.0]]))
    first = scatter.boundingRect()
    assert first.contains(1.0, 1.0) and not first.contains(5.0, 5.0)
    scatter.setData(pos=np.array([[0.0, 0.0], [5.0, -4.0]]))
    moved = scatter.boundingRect()
    assert moved.contains(5.0, -4.0)
    assert moved.top() < 1.0 - 1e-9 or not moved.contains(1.0, 1.5)


def test_cached_bounds_agree_with_pyqtgraph_after_zoom_and_new_points(qtbot):
    widget, scatter = _scatter_in_plot(qtbot)
    scatter.setData(pos=np.array([[0.0, 0.0], [1.0, 1.0]]))
    for x_range in ((-1, 2), (-100, 100), (-0.5, 0.5)):
        scatter.boundingRect()  # fills the cache
        widget.setRange(xRange=x_range, yRange=x_range, padding=0)  # zoom only: the padding changes
        QApplication.processEvents()
        assert scatter.boundingRect() == pg.ScatterPlotItem.boundingRect(scatter)
    scatter.setData(pos=np.array([[-50.0, 3.0], [20.0, 40.0]]))
    assert scatter.boundingRect() == pg.ScatterPlotItem.boundingRect(scatter)

"""The predicted-against-actual scatter (`predictionScatter`), a dock tabbed beside the loss curves.

Regression only: each point's target (across) against the network's prediction (up), training points
filled, test points hollow, and the line y = x where a perfect network would put every point. In
classification the dock says what it is for instead.

Cost: the predictions are one forward pass of the shown weights over the dataset's points, done here on the
GUI thread (~0.1 ms for 300 points and ~1 ms for 5,000 with the default network; the drawing is thinned to
`prediction.MAX_POINTS`), at most `DRAW_RATE` times a second while training and only while the dock is seen.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QGraphicsItem, QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench.core.model.engine import Network
from workbench.core.palette import palette
from workbench.core.present.prediction import PredictionPoints, predicted_vs_actual
from workbench.core.present.views import ViewFrame
from workbench.qt.canvas import UniformScatter
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.theme import view_color

TRAIN_COLOR = palette().views["curve_train"]
TEST_COLOR = palette().views["curve_test"]
#: Frames per second drawn while training.
DRAW_RATE = 8.0
#: Delay after a frame arrives, so this view paints apart from the decision regions and the curves.
DRAW_DELAY_MS = 35
#: Room around the values when the range has to move, so it does not move again next frame.
RANGE_SLACK = 0.15
#: The range closes in once the values fill less than this fraction of it.
RANGE_SHRINK = 0.5
CLASSIFICATION_TEXT = (
    "Predicted against actual values is a view for regression: each point's target across, the network's "
    "prediction up, and the diagonal where a perfect network puts every point.\n\n"
    "This project classifies. Switch Data ▸ Task to Regression, or generate a regression dataset "
    "(plane, gauss or a formula), to see it."
)
LEGEND = (
    f"<span style='color:{TRAIN_COLOR}'>●</span> train &nbsp; "
    f"<span style='color:{TEST_COLOR}'>○</span> test &nbsp; ╱ perfect prediction"
)


def _number(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def readout_text(points: PredictionPoints) -> str:
    """The metrics line above the plot: RMSE and R² of both splits, in the curves' colours."""
    return (
        f"RMSE <span style='color:{TRAIN_COLOR}'>train <b>{_number(points.train_rmse)}</b></span> "
        f"<span style='color:{TEST_COLOR}'>test <b>{_number(points.test_rmse)}</b></span> &nbsp; "
        f"R² <span style='color:{TRAIN_COLOR}'><b>{_number(points.train_r2)}</b></span> "
        f"<span style='color:{TEST_COLOR}'><b>{_number(points.test_r2)}</b></span>"
    )


class PredictionScatter(QWidget):
    """Predicted against actual target values of the shown network (live, or the timeline's moment)."""

    def __init__(self, document: Any, controller: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("predictionScatter")
        self._document = document
        self._controller = controller
        self._network: Network | None = None
        self._points: PredictionPoints | None = None
        self._pending: ViewFrame | None = None  # the newest frame, drawn once the dock is seen
        self._range: tuple[float, float] | None = None
        # A dock page behind another tab still counts as visible to Qt: its dock says when it is seen.
        self._dock_shown = True
        self.compute_seconds = 0.0  # the last frame's forward pass and metrics, for the benchmarks

        self.readout = QLabel()
        self.readout.setObjectName("predictionReadout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.legend = QLabel(LEGEND)
        self.legend.setObjectName("predictionLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)

        self.plot_widget = pg.PlotWidget(background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "actual (target)")
        self.plot.setLabel("left", "predicted")
        self.plot.getViewBox().disableAutoRange()
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            axis.setStyle(maxTickLevel=1)
            axis.enableAutoSIPrefix(False)
        diagonal_pen = pg.mkPen(view_color("node_border"), width=1, style=Qt.PenStyle.DashLine)  # both themes
        diagonal_pen.setCosmetic(True)
        self.diagonal = pg.PlotCurveItem(pen=diagonal_pen)
        self.diagonal.setZValue(-5)
        self.plot.addItem(self.diagonal)
        outline = pg.mkPen(view_color("hidden_point_outline"), width=0.8)
        self.train_item = UniformScatter(size=6, pen=outline, brush=pg.mkBrush(TRAIN_COLOR), pxMode=True)
        self.test_item = UniformScatter(
            size=7, pen=pg.mkPen(TEST_COLOR, width=1.5), brush=pg.mkBrush(255, 255, 255, 150), pxMode=True
        )
        self.plot.addItem(self.test_item)  # the rings under the filled dots: neither hides the other
        self.plot.addItem(self.train_item)

        self.message = QLabel(CLASSIFICATION_TEXT)
        self.message.setObjectName("predictionMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(16)

        plot_page = QWidget()
        plot_layout = QVBoxLayout(plot_page)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.addWidget(self.readout)
        plot_layout.addWidget(self.plot_widget, 1)
        plot_layout.addWidget(self.legend)
        self.pages = QStackedWidget()
        self.pages.addWidget(plot_page)
        self.pages.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.pages)

        self._throttle = FrameThrottle(DRAW_RATE, DRAW_DELAY_MS, self)
        self._throttle.frameDue.connect(self.show_frame)
        if controller is not None:
            controller.frameArrived.connect(self._throttle.push)
        document.datasetChanged.connect(self._show_task)
        document.specChanged.connect(self._show_task)
        self._show_task()
        if controller is not None and controller.last_frame is not None:
            self.show_frame(controller.last_frame)

    # --- what is shown ----------------------------------------------------------------------------------
    @property
    def points(self) -> PredictionPoints | None:
        """The pairs drawn now (None before the first regression frame or in classification)."""
        return self._points

    @property
    def showing_plot(self) -> bool:
        """True while the scatter is shown, False while the classification message is."""
        return self.pages.currentIndex() == 0

    @Slot()
    def _show_task(self) -> None:
        regression = self._document.dataset.is_regression and self._document.spec.is_regression
        self.pages.setCurrentIndex(0 if regression else 1)
        if not regression:
            self._points = None

    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        """Draw the predictions of the frame's weights (the timeline's moment when it shows one); a frame
        that arrives while the dock is behind another waits until it is shown."""
        if not self.is_seen:
            self._pending = frame
            return
        self.draw_frame(frame)

    def draw_frame(self, frame: ViewFrame) -> None:
        """Draw `frame` now, seen or not (an exported picture of this view shows that moment)."""
        self._pending = None
        self._show_task()
        spec = frame.snapshot.spec
        dataset = self._document.dataset
        if not (spec.is_regression and dataset.is_regression):
            return
        import time

        started = time.perf_counter()
        if self._network is None or self._network.spec != spec:
            self._network = Network(spec)
        try:
            self._network.set_weights(frame.shown_weights)
        except ValueError:  # weights of another architecture, between an edit and the trainer's answer
            return
        self.show_points(predicted_vs_actual(self._network, dataset))
        self.compute_seconds = time.perf_counter() - started

    def show_points(self, points: PredictionPoints) -> None:
        """Hand the pairs to the plot items (made once) and move the range only when it must."""
        self._points = points
        train, test = ~points.is_test, points.is_test
        self.train_item.setData(x=points.actual[train], y=points.predicted[train])
        self.test_item.setData(x=points.actual[test], y=points.predicted[test])
        self.readout.setText(readout_text(points))
        self._follow(*points.value_range)

    def _follow(self, lo: float, hi: float) -> None:
        """One range for both axes (so the diagonal is at 45° in value terms), moved only when the values
        leave it or fill too little of it: each new range redraws both axes."""
        span = max(hi - lo, 1e-6)
        current = self._range
        if (
            current is not None
            and current[0] <= lo
            and hi <= current[1]
            and span > RANGE_SHRINK * (current[1] - current[0])
        ):
            return
        new = (lo - RANGE_SLACK * span, hi + RANGE_SLACK * span)
        self._range = new
        self.diagonal.setData(list(new), list(new))
        view_box = self.plot.getViewBox()
        view_box.setXRange(*new, padding=0)
        view_box.setYRange(*new, padding=0)

    @property
    def shown_range(self) -> tuple[float, float] | None:
        return self._range

    @property
    def is_seen(self) -> bool:
        """Shown, and not behind another tab of its dock area."""
        return self.isVisible() and self._dock_shown

    @Slot(bool)
    def dock_visibility_changed(self, visible: bool) -> None:
        """Its dock's tab came to the front (catch up with the newest frame) or went behind another."""
        self._dock_shown = visible
        if visible:
            self._catch_up()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._catch_up()

    def _catch_up(self) -> None:
        if not self.is_seen:
            return
        frame = self._pending
        if frame is None and self._controller is not None and self._points is None:
            frame = self._controller.last_frame
        if frame is not None:
            self.show_frame(frame)


def install_prediction_scatter(window: Any) -> PredictionScatter:
    """Add the Predicted vs Actual dock, tabbed beside the loss curves, with its View menu entry.

    Uses the window's `document`, `training` controller (when installed), `docks` and `view_menu`.
    """
    from workbench.qt.docks import add_tabbed_dock

    scatter = PredictionScatter(window.document, getattr(window, "training", None))
    dock = add_tabbed_dock(
        window,
        scatter,
        "Predicted vs Actual",
        "predictionScatter",
        beside="lossPlot",
        status_tip="Show or hide the Predicted vs Actual panel (regression)",
    )
    dock.visibilityChanged.connect(scatter.dock_visibility_changed)
    window.prediction_scatter = scatter
    return scatter


__all__ = ["PredictionScatter", "install_prediction_scatter", "readout_text"]

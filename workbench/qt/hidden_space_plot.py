"""The hidden-space view (`hiddenSpacePlot`): the data and a warped input grid as one hidden layer sees them.

The worker computes the coordinates (`core.present.views.hidden_space`); this widget only picks what to
show (layer, neuron pair or PCA), sends that to the controller, and hands each frame's arrays to plot items
made once: one scatter for all points (one sprite per class, assigned with numpy), one curve for all grid
lines (NaN separated) and one image for the output layer's regions when they are exact. In regression the
points are coloured by their target value instead (the canvas's diverging map and scale, in
`VALUE_BUCKETS` steps: one sprite per step, so the same fast scatter serves), and the exact output is the
predicted value.

Cost per drawn frame is kept to a few ms: cached axes whose labels never change (the PCA spread shares are in
a separate label), a view range that only moves when the data leaves it or shrinks to well inside it, and
while training at most `DRAW_RATE` frames a second, drawn half a frame after the decision regions so the two
paint in separate events.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSignalBlocker, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.present import value_colors
from workbench.core.present.views import HiddenSpaceRequest, HiddenSpaceView, ViewFrame
from workbench.qt.canvas import VALUE_BUCKETS, CachedBoundsScatter
from workbench.qt.document import Document
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.theme import view_color
from workbench.qt.training_controller import TrainingController

MODES = (("auto", "Automatic"), ("pair", "Two neurons"), ("pca", "PCA projection"))
#: Frames per second drawn while training (the warped grid moves smoothly enough at 15).
DRAW_RATE = 15.0
#: Delay after a frame arrives, so this view paints apart from the decision regions.
DRAW_DELAY_MS = 20
#: Extra room around the data when the range has to move, so it does not move again next frame.
RANGE_SLACK = 0.3
#: The range closes in on the data once the data fills less than this fraction of it.
RANGE_SHRINK = 0.35
#: Outline of the points coloured by target value (regression): dark and faint, so near-white values show.
VALUE_OUTLINE = "#40404096"


class ClassScatter(CachedBoundsScatter):
    """Every point of every class in one item, each drawn with its class's sprite.

    One paint call instead of one per class (each costs ~0.4 ms of Python); the sprites come from the symbol
    atlas once per class and are given to the points with numpy, never looked up point by point.
    """

    def __init__(self, colors: Sequence[str], size: float = 6, outline: str | None = None) -> None:
        pen = pg.mkPen(outline or view_color("hidden_point_outline"), width=0.8)
        brushes = [pg.mkBrush(color) for color in colors]
        super().__init__(size=size, pen=pen, brush=brushes[0], pxMode=True, hoverable=False)
        self._styles = [(self.opts["symbol"], size, pen, brush) for brush in brushes]
        self._labels = np.zeros(0, dtype=np.intp)

    def set_points(self, points: np.ndarray, labels: np.ndarray) -> None:
        """(N, 2) coordinates and the class of each (0-based, below the number of colours).

        The same points in new places (every training frame) are moved in place: pyqtgraph's `setData`
        rebuilds its per-point record array with Python objects in it, ~1.5 ms for 1,000 points.
        """
        points = np.asarray(points)
        labels = np.clip(np.asarray(labels, dtype=np.intp), 0, len(self._styles) - 1)
        if len(points) and len(points) == len(self.data) and np.array_equal(labels, self._labels):
            self.data["x"] = points[:, 0]
            self.data["y"] = points[:, 1]
            self.prepareGeometryChange()
            self.informViewBoundsChanged()
            self.bounds = [None, None]  # pyqtgraph's cached data bounds
            self.invalidate()
            self.sigPlotChanged.emit(self)
            return
        self._labels = labels
        self.setData(pos=points)

    @property
    def labels(self) -> np.ndarray:
        return self._labels

    def updateSpots(self, dataSet=None) -> None:
        data = self.data if dataSet is None else dataSet
        opts = self.opts
        labels = getattr(self, "_labels", None)  # None while the base class is still being set up
        fast = opts.get("pxMode") and opts.get("useCache") and hasattr(self, "fragmentAtlas")
        if not fast or labels is None or len(data) != len(labels):
            super().updateSpots(dataSet)
            return
        mask = data["sourceRect"]["w"] == 0
        if np.any(mask):
            rects = self.fragmentAtlas[self._styles]
            for c in np.unique(labels[mask]):
                data["sourceRect"][mask & (labels == c)] = rects[c]
        self._updateMaxSpotSizes(data=data)
        self.invalidate()


def _followed_range(lo: float, hi: float, shown_lo: float, shown_hi: float) -> tuple[float, float] | None:
    """The new range of one axis for data spanning lo..hi, or None when the shown one still fits: the data
    is inside it and fills at least `RANGE_SHRINK` of it (NaN = nothing shown yet)."""
    span = hi - lo
    if shown_lo <= lo and hi <= shown_hi and span > RANGE_SHRINK * (shown_hi - shown_lo):
        return None
    return lo - RANGE_SLACK * span, hi + RANGE_SLACK * span


def grid_polyline(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L, M, 2) polylines -> x, y arrays with a NaN after each line, for one `connect="finite"` curve."""
    n_lines, samples, _ = lines.shape
    joined = np.full((n_lines, samples + 1, 2), np.nan, dtype=np.float32)
    joined[:, :samples] = lines
    flat = joined.reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


class HiddenSpacePlot(QWidget):
    """Pick a hidden layer and a projection; see the points and the bent input grid in that layer's space."""

    def __init__(
        self, document: Document, controller: TrainingController | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("hiddenSpacePlot")
        self._document = document
        self._controller = controller
        self._view: HiddenSpaceView | None = None
        self._marked: tuple[int, int] | None = None  # the neuron hovered in the network panel
        self._range_bounds: tuple[float, float, float, float] | None = None
        self._axis_labels: tuple[str, str] | None = None

        self.layer_combo = QComboBox()
        self.layer_combo.setObjectName("hiddenLayerCombo")
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("hiddenModeCombo")
        for key, label in MODES:
            self.mode_combo.addItem(label, key)
        # Both combos may shrink below their longest item (the popup still shows it whole).
        for combo in (self.layer_combo, self.mode_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(9)
        self.neuron_x = QSpinBox()
        self.neuron_y = QSpinBox()
        for spin, prefix, value in ((self.neuron_x, "x: neuron ", 1), (self.neuron_y, "y: neuron ", 2)):
            spin.setPrefix(prefix)
            spin.setMinimum(1)
            spin.setValue(value)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Layer"))
        controls.addWidget(self.layer_combo, 1)
        controls.addWidget(self.mode_combo, 1)
        # "Two neurons" puts its neuron choice on a row of its own, so the layer stays readable.
        self.pair_row = QWidget()
        self.pair_row.setObjectName("hiddenPairRow")
        pair = QHBoxLayout(self.pair_row)
        pair.setContentsMargins(0, 0, 0, 0)
        pair.addWidget(QLabel("Axes"))
        pair.addWidget(self.neuron_x, 1)
        pair.addWidget(self.neuron_y, 1)
        self.pair_row.hide()

        self.plot_widget = pg.PlotWidget(background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=False)
        self.plot.getViewBox().disableAutoRange()
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            # Axes repaint as cached pixmaps when only the data changes (~2x faster); without the finest
            # level of unlabelled ticks a new range re-renders an axis in ~2.5 ms instead of ~3.5.
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            axis.setStyle(maxTickLevel=1)
        self.regions = pg.ImageItem(axisOrder="row-major")
        self.regions.setZValue(-10)
        self.plot.addItem(self.regions)
        self.grid_curve = pg.PlotCurveItem(pen=pg.mkPen(view_color("hidden_grid"), width=1), connect="finite")
        self.grid_curve.setZValue(-5)
        self.plot.addItem(self.grid_curve)
        self.points_item = ClassScatter(CLASS_COLORS)
        self.plot.addItem(self.points_item)
        # Regression: points coloured by target; a dark thin outline keeps the map's white middle visible.
        value_hex = [f"#{r:02X}{g:02X}{b:02X}" for r, g, b, _ in value_colors.bucket_colors(VALUE_BUCKETS)]
        self.value_points_item = ClassScatter(value_hex, outline=VALUE_OUTLINE)
        self.value_points_item.hide()
        self.plot.addItem(self.value_points_item)
        # Regression through a one-neuron last layer: the output's prediction line over that neuron's value.
        self.output_line = pg.PlotCurveItem(pen=pg.mkPen(view_color("hidden_mark"), width=2))
        self.output_line.setZValue(-1)  # under the points, over the grid
        self.output_line.hide()
        self.plot.addItem(self.output_line)

        self.explained_label = QLabel()
        self.explained_label.setObjectName("hiddenSpaceExplained")
        self.explained_label.setFixedHeight(self.explained_label.fontMetrics().height() + 2)
        self.explained_label.setMinimumWidth(80)  # a long sentence must not widen the dock (tooltip: all)
        self._explained_text = ""
        self._explained_shown: tuple[float, float] | None = None

        self.caption = QLabel()
        self.caption.setObjectName("hiddenSpaceCaption")
        self.caption.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(controls)
        layout.addWidget(self.pair_row)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.explained_label)
        layout.addWidget(self.caption)

        self.layer_combo.currentIndexChanged.connect(self._send_request)
        self.mode_combo.currentIndexChanged.connect(self._send_request)
        self.neuron_x.valueChanged.connect(self._send_request)
        self.neuron_y.valueChanged.connect(self._send_request)
        document.specChanged.connect(self.show_spec)
        self._throttle = FrameThrottle(DRAW_RATE, DRAW_DELAY_MS, self)
        self._throttle.frameDue.connect(self.show_frame)
        if controller is not None:
            controller.frameArrived.connect(self._throttle.push)
        self.show_spec()

    # --- what to show -----------------------------------------------------------------------------------
    def request(self) -> HiddenSpaceRequest | None:
        """The current choice as a request for the worker; None when there is no hidden layer."""
        if self.layer_combo.count() == 0:
            return None
        return HiddenSpaceRequest(
            layer=self.layer_combo.currentIndex() + 1,
            mode=self.mode_combo.currentData(),
            pair=(self.neuron_x.value() - 1, self.neuron_y.value() - 1),
        )

    def set_choice(self, layer: int, mode: str = "auto", pair: tuple[int, int] = (0, 1)) -> None:
        """Pick layer (1-based), mode and neuron pair (0-based) programmatically, as the user would."""
        with QSignalBlocker(self.layer_combo), QSignalBlocker(self.mode_combo):
            self.layer_combo.setCurrentIndex(layer - 1)
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))
        with QSignalBlocker(self.neuron_x), QSignalBlocker(self.neuron_y):
            self.neuron_x.setValue(pair[0] + 1)
            self.neuron_y.setValue(pair[1] + 1)
        self._send_request()

    @Slot()
    def show_spec(self) -> None:
        hidden = self._document.spec.hidden
        current = self.layer_combo.currentIndex()
        with QSignalBlocker(self.layer_combo):
            self.layer_combo.clear()
            for i, layer in enumerate(hidden, start=1):
                self.layer_combo.addItem(f"{i}: {layer.width} × {layer.activation}")
            if hidden:  # keep the choice; start on the layer that feeds the output
                self.layer_combo.setCurrentIndex(current if 0 <= current < len(hidden) else len(hidden) - 1)
        self._send_request()

    @Slot()
    def _send_request(self) -> None:
        hidden = self._document.spec.hidden
        index = self.layer_combo.currentIndex()
        width = hidden[index].width if 0 <= index < len(hidden) else 0
        pair_mode = self.mode_combo.currentData() == "pair" and width > 2
        for spin in (self.neuron_x, self.neuron_y):
            spin.setMaximum(max(width, 1))
        self.pair_row.setVisible(pair_mode)
        if pair_mode and self.neuron_x.value() == self.neuron_y.value():
            with QSignalBlocker(self.neuron_y):
                self.neuron_y.setValue(self.neuron_x.value() % width + 1)
        if not hidden:
            self._clear(
                "The network has no hidden layer: the output layer works directly on the input plane."
            )
        self._range_bounds = None
        if self._controller is not None:
            self._controller.set_view_options(hidden=self.request() if self.isVisible() else None)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._send_request()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if self._controller is not None:
            self._controller.set_view_options(hidden=None)  # nobody looks: the worker skips this view

    # --- drawing ----------------------------------------------------------------------------------------
    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        if frame.hidden is not None:
            if frame.hidden is not self._view:  # frames between two hidden-space updates carry the same view
                self.show_view(frame.hidden, one_axis=frame.running)
        elif frame.hidden_error:
            self._clear(frame.hidden_error)

    def show_view(self, view: HiddenSpaceView, *, one_axis: bool = False) -> None:
        """Draw a hidden-space view. `one_axis` (while training): when both axes' ranges must move, move one
        now and the other with the next frame, so no single paint redraws both axes (~7 ms)."""
        self._view = view
        if view.values is not None:  # regression: coloured by target on the canvas's scale
            buckets = value_colors.bucket_of(view.values, view.value_range or 1.0, VALUE_BUCKETS)
            self.value_points_item.set_points(view.points, buckets)
            self.value_points_item.setVisible(len(view.points) > 0)
            self.points_item.setVisible(False)
        else:
            labels = view.labels if view.labels is not None else np.zeros(len(view.points), dtype=np.int64)
            self.points_item.set_points(view.points, labels)
            self.points_item.setVisible(len(view.points) > 0)
            self.value_points_item.setVisible(False)
        if view.output_line is not None:
            self.output_line.setData(view.output_line[:, 0], view.output_line[:, 1])
        self.output_line.setVisible(view.output_line is not None)
        gx, gy = grid_polyline(view.grid_lines)
        self.grid_curve.setData(gx, gy)
        if view.output_rgba is not None and view.output_rect is not None:
            self.regions.setImage(view.output_rgba, autoLevels=False)
            self.regions.setRect(QRectF(*view.output_rect))
            self.regions.show()
        else:
            self.regions.hide()
        if view.axis_labels != self._axis_labels:  # relabelling re-lays out the axes: only on change
            self._axis_labels = view.axis_labels
            self.plot.setLabel("bottom", view.axis_labels[0])
            self.plot.setLabel("left", view.axis_labels[1])
        self._show_explained(view.explained)
        if view.caption != self.caption.text():
            self.caption.setText(view.caption)
        self._follow(view.bounds, one_axis=one_axis)
        if self._marked is not None:  # the hovered neuron's mark follows the new view
            self.highlight_neuron(*self._marked)

    def _show_explained(self, explained: tuple[float, float] | None) -> None:
        """The PCA spread shares, rewritten only when one moved by 2 points or more: each new text re-lays
        out the dock (~3 ms), and early in training the shares change every frame."""
        shown = self._explained_shown
        if (
            explained is not None
            and shown is not None
            and max(abs(explained[0] - shown[0]), abs(explained[1] - shown[1])) < 0.02
        ):
            return
        self._explained_shown = explained
        text = ""
        if explained is not None:
            # The axes track the data from frame to frame (no jumps), so the larger share may be either one.
            text = (
                f"Spread of this layer's values kept: horizontal axis {explained[0]:.0%}, "
                f"vertical {explained[1]:.0%}."
            )
        if text != self._explained_text:
            self._explained_text = text
            self.explained_label.setText(text)
            self.explained_label.setToolTip(text)

    def _follow(self, bounds: tuple[float, float, float, float], one_axis: bool = False) -> None:
        """Keep the view on the data without re-fitting every frame (a jumping frame is hard to watch, and
        each new range redraws the axes). Each axis moves on its own: an axis whose range changes costs
        ~3 ms to redraw, so the one that still fits is left alone (and with `one_axis`, the second one
        waits for the next frame)."""
        x0, x1, y0, y1 = bounds
        current = self._range_bounds or (np.nan,) * 4
        x_range = _followed_range(x0, x1, current[0], current[1])
        y_range = _followed_range(y0, y1, current[2], current[3])
        if x_range is None and y_range is None:
            return
        if one_axis and x_range is not None and y_range is not None and self._range_bounds is not None:
            y_range = None
        new_x = x_range or (current[0], current[1])
        new_y = y_range or (current[2], current[3])
        self._range_bounds = (*new_x, *new_y)
        view_box = self.plot.getViewBox()
        if x_range is not None:
            view_box.setXRange(*x_range, padding=0)
        if y_range is not None:
            view_box.setYRange(*y_range, padding=0)

    def _clear(self, message: str) -> None:
        for item in (self.points_item, self.value_points_item):
            item.set_points(np.zeros((0, 2)), np.zeros(0, dtype=np.intp))
            item.setVisible(False)
        self._explained_text = ""
        self._explained_shown = None
        self.explained_label.clear()
        self.grid_curve.setData([], [])
        self.regions.hide()
        self.output_line.hide()
        self.caption.setText(message)

    def highlight_neuron(self, layer: int | None, neuron: int = 0) -> None:
        """Mark one hidden neuron (the one hovered in the network panel); None clears the mark.

        An arrow from the middle of the points shows the direction in which that neuron's activation grows in
        this picture (an axis for exact or neuron-pair views, its loading for PCA; short = it hardly shows
        here). A neuron of another layer gets a note instead. Call again after each frame to follow it.
        """
        self._marked = None if layer is None else (layer, neuron)
        if not hasattr(self, "_neuron_mark"):
            mark, label_fill = view_color("hidden_mark"), view_color("hidden_mark_label")
            pen = pg.mkPen(mark, width=2.5)
            line = pg.PlotCurveItem(pen=pen)
            head = pg.ArrowItem(pen=pen, brush=pg.mkBrush(mark), headLen=14, tailLen=0)
            label = pg.TextItem(color=mark, fill=pg.mkBrush(label_fill), anchor=(0, 1))
            self._neuron_mark = (line, head, label)
            for item in self._neuron_mark:
                item.setZValue(20)
                self.plot.addItem(item, ignoreBounds=True)
        line, head, label = self._neuron_mark
        view, direction, note = self._view, None, ""
        if layer is not None and view is not None and 1 <= layer <= len(self._document.spec.hidden):
            name = f"neuron {neuron + 1}"
            if view.layer != layer:
                note = f"Layer {layer}, {name} is not in this view: pick layer {layer} above to see it."
            elif view.mode == "pca" and view.basis is not None and neuron < len(view.basis):
                longest = float(np.linalg.norm(view.basis, axis=1).max()) or 1.0
                direction = np.asarray(view.basis[neuron], dtype=np.float64) / longest
            elif name in view.axis_labels:
                direction = np.eye(2)[view.axis_labels.index(name)]
            else:
                note = f"Layer {layer}, {name} is not one of the two neurons shown."
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        if direction is None:
            line.hide()
            head.hide()
            label.setText(note)
            label.setPos(x0, y1)
            label.setAnchor((0, 0))
            label.setVisible(bool(note))
            return
        start = view.points.mean(axis=0) if len(view.points) else np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        tip = start + direction * 0.35 * np.array([x1 - x0, y1 - y0])
        line.setData([start[0], tip[0]], [start[1], tip[1]])
        px, py = self.plot.getViewBox().viewPixelSize()
        screen = np.arctan2(-(tip[1] - start[1]) / max(py, 1e-12), (tip[0] - start[0]) / max(px, 1e-12))
        head.setStyle(angle=float(np.degrees(screen)) + 180.0)
        head.setPos(float(tip[0]), float(tip[1]))
        label.setText(f"{name} increases")
        label.setAnchor((1.0 if tip[0] > (x0 + x1) / 2 else 0.0, 1.0))  # text grows towards the middle
        label.setPos(float(tip[0]), float(tip[1]))
        for item in (line, head, label):
            item.show()

"""Loss and accuracy curves (`lossPlot`): train and test against steps, with the previous run as a ghost.

Curves are created once and updated with `setData` (clip-to-view and peak downsampling keep long runs
cheap). The plot follows the trainer's history in each frame; when the step count goes backwards (reset,
new architecture, opened project) the run so far becomes a faint ghost for comparison.

Cost: while training the curves are redrawn at most `REDRAW_RATE` times a second, a little after the
decision regions (their own paint event). The view ranges are set by hand and move in steps (x to a round
number ahead of the last step, y only when the curves leave it or shrink well inside), because every new
range re-renders cached axes (~2.5 ms each; the plots have no grid, which made that ~4.5 ms).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Slot
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.core.views import CurveEnvelope, ViewFrame
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.training_controller import TrainingController

TRAIN_COLOR = "#0072B2"
TEST_COLOR = "#D55E00"
GHOST_ALPHA = 70
#: While training, the curves are redrawn at most this often per second.
REDRAW_RATE = 4.0
#: Delay after a frame arrives, so the curves paint apart from the decision regions and the hidden space.
REDRAW_DELAY_MS = 27
#: Points handed to each curve at most; longer histories are drawn as their envelope (`CurveEnvelope`).
MAX_CURVE_POINTS = 2000
#: The y range shrinks once the curves fill less than this fraction of it.
Y_SHRINK_FRACTION = 0.5


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above `value` (for axis ends that do not change every frame)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * power >= value * (1 - 1e-9):
            return factor * power
    return 10.0 * power


def history_arrays(history: Sequence) -> dict[str, np.ndarray]:
    """Columns of a Metrics history as float arrays: step, train_loss, test_loss, train_acc, test_acc."""
    n = len(history)
    columns = {k: np.empty(n) for k in ("step", "train_loss", "test_loss", "train_acc", "test_acc")}
    for i, m in enumerate(history):
        columns["step"][i] = m.step
        columns["train_loss"][i] = m.train_loss
        columns["test_loss"][i] = m.test_loss
        columns["train_acc"][i] = m.train_accuracy
        columns["test_acc"][i] = m.test_accuracy
    return columns


def _same_entry(columns: dict[str, np.ndarray], index: int, metrics: object) -> bool:
    """Row `index` of `columns` is this very Metrics entry (same step and bit-identical train loss)."""
    if index >= len(columns["step"]):
        return False
    a, b = columns["train_loss"][index], metrics.train_loss  # type: ignore[attr-defined]
    return columns["step"][index] == metrics.step and (a == b or (math.isnan(a) and math.isnan(b)))  # type: ignore[attr-defined]


def _continues(columns: dict[str, np.ndarray], history: Sequence) -> bool:
    """The history is the same run as `columns` (e.g. cut back after divergence), not a new one."""
    return len(history) >= 2 and _same_entry(columns, len(history) - 2, history[-2])


class _GrowingColumns:
    """The history as columns in buffers with room to grow, so a new entry costs O(1), not a copy of 10^5."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] | None = None

    def extend(self, columns: dict[str, np.ndarray], history: Sequence) -> tuple[dict[str, np.ndarray], int]:
        """Columns for `history`, reusing the rows of `columns` when the history only grew; and how many
        leading rows are unchanged (0 when it is another run: then the arrays are new, never shared).

        The trainer's last entry may be its "current state", replaced next time, so it is always redone.
        """
        keep = min(len(columns["step"]), len(history)) - 1
        if keep <= 0 or not _same_entry(columns, keep - 1, history[keep - 1]):
            self._buffers = None  # the old run's arrays may live on as the ghost: never write into them
            return history_arrays(history), 0
        new = history_arrays(history[keep:])
        n = keep + len(new["step"])
        buffers = self._buffers
        if buffers is None or len(buffers["step"]) < n:
            capacity = max(1024, 2 * n)
            buffers = {k: np.empty(capacity) for k in columns}
            for k, buffer in buffers.items():
                buffer[:keep] = columns[k][:keep]
            self._buffers = buffers
        for k, buffer in buffers.items():
            buffer[keep:n] = new[k]
        return {k: buffer[:n] for k, buffer in buffers.items()}, keep


def _pen(color: str, alpha: int = 255, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> pg.QtGui.QPen:
    """A 1 px cosmetic pen: the curves are drawn antialiased, and a wider pen costs 5-10x more to stroke
    (1.6 px: ~6 ms per repaint of the dock, 1 px: ~1 ms), which made every redraw a visible GUI stall."""
    qcolor = pg.mkColor(color)
    qcolor.setAlpha(alpha)
    pen = pg.mkPen(qcolor, width=1)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


class LossPlot(QWidget):
    """Train/test loss (left) and accuracy (right) against steps; log-y option; hover readout."""

    def __init__(self, controller: TrainingController | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self._columns: dict[str, np.ndarray] = history_arrays(())
        self._ghost: dict[str, np.ndarray] | None = None
        self._last_step = -1
        self._history_len = 0
        self._x_top: float | None = None
        self._y_range: tuple[float, float] | None = None
        self._growing = _GrowingColumns()
        self._envelopes = {
            prefix + key: CurveEnvelope(MAX_CURVE_POINTS)
            for prefix in ("", "ghost_")
            for key in ("train_loss", "test_loss", "train_acc", "test_acc")
        }
        self._shown: dict[str, np.ndarray] = {}  # the y values each curve was given

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.loss_plot = self.graphics.addPlot(row=0, col=0)
        self.acc_plot = self.graphics.addPlot(row=0, col=1)  # side by side: the dock is wide and low
        self.acc_plot.setXLink(self.loss_plot)
        for plot, label in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            plot.setLabel("left", label)
            plot.setMenuEnabled(False)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.getAxis("left").setWidth(48)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # curve updates: a blit
                axis.enableAutoSIPrefix(False)  # a loss of 0.6 reads 0.6, not 600 with "(x0.001)"
                # No grid and no unlabelled finest ticks: a new range re-renders an axis in ~2.5 ms instead
                # of ~4.5 (with a grid each axis is a plot-sized picture), and ranges move often early on.
                axis.setStyle(maxTickLevel=1)
            plot.getViewBox().disableAutoRange()  # ranges move in steps (`_update_ranges`)
        self.acc_plot.setLabel("bottom", "step")
        self.loss_plot.setLabel("bottom", "step")
        self.acc_plot.setYRange(0, 1, padding=0.02)
        self.acc_plot.getViewBox().setLimits(yMin=-0.05, yMax=1.05)
        self.loss_plot.getViewBox().setLimits(xMin=0)
        self.loss_plot.addLegend(offset=(-8, 8), labelTextColor="#333", brush=pg.mkBrush(255, 255, 255, 200))

        dash = Qt.PenStyle.DashLine
        self.curves = {
            "ghost_train_loss": self.loss_plot.plot(pen=_pen(TRAIN_COLOR, GHOST_ALPHA), antialias=True),
            "ghost_test_loss": self.loss_plot.plot(pen=_pen(TEST_COLOR, GHOST_ALPHA, dash), antialias=True),
            "train_loss": self.loss_plot.plot(pen=_pen(TRAIN_COLOR), name="train", antialias=True),
            "test_loss": self.loss_plot.plot(pen=_pen(TEST_COLOR, style=dash), name="test", antialias=True),
            "ghost_train_acc": self.acc_plot.plot(pen=_pen(TRAIN_COLOR, GHOST_ALPHA), antialias=True),
            "ghost_test_acc": self.acc_plot.plot(pen=_pen(TEST_COLOR, GHOST_ALPHA, dash), antialias=True),
            "train_acc": self.acc_plot.plot(pen=_pen(TRAIN_COLOR), antialias=True),
            "test_acc": self.acc_plot.plot(pen=_pen(TEST_COLOR, style=dash), antialias=True),
        }
        self.loss_plot.legend.addItem(self.curves["ghost_train_loss"], "previous run")
        self.hover_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(120, 120, 120, 120))
        self.hover_line_acc = pg.InfiniteLine(angle=90, pen=pg.mkPen(120, 120, 120, 120))
        for plot, line in ((self.loss_plot, self.hover_line), (self.acc_plot, self.hover_line_acc)):
            plot.addItem(line, ignoreBounds=True)
            line.hide()

        self.log_check = QCheckBox("log loss")
        self.log_check.setObjectName("logLossCheck")
        self.log_check.toggled.connect(self.set_log_y)
        self.readout = QLabel(" ")
        self.readout.setObjectName("lossReadout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.addWidget(self.readout, 1)
        top.addWidget(self.log_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._throttle = FrameThrottle(REDRAW_RATE, REDRAW_DELAY_MS, self)
        self._throttle.frameDue.connect(self.show_frame)
        if controller is not None:
            controller.frameArrived.connect(self._throttle.push)
            if controller.last_frame is not None:
                self.show_frame(controller.last_frame)

    # --- data -------------------------------------------------------------------------------------------
    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        self.set_history(frame.snapshot.history)

    def set_history(self, history: Sequence) -> None:
        """Show a run's history; a history that restarts (a new run) turns the old one into the ghost."""
        if not len(history):
            return
        last = history[-1].step
        if last < self._last_step and not _continues(self._columns, history):
            if len(self._columns["step"]) > 1:
                self._ghost = self._columns
                self._show_ghost()
            self._columns = history_arrays(())
        if last == self._last_step and len(history) == self._history_len:
            return
        self._last_step = last
        self._history_len = len(history)
        self._columns, unchanged = self._growing.extend(self._columns, history)
        if unchanged == 0:
            self._reset_envelopes("")  # another run: reduce it from scratch
        self._show_columns(self._columns, "")
        self._update_ranges()

    def clear_ghost(self) -> None:
        self._ghost = None
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            self.curves["ghost_" + key].setData([], [])
        self._update_ranges()

    def _loss_values(self) -> np.ndarray:
        """Every finite loss shown (run and ghost), in the plot's units (log10 in log mode). The reduced
        curves keep each block's lowest and highest loss, so their range is the range of the full ones."""
        keys = ["train_loss", "test_loss"]
        if self._ghost is not None:
            keys += ["ghost_train_loss", "ghost_test_loss"]
        parts = [self._shown[key] for key in keys if key in self._shown]
        values = np.concatenate(parts) if parts else np.zeros(0)
        if self.log_check.isChecked():
            values = values[values > 0]
            return np.log10(values)
        return values[np.isfinite(values)]

    def _update_ranges(self) -> None:
        """Move the ranges only when the curves need it: each change re-renders axes."""
        last = float(self._columns["step"][-1]) if len(self._columns["step"]) else 0.0
        if self._ghost is not None and len(self._ghost["step"]):
            last = max(last, float(self._ghost["step"][-1]))
        top = self._x_top
        if top is None or last > top or last < 0.2 * top:
            self._x_top = nice_ceiling(max(last * 2.0, 10.0))  # room to grow: the axes re-render rarely
            self.loss_plot.setXRange(0, self._x_top, padding=0)
        values = self._loss_values()
        values = values[np.isfinite(values)]
        if not len(values):
            return
        lo, hi = float(values.min()), float(values.max())
        if self.log_check.isChecked():
            lo, hi = math.floor(lo * 2) / 2, math.ceil(hi * 2) / 2  # half decades
            if hi <= lo:
                hi = lo + 0.5
        else:
            lo = min(0.0, lo)
            hi = hi * 1.08 if hi > 0 else 1.0
        current = self._y_range
        if current is not None:
            c_lo, c_hi = current
            inside = c_lo <= lo and hi <= c_hi
            if inside and (hi - lo) >= Y_SHRINK_FRACTION * (c_hi - c_lo):
                return
        self._y_range = (lo, hi)
        self.loss_plot.setYRange(lo, hi, padding=0)

    @property
    def ghost_steps(self) -> np.ndarray | None:
        return None if self._ghost is None else self._ghost["step"]

    @property
    def steps(self) -> np.ndarray:
        return self._columns["step"]

    def _show_ghost(self) -> None:
        assert self._ghost is not None
        self._reset_envelopes("ghost_")
        self._show_columns(self._ghost, "ghost_")
        self._update_ranges()

    def _reset_envelopes(self, prefix: str) -> None:
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            self._envelopes[prefix + key].reset()

    def _show_columns(self, columns: dict[str, np.ndarray], prefix: str) -> None:
        """Hand the curves their data: long histories as envelopes (`MAX_CURVE_POINTS` at most), updated
        incrementally, so an update costs the same after 10^5 steps as after 10^3."""
        steps = columns["step"]
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            values = columns[key]
            if key.endswith("loss") and self.log_check.isChecked():
                values = np.where(values > 0, values, np.nan)
            x, y = self._envelopes[prefix + key].update(steps, values)
            self._shown[prefix + key] = y
            if np.isnan(y).all():
                self.curves[prefix + key].setData([], [])
            else:
                self.curves[prefix + key].setData(x, y, connect="finite")

    @Slot(bool)
    def set_log_y(self, log: bool) -> None:
        self.loss_plot.setLogMode(y=log)
        self._y_range = None
        self._reset_envelopes("")  # the loss values change (NaN where not positive)
        self._show_columns(self._columns, "")
        if self._ghost is not None:
            self._show_ghost()
        self._update_ranges()

    # --- hover ------------------------------------------------------------------------------------------
    @Slot(QPointF)
    def _on_mouse_moved(self, position: QPointF) -> None:
        steps = self._columns["step"]
        plot = next(
            (p for p in (self.loss_plot, self.acc_plot) if p.sceneBoundingRect().contains(position)), None
        )
        if plot is None or not len(steps):
            self.hover_line.hide()
            self.hover_line_acc.hide()
            return
        x = plot.getViewBox().mapSceneToView(position).x()
        i = int(np.clip(np.searchsorted(steps, x), 0, len(steps) - 1))
        if i > 0 and abs(steps[i - 1] - x) < abs(steps[i] - x):
            i -= 1
        c = self._columns
        for line in (self.hover_line, self.hover_line_acc):
            line.setValue(steps[i])
            line.show()
        self.readout.setText(
            f"step <b>{int(steps[i]):,}</b> &nbsp; loss "
            f"<span style='color:{TRAIN_COLOR}'>train {_fmt(c['train_loss'][i])}</span> "
            f"<span style='color:{TEST_COLOR}'>test {_fmt(c['test_loss'][i])}</span> &nbsp; accuracy "
            f"<span style='color:{TRAIN_COLOR}'>{_pct(c['train_acc'][i])}</span> "
            f"<span style='color:{TEST_COLOR}'>{_pct(c['test_acc'][i])}</span>"
        )


def _fmt(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4g}"


def _pct(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{100 * value:.1f}%"

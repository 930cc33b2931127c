"""Loss and accuracy curves (`lossPlot`): train and test against steps, with the previous run as a ghost.

In regression the right-hand plot shows R² or RMSE instead of accuracy (the `metricCombo` beside the log
switch picks which; the hover readout gives the loss and that metric).

Curves are created once and updated with `setData` (clip-to-view and peak downsampling keep long runs
cheap). The plot follows the trainer's history (a bounded `TrainingHistory`, already columns) and current
state in each frame; when the step count goes backwards (reset, new architecture, opened project) and the
history is not the same run cut back, the run so far becomes a faint ghost for comparison.

Cost: while training the curves are redrawn at most `REDRAW_RATE` times a second, a little after the
decision regions (their own paint event). The view ranges are set by hand and move in steps (x to a round
number ahead of the last step, y only when the curves leave it or shrink well inside), because every new
range re-renders cached axes (~2.5 ms each; the plots have no grid, which made that ~4.5 ms).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QSignalBlocker, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.palette import palette
from workbench.core.present.views import CurveEnvelope, ViewFrame
from workbench.core.training.history import TrainingHistory
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.theme import theme_color, view_color
from workbench.qt.training_controller import TrainingController

TRAIN_COLOR = palette().views["curve_train"]
TEST_COLOR = palette().views["curve_test"]
GHOST_ALPHA = round(palette().earlier_run_alpha * 255)
#: While training, the curves are redrawn at most this often per second.
REDRAW_RATE = 4.0
#: Delay after a frame arrives, so the curves paint apart from the decision regions and the hidden space.
REDRAW_DELAY_MS = 27
#: Points handed to each curve at most; longer histories are drawn as their envelope (`CurveEnvelope`).
MAX_CURVE_POINTS = 2000
#: What the line styles mean (shown above the plots while the mouse is not over them).


def _faded_hex(color: str, alpha: int) -> str:
    """`color` drawn with `alpha` over white, as the ghost curve looks on the plot's background."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * alpha / 255):02x}" for c in rgb)


LEGEND = (
    f"<span style='color:{TRAIN_COLOR}'>━━</span> train &nbsp; "
    f"<span style='color:{TEST_COLOR}'>╍╍</span> test &nbsp; "
    f"<span style='color:{_faded_hex(TRAIN_COLOR, GHOST_ALPHA)}'>━━</span> previous run"
)
#: The y range shrinks once the curves fill less than this fraction of it.
Y_SHRINK_FRACTION = 0.5


#: Axis ends for the step axis: the data always fills at least ~4/5 of it (1-2-5 alone left up to 4/5 empty).
_TIGHT_MANTISSAS = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0)
#: Room kept to the right of the last step, so the axis is not re-rendered at every update.
X_HEADROOM = 1.1


def tight_ceiling(value: float) -> float:
    """The smallest round number (mantissa from `_TIGHT_MANTISSAS`) at or above `value`."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in _TIGHT_MANTISSAS:
        if factor * power >= value * (1 - 1e-9):
            return factor * power
    return 10.0 * power


def step_label(value: float) -> str:
    """Short step numbers for narrow plots: 1500 -> 1.5k, 200000 -> 200k, 3000000 -> 3M."""
    magnitude = abs(value)
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.4g}{suffix}"
    return f"{value:.4g}"


class StepAxis(pg.AxisItem):
    """The step axis: short tick labels, so they never run into each other in a narrow dock."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [step_label(v * scale) for v in values]


class LossAxis(pg.AxisItem):
    """The loss axis: on a log scale only 1, 2 and 5 per decade get a label (all nine crowd a low dock)."""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        labels = []
        for v in values:
            x = 10.0 ** (v * scale)
            mantissa = x / 10.0 ** math.floor(math.log10(x) + 1e-9)
            labels.append(f"{x:.3g}" if any(abs(mantissa - m) < 1e-6 for m in (1.0, 2.0, 5.0)) else "")
        return labels


#: The plot's columns, and the history column each one shows.
_PLOT_COLUMNS = {
    "step": "step",
    "train_loss": "train_loss",
    "test_loss": "test_loss",
    "train_acc": "train_accuracy",
    "test_acc": "test_accuracy",
    "train_rmse": "train_rmse",
    "test_rmse": "test_rmse",
    "train_r2": "train_r2",
    "test_r2": "test_r2",
}
#: What the right-hand plot can show: key -> (axis label, the plot's columns of train and test).
METRICS = {
    "accuracy": ("accuracy", "train_acc", "test_acc"),
    "r2": ("R²", "train_r2", "test_r2"),
    "rmse": ("RMSE", "train_rmse", "test_rmse"),
}
#: The choices of the right-hand plot in regression, first = the default (R² is bounded above like accuracy).
REGRESSION_METRICS = (("r2", "R²"), ("rmse", "RMSE"))
#: The lowest R² the plot shows: an untrained network's R² can be far below 0, which would flatten the rest.
R2_FLOOR = -1.0


def history_arrays(history: TrainingHistory, latest: Any = None) -> dict[str, np.ndarray]:
    """The plot's columns (float arrays: step, train_loss, test_loss, train_acc, test_acc and the regression
    metrics train_rmse, test_rmse, train_r2, test_r2) of `history`,
    followed by `latest` (a `Metrics`) when it is newer than the last entry. New arrays, never views."""
    steps = history.column("step")
    extra = latest is not None and (not len(steps) or int(steps[-1]) != latest.step)
    columns = {}
    for key, name in _PLOT_COLUMNS.items():
        values = history.column(name)
        if extra:
            columns[key] = np.append(values.astype(np.float64), float(getattr(latest, name)))
        else:
            columns[key] = values.astype(np.float64)
    return columns


def _first_entry(columns: dict[str, np.ndarray]) -> tuple[float, float] | None:
    """Step and train loss of a run's first entry: the same in a run cut back or thinned, not in another."""
    if not len(columns["step"]):
        return None
    loss = float(columns["train_loss"][0])
    return float(columns["step"][0]), loss if math.isfinite(loss) else math.inf


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
    """Train/test loss (left) and accuracy, or in regression R² or RMSE (right), against steps; log-y
    option; hover readout."""

    def __init__(self, controller: TrainingController | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossPlot")
        self._columns: dict[str, np.ndarray] = history_arrays(TrainingHistory())
        self._ghost: dict[str, np.ndarray] | None = None
        self._last_step = -1
        self._shown_key: tuple[int, int, int] | None = None  # history revision, length, latest step
        self._x_top: float | None = None
        self._y_range: tuple[float, float] | None = None
        self._metric = "accuracy"  # what the right-hand plot shows (`METRICS`)
        self._metric_range: tuple[float, float] | None = None
        self._envelopes = {
            prefix + key: CurveEnvelope(MAX_CURVE_POINTS)
            for prefix in ("", "ghost_")
            for key in ("train_loss", "test_loss", "train_acc", "test_acc")
        }
        self._shown: dict[str, np.ndarray] = {}  # the y values each curve was given

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(theme_color("plot_background", dark=False))
        self.loss_plot = self.graphics.addPlot(
            row=0, col=0, axisItems={"bottom": StepAxis("bottom"), "left": LossAxis("left")}
        )
        # Side by side: the dock is wide and low.
        self.acc_plot = self.graphics.addPlot(row=0, col=1, axisItems={"bottom": StepAxis("bottom")})
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
        self._update_metric_range()
        self.loss_plot.getViewBox().setLimits(xMin=0)

        dash = Qt.PenStyle.DashLine
        self.curves = {
            "ghost_train_loss": self.loss_plot.plot(pen=_pen(TRAIN_COLOR, GHOST_ALPHA), antialias=True),
            "ghost_test_loss": self.loss_plot.plot(pen=_pen(TEST_COLOR, GHOST_ALPHA, dash), antialias=True),
            "train_loss": self.loss_plot.plot(pen=_pen(TRAIN_COLOR), antialias=True),
            "test_loss": self.loss_plot.plot(pen=_pen(TEST_COLOR, style=dash), antialias=True),
            "ghost_train_acc": self.acc_plot.plot(pen=_pen(TRAIN_COLOR, GHOST_ALPHA), antialias=True),
            "ghost_test_acc": self.acc_plot.plot(pen=_pen(TEST_COLOR, GHOST_ALPHA, dash), antialias=True),
            "train_acc": self.acc_plot.plot(pen=_pen(TRAIN_COLOR), antialias=True),
            "test_acc": self.acc_plot.plot(pen=_pen(TEST_COLOR, style=dash), antialias=True),
        }
        self.hover_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(view_color("hover_line")))
        self.hover_line_acc = pg.InfiniteLine(angle=90, pen=pg.mkPen(view_color("hover_line")))
        for plot, line in ((self.loss_plot, self.hover_line), (self.acc_plot, self.hover_line_acc)):
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        # The timeline's cursor: the recorded step the other views show while the user looks back.
        cursor_pen = pg.mkPen(view_color("timeline_cursor"), width=2)
        self.timeline_line = pg.InfiniteLine(
            angle=90,
            pen=cursor_pen,
            label="step {value:,.0f}",  # early steps sit close to the axis: the label finds them
            labelOpts={
                "position": 0.08,  # low: early in a run the loss curves are high
                "color": view_color("timeline_cursor"),
                "anchors": [(0, 0.5), (0, 0.5)],
            },
        )
        self.timeline_line_acc = pg.InfiniteLine(angle=90, pen=cursor_pen)
        for plot, line in ((self.loss_plot, self.timeline_line), (self.acc_plot, self.timeline_line_acc)):
            plot.addItem(line, ignoreBounds=True)
            line.hide()

        self.log_check = QCheckBox("log loss")
        self.log_check.setObjectName("logLossCheck")
        self.log_check.setToolTip("Logarithmic loss axis: progress near zero stays visible")
        self.log_check.toggled.connect(self.set_log_y)
        # Regression only: which metric the right-hand plot shows.
        self.metric_combo = QComboBox()
        self.metric_combo.setObjectName("metricCombo")
        self.metric_combo.setToolTip(
            "Right-hand plot in regression: R² (1 = every target predicted exactly, 0 = no better than "
            "always predicting the mean) or RMSE (the typical distance of a prediction from its target)"
        )
        for key, label in REGRESSION_METRICS:
            self.metric_combo.addItem(label, key)
        self.metric_combo.currentIndexChanged.connect(self._on_metric_chosen)
        self.metric_combo.hide()
        # The legend sits above the plots, never on the curves; hovering a plot shows its values instead.
        self.readout = QLabel(LEGEND)
        self.readout.setObjectName("lossReadout")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        # A long hover text is cut at the dock's edge: it never widens the dock (nor jumps its layout).
        self.readout.setMinimumWidth(1)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top = QHBoxLayout()
        top.addWidget(self.readout, 1)
        top.addWidget(self.metric_combo)
        top.addWidget(self.log_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.log_check.setChecked(True)  # a loss going from 0.7 to 0.01 still shows its progress
        self._throttle = FrameThrottle(REDRAW_RATE, REDRAW_DELAY_MS, self)
        self._throttle.frameDue.connect(self.show_frame)
        if controller is not None:
            controller.frameArrived.connect(self._throttle.push)
            if controller.last_frame is not None:
                self.show_frame(controller.last_frame)

    # --- data -------------------------------------------------------------------------------------------
    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        self.set_regression(frame.snapshot.spec.is_regression)
        self.set_history(frame.snapshot.history, frame.snapshot.metrics)
        self.set_cursor(frame.at_step)

    @property
    def metric(self) -> str:
        """What the right-hand plot shows: "accuracy", "r2" or "rmse" (`METRICS`)."""
        return self._metric

    def set_regression(self, regression: bool) -> None:
        """Follow the project's task: accuracy for classification, the chosen regression metric otherwise."""
        self.metric_combo.setVisible(regression)
        self.set_metric(self.metric_combo.currentData() if regression else "accuracy")

    def set_metric(self, metric: str) -> None:
        """Show `metric` ("accuracy", "r2", "rmse") on the right-hand plot."""
        if metric == self._metric:
            return
        self._metric = metric
        if metric in dict(REGRESSION_METRICS):
            with QSignalBlocker(self.metric_combo):
                self.metric_combo.setCurrentIndex(self.metric_combo.findData(metric))
        self.acc_plot.setLabel("left", METRICS[metric][0])
        self._metric_range = None
        self._reset_envelopes("")
        self._show_columns(self._columns, "")
        if self._ghost is not None:
            self._show_ghost()
        self._update_ranges()

    @Slot(int)
    def _on_metric_chosen(self, index: int) -> None:
        if self._metric != "accuracy":  # the choice is remembered for the next regression run
            self.set_metric(self.metric_combo.itemData(index))

    def set_cursor(self, step: int | None) -> None:
        """Mark the recorded step the views show (None: they follow training live, no mark)."""
        for line in (self.timeline_line, self.timeline_line_acc):
            if step is None:
                line.hide()
            else:
                line.show()  # first: a hidden line's label does not follow its value
                line.setValue(float(step))

    @property
    def cursor_step(self) -> int | None:
        """The step the timeline cursor marks, None when hidden."""
        line = self.timeline_line
        return int(line.value()) if line.isVisible() else None

    def set_history(self, history: TrainingHistory | Any, latest: Any = None) -> None:
        """Show a run's history (and its current state `latest`, a `Metrics`, when newer); a history that
        restarts (a new run) turns the old one into the ghost. A sequence of `Metrics` is accepted too."""
        history = TrainingHistory.coerce(history)
        latest_step = -1 if latest is None else int(latest.step)
        key = (history.revision, len(history), latest_step)
        if key == self._shown_key:
            return
        grew = (
            self._shown_key is not None
            and key[0] == self._shown_key[0]
            and key[1] >= self._shown_key[1]
            and latest_step >= self._shown_key[2]
        )
        columns = history_arrays(history, latest)
        if not len(columns["step"]):
            return
        self._shown_key = key
        last = int(columns["step"][-1])
        new_run = last < self._last_step and _first_entry(columns) != _first_entry(self._columns)
        if new_run and len(self._columns["step"]) > 1:
            self._ghost = self._columns
            self._show_ghost()
        self._last_step = last
        self._columns = columns
        if not grew:
            self._reset_envelopes("")  # entries changed (thinned, cut back) or another run: reduce anew
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
        if top is None or last > top or last < 0.6 * top:
            # Tight (the data fills >= ~3/4 of the axis) with a little room, so it re-renders rarely.
            self._x_top = tight_ceiling(max(last * X_HEADROOM, 10.0))
            self.loss_plot.setXRange(0, self._x_top, padding=0)
        values = self._loss_values()
        values = values[np.isfinite(values)]
        self._update_metric_range()
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

    def _update_metric_range(self) -> None:
        """Accuracy stays 0..1; R² ends at 1 and starts at 0, or lower down to `R2_FLOOR`; RMSE starts at 0
        and grows or shrinks in steps like the loss."""
        if self._metric == "accuracy":
            wanted = (0.0, 1.0)
        else:
            keys = ["train_acc", "test_acc"] + (["ghost_train_acc", "ghost_test_acc"] if self._ghost else [])
            parts = [self._shown[key] for key in keys if key in self._shown]
            values = np.concatenate(parts) if parts else np.zeros(0)
            values = values[np.isfinite(values)]
            if self._metric == "r2":
                lo = max(R2_FLOOR, float(values.min())) if len(values) else 0.0
                wanted = (min(0.0, math.floor(lo * 4) / 4), 1.0)
            else:
                top = float(values.max()) if len(values) else 1.0
                current = self._metric_range
                if current is not None and top <= current[1] and top >= Y_SHRINK_FRACTION * current[1]:
                    return
                wanted = (0.0, top * 1.08 if top > 0 else 1.0)
        if wanted != self._metric_range:
            self._metric_range = wanted
            view_box = self.acc_plot.getViewBox()
            view_box.setLimits(yMin=None, yMax=None)
            self.acc_plot.setYRange(*wanted, padding=0.02)
            if self._metric != "rmse":  # bounded metrics: wheel zoom stops at their ends
                view_box.setLimits(yMin=wanted[0] - 0.05, yMax=1.05)

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
        _, train_metric, test_metric = METRICS[self._metric]
        sources = {"train_acc": train_metric, "test_acc": test_metric}  # the right-hand plot's two curves
        for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
            values = columns[sources.get(key, key)]
            if self._metric == "r2" and key in sources:
                values = np.maximum(values, R2_FLOOR)  # far below 0 early on: drawn at the floor
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
            self.readout.setText(LEGEND)
            return
        x = plot.getViewBox().mapSceneToView(position).x()
        i = int(np.clip(np.searchsorted(steps, x), 0, len(steps) - 1))
        if i > 0 and abs(steps[i - 1] - x) < abs(steps[i] - x):
            i -= 1
        c = self._columns
        for line in (self.hover_line, self.hover_line_acc):
            line.setValue(steps[i])
            line.show()
        digits = 4 if self._metric == "accuracy" else 3  # regression: room for its metric beside the choice
        text = (
            f"step <b>{int(steps[i]):,}</b> &nbsp; loss "
            f"<span style='color:{TRAIN_COLOR}'>train {_fmt(c['train_loss'][i], digits)}</span> "
            f"<span style='color:{TEST_COLOR}'>test {_fmt(c['test_loss'][i], digits)}</span> &nbsp; "
        )
        if self._metric == "accuracy":
            text += (
                f"accuracy <span style='color:{TRAIN_COLOR}'>{_pct(c['train_acc'][i])}</span> "
                f"<span style='color:{TEST_COLOR}'>{_pct(c['test_acc'][i])}</span>"
            )
        else:  # the metric the right-hand plot shows (the other one is a click on the choice away)
            name, train, test = METRICS[self._metric]
            text += (
                f"{name} <span style='color:{TRAIN_COLOR}'>{_fmt(c[train][i], 3)}</span> "
                f"<span style='color:{TEST_COLOR}'>{_fmt(c[test][i], 3)}</span>"
            )
        self.readout.setText(text)


def _fmt(value: float, digits: int = 4) -> str:
    return "–" if not math.isfinite(value) else f"{value:.{digits}g}"


def _pct(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{100 * value:.1f}%"

"""Compare runs (`comparisonWindow`): several copies of the network side by side, and the list of past runs.

"Side by side" trains 2-9 copies of the project's network (`workbench.core.training.comparison`), varying the
seed or one hyper-parameter, in worker processes. A runner object on its own QThread starts them, passes on
what they report and draws each finished run's decision regions (`animation.render_frames`), so the GUI
thread only places pictures, curves and numbers. The window shows one tile per run (its decision regions,
its value and final test accuracy, "Use this run"), the runs' loss or accuracy curves overlaid in the run
colours (palette.json "run_1".."run_9"), a sortable table of the final metrics, progress and Cancel.

"Past runs" lists the runs this window trained before (`RunLog`): whenever the network is replaced (Reset,
New, Open, a new architecture, "Use this run") the run so far, which the loss plot keeps as its ghost, is
added with its final metrics, steps, seed and settings; the list keeps the latest `MAX_PAST_RUNS`.

"Use this run" (a tile or a past run) is one undoable step: the run's network (activations), settings and
weights through the Document's undoable calls. The main window gets the window through `install_comparison`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QSignalBlocker, Qt, QThread, Signal, Slot
from PySide6.QtGui import QAction, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core import limits
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.palette import palette
from workbench.core.present.animation import FrameStyle, render_frames
from workbench.core.training.comparison import (
    PARAMETERS,
    Comparison,
    ComparisonError,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunProgress,
    RunResult,
    RunStarted,
    default_values,
    parse_values,
    value_text,
)
from workbench.core.training.recording import weight_shapes
from workbench.qt.document import Document
from workbench.qt.loss_plot import LossAxis, StepAxis
from workbench.qt.theme import theme_color

#: One colour per run, in run order.
RUN_COLORS = tuple(palette().views[f"run_{i}"] for i in range(1, int(limits.RUNS.maximum) + 1))
#: Side of a decision-region tile in pixels: up to 4 runs (2 x 2), and more (3 x 3 fit the window).
TILE_SIZE = 190
SMALL_TILE_SIZE = 140
DEFAULT_STEPS = 10_000
PROGRESS_RANGE = 1000
#: Past runs kept in the list; older ones drop out.
MAX_PAST_RUNS = 20
#: A past run keeps its weights (for "Use this run") only up to this size.
MAX_KEPT_WEIGHT_BYTES = 8 * 2**20
#: What the curves can show: label -> (history column, log scale).
CURVES = {
    "train loss": ("train_loss", True),
    "test loss": ("test_loss", True),
    "train accuracy": ("train_accuracy", False),
    "test accuracy": ("test_accuracy", False),
    "train R²": ("train_r2", False),
    "test R²": ("test_r2", False),
    "train RMSE": ("train_rmse", False),
    "test RMSE": ("test_rmse", False),
}
#: The curves offered for each task (classification runs have no RMSE, regression runs no accuracy).
TASK_CURVES = {
    "classification": ("train loss", "test loss", "train accuracy", "test accuracy"),
    "regression": ("train loss", "test loss", "train R²", "test R²", "train RMSE", "test RMSE"),
}
#: The metrics kept of each progress report, in this order after the step (`_curve_data`).
LIVE_COLUMNS = (
    "train_loss", "test_loss", "train_accuracy", "test_accuracy",
    "train_r2", "test_r2", "train_rmse", "test_rmse",
)  # fmt: skip
TABLE_COLUMNS = ("Run", "Train loss", "Train acc.", "Test loss", "Test acc.", "Result")
PAST_COLUMNS = (
    "#",
    "Ended",
    "Steps",
    "Train loss",
    "Train acc.",
    "Test loss",
    "Test acc.",
    "Started by",
    "Network",
    "Settings",
)


def _percent(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{100 * value:.1f} %"


def _loss(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4f}"


def _is_regression(metrics: Any) -> bool:
    """Regression metrics carry R² or RMSE and no accuracy (a run that diverged at once may have neither)."""
    return not math.isfinite(getattr(metrics, "train_accuracy", math.nan)) and any(
        math.isfinite(getattr(metrics, name, math.nan)) for name in ("train_r2", "train_rmse", "test_rmse")
    )


def quality(
    metrics: Any, split: str, regression: bool | None = None, named: bool = True
) -> tuple[str, float]:
    """The text and sort value of a split's quality: accuracy in classification, R² in regression ("R² "
    in front unless `named` is False, for a column whose header says it)."""
    regression = _is_regression(metrics) if regression is None else regression
    if regression:
        value = float(getattr(metrics, f"{split}_r2", math.nan))
        name = "R² " if named else ""
        return ("–" if not math.isfinite(value) else f"{name}{value:.3f}"), value
    value = float(getattr(metrics, f"{split}_accuracy"))
    return _percent(value), value


def result_text(metrics: Any, regression: bool | None = None) -> str:
    """A run's result in a few words: its test quality, or its training quality without test points."""
    text, value = quality(metrics, "test", regression)
    if math.isfinite(value):
        return f"test {text}"
    return f"train {quality(metrics, 'train', regression)[0]}"


def network_text(spec: NetworkSpec) -> str:
    """ "2-8-8-2 tanh": the layer sizes and the hidden activations."""
    sizes = "-".join(str(s) for s in spec.layer_sizes)
    activations = sorted({layer.activation for layer in spec.hidden})
    return f"{sizes} {'/'.join(activations)}".strip()


def settings_text(settings: TrainingSettings) -> str:
    batch = "all" if settings.batch_size is None else str(settings.batch_size)
    text = f"{settings.optimizer}, lr {settings.learning_rate:g}, batch {batch}"
    if settings.optimizer == "momentum":
        text += f", μ {settings.momentum:g}"
    if settings.l2:
        text += f", L2 {settings.l2:g}"
    return f"{text}, seed {settings.seed}"


def use_run(
    document: Document, spec: NetworkSpec, settings: TrainingSettings, weights: Any, label: str
) -> str | None:
    """Put a run's network, settings and weights into the document as one undo step; the reason when not.

    Only runs whose weights fit the document's network (same layer shapes) can be used: changing the shapes
    and the weights in one step cannot be undone in order by the training process.
    """
    if (
        spec.task != document.spec.task
        or spec.n_classes != document.dataset.n_classes
        or weight_shapes(spec) != weight_shapes(document.spec)
    ):
        return "the network, the task or the classes changed since this run: its weights no longer fit"
    document.begin_gesture(f"Use run ({label})")
    try:
        document.set_spec(spec, f"Use run ({label})")
        document.set_settings(settings, f"Use run ({label})")
        document.replace_weights([(np.array(w), np.array(b)) for w, b in weights], f"Use run ({label})")
    finally:
        document.end_gesture()
    return None


class _NumberItem(QTableWidgetItem):
    """A table cell shown as text, sorted by its number (NaN last)."""

    def __init__(self, text: str, value: float) -> None:
        super().__init__(text)
        self.value = value if math.isfinite(value) else math.inf
        self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _NumberItem):
            return self.value < other.value
        return super().__lt__(other)


# ----------------------------------------------------------------------------------------------------------
# Off the GUI thread: the comparison and the tiles
# ----------------------------------------------------------------------------------------------------------
class ComparisonRunner(QObject):
    """On its own QThread: runs a `Comparison`, reports its events and draws each finished run's tile."""

    event = Signal(object)
    tileReady = Signal(int, object)  # run index, (H, W, 4) uint8 RGBA picture
    failed = Signal(str)
    finished = Signal()

    def __init__(self, comparison: Comparison, tile_size: int = TILE_SIZE) -> None:
        super().__init__()
        self.comparison = comparison
        self.tile_size = int(tile_size)

    @Slot()
    def run(self) -> None:
        comparison = self.comparison
        try:
            comparison.start()
            while not comparison.finished:
                for event in comparison.poll(0.05):
                    self.event.emit(event)
                    if isinstance(event, RunFinished):
                        self.tileReady.emit(event.result.index, self.tile(event.result))
        except Exception as exc:  # a bug or an OS limit (no processes): say so, never hang the window
            self.failed.emit(f"the comparison stopped: {exc}")
        finally:
            comparison.close()
            self.finished.emit()

    def tile(self, result: RunResult) -> np.ndarray:
        """The run's final decision regions with the dataset's points."""
        record = result.recording.latest
        assert record is not None
        return render_tile(self.comparison.dataset, result, record, self.tile_size)

    def cancel(self) -> None:
        """Any thread: stop every run soon."""
        self.comparison.cancel()


def render_tile(dataset: Any, result: RunResult, record: Any, size: int) -> np.ndarray:
    """A run's decision regions at a recorded step, with the dataset's points: (size, size, 4) uint8 RGBA."""
    frames = render_frames(
        result.setup.spec,
        [record],
        size=(size, size),
        points=dataset.points,
        labels=dataset.labels,
        targets=dataset.targets,  # regression: the prediction surface and points in value colours
        bounds=dataset.bounds(),
        style=FrameStyle(caption=False, point_radius=max(1.5, size / 110)),
    )
    return next(iter(frames))


class TileRenderer(QObject):
    """On its own QThread: the tiles of every run at a scrubbed step. Only the latest request is drawn, and a
    newer request stops the older one between tiles, so dragging the slider stays fluid."""

    tilesReady = Signal(int, object)  # step, {run index: RGBA picture}
    _wake = Signal()

    def __init__(self, dataset: Any) -> None:
        super().__init__()
        self.dataset = dataset
        self._lock = threading.Lock()
        self._pending: tuple[int, dict[int, RunResult], int] | None = None
        self._wake.connect(self._work)  # queued: the renderer lives on its own thread

    def request(self, step: int, results: dict[int, RunResult], size: int) -> None:
        """Any thread: draw every run at `step` (the latest record at or before it)."""
        with self._lock:
            self._pending = (int(step), dict(results), int(size))
        self._wake.emit()

    def _has_newer(self) -> bool:
        with self._lock:
            return self._pending is not None

    @Slot()
    def _work(self) -> None:
        with self._lock:
            job, self._pending = self._pending, None
        if job is None:
            return
        step, results, size = job
        tiles = {}
        for index, result in results.items():
            if self._has_newer():
                return  # the slider moved on: draw that instead
            record = result.recording.at_or_before(step) or result.recording.first
            if record is not None:
                tiles[index] = (render_tile(self.dataset, result, record, size), record)
        self.tilesReady.emit(step, tiles)


# ----------------------------------------------------------------------------------------------------------
# Past runs
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PastRun:
    """A run the window trained before its network was replaced: what a student compares later."""

    number: int
    ended: str
    steps: int
    epoch: int
    metrics: Any  # Metrics (on the trainer's evaluation sample)
    spec: NetworkSpec
    settings: TrainingSettings
    weights: tuple | None  # None when too large to keep
    started_by: str = ""  # the edit that started it ("Reset weights", "Use run (seed 3)", "Open or New", ...)


class RunLog(QObject):
    """Follows the live frames; when the network is replaced, the run so far becomes a past run."""

    changed = Signal()

    def __init__(
        self, controller: Any, document: Document | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.runs: deque[PastRun] = deque(maxlen=MAX_PAST_RUNS)
        self._last_frame: Any = None
        self._count = 0
        self._last_edit = "opening the window"  # what replaced the network last, as the undo stack says
        self._current_start = "opening the window"
        self._stack = document.undo_stack if document is not None else None
        self._index = self._stack.index() if self._stack is not None else 0
        if self._stack is not None:
            self._stack.indexChanged.connect(self._on_undo_index)
        controller.frameArrived.connect(self.note_frame)

    @Slot(int)
    def _on_undo_index(self, index: int) -> None:
        stack = self._stack
        assert stack is not None
        try:
            if stack.count() == 0:
                self._last_edit = "Open or New"
            elif index > self._index:
                self._last_edit = stack.text(index - 1)
            elif index < self._index:
                self._last_edit = f"Undo {stack.text(index)}"
        except RuntimeError:  # the stack is being destroyed with its window: nothing to name any more
            return
        self._index = index

    @Slot(object)
    def note_frame(self, frame: Any) -> None:
        last = self._last_frame
        if last is not None and frame.generation != last.generation:
            if last.snapshot.step > 0:
                self.add(last.snapshot, self._current_start)
            self._current_start = self._last_edit
        self._last_frame = frame

    def add(self, snapshot: Any, started_by: str = "") -> None:
        """Keep `snapshot` (a `TrainerSnapshot`) as a past run."""
        self._count += 1
        weights = tuple(snapshot.weights)
        if sum(w.nbytes + b.nbytes for w, b in weights) > MAX_KEPT_WEIGHT_BYTES:
            weights = None
        self.runs.append(
            PastRun(
                number=self._count,
                ended=time.strftime("%H:%M:%S"),
                steps=int(snapshot.step),
                epoch=int(snapshot.epoch),
                metrics=snapshot.metrics,
                spec=snapshot.spec,
                settings=snapshot.settings,
                weights=weights,
                started_by=started_by,
            )
        )
        self.changed.emit()


# ----------------------------------------------------------------------------------------------------------
# The window
# ----------------------------------------------------------------------------------------------------------
class RunTile(QFrame):
    """One run: a colour bar, its name, its decision regions, its final test accuracy, "Use this run"."""

    useRequested = Signal(int)
    #: The tile was clicked: its row in the table and its curve are picked out.
    picked = Signal(int)

    def __init__(
        self, index: int, label: str, color: str, size: int = TILE_SIZE, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.index = index
        self.setObjectName(f"runTile{index + 1}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b><span style='color:{color}'>■</span> {label}</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.image = QLabel()
        self.image.setObjectName("runTileImage")
        self.image.setFixedSize(size + 4, size + 4)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setStyleSheet(f"border: 2px solid {color}; background: palette(base);")
        self.image.setText("waiting…")
        self.caption = QLabel(" ")
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        # As wide as its longest text from the start, so the tiles never grow (and get cut) later.
        widest = self.caption.fontMetrics().horizontalAdvance("test 100.0 % diverged")
        self.caption.setMinimumWidth(widest + 4)
        self.caption.setObjectName("runTileCaption")
        self.use_button = QPushButton("Use this run")
        self.use_button.setObjectName("useRunButton")
        self.use_button.setToolTip("Put this run's weights and settings into the project (undoable)")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(lambda: self.useRequested.emit(self.index))
        bottom = QHBoxLayout()
        bottom.addWidget(self.caption, 1)
        bottom.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(bottom)
        self.has_picture = False

    def mousePressEvent(self, event: Any) -> None:
        self.picked.emit(self.index)
        super().mousePressEvent(event)

    def set_progress(self, steps: int, total: int) -> None:
        if not self.has_picture:
            self.image.setText(f"training…\n{steps:,} / {total:,} steps")

    def set_picture(self, rgba: np.ndarray) -> None:
        rgba = np.ascontiguousarray(rgba)
        height, width = rgba.shape[:2]
        image = QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()
        self.image.setPixmap(QPixmap.fromImage(image))
        self.has_picture = True

    def set_result(self, result: RunResult) -> None:
        text = result_text(result.metrics, result.setup.spec.is_regression)
        if result.divergence:  # in the error colour; the tooltip says what to change
            error = palette().views["error_text"]
            text += f" <span style='color:{error}'>diverged</span>"
            self.caption.setToolTip(result.divergence)
        self.caption.setText(text)
        self.use_button.setEnabled(True)

    def set_stopped(self, text: str, tooltip: str = "") -> None:
        if not self.has_picture:
            self.image.setText(text)
        self.caption.setText(text)
        self.caption.setToolTip(tooltip)


class ComparisonWindow(QWidget):
    """The "Compare Runs" window: choose what varies, train, compare; and the list of past runs."""

    #: Emitted once every run has finished, failed or been cancelled.
    comparisonFinished = Signal()
    runFinished = Signal(int)
    tileShown = Signal(int)
    #: The tiles show the recorded moment nearest before this step (the slider was moved).
    tilesScrubbed = Signal(int)

    def __init__(
        self,
        document: Document,
        controller: Any = None,
        run_log: RunLog | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("comparisonWindow")
        self.setWindowTitle("Compare Runs")
        self.document = document
        self.controller = controller
        self.run_log = run_log
        self.results: dict[int, RunResult] = {}
        self._runner: ComparisonRunner | None = None
        self._thread: QThread | None = None
        self._tiles: list[RunTile] = []
        self._curves: list[pg.PlotDataItem] = []
        self._live: list[list[tuple[float, float, float, float, float]]] = []
        self._steps = 0
        self._labels: list[str] = []
        self._regression = False  # the current comparison's task: R² where classification shows accuracy
        self._tile_size = TILE_SIZE
        self._progress: list[int] = []
        self._scrub_steps = np.zeros(0, np.int64)
        self._renderer: TileRenderer | None = None
        self._renderer_thread: QThread | None = None
        self._dataset_used: Any = None

        # --- what to compare --------------------------------------------------------------------------
        self.parameter_combo = QComboBox()
        self.parameter_combo.setObjectName("varyCombo")
        for name, label in PARAMETERS.items():
            self.parameter_combo.addItem(label if name != "seed" else "seed (initial weights)", name)
        self.parameter_combo.setToolTip("What differs between the runs; everything else is the project's")
        self.count_spin = QSpinBox()
        self.count_spin.setObjectName("runCountSpin")
        self.count_spin.setRange(int(limits.RUNS.minimum), int(limits.RUNS.maximum))
        self.count_spin.setValue(4)
        self.values_edit = QLineEdit()
        self.values_edit.setObjectName("valuesEdit")
        self.values_edit.setToolTip("One value per run, separated by commas (batch size: a number or 'all')")
        self.steps_spin = QSpinBox()
        self.steps_spin.setObjectName("stepsSpin")
        self.steps_spin.setRange(
            int(limits.COMPARISON_STEPS.minimum), int(min(limits.COMPARISON_STEPS.maximum, 2**31 - 1))
        )
        self.steps_spin.setSingleStep(1000)
        self.steps_spin.setGroupSeparatorShown(True)
        self.steps_spin.setValue(DEFAULT_STEPS)
        self.start_button = QPushButton("Train Runs")
        self.start_button.setObjectName("startComparisonButton")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelComparisonButton")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("comparisonProgress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p %")
        self.status = QLabel("Choose what differs between the runs, then Train Runs.")
        self.status.setObjectName("comparisonStatus")
        self.status.setWordWrap(True)

        controls = QHBoxLayout()
        for text, widget, stretch in (
            ("Vary", self.parameter_combo, 0),
            ("Runs", self.count_spin, 0),
            ("Values", self.values_edit, 1),
            ("Steps each", self.steps_spin, 0),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            controls.addWidget(label)
            controls.addWidget(widget, stretch)
            controls.addSpacing(8)
        controls.addWidget(self.start_button)
        controls.addWidget(self.cancel_button)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        self.progress.setFixedWidth(220)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        self.progress.hide()  # until runs train

        # --- side by side -------------------------------------------------------------------------------
        self.tiles_area = QWidget()
        self.tiles_layout = QGridLayout(self.tiles_area)
        self.tiles_layout.setContentsMargins(4, 4, 4, 4)
        self.tiles_layout.setSpacing(8)
        self.tiles_layout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = self.tiles_scroll = QScrollArea()
        scroll.setObjectName("runTiles")
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.tiles_area)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.step_slider = QSlider(Qt.Orientation.Horizontal)
        self.step_slider.setObjectName("comparisonStepSlider")
        self.step_slider.setToolTip(
            "Scrub back through every run at once: the tiles show the recorded moment"
        )
        self.step_slider.setEnabled(False)
        self.step_slider.valueChanged.connect(self._on_scrub)
        self.step_label = QLabel("Step –")
        self.step_label.setObjectName("comparisonStepLabel")
        self.step_label.setMinimumWidth(150)
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("Scrub:"))
        slider_row.addWidget(self.step_slider, 1)
        slider_row.addWidget(self.step_label)
        tiles_box = QWidget()
        tiles_layout = QVBoxLayout(tiles_box)
        tiles_layout.setContentsMargins(0, 0, 0, 0)
        tiles_layout.addWidget(scroll, 1)
        tiles_layout.addLayout(slider_row)

        self.curve_combo = QComboBox()
        self.curve_combo.setObjectName("curveCombo")
        self.curve_combo.addItems(list(CURVES))
        self.curve_combo.currentTextChanged.connect(self._redraw_curves)
        self.plot = pg.PlotWidget(axisItems={"bottom": StepAxis("bottom"), "left": LossAxis("left")})
        self.plot.setObjectName("comparisonCurves")
        self.plot.setBackground(theme_color("plot_background", dark=False))
        self.plot.setMenuEnabled(False)
        self.plot.setLabel("bottom", "step")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("left").setWidth(48)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#78787878"))
        curve_top = QHBoxLayout()
        curve_top.addWidget(QLabel("Curves:"))
        curve_top.addWidget(self.curve_combo)
        curve_top.addStretch(1)
        curves_box = QWidget()
        curves_layout = QVBoxLayout(curves_box)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addLayout(curve_top)
        curves_layout.addWidget(self.plot, 1)

        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setObjectName("comparisonTable")
        self.table.setHorizontalHeaderLabels(list(TABLE_COLUMNS))
        self._setup_table(self.table)
        self.table.itemSelectionChanged.connect(self._highlight_selected)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(curves_box)
        right.addWidget(self.table)
        right.setSizes([330, 200])
        side = self.side = QSplitter(Qt.Orientation.Horizontal)
        side.setObjectName("sideBySide")
        side.addWidget(tiles_box)
        side.addWidget(right)
        side.setStretchFactor(0, 0)
        side.setStretchFactor(1, 1)
        side.setSizes([640, 520])

        # --- past runs ----------------------------------------------------------------------------------
        self.past_table = QTableWidget(0, len(PAST_COLUMNS))
        self.past_table.setObjectName("pastRunsTable")
        self.past_table.setHorizontalHeaderLabels(list(PAST_COLUMNS))
        self._setup_table(self.past_table)
        self.past_table.itemSelectionChanged.connect(self._update_past_button)
        self.use_past_button = QPushButton("Use Selected Run")
        self.use_past_button.setObjectName("usePastRunButton")
        self.use_past_button.setEnabled(False)
        self.use_past_button.clicked.connect(self._use_past_run)
        past_note = QLabel(
            "Each time the network is replaced (Reset Weights, New, Open, a new architecture, Use this run) "
            "the run so far is kept here, as its curves stay in the loss plot as a faint ghost; the latest "
            f"{MAX_PAST_RUNS} are kept. Metrics are the trainer's last measurement. A run started by Reset "
            "Weights began from fresh random weights; the seed is the settings' (it orders the batches)."
        )
        past_note.setWordWrap(True)
        past = QWidget()
        past_layout = QVBoxLayout(past)
        past_layout.addWidget(past_note)
        past_layout.addWidget(self.past_table, 1)
        past_buttons = QHBoxLayout()
        past_buttons.addStretch(1)
        past_buttons.addWidget(self.use_past_button)
        past_layout.addLayout(past_buttons)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("comparisonTabs")
        self.tabs.addTab(side, "Side by Side")
        self.tabs.addTab(past, "Past Runs")

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(status_row)
        layout.addWidget(self.tabs, 1)
        self.resize(1280, 820)

        self.parameter_combo.currentIndexChanged.connect(self._fill_default_values)
        self.values_edit.textEdited.connect(self._count_typed_values)
        self.count_spin.valueChanged.connect(self._fill_default_values)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        if run_log is not None:
            run_log.changed.connect(self._fill_past_runs)
            self._fill_past_runs()
        self._fill_default_values()

    # --- set-up helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _setup_table(table: QTableWidget) -> None:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setSortingEnabled(True)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

    @property
    def parameter(self) -> str:
        return str(self.parameter_combo.currentData())

    @Slot()
    def _fill_default_values(self) -> None:
        """Sensible values for the chosen parameter and number of runs (the user may type others)."""
        values = default_values(
            self.parameter, self.document.spec, self.document.settings, self.count_spin.value()
        )
        self.values_edit.setText(", ".join(value_text(self.parameter, v) for v in values))

    @Slot(str)
    def _count_typed_values(self, text: str) -> None:
        """Typed values decide how many runs there are: the Runs box follows them."""
        try:
            count = len(parse_values(self.parameter, text))
        except ComparisonError:
            return
        if self.count_spin.minimum() <= count <= self.count_spin.maximum():
            self.count_spin.blockSignals(True)
            self.count_spin.setValue(count)
            self.count_spin.blockSignals(False)

    # --- running ----------------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self._thread is not None

    @Slot()
    def start(self) -> bool:
        """Plan the runs from the controls and start them; False (and a message) when they cannot run."""
        if self.is_running:
            return False
        document = self.document
        try:
            values = parse_values(self.parameter, self.values_edit.text())
            comparison = Comparison(
                document.dataset,
                document.spec,
                document.settings,
                self.parameter,
                values,
                self.steps_spin.value(),
            )
        except ComparisonError as exc:
            self._say(f"Cannot compare: {exc}.", error=True)
            return False
        paused = ""
        if self.controller is not None and getattr(self.controller, "is_running", False):
            self.controller.pause()  # the runs get every core
            paused = " Live training is paused meanwhile."
        self._stop_renderer()  # it draws the previous comparison's data
        self._reset_views(comparison)
        self._dataset_used = document.dataset
        self._say(
            f"Training {len(values)} runs of {comparison.steps:,} steps "
            f"in {comparison.workers} processes.{paused}"
        )
        self._runner = ComparisonRunner(comparison, self._tile_size)
        self._thread = QThread()
        self._thread.setObjectName("comparisonThread")
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.event.connect(self._on_event)
        self._runner.tileReady.connect(self._on_tile)
        self._runner.failed.connect(self._on_failed)
        self._runner.finished.connect(self._on_finished)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._thread.start()
        return True

    @Slot()
    def cancel(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling…")

    def _reset_views(self, comparison: Comparison) -> None:
        self.results.clear()
        self._steps = comparison.steps
        self._labels = [setup.label for setup in comparison.setups]
        for tile in self._tiles:
            tile.deleteLater()
        self._tiles = []
        n = len(comparison.setups)
        columns = 2 if n <= 4 else 3
        self._tile_size = TILE_SIZE if n <= 4 else SMALL_TILE_SIZE
        for setup in comparison.setups:
            tile = RunTile(
                setup.index, setup.label, RUN_COLORS[setup.index], self._tile_size, self.tiles_area
            )
            tile.useRequested.connect(self.use_result)
            tile.picked.connect(self.select_run)
            self.tiles_layout.addWidget(tile, setup.index // columns, setup.index % columns)
            self._tiles.append(tile)
        self._regression = comparison.spec.is_regression
        self._offer_curves("regression" if self._regression else "classification")
        quality_name = "R²" if self._regression else "acc."
        for column, split in ((2, "Train"), (4, "Test")):
            self.table.setHorizontalHeaderItem(column, QTableWidgetItem(f"{split} {quality_name}"))
        self.plot.clear()
        self._curves = []
        self._live = [[] for _ in range(n)]
        for setup in comparison.setups:
            pen = pg.mkPen(RUN_COLORS[setup.index], width=2)
            self._curves.append(self.plot.plot([], [], pen=pen, name=setup.label, antialias=True))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        self.table.setRowCount(n)
        for setup in comparison.setups:
            name = _NumberItem(value_text(setup.parameter, setup.value), float(setup.index))  # run order
            name.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            name.setData(Qt.ItemDataRole.UserRole, setup.index)
            name.setData(Qt.ItemDataRole.DecorationRole, pg.mkColor(RUN_COLORS[setup.index]))
            name.setToolTip(setup.label)
            self.table.setItem(setup.index, 0, name)
        header = PARAMETERS[comparison.parameter]
        self.table.setHorizontalHeaderItem(0, QTableWidgetItem(header[0].upper() + header[1:]))
        for setup in comparison.setups:
            self._set_row(setup.index, None, "waiting")
        self.table.setSortingEnabled(True)
        self.table.sortItems(0, Qt.SortOrder.AscendingOrder)
        # The tiles' columns get the room they need; the curves and the table the rest.
        tile_width = max(tile.sizeHint().width() for tile in self._tiles)  # not shown yet: no layout
        spacing = self.tiles_layout.spacing()
        margins = self.tiles_layout.contentsMargins()
        bar = self.tiles_scroll.verticalScrollBar().sizeHint().width()
        tiles_width = columns * tile_width + (columns - 1) * spacing + margins.left() + margins.right() + bar
        self.tiles_scroll.setMinimumWidth(tiles_width)
        self.side.setSizes([tiles_width, max(300, self.side.width() - tiles_width)])
        self._scrub_steps = np.zeros(0, np.int64)
        self.step_slider.setEnabled(False)
        self.step_label.setText("Step –")
        self.progress.show()
        self.progress.setRange(0, PROGRESS_RANGE)  # steps may pass a 32-bit progress bar's range
        self.progress.setValue(0)
        self._progress = [0] * n
        self._redraw_curves()

    @Slot(object)
    def _on_event(self, event: Any) -> None:
        match event:
            case RunStarted(index=index):
                self._set_row(index, None, "training")
            case RunProgress(index=index, steps=steps, metrics=metrics):
                self._progress[index] = steps
                self._tiles[index].set_progress(steps, self._steps)
                self._live[index].append(
                    (float(steps), *(float(getattr(metrics, name, math.nan)) for name in LIVE_COLUMNS))
                )
                self._update_curve(index)
            case RunFinished(result=result):
                self.results[result.index] = result
                self._progress[result.index] = self._steps
                self._tiles[result.index].set_result(result)
                self._set_row(result.index, result, "diverged" if result.divergence else "done")
                self._update_curve(result.index)
                self.runFinished.emit(result.index)
            case RunFailed(index=index, message=message):
                self._tiles[index].set_stopped("failed", message)
                self._set_row(index, None, "failed")
                self._say(f"Run {index + 1} failed: {message}", error=True)
            case RunCancelled(index=index):
                self._tiles[index].set_stopped("cancelled")
                self._set_row(index, None, "cancelled")
        total = max(1, self._steps * len(self._progress))
        self.progress.setValue(round(PROGRESS_RANGE * sum(self._progress) / total))

    @Slot(int, object)
    def _on_tile(self, index: int, rgba: np.ndarray) -> None:
        if index < len(self._tiles):
            self._tiles[index].set_picture(rgba)
            self.tileShown.emit(index)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._say(message, error=True)

    @Slot()
    def _on_finished(self) -> None:
        thread, runner = self._thread, self._runner
        if thread is None and runner is None:
            return  # already handled (closing the window waited for the thread)
        self._thread = self._runner = None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        if runner is not None:
            runner.deleteLater()
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        done = len(self.results)
        self._enable_scrubbing()
        if done == len(self._tiles) and done:
            best = max(self.results.values(), key=lambda r: _sort_key(r.metrics))
            self._say(
                f"{done} runs done. Best on the test points: {best.label} "
                f"({quality(best.metrics, 'test', self._regression)[0]}). Sort the table by a column; "
                "“Use this run” puts a run into the project (undoable)."
            )
        elif not self.status.property("error"):
            self._say(f"{done} of {len(self._tiles)} runs finished.")
        self.comparisonFinished.emit()

    # --- scrubbing ----------------------------------------------------------------------------------------
    def _enable_scrubbing(self) -> None:
        """The slider walks the recorded steps of every finished run (equal lengths record equal steps)."""
        if not self.results:
            return
        steps = np.unique(np.concatenate([r.recording.steps for r in self.results.values()]))
        self._scrub_steps = steps
        slider = self.step_slider
        slider.blockSignals(True)  # the tiles show the end already
        slider.setRange(0, len(steps) - 1)
        slider.setValue(len(steps) - 1)
        slider.blockSignals(False)
        slider.setEnabled(len(steps) > 1)
        self._show_step_label(int(steps[-1]))

    def _show_step_label(self, step: int) -> None:
        self.step_label.setText(f"Step {step:,} of {self._steps:,}")
        if self.cursor.scene() is None:
            self.plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor.setPos(step)

    @Slot(int)
    def _on_scrub(self, value: int) -> None:
        if not len(self._scrub_steps):
            return
        step = int(self._scrub_steps[min(max(0, value), len(self._scrub_steps) - 1)])
        self._show_step_label(step)
        if self._renderer is None:
            self._renderer = TileRenderer(self._dataset_used)
            self._renderer_thread = QThread()
            self._renderer_thread.setObjectName("comparisonTileThread")
            self._renderer.moveToThread(self._renderer_thread)
            self._renderer.tilesReady.connect(self._on_scrubbed_tiles)
            self._renderer_thread.start()
        self._renderer.request(step, self.results, self._tile_size)

    @Slot(int, object)
    def _on_scrubbed_tiles(self, step: int, tiles: dict) -> None:
        for index, (rgba, record) in tiles.items():
            if index < len(self._tiles):
                tile = self._tiles[index]
                tile.set_picture(rgba)
                tile.caption.setText(f"step {record.step:,}: {result_text(record, self._regression)}")
        self.tilesScrubbed.emit(step)

    def _stop_renderer(self) -> None:
        thread, renderer = self._renderer_thread, self._renderer
        self._renderer_thread = self._renderer = None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        if renderer is not None:
            renderer.deleteLater()

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setProperty("error", error)
        self.status.setStyleSheet(f"color: {palette().views['error_text']};" if error else "")

    # --- views ------------------------------------------------------------------------------------------
    def _set_row(self, index: int, result: RunResult | None, state: str) -> None:
        table = self.table
        table.setSortingEnabled(False)
        rows = [r for r in range(table.rowCount()) if table.item(r, 0) is not None]
        row = next((r for r in rows if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == index), None)
        if row is None:
            return
        nan = math.nan
        metrics = result.metrics if result is not None else None
        regression = self._regression
        values = [
            (_loss(metrics.train_loss) if metrics else "", metrics.train_loss if metrics else nan),
            quality(metrics, "train", regression, named=False) if metrics else ("", nan),
            (_loss(metrics.test_loss) if metrics else "", metrics.test_loss if metrics else nan),
            quality(metrics, "test", regression, named=False) if metrics else ("", nan),
        ]
        for column, (text, value) in enumerate(values, start=1):
            item = _NumberItem(text, value)
            if result is not None:
                item.setToolTip(f"{result.label}: {result.steps:,} steps in {result.seconds:.1f} s")
            table.setItem(row, column, item)
        status = _NumberItem(state, float(result.steps) if result else nan)
        status.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if result is not None:
            status.setToolTip(result.divergence or f"{result.steps:,} steps in {result.seconds:.1f} s")
        table.setItem(row, len(TABLE_COLUMNS) - 1, status)
        table.setSortingEnabled(True)

    @Slot(int)
    def select_run(self, index: int) -> None:
        """Select a run's row (its curve is drawn bold)."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == index:
                self.table.selectRow(row)
                return

    def _selected_run(self) -> int | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if not rows:
            return None
        item = self.table.item(rows.pop(), 0)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    @Slot()
    def _highlight_selected(self) -> None:
        """The selected run's curve drawn bold, the others faint; no selection: all alike."""
        selected = self._selected_run()
        for index, curve in enumerate(self._curves):
            color = pg.mkColor(RUN_COLORS[index])
            if selected is not None and index != selected:
                color.setAlpha(70)
            curve.setPen(pg.mkPen(color, width=3 if index == selected else 2))
            curve.setZValue(1 if index == selected else 0)

    def _curve_data(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        column, _ = CURVES[self.curve_combo.currentText()]
        result = self.results.get(index)
        if result is not None:
            history = result.history
            x, y = history.column("step").astype(float), history.column(column).astype(float)
        else:
            live = self._live[index]
            position = 1 + LIVE_COLUMNS.index(column)
            x = np.array([p[0] for p in live], float)
            y = np.array([p[position] for p in live], float)
        keep = np.isfinite(y) & ((y > 0) | (not column.endswith("loss")))
        return x[keep], y[keep]

    def _update_curve(self, index: int) -> None:
        if index < len(self._curves):
            x, y = self._curve_data(index)
            self._curves[index].setData(x, y)

    def _offer_curves(self, task: str) -> None:
        """The curve choices of the task's metrics, keeping the current one (or its counterpart) chosen."""
        names = TASK_CURVES[task]
        if tuple(self.curve_combo.itemText(i) for i in range(self.curve_combo.count())) == names:
            return
        current = self.curve_combo.currentText()
        counterpart = {"accuracy": "R²", "R²": "accuracy", "RMSE": "accuracy"}
        split, _, metric = current.partition(" ")
        if current not in names:
            current = f"{split} {counterpart.get(metric, metric)}"
        with QSignalBlocker(self.curve_combo):
            self.curve_combo.clear()
            self.curve_combo.addItems(list(names))
            self.curve_combo.setCurrentIndex(max(0, self.curve_combo.findText(current)))

    @Slot()
    def _redraw_curves(self, *_: object) -> None:
        name = self.curve_combo.currentText()
        _, log = CURVES[name]
        self.plot.setLogMode(y=log)
        self.plot.setLabel("left", name)
        for index in range(len(self._curves)):
            self._update_curve(index)
        self.plot.enableAutoRange()

    # --- use a run --------------------------------------------------------------------------------------
    @Slot(int)
    def use_result(self, index: int) -> None:
        result = self.results.get(index)
        if result is None:
            return
        setup = result.setup
        problem = use_run(self.document, setup.spec, setup.settings, result.weights, result.label)
        if problem:
            self._say(f"Cannot use {result.label}: {problem}.", error=True)
        else:
            self._say(
                f"The project now has the weights and settings of {result.label} (Edit ▸ Undo brings back "
                "the previous ones)."
            )

    # --- past runs --------------------------------------------------------------------------------------
    @Slot()
    def _fill_past_runs(self) -> None:
        table = self.past_table
        runs = list(self.run_log.runs) if self.run_log is not None else []
        table.setSortingEnabled(False)
        table.setRowCount(len(runs))
        for row, run in enumerate(reversed(runs)):  # the latest on top
            m = run.metrics
            number = _NumberItem(str(run.number), float(run.number))
            number.setData(Qt.ItemDataRole.UserRole, run.number)
            cells = [
                number,
                QTableWidgetItem(run.ended),
                _NumberItem(f"{run.steps:,}", float(run.steps)),
                _NumberItem(_loss(m.train_loss), m.train_loss),
                _NumberItem(*quality(m, "train", run.spec.is_regression)),
                _NumberItem(_loss(m.test_loss), m.test_loss),
                _NumberItem(*quality(m, "test", run.spec.is_regression)),
                QTableWidgetItem(run.started_by),
                QTableWidgetItem(network_text(run.spec)),
                QTableWidgetItem(settings_text(run.settings)),
            ]
            for column, item in enumerate(cells):
                table.setItem(row, column, item)
        table.setSortingEnabled(True)
        self._update_past_button()

    def _selected_past_run(self) -> PastRun | None:
        rows = {index.row() for index in self.past_table.selectionModel().selectedRows()}
        if not rows or self.run_log is None:
            return None
        number = self.past_table.item(rows.pop(), 0).data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.run_log.runs if r.number == number), None)

    @Slot()
    def _update_past_button(self) -> None:
        run = self._selected_past_run()
        self.use_past_button.setEnabled(run is not None and run.weights is not None)

    @Slot()
    def _use_past_run(self) -> None:
        run = self._selected_past_run()
        if run is None or run.weights is None:
            return
        label = f"past run {run.number}"
        problem = use_run(self.document, run.spec, run.settings, run.weights, label)
        self._say(
            f"Cannot use {label}: {problem}." if problem else f"The project now has {label}'s weights.",
            error=bool(problem),
        )

    # --- closing ----------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Cancel the runs and wait for their thread (it ends the worker processes). Idempotent."""
        self._stop_renderer()
        thread, runner = self._thread, self._runner
        if runner is not None:
            runner.cancel()
        if thread is not None:
            thread.quit()
            thread.wait()
            self._on_finished()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _sort_key(metrics: Any) -> tuple[float, float]:
    """Best first by test accuracy (R² in regression), then the lowest test loss."""
    score = quality(metrics, "test")[1]
    test = score if math.isfinite(score) else -math.inf
    return (test, -metrics.test_loss if math.isfinite(metrics.test_loss) else -math.inf)


# ----------------------------------------------------------------------------------------------------------
# The main window's entry point
# ----------------------------------------------------------------------------------------------------------
def install_comparison(window: Any) -> QAction:
    """Add Train ▸ Compare Runs… (and Past Runs…) to the main window; the window is made on first use.

    Uses the window's `document`, `training` controller (from `install_training`, for the past runs and to
    pause live training while runs train), `closing` signal and Train menu.
    """
    controller = getattr(window, "training", None)
    run_log = RunLog(controller, window.document, window) if controller is not None else None
    window.run_log = run_log
    window.comparison_window = None

    def open_window(tab: int = 0) -> ComparisonWindow:
        if window.comparison_window is None:
            window.comparison_window = ComparisonWindow(window.document, controller, run_log, window)
            if hasattr(window, "_theme_plots") and hasattr(window, "theme"):  # its plot follows the theme
                window._theme_plots(window.theme.is_dark)
        comparison = window.comparison_window
        comparison.tabs.setCurrentIndex(tab)
        comparison.show()
        comparison.raise_()
        comparison.activateWindow()
        return comparison

    def close_window() -> None:
        if window.comparison_window is not None:
            window.comparison_window.shutdown()
            window.comparison_window.close()

    window.open_comparison = open_window
    window.closing.connect(close_window)
    action = QAction("&Compare Runs…", window)
    action.setObjectName("actionCompareRuns")
    action.setShortcut("Ctrl+Shift+R")
    action.setStatusTip("Train several copies of the network side by side, with different seeds or settings")
    action.triggered.connect(lambda *_: open_window(0))
    past = QAction("&Past Runs…", window)
    past.setObjectName("actionPastRuns")
    past.setStatusTip("The runs trained before the last resets, with their final metrics")
    past.triggered.connect(lambda *_: open_window(1))
    for item in (action, past):
        window.addAction(item)
        if hasattr(window, "actions_by_name"):
            window.actions_by_name[item.objectName()] = item
    train_menu = next(
        (a.menu() for a in window.menuBar().actions() if a.menu() and a.text().replace("&", "") == "Train"),
        None,
    )
    if train_menu is None:
        train_menu = window.menuBar().addMenu("&Train")
    train_menu.addSeparator()
    train_menu.addActions([action, past])
    return action


__all__ = [
    "ComparisonRunner",
    "ComparisonWindow",
    "PastRun",
    "RunLog",
    "RunTile",
    "install_comparison",
    "use_run",
]

"""The loss surface (`lossLandscape`): the training objective around the current weights, with the run's path.

A heat map with contour lines of the objective (data loss + L2, all training points) on a 2D slice through
the weights (`workbench.core.present.landscape`): two chosen parameters, filter-normalised random
directions, or the top two principal directions of the recorded run. The recorded run is drawn on it,
projected; the caption says when the path is a projection that does not lie on the surface (only a walk
that changed nothing but the slice's two directions does). Drag the cross to a start point and SGD,
momentum (the lecture's Δ ← 0.9Δ + ∂L/∂θ) and Adam walk the slice from there side by side, each in its
colour: those walks do lie on the surface.

Threads: one `LandscapeWorker` on its own QThread computes surfaces and walks; the view posts the newest
request and ignores answers to older ones (a computation still running for an old request stops at the
next row). While "Follow training" is on, the surface is recomputed around the latest weights about once a
second, so the path grows live. The GUI thread only paints the worker's RGBA image and curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, QSignalBlocker, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.files.export.layout import linear_keys, weights_fit
from workbench.core.files.export.parameter_names import parameter_index, parameter_name, tensor_shapes
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.present.landscape import (
    RACE_OPTIMIZERS,
    Descent,
    LandscapeError,
    Objective,
    Slice,
    SliceRequest,
    compute_slice,
    descend,
)
from workbench.qt.docks import add_tabbed_dock
from workbench.qt.document import Document
from workbench.qt.theme import view_color

KINDS = (
    ("params", "Two parameters (exact slice)"),
    ("random", "Random directions (filter-normalised)"),
    ("pca", "Principal directions of the run"),
)
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum (Δ ← 0.9Δ + ∂L/∂θ)", "adam": "Adam"}
#: Colours of the three walks (the Compare Runs palette).
RACE_COLORS = {"sgd": "run_4", "momentum": "run_9", "adam": "run_3"}
#: Every curve is drawn over a dark outline, so it reads on the dark and on the bright end of the map.
OUTLINE = (0, 0, 0, 170)
#: Contour lines drawn over the heat map (levels evenly spaced in log loss).
CONTOUR_LEVELS = 14
#: While training, the surface follows the weights at most this often (ms).
FOLLOW_INTERVAL_MS = 1000
#: Coalescing delay after a change of the document or a control (ms).
CHANGE_DELAY_MS = 120


@dataclass(frozen=True)
class SurfaceFrame:
    """What the view paints for one slice: computed off the GUI thread."""

    slice: Slice
    rgba: np.ndarray  # (ny, nx, 4) uint8, row 0 = lowest beta
    rect: tuple[float, float, float, float]  # x0, y0, width, height in the plotted coordinates
    contour_x: np.ndarray
    contour_y: np.ndarray
    offset: tuple[float, float]  # added to (alpha, beta) for the axes: the parameters' values in mode (a)
    log_range: tuple[float, float]


@dataclass(frozen=True)
class RaceRequest:
    spec: NetworkSpec
    points: np.ndarray
    labels: np.ndarray
    l2: float
    theta: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    start: tuple[float, float]
    learning_rate: float
    steps: int
    settings: TrainingSettings = field(default_factory=TrainingSettings)


def surface_frame(result: Slice, offset: tuple[float, float], lut: np.ndarray) -> SurfaceFrame:
    """Colour the slice (log loss, viridis, the top 2 % clipped so one cliff does not wash the rest out)
    and trace its contour lines, in plotted coordinates."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.maximum(result.loss, 1e-12))
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(np.percentile(finite, 98))) if len(finite) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1e-6
    index = np.clip((np.nan_to_num(z, nan=hi, posinf=hi) - lo) / (hi - lo) * 255, 0, 255).astype(np.intp)
    rgba = np.ascontiguousarray(lut[index].transpose(1, 0, 2))  # (beta, alpha, 4): row-major, y up
    alpha, beta = result.alpha, result.beta
    step_a = (alpha[-1] - alpha[0]) / (len(alpha) - 1)
    step_b = (beta[-1] - beta[0]) / (len(beta) - 1)
    x0, y0 = alpha[0] + offset[0] - step_a / 2, beta[0] + offset[1] - step_b / 2
    xs: list[float] = []
    ys: list[float] = []
    clean = np.where(np.isfinite(z), z, hi)
    for level in np.linspace(lo, hi, CONTOUR_LEVELS + 2)[1:-1]:
        for line in pg.isocurve(clean, level, connected=True, extendToEdge=True):
            for u, v in line:
                xs.append(x0 + float(u) * step_a)
                ys.append(y0 + float(v) * step_b)
            xs.append(math.nan)
            ys.append(math.nan)
    rect = (x0, y0, step_a * len(alpha), step_b * len(beta))
    return SurfaceFrame(result, rgba, rect, np.array(xs), np.array(ys), offset, (lo, hi))


class LandscapeWorker(QObject):
    """Computes slices and walks on its own thread; answers only the newest request of each kind."""

    surfaceReady = Signal(int, object)
    raceReady = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        #: The newest job numbers (written by the GUI thread; a stale job stops at its next row).
        self.latest = 0
        self.latest_race = 0
        self._objective: Objective | None = None
        self._lut = pg.colormap.get("viridis").getLookupTable(nPts=256, alpha=True)

    def _objective_for(
        self, spec: NetworkSpec, points: np.ndarray, labels: np.ndarray, l2: float
    ) -> Objective:
        objective = self._objective
        if (
            objective is None
            or objective.spec != spec
            or objective.l2 != l2
            or objective.points.shape != points.shape
            or not np.array_equal(objective.points, points)
            or not np.array_equal(objective.labels, labels)
        ):
            objective = self._objective = Objective(spec, points, labels, l2)
        return objective

    @Slot(int, object)
    def compute(self, job: int, request: Any) -> None:
        if job != self.latest:
            return
        try:
            objective = self._objective_for(
                request[0].spec, request[0].points, request[0].labels, request[0].l2
            )
            result = compute_slice(request[0], objective, should_stop=lambda: self.latest != job)
            if result is None:
                return
            frame = surface_frame(result, request[1], self._lut)
        except (LandscapeError, MemoryError) as exc:
            self.failed.emit(job, str(exc) or "not enough memory for this slice")
            return
        self.surfaceReady.emit(job, frame)

    @Slot(int, object)
    def race(self, job: int, request: Any) -> None:
        walks: list[Descent] = []
        try:
            objective = self._objective_for(request.spec, request.points, request.labels, request.l2)
            for name in RACE_OPTIMIZERS:
                if job != self.latest_race:
                    return
                walks.append(
                    descend(
                        objective,
                        request.theta,
                        request.d1,
                        request.d2,
                        request.start,
                        name,
                        request.learning_rate,
                        request.steps,
                        request.settings,
                    )
                )
        except (LandscapeError, MemoryError) as exc:
            self.failed.emit(-job, str(exc) or "not enough memory")
            return
        self.raceReady.emit(job, walks)


class ParameterPicker(QWidget):
    """One parameter by its export name: tensor, then [out, in] (a bias has only [i])."""

    changed = Signal()

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(label))
        self.tensor = QComboBox()
        self.tensor.setToolTip("The tensor, named as in the exported state_dict")
        # Compact (long names elide; the popup shows them whole): two pickers side by side must not make the
        # dock wider than a laptop screen allows once the lesson panel is open too.
        self.tensor.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.tensor.setMinimumContentsLength(4)
        self.row = QSpinBox()
        self.row.setToolTip("Index i: the neuron (output feature) of the layer")
        self.col = QSpinBox()
        self.col.setToolTip("Index j: the input it reads")
        for widget in (self.tensor, self.row, self.col):
            layout.addWidget(widget)
        layout.addStretch(1)
        self._shapes: dict[str, tuple[int, ...]] = {}
        self.tensor.currentIndexChanged.connect(self._tensor_changed)
        self.row.valueChanged.connect(self.changed)
        self.col.valueChanged.connect(self.changed)

    def set_shapes(self, shapes: dict[str, tuple[int, ...]]) -> None:
        if shapes == self._shapes:
            return
        keep = self.tensor.currentText()
        self._shapes = dict(shapes)
        with QSignalBlocker(self.tensor):
            self.tensor.clear()
            self.tensor.addItems(list(shapes))
            if keep in shapes:
                self.tensor.setCurrentText(keep)
        self._tensor_changed()

    def _tensor_changed(self) -> None:
        shape = self._shapes.get(self.tensor.currentText(), (1,))
        with QSignalBlocker(self.row), QSignalBlocker(self.col):
            self.row.setRange(0, shape[0] - 1)
            self.col.setVisible(len(shape) == 2)
            self.col.setRange(0, shape[1] - 1 if len(shape) == 2 else 0)
        self.changed.emit()

    def name(self) -> str:
        key = self.tensor.currentText()
        if len(self._shapes.get(key, ())) == 2:
            return f"{key}[{self.row.value()},{self.col.value()}]"
        return f"{key}[{self.row.value()}]"

    def set_name(self, spec: NetworkSpec, name: str) -> None:
        key, _, rest = name.partition("[")
        numbers = [int(part) for part in rest.rstrip("]").split(",")]
        with QSignalBlocker(self), QSignalBlocker(self.tensor):
            self.tensor.setCurrentText(key)
            self._tensor_changed()
            self.row.setValue(numbers[0])
            if len(numbers) == 2:
                self.col.setValue(numbers[1])
        self.changed.emit()


class LossLandscapeView(QWidget):
    """The loss surface panel; see the module docstring."""

    _postSurface = Signal(int, object)
    _postRace = Signal(int, object)
    #: A new slice is on screen (tests and screenshots wait for it).
    surfaceShown = Signal()
    raceShown = Signal()

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossLandscape")
        self.document = document
        self._job = 0
        self._race_job = 0
        self._thread: QThread | None = None
        self._worker: LandscapeWorker | None = None
        self._dirty = True
        self._shown_weights: Any = None
        self._shown_recording: Any = None
        self.frame: SurfaceFrame | None = None
        self.walks: list[Descent] = []
        self.race_start: tuple[float, float] | None = None  # (alpha, beta) on the slice
        self._build()
        self._spec_changed()
        document.specChanged.connect(self._spec_changed)
        for signal in (document.datasetChanged, document.settingsChanged, document.weightsReplaced):
            signal.connect(self.schedule)
        document.recordingChanged.connect(self._recording_changed)
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_INTERVAL_MS)
        self._follow_timer.timeout.connect(self._follow)
        self._follow_timer.start()

    # ---------------------------------------------------------------------------------------- widgets
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        controls = QGridLayout()
        self.kind = QComboBox()
        for key, text in KINDS:
            self.kind.addItem(text, key)
        # Long entries are elided in a narrow dock rather than widening it (the popup shows them whole).
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind.setMinimumContentsLength(14)
        self.kind.setToolTip(
            "Two parameters: the exact objective as two weights change (the rest fixed).\n"
            "Random: filter-normalised random directions (Li et al. 2018).\n"
            "Principal: the plane the recorded run moved in most."
        )
        self.span = QDoubleSpinBox()
        self.span.setRange(0.01, 100.0)
        self.span.setDecimals(2)
        self.span.setValue(2.0)
        self.span.setSingleStep(0.25)
        self.span.setToolTip("How far the slice reaches from the current weights along each direction")
        self.grid = QSpinBox()
        self.grid.setRange(11, 101)
        self.grid.setSingleStep(10)
        self.grid.setValue(41)
        self.grid.setToolTip("Points per axis (odd: the current weights sit exactly at the centre)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 9999)
        self.seed.setToolTip("Seed of the random directions")
        self.follow = QCheckBox("Follow training")
        self.follow.setChecked(True)
        self.follow.setToolTip("Recompute around the latest weights about once a second while training")
        controls.addWidget(QLabel("Directions"), 0, 0)
        controls.addWidget(self.kind, 0, 1, 1, 3)
        controls.addWidget(self.follow, 0, 4)
        controls.addWidget(QLabel("Span ±"), 1, 0)
        controls.addWidget(self.span, 1, 1)
        controls.addWidget(QLabel("Grid"), 1, 2)
        controls.addWidget(self.grid, 1, 3)
        self.seed_label = QLabel("Seed")
        controls.addWidget(self.seed_label, 1, 4)
        controls.addWidget(self.seed, 1, 5)
        layout.addLayout(controls)
        self.pick1 = ParameterPicker("x:")
        self.pick2 = ParameterPicker("y:")
        self._pick_y_next = False  # clicks in the network panel fill x, then y, then x again
        self._dock_shown = True  # False while its dock's tab is behind another (`dock_visibility_changed`)
        picks = QHBoxLayout()
        picks.addWidget(self.pick1)
        picks.addWidget(self.pick2)
        layout.addLayout(picks)
        self.race_row = QWidget()
        race = QHBoxLayout(self.race_row)
        race.setContentsMargins(0, 0, 0, 0)
        race.addWidget(QLabel("Drag ✚ to start; η"))
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(4)
        self.learning_rate.setRange(0.0001, 10.0)
        self.learning_rate.setValue(0.1)
        self.learning_rate.setSingleStep(0.05)
        self.learning_rate.setToolTip("Learning rate of the three walks (full batch, on this slice)")
        self.steps = QSpinBox()
        self.steps.setRange(1, 2000)
        self.steps.setValue(100)
        self.steps.setToolTip("Steps of each walk")
        self.race_button = QPushButton("Run SGD / Momentum / Adam")
        self.race_button.setToolTip("Walk the slice from the ✚ with the three optimisers side by side")
        race.addWidget(self.learning_rate)
        race.addWidget(QLabel("steps"))
        race.addWidget(self.steps)
        race.addStretch(1)
        layout.addWidget(self.race_row)
        self.race_button_row = QWidget()
        button_row = QHBoxLayout(self.race_button_row)
        button_row.setContentsMargins(0, 0, 0, 0)
        button_row.addWidget(self.race_button)
        button_row.addStretch(1)
        layout.addWidget(self.race_button_row)

        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(150)  # the surface itself: never squeezed away by the controls above
        self.plot.setObjectName("lossLandscapePlot")
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.contours = pg.PlotDataItem(pen=pg.mkPen((255, 255, 255, 90), width=1), connect="finite")
        self.plot.addItem(self.contours)
        self._outlines: dict[str, pg.PlotDataItem] = {}
        self.path_curve = self._curve("path", pg.mkColor("w"))
        self.now_marker = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("w"), pen=pg.mkPen("k", width=1.5))
        # Where the run was at the step the timeline shows (hidden while it follows training live).
        self.shown_marker = pg.ScatterPlotItem(
            size=13, brush=pg.mkBrush(view_color("timeline_cursor")), pen=pg.mkPen("w", width=1.5)
        )
        self.shown_marker.setZValue(20)
        self._shown_step: int | None = None
        self.plot.addItem(self.now_marker)
        self.plot.addItem(self.shown_marker)
        self.legend = self.plot.addLegend(offset=(-6, 6), labelTextSize="8pt", brush=(0, 0, 0, 150))
        self.legend.setLabelTextColor("w")
        self.legend.addItem(self.path_curve, "the run (recorded)")
        self.walk_curves: dict[str, pg.PlotDataItem] = {}
        for name in RACE_OPTIMIZERS:
            curve = self._curve(name, view_color(RACE_COLORS[name]))
            self.walk_curves[name] = curve
            self.legend.addItem(curve, OPTIMIZER_LABELS[name])
        self.target = pg.TargetItem(pos=(0, 0), size=16, symbol="crosshair", pen=pg.mkPen("#ff4040", width=2))
        self.target.setToolTip("Drag to where the three optimisers start")
        self.target.setZValue(20)
        self.plot.addItem(self.target)
        layout.addWidget(self.plot, 1)
        self.caption = QLabel()
        self.caption.setObjectName("lossLandscapeCaption")
        self.caption.setWordWrap(True)
        # Two lines at least: a dock squeezed in height would otherwise draw the caption under the plot.
        self.caption.setMinimumHeight(2 * self.caption.fontMetrics().lineSpacing() + 4)
        layout.addWidget(self.caption)

        for signal in (
            self.kind.currentIndexChanged,
            self.span.valueChanged,
            self.grid.valueChanged,
            self.seed.valueChanged,
            self.pick1.changed,
            self.pick2.changed,
        ):
            signal.connect(self._controls_changed)
        self.target.sigPositionChangeFinished.connect(self._target_dropped)
        self.race_button.clicked.connect(self._post_race)
        self.follow.toggled.connect(self.schedule)
        self._change_timer = QTimer(self)
        self._change_timer.setSingleShot(True)
        self._change_timer.setInterval(CHANGE_DELAY_MS)
        self._change_timer.timeout.connect(self.compute)
        self._update_controls()

    def _curve(self, name: str, color: Any) -> pg.PlotDataItem:
        """A path curve in `color` over a dark outline (the outline follows it in `_set_curve`)."""
        outline = pg.PlotDataItem(pen=pg.mkPen(OUTLINE, width=4.5))
        self.plot.addItem(outline)
        self._outlines[name] = outline
        symbols = (
            {"symbol": "o", "symbolSize": 4, "symbolBrush": color, "symbolPen": None}
            if name == "path"
            else {}
        )
        curve = pg.PlotDataItem(pen=pg.mkPen(color, width=2.4), **symbols)
        self.plot.addItem(curve)
        return curve

    def _set_curve(self, name: str, x: Any, y: Any) -> None:
        curve = self.path_curve if name == "path" else self.walk_curves[name]
        curve.setData(x, y)
        self._outlines[name].setData(x, y)

    def _update_controls(self) -> None:
        kind = self.kind.currentData()
        for widget in (self.pick1, self.pick2, self.race_row, self.race_button_row):
            widget.setVisible(kind == "params")
        self.target.setVisible(kind == "params")
        if kind != "params":
            self._clear_walks()
        self.seed.setVisible(kind == "random")
        self.seed_label.setVisible(kind == "random")

    def _controls_changed(self) -> None:
        self._update_controls()
        self.race_start = None
        self.schedule()

    def _spec_changed(self) -> None:
        spec = self.document.spec
        shapes = tensor_shapes(spec)
        with QSignalBlocker(self.pick1), QSignalBlocker(self.pick2):
            old1, old2 = self.pick1.name(), self.pick2.name()
            self.pick1.set_shapes(shapes)
            self.pick2.set_shapes(shapes)
            first, second = default_parameters(spec)
            for picker, old, fallback in ((self.pick1, old1, first), (self.pick2, old2, second)):
                try:
                    parameter_index(spec, old)
                    picker.set_name(spec, old)
                except (ValueError, IndexError):
                    picker.set_name(spec, fallback)
        self.race_start = None
        self.schedule()

    @Slot(object)
    def show_step(self, step: int | None) -> None:
        """Mark the run's point at the recorded `step` the timeline shows (None: live, no mark)."""
        self._shown_step = step
        self._place_shown_marker()

    def _place_shown_marker(self) -> None:
        path = self.frame.slice.path if self.frame is not None else None
        if self._shown_step is None or path is None or not len(path.steps):
            self.shown_marker.setData([], [])
            return
        i = int(np.argmin(np.abs(np.asarray(path.steps) - self._shown_step)))
        ox, oy = self.frame.offset
        self.shown_marker.setData([path.alpha[i] + ox], [path.beta[i] + oy])

    @Slot(int, int, int)
    def pick_clicked_parameter(self, layer: int, row: int, column: int) -> None:
        """A weight (row >= 0: W[row, column] of Linear `layer`) or a bias (row -1: neuron `column`) clicked
        in the network panel becomes the next axis, x and y in turn, in two-parameter mode. Ignored while
        the panel is hidden: a click on the network must not change a view nobody is looking at."""
        if not self.isVisible():
            return
        spec = self.document.spec
        sizes, fan_in = spec.layer_sizes, spec.fan_in
        offset = sum((fan_in(node) + 1) * sizes[node] for node in range(1, layer + 1))
        width = sizes[layer + 1]
        flat = offset + (fan_in(layer + 1) if row < 0 else row) * width + column
        name = parameter_name(spec, flat)
        if self.kind.currentData() != "params":
            self.kind.setCurrentIndex(self.kind.findData("params"))
        picker = self.pick2 if self._pick_y_next else self.pick1
        self._pick_y_next = not self._pick_y_next
        picker.set_name(spec, name)
        self.schedule()

    # ---------------------------------------------------------------------------------------- requests
    @Slot()
    def schedule(self) -> None:
        """Recompute soon (changes come in bursts: coalesce them)."""
        self._change_timer.start()

    def _recording_changed(self) -> None:
        if not self.follow.isChecked():
            return
        if self._dock_shown:
            self.schedule()
        else:
            self._dirty = True  # behind another tab: catch up when it comes to the front

    @Slot(bool)
    def dock_visibility_changed(self, visible: bool) -> None:
        """Its dock's tab came to the front (catch up with training) or went behind another."""
        self._dock_shown = visible
        if visible and self._dirty:
            self.schedule()
        elif visible:
            self._follow()

    def _follow(self) -> None:
        # Not behind another tab: a tabified dock's hidden page still counts as visible to Qt, and following
        # training there took a third of the window's process (frames/s under load fell from 18 to 10).
        if not self.follow.isChecked() or not self.isVisible() or not self._dock_shown:
            return
        if (
            self.document.weights is not self._shown_weights
            or self.document.recording is not self._shown_recording
        ):
            self.compute()

    def _ensure_worker(self) -> LandscapeWorker:
        if self._worker is None:
            self._thread = QThread(self)
            self._thread.setObjectName("lossLandscapeWorker")
            self._worker = LandscapeWorker()
            self._worker.moveToThread(self._thread)
            self._postSurface.connect(self._worker.compute)
            self._postRace.connect(self._worker.race)
            self._worker.surfaceReady.connect(self._surface_ready)
            self._worker.raceReady.connect(self._race_ready)
            self._worker.failed.connect(self._failed)
            self._thread.finished.connect(self._worker.deleteLater)
            self._thread.start()
        return self._worker

    def request(self) -> tuple[SliceRequest, tuple[float, float]] | None:
        """The slice the controls ask for around the document's weights (None: nothing to show)."""
        document = self.document
        spec = document.spec
        dataset = document.dataset
        train = dataset.train_indices
        weights = document.weights
        if weights is None or not weights_fit(spec, weights):
            weights = Network(spec, document.settings.seed).get_weights()
        recording = document.recording
        records = [r for r in recording if weights_fit(spec, r.weights)] if recording is not None else []
        kind = self.kind.currentData()
        params = (0, 1)
        offset = (0.0, 0.0)
        if kind == "params":
            params = (parameter_index(spec, self.pick1.name()), parameter_index(spec, self.pick2.name()))
            flat = Network.from_weights(spec, weights).flat_params
            offset = (float(flat[params[0]]), float(flat[params[1]]))
        request = SliceRequest(
            spec,
            dataset.points[train],
            _truth(dataset)[train],
            document.settings.l2,
            [(np.array(w), np.array(b)) for w, b in weights],
            kind=kind,
            span=float(self.span.value()),
            grid=int(self.grid.value()) | 1,
            params=params,
            seed=int(self.seed.value()),
            path_steps=tuple(r.step for r in records),
            path_weights=tuple(r.weights_list() for r in records),
        )
        return request, offset

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty or self.frame is None:
            self.schedule()

    @Slot()
    def compute(self) -> None:
        """Post the current request to the worker (the newest wins); hidden, only remember to."""
        if not self.isVisible():
            self._dirty = True
            return
        self._dirty = False
        self._shown_weights = self.document.weights
        self._shown_recording = self.document.recording
        if self.document.dataset.train_indices.size == 0:
            self._show_message("Add training points to see the loss surface.")
            return
        if self.kind.currentData() == "params" and self.pick1.name() == self.pick2.name():
            self._show_message("Pick two different parameters.")
            return
        request = self.request()
        if self.frame is None:
            self._show_message("Computing the loss surface…")
        worker = self._ensure_worker()
        self._job += 1
        worker.latest = self._job
        self._postSurface.emit(self._job, request)

    def _post_race(self) -> None:
        frame = self.frame
        if frame is None or self._worker is None:
            return
        if self.race_start is None:
            pos = self.target.pos()
            self.race_start = (pos.x() - frame.offset[0], pos.y() - frame.offset[1])
        result = frame.slice
        document = self.document
        train = document.dataset.train_indices
        request = RaceRequest(
            document.spec,
            document.dataset.points[train],
            _truth(document.dataset)[train],
            document.settings.l2,
            result.theta,
            result.d1,
            result.d2,
            self.race_start,
            float(self.learning_rate.value()),
            int(self.steps.value()),
            document.settings,
        )
        self._race_job += 1
        self._worker.latest_race = self._race_job
        self._postRace.emit(self._race_job, request)

    def _target_dropped(self) -> None:
        if self.frame is None:
            return
        pos = self.target.pos()
        self.race_start = (pos.x() - self.frame.offset[0], pos.y() - self.frame.offset[1])
        self._post_race()

    # ---------------------------------------------------------------------------------------- results
    @Slot(int, object)
    def _surface_ready(self, job: int, frame: SurfaceFrame) -> None:
        if job != self._job:
            return
        first = self.frame is None or self.frame.rect != frame.rect
        self.frame = frame
        self.image.setImage(frame.rgba, autoLevels=False)
        self.image.setRect(QRectF(*frame.rect))
        self.contours.setData(frame.contour_x, frame.contour_y)
        result = frame.slice
        ox, oy = frame.offset
        path = result.path
        if path is not None and len(path.steps):
            self._set_curve("path", path.alpha + ox, path.beta + oy)
        else:
            self._set_curve("path", [], [])
        self.now_marker.setData([ox], [oy])
        self._place_shown_marker()
        if first:
            x0, y0, w, h = frame.rect
            self.plot.setRange(xRange=(x0, x0 + w), yRange=(y0, y0 + h), padding=0)
        if self.race_start is None:
            with QSignalBlocker(self.target):
                self.target.setPos(ox + 0.6 * result.alpha[-1], oy + 0.6 * result.beta[-1])
            self._clear_walks()
        else:
            self._post_race()
        self._label_axes()
        self._caption()
        self.surfaceShown.emit()

    def _clear_walks(self) -> None:
        self.walks = []
        for name in self.walk_curves:
            self._set_curve(name, [], [])

    @Slot(int, object)
    def _race_ready(self, job: int, walks: list[Descent]) -> None:
        if job != self._race_job or self.frame is None:
            return
        self.walks = walks
        ox, oy = self.frame.offset
        for walk in walks:
            self._set_curve(walk.optimizer, walk.alpha + ox, walk.beta + oy)
        self._caption()
        self.raceShown.emit()

    @Slot(int, str)
    def _failed(self, job: int, message: str) -> None:
        if job in (self._job, -self._race_job):
            self._show_message(message)

    def _show_message(self, message: str) -> None:
        self.caption.setText(message)

    def _label_axes(self) -> None:
        kind = self.frame.slice.kind if self.frame else "params"
        plot = self.plot.getPlotItem()
        if kind == "params":
            plot.setLabel("bottom", self.pick1.name())
            plot.setLabel("left", self.pick2.name())
        elif kind == "random":
            plot.setLabel("bottom", "α (random direction 1, filter-normalised)")
            plot.setLabel("left", "β (random direction 2)")
        else:
            plot.setLabel("bottom", "α (principal direction 1)")
            plot.setLabel("left", "β (principal direction 2)")

    def _caption(self) -> None:
        frame = self.frame
        if frame is None:
            return
        result = frame.slice
        lo, hi = frame.log_range
        loss = _loss_name(self.document.spec.is_regression)
        parts = [
            f"Objective ({loss} + L2, all training points) here: {result.center_loss:.4g}; "
            f"colours from {10**lo:.3g} (dark) to {10**hi:.3g} (yellow), log scale."
        ]
        if result.explained is not None:
            parts.append(f"These two directions hold {result.explained:.0%} of the run's movement.")
        path = result.path
        if path is None or not len(path.steps):
            parts.append("No recorded run yet: train to see its path.")
        elif path.on_surface:
            parts.append("The run's path lies on this surface.")
        else:
            exact = " (the two parameters' values are exact)" if result.kind == "params" else ""
            parts.append(
                f"The white path is a projection{exact}: the run also moved other weights, so its points lie "
                "off this slice and their losses are not the surface's."
            )
        if self.walks:
            ends = ", ".join(
                f"{walk.optimizer} {walk.loss[-1]:.3g}" + (" (diverged)" if walk.diverged else "")
                for walk in self.walks
            )
            parts.append(
                f"The walks from ✚ lie on the surface; loss after {len(self.walks[0].loss) - 1} steps: "
                f"{ends}."
            )
        self.caption.setText(" ".join(parts))

    # ---------------------------------------------------------------------------------------- lifetime
    def shutdown(self) -> None:
        """Stop the worker thread (window closing)."""
        self._follow_timer.stop()
        self._change_timer.stop()
        if self._thread is not None:
            if self._worker is not None:
                self._worker.latest = -1
                self._worker.latest_race = -1
            self._thread.quit()
            self._thread.wait()
            self._thread = None
            self._worker = None


def default_parameters(spec: NetworkSpec) -> tuple[str, str]:
    """Two parameters worth a first look: two weights into the first neuron of the last layer (each
    the output of a different neuron before), else a weight and that neuron's bias."""
    weight_key, key = linear_keys(spec)[-1]
    shape = tensor_shapes(spec)[weight_key]
    if shape[1] >= 2:
        return f"{weight_key}[0,0]", f"{weight_key}[0,1]"
    return f"{weight_key}[0,0]", f"{key}[0]"


def _truth(dataset: Any) -> np.ndarray:
    """What the loss compares the outputs with: class numbers, or a regression dataset's target values."""
    return dataset.targets if dataset.is_regression else dataset.labels


def _loss_name(regression: bool) -> str:
    return "Euclidean ½(ŷ − y)²" if regression else "cross-entropy"


def install_landscape(window: Any) -> LossLandscapeView:
    """Add the Loss Surface dock (tabbed with the hidden space) and its View menu entry to the main window;
    the worker thread stops on `window.closing`."""
    view = LossLandscapeView(window.document)
    dock = add_tabbed_dock(
        window,
        view,
        "Loss Surface",
        "lossLandscape",
        beside="hiddenSpacePlot",
        area=Qt.DockWidgetArea.RightDockWidgetArea,
    )
    dock.visibilityChanged.connect(view.dock_visibility_changed)
    window.closing.connect(view.shutdown)
    timeline = getattr(window, "timeline", None)
    if timeline is not None:  # looking back marks that moment on the run's path
        timeline.shownStepChanged.connect(view.show_step)
    network = window.docks.get("networkPanel") if hasattr(window, "docks") else None
    canvas = getattr(network.widget(), "canvas", None) if network is not None else None
    if canvas is not None:  # click an edge or a neuron (its bias) to put it on an axis
        canvas.parameterClicked.connect(view.pick_clicked_parameter)
    window.loss_landscape = view
    return view


__all__ = ["LossLandscapeView", "install_landscape"]

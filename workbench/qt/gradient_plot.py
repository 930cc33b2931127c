"""Gradient flow while training: per-layer gradient norms (or update/weight ratios) as curves over the steps,
points sized by a hovered neuron's |δ|, and Train ▸ Check Gradients….

- `GradientPlot` (objectName ``gradientPlot``, a dock beside the loss) draws what the training process
  measured at its record points (`TrainerSnapshot.gradients`, `core.training.gradient_flow`): one curve per
  Linear layer on a log axis, coloured from the first layer (dark) to the output (light). Ten sigmoid
  layers show a fan of curves six decades apart; a residual net keeps them together.
- With "size points by |δ|" on, hovering a neuron in the network panel redraws the dataset's points sized
  by that neuron's error signal for each point (`core.present.deltas`): where its gradient comes from.
- `GradientCheckRunner` runs `core.training.gradcheck` on a worker thread with a progress dialog that can
  cancel it, and shows the verdict in a (non-modal) message box.

One call wires it: `install_gradients(window)` (see `workbench.qt.app.install_panels`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.model.engine import Network
from workbench.core.present.deltas import delta_point_sizes, point_deltas
from workbench.core.present.views import ViewFrame
from workbench.core.training.gradcheck import GradientCheckResult, check_project_gradients
from workbench.qt.docks import add_tabbed_dock
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.theme import theme_color

#: What the curves can show: key -> (combo text, axis label, GradientFlow attribute).
MEASURES = {
    "grad_norms": ("gradient norm ‖∂L/∂W‖", "‖∂L/∂W‖", "grad_norms"),
    "update_ratios": ("update / weight ‖ΔW‖/‖W‖", "‖ΔW‖ / ‖W‖", "update_ratios"),
}
REDRAW_RATE = 10.0
#: The first layer gets this much less gradient than the output: the readout calls it vanishing.
VANISHING_RATIO = 1e-3
#: Up to this many points × parameters the hovered neuron's |δ| is computed on the GUI thread (~20 ms);
#: beyond it the points keep their size.
MAX_SIZED_WORK = 20_000_000


def layer_colors(n_layers: int) -> list[QColor]:
    """First layer dark blue-purple ... output yellow-green (viridis), so depth reads as brightness."""
    cmap = pg.colormap.get("viridis")
    positions = np.linspace(0.0, 0.92, max(2, n_layers))[:n_layers]
    return [cmap.map(float(t), mode="qcolor") for t in positions]


def layer_name(index: int, n_layers: int) -> str:
    return "output" if index == n_layers - 1 else f"layer {index + 1}"


def readout_text(flow: Any, measure: str) -> str:
    """The latest values at a glance: first layer against the output, and whether that is vanishing."""
    if flow is None or not len(flow):
        return "Gradient flow: measured every 50 training steps once training runs."
    values = getattr(flow, MEASURES[measure][2])[-1]
    first, last = float(values[0]), float(values[-1])
    step = int(flow.steps[-1])
    text = f"step {step:,}: layer 1 {first:.1e} · output {last:.1e}"
    if len(values) > 1 and last > 0:
        ratio = first / last
        if ratio < VANISHING_RATIO:
            text += f" — vanishing: layer 1 gets {ratio:.0e} of the output's"
        else:
            text += f" (ratio {ratio:.2g})"
    return text


class GradientPlot(QWidget):
    """Per-layer gradient norms or update ratios over the steps; a toggle for sizing points by |δ|."""

    def __init__(self, controller: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gradientPlot")
        self._flow: Any = None
        self._shown_key: tuple | None = None
        self._curves: list[pg.PlotDataItem] = []
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(theme_color("plot_background", dark=False))
        self.plot = self.graphics.addPlot(row=0, col=0)
        self.plot.setMenuEnabled(False)
        self.plot.setLogMode(x=False, y=True)
        self.plot.setLabel("bottom", "step")
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.plot.getAxis("left").setWidth(52)
        # The legend sits under the plot, never on the curves (they fill the whole height).
        self.legend = pg.LegendItem(colCount=6, labelTextSize="8pt", verSpacing=-6)
        self.graphics.addItem(self.legend, row=1, col=0)
        self.graphics.ci.layout.setRowStretchFactor(0, 1)
        self.graphics.ci.layout.setRowStretchFactor(1, 0)

        self.measure_combo = QComboBox()
        self.measure_combo.setObjectName("gradientMeasure")
        for key, (text, _, _) in MEASURES.items():
            self.measure_combo.addItem(text, key)
        self.measure_combo.setToolTip(
            "Gradient norm: how much error signal reaches each layer's weights.\n"
            "Update / weight: how much one step changes each layer relative to its size (~1e-3 is healthy)."
        )
        self.measure_combo.currentIndexChanged.connect(self._on_measure_changed)
        self.size_check = QCheckBox("size points by |δ|")
        self.size_check.setObjectName("deltaSizeCheck")
        self.size_check.setToolTip(
            "Hover a neuron in the network panel: every point is drawn as large as that neuron's error\n"
            "signal δ = ∂loss/∂z for it, which shows where the neuron's gradient comes from."
        )
        self.readout = QLabel(readout_text(None, "grad_norms"))
        self.readout.setObjectName("gradientReadout")
        # A long readout never widens the dock (and with it the window's bottom area): it is cut instead.
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setMinimumWidth(0)
        top = QHBoxLayout()
        top.addWidget(self.measure_combo)
        top.addWidget(self.readout, 1)
        top.addWidget(self.size_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.graphics, 1)
        self._on_measure_changed()
        self._throttle = FrameThrottle(REDRAW_RATE, 20, self)
        self._throttle.frameDue.connect(self.show_frame)
        if controller is not None:
            controller.frameArrived.connect(self._throttle.push)
            if controller.last_frame is not None:
                self.show_frame(controller.last_frame)

    @property
    def measure(self) -> str:
        return str(self.measure_combo.currentData())

    @property
    def curves(self) -> list[pg.PlotDataItem]:
        return list(self._curves)

    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        self.set_flow(frame.snapshot.gradients)

    def set_flow(self, flow: Any) -> None:
        """Show a `GradientFlow` (None: nothing measured yet)."""
        key = None if flow is None else (flow.revision, len(flow), flow.n_layers, self.measure)
        if key is not None and key == self._shown_key:
            return
        self._flow, self._shown_key = flow, key
        n_layers = 0 if flow is None else flow.n_layers
        if len(self._curves) != n_layers:
            self._make_curves(n_layers)
        if flow is not None and len(flow):
            steps = flow.steps.astype(np.float64)
            values = getattr(flow, MEASURES[self.measure][2])
            for index, curve in enumerate(self._curves):
                column = np.array(values[:, index], dtype=np.float64)
                column[~(column > 0)] = np.nan  # a dead layer's 0 has no logarithm: a gap
                curve.setData(steps, column, connect="finite")
        else:
            for curve in self._curves:
                curve.setData([], [])
        text = readout_text(flow, self.measure)
        self.readout.setText(text)
        self.readout.setToolTip(text)

    def _make_curves(self, n_layers: int) -> None:
        for curve in self._curves:
            self.plot.removeItem(curve)
        self.legend.clear()
        columns = min(max(1, n_layers), 12)
        self.legend.setColumnCount(columns)
        rows = -(-max(1, n_layers) // columns)
        self.graphics.ci.layout.setRowMaximumHeight(1, 6 + 18 * rows)  # the plot gets the rest
        self._curves = []
        for index, color in enumerate(layer_colors(n_layers)):
            width = 2.5 if index == n_layers - 1 else 1.8
            curve = self.plot.plot(pen=pg.mkPen(color, width=width))
            self.legend.addItem(curve, layer_name(index, n_layers))
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self._curves.append(curve)

    def _on_measure_changed(self, *_: object) -> None:
        self.plot.setLabel("left", MEASURES[self.measure][1])
        self._shown_key = None
        self.set_flow(self._flow)


class DeltaSizer(QObject):
    """Sizes the canvas's points by the hovered neuron's |δ| while the plot's toggle is on."""

    def __init__(self, window: Any, plot: GradientPlot, panel: Any) -> None:
        super().__init__(window)
        self._window = window
        self._plot = plot
        self._network: Network | None = None
        self._hovered: tuple[int, int] | None = None
        panel.neuronHovered.connect(self.hover)
        panel.neuronUnhovered.connect(self.unhover)
        plot.size_check.toggled.connect(self._refresh)
        controller = getattr(window, "training", None)
        if controller is not None:
            self._throttle = FrameThrottle(REDRAW_RATE, 30, self)
            self._throttle.frameDue.connect(self._refresh)
            controller.frameArrived.connect(self._throttle.push)

    @Slot(int, int)
    def hover(self, layer: int, neuron: int) -> None:
        self._hovered = (layer, neuron)
        self._refresh()

    @Slot()
    def unhover(self) -> None:
        self._hovered = None
        self._window.canvas.set_point_sizes(None)

    def sizes_for(self, layer: int, neuron: int) -> np.ndarray | None:
        """Point sizes from neuron `neuron` of node `layer`'s δ over the dataset (None: not a neuron with
        an error signal, e.g. an input)."""
        document = self._window.document
        spec, dataset = document.spec, document.dataset
        too_big = len(dataset) * spec.n_parameters > MAX_SIZED_WORK
        if not 1 <= layer <= spec.output_node or len(dataset) == 0 or too_big:
            return None
        if neuron >= spec.layer_sizes[layer] or dataset.is_regression != spec.is_regression:
            return None
        if not spec.is_regression and dataset.n_classes != spec.n_classes:
            return None
        live = getattr(self._window, "live_network", None)
        weights = live.current_weights() if live is not None else document.weights
        if weights is None:
            return None
        if self._network is None or self._network.spec != spec:
            self._network = Network(spec)
        self._network.set_weights(weights)
        with np.errstate(all="ignore"):
            truth = dataset.targets if spec.is_regression else dataset.labels  # regression: δ = ŷ − y
            deltas = point_deltas(self._network, dataset.points, truth)
        return delta_point_sizes(deltas[layer - 1][:, neuron])

    @Slot()
    @Slot(object)
    def _refresh(self, *_: object) -> None:
        canvas = self._window.canvas
        if self._hovered is None or not self._plot.size_check.isChecked():
            canvas.set_point_sizes(None)
            return
        canvas.set_point_sizes(self.sizes_for(*self._hovered))


class _CheckThread(QThread):
    progressed = Signal(int, int)
    checked = Signal(object)  # a GradientCheckResult, or a str saying why there is none

    def __init__(
        self, spec: Any, weights: Any, dataset: Any, l2: float, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._args = (spec, weights, dataset, l2)

    def run(self) -> None:
        spec, weights, dataset, l2 = self._args
        try:
            result: Any = check_project_gradients(
                spec,
                weights,
                dataset,
                l2,
                progress=self.progressed.emit,
                should_stop=self.isInterruptionRequested,
            )
        except (ValueError, MemoryError) as exc:
            result = f"The gradient check could not run: {exc}"
        self.checked.emit(result)


class GradientCheckRunner(QObject):
    """Train ▸ Check Gradients…: the check on a worker thread, a cancellable progress dialog, the verdict."""

    finished = Signal(object)  # the GradientCheckResult (or the reason there is none)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self._window = window
        self._thread: _CheckThread | None = None
        self.dialog: QProgressDialog | None = None
        self.message: QMessageBox | None = None
        self.last_result: GradientCheckResult | str | None = None
        window.closing.connect(self.shutdown)

    @property
    def running(self) -> bool:
        return self._thread is not None

    @Slot()
    def start(self) -> None:
        if self._thread is not None:
            return
        window = self._window
        document = window.document
        live = getattr(window, "live_network", None)
        weights = live.current_weights() if live is not None else document.weights
        if weights is None:
            weights = Network(document.spec, document.settings.seed).get_weights()
        self._thread = _CheckThread(document.spec, weights, document.dataset, document.settings.l2, self)
        dialog = QProgressDialog(
            "Comparing back-propagation with finite differences…", "Cancel", 0, 100, window
        )
        dialog.setObjectName("gradientCheckProgress")
        dialog.setWindowTitle("Check Gradients")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)  # small networks finish before it would show
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self._thread.requestInterruption)
        self.dialog = dialog
        self._thread.progressed.connect(self._on_progress)
        self._thread.checked.connect(self._on_checked)
        self._thread.start()

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self.dialog is not None and total:
            self.dialog.setMaximum(total)
            self.dialog.setValue(done)
            self.dialog.setLabelText(
                f"Comparing back-propagation with finite differences: {done:,} of {total:,}"
            )

    @Slot(object)
    def _on_checked(self, result: Any) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self.last_result = result
        if isinstance(result, GradientCheckResult) and result.cancelled:
            self.finished.emit(result)
            return
        failed = isinstance(result, str) or not result.passed
        text = result if isinstance(result, str) else result.summary()
        box = QMessageBox(
            QMessageBox.Icon.Warning if failed else QMessageBox.Icon.Information,
            "Check Gradients",
            text,
            QMessageBox.StandardButton.Ok,
            self._window,
        )
        box.setObjectName("gradientCheckResult")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not modal: training and the views go on
        self.message = box
        self.finished.emit(result)

    @Slot()
    def shutdown(self) -> None:
        thread = self._thread
        if thread is not None:
            thread.requestInterruption()
            thread.wait()


def install_gradients(window: Any) -> GradientPlot:
    """Add the Gradient Flow dock (tabbed with the loss), the |δ| point sizing and Train ▸ Check Gradients….

    Uses the window's `document`, `canvas`, `training` controller, `live_network`, the network panel (by its
    objectName ``networkPanel``), `docks`, View and Train menus and `closing` signal.
    """
    controller = getattr(window, "training", None)
    plot = GradientPlot(controller)
    add_tabbed_dock(window, plot, "Gradient Flow", "gradientPlot", beside="lossPlot")
    window.gradient_plot = plot
    panel = window.findChild(QWidget, "networkPanel")
    if panel is not None and hasattr(panel, "neuronHovered"):
        window.delta_sizer = DeltaSizer(window, plot, panel)
    runner = GradientCheckRunner(window)
    window.gradient_check = runner
    action = QAction("Check &Gradients…", window)
    action.setObjectName("actionCheckGradients")
    action.setStatusTip(
        "Compare back-propagation with finite differences (float64) on the current network and data"
    )
    action.triggered.connect(runner.start)
    window.action_check_gradients = action
    train_menu = next(
        (a.menu() for a in window.menuBar().actions() if a.menu() and a.text().replace("&", "") == "Train"),
        None,
    )
    if train_menu is not None:
        train_menu.addSeparator()
        train_menu.addAction(action)
    return plot


__all__ = [
    "DeltaSizer",
    "GradientCheckRunner",
    "GradientPlot",
    "install_gradients",
    "layer_colors",
    "readout_text",
]

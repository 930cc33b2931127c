"""The point-and-click network builder: see the network, change it with the mouse.

The panel shows a `NetworkCanvas` in a scroll area with a preset menu, the parameter count and one status
line. Every click or drag becomes a pure spec edit (`workbench.core.model.network_edits`) handed to
``document.set_spec(spec, text)``, so it lands on the same undo stack as the data; the drawing follows
``document.specChanged`` (also after undo/redo). Links besides the chain: drag from a column to a later
one to add a weighted connection or a residual link; click an arc (or hover it and press Delete) to remove
it. Live training data arrives through `set_weights` and
`set_neuron_maps`; hovering a neuron emits `neuronHovered(layer, neuron)` with the layer numbering of
``Network.layer_outputs`` (0 = inputs, 1..L = hidden, L + 1 = output).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.model.network_edits import (
    LARGE_NETWORK_PARAMETERS,
    add_link,
    changed_weight_layers,
    grows_past_large,
    insert_layer,
    links_lost_by_removal,
    node_label,
    remove_layer,
    remove_link,
    residual_changes,
    set_layer_activation,
    set_layer_width,
    toggle_feature,
)
from workbench.core.model.presets import PRESETS
from workbench.core.model.spec import FEATURES, MAX_LAYER_WIDTH, Link, NetworkSpec, SpecError
from workbench.core.present.network_layout import ACTIVATION_LABELS, feature_maps, fit_metrics, layout_width
from workbench.qt.document import Document
from workbench.qt.network_canvas import NetworkCanvas
from workbench.qt.theme import style_sheet

#: Edge length of the neuron thumbnails worth computing (ViewRequest.neuron_map_size).
THUMBNAIL_SIZE = 32

#: The dim line beside the presets: how to add and remove links (nothing else on screen says it).
LINK_HINT = "Drag to link layers"


def _linear_layer_name(index: int, spec: NetworkSpec) -> str:
    return "output" if index == len(spec.hidden) else f"layer {index + 1}"


def _link_name(spec: NetworkSpec, link: Link) -> str:
    kind = "connection" if link in spec.connections else "residual link"
    return f"{kind} {spec.link_text(link)}"


def _residual_note(old: NetworkSpec, new: NetworkSpec) -> str:
    """A width change that broke residual links ("equal widths"): what became of them."""
    converted, dropped = residual_changes(old, new)
    parts = []
    if converted:
        names = ", ".join(old.link_text(link) for link in converted)
        parts.append(f"residual link {names} became a weighted connection (the widths differ now)")
    if dropped:
        names = ", ".join(old.link_text(link) for link in dropped)
        parts.append(f"residual link {names} was removed (the widths differ now)")
    if not parts:
        return ""
    text = "; ".join(parts)
    return f"{text[0].upper()}{text[1:]}. "


class NetworkPanel(QWidget):
    """Network drawing + editing; objectName ``networkPanel``."""

    neuronHovered = Signal(int, int)
    neuronUnhovered = Signal()
    #: The spec changed and these Linear layers (0 = into layer 1) start from fresh weights.
    weightsInvalidated = Signal(list)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkPanel")
        self._document = document
        self._spec = document.spec
        self._pending: tuple[NetworkSpec, str] | None = None
        self._note = ""  # said with the next spec change: what an edit did to the links

        self.preset_combo = QComboBox(self)
        self.preset_combo.setObjectName("presetCombo")
        self.preset_combo.addItem("Presets…", None)
        for preset in PRESETS:
            self.preset_combo.addItem(preset.label, preset.name)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1, preset.description, Qt.ItemDataRole.ToolTipRole
            )
        self.preset_combo.setToolTip("Replace the architecture with a ready-made one (undoable)")
        self.preset_combo.activated.connect(self._apply_preset)

        self.link_hint = QLabel(LINK_HINT, self)
        self.link_hint.setObjectName("linkHint")
        self.link_hint.setEnabled(False)  # drawn dim: a hint, not a control
        self.link_hint.setMinimumWidth(0)
        self.link_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.link_hint.setToolTip(
            "Press on a column (the inputs or a hidden layer) and drag to a column further right: a weighted "
            "connection gives the later layer its own weights to read the earlier one; a residual link adds "
            "the earlier output to the later one (equal widths). Click a link, or hover it and press Delete, "
            "to remove it. Ctrl+Z undoes either."
        )

        self.parameter_label = QLabel(self)
        self.parameter_label.setObjectName("parameterCount")
        self.parameter_label.setToolTip("Weights and biases the optimiser adjusts")

        self.status_label = QLabel(self)
        self.status_label.setObjectName("networkStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.warning = QFrame(self)
        self.warning.setObjectName("largeNetworkWarning")
        self.warning.setFrameShape(QFrame.Shape.StyledPanel)
        self.warning.setStyleSheet(style_sheet("large_network_warning"))
        self.warning_label = QLabel(self.warning)
        self.warning_label.setWordWrap(True)
        self.warning_apply = QPushButton("Build it anyway", self.warning)
        self.warning_apply.setObjectName("largeNetworkApply")
        self.warning_cancel = QPushButton("Cancel", self.warning)
        self.warning_cancel.setObjectName("largeNetworkCancel")
        self.warning_apply.clicked.connect(self._apply_pending)
        self.warning_cancel.clicked.connect(self._cancel_pending)
        warning_row = QHBoxLayout(self.warning)
        warning_row.setContentsMargins(8, 4, 8, 4)
        warning_row.addWidget(self.warning_label, 1)
        warning_row.addWidget(self.warning_apply)
        warning_row.addWidget(self.warning_cancel)
        self.warning.hide()

        self.canvas = NetworkCanvas(self._spec)
        self.canvas.set_class_names(document.dataset.class_names)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("networkScroll")
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setBackgroundRole(QPalette.ColorRole.Base)
        self.scroll.installEventFilter(self)

        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(self.preset_combo)
        top.addSpacing(8)
        top.addWidget(self.link_hint, 1)
        top.addWidget(self.parameter_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.scroll, 1)
        status_row = QHBoxLayout()
        status_row.setContentsMargins(6, 0, 6, 4)
        status_row.addWidget(self.status_label, 1)
        layout.addLayout(status_row)

        self.canvas.featureClicked.connect(self._toggle_feature)
        self.canvas.insertLayerRequested.connect(self._insert_layer)
        self.canvas.removeLayerRequested.connect(self._remove_layer)
        self.canvas.widthChangeRequested.connect(self._set_width)
        self.canvas.widthOutOfRange.connect(self._width_out_of_range)
        self.canvas.activationChangeRequested.connect(self._set_activation)
        self.canvas.linkRequested.connect(self._add_link)
        self.canvas.removeLinkRequested.connect(self._remove_link)
        self.canvas.linkDragHint.connect(self._show_drag_hint)
        self.canvas.neuronHovered.connect(self.neuronHovered)
        self.canvas.neuronUnhovered.connect(self.neuronUnhovered)
        document.specChanged.connect(self._on_spec_changed)
        document.weightsReplaced.connect(self._on_weights_replaced)
        document.datasetChanged.connect(self._on_dataset_changed)
        document.pathChanged.connect(self._on_path_changed)

        self.set_input_bounds(*document.dataset.bounds())
        self._update_parameter_label()
        self._on_weights_replaced()

    # --- live data ------------------------------------------------------------------------------------
    @Slot(object)
    def set_weights(self, weights: Sequence[tuple[np.ndarray, np.ndarray]] | None) -> None:
        """Recolour the edges (sign) and thicken them (|weight|); weights that do not fit draw grey."""
        self.canvas.set_weights(weights)

    @Slot(object)
    def set_neuron_maps(self, maps: Sequence[np.ndarray] | None) -> None:
        """One (width, S, S) uint8 array per hidden layer plus one for the output (views.neuron_maps)."""
        self.canvas.set_neuron_maps(maps)

    @Slot(object)
    def set_neuron_deltas(self, deltas: Sequence[np.ndarray] | None) -> None:
        """The error-signal glow: per node 1..L+1 the mean |δ| of each neuron (None: no glow)."""
        self.canvas.set_neuron_deltas(deltas)

    @Slot(float, float, float, float)
    def set_input_bounds(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """The visible input plane: redraw the input features' thumbnails over it (connect to the canvas's
        visibleRangeChanged)."""
        self.canvas.set_feature_maps(
            feature_maps((x0, x1, y0, y1), THUMBNAIL_SIZE, self._document.spec.input_scaling)
        )

    # --- edits ----------------------------------------------------------------------------------------
    def _propose(
        self,
        edit: Callable[[NetworkSpec], NetworkSpec],
        text: str,
        note: Callable[[NetworkSpec, NetworkSpec], str] | None = None,
    ) -> None:
        """Apply one edit through the document, explaining refusals and asking before huge networks;
        `note(old, new)` says what the edit did besides the obvious (links it moved or removed)."""
        old = self._document.spec
        try:
            new = edit(old)
        except SpecError as exc:
            self._show_status(f"Not changed: {exc}.", error=True)
            self.canvas.refresh_controls()
            return
        if new == old:
            return
        self._note = note(old, new) if note is not None else ""
        if grows_past_large(old, new):
            self._pending = (new, text)
            self.warning_label.setText(
                f"This network would have {new.n_parameters:,} parameters (more than "
                f"{LARGE_NETWORK_PARAMETERS:,}): training and the live views will be slow."
            )
            self.warning.show()
            self.canvas.refresh_controls()
            return
        self._document.set_spec(new, text)

    @Slot()
    def _apply_pending(self) -> None:
        pending, self._pending = self._pending, None
        self.warning.hide()
        if pending is not None:
            self._document.set_spec(*pending)

    @Slot()
    def _cancel_pending(self) -> None:
        self._pending = None
        self._note = ""
        self.warning.hide()
        self._show_status("Kept the smaller network.")

    @Slot(str)
    def _toggle_feature(self, feature: str) -> None:
        verb = "Remove" if feature in self._document.spec.features else "Add"
        self._propose(
            lambda spec: toggle_feature(spec, feature),
            f"{verb} input feature {FEATURES[feature]}",
            _residual_note,
        )

    @Slot(int)
    def _insert_layer(self, index: int) -> None:
        def note(old: NetworkSpec, new: NetworkSpec) -> str:
            return (
                "The links keep joining the same layers (renumbered). "
                if old.connections or old.residuals
                else ""
            )

        self._propose(lambda spec: insert_layer(spec, index), f"Insert hidden layer {index + 1}", note)

    @Slot(int)
    def _remove_layer(self, index: int) -> None:
        def note(old: NetworkSpec, new: NetworkSpec) -> str:
            lost = links_lost_by_removal(old, index)
            if not lost:
                return ""
            names = ", ".join(_link_name(old, link) for link in lost)
            return f"Removed with it: {names}. "

        self._propose(lambda spec: remove_layer(spec, index), f"Remove hidden layer {index + 1}", note)

    @Slot(int, int)
    def _set_width(self, index: int, width: int) -> None:
        self._propose(
            lambda spec: set_layer_width(spec, index, width),
            f"Layer {index + 1}: {width} neurons",
            _residual_note,
        )

    @Slot(int, int, str)
    def _add_link(self, source: int, target: int, kind: str) -> None:
        spec = self._document.spec
        link = Link(source, target)
        name = "weighted connection" if kind == "connection" else "residual link"

        def note(old: NetworkSpec, new: NetworkSpec) -> str:
            src, dst = node_label(old, source), node_label(old, target)
            if kind == "connection":
                return f"Added a weighted connection {old.link_text(link)}: {dst} also reads {src}. "
            return f"Added a residual link {old.link_text(link)}: {src}'s output is added to {dst}'s. "

        self._propose(
            lambda spec: add_link(spec, source, target, kind),  # type: ignore[arg-type]
            f"Add {name} {spec.link_text(link)}",
            note,
        )

    @Slot(int, int, str)
    def _remove_link(self, source: int, target: int, kind: str) -> None:
        spec = self._document.spec
        link = Link(source, target)

        def note(old: NetworkSpec, new: NetworkSpec) -> str:
            return f"Removed {_link_name(old, link)} (Ctrl+Z brings it back). "

        self._propose(
            lambda spec: remove_link(spec, source, target), f"Remove link {spec.link_text(link)}", note
        )

    @Slot(str, bool)
    def _show_drag_hint(self, text: str, refused: bool) -> None:
        """While a link is dragged: where to drop it and what a drop would add ("" when the drag ends)."""
        self._show_status(text, error=refused)

    @Slot(int, int)
    def _width_out_of_range(self, index: int, typed: int) -> None:
        """Say why a typed width was not taken (the field shows the old width again)."""
        width = self._document.spec.hidden[index].width if index < len(self._document.spec.hidden) else 0
        self._show_status(
            f"Not changed: a layer has 1 to {MAX_LAYER_WIDTH:,} neurons; {typed:,} is out of range, so layer "
            f"{index + 1} keeps {width} neurons.",
            error=True,
        )

    @Slot(int, str)
    def _set_activation(self, index: int, activation: str) -> None:
        self._propose(
            lambda spec: set_layer_activation(spec, index, activation),
            f"Layer {index + 1}: {ACTIVATION_LABELS.get(activation, activation)}",
        )

    @Slot(int)
    def _apply_preset(self, row: int) -> None:
        name = self.preset_combo.itemData(row)
        self.preset_combo.setCurrentIndex(0)
        preset = next((p for p in PRESETS if p.name == name), None)
        if preset is not None:
            self._propose(preset.apply, f"Preset: {preset.label}")

    # --- document signals -----------------------------------------------------------------------------
    @Slot()
    def _on_spec_changed(self) -> None:
        old, new = self._spec, self._document.spec
        self._spec = new
        if self._pending is not None:  # the question was about the old network (undo, preset, ...)
            self._pending = None
            self.warning.hide()
        self.canvas.set_spec(new)
        self._fit_to_size()
        self._update_parameter_label()
        note, self._note = self._note, ""
        if old == new:
            return
        changed = changed_weight_layers(old, new)
        if changed:
            names = ", ".join(_linear_layer_name(i, new) for i in changed)
            self._show_status(
                f"{note}Weights re-initialised for changed layers (into {names}); the others are kept."
            )
        elif old.hidden != new.hidden:
            self._show_status(f"{note}Activation changed; all weights are kept.")
        else:
            self._show_status(f"{note}All weights are kept.")
        self.weightsInvalidated.emit(changed)

    @Slot()
    def _on_path_changed(self) -> None:
        """A project was opened, restored or started (Document.load empties the undo stack): what the status
        line said about the previous network's weights no longer applies."""
        if self._document.undo_stack.count() == 0:
            self._show_status("")

    @Slot()
    def _on_weights_replaced(self) -> None:
        document = self._document
        self.canvas.set_weights(document.weights)
        if document.weights is None and document.weights_change == "edit":  # Reset, a lesson step: all new
            self._show_status(f"All weights start afresh (seed {document.settings.seed}).")

    @Slot()
    def _on_dataset_changed(self) -> None:
        self.canvas.set_class_names(self._document.dataset.class_names)

    def _update_parameter_label(self) -> None:
        count = self._spec.n_parameters
        text = f"{count:,} parameters"
        if count > LARGE_NETWORK_PARAMETERS:
            text += "  (large: training will be slow)"
        self.parameter_label.setText(text)

    def _show_status(self, text: str, error: bool = False) -> None:
        self.status_label.setStyleSheet(style_sheet("error_text") if error else "")
        self.status_label.setText(text)

    # --- sizing ---------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll and event.type() == QEvent.Type.Resize:
            self._fit_to_size()
        return super().eventFilter(watched, event)

    def _fit_to_size(self) -> None:
        """Columns narrow and nodes shrink so the network fits the panel without scrolling when it can; wide
        layers show as many neurons as fit the height.

        Sized from the scroll area's room *without* scroll bars (so showing one cannot start a resize loop);
        only when the network is wider than that does the horizontal bar's height come off.
        """
        room = self.scroll.maximumViewportSize()
        width, height = room.width(), room.height()
        metrics, _ = fit_metrics(self._spec, width, height)
        if layout_width(self._spec, metrics) > width:
            height -= self.scroll.horizontalScrollBar().sizeHint().height()
        metrics, slots = fit_metrics(self._spec, width, height)
        self.canvas.set_geometry_hint(metrics, slots)


def _preview() -> None:  # pragma: no cover - a quick look: python -m workbench.qt.network_panel
    import sys

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.core.data.generators import generate
    from workbench.core.model.engine.network import Network
    from workbench.core.model.spec import TrainingSettings
    from workbench.core.present.views import neuron_maps
    from workbench.core.training.trainer import Trainer

    app = QApplication.instance() or QApplication(sys.argv)
    dataset = generate("moons", seed=1)
    document = Document(dataset, NetworkSpec(), TrainingSettings())
    panel = NetworkPanel(document)
    state: dict = {}

    def restart() -> None:
        state["trainer"] = Trainer(document.dataset, document.spec, document.settings)

    def tick() -> None:  # train on the GUI thread: fine for a preview, never in the app
        trainer = state["trainer"]
        trainer.step(5)
        weights = trainer.snapshot().weights
        network = Network(document.spec)
        network.set_weights(weights)
        panel.set_weights(weights)
        panel.set_neuron_maps(neuron_maps(network, document.spec, dataset.bounds(), THUMBNAIL_SIZE))

    restart()
    document.specChanged.connect(restart)
    timer = QTimer(panel)
    timer.timeout.connect(tick)
    timer.start(33)
    panel.resize(1000, 640)
    panel.show()
    sys.exit(app.exec())


if __name__ == "__main__":
    _preview()

"""Wires the network panel into the running app: live weights and thumbnails, and the hovered neuron.

- Training frames recolour the panel's edges (`frame.snapshot.weights`) and thumbnails
  (`frame.neuron_maps`) at `DRAW_RATE`, a few milliseconds after the decision regions (`FrameThrottle`), so
  the panel's repaint (4-9 ms) is an event of its own instead of lengthening the canvas's. Until the first
  frame arrives (the training process takes a moment to start), and whenever the document's weights are
  replaced (open, import, undo), the panel shows the network's current weights at once, thumbnails
  computed here, so an untrained network is drawn too.
- The network's error signal glows red around each neuron (`frame.snapshot.gradients.deltas`, mean |δ|
  measured by the training process at its record points), while training runs live (not while the
  timeline looks back, and not on weights no step was measured on).
- The input thumbnails follow the canvas's visible area, like the decision regions and neuron maps.
- Hovering a neuron paints its picture large over the dataset canvas (`canvas.set_overlay_image`) and marks
  it in the hidden-space view; both follow each new frame while the mouse stays, and clear on leaving.

One call does it: `install_live_network(window, panel, controller)` (see `workbench.qt.app.install_panels`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.engine import Network
from workbench.core.model.spec import FEATURES, NetworkSpec
from workbench.core.present.network_layout import ACTIVATION_LABELS, is_one_sided, weights_match
from workbench.core.present.neuron_overlay import neuron_overlay, overlay_size, thumbnail_overlay
from workbench.core.present.views import ViewFrame, neuron_maps
from workbench.qt.document import Document
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.network_panel import THUMBNAIL_SIZE, NetworkPanel
from workbench.qt.theme import style_sheet


def weights_fit(spec: Any, weights: Any) -> bool:
    """True when `weights` has the shapes a network built from `spec` needs."""
    return weights is not None and all(weights_match(spec, list(weights)))


def neuron_caption(spec: NetworkSpec, layer: int, neuron: int, class_names: tuple[str, ...] = ()) -> str:
    """What the overlay shows and how to read its colours, e.g. "Layer 2, neuron 3 (tanh): ..."."""
    if layer == 0:
        name = FEATURES[spec.features[neuron]]
        return f"Input {name}: orange negative · white 0 · blue positive"
    if layer == len(spec.hidden) + 1 and spec.is_regression:
        return "Output: the predicted value: orange negative · white 0 · blue positive"
    if layer == len(spec.hidden) + 1:
        name = class_names[neuron] if neuron < len(class_names) else f"class {neuron + 1}"
        return f"Output: probability of {name} (white 0 … full colour 1)"
    activation = spec.hidden[layer - 1].activation
    colours = (
        "white off … blue on" if is_one_sided(activation) else "orange negative · white 0 · blue positive"
    )
    return f"Layer {layer}, neuron {neuron + 1} ({ACTIVATION_LABELS[activation]}): {colours}"


#: Panel redraws per second while training (thumbnails change at the worker's secondary rate, 15 Hz).
DRAW_RATE = 15.0
#: How long after the decision regions the panel draws: its paint then gets an event-loop turn of its own.
DRAW_DELAY_MS = 10

#: Above this many parameters the thumbnails wait for the worker instead of being computed on the GUI thread.
MAX_LOCAL_THUMBNAIL_PARAMETERS = 200_000


class LiveNetwork(QObject):
    """Feeds the network panel from the training controller and shows the hovered neuron elsewhere."""

    def __init__(
        self,
        document: Document,
        panel: NetworkPanel,
        canvas: Any,
        controller: Any = None,
        hidden_plot: Any = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._panel = panel
        self._canvas = canvas
        self._controller = controller
        self._hidden_plot = hidden_plot
        self._hovered: tuple[int, int] | None = None
        self._network: Network | None = None  # evaluates overlays; rebuilt when the spec changes
        self._shown_maps: Any = None  # the neuron maps on the panel (frames in between carry the same tuple)
        self.caption = QLabel(canvas)
        self.caption.setObjectName("neuronOverlayCaption")
        self.caption.setStyleSheet(style_sheet("neuron_caption"))
        self.caption.hide()

        panel.set_input_bounds(*canvas.visible_range())
        canvas.visibleRangeChanged.connect(panel.set_input_bounds)
        canvas.visibleRangeChanged.connect(self._on_visible_range_changed)
        panel.neuronHovered.connect(self.hover)
        panel.neuronUnhovered.connect(self.unhover)
        document.weightsReplaced.connect(self.show_current_weights)  # after the panel's own (edges only)
        if controller is not None:
            controller.set_view_options(neuron_map_size=THUMBNAIL_SIZE)
            # The hidden-space plot re-applies the mark itself whenever it draws a newer view.
            self._throttle = FrameThrottle(DRAW_RATE, DRAW_DELAY_MS, self)
            self._throttle.frameDue.connect(self.show_frame)
            controller.frameArrived.connect(self._throttle.push)
        if controller is not None and controller.last_frame is not None:
            self.show_frame(controller.last_frame)
        else:
            self.show_current_weights()

    # --- frames -----------------------------------------------------------------------------------------
    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        """Draw one training frame in the panel (and refresh the hovered neuron's pictures)."""
        self._panel.set_weights(frame.shown_weights)  # a recorded moment while the timeline looks back
        gradients = frame.snapshot.gradients
        live = frame.recorded is None and gradients is not None and gradients.deltas_step >= 0
        self._panel.set_neuron_deltas(gradients.deltas if live else None)  # the δ glow: live training only
        if frame.neuron_maps is not self._shown_maps:  # the same tuple: thumbnails did not change
            self._shown_maps = frame.neuron_maps
            self._panel.set_neuron_maps(frame.neuron_maps)
        if self._hovered is not None:
            self._show_hovered(frame)

    @Slot()
    def show_current_weights(self) -> None:
        """Draw the document's weights (None: the fresh network the trainer starts from) with thumbnails
        computed on this thread, once: the picture before the first frame and right after the weights were
        replaced (open, import, reset, undo), before the trainer has sent a frame of them."""
        document = self._document
        spec = document.spec
        weights = document.weights
        if not weights_fit(spec, weights):
            weights = Network(spec, seed=document.settings.seed).get_weights()
        network = self._network_with(weights)
        self._panel.set_weights(network.get_weights())
        self._panel.set_neuron_deltas(None)  # no training step measured on these weights yet
        if spec.n_parameters <= MAX_LOCAL_THUMBNAIL_PARAMETERS:
            with np.errstate(all="ignore"):
                maps = neuron_maps(network, spec, self._canvas.visible_range(), THUMBNAIL_SIZE)
            self._shown_maps = maps
            self._panel.set_neuron_maps(maps)

    def current_weights(self) -> Any:
        """The network's weights now: the document's if they fit the spec (trained, opened, imported), else
        the latest frame's, else a fresh network's initial weights from the training seed."""
        spec = self._document.spec
        if weights_fit(spec, self._document.weights):  # trained, opened or just imported
            return self._document.weights
        frame = self._controller.last_frame if self._controller is not None else None
        if frame is not None and weights_fit(spec, frame.snapshot.weights):
            return frame.snapshot.weights
        return Network(spec, seed=self._document.settings.seed).get_weights()

    # --- hover ------------------------------------------------------------------------------------------
    @Slot(int, int)
    def hover(self, layer: int, neuron: int) -> None:
        """Show neuron `neuron` of `layer` (0 = inputs, 1..L hidden, L + 1 output) on the canvas and in the
        hidden-space view."""
        self._hovered = (layer, neuron)
        frame = self._controller.last_frame if self._controller is not None else None
        self._show_hovered(frame)

    @Slot()
    def unhover(self) -> None:
        self._hovered = None
        self._canvas.set_overlay_image(None, (0.0, 0.0, 1.0, 1.0))
        self.caption.hide()
        if self._hidden_plot is not None:
            self._hidden_plot.highlight_neuron(None)

    @property
    def hovered(self) -> tuple[int, int] | None:
        return self._hovered

    @Slot(float, float, float, float)
    def _on_visible_range_changed(self, *_: float) -> None:
        if self._hovered is not None:
            self._show_hovered(None)

    def _show_hovered(self, frame: ViewFrame | None) -> None:
        assert self._hovered is not None
        layer, neuron = self._hovered
        spec = self._document.spec
        sizes = spec.layer_sizes
        width = len(spec.features) if layer == 0 else (sizes[layer] if 0 < layer < len(sizes) else 0)
        if not 0 <= neuron < width:  # stale: the spec changed under the mouse
            self.unhover()
            return
        colors = tuple(CLASS_COLORS)
        bounds = self._canvas.visible_range()
        if frame is None and self._controller is not None:
            frame = self._controller.last_frame
        if layer == 0 or overlay_size(spec, layer):
            # The timeline shows a recorded moment: the hovered neuron as it was then.
            looking_back = (
                frame is not None and frame.recorded is not None and weights_fit(spec, frame.shown_weights)
            )
            network = self._network_with(frame.shown_weights if looking_back else self.current_weights())
            rgba, rect = neuron_overlay(network, layer, neuron, bounds, colors)
        else:  # too big to evaluate on the GUI thread: enlarge the worker's thumbnail
            frame = frame or (self._controller.last_frame if self._controller is not None else None)
            maps = frame.neuron_maps if frame is not None else ()
            if layer - 1 >= len(maps) or maps[layer - 1].shape[0] != width:
                return  # no fitting thumbnail yet: the next frame brings one
            rgba, rect = thumbnail_overlay(maps[layer - 1][neuron], spec, layer, neuron, frame.bounds, colors)
        self._canvas.set_overlay_image(rgba, rect)
        text = neuron_caption(spec, layer, neuron, self._document.dataset.class_names)
        if text != self.caption.text() or not self.caption.isVisible():
            self.caption.setText(text)
            self.caption.adjustSize()
            self.caption.move(56, 8)  # inside the plot, clear of the y axis
            self.caption.show()
            self.caption.raise_()
        if self._hidden_plot is not None:
            self._hidden_plot.highlight_neuron(layer, neuron)

    def _network_with(self, weights: Any) -> Network:
        spec = self._document.spec
        if self._network is None or self._network.spec != spec:
            self._network = Network(spec)
        self._network.set_weights(weights)
        return self._network


def install_live_network(window: Any, panel: NetworkPanel, controller: Any = None) -> LiveNetwork:
    """Connect `panel` (already in the window's network dock) to the window's canvas, the training
    controller and the hidden-space view (found by its objectName ``hiddenSpacePlot`` if it has
    `highlight_neuron`)."""
    from PySide6.QtWidgets import QWidget

    hidden = window.findChild(QWidget, "hiddenSpacePlot")
    if not callable(getattr(hidden, "highlight_neuron", None)):
        hidden = None
    live = LiveNetwork(window.document, panel, window.canvas, controller, hidden, window)
    window.live_network = live
    return live

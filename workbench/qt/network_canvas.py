"""The drawing of the network: columns of neuron thumbnails, weighted edges and the per-layer controls.

Geometry comes from `core.present.network_layout`; this widget paints it and turns mouse gestures into
requests (signals) that the `NetworkPanel` turns into spec edits. The layout, the header widgets and the
per-edge line objects are rebuilt only when the spec (or the available height) changes; during training only
the edge batches, the link arcs' pens and the thumbnail images are replaced, ~30 times a second.

Links besides the chain: dragging from a column to a later one asks for a link (`linkRequested`; when both
a weighted connection and a residual link fit, a small menu at the drop point lets the user pick), the
hint while dragging goes out through `linkDragHint`, and a click on an arc, or Delete while hovering it,
asks to remove it (`removeLinkRequested`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QValidator,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QToolTip,
    QWidget,
)

from workbench.core import limits
from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.network_edits import LinkKind, node_label
from workbench.core.model.spec import ACTIVATIONS, FEATURES, MAX_LAYER_WIDTH, Link, NetworkSpec
from workbench.core.present.network_layout import (
    ACTIVATION_FORMULAS,
    ACTIVATION_LABELS,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    RESIDUAL_WIDTH,
    UNKNOWN_EDGE_COLOR,
    Arc,
    DropTarget,
    Hit,
    Metrics,
    NetworkLayout,
    NodeBox,
    Rect,
    arc_style,
    column_bottom,
    delta_glow,
    drag_hint,
    drag_source_at,
    drop_target_at,
    drop_targets,
    edge_levels,
    edge_values,
    format_link,
    format_weight,
    header_tooltip,
    hit_test,
    layout_network,
    level_style,
    link_norms,
    palette_for,
)
from workbench.qt.theme import style_sheet, view_color

Weights = Sequence[tuple[np.ndarray, np.ndarray]]

#: After this long without a new frame, the live (unsmoothed) edges are redrawn antialiased.
SETTLE_MS = 250
#: The error signal's colour (the lecture draws δ messages as red arrows).
GLOW_COLOR = QColor(220, 30, 40)


def _qrect(rect: Rect) -> QRectF:
    return QRectF(rect.x, rect.y, rect.w, rect.h)


def _color_table(palette: np.ndarray) -> list[int]:
    return [0xFF000000 | (int(r) << 16) | (int(g) << 8) | int(b) for r, g, b in palette]


def _faded(color: QColor, alpha: float, background: QColor) -> QColor:
    """`color` at opacity `alpha` over `background`, as an opaque colour: opaque lines draw much faster."""
    return QColor.fromRgbF(
        color.redF() * alpha + background.redF() * (1 - alpha),
        color.greenF() * alpha + background.greenF() * (1 - alpha),
        color.blueF() * alpha + background.blueF() * (1 - alpha),
    )


def _polyline_path(points: np.ndarray) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in points]))
    return path


def _tiles(maps: np.ndarray, table: list[int]) -> list[tuple[QImage, QRect]]:
    """(n, S, S) uint8 maps with row 0 at the bottom -> one indexed QImage holding the n tiles stacked
    (top row first), and each tile's source rectangle. One image per layer keeps a frame cheap."""
    n, height, width = maps.shape
    rows = np.ascontiguousarray(maps[:, ::-1, :], dtype=np.uint8).reshape(n * height, width)
    image = QImage(rows.data, width, n * height, width, QImage.Format.Format_Indexed8)
    image.setColorTable(table)
    image = image.copy()  # own the pixels: `rows` goes away
    return [(image, QRect(0, i * height, width, height)) for i in range(n)]


class _QuietSpinBox(QSpinBox):
    """Ignores the mouse wheel unless focused, so scrolling the panel never changes a layer by accident."""

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _WidthSpinBox(_QuietSpinBox):
    """A layer-width field that lets the user finish typing a number outside its range and then says so
    (`outOfRange`), instead of silently dropping the digit that made it too large (5000 -> 500)."""

    outOfRange = Signal(int)

    def validate(self, text: str, position: int) -> object:
        state = super().validate(text, position)
        if _state_of(state) == QValidator.State.Invalid and self._typed_number(text) is not None:
            return (QValidator.State.Intermediate, text, position)
        return state

    def _typed_number(self, text: str | None = None) -> int | None:
        digits = (self.lineEdit().text() if text is None else text).strip().replace(",", "")
        return int(digits) if digits.isdigit() and len(digits) <= 9 else None

    def _report_out_of_range(self) -> None:
        typed = self._typed_number()
        if typed is not None and not self.minimum() <= typed <= self.maximum():
            self.outOfRange.emit(typed)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._report_out_of_range()
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._report_out_of_range()
        super().focusOutEvent(event)


def _state_of(result: object) -> object:
    """QValidator.State from what validate returned (PySide6 gives a state or a (state, text, pos) tuple)."""
    return result[0] if isinstance(result, tuple) else result


#: Stacked (narrow) headers: the activation box drops its arrow so "tanh" or "ReLU" fits 48 pixels.
_NARROW_COMBO_STYLE = (
    "QComboBox { border: 1px solid #a0a0a0; border-radius: 3px; padding: 0px 1px; font-size: 8pt;"
    " background: palette(base); } QComboBox::drop-down { width: 0px; border: none; }"
)


class _QuietComboBox(QComboBox):
    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _LayerControls:
    """The widgets on one hidden column's header, reused across spec changes (only values and places change).

    Reusing them matters: a button clicked by the user must not be deleted by the redraw its click causes.
    """

    def __init__(self, canvas: NetworkCanvas) -> None:
        self.index = 0
        self.remove = QToolButton(canvas)
        self.remove.setText("×")
        self.remove.setAutoRaise(True)
        self.minus = QToolButton(canvas)
        self.minus.setText("−")
        self.plus = QToolButton(canvas)
        self.plus.setText("+")
        self.width_field = _WidthSpinBox(canvas)
        self.width_field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.width_field.setRange(int(limits.LAYER_WIDTH.minimum), int(limits.LAYER_WIDTH.maximum))
        self.width_field.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
        self.width_field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.width_field.setKeyboardTracking(False)  # one edit when the user presses Enter, not per digit
        self.width_field.setToolTip(
            f"Neurons in this layer (1 to {MAX_LAYER_WIDTH}); type a number and Enter"
        )
        self.activation = _QuietComboBox(canvas)
        self.activation.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for i, name in enumerate(ACTIVATIONS):
            self.activation.addItem(ACTIVATION_LABELS[name], name)
            self.activation.setItemData(i, ACTIVATION_FORMULAS[name], Qt.ItemDataRole.ToolTipRole)
        self.remove.clicked.connect(lambda: canvas.removeLayerRequested.emit(self.index))
        self.minus.clicked.connect(lambda: canvas.widthChangeRequested.emit(self.index, self._width() - 1))
        self.plus.clicked.connect(lambda: canvas.widthChangeRequested.emit(self.index, self._width() + 1))
        self.width_field.valueChanged.connect(
            lambda value: canvas.widthChangeRequested.emit(self.index, value)
        )
        self.width_field.outOfRange.connect(lambda typed: canvas.widthOutOfRange.emit(self.index, typed))
        self._stacked = False
        self.activation.activated.connect(
            lambda row: canvas.activationChangeRequested.emit(self.index, self.activation.itemData(row))
        )
        self._current_width = 1

    def _width(self) -> int:
        return self._current_width

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.remove, self.minus, self.plus, self.width_field, self.activation)

    def update(self, index: int, spec: NetworkSpec, layout: NetworkLayout) -> None:
        self.index = index
        layer = spec.hidden[index]
        self._current_width = layer.width
        controls = layout.columns[index + 1].controls
        assert controls is not None
        number = index + 1
        for widget, rect in (
            (self.remove, controls.remove),
            (self.minus, controls.minus),
            (self.plus, controls.plus),
            (self.width_field, controls.width_field),
            (self.activation, controls.activation),
        ):
            widget.setGeometry(int(rect.x), int(rect.y), int(rect.w), int(rect.h))
            widget.show()
        if layout.metrics.stacked != self._stacked:
            self._stacked = layout.metrics.stacked
            self.activation.setStyleSheet(_NARROW_COMBO_STYLE if self._stacked else "")
        self.remove.setObjectName(f"removeLayer{number}")
        self.remove.setToolTip(f"Remove hidden layer {number}")
        self.minus.setObjectName(f"layer{number}Minus")
        self.minus.setToolTip(f"One neuron fewer in layer {number}")
        self.minus.setEnabled(layer.width > 1)
        self.plus.setObjectName(f"layer{number}Plus")
        self.plus.setToolTip(f"One neuron more in layer {number}")
        self.plus.setEnabled(layer.width < MAX_LAYER_WIDTH)
        self.width_field.setObjectName(f"layer{number}Width")
        self.activation.setObjectName(f"layer{number}Activation")
        self.activation.setToolTip(ACTIVATION_FORMULAS[layer.activation])
        self.width_field.blockSignals(True)
        self.activation.blockSignals(True)
        self.width_field.setValue(layer.width)
        self.activation.setCurrentIndex(ACTIVATIONS.index(layer.activation))
        self.width_field.blockSignals(False)
        self.activation.blockSignals(False)

    def hide(self) -> None:
        for widget in self.widgets():
            widget.hide()
            widget.setObjectName("")


class NetworkCanvas(QWidget):
    """Paints a `NetworkLayout`; emits what the user asked for. Lives inside the panel's scroll area."""

    neuronHovered = Signal(int, int)
    neuronUnhovered = Signal()
    featureClicked = Signal(str)
    insertLayerRequested = Signal(int)
    removeLayerRequested = Signal(int)
    widthChangeRequested = Signal(int, int)
    #: A width typed outside the allowed range: (hidden layer index, the typed number).
    widthOutOfRange = Signal(int, int)
    activationChangeRequested = Signal(int, str)
    #: A link dropped or picked: (source node, target node, "connection" or "residual").
    linkRequested = Signal(int, int, str)
    #: A click on an arc or Delete while hovering it: (source node, target node, kind).
    removeLinkRequested = Signal(int, int, str)
    #: What a link drag would do right now (text, True when it cannot), "" when the drag ends.
    linkDragHint = Signal(str, bool)
    #: A click on an edge (Linear index 0-based, row in its W, column) or on a neuron's bias (row -1):
    #: the loss surface picks its two parameters this way.
    parameterClicked = Signal(int, int, int)

    def __init__(self, spec: NetworkSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        self.setMouseTracking(True)
        self.setAutoFillBackground(True)
        self._metrics = Metrics()
        self._max_slots = 12
        self._spec = spec
        self._class_names: tuple[str, ...] = ()
        self._weights: Weights | None = None
        self._maps: Sequence[np.ndarray] | None = None
        self._deltas: Sequence[np.ndarray] | None = None  # per node 1..L+1: mean |δ| of each neuron
        self._glow: list[tuple[QRectF, QColor]] = []
        self._feature_maps: dict[str, np.ndarray] | None = None
        self._images: dict[tuple[int, int], tuple[QImage, QRect]] = {}
        self._feature_images: dict[str, tuple[QImage, QRect]] = {}
        self._hovered: tuple[int, int] | None = None
        self._expanded: set[int] = set()
        self._layer_controls: list[_LayerControls] = []
        self._insert_buttons: list[QToolButton] = []
        self._edge_batches: list[tuple[QPen, list[QLineF]]] = []
        self._overlay: tuple[tuple, QPixmap] | None = None
        self._tiles: dict[tuple[int, int], tuple[QRectF, tuple[QImage, QRectF]]] | None = None
        self._edge_pens: dict[tuple[int, int], QPen] = {}
        self._live = False
        self._arc_paths: list[tuple[Arc, QPainterPath]] = []
        self._arc_pens: dict[tuple[Link, str], QPen] = {}
        self._link_norms: dict[Link, float] = {}
        self._hovered_link: tuple[Link, LinkKind] | None = None
        self._press: tuple[QPointF, Hit | None, int | None] | None = None  # position, hit, drag source
        self._drag_source: int | None = None
        self._drag_position: QPointF | None = None
        self._drop: DropTarget | None = None
        self.link_menu: QMenu | None = None
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(SETTLE_MS)
        self._settle_timer.timeout.connect(self._settle)
        self._rebuild()

    # --- public ------------------------------------------------------------------------------------------
    @property
    def layout_geometry(self) -> NetworkLayout:
        return self._layout

    @property
    def spec(self) -> NetworkSpec:
        return self._spec

    @property
    def layer_controls(self) -> list[_LayerControls]:
        """Header widgets of the hidden layers, index i = spec.hidden[i] (for tests and keyboard focus)."""
        return self._layer_controls[: len(self._spec.hidden)]

    @property
    def insert_buttons(self) -> list[QToolButton]:
        return self._insert_buttons[: len(self._spec.hidden) + 1]

    def set_spec(self, spec: NetworkSpec) -> None:
        if spec != self._spec:
            if spec.layer_sizes != self._spec.layer_sizes:
                self._expanded = set()
            self._spec = spec
            self._rebuild()

    def set_geometry_hint(self, metrics: Metrics, max_slots: int) -> None:
        """Node size and how many neurons per column fit; relayout only when they change."""
        if metrics != self._metrics or max_slots != self._max_slots:
            self._metrics, self._max_slots = metrics, max_slots
            self._rebuild()

    def set_class_names(self, names: Sequence[str]) -> None:
        names = tuple(names)
        if names != self._class_names:
            self._class_names = names
            self.update()

    def set_weights(self, weights: Weights | None) -> None:
        self._weights = weights
        self._rebuild_edge_batches()
        self._live_frame()

    def set_neuron_maps(self, maps: Sequence[np.ndarray] | None) -> None:
        self._maps = maps
        self._rebuild_images()
        self._live_frame()

    def set_neuron_deltas(self, deltas: Sequence[np.ndarray] | None) -> None:
        """The error signal's glow: per node 1..L+1 the mean |δ| of each neuron (None: no glow). A red halo
        around each neuron, on a log scale over the whole network (`delta_glow`), so layers whose gradient
        vanishes go dark."""
        sizes = self._spec.layer_sizes[1:]
        if deltas is not None and [len(d) for d in deltas] != list(sizes):
            deltas = None  # another network's: the spec changed under the frame
        self._deltas = deltas
        self._rebuild_glow()
        self._live_frame()

    @property
    def neuron_deltas(self) -> Sequence[np.ndarray] | None:
        return self._deltas

    def glow_level(self, layer: int, neuron: int) -> float:
        """How strongly a neuron glows now (0 = not at all, 1 = the network's strongest error signal)."""
        if self._deltas is None or not 1 <= layer <= len(self._deltas):
            return 0.0
        return float(delta_glow(self._deltas)[layer - 1][neuron])

    def _rebuild_glow(self) -> None:
        self._glow = []
        if self._deltas is None:
            return
        for layer, levels in enumerate(delta_glow(self._deltas), 1):
            for neuron, level in enumerate(levels):
                node = self._layout.node(layer, neuron)
                if node is None or level <= 0.02:
                    continue
                # A soft halo, not a frame: strong enough to compare layers, quiet enough not to read as an
                # error marker on every neuron of a healthy network.
                spread = 1.5 + 3.5 * level
                rect = _qrect(node.rect).adjusted(-spread, -spread, spread, spread)
                color = QColor(GLOW_COLOR)
                color.setAlpha(int(25 + 120 * level))
                self._glow.append((rect, color))

    def _live_frame(self) -> None:
        """Repaint only the body (not the header widgets). While frames keep coming, edges are drawn without
        antialiasing (3-4x cheaper); once they stop for a moment the picture is redrawn smooth."""
        self._live = True
        self._settle_timer.start()
        self.update(self._body_rect())

    def _settle(self) -> None:
        self._live = False
        self.update(self._body_rect())

    def _body_rect(self) -> QRect:
        top = int(self._layout.metrics.margin + self._layout.metrics.header)
        return QRect(0, top, self.width(), self.height() - top)

    def set_feature_maps(self, maps: dict[str, np.ndarray] | None) -> None:
        self._feature_maps = maps
        self._rebuild_feature_images()
        self.update()

    def toggle_expanded(self, layer: int) -> None:
        """Show every neuron of a collapsed layer (the panel then scrolls), or collapse it again."""
        self._expanded ^= {layer}
        self._rebuild()

    @property
    def expanded_layers(self) -> frozenset[int]:
        return frozenset(self._expanded)

    def refresh_controls(self) -> None:
        """Put the header widgets back to the spec's values (after a refused edit)."""
        self._sync_controls()

    def hovered_neuron(self) -> tuple[int, int] | None:
        return self._hovered

    def hovered_link(self) -> tuple[Link, LinkKind] | None:
        return self._hovered_link

    @property
    def link_norms(self) -> dict[Link, float]:
        """‖W‖ of every connection's weight block in the weights shown (NaN where unknown)."""
        return dict(self._link_norms)

    # --- rebuilding (spec / size changes only) ------------------------------------------------------------
    def _rebuild(self) -> None:
        self._layout = layout_network(self._spec, self._max_slots, self._metrics, frozenset(self._expanded))
        self._overlay = None
        self.setMinimumSize(int(self._layout.width), int(self._layout.height))
        self.resize(int(self._layout.width), int(self._layout.height))
        self._tables: dict[int, list[list[int]]] = {}
        known: dict[bytes, list[int]] = {}
        for column in self._layout.columns:
            tables = []
            for node in column.nodes:
                palette = palette_for(self._spec, column.layer, node.neuron, CLASS_COLORS)
                key = palette.tobytes()
                if key not in known:
                    known[key] = _color_table(palette)
                tables.append(known[key])
            self._tables[column.layer] = tables
        edges = self._layout.edges
        self._lines = [
            QLineF(x0, y0, x1, y1)
            for x0, y0, x1, y1 in zip(
                edges.x0.tolist(), edges.y0.tolist(), edges.x1.tolist(), edges.y1.tolist(), strict=True
            )
        ]
        self._arc_paths = [(arc, _polyline_path(arc.points)) for arc in self._layout.arcs]
        if self._hovered_link is not None and self._layout.arc(*self._hovered_link) is None:
            self._hovered_link = None
        self._sync_controls()
        self._rebuild_edge_batches()
        self._rebuild_images()
        self._rebuild_feature_images()
        if self._deltas is not None and [len(d) for d in self._deltas] != list(self._spec.layer_sizes[1:]):
            self._deltas = None  # the spec changed: the glow waits for the new network's first frame
        self._rebuild_glow()
        if self._hovered is not None and self._layout.node(*self._hovered) is None:
            self._set_hovered(None)
        self.update()

    def _sync_controls(self) -> None:
        hidden = self._spec.hidden
        while len(self._layer_controls) < len(hidden):
            self._layer_controls.append(_LayerControls(self))
        for i, controls in enumerate(self._layer_controls):
            if i < len(hidden):
                controls.update(i, self._spec, self._layout)
            else:
                controls.hide()
        slots = self._layout.insert_slots
        while len(self._insert_buttons) < len(slots):
            button = QToolButton(self)
            button.setText("+")
            button.setStyleSheet(style_sheet("insert_layer_button"))
            position = len(self._insert_buttons)
            button.clicked.connect(lambda _=False, p=position: self.insertLayerRequested.emit(p))
            self._insert_buttons.append(button)
        for i, button in enumerate(self._insert_buttons):
            if i < len(slots):
                rect = slots[i]
                button.setGeometry(int(rect.x), int(rect.y), int(rect.w), int(rect.h))
                button.setObjectName(f"insertLayer{i}")
                button.setToolTip(f"Insert a hidden layer here (it becomes layer {i + 1})")
                button.show()
            else:
                button.hide()
                button.setObjectName("")

    def _rebuild_edge_batches(self) -> None:
        """Group the edges by (sign, thickness) so a frame is ~2·EDGE_LEVELS drawLines calls."""
        values = edge_values(self._layout, self._weights)
        levels = edge_levels(values)
        positive = values > 0
        keys = np.where(levels < 0, -1, levels * 2 + positive.astype(np.int64))
        self._edge_values = values
        # One sort instead of a mask per key, and pens made once per colour scheme: this runs 15 times a
        # second while training.
        order = np.argsort(keys, kind="stable")
        group_keys, starts = np.unique(keys[order], return_index=True)
        ends = [*starts[1:].tolist(), len(order)]
        order_list = order.tolist()
        lines = self._lines
        background = self.palette().base().color()
        batches: list[tuple[QPen, list[QLineF]]] = []
        for key, start, end in zip(group_keys.tolist(), starts.tolist(), ends, strict=True):
            batches.append((self._edge_pen(key, background), [lines[i] for i in order_list[start:end]]))
        batches.sort(key=lambda batch: batch[0].widthF())  # unknown and thin first, thick edges on top
        self._edge_batches = batches
        self._rebuild_arc_pens(background)

    def _rebuild_arc_pens(self, background: QColor) -> None:
        """Connections: the positive-weight colour, as wide and opaque as their weights' norm; residual
        links (no weights): dashed in a neutral grey."""
        self._link_norms = link_norms(self._spec, list(self._weights) if self._weights is not None else None)
        pens = {}
        for arc in self._layout.arcs:
            if arc.kind == "residual":
                pen = QPen(view_color("residual_link"), RESIDUAL_WIDTH, Qt.PenStyle.DashLine)
            else:
                width, alpha = arc_style(self._spec, arc.link, self._link_norms.get(arc.link, float("nan")))
                known = np.isfinite(self._link_norms.get(arc.link, float("nan")))
                color = QColor(POSITIVE_COLOR if known else UNKNOWN_EDGE_COLOR)
                pen = QPen(_faded(color, alpha if known else 0.9, background), width)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            pens[(arc.link, arc.kind)] = pen
        self._arc_pens = pens

    def _edge_pen(self, key: int, background: QColor) -> QPen:
        """The pen of an edge group: key -1 = unknown weight, else 2 x thickness level + (1 if positive)."""
        cache_key = (key, background.rgba())
        pen = self._edge_pens.get(cache_key)
        if pen is None:
            if key < 0:
                color, width, alpha = QColor(UNKNOWN_EDGE_COLOR), 0.8, 0.6
            else:
                width, alpha = level_style(key // 2)
                color = QColor(POSITIVE_COLOR if key % 2 else NEGATIVE_COLOR)
            pen = QPen(_faded(color, alpha, background), width)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            self._edge_pens[cache_key] = pen
        return pen

    def _rebuild_images(self) -> None:
        """One indexed image per hidden layer (drawn neurons stacked); one per output neuron (own colours)."""
        self._tiles = None
        self._images = {}
        if not self._maps:
            return
        sizes = self._spec.layer_sizes
        for column in self._layout.columns[1:]:
            index = column.layer - 1
            if index >= len(self._maps) or not column.nodes:
                continue
            layer_maps = np.asarray(self._maps[index])
            if layer_maps.ndim != 3 or layer_maps.shape[0] != sizes[column.layer]:
                continue  # a frame from before the last spec change
            tables = self._tables[column.layer]
            neurons = [node.neuron for node in column.nodes]
            if column.kind == "output":
                for neuron, table in zip(neurons, tables, strict=True):
                    self._images[(column.layer, neuron)] = _tiles(layer_maps[[neuron]], table)[0]
            else:
                for neuron, tile in zip(neurons, _tiles(layer_maps[neurons], tables[0]), strict=True):
                    self._images[(column.layer, neuron)] = tile

    def _rebuild_feature_images(self) -> None:
        self._tiles = None
        self._feature_images = {}
        if not self._feature_maps:
            return
        names = list(self._feature_maps)
        stack = np.stack([np.asarray(self._feature_maps[name]) for name in names])
        self._feature_images = dict(zip(names, _tiles(stack, self._tables[0][0]), strict=True))

    # --- painting --------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        """Background, edges and thumbnails change with every frame; the node frames, labels and "+N more"
        boxes do not, so they come from one cached pixmap (painting them node by node was ~2.5 ms of Python
        per frame, 15 times a second while training)."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(event.rect(), self.palette().base())
        if event.rect().top() < self._body_rect().top():
            self._paint_headers(painter)
        if self._drag_source is not None:
            self._paint_drop_targets(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, not self._live)
        for pen, lines in self._edge_batches:
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_arcs(painter)
        for rect, color in self._glow:  # the error signal's glow, under the thumbnails
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(rect, 4.0, 4.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # nodes are axis-aligned boxes
        if self._tiles is None:  # made when the thumbnails or the layout change, not on every paint
            self._tiles = self._node_tiles()
        tiles = self._tiles
        for rect, (image, source) in tiles.values():
            painter.drawImage(rect, image, source)
        painter.drawPixmap(0, 0, self._overlay_for(frozenset(tiles)))
        if self._drag_source is not None and self._drag_position is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_drag(painter)
        painter.end()

    def _paint_arcs(self, painter: QPainter) -> None:
        """Each link: its path, and at the target an arrowhead (connection) or a ⊕ (residual: adds)."""
        background = self.palette().base().color()
        for arc, path in self._arc_paths:
            key = (arc.link, arc.kind)
            pen = self._arc_pens.get(key)
            if pen is None:
                continue
            if key == self._hovered_link:  # a dark halo under the hovered arc
                halo = QPen(view_color("node_hovered"), pen.widthF() + 3.0)
                halo.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
                painter.setPen(halo)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            x, y = arc.end
            if arc.kind == "residual":
                centre = QPointF(x, y + 6.0)
                painter.setPen(QPen(pen.color(), 1.4))
                painter.setBrush(background)
                painter.drawEllipse(centre, 5.0, 5.0)
                painter.drawLine(QPointF(x - 3, y + 6), QPointF(x + 3, y + 6))
                painter.drawLine(QPointF(x, y + 3), QPointF(x, y + 9))
            else:
                size = 3.0 + pen.widthF()
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(pen.color())
                painter.drawPolygon(
                    QPolygonF(
                        [QPointF(x, y), QPointF(x - size / 2, y + size), QPointF(x + size / 2, y + size)]
                    )
                )

    def _paint_drop_targets(self, painter: QPainter) -> None:
        """While dragging a link: the columns it may end on tinted, the one under the mouse framed."""
        assert self._drag_source is not None
        for target in drop_targets(self._layout, self._drag_source):
            if not target.options.kinds:
                continue
            rect = _qrect(target.rect).adjusted(2, 2, -2, -2)
            painter.fillRect(rect, view_color("link_drop_target"))
            if self._drop is not None and self._drop.layer == target.layer:
                pen = QPen(view_color("link_drag"), 1.5, Qt.PenStyle.DashLine)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect, 6, 6)

    def _paint_drag(self, painter: QPainter) -> None:
        """The link being dragged: from the source column's bottom to the mouse."""
        assert self._drag_source is not None and self._drag_position is not None
        column = self._layout.columns[self._drag_source]
        node = column.nodes[-1].rect if column.nodes else Rect(column.x, 0, column.width, 0)
        start = QPointF(node.x + node.w / 2, column_bottom(column) + 3)
        end = self._drag_position
        path = QPainterPath(start)
        depth = max(start.y(), end.y()) + 30
        path.cubicTo(QPointF(start.x(), depth), QPointF(end.x(), depth), end)
        refused = self._drop is not None and not self._drop.options.kinds
        color = view_color("residual_link" if refused else "link_drag")
        painter.setPen(QPen(color, 2.0, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        painter.setBrush(color)
        painter.drawEllipse(end, 3.5, 3.5)

    def _node_tiles(self) -> dict[tuple[int, int], tuple[QRectF, tuple[QImage, QRectF]]]:
        """The thumbnail of every enabled node that has one: node key -> (target rect, (image, source))."""
        tiles = {}
        for column in self._layout.columns:
            for node in column.nodes:
                if not node.enabled:
                    continue
                tile = (
                    self._feature_images.get(node.feature)
                    if node.feature
                    else self._images.get((node.layer, node.neuron))
                )
                if tile is not None:
                    tiles[(node.layer, node.neuron)] = (_qrect(node.rect), (tile[0], QRectF(tile[1])))
        return tiles

    def _overlay_for(self, tiled: frozenset) -> QPixmap:
        """The cached picture of everything but edges and thumbnails, for nodes `tiled` having a thumbnail
        (the others get their empty fill here). Remade when the layout, hover, names, colours or the set of
        thumbnails change."""
        key = (
            tiled,
            self._hovered,
            self._class_names,
            self.palette().cacheKey(),
            self.devicePixelRatioF(),
            self.size(),
        )
        if self._overlay is not None and self._overlay[0] == key:
            return self._overlay[1]
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        for column in self._layout.columns:
            for node in column.nodes:
                self._paint_node(painter, node, column.kind, (node.layer, node.neuron) in tiled)
            if column.more is not None:
                self._paint_more(painter, column.more, column.hidden_count)
        painter.end()
        self._overlay = (key, pixmap)
        return pixmap

    def _text_color(self, dim: bool = False) -> QColor:
        color = QColor(self.palette().text().color())
        if dim:
            color.setAlphaF(0.55)
        return color

    def _paint_headers(self, painter: QPainter) -> None:
        base_font = QFont(self.font())
        bold = QFont(base_font)
        bold.setBold(True)
        small = QFont(base_font)
        small.setPointSizeF(max(7.0, base_font.pointSizeF() * 0.9))
        row = self._layout.metrics.row
        for column in self._layout.columns:
            header = column.header
            painter.setPen(self._text_color())
            painter.setFont(bold)
            if column.kind == "hidden":
                assert column.controls is not None
                title = _qrect(column.controls.title)
                text = f"Layer {column.layer}"
                if painter.fontMetrics().horizontalAdvance(text) > title.width():
                    text = f"L{column.layer}"  # narrow (stacked) columns; the tooltip says "Hidden layer N"
                painter.drawText(title, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
                continue
            title = QRectF(header.x, header.y, header.w, row)
            sub = QRectF(header.x, header.y + row + 6, header.w, row * 2)
            align = Qt.AlignmentFlag.AlignRight if column.kind == "input" else Qt.AlignmentFlag.AlignLeft
            painter.drawText(
                title, align | Qt.AlignmentFlag.AlignVCenter, "Input" if column.layer == 0 else "Output"
            )
            painter.setFont(small)
            painter.setPen(self._text_color(dim=True))
            if column.layer == 0:
                text = f"{len(self._spec.features)} of {len(FEATURES)} on\nclick to toggle"
                short = f"{len(self._spec.features)} of {len(FEATURES)}\non"
            elif self._spec.is_regression:
                text = "linear output:\none value"
                short = "linear"
            else:
                text = f"softmax over\n{column.total} classes"
                short = "softmax"
            widest = max(painter.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))
            if widest > sub.width():  # narrow columns (stacked headers): the tooltip says the rest
                text = short
            painter.drawText(sub, align | Qt.AlignmentFlag.AlignTop, text)

    def _paint_node(self, painter: QPainter, node: NodeBox, kind: str, has_tile: bool) -> None:
        """A node's frame and label, and its empty fill when it has no thumbnail (drawn under it)."""
        rect = _qrect(node.rect)
        key = (node.layer, node.neuron)
        painter.save()
        if not node.enabled:
            painter.setOpacity(0.35)
        if not has_tile:
            painter.fillRect(rect, view_color("network_empty_node"))
        hovered = self._hovered == key and node.enabled
        if kind == "output" and self._spec.is_regression:  # a value, not a class: no class colour
            pen = QPen(view_color("node_hovered" if hovered else "node_border"), 3.0 if hovered else 2.0)
        elif kind == "output":
            border = QColor(CLASS_COLORS[node.neuron % len(CLASS_COLORS)])
            pen = QPen(border, 3.0 if hovered else 2.0)
        else:
            pen = QPen(view_color("node_hovered" if hovered else "node_border"), 2.0 if hovered else 1.0)
            if not node.enabled:
                pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        if node.label is not None:
            painter.setPen(self._text_color())
            label = _qrect(node.label)
            if node.feature is not None:
                font = QFont(self.font())
                font.setBold(node.enabled)
                painter.setFont(font)
                painter.drawText(
                    label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, FEATURES[node.feature]
                )
            else:
                painter.setFont(self.font())
                name = (
                    self._class_names[node.neuron]
                    if node.neuron < len(self._class_names)
                    else f"class {node.neuron + 1}"
                )
                text = painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(label.width()))
                painter.drawText(label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()

    def _paint_more(self, painter: QPainter, rect: Rect, count: int) -> None:
        """The "+N more" button of a collapsed layer (or "fewer" under an expanded one): a box that fits its
        column, with the longest text that fits it."""
        painter.save()
        box = _qrect(rect).adjusted(2, 3, -2, -3)
        pen = QPen(view_color("network_more_border"), 1.0, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(view_color("network_more_background"))
        painter.drawRoundedRect(box, 5, 5)
        painter.setPen(self._text_color(dim=True))
        font = QFont(self.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        painter.setFont(font)
        texts = [f"+{count} more", f"+{count}"] if count > 0 else ["▲ fewer", "▲"]
        room = box.width() - 4
        text = next((t for t in texts if painter.fontMetrics().horizontalAdvance(t) <= room), texts[-1])
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    # --- mouse -----------------------------------------------------------------------------------------
    def hit(self, x: float, y: float) -> Hit | None:
        return hit_test(self._layout, x, y)

    def _set_hovered(self, key: tuple[int, int] | None) -> None:
        if key == self._hovered:
            return
        self._hovered = key
        self.update()
        if key is None:
            self.neuronUnhovered.emit()
        else:
            self.neuronHovered.emit(*key)

    def _set_hovered_link(self, key: tuple[Link, LinkKind] | None) -> None:
        if key == self._hovered_link:
            return
        self._hovered_link = key
        if key is not None:
            self._take_keyboard_focus()
        self.update()

    def _take_keyboard_focus(self) -> None:
        """Hovering an arc takes the keyboard, so Delete removes it, unless the user is typing somewhere."""
        focused = QApplication.focusWidget()
        if isinstance(focused, (QAbstractSpinBox, QLineEdit)) or (
            isinstance(focused, QComboBox) and focused.isEditable()
        ):
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        if self._press is not None and self._drag_source is None and self._press[2] is not None:
            moved = (position - self._press[0]).manhattanLength()
            if moved >= QApplication.startDragDistance():
                self._start_link_drag(self._press[2])
        if self._drag_source is not None:
            self._drag_to(position)
            super().mouseMoveEvent(event)
            return
        hit = self.hit(position.x(), position.y())
        if hit is not None and hit.kind == "node" and hit.enabled:
            self._set_hovered((hit.layer, hit.neuron))
        else:
            self._set_hovered(None)
        on_link = hit is not None and hit.kind == "link"
        self._set_hovered_link((hit.link, hit.link_kind) if on_link else None)  # type: ignore[arg-type]
        on_feature = hit is not None and hit.kind == "node" and hit.feature is not None
        clickable = on_feature or on_link or (hit is not None and hit.kind == "more")
        self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._set_hovered(None)
        if self._drag_source is None:
            self._set_hovered_link(None)
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            position = event.position()
            hit = self.hit(position.x(), position.y())
            source = drag_source_at(self._layout, position.x(), position.y())
            self._press = (position, hit, source if (hit is None or hit.kind != "link") else None)
            event.accept()
            return
        if self._drag_source is not None:  # another button cancels a drag
            self.cancel_link_drag()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            super().mouseReleaseEvent(event)
            return
        press, self._press = self._press, None
        event.accept()
        if self._drag_source is not None:
            self._finish_link_drag(event.position())
            return
        hit = press[1]  # a click: what was under the mouse when it went down
        if hit is None:
            return
        if hit.kind == "node" and hit.feature is not None:
            self.featureClicked.emit(hit.feature)
        elif hit.kind == "more":
            self.toggle_expanded(hit.layer)
        elif hit.kind == "link" and hit.link is not None and hit.link_kind is not None:
            self.removeLinkRequested.emit(hit.link.source, hit.link.target, hit.link_kind)
        elif hit.kind == "edge" and 0 <= hit.edge < len(self._layout.edges):
            edges = self._layout.edges
            self.parameterClicked.emit(
                int(edges.layer[hit.edge]), int(edges.src[hit.edge]), int(edges.dst[hit.edge])
            )
        elif hit.kind == "node" and hit.feature is None and hit.layer >= 1:
            self.parameterClicked.emit(hit.layer - 1, -1, hit.neuron)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._drag_source is not None:
            self.cancel_link_drag()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._hovered_link is not None:
            link, kind = self._hovered_link
            self.removeLinkRequested.emit(link.source, link.target, kind)
            event.accept()
            return
        super().keyPressEvent(event)

    # --- dragging a link --------------------------------------------------------------------------------
    def _start_link_drag(self, source: int) -> None:
        self._drag_source = source
        self._set_hovered(None)
        self._set_hovered_link(None)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._take_keyboard_focus()  # Esc cancels

    def _drag_to(self, position: QPointF) -> None:
        assert self._drag_source is not None
        self._drag_position = QPointF(position)
        self._drop = drop_target_at(self._layout, self._drag_source, position.x(), position.y())
        refused = self._drop is not None and not self._drop.options.kinds
        self.linkDragHint.emit(drag_hint(self._spec, self._drag_source, self._drop), refused)
        self.update()

    def _end_link_drag(self) -> None:
        self._drag_source = self._drag_position = self._drop = None
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.update()

    def cancel_link_drag(self) -> None:
        """Stop dragging without adding a link (Esc, another button, a release outside a target)."""
        if self._drag_source is not None:
            self._press = None
            self._end_link_drag()
            self.linkDragHint.emit("", False)

    def _finish_link_drag(self, position: QPointF) -> None:
        source = self._drag_source
        assert source is not None
        drop = drop_target_at(self._layout, source, position.x(), position.y())
        self._end_link_drag()
        if drop is None:
            self.linkDragHint.emit(
                "No link added: drop on a column to the right of the one you started from.", False
            )
            return
        kinds = drop.options.kinds
        if not kinds:
            src, dst = node_label(self._spec, source), node_label(self._spec, drop.layer)
            self.linkDragHint.emit(f"No link from {src} to {dst}: {drop.options.reason}.", True)
            return
        self.linkDragHint.emit("", False)
        if len(kinds) == 1:
            self.linkRequested.emit(source, drop.layer, kinds[0])
            return
        self._ask_link_kind(source, drop.layer, position.toPoint())

    def _ask_link_kind(self, source: int, target: int, at: QPoint) -> None:
        """Both kinds fit: a small menu at the drop point says what each does; picking one adds it."""
        if self.link_menu is not None:
            self.link_menu.close()
            self.link_menu.deleteLater()
        src, dst = node_label(self._spec, source), node_label(self._spec, target)
        menu = QMenu(self)
        menu.setObjectName("linkKindMenu")
        menu.setToolTipsVisible(True)
        title = menu.addAction(f"Link {src} → {dst}:")
        title.setEnabled(False)
        weighted = menu.addAction("Weighted connection (new weights)")
        weighted.setObjectName("linkKindConnection")
        weighted.setToolTip(
            f"{dst[0].upper()}{dst[1:]} also reads {src} through weights of its own, trained."
        )
        residual = menu.addAction("Residual link (adds, no weights)")
        residual.setObjectName("linkKindResidual")
        residual.setToolTip(
            f"The output of {src} is added to the output of {dst}: gradients flow straight back through it."
        )
        weighted.triggered.connect(lambda: self.linkRequested.emit(source, target, "connection"))
        residual.triggered.connect(lambda: self.linkRequested.emit(source, target, "residual"))
        self.link_menu = menu
        menu.popup(self.mapToGlobal(at))

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self._hovered_link is not None
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)  # type: ignore[attr-defined]
        ):
            event.accept()  # Delete here removes the hovered link, not the window's selected points
            return True
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and self._drag_source is not None
            and event.key() == Qt.Key.Key_Escape  # type: ignore[attr-defined]
        ):
            event.accept()
            return True
        return self._tooltip_event(event)

    def tooltip_at(self, x: float, y: float) -> str:
        """The hover text at a point: edge weight, activation formula, neuron or feature description."""
        hit = self.hit(x, y)
        if hit is None:
            return ""
        if hit.kind == "link" and hit.link is not None and hit.link_kind is not None:
            return format_link(
                self._spec, hit.link, hit.link_kind, self._link_norms.get(hit.link, float("nan"))
            )
        if hit.kind == "edge":
            return format_weight(
                self._layout, hit.edge, float(self._edge_values[hit.edge]), self._class_names
            )
        if hit.kind == "header":
            return header_tooltip(self._spec, hit.layer)
        if hit.kind == "more":
            column = self._layout.columns[hit.layer]
            if column.hidden_count == 0:
                return "Click to show only the first neurons of this layer again"
            return (
                f"{column.hidden_count} more neurons than fit (all of them are trained): click to show "
                "every neuron of this layer"
            )
        if hit.feature is not None:
            state = "on" if hit.enabled else "off"
            if hit.enabled and len(self._spec.features) == 1:
                name = FEATURES[hit.feature]
                return f"{name} is the only input feature, so it stays on: switch another one on first"
            return f"{FEATURES[hit.feature]} is {state}: click to switch it {'off' if hit.enabled else 'on'}"
        if hit.layer == len(self._spec.hidden) + 1:
            name = (
                self._class_names[hit.neuron] if hit.neuron < len(self._class_names) else f"{hit.neuron + 1}"
            )
            what = "the predicted value" if self._spec.is_regression else f"probability of {name}"
            return f"Output: {what}" + ("\n" + self._delta_text(hit.layer, hit.neuron)).rstrip()
        activation = self._spec.hidden[hit.layer - 1].activation
        return (
            f"Layer {hit.layer}, neuron {hit.neuron + 1} ({ACTIVATION_LABELS[activation]})\n"
            + self._delta_text(hit.layer, hit.neuron)
            + "Drag to a later column to add a link from this layer"
        )

    def _delta_text(self, layer: int, neuron: int) -> str:
        if self._deltas is None or not 1 <= layer <= len(self._deltas):
            return ""
        return f"Error signal: mean |δ| = {float(self._deltas[layer - 1][neuron]):.2e} (the red glow)\n"

    def _tooltip_event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            position = QPointF(event.pos())  # type: ignore[attr-defined]
            text = self.tooltip_at(position.x(), position.y())
            if text:
                QToolTip.showText(event.globalPos(), text, self)  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

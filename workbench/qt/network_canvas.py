"""The drawing of the network: columns of neuron thumbnails, weighted edges and the per-layer controls.

Geometry comes from `core.present.network_layout`; this widget paints it and turns mouse gestures into
requests (signals) that the `NetworkPanel` turns into spec edits. The layout, the header widgets and the
per-edge line objects are rebuilt only when the spec (or the available height) changes; during training only
the edge batches and the thumbnail images are replaced, ~30 times a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QValidator,
    QWheelEvent,
)
from PySide6.QtWidgets import QComboBox, QSpinBox, QToolButton, QToolTip, QWidget

from workbench.core import limits
from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.spec import ACTIVATIONS, FEATURES, MAX_LAYER_WIDTH, NetworkSpec
from workbench.core.present.network_layout import (
    ACTIVATION_FORMULAS,
    ACTIVATION_LABELS,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    UNKNOWN_EDGE_COLOR,
    Hit,
    Metrics,
    NetworkLayout,
    NodeBox,
    Rect,
    edge_levels,
    edge_values,
    format_weight,
    header_tooltip,
    hit_test,
    layout_network,
    level_style,
    palette_for,
)
from workbench.qt.theme import style_sheet, view_color

Weights = Sequence[tuple[np.ndarray, np.ndarray]]

#: After this long without a new frame, the live (unsmoothed) edges are redrawn antialiased.
SETTLE_MS = 250


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
        self._sync_controls()
        self._rebuild_edge_batches()
        self._rebuild_images()
        self._rebuild_feature_images()
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
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, not self._live)
        for pen, lines in self._edge_batches:
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # nodes are axis-aligned boxes
        if self._tiles is None:  # made when the thumbnails or the layout change, not on every paint
            self._tiles = self._node_tiles()
        tiles = self._tiles
        for rect, (image, source) in tiles.values():
            painter.drawImage(rect, image, source)
        painter.drawPixmap(0, 0, self._overlay_for(frozenset(tiles)))
        painter.end()

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
        if kind == "output":
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

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        hit = self.hit(position.x(), position.y())
        if hit is not None and hit.kind == "node" and hit.enabled:
            self._set_hovered((hit.layer, hit.neuron))
        else:
            self._set_hovered(None)
        on_feature = hit is not None and hit.kind == "node" and hit.feature is not None
        clickable = on_feature or (hit is not None and hit.kind == "more")
        self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._set_hovered(None)
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            position = event.position()
            hit = self.hit(position.x(), position.y())
            if hit is not None and hit.kind == "node" and hit.feature is not None:
                self.featureClicked.emit(hit.feature)
                event.accept()
                return
            if hit is not None and hit.kind == "more":
                self.toggle_expanded(hit.layer)
                event.accept()
                return
        super().mousePressEvent(event)

    def tooltip_at(self, x: float, y: float) -> str:
        """The hover text at a point: edge weight, activation formula, neuron or feature description."""
        hit = self.hit(x, y)
        if hit is None:
            return ""
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
            return f"Output: probability of {name}"
        activation = self._spec.hidden[hit.layer - 1].activation
        return f"Layer {hit.layer}, neuron {hit.neuron + 1} ({ACTIVATION_LABELS[activation]})"

    def event(self, event: QEvent) -> bool:
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

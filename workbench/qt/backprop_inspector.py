"""The Backprop inspector (`backpropInspector`): a point's F-pass and B-pass, step by step, on a diagram.

The numbers come from `workbench.core.present.backprop` (the same ones ``workbench backprop`` prints); this
module only lays them out and paints them. Pick a point with a click on the canvas (inspector mode) or let the
inspector follow the cursor; Next/Back walk the lecture's steps: forward node by node, the loss, δ node by
node backwards (red: the error signal flowing back along the edges, one arrow per path in a graph), ∂L/∂w on
every edge and ∂L/∂b on every neuron, then the update the current optimizer makes. Wide layers show their
top neurons by |δ| and a "+N more" line, so 1- to 200-wide layers stay readable; hover a neuron for all of its
numbers, click it to have the formulas explain it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import SpecError
from workbench.core.present import backprop
from workbench.core.present.backprop import BackpropTrace, WalkStep, fmt
from workbench.core.present.network_layout import NEGATIVE_COLOR, POSITIVE_COLOR
from workbench.qt.docks import add_tabbed_dock
from workbench.qt.theme import qcolor, view_color

#: Neurons shown per column at most; a wider layer shows its largest |δ| and "+N more".
MAX_SHOWN = 8
NODE_W, NODE_H, NODE_GAP = 104.0, 40.0, 8.0
#: Edges between two columns get number labels only when there are at most this many.
MAX_EDGE_LABELS = 12
MODES = ("point", "batch")
#: Room between two columns for the edges and their numbers; a narrower panel scrolls sideways instead.
MIN_EDGE_GAP = 60.0


@dataclass(frozen=True)
class NodeSpot:
    """Where one shown neuron is drawn."""

    node: int
    neuron: int
    rect: QRectF


class BackpropDiagram(QWidget):
    """Paints a `BackpropTrace` at one `WalkStep`; clicking a neuron emits `neuronClicked(node, neuron)`."""

    neuronClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropDiagram")
        self.setMinimumSize(420, 260)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.trace: BackpropTrace | None = None
        self.step: WalkStep | None = None
        self.selected: tuple[int, int] | None = None
        self.class_names: tuple[str, ...] = ()
        self.spots: list[NodeSpot] = []
        self.more: dict[int, int] = {}  # node -> neurons not shown

    def show_trace(self, trace: BackpropTrace | None, step: WalkStep | None) -> None:
        self.trace, self.step = trace, step
        if trace is not None:  # numbers stay readable: never squeeze the columns, scroll instead
            columns = trace.spec.output_node + 1
            self.setMinimumWidth(int(24 + columns * NODE_W + (columns - 1) * MIN_EDGE_GAP))
        self._layout()
        self.update()

    # ---------------------------------------------------------------------------------------- geometry
    def shown(self, node: int, slots: int = MAX_SHOWN) -> list[int]:
        """The neurons of a node that get a box: all of a narrow layer, else the largest |δ|."""
        trace = self.trace
        assert trace is not None
        if node == 0:
            return backprop.top_neurons(trace.features, slots)
        return backprop.top_neurons(trace.layer(node).delta, slots)

    def _layout(self) -> None:
        self.spots, self.more = [], {}
        trace = self.trace
        if trace is None:
            return
        out = trace.spec.output_node
        top, bottom = 34.0, 30.0 + (28.0 if not trace.spec.is_chain else 0.0)
        height = max(self.height() - top - bottom, NODE_H)
        slots = max(1, min(MAX_SHOWN, int((height + NODE_GAP) // (NODE_H + NODE_GAP)) - 1))
        usable = max(self.width() - 24.0 - NODE_W, 1.0)
        for node in range(out + 1):
            x = 12.0 + usable * node / max(out, 1)
            neurons = self.shown(node, slots)
            width = trace.spec.layer_sizes[node]
            if len(neurons) < width:
                self.more[node] = width - len(neurons)
            total = len(neurons) * NODE_H + (len(neurons) - 1) * NODE_GAP
            y0 = top + max((height - total) / 2, 0.0)
            for i, neuron in enumerate(neurons):
                rect = QRectF(x, y0 + i * (NODE_H + NODE_GAP), NODE_W, NODE_H)
                self.spots.append(NodeSpot(node, neuron, rect))

    def spot_at(self, x: float, y: float) -> NodeSpot | None:
        for spot in self.spots:
            if spot.rect.contains(QPointF(x, y)):
                return spot
        return None

    def resizeEvent(self, event: Any) -> None:
        self._layout()
        super().resizeEvent(event)

    # ---------------------------------------------------------------------------------------- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        spot = self.spot_at(event.position().x(), event.position().y())
        if spot is not None and spot.node > 0 and event.button() == Qt.MouseButton.LeftButton:
            self.selected = (spot.node, spot.neuron)
            self.neuronClicked.emit(spot.node, spot.neuron)
            self.update()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        spot = self.spot_at(event.position().x(), event.position().y())
        if spot is None or self.trace is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(
                event.globalPosition().toPoint(), self.neuron_text(spot.node, spot.neuron), self
            )
        super().mouseMoveEvent(event)

    def neuron_text(self, node: int, neuron: int) -> str:
        """Every number of one neuron (the hover text)."""
        trace = self.trace
        assert trace is not None
        if node == 0:
            return f"input {trace.feature_names[neuron]} = {fmt(trace.features[neuron])}"
        layer = trace.layer(node)
        name = self._neuron_name(node, neuron)
        lines = [name, f"z = {fmt(layer.z[neuron])}"]
        if layer.activation is None and trace.spec.is_regression:
            target = float(np.mean(trace.labels))  # one point's target, or the batch's mean
            lines.append(f"ŷ = {fmt(layer.a[neuron])}, target y = {fmt(target)}")
        elif layer.activation is None:
            lines.append(f"p = {fmt(layer.a[neuron])}" if trace.loss_name == "cross_entropy" else "")
        else:
            lines.append(f"g(z) = {fmt(layer.a[neuron])},  g'(z) = {fmt(layer.slope[neuron])}")
        lines += [f"δ = ∂L/∂z = {fmt(layer.delta[neuron])}", f"∂L/∂b = {fmt(layer.bias_grad[neuron])}"]
        if layer.update is not None:
            lines.append(f"update of b: {fmt(layer.update.bias_step[neuron])}")
        return "\n".join(line for line in lines if line)

    def _neuron_name(self, node: int, neuron: int) -> str:
        trace = self.trace
        assert trace is not None
        if node == trace.spec.output_node:
            names = self.class_names
            return f"output {names[neuron] if neuron < len(names) else neuron}"
        return f"layer {node}, neuron {neuron + 1}"

    # ---------------------------------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        text = pal.color(QPalette.ColorRole.Text)
        trace, step = self.trace, self.step
        if trace is None or step is None:
            painter.setPen(text)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Pick a point on the canvas")
            return
        self._paint_headers(painter, text)
        self._paint_links(painter, text)
        self._paint_edges(painter)
        self._paint_nodes(painter, text)
        painter.end()

    def column_x(self, node: int) -> float:
        for spot in self.spots:
            if spot.node == node:
                return spot.rect.x()
        return 0.0

    def _paint_headers(self, painter: QPainter, text: QColor) -> None:
        trace = self.trace
        assert trace is not None
        spec = trace.spec
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(text)
        for node in range(spec.output_node + 1):
            x = self.column_x(node)
            if node == 0:
                title = "input"
            elif node == spec.output_node:
                title = "output · " + ("softmax" if trace.loss_name == "cross_entropy" else "Euclidean")
            else:
                title = f"layer {node} · {spec.hidden[node - 1].activation}"
            current = self.step is not None and self.step.node == node and self.step.kind != "loss"
            painter.setPen(view_color("error_text") if current and self.step.kind == "backward" else text)
            if current:
                title = f"▸ {title}"
            painter.drawText(QRectF(x - 10, 6, NODE_W + 20, 22), Qt.AlignmentFlag.AlignCenter, title)
        painter.setFont(self.font())
        bottom = max((s.rect.bottom() for s in self.spots), default=0.0)
        for node, count in self.more.items():
            x = self.column_x(node)
            painter.drawText(
                QRectF(x - 10, bottom + 2, NODE_W + 20, 18), Qt.AlignmentFlag.AlignCenter, f"+{count} more"
            )

    def _centers(self) -> dict[tuple[int, int], QRectF]:
        return {(s.node, s.neuron): s.rect for s in self.spots}

    def _edge_value(self, node: int, source: int, row: int, col: int) -> tuple[float, str]:
        """What an edge source.col -> node.row shows at this step, and its label."""
        trace, step = self.trace, self.step
        assert trace is not None and step is not None
        layer = trace.layer(node)
        column = trace.source_blocks(node)[source].start + col
        weight = layer.weight[row, column]
        if step.kind in ("forward", "loss"):
            return weight * trace.output_of(source)[col], f"w {fmt(weight)}"
        if step.kind == "backward":
            return weight * layer.delta[row], f"wδ {fmt(weight * layer.delta[row])}"
        if step.kind == "gradients":
            return layer.weight_grad[row, column], fmt(layer.weight_grad[row, column])
        update = layer.update
        value = 0.0 if update is None else update.weight_step[row, column]
        return value, fmt(value)

    def _paint_edges(self, painter: QPainter) -> None:
        trace, step = self.trace, self.step
        assert trace is not None and step is not None
        centers = self._centers()
        by_node: dict[int, list[int]] = {}
        for spot in self.spots:
            by_node.setdefault(spot.node, []).append(spot.neuron)
        error = view_color("error_text")
        faint = self.palette().color(QPalette.ColorRole.Mid)
        backward = step.kind == "backward"
        for node in range(1, trace.spec.output_node + 1):
            for source in trace.spec.sources(node):
                pairs = [(r, c) for r in by_node.get(node, []) for c in by_node.get(source, [])]
                values = [self._edge_value(node, source, r, c) for r, c in pairs]
                scale = max((abs(v) for v, _ in values), default=0.0) or 1.0
                active = self._active(node, source)
                skip = source != node - 1
                for (row, col), (value, text) in zip(pairs, values, strict=True):
                    a = centers[(source, col)]
                    b = centers[(node, row)]
                    p0 = QPointF(a.right(), a.center().y())
                    p1 = QPointF(b.left(), b.center().y())
                    if not active:
                        color, width = faint, 0.7
                    elif backward:  # the newest messages (into this step's node) strong, earlier ones light
                        color, width = QColor(error), 0.8 + 3.5 * abs(value) / scale
                        if self.selected is not None and self.selected != (source, col):
                            color.setAlpha(150)  # the explained neuron's messages stand out
                        if source != step.node:
                            color.setAlpha(70)
                            width = 0.6 + 1.5 * abs(value) / scale
                    else:
                        color = qcolor(POSITIVE_COLOR if value >= 0 else NEGATIVE_COLOR)
                        width = 0.6 + 4.0 * abs(value) / scale
                    pen = QPen(color, width)
                    if skip:
                        pen.setStyle(Qt.PenStyle.DashLine)
                    painter.setPen(pen)
                    path = QPainterPath(p0)
                    if skip:
                        drop = 40.0 + 10.0 * (node - source)
                        path.cubicTo(p0 + QPointF(60, drop), p1 + QPointF(-60, drop), p1)
                    else:
                        path.lineTo(p1)
                    painter.drawPath(path)
                    if active and backward and source == step.node:
                        self._arrow(painter, path, color)
                    if active and self._labelled(node, source, row, col, len(pairs)):
                        # where labelled edges fan out: near the sources going forward, else near the targets
                        mid = path.pointAtPercent(0.3 if step.kind in ("forward", "loss") else 0.7)
                        self._edge_label(painter, mid, text, color)

    def _labelled(self, node: int, source: int, row: int, col: int, count: int) -> bool:
        """Numbers go on the edges of the neuron the formulas explain (all edges only in small layers)."""
        step, focus = self.step, self.selected
        assert step is not None
        if step.kind in ("forward", "loss"):
            return focus == (node, row) and step.node == node
        if step.kind == "backward":
            return focus == (source, col) and step.node == source
        return count <= MAX_EDGE_LABELS

    def _active(self, node: int, source: int) -> bool:
        step = self.step
        assert step is not None
        current = step.node or 0
        if step.kind == "forward":
            return node <= current
        if step.kind == "backward":  # δ has come back along every edge into a node whose δ is known
            return source >= current and source > 0
        return True

    def _arrow(self, painter: QPainter, path: QPainterPath, color: QColor) -> None:
        """An arrowhead near the source end: the error signal travels backwards."""
        tip = path.pointAtPercent(0.12)
        angle = math.radians(path.angleAtPercent(0.12))
        direction = QPointF(-math.cos(angle), math.sin(angle))  # towards the source
        normal = QPointF(-direction.y(), direction.x())
        head = QPolygonF([tip, tip - direction * 8 + normal * 4, tip - direction * 8 - normal * 4])
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPolygon(head)
        painter.restore()

    def _edge_label(self, painter: QPainter, at: QPointF, text: str, color: QColor) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 6.5))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 6, metrics.height()
        rect = QRectF(at.x() - w / 2, at.y() - h / 2, w, h)
        base = self.palette().color(QPalette.ColorRole.Base)
        base.setAlpha(220)
        painter.fillRect(rect, base)
        painter.setPen(color.darker(130) if color.lightness() > 160 else color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.setFont(self.font())

    def _paint_links(self, painter: QPainter, text: QColor) -> None:
        """Residual links: a dashed bracket under the columns with ⊕ at the target."""
        trace = self.trace
        assert trace is not None
        spec = trace.spec
        if not spec.residuals:
            return
        bottom = max((s.rect.bottom() for s in self.spots), default=0.0) + 22
        step = self.step
        current = (step.node or 0) if step is not None and step.kind == "backward" else None
        for lane, link in enumerate(spec.residuals):
            x0 = self.column_x(link.source) + NODE_W / 2
            x1 = self.column_x(link.target) + NODE_W / 2
            y = bottom + 6 + 5 * lane
            carries = current is not None and link.source >= current  # δ has come back along it
            color = view_color("error_text") if carries else text
            painter.setPen(QPen(color, 2.0 if carries else 1.4, Qt.PenStyle.DashLine))
            corners = [QPointF(x0, bottom - 18), QPointF(x0, y), QPointF(x1, y), QPointF(x1, bottom - 18)]
            painter.drawPolyline(QPolygonF(corners))
            caption = f"⊕ residual {spec.link_text(link)}"
            focus = self.selected
            if carries and focus is not None and focus[0] == link.source:
                value = trace.layer(link.target).dh[focus[1]]
                caption += f": hands back ∂L/∂h {fmt(value)} unchanged"
            painter.drawText(QRectF(x0, y + 1, x1 - x0, 16), Qt.AlignmentFlag.AlignCenter, caption)

    def _node_lines(self, node: int, neuron: int) -> tuple[str, str, float]:
        """Two lines of numbers for a neuron at this step and its emphasis 0..1 (None-like 0: greyed)."""
        trace, step = self.trace, self.step
        assert trace is not None and step is not None
        if node == 0:
            return trace.feature_names[neuron], fmt(trace.features[neuron]), 1.0
        layer = trace.layer(node)
        current = step.node or 0
        out = trace.spec.output_node
        is_out = node == out
        first = ("p " if trace.loss_name == "cross_entropy" else "ŷ ") if is_out else "g "
        if step.kind == "forward":
            if node > current:
                return "", "", 0.0
            return f"z {fmt(layer.z[neuron])}", "" if is_out else first + fmt(layer.a[neuron]), 1.0
        if step.kind == "loss":
            return f"z {fmt(layer.z[neuron])}", first + fmt(layer.a[neuron]), 1.0
        scale = float(np.max(np.abs(layer.delta))) or 1.0
        if step.kind == "backward":
            if node < current:
                return f"z {fmt(layer.z[neuron])}", first + fmt(layer.a[neuron]), 0.0
            return (
                f"δ {fmt(layer.delta[neuron])}",
                f"∂L/∂h {fmt(layer.dh[neuron])}",
                abs(layer.delta[neuron]) / scale,
            )
        if step.kind == "gradients":
            return f"∂L/∂b {fmt(layer.bias_grad[neuron])}", f"δ {fmt(layer.delta[neuron])}", 0.0
        update = layer.update
        if update is None:
            return "", "", 0.0
        state = update.state
        if "Δ" in state:
            return f"Δ {fmt(state['Δ'][1][neuron])}", f"b step {fmt(update.bias_step[neuron])}", 0.0
        if "m" in state:
            return f"m {fmt(state['m'][1][neuron])}", f"b step {fmt(update.bias_step[neuron])}", 0.0
        return f"b {fmt(layer.bias[neuron])}", f"step {fmt(update.bias_step[neuron])}", 0.0

    def _paint_nodes(self, painter: QPainter, text: QColor) -> None:
        trace = self.trace
        assert trace is not None
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        border = pal.color(QPalette.ColorRole.Mid)
        error = view_color("error_text")
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 0.5, 7.0))
        out = trace.spec.output_node
        labels = set() if trace.spec.is_regression else {int(c) for c in trace.labels}  # regression: values
        for spot in self.spots:
            first, second, emphasis = self._node_lines(spot.node, spot.neuron)
            fill = QColor(base)
            if emphasis > 0 and self.step is not None and self.step.kind == "backward" and spot.node > 0:
                fill = QColor(error)
                fill.setAlpha(int(25 + 120 * min(emphasis, 1.0)))
            pen = QPen(border, 1.2)
            if spot.node == out and spot.neuron < len(CLASS_COLORS):
                pen = QPen(QColor(CLASS_COLORS[spot.neuron]), 2.2 if spot.neuron in labels else 1.2)
            if self.selected == (spot.node, spot.neuron):
                pen = QPen(text, 2.6)
            painter.setPen(pen)
            painter.setBrush(fill)
            painter.drawRoundedRect(spot.rect, 7, 7)
            painter.setFont(small)
            painter.setPen(text)
            inner = spot.rect.adjusted(4, 2, -4, -2)
            if spot.node == out and spot.neuron < len(self.class_names) and not first:
                first = self.class_names[spot.neuron]
            painter.drawText(
                QRectF(inner.x(), inner.y(), inner.width(), inner.height() / 2),
                Qt.AlignmentFlag.AlignCenter,
                first,
            )
            painter.drawText(
                QRectF(inner.x(), inner.center().y(), inner.width(), inner.height() / 2),
                Qt.AlignmentFlag.AlignCenter,
                second,
            )
        painter.setFont(self.font())


class BackpropInspector(QWidget):
    """The dock panel: point picking, the mode, the walk (Back/Next), the diagram and the formulas."""

    def __init__(self, document: Any, canvas: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropInspector")
        self.setAccessibleName("Backprop inspector")
        self.document = document
        self.canvas = canvas
        self.point: tuple[float, float] | None = None
        self.point_label = 0
        self.point_target = 0.0  # regression: the target value of the traced point
        self.point_index: int | None = None  # the dataset point picked, if any
        self.mode = "point"
        self.loss = "cross_entropy"
        self.trace: BackpropTrace | None = None
        self.steps: list[WalkStep] = []
        self.step_index = 0
        self.selected: dict[int, int] = {}
        self.message = ""

        self.pick_button = QPushButton("Pick on canvas")
        self.pick_button.setObjectName("backpropPick")
        self.pick_button.setCheckable(True)
        self.pick_button.setToolTip("Inspector mode: click a point on the canvas to trace it")
        self.follow_box = QCheckBox("Follow cursor")
        self.follow_box.setToolTip("Trace the point under the mouse on the canvas")
        self.label_combo = QComboBox()
        self.label_combo.setToolTip("The class of a picked place that is not a data point")
        # Regression: a target value instead of a class.
        self.target_spin = QDoubleSpinBox()
        self.target_spin.setObjectName("backpropTarget")
        self.target_spin.setRange(-1e6, 1e6)
        self.target_spin.setDecimals(3)
        self.target_spin.setSingleStep(0.1)
        self.target_spin.setToolTip("The target value y of a picked place that is not a data point")
        self.label_name = QLabel("class")
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("One point", "point")
        self.mode_combo.addItem("Mini-batch (mean)", "batch")
        self.loss_combo = QComboBox()
        for name, label in backprop.LOSS_LABELS.items():
            self.loss_combo.addItem(label, name)
        self.loss_combo.setToolTip(
            "Training uses softmax + cross-entropy; the Euclidean loss is the lecture's "
            "other loss, shown for comparison"
        )
        top = QHBoxLayout()
        for widget in (
            self.pick_button,
            self.follow_box,
            self.label_name,
            self.label_combo,
            self.target_spin,
        ):
            top.addWidget(widget)
        top.addStretch(1)
        options = QHBoxLayout()
        options.addWidget(self.mode_combo)
        options.addWidget(self.loss_combo)
        options.addStretch(1)

        self.back_button = QPushButton("◀ Back")
        self.back_button.setObjectName("backpropBack")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("backpropNext")
        self.step_label = QLabel()
        self.step_label.setObjectName("backpropStep")
        font = QFont(self.step_label.font())
        font.setBold(True)
        self.step_label.setFont(font)
        self.step_label.setWordWrap(True)
        walk = QHBoxLayout()
        walk.addWidget(self.back_button)
        walk.addWidget(self.step_label, 1)
        walk.addWidget(self.next_button)

        self.info_label = QLabel()
        self.info_label.setObjectName("backpropInfo")
        self.info_label.setWordWrap(True)
        self.diagram = BackpropDiagram(self)
        self.formula_label = QLabel()
        self.formula_label.setObjectName("backpropFormulas")
        self.formula_label.setWordWrap(True)
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.formula_label.setMinimumHeight(64)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addLayout(options)
        layout.addWidget(self.info_label)
        layout.addLayout(walk)
        self.diagram_scroll = QScrollArea()
        self.diagram_scroll.setObjectName("backpropDiagramScroll")
        self.diagram_scroll.setWidgetResizable(True)
        self.diagram_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.diagram_scroll.setWidget(self.diagram)
        layout.addWidget(self.diagram_scroll, 1)
        layout.addWidget(self.formula_label)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(100)
        self._refresh_timer.timeout.connect(self.recompute)

        self.back_button.clicked.connect(self.previous_step)
        self.next_button.clicked.connect(self.next_step)
        self.mode_combo.currentIndexChanged.connect(lambda _: self.set_mode(self.mode_combo.currentData()))
        self.loss_combo.currentIndexChanged.connect(lambda _: self.set_loss(self.loss_combo.currentData()))
        self.label_combo.currentIndexChanged.connect(self._label_chosen)
        self.target_spin.valueChanged.connect(self._target_chosen)
        self.pick_button.toggled.connect(self.set_picking)
        self.follow_box.toggled.connect(self._follow_toggled)
        self.diagram.neuronClicked.connect(self._neuron_clicked)
        for signal in (
            document.datasetChanged,
            document.specChanged,
            document.settingsChanged,
            document.weightsReplaced,
        ):
            signal.connect(self.schedule_refresh)
        document.datasetChanged.connect(self._fill_labels)
        if canvas is not None:
            canvas.pointPicked.connect(self.pick)
            canvas.cursorMoved.connect(self._cursor_moved)
        self._fill_labels()
        self.recompute()

    # ------------------------------------------------------------------------------------------ inputs
    def _fill_labels(self) -> None:
        names = self.document.dataset.class_names
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        for i, name in enumerate(names):
            self.label_combo.addItem(name, i)
        self.label_combo.setCurrentIndex(min(self.point_label, len(names) - 1))
        self.label_combo.blockSignals(False)
        self.diagram.class_names = tuple(names)
        regression = self.document.dataset.is_regression
        self.label_name.setText("target" if regression else "class")
        self.label_combo.setVisible(not regression)
        self.target_spin.setVisible(regression)
        self.loss_combo.setEnabled(not regression)  # a regression network has the Euclidean loss only
        with QSignalBlocker(self.loss_combo):  # regression shows its loss; classification the chosen one
            loss = "euclidean" if regression else self.loss
            self.loss_combo.setCurrentIndex(list(backprop.LOSS_LABELS).index(loss))
        self.loss_combo.setToolTip(
            "A regression network learns with the Euclidean loss ½(ŷ − y)²"
            if regression
            else "Training uses softmax + cross-entropy; the Euclidean loss is the lecture's other loss, "
            "shown for comparison"
        )

    def set_picking(self, on: bool) -> None:
        """Inspector mode: the canvas's left click picks a point instead of drawing."""
        if self.pick_button.isChecked() != on:
            self.pick_button.setChecked(on)
            return
        if self.canvas is not None:
            self.canvas.set_point_picking(on)

    def _follow_toggled(self, on: bool) -> None:
        if on:
            self.set_picking(False)

    def _cursor_moved(self, x: float, y: float) -> None:
        if self.follow_box.isChecked() and self.isVisible():
            self.pick(x, y)

    def pick(self, x: float, y: float) -> None:
        """A place on the canvas: the nearest data point when the click is on one (its label), else the place
        with the class chosen in the panel."""
        index = self._point_under(x, y)
        dataset = self.document.dataset
        if index is not None:
            px, py = dataset.points[index]
            if dataset.is_regression:
                self.set_point(float(px), float(py), float(dataset.targets[index]), index)
            else:
                self.set_point(float(px), float(py), int(dataset.labels[index]), index)
        elif dataset.is_regression:
            self.set_point(x, y, self.target_spin.value())
        else:
            self.set_point(x, y, self.label_combo.currentData() or 0)

    def _point_under(self, x: float, y: float) -> int | None:
        points = self.document.dataset.points
        if not len(points):
            return None
        radius = 0.08
        if self.canvas is not None:
            radius = 8 * self.canvas.pixel_size()
        distances = np.hypot(points[:, 0] - x, points[:, 1] - y)
        index = int(np.argmin(distances))
        return index if distances[index] <= radius else None

    def set_point(self, x: float, y: float, label: float, index: int | None = None) -> None:
        """Trace (x, y) with its class `label`, or in regression its target value `label`."""
        self.point, self.point_index = (float(x), float(y)), index
        if self.document.dataset.is_regression:
            self.point_target = float(label)
            with QSignalBlocker(self.target_spin):
                self.target_spin.setValue(float(label))
        else:
            self.point_label = int(label)
            with QSignalBlocker(self.label_combo):
                self.label_combo.setCurrentIndex(int(label))
        self.recompute()

    def _target_chosen(self, value: float) -> None:
        if self.point is not None and self.point_index is None:
            self.point_target = float(value)
            self.recompute()

    def _label_chosen(self, _: int) -> None:
        if self.point is not None and self.point_index is None:
            self.point_label = int(self.label_combo.currentData() or 0)
            self.recompute()

    def set_mode(self, mode: str) -> None:
        """ "point" or "batch" (the mean over the current mini-batch)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode = mode
        self.mode_combo.blockSignals(True)
        self.mode_combo.setCurrentIndex(MODES.index(mode))
        self.mode_combo.blockSignals(False)
        self.recompute()

    def set_loss(self, loss: str) -> None:
        self.loss = loss
        self.loss_combo.blockSignals(True)
        self.loss_combo.setCurrentIndex(list(backprop.LOSS_LABELS).index(loss))
        self.loss_combo.blockSignals(False)
        self.recompute()

    def _neuron_clicked(self, node: int, neuron: int) -> None:
        self.selected[node] = neuron
        self._show_step()

    # ------------------------------------------------------------------------------------------ walk
    def next_step(self) -> None:
        if self.step_index < len(self.steps) - 1:
            self.step_index += 1
            self._show_step()

    def previous_step(self) -> None:
        if self.step_index > 0:
            self.step_index -= 1
            self._show_step()

    def set_step(self, index: int) -> None:
        self.step_index = max(0, min(int(index), len(self.steps) - 1))
        self._show_step()

    @property
    def current_step(self) -> WalkStep | None:
        return self.steps[self.step_index] if self.steps else None

    # ------------------------------------------------------------------------------------------ computing
    def schedule_refresh(self) -> None:
        """Weights, data or settings changed: recompute soon (coalesced; live training sends many)."""
        self._refresh_timer.start()

    def _weights(self) -> tuple[list, str]:
        document = self.document
        if document.weights is not None:
            return list(document.weights), f"weights at step {document.step:,}"
        network = Network(document.spec, document.settings.seed)
        return network.get_weights(), f"untrained weights (seed {document.settings.seed})"

    def _batch(self) -> tuple[np.ndarray, str]:
        document = self.document
        dataset = document.dataset
        settings = document.settings
        train = dataset.train_indices
        if document.optimizer_state_step == document.step and document.shuffle_state is not None:
            batch = backprop.next_batch(train, settings.batch_size, document.shuffle_state)
            if batch is not None:
                return (
                    batch,
                    f"the trainer's next mini-batch ({len(batch)} points, step {document.step + 1:,})",
                )
        batch = backprop.seeded_batch(train, settings.batch_size, settings.seed)
        return batch, (
            f"a seeded sample of {len(batch)} training points (the batch size; the trainer's own "
            "batch is not known until it has trained and paused)"
        )

    def recompute(self) -> None:
        """Trace the point (or batch) with the document's weights and show the current step."""
        document = self.document
        dataset = document.dataset
        try:
            weights, source = self._weights()
            regression = dataset.is_regression and document.spec.is_regression
            truth = dataset.targets if regression else dataset.labels
            if self.mode == "batch":
                if not len(dataset.train_indices):
                    raise backprop.BackpropError("the dataset has no training points for a batch")
                batch, note = self._batch()
                points, labels = dataset.points[batch], truth[batch]
            else:
                if self.point is None and len(dataset.points):
                    self.point_index = 0
                    self.point = tuple(float(v) for v in dataset.points[0])  # type: ignore[assignment]
                    self.point_label = int(dataset.labels[0])
                    if regression:
                        self.point_target = float(truth[0])
                if regression and self.point_index is not None and self.point_index < len(truth):
                    self.point_target = float(truth[self.point_index])  # "Set value" may have changed it
                if self.point is None:
                    raise backprop.BackpropError("pick a point on the canvas")
                points = np.array([self.point])
                where = "data point" if self.point_index is not None else "place"
                if regression:
                    labels = np.array([self.point_target])
                    name = f"target {self.point_target:.3g}"
                else:
                    labels = np.minimum(np.array([self.point_label]), document.spec.n_classes - 1)
                    index = int(labels[0])
                    name = "label: " + (
                        dataset.class_names[index] if index < len(dataset.class_names) else ""
                    )
                note = f"{where} ({self.point[0]:.3g}, {self.point[1]:.3g}), {name}"
            fits = document.optimizer_state_step == document.step
            self.trace = backprop.trace(
                document.spec,
                weights,
                points,
                labels,
                loss=None if regression else self.loss,
                settings=document.settings,
                optimizer_state=document.optimizer_state if fits else None,
                batch_note=note,
            )
            self.message = f"{note}; {source}"
        except (backprop.BackpropError, SpecError, ValueError) as exc:
            self.trace, self.message = None, str(exc)
        kinds = [(s.kind, s.node) for s in self.steps]
        current = self.current_step
        self.steps = backprop.walk(self.trace) if self.trace is not None else []
        if [(s.kind, s.node) for s in self.steps] != kinds:
            # same walk: stay on the step; a new architecture starts from the beginning
            self.step_index = (
                0
                if current is None
                else next(
                    (i for i, s in enumerate(self.steps) if (s.kind, s.node) == (current.kind, current.node)),
                    0,
                )
            )
        self._show_step()

    def _show_step(self) -> None:
        step = self.current_step
        self.info_label.setText(self.message)
        self.back_button.setEnabled(self.step_index > 0)
        self.next_button.setEnabled(self.step_index < len(self.steps) - 1)
        self.diagram.selected = None
        if step is None or self.trace is None:
            self.step_label.setText("")
            self.formula_label.setText("")
            self.diagram.show_trace(None, None)
            return
        self.step_label.setText(f"{self.step_index + 1}/{len(self.steps)}  {step.title}")
        neuron = self.selected.get(step.node) if step.node is not None else None
        if neuron is not None and step.node is not None and neuron >= self.trace.layer(step.node).width:
            neuron = None
        if step.node is not None:  # the neuron the formulas explain: the clicked one, else the largest |δ|
            focus = (
                neuron
                if neuron is not None
                else backprop.top_neurons(self.trace.layer(step.node).delta, 1)[0]
            )
            self.diagram.selected = (step.node, focus)
        self.formula_label.setText("\n".join(backprop.formulas(self.trace, step, neuron)))
        self.diagram.show_trace(self.trace, step)
        if step.node is not None:  # a panel too narrow for every column scrolls to the step's one
            x = self.diagram.column_x(step.node) + NODE_W / 2
            self.diagram_scroll.ensureVisible(int(x), 0, int(NODE_W), 0)


def install_backprop_inspector(window: Any) -> BackpropInspector:
    """Add the Backprop inspector dock (tabbed with the hidden space) and Train ▸ Inspect Back-propagation.

    Uses the window's `document`, `canvas`, `view_menu` and Train menu; the dock starts hidden, and hiding it
    ends inspector mode on the canvas.
    """
    inspector = BackpropInspector(window.document, window.canvas)
    dock = add_tabbed_dock(
        window,
        inspector,
        "Backprop",
        "backpropInspector",
        beside="hiddenSpacePlot",
        area=Qt.DockWidgetArea.RightDockWidgetArea,
        keep_in_front=False,
    )
    dock.hide()
    dock.visibilityChanged.connect(lambda visible: visible or inspector.set_picking(False))
    dock.visibilityChanged.connect(lambda visible: visible and inspector.schedule_refresh())
    controller = getattr(window, "training", None)
    if controller is not None:  # live training writes weights without an undo step: follow its frames
        controller.frameArrived.connect(lambda _frame: dock.isVisible() and inspector.schedule_refresh())
    dock.toggleViewAction().setText("Backprop Inspector")
    train_menu = next(
        (a.menu() for a in window.menuBar().actions() if a.menu() and a.text().replace("&", "") == "Train"),
        None,
    )

    def open_inspector() -> None:
        dock.show()
        dock.raise_()
        inspector.set_picking(True)

    if train_menu is not None:
        train_menu.addSeparator()
        action = train_menu.addAction("Inspect Back-propagation…")
        action.setObjectName("actionInspectBackprop")
        action.setStatusTip("Click a point on the canvas and follow its F-pass and B-pass step by step")
        action.triggered.connect(open_inspector)
    window.backprop_inspector = inspector
    window.backprop_dock = dock
    return inspector


__all__ = ["BackpropDiagram", "BackpropInspector", "install_backprop_inspector"]

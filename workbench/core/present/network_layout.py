"""Pure geometry and colours of the network drawing: where every column, node, control and edge goes.

The network panel (Qt) only paints what `layout_network` returns and asks `hit_test` what is under the
mouse, so the arithmetic (collapsing wide layers, edge endpoints, thickness from weights, what a click hits)
is tested here without a window. Coordinates are pixels, origin top-left, y down.

Layer numbering follows `Network.layer_outputs`: 0 = input features, 1..L = hidden layers, L + 1 = output.
For the input column, `neuron` is the column of the feature in ``spec.features`` (-1 for a disabled feature).

Links besides the chain (connections and residual links, see `spec.Link`) are drawn as arcs in a band under
the columns: each leaves its source column at the bottom, runs along a lane of the band and rises into its
target column, so it never crosses a node, a label or a header. Longer links take deeper lanes, and the
ports along a column's bottom are ordered so that nested links do not cross each other.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from workbench.core.model.activations import ACTIVATION_INFO
from workbench.core.model.features import compute_features
from workbench.core.model.network_edits import LinkKind, LinkOptions, link_options, node_label
from workbench.core.model.spec import FEATURES, InputScaling, Link, NetworkSpec
from workbench.core.palette import palette

# ------------------------------------------------------------------------------------------------------
# Texts shown on hover
# ------------------------------------------------------------------------------------------------------
ACTIVATION_LABELS: dict[str, str] = {name: info.label for name, info in ACTIVATION_INFO.items()}
ACTIVATION_FORMULAS: dict[str, str] = {name: info.formula for name, info in ACTIVATION_INFO.items()}

SOFTMAX_FORMULA = "softmax(z)ᵢ = e^zᵢ / Σⱼ e^zⱼ  (class probabilities)"

#: Activations whose thumbnails run from "off" (0) to "on" (255) rather than around a middle zero.
_ONE_SIDED = {name for name, info in ACTIVATION_INFO.items() if info.one_sided}

# Edge colours from the shipped palette: blue positive and orange negative weights (colour-blind safe).
POSITIVE_COLOR = palette().positive_weight
NEGATIVE_COLOR = palette().negative_weight
UNKNOWN_EDGE_COLOR = palette().unknown_weight

#: Number of distinct edge thicknesses; edges are drawn in batches per (sign, level).
EDGE_LEVELS = 10

Kind = Literal["input", "hidden", "output"]


# ------------------------------------------------------------------------------------------------------
# Geometry
# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px <= self.x + self.w and self.y <= py <= self.y + self.h

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class Metrics:
    """Sizes in pixels; the panel may shrink `node` when the window is short."""

    margin: float = 12.0
    node: float = 36.0
    node_gap: float = 10.0
    hidden_column: float = 104.0
    input_column: float = 96.0
    output_column: float = 132.0
    gap: float = 52.0
    header: float = 82.0
    header_gap: float = 14.0
    row: float = 24.0
    button: float = 24.0
    #: Never collapse a column to fewer slots than this (the panel scrolls instead).
    min_slots: int = 5
    #: Narrow hidden columns stack their header controls in four rows (title, width, −/+, activation) and
    #: the "+" insert buttons move to the strip under the headers (`header_gap`).
    stacked: bool = False
    #: Vertical distance between the lanes of the link arcs under the columns, and the gap above them.
    lane: float = 10.0
    lane_gap: float = 10.0

    @property
    def pitch(self) -> float:
        return self.node + self.node_gap


@dataclass(frozen=True)
class NodeBox:
    layer: int
    neuron: int
    rect: Rect
    enabled: bool = True
    feature: str | None = None  # input column only
    label: Rect | None = None  # input/output: where the name goes


@dataclass(frozen=True)
class HeaderControls:
    """Where the widgets of a hidden column's header go."""

    title: Rect
    remove: Rect
    minus: Rect
    width_field: Rect
    plus: Rect
    activation: Rect


@dataclass(frozen=True)
class Column:
    layer: int
    kind: Kind
    x: float
    width: float
    header: Rect
    nodes: tuple[NodeBox, ...]
    total: int  # neurons in the layer (inputs: all features, enabled or not)
    more: Rect | None = None  # "… +N more" marker when the layer is collapsed
    controls: HeaderControls | None = None  # hidden columns only

    @property
    def hidden_count(self) -> int:
        return self.total - len(self.nodes)


@dataclass(frozen=True, eq=False)
class Edges:
    """Edges between drawn nodes as parallel arrays (one entry per edge)."""

    layer: np.ndarray  # index of the Linear layer / weight pair (0 = inputs -> first layer)
    src: np.ndarray  # row in W
    dst: np.ndarray  # column in W
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray

    def __len__(self) -> int:
        return len(self.layer)


@dataclass(frozen=True, eq=False)
class Arc:
    """One link drawn as a path under the columns: down from the source column, along its lane, up into
    the target column (`points`, a polyline with rounded corners, ends at the target's bottom)."""

    link: Link
    kind: LinkKind
    lane: int
    points: np.ndarray  # (n, 2) x, y

    @property
    def end(self) -> tuple[float, float]:
        return (float(self.points[-1, 0]), float(self.points[-1, 1]))

    @property
    def start(self) -> tuple[float, float]:
        return (float(self.points[0, 0]), float(self.points[0, 1]))


@dataclass(frozen=True, eq=False)
class NetworkLayout:
    spec: NetworkSpec
    metrics: Metrics
    columns: tuple[Column, ...]
    edges: Edges
    #: insert_slots[i]: the "+" inserting a hidden layer before spec.hidden[i] (i == L: before the output).
    insert_slots: tuple[Rect, ...]
    width: float
    height: float
    node_index: dict[tuple[int, int], NodeBox] = field(default_factory=dict)
    arcs: tuple[Arc, ...] = ()
    #: Top of the band of link lanes under the columns (the body's bottom when there are no links).
    band_top: float = 0.0

    def node(self, layer: int, neuron: int) -> NodeBox | None:
        return self.node_index.get((layer, neuron))

    def arc(self, link: Link, kind: LinkKind | None = None) -> Arc | None:
        return next((a for a in self.arcs if a.link == link and (kind is None or a.kind == kind)), None)


def slots_for_height(height: float, metrics: Metrics = Metrics(), spec: NetworkSpec | None = None) -> int:
    """How many node slots fit under the headers in `height` pixels (never fewer than metrics.min_slots),
    leaving room for the link lanes of `spec`."""
    band = band_height(spec, metrics) if spec is not None else 0.0
    body = height - 2 * metrics.margin - metrics.header - metrics.header_gap + metrics.node_gap - band
    return max(metrics.min_slots, int(body // metrics.pitch))


def _links(spec: NetworkSpec) -> list[tuple[Link, LinkKind]]:
    return [(link, "connection") for link in spec.connections] + [
        (link, "residual") for link in spec.residuals
    ]


def link_lanes(spec: NetworkSpec) -> dict[tuple[Link, LinkKind], int]:
    """The lane of every link, 0 = nearest the columns: short links first, each on the first lane that no
    overlapping link uses, below every link it encloses (so nested arcs never cross)."""
    links = sorted(_links(spec), key=lambda item: (item[0].target - item[0].source, item[0], item[1]))
    lanes: dict[tuple[Link, LinkKind], int] = {}
    for item in links:
        link = item[0]
        overlapping = [
            (other[0], lane)
            for other, lane in lanes.items()
            if other[0].source < link.target and link.source < other[0].target
        ]
        enclosed = [
            lane for other, lane in overlapping if link.source <= other.source and other.target <= link.target
        ]
        lane = max(enclosed, default=-1) + 1
        taken = {lane_ for _, lane_ in overlapping}
        while lane in taken:
            lane += 1
        lanes[item] = lane
    return lanes


def band_height(spec: NetworkSpec, metrics: Metrics = Metrics()) -> float:
    """Height of the band of link lanes under the columns (0 without links)."""
    lanes = link_lanes(spec)
    if not lanes:
        return 0.0
    return metrics.lane_gap + (max(lanes.values()) + 1) * metrics.lane


def metrics_for_height(height: float, base: Metrics = Metrics(), smallest_node: float = 22.0) -> Metrics:
    """Shrink the nodes (down to `smallest_node`) so the seven input features fit a short panel."""
    body = height - 2 * base.margin - base.header - base.header_gap + base.node_gap
    node = min(base.node, max(smallest_node, body / len(FEATURES) - base.node_gap))
    return replace(base, node=float(int(node)))


#: The narrowest columns and gaps before the panel scrolls sideways: labels, header widgets and the "+"
#: buttons still fit without touching (tests/core/test_network_layout.py checks every size in between).
COMPACT_METRICS = Metrics(margin=6.0, input_column=76.0, hidden_column=84.0, output_column=100.0, gap=28.0)

#: The narrowest drawing of all: stacked headers, so six hidden layers (TensorFlow Playground's maximum)
#: fit the network dock of a 1400 x 900 window. Between this and COMPACT_METRICS the columns widen.
DENSE_METRICS = Metrics(
    margin=4.0,
    input_column=58.0,
    hidden_column=44.0,
    output_column=62.0,
    gap=6.0,
    header=4 * 20.0 + 3 * 4.0,
    header_gap=24.0,
    row=20.0,
    button=18.0,
    stacked=True,
)

#: With stacked headers (a small panel) nodes may shrink down to this before neurons collapse to "+N more".
STACKED_SMALLEST_NODE = 18.0

#: Nodes shrink so layers up to this wide show every neuron; wider ones collapse to "+N more" anyway.
FULL_LAYER_LIMIT = 12


def layout_width(spec: NetworkSpec, metrics: Metrics = Metrics()) -> float:
    """Width in pixels of the drawing of `spec` with these metrics (what `layout_network` will return)."""
    n_hidden = len(spec.hidden)
    m = metrics
    return (
        2 * m.margin + m.input_column + n_hidden * m.hidden_column + m.output_column + (n_hidden + 1) * m.gap
    )


def fit_metrics(
    spec: NetworkSpec,
    width: float,
    height: float,
    base: Metrics = Metrics(),
    compact: Metrics = COMPACT_METRICS,
    smallest_node: float = 22.0,
    dense: Metrics | None = DENSE_METRICS,
) -> tuple[Metrics, int]:
    """Metrics and slots per column that make the drawing of `spec` fit `width` x `height` when it can.

    Columns and gaps narrow from `base` towards `compact`; when even that is too wide, the headers stack
    (`dense`) and columns narrow further towards `dense` before the panel has to scroll sideways. Nodes
    shrink (down to `smallest_node`) until the widest layer (up to FULL_LAYER_LIMIT neurons, and always the
    seven input features) fits the height, and stay narrow enough for their column; layers wider than what
    then fits collapse to "+N more".
    """
    names = ("margin", "input_column", "hidden_column", "output_column", "gap")
    tight = layout_width(spec, compact)
    if dense is None or tight <= width:
        low, high, start = compact, base, base
    else:
        low, high, start = dense, compact, dense
    natural, narrowest = layout_width(spec, high), layout_width(spec, low)
    if natural <= width:
        t = 1.0
    elif narrowest >= width:
        t = 0.0
    else:
        t = (width - narrowest) / (natural - narrowest)

    def between(name: str) -> float:  # rounded down, so the sum never exceeds `width`
        a, b = getattr(low, name), getattr(high, name)
        return float(math.floor(a + (b - a) * t))

    m = replace(start, node=base.node, node_gap=base.node_gap, **{name: between(name) for name in names})
    body = height - 2 * m.margin - m.header - m.header_gap - band_height(spec, m)
    widest = max(spec.layer_sizes[1:])
    wanted = max(len(FEATURES), min(widest, FULL_LAYER_LIMIT))
    ratio = base.node_gap / base.node
    if m.stacked:  # a small window: smaller thumbnails rather than hiding neurons of a default network
        smallest_node = min(smallest_node, STACKED_SMALLEST_NODE)
    # Room for the edges beside a hidden node, and for the feature names beside an input node.
    node = float(int(min(base.node, m.hidden_column - 16, m.input_column - 34)))
    while node > smallest_node:
        gap = max(4.0, float(round(node * ratio)))
        if wanted * (node + gap) - gap <= body:
            break
        node -= 1.0
    node = max(node, smallest_node)
    m = replace(m, node=node, node_gap=max(4.0, float(round(node * ratio))))
    return m, slots_for_height(height, m, spec)


def visible_count(width: int, max_slots: int) -> int:
    """Neurons drawn for a layer of `width`: all if they fit, else max_slots - 1 plus a "+N more" slot."""
    return width if width <= max_slots else max(1, max_slots - 1)


def layout_network(
    spec: NetworkSpec,
    max_slots: int = 12,
    metrics: Metrics = Metrics(),
    expanded: frozenset[int] | set[int] = frozenset(),
) -> NetworkLayout:
    """Place columns left to right; layers wider than `max_slots` show their first neurons and a "+N more"
    marker, except the `expanded` layers (numbered like columns), which show every neuron and a marker to
    collapse them again."""
    max_slots = max(int(max_slots), metrics.min_slots)
    m = metrics
    sizes = spec.layer_sizes
    n_layers = len(sizes)
    all_features = tuple(FEATURES)
    # Slots per column decide the body height (inputs always show all seven features).
    slot_counts = [len(all_features)]
    for layer, width in enumerate(sizes[1:], start=1):
        if layer in expanded and width > max_slots:
            slot_counts.append(width + 1)  # every neuron and the "show fewer" marker
            continue
        shown = visible_count(width, max_slots)
        slot_counts.append(shown + (1 if shown < width else 0))
    body_top = m.margin + m.header + m.header_gap
    body_height = max(slot_counts) * m.pitch - m.node_gap

    columns: list[Column] = []
    insert_slots: list[Rect] = []
    node_index: dict[tuple[int, int], NodeBox] = {}
    x = m.margin
    for layer in range(n_layers):
        kind: Kind = "input" if layer == 0 else ("output" if layer == n_layers - 1 else "hidden")
        col_w = {"input": m.input_column, "hidden": m.hidden_column, "output": m.output_column}[kind]
        header = Rect(x, m.margin, col_w, m.header)
        top = body_top + (body_height - (slot_counts[layer] * m.pitch - m.node_gap)) / 2
        if kind == "input":
            node_x = x + col_w - m.node
        elif kind == "output":
            node_x = x
        else:
            node_x = x + (col_w - m.node) / 2
        nodes: list[NodeBox] = []
        more = None
        if kind == "input":
            for i, name in enumerate(all_features):
                rect = Rect(node_x, top + i * m.pitch, m.node, m.node)
                enabled = name in spec.features
                neuron = spec.features.index(name) if enabled else -1
                label = Rect(x, rect.y, node_x - x - 6, m.node)
                nodes.append(NodeBox(0, neuron, rect, enabled, name, label))
            total = len(all_features)
        else:
            total = sizes[layer]
            is_expanded = layer in expanded and total > max_slots
            shown = total if is_expanded else visible_count(total, max_slots)
            for i in range(shown):
                rect = Rect(node_x, top + i * m.pitch, m.node, m.node)
                label = None
                if kind == "output":
                    label = Rect(node_x + m.node + 6, rect.y, col_w - m.node - 6, m.node)
                nodes.append(NodeBox(layer, i, rect, True, None, label))
            if shown < total or is_expanded:
                more = Rect(x, top + shown * m.pitch, col_w, m.node)
        for node in nodes:
            if node.enabled:
                node_index[(node.layer, node.neuron)] = node
        controls = _header_controls(header, m) if kind == "hidden" else None
        columns.append(Column(layer, kind, x, col_w, header, tuple(nodes), total, more, controls))
        x += col_w
        if layer < n_layers - 1:
            if m.stacked:  # in the strip under the headers, centred between the columns
                slot_y = m.margin + m.header + (m.header_gap - m.button) / 2
            else:  # on the activation row: clear of the input/output captions and the width buttons
                slot_y = m.margin + 2 * (m.row + 6) + (m.row - m.button) / 2
            insert_slots.append(Rect(x + (m.gap - m.button) / 2, slot_y, m.button, m.button))
            x += m.gap
    width = x + m.margin
    band_top = body_top + body_height
    height = band_top + band_height(spec, m) + m.margin
    edges = _edges(columns)
    arcs = _arcs(spec, columns, band_top, m)
    return NetworkLayout(
        spec, m, tuple(columns), edges, tuple(insert_slots), width, height, node_index, arcs, band_top
    )


def _header_controls(header: Rect, m: Metrics) -> HeaderControls:
    x, y, w = header.x, header.y, header.w
    b = m.button
    if m.stacked:
        step = m.row + 4
        half = (w - 4) / 2
        return HeaderControls(
            title=Rect(x, y, w - b - 2, m.row),
            remove=Rect(x + w - b, y, b, m.row),
            width_field=Rect(x, y + step, w, m.row),
            minus=Rect(x, y + 2 * step, half, m.row),
            plus=Rect(x + w - half, y + 2 * step, half, m.row),
            activation=Rect(x, y + 3 * step, w, m.row),
        )
    row2 = y + m.row + 6
    row3 = row2 + m.row + 6
    return HeaderControls(
        title=Rect(x, y, w - b - 2, m.row),
        remove=Rect(x + w - b, y, b, m.row),
        minus=Rect(x, row2, b, m.row),
        width_field=Rect(x + b + 3, row2, w - 2 * b - 6, m.row),
        plus=Rect(x + w - b, row2, b, m.row),
        activation=Rect(x, row3, w, m.row),
    )


def _edges(columns: list[Column]) -> Edges:
    parts: list[np.ndarray] = []
    for index in range(len(columns) - 1):
        left = [n for n in columns[index].nodes if n.enabled]
        right = columns[index + 1].nodes
        if not left or not right:
            continue
        src = np.repeat([n.neuron for n in left], len(right))
        dst = np.tile([n.neuron for n in right], len(left))
        x0 = np.repeat([n.rect.x + n.rect.w for n in left], len(right))
        y0 = np.repeat([n.rect.center[1] for n in left], len(right))
        x1 = np.tile([n.rect.x for n in right], len(left))
        y1 = np.tile([n.rect.center[1] for n in right], len(left))
        parts.append(np.stack([np.full(len(src), index), src, dst, x0, y0, x1, y1]).astype(np.float64))
    data = np.concatenate(parts, axis=1) if parts else np.zeros((7, 0))
    ints = data[:3].astype(np.int64)
    return Edges(ints[0], ints[1], ints[2], data[3], data[4], data[5], data[6])


def column_bottom(column: Column) -> float:
    """The lowest drawn thing of a column (its last node or its "+N more" marker)."""
    bottoms = [node.rect.y + node.rect.h for node in column.nodes]
    if column.more is not None:
        bottoms.append(column.more.y + column.more.h)
    return max(bottoms, default=column.header.y + column.header.h)


def _port_xs(column: Column, count: int, metrics: Metrics) -> list[float]:
    """`count` x positions along a column's bottom, centred under its nodes, at most the column wide."""
    if count == 0:
        return []
    node = column.nodes[0].rect if column.nodes else Rect(column.x, 0, column.width, 0)
    centre = node.x + node.w / 2
    spacing = min(metrics.lane, (column.width - 8) / max(count - 1, 1))
    span = spacing * (count - 1)
    first = min(max(centre - span / 2, column.x + 4), column.x + column.width - 4 - span)
    return [first + i * spacing for i in range(count)]


def _arcs(spec: NetworkSpec, columns: list[Column], band_top: float, m: Metrics) -> tuple[Arc, ...]:
    lanes = link_lanes(spec)
    if not lanes:
        return ()
    # Ports along each column's bottom, left to right: incoming links from the nearest source to the
    # farthest, then outgoing ones from the farthest target to the nearest; with deeper lanes for longer
    # links, nested arcs then never cross.
    ports: dict[tuple[tuple[Link, LinkKind], str], float] = {}
    for column in columns:
        incoming = sorted(
            (item for item in lanes if item[0].target == column.layer), key=lambda i: (-i[0].source, i[1])
        )
        outgoing = sorted(
            (item for item in lanes if item[0].source == column.layer), key=lambda i: (-i[0].target, i[1])
        )
        keys = [(item, "in") for item in incoming] + [(item, "out") for item in outgoing]
        for key, x in zip(keys, _port_xs(column, len(keys), m), strict=True):
            ports[key] = x
    arcs = []
    for item, lane in sorted(lanes.items(), key=lambda entry: (entry[1], entry[0][0])):
        link, kind = item
        x0, x1 = ports[(item, "out")], ports[(item, "in")]
        y0 = column_bottom(columns[link.source]) + 3
        y1 = column_bottom(columns[link.target]) + 3
        y = band_top + m.lane_gap + (lane + 0.5) * m.lane
        arcs.append(Arc(link, kind, lane, _bracket(x0, y0, x1, y1, y, min(6.0, (x1 - x0) / 2))))
    return tuple(arcs)


def _bracket(x0: float, y0: float, x1: float, y1: float, y: float, radius: float) -> np.ndarray:
    """Down from (x0, y0) to the lane at height y, along it, up to (x1, y1), with rounded corners."""
    radius = max(0.0, min(radius, y - y0, y - y1))
    turn = np.linspace(0.0, np.pi / 2, 6)
    first = np.column_stack([x0 + radius - radius * np.cos(turn), y - radius + radius * np.sin(turn)])
    second = np.column_stack([x1 - radius + radius * np.sin(turn), y - radius + radius * np.cos(turn)])
    return np.vstack([[x0, y0], first, second, [x1, y1]])


@dataclass(frozen=True)
class DropTarget:
    """A column a drag from `options.source` may end on, and what dropping there would add."""

    layer: int
    rect: Rect
    options: LinkOptions


def drag_source_at(layout: NetworkLayout, x: float, y: float) -> int | None:
    """The column a link drag starts from at (x, y): any column but the output's, under its header."""
    body_top = layout.metrics.margin + layout.metrics.header
    for column in layout.columns[:-1]:
        if column.x <= x <= column.x + column.width and body_top <= y <= column_bottom(column) + 2:
            return column.layer
    return None


def drop_targets(layout: NetworkLayout, source: int) -> list[DropTarget]:
    """Every column after `source`, as tall as the drawing and as wide as the column plus half the gaps
    beside it, with the links a drop there may add (none, and why, where nothing fits)."""
    targets = []
    half_gap = layout.metrics.gap / 2
    for column in layout.columns[source + 1 :]:
        rect = Rect(column.x - half_gap, 0.0, column.width + 2 * half_gap, layout.height)
        targets.append(DropTarget(column.layer, rect, link_options(layout.spec, source, column.layer)))
    return targets


def drop_target_at(layout: NetworkLayout, source: int, x: float, y: float) -> DropTarget | None:
    return next((t for t in drop_targets(layout, source) if t.rect.contains(x, y)), None)


def drag_hint(spec: NetworkSpec, source: int, target: DropTarget | None) -> str:
    """What the panel says while the user drags a link: where to drop, and what a drop here would add."""
    src = node_label(spec, source)
    if target is None:
        return f"Drop on a later column to connect {src} to it (Esc cancels)."
    dst = node_label(spec, target.layer)
    kinds = target.options.kinds
    if not kinds:
        return f"Cannot link {src} to {dst}: {target.options.reason}."
    if kinds == ("connection", "residual"):
        return f"Release to link {src} to {dst}, then choose: weighted connection or residual link."
    if kinds == ("residual",):
        return f"Release to add a residual link {src} → {dst} (adds, no weights; {target.options.reason})."
    return f"Release to add a weighted connection {src} → {dst} ({target.options.reason})."


# ------------------------------------------------------------------------------------------------------
# Hit testing
# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    kind: Literal["node", "more", "header", "edge", "link"]
    layer: int
    neuron: int = -1
    feature: str | None = None
    edge: int = -1  # index into layout.edges
    enabled: bool = True
    link: Link | None = None  # kind "link": the link and whether it is a connection or residual
    link_kind: LinkKind | None = None


#: How close (pixels) the mouse must come to an arc to hover it; arcs are thin, so more than for edges.
ARC_TOLERANCE = 5.0


def hit_test(layout: NetworkLayout, x: float, y: float, tolerance: float = 3.0) -> Hit | None:
    """What is under (x, y): a node (inputs: with their label), a "+N more" marker, a column header, the
    nearest link arc within `ARC_TOLERANCE` pixels, or the nearest edge within `tolerance` pixels."""
    for column in layout.columns:
        if not column.x - 1 <= x <= column.x + column.width + 1:
            continue
        for node in column.nodes:
            on_label = node.feature is not None and node.label is not None and node.label.contains(x, y)
            if node.rect.contains(x, y) or on_label:
                return Hit("node", node.layer, node.neuron, node.feature, enabled=node.enabled)
        if column.more is not None and column.more.contains(x, y):
            return Hit("more", column.layer)
        if column.header.contains(x, y):
            return Hit("header", column.layer)
    arc = arc_at(layout, x, y)
    if arc is not None:
        return Hit("link", arc.link.target, link=arc.link, link_kind=arc.kind)
    edges = layout.edges
    if len(edges):
        distance = _segment_distance(x, y, edges.x0, edges.y0, edges.x1, edges.y1)
        best = int(np.argmin(distance))
        if distance[best] <= tolerance:
            return Hit("edge", int(edges.layer[best]) + 1, int(edges.dst[best]), edge=best)
    return None


def arc_at(layout: NetworkLayout, x: float, y: float, tolerance: float = ARC_TOLERANCE) -> Arc | None:
    """The link arc nearest (x, y) within `tolerance` pixels."""
    best, best_distance = None, tolerance
    for arc in layout.arcs:
        p = arc.points
        distance = float(_segment_distance(x, y, p[:-1, 0], p[:-1, 1], p[1:, 0], p[1:, 1]).min())
        if distance <= best_distance:
            best, best_distance = arc, distance
    return best


def _segment_distance(px: float, py: float, x0, y0, x1, y1) -> np.ndarray:
    dx, dy = x1 - x0, y1 - y0
    length2 = np.maximum(dx * dx + dy * dy, 1e-12)
    t = np.clip(((px - x0) * dx + (py - y0) * dy) / length2, 0.0, 1.0)
    return np.hypot(x0 + t * dx - px, y0 + t * dy - py)


# ------------------------------------------------------------------------------------------------------
# Edge styles from weights
# ------------------------------------------------------------------------------------------------------
def weights_match(spec: NetworkSpec, weights: list | None) -> list[bool]:
    """Per Linear layer: do `weights` have the shapes this spec needs? (False where missing.) A node's W
    has one row per input of all its sources (`spec.fan_in`)."""
    sizes = spec.layer_sizes
    out = []
    for i in range(len(sizes) - 1):
        ok = weights is not None and i < len(weights)
        if ok:
            w, b = weights[i]
            node = i + 1
            ok = np.shape(w) == (spec.fan_in(node), sizes[node]) and np.shape(b) == (sizes[node],)
        out.append(bool(ok))
    return out


def connection_block(spec: NetworkSpec, weights: list, link: Link) -> np.ndarray:
    """The rows of the target's W that read `link.source` (weights contract: the blocks of
    `spec.sources(target)` stacked in that order)."""
    sizes = spec.layer_sizes
    start = 0
    for source in spec.sources(link.target):
        if source == link.source:
            return np.asarray(weights[link.target - 1][0])[start : start + sizes[source]]
        start += sizes[source]
    raise ValueError(f"{spec.link_text(link)} is not a connection of this network")


def link_norms(spec: NetworkSpec, weights: list | None) -> dict[Link, float]:
    """‖W‖ (Frobenius) of every connection's weight block; NaN where the weights do not fit the spec."""
    fits = weights_match(spec, weights)
    norms = {}
    for link in spec.connections:
        ok = weights is not None and fits[link.target - 1]
        norms[link] = float(np.linalg.norm(connection_block(spec, weights, link))) if ok else math.nan  # type: ignore[arg-type]
    return norms


#: Pen width (px) of the thinnest and the thickest connection arc, and of every residual link.
ARC_WIDTHS = (1.5, 6.0)
RESIDUAL_WIDTH = 2.0


def arc_style(spec: NetworkSpec, link: Link, norm: float, scale: float = 3.0) -> tuple[float, float]:
    """(pen width in px, opacity 0..1) of a connection arc from its weights' norm per target neuron
    (‖W‖ / √width(target): how strongly one neuron of the target reads the source), saturating like the
    edges' thickness; an unknown norm draws thin and faint."""
    if not math.isfinite(norm):
        return ARC_WIDTHS[0], 0.5
    per_neuron = norm / math.sqrt(spec.layer_sizes[link.target])
    t = math.tanh(per_neuron / scale)
    low, high = ARC_WIDTHS
    return low + (high - low) * t, 0.35 + 0.65 * t


def format_link(spec: NetworkSpec, link: Link, kind: LinkKind, norm: float = math.nan) -> str:
    """The hover text of a link arc, e.g. "1 > 3: weighted connection, ‖W‖ = 2.31" and what it does."""
    head = f"{spec.node_name(link.source)} > {spec.node_name(link.target)}"
    src, dst = node_label(spec, link.source), node_label(spec, link.target)
    if kind == "residual":
        first = f"{head}: residual link (no weights)"
        what = f"{dst[0].upper()}{dst[1:]} adds the output of {src} to its own."
    else:
        value = "not trained yet" if not math.isfinite(norm) else f"{norm:.2f}"
        first = f"{head}: weighted connection, ‖W‖ = {value}"
        rows, cols = spec.layer_sizes[link.source], spec.layer_sizes[link.target]
        what = f"{dst[0].upper()}{dst[1:]} also reads {src} through its own {rows}×{cols} weights."
    return f"{first}\n{what}\nClick it (or press Delete) to remove it."


def edge_values(layout: NetworkLayout, weights: list | None) -> np.ndarray:
    """The weight of every drawn edge; NaN where the weights are missing or do not fit the spec."""
    values = np.full(len(layout.edges), np.nan)
    edges = layout.edges
    for i, ok in enumerate(weights_match(layout.spec, weights)):
        if not ok:
            continue
        mask = edges.layer == i
        w = np.asarray(weights[i][0])  # type: ignore[index]
        values[mask] = w[edges.src[mask], edges.dst[mask]]
    return values


def edge_levels(values: np.ndarray, levels: int = EDGE_LEVELS, scale: float = 3.0) -> np.ndarray:
    """Thickness level 0..levels-1 per edge from |weight| (saturating, so one huge weight does not hide
    the rest); -1 for unknown (NaN) weights."""
    values = np.asarray(values, dtype=np.float64)
    known = np.isfinite(values)
    strength = np.tanh(np.abs(np.where(known, values, 0.0)) / scale)
    out = np.rint(strength * (levels - 1)).astype(np.int64)
    out[~known] = -1
    return out


def level_style(level: int, levels: int = EDGE_LEVELS) -> tuple[float, float]:
    """(pen width in px, opacity 0..1) for a thickness level; weak edges are thin and faint."""
    t = level / max(levels - 1, 1)
    return 0.5 + 2.7 * t, 0.12 + 0.78 * t


def format_weight(layout: NetworkLayout, edge: int, value: float, class_names: tuple[str, ...] = ()) -> str:
    """The tooltip text of one edge, e.g. "w = +0.532  (x² → layer 1, neuron 3)"."""
    edges = layout.edges
    layer = int(edges.layer[edge])
    src, dst = int(edges.src[edge]), int(edges.dst[edge])
    spec = layout.spec
    source = FEATURES[spec.features[src]] if layer == 0 else f"layer {layer}, neuron {src + 1}"
    if layer == len(spec.hidden):
        target = class_names[dst] if dst < len(class_names) else f"class {dst + 1}"
        target = f"output {target}"
    else:
        target = f"layer {layer + 1}, neuron {dst + 1}"
    number = "unknown (not trained yet)" if not math.isfinite(value) else f"{value:+.3f}"
    return f"weight {number}\n{source} → {target}"


def header_tooltip(spec: NetworkSpec, layer: int) -> str:
    """Hover text of a column header: the activation formula (or what the input/output column does)."""
    if layer == 0:
        return "Input features: click one to switch it on or off (at least one stays on)."
    if layer == len(spec.hidden) + 1 and spec.is_regression:
        return (
            "Output layer (regression): one linear neuron, the predicted value ŷ = Σ w·h + b.\n"
            "Loss: ½ (ŷ − y)², averaged over the batch (the Euclidean module)."
        )
    if layer == len(spec.hidden) + 1:
        return f"Output layer: one neuron per class.\n{SOFTMAX_FORMULA}"
    activation = spec.hidden[layer - 1].activation
    return f"Hidden layer {layer}: {spec.hidden[layer - 1].width} neurons\n{ACTIVATION_FORMULAS[activation]}"


# ------------------------------------------------------------------------------------------------------
# Thumbnail colours and input-feature maps
# ------------------------------------------------------------------------------------------------------
def _hex_rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


@functools.lru_cache(maxsize=64)
def _ramp(stops: tuple[str, ...]) -> np.ndarray:
    """A 256-entry colour ramp through `stops`; cached and read-only (every node of a layer shares it)."""
    colors = np.array([_hex_rgb(c) for c in stops])
    t = np.linspace(0, len(stops) - 1, 256)
    lo = np.minimum(np.floor(t).astype(int), len(stops) - 2)
    frac = (t - lo)[:, None]
    ramp = np.rint(colors[lo] * (1 - frac) + colors[lo + 1] * frac).astype(np.uint8)
    ramp.setflags(write=False)
    return ramp


def diverging_palette() -> np.ndarray:
    """(256, 3) uint8: orange (negative) – white (0 at 128) – blue (positive), like the edges."""
    return _ramp((NEGATIVE_COLOR, palette().zero_weight, POSITIVE_COLOR))


def sequential_palette(color: str = POSITIVE_COLOR) -> np.ndarray:
    """(256, 3) uint8 from white ("off", 0) to `color` ("on", 255)."""
    return _ramp((palette().zero_weight, color))


def is_one_sided(activation: str) -> bool:
    """True for activations that run from "off" (0) upwards (step, sigmoid, ReLU): white-to-blue pictures."""
    return activation in _ONE_SIDED


def palette_for(spec: NetworkSpec, layer: int, neuron: int, class_colors: tuple[str, ...] = ()) -> np.ndarray:
    """The colour table of a node's thumbnail: class colour for outputs, by activation for hidden neurons."""
    if layer == 0:
        return diverging_palette()
    if layer == len(spec.hidden) + 1 and spec.is_regression:  # a value: orange negative, blue positive
        return diverging_palette()
    if layer == len(spec.hidden) + 1:
        color = class_colors[neuron % len(class_colors)] if class_colors else POSITIVE_COLOR
        return sequential_palette(color)
    activation = spec.hidden[layer - 1].activation
    return sequential_palette() if activation in _ONE_SIDED else diverging_palette()


def feature_maps(
    bounds: tuple[float, float, float, float], size: int = 32, scaling: InputScaling | None = None
) -> dict[str, np.ndarray]:
    """Every input feature over `bounds` as a (size, size) uint8 map, row 0 = bottom, 0 at 128; with
    `scaling` the features of the standardized coordinates, as the network sees them.

    Each feature is scaled by its own largest magnitude on the grid, so x and x² both fill the palette.
    """
    x0, x1, y0, y1 = bounds
    xs = x0 + (np.arange(size) + 0.5) * ((x1 - x0) / size)
    ys = y0 + (np.arange(size) + 0.5) * ((y1 - y0) / size)
    gx, gy = np.meshgrid(xs, ys)
    values = compute_features(np.column_stack([gx.ravel(), gy.ravel()]), list(FEATURES), np.float64, scaling)
    top = np.maximum(np.abs(values).max(axis=0), 1e-12)
    scaled = np.clip(np.rint(127.5 + 127.5 * values / top), 0, 255).astype(np.uint8)
    return {name: np.ascontiguousarray(scaled[:, i].reshape(size, size)) for i, name in enumerate(FEATURES)}


# --- the error-signal glow ----------------------------------------------------------------------------------
#: Decades of |δ| the glow spans: a neuron 10⁴ times weaker than the strongest one in the network is dark.
GLOW_DECADES = 4.0


def delta_glow(deltas: Sequence[np.ndarray], decades: float = GLOW_DECADES) -> list[np.ndarray]:
    """Glow strengths in [0, 1] from per-node mean |δ| (one array per node 1..L+1), on a log scale relative
    to the strongest neuron of the whole network: vanishing layers fade out instead of every layer being
    normalised to look alike. Zero, NaN and non-finite values glow 0."""
    arrays = [np.asarray(d, dtype=np.float64) for d in deltas]
    finite = [a[np.isfinite(a) & (a > 0)] for a in arrays]
    peak = max((float(f.max()) for f in finite if len(f)), default=0.0)
    if peak <= 0:
        return [np.zeros(len(a)) for a in arrays]
    levels = []
    for a in arrays:
        with np.errstate(divide="ignore", invalid="ignore"):
            level = 1.0 + np.log10(a / peak) / decades
        levels.append(np.clip(np.nan_to_num(level, nan=0.0, neginf=0.0, posinf=0.0), 0.0, 1.0))
    return levels

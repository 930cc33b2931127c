"""The architecture changes a user makes with the mouse, as pure functions ``spec -> new spec``.

The network panel maps each click or drag to one of these and hands the result to ``Document.set_spec``
(so it is undoable); keeping them here makes the rules (never zero features, width limits, where a new
layer comes from, what happens to the links of a layer that moves) testable without Qt. Hidden layers are
indexed from 0 (``spec.hidden[i]``); the UI calls it "layer i + 1", which is also its node number in links
(0 = inputs, L + 1 = output, see `spec.Link`). Every function returns a validated spec or raises `SpecError`
with a message a user can act on.

Links follow their layers: inserting a layer renumbers the links after it, removing one drops the links
that touch it (and a connection that would now duplicate the chain), and a width change that breaks a
residual link's "equal widths" turns it into a weighted connection, which joins any widths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

from workbench.core.model.engine.network import kept_layers
from workbench.core.model.spec import (
    ACTIVATIONS,
    FEATURES,
    INPUT_NODE,
    MAX_HIDDEN_LAYERS,
    MAX_LAYER_WIDTH,
    LayerSpec,
    Link,
    NetworkSpec,
    SpecError,
)

#: Above this many parameters training and drawing get slow; the panel asks before growing past it.
LARGE_NETWORK_PARAMETERS = 100_000

DEFAULT_NEW_LAYER = LayerSpec(4, "tanh")

LinkKind = Literal["connection", "residual"]


def _check_index(spec: NetworkSpec, index: int) -> None:
    if not 0 <= index < len(spec.hidden):
        raise SpecError(f"there is no hidden layer {index + 1}; the network has {len(spec.hidden)}")


def node_label(spec: NetworkSpec, node: int) -> str:
    """A node as a user reads it: "the inputs", "layer 2", "the output"."""
    if node == INPUT_NODE:
        return "the inputs"
    return "the output" if node == spec.output_node else f"layer {node}"


def _renumbered(
    spec: NetworkSpec, hidden: list[LayerSpec], node_map: Callable[[int], int | None]
) -> NetworkSpec:
    """`spec` with new hidden layers and its links moved by `node_map` (None: the link goes away).

    Connections that end up joining neighbours are dropped: the chain already is that connection.
    """

    def moved(links: Iterable[Link], chain_allowed: bool) -> list[Link]:
        out = []
        for link in links:
            source, target = node_map(link.source), node_map(link.target)
            if source is None or target is None or (not chain_allowed and target == source + 1):
                continue
            out.append(Link(source, target))
        return out

    return replace(spec, hidden=tuple(hidden)).with_links(
        moved(spec.connections, chain_allowed=False), moved(spec.residuals, chain_allowed=True)
    )


def insert_layer(spec: NetworkSpec, index: int) -> NetworkSpec:
    """Insert a hidden layer before ``spec.hidden[index]`` (``index == len(hidden)``: just before the output).

    The new layer copies its left neighbour (or right one, or 4 × tanh) so the network keeps its character.
    Links keep joining the same layers (those after the new one are renumbered); a link that spanned the
    insertion point now also skips the new layer.
    """
    if not 0 <= index <= len(spec.hidden):
        raise SpecError(f"cannot insert a layer at position {index + 1}")
    if len(spec.hidden) >= MAX_HIDDEN_LAYERS:
        raise SpecError(f"at most {MAX_HIDDEN_LAYERS} hidden layers are supported")
    neighbour = spec.hidden[index - 1] if index > 0 else (spec.hidden[0] if spec.hidden else None)
    new_layer = neighbour or DEFAULT_NEW_LAYER
    hidden = list(spec.hidden)
    hidden.insert(index, new_layer)
    new_node = index + 1
    return _renumbered(spec, hidden, lambda node: node + 1 if node >= new_node else node).validate()


def links_lost_by_removal(spec: NetworkSpec, index: int) -> list[Link]:
    """The links `remove_layer(spec, index)` drops, in `spec`'s numbering: those touching the layer, and
    connections that skipped only it (they would duplicate the chain)."""
    _check_index(spec, index)
    node = index + 1
    lost = [link for link in (*spec.connections, *spec.residuals) if node in (link.source, link.target)]
    lost += [link for link in spec.connections if link.source == node - 1 and link.target == node + 1]
    return sorted(set(lost))


def remove_layer(spec: NetworkSpec, index: int) -> NetworkSpec:
    """Remove ``spec.hidden[index]``; removing the last hidden layer leaves logistic regression.

    Links touching the layer go with it; the others keep joining the same layers (renumbered), except a
    connection that skipped only this layer, which the chain now provides (`links_lost_by_removal`).
    """
    _check_index(spec, index)
    hidden = list(spec.hidden)
    del hidden[index]
    gone = index + 1

    def node_map(node: int) -> int | None:
        if node == gone:
            return None
        return node - 1 if node > gone else node

    return _renumbered(spec, hidden, node_map).validate()


def fit_residuals(spec: NetworkSpec) -> NetworkSpec:
    """Residual links whose widths no longer match become weighted connections (which join any widths);
    one to the very next layer, which already reads its source through weights, or one that already has a
    connection beside it, is dropped. Used after every change of a width (layer, inputs, classes)."""
    sizes = spec.layer_sizes
    broken = [link for link in spec.residuals if sizes[link.source] != sizes[link.target]]
    if not broken:
        return spec
    connections = set(spec.connections)
    for link in broken:
        if link.target != link.source + 1:
            connections.add(link)
    return spec.with_links(connections, [link for link in spec.residuals if link not in broken])


def residual_changes(old: NetworkSpec, new: NetworkSpec) -> tuple[list[Link], list[Link]]:
    """(residual links of `old` that became connections in `new`, those that were dropped) for an edit
    that keeps the node numbers (a width change)."""
    gone = [link for link in old.residuals if link not in new.residuals]
    converted = [link for link in gone if link in new.connections and link not in old.connections]
    return converted, [link for link in gone if link not in converted]


def set_layer_width(spec: NetworkSpec, index: int, width: int) -> NetworkSpec:
    """New width for a layer; a residual link it no longer matches becomes a connection (`fit_residuals`)."""
    _check_index(spec, index)
    if not 1 <= width <= MAX_LAYER_WIDTH:
        raise SpecError(f"a layer has between 1 and {MAX_LAYER_WIDTH} neurons")
    hidden = list(spec.hidden)
    hidden[index] = replace(hidden[index], width=int(width))
    return fit_residuals(replace(spec, hidden=tuple(hidden))).validate()


def change_layer_width(spec: NetworkSpec, index: int, delta: int) -> NetworkSpec:
    """The +/− buttons: one neuron more or fewer (SpecError at the limits, saying why)."""
    _check_index(spec, index)
    width = spec.hidden[index].width + delta
    if width < 1:
        raise SpecError("a layer needs at least one neuron; remove the layer with × instead")
    return set_layer_width(spec, index, width)


def set_layer_activation(spec: NetworkSpec, index: int, activation: str) -> NetworkSpec:
    _check_index(spec, index)
    if activation not in ACTIVATIONS:
        raise SpecError(f"unknown activation {activation!r}; choose from {', '.join(ACTIVATIONS)}")
    hidden = list(spec.hidden)
    hidden[index] = replace(hidden[index], activation=activation)
    return replace(spec, hidden=tuple(hidden)).validate()


def toggle_feature(spec: NetworkSpec, feature: str) -> NetworkSpec:
    """Switch an input feature on or off; features stay in display order. The last one cannot go.

    The inputs' width changes, so a residual link from the inputs becomes a connection (`fit_residuals`).
    """
    if feature not in FEATURES:
        raise SpecError(f"unknown input feature {feature!r}; choose from {', '.join(FEATURES)}")
    enabled = set(spec.features)
    if feature in enabled:
        if len(enabled) == 1:
            raise SpecError("the network needs at least one input feature: switch another one on first")
        enabled.remove(feature)
    else:
        enabled.add(feature)
    return fit_residuals(replace(spec, features=tuple(f for f in FEATURES if f in enabled))).validate()


def with_class_count(spec: NetworkSpec, n_classes: int) -> NetworkSpec:
    """The spec for a dataset with `n_classes` classes (the output follows the dataset): a residual link
    into the output that no longer matches its width becomes a connection. Not validated (the caller's
    limits apply)."""
    return fit_residuals(replace(spec, n_classes=n_classes))


def with_outputs(spec: NetworkSpec, task: str, n_classes: int) -> NetworkSpec:
    """The spec for data of `task` with `n_classes` classes (the output follows the dataset: one value for
    regression, a logit per class otherwise). Not validated."""
    return fit_residuals(replace(spec, task=task, n_classes=n_classes))


# ------------------------------------------------------------------------------------------------------
# Links: connections (weighted) and residual links (added, no weights)
# ------------------------------------------------------------------------------------------------------
def _check_node(spec: NetworkSpec, node: int) -> None:
    if not 0 <= node <= spec.output_node:
        raise SpecError(
            f"there is no layer {node}: the network has the inputs, hidden layers 1 to {len(spec.hidden)} "
            "and the output"
        )


def link_kind(spec: NetworkSpec, source: int, target: int) -> LinkKind | None:
    """Which link joins `source` to `target` besides the chain, if any (a connection wins if both do)."""
    link = Link(source, target)
    if link in spec.connections:
        return "connection"
    return "residual" if link in spec.residuals else None


@dataclass(frozen=True)
class LinkOptions:
    """What a drag from `source` dropped on `target` may add, or why nothing (`reason`)."""

    source: int
    target: int
    kinds: tuple[LinkKind, ...]
    reason: str = ""


def link_options(spec: NetworkSpec, source: int, target: int) -> LinkOptions:
    """The links a user may add from `source` to `target`: a connection unless the target is the next
    layer (it already reads `source` through its weights), a residual link when the widths are equal; none
    when the pair is linked already or goes backwards. `reason` says why an option is missing."""
    _check_node(spec, source)
    _check_node(spec, target)
    src, dst = node_label(spec, source), node_label(spec, target)
    if source == spec.output_node:
        return LinkOptions(source, target, (), "nothing comes after the output")
    if target <= source:
        return LinkOptions(source, target, (), f"links go forward: drop on a layer to the right of {src}")
    existing = link_kind(spec, source, target)
    if existing is not None:
        name = "a weighted connection" if existing == "connection" else "a residual link"
        return LinkOptions(source, target, (), f"{src} and {dst} already have {name}; click it to remove it")
    sizes = spec.layer_sizes
    same_width = sizes[source] == sizes[target]
    kinds: list[LinkKind] = []
    notes = []
    if target == source + 1:
        notes.append(f"{dst} already reads {src} through its weights")
    else:
        kinds.append("connection")
    if same_width:
        kinds.append("residual")
    else:
        notes.append(f"a residual link needs equal widths ({src}: {sizes[source]}, {dst}: {sizes[target]})")
    return LinkOptions(source, target, tuple(kinds), "; ".join(notes))


def add_link(spec: NetworkSpec, source: int, target: int, kind: LinkKind) -> NetworkSpec:
    """Add a connection (weighted: `target`'s Linear also reads `source`) or a residual link (`source`'s
    output is added to `target`'s, no weights); SpecError says why it cannot be added."""
    options = link_options(spec, source, target)
    if kind not in options.kinds:
        what = "weighted connection" if kind == "connection" else "residual link"
        reason = options.reason or "it is not possible here"
        raise SpecError(f"no {what} from {node_label(spec, source)} to {node_label(spec, target)}: {reason}")
    link = Link(source, target)
    if kind == "connection":
        return spec.with_links([*spec.connections, link], spec.residuals).validate()
    return spec.with_links(spec.connections, [*spec.residuals, link]).validate()


def add_connection(spec: NetworkSpec, source: int, target: int) -> NetworkSpec:
    return add_link(spec, source, target, "connection")


def add_residual(spec: NetworkSpec, source: int, target: int) -> NetworkSpec:
    return add_link(spec, source, target, "residual")


def remove_link(spec: NetworkSpec, source: int, target: int) -> NetworkSpec:
    """Remove the connection and/or residual link from `source` to `target` (the chain cannot go)."""
    link = Link(source, target)
    if link not in spec.connections and link not in spec.residuals:
        if target == source + 1 and 0 <= source < spec.output_node:
            raise SpecError(
                f"{node_label(spec, target)} always reads {node_label(spec, source)}: remove a layer with × "
                "instead"
            )
        raise SpecError(
            f"there is no link from {node_label(spec, source)} to {node_label(spec, target)} to remove"
        )
    return spec.with_links(
        [c for c in spec.connections if c != link], [r for r in spec.residuals if r != link]
    ).validate()


def describe_link(spec: NetworkSpec, link: Link, kind: LinkKind) -> str:
    """A link in words, e.g. "1 > 3: weighted connection" (the hover text adds its norm)."""
    name = "weighted connection" if kind == "connection" else "residual link (adds, no weights)"
    return f"{spec.node_name(link.source)} > {spec.node_name(link.target)}: {name}"


# ------------------------------------------------------------------------------------------------------
# Weights and size
# ------------------------------------------------------------------------------------------------------
def weight_shapes(spec: NetworkSpec) -> list[tuple[int, int]]:
    """(in, out) of each Linear layer, input to output: `in` counts every source of a node (its fan-in)."""
    sizes = spec.layer_sizes
    return [(spec.fan_in(node), sizes[node]) for node in range(1, len(sizes))]


def changed_weight_layers(old: NetworkSpec, new: NetworkSpec) -> list[int]:
    """Indices of Linear layers (0 = input → first layer) that start again from (some) fresh random weights.

    The complement of the engine's `kept_layers` (what `Trainer.set_spec` carries over block by block: a
    connection just added starts at zero, so it re-initialises nothing).
    """
    kept = set(kept_layers(old, new))
    return [i for i in range(new.output_node) if i not in kept]


def grows_past_large(old: NetworkSpec, new: NetworkSpec) -> bool:
    """True when a change takes the network above `LARGE_NETWORK_PARAMETERS` (worth a warning first)."""
    return old.n_parameters <= LARGE_NETWORK_PARAMETERS < new.n_parameters


__all__ = [
    "DEFAULT_NEW_LAYER",
    "LARGE_NETWORK_PARAMETERS",
    "LinkKind",
    "LinkOptions",
    "add_connection",
    "add_link",
    "add_residual",
    "change_layer_width",
    "changed_weight_layers",
    "describe_link",
    "fit_residuals",
    "grows_past_large",
    "insert_layer",
    "link_kind",
    "link_options",
    "links_lost_by_removal",
    "node_label",
    "remove_layer",
    "remove_link",
    "residual_changes",
    "set_layer_activation",
    "set_layer_width",
    "toggle_feature",
    "weight_shapes",
    "with_class_count",
    "with_outputs",
]

"""The architecture changes a user makes with the mouse, as pure functions ``spec -> new spec``.

The network panel maps each click to one of these and hands the result to ``Document.set_spec`` (so it is
undoable); keeping them here makes the rules (never zero features, width limits, where a new layer comes from)
testable without Qt. Hidden layers are indexed from 0 (``spec.hidden[i]``); the UI calls it "layer i + 1".
Every function returns a validated spec or raises `SpecError` with a message a user can act on.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from workbench.core.model.spec import (
    ACTIVATIONS,
    FEATURES,
    MAX_HIDDEN_LAYERS,
    MAX_LAYER_WIDTH,
    LayerSpec,
    NetworkSpec,
    SpecError,
)

#: Above this many parameters training and drawing get slow; the panel asks before growing past it.
LARGE_NETWORK_PARAMETERS = 100_000

DEFAULT_NEW_LAYER = LayerSpec(4, "tanh")


def _check_index(spec: NetworkSpec, index: int) -> None:
    if not 0 <= index < len(spec.hidden):
        raise SpecError(f"there is no hidden layer {index + 1}; the network has {len(spec.hidden)}")


def insert_layer(spec: NetworkSpec, index: int) -> NetworkSpec:
    """Insert a hidden layer before ``spec.hidden[index]`` (``index == len(hidden)``: just before the output).

    The new layer copies its left neighbour (or right one, or 4 × tanh) so the network keeps its character.
    """
    if not 0 <= index <= len(spec.hidden):
        raise SpecError(f"cannot insert a layer at position {index + 1}")
    if len(spec.hidden) >= MAX_HIDDEN_LAYERS:
        raise SpecError(f"at most {MAX_HIDDEN_LAYERS} hidden layers are supported")
    neighbour = spec.hidden[index - 1] if index > 0 else (spec.hidden[0] if spec.hidden else None)
    new_layer = neighbour or DEFAULT_NEW_LAYER
    hidden = list(spec.hidden)
    hidden.insert(index, new_layer)
    return spec.with_hidden(hidden).validate()


def remove_layer(spec: NetworkSpec, index: int) -> NetworkSpec:
    """Remove ``spec.hidden[index]``; removing the last hidden layer leaves logistic regression."""
    _check_index(spec, index)
    hidden = list(spec.hidden)
    del hidden[index]
    return spec.with_hidden(hidden).validate()


def set_layer_width(spec: NetworkSpec, index: int, width: int) -> NetworkSpec:
    _check_index(spec, index)
    if not 1 <= width <= MAX_LAYER_WIDTH:
        raise SpecError(f"a layer has between 1 and {MAX_LAYER_WIDTH} neurons")
    hidden = list(spec.hidden)
    hidden[index] = replace(hidden[index], width=int(width))
    return spec.with_hidden(hidden).validate()


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
    return spec.with_hidden(hidden).validate()


def toggle_feature(spec: NetworkSpec, feature: str) -> NetworkSpec:
    """Switch an input feature on or off; features stay in display order. The last one cannot go."""
    if feature not in FEATURES:
        raise SpecError(f"unknown input feature {feature!r}; choose from {', '.join(FEATURES)}")
    enabled = set(spec.features)
    if feature in enabled:
        if len(enabled) == 1:
            raise SpecError("the network needs at least one input feature: switch another one on first")
        enabled.remove(feature)
    else:
        enabled.add(feature)
    return replace(spec, features=tuple(f for f in FEATURES if f in enabled)).validate()


def weight_shapes(spec: NetworkSpec) -> list[tuple[int, int]]:
    """(in, out) of each Linear layer, input to output."""
    return list(itertools.pairwise(spec.layer_sizes))


def changed_weight_layers(old: NetworkSpec, new: NetworkSpec) -> list[int]:
    """Indices of Linear layers (0 = input → first layer) whose weights cannot carry over from `old`.

    Mirrors `Trainer.set_spec` (`Network.copy_fitting_layers`): a layer keeps its weights when the layer at
    the same position had the same shape; everything else starts from fresh random weights.
    """
    old_shapes = weight_shapes(old)
    return [i for i, shape in enumerate(weight_shapes(new)) if i >= len(old_shapes) or old_shapes[i] != shape]


def grows_past_large(old: NetworkSpec, new: NetworkSpec) -> bool:
    """True when a change takes the network above `LARGE_NETWORK_PARAMETERS` (worth a warning first)."""
    return old.n_parameters <= LARGE_NETWORK_PARAMETERS < new.n_parameters

"""The weight layout every export format shares: the state_dict of the PyTorch module the `.py` export builds.

A chain (no connections, no residual links) is ``Linear, activation, Linear, activation, ..., Linear``,
an ``nn.Sequential``: keys ``"{index}.weight"`` with shape ``(out_features, in_features)`` and
``"{index}.bias"``, where the index counts the activation modules too, so the Linear layers sit at 0, 2,
4... This layout never changes: files from before graphs and files of chains read the same everywhere.

A graph names its modules by node (``in``, ``1``..``L``, ``out``, as the command line does): one Linear per
layer, ``linear.{node}.weight`` / ``linear.{node}.bias``, reading the previous layer; one bias-free matrix per
extra connection, ``connections.{source}_to_{target}.weight``. The engine stacks a layer's blocks into one W
(rows in the order of `NetworkSpec.sources`); exports split it per source and imports stack it back, so each
tensor is one arrow of the drawing. Residual links have no weights. Logits are the output; softmax is applied
by the reader, not a module (a regression network's one output is the predicted value itself: no softmax).
Input features (x², x·y, sin x...) are not layers: the metadata describes them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from workbench.core.model.activations import ACTIVATION_INFO, LEAKY_SLOPE
from workbench.core.model.spec import Link, NetworkSpec, SpecError

FORMAT_NAME = "workbench-weights"
#: The newest version this code reads. Chains are written as version 1 (any Workbench reads them), graphs
#: as version 2, so an older Workbench refuses a graph clearly instead of misreading it as a chain.
FORMAT_VERSION = 4  # 3: input standardization (spec "input_scaling", metadata "input_standardization")
SCALING_FORMAT_VERSION = 3
#: Regression models (metadata "task": "regression", one output value): an older Workbench refuses them.
REGRESSION_FORMAT_VERSION = 4
CHAIN_FORMAT_VERSION = 1

#: What a reader must do with the raw (x, y) points before the first Linear layer.
FEATURE_FORMULAS: dict[str, str] = {
    "x": "x",
    "y": "y",
    "x2": "x * x",
    "y2": "y * y",
    "xy": "x * y",
    "sinx": "sin(x)",
    "siny": "sin(y)",
}

#: How each activation is written as a PyTorch module (``Step`` is defined in the generated script).
TORCH_MODULES: dict[str, str] = {name: info.torch_module for name, info in ACTIVATION_INFO.items()}

STEP_CONVENTION = "1 where the input is > 0, else 0 (so 0 at exactly 0)"
CHAIN_LAYOUT = "torch.nn.Sequential state_dict: '{index}.weight' (out_features, in_features)"
GRAPH_LAYOUT = (
    "'linear.{node}.weight' (out_features, in_features) and 'linear.{node}.bias' per layer, node 1..L or "
    "'out', reading the layer before; 'connections.{source}_to_{target}.weight' (target width, source "
    "width), no bias, per extra connection; nodes 'in' (the features), 1..L, 'out'"
)

Weights = list[tuple[np.ndarray, np.ndarray]]


class WeightsImportError(ValueError):
    """A weights file that cannot be loaded into the network; the message names what does not match."""


class WeightsExportError(ValueError):
    """Weights, spec or path that cannot be exported; the message says what to change."""


def leaky_relu_slope() -> float:
    """The engine's leaky ReLU slope, so every exported graph computes exactly what the engine computes."""
    return float(LEAKY_SLOPE)


def format_version(spec: NetworkSpec) -> int:
    """The oldest format version that can describe `spec` (see `FORMAT_VERSION`)."""
    if spec.is_regression:
        return REGRESSION_FORMAT_VERSION
    if spec.input_scaling is not None:
        return SCALING_FORMAT_VERSION
    return CHAIN_FORMAT_VERSION if spec.is_chain else 2


def module_name(spec: NetworkSpec, node: int) -> str:
    """The Linear of node 1..L+1: ``"0"``, ``"2"``... in a chain's Sequential, ``"linear.3"`` in a graph."""
    if spec.is_chain:
        return str(2 * (node - 1))
    return f"linear.{spec.node_name(node)}"


def connection_name(spec: NetworkSpec, link: Link) -> str:
    """``connections.in_to_3``: the bias-free Linear of one extra connection."""
    return f"connections.{spec.node_name(link.source)}_to_{spec.node_name(link.target)}"


def linear_keys(spec: NetworkSpec) -> list[tuple[str, str]]:
    """(weight key, bias key) for every Linear layer, input to output."""
    names = (module_name(spec, node) for node in range(1, spec.output_node + 1))
    return [(f"{name}.weight", f"{name}.bias") for name in names]


def connections_in_order(spec: NetworkSpec) -> list[Link]:
    """The extra connections by target, then source: the order of their tensors and of their rows in W."""
    return sorted(spec.connections, key=lambda link: (link.target, link.source))


def weight_blocks(spec: NetworkSpec, node: int) -> list[tuple[str, int]]:
    """(tensor key, rows) of each block of node's stacked engine W, top to bottom (`NetworkSpec.sources`)."""
    sizes = spec.layer_sizes
    blocks = [(f"{module_name(spec, node)}.weight", sizes[node - 1])]
    for source in spec.sources(node)[1:]:
        blocks.append((f"{connection_name(spec, Link(source, node))}.weight", sizes[source]))
    return blocks


def expected_shapes(spec: NetworkSpec) -> dict[str, tuple[int, ...]]:
    """Every state_dict key with its PyTorch shape, in the order the generated module lists them."""
    sizes = spec.layer_sizes
    shapes: dict[str, tuple[int, ...]] = {}
    for node, (weight_key, bias_key) in enumerate(linear_keys(spec), start=1):
        shapes[weight_key] = (sizes[node], sizes[node - 1])
        shapes[bias_key] = (sizes[node],)
    for link in connections_in_order(spec):
        shapes[f"{connection_name(spec, link)}.weight"] = (sizes[link.target], sizes[link.source])
    return shapes


def module_descriptions(spec: NetworkSpec) -> list[str]:
    """The modules written out. A chain: its ``nn.Sequential``, e.g. ``["Linear(2, 8)", "ReLU()",
    "Linear(8, 2)"]``; a graph: ``"name: module"`` lines, e.g. ``"connections.in_to_3: Linear(2, 8,
    bias=False)"`` (activations have no weights, so they have no keys)."""
    sizes = spec.layer_sizes
    if spec.is_chain:
        modules = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            modules.append(f"Linear({n_in}, {n_out})")
            if i < len(spec.hidden):
                modules.append(TORCH_MODULES[spec.hidden[i].activation])
        return modules
    lines = []
    for node in range(1, spec.output_node + 1):
        lines.append(f"{module_name(spec, node)}: Linear({sizes[node - 1]}, {sizes[node]})")
        if node < spec.output_node:
            lines.append(f"activations.{node}: {TORCH_MODULES[spec.hidden[node - 1].activation]}")
    for link in connections_in_order(spec):
        lines.append(
            f"{connection_name(spec, link)}: Linear({sizes[link.source]}, {sizes[link.target]}, bias=False)"
        )
    return lines


def value_name(spec: NetworkSpec, node: int) -> str:
    """How `forward_formulas` names a node's output: ``in`` (the features), ``h1``..``hL``, ``logits``."""
    if node == 0:
        return "in"
    return "logits" if node == spec.output_node else f"h{node}"


def forward_formulas(spec: NetworkSpec) -> list[str]:
    """One line per layer of a graph's forward pass, e.g. ``h3 = relu(linear.3(h2) + connections.in_to_3(in))
    + h1``; the generated script and the ONNX graph compute exactly these."""
    lines = []
    for node in range(1, spec.output_node + 1):
        terms = [f"{module_name(spec, node)}({value_name(spec, node - 1)})"]
        terms += [
            f"{connection_name(spec, Link(source, node))}({value_name(spec, source)})"
            for source in spec.sources(node)[1:]
        ]
        value = " + ".join(terms)
        activation = spec.hidden[node - 1].activation if node < spec.output_node else "linear"
        if activation != "linear":
            value = f"{activation}({value})"
        residuals = [value_name(spec, source) for source in spec.residual_sources(node)]
        line = " + ".join([value, *residuals])
        lines.append(f"{value_name(spec, node)} = {line}")
    return lines


def build_metadata(spec: NetworkSpec, class_names: Sequence[str]) -> dict[str, Any]:
    """Everything a reader needs besides the tensors; JSON-serialisable. Graphs add ``forward``; regression
    models say ``"task": "regression"`` and have no class names."""
    metadata: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": format_version(spec),
        "spec": spec.to_dict(),
        "class_names": list(class_names),
        "features": [FEATURE_FORMULAS[name] for name in spec.features],
        "modules": module_descriptions(spec),
        "weight_layout": CHAIN_LAYOUT if spec.is_chain else GRAPH_LAYOUT,
        "output": "logits; softmax over the last axis gives the class probabilities",
        "leaky_relu_slope": leaky_relu_slope(),
        "step": STEP_CONVENTION,
    }
    if spec.is_regression:  # (classification metadata stays exactly as before regression)
        del metadata["class_names"]
        metadata["task"] = "regression"
        metadata["output"] = "the predicted value, shape (batch, 1): one linear output, no softmax"
    if not spec.is_chain:
        metadata["forward"] = forward_formulas(spec)
    if spec.input_scaling is not None:
        metadata["input_standardization"] = {
            **spec.input_scaling.to_dict(),
            "formula": "x = (raw_x - mean[0]) / std[0], y = (raw_y - mean[1]) / std[1], before the features",
        }
    return metadata


def expected_weight_shapes(spec: NetworkSpec) -> list[tuple[tuple[int, int], tuple[int]]]:
    """The engine's (W, b) shapes per node 1..L+1: W is (fan_in, width), the sources' blocks stacked."""
    sizes = spec.layer_sizes
    return [((spec.fan_in(node), sizes[node]), (sizes[node],)) for node in range(1, spec.output_node + 1)]


def weights_fit(spec: NetworkSpec, weights: Sequence[tuple[Any, Any]] | None) -> bool:
    """Do `weights` have exactly the shapes a network of `spec` needs (any graph)?"""
    if weights is None or len(weights) != spec.output_node:
        return False
    return all(
        np.shape(w) == want_w and np.shape(b) == want_b
        for (w, b), (want_w, want_b) in zip(weights, expected_weight_shapes(spec), strict=True)
    )


def validate_for_export(
    spec: NetworkSpec, weights: Sequence[tuple[np.ndarray, np.ndarray]], class_names: Sequence[str] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Check everything before a byte is written; returns the state_dict and the class names."""
    try:
        spec.validate()
    except SpecError as exc:
        raise WeightsExportError(f"cannot export: {exc}") from None
    if spec.is_regression:  # one value out: class names do not apply
        class_names = ["target"]
    if class_names is None:
        class_names = [f"class {i + 1}" for i in range(spec.n_classes)]
    names = [str(name) for name in class_names]
    if not spec.is_regression and len(names) != spec.n_classes:
        raise WeightsExportError(
            f"cannot export: {len(names)} class names given but the network has {spec.n_classes} outputs"
        )
    expected_layers = spec.output_node
    if len(weights) != expected_layers:
        raise WeightsExportError(
            f"cannot export: {len(weights)} weight layers given "
            f"but the spec has {expected_layers} Linear layers"
        )
    arrays = []
    for node, ((want_w, want_b), pair) in enumerate(
        zip(expected_weight_shapes(spec), weights, strict=True), start=1
    ):
        weight, bias = np.asarray(pair[0]), np.asarray(pair[1])
        if weight.shape != want_w or bias.shape != want_b:
            raise WeightsExportError(
                f"cannot export: layer {node} has weights {weight.shape} and bias {bias.shape}, "
                f"but the spec needs {want_w} and {want_b}"
            )
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise WeightsExportError(
                f"cannot export: layer {node} has non-finite weights (NaN or infinity); "
                "reset or retrain the network first"
            )
        arrays.append((weight, bias))
    return state_from_weights(spec, arrays), names


def state_from_weights(
    spec: NetworkSpec, weights: Sequence[tuple[np.ndarray, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Engine weights (shapes already checked) -> the state_dict, float32, PyTorch (out, in) layout, each
    stacked W split into one tensor per source."""
    blocks: dict[str, np.ndarray] = {}
    for node, (weight, bias) in enumerate(weights, start=1):
        row = 0
        for key, rows in weight_blocks(spec, node):
            blocks[key] = np.ascontiguousarray(weight[row : row + rows].T, dtype=np.float32)
            row += rows
        blocks[f"{module_name(spec, node)}.bias"] = np.ascontiguousarray(bias, dtype=np.float32)
    return {key: blocks[key] for key in expected_shapes(spec)}


def check_metadata(metadata: Mapping[str, Any], spec: NetworkSpec) -> None:
    """Refuse a file written for another network, naming the first difference."""
    if metadata.get("format") != FORMAT_NAME:
        raise WeightsImportError(f"not a Workbench weights file (no format {FORMAT_NAME!r} recorded)")
    version = metadata.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise WeightsImportError(f"the file's format version {version!r} is not a positive whole number")
    if version > FORMAT_VERSION:
        raise WeightsImportError(
            f"the file uses format version {version}, written by a newer Workbench; "
            f"this one reads up to version {FORMAT_VERSION}"
        )
    raw_spec = metadata.get("spec")
    if not isinstance(raw_spec, dict):
        raise WeightsImportError("the file does not describe its network (missing 'spec')")
    try:
        file_spec = NetworkSpec.from_dict(raw_spec)
    except SpecError as exc:
        raise WeightsImportError(f"the file's network description is invalid: {exc}") from None
    if (file_spec.input_scaling is None) != (spec.input_scaling is None):
        said = "standardized" if file_spec.input_scaling is not None else "raw"
        raise WeightsImportError(
            f"the file was trained on {said} inputs but the network's input standardization is "
            f"{'on' if spec.input_scaling is not None else 'off'}; switch it to match"
        )
    if file_spec.input_scaling is not None and spec.input_scaling is not None:
        theirs, ours = file_spec.input_scaling, spec.input_scaling
        if not np.allclose([*theirs.mean, *theirs.std], [*ours.mean, *ours.std], rtol=1e-6, atol=1e-9):
            raise WeightsImportError(
                f"the file's inputs were standardized with mean {theirs.mean[0]:.6g}, {theirs.mean[1]:.6g} "
                f"and std {theirs.std[0]:.6g}, {theirs.std[1]:.6g}, the network's with mean "
                f"{ours.mean[0]:.6g}, {ours.mean[1]:.6g} and std {ours.std[0]:.6g}, {ours.std[1]:.6g}: the "
                "weights would compute another function"
            )
    file_task = metadata.get("task", file_spec.task)
    if file_task != spec.task or file_spec.task != spec.task:
        raise WeightsImportError(
            f"the file holds a {file_task} model but the network is for {spec.task}; switch the task to match"
        )
    if file_spec.features != spec.features:
        raise WeightsImportError(
            f"wrong input features: the file was trained on ({', '.join(file_spec.features)}) "
            f"but the network uses ({', '.join(spec.features)})"
        )
    if len(file_spec.hidden) != len(spec.hidden):
        raise WeightsImportError(
            f"the file has {len(file_spec.hidden)} hidden layers but the network has {len(spec.hidden)}"
        )
    for i, (theirs, ours) in enumerate(zip(file_spec.hidden, spec.hidden, strict=True), start=1):
        if theirs.width != ours.width:
            raise WeightsImportError(
                f"hidden layer {i}: the file has {theirs.width} neurons but the network has {ours.width}"
            )
        if theirs.activation != ours.activation:
            raise WeightsImportError(
                f"hidden layer {i}: the file uses activation {theirs.activation!r} "
                f"but the network uses {ours.activation!r}"
            )
    if not spec.is_regression and file_spec.n_classes != spec.n_classes:
        raise WeightsImportError(
            f"the file has {file_spec.n_classes} classes but the network has {spec.n_classes}"
        )
    for kind, theirs, ours in (
        ("connections", file_spec.connections, spec.connections),
        ("residual links", file_spec.residuals, spec.residuals),
    ):
        if set(theirs) != set(ours):
            raise WeightsImportError(
                f"the file's network has {kind} {_link_list(file_spec, theirs)} "
                f"but this network has {_link_list(spec, ours)}"
            )
    if any(layer.activation == "leaky_relu" for layer in spec.hidden):
        slope = metadata.get("leaky_relu_slope")
        if (
            isinstance(slope, bool)
            or not isinstance(slope, (int, float))
            or not math.isclose(slope, leaky_relu_slope(), rel_tol=1e-6)
        ):
            raise WeightsImportError(
                f"the file's leaky ReLU slope {slope!r} differs from this engine's {leaky_relu_slope()}"
            )


def weights_from_state(state: Mapping[str, Any], spec: NetworkSpec) -> Weights:
    """Turn PyTorch-layout tensors back into engine weights, refusing anything that does not fit."""
    shapes = expected_shapes(spec)
    missing = [key for key in shapes if key not in state]
    if missing:
        _refuse_other_kind(state, spec)
    if missing:
        raise WeightsImportError(f"missing tensor {missing[0]!r} (the network needs {', '.join(shapes)})")
    extra = sorted(str(key) for key in state if key not in shapes)
    if extra:
        raise WeightsImportError(f"unexpected tensor {extra[0]!r} (the network needs {', '.join(shapes)})")
    arrays: dict[str, np.ndarray] = {}
    for key, shape in shapes.items():
        arrays[key] = _as_float_tensor(key, state[key], shape)
    return [
        (
            np.concatenate([arrays[key].T for key, _ in weight_blocks(spec, node)], axis=0).copy(order="C"),
            arrays[bias_key].copy(),
        )
        for node, (_, bias_key) in enumerate(linear_keys(spec), start=1)
    ]


def _refuse_other_kind(state: Mapping[str, Any], spec: NetworkSpec) -> None:
    """A chain's file for a graph or the other way round: say so, rather than name one missing tensor."""
    holds_chain = "0.weight" in state
    holds_graph = any(str(key).startswith("linear.") for key in state)
    if spec.is_chain and holds_graph and not holds_chain:
        raise WeightsImportError(
            "the file holds the weights of a network with connections or residual links, but this network "
            "is a plain chain of layers: add the same links before importing"
        )
    if not spec.is_chain and holds_chain and not holds_graph:
        raise WeightsImportError(
            "the file holds the weights of a plain chain of layers, but this network has connections or "
            "residual links: remove them before importing, or import a file exported from this network"
        )


def _link_list(spec: NetworkSpec, links: Sequence[Link]) -> str:
    return ", ".join(spec.link_text(link) for link in sorted(links)) or "none"


def _as_float_tensor(key: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise WeightsImportError(f"tensor {key!r} holds {value.dtype} values, not numbers")
        array = value
    else:
        _check_nested_numbers(key, value, shape)
        array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        raise WeightsImportError(
            f"tensor {key!r} has shape {tuple(array.shape)} but the network needs {shape} "
            "(PyTorch layout: out_features, in_features)"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise WeightsImportError(f"tensor {key!r} contains NaN, infinity or values too large for float32")
    return array


def _check_nested_numbers(key: str, value: Any, shape: tuple[int, ...]) -> None:
    """JSON tensors are nested lists: check lengths and leaf types before numpy guesses anything."""
    if not shape:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise WeightsImportError(f"tensor {key!r} contains {value!r}, which is not a number")
        return
    if not isinstance(value, list):
        raise WeightsImportError(f"tensor {key!r} must be a list nested {len(shape)} deep, got {value!r:.60}")
    if len(value) != shape[0]:
        raise WeightsImportError(
            f"tensor {key!r} has {len(value)} entries along an axis of length {shape[0]} "
            f"(expected shape {shape}, PyTorch layout: out_features, in_features)"
        )
    for item in value:
        _check_nested_numbers(key, item, shape[1:])

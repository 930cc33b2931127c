"""The one weight layout every export format shares: a PyTorch ``nn.Sequential`` state_dict.

The network is ``Linear, activation, Linear, activation, ..., Linear`` (logits; softmax is applied by the
reader, not a module). Keys are ``"{index}.weight"`` with shape ``(out_features, in_features)`` and
``"{index}.bias"``, where the index counts the activation modules too, so the Linear layers sit at 0, 2, 4...
Keeping a single layout means a file written in one format can be checked, imported and documented the same
way as any other. Input features (x², x·y, sin x...) are not layers: they are described in the metadata.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from workbench.core.model.activations import ACTIVATION_INFO, LEAKY_SLOPE
from workbench.core.model.spec import NetworkSpec, SpecError

FORMAT_NAME = "workbench-weights"
FORMAT_VERSION = 1

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

Weights = list[tuple[np.ndarray, np.ndarray]]


class WeightsImportError(ValueError):
    """A weights file that cannot be loaded into the network; the message names what does not match."""


class WeightsExportError(ValueError):
    """Weights, spec or path that cannot be exported; the message says what to change."""


def leaky_relu_slope() -> float:
    """The engine's leaky ReLU slope, so every exported graph computes exactly what the engine computes."""
    return float(LEAKY_SLOPE)


def linear_keys(spec: NetworkSpec) -> list[tuple[str, str]]:
    """(weight key, bias key) for every Linear layer, input to output."""
    return [(f"{2 * i}.weight", f"{2 * i}.bias") for i in range(len(spec.hidden) + 1)]


def expected_shapes(spec: NetworkSpec) -> dict[str, tuple[int, ...]]:
    """Every state_dict key with its PyTorch shape, in module order."""
    sizes = spec.layer_sizes
    shapes: dict[str, tuple[int, ...]] = {}
    for (weight_key, bias_key), n_in, n_out in zip(linear_keys(spec), sizes[:-1], sizes[1:], strict=True):
        shapes[weight_key] = (n_out, n_in)
        shapes[bias_key] = (n_out,)
    return shapes


def module_descriptions(spec: NetworkSpec) -> list[str]:
    """The ``nn.Sequential`` written out, e.g. ``["Linear(2, 8)", "ReLU()", "Linear(8, 2)"]``."""
    sizes = spec.layer_sizes
    modules = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        modules.append(f"Linear({n_in}, {n_out})")
        if i < len(spec.hidden):
            activation = spec.hidden[i].activation
            modules.append(TORCH_MODULES[activation])
    return modules


def build_metadata(spec: NetworkSpec, class_names: Sequence[str]) -> dict[str, Any]:
    """Everything a reader needs besides the tensors; JSON-serialisable."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "spec": spec.to_dict(),
        "class_names": list(class_names),
        "features": [FEATURE_FORMULAS[name] for name in spec.features],
        "modules": module_descriptions(spec),
        "weight_layout": "torch.nn.Sequential state_dict: '{index}.weight' (out_features, in_features)",
        "output": "logits; softmax over the last axis gives the class probabilities",
        "leaky_relu_slope": leaky_relu_slope(),
        "step": STEP_CONVENTION,
    }


def validate_for_export(
    spec: NetworkSpec, weights: Sequence[tuple[np.ndarray, np.ndarray]], class_names: Sequence[str] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Check everything before a byte is written; returns the state_dict and the class names."""
    try:
        spec.validate()
    except SpecError as exc:
        raise WeightsExportError(f"cannot export: {exc}") from None
    if class_names is None:
        class_names = [f"class {i + 1}" for i in range(spec.n_classes)]
    names = [str(name) for name in class_names]
    if len(names) != spec.n_classes:
        raise WeightsExportError(
            f"cannot export: {len(names)} class names given but the network has {spec.n_classes} outputs"
        )
    expected_layers = len(spec.hidden) + 1
    if len(weights) != expected_layers:
        raise WeightsExportError(
            f"cannot export: {len(weights)} weight layers given "
            f"but the spec has {expected_layers} Linear layers"
        )
    sizes = spec.layer_sizes
    state: dict[str, np.ndarray] = {}
    for i, (weight_key, bias_key) in enumerate(linear_keys(spec)):
        weight = np.asarray(weights[i][0])
        bias = np.asarray(weights[i][1])
        want_w, want_b = (sizes[i], sizes[i + 1]), (sizes[i + 1],)
        if weight.shape != want_w or bias.shape != want_b:
            raise WeightsExportError(
                f"cannot export: layer {i + 1} has weights {weight.shape} and bias {bias.shape}, "
                f"but the spec needs {want_w} and {want_b}"
            )
        if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
            raise WeightsExportError(
                f"cannot export: layer {i + 1} has non-finite weights (NaN or infinity); "
                "reset or retrain the network first"
            )
        state[weight_key] = np.ascontiguousarray(weight.T, dtype=np.float32)
        state[bias_key] = np.ascontiguousarray(bias, dtype=np.float32)
    return state, names


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
    if file_spec.n_classes != spec.n_classes:
        raise WeightsImportError(
            f"the file has {file_spec.n_classes} classes but the network has {spec.n_classes}"
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
        raise WeightsImportError(f"missing tensor {missing[0]!r} (the network needs {', '.join(shapes)})")
    extra = sorted(str(key) for key in state if key not in shapes)
    if extra:
        raise WeightsImportError(f"unexpected tensor {extra[0]!r} (the network needs {', '.join(shapes)})")
    arrays: dict[str, np.ndarray] = {}
    for key, shape in shapes.items():
        arrays[key] = _as_float_tensor(key, state[key], shape)
    return [
        (arrays[weight_key].T.copy(), arrays[bias_key].copy()) for weight_key, bias_key in linear_keys(spec)
    ]


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

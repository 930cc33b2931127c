"""Single parameters named as in an exported state_dict: ``0.weight[1,0]``, ``2.bias[3]``,
``linear.3.weight[i,j]``, ``connections.in_to_3.weight[i,j]``.

The index is PyTorch's ``[out, in]`` of the tensor (`layout.expected_shapes`), so a name read off an
exported file finds the same number in the network. `parameter_index` turns a name into the position in
the engine's flat parameter vector (`Network.flat_params`: per node the folded (fan_in + 1, width) matrix,
W's rows then the bias row), `parameter_name` goes back.
"""

from __future__ import annotations

import re

from workbench.core.files.export.layout import expected_shapes, linear_keys, weight_blocks
from workbench.core.model.spec import NetworkSpec

_NAME = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.]+)\s*\[\s*(?P<i>\d+)\s*(?:,\s*(?P<j>\d+)\s*)?\]\s*$")


class ParameterNameError(ValueError):
    """A parameter name that does not name one parameter of the network; the message lists valid forms."""


def _tensors(spec: NetworkSpec) -> dict[str, tuple[int, int, int, int]]:
    """key -> (flat offset of its node, node width, first row of its block in W, 1 for a bias else 0)."""
    sizes = spec.layer_sizes
    tensors: dict[str, tuple[int, int, int, int]] = {}
    offset = 0
    for node, (_, bias_key) in enumerate(linear_keys(spec), start=1):
        width, fan_in = sizes[node], spec.fan_in(node)
        row = 0
        for key, rows in weight_blocks(spec, node):
            tensors[key] = (offset, width, row, 0)
            row += rows
        tensors[bias_key] = (offset + fan_in * width, width, 0, 1)
        offset += (fan_in + 1) * width
    return tensors


def valid_forms(spec: NetworkSpec) -> str:
    """Every tensor with its index ranges, e.g. ``0.weight[i,j] (i < 8, j < 2), 0.bias[i] (i < 8)``."""
    forms = []
    for key, shape in expected_shapes(spec).items():
        if len(shape) == 2:
            forms.append(f"{key}[i,j] (i < {shape[0]}, j < {shape[1]})")
        else:
            forms.append(f"{key}[i] (i < {shape[0]})")
    return ", ".join(forms)


def parameter_index(spec: NetworkSpec, name: str) -> int:
    """The flat parameter index of a name such as ``0.weight[1,0]`` (PyTorch's [out, in])."""
    match = _NAME.match(name)
    shapes = expected_shapes(spec)
    key = match["key"] if match else None
    if match is None or key not in shapes:
        raise ParameterNameError(f"unknown parameter {name.strip()!r}; valid forms: {valid_forms(spec)}")
    shape = shapes[key]
    index = (int(match["i"]),) if match["j"] is None else (int(match["i"]), int(match["j"]))
    if len(index) != len(shape) or any(k >= size for k, size in zip(index, shape, strict=True)):
        wanted = "[i,j]" if len(shape) == 2 else "[i]"
        raise ParameterNameError(
            f"parameter {name.strip()!r}: {key} has shape {shape}, so it takes {key}{wanted} with "
            + ", ".join(f"{'ij'[axis]} < {size}" for axis, size in enumerate(shape))
            + f"; valid forms: {valid_forms(spec)}"
        )
    offset, width, row, is_bias = _tensors(spec)[key]
    if is_bias:
        return offset + index[0]
    out, in_ = index
    return offset + (row + in_) * width + out


def parameter_name(spec: NetworkSpec, flat_index: int) -> str:
    """The state_dict name of a flat parameter index (inverse of `parameter_index`)."""
    shapes = expected_shapes(spec)
    for key, (offset, width, row, is_bias) in _tensors(spec).items():
        shape = shapes[key]
        if is_bias:
            if offset <= flat_index < offset + width:
                return f"{key}[{flat_index - offset}]"
            continue
        start = offset + row * width
        if start <= flat_index < start + shape[1] * width:
            in_, out = divmod(flat_index - start, width)
            return f"{key}[{out},{in_}]"
    raise ParameterNameError(f"the network has no parameter number {flat_index}")


def tensor_shapes(spec: NetworkSpec) -> dict[str, tuple[int, ...]]:
    """The state_dict's tensors and shapes (for pickers)."""
    return expected_shapes(spec)

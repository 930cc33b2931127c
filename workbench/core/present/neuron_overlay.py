"""The large picture of one neuron shown over the dataset canvas while the mouse rests on it.

Hovering a neuron in the network panel paints what that neuron computes across the visible input plane, in
the same colours as its thumbnail (`network_layout.palette_for`), so a student can line the neuron's "on"
region up with the data. Only the layers up to the hovered one are evaluated, on a grid whose size keeps the
cost bounded (`overlay_size`); for networks too large for that, the worker's thumbnail is enlarged instead
(`enlarge_map`). Images follow the canvas contract: (H, W, 4) uint8 RGBA, row 0 = bottom edge.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.core.model.activations import ACTIVATION_INFO
from workbench.core.model.spec import NetworkSpec
from workbench.core.palette import palette
from workbench.core.present.network_layout import feature_maps, palette_for

Bounds = tuple[float, float, float, float]  # (x0, x1, y0, y1)
Rect = tuple[float, float, float, float]  # (x0, y0, width, height)

#: Opacity of the overlay: the neuron's picture dominates, the decision regions still show faintly.
OVERLAY_ALPHA = palette().overlay_alpha
#: The thumbnail colours mixed this much with white, so the (same-coloured) class points stay visible on top.
OVERLAY_LIGHTEN = 0.35
#: Multiply-adds one overlay may cost on the GUI thread (measured: 2-5 ms of numpy for up to 100-wide layers).
OVERLAY_BUDGET = 40_000_000
MAX_OVERLAY_SIZE = 160
#: Below this side a computed overlay looks no better than the enlarged 32 x 32 thumbnail.
MIN_OVERLAY_SIZE = 40

#: Fixed output ranges of the bounded activations (others: the neuron's own range on the grid).
_FIXED_RANGES: dict[str, tuple[float, float]] = {
    name: info.output_range for name, info in ACTIVATION_INFO.items() if info.output_range is not None
}


def overlay_size(spec: NetworkSpec, layer: int, budget: int = OVERLAY_BUDGET) -> int:
    """Side of the grid for a computed overlay of a neuron in `layer`; 0 when even the smallest grid would
    cost more than `budget` (then enlarge the thumbnail instead)."""
    sizes = spec.layer_sizes
    cost = sum((spec.fan_in(node) + 1) * sizes[node] for node in range(1, min(layer, spec.output_node) + 1))
    side = int(math.sqrt(budget / max(cost, 1)))
    if side < MIN_OVERLAY_SIZE:
        return 0
    return min(side, MAX_OVERLAY_SIZE)


def grid(bounds: Bounds, size: int) -> np.ndarray:
    """Cell centres of a size x size grid over `bounds`, row-major, row 0 at the bottom: (size², 2)."""
    x0, x1, y0, y1 = bounds
    xs = x0 + (np.arange(size) + 0.5) * ((x1 - x0) / size)
    ys = y0 + (np.arange(size) + 0.5) * ((y1 - y0) / size)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def neuron_values(network: Any, layer: int, neuron: int, points: np.ndarray) -> np.ndarray:
    """One neuron's output at each point, (N,): a hidden neuron after its activation, an output neuron's
    class probability (the predicted value in regression). Evaluates only the layers up to `layer`
    (numbering of `Network.layer_outputs`)."""
    n_hidden = len(network.spec.hidden)
    if not 1 <= layer <= n_hidden + 1:
        raise ValueError(f"layer {layer} is not a hidden or output layer (1 to {n_hidden + 1})")
    values = network.node_outputs(points, [layer])[0]  # the network's one forward path, up to `layer`
    return np.asarray(values[:, neuron], dtype=np.float64)


def to_bytes(values: np.ndarray, spec: NetworkSpec, layer: int) -> np.ndarray:
    """Values -> uint8 like the thumbnails: fixed ranges for bounded activations and probabilities, else
    the values' own range (symmetric around 0, at 128, when they go negative)."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    output = layer == len(spec.hidden) + 1
    if output and not spec.is_regression:  # probabilities; a regression output's value: its own range
        lo, hi = 0.0, 1.0
    elif not output and spec.hidden[layer - 1].activation in _FIXED_RANGES:
        lo, hi = _FIXED_RANGES[spec.hidden[layer - 1].activation]
    else:
        lo, hi = min(float(values.min(initial=0.0)), 0.0), max(float(values.max(initial=0.0)), 0.0)
        if lo < 0:
            top = max(-lo, hi)
            lo, hi = -top, top
        if hi - lo <= 1e-12:
            hi = lo + 1.0
    return np.clip((values - lo) * (255.0 / (hi - lo)) + 0.5, 0, 255).astype(np.uint8)


def colorize(
    values: np.ndarray, spec: NetworkSpec, layer: int, neuron: int, class_colors: tuple[str, ...]
) -> np.ndarray:
    """A (H, W) uint8 map -> (H, W, 4) RGBA in the neuron's thumbnail palette (lightened) at OVERLAY_ALPHA."""
    palette = overlay_palette(spec, layer, neuron, class_colors)
    rgba = np.empty((*values.shape, 4), dtype=np.uint8)
    rgba[..., :3] = palette[values]
    rgba[..., 3] = round(OVERLAY_ALPHA * 255)
    return rgba


def overlay_palette(spec: NetworkSpec, layer: int, neuron: int, class_colors: tuple[str, ...]) -> np.ndarray:
    """(256, 3) uint8: the thumbnail's palette, lightened by OVERLAY_LIGHTEN."""
    palette = palette_for(spec, layer, neuron, class_colors).astype(np.float64)
    return np.rint(palette * (1 - OVERLAY_LIGHTEN) + 255.0 * OVERLAY_LIGHTEN).astype(np.uint8)


def enlarge_map(values: np.ndarray, factor: int = 4) -> np.ndarray:
    """Bilinear enlargement of a small (S, S) uint8 map, so a thumbnail shown large is smooth, not blocky."""
    values = np.asarray(values, dtype=np.float32)
    rows, cols = values.shape

    def axis(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        position = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
        low = np.minimum(position.astype(np.intp), n - 2) if n > 1 else np.zeros(n * factor, np.intp)
        return low, np.minimum(low + 1, n - 1), (position - low).astype(np.float32)

    r0, r1, fr = axis(rows)
    c0, c1, fc = axis(cols)
    top = values[r0][:, c0] * (1 - fc) + values[r0][:, c1] * fc
    bottom = values[r1][:, c0] * (1 - fc) + values[r1][:, c1] * fc
    out = top * (1 - fr)[:, None] + bottom * fr[:, None]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def neuron_overlay(
    network: Any,
    layer: int,
    neuron: int,
    bounds: Bounds,
    class_colors: tuple[str, ...] = (),
    size: int | None = None,
) -> tuple[np.ndarray, Rect]:
    """The overlay image of one neuron over `bounds` as (RGBA, rect) for `canvas.set_overlay_image`.

    `layer` 0 is an input feature (`neuron` indexes ``spec.features``), 1..L a hidden layer, L + 1 the output.
    """
    spec = network.spec
    x0, x1, y0, y1 = bounds
    rect = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
    if layer == 0:
        side = size or MAX_OVERLAY_SIZE
        values = feature_maps(bounds, side, spec.input_scaling)[spec.features[neuron]]
    else:
        side = size or overlay_size(spec, layer) or MIN_OVERLAY_SIZE
        with np.errstate(all="ignore"):
            raw = neuron_values(network, layer, neuron, grid(bounds, side))
        values = to_bytes(raw, spec, layer).reshape(side, side)
    return colorize(values, spec, layer, neuron, class_colors), rect


def thumbnail_overlay(
    thumbnail: np.ndarray,
    spec: NetworkSpec,
    layer: int,
    neuron: int,
    bounds: Bounds,
    class_colors: tuple[str, ...] = (),
) -> tuple[np.ndarray, Rect]:
    """The overlay from a worker-computed (S, S) thumbnail (for networks too big to evaluate here)."""
    x0, x1, y0, y1 = bounds
    values = enlarge_map(thumbnail)
    return colorize(values, spec, layer, neuron, class_colors), (
        float(x0),
        float(y0),
        float(x1 - x0),
        float(y1 - y0),
    )

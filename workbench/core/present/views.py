"""View computations for the live GUI: decision image, hidden-space view and neuron thumbnails.

Everything here is Qt-free numpy so the training worker can turn a trainer snapshot into a `ViewFrame` off
the GUI thread; the GUI only hands the finished arrays to plot items. Images follow the canvas contract:
C-contiguous (H, W, 4) uint8 RGBA whose row 0 is the *bottom* edge (y0), with
`rect = (x0, y0, width, height)`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.activations import ACTIVATION_INFO
from workbench.core.model.spec import NetworkSpec
from workbench.core.palette import palette
from workbench.core.present import value_colors
from workbench.core.present.value_colors import N_COLORS, value_lut

Bounds = tuple[float, float, float, float]  # (x0, x1, y0, y1)
Rect = tuple[float, float, float, float]  # (x0, y0, width, height)

#: Strongest opacity of the decision colours (fully confident); points drawn on top stay readable.
DECISION_ALPHA = palette().decision_alpha

#: Activation -> fixed output range for the thumbnails; None = scale to what the grid actually produces.
_ACTIVATION_RANGES = {name: info.output_range for name, info in ACTIVATION_INFO.items()}

HIDDEN_MODES = ("auto", "pair", "pca")


class ViewError(ValueError):
    """A view request that cannot be drawn (e.g. a layer index that does not exist)."""


# ------------------------------------------------------------------------------------------------------
# Grids and colours
# ------------------------------------------------------------------------------------------------------
def bounds_rect(bounds: Bounds) -> Rect:
    x0, x1, y0, y1 = bounds
    return (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def grid_points(bounds: Bounds, width: int, height: int | None = None) -> np.ndarray:
    """Cell centres of a width x height grid over `bounds`, row-major with row 0 at the bottom: (H*W, 2)."""
    height = width if height is None else height
    x0, x1, y0, y1 = bounds
    xs = x0 + (np.arange(width) + 0.5) * ((x1 - x0) / width)
    ys = y0 + (np.arange(height) + 0.5) * ((y1 - y0) / height)
    gx, gy = np.meshgrid(xs, ys)  # shape (H, W): row index = y, as the image contract wants
    return np.column_stack([gx.ravel(), gy.ravel()])


def class_colors_rgb(n_classes: int) -> np.ndarray:
    """(C, 3) float32 RGB in 0..1 of the class palette."""
    rgb = [[int(c[i : i + 2], 16) / 255.0 for i in (1, 3, 5)] for c in CLASS_COLORS[:n_classes]]
    return np.asarray(rgb, dtype=np.float32)


def probabilities_to_rgba(
    probabilities: np.ndarray,
    height: int,
    width: int,
    *,
    discrete: bool = False,
    max_alpha: float = DECISION_ALPHA,
) -> np.ndarray:
    """Class probabilities (H*W, C) -> RGBA (H, W, 4) uint8.

    Colour is the probability-weighted mix of the class colours; opacity grows with confidence, from 0 where
    all classes are equally likely to `max_alpha` where one class is certain. `discrete` paints the argmax
    class at full `max_alpha` instead (hard regions).
    """
    probs = np.asarray(probabilities, dtype=np.float32)
    n_classes = probs.shape[1]
    colors = class_colors_rgb(n_classes)
    out = np.empty((height, width, 4), dtype=np.uint8)
    flat = out.reshape(-1, 4)
    if discrete or n_classes == 1:
        flat[:, :3] = np.round(colors * 255.0).astype(np.uint8)[_row_argmax(probs)]
        flat[:, 3] = round(max_alpha * 255.0)
        return out
    # Probabilities lie in [0, 1] and sum to 1: the mixed colour needs no clipping; +0.5 rounds on the cast.
    rgb = probs @ (colors * 255.0)
    rgb += 0.5
    flat[:, :3] = rgb
    scale = max_alpha * 255.0 * n_classes / (n_classes - 1)
    alpha = _row_max(probs)
    alpha -= 1.0 / n_classes
    alpha *= scale
    alpha += 0.5
    np.clip(alpha, 0.0, 255.0, out=alpha)
    flat[:, 3] = alpha
    return out


def class_probabilities(network: Any, points: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """`network.predict_proba(points)` in cache-sized chunks, no intermediate (N, width) arrays: (N, C)."""
    points = np.asarray(points)
    out = np.empty((len(points), network.spec.n_classes), dtype=np.float32)
    for start, probs_t, _ in _forward_chunks(network, points, chunk):
        out[start : start + probs_t.shape[1]] = probs_t.T
    return out


def _forward_chunks(network: Any, points: np.ndarray, chunk: int = 4096):
    """Yield ``(start, probabilities (C, rows), 1 / row sums (rows,))`` chunk by chunk, feature-major.

    The forward pass is the network's one inference path (`Network.iter_forward`: feature-major, bias
    folded into each matmul, every chunk's intermediates in the CPU cache); only the softmax is done here,
    in place, keeping the row sums that give the largest probability for free. The yielded arrays are
    reused buffers: use them before the next chunk.
    """
    n_classes = network.spec.n_classes
    output = network.spec.output_node
    row_sum = np.empty(max(1, min(int(chunk), len(points))), dtype=network.dtype)
    for start, rows, workspace in network.iter_forward(points, chunk=chunk):
        logits = workspace.value(output)[:, :rows]
        top = _rows_max(logits)
        logits -= top
        np.exp(logits, out=logits)
        total = row_sum[:rows]
        np.copyto(total, logits[0])
        for c in range(1, n_classes):
            total += logits[c]
        logits /= total  # now probabilities
        np.reciprocal(total, out=total)  # 1 / sum = the largest probability (its exp was 1)
        yield start, logits, total


def _rows_max(values: np.ndarray) -> np.ndarray:
    """Element-wise max over the rows of a (C, N) array (C small): contiguous passes, no axis reduction."""
    result = values[0].copy()
    for row in values[1:]:
        np.maximum(result, row, out=result)
    return result


def _row_max(values: np.ndarray) -> np.ndarray:
    """values.max(axis=1) for few columns, column by column (numpy's short-axis reduction is ~40x slower)."""
    result = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        np.maximum(result, values[:, column], out=result)
    return result


def _row_argmax(values: np.ndarray) -> np.ndarray:
    best = values[:, 0].copy()
    winner = np.zeros(len(values), dtype=np.intp)
    for column in range(1, values.shape[1]):
        better = values[:, column] > best
        winner[better] = column
        np.maximum(best, values[:, column], out=best)
    return winner


def decision_image(
    network: Any, bounds: Bounds, resolution: int, *, discrete: bool = False
) -> tuple[np.ndarray, Rect]:
    """The decision regions over `bounds` as (RGBA image, rect) for `canvas.set_background_image`.

    Same colours as `probabilities_to_rgba`, computed chunk by chunk straight from the forward pass (the
    largest probability is the 1 / row sum the softmax already has), without an (N, C) float array.
    """
    resolution = int(resolution)
    points = grid_points(bounds, resolution)
    n_classes = network.spec.n_classes
    out = np.empty((resolution, resolution, 4), dtype=np.uint8)
    flat = out.reshape(-1, 4)
    colors = class_colors_rgb(n_classes) * 255.0
    if discrete or n_classes == 1:
        palette = np.round(colors).astype(np.uint8)
        for start, probs_t, _ in _forward_chunks(network, points):
            stop = start + probs_t.shape[1]
            flat[start:stop, :3] = palette[_row_argmax(probs_t.T)]
        flat[:, 3] = round(DECISION_ALPHA * 255.0)
        return out, bounds_rect(bounds)
    colors_t = np.ascontiguousarray(colors.T, dtype=np.float32)  # (3, C)
    scale = DECISION_ALPHA * 255.0 * n_classes / (n_classes - 1)
    for start, probs_t, top in _forward_chunks(network, points):
        stop = start + probs_t.shape[1]
        rgb = colors_t @ probs_t  # (3, rows); probabilities sum to 1: no clipping needed
        rgb += 0.5  # rounds on the cast
        block = flat[start:stop]
        block[:, 0] = rgb[0]
        block[:, 1] = rgb[1]
        block[:, 2] = rgb[2]
        alpha = top - 1.0 / n_classes
        alpha *= scale
        alpha += 0.5
        np.clip(alpha, 0.0, 255.0, out=alpha)
        block[:, 3] = alpha
    return out, bounds_rect(bounds)


def predicted_values(network: Any, points: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """A regression network's predictions at `points` (N,) float32, chunk by chunk (the one forward path)."""
    points = np.asarray(points)
    out = np.empty(len(points), dtype=np.float32)
    output = network.spec.output_node
    for start, rows, workspace in network.iter_forward(points, chunk=chunk):
        out[start : start + rows] = workspace.value(output)[0, :rows]
    return out


def value_image(
    network: Any, bounds: Bounds, resolution: int, half_range: float, *, alpha: float = DECISION_ALPHA
) -> tuple[np.ndarray, Rect]:
    """A regression network's prediction surface over `bounds` as (RGBA image, rect), coloured by the
    diverging value map on the scale [-half_range, half_range] (`value_colors`), with opacity `alpha`.

    The regression counterpart of `decision_image`, for the same canvas slot; straight from the forward
    pass, the map applied through its 256-entry table in place (no float RGB arrays).
    """
    resolution = int(resolution)
    points = grid_points(bounds, resolution)
    out = np.empty((resolution, resolution, 4), dtype=np.uint8)
    flat = out.reshape(-1, 4)
    lut = value_lut()
    output = network.spec.output_node
    scale = np.float32((N_COLORS - 1) / (2.0 * half_range))
    middle = np.float32((N_COLORS - 1) / 2.0 + 0.5)
    for start, rows, workspace in network.iter_forward(points):
        values = workspace.value(output)[0, :rows].astype(np.float32)
        values *= scale
        values += middle
        np.clip(values, 0.0, N_COLORS - 1, out=values)
        np.nan_to_num(values, copy=False, nan=float(middle))
        flat[start : start + rows] = lut[values.astype(np.uint8)]
    flat[:, 3] = round(alpha * 255.0)
    return out, bounds_rect(bounds)


# ------------------------------------------------------------------------------------------------------
# Neuron thumbnails
# ------------------------------------------------------------------------------------------------------
def _as_network(network_or_weights: Any, spec: NetworkSpec | None) -> Any:
    if hasattr(network_or_weights, "layer_outputs"):
        return network_or_weights
    if spec is None:
        raise ViewError("neuron_maps needs the network spec when given bare weights")
    from workbench.core.model.engine import Network  # local: views must stay importable without building one

    network = Network(spec)
    network.set_weights(network_or_weights)
    return network


def _scale_to_bytes(values: np.ndarray, value_range: tuple[float, float] | None) -> np.ndarray:
    """(N, width) activations -> uint8; a fixed range, else each neuron's own (symmetric if signed) range."""
    if value_range is not None:
        lo, hi = value_range
        scaled = (values - lo) * (255.0 / (hi - lo))
    else:
        lo = np.minimum(values.min(axis=0), 0.0)
        hi = np.maximum(values.max(axis=0), 0.0)
        if (lo < 0).any():  # signed output: keep 0 in the middle so the sign is visible
            top = np.maximum(np.abs(lo), hi)
            lo, hi = -top, top
        span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
        scaled = (values - lo) * (255.0 / span)
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def neuron_maps(
    network_or_weights: Any,
    spec: NetworkSpec | Bounds | None,
    bounds: Bounds | int | None = None,
    size: int = 32,
) -> list[np.ndarray]:
    """Each neuron's activation over `bounds` as a size x size uint8 map (row 0 = bottom).

    Returns one `(width, size, size)` array per hidden layer and one for the output layer (class
    probabilities). Values map the activation's range to 0..255: tanh -1..1, sigmoid/step 0..1, probabilities
    0..1, and for unbounded activations (ReLU, linear) each neuron's own range on the grid, with 0 at mid-grey
    when the neuron takes negative values. Accepts a `Network`, or a weights list plus its spec;
    `neuron_maps(network, bounds, size)` (spec omitted) also works.
    """
    if spec is not None and not isinstance(spec, NetworkSpec):  # called as neuron_maps(network, bounds, size)
        spec, bounds, size = None, spec, (size if bounds is None else int(bounds))  # type: ignore[assignment]
    if bounds is None:
        raise ViewError("neuron_maps needs the bounds (x0, x1, y0, y1) of the area to draw")
    network = _as_network(network_or_weights, spec)
    spec = spec if spec is not None else network.spec
    outputs = network.layer_outputs(grid_points(bounds, size))  # type: ignore[arg-type]
    maps = []
    for index, values in enumerate(outputs[1:]):
        if index < len(spec.hidden):
            value_range = _ACTIVATION_RANGES.get(spec.hidden[index].activation)
        else:  # class probabilities; a regression output's values have no fixed range
            value_range = None if spec.is_regression else (0.0, 1.0)
        scaled = _scale_to_bytes(np.asarray(values, dtype=np.float32), value_range)
        maps.append(np.ascontiguousarray(scaled.T.reshape(-1, size, size)))
    return maps


# ------------------------------------------------------------------------------------------------------
# Hidden space
# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HiddenSpaceRequest:
    """What the user asked the hidden-space view to show.

    `layer` is 1-based over hidden layers (1 = first hidden layer). `mode` is "auto" (exact for 1–2 wide
    layers, PCA for wider), "pair" (neurons `pair[0]`, `pair[1]`, 0-based) or "pca".
    """

    layer: int = 1
    mode: str = "auto"
    pair: tuple[int, int] = (0, 1)
    grid_lines: int = 15
    samples_per_line: int = 60

    def validate(self, spec: NetworkSpec) -> HiddenSpaceRequest:
        if not spec.hidden:
            raise ViewError("the network has no hidden layer to look into")
        if not 1 <= self.layer <= len(spec.hidden):
            raise ViewError(f"hidden layer {self.layer} does not exist; the network has {len(spec.hidden)}")
        if self.mode not in HIDDEN_MODES:
            raise ViewError(f"unknown hidden-space mode {self.mode!r}; choose from {', '.join(HIDDEN_MODES)}")
        return self


@dataclass(frozen=True, eq=False)
class HiddenSpaceView:
    """Data points and the warped input grid, in two coordinates of one hidden layer's space.

    `grid_lines` is (L, M, 2): L polylines of M points each, the images of a regular grid of lines over the
    input plane. `basis`/`center` describe the PCA projection (so the next frame can keep its orientation).
    `output_rgba`/`output_rect` are the output layer's decision regions in this plane when that is exact (the
    chosen layer is 2 wide, is the last hidden layer and the output reads nothing else), else None.
    """

    layer: int
    width: int
    mode: str  # "exact", "pair", "pca" or "line"
    axis_labels: tuple[str, str]
    points: np.ndarray  # (N, 2) float32
    grid_lines: np.ndarray  # (L, M, 2) float32
    bounds: Bounds
    caption: str
    basis: np.ndarray | None = None
    center: np.ndarray | None = None
    explained: tuple[float, float] | None = None
    output_rgba: np.ndarray | None = None
    output_rect: Rect | None = None
    labels: np.ndarray | None = None  # (N,) class of each row of `points`
    #: Regression: (N,) target value of each row of `points`, and the half-width R of the colour scale
    #: [-R, R] of the points and `output_rgba` (`value_colors`); None for classification.
    values: np.ndarray | None = None
    value_range: float | None = None
    #: Regression, a one-neuron last layer that alone feeds the output: the prediction ŷ = w·h + b against
    #: the neuron's value h, as (2, 2) end points in this plot's coordinates (h across, target up).
    output_line: np.ndarray | None = None


def grid_line_points(bounds: Bounds, n_lines: int, samples: int) -> np.ndarray:
    """A regular grid of lines over the input plane: (2 * n_lines, samples, 2), vertical then horizontal."""
    x0, x1, y0, y1 = bounds
    xs = np.linspace(x0, x1, n_lines)
    ys = np.linspace(y0, y1, n_lines)
    tx = np.linspace(x0, x1, samples)
    ty = np.linspace(y0, y1, samples)
    vertical = np.stack(
        [np.repeat(xs[:, None], samples, axis=1), np.broadcast_to(ty, (n_lines, samples))], -1
    )
    horizontal = np.stack(
        [np.broadcast_to(tx, (n_lines, samples)), np.repeat(ys[:, None], samples, axis=1)], -1
    )
    return np.concatenate([vertical, horizontal], axis=0)


def stable_pca(
    values: np.ndarray, previous_basis: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Top-2 principal axes of `values` (N, D) as (basis (D, 2), center (D,), explained variance fractions).

    When `previous_basis` has the same shape, the new axes are reordered and sign-flipped to best match it, so
    the picture does not jump or mirror between two nearly identical frames.
    """
    values = np.asarray(values, dtype=np.float64)
    center = values.mean(axis=0)
    centered = values - center
    cov = centered.T @ centered / max(len(values) - 1, 1)
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues = np.maximum(eigenvalues[order], 0.0)
    basis = eigenvectors[:, order[:2]]
    if basis.shape[1] < 2:  # D == 1 cannot happen for "pca" mode, but keep the shape (D, 2)
        basis = np.column_stack([basis, np.zeros(len(basis))])
    total = float(eigenvalues.sum())
    explained = (float(eigenvalues[0] / total), float(eigenvalues[1] / total)) if total > 0 else (0.0, 0.0)
    if previous_basis is not None and previous_basis.shape == basis.shape:
        overlap = basis.T @ previous_basis  # [new_i, prev_j]
        if abs(overlap[0, 1]) + abs(overlap[1, 0]) > abs(overlap[0, 0]) + abs(overlap[1, 1]):
            basis = basis[:, ::-1]
            explained = explained[::-1]
            overlap = overlap[::-1]
        signs = np.where(np.diag(overlap) < 0, -1.0, 1.0)
        basis = basis * signs
    else:  # deterministic first orientation: largest-magnitude loading positive
        signs = np.sign(basis[np.abs(basis).argmax(axis=0), [0, 1]])
        basis = basis * np.where(signs == 0, 1.0, signs)
    return basis, center, explained


def _padded_bounds(coords: np.ndarray, margin: float = 0.08) -> Bounds:
    finite = coords[np.isfinite(coords).all(axis=1)] if len(coords) else coords
    if not len(finite):
        return (-1.0, 1.0, -1.0, 1.0)
    lo = finite.min(axis=0)
    hi = finite.max(axis=0)
    span = np.maximum(hi - lo, 1e-3)
    lo, hi = lo - margin * span, hi + margin * span
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def hidden_space(
    network: Any,
    points: np.ndarray,
    input_bounds: Bounds,
    request: HiddenSpaceRequest,
    previous: HiddenSpaceView | None = None,
    *,
    spec: NetworkSpec | None = None,
    output_resolution: int = 128,
    labels: np.ndarray | None = None,
    max_points: int = 5000,
    values: np.ndarray | None = None,
    value_range: float | None = None,
) -> HiddenSpaceView:
    """The data points and a warped grid of input lines, seen in one hidden layer's space.

    For a 2-wide layer the coordinates are the activations themselves; for a wider one either a chosen pair of
    neurons or a PCA projection kept stable against `previous`; a 1-wide layer is drawn along the x axis with
    the class index spreading points vertically. More than `max_points` points are thinned evenly (a scatter
    that dense shows no more, and costs the GUI thread time every frame).

    Regression (a regression spec with the points' target `values`): the points keep their targets for
    colouring on the scale ±`value_range` (default: from the targets), a 1-wide layer spreads them by target
    instead of class, and where the output is exact in this plane it is drawn as its predicted value.
    """
    spec = spec if spec is not None else network.spec
    request = request.validate(spec)
    width = spec.hidden[request.layer - 1].width
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
    regression = spec.is_regression and values is not None and len(values) == len(points)
    values = np.asarray(values, dtype=np.float64).reshape(-1) if regression else None
    if regression and value_range is None:
        value_range = value_colors.value_range(values)
    if len(points) > max_points:
        keep = np.linspace(0, len(points) - 1, max_points).astype(np.intp)
        points = points[keep]
        labels = labels[keep] if labels is not None else None
        values = values[keep] if values is not None else None
    lines = grid_line_points(input_bounds, request.grid_lines, request.samples_per_line)
    n_lines, samples = lines.shape[:2]
    inputs = np.concatenate([points, lines.reshape(-1, 2)], axis=0)
    hidden = np.asarray(network.node_outputs(inputs, [request.layer])[0], dtype=np.float64)
    data_h, line_h = hidden[: len(points)], hidden[len(points) :]
    name = f"hidden layer {request.layer}"
    basis = center = explained = None
    output_line = None
    mode = request.mode
    if width == 1 and values is not None:
        mode = "line"
        data_2d = np.column_stack([data_h[:, 0], values])
        below = float(values.min()) if len(values) else 0.0
        line_2d = np.column_stack([line_h[:, 0], np.full(len(line_h), below - 0.1 * (value_range or 1.0))])
        axis_labels = ("neuron 1", "target")
        caption = (
            f"{name} has one neuron: each point sits at that neuron's value (across) and its target (up). "
            "What the output predicts from here is a straight line over this neuron's value."
        )
        if request.layer == len(spec.hidden) and _output_reads_only_last_layer(spec):
            weight, bias = network.get_weights()[-1]
            h = np.array([float(line_h[:, 0].min()), float(line_h[:, 0].max())])
            slope = float(np.asarray(weight).reshape(-1)[0]) + (
                1.0 if spec.residual_sources(spec.output_node) else 0.0
            )
            output_line = np.column_stack([h, slope * h + float(np.asarray(bias).reshape(-1)[0])])
            caption = caption.replace("a straight line", "the straight line drawn")
    elif width == 1:
        mode = "line"
        jitter = np.zeros(len(points)) if labels is None else np.asarray(labels, dtype=np.float64)
        data_2d = np.column_stack([data_h[:, 0], jitter])
        line_2d = np.column_stack([line_h[:, 0], np.full(len(line_h), -0.5)])
        axis_labels = ("neuron 1", "class")
        caption = (
            f"{name} has one neuron: each point sits at that neuron's value (rows = classes). "
            "Classes the output can separate do not overlap along this line."
        )
    elif mode == "pca" or (mode == "auto" and width > 2):
        mode = "pca"
        fit_on = data_h if len(data_h) >= 3 else line_h
        prev_basis = previous.basis if previous is not None and previous.layer == request.layer else None
        basis, center, explained = stable_pca(fit_on, prev_basis)
        data_2d = (data_h - center) @ basis
        line_2d = (line_h - center) @ basis
        axis_labels = ("PC 1", "PC 2")  # the share of spread is in `explained`: labels that never change
        caption = (
            f"{name} has {width} neurons; this is the flat view that keeps the most spread (PCA). "
            "The grid is the input plane's regular grid, bent by the layers up to here."
        )
    elif mode == "pair" and width > 2:
        i, j = request.pair
        if not (0 <= i < width and 0 <= j < width) or i == j:
            raise ViewError(f"choose two different neurons between 1 and {width}")
        data_2d = data_h[:, [i, j]]
        line_2d = line_h[:, [i, j]]
        axis_labels = (f"neuron {i + 1}", f"neuron {j + 1}")
        caption = (
            f"Neurons {i + 1} and {j + 1} of {name} ({width} neurons). The grid is the input plane's regular "
            "grid, bent by the layers up to here."
        )
    else:
        mode = "exact"
        data_2d, line_2d = data_h, line_h
        axis_labels = ("neuron 1", "neuron 2")
        caption = (
            f"The input plane as {name} sees it: each point moved to its two neuron values, and the regular "
            "input grid bent along."
        )
    data_2d = np.ascontiguousarray(data_2d, dtype=np.float32)
    line_2d = np.ascontiguousarray(line_2d, dtype=np.float32).reshape(n_lines, samples, 2)
    view_bounds = _padded_bounds(np.concatenate([data_2d, line_2d.reshape(-1, 2)]))
    output_rgba = output_rect = None
    if mode == "exact" and request.layer == len(spec.hidden):
        caption += _output_values_caption(spec) if spec.is_regression else _output_regions_caption(spec)
        if _output_reads_only_last_layer(spec):
            weight, bias = network.get_weights()[-1]
            grid = grid_points(view_bounds, output_resolution)
            logits = grid @ np.asarray(weight, dtype=np.float64) + np.asarray(bias, dtype=np.float64)
            if spec.residual_sources(spec.output_node):  # the last layer is also added to the logits
                logits += grid
            if spec.is_regression:  # the predicted value, a plane over this layer's two neurons
                output_rgba = value_colors.values_to_rgba(logits[:, 0], value_range or 1.0, DECISION_ALPHA)
                output_rgba = output_rgba.reshape(output_resolution, output_resolution, 4)
            else:
                output_rgba = probabilities_to_rgba(_softmax(logits), output_resolution, output_resolution)
            output_rect = bounds_rect(view_bounds)
    return HiddenSpaceView(
        layer=request.layer,
        width=width,
        mode=mode,
        axis_labels=axis_labels,
        points=data_2d,
        grid_lines=line_2d,
        bounds=view_bounds,
        caption=caption,
        basis=basis,
        center=center,
        explained=explained,
        output_rgba=output_rgba,
        output_rect=output_rect,
        labels=labels,
        values=values,
        value_range=value_range if values is not None else None,
        output_line=output_line,
    )


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _output_reads_only_last_layer(spec: NetworkSpec) -> bool:
    """True when the output is a function of the last hidden layer alone (its Linear and any residual
    read nothing else): only then are its class borders straight lines in that layer's plane, and drawing
    them is honest. An output that also reads earlier layers or the inputs has borders that depend on
    values this plane does not show, so nothing is drawn and the caption says why."""
    last = len(spec.hidden)
    return set(spec.sources(spec.output_node)) | set(spec.residual_sources(spec.output_node)) == {last}


def _output_values_caption(spec: NetworkSpec) -> str:
    """The regression counterpart of `_output_regions_caption`: the prediction is a plane over this layer."""
    if _output_reads_only_last_layer(spec):
        return (
            " This layer feeds the output, so the predicted value is a plane over it (the colours behind the "
            "points): equal predictions lie on parallel straight lines."
        )
    names = _other_output_sources(spec)
    return f" The output also reads {names}, so its prediction depends on more than this plane shows."


def _output_regions_caption(spec: NetworkSpec) -> str:
    if _output_reads_only_last_layer(spec):
        return (
            " This layer feeds the output, so the output's class borders are straight lines here: "
            "the layers before it have made the classes linearly separable (or not yet)."
        )
    names = _other_output_sources(spec)
    return (
        f" The output also reads {names}, so its class borders depend on more than this plane shows and "
        "are not drawn here."
    )


def _other_output_sources(spec: NetworkSpec) -> str:
    """What the output reads besides the last hidden layer, named for a caption ("the inputs, layer 1")."""
    out = spec.output_node
    others = sorted((set(spec.sources(out)) | set(spec.residual_sources(out))) - {len(spec.hidden)})
    return ", ".join("the inputs" if node == 0 else f"layer {node}" for node in others)


# ------------------------------------------------------------------------------------------------------
# The frame handed to the GUI
# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ViewRequest:
    """What the GUI currently shows, sent to the worker; views that are off are not computed."""

    bounds: Bounds = (-6.0, 6.0, -6.0, 6.0)
    resolution: int = 128
    discrete: bool = False
    decision: bool = True
    hidden: HiddenSpaceRequest | None = None
    neuron_map_size: int = 0  # 0 = no thumbnails


@dataclass(frozen=True, eq=False)
class ViewFrame:
    """One published picture of training: the trainer snapshot plus the view arrays computed from it."""

    snapshot: Any
    bounds: Bounds
    decision_rgba: np.ndarray | None
    decision_rect: Rect | None
    neuron_maps: tuple[np.ndarray, ...]
    hidden: HiddenSpaceView | None
    hidden_error: str | None
    compute_seconds: float
    steps_per_second: float = 0.0
    running: bool = False
    decision_seconds: float = 0.0
    #: Which replacement of the network (open, reset, import, new architecture) the snapshot comes after.
    generation: int = 0
    #: The recorded moment the views show (a `Record` of the run's recording), or None for the live network.
    #: The snapshot stays the live one either way: it is what training has reached, and what is saved.
    recorded: Any = None
    #: Regression: the half-width R of the colour scale [-R, R] the prediction surface (`decision_rgba`)
    #: was drawn with (`value_colors.value_range` of the targets); None for classification.
    value_range: float | None = None

    @property
    def at_step(self) -> int | None:
        """The recorded step the views show; None while they follow training live."""
        return None if self.recorded is None else int(self.recorded.step)

    @property
    def shown_weights(self) -> Any:
        """The weights the views were computed from: the recorded ones, else the live snapshot's."""
        return self.snapshot.weights if self.recorded is None else self.recorded.weights_list()


def compute_frame(
    snapshot: Any,
    network: Any,
    dataset: Any,
    request: ViewRequest,
    previous: ViewFrame | None = None,
    *,
    steps_per_second: float = 0.0,
    running: bool = False,
    reuse_secondary: bool = False,
) -> ViewFrame:
    """Turn a snapshot (and a network holding its weights) into a ViewFrame with the requested views.

    `reuse_secondary` takes the neuron maps and the hidden-space view from `previous` instead of computing
    them (the same objects, so a view can tell nothing changed): while training they are drawn at 15 Hz,
    the decision regions at 30. Ignored when there is no previous frame of the same architecture.
    """
    import time

    started = time.perf_counter()
    if reuse_secondary and (previous is None or previous.snapshot.spec != snapshot.spec):
        reuse_secondary = False
    decision = rect = half_range = None
    if network.spec.is_regression:
        half_range = value_colors.value_range(getattr(dataset, "targets", None))
    if request.decision and len(request.bounds) == 4:
        if half_range is not None:  # regression: the prediction surface in the same slot
            decision, rect = value_image(network, request.bounds, request.resolution, half_range)
        else:
            decision, rect = decision_image(
                network, request.bounds, request.resolution, discrete=request.discrete
            )
    decision_seconds = time.perf_counter() - started
    maps: tuple[np.ndarray, ...] = ()
    hidden = None
    hidden_error = None
    if reuse_secondary:
        assert previous is not None
        maps, hidden, hidden_error = previous.neuron_maps, previous.hidden, previous.hidden_error
    elif request.neuron_map_size:
        maps = tuple(neuron_maps(network, network.spec, request.bounds, request.neuron_map_size))
    if request.hidden is not None and not reuse_secondary:
        try:
            prev_hidden = previous.hidden if previous is not None else None
            hidden = hidden_space(
                network,
                dataset.points,
                dataset.bounds(),
                request.hidden,
                prev_hidden,
                spec=network.spec,
                labels=dataset.labels,
                values=getattr(dataset, "targets", None),
                value_range=half_range,
            )
        except ViewError as exc:
            hidden_error = str(exc)
    return ViewFrame(
        snapshot=snapshot,
        bounds=request.bounds,
        decision_rgba=decision,
        decision_rect=rect,
        neuron_maps=maps,
        hidden=hidden,
        hidden_error=hidden_error,
        compute_seconds=time.perf_counter() - started,
        steps_per_second=steps_per_second,
        running=running,
        decision_seconds=decision_seconds,
        value_range=half_range,
    )


class CurveEnvelope:
    """A growing curve reduced to at most `max_points` points (plus the newest samples, fewer than a block)
    that draw the same: each block of samples becomes its lowest and highest sample, in order (spikes
    survive, unlike plain striding). Incremental.

    Why: a long run's loss history has up to 10,000 entries (`history.MAX_ENTRIES`); handing
    them all to the plot four times a second costs milliseconds of the GUI thread on every redraw. Here each
    update only reduces the samples that are new since the last one; the block size doubles (and everything
    is reduced once more) only when the curve outgrows it; a thinned history starts over (`reset`). NaN
    samples (gaps in the line) are kept as gaps. The last sample is never folded into a block, because it is
    the trainer's current state, replaced by the next one.
    """

    def __init__(self, max_points: int = 4000) -> None:
        self.max_points = max(8, int(max_points))
        self.reset()

    def reset(self) -> None:
        self._block = 1
        self._folded = 0  # samples covered by complete blocks
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._source_id: tuple[int, int] | None = None

    def update(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The reduced curve for the full arrays `x`, `y` (earlier samples as in the previous call, more may
        follow; a shorter curve starts over)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        n = len(y)
        if n <= self.max_points:
            self.reset()
            return x, y
        block = self._block
        while n > block * (self.max_points // 2):
            block *= 2
        if block != self._block or n - 1 < self._folded:
            self.reset()
            self._block = block
        foldable = (n - 1) // block * block  # complete blocks, never including the newest sample
        if foldable > self._folded:
            new_x, new_y = _envelope_blocks(x[self._folded : foldable], y[self._folded : foldable], block)
            self._x = np.concatenate([self._x, new_x])
            self._y = np.concatenate([self._y, new_y])
            self._folded = foldable
        return np.concatenate([self._x, x[self._folded :]]), np.concatenate([self._y, y[self._folded :]])


def _envelope_blocks(x: np.ndarray, y: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Each block of `block` samples -> its lowest and highest sample in order (a gap if it has a NaN)."""
    blocks = y.reshape(-1, block)
    gaps = np.isnan(blocks)
    low = np.where(gaps, np.inf, blocks).argmin(axis=1)
    high = np.where(gaps, -np.inf, blocks).argmax(axis=1)
    high = np.where(gaps.any(axis=1), gaps.argmax(axis=1), high)  # keep the gap: the line breaks there
    starts = np.arange(0, len(y), block)
    index = np.stack([starts + np.minimum(low, high), starts + np.maximum(low, high)], axis=1).ravel()
    return x[index], y[index]


def adapt_resolution(
    current: int, frame_seconds: float, budget_seconds: float, lo: int = 64, hi: int = 256
) -> int:
    """Next decision-image side: shrink when a frame took longer than the budget, grow when well under."""
    if frame_seconds > budget_seconds:
        proposed = int(current / math.sqrt(frame_seconds / budget_seconds) / 8) * 8
    elif frame_seconds < 0.5 * budget_seconds:
        proposed = int(current * 1.25 / 8) * 8
    else:
        proposed = current
    return int(min(hi, max(lo, proposed)))


__all__: Sequence[str] = (
    "Bounds",
    "CurveEnvelope",
    "HiddenSpaceRequest",
    "HiddenSpaceView",
    "Rect",
    "ViewError",
    "ViewFrame",
    "ViewRequest",
    "adapt_resolution",
    "bounds_rect",
    "class_colors_rgb",
    "class_probabilities",
    "compute_frame",
    "decision_image",
    "grid_line_points",
    "grid_points",
    "hidden_space",
    "neuron_maps",
    "predicted_values",
    "probabilities_to_rgba",
    "stable_pca",
    "value_image",
)

"""The loss surface: the training objective on a 2D slice through the weights, and paths drawn on it.

The objective is what training minimises: the mean cross-entropy (for regression the Euclidean loss
mean ½(ŷ − y)²) over **all** training points plus the L2
term (λ/2)·Σ‖W‖² (weight matrices only, as the engine's `Network` defines it). A slice is
θ + α·d1 + β·d2 around the weights θ, for three kinds of directions d1, d2 (flat vectors in the layout of
`Network.flat_params`):

- two single parameters (`parameter_direction`: unit vectors): the slice is exact, the axes are the two
  parameters' own values, and a 2D optimiser run on it (`descend`) lies on the surface;
- filter-normalised random directions (`filter_normalized_direction`, Li et al. 2018, "Visualizing the Loss
  Landscape of Neural Nets"): each neuron's incoming weights get a random direction with the norm of that
  neuron's weights, biases none, so the slice looks equally far in every layer whatever its scale;
- the top two principal directions of the recorded run (`principal_directions`): the plane the optimizer
  moved in most.

A recorded run is drawn by projecting each recorded θ_t onto the plane (`project_path`). Unless every other
parameter stayed put, θ_t is *off* the slice: `ProjectedPath.off_slice` says how far, so a view can say
that the path is a projection and not a walk on this surface (the problem loss-landscape pictures usually
hide).

Speed (benchmarks/landscape_speed.py): one `Network` is reused for the whole grid, its `flat_params` set
per grid point and the training points run through the engine's one inference path (`Workspace.forward`)
in one chunk; the cross-entropy is taken for many grid points at once. 41 x 41 over 1,000 points for a
2-8-8-2 network takes well under a second.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.model.engine.network import INFERENCE_CHUNK, Network, Workspace
from workbench.core.model.engine.optimizers import make_optimizer
from workbench.core.model.spec import NetworkSpec, SpecError, TrainingSettings

Weights = list[tuple[np.ndarray, np.ndarray]]

#: Grid sizes (points per axis) and spans a slice may have.
MIN_GRID, MAX_GRID = 3, 201
MIN_SPAN, MAX_SPAN = 1e-4, 1e4
#: The three kinds of directions, as the command line and the view name them.
DIRECTION_KINDS = ("params", "random", "pca")
#: The optimisers raced on a slice, in the view's order and legend.
RACE_OPTIMIZERS = ("sgd", "momentum", "adam")
#: Grid points whose logits are gathered before one vectorised cross-entropy.
_LOSS_BLOCK = 64


class LandscapeError(ValueError):
    """A slice that cannot be computed (no training points, no recorded run, a bad span...); says why."""


def flatten(network: Network, weights: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Engine weights as one flat vector in `network`'s `flat_params` layout (float64 copy)."""
    network.set_weights(weights)
    return network.flat_params.astype(np.float64)


class Objective:
    """The training objective of one network shape on one training set: data loss + L2, full batch.

    Owns one `Network` (float32, like training) whose parameters it overwrites: give each thread its own.
    """

    def __init__(self, spec: NetworkSpec, points: np.ndarray, labels: np.ndarray, l2: float = 0.0) -> None:
        """``labels`` are class numbers, or for a regression spec the target values."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        kind = np.float64 if spec.is_regression else np.int64
        labels = np.asarray(labels, dtype=kind).reshape(-1)
        if len(points) == 0:
            raise LandscapeError("there are no training points: the loss surface needs some")
        if len(points) != len(labels):
            raise LandscapeError(f"{len(points)} points but {len(labels)} labels")
        self.spec = spec
        self.network = Network(spec)
        self.l2 = float(l2)
        self.labels = labels
        self.points = points
        self.features_t = np.ascontiguousarray(self.network.features(points).T)
        self.mask = self.network.weight_mask.astype(bool)
        self._workspace: Workspace | None = None
        if len(points) <= INFERENCE_CHUNK * 4:  # one chunk: the features are copied in once
            self._workspace = Workspace(self.network, len(points), training=False)
            self._workspace.batch[: len(spec.features)] = self.features_t

    @classmethod
    def of_training_set(cls, spec: NetworkSpec, dataset: Dataset, l2: float) -> Objective:
        """The objective over a dataset's training points (its test points are not trained on)."""
        train = dataset.train_indices
        truth = dataset.targets if dataset.targets is not None else dataset.labels
        return cls(spec, dataset.points[train], truth[train], l2)

    @property
    def n_parameters(self) -> int:
        return self.network.n_parameters

    def flatten(self, weights: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        return flatten(self.network, weights)

    def _logits(self) -> np.ndarray:
        """(C, N) logits of the current `flat_params` through the engine's inference path."""
        out = self.spec.output_node
        if self._workspace is not None:
            self._workspace.forward(out)
            return self._workspace.value(out)
        parts = [
            workspace.value(out)[:, :rows].copy()
            for _, rows, workspace in self.network.iter_forward(features_t=self.features_t)
        ]
        return np.concatenate(parts, axis=1)

    def _l2_term(self) -> float:
        if not self.l2:
            return 0.0
        weights = self.network.flat_params[self.mask].astype(np.float64)
        return 0.5 * self.l2 * float(np.dot(weights, weights))

    def _data_losses(self, logits: np.ndarray) -> np.ndarray:
        """Mean cross-entropy per grid point of stacked (G, C, N) float32 logits, in float64 (regression:
        mean ½(ŷ − y)² of the (G, 1, N) outputs)."""
        logits = logits.astype(np.float64)
        if self.spec.is_regression:
            return 0.5 * np.mean((logits[:, 0, :] - self.labels[None, :]) ** 2, axis=1)
        shift = logits.max(axis=1, keepdims=True)
        log_sum_exp = shift[:, 0] + np.log(np.exp(logits - shift).sum(axis=1))
        truth = np.take_along_axis(logits, self.labels[None, None, :], axis=1)[:, 0]
        return (log_sum_exp - truth).mean(axis=1)

    def value(self, theta: np.ndarray) -> float:
        """The objective at a flat parameter vector."""
        self.network.flat_params[...] = theta
        with np.errstate(all="ignore"):
            return float(self._data_losses(self._logits()[None])[0]) + self._l2_term()

    def surface(
        self,
        theta: np.ndarray,
        d1: np.ndarray,
        d2: np.ndarray,
        alpha: np.ndarray,
        beta: np.ndarray,
        should_stop: Callable[[], bool] | None = None,
    ) -> np.ndarray | None:
        """loss[i, j] = objective(θ + alpha[i]·d1 + beta[j]·d2); None when `should_stop()` said so."""
        theta = np.asarray(theta, dtype=np.float64)
        d1, d2 = np.asarray(d1, dtype=np.float64), np.asarray(d2, dtype=np.float64)
        loss = np.empty((len(alpha), len(beta)), dtype=np.float64)
        params = self.network.flat_params
        n_classes, n = self.spec.n_outputs, len(self.labels)
        block = np.empty((_LOSS_BLOCK, n_classes, n), dtype=np.float32)
        l2 = np.zeros(_LOSS_BLOCK)
        where: list[tuple[int, int]] = []

        def flush() -> None:
            with np.errstate(all="ignore"):
                data = self._data_losses(block[: len(where)])
            for k, (i, j) in enumerate(where):
                loss[i, j] = data[k] + l2[k]
            where.clear()

        with np.errstate(all="ignore"):
            for i, a in enumerate(alpha):
                row = theta + a * d1
                for j, b in enumerate(beta):
                    params[...] = row + b * d2
                    k = len(where)
                    block[k] = self._logits()
                    l2[k] = self._l2_term()
                    where.append((i, j))
                    if len(where) == _LOSS_BLOCK:
                        flush()
                if should_stop is not None and should_stop():
                    return None
        if where:
            flush()
        loss[~np.isfinite(loss)] = np.inf
        return loss

    def gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective and its gradient (flat, float64) at θ, by the engine's back-propagation."""
        network = self.network
        network.flat_params[...] = theta
        features = self.features_t.T
        with np.errstate(all="ignore"):
            loss = network.loss_and_gradients(features, self.labels, self.l2)
        return float(loss), network.flat_grads.astype(np.float64)


# ---------------------------------------------------------------------------------------------- directions
def parameter_direction(n_parameters: int, index: int) -> np.ndarray:
    """The unit vector along one flat parameter."""
    if not 0 <= index < n_parameters:
        raise LandscapeError(f"parameter index {index} is out of range (0..{n_parameters - 1})")
    direction = np.zeros(n_parameters)
    direction[index] = 1.0
    return direction


def filter_normalized_direction(network: Network, theta: np.ndarray, seed: int) -> np.ndarray:
    """A random Gaussian direction scaled per filter (Li et al. 2018): for every neuron, the direction of its
    incoming weights (a column of the engine's W, all sources of a graph included) gets the norm of that
    neuron's weights in θ; biases get none (their direction is zero). Uses `network` for the layout only."""
    rng = np.random.default_rng([int(seed) % 2**63, 14])
    direction = rng.standard_normal(network.n_parameters)
    network.flat_params[...] = theta
    offset = 0
    for layer in network.layers:
        rows, cols = layer.wb.shape
        block = direction[offset : offset + rows * cols].reshape(rows, cols)
        weights = layer.W.astype(np.float64)
        target = np.linalg.norm(weights, axis=0)
        current = np.linalg.norm(block[:-1], axis=0)
        scale = np.divide(target, current, out=np.zeros_like(target), where=current > 0)
        block[:-1] *= scale
        block[-1] = 0.0
        offset += rows * cols
    return direction


def random_directions(network: Network, theta: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two filter-normalised random directions from one seed."""
    return (
        filter_normalized_direction(network, theta, 2 * int(seed)),
        filter_normalized_direction(network, theta, 2 * int(seed) + 1),
    )


@dataclass(frozen=True)
class Principal:
    """The top two principal directions of a path of flat parameter vectors, around θ."""

    d1: np.ndarray
    d2: np.ndarray
    #: Share of the path's squared distance from θ that the two directions explain (0..1).
    explained: float


def principal_directions(theta: np.ndarray, path: np.ndarray) -> Principal:
    """Orthonormal top-2 right singular vectors of (θ_t − θ) over the path's points: the plane that holds as
    much of the path as any plane through θ can (so a path that moved in one plane lies in it exactly)."""
    deltas = np.asarray(path, dtype=np.float64) - np.asarray(theta, dtype=np.float64)[None, :]
    if len(deltas) < 2:
        raise LandscapeError("the recorded run has fewer than 2 steps: train first, then look at its path")
    _, singular, vt = np.linalg.svd(deltas, full_matrices=False)
    total = float(np.sum(singular**2))
    if total == 0.0 or len(singular) < 2 or singular[1] <= singular[0] * 1e-12:
        raise LandscapeError(
            "the recorded run does not move in two directions (the weights hardly changed): "
            "train longer, or use --params or --random"
        )
    d1, d2 = vt[0].copy(), vt[1].copy()
    # A sign that does not depend on the SVD routine: the path's end lies at positive coordinates.
    for d in (d1, d2):
        if float(np.dot(deltas[0], d)) > 0:
            d *= -1
    return Principal(d1, d2, float((singular[0] ** 2 + singular[1] ** 2) / total))


# ------------------------------------------------------------------------------------------------- grid
def axis(span: float, n: int) -> np.ndarray:
    """n values from -span to span with exactly 0 in the middle (n odd), so the centre is θ itself."""
    if not MIN_GRID <= n <= MAX_GRID:
        raise LandscapeError(f"the grid must have {MIN_GRID} to {MAX_GRID} points per axis, not {n}")
    if not (math.isfinite(span) and MIN_SPAN <= span <= MAX_SPAN):
        raise LandscapeError(f"the span must be between {MIN_SPAN:g} and {MAX_SPAN:g}, not {span:g}")
    half = (n - 1) / 2
    return span * (np.arange(n) - half) / half


@dataclass(frozen=True)
class ProjectedPath:
    """A path of parameter vectors in slice coordinates."""

    steps: np.ndarray  # (T,) int
    alpha: np.ndarray  # (T,)
    beta: np.ndarray  # (T,)
    #: Per point: distance from the plane ‖θ_t − (θ + α·d1 + β·d2)‖, over the path's largest distance
    #: from θ (0: the point lies on the slice, so its loss is the surface's).
    off_slice: np.ndarray  # (T,)

    @property
    def on_surface(self) -> bool:
        return bool(len(self.off_slice) == 0 or float(np.max(self.off_slice)) < 1e-6)


def project_path(
    theta: np.ndarray, d1: np.ndarray, d2: np.ndarray, path: np.ndarray, steps: Sequence[int] | np.ndarray
) -> ProjectedPath:
    """Least-squares coordinates (α, β) of each θ_t in the plane θ + α·d1 + β·d2 (exact for orthonormal or
    parameter directions), and how far off the plane each one lies."""
    deltas = np.asarray(path, dtype=np.float64) - np.asarray(theta, dtype=np.float64)[None, :]
    basis = np.stack([d1, d2], axis=1)
    coords, *_ = np.linalg.lstsq(basis, deltas.T, rcond=None)
    residual = np.linalg.norm(deltas.T - basis @ coords, axis=0)
    scale = float(np.max(np.linalg.norm(deltas, axis=1))) if len(deltas) else 0.0
    off = residual / scale if scale > 0 else np.zeros(len(deltas))
    return ProjectedPath(np.asarray(steps, dtype=np.int64), coords[0].copy(), coords[1].copy(), off)


# ------------------------------------------------------------------------------------------------ slices
@dataclass(frozen=True)
class Slice:
    """A computed loss surface: loss[i, j] = objective(θ + alpha[i]·d1 + beta[j]·d2)."""

    kind: str
    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    theta: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    center_loss: float
    path: ProjectedPath | None = None
    #: PCA only: the share of the path's spread the two directions explain.
    explained: float | None = None

    @property
    def extent(self) -> tuple[float, float, float, float]:
        return float(self.alpha[0]), float(self.alpha[-1]), float(self.beta[0]), float(self.beta[-1])


@dataclass(frozen=True)
class SliceRequest:
    """Everything needed to compute a slice, plain data (crosses threads; arrays are copies)."""

    spec: NetworkSpec
    points: np.ndarray
    labels: np.ndarray
    l2: float
    weights: Weights
    kind: str = "params"
    span: float = 1.0
    grid: int = 41
    params: tuple[int, int] = (0, 1)
    seed: int = 0
    #: The recorded run: (steps, weights per step); needed by "pca", drawn projected by every kind.
    path_steps: tuple[int, ...] = ()
    path_weights: tuple[Weights, ...] = ()


def compute_slice(
    request: SliceRequest, objective: Objective | None = None, should_stop: Callable[[], bool] | None = None
) -> Slice | None:
    """The slice a request asks for (None when `should_stop` interrupted it); LandscapeError says what is
    wrong with a request."""
    if request.kind not in DIRECTION_KINDS:
        raise LandscapeError(f"unknown kind of directions {request.kind!r}; choose from {DIRECTION_KINDS}")
    alpha = axis(request.span, request.grid)
    beta = alpha.copy()
    if objective is None:
        objective = Objective(request.spec, request.points, request.labels, request.l2)
    try:
        theta = objective.flatten(request.weights)
        path = None
        if request.path_weights:
            path = np.stack([objective.flatten(w) for w in request.path_weights])
    except ValueError as exc:
        raise LandscapeError(f"the weights do not fit the network: {exc}") from None
    explained = None
    if request.kind == "params":
        p1, p2 = request.params
        if p1 == p2:
            raise LandscapeError("pick two different parameters")
        d1 = parameter_direction(objective.n_parameters, p1)
        d2 = parameter_direction(objective.n_parameters, p2)
    elif request.kind == "random":
        d1, d2 = random_directions(objective.network, theta, request.seed)
        if not (np.any(d1) and np.any(d2)):
            raise LandscapeError("all weights are zero: filter-normalised directions would be zero too")
    else:
        if path is None:
            raise LandscapeError("there is no recorded run to take principal directions from: train first")
        principal = principal_directions(theta, path)
        d1, d2, explained = principal.d1, principal.d2, principal.explained
    loss = objective.surface(theta, d1, d2, alpha, beta, should_stop)
    if loss is None:
        return None
    projected = project_path(theta, d1, d2, path, request.path_steps) if path is not None else None
    centre = objective.value(theta)  # = loss[n // 2, n // 2] for an odd grid; an even one misses θ
    return Slice(request.kind, alpha, beta, loss, theta, d1, d2, float(centre), projected, explained)


# --------------------------------------------------------------------------------------- optimiser race
@dataclass(frozen=True)
class Descent:
    """One optimiser's walk on a slice: coordinates and objective per step (it lies on the surface)."""

    optimizer: str
    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    diverged: bool


def descend(
    objective: Objective,
    theta: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    start: tuple[float, float],
    optimizer: str,
    learning_rate: float,
    steps: int,
    settings: TrainingSettings | None = None,
) -> Descent:
    """Run one of the engine's optimisers (`make_optimizer`: momentum is the lecture's Δ ← μΔ + ∂L/∂θ,
    θ ← θ − ηΔ) on the two coordinates (α, β) of the slice from `start`, full batch. The gradient is the
    engine's back-propagated gradient projected on d1, d2, so every point lies on the slice."""
    base = settings or TrainingSettings()
    try:
        settings = replace(base, optimizer=optimizer, learning_rate=float(learning_rate)).validate()
    except SpecError as exc:
        raise LandscapeError(str(exc)) from None
    coords = np.array(start, dtype=np.float64)
    grads = np.zeros(2)
    opt = make_optimizer(settings, {"p": coords}, {"p": grads})
    alphas, betas, losses = [coords[0]], [coords[1]], []
    diverged = False
    limit = 1e6
    for step in range(steps + 1):
        loss, flat = objective.gradient(theta + coords[0] * d1 + coords[1] * d2)
        losses.append(loss)
        if not math.isfinite(loss) or np.max(np.abs(coords)) > limit:
            diverged = True
            break
        if step == steps:
            break
        grads[0], grads[1] = float(np.dot(flat, d1)), float(np.dot(flat, d2))
        opt.step()
        alphas.append(coords[0])
        betas.append(coords[1])
    n = len(losses)
    return Descent(optimizer, np.array(alphas[:n]), np.array(betas[:n]), np.array(losses), diverged)

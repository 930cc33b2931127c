"""The lecture's trust-but-verify: back-propagation's gradient against finite differences, in float64.

For each checked parameter θ_i the numerical derivative is the central difference
(L(θ + h·e_i) − L(θ − h·e_i)) / 2h with h = `STEP`, L the training objective (mean cross-entropy over the
checked points, or for regression the Euclidean loss mean ½(ŷ − y)² of the linear output, plus the L2
term), and the analytic one is what `Network.loss_and_gradients` computes by back-propagation. The
relative error of one parameter is

    |analytic − numerical| / max(|analytic|, |numerical|, FLOOR)

(FLOOR keeps gradients that are zero up to rounding, e.g. behind a dead ReLU or deep in a sigmoid chain,
from turning rounding noise into a huge "relative" error: h = 1e-5 leaves ~1e-11 of rounding in a
difference quotient of a loss near 1, so gradients below 1e-5 are in effect compared absolutely, to
1e-10). A parameter that fails is tried again with h/10: a ReLU's or step's kink that fell inside ±h
(rare) is then missed, while a wrong backward fails at every h. A parameter whose left and right
difference quotients differ at least as much as the disagreement sits on a kink itself (with zero biases,
a point whose ReLU inputs are all off has z exactly 0 in the next layer): it has no derivative to
compare, and is counted in `at_kinks` instead. A correct engine stays far below `TOLERANCE`; a module
whose backward is wrong (a wrong derivative, a missing factor) lands orders of magnitude above it.

Cost: two forward passes per parameter, so a big network is checked on a random sample of at most
`MAX_PARAMETERS` parameters (seeded, every layer represented in proportion) and at most `MAX_POINTS` points;
the result says so (`sampled`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.model.engine.network import Network, Weights
from workbench.core.model.spec import NetworkSpec

STEP = 1e-5
FLOOR = 1e-5
#: A relative error above this means back-propagation and finite differences disagree.
TOLERANCE = 1e-5
MAX_PARAMETERS = 2000
MAX_POINTS = 128
#: Multiply-adds the finite differences may cost (~3 s): a big network is checked on fewer parameters.
WORK_BUDGET = 3e9
MIN_PARAMETERS = 100


@dataclass(frozen=True)
class GradientCheckResult:
    """The largest relative error over the checked parameters and where it was."""

    max_relative_error: float
    parameters_checked: int
    parameters_total: int
    points: int
    #: Which parameter had the largest error, e.g. "layer 2 W[3, 1]" (layer = node; W rows are inputs).
    worst: str
    cancelled: bool = False
    #: Parameters where the loss has a corner (a ReLU or step exactly at its kink for some point, e.g.
    #: a zero bias behind a layer that is all off): left and right slopes differ, so they are not compared.
    at_kinks: int = 0

    @property
    def sampled(self) -> bool:
        return self.parameters_checked < self.parameters_total

    @property
    def passed(self) -> bool:
        return not self.cancelled and self.max_relative_error <= TOLERANCE

    def to_dict(self) -> dict[str, float | int]:
        """The CLI's JSON contract."""
        return {
            "max_relative_error": float(self.max_relative_error),
            "parameters_checked": self.parameters_checked,
        }

    def summary(self) -> str:
        """One or two sentences for a person."""
        verdict = "passed" if self.passed else "FAILED: back-propagation disagrees with finite differences"
        which = (
            f"a random sample of {self.parameters_checked:,} of the {self.parameters_total:,} parameters"
            if self.sampled
            else f"all {self.parameters_checked:,} parameters"
        )
        return (
            f"Gradient check {verdict}. Largest relative error {self.max_relative_error:.2e} "
            f"(at {self.worst}; tolerance {TOLERANCE:.0e}), over {which} on {self.points:,} training points "
            "in float64."
            + (
                f" {self.at_kinks:,} of them sit on a kink of ReLU/step and were not compared."
                if self.at_kinks
                else ""
            )
        )


def check_gradients(
    network: Network,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    l2: float = 0.0,
    max_parameters: int = MAX_PARAMETERS,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> GradientCheckResult:
    """Compare `network`'s back-propagated gradient with central differences (best with a float64 network).

    `progress(done, total)` is called now and then; `should_stop()` ends the check early (`cancelled`).
    """
    features = np.asarray(features, dtype=network.dtype)
    labels = np.asarray(labels)
    if network.spec.is_regression:  # target values as the Euclidean loss takes them: (B, 1)
        labels = labels.reshape(-1, 1).astype(network.dtype)
    total = network.n_parameters
    network.loss_and_gradients(features, labels, l2)
    analytic = network.flat_grads.astype(np.float64).copy()
    affordable = int(WORK_BUDGET / max(1, 2 * len(features) * total))
    max_parameters = min(max_parameters, max(MIN_PARAMETERS, affordable))
    if total > max_parameters:
        chosen = np.sort(np.random.default_rng(seed).choice(total, max_parameters, replace=False))
    else:
        chosen = np.arange(total)
    errors = np.zeros(len(chosen))
    center = _objective(network, features, labels, l2)
    kinks = 0
    cancelled = False
    report_every = max(1, len(chosen) // 100)
    for done, index in enumerate(chosen):
        if should_stop is not None and should_stop():
            cancelled = True
            errors = errors[:done]
            chosen = chosen[:done]
            break
        if progress is not None and done % report_every == 0:
            progress(done, len(chosen))
        a = analytic[index]
        left, right = _one_sided(network, index, STEP, features, labels, l2, center)
        error = _relative_error(a, (left + right) / 2)
        if error > TOLERANCE:  # a kink (ReLU, step) inside ±h is rarer with a smaller h; a bug is not
            left, right = _one_sided(network, index, STEP / 10, features, labels, l2, center)
            central = (left + right) / 2
            error = min(error, _relative_error(a, central))
            if error > TOLERANCE and abs(right - left) >= abs(a - central):
                kinks += 1  # the loss has a corner right here: no derivative to compare with
                error = 0.0
        errors[done] = error
    if progress is not None:
        progress(len(chosen), len(chosen))
    worst = int(np.argmax(errors)) if len(errors) else -1
    return GradientCheckResult(
        max_relative_error=float(errors[worst]) if worst >= 0 else 0.0,
        parameters_checked=len(chosen),
        parameters_total=total,
        points=len(features),
        worst=parameter_name(network, int(chosen[worst])) if worst >= 0 else "-",
        cancelled=cancelled,
        at_kinks=kinks,
    )


def check_project_gradients(
    spec: NetworkSpec,
    weights: Weights,
    dataset: Dataset,
    l2: float = 0.0,
    **options: object,
) -> GradientCheckResult:
    """`check_gradients` on a float64 copy of these weights, over (at most `MAX_POINTS` of) the training
    points (their labels, or their target values for regression); ValueError when there are no training
    points or the weights do not fit."""
    indices = np.asarray(dataset.train_indices)
    if len(indices) == 0:
        raise ValueError("no training points to check the gradient on")
    if len(indices) > MAX_POINTS:
        indices = np.sort(np.random.default_rng(0).choice(indices, MAX_POINTS, replace=False))
    network = Network.from_weights(spec, weights, dtype=np.float64)
    features = network.features(dataset.points[indices])
    truth = dataset.targets if dataset.targets is not None else dataset.labels
    return check_gradients(network, features, truth[indices], l2=l2, **options)  # type: ignore[arg-type]


def parameter_name(network: Network, index: int) -> str:
    """Where flat parameter `index` lives, e.g. "layer 2 W[3, 1]" or "layer 3 b[0]"."""
    offset = 0
    for number, layer in enumerate(network.layers, 1):
        rows, cols = layer.wb.shape
        if index < offset + rows * cols:
            row, col = divmod(index - offset, cols)
            return f"layer {number} b[{col}]" if row == rows - 1 else f"layer {number} W[{row}, {col}]"
        offset += rows * cols
    raise IndexError(index)


def _one_sided(
    network: Network,
    index: int,
    h: float,
    features: np.ndarray,
    labels: np.ndarray,
    l2: float,
    center: float,
) -> tuple[float, float]:
    """The left and right difference quotients of parameter `index` (their mean is the central one)."""
    theta = network.flat_params
    original = theta[index]
    theta[index] = original + h
    plus = _objective(network, features, labels, l2)
    theta[index] = original - h
    minus = _objective(network, features, labels, l2)
    theta[index] = original
    return (center - minus) / h, (plus - center) / h


def _relative_error(analytic: float, numerical: float) -> float:
    return abs(analytic - numerical) / max(abs(analytic), abs(numerical), FLOOR)


def _objective(network: Network, features: np.ndarray, labels: np.ndarray, l2: float) -> float:
    loss = float(network.loss.forward(network.forward(features), labels))
    if l2:
        weights = network.flat_params * network.weight_mask
        loss += 0.5 * l2 * float(np.dot(weights, weights))
    return loss


__all__ = [
    "FLOOR",
    "MAX_PARAMETERS",
    "MAX_POINTS",
    "STEP",
    "TOLERANCE",
    "GradientCheckResult",
    "check_gradients",
    "check_project_gradients",
    "parameter_name",
]

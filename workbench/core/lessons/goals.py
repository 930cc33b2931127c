"""Checking a step's goals against a training state: pure functions, the same for the window and the CLI.

The window builds a `GoalState` from each trainer snapshot it receives, `lesson check` from its own
`Trainer`; `evaluate_goals` says for each goal the value measured now and whether the goal is met. Every goal
but `separable` reads numbers the snapshot already carries (microseconds); `separable` runs the network on
the training points and fits a linear classifier on the last hidden layer (a few ms for a few hundred
points), so the window checks it less often (`EXPENSIVE_GOALS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.lessons.format import Goal, format_value
from workbench.core.model.spec import NetworkSpec

#: Goals that need a forward pass and a fit; the others read the snapshot's numbers.
EXPENSIVE_GOALS = ("separable",)
#: The linear fit of `separable` uses at most this many training points (a sample beyond).
SEPARABILITY_POINTS = 2000
FIT_ITERATIONS = 400


@dataclass(frozen=True)
class GoalState:
    """What the goals are checked against: the run's step, network, data, weights and measurements."""

    step: int
    spec: NetworkSpec
    dataset: Dataset
    weights: Any  # list of (W, b) per node 1..L+1, or None before a network exists
    train_loss: float = math.nan
    train_accuracy: float = math.nan
    test_loss: float = math.nan
    test_accuracy: float = math.nan
    gradients: Any = None  # a `GradientFlow`, or None
    #: `separable` fits on at most this many training points (a fixed sample beyond), in at most this many
    #: gradient steps (the window uses fewer of both: it checks while training runs).
    sample_points: int = SEPARABILITY_POINTS
    fit_iterations: int = FIT_ITERATIONS
    #: Regression's measures (NaN for classification).
    test_rmse: float = math.nan
    test_r2: float = math.nan

    @classmethod
    def of_snapshot(
        cls,
        snapshot: Any,
        dataset: Dataset,
        sample_points: int = SEPARABILITY_POINTS,
        fit_iterations: int = FIT_ITERATIONS,
    ) -> GoalState:
        """From a `TrainerSnapshot` (the window's frames carry one) and the dataset it trained on."""
        metrics = snapshot.metrics
        return cls(
            int(snapshot.step),
            snapshot.spec,
            dataset,
            snapshot.weights,
            float(metrics.train_loss),
            float(metrics.train_accuracy),
            float(metrics.test_loss),
            float(metrics.test_accuracy),
            snapshot.gradients,
            sample_points,
            fit_iterations,
            float(metrics.test_rmse),
            float(metrics.test_r2),
        )


@dataclass(frozen=True)
class GoalResult:
    """One goal's verdict: the value measured now, whether the goal is met, and a line for people."""

    goal: Goal
    value: float
    met: bool
    note: str = ""

    @property
    def text(self) -> str:
        """E.g. "test accuracy ≥ 95 % — now 97.5 %"."""
        if self.note:
            return f"{self.goal.describe()} — {self.note}"
        return f"{self.goal.describe()} — now {format_value(self.goal.kind, self.value)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal": self.goal.describe(),
            "kind": self.goal.kind,
            "value": self.value if math.isfinite(self.value) else None,
            "met": self.met,
            **({"note": self.note} if self.note else {}),
        }


def evaluate_goals(
    goals: tuple[Goal, ...] | list[Goal],
    state: GoalState,
    *,
    cheap_only: bool = False,
    previous: dict[int, GoalResult] | None = None,
) -> list[GoalResult]:
    """Each goal's verdict. With `cheap_only`, expensive goals keep their `previous` result (by index)."""
    results = []
    for index, goal in enumerate(goals):
        if cheap_only and goal.kind in EXPENSIVE_GOALS:
            old = (previous or {}).get(index)
            results.append(old if old is not None else GoalResult(goal, math.nan, False, "not measured yet"))
            continue
        results.append(evaluate_goal(goal, state))
    return results


def evaluate_goal(goal: Goal, state: GoalState) -> GoalResult:
    """The goal's value in `state` and whether it is met (a goal with `after` needs that many steps)."""
    note = ""
    value = _measure(goal, state)
    if goal.kind == "gradient_norm" and not math.isfinite(value):
        note = "measured once training has run a few steps"
    if math.isfinite(value):
        met = {
            "at_least": value >= goal.value,
            "at_most": value <= goal.value,
            "below": value < goal.value,
            "above": value > goal.value,
        }[goal.bound]
    else:
        met = False
    if met and state.step < goal.after:
        note = f"now {format_value(goal.kind, value)}; wait until step {goal.after:,}"
        met = False
    return GoalResult(goal, value, bool(met), note)


def _measure(goal: Goal, state: GoalState) -> float:
    kind = goal.kind
    if kind in ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "test_rmse", "test_r2"):
        return float(getattr(state, kind))
    if kind == "hidden_neurons":
        return float(sum(layer.width for layer in state.spec.hidden))
    if kind == "gradient_norm":
        flow = state.gradients
        if flow is None or not len(flow) or goal.layer > flow.n_layers:
            return math.nan
        return float(flow.grad_norms[-1, goal.layer - 1])
    if kind == "separable":
        if state.weights is None:
            return math.nan
        return last_layer_linear_accuracy(
            state.spec, state.weights, state.dataset, state.sample_points, state.fit_iterations
        )
    raise ValueError(f"unknown goal kind {kind!r}")


def last_layer_linear_accuracy(
    spec: NetworkSpec,
    weights: Any,
    dataset: Dataset,
    max_points: int = SEPARABILITY_POINTS,
    iterations: int = FIT_ITERATIONS,
) -> float:
    """How well a linear classifier separates the training points on the last hidden layer's outputs
    (1.0 = linearly separable there): the better of a softmax-regression fit and, when the output reads only
    that layer, the network's own output layer (which is such a linear classifier)."""
    from workbench.core.model.engine import Network

    indices = dataset.train_indices
    if len(indices) == 0:
        return math.nan
    if len(indices) > max_points:
        rng = np.random.default_rng(0)
        indices = np.sort(rng.choice(indices, max_points, replace=False))
    points, labels = dataset.points[indices], dataset.labels[indices]
    network = Network(spec)
    network.set_weights([(np.asarray(w), np.asarray(b)) for w, b in weights])
    last = len(spec.hidden)
    hidden, output = network.node_outputs(points, [last, spec.output_node])
    best = 0.0
    if spec.sources(spec.output_node) == [last] and not spec.residual_sources(spec.output_node):
        best = float(np.mean(np.argmax(output, axis=1) == labels))
    if best < 1.0:
        best = max(best, linear_fit_accuracy(hidden.astype(np.float64), labels, spec.n_classes, iterations))
    return best


def linear_fit_accuracy(
    features: np.ndarray, labels: np.ndarray, n_classes: int, iterations: int = FIT_ITERATIONS
) -> float:
    """Training accuracy of a softmax regression fitted by full-batch gradient descent (standardized
    features, a bias); on separable points it reaches 1.0 as the weights grow along a separating direction."""
    n = len(labels)
    if n == 0:
        return math.nan
    std = features.std(axis=0)
    x = (features - features.mean(axis=0)) / np.where(std > 1e-12, std, 1.0)
    x = np.hstack([x, np.ones((n, 1))])
    onehot = np.eye(max(n_classes, int(labels.max()) + 1))[labels]
    w = np.zeros((x.shape[1], onehot.shape[1]))
    rate = 1.0
    best = 0.0
    for iteration in range(iterations):
        logits = x @ w
        if iteration % 20 == 0 or iteration == iterations - 1:
            best = max(best, float(np.mean(np.argmax(logits, axis=1) == labels)))
            if best >= 1.0:
                break
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        w -= rate * (x.T @ (p - onehot)) / n
        rate = min(rate * 1.02, 50.0)  # larger steps as the loss flattens towards a separating direction
    return best

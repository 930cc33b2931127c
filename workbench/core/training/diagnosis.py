"""Why training is stuck at chance: one line a user can act on, instead of a blank decision picture.

A network that predicts the same class everywhere shows an empty canvas and flat curves, and a beginner cannot
tell a dead ReLU layer from a learning rate that is too small. `stuck_at_chance` recognises the situation from
the recent accuracy; `explain_stuck` looks at the network itself (its layers' outputs on the training points)
and names the most likely cause; `diagnose` does both. For regression, chance is predicting the mean
everywhere: R² stays at 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from workbench.core.model.engine import Network
from workbench.core.model.spec import NetworkSpec, TrainingSettings

#: Steps before a run may be called stuck (early steps are often at chance for a moment).
MIN_STEPS = 500
#: Accuracy at most this far above the largest class's share counts as chance level.
CHANCE_MARGIN = 0.03
#: At most this many training points go through the network for the explanation (it runs on the GUI thread).
SAMPLE_POINTS = 256
#: Below this learning rate the weights hardly move in the steps a user waits.
TINY_LEARNING_RATE = 1e-4


def chance_accuracy(labels: np.ndarray) -> float:
    """The accuracy of always answering the most common class."""
    labels = np.asarray(labels)
    if not len(labels):
        return math.nan
    return float(np.bincount(labels).max() / len(labels))


def stuck_at_chance(steps: Sequence[int], accuracies: Sequence[float], chance: float) -> bool:
    """True when the run has trained MIN_STEPS or more and every recorded accuracy of its last MIN_STEPS
    steps (and at least its last three readings) stayed at the level of always answering the largest class."""
    if len(steps) < 3 or not math.isfinite(chance) or steps[-1] < MIN_STEPS:
        return False
    since = steps[-1] - MIN_STEPS
    first = min(len(steps) - 3, next(i for i, s in enumerate(steps) if s >= since))
    recent = accuracies[first:]
    return all(math.isfinite(a) and a <= chance + CHANCE_MARGIN for a in recent)


def bypassed(spec: NetworkSpec, layer: int) -> bool:
    """True when a connection or residual link jumps over hidden `layer` (from before it to after it): then
    information and gradients have another way around it, so that layer alone cannot block training."""
    return any(link.source < layer < link.target for link in (*spec.connections, *spec.residuals))


def explain_stuck(
    spec: NetworkSpec,
    weights: Sequence[tuple[np.ndarray, np.ndarray]],
    points: np.ndarray,
    settings: TrainingSettings,
    accuracy: float,
    task: str = "classification",
) -> str:
    """The most likely reason a network stays at chance, in one line (checked in order: a dead or
    saturated layer, a step activation, a one-neuron bottleneck, a tiny learning rate, a deep narrow
    stack, else general advice). In a graph, a layer that a link jumps over (`bypassed`) is not blamed
    for blocking: the gradient has another way around it."""
    hidden = spec.hidden
    points = np.asarray(points, dtype=np.float64)[:SAMPLE_POINTS]
    if len(points) and hidden:
        network = Network(spec)
        network.set_weights(list(weights))
        outputs = network.layer_outputs(points)
        for number, (layer, values) in enumerate(zip(hidden, outputs[1:-1], strict=True), start=1):
            if layer.activation == "step" or bypassed(spec, number):
                continue  # a step layer is explained below (constant pieces are what it is)
            if np.all(np.ptp(values, axis=0) < 1e-6):
                if layer.activation == "relu" and np.all(values <= 0):
                    return (
                        f"Layer {number} is dead: every ReLU outputs 0 for every point, so no gradient "
                        "passes. Reset Weights, lower the learning rate, or use leaky ReLU or tanh."
                    )
                return (
                    f"Layer {number} gives the same output for every point (its neurons are saturated), so "
                    "no gradient passes. Reset Weights or lower the learning rate."
                )
    for number, layer in enumerate(hidden, start=1):
        if layer.activation == "step" and not bypassed(spec, number):
            return (
                f"Layer {number} uses the step activation: its gradient is zero, so the layers before it "
                "cannot learn. Use sigmoid, tanh or ReLU."
            )
    for number, layer in enumerate(hidden, start=1):
        if layer.width == 1 and not bypassed(spec, number):
            return (
                f"Layer {number} has a single neuron: everything has to pass through one number. "
                "Give it more neurons (+)."
            )
    if not hidden:
        shape = "a tilted plane of values" if task == "regression" else "one straight line between classes"
        return f"The network has no hidden layer, so it can only draw {shape}. Add a hidden layer (+)."
    if settings.learning_rate < TINY_LEARNING_RATE:
        return (
            f"The learning rate ({settings.learning_rate:g}) is so small that the weights hardly move: "
            "raise it."
        )
    if len(hidden) >= 4 and min(layer.width for layer in hidden) <= 4:
        advice = "fewer, wider layers" if spec.residuals else "fewer, wider layers, or residual links"
        return (
            "Deep, narrow networks often start stuck like this: Reset Weights for another start, or use "
            f"{advice}."
        )
    if task == "regression":
        return (
            f"Training is stuck no better than predicting the mean (R² {accuracy:.2f}): Reset Weights, or "
            "change the activation or the learning rate."
        )
    return (
        f"Training is stuck at chance ({100 * accuracy:.0f} %, always the largest class): Reset Weights, or "
        "change the activation or the learning rate."
    )


def diagnose(
    spec: NetworkSpec,
    weights: Sequence[tuple[np.ndarray, np.ndarray]] | None,
    points: np.ndarray,
    labels: np.ndarray,
    settings: TrainingSettings,
    steps: Sequence[int],
    accuracies: Sequence[float],
) -> str | None:
    """One line explaining why training is stuck at chance, or None when it is not (or cannot tell).

    `points` and `labels` are the training points; `steps` and `accuracies` the run's recent training
    accuracy (oldest first) — for a regression network (`spec.task`) its training R², whose chance level is 0
    (the mean everywhere); `labels` are then not used.
    """
    chance = 0.0 if spec.is_regression else chance_accuracy(labels)
    if weights is None or not stuck_at_chance(steps, accuracies, chance):
        return None
    return explain_stuck(spec, weights, points, settings, accuracies[-1], spec.task)


__all__ = ["bypassed", "chance_accuracy", "diagnose", "explain_stuck", "stuck_at_chance"]

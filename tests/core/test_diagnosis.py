"""Stuck-at-chance diagnosis: real stuck runs get the right one-line reason, healthy runs get none."""

import numpy as np

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.presets import get_preset
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.diagnosis import chance_accuracy, diagnose, explain_stuck, stuck_at_chance
from workbench.core.training.trainer import Trainer

SPIRAL = generate("spiral", n_points=400, n_classes=2, seed=0)


def train_and_diagnose(
    spec: NetworkSpec, settings: TrainingSettings, steps: int = 3000
) -> tuple[str | None, float]:
    trainer = Trainer(SPIRAL, spec, settings, record_every=100)
    trainer.step(steps)
    history = trainer.history
    train = ~SPIRAL.is_test
    message = diagnose(
        trainer.spec,
        trainer.get_weights(),
        SPIRAL.points[train],
        SPIRAL.labels[train],
        settings,
        [m.step for m in history],
        [m.train_accuracy for m in history],
    )
    return message, history[-1].train_accuracy


def test_a_deep_narrow_relu_stack_that_died_is_called_dead_by_layer():
    spec = get_preset("deep_narrow").apply(NetworkSpec())
    message, accuracy = train_and_diagnose(spec, TrainingSettings(learning_rate=0.1, seed=0))
    assert accuracy <= chance_accuracy(SPIRAL.labels[~SPIRAL.is_test]) + 0.03
    assert message is not None and "dead" in message and "Layer " in message
    assert "\n" not in message


def test_relu_layers_killed_by_a_huge_learning_rate_are_named():
    spec = NetworkSpec(hidden=(LayerSpec(8, "relu"), LayerSpec(8, "relu")))
    message, _ = train_and_diagnose(spec, TrainingSettings(learning_rate=1.0, seed=0))
    assert message is not None and message.startswith("Layer 2 is dead")


def test_a_healthy_run_gets_no_diagnosis():
    message, accuracy = train_and_diagnose(NetworkSpec(), TrainingSettings(learning_rate=0.01), steps=2000)
    assert accuracy > 0.8 and message is None


def test_stuck_needs_enough_steps_and_every_recent_reading_at_chance():
    assert not stuck_at_chance([100, 200, 300], [0.5, 0.5, 0.5], 0.5)  # too early to tell
    steps = list(range(0, 2000, 100))
    assert stuck_at_chance(steps, [0.5] * len(steps), 0.5)
    assert not stuck_at_chance(steps, [0.5] * (len(steps) - 1) + [0.7], 0.5)  # it started learning
    assert not stuck_at_chance(steps, [0.5] * len(steps), float("nan"))  # no training points


def _explain(hidden, lr=0.01):
    spec = NetworkSpec(hidden=tuple(hidden))
    weights = Network(spec, seed=3).get_weights()
    return explain_stuck(spec, weights, SPIRAL.points, TrainingSettings(learning_rate=lr), 0.5)


def test_the_reason_follows_the_architecture_and_settings():
    assert "step activation" in _explain([LayerSpec(8, "step")])
    assert "Layer 2 has a single neuron" in _explain([LayerSpec(8), LayerSpec(1), LayerSpec(8)])
    assert "learning rate (1e-06)" in _explain([LayerSpec(8)], lr=1e-6)
    assert "Deep, narrow" in _explain([LayerSpec(3, "relu")] * 5)
    assert "chance (50 %" in _explain([LayerSpec(8)])


def test_a_saturated_layer_is_named():
    spec = NetworkSpec(hidden=(LayerSpec(4, "tanh"), LayerSpec(4, "tanh")))
    weights = Network(spec, seed=1).get_weights()
    w, b = weights[1]
    weights[1] = (np.zeros_like(w), np.full_like(b, 30.0))  # layer 2 is +1 for every point
    message = explain_stuck(spec, weights, SPIRAL.points, TrainingSettings(), 0.5)
    assert message.startswith("Layer 2 gives the same output for every point")


def test_a_regression_no_better_than_the_mean_is_diagnosed_and_a_learning_one_is_not():
    """For values, chance is the mean everywhere (R² 0): bumps fitted by a plane stay there."""
    bumps = generate("gauss", n_points=300, seed=0)
    train = ~bumps.is_test

    def run(hidden: tuple[LayerSpec, ...], optimizer: str) -> str | None:
        spec = NetworkSpec(hidden=hidden, task="regression")
        settings = TrainingSettings(optimizer=optimizer, learning_rate=0.01 if optimizer == "adam" else 0.03)
        trainer = Trainer(bumps, spec, settings, record_every=100)
        trainer.step(3000)
        history = trainer.history
        return diagnose(
            trainer.spec,
            trainer.get_weights(),
            bumps.points[train],
            bumps.labels[train],
            settings,
            [m.step for m in history],
            [m.train_r2 for m in history],
        )

    assert "no hidden layer" in run((), "momentum")
    assert "a tilted plane of values" in run((), "momentum")
    assert run((LayerSpec(8), LayerSpec(8)), "adam") is None
    spec = NetworkSpec(hidden=(LayerSpec(8),), task="regression")
    message = explain_stuck(
        spec, Network(spec).get_weights(), bumps.points, TrainingSettings(), -0.2, "regression"
    )
    assert "no better than predicting the mean (R² -0.20)" in message

"""The optimisers implement exactly the formulas in their module docstring (checked by hand, in float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.core.model.engine import SGD, Adam, Momentum, make_optimizer
from workbench.core.model.engine.optimizers import apply_settings
from workbench.core.model.spec import TrainingSettings

THETA0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.3, -0.1, 2.0])
G2 = np.array([-0.4, 0.2, 1.0])


def _run(optimizer_class, *args, gradients=(G1, G2)):
    theta = THETA0.copy()
    grad = np.zeros(3)
    optimizer = optimizer_class({"theta": theta}, {"theta": grad}, *args)
    trajectory = []
    for g in gradients:
        grad[...] = g
        optimizer.step()
        trajectory.append(theta.copy())
    return trajectory, optimizer


def test_sgd_is_theta_minus_learning_rate_times_gradient() -> None:
    (theta1, theta2), _ = _run(SGD, 0.1)
    np.testing.assert_allclose(theta1, THETA0 - 0.1 * G1, rtol=1e-15)
    np.testing.assert_allclose(theta2, THETA0 - 0.1 * G1 - 0.1 * G2, rtol=1e-15)


def test_momentum_two_steps_by_hand() -> None:
    lr, mu = 0.1, 0.9
    (theta1, theta2), optimizer = _run(Momentum, lr, mu)
    delta1 = G1  # Δ ← μ·0 + g₁
    np.testing.assert_allclose(theta1, THETA0 - lr * delta1, rtol=1e-15)
    delta2 = mu * delta1 + G2  # Δ ← μΔ + g₂ (raw gradients, not (1 − μ)·g)
    np.testing.assert_allclose(theta2, THETA0 - lr * delta1 - lr * delta2, rtol=1e-15)
    np.testing.assert_allclose(optimizer.state["velocity"]["theta"], delta2, rtol=1e-15)


def test_adam_two_steps_by_hand() -> None:
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    (theta1, theta2), optimizer = _run(Adam, lr, b1, b2, eps)
    m = (1 - b1) * G1
    v = (1 - b2) * G1**2
    expected1 = THETA0 - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    np.testing.assert_allclose(theta1, expected1, rtol=1e-13)
    m = b1 * m + (1 - b1) * G2
    v = b2 * v + (1 - b2) * G2**2
    expected2 = expected1 - lr * (m / (1 - b1**2)) / (np.sqrt(v / (1 - b2**2)) + eps)
    np.testing.assert_allclose(theta2, expected2, rtol=1e-13)
    np.testing.assert_allclose(optimizer.state["m"]["theta"], m, rtol=1e-14)
    np.testing.assert_allclose(optimizer.state["v"]["theta"], v, rtol=1e-14)
    assert optimizer.t == 2


def test_adam_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    gradients = [rng.normal(size=3) for _ in range(5)]
    trajectory, _ = _run(Adam, 0.05, 0.8, 0.99, 1e-8, gradients=gradients)
    theta = torch.tensor(THETA0.copy(), requires_grad=True)
    optimizer = torch.optim.Adam([theta], lr=0.05, betas=(0.8, 0.99), eps=1e-8)
    for g, ours in zip(gradients, trajectory, strict=True):
        theta.grad = torch.tensor(g)
        optimizer.step()
        np.testing.assert_allclose(theta.detach().numpy(), ours, rtol=1e-12)


def test_state_dict_round_trip_and_mismatch() -> None:
    _, optimizer = _run(Adam, 0.01)
    state = optimizer.state_dict()
    assert state["name"] == "adam" and state["t"] == 2
    assert all(isinstance(k, str) for k in state)
    fresh = Adam({"theta": THETA0.copy()}, {"theta": np.zeros(3)}, 0.01)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.state["m"]["theta"], optimizer.state["m"]["theta"])
    assert fresh.t == 2
    wrong_shape = Adam({"theta": np.zeros(4)}, {"theta": np.zeros(4)}, 0.01)
    with pytest.raises(ValueError, match="shape"):
        wrong_shape.load_state_dict(state)
    with pytest.raises(ValueError, match="adam"):
        SGD({"theta": THETA0.copy()}, {"theta": np.zeros(3)}, 0.1).load_state_dict(state)


def test_changing_hyper_parameters_keeps_the_state() -> None:
    theta, grad = THETA0.copy(), G1.copy()
    optimizer = make_optimizer(
        TrainingSettings(optimizer="momentum", learning_rate=0.1), {"p": theta}, {"p": grad}
    )
    optimizer.step()
    velocity = optimizer.state["velocity"]["p"].copy()
    apply_settings(optimizer, TrainingSettings(optimizer="momentum", learning_rate=0.5, momentum=0.5))
    before = theta.copy()
    optimizer.step()
    np.testing.assert_allclose(theta, before - 0.5 * (0.5 * velocity + G1))
    assert math.isclose(optimizer.learning_rate, 0.5)


def test_mismatched_params_and_grads_are_refused() -> None:
    with pytest.raises(ValueError, match="same keys"):
        SGD({"a": np.zeros(2)}, {"b": np.zeros(2)}, 0.1)

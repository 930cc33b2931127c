"""Network contracts: weights layout, seeded initialisation, layer outputs, loss conventions, features."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.core.model.engine import Network
from workbench.core.model.features import compute_features
from workbench.core.model.spec import LayerSpec, NetworkSpec, SpecError

SPEC = NetworkSpec(("x", "y"), (LayerSpec(8, "tanh"), LayerSpec(5, "relu")), n_classes=3)
POINTS = np.random.default_rng(0).uniform(-5, 5, size=(40, 2))
LABELS = np.random.default_rng(1).integers(0, 3, size=40)


def test_weights_are_float32_in_out_pairs_and_copies() -> None:
    network = Network(SPEC, seed=0)
    weights = network.get_weights()
    assert [(w.shape, b.shape) for w, b in weights] == [((2, 8), (8,)), ((8, 5), (5,)), ((5, 3), (3,))]
    assert all(w.dtype == np.float32 and b.dtype == np.float32 for w, b in weights)
    weights[0][0][...] = 123.0
    assert not np.any(network.get_weights()[0][0] == 123.0)
    assert network.n_parameters == SPEC.n_parameters


def test_set_weights_copies_and_names_the_layer_that_does_not_fit() -> None:
    source = Network(SPEC, seed=1)
    target = Network(SPEC, seed=2)
    weights = source.get_weights()
    target.set_weights(weights)
    np.testing.assert_array_equal(target.predict_proba(POINTS), source.predict_proba(POINTS))
    weights[0][0][...] = 0  # later changes to the caller's arrays do not reach the network
    assert np.any(target.get_weights()[0][0] != 0)
    bad = source.get_weights()
    bad[1] = (np.zeros((8, 4), np.float32), bad[1][1])
    with pytest.raises(ValueError, match="layer 2"):
        target.set_weights(bad)
    with pytest.raises(ValueError, match="3 layers"):
        target.set_weights(bad[:2])
    rebuilt = Network.from_weights(SPEC, source.get_weights())
    np.testing.assert_array_equal(rebuilt.predict_proba(POINTS), source.predict_proba(POINTS))


def test_initialisation_is_seeded_and_scaled_for_the_activation() -> None:
    same_a, same_b, other = Network(SPEC, seed=7), Network(SPEC, seed=7), Network(SPEC, seed=8)
    np.testing.assert_array_equal(same_a.flat_params, same_b.flat_params)
    assert not np.array_equal(same_a.flat_params, other.flat_params)
    wide = NetworkSpec(("x", "y"), (LayerSpec(512, "tanh"), LayerSpec(512, "relu")), n_classes=2)
    (w1, b1), (w2, _), _ = Network(wide, seed=0).get_weights()
    assert np.all(b1 == 0)
    assert np.abs(w1).max() <= math.sqrt(6 / (2 + 512))  # Xavier uniform before tanh
    assert np.std(w2) == pytest.approx(math.sqrt(2 / 512), rel=0.05)  # He normal before ReLU


def test_layer_outputs_are_features_hidden_activations_and_probabilities() -> None:
    network = Network(SPEC, seed=0)
    outputs = network.layer_outputs(POINTS)
    assert [o.shape for o in outputs] == [(40, 2), (40, 8), (40, 5), (40, 3)]
    assert np.abs(outputs[1]).max() <= 1  # after tanh
    assert outputs[2].min() >= 0  # after ReLU
    np.testing.assert_allclose(outputs[-1], network.predict_proba(POINTS), rtol=1e-6)
    np.testing.assert_allclose(outputs[-1].sum(axis=1), 1, rtol=1e-6)


def test_zero_hidden_layers_is_logistic_regression() -> None:
    spec = NetworkSpec(("x", "y"), (), n_classes=2)
    network = Network(spec, seed=0)
    assert [w.shape for w, _ in network.get_weights()] == [(2, 2)]
    outputs = network.layer_outputs(POINTS)
    assert [o.shape for o in outputs] == [(40, 2), (40, 2)]


def test_l2_penalises_weights_but_not_biases() -> None:
    network = Network(SPEC, seed=0, dtype=np.float64)
    for layer in network.layers:
        layer.b[...] = 0.5  # non-zero biases: they must still not be penalised
    x = network.features(POINTS)
    plain_loss = network.loss_and_gradients(x, LABELS, l2=0.0)
    plain = {k: v.copy() for k, v in network.grads.items()}
    l2 = 0.25
    penalised_loss = network.loss_and_gradients(x, LABELS, l2=l2)
    weights = [layer.W for layer in network.layers]
    assert penalised_loss == pytest.approx(plain_loss + l2 / 2 * sum(np.sum(w * w) for w in weights))
    for key, grad in network.grads.items():
        if key.endswith(".b"):
            np.testing.assert_array_equal(grad, plain[key])
        else:
            np.testing.assert_allclose(grad, plain[key] + l2 * network.params[key])


def test_loss_is_the_mean_over_the_batch() -> None:
    network = Network(SPEC, seed=0, dtype=np.float64)
    x = network.features(POINTS)
    loss = network.loss_and_gradients(x, LABELS)
    grads = network.flat_grads.copy()
    doubled = network.loss_and_gradients(np.vstack([x, x]), np.concatenate([LABELS, LABELS]))
    assert doubled == pytest.approx(loss)
    np.testing.assert_allclose(network.flat_grads, grads)
    per_point = [network.loss_and_gradients(x[i : i + 1], LABELS[i : i + 1]) for i in range(len(x))]
    assert loss == pytest.approx(np.mean(per_point))


def test_float64_network_agrees_with_float32() -> None:
    single = Network(SPEC, seed=4)
    double = Network(SPEC, seed=4, dtype=np.float64)
    assert double.get_weights()[0][0].dtype == np.float64
    np.testing.assert_allclose(single.predict_proba(POINTS), double.predict_proba(POINTS), atol=1e-5)


def test_copy_fitting_layers_keeps_only_matching_shapes() -> None:
    old = Network(SPEC, seed=1)
    new_spec = NetworkSpec(("x", "y"), (LayerSpec(8, "relu"), LayerSpec(6, "relu")), n_classes=3)
    new = Network(new_spec, seed=2)
    fresh = new.get_weights()
    assert new.copy_fitting_layers(old) == [0]
    np.testing.assert_array_equal(new.get_weights()[0][0], old.get_weights()[0][0])
    np.testing.assert_array_equal(new.get_weights()[1][0], fresh[1][0])


def test_compute_features_columns() -> None:
    points = np.array([[1.0, 2.0], [-0.5, 3.0]])
    names = ("x", "y", "x2", "y2", "xy", "sinx", "siny")
    features = compute_features(points, names, np.float64)
    x, y = points[:, 0], points[:, 1]
    expected = np.column_stack([x, y, x * x, y * y, x * y, np.sin(x), np.sin(y)])
    np.testing.assert_allclose(features, expected)
    assert compute_features(points, ("y2", "x")).dtype == np.float32
    np.testing.assert_allclose(compute_features(points, ("y2", "x")), expected[:, [3, 0]])
    with pytest.raises(SpecError, match="unknown input feature"):
        compute_features(points, ("z",))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        compute_features(np.zeros((3, 3)), ("x",))


def test_squared_features_let_logistic_regression_separate_a_circle() -> None:
    rng = np.random.default_rng(3)
    points = rng.uniform(-5, 5, size=(400, 2))
    labels = (np.hypot(points[:, 0], points[:, 1]) < 3).astype(int)

    def accuracy(features: tuple[str, ...]) -> float:
        network = Network(NetworkSpec(features, (), n_classes=2), seed=0, dtype=np.float64)
        x = network.features(points)
        for _ in range(500):
            network.loss_and_gradients(x, labels)
            network.flat_params -= 0.05 * network.flat_grads
        return float(np.mean(network.predict(points) == labels))

    assert accuracy(("x", "y", "x2", "y2")) > 0.95
    assert accuracy(("x", "y")) < 0.8

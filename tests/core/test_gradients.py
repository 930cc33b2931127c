"""Finite-difference checks of every module, loss and a whole network (float64, central differences)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.model.engine import (
    ACTIVATIONS,
    Concat,
    EuclideanLoss,
    Linear,
    Network,
    ResidualAdd,
    SoftmaxCrossEntropy,
    make_activation,
    one_hot,
)
from workbench.core.model.spec import ACTIVATIONS as SPEC_ACTIVATIONS
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec

EPS = 1e-6


def numeric_gradient(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar function f() with respect to every entry of x (changed in place)."""
    grad = np.zeros_like(x)
    flat, grad_flat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + EPS
        up = f()
        flat[i] = old - EPS
        down = f()
        flat[i] = old
        grad_flat[i] = (up - down) / (2 * EPS)
    return grad


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Inputs at least 0.05 from 0, where step/ReLU/leaky ReLU have their kink."""
    x = rng.normal(0.0, 1.5, size=shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)


def test_activation_registry_matches_the_spec() -> None:
    assert tuple(ACTIVATIONS) == SPEC_ACTIVATIONS
    for name in SPEC_ACTIVATIONS:
        assert make_activation(name).name == name


@pytest.mark.parametrize("name", SPEC_ACTIVATIONS)
def test_activation_backward_matches_finite_differences(name: str) -> None:
    rng = np.random.default_rng(1)
    x = away_from_kinks(rng, (6, 5))
    weights = rng.normal(size=(6, 5))  # L = sum(weights * f(x)), so dL/df = weights
    module = make_activation(name)

    def loss() -> float:
        return float(np.sum(weights * make_activation(name).forward(x)))

    module.forward(x)
    analytic = module.backward(weights)
    np.testing.assert_allclose(analytic, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", SPEC_ACTIVATIONS)
def test_activation_buffers_give_the_same_result(name: str) -> None:
    rng = np.random.default_rng(2)
    x = away_from_kinks(rng, (4, 3))
    dy = rng.normal(size=(4, 3))
    plain = make_activation(name)
    y, dx = plain.forward(x), plain.backward(dy)
    buffered = make_activation(name)
    y_out, dx_out = np.empty_like(x), np.empty_like(x)
    buffered.forward(x, out=y_out)
    buffered.backward(dy, out=dx_out)
    np.testing.assert_array_equal(y, y_out)
    np.testing.assert_array_equal(dx, dx_out)


def test_step_passes_no_gradient_and_sigmoid_does_not_overflow() -> None:
    step = make_activation("step")
    np.testing.assert_array_equal(step.forward(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(step.backward(np.array([1.0, 1.0, 1.0])), [0.0, 0.0, 0.0])
    sigmoid = make_activation("sigmoid")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = sigmoid.forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(values, [0.0, 0.5, 1.0])


def test_linear_backward_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    layer = Linear(4, 3, dtype=np.float64)
    layer.W[...] = rng.normal(size=(4, 3))
    layer.b[...] = rng.normal(size=3)
    x = rng.normal(size=(5, 4))
    weights = rng.normal(size=(5, 3))

    def loss() -> float:
        return float(np.sum(weights * (x @ layer.W + layer.b)))

    layer.forward(x)
    dx = layer.backward(weights)
    np.testing.assert_allclose(layer.grads["W"], numeric_gradient(loss, layer.W), rtol=1e-6)
    np.testing.assert_allclose(layer.grads["b"], numeric_gradient(loss, layer.b), rtol=1e-6)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6)
    assert layer.params.keys() == layer.grads.keys()


def test_folded_linear_equals_the_textbook_linear() -> None:
    rng = np.random.default_rng(4)
    layer = Linear(3, 2, dtype=np.float64)
    layer.wb[...] = rng.normal(size=(4, 2))
    x = rng.normal(size=(6, 3))
    dy = rng.normal(size=(6, 2))
    y = layer.forward(x)
    dx = layer.backward(dy)
    grads = {k: v.copy() for k, v in layer.grads.items()}
    x1t = np.vstack([x.T, np.ones((1, 6))])  # feature-major with a ones row
    np.testing.assert_allclose(layer.forward_folded(x1t), y.T)
    np.testing.assert_allclose(layer.backward_folded(np.ascontiguousarray(dy.T)), dx.T)
    for key in grads:
        np.testing.assert_allclose(layer.grads[key], grads[key])


def test_softmax_cross_entropy_gradient_and_value() -> None:
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(7, 4)) * 3
    labels = rng.integers(0, 4, size=7)
    loss_module = SoftmaxCrossEntropy()

    def loss() -> float:
        return SoftmaxCrossEntropy().forward(logits, labels)

    value = loss_module.forward(logits, labels)
    analytic = loss_module.backward()
    np.testing.assert_allclose(analytic, numeric_gradient(loss, logits), rtol=1e-6, atol=1e-9)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert value == pytest.approx(-np.mean(log_p[np.arange(7), labels]))
    assert SoftmaxCrossEntropy().forward(logits, one_hot(labels, 4, np.float64)) == pytest.approx(value)


def test_softmax_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]])
    loss_module = SoftmaxCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        confident_and_wrong = loss_module.forward(logits, np.array([1, 0]))
        grad = loss_module.backward()
    assert confident_and_wrong == pytest.approx(2e4)
    np.testing.assert_allclose(grad, [[0.5, -0.5], [-0.5, 0.5]])


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_fused_softmax_path_matches_forward_and_backward(n_classes: int) -> None:
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(9, n_classes)) * 4
    onehot = one_hot(rng.integers(0, n_classes, size=9), n_classes, np.float64)
    reference = SoftmaxCrossEntropy()
    value = reference.forward(logits, onehot)
    expected = reference.backward()
    fused = SoftmaxCrossEntropy()
    out = np.empty((n_classes, 9))
    fused.forward_backward(np.ascontiguousarray(logits.T), np.ascontiguousarray(onehot.T), out)  # (C, B)
    np.testing.assert_allclose(out, expected.T, rtol=1e-12, atol=1e-15)
    assert fused.last_loss() == pytest.approx(value, rel=1e-12)


def test_euclidean_loss_is_half_the_squared_distance_averaged_over_the_batch() -> None:
    rng = np.random.default_rng(7)
    prediction = rng.normal(size=(5, 3))
    target = rng.normal(size=(5, 3))
    module = EuclideanLoss()

    def loss() -> float:
        return EuclideanLoss().forward(prediction, target)

    expected = np.mean(0.5 * np.sum((prediction - target) ** 2, axis=1))
    assert module.forward(prediction, target) == pytest.approx(expected)
    np.testing.assert_allclose(module.backward(), numeric_gradient(loss, prediction), rtol=1e-6)
    fused = EuclideanLoss()
    out = np.empty((3, 5))
    fused.forward_backward(np.ascontiguousarray(prediction.T), np.ascontiguousarray(target.T), out)
    np.testing.assert_allclose(out, module.backward().T, rtol=1e-12)
    assert fused.last_loss() == pytest.approx(expected, rel=1e-12)


def test_concat_and_residual_add_backward_match_finite_differences() -> None:
    rng = np.random.default_rng(10)
    xs = [rng.normal(size=(4, width)) for width in (3, 2, 3)]
    weights = rng.normal(size=(4, 8))
    concat = Concat()
    concat.forward(xs)
    grads = concat.backward(weights)
    for x, grad in zip(xs, grads, strict=True):

        def loss() -> float:
            return float(np.sum(weights * Concat().forward(xs)))

        np.testing.assert_allclose(grad, numeric_gradient(loss, x), rtol=1e-6)
    same = [xs[0], xs[2]]
    add = ResidualAdd()
    add.forward(same)
    grads = add.backward(weights[:, :3])
    for x, grad in zip(same, grads, strict=True):

        def loss() -> float:
            return float(np.sum(weights[:, :3] * ResidualAdd().forward(same)))

        np.testing.assert_allclose(grad, numeric_gradient(loss, x), rtol=1e-6)


def _network(hidden: tuple[LayerSpec, ...], features=("x", "y"), n_classes: int = 3) -> Network:
    spec = NetworkSpec(features=tuple(features), hidden=hidden, n_classes=n_classes)
    return Network(spec, seed=3, dtype=np.float64)


NETWORKS = {
    "logistic regression": ((), ("x", "y")),
    "tanh + sigmoid with all features": (
        (LayerSpec(5, "tanh"), LayerSpec(4, "sigmoid")),
        ("x", "y", "x2", "y2", "xy", "sinx", "siny"),
    ),
    "relu + leaky relu": ((LayerSpec(6, "relu"), LayerSpec(5, "leaky_relu")), ("x", "y")),
    "linear + step": ((LayerSpec(4, "linear"), LayerSpec(3, "step")), ("x", "y")),
}


@pytest.mark.parametrize("name", list(NETWORKS))
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_whole_network_gradient_including_l2(name: str, l2: float) -> None:
    hidden, features = NETWORKS[name]
    network = _network(hidden, features)
    rng = np.random.default_rng(8)
    points = rng.uniform(-3, 3, size=(12, 2))
    labels = rng.integers(0, 3, size=12)
    x = network.features(points)

    def loss() -> float:
        return network.loss_and_gradients(x, labels, l2)

    network.loss_and_gradients(x, labels, l2)
    analytic = network.flat_grads.copy()
    numeric = numeric_gradient(loss, network.flat_params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_preallocated_training_path_matches_the_textbook_path(name: str) -> None:
    hidden, features = NETWORKS[name]
    network = _network(hidden, features)
    rng = np.random.default_rng(9)
    points = rng.uniform(-3, 3, size=(8, 2))
    labels = rng.integers(0, 3, size=8)
    loss = network.loss_and_gradients(network.features(points), labels)
    expected = network.flat_grads.copy()
    network.flat_grads[...] = 0
    workspace = network.workspace(8)
    workspace.batch[...] = network.training_table(points, labels)
    network.compute_gradients(workspace)
    np.testing.assert_allclose(network.flat_grads, expected, rtol=1e-12, atol=1e-14)
    assert network.loss.last_loss() == pytest.approx(loss, rel=1e-12)


def random_graph(seed: int) -> NetworkSpec:
    """A random valid graph: 0-4 hidden layers of random widths and activations, random links."""
    rng = np.random.default_rng(seed)
    n_hidden = int(rng.integers(0, 5))
    widths = rng.choice([2, 3, 4], size=n_hidden)
    hidden = tuple(
        LayerSpec(int(w), str(rng.choice(["tanh", "sigmoid", "relu", "leaky_relu", "linear"])))
        for w in widths
    )
    n_classes = int(rng.integers(2, 4))
    spec = NetworkSpec(("x", "y", "xy"), hidden, n_classes)
    sizes = spec.layer_sizes
    out = spec.output_node
    pairs = [(a, b) for a in range(out) for b in range(a + 1, out + 1)]
    connections = [Link(a, b) for a, b in pairs if b > a + 1 and rng.random() < 0.4]
    residuals = [Link(a, b) for a, b in pairs if sizes[a] == sizes[b] and rng.random() < 0.4]
    return spec.with_links(connections, residuals).validate()


@pytest.mark.parametrize("seed", range(12))
def test_random_graph_gradient_and_fused_path(seed: int) -> None:
    spec = random_graph(seed)
    network = Network(spec, seed=seed, dtype=np.float64)
    rng = np.random.default_rng(seed)
    points = rng.uniform(-3, 3, size=(9, 2))
    labels = rng.integers(0, spec.n_classes, size=9)
    x = network.features(points)

    def loss() -> float:
        return network.loss_and_gradients(x, labels, 0.1)

    value = network.loss_and_gradients(x, labels, 0.1)
    analytic = network.flat_grads.copy()
    np.testing.assert_allclose(analytic, numeric_gradient(loss, network.flat_params), rtol=1e-5, atol=1e-7)
    network.loss_and_gradients(x, labels)
    expected = network.flat_grads.copy()
    network.flat_grads[...] = 0
    workspace = network.workspace(9)
    workspace.batch[...] = network.training_table(points, labels)
    network.compute_gradients(workspace)
    np.testing.assert_allclose(network.flat_grads, expected, rtol=1e-10, atol=1e-12)
    theta = network.flat_params * network.weight_mask
    assert network.loss.last_loss() == pytest.approx(value - 0.05 * float(theta @ theta), rel=1e-10)
    np.testing.assert_allclose(softmax_of(network.forward(x)), network.predict_proba(points), rtol=1e-10)


def softmax_of(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_a_graph_trained_with_the_euclidean_loss_has_exact_gradients_on_both_paths() -> None:
    spec = random_graph(2)
    network = Network(spec, seed=1, dtype=np.float64, loss="euclidean")
    rng = np.random.default_rng(1)
    points = rng.uniform(-3, 3, size=(7, 2))
    labels = rng.integers(0, spec.n_classes, size=7)
    x = network.features(points)

    def loss() -> float:
        return network.loss_and_gradients(x, labels)

    value = network.loss_and_gradients(x, labels)
    analytic = network.flat_grads.copy()
    np.testing.assert_allclose(analytic, numeric_gradient(loss, network.flat_params), rtol=1e-5, atol=1e-7)
    workspace = network.workspace(7)
    workspace.batch[...] = network.training_table(points, labels)
    network.compute_gradients(workspace)
    np.testing.assert_allclose(network.flat_grads, analytic, rtol=1e-10, atol=1e-12)
    assert network.loss.last_loss() == pytest.approx(value, rel=1e-10)

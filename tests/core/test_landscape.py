"""The loss surface: its centre is the training objective, the parameter slice is exact, the directions are
what Li et al. and PCA promise, and the optimisers' walks lie on the surface."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.files.export.layout import state_from_weights, weights_from_state
from workbench.core.files.export.parameter_names import (
    ParameterNameError,
    parameter_index,
    parameter_name,
    valid_forms,
)
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings, parse_links
from workbench.core.present.landscape import (
    LandscapeError,
    Objective,
    SliceRequest,
    axis,
    compute_slice,
    descend,
    filter_normalized_direction,
    principal_directions,
    project_path,
)
from workbench.core.training.trainer import Trainer

CHAIN = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "relu")))
GRAPH = CHAIN.with_links(parse_links("in>2,1>out", 2), parse_links("", 2))
L2 = 0.01


@pytest.fixture(scope="module")
def trained():
    dataset = generate("moons", n_points=200, seed=1)
    trainer = Trainer(dataset, CHAIN, TrainingSettings(l2=L2, learning_rate=0.05), seed=2)
    trainer.step(150)
    return dataset, trainer


def _request(dataset, spec, weights, **changes) -> SliceRequest:
    train = dataset.train_indices
    return SliceRequest(spec, dataset.points[train], dataset.labels[train], L2, weights, **changes)


def _direct(dataset, spec, weights) -> float:
    """The objective computed the textbook way in float64, independent of the landscape's fast path."""
    network = Network.from_weights(spec, weights, dtype=np.float64)
    train = dataset.train_indices
    features = network.features(dataset.points[train])
    return network.loss_and_gradients(features, dataset.labels[train], L2)


def test_the_centre_of_every_slice_is_the_training_objective_of_the_current_weights(trained) -> None:
    dataset, trainer = trained
    weights = trainer.get_weights()
    l2_term = 0.5 * L2 * sum(float(np.sum(w.astype(np.float64) ** 2)) for w, _ in weights)
    expected = trainer.evaluate().train_loss + l2_term
    path = tuple(Network(CHAIN, seed=s).get_weights() for s in (5, 6, 7))
    for kind in ("params", "random", "pca"):
        result = compute_slice(
            _request(dataset, CHAIN, weights, kind=kind, grid=5, path_steps=(0, 1, 2), path_weights=path)
        )
        assert result.center_loss == pytest.approx(expected, rel=1e-6)
        assert result.center_loss == pytest.approx(_direct(dataset, CHAIN, weights), rel=1e-5)


def test_the_parameter_slice_equals_direct_evaluation_at_sample_points(trained) -> None:
    dataset, trainer = trained
    weights = trainer.get_weights()
    p1, p2 = parameter_index(CHAIN, "0.weight[3,1]"), parameter_index(CHAIN, "2.bias[4]")
    result = compute_slice(_request(dataset, CHAIN, weights, params=(p1, p2), span=1.5, grid=7))
    for i, j in [(0, 0), (1, 5), (6, 2), (6, 6)]:
        moved = [(w.copy(), b.copy()) for w, b in weights]
        moved[0][0][1, 3] += result.alpha[i]  # engine W is (in, out): 0.weight[3,1] is W[1, 3]
        moved[1][1][4] += result.beta[j]
        assert result.loss[i, j] == pytest.approx(_direct(dataset, CHAIN, moved), rel=1e-5)


def test_the_grid_has_the_weights_themselves_at_its_centre() -> None:
    values = axis(0.7, 41)
    assert values[20] == 0.0 and values[0] == -0.7 and values[-1] == 0.7
    with pytest.raises(LandscapeError, match="3 to 201"):
        axis(1.0, 2)
    with pytest.raises(LandscapeError, match="span"):
        axis(-1.0, 11)


@pytest.mark.parametrize("spec", [CHAIN, GRAPH], ids=["chain", "graph"])
def test_filter_normalised_directions_have_the_filter_norms_of_the_weights(spec) -> None:
    network = Network(spec, seed=3)
    theta = network.flat_params.astype(np.float64)
    direction = filter_normalized_direction(network, theta, seed=9)
    offset = 0
    for layer in network.layers:
        rows, cols = layer.wb.shape
        block = direction[offset : offset + rows * cols].reshape(rows, cols)
        np.testing.assert_allclose(
            np.linalg.norm(block[:-1], axis=0), np.linalg.norm(layer.W, axis=0), rtol=1e-6
        )
        assert not np.any(block[-1])  # biases are not moved
        offset += rows * cols
    assert not np.allclose(direction, filter_normalized_direction(network, theta, seed=10))


def test_pca_directions_are_orthonormal_and_span_a_path_that_moved_in_a_plane() -> None:
    rng = np.random.default_rng(0)
    theta = rng.normal(size=40)
    u, v = rng.normal(size=40), rng.normal(size=40)
    t = np.linspace(0, 1, 30)
    path = theta + np.outer(np.cos(3 * t) * 2, u) + np.outer(t**2 - 1, v)
    principal = principal_directions(theta, path)
    basis = np.stack([principal.d1, principal.d2])
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    assert principal.explained == pytest.approx(1.0)
    projected = project_path(theta, principal.d1, principal.d2, path, range(30))
    assert projected.on_surface
    rebuilt = theta + np.outer(projected.alpha, principal.d1) + np.outer(projected.beta, principal.d2)
    np.testing.assert_allclose(rebuilt, path, atol=1e-9)


def test_a_path_that_moved_out_of_the_parameter_plane_is_reported_as_a_projection() -> None:
    theta = np.zeros(5)
    path = np.array([[1.0, 0, 0, 0, 0], [2.0, 1.0, 0, 0, 0.5], [0, 0, 0, 0, 0]])
    d1, d2 = np.eye(5)[0], np.eye(5)[1]
    projected = project_path(theta, d1, d2, path, [0, 1, 2])
    np.testing.assert_allclose(projected.alpha, [1, 2, 0])  # the parameters' own values
    np.testing.assert_allclose(projected.beta, [0, 1, 0])
    assert not projected.on_surface and projected.off_slice[1] > 0


def test_pca_needs_a_run_that_moved(trained) -> None:
    dataset, trainer = trained
    weights = trainer.get_weights()
    with pytest.raises(LandscapeError, match="no recorded run"):
        compute_slice(_request(dataset, CHAIN, weights, kind="pca", grid=5))
    with pytest.raises(LandscapeError, match="two directions"):
        compute_slice(
            _request(
                dataset, CHAIN, weights, kind="pca", grid=5, path_steps=(0, 1), path_weights=(weights,) * 2
            )
        )


def test_a_slice_stops_when_asked(trained) -> None:
    dataset, trainer = trained
    assert compute_slice(_request(dataset, CHAIN, trainer.get_weights()), should_stop=lambda: True) is None


def test_the_optimisers_walk_on_the_surface_and_momentum_follows_the_lecture(trained) -> None:
    dataset, trainer = trained
    weights = trainer.get_weights()
    train = dataset.train_indices
    objective = Objective(CHAIN, dataset.points[train], dataset.labels[train], L2)
    theta = objective.flatten(weights)
    d1 = np.eye(objective.n_parameters)[parameter_index(CHAIN, "4.weight[0,2]")]
    d2 = np.eye(objective.n_parameters)[parameter_index(CHAIN, "4.bias[1]")]
    walks = {
        name: descend(objective, theta, d1, d2, (1.0, -1.0), name, 0.1, 20) for name in ("sgd", "momentum")
    }
    for walk in walks.values():
        assert len(walk.alpha) == 21 and not walk.diverged
        for k in (0, 7, 20):
            point = theta + walk.alpha[k] * d1 + walk.beta[k] * d2
            assert walk.loss[k] == pytest.approx(objective.value(point), rel=1e-5)
        assert walk.loss[-1] < walk.loss[0]
    # Δ ← 0.9Δ + g, θ ← θ − ηΔ: the second step moves by η(0.9·g0 + g1).
    sgd, momentum = walks["sgd"], walks["momentum"]
    g0 = (np.array([sgd.alpha[0], sgd.beta[0]]) - [sgd.alpha[1], sgd.beta[1]]) / 0.1
    _, flat = objective.gradient(theta + momentum.alpha[1] * d1 + momentum.beta[1] * d2)
    g1 = np.array([flat @ d1, flat @ d2])
    expected = np.array([momentum.alpha[1], momentum.beta[1]]) - 0.1 * (0.9 * g0 + g1)
    np.testing.assert_allclose([momentum.alpha[2], momentum.beta[2]], expected, rtol=1e-6)


@pytest.mark.parametrize("spec", [CHAIN, GRAPH], ids=["chain", "graph"])
def test_parameter_names_are_those_of_the_export(spec) -> None:
    network = Network(spec, seed=1)
    weights = network.get_weights()
    state = state_from_weights(spec, weights)
    for key, tensor in state.items():
        for index in np.ndindex(tensor.shape):
            name = f"{key}[{','.join(map(str, index))}]"
            flat = parameter_index(spec, name)
            assert parameter_name(spec, flat) == name
            changed = {k: v.copy() for k, v in state.items()}
            changed[key][index] += 1.0
            moved = Network.from_weights(spec, weights_from_state(changed, spec))
            difference = np.flatnonzero(moved.flat_params != network.flat_params)
            assert list(difference) == [flat]


def test_an_unknown_parameter_name_lists_the_valid_forms() -> None:
    with pytest.raises(ParameterNameError, match=r"valid forms: 0\.weight\[i,j\] \(i < 6, j < 2\)"):
        parameter_index(CHAIN, "1.weight[0,0]")
    with pytest.raises(ParameterNameError, match=r"0\.weight has shape \(6, 2\)"):
        parameter_index(CHAIN, "0.weight[0,2]")
    with pytest.raises(ParameterNameError, match=r"takes 0\.bias\[i\]"):
        parameter_index(CHAIN, "0.bias[1,1]")
    assert "connections.in_to_2.weight[i,j] (i < 5, j < 2)" in valid_forms(GRAPH)
    assert parameter_name(GRAPH, parameter_index(GRAPH, "connections.1_to_out.weight[1,3]")) == (
        "connections.1_to_out.weight[1,3]"
    )

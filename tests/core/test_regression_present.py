"""The views' numbers in regression: predicted against actual values (the network's own predictions, the
trainer's RMSE and R² on every point, a thinned drawing that keeps the metrics exact), the hidden space
with each point's target, and each point's δ = ŷ − y."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present.prediction import predicted_vs_actual, split_metrics
from workbench.core.training.trainer import Trainer

SPEC = NetworkSpec(hidden=(LayerSpec(6, "tanh"),), task="regression", n_classes=1)


def trained(dataset, steps: int = 300) -> Trainer:
    trainer = Trainer(dataset, SPEC, TrainingSettings(learning_rate=0.03, batch_size=16), seed=0)
    trainer.step(steps)
    return trainer


def test_each_point_is_its_target_against_the_networks_prediction_with_the_trainers_metrics() -> None:
    dataset = generate("plane", 200, noise=0.1, seed=3, test_fraction=0.25)
    trainer = trained(dataset)
    network = Network(SPEC)
    network.set_weights(trainer.get_weights())
    points = predicted_vs_actual(network, dataset)
    np.testing.assert_array_equal(points.actual, dataset.targets)
    np.testing.assert_allclose(points.predicted, network.predict(dataset.points))
    np.testing.assert_array_equal(points.is_test, dataset.is_test)
    metrics = trainer.evaluate()  # every point, as the scatter computes them
    assert points.train_rmse == pytest.approx(metrics.train_rmse, rel=1e-4)
    assert points.test_rmse == pytest.approx(metrics.test_rmse, rel=1e-4)
    assert points.train_r2 == pytest.approx(metrics.train_r2, rel=1e-4)
    assert points.test_r2 == pytest.approx(metrics.test_r2, rel=1e-4)
    assert points.train_r2 > 0.8  # a trained plane: the points hug the diagonal
    lo, hi = points.value_range
    assert lo <= min(points.actual.min(), points.predicted.min()) and hi >= points.actual.max()


def test_many_points_are_thinned_for_drawing_but_measured_on_all() -> None:
    dataset = generate("gauss", 3000, noise=0.05, seed=1)
    network = Network(SPEC)
    full = predicted_vs_actual(network, dataset)
    thin = predicted_vs_actual(network, dataset, max_points=500)
    assert len(thin.actual) == 500 and len(full.actual) == 3000
    assert thin.is_test.any() and not thin.is_test.all()
    assert (thin.train_rmse, thin.test_r2) == (full.train_rmse, full.test_r2)


def test_a_classification_network_or_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="regression"):
        predicted_vs_actual(Network(NetworkSpec()), generate("moons", 50, 2))


def test_empty_splits_and_constant_targets_have_no_metric_instead_of_a_warning() -> None:
    assert all(np.isnan(split_metrics(np.zeros(0), np.zeros(0))))
    rmse, r2 = split_metrics(np.ones(4), np.array([1.0, 1.0, 2.0, 0.0]))
    assert rmse == pytest.approx(np.sqrt(0.5)) and np.isnan(r2)


# --- the hidden space in regression ---------------------------------------------------------------------
def test_hidden_space_keeps_each_points_target_and_draws_the_prediction_plane_in_the_output_layer() -> None:
    from workbench.core.present import value_colors
    from workbench.core.present.views import HiddenSpaceRequest, hidden_space

    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"), LayerSpec(2, "tanh")), task="regression", n_classes=1)
    dataset = generate("plane", 150, noise=0.05, seed=2)
    network = Network(spec)
    view = hidden_space(
        network,
        dataset.points,
        dataset.bounds(),
        HiddenSpaceRequest(layer=2),
        spec=spec,
        values=dataset.targets,
    )
    np.testing.assert_array_equal(view.values, dataset.targets)
    assert view.value_range == value_colors.value_range(dataset.targets)
    assert view.mode == "exact" and "plane" in view.caption and "class" not in view.caption
    # The output's prediction over this plane, in the value colours: ŷ = h·W + b at each pixel.
    weight, bias = network.get_weights()[-1]
    x0, x1, y0, y1 = view.bounds
    corner = np.array([x0, y0]) + 0.5 * np.array([(x1 - x0), (y1 - y0)]) / view.output_rgba.shape[0]
    predicted = float(corner @ weight[:, 0] + bias[0])
    expected = value_colors.values_to_rgba(np.array([predicted]), view.value_range)[0, :3]
    np.testing.assert_array_equal(view.output_rgba[0, 0, :3], expected)
    # Thinned views keep each point's own target.
    thin = hidden_space(
        network, dataset.points, dataset.bounds(), HiddenSpaceRequest(layer=1), spec=spec,
        values=dataset.targets, max_points=40,
    )  # fmt: skip
    keep = np.linspace(0, len(dataset.targets) - 1, 40).astype(np.intp)
    np.testing.assert_array_equal(thin.values, dataset.targets[keep])


def test_a_one_neuron_layer_spreads_the_points_by_their_target() -> None:
    from workbench.core.present.views import HiddenSpaceRequest, hidden_space

    spec = NetworkSpec(hidden=(LayerSpec(1, "tanh"),), task="regression", n_classes=1)
    dataset = generate("plane", 60, noise=0.05, seed=2)
    view = hidden_space(
        Network(spec),
        dataset.points,
        dataset.bounds(),
        HiddenSpaceRequest(),
        spec=spec,
        values=dataset.targets,
    )
    assert view.mode == "line" and view.axis_labels == ("neuron 1", "target")
    np.testing.assert_allclose(view.points[:, 1], dataset.targets, rtol=1e-6)
    # The layer alone feeds the output: the prediction is a line over the neuron's value, through every
    # point's (h, ŷ).
    (h0, y0), (h1, y1) = view.output_line
    network = Network(spec)
    h = view.points[:, 0].astype(np.float64)
    np.testing.assert_allclose(
        y0 + (h - h0) * (y1 - y0) / (h1 - h0), network.predict(dataset.points), atol=1e-5
    )
    assert "line drawn" in view.caption


def test_each_points_output_delta_is_its_prediction_minus_its_target() -> None:
    from workbench.core.present.deltas import point_deltas

    dataset = generate("plane", 40, noise=0.05, seed=4)
    network = Network(SPEC)
    deltas = point_deltas(network, dataset.points, dataset.targets)
    assert [d.shape for d in deltas] == [(40, 6), (40, 1)]
    np.testing.assert_allclose(deltas[-1][:, 0], network.predict(dataset.points) - dataset.targets, atol=1e-5)


def test_the_output_neurons_overlay_shows_the_predicted_value_with_zero_in_the_middle() -> None:
    from workbench.core.present.neuron_overlay import neuron_overlay, to_bytes

    network = Network(SPEC)
    rgba, rect = neuron_overlay(network, SPEC.output_node, 0, (-6.0, 6.0, -6.0, 6.0), ("#0072B2",))
    assert rgba.shape[2] == 4 and rect == (-6.0, -6.0, 12.0, 12.0)
    np.testing.assert_array_equal(to_bytes(np.array([-2.0, 0.0, 1.0]), SPEC, SPEC.output_node), [0, 128, 191])
    assert len({tuple(pixel) for pixel in rgba.reshape(-1, 4)[:, :3]}) > 10  # a picture, not one colour

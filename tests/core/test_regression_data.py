"""Regression data: target values on points, edits that carry them, the generators and training to them."""

import math

import numpy as np
import pytest

from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.data.edits import AddPoints, DeletePoints, SetTargets, clear_points
from workbench.core.data.generators import GENERATORS, generate
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import NetworkSpec, SpecError, TrainingSettings
from workbench.core.training.trainer import Trainer


def small_regression() -> Dataset:
    points = np.array([[0.0, 0.0], [1.0, 2.0], [-1.0, 3.0]])
    return Dataset.regression(points, [0.5, -1.0, 2.0])


def test_regression_data_has_values_and_refuses_non_finite_ones():
    data = small_regression()
    assert data.task == "regression" and data.is_regression
    assert data.targets.tolist() == [0.5, -1.0, 2.0]
    with pytest.raises(ValueError):
        data.targets[0] = 3.0  # read-only, like the points
    with pytest.raises(DatasetFormatError, match="finite"):
        Dataset.regression(data.points, [0.0, math.nan, 1.0])
    with pytest.raises(DatasetFormatError, match="target values"):
        Dataset.regression(data.points, [0.0, 1.0])


def test_adding_deleting_and_setting_values_undo_exactly():
    data = small_regression()
    added, undo_add = AddPoints([[5.0, 5.0], [6.0, 6.0]], [0, 0], targets=0.25).apply(data)
    assert added.targets.tolist() == [0.5, -1.0, 2.0, 0.25, 0.25]
    assert undo_add.apply(added)[0].equals(data)
    deleted, undo_delete = DeletePoints([1]).apply(added)
    assert deleted.targets.tolist() == [0.5, 2.0, 0.25, 0.25]
    assert undo_delete.apply(deleted)[0].equals(added)
    painted, undo_paint = SetTargets([0, 2], -3.0).apply(data)
    assert painted.targets.tolist() == [-3.0, -1.0, -3.0]
    assert undo_paint.apply(painted)[0].equals(data)
    cleared, _ = clear_points(data).apply(data)
    assert cleared.is_regression and len(cleared) == 0


def test_regression_data_refuses_points_without_values_and_classes_refuse_set_value():
    with pytest.raises(DatasetFormatError, match="target value"):
        AddPoints([[1.0, 1.0]], [0]).apply(small_regression())
    classes = Dataset(np.zeros((2, 2)), [0, 1])
    with pytest.raises(DatasetFormatError, match="regression"):
        SetTargets([0], 1.0).apply(classes)


def test_switching_the_task_keeps_points_and_maps_values_both_ways():
    classes = Dataset(np.arange(8.0).reshape(4, 2), [0, 1, 2, 1], ("a", "b", "c"))
    values = classes.as_regression()
    assert values.targets.tolist() == [0.0, 1.0, 2.0, 1.0]
    assert np.array_equal(values.points, classes.points)
    back = values.as_classification()
    assert back.labels.tolist() == [0, 1, 2, 1] and back.class_names == ("0", "1", "2")
    signed = small_regression().as_classification()
    assert signed.labels.tolist() == [1, 0, 1] and signed.class_names == ("below 0", "0 or above")


@pytest.mark.parametrize("name", ["plane", "gauss", "formula"])
def test_regression_generators_draw_values_over_the_square_deterministically(name):
    data = generate(name, n_points=300, seed=4)
    assert GENERATORS[name].task == "regression" and data.is_regression
    assert np.abs(data.points).max() <= 6.0
    assert np.array_equal(data.targets, generate(name, n_points=300, seed=4).targets)
    assert data.targets.std() > 0.1


def test_plane_is_x_plus_y_scaled_to_plus_minus_one_and_formula_follows_the_text():
    plane = generate("plane", n_points=200, noise=0.0)
    assert np.allclose(plane.targets, plane.points.sum(axis=1) / 12.0)
    formula = generate("formula", n_points=200, noise=0.0, formula="x * y - 1")
    assert np.allclose(formula.targets, formula.points[:, 0] * formula.points[:, 1] - 1)
    with pytest.raises(SpecError, match="unknown name"):
        generate("formula", formula="z + 1")
    with pytest.raises(SpecError, match="values, not classes"):
        generate("plane", n_classes=3)


def test_a_regression_network_has_one_linear_output_and_the_euclidean_loss():
    spec = NetworkSpec(task="regression")
    network = Network(spec)
    assert spec.layer_sizes[-1] == 1 and network.loss.name == "euclidean"
    points = np.array([[0.5, -0.5], [2.0, 1.0]])
    out = network.node_outputs(points, [spec.output_node])[0]
    assert out.shape == (2, 1)
    assert np.allclose(network.predict(points), out[:, 0])  # a value, not a softmax probability
    assert NetworkSpec.from_dict(spec.to_dict()) == spec


def test_training_to_the_plane_reaches_a_high_r2_and_reports_rmse():
    data = generate("plane", n_points=300, seed=1)
    trainer = Trainer(data, NetworkSpec(), TrainingSettings(seed=1))
    assert trainer.spec.task == "regression"  # the network follows the data's task
    trainer.step(1500)
    metrics = trainer.evaluate()
    assert math.isnan(metrics.test_accuracy)
    assert metrics.test_r2 > 0.95
    assert metrics.test_rmse == pytest.approx(math.sqrt(2 * metrics.test_loss))
    assert trainer.history[-1].train_r2 == pytest.approx(trainer.metrics.train_r2)

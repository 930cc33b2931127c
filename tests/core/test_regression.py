"""Regression through the core: project files (format 4, older ones still open), recordings, the gradient
check of the regression head, the backprop trace and the loss surface of the Euclidean loss."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.dataset import Dataset
from workbench.core.data.edits import AddPoints, DeletePoints, SetTargets
from workbench.core.data.generators import generate
from workbench.core.files.project import (
    Project,
    ProjectFormatError,
    load_project,
    project_from_bytes,
    project_to_bytes,
    save_project,
)
from workbench.core.model.engine.modules import EuclideanLoss
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings, parse_links
from workbench.core.present import backprop
from workbench.core.present.landscape import Objective
from workbench.core.training.gradcheck import TOLERANCE, check_gradients, check_project_gradients
from workbench.core.training.recording import Recording
from workbench.core.training.trainer import Trainer

FIXTURES = Path(__file__).parent / "fixtures"


def trained(steps: int = 60, name: str = "gauss", spec: NetworkSpec | None = None) -> Trainer:
    data = generate(name, n_points=120, seed=2)
    spec = spec or NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(4, "relu")))
    trainer = Trainer(
        data, spec, TrainingSettings(optimizer="adam", learning_rate=0.01, batch_size=16, seed=5)
    )
    trainer.step(steps)
    return trainer


# --- project files ------------------------------------------------------------------------------------------
def test_a_regression_project_round_trips_and_continues_bit_for_bit(tmp_path):
    trainer = trained()
    recording = Recording(trainer.spec)
    recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
    path = tmp_path / "values.wbproj"
    save_project(Project.from_trainer(trainer, recording), path)

    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format_version"] == 4
    assert document["network"]["task"] == "regression"
    assert document["dataset"]["targets"]["shape"] == [120]

    project = load_project(path)
    assert project.dataset.equals(trainer.dataset) and project.dataset.is_regression
    assert project.spec == trainer.spec
    record = project.recording.latest
    assert record.train_r2 == pytest.approx(trainer.metrics.train_r2)
    assert math.isnan(record.train_accuracy)
    assert project.history[-1].test_rmse == pytest.approx(trainer.metrics.test_rmse)

    resumed = project.make_trainer()
    resumed.step(20)
    trainer.step(20)
    for (a, b), (c, d) in zip(resumed.get_weights(), trainer.get_weights(), strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_an_old_version_3_file_still_opens_as_classification(tmp_path):
    project = load_project(FIXTURES / "version3.wbproj")
    assert project.dataset.task == project.spec.task == "classification"
    assert project.step == 10 and math.isnan(project.history[-1].train_rmse)
    trainer = project.make_trainer()
    trainer.step(5)
    save_project(Project.from_trainer(trainer), tmp_path / "again.wbproj")
    again = json.loads((tmp_path / "again.wbproj").read_text(encoding="utf-8"))
    assert again["format_version"] == 4 and "targets" not in again["dataset"]


def test_a_network_of_the_other_task_is_refused_with_a_message():
    trainer = trained(steps=1)
    document = json.loads(project_to_bytes(Project.from_trainer(trainer)))
    document["network"]["task"] = "classification"
    document["network"]["n_classes"] = 1
    with pytest.raises(ProjectFormatError, match="is for classification but the dataset has target"):
        project_from_bytes(json.dumps(document).encode())
    document = json.loads(project_to_bytes(Project.from_trainer(trainer)))
    document["dataset"]["targets"]["data"] = document["dataset"]["targets"]["data"][:-8]
    with pytest.raises(ProjectFormatError, match="dataset targets"):
        project_from_bytes(json.dumps(document).encode())
    with pytest.raises(ProjectFormatError, match="cannot save the project: the network is for class"):
        project_to_bytes(Project(trainer.dataset, NetworkSpec(), TrainingSettings()))


def test_regression_edits_undo_and_survive_a_file(tmp_path):
    data = Dataset.regression([[0.0, 0.0], [1.0, 1.0]], [0.5, -0.5])
    added, undo_add = AddPoints([[2.0, 2.0]], [0], targets=1.5).apply(data)
    valued, undo_set = SetTargets([0, 2], 9.0).apply(added)
    deleted, undo_delete = DeletePoints([1]).apply(valued)
    assert deleted.targets.tolist() == [9.0, 9.0]
    back = undo_add.apply(undo_set.apply(undo_delete.apply(deleted)[0])[0])[0]
    assert back.equals(data)
    spec = NetworkSpec(task="regression", n_classes=1)
    save_project(Project(valued, spec, TrainingSettings()), tmp_path / "edited.wbproj")
    assert load_project(tmp_path / "edited.wbproj").dataset.targets.tolist() == [9.0, -0.5, 9.0]


# --- gradients ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("links", [("", ""), ("in>2,1>out", "")], ids=["chain", "graph"])
def test_the_regression_head_passes_the_gradient_check(links):
    spec = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "sigmoid")), task="regression", n_classes=1)
    spec = spec.with_links(parse_links(links[0], 2), parse_links(links[1], 2)).validate()
    data = generate("formula", n_points=80, seed=1, formula="sin(x) * y / 3")
    result = check_project_gradients(spec, Network(spec, seed=3).get_weights(), data, l2=0.01)
    assert result.passed, result.summary()
    assert result.parameters_checked == spec.n_parameters and result.max_relative_error < TOLERANCE


class HalvedEuclidean(EuclideanLoss):
    """A test double: the Euclidean loss whose backward forgets the batch mean's factor (ŷ − y)/B · ½."""

    def backward(self, dloss: float = 1.0, out: np.ndarray | None = None) -> np.ndarray:
        return super().backward(0.5 * dloss, out)


def test_a_wrong_regression_loss_gradient_fails_the_check():
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"),), task="regression", n_classes=1)
    network = Network(spec, seed=2, dtype=np.float64)
    network.loss = HalvedEuclidean()
    data = generate("plane", n_points=40, seed=1)
    result = check_gradients(network, network.features(data.points), data.targets)
    assert not result.passed and result.max_relative_error > 1000 * TOLERANCE


def test_the_backprop_trace_of_a_batch_equals_the_engines_gradient():
    trainer = trained(steps=30)
    spec, weights, data = trainer.spec, trainer.get_weights(), trainer.dataset
    batch = data.train_indices[:12]
    trace = backprop.trace(spec, weights, data.points[batch], data.targets[batch], settings=trainer.settings)
    assert trace.is_regression and trace.loss_name == "euclidean"
    network = Network.from_weights(spec, weights, dtype=np.float64)
    loss = network.loss_and_gradients(network.features(data.points[batch]), data.targets[batch])
    assert trace.loss == pytest.approx(loss, rel=1e-9)
    grads = network.grads
    for node, layer in enumerate(trace.layers, start=1):
        np.testing.assert_allclose(layer.weight_grad, grads[f"layer{node}.W"].T, atol=1e-10)
        np.testing.assert_allclose(layer.bias_grad, grads[f"layer{node}.b"], atol=1e-10)


def test_one_point_walk_speaks_of_the_predicted_value_and_the_target():
    trainer = trained(steps=10)
    point, target = trainer.dataset.points[:1], trainer.dataset.targets[:1]
    trace = backprop.trace(trainer.spec, trainer.get_weights(), point, target)
    y_hat = float(trace.layers[-1].a[0])
    assert trace.loss == pytest.approx(0.5 * (y_hat - target[0]) ** 2)
    texts = [line for step in backprop.walk(trace) for line in backprop.formulas(trace, step)]
    assert any("Euclidean: L = ½(ŷ − y)²" in line for line in texts)
    assert any("δ_out.1 = ŷ − y" in line for line in texts)
    assert not any("softmax" in line.lower() and "no softmax" not in line for line in texts)
    with pytest.raises(backprop.BackpropError, match="Euclidean loss"):
        backprop.trace(trainer.spec, trainer.get_weights(), point, target, loss="cross_entropy")
    with pytest.raises(backprop.BackpropError, match="finite"):
        backprop.trace(trainer.spec, trainer.get_weights(), point, [math.nan])


def test_the_loss_surface_is_the_trainers_euclidean_loss_at_the_weights():
    trainer = trained(steps=40)
    objective = Objective.of_training_set(trainer.spec, trainer.dataset, 0.0)
    theta = objective.flatten(trainer.get_weights())
    assert objective.value(theta) == pytest.approx(trainer.evaluate().train_loss, rel=1e-6)
    d1 = np.zeros_like(theta)
    d1[-1] = 1.0  # the output bias: the loss is a parabola along it
    surface = objective.surface(theta, d1, np.zeros_like(theta), np.array([-1.0, 0.0, 1.0]), np.array([0.0]))
    left, centre, right = surface[:, 0]
    assert left + right - 2 * centre == pytest.approx(1.0, rel=1e-4)  # ½(ŷ + a − y)²: curvature 1

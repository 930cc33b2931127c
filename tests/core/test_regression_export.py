"""Exporting regression models: ONNX outputs `prediction` [batch, 1] equal to the engine on raw coordinates,
the .py's predict() returns values, one SGD step equals torch autograd with mean ½(ŷ − y)², the metadata
says the task and importing checks it; classification exports keep their old layout."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from workbench.core.data.dataset import Dataset
from workbench.core.data.generators import generate
from workbench.core.data.scaling import standardized_spec
from workbench.core.files.export import WeightsImportError, export_weights, import_weights
from workbench.core.files.export.layout import state_from_weights
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings, parse_links
from workbench.core.training.trainer import Trainer


def far_values(n: int = 300) -> Dataset:
    """Points far from unit scale (x around 60, y around -20) with a smooth target."""
    rng = np.random.default_rng(4)
    points = np.column_stack([rng.uniform(20, 100, n), rng.uniform(-40, 0, n)])
    return Dataset.regression(points, np.sin(points[:, 0] / 15) + points[:, 1] / 40, test_fraction=0.2)


def trained_standardized() -> Trainer:
    data = far_values()
    hidden = (LayerSpec(8, "tanh"), LayerSpec(6, "relu"))
    spec = NetworkSpec(features=("x", "y", "xy", "sinx"), hidden=hidden)
    spec = standardized_spec(spec, "standardize", data.points[data.train_indices])
    trainer = Trainer(data, spec, TrainingSettings(optimizer="adam", learning_rate=0.02, seed=2))
    trainer.step(300)
    return trainer


def test_onnx_on_raw_coordinates_outputs_the_engines_predicted_values(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    trainer = trained_standardized()
    assert trainer.evaluate().test_r2 > 0.5  # a model that learned something, not constants
    path = export_weights(tmp_path / "values.onnx", trainer.spec, trainer.get_weights(), None)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.get_outputs()
    assert output.name == "prediction" and output.shape == ["batch", 1]
    grid = np.random.default_rng(1).uniform([0, -60], [120, 20], size=(500, 2)).astype(np.float32)
    (prediction,) = session.run(["prediction"], {"input": grid})
    window = Network.from_weights(trainer.spec, trainer.get_weights()).predict(grid)
    assert prediction.shape == (500, 1)
    np.testing.assert_allclose(prediction[:, 0], window, atol=1e-5)
    onnx = pytest.importorskip("onnx")
    metadata = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert metadata["task"] == "regression" and "class_names" not in metadata
    assert json.loads(metadata["format_version"]) == 4


def test_the_generated_script_predicts_values_without_workbench(tmp_path):
    pytest.importorskip("torch")
    trainer = trained_standardized()
    export_weights(tmp_path / "regressor.py", trainer.spec, trainer.get_weights(), None)
    points = np.random.default_rng(2).uniform([20, -40], [100, 0], size=(20, 2)).astype(np.float32)
    np.save(tmp_path / "points.npy", points)
    driver = textwrap.dedent(
        """
        import sys
        import numpy as np
        import regressor
        assert not any(name.startswith("workbench") for name in sys.modules), "the script imported Workbench"
        assert not hasattr(regressor, "CLASS_NAMES")
        np.save("out.npy", regressor.predict(np.load("points.npy")))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, env=env, check=True, timeout=120)
    values = np.load(tmp_path / "out.npy")
    assert values.shape == (20,)
    expected = Network.from_weights(trainer.spec, trainer.get_weights()).predict(points)
    np.testing.assert_allclose(values, expected, atol=1e-5)
    demo = subprocess.run(
        [sys.executable, "regressor.py"], cwd=tmp_path, env=env, check=True, timeout=120, capture_output=True
    )
    assert demo.stdout.decode().splitlines()[0].startswith("(0, 0) -> ")


@pytest.mark.parametrize("links", [("", ""), ("in>2,1>out", "1>2")], ids=["chain", "graph"])
def test_one_sgd_step_in_regression_equals_torch_autograd_on_the_generated_model(tmp_path, links):
    torch = pytest.importorskip("torch")
    spec = NetworkSpec(
        features=("x", "y", "x2"),
        hidden=(LayerSpec(5, "tanh"), LayerSpec(5, "sigmoid")),
        task="regression",
        n_classes=1,
    ).with_links(parse_links(links[0], 2), parse_links(links[1], 2))
    data = generate("gauss", n_points=60, seed=4, test_fraction=0.0)
    settings = TrainingSettings(learning_rate=0.5, optimizer="sgd", batch_size=None, seed=3)
    trainer = Trainer(data, spec, settings)
    rng = np.random.default_rng(11)
    # Made-up weights with large biases, so every unit is active somewhere and every gradient is non-zero.
    trainer.set_weights(
        [(rng.normal(0, 0.8, w.shape), rng.normal(0, 0.8, b.shape)) for w, b in trainer.get_weights()]
    )

    script = export_weights(tmp_path / "model.py", spec, trainer.get_weights(), None)
    generated = runpy.run_path(str(script), run_name="generated_model")
    model = generated["load_model"]()
    points = data.points[data.train_indices]
    targets = torch.from_numpy(data.targets[data.train_indices].astype(np.float32)).reshape(-1, 1)
    model.train()
    prediction = model(generated["features"](points))
    assert prediction.shape == (len(points), 1)
    loss = (0.5 * (prediction - targets) ** 2).mean()  # the lecture's Euclidean module, batch mean
    loss.backward()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter -= settings.learning_rate * parameter.grad

    assert trainer.evaluate().train_loss == pytest.approx(loss.item(), rel=1e-5)
    before = state_from_weights(spec, trainer.get_weights())
    trainer.step(1)
    after = state_from_weights(spec, trainer.get_weights())
    for key, value in model.state_dict().items():
        assert not np.allclose(after[key], before[key], atol=1e-4, rtol=0), f"{key} did not move"
        np.testing.assert_allclose(after[key], value.numpy(), atol=2e-5, rtol=0, err_msg=key)


@pytest.mark.parametrize("fmt", ["json", "safetensors"])
def test_the_metadata_says_the_task_and_import_checks_it(tmp_path, fmt):
    values = NetworkSpec(task="regression", n_classes=1)
    weights = Network(values, seed=1).get_weights()
    path = export_weights(tmp_path / f"values.{fmt}", values, weights, ("target",))
    back = import_weights(path, values)
    for (a, b), (c, d) in zip(back, weights, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)
    with pytest.raises(WeightsImportError, match="holds a regression model but the network is for class"):
        import_weights(path, NetworkSpec(n_classes=2))
    classes = NetworkSpec(n_classes=2)
    other = export_weights(tmp_path / f"classes.{fmt}", classes, Network(classes).get_weights(), None)
    with pytest.raises(WeightsImportError, match="a classification model but the network is for regression"):
        import_weights(other, values)


def test_classification_exports_keep_their_layout(tmp_path):
    onnx = pytest.importorskip("onnx")
    spec = NetworkSpec(n_classes=3)
    path = export_weights(tmp_path / "classes.onnx", spec, Network(spec).get_weights(), None)
    model = onnx.load(str(path))
    assert [o.name for o in model.graph.output] == ["probabilities"]
    metadata = {p.key: p.value for p in model.metadata_props}
    assert "task" not in metadata and json.loads(metadata["class_names"]) == ["class 1", "class 2", "class 3"]
    assert json.loads(metadata["format_version"]) == 1

"""Input standardization: statistics from the training points, carried by the spec into every path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.data.generators import generate
from workbench.core.data.scaling import standardized_spec, suggest_standardize
from workbench.core.files.export import WeightsImportError, export_weights, import_weights
from workbench.core.files.project import load_project
from workbench.core.model.engine.network import Network
from workbench.core.model.features import compute_features
from workbench.core.model.spec import InputScaling, LayerSpec, NetworkSpec, SpecError, TrainingSettings
from workbench.core.training.trainer import Trainer


def far_dataset(scale: float = 60.0, seed: int = 0):
    """Two moons blown up to about ±scale and shifted off the origin, as real measurements often are."""
    base = generate("moons", 300, 2, 0.1, seed)
    return base.replace(points=base.points * scale / 2 + np.array([scale, -scale / 2]))


def test_features_are_computed_from_the_standardized_coordinates():
    points = np.array([[10.0, -4.0], [30.0, 0.0], [20.0, 4.0]])
    scaling = InputScaling.of_points(points)
    features = compute_features(points, ["x", "y", "xy"], np.float64, scaling)
    z = (points - points.mean(axis=0)) / points.std(axis=0)
    np.testing.assert_allclose(features, np.column_stack([z[:, 0], z[:, 1], z[:, 0] * z[:, 1]]))
    assert abs(features[:, 0].mean()) < 1e-12 and features[:, 0].std() == pytest.approx(1.0)


def test_statistics_come_from_the_training_points_only_and_a_constant_coordinate_keeps_std_1():
    dataset = far_dataset()
    spec = standardized_spec(NetworkSpec(), "standardize", dataset.points[dataset.train_indices])
    train = dataset.points[dataset.train_indices]
    assert spec.input_scaling.mean == pytest.approx(tuple(train.mean(axis=0)))
    assert spec.input_scaling.std == pytest.approx(tuple(train.std(axis=0)))
    assert standardized_spec(spec, "none", train).input_scaling is None
    assert InputScaling.of_points([[3.0, 1.0], [5.0, 1.0]]).std == (1.0, 1.0)
    with pytest.raises(SpecError, match="none or standardize"):
        standardized_spec(spec, "minmax", train)


def test_the_spec_round_trips_its_statistics_and_older_specs_have_none():
    spec = NetworkSpec(input_scaling=InputScaling((60.0, -30.0), (25.0, 12.5)))
    assert NetworkSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    old = NetworkSpec().to_dict()
    assert "input_scaling" not in old and NetworkSpec.from_dict(old).input_scaling is None
    broken = {**old, "input_scaling": {"mean": [0, 0], "std": [1, 0]}}
    with pytest.raises(SpecError, match="positive standard deviations"):
        NetworkSpec.from_dict(broken)


def test_suggestion_only_for_points_far_from_unit_scale():
    assert suggest_standardize(far_dataset().points) is not None
    assert "standardization" in suggest_standardize(far_dataset().points)
    assert suggest_standardize(generate("moons", 200, 2, 0.1, 0).points) is None
    assert suggest_standardize(np.array([[0.01, 0.02], [0.03, 0.0], [0.02, 0.01]])) is not None
    assert suggest_standardize(np.empty((0, 2))) is None


def metrics_after_training(mode: str):
    dataset = far_dataset()
    spec = standardized_spec(
        NetworkSpec(hidden=(LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))),
        mode,
        dataset.points[dataset.train_indices],
    )
    trainer = Trainer(dataset, spec, TrainingSettings(seed=0))
    trainer.step(600)
    return trainer.evaluate()


def test_data_at_60_scale_trains_much_better_standardized():
    """Raw coordinates in the tens saturate tanh from the first step: the moons stay at the accuracy of a
    straight cut (~90 %), while the standardized run separates them in the same 600 steps (seeded)."""
    raw, standardized = metrics_after_training("none"), metrics_after_training("standardize")
    assert standardized.test_accuracy >= 0.98 and raw.test_accuracy <= 0.93
    assert standardized.train_loss < raw.train_loss / 10


def trained_network(tmp_path):
    dataset = far_dataset()
    spec = standardized_spec(
        NetworkSpec(features=("x", "y", "x2", "xy", "sinx")),
        "standardize",
        dataset.points[dataset.train_indices],
    )
    trainer = Trainer(dataset, spec, TrainingSettings(seed=1))
    trainer.step(200)
    return trainer.spec, trainer.get_weights(), dataset


def test_onnx_on_raw_coordinates_equals_the_windows_predictions(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    spec, weights, dataset = trained_network(tmp_path)
    path = export_weights(tmp_path / "model.onnx", spec, weights, dataset.class_names)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    grid = np.random.default_rng(3).uniform(-40, 160, size=(400, 2)).astype(np.float32)
    (onnx_probabilities,) = session.run(["probabilities"], {"input": grid})
    window = Network.from_weights(spec, weights).predict_proba(grid)
    np.testing.assert_allclose(onnx_probabilities, window, atol=1e-5)
    # Without the statistics the same weights give another function: the graph really carries them.
    plain = Network.from_weights(spec.with_input_scaling(None), weights).predict_proba(grid)
    assert np.abs(plain - window).max() > 0.1


def test_tensor_files_and_script_carry_the_statistics_and_import_checks_them(tmp_path):
    spec, weights, dataset = trained_network(tmp_path)
    path = export_weights(tmp_path / "model.json", spec, weights, dataset.class_names)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format_version"] == 3
    assert document["input_standardization"]["mean"] == pytest.approx(list(spec.input_scaling.mean))
    assert document["input_standardization"]["std"] == pytest.approx(list(spec.input_scaling.std))
    loaded = import_weights(path, spec)
    np.testing.assert_array_equal(loaded[0][0], weights[0][0])
    with pytest.raises(WeightsImportError, match="standardized inputs"):
        import_weights(path, spec.with_input_scaling(None))
    other = InputScaling(spec.input_scaling.mean, (1.0, 1.0))
    with pytest.raises(WeightsImportError, match="another function"):
        import_weights(path, spec.with_input_scaling(other))
    script = export_weights(tmp_path / "model.py", spec, weights, dataset.class_names).read_text("utf-8")
    assert f"INPUT_MEAN = {tuple(spec.input_scaling.mean)!r}" in script
    assert f"INPUT_STD = {tuple(spec.input_scaling.std)!r}" in script


def test_cli_standardize_trains_and_saves_the_statistics_in_the_project(tmp_path, capsys):
    csv = tmp_path / "far.csv"
    dataset = far_dataset()
    lines = ["x,y,label"] + [
        f"{x},{y},{label}" for (x, y), label in zip(dataset.points, dataset.labels, strict=True)
    ]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    project = tmp_path / "far.wbproj"
    assert main(["train", "--data", str(csv), "--standardize", "--steps", "300", "--save", str(project)]) == 0
    saved = load_project(project)
    train = saved.dataset.points[saved.dataset.train_indices]
    assert saved.spec.input_scaling.mean == pytest.approx(tuple(train.mean(axis=0)))
    # A later run on the project keeps the statistics; --standardize none switches them off.
    again, off = tmp_path / "again.wbproj", tmp_path / "off.wbproj"
    assert main(["train", "--project", str(project), "--steps", "10", "--save", str(again)]) == 0
    assert load_project(again).spec.input_scaling == saved.spec.input_scaling
    assert (
        main(
            ["train", "--project", str(project), "--standardize", "none", "--steps", "10", "--save", str(off)]
        )
        == 0
    )
    assert load_project(off).spec.input_scaling is None


def test_generated_pytorch_script_takes_raw_coordinates(tmp_path):
    pytest.importorskip("torch")
    spec, weights, dataset = trained_network(tmp_path)
    export_weights(tmp_path / "classifier.py", spec, weights, dataset.class_names)
    points = np.random.default_rng(4).uniform(-40, 160, size=(200, 2)).astype(np.float32)
    np.save(tmp_path / "points.npy", points)
    driver = "import numpy as np, classifier; np.save('out.npy', classifier.predict(np.load('points.npy')))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, env=env, check=True, timeout=120)
    window = Network.from_weights(spec, weights).predict_proba(points)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), window, atol=1e-5, rtol=0)


def test_input_thumbnails_show_the_features_the_network_sees():
    from workbench.core.present.network_layout import feature_maps

    bounds = (40.0, 80.0, -10.0, 10.0)  # the plane around x = 60
    raw = feature_maps(bounds, 16)["x"]
    centred = feature_maps(bounds, 16, InputScaling((60.0, 0.0), (20.0, 1.0)))["x"]
    assert raw.min() > 128  # every raw x here is positive
    assert centred[:, 0].max() < 128 < centred[:, -1].min()  # standardized x changes sign at x = 60

"""`workbench train --export` and `workbench export` write models other tools run, as the engine predicts."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from workbench.core.files.export import import_weights
from workbench.core.files.project import load_project
from workbench.core.model.engine.network import Network

TRAIN = ["--dataset", "moons", "--points", "400", "--layers", "8,8", "--activation", "relu", "--steps", "500"]


def workbench(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One headless training run that saves the project and exports ONNX, as in the acceptance command."""
    folder = tmp_path_factory.mktemp("cli_export")
    result = workbench(
        "train", *TRAIN, "--save", "moons.wbproj", "--export", "moons.onnx", "--quiet", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    project = load_project(folder / "moons.wbproj")
    network = Network.from_weights(project.spec, project.weights)
    return folder, project, network


def test_train_export_onnx_runs_in_onnxruntime_like_the_engine(trained):
    import onnxruntime

    folder, project, network = trained
    session = onnxruntime.InferenceSession(str(folder / "moons.onnx"), providers=["CPUExecutionProvider"])
    points = project.dataset.points.astype(np.float32)
    (probabilities,) = session.run(["probabilities"], {"input": points})
    np.testing.assert_allclose(probabilities, network.predict_proba(points), atol=1e-5, rtol=0)
    accuracy = (probabilities.argmax(axis=1) == project.dataset.labels).mean()
    assert accuracy > 0.9  # the exported model is the trained one, not a fresh initialisation


@pytest.mark.parametrize("fmt", ["npz", "safetensors", "json"])
def test_export_command_writes_files_that_import_back_exactly(trained, fmt):
    folder, project, _ = trained
    result = workbench("export", "moons.wbproj", "-o", f"exported.{fmt}", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert f"exported.{fmt}" in result.stdout
    imported = import_weights(folder / f"exported.{fmt}", project.spec)
    for (w1, b1), (w2, b2) in zip(project.weights, imported, strict=True):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)


def test_train_export_py_writes_a_script_that_predicts_like_the_engine(trained):
    pytest.importorskip("torch")
    folder, _, network = trained
    result = workbench("train", *TRAIN, "--export", "moons_model.py", "--quiet", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "moons_model.npz").is_file()
    points = np.random.default_rng(0).uniform(-3, 3, (200, 2)).astype(np.float32)
    np.save(folder / "points.npy", points)
    driver = "import numpy as np, moons_model; np.save('out.npy', moons_model.predict(np.load('points.npy')))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", driver], cwd=folder, env=env, check=True, timeout=120)
    # Same seed and settings as the fixture's run, so the same trained network.
    np.testing.assert_allclose(np.load(folder / "out.npy"), network.predict_proba(points), atol=1e-5, rtol=0)


def test_export_format_option_overrides_the_extension(trained):
    folder, _, _ = trained
    result = workbench("export", "moons.wbproj", "-o", "weights.bin", "--format", "json", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert (folder / "weights.bin").read_text(encoding="utf-8").lstrip().startswith("{")


def test_unknown_extension_fails_cleanly_listing_the_formats(trained):
    folder, _, _ = trained
    result = workbench("export", "moons.wbproj", "-o", "model.h5", cwd=folder)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for fmt in (".npz", ".safetensors", ".onnx", ".json", ".py"):
        assert fmt in result.stderr
    assert not (folder / "model.h5").exists()


def test_training_with_an_unknown_export_extension_fails_before_training(tmp_path):
    result = workbench("train", *TRAIN, "--export", "model.txt", cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and ".onnx" in result.stderr
    assert result.stderr.startswith("error:")


def test_a_graph_trained_from_the_shell_exports_to_onnx_and_pytorch_like_the_engine(tmp_path):
    """The README's command with skip connections, as a shell would pass it, then `workbench export`."""
    links = ["--layers", "16,16,16", "--activation", "relu", "--connect", "in>3,1>out", "--residual", "1>3"]
    train = workbench(
        "train", "--dataset", "moons", "--points", "300", *links, "--steps", "400", "--save", "skips.wbproj",
        "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert train.returncode == 0, train.stderr
    project = load_project(tmp_path / "skips.wbproj")
    assert [project.spec.link_text(link) for link in project.spec.connections] == ["in>3", "1>out"]
    network = Network.from_weights(project.spec, project.weights)
    points = project.dataset.points.astype(np.float32)
    for name in ("skips.onnx", "skips.py"):
        result = workbench("export", "skips.wbproj", "-o", name, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    import onnxruntime

    session = onnxruntime.InferenceSession(str(tmp_path / "skips.onnx"), providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(["probabilities"], {"input": points})
    np.testing.assert_allclose(probabilities, network.predict_proba(points), atol=1e-5, rtol=0)
    assert (probabilities.argmax(axis=1) == project.dataset.labels).mean() > 0.9

    pytest.importorskip("torch")
    np.save(tmp_path / "points.npy", points)
    driver = "import numpy as np, skips; np.save('out.npy', skips.predict(np.load('points.npy')))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, env=env, check=True, timeout=120)
    np.testing.assert_allclose(
        np.load(tmp_path / "out.npy"), network.predict_proba(points), atol=1e-5, rtol=0
    )

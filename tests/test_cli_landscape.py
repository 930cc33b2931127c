"""`workbench landscape`: the npz contract of issue 14 and its error messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.files.project import load_project
from workbench.core.model.engine.network import Network


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run.wbproj"
    argv = [
        "train",
        "--dataset",
        "moons",
        "--points",
        "150",
        "--layers",
        "5,4",
        "--seed",
        "1",
        "--l2",
        "0.01",
    ]
    assert main([*argv, "--steps", "300", "--save", str(path), "--quiet"]) == 0
    return path


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err  # one line, never a traceback
    return err


def _objective(project, weights) -> float:
    network = Network.from_weights(project.spec, weights, dtype=np.float64)
    train = project.dataset.train_indices
    features = network.features(project.dataset.points[train])
    return network.loss_and_gradients(features, project.dataset.labels[train], project.settings.l2)


def test_params_writes_alpha_beta_and_the_loss_at_theta_plus_unit_steps(capsys, project, tmp_path) -> None:
    out = tmp_path / "slice.npz"
    argv = ["landscape", str(project), "--params", "0.weight[1,0],2.bias[3]", "--span", "2", "--grid", "9"]
    assert main([*argv, "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    data = np.load(out)
    assert data["alpha"].shape == (9,) and data["beta"].shape == (9,) and data["loss"].shape == (9, 9)
    np.testing.assert_allclose(data["alpha"], np.linspace(-2, 2, 9), atol=1e-12)
    saved = load_project(project)
    for i, j in [(0, 8), (4, 4), (2, 7), (8, 1)]:
        weights = [(w.copy(), b.copy()) for w, b in saved.weights]
        weights[0][0][0, 1] += data["alpha"][i]  # 0.weight[1,0]: out 1, in 0 -> engine W[0, 1]
        weights[1][1][3] += data["beta"][j]
        assert data["loss"][i, j] == pytest.approx(_objective(saved, weights), rel=1e-5)
    assert summary["center_loss"] == pytest.approx(_objective(saved, saved.weights), rel=1e-5)
    assert summary["directions"] == "params" and summary["params"] == ["0.weight[1,0]", "2.bias[3]"]
    assert summary["path_points"] == len(saved.recording) == len(data["path_step"])
    assert summary["path_on_surface"] is False  # the run moved every weight, not just these two


def test_random_and_pca_slices(capsys, project, tmp_path) -> None:
    for option in (["--random", "4"], ["--pca"]):
        out = tmp_path / f"{option[0][2:]}.npz"
        assert main(["landscape", str(project), *option, "--grid", "5", "-o", str(out)]) == 0
        assert "wrote the loss surface (5 x 5" in capsys.readouterr().out
        loss = np.load(out)["loss"]
        assert loss.shape == (5, 5) and np.isfinite(loss).all()
    assert main(["landscape", str(project), "--pca", "--grid", "5", "-o", str(out), "--json"]) == 0
    assert 0.5 < json.loads(capsys.readouterr().out)["pca_explained"] <= 1.0


def test_an_unknown_parameter_name_lists_the_valid_forms(capsys, project, tmp_path) -> None:
    out = str(tmp_path / "x.npz")
    err = _error(capsys, ["landscape", str(project), "--params", "7.weight[0,0],0.bias[0]", "-o", out])
    assert "unknown parameter '7.weight[0,0]'" in err
    assert "0.weight[i,j] (i < 5, j < 2), 0.bias[i] (i < 5), 2.weight[i,j] (i < 4, j < 5)" in err
    err = _error(capsys, ["landscape", str(project), "--params", "0.weight[5,0],0.bias[0]", "-o", out])
    assert "0.weight has shape (5, 2)" in err
    assert "two parameter names" in _error(
        capsys, ["landscape", str(project), "--params", "0.bias[0]", "-o", out]
    )
    assert "different" in _error(
        capsys, ["landscape", str(project), "--params", "0.bias[0],0.bias[0]", "-o", out]
    )


def test_bad_arguments_are_refused_with_one_line(capsys, project, tmp_path) -> None:
    out = str(tmp_path / "x.npz")
    assert "3 to 201" in _error(
        capsys, ["landscape", str(project), "--random", "1", "--grid", "1", "-o", out]
    )
    assert "span" in _error(capsys, ["landscape", str(project), "--random", "1", "--span", "0", "-o", out])
    assert ".npz" in _error(capsys, ["landscape", str(project), "--pca", "-o", str(tmp_path / "x.csv")])
    assert "not allowed with" in _error(
        capsys, ["landscape", str(project), "--pca", "--random", "1", "-o", out]
    )
    assert "one of the arguments" in _error(capsys, ["landscape", str(project), "-o", out])
    assert not (tmp_path / "x.npz").exists()

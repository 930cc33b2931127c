"""The `workbench` command: headless training, export, generate, the GUI entry and error handling."""

from __future__ import annotations

import json
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest

from workbench import __version__
from workbench.cli import main
from workbench.core.files.csv_io import read_csv
from workbench.core.files.export import import_weights
from workbench.core.files.project import load_project

ACCEPTANCE = [
    *("train", "--dataset", "spiral", "--classes", "3", "--points", "600", "--layers", "32,32"),
    *("--activation", "tanh", "--optimizer", "adam", "--lr", "0.01", "--steps", "3000", "--json"),
]
RESULT_KEYS = {"steps", "epochs", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "diverged"}


def _strict_json(text: str) -> dict:
    def reject(name):
        raise AssertionError(f"{name} is not strict JSON")

    return json.loads(text, parse_constant=reject)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=120, check=False
    )


def _train(capsys, *args: str) -> dict:
    assert main(["train", *args, "--json", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "--json prints exactly one line on stdout"
    return _strict_json(out)


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


# ------------------------------------------------------------------------------------------------------------
def test_acceptance_spiral_learns_and_repeats_exactly():
    runs = [_run(*ACCEPTANCE) for _ in range(2)]
    results = []
    for run in runs:
        assert run.returncode == 0, run.stderr
        result = _strict_json(run.stdout)
        assert RESULT_KEYS | {"message", "seconds"} <= set(result)
        assert result["steps"] == 3000 and result["diverged"] is False and result["message"] is None
        assert result["train_accuracy"] >= 0.97
        assert isinstance(result["seconds"], float) and result["seconds"] > 0
        results.append(result)
    first, second = ({k: v for k, v in r.items() if k != "seconds"} for r in results)
    assert first == second


def test_steps_zero_only_initialises(capsys):
    result = _train(capsys, "--dataset", "moons", "--steps", "0")
    assert result["steps"] == 0 and result["epochs"] == 0 and result["steps_run"] == 0
    assert 0 <= result["train_accuracy"] <= 1 and result["train_loss"] > 0


def test_no_test_points_gives_null_not_nan(capsys):
    result = _train(capsys, "--dataset", "xor", "--test-fraction", "0", "--steps", "5")
    assert result["test_loss"] is None and result["test_accuracy"] is None and result["n_test"] == 0


def test_epochs_count_passes_over_the_training_points(capsys):
    result = _train(capsys, "--dataset", "xor", "--points", "100", "--batch-size", "all", "--epochs", "4")
    assert result["steps"] == 4 and result["epochs"] == 4
    result = _train(capsys, "--dataset", "xor", "--points", "100", "--batch-size", "10", "--epochs", "2")
    assert result["epochs"] == 2 and result["steps"] == 2 * -(-result["n_train"] // 10)


def test_options_reach_the_spec_and_settings(capsys):
    result = _train(
        capsys,
        *("--dataset", "gaussians", "--classes", "4", "--features", "x,y,xy", "--layers", "5:relu,3"),
        *("--activation", "sigmoid", "--optimizer", "momentum", "--lr", "0.05", "--momentum", "0.5"),
        *("--batch-size", "all", "--l2", "0.001", "--seed", "3", "--steps", "3"),
    )
    assert result["network"] == {
        "features": ["x", "y", "xy"],
        "hidden": [{"width": 5, "activation": "relu"}, {"width": 3, "activation": "sigmoid"}],
        "n_classes": 4,
        "task": "classification",
        "connections": [],
        "residuals": [],
    }
    training = result["training"]
    assert (training["optimizer"], training["learning_rate"], training["momentum"]) == ("momentum", 0.05, 0.5)
    assert (training["batch_size"], training["l2"], training["seed"]) == (None, 0.001, 3)


def test_different_seeds_give_different_results(capsys):
    a = _train(capsys, "--dataset", "moons", "--steps", "20", "--seed", "1")
    b = _train(capsys, "--dataset", "moons", "--steps", "20", "--seed", "2")
    assert a["train_loss"] != b["train_loss"]


def test_save_continue_and_export(capsys, tmp_path):
    first = tmp_path / "first.wbproj"
    second = tmp_path / "second.wbproj"
    weights_file = tmp_path / "weights.npz"
    result = _train(capsys, "--dataset", "circles", "--steps", "40", "--save", str(first))
    assert result["saved"] == str(first) and load_project(first).step == 40

    result = _train(
        capsys, "--project", str(first), "--steps", "25", "--lr", "0.01", "--save", str(second),
        "--export", str(weights_file),
    )  # fmt: skip
    assert result["steps"] == 65 and result["training"]["learning_rate"] == 0.01
    resumed = load_project(second)
    assert resumed.step == 65 and resumed.settings.learning_rate == 0.01
    assert resumed.dataset.equals(load_project(first).dataset)
    exported = import_weights(weights_file, resumed.spec)
    for (w0, b0), (w1, b1) in zip(resumed.weights, exported, strict=True):
        assert np.array_equal(w0, w1) and np.array_equal(b0, b1)

    # a different architecture starts from fresh weights but keeps the project's data
    result = _train(capsys, "--project", str(first), "--layers", "4", "--steps", "0")
    assert result["steps"] == 0 and result["network"]["hidden"] == [{"width": 4, "activation": "tanh"}]


def test_export_command(capsys, tmp_path):
    project = tmp_path / "p.wbproj"
    _train(capsys, "--dataset", "moons", "--steps", "10", "--save", str(project))
    out = tmp_path / "model.json"
    assert main(["export", str(project), "-o", str(out), "--format", "json"]) == 0
    assert "exported" in capsys.readouterr().out
    loaded = load_project(project)
    back = import_weights(out, loaded.spec)
    assert all(np.array_equal(w0, w1) for (w0, _), (w1, _) in zip(back, loaded.weights, strict=True))
    onnx = tmp_path / "model.onnx"
    assert main(["export", str(project), "-o", str(onnx)]) == 0
    assert onnx.stat().st_size > 0


def test_generate_then_train_on_the_csv(capsys, tmp_path):
    csv_path = tmp_path / "blobs.csv"
    assert main(["generate", "gaussians", "-o", str(csv_path), "--points", "90", "--classes", "3"]) == 0
    assert "90 points in 3 classes" in capsys.readouterr().out
    dataset = read_csv(csv_path)
    assert dataset.n_points == 90 and dataset.n_classes == 3
    result = _train(capsys, "--data", str(csv_path), "--steps", "5")
    assert result["network"]["n_classes"] == 3 and result["n_train"] + result["n_test"] == 90


def test_version():
    run = _run("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"workbench {__version__}"


# ------------------------------------------------------------------------------------------------------------
# errors: exit status 2 and one line


def test_malformed_csv_subprocess(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,a\n3,oops,b\n")
    run = _run("train", "--data", str(bad), "--steps", "1")
    assert run.returncode == 2
    assert run.stderr.strip() == "error: line 3: y is not a number: 'oops'"
    assert run.stdout == ""


def test_malformed_project_subprocess(tmp_path):
    bad = tmp_path / "bad.wbproj"
    bad.write_text('{"format": "workbench-project", "format_version": 99}')
    for args in (["train", "--project", str(bad), "--steps", "1"], ["export", str(bad), "-o", "x.npz"]):
        run = _run(*args)
        assert run.returncode == 2
        assert run.stderr.count("\n") == 1 and "newer Workbench" in run.stderr
        assert "please update" in run.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["train", "--dataset", "moons"], "one of the arguments --steps --epochs is required"),
        (["train", "--steps", "1"], "no data"),
        (["train", "--dataset", "spirals", "--steps", "1"], "unknown dataset 'spirals'"),
        (["train", "--dataset", "moons", "--classes", "3", "--steps", "1"], "always has 2 classes"),
        (["train", "--dataset", "moons", "--layers", "8,x", "--steps", "1"], "width must be a whole number"),
        (
            ["train", "--dataset", "moons", "--layers", "8:swish", "--steps", "1"],
            "unknown activation 'swish'",
        ),
        (["train", "--dataset", "moons", "--activation", "swish", "--steps", "1"], "unknown activation"),
        (["train", "--dataset", "moons", "--features", "x,z", "--steps", "1"], "unknown input feature 'z'"),
        (["train", "--dataset", "moons", "--lr", "0", "--steps", "1"], "learning rate"),
        (["train", "--dataset", "moons", "--batch-size", "some", "--steps", "1"], "--batch-size"),
        (["train", "--dataset", "moons", "--steps", "-1"], "--steps: the number of steps must"),
        (["train", "--dataset", "moons", "--steps", "1", "--seed", "-2"], "--seed"),
        (["train", "--dataset", "moons", "--steps", "1", "--test-fraction", "0.95"], "test-fraction"),
        (
            ["train", "--dataset", "moons", "--steps", "1", "--save", "/nonexistent/dir/p.wbproj"],
            "does not exist",
        ),
        (["train", "--dataset", "moons", "--steps", "1", "--export", "w.pickle"], "'.pickle'"),
        (["train", "--data", "a.csv", "--dataset", "moons", "--steps", "1"], "either --data or --dataset"),
        (["train", "--data", "/nonexistent.csv", "--steps", "1"], "cannot read"),
        (["train", "--data", "a.csv", "--points", "5", "--steps", "1"], "--points only applies"),
        (["export", "/nonexistent.wbproj", "-o", "w.npz"], "cannot read"),
        (["generate", "moons", "-o", "/nonexistent/dir/d.csv"], "No such file"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, argv, expected):
    assert expected in _error(capsys, argv)


def test_unwritable_save_target_is_reported(capsys, tmp_path):
    folder = tmp_path / "taken.wbproj"
    folder.mkdir()
    # the target is an existing folder: refused before anything is written, and the message names the target
    message = _error(capsys, ["train", "--dataset", "moons", "--steps", "1", "--save", str(folder)])
    assert message.startswith(f"error: cannot write {folder}: it is a folder")


def test_export_of_a_project_without_weights(capsys, tmp_path):
    from workbench.core.data.generators import generate
    from workbench.core.files.project import Project, save_project
    from workbench.core.model.spec import NetworkSpec, TrainingSettings

    path = tmp_path / "fresh.wbproj"
    save_project(Project(generate("moons", 10), NetworkSpec(), TrainingSettings()), path)
    assert "no trained weights" in _error(capsys, ["export", str(path), "-o", str(tmp_path / "w.npz")])


def test_divergence_is_reported_not_raised_and_exits_3(capsys):
    argv = ["train", "--dataset", "spiral", "--optimizer", "sgd", "--lr", "100", "--steps", "300", "--json"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning reaching the user would fail here
        assert main(argv) == 3
    captured = capsys.readouterr()
    result = _strict_json(captured.out)
    assert result["diverged"] is True and "lower the learning rate" in result["message"]
    assert result["steps"] < 300
    assert captured.err.strip() == ""  # no progress line yet, and no numpy warning


# ------------------------------------------------------------------------------------------------------------
# no arguments: the GUI


def test_no_arguments_opens_the_gui(monkeypatch):
    calls = []
    fake = types.ModuleType("workbench.qt.app")
    fake.main = lambda: calls.append("gui") or 0
    monkeypatch.setitem(sys.modules, "workbench.qt.app", fake)
    assert main([]) == 0 and calls == ["gui"]


def test_missing_gui_gives_a_clear_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "workbench.qt.app", None)  # makes the import fail
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the Workbench GUI cannot start") and "Traceback" not in err

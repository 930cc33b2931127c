"""`workbench` for regression: --task, --dataset plane|gauss|formula --formula, generate's x,y,target CSV,
the JSON keys, backprop --target, and the other commands on a regression project."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.files.csv_io import read_csv
from workbench.core.files.export import import_weights
from workbench.core.files.project import load_project

REGRESSION_KEYS = {"train_rmse", "test_rmse", "train_r2", "test_r2"}


def _strict(text: str) -> dict:
    def reject(name):
        raise AssertionError(f"{name} is not strict JSON")

    return json.loads(text, parse_constant=reject)


def _train(capsys, *args: str) -> dict:
    assert main(["train", *args, "--json", "--quiet"]) == 0
    return _strict(capsys.readouterr().out)


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in captured.err
    return lines[0]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A plane project trained for a while, with its recording."""
    path = tmp_path_factory.mktemp("regression") / "plane.wbproj"
    assert main(["train", "--dataset", "plane", "--steps", "1500", "--quiet", "--save", str(path)]) == 0
    return path


def test_plane_trains_to_a_high_r2_with_rmse_and_r2_in_the_json(capsys):
    result = _train(capsys, "--dataset", "plane", "--steps", "1500", "--seed", "2")
    assert result["task"] == "regression" and result["network"]["task"] == "regression"
    assert set(result) >= REGRESSION_KEYS
    assert result["train_accuracy"] is None and result["test_accuracy"] is None
    assert result["test_r2"] > 0.95 and result["test_rmse"] == pytest.approx(
        math.sqrt(2 * result["test_loss"])
    )
    assert result["network"]["n_classes"] == 1


def test_classification_json_has_null_regression_keys_and_its_task(capsys):
    result = _train(capsys, "--dataset", "moons", "--steps", "20")
    assert result["task"] == "classification" and result["network"]["task"] == "classification"
    assert all(result[key] is None for key in REGRESSION_KEYS)
    assert result["train_accuracy"] is not None


def test_task_switches_the_data_both_ways(capsys):
    as_values = _train(capsys, "--dataset", "xor", "--task", "regression", "--steps", "10")
    assert as_values["task"] == "regression" and as_values["train_r2"] is not None
    as_classes = _train(capsys, "--dataset", "gauss", "--task", "classification", "--steps", "10")
    assert as_classes["task"] == "classification" and as_classes["network"]["n_classes"] == 2


def test_formula_dataset_trains_and_bad_formulas_are_one_clear_line(capsys):
    result = _train(capsys, "--dataset", "formula", "--formula", "sin(x) * cos(y)", "--steps", "10")
    assert result["task"] == "regression"
    assert "'__import__' is not one of the functions" in _error(
        capsys, ["train", "--dataset", "formula", "--formula", "__import__('os')", "--steps", "1"]
    )
    assert "gives no finite value" in _error(
        capsys, ["train", "--dataset", "formula", "--formula", "log(x)", "--steps", "1"]
    )
    assert "--formula goes with the formula dataset" in _error(
        capsys, ["train", "--dataset", "plane", "--formula", "x", "--steps", "1"]
    )
    assert "--formula only applies to a generated --dataset" in _error(
        capsys, ["train", "--formula", "x", "--steps", "1"]
    )
    assert "its points have values, not classes" in _error(
        capsys, ["train", "--dataset", "gauss", "--classes", "3", "--steps", "1"]
    )
    assert "invalid choice: 'ranking'" in _error(
        capsys, ["train", "--dataset", "plane", "--task", "ranking", "--steps", "1"]
    )


@pytest.mark.parametrize("name", ["plane", "gauss", "formula"])
def test_generate_writes_x_y_target_csv_that_reads_back_as_regression(tmp_path, capsys, name):
    path = tmp_path / f"{name}.csv"
    extra = ["--formula", "x * y / 10"] if name == "formula" else []
    assert main(["generate", name, "-o", str(path), "--points", "50", *extra]) == 0
    assert "50 points with target values from" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8").splitlines()[1] == "x,y,target"
    data = read_csv(path)
    assert data.is_regression and len(data) == 50
    if name == "formula":
        np.testing.assert_allclose(data.targets, data.points[:, 0] * data.points[:, 1] / 10, rtol=1e-12)
    result = _train(capsys, "--data", str(path), "--steps", "5")
    assert result["task"] == "regression"


def test_a_csv_of_whole_numbers_trains_as_values_with_task_regression(tmp_path, capsys):
    path = tmp_path / "counts.csv"
    path.write_text(
        "x,y,count\n" + "".join(f"{i / 10},{i % 7},{i % 3}\n" for i in range(60)), encoding="utf-8"
    )
    assert _train(capsys, "--data", str(path), "--steps", "5")["task"] == "classification"
    result = _train(capsys, "--data", str(path), "--task", "regression", "--steps", "5")
    assert result["task"] == "regression"


def test_backprop_takes_a_target_for_regression_and_refuses_a_label(capsys, project):
    assert main(["backprop", str(project), "--point", "1,2", "--target", "0.25", "--json"]) == 0
    trace = _strict(capsys.readouterr().out)
    output = trace["layers"][-1]
    assert len(output["a"]) == 1
    assert trace["loss"] == pytest.approx(0.5 * (output["a"][0] - 0.25) ** 2)
    assert output["delta"] == pytest.approx([output["a"][0] - 0.25])
    assert main(["backprop", str(project), "--point", "1,2", "--target=-0.5"]) == 0
    assert "target -0.5" in capsys.readouterr().out
    assert "--label is for classification projects" in _error(
        capsys, ["backprop", str(project), "--point", "1,2", "--label", "target"]
    )
    assert "give the point's target value with --target" in _error(
        capsys, ["backprop", str(project), "--point", "1,2"]
    )
    assert "--target 'abc' is not a number" in _error(
        capsys, ["backprop", str(project), "--point", "1,2", "--target", "abc"]
    )


def test_backprop_refuses_a_target_for_classification(tmp_path, capsys):
    path = tmp_path / "moons.wbproj"
    assert main(["train", "--dataset", "moons", "--steps", "5", "--quiet", "--save", str(path)]) == 0
    capsys.readouterr()
    assert "--target is for regression projects; this one is classification" in _error(
        capsys, ["backprop", str(path), "--point", "0,0", "--target", "1.5"]
    )


def test_the_other_commands_work_on_a_regression_project_or_refuse_clearly(tmp_path, capsys, project):
    assert main(["timeline", str(project), "--json"]) == 0
    timeline = _strict(capsys.readouterr().out)
    last = timeline["records"][-1]
    assert last["train_accuracy"] is None and last["train_r2"] > 0.9 and last["test_rmse"] > 0
    assert main(["timeline", str(project)]) == 0
    assert "train RMSE" in capsys.readouterr().out

    assert main(["gradcheck", str(project), "--json"]) == 0
    assert _strict(capsys.readouterr().out)["max_relative_error"] < 1e-5

    assert (
        main(["landscape", str(project), "--random", "1", "--grid", "5", "-o", str(tmp_path / "s.npz")]) == 0
    )
    capsys.readouterr()
    with np.load(tmp_path / "s.npz") as surface:
        centre = surface["loss"][2, 2]
    assert centre == pytest.approx(load_project(project).history[-1].train_loss, rel=1e-5)

    assert main(["export", str(project), "-o", str(tmp_path / "values.json")]) == 0
    capsys.readouterr()
    document = json.loads((tmp_path / "values.json").read_text(encoding="utf-8"))
    assert document["task"] == "regression"
    assert len(import_weights(tmp_path / "values.json", load_project(project).spec)) == 3

    assert "regression project" in _error(capsys, ["animate", str(project), "-o", str(tmp_path / "run.gif")])
    summary = main(["train", "--project", str(project), "--steps", "10", "--quiet"])
    assert summary == 0 and "RMSE" in capsys.readouterr().out


def test_help_describes_the_regression_options(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--task {classification,regression}" in text and "option_strings" not in text
    assert "+ - * / ** % and the functions sin, cos" in text

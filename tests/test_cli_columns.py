"""`workbench train --data wide.csv --columns X,Y,T`: pick the columns of a wider CSV by name or number."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main

WIDE = "id,a,b,species,weight\n" + "".join(
    f"{i},{(i % 2) * 2 - 1 + i / 100},{i / 50},{'lr'[i % 2]},{i / 7:.3f}\n" for i in range(40)
)


def _train(capsys, *args: str) -> dict:
    assert main(["train", *args, "--steps", "5", "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("columns", ["a,b,species", "2,3,4", "A, b, 4"])
def test_columns_by_name_or_number_train_on_the_chosen_data(tmp_path, capsys, columns):
    path = tmp_path / "wide.csv"
    path.write_text(WIDE, encoding="utf-8")
    result = _train(capsys, "--data", str(path), "--columns", columns)
    assert result["steps"] == 5


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ("a,b,height", "no column 'height' for label"),
        ("2,3", "--columns needs three columns"),
        ("2,3,9", "the label column number 9 does not exist; the file has 5 columns"),
    ],
)
def test_bad_columns_get_a_one_line_error(tmp_path, capsys, columns, message):
    path = tmp_path / "wide.csv"
    path.write_text(WIDE, encoding="utf-8")
    assert main(["train", "--data", str(path), "--columns", columns, "--steps", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_measurement_column_trains_regression_and_forced_classes_make_two(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    path.write_text(WIDE, encoding="utf-8")
    result = _train(capsys, "--data", str(path), "--columns", "a,b,weight")
    assert result["task"] == "regression" and result["network"]["task"] == "regression"
    forced = _train(capsys, "--data", str(path), "--columns", "a,b,weight", "--task", "classification")
    assert forced["task"] == "classification" and forced["network"]["n_classes"] == 2


def test_columns_without_data_is_a_usage_error(capsys):
    assert main(["train", "--dataset", "spiral", "--columns", "1,2,3", "--steps", "1"]) == 2
    assert "--columns only applies to a --data CSV file" in capsys.readouterr().err

"""CSV files with a numeric target column: the task guessed from the column, forced by `task=`."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.files.csv_io import format_csv, parse_csv, read_csv, write_csv


def test_fractional_numbers_are_targets_and_whole_numbers_or_text_are_classes():
    values = parse_csv("x,y,target\n0,1,0.5\n2,3,-1.25\n")
    assert values.task == "regression" and values.targets.tolist() == [0.5, -1.25]
    assert values.points.tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert parse_csv("1,2,0\n3,4,1\n").task == "classification"
    assert parse_csv("1,2,a\n3,4,b\n").task == "classification"


def test_whole_numbers_with_more_values_than_classes_are_targets():
    dataset = parse_csv("".join(f"{i},0,{i * 3}\n" for i in range(30)))
    assert dataset.is_regression and dataset.targets[-1] == 87.0


def test_task_argument_forces_the_reading():
    forced = parse_csv("1,2,0\n3,4,1\n", task="regression")
    assert forced.is_regression and forced.targets.tolist() == [0.0, 1.0]
    assert parse_csv("1,2,0.5\n3,4,1\n", task="regression").targets.tolist() == [0.5, 1.0]
    with pytest.raises(DatasetFormatError, match="measurements"):
        parse_csv("1,2,0.5\n3,4,1\n", task="classification")
    with pytest.raises(DatasetFormatError, match="line 2: the target is not a number: 'b'"):
        parse_csv("1,2,0.5\n3,4,b\n", task="regression")
    with pytest.raises(DatasetFormatError, match="unknown task"):
        parse_csv("1,2,0.5\n", task="ranking")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,0.5\n3,4,inf\n", "line 2: the target must be a finite number"),
        ("1,2,0.5\n3,4,1e39\n", "line 2: the target is too large"),
        ("# task: regression\n1,2,0.5\n3,4,\n", "line 3: the target is not a number"),
        ("".join(f"{i},0,{i}\n" for i in range(25)) + "9,9,cat\n", "line 21: label '20' is a class too many"),
    ],
)
def test_bad_targets_name_line_and_problem(text, message):
    with pytest.raises(DatasetFormatError, match=message):
        parse_csv(text)


def test_regression_round_trip_keeps_values_exactly_even_whole_numbers(tmp_path):
    rng = np.random.default_rng(3)
    dataset = Dataset.regression(
        rng.normal(size=(50, 2)), rng.normal(size=50), test_fraction=0.3, split_seed=4
    )
    whole = Dataset.regression([[0, 0], [1, 1]], [0.0, 1.0])
    for data in (dataset, whole):
        path = tmp_path / "values.csv"
        write_csv(data, path)
        back = read_csv(path, test_fraction=data.test_fraction, split_seed=data.split_seed)
        assert back.equals(data)
    assert format_csv(whole).splitlines()[:2] == ["# task: regression", "x,y,target"]


def test_target_column_of_a_wider_file_by_name_or_number():
    wide = "id,a,b,height\n1,0.5,1.5,170.2\n2,1.5,2.5,181\n"
    by_name = parse_csv(wide, columns=("a", "b", "height"))
    by_number = parse_csv(wide, columns=(1, 2, 3))
    assert by_name.targets.tolist() == by_number.targets.tolist() == [170.2, 181.0]

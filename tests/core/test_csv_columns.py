"""Wider CSV files: choosing the x, y and label columns, the preview, and measurement columns as targets."""

from __future__ import annotations

import pytest

from workbench.core.data.dataset import DatasetFormatError
from workbench.core.files.csv_io import parse_columns, parse_csv, preview_csv

WIDE = "id,petal_len,petal_wid,species,weight\n1,1.4,0.2,setosa,3.5\n2,4.7,1.4,versicolor,2.25\n"


def test_columns_by_header_name_pick_the_right_data():
    dataset = parse_csv(WIDE, columns=("Petal_Len", "petal_wid", "species"))
    assert dataset.points.tolist() == [[1.4, 0.2], [4.7, 1.4]]
    assert dataset.class_names == ("setosa", "versicolor")


def test_columns_by_number_work_with_and_without_a_header():
    by_number = parse_csv(WIDE, columns=parse_columns("2,3,4"))
    assert by_number.points.tolist() == [[1.4, 0.2], [4.7, 1.4]]
    headless = parse_csv("7,1,2,a\n8,3,4,b\n", columns=parse_columns("3, 2, 4"))
    assert headless.points.tolist() == [[2.0, 1.0], [4.0, 3.0]]
    assert headless.class_names == ("a", "b")


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (("petal_len", "height", "species"), "no column 'height' for y; its columns are: id, petal_len"),
        ((1, 9, 3), "the y column number 10 does not exist; the file has 5 columns"),
        ((1, 1, 3), "three different columns"),
    ],
)
def test_unknown_or_repeated_columns_get_a_clear_message(columns, message):
    with pytest.raises(DatasetFormatError, match=message):
        parse_csv(WIDE, columns=columns)


def test_names_on_a_headless_file_are_refused():
    with pytest.raises(DatasetFormatError, match="has no header; use column numbers"):
        parse_csv("1,2,a\n", columns=("x", "y", "label"))


@pytest.mark.parametrize("text", ["1,2", "0,1,2", "1,2,3,4", "x,,y"])
def test_parse_columns_refuses_anything_but_three_columns(text):
    with pytest.raises(DatasetFormatError):
        parse_columns(text)


def test_a_measurement_column_is_read_as_regression_targets():
    dataset = parse_csv(WIDE, columns=("petal_len", "petal_wid", "weight"))
    assert dataset.is_regression and dataset.targets.tolist() == [3.5, 2.25]
    many = "".join(f"{i},{i},{i / 7:.3f}\n" for i in range(40))  # more values than classes allowed
    assert parse_csv(many).targets.tolist() == [round(i / 7, 3) for i in range(40)]
    european = "".join(f"{i};{i};{i / 7:.3f}\n".replace(".", ",") for i in range(40))  # decimal commas
    assert parse_csv(european).targets.tolist() == [round(i / 7, 3) for i in range(40)]


def test_a_measurement_column_forced_to_classes_is_refused_clearly():
    with pytest.raises(DatasetFormatError, match=r"holds measurements .* or read it as regression targets"):
        parse_csv(WIDE, columns=("petal_len", "petal_wid", "weight"), task="classification")


def test_preview_shows_header_and_first_rows():
    preview = preview_csv("# note\n" + WIDE, max_rows=1)
    assert preview.has_header
    assert preview.header == ["id", "petal_len", "petal_wid", "species", "weight"]
    assert preview.rows == [["1", "1.4", "0.2", "setosa", "3.5"]]
    headless = preview_csv("1;2,5;a;z\n")
    assert not headless.has_header
    assert headless.header == ["1", "2", "3", "4"]
    assert headless.rows == [["1", "2,5", "a", "z"]]

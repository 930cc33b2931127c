"""CSV import/export: accepted dialects, class ids, exact round trips and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.data.generators import generate
from workbench.core.files import csv_io
from workbench.core.files.csv_io import MAX_ROWS, format_csv, parse_csv, read_csv, write_csv


def test_round_trip_is_exact(tmp_path):
    dataset = generate("spiral", n_points=300, n_classes=5, seed=3)
    # awkward floats: shortest repr must still give back the same bits
    points = dataset.points.copy()
    points[0] = (0.1 + 0.2, -1e-300)
    points[1] = (np.nextafter(1.0, 2.0), 123456789.123456789)
    dataset = dataset.replace(points=points, class_names=("a,b", 'say "hi"', "ünï", "7", "class 5"))
    path = tmp_path / "data.csv"
    write_csv(dataset, path)
    back = read_csv(path, test_fraction=dataset.test_fraction, split_seed=dataset.split_seed)
    assert back.equals(dataset)
    assert back.points.tobytes() == dataset.points.tobytes()


def test_round_trip_keeps_class_order_and_empty_classes():
    labels = np.array([2, 2, 0])  # class 2 first, class 1 has no points
    dataset = Dataset(np.array([[0.0, 1], [2, 3], [4, 5]]), labels, ("red", "green", "blue"))
    back = parse_csv(format_csv(dataset))
    assert back.class_names == ("red", "green", "blue")
    assert back.labels.tolist() == [2, 2, 0]


def test_string_labels_are_numbered_in_first_seen_order():
    dataset = parse_csv("1,2,dog\n3,4,cat\n5,6,dog\n7,8,bird\n")
    assert dataset.class_names == ("dog", "cat", "bird")
    assert dataset.labels.tolist() == [0, 1, 0, 2]


def test_integer_labels_are_ordered_numerically():
    dataset = parse_csv("1,2,10\n3,4,2\n5,6,-1\n7,8,2\n")
    assert dataset.class_names == ("-1", "2", "10")
    assert dataset.labels.tolist() == [2, 1, 0, 1]


@pytest.mark.parametrize(
    "text",
    [
        "x,y,label\n1.5,2,a\n3,-4e-1,b\n",
        "\ufeffx,y,label\r\n1.5,2,a\r\n3,-0.4,b\r\n",
        "x;y;label\n1,5;2;a\n3;-0,4;b\n",
        "x\ty\tlabel\n1.5\t2\ta\n3\t-0.4\tb\n",
        "# a comment\n\n1.5, 2, a\n\n3, -0.4, b\n",
        "label,y,x,extra\na,2,1.5,z\nb,-0.4,3,z\n",
    ],
)
def test_dialects_give_the_same_dataset(text):
    dataset = parse_csv(text)
    assert dataset.points.tolist() == [[1.5, 2.0], [3.0, -0.4]]
    assert dataset.class_names == ("a", "b")
    assert dataset.labels.tolist() == [0, 1]


def test_read_csv_accepts_a_bom_file_and_a_stream(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("x,y,label\n1,2,ä\n".encode("utf-8-sig"))
    assert read_csv(path).class_names == ("ä",)
    with open(path, encoding="utf-8-sig") as handle:
        assert read_csv(handle).points.tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no data rows"),
        ("x,y,label\n", "no data rows"),
        ("x,y,label\n1,2,a\n3,four,b\n", "line 3: y is not a number: 'four'"),
        ("1,2,a\n3,inf,b\n", "line 2: y must be a finite number"),
        ("1,2,a\nnan,2,b\n", "line 2: x must be a finite number"),
        ("1,2,a\n3,4\n", "line 2: expected 3 columns"),
        ("1,2,a\n3,-1e39,b\n", "line 2: y is too large"),
        ("1,2,a\n3,4,\n", "line 2: the label is empty"),
        ("".join(f"{i},0,c{i}\n" for i in range(21)), "line 21: label 'c20' is a class too many"),
        ("# classes: [1, 2]\n1,2,a\n", "line 1: the '# classes:' line"),
    ],
)
def test_bad_input_names_line_and_problem(text, message):
    with pytest.raises(DatasetFormatError, match=message.replace("(", r"\(")):
        parse_csv(text)


def test_not_utf8_is_reported_with_its_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"1,2,a\n3,4,\xe9t\xe9\n")
    with pytest.raises(DatasetFormatError, match="line 2: the file is not UTF-8"):
        read_csv(path)


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(DatasetFormatError, match="cannot read"):
        read_csv(tmp_path / "nope.csv")


def test_row_limit(monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_ROWS", 3)
    parse_csv("1,1,a\n2,2,a\n3,3,b\n")
    with pytest.raises(DatasetFormatError, match="line 4: more than 3 rows"):
        parse_csv("1,1,a\n2,2,a\n3,3,b\n4,4,b\n")
    assert MAX_ROWS == 1_000_000


def test_write_failure_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_csv(generate("moons", n_points=10), path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


def test_declared_classes_come_first_and_new_labels_follow():
    dataset = parse_csv('# classes: ["b", "a"]\nx,y,label\n1,1,c\n2,2,a\n3,3,b\n')
    assert dataset.class_names == ("b", "a", "c")
    assert dataset.labels.tolist() == [2, 1, 0]


def test_a_label_with_thousands_of_digits_is_a_format_error_naming_the_line() -> None:
    huge = "7" * 5000  # int() refuses to parse this many digits
    with pytest.raises(DatasetFormatError, match=r"line 3: the label '7+'… is 5,000 characters long"):
        parse_csv(f"x,y,label\n0,0,1\n1,1,{huge}\n")
    long_number = "9" * 200  # the longest label allowed still sorts numerically
    dataset = parse_csv(f"0,0,{long_number}\n1,1,-3\n")
    assert dataset.class_names == ("-3", long_number)

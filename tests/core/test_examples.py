"""The shipped example datasets: present, real, with provenance, and within today's class limit."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.core.data.scaling import suggest_standardize
from workbench.core.files.examples import example, examples
from workbench.core.model.spec import MAX_CLASSES


def test_at_least_three_examples_each_with_provenance():
    found = examples()
    assert {"iris", "wine", "breast_cancer"} <= {e.name for e in found}
    for item in found:
        assert "scikit-learn" in item.source and "make_examples.py" in item.source
        assert item.axes.startswith("x = ")


@pytest.mark.parametrize(("name", "n_points", "n_classes"), [("iris", 150, 3), ("wine", 178, 3)])
def test_examples_load_as_datasets(name, n_points, n_classes):
    dataset = example(name).dataset()
    assert len(dataset.points) == n_points
    assert len(dataset.class_names) == n_classes


def test_every_example_fits_the_class_limit():
    for item in examples():
        assert len(item.dataset().class_names) <= MAX_CLASSES


def test_iris_setosa_is_the_small_petal_class():
    dataset = example("iris").dataset()
    setosa = dataset.points[dataset.labels == dataset.class_names.index("setosa")]
    assert setosa[:, 0].max() < 2.0  # petal length in cm, as in Fisher's data


def test_unknown_example_names_the_known_ones():
    with pytest.raises(KeyError, match="iris"):
        example("nope")


def test_the_digits_map_has_all_ten_digits():
    dataset = example("digits").dataset()
    assert dataset.class_names == tuple(str(d) for d in range(10))
    assert len(dataset) == 1797 and min(dataset.class_counts()) >= 170
    assert abs(dataset.points).max() > 40  # t-SNE coordinates: far from unit scale
    assert suggest_standardize(dataset.points) is not None


def _test_accuracy(capsys, csv_path, *options: str) -> float:
    argv = ["train", "--data", str(csv_path), "--layers", "16,16", "--steps", "3000", *options]
    assert main([*argv, "--json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)["test_accuracy"]


def test_ten_digit_classes_train_to_95_percent_once_the_inputs_are_standardized(capsys, tmp_path):
    csv_path = tmp_path / "digits.csv"
    csv_path.write_text(example("digits").text, encoding="utf-8")
    standardized = _test_accuracy(capsys, csv_path, "--standardize")
    raw = _test_accuracy(capsys, csv_path, "--standardize", "none")
    assert standardized >= 0.95
    assert raw < standardized - 0.1  # the same network on raw ±60 coordinates does far worse

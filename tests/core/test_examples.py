"""The shipped example datasets: present, real, with provenance, and within today's class limit."""

from __future__ import annotations

import pytest

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

"""The dataset generators: shape, balance, determinism, scale and learnability."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import GENERATORS, generate
from workbench.core.model.spec import SpecError

CLASSIFIERS = {name: info for name, info in GENERATORS.items() if info.task == "classification"}
CASES = [(name, k) for name, i in CLASSIFIERS.items() for k in sorted({i.min_classes, i.max_classes})]


def test_registry_names_match_the_issue():
    assert list(CLASSIFIERS) == ["moons", "circles", "xor", "gaussians", "spiral", "checkerboard"]
    assert [name for name in GENERATORS if name not in CLASSIFIERS] == ["plane", "gauss", "formula"]
    for info in GENERATORS.values():
        assert info.min_classes <= info.default_classes <= info.max_classes
        assert info.takes_classes == (info.min_classes < info.max_classes)
        assert info.label and info.default_noise >= 0


@pytest.mark.parametrize(("name", "k"), CASES)
def test_balanced_classes_and_canvas_scale(name, k):
    dataset = generate(name, n_points=301, n_classes=k, seed=4)
    assert dataset.n_points == 301 and dataset.n_classes == k
    counts = dataset.class_counts()
    assert counts.max() - counts.min() <= 1
    extent = np.abs(dataset.points).max()
    assert 3.5 < extent < 6.5, "points should fill about ±5 so the default [-6, 6] view shows them"


@pytest.mark.parametrize("name", list(GENERATORS))
def test_same_seed_same_data_other_seed_other_data(name):
    a = generate(name, n_points=200, seed=7)
    b = generate(name, n_points=200, seed=7)
    c = generate(name, n_points=200, seed=8)
    assert a.equals(b)
    assert not np.array_equal(a.points, c.points)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_noise_zero_and_noise_changes_points_or_values(name):
    clean = generate(name, n_points=100, noise=0.0, seed=1)
    noisy = generate(name, n_points=100, noise=0.5, seed=1)
    if clean.is_regression:  # the points fill the square either way; noise blurs the values
        assert np.array_equal(clean.points, noisy.points)
        assert not np.allclose(clean.targets, noisy.targets)
    else:
        assert not np.allclose(clean.points, noisy.points)


@pytest.mark.parametrize(("name", "k"), CASES)
def test_default_noise_leaves_classes_learnable(name, k):
    """A 5-nearest-neighbour vote on held-out points must be mostly right: the classes stay apart."""
    train = generate(name, n_points=800, n_classes=k, seed=11)
    test = generate(name, n_points=200, n_classes=k, seed=12)
    d2 = ((test.points[:, None, :] - train.points[None, :, :]) ** 2).sum(axis=2)
    nearest = np.argsort(d2, axis=1)[:, :5]
    votes = np.apply_along_axis(np.bincount, 1, train.labels[nearest], minlength=k)
    accuracy = (votes.argmax(axis=1) == test.labels).mean()
    assert accuracy >= 0.9, f"{name} with {k} classes: nearest-neighbour accuracy {accuracy:.2f}"


def test_spiral_arms_stay_apart_with_default_noise():
    """Points of different arms should rarely be closer than points of the same arm's neighbourhood."""
    dataset = generate("spiral", n_points=600, n_classes=3, seed=0)
    p, y = dataset.points, dataset.labels
    d2 = ((p[:, None] - p[None]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    nearest_same = y[d2.argmin(axis=1)] == y
    assert nearest_same.mean() > 0.97


def test_test_fraction_and_split_seed_are_set():
    dataset = generate("moons", n_points=1000, seed=5, test_fraction=0.3)
    assert dataset.test_fraction == 0.3 and dataset.split_seed == 5
    assert 0.25 < dataset.is_test.mean() < 0.35


def test_zero_points_gives_an_empty_dataset_with_classes():
    dataset = generate("gaussians", n_points=0, n_classes=4)
    assert dataset.n_points == 0 and dataset.n_classes == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "spirals"}, "unknown dataset"),
        ({"name": "moons", "n_classes": 3}, "always has 2 classes"),
        ({"name": "spiral", "n_classes": 9}, "2 to 8 classes"),
        ({"name": "spiral", "n_classes": 1}, "2 to 8 classes"),
        ({"name": "circles", "n_points": -1}, "number of points"),
        ({"name": "circles", "noise": float("nan")}, "noise"),
        ({"name": "circles", "noise": -0.1}, "noise"),
    ],
)
def test_unusable_arguments_raise_spec_error(kwargs, message):
    with pytest.raises(SpecError, match=message):
        generate(**kwargs)

"""Every dataset edit returns its inverse; undoing any sequence of edits restores the data exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.core.data import edits
from workbench.core.data.dataset import Dataset, DatasetFormatError


def make_dataset(n: int = 6, seed: int = 1) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(rng.normal(size=(n, 2)), rng.integers(0, 3, n), ("a", "b", "c"), split_seed=seed)


def test_add_points_appends_and_inverse_removes_them() -> None:
    data = make_dataset()
    added, inverse = edits.AddPoints([[1.0, 2.0], [3.0, 4.0]], [2, 0]).apply(data)
    assert len(added) == len(data) + 2
    np.testing.assert_array_equal(added.points[-2:], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(added.labels[-2:], [2, 0])
    restored, _ = inverse.apply(added)
    assert restored.equals(data)


def test_delete_then_undo_puts_points_back_in_their_places() -> None:
    data = make_dataset(10)
    deleted, inverse = edits.DeletePoints([7, 2, 4]).apply(data)
    assert len(deleted) == 7
    assert not any((deleted.points == data.points[i]).all(axis=1).any() for i in (2, 4, 7))
    restored, _ = inverse.apply(deleted)
    assert restored.equals(data)


def test_move_relabel_and_split_changes_are_invertible() -> None:
    data = make_dataset()
    moved, undo_move = edits.MovePoints.by(data, [0, 3], (0.5, -1.0)).apply(data)
    np.testing.assert_allclose(moved.points[0], data.points[0] + [0.5, -1.0])
    relabelled, undo_relabel = edits.Relabel([1, 2], 2).apply(moved)
    assert (relabelled.labels[[1, 2]] == 2).all()
    resplit, undo_split = edits.SetTestFraction(0.5).apply(relabelled)
    assert resplit.is_test.sum() >= relabelled.is_test.sum()
    back = undo_split.apply(resplit)[0]
    back = undo_relabel.apply(back)[0]
    back = undo_move.apply(back)[0]
    assert back.equals(data)


def test_dataset_arrays_are_read_only_so_edits_cannot_alias() -> None:
    data = make_dataset()
    with pytest.raises(ValueError):
        data.points[0, 0] = 99.0
    source = np.array([[1.0, 1.0]])
    added, _ = edits.AddPoints(source, [0]).apply(data)
    source[0, 0] = 42.0
    assert added.points[-1, 0] == 1.0


def test_removing_a_class_drops_its_points_and_shifts_labels() -> None:
    data = make_dataset(30)
    removed, inverse = edits.RemoveClass(1).apply(data)
    assert removed.class_names == ("a", "c")
    assert len(removed) == int((data.labels != 1).sum())
    np.testing.assert_array_equal(removed.labels, np.where(data.labels[data.labels != 1] == 2, 1, 0))
    assert inverse.apply(removed)[0].equals(data)


def test_class_limits_are_enforced_with_a_clear_message() -> None:
    data = Dataset.empty(tuple(f"c{i}" for i in range(20)))
    with pytest.raises(DatasetFormatError, match="at most 20"):
        edits.AddClass("21st").apply(data)
    with pytest.raises(DatasetFormatError, match="at least one"):
        edits.RemoveClass(0).apply(Dataset.empty(("only",)))


def test_dataset_rejects_non_finite_points_and_bad_labels() -> None:
    with pytest.raises(DatasetFormatError, match="finite"):
        Dataset([[np.nan, 0.0]], [0])
    with pytest.raises(DatasetFormatError, match="labels"):
        Dataset([[0.0, 0.0]], [5], ("a", "b"))


def test_split_keys_make_the_test_set_grow_monotonically_with_the_fraction() -> None:
    data = make_dataset(200)
    small = data.replace(test_fraction=0.1).is_test
    large = data.replace(test_fraction=0.4).is_test
    assert (large | ~small).all(), "every test point at 10% must stay a test point at 40%"
    assert 0.25 < large.mean() < 0.55


edit_strategy = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 5), st.integers(0, 2)),
    st.tuples(st.just("delete"), st.integers(0, 1000), st.integers(1, 3)),
    st.tuples(st.just("move"), st.integers(0, 1000), st.floats(-3, 3)),
    st.tuples(st.just("relabel"), st.integers(0, 1000), st.integers(0, 2)),
    st.tuples(st.just("clear"), st.just(0), st.just(0)),
    st.tuples(st.just("split"), st.just(0), st.floats(0, 0.9)),
)


def build_edit(data: Dataset, kind: str, a: float, b: float):
    n = len(data)
    if kind == "add":
        return edits.AddPoints(np.full((int(a), 2), float(b)), np.full(int(a), int(b)))
    if kind == "clear":
        return edits.clear_points(data)
    if kind == "split":
        return edits.SetTestFraction(b)
    if n == 0:
        return None
    index = int(a) % n
    if kind == "delete":
        return edits.DeletePoints(np.arange(index, min(n, index + int(b))))
    if kind == "move":
        return edits.MovePoints.by(data, [index], (b, -b))
    return edits.Relabel([index], int(b))


@settings(max_examples=60, deadline=None)
@given(st.lists(edit_strategy, max_size=12))
def test_undoing_any_edit_sequence_restores_every_intermediate_state(steps) -> None:
    data = make_dataset(8)
    states, inverses = [data], []
    for kind, a, b in steps:
        edit = build_edit(data, kind, a, b)
        if edit is None:
            continue
        data, inverse = edit.apply(data)
        states.append(data)
        inverses.append(inverse)
    for inverse, expected in zip(reversed(inverses), reversed(states[:-1]), strict=True):
        data, _ = inverse.apply(data)
        assert data.equals(expected)

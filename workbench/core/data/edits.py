"""Edits to a dataset as small values that know their inverse.

``new_dataset, inverse = edit.apply(dataset)``; applying ``inverse`` to ``new_dataset`` gives back a dataset
equal to the original (points, labels, classes, split). The GUI wraps any edit in one QUndoCommand; a mouse
gesture becomes one undo macro. Edits copy what they are given, so callers may reuse their arrays.

Regression data (``dataset.targets``) is edited by the same edits: adding points needs their target values,
deleting and re-inserting carries them, `SetTargets` is the "set value" brush.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.model.spec import MAX_CLASSES


class Edit(Protocol):
    """Anything with ``apply(dataset) -> (new_dataset, inverse_edit)`` and a short user-facing name."""

    @property
    def description(self) -> str: ...

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]: ...


def _ro(array: np.ndarray, dtype: type) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _indices(indices: np.ndarray | list[int], n: int) -> np.ndarray:
    idx = np.unique(np.asarray(indices, dtype=np.int64).reshape(-1))
    if len(idx) and (idx[0] < 0 or idx[-1] >= n):
        raise IndexError(f"point index out of range for a dataset of {n} points")
    return idx


@dataclass(frozen=True, eq=False)
class AddPoints:
    """Append points with labels (and split keys; drawn from the dataset's seed when omitted).

    For regression data give ``targets`` (one value each, or one value for all); labels are then ignored.
    """

    points: np.ndarray
    labels: np.ndarray
    split_keys: np.ndarray | None = None
    description: str = "Add points"
    targets: np.ndarray | float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _ro(np.reshape(self.points, (-1, 2)), np.float64))
        object.__setattr__(self, "labels", _ro(np.reshape(self.labels, -1), np.int64))
        if self.split_keys is not None:
            object.__setattr__(self, "split_keys", _ro(np.reshape(self.split_keys, -1), np.float64))
        if self.targets is not None:
            targets = np.broadcast_to(np.asarray(self.targets, dtype=np.float64), (len(self.points),))
            object.__setattr__(self, "targets", _ro(targets, np.float64))

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        n = len(self.points)
        keys = self.split_keys if self.split_keys is not None else dataset.new_split_keys(n)
        targets = None
        if dataset.targets is not None:
            if self.targets is None:
                raise DatasetFormatError("regression data needs a target value for every new point")
            targets = np.concatenate([dataset.targets, self.targets])
        labels = self.labels if targets is None else np.zeros(n, dtype=np.int64)
        new = dataset.replace(
            points=np.concatenate([dataset.points, self.points]),
            labels=np.concatenate([dataset.labels, labels]),
            split_keys=np.concatenate([dataset.split_keys, keys]),
            targets=targets,
        )
        inverse = DeletePoints(np.arange(len(dataset), len(dataset) + n), description=self.description)
        return new, inverse


@dataclass(frozen=True, eq=False)
class InsertPoints:
    """Put points back at given final positions (the inverse of DeletePoints)."""

    indices: np.ndarray
    points: np.ndarray
    labels: np.ndarray
    split_keys: np.ndarray
    description: str = "Insert points"
    targets: np.ndarray | None = None

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        total = len(dataset) + len(self.indices)
        keep = np.ones(total, dtype=bool)
        keep[self.indices] = False
        points = np.empty((total, 2))
        labels = np.empty(total, dtype=np.int64)
        keys = np.empty(total)
        points[keep], labels[keep], keys[keep] = dataset.points, dataset.labels, dataset.split_keys
        points[~keep], labels[~keep], keys[~keep] = self.points, self.labels, self.split_keys
        targets = None
        if dataset.targets is not None:
            targets = np.empty(total)
            targets[keep] = dataset.targets
            targets[~keep] = self.targets if self.targets is not None else 0.0
        new = dataset.replace(points=points, labels=labels, split_keys=keys, targets=targets)
        return new, DeletePoints(self.indices, description=self.description)


@dataclass(frozen=True, eq=False)
class DeletePoints:
    """Remove the points at the given indices."""

    indices: np.ndarray
    description: str = "Delete points"

    def __post_init__(self) -> None:
        object.__setattr__(self, "indices", _ro(np.unique(np.reshape(self.indices, -1)), np.int64))

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        idx = _indices(self.indices, len(dataset))
        keep = np.ones(len(dataset), dtype=bool)
        keep[idx] = False
        inverse = InsertPoints(
            _ro(idx, np.int64),
            _ro(dataset.points[idx], np.float64),
            _ro(dataset.labels[idx], np.int64),
            _ro(dataset.split_keys[idx], np.float64),
            description=self.description,
            targets=None if dataset.targets is None else _ro(dataset.targets[idx], np.float64),
        )
        new = dataset.replace(
            points=dataset.points[keep],
            labels=dataset.labels[keep],
            split_keys=dataset.split_keys[keep],
            targets=None if dataset.targets is None else dataset.targets[keep],
        )
        return new, inverse


@dataclass(frozen=True, eq=False)
class MovePoints:
    """Set the positions of the given points (the inverse stores the old positions)."""

    indices: np.ndarray
    new_points: np.ndarray
    description: str = "Move points"

    def __post_init__(self) -> None:
        object.__setattr__(self, "indices", _ro(np.reshape(self.indices, -1), np.int64))
        object.__setattr__(self, "new_points", _ro(np.reshape(self.new_points, (-1, 2)), np.float64))
        if len(self.indices) != len(self.new_points):
            raise ValueError("MovePoints needs one new position per index")

    @classmethod
    def by(cls, dataset: Dataset, indices: np.ndarray, delta: tuple[float, float] | np.ndarray) -> MovePoints:
        idx = np.asarray(indices, dtype=np.int64)
        return cls(idx, dataset.points[idx] + np.asarray(delta, dtype=np.float64))

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        _indices(self.indices, len(dataset))
        points = dataset.points.copy()
        old = points[self.indices].copy()
        points[self.indices] = self.new_points
        new = dataset.replace(points=points)
        return new, MovePoints(self.indices, old, description=self.description)


@dataclass(frozen=True, eq=False)
class Relabel:
    """Give the points at the given indices new labels (one label for all, or one each)."""

    indices: np.ndarray
    labels: np.ndarray | int
    description: str = "Relabel points"

    def __post_init__(self) -> None:
        idx = _ro(np.reshape(self.indices, -1), np.int64)
        labels = np.broadcast_to(np.asarray(self.labels, dtype=np.int64), idx.shape)
        object.__setattr__(self, "indices", idx)
        object.__setattr__(self, "labels", _ro(labels, np.int64))

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        _indices(self.indices, len(dataset))
        labels = dataset.labels.copy()
        old = labels[self.indices].copy()
        labels[self.indices] = self.labels
        new = dataset.replace(labels=labels)
        return new, Relabel(self.indices, old, description=self.description)


@dataclass(frozen=True, eq=False)
class SetTargets:
    """Give the points at the given indices new target values (one for all, or one each): the "set value"
    brush of regression data."""

    indices: np.ndarray
    targets: np.ndarray | float
    description: str = "Set values"

    def __post_init__(self) -> None:
        idx = _ro(np.reshape(self.indices, -1), np.int64)
        targets = np.broadcast_to(np.asarray(self.targets, dtype=np.float64), idx.shape)
        object.__setattr__(self, "indices", idx)
        object.__setattr__(self, "targets", _ro(targets, np.float64))

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        if dataset.targets is None:
            raise DatasetFormatError("these points have classes, not values: switch the task to regression")
        _indices(self.indices, len(dataset))
        targets = dataset.targets.copy()
        old = targets[self.indices].copy()
        targets[self.indices] = self.targets
        new = dataset.replace(targets=targets)
        return new, SetTargets(self.indices, old, description=self.description)


@dataclass(frozen=True, eq=False)
class ReplaceDataset:
    """Swap in a whole new dataset (generate, import, clear, class changes); the inverse swaps back."""

    dataset: Dataset
    description: str = "Replace dataset"

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        return self.dataset, ReplaceDataset(dataset, description=self.description)


def clear_points(dataset: Dataset) -> ReplaceDataset:
    """Remove every point but keep the classes and split settings."""
    return ReplaceDataset(
        dataset.replace(
            points=np.zeros((0, 2)),
            labels=np.zeros(0, np.int64),
            split_keys=np.zeros(0),
            targets=None if dataset.targets is None else np.zeros(0),
        ),
        description="Clear data",
    )


@dataclass(frozen=True, eq=False)
class SetTestFraction:
    """Move the train/test split slider."""

    test_fraction: float
    description: str = "Change test fraction"

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        new = dataset.replace(test_fraction=self.test_fraction)
        return new, SetTestFraction(dataset.test_fraction, description=self.description)


@dataclass(frozen=True, eq=False)
class RenameClass:
    """Rename one class."""

    index: int
    name: str
    description: str = "Rename class"

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        names = list(dataset.class_names)
        old = names[self.index]
        names[self.index] = self.name
        return dataset.replace(class_names=tuple(names)), RenameClass(self.index, old, self.description)


@dataclass(frozen=True, eq=False)
class AddClass:
    """Append a class (up to the maximum, `MAX_CLASSES`)."""

    name: str
    description: str = "Add class"

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        if dataset.n_classes >= MAX_CLASSES:
            raise DatasetFormatError(f"a dataset has at most {MAX_CLASSES} classes")
        new = dataset.replace(class_names=(*dataset.class_names, self.name))
        return new, ReplaceDataset(dataset, description=self.description)


@dataclass(frozen=True, eq=False)
class RemoveClass:
    """Remove a class and its points; labels above it shift down by one."""

    index: int
    description: str = "Remove class"

    def apply(self, dataset: Dataset) -> tuple[Dataset, Edit]:
        if dataset.n_classes <= 1:
            raise DatasetFormatError("a dataset needs at least one class")
        keep = dataset.labels != self.index
        labels = dataset.labels[keep]
        labels = np.where(labels > self.index, labels - 1, labels)
        names = dataset.class_names[: self.index] + dataset.class_names[self.index + 1 :]
        new = dataset.replace(
            points=dataset.points[keep], labels=labels, split_keys=dataset.split_keys[keep], class_names=names
        )
        return new, ReplaceDataset(dataset, description=self.description)

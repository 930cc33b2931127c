"""The dataset a user draws or generates: 2D points, integer labels (or target values), class names and a
seeded split.

Regression data carries ``targets`` (one float per point); its labels are all 0 and it has the one class
`REGRESSION_CLASS_NAMES` (the class machinery then stays out of the way). ``dataset.task`` says which it is.

A `Dataset` is immutable: its arrays are read-only and every change goes through an edit
(`edits`) that returns a new dataset plus the inverse edit. That is what lets the GUI's undo
stack, the trainer thread and the project file share datasets without copying defensively everywhere.

The train/test split is stored as one random *split key* in [0, 1) per point; a point is a test point when
its key is below ``test_fraction``. Moving the split slider therefore changes only which points are test
points, monotonically, and adding or removing points never reshuffles the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.core import limits
from workbench.core.model.spec import MAX_CLASSES
from workbench.core.palette import palette

#: One colour per class, from the shipped palette (colour-blind-safe Okabe–Ito).
CLASS_COLORS: tuple[str, ...] = palette().classes

DEFAULT_CLASS_NAMES: tuple[str, ...] = tuple(f"class {i + 1}" for i in range(MAX_CLASSES))
#: The single "class" of regression data.
REGRESSION_CLASS_NAMES: tuple[str, ...] = ("target",)


class DatasetFormatError(ValueError):
    """Input that cannot become a dataset; the message names the line (for files) and the problem."""


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def split_keys_for(n: int, seed: int, salt: int) -> np.ndarray:
    """Deterministic split keys for `n` new points (salt = how many points existed before)."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, salt & 0xFFFFFFFF, 0x5B11])
    return rng.random(n)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points (N, 2) float64, labels (N,) int64, class names, split keys, test fraction and, for regression,
    targets (N,) float64."""

    points: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...] = DEFAULT_CLASS_NAMES[:2]
    split_keys: np.ndarray = field(default=None)  # type: ignore[assignment]
    test_fraction: float = 0.2
    split_seed: int = 0
    #: None for classification; one finite value per point for regression.
    targets: np.ndarray | None = None

    def __post_init__(self) -> None:
        points = np.asarray(self.points, dtype=np.float64).reshape(-1, 2)
        labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        if len(points) != len(labels):
            raise DatasetFormatError(f"{len(points)} points but {len(labels)} labels")
        if not np.isfinite(points).all():
            raise DatasetFormatError("points must be finite numbers (no NaN or infinity)")
        names = tuple(str(n) for n in self.class_names)
        if not 1 <= len(names) <= MAX_CLASSES:
            raise DatasetFormatError(f"a dataset has 1 to {MAX_CLASSES} classes, not {len(names)}")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(names)):
            raise DatasetFormatError(f"labels must lie between 0 and {len(names) - 1}")
        if not limits.TEST_FRACTION.contains(float(self.test_fraction)):
            raise DatasetFormatError(limits.TEST_FRACTION.message)
        keys = self.split_keys
        if keys is None:
            keys = split_keys_for(len(points), self.split_seed, 0)
        keys = np.asarray(keys, dtype=np.float64).reshape(-1)
        if len(keys) != len(points):
            raise DatasetFormatError(f"{len(points)} points but {len(keys)} split keys")
        object.__setattr__(self, "points", _frozen(points))
        object.__setattr__(self, "labels", _frozen(labels))
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "split_keys", _frozen(keys))
        object.__setattr__(self, "test_fraction", float(self.test_fraction))
        if self.targets is not None:
            targets = np.asarray(self.targets, dtype=np.float64).reshape(-1)
            if len(targets) != len(points):
                raise DatasetFormatError(f"{len(points)} points but {len(targets)} target values")
            if not np.isfinite(targets).all():
                raise DatasetFormatError("target values must be finite numbers (no NaN or infinity)")
            object.__setattr__(self, "targets", _frozen(targets))

    # ----------------------------------------------------------------------------------------------------
    @classmethod
    def empty(cls, class_names: tuple[str, ...] = DEFAULT_CLASS_NAMES[:2], **kwargs: Any) -> Dataset:
        return cls(np.zeros((0, 2)), np.zeros(0, dtype=np.int64), class_names, **kwargs)

    @classmethod
    def regression(cls, points: Any, targets: Any, **kwargs: Any) -> Dataset:
        """Regression data: a target value per point (labels all 0, the one class "target")."""
        targets = np.asarray(targets, dtype=np.float64).reshape(-1)
        kwargs.setdefault("class_names", REGRESSION_CLASS_NAMES)
        n = len(np.asarray(points, dtype=np.float64).reshape(-1, 2))
        return cls(points, np.zeros(n, dtype=np.int64), targets=targets, **kwargs)

    @property
    def task(self) -> str:
        """ "regression" when the points carry target values, else "classification"."""
        return "classification" if self.targets is None else "regression"

    @property
    def is_regression(self) -> bool:
        return self.targets is not None

    def as_regression(self) -> Dataset:
        """The same points with their class numbers (0, 1, ...) as target values (switching the task)."""
        if self.targets is not None:
            return self
        return Dataset.regression(
            self.points,
            self.labels.astype(np.float64),
            split_keys=self.split_keys,
            test_fraction=self.test_fraction,
            split_seed=self.split_seed,
        )

    def as_classification(self) -> Dataset:
        """Classes from the target values (switching the task): whole numbers 0..19 become classes named
        "0", "1", ...; any other values two classes, "below 0" and "0 or above"."""
        if self.targets is None:
            return self
        targets = self.targets
        whole = len(targets) and np.all(targets == np.round(targets)) and targets.min() >= 0
        if whole and targets.max() < MAX_CLASSES:
            labels = targets.astype(np.int64)
            names = tuple(str(i) for i in range(max(2, int(labels.max()) + 1)))
        else:
            labels = (targets >= 0).astype(np.int64)
            names = ("below 0", "0 or above")
        return Dataset(self.points, labels, names, self.split_keys, self.test_fraction, self.split_seed)

    @property
    def n_points(self) -> int:
        return len(self.points)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_test(self) -> np.ndarray:
        """Boolean mask (N,) of test points."""
        return self.split_keys < self.test_fraction

    @property
    def train_indices(self) -> np.ndarray:
        return np.flatnonzero(~self.is_test)

    @property
    def test_indices(self) -> np.ndarray:
        return np.flatnonzero(self.is_test)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=self.n_classes)

    def new_split_keys(self, n: int) -> np.ndarray:
        """Split keys for `n` points about to be appended (deterministic in seed and current size)."""
        return split_keys_for(n, self.split_seed, len(self) + 0x9E37 * self.n_classes)

    def replace(self, **changes: Any) -> Dataset:
        """A copy with some fields changed (arrays are shared: they are read-only)."""
        fields = {
            "points": self.points,
            "labels": self.labels,
            "class_names": self.class_names,
            "split_keys": self.split_keys,
            "test_fraction": self.test_fraction,
            "split_seed": self.split_seed,
            "targets": self.targets,
        }
        fields.update(changes)
        return Dataset(**fields)

    def equals(self, other: Dataset) -> bool:
        """Same points, labels, targets, classes and split, exactly."""
        return (
            self.class_names == other.class_names
            and self.test_fraction == other.test_fraction
            and self.split_seed == other.split_seed
            and np.array_equal(self.points, other.points)
            and np.array_equal(self.labels, other.labels)
            and np.array_equal(self.split_keys, other.split_keys)
            and (self.targets is None) == (other.targets is None)
            and (self.targets is None or np.array_equal(self.targets, other.targets))
        )

    def bounds(self, margin: float = 0.1) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) of the points with a relative margin; a default box when empty."""
        if not len(self):
            return (-6.0, 6.0, -6.0, 6.0)
        lo = self.points.min(axis=0)
        hi = self.points.max(axis=0)
        span = np.maximum(hi - lo, 1e-6)
        lo = lo - margin * span
        hi = hi + margin * span
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))

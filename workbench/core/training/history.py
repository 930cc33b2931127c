"""The loss history of a training run: numpy columns with a fixed bound, thinned so that spikes survive.

Why: a run records one entry every few dozen steps, ~200 entries a second at full speed, for hours. As a
list of small objects that cost ~1 KB an entry in each process; here an entry is 48 bytes, and a run keeps at
most `MAX_ENTRIES` of them. When an append would go over the bound, the history is *thinned*: the steps are
cut into bins of equal width (a power of two, so the bins of one thinning nest in the next one's), and each
bin keeps only the entries holding its lowest and highest train/test loss and accuracy (plus the first
entry of a gap, where a column is NaN). The curves therefore keep their spikes and their range, at a
resolution that stays uniform over the run, and thinning costs a few milliseconds once per
`MAX_ENTRIES / 2` appends.

Crossing threads and processes: `frozen()` is a read-only view that shares the columns without copying. That
is safe because an owner only ever writes rows past its current length; thinning, cutting back and loading
make new arrays. `revision` changes whenever rows that were already there change (a thinning or a cut), so
a receiver of only the new rows knows when it must take the whole history again.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

#: Entries a run keeps at most (trainer, training process, GUI document and project file alike). 10,000 is
#: five times the points a curve is drawn with, and its one-time fill (~0.5 MB a copy) stays small next to a
#: ~35 MB training process (20,000 grew it and the window by 3.6-4.1 % in a 10-minute soak).
MAX_ENTRIES = 10_000
#: The columns, in the project file's order: step and epoch are int64, the rest float64 (NaN: no points).
#: Accuracy is NaN for regression; RMSE and R² are NaN for classification.
COLUMNS = (
    "step",
    "epoch",
    "train_loss",
    "train_accuracy",
    "test_loss",
    "test_accuracy",
    "train_rmse",
    "train_r2",
    "test_rmse",
    "test_r2",
)
COUNT_COLUMNS = ("step", "epoch")
#: Columns added with regression: histories written before them read as NaN.
OPTIONAL_COLUMNS = ("train_rmse", "train_r2", "test_rmse", "test_r2")
#: Columns whose lowest and highest values in each bin survive a thinning (RMSE follows the loss).
KEY_COLUMNS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "train_r2", "test_r2")
_MIN_ENTRIES = 32
_revisions = itertools.count(1)


def _dtype(name: str) -> np.dtype:
    return np.dtype(np.int64) if name in COUNT_COLUMNS else np.dtype(np.float64)


class TrainingHistory:
    """Metrics of one run as columns (`COLUMNS`), at most `max_entries` long.

    An owner (the trainer) `append`s; everyone else gets `frozen()` views, which are read-only and never
    change. Indexing and iterating give `Metrics` (convenient, not fast); `column(name)` is the fast path.
    """

    __slots__ = ("_columns", "_frozen", "_length", "_max", "_revision", "_width")

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max(_MIN_ENTRIES, int(max_entries))
        self._columns = {name: np.empty(0, _dtype(name)) for name in COLUMNS}
        self._length = 0
        self._frozen = False
        self._revision = next(_revisions)
        self._width = 1  # bin width (steps) of the last thinning; only grows

    # --- making -----------------------------------------------------------------------------------------
    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Any], max_entries: int = MAX_ENTRIES
    ) -> TrainingHistory:
        """A history owning copies of `columns` (equal lengths), thinned to the bound when longer."""
        history = cls(max_entries)
        length = len(np.asarray(columns["step"]).reshape(-1))
        arrays = {
            n: np.array(columns[n], dtype=_dtype(n), copy=True).reshape(-1)
            if n in columns or n not in OPTIONAL_COLUMNS
            else np.full(length, np.nan)
            for n in COLUMNS
        }
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) != 1:
            raise ValueError("history columns must all have the same length")
        history._columns = arrays
        history._length = lengths.pop()
        if history._length > history._max:
            history._thin()
        return history

    @classmethod
    def coerce(cls, value: Any, max_entries: int = MAX_ENTRIES) -> TrainingHistory:
        """`value` as a history: a `TrainingHistory` as it is, else a sequence of `Metrics` (or None)."""
        if isinstance(value, TrainingHistory):
            return value
        history = cls(max_entries)
        for metrics in value or ():
            history.append(metrics)
        return history.frozen()

    def copy(self, max_entries: int | None = None) -> TrainingHistory:
        """A new owner with the same entries (thinned if `max_entries` is smaller), free to append."""
        bound = self._max if max_entries is None else max_entries
        history = TrainingHistory.from_columns(self.columns, bound)
        history._width = max(history._width, self._width)  # later thinnings go on from the same bins
        return history

    def frozen(self) -> TrainingHistory:
        """A read-only view of the entries so far: shares the arrays, never changes, safe on any thread."""
        if self._frozen:
            return self
        view = TrainingHistory.__new__(TrainingHistory)
        view._columns = {name: _read_only(a[: self._length]) for name, a in self._columns.items()}
        view._length = self._length
        view._max = self._max
        view._frozen = True
        view._revision = self._revision
        view._width = self._width
        return view

    # --- reading ----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._length

    @property
    def max_entries(self) -> int:
        return self._max

    @property
    def revision(self) -> int:
        """Changes whenever existing entries change (thinning, cutting back); appends keep it."""
        return self._revision

    @property
    def bin_width(self) -> int:
        """Steps per bin of the last thinning (1: never thinned); each such bin kept its extremes."""
        return self._width

    @property
    def is_frozen(self) -> bool:
        return self._frozen

    def column(self, name: str) -> np.ndarray:
        """One column of the entries (a read-only view; copy it to keep it past the next append)."""
        return _read_only(self._columns[name][: self._length])

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return {name: self.column(name) for name in COLUMNS}

    @property
    def steps(self) -> np.ndarray:
        return self.column("step")

    def __getitem__(self, index: int) -> Any:
        from workbench.core.training.trainer import Metrics

        n = self._length
        if not -n <= index < n:
            raise IndexError("history index out of range")
        i = index % n
        c = self._columns
        return Metrics(
            int(c["step"][i]),
            int(c["epoch"][i]),
            float(c["train_loss"][i]),
            float(c["train_accuracy"][i]),
            float(c["test_loss"][i]),
            float(c["test_accuracy"][i]),
            float(c["train_rmse"][i]),
            float(c["train_r2"][i]),
            float(c["test_rmse"][i]),
            float(c["test_r2"][i]),
        )

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(self._length))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrainingHistory):
            return NotImplemented
        return len(self) == len(other) and all(
            np.array_equal(self.column(n), other.column(n), equal_nan=n not in COUNT_COLUMNS) for n in COLUMNS
        )

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as its entries only (not the spare capacity), e.g. for the training process's pipe."""
        return {
            "columns": {n: np.ascontiguousarray(self.column(n)) for n in COLUMNS},
            "max": self._max,
            "frozen": self._frozen,
            "width": self._width,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._columns = {n: np.asarray(state["columns"][n], _dtype(n)) for n in COLUMNS}
        self._length = len(self._columns["step"])
        self._max = int(state["max"])
        self._frozen = bool(state["frozen"])
        self._revision = next(_revisions)  # revisions only mean something within one process
        self._width = int(state["width"])
        if self._frozen:
            for array in self._columns.values():
                array.setflags(write=False)
        else:  # an owner may append: its arrays must be its own
            self._columns = {n: np.array(a, copy=True) for n, a in self._columns.items()}

    def __repr__(self) -> str:
        last = f", last step {int(self._columns['step'][self._length - 1])}" if self._length else ""
        return f"TrainingHistory({self._length} entries{last}, max {self._max})"

    def tail(self, start: int) -> TrainingHistory:
        """The entries from `start` on, as a frozen history (a view, pickled as just those rows)."""
        start = min(max(0, int(start)), self._length)
        view = TrainingHistory.__new__(TrainingHistory)
        view._columns = {name: _read_only(a[start : self._length]) for name, a in self._columns.items()}
        view._length = self._length - start
        view._max = self._max
        view._frozen = True
        view._revision = next(_revisions)
        view._width = self._width
        return view

    def with_latest(self, metrics: Any) -> TrainingHistory:
        """Frozen: these entries plus `metrics` when it is newer than the last one (then a copy)."""
        if self._length and int(self._columns["step"][self._length - 1]) == metrics.step:
            return self.frozen()
        history = self.copy()
        history.append(metrics)
        return history.frozen()

    # --- changing (owner only) --------------------------------------------------------------------------
    def append(self, metrics: Any) -> None:
        """Add one entry (a `Metrics`); a full history is thinned first."""
        self._check_owner()
        if self._length >= self._max:
            self._thin()
        n = self._length
        if n == len(self._columns["step"]):
            self._grow(n + 1)
        c = self._columns
        c["step"][n] = metrics.step
        c["epoch"][n] = metrics.epoch
        c["train_loss"][n] = metrics.train_loss
        c["train_accuracy"][n] = metrics.train_accuracy
        c["test_loss"][n] = metrics.test_loss
        c["test_accuracy"][n] = metrics.test_accuracy
        c["train_rmse"][n] = getattr(metrics, "train_rmse", math.nan)
        c["train_r2"][n] = getattr(metrics, "train_r2", math.nan)
        c["test_rmse"][n] = getattr(metrics, "test_rmse", math.nan)
        c["test_r2"][n] = getattr(metrics, "test_r2", math.nan)
        self._length = n + 1

    def extend(self, other: TrainingHistory) -> None:
        """Add every entry of `other` (thinned as needed to stay within the bound)."""
        self._check_owner()
        count = len(other)
        if self._length + count > self._max:
            merged = {n: np.concatenate([self.column(n), other.column(n)]) for n in COLUMNS}
            self._replace(merged)
            self._thin()
            return
        if self._length + count > len(self._columns["step"]):
            self._grow(self._length + count)
        for name in COLUMNS:
            self._columns[name][self._length : self._length + count] = other.column(name)
        self._length += count

    def keep_first(self, count: int) -> None:
        """Drop every entry after the first `count`."""
        self._check_owner()
        if count < self._length:
            self._replace({n: self.column(n)[: max(0, count)] for n in COLUMNS})

    def cut_after(self, step: int) -> None:
        """Drop the entries recorded after `step` (training went back to that step)."""
        self._check_owner()
        keep = self.column("step") <= step
        if not keep.all():
            self._replace({n: self.column(n)[keep] for n in COLUMNS})

    # --- internals --------------------------------------------------------------------------------------
    def _check_owner(self) -> None:
        if self._frozen:
            raise TypeError("a frozen TrainingHistory cannot change; copy() it first")

    def _grow(self, needed: int) -> None:
        """Room for `needed` entries: capacity doubles (amortised O(1) appends) up to the bound."""
        capacity = min(self._max, max(needed, 256, 2 * len(self._columns["step"])))
        capacity = max(capacity, needed)
        for name, old in self._columns.items():
            new = np.empty(capacity, old.dtype)
            new[: self._length] = old[: self._length]
            self._columns[name] = new

    def _replace(self, columns: dict[str, np.ndarray]) -> None:
        """Install new arrays (never written in place: frozen views may share the old ones)."""
        self._columns = {n: np.array(columns[n], dtype=_dtype(n), copy=True) for n in COLUMNS}
        self._length = len(self._columns["step"])
        self._revision = next(_revisions)

    def _thin(self) -> None:
        """Bring the history down to at most half its bound, keeping each bin's extremes."""
        target = self._max // 2
        columns = {n: self.column(n) for n in COLUMNS}
        steps = columns["step"]
        if len(steps) <= target:
            return
        span = int(steps.max()) - int(steps.min()) + 1 if len(steps) else 1
        width = max(self._width, 1 << max(0, math.ceil(math.log2(max(1, span / target)))))
        while True:
            keep = _keep_mask(columns, width)
            columns = {n: a[keep] for n, a in columns.items()}
            if len(columns["step"]) <= target or width > span:
                break
            width *= 2
        self._width = width
        self._replace(columns)
        if self._length > target:  # only a degenerate history (thousands of entries of one step)
            self._replace({n: a[-target:] for n, a in self._columns.items()})


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.setflags(write=False)
    return view


def _first_in_each_segment(rows: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Of `rows` (ascending), the first one of each segment they fall in."""
    if not len(rows):
        return rows
    seg = segment[rows]
    return rows[np.r_[True, seg[1:] != seg[:-1]]]


def _keep_mask(columns: dict[str, np.ndarray], width: int) -> np.ndarray:
    """Which entries survive with bins `width` steps wide: the first and last entry, and in each bin (a run
    of entries with the same ``step // width``) the entries holding a key column's minimum and maximum."""
    steps = columns["step"]
    n = len(steps)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    keep[0] = keep[-1] = True
    bins = steps // width
    new_bin = np.r_[True, bins[1:] != bins[:-1]]
    starts = np.flatnonzero(new_bin)
    segment = np.cumsum(new_bin) - 1
    for name in KEY_COLUMNS:
        values = columns[name]
        missing = np.isnan(values)
        if missing.all():
            continue  # e.g. no test points at all: nothing to keep for this column
        for fill, reduce in ((np.inf, np.minimum), (-np.inf, np.maximum)):
            filled = np.where(missing, fill, values)
            extreme = reduce.reduceat(filled, starts)
            keep[_first_in_each_segment(np.flatnonzero(filled == extreme[segment]), segment)] = True
        if missing.any():  # a gap in the line (no test points for a while) stays a gap
            keep[_first_in_each_segment(np.flatnonzero(missing), segment)] = True
    return keep


__all__ = ["COLUMNS", "KEY_COLUMNS", "MAX_ENTRIES", "OPTIONAL_COLUMNS", "TrainingHistory"]

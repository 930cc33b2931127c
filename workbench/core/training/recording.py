"""The weight recording of one training run: snapshots on a bounded budget, for scrubbing back through it.

Why this shape: a teacher wants the moment a network "gets it", which is usually early, in a run that may go
on for millions of steps. So snapshots are dense early and sparser later, on a *geometric grid*: relative to
the run's `origin`, step ``ceil(ratio ** i)`` for i = 0, 1, 2, ... (plus the origin itself). With the
default ratio 1.05 that is every step up to about step 20, then one snapshot each 5 % more steps: about 195
snapshots for 10^5 steps, 240 for 10^6.

Bounded: a recording keeps at most `capacity` snapshots (`MAX_RECORDS`, fewer when the network is so large
that they would pass `MAX_BYTES`). When an `add` goes over it, the recording is *thinned*: the grid level goes
up by one (only every 2^level-th grid index stays; the grids nest, so the spacing stays geometric with the
ratio squared) and every snapshot off the new grid is dropped, except the first and the latest. Thinning
halves the count, so memory stays bounded for any run length. A snapshot off the grid (`add` accepts any
later step, e.g. where a command-line run ended) is kept only while it is the latest. The grid does not
depend on the seed or the data: runs of equal length record the same steps ("Compare seeds" can scrub all
of them with one slider).

Exact steps: the trainer asks `next_step()` and stops exactly there (`Trainer.step(n)` with n =
`steps_until_due(trainer.step_count)`), so the weights recorded at step k are those of a fresh run trained k
steps with the same data, seed and settings, bit for bit (splitting `Trainer.step` calls does not change
what it computes; tests/core/test_recording.py proves it).

Threads and processes: `Record`s are immutable (read-only array copies), so they may be shared. An owner
(the trainer's side) `add`s; others get `frozen()` views that never change, or mirror the owner through
`delta(...)` / `apply(...)` (only new records travel). `to_dict` / `from_dict` store a recording in a project
file, arrays as in the project format (base64 of little-endian bytes, float32 weights bit-exact).

A *branch* ("Continue from here") is a new recording that starts at a recorded step k of its parent:
`parent.branch(k)` holds the parent's record at k, has `origin` = `parent_step` = k, and records densely
after k.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from workbench.core.model.spec import NetworkSpec, SpecError
from workbench.core.training.history import COLUMNS, COUNT_COLUMNS, OPTIONAL_COLUMNS

#: Snapshots a run keeps at most: a scrubbing slider a few hundred pixels wide has no use for more.
MAX_RECORDS = 256
#: Bytes of weights a recording keeps at most: fewer records for large networks, but never fewer than
#: `MIN_RECORDS` (a 32 x 1024 network's snapshot alone is 128 MB: such a run keeps only 4).
MAX_BYTES = 64 * 2**20
MIN_RECORDS = 4
#: Growth of the grid: a snapshot every 5 % more steps (every step up to about step 20).
DEFAULT_RATIO = 1.05
#: Estimated bytes of one record besides its weights: the record object, its tuples and metrics, plus
#: `ARRAY_OVERHEAD` for each array header (tracemalloc measures 0.97-1.05x this for 2 to 8 hidden layers,
#: less for none: the estimate errs high).
RECORD_OVERHEAD = 400
ARRAY_OVERHEAD = 130
#: Version of the recording's block in a project file.
FORMAT_VERSION = 1

#: The metrics of a record: the history's columns without the counters (step and epoch are the record's own).
METRIC_NAMES = tuple(name for name in COLUMNS if name not in COUNT_COLUMNS)
#: Metrics added with regression: recordings written before them read NaN.
OPTIONAL_METRIC_NAMES = OPTIONAL_COLUMNS
_MAX_STEP = 2**63 - 1
_MAX_LEVEL = 62


def _serial_counter() -> Iterator[int]:
    """Serials unique across the processes of a session: a record made in the window (a branch, an opened
    project) travels to the training process, which adds its own to the same recording. The process id
    fills the high bits, so counters of different processes (and of forked children) never meet."""
    return itertools.count((os.getpid() << 40) + 1)


_serials = _serial_counter()


def _restart_serials() -> None:
    global _serials
    _serials = _serial_counter()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_restart_serials)

Weights = list[tuple[np.ndarray, np.ndarray]]


class RecordingError(ValueError):
    """A recording request that cannot be met (weights of another network, a step not recorded, ...)."""


class StepNotRecorded(RecordingError, LookupError):
    """`Recording.at(step)` for a step without a snapshot; the message names the nearest recorded steps."""

    def __init__(self, message: str, nearest: tuple[int, ...]) -> None:
        super().__init__(message)
        self.nearest = nearest


class RecordingFormatError(RecordingError):
    """A stored recording that cannot be loaded; the message says which part is wrong."""


def _read_only(array: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    copy = np.array(array, dtype=dtype, copy=True, order="C")
    copy.setflags(write=False)
    return copy


@dataclass(frozen=True, eq=False)
class Record:
    """The weights and metrics of one recorded step (read-only copies: safe to share between threads)."""

    step: int
    epoch: int
    weights: tuple[tuple[np.ndarray, np.ndarray], ...]  # (W (fan_in, width), b (width,)) per node 1..L+1
    train_loss: float = math.nan
    train_accuracy: float = math.nan
    test_loss: float = math.nan
    test_accuracy: float = math.nan
    train_rmse: float = math.nan
    train_r2: float = math.nan
    test_rmse: float = math.nan
    test_r2: float = math.nan
    #: Unique in the process that recorded it (a branch's copy gets a new one): mirrors match records by it.
    serial: int = field(default_factory=lambda: next(_serials), repr=False)

    @property
    def nbytes(self) -> int:
        return sum(w.nbytes + b.nbytes for w, b in self.weights)

    def weights_list(self) -> Weights:
        """The weights as the engine takes them (`Network.set_weights` copies them in)."""
        return [(w, b) for w, b in self.weights]

    def metrics(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in METRIC_NAMES}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled arrays are writable copies: make them read-only again (a record never changes)."""
        for w, b in state["weights"]:
            w.setflags(write=False)
            b.setflags(write=False)
        self.__dict__.update(state)  # the serial stays: a mirror in another process matches records by it


def weight_shapes(spec: NetworkSpec) -> list[tuple[tuple[int, int], tuple[int]]]:
    """The (W, b) shapes of a network of this spec, node 1..L+1 (the engine's weights contract)."""
    sizes = spec.layer_sizes
    return [((spec.fan_in(node), sizes[node]), (sizes[node],)) for node in range(1, len(sizes))]


def grid_step(index: int, ratio: float) -> int:
    """The i-th point of the geometric grid (relative to the origin): ceil(ratio ** i), or a step past any
    run's end where that overflows."""
    try:
        return math.ceil(ratio**index)
    except OverflowError:
        return _MAX_STEP + 1


def grid_steps(level: int, up_to: int, ratio: float = DEFAULT_RATIO) -> np.ndarray:
    """Relative steps of the grid at `level` (indices: multiples of 2**level) up to `up_to`, with 0."""
    stride = 2**level
    steps = [0]
    index = 0
    while True:
        value = grid_step(index, ratio)
        if value > up_to:
            break
        if value != steps[-1]:
            steps.append(value)
        index += stride
    return np.asarray(steps, dtype=np.int64)


def next_grid_step(after: int, level: int, ratio: float = DEFAULT_RATIO) -> int:
    """The smallest relative grid step of `level` that is greater than `after` (>= -1)."""
    if after < 0:
        return 0
    if after < 1:
        return 1  # ratio ** 0 = 1 is on every level
    stride = 2**level
    index = max(0, int(math.log(after) / math.log(ratio)) // stride * stride - stride)
    while index > 0 and grid_step(index, ratio) > after:  # float log: make sure we start at or below
        index -= stride
    while grid_step(index, ratio) <= after:
        index += stride
    return grid_step(index, ratio)


@dataclass(frozen=True)
class RecordingDelta:
    """What a mirror of a recording needs to catch up: the serials the owner keeps, the records it lacks."""

    kept: tuple[int, ...]
    new: tuple[Record, ...]
    level: int


class Recording:
    """The snapshots of one run of one network spec (see the module docstring).

    `spec` must be the trainer's spec (with the dataset's class count): weights of another shape are refused.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        *,
        origin: int = 0,
        parent_step: int | None = None,
        ratio: float = DEFAULT_RATIO,
        max_records: int = MAX_RECORDS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        if not (isinstance(ratio, float | int) and 1.0 < ratio <= 4.0):
            raise RecordingError(f"the grid ratio must be above 1 and at most 4, got {ratio!r}")
        if not 0 <= int(origin) <= _MAX_STEP:
            raise RecordingError(f"the origin must be a step of at least 0, got {origin}")
        self.spec = spec
        self.origin = int(origin)
        self.parent_step = None if parent_step is None else int(parent_step)
        self.ratio = float(ratio)
        self._shapes = weight_shapes(spec)
        self.record_nbytes = 4 * sum(w[0] * w[1] + b[0] for w, b in self._shapes)
        self.max_records = max(MIN_RECORDS, int(max_records))
        self.max_bytes = int(max_bytes)
        #: Estimated memory of one record, its arrays and their headers included.
        self.record_footprint = self.record_nbytes + RECORD_OVERHEAD + ARRAY_OVERHEAD * 2 * len(self._shapes)
        by_bytes = self.max_bytes // self.record_footprint
        #: Records kept at most: `max_records`, fewer when they would pass `max_bytes`, but at least
        #: `MIN_RECORDS` (the start, step 1 and the latest survive any thinning).
        self.capacity = max(MIN_RECORDS, min(self.max_records, by_bytes))
        self.level = 0
        self._records: list[Record] = []
        self._steps: list[int] = []
        self._frozen = False

    # --- reading ----------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Record]:
        return iter(tuple(self._records))

    def __getitem__(self, index: int) -> Record:
        return self._records[index]

    @property
    def records(self) -> tuple[Record, ...]:
        return tuple(self._records)

    @property
    def steps(self) -> np.ndarray:
        """The recorded steps, ascending (int64, read-only)."""
        steps = np.asarray(self._steps, dtype=np.int64)
        steps.setflags(write=False)
        return steps

    @property
    def first(self) -> Record | None:
        return self._records[0] if self._records else None

    @property
    def latest(self) -> Record | None:
        return self._records[-1] if self._records else None

    @property
    def nbytes(self) -> int:
        """Estimated memory of the recording: the weight arrays plus a small overhead per record."""
        return len(self._records) * self.record_footprint

    @property
    def max_nbytes(self) -> int:
        """The most `nbytes` can ever be for this spec (capacity records)."""
        return self.capacity * self.record_footprint

    @property
    def is_frozen(self) -> bool:
        return self._frozen

    def at(self, step: int) -> Record:
        """The record of exactly `step`; StepNotRecorded (naming the nearest recorded steps) otherwise."""
        step = int(step)
        index = bisect.bisect_left(self._steps, step)
        if index < len(self._steps) and self._steps[index] == step:
            return self._records[index]
        nearest = tuple(self._steps[i] for i in (index - 1, index) if 0 <= i < len(self._steps))
        if not nearest:
            raise StepNotRecorded(f"step {step} is not recorded: the recording is empty", ())
        names = " and ".join(f"{s:,}" for s in nearest)
        word = "steps are" if len(nearest) > 1 else "step is"
        raise StepNotRecorded(f"step {step:,} is not recorded; the nearest recorded {word} {names}", nearest)

    def nearest(self, step: int) -> Record:
        """The record closest to `step` (the earlier one on a tie); RecordingError when empty."""
        if not self._records:
            raise RecordingError("the recording is empty")
        index = bisect.bisect_left(self._steps, int(step))
        candidates = [i for i in (index - 1, index) if 0 <= i < len(self._steps)]
        best = min(candidates, key=lambda i: (abs(self._steps[i] - int(step)), self._steps[i]))
        return self._records[best]

    def at_or_before(self, step: int) -> Record | None:
        """The latest record at or before `step` (what a timeline shows for a step between records)."""
        index = bisect.bisect_right(self._steps, int(step))
        return self._records[index - 1] if index else None

    # --- the schedule -----------------------------------------------------------------------------------
    def next_step(self) -> int:
        """The step at which the next snapshot is due: the origin when empty, else the next grid step."""
        if not self._steps:
            return self.origin
        relative = next_grid_step(self._steps[-1] - self.origin, self.level, self.ratio)
        return self.origin + relative

    def steps_until_due(self, current_step: int) -> int:
        """How many steps to train before the next snapshot (0: record now)."""
        return max(0, self.next_step() - int(current_step))

    def is_due(self, current_step: int) -> bool:
        return self.steps_until_due(current_step) == 0

    # --- writing ----------------------------------------------------------------------------------------
    def add(
        self,
        step: int,
        epoch: int,
        weights: Sequence[tuple[np.ndarray, np.ndarray]],
        metrics: Any = None,
    ) -> Record:
        """Record `weights` (copied, read-only) at `step`, after the latest record; thins when over capacity.

        `metrics` is a `Metrics`, a mapping or None (NaN). Any step after the latest one is accepted (a pause
        between grid steps records where it stopped); steps off the grid go at the next thinning unless they
        are the first or the latest.
        """
        self._check_writable()
        step, epoch = int(step), int(epoch)
        if step > _MAX_STEP:
            raise RecordingError(f"step {step} is beyond any run's length")
        if step < self.origin:
            raise RecordingError(f"step {step} comes before the recording's start (step {self.origin})")
        if self._steps and step <= self._steps[-1]:
            raise RecordingError(f"step {step} is not after the latest recorded step {self._steps[-1]}")
        if epoch < 0:
            raise RecordingError(f"the epoch must be at least 0, got {epoch}")
        record = Record(step, epoch, self._checked_weights(weights), **_metric_values(metrics))
        self._append(record)
        return record

    def _append(self, record: Record) -> None:
        if len(self._steps) > 1 and not self._on_grid(self._steps[-1]):
            del self._records[-1], self._steps[-1]  # kept only while it was the latest
        self._records.append(record)
        self._steps.append(record.step)
        while len(self._records) > self.capacity and self.level < _MAX_LEVEL:
            self._thin()

    def _checked_weights(
        self, weights: Sequence[tuple[np.ndarray, np.ndarray]]
    ) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        try:
            pairs = [(np.asarray(w), np.asarray(b)) for w, b in weights]
        except (TypeError, ValueError):
            raise RecordingError("weights must be a list of (W, b) pairs") from None
        got = [(w.shape, b.shape) for w, b in pairs]
        if got != self._shapes:
            raise RecordingError(
                f"these weights have shapes {got}, but this recording belongs to a network with shapes "
                f"{self._shapes}: start a new recording for a new network"
            )
        checked = []
        for node, (w, b) in enumerate(pairs, start=1):
            if not (np.isfinite(w).all() and np.isfinite(b).all()):
                raise RecordingError(f"the weights of node {node} contain NaN or infinity")
            checked.append((_read_only(w), _read_only(b)))
        return tuple(checked)

    def _on_grid(self, step: int) -> bool:
        relative = step - self.origin
        return relative >= 0 and next_grid_step(relative - 1, self.level, self.ratio) == relative

    def _thin(self) -> None:
        """One level up: keep the records on the coarser grid, and the first and the latest."""
        self.level += 1
        last = self._steps[-1]
        grid = set(grid_steps(self.level, last - self.origin, self.ratio).tolist())
        keep = [
            i
            for i, step in enumerate(self._steps)
            if i == 0 or i == len(self._steps) - 1 or (step - self.origin) in grid
        ]
        self._records = [self._records[i] for i in keep]
        self._steps = [self._steps[i] for i in keep]

    def cut_after(self, step: int) -> None:
        """Forget the records after `step` (training diverged and went back there)."""
        self._check_writable()
        index = bisect.bisect_right(self._steps, int(step))
        del self._records[index:], self._steps[index:]

    def _check_writable(self) -> None:
        if self._frozen:
            raise RecordingError("a frozen recording cannot change; record into its owner")

    # --- sharing ----------------------------------------------------------------------------------------
    def _empty_like(self) -> Recording:
        other = Recording.__new__(Recording)
        other.__dict__.update(self.__dict__)
        other._records, other._steps, other._frozen = [], [], False
        return other

    def blank(self) -> Recording:
        """An empty writable recording of the same network, origin, grid and budget: what a mirror in another
        process starts from before it `apply`s the owner's deltas."""
        other = self._empty_like()
        other.level = 0
        return other

    def frozen(self) -> Recording:
        """A read-only view that never changes (shares the immutable records; no weights are copied).

        Call it on the owner's thread (like `Trainer.snapshot`) and hand the view over."""
        if self._frozen:
            return self
        view = self._empty_like()
        view._records, view._steps = list(self._records), list(self._steps)
        view._frozen = True
        return view

    def copy(self) -> Recording:
        """A writable recording with the same records (shared: they are immutable)."""
        other = self._empty_like()
        other._records, other._steps = list(self._records), list(self._steps)
        return other

    def resized(self, max_records: int = MAX_RECORDS, max_bytes: int = MAX_BYTES) -> Recording:
        """A writable copy with another budget, thinned as a run would be if it is over it (e.g. a smaller
        budget for a project file than for the open window)."""
        other = Recording(
            self.spec,
            origin=self.origin,
            parent_step=self.parent_step,
            ratio=self.ratio,
            max_records=max_records,
            max_bytes=max_bytes,
        )
        other.level = self.level
        other._records, other._steps = list(self._records), list(self._steps)
        while len(other._records) > other.capacity and other.level < _MAX_LEVEL:
            other._thin()
        return other

    def delta(self, known: Recording | Iterable[int] | None = None) -> RecordingDelta:
        """What a mirror lacks to equal this recording; `known` is the mirror, or the serials it holds
        (`RecordingDelta.kept` of the last delta sent), so the owner need not keep a mirror itself."""
        have = {r.serial for r in known._records} if isinstance(known, Recording) else set(known or ())
        return RecordingDelta(
            kept=tuple(r.serial for r in self._records),
            new=tuple(r for r in self._records if r.serial not in have),
            level=self.level,
        )

    def apply(self, delta: RecordingDelta) -> None:
        """Make this mirror equal the owner that produced `delta` (records it no longer keeps go)."""
        self._check_writable()
        by_serial = {r.serial: r for r in self._records}
        by_serial.update((r.serial, r) for r in delta.new)
        missing = [s for s in delta.kept if s not in by_serial]
        if missing:
            raise RecordingError("this delta belongs to another mirror: records are missing")
        self._records = [by_serial[s] for s in delta.kept]
        self._steps = [r.step for r in self._records]
        self.level = delta.level

    def branch(self, step: int) -> Recording:
        """A new recording for "Continue from here": it starts with this recording's record at `step`
        (StepNotRecorded otherwise) and records densely after it."""
        record = self.at(step)
        branch = Recording(
            self.spec,
            origin=record.step,
            parent_step=record.step,
            ratio=self.ratio,
            max_records=self.max_records,
            max_bytes=self.max_bytes,
        )
        branch._append(replace(record, serial=next(_serials)))
        return branch

    # --- storing ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: counters and metrics as columns, each node's W and b stacked over the records."""
        n = len(self._records)
        weights = []
        for node, ((w_shape, b_shape)) in enumerate(self._shapes):
            stacked_w = np.empty((n, *w_shape), np.float32)
            stacked_b = np.empty((n, *b_shape), np.float32)
            for i, record in enumerate(self._records):
                stacked_w[i], stacked_b[i] = record.weights[node]
            weights.append(
                {"W": _encode_array(stacked_w, "float32"), "b": _encode_array(stacked_b, "float32")}
            )
        columns = {
            "step": _encode_array(np.asarray(self._steps, np.int64), "int64"),
            "epoch": _encode_array(np.asarray([r.epoch for r in self._records], np.int64), "int64"),
        }
        for name in METRIC_NAMES:
            values = np.asarray([getattr(r, name) for r in self._records], np.float64)
            columns[name] = _encode_array(values, "float64")
        return {
            "format_version": FORMAT_VERSION,
            "network": self.spec.to_dict(),
            "origin": self.origin,
            "parent_step": self.parent_step,
            "ratio": self.ratio,
            "level": self.level,
            "columns": columns,
            "weights": weights,
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        spec: NetworkSpec | None = None,
        *,
        max_records: int = MAX_RECORDS,
        max_bytes: int = MAX_BYTES,
    ) -> Recording:
        """Validate and load `to_dict()` output; RecordingFormatError names what is wrong.

        With `spec`, the stored network must be that one (a project's recording belongs to its network). A
        recording with more records than this program keeps is thinned as a run would be.
        """
        try:
            return _decode(data, spec, max_records, max_bytes)
        except _Invalid as exc:
            raise RecordingFormatError(f"damaged recording: {exc}") from None
        except OverflowError:
            raise RecordingFormatError("damaged recording: a number in it is far out of range") from None


def _metric_values(metrics: Any) -> dict[str, float]:
    if metrics is None:
        return {}
    try:
        if isinstance(metrics, Mapping):
            return {name: float(metrics.get(name, math.nan)) for name in METRIC_NAMES}
        return {name: float(getattr(metrics, name, math.nan)) for name in METRIC_NAMES}
    except (TypeError, ValueError, AttributeError):
        raise RecordingError(f"metrics must have {', '.join(METRIC_NAMES)} as numbers") from None


# ------------------------------------------------------------------------------------------------------------
# Arrays in the project file's layout (see docs/project-format.md, "Arrays"): base64 of little-endian bytes.
_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8"), "int64": np.dtype("<i8")}


class _Invalid(Exception):
    """Internal: a validation failure; becomes RecordingFormatError."""


def _encode_array(array: np.ndarray, dtype: str) -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype=_DTYPES[dtype])
    return {
        "dtype": dtype,
        "shape": list(data.shape),
        "data": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def _decode_array(value: Any, dtype: str, where: str, shape: tuple[int, ...]) -> np.ndarray:
    """One array record of exactly `shape`, checking the byte count before decoding."""
    if not isinstance(value, Mapping):
        raise _Invalid(f"{where} is not an array record")
    if value.get("dtype") != dtype:
        raise _Invalid(f"{where} must have dtype {dtype}")
    dims = value.get("shape")
    if not isinstance(dims, list) or [d for d in dims if isinstance(d, bool) or not isinstance(d, int)]:
        raise _Invalid(f"{where} has no valid shape")
    if tuple(dims) != shape:
        raise _Invalid(f"{where} has shape {tuple(dims)}, expected {shape}")
    data = value.get("data")
    if not isinstance(data, str):
        raise _Invalid(f"{where} has no data")
    size = math.prod(shape) * _DTYPES[dtype].itemsize
    if len(data) != 4 * ((size + 2) // 3):
        raise _Invalid(f"{where}: data length does not match shape {shape}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{where}: data is not valid base64") from None
    if len(raw) != size:
        raise _Invalid(f"{where}: data length does not match shape {shape}")
    return np.frombuffer(raw, dtype=_DTYPES[dtype]).reshape(shape).astype(_DTYPES[dtype].newbyteorder("="))


def _whole(data: Mapping[str, Any], key: str, low: int, high: int, optional: bool = False) -> int | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Invalid(f"{key!r} must be a whole number from {low} to {high}")
    return value


def _decode(data: Mapping[str, Any], spec: NetworkSpec | None, max_records: int, max_bytes: int) -> Recording:
    if not isinstance(data, Mapping):
        raise _Invalid("the recording is not a JSON object")
    version = _whole(data, "format_version", 1, 2**31)
    if version is not None and version > FORMAT_VERSION:
        raise _Invalid(f"made by a newer Workbench (recording version {version}); please update Workbench")
    network = data.get("network")
    if not isinstance(network, Mapping):
        raise _Invalid("'network' is missing or is not a JSON object")
    try:
        stored = NetworkSpec.from_dict(dict(network))
    except SpecError as exc:
        raise _Invalid(str(exc)) from None
    if spec is not None and stored.to_dict() != spec.to_dict():
        raise _Invalid("it belongs to another network than the project's")
    origin = _whole(data, "origin", 0, _MAX_STEP)
    parent_step = _whole(data, "parent_step", 0, _MAX_STEP, optional=True)
    level = _whole(data, "level", 0, _MAX_LEVEL)
    ratio = data.get("ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, float | int) or not 1.0 < ratio <= 4.0:
        raise _Invalid("'ratio' must be a number above 1 and at most 4")
    columns = data.get("columns")
    if not isinstance(columns, Mapping):
        raise _Invalid("'columns' is missing or is not a JSON object")
    steps_record = columns.get("step")
    shape = steps_record.get("shape") if isinstance(steps_record, Mapping) else None
    if (
        not isinstance(shape, list)
        or len(shape) != 1
        or isinstance(shape[0], bool)
        or not isinstance(shape[0], int)
    ):
        raise _Invalid("'columns.step' has no valid shape")
    n = shape[0]
    if not 0 <= n <= 1_000_000:
        raise _Invalid("'columns.step' has an impossible length")
    steps = _decode_array(steps_record, "int64", "columns.step", (n,))
    epochs = _decode_array(columns.get("epoch"), "int64", "columns.epoch", (n,))
    metrics = {
        name: np.full(n, np.nan)
        if name in OPTIONAL_METRIC_NAMES and name not in columns  # written before regression
        else _decode_array(columns.get(name), "float64", f"columns.{name}", (n,))
        for name in METRIC_NAMES
    }
    assert origin is not None and level is not None
    if n and (steps[0] < origin or (np.diff(steps) <= 0).any()):
        raise _Invalid("the recorded steps must rise and start at or after the origin")
    if (epochs < 0).any():
        raise _Invalid("the recorded epochs must not be negative")
    shapes = weight_shapes(stored)
    layers = data.get("weights")
    if not isinstance(layers, list) or len(layers) != len(shapes):
        raise _Invalid(f"'weights' must be a list of {len(shapes)} nodes for this network")
    stacked = []
    for node, (layer, (w_shape, b_shape)) in enumerate(zip(layers, shapes, strict=True), start=1):
        if not isinstance(layer, Mapping):
            raise _Invalid(f"the weights of node {node} are not a JSON object")
        w = _decode_array(layer.get("W"), "float32", f"node {node} W", (n, *w_shape))
        b = _decode_array(layer.get("b"), "float32", f"node {node} b", (n, *b_shape))
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise _Invalid(f"the weights of node {node} contain NaN or infinity")
        stacked.append((w, b))
    recording = Recording(
        stored,
        origin=origin,
        parent_step=parent_step,
        ratio=float(ratio),
        max_records=max_records,
        max_bytes=max_bytes,
    )
    recording.level = level
    for i in range(n):
        weights = tuple((_read_only(w[i]), _read_only(b[i])) for w, b in stacked)
        values = {name: float(metrics[name][i]) for name in METRIC_NAMES}
        recording._append(Record(int(steps[i]), int(epochs[i]), weights, **values))
    return recording


__all__ = [
    "DEFAULT_RATIO",
    "MAX_BYTES",
    "MAX_RECORDS",
    "Record",
    "Recording",
    "RecordingDelta",
    "RecordingError",
    "RecordingFormatError",
    "StepNotRecorded",
    "grid_step",
    "grid_steps",
    "next_grid_step",
    "weight_shapes",
]

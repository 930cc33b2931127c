"""The project file (``.wbproj``): one JSON document holding a whole session.

It stores the dataset (points, labels or target values, class names, split keys, test fraction, split seed),
the network spec (with its task),
the training settings, the weights, the optimizer state, the loss history, the step/epoch counters and the
run's weight recording (version 3), so reopening a project continues training exactly where it stopped and
can still scrub back through the run. The layout is documented in
docs/project-format.md; arrays are base64 of their little-endian bytes, which keeps float32 weights
bit-exact and files compact while staying readable from any language.

Files are written atomically (`workbench.core.files.atomic`). `load_project` is the only way in and validates
everything: any problem, including a file from a newer Workbench, raises `ProjectFormatError` with a message
that says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench import __version__
from workbench.core import limits
from workbench.core.controls import ClassroomControls
from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.files.atomic import atomic_write_bytes
from workbench.core.model.spec import NetworkSpec, SpecError, TrainingSettings
from workbench.core.training.gradient_flow import GradientFlow
from workbench.core.training.history import (
    COLUMNS,
    COUNT_COLUMNS,
    MAX_ENTRIES,
    OPTIONAL_COLUMNS,
    TrainingHistory,
)
from workbench.core.training.recording import Recording, RecordingFormatError

if TYPE_CHECKING:
    from workbench.core.training.trainer import Trainer

FORMAT_NAME = "workbench-project"
#: 2 added the network's connections and residual links (and weights whose W stacks one block per source);
#: 3 added the run's weight recording (`state.recording`); 4 added regression (`dataset.targets`, the spec's
#: "task"), so an older Workbench refuses a regression project instead of reading its values as classes.
#: Older files open unchanged (classification, without a recording before 3).
FORMAT_VERSION = 4
#: Bytes of recorded weights a file keeps at most (the window keeps up to `recording.MAX_BYTES`): base64
#: makes that ~21 MB of text at most; a small network's full recording of 256 records is far below it.
FILE_RECORDING_BYTES = 16 * 2**20
EXTENSION = ".wbproj"

Weights = list[tuple[np.ndarray, np.ndarray]]

_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8"), "int64": np.dtype("<i8")}
_MAX_SEED = int(limits.SEED.maximum)
_MAX_COORDINATE = limits.MAX_COORDINATE  # the networks compute in float32


class ProjectFormatError(ValueError):
    """A project file that cannot be loaded; the message says why (and which part of the file)."""


@dataclass(frozen=True, eq=False)
class Project:
    """Everything a session needs to continue: data, network, settings and the training state.

    `history` is a `TrainingHistory` (a sequence of `Metrics` is converted; at most `MAX_ENTRIES` entries).
    """

    dataset: Dataset
    spec: NetworkSpec
    settings: TrainingSettings
    weights: Weights | None = None
    optimizer_state: Any = None
    history: TrainingHistory = field(default_factory=lambda: TrainingHistory().frozen())
    step: int = 0
    epoch: int = 0
    shuffle_state: dict[str, Any] | None = None
    #: The run's weight recording (`workbench.core.training.recording`), None when there is none.
    recording: Recording | None = None
    #: Controls the window hides or locks when it opens the project (a teacher's classroom mode).
    classroom: ClassroomControls = field(default_factory=ClassroomControls)
    #: The run's gradient flow (per-layer ‖∂L/∂W‖ and ‖ΔW‖/‖W‖ over the steps), None when not measured.
    gradients: GradientFlow | None = None

    def __post_init__(self) -> None:
        history = TrainingHistory.coerce(self.history)
        if len(history) > MAX_ENTRIES:
            history = history.copy(MAX_ENTRIES).frozen()
        object.__setattr__(self, "history", history)

    @classmethod
    def from_trainer(cls, trainer: Trainer, recording: Recording | None = None) -> Project:
        """Capture a trainer's dataset, spec, settings, weights, optimizer state, history and gradient flow
        (and the `recording` of its run, if it was recorded)."""
        snapshot = trainer.snapshot(with_history=False)
        return cls(
            dataset=trainer.dataset,
            spec=trainer.spec,
            settings=trainer.settings,
            weights=[(np.array(w, np.float32), np.array(b, np.float32)) for w, b in snapshot.weights],
            optimizer_state=trainer.optimizer_state(),
            history=trainer.history,
            step=int(snapshot.step),
            epoch=int(snapshot.epoch),
            shuffle_state=trainer.shuffle_state(),
            recording=recording,
            gradients=trainer.gradient_flow,
        )

    def make_trainer(self) -> Trainer:
        """A trainer that continues from this project (same weights, optimizer state, history and step)."""
        from workbench.core.training.trainer import Trainer

        trainer = Trainer(self.dataset, self.spec, self.settings, weights=self.weights)
        if self.optimizer_state is not None and self.weights is not None:
            trainer.load_optimizer_state(self.optimizer_state)
        if self.weights is not None:
            trainer.set_progress(self.step, self.epoch, self.history, self.gradients)
            if self.shuffle_state is not None:
                trainer.load_shuffle_state(self.shuffle_state)
        return trainer


# ------------------------------------------------------------------------------------------------------------
# writing


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write `project` to `path` atomically; raises OSError (the old file stays intact) on failure."""
    atomic_write_bytes(path, project_to_bytes(project))


def project_to_bytes(project: Project) -> bytes:
    """The file content `save_project` writes (strict JSON, UTF-8).

    Raises ProjectFormatError instead when `load_project` would refuse the result (for example weights that
    do not fit the spec), so a file that was saved can always be opened again.
    """
    _check_savable(project)
    dataset = project.dataset
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_by": f"Workbench {__version__}",
        "dataset": {
            "class_names": list(dataset.class_names),
            "test_fraction": dataset.test_fraction,
            "split_seed": dataset.split_seed,
            "points": _encode_array(dataset.points, "float64"),
            "labels": _encode_array(dataset.labels, "int64"),
            "split_keys": _encode_array(dataset.split_keys, "float64"),
            **({} if dataset.targets is None else {"targets": _encode_array(dataset.targets, "float64")}),
        },
        "network": project.spec.to_dict(),
        "training": project.settings.to_dict(),
        "state": {
            "step": int(project.step),
            "epoch": int(project.epoch),
            "weights": None
            if project.weights is None
            else [
                {"W": _encode_array(w, "float32"), "b": _encode_array(b, "float32")}
                for w, b in project.weights
            ],
            "optimizer": _encode_tree(project.optimizer_state),
            "history": _encode_history(project.history),
            "shuffle": _check_shuffle_state(project.shuffle_state, "cannot save the project"),
            "recording": _encode_recording(project.recording),
            **({} if not project.gradients else {"gradients": _encode_gradients(project.gradients)}),
        },
        **({"classroom": project.classroom.to_dict()} if project.classroom else {}),
    }
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1)
    return (_LEAF_LIST.sub(_join_lines, text) + "\n").encode("utf-8")


#: A list without nested lists or objects; `_join_lines` puts it on one line for readability.
_LEAF_LIST = re.compile(r"\[[^\[\]{}]*\]")


def _join_lines(match: re.Match[str]) -> str:
    # Only the newlines json.dumps inserted are removed: JSON strings never contain a raw newline.
    return re.sub(r"\n\s*", "", re.sub(r",\n\s*", ", ", match.group(0)))


def _check_savable(project: Project) -> None:
    try:
        spec = project.spec.validate()
        project.settings.validate()
        if spec.task != project.dataset.task:
            raise _Invalid(_task_mismatch(spec, project.dataset))
        if not spec.is_regression and spec.n_classes != project.dataset.n_classes:
            n_classes = project.dataset.n_classes
            raise _Invalid(
                f"the network has {spec.n_classes} outputs but the dataset has {n_classes} classes"
            )
        if project.weights is not None:
            shapes = _weight_shapes(spec)
            got = [(np.shape(w), np.shape(b)) for w, b in project.weights]
            if got != shapes:
                raise _Invalid(f"the weights have shapes {got}, the network needs {shapes}")
            if not all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in project.weights):
                raise _Invalid("the weights contain NaN or infinity")
        recording = project.recording
        if recording is not None and len(recording):
            if project.weights is None:
                raise _Invalid("there is a weight recording but no weights")
            if recording.spec.to_dict() != spec.to_dict():
                raise _Invalid("the weight recording belongs to another network")
            if recording.latest is not None and recording.latest.step > project.step:
                raise _Invalid(f"the weight recording goes past step {project.step}")
        state = project.optimizer_state
        if state is not None:
            state = {
                k: np.asarray(v, np.float32) if isinstance(v, np.ndarray) else v for k, v in state.items()
            }
            _check_optimizer_state(state, spec, project.settings)
    except (_Invalid, SpecError) as exc:
        raise ProjectFormatError(f"cannot save the project: {exc}") from None


def _encode_recording(recording: Recording | None) -> dict[str, Any] | None:
    """The recording within the file's budget (thinned as a longer run would be when it is over it)."""
    if recording is None or not len(recording):
        return None
    return recording.resized(max_bytes=FILE_RECORDING_BYTES).to_dict()


def _encode_array(array: np.ndarray, dtype: str) -> dict[str, Any]:
    data = np.ascontiguousarray(array, dtype=_DTYPES[dtype])
    return {
        "dtype": dtype,
        "shape": list(data.shape),
        "data": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def _encode_tree(value: Any) -> Any:
    """JSON for nested dicts/lists of numbers, text and arrays (arrays and non-finite floats are tagged)."""
    if isinstance(value, np.ndarray):
        kind = "float32" if value.dtype == np.float32 else "int64" if value.dtype.kind in "iub" else "float64"
        return {"$array": _encode_array(value, kind)}
    if isinstance(value, dict):
        return {str(key): _encode_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_tree(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"$float": repr(value)}
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a project file")


def _encode_gradients(flow: GradientFlow) -> dict[str, Any]:
    return {
        "steps": _encode_array(flow.steps, "int64"),
        "grad_norms": _encode_array(flow.grad_norms, "float64"),
        "update_ratios": _encode_array(flow.update_ratios, "float64"),
    }


def _encode_history(history: TrainingHistory) -> dict[str, Any]:
    return {
        name: _encode_array(history.column(name), "int64" if name in COUNT_COLUMNS else "float64")
        for name in COLUMNS
    }


# ------------------------------------------------------------------------------------------------------------
# reading


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read and validate a project file; raises ProjectFormatError for anything that is not usable."""
    if os.path.exists(path) and not os.path.isfile(path):  # a FIFO would block the read forever
        raise ProjectFormatError(f"cannot read {os.fspath(path)!r}: not a regular file")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ProjectFormatError(f"cannot read {os.fspath(path)!r}: {exc.strerror or exc}") from None
    return project_from_bytes(data)


def project_from_bytes(data: bytes) -> Project:
    """Validate and decode the content of a project file (see `load_project`)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectFormatError("not a Workbench project: the file is not UTF-8 text") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProjectFormatError(
            f"not a Workbench project: the file is not valid JSON ({_short(exc)})"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ProjectFormatError("not a Workbench project file")
    version = document.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectFormatError("the project file has no valid format_version")
    if version > FORMAT_VERSION:
        raise ProjectFormatError(
            f"this project was made by a newer Workbench (format version {version}; this one reads up to "
            f"version {FORMAT_VERSION}); please update Workbench"
        )
    try:
        return _decode_document(document)
    except _Invalid as exc:
        raise ProjectFormatError(f"damaged project file: {exc}") from None
    except OverflowError:
        raise ProjectFormatError("damaged project file: a number in it is far out of range") from None


class _Invalid(Exception):
    """Internal: a validation failure; turned into ProjectFormatError with context."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _short(exc: BaseException) -> str:
    return str(exc)[:120] or type(exc).__name__


def _decode_document(document: dict[str, Any]) -> Project:
    dataset = _decode_dataset(_get(document, "dataset", dict))
    network = _get(document, "network", dict)
    training = _get(document, "training", dict)
    try:
        spec = NetworkSpec.from_dict(network)
        settings = TrainingSettings.from_dict(training)
    except (SpecError, OverflowError) as exc:
        raise _Invalid(_short(exc)) from None
    if not 0 <= settings.seed <= _MAX_SEED:
        raise _Invalid(f"training seed must be between 0 and {_MAX_SEED}")
    if spec.task != dataset.task:
        raise _Invalid(_task_mismatch(spec, dataset))
    if not spec.is_regression and spec.n_classes != dataset.n_classes:
        raise _Invalid(
            f"the network has {spec.n_classes} outputs but the dataset has {dataset.n_classes} classes"
        )
    state = _get(document, "state", dict)
    step = _count(_get(state, "step", int), "state.step")
    epoch = _count(_get(state, "epoch", int), "state.epoch")
    weights = _decode_weights(state.get("weights"), spec)
    optimizer_state = _check_optimizer_state(
        _decode_tree(state.get("optimizer"), "optimizer"), spec, settings
    )
    history = _decode_history(_get(state, "history", dict))
    shuffle = _check_shuffle_state(state.get("shuffle"), "damaged project file")
    recording = _decode_recording(state.get("recording"), spec, step) if weights is not None else None
    try:  # optional: an older Workbench ignores it (the project opens with every control available)
        classroom = ClassroomControls.from_dict(document.get("classroom", {}))
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    gradients = _decode_gradients(state.get("gradients"), spec, step) if weights is not None else None
    return Project(
        dataset,
        spec,
        settings,
        weights,
        optimizer_state,
        history,
        step,
        epoch,
        shuffle,
        recording,
        classroom,
        gradients,
    )


def _decode_gradients(value: Any, spec: NetworkSpec, step: int) -> GradientFlow | None:
    """`state.gradients` (optional: files without it, or older ones, start an empty gradient plot)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Invalid("state.gradients must be an object")
    layers = spec.output_node  # one row entry per Linear: hidden layers and the output
    steps = _decode_array(value.get("steps"), "int64", "state.gradients.steps", (None,))
    n = len(steps)
    where = "state.gradients"
    norms = _decode_array(value.get("grad_norms"), "float64", f"{where}.grad_norms", (n, layers))
    ratios = _decode_array(value.get("update_ratios"), "float64", f"{where}.update_ratios", (n, layers))
    if n and ((np.diff(steps) < 0).any() or steps[0] < 0 or steps[-1] > step):
        raise _Invalid("state.gradients.steps must rise from 0 up to the project's step")
    for name, array in (("grad_norms", norms), ("update_ratios", ratios)):
        if (array[np.isfinite(array)] < 0).any() or np.isinf(array).any():
            raise _Invalid(f"state.gradients.{name} must be norms: not negative, not infinite")
    return GradientFlow.from_rows(steps, norms, ratios)


def _task_mismatch(spec: NetworkSpec, dataset: Dataset) -> str:
    has = "target values" if dataset.is_regression else "classes"
    return f"the network is for {spec.task} but the dataset has {has}"


def _decode_recording(value: Any, spec: NetworkSpec, step: int) -> Recording | None:
    """`state.recording` (version 3; absent or null: none), validated by the recording itself."""
    if value is None:
        return None
    try:
        recording = Recording.from_dict(value, spec)
    except RecordingFormatError as exc:
        raise _Invalid(f"state.recording: {str(exc).removeprefix('damaged recording: ')}") from None
    if recording.latest is not None and recording.latest.step > step:
        raise _Invalid(f"state.recording goes past state.step ({recording.latest.step:,} > {step:,})")
    return recording.frozen()


def _get(container: dict[str, Any], key: str, kind: type) -> Any:
    value = container.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Invalid(f"{key!r} is missing or is not a {_KIND_NAMES[kind]}")
    return value


_KIND_NAMES = {dict: "JSON object", list: "list", int: "whole number", str: "text", float: "number"}


def _count(value: int, where: str) -> int:
    if not 0 <= value <= _MAX_SEED:
        raise _Invalid(f"{where} must be a whole number of at least 0")
    return value


def _decode_array(
    value: Any, dtype: str, where: str, shape: tuple[int | None, ...] | None = None
) -> np.ndarray:
    """Decode one array record, checking dtype, shape (None = any length) and byte count before allocating."""
    if not isinstance(value, dict):
        raise _Invalid(f"{where} is not an array record")
    if value.get("dtype") != dtype:
        raise _Invalid(f"{where} must have dtype {dtype}")
    dims = value.get("shape")
    if not isinstance(dims, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims
    ):
        raise _Invalid(f"{where} has no valid shape")
    if shape is not None and (
        len(dims) != len(shape)
        or any(want is not None and want != got for want, got in zip(shape, dims, strict=True))
    ):
        raise _Invalid(
            f"{where} has shape {tuple(dims)}, expected {tuple('n' if s is None else s for s in shape)}"
        )
    data = value.get("data")
    if not isinstance(data, str):
        raise _Invalid(f"{where} has no data")
    itemsize = _DTYPES[dtype].itemsize
    count = math.prod(dims)
    if len(data) != 4 * ((count * itemsize + 2) // 3):
        raise _Invalid(f"{where}: data length does not match shape {tuple(dims)}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _Invalid(f"{where}: data is not valid base64") from None
    if len(raw) != count * itemsize:
        raise _Invalid(f"{where}: data length does not match shape {tuple(dims)}")
    return np.frombuffer(raw, dtype=_DTYPES[dtype]).reshape(dims).astype(_DTYPES[dtype].newbyteorder("="))


def _decode_dataset(data: dict[str, Any]) -> Dataset:
    names = _get(data, "class_names", list)
    if not all(isinstance(n, str) for n in names):
        raise _Invalid("dataset class names must be text")
    fraction = data.get("test_fraction")
    if not limits.TEST_FRACTION.contains(fraction):
        raise _Invalid(f"dataset: {limits.TEST_FRACTION.message}")
    split_seed = _count(_get(data, "split_seed", int), "dataset split_seed")
    points = _decode_array(data.get("points"), "float64", "dataset points", (None, 2))
    if (np.abs(points) > _MAX_COORDINATE).any():  # NaN is caught by Dataset itself
        raise _Invalid("dataset points must be finite and within float32 range")
    n = len(points)
    if not limits.POINTS.contains(n):
        raise _Invalid(f"dataset: {limits.POINTS.message}")
    labels = _decode_array(data.get("labels"), "int64", "dataset labels", (n,))
    keys = _decode_array(data.get("split_keys"), "float64", "dataset split_keys", (n,))
    if not (np.isfinite(keys).all() and (keys >= 0).all() and (keys <= 1).all()):
        raise _Invalid("dataset split keys must lie between 0 and 1")
    targets = None
    if data.get("targets") is not None:  # version 4: regression
        targets = _decode_array(data.get("targets"), "float64", "dataset targets", (n,))
        if not (np.abs(targets) <= _MAX_COORDINATE).all():
            raise _Invalid("dataset targets must be finite and within float32 range")
    try:
        return Dataset(points, labels, tuple(names), keys, float(fraction), split_seed, targets)
    except DatasetFormatError as exc:
        raise _Invalid(f"dataset: {exc}") from None


def _weight_shapes(spec: NetworkSpec) -> list[tuple[tuple[int, int], tuple[int]]]:
    """(W, b) shapes per Linear, node 1..L+1: W stacks one block of rows per source (`spec.sources`)."""
    sizes = spec.layer_sizes
    return [((spec.fan_in(node), sizes[node]), (sizes[node],)) for node in range(1, spec.output_node + 1)]


def _decode_weights(value: Any, spec: NetworkSpec) -> Weights | None:
    if value is None:
        return None
    shapes = _weight_shapes(spec)
    if not isinstance(value, list) or len(value) != len(shapes):
        raise _Invalid(f"weights must be a list of {len(shapes)} layers for this network")
    weights = []
    for i, (layer, (w_shape, b_shape)) in enumerate(zip(value, shapes, strict=True), start=1):
        if not isinstance(layer, dict):
            raise _Invalid(f"weights of layer {i} are not a JSON object")
        w = _decode_array(layer.get("W"), "float32", f"layer {i} W", w_shape)
        b = _decode_array(layer.get("b"), "float32", f"layer {i} b", b_shape)
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise _Invalid(f"weights of layer {i} contain NaN or infinity")
        weights.append((w, b))
    return weights


def _decode_tree(value: Any, where: str, depth: int = 0) -> Any:
    if depth > 20:
        raise _Invalid(f"{where} is nested too deeply")
    if isinstance(value, dict):
        if set(value) == {"$array"}:
            record = value["$array"]
            dtype = record.get("dtype") if isinstance(record, dict) else None
            if not isinstance(dtype, str) or dtype not in _DTYPES:
                raise _Invalid(f"{where}: unknown array dtype")
            return _decode_array(record, dtype, where)
        if set(value) == {"$float"}:
            if value["$float"] not in ("nan", "inf", "-inf"):
                raise _Invalid(f"{where}: unknown special float")
            return float(value["$float"])
        return {key: _decode_tree(item, f"{where}.{key}", depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_tree(item, where, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(f"{where}: number out of range")
    return value


def _check_optimizer_state(
    state: Any, spec: NetworkSpec, settings: TrainingSettings
) -> dict[str, Any] | None:
    """The optimizer state must be exactly what the trainer's optimizer would save for this network."""
    if state is None:
        return None
    from workbench.core.model.engine.optimizers import make_optimizer

    n = spec.n_parameters
    blank = np.zeros(n, dtype=np.float32)
    expected = make_optimizer(settings, {"all": blank}, {"all": blank.copy()}).state_dict()
    if not isinstance(state, dict) or set(state) != set(expected):
        raise _Invalid(f"the optimizer state does not belong to a {settings.optimizer} optimizer")
    if state["name"] != expected["name"]:
        raise _Invalid(f"the optimizer state is for {state['name']!r}, the settings say {expected['name']!r}")
    t = state["t"]
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= _MAX_SEED:
        raise _Invalid("the optimizer's step count must be a whole number of at least 0")
    for key, want in expected.items():
        if isinstance(want, np.ndarray):
            got = state[key]
            if not isinstance(got, np.ndarray) or got.shape != want.shape or got.dtype != want.dtype:
                raise _Invalid(f"optimizer state {key!r} does not fit this network ({n} parameters, float32)")
            if not np.isfinite(got).all():
                raise _Invalid(f"optimizer state {key!r} contains NaN or infinity")
    return state


_SHUFFLE_KEYS = {"state", "inc", "has_uint32", "uinteger", "position"}


def _check_shuffle_state(state: Any, context: str) -> dict[str, Any] | None:
    """The optional batch-order state (`Trainer.shuffle_state`): hex strings of 128-bit numbers and ints."""
    if state is None:
        return None

    def fail() -> None:
        raise ProjectFormatError(f"{context}: state.shuffle is not a valid shuffling state")

    if not isinstance(state, dict) or set(state) != _SHUFFLE_KEYS:
        fail()
    for key in ("state", "inc"):
        text = state[key]
        if not isinstance(text, str) or not re.fullmatch(r"0x[0-9a-f]{1,32}", text):
            fail()
    for key, low, high in (("has_uint32", 0, 1), ("uinteger", 0, 2**32 - 1), ("position", -1, _MAX_SEED)):
        value = state[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            fail()
    return dict(state)


def _decode_history(columns: dict[str, Any]) -> TrainingHistory:
    """The history columns; a longer history than a run keeps (`MAX_ENTRIES`) is thinned as a run would."""
    arrays = {}
    length = None
    for name in COLUMNS:
        if name in OPTIONAL_COLUMNS and name not in columns:
            continue  # written before regression: `from_columns` fills NaN
        dtype = "int64" if name in COUNT_COLUMNS else "float64"
        array = _decode_array(columns.get(name), dtype, f"history {name}", (length,))
        length = len(array)
        arrays[name] = array
    if length and ((arrays["step"] < 0).any() or (arrays["epoch"] < 0).any()):
        raise _Invalid("history steps and epochs must not be negative")
    return TrainingHistory.from_columns(arrays, MAX_ENTRIES).frozen()

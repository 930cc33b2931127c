"""Runs side by side: N copies of one network trained in parallel processes, differing in one thing.

Why: the lecture says different initialisations lead to different solutions, "empirically all almost equally
good", and a student learns a learning rate or a batch size best by seeing several side by side. A
comparison trains 2-9 copies of the project's network on its dataset for the same number of steps, varying
the seed or one hyper-parameter (`PARAMETERS`); every other setting is the project's. Runs that vary a
hyper-parameter all start from the project's seed, so they start from the same weights.

Each run is exactly a plain `Trainer` run: `Trainer(dataset, spec, settings)` trained `steps` steps gives the
same weights bit for bit (splitting `Trainer.step` calls does not change what it computes), recorded on the
`Recording` grid so the runs can be scrubbed later, all with one slider (equal lengths record equal steps).
A run that diverges stops there (the trainer restores its last healthy weights) and says so.

Processes: a pool of at most `available_cpus()` worker processes (one BLAS thread each), started like the
app's training process (`trainer_process`: forkserver where there is one, never plain fork; the niceness of
the starting thread). The parent hands each idle worker the next run; workers report `RunProgress` about
`PROGRESS_SECONDS` apart and a `RunFinished` with the whole result. `cancel()` is prompt: workers look at a
shared event about every millisecond between steps. The parent side (`Comparison`) is used from one thread,
except `cancel()`, which any thread may call.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing.connection
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from workbench.core import limits
from workbench.core.data.dataset import Dataset
from workbench.core.model.spec import (
    ACTIVATIONS,
    OPTIMIZERS,
    LayerSpec,
    NetworkSpec,
    SpecError,
    TrainingSettings,
)
from workbench.core.training import scheduling
from workbench.core.training.history import TrainingHistory
from workbench.core.training.recording import Recording
from workbench.core.training.trainer import Metrics, Trainer
from workbench.core.training.trainer_process import OUT_OF_MEMORY, _default_context, limit_blas_threads

#: What a comparison can vary: name -> the words shown to a user.
PARAMETERS: dict[str, str] = {
    "seed": "seed",
    "learning_rate": "learning rate",
    "batch_size": "batch size",
    "l2": "L2 strength",
    "optimizer": "optimizer",
    "momentum": "momentum",
    "activation": "activation",
}
MIN_RUNS, MAX_RUNS = int(limits.RUNS.minimum), int(limits.RUNS.maximum)
#: How often a worker reports the steps a run has done.
PROGRESS_SECONDS = 0.1
#: How often a worker looks at the cancel event between steps.
CANCEL_POLL_SECONDS = 0.001
#: Longest wait for the workers to end on `close()` before they are terminated.
CLOSE_TIMEOUT_SECONDS = 5.0

# Ladders the default values are taken from (a window of N around the project's own value).
_LEARNING_RATES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
_BATCH_SIZES: tuple[int | None, ...] = (1, 2, 4, 8, 16, 32, 64, 128, None)
_L2 = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
_MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995)


class ComparisonError(ValueError):
    """A comparison that cannot be run as asked; the message says what to change."""


# --------------------------------------------------------------------------------------------------------
# Planning: which runs, with which settings
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSetup:
    """One run of a comparison: its number (0-based), what it varies and the spec and settings it uses."""

    index: int
    parameter: str
    value: Any
    spec: NetworkSpec
    settings: TrainingSettings

    @property
    def label(self) -> str:
        return value_label(self.parameter, self.value)


def value_text(parameter: str, value: Any) -> str:
    """A value as a user types it ("0.03", "all", "adam")."""
    if parameter == "batch_size" and value is None:
        return "all"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def value_label(parameter: str, value: Any) -> str:
    """A short name for a run: "seed 3", "learning rate 0.03", "adam", "relu"."""
    if parameter in ("optimizer", "activation"):
        return str(value)
    return f"{PARAMETERS[parameter]} {value_text(parameter, value)}"


def _check_parameter(parameter: str) -> None:
    if parameter not in PARAMETERS:
        raise ComparisonError(f"cannot vary {parameter!r}; choose from {', '.join(PARAMETERS)}")


def parse_values(parameter: str, text: str) -> tuple[Any, ...]:
    """The values typed for `parameter` ("0.01, 0.03 0.1"; "all" for the whole training set as a batch)."""
    _check_parameter(parameter)
    words = [w for w in text.replace(",", " ").replace(";", " ").split() if w]
    values: list[Any] = []
    for word in words:
        try:
            if parameter == "seed":
                values.append(int(word))
            elif parameter == "batch_size":
                values.append(None if word.lower() in ("all", "full") else int(word))
            elif parameter in ("optimizer", "activation"):
                values.append(word.lower())
            else:
                values.append(float(word))
        except ValueError:
            kind = "a whole number" if parameter in ("seed", "batch_size") else "a number"
            extra = " or 'all'" if parameter == "batch_size" else ""
            raise ComparisonError(f"{word!r} is not {kind}{extra} ({PARAMETERS[parameter]})") from None
    return tuple(values)


def apply_value(
    parameter: str, value: Any, spec: NetworkSpec, settings: TrainingSettings
) -> tuple[NetworkSpec, TrainingSettings]:
    """The spec and settings of a run with `parameter` set to `value` (ComparisonError if it is not valid)."""
    _check_parameter(parameter)
    try:
        if parameter == "activation":
            if value not in ACTIVATIONS:
                raise SpecError(f"unknown activation {value!r}; choose from {', '.join(ACTIVATIONS)}")
            if not spec.hidden:
                raise SpecError("this network has no hidden layer whose activation could vary")
            hidden = tuple(LayerSpec(layer.width, value) for layer in spec.hidden)
            return spec.with_hidden(hidden).validate(), settings.validate()
        if parameter == "optimizer" and value not in OPTIMIZERS:
            raise SpecError(f"unknown optimizer {value!r}; choose from {', '.join(OPTIMIZERS)}")
        return spec, replace(settings, **{parameter: value}).validate()
    except SpecError as exc:
        raise ComparisonError(str(exc)) from None


def plan_runs(
    spec: NetworkSpec, settings: TrainingSettings, parameter: str, values: Sequence[Any]
) -> tuple[RunSetup, ...]:
    """One `RunSetup` per value, checked: 2-9 different values, each valid for this network."""
    _check_parameter(parameter)
    values = tuple(values)
    if not limits.RUNS.contains(len(values)):
        raise ComparisonError(f"{limits.RUNS.message}; {len(values)} given")
    seen: set[str] = set()
    for value in values:
        text = value_text(parameter, value)
        if text in seen:
            raise ComparisonError(f"each run needs its own {PARAMETERS[parameter]}: {text} appears twice")
        seen.add(text)
    setups = []
    for index, value in enumerate(values):
        try:
            run_spec, run_settings = apply_value(parameter, value, spec, settings)
        except ComparisonError as exc:
            raise ComparisonError(f"run {index + 1} ({value_text(parameter, value)}): {exc}") from None
        setups.append(RunSetup(index, parameter, value, run_spec, run_settings))
    return tuple(setups)


def _window(ladder: Sequence[Any], current: Any, count: int, key: Callable[[Any], float]) -> list[Any]:
    """`count` neighbouring ladder values centred on the one closest to `current`."""
    count = min(count, len(ladder))
    nearest = min(range(len(ladder)), key=lambda i: abs(key(ladder[i]) - key(current)))
    start = min(max(0, nearest - (count - 1) // 2), len(ladder) - count)
    return list(ladder[start : start + count])


def default_values(parameter: str, spec: NetworkSpec, settings: TrainingSettings, count: int) -> tuple:
    """Sensible values for `count` runs: seeds from the project's on, ladders around its own value, every
    optimizer or activation (at most `count`, the project's first)."""
    _check_parameter(parameter)
    count = max(MIN_RUNS, min(MAX_RUNS, int(count)))
    if parameter == "seed":
        return tuple(settings.seed + i for i in range(count))
    if parameter == "learning_rate":
        return tuple(_window(_LEARNING_RATES, settings.learning_rate, count, math.log))
    if parameter == "batch_size":

        def size(value: int | None) -> float:
            return math.log(value if value is not None else 10**6)

        return tuple(_window(_BATCH_SIZES, settings.batch_size, count, size))
    if parameter == "l2":
        return _L2[:count]
    if parameter == "momentum":
        return tuple(_window(_MOMENTA, settings.momentum, count, lambda m: -math.log(1.0 - m)))
    if parameter == "optimizer":
        names = [settings.optimizer, *(o for o in OPTIMIZERS if o != settings.optimizer)]
        return tuple(names[:count])
    current = spec.hidden[0].activation if spec.hidden else "tanh"
    common = ["tanh", "relu", "sigmoid", "leaky_relu", "elu", "gelu", "softplus", "swish", "linear"]
    names = [current, *(a for a in common if a in ACTIVATIONS and a != current)]
    names += [a for a in ACTIVATIONS if a not in names]
    return tuple(names[:count])


# --------------------------------------------------------------------------------------------------------
# What a run produces, and what the workers say
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RunResult:
    """A finished run: final metrics on every point, history, weights (read-only) and its recording."""

    setup: RunSetup
    steps: int
    epoch: int
    metrics: Metrics
    history: TrainingHistory
    weights: tuple[tuple[np.ndarray, np.ndarray], ...]
    recording: Recording
    divergence: str | None
    seconds: float

    @property
    def index(self) -> int:
        return self.setup.index

    @property
    def label(self) -> str:
        return self.setup.label

    def weights_list(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(w, b) for w, b in self.weights]

    def __setstate__(self, state: dict[str, Any]) -> None:
        for w, b in state["weights"]:  # read-only again after crossing the pipe
            w.setflags(write=False)
            b.setflags(write=False)
        self.__dict__.update(state)


@dataclass(frozen=True)
class RunStarted:
    index: int


@dataclass(frozen=True)
class RunProgress:
    """Steps a run has done so far, and its latest (sampled) metrics."""

    index: int
    steps: int
    metrics: Metrics


@dataclass(frozen=True, eq=False)
class RunFinished:
    result: RunResult


@dataclass(frozen=True)
class RunFailed:
    index: int
    message: str


@dataclass(frozen=True)
class RunCancelled:
    index: int


@dataclass(frozen=True)
class _Job:
    setup: RunSetup
    steps: int


# --------------------------------------------------------------------------------------------------------
# One run (in whatever process calls it)
# --------------------------------------------------------------------------------------------------------
def train_run(
    dataset: Dataset,
    setup: RunSetup,
    steps: int,
    *,
    should_cancel: Callable[[], bool] | None = None,
    on_progress: Callable[[int, Metrics], None] | None = None,
    progress_seconds: float = PROGRESS_SECONDS,
) -> RunResult | None:
    """Train one run for `steps` steps, recording it; None when `should_cancel()` became true."""
    started = time.perf_counter()
    trainer = Trainer(dataset, setup.spec, setup.settings, seed=setup.settings.seed)
    recording = Recording(trainer.spec)
    clock = time.perf_counter
    next_check = clock() + CANCEL_POLL_SECONDS
    next_progress = clock() + progress_seconds
    cancelled = False

    def should_stop() -> bool:
        nonlocal next_check, cancelled
        now = clock()
        if now < next_check:
            return False
        next_check = now + CANCEL_POLL_SECONDS
        if should_cancel is not None and should_cancel():
            cancelled = True
            return True
        return now >= next_progress

    divergence = None
    while trainer.step_count < steps:
        wait = recording.steps_until_due(trainer.step_count)
        if wait == 0:
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
            continue
        result = trainer.step(min(wait, steps - trainer.step_count), should_stop=should_stop)
        if cancelled:
            return None
        if result.diverged:
            recording.cut_after(trainer.step_count)
            divergence = result.message
            break
        if result.steps == 0:  # no training points
            raise ComparisonError(result.message or "nothing to train on")
        if on_progress is not None and clock() >= next_progress:
            next_progress = clock() + progress_seconds
            on_progress(trainer.step_count, trainer.metrics)
    metrics = trainer.evaluate()
    latest = recording.latest
    if latest is None or latest.step < trainer.step_count:
        recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), metrics)
    weights = []
    for w, b in trainer.get_weights():
        w.setflags(write=False)
        b.setflags(write=False)
        weights.append((w, b))
    return RunResult(
        setup=setup,
        steps=trainer.step_count,
        epoch=trainer.epoch,
        metrics=metrics,
        history=trainer.history.copy(),
        weights=tuple(weights),
        recording=recording,
        divergence=divergence,
        seconds=time.perf_counter() - started,
    )


def _serve(conn: Any, cancel: Any, dataset: Dataset, niceness: int | None) -> None:
    """A worker process: train the runs it is handed until it gets None or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal: the GUI decides
    if niceness is not None:
        scheduling.set_current_thread_niceness(niceness)
    limit_blas_threads()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        index = job.setup.index
        try:
            conn.send(RunStarted(index))

            def progress(steps: int, metrics: Metrics, index: int = index) -> None:
                conn.send(RunProgress(index, steps, metrics))

            result = train_run(
                dataset, job.setup, job.steps, should_cancel=cancel.is_set, on_progress=progress
            )
            conn.send(RunCancelled(index) if result is None else RunFinished(result))
        except (EOFError, OSError, BrokenPipeError):
            return
        except MemoryError:
            with contextlib.suppress(OSError, EOFError):
                conn.send(RunFailed(index, OUT_OF_MEMORY.replace("Training is paused; l", "L")))
        except ComparisonError as exc:
            with contextlib.suppress(OSError, EOFError):
                conn.send(RunFailed(index, str(exc)))
        except Exception:  # a bug: say so instead of dying silently
            message = "the run stopped after an internal error:\n" + traceback.format_exc(limit=4)
            with contextlib.suppress(OSError, EOFError):
                conn.send(RunFailed(index, message))


# --------------------------------------------------------------------------------------------------------
# The parent's side
# --------------------------------------------------------------------------------------------------------
class Comparison:
    """Trains the planned runs in worker processes; `start()`, then `poll()` until `finished`, `close()`.

    `poll` returns the workers' events (`RunStarted`, `RunProgress`, `RunFinished`, `RunFailed`,
    `RunCancelled`) in the order they came; results also collect in `results`, failures in `failures`.
    """

    def __init__(
        self,
        dataset: Dataset,
        spec: NetworkSpec,
        settings: TrainingSettings,
        parameter: str,
        values: Sequence[Any],
        steps: int,
        *,
        workers: int | None = None,
        context: Any = None,
        niceness: int | None = None,
    ) -> None:
        if not limits.COMPARISON_STEPS.contains(steps):
            raise ComparisonError(limits.COMPARISON_STEPS.message)
        if len(dataset.train_indices) == 0:
            raise ComparisonError("no training points: add points to the dataset or lower the test fraction")
        spec = replace(spec, n_classes=dataset.n_classes)
        self.dataset = dataset
        self.spec = spec
        self.settings = settings
        self.parameter = parameter
        self.setups = plan_runs(spec, settings, parameter, values)
        self.steps = int(steps)
        available = scheduling.available_cpus()
        self.workers = max(1, min(len(self.setups), available, int(workers or available)))
        self._context = context
        self._niceness = scheduling.current_thread_niceness() if niceness is None else niceness
        self.results: dict[int, RunResult] = {}
        self.failures: dict[int, str] = {}
        self.cancelled: set[int] = set()
        self.progress = [0] * len(self.setups)
        self._pending: deque[RunSetup] = deque(self.setups)
        self._processes: dict[Any, Any] = {}  # connection -> process
        self._running: dict[Any, int | None] = {}  # connection -> run index (None: idle)
        self._cancel: Any = None
        self._cancel_requested = False
        self._started = False
        self._closed = False

    # --- state -----------------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        """Every run has finished, failed or been cancelled."""
        done = len(self.results) + len(self.failures) + len(self.cancelled)
        return self._started and done == len(self.setups)

    @property
    def connections(self) -> list[Any]:
        """The workers' pipes (for `multiprocessing.connection.wait`)."""
        return list(self._processes)

    # --- control ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker processes and hand each one its first run."""
        if self._started:
            return
        context = self._context or _default_context()
        self._cancel = context.Event()
        self._started = True
        for number in range(self.workers):
            conn, child = context.Pipe(duplex=True)
            process = context.Process(
                target=_serve,
                args=(child, self._cancel, self.dataset, self._niceness),
                name=f"workbench-compare-{number + 1}",
                daemon=True,
            )
            process.start()
            child.close()
            self._processes[conn] = process
            self._running[conn] = None
            self._hand_out(conn)

    def cancel(self) -> None:
        """Stop every run soon (any thread may call it); runs not started yet are cancelled at once."""
        self._cancel_requested = True
        if self._cancel is not None:
            self._cancel.set()

    def poll(self, timeout: float | None = 0.0) -> list[Any]:
        """What the workers said (waiting up to `timeout` seconds for the first word; None: until one)."""
        events: list[Any] = []
        if not self._started or self._closed:
            return events
        if self._cancel_requested:
            while self._pending:
                setup = self._pending.popleft()
                self.cancelled.add(setup.index)
                events.append(RunCancelled(setup.index))
            for conn, index in list(self._running.items()):
                if index is None:
                    self._retire(conn)
        busy = [conn for conn, index in self._running.items() if index is not None]
        if not busy or self.finished:
            return events
        for conn in multiprocessing.connection.wait(busy, timeout):
            while True:
                try:
                    if not conn.poll():
                        break
                    event = conn.recv()
                except (EOFError, OSError):
                    events.extend(self._worker_died(conn))
                    break
                events.append(event)
                self._note(conn, event)
                if conn not in self._running:
                    break
        return events

    def _note(self, conn: Any, event: Any) -> None:
        match event:
            case RunStarted() | RunProgress():
                if isinstance(event, RunProgress):
                    self.progress[event.index] = event.steps
                return
            case RunFinished(result=result):
                self.results[result.index] = result
                self.progress[result.index] = result.steps
            case RunFailed(index=index, message=message):
                self.failures[index] = message
            case RunCancelled(index=index):
                self.cancelled.add(index)
            case _:
                raise TypeError(f"a comparison worker said something unknown: {event!r}")
        self._running[conn] = None
        self._hand_out(conn)

    def _hand_out(self, conn: Any) -> None:
        """The next run for an idle worker, or None (it ends) when nothing is left."""
        if self._pending and not self._cancel_requested:
            setup = self._pending.popleft()
            self._running[conn] = setup.index
            try:
                conn.send(_Job(setup, self.steps))
            except (OSError, EOFError, ValueError):
                self._pending.appendleft(setup)
                self._running[conn] = None
                self._worker_died(conn)
            return
        self._retire(conn)

    def _retire(self, conn: Any) -> None:
        with contextlib.suppress(OSError, EOFError, ValueError):
            conn.send(None)
        self._running.pop(conn, None)

    def _worker_died(self, conn: Any) -> list[Any]:
        """A worker process ended unexpectedly: its run fails; if no worker is left, so do the others."""
        index = self._running.pop(conn, None)
        events: list[Any] = []
        if index is not None and index not in self.results:
            message = f"the process training run {index + 1} stopped unexpectedly"
            self.failures[index] = message
            events.append(RunFailed(index, message))
        if not self._running:
            while self._pending:
                setup = self._pending.popleft()
                message = "no process was left to train this run"
                self.failures[setup.index] = message
                events.append(RunFailed(setup.index, message))
        return events

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Cancel what still runs, end the workers (terminated if they do not end in time). Idempotent."""
        if self._closed:
            return
        if self._started and not self.finished:
            self.cancel()
        self._closed = True
        for conn in self._processes:
            with contextlib.suppress(OSError, EOFError, ValueError):
                conn.send(None)
        deadline = time.monotonic() + timeout
        for conn, process in self._processes.items():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(1.0)
            conn.close()
        self._running.clear()

    def run(self, on_event: Callable[[Any], None] | None = None) -> list[RunResult]:
        """Start, wait for every run, close; the results in run order (a blocking helper for scripts)."""
        self.start()
        try:
            while not self.finished:
                for event in self.poll(None):
                    if on_event is not None:
                        on_event(event)
        finally:
            self.close()
        return [self.results[i] for i in sorted(self.results)]

    def __enter__(self) -> Comparison:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = [
    "PARAMETERS",
    "Comparison",
    "ComparisonError",
    "RunCancelled",
    "RunFailed",
    "RunFinished",
    "RunProgress",
    "RunResult",
    "RunSetup",
    "RunStarted",
    "apply_value",
    "default_values",
    "parse_values",
    "plan_runs",
    "train_run",
    "value_label",
    "value_text",
]

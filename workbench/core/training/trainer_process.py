"""Training in its own process: the `Trainer` runs there at full speed while the GUI process draws.

Why a process and not a thread: in one process, training, the view computations and the GUI's drawing share
one GIL. At 30 frames per second the views (~13 ms for a 256 x 256 decision image of a 2-16-16-16-4 network)
and the drawing (~10 ms) hold it for ~70 % of the time, so threaded training cannot exceed ~30 % of its
headless speed however it is sliced (measured: 11-21 %). In its own process training keeps a core to itself
and the GUI process keeps the other one for the views and the drawing.

Protocol: the pickled message dataclasses of `training_messages` (plus `WeightsLoad` and
`SnapshotDelta` here) over one duplex `multiprocessing` Pipe. In the parent one thread may send while another
receives (`trainer_link` does that); each direction has one user.

- parent -> child: `SetRunning`, `TrainSteps`, `TrainEpoch`, `SetSettings`, `SetDataset`, `SetSpec`,
  `WeightsLoad`, `ResetWeights`, `Generation`, `WantSnapshot` (ready for the next snapshot), `Stop`. The
  parent sends `Generation` right after a message that replaces the network (weights, reset, spec);
  snapshots carry the last generation the child applied, so the parent can tell a snapshot taken before the
  replacement (still in the pipe) from one taken after it.
- child -> parent: `RunningChanged`, `Diverged`, `Failed`, `SnapshotDelta` (the history travels as the entries
  added since the previous snapshot, and whole only after a thinning or a cut changed entries already sent;
  it holds up to 10,000 entries); the parent's
  `receive()` turns deltas into `LiveSnapshot`s and reports `ProcessDied`.

Recording: the child records every run (`recording.Recording`): `_train_until` stops `Trainer.step` exactly
at the step the next snapshot is due, so the weights recorded at step k are those of a fresh k-step run, bit
for bit; it also records where training pauses, cuts back after a divergence and starts a new recording for
a new run (reset, new network or class count, fresh weights; a continued `WeightsLoad` brings its own). Each
`SnapshotDelta` carries the recording's delta (only records the parent lacks travel, once each), and
`recording_start` when a new recording began; the parent keeps the mirror and hands a frozen view in
`TrainerSnapshot.recording`. Both sides hold at most one recording's budget (`recording.MAX_BYTES`).

Snapshots are sent at most `MAX_SNAPSHOT_RATE` times a second, only after something changed and only when the
parent asked for one (`WantSnapshot`), so the pipe never fills up and the child never blocks on a slow GUI.

Priority: the child sets its own niceness to the one the parent's starting thread had (`niceness`), so a
process started from a lowered thread, or forked from a forkserver that such a thread started, still trains
at the GUI's priority where the system allows it (raising a priority needs privileges, so start the process
from a normal-priority thread: `TrainerLink` does).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import multiprocessing.connection
import signal
import time
import traceback
from dataclasses import dataclass, replace
from typing import Any

from workbench.core.data.dataset import Dataset
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.training import scheduling
from workbench.core.training.gradient_flow import GradientFlow
from workbench.core.training.history import TrainingHistory
from workbench.core.training.recording import Recording, RecordingDelta, RecordingError
from workbench.core.training.trainer import Trainer, TrainerSnapshot
from workbench.core.training.training_messages import (
    Diverged,
    Failed,
    Generation,
    LiveSnapshot,
    ProcessDied,
    ResetWeights,
    RunningChanged,
    SetDataset,
    SetRunning,
    SetSettings,
    SetSpec,
    Stop,
    TrainEpoch,
    TrainSteps,
    UnknownMessageError,
    WantSnapshot,
)

#: Snapshots per second the child sends at most (the parent asks for one per frame, 30 a second at most).
MAX_SNAPSHOT_RATE = 60.0
#: How often a long training call looks for new messages from the parent.
POLL_SECONDS = 0.001
#: Longest training call while no snapshot is wanted (a message from the parent ends it at once).
LONG_SLICE_SECONDS = 0.25
#: Longest wait for the child to exit on `close()` before it is terminated.
CLOSE_TIMEOUT_SECONDS = 5.0
#: The ``failed`` message when a training step runs out of memory (training pauses, nothing is lost).
OUT_OF_MEMORY = (
    "Not enough memory to train this network on batches this large. Training is paused; lower the batch "
    "size or make the layers narrower, then continue."
)
#: While training runs, snapshots carry the optimizer state when it is at most this big (Adam on a
#: 2-64-64-64-8 network: 72 KB, ~25 us to copy and pickle); a bigger one only every
#: `OPTIMIZER_STATE_SECONDS` and in every snapshot of a paused trainer, so Save writes what training reached.
LIVE_OPTIMIZER_STATE_BYTES = 8 * 2**20
OPTIMIZER_STATE_SECONDS = 2.0


@dataclass(frozen=True, eq=False)
class WeightsLoad:
    """Weights for the trainer, and whether they continue a saved run (open) or start a new one (reset)."""

    weights: Any
    continue_run: bool = False
    step: int = 0
    epoch: int = 0
    history: TrainingHistory | tuple = ()
    optimizer_state: dict | None = None
    shuffle_state: dict | None = None
    #: A continued run's weight recording (the project's, or a branch for "Continue from here"); None
    #: records the run anew from its step.
    recording: Recording | None = None
    #: A continued run's gradient flow (the project's), so its Gradient Flow curves go on where they were.
    gradients: GradientFlow | None = None


@dataclass(frozen=True, eq=False)
class SnapshotDelta:
    """A `TrainerSnapshot` as sent over the pipe: `snapshot` without its history, which travels as what
    changed: the receiver's history is its first `history_keep` entries followed by `history_tail`
    (`history_keep` is 0 when entries already sent changed, so the whole history is in the tail)."""

    snapshot: TrainerSnapshot
    history_keep: int
    history_tail: TrainingHistory
    steps_per_second: float
    running: bool
    generation: int = 0
    #: The weight recording's new records (and which ones the child still keeps); `recording_start` is an
    #: empty recording of the run's network when the child began a new recording since the last snapshot.
    recording: RecordingDelta | None = None
    recording_start: Recording | None = None
    #: The gradient flow travels like the history: the receiver keeps its first `gradients_keep` rows and
    #: appends `gradients_tail` (which also carries the latest per-neuron |δ|).
    gradients_keep: int = 0
    gradients_tail: GradientFlow | None = None


def limit_blas_threads() -> None:
    """One BLAS thread: on 2 cores a multi-threaded BLAS is 5-8x *slower* for these small matmuls."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a runtime dependency; OPENBLAS_NUM_THREADS=1 in the environment does the same
        return
    threadpool_limits(1, user_api="blas")


def _default_context() -> Any:
    """forkserver where the platform has it (a child starts in ~20 ms from a preloaded server), else spawn.

    Never plain fork: the GUI process runs Qt threads, and a forked copy of them can deadlock.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


class TrainerProcess:
    """The parent's handle on the training process: `send()` messages, `receive()` events, `close()`.

    Use it from one thread. `connection` can be passed to `multiprocessing.connection.wait` to sleep until
    the child has something to say.
    """

    def __init__(
        self,
        dataset: Dataset,
        spec: NetworkSpec,
        settings: TrainingSettings,
        load: WeightsLoad | None = None,
        *,
        context: Any = None,
        niceness: int | None = None,
    ) -> None:
        context = context or _default_context()
        if niceness is None:  # the starting thread's priority (the GUI's, when started as it should be)
            niceness = scheduling.current_thread_niceness()
        self._conn, child_conn = context.Pipe(duplex=True)
        self._process = context.Process(
            target=serve,
            args=(child_conn, dataset, spec, settings, load, niceness),
            name="workbench-trainer",
            daemon=True,  # never outlives the GUI, even when the GUI dies without closing it
        )
        self._process.start()
        child_conn.close()
        self._history = TrainingHistory()
        self._gradients: GradientFlow | None = None
        self._recording: Recording | None = None  # the mirror of the child's recording
        self._recording_view: Recording | None = None
        self._closed = False
        self._stopping = False
        self._send_failed = False  # the receiving side tells (once) whether the child died
        self.died = False

    @property
    def connection(self) -> Any:
        return self._conn

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return not self._closed and not self.died

    def send(self, message: Any) -> None:
        """Send a message (a `training_messages` command or a `WeightsLoad`) to the child; dropped once it is
        gone (`receive()` reports that). Blocks only while the pipe is full: call it from a thread that may
        wait (`TrainerLink`'s relay), never from the GUI thread."""
        if not self.alive or self._send_failed:
            return
        if isinstance(message, Stop):
            self._stopping = True
        try:
            self._conn.send(message)
        except (OSError, EOFError, ValueError):
            self._send_failed = True

    def receive(self, timeout: float | None = 0.0) -> list[Any]:
        """Every event waiting in the pipe (waiting up to `timeout` seconds for the first; None = until one
        comes), snapshot deltas turned back into `LiveSnapshot`s.

        Returns the child's `RunningChanged`, `Diverged`, `Failed` as they are, and `ProcessDied()` once if
        the child is gone without being asked to stop.
        """
        events: list[Any] = []
        if not self.alive:
            return events
        try:
            if timeout != 0.0 and not self._conn.poll(timeout):
                return events
            while self._conn.poll():
                event = self._conn.recv()
                if isinstance(event, SnapshotDelta):
                    event = self._assemble(event)
                events.append(event)
        except (OSError, EOFError):
            self.died = True
            if not self._stopping:
                events.append(ProcessDied())
        return events

    def _assemble(self, delta: SnapshotDelta) -> LiveSnapshot:
        tail = delta.history_tail
        if delta.history_keep == 0:  # the same bound as the child's, so appending never thins here
            self._history = tail.copy(max(tail.max_entries, self._history.max_entries))
        else:
            self._history.keep_first(delta.history_keep)
            self._history.extend(tail)
        for w, b in delta.snapshot.weights:  # read-only again (pickling does not keep the flag)
            w.setflags(write=False)
            b.setflags(write=False)
        for value in (delta.snapshot.optimizer_state or {}).values():
            if hasattr(value, "setflags"):
                value.setflags(write=False)
        gradients = delta.gradients_tail
        if gradients is not None:
            if delta.gradients_keep == 0 or self._gradients is None:
                self._gradients = gradients.copy()
            else:
                self._gradients.keep_first(delta.gradients_keep)
                self._gradients.extend(gradients)
        snapshot = replace(
            delta.snapshot,
            history=self._history.frozen(),
            recording=self._mirror(delta),
            gradients=None if self._gradients is None else self._gradients.frozen(),
        )
        return LiveSnapshot(snapshot, delta.steps_per_second, delta.running, delta.generation)

    def _mirror(self, delta: SnapshotDelta) -> Recording | None:
        """Bring the mirror of the child's recording up to date; a frozen view of it (the same object while
        nothing changed, so receivers can tell news by identity)."""
        if delta.recording_start is not None:
            self._recording = delta.recording_start.blank()
            self._recording_view = None
        mirror, change = self._recording, delta.recording
        if mirror is None or change is None:
            return self._recording_view
        view = self._recording_view
        if view is None or change.new or change.kept != tuple(r.serial for r in view.records):
            mirror.apply(change)
            self._recording_view = mirror.frozen()
        return self._recording_view

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Ask the child to stop and wait for it (terminated if it does not stop in time). Idempotent."""
        if self._closed:
            return
        if not self.died and not self._stopping:
            with contextlib.suppress(OSError, EOFError, ValueError):
                self._conn.send(Stop())
        self.wait_for_exit(timeout)
        self._closed = True
        self._conn.close()

    def wait_for_exit(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Wait for the child to end after `Stop` was sent (terminated if it does not end in time); its end
        is then not reported as `ProcessDied`. Leaves the pipe open for threads still using it."""
        self._stopping = True
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)


# ----------------------------------------------------------------------------------------------------------
# The child
# ----------------------------------------------------------------------------------------------------------
def serve(
    conn: Any,
    dataset: Dataset,
    spec: NetworkSpec,
    settings: TrainingSettings,
    load: WeightsLoad | None = None,
    niceness: int | None = None,
) -> None:
    """The training process's main function: train and answer messages until `Stop` or the pipe closes."""
    # Ctrl+C in the terminal reaches the whole process group: the GUI decides when training stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness is not None:
        scheduling.set_current_thread_niceness(niceness)
    limit_blas_threads()
    try:
        _TrainingLoop(conn, dataset, spec, settings, load).run()
    except (EOFError, OSError, KeyboardInterrupt):  # the parent went away: nothing left to report to
        return
    except Exception:  # a bug: tell the parent instead of dying silently
        message = "training stopped after an internal error:\n" + traceback.format_exc(limit=4)
        with contextlib.suppress(OSError, EOFError):
            conn.send(Failed(message))


class _TrainingLoop:
    """The child's state: the trainer, whether it runs, pending single steps and the snapshot bookkeeping."""

    def __init__(
        self,
        conn: Any,
        dataset: Dataset,
        spec: NetworkSpec,
        settings: TrainingSettings,
        load: WeightsLoad | None,
    ) -> None:
        self.conn = conn
        self.dataset = dataset
        self.trainer = Trainer(dataset, spec, settings, seed=settings.seed)
        self.running = False
        self.pending_steps = 0
        self.dirty = True
        self.credit = True  # the parent takes one snapshot at a time: it sends `WantSnapshot` for the next
        self.generation = 0
        self.sent_revision = 0  # which history (and version of it) the parent has, and how much of it
        self.sent_length = 0
        self.sent_gradients_revision = 0  # the same for the gradient flow
        self.sent_gradients_length = 0
        self.state_sent_at = -math.inf
        self.rate_steps = 0
        self.rate_started = time.perf_counter()
        self.steps_per_second = 0.0
        self.recording = Recording(self.trainer.spec)
        self.recording_number = 0  # counts the recordings begun, so the parent knows when one starts
        self.sent_recording = -1
        self.sent_serials: tuple[int, ...] = ()
        self._load_weights(load)
        self._record_if_due()

    def run(self) -> None:
        conn = self.conn
        interval = 1.0 / MAX_SNAPSHOT_RATE
        last_sent = -math.inf
        while True:
            if not self._drain():
                return
            training = self.running or self.pending_steps > 0
            now = time.perf_counter()
            due = last_sent + interval
            if training:
                # Until the next snapshot may go out; without a request for one, until a message arrives
                # (`want` included): each `Trainer.step` call ends with an evaluation, so calls stay long.
                until = max(due, now + POLL_SECONDS) if self.credit else now + LONG_SLICE_SECONDS
                self._train_until(until)
                now = time.perf_counter()
            if self.dirty and self.credit and now >= due:
                self._send_snapshot()
                last_sent = now
            elif not training:
                # Idle: sleep until a message arrives or the next snapshot may go out.
                wait = interval if self.dirty and self.credit else None
                conn.poll(max(0.0, due - now) if wait is not None else None)

    # --- messages ---------------------------------------------------------------------------------------
    def _drain(self) -> bool:
        """Apply every waiting message; False on `Stop`."""
        conn = self.conn
        while conn.poll():
            if not self.handle(conn.recv()):
                return False
        return True

    def handle(self, message: Any) -> bool:
        """Apply one message from the parent; False on `Stop`. Raises `UnknownMessageError` on anything else
        (reported to the parent as `Failed` by `serve`)."""
        trainer = self.trainer
        match message:
            case Stop():
                return False
            case WantSnapshot():
                self.credit = True
                return True
            case Generation(number=number):
                self.generation = int(number)
                self.dirty = True  # the parent waits for a snapshot of this generation
                return True
            case SetRunning(running=running):
                if bool(running) != self.running:
                    self.running = bool(running)
                    self._reset_rate()
                    self.conn.send(RunningChanged(self.running))
                    if not self.running:
                        self._record_now()  # where training paused: the timeline reaches this step
                self.pending_steps = 0
            case TrainSteps(count=count):
                if self.running:  # a step pauses continuous training; quick presses add up
                    self._stop_running()
                self.pending_steps += int(count)
            case TrainEpoch():
                if self.running:
                    self._stop_running()
                self.pending_steps += self._steps_per_epoch()
            case SetSettings(settings=settings):
                self._guarded(trainer.set_settings, settings)
            case SetDataset(dataset=dataset):
                self.dataset = dataset
                self._guarded(trainer.set_dataset, dataset)
                if self.trainer.spec != self.recording.spec:  # another class count: a new output layer
                    self._new_recording()
            case SetSpec(spec=spec):
                if self._guarded(trainer.set_spec, spec):
                    self._new_recording()
            case WeightsLoad():
                self._load_weights(message)
            case ResetWeights(seed=seed):
                if self._guarded(trainer.reset_weights, seed):
                    self._new_recording()
            case _:
                raise UnknownMessageError("the training process", message)
        self.dirty = True
        return True

    def _guarded(self, function: Any, *args: Any) -> bool:
        """Call `function`; False (and the user told why) when it refused."""
        try:
            function(*args)
        except ValueError as exc:  # SpecError and friends: tell the user, keep the previous state
            self._stop_running()
            self.conn.send(Failed(str(exc)))
            return False
        return True

    # --- the recording ----------------------------------------------------------------------------------
    def _new_recording(self, recording: Recording | None = None) -> None:
        """A new run (reset, new network, new weights) or a continued one: record it from its start."""
        trainer = self.trainer
        if recording is None or recording.spec != trainer.spec:
            recording = Recording(trainer.spec, origin=trainer.step_count)
        else:
            recording = recording.copy()  # writable, sharing the (immutable) records
            recording.cut_after(trainer.step_count)  # never ahead of the run it continues
        self.recording = recording
        self.recording_number += 1
        self._record_if_due()

    def _record_if_due(self) -> None:
        """Record the weights now if the recording's schedule says so (the training stops exactly there)."""
        trainer = self.trainer
        if self.recording.is_due(trainer.step_count):
            self._record_now()

    def _record_now(self) -> None:
        trainer = self.trainer
        latest = self.recording.latest
        if latest is not None and latest.step >= trainer.step_count:
            return
        try:
            self.recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        except RecordingError:  # non-finite weights (training is about to report divergence): skip them
            return
        self.dirty = True

    def _load_weights(self, load: WeightsLoad | None) -> None:
        """Start a run from given weights: fresh (reset, import, undo) or continued (an opened project)."""
        if load is None or load.weights is None:
            return
        trainer = self.trainer
        try:
            trainer.reset_weights()  # fresh optimizer, step 0, empty history ...
            trainer.set_weights(load.weights)  # ... from these weights
            if load.continue_run:
                trainer.set_progress(load.step, load.epoch, load.history, load.gradients)
                if load.optimizer_state:
                    trainer.load_optimizer_state(load.optimizer_state)
                if load.shuffle_state:
                    trainer.load_shuffle_state(load.shuffle_state)
        except (ValueError, KeyError, TypeError) as exc:
            self._stop_running()
            self.conn.send(Failed(f"could not load the weights: {exc}"))
        self._new_recording(load.recording if load.continue_run else None)

    def _steps_per_epoch(self) -> int:
        n_train = len(self.dataset.train_indices)
        batch = self.trainer.settings.batch_size or n_train
        return max(1, math.ceil(n_train / max(1, batch)))

    def _stop_running(self) -> None:
        self.pending_steps = 0
        if self.running:
            self.running = False
            self.conn.send(RunningChanged(False))
            self._record_now()  # where training paused: the timeline reaches the current step

    def _reset_rate(self) -> None:
        self.rate_steps = 0
        self.rate_started = time.perf_counter()

    # --- training ---------------------------------------------------------------------------------------
    def _train_until(self, until: float) -> None:
        """Train until `until` (the next snapshot is due) or a message arrives (looked for every ~1 ms)."""
        poll = self.conn.poll
        perf_counter = time.perf_counter
        next_poll = perf_counter() + POLL_SECONDS

        def should_stop() -> bool:
            nonlocal next_poll
            now = perf_counter()
            if now >= next_poll:
                next_poll = now + POLL_SECONDS
                if poll():
                    return True
            return now >= until

        stepping = self.pending_steps > 0 and not self.running
        n_steps = self.pending_steps if stepping else 1_000_000_000
        trainer = self.trainer
        self._record_if_due()
        # Stop exactly where the next snapshot of the recording is due (a shorter call computes the same).
        n_steps = min(n_steps, max(1, self.recording.steps_until_due(trainer.step_count)))
        try:
            result = trainer.step(n_steps, should_stop=should_stop)
        except MemoryError:  # numpy's _ArrayMemoryError too: pause and say so; weights and data are kept
            self._stop_running()
            self.conn.send(Failed(OUT_OF_MEMORY))
            return
        done = int(result.steps)
        if result.diverged:  # back at the last good step: what was recorded after it is gone
            self.recording.cut_after(trainer.step_count)
            self._record_now()
        else:
            self._record_if_due()
        if stepping:
            self.pending_steps = max(0, self.pending_steps - done)
            if self.pending_steps == 0:
                self._record_now()  # where single steps ended: the timeline reaches the current step
        self.rate_steps += done
        elapsed = perf_counter() - self.rate_started
        if elapsed >= 0.5:
            self.steps_per_second = self.rate_steps / elapsed
            self._reset_rate()
        self.dirty = self.dirty or done > 0
        if result.diverged:
            self._stop_running()
            self.dirty = True
            self.conn.send(Diverged(result.message or "training diverged"))
        elif done == 0:
            # Nothing to train on (no training points): wait for new data instead of spinning.
            self.pending_steps = 0
            self.conn.poll(0.05)

    def _send_snapshot(self) -> None:
        trainer = self.trainer
        history = trainer.recorded_history
        keep = self.sent_length
        if history.revision != self.sent_revision or len(history) < keep:
            keep = 0  # thinned, cut back or a new run: the parent takes it whole
        gradients = trainer.gradient_flow
        gradients_keep = self.sent_gradients_length
        if gradients.revision != self.sent_gradients_revision or len(gradients) < gradients_keep:
            gradients_keep = 0
        now = time.perf_counter()
        with_state = (
            not self.running
            or trainer.network.flat_params.nbytes * 2 <= LIVE_OPTIMIZER_STATE_BYTES
            or now - self.state_sent_at >= OPTIMIZER_STATE_SECONDS
        )
        if with_state:
            self.state_sent_at = now
        new_run = self.sent_recording != self.recording_number
        fresh_recording = self.recording.blank() if new_run else None
        delta = SnapshotDelta(
            snapshot=trainer.snapshot(with_history=False, with_optimizer_state=with_state),
            history_keep=keep,
            history_tail=history.tail(keep),
            steps_per_second=self.steps_per_second if self.running else 0.0,
            running=self.running,
            generation=self.generation,
            recording=self.recording.delta(self.sent_serials if fresh_recording is None else ()),
            recording_start=fresh_recording,
            gradients_keep=gradients_keep,
            gradients_tail=gradients.tail(gradients_keep),
        )
        self.conn.send(delta)
        self.sent_gradients_revision, self.sent_gradients_length = gradients.revision, len(gradients)
        self.sent_revision, self.sent_length = history.revision, len(history)
        self.sent_recording, self.sent_serials = self.recording_number, delta.recording.kept
        self.dirty = False
        self.credit = False


class _Unconnected:
    """Stands in for the pipe when the child's start-up runs in the parent (`first_snapshot`)."""

    def send(self, message: Any) -> None:
        pass

    def poll(self, timeout: float | None = 0.0) -> bool:
        return False


def first_snapshot(
    dataset: Dataset, spec: NetworkSpec, settings: TrainingSettings, load: WeightsLoad | None = None
) -> TrainerSnapshot:
    """The snapshot a new training process starts from, computed in this process by the same code.

    Why: starting the process (the forkserver, then the child) takes from ~20 ms to seconds under load; the
    views draw the untrained network from this at once instead of waiting for the process's first snapshot.
    """
    return _TrainingLoop(_Unconnected(), dataset, spec, settings, load).trainer.snapshot()


__all__ = [
    "SnapshotDelta",
    "TrainerProcess",
    "WeightsLoad",
    "first_snapshot",
    "limit_blas_threads",
    "serve",
]

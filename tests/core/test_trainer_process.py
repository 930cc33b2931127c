"""Training in its own process: it trains exactly as the core Trainer does and reports through the pipe."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
from collections import deque
from dataclasses import replace

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.trainer import Trainer
from workbench.core.training.trainer_process import TrainerProcess
from workbench.core.training.training_messages import (
    Failed,
    Generation,
    LiveSnapshot,
    RunningChanged,
    SetRunning,
    SetSettings,
    TrainSteps,
    WantSnapshot,
)

WAIT_SECONDS = 30.0
#: Events received but not yet looked at, per process.
PENDING: dict[int, deque] = {}


@pytest.fixture
def setup():
    dataset = generate("gaussians", 120, 3, seed=4)
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"),), n_classes=3)
    settings = TrainingSettings(batch_size=16, learning_rate=0.05)
    return dataset, spec, settings


@pytest.fixture
def process(setup):
    handle = TrainerProcess(*setup)
    yield handle
    handle.close()
    PENDING.pop(id(handle), None)


def next_event(process: TrainerProcess, kind: type, until=lambda event: True):
    """The next event of type `kind` that satisfies `until`, in order (asking for every next snapshot)."""
    pending = PENDING.setdefault(id(process), deque())
    while True:
        while pending:
            event = pending.popleft()
            if isinstance(event, kind) and until(event):
                return event
        ready = multiprocessing.connection.wait([process.connection], WAIT_SECONDS)
        assert ready, f"no {kind.__name__} from the training process within {WAIT_SECONDS} s"
        for event in process.receive():
            if isinstance(event, LiveSnapshot):
                process.send(WantSnapshot())
            pending.append(event)


def test_steps_in_the_process_equal_the_core_trainers_steps(setup, process) -> None:
    dataset, spec, settings = setup
    local = Trainer(dataset, spec, settings, seed=settings.seed)
    for total, extra in ((237, 237), (337, 100)):  # the second snapshot sends only the new history
        process.send(TrainSteps(extra))
        live = next_event(process, LiveSnapshot, lambda e, total=total: e.snapshot.step == total)
        snapshot = live.snapshot
        local.step(extra)
        assert not live.running
        for (w, b), (lw, lb) in zip(snapshot.weights, local.get_weights(), strict=True):
            np.testing.assert_array_equal(w, lw)
            np.testing.assert_array_equal(b, lb)
            assert not w.flags.writeable  # snapshots stay immutable across the process boundary
        assert snapshot.history == local.recorded_history
        assert snapshot.history.with_latest(snapshot.metrics) == local.history


def test_run_and_pause_are_reported_and_training_moves_on(process) -> None:
    process.send(SetRunning(True))
    assert next_event(process, RunningChanged) == RunningChanged(True)
    live = next_event(process, LiveSnapshot, lambda e: e.snapshot.step > 50)
    assert live.running and live.snapshot.metrics.step == live.snapshot.step
    process.send(SetRunning(False))
    assert next_event(process, RunningChanged) == RunningChanged(False)


def test_bad_settings_are_reported_and_training_keeps_the_old_ones(setup, process) -> None:
    _, _, settings = setup
    process.send(SetSettings(replace(settings, learning_rate=-1.0)))
    assert "learning" in next_event(process, Failed).message.lower()
    process.send(TrainSteps(3))
    live = next_event(process, LiveSnapshot, lambda e: e.snapshot.step == 3)
    assert live.snapshot.settings.learning_rate == settings.learning_rate


def test_snapshots_say_which_replacement_of_the_network_they_follow(setup, process) -> None:
    # The GUI drops snapshots taken before an Open or reset that were still in the pipe: they carry the
    # generation the child had applied, and a new generation only after the replacement sent before it.
    from workbench.core.model.engine import Network
    from workbench.core.training.trainer_process import WeightsLoad

    _, spec, _ = setup
    process.send(TrainSteps(5))
    assert next_event(process, LiveSnapshot, lambda e: e.snapshot.step == 5).generation == 0
    replacement = Network(spec, seed=99).get_weights()
    process.send(WeightsLoad(replacement))
    process.send(Generation(1))
    snapshot = next_event(process, LiveSnapshot, lambda e: e.generation == 1).snapshot
    assert snapshot.step == 0  # a fresh run from the new weights ...
    for (w, b), (w_new, b_new) in zip(snapshot.weights, replacement, strict=True):
        np.testing.assert_array_equal(w, w_new)  # ... and exactly those weights
        np.testing.assert_array_equal(b, b_new)


def test_close_ends_the_process(setup) -> None:
    handle = TrainerProcess(*setup)
    handle.close()
    assert not handle.alive
    assert handle.receive() == []
    handle.send(TrainSteps(1))  # ignored, never raises
    handle.close()  # idempotent


def test_an_unknown_message_raises_in_the_training_process(setup) -> None:
    from workbench.core.training.trainer_process import _TrainingLoop
    from workbench.core.training.training_messages import UnknownMessageError

    parent_end, child_end = multiprocessing.Pipe()
    loop = _TrainingLoop(child_end, *setup, None)
    assert loop.handle(TrainSteps(2))  # a known message is applied ...
    assert loop.pending_steps == 2
    with pytest.raises(UnknownMessageError, match=r"training process.*tuple"):
        loop.handle(("steps", 2))  # ... the old untyped form is not silently ignored
    parent_end.close()
    child_end.close()


def test_the_real_process_reports_an_unknown_message_as_a_failure(process) -> None:
    process.send(("run", True))
    message = next_event(process, Failed).message
    assert "cannot handle a tuple message" in message


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no niceness on this platform")
def test_the_training_process_takes_the_priority_it_is_given(setup) -> None:
    # The process runs at the GUI's priority even when started from elsewhere (a forkserver started by a
    # lowered thread passes its niceness on): it sets the niceness it was given itself.
    own = os.getpriority(os.PRIO_PROCESS, 0)
    handle = TrainerProcess(*setup, niceness=own + 2)
    try:
        handle.send(TrainSteps(1))
        next_event(handle, LiveSnapshot, lambda e: e.snapshot.step == 1)
        assert os.getpriority(os.PRIO_PROCESS, handle.pid) == own + 2
    finally:
        handle.close()
        PENDING.pop(id(handle), None)


def test_the_link_relays_commands_and_reports_events_from_its_own_threads(setup) -> None:
    import queue
    import threading

    from workbench.core.training.trainer_link import TrainerLink
    from workbench.core.training.training_messages import ProcessDied

    events: queue.SimpleQueue = queue.SimpleQueue()
    threads: set[str] = set()

    def on_event(event) -> None:
        threads.add(threading.current_thread().name)
        events.put(event)

    def next_of(kind: type, until=lambda event: True):
        while True:
            event = events.get(timeout=WAIT_SECONDS)
            if isinstance(event, LiveSnapshot):
                link.send(WantSnapshot())  # as the view worker does: ready for the next one
            if isinstance(event, kind) and until(event):
                return event

    link = TrainerLink(*setup, None, on_event)
    try:
        link.send(TrainSteps(4))  # never blocks, even before the process has started
        assert next_of(LiveSnapshot, lambda e: e.snapshot.step == 4)
        link.send(SetRunning(True))
        assert next_of(RunningChanged) == RunningChanged(True)
    finally:
        link.close()
    link.close()  # idempotent
    assert not [t for t in threading.enumerate() if t.name.startswith("trainer-")]
    assert threads == {"trainer-events"}
    remaining = []
    while not events.empty():
        remaining.append(events.get())
    assert not any(isinstance(event, ProcessDied) for event in remaining)  # a requested stop is no death


def test_quick_single_steps_add_up_and_a_step_pauses_continuous_training(setup) -> None:
    from workbench.core.training.trainer_process import _TrainingLoop
    from workbench.core.training.training_messages import RunningChanged, SetRunning

    parent_end, child_end = multiprocessing.Pipe()
    loop = _TrainingLoop(child_end, *setup, None)
    for _ in range(3):  # Step pressed three times before the process got to train
        loop.handle(TrainSteps(1))
    assert loop.pending_steps == 3 and not loop.running
    loop.handle(SetRunning(True))
    assert parent_end.recv() == RunningChanged(True)
    loop.handle(TrainSteps(1))  # Step while training: pause, then one step
    assert parent_end.recv() == RunningChanged(False)
    assert not loop.running and loop.pending_steps == 1
    parent_end.close()
    child_end.close()

"""Training in its own process: it trains exactly as the core Trainer does and reports through the pipe."""

from __future__ import annotations

import multiprocessing.connection
from collections import deque
from dataclasses import replace

import numpy as np
import pytest

from workbench.core.generators import generate
from workbench.core.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.trainer import Trainer
from workbench.core.trainer_process import TrainerProcess

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


def next_event(process: TrainerProcess, kinds: set[str], until=lambda payload: True):
    """The next event of one of `kinds` that satisfies `until`, in order (asking for every next snapshot)."""
    pending = PENDING.setdefault(id(process), deque())
    while True:
        while pending:
            kind, payload = pending.popleft()
            if kind in kinds and until(payload):
                return kind, payload
        ready = multiprocessing.connection.wait([process.connection], WAIT_SECONDS)
        assert ready, f"no {kinds} from the training process within {WAIT_SECONDS} s"
        for kind, payload in process.receive():
            if kind == "snapshot":
                process.send("want")
            pending.append((kind, payload))


def test_steps_in_the_process_equal_the_core_trainers_steps(setup, process) -> None:
    dataset, spec, settings = setup
    local = Trainer(dataset, spec, settings, seed=settings.seed)
    for total, extra in ((237, 237), (337, 100)):  # the second snapshot sends only the new history
        process.send("steps", extra)
        _, (snapshot, _, running, _) = next_event(
            process, {"snapshot"}, lambda p, total=total: p[0].step == total
        )
        local.step(extra)
        assert not running
        for (w, b), (lw, lb) in zip(snapshot.weights, local.get_weights(), strict=True):
            np.testing.assert_array_equal(w, lw)
            np.testing.assert_array_equal(b, lb)
            assert not w.flags.writeable  # snapshots stay immutable across the process boundary
        assert snapshot.history == local.recorded_history
        assert snapshot.history.with_latest(snapshot.metrics) == local.history


def test_run_and_pause_are_reported_and_training_moves_on(process) -> None:
    process.send("run", True)
    assert next_event(process, {"running"}) == ("running", True)
    _, (snapshot, _, running, _) = next_event(process, {"snapshot"}, lambda p: p[0].step > 50)
    assert running and snapshot.metrics.step == snapshot.step
    process.send("run", False)
    assert next_event(process, {"running"}) == ("running", False)


def test_bad_settings_are_reported_and_training_keeps_the_old_ones(setup, process) -> None:
    _, _, settings = setup
    process.send("settings", replace(settings, learning_rate=-1.0))
    _, message = next_event(process, {"failed"})
    assert "learning" in message.lower()
    process.send("steps", 3)
    _, (snapshot, _, _, _) = next_event(process, {"snapshot"}, lambda p: p[0].step == 3)
    assert snapshot.settings.learning_rate == settings.learning_rate


def test_snapshots_say_which_replacement_of_the_network_they_follow(setup, process) -> None:
    # The GUI drops snapshots taken before an Open or reset that were still in the pipe: they carry the
    # generation the child had applied, and a new generation only after the replacement sent before it.
    from workbench.core.engine import Network
    from workbench.core.trainer_process import WeightsLoad

    _, spec, _ = setup
    process.send("steps", 5)
    _, (snapshot, _, _, generation) = next_event(process, {"snapshot"}, lambda p: p[0].step == 5)
    assert generation == 0
    replacement = Network(spec, seed=99).get_weights()
    process.send("weights", WeightsLoad(replacement))
    process.send("generation", 1)
    _, (snapshot, _, _, generation) = next_event(process, {"snapshot"}, lambda p: p[3] == 1)
    assert snapshot.step == 0  # a fresh run from the new weights ...
    for (w, b), (w_new, b_new) in zip(snapshot.weights, replacement, strict=True):
        np.testing.assert_array_equal(w, w_new)  # ... and exactly those weights
        np.testing.assert_array_equal(b, b_new)


def test_close_ends_the_process(setup) -> None:
    handle = TrainerProcess(*setup)
    handle.close()
    assert not handle.alive
    assert handle.receive() == []
    handle.send("steps", 1)  # ignored, never raises
    handle.close()  # idempotent

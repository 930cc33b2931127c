"""The training process records every run: through the real process and pipe, the weights recorded at step k
are those of a fresh k-step run, bit for bit, and a new run (reset, continue from a step) records anew."""

from __future__ import annotations

import multiprocessing.connection
from collections import deque

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.recording import Recording
from workbench.core.training.trainer import Trainer
from workbench.core.training.trainer_process import TrainerProcess, WeightsLoad
from workbench.core.training.training_messages import (
    Generation,
    LiveSnapshot,
    ResetWeights,
    SetRunning,
    TrainSteps,
    WantSnapshot,
)

WAIT_SECONDS = 30.0


@pytest.fixture
def setup():
    dataset = generate("spiral", 160, 2, seed=3)
    spec = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "relu")), n_classes=2)
    settings = TrainingSettings(batch_size=10, learning_rate=0.05, optimizer="adam", seed=7)
    return dataset, spec, settings


class Events:
    """The process's events in order, asking for every next snapshot."""

    def __init__(self, process: TrainerProcess) -> None:
        self.process = process
        self.pending: deque = deque()

    def snapshot(self, until) -> LiveSnapshot:
        while True:
            while self.pending:
                event = self.pending.popleft()
                if isinstance(event, LiveSnapshot) and until(event):
                    return event
            ready = multiprocessing.connection.wait([self.process.connection], WAIT_SECONDS)
            assert ready, f"no snapshot from the training process within {WAIT_SECONDS} s"
            for event in self.process.receive():
                if isinstance(event, LiveSnapshot):
                    self.process.send(WantSnapshot())
                self.pending.append(event)


@pytest.fixture
def process(setup):
    handle = TrainerProcess(*setup)
    yield handle
    handle.close()


def assert_same_weights(got, expected) -> None:
    for (w, b), (ew, eb) in zip(got, expected, strict=True):
        assert w.dtype == ew.dtype
        np.testing.assert_array_equal(w, ew)
        np.testing.assert_array_equal(b, eb)


def assert_records_equal_fresh_runs(recording: Recording, dataset, spec, settings) -> None:
    fresh = Trainer(dataset, spec, settings, seed=settings.seed)
    for record in recording:  # one fresh trainer stepped to each recorded step: the same as k steps at once
        fresh.step(record.step - fresh.step_count)
        assert_same_weights(record.weights_list(), fresh.get_weights())
        assert record.epoch == fresh.epoch


def test_single_steps_are_recorded_as_a_fresh_run_would_have_the_weights(setup, process) -> None:
    dataset, spec, settings = setup
    events = Events(process)
    process.send(TrainSteps(400))
    live = events.snapshot(lambda e: e.snapshot.step == 400 and e.snapshot.recording.latest.step == 400)
    recording = live.snapshot.recording
    assert recording.is_frozen
    steps = recording.steps.tolist()
    assert steps[:21] == list(range(21))  # every step early on, then sparser
    assert steps[-1] == 400 and len(steps) < 120
    assert_records_equal_fresh_runs(recording, dataset, spec, settings)
    single = Trainer(dataset, spec, settings, seed=settings.seed)
    single.step(steps[-2])  # a run of exactly k steps in one call
    assert_same_weights(recording.at(steps[-2]).weights_list(), single.get_weights())


def test_continuous_training_is_recorded_bit_for_bit_and_pausing_records_where_it_stopped(
    setup, process
) -> None:
    dataset, spec, settings = setup
    events = Events(process)
    process.send(SetRunning(True))
    events.snapshot(lambda e: e.snapshot.step >= 1500)
    process.send(SetRunning(False))
    live = events.snapshot(lambda e: not e.running and e.snapshot.recording.latest.step == e.snapshot.step)
    recording = live.snapshot.recording
    assert recording.latest.step == live.snapshot.step >= 1500
    assert_records_equal_fresh_runs(recording, dataset, spec, settings)
    metrics = live.snapshot.metrics
    assert recording.latest.train_loss == pytest.approx(metrics.train_loss)


def test_a_reset_starts_a_new_recording(setup, process) -> None:
    dataset, spec, settings = setup
    events = Events(process)
    process.send(TrainSteps(50))
    events.snapshot(lambda e: e.snapshot.step == 50)
    process.send(ResetWeights(11))
    process.send(Generation(1))
    live = events.snapshot(lambda e: e.generation == 1)
    recording = live.snapshot.recording
    assert recording.steps.tolist() == [0]
    reset = Trainer(dataset, spec, settings, seed=11)
    assert_same_weights(recording.first.weights_list(), reset.get_weights())


def test_continuing_from_a_recorded_step_records_a_branch(process) -> None:
    events = Events(process)
    process.send(TrainSteps(200))
    recording = events.snapshot(lambda e: e.snapshot.step == 200).snapshot.recording
    k = int(recording.steps[30])
    branch = recording.branch(k)
    record = branch.first
    load = WeightsLoad(
        record.weights_list(), continue_run=True, step=k, epoch=record.epoch, recording=branch.frozen()
    )
    process.send(load)
    process.send(Generation(1))
    process.send(TrainSteps(40))
    live = events.snapshot(lambda e: e.generation == 1 and e.snapshot.step == k + 40)
    mirror = live.snapshot.recording
    assert mirror.origin == mirror.parent_step == k
    assert mirror.steps.tolist()[:3] == [k, k + 1, k + 2]  # dense again after the branch point
    assert mirror.latest.step == k + 40
    assert_same_weights(mirror.first.weights_list(), record.weights_list())

"""Out of memory in the training process pauses training with a message; weights and data are kept."""

from __future__ import annotations

import multiprocessing
import time

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.engine import network as network_module
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.trainer import Trainer
from workbench.core.training.trainer_process import OUT_OF_MEMORY, _TrainingLoop
from workbench.core.training.training_messages import Failed, RunningChanged, SetRunning


def test_a_step_out_of_memory_pauses_and_reports_instead_of_crashing(monkeypatch) -> None:
    """A full batch too large for the machine's memory: training pauses with a message, nothing is lost."""
    parent, child = multiprocessing.Pipe(duplex=True)
    dataset = generate("moons", 80, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(1024, "tanh"),), n_classes=dataset.n_classes)
    loop = _TrainingLoop(child, dataset, spec, TrainingSettings(batch_size=None), None)
    weights = [w.copy() for w, _ in loop.trainer.get_weights()]

    # The engine's check before it allocates a full batch through 1,024 neurons: as on a small machine.
    monkeypatch.setattr(network_module, "available_memory", lambda: 100_000)
    parent.send(SetRunning(True))
    assert loop._drain()
    loop._train_until(time.perf_counter() + 0.05)

    events = []
    while parent.poll():
        events.append(parent.recv())
    assert events == [RunningChanged(True), RunningChanged(False), Failed(OUT_OF_MEMORY)]
    assert not loop.running
    assert loop.dataset is dataset
    after = [w for w, _ in loop.trainer.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(after, weights, strict=True))
    parent.close()
    child.close()


def test_the_engine_refuses_a_workspace_larger_than_the_available_memory(monkeypatch) -> None:
    dataset = generate("moons", 400, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(1024, "tanh"),), n_classes=dataset.n_classes)
    trainer = Trainer(dataset, spec, TrainingSettings(batch_size=None))
    needed = len(dataset.train_indices) * (2 + 1 + 3 * 2 + 4 * 1024 + 1) * 4
    monkeypatch.setattr(network_module, "available_memory", lambda: needed - 1)
    with pytest.raises(MemoryError, match="GB needed"):
        trainer.step(1)
    monkeypatch.setattr(network_module, "available_memory", lambda: needed)
    assert trainer.step(1).steps == 1

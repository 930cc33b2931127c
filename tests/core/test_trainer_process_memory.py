"""Out of memory in the training process pauses training with a message; weights and data are kept."""

from __future__ import annotations

import multiprocessing
import time

import numpy as np

from workbench.core.generators import generate
from workbench.core.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.trainer import Trainer
from workbench.core.trainer_process import OUT_OF_MEMORY, _TrainingLoop


def test_a_step_out_of_memory_pauses_and_reports_instead_of_crashing(monkeypatch) -> None:
    parent, child = multiprocessing.Pipe(duplex=True)
    dataset = generate("moons", 80, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(1024, "tanh"),), n_classes=dataset.n_classes)
    loop = _TrainingLoop(child, dataset, spec, TrainingSettings(batch_size=None), None)
    weights = [w.copy() for w, _ in loop.trainer.get_weights()]

    def out_of_memory(self, n=1, should_stop=None):
        np.empty((10**12, 10**6), np.float32)  # numpy's own _ArrayMemoryError, a MemoryError

    monkeypatch.setattr(Trainer, "step", out_of_memory)
    parent.send(("run", True))
    assert loop._drain()
    loop._train_until(time.perf_counter() + 0.05)

    events = []
    while parent.poll():
        events.append(parent.recv())
    assert events == [("running", True), ("running", False), ("failed", OUT_OF_MEMORY)]
    assert not loop.running
    assert loop.dataset is dataset
    after = [w for w, _ in loop.trainer.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(after, weights, strict=True))
    parent.close()
    child.close()

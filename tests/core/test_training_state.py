"""Which snapshots from the training process carry the optimizer state (what Save needs to continue)."""

from __future__ import annotations

import pickle

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training import trainer_process


class Pipe:
    """The child's end of the pipe, keeping the snapshots it sent (pickled, as through a real pipe)."""

    def __init__(self) -> None:
        self.snapshots: list = []

    def send(self, message) -> None:
        message = pickle.loads(pickle.dumps(message))
        if isinstance(message, trainer_process.SnapshotDelta):
            self.snapshots.append(message.snapshot)

    def poll(self, *_: object) -> bool:
        return False


def test_large_networks_send_their_optimizer_state_when_paused_and_now_and_then(monkeypatch) -> None:
    dataset = generate("gaussians", 120, 3, seed=4)
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"),), n_classes=3)
    pipe = Pipe()
    loop = trainer_process._TrainingLoop(pipe, dataset, spec, TrainingSettings(optimizer="adam"), None)
    loop.trainer.step(10)
    loop.running = False
    loop._send_snapshot()
    paused = pipe.snapshots[-1]
    assert paused.optimizer_state["t"] == paused.step == 10  # paused: always, and of that very step
    assert paused.shuffle_state is not None

    loop.running = True
    loop._send_snapshot()
    assert pipe.snapshots[-1].optimizer_state is not None  # small: with every running snapshot too

    monkeypatch.setattr(trainer_process, "LIVE_OPTIMIZER_STATE_BYTES", 0)  # as if the network were huge
    loop.trainer.step(5)
    loop._send_snapshot()
    assert pipe.snapshots[-1].optimizer_state is None  # sent 0 s ago: not again while running
    monkeypatch.setattr(trainer_process, "OPTIMIZER_STATE_SECONDS", 0.0)
    loop._send_snapshot()
    assert pipe.snapshots[-1].optimizer_state["t"] == 15  # due again
    monkeypatch.setattr(trainer_process, "OPTIMIZER_STATE_SECONDS", 1e9)
    loop.running = False
    loop._send_snapshot()
    assert pipe.snapshots[-1].optimizer_state["t"] == 15  # and at the pause

"""Save and autosave after training in the window keep the whole training state: opening the file and
continuing gives the very steps that continuing without saving gives."""

from __future__ import annotations

import numpy as np

from workbench.core.data.generators import generate
from workbench.core.files.project import load_project, save_project
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.trainer import Trainer
from workbench.qt.document import Document
from workbench.qt.project_io import document_to_project, load_project_into
from workbench.qt.recovery import RecoveryManager
from workbench.qt.training_controller import TrainingController

WAIT_MS = 20_000


def adam_document() -> Document:
    dataset = generate("spiral", 300, 3, seed=7)
    spec = NetworkSpec(hidden=(LayerSpec(12, "tanh"), LayerSpec(12, "relu")), n_classes=3)
    settings = TrainingSettings(learning_rate=0.01, batch_size=24, optimizer="adam", seed=4)
    return Document(dataset, spec, settings)


def assert_same_weights(weights, expected) -> None:
    for (w, b), (w_expected, b_expected) in zip(weights, expected, strict=True):
        assert np.asarray(w).tobytes() == w_expected.tobytes()
        assert np.asarray(b).tobytes() == b_expected.tobytes()


def test_save_after_training_in_the_window_continues_exactly(qtbot, tmp_path) -> None:
    document = adam_document()
    controller = TrainingController(document)
    try:
        with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
            controller.start()
        qtbot.waitUntil(lambda: document.step >= 400, timeout=WAIT_MS)
        with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
            controller.pause()
        # The paused trainer's state, optimizer included, reaches the document (never blocking the GUI).
        qtbot.waitUntil(
            lambda: controller.last_frame is not None
            and not controller.last_frame.running
            and document.optimizer_state_step == document.step == controller.last_frame.snapshot.step,
            timeout=WAIT_MS,
        )
        trained = document.step
        assert document.optimizer_state["t"] == trained  # Adam counted every update
        assert document.undo_stack.count() == 0  # training is recorded, never pushed as undo steps

        path = tmp_path / "run.wbproj"
        save_project(document_to_project(document), path)
        recovery = RecoveryManager(document, tmp_path / "recovery")
        recovery.start()
        assert recovery.save_now()
        autosaved = load_project(recovery.autosave_path)
        recovery.shutdown()
        saved = load_project(path)
        for project in (saved, autosaved):
            assert project.step == trained and project.optimizer_state["t"] == trained
            np.testing.assert_array_equal(project.optimizer_state["m.all"], document.optimizer_state["m.all"])

        # Never saved: the same trainer simply goes on (the training process trains as the core trainer does).
        never_saved = Trainer(document.dataset, document.spec, document.settings, seed=document.settings.seed)
        never_saved.step(trained)
        assert_same_weights(document.weights, never_saved.get_weights())
        epoch = -(-len(document.dataset.train_indices) // 24)  # steps in one epoch
        never_saved.step(epoch + 3)

        load_project_into(document, saved, path)  # Open
        controller.step_epoch()
        qtbot.waitUntil(lambda: document.step == trained + epoch, timeout=WAIT_MS)
        for k in range(epoch + 1, epoch + 4):
            controller.step_once()
            qtbot.waitUntil(lambda k=k: document.step == trained + k, timeout=WAIT_MS)
        assert_same_weights(document.weights, never_saved.get_weights())
    finally:
        controller.shutdown()


def test_the_document_saves_the_latest_optimizer_state_it_got_and_drops_it_with_new_weights(qtbot) -> None:
    from workbench.core.model.engine import Network

    document = adam_document()
    trainer = Trainer(document.dataset, document.spec, document.settings, seed=document.settings.seed)
    trainer.step(20)
    snap = trainer.snapshot(with_optimizer_state=True)
    document.record_training(
        snap.weights, snap.history, snap.step, snap.epoch, snap.optimizer_state, snap.shuffle_state
    )
    assert document.is_modified and document.optimizer_state_step == 20
    trainer.step(5)
    running = trainer.snapshot()  # a large network while it trains: no optimizer state in this snapshot
    document.record_training(running.weights, running.history, running.step, running.epoch)
    assert document.step == 25 and document.optimizer_state_step == 20
    assert document_to_project(document).optimizer_state["t"] == 20  # the latest one there is
    paused = trainer.snapshot(with_optimizer_state=True)  # the paused snapshot completes step 25
    document.record_optimizer_state(paused.optimizer_state, paused.step, paused.shuffle_state)
    assert document_to_project(document).optimizer_state["t"] == 25
    assert document_to_project(document).shuffle_state == trainer.shuffle_state()

    document.replace_weights(Network(document.spec, seed=1).get_weights(), "Reset weights")
    assert document_to_project(document).optimizer_state is None  # new weights: a fresh optimizer
    assert document.undo_stack.count() == 1  # the reset is undoable; training never was

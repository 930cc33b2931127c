"""The document's recording: it follows the training process, and "Continue from here" is an undoable edit
after which training goes on from the recorded step as a new branch."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.recording import Recording, RecordingError, StepNotRecorded
from workbench.core.training.trainer import Trainer
from workbench.qt.document import Document
from workbench.qt.training_controller import TrainingController

WAIT_MS = 20_000


def easy_document() -> Document:
    dataset = generate("gaussians", 200, 2, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(6, "tanh"),), n_classes=2)
    return Document(dataset, spec, TrainingSettings(learning_rate=0.05, batch_size=16, optimizer="adam"))


def trained_state(document: Document, steps: int):
    """What the training process would have sent after `steps` steps: weights, history and recording."""
    trainer = Trainer(document.dataset, document.spec, document.settings)
    recording = Recording(trainer.spec)
    while trainer.step_count < steps:
        if recording.is_due(trainer.step_count):
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        trainer.step(max(1, min(recording.steps_until_due(trainer.step_count), steps - trainer.step_count)))
    recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
    return trainer, recording


def record(document: Document, trainer: Trainer, recording: Recording) -> None:
    snapshot = trainer.snapshot()
    document.record_training(
        snapshot.weights, snapshot.history, snapshot.step, snapshot.epoch, recording=recording.frozen()
    )


def test_new_records_emit_recording_changed_and_the_same_recording_does_not(qtbot) -> None:
    doc = easy_document()
    assert doc.recording is None
    _, recording = trained_state(doc, 60)
    view = recording.frozen()
    with qtbot.waitSignal(doc.recordingChanged):
        doc.record_recording(view)
    assert doc.recording is view and doc.recording.is_frozen
    with qtbot.assertNotEmitted(doc.recordingChanged):
        doc.record_recording(view)


def test_continue_from_puts_the_recorded_weights_back_and_undo_restores_the_run(qtbot) -> None:
    doc = easy_document()
    trainer, recording = trained_state(doc, 300)
    record(doc, trainer, recording)
    k = int(recording.steps[25])
    before = doc.weights
    with qtbot.waitSignals([doc.weightsReplaced, doc.recordingChanged]):
        doc.continue_from(k)
    assert doc.undo_stack.undoText() == f"Continue from step {k}"
    assert doc.weights_change == "continue"
    assert doc.step == k and doc.epoch == recording.at(k).epoch
    for (w, b), (rw, rb) in zip(doc.weights, recording.at(k).weights_list(), strict=True):
        np.testing.assert_array_equal(w, rw)
        np.testing.assert_array_equal(b, rb)
    assert doc.history.steps[-1] <= k
    assert doc.recording.origin == doc.recording.parent_step == k and len(doc.recording) == 1
    assert doc.optimizer_state is None  # a fresh optimizer from the recorded step

    doc.undo_stack.undo()
    assert doc.step == 300 and len(doc.recording) == len(recording)
    for (w, b), (ow, ob) in zip(doc.weights, before, strict=True):
        np.testing.assert_array_equal(w, ow)
        np.testing.assert_array_equal(b, ob)
    doc.undo_stack.redo()
    assert doc.step == k


def test_continue_from_a_step_that_was_not_recorded_names_the_nearest(qtbot) -> None:
    doc = easy_document()
    with pytest.raises(RecordingError, match="nothing is recorded"):
        doc.continue_from(5)
    trainer, recording = trained_state(doc, 300)
    record(doc, trainer, recording)
    missing = int(recording.steps[-2]) + 1
    with pytest.raises(StepNotRecorded, match="nearest recorded steps are"):
        doc.continue_from(missing)
    assert doc.undo_stack.count() == 0


def test_a_new_network_or_new_weights_drop_the_old_recording(qtbot) -> None:
    doc = easy_document()
    trainer, recording = trained_state(doc, 30)
    record(doc, trainer, recording)
    with qtbot.waitSignal(doc.recordingChanged):
        doc.replace_weights(trainer.get_weights(), "Import weights")
    assert doc.recording is None
    record(doc, trainer, recording)
    with qtbot.waitSignal(doc.recordingChanged):
        doc.set_spec(NetworkSpec(hidden=(LayerSpec(4, "relu"),)))
    assert doc.recording is None


@pytest.fixture
def controller(qtbot):
    made = TrainingController(easy_document())
    yield made
    made.shutdown()


def test_training_fills_the_documents_recording_and_continue_from_here_trains_on_from_the_step(
    qtbot, controller
) -> None:
    doc = controller.document
    controller.step_once()
    controller.start()
    qtbot.waitUntil(lambda: doc.recording is not None and doc.step >= 300, timeout=WAIT_MS)
    controller.pause()
    qtbot.waitUntil(
        lambda: not controller.is_running and doc.recording.latest.step == doc.step, timeout=WAIT_MS
    )
    recording = doc.recording
    fresh = Trainer(doc.dataset, doc.spec, doc.settings)
    k = int(recording.steps[40])
    fresh.step(k)
    for (w, b), (fw, fb) in zip(recording.at(k).weights_list(), fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(w, fw)
        np.testing.assert_array_equal(b, fb)

    doc.continue_from(k)
    controller.step_once()
    qtbot.waitUntil(lambda: doc.step == k + 1 and doc.recording.latest.step == k + 1, timeout=WAIT_MS)
    branch = doc.recording
    assert branch.parent_step == k and branch.steps.tolist() == [k, k + 1]
    assert controller.last_frame.snapshot.step == k + 1
    assert doc.history.steps[-1] <= k + 1


def test_save_open_and_crash_recovery_keep_the_recording(qtbot, tmp_path) -> None:
    from workbench.core.files.project import load_project
    from workbench.qt.project_io import load_project_into
    from workbench.qt.recovery import RecoveryManager

    doc = easy_document()
    trainer, recording = trained_state(doc, 120)
    record(doc, trainer, recording)
    manager = RecoveryManager(doc, tmp_path)
    manager.start()
    try:
        assert manager.save_now()
        restored = easy_document()
        load_project_into(restored, load_project(manager.autosave_path), None)
    finally:
        manager.shutdown()
    assert restored.recording.steps.tolist() == recording.steps.tolist()
    assert restored.weights_change == "load"
    restored.continue_from(int(recording.steps[10]))  # scrubbing back works in the restored session
    assert restored.step == int(recording.steps[10])


def test_only_the_latest_continue_steps_keep_their_recordings_so_undo_memory_stays_bounded(qtbot) -> None:
    from workbench.qt.document import MAX_UNDO_RECORDINGS

    doc = easy_document()
    trainer, recording = trained_state(doc, 300)
    record(doc, trainer, recording)
    for _ in range(MAX_UNDO_RECORDINGS + 2):
        doc.continue_from(int(doc.recording.latest.step))
        record(doc, trainer, recording)  # trained on: the run's recording again
    held = [doc.undo_stack.command(i) for i in range(doc.undo_stack.count())]
    keeping = [c for c in held if c._old.recording is not None]
    assert len(keeping) == MAX_UNDO_RECORDINGS
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.step == 300 and doc.recording is None  # the oldest undo step let its recording go

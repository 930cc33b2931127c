"""The open document: the core's dataset, network spec and settings behind one QUndoStack.

Every change a user makes goes through a command pushed here, so undo/redo covers data, architecture and
hyper-parameters alike, and the stack's clean state is the "modified" flag. Views listen to the change signals
and never edit the core objects themselves. Trained weights are not undoable (training is not an edit) but do
make the document modified, so closing after training still asks before losing them; recording them pushes
nothing onto the undo stack, and the history is a bounded `TrainingHistory`, so a long run keeps the
document's size constant.

The weight recording of the run (`recording`, a frozen `Recording`: bounded too) mirrors the training
process's, which sends it with its snapshots; `continue_from(step)` ("Continue from here") is an edit:
undoable, it puts back the weights recorded at that step, cuts the history there and starts a new branch
of the recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from workbench.core.controls import ClassroomControls
from workbench.core.data.dataset import Dataset
from workbench.core.data.edits import Edit, ReplaceDataset
from workbench.core.model.network_edits import with_outputs
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.training.gradient_flow import GradientFlow
from workbench.core.training.history import TrainingHistory
from workbench.core.training.recording import Recording, RecordingError

Weights = list[tuple[np.ndarray, np.ndarray]]

#: Undo steps of "Continue from here" that keep the recordings they would put back: each may hold a whole
#: recording (up to `recording.MAX_BYTES`), so older ones let theirs go and memory stays bounded.
MAX_UNDO_RECORDINGS = 3

# Merge ids for commands whose consecutive repeats collapse into one undo step (slider drags, spin boxes).
_MERGE_SETTINGS = 1001
_MERGE_TEST_FRACTION = 1002


def fitted_spec(spec: NetworkSpec, dataset: Dataset) -> NetworkSpec:
    """`spec` with the output the dataset needs: its task (one value for regression) and class count."""
    return with_outputs(spec, dataset.task, dataset.n_classes)


class _DatasetEditCommand(QUndoCommand):
    """Applies one invertible core edit; keeps the spec's task and class count in step with the dataset."""

    def __init__(self, document: Document, edit: Edit) -> None:
        super().__init__(edit.description)
        self._document = document
        self._edit = edit
        self._inverse: Edit | None = None
        self._old_spec: NetworkSpec | None = None

    def redo(self) -> None:
        doc = self._document
        new_dataset, self._inverse = self._edit.apply(doc.dataset)
        self._old_spec = doc.spec
        doc._set_dataset(new_dataset)

    def undo(self) -> None:
        doc = self._document
        assert self._inverse is not None and self._old_spec is not None
        restored, self._edit = self._inverse.apply(doc.dataset)
        doc._set_dataset(restored, spec=self._old_spec)


class _SpecCommand(QUndoCommand):
    def __init__(self, document: Document, spec: NetworkSpec, text: str) -> None:
        super().__init__(text)
        self._document = document
        self._new = spec
        self._old = document.spec

    def redo(self) -> None:
        self._document._set_spec(self._new)

    def undo(self) -> None:
        self._document._set_spec(self._old)


class _SettingsCommand(QUndoCommand):
    """A hyper-parameter change; consecutive changes of the same field merge into one undo step."""

    def __init__(self, document: Document, settings: TrainingSettings, text: str, field: str) -> None:
        super().__init__(text)
        self._document = document
        self._new = settings
        self._old = document.settings
        self._field = field

    def id(self) -> int:
        return _MERGE_SETTINGS

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _SettingsCommand) or other._field != self._field:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._document._set_settings(self._new)

    def undo(self) -> None:
        self._document._set_settings(self._old)


class _WeightsCommand(QUndoCommand):
    """Replace the weights (reset with a new seed, import from a file); undo brings the old ones back."""

    def __init__(self, document: Document, weights: Weights | None, text: str) -> None:
        super().__init__(text)
        self._document = document
        self._new = _copy_weights(weights)
        self._old = _copy_weights(document.weights)

    def redo(self) -> None:
        self._document._set_weights(self._new)

    def undo(self) -> None:
        self._document._set_weights(self._old)


class _ClassroomCommand(QUndoCommand):
    """Change the project's classroom mode (controls hidden or locked); undo brings the old one back."""

    def __init__(self, document: Document, classroom: ClassroomControls, text: str) -> None:
        super().__init__(text)
        self._document = document
        self._new = classroom
        self._old = document.classroom

    def redo(self) -> None:
        self._document._set_classroom(self._new)

    def undo(self) -> None:
        self._document._set_classroom(self._old)


@dataclass(frozen=True, eq=False)
class _RunState:
    """Everything "Continue from here" replaces, so undo can put it back."""

    weights: Weights | None
    history: TrainingHistory
    step: int
    epoch: int
    optimizer_state: dict | None
    optimizer_state_step: int | None
    shuffle_state: dict | None
    recording: Recording | None


class _ContinueCommand(QUndoCommand):
    """Continue from a recorded step: its weights, the history up to it, a new branch of the recording."""

    def __init__(self, document: Document, new: _RunState, text: str) -> None:
        super().__init__(text)
        self._document = document
        self._new = new
        self._old = document._run_state()

    def release_recordings(self) -> None:
        """Forget the recordings this step would put back (undo or redo then record anew from its step)."""
        self._new = replace(self._new, recording=None)
        self._old = replace(self._old, recording=None)

    def redo(self) -> None:
        self._document._set_run_state(self._new)

    def undo(self) -> None:
        self._document._set_run_state(self._old)


def _copy_weights(weights: Sequence[tuple[np.ndarray, np.ndarray]] | None) -> Weights | None:
    if weights is None:
        return None
    return [(np.array(w, copy=True), np.array(b, copy=True)) for w, b in weights]


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only version of `array`; read-only arrays (snapshot copies) are shared, not copied again."""
    if not array.flags.writeable:
        return array
    copy = np.array(array, copy=True)
    copy.setflags(write=False)
    return copy


class Document(QObject):
    """Dataset + spec + settings + weights of one project, with undo and a modified flag."""

    datasetChanged = Signal()
    specChanged = Signal()
    settingsChanged = Signal()
    #: Weights were replaced by an edit (reset, import, open): the trainer must load `document.weights`.
    #: `weights_change` says how the trainer takes them.
    weightsReplaced = Signal()
    #: The weight recording has new records, or was replaced (new run, open, continue from a step).
    recordingChanged = Signal()
    #: The project's classroom mode (controls hidden or locked) changed.
    classroomChanged = Signal()
    pathChanged = Signal()
    modifiedChanged = Signal(bool)

    def __init__(
        self,
        dataset: Dataset,
        spec: NetworkSpec,
        settings: TrainingSettings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(500)
        self._dataset = dataset
        self._spec = fitted_spec(spec, dataset)
        self._settings = settings
        self._weights: Weights | None = None
        self._history = TrainingHistory().frozen()
        self._step = 0
        self._epoch = 0
        self._optimizer_state: dict | None = None
        self._optimizer_state_step: int | None = None
        self._shuffle_state: dict | None = None
        self._recording: Recording | None = None
        self._gradients: GradientFlow | None = None
        self._weights_change = "edit"
        self._continue_commands: list[_ContinueCommand] = []  # newest last (see MAX_UNDO_RECORDINGS)
        self._path: Path | None = None
        self._classroom = ClassroomControls()
        self._trained_since_save = False
        self._was_modified = False
        self.undo_stack.cleanChanged.connect(self._emit_modified)

    # --- reading ------------------------------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def spec(self) -> NetworkSpec:
        return self._spec

    @property
    def settings(self) -> TrainingSettings:
        return self._settings

    @property
    def weights(self) -> Weights | None:
        """Last known weights (from the trainer or a file); None until a network exists."""
        return self._weights

    @property
    def gradients(self) -> GradientFlow | None:
        """The run's gradient flow as last received from the trainer or a file (frozen), or None."""
        return self._gradients

    @property
    def classroom(self) -> ClassroomControls:
        """The controls a teacher hid or locked in this project (saved with it, applied on opening)."""
        return self._classroom

    def set_classroom(self, classroom: ClassroomControls, text: str = "Change classroom mode") -> None:
        if classroom != self._classroom:
            self.undo_stack.push(_ClassroomCommand(self, classroom, text))

    def _set_classroom(self, classroom: ClassroomControls) -> None:
        self._classroom = classroom
        self.classroomChanged.emit()

    @property
    def history(self) -> TrainingHistory:
        """The loss history (frozen, at most `workbench.core.training.history.MAX_ENTRIES` entries)."""
        return self._history

    @property
    def step(self) -> int:
        return self._step

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def optimizer_state(self) -> dict | None:
        """The optimizer state Save writes (None: a fresh optimizer); see `optimizer_state_step`."""
        return self._optimizer_state

    @property
    def shuffle_state(self) -> dict | None:
        """Where the trainer's batch order stood with `optimizer_state` (`Trainer.shuffle_state`)."""
        return self._shuffle_state

    @property
    def optimizer_state_step(self) -> int | None:
        """The step the optimizer state belongs to: `step` when current, older while a large network
        trains (its state comes only every few seconds), None when there is none."""
        return self._optimizer_state_step

    @property
    def recording(self) -> Recording | None:
        """The run's weight recording (frozen: it never changes; a new one comes with `recordingChanged`),
        or None before the training process has sent one (a project without a recording, a new run)."""
        return self._recording

    @property
    def weights_change(self) -> str:
        """How the last `weightsReplaced` wants the trainer to take the weights: "load" (Open, New,
        Restore: continue the saved run, paused), "continue" (Continue from here and its undo: continue the
        run at `step` with `history` and `recording`, running or not) or "edit" (reset, import, undo of
        those: a fresh run from these weights)."""
        return self._weights_change

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean() or self._trained_since_save

    @property
    def display_name(self) -> str:
        return self._path.name if self._path else "Untitled"

    # --- editing (undoable) ----------------------------------------------------------------------------
    def apply_edit(self, edit: Edit) -> None:
        """Apply a core dataset edit as one undo step (or part of the open gesture macro)."""
        self.undo_stack.push(_DatasetEditCommand(self, edit))

    @property
    def task(self) -> str:
        """ "classification" or "regression": the dataset's, which the spec follows."""
        return self._dataset.task

    def set_task(self, task: str) -> bool:
        """Switch between classification and regression as one undo step: the points keep their places,
        class numbers become values (`Dataset.as_regression`) or values classes (`as_classification`), and
        the network's output follows (undo brings back the data, the classes and the old output). False when
        the data already has that task."""
        dataset = self._dataset
        if task == dataset.task:
            return False
        if task == "regression":
            new, text = dataset.as_regression(), "Switch to regression"
        elif task == "classification":
            new, text = dataset.as_classification(), "Switch to classification"
        else:
            raise ValueError(f"unknown task {task!r}; choose classification or regression")
        self.apply_edit(ReplaceDataset(new, description=text))
        return True

    def set_spec(self, spec: NetworkSpec, text: str = "Change network") -> None:
        spec = fitted_spec(spec, self._dataset).validate()
        if spec != self._spec:
            self.undo_stack.push(_SpecCommand(self, spec, text))

    def set_settings(self, settings: TrainingSettings, text: str = "Change training settings") -> None:
        settings = settings.validate()
        if settings == self._settings:
            return
        changed = [k for k, v in settings.to_dict().items() if self._settings.to_dict()[k] != v]
        field = changed[0] if len(changed) == 1 else ",".join(changed)
        self.undo_stack.push(_SettingsCommand(self, settings, text, field))

    def replace_weights(self, weights: Weights | None, text: str = "Reset weights") -> None:
        self.undo_stack.push(_WeightsCommand(self, weights, text))

    def continue_from(self, step: int, text: str | None = None) -> None:
        """Continue from here: the weights recorded at `step` become the document's (undoable), the
        history is cut at `step` and the recording continues as a new branch starting there; training goes
        on from that step with a fresh optimizer and batch order.

        Raises `StepNotRecorded` (its message names the nearest recorded steps) for a step without a
        record, `RecordingError` when nothing is recorded."""
        recording = self._recording
        if recording is None or not len(recording):
            raise RecordingError("nothing is recorded yet: train first")
        record = recording.at(step)
        history = self._history.copy()
        history.cut_after(record.step)
        new = _RunState(
            weights=record.weights_list(),
            history=history.frozen(),
            step=record.step,
            epoch=record.epoch,
            optimizer_state=None,
            optimizer_state_step=None,
            shuffle_state=None,
            recording=recording.branch(record.step).frozen(),
        )
        command = _ContinueCommand(self, new, text or f"Continue from step {record.step:,}")
        self.undo_stack.push(command)
        self._continue_commands = [c for c in self._continue_commands if self._on_stack(c)] + [command]
        while len(self._continue_commands) > MAX_UNDO_RECORDINGS:
            self._continue_commands.pop(0).release_recordings()

    def _on_stack(self, command: QUndoCommand) -> bool:
        stack = self.undo_stack
        return any(stack.command(i) is command for i in range(stack.count()))

    def begin_gesture(self, text: str) -> None:
        """Start one undo step that collects every edit of a mouse gesture."""
        self.undo_stack.beginMacro(text)

    def end_gesture(self) -> None:
        self.undo_stack.endMacro()

    # --- training results (not undoable) ----------------------------------------------------------------
    def record_training(
        self,
        weights: Weights,
        history: TrainingHistory | Any,
        step: int,
        epoch: int,
        optimizer_state: dict | None = None,
        shuffle_state: dict | None = None,
        recording: Recording | None = None,
        gradients: GradientFlow | None = None,
    ) -> None:
        """Store the trainer's latest state so Save writes it; marks the document modified. Not undoable.

        Called for every live frame, so nothing is copied: snapshot arrays are already read-only copies and
        the history a frozen view. Without `optimizer_state` (or `recording`) the previous one is kept.
        """
        self._weights = [(_frozen(w), _frozen(b)) for w, b in weights]
        self._history = TrainingHistory.coerce(history).frozen()
        self._step, self._epoch = int(step), int(epoch)
        if gradients is not None:
            self._gradients = gradients
        if optimizer_state is not None:
            self.record_optimizer_state(optimizer_state, step, shuffle_state)
        if recording is not None:
            self.record_recording(recording)
        if not self._trained_since_save:
            self._trained_since_save = True
            self._emit_modified()

    def record_recording(self, recording: Recording) -> None:
        """Take the training process's recording (frozen; the same object again is nothing new). Not
        undoable, like all training results; emits `recordingChanged` when it is another one."""
        if recording is self._recording:
            return
        self._recording = recording.frozen()
        self.recordingChanged.emit()

    def record_optimizer_state(
        self, optimizer_state: dict, step: int, shuffle_state: dict | None = None
    ) -> None:
        """Keep the trainer's optimizer (and batch order) state at `step` for Save. It does not mark the
        document modified: it only completes what was recorded for that step."""
        self._optimizer_state = optimizer_state
        self._optimizer_state_step = int(step)
        self._shuffle_state = shuffle_state

    # --- whole-document operations ---------------------------------------------------------------------
    def load(
        self,
        dataset: Dataset,
        spec: NetworkSpec,
        settings: TrainingSettings,
        *,
        weights: Weights | None = None,
        history: TrainingHistory | Any = (),
        step: int = 0,
        epoch: int = 0,
        optimizer_state: dict | None = None,
        shuffle_state: dict | None = None,
        recording: Recording | None = None,
        path: Path | None = None,
        classroom: ClassroomControls | None = None,
        gradients: GradientFlow | None = None,
    ) -> None:
        """Replace everything (New, Open, Restore); clears undo history and the modified flag.

        A `recording` of another network than `spec` is dropped (the run then records anew)."""
        self.undo_stack.clear()
        self._continue_commands = []
        self._dataset = dataset
        self._spec = fitted_spec(spec, dataset)
        self._settings = settings
        self._weights = _copy_weights(weights)
        # Always a new object: the training controller tells a loaded history from its own by identity.
        self._history = TrainingHistory.coerce(history).tail(0)
        self._step, self._epoch = int(step), int(epoch)
        self._optimizer_state = optimizer_state
        self._optimizer_state_step = int(step) if optimizer_state is not None else None
        self._shuffle_state = shuffle_state
        fits = recording is not None and recording.spec.to_dict() == self._spec.to_dict()
        self._recording = recording.frozen() if fits and weights is not None else None
        self._weights_change = "load"
        self._trained_since_save = False
        self._path = Path(path) if path else None
        self._classroom = classroom or ClassroomControls()
        self._gradients = gradients if weights is not None else None
        self.undo_stack.setClean()
        self.classroomChanged.emit()
        self.datasetChanged.emit()
        self.specChanged.emit()
        self.settingsChanged.emit()
        self.weightsReplaced.emit()
        self.recordingChanged.emit()
        self.pathChanged.emit()
        self._emit_modified()

    def mark_saved(self, path: Path) -> None:
        self._path = Path(path)
        self._trained_since_save = False
        self.undo_stack.setClean()
        self.pathChanged.emit()
        self._emit_modified()

    def mark_restored(self) -> None:
        """Flag a document restored from a crash-recovery file as unsaved work, so closing still asks."""
        self._trained_since_save = True
        self._emit_modified()

    # --- internals used by the commands ----------------------------------------------------------------
    def _set_dataset(self, dataset: Dataset, spec: NetworkSpec | None = None) -> None:
        self._dataset = dataset
        new_spec = spec if spec is not None else fitted_spec(self._spec, dataset)
        self.datasetChanged.emit()
        if new_spec != self._spec:
            self._spec = new_spec
            self.specChanged.emit()
            self._drop_recording()  # another task or class count: the trainer starts a new run

    def _set_spec(self, spec: NetworkSpec) -> None:
        self._spec = spec
        self.specChanged.emit()
        self._drop_recording()  # a new architecture starts a new run (and recording) in the trainer

    def _drop_recording(self) -> None:
        """The recording belongs to weights the document no longer has; the trainer's new one follows."""
        if self._recording is not None:
            self._recording = None
            self.recordingChanged.emit()

    def _set_settings(self, settings: TrainingSettings) -> None:
        self._settings = settings
        self.settingsChanged.emit()

    def _set_weights(self, weights: Weights | None) -> None:
        self._weights = _copy_weights(weights)
        # New weights train with a fresh optimizer and batch order (and measure a new gradient flow).
        self._optimizer_state = self._optimizer_state_step = self._shuffle_state = None
        self._gradients = None
        self._weights_change = "edit"
        self.weightsReplaced.emit()
        self._drop_recording()  # a fresh run: the trainer records it anew

    def _run_state(self) -> _RunState:
        return _RunState(
            self._weights,
            self._history,
            self._step,
            self._epoch,
            self._optimizer_state,
            self._optimizer_state_step,
            self._shuffle_state,
            self._recording,
        )

    def _set_run_state(self, state: _RunState) -> None:
        """Continue from a recorded step (or undo that): weights, progress and recording together."""
        self._weights = _copy_weights(state.weights)
        self._history = state.history
        self._step, self._epoch = state.step, state.epoch
        self._optimizer_state = state.optimizer_state
        self._optimizer_state_step = state.optimizer_state_step
        self._shuffle_state = state.shuffle_state
        self._recording = state.recording
        self._weights_change = "continue"
        self.weightsReplaced.emit()
        self.recordingChanged.emit()

    def _emit_modified(self, *_: object) -> None:
        modified = self.is_modified
        if modified != self._was_modified:
            self._was_modified = modified
            self.modifiedChanged.emit(modified)

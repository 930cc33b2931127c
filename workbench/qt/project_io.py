"""Moving a whole project between the document and the core's project file format.

Save, Open and crash recovery all need the same two conversions; keeping them here means the recovery file
is exactly what Save would have written.
"""

from __future__ import annotations

from pathlib import Path

# Imported with the window, not at the first autosave: the import takes ~13 ms, a visible hitch mid-training.
from workbench.core.files.project import Project
from workbench.qt.document import Document


def document_to_project(document: Document) -> Project:
    """A core `Project` holding everything the document would save (arrays are copies)."""
    return Project(
        dataset=document.dataset,
        spec=document.spec,
        settings=document.settings,
        weights=document.weights,
        optimizer_state=document.optimizer_state,
        history=document.history,
        step=document.step,
        epoch=document.epoch,
        shuffle_state=document.shuffle_state,
        recording=_saved_recording(document),
        classroom=document.classroom,
        gradients=_saved_gradients(document),
    )


def _saved_gradients(document: Document):
    """The document's gradient flow, when it belongs to the weights Save writes (not past their step)."""
    flow = document.gradients
    if flow is None or document.weights is None or not len(flow):
        return None
    if flow.n_layers != document.spec.output_node:
        return None
    if flow.steps[-1] > document.step:
        flow = flow.copy()
        flow.cut_after(document.step)
    return flow if len(flow) else None


def _saved_recording(document: Document):
    """The document's recording, when it belongs to the weights Save writes (not past their step)."""
    recording = document.recording
    if recording is None or document.weights is None or not len(recording):
        return None
    if recording.spec.to_dict() != document.spec.to_dict():
        return None
    if recording.latest.step > document.step:  # a frame behind the recording: keep what fits
        recording = recording.copy()
        recording.cut_after(document.step)
    return recording if len(recording) else None


def load_project_into(document: Document, project, path: Path | None) -> None:
    """Replace the document's contents with a loaded project (clears undo history)."""
    document.load(
        project.dataset,
        project.spec,
        project.settings,
        weights=project.weights,
        history=project.history,
        step=project.step,
        epoch=project.epoch,
        optimizer_state=project.optimizer_state,
        shuffle_state=project.shuffle_state,
        recording=project.recording,
        path=path,
        classroom=project.classroom,
        gradients=project.gradients,
    )

"""The document's undo stack covers data, architecture and settings; the modified flag follows it."""

import numpy as np
from PySide6.QtCore import QObject

from workbench.core.data import edits
from workbench.core.data.dataset import Dataset
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.qt.document import Document


def make_document() -> Document:
    data = Dataset(np.array([[0.0, 0.0], [1.0, 1.0]]), [0, 1])
    return Document(data, NetworkSpec(), TrainingSettings())


def test_dataset_edit_is_undoable_and_marks_modified(qtbot) -> None:
    doc = make_document()
    original = doc.dataset
    with qtbot.waitSignal(doc.modifiedChanged) as blocker:
        doc.apply_edit(edits.AddPoints([[2.0, 2.0]], [1]))
    assert blocker.args == [True]
    assert len(doc.dataset) == 3
    doc.undo_stack.undo()
    assert doc.dataset.equals(original)
    assert not doc.is_modified
    doc.undo_stack.redo()
    assert len(doc.dataset) == 3


def test_a_gesture_is_one_undo_step(qtbot) -> None:
    doc = make_document()
    doc.begin_gesture("Brush")
    for i in range(5):
        doc.apply_edit(edits.AddPoints([[i, i]], [0]))
    doc.end_gesture()
    assert len(doc.dataset) == 7
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert len(doc.dataset) == 2


def test_adding_a_class_grows_the_output_layer_and_undo_shrinks_it(qtbot) -> None:
    doc = make_document()
    doc.apply_edit(edits.AddClass("third"))
    assert doc.spec.n_classes == 3
    doc.undo_stack.undo()
    assert doc.spec.n_classes == 2


def test_spec_and_settings_changes_are_undoable_and_slider_drags_merge(qtbot) -> None:
    doc = make_document()
    doc.set_spec(NetworkSpec(hidden=(LayerSpec(4, "relu"),)), "One layer")
    assert doc.spec.hidden == (LayerSpec(4, "relu"),)
    for lr in (0.1, 0.2, 0.3):
        doc.set_settings(TrainingSettings(learning_rate=lr))
    assert doc.undo_stack.count() == 2, "consecutive learning-rate changes should merge"
    doc.undo_stack.undo()
    assert doc.settings.learning_rate == TrainingSettings().learning_rate
    doc.undo_stack.undo()
    assert doc.spec == NetworkSpec()


def test_training_marks_modified_until_saved(qtbot, tmp_path) -> None:
    doc = make_document()
    weights = [(np.ones((2, 2), np.float32), np.zeros(2, np.float32))]
    doc.record_training(weights, [], step=10, epoch=1)
    assert doc.is_modified
    weights[0][0][:] = 5.0
    assert doc.weights[0][0][0, 0] == 1.0, "the document keeps its own copy"
    doc.mark_saved(tmp_path / "a.wbproj")
    assert not doc.is_modified and doc.display_name == "a.wbproj"


def test_signal_listeners_see_the_new_state(qtbot) -> None:
    doc = make_document()
    seen = []

    class Listener(QObject):
        def on_change(self) -> None:
            seen.append(len(doc.dataset))

    listener = Listener()
    doc.datasetChanged.connect(listener.on_change)
    doc.apply_edit(edits.DeletePoints([0]))
    doc.undo_stack.undo()
    assert seen == [1, 2]


def test_adding_a_class_turns_a_residual_link_into_the_output_into_a_connection(qtbot) -> None:
    from workbench.core.model.spec import Link

    doc = make_document()
    doc.set_spec(NetworkSpec(hidden=(LayerSpec(2),)).with_links((), [Link(1, 2)]), "Residual into output")
    doc.apply_edit(edits.AddClass("class 3"))
    assert doc.spec.n_classes == 3
    assert doc.spec.residuals == () and doc.spec.connections == ()  # 1>out is the chain edge: dropped
    doc.undo_stack.undo()
    assert doc.spec.residuals == (Link(1, 2),)

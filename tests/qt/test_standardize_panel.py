"""The training panel's input-standardization setting: undoable, frozen statistics, seen by the trainer."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.edits import AddPoints
from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.qt.document import Document
from workbench.qt.training_controller import TrainingController
from workbench.qt.training_panel import TrainingPanel

WAIT_MS = 20_000


@pytest.fixture
def panel(qtbot):
    base = generate("gaussians", 200, 2, seed=1)
    dataset = base.replace(points=base.points * 30 + 60)
    document = Document(dataset, NetworkSpec(hidden=(LayerSpec(6, "tanh"),)), TrainingSettings())
    controller = TrainingController(document)
    widget = TrainingPanel(document, controller)
    qtbot.addWidget(widget)
    yield widget, document, controller
    controller.shutdown()


def test_switching_standardization_on_measures_the_training_points_and_undo_switches_it_off(qtbot, panel):
    widget, document, controller = panel
    assert widget.scaling_combo.currentData() == "none" and document.spec.input_scaling is None
    widget.scaling_combo.setCurrentIndex(widget.scaling_combo.findData("standardize"))
    train = document.dataset.points[document.dataset.train_indices]
    scaling = document.spec.input_scaling
    assert scaling.mean == pytest.approx(tuple(train.mean(axis=0)))
    assert scaling.std == pytest.approx(tuple(train.std(axis=0)))
    assert widget.scaling_label.isVisibleTo(widget) and "fixed" in widget.scaling_label.text()
    # The trainer (another process) works with the same statistics the window shows.
    qtbot.waitUntil(
        lambda: (
            controller.last_frame is not None and controller.last_frame.snapshot.spec.input_scaling == scaling
        ),
        timeout=WAIT_MS,
    )
    # Editing points keeps the statistics the weights were trained with.
    document.apply_edit(AddPoints(np.array([[500.0, 500.0]]), np.array([1])))
    assert document.spec.input_scaling == scaling
    document.undo_stack.undo()  # the added point
    document.undo_stack.undo()  # standardization
    assert document.spec.input_scaling is None and widget.scaling_combo.currentData() == "none"
    assert not widget.scaling_label.isVisibleTo(widget)
    document.undo_stack.redo()
    assert document.spec.input_scaling == scaling and widget.scaling_combo.currentData() == "standardize"

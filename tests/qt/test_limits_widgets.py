"""Every widget's range is the limits table's range, and the core refuses what the widgets cannot show."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workbench.core import limits
from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.qt.document import Document
from workbench.qt.network_panel import NetworkPanel
from workbench.qt.training_controller import TrainingController
from workbench.qt.training_panel import TrainingPanel, position_to_lr


@pytest.fixture
def panel(qtbot):
    document = Document(generate("moons", 60, seed=1), NetworkSpec(), TrainingSettings())
    controller = TrainingController(document)
    panel = TrainingPanel(document, controller)
    qtbot.addWidget(panel)
    yield panel
    controller.shutdown()


def test_training_panel_ranges_are_the_tables(panel) -> None:
    slider = panel.lr_slider
    assert position_to_lr(slider.minimum()) == pytest.approx(limits.LEARNING_RATE.minimum)
    assert position_to_lr(slider.maximum()) == pytest.approx(limits.LEARNING_RATE.maximum)
    spin = panel.momentum_spin
    assert (spin.minimum(), spin.maximum()) == (limits.MOMENTUM.minimum, limits.MOMENTUM.maximum)
    spin = panel.l2_spin
    assert (spin.minimum(), spin.maximum()) == (limits.L2.minimum, limits.L2.maximum)
    batch = panel.batch_spin
    assert batch.maximum() == limits.BATCH_SIZE.maximum
    assert batch.minimum() == 0 and batch.specialValueText() == "all"  # below the table's minimum: "all"
    assert batch.minimum() + 1 == limits.BATCH_SIZE.minimum
    test = panel.test_slider
    assert (test.minimum() / 100, test.maximum() / 100) == (
        limits.TEST_FRACTION.minimum,
        limits.TEST_FRACTION.maximum,
    )


def test_the_largest_batch_the_core_accepts_shows_in_the_panel(panel) -> None:
    document = panel._document
    biggest = int(limits.BATCH_SIZE.maximum)
    document.set_settings(replace(document.settings, batch_size=biggest, l2=limits.L2.maximum))
    assert panel.batch_spin.value() == biggest
    assert panel.l2_spin.value() == limits.L2.maximum


def test_a_typed_learning_rate_outside_the_table_is_refused_with_the_reason(panel) -> None:
    document = panel._document
    before = document.settings.learning_rate
    panel.lr_edit.setText("1000")
    panel.lr_edit.editingFinished.emit()
    assert document.settings.learning_rate == before
    assert panel.lr_edit.text() == f"{before:g}"
    reason = panel.lr_message.text()  # said under the field, with the table's range
    assert "1000" in reason and f"{limits.LEARNING_RATE.minimum:g}" in reason
    assert f"{limits.LEARNING_RATE.maximum:g}" in reason


def test_network_width_box_range_is_the_tables(qtbot) -> None:
    document = Document(
        generate("moons", 40, seed=1), NetworkSpec(hidden=(LayerSpec(4),)), TrainingSettings()
    )
    panel = NetworkPanel(document)
    qtbot.addWidget(panel)
    panel.show()
    field = panel.canvas.layer_controls[0].width_field
    assert (field.minimum(), field.maximum()) == (limits.LAYER_WIDTH.minimum, limits.LAYER_WIDTH.maximum)


def test_class_panel_split_slider_and_class_count_follow_the_table(window) -> None:
    slider = window.class_panel.split_slider
    assert (slider.minimum() / 100, slider.maximum() / 100) == (
        limits.TEST_FRACTION.minimum,
        limits.TEST_FRACTION.maximum,
    )
    for c in range(window.document.dataset.n_classes, int(limits.CLASSES.maximum)):
        assert window.class_panel.add_button.isEnabled(), c
        window.class_panel.add_button.click()
    assert window.document.dataset.n_classes == limits.CLASSES.maximum
    assert not window.class_panel.add_button.isEnabled()

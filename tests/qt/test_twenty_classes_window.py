"""Twenty classes in the window: number keys, class list, status bar and the network panel's outputs."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QWidget

from workbench.core.data.edits import ReplaceDataset
from workbench.core.data.generators import generate
from workbench.qt.class_panel import VISIBLE_CLASSES


def _twenty(window) -> None:
    window.document.apply_edit(ReplaceDataset(generate("gaussians", 200, 20, seed=1)))
    assert window.document.dataset.n_classes == 20 and window.document.spec.n_classes == 20


def test_keys_one_to_nine_and_zero_pick_the_first_ten_classes(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_0)  # class 10: classes 3..10 are created in one undoable step
    assert window.document.dataset.n_classes == 10 and canvas.current_class == 9
    qtbot.keyClick(canvas, Qt.Key.Key_9)
    assert canvas.current_class == 8
    window.document.undo_stack.undo()
    assert window.document.dataset.n_classes == 2
    keys = [window.findChild(QAction, f"actionClass{c}").shortcut().toString() for c in range(1, 21)]
    assert keys[:10] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]
    assert keys[10:] == [""] * 10  # classes 11-20 are picked in the class list or the Class menu


def test_the_class_list_scrolls_and_the_status_bar_summarises_twenty_classes(window, qtbot) -> None:
    _twenty(window)
    class_list = window.class_panel.class_list
    assert class_list.count() == 20
    row = max(class_list.sizeHintForRow(0), 18)
    assert class_list.height() < (VISIBLE_CLASSES + 1) * row  # the brush and split settings keep their room
    class_list.setCurrentRow(19)
    assert window.canvas.current_class == 19
    status = window.counts_label
    assert "200</b> points in 20 classes" in status.text()
    assert status.sizeHint().width() < 500  # the counts fit the status bar instead of running off its edge
    assert "class 20: <b>" in status.toolTip()  # every class's count is still one hover away


def test_twenty_outputs_stay_legible_in_the_network_panel(window, qtbot) -> None:
    from workbench.qt.app import install_panels

    install_panels(window)
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400 and window.height() == 900)
    _twenty(window)
    QApplication.processEvents()
    canvas = window.findChild(QWidget, "networkPanel").canvas
    output = canvas.layout_geometry.columns[-1]
    assert output.kind == "output"
    # Outputs keep a readable size: the ones that do not fit collapse to "+N more" rather than shrink.
    assert all(node.rect.h >= 18 for node in output.nodes)
    if len(output.nodes) < 20:
        assert output.more is not None
        canvas.toggle_expanded(output.layer)
        QApplication.processEvents()
        output = canvas.layout_geometry.columns[-1]
    assert [node.neuron for node in output.nodes] == list(range(20))
    tops = [node.rect.y for node in output.nodes]
    assert all(b - a >= 18 for a, b in pairwise(tops))  # no two outputs overlap


def test_the_generator_dialog_offers_twenty_gaussian_blobs_with_a_fitting_noise(qtbot) -> None:
    from workbench.core.data.dataset import Dataset
    from workbench.qt.generator_dialog import GeneratorDialog

    dialog = GeneratorDialog(Dataset.empty())
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("gaussians"))
    default_noise = dialog.noise.value()
    dialog.classes.setValue(20)  # twenty blobs share the circle: the untouched noise shrinks with them
    assert dialog.noise.value() < default_noise
    assert dialog.dataset().n_classes == 20
    dialog.classes.setValue(3)
    assert dialog.noise.value() == default_noise
    dialog.noise.setValue(1.5)  # a noise the user chose is kept
    dialog.classes.setValue(20)
    assert dialog.noise.value() == 1.5

"""Compare Runs: a comparison fills its tiles, curves and table; "Use this run" is undoable; Cancel stops;
Reset adds the run so far to the past runs."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.qt.comparison_window import ComparisonWindow, install_comparison
from workbench.qt.document import Document

WAIT_MS = 60_000


def small_document() -> Document:
    dataset = generate("spiral", 80, 2, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"),), n_classes=2)
    return Document(dataset, spec, TrainingSettings(learning_rate=0.03, batch_size=8))


@pytest.fixture
def comparison_window(qtbot):
    document = small_document()
    window = ComparisonWindow(document)
    qtbot.addWidget(window)
    yield window
    window.shutdown()


def choose(window: ComparisonWindow, parameter: str, values: str, steps: int) -> None:
    window.parameter_combo.setCurrentIndex(window.parameter_combo.findData(parameter))
    window.values_edit.setText(values)
    window.steps_spin.setValue(steps)


def test_three_runs_fill_the_tiles_the_curves_and_the_table(qtbot, comparison_window) -> None:
    window = comparison_window
    choose(window, "learning_rate", "0.01, 0.03, 0.1", 150)
    with qtbot.waitSignal(window.comparisonFinished, timeout=WAIT_MS):
        assert window.start()
        assert not window.start_button.isEnabled() and window.cancel_button.isEnabled()
    assert sorted(window.results) == [0, 1, 2]
    tiles = window._tiles
    assert [t.title.text().split("</span> ")[1].rstrip("</b>") for t in tiles] == [
        "learning rate 0.01",
        "learning rate 0.03",
        "learning rate 0.1",
    ]
    assert all(t.has_picture and t.image.pixmap().width() > 0 for t in tiles)
    assert all(t.caption.text().startswith("test ") and "%" in t.caption.text() for t in tiles)
    assert all(t.use_button.isEnabled() for t in tiles)
    assert all(len(curve.getData()[0]) > 1 for curve in window._curves)
    table = window.table
    assert table.rowCount() == 3
    for row in range(3):
        assert table.item(row, 4).text().endswith("%")  # test accuracy
        assert table.item(row, 5).text() == "done"
    table.sortItems(4)  # sortable by a metric: ascending test accuracy
    values = [table.item(row, 4).value for row in range(3)]
    assert values == sorted(values)
    assert window.progress.value() == window.progress.maximum()
    assert window.start_button.isEnabled() and not window.cancel_button.isEnabled()
    window.curve_combo.setCurrentText("test accuracy")
    assert all(np.nanmax(curve.getData()[1]) <= 1.0 for curve in window._curves)


def test_use_this_run_replaces_weights_and_settings_in_one_undoable_step(qtbot, comparison_window) -> None:
    window = comparison_window
    document = window.document
    choose(window, "activation", "relu, sigmoid", 60)
    with qtbot.waitSignal(window.comparisonFinished, timeout=WAIT_MS):
        window.start()
    old_spec, old_settings, old_weights = document.spec, document.settings, document.weights
    result = window.results[1]
    window._tiles[1].use_button.click()
    assert document.spec.hidden[0].activation == "sigmoid"
    assert document.settings == result.setup.settings
    for (w, b), (rw, rb) in zip(document.weights, result.weights, strict=True):
        np.testing.assert_array_equal(w, rw)
        np.testing.assert_array_equal(b, rb)
    assert document.undo_stack.undoText() == "Use run (sigmoid)"
    document.undo_stack.undo()
    assert document.spec == old_spec and document.settings == old_settings
    assert document.weights is old_weights or document.weights is None


def test_cancel_stops_every_run(qtbot, comparison_window) -> None:
    window = comparison_window
    choose(window, "seed", "1, 2, 3", 10**9)
    window.start()
    qtbot.waitUntil(lambda: any(window._progress), timeout=WAIT_MS)
    with qtbot.waitSignal(window.comparisonFinished, timeout=WAIT_MS):
        window.cancel_button.click()
    assert window.results == {}
    assert [window.table.item(row, 5).text() for row in range(3)] == ["cancelled"] * 3
    assert all(t.caption.text() == "cancelled" for t in window._tiles)


def test_values_that_cannot_run_are_explained(comparison_window) -> None:
    window = comparison_window
    choose(window, "learning_rate", "0.1, fast", 100)
    assert not window.start()
    assert "'fast' is not a number" in window.status.text()
    choose(window, "seed", "4", 100)
    assert not window.start()
    assert "from 2 to 9" in window.status.text()
    assert not window.is_running


def test_changing_what_varies_fills_in_sensible_values(comparison_window) -> None:
    window = comparison_window
    window.count_spin.setValue(3)
    window.parameter_combo.setCurrentIndex(window.parameter_combo.findData("batch_size"))
    assert window.values_edit.text() == "4, 8, 16"
    window.parameter_combo.setCurrentIndex(window.parameter_combo.findData("seed"))
    assert window.values_edit.text() == "0, 1, 2"


def test_reset_adds_the_run_so_far_to_the_past_runs(qtbot, make_window) -> None:
    from workbench.qt.live_training import install_training

    window = make_window(small_document())
    controller = install_training(window)
    install_comparison(window)
    train_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Train")
    assert window.actions_by_name["actionCompareRuns"] in train_menu.actions()
    controller.step_epoch()
    qtbot.waitUntil(lambda: controller.last_frame is not None and controller.last_frame.snapshot.step > 0)
    trained = controller.last_frame.snapshot
    controller.reset_weights()
    qtbot.waitUntil(lambda: len(window.run_log.runs) == 1, timeout=WAIT_MS)
    past = window.run_log.runs[0]
    assert past.steps == trained.step and past.settings == window.document.settings
    comparison = window.open_comparison(1)
    assert comparison.tabs.currentIndex() == 1
    table = comparison.past_table
    assert table.rowCount() == 1 and table.item(0, 2).text() == f"{trained.step:,}"
    assert table.item(0, 7).text() == "opening the window"  # started by
    controller.step_once()  # the run Reset started is named so once it ends
    qtbot.waitUntil(lambda: controller.last_frame.snapshot.step > 0, timeout=WAIT_MS)
    controller.reset_weights()
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=WAIT_MS)
    assert table.item(0, 7).text() == "Reset weights"  # the latest on top
    table.sortItems(0)
    table.selectRow(0)
    assert comparison.use_past_button.isEnabled()
    comparison.use_past_button.click()  # back to the weights of that run, undoably
    np.testing.assert_array_equal(window.document.weights[0][0], trained.weights[0][0])
    assert window.document.undo_stack.undoText() == "Use run (past run 1)"
    assert "seed 0" in table.item(0, 9).text()  # the settings, with the seed


def test_the_slider_scrubs_every_run_back_to_a_recorded_step(qtbot, comparison_window) -> None:
    window = comparison_window
    choose(window, "seed", "0, 1", 300)
    with qtbot.waitSignal(window.comparisonFinished, timeout=WAIT_MS):
        window.start()
    slider = window.step_slider
    assert slider.isEnabled() and slider.value() == slider.maximum()
    before = [t.image.pixmap().toImage() for t in window._tiles]
    step = int(window._scrub_steps[3])
    with qtbot.waitSignal(window.tilesScrubbed, timeout=WAIT_MS) as scrubbed:
        slider.setValue(3)  # drawn off the GUI thread
    assert scrubbed.args == [step]
    assert window.step_label.text() == f"Step {step:,} of 300"
    assert all(t.caption.text().startswith(f"step {step:,}: test ") for t in window._tiles)
    assert all(t.image.pixmap().toImage() != old for t, old in zip(window._tiles, before, strict=True))


def test_typed_values_set_the_run_count_and_a_clicked_tile_picks_its_row(qtbot, comparison_window) -> None:
    window = comparison_window
    window.values_edit.clear()
    qtbot.keyClicks(window.values_edit, "3, 4, 5, 6, 7")
    assert window.count_spin.value() == 5
    choose(window, "seed", "3, 4", 50)
    with qtbot.waitSignal(window.comparisonFinished, timeout=WAIT_MS):
        window.start()
    qtbot.mouseClick(window._tiles[1], Qt.MouseButton.LeftButton)
    assert window._selected_run() == 1
    assert window._curves[1].opts["pen"].width() > window._curves[0].opts["pen"].width()

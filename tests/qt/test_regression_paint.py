"""Regression in the window: task switch, painting values, value colours and the prediction surface."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from workbench.core.data.dataset import Dataset
from workbench.core.data.edits import ReplaceDataset
from workbench.core.data.generators import generate
from workbench.core.model.network_edits import with_outputs
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present.value_colors import bucket_of, value_lut, value_range
from workbench.core.training.trainer import Trainer
from workbench.qt.canvas import VALUE_BUCKETS, DatasetCanvas
from workbench.qt.document import Document

PIXEL_TOLERANCE = 0.06


def regression_document(points=(), targets=()) -> Document:
    dataset = Dataset.regression(np.array(points, dtype=float).reshape(-1, 2), np.array(targets, dtype=float))
    return Document(dataset, NetworkSpec(), TrainingSettings())


@pytest.fixture
def canvas(qtbot):
    def factory(document: Document) -> DatasetCanvas:
        widget = DatasetCanvas(document)
        qtbot.addWidget(widget)
        widget.resize(600, 600)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return factory


def click(qtbot, canvas: DatasetCanvas, x: float, y: float) -> None:
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(x, y))


def drag(qtbot, canvas: DatasetCanvas, path) -> None:
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(*path[0]))
    for x, y in path[1:]:
        qtbot.mouseMove(viewport, canvas.data_to_viewport(x, y))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(*path[-1]))


def shown_points(items) -> int:
    return sum(len(item.data) for item in items if item.isVisible())


# ------------------------------------------------------------------------------------------- the task switch
def test_switching_the_task_is_one_undo_step_and_the_network_follows(window) -> None:
    document = window.document
    before, spec_before = document.dataset, document.spec
    assert not window.task_actions["regression"].isChecked() and not window.tool_actions["value"].isEnabled()
    window.task_actions["regression"].trigger()
    dataset = document.dataset
    assert dataset.is_regression and np.array_equal(dataset.targets, before.labels.astype(float))
    assert np.array_equal(dataset.points, before.points)
    assert document.spec.is_regression and document.spec.n_outputs == 1
    assert document.spec.hidden == spec_before.hidden  # the layers stay; only the output changes
    assert window.task_actions["regression"].isChecked() and window.tool_actions["value"].isEnabled()
    assert window.class_panel.value_box.isVisibleTo(
        window
    ) and not window.class_panel.classes_box.isVisibleTo(window)
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.dataset.equals(before) and document.spec == spec_before
    assert window.task_actions["classification"].isChecked() and not window.tool_actions["value"].isEnabled()
    assert window.class_panel.classes_box.isVisibleTo(window)
    document.undo_stack.redo()
    assert document.spec.is_regression
    # Back to classification: whole-number values 0 and 1 become the classes "0" and "1".
    window.set_task("classification")
    assert document.dataset.task == "classification" and document.dataset.class_names == ("0", "1")
    assert np.array_equal(document.dataset.labels, before.labels) and not document.spec.is_regression


def test_the_set_value_tool_is_left_when_the_task_becomes_classification(window) -> None:
    window.set_task("regression")
    window.canvas.set_tool("value")
    window.document.undo_stack.undo()
    assert window.canvas.tool_name == "brush"


def test_class_keys_do_not_add_classes_to_regression_data(window, qtbot) -> None:
    window.set_task("regression")
    names = window.document.dataset.class_names
    window.pick_class(3)
    assert window.document.dataset.class_names == names and window.document.dataset.is_regression
    assert "values, not classes" in window.statusBar().currentMessage()


# -------------------------------------------------------------------------------------------------- painting
def test_put_and_the_brush_give_new_points_the_current_value(qtbot, canvas) -> None:
    doc = regression_document([[5.0, 5.0]], [0.25])
    view = canvas(doc)
    view.set_tool("put")
    view.set_current_value(0.7)
    click(qtbot, view, 1.5, -2.0)
    assert np.allclose(doc.dataset.points[-1], [1.5, -2.0], atol=PIXEL_TOLERANCE)
    assert doc.dataset.targets.tolist() == [0.25, 0.7]
    view.set_tool("brush")
    view.set_current_value(-2.5)
    view.set_brush(radius=0.5, density=5)
    drag(qtbot, view, [(-3.0, 0.0), (0.0, 0.0), (3.0, 0.0)])
    added = doc.dataset.targets[2:]
    assert len(added) >= 5 * 6 and np.all(added == -2.5)
    assert doc.undo_stack.count() == 2  # one step per gesture
    doc.undo_stack.undo()
    assert doc.dataset.targets.tolist() == [0.25, 0.7]
    doc.undo_stack.undo()
    assert doc.dataset.targets.tolist() == [0.25]


def test_set_value_paints_the_points_under_the_brush_as_one_undo_step(qtbot, canvas) -> None:
    points = [[-3.0, 0.0], [0.0, 0.0], [3.0, 0.0], [0.0, 4.0]]
    doc = regression_document(points, [1.0, 2.0, 3.0, 4.0])
    view = canvas(doc)
    view.set_tool("value")
    view.set_brush(radius=0.6)
    view.set_current_value(-1.5)
    drag(qtbot, view, [(-3.0, 0.0), (-1.0, 0.0), (1.0, 0.0), (3.0, 0.0)])
    assert doc.dataset.targets.tolist() == [-1.5, -1.5, -1.5, 4.0]
    assert np.array_equal(doc.dataset.points, points)  # nothing moves, nothing is added
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.dataset.targets.tolist() == [1.0, 2.0, 3.0, 4.0]
    # A stroke over points that already have the value changes nothing and leaves no empty undo step.
    doc.undo_stack.redo()
    drag(qtbot, view, [(-3.0, 0.0), (3.0, 0.0)])
    assert doc.undo_stack.count() == 1


def test_set_value_does_nothing_to_classes(qtbot, canvas) -> None:
    dataset = Dataset(np.array([[0.0, 0.0]]), np.array([1]), ("a", "b"))
    doc = Document(dataset, NetworkSpec(), TrainingSettings())
    view = canvas(doc)
    view.set_tool("value")
    drag(qtbot, view, [(-1.0, 0.0), (1.0, 0.0)])
    assert doc.dataset.equals(dataset) and doc.undo_stack.count() == 0


def test_the_value_slider_and_box_set_the_value_of_new_points(window, qtbot) -> None:
    window.document.apply_edit(ReplaceDataset(Dataset.regression([[0.0, 0.0], [1.0, 1.0]], [-3.2, 0.5])))
    panel, canvas = window.class_panel, window.canvas
    assert canvas.value_range == 5.0  # 3.2 rounds up to the scale's nice 5
    panel.value_slider.setValue(panel.value_slider.maximum())
    assert canvas.current_value == pytest.approx(5.0) and panel.value_spin.value() == pytest.approx(5.0)
    panel.value_spin.setValue(-1.25)
    assert canvas.current_value == -1.25
    assert panel.value_slider.value() == round(-1.25 / 5.0 * panel.value_slider.maximum())
    # Keys ] and [ step the value by a tenth of the scale.
    window.step_value(+1)
    assert canvas.current_value == pytest.approx(-0.5)
    window.step_value(-1)
    assert canvas.current_value == pytest.approx(-1.0)
    canvas.set_tool("put")
    click(qtbot, canvas, 2.0, -2.0)
    assert window.document.dataset.targets[-1] == pytest.approx(-1.0)


# -------------------------------------------------------------------------------------------------- drawing
def test_points_are_coloured_by_value_with_an_outline(qtbot, canvas) -> None:
    targets = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 1.0])
    doc = regression_document(np.column_stack([targets * 4, targets]), targets)
    view = canvas(doc)
    assert shown_points(view._train_items + view._test_items) == 0  # no class colours
    assert shown_points(view._value_train_items + view._value_test_items) == 6
    buckets = bucket_of(targets, view.value_range, VALUE_BUCKETS)
    lut = value_lut()
    for bucket in set(buckets.tolist()):
        items = (view._value_train_items[bucket], view._value_test_items[bucket])
        assert sum(len(item.data) for item in items) == int((buckets == bucket).sum())
    low = view._value_train_items[0].opts["brush"].color()
    high = view._value_train_items[-1].opts["brush"].color()
    assert low.red() > low.blue() + 80 and abs(low.red() - int(lut[0, 0])) < 30
    assert high.blue() > high.red() + 80
    assert view._value_train_items[10].opts["pen"].widthF() > 0  # the white middle has an outline
    # A classification dataset draws class colours again.
    doc.apply_edit(ReplaceDataset(generate("moons", 40, 2)))
    assert shown_points(view._value_train_items + view._value_test_items) == 0
    assert shown_points(view._train_items + view._test_items) == 40


def test_the_colour_bar_shows_the_targets_scale_only_in_regression(qtbot, canvas) -> None:
    doc = Document(generate("moons", 20, 2), NetworkSpec(), TrainingSettings())
    view = canvas(doc)
    layout = view.getPlotItem().layout
    assert not view.color_bar.isVisible()
    doc.apply_edit(ReplaceDataset(Dataset.regression([[0.0, 0.0], [1.0, 0.0]], [-30.0, 12.0])))
    assert view.color_bar.isVisible() and layout.itemAt(2, 5) is view.color_bar
    assert view.value_range == 50.0 and tuple(view.color_bar.levels()) == (-50.0, 50.0)
    with qtbot.waitSignal(view.valueRangeChanged) as changed:
        doc.undo_stack.undo()
        doc.apply_edit(ReplaceDataset(generate("plane", 50)))
    assert changed.args == [1.0] and tuple(view.color_bar.levels()) == (-1.0, 1.0)
    doc.undo_stack.undo()
    assert not view.color_bar.isVisible()


# ------------------------------------------------------------------------------------------ generator dialog
def test_the_generator_dialog_makes_regression_data_and_shows_formula_errors_inline(qtbot) -> None:
    from workbench.qt.generator_dialog import GeneratorDialog, merge_datasets

    current = generate("moons", 30, 2)
    dialog = GeneratorDialog(current)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.kind.setCurrentIndex(dialog.kind.findData("formula"))
    assert dialog.formula.isVisible() and not dialog.classes.isEnabled()
    dialog.formula.setText("x * y / 36")
    made = dialog.dataset()
    assert made is not None and made.is_regression
    np.testing.assert_allclose(made.targets, made.points[:, 0] * made.points[:, 1] / 36)
    assert len(dialog._value_item.data) == len(made)  # the preview shows the values
    assert dialog.replace_button.isEnabled() and not dialog.add_button.isEnabled()  # tasks differ
    dialog.formula.setText("__import__('os').system('true')")
    assert dialog.dataset() is None and not dialog.replace_button.isEnabled()
    assert "call" in dialog.error_label.text() or "name" in dialog.error_label.text()
    assert len(dialog._value_item.data) == 0  # no stale preview
    dialog.formula.setText("sin(x")
    assert dialog.error_label.text() and dialog.dataset() is None
    dialog.kind.setCurrentIndex(dialog.kind.findData("plane"))
    assert not dialog.formula.isVisible() and dialog.error_label.text() == ""
    # Adding values to values keeps them.
    plane = dialog.dataset()
    both = merge_datasets(plane, generate("gauss", 10))
    assert both.is_regression and len(both) == len(plane) + 10
    np.testing.assert_array_equal(both.targets[: len(plane)], plane.targets)


def test_generating_regression_data_switches_the_task_undoably(window, monkeypatch) -> None:
    gauss = generate("gauss", 80, seed=3)
    monkeypatch.setattr(window, "_run_generator_dialog", lambda: (gauss, "replace"))
    window.generate_dataset()
    assert window.document.dataset.equals(gauss) and window.document.spec.is_regression
    assert window.task_actions["regression"].isChecked()
    window.document.undo_stack.undo()
    assert not window.document.spec.is_regression and window.task_actions["classification"].isChecked()


# ------------------------------------------------------------------------------------- the prediction surface
def trained_plane(dataset: Dataset, spec: NetworkSpec):
    trainer = Trainer(dataset, spec, TrainingSettings(learning_rate=0.03, optimizer="adam", batch_size=16))
    trainer.step(400)
    return trainer.get_weights()


def test_the_prediction_surface_follows_the_network(window, qtbot) -> None:
    from workbench.qt.app import install_panels

    install_panels(window)
    document = window.document
    plane = generate("plane", 300, seed=2)
    document.set_spec(NetworkSpec(("x", "y"), (LayerSpec(4, "tanh"),)))
    document.apply_edit(ReplaceDataset(plane, description="Generate dataset"))
    assert document.spec.is_regression
    spec = with_outputs(document.spec, "regression", 1)
    weights = trained_plane(plane, spec)
    document.replace_weights(weights, "Trained")

    def trained_frame():
        frame = window.training.last_frame
        if frame is None or frame.value_range is None or frame.decision_rgba is None:
            return None
        shown = frame.snapshot.weights
        if not all(np.array_equal(a[0], b[0]) for a, b in zip(shown, weights, strict=True)):
            return None
        return frame

    qtbot.waitUntil(lambda: trained_frame() is not None, timeout=20_000)
    frame = trained_frame()
    assert frame.value_range == value_range(plane.targets) == 1.0
    image = frame.decision_rgba.astype(int)  # row 0 is the bottom of the visible area
    x0, x1, y0, y1 = frame.bounds
    assert x0 < -4 and x1 > 4 and y0 < -4 and y1 > 4
    bottom_left, top_right = image[2, 2], image[-3, -3]
    assert bottom_left[0] > bottom_left[2] + 60  # orange: (x + y) / 12 near -1
    assert top_right[2] > top_right[0] + 60  # blue: near +1
    # The canvas shows this image under the points.
    QApplication.processEvents()
    assert window.canvas.background_image.isVisible()
    np.testing.assert_array_equal(window.canvas.background_image.image, frame.decision_rgba)


def test_switching_the_task_while_training_keeps_training_with_the_new_output(window, qtbot) -> None:
    from workbench.qt.app import install_panels

    install_panels(window)
    controller = window.training
    controller.start()
    qtbot.waitUntil(lambda: controller.reported_step > 0, timeout=20_000)
    window.set_task("regression")

    def regression_frame_after_steps() -> bool:
        frame = controller.last_frame
        return (
            frame is not None
            and frame.value_range is not None
            and frame.snapshot.spec.is_regression
            and np.isfinite(frame.snapshot.metrics.train_rmse)
            and frame.snapshot.step > 0
        )

    qtbot.waitUntil(regression_frame_after_steps, timeout=20_000)
    assert controller.is_running
    window.document.undo_stack.undo()
    qtbot.waitUntil(
        lambda: (
            controller.last_frame is not None
            and not controller.last_frame.snapshot.spec.is_regression
            and controller.last_frame.value_range is None
        ),
        timeout=20_000,
    )
    controller.pause()


def test_export_animation_of_a_regression_run_draws_values(make_window, qtbot, monkeypatch, tmp_path) -> None:
    from PIL import Image

    from workbench.core.training.recording import Recording
    from workbench.qt.live_training import install_training
    from workbench.qt.timeline_export import AnimationOptions

    plane = generate("plane", 200, seed=2)
    spec = with_outputs(NetworkSpec(("x", "y"), (LayerSpec(4, "tanh"),)), "regression", 1)
    document = Document(plane, spec, TrainingSettings(learning_rate=0.03, optimizer="adam", batch_size=16))
    trainer = Trainer(plane, document.spec, document.settings, seed=0)
    recording = Recording(trainer.spec)
    while trainer.step_count < 300:
        wait = recording.steps_until_due(trainer.step_count)
        if wait == 0:
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        else:
            trainer.step(min(wait, 300 - trainer.step_count))
    frozen = recording.frozen()
    monkeypatch.setattr(type(document), "recording", property(lambda self: frozen), raising=False)
    window = make_window(document)
    install_training(window)
    window.timeline.refresh()
    path = tmp_path / "plane.gif"
    job = window.timeline_exports.start_animation(path, AnimationOptions("regions", 5, (120, 120), 3))
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    assert job.message == "" and job.frames_written == 3
    with Image.open(path) as gif:
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB")).astype(int)
    # Orange bottom-left and blue top-right (the corners of the visible area, clear of caption and bar).
    bottom_left, top_right = last[-6, 4], last[30, -6]
    assert bottom_left[0] > bottom_left[2] + 30 and top_right[2] > top_right[0] + 30


def test_the_status_bar_names_the_value_of_the_point_under_the_cursor(window, qtbot) -> None:
    document = window.document
    document.apply_edit(ReplaceDataset(Dataset.regression([[1.0, 2.0], [-3.0, -3.0]], [0.25, -1.5])))
    label = window.cursor_label
    window.canvas.cursorMoved.emit(1.0 + 0.5 * window.canvas.pixel_size(), 2.0)
    assert "value = 0.25" in label.text()
    window.canvas.cursorMoved.emit(-3.0, -3.0)
    assert "value = -1.5" in label.text()
    window.canvas.cursorMoved.emit(4.0, -4.0)  # on no point
    assert "value" not in label.text() and "x = +4.00" in label.text()

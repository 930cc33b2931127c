"""The main window as a user meets it: default project, files, prompts, layout, shortcuts and the look."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QColor, QDropEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from workbench.core.data import edits
from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.spec import NetworkSpec
from workbench.qt.main_window import MainWindow


def add_point(window: MainWindow, x: float = 1.0, y: float = 2.0, label: int = 0) -> None:
    window.document.apply_edit(edits.AddPoints([[x, y]], [label]))


def answer_paths(monkeypatch, window: MainWindow, save: Path | None = None, open_: Path | None = None):
    monkeypatch.setattr(window, "_get_save_path", lambda *a: str(save) if save else None)
    monkeypatch.setattr(window, "_get_save_file", lambda *a: (str(save), "") if save else None)
    monkeypatch.setattr(window, "_get_open_path", lambda *a: str(open_) if open_ else None)


def record_errors(monkeypatch, window: MainWindow) -> list[str]:
    errors: list[str] = []
    monkeypatch.setattr(window, "_show_error", lambda title, text: errors.append(f"{title}: {text}"))
    return errors


def test_opens_with_a_ready_to_train_spiral_and_named_parts(window) -> None:
    dataset = window.document.dataset
    assert dataset.n_classes == 2 and len(dataset) >= 200
    assert set(np.unique(dataset.labels)) == {0, 1}
    assert window.document.spec == NetworkSpec()
    assert not window.document.is_modified
    for name in ("datasetCanvas", "networkPanel", "trainingPanel", "lossPlot", "hiddenSpacePlot"):
        widget = window.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName(), name
    for name in (
        "actionTrainToggle",
        "actionStep",
        "actionResetWeights",
        "actionUndo",
        "actionRedo",
        "actionSave",
        "actionOpen",
        "actionExportWeights",
    ):
        assert window.findChild(QAction, name) is not None, name
    assert window.findChild(QAction, "actionTrainToggle").shortcut().toString() == "Space"
    assert window.windowTitle().startswith("Untitled")


def test_title_shows_file_name_and_modified_flag(window, tmp_path, monkeypatch) -> None:
    assert not window.isWindowModified()
    add_point(window)
    assert window.isWindowModified()
    answer_paths(monkeypatch, window, save=tmp_path / "my data")
    assert window.save()
    assert window.windowTitle().startswith("my data.wbproj")
    assert not window.isWindowModified()


def test_save_new_open_restores_the_same_data(window, tmp_path, monkeypatch) -> None:
    add_point(window, 3.0, -1.0, 1)
    saved = window.document.dataset
    path = tmp_path / "project.wbproj"
    answer_paths(monkeypatch, window, save=path, open_=path)
    assert window.save()
    assert path.exists()

    assert window.new_document()
    assert len(window.document.dataset) == 0
    assert window.document.path is None

    assert window.open_project()
    assert window.document.dataset.equals(saved)
    assert window.document.path == path
    assert not window.document.is_modified
    assert window.files.recent_files()[0] == path.resolve()


def test_unsaved_changes_prompt_cancel_keeps_the_window_and_data(window, monkeypatch) -> None:
    add_point(window)
    asked: list[str] = []

    def cancel() -> str:
        asked.append("asked")
        return "cancel"

    monkeypatch.setattr(window, "_ask_save_changes", cancel)
    before = window.document.dataset
    assert not window.close()
    assert window.isVisible()
    assert not window.new_document()
    assert window.document.dataset is before
    assert asked == ["asked", "asked"]

    monkeypatch.setattr(window, "_ask_save_changes", lambda: "discard")
    assert window.close()


def test_prompt_save_answer_saves_before_closing(window, tmp_path, monkeypatch) -> None:
    add_point(window)
    path = tmp_path / "kept.wbproj"
    answer_paths(monkeypatch, window, save=path)
    monkeypatch.setattr(window, "_ask_save_changes", lambda: "save")
    assert window.close()
    from workbench.core.files.project import load_project

    assert len(load_project(path).dataset) == len(window.document.dataset)


def test_corrupt_or_newer_project_leaves_the_document_untouched(window, tmp_path, monkeypatch) -> None:
    add_point(window)
    before = window.document.dataset
    errors = record_errors(monkeypatch, window)
    corrupt = tmp_path / "broken.wbproj"
    corrupt.write_bytes(b"\x00not a project at all")
    assert not window.open_project(corrupt)
    assert len(errors) == 1 and "broken.wbproj" in errors[0]
    assert window.document.dataset is before
    assert window.document.is_modified

    # A file from a future version of the program.
    import json

    from workbench.core.files import project as project_module

    path = tmp_path / "future.wbproj"
    answer_paths(monkeypatch, window, save=path)
    window.save()
    content = json.loads(path.read_text(encoding="utf-8"))
    content["format_version"] = project_module.FORMAT_VERSION + 1
    path.write_text(json.dumps(content), encoding="utf-8")
    add_point(window, 5, 5)
    before = window.document.dataset
    assert not window.open_project(path)
    assert len(errors) == 2 and "future.wbproj" in errors[1]
    assert window.document.dataset is before


def test_failed_save_shows_an_error_and_keeps_the_old_file(window, tmp_path, monkeypatch) -> None:
    path = tmp_path / "safe.wbproj"
    answer_paths(monkeypatch, window, save=path)
    assert window.save()
    original = path.read_bytes()
    add_point(window)
    errors = record_errors(monkeypatch, window)

    import os

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    assert not window.save()
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert len(errors) == 1 and "No space left" in errors[0]
    assert window.document.is_modified


def test_csv_import_errors_name_the_line_and_keep_the_data(window, tmp_path, monkeypatch) -> None:
    errors = record_errors(monkeypatch, window)
    before = window.document.dataset
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,a\n3,oops,b\n")
    assert not window.files.import_csv(bad)
    assert window.document.dataset is before
    assert len(errors) == 1 and "line 3" in errors[0]

    good = tmp_path / "good.csv"
    good.write_text("x,y,label\n1,2,a\n3,4,b\n5,6,a\n")
    assert window.files.import_csv(good)
    assert np.array_equal(window.document.dataset.points, [[1, 2], [3, 4], [5, 6]])
    window.document.undo_stack.undo()
    assert window.document.dataset.equals(before)


def test_csv_export_round_trips(window, tmp_path, monkeypatch) -> None:
    path = tmp_path / "out.csv"
    answer_paths(monkeypatch, window, save=path)
    assert window.files.export_csv()
    from workbench.core.files.csv_io import read_csv

    back = read_csv(path)
    assert np.allclose(back.points, window.document.dataset.points)
    assert np.array_equal(back.labels, window.document.dataset.labels)


def test_export_weights_works_for_an_untrained_network_too(window, tmp_path, monkeypatch) -> None:
    from workbench.core.files.export import import_weights
    from workbench.core.model.engine import Network

    action = window.findChild(QAction, "actionExportWeights")
    assert window.document.weights is None and action.isEnabled()  # no training yet, but a network exists
    path = tmp_path / "initial.json"
    answer_paths(monkeypatch, window, save=path)
    assert window.files.export_weights()
    initial = Network(window.document.spec, seed=window.document.settings.seed).get_weights()
    for (w, b), (w0, b0) in zip(import_weights(path, window.document.spec), initial, strict=True):
        assert np.array_equal(w, w0) and np.array_equal(b, b0)
    assert QApplication.overrideCursor() is None  # the busy cursor is gone again

    weights = Network(window.document.spec, seed=1).get_weights()
    window.document.replace_weights(weights)
    path = tmp_path / "weights.npz"
    answer_paths(monkeypatch, window, save=path)
    assert window.files.export_weights()
    assert np.array_equal(import_weights(path, window.document.spec)[0][0], weights[0][0])


def exported_network(tmp_path: Path, spec: NetworkSpec, name: str, seed: int = 5):
    from workbench.core.files.export import export_weights
    from workbench.core.model.engine import Network

    network = Network(spec, seed=seed)
    path = tmp_path / name
    export_weights(path, spec, network.get_weights(), ["class 1", "class 2"])
    return network, path


def predictions(spec: NetworkSpec, weights, points: np.ndarray) -> np.ndarray:
    from workbench.core.model.engine import Network

    network = Network(spec)
    network.set_weights(weights)
    return network.predict_proba(points)


def test_import_weights_loads_a_matching_file_undoably(window, tmp_path, monkeypatch) -> None:
    action = window.findChild(QAction, "actionImportWeights")
    file_menu = window.menuBar().actions()[0].menu()
    names = [a.objectName() for a in file_menu.actions()]
    assert names.index("actionImportWeights") + 1 == names.index("actionExportWeights")
    assert action.isEnabled()
    document = window.document
    points = document.dataset.points
    for name in ("good.npz", "good.safetensors", "good.json"):
        original, path = exported_network(tmp_path, document.spec, name)
        answer_paths(monkeypatch, window, open_=path)
        assert window.files.import_weights()
        assert np.allclose(
            predictions(document.spec, document.weights, points), original.predict_proba(points)
        )
        assert document.undo_stack.undoText() == "Import weights"
        document.undo_stack.undo()
        assert document.weights is None  # back to the untrained network
        document.undo_stack.redo()
        assert np.allclose(
            predictions(document.spec, document.weights, points), original.predict_proba(points)
        )
        document.undo_stack.undo()


def test_a_weights_file_for_another_network_is_refused_and_nothing_changes(
    window, tmp_path, monkeypatch
) -> None:
    from workbench.core.model.spec import LayerSpec

    errors = record_errors(monkeypatch, window)
    document = window.document
    other = NetworkSpec(document.spec.features, (LayerSpec(4, "tanh"), LayerSpec(8, "tanh")), 2)
    _, path = exported_network(tmp_path, other, "other.safetensors")
    answer_paths(monkeypatch, window, open_=path)
    steps = document.undo_stack.count()
    assert not window.files.import_weights()
    assert len(errors) == 1 and "other.safetensors" in errors[0] and "Nothing was changed" in errors[0]
    assert "hidden layer 1: the file has 4 neurons but the network has 8" in errors[0]  # names the mismatch
    assert document.weights is None and document.undo_stack.count() == steps and not document.is_modified
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip archive")
    assert not window.files.import_weights(bad)
    assert len(errors) == 2 and "broken.npz" in errors[1]
    assert document.weights is None and document.undo_stack.count() == steps


def test_imported_weights_reach_the_live_views(window, qtbot, tmp_path) -> None:
    from workbench.qt.app import install_panels

    install_panels(window)
    document = window.document
    original, path = exported_network(tmp_path, document.spec, "live.npz", seed=11)
    assert window.files.import_weights(path)
    points = document.dataset.points

    def shown() -> bool:
        frame = window.training.last_frame
        return frame is not None and np.allclose(
            predictions(document.spec, frame.snapshot.weights, points), original.predict_proba(points)
        )

    qtbot.waitUntil(shown, timeout=20_000)


def test_dropping_a_project_file_opens_it(window, qtbot, tmp_path, monkeypatch) -> None:
    path = tmp_path / "dropped.wbproj"
    answer_paths(monkeypatch, window, save=path)
    add_point(window, 4.0, 4.0)
    window.save()
    expected = window.document.dataset
    window.new_document()

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    no_button, no_key = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, no_button, no_key)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.document.path == path)
    assert window.document.dataset.equals(expected)


def test_recent_files_drop_missing_ones(window, tmp_path, monkeypatch) -> None:
    kept = tmp_path / "kept.wbproj"
    answer_paths(monkeypatch, window, save=kept)
    window.save()
    gone = tmp_path / "gone.wbproj"
    window.files.add_recent(gone)
    assert window.files.recent_files()[:2] == [gone.resolve(), kept.resolve()]
    window.files.rebuild_recent_menu()
    assert window.files.recent_files() == [kept.resolve()]
    texts = [a.text() for a in window.recent_menu.actions()]
    assert any("kept.wbproj" in t for t in texts)


def test_number_keys_pick_the_class_and_undo_shortcut_works(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_2)
    assert canvas.current_class == 1
    assert window.class_panel.class_list.currentRow() == 1
    canvas.set_tool("put")
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(0.5, 0.5))
    assert window.document.dataset.labels[-1] == 1
    n = len(window.document.dataset)
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.document.dataset) == n - 1
    qtbot.keyClick(canvas, Qt.Key.Key_E)
    assert canvas.tool_name == "erase"
    qtbot.keyClick(canvas, Qt.Key.Key_1)
    assert canvas.current_class == 0


def test_class_panel_adds_renames_and_removes_classes_undoably(window) -> None:
    panel = window.class_panel
    doc = window.document
    panel.add_class()
    assert doc.dataset.n_classes == 3 and doc.spec.n_classes == 3
    assert window.canvas.current_class == 2
    panel.class_list.item(0).setText("cats")
    assert doc.dataset.class_names[0] == "cats"
    panel.class_list.setCurrentRow(0)
    n_first = int(doc.dataset.class_counts()[0])
    total = len(doc.dataset)
    panel.remove_current_class()
    assert doc.dataset.n_classes == 2 and len(doc.dataset) == total - n_first
    for _ in range(3):
        doc.undo_stack.undo()
    assert doc.dataset.n_classes == 2 and doc.dataset.class_names[0] == "class 1"
    assert len(doc.dataset) == total


def test_dragging_the_split_slider_is_one_undo_step(window) -> None:
    slider = window.class_panel.split_slider
    doc = window.document
    original = doc.dataset.test_fraction
    slider.sliderPressed.emit()
    for value in (25, 30, 40, 50):
        slider.setValue(value)
    slider.sliderReleased.emit()
    assert doc.dataset.test_fraction == 0.5
    assert window.canvas._test_items[0].data.size > 0
    doc.undo_stack.undo()
    assert doc.dataset.test_fraction == original


def test_generated_data_replaces_or_adds(window, monkeypatch) -> None:
    from workbench.core.data.generators import generate

    blobs = generate("gaussians", n_points=90, n_classes=3, seed=4)
    before = len(window.document.dataset)
    monkeypatch.setattr(window, "_run_generator_dialog", lambda: (blobs, "add"))
    window.generate_dataset()
    assert len(window.document.dataset) == before + 90
    assert window.document.dataset.n_classes == 3
    monkeypatch.setattr(window, "_run_generator_dialog", lambda: (blobs, "replace"))
    window.generate_dataset()
    assert window.document.dataset.equals(blobs)
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert len(window.document.dataset) == before


def test_generator_dialog_previews_and_returns_the_choice(qtbot) -> None:
    from workbench.core.data.dataset import Dataset
    from workbench.qt.generator_dialog import GeneratorDialog

    dialog = GeneratorDialog(Dataset.empty())
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("moons"))
    dialog.points.setValue(120)
    assert len(dialog.dataset()) == 120
    shown = sum(len(item.data) for item in dialog._preview_items)
    assert shown == 120
    assert not dialog.classes.isEnabled()  # moons always have two classes
    dialog.add_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.mode == "add"


def test_dock_layout_and_geometry_survive_a_restart(make_window, settings) -> None:
    first = make_window()
    first.docks["lossPlot"].hide()
    first.resize(760, 560)  # within the offscreen platform's 800×600 screen
    first.close()
    second = make_window()
    assert not second.docks["lossPlot"].isVisible()
    assert second.docks["networkPanel"].isVisible()
    assert (second.width(), second.height()) == (760, 560)
    second.reset_layout()
    assert second.docks["lossPlot"].isVisible()


def test_real_panels_replace_placeholders_in_one_call(window) -> None:
    from PySide6.QtWidgets import QLabel

    panel = QLabel("real network panel")
    window.set_dock_widget("networkPanel", panel)
    assert window.findChild(QWidget, "networkPanel") is panel
    assert window.docks["networkPanel"].widget() is panel
    assert isinstance(window.docks["networkPanel"], QDockWidget)


def test_status_bar_counts_points_per_class_in_class_colours(window) -> None:
    text = window.counts_label.text()
    counts = window.document.dataset.class_counts()
    assert f"<b>{counts[0]}</b>" in text and CLASS_COLORS[0] in text and CLASS_COLORS[1] in text
    add_point(window, label=1)
    assert f"<b>{counts[1] + 1}</b>" in window.counts_label.text()


def test_screenshot_of_the_default_window_is_not_blank(window, qtbot, tmp_path) -> None:
    window.resize(1400, 900)
    qtbot.waitExposed(window)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path))
    image = window.grab().toImage()
    assert image.width() >= 1000
    canvas_origin = window.canvas.mapTo(window, QPoint(0, 0))
    colours = set()
    for x in range(canvas_origin.x(), canvas_origin.x() + window.canvas.width(), 3):
        for y in range(canvas_origin.y(), canvas_origin.y() + window.canvas.height(), 3):
            colours.add(image.pixel(x, y))
    assert len(colours) > 50  # axes, labels and many points, not a flat fill
    class_colours = {QColor(c).rgb() for c in CLASS_COLORS[:2]}
    assert class_colours <= colours  # both classes of points are visible


def test_real_panels_install_and_the_window_closes_without_leftover_threads(window, qtbot) -> None:
    from PySide6.QtWidgets import QLabel

    from workbench.qt.app import install_panels

    install_panels(window)
    for name in ("networkPanel", "trainingPanel", "lossPlot", "hiddenSpacePlot"):
        panel = window.findChild(QWidget, name)
        assert panel is not None and not isinstance(panel, QLabel), name
    assert window.findChild(QAction, "actionTrainToggle").isEnabled()
    window.findChild(QAction, "actionStep").trigger()
    qtbot.waitUntil(lambda: window.document.weights is not None, timeout=10_000)
    # The fixture closes the window; the no_leftover_threads guard fails if training outlives it.


def test_shortcut_list_names_the_main_keys(window, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(window, "_show_info", lambda title, html: shown.append(html))
    window.show_shortcuts()
    text = shown[0]
    for entry in ("Start Training", "Space", "Undo", "Brush", "Class 3", "Fit to Data"):
        assert entry in text, entry


def test_export_image_writes_the_canvas(window, tmp_path, monkeypatch) -> None:
    from PySide6.QtGui import QImage

    path = tmp_path / "canvas"
    answer_paths(monkeypatch, window, save=path)
    assert window.files.export_image()
    image = QImage(str(path.with_suffix(".png")))
    assert image.width() == window.canvas.width() and image.height() == window.canvas.height()


def test_dark_theme_darkens_every_plot_and_keeps_points_outlined(window, qtbot) -> None:
    import pyqtgraph as pg

    from workbench.qt.app import install_panels

    install_panels(window)
    window.set_theme("dark")
    views = window.findChildren(pg.GraphicsView)
    assert len(views) >= 3, "canvas, loss and hidden-space plots"
    for view in views:
        assert view.backgroundBrush().color().lightness() < 80, view.objectName()
    outline = window.canvas._train_items[0].opts["pen"].color()
    assert outline.lightness() > 200, "train points need a light outline on dark regions"
    window.set_theme("light")
    for view in window.findChildren(pg.GraphicsView):
        assert view.backgroundBrush().color().lightness() > 200
    window.training.shutdown()


def test_redo_and_quit_have_their_usual_keys_once_each(window, qtbot) -> None:
    redo = window.findChild(QAction, "actionRedo")
    keys = [k.toString() for k in redo.shortcuts()]
    assert sorted(keys) == ["Ctrl+Shift+Z", "Ctrl+Y"]
    assert window.findChild(QAction, "actionQuit").shortcut().toString() == "Ctrl+Q"
    assert window.findChild(QAction, "actionUndo").shortcut().toString() == "Ctrl+Z"
    # No key is bound twice anywhere in the window (Qt then calls it ambiguous and does nothing).
    bound = [k.toString() for a in window.findChildren(QAction) for k in a.shortcuts() if a.isEnabled()]
    assert len(bound) == len(set(bound)), sorted(k for k in bound if bound.count(k) > 1)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.canvas.setFocus()
    n = len(window.document.dataset)
    add_point(window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.document.dataset) == n
    qtbot.keyClick(
        window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert len(window.document.dataset) == n + 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert len(window.document.dataset) == n + 1


def test_training_stays_on_the_toolbar_in_a_small_window(window, qtbot) -> None:
    from PySide6.QtWidgets import QToolBar

    def shown_on_a_toolbar(action: QAction) -> bool:
        for bar in window.findChildren(QToolBar):
            button = bar.widgetForAction(action)
            if button is not None and button.isVisible():
                corner = button.mapTo(window, QPoint(button.width(), button.height()))
                return corner.x() <= window.width() and corner.y() <= window.height()
        return False

    for size in ((1400, 900), (1048, 774), (900, 700)):
        window.resize(*size)
        qtbot.waitUntil(lambda size=size: window.width() == size[0])
        QApplication.processEvents()
        for name in ("actionTrainToggle", "actionStep", "actionResetWeights"):
            assert shown_on_a_toolbar(window.findChild(QAction, name)), (size, name)
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400)
    assert window.toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    window.resize(900, 700)
    qtbot.waitUntil(lambda: window.width() == 900)
    # The drawing tools drop their labels rather than spill into the overflow menu; tooltips name them.
    assert window.toolbar.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    QApplication.processEvents()
    assert shown_on_a_toolbar(window.findChild(QAction, "actionFit"))


def test_a_class_key_without_its_class_creates_it_undoably(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    doc, canvas = window.document, window.canvas
    canvas.setFocus()
    assert doc.dataset.n_classes == 2
    qtbot.keyClick(canvas, Qt.Key.Key_3)
    assert doc.dataset.n_classes == 3 and doc.spec.n_classes == 3
    assert canvas.current_class == 2 and window.class_combo.currentIndex() == 2
    assert "Added" in window.statusBar().currentMessage()
    qtbot.keyClick(canvas, Qt.Key.Key_5)  # classes 4 and 5 in one step
    assert doc.dataset.n_classes == 5 and canvas.current_class == 4
    doc.undo_stack.undo()
    assert doc.dataset.n_classes == 3
    doc.undo_stack.undo()
    assert doc.dataset.n_classes == 2
    qtbot.keyClick(canvas, Qt.Key.Key_2)  # an existing class is only picked
    assert doc.dataset.n_classes == 2 and canvas.current_class == 1


def test_six_hidden_layers_fit_the_network_dock_of_a_default_window(window, qtbot) -> None:
    """TensorFlow Playground's deepest network shows its Output column without scrolling at 1400 x 900."""
    from PySide6.QtCore import QRect

    from workbench.core.model.spec import LayerSpec
    from workbench.qt.app import install_panels

    install_panels(window)
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400 and window.height() == 900)
    panel = window.findChild(QWidget, "networkPanel")
    window.document.set_spec(window.document.spec.with_hidden([LayerSpec(8, "tanh")] * 6))
    QApplication.processEvents()
    canvas, viewport = panel.canvas, panel.scroll.viewport()
    qtbot.waitUntil(lambda: canvas.width() <= viewport.width())
    output = canvas.layout_geometry.columns[-1]
    assert output.kind == "output" and len(output.nodes) == 2
    visible = QRect(canvas.mapTo(viewport, QPoint(0, 0)) * -1, viewport.size())
    for node in output.nodes:
        x, y = node.rect.center
        assert visible.contains(QPoint(round(x), round(y)))
    assert not panel.scroll.horizontalScrollBar().isVisible()
    assert all(column.more is None for column in canvas.layout_geometry.columns)

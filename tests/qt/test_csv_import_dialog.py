"""Importing a wide CSV (choose x, y, label with a preview) and File ▸ Open Example."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from workbench.core.files.csv_io import preview_csv
from workbench.qt.csv_import_dialog import CsvImportDialog, needs_choice
from workbench.qt.file_operations import FileOperations

WIDE = (
    "id,sepal,petal_len,petal_wid,species,weight\n"
    "1,5.1,1.4,0.2,setosa,3.5\n2,7.0,4.7,1.4,versicolor,2.25\n3,6.3,6.0,2.5,virginica,1.5\n"
)


def test_only_wide_files_without_x_y_label_names_ask():
    assert needs_choice(preview_csv(WIDE))
    assert not needs_choice(preview_csv("x,y,label\n1,2,a\n"))
    assert not needs_choice(preview_csv("label,y,x,extra\na,2,1.5,z\n"))


def test_dialog_previews_rows_and_reports_what_the_choice_gives(qtbot):
    dialog = CsvImportDialog(WIDE, "flowers.csv")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.table.rowCount() == 3 and dialog.table.columnCount() == 6
    assert dialog.table.item(0, 4).text() == "setosa"
    assert dialog.columns() == (0, 1, 4)  # first guess: numeric x, y and the text column as label
    dialog.set_columns(2, 3, 4)
    assert "3 points in 3 classes: setosa, versicolor, virginica" in dialog.message.text()
    assert ok.isEnabled()
    assert dialog.table.horizontalHeaderItem(2).text() == "petal_len\n(x)"
    dialog.set_columns(2, 3, 5)  # weight is a measurement: target values
    assert "3 points with target values from 1.5 to 3.5" in dialog.message.text()
    assert dialog.task() == "regression" and dialog.dataset.is_regression
    dialog.set_task("classification")
    assert "or read it as regression targets" in dialog.message.text()
    assert not ok.isEnabled() and dialog.dataset is None
    dialog.set_columns(2, 2, 4)
    assert "three different columns" in dialog.message.text()


def test_importing_a_wide_file_uses_the_chosen_columns_and_cancel_keeps_the_data(
    window, tmp_path, monkeypatch
):
    path = tmp_path / "flowers.csv"
    path.write_text(WIDE, encoding="utf-8")
    before = window.document.dataset

    def choose(self, text, name, test_fraction):
        dialog = CsvImportDialog(text, name, test_fraction)
        dialog.set_columns(2, 3, 4)
        return dialog.dataset

    monkeypatch.setattr(FileOperations, "_ask_columns", lambda *a: None)
    assert not window.files.import_csv(path)
    assert window.document.dataset is before
    monkeypatch.setattr(FileOperations, "_ask_columns", choose)
    assert window.files.import_csv(path)
    assert window.document.dataset.points.tolist() == [[1.4, 0.2], [4.7, 1.4], [6.0, 2.5]]
    assert window.document.dataset.class_names == ("setosa", "versicolor", "virginica")


def test_open_example_menu_loads_iris_with_its_source_and_undoes(window):
    actions = {a.objectName(): a for a in window.examples_menu.actions()}
    assert {"actionExample_iris", "actionExample_wine", "actionExample_breast_cancer"} <= set(actions)
    assert "scikit-learn" in actions["actionExample_iris"].toolTip()
    before = window.document.dataset
    actions["actionExample_iris"].trigger()
    assert len(window.document.dataset) == 150
    assert window.document.dataset.class_names == ("setosa", "versicolor", "virginica")
    assert "Fisher" in window.statusBar().currentMessage()
    # Petals sit far from 0 (raw: 67 % accuracy, standardized: 96 %): the status bar says what to switch on.
    assert "input standardization" in window.statusBar().currentMessage()
    window.document.undo_stack.undo()
    assert window.document.dataset.equals(before)

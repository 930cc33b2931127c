"""The CSV import dialog with a target column: the task is guessed from the column, shown, and switchable."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from workbench.qt.csv_import_dialog import CsvImportDialog
from workbench.qt.file_operations import FileOperations

WIDE = "id,a,b,kind,count,height\n" + "".join(
    f"{i},{i * 10},{-i * 5},{'pq'[i % 2]},{i % 3},{150 + i * 1.5}\n" for i in range(12)
)


def test_the_guess_follows_the_label_column_and_the_user_can_switch_it(qtbot):
    dialog = CsvImportDialog(WIDE, "people.csv")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.set_columns(1, 2, 5)
    assert dialog.task() == "regression" and dialog.dataset.is_regression
    assert "12 points with target values from 150 to 166.5" in dialog.message.text()
    assert dialog.table.horizontalHeaderItem(5).text() == "height\n(target)"
    dialog.set_columns(1, 2, 3)  # text: classes, guessed again
    assert dialog.task() == "classification" and dialog.dataset.class_names == ("p", "q")
    dialog.set_columns(1, 2, 4)  # whole numbers: classes by default ...
    assert dialog.task() == "classification" and len(dialog.dataset.class_names) == 3
    dialog.set_task("regression")  # ... or their values
    assert dialog.dataset.is_regression and dialog.dataset.targets.tolist()[:4] == [0.0, 1.0, 2.0, 0.0]
    assert dialog.table.horizontalHeaderItem(4).text() == "count\n(target)" and ok.isEnabled()
    dialog.set_columns(1, 2, 3)
    dialog.set_task("regression")  # text cannot be values: a clear message, no import
    assert "the target is not a number: 'p'" in dialog.message.text()
    assert not ok.isEnabled() and dialog.dataset is None


def test_standardization_is_suggested_for_far_coordinates_with_values_too(qtbot):
    dialog = CsvImportDialog(WIDE, "people.csv")
    qtbot.addWidget(dialog)
    dialog.set_columns(1, 2, 5)
    assert "standardization" in dialog.message.text()


def test_importing_values_gives_regression_data_in_the_window(window, tmp_path, monkeypatch):
    path = tmp_path / "people.csv"
    path.write_text(WIDE, encoding="utf-8")

    def choose(self, text, name, test_fraction):
        dialog = CsvImportDialog(text, name, test_fraction)
        dialog.set_columns(1, 2, 5)
        return dialog.dataset

    monkeypatch.setattr(FileOperations, "_ask_columns", choose)
    assert window.files.import_csv(path)
    dataset = window.document.dataset
    assert dataset.is_regression and dataset.targets[-1] == 166.5

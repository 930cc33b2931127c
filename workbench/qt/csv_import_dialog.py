"""The CSV import dialog: pick the x, y and label (or target) columns of a wider file while seeing its first
rows, and whether the third column holds classes or target values.

It opens when a file has more than three columns and its header does not name ``x``, ``y`` and ``label``.
Every change of a column re-reads the whole text with `parse_csv`, so the line under the table already says
how many points and classes (or which range of values) the import will give, or the exact error; OK is
enabled only when it works. The task is guessed from the column (integers or text: classes, other numbers:
regression) and shown in a list where the user can switch it; choosing another label column guesses again.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.data.scaling import suggest_standardize
from workbench.core.files.csv_io import CsvPreview, parse_csv, preview_csv

PREVIEW_ROWS = 10
ROLES = ("x", "y", "label")
#: The task list's entries, in order.
TASK_CHOICES = ("classification", "regression")


def needs_choice(preview: CsvPreview) -> bool:
    """True when the file is wider than x,y,label and its header does not say which columns those are."""
    if preview.n_columns <= 3:
        return False
    names = {name.lower() for name in preview.header} if preview.has_header else set()
    return not ({"x", "y"} <= names and names & {"label", "class", "y_true", "target"})


def guess_columns(preview: CsvPreview) -> tuple[int, int, int]:
    """First guess: the first two numeric columns as x and y, the last text column (or the last) as label."""

    def numeric(column: int) -> bool:
        values = [row[column] for row in preview.rows if column < len(row)]
        try:
            [float(v.replace(",", ".")) for v in values]
        except ValueError:
            return False
        return bool(values)

    numbers = [c for c in range(preview.n_columns) if numeric(c)]
    others = [c for c in range(preview.n_columns) if c not in numbers]
    label = others[-1] if others else preview.n_columns - 1
    xy = [c for c in numbers if c != label] + [c for c in range(preview.n_columns) if c not in numbers]
    xy += [0, 1]  # never short, even for a two-column file
    return xy[0], xy[1], label


class CsvImportDialog(QDialog):
    """Choose the x, y and label columns of `text`; `dataset` is the result after OK."""

    def __init__(
        self, text: str, name: str, test_fraction: float = 0.2, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("csvImportDialog")
        self.setWindowTitle(f"Import Data — {name}")
        self._text = text
        self._test_fraction = test_fraction
        self.dataset: Dataset | None = None
        self.preview = preview_csv(text, PREVIEW_ROWS)

        intro = QLabel(
            f"<b>{name}</b> has {self.preview.n_columns} columns. Choose which ones hold the x and y "
            "coordinates and the class label or target value."
        )
        intro.setWordWrap(True)
        self.combos: dict[str, QComboBox] = {}
        form = QHBoxLayout()
        for role, column in zip(ROLES, guess_columns(self.preview), strict=True):
            combo = QComboBox()
            combo.setObjectName(f"column_{role}")
            for i, header in enumerate(self.preview.header):
                combo.addItem(header if header == str(i + 1) else f"{i + 1}: {header}")
            combo.setCurrentIndex(column)
            combo.currentIndexChanged.connect(self._update)
            self.combos[role] = combo
            row = QFormLayout()
            row.addRow("label / target:" if role == "label" else f"{role}:", combo)
            form.addLayout(row, 1)
        #: The task the user chose, or None while it follows the guess from the label column.
        self._chosen_task: str | None = None
        self._label_column = self.combos["label"].currentIndex()
        self.task_combo = QComboBox()
        self.task_combo.setObjectName("csvTask")
        self.task_combo.addItems(["classes (classification)", "values (regression)"])
        self.task_combo.setToolTip(
            "Guessed from the label column: text or whole numbers are classes, other numbers target values"
        )
        self.task_combo.activated.connect(self._task_chosen)
        task_row = QFormLayout()
        task_row.addRow("task:", self.task_combo)
        form.addLayout(task_row, 1)

        self.table = QTableWidget(len(self.preview.rows), self.preview.n_columns)
        self.table.setObjectName("csvPreview")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        for r, values in enumerate(self.preview.rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.message = QLabel()
        self.message.setObjectName("csvImportMessage")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"First {len(self.preview.rows)} rows:"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(640, 420)
        self._update()

    def columns(self) -> tuple[int, int, int]:
        """The chosen 0-based column numbers of x, y and label."""
        return tuple(self.combos[role].currentIndex() for role in ROLES)  # type: ignore[return-value]

    def set_columns(self, x: int, y: int, label: int) -> None:
        """Choose the columns (0-based), as a user would with the three lists."""
        for role, column in zip(ROLES, (x, y, label), strict=True):
            self.combos[role].setCurrentIndex(column)

    def task(self) -> str:
        """The task shown: "classification" or "regression"."""
        return TASK_CHOICES[self.task_combo.currentIndex()]

    def set_task(self, task: str) -> None:
        """Switch the task, as a user would with the task list."""
        self.task_combo.setCurrentIndex(TASK_CHOICES.index(task))
        self._task_chosen(self.task_combo.currentIndex())

    def _task_chosen(self, index: int) -> None:
        self._chosen_task = TASK_CHOICES[index]
        self._update()

    def _update(self) -> None:
        chosen = self.columns()
        if chosen[2] != self._label_column:  # another label column: guess its task anew
            self._label_column = chosen[2]
            self._chosen_task = None
        names = {"x": "x", "y": "y", "label": "target" if self._chosen_task == "regression" else "label"}
        for c, header in enumerate(self.preview.header):
            role = next((names[r] for r, col in zip(ROLES, chosen, strict=True) if col == c), None)
            item = QTableWidgetItem(f"{header}\n({role})" if role else f"{header}\n")
            font = QFont(self.font())
            font.setBold(role is not None)
            item.setFont(font)
            self.table.setHorizontalHeaderItem(c, item)
            for r in range(self.table.rowCount()):
                cell = self.table.item(r, c)
                if cell is not None:
                    cell.setForeground(self.palette().text().color() if role else QColor(140, 140, 140))
        try:
            self.dataset = parse_csv(
                self._text, test_fraction=self._test_fraction, columns=chosen, task=self._chosen_task
            )
        except (DatasetFormatError, ValueError) as exc:
            self.dataset = None
            self.message.setText(f"<span style='color:#c0392b'>Cannot import: {exc}</span>")
        else:
            if self._chosen_task is None:  # show the guess
                self.task_combo.setCurrentIndex(TASK_CHOICES.index(self.dataset.task))
                if self.dataset.is_regression:
                    self.table.horizontalHeaderItem(chosen[2]).setText(
                        f"{self.preview.header[chosen[2]]}\n(target)"
                    )
            advice = suggest_standardize(self.dataset.points)
            if self.dataset.targets is not None:
                low, high = self.dataset.targets.min(), self.dataset.targets.max()
                summary = f"{len(self.dataset):,} points with target values from {low:.4g} to {high:.4g}"
            else:
                n_classes = len(self.dataset.class_names)
                classes = ", ".join(self.dataset.class_names)
                summary = f"{len(self.dataset):,} points in {n_classes} classes: {classes}"
            self.message.setText(f"{summary}<br>{advice}" if advice else summary)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.dataset is not None)

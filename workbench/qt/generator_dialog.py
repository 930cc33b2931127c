"""A small dialog to generate a classic toy dataset, with a live preview, to replace or extend the data.

Regression datasets (plane, multi-Gaussian, a typed formula) are offered below the classification ones;
their preview colours the points by value with the canvas's diverging map, and a formula the parser refuses
shows its message under the form while Replace and Add wait for a usable one. Replacing data of the other
task switches the project's task (undoable like any replacement); adding needs data of the same task.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.data.dataset import CLASS_COLORS, Dataset
from workbench.core.data.formula import MAX_LENGTH
from workbench.core.model.spec import MAX_CLASSES, SpecError
from workbench.core.present.value_colors import value_range, values_to_rgba
from workbench.qt.theme import style_sheet, theme_color

MAX_GENERATED_POINTS = 20_000


def merge_datasets(current: Dataset, extra: Dataset) -> Dataset:
    """`current` plus the points of `extra`, adding classes when `extra` has more (Add to current); for
    regression data the values come along. Both must have the same task (ValueError otherwise)."""
    if current.task != extra.task:
        raise ValueError(f"cannot add {extra.task} points to {current.task} data")
    if current.targets is not None and extra.targets is not None:
        return current.replace(
            points=np.concatenate([current.points, extra.points]),
            labels=np.zeros(len(current) + len(extra), dtype=np.int64),
            split_keys=np.concatenate([current.split_keys, current.new_split_keys(len(extra))]),
            targets=np.concatenate([current.targets, extra.targets]),
        )
    names = list(current.class_names)
    for c in range(current.n_classes, min(extra.n_classes, MAX_CLASSES)):
        names.append(extra.class_names[c])
    return current.replace(
        points=np.concatenate([current.points, extra.points]),
        labels=np.concatenate([current.labels, extra.labels]),
        split_keys=np.concatenate([current.split_keys, current.new_split_keys(len(extra))]),
        class_names=tuple(names),
    )


class GeneratorDialog(QDialog):
    """Type, points, classes, noise and seed on the left, the preview on the right; Replace or Add."""

    REPLACE = "replace"
    ADD = "add"

    def __init__(self, current: Dataset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from workbench.core.data.generators import GENERATORS

        self.setObjectName("generatorDialog")
        self.setWindowTitle("Generate Dataset")
        self._generators = GENERATORS
        self._current = current
        self._dataset: Dataset | None = None
        self.mode = self.REPLACE

        self.kind = QComboBox()
        self.kind.setAccessibleName("Dataset type")
        for task in ("classification", "regression"):
            if self.kind.count():
                self.kind.insertSeparator(self.kind.count())
            for name, info in GENERATORS.items():
                if info.task != task:
                    continue
                label = f"{info.label} (values)" if task == "regression" else info.label
                self.kind.addItem(label, name)
                self.kind.setItemData(self.kind.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        self.formula = QLineEdit()
        self.formula.setObjectName("formulaEdit")
        self.formula.setAccessibleName("Target formula")
        self.formula.setMaxLength(MAX_LENGTH)
        self.formula.setPlaceholderText("e.g. sin(x) * cos(y)")
        self.formula.setToolTip(
            "target = f(x, y): numbers, x, y, pi, e, + − * / ** and sin cos tan exp log sqrt abs tanh "
            "min max … (nothing else runs)"
        )
        from workbench.core.data.generators import DEFAULT_FORMULA

        self.formula.setText(DEFAULT_FORMULA)
        self.points = QSpinBox(minimum=1, maximum=MAX_GENERATED_POINTS, singleStep=50, value=400)
        self.points.setAccessibleName("Number of points")
        self.classes = QSpinBox(minimum=2, maximum=MAX_CLASSES, value=2)
        self.classes.setAccessibleName("Number of classes")
        self.noise = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.05, decimals=2)
        self.noise.setAccessibleName("Noise")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.seed.setAccessibleName("Seed")
        self.reseed = QPushButton("New seed")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.reseed)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(style_sheet("problem_text"))
        self.error_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Type", self.kind)
        form.addRow("target =", self.formula)
        self._form = form
        form.addRow("Points", self.points)
        form.addRow("Classes", self.classes)
        form.addRow("Noise (σ)", self.noise)
        form.addRow("Seed", seed_row)
        form.addRow(self.error_label)

        self.preview = pg.PlotWidget(background=theme_color("plot_background", dark=False))
        self.preview.setObjectName("generatorPreview")
        self.preview.setFixedSize(300, 300)
        self.preview.setMenuEnabled(False)
        self.preview.hideButtons()
        self.preview.setMouseEnabled(False, False)
        self.preview.getPlotItem().getViewBox().setAspectLocked(True)
        self.preview.setRange(xRange=(-6, 6), yRange=(-6, 6), padding=0)
        self._preview_items = []
        for c in range(MAX_CLASSES):
            color = QColor(CLASS_COLORS[c])
            item = pg.ScatterPlotItem(size=5, pen=pg.mkPen(color.darker(160)), brush=pg.mkBrush(color))
            self.preview.addItem(item)
            self._preview_items.append(item)
        # Regression: one scatter with a brush per point (a preview has few points) in the value map.
        self._value_item = pg.ScatterPlotItem(size=6, pen=pg.mkPen(QColor(60, 60, 60, 150), width=0.8))
        self.preview.addItem(self._value_item)

        self.buttons = QDialogButtonBox()
        self.replace_button = self.buttons.addButton("Replace", QDialogButtonBox.ButtonRole.AcceptRole)
        self.replace_button.setToolTip("Replace the current data (undoable)")
        self.add_button = self.buttons.addButton("Add to current", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setToolTip("Add these points to the current data (undoable)")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.replace_button.setDefault(True)

        body = QHBoxLayout()
        body.addLayout(form)
        body.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(self.buttons)

        self.replace_button.clicked.connect(lambda: self._finish(self.REPLACE))
        self.add_button.clicked.connect(lambda: self._finish(self.ADD))
        self.buttons.rejected.connect(self.reject)
        self.reseed.clicked.connect(
            lambda: self.seed.setValue(int(np.random.default_rng().integers(2**31 - 1)))
        )
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        for box in (self.points, self.seed):
            box.valueChanged.connect(self.update_preview)
        self.classes.valueChanged.connect(self._on_classes_changed)
        self.noise.valueChanged.connect(self.update_preview)
        self.formula.textChanged.connect(self.update_preview)

        default = self.kind.findData("plane" if current.is_regression else "spiral")
        self.kind.setCurrentIndex(max(default, 0))
        self._on_kind_changed()

    def _on_kind_changed(self, *_: object) -> None:
        info = self._generators[self.kind.currentData()]
        for box in (self.classes, self.noise):
            box.blockSignals(True)
        self.classes.setRange(info.min_classes, info.max_classes)
        self.classes.setValue(info.default_classes)
        self.classes.setEnabled(info.takes_classes)
        self.noise.setValue(info.noise_for(info.default_classes))
        self._shown_classes = info.default_classes
        for box in (self.classes, self.noise):
            box.blockSignals(False)
        is_formula = info.name == "formula"
        self.formula.setVisible(is_formula)
        self._form.labelForField(self.formula).setVisible(is_formula)
        self.update_preview()

    def _on_classes_changed(self, *_: object) -> None:
        """Many classes crowd together: a noise the user has not changed follows the class count's default
        (a chosen noise is kept)."""
        info = self._generators[self.kind.currentData()]
        if self.noise.value() == info.noise_for(self._shown_classes):
            self.noise.blockSignals(True)
            self.noise.setValue(info.noise_for(self.classes.value()))
            self.noise.blockSignals(False)
        self._shown_classes = self.classes.value()
        self.update_preview()

    def update_preview(self, *_: object) -> None:
        info = self._generators[self.kind.currentData()]
        regression = info.task == "regression"
        try:
            dataset = info.generate(
                self.points.value(),
                None if regression else self.classes.value(),
                self.noise.value(),
                self.seed.value(),
                self._current.test_fraction,
                formula=self.formula.text() if info.name == "formula" else None,
            )
        except (SpecError, ValueError) as exc:
            self._dataset = None
            self.error_label.setText(str(exc))
            self.replace_button.setEnabled(False)
            self.add_button.setEnabled(False)
            for item in (*self._preview_items, self._value_item):  # no stale picture of other settings
                item.setData(pos=np.zeros((0, 2)))
            return
        self._dataset = dataset
        self.error_label.setText("")
        self.replace_button.setEnabled(True)
        same_task = dataset.task == self._current.task
        self.add_button.setEnabled(same_task)
        self.add_button.setToolTip(
            "Add these points to the current data (undoable)"
            if same_task
            else f"The current data has {'values' if self._current.is_regression else 'classes'}: "
            "Replace switches the task, or switch it first (Data ▸ Task)"
        )
        for c, item in enumerate(self._preview_items):
            item.setData(pos=dataset.points[dataset.labels == c] if not regression else np.zeros((0, 2)))
        if regression:
            assert dataset.targets is not None
            colors = values_to_rgba(dataset.targets, value_range(dataset.targets))
            self._value_item.setData(pos=dataset.points, brush=[QColor(*c) for c in colors.tolist()])
        else:
            self._value_item.setData(pos=np.zeros((0, 2)))

    def dataset(self) -> Dataset | None:
        """The generated dataset as previewed (None if the settings are unusable)."""
        return self._dataset

    def _finish(self, mode: str) -> None:
        self.mode = mode
        self.accept()

"""A small dialog to generate a classic toy dataset, with a live preview, to replace or extend the data."""

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
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.core.data.dataset import CLASS_COLORS, Dataset
from workbench.core.model.spec import MAX_CLASSES, SpecError
from workbench.qt.theme import style_sheet, theme_color

MAX_GENERATED_POINTS = 20_000


def merge_datasets(current: Dataset, extra: Dataset) -> Dataset:
    """`current` plus the points of `extra`, adding classes when `extra` has more (Add to current)."""
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
        for name, info in GENERATORS.items():
            self.kind.addItem(info.label, name)
            self.kind.setItemData(self.kind.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
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

        default = self.kind.findData("spiral")
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
        try:
            dataset = info.generate(
                self.points.value(),
                self.classes.value(),
                self.noise.value(),
                self.seed.value(),
                self._current.test_fraction,
            )
        except (SpecError, ValueError) as exc:
            self._dataset = None
            self.error_label.setText(str(exc))
            self.replace_button.setEnabled(False)
            self.add_button.setEnabled(False)
            return
        self._dataset = dataset
        self.error_label.setText("")
        self.replace_button.setEnabled(True)
        self.add_button.setEnabled(True)
        for c, item in enumerate(self._preview_items):
            item.setData(pos=dataset.points[dataset.labels == c])

    def dataset(self) -> Dataset | None:
        """The generated dataset as previewed (None if the settings are unusable)."""
        return self._dataset

    def _finish(self, mode: str) -> None:
        self.mode = mode
        self.accept()

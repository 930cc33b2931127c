"""The "Data" panel: the class list (pick, add, remove, rename), brush settings and the train/test split.

In regression the class list gives way to the value the brush and Put give new points and the Set value tool
paints: a slider over the colour scale (-R..R, the canvas's `value_range`) and a spin box for any value, with
a swatch of its colour.

It edits only through the document (every change is undoable) and the canvas's drawing state; it listens to
`datasetChanged` and rebuilds its rows with signals blocked so writing back never loops.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import limits
from workbench.core.data.dataset import CLASS_COLORS, DEFAULT_CLASS_NAMES
from workbench.core.data.edits import AddClass, RemoveClass, RenameClass, SetTestFraction
from workbench.core.model.spec import MAX_CLASSES
from workbench.core.present.value_colors import format_value, value_color
from workbench.qt.canvas import DatasetCanvas
from workbench.qt.document import Document
from workbench.qt.tools import Gesture

RADIUS_STEPS = 0.05  # brush radius slider: data units per slider step
#: The value slider has this many steps on each side of 0 (its ends are the colour scale's ends).
VALUE_STEPS = 100
#: Largest magnitude the value spin box takes.
MAX_VALUE = 1e6


def swatch(color: str, size: int = 14, hollow: bool = False) -> QIcon:
    """A round colour chip like the points on the canvas."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    c = QColor(color)
    painter.setPen(c.darker(160))
    painter.setBrush(Qt.BrushStyle.NoBrush if hollow else c)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


#: The class list shows this many rows at most; with more classes it scrolls instead of pushing the brush
#: and split settings out of the Data panel.
VISIBLE_CLASSES = 12


def class_key(index: int) -> str | None:
    """The key that picks class `index` (0-based): 1-9 for the first nine, 0 for the tenth (as on the
    keyboard's number row), none for classes 11-20 (the class list and the Class menu still pick them)."""
    if index < 9:
        return str(index + 1)
    return "0" if index == 9 else None


class ClassPanel(QWidget):
    """Class list with counts, brush radius and density, test fraction and a Generate button."""

    generateRequested = Signal()

    def __init__(self, document: Document, canvas: DatasetCanvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classPanel")
        # No taller than its controls: spare height goes to the Training panel below it.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.document = document
        self.canvas = canvas
        self._split_gesture: Gesture | None = None

        classes_box = QGroupBox("Classes")
        self.class_list = QListWidget()
        self.class_list.setObjectName("classList")
        self.class_list.setAccessibleName("Classes")
        self.class_list.setToolTip(
            "Pick the class to draw (keys 1–9, and 0 for class 10); double-click a name to rename it"
        )
        self.class_list.setIconSize(QSize(14, 14))
        self.class_list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.class_list.setEditTriggers(
            QListWidget.EditTrigger.DoubleClicked | QListWidget.EditTrigger.EditKeyPressed
        )
        self.add_button = QToolButton(text="+ Add")
        self.add_button.setToolTip(f"Add a class (up to {MAX_CLASSES})")
        self.remove_button = QToolButton(text="− Remove")
        self.remove_button.setToolTip("Remove the selected class and its points")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        box_layout = QVBoxLayout(classes_box)
        box_layout.addWidget(self.class_list)
        box_layout.addLayout(buttons)

        self.value_box = QGroupBox("Value")
        self.value_box.setObjectName("valueBox")
        self.value_slider = QSlider(Qt.Orientation.Horizontal, minimum=-VALUE_STEPS, maximum=VALUE_STEPS)
        self.value_slider.setObjectName("valueSlider")
        self.value_slider.setAccessibleName("Value of new points")
        self.value_slider.setPageStep(VALUE_STEPS // 4)
        self.value_spin = QDoubleSpinBox(minimum=-MAX_VALUE, maximum=MAX_VALUE, decimals=3, singleStep=0.1)
        self.value_spin.setObjectName("valueSpin")
        self.value_spin.setAccessibleName("Value of new points")
        self.value_spin.setKeyboardTracking(False)
        self.value_swatch = QLabel()
        self.value_swatch.setFixedSize(16, 16)
        tip = (
            "The value the brush and Put give new points, and the Set value tool (T) paints onto points; "
            "the slider spans the colour scale, the box takes any value"
        )
        for widget in (self.value_box, self.value_spin):
            widget.setToolTip(tip)
        value_row = QHBoxLayout()
        value_row.addWidget(self.value_swatch)
        value_row.addWidget(self.value_slider, 1)
        value_row.addWidget(self.value_spin)
        self.value_hint = QLabel()
        self.value_hint.setWordWrap(True)
        value_layout = QVBoxLayout(self.value_box)
        value_layout.addLayout(value_row)
        value_layout.addWidget(self.value_hint)
        self.value_box.setVisible(False)
        self.classes_box = classes_box

        brush_box = QGroupBox("Brush")
        self.radius_slider = QSlider(Qt.Orientation.Horizontal, minimum=2, maximum=60)
        self.radius_slider.setAccessibleName("Brush radius")
        self.radius_slider.setValue(round(canvas.brush_radius / RADIUS_STEPS))
        self.density_slider = QSlider(Qt.Orientation.Horizontal, minimum=1, maximum=40)
        self.density_slider.setAccessibleName("Brush density")
        self.density_slider.setValue(canvas.brush_density)
        self.radius_label = QLabel()
        self.density_label = QLabel()
        brush_form = QFormLayout(brush_box)
        brush_form.addRow(self.radius_label, self.radius_slider)
        brush_form.addRow(self.density_label, self.density_slider)

        split_box = QGroupBox("Train / test split")
        self.split_slider = QSlider(
            Qt.Orientation.Horizontal,
            minimum=round(100 * limits.TEST_FRACTION.minimum),
            maximum=round(100 * limits.TEST_FRACTION.maximum),
        )
        self.split_slider.setObjectName("testFractionSlider")
        self.split_slider.setAccessibleName("Test fraction")
        self.split_slider.setToolTip("Share of points held out for testing (drawn hollow)")
        self.split_slider.setPageStep(10)
        self.split_label = QLabel()
        self.split_label.setWordWrap(True)
        split_layout = QVBoxLayout(split_box)
        split_layout.addWidget(self.split_slider)
        split_layout.addWidget(self.split_label)

        self.generate_button = QPushButton("Generate dataset…")
        self.generate_button.setToolTip("Start from a classic toy dataset (spiral, moons, XOR, …)")

        layout = QVBoxLayout(self)
        layout.addWidget(classes_box)
        layout.addWidget(self.value_box)
        layout.addWidget(brush_box)
        layout.addWidget(split_box)
        layout.addWidget(self.generate_button)
        layout.addStretch(1)

        self.class_list.currentRowChanged.connect(self._on_row_changed)
        self.class_list.itemChanged.connect(self._on_item_renamed)
        self.add_button.clicked.connect(self.add_class)
        self.remove_button.clicked.connect(self.remove_current_class)
        self.radius_slider.valueChanged.connect(self._on_brush_changed)
        self.density_slider.valueChanged.connect(self._on_brush_changed)
        self.split_slider.valueChanged.connect(self._on_split_changed)
        self.split_slider.sliderPressed.connect(self._begin_split_drag)
        self.split_slider.sliderReleased.connect(self._end_split_drag)
        self.generate_button.clicked.connect(self.generateRequested)
        self.value_slider.valueChanged.connect(self._on_value_slider)
        self.value_spin.valueChanged.connect(self._on_value_spin)
        document.datasetChanged.connect(self.refresh)
        canvas.currentClassChanged.connect(self._select_row)
        canvas.currentValueChanged.connect(self._show_value)
        canvas.valueRangeChanged.connect(self._show_value)
        self._on_brush_changed()
        self._show_value()
        self.refresh()

    # --- refresh from the document -------------------------------------------------------------------
    def refresh(self) -> None:
        dataset = self.document.dataset
        regression = dataset.is_regression
        self.classes_box.setVisible(not regression)
        self.value_box.setVisible(regression)
        counts = dataset.class_counts()
        test_counts = [int(((dataset.labels == c) & dataset.is_test).sum()) for c in range(dataset.n_classes)]
        self.class_list.blockSignals(True)
        while self.class_list.count() > dataset.n_classes:
            self.class_list.takeItem(self.class_list.count() - 1)
        for c, name in enumerate(dataset.class_names):
            if c < self.class_list.count():
                item = self.class_list.item(c)
            else:
                item = QListWidgetItem()
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.class_list.addItem(item)
            item.setText(name)
            item.setIcon(swatch(CLASS_COLORS[c]))
            key = class_key(c)
            item.setToolTip(
                (f"Key {key} · " if key else "")
                + f"{counts[c]} points ({counts[c] - test_counts[c]} train, {test_counts[c]} test)"
            )
            item.setData(Qt.ItemDataRole.UserRole, int(counts[c]))
        self.class_list.setCurrentRow(min(self.canvas.current_class, dataset.n_classes - 1))
        self.class_list.blockSignals(False)
        # The list is exactly as tall as its classes, up to VISIBLE_CLASSES rows; more scroll.
        rows = min(max(2, dataset.n_classes), VISIBLE_CLASSES)
        row_height = max(self.class_list.sizeHintForRow(0), 18)
        self.class_list.setFixedHeight(rows * row_height + 2 * self.class_list.frameWidth() + 4)
        self.add_button.setEnabled(dataset.n_classes < MAX_CLASSES)
        self.remove_button.setEnabled(dataset.n_classes > 1)

        self.split_slider.blockSignals(True)
        self.split_slider.setValue(round(dataset.test_fraction * 100))
        self.split_slider.blockSignals(False)
        n_test = int(dataset.is_test.sum())
        test_mark = "◉ (ringed)" if regression else "○"
        self.split_label.setText(
            f"{round(dataset.test_fraction * 100)}% test: {len(dataset) - n_test} train ● / "
            f"{n_test} test {test_mark}"
        )
        if regression and len(dataset):
            assert dataset.targets is not None
            low, high = float(dataset.targets.min()), float(dataset.targets.max())
            self.value_hint.setText(f"The points' values: {format_value(low)} to {format_value(high)}")
        elif regression:
            self.value_hint.setText("No points yet")

    def _show_value(self, *_: object) -> None:
        """Write the canvas's current value (and the scale's range) back into the slider and spin box."""
        value, half_range = self.canvas.current_value, self.canvas.value_range
        for widget in (self.value_slider, self.value_spin):
            widget.blockSignals(True)
        self.value_slider.setValue(round(max(-1.0, min(1.0, value / half_range)) * VALUE_STEPS))
        self.value_spin.setValue(value)
        for widget in (self.value_slider, self.value_spin):
            widget.blockSignals(False)
        self.value_slider.setToolTip(f"{format_value(value)} (the scale spans ±{format_value(half_range)})")
        color = value_color(value, half_range)
        self.value_swatch.setStyleSheet(
            f"background: {color}; border: 1px solid palette(mid); border-radius: 8px;"
        )

    def _on_value_slider(self, position: int) -> None:
        value = round(position / VALUE_STEPS * self.canvas.value_range, 6)
        self.canvas.set_current_value(value)

    def _on_value_spin(self, value: float) -> None:
        self.canvas.set_current_value(value)

    def _select_row(self, index: int) -> None:
        self.class_list.blockSignals(True)
        self.class_list.setCurrentRow(index)
        self.class_list.blockSignals(False)

    # --- user actions -------------------------------------------------------------------------------
    def add_class(self) -> None:
        dataset = self.document.dataset
        if dataset.n_classes >= MAX_CLASSES:
            return
        used = set(dataset.class_names)
        name = next((n for n in DEFAULT_CLASS_NAMES if n not in used), f"class {dataset.n_classes + 1}")
        self.document.apply_edit(AddClass(name))
        self.canvas.set_current_class(self.document.dataset.n_classes - 1)

    def ensure_class(self, index: int) -> int:
        """Make class `index` (0-based) exist, adding the missing classes like "+ Add" does (one undo step),
        and draw with it; returns how many classes were added."""
        index = min(index, MAX_CLASSES - 1)
        missing = index + 1 - self.document.dataset.n_classes
        if missing > 0:
            self.document.begin_gesture("Add class" if missing == 1 else f"Add {missing} classes")
            try:
                for _ in range(missing):
                    self.add_class()
            finally:
                self.document.end_gesture()
        self.canvas.set_current_class(index)
        return max(missing, 0)

    def remove_current_class(self) -> None:
        dataset = self.document.dataset
        if dataset.n_classes <= 1:
            return
        index = max(0, self.class_list.currentRow())
        self.document.apply_edit(RemoveClass(index, description=f"Remove {dataset.class_names[index]}"))

    def _on_row_changed(self, row: int) -> None:
        if row >= 0:
            self.canvas.set_current_class(row)

    def _on_item_renamed(self, item: QListWidgetItem) -> None:
        row = self.class_list.row(item)
        name = item.text().strip()
        names = self.document.dataset.class_names
        if not name or name == names[row]:
            self.refresh()
            return
        self.document.apply_edit(RenameClass(row, name))

    def _on_brush_changed(self, *_: object) -> None:
        radius = self.radius_slider.value() * RADIUS_STEPS
        density = self.density_slider.value()
        self.radius_label.setText(f"Radius {radius:.2f}")
        self.density_label.setText(f"Density {density}")
        self.canvas.set_brush(radius, density)

    def _begin_split_drag(self) -> None:
        self._split_gesture = Gesture(self.document, "Change test fraction")

    def _end_split_drag(self) -> None:
        if self._split_gesture is not None:
            self._split_gesture.finish()
        self._split_gesture = None

    def _on_split_changed(self, value: int) -> None:
        edit = SetTestFraction(value / 100.0)
        if self._split_gesture is not None:  # one undo step for the whole drag
            self._split_gesture.apply(edit)
        else:
            self.document.apply_edit(edit)

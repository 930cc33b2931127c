"""Training controls: the panel (hyper-parameters, live readout), the Train actions, the divergence banner.

Controls write through the Document (`set_settings`, `apply_edit(SetTestFraction)`) so every change is
undoable and reaches the worker as a message; they listen to the Document to show undo/redo, blocking their
own signals while writing back. Start/Pause/Step/Reset go to the TrainingController, the only path to the
training thread.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import limits
from workbench.core.data.edits import SetTestFraction
from workbench.core.data.scaling import standardized_spec
from workbench.core.model.spec import SpecError
from workbench.core.present.views import ViewFrame
from workbench.core.training.diagnosis import diagnose
from workbench.qt import icons
from workbench.qt.document import Document
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.theme import style_sheet
from workbench.qt.training_controller import TrainingController

OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam"}
#: Learning-rate slider: position p means 10 ** (p / LR_STEPS_PER_DECADE).
LR_STEPS_PER_DECADE = 20
LR_MIN_EXP = round(math.log10(limits.LEARNING_RATE.minimum))
LR_MAX_EXP = round(math.log10(limits.LEARNING_RATE.maximum))
#: The learning rates the slider offers; a typed rate outside them is refused with a message.
LR_MIN, LR_MAX = 10.0**LR_MIN_EXP, 10.0**LR_MAX_EXP
#: While training, the readout changes at most this often per second (numbers faster than that are a blur).
READOUT_RATE = 5.0
#: Accuracy readings kept for the stuck-at-chance diagnosis.
DIAGNOSIS_READINGS = 64


def lr_to_position(lr: float) -> int:
    return round(math.log10(lr) * LR_STEPS_PER_DECADE)


def position_to_lr(position: int) -> float:
    return float(f"{10 ** (position / LR_STEPS_PER_DECADE):.3g}")


def format_number(value: float, digits: int = 4) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}g}"


def format_percent(value: float) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{100 * value:.1f} %"


class DivergenceBanner(QFrame):
    """Non-modal notice that training diverged, in one sentence, with a one-click fix: the learning rate
    ×0.1, and resume. If that diverges too, the notice comes back with the next lower rate."""

    def __init__(
        self, document: Document, controller: TrainingController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("divergenceBanner")
        self._document = document
        self._controller = controller
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(style_sheet("divergence_banner"))
        self.message = QLabel()
        self.message.setObjectName("divergenceMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.fix_button = QPushButton()
        self.fix_button.setObjectName("lowerLearningRateButton")
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignVCenter)
        self.fix_button.clicked.connect(self.lower_and_resume)
        close.clicked.connect(self.hide)
        controller.diverged.connect(self.show_message)
        controller.runningChanged.connect(self._on_running_changed)
        self.hide()

    def lowered_rate(self) -> float | None:
        """The rate the fix would set (×0.1), or None when that is below what the slider offers."""
        new_lr = float(f"{self._document.settings.learning_rate * 0.1:.3g}")
        return new_lr if new_lr >= LR_MIN * (1 - 1e-9) else None

    @Slot(str)
    def show_message(self, message: str) -> None:
        lr = self._document.settings.learning_rate
        sentence = _escape(divergence_sentence(message, lr))
        self.message.setText(sentence.replace("Training diverged", "<b>Training diverged</b>", 1))
        self.message.setToolTip(message)
        new_lr = self.lowered_rate()
        self.fix_button.setVisible(new_lr is not None)
        if new_lr is not None:
            self.fix_button.setText(f"Use {new_lr:g} and resume")
            self.fix_button.setToolTip(f"Set the learning rate to {new_lr:g} (×0.1, undoable) and train on")
        self.show()

    @Slot()
    def lower_and_resume(self) -> None:
        new_lr = self.lowered_rate()
        if new_lr is None:
            return
        settings = self._document.settings
        self._document.set_settings(replace(settings, learning_rate=new_lr), "Lower learning rate")
        self.hide()
        self._controller.start()

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        if running:
            self.hide()


_DIVERGED = re.compile(r"Training diverged at step (\d+): (.*?)\. Restored the weights from step (\d+);")


def divergence_sentence(message: str, learning_rate: float) -> str:
    """The trainer's divergence message as one sentence for the banner (the full text is its tooltip)."""
    match = _DIVERGED.match(message)
    if match is None:
        return f"{message.rstrip('.')} (learning rate {learning_rate:g})."
    failed, problem, restored = match.groups()
    return (
        f"Training diverged at step {failed} ({problem}) and went back to step {restored}: "
        f"the learning rate {learning_rate:g} is too high."
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TrainingActions(QObject):
    """Start/Pause (Space), Step, Step epoch (Shift+Space), Reset weights, and the decision-region options."""

    def __init__(
        self,
        controller: TrainingController,
        parent: QObject | None = None,
        *,
        start_pause: QAction | None = None,
        step: QAction | None = None,
        reset: QAction | None = None,
    ) -> None:
        """Makes its own actions, or takes over existing ones (e.g. the main window's Train menu entries)."""
        super().__init__(parent)
        self._controller = controller
        self.start_pause = start_pause or QAction("Start Training", self)
        self.start_pause.setObjectName(self.start_pause.objectName() or "actionTrainToggle")
        if start_pause is None:
            self.start_pause.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.start_pause.setToolTip("Start or pause training (Space)")
        self.step = step or QAction("Step", self)
        self.step.setObjectName(self.step.objectName() or "actionStep")
        if step is None:
            self.step.setShortcut(QKeySequence("N"))
        self.step.setToolTip("Train one mini-batch step")
        self.step_epoch = QAction("Step &Epoch", self)
        self.step_epoch.setObjectName("actionStepEpoch")
        self.step_epoch.setShortcut(QKeySequence("Shift+Space"))
        self.step_epoch.setToolTip("Train one epoch (Shift+Space)")
        self.reset = reset or QAction("Reset Weights", self)
        self.reset.setObjectName(self.reset.objectName() or "actionResetWeights")
        if reset is None:
            self.reset.setShortcut(QKeySequence("Ctrl+R"))
        self.reset.setToolTip("New random weights with a new seed (undoable); starts a new run")
        for action in (self.start_pause, self.step, self.reset):
            action.setEnabled(True)
        self.show_regions = QAction("Show &Decision Regions", self)
        self.show_regions.setObjectName("actionShowDecisionRegions")
        self.show_regions.setCheckable(True)
        self.show_regions.setChecked(controller.view_request.decision)
        self.discrete_regions = QAction("&Hard Decision Regions (argmax)", self)
        self.discrete_regions.setObjectName("actionHardDecisionRegions")
        self.discrete_regions.setCheckable(True)
        self.discrete_regions.setChecked(controller.view_request.discrete)
        self.start_pause.triggered.connect(controller.toggle)
        self.step.triggered.connect(controller.step_once)
        self.step_epoch.triggered.connect(controller.step_epoch)
        self.reset.triggered.connect(controller.reset_weights)
        self.show_regions.toggled.connect(self._on_show_regions)
        self.discrete_regions.toggled.connect(self._on_discrete)
        controller.runningChanged.connect(self._on_running_changed)

    def fill_menu(self, menu: QMenu) -> None:
        """Add what the menu does not have yet (a main window's Train menu already lists some)."""
        present = set(menu.actions())
        for action in (self.start_pause, self.step, self.step_epoch, self.reset, None, self.show_regions):
            if action is None:
                menu.addSeparator()
            elif action not in present:
                menu.addAction(action)
        menu.addAction(self.discrete_regions)

    def fill_toolbar(self, toolbar: QToolBar) -> None:
        present = set(toolbar.actions())
        toolbar.addActions([a for a in (self.start_pause, self.step, self.reset) if a not in present])

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        """Text and icon say what a click does next: pause while training, train while paused."""
        self.start_pause.setText("Pause Training" if running else "Start Training")
        self.start_pause.setIconText("Pause" if running else "Train")
        name = "pause" if running else "train"
        self.start_pause.setData(name)  # the main window re-colours icons by this name on theme changes
        self.start_pause.setIcon(icons.icon(name))

    @Slot(bool)
    def _on_show_regions(self, checked: bool) -> None:
        self._controller.set_view_options(decision=checked)

    @Slot(bool)
    def _on_discrete(self, checked: bool) -> None:
        self._controller.set_view_options(discrete=checked)


class DecisionRegions(QObject):
    """Draws each frame's decision image under the canvas points; follows the canvas's visible area."""

    def __init__(self, canvas: Any, controller: TrainingController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._canvas = canvas
        self._controller = controller
        self._shown = controller.view_request.decision
        canvas.visibleRangeChanged.connect(controller.set_view_bounds)
        controller.frameArrived.connect(self.show_frame)
        visible = getattr(canvas, "visible_range", None)
        if callable(visible):
            controller.set_view_bounds(*visible())

    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        if frame.decision_rgba is not None:
            self._canvas.set_background_image(frame.decision_rgba, frame.decision_rect)
            self._shown = True
        elif self._shown:  # regions switched off: a transparent pixel (the canvas API has no "hide")
            self._canvas.set_background_image(
                np.zeros((1, 1, 4), np.uint8),
                (
                    frame.bounds[0],
                    frame.bounds[2],
                    frame.bounds[1] - frame.bounds[0],
                    frame.bounds[3] - frame.bounds[2],
                ),
            )
            self._shown = False


class TrainingPanel(QWidget):
    """Buttons, hyper-parameters and a live readout of step, epoch, speed, loss and accuracy."""

    def __init__(
        self,
        document: Document,
        controller: TrainingController,
        parent: QWidget | None = None,
        actions: TrainingActions | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self._document = document
        self._controller = controller
        self.actions = actions or TrainingActions(controller, self)
        self.banner = DivergenceBanner(document, controller, self)
        #: A window may show this notice in a full-width row of its own (MainWindow.set_dock_widget does).
        self.message_bar = self.banner

        buttons = QGridLayout()
        buttons.setSpacing(4)
        self.start_button = self._action_button(self.actions.start_pause, "startPauseButton")
        buttons.addWidget(self.start_button, 0, 0)
        buttons.addWidget(self._action_button(self.actions.reset, "resetButton"), 0, 1)
        buttons.addWidget(self._action_button(self.actions.step, "stepButton"), 1, 0)
        buttons.addWidget(self._action_button(self.actions.step_epoch, "stepEpochButton"), 1, 1)

        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setObjectName("learningRateSlider")
        self.lr_slider.setRange(LR_MIN_EXP * LR_STEPS_PER_DECADE, LR_MAX_EXP * LR_STEPS_PER_DECADE)
        self.lr_slider.setToolTip("Learning rate (logarithmic: each tick of 20 is ×10)")
        self.lr_edit = QLineEdit()
        self.lr_edit.setObjectName("learningRateEdit")
        self.lr_edit.setFixedWidth(72)
        lr_row = QHBoxLayout()
        lr_row.addWidget(self.lr_slider, 1)
        lr_row.addWidget(self.lr_edit)
        self.lr_message = QLabel()
        self.lr_message.setObjectName("learningRateMessage")
        self.lr_message.setWordWrap(True)
        self.lr_message.setStyleSheet("color: #B00020;")
        self.lr_message.hide()

        self.optimizer_combo = QComboBox()
        self.optimizer_combo.setObjectName("optimizerCombo")
        for key, label in OPTIMIZER_LABELS.items():
            self.optimizer_combo.addItem(label, key)
        self.momentum_spin = QDoubleSpinBox()
        self.momentum_spin.setObjectName("momentumSpin")
        self.momentum_spin.setRange(limits.MOMENTUM.minimum, limits.MOMENTUM.maximum)
        self.momentum_spin.setDecimals(3)
        self.momentum_spin.setSingleStep(0.05)
        self.momentum_spin.setPrefix("μ ")
        opt_row = QHBoxLayout()
        opt_row.addWidget(self.optimizer_combo, 1)
        opt_row.addWidget(self.momentum_spin)

        self.batch_spin = QSpinBox()
        self.batch_spin.setObjectName("batchSizeSpin")
        self.batch_spin.setRange(0, int(limits.BATCH_SIZE.maximum))  # 0 = "all", then the table's range
        self.batch_spin.setSpecialValueText("all")
        self.batch_spin.setToolTip("Mini-batch size; 'all' (at the bottom) uses the whole training set")
        self.l2_spin = QDoubleSpinBox()
        self.l2_spin.setObjectName("l2Spin")
        self.l2_spin.setRange(limits.L2.minimum, limits.L2.maximum)
        self.l2_spin.setDecimals(5)
        self.l2_spin.setSingleStep(0.0005)
        self.l2_spin.setToolTip("L2 regularisation λ (weight decay on weight matrices)")
        self.test_slider = QSlider(Qt.Orientation.Horizontal)
        self.test_slider.setObjectName("testFractionSlider")
        percent = (round(100 * limits.TEST_FRACTION.minimum), round(100 * limits.TEST_FRACTION.maximum))
        self.test_slider.setRange(*percent)
        self.test_label = QLabel()
        self.test_label.setFixedWidth(40)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_slider, 1)
        test_row.addWidget(self.test_label)

        self.scaling_combo = QComboBox()
        self.scaling_combo.setObjectName("inputScalingCombo")
        self.scaling_combo.addItem("raw coordinates", "none")
        self.scaling_combo.addItem("standardize", "standardize")
        self.scaling_combo.setToolTip(
            "Standardize: the network sees (x − mean) / std per coordinate. The mean and std are measured on "
            "the training points when you switch this on and then stay fixed while you edit points (switch "
            "off and on again to measure anew); projects and exports keep them, so exported models take raw "
            "coordinates."
        )
        self.scaling_label = QLabel()
        self.scaling_label.setObjectName("inputScalingLabel")
        self.scaling_label.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Learning rate", lr_row)
        form.addRow(self.lr_message)  # a full-width row, shown only when a typed rate was refused
        form.addRow("Optimizer", opt_row)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("L2 λ", self.l2_spin)
        form.addRow("Inputs", self.scaling_combo)
        form.addRow(self.scaling_label)
        form.addRow("Test data", test_row)

        self.readout = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        names = [
            ("step", "Step"),
            ("epoch", "Epoch"),
            ("speed", "Steps/s"),
            ("train_loss", "Train loss"),
            ("test_loss", "Test loss"),
            ("train_acc", "Train accuracy"),
            ("test_acc", "Test accuracy"),
            ("train_r2", "Train R²"),
            ("test_r2", "Test R²"),
        ]
        for key, _label in names:
            value = QLabel("–")
            value.setObjectName(f"{key}Readout")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # A fixed width: a new number then repaints the label alone instead of re-laying out the dock.
            value.setFixedWidth(value.fontMetrics().horizontalAdvance("000,000,000") + 4)
            self.readout[key] = value
        # Two columns: counters on the left, quality on the right.
        for row, key in enumerate(("step", "epoch", "speed")):
            grid.addWidget(QLabel(dict(names)[key]), row, 0)
            grid.addWidget(self.readout[key], row, 1)
        # In regression the accuracy rows read RMSE and two R² rows appear (`_show_task`).
        self.readout_labels: dict[str, QLabel] = {}
        quality_keys = ("train_loss", "test_loss", "train_acc", "test_acc", "train_r2", "test_r2")
        for row, key in enumerate(quality_keys):
            label = QLabel(dict(names)[key])
            label.setObjectName(f"{key}Label")
            self.readout_labels[key] = label
            grid.addWidget(label, row, 2)
            grid.addWidget(self.readout[key], row, 3)
        self.readout_labels["train_r2"].setToolTip(
            "R²: 1 = every target predicted exactly, 0 = no better than always predicting the mean"
        )
        self.readout_labels["test_r2"].setToolTip(self.readout_labels["train_r2"].toolTip())
        self._regression: bool | None = None
        self._show_task(False)
        # Why a run is stuck at chance (a blank canvas otherwise leaves a beginner guessing).
        self.diagnosis = QLabel()
        self.diagnosis.setObjectName("trainingDiagnosis")
        self.diagnosis.setWordWrap(True)
        self.diagnosis.setStyleSheet(
            "#trainingDiagnosis { background: #fff4e5; color: #3a2a00; border: 1px solid #e69f00;"
            " border-radius: 4px; padding: 3px 6px; }"
        )
        self.diagnosis.hide()
        self._readings: deque[tuple[int, float]] = deque(maxlen=DIAGNOSIS_READINGS)
        self._readings_task = "classification"
        readout_box = QFrame()
        readout_box.setFrameShape(QFrame.Shape.StyledPanel)
        readout_box.setLayout(grid)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(readout_box)
        layout.addWidget(self.diagnosis)
        layout.addStretch(1)
        # Extra height goes here (the Data panel above keeps its natural size): room for notices and the
        # stuck-training line without squeezing the fields.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        self.lr_slider.valueChanged.connect(self._on_lr_slider)
        self.lr_edit.editingFinished.connect(self._on_lr_edit)
        self.optimizer_combo.currentIndexChanged.connect(self._on_optimizer)
        self.momentum_spin.valueChanged.connect(self._on_momentum)
        self.batch_spin.valueChanged.connect(self._on_batch)
        self.l2_spin.valueChanged.connect(self._on_l2)
        self.test_slider.valueChanged.connect(self._on_test_slider)
        self.test_slider.sliderReleased.connect(self._apply_test_fraction)
        self.scaling_combo.currentIndexChanged.connect(self._on_scaling)
        document.settingsChanged.connect(self.show_settings)
        document.specChanged.connect(self.show_scaling)
        document.datasetChanged.connect(self.show_test_fraction)
        self._throttle = FrameThrottle(READOUT_RATE, 0, self)
        self._throttle.frameDue.connect(self.show_frame)
        controller.frameArrived.connect(self._throttle.push)
        self.show_settings()
        self.show_scaling()
        self.show_test_fraction()
        if controller.last_frame is not None:
            self.show_frame(controller.last_frame)

    def _action_button(self, action: QAction, name: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return button

    # --- document -> controls ---------------------------------------------------------------------------
    @Slot()
    def show_settings(self) -> None:
        s = self._document.settings
        blockers = [
            QSignalBlocker(w)
            for w in (self.lr_slider, self.lr_edit, self.optimizer_combo, self.momentum_spin, self.batch_spin)
        ]
        blockers.append(QSignalBlocker(self.l2_spin))
        self.lr_slider.setValue(lr_to_position(s.learning_rate))
        self.lr_edit.setText(f"{s.learning_rate:g}")
        self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(s.optimizer)))
        self.momentum_spin.setValue(s.momentum)
        self.momentum_spin.setEnabled(s.optimizer == "momentum")
        self.batch_spin.setValue(s.batch_size or 0)
        self.l2_spin.setValue(s.l2)
        del blockers

    @Slot()
    def show_scaling(self) -> None:
        """The input-scaling setting and its frozen statistics, from the spec (undo lands here too)."""
        scaling = self._document.spec.input_scaling
        with QSignalBlocker(self.scaling_combo):
            self.scaling_combo.setCurrentIndex(0 if scaling is None else 1)
        if scaling is None:
            self.scaling_label.hide()
            return
        self.scaling_label.setText(
            f"mean {scaling.mean[0]:.3g}, {scaling.mean[1]:.3g} · std {scaling.std[0]:.3g}, "
            f"{scaling.std[1]:.3g} (fixed when switched on)"
        )
        self.scaling_label.show()

    @Slot()
    def show_test_fraction(self) -> None:
        fraction = self._document.dataset.test_fraction
        if not self.test_slider.isSliderDown():
            with QSignalBlocker(self.test_slider):
                self.test_slider.setValue(round(fraction * 100))
        self.test_label.setText(f"{self.test_slider.value()} %")

    def _show_task(self, regression: bool) -> None:
        """Accuracy rows for classification; RMSE and R² rows for regression."""
        if regression == self._regression:
            return
        self._regression = regression
        self.readout_labels["train_acc"].setText("Train RMSE" if regression else "Train accuracy")
        self.readout_labels["test_acc"].setText("Test RMSE" if regression else "Test accuracy")
        for key in ("train_r2", "test_r2"):
            self.readout_labels[key].setVisible(regression)
            self.readout[key].setVisible(regression)

    @Slot(object)
    def show_frame(self, frame: ViewFrame) -> None:
        m = frame.snapshot.metrics
        regression = frame.snapshot.spec.is_regression
        self._show_task(regression)
        self.readout["step"].setText(f"{m.step:,}")
        self.readout["epoch"].setText(f"{m.epoch:,}")
        self.readout["speed"].setText(f"{frame.steps_per_second:,.0f}" if frame.running else "–")
        self.readout["train_loss"].setText(format_number(m.train_loss))
        self.readout["test_loss"].setText(format_number(m.test_loss))
        if regression:
            self.readout["train_acc"].setText(format_number(m.train_rmse))
            self.readout["test_acc"].setText(format_number(m.test_rmse))
            self.readout["train_r2"].setText(format_number(m.train_r2))
            self.readout["test_r2"].setText(format_number(m.test_r2))
            self._update_diagnosis(frame)  # stuck: R² stays at 0, the mean everywhere
            return
        self.readout["train_acc"].setText(format_percent(m.train_accuracy))
        self.readout["test_acc"].setText(format_percent(m.test_accuracy))
        self._update_diagnosis(frame)

    def _update_diagnosis(self, frame: ViewFrame) -> None:
        """Say in one line why the run is stuck at chance, or hide the line (core.diagnosis decides)."""
        m = frame.snapshot.metrics
        if self._readings and m.step < self._readings[-1][0]:
            self._readings.clear()  # a new run
        if self._readings and self._readings_task != frame.snapshot.spec.task:
            self._readings.clear()  # the task switched: accuracy and R² do not mix
        self._readings_task = frame.snapshot.spec.task
        score = m.train_r2 if frame.snapshot.spec.is_regression else m.train_accuracy
        if not self._readings or m.step > self._readings[-1][0]:
            self._readings.append((m.step, score))
        dataset = self._document.dataset
        train = ~dataset.is_test
        try:
            message = diagnose(
                self._document.spec,
                frame.snapshot.weights,
                dataset.points[train],
                dataset.labels[train],
                self._document.settings,
                [step for step, _ in self._readings],
                [accuracy for _, accuracy in self._readings],
            )
        except ValueError:  # a frame of the network before the last edit: wait for the next one
            message = None
        if message is None:
            self.diagnosis.hide()
        else:
            self.diagnosis.setText(f"Stuck: {message}")
            self.diagnosis.show()

    # --- controls -> document ---------------------------------------------------------------------------
    def _change(self, text: str, **changes: Any) -> None:
        try:
            self._document.set_settings(replace(self._document.settings, **changes), text)
        except SpecError as exc:
            self._refuse_learning_rate(f"Not changed: {exc}.")
            return
        if "learning_rate" in changes:
            self.lr_message.hide()

    def _refuse_learning_rate(self, text: str) -> None:
        """Say why a typed learning rate was not taken; the field shows the current rate again."""
        self.lr_message.setText(text)
        self.lr_message.show()
        self.show_settings()

    @Slot(int)
    def _on_lr_slider(self, position: int) -> None:
        self._change("Change learning rate", learning_rate=position_to_lr(position))

    @Slot()
    def _on_lr_edit(self) -> None:
        text = self.lr_edit.text().strip()
        current = self._document.settings.learning_rate
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            if text != f"{current:g}":
                self._refuse_learning_rate(f"“{text}” is not a number: the learning rate stays {current:g}.")
            return
        low, high = position_to_lr(self.lr_slider.minimum()), position_to_lr(self.lr_slider.maximum())
        if not (math.isfinite(value) and low * (1 - 1e-9) <= value <= high * (1 + 1e-9)):
            self._refuse_learning_rate(
                f"{text} is outside the learning rates offered ({low:g} to {high:g}): it stays {current:g}."
            )
            return
        self._change("Change learning rate", learning_rate=value)

    @Slot(int)
    def _on_optimizer(self, index: int) -> None:
        self._change("Change optimizer", optimizer=self.optimizer_combo.itemData(index))

    @Slot(float)
    def _on_momentum(self, value: float) -> None:
        self._change("Change momentum", momentum=value)

    @Slot(int)
    def _on_batch(self, value: int) -> None:
        self._change("Change batch size", batch_size=value or None)

    @Slot(float)
    def _on_l2(self, value: float) -> None:
        self._change("Change L2 strength", l2=value)

    @Slot(int)
    def _on_scaling(self, index: int) -> None:
        mode = self.scaling_combo.itemData(index)
        dataset = self._document.dataset
        spec = standardized_spec(self._document.spec, mode, dataset.points[dataset.train_indices])
        self._document.set_spec(spec, "Standardize inputs" if mode == "standardize" else "Use raw inputs")
        self.show_scaling()

    @Slot(int)
    def _on_test_slider(self, value: int) -> None:
        self.test_label.setText(f"{value} %")
        if not self.test_slider.isSliderDown():
            self._apply_test_fraction()

    @Slot()
    def _apply_test_fraction(self) -> None:
        fraction = self.test_slider.value() / 100
        if abs(fraction - self._document.dataset.test_fraction) > 1e-9:
            self._document.apply_edit(SetTestFraction(fraction))

"""The lesson panel (`lessonPanel`): a lesson's steps in a dock, each step's set-up applied to the window as
one undoable edit, its goals checked live, and the classroom mode that hides or locks named controls.

How it fits in: `install_lessons(window)` adds the dock, Help ▸ Lessons (one action per shipped lesson),
File ▸ Save as Lesson… and, on the very first launch, a quiet offer of lesson 1 in the status bar. The goals
are checked from the frames the training controller already publishes (`frameArrived`), never by asking the
trainer: the cheap goals (numbers the snapshot carries) four times a second, the expensive one (a linear fit
on the last hidden layer, a few ms) at most every `EXPENSIVE_INTERVAL_MS`, on a sample of points.

Classroom mode: a step names controls to hide or lock (`workbench.core.controls.CONTROLS` maps the
names to objectNames); the panel hides or disables them, applies that again after the panels update
themselves (a panel may re-enable a control when the settings change), and puts everything back when the
step changes or the lesson is left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.controls import CONTROLS, ClassroomControls
from workbench.core.data.edits import ReplaceDataset
from workbench.core.lessons.emit import lesson_text
from workbench.core.lessons.format import Goal, Lesson, LessonError, Step, parse_lesson, shipped_lessons
from workbench.core.lessons.goals import EXPENSIVE_GOALS, GoalResult, GoalState, evaluate_goals

#: How often the cheap goals are checked against the newest frame, and the expensive ones at most.
CHECK_INTERVAL_MS = 250
EXPENSIVE_INTERVAL_MS = 1500
#: Points and gradient steps of the window's separability fit (the CLI's checker uses more): about 5 ms on
#: the GUI thread, at most every `EXPENSIVE_INTERVAL_MS`. The network's own output layer counts as a fit
#: too, so a chain whose output already separates the points needs no iterations at all.
WINDOW_SEPARABILITY_POINTS = 500
WINDOW_FIT_ITERATIONS = 120
OFFERED_KEY = "lessons/offered"
#: The lesson dock's width when it opens (the canvas keeps the most room).
DOCK_WIDTH = 320
LESSON_FILTER = "Lessons (*.toml)"

_start_lesson: Lesson | None = None


def open_at_start(lesson: Lesson) -> None:
    """`workbench lesson open NAME`: the next window `install_lessons` sets up opens at this lesson."""
    global _start_lesson
    _start_lesson = lesson


class LessonPanel(QWidget):
    """The dock's content: lesson and step titles, the step text, goal lines and the step buttons."""

    #: The step shown changed (its index), or -1 when the lesson was left.
    stepChanged = Signal(int)
    #: Every goal of the step held at once (the step is done).
    stepCompleted = Signal(int)

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.setAccessibleName("Lesson")
        self.window_ = window
        self.document = window.document
        self.lesson: Lesson | None = None
        self.index = -1
        self.completed = False
        self.results: list[GoalResult] = []
        self._frame: Any = None
        self._frame_checked: Any = None
        self._expensive_due = True
        self.classroom = Classroom(window, self)

        self.lesson_title = QLabel()
        self.lesson_title.setObjectName("lessonTitle")
        self.lesson_title.setWordWrap(True)
        font = self.lesson_title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.lesson_title.setFont(font)
        self.step_label = QLabel()
        self.step_label.setObjectName("lessonStepLabel")
        self.step_label.setWordWrap(True)
        self.text = QTextBrowser()
        self.text.setObjectName("lessonText")
        self.text.setOpenExternalLinks(True)
        self.goals_box = QWidget()
        self.goals_box.setObjectName("lessonGoals")
        self.goals_layout = QVBoxLayout(self.goals_box)
        self.goals_layout.setContentsMargins(0, 0, 0, 0)
        self.goals_layout.setSpacing(2)
        self.goal_labels: list[QLabel] = []
        self.status = QLabel()
        self.status.setObjectName("lessonStatus")
        self.status.setWordWrap(True)

        self.back_button = QPushButton("◀ Back")
        self.back_button.setObjectName("lessonBack")
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("lessonNext")
        self.next_button.clicked.connect(self.next)
        self.reset_button = QPushButton("Reset this step")
        self.reset_button.setObjectName("lessonReset")
        self.reset_button.setToolTip("Put this step's data, network and settings back (undoable)")
        self.reset_button.clicked.connect(self.reset_step)
        self.leave_button = QToolButton()
        self.leave_button.setObjectName("lessonLeave")
        self.leave_button.setText("Leave lesson")
        self.leave_button.setToolTip("Close the lesson; the project stays as it is")
        self.leave_button.clicked.connect(self.leave)

        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        top = QHBoxLayout()
        top.addWidget(self.lesson_title, 1)
        top.addWidget(self.leave_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.step_label)
        layout.addWidget(self.text, 1)
        goals_title = QLabel("<b>Goals</b>")
        goals_title.setObjectName("lessonGoalsTitle")
        layout.addWidget(goals_title)
        layout.addWidget(self.goals_box)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.setMinimumWidth(230)

        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.check_goals)
        self._expensive_timer = QTimer(self)
        self._expensive_timer.setInterval(EXPENSIVE_INTERVAL_MS)
        self._expensive_timer.timeout.connect(self._expensive_now)
        controller = getattr(window, "training", None)
        if controller is not None:
            controller.frameArrived.connect(self.take_frame)
        self._show_nothing()

    # --- lessons and steps ------------------------------------------------------------------------------
    @property
    def step(self) -> Step | None:
        if self.lesson is None or not 0 <= self.index < len(self.lesson.steps):
            return None
        return self.lesson.steps[self.index]

    def open(self, lesson: Lesson, index: int = 0) -> None:
        """Open the lesson at step `index` with its set-up applied; the dock shows, the offer goes."""
        offer = self.window_.findChild(QWidget, "lessonOffer")
        if offer is not None:
            offer.hide()
        dock = self.parentWidget()
        if isinstance(dock, QDockWidget):
            if not dock.isVisible():
                dock.show()
                window = self.window_
                QTimer.singleShot(  # once the dock has its place in the layout
                    0, self, lambda: window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
                )
            dock.raise_()
        self.lesson = lesson
        self.lesson_title.setText(lesson.title)
        self.show_step(index)

    def show_step(self, index: int, *, apply: bool = True) -> None:
        """Show step `index`: its text and goals; with `apply`, its set-up, views and classroom too."""
        if self.lesson is None:
            return
        self.index = max(0, min(index, len(self.lesson.steps) - 1))
        step = self.lesson.steps[self.index]
        total = len(self.lesson.steps)
        self.step_label.setText(f"Step {self.index + 1} of {total}: <b>{_escape(step.title)}</b>")
        self.text.setMarkdown(step.text)
        self.back_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(True)
        self.reset_button.setEnabled(True)
        self.next_button.setText("Next ▶" if self.index < total - 1 else "Finish ✓")
        self._build_goal_labels(step.goals)
        if apply:
            self.apply_setup(step)
            self.show_views(step)
            self.classroom.apply(step.hidden, step.locked)
        self.stepChanged.emit(self.index)

    def next(self) -> None:
        if self.lesson is None:
            return
        if self.index < len(self.lesson.steps) - 1:
            self.show_step(self.index + 1)
        else:
            title = self.lesson.title
            self.leave()
            self.window_.statusBar().showMessage(f"Lesson finished: {title}", 8000)

    def back(self) -> None:
        if self.lesson is not None and self.index > 0:
            self.show_step(self.index - 1)

    def reset_step(self) -> None:
        step = self.step
        if step is not None:
            self.apply_setup(step)

    def leave(self) -> None:
        """Close the lesson: controls come back, the dock hides; the document stays as it is."""
        self.classroom.restore()
        self.lesson = None
        self.index = -1
        self._timer.stop()
        self._expensive_timer.stop()
        self._show_nothing()
        dock = self.parentWidget()
        if isinstance(dock, QDockWidget):
            dock.hide()
        self.stepChanged.emit(-1)

    def apply_setup(self, step: Step) -> None:
        """Data, network, settings and fresh weights of the step's set-up as one undo step; training
        pauses."""
        try:
            dataset, spec, settings = step.setup.build()
        except LessonError as exc:
            self.window_._show_error("Cannot Set Up This Step", str(exc))
            return
        controller = getattr(self.window_, "training", None)
        if controller is not None:
            controller.pause()
        document = self.document
        document.begin_gesture(f"Lesson step: {step.title}")
        try:
            document.apply_edit(ReplaceDataset(dataset, description=f"Lesson data: {step.title}"))
            document.set_spec(spec, "Lesson network")
            document.set_settings(settings, "Lesson settings")
            document.replace_weights(None, "Lesson: fresh weights")  # the trainer starts from settings.seed
        finally:
            document.end_gesture()
        canvas = getattr(self.window_, "canvas", None)
        if canvas is not None and hasattr(canvas, "fit_to_data"):
            canvas.fit_to_data()
        hidden_space = self.window_.findChild(QWidget, "hiddenSpacePlot")
        combo = getattr(hidden_space, "layer_combo", None)
        if combo is not None and combo.count():  # what the output layer sees: the last hidden layer
            combo.setCurrentIndex(combo.count() - 1)
        self._restart_goals()

    def show_views(self, step: Step) -> None:
        """Show and raise the docks the step names."""
        for name in step.views:
            dock = self.window_.findChild(QDockWidget, f"{name}Dock")
            if dock is not None:
                dock.show()
                dock.raise_()

    # --- goals ------------------------------------------------------------------------------------------
    def _restart_goals(self) -> None:
        self.completed = False
        self.results = []
        self._frame = None
        self._frame_checked = None
        self._expensive_due = True
        step = self.step
        if step is not None and step.goals:
            self._timer.start()
            self._expensive_timer.start()
            self.status.setText("Train to reach the goals.")
        else:
            self._timer.stop()
            self._expensive_timer.stop()
            self.status.setText("No goal in this step: explore, then press Next.")
        for label, goal in zip(self.goal_labels, step.goals if step else (), strict=False):
            label.setText(f"○ {goal.describe()}")

    @Slot(object)
    def take_frame(self, frame: Any) -> None:
        """Keep the newest frame; the timer checks the goals against it."""
        self._frame = frame

    @Slot()
    def _expensive_now(self) -> None:
        self._expensive_due = True

    @Slot()
    def check_goals(self) -> None:
        """Check the goals against the newest frame (cheap ones each time, expensive ones when due)."""
        step = self.step
        frame = self._frame
        if step is None or not step.goals or frame is None or frame is self._frame_checked:
            return
        snapshot = frame.snapshot
        document = self.document
        if snapshot.spec.to_dict() != document.spec.to_dict():
            return  # a frame of a network the document no longer has
        expensive = self._expensive_due and any(goal.kind in EXPENSIVE_GOALS for goal in step.goals)
        state = GoalState.of_snapshot(
            snapshot, document.dataset, WINDOW_SEPARABILITY_POINTS, WINDOW_FIT_ITERATIONS
        )
        previous = dict(enumerate(self.results))
        try:
            results = evaluate_goals(step.goals, state, cheap_only=not expensive, previous=previous)
        except ValueError:  # weights of another shape (the frame is older than a spec change)
            return
        if expensive:
            self._expensive_due = False
        self._frame_checked = frame
        self.show_results(results)

    def show_results(self, results: list[GoalResult]) -> None:
        self.results = results
        for label, result in zip(self.goal_labels, results, strict=False):
            label.setText(f"{'✓' if result.met else '○'} {result.text}")
            label.setProperty("met", result.met)
        if not self.completed and results and all(result.met for result in results):
            self.completed = True
            last = self.lesson is not None and self.index == len(self.lesson.steps) - 1
            self.status.setText(
                "✓ Step complete! "
                + ("That was the last step." if last else "Press Next when you are ready.")
            )
            self.stepCompleted.emit(self.index)

    def _build_goal_labels(self, goals: tuple[Goal, ...]) -> None:
        for label in self.goal_labels:
            self.goals_layout.removeWidget(label)
            label.hide()  # at once: deleteLater alone leaves it drawn under the new labels until then
            label.deleteLater()
        self.goal_labels = []
        for number, goal in enumerate(goals):
            label = QLabel(f"○ {goal.describe()}")
            label.setObjectName(f"lessonGoal{number + 1}")
            label.setWordWrap(True)
            self.goals_layout.addWidget(label)
            self.goal_labels.append(label)
        if not goals:
            label = QLabel("—")
            label.setObjectName("lessonGoalNone")
            self.goals_layout.addWidget(label)
            self.goal_labels.append(label)

    def _show_nothing(self) -> None:
        self.lesson_title.setText("No lesson open")
        self.step_label.setText("Pick one in Help ▸ Lessons.")
        self.text.setMarkdown("")
        self._build_goal_labels(())
        self.status.setText("")
        for button in (self.back_button, self.next_button, self.reset_button):
            button.setEnabled(False)

    # --- Save as Lesson ---------------------------------------------------------------------------------
    def lesson_text_for_state(self, title: str, step_title: str, text: str) -> str:
        """The current data, network and settings plus the text as a lesson file's text; when a lesson is
        open, its step's goals, views and classroom controls come along."""
        document, step = self.document, self.step
        return lesson_text(
            title,
            step_title,
            text,
            document.dataset,
            document.spec,
            document.settings,
            goals=step.goals if step else (),
            budget=step.budget if step else None,
            views=step.views if step else (),
            hidden=step.hidden if step else (),
            locked=step.locked if step else (),
        )


class Classroom(QObject):
    """Hides or locks named controls (see `CONTROLS`) and puts them back; re-applied after panels update.

    Two sources add up: the open lesson step's (`apply`, `restore` when the lesson is left) and the
    project's own classroom mode (`Document.classroom`, saved in the project file, File ▸ Classroom Mode…).
    """

    def __init__(self, window: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.hidden: tuple[str, ...] = ()
        self.locked: tuple[str, ...] = ()
        self._lesson: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        self._saved: dict[tuple[int, str], tuple[Any, str, bool]] = {}
        document = window.document
        for signal in (document.settingsChanged, document.specChanged, document.datasetChanged):
            signal.connect(self._reapply_later)
        document.classroomChanged.connect(self._refresh)
        self._refresh()

    def apply(self, hidden: tuple[str, ...], locked: tuple[str, ...]) -> None:
        """A lesson step's controls (the project's stay as they are)."""
        self._lesson = (tuple(hidden), tuple(locked))
        self._refresh()

    def restore(self) -> None:
        """The lesson is left: its controls come back (the project's classroom mode stays)."""
        self._lesson = ((), ())
        self._refresh()

    @Slot()
    def _refresh(self) -> None:
        self._put_back()
        project = self.window.document.classroom
        self.hidden = tuple(dict.fromkeys(self._lesson[0] + project.hidden))
        self.locked = tuple(dict.fromkeys(self._lesson[1] + project.locked))
        self._apply()

    def _put_back(self) -> None:
        """Every hidden or locked control as it was before."""
        for target, attribute, value in self._saved.values():
            try:
                if attribute == "visible":
                    target.setVisible(value)
                else:
                    target.setEnabled(value)
            except RuntimeError:  # deleted in the meantime
                pass
        self._saved.clear()
        self.hidden = self.locked = ()

    def targets(self, name: str) -> list[Any]:
        """The widgets, docks, toolbars and actions behind a control name."""
        found: list[Any] = []
        for object_name in CONTROLS[name].object_names:
            for widget in self.window.findChildren(QWidget, object_name):
                parent = widget.parentWidget()
                if isinstance(parent, QDockWidget):  # a panel: hide or lock its dock, and its View toggle
                    found.extend([parent, parent.toggleViewAction()])
                elif isinstance(widget, QToolBar):
                    found.extend([widget, widget.toggleViewAction()])
                else:
                    found.append(widget)
            found.extend(self.window.findChildren(QAction, object_name))
        return found

    def _apply(self) -> None:
        for names, attribute in ((self.hidden, "visible"), (self.locked, "enabled")):
            for name in names:
                for target in self.targets(name):
                    owner = target.parent() if isinstance(target, QAction) else None
                    toggle = isinstance(owner, (QDockWidget, QToolBar))
                    if toggle and attribute == "visible":  # a panel's View toggle stays listed, locked
                        self._set(target, "enabled", False)
                        continue
                    self._set(target, attribute, False)

    def _set(self, target: Any, attribute: str, value: bool) -> None:
        key = (id(target), attribute)
        if key not in self._saved:  # the state before the lesson touched it (re-applying keeps the first)
            if attribute == "visible":
                old = not target.isHidden() if isinstance(target, QWidget) else target.isVisible()
            else:
                old = target.isEnabled()
            self._saved[key] = (target, attribute, bool(old))
        if attribute == "visible":
            target.setVisible(value)
        else:
            target.setEnabled(value)

    @Slot()
    def _reapply_later(self) -> None:
        if self.hidden or self.locked:
            QTimer.singleShot(0, self, self._reapply)

    @Slot()
    def _reapply(self) -> None:
        if self.hidden or self.locked:
            self._apply()


class SaveLessonDialog(QDialog):
    """Title, step title and Markdown text of a lesson made from the current state."""

    def __init__(self, parent: QWidget | None = None, step_title: str = "", text: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("saveLessonDialog")
        self.setWindowTitle("Save as Lesson")
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("lessonTitleEdit")
        self.title_edit.setPlaceholderText("e.g. Why depth helps")
        self.step_edit = QLineEdit(step_title)
        self.step_edit.setObjectName("lessonStepTitleEdit")
        self.step_edit.setPlaceholderText("e.g. Train the deep network")
        self.text_edit = QPlainTextEdit(text)
        self.text_edit.setObjectName("lessonTextEdit")
        self.text_edit.setPlaceholderText("What the students should do and look at (Markdown).")
        form = QFormLayout(self)
        form.addRow("Lesson title", self.title_edit)
        form.addRow("Step title", self.step_edit)
        form.addRow("Text", self.text_edit)
        note = QLabel(
            "The lesson starts from the current data, network and settings. Goals can be added in the file "
            "(see docs/lessons.md)."
        )
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(520, 380)

    def values(self) -> tuple[str, str, str]:
        title = self.title_edit.text().strip() or "My lesson"
        step = self.step_edit.text().strip() or "Step 1"
        return title, step, self.text_edit.toPlainText()


class LessonOffer(QWidget):
    """The first launch's quiet offer of lesson 1, in the status bar (left of the point counts): a link and
    a close button."""

    def __init__(self, lesson: Lesson, open_lesson: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonOffer")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.start = QToolButton()
        self.start.setObjectName("lessonOfferStart")
        self.start.setText(f"New here? Start lesson 1: {lesson.title}")
        self.start.setAutoRaise(True)
        self.start.clicked.connect(lambda: (open_lesson(lesson), self.hide()))
        close = QToolButton()
        close.setObjectName("lessonOfferClose")
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("No thanks (Help ▸ Lessons has them all)")
        close.clicked.connect(self.hide)
        layout.addWidget(self.start)
        layout.addWidget(close)


def install_lessons(window: Any) -> LessonPanel:
    """Add the Lesson dock (hidden until a lesson opens), Help ▸ Lessons, File ▸ Save as Lesson… and the first
    launch's offer of lesson 1; open the lesson `open_at_start` named, if any."""
    global _start_lesson
    panel = LessonPanel(window)
    dock = QDockWidget("Lesson", window)
    dock.setObjectName("lessonPanelDock")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock, Qt.Orientation.Horizontal)
    dock.hide()
    docks = getattr(window, "docks", None)
    if isinstance(docks, dict):
        docks["lessonPanel"] = dock
    toggle = dock.toggleViewAction()
    toggle.setStatusTip("Show or hide the Lesson panel")
    view_menu = getattr(window, "view_menu", None)
    if view_menu is not None:
        view_menu.insertAction(getattr(window, "_dock_actions_anchor", None), toggle)
    window.lesson_panel = panel

    try:
        lessons = shipped_lessons()
    except LessonError as exc:  # a broken shipped file must not stop the window (the tests catch it)
        lessons = []
        window.statusBar().showMessage(f"Lessons unavailable: {exc}", 10000)

    open_lesson = panel.open
    menu = _menu(window, "Help")
    if menu is not None:
        lessons_menu = QMenu("&Lessons", menu)
        lessons_menu.setObjectName("menuLessons")
        for lesson in lessons:
            action = QAction(f"{lesson.order}. {lesson.title}", lessons_menu)
            action.setObjectName(f"actionLesson_{lesson.name}")
            action.setStatusTip(lesson.summary or lesson.title)
            action.triggered.connect(lambda _=False, lesson=lesson: open_lesson(lesson))
            lessons_menu.addAction(action)
        lessons_menu.addSeparator()
        open_file = QAction("Open Lesson File…", lessons_menu)
        open_file.setObjectName("actionOpenLessonFile")
        open_file.triggered.connect(lambda: _open_lesson_file(window, open_lesson))
        lessons_menu.addAction(open_file)
        leave = QAction("Leave Lesson", lessons_menu)
        leave.setObjectName("actionLeaveLesson")
        leave.triggered.connect(panel.leave)
        lessons_menu.addAction(leave)
        menu.insertMenu(menu.actions()[0] if menu.actions() else None, lessons_menu)
        window.lessons_menu = lessons_menu

    save_action = QAction("Save as &Lesson…", window)
    save_action.setObjectName("actionSaveAsLesson")
    save_action.setStatusTip("Write the current data, network and settings with a text as a lesson file")
    save_action.triggered.connect(lambda: save_as_lesson(window))
    window.action_save_as_lesson = save_action
    file_menu = _menu(window, "File")
    if file_menu is not None:
        actions = file_menu.actions()
        anchor = getattr(window, "action_save_as", None)
        after = actions[actions.index(anchor) + 1] if anchor in actions[:-1] else None
        file_menu.insertAction(after, save_action)
    classroom_action = QAction("Classroom &Mode…", window)
    classroom_action.setObjectName("actionClassroomMode")
    classroom_action.setStatusTip("Hide or lock controls for students; saved with the project")
    classroom_action.triggered.connect(lambda: edit_classroom(window))
    window.action_classroom_mode = classroom_action
    if file_menu is not None:
        file_menu.insertAction(after, classroom_action)

    if _start_lesson is not None:
        lesson, _start_lesson = _start_lesson, None
        QTimer.singleShot(0, panel, lambda: open_lesson(lesson))
    elif lessons:
        _offer_first_lesson(window, lessons[0], open_lesson)
    return panel


def _offer_first_lesson(window: Any, lesson: Lesson, open_lesson: Any) -> None:
    """Once per user (remembered in the settings): a quiet link to lesson 1 in the status bar."""
    settings: QSettings = getattr(window, "settings", None) or QSettings()
    if str(settings.value(OFFERED_KEY, "false")).lower() == "true":
        return
    settings.setValue(OFFERED_KEY, True)
    offer = LessonOffer(lesson, open_lesson, window.statusBar())
    # Permanent: a status message (the drawing tool's hint, a hover tip) never covers it.
    window.statusBar().insertPermanentWidget(0, offer)
    offer.show()


class ClassroomDialog(QDialog):
    """File ▸ Classroom Mode…: which controls this project hides or locks for students."""

    def __init__(self, classroom: ClassroomControls, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classroomDialog")
        self.setWindowTitle("Classroom Mode")
        intro = QLabel(
            "Hide or lock controls for students. The choice is saved with the project and applied whenever "
            "it is opened; lessons can add their own. This dialog stays in the File menu to undo it."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Control</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Hide</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Lock</b>"), 0, 2)
        self.boxes: dict[str, tuple[QCheckBox, QCheckBox]] = {}
        for row, (name, control) in enumerate(CONTROLS.items(), start=1):
            label = QLabel(control.description[:1].upper() + control.description[1:])
            hide, lock = QCheckBox(), QCheckBox()
            hide.setObjectName(f"classroomHide_{name}")
            lock.setObjectName(f"classroomLock_{name}")
            hide.setChecked(name in classroom.hidden)
            lock.setChecked(name in classroom.locked)
            hide.setAccessibleName(f"Hide {control.description}")
            lock.setAccessibleName(f"Lock {control.description}")
            grid.addWidget(label, row, 0)
            grid.addWidget(hide, row, 1, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(lock, row, 2, Qt.AlignmentFlag.AlignHCenter)
            self.boxes[name] = (hide, lock)
        standard = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(standard.Ok | standard.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(buttons)

    def classroom(self) -> ClassroomControls:
        hidden = tuple(name for name, (hide, _) in self.boxes.items() if hide.isChecked())
        locked = tuple(name for name, (_, lock) in self.boxes.items() if lock.isChecked())
        return ClassroomControls(hidden, locked)


def edit_classroom(window: Any) -> None:
    """File ▸ Classroom Mode…: one undo step on the project."""
    dialog = ClassroomDialog(window.document.classroom, window)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            window.document.set_classroom(dialog.classroom(), "Classroom mode")
    finally:
        dialog.deleteLater()


def save_as_lesson(
    window: Any, path: str | Path | None = None, values: tuple[str, str, str] | None = None
) -> Path | None:
    """File ▸ Save as Lesson…: ask for the texts (unless `values`) and a file (unless `path`); write it."""
    panel: LessonPanel = window.lesson_panel
    if values is None:
        step = panel.step
        dialog = SaveLessonDialog(window, step.title if step else "", step.text if step else "")
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            values = dialog.values()
        finally:
            dialog.deleteLater()
    if path is None:
        suggested = "".join(c if c.isalnum() else "-" for c in values[0].lower()).strip("-") or "lesson"
        path = window._get_save_path("Save as Lesson", LESSON_FILTER, f"{suggested}.toml")
        if not path:
            return None
    path = Path(path)
    if path.suffix.lower() != ".toml":
        path = path.with_suffix(".toml")
    text = panel.lesson_text_for_state(*values)
    try:
        parse_lesson(text, path.stem)  # never write a lesson this program could not read back
        from workbench.core.files.atomic import atomic_write_text

        atomic_write_text(path, text)
    except (LessonError, OSError) as exc:
        window._show_error("Cannot Save Lesson", f"Could not save {path.name}:\n\n{exc}")
        return None
    window.statusBar().showMessage(f"Saved lesson {path.name}", 5000)
    return path


def _open_lesson_file(window: Any, open_lesson: Any) -> None:
    path = window._get_open_path("Open Lesson", f"{LESSON_FILTER};;All files (*)")
    if not path:
        return
    from workbench.core.lessons.format import load_lesson

    try:
        lesson = load_lesson(path)
    except LessonError as exc:
        window._show_error("Cannot Open Lesson", str(exc))
        return
    open_lesson(lesson)


def _menu(window: Any, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == title:
            return menu
    return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["LessonPanel", "install_lessons", "open_at_start", "save_as_lesson"]

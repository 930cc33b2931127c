"""The lesson panel in the window: Help ▸ Lessons, Next/Back applying each step's set-up (undoable), goals
ticked from live training, classroom mode hiding and locking controls, Reset this step, Save as Lesson and
the first launch's offer of lesson 1."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QDockWidget, QWidget

from workbench.core.lessons.format import find_lesson, load_lesson, parse_lesson, shipped_lessons
from workbench.core.model.spec import parse_layers
from workbench.qt import lesson_panel
from workbench.qt.app import install_panels
from workbench.qt.lesson_panel import OFFERED_KEY, install_lessons, save_as_lesson

WAIT_MS = 30_000

CLASSROOM = """
title = "Classroom"
[[steps]]
title = "Locked"
text = "The network is hidden, the learning rate locked."
[steps.classroom]
hidden = ["network"]
locked = ["learning_rate", "optimizer"]
[steps.data]
generator = "moons"
points = 100
[steps.network]
layers = "3:tanh"
[[steps.goals]]
kind = "train_loss"
below = 0.1
[[steps]]
title = "Free"
text = "Everything is back."
[steps.network]
layers = "3:tanh"
"""


@pytest.fixture
def lesson_window(make_window):
    window = make_window()
    install_lessons(window)
    return window


def document_matches(window, step) -> bool:
    dataset, spec, settings = step.setup.build()
    document = window.document
    return document.dataset.equals(dataset) and document.spec == spec and document.settings == settings


def test_help_lessons_lists_every_lesson_and_opens_it_at_step_one(lesson_window) -> None:
    window = lesson_window
    menu = window.lessons_menu
    lessons = shipped_lessons()
    names = [a.objectName() for a in menu.actions() if a.objectName().startswith("actionLesson_")]
    assert names == [f"actionLesson_{lesson.name}" for lesson in lessons]
    assert menu.actions()[0].text() == "1. The neuron and the step function"
    window.findChild(type(menu.actions()[2]), "actionLesson_xor").trigger()
    panel = window.findChild(QWidget, "lessonPanel")
    assert window.findChild(QDockWidget, "lessonPanelDock").isVisible()
    assert panel.lesson_title.text() == "XOR needs a hidden layer"
    assert panel.step_label.text().startswith("Step 1 of 2")
    assert "exclusive or" in panel.text.toPlainText()  # the Markdown is rendered, not shown raw
    assert "**" not in panel.text.toPlainText()
    assert document_matches(window, find_lesson("xor").steps[0])


def test_next_and_back_apply_each_steps_set_up(lesson_window) -> None:
    window = lesson_window
    panel = window.lesson_panel
    lesson = find_lesson("dimensions")
    panel.open(lesson)
    assert not panel.back_button.isEnabled()
    panel.next_button.click()
    assert panel.index == 1 and document_matches(window, lesson.steps[1])
    assert window.document.spec.hidden == parse_layers("2:tanh,2:tanh,2:tanh")
    panel.next_button.click()
    assert panel.next_button.text() == "Finish ✓"
    panel.back_button.click()
    assert panel.index == 1 and panel.back_button.isEnabled()
    panel.back_button.click()
    assert panel.index == 0 and document_matches(window, lesson.steps[0])
    panel.show_step(2)
    panel.next_button.click()  # Finish: the lesson closes, the project stays
    assert panel.lesson is None and not window.findChild(QDockWidget, "lessonPanelDock").isVisible()
    assert document_matches(window, lesson.steps[2])


def test_a_steps_set_up_is_one_undo_step(lesson_window) -> None:
    window = lesson_window
    document = window.document
    before = (document.dataset, document.spec, document.settings)
    window.lesson_panel.open(find_lesson("learning-rate"))
    assert document.settings.learning_rate == 0.001 and document.spec.hidden == parse_layers("4:tanh")
    assert document.undo_stack.undoText() == "Lesson step: Too small a step"
    document.undo_stack.undo()
    assert document.dataset is before[0]
    assert (document.spec, document.settings) == before[1:]
    document.undo_stack.redo()
    assert document.settings.learning_rate == 0.001


def test_a_steps_set_up_says_every_weight_starts_afresh(make_window) -> None:
    """The network panel said "the others are kept" after a lesson's new network, yet the step starts from
    fresh weights (so the window's run is the run `lesson check` verified)."""
    window = make_window()
    install_panels(window)
    window.lesson_panel.open(find_lesson("linearization"))
    status = window.findChild(QWidget, "networkStatus").text()
    assert "afresh (seed 1)" in status and "kept" not in status


def test_reset_this_step_puts_the_set_up_back(lesson_window) -> None:
    window = lesson_window
    panel = window.lesson_panel
    panel.open(find_lesson("xor"), 1)
    document = window.document
    document.set_spec(document.spec.with_hidden(parse_layers("2:tanh")), "Student adds a layer")
    assert document.spec.hidden
    panel.reset_button.click()
    assert document_matches(window, find_lesson("xor").steps[1])
    document.undo_stack.undo()  # the reset is undoable too
    assert document.spec.hidden == parse_layers("2:tanh")


def test_classroom_mode_hides_and_locks_controls_and_puts_them_back(make_window, qtbot) -> None:
    window = make_window()
    install_panels(window)
    panel = window.lesson_panel
    network_dock = window.findChild(QDockWidget, "networkPanelDock")
    optimizer = window.findChild(QWidget, "optimizerCombo")
    rate_edit = window.findChild(QWidget, "learningRateEdit")
    assert network_dock.isVisible() and optimizer.isEnabled() and rate_edit.isEnabled()
    panel.open(parse_lesson(CLASSROOM, "classroom"))
    assert not network_dock.isVisible()
    assert not network_dock.toggleViewAction().isEnabled()  # View ▸ Network cannot bring it back
    assert not optimizer.isEnabled() and not rate_edit.isEnabled()
    assert not window.findChild(QWidget, "learningRateSlider").isEnabled()
    # The training panel updates its controls when the settings change; the lock holds.
    window.document.set_settings(window.document.settings.__class__(optimizer="adam"), "Other optimizer")
    qtbot.waitUntil(lambda: not optimizer.isEnabled() and not rate_edit.isEnabled(), timeout=WAIT_MS)
    panel.next_button.click()  # the next step names no classroom controls
    assert network_dock.isVisible() and network_dock.toggleViewAction().isEnabled()
    assert optimizer.isEnabled() and rate_edit.isEnabled()


def test_the_goal_is_ticked_when_live_training_meets_it(make_window, qtbot) -> None:
    window = make_window()
    install_panels(window)
    panel = window.lesson_panel
    controller = window.training
    qtbot.waitUntil(lambda: controller.last_frame is not None, timeout=WAIT_MS)
    panel.open(find_lesson("neuron"))
    labels = panel.goal_labels
    assert [label.text()[0] for label in labels] == ["○", "○"]
    with qtbot.waitSignal(panel.stepCompleted, timeout=WAIT_MS):
        controller.start()
    controller.pause()
    assert all(label.text().startswith("✓ ") for label in labels)
    assert labels[1].text().startswith("✓ train loss < 0.05 — now ")
    assert panel.status.text().startswith("✓ Step complete!")
    qtbot.waitUntil(lambda: not controller.is_running, timeout=WAIT_MS)
    panel.next_button.click()  # the next step starts unticked
    assert not panel.completed and all(label.text().startswith("○") for label in panel.goal_labels)


def test_the_separability_goal_is_checked_in_the_window(make_window, qtbot) -> None:
    window = make_window()
    install_panels(window)
    panel = window.lesson_panel
    controller = window.training
    qtbot.waitUntil(lambda: controller.last_frame is not None, timeout=WAIT_MS)
    panel.open(find_lesson("linearization"))
    with qtbot.waitSignal(panel.stepCompleted, timeout=60_000):
        controller.start()
    controller.pause()
    result = panel.results[0]
    assert result.goal.kind == "separable" and result.met and result.value >= 0.98
    qtbot.waitUntil(lambda: not controller.is_running, timeout=WAIT_MS)


def test_save_as_lesson_writes_the_current_state_as_a_lesson(lesson_window, tmp_path) -> None:
    window = lesson_window
    panel = window.lesson_panel
    panel.open(find_lesson("momentum"))
    document = window.document
    document.set_settings(document.settings.__class__(learning_rate=0.02, optimizer="adam"), "Teacher")
    path = save_as_lesson(window, tmp_path / "mine", ("My lesson", "Try Adam", "Does *Adam* help?"))
    assert path == tmp_path / "mine.toml" and path.exists()
    lesson = load_lesson(path)
    step = lesson.steps[0]
    assert (lesson.title, step.title, step.text) == ("My lesson", "Try Adam", "Does *Adam* help?")
    assert step.locked == ("learning_rate",)  # the open step's classroom, views and goals come along
    assert step.goals == find_lesson("momentum").steps[0].goals
    dataset, spec, settings = step.setup.build()
    assert spec == document.spec and settings == document.settings
    np.testing.assert_allclose(dataset.points, document.dataset.points, rtol=1e-5)
    np.testing.assert_array_equal(dataset.labels, document.dataset.labels)
    panel.leave()
    panel.open(lesson)  # and it opens like any lesson
    assert panel.lesson_title.text() == "My lesson"


def test_the_first_launch_offers_lesson_one_once(make_window, settings) -> None:
    window = make_window()
    install_lessons(window)
    offer = window.findChild(QWidget, "lessonOffer")
    assert offer is not None and offer.isVisible()
    assert "lesson 1: The neuron and the step function" in offer.start.text()
    assert not window.findChild(QDockWidget, "lessonPanelDock").isVisible()  # the project is not covered
    assert str(settings.value(OFFERED_KEY)).lower() == "true"
    offer.start.click()
    assert window.lesson_panel.lesson.name == "neuron" and not offer.isVisible()
    second = make_window()
    install_lessons(second)
    assert second.findChild(QWidget, "lessonOffer") is None


def test_lesson_open_starts_the_window_at_that_lesson(make_window, qtbot) -> None:
    lesson_panel.open_at_start(find_lesson("softmax"))
    window = make_window()
    install_lessons(window)
    qtbot.waitUntil(lambda: window.lesson_panel.lesson is not None, timeout=WAIT_MS)
    assert window.lesson_panel.lesson.name == "softmax"
    assert window.findChild(QWidget, "lessonOffer") is None  # opened straight away: no offer needed
    assert document_matches(window, find_lesson("softmax").steps[0])


def test_every_classroom_name_finds_its_control_in_the_window(make_window) -> None:
    from workbench.core.controls import CONTROLS

    window = make_window()
    install_panels(window)
    classroom = window.lesson_panel.classroom
    missing = [name for name in CONTROLS if not classroom.targets(name)]
    assert not missing, f"no widget or action with these controls' objectNames: {missing}"


def test_opening_a_lesson_leaves_no_stray_tab_bar_over_the_panels(make_window, qtbot) -> None:
    """Tabifying the bottom docks one by one left an old Loss | Gradient Flow tab bar behind; once the
    lesson dock moved the docks it stayed at its old place, over another panel."""
    from PySide6.QtWidgets import QTabBar

    window = make_window(show=False)
    install_panels(window)  # before the window shows, as the app does
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.lesson_panel.open(find_lesson("xor"), 0)
    lesson_dock = window.lesson_panel.parentWidget()

    def bars() -> list[QTabBar]:  # those on screen (Qt parks spare bars outside the window)
        return [
            bar
            for bar in window.findChildren(QTabBar)
            if bar.parent() is window and bar.isVisible() and window.rect().intersects(bar.geometry())
        ]

    qtbot.waitUntil(lambda: lesson_dock.isVisible() and len(bars()) >= 2)
    docks = {dock.windowTitle(): dock for dock in window.findChildren(QDockWidget) if dock.isVisible()}
    for bar in bars():  # each tab bar sits right under the dock it switches
        dock = docks[bar.tabText(bar.currentIndex())]
        middle = bar.geometry().center().x()
        assert dock.geometry().left() <= middle <= dock.geometry().right(), bar.tabText(0)


def test_a_project_keeps_its_classroom_mode_and_the_window_applies_it_on_opening(
    make_window, qtbot, tmp_path, monkeypatch
) -> None:
    """A teacher hides the network and locks the optimizer (File ▸ Classroom Mode…, undoable), saves; the
    student's window opens the project with them hidden and locked, and leaving a lesson keeps them so."""
    from workbench.core.controls import ClassroomControls
    from workbench.core.files.project import load_project, save_project
    from workbench.qt.project_io import document_to_project, load_project_into

    teacher = make_window()
    install_panels(teacher)

    def choose(dialog_self) -> int:  # the teacher ticks two boxes and presses OK
        dialog_self.boxes["network"][0].setChecked(True)
        dialog_self.boxes["optimizer"][1].setChecked(True)
        return lesson_panel.QDialog.DialogCode.Accepted

    monkeypatch.setattr(lesson_panel.ClassroomDialog, "exec", choose)
    teacher.findChild(lesson_panel.QAction, "actionClassroomMode").trigger()
    network_dock = teacher.findChild(QDockWidget, "networkPanelDock")
    optimizer = teacher.findChild(QWidget, "optimizerCombo")
    assert teacher.document.classroom == ClassroomControls(("network",), ("optimizer",))
    assert not network_dock.isVisible() and not optimizer.isEnabled()
    teacher.document.undo_stack.undo()
    assert network_dock.isVisible() and optimizer.isEnabled()
    teacher.document.undo_stack.redo()
    path = tmp_path / "class.wbproj"
    save_project(document_to_project(teacher.document), path)

    student = make_window()
    install_panels(student)
    load_project_into(student.document, load_project(path), path)
    dock = student.findChild(QDockWidget, "networkPanelDock")
    combo = student.findChild(QWidget, "optimizerCombo")
    assert not dock.isVisible() and not dock.toggleViewAction().isEnabled() and not combo.isEnabled()
    student.lesson_panel.open(parse_lesson(CLASSROOM, "classroom"))
    student.lesson_panel.leave()
    assert not dock.isVisible() and not combo.isEnabled()  # the project's mode outlives the lesson
    student.document.undo_stack.setClean()  # nothing to save: New asks nothing
    student.files.new_document()  # a new project has no classroom mode
    qtbot.waitUntil(lambda: combo.isEnabled() and dock.toggleViewAction().isEnabled(), timeout=WAIT_MS)


def test_classroom_controls_name_only_known_controls() -> None:
    from workbench.core.controls import ClassroomControls
    from workbench.core.files.project import Project as CoreProject
    from workbench.core.files.project import ProjectFormatError, project_from_bytes, project_to_bytes

    with pytest.raises(ValueError, match="unknown control 'lr'"):
        ClassroomControls(("lr",))
    assert ClassroomControls(("optimizer", "network", "network")).hidden == ("network", "optimizer")
    dataset = parse_lesson(CLASSROOM, "c").steps[0].setup.build()
    project = CoreProject(*dataset, classroom=ClassroomControls(locked=("l2",)))
    assert project_from_bytes(project_to_bytes(project)).classroom.locked == ("l2",)
    broken = project_to_bytes(project).replace(b'"l2"', b'"wings"')
    with pytest.raises(ProjectFormatError, match="unknown control 'wings'"):
        project_from_bytes(broken)

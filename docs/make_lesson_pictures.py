"""Render two lessons in the window, offscreen, to docs/lesson-*.png (the README shows them).

    QT_QPA_PLATFORM=offscreen python docs/make_lesson_pictures.py

Each picture opens a lesson at a step, trains its set-up (the step's solution where the student has to
change something) until the step's goals hold or a time limit passes, and grabs the window.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

#: (lesson, step index, file name, apply the step's solution first)
PICTURES = (
    ("xor", 1, "lesson-xor.png", True),
    ("linearization", 0, "lesson-linearization.png", False),
)
SIZE = (1650, 980)
TIME_LIMIT = 60.0


def main() -> int:
    """Each picture in a process of its own: a second window in one process did not train like the first."""
    if len(sys.argv) == 1:
        import subprocess

        for number in range(len(PICTURES)):
            subprocess.run([sys.executable, __file__, str(number)], check=True)
        return 0
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("WorkbenchPictures")
    folder = Path(__file__).resolve().parent
    number = int(sys.argv[1])
    with tempfile.TemporaryDirectory() as scratch:
        _picture(app, folder, Path(scratch) / str(number), *PICTURES[number])
    return 0


def _picture(app, folder: Path, scratch: Path, name: str, index: int, filename: str, solve: bool) -> None:
    from PySide6.QtCore import QSettings

    from workbench.core.lessons.format import find_lesson
    from workbench.qt.app import install_panels
    from workbench.qt.main_window import MainWindow

    # Fresh settings per window: a restored window state leaves a stray tab bar at the top left.
    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("lessons/offered", True)
    window = MainWindow(settings=settings, data_dir=scratch / "recovery")
    window.resize(*SIZE)
    install_panels(window)
    panel = window.lesson_panel
    lesson = find_lesson(name)
    panel.open(lesson, index)  # before show: one layout of the docks (no stale tab bar left behind)
    window.show()
    if solve:  # what the student is asked to build
        _dataset, spec, training = lesson.steps[index].reference.build()
        window.document.set_spec(spec, "Solution")
        window.document.set_settings(training, "Solution")
    controller = window.training
    _wait(app, lambda: controller.last_frame is not None, 20)
    controller.start()
    _wait(app, lambda: panel.completed, TIME_LIMIT)
    controller.pause()
    _wait(app, lambda: not controller.is_running, 10)
    _wait(app, lambda: False, 1.0)  # let the views draw the last frame
    window.grab().save(str(folder / filename))
    print(f"wrote docs/{filename} (goals met: {panel.completed})")
    window._ask_save_changes = lambda: "discard"
    window.close()
    window.deleteLater()
    app.processEvents()


def _wait(app, condition, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not condition():
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    raise SystemExit(main())

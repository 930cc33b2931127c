"""What the picture scripts in docs/ share: an offscreen window with every panel, trained for a while.

    from picture_window import PictureWindow   # the scripts run from docs/, so this module is on the path

Fresh settings and recovery folder in a temporary directory (never the user's), the real `MainWindow` with
`install_panels`, and `train(steps)` that runs live training until a step and draws the paused frame.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


class PictureWindow:
    """An offscreen main window for one picture; `grab(out)` saves it, `close()` discards it unasked."""

    def __init__(self, size: tuple[int, int] = (1400, 900)) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtCore import QSettings, QStandardPaths
        from PySide6.QtWidgets import QApplication

        QStandardPaths.setTestModeEnabled(True)  # never the user's real settings or recovery folder
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        from workbench.qt.app import install_panels
        from workbench.qt.main_window import MainWindow

        folder = Path(tempfile.mkdtemp())
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        self.window = MainWindow(settings=settings, data_dir=folder / "recovery")
        install_panels(self.window)
        self.window.resize(*size)
        self.window.show()
        self.pump(0.5)

    def pump(self, seconds: float) -> None:
        """Let the window work (and draw) for `seconds`."""
        end = time.time() + seconds
        while time.time() < end:
            self.app.processEvents()
            time.sleep(0.005)

    def train(self, steps: int, time_limit: float = 120.0) -> int:
        """Train live until `steps` (or the time limit), pause and draw the paused frame; the step reached."""
        controller = self.window.training
        controller.start()
        started = time.time()
        while time.time() - started < time_limit:
            frame = controller.last_frame
            if frame is not None and frame.snapshot.step >= steps:
                break
            self.pump(0.1)
        controller.pause()
        self.pump(1.5)  # the paused frame is drawn at full resolution
        return int(controller.last_frame.snapshot.step)

    def grab(self, out: str | Path) -> None:
        self.window.grab().save(str(out))

    def close(self) -> None:
        self.window._ask_save_changes = lambda: "discard"
        self.window.close()

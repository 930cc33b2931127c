"""Regenerate docs/real-data.png: the window with File ▸ Open Example ▸ digits (10 classes), standardized.

    .venv/bin/python docs/make_real_data_picture.py [out.png] [steps]
"""

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QStandardPaths
    from PySide6.QtWidgets import QApplication, QComboBox

    QStandardPaths.setTestModeEnabled(True)  # never the user's real settings or recovery folder
    app = QApplication(sys.argv)
    from workbench.qt.app import install_panels
    from workbench.qt.main_window import MainWindow

    out = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("real-data.png"))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    folder = Path(tempfile.mkdtemp())
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, data_dir=folder / "recovery")
    install_panels(window)
    window.resize(1400, 900)
    window.show()

    def pump(seconds: float) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.005)

    pump(0.5)
    window.files.open_example("digits")
    scaling = window.findChild(QComboBox, "inputScalingCombo")
    scaling.setCurrentIndex(scaling.findData("standardize"))
    pump(0.5)
    controller = window.training
    controller.start()
    started = time.time()
    while time.time() - started < 120:
        frame = controller.last_frame
        if frame is not None and frame.snapshot.step >= steps:
            break
        pump(0.1)
    controller.pause()
    pump(1.5)  # the paused frame is drawn at full resolution
    window.grab().save(out)
    print(f"{out}: step {controller.last_frame.snapshot.step}")
    window._ask_save_changes = lambda: "discard"
    window.close()


if __name__ == "__main__":  # the training process re-imports this module: only the parent runs it
    main()

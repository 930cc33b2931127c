"""Regenerate docs/regression.png: the whole window, offscreen, 1400 x 900, training a regression.

    .venv/bin/python docs/make_regression_picture.py [out.png] [steps]

The multi-Gaussian dataset (six bumps, three up and three down) trained by a small tanh network for a while:
the prediction surface in the diverging value colours with its colour bar, the points in their target
colours, the Set value tool and the value slider in the Data panel, and around them the network, the hidden
space coloured by target and the predicted-vs-actual scatter.
"""

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QStandardPaths
    from PySide6.QtWidgets import QApplication, QDockWidget

    QStandardPaths.setTestModeEnabled(True)  # never the user's real settings or recovery folder
    app = QApplication(sys.argv)
    from workbench.core.data.generators import generate
    from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
    from workbench.qt.app import install_panels
    from workbench.qt.main_window import MainWindow

    out = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("regression.png"))
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 12000
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

    document = window.document
    layers = (LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))
    spec = NetworkSpec(("x", "y"), layers, task="regression", n_classes=1)
    training = TrainingSettings(learning_rate=0.01, optimizer="adam", batch_size=16)
    document.load(generate("gauss", 500, seed=1), spec, training)
    canvas = window.canvas
    canvas.set_tool("value")  # the Set value tool, as a user painting values would have it
    canvas.set_current_value(0.6)
    pump(0.5)

    controller = window.training
    controller.start()
    started = time.time()
    while time.time() - started < 180:
        frame = controller.last_frame
        if frame is not None and frame.snapshot.step >= steps:
            break
        pump(0.1)
    controller.pause()
    scatter_dock = window.findChild(QDockWidget, "predictionScatterDock")
    if scatter_dock is not None:  # the predicted-vs-actual tab in front of the curves
        scatter_dock.raise_()
    pump(1.5)  # the paused frame is drawn at full resolution
    window.grab().save(out)
    metrics = controller.last_frame.snapshot.metrics
    print(
        f"{out}: step {controller.last_frame.snapshot.step}, train RMSE {metrics.train_rmse:.3f}, "
        f"R² {metrics.train_r2:.3f}, test R² {metrics.test_r2:.3f}"
    )
    window._ask_save_changes = lambda: "discard"
    window.close()


if __name__ == "__main__":  # the training process re-imports this module: only the parent runs it
    main()

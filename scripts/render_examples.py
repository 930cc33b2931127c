"""Render the CSV import dialog and the window with an example open, offscreen, to look at them.

    .venv/bin/python scripts/render_examples.py [out_folder] [example] [steps]

Writes csv_import_dialog.png, csv_import_dialog_error.png and example_window.png (default folder: /tmp).
Set OPTIMIZER=adam (and LR=0.01) to train with another optimizer than the default.
"""

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QStandardPaths
    from PySide6.QtWidgets import QApplication

    QStandardPaths.setTestModeEnabled(True)  # never the user's real settings or recovery folder
    app = QApplication(sys.argv)
    from workbench.core.files.examples import example
    from workbench.qt.app import install_panels
    from workbench.qt.csv_import_dialog import CsvImportDialog
    from workbench.qt.main_window import MainWindow

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp")
    name = sys.argv[2] if len(sys.argv) > 2 else "iris"
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 3000

    def pump(seconds: float) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.005)

    # a wide file as a spreadsheet would export it: an id, four measurements, the species, a weight
    iris = example("iris").dataset()
    rows = ["id;sepal length;sepal width;petal length;petal width;species;weight"]
    for i, ((x, y), label) in enumerate(zip(iris.points.tolist(), iris.labels.tolist(), strict=True)):
        species = iris.class_names[label]
        row = f"{i + 1};{5 + label * 0.7:.1f};3.1;{x};{y};{species};{(i * 37 % 100) / 8:.3f}"
        rows.append(row.replace(".", ","))  # decimal commas, as a European spreadsheet writes
    text = "\n".join(rows) + "\n"
    dialog = CsvImportDialog(text, "iris_measurements.csv")
    dialog.set_columns(3, 4, 5)
    dialog.show()
    pump(0.5)
    dialog.grab().save(str(out / "csv_import_dialog.png"))
    dialog.set_columns(3, 4, 6)
    pump(0.3)
    dialog.grab().save(str(out / "csv_import_dialog_error.png"))
    dialog.close()

    folder = Path(tempfile.mkdtemp())
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, data_dir=folder / "recovery")
    install_panels(window)
    window.resize(1400, 900)
    window.show()
    pump(0.5)
    window.files.open_example(name)
    if os.environ.get("OPTIMIZER"):  # e.g. OPTIMIZER=adam LR=0.01, as the status-bar tip suggests
        from dataclasses import replace

        document = window.document
        chosen = replace(document.settings, optimizer=os.environ["OPTIMIZER"])
        document.set_settings(replace(chosen, learning_rate=float(os.environ.get("LR", "0.01"))))
    pump(0.5)
    controller = window.training
    controller.start()
    started = time.time()
    while time.time() - started < 60:
        frame = controller.last_frame
        if frame is not None and frame.snapshot.step >= steps:
            break
        pump(0.1)
    controller.pause()
    pump(1.5)
    window.grab().save(str(out / "example_window.png"))
    print(out / "example_window.png", controller.last_frame.snapshot.step)
    window._ask_save_changes = lambda: "discard"
    window.close()


if __name__ == "__main__":  # the training process re-imports this module: only the parent runs it
    main()

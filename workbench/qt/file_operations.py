"""Everything the main window does with files: New, Open, Save, Save As, Open Example, import/export (CSV with
a column chooser for wider files, weights, image), recent files, dropped files and crash recovery.

`FileOperations` works on its window's `Document`, canvas and status bar, and asks the user through the
window's small prompt methods (`_get_open_path`, `_get_save_path`, `_get_save_file`, `_ask_save_changes`,
`_ask_restore`, `_show_error`), so tests answer them without a blocking dialog. Every failure shows a
message and leaves the document as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt
from PySide6.QtWidgets import QApplication

from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.data.edits import ReplaceDataset
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.qt.project_io import document_to_project, load_project_into

if TYPE_CHECKING:
    from workbench.qt.main_window import MainWindow

PROJECT_SUFFIX = ".wbproj"
PROJECT_FILTER = "Workbench project (*.wbproj)"
CSV_FILTER = "CSV data (*.csv)"
IMAGE_FILTER = "PNG image (*.png)"
MAX_RECENT = 8
WEIGHT_FILTERS = (
    "NumPy archive (*.npz)",
    "safetensors (*.safetensors)",
    "ONNX model (*.onnx)",
    "JSON (*.json)",
    "PyTorch module source (*.py)",
)
WEIGHT_IMPORT_FILTERS = (
    "Weights files (*.npz *.safetensors *.json)",
    "NumPy archive (*.npz)",
    "safetensors (*.safetensors)",
    "JSON (*.json)",
    "All files (*)",
)
_FILTER_EXTENSION = re.compile(r"\*\.(\w+)")


def with_extension(path: Path, chosen_filter: str, known: tuple[str, ...], default: str) -> Path:
    """`path` with the file type the user picked in the dialog: a name without a known extension gets the
    chosen filter's (``model`` + "ONNX model (*.onnx)" -> ``model.onnx``); a known extension is kept."""
    if path.suffix.lower().lstrip(".") in known:
        return path
    match = _FILTER_EXTENSION.search(chosen_filter or "")
    extension = match.group(1) if match and match.group(1) in known else default
    return path.with_name(f"{path.name}.{extension}")


class FileOperations(QObject):
    """The file side of one main window (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @property
    def document(self):
        return self.window.document

    def _status(self, text: str, ms: int = 5000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _error(self, title: str, text: str) -> None:
        self.window._show_error(title, text)

    # --- projects -----------------------------------------------------------------------------------
    def new_document(self) -> bool:
        if not self.maybe_save():
            return False
        current = self.document.dataset
        empty = Dataset.empty(current.class_names[:2], test_fraction=current.test_fraction)
        self.document.load(empty, NetworkSpec(), TrainingSettings())
        self.window.canvas.reset_view()
        self._status("New project: draw points with the Brush, or Generate a dataset", 6000)
        return True

    def open_project(self, path: str | Path | None = None) -> bool:
        """Open a project file; a file that cannot be read leaves the current document untouched."""
        if path is None:
            path = self.window._get_open_path(
                "Open Project", f"{PROJECT_FILTER};;{CSV_FILTER};;All files (*)"
            )
            if not path:
                return False
        path = Path(path)
        if path.suffix.lower() == ".csv":
            return self.import_csv(path)
        from workbench.core.files.project import ProjectFormatError, load_project

        try:
            with self._busy(f"Opening {path.name}…"):
                project = load_project(path)
        except (ProjectFormatError, OSError, ValueError) as exc:
            self._error("Cannot Open Project", f"Could not open {path.name}:\n\n{error_text(exc)}")
            self.forget_recent(path)
            return False
        if not self.maybe_save():
            return False
        load_project_into(self.document, project, path)
        self.add_recent(path)
        self.fit_view_to_data()
        self._status(f"Opened {path.name}")
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._write_project(self.document.path)

    def save_as(self) -> bool:
        suggested = str(self.document.path or Path.home() / f"untitled{PROJECT_SUFFIX}")
        path = self.window._get_save_path("Save Project As", PROJECT_FILTER, suggested)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != PROJECT_SUFFIX:
            path = path.with_name(path.name + PROJECT_SUFFIX)
        return self._write_project(path)

    def _write_project(self, path: Path) -> bool:
        from workbench.core.files.project import save_project

        try:
            with self._busy(f"Saving {path.name}…"):
                save_project(document_to_project(self.document), path)
        except Exception as exc:
            self._error("Cannot Save Project", f"Could not save {path.name}:\n\n{error_text(exc)}")
            return False
        self.document.mark_saved(path)
        self.add_recent(path)
        self._status(f"Saved {path.name}")
        return True

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; True when it is fine to replace or close the document."""
        if not self.document.is_modified:
            return True
        answer = self.window._ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    # --- data ---------------------------------------------------------------------------------------
    def import_csv(self, path: str | Path | None = None) -> bool:
        """Replace the data with a CSV file's (one undo step, so nothing is lost)."""
        if path is None:
            path = self.window._get_open_path("Import Data", f"{CSV_FILTER};;All files (*)")
            if not path:
                return False
        path = Path(path)
        from workbench.core.files.csv_io import parse_csv, preview_csv, read_text
        from workbench.qt.csv_import_dialog import needs_choice

        test_fraction = self.document.dataset.test_fraction
        try:
            with self._busy(f"Reading {path.name}…"):
                text = read_text(path)
                if needs_choice(preview_csv(text)):
                    dataset = None
                else:
                    dataset = parse_csv(text, test_fraction=test_fraction)
        except (DatasetFormatError, OSError, ValueError) as exc:
            self._error("Cannot Import Data", f"Could not import {path.name}:\n\n{error_text(exc)}")
            return False
        if dataset is None:  # a wider file: the user picks the x, y and label columns
            dataset = self._ask_columns(text, path.name, test_fraction)
            if dataset is None:
                return False
        self.document.apply_edit(ReplaceDataset(dataset, description=f"Import {path.name}"))
        self.fit_view_to_data()
        self._status(f"Imported {len(dataset)} points from {path.name}")
        return True

    def _ask_columns(self, text: str, name: str, test_fraction: float) -> Dataset | None:
        """Show the column chooser with a preview; the dataset it reads, or None when cancelled."""
        from workbench.qt.csv_import_dialog import CsvImportDialog

        dialog = CsvImportDialog(text, name, test_fraction, self.window)
        accepted = dialog.exec() == CsvImportDialog.DialogCode.Accepted
        dialog.deleteLater()
        return dialog.dataset if accepted else None

    def open_example(self, name: str) -> bool:
        """Replace the data with a shipped example (one undo step); the status bar names its source."""
        from workbench.core.data.scaling import suggest_standardize
        from workbench.core.files.examples import example

        item = example(name)
        dataset = item.dataset(test_fraction=self.document.dataset.test_fraction)
        self.document.apply_edit(ReplaceDataset(dataset, description=f"Open example {item.title}"))
        self.fit_view_to_data()
        advice = suggest_standardize(dataset.points)
        tip = f" {advice}" if advice else ""
        self._status(f"{item.title}: {len(dataset)} points.{tip} Source: {item.source}", 30000)
        return True

    def fill_examples_menu(self, menu) -> None:
        """One entry per shipped example; its tooltip and status tip give the provenance."""
        from workbench.core.files.examples import examples

        menu.setToolTipsVisible(True)
        for item in examples():
            action = menu.addAction(item.title.replace("&", "&&"))
            action.setObjectName(f"actionExample_{item.name}")
            action.setToolTip(f"{item.axes}\nSource: {item.source}")
            action.setStatusTip(f"Source: {item.source}")
            action.triggered.connect(lambda *_, name=item.name: self.open_example(name))

    def _ask_export_path(self, caption: str, file_filter: str, suffix: str) -> Path | None:
        """Ask where to export (named after the document, in the home folder); a name typed without an
        extension gets `suffix`. None when the user cancels."""
        suggested = str(Path.home() / f"{Path(self.document.display_name).stem}{suffix}")
        answer = self.window._get_save_path(caption, file_filter, suggested)
        if not answer:
            return None
        path = Path(answer)
        return path if path.suffix else path.with_suffix(suffix)

    def export_csv(self) -> bool:
        path = self._ask_export_path("Export Data", CSV_FILTER, ".csv")
        if path is None:
            return False
        from workbench.core.files.csv_io import write_csv

        try:
            with self._busy(f"Writing {path.name}…"):
                write_csv(self.document.dataset, path)
        except Exception as exc:
            self._error("Cannot Export Data", f"Could not write {path.name}:\n\n{error_text(exc)}")
            return False
        self._status(f"Exported {len(self.document.dataset)} points to {path.name}")
        return True

    def fit_view_to_data(self) -> None:
        """After opening or importing: show exactly the data (a small dataset must not be a speck)."""
        canvas = self.window.canvas
        if len(self.document.dataset):
            canvas.fit_to_data()
        else:
            canvas.reset_view()

    # --- weights and image --------------------------------------------------------------------------
    def current_weights(self) -> list:
        """The network's weights as the views show them: trained or imported ones, else the untrained
        network's initial weights (from the live views, or built from the training seed)."""
        from workbench.core.files.export.layout import weights_fit

        doc = self.document

        def fits(weights) -> bool:  # every Linear's W stacks the blocks of all its sources (graphs too)
            return weights_fit(doc.spec, weights)

        if fits(doc.weights):
            return doc.weights
        frame = getattr(getattr(self.window, "training", None), "last_frame", None)
        if frame is not None and fits(frame.snapshot.weights):
            return frame.snapshot.weights
        from workbench.core.model.engine import Network

        return Network(doc.spec, seed=doc.settings.seed).get_weights()

    def import_weights(self, path: str | Path | None = None) -> bool:
        """Load exported weights into the network as one undoable step; a file made for another network
        is refused with what does not match, and the project stays as it was."""
        if path is None:
            path = self.window._get_open_path("Import Weights", ";;".join(WEIGHT_IMPORT_FILTERS))
            if not path:
                return False
        path = Path(path)
        from workbench.core.files.export import import_weights

        try:
            with self._busy(f"Reading {path.name}…"):
                weights = import_weights(path, self.document.spec)
        except (ValueError, OSError) as exc:  # WeightsImportError is a ValueError
            self._error(
                "Cannot Import Weights",
                f"{path.name} cannot be loaded into this network:\n\n{error_text(exc)}\n\n"
                "Nothing was changed.",
            )
            return False
        self.document.replace_weights(weights, "Import weights")
        self._status(f"Imported weights from {path.name} (Undo goes back)", 6000)
        return True

    def export_weights(self) -> bool:
        """Write the weights in the format of the chosen file type (or of the name's extension)."""
        from workbench.core.files.export import EXPORT_FORMATS, export_weights

        doc = self.document
        weights = self.current_weights()
        suggested = str(Path.home() / f"{Path(doc.display_name).stem}-weights.npz")
        answer = self.window._get_save_file("Export Weights", ";;".join(WEIGHT_FILTERS), suggested)
        if not answer:
            return False
        path = with_extension(Path(answer[0]), answer[1], tuple(EXPORT_FORMATS), "npz")
        try:
            with self._busy(f"Writing {path.name}…"):
                export_weights(path, doc.spec, weights, doc.dataset.class_names)
        except Exception as exc:
            self._error("Cannot Export Weights", f"Could not write {path.name}:\n\n{error_text(exc)}")
            return False
        self._status(f"Exported weights to {path.name}")
        return True

    def export_image(self) -> bool:
        """Save the canvas as a PNG (atomically, like every other file the app writes)."""
        from workbench.core.files.atomic import atomic_write_bytes

        path = self._ask_export_path("Export Image", IMAGE_FILTER, ".png")
        if path is None:
            return False
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        try:
            if not self.window.canvas.grab().save(buffer, "PNG"):
                raise OSError("the canvas could not be encoded as PNG")
            atomic_write_bytes(path, bytes(data.data()))
        except OSError as exc:
            self._error("Cannot Export Image", f"Could not write {path.name}:\n\n{error_text(exc)}")
            return False
        finally:
            buffer.close()
        self._status(f"Saved the canvas as {path.name}")
        return True

    @contextmanager
    def _busy(self, message: str) -> Iterator[None]:
        """Busy cursor and a status message around file work that can take seconds on large data."""
        status = self.window.statusBar()
        status.showMessage(message)
        status.repaint()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            yield
        finally:
            QApplication.restoreOverrideCursor()
            status.clearMessage()

    # --- recent files -------------------------------------------------------------------------------
    def recent_files(self) -> list[Path]:
        value = self.window.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [Path(v) for v in (value or [])]

    def set_recent(self, paths: list[Path]) -> None:
        self.window.settings.setValue("recentFiles", [str(p) for p in paths[:MAX_RECENT]])

    def add_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        self.set_recent([path] + [p for p in self.recent_files() if p != path])

    def forget_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        self.set_recent([p for p in self.recent_files() if p != path])

    def last_folder(self) -> str:
        recent = self.recent_files()
        return str(recent[0].parent) if recent else str(Path.home())

    def rebuild_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        existing = [p for p in self.recent_files() if p.exists()]
        self.set_recent(existing)  # missing files are dropped for good
        for i, path in enumerate(existing):
            action = menu.addAction(f"&{i + 1} {path.name}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_project(p))
        if not existing:
            menu.addAction("No recent projects").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent", lambda: self.set_recent([]))

    # --- dropped files ------------------------------------------------------------------------------
    @staticmethod
    def dropped_file(event) -> Path | None:
        """The project or CSV file a drag carries, if any."""
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.suffix.lower() in (PROJECT_SUFFIX, ".csv"):
                    return path
        return None

    # --- crash recovery -----------------------------------------------------------------------------
    def check_recovery(self) -> bool:
        """Offer what crashed sessions left behind; True if a project was restored."""
        recovery = self.window.recovery
        for candidate in recovery.orphans():
            answer = self.window._ask_restore(candidate)
            if answer is None:
                continue  # keep it for next time
            if not answer:
                recovery.discard(candidate)
                continue
            try:
                project = recovery.restore(candidate)
            except Exception as exc:
                reason = error_text(exc)
                self._error("Cannot Restore", f"The recovered project could not be read:\n\n{reason}")
                continue
            if not self.maybe_save():
                return False
            load_project_into(self.document, project, candidate.original_path)
            self.document.mark_restored()
            recovery.save_now()
            recovery.discard(candidate)
            self.fit_view_to_data()
            self._status("Restored the unsaved work of the last session", 8000)
            return True
        return False


def error_text(exc: BaseException) -> str:
    """An exception as a sentence for a message box (an OSError's reason and file, not its repr)."""
    text = str(exc).strip()
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return text or type(exc).__name__

"""The window's file operations: the chosen file type decides the export format, imports and opens fit the
view to the data, and files that are not regular files are refused without losing anything."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QAction

from workbench.core.data.generators import generate
from workbench.core.files.export import import_weights
from workbench.core.files.project import Project, save_project
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.qt.file_operations import WEIGHT_FILTERS, FileOperations, with_extension


def choose_save_file(monkeypatch, window, path: Path, chosen_filter: str) -> None:
    monkeypatch.setattr(window, "_get_save_file", lambda *a: (str(path), chosen_filter))


def record_errors(monkeypatch, window) -> list[str]:
    errors: list[str] = []
    monkeypatch.setattr(window, "_show_error", lambda title, text: errors.append(f"{title}: {text}"))
    return errors


def test_the_window_owns_its_file_operations(window) -> None:
    assert isinstance(window.files, FileOperations)


@pytest.mark.parametrize("fmt", ["onnx", "json", "safetensors", "py"])
def test_export_weights_uses_the_chosen_file_type_for_a_name_without_extension(
    window, tmp_path, monkeypatch, fmt
) -> None:
    chosen = next(f for f in WEIGHT_FILTERS if f"*.{fmt})" in f)
    choose_save_file(monkeypatch, window, tmp_path / "model", chosen)
    assert window.files.export_weights()
    written = tmp_path / f"model.{fmt}"
    assert written.is_file()
    if fmt == "onnx":
        import onnx

        onnx.checker.check_model(onnx.load(str(written)))
        assert not (tmp_path / "model.npz").exists()
    elif fmt != "py":
        weights = import_weights(written, window.document.spec)
        assert np.array_equal(weights[0][0], window.files.current_weights()[0][0])


def test_a_typed_extension_wins_and_an_unknown_one_gets_the_filters() -> None:
    onnx_filter = next(f for f in WEIGHT_FILTERS if "onnx" in f)
    known = ("npz", "onnx", "json")
    assert with_extension(Path("m.json"), onnx_filter, known, "npz") == Path("m.json")
    assert with_extension(Path("model.v2"), onnx_filter, known, "npz") == Path("model.v2.onnx")
    assert with_extension(Path("m"), "All files (*)", known, "npz") == Path("m.npz")


def _small_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    points = rng.uniform(-1.2, 1.2, (60, 2))
    path = tmp_path / "small.csv"
    path.write_text(
        "x,y,label\n" + "".join(f"{x},{y},{int(x > 0)}\n" for x, y in points), encoding="utf-8"
    )
    return path


def _assert_view_fits(window) -> None:
    x0, x1, y0, y1 = window.canvas.visible_range()
    bx0, bx1, by0, by1 = window.document.dataset.bounds(margin=0.0)
    assert x0 <= bx0 and x1 >= bx1 and y0 <= by0 and y1 >= by1  # every point visible
    # ... and filling the view: the data spans most of the shorter side (the aspect ratio is locked)
    assert max(bx1 - bx0, by1 - by0) > 0.5 * min(x1 - x0, y1 - y0)


def test_importing_small_coordinates_fits_the_view(window, tmp_path) -> None:
    assert window.files.import_csv(_small_csv(tmp_path))
    _assert_view_fits(window)
    assert window.findChild(QAction, "actionFit") is not None  # Fit to Data stays


def test_opening_a_project_with_small_coordinates_fits_the_view(window, tmp_path) -> None:
    dataset = generate("moons", 80, seed=2)
    dataset = dataset.replace(points=dataset.points * 0.2)
    path = tmp_path / "small.wbproj"
    save_project(Project(dataset, NetworkSpec(), TrainingSettings()), path)
    assert window.open_project(path)
    _assert_view_fits(window)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_saving_onto_a_fifo_shows_an_error_and_keeps_everything(window, tmp_path, monkeypatch) -> None:
    fifo = tmp_path / "pipe.wbproj"
    os.mkfifo(fifo)
    errors = record_errors(monkeypatch, window)
    monkeypatch.setattr(window, "_get_save_file", lambda *a: (str(fifo), ""))
    before = window.document.dataset
    assert not window.save()
    assert len(errors) == 1 and "FIFO" in errors[0]
    assert window.document.dataset is before and window.document.path is None
    monkeypatch.setattr(window, "_get_save_path", lambda *a: str(fifo))
    assert not window.files.export_image()
    assert len(errors) == 2 and "FIFO" in errors[1]

"""Saving and exporting never destroys what it should not: links, FIFOs, devices, other temporary files."""

from __future__ import annotations

import os
import stat
import time

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.files.atomic import STALE_SECONDS, atomic_write_bytes, is_temporary_name
from workbench.core.files.export import WeightsExportError, export_weights, import_weights
from workbench.core.files.project import Project, load_project, save_project
from workbench.core.model.engine import Network
from workbench.core.model.spec import NetworkSpec, TrainingSettings

needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks (POSIX)")


def _project() -> Project:
    return Project(generate("moons", 30, seed=2), NetworkSpec(), TrainingSettings())


@needs_posix
def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path) -> None:
    real = tmp_path / "real" / "p.wbproj"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.wbproj"
    link.symlink_to(real)
    save_project(_project(), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert len(load_project(real).dataset) == 30


@needs_posix
def test_a_dangling_symlink_gets_its_target_created(tmp_path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "made.csv")
    atomic_write_bytes(link, b"x,y,label\n")
    assert link.is_symlink() and (tmp_path / "made.csv").read_bytes() == b"x,y,label\n"


@needs_posix
def test_a_fifo_is_refused_with_a_clear_error_and_stays_a_fifo(tmp_path) -> None:
    fifo = tmp_path / "pipe.wbproj"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO") as caught:
        save_project(_project(), fifo)
    assert caught.value.filename == str(fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe.wbproj"]  # no temporary file left behind


@needs_posix
def test_exports_refuse_a_device_and_a_folder(tmp_path) -> None:
    spec = NetworkSpec()
    weights = Network(spec).get_weights()
    link = tmp_path / "null.npz"
    link.symlink_to(os.devnull)  # through a link to a device: still a device
    with pytest.raises(WeightsExportError, match="device"):
        export_weights(link, spec, weights, ["a", "b"])
    folder = tmp_path / "folder.onnx"
    folder.mkdir()
    with pytest.raises(WeightsExportError, match="folder"):
        export_weights(folder, spec, weights, ["a", "b"])
    assert link.is_symlink() and folder.is_dir()


def test_temporary_files_are_recognisable_and_stale_ones_are_removed(tmp_path) -> None:
    old = time.time() - STALE_SECONDS - 60
    stale = tmp_path / ".other.wbproj.wbtmp-0123456789ab"
    fresh = tmp_path / ".busy.wbproj.wbtmp-ba9876543210"
    look_alikes = [tmp_path / ".notes.wbtmp-xyz", tmp_path / "data.wbtmp-0123456789ab", tmp_path / ".a.tmp"]
    for path in (stale, fresh, *look_alikes):
        path.write_bytes(b"leftover")
        if path is not fresh:
            os.utime(path, (old, old))
    atomic_write_bytes(tmp_path / "p.wbproj", b"new")
    assert not stale.exists(), "a stale temporary file of a crashed save is removed on the next save"
    assert fresh.exists(), "a young one may belong to a save in progress"
    assert all(p.exists() for p in look_alikes), "only our own pattern is ever removed"
    assert is_temporary_name(stale.name) and not any(is_temporary_name(p.name) for p in look_alikes)


def test_a_failed_write_leaves_only_the_old_file(tmp_path, monkeypatch) -> None:
    target = tmp_path / "p.csv"
    target.write_bytes(b"old")
    target.chmod(0o600)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space") as caught:
        atomic_write_bytes(target, b"new")
    assert caught.value.filename == str(target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["p.csv"]
    monkeypatch.undo()
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_py_export_writes_the_script_and_its_weights_atomically(tmp_path) -> None:
    spec = NetworkSpec()
    weights = Network(spec, seed=3).get_weights()
    export_weights(tmp_path / "model.py", spec, weights, ["a", "b"])
    first = import_weights(tmp_path / "model.npz", spec)
    assert np.array_equal(first[0][0], weights[0][0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "model.py"]


@needs_posix
def test_reading_a_fifo_is_refused_instead_of_waiting_forever(tmp_path) -> None:
    from workbench.core.data.dataset import DatasetFormatError
    from workbench.core.files.csv_io import read_csv
    from workbench.core.files.project import ProjectFormatError

    fifo = tmp_path / "pipe.wbproj"
    os.mkfifo(fifo)
    with pytest.raises(ProjectFormatError, match="not a regular file"):
        load_project(fifo)
    with pytest.raises(DatasetFormatError, match="not a regular file"):
        read_csv(fifo)

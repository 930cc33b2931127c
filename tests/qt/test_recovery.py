"""Crash recovery: a killed session's drawing comes back on the next start; live sessions are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from workbench.core.data import edits
from workbench.qt.recovery import RecoveryManager, process_is_running

# A session that draws, gets autosaved by its timers and is then killed with SIGKILL (no clean-up runs).
CRASHING_SESSION = textwrap.dedent(
    """
    import sys
    import numpy as np
    from PySide6.QtCore import QCoreApplication, QTimer
    from workbench.core.data import edits
    from workbench.core.data.generators import generate
    from workbench.core.model.spec import NetworkSpec, TrainingSettings
    from workbench.qt.document import Document
    from workbench.qt.recovery import RecoveryManager

    app = QCoreApplication([])
    doc = Document(generate("spiral", n_points=100, n_classes=2, seed=0), NetworkSpec(), TrainingSettings())
    recovery = RecoveryManager(doc, sys.argv[1], quiet_ms=50)
    recovery.start()
    doc.apply_edit(edits.AddPoints([[7.0, 7.0], [7.5, 7.5]], [1, 0]))
    recovery.autosaved.connect(lambda: print("autosaved", flush=True))
    app.exec()  # runs until the test kills it
    """
)


def start_crashing_session(folder: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_SESSION, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "autosaved", f"the session did not autosave (got {line!r})"
    return process


def test_drawing_of_a_killed_session_is_offered_and_restored(make_window, data_dir, monkeypatch) -> None:
    process = start_crashing_session(data_dir)
    process.kill()  # SIGKILL: no clean exit, the lock file stays behind
    process.wait()
    assert not process_is_running(process.pid)
    assert list(data_dir.glob("*.lock")), "the killed session's lock should still exist"

    window = make_window()
    offered = []

    def restore(candidate) -> bool:
        offered.append(candidate)
        return True

    monkeypatch.setattr(window, "_ask_restore", restore)
    assert window.check_recovery()
    assert len(offered) == 1 and offered[0].original_path is None
    points = window.document.dataset.points
    assert len(points) == 102
    assert np.allclose(points[-2:], [[7.0, 7.0], [7.5, 7.5]])
    assert window.document.is_modified and window.isWindowModified()
    assert not offered[0].path.exists()  # the crashed session's files are gone...
    assert window.recovery.autosave_path.exists()  # ...and the restored work is protected by ours
    assert window.recovery.orphans() == []


def test_declining_discards_the_recovery_file(make_window, data_dir, monkeypatch) -> None:
    process = start_crashing_session(data_dir)
    process.kill()
    process.wait()
    window = make_window()
    before = window.document.dataset
    monkeypatch.setattr(window, "_ask_restore", lambda candidate: False)
    assert not window.check_recovery()
    assert window.document.dataset is before
    assert window.recovery.orphans() == []
    assert not list(data_dir.glob("session-*.wbproj"))


def test_a_live_sessions_autosave_is_not_offered(qtbot, make_window, data_dir) -> None:
    window = make_window()
    other = make_window(show=False)  # a second window of a running program shares the folder
    other.document.apply_edit(edits.AddPoints([[1.0, 1.0]], [0]))
    assert other.recovery.save_now()
    assert other.recovery.autosave_path.exists()
    assert window.recovery.orphans() == []


def test_autosave_follows_changes_and_disappears_when_saved(window, tmp_path, monkeypatch, qtbot) -> None:
    recovery: RecoveryManager = window.recovery
    assert not recovery.autosave_path.exists()
    assert recovery.lock_path.exists()
    with qtbot.waitSignal(recovery.autosaved, timeout=10_000):
        window.document.apply_edit(edits.AddPoints([[2.0, 2.0]], [1]))
    assert recovery.autosave_path.exists()

    from workbench.core.files.project import load_project

    assert len(load_project(recovery.autosave_path).dataset) == len(window.document.dataset)
    monkeypatch.setattr(window, "_get_save_path", lambda *a: str(tmp_path / "saved.wbproj"))
    assert window.save()
    assert not recovery.autosave_path.exists()


def test_clean_close_removes_the_session_files(window) -> None:
    recovery = window.recovery
    window.document.apply_edit(edits.AddPoints([[2.0, 2.0]], [1]))
    recovery.save_now()
    assert recovery.autosave_path.exists() and recovery.lock_path.exists()
    window._ask_save_changes = lambda: "discard"
    assert window.close()
    assert not recovery.autosave_path.exists() and not recovery.lock_path.exists()


def test_an_unreadable_recovery_file_is_reported_not_fatal(make_window, data_dir, monkeypatch) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "session-1-dead.wbproj").write_text("garbage")
    window = make_window()
    errors = []
    monkeypatch.setattr(window, "_ask_restore", lambda candidate: True)
    monkeypatch.setattr(window, "_show_error", lambda title, text: errors.append(text))
    before = window.document.dataset
    assert not window.check_recovery()
    assert len(errors) == 1
    assert window.document.dataset is before


def test_locks_of_dead_unmodified_sessions_are_cleaned_up(window, data_dir) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    stale = data_dir / "session-0-stale.lock"
    stale.write_text(f'{{"pid": {process.pid}, "host": null}}')
    live = window.recovery.lock_path
    assert window.recovery.orphans() == []
    assert not stale.exists()
    assert live.exists()


def _document():
    from workbench.core.data.generators import generate
    from workbench.core.model.spec import NetworkSpec, TrainingSettings
    from workbench.qt.document import Document

    return Document(generate("moons", n_points=60, n_classes=2, seed=0), NetworkSpec(), TrainingSettings())


def test_timed_autosaves_are_written_off_the_gui_thread(tmp_path, monkeypatch, qtbot) -> None:
    # A large network's weights and optimizer state take a while to encode: the GUI thread only captures them.
    import threading

    from workbench.core.files import project

    writers = []
    real_save = project.save_project
    monkeypatch.setattr(
        project, "save_project", lambda *a: (writers.append(threading.current_thread()), real_save(*a))
    )
    document = _document()
    recovery = RecoveryManager(document, tmp_path, quiet_ms=10)
    recovery.start()
    with qtbot.waitSignal(recovery.autosaved, timeout=10_000):
        document.apply_edit(edits.AddPoints([[2.0, 2.0]], [1]))
    assert writers and all(thread is not threading.main_thread() for thread in writers)
    assert len(project.load_project(recovery.autosave_path).dataset) == len(document.dataset)
    recovery.shutdown()
    assert not recovery.autosave_path.exists() and not recovery.lock_path.exists()


def test_changes_during_a_background_write_are_written_next_and_a_save_meanwhile_leaves_no_file(
    tmp_path, monkeypatch, qtbot
) -> None:
    import threading

    from workbench.core.files import project

    release = threading.Event()
    real_save = project.save_project

    def slow_save(*args):
        release.wait(10)
        real_save(*args)

    monkeypatch.setattr(project, "save_project", slow_save)
    document = _document()
    recovery = RecoveryManager(document, tmp_path, quiet_ms=10)
    recovery.start()
    document.apply_edit(edits.AddPoints([[2.0, 2.0]], [1]))
    qtbot.waitUntil(lambda: recovery.writing)
    document.apply_edit(edits.AddPoints([[3.0, 3.0]], [0]))  # arrives while the first write is busy
    saved = []
    recovery.autosaved.connect(lambda: saved.append(True))
    release.set()
    qtbot.waitUntil(lambda: len(saved) == 2, timeout=10_000)
    assert len(project.load_project(recovery.autosave_path).dataset) == len(document.dataset)  # the newest

    # The user saves while an autosave is being written: the finished write must not leave a recovery file.
    release.clear()
    document.apply_edit(edits.AddPoints([[4.0, 4.0]], [1]))
    qtbot.waitUntil(lambda: recovery.writing)
    document.mark_saved(tmp_path / "saved.wbproj")
    release.set()
    qtbot.waitUntil(lambda: not recovery.writing)
    assert not recovery.autosave_path.exists()
    recovery.shutdown()

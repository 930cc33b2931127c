"""Ctrl+C in the terminal closes the real window like its close button: no traceback, unsaved work kept."""

from __future__ import annotations

import os
import signal

import pytest

from workbench.core.data import edits
from workbench.core.files.project import load_project
from workbench.qt.app import InterruptHandler, install_panels

WAIT_MS = 20_000


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")
def test_ctrl_c_closes_the_window_and_keeps_unsaved_work_for_recovery(make_window, qtbot) -> None:
    window = make_window()
    install_panels(window)
    qtbot.waitUntil(lambda: window.training.last_frame is not None, timeout=WAIT_MS)
    window.document.apply_edit(edits.AddPoints([[4.25, -3.5]], [1]))
    assert window.document.is_modified
    asked = []
    window._ask_save_changes = lambda: asked.append("asked") or "cancel"  # nobody is there to answer
    handler = InterruptHandler(window)
    try:
        with qtbot.waitSignal(window.closing, timeout=WAIT_MS):
            os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    finally:
        handler.uninstall()
    assert asked == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    recovered = load_project(window.recovery.autosave_path)
    assert recovered.dataset.equals(window.document.dataset)
    assert window.recovery.lock_path.exists()  # the next start sees an unfinished session and offers it
    assert not window.training.is_running


def test_ctrl_c_with_nothing_unsaved_leaves_no_recovery_files(make_window, qtbot) -> None:
    window = make_window()
    handler = InterruptHandler(window)
    try:
        with qtbot.waitSignal(window.closing, timeout=WAIT_MS):
            os.kill(os.getpid(), signal.SIGINT)
    finally:
        handler.uninstall()
    assert not window.recovery.autosave_path.exists() and not window.recovery.lock_path.exists()

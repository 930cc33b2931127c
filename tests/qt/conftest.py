"""Fixtures for the Qt tests: isolated settings and data folders, and guards against leaked threads/windows.

Following napari's test support: a test fails if it leaves a QThread running or a top-level widget alive, so
shutdown bugs ("QThread: Destroyed while thread is still running") show up here, not on a user's desktop.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths, QThread
from PySide6.QtWidgets import QApplication

# Nothing a test does may touch the real user's settings or data folders.
QStandardPaths.setTestModeEnabled(True)
QCoreApplication.setOrganizationName("WorkbenchTests")
QCoreApplication.setApplicationName("WorkbenchTests")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report so fixtures can tell whether the test itself failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _pointer(obj) -> int:
    return shiboken6.getCppPointer(obj)[0]


def _live_top_levels() -> set[int]:
    return {_pointer(w) for w in QApplication.topLevelWidgets() if shiboken6.isValid(w)}


@pytest.fixture(autouse=True)
def no_leftover_threads():
    """Fail the test if a QThread it started is still running at the end."""
    started: list[QThread] = []
    original_start = QThread.start

    def recording_start(self, *args):
        started.append(self)
        return original_start(self, *args)

    # A private MonkeyPatch: the test's own `monkeypatch` must be undone before windows are checked for leaks.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QThread, "start", recording_start)
        yield started
    running = [t for t in started if shiboken6.isValid(t) and t.isRunning()]
    for thread in running:  # stop them so the next test is not affected, then fail this one
        thread.quit()
        thread.wait(5000)
    assert not running, f"the test left {len(running)} QThread(s) running"


@pytest.fixture(autouse=True)
def no_unanswered_dialogs():
    """A message box nobody answers would hang the whole run: fail the test instead, naming the question.

    Tests that expect a prompt stub the window's `_ask_...` method or `QMessageBox` themselves.
    """
    from PySide6.QtWidgets import QMessageBox

    def unanswered(box: QMessageBox) -> int:
        raise AssertionError(f"a modal message box would wait for a user: {box.text()!r}")

    # A private MonkeyPatch: requesting `monkeypatch` here would keep the test's own patches (which may
    # hold windows) alive until after the windows are checked for leaks.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QMessageBox, "exec", unanswered)
        yield


def flush_deletes() -> None:
    """Run pending deleteLater()s and collect Python cycles (pyqtgraph's menus live in those)."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
        gc.collect()


def _close_without_prompts(windows: list) -> None:
    """Close and delete the windows, then drop the Python references (they keep pyqtgraph's menus alive)."""
    for window in windows:
        if shiboken6.isValid(window):
            window._ask_save_changes = lambda: "discard"
            window.close()
            window.deleteLater()
    windows.clear()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """A settings file in tmp_path (never the user's real settings)."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "recovery"


@pytest.fixture
def make_window(qtbot, settings, data_dir, request):
    """Factory for main windows with isolated settings and recovery folder.

    At the end every window is closed without prompts and deleted, and the test fails if any top-level
    widget it created (a window, a dialog, a stray popup) is still alive.
    """
    from workbench.qt.main_window import MainWindow

    before = _live_top_levels()
    windows: list[MainWindow] = []

    def factory(document=None, *, data_dir_override: Path | None = None, show: bool = True) -> MainWindow:
        window = MainWindow(document, settings=settings, data_dir=data_dir_override or data_dir)
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    yield factory

    # pytest holds fixture values (the `window` fixture) until after teardown; let go of ours now.
    funcargs = getattr(request.node, "funcargs", None) or {}
    for key, value in list(funcargs.items()):
        if any(value is w for w in windows):
            funcargs[key] = None
    _close_without_prompts(windows)
    flush_deletes()
    leftovers = [
        f"{type(w).__name__}({w.objectName()!r})"
        for w in QApplication.topLevelWidgets()
        if shiboken6.isValid(w) and _pointer(w) not in before
    ]
    call_report = getattr(request.node, "report_call", None)
    if call_report is not None and call_report.failed:
        return  # the failure's traceback still references the test's widgets; report only the failure
    assert not leftovers, f"top-level widgets left behind: {leftovers}"


@pytest.fixture
def window(make_window):
    return make_window()

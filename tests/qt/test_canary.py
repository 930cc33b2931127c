"""Canary for the PySide6 6.12.0 / Python 3.11 refcount bug.

That combination drops a reference to True on every Signal.emit() and one to None on every wrapped void
method, and a live window later aborts with `bool_dealloc` / `none_dealloc`. pyproject.toml keeps it
uninstallable; this test catches the bug in whatever binding actually got installed.
"""

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

REPEATS = 5000


class _Emitter(QObject):
    fired = Signal(bool)


def test_signal_emit_keeps_refcount_of_true(qtbot) -> None:
    emitter = _Emitter()
    received = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(REPEATS):
        emitter.fired.emit(True)
    received.clear()
    after = sys.getrefcount(True)
    assert after >= before - 10, f"Signal.emit leaked references to True ({before} -> {after})"


def test_void_methods_keep_refcount_of_none(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for i in range(REPEATS):
        label.setText(str(i % 7))
        label.setObjectName("canary")
    after = sys.getrefcount(None)
    assert after >= before - 10, f"void Qt methods dropped references to None ({before} -> {after})"

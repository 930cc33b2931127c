"""Crash recovery: autosave the modified document, mark the live session with a lock, restore after a crash.

Each running window owns one *session* in the recovery folder: ``session-<id>.lock`` (JSON with the PID,
host and the document's own path) exists for the whole session, and ``session-<id>.wbproj`` holds the last
autosave while the document has unsaved changes. A clean exit deletes both. So on start, a recovery file
whose lock is missing or names a process that no longer runs was left by a crashed session and is offered
for restoring; files of sessions that are still running are left alone.

Autosave timing: a couple of seconds after the last change, but never more than `max_wait_ms` after the
first unsaved change (a long brush stroke keeps changing the data), and at least every `period_ms` while
modified (training changes weights without dataset signals). Killing the process therefore loses at most
the last few seconds of work.

Timed autosaves are written on a background thread: the project is captured on the GUI thread (immutable
values, < 1 ms) and serialised and written elsewhere, because encoding a large network's weights and optimizer
state takes a while, and the GUI must not stop for that every minute. One write at a time; a newer request
waits for it and then writes the newest state. An autosave holds what Save would write, optimizer state and
batch order included (`workbench.qt.project_io.document_to_project`).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.core.files import project as project_file
from workbench.core.files.atomic import atomic_write_text
from workbench.qt.document import Document
from workbench.qt.project_io import document_to_project

RECOVERY_SUFFIX = ".wbproj"
LOCK_SUFFIX = ".lock"


def process_is_running(pid: int) -> bool:
    """Whether a process with this PID exists on this machine (without disturbing it)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5  # access denied: it exists
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class RecoveryCandidate:
    """An autosave left behind by a session that did not exit cleanly."""

    path: Path
    lock_path: Path
    original_path: Path | None
    saved_at: float

    @property
    def description(self) -> str:
        name = self.original_path.name if self.original_path else "an unsaved project"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        return f"{name}, autosaved {when}"


class RecoveryManager(QObject):
    """Autosaves one document into the recovery folder and finds what crashed sessions left behind."""

    #: An autosave could not be written (disk full, folder gone); the message is for the status bar.
    autosaveFailed = Signal(str)
    autosaved = Signal()
    #: From the writer thread: the background write ended (argument: error message, "" when it worked).
    _written = Signal(str)

    def __init__(
        self,
        document: Document,
        folder: Path | str,
        parent: QObject | None = None,
        *,
        quiet_ms: int = 2000,
        max_wait_ms: int = 10_000,
        period_ms: int = 60_000,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.folder = Path(folder)
        session = f"session-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.autosave_path = self.folder / f"{session}{RECOVERY_SUFFIX}"
        self.lock_path = self.folder / f"{session}{LOCK_SUFFIX}"
        self._started = False

        self._quiet = QTimer(self, singleShot=True, interval=quiet_ms)
        self._deadline = QTimer(self, singleShot=True, interval=max_wait_ms)
        self._periodic = QTimer(self, interval=period_ms)
        for timer in (self._quiet, self._deadline, self._periodic):
            timer.timeout.connect(self._save_in_background)
        self._writer: threading.Thread | None = None
        self._waiting = False  # a timed autosave came while the writer was busy
        self._written.connect(self._on_written)

    # --- session ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Create the lock that marks this session as alive and begin watching the document."""
        if self._started:
            return
        self._started = True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._write_lock()
        except OSError as exc:
            self.autosaveFailed.emit(f"Crash recovery is off: cannot write to {self.folder} ({exc})")
        doc = self.document
        for signal in (doc.datasetChanged, doc.specChanged, doc.settingsChanged, doc.weightsReplaced):
            signal.connect(self._on_changed)
        doc.modifiedChanged.connect(self._on_modified_changed)
        doc.pathChanged.connect(self._on_path_changed)
        self._periodic.start()
        if doc.is_modified:
            self._on_changed()

    def shutdown(self, keep_autosave: bool = False) -> None:
        """Clean exit: stop the timers and delete this session's autosave and lock (both kept with
        `keep_autosave`, after Ctrl+C: the next start then offers the unsaved work)."""
        for timer in (self._quiet, self._deadline, self._periodic):
            timer.stop()
        self._waiting = False
        self._join_writer()  # a write finishing after the files are deleted would bring one back
        if not self._started:
            return
        self._started = False
        doc = self.document
        for signal in (doc.datasetChanged, doc.specChanged, doc.settingsChanged, doc.weightsReplaced):
            signal.disconnect(self._on_changed)
        doc.modifiedChanged.disconnect(self._on_modified_changed)
        doc.pathChanged.disconnect(self._on_path_changed)
        if keep_autosave and self.autosave_path.exists():
            return
        for path in (self.autosave_path, self.lock_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    # --- autosave -----------------------------------------------------------------------------------
    def save_now(self) -> bool:
        """Write the autosave now, on this thread, if the document is modified (remove it otherwise)."""
        self._join_writer()
        if not self._begin_save():
            return False
        try:
            project_file.save_project(document_to_project(self.document), self.autosave_path)
            self._write_lock()
        except Exception as exc:
            self.autosaveFailed.emit(f"Autosave failed: {exc}")
            return False
        self.autosaved.emit()
        return True

    @property
    def writing(self) -> bool:
        """A background autosave is being written."""
        return self._writer is not None

    def _begin_save(self) -> bool:
        """Stop the timers; True if there is something to write (an unmodified document's autosave goes)."""
        self._quiet.stop()
        self._deadline.stop()
        if not self._started:
            return False
        if not self.document.is_modified:
            self._remove_autosave()
            return False
        return True

    def _save_in_background(self) -> None:
        """The timers' autosave: capture the document here, serialise and write it on a worker thread."""
        if self._writer is not None:
            self._quiet.stop()
            self._deadline.stop()
            self._waiting = self._started  # written when the current write ends, with the state of then
            return
        if not self._begin_save():
            return
        project = document_to_project(self.document)
        lock_text = self._lock_text()
        self._writer = threading.Thread(
            target=self._write, args=(project, lock_text), name="workbench-autosave", daemon=True
        )
        self._writer.start()

    def _write(self, project: project_file.Project, lock_text: str) -> None:  # writer thread: files only
        try:
            project_file.save_project(project, self.autosave_path)
            atomic_write_text(self.lock_path, lock_text)
        except Exception as exc:
            self._written.emit(f"Autosave failed: {exc}")
            return
        self._written.emit("")

    def _on_written(self, error: str) -> None:
        if self._writer is None:  # already joined by save_now() or shutdown()
            return
        self._join_writer()
        if not self._started:
            return
        if not self.document.is_modified:  # saved by the user while this was written: nothing to recover
            self._remove_autosave()
        elif error:
            self.autosaveFailed.emit(error)
        else:
            self.autosaved.emit()
        if self._waiting:
            self._waiting = False
            self._save_in_background()

    def _join_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.join()

    def _on_changed(self, *_: object) -> None:
        if not self.document.is_modified:
            return
        self._quiet.start()
        if not self._deadline.isActive():
            self._deadline.start()

    def _on_modified_changed(self, modified: bool) -> None:
        if modified:
            self._on_changed()
        else:  # saved (or reverted to the saved state): nothing to recover
            self._quiet.stop()
            self._deadline.stop()
            self._remove_autosave()

    def _on_path_changed(self) -> None:
        with contextlib.suppress(OSError):
            self._write_lock()

    def _remove_autosave(self) -> None:
        with contextlib.suppress(OSError):
            self.autosave_path.unlink(missing_ok=True)

    def _write_lock(self) -> None:
        atomic_write_text(self.lock_path, self._lock_text())

    def _lock_text(self) -> str:
        path = self.document.path
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "original_path": str(path) if path else None,
            "started": time.time(),
        }
        return json.dumps(info)

    # --- what crashed sessions left -------------------------------------------------------------------
    def orphans(self) -> list[RecoveryCandidate]:
        """Autosaves whose session is gone, newest first (never this session's own)."""
        found = []
        if not self.folder.is_dir():
            return found
        self._remove_stale_locks()
        for path in self.folder.glob(f"session-*{RECOVERY_SUFFIX}"):
            if path == self.autosave_path:
                continue
            lock = path.with_suffix(LOCK_SUFFIX)
            info = _read_lock(lock)
            if info is not None and _lock_is_live(info):
                continue
            original = info.get("original_path") if info else None
            try:
                saved_at = path.stat().st_mtime
            except OSError:
                continue
            found.append(RecoveryCandidate(path, lock, Path(original) if original else None, saved_at))
        return sorted(found, key=lambda c: c.saved_at, reverse=True)

    def _remove_stale_locks(self) -> None:
        """Locks of dead sessions that left no autosave (they were not modified) protect nothing."""
        for lock in self.folder.glob(f"session-*{LOCK_SUFFIX}"):
            if lock == self.lock_path or lock.with_suffix(RECOVERY_SUFFIX).exists():
                continue
            info = _read_lock(lock)
            if info is None or not _lock_is_live(info):
                with contextlib.suppress(OSError):
                    lock.unlink()

    def restore(self, candidate: RecoveryCandidate):
        """Load a candidate's project (raises the core's ProjectFormatError if it is unreadable)."""
        from workbench.core.files.project import load_project

        return load_project(candidate.path)

    def discard(self, candidate: RecoveryCandidate) -> None:
        """Delete a crashed session's files (after restoring it, or when the user declines)."""
        for path in (candidate.path, candidate.lock_path):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _read_lock(path: Path) -> dict | None:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _lock_is_live(info: dict) -> bool:
    host = info.get("host")
    if host and host != socket.gethostname():
        return True  # another machine's session (shared home folder): we cannot tell, so leave it alone
    try:
        pid = int(info.get("pid", 0))
    except (TypeError, ValueError):
        return False
    return process_is_running(pid)

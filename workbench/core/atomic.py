"""Write a file so that readers see either the old content or the complete new content, never a mix.

The data goes to a temporary file in the same folder (so the final rename stays on one file system), is
flushed and fsync'ed, and then replaces the target with `os.replace`, which is atomic on POSIX and Windows.
If anything fails before the rename, the temporary file is removed and the old file is untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` atomically; raises OSError (old file intact) when that is impossible."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    temp_name = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        # 0o666 minus the umask, like an ordinary new file (mkstemp would make it private to the owner)
        fd = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _about(target, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise _about(target, exc) from exc
        raise
    _fsync_folder(folder)


def _about(target: Path, exc: OSError) -> OSError:
    """The same error, but naming the file the caller asked for rather than the temporary one."""
    return OSError(exc.errno, exc.strerror or str(exc), os.fspath(target))


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """`atomic_write_bytes` for text (newlines are written as given, not translated)."""
    atomic_write_bytes(path, text.encode(encoding))


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (not possible on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)

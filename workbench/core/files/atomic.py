"""Write files so that readers see either the old content or the complete new content, never a mix.

The data goes to a temporary file in the same folder (so the final rename stays on one file system), is
flushed and fsync'ed, and then replaces the target with `os.replace`, which is atomic on POSIX and Windows.
If anything fails before the rename, the temporary file is removed and the old file is untouched.

What is never replaced:
- a symbolic link: the write goes through it to the file it points to (the link stays a link);
- anything that is not a regular file (a FIFO, a device, a folder, a socket): refused with an OSError that
  says so, instead of silently putting a regular file in its place.

Temporary files are named ``.NAME.wbtmp-XXXXXXXXXXXX`` beside the target. A crash between writing and
renaming leaves one behind; the next write into the same folder removes such leftovers once they are older
than `STALE_SECONDS` (younger ones may belong to a write still in progress), and only files of exactly that
pattern that are regular files owned by the current user.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Mapping
from pathlib import Path

TEMP_MARKER = ".wbtmp-"
#: A leftover temporary file older than this is from a write that crashed (a write takes seconds at most).
STALE_SECONDS = 15 * 60
_TEMP_NAME = re.compile(r"^\..+\.wbtmp-[0-9a-f]{12}$")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` atomically; raises OSError (old file intact) when that is impossible."""
    atomic_write_files({path: data})


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """`atomic_write_bytes` for text (newlines are written as given, not translated)."""
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_files(files: Mapping[str | os.PathLike[str], bytes]) -> None:
    """Write several files that belong together (a script and its weights): every one is written to its
    temporary file first, and only when all of them are complete are they renamed into place."""
    targets = [(Path(path), resolve_target(path), data) for path, data in files.items()]
    for folder in {target.parent for _, target, _ in targets}:
        remove_stale_temporaries(folder)
    written: list[tuple[Path, Path, Path]] = []  # (asked for, real target, temporary)
    try:
        for asked, target, data in targets:
            temporary = _write_temporary(asked, target, data)
            written.append((asked, target, temporary))
        for asked, target, temporary in written:
            try:
                os.replace(temporary, target)
            except OSError as exc:
                raise _about(asked, exc) from exc
    finally:
        for _, _, temporary in written:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    for folder in {target.parent for _, target, _ in targets}:
        _fsync_folder(folder)


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to `path` must replace: symbolic links followed; OSError for a non-regular file."""
    asked = Path(path)
    target = Path(os.path.realpath(asked)) if asked.is_symlink() else asked
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise _about(asked, exc) from exc
    if not stat.S_ISREG(mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(mode)
            else "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
        raise OSError(code, f"it is {kind}, not a regular file; choose another name", os.fspath(asked))
    return target


def is_temporary_name(name: str) -> bool:
    """Whether a file name has the pattern of this module's temporary files."""
    return bool(_TEMP_NAME.match(name))


def remove_stale_temporaries(folder: str | os.PathLike[str], older_than: float = STALE_SECONDS) -> list[Path]:
    """Delete leftover temporary files of crashed writes in `folder`; returns what was removed.

    Only names of exactly our pattern, only regular files (never links), only the current user's, and only
    when older than `older_than` seconds. Errors are ignored: cleaning up must never stop a save.
    """
    removed: list[Path] = []
    now = time.time()
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not is_temporary_name(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
            continue
        if now - info.st_mtime < older_than:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _write_temporary(asked: Path, target: Path, data: bytes) -> Path:
    folder = target.parent if str(target.parent) else Path(".")
    temporary = folder / f".{target.name}{TEMP_MARKER}{secrets.token_hex(6)}"
    try:
        # 0o666 minus the umask, like an ordinary new file (mkstemp would make it private to the owner)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:
        raise _about(asked, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):  # a replaced file keeps its permissions
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise _about(asked, exc) from exc
        raise
    return temporary


def _about(target: Path, exc: OSError) -> OSError:
    """The same error, but naming the file the caller asked for rather than the temporary one."""
    return OSError(exc.errno, exc.strerror or str(exc), os.fspath(target))


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

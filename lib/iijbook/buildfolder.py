"""The build folder: which folders a build may use, and the lock that lets one build in at a time.

A build writes and deletes inside its folder, so it only takes a folder that is
new, empty, or one that a build made: anything else (the project itself, a home
folder, ``--build-dir ''``) is refused before a byte is written.

The lock is :mod:`filelock`'s: an ``flock`` on ``.lock``, which the kernel drops
when the holder dies, however it dies, and which filelock closes in forked
children, so the chapter workers never keep it alive after their build. It
opens ``.lock`` without following a symbolic link. The holder writes its pid
into the file so that a refused build can name it, and only a live one is named.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp()) / "_build"
>>> with build_lock(checked_folder(folder, Path("/nonexistent-project"))):
...     (folder / MARKER).exists(), (folder / ".lock").read_text() == str(os.getpid())
(True, True)
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

import filelock

#: Written into every build folder: its presence says a build made the folder.
MARKER = ".iijbook-build"

#: What builds and the project's tools put in a build folder. A folder without the
#: marker that holds only these was made by an earlier build and may be taken.
KNOWN_ENTRIES = frozenset(
    {
        MARKER,
        ".lock",
        "html",
        "executed",
        "cache",
        "running",
        "failed",
        "logs",
        "stage",
        "status.json",
        ".status.json.tmp",
        "html.incoming",
        "html.outgoing",
        "publish.partial",
        "publish.ready",
        "publish.old",
        "book.pdf",
        "benchmark.json",
        "benchmark.md",
        "screenshots",
        "classroom",
    }
)


class FolderError(RuntimeError):
    """A build folder that a build may not or cannot use."""


class Locked(FolderError):
    """Another live build holds the folder's lock."""


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def checked_folder(folder: Path, root: Path) -> Path:
    """``folder`` as an absolute path, made if missing, once it is safe to build in.

    Refused: the project folder or a folder above it; a file; a folder holding
    files that no build wrote; a folder that cannot be written.

    >>> checked_folder(Path(""), Path.cwd())
    Traceback (most recent call last):
    ...
    iijbook.buildfolder.FolderError: build folder ...: it is the project folder or holds it; ...
    """
    folder = Path(os.path.abspath(folder))
    project = Path(os.path.abspath(root))
    if folder == project or folder in project.parents or folder == Path(folder.anchor):
        raise FolderError(
            f"build folder {folder}: it is the project folder or holds it; a build writes and "
            "deletes inside its folder, so give it one of its own (the default is _build)"
        )
    try:
        if folder.is_symlink() and not folder.is_dir():
            raise FolderError(f"build folder {folder}: a symbolic link to nothing usable")
        if folder.exists() and not folder.is_dir():
            raise FolderError(f"build folder {folder}: it is a file, not a folder")
        if folder.is_dir() and not (folder / MARKER).exists():
            foreign = sorted(p.name for p in folder.iterdir() if p.name not in KNOWN_ENTRIES)
            if foreign:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise FolderError(
                    f"build folder {folder}: it holds files that no build wrote ({shown}); a build "
                    "writes and deletes inside its folder, so choose a new or empty one"
                )
        folder.mkdir(parents=True, exist_ok=True)
        marker = folder / MARKER
        if not marker.exists():
            marker.write_text("This folder is made and managed by iijbook build.\n")
        probe = folder / f".write-probe.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise FolderError(f"build folder {folder}: cannot write in it ({_reason(exc)})") from None
    return folder


def _holder(lock_path: Path) -> int | None:
    """The pid written in the lock file, if it names a live process other than this one."""
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    if not text.isdigit():
        return None
    pid = int(text)
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return pid


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)


@contextlib.contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """Hold the build folder's lock, or raise :class:`Locked` (or :class:`FolderError`) at once."""
    path = folder / ".lock"
    if path.is_symlink():
        raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it")
    if path.is_dir():
        raise FolderError(f"{path} is a folder, not a lock file: remove it")
    lock = filelock.FileLock(path, timeout=0, on_acquired=_write_pid)
    try:
        lock.acquire()
    except filelock.Timeout:
        pid = _holder(path)
        who = f"another build (pid {pid})" if pid else "another build"
        raise Locked(f"{who} holds the lock {path}; wait for it to finish and run this one again") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it") from None
        raise FolderError(f"cannot take the lock {path} ({_reason(exc)})") from None
    try:
        yield
    finally:
        lock.release()

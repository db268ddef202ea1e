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
>>> with build_lock(checked_folder(folder, Path("/nonexistent-project"))) as held:
...     (folder / MARKER).exists(), (folder / ".lock").read_text() == str(os.getpid()), held.intact()
(True, True, True)
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
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


class LockLost(RuntimeError):
    """The lock file was removed or replaced while the build held it."""


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def checked_folder(folder: Path, root: Path, inputs: tuple[Path, ...] = ()) -> Path:
    """``folder`` as an absolute path, made if missing, once it is safe to build in.

    Refused: the project folder or a folder above it; a folder inside one the
    build reads (``inputs``: the data, the chapters, the static files), whose
    hash would then change with every build; a file; a folder holding files
    that no build wrote; a folder that cannot be written.

    >>> checked_folder(Path(""), Path.cwd())
    Traceback (most recent call last):
    ...
    iijbook_build.buildfolder.FolderError: build folder ...: it is the project folder or holds it; ...
    """
    folder = Path(os.path.abspath(folder))
    project = Path(os.path.abspath(root))
    real, real_project = Path(os.path.realpath(folder)), Path(os.path.realpath(project))
    if any(f == p or f in p.parents for f in (folder, real) for p in (project, real_project)) or (
        folder == Path(folder.anchor)
    ):
        raise FolderError(
            f"build folder {folder}: it is the project folder or holds it; a build writes and "
            "deletes inside its folder, so give it one of its own (the default is _build)"
        )
    for source in inputs:
        sources = {Path(os.path.abspath(source)), Path(os.path.realpath(source))}
        if any(f == s or s in f.parents for f in (folder, real) for s in sources):
            raise FolderError(
                f"build folder {folder}: it is inside {source}, which the build reads; give it a "
                "folder of its own (the default is _build)"
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


#: The folders a build keeps in its folder, and may only find as real folders.
MANAGED_FOLDERS = ("html", "executed", "cache", "running", "failed", "logs", "stage")


def check_entries(folder: Path) -> None:
    """Refuse a build folder whose own entries are symbolic links or of the wrong kind.

    A build writes and deletes inside ``running/``, ``stage/`` and the rest: a
    link there would send those writes and deletions elsewhere.
    """
    for name in (*MANAGED_FOLDERS, "status.json"):
        path = folder / name
        if path.is_symlink():
            raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it")
        if name == "status.json":
            if path.exists() and not path.is_file():
                raise FolderError(f"{path} is not a file: remove it")
        elif path.exists() and not path.is_dir():
            raise FolderError(f"{path} is a file, where the build keeps a folder: remove it")


def sanitize(folder: Path) -> int:
    """Remove every symbolic link, hard link, pipe, socket or device inside the build's own folders.

    A build never makes one, and never writes through one (a log truncated through
    a hard link would truncate a file elsewhere); returns how many it removed.
    """
    removed = 0
    for name in MANAGED_FOLDERS:
        top = folder / name
        if not top.is_dir() or top.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            for entry in (*dirnames, *filenames):
                path = Path(dirpath, entry)
                linked = path.is_symlink() or (path.is_file() and os.lstat(path).st_nlink > 1)
                if linked or not (path.is_dir() or path.is_file()):
                    path.unlink()
                    removed += 1
            dirnames[:] = [d for d in dirnames if not Path(dirpath, d).is_symlink()]
    return removed


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
    return pid if pid != os.getpid() and alive(pid) else None


def _holder_named(lock_path: Path, wait: float = 1.0) -> int | None:
    """The holder's pid, waiting up to ``wait`` seconds for a holder that has only just locked.

    A build writes its pid right after taking the lock, so a build started at the same
    moment can find the file locked but still empty.
    """
    deadline = time.monotonic() + wait
    while (pid := _holder(lock_path)) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    return pid


def alive(pid: int) -> bool:
    """True if process ``pid`` exists (another user's included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


class Held:
    """The lock a build holds; :meth:`intact` says whether its file is still the one locked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None

    def acquired(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        info = os.fstat(fd)
        self.identity = (info.st_dev, info.st_ino)

    def intact(self) -> bool:
        """False if the lock file was removed or replaced while held (another build may then run)."""
        try:
            info = os.stat(self.path, follow_symlinks=False)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self.identity

    def check(self) -> None:
        """Raise :class:`LockLost` if the lock file was removed or replaced while held."""
        if not self.intact():
            raise LockLost(
                f"the lock file {self.path} was removed or replaced while this build ran, so another "
                "build may have run beside it; nothing was published: build again"
            )


@contextlib.contextmanager
def build_lock(folder: Path) -> Iterator[Held]:
    """Hold the build folder's lock, or raise :class:`Locked` (or :class:`FolderError`) at once."""
    path = folder / ".lock"
    if path.is_symlink():
        raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it")
    if path.is_dir():
        raise FolderError(f"{path} is a folder, not a lock file: remove it")
    if path.exists() and (not path.is_file() or os.lstat(path).st_nlink > 1):
        # the holder writes its pid into the file: never into a pipe or another file's inode
        raise FolderError(
            f"{path} is not a lock file of its own (a pipe, a device or a hard link): remove it"
        )
    held = Held(path)
    lock = filelock.FileLock(path, timeout=0, on_acquired=held.acquired)
    try:
        lock.acquire()
    except filelock.Timeout:
        pid = _holder_named(path)
        who = f"another build (pid {pid})" if pid else "another build"
        raise Locked(f"{who} holds the lock {path}; wait for it to finish and run this one again") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it") from None
        raise FolderError(f"cannot take the lock {path} ({_reason(exc)})") from None
    try:
        yield held
    finally:
        lock.release()

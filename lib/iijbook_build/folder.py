"""The build folder: whose it is, who builds in it, and the one commit point of a build.

Everything a build publishes (the site, the executed copies, the cache of runs, the status)
lives in one folder ``gen/<id>/``, and ``current`` is a symbolic link to the published one.
``html``, ``executed``, ``cache`` and ``status.json`` are fixed links through ``current``
(``html -> current/html``), so readers keep their paths. A build lays out a new generation in
full, then replaces ``current`` with one ``os.replace`` of a new link: that rename is the
**commit point**. Before it nothing a reader or the next build sees has changed; after it
all four show the new run. A build killed at any moment leaves either generation whole, and
the next build removes what no link points to. No library swaps a folder atomically; this is
the least code that does (the pattern of a deploy's ``current`` link).

The lock is :mod:`filelock`'s ``flock`` on ``.lock``, which the kernel drops when its holder
dies, however it dies. The holder writes its pid there so that a refused build can name it.

>>> import tempfile
>>> folder = checked_folder(Path(tempfile.mkdtemp()) / "_build", Path("/nonexistent-project"))
>>> with lock(folder) as held:
...     gen = new_generation(folder)
...     _ = (gen / "status.json").write_text("{}")
...     commit(folder, gen, held)
>>> (folder / "status.json").read_text()
'{}'
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock

from .inputs import reason

#: Written into every build folder: its presence says a build made the folder.
MARKER = ".iijbook-build"
#: The fixed links a build keeps at the top of its folder, each through ``current``.
LINKS = ("html", "executed", "cache", "status.json")
#: What a build keeps in its folder, and what a folder made by a build may hold.
FOLDERS = ("gen", "running", "failed", "logs")
KNOWN = {MARKER, ".lock", "current", *LINKS, *FOLDERS, "book.pdf", "benchmark.json", "benchmark.md"}
KNOWN |= {"screenshots", "classroom", "classroom.work", "classroom.old", "current.new"}


class FolderError(RuntimeError):
    """A build folder that a build may not or cannot use (refused: nothing was changed)."""


class Locked(FolderError):
    """Another live build holds the folder's lock."""


def checked_folder(folder: Path, root: Path, reads: tuple[Path, ...] = ()) -> Path:
    """``folder`` as an absolute path, made if missing, once it is safe to build in.

    Refused: the project folder or one above it; a folder inside one the build reads
    (``reads``); a file; a folder holding files no build wrote; a folder that cannot be written.

    >>> checked_folder(Path(""), Path.cwd())
    Traceback (most recent call last):
    ...
    iijbook_build.folder.FolderError: build folder ...: it is the project folder or holds it; ...
    """
    folder = Path(os.path.abspath(folder))
    real = Path(os.path.realpath(folder))
    project = {Path(os.path.abspath(root)), Path(os.path.realpath(root))}
    if folder == Path(folder.anchor) or any(
        f == p or f in p.parents for f in (folder, real) for p in project
    ):
        raise FolderError(
            f"build folder {folder}: it is the project folder or holds it; a build writes and "
            "deletes inside its folder, so give it one of its own (the default is _build)"
        )
    for source in reads:
        sources = {Path(os.path.abspath(source)), Path(os.path.realpath(source))}
        if any(f == s or s in f.parents for f in (folder, real) for s in sources):
            raise FolderError(
                f"build folder {folder}: it is inside {source}, which the build reads; give it a "
                "folder of its own (the default is _build)"
            )
    try:
        if folder.exists() and not folder.is_dir():
            raise FolderError(f"build folder {folder}: it is a file, not a folder")
        if folder.is_dir() and not (folder / MARKER).exists():
            foreign = sorted(p.name for p in folder.iterdir() if p.name not in KNOWN)
            if foreign:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise FolderError(
                    f"build folder {folder}: it holds files that no build wrote ({shown}); a build "
                    "writes and deletes inside its folder, so choose a new or empty one"
                )
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text("This folder is made and managed by iijbook build.\n")
    except OSError as exc:
        raise FolderError(f"build folder {folder}: cannot write in it ({reason(exc)})") from None
    return folder


def check_entries(folder: Path) -> None:
    """Refuse entries a build did not make (a link elsewhere, a file where a folder goes): a build
    writes and deletes inside its folders, and must never do so through a link."""
    for name in FOLDERS:
        path = folder / name
        if path.is_symlink():
            raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it")
        if path.exists() and not path.is_dir():
            raise FolderError(f"{path} is a file, where the build keeps a folder: remove it")
    for name in (*LINKS, "current"):
        path, want = folder / name, ("gen/" if name == "current" else f"current/{name}")
        if (path.exists() or path.is_symlink()) and not _link_to(path, want):
            kind = "a symbolic link elsewhere" if path.is_symlink() else "not the link a build makes"
            raise FolderError(f"{path} is {kind} (-> {want}...): remove it")


def _link_to(path: Path, prefix: str) -> bool:
    if not path.is_symlink():
        return False
    target = os.readlink(path)
    return target == prefix or (prefix.endswith("/") and target.startswith(prefix) and "/" not in target[4:])


def current(folder: Path) -> Path | None:
    """The published generation, or None before the first build."""
    link = folder / "current"
    return folder / os.readlink(link) if _link_to(link, "gen/") and link.is_dir() else None


def new_generation(folder: Path) -> Path:
    """A new, empty generation folder for a build to lay out (not published until :func:`commit`)."""
    gen = folder / "gen" / f"{time.time_ns()}-{os.getpid()}"
    gen.mkdir(parents=True)
    return gen


def commit(folder: Path, gen: Path, held: Held) -> None:
    """Publish ``gen``: one rename of a new ``current`` link, the commit point; then tidy up."""
    held.check()
    for name in LINKS:
        if not (folder / name).is_symlink():
            os.symlink(f"current/{name}", folder / name)
    staged = folder / "current.new"
    staged.unlink(missing_ok=True)
    os.symlink(f"gen/{gen.name}", staged)
    committing.update(folder=folder, gen=gen.name)
    os.replace(staged, folder / "current")  # the commit point
    tidy(folder)


#: The generation a build is publishing: :func:`published` tells, from the link itself, whether
#: the commit point was passed (a signal may interrupt the build anywhere, even on either side of
#: the rename, and its message must say which).
committing: dict[str, Any] = {"folder": None, "gen": None}


def published() -> bool:
    """True once the generation being committed is the published one."""
    link = committing["folder"] / "current" if committing["folder"] else None
    return link is not None and link.is_symlink() and os.readlink(link) == f"gen/{committing['gen']}"


#: Ctrl-C, kill, and a closed terminal: the signals that stop a build.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def tidy(folder: Path) -> None:
    """Remove every generation but the published one, and the scratch of builds no longer running:
    what a build killed outright left behind (a generation laid out but never published)."""
    keep = current(folder)
    for gen in (folder / "gen").iterdir() if (folder / "gen").is_dir() else ():
        if gen != keep:
            _remove(gen)
    (folder / "current.new").unlink(missing_ok=True)
    for scratch in (folder / "running").iterdir() if (folder / "running").is_dir() else ():
        owner = scratch.name.split("-")[0]
        if not (owner.isdigit() and int(owner) != os.getpid() and alive(int(owner))):
            _remove(scratch)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def scratch(folder: Path) -> Iterator[Path]:
    """A folder of this build's own under ``running/`` (snapshots, runs, the stage), removed at the end."""
    path = folder / "running" / f"{os.getpid()}-{time.time_ns()}"
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def alive(pid: int) -> bool:
    """True if process ``pid`` exists (another user's included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


class LockLost(RuntimeError):
    """The lock file was removed or replaced while the build held it."""


class Held:
    """The lock a build holds; :meth:`check` says whether its file is still the one locked."""

    def __init__(self, path: Path) -> None:
        self.path, self.identity = path, (0, 0)

    def acquired(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        info = os.fstat(fd)
        self.identity = (info.st_dev, info.st_ino)

    def check(self) -> None:
        """Raise :class:`LockLost` if the lock file was removed or replaced while held."""
        try:
            info = os.stat(self.path, follow_symlinks=False)
            intact = (info.st_dev, info.st_ino) == self.identity
        except OSError:
            intact = False
        if not intact:
            raise LockLost(
                f"the lock file {self.path} was removed or replaced while this build ran, so another "
                "build may have run beside it; nothing was published: build again"
            )


def _holder(path: Path, wait: float = 1.0) -> int | None:
    """The live pid written in the lock file, waiting up to ``wait`` s for a holder that has only
    just locked (it writes its pid right after)."""
    deadline = time.monotonic() + wait
    while True:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                text = os.read(fd, 32).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            if text.isdigit() and int(text) != os.getpid() and alive(int(text)):
                return int(text)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


@contextlib.contextmanager
def lock(folder: Path) -> Iterator[Held]:
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
    the_lock = filelock.FileLock(path, timeout=0, on_acquired=held.acquired)
    try:
        the_lock.acquire()
    except filelock.Timeout:
        pid = _holder(path)
        who = f"another build (pid {pid})" if pid else "another build"
        raise Locked(f"{who} holds the lock {path}; wait for it to finish and run this one again") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it") from None
        raise FolderError(f"cannot take the lock {path} ({reason(exc)})") from None
    try:
        yield held
    finally:
        the_lock.release()

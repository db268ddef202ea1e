"""The build folder: whose it is, who builds in it, and the one commit point of a build.

A build lays out all it publishes (site, executed copies, cache, status) in a new ``gen/<id>/``
and publishes it by one ``os.replace`` of the link ``current``: the **commit point**. ``html``,
``executed``, ``cache`` and ``status.json`` are fixed links through ``current``, so readers keep
their paths and see one generation whole; a build killed at any moment leaves a generation no
link points to, which the next build removes. No library swaps a folder atomically: this is the
least code that does (a deploy's ``current`` link).

The lock is :mod:`filelock`'s ``flock`` on ``.lock``, which the kernel drops when its holder dies,
however it dies. The holder writes its pid there, so that a refused build can name it, and keeps
the file's identity, so that a lock file removed or replaced under it is noticed before the commit.

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
import re
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock
import psutil

from .inputs import reason

#: Written into every build folder: its presence says a build made the folder.
MARKER = ".iijbook-build"
#: The fixed links a build keeps at the top of its folder, each through ``current``.
LINKS = ("html", "executed", "cache", "status.json")
#: What a build keeps in its folder, and what a folder made by a build may hold.
FOLDERS = ("gen", "running", "failed", "logs")
KNOWN = {MARKER, ".lock", "current", "current.new", *LINKS, *FOLDERS, "book.pdf", "benchmark.json"}
KNOWN |= {"benchmark.md", "screenshots", "classroom", "classroom.work", "classroom.old"}
#: Ctrl-C, kill, and a closed terminal: the signals that stop a build.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class FolderError(RuntimeError):
    """A build folder that a build may not or cannot use (refused: nothing was changed)."""


class Locked(FolderError):
    """Another live build holds the folder's lock."""


class LockLost(RuntimeError):
    """The lock file was removed or replaced while the build held it."""


def _both(path: Path) -> set[Path]:
    return {Path(os.path.abspath(path)), Path(os.path.realpath(path))}


def checked_folder(folder: Path, root: Path, reads: tuple[Path, ...] = ()) -> Path:
    """``folder`` as an absolute path, made if missing, once it is safe to build in: a build writes
    and deletes inside it, so never the project folder or one above it, a folder inside one the
    build reads (``reads``), a file, or a folder holding files no build wrote.

    >>> checked_folder(Path(""), Path.cwd())
    Traceback (most recent call last):
    ...
    iijbook_build.folder.FolderError: build folder ...: it is the project folder or holds it; ...
    """
    folder, at = Path(os.path.abspath(folder)), _both(folder)
    own = "give it a folder of its own (the default is _build)"
    if folder == Path(folder.anchor) or any(f == p or f in p.parents for f in at for p in _both(root)):
        raise FolderError(
            f"build folder {folder}: it is the project folder or holds it; a build writes and "
            f"deletes inside its folder, so {own}"
        )
    for source in reads:
        if any(f == s or s in f.parents for f in at for s in _both(source)):
            raise FolderError(f"build folder {folder}: it is inside {source}, which the build reads; {own}")
    try:
        if folder.exists() and not folder.is_dir():
            raise FolderError(f"build folder {folder}: it is a file, not a folder")
        if folder.is_dir() and not (folder / MARKER).exists():
            if foreign := sorted(p.name for p in folder.iterdir() if p.name not in KNOWN):
                raise FolderError(
                    f"build folder {folder}: it holds files that no build wrote ({', '.join(foreign[:3])}"
                    f"{', ...' if len(foreign) > 3 else ''}); a build writes and deletes inside its "
                    "folder, so choose a new or empty one"
                )
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text("This folder is made and managed by iijbook build.\n")
    except OSError as exc:
        raise FolderError(f"build folder {folder}: cannot write in it ({reason(exc)})") from None
    return folder


def _made(path: Path, name: str) -> bool:
    """True if ``path`` is the link a build makes: ``current -> gen/<id>``, ``html -> current/html``."""
    if not path.is_symlink():
        return False
    want = r"gen/\d+-\d+" if name == "current" else re.escape(f"current/{name}")
    return re.fullmatch(want, os.readlink(path)) is not None


def check_entries(folder: Path) -> None:
    """Refuse entries a build did not make (a link elsewhere, a file where a folder goes): a build
    writes and deletes inside its folders, and must never do so through a link."""
    for name in (*FOLDERS, *LINKS, "current"):
        path, kept = folder / name, name in FOLDERS  # a folder of the build's, else a link it makes
        if path.is_symlink() and (kept or not _made(path, name)):
            raise FolderError(f"{path} is a symbolic link; a build never follows one: remove it")
        if not path.is_symlink() and path.exists() and not (kept and path.is_dir()):
            raise FolderError(f"{path} is not the {'folder' if kept else 'link'} a build makes: remove it")


def new_generation(folder: Path) -> Path:
    """A new, empty generation folder for a build to lay out (not published until :func:`commit`)."""
    gen = folder / "gen" / f"{time.time_ns()}-{os.getpid()}"
    gen.mkdir(parents=True)
    return gen


#: The generation a build is publishing, so that :func:`published` can tell from the link itself
#: whether the commit point was passed: a signal may arrive on either side of the rename.
committing: dict[str, Any] = {"folder": None, "gen": None}


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


def published() -> bool:
    """True once the generation being committed is the published one."""
    link = committing["folder"] / "current" if committing["folder"] else None
    return link is not None and link.is_symlink() and os.readlink(link) == f"gen/{committing['gen']}"


def tidy(folder: Path) -> None:
    """Remove every generation but the published one, and the scratch of builds no longer running:
    what a build killed outright left behind."""
    link = folder / "current"
    keep = folder / os.readlink(link) if _made(link, "current") else None
    for gen in (folder / "gen").iterdir() if (folder / "gen").is_dir() else ():
        if gen != keep:
            _remove(gen)
    (folder / "current.new").unlink(missing_ok=True)
    for path in (folder / "running").iterdir() if (folder / "running").is_dir() else ():
        owner = path.name.split("-")[0]
        if not (owner.isdigit() and int(owner) != os.getpid() and psutil.pid_exists(int(owner))):
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def scratch(folder: Path) -> tempfile.TemporaryDirectory:
    """A folder of this build's own under ``running/`` (snapshots, runs, the stage), removed at the end,
    named by its pid for :func:`tidy`."""
    (folder / "running").mkdir(exist_ok=True)
    return tempfile.TemporaryDirectory(
        prefix=f"{os.getpid()}-", dir=folder / "running", ignore_cleanup_errors=True
    )


class Held:
    """The lock a build holds; :meth:`check` says whether its file is still the one locked."""

    def __init__(self, path: Path) -> None:
        self.path, self.identity = path, (0, 0)

    def acquired(self, fd: int) -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.identity = (os.fstat(fd).st_dev, os.fstat(fd).st_ino)

    def check(self) -> None:
        """Raise :class:`LockLost` if the lock file was removed or replaced while held."""
        with contextlib.suppress(OSError):
            if ((info := os.lstat(self.path)).st_dev, info.st_ino) == self.identity:
                return
        raise LockLost(
            f"the lock file {self.path} was removed or replaced while this build ran, so another "
            "build may have run beside it; nothing was published: build again"
        )


def _holder(path: Path) -> int | None:
    """The live pid in the lock file, waiting up to 1 s for a holder that has just locked it."""
    for _ in range(100):
        with contextlib.suppress(OSError, ValueError):
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # never blocks on a pipe
            with open(fd, encoding="ascii") as handle:
                pid = int(handle.read(32))
            if pid != os.getpid() and psutil.pid_exists(pid):
                return pid
        time.sleep(0.01)
    return None


@contextlib.contextmanager
def lock(folder: Path) -> Iterator[Held]:
    """Hold the build folder's lock, or raise :class:`Locked` (or :class:`FolderError`) at once."""
    path = folder / ".lock"
    link = f"{path} is a symbolic link; a build never follows one: remove it"
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISLNK(mode := (info := os.lstat(path)).st_mode):
            raise FolderError(link)
        if stat.S_ISDIR(mode):
            raise FolderError(f"{path} is a folder, not a lock file: remove it")
        if not stat.S_ISREG(mode) or info.st_nlink > 1:  # the holder writes its pid into it
            raise FolderError(
                f"{path} is not a lock file of its own (a pipe, a device or a hard link): remove it"
            )
    held = Held(path)
    the_lock = filelock.FileLock(path, timeout=0, on_acquired=held.acquired)
    try:
        the_lock.acquire()
    except filelock.Timeout:
        who = f"another build (pid {pid})" if (pid := _holder(path)) else "another build"
        raise Locked(f"{who} holds the lock {path}; wait for it to finish and run this one again") from None
    except OSError as exc:
        raise FolderError(
            link if exc.errno == errno.ELOOP else f"cannot take the lock {path} ({reason(exc)})"
        ) from None
    try:
        yield held
    finally:
        the_lock.release()

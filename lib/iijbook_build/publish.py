"""Publish a build all or nothing: the site, the executed copies, the cache and the status together.

What a build publishes is first laid out in full in ``publish.partial/``
(copies take space and time, and may fail: disk full, a signal). Only then is
that folder renamed ``publish.ready``, the commit point, and its parts are
moved into place by renames, which need no space. If the build dies during the
moves (``kill -9``, power), the next build finds ``publish.ready`` and finishes
them before anything else (:func:`recover`); if it died before the commit
point, the next build throws ``publish.partial`` away. Either way the published
state is one build's, never a mix.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> (folder / "site").mkdir(); _ = (folder / "site" / "index.html").write_text("new")
>>> prepare(folder, Publication(site=folder / "site", executed={}, cache={}, status="{}"))
>>> commit(folder)
>>> (folder / "html" / "index.html").read_text(), (folder / "status.json").read_text()
('new', '{}')
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PARTIAL, READY, OLD = "publish.partial", "publish.ready", "publish.old"

#: The published folders, replaced whole.
FOLDERS = ("html", "executed")


class PublishError(RuntimeError):
    """Publishing failed before its commit point: nothing published changed."""


@dataclass
class Publication:
    """What one build publishes."""

    site: Path  #: the rendered site, copied into ``html/``
    executed: dict[str, Path]  #: every chapter's executed copy, by chapter name
    cache: dict[str, Path]  #: new cache entries, by file name
    status: str  #: the text of ``status.json``


def digest(path: Path) -> str:
    """The SHA-256 of a file's bytes: what a cache entry's ``.sha256`` sidecar holds."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: What must be a folder, and what a file, where the publication goes.
_SHAPES = {"html": "folder", "executed": "folder", "cache": "folder", "status.json": "file"}


def _check_shapes(folder: Path) -> None:
    """Refuse, before anything is laid out, a target of the wrong kind (which would stop the moves)."""
    for name, shape in _SHAPES.items():
        path = folder / name
        if path.is_symlink():
            raise PublishError(f"{path} is a symbolic link; a build never follows one: remove it")
        if path.exists() and (path.is_dir() if shape == "file" else not path.is_dir()):
            other = "folder" if shape == "file" else "file"
            raise PublishError(f"{path} is a {other}, where the build keeps a {shape}: remove it")


def prepare(folder: Path, pub: Publication) -> None:
    """Lay out ``pub`` in ``publish.partial/``, then rename it ``publish.ready`` (the commit point).

    Copies, never links: a published file edited in place must not change a
    cache entry. Each cache entry gets a ``.sha256`` sidecar, so that an entry
    changed after it was filed is never served. On any failure, or a signal,
    what was laid out is removed and :class:`PublishError` (or the signal's
    exception) is raised: nothing published has changed.
    """
    partial = folder / PARTIAL
    try:
        _check_shapes(folder)
        _remove(partial)
        partial.mkdir()
        shutil.copytree(pub.site, partial / "html", symlinks=True)
        (partial / "executed").mkdir()
        for name, src in pub.executed.items():
            shutil.copyfile(src, partial / "executed" / f"{name}.ipynb")
        (partial / "cache").mkdir()
        for name, src in pub.cache.items():
            shutil.copyfile(src, partial / "cache" / name)
            (partial / "cache" / f"{name}.sha256").write_text(digest(src) + "\n")
        (partial / "status.json").write_text(pub.status, encoding="utf-8")
        partial.rename(folder / READY)  # the commit point
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
            src, dst, why = exc.args[0][0]  # copytree lists every file it could not copy: the first says why
            raise PublishError(
                f"could not lay out the new site: {why} ({dst}); the site, the executed copies, the cache "
                "and the status were not changed"
            ) from None
        if isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            raise PublishError(
                f"could not lay out the new site: {exc.strerror or exc}{where}; the site, the executed "
                "copies, the cache and the status were not changed"
            ) from None
        raise


def commit(folder: Path) -> None:
    """Move a prepared publication into place: renames only, safe to run again if cut short."""
    _apply(folder)


def _apply(folder: Path) -> None:
    """Move a ready publication into place; safe to run again after it was cut short."""
    ready, old = folder / READY, folder / OLD
    old.mkdir(exist_ok=True)
    for name in FOLDERS:
        new, live = ready / name, folder / name
        if not new.exists():
            continue  # moved already
        if live.exists():
            if (old / name).exists():
                shutil.rmtree(old / name)
            live.rename(old / name)
        new.rename(live)
    if (ready / "cache").exists():
        (folder / "cache").mkdir(exist_ok=True)
        for entry in (ready / "cache").iterdir():
            os.replace(entry, folder / "cache" / entry.name)
    if (ready / "status.json").exists():
        os.replace(ready / "status.json", folder / "status.json")
    shutil.rmtree(old)
    shutil.rmtree(ready)


def _remove(path: Path) -> None:
    """Remove whatever stands at ``path`` (a folder, a file, a link), never following a link."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


#: What a ready publication holds, and of which kind each part must be.
_READY_SHAPES = {"html": "folder", "executed": "folder", "cache": "folder", "status.json": "file"}


def _well_formed(ready: Path) -> bool:
    """True if ``ready`` is a publication as :func:`prepare` lays one out (and nothing else)."""
    if ready.is_symlink() or not ready.is_dir():
        return False
    for entry in ready.iterdir():
        shape = _READY_SHAPES.get(entry.name)
        if shape is None or entry.is_symlink():
            return False
        if (shape == "folder") != entry.is_dir():
            return False
    for sub in ("html", "executed", "cache"):
        for dirpath, dirnames, filenames in os.walk(ready / sub):
            if any(Path(dirpath, n).is_symlink() for n in (*dirnames, *filenames)):
                return False
    return True


def recover(folder: Path) -> str | None:
    """Finish a publication cut short after its commit point, or drop one cut short before it.

    A ``publish.ready`` that is not what :func:`prepare` lays out (junk, a link, a
    part of the wrong kind) was not left by a build: it is removed, never moved in.
    Returns a sentence saying what was done, or None when there was nothing to do.
    """
    said = None
    ready = folder / READY
    if ready.is_symlink() or ready.exists():
        old = folder / OLD
        if old.is_symlink() or (old.exists() and not old.is_dir()):
            _remove(old)
        if _well_formed(ready):
            _apply(folder)
            said = "finished publishing the build that was stopped while it published"
        else:
            _remove(ready)
            said = f"removed {ready}, which no build laid out"
    for leftover in (PARTIAL, OLD, "html.incoming", "html.outgoing"):
        path = folder / leftover
        if path.is_symlink() or path.exists():
            _remove(path)
            said = said or "removed what a stopped build left half laid out"
    return said

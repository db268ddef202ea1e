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
>>> publish(folder, Publication(site=folder / "site", executed={}, cache={}, status="{}"))
>>> (folder / "html" / "index.html").read_text(), (folder / "status.json").read_text()
('new', '{}')
"""

from __future__ import annotations

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


def _link_or_copy(src: Path, dst: Path) -> None:
    """A hard link when possible (published files are replaced, never edited), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _prepare(folder: Path, pub: Publication) -> Path:
    partial = folder / PARTIAL
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    shutil.copytree(pub.site, partial / "html")
    (partial / "executed").mkdir()
    for name, src in pub.executed.items():
        _link_or_copy(src, partial / "executed" / f"{name}.ipynb")
    (partial / "cache").mkdir()
    for name, src in pub.cache.items():
        _link_or_copy(src, partial / "cache" / name)
    (partial / "status.json").write_text(pub.status, encoding="utf-8")
    return partial


def publish(folder: Path, pub: Publication) -> None:
    """Replace the published state in ``folder`` with ``pub``, all or nothing.

    Raises :class:`PublishError` (with everything of this attempt removed) if
    the new state cannot be laid out; after the commit point it cannot fail
    short of the machine stopping, and :func:`recover` completes it then.
    """
    try:
        partial = _prepare(folder, pub)
    except BaseException as exc:
        shutil.rmtree(folder / PARTIAL, ignore_errors=True)
        if isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            raise PublishError(
                f"could not lay out the new site: {exc.strerror or exc}{where}; the site, the executed "
                "copies, the cache and the status were not changed"
            ) from None
        raise
    partial.rename(folder / READY)  # the commit point
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


def recover(folder: Path) -> str | None:
    """Finish a publication cut short after its commit point, or drop one cut short before it.

    Returns a sentence saying what was done, or None when there was nothing to do.
    """
    said = None
    if (folder / READY).exists():
        _apply(folder)
        said = "finished publishing the build that was stopped while it published"
    for leftover in (PARTIAL, OLD, "html.incoming", "html.outgoing"):
        if (folder / leftover).exists():
            shutil.rmtree(folder / leftover)
            said = said or "removed what a stopped build left half laid out"
    return said

"""Where the data files are, and one hash over them (no pandas: the build uses it at start-up).

>>> data_dir().name
'data'
>>> len(data_hash())
16
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .inputs import chunks


def data_dir() -> Path:
    """The folder holding the data files.

    ``IIJBOOK_DATA_DIR`` overrides it (the tests use that to load broken
    copies); otherwise it is ``data/`` at the top of the project.
    """
    override = os.environ.get("IIJBOOK_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "data"


def data_hash(directory: Path | None = None) -> str:
    """A short SHA-256 over every data file (names and bytes), for status pages and caches.

    Regular files only (a named pipe or device in the folder is left out, never
    opened), read in pieces through :func:`iijbook.inputs.chunks`; a file that
    cannot be read raises :class:`iijbook.inputs.InputError` naming it.
    """
    h = hashlib.sha256()
    root = directory or data_dir()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(os.fsencode(path.relative_to(root).as_posix()))
            for chunk in chunks(path, "data file"):
                h.update(chunk)
    return h.hexdigest()[:16]

"""Where the data files are (no pandas: the build uses it at start-up).

>>> data_dir().name
'data'
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The folder holding the data files.

    ``IIJBOOK_DATA_DIR`` overrides it (the tests use that to load broken
    copies); otherwise it is ``data/`` at the top of the project.
    """
    override = os.environ.get("IIJBOOK_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "data"

"""Helper package for the IIJ 2Q FY2002 analysis book.

One job a module:

- :mod:`iijbook.data`: load and validate the data files, look figures up
- :mod:`iijbook.schema`: the data files' schemas (types, units, ranges)
- :mod:`iijbook.periods`: IIJ's April-March fiscal calendar
- :mod:`iijbook.metrics`: growth, implied priors, margins, rates, rounding intervals
- :mod:`iijbook.fmt`: ¥10.6B, $86.8M, 7.3%
- :mod:`iijbook.theme`: the one Altair theme
- :mod:`iijbook.render`: the offline Altair renderer (the build writes its local Vega bundle)
- :mod:`iijbook.params`: a chapter's parameters, read from its parameters cell, and their checks

The build tool (papermill, then jupyter-book; the command ``iijbook``) is the
package ``iijbook_build`` beside this one: no chapter imports it, and editing
it re-runs no chapter. It reads every file through its guarded reader and checks
the data files line by line before any chapter runs.

A chapter starts with ``iijbook.setup()``, which turns on the theme and the
offline renderer.
"""

from __future__ import annotations

__version__ = "0.1.0"


def setup() -> None:
    """Enable the book's Altair theme and offline renderer (call once per notebook)."""
    from . import render, theme

    theme.register()
    render.enable()

"""Japan's broadband market: the monthly subscriber series and the window a projection may fit.

The monthly DSL, CATV and FTTH series in ``data/japan_broadband_monthly.csv`` (month-end counts, months
missing) one technology at a time, and the observations a projection may use up to a cut-off. The chapter
does its own arithmetic on them; its parameters check asks :func:`window` whether a cut-off leaves enough
observations for a fit (:data:`MIN_POINTS`).

>>> len(window("DSL", "2002-10", 12)) >= MIN_POINTS
True
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd

from .data import broadband_monthly, data_dir

TECHNOLOGIES: tuple[str, ...] = ("DSL", "CATV", "FTTH")
#: A fit needs at least this many observations in its window (a logistic has three unknowns).
MIN_POINTS = 5

_MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")


def month_index(month: str) -> int:
    """A month ``YYYY-MM`` as a count of months (``year * 12 + month - 1``), for arithmetic.

    >>> month_index("2002-10") - month_index("2000-03")
    31
    """
    if not isinstance(month, str) or not _MONTH.match(month):
        raise ValueError(f"not a month: {month!r} (write YYYY-MM, e.g. 2002-10)")
    return int(month[:4]) * 12 + int(month[5:]) - 1


def series(technology: str) -> pd.DataFrame:
    """One technology's month-end subscribers: ``month`` (YYYY-MM), ``m`` (month index), ``subscribers``,
    ``approx``, ``source``, oldest first.

    >>> s = series("FTTH"); s.month.iloc[0], int(s.subscribers.iloc[0])
    ('2002-01', 12337)
    """
    if technology not in TECHNOLOGIES:
        raise ValueError(f"technology must be one of {TECHNOLOGIES}, got {technology!r}")
    return _series(technology, str(data_dir())).copy()


@cache
def _series(technology: str, directory: str) -> pd.DataFrame:
    """:func:`series`, loaded and validated once per data folder (the chapter reads it many times)."""
    t = broadband_monthly()
    t = t[t["technology"] == technology].copy()
    t["month"] = t["month_end"].dt.strftime("%Y-%m")
    t["m"] = t["month"].map(month_index)
    return t[["month", "m", "subscribers", "approx", "source"]].reset_index(drop=True)


def window(technology: str, cutoff: str, window_months: int) -> pd.DataFrame:
    """The observations a fit may use: months in (cut-off − window, cut-off].

    >>> window("DSL", "2002-10", 12).month.tolist()[:3]
    ['2001-12', '2002-01', '2002-03']
    """
    if window_months < 1:
        raise ValueError(f"the fit window must be at least one month, got {window_months}")
    c = month_index(cutoff)
    s = series(technology)
    return s[(s["m"] <= c) & (s["m"] > c - window_months)].reset_index(drop=True)

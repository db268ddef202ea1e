"""IIJ's results as reported after the release, and the FY2001 base they imply.

IIJ's later reports (``data/iij_reported_later.csv``) say what came of the release's guidance. This
module keeps what several chapters share: a later-reported figure with the interval its printed form
allows, and FY2001 revenues, which the release does not print: as IIJ published them in May 2002 (the
base every page takes), and as the later FY2002 report implies them (the cross-check):

>>> later_figure("total_revenues", "FY2002").printed
'JPY44.0B'
>>> round(fy2001_implied().value / 1e9, 2)          # 44.0 / 1.103
39.89
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .data import context, reported_later
from .derived import Derived
from .metrics import Interval, implied_prior, precision_of
from .periods import FiscalPeriod


@dataclass(frozen=True)
class LaterFigure:
    """One figure IIJ reported after the release, with its source and rounding interval."""

    metric: str
    period: str
    value: float
    interval: Interval
    printed: str
    source: str
    note: str


def _printed_token(value: float, unit: str, note: str) -> str | None:
    """How the source printed ``value``, found in its note (``JPY44.0B``, ``10.3%``), if it is there."""
    candidates: list[str] = []
    for d in (0, 1, 2):
        if unit == "JPY":
            candidates += [f"JPY{abs(value) / 1e9:.{d}f}B", f"JPY{abs(value) / 1e6:.{d}f}M"]
        elif unit == "ratio":
            candidates.append(f"{value * 100:.{d}f}%")
    for token in candidates:
        if re.search(r"(?<![\d.])" + re.escape(token) + r"(?![\d])", note):
            return token
    return None


def later_figure(metric: str, period: str) -> LaterFigure:
    """A later-reported figure by metric and period, with the interval its printed form allows.

    The precision is read from the figure as its source printed it (kept in
    the note column): "JPY44.0B" stands for ¥43.95B to ¥44.05B. A figure whose
    printed form is not in the note is taken as exact.

    >>> f = later_figure("total_revenues", "FY2002")
    >>> f.printed, f.interval.lo / 1e9, f.interval.hi / 1e9
    ('JPY44.0B', 43.95, 44.05)
    >>> later_figure("revenue_growth_yoy", "3Q02").interval
    Interval(lo=0.0625, hi=0.0635)
    """
    table = reported_later()
    label = str(FiscalPeriod.parse(period))
    rows = table[(table["metric"] == metric) & (table["period"] == label)]
    if rows.empty:
        raise KeyError(f"no later-reported {metric!r} for {period!r} in iij_reported_later.csv")
    r = rows.iloc[0]
    value = float(r["value"])
    note = r["note"] if isinstance(r["note"], str) else ""
    token = _printed_token(value, r["unit"], note)
    if token is None:
        interval = Interval.exact(value)
    else:
        iv = Interval.around(value, precision_of(token))
        interval = Interval(round(iv.lo, 12), round(iv.hi, 12))
    return LaterFigure(metric, label, value, interval, token or str(value), r["source"], note)


def fy2001_implied() -> Derived:
    """FY2001 total revenues implied by IIJ's later FY2002 report.

    FY2001 = FY2002 / (1 + FY2002 YoY growth) = ¥44.0B / 1.103 = ¥39.89B
    (between 43.95 / 1.1035 = ¥39.83B and 44.05 / 1.1025 = ¥39.95B).

    >>> d = fy2001_implied()
    >>> round(d.interval.lo / 1e9, 2), round(d.interval.hi / 1e9, 2)
    (39.83, 39.95)
    """
    rev = later_figure("total_revenues", "FY2002")
    g = later_figure("revenue_growth_yoy", "FY2002")
    return Derived(
        "FY2001 total revenues",
        "FY2001",
        implied_prior(rev.value, g.value),
        implied_prior(rev.interval, g.interval),
        f"FY2002 / (1 + YoY growth) = ¥{rev.value / 1e9:.1f}B / {1 + g.value:.3f}",
    )


def fy2001_base(fy2001_revenue_jpy: float | None) -> tuple[float, str]:
    """The FY2001 revenue a page uses, and where it comes from.

    ``None`` takes FY2001 revenues as IIJ published them in May 2002, six months before the
    release (``data/iij_context.csv``); IIJ's later FY2002 report implies the same figure
    within rounding (:func:`fy2001_implied`). A number is a reader's own assumption.

    >>> v, why = fy2001_base(None); v / 1e9, why.startswith("as IIJ published it in May 2002 (¥39.9B)")
    (39.9, True)
    >>> fy2001_base(40e9)
    (40000000000.0, 'set as a parameter of this page')
    """
    if fy2001_revenue_jpy is None:
        row = context().set_index("id").loc["total_revenues_fy2001_may2002"]
        return (
            float(row["value"]),
            f"as IIJ published it in May 2002 (¥{row['value'] / 1e9:.1f}B), six months before this release",
        )
    if fy2001_revenue_jpy <= 0:
        raise ValueError(f"FY2001 revenue must be positive, got {fy2001_revenue_jpy!r}")
    return float(fy2001_revenue_jpy), "set as a parameter of this page"

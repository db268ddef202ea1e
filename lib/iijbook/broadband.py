"""Japan's broadband market: the release's slide, the monthly series, a projection, peers.

The release's *Japan's Broadband* slide prints a handful of market figures
(Internet penetration, mobile phones, mobile Internet, ADSL, CATV Internet,
FTTH). This module derives what they imply, reads the monthly DSL, CATV and
FTTH series in ``data/japan_broadband_monthly.csv`` (month-end counts, with
months missing), fits a simple projection on the months up to a cut-off and
compares Japan with its peers per 100 inhabitants.

>>> round(release_cagrs()[1].value, 3)           # mobile Internet, 7.5M to 56.3M in 29 months
1.303
>>> check_release_figure("adsl_2002_10").inside  # 4.6 Million against 4,639,545
True
>>> p = fit_projection("DSL", "2002-10", "linear", window_months=12)
>>> round(p.at("2003-12") / 1e6, 2)                 # against 10.27 million recorded
8.89
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from .data import broadband_monthly, broadband_per_100, data_dir, figure
from .derived import Derived
from .metrics import Interval, cagr

TECHNOLOGIES: tuple[str, ...] = ("DSL", "CATV", "FTTH")
MODELS: tuple[str, ...] = ("linear", "exponential", "logistic")
#: A fit needs at least this many observations in its window (a logistic has three unknowns).
MIN_POINTS = 5
#: Average monthly net additions from which a series counts as having "taken off".
TAKEOFF_NET_ADDS = 100_000
#: The last month the monthly series covers: projections are judged there.
LAST_MONTH = "2003-12"
#: Ceilings the logistic tries: from 1.01 to 100 times the largest observation, evenly on a log scale.
CEILING_GRID = (1.01, 100.0, 600)

#: The release's market figures checked against the series, and the series each belongs to.
RELEASE_SERIES: dict[str, str] = {
    "adsl_2000_03": "DSL",
    "adsl_2002_10": "DSL",
    "catv_internet_2000_03": "CATV",
    "catv_internet_2002_09": "CATV",
    "ftth_2002_09": "FTTH",
}

_MONTH = re.compile(r"^(19|20)\d\d-(0[1-9]|1[0-2])$")


# ---------------------------------------------------------------------------- months


def month_index(month: str) -> int:
    """A month ``YYYY-MM`` as a count of months (``year * 12 + month - 1``), for arithmetic.

    >>> month_index("2002-10") - month_index("2000-03")
    31
    """
    if not isinstance(month, str) or not _MONTH.match(month):
        raise ValueError(f"not a month: {month!r} (write YYYY-MM, e.g. 2002-10)")
    return int(month[:4]) * 12 + int(month[5:]) - 1


def month_label(index: int) -> str:
    """The inverse of :func:`month_index`.

    >>> month_label(month_index("2002-10") + 14)
    '2003-12'
    """
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(start: str, end: str) -> int:
    """Whole months from the end of ``start`` to the end of ``end``.

    >>> months_between("2000-03", "2002-08")     # the mobile Internet figures
    29
    """
    return month_index(end) - month_index(start)


# ---------------------------------------------------------------------------- the release's slide


def _cagr_derived(name: str, start_id: str, end_id: str) -> Derived:
    start, end = figure(start_id), figure(end_id)
    months = months_between(start.as_of, end.as_of)
    years = months / 12
    value = cagr(start.value, end.value, years)
    # CAGR rises with the end value and falls with the start value, so the corners give the range.
    lo = cagr(start.interval.hi, end.interval.lo, years)
    hi = cagr(start.interval.lo, end.interval.hi, years)
    return Derived(
        name,
        f"{start.as_of} to {end.as_of}",
        value,
        Interval(lo, hi),
        f"({end.printed} / {start.printed}) ^ (12 / {months}) − 1",
        unit="ratio",
        inputs=(start_id, end_id),
    )


def release_cagrs() -> list[Derived]:
    """The compound annual growth rates that the slide's pairs of figures imply.

    CAGR = (end / start) ^ (12 / months) − 1, with the range the printed
    precision allows (smallest end over largest start, and the reverse).

    - Internet penetration, 21.4% (1999/12) to 44.0% (2001/12), 24 months:
      (0.440 / 0.214) ^ 0.5 − 1 = 2.0561 ^ 0.5 − 1 = 0.434
    - mobile Internet, 7.5M (2000/3) to 56.3M (2002/8), 29 months:
      7.5067 ^ (12 / 29) − 1 = 1.303
    - ADSL, 211 (2000/3) to 4.6M (2002/10), 31 months:
      21,801 ^ (12 / 31) − 1 = e^(9.9897 × 0.3871) − 1 = 46.798 (×47.8 a year)
    - CATV Internet, 0.2M (2000/3) to 1.8M (2002/9), 30 months:
      9 ^ 0.4 − 1 = 1.408, anywhere from 1.178 (1.75 / 0.25) to 1.732 (1.85 / 0.15)

    >>> [round(d.value, 3) for d in release_cagrs()]
    [0.434, 1.303, 46.798, 1.408]
    >>> c = release_cagrs()[3].interval; round(c.lo, 3), round(c.hi, 3)
    (1.178, 1.732)
    """
    return [
        _cagr_derived(
            "Internet penetration, annual growth",
            "internet_penetration_1999_12",
            "internet_penetration_2001_12",
        ),
        _cagr_derived(
            "mobile Internet subscribers, CAGR", "mobile_internet_2000_03", "mobile_internet_2002_08"
        ),
        _cagr_derived("ADSL subscribers, CAGR", "adsl_2000_03", "adsl_2002_10"),
        _cagr_derived("CATV Internet subscribers, CAGR", "catv_internet_2000_03", "catv_internet_2002_09"),
    ]


MAN = 10_000  # the Japanese unit 万


def mobile_phones_read_as_man() -> Derived:
    """The slide's "7,160 terminals" read as 7,160 *man* (ten-thousands): 7,160 × 10,000.

    >>> d = mobile_phones_read_as_man(); d.value / 1e6, d.interval.lo / 1e6, d.interval.hi / 1e6
    (71.6, 71.595, 71.605)
    """
    f = figure("mobile_phones_2002_08")
    value = f.value * MAN
    return Derived(
        "mobile phones, read as man (万)",
        f.as_of,
        value,
        Interval.around(value, MAN),
        f"{f.printed.split()[0]} × 10,000",
        unit="terminals",
        inputs=(f.id,),
    )


def mobile_internet_share() -> Derived:
    """Mobile Internet subscribers per mobile phone in 2002/8, with phones read as *man*.

    share = 56.3M / 71.6M = 0.786; rounding allows 56.25 / 71.605 = 0.7856 to 56.35 / 71.595 = 0.7871.

    >>> d = mobile_internet_share(); round(d.value, 4), round(d.interval.lo, 4), round(d.interval.hi, 4)
    (0.7863, 0.7856, 0.7871)
    """
    internet = figure("mobile_internet_2002_08")
    phones = mobile_phones_read_as_man()
    return Derived(
        "mobile Internet subscribers per mobile phone",
        internet.as_of,
        internet.value / phones.value,
        internet.interval / phones.interval,
        f"{internet.printed} / {phones.value / 1e6:.1f} Million",
        unit="ratio",
        inputs=(internet.id, "mobile_phones_2002_08"),
    )


def literal_reading_ratio() -> float:
    """Mobile Internet subscribers per terminal if "7,160 terminals" were taken literally.

    56,300,000 / 7,160 = 7,863 subscribers for every handset: impossible, hence the *man* reading.

    >>> round(literal_reading_ratio())
    7863
    """
    return figure("mobile_internet_2002_08").value / figure("mobile_phones_2002_08").value


# ---------------------------------------------------------------------------- the monthly series


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
    """:func:`series`, loaded and validated once per data folder (fits call it many times)."""
    t = broadband_monthly()
    t = t[t["technology"] == technology].copy()
    t["month"] = t["month_end"].dt.strftime("%Y-%m")
    t["m"] = t["month"].map(month_index)
    return t[["month", "m", "subscribers", "approx", "source"]].reset_index(drop=True)


def value_at(technology: str, month: str) -> float | None:
    """The series' value at a month end, or ``None`` if that month is missing.

    >>> value_at("DSL", "2002-10"), value_at("DSL", "2002-09")
    (4639545.0, None)
    """
    s = series(technology)
    rows = s[s["month"] == month]
    return None if rows.empty else float(rows["subscribers"].iloc[0])


def net_adds(technology: str) -> pd.DataFrame:
    """Average monthly net additions between consecutive observations.

    per_month = (subscribers − previous subscribers) / months between them; months
    are missing from the series, so a step can span two or three months. DSL from
    2002-08 (3,915,740) to 2002-10 (4,639,545): 723,805 / 2 = 361,902.5 a month.

    >>> n = net_adds("DSL").set_index("month")
    >>> int(n.loc["2002-10", "months"]), float(n.loc["2002-10", "per_month"])
    (2, 361902.5)
    """
    s = series(technology)
    out = s[["month", "subscribers"]].copy()
    out["months"] = s["m"].diff()
    out["change"] = s["subscribers"].diff()
    out["per_month"] = out["change"] / out["months"]
    out = out.dropna().reset_index(drop=True)
    out["months"] = out["months"].astype(int)
    out.insert(0, "technology", technology)
    return out


def yoy(technology: str) -> pd.DataFrame:
    """Year-on-year growth wherever the series has the same month a year earlier.

    growth = subscribers / subscribers 12 months before − 1. DSL at 2002-12:
    5,645,728 / 1,524,348 − 1 = 2.704.

    >>> y = yoy("DSL").set_index("month")
    >>> round(float(y.loc["2002-12", "growth"]), 3)
    2.704
    """
    s = series(technology)
    earlier = s.set_index("m")["subscribers"]
    out = s[["month", "m", "subscribers"]].copy()
    out["year_before"] = out["m"].map(lambda m: earlier.get(m - 12))
    out = out.dropna(subset=["year_before"]).copy()
    out["growth"] = out["subscribers"] / out["year_before"] - 1
    out.insert(0, "technology", technology)
    return out.drop(columns="m").reset_index(drop=True)


def year_end_table() -> pd.DataFrame:
    """December figures for each technology: subscribers, net additions in the year, YoY growth.

    Net additions in a year = December − the December before. DSL in 2002:
    5,645,728 − 1,524,348 = 4,121,380.

    >>> t = year_end_table().set_index(["technology", "year"])
    >>> int(t.loc[("DSL", 2002), "net_adds"])
    4121380
    """
    rows = []
    for tech in TECHNOLOGIES:
        s = series(tech)
        dec = s[s["month"].str.endswith("-12")].set_index("m")["subscribers"]
        for m, value in dec.items():
            before = dec.get(m - 12)
            rows.append(
                {
                    "technology": tech,
                    "year": int(m // 12),
                    "subscribers": value,
                    "net_adds": None if before is None else value - before,
                    "growth": None if before is None else value / before - 1,
                }
            )
    return pd.DataFrame(rows)


def takeoff_month(technology: str, threshold: float = TAKEOFF_NET_ADDS) -> str | None:
    """The first month whose average monthly net additions reach ``threshold``.

    DSL: 2001-06 adds (291,333 − 70,655) / 3 = 73,559 a month; 2001-07 adds
    400,760 − 291,333 = 109,427, the first step above 100,000.

    >>> takeoff_month("DSL"), takeoff_month("CATV")
    ('2001-07', None)
    """
    n = net_adds(technology)
    hit = n[n["per_month"] >= threshold]
    return None if hit.empty else str(hit["month"].iloc[0])


def peak_net_adds(technology: str) -> tuple[str, float]:
    """The step with the highest average monthly net additions: (month, per month).

    DSL: 2002-11 to 2002-12, 5,645,728 − 5,117,867 = 527,861.

    >>> peak_net_adds("DSL")
    ('2002-12', 527861.0)
    """
    n = net_adds(technology)
    row = n.loc[n["per_month"].idxmax()]
    return str(row["month"]), float(row["per_month"])


def first_month_above(technology: str, other: str) -> str | None:
    """The first month, among those both series have, in which ``technology`` exceeds ``other``.

    DSL 650,796 < CATV 1,151,000 at 2001-09; DSL 1,524,348 > CATV 1,300,000 at 2001-12.

    >>> first_month_above("DSL", "CATV")
    '2001-12'
    """
    a = series(technology).set_index("month")["subscribers"]
    b = series(other).set_index("month")["subscribers"]
    common = a.index.intersection(b.index).sort_values()
    above = [m for m in common if a[m] > b[m]]
    return above[0] if above else None


def total_at(month: str) -> float:
    """DSL + CATV + FTTH at a month end; raises if a series lacks that month.

    2003-12: 10,272,052 + 2,475,000 + 894,259 = 13,641,311.

    >>> total_at("2003-12")
    13641311.0
    """
    values = {tech: value_at(tech, month) for tech in TECHNOLOGIES}
    missing = [tech for tech, v in values.items() if v is None]
    if missing:
        raise ValueError(f"no {', '.join(missing)} figure for {month} in japan_broadband_monthly.csv")
    return float(sum(values.values()))


def share_at(technology: str, month: str) -> float:
    """One technology's share of DSL + CATV + FTTH at a month end.

    DSL at 2002-10: 4,639,545 / (4,639,545 + 1,852,000 + 138,030) = 4,639,545 / 6,629,575 = 0.700.

    >>> round(share_at("DSL", "2002-10"), 3)
    0.7
    """
    value = value_at(technology, month)
    if value is None:
        raise ValueError(f"no {technology} figure for {month}")
    return value / total_at(month)


# ---------------------------------------------------------------------------- the release against the series


@dataclass(frozen=True)
class SeriesCheck:
    """One of the release's figures set against the monthly series."""

    figure_id: str
    technology: str
    month: str
    printed: str
    interval: Interval
    series_value: float | None
    basis: str
    source: str

    @property
    def inside(self) -> bool | None:
        """Whether the series' value lies in the range the printed figure allows (None: no value)."""
        return None if self.series_value is None else self.series_value in self.interval

    @property
    def difference(self) -> float | None:
        """series value / printed value − 1."""
        f = figure(self.figure_id)
        return None if self.series_value is None else self.series_value / f.value - 1


def _independent(source: str) -> bool:
    """A row of the series is independent of the release unless its source is the release alone."""
    return not (source.startswith("the release") and "also" not in source)


def check_release_figure(figure_id: str) -> SeriesCheck:
    """Set one of the release's market figures against the monthly series.

    Where the series' own row for that month comes from the release alone (and so
    cannot check it), the value is interpolated in a straight line between the
    nearest independent observations on either side, if there are any.

    - ADSL 4.6M (2002/10): the series has 4,639,545, inside 4.55M to 4.65M.
    - CATV 1.8M (2002/9): the series' row is the release's own; between 1,758,000
      (2002-08) and 1,852,000 (2002-10) the straight line gives 1,805,000.

    >>> c = check_release_figure("catv_internet_2002_09"); c.series_value, c.inside
    (1805000.0, True)
    """
    f = figure(figure_id)
    tech = RELEASE_SERIES[figure_id]
    s = series(tech)
    month = f.as_of
    m = month_index(month)
    row = s[s["month"] == month]
    if not row.empty and _independent(row["source"].iloc[0]):
        value = float(row["subscribers"].iloc[0])
        basis = "same month"
        source = str(row["source"].iloc[0])
    else:
        indep = s[s["source"].map(_independent)]
        before, after = indep[indep["m"] < m], indep[indep["m"] > m]
        if before.empty or after.empty:
            value, basis = None, "no independent figure: the series' value is the release's own"
            source = "" if row.empty else str(row["source"].iloc[0])
        else:
            b, a = before.iloc[-1], after.iloc[0]
            value = float(
                b["subscribers"] + (a["subscribers"] - b["subscribers"]) * (m - b["m"]) / (a["m"] - b["m"])
            )
            basis = f"interpolated between {b['month']} and {a['month']}"
            source = f"{b['source']}; {a['source']}"
    return SeriesCheck(figure_id, tech, month, f.printed, f.interval, value, basis, source)


def release_checks() -> list[SeriesCheck]:
    """Every market figure of the release that the series covers, checked."""
    return [check_release_figure(i) for i in RELEASE_SERIES]


# ---------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class Projection:
    """A curve fitted to one series' observations in a window ending at a cut-off.

    Time ``x`` is months after the cut-off (0 at the cut-off, negative before it).

    - linear: y = a + b·x (b: subscribers added a month)
    - exponential: ln y = a + b·x (monthly growth e^b − 1)
    - logistic: y = K / (1 + e^−(a + b·x)), ceiling K
    """

    technology: str
    model: str
    cutoff: str
    window_months: int
    months: tuple[str, ...]
    a: float
    b: float
    ceiling: float | None = None
    ceiling_fitted: bool = False

    def at(self, month: str | int) -> float:
        """The projected subscribers at a month (``YYYY-MM`` or a month index)."""
        m = month_index(month) if isinstance(month, str) else int(month)
        x = m - month_index(self.cutoff)
        z = self.a + self.b * x
        if self.model == "linear":
            return float(z)
        if self.model == "exponential":
            return float(math.exp(min(z, 700.0)))
        return float(self.ceiling / (1 + math.exp(-z)))

    @property
    def formula(self) -> str:
        """The fitted curve, in words and numbers."""
        c = self.cutoff
        if self.model == "linear":
            return f"{self.a:,.0f} + {self.b:,.0f} × (months after {c})"
        if self.model == "exponential":
            return f"{math.exp(self.a):,.0f} × {math.exp(self.b):.4f} ^ (months after {c})"
        return f"{self.ceiling:,.0f} / (1 + e^−({self.a:.3f} + {self.b:.4f} × (months after {c})))"


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")


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


def fit_projection(
    technology: str,
    cutoff: str,
    model: str = "linear",
    window_months: int = 12,
    ceiling: float | None = None,
) -> Projection:
    """Fit a projection on the observations up to ``cutoff`` only (least squares, deterministic).

    - linear: a straight line through the window's observations;
    - exponential: a straight line through their logarithms;
    - logistic: for a ceiling K, ln(y / (K − y)) = a + b·x is a straight line; K is
      ``ceiling`` if given, otherwise the K of a fixed grid (600 values from 1.01 to
      100 times the largest observation, evenly spaced on a log scale) whose curve
      leaves the smallest sum of squared errors in subscribers.

    DSL in the 12 months to 2002-10: 9 observations at x = −10, −9, −7, −6, −5, −4,
    −3, −2, 0 (Σx = −46, Σx² = 320) with Σy = 26,884,992 and Σxy = −111,187,698.
    Then Sxx = 320 − 46² / 9 = 84.889, Sxy = −111,187,698 + 46 × 26,884,992 / 9
    = 26,224,483, the slope b = Sxy / Sxx = 308,927 subscribers a month and
    a = ȳ − b·x̄ = 2,987,221 + 308,927 × 5.111 = 4,566,182 at the cut-off; 14
    months later, 2003-12: 4,566,182 + 14 × 308,927 = 8,891,163.

    >>> p = fit_projection("DSL", "2002-10", "linear")
    >>> len(p.months), round(p.b), round(p.a), round(p.at("2003-12"))
    (9, 308927, 4566182, 8891163)
    >>> fit_projection("FTTH", "2002-03", "linear")
    Traceback (most recent call last):
    ...
    ValueError: cut-off 2002-03: only 2 FTTH observation(s) in the 12 months up to it; a fit needs ...
    """
    _check_model(model)
    month_index(cutoff)  # validates the text
    w = window(technology, cutoff, window_months)
    if len(w) < MIN_POINTS:
        raise ValueError(
            f"cut-off {cutoff}: only {len(w)} {technology} observation(s) in the {window_months} months "
            f"up to it; a fit needs at least {MIN_POINTS}: choose a later cut-off or a longer window"
        )
    x = (w["m"] - month_index(cutoff)).to_numpy(dtype=float)
    y = w["subscribers"].to_numpy(dtype=float)
    months = tuple(w["month"])
    if model == "linear":
        b, a = np.polyfit(x, y, 1)
        return Projection(technology, model, cutoff, window_months, months, float(a), float(b))
    if model == "exponential":
        b, a = np.polyfit(x, np.log(y), 1)
        return Projection(technology, model, cutoff, window_months, months, float(a), float(b))
    if ceiling is not None:
        if ceiling <= y.max():
            raise ValueError(
                f"the logistic ceiling {ceiling:,.0f} must exceed the largest observation "
                f"({y.max():,.0f} in the window to {cutoff})"
            )
        candidates = np.array([float(ceiling)])
    else:
        lo, hi, n = CEILING_GRID
        candidates = np.geomspace(y.max() * lo, y.max() * hi, n)
    # Every candidate ceiling at once: z = ln(y / (K − y)) is a straight line a + b·x for each K.
    ks = candidates[:, None]
    z = np.log(y / (ks - y))
    xm = x.mean()
    b_all = ((x - xm) * (z - z.mean(axis=1, keepdims=True))).sum(axis=1) / ((x - xm) ** 2).sum()
    a_all = z.mean(axis=1) - b_all * xm
    fitted = ks / (1 + np.exp(-(a_all[:, None] + b_all[:, None] * x)))
    best = int(np.argmin(((fitted - y) ** 2).sum(axis=1)))  # the first of equal minima: deterministic
    k, a, b = float(candidates[best]), float(a_all[best]), float(b_all[best])
    return Projection(technology, model, cutoff, window_months, months, a, b, k, ceiling is None)


@dataclass(frozen=True)
class ProjectionCheck:
    """A projection set against what the series recorded at a later month."""

    projection: Projection
    month: str
    projected: float
    actual: float

    @property
    def error(self) -> float:
        """projected / actual − 1 (negative: the projection fell short)."""
        return self.projected / self.actual - 1


def check_projection(projection: Projection, month: str = LAST_MONTH) -> ProjectionCheck:
    """The projection at ``month`` against the series' value there.

    >>> c = check_projection(fit_projection("DSL", "2002-10", "linear"))
    >>> c.actual, round(c.error, 3)
    (10272052.0, -0.134)
    """
    actual = value_at(projection.technology, month)
    if actual is None:
        raise ValueError(f"the {projection.technology} series has no figure for {month}")
    if month_index(month) <= month_index(projection.cutoff):
        raise ValueError(f"{month} is not after the cut-off {projection.cutoff}: nothing to check")
    return ProjectionCheck(projection, month, projection.at(month), actual)


def candidate_cutoffs(
    technology: str, window_months: int, first: str = "2000-12", last: str = "2003-06"
) -> list[str]:
    """Every month from ``first`` to ``last`` whose window holds enough observations for a fit.

    >>> c = candidate_cutoffs("DSL", 12); c[0], c[-1], len(c)
    ('2001-06', '2003-06', 25)
    """
    out = []
    for m in range(month_index(first), month_index(last) + 1):
        if len(window(technology, month_label(m), window_months)) >= MIN_POINTS:
            out.append(month_label(m))
    return out


def projection_table(
    technology: str,
    cutoffs: list[str],
    window_months: int,
    ceiling: float | None = None,
    through: str = LAST_MONTH,
) -> pd.DataFrame:
    """Every model's fitted curve for each cut-off, one row a month, from the window's first
    observation to ``through``.

    Columns: ``cutoff``, ``cutoff_index`` (its position in ``cutoffs``), ``model``,
    ``month``, ``date`` (the month's end), ``part`` (``fit`` up to the cut-off,
    ``projection`` after it) and ``projected``. A model that cannot be fitted at a
    cut-off (a fixed logistic ceiling below the data) is left out there.

    For DSL at 2002-10 with a 12-month window the first observation is 2001-12, so
    each model has 25 months (2001-12 to 2003-12), 14 of them after the cut-off:

    >>> t = projection_table("DSL", ["2002-10"], 12)
    >>> len(t), int((t.part == "projection").sum()), sorted(t.model.unique())
    (75, 42, ['exponential', 'linear', 'logistic'])
    """
    rows = []
    end = month_index(through)
    for i, cutoff in enumerate(cutoffs):
        c = month_index(cutoff)
        for model in MODELS:
            try:
                p = fit_projection(technology, cutoff, model, window_months, ceiling)
            except ValueError:
                continue
            for m in range(month_index(p.months[0]), end + 1):
                rows.append(
                    {
                        "cutoff": cutoff,
                        "cutoff_index": i,
                        "model": model,
                        "month": month_label(m),
                        "part": "fit" if m <= c else "projection",
                        "projected": p.at(m),
                    }
                )
    table = pd.DataFrame(rows)
    table["date"] = pd.to_datetime(table["month"]) + pd.offsets.MonthEnd(0)
    return table


def error_table(
    technology: str, cutoffs: list[str], window_months: int, ceiling: float | None = None
) -> pd.DataFrame:
    """Each model's projection for ``LAST_MONTH`` from each cut-off, against the actual figure.

    Columns: ``cutoff``, ``cutoff_index``, ``model``, ``projected``, ``actual``, ``ratio``
    (projected / actual), ``error`` (ratio − 1).
    """
    rows = []
    for i, cutoff in enumerate(cutoffs):
        for model in MODELS:
            try:
                c = check_projection(fit_projection(technology, cutoff, model, window_months, ceiling))
            except ValueError:
                continue
            rows.append(
                {
                    "cutoff": cutoff,
                    "cutoff_index": i,
                    "model": model,
                    "projected": c.projected,
                    "actual": c.actual,
                    "ratio": c.projected / c.actual,
                    "error": c.error,
                }
            )
    table = pd.DataFrame(rows)
    table["date"] = pd.to_datetime(table["cutoff"]) + pd.offsets.MonthEnd(0)
    return table


# ---------------------------------------------------------------------------- Japan and its peers


def per_100(country: str) -> pd.Series:
    """Broadband subscribers per 100 inhabitants for one country (or ``OECD``), by year.

    >>> per_100("Japan").to_dict()
    {2001: 2.2, 2002: 6.1, 2003: 10.7}
    """
    t = broadband_per_100()
    s = t[t["country"] == country].set_index("year")["subscribers_per_100"].sort_index()
    if s.empty:
        raise ValueError(f"no per-100 figures for {country!r} (known: {', '.join(t['country'].unique())})")
    return s


def points_per_year(country: str) -> float:
    """Average gain in subscribers per 100 inhabitants a year, first year to last.

    Japan: (10.7 − 2.2) / (2003 − 2001) = 4.25 points a year.

    >>> points_per_year("Japan"), points_per_year("Korea")
    (4.25, 3.5)
    """
    s = per_100(country)
    return float((s.iloc[-1] - s.iloc[0]) / (s.index[-1] - s.index[0]))


def first_year_above(country: str, other: str) -> int | None:
    """The first year in which ``country`` has more subscribers per 100 than ``other``.

    Japan 6.1 < US 6.9 in 2002; 10.7 > 9.7 in 2003. Japan 6.1 > OECD 4.9 in 2002.

    >>> first_year_above("Japan", "United States"), first_year_above("Japan", "OECD")
    (2003, 2002)
    >>> first_year_above("Japan", "Korea") is None
    True
    """
    a, b = per_100(country), per_100(other)
    years = [y for y in a.index.intersection(b.index) if a[y] > b[y]]
    return int(years[0]) if years else None


def multiple_of(country: str, other: str, year: int) -> float:
    """``other``'s subscribers per 100 as a multiple of ``country``'s in a year.

    Korea against Japan in 2001: 17.2 / 2.2 = 7.82.

    >>> round(multiple_of("Japan", "Korea", 2001), 2)
    7.82
    """
    return float(per_100(other)[year] / per_100(country)[year])


def implied_population(subscribers: float, per_100_value: Interval | float) -> Interval | float:
    """The population that a subscriber count and a per-100 figure imply: subscribers / (per 100 / 100).

    DSL + CATV + FTTH at 2003-12, 13,641,311, at 10.7 per 100: 127.5 million
    (10.65 to 10.75 per 100 allows 126.9 to 128.1 million).

    >>> round(implied_population(13_641_311, 10.7) / 1e6, 1)
    127.5
    """
    return subscribers / (per_100_value / 100)


def multiple(ratio: float) -> str:
    """A growth ratio as a multiple: 2.704 (a rise of 270.4%) → ``×3.7``.

    >>> multiple(2.704), multiple(155.78)
    ('×3.7', '×156.8')
    """
    return f"×{1 + ratio:,.1f}"

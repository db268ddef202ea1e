"""Outlook and hindsight: the release's guidance set against what IIJ reported later.

The release guides 3Q02 revenues of ¥10.5B to ¥11.0B, FY2002 revenue growth of
20% and positive FY2002 operating income. IIJ's later reports
(``data/iij_reported_later.csv``) give 3Q02 revenues of ¥10.6B (up 6.3% YoY),
4Q02 of ¥13.0B, FY2002 of ¥44.0B (up 10.3%) and an operating loss of about
¥1.7B. Everything this module returns is derived from those figures, with its
formula and the interval their rounding allows:

>>> round(fy2001_implied().value / 1e9, 2)          # 44.0 / 1.103
39.89
>>> round(implied_3q01().value / 1e9, 2)            # 10.6 / 1.063
9.97
>>> round(operating_2h02_implied().value / 1e6)     # -1.7B - (-465.2M - 194M)
-1041
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import fmt
from .data import figure, reported_later
from .derived import Derived
from .metrics import Interval, implied_prior, precision_of, required_growth
from .periods import FiscalPeriod
from .profitability import first_half_operating_income
from .revenues import guided_3q02, revenue_history, second_half

# --------------------------------------------------------------------------- formatting

#: Formatting lives in :mod:`iijbook.fmt`; these names stay for the outlook chapter.
nobreak = fmt.nobreak
yen_m = fmt.millions


# --------------------------------------------------------------------------- later figures


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


# --------------------------------------------------------------------------- revenues


def _year_before(period: str) -> Derived:
    """Revenues a year before ``period``, implied by its later-reported revenues and YoY growth.

    year before = revenues / (1 + YoY growth), with the interval their printing allows.
    """
    rev = later_figure("total_revenues", period)
    g = later_figure("revenue_growth_yoy", period)
    earlier = FiscalPeriod.parse(period).year_ago().label
    return Derived(
        f"{earlier} total revenues",
        earlier,
        implied_prior(rev.value, g.value),
        implied_prior(rev.interval, g.interval),
        f"{period} / (1 + YoY growth) = ¥{rev.value / 1e9:.1f}B / {1 + g.value:.3f}",
    )


def fy2001_implied() -> Derived:
    """FY2001 total revenues implied by IIJ's later FY2002 report.

    FY2001 = FY2002 / (1 + FY2002 YoY growth) = ¥44.0B / 1.103 = ¥39.89B
    (between 43.95 / 1.1035 = ¥39.83B and 44.05 / 1.1025 = ¥39.95B).

    >>> d = fy2001_implied()
    >>> round(d.interval.lo / 1e9, 2), round(d.interval.hi / 1e9, 2)
    (39.83, 39.95)
    """
    return _year_before("FY2002")


def fy2001_base(fy2001_revenue_jpy: float | None) -> tuple[float, str]:
    """The FY2001 revenue a page uses, and where it comes from.

    ``None`` takes the value implied by the later FY2002 report; a number is
    a reader's own assumption.

    >>> v, why = fy2001_base(None); round(v / 1e9, 2), why.startswith("implied by")
    (39.89, True)
    >>> fy2001_base(40e9)
    (40000000000.0, 'set as a parameter of this page')
    """
    if fy2001_revenue_jpy is None:
        return (
            fy2001_implied().value,
            "implied by IIJ's later FY2002 report (¥44.0B, up 10.3%), not by this release",
        )
    if fy2001_revenue_jpy <= 0:
        raise ValueError(f"FY2001 revenue must be positive, got {fy2001_revenue_jpy!r}")
    return float(fy2001_revenue_jpy), "set as a parameter of this page"


def implied_3q01() -> Derived:
    """3Q01 total revenues implied by 3Q02's later-reported YoY growth.

    3Q01 = 3Q02 / (1 + YoY growth) = ¥10.6B / 1.063 = ¥9.97B.

    >>> d = implied_3q01()
    >>> round(d.interval.lo / 1e9, 3), round(d.interval.hi / 1e9, 3)
    (9.92, 10.024)
    """
    return _year_before("3Q02")


def implied_4q01() -> Derived:
    """4Q01 total revenues implied by 4Q02's later-reported YoY growth.

    4Q01 = 4Q02 / (1 + YoY growth) = ¥13.0B / 1.077 = ¥12.07B.

    >>> round(implied_4q01().value / 1e9, 2)
    12.07
    """
    return _year_before("4Q02")


def position_in_range(value: float, low: float, high: float) -> float:
    """Where ``value`` falls in a guided range: 0 at the low end, 1 at the high end.

    ``(value - low) / (high - low)``; below 0 or above 1 means outside. 3Q02
    came in at ¥10.6B against ¥10.5B to ¥11.0B: (10.6 - 10.5) / 0.5 = 0.2.

    >>> round(position_in_range(10.6e9, 10.5e9, 11.0e9), 3)
    0.2
    """
    if high <= low:
        raise ValueError(f"a range needs high > low, got {low!r} to {high!r}")
    return (value - low) / (high - low)


@dataclass(frozen=True)
class GuidanceCheck:
    """A later-reported quarter against the range the release guided."""

    low: float
    high: float
    guided: float
    actual: float
    actual_interval: Interval

    @property
    def position(self) -> float:
        """Where the actual falls in the range (0 low end, 1 high end)."""
        return position_in_range(self.actual, self.low, self.high)

    @property
    def inside(self) -> bool:
        """True if every value the actual's rounding allows lies inside the range."""
        return self.low <= self.actual_interval.lo and self.actual_interval.hi <= self.high

    @property
    def miss(self) -> float:
        """Actual less the guided point (negative: below it)."""
        return self.actual - self.guided

    @property
    def miss_ratio(self) -> float:
        """Actual against the guided point, as a growth rate."""
        return required_growth(self.actual, self.guided)


def check_3q02(point: str) -> GuidanceCheck:
    """3Q02 as reported later (¥10.6B) against the release's guidance of ¥10.5B to ¥11.0B.

    >>> c = check_3q02("mid")
    >>> c.inside, round(c.position, 2), round(c.miss / 1e9, 2)
    (True, 0.2, -0.15)
    """
    actual = later_figure("total_revenues", "3Q02")
    return GuidanceCheck(
        low=figure("guide_revenue_low_3q02").value,
        high=figure("guide_revenue_high_3q02").value,
        guided=guided_3q02(point),
        actual=actual.value,
        actual_interval=actual.interval,
    )


def guidance_as_yoy_3q02() -> tuple[float, float]:
    """The 3Q02 guidance read as YoY growth on the 3Q01 that the later report implies.

    low / 3Q01 - 1 = 10.5 / 9.972 - 1 = 5.3%; high: 11.0 / 9.972 - 1 = 10.3%.

    >>> [round(g, 3) for g in guidance_as_yoy_3q02()]
    [0.053, 0.103]
    """
    q3_01 = implied_3q01().value
    return (
        required_growth(figure("guide_revenue_low_3q02").value, q3_01),
        required_growth(figure("guide_revenue_high_3q02").value, q3_01),
    )


@dataclass(frozen=True)
class Hindsight:
    """The FY2002 revenue target against what came."""

    fy2001: float
    target_growth: float
    fy2002_target: float
    fy2002_actual: float
    fy2002_growth_actual: float
    q3_guided: float
    q4_needed_at_guidance: float
    q4_needed_after_3q: float
    q3_actual: float
    q4_actual: float

    @property
    def shortfall(self) -> float:
        """FY2002 target less FY2002 as reported."""
        return self.fy2002_target - self.fy2002_actual

    @property
    def shortfall_share(self) -> float:
        """The shortfall as a share of the target."""
        return self.shortfall / self.fy2002_target

    @property
    def growth_gap(self) -> float:
        """Target growth less reported growth, in fractions (0.097 is 9.7 points)."""
        return self.target_growth - self.fy2002_growth_actual

    @property
    def q4_gap(self) -> float:
        """The 4Q02 the target needed (3Q02 at the guidance point) less the 4Q02 that came."""
        return self.q4_needed_at_guidance - self.q4_actual


def hindsight(fy2001: float, target_growth: float, point: str) -> Hindsight:
    """The +20% year against the year that came.

    FY2002 target = FY2001 × (1 + target); shortfall = target − FY2002 reported;
    4Q02 needed = target − 1H02 − 3Q02 (3Q02 at the guidance point, or as
    reported). With FY2001 = 44.0 / 1.103 = ¥39.89B and the midpoint:

    >>> h = hindsight(44.0e9 / 1.103, 0.20, "mid")
    >>> round(h.fy2002_target / 1e9, 2), round(h.shortfall / 1e9, 2)
    (47.87, 3.87)
    >>> round(h.q4_needed_at_guidance / 1e9, 2), round(h.q4_needed_after_3q / 1e9, 2), h.q4_actual / 1e9
    (16.64, 16.79, 13.0)
    """
    q3_guided = guided_3q02(point)
    sh = second_half(fy2001, target_growth, q3_guided)
    q3 = later_figure("total_revenues", "3Q02").value
    return Hindsight(
        fy2001=fy2001,
        target_growth=target_growth,
        fy2002_target=sh.fy2002_target,
        fy2002_actual=later_figure("total_revenues", "FY2002").value,
        fy2002_growth_actual=later_figure("revenue_growth_yoy", "FY2002").value,
        q3_guided=q3_guided,
        q4_needed_at_guidance=sh.q4_02_needed,
        q4_needed_after_3q=sh.h2_02_needed - q3,
        q3_actual=q3,
        q4_actual=later_figure("total_revenues", "4Q02").value,
    )


def revised_fy2002(fy2001: float) -> float:
    """FY2002 revenues at the growth IIJ guided in February 2003 (10%): ``FY2001 × 1.10``.

    >>> round(revised_fy2002(44.0e9 / 1.103) / 1e9, 2)
    43.88
    """
    return fy2001 * (1 + later_figure("total_revenues_guidance_growth_yoy", "FY2002").value)


# --------------------------------------------------------------------------- operating result


def operating_1h02() -> Derived:
    """1H02 operating income implied by the release, as the profitability chapter derives it.

    1Q02 = 2Q02 / (1 − improvement) = −¥194M / (1 − 0.583) = −¥465.2M
    (:func:`iijbook.metrics.prior_before_improvement`); 1H02 = 1Q02 + 2Q02 = −¥659.2M.
    One derivation, kept in :func:`iijbook.profitability.first_half_operating_income`.

    >>> round(operating_1h02().value / 1e6, 1)
    -659.2
    """
    return first_half_operating_income()


def operating_2h02_implied() -> Derived:
    """2H02 operating income implied by the later FY2002 figure and the release's 1H02.

    2H02 = FY2002 − 1H02 = −¥1.7B − (−¥659.2M) = −¥1,040.8M.

    >>> d = operating_2h02_implied()
    >>> round(d.interval.lo / 1e6), round(d.interval.hi / 1e6)
    (-1093, -989)
    """
    fy = later_figure("operating_income", "FY2002")
    h1 = operating_1h02()
    return Derived(
        "2H02 operating income",
        "2H02",
        fy.value - h1.value,
        fy.interval - h1.interval,
        f"FY2002 − 1H02 = −¥{abs(fy.value) / 1e9:.1f}B − ({fmt.yen(h1.value)})",
    )


def operating_2h02_needed(floor: float | None = None) -> float:
    """The 2H02 operating income that FY2002 operating income above ``floor`` needed.

    FY2002 > floor  ⇔  2H02 > floor − 1H02. The release promises "positive operating income"
    (``floor`` None: the release's floor of zero), so 2H02 needed 0 − (−¥659.2M) = +¥659.2M;
    a reader who reads the promise as at least ¥500M gets 500 + 659.2 = ¥1,159.2M.

    >>> round(operating_2h02_needed() / 1e6, 1), round(operating_2h02_needed(500e6) / 1e6, 1)
    (659.2, 1159.2)
    """
    if floor is None:
        floor = figure("guide_operating_income_min_fy2002").value
    return floor - operating_1h02().value


# --------------------------------------------------------------------------- consistency


@dataclass(frozen=True)
class Check:
    """Two routes to one figure, and whether their rounding intervals overlap."""

    name: str
    route_a: str
    a: Interval
    a_value: float
    route_b: str
    b: Interval
    b_value: float

    @property
    def agree(self) -> bool:
        return self.a.intersect(self.b) is not None


def consistency_checks() -> list[Check]:
    """Do the later figures and the release agree with each other, within their rounding?

    - FY2002 revenues: 1H02 (release) + 3Q02 + 4Q02 (later) against ¥44.0B reported;
    - FY2001 revenues: 1H01 (release) + 3Q01 + 4Q01 (implied by later YoY rates) against 44.0 / 1.103;
    - 3Q02 revenues: 4Q02 / (1 + 23.4% QoQ) against ¥10.6B reported;
    - 2H02 operating income: 3Q02 + 4Q02 (later) against FY2002 − 1H02.

    >>> checks = consistency_checks()
    >>> [(c.name, round(c.a_value / 1e9, 2), round(c.b_value / 1e9, 2), c.agree) for c in checks]
    [('FY2002 total revenues', 44.08, 44.0, True), ('FY2001 total revenues', 39.96, 39.89, True),
     ('3Q02 total revenues', 10.53, 10.6, True), ('2H02 operating income', -1.01, -1.04, True)]
    """
    h = {d.period_label: d for d in revenue_history()}
    q3, q4 = later_figure("total_revenues", "3Q02"), later_figure("total_revenues", "4Q02")
    fy = later_figure("total_revenues", "FY2002")
    q3_01, q4_01, fy01 = implied_3q01(), implied_4q01(), fy2001_implied()
    qoq4 = later_figure("revenue_growth_qoq", "4Q02")
    q3_from_q4 = implied_prior(q4.value, qoq4.value), implied_prior(q4.interval, qoq4.interval)
    op3, op4 = later_figure("operating_income", "3Q02"), later_figure("operating_income", "4Q02")
    op2h = operating_2h02_implied()
    return [
        Check(
            "FY2002 total revenues",
            "1H02 + 3Q02 + 4Q02",
            h["1H02"].interval + q3.interval + q4.interval,
            h["1H02"].value + q3.value + q4.value,
            "as reported later",
            fy.interval,
            fy.value,
        ),
        Check(
            "FY2001 total revenues",
            "1H01 + 3Q01 + 4Q01",
            h["1H01"].interval + q3_01.interval + q4_01.interval,
            h["1H01"].value + q3_01.value + q4_01.value,
            "FY2002 / (1 + YoY growth)",
            fy01.interval,
            fy01.value,
        ),
        Check(
            "3Q02 total revenues",
            "4Q02 / (1 + QoQ growth)",
            q3_from_q4[1],
            q3_from_q4[0],
            "as reported later",
            q3.interval,
            q3.value,
        ),
        Check(
            "2H02 operating income",
            "3Q02 + 4Q02",
            op3.interval + op4.interval,
            op3.value + op4.value,
            "FY2002 − 1H02",
            op2h.interval,
            op2h.value,
        ),
    ]

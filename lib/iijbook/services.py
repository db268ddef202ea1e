"""IIJ's service growth areas for the second half of FY2002, and the metrics whose charts were lost.

The release names four growth areas (IIJ VPN Standard, the CDN platform, CATV
operators and the new data-centre service) and charts two service metrics,
*IP Service ARPU* and *Total Number of Contracts and Bandwidth in Dedicated
Access Services*, whose numbers did not survive. This module lays the growth
areas out by fiscal period and computes what the lost metrics would give once a
reader enters them from the original deck:

>>> round(bandwidth_per_contract_mbps(10, 2000), 1)   # illustrative inputs, not IIJ's
5.0
>>> round(catv_growth().value, 1)                     # CATV internet 0.2M (2000/3) to 1.8M (2002/9)
9.0
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import pandas as pd

from .data import broadband_monthly, figure
from .derived import Derived
from .metrics import Interval, cagr
from .periods import FiscalPeriod

# ---------------------------------------------------------------------------------------------
# The lost service metrics: what they would tell once entered


def arpu(revenue: float, contracts: float, months: int = 1) -> float:
    """Average revenue per user (contract) per month: ``revenue / contracts / months``.

    Illustrative inputs (not IIJ's): ¥600M in a quarter from 2,000 contracts is
    ¥100,000 a contract a month.

    >>> arpu(600e6, 2000, months=3)
    100000.0
    """
    if contracts <= 0 or months <= 0:
        raise ValueError(f"contracts and months must be positive, got {contracts!r} and {months!r}")
    return revenue / contracts / months


def revenue_from_arpu(arpu_jpy: float, contracts: float, months: int = 3) -> float:
    """Revenue a monthly ARPU implies over ``months``: ``ARPU × contracts × months``.

    >>> revenue_from_arpu(100_000, 2000) / 1e6     # a quarter, illustrative inputs
    600.0
    """
    return arpu_jpy * contracts * months


def bandwidth_per_contract_mbps(total_gbps: float, contracts: float) -> float:
    """Average contracted bandwidth in Mbps: ``total Gbps × 1,000 / contracts``.

    >>> bandwidth_per_contract_mbps(1.5, 300)
    5.0
    """
    if contracts <= 0:
        raise ValueError(f"contracts must be positive, got {contracts!r}")
    return total_gbps * 1000 / contracts


def yen_per_mbps(arpu_jpy: float, mbps_per_contract: float) -> float:
    """Monthly price of one Mbps: ``ARPU / Mbps per contract``.

    Meaningful only if the ARPU is per dedicated-access contract; the release's
    *IP Service* footnote, which would say, is lost.

    >>> yen_per_mbps(100_000, 5.0)
    20000.0
    """
    if mbps_per_contract <= 0:
        raise ValueError(f"Mbps per contract must be positive, got {mbps_per_contract!r}")
    return arpu_jpy / mbps_per_contract


# ---------------------------------------------------------------------------------------------
# CATV: the operators IIJ expected, and the market they serve


def catv_reach(operators: float, subscribers_per_operator: float) -> float:
    """Internet subscribers behind the CATV operators that join: ``operators × subscribers each``.

    The subscribers each operator serves are an assumption; the release gives
    only the operators ("more than 10").

    >>> catv_reach(10, 10_000)
    100000.0
    """
    if operators < 0 or subscribers_per_operator < 0:
        raise ValueError("operators and subscribers per operator must not be negative")
    return float(operators * subscribers_per_operator)


def share_of(part: float, whole: float) -> float:
    """``part / whole``: e.g. those subscribers as a share of Japan's 1.8M CATV internet users.

    >>> round(share_of(100_000, 1.8e6), 4)
    0.0556
    """
    if whole <= 0:
        raise ValueError(f"the whole must be positive, got {whole!r}")
    return part / whole


def _years_between(a: str, b: str) -> float:
    """Years between two ``YYYY-MM`` months (month ends alike, so whole months)."""
    ya, ma = (int(x) for x in a.split("-"))
    yb, mb = (int(x) for x in b.split("-"))
    return ((yb - ya) * 12 + (mb - ma)) / 12


def catv_growth() -> Derived:
    """How many times CATV internet subscribers multiplied between the release's two dates.

    1.8M (2002/9) / 0.2M (2000/3) = 9.0; printed to 0.1 million, the start
    allows 0.15M to 0.25M, so the multiple is anywhere from 1.75 / 0.25 = 7.0 to
    1.85 / 0.15 = 12.3.

    >>> d = catv_growth(); round(d.interval.lo, 1), round(d.interval.hi, 1)
    (7.0, 12.3)
    """
    start, end = figure("catv_internet_2000_03"), figure("catv_internet_2002_09")
    return Derived(
        "CATV internet subscribers, 2002/9 over 2000/3",
        "2Q02",
        end.value / start.value,
        end.interval / start.interval,
        f"{end.printed} / {start.printed}",
        unit="multiple",
        inputs=(start.id, end.id),
    )


def catv_cagr() -> Derived:
    """Compound annual growth of CATV internet subscribers from 2000/3 to 2002/9 (2.5 years).

    ``(1.8 / 0.2) ** (1 / 2.5) − 1 = 9 ** 0.4 − 1 = 140.8%``; the rounding of
    0.2M allows 117.8% to 173.2%.

    >>> d = catv_cagr(); round(d.value, 3), round(d.interval.lo, 3), round(d.interval.hi, 3)
    (1.408, 1.178, 1.732)
    """
    start, end = figure("catv_internet_2000_03"), figure("catv_internet_2002_09")
    years = _years_between(start.as_of, end.as_of)
    value = cagr(start.value, end.value, years)
    lo = cagr(start.interval.hi, end.interval.lo, years)
    hi = cagr(start.interval.lo, end.interval.hi, years)
    return Derived(
        "CATV internet subscribers, compound annual growth",
        "2Q02",
        value,
        Interval(lo, hi),
        f"({end.printed} / {start.printed}) ** (1 / {years:g} years) − 1",
        unit="ratio",
        inputs=(start.id, end.id),
    )


def catv_series() -> pd.DataFrame:
    """Japan's CATV internet subscribers by month end, each row with its source.

    >>> s = catv_series(); int(s[s.month_end == "2002-09-30"].subscribers.item())
    1800000
    """
    t = broadband_monthly()
    return t[t["technology"] == "CATV"].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The growth areas the release names, by fiscal period


def _quote(source: str) -> str:
    """The quoted release text inside a data row's source column."""
    m = re.search(r'"(.+?)"', source)
    return m.group(1) if m else source


@dataclass(frozen=True)
class GrowthArea:
    """One growth area the release names: what it says, when, what figure it gives, what is missing."""

    area: str
    says: str
    when: str
    periods: tuple[FiscalPeriod, ...]
    figure: str
    gap: str


def growth_areas() -> list[GrowthArea]:
    """The release's growth areas, in its order, with the fiscal periods they fall in.

    >>> [(g.area, [str(p) for p in g.periods]) for g in growth_areas()][:2]
    [('IIJ VPN Standard', ['3Q02', '2H02']), ('CDN platform', ['2H02'])]
    """
    h2 = FiscalPeriod.parse("2H02")
    q4 = FiscalPeriod.parse("4Q02")
    vpn_launch = FiscalPeriod.quarter_of(dt.date(2002, 11, 1))  # the release: "introduced in November 02"
    catv = figure("catv_companies_expected_2h02")
    planned = figure("data_centers_planned")
    return [
        GrowthArea(
            "IIJ VPN Standard",
            "IIJ VPN Standard, which was introduced in November 02",
            f"introduced November 2002 ({vpn_launch}); growth expected in the second half ({h2})",
            (vpn_launch, h2),
            "none",
            "price, customers, revenue",
        ),
        GrowthArea(
            "CDN platform",
            "Large ISPs expected to launch their services over IIJ CDN platform",
            f"second half ({h2})",
            (h2,),
            "none (the CDN slide is a diagram)",
            "which ISPs, how many, what they pay",
        ),
        GrowthArea(
            "CATV operators",
            _quote(catv.source),
            f"second half ({h2})",
            (h2,),
            f"{catv.printed} operators",
            "which operators, their subscribers, revenue per operator",
        ),
        GrowthArea(
            "Data-centre service",
            "Expecting new data center service to contribute revenue growth in 4Q02",
            f"two centres open January/February 2003 ({q4}); revenue from {q4}",
            (q4,),
            f"{planned.printed} new centres added to {figure('data_centers_existing').printed}; "
            "floor areas by build step",
            "price, occupancy, revenue",
        ),
        GrowthArea(
            "IP service ARPU",
            "chart 'IP Service ARPU'",
            "by quarter (axis lost)",
            (),
            "lost in extraction",
            "every value, and the footnote (*) defining IP Service",
        ),
        GrowthArea(
            "Dedicated access",
            "chart 'Total Number of Contracts and Bandwidth in Dedicated Access Services'",
            "by quarter (axis lost)",
            (),
            "lost in extraction",
            "contract counts and total Gbps",
        ),
    ]


def growth_area_table() -> pd.DataFrame:
    """The growth areas as a table for a page.

    >>> list(growth_area_table().columns)
    ['area', 'what the release says', 'when', 'figure it gives', 'what it leaves out']
    """
    return pd.DataFrame(
        [
            {
                "area": g.area,
                "what the release says": g.says,
                "when": g.when,
                "figure it gives": g.figure,
                "what it leaves out": g.gap,
            }
            for g in growth_areas()
        ]
    )


def timeline_frame() -> pd.DataFrame:
    """Spans and events of the growth areas by date, for a timeline chart.

    Each row is a span (``start`` to ``end``) or an event (``start`` equal to
    ``end``), with the fiscal period it comes from.

    >>> t = timeline_frame()
    >>> t[t.area == "CATV operators"][["start", "end", "period"]].iloc[0].tolist()
    ['2002-10-01', '2003-03-31', '2H02']
    """
    rows = []
    h2 = FiscalPeriod.parse("2H02")
    q4 = FiscalPeriod.parse("4Q02")
    catv = figure("catv_companies_expected_2h02")
    planned = figure("data_centers_planned")

    def span(area: str, what: str, start: dt.date, end: dt.date, period: str, kind: str) -> None:
        rows.append(
            {
                "area": area,
                "what": what,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "period": period,
                "kind": kind,
            }
        )

    vpn = FiscalPeriod.quarter_of(dt.date(2002, 11, 1))
    span("IIJ VPN Standard", "introduced", dt.date(2002, 11, 1), dt.date(2002, 11, 30), str(vpn), "launch")
    span("IIJ VPN Standard", "growth expected", h2.start, h2.end, str(h2), "expected")
    span("CDN platform", "large ISPs to launch services", h2.start, h2.end, str(h2), "expected")
    span("CATV operators", f"{catv.printed.lower()} to subscribe", h2.start, h2.end, str(h2), "expected")
    span(
        "Data-centre service",
        f"{planned.printed} new centres open (January/February 2003)",
        dt.date(2003, 1, 1),
        dt.date(2003, 2, 28),
        str(q4),
        "launch",
    )
    span("Data-centre service", "revenue contribution", q4.start, q4.end, str(q4), "expected")
    return pd.DataFrame(rows)


def is_missing(value: float | None) -> bool:
    """Whether a reader-entered figure is absent (``None`` or NaN).

    >>> is_missing(None), is_missing(float("nan")), is_missing(0.0)
    (True, True, False)
    """
    return value is None or (isinstance(value, float) and math.isnan(value))

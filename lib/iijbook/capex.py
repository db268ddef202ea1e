"""Capital spending when the release's CAPEX charts lost every number.

No CAPEX figure survives in the release's text: its three CAPEX charts kept only their titles.
What does survive is the depreciation and amortisation that EBITDA less operating income
implies (derived in :mod:`iijbook.profitability`), which is the cost of past investment, and
the two data centres due to open in January/February 2003, which are where new investment was
going. This module turns those into capital-intensity scenarios:

>>> round(replacement_intensity()[1].value, 4)        # 2Q02: D&A ¥856M / revenues ¥10.6B
0.0808
>>> capex_at_intensity(10.6e9, 0.10) / 1e6             # a 10% scenario for 2Q02
1060.0

Every CAPEX amount here is a scenario or a reader's entry, never a figure from the release.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .data import data_centers, figure, later_value
from .derived import Derived, combine
from .fmt import millions
from .metrics import Interval, Number
from .profitability import depreciation_from_ebitda, depreciation_history, ebitda_history


def capex_at_intensity(revenue: Number, intensity: Number) -> Number:
    """CAPEX in a capital-intensity scenario: ``revenues × CAPEX / revenues``.

    >>> capex_at_intensity(10.6e9, 0.08) / 1e6
    848.0
    """
    return revenue * intensity


def capital_intensity(capex: Number, revenue: Number) -> Number:
    """Capital intensity: ``CAPEX / revenues``.

    >>> round(capital_intensity(1.2e9, 10.6e9), 4)
    0.1132
    """
    return capex / revenue


def replacement_intensity(multiple: float = 2.0) -> list[Derived]:
    """The capital intensity at which CAPEX equals D&A, 1Q02 and 2Q02: ``D&A / revenues``.

    Spending less than this shrinks the asset base; more grows it.

    - 1Q02 = 796.2 / 9,879 = 8.06%
    - 2Q02 = 856 / 10,600 = 8.08%

    >>> [round(d.value * 100, 2) for d in replacement_intensity()]
    [8.06, 8.08]
    """
    from .revenues import revenue_history

    revs = {d.period_label: d for d in revenue_history()}
    out = []
    for da in depreciation_history(multiple):
        r = revs[da.period_label]
        formula = f"D&A / revenues = {millions(da.value)} / ¥{r.value / 1e9:.3f}B"
        name = f"{da.period_label} D&A as a share of revenues"
        out.append(combine(name, da, r, capital_intensity, formula, unit="ratio"))
    return out


def depreciation_run_rate(multiple: float = 2.0) -> list[Derived]:
    """D&A over the first half and at the 2Q02 rate for a year.

    - 1H02 = 1Q02 + 2Q02 = 796.2 + 856 = ¥1,652M
    - annual run-rate = 4 × 2Q02 = 4 × 856 = ¥3,424M

    >>> [round(d.value / 1e6) for d in depreciation_run_rate()]
    [1652, 3424]
    """
    q1, q2 = depreciation_history(multiple)
    return [
        Derived(
            "1H02 depreciation and amortisation",
            "1H02",
            q1.value + q2.value,
            q1.interval + q2.interval,
            f"1Q02 + 2Q02 = {millions(q1.value)} + {millions(q2.value)}",
            inputs=q1.inputs,
        ),
        Derived(
            "D&A a year at the 2Q02 rate",
            "2Q02",
            4 * q2.value,
            4 * q2.interval,
            f"4 × 2Q02 = 4 × {millions(q2.value)}",
            inputs=q2.inputs,
        ),
    ]


def depreciation_reported_later() -> Derived:
    """4Q02 D&A implied by IIJ's later 4Q02 report (not by this release): EBITDA − operating income.

    4Q02 EBITDA ¥459M, operating loss ¥446M: 459 − (−446) = ¥905M.

    >>> depreciation_reported_later().value / 1e6
    905.0
    """
    e = later_value("ebitda", "4Q02")
    oi = later_value("operating_income", "4Q02")
    return Derived(
        "4Q02 depreciation and amortisation (reported later)",
        "4Q02",
        depreciation_from_ebitda(e, oi),
        depreciation_from_ebitda(Interval.around(e, 1e6), Interval.around(oi, 1e6)),
        f"EBITDA − operating income = {millions(e)} − ({millions(oi)})",
    )


@dataclass(frozen=True)
class CapexCheck:
    """A quarter's CAPEX, entered by a reader, set against what the release implies."""

    quarter: str
    capex: float
    revenue: float
    depreciation: float
    ebitda: float

    @property
    def intensity(self) -> float:
        """CAPEX / revenues."""
        return capital_intensity(self.capex, self.revenue)

    @property
    def over_depreciation(self) -> float:
        """CAPEX / D&A: above 1, the asset base grows."""
        return self.capex / self.depreciation

    @property
    def net_investment(self) -> float:
        """CAPEX − D&A: how much the asset base grows (shrinks if negative)."""
        return self.capex - self.depreciation

    @property
    def ebitda_less_capex(self) -> float:
        """EBITDA − CAPEX: a rough measure of whether operations paid for the investment."""
        return self.ebitda - self.capex


def check_capex(capex: float, multiple: float = 2.0) -> CapexCheck:
    """Set a 2Q02 CAPEX figure (from the original deck, or an assumption) against the release.

    With CAPEX of ¥1,200M: intensity 1,200 / 10,600 = 11.3%; 1,200 / 856 = 1.40 times D&A;
    net investment 1,200 − 856 = ¥344M; EBITDA less CAPEX 662 − 1,200 = −¥538M.

    >>> c = check_capex(1.2e9)
    >>> round(c.intensity, 3), round(c.over_depreciation, 2)
    (0.113, 1.4)
    >>> c.net_investment / 1e6, c.ebitda_less_capex / 1e6
    (344.0, -538.0)
    """
    if capex < 0:
        raise ValueError(f"CAPEX cannot be negative, got {capex!r}")
    return CapexCheck(
        quarter="2Q02",
        capex=capex,
        revenue=figure("revenue_2q02").value,
        depreciation=depreciation_history(multiple)[1].value,
        ebitda=ebitda_history(multiple)[1].value,
    )


def server_rooms() -> pd.DataFrame:
    """Server-room area of the two new data centres: at opening (STEP1, January 2003) and in total.

    Yokohama 1 opens 4,353 m² of its 12,911 m²; Saitama 1 2,038 m² of its 4,736 m².

    >>> t = server_rooms()
    >>> t[["center", "opening", "total"]].values.tolist()
    [['Yokohama 1', 4353.0, 12911.0], ['Saitama 1', 2038.0, 4736.0]]
    >>> float(t.opening.sum()), float(t.total.sum())
    (6391.0, 17647.0)
    """
    t = data_centers()
    rooms = t[t["item"] == "server_room"]
    out = []
    for center in rooms["center"].drop_duplicates():
        c = rooms[rooms["center"] == center].set_index("step")
        out.append(
            {
                "center": center,
                "opens": c.loc["STEP1", "opens"],
                "opening": float(c.loc["STEP1", "value"]),
                "later steps": float(c.loc[["STEP2", "STEP3"], "value"].sum()),
                "total": float(c.loc["Total", "value"]),
            }
        )
    return pd.DataFrame(out)

"""Segment arithmetic for systems integration and equipment sales, under stated assumptions.

The release gives no figure for any segment: its *Revenues and Gross Margin*
charts for systems integration (SI) and equipment sales lost their numbers.
What it does give are total gross margins (14.1% in 2Q01, 9.1% in 1Q02,
11.0% in 2Q02) and total revenues. The functions here combine those with
segment shares and margins that the *caller assumes*; nothing in this module
is a figure of the release.

Two segments mixed at a share: ``total = (1 − s) × other + s × equipment``.

>>> round(blended_margin(0.15, 0.05, 0.10), 4)
0.14
>>> round(equipment_share_for_margin(0.110, 0.15, 0.05), 2)
0.4
"""

from __future__ import annotations

from dataclasses import dataclass


def blended_margin(other_margin: float, equipment_margin: float, equipment_share: float) -> float:
    """Total gross margin of two segments mixed by revenue share.

    total = (1 − share) × other margin + share × equipment margin. With the rest of the
    business at an assumed 15% and equipment at an assumed 5%, a 10% equipment share gives
    0.9 × 15% + 0.1 × 5% = 14.0%.

    >>> round(blended_margin(0.15, 0.05, 0.0), 4), round(blended_margin(0.15, 0.05, 1.0), 4)
    (0.15, 0.05)
    """
    if not 0.0 <= equipment_share <= 1.0:
        raise ValueError(f"equipment_share must be between 0 and 1, got {equipment_share!r}")
    return (1 - equipment_share) * other_margin + equipment_share * equipment_margin


def equipment_share_for_margin(total_margin: float, other_margin: float, equipment_margin: float) -> float:
    """The equipment share at which the mix alone gives ``total_margin`` (inverse of :func:`blended_margin`).

    share = (other − total) / (other − equipment). With 15% and 5% assumed, the release's
    margins need shares of (15 − 14.1) / 10 = 9%, (15 − 9.1) / 10 = 59% and
    (15 − 11.0) / 10 = 40%. A result outside 0 to 1 means no mix of the two assumed margins
    gives that total.

    >>> [round(equipment_share_for_margin(m, 0.15, 0.05), 2) for m in (0.141, 0.091, 0.110)]
    [0.09, 0.59, 0.4]
    """
    gap = other_margin - equipment_margin
    if gap == 0:
        raise ValueError("the two segment margins are equal: the mix cannot move the total")
    return (other_margin - total_margin) / gap


def share_shift_for_margin_change(
    margin_change: float, other_margin: float, equipment_margin: float
) -> float:
    """The change in equipment share that, alone, moves the total margin by ``margin_change``.

    Δshare = −Δmargin / (other − equipment). The fall from 14.1% (2Q01) to 9.1% (1Q02) is
    −5.0 points; with a 10-point gap between the assumed margins, mix alone needs the
    equipment share to rise by 50 points.

    >>> round(share_shift_for_margin_change(0.091 - 0.141, 0.15, 0.05), 2)
    0.5
    """
    gap = other_margin - equipment_margin
    if gap == 0:
        raise ValueError("the two segment margins are equal: the mix cannot move the total")
    return -margin_change / gap


def other_margin_for(total_margin: float, equipment_margin: float, equipment_share: float) -> float:
    """The margin on non-equipment revenues that, with the given equipment mix, gives ``total_margin``.

    other = (total − share × equipment margin) / (1 − share). With equipment at an assumed 10% of
    revenues and a 5% margin, the release's 14.1%, 9.1% and 11.0% need the rest of the business
    at (14.1 − 0.5) / 0.9 = 15.1%, (9.1 − 0.5) / 0.9 = 9.6% and (11.0 − 0.5) / 0.9 = 11.7%.

    >>> [round(other_margin_for(m, 0.05, 0.10), 3) for m in (0.141, 0.091, 0.110)]
    [0.151, 0.096, 0.117]
    """
    if not 0.0 <= equipment_share < 1.0:
        raise ValueError(f"equipment_share must be at least 0 and below 1, got {equipment_share!r}")
    return (total_margin - equipment_share * equipment_margin) / (1 - equipment_share)


@dataclass(frozen=True)
class SIScenario:
    """4Q02 revenues split into SI and the rest, under assumed shares and growth."""

    q3_total: float
    si_share: float
    si_uplift: float
    other_growth: float

    @property
    def q3_si(self) -> float:
        """3Q02 SI revenues: 3Q02 × SI share."""
        return self.q3_total * self.si_share

    @property
    def q3_other(self) -> float:
        """3Q02 revenues other than SI: 3Q02 × (1 − SI share)."""
        return self.q3_total * (1 - self.si_share)

    @property
    def q4_si(self) -> float:
        """4Q02 SI revenues: 3Q02 SI × (1 + SI uplift)."""
        return self.q3_si * (1 + self.si_uplift)

    @property
    def q4_other(self) -> float:
        """4Q02 revenues other than SI: 3Q02 other × (1 + their QoQ growth)."""
        return self.q3_other * (1 + self.other_growth)

    @property
    def q4_total(self) -> float:
        """4Q02 total revenues in the scenario."""
        return self.q4_si + self.q4_other


def si_scenario(q3_total: float, si_share: float, si_uplift: float, other_growth: float = 0.0) -> SIScenario:
    """4Q02 total revenues if SI is ``si_share`` of 3Q02 and grows by ``si_uplift`` into 4Q02.

    4Q02 = 3Q02 × (1 − share) × (1 + other growth) + 3Q02 × share × (1 + SI uplift). With 3Q02 at
    the guidance midpoint (¥10.75B), an assumed SI share of 30%, SI doubling and the rest flat:
    7.525 + 3.225 × 2 = ¥13.975B.

    >>> round(si_scenario(10.75e9, 0.30, 1.0).q4_total / 1e9, 3)
    13.975
    """
    if not 0.0 < si_share <= 1.0:
        raise ValueError(f"si_share must be above 0 and at most 1, got {si_share!r}")
    return SIScenario(q3_total, si_share, si_uplift, other_growth)


def si_uplift_for(q4_total: float, q3_total: float, si_share: float, other_growth: float = 0.0) -> float:
    """The growth of SI from 3Q02 to 4Q02 at which 4Q02 total revenues reach ``q4_total``.

    uplift = (4Q02 − 3Q02 × (1 − share) × (1 + other growth)) / (3Q02 × share) − 1. The 4Q02 that a
    +20% year needs (¥16.64B with 3Q02 at ¥10.75B, see :func:`iijbook.revenues.second_half`)
    asks, at an assumed SI share of 30% and the rest flat, (16.64 − 7.525) / 3.225 − 1 = 183%.

    >>> round(si_uplift_for(16.6405e9, 10.75e9, 0.30), 3)
    1.827
    """
    if not 0.0 < si_share <= 1.0:
        raise ValueError(f"si_share must be above 0 and at most 1, got {si_share!r}")
    other = q3_total * (1 - si_share) * (1 + other_growth)
    return (q4_total - other) / (q3_total * si_share) - 1

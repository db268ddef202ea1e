"""Segment arithmetic for equipment sales and the rest of the business, under stated assumptions.

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

"""What the release implies about IIJ's revenues: the derivations other chapters build on.

The release prints 2Q02 revenues (¥10.6B), growth of 7.3% QoQ and 10.9% YoY,
first-half growth of 14.3%, the 3Q02 guidance (¥10.5B to ¥11.0B) and a +20%
target for FY2002. The revenues chapter derives the earlier quarters and what
the target asks, step by step; the functions here do the same for the chapters
and modules that reuse those figures:

>>> h = {d.period_label: d for d in revenue_history()}
>>> [round(h[p].value / 1e9, 2) for p in ("1Q01", "2Q01", "1Q02", "2Q02")]
[8.36, 9.56, 9.88, 10.6]
>>> round(h["1H02"].value / 1e9, 2), round(h["1H01"].value / 1e9, 2)
(20.48, 17.92)
"""

from __future__ import annotations

from dataclasses import dataclass

from . import fmt
from .data import figure
from .derived import Derived
from .metrics import implied_prior


def revenue_history() -> list[Derived]:
    """Quarterly and half-year revenues the release implies, oldest first, each with its formula."""
    rev, qoq, yoy, h1g = (
        figure(f"revenue_{i}") for i in ("2q02", "growth_qoq_2q02", "growth_yoy_2q02", "growth_yoy_1h02")
    )
    printed, y = rev.printed.replace("JPY", "¥"), fmt.yen
    q1_02, q2_01 = (implied_prior(rev.value, g.value) for g in (qoq, yoy))
    h1_02 = q1_02 + rev.value
    h1_01 = implied_prior(h1_02, h1g.value)
    # the same sums on the intervals the rounding allows
    q1_02_i, q2_01_i = (implied_prior(rev.interval, g.interval) for g in (qoq, yoy))
    h1_01_i = implied_prior(q1_02_i + rev.interval, h1g.interval)
    return [
        Derived("1Q01 total revenues", "1Q01", h1_01 - q2_01, h1_01_i - q2_01_i,
                f"1H01 − 2Q01 = {y(h1_01, 2)} − {y(q2_01, 2)}"),
        Derived("2Q01 total revenues", "2Q01", q2_01, q2_01_i,
                f"2Q02 / (1 + YoY growth) = {printed} / {1 + yoy.value:.3f}"),
        Derived("1Q02 total revenues", "1Q02", q1_02, q1_02_i,
                f"2Q02 / (1 + QoQ growth) = {printed} / {1 + qoq.value:.3f}"),
        Derived("2Q02 total revenues", "2Q02", rev.value, rev.interval, f"as printed: {rev.printed}"),
        Derived("1H01 total revenues", "1H01", h1_01, h1_01_i,
                f"1H02 / (1 + first-half growth) = {y(h1_02, 2)} / {1 + h1g.value:.3f}"),
        Derived("1H02 total revenues", "1H02", h1_02, q1_02_i + rev.interval,
                f"1Q02 + 2Q02 = {y(q1_02, 2)} + {y(rev.value, 1)}"),
    ]  # fmt: skip


GUIDANCE_POINTS = ("low", "mid", "high")


def guided_3q02(point: str) -> float:
    """3Q02 revenues at a point of the guided range: ``low``, ``mid`` or ``high``.

    >>> guided_3q02("mid") / 1e9
    10.75
    """
    if point not in GUIDANCE_POINTS:
        raise ValueError(f"guidance_point must be one of {GUIDANCE_POINTS}, got {point!r}")
    low = figure("guide_revenue_low_3q02").value
    high = figure("guide_revenue_high_3q02").value
    return {"low": low, "mid": (low + high) / 2, "high": high}[point]


@dataclass(frozen=True)
class SecondHalf:
    """What a full-year growth target asks of the second half, given FY2001."""

    fy2001: float
    target_growth: float
    fy2002_target: float
    h1_02: float
    h1_01: float
    h2_02_needed: float
    h2_01: float
    q3_02: float
    q4_02_needed: float


def second_half(fy2001: float, target_growth: float, q3_02: float) -> SecondHalf:
    """The second half FY2002 that a growth target needs.

    FY2002 target = FY2001 × (1 + target); 2H02 needed = target − 1H02;
    4Q02 needed = 2H02 needed − 3Q02. FY2001 revenue is not in the release:
    the caller supplies it. With FY2001 at ¥39.89B (IIJ's later FY2002 report:
    ¥44.0B, up 10.3%), +20% and 3Q02 at the guidance midpoint:

    >>> s = second_half(44.0e9 / 1.103, 0.20, 10.75e9)
    >>> round(s.fy2002_target / 1e9, 2), round(s.h2_02_needed / 1e9, 2), round(s.q4_02_needed / 1e9, 2)
    (47.87, 27.39, 16.64)
    """
    if fy2001 <= 0:
        raise ValueError(f"FY2001 revenue must be positive, got {fy2001!r}")
    history = {d.period_label: d.value for d in revenue_history()}
    target = fy2001 * (1 + target_growth)
    h2_needed = target - history["1H02"]
    return SecondHalf(
        fy2001=fy2001,
        target_growth=target_growth,
        fy2002_target=target,
        h1_02=history["1H02"],
        h1_01=history["1H01"],
        h2_02_needed=h2_needed,
        h2_01=fy2001 - history["1H01"],
        q3_02=q3_02,
        q4_02_needed=h2_needed - q3_02,
    )

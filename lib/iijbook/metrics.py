"""Finance maths for figures the release implies but does not print.

Every function takes and returns base units (yen, dollars, ratios as
fractions) and says its formula. The worked examples are the release's own:

>>> round(implied_prior(10.6e9, 0.073) / 1e9, 2)      # 1Q02 revenue from +7.3% QoQ
9.88
>>> round(margin(1.166e9, 10.6e9), 3)                  # 2Q02 gross margin
0.11
>>> round(prior_before_improvement(-194e6, 0.583) / 1e6)  # 1Q02 operating loss
-465

Figures printed with few digits carry a rounding interval: ``10.6B`` means
anything from 10.55B to 10.65B, and :class:`Interval` carries that width
through each formula.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Interval:
    """A closed interval ``[lo, hi]`` of values that a printed figure allows.

    >>> Interval.around(10.6e9, 0.1e9)
    Interval(lo=10550000000.0, hi=10650000000.0)
    >>> i = Interval.around(10.6e9, 0.1e9) / Interval.around(86.8e6, 0.1e6)
    >>> round(i.lo, 2), round(i.hi, 2)
    (121.47, 122.77)
    """

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"interval lower bound {self.lo} exceeds upper bound {self.hi}")

    @classmethod
    def around(cls, value: float, step: float) -> Interval:
        """The values that round to ``value`` at precision ``step`` (half a step each side)."""
        half = abs(step) / 2
        return cls(value - half, value + half)

    @classmethod
    def exact(cls, value: float) -> Interval:
        return cls(value, value)

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def width(self) -> float:
        return self.hi - self.lo

    def __contains__(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    def _combine(self, other: Interval | float, op) -> Interval:
        o = other if isinstance(other, Interval) else Interval.exact(float(other))
        corners = [op(a, b) for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        return Interval(min(corners), max(corners))

    def __add__(self, other: Interval | float) -> Interval:
        return self._combine(other, lambda a, b: a + b)

    __radd__ = __add__

    def __sub__(self, other: Interval | float) -> Interval:
        return self._combine(other, lambda a, b: a - b)

    def __rsub__(self, other: float) -> Interval:
        return Interval.exact(float(other)) - self

    def __mul__(self, other: Interval | float) -> Interval:
        return self._combine(other, lambda a, b: a * b)

    __rmul__ = __mul__

    def __truediv__(self, other: Interval | float) -> Interval:
        o = other if isinstance(other, Interval) else Interval.exact(float(other))
        if o.lo <= 0 <= o.hi:
            raise ZeroDivisionError(f"dividing by an interval that contains zero: {o}")
        return self._combine(o, lambda a, b: a / b)

    def __rtruediv__(self, other: float) -> Interval:
        return Interval.exact(float(other)) / self

    def intersect(self, other: Interval) -> Interval | None:
        """The values both intervals allow, or ``None`` if they do not overlap."""
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        return Interval(lo, hi) if lo <= hi else None


Number = float | Interval


def growth(current: Number, prior: Number) -> Number:
    """Growth rate ``current / prior - 1`` (QoQ or YoY, depending on the prior).

    >>> round(growth(10.6e9, 9.56e9), 3)
    0.109
    """
    return current / prior - 1


def implied_prior(current: Number, rate: Number) -> Number:
    """The earlier value implied by a growth rate: ``current / (1 + rate)``.

    "Revenues of ¥10.6B, an increase of 7.3% QoQ" implies 1Q02 revenues of
    10.6 / 1.073 = ¥9.88B.

    >>> round(implied_prior(10.6e9, 0.109) / 1e9, 2)   # 2Q01 from +10.9% YoY
    9.56
    """
    return current / (1 + rate)


def prior_before_improvement(current: Number, improvement: Number) -> Number:
    """The earlier value of a loss that "improved by X% to" ``current``.

    A loss that shrank by ``improvement`` (0.583 for 58.3%) to ``current``
    (negative, a loss) was ``current / (1 - improvement)`` before.

    >>> round(prior_before_improvement(-194e6, 0.583) / 1e6, 1)
    -465.2
    """
    return current / (1 - improvement)


def prior_from_multiple(current: Number, multiple: Number) -> Number:
    """The earlier value when the release says a figure grew ``multiple``-fold.

    "EBITDA doubled to ¥662M": 662 / 2 = ¥331M in the quarter before.

    >>> prior_from_multiple(662e6, 2) / 1e6
    331.0
    """
    return current / multiple


def cagr(start: float, end: float, years: float) -> float:
    """Compound annual growth rate ``(end / start) ** (1 / years) - 1``.

    Mobile internet subscribers rose from 7.5M (March 2000) to 56.3M
    (August 2002), 2 years and 5 months:

    >>> round(cagr(7.5e6, 56.3e6, 29 / 12), 3)
    1.303
    """
    if start <= 0 or end <= 0:
        raise ValueError("CAGR needs positive start and end values")
    if years <= 0:
        raise ValueError("CAGR needs a positive number of years")
    return (end / start) ** (1 / years) - 1


def margin(profit: Number, revenue: Number) -> Number:
    """Margin ``profit / revenue`` (gross, operating or EBITDA margin).

    >>> round(margin(-194e6, 10.6e9), 4)
    -0.0183
    """
    return profit / revenue


def precision_of(printed: str) -> float:
    """The step of the last digit of a printed figure, in base units.

    Reads the figure as the release prints it: ``JPY10.6B`` is precise to
    0.1 billion yen, ``$86.8M`` to 0.1 million dollars, ``7.3%`` to 0.001,
    ``39,165m²`` to one square metre.

    >>> precision_of("JPY10.6B"), precision_of("$86.8M"), precision_of("7.3%")
    (100000000.0, 100000.0, 0.001)
    >>> precision_of("114,608 subscriber")
    1.0
    """
    m = re.search(r"(\d[\d,]*)(?:\.(\d+))?\s*(B|M|Million|%)?", printed)
    if not m:
        raise ValueError(f"no number in printed figure {printed!r}")
    decimals = len(m.group(2) or "")
    scale = {"B": 1e9, "M": 1e6, "Million": 1e6, "%": 0.01, None: 1.0}[m.group(3)]
    return round(10.0**-decimals * scale, 12)

"""A derived figure: a point value, the interval the rounding allows, and its formula.

>>> from iijbook.metrics import Interval
>>> d = Derived("1Q02 total revenues", "1Q02", 9.879e9, Interval(9.828e9, 9.930e9),
...             "2Q02 revenues / (1 + QoQ growth) = ¥10.6B / 1.073")
>>> d.period.label, d.unit
('1Q02', 'JPY')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .metrics import Interval
from .periods import FiscalPeriod, PeriodError


@dataclass(frozen=True)
class Derived:
    """A figure the release implies, with how it was computed."""

    name: str
    period_label: str
    value: float
    interval: Interval
    formula: str
    unit: str = "JPY"
    inputs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def period(self) -> FiscalPeriod | None:
        """The fiscal period, or ``None`` for a label that is not one (e.g. "1999-12 to 2001-12")."""
        try:
            return FiscalPeriod.parse(self.period_label)
        except PeriodError:
            return None

    def as_row(self) -> dict:
        """A row for a table of derivations."""
        return {
            "figure": self.name,
            "period": self.period_label,
            "value": self.value,
            "low": self.interval.lo,
            "high": self.interval.hi,
            "formula": self.formula,
        }


def combine(
    name: str,
    a: Derived,
    b: Derived,
    fn: Callable,
    formula: str,
    unit: str = "JPY",
) -> Derived:
    """A figure computed from two derived ones of the same period.

    ``fn`` is applied to their values and to their intervals, so the result
    carries the range the rounding of both allows.

    >>> from iijbook.metrics import Interval, margin
    >>> oi = Derived("2Q02 operating income", "2Q02", -194e6, Interval(-194.5e6, -193.5e6), "as printed")
    >>> rev = Derived("2Q02 total revenues", "2Q02", 10.6e9, Interval(10.55e9, 10.65e9), "as printed")
    >>> m = combine("2Q02 operating margin", oi, rev, margin, "operating income / revenues", unit="ratio")
    >>> round(m.value, 4), m.period_label
    (-0.0183, '2Q02')
    """
    return Derived(
        name,
        a.period_label,
        fn(a.value, b.value),
        fn(a.interval, b.interval),
        formula,
        unit=unit,
        inputs=a.inputs + b.inputs,
    )

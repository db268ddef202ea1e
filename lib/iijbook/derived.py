"""A derived figure: a point value, the interval the rounding allows, and its formula.

>>> from iijbook.metrics import Interval
>>> d = Derived("1Q02 total revenues", "1Q02", 9.879e9, Interval(9.828e9, 9.930e9),
...             "2Q02 revenues / (1 + QoQ growth) = ¥10.6B / 1.073")
>>> d.period.label, d.unit
('1Q02', 'JPY')
"""

from __future__ import annotations

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

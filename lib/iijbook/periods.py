"""IIJ's fiscal calendar: one period type for quarters, halves and years.

IIJ's fiscal year runs April to March and is named after the calendar year
it starts in: FY2002 is April 2002 to March 2003. The release writes its
quarters as ``2Q02`` (July to September 2002), and the book uses those
labels everywhere. Parse labels here and nowhere else.

>>> q = FiscalPeriod.parse("2Q02")
>>> q.start.isoformat(), q.end.isoformat()
('2002-07-01', '2002-09-30')
>>> str(q.shift(-1)), str(q.year_ago()), FiscalPeriod.parse("1H02").end.isoformat()
('1Q02', '2Q01', '2002-09-30')
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["Q", "H", "FY"]

_PER_YEAR = {"Q": 4, "H": 2, "FY": 1}
_LABEL = re.compile(
    r"^\s*(?:(?P<qn>[1-4])Q|(?P<hn>[12])H)\s*(?:FY)?\s*(?P<qy>\d{2}|\d{4})\s*$"
    r"|^\s*FY\s*(?P<fy>\d{2}|\d{4})\s*$",
    re.IGNORECASE,
)


class PeriodError(ValueError):
    """A label that is not a fiscal period the book knows."""


def _full_year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


@dataclass(frozen=True, order=True)
class FiscalPeriod:
    """A fiscal quarter, half or year of IIJ's April-March calendar.

    ``fy`` is the fiscal year (2002 for April 2002 to March 2003), ``kind`` is
    ``"Q"``, ``"H"`` or ``"FY"``, and ``n`` numbers the quarter (1-4) or half
    (1-2) within the year (1 for a whole year).
    """

    fy: int
    kind: Kind
    n: int = 1

    def __post_init__(self) -> None:
        if self.kind not in _PER_YEAR:
            raise PeriodError(f"unknown period kind {self.kind!r}: use 'Q', 'H' or 'FY'")
        if not 1 <= self.n <= _PER_YEAR[self.kind]:
            raise PeriodError(f"{self.kind} number {self.n} is out of range 1-{_PER_YEAR[self.kind]}")
        if not 1990 <= self.fy <= 2100:
            raise PeriodError(f"fiscal year {self.fy} is out of range 1990-2100")

    @classmethod
    def parse(cls, label: str) -> FiscalPeriod:
        """Read ``2Q02``, ``2Q FY2002``, ``1H02``, ``FY2002`` or ``FY02``.

        >>> FiscalPeriod.parse("2Q FY2002") == FiscalPeriod(2002, "Q", 2)
        True
        """
        m = _LABEL.match(str(label))
        if not m:
            raise PeriodError(
                f"{label!r} is not a fiscal period: write a quarter as '2Q02', "
                "a half as '1H02', a year as 'FY2002'"
            )
        if m["fy"]:
            return cls(_full_year(m["fy"]), "FY", 1)
        year = _full_year(m["qy"])
        if m["qn"]:
            return cls(year, "Q", int(m["qn"]))
        return cls(year, "H", int(m["hn"]))

    @classmethod
    def quarter_of(cls, day: dt.date) -> FiscalPeriod:
        """The fiscal quarter a calendar date falls in.

        >>> str(FiscalPeriod.quarter_of(dt.date(2003, 1, 31)))
        '4Q02'
        """
        fy = day.year if day.month >= 4 else day.year - 1
        n = ((day.month - 4) % 12) // 3 + 1
        return cls(fy, "Q", n)

    @property
    def label(self) -> str:
        """The label the release uses: ``2Q02``, ``1H02``, ``FY2002``."""
        if self.kind == "FY":
            return f"FY{self.fy}"
        return f"{self.n}{self.kind}{self.fy % 100:02d}"

    def __str__(self) -> str:
        return self.label

    @property
    def months(self) -> int:
        """Length in months (3, 6 or 12)."""
        return 12 // _PER_YEAR[self.kind]

    def _first_day(self, months_after_april: int) -> dt.date:
        m = 3 + months_after_april  # months after January of the fiscal year, 0-based
        return dt.date(self.fy + m // 12, m % 12 + 1, 1)

    @property
    def start(self) -> dt.date:
        """First day of the period."""
        return self._first_day((self.n - 1) * self.months)

    @property
    def end(self) -> dt.date:
        """Last day of the period: the day before the next period's first."""
        return self._first_day(self.n * self.months) - dt.timedelta(days=1)

    @property
    def span(self) -> str:
        """Human span, e.g. ``Jul-Sep 2002`` or ``Apr 2002-Mar 2003``."""
        a, b = self.start, self.end
        if a.year == b.year:
            return f"{a:%b}-{b:%b} {b.year}"
        return f"{a:%b %Y}-{b:%b %Y}"

    def shift(self, steps: int) -> FiscalPeriod:
        """The period ``steps`` periods of the same kind later (earlier if < 0).

        >>> str(FiscalPeriod.parse("1Q02").shift(-1))
        '4Q01'
        """
        per_year = _PER_YEAR[self.kind]
        index = self.fy * per_year + (self.n - 1) + steps
        return FiscalPeriod(index // per_year, self.kind, index % per_year + 1)

    def previous(self) -> FiscalPeriod:
        """The period just before (QoQ comparisons)."""
        return self.shift(-1)

    def year_ago(self) -> FiscalPeriod:
        """The same period one fiscal year earlier (YoY comparisons)."""
        return FiscalPeriod(self.fy - 1, self.kind, self.n)

    def quarters(self) -> list[FiscalPeriod]:
        """The quarters that make up this period (the quarter of record adds them up)."""
        first = (self.n - 1) * self.months // 3 + 1
        return [FiscalPeriod(self.fy, "Q", first + i) for i in range(self.months // 3)]

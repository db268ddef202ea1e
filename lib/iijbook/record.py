"""The quarter of record: every figure the book holds for 1Q01 to 2Q03, its halves and years.

One table, one cell per period and line, each cell one of:

- **printed**: the release states it;
- **earlier**: a source published before the release (IIJ's FY2001 results, May 2002);
- **later**: a report after the release, with its date;
- **derived**: computed from the cells above by one of the rules below, with its formula and the
  interval the rounding of its inputs allows;
- **unknown**: no figure the book holds gives or implies it, and why.

Why a small rule engine and not a hand-written table: every derivation the release and the reference
files allow is found (a cell may be reached through halves, years or growth rates), each cell keeps
the first path by the date it became knowable, and every *other* path that reaches a cell already
filled is kept as a check, so the book can show that its sources agree. Sources are read in order
of publication: the release and what was public before it first, each later report after, so a cell
a reader could work out in November 2002 never leans on a 2003 report.

>>> t = record().set_index(["period", "line"])
>>> t.loc[("1Q02", "revenues"), ["status", "known"]].tolist()          # ¥10.6B ÷ 1.073
['derived', '2002-11']
>>> round(float(t.loc[("1Q02", "revenues"), "value"]) / 1e9, 3)
9.879
>>> round(float(t.loc[("2H01", "revenues"), "value"]) / 1e9, 2)       # FY2001 ¥39.9B − 1H01
21.98
>>> t.loc[("3Q01", "revenues"), "known"]                               # 3Q02 ÷ 1.063: a 2003 report
'2003-02-13'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from .data import context, figure, reported_later
from .fmt import millions, pct
from .metrics import Interval
from .periods import FiscalPeriod

REV, QOQ, YOY, RATIO = "revenues", "growth QoQ", "growth YoY", "margin ratio"
GP, COSTS, OI, EBITDA, DA, NI = (
    "gross profit",
    "operating costs",
    "operating income",
    "EBITDA",
    "D&A",
    "net income",
)
#: The lines of the record, in the order the page shows them.
LINES = (REV, QOQ, YOY, RATIO, GP, COSTS, OI, EBITDA, DA, NI)
#: Lines that add up over quarters, halves and years.
ADDITIVE = (REV, GP, COSTS, OI, EBITDA, DA, NI)
#: Lines that are rates, not yen.
RATES = (QOQ, YOY, RATIO)
QUARTERS = ("1Q01", "2Q01", "3Q01", "4Q01", "1Q02", "2Q02", "3Q02", "4Q02", "1Q03", "2Q03")
HALVES = ("1H01", "2H01", "1H02", "2H02", "1H03")
YEARS = ("FY2001", "FY2002")
PERIODS = QUARTERS + HALVES + YEARS
#: When the release was published (November 2002): what a reader could know then sorts at or before it.
RELEASE = "2002-11"

#: Why a cell nobody gives stays unknown, by line.
WHY_UNKNOWN = {
    REV: "no source the book holds gives it, and no rate or total links it to one that does",
    QOQ: "needs revenues of this quarter and the one before",
    YOY: "needs revenues of this period and the same period a year before",
    RATIO: "printed for 2Q01, 1Q02 and 2Q02 only; no later report the book holds gives it",
    GP: "needs the margin ratio, printed for 2Q01, 1Q02 and 2Q02 only",
    COSTS: "gross profit less operating income: needs both",
    OI: "not printed, not in the reports the book holds, and no total or rate implies it",
    EBITDA: "not printed, not in the reports the book holds, and no total or rate implies it",
    DA: "EBITDA less operating income: needs both",
    NI: "not in the release; the reports the book holds give 2Q02, 4Q01, 4Q02 and the years",
}
_METRIC_LINES = {
    "total_revenues": REV, "revenue_growth_qoq": QOQ, "revenue_growth_yoy": YOY,
    "operating_income": OI, "ebitda": EBITDA, "net_income": NI,
    "ebitda_growth_qoq": "EBITDA growth QoQ", "ebitda_growth_yoy": "EBITDA growth YoY",
}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    """One figure of the record: a point value, its interval, and how the book has it."""

    value: float
    interval: Interval
    status: str
    how: str
    known: str


@dataclass(frozen=True)
class Check:
    """A second path to a filled cell: does it land inside what the first allows?"""

    period: str
    line: str
    value: float
    interval: Interval
    how: str
    agrees: bool


def show(value: float, line: str) -> str:
    """A cell's value as the formulas print it: rates in %, money in ¥ millions.

    >>> show(0.073, "growth QoQ"), show(-194e6, "operating income")
    ('7.3%', '−¥194M')
    """
    text = (
        pct(value)
        if line in RATES or line.startswith(("EBITDA growth", "operating loss"))
        else millions(value)
    )
    return str(text).replace("\u2060", "")


def later_step(value: float, unit: str) -> float:
    """The rounding a reported figure carries, read from its digits (the reports print ¥10.6B, ¥567M,
    6.3%): yen to ¥0.1B when a whole number of tenths of a billion, else to ¥1M; ratios to a whole
    percent when a whole number of them, else to a tenth.

    >>> later_step(13.0e9, "JPY"), later_step(-567e6, "JPY")
    (100000000.0, 1000000.0)
    >>> later_step(0.063, "ratio"), later_step(0.32, "ratio")
    (0.001, 0.01)
    """
    if unit == "JPY":
        return 1e8 if abs(value) >= 1e9 and round(value / 1e8) * 1e8 == value else 1e6
    return 0.01 if abs(round(value * 100) - value * 100) < 1e-9 else 0.001


def _dated(source: str) -> str:
    """The date a reference file's source gives in brackets, e.g. ``(2003-02-13)``."""
    found = re.search(r"\((\d{4}-\d{2}-\d{2})\)", source)
    return found[1] if found else "2005"


def _seeds(ebitda_multiple: float) -> list[tuple[str, str, Cell]]:
    """The figures stated somewhere, as (period, line, cell), in order of publication; "EBITDA
    doubled" is a word, read as ``ebitda_multiple`` times, as if printed to one decimal (± 0.05)."""
    seeds = []
    release = {
        ("2Q02", REV): "revenue_2q02", ("2Q02", QOQ): "revenue_growth_qoq_2q02",
        ("2Q02", YOY): "revenue_growth_yoy_2q02", ("1H02", YOY): "revenue_growth_yoy_1h02",
        ("2Q02", RATIO): "gross_margin_2q02", ("1Q02", RATIO): "gross_margin_1q02",
        ("2Q01", RATIO): "gross_margin_2q01", ("2Q02", OI): "operating_income_2q02",
        ("2Q02", EBITDA): "ebitda_2q02", ("2Q02", IMPROVEMENT): "operating_loss_improvement_2q02",
    }  # fmt: skip
    for (period, line), fid in release.items():
        f = figure(fid)
        seeds.append((period, line, Cell(f.value, f.interval, "printed", f"release: {f.printed}", RELEASE)))
    doubled = Cell(
        ebitda_multiple - 1, Interval.around(ebitda_multiple - 1, 0.1), "printed", "release: doubled", RELEASE
    )
    seeds.append(("2Q02", "EBITDA growth QoQ", doubled))
    earlier = context().assign(status="earlier", known=lambda t: t["published"])
    later = reported_later().assign(status="later", known=lambda t: t["source"].map(_dated))
    for r in pd.concat([earlier, later]).itertuples():
        if r.metric in _METRIC_LINES and r.period in PERIODS:
            step = Interval.around(r.value, later_step(r.value, r.unit))
            seeds.append(
                (r.period, _METRIC_LINES[r.metric], Cell(r.value, step, r.status, r.source, r.known))
            )
    return sorted(seeds, key=lambda s: s[2].known)


Rule = tuple[tuple[str, str], tuple[tuple[str, str], ...], Callable, str]
IMPROVEMENT = "operating loss improvement QoQ"


def _parts(p: FiscalPeriod) -> tuple[str, str]:
    """The two periods a half (its quarters) or a year (its halves) adds up."""
    a, b = p.quarters() if p.kind == "H" else (FiscalPeriod(p.fy, "H", 1), FiscalPeriod(p.fy, "H", 2))
    return a.label, b.label


def _rules() -> list[Rule]:
    """Every derivation: (target, inputs, function of the inputs, formula with {0}, {1} for them)."""
    rules: list[Rule] = []

    def add(target, inputs, fn, text):
        if all(cell[0] in PERIODS for cell in (target, *inputs)):
            rules.append((target, tuple(inputs), fn, text))

    for label in PERIODS:
        p = FiscalPeriod.parse(label)
        comparisons = [("YoY", p.year_ago())] + ([("QoQ", p.previous())] if p.kind == "Q" else [])
        for kind, before in comparisons:
            for line, growth in ((REV, f"growth {kind}"), (EBITDA, f"EBITDA growth {kind}")):
                now, was, rate = (label, line), (before.label, line), (label, growth)
                add(was, [now, rate], lambda v, r: v / (1 + r), "{0} ÷ (1 + {1})")
                add(now, [was, rate], lambda v, r: v * (1 + r), "{0} × (1 + {1})")
                add(rate, [now, was], lambda v, w: v / w - 1, "{0} ÷ {1} − 1")
        # "operating loss improved by 58.3% to JPY194M": the loss before = the loss after ÷ (1 − 58.3%)
        if p.kind == "Q":
            improved = [(label, OI), (label, IMPROVEMENT)]
            add((p.previous().label, OI), improved, lambda v, r: v / (1 - r), "{0} ÷ (1 − {1})")
        add((label, GP), [(label, RATIO), (label, REV)], lambda m, r: m * r, "{0} × {1}")
        add((label, RATIO), [(label, GP), (label, REV)], lambda g, r: g / r, "{0} ÷ {1}")
        add((label, COSTS), [(label, GP), (label, OI)], lambda g, o: g - o, "{0} − {1}")
        add((label, DA), [(label, EBITDA), (label, OI)], lambda e, o: e - o, "{0} − {1}")
        add((label, OI), [(label, EBITDA), (label, DA)], lambda e, d: e - d, "{0} − {1}")
        if p.kind != "Q":
            a, b = _parts(p)
            for line in ADDITIVE:
                add((label, line), [(a, line), (b, line)], lambda x, y: x + y, "{0} + {1}")
                add((a, line), [(label, line), (b, line)], lambda t, y: t - y, "{0} − {1}")
                add((b, line), [(label, line), (a, line)], lambda t, x: t - x, "{0} − {1}")
    return rules


def _name(cell: tuple[str, str]) -> str:
    return f"{cell[0]} {cell[1]}"


@cache
def _solve(ebitda_multiple: float = 2.0) -> tuple[dict[tuple[str, str], Cell], tuple[Check, ...]]:
    """Fill the record: each source in order of publication, then every rule until none adds a cell.

    Each rule fires once, when all its inputs are filled. A rule that reaches a filled cell is a
    check when the sources it rests on and those of the cell's own path differ both ways: not the
    same sources rearranged, nor a path back through the cell's own."""
    cells: dict[tuple[str, str], Cell] = {}
    roots: dict[tuple[str, str], frozenset] = {}
    checks: list[Check] = []
    rules, fired, seen = _rules(), set(), set()

    def offer(key: tuple[str, str], cell: Cell, came_from: frozenset) -> bool:
        if key not in cells:
            cells[key], roots[key] = cell, came_from
            return True
        evidence = came_from | roots[key]
        if not (came_from <= roots[key] or roots[key] <= came_from) and evidence not in seen:
            seen.add(evidence)  # one check for each set of sources that meet at a cell
            agrees = cells[key].interval.intersect(cell.interval) is not None
            checks.append(Check(*key, cell.value, cell.interval, f"{cell.status}: {cell.how}", agrees))
        return False

    seeds = _seeds(ebitda_multiple)
    for date in sorted({s[2].known for s in seeds}):
        for period, line, cell in (s for s in seeds if s[2].known == date):
            offer((period, line), cell, frozenset({(period, line, cell.how)}))
        grew = True
        while grew:
            grew = False
            for n, (target, inputs, fn, text) in enumerate(rules):
                if n in fired or not all(i in cells for i in inputs):
                    continue
                fired.add(n)
                ins = [cells[i] for i in inputs]
                try:
                    value, interval = fn(*(c.value for c in ins)), fn(*(c.interval for c in ins))
                except ZeroDivisionError:
                    continue
                shown = (show(c.value, line) for c, (_, line) in zip(ins, inputs, strict=True))
                formula = f"{text.format(*map(_name, inputs))} = {text.format(*shown)}"
                cell = Cell(value, interval, "derived", formula, max(c.known for c in ins))
                grew |= offer(target, cell, frozenset().union(*(roots[i] for i in inputs)))
    return cells, tuple(checks)


def record(ebitda_multiple: float = 2.0) -> pd.DataFrame:
    """The quarter of record, one row per cell: period, line, value, low, high, status, how, known.

    ``how`` is the formula of a derived cell, the source of a stated one, or why a cell is unknown;
    ``known`` is when a reader could first have had the figure (the latest of its sources' dates).
    Growth between quarters is given for quarters only. ``ebitda_multiple`` reads "EBITDA doubled".
    """
    if not 1.0 < ebitda_multiple <= 10:
        raise ValueError(f"ebitda_multiple must be above 1 and at most 10, got {ebitda_multiple!r}")
    cells, _ = _solve(float(ebitda_multiple))
    rows = []
    for period in PERIODS:
        for line in LINES:
            if line == QOQ and period[1] != "Q":  # growth QoQ is between quarters
                continue
            c = cells.get((period, line))
            if c is None:
                rows.append(dict(period=period, line=line, value=None, low=None, high=None, status="unknown",
                                 how=WHY_UNKNOWN[line], known=None))  # fmt: skip
            else:
                rows.append(dict(period=period, line=line, value=c.value, low=c.interval.lo,
                                 high=c.interval.hi, status=c.status, how=c.how, known=c.known))  # fmt: skip
    return pd.DataFrame(rows)


def checks(ebitda_multiple: float = 2.0) -> pd.DataFrame:
    """Every second path to a filled cell, and whether it agrees with the first (their intervals meet)."""
    _, found = _solve(float(ebitda_multiple))
    return pd.DataFrame([c.__dict__ | {"low": c.interval.lo, "high": c.interval.hi} for c in found]).drop(
        columns="interval"
    )

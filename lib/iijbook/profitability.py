"""What the release implies about IIJ's profitability: gross profit, the 1Q02 loss, EBITDA, D&A.

The release prints three margins (14.1% in 2Q01, 9.1% in 1Q02, 11.0% in 2Q02; most likely
the total gross margin), the 2Q02 operating loss ("improved by 58.3% to JPY194M") and 2Q02
EBITDA ("doubled to JPY662M"). Everything else on the profitability page is derived here,
each figure with its formula and the interval the release's rounding allows:

>>> oi = {d.period_label: d for d in operating_income_history()}
>>> round(oi["1Q02"].value / 1e6), round(first_half_operating_income().value / 1e6)
(-465, -659)
>>> da = {d.period_label: d for d in depreciation_history()}
>>> [round(da[p].value / 1e6) for p in ("1Q02", "2Q02")]
[796, 856]

The capex chapter reuses the depreciation and amortisation derived here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .data import figure
from .derived import Derived, combine
from .fmt import millions
from .metrics import (
    Interval,
    Number,
    margin,
    prior_before_improvement,
    prior_from_multiple,
    profit_from_margin,
)
from .revenues import revenue_history

#: The quarters whose gross margin the release prints, oldest first.
MARGIN_QUARTERS = ("2Q01", "1Q02", "2Q02")

#: Precision given to the word "doubled": read as if printed "2.0 times" (1.95 to 2.05).
MULTIPLE_STEP = 0.1


def depreciation_from_ebitda(ebitda: Number, operating_income: Number) -> Number:
    """Depreciation and amortisation implied by EBITDA and operating income.

    EBITDA is operating income with depreciation and amortisation added back, so
    ``D&A = EBITDA − operating income``. In 2Q02: 662 − (−194) = ¥856M.

    >>> depreciation_from_ebitda(662e6, -194e6) / 1e6
    856.0
    """
    return ebitda - operating_income


def operating_expenses_from(gross_profit: Number, operating_income: Number) -> Number:
    """Operating expenses between gross profit and operating income: ``gross profit − operating income``.

    Selling, general and administrative expenses and any other operating costs. In 2Q02:
    1,166 − (−194) = ¥1,360M.

    >>> round(operating_expenses_from(1.166e9, -194e6) / 1e6)
    1360
    """
    return gross_profit - operating_income


def _revenues() -> dict[str, Derived]:
    return {d.period_label: d for d in revenue_history()}


def gross_margins() -> dict[str, Derived]:
    """The three margins the release prints, by quarter, as derived figures (formula: as printed).

    >>> {p: d.value for p, d in gross_margins().items()}
    {'2Q01': 0.141, '1Q02': 0.091, '2Q02': 0.11}
    """
    out = {}
    for p in MARGIN_QUARTERS:
        f = figure(f"gross_margin_{p.lower()}")
        out[p] = Derived(
            f"{p} gross margin",
            p,
            f.value,
            f.interval,
            f"as printed: {f.printed}",
            unit="ratio",
            inputs=(f.id,),
        )
    return out


def gross_profit_history() -> list[Derived]:
    """Gross profit by quarter: total revenues × gross margin, oldest first.

    Revenues are the release's (2Q02) or those its growth rates imply (2Q01, 1Q02):

    - 2Q01 = ¥9.558B × 14.1% = ¥1,348M
    - 1Q02 = ¥9.879B × 9.1% = ¥899M
    - 2Q02 = ¥10.6B × 11.0% = ¥1,166M

    >>> [round(d.value / 1e6) for d in gross_profit_history()]
    [1348, 899, 1166]
    """
    revs, gms = _revenues(), gross_margins()
    out = []
    for p in MARGIN_QUARTERS:
        r, g = revs[p], gms[p]
        out.append(
            Derived(
                f"{p} gross profit",
                p,
                profit_from_margin(r.value, g.value),
                profit_from_margin(r.interval, g.interval),
                f"revenues × gross margin = ¥{r.value / 1e9:.3f}B × {g.value * 100:.1f}%",
                inputs=(f"gross_margin_{p.lower()}",),
            )
        )
    return out


def operating_income_history() -> list[Derived]:
    """Operating income in 1Q02 (implied) and 2Q02 (printed).

    "Operating loss improved by 58.3% to JPY194M": 1Q02 = 2Q02 / (1 − 0.583)
    = −194 / 0.417 = −¥465.2M.

    >>> [round(d.value / 1e6, 1) for d in operating_income_history()]
    [-465.2, -194.0]
    """
    oi, imp = figure("operating_income_2q02"), figure("operating_loss_improvement_2q02")
    return [
        Derived(
            "1Q02 operating income",
            "1Q02",
            prior_before_improvement(oi.value, imp.value),
            prior_before_improvement(oi.interval, imp.interval),
            f"2Q02 / (1 − improvement) = {millions(oi.value)} / (1 − {imp.value:.3f})",
            inputs=(oi.id, imp.id),
        ),
        Derived("2Q02 operating income", "2Q02", oi.value, oi.interval, f"as printed: loss of {oi.printed}"),
    ]


def first_half_operating_income() -> Derived:
    """Operating income of the first half (1H02): 1Q02 + 2Q02 = −465.2 − 194 = −¥659.2M.

    >>> d = first_half_operating_income()
    >>> round(d.value / 1e6, 1), round(d.interval.lo / 1e6, 1), round(d.interval.hi / 1e6, 1)
    (-659.2, -661.5, -657.0)
    """
    q1, q2 = operating_income_history()
    return Derived(
        "1H02 operating income",
        "1H02",
        q1.value + q2.value,
        q1.interval + q2.interval,
        f"1Q02 + 2Q02 = {millions(q1.value)} + ({millions(q2.value)})",
        inputs=q1.inputs,
    )


def _check_multiple(multiple: float) -> None:
    if not multiple > MULTIPLE_STEP:
        raise ValueError(f"the EBITDA multiple must be above {MULTIPLE_STEP}, got {multiple!r}")


def ebitda_history(multiple: float = 2.0) -> list[Derived]:
    """EBITDA in 1Q02 (implied by "doubled") and 2Q02 (printed).

    1Q02 = 2Q02 / multiple = 662 / 2 = ¥331M. "Doubled" is a word, not a figure: the interval
    reads it as if printed "2.0 times" (``multiple`` ± 0.05) on top of the rounding of ¥662M.

    >>> q1, q2 = ebitda_history()
    >>> q1.value / 1e6, round(q1.interval.lo / 1e6, 1), round(q1.interval.hi / 1e6, 1)
    (331.0, 322.7, 339.7)
    >>> round(ebitda_history(1.8)[0].value / 1e6, 1)
    367.8
    """
    _check_multiple(multiple)
    e = figure("ebitda_2q02")
    word = figure("ebitda_multiple_qoq_2q02")
    reading = Interval.around(multiple, MULTIPLE_STEP)
    return [
        Derived(
            "1Q02 EBITDA",
            "1Q02",
            prior_from_multiple(e.value, multiple),
            prior_from_multiple(e.interval, reading),
            f"2Q02 / multiple = {millions(e.value)} / {multiple:g}"
            f" ('{word.printed}' read as {multiple:g} times)",
            inputs=(e.id, word.id),
        ),
        Derived("2Q02 EBITDA", "2Q02", e.value, e.interval, f"as printed: {e.printed}"),
    ]


def depreciation_history(multiple: float = 2.0) -> list[Derived]:
    """Depreciation and amortisation implied by EBITDA less operating income, 1Q02 and 2Q02.

    - 2Q02 = 662 − (−194) = ¥856M (¥855M to ¥857M with rounding)
    - 1Q02 = 331 − (−465.2) = ¥796M, approximate because "doubled" is

    >>> [round(d.value / 1e6, 1) for d in depreciation_history()]
    [796.2, 856.0]
    >>> d = depreciation_history()[1]; d.interval.lo / 1e6, d.interval.hi / 1e6
    (855.0, 857.0)
    """
    return [
        combine(
            f"{e.period_label} depreciation and amortisation",
            e,
            oi,
            depreciation_from_ebitda,
            f"EBITDA − operating income = {millions(e.value)} − ({millions(oi.value)})",
        )
        for e, oi in zip(ebitda_history(multiple), operating_income_history(), strict=True)
    ]


def operating_expense_history() -> list[Derived]:
    """Operating expenses below gross profit, 1Q02 and 2Q02: gross profit − operating income.

    - 1Q02 = 899 − (−465.2) = ¥1,364M
    - 2Q02 = 1,166 − (−194) = ¥1,360M

    Valid only if the printed margin is the total gross margin (the release does not name it).

    >>> [round(d.value / 1e6) for d in operating_expense_history()]
    [1364, 1360]
    """
    gp = {d.period_label: d for d in gross_profit_history()}
    out = []
    for oi in operating_income_history():
        g = gp[oi.period_label]
        formula = f"gross profit − operating income = {millions(g.value)} − ({millions(oi.value)})"
        out.append(combine(f"{oi.period_label} operating expenses", g, oi, operating_expenses_from, formula))
    return out


def margin_history(multiple: float = 2.0) -> list[Derived]:
    """Operating and EBITDA margins for 1Q02 and 2Q02: profit / total revenues.

    - operating margin 1Q02 = −465.2 / 9,879 = −4.71%; 2Q02 = −194 / 10,600 = −1.83%
    - EBITDA margin 1Q02 = 331 / 9,879 = 3.35%; 2Q02 = 662 / 10,600 = 6.25%

    >>> [(d.name, round(d.value * 100, 2)) for d in margin_history()]  # doctest: +NORMALIZE_WHITESPACE
    [('1Q02 operating margin', -4.71), ('2Q02 operating margin', -1.83),
     ('1Q02 EBITDA margin', 3.35), ('2Q02 EBITDA margin', 6.25)]
    """
    revs = _revenues()
    out = []
    for kind, items in (
        ("operating margin", operating_income_history()),
        ("EBITDA margin", ebitda_history(multiple)),
    ):
        label = "operating income" if kind == "operating margin" else "EBITDA"
        for d in items:
            r = revs[d.period_label]
            formula = f"{label} / revenues = {millions(d.value)} / ¥{r.value / 1e9:.3f}B"
            out.append(combine(f"{d.period_label} {kind}", d, r, margin, formula, unit="ratio"))
    return out


@dataclass(frozen=True)
class SecondHalfProfit:
    """What positive FY2002 operating income asks of the second half (2H02), under assumptions.

    ``h1_operating_income`` is derived from the release; ``h2_revenue``, ``gross_margin`` and
    ``opex_per_quarter`` are assumptions the caller makes.
    """

    h1_operating_income: float
    h2_revenue: float
    gross_margin: float
    opex_per_quarter: float

    @property
    def needed(self) -> float:
        """The 2H02 operating income that only just offsets the first half: ``−1H02``."""
        return -self.h1_operating_income

    @property
    def gross_profit(self) -> float:
        """2H02 gross profit: revenues × assumed gross margin."""
        return profit_from_margin(self.h2_revenue, self.gross_margin)

    @property
    def operating_expenses(self) -> float:
        """2H02 operating expenses: two quarters at the assumed level."""
        return 2 * self.opex_per_quarter

    @property
    def operating_income(self) -> float:
        """2H02 operating income: gross profit − operating expenses."""
        return self.gross_profit - self.operating_expenses

    @property
    def operating_margin(self) -> float:
        return margin(self.operating_income, self.h2_revenue)

    @property
    def fy2002_operating_income(self) -> float:
        """FY2002 operating income: 1H02 (derived) + 2H02 (under the assumptions)."""
        return self.h1_operating_income + self.operating_income

    @property
    def required_gross_margin(self) -> float:
        """The 2H02 gross margin at which FY2002 breaks even: (needed + expenses) / revenues."""
        return (self.needed + self.operating_expenses) / self.h2_revenue

    @property
    def required_revenue(self) -> float:
        """The 2H02 revenues at which FY2002 breaks even: (needed + expenses) / gross margin."""
        if self.gross_margin <= 0:
            return float("inf")
        return (self.needed + self.operating_expenses) / self.gross_margin

    @property
    def opex_allowed_per_quarter(self) -> float:
        """The most a 2H02 quarter may spend below gross profit for FY2002 to break even."""
        return (self.gross_profit - self.needed) / 2


def second_half_profit(
    h2_revenue: float, gross_margin: float, opex_per_quarter: float | None = None
) -> SecondHalfProfit:
    """What the FY2002 "positive operating income" goal needs from the second half.

    1H02 lost ¥659.2M, so 2H02 operating income must exceed ¥659.2M:

        2H02 operating income = 2H02 revenues × gross margin − 2 × operating expenses per quarter

    ``opex_per_quarter`` defaults to the 2Q02 level the release implies (¥1,360M). With the
    ¥27.39B second half that a +20% year needs (revenues chapter) and 2Q02's 11.0% margin:

    >>> s = second_half_profit(27.39e9, 0.11)
    >>> round(s.operating_income / 1e6), round(s.fy2002_operating_income / 1e6)
    (293, -366)
    >>> round(s.required_gross_margin, 4), round(s.required_revenue / 1e9, 2)
    (0.1234, 30.72)
    """
    if h2_revenue <= 0:
        raise ValueError(f"2H02 revenues must be positive, got {h2_revenue!r}")
    if not 0 <= gross_margin <= 1:
        raise ValueError(f"the gross margin must be between 0 and 1, got {gross_margin!r}")
    if opex_per_quarter is None:
        opex_per_quarter = operating_expense_history()[-1].value
    if opex_per_quarter <= 0:
        raise ValueError(f"operating expenses must be positive, got {opex_per_quarter!r}")
    return SecondHalfProfit(
        h1_operating_income=first_half_operating_income().value,
        h2_revenue=h2_revenue,
        gross_margin=gross_margin,
        opex_per_quarter=opex_per_quarter,
    )

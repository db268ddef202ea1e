"""The profitability figures other chapters reuse: the 1Q02 loss, EBITDA, D&A and margins.

The profitability chapter derives each of these step by step, with the interval its rounding
allows; these functions give the same figures as :class:`~iijbook.derived.Derived` values to the
chapters that build on them (CAPEX, and the outlook for the first half's operating income):

>>> oi = {d.period_label: d for d in operating_income_history()}
>>> round(oi["1Q02"].value / 1e6), round(first_half_operating_income().value / 1e6)
(-465, -659)
>>> da = {d.period_label: d for d in depreciation_history()}
>>> [round(da[p].value / 1e6) for p in ("1Q02", "2Q02")]
[796, 856]
"""

from __future__ import annotations

from .data import figure
from .derived import Derived, combine
from .fmt import millions
from .metrics import Interval, Number, prior_before_improvement, prior_from_multiple

#: Precision given to the word "doubled": read as if printed "2.0 times" (1.95 to 2.05).
MULTIPLE_STEP = 0.1


def depreciation_from_ebitda(ebitda: Number, operating_income: Number) -> Number:
    """D&A implied by EBITDA, which is operating income with D&A added back: 662 − (−194) = ¥856M.

    >>> depreciation_from_ebitda(662e6, -194e6) / 1e6
    856.0
    """
    return ebitda - operating_income


def operating_income_history() -> list[Derived]:
    """Operating income in 1Q02, implied by "improved by 58.3% to JPY194M" (−194 / 0.417), and 2Q02."""
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
    """Operating income of 1H02: 1Q02 + 2Q02 = −465.2 − 194 = −¥659.2M."""
    q1, q2 = operating_income_history()
    return Derived(
        "1H02 operating income",
        "1H02",
        q1.value + q2.value,
        q1.interval + q2.interval,
        f"1Q02 + 2Q02 = {millions(q1.value)} + ({millions(q2.value)})",
        inputs=q1.inputs,
    )


def ebitda_history(multiple: float = 2.0) -> list[Derived]:
    """EBITDA in 1Q02, implied by "doubled" (662 / 2 = ¥331M), and 2Q02 as printed.

    "Doubled" is a word, not a figure: the interval reads it as if printed "2.0 times"
    (``multiple`` ± 0.05) on top of the rounding of ¥662M.

    >>> q1, q2 = ebitda_history()
    >>> q1.value / 1e6, round(q1.interval.lo / 1e6, 1), round(q1.interval.hi / 1e6, 1)
    (331.0, 322.7, 339.7)
    """
    if not multiple > MULTIPLE_STEP:
        raise ValueError(f"the EBITDA multiple must be above {MULTIPLE_STEP}, got {multiple!r}")
    e, word = figure("ebitda_2q02"), figure("ebitda_multiple_qoq_2q02")
    return [
        Derived(
            "1Q02 EBITDA",
            "1Q02",
            prior_from_multiple(e.value, multiple),
            prior_from_multiple(e.interval, Interval.around(multiple, MULTIPLE_STEP)),
            f"2Q02 / multiple = {millions(e.value)} / {multiple:g}"
            f" ('{word.printed}' read as {multiple:g} times)",
            inputs=(e.id, word.id),
        ),
        Derived("2Q02 EBITDA", "2Q02", e.value, e.interval, f"as printed: {e.printed}"),
    ]


def depreciation_history(multiple: float = 2.0) -> list[Derived]:
    """D&A in 1Q02 and 2Q02: EBITDA less operating income (1Q02 approximate: "doubled" is a word)."""
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

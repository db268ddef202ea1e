"""Checks for the classroom edition's exercises: ``correct``, ``not yet`` with a hint, or ``not answered``.

Each chapter computes the answers to its own exercises in a cell tagged
``exercise-answers``: a mapping from the exercise's label to ``(value, low, high, asks)``,
where ``low`` to ``high`` is what the release's rounding allows and ``asks`` says how to
write the answer. The classroom edition (``make classroom``) follows each exercise
with an answer cell, ``answer = ...``, and a check cell that calls :func:`check`.
No chapter imports this module; only the classroom notebooks do.

A check prints one line. It never prints the expected value: a hint names the kind
of slip (a sign, a factor of a thousand, a percentage written as a whole number).

>>> q2_01 = (9.558e9, 9.509e9, 9.608e9, "2Q01 revenues in yen")  # ¥10.6B ÷ 1.109, and its range
>>> verdict(..., q2_01)
'not answered: replace ... with 2Q01 revenues in yen'
>>> verdict(9.56e9, q2_01)
'correct: 9.56e+09 is within what the release’s rounding allows'
>>> verdict(9.56, q2_01)
'not yet: check the unit: your answer is off by a factor of a billion (write yen, not billions)'
>>> verdict(-9.56e9, q2_01)
'not yet: check the sign'
>>> import numpy
>>> verdict(numpy.int64(9_560_000_000), q2_01), verdict(10**400, q2_01)[:26]
('correct: 9.56e+09 is within what the release’s rounding allows', 'not yet: write a number, 2')
"""

from __future__ import annotations

import math
from typing import Any

#: An exercise's answer: its value, the lowest and highest the release's rounding allows,
#: and what the answer cell asks for ("2Q01 revenues in yen").
Expected = tuple[Any, Any, Any, str]

#: How far a student's own rounding may take an answer outside the interval: half a percent.
ROUNDING_SLACK = 0.005

#: Slips of scale, and the hint each gets.
_FACTORS = (
    (1e3, "a factor of a thousand"),
    (1e6, "a factor of a million"),
    (1e9, "a factor of a billion"),
    (100, "a factor of 100 (write a rate as a fraction: 0.05 for 5%)"),
)
_UNITS = {
    1e3: " (write yen, not thousands)",
    1e6: " (write yen, not millions)",
    1e9: " (write yen, not billions)",
}


def _within(x: float, low: float, high: float) -> bool:
    slack = ROUNDING_SLACK * max(abs(low), abs(high))
    return low - slack <= x <= high + slack


def verdict(answer: Any, expected: Expected) -> str:
    """The check's line for ``answer`` against an exercise's ``expected`` answer."""
    value, low, high, asks = expected
    if answer is ... or answer is None:
        return f"not answered: replace ... with {asks}"
    if isinstance(value, str):  # a word: only text can be it (str() of 10**5000 would raise)
        given = answer.strip().upper() if isinstance(answer, str) else None
        return "correct" if given == value.upper() else f"not yet: write {asks}"
    try:  # any number a student can type or compute (numpy's included), never text or a flag
        x = math.nan if isinstance(answer, bool | str | bytes) else float(answer)
    except (TypeError, ValueError, OverflowError):  # not a number, or one no float can hold (10**400)
        x = math.nan
    if not math.isfinite(x):
        return f"not yet: write a number, {asks} (for example 1.5e9 for ¥1.5B)"
    if _within(x, low, high):
        return f"correct: {x:.3g} is within what the release’s rounding allows"
    if _within(-x, low, high):
        return "not yet: check the sign"
    for factor, words in _FACTORS:
        for scaled, unit in ((x * factor, _UNITS.get(factor, "")), (x / factor, "")):
            if _within(scaled, low, high):
                return f"not yet: check the unit: your answer is off by {words}{unit}"
    if value and abs(x / value - 1) < 0.05:
        return "not yet: close, but outside what the release’s rounding allows: carry more digits"
    return "not yet: recheck which figures the formula takes, and the formula itself"


def check(label: str, answer: Any, answers: dict[str, Expected]) -> None:
    """Check one exercise's answer and print the line (see :func:`verdict`)."""
    print(verdict(answer, answers[label]))

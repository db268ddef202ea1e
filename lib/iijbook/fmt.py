"""Formatting figures the way the book prints them: ¥10.6B, $86.8M, 7.3%.

Each formatter returns :class:`Text`, which shows as itself where a value is shown
(in a cell's output, or cited in prose with ``{eval}``).

>>> yen(10.6e9), usd(86.8e6), pct(0.073)
(¥10.6B, $86.8M, 7.3%)
>>> yen(-194e6), pct(0.073, signed=True), yen_rate(122.12)
(−¥194M, +7.3%, ¥122.1)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

MINUS = "\u2212"  # a real minus sign, as typeset
#: Invisible, and forbids a line break: keeps "−¥465M" on one line.
WORD_JOINER = "\u2060"


class Text(str):
    """Text that shows as itself wherever a value is shown: no quotes, no escapes.

    Prose cites values with the ``{eval}`` role, which shows a value's ``repr``;
    a plain ``str`` would show as ``'¥10.6B'``, and a word joiner as ``\\u2060``.

    >>> Text("¥10.6B")
    ¥10.6B
    >>> Text(yen(-194e6)) == yen(-194e6)
    True
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's display of the value
        printer.text(str(self))


def _text(fn: Callable[..., str]) -> Callable[..., Text]:
    """Make a formatter return :class:`Text`, so a cited figure shows as itself."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> Text:
        return Text(fn(*args, **kwargs))

    return wrapper


def _scaled(value: float, digits: int | None) -> str:
    size = abs(value)
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= factor * 0.9995:
            scaled = size / factor
            if digits is None:
                d = 1 if scaled < 100 else 0
            else:
                d = digits
            return f"{scaled:,.{d}f}{suffix}"
    d = 0 if digits is None else digits
    return f"{size:,.{d}f}"


@_text
def money(value: float, symbol: str, digits: int | None = None) -> str:
    """A money amount with a symbol and a B/M/K suffix, minus sign in front.

    >>> money(13.0e9, "¥"), money(-1.7e9, "¥"), money(459e6, "¥")
    (¥13.0B, −¥1.7B, ¥459M)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    sign = MINUS if value < 0 else ""
    return f"{sign}{symbol}{_scaled(value, digits)}"


@_text
def yen(value: float, digits: int | None = None) -> str:
    """Yen, e.g. ``¥10.6B`` or ``¥662M``.

    >>> yen(9.879e9, 2)
    ¥9.88B
    """
    return money(value, "¥", digits)


@_text
def usd(value: float, digits: int | None = None) -> str:
    """Dollars, e.g. ``$86.8M``.

    >>> usd(70.67e6)
    $70.7M
    """
    return money(value, "$", digits)


@_text
def pct(value: float, digits: int = 1, signed: bool = False) -> str:
    """A ratio as a percentage: 0.073 → ``7.3%``; ``signed`` adds ``+``.

    >>> pct(-0.0094, signed=True)
    −0.9%
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{abs(value) * 100:,.{digits}f}%"
    if value < 0 and float(text.rstrip("%").replace(",", "")) != 0:
        return MINUS + text
    return ("+" + text) if signed else text


@_text
def millions(value: float, digits: int = 0) -> str:
    """Yen in millions whatever the size, as the release counts operating results: ``¥1,166M``.

    A word joiner after the minus sign keeps a line from breaking inside the figure.

    >>> millions(1.166e9), millions(-465.2e6).replace(WORD_JOINER, ""), millions(-0.2e6)
    (¥1,166M, '−¥465M', ¥0M)
    """
    text = f"{abs(value) / 1e6:,.{digits}f}"
    sign = MINUS + WORD_JOINER if value < 0 and float(text.replace(",", "")) != 0 else ""
    return f"{sign}¥{text}M"


@_text
def nobreak(text: str) -> str:
    """Keep every minus sign on the same line as its figure (a word joiner after it).

    >>> nobreak("−¥194M") == "−\u2060¥194M"
    True
    """
    return text.replace(MINUS, MINUS + WORD_JOINER)


@_text
def yen_rate(value: float, digits: int = 1) -> str:
    """A yen-per-dollar rate: ``¥122.1``.

    >>> yen_rate(150)
    ¥150.0
    """
    return f"¥{value:,.{digits}f}"


@_text
def count(value: float, digits: int | None = None) -> str:
    """A count with a M/K suffix above a thousand, in full below.

    >>> count(4.6e6), count(114608), count(211)
    (4.6M, 115K, 211)
    """
    return _scaled(value, digits) if value >= 1e3 else f"{value:,.0f}"


@_text
def area(value: float) -> str:
    """Square metres with a thousands separator: ``39,165 m²``.

    >>> area(39165)
    39,165 m²
    """
    return f"{value:,.0f} m²"


@_text
def interval(lo: str, hi: str) -> str:
    """Two formatted ends of a range, joined by an en dash.

    >>> interval(yen(10.55e9, 2), yen(10.65e9, 2))
    ¥10.55B–¥10.65B
    """
    return f"{lo}\u2013{hi}"

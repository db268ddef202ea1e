"""Chapter parameters: read from the parameters cell, typed by their annotation, bounded by their comment.

A chapter's parameters cell has one line per parameter. The annotation gives
the type; the comment starts with what is allowed, in brackets, then says
what the parameter means::

    jpy_per_usd: float | None = None  # [50, 1000] yen per dollar; None: the release's own rate
    guidance_point: str = "mid"  # [low | mid | high] where 3Q02 lands in the guided range
    cutoff: str = "2002-10"  # [2000-03, 2003-12] last month the projection may see

``[a, b]`` is a closed range, ``(a, b]`` leaves ``a`` out; bounds may be
numbers, ISO months (``YYYY-MM``) or ISO dates (``YYYY-MM-DD``), and a value
of a range of months or dates must be a real month or date written the same
way (``2002-13`` and ``2002-02-30`` are refused). ``[x | y | z]`` lists the
allowed values. ``None`` is allowed when the annotation includes it.

A notebook checks its own values with :func:`check_chapter`; the build tool
converts text from the command line by the same declarations.

>>> p = Parameter("jpy_per_usd", "float | None", None, "(0, 1000] yen per dollar")
>>> check(p, 150.0)
>>> check(p, -5.0)
Traceback (most recent call last):
...
iijbook.params.ParameterError: parameter jpy_per_usd: -5.0 is out of range: allowed (0, 1000]
"""

from __future__ import annotations

import ast
import datetime
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The types a parameter may have: the values a command line or params file can give.
KINDS = ("int", "float", "bool", "str", "None")

#: How much of a value a message shows before it is cut short.
SHOWN_CHARS = 60


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters with its length.

    >>> shown("150"), shown(150.0), shown("9" * 5000)[-23:]
    ("'150'", '150.0', '9999… (5000 characters)')
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, str | bytes) else len(text)
    return f"{text[: limit - 3]}… ({size} characters)"


@dataclass(frozen=True)
class Parameter:
    """One line of a chapter's parameters cell."""

    name: str
    annotation: str
    default: Any
    comment: str

    @property
    def default_text(self) -> str:
        return repr(self.default)


def comments(source: str) -> dict[int, str]:
    """The comment on each line of ``source``, by line number."""
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def parameters_cell(cells: list) -> tuple[int, dict] | None:
    """The index and cell tagged ``parameters`` among ``cells``, if any."""
    for i, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if isinstance(tags, list) and "parameters" in tags:
            return i, cell
    return None


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def parameters_of(cells: list) -> tuple[Parameter, ...]:
    """The parameters declared in the cell tagged ``parameters`` among ``cells``, in order.

    Each line ``name: type = value  # comment`` is one parameter. The build refuses a
    parameters cell written any other way before anything runs
    (:func:`iijbook_build.inputs.read_parameters`); this reading takes the lines it can.

    >>> cell = {"metadata": {"tags": ["parameters"]}, "source": "rate: float = 2.0  # [0, 10] a rate"}
    >>> parameters_of([cell])
    (Parameter(name='rate', annotation='float', default=2.0, comment='[0, 10] a rate'),)
    """
    found = parameters_cell(cells)
    if found is None:
        return ()
    source = cell_source(found[1])
    said = comments(source)
    return tuple(
        Parameter(
            node.target.id,
            ast.unparse(node.annotation),
            None if node.value is None else ast.literal_eval(node.value),
            said.get(node.lineno, ""),
        )
        for node in ast.parse(source).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    )


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class ParameterError(ValueError):
    """A parameter that is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Constraint:
    """What values a parameter allows, read from the start of its comment."""

    text: str
    choices: tuple[str, ...] = ()
    low: Any = None
    high: Any = None
    low_open: bool = False
    high_open: bool = False
    #: "month" or "date" when the bounds are ISO months or dates, else "".
    calendar: str = ""

    def allows(self, value: Any) -> bool:
        if value is None:
            return True
        if self.choices:
            return str(value) in self.choices
        if self.calendar:
            value = as_calendar(self.calendar, value)
            if value is None:
                return False
        if self.low is not None:
            if (value <= self.low) if self.low_open else (value < self.low):
                return False
        if self.high is not None:
            if (value >= self.high) if self.high_open else (value > self.high):
                return False
        return True


_RANGE = re.compile(r"^\s*([\[(])\s*([^,\])]*?)\s*,\s*([^,\])]*?)\s*([\])])")
_CHOICES = re.compile(r"^\s*\[([^\]]*\|[^\]]*)\]")


def as_calendar(calendar: str, value: Any) -> datetime.date | None:
    """``value`` as the first day of its month (``calendar="month"``) or as a date; None if it is not one.

    >>> as_calendar("month", "2002-10"), as_calendar("month", "2002-13"), as_calendar("month", "2001")
    (datetime.date(2002, 10, 1), None, None)
    >>> as_calendar("date", "2002-02-28"), as_calendar("date", "2002-02-30")
    (datetime.date(2002, 2, 28), None)
    """
    pattern = _MONTH if calendar == "month" else _DATE
    m = pattern.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return None
    y, mo, d = (int(g) for g in (*m.groups(), "1")[:3])
    try:
        return datetime.date(y, mo, d)
    except ValueError:
        return None


def _calendar_of(*bounds: str) -> str:
    given = [b for b in bounds if b not in ("", "inf", "-inf")]
    for calendar, pattern in (("month", _MONTH), ("date", _DATE)):
        if given and all(pattern.fullmatch(b) for b in given):
            return calendar
    return ""


def _bound(text: str, calendar: str) -> Any:
    if text in ("", "inf", "-inf"):
        return None
    if calendar:
        return as_calendar(calendar, text)
    try:
        return float(text)
    except ValueError:
        return text  # other text: compared as text


def constraint_of(param: Parameter) -> Constraint | None:
    """The constraint at the start of a parameter's comment, if any.

    >>> constraint_of(Parameter("g", "str", "mid", "[low | mid | high] where")).choices
    ('low', 'mid', 'high')
    >>> c = constraint_of(Parameter("c", "str", "2002-10", "[2000-03, 2003-12] cut-off"))
    >>> c.allows("2002-10"), c.allows("2004-01"), c.allows("2002-13"), c.allows("2002-99 junk")
    (True, False, False, False)
    """
    m = _CHOICES.match(param.comment)
    if m:
        return Constraint(m.group(0).strip(), tuple(c.strip() for c in m.group(1).split("|")))
    m = _RANGE.match(param.comment)
    if m:
        calendar = _calendar_of(m.group(2), m.group(3))
        return Constraint(
            text=m.group(0).strip(),
            low=_bound(m.group(2), calendar),
            high=_bound(m.group(3), calendar),
            low_open=m.group(1) == "(",
            high_open=m.group(4) == ")",
            calendar=calendar,
        )
    return None


_ARTICLES = {"int": "an int", "float": "a float", "bool": "a bool (true or false)", "str": "text"}


def kinds_text(annotation: str) -> str:
    """What an annotation allows, in words.

    >>> kinds_text("float | None"), kinds_text("int")
    ('a float or None', 'an int')
    """
    return " or ".join(_ARTICLES.get(k, k) for k in (k.strip() for k in annotation.split("|")))


def _not_a(param: Parameter, value: Any) -> ParameterError:
    return ParameterError(f"parameter {param.name}: {shown(value)} is not {kinds_text(param.annotation)}")


def check(param: Parameter, value: Any) -> None:
    """Raise :class:`ParameterError` if ``value`` is outside what the parameter allows."""
    c = constraint_of(param)
    if c is None:
        return
    if c.calendar and value is not None and as_calendar(c.calendar, value) is None:
        form = "YYYY-MM" if c.calendar == "month" else "YYYY-MM-DD"
        raise ParameterError(
            f"parameter {param.name}: {shown(value)} is not a {c.calendar}: write {form}, allowed {c.text}"
        )
    try:
        ok = c.allows(value)
    except TypeError:
        ok = False
    if not ok:
        raise ParameterError(f"parameter {param.name}: {shown(value)} is out of range: allowed {c.text}")


def chapter_notebook(name: str) -> Path:
    """The notebook of chapter ``name``: in the working folder (JupyterLab and the build run a
    chapter from its own folder), else in the book's ``chapters/``."""
    here = Path.cwd() / f"{name}.ipynb"
    return here if here.is_file() else Path(__file__).resolve().parents[2] / "chapters" / f"{name}.ipynb"


def check_chapter(chapter_name: str, namespace: dict[str, Any]) -> None:
    """Check a chapter's parameter values in the notebook itself (JupyterLab, papermill).

    The parameters cell is the one list of names: call this in the cell after it with
    ``globals()``, and every parameter that cell declares is checked, none retyped.

    >>> check_chapter("revenues", {"jpy_per_usd": None, "guidance_point": "best"})
    Traceback (most recent call last):
    ...
    iijbook.params.ParameterError: parameter guidance_point: 'best' is out of range: ...
    """
    path = chapter_notebook(chapter_name)
    if not path.is_file():
        raise ParameterError(f"unknown chapter {chapter_name!r}")
    for param in parameters_of(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if param.name not in namespace:
            raise ParameterError(
                f"parameter {param.name} of chapter {chapter_name} is not defined: "
                "run the parameters cell first"
            )
        value = namespace[param.name]
        if value is not None and not _is_type(param, value):
            raise _not_a(param, value)
        check(param, float(value) if isinstance(value, int) and not isinstance(value, bool) else value)


def _is_type(param: Parameter, value: Any) -> bool:
    kinds = {k.strip() for k in param.annotation.split("|")}
    if isinstance(value, bool):
        return "bool" in kinds
    if isinstance(value, int | float):
        return bool(kinds & {"float", "int"})
    if isinstance(value, str):
        return "str" in kinds
    return False

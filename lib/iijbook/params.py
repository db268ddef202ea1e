"""Chapter parameters: typed by their annotation, bounded by their comment.

A chapter's parameters cell has one line per parameter. The annotation gives
the type; the comment starts with what is allowed, in brackets, then says
what the parameter means::

    jpy_per_usd: float | None = None  # (0, 1000] yen per dollar; None: the release's own rate
    guidance_point: str = "mid"  # [low | mid | high] where 3Q02 lands in the guided range
    cutoff: str = "2002-10"  # [2000-03, 2003-12] last month the projection may see

``[a, b]`` is a closed range, ``(a, b]`` leaves ``a`` out; bounds may be
numbers or ISO months/dates. ``[x | y | z]`` lists the allowed values.
``None`` is allowed when the annotation includes it.

Values from the command line arrive as text and are converted by the
annotation; a value is data: text stays text, nothing in it is evaluated.

>>> from iijbook.chapters import Parameter
>>> p = Parameter("jpy_per_usd", "float | None", None, "(0, 1000] yen per dollar")
>>> convert(p, "150"), convert(p, "None")
(150.0, None)
>>> convert(p, "-5")
Traceback (most recent call last):
...
iijbook.params.ParameterError: parameter jpy_per_usd: -5.0 is out of range: allowed (0, 1000]
>>> convert(Parameter("label", "str", "", "a label"), "__import__('os')")
"__import__('os')"
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chapters import Chapter, Parameter, discover


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

    def allows(self, value: Any) -> bool:
        if value is None:
            return True
        if self.choices:
            return str(value) in self.choices
        if self.low is not None:
            if (value <= self.low) if self.low_open else (value < self.low):
                return False
        if self.high is not None:
            if (value >= self.high) if self.high_open else (value > self.high):
                return False
        return True


_RANGE = re.compile(r"^\s*([\[(])\s*([^,\])]*?)\s*,\s*([^,\])]*?)\s*([\])])")
_CHOICES = re.compile(r"^\s*\[([^\]]*\|[^\]]*)\]")


def _bound(text: str) -> Any:
    if text in ("", "inf", "-inf"):
        return None
    try:
        return float(text)
    except ValueError:
        return text  # an ISO month or date: compared as text


def constraint_of(param: Parameter) -> Constraint | None:
    """The constraint at the start of a parameter's comment, if any.

    >>> constraint_of(Parameter("g", "str", "mid", "[low | mid | high] where")).choices
    ('low', 'mid', 'high')
    >>> c = constraint_of(Parameter("c", "str", "2002-10", "[2000-03, 2003-12] cut-off"))
    >>> c.allows("2002-10"), c.allows("2004-01")
    (True, False)
    """
    m = _CHOICES.match(param.comment)
    if m:
        return Constraint(m.group(0).strip(), tuple(c.strip() for c in m.group(1).split("|")))
    m = _RANGE.match(param.comment)
    if m:
        return Constraint(
            text=m.group(0).strip(),
            low=_bound(m.group(2)),
            high=_bound(m.group(3)),
            low_open=m.group(1) == "(",
            high_open=m.group(4) == ")",
        )
    return None


def _one(kind: str, text: str) -> Any:
    if kind == "None":
        if text.strip() in ("None", "null", "~"):
            return None
        raise ValueError
    if kind == "float":
        value = float(text)
        if not math.isfinite(value):
            raise ValueError
        return value
    if kind == "int":
        return int(text)
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("true", "yes"):
            return True
        if lowered in ("false", "no"):
            return False
        raise ValueError
    if kind == "str":
        return text
    raise ValueError


def convert(param: Parameter, value: Any) -> Any:
    """Convert ``value`` (text, or a YAML scalar) to the parameter's type and check its range."""
    kinds = [k.strip() for k in param.annotation.split("|")]
    text = "None" if value is None else (value if isinstance(value, str) else str(value))
    if isinstance(value, bool) and "bool" not in kinds:
        raise ParameterError(f"parameter {param.name}: {value!r} is not a {param.annotation}")
    # None first, so "None" means None wherever None is allowed
    for kind in sorted(kinds, key=lambda k: k != "None"):
        try:
            converted = _one(kind, text)
            break
        except (ValueError, TypeError):
            continue
    else:
        raise ParameterError(f"parameter {param.name}: {value!r} is not a {param.annotation}")
    check(param, converted)
    return converted


def check(param: Parameter, value: Any) -> None:
    """Raise :class:`ParameterError` if ``value`` is outside what the parameter allows."""
    c = constraint_of(param)
    if c is None:
        return
    try:
        ok = c.allows(value)
    except TypeError:
        ok = False
    if not ok:
        raise ParameterError(f"parameter {param.name}: {value!r} is out of range: allowed {c.text}")


def check_chapter(chapter_name: str, values: dict[str, Any]) -> None:
    """Check a chapter's parameter values in the notebook itself (JupyterLab, papermill).

    Call it in the cell after the parameters cell with ``locals()`` or a dict.

    >>> check_chapter("revenues", {"guidance_point": "best"})
    Traceback (most recent call last):
    ...
    iijbook.params.ParameterError: parameter guidance_point: 'best' is out of range: ...
    """
    chapter = next((c for c in discover() if c.name == chapter_name), None)
    if chapter is None:
        raise ParameterError(f"unknown chapter {chapter_name!r}")
    for param in chapter.parameters:
        if param.name in values:
            value = values[param.name]
            if value is not None and not _is_type(param, value):
                raise ParameterError(f"parameter {param.name}: {value!r} is not a {param.annotation}")
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


def resolve(
    chapters: list[Chapter],
    overrides: dict[str, Any],
    per_chapter: dict[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The parameters each chapter gets, converted and checked.

    ``overrides`` apply to every chapter that declares them; ``per_chapter``
    (from a params file) to one chapter each, and win over ``overrides``. A
    name that no chapter declares is an error, so a typo never passes silently.
    """
    known = {p.name for c in chapters for p in c.parameters}
    for name in overrides:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ParameterError(f"unknown parameter {name!r} (the chapters take: {listed})")
    by_name = {c.name: c for c in chapters}
    for chapter_name, values in (per_chapter or {}).items():
        if chapter_name not in by_name:
            raise ParameterError(f"unknown chapter {chapter_name!r} (chapters: {', '.join(by_name)})")
        for name in values:
            if by_name[chapter_name].parameter(name) is None:
                takes = ", ".join(p.name for p in by_name[chapter_name].parameters) or "none"
                raise ParameterError(f"chapter {chapter_name} has no parameter {name!r} (it takes: {takes})")
    out: dict[str, dict[str, Any]] = {}
    for chapter in chapters:
        given = {n: v for n, v in overrides.items() if chapter.parameter(n) is not None}
        given.update((per_chapter or {}).get(chapter.name, {}))
        out[chapter.name] = {name: convert(chapter.parameter(name), value) for name, value in given.items()}
    return out


def read_params_file(
    path: Path, chapter_names: list[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read a YAML params file: shared ``name: value`` lines and ``chapter: {name: value}`` blocks.

    Returns (shared, per_chapter). A file that is not YAML, or not of that
    shape, raises :class:`ParameterError` naming the file and the problem.
    """
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"params file {path}: cannot read it ({exc})") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParameterError(f"params file {path}: not valid YAML{where}") from None
    if loaded is None:
        return {}, {}
    if not isinstance(loaded, dict):
        raise ParameterError(
            f"params file {path}: expected a mapping of 'name: value' lines and "
            f"'chapter:' blocks, got a {type(loaded).__name__}"
        )
    shared: dict[str, Any] = {}
    per_chapter: dict[str, dict[str, Any]] = {}
    for key, value in loaded.items():
        if not isinstance(key, str):
            raise ParameterError(f"params file {path}: key {key!r} is not a name")
        if isinstance(value, dict):
            if key not in chapter_names:
                raise ParameterError(
                    f"params file {path}: {key!r} is not a chapter (chapters: {', '.join(chapter_names)})"
                )
            for name, v in value.items():
                if isinstance(v, (dict, list)):
                    raise ParameterError(f"params file {path}: {key}.{name} must be a single value")
            per_chapter[key] = {str(n): v for n, v in value.items()}
        elif isinstance(value, list):
            raise ParameterError(f"params file {path}: {key} must be a single value, not a list")
        else:
            shared[key] = value
    return shared, per_chapter

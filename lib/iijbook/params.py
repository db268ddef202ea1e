"""Reading parameter values from the command line, typed by the chapters.

Values arrive as text (``-p jpy_per_usd 150``) and are converted by the type
annotation in the chapter's parameters cell. A value is data: text stays
text, and nothing in it is ever evaluated as Python.

>>> from iijbook.chapters import Parameter
>>> p = Parameter("jpy_per_usd", "float | None", None, "yen per dollar")
>>> convert(p, "150"), convert(p, "None")
(150.0, None)
>>> convert(Parameter("label", "str", "", ""), "__import__('os')")
"__import__('os')"
"""

from __future__ import annotations

import math
from typing import Any

from .chapters import Chapter, Parameter


class ParameterError(ValueError):
    """A parameter that is unknown, of the wrong type or out of range."""


def _one(kind: str, text: str) -> Any:
    if kind == "None":
        if text.strip() in ("None", "null", ""):
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
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError
    if kind == "str":
        return text
    raise ValueError


def convert(param: Parameter, value: Any) -> Any:
    """Convert ``value`` (text, or already typed from a YAML file) to the parameter's type."""
    kinds = [k.strip() for k in param.annotation.split("|")]
    if not isinstance(value, str):
        value = "None" if value is None else str(value)
    # None first, so "None" is not read as the string "None" for str | None
    for kind in sorted(kinds, key=lambda k: k != "None"):
        try:
            return _one(kind, value)
        except (ValueError, TypeError):
            continue
    raise ParameterError(f"parameter {param.name}: {value!r} is not a {param.annotation} ({param.comment})")


def resolve(chapters: list[Chapter], overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The parameters each chapter gets: every override it declares, converted.

    An override that no chapter declares is an error, so a typo never passes
    silently.
    """
    known = {p.name for c in chapters for p in c.parameters}
    for name in overrides:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise ParameterError(f"unknown parameter {name!r} (the chapters take: {listed})")
    out: dict[str, dict[str, Any]] = {}
    for chapter in chapters:
        out[chapter.name] = {
            name: convert(param, overrides[name])
            for name in overrides
            if (param := chapter.parameter(name)) is not None
        }
    return out

"""The values a build is given: ``-p`` pairs and a params file, resolved per chapter and checked.

>>> from iijbook.params import Parameter
>>> from iijbook_build.chapters import Chapter
>>> point = Parameter("guidance_point", "str", "mid", "[low | mid | high] where 3Q02 lands")
>>> ch = Chapter("revenues", Path("revenues.ipynb"), (point,))
>>> resolve([ch], {"guidance_point": "low"})
{'revenues': {'guidance_point': 'low'}}

Values from the command line arrive as text and are converted by the
annotation; a value is data: text stays text, nothing in it is evaluated, and
no value may be longer than :data:`MAX_VALUE_CHARS`. Messages show a long
value cut short, with its length.

>>> p = Parameter("jpy_per_usd", "float | None", None, "(0, 1000] yen per dollar")
>>> convert(p, "150"), convert(p, "None")
(150.0, None)
>>> convert(p, "-5")
Traceback (most recent call last):
...
iijbook.params.ParameterError: parameter jpy_per_usd: -5.0 is out of range: allowed (0, 1000]
>>> convert(Parameter("label", "str", "", "a label"), "__import__('os')")
"__import__('os')"
>>> convert(Parameter("cutoff", "str", "2002-10", "[2000-12, 2003-06] last month"), "2002-13")
Traceback (most recent call last):
...
iijbook.params.ParameterError: parameter cutoff: '2002-13' is not a month: write YYYY-MM, allowed [...]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from iijbook.params import Parameter, ParameterError, _not_a, check

from .chapters import Chapter
from .inputs import InputError, read_text, shown
from .yamlfile import load_yaml

#: The longest value a parameter takes, in characters.
MAX_VALUE_CHARS = 1000

#: The largest params file read (a scenario is a few lines).
PARAMS_FILE_LIMIT = 64 << 10


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
    """Convert ``value`` (text, or a YAML scalar) to the parameter's type and check its range.

    >>> convert(Parameter("steps", "int", 3, "[1, 10] how many"), "2.5")
    Traceback (most recent call last):
    ...
    iijbook.params.ParameterError: parameter steps: '2.5' is not an int
    """
    kinds = [k.strip() for k in param.annotation.split("|")]
    if value is not None and not isinstance(value, str | int | float):
        raise ParameterError(
            f"parameter {param.name}: {shown(value)} is not a single value (a number, text, true or false)"
        )
    text = "None" if value is None else (value if isinstance(value, str) else str(value))
    if len(text) > MAX_VALUE_CHARS:
        raise ParameterError(
            f"parameter {param.name}: {shown(value)} is too long (at most {MAX_VALUE_CHARS} characters)"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ParameterError(f"parameter {param.name}: {shown(value)} is not valid UTF-8 text") from None
    if isinstance(value, bool) and "bool" not in kinds:
        raise _not_a(param, value)
    # None first, so "None" means None wherever None is allowed
    for kind in sorted(kinds, key=lambda k: k != "None"):
        try:
            converted = _one(kind, text)
            break
        except (ValueError, TypeError):
            continue
    else:
        raise _not_a(param, value)
    check(param, converted)
    return converted


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
            raise ParameterError(f"unknown parameter {shown(name)} (the chapters take: {listed})")
    by_name = {c.name: c for c in chapters}
    for chapter_name, values in (per_chapter or {}).items():
        if chapter_name not in by_name:
            raise ParameterError(f"unknown chapter {shown(chapter_name)} (chapters: {', '.join(by_name)})")
        for name in values:
            if by_name[chapter_name].parameter(name) is None:
                takes = ", ".join(p.name for p in by_name[chapter_name].parameters) or "none"
                raise ParameterError(
                    f"chapter {chapter_name} has no parameter {shown(name)} (it takes: {takes})"
                )
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

    Returns (shared, per_chapter). The file is read through
    :mod:`iijbook_build.inputs` (a regular file of at most 64 KiB, bounded YAML
    without dates, aliases or runaway nesting); a file that cannot be read,
    is not YAML, or is not of that shape raises :class:`ParameterError`
    naming the file and the problem (and the key, for a value).
    """
    where = f"params file {path}"
    try:
        loaded = load_yaml(read_text(path, "params file", PARAMS_FILE_LIMIT), where)
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    if loaded is None:
        return {}, {}
    if not isinstance(loaded, dict):
        raise ParameterError(
            f"{where}: expected a mapping of 'name: value' lines and "
            f"'chapter:' blocks, got a {type(loaded).__name__}"
        )
    shared: dict[str, Any] = {}
    per_chapter: dict[str, dict[str, Any]] = {}
    for key, value in loaded.items():
        if not isinstance(key, str):
            raise ParameterError(f"{where}: key {shown(key)} is not a name")
        if isinstance(value, dict):
            if key not in chapter_names:
                raise ParameterError(
                    f"{where}: {shown(key)} is not a chapter (chapters: {', '.join(chapter_names)})"
                )
            for name, v in value.items():
                if not isinstance(name, str):
                    raise ParameterError(f"{where}: {key}: key {shown(name)} is not a name")
                _scalar(where, f"{key}.{name}", v)
            per_chapter[key] = dict(value)
        else:
            _scalar(where, key, value)
            shared[key] = value
    return shared, per_chapter


def _scalar(where: str, key: str, value: Any) -> None:
    """Refuse a params-file value that is not one number, text, true/false or null."""
    key = key if len(key) <= 60 else shown(key)
    if isinstance(value, list):
        raise ParameterError(f"{where}: {key} must be a single value, not a list")
    if value is not None and not isinstance(value, str | int | float):
        raise ParameterError(
            f"{where}: {key} must be a single value (a number, text, true or false), "
            f"not {type(value).__name__}"
        )

"""The values a build is given: ``-p`` pairs and a params file, resolved per chapter and checked.

>>> from iijbook.params import Parameter
>>> from iijbook_build.chapters import Chapter
>>> point = Parameter("guidance_point", "str", "mid", "[low | mid | high] where 3Q02 lands")
>>> ch = Chapter("revenues", Path("revenues.ipynb"), (point,))
>>> resolve([ch], {"guidance_point": "low"})
{'revenues': {'guidance_point': 'low'}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iijbook.inputs import InputError, load_yaml, read_text, shown
from iijbook.params import ParameterError, convert

from .chapters import Chapter

#: The largest params file read (a scenario is a few lines).
PARAMS_FILE_LIMIT = 64 << 10


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
    :mod:`iijbook.inputs` (a regular file of at most 64 KiB, bounded YAML
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

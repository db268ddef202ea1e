"""The book's chapters, read from the table of contents and the notebooks.

A chapter is a notebook under ``chapters/`` listed in ``_toc.yml``; its
parameters are read from its parameters cell by :mod:`iijbook.params`, the
one reading that the build and the notebooks share; the build first refuses a
parameters cell written in any other way (:func:`read_parameters`).

>>> [c.name for c in discover()][:2]
['revenues', 'systems_integration']
"""

from __future__ import annotations

import ast
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from iijbook.params import KINDS, Parameter, cell_source, comments, parameters_cell, parameters_of, shown

from .inputs import InputError, read_text
from .yamlfile import load_yaml

__all__ = ["Chapter", "ChapterError", "Parameter", "discover", "project_root", "toc_files"]

#: The largest ``_toc.yml`` the build reads.
TOC_LIMIT = 1 << 20

#: The largest chapter notebook the build reads (sources hold no outputs).
NOTEBOOK_LIMIT = 16 << 20


class ChapterError(ValueError):
    """A chapter notebook, or the table of contents, that cannot be read."""


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return shown(lines[0])[1:-1] if len(lines[0]) > 80 else lines[0]


def read_parameters(cells: list, path: Path) -> tuple[Parameter, ...]:
    """The parameters of a notebook's cells, once its parameters cell is known to be well written.

    Each parameter is one line, ``name: type = literal  # [allowed] meaning``, of one of
    :data:`iijbook.params.KINDS`, declared once; anything else raises :class:`ChapterError`
    naming the file, the parameter or the line.
    """
    found = parameters_cell(cells)
    if found is None:
        return ()
    index, cell = found
    source = cell_source(cell)
    try:
        tree = ast.parse(source)
        said = comments(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError) as exc:
        raise ChapterError(
            f"{path}: parameters cell (cell {index}) is not valid Python: {_first_line(exc)}"
        ) from None
    names: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ChapterError(
                f"{path}: parameters cell line {node.lineno}: write each parameter as "
                "'name: type = value  # comment'"
            )
        name = node.target.id
        if node.end_lineno != node.lineno:
            raise ChapterError(
                f"{path}: parameter {name} spans lines {node.lineno}-{node.end_lineno}; write each "
                "parameter on one line, with its comment (a formatter may have split it: chapters are "
                "not reformatted)"
            )
        if node.lineno not in said:
            raise ChapterError(f"{path}: parameter {name} has no comment saying what it means and allows")
        try:
            ast.literal_eval(node.value) if node.value is not None else None
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            raise ChapterError(f"{path}: parameter {name} has a default that is not a literal") from None
        annotation = ast.unparse(node.annotation)
        if not {k.strip() for k in annotation.split("|")} <= set(KINDS):
            raise ChapterError(
                f"{path}: parameter {name} has type {shown(annotation)}; "
                f"a parameter is one of {', '.join(KINDS)} or a union of them"
            )
        if name in names:
            raise ChapterError(f"{path}: parameter {name} is declared twice")
        names.add(name)
    return parameters_of(cells)


def project_root() -> Path:
    """The folder holding ``_toc.yml`` (the top of the project)."""
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Chapter:
    """A notebook chapter of the book."""

    name: str
    path: Path
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def _toc_files(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        raise ChapterError(f"a list of entries was expected, got {shown(entries)}")
    files: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ChapterError(f"an entry is not a mapping: {shown(entry)}")
        if "file" in entry:
            files.append(_toc_file(entry["file"]))
        for key in ("sections", "chapters"):
            if key in entry:
                files.extend(_toc_files(entry[key]))
        if "parts" in entry:
            for part in _toc_list(entry["parts"]):
                files.extend(_toc_files(part.get("chapters", [])))
    return files


def _toc_list(parts: Any) -> list[dict]:
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise ChapterError(f"parts must be a list of mappings, got {shown(parts)}")
    return parts


def _toc_file(entry: Any) -> str:
    """A file entry of the table of contents: a relative path inside the book."""
    if not isinstance(entry, str) or not entry.strip():
        raise ChapterError(f"file {shown(entry)} is not a file name")
    parts = Path(entry).parts
    if Path(entry).is_absolute() or ".." in parts or "\0" in entry:
        raise ChapterError(f"file {shown(entry)} is outside the book")
    return entry


def toc_files(root: Path | None = None) -> list[str]:
    """Every file the table of contents lists, in order, without extensions.

    A missing, unreadable or malformed ``_toc.yml`` raises :class:`ChapterError`
    naming it and what is wrong.
    """
    root = root or project_root()
    path = root / "_toc.yml"
    try:
        toc = load_yaml(read_text(path, "table of contents", TOC_LIMIT), f"table of contents {path}")
    except InputError as exc:
        raise ChapterError(str(exc)) from None
    try:
        if not isinstance(toc, dict) or "root" not in toc:
            raise ChapterError("expected a mapping with a 'root' entry")
        files = [_toc_file(toc["root"])]
        for part in _toc_list(toc.get("parts", [])):
            files += _toc_files(part.get("chapters", []))
        files += _toc_files(toc.get("chapters", []))
    except ChapterError as exc:
        raise ChapterError(f"table of contents {path}: {exc}") from None
    return files


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A chapter notebook, read through :mod:`iijbook_build.inputs` and validated.

    Anything that is not a readable, valid notebook (empty, truncated, ``{}``,
    not UTF-8, a named pipe) raises :class:`ChapterError` naming the file.
    """
    try:
        text = read_text(path, "chapter notebook", NOTEBOOK_LIMIT)
    except InputError as exc:
        raise ChapterError(str(exc)) from None
    invalid: dict[str, Any] = {}
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
    except Exception as exc:  # nbformat raises many kinds for many kinds of damage
        raise ChapterError(f"chapter notebook {path}: not a valid notebook ({_first_line(exc)})") from None
    if "ValidationError" in invalid:
        reason = _first_line(invalid["ValidationError"])
        raise ChapterError(f"chapter notebook {path}: not a valid notebook ({reason})")
    return nb


def discover(root: Path | None = None) -> list[Chapter]:
    """The notebook chapters listed in ``_toc.yml``, in book order."""
    root = root or project_root()
    chapters: list[Chapter] = []
    for entry in toc_files(root):
        path = root / f"{entry}.ipynb"
        if path.exists() or path.is_symlink():
            if any(c.name == path.stem for c in chapters):
                raise ChapterError(f"table of contents {root / '_toc.yml'}: two chapters named {path.stem}")
            chapters.append(Chapter(path.stem, path, read_parameters(read_notebook(path).cells, path)))
    return chapters

"""The book's chapters and their parameters, read from the notebooks.

A chapter is a notebook under ``chapters/`` listed in ``_toc.yml``. Its
parameters are the assignments in the cell tagged ``parameters``, each with a
type annotation and a comment::

    jpy_per_usd: float | None = None  # yen per dollar; None: the release's own rate

>>> [p.name for p in read_parameters(project_root() / "chapters" / "revenues.ipynb")][:2]
['jpy_per_usd', 'guidance_point']
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .inputs import InputError, load_yaml, read_text, shown

#: The largest chapter notebook or ``_toc.yml`` the build reads (sources hold no outputs).
NOTEBOOK_LIMIT = 16 << 20
TOC_LIMIT = 1 << 20

#: The types a parameter may have: the values a command line or params file can give.
KINDS = ("int", "float", "bool", "str", "None")


def project_root() -> Path:
    """The folder holding ``_toc.yml`` (the top of the project)."""
    return Path(__file__).resolve().parents[2]


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


@dataclass(frozen=True)
class Chapter:
    """A notebook chapter of the book."""

    name: str
    path: Path
    parameters: tuple[Parameter, ...]

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


class ChapterError(ValueError):
    """A chapter notebook, or the table of contents, that cannot be read."""


def _comments(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def parameters_cell(nb: nbformat.NotebookNode) -> tuple[int, nbformat.NotebookNode] | None:
    """The index and cell tagged ``parameters``, if any."""
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if isinstance(tags, list) and "parameters" in tags:
            return i, cell
    return None


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """A chapter notebook, read through :mod:`iijbook.inputs` and validated.

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


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return shown(lines[0])[1:-1] if len(lines[0]) > 80 else lines[0]


def read_parameters(path: Path) -> tuple[Parameter, ...]:
    """The parameters of a notebook, in order, with types, defaults and comments.

    A notebook that cannot be read, or a parameters cell the build cannot
    use, raises :class:`ChapterError` naming the file.
    """
    nb = read_notebook(path)
    found = parameters_cell(nb)
    if found is None:
        return ()
    index, cell = found
    try:
        tree = ast.parse(cell.source)
        comments = _comments(cell.source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, tokenize.TokenError) as exc:
        raise ChapterError(
            f"{path}: parameters cell (cell {index}) is not valid Python: {_first_line(exc)}"
        ) from None
    params: list[Parameter] = []
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ChapterError(
                f"{path}: parameters cell line {node.lineno}: write each parameter as "
                "'name: type = value  # comment'"
            )
        name = node.target.id
        try:
            default = ast.literal_eval(node.value) if node.value is not None else None
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            raise ChapterError(f"{path}: parameter {name} has a default that is not a literal") from None
        annotation = ast.unparse(node.annotation)
        kinds = [k.strip() for k in annotation.split("|")]
        if not set(kinds) <= set(KINDS):
            raise ChapterError(
                f"{path}: parameter {name} has type {shown(annotation)}; "
                f"a parameter is one of {', '.join(KINDS)} or a union of them"
            )
        if any(p.name == name for p in params):
            raise ChapterError(f"{path}: parameter {name} is declared twice")
        params.append(Parameter(name, annotation, default, comments.get(node.lineno, "")))
    return tuple(params)


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


def discover(root: Path | None = None) -> list[Chapter]:
    """The notebook chapters listed in ``_toc.yml``, in book order."""
    root = root or project_root()
    chapters: list[Chapter] = []
    for entry in toc_files(root):
        path = root / f"{entry}.ipynb"
        if path.exists() or path.is_symlink():
            if any(c.name == path.stem for c in chapters):
                raise ChapterError(f"table of contents {root / '_toc.yml'}: two chapters named {path.stem}")
            chapters.append(Chapter(path.stem, path, read_parameters(path)))
    return chapters

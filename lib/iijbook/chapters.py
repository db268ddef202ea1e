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
import yaml


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
    """A chapter notebook whose parameters cell cannot be read."""


def _comments(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def parameters_cell(nb: nbformat.NotebookNode) -> tuple[int, nbformat.NotebookNode] | None:
    """The index and cell tagged ``parameters``, if any."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i, cell
    return None


def read_parameters(path: Path) -> tuple[Parameter, ...]:
    """The parameters of a notebook, in order, with types, defaults and comments."""
    nb = nbformat.read(path, as_version=4)
    found = parameters_cell(nb)
    if found is None:
        return ()
    index, cell = found
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as exc:
        raise ChapterError(f"{path}: parameters cell (cell {index}) is not valid Python: {exc}") from None
    comments = _comments(cell.source)
    params: list[Parameter] = []
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ChapterError(
                f"{path}: parameters cell line {node.lineno}: write each parameter as "
                "'name: type = value  # comment'"
            )
        try:
            default = ast.literal_eval(node.value) if node.value is not None else None
        except ValueError:
            raise ChapterError(
                f"{path}: parameter {node.target.id} has a default that is not a literal"
            ) from None
        params.append(
            Parameter(
                name=node.target.id,
                annotation=ast.unparse(node.annotation),
                default=default,
                comment=comments.get(node.lineno, ""),
            )
        )
    return tuple(params)


def _toc_files(entries: list[dict]) -> list[str]:
    files: list[str] = []
    for entry in entries:
        if "file" in entry:
            files.append(entry["file"])
        for key in ("sections", "chapters"):
            if key in entry:
                files.extend(_toc_files(entry[key]))
        for part in entry.get("parts", []):
            files.extend(_toc_files(part.get("chapters", [])))
    return files


def toc_files(root: Path | None = None) -> list[str]:
    """Every file the table of contents lists, in order, without extensions."""
    root = root or project_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    files += _toc_files(toc.get("parts", []))
    files += _toc_files(toc.get("chapters", []))
    return files


def discover(root: Path | None = None) -> list[Chapter]:
    """The notebook chapters listed in ``_toc.yml``, in book order."""
    root = root or project_root()
    chapters: list[Chapter] = []
    for entry in toc_files(root):
        path = root / f"{entry}.ipynb"
        if path.exists():
            chapters.append(Chapter(path.stem, path, read_parameters(path)))
    return chapters

"""The book's shape in figures: how much lib a chapter reaches, how much work a page shows.

``python -m tools.shape`` prints, for each chapter, its code cells shown on the site
(visible, or behind a "show code" toggle) and the helper-package modules it reaches through
its imports, with their lines; the tests hold the figures to the book's limits.

>>> reach = lib_reached()
>>> "iijbook.fmt" in reach and "iijbook_build.cli" not in reach
True
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from iijbook_build.inputs import discover, project_root

#: What a cell tagged with one of these hides from the page entirely.
REMOVED = {"remove-cell", "remove-input"}


@dataclass(frozen=True)
class ChapterShape:
    name: str
    code_cells: int
    shown: int  # code cells whose source a reader can see on the site (open, or behind a toggle)
    work: int  # of those, the ones that are not charts: derivations
    lines_shown: int


def _imports(source: str, package: str = "") -> set[str]:
    """Modules named by the import statements in ``source`` (relative ones inside ``package``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def _module_file(name: str, lib: Path) -> Path | None:
    path = lib.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def lib_reached(root: Path | None = None) -> dict[str, int]:
    """The lib modules the chapters import, directly or through other lib modules: name → lines.

    Imports inside functions count too: a chapter that calls the function reaches the module.
    """
    root = root or project_root()
    lib = root / "lib"
    todo: list[str] = []
    for chapter in discover(root):
        for cell in nbformat.read(chapter.path, as_version=4).cells:
            if cell.cell_type == "code":
                todo += sorted(_imports(cell.source))
    reached: dict[str, int] = {}
    while todo:
        name = todo.pop()
        path = _module_file(name, lib)
        if path is None or name in reached:
            continue
        text = path.read_text(encoding="utf-8")
        reached[name] = len(text.splitlines())
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo += sorted(_imports(text, package))
        if "." in name:
            todo.append(name.rpartition(".")[0])  # importing a.b runs a/__init__.py
    return dict(sorted(reached.items()))


def code_lines(path: Path) -> int:
    """Lines of ``path`` that are code: not blank, not a comment, not in a docstring."""
    source = path.read_text(encoding="utf-8")
    docs: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                if isinstance(first.value.value, str):
                    docs.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return sum(
        1
        for number, line in enumerate(source.splitlines(), 1)
        if line.strip() and not line.strip().startswith("#") and number not in docs
    )


def chapter_shapes(root: Path | None = None) -> list[ChapterShape]:
    """Each chapter's code cells, and those a reader of the site can open."""
    shapes = []
    for chapter in discover(root or project_root()):
        cells = [c for c in nbformat.read(chapter.path, as_version=4).cells if c.cell_type == "code"]
        shown = [c for c in cells if not REMOVED & set(c.metadata.get("tags", []))]
        work = [c for c in shown if "figure" not in c.metadata.get("mystnb", {})]
        shapes.append(
            ChapterShape(
                chapter.name,
                len(cells),
                len(shown),
                len(work),
                sum(len(c.source.splitlines()) for c in shown),
            )
        )
    return shapes


def main() -> int:
    root = project_root()
    reach = lib_reached(root)
    code = {name: code_lines(_module_file(name, root / "lib")) for name in reach}  # type: ignore[arg-type]
    print(
        f"lib the chapters reach: {sum(reach.values())} lines in {len(reach)} modules, "
        f"{sum(code.values())} of them code (not docstrings, comments or blank)"
    )
    for name, lines in reach.items():
        print(f"  {name:28} {lines:5} {code[name]:5}")
    print("chapter                code cells  shown  derivations shown  lines shown")
    for s in chapter_shapes():
        print(f"  {s.name:22} {s.code_cells:10} {s.shown:6} {s.work:18} {s.lines_shown:12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

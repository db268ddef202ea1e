"""Repository hygiene: clean source notebooks, lint-clean code, pinned dependencies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted(
    (ROOT / "tests" / "fixtures").glob("*.ipynb")
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_source_notebooks_hold_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name} cell {i} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.name)
def test_chapters_have_a_removed_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    assert "remove-cell" in tagged[0].metadata["tags"]
    assert "import" not in tagged[0].source, "parameters cells hold values only"


def test_no_sys_path_hacks():
    for path in list((ROOT / "chapters").glob("*.ipynb")) + list((ROOT / "lib").rglob("*.py")):
        assert "sys.path" not in path.read_text(encoding="utf-8"), path


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is pinned in requirements.txt"
    proc = subprocess.run([ruff, "check", "lib", "tests", "tools"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-lab.txt"])
def test_requirements_are_pinned(name):
    for line in (ROOT / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and line != "-e .":
            assert "==" in line, f"unpinned requirement: {line}"


def test_chapters_and_the_helper_package_never_import_the_build_tool():
    helper = sorted((ROOT / "lib" / "iijbook").rglob("*.py"))
    for path in sorted((ROOT / "chapters").glob("*.ipynb")) + helper:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(import|from)\s+iijbook_build", text), path


def test_the_cache_key_covers_the_helper_package_and_not_the_build_tool(tmp_path, monkeypatch):
    import iijbook
    from iijbook_build.run import lib_hash

    copy = tmp_path / "lib"
    shutil.copytree(ROOT / "lib", copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(iijbook, "__file__", str(copy / "iijbook" / "__init__.py"))
    before = lib_hash()
    for tool in ("cli.py", "bench.py", "build.py"):
        (copy / "iijbook_build" / tool).write_text("# edited\n", encoding="utf-8")
    assert lib_hash() == before  # editing the tool re-runs no chapter
    (copy / "iijbook" / "fmt.py").write_text("# edited\n", encoding="utf-8")
    assert lib_hash() != before  # editing what chapters import re-runs them


def test_the_lab_packages_leave_chapter_runs_as_fast_as_before():
    """rfc3987-syntax makes jsonschema compile a grammar each time altair is imported (a second a run)."""
    import importlib.util

    assert importlib.util.find_spec("rfc3987_syntax") is None
    pins = (ROOT / "requirements-lab.txt").read_text().splitlines()
    assert not [line for line in pins if line.startswith(("rfc3987-syntax==", "lark=="))]


#: The most lines of the helper package the chapters may reach through their imports, the chart
#: builders (iijbook.charts) included: they take the place of about 1,800 lines of chart code in
#: the chapters. 2,360 once the broadband chapter's series and fit window moved into its own
#: parameters-check cell and dead or duplicated helpers went (later_value, required_growth); 2,369
#: with FiscalPeriod.previous and .quarters back for the quarter of record. The guarded reader and
#: the line-by-line data diagnosis are the build's. May fall, never rise.
LIB_REACHED_LIMIT = 2369
#: The quarter of record (iijbook.record) has a budget of its own: it is the one place every
#: chapter takes a figure across quarters from, so it replaces derivations the chapters made twice.
RECORD_LIMIT = 300


def test_the_lib_the_chapters_reach_stays_small():
    from tools.shape import lib_reached

    reach = lib_reached(ROOT)
    assert "iijbook.fmt" in reach and not any(name.startswith("iijbook_build") for name in reach)
    assert "iijbook.inputs" not in reach and "iijbook_build.inputs" not in reach
    record = reach.pop("iijbook.record", 0)
    assert sum(reach.values()) <= LIB_REACHED_LIMIT, reach
    assert record <= RECORD_LIMIT


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_chapter_shows_at_least_four_cells_of_its_work(path):
    """Derivations a reader can open on the site: code cells neither removed nor a chart."""
    from tools.shape import chapter_shapes

    shape = next(s for s in chapter_shapes(ROOT) if s.name == path.stem)
    assert shape.work >= 4, f"{path.name}: {shape.work} derivation cell(s) shown"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and "hide-input" in tags:
            assert cell.source.lstrip().startswith("#") or "figure" in cell.metadata.get("mystnb", {}), (
                f"{path.name} cell {cell.get('id')}: a shown derivation opens with a comment"
            )


def test_the_build_tool_has_no_import_cycle_not_even_inside_functions():
    """Each module of lib/iijbook_build imports only modules below it in the pipeline: the graph of
    its imports, those inside functions included, has no cycle."""
    import ast

    package = ROOT / "lib" / "iijbook_build"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found |= {node.module} if node.module else {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("iijbook_build."):
                found.add(node.module.split(".")[1])
        graph[path.stem] = found - {path.stem}

    def cycle_from(start: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for nxt in sorted(graph.get(start, ())):
            if nxt in seen:
                return (*seen[seen.index(nxt) :], nxt)
            found = cycle_from(nxt, (*seen, nxt))
            if found:
                return found
        return None

    for module in graph:
        assert cycle_from(module, (module,)) is None, " -> ".join(cycle_from(module, (module,)) or ())


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_chapter_keeps_the_lesson_form(path):
    """The chapters read as lessons in JupyterLab: no code cell longer than 30 lines, and at most six
    cells removed from the page (setup and plumbing), the rest shown or folded."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    long = {c.get("id"): len(c.source.splitlines()) for c in code if len(c.source.splitlines()) > 30}
    assert not long, f"{path.name}: code cells over 30 lines (id: lines): {long}"
    from tools.shape import REMOVED

    removed = [c.get("id") for c in nb.cells if REMOVED & set(c.metadata.get("tags", []))]
    assert len(removed) <= 6, f"{path.name}: {len(removed)} cells removed from the page: {removed}"

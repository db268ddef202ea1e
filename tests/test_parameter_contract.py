"""One parameter contract: the parameters cell declares, the cell after it checks all of it."""

from __future__ import annotations

import ast

import nbformat
import pytest
from iijbook import params
from iijbook_build.inputs import discover

from .conftest import ROOT

CHAPTERS = discover(ROOT)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_the_check_cell_takes_every_declared_parameter_without_retyping_a_name(chapter):
    nb = nbformat.read(chapter.path, as_version=4)
    cell = next(c for c in nb.cells if "parameters-check" in c.metadata.get("tags", []))
    calls = [
        n
        for n in ast.walk(ast.parse(cell.source))
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "check_chapter"
    ]
    assert len(calls) == 1, f"{chapter.name}: one params.check_chapter call in its parameters-check cell"
    name, namespace = calls[0].args
    assert ast.literal_eval(name) == chapter.name
    assert ast.unparse(namespace) == "globals()", (
        f"{chapter.name}: check_chapter takes globals(), no list of names"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_a_parameter_missing_from_the_namespace_is_named(chapter):
    defaults = {p.name: p.default for p in chapter.parameters}
    params.check_chapter(chapter.name, defaults)  # the defaults pass
    last = chapter.parameters[-1].name
    del defaults[last]
    with pytest.raises(
        params.ParameterError, match=rf"^parameter {last} of chapter {chapter.name} is not defined"
    ):
        params.check_chapter(chapter.name, defaults)


def test_papermill_inspection_misses_parameters_the_book_declares():
    """Why the book reads its parameters cell itself: papermill's inspection (2.7) drops
    parameters typed ``float | None`` and does not refuse a line it cannot read."""
    import papermill as pm

    revenues = next(c for c in CHAPTERS if c.name == "revenues")
    inspected = set(pm.inspect_notebook(str(revenues.path)))
    declared = {p.name for p in revenues.parameters}
    assert inspected < declared and "jpy_per_usd" not in inspected


@pytest.mark.parametrize(
    ("line", "refusal"),
    [
        (
            "rate: float = (\n    2.0  # [0, 10] a rate\n)",
            r"parameter rate spans lines 1-3; write each parameter on one line",
        ),
        ("rate: float = 2.0", r"parameter rate has no comment saying what it means and allows"),
    ],
    ids=["split by a formatter", "no comment"],
)
def test_a_parameter_line_that_lost_its_comment_is_refused(tmp_path, line, refusal):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(line, metadata={"tags": ["parameters"]})])
    path = tmp_path / "split.ipynb"
    nbformat.write(nb, path)
    from iijbook_build.inputs import ChapterError, read_notebook, read_parameters

    with pytest.raises(ChapterError, match=refusal):
        read_parameters(read_notebook(path).cells, path)


def test_the_formatter_leaves_chapters_alone():
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    proc = subprocess.run([ruff, "format", "--check", "chapters"], cwd=ROOT, capture_output=True, text=True)
    assert "chapters/" not in proc.stdout + proc.stderr  # excluded: no chapter is checked or rewritten

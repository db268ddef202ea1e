"""The build: papermill runs every chapter, jupyter-book renders with no warnings."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from iijbook_build import build as build_mod
from iijbook_build.inputs import discover

from .conftest import execute_chapter, make_mini_project, run_chapter

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def _page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def test_every_chapter_ran_with_its_defaults(built_book):
    status = json.loads((built_book / "status.json").read_text())
    names = [c["name"] for c in status["chapters"]]
    assert names == [c.name for c in discover()]
    for chapter in status["chapters"]:
        assert chapter["error"] is None
        nb = nbformat.read(built_book / "executed" / f"{chapter['name']}.ipynb", as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, chapter["name"]


def test_parameter_cells_are_removed_from_the_page(built_book):
    nb = nbformat.read(built_book / "executed" / "revenues.ipynb", as_version=4)
    tagged = [c.metadata.get("tags", []) for c in nb.cells]
    assert any("parameters" in t and "remove-cell" in t for t in tagged)
    page = _page(built_book / "html", "chapters/revenues.html")
    assert "fy2002_growth_target: float" not in page  # the parameters cell's code
    assert "Parameters of this run" in page  # ...but the page says what it ran with


def test_revenues_page_shows_the_figures(site):
    page = _page(site, "chapters/revenues.html")
    for text in (
        "¥10.6B",
        "$86.8M",
        "7.3%",
        "10.9%",
        "14.3%",  # stated
        "¥9.88B",
        "¥9.56B",
        "¥20.48B",
        "¥17.92B",
        "¥8.36B",  # derived by hand in test_revenues
        "¥122.1",
        "¥10.75B",
        "¥16.7B",  # 39.9 × 1.2 − 20.4788 − 10.75 = 16.6512, to three figures
    ):
        assert text in page, text
    assert page.count('class="iijbook-chart-canvas"') == 3
    assert "Learning objectives" in page
    assert page.count("exercise") >= 3 and "solution" in page
    assert "Revenues Growth (Full Fiscal)" in page  # the gap is named


def test_site_uses_no_cdn_and_carries_its_own_vega(site):
    bundle = site / "_static" / "vega" / "vega-bundle.js"
    assert bundle.stat().st_size > 500_000
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "require.js"):
            assert cdn not in text, f"{page.name} references {cdn}"
    assert 'src="../_static/vega/vega-bundle.js' in _page(site, "chapters/revenues.html")


def test_source_notebooks_were_not_written(built_book):
    for chapter in discover():
        nb = nbformat.read(chapter.path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_revenues_runs_with_a_non_default_rate(tmp_path):
    glued = run_chapter("revenues", tmp_path, {"jpy_per_usd": 150.0, "guidance_point": "low"}, unquote=True)
    assert glued["fmt.usd(rev.value / rate)"] == "$70.7M"  # 10.6e9 / 150 by hand
    assert glued["fmt.yen_rate(rate)"] == "¥150.0"
    assert glued["fmt.yen(q3, 2)"] == "¥10.50B"  # the low end of the 3Q02 guidance, ¥10.5B


def test_bad_parameter_value_fails_the_chapter_with_a_clear_error(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="parameter guidance_point: .best. is out of range"):
        execute_chapter("revenues", tmp_path, {"guidance_point": "best"})


def test_a_failing_chapter_fails_the_build_naming_chapter_and_cell(tmp_path):
    root = make_mini_project(tmp_path, ("tiny", "raises_midway"))
    build_dir = tmp_path / "_build"
    site = build_dir / "html"
    build_mod.build({"raises_midway": {"divisor": 2.0}}, root=root, build_dir=build_dir, say=lambda _: None)
    previous = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert [c.name for c in discover(root)] == ["tiny", "raises_midway"]
    with pytest.raises(build_mod.BuildError) as err:
        build_mod.build({}, root=root, build_dir=build_dir, say=lambda _: None)
    msg = str(err.value)
    assert "chapter raises_midway: cell 3 (id f-03) raised ZeroDivisionError" in msg
    kept = build_dir / "failed" / "raises_midway.ipynb"
    assert str(kept) in msg and kept.exists()
    # the executed copy keeps the traceback for debugging
    nb = nbformat.read(kept, as_version=4)
    assert any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # the published site is as it was, byte for byte
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == previous


def test_a_kept_kernel_writes_what_a_fresh_one_writes(built_book, tmp_path):
    """A worker keeps its kernel from one chapter to the next. Run every chapter in one kept kernel,
    in the reverse of book order, and each executed copy is the build's own, cell for cell: the
    build ran them on several workers, so each chapter had other predecessors there (the first of
    each worker none), and nothing one chapter leaves in its kernel reaches the next."""
    from iijbook_build import run as run_mod

    status = {c["name"]: c for c in json.loads((built_book / "status.json").read_text())["chapters"]}
    chapters = list(reversed(discover()))
    jobs = [
        run_mod.Job(
            name=c.name, source=str(c.path), output=str(tmp_path / f"{c.name}.ipynb"), parameters={},
            chapter_params=[(p.name, p.annotation, p.default, p.comment) for p in c.parameters],
            cwd=str(c.path.parent), log=str(tmp_path / f"{c.name}.log"), key=status[c.name]["key"],
            data=str(ROOT / "data"), timeout=300,
        )
        for c in chapters
    ]  # fmt: skip
    errors: dict[str, str | None] = {}
    run_mod.run_jobs(jobs, 1, lambda job, _seconds, error: errors.update({job.name: error}))
    assert errors == {c.name: None for c in chapters}

    def cells(path: Path) -> list[tuple]:
        nb = nbformat.read(path, as_version=4)
        return [(c.cell_type, c.source, c.get("execution_count"), c.get("outputs")) for c in nb.cells]

    for c in chapters:
        kept, built = cells(tmp_path / f"{c.name}.ipynb"), cells(built_book / "executed" / f"{c.name}.ipynb")
        assert [x[2] for x in kept] == [x[2] for x in built], c.name  # cells counted from 1
        assert kept == built, c.name

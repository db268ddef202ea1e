"""Notebooks that read the same in JupyterLab and on the site: numbers in prose, charts, exercises.

A fixture chapter (``tests/fixtures/evals.ipynb``) cites its values with ``{eval}``, draws one
chart and sets one exercise. The build fills the values into the page, where execution is off;
in JupyterLab, jupyterlab-myst evaluates them itself (``tests/test_lab.py``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
from iijbook import render

from .conftest import make_mini_project, run_cli


def page_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def _build(tmp_path: Path, *args: str):
    root = make_mini_project(tmp_path, ("evals",))
    build_dir = tmp_path / "_build"
    proc = run_cli("build", "--root", str(root), "--build-dir", str(build_dir), *args)
    return root, build_dir, proc


def test_values_cited_in_prose_are_on_the_page(tmp_path):
    _, build_dir, proc = _build(tmp_path, "-p", "rate", "3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = build_dir / "html" / "chapters" / "evals.html"
    text = page_text(page)
    assert "Twenty-one times the rate is 63.0, written 63.0 units." in text  # 21 × 3
    assert "{eval}" not in text
    assert "Three steps of the product." in text  # the chart's caption, from the cell's metadata
    raw = page.read_text(encoding="utf-8")
    assert "iijbook-chart-canvas" in raw and "data:image/svg+xml" not in raw  # interactive only: light
    assert "Solution to" in text and "What is the product at a rate of 3?" in text
    executed = nbformat.read(build_dir / "executed" / "evals.ipynb", as_version=4)
    cell = next(c for c in executed.cells if c.get("id") == "e-04")
    assert [u["expression"] for u in cell.metadata["user_expressions"]] == [
        "product",
        "Text(f'{product:,.1f} units')",
    ]


def test_a_value_that_cannot_be_cited_fails_the_chapter_naming_its_cell(tmp_path):
    root = make_mini_project(tmp_path, ("evals",))
    source = root / "chapters" / "evals.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[4].source = "The product is {eval}`prodcut`."
    nbformat.write(nb, source)
    proc = run_cli("build", "--root", str(root), "--build-dir", str(tmp_path / "_build"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "chapter evals: cell 4 (id e-04): {eval}`prodcut` failed: NameError" in proc.stderr


def test_charts_carry_a_static_image_for_jupyterlab_and_none_on_the_site(monkeypatch):
    import altair as alt

    chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
    spec = chart.properties(title="One point", description="A single point at x = 1.").to_dict()
    monkeypatch.delenv(render.TARGET_VARIABLE, raising=False)
    lab = render.offline_renderer(spec)["text/html"]
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]{200,}" alt="One point: ', lab)
    monkeypatch.setenv(render.TARGET_VARIABLE, "site")
    site = render.offline_renderer(spec)["text/html"]
    assert "<img" not in site and "iijbookDraw" in site

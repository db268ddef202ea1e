"""Shared fixtures: the project root, and one build of the whole book per test session."""

from __future__ import annotations

import ast
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from iijbook_build import evalfill

ROOT = Path(__file__).resolve().parents[1]

# Chapters run by the tests draw their charts as the build does, for the site: the static image
# that JupyterLab needs is drawn only where a test asks for it (test_lab, test_show_work).
os.environ.setdefault("IIJBOOK_TARGET", "site")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 900):
    """Run the ``iijbook`` command as a user would; return the completed process."""
    exe = Path(sys.executable).with_name("iijbook")
    return subprocess.run(
        [str(exe), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Build the whole book once, with default parameters, into a fresh build folder.

    Returns the build folder; the site is its ``html/`` and the executed
    notebooks are in ``executed/``.
    """
    build_dir = tmp_path_factory.mktemp("book") / "_build"
    proc = run_cli("build", "--build-dir", str(build_dir))
    if proc.returncode != 0:
        pytest.fail(f"the book did not build (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return build_dir


@pytest.fixture(scope="session")
def site(built_book: Path) -> Path:
    return built_book / "html"


FIXTURES = ROOT / "tests" / "fixtures"


def make_mini_project(where: Path, chapters: tuple[str, ...] = ("tiny",)) -> Path:
    """A small book laid out like the real one, whose chapters are fixture notebooks.

    Build tests use it so that they exercise the real build quickly.
    """
    root = where / "book"
    (root / "chapters").mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", root / "_config.yml")
    shutil.copytree(ROOT / "_static", root / "_static", ignore=shutil.ignore_patterns("vega"))
    (root / "intro.md").write_text("# A small book\n\nFor the build tests.\n")
    toc = ["format: jb-book", "root: intro", "chapters:"]
    for entry in chapters:
        source, _, name = entry.partition("=")  # "tiny=second" copies tiny as second
        name = name or source
        shutil.copy2(FIXTURES / f"{source}.ipynb", root / "chapters" / f"{name}.ipynb")
        toc.append(f"  - file: chapters/{name}")
    for page in ("parameters", "status"):
        (root / "chapters" / f"{page}.md").write_text(f"# {page}\n")
        toc.append(f"  - file: chapters/{page}")
    (root / "_toc.yml").write_text("\n".join(toc) + "\n")
    return root


# appended to a chapter a test runs: every formatted value the chapter named, cited or not
_TEXTS_PROBE = """
from IPython.display import display as _display
from iijbook.fmt import Text as _Text
_display({"application/json": {k: str(v) for k, v in globals().items() if isinstance(v, _Text)}},
         raw=True, metadata={"iijbook-test": "texts"})
"""


def execute_chapter(name: str, out_dir: Path, parameters: dict | None = None) -> Path:
    """Run ``chapters/<name>.ipynb`` with papermill, as the build does; return the executed copy."""
    out = out_dir / f"{name}.ipynb"
    source = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
    source.cells.append(nbformat.v4.new_code_cell(_TEXTS_PROBE))
    probed = out_dir / f"{name}.probed.ipynb"
    nbformat.write(source, probed)
    pm.execute_notebook(
        str(probed),
        str(out),
        parameters=parameters or {},
        cwd=str(ROOT / "chapters"),
        progress_bar=False,
        kernel_name="python3",
        engine_name=evalfill.ENGINE,  # as the build runs it: prose values asked for as they are reached
    )
    return out


def glued_values(notebook: Path, unquote: bool = False, mime: str = "text/plain") -> dict[str, str]:
    """The values a notebook's prose cites with ``{eval}``, by expression: their ``mime`` form.

    An executed chapter keeps each answer in its markdown cell's ``user_expressions``,
    as JupyterLab does. Values a chapter formats are :class:`iijbook.fmt.Text`, whose
    text/plain form is the text itself; ``unquote`` turns a plain string's ``"'x'"`` into ``"x"``.
    Names glued with ``myst_nb.glue`` (the small fault-test books) are read too.
    """
    values: dict[str, str] = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for asked in cell.get("metadata", {}).get("user_expressions", []):
            data = asked.get("result", {}).get("data", {}).get(mime)
            if asked.get("result", {}).get("status") == "ok" and data is not None:
                values[asked["expression"]] = _unquoted(data) if unquote else data
        for output in cell.get("outputs", []):
            if output.get("metadata", {}).get("iijbook-test") == "texts" and mime == "text/plain":
                for key, text in output["data"]["application/json"].items():
                    values.setdefault(key, text)
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {}).get(f"application/papermill.record/{mime}")
            if name and data is not None:
                values[name] = _unquoted(data) if unquote else data
    return values


def _unquoted(data: str) -> str:
    return ast.literal_eval(data) if data[:1] in "'\"" else data


def cell_result(notebook: Path, cell_id: str) -> str:
    """The text/plain result a visible cell of an executed chapter shows."""
    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if c.get("id") == cell_id)
    return "".join(o["data"]["text/plain"] for o in cell.outputs if o.output_type == "execute_result")


def cell_text(notebook: Path, cell_id: str) -> str:
    """The text a cell shows: its HTML outputs without tags, or its plain-text outputs."""
    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if c.get("id") == cell_id)
    parts = []
    for output in cell.outputs:
        data = output.get("data", {})
        if "text/html" in data:
            parts.append(re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", data["text/html"]))))
        elif "text/plain" in data:
            parts.append(data["text/plain"])
    return " ".join(parts)


def run_chapter(
    name: str, out_dir: Path, parameters: dict | None = None, unquote: bool = False
) -> dict[str, str]:
    """Run a chapter with ``parameters`` and return what it glued."""
    return glued_values(execute_chapter(name, out_dir, parameters), unquote=unquote)


# the small book that the fault and trust tests break (defined there, shared here)
from .faultbook import book, good_book  # noqa: E402, F401

"""Shared fixtures: the project root, and one build of the whole book per test session."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

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


def execute_chapter(name: str, out_dir: Path, parameters: dict | None = None) -> Path:
    """Run ``chapters/<name>.ipynb`` with papermill, as the build does; return the executed copy."""
    out = out_dir / f"{name}.ipynb"
    pm.execute_notebook(
        str(ROOT / "chapters" / f"{name}.ipynb"),
        str(out),
        parameters=parameters or {},
        cwd=str(ROOT / "chapters"),
        progress_bar=False,
        kernel_name="python3",
    )
    return out


def glued_values(notebook: Path, unquote: bool = False, mime: str = "text/plain") -> dict[str, str]:
    """The values a notebook glued, by name: their ``mime`` form (``repr`` for text/plain).

    ``unquote`` turns ``"'¥10.6B'"`` into ``"¥10.6B"``.
    """
    values: dict[str, str] = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {}).get(f"application/papermill.record/{mime}")
            if name and data is not None:
                values[name] = ast.literal_eval(data) if unquote and data[:1] in "'\"" else data
    return values


def run_chapter(
    name: str, out_dir: Path, parameters: dict | None = None, unquote: bool = False
) -> dict[str, str]:
    """Run a chapter with ``parameters`` and return what it glued."""
    return glued_values(execute_chapter(name, out_dir, parameters), unquote=unquote)


# the small book that the fault and trust tests break (defined there, shared here)
from .faultbook import book, good_book  # noqa: E402, F401

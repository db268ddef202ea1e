"""Shared fixtures: the project root, one build of the whole book per test session, the two tiers.

The fast tier (``make test-fast``, ``pytest -m "not slow"``) is every test that builds,
runs and starts nothing: :func:`pytest_collection_modifyitems` marks the others ``slow``.

``make test`` runs the tests on two processes (pytest-xdist, ``-n 2``): each test goes to
whichever is free, except that the tests that share a module-scoped fixture, or a ``together``
marker, stay on one (:func:`group_of`), the longest groups first; a session's builds are made
once for both (:func:`once_for_all_workers`).
"""

from __future__ import annotations

import ast
import html
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from filelock import FileLock
from hypothesis import settings
from iijbook_build import evalfill

ROOT = Path(__file__).resolve().parents[1]

# Chapters run by the tests draw their charts as the build does, for the site: the static image
# that JupyterLab needs is drawn only where a test asks for it (test_lab, test_show_work).
os.environ.setdefault("IIJBOOK_TARGET", "site")


# -- two tiers ------------------------------------------------------------------------------
#: Fixtures that build the book (or a small one), run chapters, or start a kernel, a server or a
#: browser: a test that uses one, directly or through another fixture, is slow.
SLOW_FIXTURES = frozenset(
    {
        "built_book",  # the whole book, built once a session
        "site",
        "real_build",
        "book",  # the small books the fault, trust and hostile-input tests break
        "good_book",
        "data_book",
        "good_data_book",
        "built_tiny",  # the tiny book, built in process
        "tiny_book",
        "room",  # make classroom
        "lab",  # JupyterLab
        "base_url",  # the built site, served
        "playwright",
        "browser",
        "screenshot_dir",
        "default_run",  # a chapter's executed copy
        "run",  # a chapter's kernel (chapter_runs)
    }
)
#: Names whose call builds, runs a chapter or a notebook, or starts a kernel: a test that calls
#: one, itself or through a helper of its module or of this one, is slow.
SLOW_CALLS = frozenset(
    {
        "run_cli",  # the iijbook command, in a subprocess
        "iijbook_here",  # the iijbook command, in this process (tests/faultbook.py)
        "refused_build",
        "build",  # iijbook_build.build.build, in process
        "execute_chapter",
        "run_chapter",
        "execute_notebook",
        "NotebookClient",
        "ChapterKernel",
        "kernels_for",
        "make_classroom",
    }
)


def _names_called(function: object, seen: set) -> set[str]:
    """The names a function's code refers to, with those of the helpers it calls from the test modules."""
    code = getattr(function, "__code__", None)
    if code is None or code in seen:
        return set()
    seen.add(code)
    names, stack = set(), [code]
    while stack:  # the function, and the comprehensions and functions nested in it
        c = stack.pop()
        names |= set(c.co_names)
        stack += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    for name in list(names):
        helper = function.__globals__.get(name)
        if isinstance(helper, types.FunctionType) and helper.__module__.startswith("tests."):
            names |= _names_called(helper, seen)
    return names


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` every test that builds, runs or starts something (see the two sets above)."""
    for item in items:
        if any(item.get_closest_marker(m) for m in ("slow", "book", "browser")):
            item.add_marker(pytest.mark.slow)
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        function = getattr(item, "function", None)
        if fixtures & SLOW_FIXTURES or (function and _names_called(function, set()) & SLOW_CALLS):
            item.add_marker(pytest.mark.slow)


# -- two processes (make test: pytest-xdist, -n 2) ------------------------------------------
#: The file in which the processes tell the scheduler each test's group (set by the controller).
_GROUPS = "IIJBOOK_TEST_GROUPS"


def group_of(item: pytest.Item) -> str:
    """The tests that run on one process, one after the other: those that share a module-scoped
    fixture (a chapter's kernel, make classroom, JupyterLab, the browser), which a process would set
    up again whenever it ran another test in between; those a ``together(name)`` marker names (a
    smaller group, where a file's fixtures hold one thing at a time); each other test alone."""
    file = item.nodeid.split("::", 1)[0]
    if marker := item.get_closest_marker("together"):
        return f"{file}::{marker.args[0]}"
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info else ()
    return file if any(d.scope == "module" for chain in defs for d in chain) else item.nodeid


class _SendGroups:
    @pytest.hookimpl(trylast=True)  # after the tiers' -m and pytest's own ordering
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        _send_groups(items)


def _send_groups(items: list[pytest.Item]) -> None:
    """On an xdist process: the groups first, the longest first (the ``cost`` of a together marker,
    in seconds; else its count of tests), so that the two processes end together; and each test's
    group, written where the scheduler reads it."""
    groups = {item.nodeid: group_of(item) for item in items}
    cost: dict[str, float] = {}
    for item in items:
        marker = item.get_closest_marker("together")
        seconds = marker.kwargs.get("cost", 0) if marker else 0
        group = groups[item.nodeid]
        cost[group] = seconds or cost.get(group, 0) + 1  # else a second a test
    order = {group: i for i, group in enumerate(dict.fromkeys(groups.values()))}
    items.sort(key=lambda item: (-cost[groups[item.nodeid]], order[groups[item.nodeid]]))
    where = Path(os.environ[_GROUPS])
    mine = where.with_suffix(f".{os.environ['PYTEST_XDIST_WORKER']}")
    mine.write_text(json.dumps(groups))
    mine.replace(where)  # whole, whichever process writes last: both collect the same tests


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") and _GROUPS in os.environ:
        config.pluginmanager.register(_SendGroups())
    elif config.getoption("dist", "no") == "load" and not os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ[_GROUPS] = str(Path(tempfile.mkdtemp(prefix="iijbook-groups-")) / "groups.json")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _GROUPS in os.environ and not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(Path(os.environ.pop(_GROUPS)).parent, ignore_errors=True)


def pytest_xdist_make_scheduler(config, log):
    """Each group of :func:`group_of` to whichever process is free (``--dist load``, what ``-n``
    alone asks for), in the order the processes collected them. (xdist's own ``loadgroup`` no
    longer groups with pytest 9, whose node ids it cannot suffix.)"""
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # the longest first: see _send_groups

    class Scheduling(LoadScopeScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # the processes have collected: their groups are written
                self.groups = json.loads(Path(os.environ[_GROUPS]).read_text())
            return self.groups[nodeid]

    return Scheduling(config, log)


def once_for_all_workers(tmp_path_factory, name: str, make):
    """``make(folder)`` once for the session, whatever the number of xdist processes: the first to
    ask makes it in a folder they share, under a lock, and the others wait and take its value.

    For the builds every test copies or reads and none changes: made once, they cost one build,
    where each process making its own would cost one a process, on the same cores.
    """
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / "shared"  # the run's folder, above each process's
    shared.mkdir(exist_ok=True)
    made = shared / f"{name}.pickle"
    with FileLock(shared / f"{name}.lock"):
        if made.exists():
            return pickle.loads(made.read_bytes())
        folder = shared / name
        shutil.rmtree(folder, ignore_errors=True)  # what a process that failed to make it left
        folder.mkdir()
        value = make(folder)
        made.write_bytes(pickle.dumps(value))
        return value


# -- "ci" by default, "thorough" with IIJBOOK_HYPOTHESIS=thorough --------------------------------
# Both run every declared bound of every parameter (test_parameter_ranges, a test of its own a
# chapter); they differ in how many combinations Hypothesis draws besides: each is a chapter run.
settings.register_profile("ci", max_examples=4)
settings.register_profile("thorough", max_examples=60)
settings.load_profile(os.environ.get("IIJBOOK_HYPOTHESIS", "ci"))
#: The trials of the random-fault tests (kill -9 at random moments, a disk filled to random
#: levels) follow the profile too: a few spread over the whole range on every run, more when thorough.
THOROUGH = os.environ.get("IIJBOOK_HYPOTHESIS") == "thorough"


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

    def make(folder: Path) -> Path:
        build_dir = folder / "_build"
        proc = run_cli("build", "--build-dir", str(build_dir))
        if proc.returncode != 0:
            pytest.fail(f"the book did not build (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return build_dir

    return once_for_all_workers(tmp_path_factory, "whole-book", make)


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


def glued_values(
    notebook: Path, unquote: bool = False, mime: str = "text/plain", names: dict[str, str] | None = None
) -> dict[str, str]:
    """The values a notebook's prose cites with ``{eval}``, by expression: their ``mime`` form; and by
    each of ``names`` (a test's name for an expression the prose cites), where it is cited.

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
    return values | {name: values[expr] for name, expr in (names or {}).items() if expr in values}


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


# -- the chapter tests: the book build's executed copies, and one kernel a chapter -------------
def executed_copy(built_book: Path, name: str) -> Path:
    """A chapter run with its default parameters: the executed copy the session's book build holds."""
    path = built_book / "executed" / f"{name}.ipynb"
    assert path.is_file(), f"the book build has no executed copy of {name}"
    return path


class ChapterRuns:
    """Runs of one chapter in one kernel, each written out as an executed copy (with the texts probe).

    ``runs(parameters)`` returns the copy's path, which the readers above take as they take
    papermill's; a run that stops raises :class:`tests.chapter_kernel.ChapterFailed`,
    naming the cell and the error.
    """

    def __init__(self, name: str, out_dir: Path):
        from iijbook_build.inputs import discover

        from .chapter_kernel import ChapterKernel

        self.name, self.out_dir, self.count = name, out_dir, 0
        self.kernel = ChapterKernel(next(c for c in discover(ROOT) if c.name == name))

    def __call__(self, parameters: dict | None = None) -> Path:
        notebook = self.kernel.execute(parameters or {}, after=_TEXTS_PROBE)
        self.count += 1
        out = self.out_dir / f"{self.name}-{self.count}.ipynb"
        nbformat.write(notebook, out)
        return out


def chapter_runs(name: str):
    """A module's fixture ``run``: one kernel for the chapter ``name``, shut down after the module."""

    @pytest.fixture(scope="module")
    def run(tmp_path_factory):
        runs = ChapterRuns(name, tmp_path_factory.mktemp(f"{name}_runs"))
        yield runs
        runs.kernel.shutdown()

    return run


# the small books that the fault and trust tests break (defined there, shared here: imported
# here only, so that each is built once a session)
from .faultbook import book, built_tiny, data_book, good_book, good_data_book, tiny_book  # noqa: E402, F401

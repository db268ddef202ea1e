"""The small books that the fault and trust tests break: each built once a session, copied for each test.

Each test starts from a good build of a small book (:func:`make_mini_project`) made with
the ``iijbook`` command, breaks one thing, runs the command again, and checks what changed.
A build folder holds nothing that ties it to where it lies (its links are relative), so a
copy made with ``shutil.copytree(..., symlinks=True)`` is a good build of its own: the
fixtures below build each small book once for the whole session (the fault and the trust
tests share them) and give every test a fresh copy.

- :func:`good_book` / :func:`book`: ``tiny``, ``slow`` and ``raises_midway``, built with the
  ``iijbook`` command (and a render hook, see :data:`HOLD_RENDER`);
- :func:`good_data_book` / :func:`data_book`: ``tiny``, ``slow`` and ``loads_data``, with a copy
  of ``data/`` for each test to edit;
- :func:`built_tiny` / :func:`tiny_book`: ``tiny`` alone, built in this process
  (:func:`iijbook_build.build.build`), for the tests that break the build from inside.
"""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import psutil
import pytest

from .conftest import ROOT, make_mini_project, once_for_all_workers, run_cli
from .test_cli import tree_digest

#: The chapters of the small book most tests break. raises_midway divides by its
#: ``divisor`` (0 by default, which fails): every good build passes GOOD.
CHAPTERS = ("tiny", "slow", "raises_midway")
GOOD = ("-p", "divisor", "1")

#: A Sphinx extension, listed in the small book's configuration, that holds jupyter-book
#: at the start of rendering while IIJBOOK_TEST_HOLD_RENDER names a file that does not
#: exist yet, so a test can signal the build while it renders.
HOLD_RENDER = """\
import os
import time
from pathlib import Path


def _hold(app):
    hold = os.environ.get("IIJBOOK_TEST_HOLD_RENDER")
    if not hold:
        return
    Path(hold + ".started").write_text(str(os.getpid()))
    start = time.monotonic()
    while not Path(hold).exists() and time.monotonic() - start < 120:
        time.sleep(0.05)


def setup(app):
    app.connect("builder-inited", _hold)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
"""


def snapshot(build_dir: Path) -> dict[str, str]:
    """What a failed build must not change: the site, the cache and the executed copies."""
    return {name: tree_digest(build_dir / name) for name in ("html", "cache", "executed")}


def iijbook_build(book: dict, *args: str, env: dict[str, str] | None = None):
    """``iijbook build`` on the small book ``book`` (see the fixtures), as a user runs it."""
    where = ("--root", str(book["root"]), "--build-dir", str(book["build_dir"]))
    return run_cli("build", *where, *args, env={**book["env"], **(env or {})}, timeout=300)


#: What a fresh interpreter does not print (Python's default warning filters).
_UNSHOWN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def iijbook_here(
    *argv: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    """``iijbook ARGV`` through the command's own entry point, :func:`iijbook_build.cli.main` (all
    the console script calls), in this process: in ``cwd``, with ``env`` added to the environment,
    its output captured, and the warnings a fresh interpreter would print written after its stderr.

    For the tests whose command is refused before anything runs: a refusal then costs no
    interpreter start and no imports (a second or more each, pandas and pandera for the data
    checks). A command that is not refused runs here as it would in a process of its own, and the
    test fails on its exit status. Tests that need the build's own process (signals, a closed
    output, the lock held across processes, a build that must succeed) use :func:`iijbook_build`
    or :func:`start_build`.
    """
    from iijbook_build import cli

    settings = env or {}
    saved = {name: os.environ.get(name) for name in settings}
    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    try:
        os.environ.update(settings)
        os.chdir(cwd)
        with warnings.catch_warnings(record=True) as caught, redirect_stdout(out), redirect_stderr(err):
            warnings.simplefilter("default")
            code = cli.main(list(argv))
    finally:
        os.chdir(here)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    shown = [w for w in caught if not issubclass(w.category, _UNSHOWN_WARNINGS)]
    stderr = err.getvalue() + "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line) for w in shown
    )
    return subprocess.CompletedProcess(["iijbook", *argv], code, out.getvalue(), stderr)


def refused_build(book: dict, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``iijbook build`` on the small book ``book``, run by :func:`iijbook_here`: for a test that
    expects it refused before anything runs."""
    where = ("--root", str(book["root"]), "--build-dir", str(book["build_dir"]))
    return iijbook_here("build", *where, *args, env={**book["env"], **(env or {})})


def start_build(book: dict, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``iijbook build`` in a session of its own; its output goes to files in the build folder."""
    exe = Path(sys.executable).with_name("iijbook")
    where = ("--root", str(book["root"]), "--build-dir", str(book["build_dir"]))
    tag = len(book["started"])
    out_path, err_path = (book["build_dir"].parent / f"{kind}-{tag}.txt" for kind in ("out", "err"))
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            [str(exe), "build", *where, *args],
            cwd=ROOT,
            stdout=out,
            stderr=err,
            env={**os.environ, **book["env"], **(env or {})},
            start_new_session=True,
        )
    proc.out_path, proc.err_path = out_path, err_path  # type: ignore[attr-defined]
    book["started"].append(proc)
    return proc


def output(proc: subprocess.Popen) -> tuple[str, str]:
    return proc.out_path.read_text(), proc.err_path.read_text()  # type: ignore[attr-defined]


def wait_for(condition: Callable[[], bool], procs: list[subprocess.Popen], what: str, timeout=120) -> None:
    """Wait until ``condition`` holds; fail at once if a build ends first, or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            if proc.poll() is not None:
                out, err = output(proc)
                pytest.fail(f"the build ended (exit {proc.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout} s")
        time.sleep(0.02)


def finish(proc: subprocess.Popen, timeout: int = 120) -> tuple[int, str, str]:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the build did not end within {timeout} s of its signal:\n{output(proc)}")
    return (proc.returncode, *output(proc))


def assert_gone(procs: list[psutil.Process], timeout: float = 10) -> None:
    """Every process in ``procs`` has exited (a zombie waiting for its reaper counts as gone)."""
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    running = []
    for p in alive:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                running.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    assert not running, f"left running after the build ended: {running}"


def assert_unlocked(build_dir: Path) -> None:
    with open(build_dir / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if still held
        fcntl.flock(handle, fcntl.LOCK_UN)


def _good_book(tmp_path_factory, name: str, chapters: tuple[str, ...], *args: str) -> dict:
    return once_for_all_workers(tmp_path_factory, name, lambda where: _build_good(where, chapters, args))


def _build_good(where: Path, chapters: tuple[str, ...], args: tuple[str, ...]) -> dict:
    root = make_mini_project(where, chapters)
    hooks = where / "hooks"
    hooks.mkdir()
    (hooks / "hold_render.py").write_text(HOLD_RENDER)
    config = root / "_config.yml"
    ours = "      - iijbook_build.sphinxext\n"
    config.write_text(config.read_text().replace(ours, ours + "      - hold_render\n"))
    pythonpath = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    book = {"root": root, "build_dir": where / "_build", "env": {"PYTHONPATH": pythonpath}}
    proc = iijbook_build(book, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return book


@pytest.fixture(scope="session")
def good_book(tmp_path_factory) -> dict:
    """The small book, built once a session: its chapters all executed and cached, its site published."""
    return _good_book(tmp_path_factory, "book", CHAPTERS, *GOOD)


def _copy(good: dict, tmp_path: Path) -> dict:
    """A copy of the build of ``good`` in ``tmp_path``, for one test: ``before`` is its snapshot."""
    build_dir = tmp_path / "_build"
    shutil.copytree(good["build_dir"], build_dir, symlinks=True)  # a build keeps links of its own
    return {
        **good,
        "env": dict(good["env"]),
        "build_dir": build_dir,
        "before": snapshot(build_dir),
        "started": [],
    }


def own_sources(book: dict, tmp_path: Path) -> Path:
    """A copy of the small book's sources, for a test that edits them: the session's are read by
    every test, and tests run two at a time (``make test``)."""
    return Path(shutil.copytree(book["root"], tmp_path / "sources" / book["root"].name))


def _stop_started(book: dict) -> None:
    """Kill the builds a test started and left running (because it failed)."""
    for proc in book["started"]:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def book(good_book, tmp_path):
    """A copy of the good build for one test to break; ``before`` is its snapshot.

    Builds the test started and left running (because it failed) are killed at the end.
    """
    book = _copy(good_book, tmp_path)
    yield book
    _stop_started(book)


#: The chapters of the small book whose data the tests break: ``slow`` lets a test hold a build
#: while it edits the data.
DATA_CHAPTERS = ("tiny", "slow", "loads_data")


@pytest.fixture(scope="session")
def good_data_book(tmp_path_factory) -> dict:
    """The small book that loads the data, built once a session from ``data/``."""
    return _good_book(tmp_path_factory, "data-book", DATA_CHAPTERS)


@pytest.fixture
def data_book(good_data_book, tmp_path) -> dict:
    """A copy of the good data book's build, and a copy of data/ for the test to break
    (``IIJBOOK_DATA_DIR`` in its ``env``); builds the test left running are killed at the end."""
    book = _copy(good_data_book, tmp_path)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    book["data"], book["env"]["IIJBOOK_DATA_DIR"] = data, str(data)
    yield book
    _stop_started(book)


@pytest.fixture(scope="session")
def built_tiny(tmp_path_factory) -> dict:
    """The fixture chapter ``tiny`` alone as a book, built once a session in this process, with its
    defaults (the product on its page is 42.0)."""
    from iijbook_build import build as build_mod

    def make(where: Path) -> dict:
        root = make_mini_project(where)
        build_dir = where / "_build"
        build_mod.build({}, root=root, build_dir=build_dir, say=lambda _: None)
        return {"root": root, "build_dir": build_dir}

    return once_for_all_workers(tmp_path_factory, "tiny-book", make)


@pytest.fixture
def tiny_book(built_tiny, tmp_path) -> tuple[Path, Path]:
    """A copy of that build for one test: the book's root (shared: no test changes it) and the
    test's own build folder."""
    build_dir = tmp_path / "_build"
    shutil.copytree(built_tiny["build_dir"], build_dir, symlinks=True)
    return built_tiny["root"], build_dir

"""The small book that the fault and trust tests break: built once, copied for each test.

Each test starts from a good build of a small book (:func:`make_mini_project`) made with
the ``iijbook`` command, breaks one thing, runs the command again, and checks what changed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from .conftest import ROOT, make_mini_project, run_cli
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
    where = tmp_path_factory.mktemp(name)
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


@pytest.fixture(scope="module")
def good_book(tmp_path_factory) -> dict:
    """The small book, built once: its chapters all executed and cached, its site published."""
    return _good_book(tmp_path_factory, "book", CHAPTERS, *GOOD)


@pytest.fixture
def book(good_book, tmp_path):
    """A copy of the good build for one test to break; ``before`` is its snapshot.

    Builds the test started and left running (because it failed) are killed at the end.
    """
    build_dir = tmp_path / "_build"
    shutil.copytree(good_book["build_dir"], build_dir, symlinks=True)  # a build keeps links of its own
    book = {**good_book, "build_dir": build_dir, "before": snapshot(build_dir), "started": []}
    yield book
    for proc in book["started"]:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- 1. data ------------------------------------------------------------------------------

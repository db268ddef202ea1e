"""A build you can trust: every page shows the run it was given, whatever the cache, the
folder, the lock or the disk did.

Read as a reader would: the figure on the page after each build, not the build's own report.
The expected figures are worked by hand from the release: 2Q02 revenues of ¥10.6B are $86.8M
at the release's own ¥122.1 per dollar (printed), $70.7M at ¥150 (10.6e9 / 150 = 70.67e6)
and $75.7M at ¥140 (10.6e9 / 140 = 75.71e6).
"""

from __future__ import annotations

import errno
import fcntl
import html
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from iijbook_build import build as build_mod
from iijbook_build import folder as folder_mod
from iijbook_build.run import run_record

from .conftest import ROOT, THOROUGH, make_mini_project, run_cli
from .faultbook import (
    GOOD,
    finish,
    iijbook_build,
    iijbook_here,
    own_sources,
    refused_build,
    snapshot,
    start_build,
    wait_for,
)
from .test_cli import tree_digest


def page_text(path: Path) -> str:
    """A page as a reader sees its text: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def dollar_figure(site: Path) -> tuple[str, str]:
    """The rate and the dollar revenue the revenues page states: ("150.0", "70.7")."""
    found = re.search(
        r"At ¥([\d.]+) per dollar.*?the quarter is\s+\$([\d.]+)M",
        page_text(site / "chapters" / "revenues.html"),
        re.S,
    )
    assert found, "the revenues page states no dollar figure"
    return found.group(1), found.group(2)


@pytest.fixture
def real_build(built_book, tmp_path) -> Path:
    """A copy of the session's build of the whole book (defaults), for one test to build on."""
    build_dir = tmp_path / "_build"
    shutil.copytree(built_book, build_dir, symlinks=True)
    return build_dir


def _build(build_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = run_cli("build", "--build-dir", str(build_dir), *args, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


# -- pages follow content, never timestamps ------------------------------------------------
def test_the_page_shows_each_run_through_a_walk_of_rates_and_a_data_edit(real_build, tmp_path):
    """One copy of the whole book's build, walked through rates and a data edit and back, a build
    of the revenues chapter at each step: the page shows each run, new or from the cache. (Three
    tests, each with builds of its own, before: the first step was a test of the command, the data
    edit and its revert another; every step and assertion is kept, two builds fewer.)"""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    env = {"IIJBOOK_DATA_DIR": str(data)}  # the same bytes as data/: the copied cache still serves
    html_dir, other = real_build / "html", (real_build / "html" / "intro.html").read_bytes()
    assert dollar_figure(html_dir) == ("122.1", "86.8")

    walk = [
        (("-p", "jpy_per_usd", "150"), ("150.0", "70.7"), "executed"),
        ((), ("122.1", "86.8"), "cached"),
        (("-p", "jpy_per_usd", "140"), ("140.0", "75.7"), "executed"),
        (("-p", "jpy_per_usd", "150"), ("150.0", "70.7"), "cached"),
    ]
    for step, (args, expected, how) in enumerate(walk):
        out = _build(real_build, *args, "--chapter", "revenues", env=env)
        assert re.search(rf"\] revenues +{how}", out), out
        assert dollar_figure(html_dir) == expected, (args, out)
        status = page_text(html_dir / "chapters" / "status.html")
        shown = "jpy_per_usd = " + expected[0] if args else "none"
        assert re.search(rf"revenues\s+{re.escape(shown)}", status), status[:2000]
        if step == 0:  # the first run at ¥150: 10.6e9 / 150 = 70.67e6, by hand
            page = (html_dir / "chapters" / "revenues.html").read_text(encoding="utf-8")
            assert "$70.7M" in page and "¥150.0" in page and "(changed)" in page
            # the page says so at the top, naming what differs, not only in the box at the end
            top = re.sub(r"<[^>]+>", "", page[page.index("<h1") : page.index("The question.")])
            assert "Not the default run" in top and "jpy_per_usd = 150.0 (the default is None)" in top
            si = (html_dir / "chapters" / "systems_integration.html").read_text(encoding="utf-8")
            assert "Not the default run" not in si  # a page run with its defaults says nothing
            assert (html_dir / "intro.html").read_bytes() == other
            assert re.search(r"systems_integration\s+none\s+–\s+kept", status)  # kept as it was

    gaps = data / "gaps.csv"  # a data edit reaches the page, and so does its revert
    original = gaps.read_text(encoding="utf-8")
    title = "Revenues Growth (QoQ)"
    assert title in page_text(html_dir / "chapters" / "revenues.html")
    gaps.write_text(original.replace(title, "Revenues Growth (edited title)", 1), encoding="utf-8")
    out = _build(real_build, "--chapter", "revenues", env=env)
    assert re.search(r"\] revenues +executed", out), out
    assert "Revenues Growth (edited title)" in page_text(html_dir / "chapters" / "revenues.html")
    gaps.write_text(original, encoding="utf-8")  # the revert: its run comes from the cache
    out = _build(real_build, "--chapter", "revenues", env=env)
    assert re.search(r"\] revenues +cached", out), out
    text = page_text(html_dir / "chapters" / "revenues.html")
    assert title in text and "edited title" not in text and dollar_figure(html_dir) == ("122.1", "86.8")


def test_every_page_carries_the_key_of_its_run_and_the_status_page_lists_it(site, built_book):
    status = page_text(site / "chapters" / "status.html")
    for executed in sorted((built_book / "executed").glob("*.ipynb")):
        record = run_record(executed)
        assert record and re.fullmatch(r"[0-9a-f]{20}", record["key"]), executed
        assert record["key"] in page_text(site / "chapters" / f"{executed.stem}.html"), executed.stem
        assert record["key"] in status, executed.stem


# -- the small book, for the faults ---------------------------------------------------------
def tiny_product(build_dir: Path) -> str:
    found = re.search(r"The product is (\S+) ", page_text(build_dir / "html" / "chapters" / "tiny.html"))
    assert found
    return found.group(1)


def consistent(build_dir: Path) -> None:
    """The published state is one build's: each page shows the run its executed copy records,
    status.json names the same runs, and no half-laid-out folder is left."""
    status = json.loads((build_dir / "status.json").read_text())
    keys = {c["name"]: c["key"] for c in status["chapters"]}
    for executed in (build_dir / "executed").glob("*.ipynb"):
        record = run_record(executed)
        assert record is not None, executed
        assert keys[executed.stem] == record["key"], executed.stem
        assert record["key"] in page_text(build_dir / "html" / "chapters" / f"{executed.stem}.html")
    # one generation, the published one, and nothing half laid out beside it
    assert [g.name for g in (build_dir / "gen").iterdir()] == [(build_dir / "current").readlink().name]
    assert not (build_dir / "current.new").exists()


def test_a_truncated_cache_entry_is_run_again(book):
    build_dir = book["build_dir"]
    entries = sorted((build_dir / "cache").glob("tiny-*.ipynb"))
    assert entries
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:200])
    (build_dir / "executed" / "tiny.ipynb").unlink()  # and the published copy is gone too
    proc = iijbook_build(book, *GOOD)
    assert proc.returncode == 0, proc.stderr
    assert "changed or cut short since it was filed; the chapter runs again" in proc.stdout
    assert re.search(r"\] tiny +executed", proc.stdout)
    consistent(build_dir)


@pytest.mark.parametrize(
    "text",
    ["{", "[]", '{"chapters": 5}', '{"chapters": [1, {"name": 3}]}', "\x00\xff" * 10, ""],
    ids=["cut", "list", "not-a-list", "bad-rows", "binary", "empty"],
)
def test_a_malformed_status_file_does_not_stop_a_build(book, text):
    (book["build_dir"] / "status.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    proc = iijbook_build(book, *GOOD)
    assert proc.returncode == 0, proc.stderr
    consistent(book["build_dir"])


# -- the lock dies with its holder ----------------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP])
def test_a_build_killed_while_chapters_run_leaves_no_lock_and_no_workers(book, tmp_path, signum):
    hold = tmp_path / "hold"
    first = start_build(book, *GOOD, "-p", "hold", str(hold))
    wait_for(lambda: Path(f"{hold}.started").exists(), [first], "the chapter running")
    family = psutil.Process(first.pid).children(recursive=True)
    assert family, "the build runs its chapters in workers"
    os.kill(first.pid, signum)
    first.wait(timeout=60)
    if signum == signal.SIGHUP:
        assert first.returncode == 130, first.returncode
    # the workers and their kernels follow the build; none keeps the lock
    _, alive = psutil.wait_procs(family, timeout=20)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [" ".join(p.cmdline())[:100] for p in alive]
    proc = iijbook_build(book, *GOOD)
    assert proc.returncode == 0, proc.stderr
    consistent(book["build_dir"])


def test_a_lock_that_is_a_symbolic_link_is_not_followed(book, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    lock = book["build_dir"] / ".lock"
    lock.unlink()
    lock.symlink_to(target)
    proc = refused_build(book, *GOOD, "-p", "rate", "3")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"iijbook: refused: {lock} is a symbolic link; a build never follows one: remove it"
    ]
    assert target.read_text() == "keep me\n"
    assert snapshot(book["build_dir"]) == book["before"]


def test_a_lock_that_is_a_folder_is_one_line(book):
    lock = book["build_dir"] / ".lock"
    lock.unlink()
    lock.mkdir()
    proc = refused_build(book, *GOOD, "-p", "rate", "3")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"iijbook: refused: {lock} is a folder, not a lock file: remove it"]
    assert snapshot(book["build_dir"]) == book["before"]


@pytest.mark.parametrize("written", ["own", "dead", "junk", "empty"])
def test_a_refusal_names_a_live_holder_only(book, written):
    lock = book["build_dir"] / ".lock"
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that was alive once and is not now
    text = {"own": str(os.getpid()), "dead": str(dead.pid), "junk": "x" * 5000, "empty": ""}[written]
    with open(lock, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # this test holds the lock, as a build would
        handle.truncate()
        handle.write(text)
        handle.flush()
        proc = iijbook_build(book, *GOOD)  # a process of its own: the pid it names is not its own
    assert proc.returncode == 2
    who = f"another build (pid {os.getpid()})" if written == "own" else "another build"
    assert proc.stderr.splitlines() == [
        f"iijbook: refused: {who} holds the lock {lock}; wait for it to finish and run this one again"
    ]
    assert snapshot(book["build_dir"]) == book["before"]
    assert iijbook_build(book, *GOOD).returncode == 0  # released: the next build runs


_HOLDER = """
import fcntl, os, sys
handle = open(sys.argv[1], "r+")
fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
handle.truncate()
handle.flush()
print("locked", flush=True)
sys.stdin.readline()  # the pid is written only when told: the moment two builds race for
handle.write(str(os.getpid()))
handle.flush()
sys.stdin.readline()
"""


def test_a_holder_that_has_only_just_locked_is_named_once_it_writes_its_pid(tmp_path):
    """Two builds started together: the loser can find the lock taken and the file still empty."""
    import threading

    (tmp_path / ".lock").touch()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path / ".lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        timer = threading.Timer(0.2, lambda: (holder.stdin.write("\n"), holder.stdin.flush()))
        timer.start()
        with pytest.raises(folder_mod.Locked, match=rf"^another build \(pid {holder.pid}\) holds"):
            with folder_mod.lock(tmp_path):
                pass
        timer.join()
    finally:
        holder.kill()
        holder.wait()


# -- the build folder -------------------------------------------------------------------------
def test_a_folder_holding_other_files_is_refused_and_left_alone(book, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    (folder / "html").mkdir()
    (folder / "html" / "index.html").write_text("my own site\n")
    before = tree_digest(folder)
    proc = iijbook_here(
        "build", "--root", str(book["root"]), "--build-dir", str(folder), *GOOD, env=book["env"]
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"iijbook: refused: build folder {folder}: it holds files that no build wrote (notes.txt); a "
        "build writes and deletes inside its folder, so choose a new or empty one"
    ]
    assert tree_digest(folder) == before


@pytest.mark.parametrize("which", ["root", "parent", "cwd"])
def test_the_project_folder_or_one_above_it_is_refused(book, which):
    root = book["root"]
    folder = {"root": root, "parent": root.parent, "cwd": Path(".")}[which]
    before = tree_digest(root)
    proc = iijbook_here(
        "build", "--root", str(root), "--build-dir", str(folder), *GOOD, env=book["env"], cwd=root
    )
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "is the project folder or holds it" in proc.stderr, (
        proc.stderr
    )
    assert tree_digest(root) == before


@pytest.mark.parametrize("kind", ["file", "unwritable"])
def test_an_unusable_build_folder_is_one_line(book, tmp_path, kind):
    folder = {"file": tmp_path / "a-file", "unwritable": Path("/proc/1/iijbook-build")}[kind]
    if kind == "file":
        folder.write_text("x")
    proc = iijbook_here(
        "build", "--root", str(book["root"]), "--build-dir", str(folder), *GOOD, env=book["env"]
    )
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and str(folder) in lines[0], proc.stderr
    assert ("it is a file" if kind == "file" else "cannot write in it") in lines[0]


# -- inputs edited while the build runs -----------------------------------------------------
def test_data_edited_during_a_build_never_reaches_a_run_filed_under_another_key(data_book, tmp_path):
    """The data book (a copy of its build, and of data/ for this test) is held by its slow chapter
    while a data file gains a row: that build shows the rows as they were, the next one the new."""
    book, data = data_book, data_book["data"]
    assert iijbook_build(book).returncode == 0
    rows = page_text(book["build_dir"] / "html" / "chapters" / "loads_data.html")
    count = int(re.search(r"hold (\d+) rows", rows).group(1))

    hold = tmp_path / "hold"
    running = start_build(book, "-p", "hold", str(hold))
    wait_for(lambda: Path(f"{hold}.started").exists(), [running], "the chapters running")
    gaps = data / "release_figures.csv"
    original = gaps.read_text()
    extra = original.splitlines()[1].replace(original.splitlines()[1].split(",")[0], "an_extra_row", 1)
    gaps.write_text(original + extra + "\n")  # one more row, while the build runs
    hold.touch()
    code, out, err = finish(running)
    assert code == 0, out + err
    # that build read the data as it was when it started
    assert f"hold {count} rows" in page_text(book["build_dir"] / "html" / "chapters" / "loads_data.html")
    # the next one sees the edit: it is not served the run made before it
    proc = iijbook_build(book)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\] loads_data +executed", proc.stdout), proc.stdout
    assert f"hold {count + 1} rows" in page_text(book["build_dir"] / "html" / "chapters" / "loads_data.html")
    gaps.write_text(original)
    proc = iijbook_build(book)
    assert f"hold {count} rows" in page_text(book["build_dir"] / "html" / "chapters" / "loads_data.html")


# -- publishing is all or nothing -------------------------------------------------------------
def _published(build_dir: Path) -> dict[str, str]:
    return {**snapshot(build_dir), "status": (build_dir / "status.json").read_text()}


def _build_on_a_disk_full_at(fail_at: int, quiet: dict, monkeypatch) -> tuple[str, int]:
    """Build the tiny book with rate 3 on a disk that fills at the ``fail_at``-th file the new
    generation copies; return the build's error message and how many copies were tried."""
    calls = {"n": 0}
    real_copyfile, real_new = shutil.copyfile, folder_mod.new_generation

    def full(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= fail_at:
            raise OSError(errno.ENOSPC, "No space left on device", str(args[1]))
        return real_copyfile(*args, **kwargs)

    with monkeypatch.context() as patched:
        # only the laying out of the new generation is starved: the runs and the render have the disk
        def new_generation(*args, **kwargs):
            patched.setattr(shutil, "copyfile", full)
            patched.setattr(os, "link", lambda *a, **k: full(*a))
            return real_new(*args, **kwargs)

        patched.setattr(folder_mod, "new_generation", new_generation)
        with pytest.raises(build_mod.BuildError) as err:
            build_mod.build({"tiny": {"rate": 3.0}}, **quiet)
    return str(err.value), calls["n"]


def test_a_full_disk_while_publishing_changes_nothing_and_cleans_up(tiny_book, monkeypatch):
    """The disk fills while the new generation is laid out, at the first, the second or the third
    file copied (a cache entry carried over, the executed copy, the new cache entry): each time the
    build fails in one line saying nothing changed, and the published state is as it was, with no
    generation laid out in part, nothing staged and no scratch left; the next build publishes.

    The three places were three tests, each with a good build of its own after the failure. Each
    failing build is checked to leave the build folder as it found it, so they run one after the
    other on one copy of the tiny book's build, and the build that must then succeed runs once,
    after all three: one build instead of three.
    """
    root, build_dir = tiny_book  # a copy of the tiny book's build with its defaults
    quiet = {"root": root, "build_dir": build_dir, "say": lambda _: None}
    before = _published(build_dir)
    for fail_at in (1, 2, 3):
        message, copied = _build_on_a_disk_full_at(fail_at, quiet, monkeypatch)
        assert len(message.splitlines()) == 1 and "no space left on device" in message.lower(), fail_at
        assert "were not changed" in message, fail_at
        assert copied >= fail_at, f"the disk never filled at file {fail_at}: {copied} copied"
        assert _published(build_dir) == before, fail_at
        consistent(build_dir)  # the generation laid out in part is gone
        assert not list((build_dir / "running").iterdir()), fail_at
    build_mod.build({"tiny": {"rate": 3.0}}, **quiet)
    assert tiny_product(build_dir) == "63.0"
    consistent(build_dir)


def test_a_really_full_disk_at_any_point_keeps_the_published_state_whole(tmp_path, built_tiny):
    """Builds on a small file system filled to leave less and less room: each build publishes
    whole or changes nothing. The first good build is the session's tiny book's, copied in."""
    mount = tmp_path / "disk"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {proc.stderr.decode().strip()}")
    try:
        book = {"root": built_tiny["root"], "build_dir": mount / "_build", "env": {}, "started": []}
        shutil.copytree(built_tiny["build_dir"], book["build_dir"], symlinks=True)
        assert tiny_product(book["build_dir"]) == "42.0"
        consistent(book["build_dir"])
        free = shutil.disk_usage(mount).free
        site = sum(p.stat().st_size for p in (book["build_dir"] / "html").rglob("*") if p.is_file())
        outcomes = []
        fractions = (0.05, 0.3, 0.6, 0.9, 1.5) if THOROUGH else (0.05, 0.6, 1.5)
        for n, fraction in enumerate(fractions):
            before = _published(book["build_dir"])
            filler = mount / "filler"
            with filler.open("wb") as f:
                f.truncate(0)
            left = int(site * fraction)
            subprocess.run(["fallocate", "-l", str(max(0, free - left - 64 * 1024)), str(filler)], check=True)
            proc = iijbook_build(book, "-p", "rate", str(3 + n))
            filler.unlink()
            outcomes.append(proc.returncode)
            if proc.returncode == 0:
                assert tiny_product(book["build_dir"]) == f"{21 * (3 + n):.1f}"
            else:
                assert "no space left on device" in proc.stderr.lower(), proc.stderr
                assert _published(book["build_dir"]) == before
            consistent(book["build_dir"])
            free = shutil.disk_usage(mount).free
        assert 1 in outcomes, f"the disk was never full enough to fail a build: {outcomes}"
        assert iijbook_build(book, "-p", "rate", "9").returncode == 0
        consistent(book["build_dir"])
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_kill_9_at_random_points_never_leaves_a_mixed_site(tmp_path):
    root = make_mini_project(tmp_path, ("tiny", "tiny=second"))
    book = {"root": root, "build_dir": tmp_path / "_build", "env": {}, "started": []}
    assert iijbook_build(book).returncode == 0
    rng = random.Random(20021114)  # the release's month, fixed so that a failure can be replayed
    cold = time.monotonic()
    assert iijbook_build(book, "-p", "rate", "1.5").returncode == 0
    span = time.monotonic() - cold
    rounds = 8 if THOROUGH else 3  # each in its own part of the build, so every run spans it all
    for n in range(rounds):
        delay = span * (n + rng.random()) / rounds
        proc = start_build(book, "-p", "rate", f"{4 + n}", "--force")
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        after = iijbook_build(book, "-p", "rate", f"{4 + n}")
        assert after.returncode == 0, f"after a kill at {delay:.2f} s: {after.stderr}"
        assert tiny_product(book["build_dir"]) == f"{21 * (4 + n):.1f}"
        consistent(book["build_dir"])
        assert not list((book["build_dir"] / "running").iterdir())


# -- the time limit ---------------------------------------------------------------------------
def test_a_chapter_over_its_time_limit_is_stopped_naming_cell_and_limit(book, tmp_path):
    hold = tmp_path / "never"  # the slow chapter waits for a file that never comes
    started = time.monotonic()
    # 15 s: time enough to start a kernel and run the cells before the wait on a busy machine
    proc = iijbook_build(book, *GOOD, "-p", "hold", str(hold), "--timeout", "15")
    assert time.monotonic() - started < 60
    assert proc.returncode == 1, proc.stdout + proc.stderr
    slow = nbformat.read(book["root"] / "chapters" / "slow.ipynb", as_version=4)
    waiting = next(i for i, c in enumerate(slow.cells) if "while" in c.source)
    assert (
        f"  chapter slow: cell {waiting} (id {slow.cells[waiting].id}) was still running when the chapter "
        "reached its time limit of 15 s (set it with --timeout SECONDS)"
    ) in proc.stderr.splitlines(), proc.stderr
    kept = book["build_dir"] / "failed" / "slow.ipynb"  # as far as it ran, as the README promises
    assert f"executed copy kept at {kept}" in proc.stderr and nbformat.read(kept, as_version=4).cells
    assert snapshot(book["build_dir"]) == book["before"]


# -- what a hostile tester found: the build folder's own entries ------------------------------
@pytest.mark.parametrize("name", ["running", "gen", "cache", "executed", "html", "current", "logs", "failed"])
def test_a_build_folder_entry_that_is_a_link_is_refused_and_its_target_kept(book, tmp_path, name):
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "precious.txt").write_text("keep me\n")
    entry = book["build_dir"] / name
    if entry.is_symlink():
        entry.unlink()  # a link the build made, replaced by one to somewhere else
    shutil.rmtree(entry, ignore_errors=True)
    entry.symlink_to(victim)
    before = tree_digest(victim)
    proc = refused_build(book, *GOOD, "-p", "rate", "3")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"iijbook: refused: {entry} is a symbolic link") and line.endswith("remove it")
    assert tree_digest(victim) == before and (victim / "sub").is_dir()


@pytest.mark.parametrize("name", ["cache", "executed", "html", "status.json", "current", "gen", "logs"])
def test_a_build_folder_entry_of_the_wrong_kind_is_refused_before_anything_changes(book, name):
    build_dir = book["build_dir"]
    entry, aside = build_dir / name, build_dir / "aside"
    before = snapshot(build_dir)
    link = os.readlink(entry) if entry.is_symlink() else None
    entry.unlink() if link else entry.rename(aside)
    entry.mkdir() if name == "status.json" else entry.write_text("junk\n")  # a folder where a file goes
    proc = refused_build(book, *GOOD, "-p", "rate", "3")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and str(entry) in lines[0] and "remove it" in lines[0], proc.stderr
    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    os.symlink(link, entry) if link else aside.rename(entry)
    assert snapshot(build_dir) == before  # the refusal changed nothing
    # once the junk is gone (and the build's own link with it), the build works and recovers
    entry.unlink() if link and name != "current" else None
    assert iijbook_build(book, *GOOD, "-p", "rate", "3").returncode == 0
    assert tiny_product(build_dir) == "63.0"
    consistent(build_dir)


def test_special_files_and_links_in_the_build_folder_are_never_written_through(book, tmp_path):
    """A build writes a new file for each log (the old name is removed first, and the new one is
    made without following a link) and lays each generation out afresh: a pipe or a link planted
    in its folder is never read, followed or written through."""
    logs = book["build_dir"] / "logs"
    (logs / "tiny.log").unlink(missing_ok=True)
    os.mkfifo(logs / "tiny.log")
    target = tmp_path / "outside.txt"
    target.write_text("keep me\n")
    (logs / "slow.log").unlink(missing_ok=True)
    (logs / "slow.log").symlink_to(target)  # a log opened with O_TRUNC
    planted = book["build_dir"] / "gen" / "planted"
    planted.mkdir()
    os.mkfifo(planted / "html")
    proc = iijbook_build(book, *GOOD, "-p", "rate", "3", "--force")
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == "keep me\n" and not planted.exists()
    consistent(book["build_dir"])


def test_a_published_page_changed_by_hand_is_replaced_by_the_next_build(book):
    page = book["build_dir"] / "html" / "chapters" / "tiny.html"
    assert tiny_product(book["build_dir"]) == "42.0"  # 21 * the default rate, 2
    page.write_text(page.read_text().replace("42.0", "99.9"))
    proc = iijbook_build(book, *GOOD)  # nothing else changed: the site no longer is what was built
    assert proc.returncode == 0, proc.stderr
    assert "nothing changed" not in proc.stdout
    assert tiny_product(book["build_dir"]) == "42.0"
    again = iijbook_build(book, *GOOD)
    assert "nothing changed since the last build: the site is as it was" in again.stdout


def test_a_published_copy_edited_in_place_never_changes_the_cache(book):
    executed = book["build_dir"] / "executed" / "tiny.ipynb"
    with open(executed, "r+b") as handle:  # in place: the same inode, as some editors save
        text = handle.read().replace(b"42.0", b"55.5")
        handle.seek(0)
        handle.write(text)
        handle.truncate()
    cached = iijbook_build(book, *GOOD)  # the same key: served from the cache
    assert cached.returncode == 0 and re.search(r"\] tiny +cached", cached.stdout), cached.stdout
    assert tiny_product(book["build_dir"]) == "42.0"
    # a cache entry edited in place is not served
    entry = next(e for e in (book["build_dir"] / "cache").glob("tiny-*.ipynb") if b"42.0" in e.read_bytes())
    with open(entry, "r+b") as handle:
        text = handle.read().replace(b"42.0", b"55.5")
        handle.seek(0)
        handle.write(text)
    proc = iijbook_build(book, *GOOD)
    assert re.search(r"\] tiny +executed", proc.stdout), proc.stdout
    assert tiny_product(book["build_dir"]) == "42.0"


def test_a_kept_chapter_whose_copy_was_changed_is_run_again_as_it_was(book):
    assert iijbook_build(book, *GOOD, "-p", "rate", "3").returncode == 0
    executed = book["build_dir"] / "executed" / "tiny.ipynb"
    executed.write_bytes(executed.read_bytes().replace(b"63.0", b"55.5"))
    proc = iijbook_build(book, *GOOD, "--chapter", "raises_midway")
    assert proc.returncode == 0, proc.stderr
    assert "executed/tiny.ipynb: missing or changed since it was published" in proc.stdout
    assert tiny_product(book["build_dir"]) == "63.0"  # its last run's parameters, not the defaults
    consistent(book["build_dir"])


@pytest.mark.parametrize("inside", ["data", "chapters", "_static"])
def test_a_build_folder_inside_what_the_build_reads_is_refused(book, inside):
    folder = {
        "data": ROOT / "data",
        "chapters": book["root"] / "chapters",
        "_static": book["root"] / "_static",
    }[inside] / "_b"
    proc = iijbook_here(
        "build", "--root", str(book["root"]), "--build-dir", str(folder), *GOOD, env=book["env"]
    )
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "which the build reads" in proc.stderr, proc.stderr
    assert not folder.exists()


@pytest.mark.parametrize("text", ["title: [unclosed\n", "- a list\n", "just text\n", "\x00\x01"])
def test_a_broken_book_configuration_is_one_line_naming_it(book, tmp_path, text):
    book["root"] = own_sources(book, tmp_path)  # the session's are shared by tests running at once
    config = book["root"] / "_config.yml"
    good = config.read_text()
    try:
        config.write_text(text)
        proc = refused_build(book, *GOOD, "-p", "rate", "3")
    finally:
        config.write_text(good)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and str(config) in lines[0], proc.stderr
    assert snapshot(book["build_dir"]) == book["before"]


@pytest.mark.parametrize(
    ("after", "setting", "says"),
    [
        (
            "      - iijbook_build.sphinxext\n",
            "      - no_such_extension\n",
            "Could not import extension no_such",
        ),
        ("sphinx:\n  config:\n", "    html_theme: no_such_theme\n", "no theme named 'no_such_theme'"),
    ],
)
def test_a_configuration_sphinx_cannot_start_with_is_refused_naming_it(book, tmp_path, after, setting, says):
    """jupyter-book's schema lets these through; Sphinx refuses them as it starts. The reader's
    input, so exit 2 and one line naming _config.yml, and the site as it was."""
    book["root"] = own_sources(book, tmp_path)  # the session's are shared by tests running at once
    config = book["root"] / "_config.yml"
    assert after in config.read_text()
    config.write_text(config.read_text().replace(after, after + setting, 1))
    proc = iijbook_build(book, *GOOD, "-p", "rate", "3")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and str(config) in lines[0] and says in lines[0], proc.stderr
    assert snapshot(book["build_dir"]) == book["before"]


def test_a_new_title_reaches_every_page_s_navigation(book, tmp_path):
    book["root"] = own_sources(book, tmp_path)  # the session's are shared by tests running at once
    source = book["root"] / "chapters" / "tiny.ipynb"
    good = source.read_text()
    try:
        source.write_text(good.replace("# A tiny chapter", "# A renamed chapter"))
        assert iijbook_build(book, *GOOD).returncode == 0
    finally:
        source.write_text(good)
    for page in ("intro.html", "chapters/slow.html", "chapters/status.html"):
        text = page_text(book["build_dir"] / "html" / page)
        assert "A renamed chapter" in text and "A tiny chapter" not in text, page


def test_a_signal_while_the_new_site_is_laid_out_publishes_nothing(tiny_book, monkeypatch):
    root, build_dir = tiny_book  # a copy of the tiny book's build with its defaults
    quiet = {"root": root, "build_dir": build_dir, "say": lambda _: None}
    before = _published(build_dir)
    real_copyfile = shutil.copyfile

    def copyfile_then_signal(*args, **kwargs):
        result = real_copyfile(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # the generation half laid out, the commit point not reached
        return result

    monkeypatch.setattr(build_mod.shutil, "copyfile", copyfile_then_signal)
    with pytest.raises(
        build_mod.Interrupted, match="the site, the cache and the executed copies were not changed"
    ):
        build_mod.build({"tiny": {"rate": 3.0}}, **quiet)
    assert _published(build_dir) == before
    monkeypatch.undo()
    consistent(build_dir)


def test_a_lock_file_removed_during_a_build_stops_it_in_one_line(book, tmp_path):
    hold = tmp_path / "hold"
    first = start_build(book, *GOOD, "-p", "hold", str(hold))
    wait_for(lambda: Path(f"{hold}.started").exists(), [first], "the chapter running")
    (book["build_dir"] / ".lock").unlink()
    second = iijbook_build(book, *GOOD, "-p", "rate", "3")  # it takes a new lock, and runs
    assert second.returncode == 0, second.stderr
    hold.touch()
    code, out, err = finish(first)
    assert code == 1, out + err
    assert err.splitlines() == [
        f"iijbook: build failed: the lock file {book['build_dir'] / '.lock'} was removed or replaced while "
        "this build ran, so another build may have run beside it; nothing was published: build again"
    ]
    assert tiny_product(book["build_dir"]) == "63.0"  # the second build's site stands
    consistent(book["build_dir"])


# -- the command's own output and options -----------------------------------------------------
@pytest.mark.parametrize("where", ["closed", "full"])
def test_a_build_whose_output_goes_nowhere_still_builds(book, where):
    exe = Path(build_mod.sys.executable).with_name("iijbook")
    args = [str(exe), "build", "--root", str(book["root"]), "--build-dir", str(book["build_dir"]), *GOOD]
    redirect = ">&-" if where == "closed" else ">/dev/full"
    cmd = " ".join(f"'{a}'" for a in [*args, "-p", "rate", "3"]) + f" {redirect}"
    proc = subprocess.run(
        ["bash", "-c", cmd],
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **book["env"]},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert tiny_product(book["build_dir"]) == "63.0"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("-p", "rate", "3", "-p", "rate", "4"), "parameter 'rate' is given twice with -p"),
        (
            ("-p", "rate", "--chapter", "tiny"),
            "-p 'rate' has no VALUE: the next word is the option --chapter",
        ),
        (("--timeout", "1e308"), "--timeout"),
        (("--timeout", "86401"), "--timeout"),
    ],
)
def test_command_lines_that_cannot_mean_what_they_say_are_refused(book, args, says):
    proc = refused_build(book, *GOOD, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and says in lines[0], proc.stderr
    assert snapshot(book["build_dir"]) == book["before"]


def test_a_chapter_that_prints_too_much_is_named_with_its_cell(tmp_path):
    root = make_mini_project(tmp_path, ("tiny", "loud"))
    book = {"root": root, "build_dir": tmp_path / "_build", "env": {}, "started": []}
    assert iijbook_build(book).returncode == 0
    before = snapshot(book["build_dir"])
    proc = iijbook_build(book, "-p", "megabytes", "40")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "  chapter loud: its executed copy is 40 MB, over the 32 MB a page may hold: cell 2 (id l-02) "
        "wrote 40 MB of output"
    ) in proc.stderr.splitlines(), proc.stderr
    assert snapshot(book["build_dir"]) == before


def test_parameters_that_do_not_go_together_are_refused_and_change_nothing(real_build):
    """The chapter's own parameters-check cell refuses them in its run: exit 2, one line naming
    the chapter, nothing executed or published."""
    before = snapshot(real_build)
    proc = iijbook_here(
        "build",
        "--build-dir",
        str(real_build),
        "-p",
        "m2_per_rack_low",
        "9",
        "-p",
        "m2_per_rack_high",
        "5",
        "--chapter",
        "data_centers",
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        "iijbook: refused: chapter data_centers: parameter m2_per_rack_low (9.0) must be below "
        "m2_per_rack_high (5.0)"
    ]
    assert re.search(r"\] data_centers +refused", proc.stdout) and "executed" not in proc.stdout, proc.stdout
    assert snapshot(real_build) == before


# -- what a second hostile replay found ---------------------------------------------------------
def _junk(build_dir: Path, kind: str) -> None:
    gen = build_dir / "gen"
    if kind == "gen-file":
        (gen / "1-1").write_text("junk\n")
    elif kind == "half-generation":
        (gen / "2-2" / "html").mkdir(parents=True)
        (gen / "2-2" / "html" / "index.html").write_text("junk\n")
    elif kind == "staged-link":
        (build_dir / "current.new").symlink_to("gen/2-2")
    elif kind == "scratch":
        (build_dir / "running" / "999999999-1").mkdir(parents=True)


@pytest.mark.parametrize("kind", ["gen-file", "half-generation", "staged-link", "scratch"])
def test_leftovers_no_build_published_are_removed_never_published(book, kind):
    _junk(book["build_dir"], kind)
    proc = iijbook_build(book, *GOOD)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (book["build_dir"] / "html" / "index.html").is_file()  # a site, not the junk
    assert tiny_product(book["build_dir"]) == "42.0"
    consistent(book["build_dir"])
    assert not list((book["build_dir"] / "running").iterdir())


@pytest.mark.parametrize("name", [".lock", "logs/tiny.log"])
def test_a_hard_link_in_the_build_folder_never_writes_to_its_other_name(book, tmp_path, name):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    link = book["build_dir"] / name
    link.unlink(missing_ok=True)
    os.link(outside, link)
    proc = iijbook_build(book, *GOOD, "-p", "rate", "3", "--force")
    assert outside.read_text() == "keep me\n"
    if name == ".lock":
        assert proc.returncode == 2 and "is not a lock file of its own" in proc.stderr, proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr


def test_a_build_folder_reached_through_a_link_into_the_data_is_refused(book, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    link = tmp_path / "way-in"
    link.symlink_to(data)
    env = {**book["env"], "IIJBOOK_DATA_DIR": str(data)}
    proc = iijbook_here(
        "build", "--root", str(book["root"]), "--build-dir", str(link / "out"), *GOOD, env=env
    )
    assert proc.returncode == 2 and "which the build reads" in proc.stderr, proc.stderr
    assert not (data / "out").exists()


def test_a_book_built_with_root_reads_its_own_data_and_writes_nothing_into_it(tmp_path):
    root = make_mini_project(tmp_path, ("tiny", "loads_data"))
    shutil.copytree(ROOT / "data", root / "data")
    figures = root / "data" / "release_figures.csv"
    lines = figures.read_text().splitlines()
    figures.write_text(
        "\n".join([*lines, lines[1].replace(lines[1].split(",")[0], "an_extra_row", 1)]) + "\n"
    )
    before = tree_digest(root)
    book = {"root": root, "build_dir": tmp_path / "_build", "env": {}, "started": []}
    assert iijbook_build(book).returncode == 0
    count = len(lines) - 1 + 1  # the release's figures, one more row
    text = page_text(book["build_dir"] / "html" / "chapters" / "loads_data.html")
    centres = int(re.search(r"hold (\d+) rows", text).group(1)) - count
    assert centres > 0, text  # the data-centre table's rows, added to the figures
    assert tree_digest(root) == before  # no bundle, nothing else written into the book


def test_a_status_file_edited_by_hand_does_not_decide_a_kept_page(book):
    status = json.loads((book["build_dir"] / "status.json").read_text())
    for row in status["chapters"]:
        if row["name"] == "tiny":
            row["key"], row["parameters"] = "0" * 20, {"rate": 99.0, "unknown": 1}
    (book["build_dir"] / "status.json").write_text(json.dumps(status))
    proc = iijbook_build(book, *GOOD, "--chapter", "raises_midway")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tiny_product(book["build_dir"]) == "42.0"
    consistent(book["build_dir"])  # the status page now names the run the page shows


@pytest.mark.parametrize("how", ["SIGSTOP", "SIGKILL"])
def test_a_render_that_stops_or_dies_ends_the_build_in_one_line(book, tmp_path, how):
    hold = tmp_path / "hold-render"
    proc = start_build(
        book, *GOOD, "-p", "rate", "3", "--timeout", "20", env={"IIJBOOK_TEST_HOLD_RENDER": str(hold)}
    )
    started = Path(f"{hold}.started")
    wait_for(started.exists, [proc], "the render starting")
    os.kill(int(started.read_text()), getattr(signal, how))
    code, out, err = finish(proc, timeout=90)
    assert code == 1, out + err
    lines = err.splitlines()
    stopped, killed = "did not finish rendering within 20 s", "was stopped by SIGKILL while it rendered"
    said = stopped if how == "SIGSTOP" else killed
    assert len(lines) == 1 and said in lines[0], err
    assert snapshot(book["build_dir"]) == book["before"]


def test_output_to_an_ascii_terminal_is_escaped_not_lost():
    proc = run_cli("params", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0 and "jpy_per_usd" in proc.stdout, proc.stderr
    assert "\\u" in proc.stdout or "\\xa5" in proc.stdout  # ¥ and the like, escaped


def test_a_data_file_with_an_undecodable_name_does_not_break_the_build(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    with open(os.path.join(os.fsencode(data), b"notes\xff.txt"), "wb") as handle:
        handle.write(b"not a data file\n")
    root = make_mini_project(tmp_path, ("loads_data",))
    book = {
        "root": root,
        "build_dir": tmp_path / "_build",
        "env": {"IIJBOOK_DATA_DIR": str(data)},
        "started": [],
    }
    proc = iijbook_build(book)
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""The book broken on purpose: every fault fails the build, names its cause, and changes nothing.

Each test starts from a good build of a small book (:func:`make_mini_project`) made with
the ``iijbook`` command, breaks one thing, runs the command again, and checks three
things: the exit status, a message that names the cause (parameter and value; file, line
and column; chapter and cell), and that the published site (``html/``) and the cache
(``cache/`` and ``executed/``) are byte for byte what they were.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
import yaml
from iijbook_build import build as build_mod
from iijbook_build import folder as folder_mod
from iijbook_build import run as execute_mod

from .conftest import ROOT, make_mini_project
from .faultbook import (
    CHAPTERS,
    GOOD,
    assert_gone,
    assert_unlocked,
    finish,
    iijbook_build,
    output,
    refused_build,
    snapshot,
    start_build,
    wait_for,
)


def _replace(path: Path, old: bytes, new: bytes) -> int:
    """Replace the first ``old`` in ``path``; return the line it is on."""
    blob = path.read_bytes()
    at = blob.index(old)
    path.write_bytes(blob.replace(old, new, 1))
    return blob[:at].count(b"\n") + 1


def _drop_column(path: Path, column: str) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fields = [c for c in rows[0] if c != column]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


# Each breaks one thing in the copy of data/ and returns the line of the refusal that names
# the file, line and column.


def _non_numeric(data: Path) -> str:
    _replace(data / "release_figures.csv", b",10600000000,JPY,", b",ten billion,JPY,")
    return (
        f"{data}/release_figures.csv, line 2 (id revenue_2q02), column value: 'ten billion' is not a number"
    )


def _missing_column(data: Path) -> str:
    _drop_column(data / "data_centers.csv", "printed")
    return f"{data}/data_centers.csv, line 1 (the header): missing column 'printed'"


def _duplicate_id(data: Path) -> str:
    _replace(data / "release_figures.csv", b"\nrevenue_usd_2q02,", b"\nrevenue_2q02,")
    return (
        f"{data}/release_figures.csv, line 3 (id revenue_2q02), column id: 'revenue_2q02' is a duplicate "
        "(ids must be unique)"
    )


def _unknown_unit(data: Path) -> str:
    _replace(data / "data_centers.csv", b",19420,m2,", b",19420,tsubo,")
    return (
        f"{data}/data_centers.csv, line 2 (id yokohama1_step1_floor_space), column unit: 'tsubo' is not "
        "allowed (isin(['m2', 'seats']))"
    )


def _not_a_quarter(data: Path) -> str:
    row = b"revenue_2q02,highlights,total_revenues,"
    _replace(data / "release_figures.csv", row + b"2Q02,", row + b"5Q02,")
    return (
        f"{data}/release_figures.csv, line 2 (id revenue_2q02), column period: '5Q02' fails: not a fiscal "
        "period (write 2Q02, 1H02 or FY2002)"
    )


def _empty_file(data: Path) -> str:
    (data / "data_centers.csv").write_bytes(b"")
    return f"{data}/data_centers.csv: empty file (expected a header row and figures)"


def _not_utf8(data: Path) -> str:
    path, old = data / "data_centers.csv", b"Saitama 1 Data Center table"
    at = path.read_bytes().index(old) + len(b"Saitama 1 Data Center t")
    line = _replace(path, old, "Saitama 1 Data Center t\xe9ble".encode("latin-1"))
    return f"{path}, line {line}, column source: not UTF-8 (byte {at}: invalid continuation byte)"


def _error_lines(stderr: str) -> list[str]:
    """The lines of the refusal that name the data's problems, without their indent."""
    return [line.strip() for line in stderr.splitlines()[1:]]


@pytest.mark.parametrize(
    "breakage",
    [_non_numeric, _missing_column, _duplicate_id, _unknown_unit, _not_a_quarter, _empty_file, _not_utf8],
    ids=lambda f: f.__name__.strip("_"),
)
def test_bad_data_is_refused_before_anything_runs_naming_file_line_and_column(data_book, breakage):
    where = breakage(data_book["data"])
    proc = refused_build(data_book)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert not re.search(r"executed|cached|failed", proc.stdout), proc.stdout  # no chapter ran
    lines = proc.stderr.splitlines()
    assert lines[0] == f"iijbook: refused: data folder {data_book['data']} fails its schemas; nothing ran:"
    assert where in _error_lines(proc.stderr), proc.stderr
    assert snapshot(data_book["build_dir"]) == data_book["before"]
    assert not (data_book["build_dir"] / "failed" / "loads_data.ipynb").exists()


def test_a_non_numeric_value_is_reported_alone(data_book):
    where = _non_numeric(data_book["data"])
    proc = refused_build(data_book)
    assert proc.returncode == 2
    assert _error_lines(proc.stderr) == [where]


def test_after_bad_data_the_good_cache_entries_serve_the_next_build(data_book):
    _non_numeric(data_book["data"])
    assert refused_build(data_book).returncode == 2
    data_book["env"].pop("IIJBOOK_DATA_DIR")  # the data as it was
    proc = iijbook_build(data_book)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"loads_data +cached", proc.stdout) and re.search(r"tiny +cached", proc.stdout)
    assert "running" not in proc.stdout
    after, before = snapshot(data_book["build_dir"]), data_book["before"]
    assert (after["cache"], after["executed"]) == (before["cache"], before["executed"])


def test_a_chapter_run_by_hand_on_bad_data_still_refuses_it(data_book):
    # outside the build (JupyterLab, papermill by hand) the chapters' loader checks the schema itself
    _non_numeric(data_book["data"])
    code = "from iijbook import data; data.figures()"
    proc = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **data_book["env"]}, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert (
        f"DataError: {data_book['data']}/release_figures.csv: does not match its schema: "
        "column value, data row 1: 'ten billion'"
    ) in proc.stderr


# -- 2. parameters --------------------------------------------------------------------------
# Values given with -p, and params files read as Python, are covered in test_cli; here the
# params file through the command: exit status, one line, nothing changed.
BAD_PARAMS_FILES = {
    "bad-yaml": ("rate: [2\n", "params file {path}: not valid YAML at line 2, column 1"),
    "a-list": (
        "- rate\n- 3\n",
        "params file {path}: expected a mapping of 'name: value' lines and 'chapter:' blocks, got a list",
    ),
    "list-value": ("rate: [1, 2]\n", "params file {path}: rate must be a single value, not a list"),
    "mapping-value": ("tiny:\n  rate: {a: 1}\n", "params file {path}: tiny.rate must be a single value"),
    "unknown-chapter": (
        "no_such_chapter:\n  rate: 3\n",
        "params file {path}: 'no_such_chapter' is not a chapter (chapters: tiny, slow, raises_midway)",
    ),
    "not-that-chapters": ("slow:\n  rate: 3\n", "chapter slow has no parameter 'rate' (it takes: hold)"),
    "unknown-name": ("rat: 3\n", "unknown parameter 'rat' (the chapters take: divisor, hold, label, rate)"),
    "wrong-type": ("rate: three\n", "parameter rate: 'three' is not a float"),
    "infinite": ("rate: .inf\n", "parameter rate: '.inf' is not a float"),
    "out-of-range": ("rate: 101\n", "parameter rate: 101.0 is out of range: allowed (0, 100]"),
    "yaml-boolean": ("rate: true\n", "parameter rate: 'true' is not a float"),
    "per-chapter-range": ("tiny:\n  rate: 0\n", "parameter rate: 0.0 is out of range: allowed (0, 100]"),
    "not-utf8": (b"label: caf\xe9\n", "params file {path}: cannot read it"),
}


@pytest.mark.parametrize(("text", "message"), BAD_PARAMS_FILES.values(), ids=BAD_PARAMS_FILES.keys())
def test_bad_params_file_is_refused_in_one_line_and_changes_nothing(book, tmp_path, text, message):
    path = tmp_path / "params.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    proc = refused_build(book, "-f", str(path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("iijbook: refused: "), proc.stderr
    assert message.format(path=path) in lines[0]
    assert proc.stdout == ""  # refused before anything ran
    assert snapshot(book["build_dir"]) == book["before"]


def test_missing_params_file_is_refused(book, tmp_path):
    proc = refused_build(book, "-f", str(tmp_path / "nowhere.yaml"))
    assert proc.returncode == 2
    missing = tmp_path / "nowhere.yaml"
    assert proc.stderr.startswith(f"iijbook: refused: params file {missing}: cannot read it")
    assert snapshot(book["build_dir"]) == book["before"]


def test_code_quotes_and_newlines_in_a_params_file_stay_text(book, tmp_path):
    marker = tmp_path / "pwned"
    label = f"it's \"quoted\"\n'); import os; os.system('touch {marker}'); ('\n{{{{glue}}}}"
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"tiny": {"label": label}, "divisor": 1}))
    proc = iijbook_build(book, "-f", str(path))
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    executed = nbformat.read(book["build_dir"] / "executed" / "tiny.ipynb", as_version=4)
    glued = [o for c in executed.cells for o in c.get("outputs", []) if "scrapbook" in o.get("metadata", {})]
    assert {o.metadata.scrapbook.name: o.data["application/papermill.record/text/plain"] for o in glued}[
        "label"
    ] == repr(label)
    page = (book["build_dir"] / "html" / "chapters" / "tiny.html").read_text(encoding="utf-8")
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    # shown as text (Sphinx typesets the quotes), never run
    assert "import os; os.system(" in shown and str(marker) in shown and "{{glue}}" in shown


# -- 3. a chapter that raises ---------------------------------------------------------------
def test_a_chapter_that_raises_exits_1_printing_cell_and_kept_copy(book):
    proc = iijbook_build(book)  # raises_midway with its default divisor, 0
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # one line a chapter, with its cache status and time
    out = proc.stdout.splitlines()
    assert re.fullmatch(r"  \[1/3\] tiny +cached", out[0]), out
    assert re.fullmatch(r"  \[2/3\] slow +cached", out[1]), out
    assert out[2] == "  running 1 chapter(s) on 1 worker(s)"
    assert re.fullmatch(r"  \[3/3\] raises_midway +failed +\d+\.\d s", out[3]), out
    assert len(out) == 4  # nothing rendered
    # the errors at the end: one line per failed chapter, then where its executed copy is
    kept = book["build_dir"] / "failed" / "raises_midway.ipynb"
    assert proc.stderr.splitlines() == [
        "iijbook: build failed: 1 of 3 chapters failed; the site, the cache and the executed copies "
        "were not changed:",
        "  chapter raises_midway: cell 3 (id f-03) raised ZeroDivisionError: float division by zero",
        f"    executed copy kept at {kept}",
    ]
    nb = nbformat.read(kept, as_version=4)
    tracebacks = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert len(tracebacks) == 1 and tracebacks[0].ename == "ZeroDivisionError"
    assert snapshot(book["build_dir"]) == book["before"]


# -- 4. interruption ------------------------------------------------------------------------
def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _send(proc: subprocess.Popen, signum: signal.Signals) -> None:
    """SIGINT as a terminal's Ctrl-C sends it (to the whole group); SIGTERM as kill sends it."""
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)


def _interrupted(book: dict, proc: subprocess.Popen, signum, helpers: list[psutil.Process]) -> None:
    """The build stopped at once with 130, its helpers gone, the lock free and nothing changed."""
    code, out, err = finish(proc)
    assert code == 130, out + err
    assert err.splitlines() == [
        f"iijbook: interrupted: stopped by {signum.name}; the site, the cache and the executed copies "
        "were not changed"
    ]
    assert_gone(helpers)
    assert_unlocked(book["build_dir"])
    assert snapshot(book["build_dir"]) == book["before"]
    assert not list((book["build_dir"] / "running").iterdir())


def _next_build_succeeds(book: dict) -> None:
    again = iijbook_build(book, *GOOD)
    assert again.returncode == 0, again.stdout + again.stderr
    assert all(re.search(rf"\] {name} +cached", again.stdout) for name in CHAPTERS)
    page = (book["build_dir"] / "html" / "chapters" / "tiny.html").read_text(encoding="utf-8")
    assert "The product is 42.0" in re.sub(r"<[^>]+>", "", page)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_interrupted_while_a_chapter_runs(book, tmp_path, signum):
    hold = tmp_path / "hold"
    proc = start_build(book, *GOOD, "-p", "hold", str(hold))
    started = Path(f"{hold}.started")
    wait_for(lambda: started.exists() and started.read_text(), [proc], "kernel waiting in slow.ipynb")
    kernel = psutil.Process(int(started.read_text()))
    helpers = _descendants(proc.pid)
    assert kernel in helpers and len(helpers) >= 2  # a worker and its kernel at least
    assert (book["build_dir"] / "running").is_dir()  # where the run's copy will be written
    _send(proc, signum)
    _interrupted(book, proc, signum, helpers)
    _next_build_succeeds(book)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_interrupted_while_the_site_renders(book, tmp_path, signum):
    hold = tmp_path / "render"
    proc = start_build(book, *GOOD, "-p", "rate", "3", env={"IIJBOOK_TEST_HOLD_RENDER": str(hold)})
    started = Path(f"{hold}.started")
    wait_for(lambda: started.exists() and started.read_text(), [proc], "jupyter-book holding")
    assert output(proc)[0].splitlines()[-1] == "  rendering the site with jupyter-book"
    renderer = psutil.Process(int(started.read_text()))
    assert "jupyter-book" in " ".join(renderer.cmdline())
    helpers = _descendants(proc.pid)
    assert renderer in helpers
    _send(proc, signum)
    _interrupted(book, proc, signum, helpers)
    # every build renders every page afresh in a scratch folder of its own: nothing half-written
    # by the render that was cut short is left for the next one
    assert [p.name for p in (book["build_dir"] / "gen").iterdir()] == [
        book["build_dir"].joinpath("current").readlink().name
    ]
    _next_build_succeeds(book)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_signal_at_the_commit_point_says_what_happened(tiny_book, monkeypatch, when):
    """A signal just before or just after the one rename that publishes: the message reads the link
    itself, so it says what happened, and the site is the old one or the new one, whole.

    Starts from a copy of the tiny book's build with its defaults (the session's ``built_tiny``)."""
    root, build_dir = tiny_book
    real_replace = os.replace

    def replace_while_signalled(src, dst) -> None:
        if Path(dst).name == "current" and when == "before":
            os.kill(os.getpid(), signal.SIGTERM)
        real_replace(src, dst)
        if Path(dst).name == "current" and when == "after":
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(folder_mod.os, "replace", replace_while_signalled)
    said = {
        "before": "stopped by SIGTERM; the site, the cache and the executed copies were not changed",
        "after": "stopped by SIGTERM just after the new site was published",
    }[when]
    with pytest.raises(build_mod.Interrupted, match=re.escape(said)):
        build_mod.build({"tiny": {"rate": 3.0}}, root=root, build_dir=build_dir, say=lambda _: None)
    page = (build_dir / "html" / "chapters" / "tiny.html").read_text(encoding="utf-8")
    assert ("63.0" if when == "after" else "42.0") in page  # 21 * 3, or 21 * the default 2
    assert len(list((build_dir / "cache").glob("tiny-*.ipynb"))) == (2 if when == "after" else 1)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # the build's handler is gone again
    # a generation no link points to (the old one, or the new one never published) is tidied away
    monkeypatch.undo()
    build_mod.build({"tiny": {"rate": 3.0}}, root=root, build_dir=build_dir, say=lambda _: None)
    assert len(list((build_dir / "gen").iterdir())) == 1


# -- 5. two builds at once ------------------------------------------------------------------
def _refusal(holder: subprocess.Popen, build_dir: Path) -> str:
    return (
        f"iijbook: refused: another build (pid {holder.pid}) holds the lock {build_dir / '.lock'}; "
        "wait for it to finish and run this one again"
    )


def test_a_second_build_is_refused_at_once_naming_the_lock(book, tmp_path):
    hold = tmp_path / "hold"
    first = start_build(book, *GOOD, "-p", "hold", str(hold))
    wait_for(lambda: Path(f"{hold}.started").exists(), [first], "the first build running its chapter")
    second = refused_build(book, *GOOD)
    assert second.returncode == 2
    assert second.stderr.splitlines() == [_refusal(first, book["build_dir"])]
    assert second.stdout == ""
    assert snapshot(book["build_dir"]) == book["before"]  # the first has filed nothing yet
    hold.touch()
    code, out, err = finish(first)
    assert code == 0, out + err
    assert re.search(r"\[3/3\] slow +executed", out)
    after = iijbook_build(book, *GOOD)
    assert after.returncode == 0, after.stderr
    assert all(re.search(rf"\] {name} +cached", after.stdout) for name in CHAPTERS)


def test_two_builds_started_together(book, tmp_path):
    hold = tmp_path / "hold"
    builds = [start_build(book, *GOOD, "-p", "hold", str(hold)) for _ in range(2)]
    wait_for(lambda: any(b.poll() is not None for b in builds), [], "either build ending")
    loser = next(b for b in builds if b.poll() is not None)
    winner = next(b for b in builds if b is not loser)
    code, out, err = finish(loser)
    assert code == 2 and err.splitlines() == [_refusal(winner, book["build_dir"])], out + err
    assert winner.poll() is None  # it cannot end before the hold is released
    wait_for(lambda: Path(f"{hold}.started").exists(), [winner], "the winner running its chapter")
    assert snapshot(book["build_dir"]) == book["before"]
    hold.touch()
    code, out, err = finish(winner)
    assert code == 0, out + err
    site = book["build_dir"] / "html"
    assert (site / "index.html").exists() and (site / "chapters" / "slow.html").exists()
    assert len(list((book["build_dir"] / "cache").glob("slow-*.ipynb"))) == 2  # default, and with hold
    after = iijbook_build(book, *GOOD)
    assert after.returncode == 0, after.stderr
    assert all(re.search(rf"\] {name} +cached", after.stdout) for name in CHAPTERS)


# -- 6. the environment ---------------------------------------------------------------------
def test_a_chapter_importing_a_missing_package_says_what_to_install(book, tmp_path):
    book["root"] = make_mini_project(tmp_path, (*CHAPTERS, "imports_missing"))  # a new chapter
    proc = iijbook_build(book, *GOOD)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[1] == (
        "  chapter imports_missing: cell 2 (id m-02) raised ModuleNotFoundError: No module named "
        "'iijbook_no_such_module'; add the package that provides iijbook_no_such_module to "
        "requirements.in, run make lock, then make venv"
    )
    assert snapshot(book["build_dir"]) == book["before"]


def test_a_kernel_that_cannot_start_says_which_and_how_to_fix_it(book, tmp_path):
    # A python3 kernelspec earlier on the Jupyter path than .venv's, for a Python without
    # ipykernel: what a stale ~/.local/share/jupyter/kernels/python3 does.
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [str(bare / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Py", "language": "python"}))
    proc = iijbook_build(book, *GOOD, "-p", "rate", "3", env={"JUPYTER_PATH": str(tmp_path / "jupyter")})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[1] == (
        "  chapter tiny: RuntimeError: Kernel died before replying to kernel_info; the python3 kernel "
        f"(kernelspec {spec}, which runs {bare}/bin/python) did not start: No module named "
        "ipykernel_launcher. Run make venv; if that kernelspec is not the one in .venv, remove it "
        "(jupyter kernelspec remove python3)"
    )
    assert snapshot(book["build_dir"]) == book["before"]


def _tiny_job(tmp_path: Path) -> execute_mod.Job:
    """A worker's job for the tiny fixture chapter, run in ``tmp_path``."""
    return execute_mod.Job(
        name="tiny",
        source=str(ROOT / "tests" / "fixtures" / "tiny.ipynb"),
        output=str(tmp_path / "tiny.ipynb"),
        parameters={},
        chapter_params=[],
        cwd=str(tmp_path),
        log=str(tmp_path / "tiny.log"),
        key="k",
        data=str(ROOT / "data"),
        timeout=60,
    )


def test_no_python3_kernel_at_all_says_run_make_venv(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    # neither .venv's kernelspec nor ipykernel: what a venv without ipykernel looks like
    monkeypatch.setattr(KernelSpecManager, "_find_spec_directory", lambda self, name: None)
    _, error = execute_mod.execute_chapter(_tiny_job(tmp_path))
    assert error == (
        "NoSuchKernel: No such kernel named python3; there is no python3 kernel: ipykernel is missing "
        "from .venv, run make venv"
    )


def test_a_kept_kernel_that_died_between_chapters_is_replaced(tmp_path, monkeypatch):
    """A worker keeps its kernel for its next chapter; one that died meanwhile (killed, out of
    memory) is stopped and a new one started, so the next chapter runs and is not blamed."""
    monkeypatch.setitem(execute_mod._kept, "kernel", None)  # as in a worker (see worker_init)
    job = _tiny_job(tmp_path)
    try:
        assert execute_mod.execute_chapter(job)[1] is None
        first = execute_mod._kept["kernel"]
        assert first is not None and first.alive()  # kept for the next chapter
        os.kill(first.km.provisioner.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while first.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert execute_mod.execute_chapter(job)[1] is None
        assert execute_mod._kept["kernel"] is not first and execute_mod._kept["kernel"].alive()
    finally:
        if execute_mod._kept.get("kernel"):
            execute_mod._kept["kernel"].stop()


def test_kernels_started_at_once_cannot_take_each_others_port(tmp_path, monkeypatch):
    """Kernels started at the same moment on TCP could pick the same free port, and one would not
    start. A chapter's kernel speaks over unix sockets in a folder of its own instead: no port."""
    started: list = []

    class Recorded(execute_mod._Kernel):
        def __init__(self, *args):
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(execute_mod, "_Kernel", Recorded)
    monkeypatch.setenv("IIJBOOK_DATA_DIR", "/the/caller's/own")
    job = _tiny_job(tmp_path)
    assert execute_mod.execute_chapter(job)[1] is None
    (kernel,) = started
    assert kernel.km.transport == "ipc" and kernel.km.ip.startswith(kernel.sockets.name)
    # the kernel was given the job's data folder; the caller's environment is as it was
    assert kernel.km._launch_args["env"]["IIJBOOK_DATA_DIR"] == job.data
    assert os.environ["IIJBOOK_DATA_DIR"] == "/the/caller's/own"
    # a run in the caller's own process keeps no kernel, and leaves no socket behind
    assert not kernel.alive() and not Path(kernel.sockets.name).exists()
    # kernels started at once on as many workers each run their chapter
    for i in range(3):
        (tmp_path / str(i)).mkdir()
    jobs = [_tiny_job(tmp_path / str(i)) for i in range(3)]
    errors: dict[str, str | None] = {}
    execute_mod.run_jobs(jobs, 3, lambda job, _seconds, error: errors.update({job.output: error}))
    assert errors == {job.output: None for job in jobs}

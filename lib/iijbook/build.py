"""Build the book: papermill runs each chapter, then jupyter-book renders.

The steps, each in its own function:

1. :func:`snapshot_inputs` copies what the runs read (the data files, each
   chapter's notebook) into the build's scratch folder, and keys every run
   by those copies: a file edited while the build runs cannot slip into a run
   filed under the key of its earlier state.
2. :func:`execute_all` runs the chapters with papermill
   (:func:`iijbook.execute.execute_chapter`), in parallel, each within the
   time limit; the source notebooks are never written to. Runs are cached by
   the notebook, its parameters, the data and the lib.
3. :func:`stage` lays out a copy of the book in ``_build/stage/`` whose
   chapters are the executed notebooks, with the parameters and status
   pages written in. A staged file whose content changed gets the current
   time, whatever the age of the cache entry it came from, so Sphinx re-reads it.
4. :func:`render` runs ``jupyter-book build`` on that copy with execution
   off and warnings as errors, and :func:`check_pages` confirms that every
   chapter's page carries the key of the run it was given.
5. :func:`iijbook.publish.publish` swaps in the new site, executed copies,
   cache entries and status together, all or nothing, only when every step
   succeeded: a failed, refused or interrupted build leaves them as they were
   (a failed chapter's copy goes to ``_build/failed/``). SIGINT, SIGTERM and
   SIGHUP stop the build, its workers and their kernels, except during the
   moves that publish, which finish first.

One build at a time holds ``_build/.lock`` (:mod:`iijbook.buildfolder`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import inputs as inputs_mod
from . import render as render_mod
from . import reports
from .buildfolder import FolderError, Locked, build_lock, checked_folder
from .chapters import Chapter, discover, project_root, toc_files
from .datafiles import data_dir, data_hash
from .execute import ChapterRun, Job, cache_key, execute_chapter, lib_hash, run_record
from .publish import Publication, PublishError, publish, recover

#: Seconds a chapter may run, unless ``--timeout`` says otherwise.
DEFAULT_TIMEOUT = 300.0

#: The largest data file or notebook a build reads.
MAX_INPUT_BYTES = 64 * 1024 * 1024

#: Files and folders at the top of the project that the staged book needs.
BOOK_FILES = ("_config.yml", "_toc.yml")
BOOK_DIRS = ("_static",)


class BuildError(RuntimeError):
    """A build that cannot go on; the message says which step and why."""


class Interrupted(BuildError):
    """The build was stopped by a signal; nothing was published."""


class BuildLocked(BuildError):
    """Another build holds the build folder's lock."""


@dataclass
class BuildResult:
    runs: list[ChapterRun] = field(default_factory=list)
    seconds: float = 0.0
    site: str = ""


Say = Callable[[str], None]


def _say(message: str) -> None:
    """Print a progress line; a reader that went away (``| head``) does not stop the build."""
    try:
        print(message, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _atomic_copy(src: Path, dst: Path) -> None:
    """Copy so that ``dst`` is either absent, the old file, or the whole new file.

    The copy gets the current time, not ``src``'s: a page made from an old cache
    entry is still new to Sphinx, which decides what to re-read by time.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


# --------------------------------------------------------------------------
# 1. snapshot
@dataclass
class Inputs:
    """The build's own copies of what the runs read, and their hashes."""

    data: Path  #: a copy of the data folder, which the kernels read
    data_origin: Path  #: the data folder it copies
    notebooks: dict[str, Path]  #: a copy of each chapter's notebook, by chapter name
    data_hash: str
    lib_hash: str


def _read(path: Path, what: str) -> bytes:
    """A file the build reads, through the one guarded way in (:mod:`iijbook.inputs`)."""
    try:
        return inputs_mod.read_bytes(path, what, MAX_INPUT_BYTES)
    except inputs_mod.InputError as exc:
        raise BuildError(str(exc)) from None


def snapshot_inputs(chapters: list[Chapter], scratch: Path) -> Inputs:
    """Copy the data folder and the chapters into ``scratch``; hash the copies."""
    source = data_dir()
    data = scratch / "data"
    if not source.is_dir():
        raise BuildError(f"data folder {source}: not a folder")
    for path in sorted(source.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        if "__pycache__" in path.parts:
            continue
        target = data / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_read(path, "data file"))
    data.mkdir(parents=True, exist_ok=True)
    notebooks = {}
    for chapter in chapters:
        copy = scratch / "chapters" / chapter.path.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(_read(chapter.path, "chapter"))
        notebooks[chapter.name] = copy
    return Inputs(data, source, notebooks, data_hash(data), lib_hash())


# --------------------------------------------------------------------------
# 2. execute
def _reusable(path: Path, key: str | None, say: Say) -> dict[str, Any] | None:
    """The record of an executed copy if it is whole (and of run ``key``, if given); else None."""
    if not path.exists():
        return None
    record = run_record(path)
    if record is None:
        say(f"  {path.name}: unreadable (cut short?); the chapter runs again")
    elif key is not None and record["key"] != key:
        return None
    return record


@dataclass(frozen=True)
class Options:
    """How a build runs its chapters."""

    only: tuple[str, ...] = ()  #: re-run just these chapters; keep the others' last runs
    force: bool = False  #: ignore the cache
    jobs: int | None = None  #: chapters at once (default: one more than the cores)
    timeout: float = DEFAULT_TIMEOUT  #: seconds each chapter may run


def execute_all(
    chapters: list[Chapter],
    parameters: dict[str, dict[str, Any]],
    build_dir: Path,
    inputs: Inputs,
    scratch: Path,
    options: Options = Options(),
    say: Say = _say,
) -> list[ChapterRun]:
    """Run (or reuse) every chapter; return one :class:`ChapterRun` each, in book order.

    Nothing is written to the cache or ``executed/``: a run's ``executed`` is
    where its notebook is now (a cache entry, a kept copy, or a new run in
    ``scratch``), and publishing files it once the site is rendered.
    """
    executed_dir, cache_dir = build_dir / "executed", build_dir / "cache"
    failed_dir, logs = build_dir / "failed", build_dir / "logs"
    previous = _recorded_runs(build_dir)

    runs: dict[str, ChapterRun] = {}
    todo: list[tuple[Chapter, str]] = []
    for chapter in chapters:
        run = ChapterRun(chapter.name, parameters.get(chapter.name, {}))
        runs[chapter.name] = run
        kept = executed_dir / f"{chapter.name}.ipynb"
        if options.only and chapter.name not in options.only:
            record = _reusable(kept, None, say)
            if record is not None:
                run.status, run.executed = "kept", str(kept)
                run.parameters, run.key = record["parameters"], record["key"]
                continue
        run.key = cache_key(inputs.notebooks[chapter.name], run.parameters, inputs.data_hash, inputs.lib_hash)
        cached = cache_dir / f"{chapter.name}-{run.key}.ipynb"
        if not options.force and _reusable(cached, run.key, say) is not None:
            run.status, run.executed = "cached", str(cached)
            continue
        todo.append((chapter, run.key))

    total, done = len(chapters), 0
    for run in runs.values():
        if run.status != "executed":
            done += 1
            say(f"  [{done}/{total}] {run.name:<22} {run.status}")
    # longest first (by the last recorded time, else by notebook size), so that the
    # workers finish together rather than one waiting on a long chapter at the end
    todo.sort(
        key=lambda item: (previous.get(item[0].name, 0.0), item[0].path.stat().st_size),
        reverse=True,
    )
    if not todo:
        return [runs[c.name] for c in chapters]
    # one more worker than cores: a chapter spends part of its time starting and
    # stopping its kernel, when the cores would otherwise wait
    workers = max(1, min(options.jobs or (os.cpu_count() or 1) + 1, len(todo)))
    say(f"  running {len(todo)} chapter(s) on {workers} worker(s)")
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    try:
        futures = {}
        for chapter, key in todo:
            out = scratch / "runs" / f"{chapter.name}-{key}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            job = Job(
                name=chapter.name,
                source=str(inputs.notebooks[chapter.name]),
                output=str(out),
                parameters=runs[chapter.name].parameters,
                chapter_params=[(p.name, p.annotation, p.default, p.comment) for p in chapter.parameters],
                cwd=str(chapter.path.parent),
                log=str(logs / f"{chapter.name}.log"),
                key=key,
                data=str(inputs.data),
                timeout=options.timeout,
            )
            futures[pool.submit(execute_chapter, job)] = (chapter, out)
        # a backstop for a worker that does not come back (each run keeps its own time
        # limit, cell by cell): the limit for every round of chapters, and a minute more
        backstop = time.monotonic() + options.timeout * math.ceil(len(todo) / workers) + 60
        pending = set(futures)
        while pending:
            finished, pending = wait(
                pending, timeout=max(0.0, backstop - time.monotonic()), return_when=FIRST_COMPLETED
            )
            if not finished:
                _kill_pool(pool)
                for fut in pending:
                    run = runs[futures[fut][0].name]
                    run.status = "failed"
                    run.error = (
                        f"did not finish within its time limit of {options.timeout:g} s (see --timeout)"
                    )
                break
            for fut in finished:
                chapter, out = futures[fut]
                seconds, error = fut.result()
                run = runs[chapter.name]
                run.seconds = seconds
                done += 1
                if error:
                    kept = failed_dir / f"{chapter.name}.ipynb"
                    kept.unlink(missing_ok=True)  # an older failure's copy would mislead
                    if out.exists():
                        _atomic_copy(out, kept)
                        out.unlink()
                    # name the user's files, not the build's copies of them
                    error = error.replace(str(inputs.data), str(inputs.data_origin))
                    error = error.replace(str(inputs.notebooks[chapter.name]), str(chapter.path))
                    run.status, run.error = "failed", error
                    run.executed = str(kept) if kept.exists() else ""
                else:
                    run.executed = str(out)
                say(f"  [{done}/{total}] {chapter.name:<22} {run.status:<8} {seconds:5.1f} s")
    except BaseException:
        _kill_pool(pool)
        raise
    pool.shutdown(wait=True)
    return [runs[c.name] for c in chapters]


def _worker_init() -> None:
    """Workers leave signals to the build, which stops them itself, and die with it.

    A build killed outright (``kill -9``) cannot stop its workers: the kernel
    does (``PR_SET_PDEATHSIG``), and their kernels follow when they see their
    parent gone.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers still running, and their kernels.

    A kernel runs in a session of its own (so that a Ctrl-C in the terminal
    does not reach it) and would only notice its worker's death a second
    later, if it is not busy in C code: it is killed here with its worker.
    """
    import psutil  # ipykernel's own dependency

    processes = list(getattr(pool, "_processes", {}).values())
    kernels = []
    for proc in processes:
        with contextlib.suppress(psutil.Error, ValueError):
            kernels += psutil.Process(proc.pid).children(recursive=True)
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for kernel in kernels:
        with contextlib.suppress(psutil.Error):
            kernel.kill()
    psutil.wait_procs(kernels, timeout=5)
    for proc in processes:
        proc.join(timeout=5)


# --------------------------------------------------------------------------
# 3. stage
def _sync_file(src: Path, dst: Path) -> bool:
    """Write ``src``'s bytes to ``dst`` unless identical (so Sphinx sees no change); True if written.

    A written file gets the current time, whatever ``src``'s: Sphinx decides what
    to re-read by time, and a page made from an old cache entry is new to it.
    """
    blob = _read(src, "book file")
    if dst.is_file() and dst.read_bytes() == blob:
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    tmp.write_bytes(blob)
    tmp.replace(dst)
    return True


def _sync_text(text: str, dst: Path) -> bool:
    if dst.exists() and dst.read_text(encoding="utf-8") == text:
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(dst)
    return True


def stage(root: Path, stage_dir: Path, executed: dict[str, Path], pages: dict[Path, str]) -> bool:
    """Lay out the book in ``stage_dir``: executed notebooks for chapters, ``pages`` written in.

    Returns True when a file that every page depends on changed (configuration,
    table of contents, static files): Sphinx does not notice those by itself,
    so the site must then be rendered in full.
    """
    wanted: set[Path] = {Path(name) for name in BOOK_FILES}
    for folder in BOOK_DIRS:
        wanted |= {p.relative_to(root) for p in (root / folder).rglob("*") if p.is_file()}
    for entry in toc_files(root):
        for ext in (".md", ".ipynb"):
            if (root / f"{entry}{ext}").exists():
                wanted.add(Path(f"{entry}{ext}"))
    whole_site = False
    for rel in sorted(wanted):
        if rel in pages:
            _sync_text(pages[rel], stage_dir / rel)
        elif rel.suffix == ".ipynb" and rel.stem in executed:
            _sync_file(executed[rel.stem], stage_dir / rel)
        elif _sync_file(root / rel, stage_dir / rel):
            whole_site = whole_site or rel.parts[0] in BOOK_DIRS or str(rel) in BOOK_FILES
    for path in sorted(stage_dir.rglob("*"), reverse=True):
        rel = path.relative_to(stage_dir)
        if path.is_file() and rel not in wanted and rel.parts[0] != "_build":
            path.unlink()
            whole_site = True
    return whole_site


# --------------------------------------------------------------------------
# 4. render
def render(stage_dir: Path, whole_site: bool = False) -> Path:
    """Run jupyter-book on the staged copy; raise :class:`BuildError` on any warning.

    ``whole_site`` re-renders every page (after a change to configuration or
    static files); otherwise Sphinx re-renders only the pages whose source changed.
    """
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(stage_dir), "--builder", "html", "-W", "-n", "--keep-going"]
    if whole_site:
        cmd.append("--all")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env())
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).splitlines()
        problems = [line for line in out if "WARNING" in line or "ERROR" in line or "Error" in line]
        detail = "\n".join(problems[-20:] or out[-20:])
        raise BuildError(f"jupyter-book failed (exit {proc.returncode}):\n{detail}")
    return stage_dir / "_build" / "html"


def check_pages(site: Path, root: Path, chapters: list[Chapter], runs: list[ChapterRun]) -> list[str]:
    """The chapters whose page in ``site`` does not carry the key of the run it was given."""
    by_name = {r.name: r for r in runs}
    stale = []
    for chapter in chapters:
        page = site / chapter.path.relative_to(root).with_suffix(".html")
        key = by_name[chapter.name].key
        try:
            shows = key and key in page.read_text(encoding="utf-8", errors="replace")
        except OSError:
            shows = False
        if not shows:
            stale.append(chapter.name)
    return stale


# --------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    """The environment for kernels and jupyter-book: this venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


@contextlib.contextmanager
def _scratch(running: Path) -> Iterator[Path]:
    """A folder of this build's own (snapshots, new runs): removed at the end, whatever the end.

    Whatever else is in ``running/`` was left by a build killed outright (this
    one holds the lock), and goes too.
    """
    if running.exists() and not running.is_dir():
        running.unlink()
    running.mkdir(parents=True, exist_ok=True)
    for leftover in running.iterdir():
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    folder = running / f"{os.getpid()}-{time.time_ns()}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: While set, a signal is recorded here instead of stopping the build (see :func:`_unstoppable`).
_held: dict[str, Any] = {"hold": False, "signal": None}

#: The signals that stop a build: Ctrl-C, kill, and a closed terminal.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM, SIGINT and SIGHUP into :class:`Interrupted`, so cleanup runs and nothing is published."""

    def handler(signum, _frame):
        if _held["hold"]:
            _held["signal"] = signum
            return
        raise Interrupted(
            f"stopped by {signal.Signals(signum).name}; the site, the cache and the executed copies "
            "were not changed"
        )

    old = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _unstoppable() -> Iterator[None]:
    """Hold the stop signals while the new site and runs are moved into place, then honour them."""
    _held.update(hold=True, signal=None)
    try:
        yield
    finally:
        _held["hold"] = False
    if _held["signal"] is not None:
        name = signal.Signals(_held["signal"]).name
        raise Interrupted(f"stopped by {name} while publishing; the new site was published first")


def build(
    parameters: dict[str, dict[str, Any]],
    *,
    root: Path | None = None,
    build_dir: Path | None = None,
    only: list[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    say: Say = _say,
) -> BuildResult:
    """Execute the chapters and render the site; raise :class:`BuildError` on failure.

    ``parameters`` maps a chapter's name to the values it overrides. ``only``
    re-runs just those chapters and keeps the others' last executed copies.
    ``timeout`` is the seconds each chapter may run.
    """
    root = Path(os.path.abspath(root or project_root()))
    started = time.perf_counter()
    os.environ["PATH"] = child_env()["PATH"]
    chapters = discover(root)
    try:
        build_dir = checked_folder(root / "_build" if build_dir is None else build_dir, root)
        with _signals_interrupt(), build_lock(build_dir):
            said = recover(build_dir)
            if said:
                say(f"  {said}")
            with _scratch(build_dir / "running") as scratch:
                options = Options(tuple(only or ()), force, jobs, timeout)
                return _build_locked(chapters, parameters, root, build_dir, scratch, options, say, started)
    except Locked as exc:
        raise BuildLocked(str(exc)) from None
    except (FolderError, PublishError) as exc:
        raise BuildError(str(exc)) from None


def _build_locked(
    chapters: list[Chapter],
    parameters: dict[str, dict[str, Any]],
    root: Path,
    build_dir: Path,
    scratch: Path,
    options: Options,
    say: Say,
    started: float,
) -> BuildResult:
    inputs = snapshot_inputs(chapters, scratch)
    render_mod.write_bundle(root / "_static")
    runs = execute_all(chapters, parameters, build_dir, inputs, scratch, options, say)
    failures = [r for r in runs if r.error]
    if failures:
        raise BuildError(_failure_summary(failures, len(runs)))
    pages = {
        reports.PARAMETERS_PAGE: reports.parameters_page(chapters),
        reports.STATUS_PAGE: reports.status_page(runs, inputs.data_hash, inputs.lib_hash),
    }
    say("  rendering the site with jupyter-book")
    stage_dir = build_dir / "stage"
    # left by a render that did not finish: Sphinx may have half-written pages
    unfinished = stage_dir / ".render-unfinished"
    half_done = unfinished.exists()
    executed = {r.name: Path(r.executed) for r in runs}
    whole_site = stage(root, stage_dir, executed, pages) or half_done
    t0 = time.perf_counter()
    unfinished.parent.mkdir(parents=True, exist_ok=True)
    unfinished.touch()
    new_site = render(stage_dir, whole_site)
    stale = check_pages(new_site, root, chapters, runs)
    if stale and not whole_site:
        say(f"  re-rendering every page: {', '.join(stale)} did not show this build's run")
        new_site = render(stage_dir, whole_site=True)
        stale = check_pages(new_site, root, chapters, runs)
    if stale:
        raise BuildError(
            f"the rendered page of {', '.join(stale)} does not show the run it was given; nothing was "
            "published (run the build again with --force)"
        )
    unfinished.unlink()
    say(f"  rendered in {time.perf_counter() - t0:.1f} s")
    # the kernels import the lib itself, not a copy: a run made while it changed is not filed
    if any(r.status == "executed" for r in runs) and lib_hash() != inputs.lib_hash:
        raise BuildError(
            "the helper package iijbook changed while the build ran; nothing was published: build again"
        )
    result = BuildResult(runs, time.perf_counter() - started, str(build_dir / "html"))
    publication = Publication(
        site=new_site,
        executed=executed,
        cache={Path(r.executed).name: Path(r.executed) for r in runs if r.status == "executed"},
        status=_status_text(result, inputs.data_hash, inputs.lib_hash),
    )
    with _unstoppable():
        publish(build_dir, publication)
    for run in runs:
        run.executed = str(build_dir / "executed" / f"{run.name}.ipynb")
    return result


def _failure_summary(failures: list[ChapterRun], total: int) -> str:
    """One line per failed chapter, then where its executed copy (with any traceback) is kept."""
    lines = [
        f"{len(failures)} of {total} chapters failed; the site, the cache and the executed "
        "copies were not changed:"
    ]
    for run in failures:
        first, *more = (run.error or "").splitlines() or [""]
        lines.append(f"  chapter {run.name}: {first}")
        lines += [f"      {line}" for line in more]
        if run.executed:
            lines.append(f"    executed copy kept at {run.executed}")
    return "\n".join(lines)


def _recorded_runs(build_dir: Path) -> dict[str, float]:
    """Each chapter's seconds in the last build, from ``status.json``; {} if it is missing or malformed."""
    path = build_dir / "status.json"
    try:
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return {}
        runs = json.loads(path.read_text(encoding="utf-8")).get("chapters", [])
        return {
            str(r["name"]): float(r.get("seconds") or 0.0)
            for r in runs
            if isinstance(r, dict) and isinstance(r.get("name"), str)
        }
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return {}


def _status_text(result: BuildResult, dhash: str, lhash: str) -> str:
    status = {
        "seconds": round(result.seconds, 2),
        "data_hash": dhash,
        "lib_hash": lhash,
        "chapters": [{k: v for k, v in asdict(r).items() if k != "executed"} for r in result.runs],
    }
    return json.dumps(status, indent=2, default=repr) + "\n"

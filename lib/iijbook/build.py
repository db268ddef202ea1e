"""Build the book: papermill runs each chapter, then jupyter-book renders.

The steps, each in its own function:

1. :func:`execute_all` runs the chapters with papermill
   (:func:`iijbook.execute.execute_chapter`), in parallel, into
   ``_build/running/``; the source notebooks are never written to. Runs
   are cached by the notebook, its parameters, the data and the lib.
2. :func:`stage` lays out a copy of the book in ``_build/stage/`` whose
   chapters are the executed notebooks, with the parameters and status
   pages written in.
3. :func:`render` runs ``jupyter-book build`` on that copy with execution
   off and warnings as errors.
4. :func:`commit` files the new runs into the cache (``_build/cache/``)
   and ``_build/executed/``, and :func:`publish` swaps the new site into
   ``_build/html``, only when every step succeeded: a failed, refused or
   interrupted build leaves the previous site, the cache and the executed
   copies as they were (a failed chapter's copy goes to ``_build/failed/``).
   SIGINT and SIGTERM stop the build, its workers and their kernels, except
   during that last step, which finishes first.

One build at a time holds ``_build/.lock``; a second one is refused at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import render as render_mod
from . import reports
from .chapters import Chapter, discover, project_root, toc_files
from .datafiles import data_dir, data_hash
from .execute import ChapterRun, cache_key, execute_chapter, lib_hash

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
    print(message, flush=True)


def _atomic_copy(src: Path, dst: Path) -> None:
    """Copy so that ``dst`` is either absent, the old file, or the whole new file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    shutil.copy2(src, tmp)
    tmp.replace(dst)


# --------------------------------------------------------------------------
# 1. execute
def execute_all(
    chapters: list[Chapter],
    parameters: dict[str, dict[str, Any]],
    build_dir: Path,
    *,
    only: list[str] | None,
    force: bool,
    jobs: int | None,
    say: Say = _say,
) -> list[ChapterRun]:
    """Run (or reuse) every chapter; return one :class:`ChapterRun` each, in book order.

    Nothing is written to the cache or ``executed/``: a run's ``executed`` is
    where its notebook is now (a cache entry, or ``running/<name>-<key>.ipynb``
    for a new run), and :func:`commit` files it once the site is published.
    """
    executed_dir, cache_dir = build_dir / "executed", build_dir / "cache"
    running_dir, failed_dir, logs = build_dir / "running", build_dir / "failed", build_dir / "logs"
    for d in (executed_dir, cache_dir, running_dir):
        d.mkdir(parents=True, exist_ok=True)
    dhash, lhash = data_hash(data_dir()), lib_hash()
    previous = _recorded_runs(build_dir)

    runs: dict[str, ChapterRun] = {}
    todo: list[tuple[Chapter, str]] = []
    for chapter in chapters:
        executed = executed_dir / f"{chapter.name}.ipynb"
        run = ChapterRun(chapter.name, parameters.get(chapter.name, {}), executed=str(executed))
        runs[chapter.name] = run
        if only and chapter.name not in only and executed.exists():
            run.status = "kept"
            run.parameters = previous.get(chapter.name, {}).get("parameters", {})
            continue
        key = cache_key(chapter.path, run.parameters, dhash, lhash)
        cached = cache_dir / f"{chapter.name}-{key}.ipynb"
        if cached.exists() and not force:
            run.status, run.executed = "cached", str(cached)
            continue
        todo.append((chapter, key))

    total, done = len(chapters), 0
    for run in runs.values():
        if run.status != "executed":
            done += 1
            say(f"  [{done}/{total}] {run.name:<22} {run.status}")
    # longest first (by the last recorded time, else by notebook size), so that the
    # workers finish together rather than one waiting on a long chapter at the end
    todo.sort(
        key=lambda item: (previous.get(item[0].name, {}).get("seconds") or 0, item[0].path.stat().st_size),
        reverse=True,
    )
    if todo:
        # one more worker than cores: a chapter spends part of its time starting and
        # stopping its kernel, when the cores would otherwise wait
        workers = max(1, min(jobs or (os.cpu_count() or 1) + 1, len(todo)))
        say(f"  running {len(todo)} chapter(s) on {workers} worker(s)")
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
        try:
            futures = {}
            for chapter, key in todo:
                out = running_dir / f"{chapter.name}-{key}.ipynb"
                meta = [(p.name, p.annotation, p.default, p.comment) for p in chapter.parameters]
                fut = pool.submit(
                    execute_chapter,
                    str(chapter.path),
                    str(out),
                    runs[chapter.name].parameters,
                    meta,
                    str(chapter.path.parent),
                    str(logs / f"{chapter.name}.log"),
                )
                futures[fut] = (chapter, out)
            for fut in as_completed(futures):
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
    """Workers leave signals to the build, which stops them itself."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
# 2. stage
def _sync_file(src: Path, dst: Path) -> bool:
    """Copy ``src`` to ``dst`` unless identical (so Sphinx sees no change); True if copied."""
    if dst.exists() and dst.read_bytes() == src.read_bytes():
        return False
    _atomic_copy(src, dst)
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
# 3. render
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


# --------------------------------------------------------------------------
# 4. commit and publish
def commit(runs: list[ChapterRun], build_dir: Path) -> None:
    """File this build's runs: new ones into the cache, every chapter's copy into ``executed/``."""
    for run in runs:
        src, executed = Path(run.executed), build_dir / "executed" / f"{run.name}.ipynb"
        if run.status == "executed":
            _atomic_copy(src, build_dir / "cache" / src.name)
        if run.status in ("executed", "cached"):
            _sync_file(src, executed)
        if run.status == "executed":
            src.unlink()
        run.executed = str(executed)


def publish(new_site: Path, site: Path) -> None:
    """Replace ``site`` with a copy of ``new_site``; the swap itself is two renames."""
    incoming = site.with_name(site.name + ".incoming")
    outgoing = site.with_name(site.name + ".outgoing")
    for leftover in (incoming, outgoing):
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.copytree(new_site, incoming)
    if site.exists():
        site.rename(outgoing)
    incoming.rename(site)
    if outgoing.exists():
        shutil.rmtree(outgoing)


# --------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    """The environment for kernels and jupyter-book: this venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the build folder, or fail at once with a clear message."""
    build_dir.mkdir(parents=True, exist_ok=True)
    handle = open(build_dir / ".lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = ""
        for _ in range(20):  # the holder writes its pid just after it takes the lock
            handle.seek(0)
            holder = handle.read().strip()
            if holder:
                break
            time.sleep(0.05)
        handle.close()
        raise BuildLocked(
            f"another build (pid {holder or '?'}) holds the lock {build_dir / '.lock'}; wait for it to "
            "finish and run this one again"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


@contextlib.contextmanager
def _scratch(folder: Path) -> Iterator[None]:
    """The folder of this build's new runs: emptied at the end, whatever the end (they were filed or lost)."""
    for leftover in folder.glob("*.ipynb"):  # from a build that was killed outright
        leftover.unlink()
    try:
        yield
    finally:
        for leftover in folder.glob("*.ipynb"):
            leftover.unlink()


#: While set, a signal is recorded here instead of stopping the build (see :func:`_unstoppable`).
_held: dict[str, Any] = {"hold": False, "signal": None}


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM (and SIGINT) into :class:`Interrupted`, so cleanup runs and nothing is published."""

    def handler(signum, _frame):
        if _held["hold"]:
            _held["signal"] = signum
            return
        raise Interrupted(
            f"stopped by {signal.Signals(signum).name}; the site, the cache and the executed copies "
            "were not changed"
        )

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _unstoppable() -> Iterator[None]:
    """Hold SIGTERM and SIGINT while the new site and runs are filed, then honour them."""
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
    say: Say = _say,
) -> BuildResult:
    """Execute the chapters and render the site; raise :class:`BuildError` on failure.

    ``parameters`` maps a chapter's name to the values it overrides. ``only``
    re-runs just those chapters and keeps the others' last executed copies.
    """
    root = root or project_root()
    build_dir = build_dir or root / "_build"
    started = time.perf_counter()
    os.environ["PATH"] = child_env()["PATH"]
    chapters = discover(root)
    with _signals_interrupt(), build_lock(build_dir), _scratch(build_dir / "running"):
        render_mod.write_bundle(root / "_static")
        runs = execute_all(chapters, parameters, build_dir, only=only, force=force, jobs=jobs, say=say)
        failures = [r for r in runs if r.error]
        if failures:
            raise BuildError(_failure_summary(failures, len(runs)))
        dhash, lhash = data_hash(data_dir()), lib_hash()
        pages = {
            reports.PARAMETERS_PAGE: reports.parameters_page(chapters),
            reports.STATUS_PAGE: reports.status_page(runs, dhash, lhash),
        }
        say("  rendering the site with jupyter-book")
        stage_dir = build_dir / "stage"
        # left by a render that did not finish: Sphinx may have half-written pages
        unfinished = stage_dir / ".render-unfinished"
        half_done = unfinished.exists()
        executed = {r.name: Path(r.executed) for r in runs}
        whole_site = stage(root, stage_dir, executed, pages) or half_done
        t0 = time.perf_counter()
        unfinished.touch()
        new_site = render(stage_dir, whole_site)
        unfinished.unlink()
        say(f"  rendered in {time.perf_counter() - t0:.1f} s")
        site = build_dir / "html"
        with _unstoppable():
            commit(runs, build_dir)
            result = BuildResult(runs, time.perf_counter() - started, str(site))
            _write_status(build_dir, result, dhash, lhash)
            publish(new_site, site)
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


def _recorded_runs(build_dir: Path) -> dict[str, dict[str, Any]]:
    status = build_dir / "status.json"
    if not status.exists():
        return {}
    try:
        runs = json.loads(status.read_text()).get("chapters", [])
    except (json.JSONDecodeError, OSError):
        return {}
    return {r["name"]: r for r in runs}


def _write_status(build_dir: Path, result: BuildResult, dhash: str, lhash: str) -> None:
    status = {
        "seconds": round(result.seconds, 2),
        "data_hash": dhash,
        "lib_hash": lhash,
        "chapters": [{k: v for k, v in asdict(r).items() if k != "executed"} for r in result.runs],
    }
    tmp = build_dir / ".status.json.tmp"
    tmp.write_text(json.dumps(status, indent=2, default=repr) + "\n")
    tmp.replace(build_dir / "status.json")

"""Build the book: papermill runs each chapter, then jupyter-book renders.

The steps, each in its own function:

1. :func:`execute_all` runs the chapters with papermill
   (:func:`iijbook.execute.execute_chapter`), in parallel, into
   ``_build/executed/``; the source notebooks are never written to. Runs
   are cached by the notebook, its parameters, the data and the lib.
2. :func:`stage` lays out a copy of the book in ``_build/stage/`` whose
   chapters are the executed notebooks, with the parameters and status
   pages written in.
3. :func:`render` runs ``jupyter-book build`` on that copy with execution
   off and warnings as errors.
4. :func:`publish` swaps the new site into ``_build/html`` only when every
   step succeeded: a failed, refused or interrupted build leaves the
   previous site as it was.

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
from .data import data_dir, data_hash
from .execute import ChapterRun, cache_key, execute_chapter, lib_hash

#: Files and folders at the top of the project that the staged book needs.
BOOK_FILES = ("_config.yml", "_toc.yml")
BOOK_DIRS = ("_static",)


class BuildError(RuntimeError):
    """A build that cannot go on; the message says which step and why."""


class Interrupted(BuildError):
    """The build was stopped by a signal; nothing was published."""


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
    """Run (or reuse) every chapter; return one :class:`ChapterRun` each, in book order."""
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
            _atomic_copy(cached, executed)
            run.status = "cached"
            continue
        todo.append((chapter, key))

    total, done = len(chapters), len(chapters) - len(todo)
    for run in runs.values():
        if run.status != "executed":
            say(f"  {run.name:<22} {run.status:<8}")
    if todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        say(f"  running {len(todo)} chapter(s) on {workers} worker(s)")
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
        try:
            futures = {}
            for chapter, key in todo:
                out = running_dir / f"{chapter.name}.ipynb"
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
                futures[fut] = (chapter, key, out)
            for fut in as_completed(futures):
                chapter, key, out = futures[fut]
                seconds, error = fut.result()
                run = runs[chapter.name]
                run.seconds = seconds
                done += 1
                if error:
                    kept = failed_dir / f"{chapter.name}.ipynb"
                    if out.exists():
                        _atomic_copy(out, kept)
                        out.unlink()
                    run.status, run.executed = "failed", str(kept)
                    run.error = f"{error}; executed copy kept at {kept}"
                else:
                    _atomic_copy(out, cache_dir / f"{chapter.name}-{key}.ipynb")
                    _atomic_copy(out, executed_dir / f"{chapter.name}.ipynb")
                    out.unlink()
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
    """Stop the workers still running (their kernels exit when their parent does)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
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
# 4. publish
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
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise BuildError(
            f"another build (pid {holder}) is running in {build_dir}; wait for it to finish "
            "and run this one again"
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
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM (and SIGINT) into :class:`Interrupted`, so cleanup runs and nothing is published."""

    def handler(signum, _frame):
        raise Interrupted(f"stopped by {signal.Signals(signum).name}; the site was not changed")

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


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
    with _signals_interrupt(), build_lock(build_dir):
        render_mod.write_bundle(root / "_static")
        runs = execute_all(chapters, parameters, build_dir, only=only, force=force, jobs=jobs, say=say)
        failures = [r for r in runs if r.error]
        if failures:
            lines = [f"chapter {r.name}: {r.error}" for r in failures]
            raise BuildError(
                f"{len(failures)} of {len(runs)} chapters failed; the site was not changed:\n"
                + "\n".join(lines)
            )
        dhash, lhash = data_hash(data_dir()), lib_hash()
        pages = {
            reports.PARAMETERS_PAGE: reports.parameters_page(chapters),
            reports.STATUS_PAGE: reports.status_page(runs, dhash, lhash),
        }
        say("  rendering the site with jupyter-book")
        stage_dir = build_dir / "stage"
        executed = {r.name: Path(r.executed) for r in runs}
        whole_site = stage(root, stage_dir, executed, pages)
        t0 = time.perf_counter()
        new_site = render(stage_dir, whole_site)
        say(f"  rendered in {time.perf_counter() - t0:.1f} s")
        site = build_dir / "html"
        publish(new_site, site)
        result = BuildResult(runs, time.perf_counter() - started, str(site))
        _write_status(build_dir, result, dhash, lhash)
        return result


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

"""Build the book: papermill runs each chapter, then jupyter-book renders.

The steps, each in its own function:

1. :func:`snapshot_inputs` copies what the runs read (the data files, each
   chapter's notebook) into the build's scratch folder, and keys every run
   by those copies: a file edited while the build runs cannot slip into a run
   filed under the key of its earlier state. :func:`check_data` then refuses
   data that fails its schemas, naming each problem, before anything runs.
2. :func:`execute_all` runs the chapters with papermill
   (:func:`iijbook_build.execute.execute_chapter`), in parallel, each within the
   time limit; the source notebooks are never written to. Runs are cached by
   the notebook, its parameters, the data and the lib.
3. :func:`stage` lays out a copy of the book in ``_build/stage/`` whose
   chapters are the executed notebooks, with the parameters and status
   pages written in. A staged file whose content changed gets the current
   time, whatever the age of the cache entry it came from, so Sphinx re-reads it.
4. :func:`render` runs ``jupyter-book build`` on that copy with execution
   off and warnings as errors, and :func:`check_pages` confirms that every
   chapter's page carries the key of the run it was given.
5. :func:`iijbook_build.publish.prepare` and ``commit`` swaps in the new site, executed copies,
   cache entries and status together, all or nothing, only when every step
   succeeded: a failed, refused or interrupted build leaves them as they were
   (a failed chapter's copy goes to ``_build/failed/``). SIGINT, SIGTERM and
   SIGHUP stop the build, its workers and their kernels, except during the
   moves that publish, which finish first.

One build at a time holds ``_build/.lock`` (:mod:`iijbook_build.buildfolder`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from typing import Any

import iijbook
import nbformat
from iijbook.datafiles import data_dir

from . import inputs as inputs_mod
from . import preflight, reports, sphinxext
from .buildfolder import (
    FolderError,
    Held,
    Locked,
    LockLost,
    alive,
    build_lock,
    check_entries,
    checked_folder,
    sanitize,
)
from .bundle import BUNDLE_PATH, write_bundle
from .classroom import handout_pages
from .deploy import recorded_sources, sources_digest
from .execute import ChapterRun, Job, cache_key, data_hash, execute_chapter, lib_hash, run_record
from .inputs import Chapter, discover, load_yaml, project_root, toc_files
from .opening import answer_first
from .publish import Publication, PublishError, digest, recover
from .publish import commit as commit_publication
from .publish import prepare as prepare_publication
from .scenarios import FOLDER as SCENARIO_FOLDER
from .scenarios import PAGE as SCENARIOS_PAGE
from .scenarios import Plan, Scenario, key_outputs, scenario_copy, scenarios_page, toc_with_scenarios
from .scenarios import plan as scenario_plan

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


class Refused(BuildError):
    """The build was refused before anything ran (its folder, its configuration); exit 2."""


class BuildLocked(Refused):
    """Another build holds the build folder's lock."""


@dataclass
class BuildResult:
    runs: list[ChapterRun] = field(default_factory=list)
    seconds: float = 0.0
    site: str = ""


Say = Callable[[str], None]


def _say(message: str) -> None:
    """Print a progress line; an output that went away (``| head``, a full device) does not stop the build."""
    try:
        print(message, flush=True)
    except (OSError, ValueError, AttributeError):  # closed, full, or no stdout at all
        with contextlib.suppress(OSError, ValueError, AttributeError):
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
    """A file the build reads, through the one guarded way in (:mod:`iijbook_build.inputs`)."""
    try:
        return inputs_mod.read_bytes(path, what, MAX_INPUT_BYTES)
    except inputs_mod.InputError as exc:
        raise BuildError(str(exc)) from None


def book_data(root: Path) -> Path:
    """The data folder the build reads: ``IIJBOOK_DATA_DIR`` if set, else the book's own
    ``data/``, else (a book without one, such as the tests' small books) the helper package's."""
    if os.environ.get("IIJBOOK_DATA_DIR"):
        return data_dir()
    own = root / "data"
    return own if own.is_dir() else data_dir()


def snapshot_inputs(chapters: list[Chapter], scratch: Path, root: Path) -> Inputs:
    """Copy the data folder and the chapters into ``scratch``; hash the copies."""
    source = book_data(root)
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


def check_data(inputs: Inputs, build_dir: Path) -> None:
    """Refuse data that fails its schemas, naming each problem's file, line, id and column.

    A data folder whose hash passed once is not checked again (the check loads pandas
    and pandera: a second or so a build).
    """
    passed = build_dir / "cache" / f"data-{inputs.data_hash}.checked"
    if passed.is_file():
        return
    from .datacheck import problems

    found = [p.replace(str(inputs.data), str(inputs.data_origin)) for p in problems(inputs.data)]
    if found:
        lines = "\n".join(f"  {line}" for line in found)
        raise BuildError(f"data folder {inputs.data_origin} fails its schemas; nothing ran:\n{lines}")
    passed.parent.mkdir(parents=True, exist_ok=True)
    passed.touch()


# --------------------------------------------------------------------------
# 2. execute
def _cached(path: Path, key: str, say: Say) -> bool:
    """True for a cache entry of run ``key`` that is whole and unchanged since it was filed.

    Each entry is filed with a ``.sha256`` sidecar; an entry that no longer
    matches it (cut short, edited in place) is never served: the chapter runs again.
    """
    if path.is_symlink() or not path.is_file():
        return False
    try:
        expected = inputs_mod.read_text(path.with_name(path.name + ".sha256"), "", 100).strip()
    except inputs_mod.InputError:
        return False  # filed by an older build, or its sidecar is gone: a miss
    if digest(path) != expected:
        say(f"  {path.name}: changed or cut short since it was filed; the chapter runs again")
        return False
    record = run_record(path)
    return record is not None and record["key"] == key


def _checked(chapter: Chapter, values: dict[str, Any], say: Say) -> dict[str, Any]:
    """Values recorded by an earlier run, if its chapter still allows them all; else the defaults."""
    from iijbook.params import ParameterError, check

    try:
        for name, value in values.items():
            param = chapter.parameter(name)
            if param is None:
                raise ParameterError(f"no parameter {name}")
            check(param, value)
        return dict(values)
    except (ParameterError, TypeError) as exc:
        say(f"  {chapter.name}: its last values are not allowed ({exc}); it runs with its defaults")
        return {}


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
        kept, last = executed_dir / f"{chapter.name}.ipynb", previous.get(chapter.name)
        if options.only and chapter.name not in options.only and last is not None:
            # not selected: keep the page of its last run, if its copy is the one published
            # the copy is the one published (its digest matches): what it records is the truth
            record = run_record(kept) if kept.is_file() and not kept.is_symlink() else None
            if record is not None and digest(kept) == last["digest"]:
                run.status, run.executed = "kept", str(kept)
                run.parameters, run.key, run.digest = record["parameters"], record["key"], last["digest"]
                continue
            say(f"  executed/{kept.name}: missing or changed since it was published; its run is redone")
            run.parameters = _checked(chapter, (record or last)["parameters"], say)
        run.key = cache_key(inputs.notebooks[chapter.name], run.parameters, inputs.data_hash, inputs.lib_hash)
        cached = cache_dir / f"{chapter.name}-{run.key}.ipynb"
        if not options.force and _cached(cached, run.key, say):
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
        key=lambda item: (previous.get(item[0].name, {}).get("seconds", 0.0), item[0].path.stat().st_size),
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
            proc.kill()  # not terminate: a stopped worker only takes SIGKILL
    for kernel in kernels:
        with contextlib.suppress(psutil.Error):
            kernel.kill()
    psutil.wait_procs(kernels, timeout=5)
    for proc in processes:
        proc.join(timeout=5)


# --------------------------------------------------------------------------
# 3. stage
def _sync_bytes(blob: bytes, dst: Path) -> bool:
    """Write ``blob`` to ``dst`` unless it holds exactly that (so Sphinx sees no change); True if written.

    A written file gets the current time, whatever its source's: Sphinx decides
    what to re-read by time, and a page made from an old cache entry is new to it.
    """
    if dst.is_file() and not dst.is_symlink() and dst.read_bytes() == blob:
        return False
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    tmp.write_bytes(blob)
    tmp.replace(dst)
    return True


def _sync_file(src: Path, dst: Path) -> bool:
    return _sync_bytes(_read(src, "book file"), dst)


def _sync_text(text: str, dst: Path) -> bool:
    return _sync_bytes(text.encode("utf-8"), dst)


_HEADING = re.compile(r"^# +(.+?)\s*$", re.M)


def _title(blob: bytes, suffix: str) -> str:
    """A page's title as the sidebar shows it: its first level-1 heading."""
    text = blob.decode("utf-8", "replace")
    if suffix == ".ipynb":
        try:
            cells = json.loads(text).get("cells", [])
            text = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "markdown")
        except (ValueError, AttributeError):
            return ""
    found = _HEADING.search(text)
    return found.group(1) if found else ""


def stage(root: Path, stage_dir: Path, executed: dict[str, Path], pages: dict[Path, str]) -> bool:
    """Lay out the book in ``stage_dir``: executed notebooks for chapters, ``pages`` written in.

    Returns True when something every page shows changed (configuration, table
    of contents, static files, a page's title, which every sidebar lists):
    Sphinx does not notice those by itself, so the site must then be rendered in full.
    """
    bundle = Path("_static") / BUNDLE_PATH  # generated into the stage, never into the book
    wanted: set[Path] = {Path(name) for name in BOOK_FILES}
    for folder in BOOK_DIRS:
        wanted |= {p.relative_to(root) for p in (root / folder).rglob("*") if p.is_file()} - {bundle}
    for entry in toc_files(root):
        for ext in (".md", ".ipynb"):
            if (root / f"{entry}{ext}").exists():
                wanted.add(Path(f"{entry}{ext}"))
    wanted |= set(pages)  # pages the build writes (the reports, the student handouts)
    whole_site = False
    titles: dict[str, str] = {}
    for rel in sorted(wanted):
        if rel in pages:
            blob = pages[rel].encode("utf-8")
        elif rel.suffix == ".ipynb" and rel.stem in executed:
            # the site's page opens with the chapter's answer (the notebook keeps its working order)
            blob = answer_first(_read(executed[rel.stem], "executed copy").decode("utf-8")).encode("utf-8")
        else:
            blob = _read(root / rel, "book file")
        if rel == Path("_config.yml"):
            # the book's Sphinx extension (and the trimming of the theme it runs) shapes every page:
            # a new version of either renders them all
            shaped_by = digest(Path(sphinxext.__file__)) + digest(
                Path(sphinxext.__file__).with_name("trim.py")
            )
            blob += f"\n# pages shaped by iijbook_build.sphinxext {shaped_by}\n".encode()
        if rel.suffix in (".md", ".ipynb") and rel.parts[0] != "handouts":
            titles[rel.as_posix()] = _title(blob, rel.suffix)
        if _sync_bytes(blob, stage_dir / rel):
            whole_site = whole_site or rel.parts[0] in BOOK_DIRS or str(rel) in BOOK_FILES
    before = digest(stage_dir / bundle) if (stage_dir / bundle).is_file() else ""
    write_bundle(stage_dir / "_static")
    whole_site = whole_site or digest(stage_dir / bundle) != before
    wanted.add(bundle)
    titles_file = stage_dir / ".titles.json"
    recorded = titles_file.read_text(encoding="utf-8") if titles_file.is_file() else ""
    listed = json.dumps(titles, indent=1, sort_keys=True)
    if recorded != listed:
        whole_site = True
        _sync_text(listed, titles_file)
    for path in sorted(stage_dir.rglob("*"), reverse=True):
        rel = path.relative_to(stage_dir)
        ours = rel.name in (".titles.json", ".rendered.json", ".render-unfinished")
        if path.is_file() and rel not in wanted and rel.parts[0] != "_build" and not ours:
            path.unlink()
            whole_site = True
    return whole_site


# --------------------------------------------------------------------------
# 4. render
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def render(stage_dir: Path, whole_site: bool = False, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Run jupyter-book on the staged copy; raise :class:`BuildError` on any warning.

    ``whole_site`` re-renders every page (after a change to configuration or
    static files); otherwise Sphinx re-renders only the pages whose source
    changed. The render shares the chapters' time limit.
    """
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(stage_dir), "--builder", "html", "-W", "-n", "--keep-going"]
    if whole_site:
        cmd.append("--all")
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(),
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise BuildError(
            f"jupyter-book did not finish rendering within {timeout:g} s (see --timeout)"
        ) from None
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        raise BuildError(f"jupyter-book was stopped by {name} while it rendered the site")
    if proc.returncode != 0:
        out = _ANSI.sub("", output).splitlines()
        problems = [line.strip() for line in out if "WARNING" in line or "ERROR" in line]
        distinct = list(dict.fromkeys(problems))[:10] or [line for line in out if line.strip()][-3:]
        raise BuildError(f"jupyter-book failed (exit {proc.returncode}):\n" + "\n".join(distinct))
    return stage_dir / "_build" / "html"


def check_pages(
    site: Path, root: Path, chapters: list[Chapter], runs: list[ChapterRun], the_plan: Plan | None = None
) -> list[str]:
    """The pages in ``site`` (chapters, scenario pages) that do not carry the key of the run they show."""
    by_name = {r.name: r for r in runs}
    pages = [
        (chapter.name, site / chapter.path.relative_to(root).with_suffix(".html")) for chapter in chapters
    ]
    for scenario_name, shown_runs in (the_plan.pages if the_plan else {}).items():
        for chapter_name, run_name in shown_runs.items():
            page = site / SCENARIO_FOLDER / scenario_name / f"{chapter_name}.html"
            pages.append((run_name, page))
    stale = []
    for run_name, page in pages:
        key = by_name[run_name].key
        try:
            shows = key and key in page.read_text(encoding="utf-8", errors="replace")
        except OSError:
            shows = False
        if not shows:
            stale.append(
                page.relative_to(site).with_suffix("").as_posix() if page.is_relative_to(site) else run_name
            )
    return stale


def _scenario_pages(
    root: Path, scenarios: list[Scenario], the_plan: Plan, runs: list[ChapterRun]
) -> dict[Path, str]:
    """What the scenarios add: their copies of the chapters they ran, the Scenarios page, the contents."""
    by_name = {r.name: r for r in runs}
    pages: dict[Path, str] = {}
    for scenario_name, shown_runs in the_plan.pages.items():
        for chapter_name, run_name in shown_runs.items():
            text = _read(Path(by_name[run_name].executed), "executed copy").decode("utf-8")
            pages[Path(SCENARIO_FOLDER) / scenario_name / f"{chapter_name}.ipynb"] = answer_first(
                scenario_copy(text, scenario_name)
            )
    outputs = {r.name: key_outputs(Path(r.executed)) for r in runs}
    titles = {
        r.name: _title(_read(Path(r.executed), "executed copy"), ".ipynb")
        for r in runs
        if r.name not in the_plan.base
    }
    pages[SCENARIOS_PAGE] = scenarios_page(scenarios, the_plan, outputs, titles)
    toc = _read(root / "_toc.yml", "table of contents").decode("utf-8")
    pages[Path("_toc.yml")] = toc_with_scenarios(toc, scenarios, the_plan)
    return pages


def _site_digests(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): digest(p) for p in sorted(site.rglob("*")) if p.is_file()}


def _site_as_rendered(stage_dir: Path) -> bool:
    """True if the staged site is byte for byte what the last render left (``.rendered.json``).

    Sphinx re-renders only pages whose source changed and keeps the others'
    HTML as it finds it: HTML changed by anything but a render would be published.
    """
    record, site = stage_dir / ".rendered.json", stage_dir / "_build" / "html"
    try:
        recorded = json.loads(inputs_mod.read_text(record, "", 64 << 20))
    except (inputs_mod.InputError, ValueError):
        return False
    return recorded == _site_digests(site)


def _record_rendered(stage_dir: Path) -> None:
    _sync_text(
        json.dumps(_site_digests(stage_dir / "_build" / "html"), indent=0), stage_dir / ".rendered.json"
    )


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

    What else is in ``running/`` was left by a build killed outright, and goes
    too, unless the pid in its name is alive (a build whose lock file was
    removed under it: it finds that out itself, see :meth:`Held.check`).
    """
    running.mkdir(parents=True, exist_ok=True)
    for leftover in running.iterdir():
        owner = leftover.name.split("-")[0]
        if owner.isdigit() and int(owner) != os.getpid() and alive(int(owner)):
            continue
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
    scenarios: list[Scenario] | None = None,
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
    _check_config(root)
    if not (0 < timeout <= MAX_TIMEOUT):
        raise Refused(f"timeout {timeout!r}: allowed (0, {MAX_TIMEOUT:g}] seconds")
    reads = (
        book_data(root),
        root / "_static",
        *{c.path.parent for c in chapters},
        Path(iijbook.__file__).resolve().parent,  # the helper package
    )
    try:
        build_dir = checked_folder(root / "_build" if build_dir is None else build_dir, root, reads)
        with _signals_interrupt(), build_lock(build_dir) as held:
            check_entries(build_dir)
            said = recover(build_dir)
            if said:
                say(f"  {said}")
            removed = sanitize(build_dir)
            if removed:
                say(
                    f"  removed {removed} link(s) or special files from the build folder (a build makes none)"
                )
            with _scratch(build_dir / "running") as scratch:
                options = Options(tuple(only or ()), force, jobs, timeout)
                try:
                    return _build_locked(
                        chapters, parameters, root, build_dir, scratch, options, say, started, held, scenarios
                    )
                except BuildError:
                    held.check()  # a stolen lock explains a failure better than its symptoms
                    raise
    except Locked as exc:
        raise BuildLocked(str(exc)) from None
    except FolderError as exc:
        raise Refused(str(exc)) from None
    except (PublishError, LockLost) as exc:
        raise BuildError(str(exc)) from None
    except OSError as exc:
        from .inputs import reason

        where = f" ({exc.filename})" if exc.filename else ""
        raise BuildError(
            f"could not write in the build folder: {reason(exc)}{where}; the site, the executed copies, "
            "the cache and the status were not changed"
        ) from None


#: The longest time limit a chapter may be given: a day.
MAX_TIMEOUT = 86_400.0


def _check_config(root: Path) -> None:
    """Refuse a ``_config.yml`` that is not a YAML mapping, in one line, before anything runs."""
    path = root / "_config.yml"
    try:
        config = load_yaml(inputs_mod.read_text(path, "book configuration", 1 << 20), str(path))
    except inputs_mod.InputError as exc:
        raise Refused(str(exc)) from None
    if not isinstance(config, dict):
        raise Refused(f"book configuration {path}: not a mapping of settings")


def _checks(
    chapters: list[Chapter], parameters: dict[str, dict[str, Any]], inputs: Inputs, options: Options
) -> list[preflight.Check]:
    """The parameter checks to run first: each chapter that will run with values of its own."""
    checks = []
    for chapter in chapters:
        values = parameters.get(chapter.name) or {}
        if not values or (options.only and chapter.name not in options.only):
            continue
        notebook = nbformat.reads(
            _read(inputs.notebooks[chapter.name], "chapter").decode("utf-8"), as_version=4
        )
        sources = preflight.check_sources(notebook)
        if sources:
            checks.append(preflight.Check(chapter.name, *sources, values, str(chapter.path.parent)))
    return checks


def _build_locked(
    chapters: list[Chapter],
    parameters: dict[str, dict[str, Any]],
    root: Path,
    build_dir: Path,
    scratch: Path,
    options: Options,
    say: Say,
    started: float,
    held: Held,
    scenarios: list[Scenario] | None = None,
) -> BuildResult:
    try:
        sources = sources_digest(root)  # first: an edit from now on leaves this build stale
        inputs = snapshot_inputs(chapters, scratch, root)
        check_data(inputs, build_dir)
    except (BuildError, inputs_mod.InputError) as exc:  # nothing has run: a refusal
        raise Refused(str(exc)) from None
    # each scenario run is one more "chapter": its notebook, with values of its own
    the_plan = scenario_plan(chapters, parameters, scenarios) if scenarios else None
    book_chapters = chapters
    if the_plan is not None:
        for run_chapter in the_plan.chapters:
            inputs.notebooks[run_chapter.name] = inputs.notebooks[the_plan.base[run_chapter.name]]
        chapters = chapters + the_plan.chapters
        parameters = {**parameters, **the_plan.parameters}
        if options.only:
            options = Options(options.only + tuple(c.name for c in the_plan.chapters), *astuple(options)[1:])
    try:
        refused = preflight.refusals(
            _checks(chapters, parameters, inputs, options), data=inputs.data, timeout=options.timeout
        )
    except preflight.CheckFailed as exc:
        raise BuildError(str(exc)) from None
    if refused:
        raise Refused("; ".join(refused))
    runs = execute_all(chapters, parameters, build_dir, inputs, scratch, options, say)
    failures = [r for r in runs if r.error]
    if failures:
        raise BuildError(_failure_summary(failures, len(runs)))
    pages = {
        reports.PARAMETERS_PAGE: reports.parameters_page(book_chapters),
        reports.STATUS_PAGE: reports.status_page(runs, inputs.data_hash, inputs.lib_hash),
        **handout_pages({c.name: inputs.notebooks[c.name] for c in book_chapters}),  # for download
    }
    if the_plan is not None:
        pages.update(_scenario_pages(root, scenarios or [], the_plan, runs))
    say("  rendering the site with jupyter-book")
    stage_dir = build_dir / "stage"
    # left by a render that did not finish: Sphinx may have half-written pages
    unfinished = stage_dir / ".render-unfinished"
    half_done = unfinished.exists()
    executed = {r.name: Path(r.executed) for r in runs}
    whole_site = stage(root, stage_dir, executed, pages) or half_done
    if not whole_site and not _site_as_rendered(stage_dir):
        say("  the staged site was changed outside a build: rendering every page")
        whole_site = True
    t0 = time.perf_counter()
    unfinished.parent.mkdir(parents=True, exist_ok=True)
    unfinished.touch()
    new_site = render(stage_dir, whole_site, options.timeout)
    stale = check_pages(new_site, root, book_chapters, runs, the_plan)
    if stale and not whole_site:
        say(f"  re-rendering every page: {', '.join(stale)} did not show this build's run")
        new_site = render(stage_dir, True, options.timeout)
        stale = check_pages(new_site, root, book_chapters, runs, the_plan)
    if stale:
        raise BuildError(
            f"the rendered page of {', '.join(stale)} does not show the run it was given; nothing was "
            "published (run the build again with --force)"
        )
    _record_rendered(stage_dir)
    unfinished.unlink()
    say(f"  rendered in {time.perf_counter() - t0:.1f} s")
    # the kernels import the lib itself, not a copy: a run made while it changed is not filed
    if any(r.status == "executed" for r in runs) and lib_hash() != inputs.lib_hash:
        raise BuildError(
            "the helper package iijbook changed while the build ran; nothing was published: build again"
        )
    for run in runs:
        run.digest = digest(Path(run.executed))
    result = BuildResult(runs, time.perf_counter() - started, str(build_dir / "html"))
    if any(r.status == "kept" for r in runs) and recorded_sources(build_dir) != sources:
        sources = ""  # pages kept from runs of other sources: no digest, so never published as current
    publication = Publication(
        site=new_site,
        executed=executed,
        cache={Path(r.executed).name: Path(r.executed) for r in runs if r.status == "executed"},
        status=_status_text(result, inputs.data_hash, inputs.lib_hash, sources),
    )
    held.check()
    prepare_publication(build_dir, publication)  # a signal here leaves everything as it was
    with _unstoppable():
        commit_publication(build_dir)
    for run in runs:
        run.executed = str(build_dir / "executed" / f"{run.name}.ipynb")
    return result


_WHERE = re.compile(r"^(cell \d+ \(id [^)]*\)|cell id \S+|a cell) ")


def _failure_summary(failures: list[ChapterRun], total: int) -> str:
    """One line per distinct error (chapters that failed alike share it), then where the copies are.

    >>> error = "cell {} (id c{}) raised DataError: bad.csv, line 2"
    >>> names = ["revenues", "capex"]
    >>> runs = [ChapterRun(n, {}, status="failed", error=error.format(i, i)) for i, n in enumerate(names)]
    >>> print(_failure_summary(runs, 9))
    2 of 9 chapters failed; the site, the cache and the executed copies were not changed:
      chapters revenues (cell 0 (id c0)), capex (cell 1 (id c1)): raised DataError: bad.csv, line 2
    """
    lines = [
        f"{len(failures)} of {total} chapters failed; the site, the cache and the executed "
        "copies were not changed:"
    ]
    groups: dict[str, list[tuple[str, str]]] = {}
    for run in failures:
        first = (run.error or "").splitlines()[0] if run.error else ""
        found = _WHERE.match(first)  # the cell comes first; what follows is the cause
        where, what = (found.group(1), first[found.end() :]) if found else ("", first)
        groups.setdefault(what, []).append((run.name, where))
    for what, chapters in groups.items():
        if len(chapters) == 1:
            name, where = chapters[0]
            lines.append(f"  chapter {name}: {where + ' ' if where else ''}{what}")
        else:
            named = ", ".join(f"{name} ({where})" if where else name for name, where in chapters)
            lines.append(f"  chapters {named}: {what}")
    for run in failures:
        lines += [f"      {line}" for line in (run.error or "").splitlines()[1:]]
    kept = [Path(r.executed) for r in failures if r.executed]
    if len(kept) == 1:
        lines.append(f"    executed copy kept at {kept[0]}")
    elif kept:
        lines.append(f"    executed copies kept in {kept[0].parent}: {', '.join(k.name for k in kept)}")
    return "\n".join(lines)


def _recorded_runs(build_dir: Path) -> dict[str, dict[str, Any]]:
    """Each chapter's last run from ``status.json``: key, parameters, digest, seconds.

    A missing or malformed file, or a malformed row, gives no record: the
    chapters then run as if new.
    """
    try:
        status = json.loads(inputs_mod.read_text(build_dir / "status.json", "", 1 << 20))
        rows = status.get("chapters", []) if isinstance(status, dict) else []
    except (inputs_mod.InputError, ValueError):
        return {}
    runs: dict[str, dict[str, Any]] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        name, key, params, dig = row.get("name"), row.get("key"), row.get("parameters"), row.get("digest")
        if (
            isinstance(name, str)
            and isinstance(key, str)
            and isinstance(params, dict)
            and isinstance(dig, str)
        ):
            seconds = row.get("seconds")
            seconds = float(seconds) if isinstance(seconds, int | float) and math.isfinite(seconds) else 0.0
            runs[name] = {"key": key, "parameters": params, "digest": dig, "seconds": seconds}
    return runs


def _status_text(result: BuildResult, dhash: str, lhash: str, sources: str = "") -> str:
    status = {
        "seconds": round(result.seconds, 2),
        "data_hash": dhash,
        "lib_hash": lhash,
        "sources": sources,  # iijbook_build.deploy.sources_digest of the book, as the build began
        "chapters": [{k: v for k, v in asdict(r).items() if k != "executed"} for r in result.runs],
    }
    return json.dumps(status, indent=2, default=repr) + "\n"

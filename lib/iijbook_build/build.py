"""Build the book: check the inputs, run the chapters, render the site, publish it.

1. **Check** (:mod:`.inputs`, :mod:`.datacheck`, :mod:`.preflight`): the data and each chapter's
   notebook are copied into the build's scratch folder and every run is keyed by those copies,
   so a file edited while the build runs cannot slip into a run filed under another key.
2. **Run** (:mod:`.run`): papermill runs each chapter in its time limit; a run whose key is in
   the published cache is reused, and ``--chapter`` keeps the others' pages.
3. **Render** (:mod:`.render`): every page afresh; each chapter page must carry its run's key.
4. **Publish** (:mod:`.folder`): a new generation laid out, made current by one rename.

Refused before anything ran: :class:`Refused` (exit 2); a failure: :class:`BuildError` (1); a
stop signal: :class:`Interrupted` (130). Each message says whether the site changed, which
happens at the commit point and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import iijbook
import nbformat

from . import folder, preflight, reports, scenarios
from .classroom import handout_pages
from .deploy import recorded_sources, sources_digest
from .inputs import Chapter, InputError, book_data, discover, load_yaml, project_root, read_bytes, read_text
from .render import RenderError, check_pages, child_env, fingerprint, render, stage, tree_digest
from .run import ChapterRun, Job, cache_key, data_hash, digest, lib_hash, run_jobs, run_record

#: Seconds a chapter may run, unless ``--timeout`` says otherwise; the longest allowed: a day.
DEFAULT_TIMEOUT, MAX_TIMEOUT = 300.0, 86_400.0
UNCHANGED = "the site, the executed copies, the cache and the status were not changed"


class BuildError(RuntimeError):
    """A build that cannot go on; the message says which step, why, and what was published."""


class Interrupted(BuildError):
    """The build was stopped by a signal."""


class Refused(BuildError):
    """The build was refused before anything ran (its folder, its configuration, its inputs)."""


@dataclass
class BuildResult:
    runs: list[ChapterRun] = field(default_factory=list)
    seconds: float = 0.0
    site: str = ""


Say = Callable[[str], None]


def _say(message: str) -> None:
    """Print a progress line; an output that went away (``>&-``, ``/dev/full``) stops nothing."""
    try:
        print(message, flush=True)
    except (OSError, ValueError, AttributeError):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@dataclass
class Inputs:
    """The build's own copies of what the runs read, and their hashes."""

    data: Path  #: a copy of the data folder, which the kernels read
    origin: Path  #: the data folder it copies
    notebooks: dict[str, Path]  #: a copy of each chapter's notebook, by chapter name
    data_hash: str
    lib_hash: str


def snapshot(chapters: list[Chapter], scratch: Path, root: Path) -> Inputs:
    """Copy the data folder and the chapters into ``scratch`` (bounded reads); hash the copies."""
    source = book_data(root)
    if not source.is_dir():
        raise Refused(f"data folder {source}: not a folder")
    data, notebooks = scratch / "data", {c.name: scratch / "chapters" / c.path.name for c in chapters}
    copies = [(p, data / p.relative_to(source), "data file", 64 << 20) for p in sorted(source.rglob("*"))]
    copies = [c for c in copies if not c[0].is_dir() and "__pycache__" not in c[0].parts]
    copies += [(c.path, notebooks[c.name], "chapter notebook", 16 << 20) for c in chapters]
    for path, target, what, limit in copies:  # a pipe or a device is refused, named
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read_bytes(path, what, limit))
    data.mkdir(parents=True, exist_ok=True)
    return Inputs(data, source, notebooks, data_hash(data), lib_hash())


def _last_status(build_dir: Path) -> dict[str, Any]:
    """The published ``status.json`` with its well-shaped rows by name, or ``{}`` if unreadable."""
    try:
        status = json.loads(read_text(build_dir / "status.json", "", 1 << 20))
    except (InputError, ValueError):
        return {}
    if not isinstance(status, dict):
        return {}
    rows = status.get("chapters") if isinstance(status.get("chapters"), list) else []
    shapes = {"name": str, "key": str, "parameters": dict, "digest": str}
    good = [
        r for r in rows if isinstance(r, dict) and all(isinstance(r.get(k), t) for k, t in shapes.items())
    ]
    return {**status, "chapters": {r["name"]: r for r in good}}


def _cached(cache: Path, name: str, key: str, say: Say) -> Path | None:
    """The published cache entry of run ``key``, if whole: its name ends in its bytes' digest, so an
    entry cut short or edited since it was filed is never served."""
    for entry in sorted(cache.glob(f"{name}-{key}-*.ipynb")) if cache.is_dir() else ():
        sha = entry.stem.rsplit("-", 1)[1]
        if entry.is_file() and not entry.is_symlink() and digest(entry).startswith(sha):
            return entry
        say(f"  {entry.name}: changed or cut short since it was filed; the chapter runs again")
    return None


def _checked(chapter: Chapter, values: dict[str, Any], say: Say) -> dict[str, Any]:
    """Values an earlier run recorded, if its chapter still allows them all; else the defaults."""
    from iijbook.params import ParameterError, check

    try:
        for name, value in values.items():
            if (param := chapter.parameter(name)) is None:
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
    jobs: int | None = None  #: chapters at once (default: the cores; each worker keeps its kernel)
    timeout: float = DEFAULT_TIMEOUT  #: seconds each chapter may run


def execute_all(
    chapters: list[Chapter],
    parameters: dict[str, dict[str, Any]],
    build_dir: Path,
    inputs: Inputs,
    scratch: Path,
    options: Options,
    say: Say,
) -> list[ChapterRun]:
    """Run (or reuse) every chapter; one :class:`ChapterRun` each, in book order. Nothing published
    changes: a run's ``executed`` is where its notebook is now (a cache entry, the published copy
    it keeps, or a new run in ``scratch``)."""
    last = _last_status(build_dir).get("chapters", {})
    runs: dict[str, ChapterRun] = {}
    jobs: list[Job] = []
    for chapter in chapters:
        name = chapter.name
        run = runs[name] = ChapterRun(name, parameters.get(name, {}))
        kept = build_dir / "executed" / f"{name}.ipynb"
        if options.only and name not in options.only and name in last:
            record = run_record(kept) if kept.is_file() and not kept.is_symlink() else None
            if record is not None and digest(kept) == last[name]["digest"]:
                run.status, run.executed = "kept", str(kept)
                run.parameters, run.key = record["parameters"], record["key"]
                continue
            say(f"  executed/{kept.name}: missing or changed since it was published; its run is redone")
            run.parameters = _checked(chapter, (record or last[name])["parameters"], say)
        run.key = cache_key(inputs.notebooks[name], run.parameters, inputs.data_hash, inputs.lib_hash)
        hit = None if options.force else _cached(build_dir / "cache", name, run.key, say)
        if hit is not None:
            run.status, run.executed = "cached", str(hit)
            continue
        source, output = str(inputs.notebooks[name]), str(scratch / "runs" / f"{name}-{run.key}.ipynb")
        params = [(p.name, p.annotation, p.default, p.comment) for p in chapter.parameters]
        cwd, log, data = str(chapter.path.parent), str(build_dir / "logs" / f"{name}.log"), str(inputs.data)
        jobs.append(
            Job(name, source, output, run.parameters, params, cwd, log, run.key, data, options.timeout)
        )
    done = [0]

    def report(run: ChapterRun, seconds: float | None = None) -> None:
        done[0] += 1
        timing = "" if seconds is None else f" {seconds:5.1f} s"
        say(f"  [{done[0]}/{len(chapters)}] {run.name:<22} {run.status:<8}{timing}".rstrip())

    for run in runs.values():
        if run.status != "executed":
            report(run)
    # longest first (by the last recorded time), so that the workers finish together
    jobs.sort(key=lambda job: last.get(job.name, {}).get("seconds") or 0.0, reverse=True)
    workers = max(1, min(options.jobs or os.cpu_count() or 1, len(jobs)))
    if jobs:
        say(f"  running {len(jobs)} chapter(s) on {workers} worker(s)")
        (scratch / "runs").mkdir(exist_ok=True)
    chapter_path = {c.name: c.path for c in chapters}

    def finished(job: Job, seconds: float, error: str | None) -> None:
        run = runs[job.name]
        run.seconds, run.executed = seconds, job.output
        if error:
            kept = build_dir / "failed" / f"{job.name}.ipynb"
            kept.parent.mkdir(exist_ok=True)
            kept.unlink(missing_ok=True)  # an older failure's copy would mislead
            if Path(job.output).exists():
                shutil.copyfile(job.output, kept)
            # name the user's files, not the build's copies of them
            error = error.replace(str(inputs.data), str(inputs.origin))
            error = error.replace(job.source, str(chapter_path[job.name]))
            run.status, run.error, run.executed = "failed", error, str(kept) if kept.exists() else ""
        report(run, seconds)

    run_jobs(jobs, workers, finished)
    return [runs[c.name] for c in chapters]


_NOT_RUN = "the site, the cache and the executed copies were not changed"
_WHERE = re.compile(r"^(cell \d+ \(id [^)]*\)|cell id \S+|a cell) ")


def _failure_summary(failures: list[ChapterRun], total: int) -> str:
    """One line per distinct error (chapters that failed alike share it), then where the copies are.

    >>> error = "cell {} (id c{}) raised DataError: bad.csv, line 2"
    >>> runs = [ChapterRun(n, {}, "failed", error=error.format(i, i)) for i, n in enumerate(["a", "b"])]
    >>> print(_failure_summary(runs, 9))
    2 of 9 chapters failed; the site, the cache and the executed copies were not changed:
      chapters a (cell 0 (id c0)), b (cell 1 (id c1)): raised DataError: bad.csv, line 2
    """
    lines = [f"{len(failures)} of {total} chapters failed; {_NOT_RUN}:"]
    groups: dict[str, list[tuple[str, str]]] = {}
    for run in failures:
        first = (run.error or "").splitlines()[0] if run.error else ""
        found = _WHERE.match(first)  # the cell comes first; what follows is the cause
        where, what = (found.group(1), first[found.end() :]) if found else ("", first)
        groups.setdefault(what, []).append((run.name, where))
    for what, named in groups.items():
        if len(named) == 1:
            lines.append(f"  chapter {named[0][0]}: {named[0][1] + ' ' if named[0][1] else ''}{what}")
        else:
            lines.append(f"  chapters {', '.join(f'{n} ({w})' if w else n for n, w in named)}: {what}")
    lines += [f"      {line}" for run in failures for line in (run.error or "").splitlines()[1:]]
    kept = [Path(r.executed) for r in failures if r.executed]
    if len(kept) == 1:
        lines.append(f"    executed copy kept at {kept[0]}")
    elif kept:
        lines.append(f"    executed copies kept in {kept[0].parent}: {', '.join(k.name for k in kept)}")
    return "\n".join(lines)


# -- the whole build ------------------------------------------------------------------------
@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM, SIGINT and SIGHUP into :class:`Interrupted`, saying whether the site changed."""

    def handler(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if folder.published():
            raise Interrupted(f"stopped by {name} just after the new site was published")
        raise Interrupted(f"stopped by {name}; {_NOT_RUN}")

    old = {s: signal.signal(s, handler) for s in folder.STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _check_config(root: Path) -> None:
    """Refuse a ``_config.yml`` that is not YAML, not a mapping, or not what jupyter-book's own schema
    allows (``execute: 5`` would end the render in a traceback), in one line, before anything runs."""
    import yaml
    from jupyter_book.config import get_validator

    path = root / "_config.yml"
    try:
        text = read_text(path, "book configuration", 1 << 20)
        if not isinstance(load_yaml(text, f"book configuration {path}"), dict):
            raise Refused(f"book configuration {path}: not a mapping of settings")
    except InputError as exc:
        raise Refused(str(exc)) from None
    error = next(iter(get_validator().iter_errors(yaml.safe_load(text))), None)  # no aliases: checked above
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "the top"
        raise Refused(f"book configuration {path}: {where}: {error.message[:200]}")


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
    scenarios: list[scenarios.Scenario] | None = None,
) -> BuildResult:
    """Run the chapters and publish the site; raise :class:`BuildError` on failure.

    ``parameters`` maps a chapter to the values it overrides; ``only`` re-runs just those
    chapters and keeps the others' last runs; ``timeout`` is the seconds each chapter may run.
    """
    started = time.perf_counter()
    with _signals_interrupt(), _said_in_one_line():
        root = Path(os.path.abspath(root or project_root()))
        os.environ["PATH"] = child_env()["PATH"]
        folder.committing.update(folder=None, gen=None)
        chapters = discover(root)
        _check_config(root)
        if not (0 < timeout <= MAX_TIMEOUT):
            raise Refused(f"timeout {timeout!r}: allowed (0, {MAX_TIMEOUT:g}] seconds")
        reads = (
            book_data(root),
            root / "_static",
            *{c.path.parent for c in chapters},
            Path(iijbook.__file__).parent,
        )
        build_dir = folder.checked_folder(root / "_build" if build_dir is None else build_dir, root, reads)
        with folder.lock(build_dir) as held:
            folder.check_entries(build_dir)
            folder.tidy(build_dir)  # what a build killed outright left behind
            with folder.scratch(build_dir) as scratch:
                options = Options(tuple(only or ()), force, jobs, timeout)
                try:
                    return _build(
                        chapters, parameters, root, build_dir, scratch, options, say, held, scenarios, started
                    )
                except BuildError:
                    held.check()  # a stolen lock explains a failure better than its symptoms
                    raise


@contextlib.contextmanager
def _said_in_one_line() -> Iterator[None]:
    """What the folder or the render raises, as a :class:`BuildError` saying whether the site changed."""
    try:
        yield
    except folder.FolderError as exc:
        raise Refused(str(exc)) from None
    except folder.LockLost as exc:
        raise BuildError(str(exc)) from None
    except RenderError as exc:  # before the commit point, always
        said = str(exc)
        raise BuildError(f"{said}\n  {UNCHANGED}" if "\n" in said else f"{said}; {UNCHANGED}") from None
    except OSError as exc:
        from .inputs import reason

        where = f" ({exc.filename})" if exc.filename else ""
        done = "the new site was published" if folder.published() else UNCHANGED
        raise BuildError(f"could not write in the build folder: {reason(exc)}{where}; {done}") from None


def _build(
    chapters: list[Chapter],
    parameters: dict[str, dict[str, Any]],
    root: Path,
    build_dir: Path,
    scratch: Path,
    options: Options,
    say: Say,
    held: folder.Held,
    given_scenarios: list[scenarios.Scenario] | None,
    started: float,
) -> BuildResult:
    try:
        made_from = sources_digest(root, book_data(root))  # first: a later edit leaves this build stale
        inputs = snapshot(chapters, scratch, root)
    except InputError as exc:
        raise Refused(str(exc)) from None
    last = _last_status(build_dir)
    if last.get("data_hash") != inputs.data_hash:  # checked when that build ran
        from .datacheck import problems

        found = [f"  {p.replace(str(inputs.data), str(inputs.origin))}" for p in problems(inputs.data)]
        if found:
            raise Refused(f"data folder {inputs.origin} fails its schemas; nothing ran:\n" + "\n".join(found))
    # each scenario run is one more "chapter": its notebook, with values of its own
    plan = scenarios.plan(chapters, parameters, given_scenarios) if given_scenarios else scenarios.Plan()
    for extra in plan.chapters:
        inputs.notebooks[extra.name] = inputs.notebooks[plan.base[extra.name]]
    book_chapters, chapters, parameters = (
        chapters,
        chapters + plan.chapters,
        {**parameters, **plan.parameters},
    )
    if options.only:
        options = replace(options, only=options.only + tuple(c.name for c in plan.chapters))
    checks = []
    for chapter in chapters:
        values = parameters.get(chapter.name) or {}
        if values and not (options.only and chapter.name not in options.only):
            text = inputs.notebooks[chapter.name].read_text(encoding="utf-8")
            sources = preflight.check_sources(nbformat.reads(text, as_version=4))
            name = plan.labels.get(chapter.name, chapter.name)
            checks += [preflight.Check(name, *sources, values, str(chapter.path.parent))] if sources else []
    try:
        refused = preflight.refusals(checks, data=inputs.data, timeout=options.timeout)
    except preflight.CheckFailed as exc:
        raise BuildError(str(exc)) from None
    if refused:
        raise Refused("; ".join(refused))
    runs = execute_all(chapters, parameters, build_dir, inputs, scratch, options, say)
    if failures := [replace(r, name=plan.labels.get(r.name, r.name)) for r in runs if r.error]:
        raise BuildError(_failure_summary(failures, len(runs)))  # a scenario's run named by its scenario
    # the kernels import the lib itself, not a copy: a run made while it changed is not filed
    if any(r.status == "executed" for r in runs) and lib_hash() != inputs.lib_hash:
        raise BuildError(f"the helper package iijbook changed while the build ran; {UNCHANGED}: build again")
    pages = {
        reports.PARAMETERS_PAGE: reports.parameters_page(book_chapters),
        reports.STATUS_PAGE: reports.status_page(runs, inputs.data_hash, inputs.lib_hash),
        **handout_pages({c.name: inputs.notebooks[c.name] for c in book_chapters}),  # for download
    }
    executed = {r.name: Path(r.executed) for r in runs}
    if given_scenarios:
        pages.update(scenarios.pages(root, given_scenarios, plan, executed))
    stage(root, scratch / "stage", executed, pages)
    print_ = fingerprint(scratch / "stage", reports.STATUS_PAGE)
    # nothing to publish if the runs, the staged book and the published site are what status.json says
    rows = last.get("chapters", {})
    same_runs = all(r.status in ("cached", "kept") and rows.get(r.name, {}).get("key") == r.key for r in runs)
    same_runs = same_runs and len(rows) == len(runs) and not options.force
    if same_runs and last.get("stage") == print_ and last.get("site") == tree_digest(build_dir / "html"):
        say("  nothing changed since the last build: the site is as it was")
        for run in runs:
            run.executed = str(build_dir / "executed" / f"{run.name}.ipynb")
        return BuildResult(runs, time.perf_counter() - started, str(build_dir / "html"))
    say("  rendering the site with jupyter-book")
    t0 = time.perf_counter()
    site = render(scratch / "stage", options.timeout)
    key = {r.name: r.key for r in runs}
    keys = {c.path.relative_to(root).with_suffix("").as_posix(): key[c.name] for c in book_chapters}
    for scenario_name, shown in plan.pages.items():
        keys |= {f"{scenarios.FOLDER}/{scenario_name}/{name}": key[run] for name, run in shown.items()}
    if stale := check_pages(site, keys):
        raise BuildError(
            f"the rendered page of {', '.join(stale)} does not show the run it was given; {UNCHANGED}"
        )
    say(f"  rendered in {time.perf_counter() - t0:.1f} s")
    gen = folder.new_generation(build_dir)
    try:
        _lay_out(gen, site, runs, build_dir)
        result = BuildResult(runs, time.perf_counter() - started, str(build_dir / "html"))
        kept_other = any(r.status == "kept" for r in runs) and recorded_sources(build_dir) != made_from
        status = {
            "seconds": round(result.seconds, 2),
            "data_hash": inputs.data_hash,
            "lib_hash": inputs.lib_hash,
            "sources": "" if kept_other else made_from,  # what make publish compares
            "stage": print_,
            "site": tree_digest(gen / "html"),
            "chapters": [{k: v for k, v in asdict(r).items() if k != "executed"} for r in runs],
        }
        (gen / "status.json").write_text(json.dumps(status, indent=2, default=repr) + "\n", encoding="utf-8")
        folder.commit(build_dir, gen, held)
    except BaseException:
        if not folder.published():
            shutil.rmtree(gen, ignore_errors=True)  # laid out, never published
        raise
    for run in runs:
        run.executed = str(build_dir / "executed" / f"{run.name}.ipynb")
    return result


def _lay_out(gen: Path, site: Path, runs: list[ChapterRun], build_dir: Path) -> None:
    """The new generation: the rendered site, each run's executed copy, and the cache (the published
    entries carried over as hard links, as entries are never written in place, or copies where the
    file system refuses links; each new run filed under its key and its bytes' digest)."""
    site.rename(gen / "html")
    (gen / "executed").mkdir()
    (gen / "cache").mkdir()
    old_cache = build_dir / "cache"
    for entry in old_cache.iterdir() if old_cache.is_dir() else ():
        if entry.is_file() and not entry.is_symlink():
            try:
                os.link(entry, gen / "cache" / entry.name)
            except OSError:
                shutil.copyfile(entry, gen / "cache" / entry.name)
    for run in runs:
        run.digest = digest(Path(run.executed))
        shutil.copyfile(run.executed, gen / "executed" / f"{run.name}.ipynb")
        filed = gen / "cache" / f"{run.name}-{run.key}-{run.digest[:16]}.ipynb"
        if not filed.exists():
            shutil.copyfile(run.executed, filed)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the iijbook command")

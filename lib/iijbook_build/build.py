"""Build the book: check the inputs, run the chapters, render the site, publish it.

1. **Check** (:mod:`.inputs`, :mod:`.datacheck`): the data and each chapter's notebook are
   copied into the build's scratch folder and every run is keyed by those copies, so a file
   edited while the build runs cannot slip into a run filed under another key.
2. **Run** (:mod:`.run`): papermill runs each chapter in its time limit; a run whose key is in
   the published cache is reused, and ``--chapter`` keeps the others' pages. A chapter's cell
   tagged ``parameters-check`` checks what no single range can say (two parameters that go
   together); its ``ParameterError`` refuses the build, naming the chapter.
3. **Render** (:mod:`.render`): every page afresh; each chapter page must carry its run's key.
4. **Publish** (:mod:`.folder`): a new generation laid out, made current by one rename.

Refused (its inputs, or values a chapter's checks refused): :class:`Refused` (exit 2); a failure:
:class:`BuildError` (1); a stop signal: :class:`Interrupted` (130). Each message says whether the
site changed, which happens at the commit point and nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import iijbook
from iijbook.params import ParameterError

from . import folder, reports, scenarios
from .classroom import handout_pages
from .deploy import sources_digest
from .inputs import Chapter, InputError, book_data, discover, project_root, read_bytes, read_text, resolve
from .render import ConfigRenderError, RenderError, check_pages, child_env, fingerprint, render, stage
from .run import REFUSED, ChapterRun, Job, cache_key, digest, folder_hash, lib_hash, run_jobs, run_record

#: Seconds a chapter may run, unless ``--timeout`` says otherwise; the longest ``--timeout`` allows: a day.
DEFAULT_TIMEOUT, MAX_TIMEOUT = 300.0, 86_400.0
UNCHANGED = "the site, the executed copies, the cache and the status were not changed"
_NOT_RUN = "the site, the cache and the executed copies were not changed"
Say = Callable[[str], None]


class BuildError(RuntimeError):
    """A build that cannot go on; the message says which step, why, and what was published."""


class Interrupted(BuildError):
    """Stopped by a signal."""


class Refused(BuildError):
    """Refused, nothing published: its folder, its configuration, its inputs, or values a chapter refused."""


@dataclass
class BuildResult:
    runs: list[ChapterRun]
    seconds: float
    site: str


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


def _last_status(build_dir: Path) -> dict[str, Any]:
    """The published ``status.json`` with its well-shaped rows by name, or ``{}`` if unreadable."""
    try:
        status = json.loads(read_text(build_dir / "status.json", "", 1 << 20))
        rows = status.get("chapters") if isinstance(status.get("chapters"), list) else []
    except (InputError, ValueError, AttributeError):
        return {}
    shape = {"name": str, "key": str, "parameters": dict, "digest": str}
    rows = [r for r in rows if isinstance(r, dict) and all(isinstance(r.get(k), t) for k, t in shape.items())]
    return {**status, "chapters": {r["name"]: r for r in rows}}


def _failed(failures: list[ChapterRun], total: int) -> BuildError:
    """:class:`Refused` if every failed run's values were refused by its chapter's checks, a line each;
    else one line per failed chapter (and the lines that follow its error), then where its copy is.

    >>> print(_failed([ChapterRun("a", {}, error="cell 0 (id c0) raised KeyError")], 9))
    1 of 9 chapters failed; the site, the cache and the executed copies were not changed:
      chapter a: cell 0 (id c0) raised KeyError
    """
    if all(run.status == "refused" for run in failures):
        return Refused("\n  ".join(f"chapter {r.name}: {r.error.removeprefix(REFUSED)}" for r in failures))
    lines = [f"{len(failures)} of {total} chapters failed; {_NOT_RUN}:"]
    for run in failures:
        first, *more = (run.error or "").splitlines() or [""]
        lines += [f"  chapter {run.name}: {first}", *(f"      {line}" for line in more)]
        lines += [f"    executed copy kept at {run.executed}"] if run.executed else []
    return BuildError("\n".join(lines))


@contextlib.contextmanager
def _in_one_line(root: Path) -> Iterator[None]:
    """SIGTERM, SIGINT and SIGHUP as :class:`Interrupted`, an input or folder refused as
    :class:`Refused`, what the render raises as a :class:`BuildError`, each saying whether the site
    changed."""

    def stop(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if folder.published():
            raise Interrupted(f"stopped by {name} just after the new site was published")
        raise Interrupted(f"stopped by {name}; {_NOT_RUN}")

    old = {s: signal.signal(s, stop) for s in folder.STOP_SIGNALS}
    try:
        yield
    except (folder.FolderError, InputError) as exc:
        raise Refused(str(exc)) from None
    except folder.LockLost as exc:
        raise BuildError(str(exc)) from None
    except ConfigRenderError as exc:
        raise Refused(f"book configuration {root / '_config.yml'}: {exc}; {UNCHANGED}") from None
    except RenderError as exc:  # before the commit point, always
        said = str(exc)
        raise BuildError(f"{said}\n  {UNCHANGED}" if "\n" in said else f"{said}; {UNCHANGED}") from None
    except OSError as exc:
        from .inputs import reason

        where = f" ({exc.filename})" if exc.filename else ""
        done = "the new site was published" if folder.published() else UNCHANGED
        raise BuildError(f"could not write in the build folder: {reason(exc)}{where}; {done}") from None
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _check_config(root: Path) -> None:
    """Refuse a ``_config.yml`` that is not YAML, not a mapping, or not what jupyter-book's own schema
    allows (``execute: 5`` would end the render in a traceback), in one line, before anything runs."""
    import yaml
    from jupyter_book.config import get_validator

    from .inputs import load_yaml

    path = root / "_config.yml"
    text = read_text(path, "book configuration", 1 << 20)
    if not isinstance(load_yaml(text, f"book configuration {path}"), dict):
        raise Refused(f"book configuration {path}: not a mapping of settings")
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
    root = Path(os.path.abspath(root or project_root()))
    with _in_one_line(root), contextlib.ExitStack() as stack:
        os.environ["PATH"] = child_env()["PATH"]
        folder.committing.update(folder=None, gen=None)
        chapters = discover(root)
        _check_config(root)
        reads = (book_data(root), root / "_static", Path(iijbook.__file__).parent)
        reads += tuple({c.path.parent for c in chapters})
        build_dir = folder.checked_folder(root / "_build" if build_dir is None else build_dir, root, reads)
        held = stack.enter_context(folder.lock(build_dir))
        folder.check_entries(build_dir)
        folder.tidy(build_dir)  # what a build killed outright left behind
        scratch = Path(stack.enter_context(folder.scratch(build_dir)))
        one = _Build(root, build_dir, scratch, held, say, tuple(only or ()), force, jobs, timeout, started)
        try:
            return one.make(chapters, parameters, scenarios)
        except BuildError:
            held.check()  # a stolen lock explains a failure better than its symptoms
            raise


@dataclass
class _Build:
    """One build under its folder's lock: what it was asked, and where it works."""

    root: Path
    build_dir: Path
    scratch: Path
    held: folder.Held
    say: Say
    only: tuple[str, ...]  #: re-run just these chapters; keep the others' last runs
    force: bool  #: ignore the cache
    jobs: int | None  #: chapters at once (default: the cores; each worker keeps its kernel)
    timeout: float  #: seconds each chapter may run
    started: float  #: when the build began (``time.perf_counter``)

    def make(
        self, chapters: list[Chapter], parameters: dict, given: list[scenarios.Scenario] | None
    ) -> BuildResult:
        made_from = sources_digest(self.root, book_data(self.root))  # first: a later edit makes it stale
        inputs, last = self.snapshot(chapters), _last_status(self.build_dir)
        if last.get("data_hash") != inputs.data_hash:  # else checked when that build ran
            from .datacheck import problems

            if found := "".join(f"\n  {p}" for p in problems(inputs.data)):
                found = found.replace(str(inputs.data), str(inputs.origin))
                raise Refused(f"data folder {inputs.origin} fails its schemas; nothing ran:{found}")
        # each scenario run is one more "chapter": its notebook, with values of its own
        plan = scenarios.plan(chapters, parameters, given) if given else scenarios.Plan()
        for extra in plan.chapters:
            inputs.notebooks[extra.name] = inputs.notebooks[plan.base[extra.name]]
        book, chapters, parameters = chapters, chapters + plan.chapters, {**parameters, **plan.parameters}
        self.only += tuple(c.name for c in plan.chapters) if self.only else ()
        runs = self.execute_all(chapters, parameters, inputs, last.get("chapters", {}))
        if failures := [replace(r, name=plan.labels.get(r.name, r.name)) for r in runs if r.error]:
            raise _failed(failures, len(runs))  # a scenario's run named by its scenario
        # the kernels import the lib itself, not a copy: a run made while it changed is not filed
        if any(r.status == "executed" for r in runs) and lib_hash() != inputs.lib_hash:
            raise BuildError(f"the package iijbook changed while the build ran; {UNCHANGED}: build again")
        executed = {r.name: Path(r.executed) for r in runs}
        pages = {
            reports.PARAMETERS_PAGE: reports.parameters_page(book),
            reports.STATUS_PAGE: reports.status_page(runs, inputs.data_hash, inputs.lib_hash),
            **handout_pages({c.name: inputs.notebooks[c.name] for c in book}),  # for download
            **(scenarios.pages(self.root, given, plan, executed) if given else {}),
        }
        stage(self.root, self.scratch / "stage", executed, pages)
        staged = fingerprint(self.scratch / "stage", reports.STATUS_PAGE)
        # nothing to publish if the runs, the staged book and the published site are what status.json says
        rows = last.get("chapters", {})
        same = len(rows) == len(runs) and not self.force and last.get("stage") == staged
        same = same and all(r.status != "executed" and rows.get(r.name, {}).get("key") == r.key for r in runs)
        if same and last.get("site") == folder_hash(self.build_dir / "html", "site file"):
            self.say("  nothing changed since the last build: the site is as it was")
        else:
            self.say("  rendering the site with jupyter-book")
            site = render(self.scratch / "stage", self.timeout)
            key = {r.name: r.key for r in runs}
            keys = {c.path.relative_to(self.root).with_suffix("").as_posix(): key[c.name] for c in book}
            for name, shown in plan.pages.items():
                keys |= {f"{scenarios.FOLDER}/{name}/{chapter}": key[run] for chapter, run in shown.items()}
            if stale := ", ".join(check_pages(site, keys)):
                raise BuildError(f"the rendered page of {stale} does not show its run; {UNCHANGED}")
            if any(r.status == "kept" for r in runs) and last.get("sources") != made_from:
                made_from = ""  # pages run from other sources: make publish refuses it until a whole build
            seconds = round(time.perf_counter() - self.started, 2)
            status = {"seconds": seconds, "data_hash": inputs.data_hash, "lib_hash": inputs.lib_hash}
            self.publish(site, runs, {**status, "sources": made_from, "stage": staged})
        for run in runs:
            run.executed = str(self.build_dir / "executed" / f"{run.name}.ipynb")
        return BuildResult(runs, time.perf_counter() - self.started, str(self.build_dir / "html"))

    def snapshot(self, chapters: list[Chapter]) -> Inputs:
        """Copy the data folder and the chapters into the scratch folder (bounded reads: a pipe or
        a device is refused, named); hash the copies."""
        source = book_data(self.root)
        if not source.is_dir():
            raise Refused(f"data folder {source}: not a folder")
        data, notebooks = self.scratch / "data", {c.name: self.scratch / c.path.name for c in chapters}
        copies = [(p, data / p.relative_to(source), "data file", 64 << 20) for p in sorted(source.rglob("*"))]
        copies = [c for c in copies if not c[0].is_dir() and "__pycache__" not in c[0].parts]
        copies += [(c.path, notebooks[c.name], "chapter notebook", 16 << 20) for c in chapters]
        for path, target, what, limit in copies:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(read_bytes(path, what, limit))
        data.mkdir(parents=True, exist_ok=True)
        return Inputs(data, source, notebooks, folder_hash(data), lib_hash())

    def execute_all(
        self, chapters: list[Chapter], parameters: dict[str, dict[str, Any]], inputs: Inputs, last: dict
    ) -> list[ChapterRun]:
        """Run (or reuse) every chapter; one :class:`ChapterRun` each, in book order. Nothing published
        changes: a run's ``executed`` is where its notebook is now (a cache entry, the published copy it
        keeps, or a new run in the scratch folder). ``last``: the published status's rows by name."""
        runs = {c.name: ChapterRun(c.name, parameters.get(c.name, {})) for c in chapters}
        jobs, said = [], iter(range(1, len(runs) + 1))

        def report(run: ChapterRun, timing: str = "") -> None:
            self.say(f"  [{next(said)}/{len(runs)}] {run.name:<22} {run.status:<8}{timing}".rstrip())

        for chapter, run in zip(chapters, runs.values(), strict=True):
            kept = self.build_dir / "executed" / f"{run.name}.ipynb"
            if self.only and run.name not in self.only and run.name in last:
                record = run_record(kept) if kept.is_file() and not kept.is_symlink() else None
                if record is not None and digest(kept) == last[run.name]["digest"]:
                    run.status, run.executed, run.key, run.parameters = "kept", str(kept), *record.values()
                    continue
                self.say(f"  executed/{kept.name}: missing or changed since it was published; it runs again")
                values = {run.name: (record or last[run.name])["parameters"]}
                try:  # the values it was run with, if its chapter still allows them all
                    run.parameters = resolve([chapter], {}, values)[run.name]
                except ParameterError as exc:
                    self.say(f"  {run.name}: its last values are not allowed ({exc}); it runs with defaults")
            run.key = cache_key(inputs.notebooks[run.name], run.parameters, inputs.data_hash, inputs.lib_hash)
            if (hit := None if self.force else self.cached(run.name, run.key)) is not None:
                run.status, run.executed = "cached", str(hit)
                continue
            params = [(p.name, p.annotation, p.default, p.comment) for p in chapter.parameters]
            output = str(self.scratch / "runs" / f"{run.name}-{run.key}.ipynb")
            log, cwd = str(self.build_dir / "logs" / f"{run.name}.log"), str(chapter.path.parent)
            source, data = str(inputs.notebooks[run.name]), str(inputs.data)
            jobs.append(
                Job(run.name, source, output, run.parameters, params, cwd, log, run.key, data, self.timeout)
            )
        for run in runs.values():
            if run.status != "executed":
                report(run)
        jobs.sort(key=lambda job: last.get(job.name, {}).get("seconds") or 0.0, reverse=True)  # longest first
        workers = max(1, min(self.jobs or os.cpu_count() or 1, len(jobs)))
        if jobs:
            self.say(f"  running {len(jobs)} chapter(s) on {workers} worker(s)")
            (self.scratch / "runs").mkdir(exist_ok=True)

        def finished(job: Job, seconds: float, error: str | None) -> None:
            run = runs[job.name]
            run.seconds, run.executed = seconds, job.output
            if error:  # its executed copy kept (an older failure's would mislead), named in the user's files
                kept = self.build_dir / "failed" / f"{job.name}.ipynb"
                kept.parent.mkdir(exist_ok=True)
                kept.unlink(missing_ok=True)
                if Path(job.output).exists():
                    shutil.copyfile(job.output, kept)
                source = next(c.path for c in chapters if c.name == job.name)
                error = error.replace(str(inputs.data), str(inputs.origin)).replace(job.source, str(source))
                run.status = "refused" if error.startswith(REFUSED) else "failed"
                run.error, run.executed = error, str(kept) if kept.exists() else ""
            report(run, f" {seconds:5.1f} s")

        run_jobs(jobs, workers, finished)
        return list(runs.values())

    def cached(self, name: str, key: str) -> Path | None:
        """The published cache entry of run ``key``, if whole: its name ends in its bytes' digest,
        so an entry cut short or edited since it was filed is never served."""
        cache = self.build_dir / "cache"
        for entry in sorted(cache.glob(f"{name}-{key}-*.ipynb")) if cache.is_dir() else ():
            whole = entry.is_file() and not entry.is_symlink() and digest(entry).startswith(entry.stem[-16:])
            if whole:
                return entry
            self.say(f"  {entry.name}: changed or cut short since it was filed; the chapter runs again")
        return None

    def publish(self, site: Path, runs: list[ChapterRun], status: dict[str, Any]) -> None:
        """Lay out a new generation and make it current, the one commit point: the rendered site,
        each run's executed copy, ``status.json``, and the cache (the published entries carried over
        as hard links, as entries are never written in place, or copies where the file system refuses
        links; each new run filed under its key and its bytes' digest). One never published is removed."""
        gen, cache = folder.new_generation(self.build_dir), self.build_dir / "cache"
        try:
            site.rename(gen / "html")
            (gen / "executed").mkdir()
            (gen / "cache").mkdir()
            for entry in cache.iterdir() if cache.is_dir() else ():
                if entry.is_file() and not entry.is_symlink():
                    try:
                        os.link(entry, gen / "cache" / entry.name)
                    except OSError:
                        shutil.copyfile(entry, gen / "cache" / entry.name)
            for run in runs:
                run.digest = digest(Path(run.executed))
                shutil.copyfile(run.executed, gen / "executed" / f"{run.name}.ipynb")
                if not (filed := gen / "cache" / f"{run.name}-{run.key}-{run.digest[:16]}.ipynb").exists():
                    shutil.copyfile(run.executed, filed)
            status["site"] = folder_hash(gen / "html", "site file")
            status["chapters"] = [{k: v for k, v in asdict(r).items() if k != "executed"} for r in runs]
            (gen / "status.json").write_text(json.dumps(status, indent=2, default=repr) + "\n", "utf-8")
            folder.commit(self.build_dir, gen, self.held)
        except BaseException:
            if not folder.published():
                shutil.rmtree(gen, ignore_errors=True)
            raise

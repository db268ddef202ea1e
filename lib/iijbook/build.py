"""Build the book: papermill runs each chapter, then jupyter-book renders.

The steps, each in its own function:

1. :func:`execute_chapter` runs one notebook with papermill into
   ``_build/executed/`` (the source notebook is never written to), then hides
   the parameters cell and papermill's injected cell from the page and ends
   the page with the parameters it ran with. Runs are cached by a key over
   the notebook, its parameters, the data files and the lib.
2. :func:`stage` lays out a copy of the book whose chapters are those
   executed notebooks.
3. :func:`render` runs ``jupyter-book build`` on the copy with execution off
   and warnings as errors.
4. :func:`publish` swaps the new site into ``_build/html`` only when every
   step succeeded, so a failed build leaves the previous site as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from . import render as render_mod
from .chapters import Chapter, discover, project_root, toc_files
from .data import data_dir, data_hash

#: Files and folders at the top of the project that the staged book needs.
BOOK_FILES = ("_config.yml", "_toc.yml")
BOOK_DIRS = ("_static",)


class BuildError(RuntimeError):
    """A build that cannot go on; the message says which step and why."""


@dataclass
class ChapterRun:
    """What happened to one chapter in one build."""

    name: str
    parameters: dict[str, Any]
    seconds: float = 0.0
    cached: bool = False
    reused: bool = False
    error: str | None = None
    executed: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BuildResult:
    runs: list[ChapterRun] = field(default_factory=list)
    seconds: float = 0.0
    site: str = ""


# --------------------------------------------------------------------------
# cache keys
def _tree_hash(root: Path, pattern: str = "*") -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def lib_hash() -> str:
    """A hash over the helper package's source."""
    return _tree_hash(Path(__file__).resolve().parent, "*.py")[:16]


def cache_key(notebook: Path, parameters: dict[str, Any], data: str, lib: str) -> str:
    """The cache key of one chapter run: notebook bytes, parameters, data and lib."""
    h = hashlib.sha256()
    h.update(notebook.read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=repr).encode())
    h.update(data.encode())
    h.update(lib.encode())
    return h.hexdigest()[:20]


# --------------------------------------------------------------------------
# 1. execute
def _parameters_footer(chapter_params: list[tuple[str, str, Any, str]], given: dict) -> str:
    lines = [
        "```{admonition} Parameters of this run",
        ":class: note",
        "",
        "This page was executed with the parameters below "
        "(see *How to re-run a chapter* in the introduction to change them).",
        "",
        "| parameter | value | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, _ann, default, comment in chapter_params:
        value = given.get(name, default)
        mark = " (changed)" if name in given and given[name] != default else ""
        lines.append(f"| `{name}` | `{value!r}`{mark} | `{default!r}` | {comment} |")
    lines.append("```")
    return "\n".join(lines)


def postprocess(nb: nbformat.NotebookNode, chapter_params: list, given: dict) -> None:
    """Hide the parameter cells from the page and append the parameters of the run."""
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    footer = nbformat.v4.new_markdown_cell(_parameters_footer(chapter_params, given))
    footer.id = "run-parameters"
    nb.cells.append(footer)


def _cell_id(notebook: str, index: int) -> str:
    """`` (id ...)`` of a cell of an executed notebook, or nothing if unreadable."""
    try:
        cell = nbformat.read(notebook, as_version=4).cells[index]
    except (OSError, IndexError, ValueError):
        return ""
    return f" (id {cell.get('id')})" if cell.get("id") else ""


def execute_chapter(
    source: str, output: str, parameters: dict[str, Any], chapter_params: list, cwd: str
) -> tuple[float, str | None]:
    """Run one chapter with papermill; return (seconds, error or None).

    Runs in a worker process. The executed copy is written to ``output``
    whether or not the run succeeds, so a failure can be inspected.
    """
    import logging

    import papermill as pm

    # The build checks parameters itself (papermill cannot read "float | None").
    logging.getLogger("papermill").setLevel(logging.ERROR)
    start = time.perf_counter()
    error: str | None = None
    try:
        pm.execute_notebook(
            source,
            output,
            parameters=parameters,
            kernel_name="python3",
            cwd=cwd,
            progress_bar=False,
            log_output=False,
            report_mode=False,
        )
    except pm.PapermillExecutionError as exc:
        error = f"cell {exc.cell_index}{_cell_id(output, exc.cell_index)} raised {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, bad notebook, missing kernel
        error = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    if error is None:
        nb = nbformat.read(output, as_version=4)
        postprocess(nb, chapter_params, parameters)
        nbformat.write(nb, output)
    return seconds, error


# --------------------------------------------------------------------------
# 2. stage
def _sync_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` unless identical (so Sphinx sees no change)."""
    if dst.exists() and dst.read_bytes() == src.read_bytes():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def stage(root: Path, stage_dir: Path, executed: dict[str, Path]) -> None:
    """Lay out the book in ``stage_dir`` with executed notebooks for chapters."""
    wanted: set[Path] = set()
    for name in BOOK_FILES:
        wanted.add(Path(name))
    for folder in BOOK_DIRS:
        for path in (root / folder).rglob("*"):
            if path.is_file():
                wanted.add(path.relative_to(root))
    for entry in toc_files(root):
        for ext in (".md", ".ipynb"):
            if (root / f"{entry}{ext}").exists():
                wanted.add(Path(f"{entry}{ext}"))
    for rel in sorted(wanted):
        src = executed.get(rel.stem) if rel.suffix == ".ipynb" else None
        _sync_file(src or root / rel, stage_dir / rel)
    # drop files that are no longer part of the book
    for path in sorted(stage_dir.rglob("*"), reverse=True):
        rel = path.relative_to(stage_dir)
        if path.is_file() and rel not in wanted and rel.parts[0] != "_build":
            path.unlink()


# --------------------------------------------------------------------------
# 3. render
def render(stage_dir: Path) -> Path:
    """Run jupyter-book on the staged copy; raise :class:`BuildError` on any warning."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(stage_dir), "--builder", "html", "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_child_env())
    if proc.returncode != 0:
        out = (proc.stdout + proc.stderr).splitlines()
        problems = [line for line in out if "WARNING" in line or "ERROR" in line or "Error" in line]
        detail = "\n".join(problems[-20:] or out[-20:])
        raise BuildError(f"jupyter-book failed (exit {proc.returncode}):\n{detail}")
    return stage_dir / "_build" / "html"


# --------------------------------------------------------------------------
# 4. publish
def publish(new_site: Path, site: Path) -> None:
    """Replace ``site`` with a copy of ``new_site`` in one rename."""
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
def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


@contextlib.contextmanager
def build_lock(build_dir: Path):
    """Hold an exclusive lock on the build folder, or fail at once with a clear message."""
    build_dir.mkdir(parents=True, exist_ok=True)
    handle = open(build_dir / ".lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BuildError(
            f"another build is running in {build_dir} (lock {build_dir / '.lock'} is held); "
            "wait for it to finish"
        ) from None
    try:
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _say(message: str) -> None:
    print(message, flush=True)


def build(
    parameters: dict[str, dict[str, Any]],
    *,
    root: Path | None = None,
    build_dir: Path | None = None,
    only: list[str] | None = None,
    force: bool = False,
    jobs: int | None = None,
) -> BuildResult:
    """Execute the chapters and render the site; raise :class:`BuildError` on failure.

    ``parameters`` maps chapter name to the values it overrides. ``only``
    re-runs just those chapters and keeps the others' last executed copies.
    """
    root = root or project_root()
    build_dir = build_dir or root / "_build"
    started = time.perf_counter()
    os.environ["PATH"] = _child_env()["PATH"]
    chapters: list[Chapter] = discover(root)
    names = [c.name for c in chapters]
    with build_lock(build_dir):
        executed_dir = build_dir / "executed"
        cache_dir = build_dir / "cache"
        for d in (executed_dir, cache_dir):
            d.mkdir(parents=True, exist_ok=True)
        render_mod.write_bundle(root / "_static")
        dhash, lhash = data_hash(data_dir()), lib_hash()

        runs: dict[str, ChapterRun] = {}
        todo: list[tuple[Chapter, str]] = []
        for chapter in chapters:
            given = parameters.get(chapter.name, {})
            executed = executed_dir / f"{chapter.name}.ipynb"
            run = ChapterRun(chapter.name, given, executed=str(executed))
            runs[chapter.name] = run
            if only and chapter.name not in only and executed.exists():
                run.reused = True
                run.parameters = _recorded_parameters(build_dir, chapter.name)
                continue
            key = cache_key(chapter.path, given, dhash, lhash)
            cached = cache_dir / f"{chapter.name}-{key}.ipynb"
            if cached.exists() and not force:
                shutil.copy2(cached, executed)
                run.cached = True
                continue
            todo.append((chapter, key))

        if todo:
            workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {}
                for chapter, key in todo:
                    out = build_dir / "running" / f"{chapter.name}.ipynb"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    meta = [(p.name, p.annotation, p.default, p.comment) for p in chapter.parameters]
                    fut = pool.submit(
                        execute_chapter,
                        str(chapter.path),
                        str(out),
                        runs[chapter.name].parameters,
                        meta,
                        str(chapter.path.parent),
                    )
                    futures[fut] = (chapter, key, out)
                for fut, (chapter, key, out) in futures.items():
                    seconds, error = fut.result()
                    run = runs[chapter.name]
                    run.seconds = seconds
                    if error:
                        failed = build_dir / "failed" / f"{chapter.name}.ipynb"
                        failed.parent.mkdir(parents=True, exist_ok=True)
                        if out.exists():
                            shutil.move(str(out), failed)
                        run.error = f"{error}; executed copy kept at {failed}"
                        run.executed = str(failed)
                    else:
                        shutil.copy2(out, cache_dir / f"{chapter.name}-{key}.ipynb")
                        shutil.move(str(out), build_dir / "executed" / f"{chapter.name}.ipynb")

        ordered = [runs[n] for n in names]
        for run in ordered:
            status = "reused" if run.reused else "cached" if run.cached else "executed"
            if run.error:
                status = "FAILED"
            _say(f"  {run.name:<24} {status:<9} {run.seconds:6.1f} s")
        failures = [r for r in ordered if r.error]
        if failures:
            lines = [f"chapter {r.name}: {r.error}" for r in failures]
            raise BuildError(
                f"{len(failures)} of {len(ordered)} chapters failed; the site was not changed:\n"
                + "\n".join(lines)
            )

        stage_dir = build_dir / "stage"
        stage(root, stage_dir, {n: executed_dir / f"{n}.ipynb" for n in names})
        new_site = render(stage_dir)
        site = build_dir / "html"
        publish(new_site, site)
        result = BuildResult(ordered, time.perf_counter() - started, str(site))
        _write_status(build_dir, result, dhash, lhash)
        return result


def _recorded_parameters(build_dir: Path, name: str) -> dict[str, Any]:
    status = build_dir / "status.json"
    if not status.exists():
        return {}
    runs = json.loads(status.read_text()).get("chapters", [])
    return next((r["parameters"] for r in runs if r["name"] == name), {})


def _write_status(build_dir: Path, result: BuildResult, dhash: str, lhash: str) -> None:
    status = {
        "seconds": round(result.seconds, 2),
        "data_hash": dhash,
        "lib_hash": lhash,
        "chapters": [{k: v for k, v in asdict(r).items() if k != "executed"} for r in result.runs],
    }
    (build_dir / "status.json").write_text(json.dumps(status, indent=2, default=repr) + "\n")

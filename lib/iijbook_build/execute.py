"""Run one chapter with papermill, and the cache that lets a rebuild skip it.

A run is keyed by the notebook's bytes, the parameters it gets, a hash of the
data files and a hash of this package: change any of them and the chapter
runs again; change none and its last executed copy is reused.

>>> key = cache_key(Path(__file__), {"jpy_per_usd": 150.0}, "d", "l")
>>> len(key), key == cache_key(Path(__file__), {"jpy_per_usd": 150.0}, "d", "l")
(20, True)
>>> key == cache_key(Path(__file__), {"jpy_per_usd": 151.0}, "d", "l")
False
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .inputs import read_bytes


@dataclass
class ChapterRun:
    """What happened to one chapter in one build."""

    name: str
    parameters: dict[str, Any]
    seconds: float = 0.0
    status: str = "executed"  # executed | cached | kept | failed
    error: str | None = None
    executed: str = ""
    key: str = ""  # the run's cache key, shown on its page and the status page
    digest: str = ""  # SHA-256 of the executed copy as published


def _tree_hash(root: Path, pattern: str) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob(pattern)):
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            h.update(os.fsencode(path.relative_to(root).as_posix()))
            h.update(path.read_bytes())
    return h.hexdigest()


def lib_hash() -> str:
    """A short hash over the helper package's source files (what the chapters import).

    The build tool itself is not part of it: editing the command, the build or
    the benchmark re-runs no chapter.
    """
    import iijbook

    return _tree_hash(Path(iijbook.__file__).resolve().parent, "*.py")[:16]


def data_hash(directory: Path) -> str:
    """A short SHA-256 over every data file (names and bytes), for status pages and caches.

    Regular files only (a named pipe or device in the folder is left out, never
    opened), read through :func:`iijbook_build.inputs.read_bytes`; a file that
    cannot be read raises :class:`iijbook_build.inputs.InputError` naming it.
    """
    h = hashlib.sha256()
    root = directory
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(os.fsencode(path.relative_to(root).as_posix()))
            h.update(read_bytes(path, "data file", 64 << 20))
    return h.hexdigest()[:16]


def cache_key(notebook: Path, parameters: dict[str, Any], data: str, lib: str) -> str:
    """The cache key of one chapter run: notebook bytes, parameters, data hash, lib hash."""
    h = hashlib.sha256()
    h.update(notebook.read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=repr).encode())
    h.update(data.encode())
    h.update(lib.encode())
    return h.hexdigest()[:20]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def parameters_footer(chapter_params: list[tuple[str, str, Any, str]], given: dict, key: str = "") -> str:
    """The admonition that ends each page: the parameters it was run with, and the run's key.

    The key (of notebook, parameters, data and lib) is also on the Build status
    page, and the build checks that every page it publishes carries its run's key.
    """
    run = f" Its run is `{key}`, as listed on the build status page." if key else ""
    lines = [
        "```{admonition} Parameters of this run",
        ":class: note",
        "",
        "This page was executed with the parameters below "
        f"(see *How to re-run a chapter* in the introduction to change them).{run}",
        "",
        "| parameter | value | default | allowed, and meaning |",
        "|---|---|---|---|",
    ]
    for name, _annotation, default, comment in chapter_params:
        value = given.get(name, default)
        mark = " (changed)" if name in given and given[name] != default else ""
        value_text, default_text = _md_cell(repr(value)), _md_cell(repr(default))
        lines.append(f"| `{name}` | `{value_text}`{mark} | `{default_text}` | {_md_cell(comment)} |")
    lines.append("```")
    return "\n".join(lines)


def changed_banner(chapter_params: list[tuple[str, str, Any, str]], given: dict) -> str:
    """The notice at the top of a page run with parameters other than its defaults; "" if none differ.

    >>> params = [("guidance_point", "str", "mid", "[low | mid | high] ..."), ("rate", "float", 2.0, "")]
    >>> banner = changed_banner(params, {"guidance_point": "low", "rate": 2.0})
    >>> banner.splitlines()[0], "`guidance_point = 'low'` (the default is `'mid'`)" in banner
    ('```{admonition} Not the default run', True)
    >>> changed_banner(params, {"rate": 2.0})
    ''
    """
    changed = [
        f"`{name} = {_md_cell(repr(given[name]))}` (the default is `{_md_cell(repr(default))}`)"
        for name, _annotation, default, _comment in chapter_params
        if name in given and given[name] != default
    ]
    if not changed:
        return ""
    listed = changed[0] if len(changed) == 1 else ", ".join(changed[:-1]) + " and " + changed[-1]
    depends = "it" if len(changed) == 1 else "them"
    return "\n".join(
        [
            "```{admonition} Not the default run",
            ":class: important",
            "",
            f"This page was run with {listed}; every figure that depends on {depends} follows. "
            "*Parameters of this run*, at the end of the page, lists them all.",
            "```",
        ]
    )


def _with_banner(nb: nbformat.NotebookNode, banner: str) -> None:
    """Put ``banner`` right under the page's title (the first heading of its first markdown cell)."""
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is None:
        return
    title, sep, rest = first.source.partition("\n")
    if not title.startswith("# "):
        first.source = f"{banner}\n\n{first.source}"
        return
    first.source = f"{title}\n\n{banner}\n{sep}{rest}"


#: Where an executed copy records which run it is (see :func:`run_record`).
RECORD = "iijbook"


def postprocess(nb: nbformat.NotebookNode, chapter_params: list, given: dict, key: str = "") -> None:
    """Hide the parameters cells, say at the top of the page which parameters differ from the
    defaults (if any), append the parameters of the run, and record the run in the notebook."""
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    banner = changed_banner(chapter_params, given)
    if banner:
        _with_banner(nb, banner)
    footer = nbformat.v4.new_markdown_cell(parameters_footer(chapter_params, given, key))
    footer.id = "run-parameters"
    nb.cells.append(footer)
    # papermill's timings would make two builds of the same inputs differ
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nb.metadata[RECORD] = {"key": key, "parameters": given}


def run_record(path: Path) -> dict[str, Any] | None:
    """What an executed copy says of its run (``key``, ``parameters``), or None if it is unreadable.

    A truncated or foreign file (a cache entry cut short by a full disk, a file
    edited by hand) reads as None, and the build runs the chapter again.
    """
    from .inputs import read_text

    try:
        nb = nbformat.reads(read_text(path, "executed copy", 256 * 1024 * 1024), as_version=4)
        record = nb.metadata.get(RECORD)
    except Exception:  # any way a file can fail to be an executed copy
        return None
    if not isinstance(record, dict) or not isinstance(record.get("parameters"), dict):
        return None
    return {"key": str(record.get("key", "")), "parameters": record["parameters"]}


def failing_cell(executed: str, source: str) -> str:
    """Where a run failed, as ``cell N (id ...)`` counted in the source notebook.

    papermill's own index counts the cells it adds (injected parameters, an
    error banner); the cell id is stable, so the failing cell is found by id.
    """
    try:
        run = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return "a cell"
    for cell in run.cells:
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return _cell_name(cell.get("id"), source)
    return "a cell"


def hint(ename: str, evalue: str, log: str = "") -> str:
    """What to do about an error that says the environment lacks something, or ``""``.

    >>> hint("ModuleNotFoundError", "No module named 'statsmodels.api'")
    '; add the package that provides statsmodels to requirements.in, run make lock, then make venv'
    >>> hint("NoSuchKernel", "No such kernel named python3")
    '; there is no python3 kernel: ipykernel is missing from .venv, run make venv'
    """
    if ename == "ModuleNotFoundError":
        found = re.search(r"No module named '([^']+)'", evalue)
        top = found.group(1).split(".")[0] if found else "it"
        if top in ("iijbook", "ipykernel", "ipykernel_launcher"):
            return f"; {top} is missing from .venv: run make venv"
        return f"; add the package that provides {top} to requirements.in, run make lock, then make venv"
    if ename == "NoSuchKernel":
        return "; there is no python3 kernel: ipykernel is missing from .venv, run make venv"
    if "died before replying to kernel_info" in evalue:
        return _kernel_start_hint(log)
    if ename == "DeadKernelError":
        return f"; the kernel died while running the chapter (out of memory?): its messages are in {log}"
    return ""


#: How often a chapter is started again when its kernel could not open its port.
PORT_RETRIES = 2


def _port_taken(exc: Exception, log_fd: int) -> bool:
    """Whether a kernel failed to start because another process took its port first."""
    if "kernel_info" not in str(exc):
        return False
    size = os.fstat(log_fd).st_size
    return b"Address already in use" in os.pread(log_fd, min(size, 1 << 20), 0)


def _kernel_start_hint(log: str) -> str:
    """Why the python3 kernel did not start: which kernelspec, which Python, what it lacked."""
    spec = ""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        ks = KernelSpecManager().get_kernel_spec("python3")
        spec = f" (kernelspec {ks.resource_dir}, which runs {ks.argv[0]})"
    except Exception:  # a hint must never fail the report
        pass
    try:
        text = Path(log).read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    if "Address already in use" in text:
        return "; the kernel could not open its port (another program took it at that moment): build again"
    missing = re.search(r"No module named '?([\w.]+)'?", text)
    why = f": {missing.group(0)}" if missing else f"; its messages are in {log}"
    return (
        f"; the python3 kernel{spec} did not start{why}. Run make venv; if that kernelspec is not "
        "the one in .venv, remove it (jupyter kernelspec remove python3)"
    )


#: The largest executed copy a page is made from (the book's largest is about 2 MB).
MAX_EXECUTED_BYTES = 32 * 1024 * 1024


class OverTime(Exception):
    """The chapter's time limit ran out between two cells."""


def _too_large(job: Job) -> str:
    """Why an executed copy is too large to make a page of: its size, and the cell with most output."""
    mb = 2**20
    size = os.path.getsize(job.output) / mb
    try:
        cells = nbformat.read(job.output, as_version=4).cells
        sizes = [(len(json.dumps(c.get("outputs", []))), c.get("id")) for c in cells]
        most, cell_id = max(sizes)
        where = f"{_cell_name(cell_id, job.source)} wrote {most / mb:.0f} MB of output"
    except Exception:
        where = "a cell wrote too much output"
    limit = MAX_EXECUTED_BYTES / mb
    return f"its executed copy is {size:.0f} MB, over the {limit:.0f} MB a page may hold: {where}"


@dataclass
class Job:
    """One chapter for a worker to run: everything it needs, nothing it must look up."""

    name: str
    source: str  #: the notebook to run (the build's snapshot of the chapter)
    output: str  #: where the executed copy goes
    parameters: dict[str, Any]
    chapter_params: list  #: (name, annotation, default, comment) of each declared parameter
    cwd: str  #: the chapter's folder, as in JupyterLab
    log: str  #: the kernel's own messages
    key: str  #: the run's cache key, recorded in the executed copy
    data: str  #: the data folder the kernel reads (the build's snapshot)
    timeout: float  #: seconds the whole chapter may take


def _cell_name(cell_id: str | None, source: str) -> str:
    """A cell of the source notebook as :func:`failing_cell` names it: ``cell N (id ...)``."""
    try:
        ids = [c.get("id") for c in nbformat.read(source, as_version=4).cells]
    except Exception:
        ids = []
    if cell_id in ids:
        return f"cell {ids.index(cell_id)} (id {cell_id})"
    return f"cell id {cell_id}" if cell_id else "a cell"


def execute_chapter(job: Job) -> tuple[float, str | None]:
    """Run one chapter with papermill; return (seconds, error or None).

    Runs in a worker process. The kernel reads the data from ``job.data`` and
    its own messages go to ``job.log``. The whole chapter shares one time
    budget: each cell may take what is left of it. The executed copy is written
    to ``job.output`` whether or not the run succeeds, so a failure can be inspected.
    """
    import logging

    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    # The build checks parameters itself (papermill cannot read "float | None").
    logging.getLogger("papermill").setLevel(logging.ERROR)
    from .evalfill import ENGINE, EvalError, fill_markdown

    os.environ["IIJBOOK_DATA_DIR"] = job.data  # the kernel inherits it
    os.environ["IIJBOOK_TARGET"] = "site"  # charts for the site: interactive, without a static copy
    Path(job.log).parent.mkdir(parents=True, exist_ok=True)
    # a new file each run, never one opened through a link: the old log goes first
    with contextlib.suppress(FileNotFoundError):
        os.unlink(job.log)
    log_fd = os.open(job.log, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    saved_stderr = os.dup(2)
    os.dup2(log_fd, 2)  # the kernel inherits it
    start = time.perf_counter()
    deadline = time.monotonic() + job.timeout
    current: dict[str, Any] = {}

    def time_left(cell: nbformat.NotebookNode) -> int:
        """The chapter's time limit, shared by its cells: what is left of it when a cell starts."""
        current["id"] = cell.get("id")
        left = deadline - time.monotonic()
        if left <= 0:
            raise OverTime
        return max(1, math.ceil(left))

    error: str | None = None

    def run() -> None:
        pm.execute_notebook(
            job.source,
            job.output,
            parameters=job.parameters,
            kernel_name="python3",
            engine_name=ENGINE,  # papermill's, which also answers the markdown's {eval} roles
            cwd=job.cwd,
            progress_bar=False,
            log_output=False,
            # write the executed copy once, at the end (or with the traceback on failure),
            # not after every cell: that rewrote large chart outputs dozens of times
            request_save_on_cell_execute=False,
            # every output is in once the last cell is idle: stop the kernel at once rather
            # than wait for it to wind down (half a second a chapter)
            shutdown_kernel="immediate",
            # the chapter's time limit: each cell gets what is left of it
            timeout_func=time_left,
        )

    try:
        for attempt in range(PORT_RETRIES + 1):
            try:
                run()
                break
            except RuntimeError as exc:
                # two kernels started at once can pick the same free port: start this one again
                if attempt == PORT_RETRIES or not _port_taken(exc, log_fd):
                    raise
                os.ftruncate(log_fd, 0)
                os.lseek(log_fd, 0, os.SEEK_SET)  # the kernel's stderr shares this offset
    except pm.PapermillExecutionError as exc:
        error = f"{failing_cell(job.output, job.source)} raised {exc.ename}: {exc.evalue}"
        error += hint(exc.ename, exc.evalue)
    except (CellTimeoutError, OverTime):
        error = (
            f"{_cell_name(current.get('id'), job.source)} was still running when the chapter reached its "
            f"time limit of {job.timeout:g} s (set it with --timeout SECONDS)"
        )
    except Exception as exc:  # kernel died or missing, unreadable notebook
        error = f"{type(exc).__name__}: {exc}" + hint(type(exc).__name__, str(exc), job.log)
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(log_fd)
    seconds = time.perf_counter() - start
    if error is None and os.path.getsize(job.output) > MAX_EXECUTED_BYTES:
        error = _too_large(job)
    if error is None:
        nb = nbformat.read(job.output, as_version=4)
        try:
            fill_markdown(nb)
        except EvalError as exc:
            return seconds, f"{_cell_name(exc.cell_id, job.source)}: {exc}"
        postprocess(nb, job.chapter_params, job.parameters, job.key)
        nbformat.write(nb, job.output)
    return seconds, error

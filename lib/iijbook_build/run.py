"""Run chapters with papermill: one run per chapter, in worker processes, each within its time limit.

A run is keyed by the notebook's bytes, the parameters it gets, a hash of the data and a hash
of the helper package (:func:`cache_key`): change any of them and the chapter runs again. What
stays here besides papermill's call: the chapter's one time budget shared by its cells (papermill
times cells one by one), the cell a failure happened in counted in the source notebook
(papermill counts the cells it adds), what to do when the environment lacks something, and a
pool whose workers and kernels die with their build.

>>> key = cache_key(Path(__file__), {"jpy_per_usd": 150.0}, "d", "l")
>>> len(key), key == cache_key(Path(__file__), {"jpy_per_usd": 151.0}, "d", "l")
(20, False)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import signal
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .inputs import read_bytes, tree_hash

#: The largest executed copy a page is made from (the book's largest is about 2 MB).
MAX_EXECUTED_BYTES = 32 << 20
#: Where an executed copy records which run it is (see :func:`run_record`).
RECORD = "iijbook"
#: How often a run is started again when its kernel could not open its port.
PORT_RETRIES = 2


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


def digest(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lib_hash() -> str:
    """A short hash over the helper package's source files (what the chapters import); the build
    tool is not part of it, so editing the build re-runs no chapter."""
    import iijbook

    package = Path(iijbook.__file__).resolve().parent
    return tree_hash((p.relative_to(package).as_posix(), p) for p in package.rglob("*.py"))[:16]


def data_hash(directory: Path) -> str:
    """A short hash over every regular file of the data folder (names and bytes); a pipe or a
    device is left out, never opened, and a file that cannot be read is named."""
    files = [(p.relative_to(directory).as_posix(), p) for p in directory.rglob("*") if p.is_file()]
    return tree_hash(files, "data file")[:16]


def cache_key(notebook: Path, parameters: dict[str, Any], data: str, lib: str) -> str:
    """The key of one chapter run: notebook bytes, parameters, data hash, lib hash."""
    h = hashlib.sha256(notebook.read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=repr).encode() + data.encode() + lib.encode())
    return h.hexdigest()[:20]


# -- what a page adds to its run --------------------------------------------------------------
def _md(value: Any) -> str:
    return repr(value).replace("|", "\\|")


def changed_banner(chapter_params: list[tuple[str, str, Any, str]], given: dict) -> str:
    """The notice under a page's title when it ran with other than its defaults; "" if none differ.

    >>> params = [("guidance_point", "str", "mid", "[low | mid | high] ..."), ("rate", "float", 2.0, "")]
    >>> banner = changed_banner(params, {"guidance_point": "low", "rate": 2.0})
    >>> banner.splitlines()[0], "`guidance_point = 'low'` (the default is `'mid'`)" in banner
    ('```{admonition} Not the default run', True)
    """
    changed = [
        f"`{name} = {_md(given[name])}` (the default is `{_md(default)}`)"
        for name, _annotation, default, _comment in chapter_params
        if name in given and given[name] != default
    ]
    if not changed:
        return ""
    listed = changed[0] if len(changed) == 1 else ", ".join(changed[:-1]) + " and " + changed[-1]
    them = "it" if len(changed) == 1 else "them"
    said = f"This page was run with {listed}; every figure that depends on {them} follows."
    said += " *Parameters of this run*, at the end of the page, lists them all."
    return f"```{{admonition}} Not the default run\n:class: important\n\n{said}\n```"


def parameters_footer(chapter_params: list[tuple[str, str, Any, str]], given: dict, key: str = "") -> str:
    """The box that ends each page: the parameters it ran with, and the run's key (also on the
    Build status page; the build checks that every page it publishes carries it)."""
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
        meaning = comment.replace("|", "\\|")
        lines.append(f"| `{name}` | `{_md(value)}`{mark} | `{_md(default)}` | {meaning} |")
    return "\n".join([*lines, "```"])


def postprocess(nb: nbformat.NotebookNode, chapter_params: list, given: dict, key: str = "") -> None:
    """Hide the parameters cells, put the banner under the title, end with the parameters of the
    run, drop papermill's timings (two builds of the same inputs give the same pages), and record
    the run in the notebook."""
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    banner = changed_banner(chapter_params, given)
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if banner and first is not None:
        title, sep, rest = first.source.partition("\n")
        heading = title.startswith("# ")
        first.source = f"{title}\n\n{banner}\n{sep}{rest}" if heading else f"{banner}\n\n{first.source}"
    footer = nbformat.v4.new_markdown_cell(parameters_footer(chapter_params, given, key))
    footer.id = "run-parameters"
    nb.cells.append(footer)
    nb.metadata.pop("papermill", None)
    nb.metadata[RECORD] = {"key": key, "parameters": given}


def run_record(path: Path) -> dict[str, Any] | None:
    """What an executed copy says of its run (``key``, ``parameters``); None if it is not one (cut
    short, edited by hand, foreign): the build then runs the chapter again."""
    try:
        record = nbformat.reads(read_bytes(path, "", 256 << 20).decode(), as_version=4).metadata.get(RECORD)
    except Exception:  # any way a file can fail to be an executed copy
        return None
    if not isinstance(record, dict) or not isinstance(record.get("parameters"), dict):
        return None
    return {"key": str(record.get("key", "")), "parameters": record["parameters"]}


# -- one run ----------------------------------------------------------------------------------
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


def cell_name(cell_id: str | None, source: str) -> str:
    """A cell of the source notebook as a message names it: ``cell N (id ...)``."""
    try:
        ids = [c.get("id") for c in nbformat.read(source, as_version=4).cells]
    except Exception:
        ids = []
    if cell_id in ids:
        return f"cell {ids.index(cell_id)} (id {cell_id})"
    return f"cell id {cell_id}" if cell_id else "a cell"


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
    if ename == "DeadKernelError":
        return f"; the kernel died while running the chapter (out of memory?): its messages are in {log}"
    if "died before replying to kernel_info" not in evalue:
        return ""
    spec = ""
    with contextlib.suppress(Exception):  # a hint must never fail the report
        from jupyter_client.kernelspec import KernelSpecManager

        ks = KernelSpecManager().get_kernel_spec("python3")
        spec = f" (kernelspec {ks.resource_dir}, which runs {ks.argv[0]})"
    text = Path(log).read_text(encoding="utf-8", errors="replace") if Path(log).is_file() else ""
    if "Address already in use" in text:
        return "; the kernel could not open its port (another program took it at that moment): build again"
    missing = re.search(r"No module named '?([\w.]+)'?", text)
    why = f": {missing.group(0)}" if missing else f"; its messages are in {log}"
    return (
        f"; the python3 kernel{spec} did not start{why}. Run make venv; if that kernelspec is not "
        "the one in .venv, remove it (jupyter kernelspec remove python3)"
    )


class OverTime(Exception):
    """The chapter's time limit ran out between two cells."""


class _Kernel:
    """A python3 kernel this process started, its own messages going to an unnamed file.

    A worker keeps its kernel for its next chapter (see :func:`worker_init`): starting one and
    importing pandas and Altair is about 2 of a chapter's 5 CPU seconds. Before each later chapter
    :data:`RESET` empties its namespace and starts a new history session (cells count from 1
    again), sets the run's folder and data, and forgets the helper package, whose modules the
    chapter then imports afresh (0.05 s; their state, such as a chart counter, starts anew). The
    executed copy is the one a fresh kernel writes (tests/test_build.py compares the two).
    """

    RESET = (
        "get_ipython().reset(new_session=True)\nimport os, sys\n"
        "os.chdir({cwd!r})\nos.environ.update({env!r})\n"
        "[sys.modules.pop(m) for m in list(sys.modules) if m.split('.')[0] == 'iijbook']\ndel os, sys\n"
    )

    def __init__(self, cwd: str, env: dict[str, str]) -> None:
        from jupyter_client.manager import AsyncKernelManager  # nbclient's: its time limits need it
        from jupyter_core.utils import run_sync

        self.log, self.runs = tempfile.TemporaryFile(), 0
        self.km = AsyncKernelManager(kernel_name="python3")
        run_sync(self.km.start_kernel)(cwd=cwd, env={**os.environ, **env}, stderr=self.log.fileno())

    def prelude(self, cwd: str, env: dict[str, str]) -> str:
        self.runs += 1
        return "" if self.runs == 1 else self.RESET.format(cwd=cwd, env=env)

    def said(self, since: int) -> bytes:
        """What the kernel wrote to its log from byte ``since`` on."""
        return os.pread(self.log.fileno(), 1 << 20, since)

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return bool(run_sync(self.km.is_alive)())

    def stop(self) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):
            run_sync(self.km.shutdown_kernel)(now=True)
        self.log.close()


#: This worker's kernel, kept between its chapters; ``None`` until its first. Outside a worker
#: (a run in the caller's own process) there is no entry: each run starts and stops its own.
_kept: dict[str, _Kernel | None] = {}


def _kernel(cwd: str, env: dict[str, str]) -> _Kernel:
    """The kernel for the next run: this worker's kept one if it still lives, else a new one."""
    if (kept := _kept.get("kernel")) and not kept.alive():  # it died since its last run
        _release(kept, keep=False)
    kernel = _kept.get("kernel") or _Kernel(cwd, env)
    if "kernel" in _kept:
        _kept["kernel"] = kernel
    return kernel


def _release(kernel: _Kernel, keep: bool) -> None:
    """Keep a worker's kernel after a run that ended well; stop any other."""
    if not (keep and "kernel" in _kept):
        if _kept.get("kernel") is kernel:
            _kept["kernel"] = None
        kernel.stop()


def execute_chapter(job: Job) -> tuple[float, str | None]:
    """Run one chapter with papermill in this (worker) process; return (seconds, error or None).

    The executed copy is written to ``job.output`` whether or not the run succeeds, so that a
    failure can be inspected; what the kernel itself said during the run goes to ``job.log``. Two
    kernels started at once can pick the same free port: a run whose kernel could not open its
    port is started again, twice at most.
    """
    import logging

    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    from .evalfill import ENGINE, EvalError, fill_markdown

    logging.getLogger("papermill").setLevel(logging.ERROR)  # the build checks the parameters itself
    # the kernel's environment: the run's data; charts for the site, interactive, without a static copy
    env = {"IIJBOOK_DATA_DIR": job.data, "IIJBOOK_TARGET": "site"}
    Path(job.log).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(job.log)  # a new file each run, never one opened through a link
    log_fd = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    start, deadline, current = time.perf_counter(), time.monotonic() + job.timeout, {}

    def time_left(cell: nbformat.NotebookNode) -> int:
        """The chapter's time limit, shared by its cells: what is left of it when a cell starts."""
        current["id"] = cell.get("id")
        if (left := deadline - time.monotonic()) <= 0:
            raise OverTime
        return max(1, math.ceil(left))

    def logged(kernel: _Kernel, since: int) -> bytes:
        """The run's log: what its kernel said in this attempt (an earlier attempt's is dropped)."""
        text = kernel.said(since)
        os.ftruncate(log_fd, 0)
        os.pwrite(log_fd, text, 0)
        return text

    error: str | None = None
    kernel: _Kernel | None = None
    ran = False
    try:
        for attempt in range(PORT_RETRIES + 1):
            kernel = _kernel(job.cwd, env)
            since = os.fstat(kernel.log.fileno()).st_size
            try:
                pm.execute_notebook(
                    job.source, job.output, parameters=job.parameters, kernel_name="python3",
                    engine_name=ENGINE,  # papermill's, which also answers the markdown's {eval} roles
                    cwd=job.cwd, progress_bar=False, log_output=False,
                    request_save_on_cell_execute=False,  # written once, at the end
                    km=kernel.km, prelude=kernel.prelude(job.cwd, env),
                    timeout_func=time_left, keep_on_failure=job.output,
                )  # fmt: skip
                ran = True
                break
            except RuntimeError as exc:
                clash = b"Address already in use" in logged(kernel, since)
                _release(kernel, keep=False)
                kernel = None
                if attempt == PORT_RETRIES or not clash or "kernel_info" not in str(exc):
                    raise
    except pm.PapermillExecutionError as exc:
        error = f"{_failing_cell(job)} raised {exc.ename}: {exc.evalue}" + hint(exc.ename, exc.evalue)
    except (CellTimeoutError, OverTime):
        error = (
            f"{cell_name(current.get('id'), job.source)} was still running when the chapter reached its "
            f"time limit of {job.timeout:g} s (set it with --timeout SECONDS)"
        )
    except Exception as exc:  # the kernel died or is missing, the notebook cannot be read
        error = f"{type(exc).__name__}: {exc}" + hint(type(exc).__name__, str(exc), job.log)
    finally:
        if kernel is not None:
            with contextlib.suppress(OSError):
                logged(kernel, since)
            _release(kernel, keep=ran)  # a kernel a failure or a signal leaves is never kept
        os.close(log_fd)
    seconds = time.perf_counter() - start
    if error is None and os.path.getsize(job.output) > MAX_EXECUTED_BYTES:
        error = _too_large(job)
    if error is None:
        nb = nbformat.read(job.output, as_version=4)
        try:
            fill_markdown(nb)
        except EvalError as exc:
            return seconds, f"{cell_name(exc.cell_id, job.source)}: {exc}"
        postprocess(nb, job.chapter_params, job.parameters, job.key)
        nbformat.write(nb, job.output)
    return seconds, error


def _failing_cell(job: Job) -> str:
    """The cell whose output is an error, found by id (papermill's index counts its own cells)."""
    with contextlib.suppress(OSError, ValueError):
        for cell in nbformat.read(job.output, as_version=4).cells:
            if cell.cell_type == "code" and any(
                o.get("output_type") == "error" for o in cell.get("outputs", [])
            ):
                return cell_name(cell.get("id"), job.source)
    return "a cell"


def _too_large(job: Job) -> str:
    """Why an executed copy is too large to make a page of: its size, and the cell with most output."""
    mb = 1 << 20
    where = "a cell wrote too much output"
    with contextlib.suppress(Exception):
        cells = nbformat.read(job.output, as_version=4).cells
        most, cell_id = max((len(json.dumps(c.get("outputs", []))), c.get("id")) for c in cells)
        where = f"{cell_name(cell_id, job.source)} wrote {most / mb:.0f} MB of output"
    size, limit = os.path.getsize(job.output) / mb, MAX_EXECUTED_BYTES / mb
    return f"its executed copy is {size:.0f} MB, over the {limit:.0f} MB a page may hold: {where}"


# -- many runs --------------------------------------------------------------------------------
def worker_init() -> None:
    """Workers leave signals to the build, which stops them itself, and die with it: a build
    killed outright cannot stop them, the kernel does (``PR_SET_PDEATHSIG``). Each keeps one
    kernel for its chapters, stopped when the worker ends (a worker runs no ``atexit``)."""
    from multiprocessing.util import Finalize

    _kept["kernel"] = None
    Finalize(None, lambda: _kept["kernel"] and _release(_kept["kernel"], keep=False), exitpriority=10)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers still running, and their kernels (a kernel runs in a session of its own,
    so that a Ctrl-C in the terminal does not reach it, and would notice its worker's death late)."""
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


def run_jobs(jobs: list[Job], workers: int, done: Callable[[Job, float, str | None], None]) -> None:
    """Run ``jobs`` on ``workers`` processes, calling ``done(job, seconds, error)`` as each ends.

    Each run keeps its own time limit; a worker that does not come back within every round's
    limit and a minute more is stopped with its kernel, its job reported over time.
    """
    if not jobs:
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_init)
    try:
        futures = {pool.submit(execute_chapter, job): job for job in jobs}
        limit = max(job.timeout for job in jobs)
        backstop = time.monotonic() + limit * math.ceil(len(jobs) / workers) + 60
        pending = set(futures)
        while pending:
            finished, pending = wait(
                pending, timeout=max(0, backstop - time.monotonic()), return_when=FIRST_COMPLETED
            )
            if not finished:
                kill_pool(pool)
                for fut in pending:
                    over = (
                        f"did not finish within its time limit of {futures[fut].timeout:g} s (see --timeout)"
                    )
                    done(futures[fut], 0.0, over)
                return
            for fut in finished:
                done(futures[fut], *fut.result())
    except BaseException:
        kill_pool(pool)
        raise
    pool.shutdown(wait=True)

"""Run chapters with papermill in worker processes, each keeping its kernel, each run in its time limit.

A run is keyed by the notebook's bytes, its parameters and hashes of the data and of the helper
package (:func:`cache_key`). What papermill does not hold stays here: one time budget shared by a
chapter's cells (nbclient times each cell alone), a failure named by its cell in the source
notebook (papermill adds cells), a refusal of the values told apart from a failure, hints when
the environment lacks something, and a pool whose workers and kernels die with their build.

>>> key = cache_key(Path(__file__), {"jpy_per_usd": 150.0}, "d", "l")
>>> len(key), key == cache_key(Path(__file__), {"jpy_per_usd": 151.0}, "d", "l")
(20, False)
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import math
import os
import re
import signal
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

import iijbook
import nbformat
from jupyter_core.utils import run_sync

from .inputs import read_bytes, tree_hash

#: The largest executed copy a page is made from (the book's largest is about 2 MB).
MAX_EXECUTED_BYTES = 32 << 20
#: Where an executed copy records which run it is (see :func:`run_record`).
RECORD = "iijbook"
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: a child between fork and exec must not load it
#: How the error of a run begins when a cell refused its values (``iijbook.params.ParameterError``,
#: raised by the chapter's ``parameters-check`` cell): the build then refuses them (exit 2).
REFUSED = "its values were refused: "


@dataclass
class ChapterRun:
    """What happened to one chapter in one build."""

    name: str
    parameters: dict[str, Any]
    seconds: float = 0.0
    status: str = "executed"  # executed | cached | kept | failed | refused
    error: str | None = None
    executed: str = ""
    key: str = ""  # the run's cache key, shown on its page and the status page
    digest: str = ""  # SHA-256 of the executed copy as published


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lib_hash() -> str:
    """A hash over the helper package's sources, what the chapters import (the build tool is not in it)."""
    package = Path(iijbook.__file__).resolve().parent
    return tree_hash((p.relative_to(package).as_posix(), p) for p in package.rglob("*.py"))[:16]


def folder_hash(directory: Path, what: str = "data file") -> str:
    """A hash over a folder's regular files (names and bytes), the data's or the published site's; a
    pipe or a device is never opened."""
    files = [(p.relative_to(directory).as_posix(), p) for p in directory.rglob("*") if p.is_file()]
    return tree_hash(files, what)[:16]


def cache_key(notebook: Path, parameters: dict[str, Any], data: str, lib: str) -> str:
    h = hashlib.sha256(notebook.read_bytes())
    h.update(json.dumps(parameters, sort_keys=True, default=repr).encode() + data.encode() + lib.encode())
    return h.hexdigest()[:20]


# -- what a page adds to its run --------------------------------------------------------------
def md_cell(text: Any) -> str:
    """``text`` as a cell of a markdown table: its ``|`` escaped, on one line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def postprocess(nb: nbformat.NotebookNode, chapter_params: list, given: dict, key: str = "") -> None:
    """Hide the parameters cells; say under the title which values differ from the defaults; end
    with the parameters of the run and its key (the build checks that every page carries it); drop
    papermill's timings (the same inputs give the same pages); record the run in the notebook.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Revenues")])
    >>> postprocess(nb, [("guidance_point", "str", "mid", "[low | mid | high]")], {"guidance_point": "low"})
    >>> print(nb.cells[0].source.splitlines()[5])
    This page was run with `guidance_point = 'low'` (the default is `'mid'`); every figure that ...
    """
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    defaults = {name: default for name, _, default, _ in chapter_params}
    changed = [n for n, d in defaults.items() if n in given and given[n] != d]
    said = [
        f"`{n} = {md_cell(repr(given[n]))}` (the default is `{md_cell(repr(defaults[n]))}`)" for n in changed
    ]
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if said and first is not None:
        listed = f"{', '.join(said[:-1])} and {said[-1]}" if len(said) > 1 else said[0]
        said = f"This page was run with {listed}; every figure that depends on {'them' if said[1:] else 'it'}"
        said += " follows. *Parameters of this run*, at the end of the page, lists them all."
        banner = f"```{{admonition}} Not the default run\n:class: important\n\n{said}\n```"
        title, sep, rest = first.source.partition("\n")
        heading = title.startswith("# ")
        first.source = f"{title}\n\n{banner}\n{sep}{rest}" if heading else f"{banner}\n\n{first.source}"
    footer = [
        "```{admonition} Parameters of this run\n:class: note\n\nThis page was executed with the parameters "
        "below (see *How to re-run a chapter* in the introduction to change them)."
        + (f" Its run is `{key}`, as listed on the build status page." if key else ""),
        "\n| parameter | value | default | allowed, and meaning |\n|---|---|---|---|",
    ]
    for name, _, default, comment in chapter_params:
        value, mark = md_cell(repr(given.get(name, default))), " (changed)" * (name in changed)
        footer.append(f"| `{name}` | `{value}`{mark} | `{md_cell(repr(default))}` | {md_cell(comment)} |")
    nb.cells.append(nbformat.v4.new_markdown_cell("\n".join([*footer, "```"]), id="run-parameters"))
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
    output: str  #: where the executed copy goes, whether or not the run succeeds
    parameters: dict[str, Any]
    chapter_params: list  #: (name, annotation, default, comment) of each declared parameter
    cwd: str  #: the chapter's folder, as in JupyterLab
    log: str  #: what the kernel itself said during the run
    key: str  #: the run's cache key, recorded in the executed copy
    data: str  #: the data folder the kernel reads (the build's snapshot)
    timeout: float  #: seconds the whole chapter may take


def cell_name(nb: nbformat.NotebookNode, cell_id: str | None = None) -> str:
    """The cell with ``cell_id`` (else the last one papermill started) as a message names it,
    ``cell N (id ...)``, N counted without the cells papermill adds, as in the source notebook."""
    added = {"injected-parameters", "papermill-error-cell-tag"}  # papermill's cells
    cells = [c for c in nb.cells if not added & set(c.metadata.get("tags", []))]
    if cell_id is None:
        started = [c.get("id") for c in cells if c.metadata.get("papermill", {}).get("start_time")]
        cell_id = started[-1] if started else None
    ids = [c.get("id") for c in cells]
    return f"cell {ids.index(cell_id)} (id {cell_id})" if cell_id in ids else "a cell"


def hint(ename: str, evalue: str, log: str = "") -> str:
    """What to do about an error that says the environment lacks something, or ``""``.

    >>> hint("ModuleNotFoundError", "No module named 'statsmodels.api'")
    '; add the package that provides statsmodels to requirements.in, run make lock, then make venv'
    >>> hint("ModuleNotFoundError", "No module named 'iijbook'")
    '; iijbook is missing from .venv: run make venv'
    """
    if ename == "ModuleNotFoundError" and (found := re.search(r"No module named '(\w+)", evalue)):
        if (package := found.group(1)) in ("iijbook", "ipykernel", "ipykernel_launcher"):
            return f"; {package} is missing from .venv: run make venv"  # the book's own, not a new one
        return f"; add the package that provides {package} to requirements.in, run make lock, then make venv"
    if ename == "NoSuchKernel":
        return "; there is no python3 kernel: ipykernel is missing from .venv, run make venv"
    if ename == "DeadKernelError":
        return f"; the kernel died while running the chapter (out of memory?): its messages are in {log}"
    if "died before replying to kernel_info" not in evalue:
        return ""
    spec = ""
    with contextlib.suppress(Exception):  # a hint must never fail the report it is part of
        from jupyter_client.kernelspec import KernelSpecManager

        ks = KernelSpecManager().get_kernel_spec("python3")
        spec = f" (kernelspec {ks.resource_dir}, which runs {ks.argv[0]})"
    missing = re.search(r"No module named '?([\w.]+)'?", Path(log).read_text(errors="replace"))
    why = f": {missing.group(0)}" if missing else f"; its messages are in {log}"
    return (
        f"; the python3 kernel{spec} did not start{why}. Run make venv; if that kernelspec is not "
        "the one in .venv, remove it (jupyter kernelspec remove python3)"
    )


class _Kernel:
    """A python3 kernel on unix sockets in a folder of its own (a TCP port could be taken by a kernel
    started at the same moment), its messages going to an unnamed file. A worker keeps its kernel
    (starting one and importing pandas and Altair is about 2 of a chapter's 5 CPU seconds); before
    a later chapter :data:`RESET` empties it, sets the run's folder and data, and forgets the helper
    package. tests/test_build.py checks that the executed copies are those fresh kernels write."""

    RESET = (
        "get_ipython().reset(new_session=True)\nimport os, sys\n"
        "os.chdir({cwd!r})\nos.environ.update({env!r})\n"
        "[sys.modules.pop(m) for m in list(sys.modules) if m.split('.')[0] == 'iijbook']\ndel os, sys\n"
    )

    def __init__(self, cwd: str, env: dict[str, str]) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.log, self.sockets, self.runs = tempfile.TemporaryFile(), tempfile.TemporaryDirectory(), 0
        self.km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=f"{self.sockets.name}/k")
        start, env = run_sync(self.km.start_kernel), {**os.environ, **env}
        start(cwd=cwd, env=env, stderr=self.log.fileno(), preexec_fn=_die_with_parent)

    def prelude(self, cwd: str, env: dict[str, str]) -> str:
        self.runs += 1
        return "" if self.runs == 1 else self.RESET.format(cwd=cwd, env=env)

    def alive(self) -> bool:
        return bool(run_sync(self.km.is_alive)())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            run_sync(self.km.shutdown_kernel)(now=True)
        self.log.close()
        self.sockets.cleanup()


#: In a worker (see :func:`worker_init`), its kernel kept between chapters; ``None`` until its
#: first. In any other process there is no entry: each run starts and stops its own.
_kept: dict[str, _Kernel | None] = {}


def execute_chapter(job: Job) -> tuple[float, str | None]:
    """Run one chapter with papermill in this process; return (seconds, error or None)."""
    import papermill as pm  # here, not above: the command starts in half the time
    from nbclient.exceptions import CellTimeoutError

    from .evalfill import ENGINE, EvalError, fill_markdown

    logging.getLogger("papermill").setLevel(logging.ERROR)  # the build checks the parameters itself
    # the kernel's environment: the run's data; charts for the site, interactive, without a static copy
    env = {"IIJBOOK_DATA_DIR": job.data, "IIJBOOK_TARGET": "site"}
    Path(job.log).parent.mkdir(parents=True, exist_ok=True)
    Path(job.log).unlink(missing_ok=True)  # a new file each run (O_EXCL), never one opened through a link
    log_fd = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    start, deadline = time.perf_counter(), time.monotonic() + job.timeout

    def time_left(_cell: nbformat.NotebookNode) -> int:
        """The chapter's time limit, shared by its cells: what is left of it when a cell starts."""
        if (left := deadline - time.monotonic()) <= 0:
            raise CellTimeoutError("the chapter's time limit ran out between two cells")
        return max(1, math.ceil(left))

    kernel = _kept.get("kernel")
    if kernel is not None and not kernel.alive():  # it died since its last run (killed, out of memory)
        kernel.stop()
        kernel = None
    ran, cell, refusal, failure = False, "", "", None  # cell: what the cell papermill last started did
    try:
        kernel = kernel or _Kernel(job.cwd, env)
        since = os.fstat(kernel.log.fileno()).st_size
        pm.execute_notebook(
            job.source, job.output, parameters=job.parameters, kernel_name="python3",
            engine_name=ENGINE,  # papermill's, which also answers the markdown's {eval} roles
            cwd=job.cwd, progress_bar=False, log_output=False,
            request_save_on_cell_execute=False,  # written once, at the end, however the run ends
            km=kernel.km, prelude=kernel.prelude(job.cwd, env), timeout_func=time_left, keep=job.output,
        )  # fmt: skip
        ran = True
    except pm.PapermillExecutionError as exc:
        cell = f"raised {exc.ename}: {exc.evalue}" + hint(exc.ename, exc.evalue)
        if exc.ename == "ParameterError":  # the chapter's own checks refused its values
            refusal = REFUSED + " / ".join(exc.evalue.splitlines())
    except CellTimeoutError:
        cell = f"was still running when the chapter reached its time limit of {job.timeout:g} s"
        cell += " (set it with --timeout SECONDS)"
    except Exception as exc:  # the kernel died or is missing, the notebook cannot be read
        failure = exc
    finally:
        if kernel is not None:
            with contextlib.suppress(OSError):
                os.write(log_fd, os.pread(kernel.log.fileno(), 1 << 20, since))  # this run's own
            if not (ran and "kernel" in _kept):  # a kernel a failure or a signal leaves is never kept
                kernel.stop()
                kernel = None
        if "kernel" in _kept:
            _kept["kernel"] = kernel
        os.close(log_fd)
    seconds, nb = time.perf_counter() - start, None
    if failure is not None:
        name = type(failure).__name__
        return seconds, f"{name}: {failure}" + hint(name, str(failure), job.log)
    if refusal:
        return seconds, refusal
    with contextlib.suppress(OSError, ValueError):  # a run cut short may have left none
        nb = nbformat.read(job.output, as_version=4)
    if cell:
        return seconds, f"{cell_name(nb) if nb else 'a cell'} {cell}"
    if (size := os.path.getsize(job.output)) > MAX_EXECUTED_BYTES:
        most, cell_id = max((len(json.dumps(c.get("outputs", []))), c.get("id") or "") for c in nb.cells)
        mb, limit = 1 << 20, MAX_EXECUTED_BYTES >> 20
        over = f"its executed copy is {size / mb:.0f} MB, over the {limit} MB a page may hold"
        return seconds, f"{over}: {cell_name(nb, cell_id)} wrote {most / mb:.0f} MB of output"
    try:
        fill_markdown(nb)
    except EvalError as exc:
        return seconds, f"{cell_name(nb, exc.cell_id)}: {exc}"
    postprocess(nb, job.chapter_params, job.parameters, job.key)
    nbformat.write(nb, job.output)
    return seconds, None


# -- many runs --------------------------------------------------------------------------------
def _die_with_parent() -> None:
    """Have the system kill this process when its parent dies (``PR_SET_PDEATHSIG``): a build or a
    worker killed outright cannot stop its children, and a kernel, in a session of its own so that a
    Ctrl-C in the terminal does not reach it, would notice its worker's death late."""
    _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG


def worker_init() -> None:
    """Workers leave signals to the build, which stops them itself, and die with it. Each keeps one
    kernel for its chapters, stopped when the worker ends (a worker runs no ``atexit``)."""
    _kept["kernel"] = None
    Finalize(None, lambda: _kept["kernel"] and _kept["kernel"].stop(), exitpriority=10)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _die_with_parent()


def kill_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers still running; their kernels die with them."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.kill()  # not terminate: a stopped worker only takes SIGKILL; an ended one is left alone
    for proc in processes:
        proc.join(timeout=5)


def run_jobs(jobs: list[Job], workers: int, done: Callable[[Job, float, str | None], None]) -> None:
    """Run ``jobs`` on ``workers`` processes, calling ``done(job, seconds, error)`` as each ends.
    A worker that does not come back within every round's limit and a minute more is stopped with
    its kernel, its job reported over time."""
    if not jobs:
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_init)
    try:
        futures = {pool.submit(execute_chapter, job): job for job in jobs}
        backstop = time.monotonic() + max(j.timeout for j in jobs) * math.ceil(len(jobs) / workers) + 60
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, max(0, backstop - time.monotonic()), FIRST_COMPLETED)
            if not finished:
                kill_pool(pool)
                for job in (futures[f] for f in pending):
                    done(job, 0.0, f"did not finish within its time limit of {job.timeout:g} s (--timeout)")
                return
            for fut in finished:
                done(futures[fut], *fut.result())
    except BaseException:
        kill_pool(pool)
        raise
    pool.shutdown(wait=True)

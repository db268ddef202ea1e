"""Run a chapter many times in one kernel, as papermill would run it once.

Starting a kernel and importing pandas and Altair costs seconds; a chapter's
cells cost far less. :class:`ChapterKernel` keeps one kernel for a chapter and,
for each run, clears the namespace (``%reset -f``, see ``_RESET``), injects the parameters the
way papermill does (a cell after the one tagged ``parameters``) and executes the
code cells in order, in the chapter's folder, stopping at the first error.
Modules stay imported between runs; the lib's caches hand out copies, so one run
cannot change what the next one sees.

A run can also keep what it showed (``keep=True``): the result then carries the
run as an executed copy, like papermill's, with each code cell's outputs and each
markdown cell's ``{eval}`` answers in its ``user_expressions``, so the chapter tests
read a run in the kernel exactly as they read the build's executed copies.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import nbformat
from iijbook_build.evalfill import EVAL
from iijbook_build.inputs import Chapter
from jupyter_client.manager import KernelManager
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Failure:
    """Where and how a run stopped."""

    cell: str  # "cell 2 (id bb-02)", counted in the source notebook
    ename: str
    evalue: str
    traceback: str
    check_cell: bool  # the failing cell is the one right after the parameters cell

    def __str__(self) -> str:
        return f"{self.cell} raised {self.ename}: {self.evalue}\n{self.traceback}"


@dataclass
class RunResult:
    failure: Failure | None = None
    glued: dict[str, str] = field(default_factory=dict)  # {eval} expression: its text/plain form
    stderr: list[str] = field(default_factory=list)
    notebook: nbformat.NotebookNode | None = None  # with keep=True: the run as an executed copy


class ChapterFailed(RuntimeError):
    """A chapter run that stopped, as :meth:`ChapterKernel.execute` reports it: cell, error and traceback."""

    def __init__(self, name: str, failure: Failure):
        super().__init__(f"chapter {name}: {failure}")
        self.failure = failure


def glue_references(nb: nbformat.NotebookNode) -> set[str]:
    """The expressions a notebook's markdown cells cite with ``{eval}``."""
    return {e for cell in nb.cells if cell.cell_type == "markdown" for e in EVAL.findall(cell.source)}


#: ``%reset -f``, without the two full garbage collections it makes (a third of a second with
#: pandas and Altair loaded, a tenth of a run): the namespace is cleared all the same, and what the
#: last run left is collected as Python collects, not twice before each run.
_RESET = """
def _reset(gc=__import__("gc"), shell=get_ipython()):
    collect, gc.collect = gc.collect, lambda generation=2: 0
    try:
        shell.run_line_magic("reset", "-f")
    finally:
        gc.collect = collect
_reset()
"""


class ChapterKernel:
    """One kernel that runs one chapter again and again."""

    def __init__(self, chapter: Chapter, timeout: float = 120):
        self.chapter = chapter
        self.timeout = timeout
        self.source = load_notebook_node(str(chapter.path))  # as papermill reads it
        self.ids = [c.get("id") for c in self.source.cells]
        self.references = glue_references(self.source)
        params_index = next(
            i for i, c in enumerate(self.source.cells) if "parameters" in c.metadata.get("tags", [])
        )
        self.check_cell_id = next(
            c.get("id") for c in self.source.cells[params_index + 1 :] if c.cell_type == "code"
        )
        self.km: KernelManager | None = None
        self.kc = None

    def start(self) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(self.chapter.path.parent))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            self.km.shutdown_kernel(now=True)
        self.km = self.kc = None

    def _execute(
        self, code: str, result: RunResult, outputs: list | None = None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run ``code``; return the reply and the errors shown while displaying its outputs.

        With ``outputs``, what the cell shows is appended to it, as nbclient records it.
        """
        shown: list[dict[str, Any]] = []

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if outputs is not None and kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append(nbformat.v4.output_from_msg(msg))
            if kind == "error":
                shown.append(content)
            elif kind == "stream" and content.get("name") == "stderr":
                result.stderr.append(content.get("text", ""))
            elif kind == "display_data":
                name = content.get("metadata", {}).get("scrapbook", {}).get("name")
                if name:
                    result.glued[name] = content.get("data", {}).get(
                        "application/papermill.record/text/plain", ""
                    )

        reply = self.kc.execute_interactive(
            code, timeout=self.timeout, output_hook=hook, store_history=False, allow_stdin=False
        )
        return reply["content"], shown

    def _ask(self, cell: nbformat.NotebookNode, result: RunResult) -> None:
        """Evaluate a markdown cell's ``{eval}`` expressions; keep those that answered."""
        asked = dict(enumerate(dict.fromkeys(EVAL.findall(cell.source))))
        if not asked:
            return
        reply = self.kc.execute_interactive(
            "",
            silent=True,
            store_history=False,
            timeout=self.timeout,
            user_expressions={str(i): e for i, e in asked.items()},
        )
        got = reply["content"].get("user_expressions", {})
        for i, expression in asked.items():
            answer = got.get(str(i), {})
            if answer.get("status") == "ok":
                result.glued[expression] = answer.get("data", {}).get("text/plain", "")
        if result.notebook is not None:  # kept as the build's engine keeps them (iijbook_build.evalfill)
            cell.metadata["user_expressions"] = [
                {"expression": e, "result": got.get(str(i), {"status": "error", "ename": "NoReply"})}
                for i, e in asked.items()
            ]

    def _where(self, cell: nbformat.NotebookNode) -> str:
        cid = cell.get("id")
        if "injected-parameters" in cell.metadata.get("tags", []):
            return "the injected parameters cell"
        if cid in self.ids:
            return f"cell {self.ids.index(cid)} (id {cid})"
        return f"cell id {cid}"

    def run(self, parameters: dict[str, Any], keep: bool = False, after: str = "") -> RunResult:
        """Run the chapter with ``parameters`` in a fresh namespace; stop at the first error.

        An error is a cell that raises, or an exception while displaying what a cell
        outputs (IPython shows those, a failing chart among them, and carries on).
        With ``keep``, the result's ``notebook`` is the run as an executed copy; ``after``
        is code run as one more cell at the end (a probe), its outputs kept with the rest.
        """
        if self.km is None or not self.km.is_alive():
            self.shutdown()
            self.start()
        nb = parameterize_notebook(
            copy.deepcopy(self.source), parameters, kernel_name="python3", language="python"
        )
        if after:
            nb.cells.append(nbformat.v4.new_code_cell(after))
        result = RunResult(notebook=nb if keep else None)
        self._execute(_RESET, RunResult())
        for count, cell in enumerate(nb.cells, 1):
            if cell.cell_type == "markdown":
                self._ask(cell, result)  # as the build's engine does, when the cell is reached
                continue
            outputs: list | None = None
            if keep:
                cell.outputs, cell.execution_count = [], count
                outputs = cell.outputs
            try:
                content, shown = self._execute(cell.source, result, outputs)
            except TimeoutError:
                self.shutdown()  # a fresh kernel for the next run
                content, shown = (
                    {
                        "status": "error",
                        "ename": "TimeoutError",
                        "evalue": f"no reply within {self.timeout} s",
                        "traceback": [],
                    },
                    [],
                )
            if content["status"] == "ok" and shown:
                content = {**shown[0], "evalue": f"while displaying an output: {shown[0].get('evalue', '')}"}
            elif content["status"] == "ok":
                continue
            tb = _ANSI.sub("", "\n".join(content.get("traceback", [])))
            result.failure = Failure(
                self._where(cell),
                content.get("ename", "?"),
                content.get("evalue", ""),
                tb,
                check_cell=cell.get("id") == self.check_cell_id,
            )
            break
        return result

    def execute(self, parameters: dict[str, Any] | None = None, after: str = "") -> nbformat.NotebookNode:
        """The chapter run with ``parameters``, as an executed copy; :class:`ChapterFailed` if it stops."""
        result = self.run(parameters or {}, keep=True, after=after)
        if result.failure is not None:
            raise ChapterFailed(self.chapter.name, result.failure)
        return result.notebook

"""Numbers in prose that read the same in JupyterLab and on the site: the ``{eval}`` role.

jupyterlab-myst asks the kernel for each ``{eval}`expr``` of a markdown cell (``user_expressions``)
as it renders the cell, keeping the replies in ``metadata.user_expressions``. myst-nb's role needs a
live kernel and the site renders with execution off: so the papermill engine below asks the same at
the same moment, stores the replies the same way, and :func:`fill_markdown` writes them in.

>>> import nbformat
>>> cell = nbformat.v4.new_markdown_cell("Revenues were {eval}`rev` in 2Q02.")
>>> cell.metadata["user_expressions"] = [
...     {"expression": "rev", "result": {"status": "ok", "data": {"text/plain": "'¥10.6B'"}, "metadata": {}}}]
>>> nb = nbformat.v4.new_notebook(cells=[cell])
>>> fill_markdown(nb).cells[0].source
'Revenues were ¥10.6B in 2Q02.'
"""

from __future__ import annotations

import re

import nbformat
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

EVAL = re.compile(r"\{eval\}`([^`]+)`")  #: the role, as MyST writes it
ENGINE = "iijbook"  #: the engine's name for papermill
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")


class EvalError(ValueError):
    """An ``{eval}`` expression that failed; ``cell_id`` says where."""

    def __init__(self, cell_id: str | None, message: str) -> None:
        super().__init__(message)
        self.cell_id = cell_id


class _Client(PapermillNotebookClient):
    """papermill's client, which also answers a markdown cell's ``{eval}`` expressions, and first
    runs ``prelude`` silently in a kernel it was given (:mod:`.run` resets a kept kernel with it)."""

    prelude = ""

    def papermill_execute_cells(self):
        if self.prelude:
            reply = self.wait_for_reply(self.kc.execute(self.prelude, silent=True, store_history=False))
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"the kept kernel could not be reset: {reply['content'].get('evalue')}")
        super().papermill_execute_cells()

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "markdown":
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        expressions = list(dict.fromkeys(EVAL.findall(cell.source)))
        if expressions:
            asked = {str(i): e for i, e in enumerate(expressions)}
            msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions=asked)
            reply = await self.async_wait_for_reply(msg_id, cell)
            got = reply["content"].get("user_expressions", {})
            cell.metadata["user_expressions"] = [
                {"expression": e, "result": got.get(str(i), {"status": "error", "ename": "NoReply"})}
                for i, e in enumerate(expressions)
            ]
        return cell

    execute_cell = run_sync(async_execute_cell)


class _Engine(NBClientEngine):
    """papermill's nbclient engine with the client above; it takes a kernel (``km``) and leaves it
    running, a time limit per cell (``timeout_func``), and where to write a run cut short (its time
    limit, a dead kernel) as far as it got (``keep``): papermill writes one only after a cell raised."""

    @classmethod
    def execute_managed_notebook(
        cls, nb_man, kernel_name, km=None, prelude="", timeout_func=None, keep="", **_
    ):
        client = _Client(nb_man, km=km, kernel_name=kernel_name, timeout_func=timeout_func)
        client.prelude = prelude
        try:
            return client.execute()
        except BaseException:
            if keep:
                nbformat.write(nb_man.nb, keep)
            raise
        finally:
            if client.kc is not None and km is not None:  # the kernel stays; this client goes
                client.kc.stop_channels()


papermill_engines.register(ENGINE, _Engine)


def fill_markdown(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Write each markdown cell's ``{eval}`` values into its text (the replies stay in its metadata)
    as jupyterlab-myst shows them: the plain text, one pair of quotes removed."""
    for cell in nb.cells:
        found = {u["expression"]: u["result"] for u in cell.metadata.get("user_expressions", [])}

        def value(match: re.Match[str], found: dict = found, where: str | None = cell.get("id")) -> str:
            expression, result = match.group(1), found.get(match.group(1))
            if result is None:
                raise EvalError(where, f"{{eval}}`{expression}` was never evaluated")
            if result.get("status") != "ok":
                why = f"{result.get('ename', '')}: {result.get('evalue', '')}"
                raise EvalError(where, f"{{eval}}`{expression}` failed: {why}")
            if "text/markdown" in (data := result.get("data", {})):
                return str(data["text/markdown"])
            plain = re.sub(r"^(['\"])(.*)\1$", r"\2", str(data.get("text/plain", "")), flags=re.S)
            return _MARKDOWN_SPECIAL.sub(r"\\\1", plain)

        if cell.cell_type == "markdown":
            cell.source = EVAL.sub(value, cell.source)
    return nb

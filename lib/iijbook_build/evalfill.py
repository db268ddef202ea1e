"""Numbers in prose that read the same in JupyterLab and on the site: the ``{eval}`` role.

A chapter's markdown cites a value with ``{eval}`expr```. In JupyterLab,
jupyterlab-myst asks the kernel for each expression as it renders the cell
(an ``execute_request`` with ``user_expressions``) and keeps the replies in
the cell's ``metadata.user_expressions``. The site is rendered with execution
off, and myst-nb's own ``eval`` role needs a live kernel; so the build asks the
same question at the same moment, right after the cells above ran, through
the papermill engine below, stores the replies in the same format, and
:func:`fill_markdown` writes the values into the executed copy's markdown.

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
from typing import Any

import nbformat
from nbclient.util import run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

#: The role, as MyST writes it.
EVAL = re.compile(r"\{eval\}`([^`]+)`")

#: The engine's name for papermill.
ENGINE = "iijbook"

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
    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        for unused in ("input_path", "startup_timeout"):
            kwargs.pop(unused, None)
        timeout = kwargs.pop("execution_timeout", None) or kwargs.pop("timeout", None)
        kwargs.pop("timeout", None)
        # papermill writes the executed copy after a run, or after a cell that raised: a run cut
        # short (its time limit, a dead kernel) is written here, as far as it got
        keep_on_failure, prelude = kwargs.pop("keep_on_failure", None), kwargs.pop("prelude", "")
        start_timeout = kwargs.pop("start_timeout", 60)
        client = _Client(
            nb_man, timeout=timeout, startup_timeout=start_timeout, kernel_name=kernel_name, **kwargs
        )
        client.prelude = prelude
        try:
            return client.execute()
        except BaseException:
            if keep_on_failure:
                nbformat.write(nb_man.nb, keep_on_failure)
            raise
        finally:
            if client.kc is not None and not client.owns_km:  # the kernel stays; this client goes
                client.kc.stop_channels()


papermill_engines.register(ENGINE, _Engine)


def _as_text(expression: str, result: dict[str, Any], where: str | None) -> str:
    """The value as the page shows it: its plain text, one pair of quotes removed, as jupyterlab-myst does."""
    if result.get("status") != "ok":
        raise EvalError(
            where, f"{{eval}}`{expression}` failed: {result.get('ename', '')}: {result.get('evalue', '')}"
        )
    data = result.get("data", {})
    if "text/markdown" in data:
        return str(data["text/markdown"])
    plain = re.sub(r"^(['\"])(.*)\1$", r"\2", str(data.get("text/plain", "")), flags=re.S)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain)


def fill_markdown(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Write each markdown cell's ``{eval}`` values into its text (the replies stay in its metadata)."""
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not EVAL.search(cell.source):
            continue
        found = {u["expression"]: u["result"] for u in cell.metadata.get("user_expressions", [])}
        where = cell.get("id")

        def value(match: re.Match[str], found: dict = found, where: str | None = where) -> str:
            expression = match.group(1)
            if expression not in found:
                raise EvalError(where, f"{{eval}}`{expression}` was never evaluated")
            return _as_text(expression, found[expression], where)

        cell.source = EVAL.sub(value, cell.source)
    return nb

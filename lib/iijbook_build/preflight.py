"""Run each chapter's own parameter checks before any chapter runs.

A chapter's parameters cell writes each parameter's type and range, which the
command checks as it reads them. What no single range can say (two parameters
that must go together, a window the data cannot fill) is in the chapter's cell
tagged ``parameters-check``. The build runs those cells first, for every
chapter it will run with values other than the defaults: the parameters cell,
then the values, then the check, in one Python process, apart from the build.
A refusal there is a refusal of the whole build, before anything has run.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook()
>>> cells = ["low: float = 1.0\\nhigh: float = 2.0",
...          "from iijbook.params import ParameterError\\n"
...          "if not low < high:\\n    raise ParameterError(f'low ({low}) must be below high ({high})')"]
>>> nb.cells = [nbformat.v4.new_code_cell(cells[0], metadata={"tags": ["parameters"]}),
...             nbformat.v4.new_code_cell(cells[1], metadata={"tags": [CHECK_TAG]})]
>>> check_sources(nb) is not None
True
>>> refusals([Check("demo", *check_sources(nb), {"low": 3.0}, ".")], data=Path("."), timeout=60)
['chapter demo: low (3.0) must be below high (2.0)']
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nbformat

#: The tag of a chapter's cell of checks between parameters.
CHECK_TAG = "parameters-check"


@dataclass
class Check:
    """One chapter's checks to run: its parameters cell, the values given, its check cell."""

    chapter: str
    parameters_source: str
    check_source: str
    values: dict[str, Any]
    cwd: str


def check_sources(nb: nbformat.NotebookNode) -> tuple[str, str] | None:
    """The sources of a notebook's parameters cell and its ``parameters-check`` cell, if it has both."""
    tagged = {
        tag: cell.source
        for cell in nb.cells
        for tag in cell.get("metadata", {}).get("tags", [])
        if tag in ("parameters", CHECK_TAG)
    }
    if "parameters" not in tagged or CHECK_TAG not in tagged:
        return None
    return tagged["parameters"], tagged[CHECK_TAG]


# Runs in a process of its own: each chapter in a fresh namespace, its refusal as one line.
_RUNNER = """
import json, sys
results = []
for item in json.load(sys.stdin):
    namespace = {"__name__": "__parameters_check__"}
    try:
        exec(compile(item["parameters_source"], "parameters cell", "exec"), namespace)
        namespace.update(item["values"])
        exec(compile(item["check_source"], "parameters-check cell", "exec"), namespace)
    except Exception as exc:
        refused = type(exc).__name__ == "ParameterError"
        message = str(exc) if refused else f"its parameters check failed: {type(exc).__name__}: {exc}"
        results.append(f"chapter {item['chapter']}: " + " / ".join(message.splitlines()))
print(json.dumps(results))
"""


class CheckFailed(RuntimeError):
    """The checks could not run (killed, out of time, no answer): not a refusal of the values."""


def refusals(checks: list[Check], *, data: Path, timeout: float) -> list[str]:
    """Run ``checks`` and return one line per chapter that refuses its values (none: all pass).

    Raises :class:`CheckFailed` if the checks themselves could not run.
    """
    if not checks:
        return []
    import os

    env = {**os.environ, "IIJBOOK_DATA_DIR": str(data)}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _RUNNER],
            input=json.dumps([asdict(c) for c in checks], default=repr),
            capture_output=True,
            text=True,
            env=env,
            cwd=checks[0].cwd,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        names = ", ".join(c.chapter for c in checks)
        raise CheckFailed(f"the parameters checks of {names} took over {timeout:g} s") from None
    try:
        return [str(line) for line in json.loads(proc.stdout.strip().splitlines()[-1])]
    except (ValueError, IndexError):
        if proc.returncode < 0:
            why = f"stopped by {signal.Signals(-proc.returncode).name}"
        else:
            why = f"exit {proc.returncode}: " + (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise CheckFailed(f"the parameters checks could not run ({why})") from None

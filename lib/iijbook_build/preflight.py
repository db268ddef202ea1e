"""Run each chapter's checks between parameters before any chapter runs.

What no single range can say (two parameters that go together, a window the data cannot fill) is
in a chapter's cell tagged ``parameters-check``. For each chapter given values, its parameters cell,
the values and that check run in one Python process apart from the build (no kernel to start; a
check that hangs or crashes is timed out or named); a refusal refuses the build before anything ran.

>>> import nbformat
>>> cells = ["low: float = 1.0\\nhigh: float = 2.0",
...          "from iijbook.params import ParameterError\\n"
...          "if not low < high:\\n    raise ParameterError(f'low ({low}) must be below high ({high})')"]
>>> nb = nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_code_cell(cells[0], metadata={"tags": ["parameters"]}),
...     nbformat.v4.new_code_cell(cells[1], metadata={"tags": [CHECK_TAG]})])
>>> refusals([Check("demo", *check_sources(nb), {"low": 3.0}, ".")], data=Path("."), timeout=60)
['chapter demo: low (3.0) must be below high (2.0)']
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nbformat

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
    tagged = {tag: c.source for c in nb.cells for tag in c.get("metadata", {}).get("tags", [])}
    return (tagged["parameters"], tagged[CHECK_TAG]) if {"parameters", CHECK_TAG} <= tagged.keys() else None


# each chapter in a fresh namespace, its refusal as one line
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
    """One line per chapter that refuses its values (none: all pass); :class:`CheckFailed` if the
    checks themselves could not run."""
    if not checks:
        return []
    given = json.dumps([asdict(c) for c in checks], default=repr)
    env = {**os.environ, "IIJBOOK_DATA_DIR": str(data)}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _RUNNER], input=given, capture_output=True, text=True,
            env=env, cwd=checks[0].cwd, timeout=timeout,
        )  # fmt: skip
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

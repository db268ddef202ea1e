"""Pages the build writes into its staged book over their placeholders in ``chapters/`` (which
the table of contents lists): every chapter's parameters, and the status of the last build.

>>> from iijbook_build.inputs import Chapter, Parameter
>>> ch = Chapter("revenues", Path("chapters/revenues.ipynb"),
...              (Parameter("guidance_point", "str", "mid", "[low | mid | high] where 3Q02 lands"),))
>>> print(parameters_page([ch]).splitlines()[-1])
| `guidance_point` | `str` | `'mid'` | [low \\| mid \\| high] where 3Q02 lands |
"""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

from .inputs import Chapter
from .run import ChapterRun
from .run import md_cell as _cell

#: Packages whose versions the status page reports.
REPORTED_PACKAGES = (
    "jupyter-book sphinx myst-nb papermill nbclient ipykernel pandas pandera altair vl-convert-python"
)
STATUS_PAGE = Path("chapters") / "status.md"
PARAMETERS_PAGE = Path("chapters") / "parameters.md"

_PARAMETERS = """# Parameters

Every chapter's parameters, read from its parameters cell. The comment starts with what the parameter
allows: `[a, b]` a closed range, `(a, b]` one that leaves `a` out, `[x | y]` a list of values. Set one
for a build with `make book ARGS="-p NAME VALUE"` (every chapter that has it) and add `--chapter NAME`
to re-run one chapter only."""

_STATUS = """# Build status

How the pages of this site were produced: each chapter's parameters, how long it took to execute, and
whether the run came from the cache. The times are the only part of the site that changes from one
build of the same inputs to the next.

| chapter | parameters changed from the defaults | execution (s) | run | key |
|---|---|---|---|---|
{runs}

*executed*: run by papermill in this build; *cached*: inputs unchanged, the last executed copy was
reused; *kept*: not selected with `--chapter`, the page from the previous build was kept as it was.
*key*: the run's key over notebook, parameters, data and lib; each chapter's page ends with the key of
the run it shows.

## Inputs

- data files: hash `{data_hash}`
- helper package `iijbook`: hash `{lib_hash}`

## Package versions

| package | version |
|---|---|
{versions}
"""


def parameters_page(chapters: list[Chapter]) -> str:
    """Markdown listing each chapter's parameters: type, default, what is allowed and meant."""
    out = [_PARAMETERS]
    for chapter in chapters:
        out += ["", f"## {chapter.name}", ""]
        if chapter.parameters:
            out += ["| parameter | type | default | allowed, and meaning |", "|---|---|---|---|"]
        out += [
            f"| `{p.name}` | `{_cell(p.annotation)}` | `{_cell(repr(p.default))}` | {_cell(p.comment)} |"
            for p in chapter.parameters
        ] or ["This chapter has no parameters."]
    return "\n".join(out) + "\n"


def status_page(runs: list[ChapterRun], data_hash: str, lib_hash: str) -> str:
    """Markdown describing the build that produced the site."""
    rows = []
    for run in runs:
        given = ", ".join(f"`{k} = {_cell(repr(v))}`" for k, v in sorted(run.parameters.items())) or "none"
        seconds = f"{run.seconds:.1f}" if run.status == "executed" else "–"
        rows.append(f"| {run.name} | {given} | {seconds} | {run.status} | `{run.key}` |")
    versions = [f"| python | {platform.python_version()} |"]
    for name in REPORTED_PACKAGES.split():
        try:
            versions.append(f"| {name} | {metadata.version(name)} |")
        except metadata.PackageNotFoundError:
            versions.append(f"| {name} | not installed |")
    return _STATUS.format(
        runs="\n".join(rows), data_hash=data_hash, lib_hash=lib_hash, versions="\n".join(versions)
    )

"""Scenarios: named parameter sets (a YAML file ``scenarios: {name: {parameter: value}}``, or
``--sweep NAME=V1,V2,...``) built beside the default book and compared on one page (README,
*Scenarios*). Each value is checked as ``-p`` checks it. Cost follows change: a chapter whose values
are the default book's is not run again, and scenarios giving a chapter the same values share one
run, ``<chapter>--<hash of its values>``, published at ``scenarios/<scenario>/<chapter>.html``.

>>> from iijbook_build.inputs import discover
>>> chapters = discover()
>>> low = plan(chapters, {c.name: {} for c in chapters}, sweep("guidance_point=low", chapters))
>>> sorted(low.pages["guidance_point_low"])
['outlook', 'profitability', 'revenues', 'systems_integration']
>>> mid = sweep("guidance_point=mid", chapters)  # the default value: nothing to run
>>> plan(chapters, {c.name: {} for c in chapters}, mid).chapters
[]
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iijbook.params import ParameterError, shown

from .inputs import Chapter, InputError, load_yaml, read_text, resolve
from .opening import answer_first

#: A scenario's name: it becomes a folder of the site.
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: The most scenarios one build takes (each may re-run several chapters).
MAX_SCENARIOS = 12
#: Where the Scenarios page and the scenario pages go in the book.
PAGE = Path("chapters") / "scenarios.md"
FOLDER = "scenarios"
#: A chapter's key outputs (:func:`iijbook.page.key_outputs`): name: (value, unit).
Outputs = dict[str, tuple[float, str]]


@dataclass(frozen=True)
class Scenario:
    name: str
    given: dict[str, Any]  #: name: value, as written
    values: dict[str, dict[str, Any]]  #: chapter: {name: converted value}
    differs: tuple[str, ...] = ()  #: the names whose value is not a default of a chapter taking them


def scenario(name: Any, given: Any, chapters: list[Chapter], where: str) -> Scenario:
    """One scenario, refused with a clear error if its name, a parameter or a value is wrong."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        rule = "must be lower-case letters, digits and _, starting with a letter (at most 40)"
        raise ParameterError(f"{where}: scenario name {shown(name)} {rule}")
    if not isinstance(given, dict) or not given:
        raise ParameterError(f"{where}: scenario {name} must map parameter names to values")
    try:  # each value as -p's: of the parameter's type, in its range, a single value
        values = resolve(chapters, dict(given))
    except ParameterError as exc:
        raise ParameterError(f"{where}: scenario {name}: {exc}") from None
    defaults = {(c.name, p.name): p.default for c in chapters for p in c.parameters}
    differs = tuple(k for k in given if any(k in v and v[k] != defaults[c, k] for c, v in values.items()))
    return Scenario(name, dict(given), {c: v for c, v in values.items() if v}, differs)


def read_scenarios_file(path: Path, chapters: list[Chapter]) -> list[Scenario]:
    """The scenarios of a YAML file of the form ``scenarios: {name: {parameter: value}}``."""
    where = f"scenarios file {path}"
    try:
        loaded = load_yaml(read_text(path, "scenarios file", 64 << 10), where)
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    given = loaded.get("scenarios") if isinstance(loaded, dict) and len(loaded) == 1 else None
    if not isinstance(given, dict):
        raise ParameterError(f"{where}: expected one key, 'scenarios:', mapping names to parameter values")
    return [scenario(name, values, chapters, where) for name, values in given.items()]


def sweep(spec: str, chapters: list[Chapter]) -> list[Scenario]:
    """``NAME=V1,V2,...`` as one scenario per value, named ``NAME_V`` (letters and digits kept, a
    minus sign as ``minus``); where that name is not the value's alone (``A`` and ``a``, ``日本`` and
    ``中国``) or would pass 40 characters, it ends with a hash of the value.

    >>> from iijbook_build.inputs import discover
    >>> [s.name for s in sweep("fy2002_growth_target=-0.1,0.1", discover())]
    ['fy2002_growth_target_minus_0_1', 'fy2002_growth_target_0_1']
    """
    where = f"--sweep {shown(spec)}"
    name, sep, values = spec.partition("=")
    items = [v.strip() for v in values.split(",")] if sep else []
    if not name or not items or not all(items):
        raise ParameterError(f"{where}: write NAME=V1,V2,... (for example guidance_point=low,mid,high)")
    labels = [
        re.sub(r"[^a-z0-9]+", "_", f"{name}_{v.replace('-', '_minus_')}".lower()).strip("_") for v in items
    ]
    out = []
    for value, named in zip(items, labels, strict=True):
        if len(named) > 40 or labels.count(named) > 1:
            named = f"{named[:33]}_{hashlib.sha256(value.encode()).hexdigest()[:6]}"
        out.append(scenario(named, {name: value}, chapters, where))
    return out


def check_all(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios, refused if two share a name or there are too many."""
    names = [s.name for s in scenarios]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise ParameterError(f"scenario {twice[0]} is given twice")
    if len(scenarios) > MAX_SCENARIOS:
        raise ParameterError(f"{len(scenarios)} scenarios: at most {MAX_SCENARIOS} in one build")
    return scenarios


@dataclass
class Plan:
    """The runs the scenarios add, each one more "chapter" for the build (by run name: its values,
    its chapter, how messages name it); the run each scenario shows of each chapter (``pages``: those
    of its own); ``baseline``: each chapter's run of its defaults (the default book's, if it has them)."""

    chapters: list[Chapter] = field(default_factory=list)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    base: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    baseline: dict[str, str] = field(default_factory=dict)
    shows: dict[str, dict[str, str]] = field(default_factory=dict)
    pages: dict[str, dict[str, str]] = field(default_factory=dict)


def plan(chapters: list[Chapter], main: dict[str, dict[str, Any]], scenarios: list[Scenario]) -> Plan:
    """The runs the scenarios need: one per chapter and set of values the default book did not run."""
    out = Plan()

    def run(chapter: Chapter, values: dict[str, Any], label: str) -> str:
        blob = json.dumps(values, sort_keys=True, default=repr).encode()
        name = f"{chapter.name}--{hashlib.sha256(blob).hexdigest()[:10]}"
        if name not in out.parameters:
            out.chapters.append(Chapter(name, chapter.path, chapter.parameters))
            out.parameters[name], out.base[name], out.labels[name] = values, chapter.name, label
        else:  # "revenues of scenario a, scenario b"
            out.labels[name] += f", {label.split(' of ', 1)[1]}"
        return name

    def changed(chapter: Chapter, values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v != chapter.parameter(k).default}  # type: ignore[union-attr]

    for chapter in chapters:  # the default book's run, unless it ran with other values
        out.baseline[chapter.name] = chapter.name
        if changed(chapter, main.get(chapter.name, {})):
            out.baseline[chapter.name] = run(chapter, {}, f"{chapter.name} (its defaults)")
    for s in scenarios:
        out.shows[s.name], out.pages[s.name] = {}, {}
        for chapter in chapters:
            values, shows = changed(chapter, s.values.get(chapter.name, {})), out.baseline[chapter.name]
            if values == changed(chapter, main.get(chapter.name, {})):
                shows = chapter.name  # the default book's page already shows these values
            elif values:
                shows = run(chapter, values, f"{chapter.name} of scenario {s.name}")
            out.shows[s.name][chapter.name] = shows
            if shows != chapter.name and chapter.name in s.values:
                out.pages[s.name][chapter.name] = shows
    return out


_DOC = re.compile(r"\{doc\}`([^`<]*<)?([^`>]+)(>?)`")


def _absolute(m: re.Match[str]) -> str:
    """A chapter page's ``{doc}`` link, from the book's top (``outlook`` → ``/chapters/outlook``)."""
    target = m.group(2)
    if not target.startswith("/"):
        target = "/" + target[3:] if target.startswith("../") else f"/chapters/{target}"
    return f"{{doc}}`{m.group(1) or ''}{target}{m.group(3)}`"


def scenario_copy(notebook: str, scenario_name: str) -> str:
    """An executed chapter as a page of ``scenarios/<scenario>/``: its labels (defined once in a book)
    and figure names end with the scenario, so does its title start; its ``{doc}`` links go to the
    default book's pages."""
    nb = json.loads(notebook)
    figures = [c.get("metadata", {}).get("mystnb", {}).get("figure", {}) for c in nb["cells"]]
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    labels = {f["name"] for f in figures if f.get("name")} | set(re.findall(r":label: (\S+)", text))
    labels |= set(re.findall(r"^\((\S+)\)=$", text, re.M))
    ours = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, sorted(labels, key=len, reverse=True))) + r")(?![\w-])"
    )
    titled = False
    for cell, figure in zip(nb["cells"], figures, strict=True):
        cell["source"] = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            text = ours.sub(rf"\1-{scenario_name}", cell["source"]) if labels else cell["source"]
            if not titled and text.startswith("# "):
                text, titled = f"# {scenario_name}: {text[2:]}", True
            cell["source"] = _DOC.sub(_absolute, text)
        if figure.get("name"):
            figure["name"] += f"-{scenario_name}"
        cell.get("metadata", {}).get("mystnb", {}).pop("glue", None)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def pages(
    root: Path, scenarios: list[Scenario], the_plan: Plan, executed: dict[str, Path]
) -> dict[Path, str]:
    """What the scenarios add to the book: their copies of the chapters they ran (``executed``: each
    run's executed copy, by run name), the Scenarios page, and the table of contents."""
    text = {name: read_text(path, "executed copy", 64 << 20) for name, path in executed.items()}
    out: dict[Path, str] = {}
    for name, runs in the_plan.pages.items():
        for chapter, run in runs.items():
            out[Path(FOLDER) / name / f"{chapter}.ipynb"] = answer_first(scenario_copy(text[run], name))
    read = {name: _read(notebook) for name, notebook in text.items()}
    titles = {name: title for name, (title, _) in read.items() if name not in the_plan.base}
    out[PAGE] = scenarios_page(scenarios, the_plan, {name: o for name, (_, o) in read.items()}, titles)
    toc = read_text(root / "_toc.yml", "table of contents", 1 << 20)
    out[Path("_toc.yml")] = toc_with_scenarios(toc, scenarios, the_plan)
    return out


def _read(notebook: str) -> tuple[str, Outputs]:
    """An executed chapter's title (its first level-1 heading) and key outputs."""
    from iijbook.page import KEY_OUTPUTS_MIME

    cells = json.loads(notebook)["cells"]
    title = re.search(r"^# +(.+?)\s*$", "\n".join("".join(c["source"]) for c in cells), re.M)
    data = (o.get("data", {}).get(KEY_OUTPUTS_MIME) for c in cells for o in c.get("outputs", []))
    found = next((d for d in data if d), {})
    return title.group(1) if title else "", {k: (float(v), str(u)) for k, (v, u) in found.items()}


def _value(value: float, unit: str) -> str:
    from iijbook.fmt import millions, pct, yen

    if unit == "JPY":
        return str(yen(value, 2) if abs(value) >= 1e9 else millions(value))
    return str(pct(value)) if unit == "ratio" else f"{value:,.0f}"


def scenarios_page(
    scenarios: list[Scenario], the_plan: Plan, outputs: dict[str, Outputs], titles: dict
) -> str:
    """The Scenarios page: what each scenario changes and its pages; each chapter's key outputs
    side by side where they differ or a scenario has a page of it (``outputs``: each run's, by run
    name, a chapter's own name for the default book's run); a chart of the first yen output."""
    lines = [
        "# Scenarios\n\nThis build ran the book with each scenario below, each set over the chapters'"
        " defaults, and compares them with the chapters' defaults (the *default* column: each chapter's"
        " run with its defaults, whatever else the build was given; see *Scenarios and sweeps* in the"
        " introduction). A chapter whose parameters a scenario leaves as they are was not run again.\n",
        "## What each scenario changes\n",
        "| scenario | parameters that differ from the defaults | its pages |\n|---|---|---|",
    ]
    for s in scenarios:
        changed = ", ".join("`{} = {}`".format(k, repr(s.given[k]).replace("|", "\\|")) for k in s.differs)
        own = [f"{{doc}}`{titles.get(c, c)} </{FOLDER}/{s.name}/{c}>`" for c in the_plan.pages[s.name]]
        links = ", ".join(own) or "none: every chapter is as in the default book"
        lines.append(f"| {s.name} | {changed or 'none'} | {links} |")
    columns = ["default", *(s.name for s in scenarios)]
    paged = {c for p in the_plan.pages.values() for c in p}
    rows = []
    for chapter, title in titles.items():
        for key, value in outputs.get(the_plan.baseline.get(chapter, chapter), {}).items():
            shows = [the_plan.shows[s.name].get(chapter, chapter) for s in scenarios]
            cells = [value, *(outputs.get(run, {}).get(key) for run in shows)]
            if len({c for c in cells if c}) > 1 or chapter in paged:
                rows.append((title.split(":")[0], key, cells))  # "Revenues", not the whole title
    lines += ["", "## Key outputs, side by side", "", f"| chapter | output | {' | '.join(columns)} |"]
    lines += ["|---|---|" + "---|" * len(columns)]
    lines += [f"| {t} | {k} | {' | '.join(_value(*c) if c else 'n/a' for c in cs)} |" for t, k, cs in rows]
    lines += [] if rows else ["| (no chapter's outputs differ) | |" + " |" * len(columns)]
    if chart := _chart(rows, columns):
        lines += ["", "```{raw} html", chart, "```"]
    return "\n".join(lines) + "\n"


def _chart(rows: list, columns: list[str]) -> str:
    """A bar chart of the first yen output that differs across the runs, drawn as a chapter's are."""
    pick = next((r for r in rows if r[2][0][1] == "JPY" and len({c for c in r[2] if c}) > 1), None)
    if pick is None:
        return ""
    import pandas as pd
    from iijbook.charts import figure_bars
    from iijbook.render import offline_renderer

    title, key, cells = pick
    ran = [(run, c) for run, c in zip(columns, cells, strict=True) if c]
    values = "; ".join(f"{run}: {_value(*c)}" for run, c in ran)
    chart = figure_bars(
        pd.DataFrame([{"run": run, "value": c[0] / 1e9} for run, c in ran]), category="run",
        title=f"{title}: {key}, by scenario", value_title=f"{key} (¥ billions)", horizontal=True,
        description=f"Bar chart of {key} for the default book and each scenario: {values}", label="¥{.2f}B",
    )  # fmt: skip
    return offline_renderer(chart.to_dict())["text/html"]


def toc_with_scenarios(toc: str, scenarios: list[Scenario], the_plan: Plan) -> str:
    """The table of contents with a part for the Scenarios page and each scenario's pages."""
    import yaml

    data = yaml.safe_load(toc)
    sections = [{"file": f"{FOLDER}/{s.name}/{c}"} for s in scenarios for c in the_plan.pages[s.name]]
    entry = {"file": PAGE.with_suffix("").as_posix(), **({"sections": sections} if sections else {})}
    if "parts" in data:
        data["parts"].append({"caption": "Scenarios", "chapters": [entry]})
    else:  # a book of chapters without parts
        data.setdefault("chapters", []).append(entry)
    return "# Written by the build for this run's scenarios\n" + yaml.safe_dump(data, sort_keys=False)

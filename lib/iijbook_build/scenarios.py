"""Scenarios: named parameter sets built beside the default book and compared on one page.

A scenarios file is YAML::

    scenarios:
      guided_low:  {guidance_point: low,  fy2001_revenue_jpy: 39900000000}
      guided_high: {guidance_point: high, fy2001_revenue_jpy: 39900000000}

and ``--sweep NAME=V1,V2,...`` adds one scenario per value. Each value is converted and
checked as ``-p`` would check it, before anything runs. A scenario sets its parameters on
top of each chapter's defaults. A chapter that takes none of them, or whose values come
out the same as the default book's, is not run again: the scenario links to the default
page. Two scenarios that give a chapter the same values share one run.

Each run a scenario needs is a *scenario run* of its chapter, named ``<chapter>--<hash of
its values>``; its page is published at ``scenarios/<scenario>/<chapter>.html``, and the
Scenarios page (``chapters/scenarios.md``) sets the chapters' key outputs side by side.

>>> from iijbook_build.inputs import discover
>>> chapters = discover()
>>> [s.name for s in sweep("guidance_point=low,high", chapters)]
['guidance_point_low', 'guidance_point_high']
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

from .inputs import Chapter, InputError, load_yaml, read_bytes, read_text, resolve
from .opening import answer_first

#: A scenario's name: it becomes a folder of the site.
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
#: The most scenarios one build takes (each may re-run several chapters).
MAX_SCENARIOS = 12
SCENARIOS_FILE_LIMIT = 64 << 10
#: Where the Scenarios page and the scenario pages go in the book.
PAGE = Path("chapters") / "scenarios.md"
FOLDER = "scenarios"
#: The MIME type a chapter's key outputs come in (see :func:`iijbook.page.key_outputs`).
KEY_OUTPUTS_MIME = "application/vnd.iijbook.key-outputs+json"


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter values, converted and checked for each chapter that takes them."""

    name: str
    given: dict[str, Any]  #: name: value, as written
    values: dict[str, dict[str, Any]]  #: chapter: {name: converted value}
    differs: tuple[str, ...] = ()  #: the names whose value is not the default of a chapter that takes them


def scenario(name: Any, given: Any, chapters: list[Chapter], where: str) -> Scenario:
    """One scenario, refused with a clear error if its name, a parameter or a value is wrong."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ParameterError(
            f"{where}: scenario name {shown(name)} must be lower-case letters, digits and _, "
            "starting with a letter (at most 40)"
        )
    if not isinstance(given, dict) or not given:
        raise ParameterError(f"{where}: scenario {name} must map parameter names to values")
    for key, value in given.items():
        if value is not None and not isinstance(value, str | int | float):
            raise ParameterError(f"{where}: scenario {name}: {shown(key)} must be a single value")
    try:
        values = resolve(chapters, dict(given))
    except ParameterError as exc:
        raise ParameterError(f"{where}: scenario {name}: {exc}") from None
    by_name = {c.name: c for c in chapters}
    differs = tuple(
        k for k in given if any(k in v and v[k] != by_name[c].parameter(k).default for c, v in values.items())
    )
    return Scenario(name, dict(given), {c: v for c, v in values.items() if v}, differs)


def read_scenarios_file(path: Path, chapters: list[Chapter]) -> list[Scenario]:
    """The scenarios of a YAML file of the form ``scenarios: {name: {parameter: value}}``."""
    where = f"scenarios file {path}"
    try:
        loaded = load_yaml(read_text(path, "scenarios file", SCENARIOS_FILE_LIMIT), where)
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    if (
        not isinstance(loaded, dict)
        or set(loaded) != {"scenarios"}
        or not isinstance(loaded["scenarios"], dict)
    ):
        raise ParameterError(f"{where}: expected one key, 'scenarios:', mapping names to parameter values")
    return [scenario(name, given, chapters, where) for name, given in loaded["scenarios"].items()]


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
    if not name or not all(items) or not items:
        raise ParameterError(f"{where}: write NAME=V1,V2,... (for example guidance_point=low,mid,high)")

    def label(value: str) -> str:
        return re.sub(r"[^a-z0-9]+", "_", f"{name}_{value.replace('-', '_minus_')}".lower()).strip("_")

    labels = [label(v) for v in items]
    out = []
    for value, named in zip(items, labels, strict=True):
        if len(named) > 40 or labels.count(named) > 1:
            named = f"{named[:33]}_{hashlib.sha256(value.encode()).hexdigest()[:6]}"
        out.append(scenario(named, {name: value}, chapters, where))
    return out


def check_all(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios, refused if two share a name or there are too many."""
    names = [s.name for s in scenarios]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError(f"scenario {twice[0]} is given twice")
    if len(scenarios) > MAX_SCENARIOS:
        raise ParameterError(f"{len(scenarios)} scenarios: at most {MAX_SCENARIOS} in one build")
    return scenarios


@dataclass
class Plan:
    """The runs the scenarios add, and which run each scenario's view of each chapter shows.

    Scenarios are set over each chapter's defaults, and compared with the defaults' own run
    (``baseline``): the default book's run where it ran with its defaults, else a run of its own.
    """

    chapters: list[Chapter] = field(default_factory=list)  #: one per added run
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  #: added run: its values
    base: dict[str, str] = field(default_factory=dict)  #: added run: its chapter
    labels: dict[str, str] = field(default_factory=dict)  #: added run: how messages name it
    baseline: dict[str, str] = field(default_factory=dict)  #: chapter: the run of its defaults
    shows: dict[str, dict[str, str]] = field(default_factory=dict)  #: scenario: {chapter: run}
    pages: dict[str, dict[str, str]] = field(default_factory=dict)  #: scenario: {chapter: run}, own pages


def run_name(chapter: str, values: dict[str, Any]) -> str:
    """The name of a chapter's added run with ``values``: the chapter and a hash of the values."""
    blob = json.dumps(values, sort_keys=True, default=repr).encode()
    return f"{chapter}--{hashlib.sha256(blob).hexdigest()[:10]}"


def plan(chapters: list[Chapter], main: dict[str, dict[str, Any]], scenarios: list[Scenario]) -> Plan:
    """The runs the scenarios need: one per chapter and set of values the default book did not run."""
    out = Plan()

    def add(chapter: Chapter, values: dict[str, Any], label: str) -> str:
        name = run_name(chapter.name, values)
        if name not in out.parameters:
            out.chapters.append(Chapter(name, chapter.path, chapter.parameters))
            out.parameters[name], out.base[name], out.labels[name] = values, chapter.name, label
        else:
            out.labels[name] += f", {label.split(' of ', 1)[-1]}" if " of " in label else ""
        return name

    def changed(chapter: Chapter, values: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v != chapter.parameter(k).default}  # type: ignore[union-attr]

    for chapter in chapters:
        main_values = changed(chapter, main.get(chapter.name, {}))
        out.baseline[chapter.name] = (
            add(chapter, {}, f"{chapter.name} (its defaults)") if main_values else chapter.name
        )
    for s in scenarios:
        out.shows[s.name], out.pages[s.name] = {}, {}
        for chapter in chapters:
            values = changed(chapter, s.values.get(chapter.name, {}))
            if values == changed(chapter, main.get(chapter.name, {})):
                run = chapter.name  # the default book's page already shows these values
            elif not values:
                run = out.baseline[chapter.name]
            else:
                run = add(chapter, values, f"{chapter.name} of scenario {s.name}")
            out.shows[s.name][chapter.name] = run
            if run != chapter.name and chapter.name in s.values:
                out.pages[s.name][chapter.name] = run
    used = {r for shown in out.shows.values() for r in shown.values()} | set(out.baseline.values())
    out.chapters = [c for c in out.chapters if c.name in used]
    return out


_DOC = re.compile(r"\{doc\}`([^`<]*<)?([^`>]+)(>?)`")


def scenario_copy(notebook: str, scenario_name: str) -> str:
    """An executed chapter as a page of ``scenarios/<scenario>/``: its own labels, absolute links.

    Figure names and exercise labels get the scenario as a suffix (the default page keeps the
    originals, and a label may be defined once in a book); ``{doc}`` links point at the
    default book's pages.
    """
    nb = json.loads(notebook)
    labels: set[str] = set()
    for cell in nb["cells"]:
        name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
        if name:
            labels.add(name)
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        labels |= set(re.findall(r":label: (\S+)", source)) | set(re.findall(r"^\((\S+)\)=$", source, re.M))
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, sorted(labels, key=len, reverse=True))) + r")(?![\w-])"
    )

    def rename(text: str) -> str:
        text = pattern.sub(lambda m: f"{m.group(1)}-{scenario_name}", text) if labels else text
        return _DOC.sub(lambda m: f"{{doc}}`{m.group(1) or ''}{_absolute(m.group(2))}{m.group(3)}`", text)

    titled = False
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if not titled and source.startswith("# "):
                source = f"# {scenario_name}: {source[2:]}"  # the sidebar tells the copies apart
                titled = True
            cell["source"] = rename(source)
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure")
        if figure and figure.get("name"):
            figure["name"] = f"{figure['name']}-{scenario_name}"
        cell.get("metadata", {}).get("mystnb", {}).pop("glue", None)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def pages(
    root: Path, scenarios: list[Scenario], the_plan: Plan, executed: dict[str, Path]
) -> dict[Path, str]:
    """What the scenarios add to the book: their copies of the chapters they ran (``executed``: each
    run's executed copy, by run name), the Scenarios page, and the table of contents."""
    out: dict[Path, str] = {}
    for scenario_name, runs in the_plan.pages.items():
        for chapter_name, run_name in runs.items():
            text = read_bytes(executed[run_name], "executed copy", 64 << 20).decode()
            out[Path(FOLDER) / scenario_name / f"{chapter_name}.ipynb"] = answer_first(
                scenario_copy(text, scenario_name)
            )
    outputs = {name: key_outputs(path) for name, path in executed.items()}
    titles = {name: _title(path) for name, path in executed.items() if name not in the_plan.base}
    out[PAGE] = scenarios_page(scenarios, the_plan, outputs, titles)
    toc = read_text(root / "_toc.yml", "table of contents", 1 << 20)
    out[Path("_toc.yml")] = toc_with_scenarios(toc, scenarios, the_plan)
    return out


def _title(executed: Path) -> str:
    """A chapter's title: the first level-1 heading of its markdown."""
    for cell in json.loads(executed.read_text(encoding="utf-8")).get("cells", []):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown" and (found := re.search(r"^# +(.+?)\s*$", source, re.M)):
            return found.group(1)
    return ""


def _absolute(target: str) -> str:
    """A ``{doc}`` target of a chapter page, from the book's top ("outlook" → "/chapters/outlook")."""
    if target.startswith("/"):
        return target
    if target.startswith("../"):
        return "/" + target[3:]
    return f"/chapters/{target}"


def key_outputs(executed: Path) -> dict[str, tuple[float, str]]:
    """A chapter's key outputs, as its executed copy recorded them."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(KEY_OUTPUTS_MIME)
            if data:
                return {name: (float(v), str(unit)) for name, (v, unit) in data.items()}
    return {}


def _value(value: float, unit: str) -> str:
    from iijbook.fmt import millions, pct, yen

    if unit == "JPY":
        return str(yen(value, 2) if abs(value) >= 1e9 else millions(value))
    if unit == "ratio":
        return str(pct(value))
    return f"{value:,.0f}"


def scenarios_page(
    scenarios: list[Scenario],
    the_plan: Plan,
    outputs: dict[str, dict[str, tuple[float, str]]],
    chapter_titles: dict[str, str],
) -> str:
    """The Scenarios page: what each scenario changes, the chapters' key outputs side by side, a chart, links.

    ``outputs`` holds each run's key outputs, by run name (a chapter's own name for the
    default book's run).
    """
    lines = [
        "# Scenarios",
        "",
        "This build ran the book with each scenario below, each set over the chapters' defaults, and "
        "compares them with the chapters' defaults (the *default* column: each chapter's run with "
        "its defaults, whatever else the build was given; see *Scenarios and sweeps* in the "
        "introduction). A chapter whose parameters a scenario leaves as they are was not run again.",
        "",
        "## What each scenario changes",
        "",
        "| scenario | parameters that differ from the defaults | its pages |",
        "|---|---|---|",
    ]
    for s in scenarios:
        changed = ", ".join(f"`{k} = {_cell(repr(s.given[k]))}`" for k in s.differs) or "none"
        pages = the_plan.pages[s.name]
        links = (
            ", ".join(f"{{doc}}`{chapter_titles.get(c, c)} </{FOLDER}/{s.name}/{c}>`" for c in pages)
            or "none: every chapter is as in the default book"
        )
        lines.append(f"| {s.name} | {changed} | {links} |")
    lines += ["", "## Key outputs, side by side", ""]
    columns = ["default"] + [s.name for s in scenarios]
    rows: list[tuple[str, str, list[tuple[float, str] | None]]] = []
    for chapter, title in chapter_titles.items():
        title = title.split(":")[0]  # "Revenues", not the whole of the page's title
        default = outputs.get(the_plan.baseline.get(chapter, chapter), {})
        for key in default:
            cells = [default[key]]
            for s in scenarios:
                run = the_plan.shows[s.name].get(chapter, chapter)
                cells.append(outputs.get(run, {}).get(key))
            if len({c for c in cells if c}) > 1 or chapter in {c for p in the_plan.pages.values() for c in p}:
                rows.append((title, key, cells))
    lines += ["| chapter | output | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for title, key, cells in rows:
        shown_cells = [_value(*c) if c else "n/a" for c in cells]
        lines.append(f"| {title} | {key} | " + " | ".join(shown_cells) + " |")
    if not rows:
        lines.append("| (no chapter's outputs differ) | | " + " | ".join("" for _ in columns) + " |")
    chart = _chart(rows, columns)
    if chart:
        lines += ["", "```{raw} html", chart, "```"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _chart(rows: list, columns: list[str]) -> str:
    """A bar chart of the first yen output that differs across the runs (the book's offline renderer)."""
    from iijbook.render import offline_renderer

    pick = next(
        (r for r in rows if r[2][0] and r[2][0][1] == "JPY" and len({c for c in r[2] if c}) > 1), None
    )
    if pick is None:
        return ""
    title, key, cells = pick
    values = [
        {"run": run, "billions": round(c[0] / 1e9, 3), "label": _value(*c)}
        for run, c in zip(columns, cells, strict=True)
        if c
    ]
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "run", "type": "nominal", "sort": columns, "title": None},
            "x": {"field": "billions", "type": "quantitative", "title": f"{key} (¥ billions)"},
            "tooltip": [{"field": "run"}, {"field": "label", "title": key}],
        },
    }
    text = {
        "mark": {"type": "text", "align": "left", "dx": 4},
        "encoding": {
            "y": {"field": "run", "type": "nominal", "sort": columns},
            "x": {"field": "billions", "type": "quantitative"},
            "text": {"field": "label"},
        },
    }
    summary = "; ".join(f"{v['run']}: {v['label']}" for v in values)
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": f"{title}: {key}, by scenario",
        "description": f"Bar chart of {key} for the default book and each scenario: {summary}.",
        "data": {"values": values},
        "width": 460,
        "height": 28 * len(values),
        "layer": [bars, text],
    }
    return offline_renderer(spec)["text/html"]


def toc_with_scenarios(toc: str, scenarios: list[Scenario], the_plan: Plan) -> str:
    """The table of contents with a part for the Scenarios page and each scenario's pages."""
    import yaml

    data = yaml.safe_load(toc)
    sections = []
    for s in scenarios:
        for chapter in the_plan.pages[s.name]:
            sections.append({"file": f"{FOLDER}/{s.name}/{chapter}"})
    entry: dict[str, Any] = {"file": PAGE.with_suffix("").as_posix()}
    if sections:
        entry["sections"] = sections
    if "parts" in data:
        data["parts"].append({"caption": "Scenarios", "chapters": [entry]})
    else:  # a book of chapters without parts
        data.setdefault("chapters", []).append(entry)
    return "# Written by the build for this run's scenarios\n" + yaml.safe_dump(data, sort_keys=False)

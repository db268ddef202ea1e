"""Scenarios side by side: a scenarios file or a sweep, checked before anything runs, built in one pass."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from iijbook.params import ParameterError
from iijbook_build.inputs import discover
from iijbook_build.scenarios import (
    check_all,
    plan,
    read_scenarios_file,
    scenario_copy,
    sweep,
    toc_with_scenarios,
)

from .conftest import ROOT, run_cli
from .test_cli import tree_digest

CHAPTERS = discover(ROOT)
DEFAULTS = {c.name: {} for c in CHAPTERS}
GUIDANCE = {"revenues", "systems_integration", "profitability", "outlook"}  # the chapters that take it


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("scenarios:\n  a: {no_such: 1}\n", "scenario a: unknown parameter 'no_such'"),
        (
            "scenarios:\n  a: {guidance_point: best}\n",
            "scenario a: parameter guidance_point: 'best' is out of range",
        ),
        (
            "scenarios:\n  a: {fy2002_growth_target: 9}\n",
            "parameter fy2002_growth_target: 9.0 is out of range",
        ),
        ("scenarios:\n  Bad Name: {guidance_point: low}\n", "scenario name 'Bad Name' must be lower-case"),
        (
            "scenarios:\n  a: {guidance_point: [low]}\n",
            "scenario a: parameter guidance_point: ['low'] is not a single value",
        ),
        ("scenarios:\n  a: {}\n", "scenario a must map parameter names to values"),
        ("scenarios: [a, b]\n", "expected one key, 'scenarios:'"),
        ("guided_low: {guidance_point: low}\n", "expected one key, 'scenarios:'"),
        ("scenarios:\n  a: {guidance_point: low\n", "not valid YAML"),
    ],
    ids=[
        "unknown",
        "bad choice",
        "out of range",
        "bad name",
        "a list",
        "empty",
        "a list of names",
        "no key",
        "bad yaml",
    ],
)
def test_a_bad_scenarios_file_is_refused_naming_what_is_wrong(tmp_path, text, refusal):
    with pytest.raises(ParameterError, match=re.escape(refusal)):
        read_scenarios_file(_file(tmp_path, text), CHAPTERS)


@pytest.mark.parametrize(
    ("spec", "refusal"),
    [
        ("guidance_point", "write NAME=V1,V2,..."),
        ("guidance_point=", "write NAME=V1,V2,..."),
        ("guidance_point=low,,high", "write NAME=V1,V2,..."),
        ("no_such=1,2", "unknown parameter 'no_such'"),
        ("guidance_point=low,best", "'best' is out of range"),
    ],
)
def test_a_bad_sweep_is_refused(spec, refusal):
    with pytest.raises(ParameterError, match=re.escape(refusal)):
        sweep(spec, CHAPTERS)


def test_a_sweep_is_one_scenario_a_value():
    made = sweep("guidance_point=low,mid,high", CHAPTERS)
    assert [s.name for s in made] == ["guidance_point_low", "guidance_point_mid", "guidance_point_high"]
    assert made[0].values["revenues"] == {"guidance_point": "low"} and set(made[0].values) == GUIDANCE
    rates = sweep("jpy_per_usd=120.5,150", CHAPTERS)
    assert [s.name for s in rates] == ["jpy_per_usd_120_5", "jpy_per_usd_150"]
    assert rates[1].values == {"revenues": {"jpy_per_usd": 150.0}}  # checked and converted, as -p does


def test_two_scenarios_of_one_name_or_too_many_are_refused():
    with pytest.raises(ParameterError, match="scenario guidance_point_low is given twice"):
        check_all(sweep("guidance_point=low", CHAPTERS) * 2)
    many = [s for v in range(50, 63) for s in sweep(f"jpy_per_usd={v}", CHAPTERS)]
    with pytest.raises(ParameterError, match="13 scenarios: at most 12"):
        check_all(many)


def test_cost_follows_change(tmp_path):
    # the default value runs nothing; a value two scenarios share runs once; other chapters never
    made = sweep("guidance_point=low,mid,high", CHAPTERS)
    the_plan = plan(CHAPTERS, DEFAULTS, made)
    assert the_plan.pages["guidance_point_mid"] == {}
    assert {the_plan.base[c.name] for c in the_plan.chapters} == GUIDANCE
    assert len(the_plan.chapters) == 2 * len(GUIDANCE)
    twins = read_scenarios_file(
        _file(tmp_path, "scenarios:\n  a: {guidance_point: low}\n  b: {guidance_point: low}\n"), CHAPTERS
    )
    shared = plan(CHAPTERS, DEFAULTS, twins)
    assert len(shared.chapters) == len(GUIDANCE) and shared.pages["a"] == shared.pages["b"]
    # a scenario is set over the chapters' defaults and compared with their defaults' own run: a
    # default book run with -p adds one run of the defaults per chapter it changed; a scenario that
    # repeats the -p value runs nothing more and has no pages of its own
    low_book = {c.name: ({"guidance_point": "low"} if c.name in GUIDANCE else {}) for c in CHAPTERS}
    low = plan(CHAPTERS, low_book, sweep("guidance_point=low", CHAPTERS))
    assert {low.base[c.name] for c in low.chapters} == GUIDANCE
    assert all(low.parameters[c.name] == {} for c in low.chapters)
    assert low.pages["guidance_point_low"] == {}
    assert {low.baseline[name] for name in GUIDANCE} == {c.name for c in low.chapters}
    # a sweep of values that differ only in sign, or that are long, gets one name per value
    signs = sweep("fy2002_growth_target=-0.1,0.1", CHAPTERS)
    assert len({s.name for s in signs}) == 2
    long_values = sweep(
        "fy2001_revenue_jpy=" + ",".join(f"3{'0' * 10}.{'0' * 30}{i}" for i in (1, 2)), CHAPTERS
    )
    assert len({s.name for s in long_values}) == 2 and all(len(s.name) <= 40 for s in long_values)


def test_a_scenario_page_has_labels_of_its_own_and_links_to_the_default_pages():
    source = (ROOT / "chapters" / "outlook.ipynb").read_text(encoding="utf-8")
    copy = json.loads(scenario_copy(source, "guided_low"))
    text = "\n".join("".join(c["source"]) for c in copy["cells"] if c["cell_type"] == "markdown")
    assert text.startswith("# guided_low: Outlook")
    assert ":label: outlook-ex-3q01-guided_low" in text and "{solution} outlook-ex-3q01-guided_low" in text
    assert "{numref}`fig-outlook-quarters-guided_low`" in text
    names = [c["metadata"]["mystnb"]["figure"]["name"] for c in copy["cells"] if "mystnb" in c["metadata"]]
    assert names and all(n.endswith("-guided_low") for n in names)
    assert not re.search(r"\{doc\}`(?!/)[^`<]*`", text)  # every page link points at the default book
    profitability = scenario_copy(
        (ROOT / "chapters" / "profitability.ipynb").read_text(encoding="utf-8"), "x"
    )
    assert "{doc}`/chapters/outlook`" in profitability and "{doc}`outlook`" not in profitability


# -- through the command ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sweep", "guidance_point=best"], "'best' is out of range"),
        (["--sweep", "no_such=1"], "unknown parameter 'no_such'"),
        (["--scenarios", "/nonexistent/scenarios.yaml"], "cannot read it: no such file"),
    ],
)
def test_a_refused_scenario_changes_nothing(built_book, args, message):
    before = tree_digest(built_book / "html")
    proc = run_cli("build", "--build-dir", str(built_book), *args)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert tree_digest(built_book / "html") == before


@pytest.mark.book
def test_three_guidance_scenarios_side_by_side(built_book, tmp_path):
    build_dir = tmp_path / "_build"
    shutil.copytree(built_book, build_dir, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    scenarios = _file(
        tmp_path,
        "scenarios:\n"
        "  guided_low:  {guidance_point: low,  fy2001_revenue_jpy: 39900000000}\n"
        "  guided_mid:  {guidance_point: mid,  fy2001_revenue_jpy: 39900000000}\n"
        "  guided_high: {guidance_point: high, fy2001_revenue_jpy: 39900000000}\n",
    )
    proc = run_cli("build", "--build-dir", str(build_dir), "--scenarios", str(scenarios))
    assert proc.returncode == 0, proc.stderr
    # 3 scenarios × the 4 chapters that take these parameters; the other chapters are the default book's
    assert "running 12 chapter(s)" in proc.stdout, proc.stdout
    assert re.search(r"capex +cached", proc.stdout) and re.search(r"broadband +cached", proc.stdout)
    site = build_dir / "html"
    page = re.sub(r"<[^>]+>", " ", (site / "chapters" / "scenarios.html").read_text(encoding="utf-8"))
    page = " ".join(page.split())
    for name in ("guided_low", "guided_mid", "guided_high"):
        assert name in page
    # 4Q02 the target needs = 1.2 × 39.9 − 20.4788 − 3Q02: 47.88 − 20.4788 − 10.5 / 10.75 / 11.0
    assert "4Q02 revenues the target needs ¥16.65B ¥16.90B ¥16.65B ¥16.40B" in page
    for name in ("guided_low", "guided_mid", "guided_high"):
        for chapter in GUIDANCE:
            scenario_page = (site / "scenarios" / name / f"{chapter}.html").read_text(encoding="utf-8")
            top = " ".join(re.sub(r"<[^>]+>", " ", scenario_page).split())
            assert "Not the default run" in top and "fy2001_revenue_jpy = 39900000000.0" in top, (
                name,
                chapter,
            )
    assert (site / "chapters" / "scenarios.html").read_text(encoding="utf-8").count("iijbook-chart") >= 1
    # the same scenarios again: every run is in the cache
    again = run_cli("build", "--build-dir", str(build_dir), "--scenarios", str(scenarios))
    assert again.returncode == 0 and "running" not in again.stdout, again.stdout


@pytest.mark.book
def test_a_sweep_runs_only_what_it_changes(built_book, tmp_path):
    build_dir = tmp_path / "_build"
    shutil.copytree(built_book, build_dir, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    sweeps = ["--sweep", "jpy_per_usd=150", "--sweep", "guidance_point=mid"]  # mid is the default
    proc = run_cli("build", "--build-dir", str(build_dir), *sweeps)
    assert proc.returncode == 0, proc.stderr
    assert "running 1 chapter(s)" in proc.stdout  # revenues alone takes the rate; mid changes nothing
    page = " ".join(
        re.sub(r"<[^>]+>", " ", (build_dir / "html" / "chapters" / "scenarios.html").read_text()).split()
    )
    assert "jpy_per_usd_150" in page and "none: every chapter is as in the default book" in page
    revenues = (build_dir / "html" / "scenarios" / "jpy_per_usd_150" / "revenues.html").read_text(
        encoding="utf-8"
    )
    assert "$70.7M" in revenues  # 10.6e9 / 150 = 70.67e6, by hand


def test_the_scenarios_join_a_table_of_contents_with_or_without_parts():
    import yaml

    made = sweep("guidance_point=low", CHAPTERS)
    the_plan = plan(CHAPTERS, DEFAULTS, made)
    flat = yaml.safe_load(
        toc_with_scenarios("format: jb-book\nroot: intro\nchapters:\n  - file: a\n", made, the_plan)
    )
    assert (
        "parts" not in flat and flat["chapters"][-1]["file"] == "chapters/scenarios"
    )  # jupyter-book takes one
    parted = yaml.safe_load(toc_with_scenarios((ROOT / "_toc.yml").read_text(), made, the_plan))
    assert "chapters" not in parted and parted["parts"][-1]["caption"] == "Scenarios"

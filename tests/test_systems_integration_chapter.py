"""The systems-integration chapter splits 3Q02 at an assumed SI share and finds the SI growth needed.

Its visible cells do the arithmetic; these tests check what they show and what the prose cites
against hand computation, at the defaults (the book build's executed copy) and at other assumed
shares and growth (runs in one kernel).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .conftest import cell_result, chapter_runs, executed_copy, glued_values

#: The values the systems integration chapter's prose cites, by the names these tests use: each is an
#: {eval} expression of the chapter (a formatting call on a value the chapter computed).
CITED = {
    "gm_1q02": 'fmt.pct(data.figure("gross_margin_1q02").value)',
    "gm_2q02": 'fmt.pct(data.figure("gross_margin_2q02").value)',
    "target_pct": "fmt.pct(fy2002_growth_target, 0, signed=True)",
    "si_share": "fmt.pct(si_share_3q02, 0)",
    "si_uplift": "fmt.pct(si_uplift_4q02, 0, signed=True)",
    "other_growth": "change(other_growth)",
    "fy2001_text": "yen3(fy2001)",
    "q3_text": "fmt.yen(q3, 2)",
    "fy2002_target": "fmt.yen(sh.fy2002_target, 2)",
    "h1_02": "yen3(sh.h1_02)",
    "h2_needed": "fmt.yen(sh.h2_02_needed, 2)",
    "q4_needed": "yen3(sh.q4_02_needed)",
    "q4_needed_lo": "yen3(q4_needed_i.lo)",
    "q4_needed_hi": "yen3(q4_needed_i.hi)",
    "q4_over_q3": "fmt.pct(q4_qoq_needed, signed=True)",
    "q3_si": 'fmt.yen(split["3Q02 SI"], 2)',
    "q3_other": 'fmt.yen(split["3Q02 other"], 2)',
    "q4_si": 'fmt.yen(split["4Q02 SI"], 2)',
    "q4_other": 'fmt.yen(split["4Q02 other"], 2)',
    "q4_total": 'yen3(split["4Q02 total"])',
    "q4_short": 'fmt.yen(abs(sh.q4_02_needed - split["4Q02 total"]), 2)',
    "q4_short_word": 'Text("short of" if split["4Q02 total"] < sh.q4_02_needed else "above")',
    "uplift_needed_text": "fmt.pct(uplift_needed, 0, signed=True)",
    "si_multiple": "Text(f'{1 + uplift_needed:.1f}')",
    "share_lo_text": "fmt.pct(share_lo, 0)",
    "share_hi_text": "fmt.pct(share_hi, 0)",
    "uplift_needed_lo_text": "fmt.pct(needs[share_lo], 0, signed=True)",
    "uplift_needed_hi_text": "fmt.pct(needs[share_hi], 0, signed=True)",
    "q3_later_text": "fmt.yen(q3_later.value)",
    "q4_later_text": "fmt.yen(q4_later.value)",
    "q4_qoq_later_text": "fmt.pct(q4_qoq_later.value, signed=True)",
    "later_source": "Text(q4_later.source)",
    "uplift_later_text": "fmt.pct(uplift_later, 0, signed=True)",
    "q4_later_gap": "fmt.yen(q4_later_short, 2)",
}


def cited(notebook: Path, **options) -> dict[str, str]:
    """The values the prose cites, by expression and by the names of :data:`CITED`."""
    return glued_values(notebook, names=CITED, **options)


run = chapter_runs("systems_integration")


def _rows(text: str) -> dict[str, str]:
    """A shown one-column table as {row label: value}."""
    rows = {}
    for line in text.splitlines():
        m = re.fullmatch(r"(.+?)\s{2,}(\S+)", line.strip())
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_systems_integration_runs_with_its_defaults(built_book):
    out = executed_copy(built_book, "systems_integration")
    glued = cited(out)
    # 4Q02 needed: 39.9 * 1.2 - 20.4788 - 10.75 = 16.6512, +54.9% on 3Q02 (16.6512 / 10.75); its interval
    # 39.85 * 1.2 - 20.5801 - 10.75 = 16.4899 to 39.95 * 1.2 - 20.3777 - 10.75 = 16.8123
    assert glued["q4_needed"] == "¥16.7B" and glued["q4_over_q3"] == "+54.9%"
    assert (glued["q4_needed_lo"], glued["q4_needed_hi"]) == ("¥16.5B", "¥16.8B")
    # the rest grows at 2Q02's YoY pace a quarter: 1.109 ** 0.25 = exp(ln 1.109 / 4)
    # = exp(0.025865) = 1.026202
    assert glued["other_growth"] == "+2.6%"
    # SI growth needed at 30%: (16.6512 - 7.525 * 1.026202) / 3.225 - 1 = (16.6512 - 7.72217) / 3.225 - 1
    # = 1.76869; at 20%: (16.6512 - 8.6 * 1.026202) / 2.15 - 1 = (16.6512 - 8.82534) / 2.15 - 1 = 2.63994;
    # at 40%: (16.6512 - 6.45 * 1.026202) / 4.3 - 1 = (16.6512 - 6.61900) / 4.3 - 1 = 1.33307
    needs = _rows(cell_result(out, "si-d3"))
    assert needs == {"20% SI": "+264.0%", "30% SI": "+176.9%", "40% SI": "+133.3%"}
    assert glued["uplift_needed_text"] == "+177%" and glued["si_multiple"] == "2.8"
    # SI doubling, the rest +2.6%: 6.45 + 7.72217 = 14.17217
    assert glued["q4_total"] == "¥14.2B"
    # hindsight: 16.6512 - 13.0 = 3.6512 short; the later 4Q02 (13.0) on the later 3Q02 (10.6)
    # at 30%, the rest
    # at the same pace: (13.0 - 7.42 * 1.026202) / 3.18 - 1 = (13.0 - 7.61442) / 3.18 - 1 = 0.69358
    assert glued["q4_later_gap"] == "¥3.65B"
    assert cell_result(out, "si-d5") == "+69.4%" and glued["uplift_later_text"] == "+69%"
    nb = nbformat.read(out, 4)
    cells = {c.get("id"): c for c in nb.cells}
    for cid in ("si-d4", "si-d5"):  # the cells that take 2003 figures are marked as hindsight
        assert "hindsight" in cells[cid].metadata["tags"] and cells[cid].source.startswith("# Hindsight:")
    assert "later_figure" not in cells["si-11"].source  # the headline chart draws November 2002 figures only
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "An SI contractor in Japan typically books" not in prose and "the season did come" not in prose


def test_systems_integration_with_the_rest_held_flat(run):
    out = run({"other_growth_4q02": 0.0})
    glued = cited(out)
    # never "+0.0%": flat; SI growth needed at 30%: (16.6512 - 7.525) / 3.225 - 1 = 1.82982
    assert glued["other_growth"] == "flat"
    assert _rows(cell_result(out, "si-d3"))["30% SI"] == "+183.0%"


def test_systems_integration_runs_with_a_smaller_si_share(run):
    out = run({"si_share_3q02": 0.25})
    glued = cited(out)
    # by hand: 3Q02 at the midpoint 10.75; SI 10.75 * 0.25 = 2.6875, the rest 8.0625, growing 2.6202% to
    # 8.27375; 4Q02 needed 16.6512 (revenues chapter);
    # SI growth needed (16.6512 - 8.27375) / 2.6875 - 1 = 211.7%
    assert glued["q3_si"] == "¥2.69B"
    assert glued["q3_other"] == "¥8.06B"
    assert glued["q4_needed"] == "¥16.7B"
    assert glued["uplift_needed_text"] == "+212%"
    assert _rows(cell_result(out, "si-d3"))["25% SI"] == "+211.7%"  # 2.11717
    # SI doubling: 8.27375 + 2 * 2.6875 = 13.64875
    assert glued["q4_total"] == "¥13.6B"
    assert glued["share_lo_text"] == "15%" and glued["share_hi_text"] == "35%"


def test_systems_integration_scenario_with_other_revenues_growing(run):
    parameters = {"si_share_3q02": 0.30, "si_uplift_4q02": 1.0, "other_growth_4q02": 0.05}
    out = run(parameters)
    # 3Q02 10.75 at 30% SI: SI 3.225, other 7.525; SI doubles, other +5%: 6.45 + 7.90125 = 14.35125
    assert _rows(cell_result(out, "si-d2")) == {
        "3Q02 SI": "3.225",
        "3Q02 other": "7.525",
        "4Q02 SI": "6.450",
        "4Q02 other": "7.901",
        "4Q02 total": "14.351",
    }
    glued = cited(out)
    assert glued["q4_total"] == "¥14.4B" and glued["other_growth"] == "+5.0%"
    # 16.6512 - 14.35125 = 2.29995 short of the requirement
    assert (glued["q4_short"], glued["q4_short_word"]) == ("¥2.30B", "short of")
    # SI growth needed: (16.6512 - 7.90125) / 3.225 - 1 = 1.71316
    assert _rows(cell_result(out, "si-d3"))["30% SI"] == "+171.3%"
    # hindsight with the rest growing 5%: (13.0 - 10.6 * 0.7 * 1.05) / 3.18 - 1 = 5.209 / 3.18 - 1 = 0.63805
    assert cell_result(out, "si-d5") == "+63.8%"

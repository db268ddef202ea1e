"""The systems-integration chapter splits 3Q02 at an assumed SI share and finds the SI growth needed.

Its visible cells do the arithmetic; these tests check what they show and what the prose cites
against hand computation, at the defaults (the book build's executed copy) and at other assumed
shares and growth (runs in one kernel).
"""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import cell_result, chapter_runs, executed_copy, glued_values

#: The values the systems integration chapter's prose cites, by the names these tests use: each is an
#: {eval} expression of the chapter (a formatting call on a value the chapter computed).
CITED = {
    "gm_1q02": 'fmt.pct(data.figure("gross_margin_1q02").value)',
    "gm_2q02": 'fmt.pct(data.figure("gross_margin_2q02").value)',
    "target_pct": "fmt.pct(fy2002_growth_target, 0, signed=True)",
    "si_share": "fmt.pct(si_share_3q02, 0)",
    "si_uplift": "fmt.pct(si_uplift_4q02, 0, signed=True)",
    "other_growth": "fmt.pct(other_growth_4q02, 0, signed=True)",
    "fy2001_text": "fmt.yen(fy2001, 2)",
    "q3_text": "fmt.yen(q3, 2)",
    "fy2002_target": "fmt.yen(sh.fy2002_target, 2)",
    "h1_02": "fmt.yen(sh.h1_02, 2)",
    "h2_needed": "fmt.yen(sh.h2_02_needed, 2)",
    "q4_needed": "fmt.yen(sh.q4_02_needed, 2)",
    "q4_over_q3": "fmt.pct(q4_qoq_needed, signed=True)",
    "q3_si": 'fmt.yen(split["3Q02 SI"], 2)',
    "q3_other": 'fmt.yen(split["3Q02 other"], 2)',
    "q4_si": 'fmt.yen(split["4Q02 SI"], 2)',
    "q4_other": 'fmt.yen(split["4Q02 other"], 2)',
    "q4_total": 'fmt.yen(split["4Q02 total"], 2)',
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
    # 4Q02 needed: 39.9 * 1.2 - 20.4788 - 10.75 = 16.6512, +54.9% on 3Q02 (16.6512 / 10.75)
    assert glued["q4_needed"] == "¥16.65B" and glued["q4_over_q3"] == "+54.9%"
    # SI growth needed at 30%: (16.6512 - 7.525) / 3.225 - 1 = 1.82982; at 20%: (16.6512 - 8.6) / 2.15 - 1
    # = 2.74474; at 40%: (16.6512 - 6.45) / 4.3 - 1 = 1.37237
    needs = _rows(cell_result(out, "si-d3"))
    assert needs == {"20% SI": "+274.5%", "30% SI": "+183.0%", "40% SI": "+137.2%"}
    assert glued["uplift_needed_text"] == "+183%" and glued["si_multiple"] == "2.8"
    # hindsight: 16.6512 - 13.0 = 3.6512 short; the later 4Q02 (13.0) on the later 3Q02 (10.6) at 30%:
    # (13.0 - 7.42) / 3.18 - 1 = 0.75472
    assert glued["q4_later_gap"] == "¥3.65B"
    assert cell_result(out, "si-d5") == "+75.5%" and glued["uplift_later_text"] == "+75%"


def test_systems_integration_runs_with_a_smaller_si_share(run):
    out = run({"si_share_3q02": 0.25})
    glued = cited(out)
    # by hand: 3Q02 at the midpoint 10.75; SI 10.75 * 0.25 = 2.6875, the rest 8.0625;
    # 4Q02 needed 16.6512 (revenues chapter); SI growth needed (16.6512 - 8.0625) / 2.6875 - 1 = 219.6%
    assert glued["q3_si"] == "¥2.69B"
    assert glued["q3_other"] == "¥8.06B"
    assert glued["q4_needed"] == "¥16.65B"
    assert glued["uplift_needed_text"] == "+220%"
    assert _rows(cell_result(out, "si-d3"))["25% SI"] == "+219.6%"  # 2.19578
    # SI doubling: 8.0625 + 2 * 2.6875 = 13.4375
    assert glued["q4_total"] == "¥13.44B"
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
    assert glued["q4_total"] == "¥14.35B"
    # 16.6512 - 14.35125 = 2.29995 short of the requirement
    assert (glued["q4_short"], glued["q4_short_word"]) == ("¥2.30B", "short of")
    # SI growth needed: (16.6512 - 7.90125) / 3.225 - 1 = 1.71316
    assert _rows(cell_result(out, "si-d3"))["30% SI"] == "+171.3%"
    # hindsight with the rest growing 5%: (13.0 - 10.6 * 0.7 * 1.05) / 3.18 - 1 = 5.209 / 3.18 - 1 = 0.63805
    assert cell_result(out, "si-d5") == "+63.8%"

"""The systems-integration chapter splits 3Q02 at an assumed SI share and finds the SI growth needed.

Its visible cells do the arithmetic; these tests check what they show and what the prose cites
against hand computation, at the defaults (the book build's executed copy) and at other assumed
shares and growth (runs in one kernel).
"""

from __future__ import annotations

import re

from .conftest import cell_result, chapter_runs, executed_copy, glued_values

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
    glued = glued_values(out)
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
    glued = glued_values(out)
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
    glued = glued_values(out)
    assert glued["q4_total"] == "¥14.35B"
    # 16.6512 - 14.35125 = 2.29995 short of the requirement
    assert (glued["q4_short"], glued["q4_short_word"]) == ("¥2.30B", "short of")
    # SI growth needed: (16.6512 - 7.90125) / 3.225 - 1 = 1.71316
    assert _rows(cell_result(out, "si-d3"))["30% SI"] == "+171.3%"
    # hindsight with the rest growing 5%: (13.0 - 10.6 * 0.7 * 1.05) / 3.18 - 1 = 5.209 / 3.18 - 1 = 0.63805
    assert cell_result(out, "si-d5") == "+63.8%"

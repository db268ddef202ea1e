"""The equipment-sales chapter mixes two assumed segment margins and turns the release's margins round.

Its visible cells do the arithmetic; these tests check what they show and what the prose cites
against hand computation, at the defaults (the book build's executed copy) and at other assumed
margins and shares (runs in one kernel).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .chapter_kernel import ChapterFailed
from .conftest import cell_result, chapter_runs, executed_copy, glued_values

#: The values the equipment sales chapter's prose cites, by the names these tests use: each is an
#: {eval} expression of the chapter (a formatting call on a value the chapter computed).
CITED = {
    "gm_2q01": 'fmt.pct(margins["2Q01"].value)',
    "gm_1q02": 'fmt.pct(margins["1Q02"].value)',
    "gm_2q02": 'fmt.pct(margins["2Q02"].value)',
    "eq_margin": "fmt.pct(equipment_margin)",
    "other_margin_text": "fmt.pct(other_margin)",
    "eq_share": "fmt.pct(equipment_share, 0)",
    "other_share": "fmt.pct(1 - equipment_share, 0)",
    "blend_text": "fmt.pct(blend)",
    "gap_points": "points(gap, signed=False)",
    "cost_per_point": "points(gap / 100, 2, signed=False)",
    "blend_at_20": "fmt.pct(blended_margin(share_plus_10_v))",
    "share_plus_10": "fmt.pct(share_plus_10_v, 0)",
    "fall": 'points(change["2Q01 to 1Q02"])',
    "rise": 'points(change["1Q02 to 2Q02"])',
    "need_other_2q01": 'fmt.pct(need_other["2Q01"])',
    "need_other_1q02": 'fmt.pct(need_other["1Q02"])',
    "need_other_2q02": 'fmt.pct(need_other["2Q02"])',
    "shift_fall_points": 'points(shift["2Q01 to 1Q02"], 0)',
    "shift_rise_points": 'points(shift["1Q02 to 2Q02"], 0)',
    "gap_for_ten": "points(gap_for_ten_v, 0, signed=False)",
    "gap_ratio": "Text(f'{gap_ratio_v:.1f}')",
}


def cited(notebook: Path, **options) -> dict[str, str]:
    """The values the prose cites, by expression and by the names of :data:`CITED`."""
    return glued_values(notebook, names=CITED, **options)


MINUS = "\u2212"

run = chapter_runs("equipment_sales")


def test_equipment_sales_runs_with_its_defaults(built_book):
    out = executed_copy(built_book, "equipment_sales")
    glued = cited(out)
    # 0.9 * 15% + 0.1 * 5% = 13.5% + 0.5% = 14.0%; at 20% equipment 0.8 * 15% + 0.2 * 5% = 13.0%
    assert (glued["blend_text"], glued["blend_at_20"], glued["share_plus_10"]) == ("14.0%", "13.0%", "20%")
    # a 10-point gap: each point of share costs 0.10 of a point
    assert (glued["gap_points"], glued["cost_per_point"]) == ("10.0", "0.10")
    # equipment share for each reported margin: (15 - 14.1) / 10 = 0.09; (15 - 9.1) / 10 = 0.59;
    # (15 - 11.0) / 10 = 0.40; other margin at 10% equipment: (14.1 - 0.1 * 5) / 0.9 = 13.6 / 0.9 = 15.11%,
    # (9.1 - 0.5) / 0.9 = 9.56%, (11.0 - 0.5) / 0.9 = 11.67%
    needs = cell_result(out, "eq-d3")
    for quarter, share, other in (
        ("2Q01", "9.0%", "15.1%"),
        ("1Q02", "59.0%", "9.6%"),
        ("2Q02", "40.0%", "11.7%"),
    ):
        assert re.search(rf"{quarter}\s+{share}\s+{other}", needs), needs
    assert (glued["need_other_2q01"], glued["need_other_1q02"], glued["need_other_2q02"]) == (
        "15.1%",
        "9.6%",
        "11.7%",
    )
    # share shifts: 2Q01 -> 1Q02: -5.0 points / 10-point gap = +50 points; 1Q02 -> 2Q02: +1.9 / 10 = -19
    shifts = cell_result(out, "eq-d4")
    assert re.search(rf"2Q01 to 1Q02\s+{MINUS}5\.0 points\s+\+50\.0 points", shifts), shifts
    assert re.search(rf"1Q02 to 2Q02\s+\+1\.9 points\s+{MINUS}19\.0 points", shifts), shifts
    assert (glued["shift_fall_points"], glued["shift_rise_points"]) == ("+50", f"{MINUS}19")
    # a ten-point swing would need a 5.0 / 0.10 = 50-point gap, 0.50 / 0.141 = 3.5 times 2Q01's margin
    assert (glued["gap_for_ten"], glued["gap_ratio"]) == ("50", "3.5")


def test_equipment_sales_runs_with_a_larger_equipment_share(run):
    out = run({"equipment_share": 0.2})
    glued = cited(out)
    # by hand, with the default assumed margins 15% and 5%:
    # total at 20% equipment: 0.8 * 15% + 0.2 * 5% = 13.0%
    # other margin that gives 2Q02's 11.0%: (11.0 - 0.2 * 5) / 0.8 = 12.5%
    # the shares that give the reported margins do not depend on the assumed share: 9%, 59%, 40%
    assert glued["blend_text"] == "13.0%"
    assert glued["need_other_2q02"] == "12.5%"
    needs = cell_result(out, "eq-d3")  # the shares are no longer cited: the cell that derives them shows them
    assert re.search(r"2Q01\s+9\.0%", needs) and re.search(r"1Q02\s+59\.0%", needs), needs
    assert glued["shift_fall_points"] == "+50"


def test_equipment_sales_with_other_assumed_margins(run):
    parameters = {"other_margin": 0.20, "equipment_margin": 0.08, "equipment_share": 0.30}
    out = run(parameters)
    glued = cited(out)
    # 0.7 * 20% + 0.3 * 8% = 14% + 2.4% = 16.4%; a 12-point gap costs 0.12 of a point per point of share
    assert (glued["blend_text"], glued["cost_per_point"]) == ("16.4%", "0.12")
    # (20 - 14.1) / 12 = 0.4917; (11.0 - 0.3 * 8) / 0.7 = 8.6 / 0.7 = 12.29%; 5.0 / 12 = +42 points
    assert re.search(r"2Q01\s+49\.2%", cell_result(out, "eq-d3"))
    assert glued["need_other_2q02"] == "12.3%"
    assert glued["shift_fall_points"] == "+42"


@pytest.mark.parametrize(
    ("parameters", "refusal"),
    [
        ({"equipment_margin": 0.1, "other_margin": 0.1}, "ParameterError: parameters .* must differ"),
        ({"equipment_share": 1.0}, r"ParameterError: parameter equipment_share: 1.0 is out of range"),
    ],
)
def test_equipment_sales_refuses_a_mix_it_cannot_turn_round(run, parameters, refusal):
    # equal margins: the mix cannot move the total; all equipment: no other revenues to need a margin
    with pytest.raises(ChapterFailed, match=refusal):
        run(parameters)

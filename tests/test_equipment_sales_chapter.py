"""The equipment-sales chapter mixes two assumed segment margins and turns the release's margins round.

Its visible cells do the arithmetic; these tests check what they show and what the prose cites
against hand computation, at the defaults (the book build's executed copy) and at other assumed
margins and shares (runs in one kernel).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
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
    "extra_rev": "fmt.yen(extra_rev)",
    "extra_rev_lo": "fmt.yen(extra_rev_i.lo)",
    "extra_rev_hi": "fmt.yen(extra_rev_i.hi)",
    "extra_gp": "fmt.yen(extra_gp)",
    "extra_gp_lo": "fmt.yen(extra_gp_i.lo)",
    "extra_gp_hi": "fmt.yen(extra_gp_i.hi)",
    "on_extra": "fmt.pct(on_extra, 0)",
    "on_extra_lo": "fmt.pct(on_extra_i.lo, 0)",
    "on_extra_hi": "fmt.pct(on_extra_i.hi, 0)",
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
    assert glued["gap_for_ten"] == "50"
    assert cell_result(out, "eq-d5") == "50 points, 3.5 times 2Q01's 14.1%"


def test_what_the_extra_revenue_came_with_needs_no_assumed_margin(built_book):
    """The chapter's conclusion rests on the release's totals only (the quarter of record).

    By hand: 1Q02 = 10.6 / 1.073 = 9.87884B; gross profit 1Q02 = 9.1% x 9.87884 = 0.898975B,
    2Q02 = 11.0% x 10.6 = 1.166B. Extra revenues 10.6 - 9.87884 = 0.72116B (721M); extra gross
    profit 1.166 - 0.898975 = 0.267025B (267M); 0.267025 / 0.72116 = 0.37027 (37%).
    Intervals: 1Q02 from 10.55 / 1.0735 = 9.82767 to 10.65 / 1.0725 = 9.93007, so extra revenues
    10.55 - 9.93007 = 0.61993 (620M) to 10.65 - 9.82767 = 0.82233 (822M); gross profit 1Q02 from
    0.0905 x 9.82767 = 0.889404 to 0.0915 x 9.93007 = 0.908601, 2Q02 from 0.1095 x 10.55 = 1.155225
    to 0.1105 x 10.65 = 1.176825, so extra gross profit 1.155225 - 0.908601 = 0.246624 (247M) to
    1.176825 - 0.889404 = 0.287421 (287M); the ratio 0.246624 / 0.82233 = 0.2999 (30%) to
    0.287421 / 0.61993 = 0.4636 (46%).
    """
    out = executed_copy(built_book, "equipment_sales")
    glued = cited(out)
    assert (glued["extra_rev"], glued["extra_rev_lo"], glued["extra_rev_hi"]) == ("¥721M", "¥620M", "¥822M")
    assert (glued["extra_gp"], glued["extra_gp_lo"], glued["extra_gp_hi"]) == ("¥267M", "¥247M", "¥287M")
    assert (glued["on_extra"], glued["on_extra_lo"], glued["on_extra_hi"]) == ("37%", "30%", "46%")
    # the same figures whatever the assumed margins: the illustration's parameters never reach them
    text = "\n".join(c.source for c in nbformat.read(out, 4).cells if c.cell_type == "markdown")
    assert "Mix cannot be the story" not in text and "thinnest margin" not in text
    assert "mark-up on it is thin" not in text


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
    # the totals' argument does not move with the assumed share: still 37% (30% to 46%)
    assert (glued["on_extra"], glued["on_extra_lo"], glued["on_extra_hi"]) == ("37%", "30%", "46%")


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

"""The outlook chapter's derivations, checked by hand against the values its page shows.

At the defaults the tests read the book build's executed copy; other parameters run in one kernel.
"""

import re

import nbformat
import pytest

from .conftest import chapter_runs, executed_copy, glued_values

MINUS = "\u2212\u2060"  # a minus sign joined to its figure, as the page prints it

run = chapter_runs("outlook")


def _output_text(notebook, cell_id: str) -> str:
    """What one cell of an executed chapter shows: its outputs' text and HTML."""
    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if c.get("id") == cell_id)
    return "\n".join(
        str(o.get("data", {}).get(kind, "")) for o in cell.outputs for kind in ("text/plain", "text/html")
    )


@pytest.fixture(scope="module")
def default_run(built_book):
    """The chapter as the book runs it: +20%, the guidance midpoint, FY2001 as published in May 2002."""
    out = executed_copy(built_book, "outlook")
    return out, glued_values(out, unquote=True)


def test_3q02_against_its_guidance_by_hand(default_run):
    _, glued = default_run
    # (10.6 - 10.5) / (11.0 - 10.5) = 0.2; 10.55 to 10.65 lies within 10.5 to 11.0
    assert glued["pct(position, 0)"] == "20%"
    assert glued['"inside" if inside else "not wholly inside"'] == "inside"
    # against the midpoint 10.75: 10.6 - 10.75 = -0.15; 10.6 / 10.75 - 1 = -1.395%
    assert glued["fmt.yen(q3_point, 2)"] == "¥10.75B"  # the mean of two printed ends: exact
    assert glued["yen(miss)"] == MINUS + "¥150M"
    assert glued["pct(miss_ratio, signed=True)"] == MINUS + "1.4%"


def test_3q01_4q01_and_the_guidance_as_yoy_by_hand(default_run, run):
    _, glued = default_run
    # 3Q01 = 10.6 / 1.063 = 9.9718 (10.55 / 1.0635 = 9.920 to 10.65 / 1.0625 = 10.024)
    assert (
        glued["yen(q3_01.value, 2)"],
        glued["yen(q3_01.interval.lo, 2)"],
        glued["yen(q3_01.interval.hi, 2)"],
    ) == ("¥9.97B", "¥9.92B", "¥10.0B")  # three significant figures
    # 10.5 / 9.9718 - 1 = 5.30%; 11.0 / 9.9718 - 1 = 10.31%
    assert (glued["pct(guide_yoy_lo, signed=True)"], glued["pct(guide_yoy_hi, signed=True)"]) == (
        "+5.3%",
        "+10.3%",
    )
    # 4Q01 = 13.0 / 1.077 = 12.0706; the prose does not cite it: the derivation's table shows it
    # 4Q01 = 13.0 / 1.077 = 12.0706, ¥12.1B to three figures
    assert re.search(r"4Q01 total revenues.*¥12\.1B", _output_text(default_run[0], "ol-d2"), re.S)


def test_the_target_against_the_year_by_hand(default_run):
    _, glued = default_run
    # FY2001 as published in May 2002: 39.9; target 39.9 * 1.2 = 47.88; shortfall 47.88 - 44.0 = 3.88,
    # 8.10% of the target; 20% - 10.3% = 9.7 points; the revised +10%: 39.9 * 1.1 = 43.89, which the
    # 44.0 that came beat by 0.11, about 0.1B at the precision of 44.0
    # (each to three significant figures: ¥39.9B, ¥47.9B, ¥3.88B, ¥43.9B)
    assert glued["yen(fy2001, 2)"] == "¥39.9B"
    assert glued["yen(fy2002_target_jpy, 2)"] == "¥47.9B"
    assert glued["yen(shortfall_jpy, 2)"] == "¥3.88B"
    assert glued["pct(shortfall_jpy / fy2002_target_jpy)"] == "8.1%"
    assert glued["round(growth_gap_points, 1)"] == "9.7"
    assert glued["yen(revised_jpy, 2)"] == "¥43.9B"
    assert glued['f"{abs(revised_gap) / 1e9:.1f}"'] == "0.1"  # "about ¥0.1B"
    assert glued['"above" if revised_gap >= 0 else "below"'] == "above"
    # the cross-check: the later report implies 44.0 / 1.103 = 39.8912, between 43.95 / 1.1035 = 39.827
    # and 44.05 / 1.1025 = 39.955, which overlaps the 39.85 to 39.95 that "39.9" allows
    assert glued["yen(fy2001_implied.value, 2)"] == "¥39.9B"
    # the interval keeps two decimals: at three figures its ends would round onto 39.9's own
    assert (
        glued["fmt.yen(fy2001_implied.interval.lo, 2)"],
        glued["fmt.yen(fy2001_implied.interval.hi, 2)"],
    ) == (
        "¥39.83B",
        "¥39.95B",
    )
    assert glued['"agrees with" if fy2001_agrees else "does not agree with"'] == "agrees with"
    # 4Q02 needed at the midpoint 47.88 - 20.4788 - 10.75 = 16.6512; after 3Q02 = 10.6: 16.8012;
    # the 13.0 that came was 3.6512 short, at the top of the February range of 12.5 to 13.0
    assert glued["yen(q4_needed_jpy)"] == "¥16.7B"
    assert glued["yen(q4_needed_after_jpy, 2)"] == "¥16.8B"
    assert glued["yen(q4_gap_jpy, 2)"] == "¥3.65B"
    # the need's interval, from what November 2002 knew: FY2001 39.85 to 39.95 (× 1.2 = 47.82 to 47.94),
    # 1H02 = 1Q02 + 2Q02 = 20.37767 to 20.58007 (the record), 3Q02 at the point 10.75:
    # 47.82 - 20.58007 - 10.75 = 16.4899; 47.94 - 20.37767 - 10.75 = 16.8123
    assert (glued["yen(q4_needed_range.lo)"], glued["yen(q4_needed_range.hi)"]) == ("¥16.5B", "¥16.8B")
    assert glued["yen(q4.value)"] == "¥13.0B"
    assert glued["pct(q4_position_rate, 0)"] == "100%"


def test_the_operating_result_by_hand(default_run):
    out, glued = default_run
    # 1Q02 = -194 / (1 - 0.583) = -465.23; 1H02 = -465.23 - 194 = -659.23 (three figures: -465M, -659M)
    assert glued["yen(op_1q02, 1)"] == MINUS + "¥465M"
    assert glued["y2(op_1h.value)"] == MINUS + "¥659M"  # the minus sign is joined to its figure
    # 2H02 from the quarter of record alone: 3Q02 + 4Q02 = -567 - 446 = -1,013 (no second figure)
    assert glued["y2(op_2h.value)"] == MINUS + "¥1.01B"
    # cited as "operating losses of ¥567M ... ¥446M": the word says loss, so no minus sign besides
    assert (glued["yen(abs(op_3q02.value))"], glued["yen(abs(op_4q02.value))"]) == ("¥567M", "¥446M")
    # needed for a profit: 0 - (-659.23) = +659.23; missed by 659.23 + 1013 = 1,672.23
    assert glued["y2(op_2h_needed)"] == "¥659M"
    assert glued["y2(op_miss)"] == "¥1.67B"
    assert "1,041" not in _output_text(out, "ol-d9")  # FY2002 - 1H02, the second 2H02 figure, is gone


def test_the_routes_agree_within_rounding(default_run):
    out, glued = default_run
    # FY2002: 20.4789 + 10.6 + 13.0 = 44.0789 against 44.0; FY2001: 17.9168 + 9.9718 + 12.0706
    # = 39.9592 against 39.8912; 3Q02: 13.0 / 1.234 = 10.5348 against 10.6 (three figures each)
    shown = _output_text(out, "ol-d9")
    for name, route_1, route_2 in [
        ("FY2002 total revenues", "¥44.1B", "¥44.0B"),
        ("FY2001 total revenues", "¥40.0B", "¥39.9B"),
        ("3Q02 total revenues", "¥10.5B", "¥10.6B"),
    ]:
        row = rf"<td>{name}</td>.*?{re.escape(route_1)} .*?{re.escape(route_2)} .*?<td>yes</td>"
        assert re.search(row, shown, re.S), name
    assert "2H02 operating income" not in shown
    assert any(str(v).startswith("Every pair agrees") for v in glued.values())


def test_the_revised_guidance_needs_the_reported_3q02(default_run):
    """February 2003's +10% was given with 3Q02 reported, so its 4Q02 need uses ¥10.6B, not the
    November mid-point: 39.9 × 1.1 = 43.89; 43.89 − 20.4788 − 10.6 = 12.8112. Interval: FY2001
    39.85 to 39.95 (× 1.1 = 43.835 to 43.945), 1H02 20.37767 to 20.58007, 3Q02 10.55 to 10.65:
    43.835 − 20.58007 − 10.65 = 12.6049 to 43.945 − 20.37767 − 10.55 = 13.0173."""
    _, glued = default_run
    assert glued["yen(q4_needed_at_10_jpy)"] == "¥12.8B"
    assert (glued["yen(q4_at_10_range.lo)"], glued["yen(q4_at_10_range.hi)"]) == ("¥12.6B", "¥13.0B")
    assert glued['"reached it" if q4_reached_10 else "fell short of it"'] == "reached it"  # 13.0 >= 12.81


def test_outlook_runs_with_the_revised_growth_target(run):
    out = run({"fy2002_growth_target": 0.10, "fy2002_operating_floor_jpy": 500e6})
    glued = glued_values(out, unquote=True)
    # by hand: FY2001 = 39.9 (May 2002); +10%: 43.89;
    # 4Q02 needed = 43.89 - 20.4788 - 10.75 = 12.6612, which the reported 13.0 reached
    assert glued["yen(fy2002_target_jpy, 2)"] == "¥43.9B"
    assert glued["yen(q4_needed_jpy)"] == "¥12.7B"
    # what does not depend on the target: 3Q01 = 10.6 / 1.063 = 9.97; 1H02 operating -659.2M
    assert glued["yen(q3_01.value, 2)"] == "¥9.97B"
    assert glued["y2(op_1h.value)"] == MINUS + "¥659M"
    # a profit of at least 500M: 2H02 needed 500 + 659.23 = 1159.23, missed by 1159.23 + 1013 = 2172.23
    assert glued['yen(fy2002_operating_floor_jpy) if fy2002_operating_floor_jpy else "zero"'] == "¥500M"
    assert glued["y2(op_2h_needed)"] == "¥1.16B"
    assert glued["y2(op_miss)"] == "¥2.17B"


def test_the_low_end_of_the_guidance(run):
    glued = glued_values(run({"guidance_point": "low"}), unquote=True)
    # 3Q02 against the low end 10.5: 10.6 - 10.5 = +0.1; 10.6 / 10.5 - 1 = +0.95%
    assert glued["fmt.yen(q3_point, 2)"] == "¥10.50B"
    assert glued["yen(miss)"] == "¥100M"
    assert glued["pct(miss_ratio, signed=True)"] == "+1.0%"
    assert glued["pct(position, 0)"] == "20%"  # where 3Q02 fell does not depend on the point taken


def test_the_year_end_surge_is_judged_against_the_year_before(default_run):
    """By hand: 4Q01 = 13.0 / 1.077 = 12.0706B, 3Q01 = 10.6 / 1.063 = 9.9718B, so FY2001's surge
    was 12.0706 / 9.9718 − 1 = +21.0%; the target's 4Q02 of 16.6405B is 16.6405 / 12.0706 − 1 = +38%
    on 4Q01, against the +7.7% reported."""
    _, glued = default_run
    assert glued["pct(surge_fy2001_rate, signed=True)"] == "+21.0%"
    assert glued["pct(q4_yoy_needed_rate, 0, signed=True)"] == "+38%"
    assert glued["pct(q4_yoy_rate, signed=True)"] == "+7.7%"
    text = "".join(c.source for c in nbformat.read(default_run[0], as_version=4).cells)
    assert "large by any normal standard" not in text  # the surge was ordinary for IIJ


def test_the_operating_exercise_answers_for_the_floor_it_asks_about(default_run):
    """The exercise asks about ¥500M whatever the run's floor: 500 + 659.23 = 1,159.2M needed;
    the second half's −1,013M (the record) misses it by 1,159.2 + 1,013 = 2,172M."""
    _, glued = default_run
    assert (glued["y2(needed_500)"], glued["y2(needed_500 - op_2h.value)"]) == ("¥1.16B", "¥2.17B")
    assert (
        glued['yen(fy2002_operating_floor_jpy) if fy2002_operating_floor_jpy else "zero"'] == "zero"
    )  # the default run's own floor stays what it was


def test_fy2002_quarter_by_quarter_from_the_fy2003_reports(default_run):
    out, glued = default_run
    # hindsight: a later quarter's revenues ÷ (1 + its growth on the quarter wanted), both roundings carried
    #   1Q02 = 8,344 / 0.847: 8,343.5 / 0.8475 = 9.8448B to 8,344.5 / 0.8465 = 9.8576B; the release's 1Q02,
    #          10.55 / 1.0735 = 9.8277B to 10.65 / 1.0725 = 9.9301B, overlaps it
    #   2Q02 = 9,185 / 0.869: 9,184.5 / 0.8695 = 10.5630B to 9,185.5 / 0.8685 = 10.5763B, inside 10.55-10.65
    #   4Q02 = 8,344 / 0.640: 8,343.5 / 0.6405 = 13.0265B to 8,344.5 / 0.6395 = 13.0485B, inside 12.95-13.05
    table = _output_text(out, "ol-d10")
    expected = (("1Q02", "¥9.84B", "¥9.86B"), ("2Q02", "¥10.56B", "¥10.58B"), ("4Q02", "¥13.03B", "¥13.05B"))
    for quarter, lo, hi in expected:
        assert re.search(rf"{quarter}.*{re.escape(lo)}–{re.escape(hi)}\s+yes", table), (quarter, table)
    assert any(str(v).startswith("Each quarter the FY2003 reports reach agrees") for v in glued.values())
    assert (
        glued['fmt.interval(fmt.yen(from_fy2003["4Q02"].lo, 2), fmt.yen(from_fy2003["4Q02"].hi, 2))']
        == "¥13.03B–¥13.05B"
    )


def test_fy2003_fall_by_hand(default_run):
    _, glued = default_run
    # 1H03 = 8,344 + 9,185 = 17,529M; 1H02 = 10.6 / 1.073 + 10.6 = 20.4788B: 17.529 / 20.4788 − 1 = −14.40%;
    # 1H01 = 20.4788 / 1.143 = 17.9167B: 17.529 / 17.9167 − 1 = −2.16%
    assert glued["yen(h1_03_jpy, 2)"] == "¥17.5B"  # 17.529 to three figures
    assert (glued["pct(h1_03_on_h1_02, signed=True)"], glued["pct(h1_03_on_h1_01, signed=True)"]) == (
        MINUS + "14.4%",
        MINUS + "2.2%",
    )
    assert (
        glued['yen(history["1H01"].value, 2)'],
        glued['"below" if h1_03_jpy < history["1H01"].value else "above"'],
    ) == ("¥17.9B", "below")
    assert (
        glued["pct(yoy_1q03.value, signed=True)"],
        glued["pct(qoq_1q03.value, signed=True)"],
        glued["pct(yoy_2q03.value, signed=True)"],
    ) == (
        MINUS + "15.3%",
        MINUS + "36.0%",
        MINUS + "13.1%",
    )


def test_crosswave_against_what_iij_had_at_stake(default_run):
    _, glued = default_run
    # from data/iij_context.csv: a 37.9% stake and Crosswave's FY2001 loss of ¥13.4B (both May 2002);
    # at the stake (assumed): 0.379 × 13.35 = 5.0597 to 0.379 × 13.45 = 5.0976, ¥5.06B to ¥5.10B
    assert (glued["pct(stake)"], glued["yen(-cw_loss)"]) == ("37.9%", "¥13.4B")
    assert glued["fmt.interval(yen(-share_at_stake.hi), yen(-share_at_stake.lo))"] == "¥5.06B–¥5.10B"
    # later: IIJ's booked share ¥5,421,255 thousand (2005); the filing of 2003-08-20, group debts ¥68.4B,
    # no longer divided by IIJ's revenues, which says nothing of IIJ's exposure
    assert glued["fmt.millions(equity_loss_fy2001)"] == "¥5,421M"
    assert (glued['filing["published"]'], glued['yen(filing["value"])']) == ("2003-08-20", "¥68.4B")
    assert not any("debt_to_revenue" in k for k in glued)


def test_what_november_2002_allowed_by_hand(default_run):
    """From the release and FY2001 (May 2002) only: 2H01 = 39.9 − 10.6 / 1.073 / 1.143 − 10.6 / 1.143
    = 39.9 − 17.9168 = 21.9832; 2H02 needed = 47.88 − 20.4788 = 27.4012, 27.4012 / 21.9832 − 1 = +24.6%;
    1H02 grew +14.3% (printed)."""
    _, glued = default_run
    assert glued["yen(h2_needed_jpy)"] == "¥27.4B"
    assert glued['yen(h2_01["value"])'] == "¥22.0B"
    assert glued["pct(h2_needed_on_h2_01, 0, signed=True)"] == "+25%"
    assert glued['pct(rec.loc[("1H02", "growth YoY"), "value"], signed=True)'] == "+14.3%"

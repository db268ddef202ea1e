"""The data-centres chapter: its derivations checked by hand, at the defaults and other assumptions.

At the defaults the tests read the book build's executed copy; other assumptions run in one kernel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import cell_text, chapter_runs, executed_copy, glued_values

#: The values the data centres chapter's prose cites, by the names these tests use: each is an
#: {eval} expression of the chapter (a formatting call on a value the chapter computed).
CITED = {
    "dc_existing": "int(existing.value)",
    "dc_planned": "Text(planned.printed)",
    "dc_after": "int(existing.value + planned.value)",
    "n_checks": "len(checks)",
    "n_match_text": "n_match",
    "yok_total_calc": 'calc["Yokohama 1"]',
    "sai_total_calc": 'calc["Saitama 1"]',
    "yok_share": "fmt.pct(shares[0].value)",
    "sai_share": "fmt.pct(shares[1].value)",
    "sai_floor": 'fmt.area(tables["Saitama 1"].loc["floor_space", "Total"])',
    "yok1_printed": 'Text(printed_table("Yokohama 1").set_index("").loc["Office space", "STEP1"])',
    "yok1_calc": "Text(f\"{yok1['office_space']:,.0f} m² ÷ {yok1['office_seats']:,.0f}\")",
    "yok1_per_seat": "Text(f\"{yok1['m2_each']:.1f} m²\")",
    "seat_lo": "Text(f\"{seats['m2_each'].min():.2f} m²\")",
    "seat_hi": "Text(f\"{seats['m2_each'].max():.2f} m²\")",
    "n_seat_rows": "len(seats)",
    "yok1_office_tsubo": "Text(f\"{yok1['office_tsubo']:,.0f} tsubo\")",
    "yok1_seats": "Text(f\"{yok1['office_seats']:,.0f}\")",
    "yok1_office": 'fmt.area(yok1["office_space"])',
    "m2_per_tsubo": 'Text(f"{M2_PER_TSUBO:.3f} m²")',
    "yok_floor_both": "area_text(yok_floor)",
    "server_all_both": "area_text(server_all)",
    "m2_per_rack_text": 'Text(f"{m2_per_rack:g} m²")',
    "m2_low_text": 'Text(f"{m2_per_rack_low:g} m²")',
    "m2_high_text": 'Text(f"{m2_per_rack_high:g} m²")',
    "racks_yok": "Text(f\"{racks_here['Yokohama 1']:,}\")",
    "racks_sai": "Text(f\"{racks_here['Saitama 1']:,}\")",
    "racks_both": 'Text(f"{sum(racks_here.values()):,}")',
    "upto_yok": 'fmt.area(upto["Yokohama 1"])',
    "upto_sai": 'fmt.area(upto["Saitama 1"])',
    "open_quarter": "Text(str(opening))",
    "open_span": "Text(opening.span)",
    "q4_rev_text": 'fmt.yen(later_figure("total_revenues", "4Q02").value)',
    "q4_qoq_text": 'fmt.pct(later_figure("revenue_growth_qoq", "4Q02").value)',
    "server_all_text": "fmt.area(server_all)",
    "server_step1_text": "fmt.area(server_step1)",
    "step1_share_of_all": "fmt.pct(step1_share)",
    "racks_yok_4": 'Text(f"{racks(yok_server, 4):,}")',
    "racks_sai_4": 'Text(f"{racks(sai_server, 4):,}")',
    "step1_both_units": "area_text(server_step1)",
    "racks_step1": 'Text(f"{racks_1:,}")',
    "tsubo95_m2": 'Text(f"{tsubo_95:,.0f} m²")',
    "factor_4": 'Text(f"{m2_per_rack:g} ÷ 4 = {m2_per_rack / 4:.3g}")',
    "yok_s1": 'fmt.pct(step_share.loc["STEP1", "Yokohama 1"])',
    "yok_c1": 'fmt.pct(builds["Yokohama 1"].loc["STEP1", "server_share"])',
    "sai_c1": 'fmt.pct(builds["Saitama 1"].loc["STEP1", "server_share"])',
    "sai_server_c1": 'fmt.area(builds["Saitama 1"].loc["STEP1", "server_room"])',
    "yok_s2": 'fmt.pct(step_share.loc["STEP2", "Yokohama 1"])',
    "yok_c2": 'fmt.pct(builds["Yokohama 1"].loc["STEP2", "server_share"])',
    "sai_c2": 'fmt.pct(builds["Saitama 1"].loc["STEP2", "server_share"])',
    "sai_server_c2": 'fmt.area(builds["Saitama 1"].loc["STEP2", "server_room"])',
    "yok_s3": 'fmt.pct(step_share.loc["STEP3", "Yokohama 1"])',
    "yok_c3": 'fmt.pct(builds["Yokohama 1"].loc["STEP3", "server_share"])',
    "sai_c3": 'fmt.pct(builds["Saitama 1"].loc["STEP3", "server_share"])',
    "sai_server_c3": 'fmt.area(builds["Saitama 1"].loc["STEP3", "server_room"])',
}


def cited(notebook: Path, **options) -> dict[str, str]:
    """The values the prose cites, by expression and by the names of :data:`CITED`."""
    return glued_values(notebook, names=CITED, **options)


run = chapter_runs("data_centers")


@pytest.fixture(scope="module")
def default_run(built_book) -> Path:
    return executed_copy(built_book, "data_centers")


def test_the_tables_add_up_and_keep_what_is_printed(default_run):
    glued = cited(default_run)
    # Yokohama 1: 19,420 + 13,000 + 6,745 = 39,165; 4,353 + 5,717 + 2,841 = 12,911;
    #             662 + 894 + 643 = 2,199; 95 + 128 + 92 = 315
    # Saitama 1:  14,143 + 0 + 0 = 14,143; 2,038 + 2,058 + 640 = 4,736; 1,045; 148
    assert glued["n_checks"] == "8"
    assert glued["n_match_text"] == "8"
    check = cell_text(default_run, "dc-11")
    for row in (
        "Yokohama 1 floor space 39,165 39,165 yes",
        "Yokohama 1 server room 12,911 12,911 yes",
        "Yokohama 1 office space 2,199 2,199 yes",
        "Yokohama 1 office seats 315 315 yes",
        "Saitama 1 server room 4,736 4,736 yes",
    ):
        assert row in check
    assert "NO" not in check
    # the printed tables keep the brackets and the dashes
    assert glued["yok1_printed"] == "662m² (95)"
    assert "Office space 1,045m² (148) - - 1,045m² (148)" in cell_text(default_run, "dc-08")


def test_server_room_shares_by_hand(default_run):
    glued = cited(default_run)
    # 12,911 / 39,165 = 0.32966; 4,736 / 14,143 = 0.33486
    assert glued["yok_share"] == "33.0%"
    assert glued["sai_share"] == "33.5%"
    assert glued["yok_total_calc"] == "12,911 ÷ 39,165 m²"
    # rounding to whole m²: (12,910.5 / 39,165.5, 12,911.5 / 39,164.5) = (0.329640, 0.329674)
    assert "0.329657 0.329640 0.329674" in cell_text(default_run, "dc-d3")
    assert "32.97% 32.96% to 32.97%" in cell_text(default_run, "dc-13")
    # share of the floor each step adds: 4,353 / 19,420 = 0.22415; 5,717 / 13,000 = 0.43977;
    # 2,841 / 6,745 = 0.42120; Saitama 1's STEP2 and STEP3 add no floor, so no share
    assert (glued["yok_s1"], glued["yok_s2"], glued["yok_s3"]) == ("22.4%", "44.0%", "42.1%")
    assert "STEP2 0.439769 NaN STEP3 0.421201 NaN" in cell_text(default_run, "dc-d4")


def test_build_out_is_cumulative(default_run):
    glued = cited(default_run)
    # Yokohama 1 after STEP2: 10,070 / 32,420 = 0.31061; other floor after STEP3:
    # 39,165 − 12,911 − 2,199 = 24,055
    assert glued["yok_c2"] == "31.1%"
    assert "STEP3 39165.0 12911.0 2199.0 315.0 24055.0" in cell_text(default_run, "dc-d5")
    # Saitama 1 keeps 14,143 m² of floor; server room 2,038 → 4,096 → 4,736; 4,096 / 14,143 = 0.2896
    assert glued["sai_floor"] == "14,143 m²"
    assert [glued[f"sai_server_c{i}"] for i in (1, 2, 3)] == ["2,038 m²", "4,096 m²", "4,736 m²"]
    assert [glued[f"sai_c{i}"] for i in (1, 2, 3)] == ["14.4%", "29.0%", "33.5%"]


def test_office_space_per_seat_by_hand(default_run):
    glued = cited(default_run)
    # 662 / 95 = 6.968; 894 / 128 = 6.984; 643 / 92 = 6.989; 2,199 / 315 = 6.981; 1,045 / 148 = 7.061
    assert glued["yok1_calc"] == "662 m² ÷ 95"
    assert glued["yok1_per_seat"] == "7.0 m²"
    assert (glued["seat_lo"], glued["seat_hi"], glued["n_seat_rows"]) == ("6.97 m²", "7.06 m²", "6")
    assert "1,045 m² (148) 7.06 316" in cell_text(default_run, "dc-19")


def test_tsubo_conversions_by_hand(default_run):
    glued = cited(default_run)
    # 39,165 × 121 / 400 = 11,847.4; 662 × 0.3025 = 200.3; 95 × 400 / 121 = 314.0;
    # both centres' server rooms 12,911 + 4,736 = 17,647 m² × 0.3025 = 5,338.2 tsubo
    assert glued["m2_per_tsubo"] == "3.306 m²"  # 400/121 = (6 shaku × 10/33 m)² = 3.30579 m²
    assert glued["yok_floor_both"] == "39,165 m² (11,847 tsubo)"
    assert glued["yok1_office_tsubo"] == "200 tsubo"
    assert glued["tsubo95_m2"] == "314 m²"
    assert glued["server_all_both"] == "17,647 m² (5,338 tsubo)"
    # 12,911 × 0.3025 = 3,905.6 → 3,906 tsubo
    assert "Yokohama 1 server room tsubo 1,317 1,729 859 3,906" in cell_text(default_run, "dc-22")


def test_racks_and_the_opening_at_the_defaults(default_run):
    glued = cited(default_run)
    # 2.5 m² per rack, up to STEP3: 12,911 / 2.5 = 5,164.4 → 5,164; 4,736 / 2.5 = 1,894.4 → 1,894
    assert (glued["racks_yok"], glued["racks_sai"], glued["racks_both"]) == ("5,164", "1,894", "7,058")
    # at 4 m² per rack (the exercise): 12,911 / 4 = 3,227.75 → 3,227; 4,736 / 4 = 1,184
    assert (glued["racks_yok_4"], glued["racks_sai_4"]) == ("3,227", "1,184")
    # only STEP1 is dated, January 2003: IIJ's fiscal 4Q02 (January to March 2003)
    assert glued["open_quarter"] == "4Q02"
    assert glued["open_span"] == "Jan-Mar 2003"
    timeline = cell_text(default_run, "dc-29")
    assert timeline.count("not dated in the release") == 4
    assert timeline.count("2003-01 4Q02") == 2
    # STEP1 server rooms 4,353 + 2,038 = 6,391 m² of 17,647: 36.2%
    assert glued["server_step1_text"] == "6,391 m²"
    assert glued["step1_share_of_all"] == "36.2%"


def test_data_centers_runs_with_four_m2_per_rack_up_to_step2(run):
    out = run({"m2_per_rack": 4.0, "up_to_step": "STEP2"})
    glued = cited(out)
    # up to STEP2: Yokohama 1 4,353 + 5,717 = 10,070 m² → 10,070 / 4 = 2,517.5 → 2,517 racks;
    # Saitama 1 2,038 + 2,058 = 4,096 m² → 1,024 racks exactly; together 3,541
    assert glued["racks_yok"] == "2,517"
    assert glued["racks_sai"] == "1,024"
    assert glued["racks_both"] == "3,541"
    assert glued["upto_yok"] == "10,070 m²"
    # what the release states does not move with the assumption: 12,911 / 39,165 = 33.0%
    assert glued["yok_share"] == "33.0%"
    assert glued["m2_per_rack_text"] == "4 m²"
    assert glued["factor_4"] == "4 ÷ 4 = 1"


def test_racks_at_two_m2_per_rack(run):
    out = run({"m2_per_rack": 2.0, "up_to_step": "STEP2"})
    glued = cited(out)
    # after STEP2: Yokohama 1 10,070 / 2 = 5,035; Saitama 1 4,096 / 2 = 2,048
    assert (glued["racks_yok"], glued["racks_sai"]) == ("5,035", "2,048")
    # STEP1 alone: 4,353 / 2 = 2,176.5 → 2,176 and 2,038 / 2 = 1,019; together 3,195
    assert glued["racks_step1"] == "3,195"

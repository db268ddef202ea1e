"""The data-centre figures the release implies, checked against hand computation."""

import math

import pytest
from iijbook import datacenters


def test_tsubo_is_the_legal_definition():
    # 1 shaku = 10/33 m; 1 tsubo = (6 shaku)² = (60/33)² = 3600/1089 = 400/121 = 3.30579 m²
    assert datacenters.M2_PER_TSUBO == pytest.approx(3600 / 1089)
    assert datacenters.M2_PER_TSUBO == pytest.approx(3.305785, abs=1e-6)
    # 39,165 m² × 121 / 400 = 11,847.4 tsubo; 662 × 0.3025 = 200.3
    assert datacenters.to_tsubo(39165) == pytest.approx(11847.41, abs=0.01)
    assert datacenters.to_tsubo(662) == pytest.approx(200.255)
    assert datacenters.to_m2(datacenters.to_tsubo(12911)) == pytest.approx(12911)


def test_area_text_gives_both_units():
    # 12,911 × 0.3025 = 3,905.6 → 3,906 tsubo
    assert datacenters.area_text(12911) == "12,911 m² (3,906 tsubo)"


def test_every_printed_total_is_the_sum_of_its_steps():
    # Yokohama 1: 19,420 + 13,000 + 6,745 = 39,165; 4,353 + 5,717 + 2,841 = 12,911;
    #             662 + 894 + 643 = 2,199; 95 + 128 + 92 = 315
    # Saitama 1:  14,143 + 0 + 0 = 14,143; 2,038 + 2,058 + 640 = 4,736; 1,045; 148
    checks = datacenters.totals_check()
    assert len(checks) == 8
    assert checks["matches"].all()
    yok = checks[checks.center == "Yokohama 1"].set_index("item")["sum_of_steps"]
    assert yok.to_dict() == {
        "floor_space": 39165,
        "server_room": 12911,
        "office_space": 2199,
        "office_seats": 315,
    }


def test_server_room_shares_by_hand():
    # 12,911 / 39,165 = 0.32966; 4,736 / 14,143 = 0.33486
    assert datacenters.server_room_share(12911, 39165) == pytest.approx(0.32966, abs=1e-5)
    shares = datacenters.step_shares("Yokohama 1").set_index("step")["server_share"]
    # 4,353 / 19,420 = 0.22415; 5,717 / 13,000 = 0.43977; 2,841 / 6,745 = 0.42120
    assert shares["STEP1"] == pytest.approx(0.22415, abs=1e-5)
    assert shares["STEP2"] == pytest.approx(0.43977, abs=1e-5)
    assert shares["STEP3"] == pytest.approx(0.42120, abs=1e-5)
    assert math.isnan(datacenters.step_shares("Saitama 1").set_index("step").loc["STEP2", "server_share"])


def test_build_out_is_cumulative():
    b = datacenters.build_out("Yokohama 1").set_index("after")
    # after STEP2: floor 19,420 + 13,000 = 32,420; server 4,353 + 5,717 = 10,070; share 0.31061
    assert b.loc["STEP2", "floor_space"] == 32420
    assert b.loc["STEP2", "server_room"] == 10070
    assert b.loc["STEP2", "server_share"] == pytest.approx(0.31061, abs=1e-5)
    # other floor after STEP3: 39,165 − 12,911 − 2,199 = 24,055
    assert b.loc["STEP3", "other"] == 24055
    s = datacenters.build_out("Saitama 1").set_index("after")
    # Saitama's floor stays 14,143; server 2,038 → 4,096 → 4,736
    assert s["floor_space"].tolist() == [14143, 14143, 14143]
    assert s["server_room"].tolist() == [2038, 4096, 4736]


def test_office_space_per_seat_by_hand():
    # 662 / 95 = 6.968; 894 / 128 = 6.984; 643 / 92 = 6.989; 1,045 / 148 = 7.061
    assert datacenters.office_m2_per_seat(662, 95) == pytest.approx(6.968, abs=1e-3)
    assert datacenters.office_m2_per_seat(894, 128) == pytest.approx(6.984, abs=1e-3)
    assert datacenters.office_m2_per_seat(1045, 148) == pytest.approx(7.061, abs=1e-3)
    with pytest.raises(ValueError, match="seats must be positive"):
        datacenters.office_m2_per_seat(662, 0)


def test_derived_intervals_hold_the_point_values():
    for d in datacenters.derived_figures():
        assert d.interval.lo <= d.value <= d.interval.hi, d.name
        assert "=" in d.formula
    share = datacenters.derived_figures()[0]
    # (12,910.5 / 39,165.5, 12,911.5 / 39,164.5) = (0.329640, 0.329674)
    assert share.interval.lo == pytest.approx(0.329640, abs=1e-6)
    assert share.interval.hi == pytest.approx(0.329674, abs=1e-6)


@pytest.mark.parametrize(
    ("area", "per_rack", "expected"),
    [
        (12911, 2.5, 5164),  # 5,164.4
        (12911, 4.0, 3227),  # 3,227.75
        (4736, 2.5, 1894),  # 1,894.4
        (4353, 2.0, 2176),  # 2,176.5
        (10, 2.5, 4),  # exactly 4: no loss to floating point
    ],
)
def test_racks_round_down_to_whole_racks(area, per_rack, expected):
    assert datacenters.racks(area, per_rack) == expected


def test_racks_refuse_a_non_positive_area_per_rack():
    with pytest.raises(ValueError, match="m2_per_rack must be a positive number"):
        datacenters.racks(12911, 0)


def test_rack_scenarios_count_the_rooms_up_to_a_step():
    r = datacenters.rack_scenarios("STEP2", [2.0])
    # Yokohama 1 after STEP2: 10,070 / 2 = 5,035; Saitama 1: 4,096 / 2 = 2,048
    assert r.set_index("center")["racks"].to_dict() == {"Yokohama 1": 5035, "Saitama 1": 2048}
    with pytest.raises(ValueError, match="up_to_step must be one of"):
        datacenters.rack_scenarios("STEP4", [2.0])


def test_only_step1_is_dated_and_it_falls_in_4q02():
    t = datacenters.timeline()
    dated = t[t["opens"].notna()]
    assert dated["step"].unique().tolist() == ["STEP1"]
    assert dated["fiscal_quarter"].unique().tolist() == ["4Q02"]  # January 2003: Jan-Mar 2003
    assert t[t["step"] != "STEP1"]["opens"].isna().all()


def test_printed_table_keeps_the_brackets():
    t = datacenters.printed_table("Saitama 1").set_index("")
    assert t.loc["Office space", "STEP1"] == "1,045m² (148)"
    assert t.loc["Floor space", "STEP2"] == "-"

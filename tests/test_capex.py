"""Capital-intensity scenarios and the D&A proxy, checked against hand computation."""

import pytest
from iijbook import capex


def test_capex_at_intensity_and_back():
    assert capex.capex_at_intensity(10.6e9, 0.15) == pytest.approx(1590e6)  # 10,600 × 0.15
    assert capex.capital_intensity(1590e6, 10.6e9) == pytest.approx(0.15)


def test_replacement_intensity_by_hand():
    q1, q2 = capex.replacement_intensity()
    assert q2.value == pytest.approx(856 / 10600)  # 8.075%
    assert q1.value == pytest.approx(796.228 / 9878.84, rel=1e-4)  # 8.060%
    # 2Q02 bounds: 855 / 10,650 = 8.028%; 857 / 10,550 = 8.123%
    assert q2.interval.lo == pytest.approx(855 / 10650)
    assert q2.interval.hi == pytest.approx(857 / 10550)


def test_depreciation_run_rate_by_hand():
    h1, year = capex.depreciation_run_rate()
    assert h1.value == pytest.approx(1652.228e6, rel=1e-5)  # 796.228 + 856
    assert year.value == pytest.approx(3424e6)  # 4 × 856
    assert (year.interval.lo, year.interval.hi) == (3420e6, 3428e6)  # 4 × 855, 4 × 857


def test_entered_capex_by_hand():
    c = capex.check_capex(1.2e9)
    assert c.intensity == pytest.approx(0.113208, rel=1e-5)  # 1,200 / 10,600
    assert c.over_depreciation == pytest.approx(1.401869, rel=1e-5)  # 1,200 / 856
    assert c.net_investment == pytest.approx(344e6)  # 1,200 − 856
    assert c.ebitda_less_capex == pytest.approx(-538e6)  # 662 − 1,200


def test_capex_equal_to_ebitda_shrinks_the_asset_base():
    c = capex.check_capex(662e6)
    assert c.ebitda_less_capex == 0
    assert c.net_investment == pytest.approx(-194e6)  # 662 − 856: the operating loss again


def test_negative_capex_is_refused():
    with pytest.raises(ValueError, match="CAPEX cannot be negative"):
        capex.check_capex(-1.0)


def test_later_depreciation_by_hand():
    d = capex.depreciation_reported_later()
    assert d.value == pytest.approx(905e6)  # 459 + 446
    assert d.period_label == "4Q02"


def test_server_rooms_from_the_release_tables():
    t = capex.server_rooms().set_index("center")
    # Yokohama 1: 4,353 + 5,717 + 2,841 = 12,911; Saitama 1: 2,038 + 2,058 + 640 = 4,736
    assert t.loc["Yokohama 1", "opening"] + t.loc["Yokohama 1", "later steps"] == t.loc["Yokohama 1", "total"]
    assert t.loc["Saitama 1", "later steps"] == 2058 + 640
    assert t["opening"].sum() == 6391
    assert set(t["opens"]) == {"2003-01"}

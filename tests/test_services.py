"""The services chapter's derivations, checked against hand computation."""

import pytest
from iijbook import services


def test_arpu_and_its_inverse():
    # ¥600M in a quarter over 2,000 contracts: 600e6 / 2000 / 3 = ¥100,000 a month
    assert services.arpu(600e6, 2000, months=3) == pytest.approx(100_000)
    assert services.revenue_from_arpu(100_000, 2000, 3) == pytest.approx(600e6)
    with pytest.raises(ValueError, match="must be positive"):
        services.arpu(1.0, 0)


def test_bandwidth_and_price_per_mbps():
    # 10 Gbps × 1,000 / 2,000 contracts = 5 Mbps; ¥100,000 / 5 Mbps = ¥20,000 per Mbps
    assert services.bandwidth_per_contract_mbps(10, 2000) == pytest.approx(5.0)
    assert services.yen_per_mbps(100_000, 5.0) == pytest.approx(20_000)
    with pytest.raises(ValueError):
        services.bandwidth_per_contract_mbps(10, 0)


def test_catv_reach_and_share():
    # 10 operators × 10,000 = 100,000; / 1.8M = 5.556%
    assert services.catv_reach(10, 10_000) == 100_000
    assert services.share_of(100_000, 1.8e6) == pytest.approx(0.05556, abs=1e-5)


def test_catv_growth_from_the_release_with_its_rounding():
    d = services.catv_growth()
    # 1.8 / 0.2 = 9.0; rounding: 1.75 / 0.25 = 7.0 to 1.85 / 0.15 = 12.333
    assert d.value == pytest.approx(9.0)
    assert d.interval.lo == pytest.approx(7.0)
    assert d.interval.hi == pytest.approx(12.3333, abs=1e-4)


def test_catv_cagr_over_two_and_a_half_years():
    d = services.catv_cagr()
    # March 2000 to September 2002 = 30 months = 2.5 years; 9 ** 0.4 − 1 = 1.4082
    # bounds: 7 ** 0.4 − 1 = 1.1779; 12.333 ** 0.4 − 1 = 1.7317
    assert d.value == pytest.approx(1.4082, abs=1e-4)
    assert d.interval.lo == pytest.approx(1.1779, abs=1e-4)
    assert d.interval.hi == pytest.approx(1.7317, abs=1e-4)


def test_catv_series_agrees_with_the_release():
    s = services.catv_series().set_index("month_end")["subscribers"]
    assert s["2002-09-30"] == 1_800_000
    assert s["2000-03-31"] == 216_000  # the release rounds it to 0.2 million


def test_growth_areas_cover_the_release_in_its_order():
    areas = services.growth_areas()
    assert [g.area for g in areas][:4] == [
        "IIJ VPN Standard",
        "CDN platform",
        "CATV operators",
        "Data-centre service",
    ]
    catv = areas[2]
    assert "More than 10 CATV companies" in catv.says  # quoted from the data file's source
    assert [str(p) for p in catv.periods] == ["2H02"]
    assert [str(p) for p in areas[0].periods] == ["3Q02", "2H02"]  # November 2002 is in 3Q02
    table = services.growth_area_table()
    assert len(table) == 6 and table["what it leaves out"].str.len().gt(0).all()


def test_timeline_spans_sit_in_their_fiscal_periods():
    t = services.timeline_frame()
    dc = t[(t.area == "Data-centre service") & (t.kind == "expected")].iloc[0]
    assert (dc["start"], dc["end"], dc["period"]) == ("2003-01-01", "2003-03-31", "4Q02")
    vpn = t[(t.area == "IIJ VPN Standard") & (t.kind == "launch")].iloc[0]
    assert vpn["period"] == "3Q02"
    assert (t["start"] <= t["end"]).all()


def test_missing_reader_figures():
    assert services.is_missing(None) and services.is_missing(float("nan"))
    assert not services.is_missing(0.0)

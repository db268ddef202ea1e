"""The broadband chapter's derivations, checked against hand computation."""

import math

import pytest
from iijbook import broadband as bb


def test_release_cagrs_by_hand():
    c = {d.name: d for d in bb.release_cagrs()}
    # Internet penetration: (0.440 / 0.214) ** (12 / 24) - 1 = 2.05607 ** 0.5 - 1 = 1.43390 - 1
    assert c["Internet penetration, annual growth"].value == pytest.approx(0.43390, abs=1e-5)
    # mobile Internet: 56.3 / 7.5 = 7.50667; ln = 2.01579; * 12 / 29 = 0.83412; e^ = 2.30279
    assert c["mobile Internet subscribers, CAGR"].value == pytest.approx(1.30279, abs=1e-4)
    # ADSL: 4,600,000 / 211 = 21,800.95; ln = 9.98970; * 12 / 31 = 3.86698; e^ = 47.798
    assert c["ADSL subscribers, CAGR"].value == pytest.approx(46.798, abs=2e-3)
    # CATV: 9 ** 0.4 = e^(0.4 * 2.19722) = e^0.87889 = 2.40822
    catv = c["CATV Internet subscribers, CAGR"]
    assert catv.value == pytest.approx(1.40822, abs=1e-4)
    # widest corners: (1.75 / 0.25) ** 0.4 = 7 ** 0.4 = 2.17790;
    #                 (1.85 / 0.15) ** 0.4 = 12.333 ** 0.4 = 2.73172
    assert catv.interval.lo == pytest.approx(1.17790, abs=1e-4)
    assert catv.interval.hi == pytest.approx(1.73172, abs=1e-4)
    for d in c.values():
        assert d.value in d.interval and "^ (12 /" in d.formula


def test_mobile_phones_read_as_man():
    phones = bb.mobile_phones_read_as_man()
    assert phones.value == 71_600_000  # 7,160 x 10,000
    share = bb.mobile_internet_share()
    # 56.3 / 71.6 = 0.786313; 56.25 / 71.605 = 0.785560; 56.35 / 71.595 = 0.787066
    assert share.value == pytest.approx(0.786313, abs=1e-6)
    assert share.interval.lo == pytest.approx(0.785560, abs=1e-6)
    assert share.interval.hi == pytest.approx(0.787066, abs=1e-6)
    # read literally: 56,300,000 / 7,160 = 7,863.1 subscribers a handset
    assert bb.literal_reading_ratio() == pytest.approx(7863.13, abs=0.01)


def test_months():
    assert bb.months_between("2000-03", "2002-10") == 31
    assert bb.month_label(bb.month_index("1999-12") + 1) == "2000-01"
    with pytest.raises(ValueError, match="not a month: '2002-1'"):
        bb.month_index("2002-1")


def test_net_adds_average_over_missing_months():
    n = bb.net_adds("DSL").set_index("month")
    # 2002-09 is missing: (4,639,545 - 3,915,740) / 2 = 361,902.5
    assert n.loc["2002-10", "months"] == 2
    assert n.loc["2002-10", "per_month"] == pytest.approx(361_902.5)
    # 2001-12 spans three months: (1,524,348 - 650,796) / 3 = 291,184
    assert n.loc["2001-12", "per_month"] == pytest.approx(291_184)


def test_takeoff_peak_and_overtake():
    # 2001-07: 400,760 - 291,333 = 109,427, the first step at or above 100,000 a month
    assert bb.takeoff_month("DSL") == "2001-07"
    # 2002-12: 5,645,728 - 5,117,867 = 527,861, the largest monthly step
    assert bb.peak_net_adds("DSL") == ("2002-12", 527_861.0)
    # 2001-09: DSL 650,796 < CATV 1,151,000; 2001-12: 1,524,348 > 1,300,000
    assert bb.first_month_above("DSL", "CATV") == "2001-12"
    assert bb.first_month_above("CATV", "DSL") == "2000-03"  # the first month both have: 216,000 > 211


def test_year_on_year():
    y = bb.yoy("DSL").set_index("month")
    # 1,524,348 / 9,723 - 1 = 155.778; 10,272,052 / 5,645,728 - 1 = 0.81944
    assert y.loc["2001-12", "growth"] == pytest.approx(155.778, abs=1e-3)
    assert y.loc["2003-12", "growth"] == pytest.approx(0.81944, abs=1e-5)
    assert "2002-10" not in y.index  # 2001-10 is missing, so no YoY for 2002-10
    t = bb.year_end_table().set_index(["technology", "year"])
    assert t.loc[("DSL", 2003), "net_adds"] == 10_272_052 - 5_645_728  # 4,626,324
    assert math.isnan(t.loc[("FTTH", 2002), "net_adds"])  # no FTTH figure for December 2001


def test_totals_and_shares():
    # 2002-10: 4,639,545 + 1,852,000 + 138,030 = 6,629,575
    assert bb.total_at("2002-10") == 6_629_575
    assert bb.share_at("DSL", "2002-10") == pytest.approx(4_639_545 / 6_629_575)
    with pytest.raises(ValueError, match="no DSL figure for 2002-09"):
        bb.total_at("2002-09")


def test_release_figures_against_the_series():
    checks = {c.figure_id: c for c in bb.release_checks()}
    adsl = checks["adsl_2002_10"]
    assert adsl.series_value == 4_639_545 and adsl.inside  # 4.55M <= 4,639,545 <= 4.65M
    assert adsl.difference == pytest.approx(4_639_545 / 4_600_000 - 1)  # +0.86%
    catv = checks["catv_internet_2002_09"]
    # the series' 2002-09 row is the release's; (1,758,000 + 1,852,000) / 2 = 1,805,000
    assert catv.series_value == 1_805_000 and catv.basis.startswith("interpolated") and catv.inside
    assert checks["catv_internet_2000_03"].series_value == 216_000  # inside 0.15M-0.25M
    assert checks["ftth_2002_09"].series_value == 114_608 and checks["ftth_2002_09"].basis == "same month"
    adsl_start = checks["adsl_2000_03"]
    assert adsl_start.series_value is None and adsl_start.inside is None  # only the release gives it


def test_linear_projection_by_hand():
    # cut-off 2002-06, 12-month window: 9 figures at x = -11, -10, -9, -6, -5, -3, -2, -1, 0
    # sum x = -47, sum x^2 = 377, sum y = 16,281,403, sum xy = -49,016,503
    # Sxx = 377 - 47^2 / 9 = 131.556; Sxy = -49,016,503 + 47 * 16,281,403 / 9 = 36,008,601.6
    # b = 273,714.0; a = 16,281,403 / 9 + b * 47 / 9 = 1,809,044.8 + 1,429,395.5 = 3,238,440.3
    # 2003-12 is 18 months later: 3,238,440.3 + 18 * 273,714.0 = 8,165,292.9
    p = bb.fit_projection("DSL", "2002-06", "linear", 12)
    assert len(p.months) == 9
    assert p.b == pytest.approx(273_714.03, abs=0.01)
    assert p.a == pytest.approx(3_238_440.28, abs=0.01)
    c = bb.check_projection(p)
    assert c.projected == pytest.approx(8_165_292.86, abs=0.01)
    assert c.error == pytest.approx(8_165_292.86 / 10_272_052 - 1)  # -20.5%


def test_exponential_projection_by_hand():
    # cut-off 2002-10: slope of ln y on x is 0.110862 (e^b = 1.117241 a month), e^a = 4,979,158;
    # 14 months on: 4,979,158 * 1.117241 ** 14 = 23,507,732
    p = bb.fit_projection("DSL", "2002-10", "exponential", 12)
    assert math.exp(p.b) == pytest.approx(1.117241, abs=1e-6)
    assert p.at("2003-12") == pytest.approx(23_507_732, rel=1e-6)


def test_logistic_fit_is_deterministic_and_bounded():
    a = bb.fit_projection("DSL", "2002-10", "logistic", 12)
    b = bb.fit_projection("DSL", "2002-10", "logistic", 12)
    assert a == b and a.ceiling_fitted
    largest = 4_639_545  # the largest DSL figure in the window
    assert 1.01 * largest <= a.ceiling <= 100 * largest
    assert a.at("2003-12") < a.ceiling
    fixed = bb.fit_projection("DSL", "2002-10", "logistic", 12, ceiling=20e6)
    assert fixed.ceiling == 20e6 and not fixed.ceiling_fitted
    with pytest.raises(ValueError, match="must exceed the largest observation"):
        bb.fit_projection("DSL", "2002-10", "logistic", 12, ceiling=4e6)


def test_cutoff_needs_enough_points_before_it():
    # FTTH starts in 2002-01: by 2002-03 the series has 2 figures (2002-01, 2002-03)
    with pytest.raises(ValueError, match="only 2 FTTH observation.* at least 5"):
        bb.fit_projection("FTTH", "2002-03", "linear", 12)
    with pytest.raises(ValueError, match="model must be one of"):
        bb.fit_projection("DSL", "2002-10", "quadratic")
    with pytest.raises(ValueError, match="not after the cut-off"):
        bb.check_projection(bb.fit_projection("DSL", "2002-10"), month="2002-10")


def test_projection_only_sees_the_window():
    p = bb.fit_projection("DSL", "2002-10", "linear", 12)
    assert p.months[0] == "2001-12" and p.months[-1] == "2002-10"
    assert all(bb.month_index(m) <= bb.month_index("2002-10") for m in p.months)


def test_projection_tables_are_small_and_keyed():
    cutoffs = bb.candidate_cutoffs("DSL", 12)
    assert cutoffs[0] == "2001-06" and cutoffs[-1] == "2003-06" and len(cutoffs) == 25
    t = bb.projection_table("DSL", cutoffs, 12)
    assert len(t) < 5000
    assert set(t["model"]) == set(bb.MODELS)
    e = bb.error_table("DSL", cutoffs, 12)
    assert len(e) == 25 * 3
    row = e[(e.cutoff == "2002-10") & (e.model == "linear")].iloc[0]
    assert row["error"] == pytest.approx(8_891_162.6 / 10_272_052 - 1, abs=1e-7)


def test_peers_per_100():
    # Japan (10.7 - 2.2) / 2 = 4.25; Korea (24.2 - 17.2) / 2 = 3.5; US (9.7 - 4.5) / 2 = 2.6; OECD 2.2
    assert bb.points_per_year("Japan") == pytest.approx(4.25)
    assert bb.points_per_year("United States") == pytest.approx(2.6)
    assert bb.points_per_year("OECD") == pytest.approx(2.2)
    assert bb.first_year_above("Japan", "United States") == 2003  # 6.1 < 6.9, then 10.7 > 9.7
    assert bb.first_year_above("Japan", "OECD") == 2002  # 2.2 < 2.9, then 6.1 > 4.9
    assert bb.first_year_above("Japan", "Korea") is None
    assert bb.multiple_of("Japan", "Korea", 2003) == pytest.approx(24.2 / 10.7)  # 2.26
    with pytest.raises(ValueError, match="no per-100 figures for 'France'"):
        bb.per_100("France")


def test_implied_population():
    # 13,641,311 / 0.107 = 127,488,888; 10.65 and 10.75 per 100 give 128,087,427 and 126,895,916
    assert bb.implied_population(13_641_311, 10.7) == pytest.approx(127_488_888, abs=1)
    from iijbook.metrics import Interval

    iv = bb.implied_population(13_641_311, Interval(10.65, 10.75))
    assert iv.lo == pytest.approx(126_895_916, abs=1) and iv.hi == pytest.approx(128_087_427, abs=1)

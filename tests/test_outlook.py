"""The guidance against IIJ's later results, checked against hand computation."""

import pytest
from iijbook import outlook
from iijbook.metrics import Interval


def test_later_figures_carry_the_rounding_of_their_printed_form():
    # "JPY44.0B" is precise to 0.1B; "6.3%" to 0.1 point; "JPY567M" to 1M
    assert outlook.later_figure("total_revenues", "FY2002").interval == Interval(43.95e9, 44.05e9)
    assert outlook.later_figure("revenue_growth_yoy", "3Q02").interval == Interval(0.0625, 0.0635)
    assert outlook.later_figure("operating_income", "3Q02").interval == Interval(-567.5e6, -566.5e6)
    # "about JPY1.7B", stored as a loss
    assert outlook.later_figure("operating_income", "FY2002").interval == Interval(-1.75e9, -1.65e9)
    # the 4Q guidance is printed as a range "JPY12.5-13.0B": taken as exact
    g = outlook.later_figure("total_revenues_guidance_low", "4Q02")
    assert g.interval.width == 0


def test_unknown_later_figure_is_named():
    with pytest.raises(KeyError, match="no later-reported 'ebitda' for '3Q02'"):
        outlook.later_figure("ebitda", "3Q02")


def test_fy2001_implied_by_hand():
    # 44.0 / 1.103 = 39.8912; bounds 43.95 / 1.1035 = 39.8278 and 44.05 / 1.1025 = 39.9546
    d = outlook.fy2001_implied()
    assert d.value == pytest.approx(39.8912e9, rel=1e-5)
    assert d.interval.lo == pytest.approx(39.8278e9, rel=1e-5)
    assert d.interval.hi == pytest.approx(39.9546e9, rel=1e-5)


def test_fy2001_base_takes_an_override_and_refuses_nonsense():
    assert outlook.fy2001_base(38e9) == (38e9, "set as a parameter of this page")
    with pytest.raises(ValueError, match="FY2001 revenue must be positive"):
        outlook.fy2001_base(-1.0)


def test_3q02_against_its_guidance_by_hand():
    # (10.6 - 10.5) / (11.0 - 10.5) = 0.2; 10.6 - 10.75 = -0.15; 10.6 / 10.75 - 1 = -1.395%
    c = outlook.check_3q02("mid")
    assert c.position == pytest.approx(0.2)
    assert c.inside  # 10.55 to 10.65 lies within 10.5 to 11.0
    assert c.miss == pytest.approx(-0.15e9)
    assert c.miss_ratio == pytest.approx(-0.01395, abs=1e-5)
    assert outlook.check_3q02("low").miss == pytest.approx(0.1e9)


def test_position_in_range_outside_and_bad_range():
    assert outlook.position_in_range(11.5e9, 10.5e9, 11.0e9) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="high > low"):
        outlook.position_in_range(1, 2, 2)


def test_3q01_and_the_guidance_as_yoy_by_hand():
    # 3Q01 = 10.6 / 1.063 = 9.9718; 10.5 / 9.9718 - 1 = 5.30%; 11.0 / 9.9718 - 1 = 10.31%
    assert outlook.implied_3q01().value == pytest.approx(9.9718e9, rel=1e-5)
    lo, hi = outlook.guidance_as_yoy_3q02()
    assert lo == pytest.approx(0.0530, abs=1e-4)
    assert hi == pytest.approx(0.1031, abs=1e-4)
    # 4Q01 = 13.0 / 1.077 = 12.0706
    assert outlook.implied_4q01().value == pytest.approx(12.0706e9, rel=1e-5)


def test_hindsight_by_hand():
    # target 39.8912 * 1.2 = 47.8694; shortfall 47.8694 - 44.0 = 3.8694 (8.08% of the target);
    # 4Q02 needed at the midpoint 47.8694 - 20.4789 - 10.75 = 16.6405; after 3Q02 = 10.6: 16.7905
    h = outlook.hindsight(44.0e9 / 1.103, 0.20, "mid")
    assert h.fy2002_target == pytest.approx(47.8694e9, rel=1e-5)
    assert h.shortfall == pytest.approx(3.8694e9, rel=1e-4)
    assert h.shortfall_share == pytest.approx(0.0808, abs=1e-4)
    assert h.growth_gap == pytest.approx(0.097)
    assert h.q4_needed_at_guidance == pytest.approx(16.6405e9, rel=1e-4)
    assert h.q4_needed_after_3q == pytest.approx(16.7905e9, rel=1e-4)
    assert h.q4_gap == pytest.approx(3.6405e9, rel=1e-4)
    # the revised +10%: 39.8912 * 1.1 = 43.8803
    assert outlook.revised_fy2002(44.0e9 / 1.103) == pytest.approx(43.8803e9, rel=1e-5)


def test_operating_result_by_hand():
    # 1Q02 = -194 / (1 - 0.583) = -465.23; 1H02 = -465.23 - 194 = -659.23
    # 2H02 = -1700 - (-659.23) = -1040.77; needed for a profit: +659.23; for 500M: 1159.23
    assert outlook.operating_1h02().value == pytest.approx(-659.23e6, rel=1e-5)
    d = outlook.operating_2h02_implied()
    assert d.value == pytest.approx(-1040.77e6, rel=1e-5)
    # bounds: -1750 + (-193.5 / 0.4175 + -193.5) ... by corners: -1093.03 and -988.51
    assert d.interval.lo == pytest.approx(-1093.03e6, rel=1e-4)
    assert d.interval.hi == pytest.approx(-988.51e6, rel=1e-4)
    assert outlook.operating_2h02_needed() == pytest.approx(659.23e6, rel=1e-5)
    assert outlook.operating_2h02_needed(500e6) == pytest.approx(1159.23e6, rel=1e-5)


def test_the_routes_agree_within_rounding():
    # FY2002: 20.4789 + 10.6 + 13.0 = 44.0789 against 44.0; FY2001: 17.9168 + 9.9718 + 12.0706
    # = 39.9592 against 39.8912; 3Q02: 13.0 / 1.234 = 10.5348 against 10.6; 2H02 operating:
    # -567 - 446 = -1013 against -1040.77
    checks = {c.name: c for c in outlook.consistency_checks()}
    assert checks["FY2002 total revenues"].a_value == pytest.approx(44.0789e9, rel=1e-4)
    assert checks["FY2001 total revenues"].a_value == pytest.approx(39.9592e9, rel=1e-4)
    assert checks["3Q02 total revenues"].a_value == pytest.approx(10.5348e9, rel=1e-4)
    assert checks["2H02 operating income"].a_value == pytest.approx(-1013e6)
    assert all(c.agree for c in checks.values())


def test_formatting_keeps_minus_signs_with_their_figures():
    assert outlook.yen_m(-1040.77e6) == "\u2212\u2060¥1,041M"
    assert outlook.nobreak("¥13.0B") == "¥13.0B"

"""The revenue figures the release implies, checked against hand computation."""

import pytest
from iijbook import revenues

# By hand, from the release's highlights:
#   1Q02 = 10.6 / 1.073            = 9.8789
#   2Q01 = 10.6 / 1.109            = 9.5582
#   1H02 = 9.8789 + 10.6           = 20.4789
#   1H01 = 20.4789 / 1.143         = 17.9168
#   1Q01 = 17.9168 - 9.5582        = 8.3586
HAND = {"1Q02": 9.8789e9, "2Q01": 9.5582e9, "1H02": 20.4789e9, "1H01": 17.9168e9, "1Q01": 8.3586e9}


def test_revenue_history_matches_hand_computation():
    history = {d.period_label: d for d in revenues.revenue_history()}
    for period, value in HAND.items():
        assert history[period].value == pytest.approx(value, rel=2e-5), period
        assert value in history[period].interval, period
    assert history["2Q02"].value == 10.6e9


def test_differences_widen_the_interval():
    history = {d.period_label: d for d in revenues.revenue_history()}
    assert history["1Q01"].interval.width > history["1Q02"].interval.width
    # 1Q01 bounds by hand: (10.55/1.0735 + 10.55) / 1.1435 - 10.65/1.1085
    #                      = 20.3777 / 1.1435 - 9.6076 = 17.8205 - 9.6076 = 8.2129;
    #                      (10.65/1.0725 + 10.65) / 1.1425 - 10.55/1.1095
    #                      = 20.5801 / 1.1425 - 9.5088 = 18.0132 - 9.5088 = 8.5044
    assert history["1Q01"].interval.lo == pytest.approx(8.2129e9, rel=1e-4)
    assert history["1Q01"].interval.hi == pytest.approx(8.5044e9, rel=1e-4)


def test_every_derivation_states_its_formula():
    for d in revenues.revenue_history():
        assert d.formula and ("=" in d.formula or d.formula.startswith("as printed"))


@pytest.mark.parametrize(("point", "value"), [("low", 10.5e9), ("mid", 10.75e9), ("high", 11.0e9)])
def test_guidance_points(point, value):
    assert revenues.guided_3q02(point) == value


def test_unknown_guidance_point_is_named():
    with pytest.raises(ValueError, match="guidance_point must be one of .* got 'best'"):
        revenues.guided_3q02("best")


def test_second_half_requirement_by_hand():
    # FY2001 from IIJ's later report: 44.0 / 1.103 = 39.8912
    s = revenues.second_half(44.0e9 / 1.103, 0.20, 10.75e9)
    assert s.fy2002_target == pytest.approx(47.8694e9, rel=1e-5)  # 39.8912 * 1.2
    assert s.h2_02_needed == pytest.approx(27.3905e9, rel=1e-4)  # 47.8694 - 20.4789
    assert s.h2_01 == pytest.approx(21.9744e9, rel=1e-4)  # 39.8912 - 17.9168
    assert s.q4_02_needed == pytest.approx(16.6405e9, rel=1e-4)  # 27.3905 - 10.75
    assert s.h2_02_needed / s.h2_01 - 1 == pytest.approx(0.2465, abs=1e-3)  # 27.3905 / 21.9744 − 1


def test_second_half_needs_a_positive_base():
    with pytest.raises(ValueError, match="FY2001 revenue must be positive"):
        revenues.second_half(0, 0.2, 10.75e9)

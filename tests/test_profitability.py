"""The profitability figures the release implies, checked against hand computation."""

import pytest
from iijbook import fmt
from iijbook import profitability as pr
from iijbook.metrics import Interval

# Revenues from the release (revenues chapter): 2Q01 = 10.6 / 1.109 = 9.5582B, 1Q02 = 10.6 / 1.073 = 9.8789B.
# Gross profit by hand:
#   2Q01 = 9.5582 × 0.141 = 1.34771B
#   1Q02 = 9.8789 × 0.091 = 0.89898B
#   2Q02 = 10.6   × 0.110 = 1.16600B
GROSS_PROFIT = {"2Q01": 1.34771e9, "1Q02": 0.89898e9, "2Q02": 1.166e9}


def test_gross_profit_by_hand():
    gp = {d.period_label: d for d in pr.gross_profit_history()}
    assert list(gp) == ["2Q01", "1Q02", "2Q02"]
    for period, value in GROSS_PROFIT.items():
        assert gp[period].value == pytest.approx(value, rel=1e-4), period
        assert value in gp[period].interval, period
    # 2Q02 bounds: 10.55 × 0.1095 = 1.155225B; 10.65 × 0.1105 = 1.176825B
    assert gp["2Q02"].interval.lo == pytest.approx(1.155225e9)
    assert gp["2Q02"].interval.hi == pytest.approx(1.176825e9)


def test_operating_loss_before_it_improved_by_hand():
    q1, q2 = pr.operating_income_history()
    # -194 / (1 - 0.583) = -194 / 0.417 = -465.228M
    assert q1.value == pytest.approx(-465.228e6, rel=1e-5)
    # bounds: -194.5 / 0.4165 = -466.987M; -193.5 / 0.4175 = -463.473M
    assert q1.interval.lo == pytest.approx(-466.987e6, rel=1e-5)
    assert q1.interval.hi == pytest.approx(-463.473e6, rel=1e-5)
    assert q2.value == -194e6 and q2.formula.startswith("as printed")


def test_first_half_operating_income_by_hand():
    h1 = pr.first_half_operating_income()
    # -465.228 + -194 = -659.228M; bounds -466.987 - 194.5 = -661.487, -463.473 - 193.5 = -656.973
    assert h1.value == pytest.approx(-659.228e6, rel=1e-5)
    assert h1.interval.lo == pytest.approx(-661.487e6, rel=1e-5)
    assert h1.interval.hi == pytest.approx(-656.973e6, rel=1e-5)


def test_ebitda_before_it_doubled_carries_the_word():
    q1, q2 = pr.ebitda_history()
    assert q1.value == 331e6  # 662 / 2
    # "doubled" read as 1.95 to 2.05 times: 661.5 / 2.05 = 322.68M, 662.5 / 1.95 = 339.74M
    assert q1.interval.lo == pytest.approx(322.683e6, rel=1e-5)
    assert q1.interval.hi == pytest.approx(339.744e6, rel=1e-5)
    assert q2.value == 662e6
    assert pr.ebitda_history(1.8)[0].value == pytest.approx(367.778e6, rel=1e-5)  # 662 / 1.8


def test_depreciation_from_ebitda_by_hand():
    assert pr.depreciation_from_ebitda(662e6, -194e6) == 856e6
    q1, q2 = pr.depreciation_history()
    assert q2.value == 856e6  # 662 + 194
    assert (q2.interval.lo, q2.interval.hi) == (855e6, 857e6)  # 661.5 + 193.5, 662.5 + 194.5
    assert q1.value == pytest.approx(796.228e6, rel=1e-5)  # 331 + 465.228
    # reading "doubled" as 2.2 times: 662 / 2.2 + 465.228 = 300.909 + 465.228 = 766.137M
    assert pr.depreciation_history(2.2)[0].value == pytest.approx(766.137e6, rel=1e-5)


def test_depreciation_works_on_intervals():
    d = pr.depreciation_from_ebitda(Interval(661.5e6, 662.5e6), Interval(-194.5e6, -193.5e6))
    assert (d.lo, d.hi) == (855e6, 857e6)


def test_operating_expenses_by_hand():
    q1, q2 = pr.operating_expense_history()
    # 1Q02: 898.98 + 465.228 = 1,364.21M; 2Q02: 1,166 + 194 = 1,360M
    assert q1.value == pytest.approx(1364.21e6, rel=1e-4)
    assert q2.value == pytest.approx(1360e6)


def test_margins_by_hand():
    m = {d.name: d.value for d in pr.margin_history()}
    assert m["2Q02 operating margin"] == pytest.approx(-194 / 10600)  # -1.830%
    assert m["1Q02 operating margin"] == pytest.approx(-465.228 / 9878.84, rel=1e-4)  # -4.709%
    assert m["2Q02 EBITDA margin"] == pytest.approx(662 / 10600)  # 6.245%
    assert m["1Q02 EBITDA margin"] == pytest.approx(331 / 9878.84, rel=1e-4)  # 3.351%


def test_second_half_profit_by_hand():
    # 2H02 revenues a +20% year needs: 1.2 × 44.0 / 1.103 − 20.4789 = 27.3905B
    s = pr.second_half_profit(27.3905e9, 0.11)
    assert s.opex_per_quarter == pytest.approx(1360e6)  # the 2Q02 level
    assert s.gross_profit == pytest.approx(3.012955e9)  # 27.3905 × 0.11
    assert s.operating_income == pytest.approx(292.955e6, rel=1e-5)  # 3,012.955 − 2,720
    assert s.needed == pytest.approx(659.228e6, rel=1e-5)
    assert s.fy2002_operating_income == pytest.approx(-366.273e6, rel=1e-4)  # −659.228 + 292.955
    assert s.required_gross_margin == pytest.approx(0.123371, rel=1e-4)  # 3,379.228 / 27,390.5
    assert s.required_revenue == pytest.approx(30.7203e9, rel=1e-4)  # 3,379.228 / 0.11
    assert s.opex_allowed_per_quarter == pytest.approx(1176.86e6, rel=1e-4)  # (3,012.955 − 659.228) / 2


def test_second_half_profit_with_given_costs():
    # 20B × 0.15 = 3,000M gross profit, less 2 × 1,000M = 1,000M
    s = pr.second_half_profit(20e9, 0.15, 1e9)
    assert s.operating_income == pytest.approx(1000e6)
    assert s.operating_margin == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0.1), "2H02 revenues must be positive"),
        ((1e9, 1.5), "gross margin must be between 0 and 1"),
        ((1e9, 0.1, -5.0), "operating expenses must be positive"),
    ],
)
def test_second_half_profit_refuses_bad_assumptions(args, message):
    with pytest.raises(ValueError, match=message):
        pr.second_half_profit(*args)


def test_zero_margin_needs_infinite_revenue():
    assert pr.second_half_profit(1e9, 0.0).required_revenue == float("inf")


def test_bad_multiple_is_refused():
    with pytest.raises(ValueError, match="EBITDA multiple must be above"):
        pr.ebitda_history(0)


def test_millions_keeps_the_minus_with_the_figure():
    assert fmt.millions(-465.2e6) == "\u2212\u2060¥465M"
    assert fmt.millions(-0.2e6) == "¥0M"
    assert fmt.millions(1364.21e6) == "¥1,364M"

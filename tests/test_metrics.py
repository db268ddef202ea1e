"""Finance maths, checked against the release's own worked numbers (computed by hand)."""

import pytest
from iijbook import metrics as m
from iijbook.metrics import Interval


def test_prior_quarter_from_qoq_growth():
    # "JPY10.6B ... an increase of 7.3% QoQ": 10.6 / 1.073 = 9.8789...
    assert m.implied_prior(10.6e9, 0.073) == pytest.approx(9.8788e9, rel=1e-4)


def test_growth_inverts_implied_prior():
    prior = m.implied_prior(10.6e9, 0.109)
    assert m.growth(10.6e9, prior) == pytest.approx(0.109)


def test_operating_loss_before_it_improved():
    # "Operating loss improved by 58.3% to JPY194M": 194 / (1 - 0.583) = 465.2
    assert m.prior_before_improvement(-194e6, 0.583) == pytest.approx(-465.23e6, rel=1e-4)


def test_ebitda_before_it_doubled():
    assert m.prior_from_multiple(662e6, 2) == 331e6


def test_gross_profit_and_margin():
    gp = 10.6e9 * 0.110
    assert m.margin(gp, 10.6e9) == pytest.approx(0.110)


def test_cagr_of_mobile_internet():
    # 7.5M (2000/3) to 56.3M (2002/8): 29 months; (56.3/7.5)^(12/29) - 1 = 1.303
    assert m.cagr(7.5e6, 56.3e6, 29 / 12) == pytest.approx(1.303, abs=0.001)
    with pytest.raises(ValueError):
        m.cagr(0, 1, 1)


def test_rounding_interval_of_a_printed_figure():
    i = Interval.around(10.6e9, m.precision_of("JPY10.6B"))
    assert (i.lo, i.hi) == pytest.approx((10.55e9, 10.65e9))
    assert 10.6e9 in i and 10.66e9 not in i


@pytest.mark.parametrize(
    ("printed", "step"),
    [
        ("JPY10.6B", 1e8),
        ("$86.8M", 1e5),
        ("7.3%", 1e-3),
        ("20%", 1e-2),
        ("JPY194M", 1e6),
        ("39,165m²", 1.0),
        ("4.6 Million", 1e5),
        ("114,608 subscriber", 1.0),
    ],
)
def test_precision_of_printed_figures(printed, step):
    assert m.precision_of(printed) == pytest.approx(step)


def test_interval_arithmetic_brackets_the_implied_prior():
    rev = Interval.around(10.6e9, 0.1e9)
    qoq = Interval.around(0.073, 0.001)
    prior = m.implied_prior(rev, qoq)
    # by hand: 10.55 / 1.0735 = 9.8277; 10.65 / 1.0725 = 9.9301
    assert prior.lo == pytest.approx(9.8277e9, rel=1e-4)
    assert prior.hi == pytest.approx(9.9301e9, rel=1e-4)
    assert m.implied_prior(10.6e9, 0.073) in prior


def test_interval_rate_and_the_common_rate():
    # the yen per dollar a translation implies: yen ÷ dollars, over the ranges both roundings allow
    r1 = Interval.around(10.6e9, 0.1e9) / Interval.around(86.8e6, 0.1e6)
    r2 = Interval.around(11.0e9, 0.1e9) / Interval.around(90.4e6, 0.1e6)
    common = r1.intersect(r2)
    assert common is not None
    # by hand: 10.55/86.85 = 121.47; 11.05/90.35 = 122.30
    assert common.lo == pytest.approx(121.47, abs=0.01)
    assert common.hi == pytest.approx(122.30, abs=0.01)
    assert Interval(1, 2).intersect(Interval(3, 4)) is None


def test_interval_refuses_division_by_zero_span():
    with pytest.raises(ZeroDivisionError):
        Interval(1, 2) / Interval(-1, 1)

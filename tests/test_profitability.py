"""The profitability figures the lib keeps for other chapters, checked against hand computation.

Gross profit, operating expenses and the second half are derived in the chapter itself and
checked in ``test_profitability_chapter.py``.
"""

import pytest
from iijbook import fmt
from iijbook import profitability as pr
from iijbook.metrics import Interval


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


def test_bad_multiple_is_refused():
    with pytest.raises(ValueError, match="EBITDA multiple must be above"):
        pr.ebitda_history(0)


def test_millions_keeps_the_minus_with_the_figure():
    assert fmt.millions(-465.2e6) == "\u2212\u2060¥465M"
    assert fmt.millions(-0.2e6) == "¥0M"
    assert fmt.millions(1364.21e6) == "¥1,364M"

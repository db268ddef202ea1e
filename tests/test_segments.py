"""Segment mix arithmetic (under assumed margins and shares), checked by hand."""

import pytest
from iijbook import segments


def test_blended_margin_by_hand():
    # 0.9 * 15% + 0.1 * 5% = 13.5% + 0.5% = 14.0%; 0.7 * 20% + 0.3 * 8% = 14% + 2.4% = 16.4%
    assert segments.blended_margin(0.15, 0.05, 0.10) == pytest.approx(0.140)
    assert segments.blended_margin(0.20, 0.08, 0.30) == pytest.approx(0.164)


def test_blended_margin_refuses_a_share_outside_0_1():
    with pytest.raises(ValueError, match="equipment_share must be between 0 and 1"):
        segments.blended_margin(0.15, 0.05, 1.2)


def test_share_for_each_reported_margin_by_hand():
    # (15 - 14.1) / 10 = 0.09; (15 - 9.1) / 10 = 0.59; (15 - 11.0) / 10 = 0.40
    got = [segments.equipment_share_for_margin(m, 0.15, 0.05) for m in (0.141, 0.091, 0.110)]
    assert got == pytest.approx([0.09, 0.59, 0.40])
    # and back again
    for share, m in zip(got, (0.141, 0.091, 0.110), strict=True):
        assert segments.blended_margin(0.15, 0.05, share) == pytest.approx(m)


def test_share_shift_by_hand():
    # 2Q01 -> 1Q02: -5.0 points / 10-point gap = +0.50; 1Q02 -> 2Q02: +1.9 / 10 = -0.19
    assert segments.share_shift_for_margin_change(0.091 - 0.141, 0.15, 0.05) == pytest.approx(0.50)
    assert segments.share_shift_for_margin_change(0.110 - 0.091, 0.15, 0.05) == pytest.approx(-0.19)


def test_equal_margins_cannot_be_mixed():
    with pytest.raises(ValueError, match="margins are equal"):
        segments.equipment_share_for_margin(0.11, 0.1, 0.1)
    with pytest.raises(ValueError, match="margins are equal"):
        segments.share_shift_for_margin_change(0.01, 0.1, 0.1)


def test_other_margin_by_hand():
    # (11.0 - 0.2 * 5) / 0.8 = 10.0 / 0.8 = 12.5%; (14.1 - 0.1 * 5) / 0.9 = 13.6 / 0.9 = 15.11%
    assert segments.other_margin_for(0.110, 0.05, 0.20) == pytest.approx(0.125)
    assert segments.other_margin_for(0.141, 0.05, 0.10) == pytest.approx(0.15111, abs=1e-5)
    with pytest.raises(ValueError, match="below 1"):
        segments.other_margin_for(0.11, 0.05, 1.0)

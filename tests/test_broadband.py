"""What the broadband chapter reads from the lib: the monthly series, the fit window, a population."""

import pytest
from iijbook import broadband as bb
from iijbook.metrics import Interval


def test_months():
    assert bb.month_index("2002-10") - bb.month_index("2000-03") == 31
    assert bb.month_index("2000-01") - bb.month_index("1999-12") == 1
    with pytest.raises(ValueError, match="not a month: '2002-1'"):
        bb.month_index("2002-1")


def test_series():
    dsl = bb.series("DSL")
    assert dsl.month.iloc[0] == "2000-03" and dsl.subscribers.iloc[0] == 211  # the release's own figure
    assert dsl.set_index("month").loc["2002-10", "subscribers"] == 4_639_545
    assert "2002-09" not in set(dsl.month)  # months no source covers are missing
    with pytest.raises(ValueError, match="technology must be one of"):
        bb.series("ISDN")


def test_window_only_sees_up_to_the_cutoff():
    w = bb.window("DSL", "2002-10", 12)
    assert len(w) == 9 and w.month.iloc[0] == "2001-12" and w.month.iloc[-1] == "2002-10"
    assert all(bb.month_index(m) <= bb.month_index("2002-10") for m in w.month)
    # FTTH starts in 2002-01: by 2002-03 the series has 2 figures (2002-01, 2002-03), too few for a fit
    assert len(bb.window("FTTH", "2002-03", 12)) == 2 < bb.MIN_POINTS
    with pytest.raises(ValueError, match="at least one month"):
        bb.window("DSL", "2002-10", 0)


def test_implied_population():
    # 13,641,311 / 0.107 = 127,488,888; 10.65 and 10.75 per 100 give 128,087,427 and 126,895,916
    assert bb.implied_population(13_641_311, 10.7) == pytest.approx(127_488_888, abs=1)
    iv = bb.implied_population(13_641_311, Interval(10.65, 10.75))
    assert iv.lo == pytest.approx(126_895_916, abs=1) and iv.hi == pytest.approx(128_087_427, abs=1)

"""What the broadband chapter reads from the lib: the monthly series and the fit window."""

import pytest
from iijbook import broadband as bb


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

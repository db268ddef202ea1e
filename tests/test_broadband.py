"""The broadband chapter's monthly series and fit window, as its parameters-check cell defines them."""

from functools import cache

import nbformat
import pytest
from iijbook.params import ParameterError

from .conftest import ROOT


def check_cell(**overrides) -> dict:
    """The names the chapter's parameters and parameters-check cells define, run as the build runs them."""
    cells = nbformat.read(ROOT / "chapters" / "broadband.ipynb", as_version=4).cells
    namespace: dict = {}
    for tag in ("parameters", "parameters-check"):
        exec(next(c.source for c in cells if tag in c.metadata.get("tags", [])), namespace)
        namespace.update(overrides)
    return namespace


bb = cache(check_cell)


def test_months():
    month_index = bb()["month_index"]
    assert month_index("2002-10") - month_index("2000-03") == 31
    assert month_index("2000-01") - month_index("1999-12") == 1


def test_series():
    dsl = bb()["series"]["DSL"]
    assert dsl.month.iloc[0] == "2000-03" and dsl.subscribers.iloc[0] == 211  # the release's own figure
    assert dsl.set_index("month").loc["2002-10", "subscribers"] == 4_639_545
    assert "2002-09" not in set(dsl.month)  # months no source covers are missing
    assert set(bb()["series"]) == {"DSL", "CATV", "FTTH"}


def test_window_only_sees_up_to_the_cutoff():
    w, month_index = bb()["window"]("DSL", "2002-10", 12), bb()["month_index"]
    assert len(w) == 9 and w.month.iloc[0] == "2001-12" and w.month.iloc[-1] == "2002-10"
    assert all(month_index(m) <= month_index("2002-10") for m in w.month)
    # FTTH starts in 2002-01: by 2002-03 the series has 2 figures (2002-01, 2002-03), too few for a fit
    assert len(bb()["window"]("FTTH", "2002-03", 12)) == 2 < bb()["MIN_POINTS"]
    with pytest.raises(ParameterError, match="only 2 FTTH observation"):
        check_cell(projection_series="FTTH", projection_cutoff="2002-03")

"""The CAPEX chapter runs with an entered CAPEX figure and sets it against D&A and EBITDA."""

from __future__ import annotations

from .conftest import execute_chapter, glued_values


def test_capex_runs_with_an_entered_figure(tmp_path):
    out = execute_chapter("capex", tmp_path, {"capex_jpy": 1.2e9})
    glued = glued_values(out, unquote=True)
    # By hand: 1,200 / 10,600 = 11.3%; 1,200 / 856 = 1.40; 662 − 1,200 = −538M
    assert glued["entered_intensity"] == "11.3%"
    assert glued["entered_vs_da"] == "1.40"
    assert glued["entered_less"] == "\u2212\u2060¥538M"
    # the default scenario is unchanged: CAPEX equal to D&A, 856 / 10,600 = 8.1%
    assert glued["scen_intensity"] == "8.1%"
    assert glued["scen_capex"] == "¥856M"
    # the entered figure is named as the reader's, not the release's
    md = glued_values(out, mime="text/markdown")["entered_md"]
    assert "not a figure from the release" in md

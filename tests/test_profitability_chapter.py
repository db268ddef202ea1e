"""The profitability chapter runs with a non-default second-half margin and says what follows."""

from __future__ import annotations

from .conftest import execute_chapter, glued_values


def test_profitability_runs_with_the_2q01_margin(tmp_path):
    out = execute_chapter("profitability", tmp_path, {"h2_gross_margin": 0.141})
    glued = glued_values(out, unquote=True)
    # By hand: 2H02 revenues for +20% = 1.2 × 44.0 / 1.103 − 20.4789 = 27.3905B;
    # × 0.141 = 3,862.06M gross profit; less 2 × 1,360M = 1,142.06M operating income;
    # FY2002 = 1,142.06 − 659.23 = 482.83M.
    assert glued["h2_gm"] == "14.1%"
    assert glued["t_oi"] == "¥1,142M"
    assert glued["t_fy"] == "¥483M"
    assert glued["t_short"] == "more than"
    assert glued["t_verdict"].startswith("enough")
    # figures from the release do not move with the assumption
    assert glued["da_2q02"] == "¥856M"
    assert glued["needed"] == "¥659M"

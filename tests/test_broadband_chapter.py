"""The broadband chapter runs with a non-default cut-off, and its figures follow the parameter."""

from __future__ import annotations

import nbformat
import papermill as pm
import pytest

from .conftest import execute_chapter, glued_values


def test_broadband_runs_with_an_earlier_cutoff(tmp_path):
    out = execute_chapter("broadband", tmp_path, {"projection_cutoff": "2002-06"})
    glued = glued_values(out)
    assert glued["cutoff_text"] == "2002-06"
    # by hand (tests/test_broadband.py): a = 3,238,440.3, b = 273,714.0 a month,
    # 2003-12 = a + 18 b = 8,165,292.9; against 10,272,052 recorded: 8,165,293 / 10,272,052 - 1 = -20.5%
    assert glued["projected"] == "8,165,293"
    assert glued["error_text"] == "−20.5%"
    assert glued["points"] == "9"
    # the figures before the projection do not depend on the cut-off
    assert glued["adsl_series"] == "4,639,545"
    # the projection chart is drawn as the output of its figure cell
    figure = next(
        c
        for c in nbformat.read(out, as_version=4).cells
        if c.metadata.get("mystnb", {}).get("figure", {}).get("name") == "fig-broadband-projection"
    )
    assert any("text/html" in o.get("data", {}) for o in figure.outputs)


def test_broadband_refuses_a_cutoff_with_too_few_points(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="only 2 FTTH observation"):
        execute_chapter("broadband", tmp_path, {"projection_series": "FTTH", "projection_cutoff": "2002-03"})

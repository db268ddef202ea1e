"""The CAPEX chapter runs with an entered CAPEX figure and sets it against D&A and EBITDA."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]


def _glued(nb: nbformat.NotebookNode) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            key = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if key:
                text = o["data"].get("application/papermill.record/text/plain", "")
                out[key] = ast.literal_eval(text) if text.startswith("'") or text.startswith('"') else text
    return out


def test_capex_runs_with_an_entered_figure(tmp_path):
    out = tmp_path / "capex.ipynb"
    pm.execute_notebook(
        str(ROOT / "chapters" / "capex.ipynb"),
        str(out),
        parameters={"capex_jpy": 1.2e9},
        cwd=str(ROOT / "chapters"),
        progress_bar=False,
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    glued = _glued(nb)
    # By hand: 1,200 / 10,600 = 11.3%; 1,200 / 856 = 1.40; 662 − 1,200 = −538M
    assert glued["entered_intensity"] == "11.3%"
    assert glued["entered_vs_da"] == "1.40"
    assert glued["entered_less"] == "\u2212\u2060¥538M"
    # the default scenario is unchanged: CAPEX equal to D&A, 856 / 10,600 = 8.1%
    assert glued["scen_intensity"] == "8.1%"
    assert glued["scen_capex"] == "¥856M"
    # the entered figure is named as the reader's, not the release's
    md = [
        o["data"]["application/papermill.record/text/markdown"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("metadata", {}).get("scrapbook", {}).get("name") == "entered_text"
    ]
    assert md and "not a figure from the release" in md[0]

"""The profitability chapter runs with a non-default second-half margin and says what follows."""

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


def test_profitability_runs_with_the_2q01_margin(tmp_path):
    out = tmp_path / "profitability.ipynb"
    pm.execute_notebook(
        str(ROOT / "chapters" / "profitability.ipynb"),
        str(out),
        parameters={"h2_gross_margin": 0.141},
        cwd=str(ROOT / "chapters"),
        progress_bar=False,
        kernel_name="python3",
    )
    glued = _glued(nbformat.read(out, as_version=4))
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

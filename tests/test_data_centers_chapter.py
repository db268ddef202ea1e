"""The data-centres chapter runs with a non-default assumption and says what follows from it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]


def _glued(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    glued = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            key = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if key:
                glued[key] = o["data"].get("application/papermill.record/text/plain", "")
    return glued


def test_data_centers_runs_with_four_m2_per_rack_up_to_step2(tmp_path):
    out = tmp_path / "data_centers.ipynb"
    pm.execute_notebook(
        str(ROOT / "chapters" / "data_centers.ipynb"),
        str(out),
        parameters={"m2_per_rack": 4.0, "up_to_step": "STEP2"},
        cwd=str(ROOT / "chapters"),
        progress_bar=False,
        kernel_name="python3",
    )
    glued = _glued(out)
    # up to STEP2: Yokohama 1 4,353 + 5,717 = 10,070 m² → 10,070 / 4 = 2,517.5 → 2,517 racks;
    # Saitama 1 2,038 + 2,058 = 4,096 m² → 1,024 racks exactly; together 3,541
    assert glued["racks_yok"] == "'2,517'"
    assert glued["racks_sai"] == "'1,024'"
    assert glued["racks_both"] == "'3,541'"
    assert glued["upto_yok"] == "'10,070 m²'"
    # what the release states does not move with the assumption: 12,911 / 39,165 = 33.0%
    assert glued["yok_share"] == "'33.0%'"
    assert glued["m2_per_rack_text"] == "'4 m²'"

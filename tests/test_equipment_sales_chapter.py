"""The equipment-sales chapter runs with a non-default equipment share and glues what it derives."""

from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, parameters):
    out = tmp_path / "equipment_sales.ipynb"
    pm.execute_notebook(
        str(ROOT / "chapters" / "equipment_sales.ipynb"),
        str(out),
        parameters=parameters,
        cwd=str(ROOT / "chapters"),
        progress_bar=False,
        kernel_name="python3",
    )
    glued = {}
    for cell in nbformat.read(out, as_version=4).cells:
        for o in cell.get("outputs", []):
            key = o.get("metadata", {}).get("scrapbook", {}).get("name")
            if key:
                glued[key] = o["data"].get("application/papermill.record/text/plain", "")
    return glued


def test_equipment_sales_runs_with_a_larger_equipment_share(tmp_path):
    glued = _run(tmp_path, {"equipment_share": 0.2})
    # by hand, with the default assumed margins 15% and 5%:
    # total at 20% equipment: 0.8 * 15% + 0.2 * 5% = 13.0%
    # other margin that gives 2Q02's 11.0%: (11.0 - 0.2 * 5) / 0.8 = 12.5%
    # the shares that give the reported margins do not depend on the assumed share: 9%, 59%, 40%
    assert glued["blend"] == "'13.0%'"
    assert glued["need_other_2q02"] == "'12.5%'"
    assert glued["need_share_2q01"] == "'9%'"
    assert glued["need_share_1q02"] == "'59%'"
    assert glued["shift_fall_points"] == "'+50'"

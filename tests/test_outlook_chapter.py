"""The outlook chapter runs with the February 2003 growth guidance and glues what it derives."""

from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, parameters):
    out = tmp_path / "outlook.ipynb"
    pm.execute_notebook(
        str(ROOT / "chapters" / "outlook.ipynb"),
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


def test_outlook_runs_with_the_revised_growth_target(tmp_path):
    glued = _run(tmp_path, {"fy2002_growth_target": 0.10})
    # by hand: FY2001 = 44.0 / 1.103 = 39.8912; +10%: 43.8803;
    # 4Q02 needed = 43.8803 - 20.4789 - 10.75 = 12.6514, which the reported 13.0 reached
    assert glued["fy2002_target"] == "'¥43.88B'"
    assert glued["q4_needed"] == "'¥12.65B'"
    assert glued["q4_at_10_word"] == "'reached it'"
    # what does not depend on the target: 3Q01 = 10.6 / 1.063 = 9.97; 1H02 operating -659.2M
    assert glued["q3_01"] == "'¥9.97B'"
    assert glued["op_1h"] == repr("\u2212\u2060¥659.2M")  # the minus sign is joined to its figure

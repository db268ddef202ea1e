"""The equipment-sales chapter runs with a non-default equipment share and glues what it derives."""

from .conftest import run_chapter


def test_equipment_sales_runs_with_a_larger_equipment_share(tmp_path):
    glued = run_chapter("equipment_sales", tmp_path, {"equipment_share": 0.2})
    # by hand, with the default assumed margins 15% and 5%:
    # total at 20% equipment: 0.8 * 15% + 0.2 * 5% = 13.0%
    # other margin that gives 2Q02's 11.0%: (11.0 - 0.2 * 5) / 0.8 = 12.5%
    # the shares that give the reported margins do not depend on the assumed share: 9%, 59%, 40%
    assert glued["blend_text"] == "13.0%"
    assert glued["need_other_2q02"] == "12.5%"
    assert glued["need_share_2q01"] == "9%"
    assert glued["need_share_1q02"] == "59%"
    assert glued["shift_fall_points"] == "+50"

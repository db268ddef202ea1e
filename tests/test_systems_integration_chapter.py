"""The systems-integration chapter runs with a non-default SI share and glues what it derives."""

from .conftest import run_chapter


def test_systems_integration_runs_with_a_smaller_si_share(tmp_path):
    glued = run_chapter("systems_integration", tmp_path, {"si_share_3q02": 0.25})
    # by hand: 3Q02 at the midpoint 10.75; SI 10.75 * 0.25 = 2.6875, the rest 8.0625;
    # 4Q02 needed 16.6405 (revenues chapter); SI growth needed (16.6405 - 8.0625) / 2.6875 - 1 = 219%
    assert glued["q3_si"] == "¥2.69B"
    assert glued["q3_other"] == "¥8.06B"
    assert glued["q4_needed"] == "¥16.64B"
    assert glued["uplift_needed_text"] == "+219%"
    # SI doubling: 8.0625 + 2 * 2.6875 = 13.4375
    assert glued["q4_total"] == "¥13.44B"
    assert glued["share_lo_text"] == "15%" and glued["share_hi_text"] == "35%"

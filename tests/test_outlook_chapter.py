"""The outlook chapter runs with the February 2003 growth guidance and glues what it derives."""

from .conftest import run_chapter


def test_outlook_runs_with_the_revised_growth_target(tmp_path):
    glued = run_chapter("outlook", tmp_path, {"fy2002_growth_target": 0.10})
    # by hand: FY2001 = 44.0 / 1.103 = 39.8912; +10%: 43.8803;
    # 4Q02 needed = 43.8803 - 20.4789 - 10.75 = 12.6514, which the reported 13.0 reached
    assert glued["fy2002_target"] == "¥43.88B"
    assert glued["q4_needed"] == "¥12.65B"
    assert glued["q4_at_10_word"] == "reached it"
    # what does not depend on the target: 3Q01 = 10.6 / 1.063 = 9.97; 1H02 operating -659.2M
    assert glued["q3_01_text"] == "¥9.97B"
    assert glued["op_1h_text"] == "\u2212\u2060¥659.2M"  # the minus sign is joined to its figure

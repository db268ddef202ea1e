"""The revenues chapter derives the earlier quarters, the translation rates and what the target asks.

Its visible cells do the arithmetic; these tests check what they show and what the prose cites
against hand computation: at the defaults in the book build's executed copy, with other parameters
from a run in the module's kernel.
"""

from __future__ import annotations

import re

import pytest

from .conftest import cell_result, chapter_runs, executed_copy, glued_values

MINUS = "\u2212"

run = chapter_runs("revenues")


@pytest.fixture(scope="module")
def default_run(built_book):
    return executed_copy(built_book, "revenues")


def test_quarters_implied_by_the_growth_rates(default_run):
    glued = glued_values(default_run, unquote=True)
    # by hand, from the release's highlights:
    #   1Q02 = 10.6 / 1.073 = 9.8789; 2Q01 = 10.6 / 1.109 = 9.5582; 1H02 = 9.8789 + 10.6 = 20.4789;
    #   1H01 = 20.4789 / 1.143 = 17.9168; 1Q01 = 17.9168 - 9.5582 = 8.3586
    assert glued['fmt.yen(revenue["1Q02"], 2)'] == "¥9.88B"
    assert glued['fmt.yen(revenue["2Q01"], 2)'] == "¥9.56B"
    assert glued['fmt.yen(revenue["1H02"], 2)'] == "¥20.48B"
    assert glued['fmt.yen(revenue["1H01"], 2)'] == "¥17.92B"
    assert glued['fmt.yen(revenue["1Q01"], 2)'] == "¥8.36B"
    # 1Q02 bounds: 10.55 / 1.0735 = 9.8277; 10.65 / 1.0725 = 9.9301
    assert (glued['fmt.yen(allowed["1Q02"].lo, 2)'], glued['fmt.yen(allowed["1Q02"].hi, 2)']) == (
        "¥9.83B",
        "¥9.93B",
    )
    # 2Q01 bounds: 10.55 / 1.1095 = 9.5088; 10.65 / 1.1085 = 9.6076
    assert (glued['fmt.yen(allowed["2Q01"].lo, 2)'], glued['fmt.yen(allowed["2Q01"].hi, 2)']) == (
        "¥9.51B",
        "¥9.61B",
    )
    # 1Q01 bounds, differences widen the interval: (10.55/1.0735 + 10.55) / 1.1435 - 10.65/1.1085
    # = 17.8205 - 9.6076 = 8.2129; (10.65/1.0725 + 10.65) / 1.1425 - 10.55/1.1095 = 18.0132 - 9.5088 = 8.5044
    assert (glued['fmt.yen(allowed["1Q01"].lo, 2)'], glued['fmt.yen(allowed["1Q01"].hi, 2)']) == (
        "¥8.21B",
        "¥8.50B",
    )
    table = cell_result(default_run, "rev-d5")
    assert re.search(r"1Q01\s+8\.359\s+8\.213\s+8\.504", table), table


def test_translation_rates_and_their_common_range(default_run):
    # 10.6/86.8 = 122.12; 10.5/86.2 = 121.81; 11.0/90.4 = 121.68
    rates = cell_result(default_run, "rev-d1")
    for name, rate in (("2Q02 revenues", 122.12), ("low end", 121.81), ("high end", 121.68)):
        assert re.search(rf"{name}\s+{rate:.2f}\s", rates), rates
    # all three allow 10.55/86.85 = 121.474 to 11.05/90.35 = 122.302
    assert cell_result(default_run, "rev-d2") == "¥121.47–¥122.30"
    glued = glued_values(default_run, unquote=True)
    assert glued["fmt.yen_rate(release_rate)"] == "¥122.1"
    assert (
        glued['fmt.yen_rate(rates["3Q02 guidance, low end"])'],
        glued['fmt.yen_rate(rates["3Q02 guidance, high end"])'],
    ) == ("¥121.8", "¥121.7")
    assert (
        glued['fmt.yen_rate(common.lo) if common else "n/a"'],
        glued['fmt.yen_rate(common.hi) if common else "n/a"'],
    ) == ("¥121.5", "¥122.3")
    assert (
        glued["fmt.usd(rev.value / rate)"] == "$86.8M" and glued["fmt.usd(rev.value / 150)"] == "$70.7M"
    )  # 10.6 / 150 = 70.67


def test_what_the_target_asks_by_hand(default_run):
    glued = glued_values(default_run, unquote=True)
    # FY2001 as IIJ published it in May 2002: 39.9; +20%: 47.88; 2H02: 47.88 - 20.4789 = 27.4011;
    # 2H01: 39.9 - 17.9168 = 21.9832; 4Q02: 27.4011 - 10.75 = 16.6511
    assert glued['fmt.yen(needed["FY2002"], 2)'] == "¥47.88B"
    assert glued['fmt.yen(needed["2H02"], 2)'] == "¥27.40B"
    assert glued['fmt.yen(revenue["2H01"], 2)'] == "¥21.98B"
    assert glued['fmt.yen(needed["4Q02"], 2)'] == "¥16.65B"
    # 27.4011 / 21.9832 = 1.2465; 27.4011 / 20.4789 = 1.3380; 16.6511 / 10.75 = 1.5489
    assert (
        glued['fmt.pct(asks["2H02 on 2H01"], signed=True)'],
        glued['fmt.pct(asks["2H02 on 1H02"], signed=True)'],
        glued['fmt.pct(asks["4Q02 on 3Q02"], signed=True)'],
    ) == ("+24.6%", "+33.8%", "+54.9%")
    # the guidance on 2Q02: 10.5 / 10.6 = 0.9906; 10.75 / 10.6 = 1.0142; 11.0 / 10.6 = 1.0377
    assert (
        glued['fmt.pct(qoq_guided["low end"], signed=True)'],
        glued["fmt.pct(growth(q3, rev.value), signed=True)"],
        glued['fmt.pct(qoq_guided["high end"], signed=True)'],
    ) == (
        f"{MINUS}0.9%",
        "+1.4%",
        "+3.8%",
    )
    # the exercise at +15%: 39.9 * 1.15 - 20.4789 - 10.75 = 14.6561, 5% of FY2001 = 1.995 less
    assert (glued["fmt.yen(q4_at_15, 2)"], glued['fmt.yen(needed["4Q02"] - q4_at_15, 2)']) == (
        "¥14.66B",
        "¥2.00B",
    )


def test_revenues_with_every_parameter_set(run):
    parameters = {
        "jpy_per_usd": 150,
        "guidance_point": "low",
        "fy2001_revenue_jpy": 40e9,
        "fy2002_growth_target": 0.15,
    }
    glued = glued_values(run(parameters), unquote=True)
    # 10.6 / 150 = 70.67
    assert (glued["fmt.yen_rate(rate)"], glued["fmt.usd(rev.value / rate)"]) == ("¥150.0", "$70.7M")
    assert (
        glued['"the release\'s own rate" if jpy_per_usd is None else "the rate this page was run with"']
        == "the rate this page was run with"
    )
    assert (glued["fmt.yen(q3, 2)"], glued["fmt.pct(growth(q3, rev.value), signed=True)"]) == (
        "¥10.50B",
        f"{MINUS}0.9%",
    )
    # 40 * 1.15 = 46; 2H02 46 - 20.4789 = 25.5211; 4Q02 25.5211 - 10.5 = 15.0211; 2H01 40 - 17.9168 = 22.0832
    assert glued['fmt.yen(needed["FY2002"], 2)'] == "¥46.00B"
    assert glued['fmt.yen(needed["2H02"], 2)'] == "¥25.52B"
    assert glued['fmt.yen(needed["4Q02"], 2)'] == "¥15.02B"
    assert glued['fmt.yen(revenue["2H01"], 2)'] == "¥22.08B"
    # 25.5211 / 22.0832 = 1.1557; 25.5211 / 20.4789 = 1.2462; 15.0211 / 10.5 = 1.4306
    assert (
        glued['fmt.pct(asks["2H02 on 2H01"], signed=True)'],
        glued['fmt.pct(asks["2H02 on 1H02"], signed=True)'],
        glued['fmt.pct(asks["4Q02 on 3Q02"], signed=True)'],
    ) == ("+15.6%", "+24.6%", "+43.1%")
    # the exercise's +15% is the run's own target: nothing left to gain
    assert glued["fmt.yen(q4_at_15, 2)"] == glued['fmt.yen(needed["4Q02"], 2)']


def test_the_guidance_pins_the_rate_if_its_yen_are_exact(default_run):
    """By hand: ¥10.5B over $86.15M to $86.25M is 121.739 to 121.880; ¥11.0B over $90.35M to
    $90.45M is 121.614 to 121.749; both hold from 121.739 to 121.749 (mid 121.744). The default
    122.120 is 0.31% above it, and ¥10.6B at 121.744 is $87.07M."""
    glued = glued_values(default_run, unquote=True)
    assert cell_result(default_run, "rev-d2b") == "¥121.74–¥121.75"
    assert (
        glued['fmt.yen_rate(pinned.lo, 2) if pinned else "n/a"'],
        glued['fmt.yen_rate(pinned.hi, 2) if pinned else "n/a"'],
    ) == ("¥121.74", "¥121.75")
    assert (
        glued['fmt.pct(release_rate / pinned.mid - 1) if pinned else "n/a"'],
        glued['fmt.usd(rev.value / pinned.mid) if pinned else "n/a"'],
    ) == ("0.3%", "$87.1M")
    assert glued["fmt.yen_rate(release_rate)"] == "¥122.1"  # the default stays the quarter's own translation


def test_the_highest_quarter_before_2q02(default_run):
    # "second highest" leaves exactly one quarter above 2Q02. The later reports give 4Q01 = 13.0 / 1.077 =
    # 12.0706B (12.95 / 1.0775 = 12.0186B to 13.05 / 1.0765 = 12.1226B), above 10.65B whatever the
    # rounding; 3Q01 = 10.6 / 1.063 = 9.9718B is not, nor are 1Q01 (8.36B), 2Q01 (9.56B) or 1Q02 (9.88B)
    g = glued_values(default_run, unquote=True)
    assert (
        g['highest or "not one quarter"'],
        g['fmt.yen(known[highest][0], 2) if highest else "n/a"'],
        g['fmt.yen(known[highest][1].lo, 2) if highest else "n/a"'],
        g['fmt.yen(known[highest][1].hi, 2) if highest else "n/a"'],
    ) == (
        "4Q01",
        "¥12.07B",
        "¥12.02B",
        "¥12.12B",
    )
    assert (g["len(above_2q02)"], g["len(known)"], g['fmt.yen(earlier["3Q01"][0], 2)']) == (
        "1",
        "5",
        "¥9.97B",
    )

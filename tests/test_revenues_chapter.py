"""The revenues chapter derives the earlier quarters, the translation rates and what the target asks.

Its visible cells do the arithmetic; these tests check what they show and what the prose cites
against hand computation: at the defaults in the book build's executed copy, with other parameters
from a run in the module's kernel.
"""

from __future__ import annotations

import re

import nbformat
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
    assert glued['yen3(revenue["1H02"])'] == "¥20.5B"  # three significant figures in prose
    assert glued['yen3(revenue["1H01"])'] == "¥17.9B"
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
    # 2H01: 39.9 - 17.9168 = 21.9832; 4Q02: 27.4011 - 10.75 = 16.6511 (prose: three significant figures)
    assert glued["yen3(fy2001)"] == "¥39.9B"  # not ¥39.90B
    assert glued['yen3(needed["FY2002"])'] == "¥47.9B"
    assert glued['yen3(needed["2H02"])'] == "¥27.4B"
    assert glued['yen3(revenue["2H01"])'] == "¥22.0B"
    assert glued['yen3(needed["4Q02"])'] == "¥16.7B"
    # its interval: FY2001 39.85 to 39.95, x 1.2 = 47.82 to 47.94; 1H02 = 10.55/1.0735 + 10.55 = 20.3777 to
    # 10.65/1.0725 + 10.65 = 20.5801; 4Q02 = 47.82 - 20.5801 - 10.75 = 16.4899
    # to 47.94 - 20.3777 - 10.75 = 16.8123
    assert (glued['yen3(needed_i["4Q02"].lo)'], glued['yen3(needed_i["4Q02"].hi)']) == ("¥16.5B", "¥16.8B")
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
    assert (glued["yen3(q4_at_15)"], glued['fmt.yen(needed["4Q02"] - q4_at_15, 2)']) == (
        "¥14.7B",
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
    assert glued['yen3(needed["FY2002"])'] == "¥46.0B"
    assert glued['yen3(needed["2H02"])'] == "¥25.5B"
    assert glued['yen3(needed["4Q02"])'] == "¥15.0B"
    assert glued['yen3(revenue["2H01"])'] == "¥22.1B"
    # a FY2001 set as a parameter is exact: only 1H02 widens 4Q02, 46 - 20.5801 - 10.5 = 14.9199 to
    # 46 - 20.3777 - 10.5 = 15.1223
    assert (glued['yen3(needed_i["4Q02"].lo)'], glued['yen3(needed_i["4Q02"].hi)']) == ("¥14.9B", "¥15.1B")
    # 25.5211 / 22.0832 = 1.1557; 25.5211 / 20.4789 = 1.2462; 15.0211 / 10.5 = 1.4306
    assert (
        glued['fmt.pct(asks["2H02 on 2H01"], signed=True)'],
        glued['fmt.pct(asks["2H02 on 1H02"], signed=True)'],
        glued['fmt.pct(asks["4Q02 on 3Q02"], signed=True)'],
    ) == ("+15.6%", "+24.6%", "+43.1%")
    # the exercise's +15% is the run's own target: nothing left to gain
    assert glued["yen3(q4_at_15)"] == glued['yen3(needed["4Q02"])']


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


def test_the_highest_quarter_as_november_2002_could_bound_it(default_run):
    """By hand, from what was public in November 2002 (the quarter of record):
    2H01 = FY2001 - 1H01 = 39.9 - 17.9168 = 21.9832, from 39.85 - 18.0132 = 21.8368 to
    39.95 - 17.8204 = 22.1296 (1H01 = 1H02 / 1.143, its ends (10.55/1.0735 + 10.55) / 1.1435 and
    (10.65/1.0725 + 10.65) / 1.1425); two quarters of 2Q02 are at most 2 x 10.65 = 21.3 < 21.8368, so one
    of 3Q01 and 4Q01 beat 2Q02. "Second highest" leaves the other at most 2Q02, so the record quarter
    took at least 2H01 - 2Q02 = 21.9832 - 10.6 = 11.3832, from 21.8368 - 10.65 = 11.1868 to
    22.1296 - 10.55 = 11.5796."""
    g = glued_values(default_run, unquote=True)
    assert (g["yen3(h2_01)"], g["yen3(h2_01_i.lo)"], g["yen3(h2_01_i.hi)"]) == ("¥22.0B", "¥21.8B", "¥22.1B")
    assert g["yen3(two_2q02.hi)"] == "¥21.3B"
    assert (g["yen3(top)"], g["yen3(top_i.lo)"], g["yen3(top_i.hi)"]) == ("¥11.4B", "¥11.2B", "¥11.6B")
    shown = cell_result(default_run, "rev-d10n")
    assert re.search(r"one of 3Q01, 4Q01 above 2Q02\s+True", shown), shown
    assert re.search(r"1Q01, 2Q01, 1Q02 below 2Q02\s+True", shown), shown


def test_the_highest_quarter_in_hindsight(default_run):
    # Hindsight (2003 reports, through the record): 3Q01 = 3Q02 / (1 + 6.3%) = 10.6 / 1.063 = 9.9718,
    # from 10.55 / 1.0635 = 9.9201 to 10.65 / 1.0625 = 10.0235, below 2Q02; 4Q01 = 2H01 - 3Q01 =
    # 21.9832 - 9.9718 = 12.0114, from 21.8368 - 10.0235 = 11.8133 to 22.1296 - 9.9201 = 12.2095,
    # above 10.65 whatever the rounding and above the 11.1868 the November argument required;
    # 1Q01 (8.36B), 2Q01 (9.56B) and 1Q02 (9.88B) are not
    g = glued_values(default_run, unquote=True)
    assert (
        g['highest or "not one quarter"'],
        g['yen3(known[highest][0]) if highest else "n/a"'],
        g['yen3(known[highest][1].lo) if highest else "n/a"'],
        g['yen3(known[highest][1].hi) if highest else "n/a"'],
    ) == ("4Q01", "¥12.0B", "¥11.8B", "¥12.2B")
    assert (g["len(above_2q02)"], g["len(known)"], g['yen3(earlier["3Q01"][0])']) == ("1", "5", "¥9.97B")
    assert (g['yen3(earlier["3Q01"][1].lo)'], g['yen3(earlier["3Q01"][1].hi)']) == ("¥9.92B", "¥10.0B")
    nb = nbformat.read(default_run, 4)
    for cid in ("rev-d10", "rev-10"):  # the cells that take 2003 figures are marked as hindsight
        cell = next(c for c in nb.cells if c.get("id") == cid)
        assert "hindsight" in cell.metadata["tags"] and cell.source.startswith("# Hindsight:"), cid


def test_gross_profit_fell_a_year_on(default_run):
    """A good quarter for revenues, not for gross profit, on the margin ratio's reading (the record):
    2Q01 = 14.1% x 9.5582 = 1.3477B, from 0.1405 x 9.5088 = 1.3360 to 0.1415 x 9.6076 = 1.3595;
    2Q02 = 11.0% x 10.6 = 1.166B, from 0.1095 x 10.55 = 1.1552 to 0.1105 x 10.65 = 1.1768;
    1.166 / 1.3477 - 1 = -13.48%, from 1.1552 / 1.3595 - 1 = -15.02% to 1.1768 / 1.3360 - 1 = -11.91%."""
    g = glued_values(default_run, unquote=True)
    assert (g["fmt.yen(gp_2q01, 2)"], g["fmt.yen(gp_2q02, 2)"]) == ("¥1.35B", "¥1.17B")
    assert (
        g["fmt.pct(gp_yoy, signed=True)"],
        g["fmt.pct(gp_yoy_i.lo, signed=True)"],
        g["fmt.pct(gp_yoy_i.hi, signed=True)"],
    ) == (f"{MINUS}13.5%", f"{MINUS}15.0%", f"{MINUS}11.9%")
    prose = "\n".join(c.source for c in nbformat.read(default_run, 4).cells if c.cell_type == "markdown")
    assert "a good quarter" not in prose and "so the release used a single rate" not in prose


def test_the_quarterly_chart_has_a_slot_for_every_quarter(default_run):
    """1Q01 to 3Q02, seven slots; 3Q01 and 4Q01 drawn as hindsight (the legend says so), 3Q01 = 10.6 / 1.063
    = 9.97 and 4Q01 = 21.9832 - 9.9718 = 12.01, under a bracket over both slots with what November 2002
    knew: their sum, 2H01 = 39.9 - 17.9168 = 21.98, ¥22.0B."""
    cell = next(c for c in nbformat.read(default_run, 4).cells if c.get("id") == "rev-10")
    spec = next(
        o["data"]["application/vnd.vegalite.v6+json"]
        for o in cell.outputs
        if o.output_type == "execute_result"
    )
    data = [r for rows in spec["datasets"].values() for r in rows]
    bars = {r["quarter"]: r for r in data if "role" in r}
    assert list(bars) == ["1Q01", "2Q01", "3Q01", "4Q01", "1Q02", "2Q02", "3Q02"]
    assert {q: bars[q]["role"] for q in ("3Q01", "4Q01")} == {"3Q01": "hindsight", "4Q01": "hindsight"}
    assert round(bars["4Q01"]["value"], 2) == 12.01 and round(bars["3Q01"]["value"], 2) == 9.97
    assert [r["quarter"] for r in data if "i" in r] == ["3Q01", "3Q01", "4Q01", "4Q01"]  # the bracket
    assert "3Q01 + 4Q01 = ¥22.0B" in [r.get("text") for r in data]

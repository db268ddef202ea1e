"""The profitability chapter's own derivations, checked against hand computation.

Gross profit, operating expenses and what the second half needs are computed in the chapter's
visible cells; the figures other chapters reuse come from :mod:`iijbook.profitability`, and the
chapter's step-by-step derivation of them must agree with it. At the defaults the tests read the
book build's executed copy; other parameters run in one kernel for the module.
"""

from __future__ import annotations

import re

import pytest
from iijbook import fmt
from iijbook import profitability as pr

from .conftest import cell_result, chapter_runs, executed_copy, glued_values

run = chapter_runs("profitability")

#: Two phrases the prose chooses by the figures, as it cites them.
VERDICT = (
    '"enough: FY2002 operating income would be positive" if fy_oi > 0 '
    'else "not enough: FY2002 would still make an operating loss"'
)
OPEX_SOURCE = (
    '"the 2Q02 level the release implies" if h2_opex_per_quarter_jpy is None '
    'else "set as a parameter of this page"'
)


@pytest.fixture(scope="module")
def executed(built_book):
    """The chapter as the book runs it, at the defaults."""
    return executed_copy(built_book, "profitability")


@pytest.fixture(scope="module")
def default_run(executed) -> dict[str, str]:
    """What the page's prose cites, by expression, from the book build's executed copy."""
    return glued_values(executed, unquote=True)


def test_gross_profit_by_hand(default_run, executed):
    # Revenues from the release (revenues chapter): 2Q01 = 10.6 / 1.109 = 9.5582B,
    # 1Q02 = 10.6 / 1.073 = 9.8789B. Gross profit:
    #   2Q01 = 9.5582 × 0.141 = 1.34771B
    #   1Q02 = 9.8789 × 0.091 = 0.89898B
    #   2Q02 = 10.6   × 0.110 = 1.16600B
    g = default_run
    table = cell_result(executed, "profitability-d1")
    assert "¥1,348M" in table and "¥899M" in table and g['millions(gp["2Q02"].value)'] == "¥1,166M"
    # 2Q02 bounds: 10.55 × 0.1095 = 1.155225B; 10.65 × 0.1105 = 1.176825B
    assert (g['millions(gp["2Q02"].interval.lo)'], g['millions(gp["2Q02"].interval.hi)']) == (
        "¥1,155M",
        "¥1,177M",
    )
    # QoQ: 1,166 / 898.98 − 1 = +29.7%; YoY: 1,166 / 1,347.71 − 1 = −13.5%, 1,166 − 1,347.71 = −181.7M
    assert g["pct(gp_growth_qoq, signed=True)"] == "+29.7%"
    assert cell_result(executed, "profitability-d2") == "(+29.7%, \u221213.5%, \u2212\u2060¥182M)"


def test_operating_expenses_by_hand(default_run):
    # 1Q02: 898.98 + 465.228 = 1,364.21M; 2Q02: 1,166 + 194 = 1,360M; change −4.21M
    assert default_run['millions(opex["1Q02"].value)'] == "¥1,364M"
    assert default_run['millions(opex["2Q02"].value)'] == "¥1,360M"
    assert default_run["millions(opex_change_value)"] == "\u2212\u2060¥4M"
    # 2Q02 bounds: 1,155.225 + 193.5 = 1,348.7M; 1,176.825 + 194.5 = 1,371.3M
    assert (
        default_run['millions(opex["2Q02"].interval.lo)'],
        default_run['millions(opex["2Q02"].interval.hi)'],
    ) == ("¥1,349M", "¥1,371M")


def test_second_half_profit_by_hand(default_run):
    # Test 3, the page's scenario. 2H02 revenues a +20% year needs: 1.2 × 39.9 − 20.4788 = 27.4012B. With no
    # margin parameter the whole half keeps 2Q02's 11.0% (an assumption about no segment)
    g = default_run
    assert g["millions(opex_q)"] == "¥1,360M"  # the 2Q02 level
    assert g["millions(h2_gp)"] == "¥3,014M"  # 27.4012 × 0.11 = 3,014.13M
    assert g["pct(h2_margin)"] == "11.0%"
    assert g["millions(h2_oi)"] == "¥294M"  # 3,014.13 − 2 × 1,360 = 294.13M
    assert g["millions(needed_value)"] == "¥659M"  # −1H02 = 659.228M
    assert g["millions(fy_oi)"] == "\u2212\u2060¥365M"  # −659.228 + 294.13 = −365.10M
    assert g["pct(breakeven_margin)"] == "12.3%"  # (659.228 + 2,720) / 27,401.2 = 12.332%
    assert g["breakeven_words"] == "revenues of ¥30.7B at 11.0%"  # 3,379.228 / 0.11 = 30.720B
    assert g["millions(opex_allowed)"] == "¥1,177M"  # (3,014.13 − 659.228) / 2 = 1,177.45M
    assert g['"short of" if h2_oi <= needed_value else "more than"'] == "short of" and g[VERDICT].startswith(
        "not enough"
    )
    # the flat half keeps 2Q02's margin: 21.5 × 0.11 − 2,720 = −355M
    assert (g["pct(flat_margin)"], g["millions(flat_oi)"]) == ("11.0%", "\u2212\u2060¥355M")
    # the margin's assumption says it is one, and names no other chapter's segment margin as evidence
    assert "assumption" in g["h2_gm_how"] and "Equipment" not in g["h2_gm_how"]


def test_the_margin_the_extra_revenue_would_need_by_hand(default_run):
    # Test 1, assuming only that operating costs stay at 1H02's (1,364.203 + 1,360 = 2,724.203M):
    # FY2002 = 39.9 × 1.2 = 47.88B; 2H02 = 47.88 − 20.4788 = 27.4012B;
    # beyond 1H02: 47.88 − 2 × 20.4788 = 6.9223B
    # 2H02 gross profit ≥ 2,724.203 + 659.228 = 3,383.43M: 3,383.43 / 27,401.2 = 12.348% over the half
    # beyond 1H02's 2,064.98M: 3,383.43 − 2,064.98 = 1,318.46M = 2 × 659.228; 1,318.46 / 6,922.3 = 19.046%
    g = default_run
    assert (g["yen(h2_need)"], g["yen(extra_need, 2)"], g["yen(costs_1h, 2)"]) == (
        "¥27.4B",
        "¥6.92B",
        "¥2.72B",
    )
    assert (g["yen(gp_need, 2)"], g["yen(gp_1h, 2)"], g["yen(extra_gp, 2)"]) == ("¥3.38B", "¥2.06B", "¥1.32B")
    # over the half: 3,358.58 / 27,562.3 = 12.185% to 3,408.40 / 27,239.9 = 12.513%
    assert (g["pct(ratio_need)"], g["pct(ratio_need_iv.lo)"], g["pct(ratio_need_iv.hi)"]) == (
        "12.3%",
        "12.2%",
        "12.5%",
    )
    # the extra: FY2001 39.85 to 39.95B and 1H02 20.3777 to 20.5801B give 47.82 − 41.1601 = 6.6599B to
    # 47.94 − 40.7553 = 7.1847B; 2 × 1H02 loss 1,313.95 to 1,322.97M: 1,313.95 / 7,184.7 = 18.29%,
    # 1,322.97 / 6,659.9 = 19.86%
    assert g["extra_words"] == "19.0% (18.3% to 19.9%)"
    assert (g["pct(printed_ratios[0])"], g["pct(printed_ratios[-1])"]) == ("9.1%", "14.1%")


def test_fy2001s_halves_by_hand(default_run):
    # Test 2, revenues (knowable in Nov 2002): 1H01 = 20.4788 / 1.143 = 17.9167B;
    # 2H01 = 39.9 − 17.9167 = 21.9833B; 21.9833 / 17.9167 = 1.2270; the target needs
    # 27.4012 / 20.4788 = 1.3380; repeated, the year grows as 1H02
    # did: 20.4788 × 2.2270 / 39.9 − 1 = 14.30%
    g = default_run
    assert (g['f"{pattern:.2f}"'], g['f"{pattern_needed:.2f}"']) == ("1.23", "1.34")
    assert (g["yen(r_1h01)"], g["yen(r_2h01)"]) == ("¥17.9B", "¥22.0B")
    assert g["pct(pattern_growth, signed=True)"] == "+14.3%"
    # hindsight (2003 reports): 1H01 = FY2001 54 − 2H01 (151 + 186 = 337) = −283M; swing 337 + 283 = 620M;
    # 2H02 = −659.228 + 620 = −39.2M; the year −659.228 − 39.228 = −698.5M
    assert (g["millions(abs(oi_1h01))"], g["millions(oi_2h01)"], g["millions(swing)"]) == (
        "¥283M",
        "¥337M",
        "¥620M",
    )
    assert g["millions(pattern_h2_oi)"] == "\u2212\u2060¥39M"
    assert g["millions(pattern_fy_oi)"] == "\u2212\u2060¥698M"
    # year −2 × 1H02 − swing: −2 × 661.487 + 617.5 = −705.5M to −2 × 656.973 + 622.5 = −691.4M
    assert (g["millions(pattern_fy_oi_iv.lo)"], g["millions(pattern_fy_oi_iv.hi)"]) == (
        "\u2212\u2060¥705M",
        "\u2212\u2060¥691M",
    )
    assert g["Text(known_halves)"] == "2003-05-21"


def test_bridges_add_up_by_hand(default_run, executed):
    # QoQ gross profit: 1Q02 = 9.8788 × 9.1% = 898.97M, 2Q02 = 1,166M;
    # volume (10.6 − 9.8788) × 0.091 = 65.63M,
    # margin (0.110 − 0.091) × 10.6B = 201.4M; 65.63 + 201.4 = 267.03M = 1,166 − 898.97
    # operating income: −465.23 → −194 = +271.23M; cost −(1,360 − 1,364.20) = +4.20M; 267.03 + 4.20 = 271.23
    g = default_run
    assert (g['millions(bq["volume"])'], g['millions(bq["margin"])']) == ("¥66M", "¥201M")
    assert (g['millions(bo["end"] - bo["start"])'], g['millions(bo["cost"])']) == ("¥271M", "¥4M")
    assert g['pct(bq["margin"] / (bo["end"] - bo["start"]), 0)'] == "74%"  # 201.4 / 271.23
    # YoY gross profit: 2Q01 = 9.55816 × 14.1% = 1,347.70M; volume 1.04184 × 0.141 = 146.90M;
    # margin −0.031 × 10.6B = −328.6M; 146.90 − 328.6 = −181.7M (1,166 / 1,347.70 − 1 = −13.5%)
    assert (g['millions(by["volume"])'], g['millions(abs(by["margin"]))']) == ("¥147M", "¥329M")
    assert g['millions(abs(by["end"] - by["start"]))'] == "¥182M"
    assert g['pct(growth(by["end"], by["start"]), signed=True)'] == "\u221213.5%"
    assert "not printed" in g["Text(why_no_yoy)"]  # 2Q01 operating income is unknown in the record
    table = cell_result(executed, "profitability-br-d1")
    assert "¥66M" in table and "¥201M" in table and "¥4M" in table


def test_the_sensitivity_grid_computes_in_the_browser(executed):
    import json

    import nbformat

    cell = next(c for c in nbformat.read(executed, as_version=4).cells if c.get("id") == "profitability-grid")
    spec = next(
        value
        for o in cell.outputs
        for mime, value in o.get("data", {}).items()
        if mime.startswith("application/vnd.vegalite")
    )
    text = json.dumps(spec)
    names = {p["name"]: p for p in spec.get("params", [])}
    # two sliders: costs a quarter from the 2Q02 level (1,360M), data centres' start-up from zero
    assert names["q_costs"]["bind"]["input"] == "range" and names["q_costs"]["value"] == 1360
    assert names["dc_startup"]["bind"]["input"] == "range" and names["dc_startup"]["value"] == 0
    assert names["dc_startup"]["bind"]["min"] == 0
    # FY2002 = 1H02 (−659.228M) + gross profit − 2 × costs − start-up, computed by Vega, not by Python
    assert "-659.228 + datum.gp - 2 * q_costs - dc_startup" in text
    assert spec.get("title") and spec.get("description")
    # the ratios the release prints (9.1%, 11.0%, 14.1%) drawn against the grid
    assert all(m in text for m in ("9.1", "11.0", "14.1"))


def test_hindsight_sits_in_its_blocks():
    import nbformat

    from .conftest import ROOT

    nb = nbformat.read(ROOT / "chapters" / "profitability.ipynb", as_version=4)
    later = ("later_figure", "later_fy", "later_h2", "net_2q02", "equity_cw", "oi_1h01", "swing", "later_gm")
    for c in nb.cells:
        if c.cell_type == "code" and any(
            name in c.source for name in ("later_figure(", "net_2q02 =", "oi_1h01,")
        ):
            assert "hindsight" in c.metadata.get("tags", []) and c.source.startswith("# Hindsight:"), c.id
        if c.cell_type == "markdown":
            outside = re.sub(r"```\{admonition\} Hindsight.*?```", "", c.source, flags=re.S)
            used = [name for name in later if name in outside]
            assert not used, (c.id, used)
    # the 2H02 operating figure, only the record's
    assert 'later_figure("operating_income", "3Q02")' not in json_text(nb)


def json_text(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


def test_the_mix_assumption_is_a_parameter_not_a_default(run):
    # h2_extra_margin = 0.05 on the 27.4012 − 21.5 = 5.9012B beyond a flat half:
    # 21.5 × 0.11 + 5.9012 × 0.05 = 2,365 + 295.06 = 2,660.06M; 2,660.06 / 27,401.2 = 9.708%;
    # less 2,720: −59.94M
    g = glued_values(run({"h2_extra_margin": 0.05}), unquote=True)
    assert (g["pct(h2_margin)"], g["millions(h2_oi)"]) == ("9.7%", "\u2212\u2060¥60M")
    assert "h2_extra_margin, assumed" in g["h2_gm_how"]
    # a flat year: 39.9 − 2 × 20.4788 = −1.06B beyond 1H02, so no ratio on extra revenues exists
    g = glued_values(run({"fy2002_growth_target": 0.0}), unquote=True)
    assert g["extra_words"].startswith("no finite ratio") and g["extra_short"] == "no finite ratio"


def test_the_later_results_imply_a_lower_second_half_margin(default_run):
    # hindsight, with operating expenses held at 2Q02's 1,360M: gross margin = (operating income + 1,360) /
    # revenues. 3Q02: (−567 + 1,360) / 10,600 = 7.481%; 4Q02: (−446 + 1,360) / 13,000 = 7.031%;
    # the half: (−1,013 + 2,720) / 23,600 = 7.233%, below the 11.0% of the page's scenario.
    # 3Q02 revenues 10.6B on
    # 2Q02's 10.6B: flat on the quarter; 2H02 is the record's 3Q02 + 4Q02 = −567 − 446 = −1,013M
    g = default_run
    assert (g['pct(later_gm["3Q02"])'], g['pct(later_gm["4Q02"])'], g["pct(later_h2_gm)"]) == (
        "7.5%",
        "7.0%",
        "7.2%",
    )
    assert g['"below" if later_h2_gm < h2_margin else "above"'] == "below"
    assert g['"flat" if abs(later_3q_qoq) < 0.0005 else pct(later_3q_qoq, signed=True)'] == "flat"
    # a loss is said as a loss, without a minus sign as well
    assert (g["yen(abs(later_fy))"], g["millions(abs(later_h2))"]) == ("¥1.7B", "¥1,013M")
    assert (
        g['"fell" if gp_change_yoy < 0 else "rose"'],
        g["pct(abs(gp_growth_yoy))"],
        g["millions(abs(gp_change_yoy))"],
        g['"below" if by["end"] < by["start"] else "above"'],
    ) == (
        "fell",
        "13.5%",
        "¥182M",
        "below",
    )


def test_the_chapter_agrees_with_what_other_chapters_reuse(default_run, executed):
    # the chapter derives these step by step; iijbook.profitability gives them to the CAPEX chapter
    oi, h1, ebitda, da = (
        pr.operating_income_history(),
        pr.first_half_operating_income(),
        pr.ebitda_history(),
        pr.depreciation_history(),
    )
    assert default_run['millions(oi["1Q02"].value)'] == fmt.millions(oi[0].value) == "\u2212\u2060¥465M"
    assert cell_result(executed, "profitability-d4").startswith(fmt.millions(h1.value) + " (")
    assert default_run['millions(ebitda["1Q02"].value)'] == fmt.millions(ebitda[0].value) == "¥331M"
    assert default_run['millions(ebitda["1Q02"].interval.lo)'] == fmt.millions(ebitda[0].interval.lo)
    assert default_run['millions(da["1Q02"].value)'] == fmt.millions(da[0].value) == "¥796M"
    assert (
        default_run['millions(da["2Q02"].interval.lo)'],
        default_run['millions(da["2Q02"].interval.hi)'],
    ) == ("¥855M", "¥857M")
    # margins: operating 1Q02 = −465.228 / 9,878.84 = −4.709%; EBITDA 2Q02 = 662 / 10,600 = 6.245%
    assert default_run['pct(margins["1Q02 operating margin"].value)'] == "\u22124.7%"
    assert default_run['pct(margins["2Q02 EBITDA margin"].value)'] == "6.2%"
    # "doubled" read as 1.8 and 2.2 times: 662 / 1.8 + 465.228 = 833.0M; 662 / 2.2 + 465.228 = 766.1M
    assert (default_run["millions(da_alt[1.8])"], default_run["millions(da_alt[2.2])"]) == ("¥833M", "¥766M")
    assert default_run["millions(ebitda_18)"] == "¥368M"  # 662 / 1.8 = 367.78M


def test_profitability_runs_with_the_2q01_margin(run):
    out = run({"h2_gross_margin": 0.141})
    glued = glued_values(out, unquote=True)
    # By hand: 2H02 revenues for +20% = 1.2 × 39.9 − 20.4788 = 27.4012B;
    # × 0.141 = 3,863.56M gross profit; less 2 × 1,360M = 1,143.56M operating income;
    # FY2002 = 1,143.56 − 659.23 = 484.33M.
    assert glued["pct(h2_margin)"] == "14.1%"  # set for the whole half, the mix no longer lowers it
    assert glued["millions(h2_oi)"] == "¥1,144M"
    assert glued["millions(fy_oi)"] == "¥484M"
    assert glued['"short of" if h2_oi <= needed_value else "more than"'] == "more than"
    assert glued[VERDICT].startswith("enough")
    # figures from the release do not move with the assumption
    assert glued['millions(da["2Q02"].value)'] == "¥856M"
    assert glued["millions(needed_value)"] == "¥659M"


def test_profitability_with_given_costs_and_no_margin(run):
    out = run({"h2_gross_margin": 0.0, "h2_opex_per_quarter_jpy": 1e9})
    g = glued_values(out, unquote=True)
    # 27.4012B × 0 = 0 gross profit, less 2 × 1,000M: −2,000M; FY2002 = −659.228 − 2,000 = −2,659.2M
    assert (g["millions(opex_q)"], g["millions(2 * opex_q)"]) == ("¥1,000M", "¥2,000M")
    assert g[OPEX_SOURCE] == "set as a parameter of this page"
    assert g["millions(h2_oi)"] == "\u2212\u2060¥2,000M"
    assert g["millions(fy_oi)"] == "\u2212\u2060¥2,659M"
    # break-even margin: (659.228 + 2,000) / 27,401.2 = 9.70%; no revenue is enough at a 0% margin
    assert g["pct(breakeven_margin)"] == "9.7%"
    assert g["breakeven_words"] == "revenues, though at 0.0% no amount of them is enough"
    assert g["millions(opex_allowed)"] == "\u2212\u2060¥330M"  # (0 − 659.228) / 2


def test_the_net_loss_below_operating_income_and_crosswave(default_run):
    """By hand, what was public in May 2002: 0.379 × 13.4B = 5,078.6M; 37.9% of ¥13.4B within rounding:
    0.3785 × 13.35 = 5,053M to 0.3795 × 13.45 = 5,104M; of IIJ's reported 7.5B (7.45 to 7.55):
    5,078.6 / 7,500 = 67.7%, 5,052.98 / 7,550 = 66.9% to 5,104.28 / 7,450 = 68.5%.
    Hindsight: 2,326 / 194 = 11.99; 2,326 − 194 = 2,132; restated 5,421.255 / 7,446 = 72.8%."""
    g = default_run
    assert (g["millions(abs(cw_share_value))"], g["yen(abs(net_fy2001_may))"]) == ("¥5,079M", "¥7.5B")
    assert (g["millions(abs(cw_share.hi))"], g["millions(abs(cw_share.lo))"]) == ("¥5,053M", "¥5,104M")
    assert (g["pct(cw_part, 0)"], g["pct(cw_part_iv.lo, 0)"], g["pct(cw_part_iv.hi, 0)"]) == (
        "68%",
        "67%",
        "69%",
    )
    assert (
        g['pct(ctx["crosswave_stake_2002_05"])'] == "37.9%"
        and g['yen(abs(ctx["net_income_fy2000"]))'] == "¥4.6B"
    )
    # hindsight
    assert g["millions(abs(net_2q02))"] == "¥2,326M" and g["millions(abs(op_2q02))"] == "¥194M"
    assert g['f"{net_2q02 / op_2q02:.0f}"'] == "12"
    assert g["millions(abs(below))"] == "¥2,132M"
    assert g["millions(abs(equity_cw))"] == "¥5,421M" and g["millions(abs(net_fy2001))"] == "¥7,446M"
    assert g["pct(equity_cw / net_fy2001, 0)"] == "73%"

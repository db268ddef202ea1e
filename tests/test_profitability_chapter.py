"""The profitability chapter's own derivations, checked against hand computation.

Gross profit, operating expenses and what the second half needs are computed in the chapter's
visible cells; the figures other chapters reuse come from :mod:`iijbook.profitability`, and the
chapter's step-by-step derivation of them must agree with it. At the defaults the tests read the
book build's executed copy; other parameters run in one kernel for the module.
"""

from __future__ import annotations

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
    # 2H02 revenues a +20% year needs: 1.2 × 39.9 − 20.4788 = 27.4012B. A flat half (4Q02 = 3Q02 at the
    # guidance mid, ¥10.75B) is 21.5B at the 2Q02 margin of 11.0%; the 5.9012B more the target needs
    # comes mostly from SI and equipment, at the Equipment sales chapter's assumed 5.0%
    g = default_run
    assert g["millions(opex_q)"] == "¥1,360M"  # the 2Q02 level
    assert g["millions(h2_gp)"] == "¥2,660M"  # 21.5 × 0.11 + 5.9012 × 0.05 = 2,365 + 295.06 = 2,660.06M
    assert g["pct(h2_margin)"] == "9.7%"  # 2,660.06 / 27,401.2 = 9.708%
    assert g["millions(h2_oi)"] == "\u2212\u2060¥60M"  # 2,660.06 − 2 × 1,360 = −59.94M
    assert g["millions(needed_value)"] == "¥659M"  # −1H02 = 659.228M
    assert g["millions(fy_oi)"] == "\u2212\u2060¥719M"  # −659.228 − 59.94 = −719.17M
    assert g["pct(breakeven_margin)"] == "12.3%"  # (659.228 + 2,720) / 27,401.2 = 12.332%
    assert g["breakeven_words"] == "revenues of ¥34.81B at 9.7%"  # 3,379.228 / 0.0970782 = 34.8094B
    assert g["millions(opex_allowed)"] == "¥1,000M"  # (2,660.06 − 659.228) / 2 = 1,000.42M
    assert g['"short of" if h2_oi <= needed_value else "more than"'] == "short of" and g[VERDICT].startswith(
        "not enough"
    )
    # the flat half keeps 2Q02's margin: 21.5 × 0.11 − 2,720 = −355M
    assert (g["pct(flat_margin)"], g["millions(flat_oi)"]) == ("11.0%", "\u2212\u2060¥355M")


def test_the_later_results_imply_a_lower_second_half_margin(default_run):
    # hindsight, with operating expenses held at 2Q02's 1,360M: gross margin = (operating income + 1,360) /
    # revenues. 3Q02: (−567 + 1,360) / 10,600 = 7.481%; 4Q02: (−446 + 1,360) / 13,000 = 7.031%;
    # the half: (−1,013 + 2,720) / 23,600 = 7.233%, below the 9.7% the page assumes for the target's mix
    g = default_run
    assert (g['pct(later_gm["3Q02"])'], g['pct(later_gm["4Q02"])'], g["pct(later_h2_gm)"]) == (
        "7.5%",
        "7.0%",
        "7.2%",
    )
    assert g['"below" if later_h2_gm < h2_margin else "above"'] == "below"
    # a loss is said as a loss, without a minus sign as well
    assert (g["yen(abs(later_fy))"], g["millions(abs(later_h2))"]) == ("¥1.7B", "¥1,013M")
    assert (
        g['"fell" if gp_change_yoy < 0 else "rose"'],
        g["pct(abs(gp_growth_yoy))"],
        g["millions(abs(gp_change_yoy))"],
        g['"below" if gp_change_yoy < 0 else "above"'],
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
    """By hand: 2,326 / 194 = 11.99; 2,326 − 194 = 2,132; 5,421.255 / 7,446 = 72.8%;
    37.9% of ¥13.4B within rounding: 0.3785 × 13.35 = 5,053M to 0.3795 × 13.45 = 5,104M."""
    assert (
        default_run["millions(abs(net_2q02))"] == "¥2,326M"
        and default_run["millions(abs(op_2q02))"] == "¥194M"
    )
    assert default_run['f"{net_2q02 / op_2q02:.0f}"'] == "12"
    assert default_run["millions(abs(below))"] == "¥2,132M"
    assert (
        default_run["millions(abs(equity_cw))"] == "¥5,421M"
        and default_run["millions(abs(net_fy2001))"] == "¥7,446M"
    )
    assert default_run["pct(equity_cw / net_fy2001, 0)"] == "73%"
    assert (default_run["millions(abs(cw_share.hi))"], default_run["millions(abs(cw_share.lo))"]) == (
        "¥5,053M",
        "¥5,104M",
    )
    assert (
        default_run['pct(ctx["crosswave_stake_2002_05"])'] == "37.9%"
        and default_run['yen(abs(ctx["net_income_fy2000"]))'] == "¥4.6B"
    )

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

from .conftest import chapter_runs, executed_copy, glued_values

run = chapter_runs("profitability")

#: Values the chapter computes and names but its page does not cite: not in the book's executed copy.
UNCITED = ("gp_2q01", "gp_1q02", "gp_yoy", "gp_yoy_diff", "h1_oi_text")


@pytest.fixture(scope="module")
def default_run(built_book, run) -> dict[str, str]:
    """What the page cites, from the book build's executed copy; the few values it names without
    citing them (``UNCITED``), from a run at the defaults in the module's kernel."""
    cited = glued_values(executed_copy(built_book, "profitability"), unquote=True)
    uncited = glued_values(run(), unquote=True)
    return {**{name: uncited[name] for name in UNCITED}, **cited}


def test_gross_profit_by_hand(default_run):
    # Revenues from the release (revenues chapter): 2Q01 = 10.6 / 1.109 = 9.5582B,
    # 1Q02 = 10.6 / 1.073 = 9.8789B. Gross profit:
    #   2Q01 = 9.5582 × 0.141 = 1.34771B
    #   1Q02 = 9.8789 × 0.091 = 0.89898B
    #   2Q02 = 10.6   × 0.110 = 1.16600B
    g = default_run
    assert (g["gp_2q01"], g["gp_1q02"], g["gp_2q02"]) == ("¥1,348M", "¥899M", "¥1,166M")
    # 2Q02 bounds: 10.55 × 0.1095 = 1.155225B; 10.65 × 0.1105 = 1.176825B
    assert (g["gp_2q02_lo"], g["gp_2q02_hi"]) == ("¥1,155M", "¥1,177M")
    # QoQ: 1,166 / 898.98 − 1 = +29.7%; YoY: 1,166 / 1,347.71 − 1 = −13.5%, 1,166 − 1,347.71 = −181.7M
    assert (g["gp_qoq"], g["gp_yoy"]) == ("+29.7%", "\u221213.5%")
    assert g["gp_yoy_diff"] == "\u2212\u2060¥182M"


def test_operating_expenses_by_hand(default_run):
    # 1Q02: 898.98 + 465.228 = 1,364.21M; 2Q02: 1,166 + 194 = 1,360M; change −4.21M
    assert default_run["opex_1q02"] == "¥1,364M"
    assert default_run["opex_2q02"] == "¥1,360M"
    assert default_run["opex_change"] == "\u2212\u2060¥4M"
    # 2Q02 bounds: 1,155.225 + 193.5 = 1,348.7M; 1,176.825 + 194.5 = 1,371.3M
    assert (default_run["opex_2q02_lo"], default_run["opex_2q02_hi"]) == ("¥1,349M", "¥1,371M")


def test_second_half_profit_by_hand(default_run):
    # 2H02 revenues a +20% year needs: 1.2 × 39.9 − 20.4788 = 27.4012B. A flat half (4Q02 = 3Q02 at the
    # guidance mid, ¥10.75B) is 21.5B at the 2Q02 margin of 11.0%; the 5.9012B more the target needs
    # comes mostly from SI and equipment, at the Equipment sales chapter's assumed 5.0%
    g = default_run
    assert g["opex_q_text"] == "¥1,360M"  # the 2Q02 level
    assert g["t_gp"] == "¥2,660M"  # 21.5 × 0.11 + 5.9012 × 0.05 = 2,365 + 295.06 = 2,660.06M
    assert g["h2_gm"] == "9.7%"  # 2,660.06 / 27,401.2 = 9.708%
    assert g["t_oi"] == "\u2212\u2060¥60M"  # 2,660.06 − 2 × 1,360 = −59.94M
    assert g["needed"] == "¥659M"  # −1H02 = 659.228M
    assert g["t_fy"] == "\u2212\u2060¥719M"  # −659.228 − 59.94 = −719.17M
    assert g["t_req_gm"] == "12.3%"  # (659.228 + 2,720) / 27,401.2 = 12.332%
    assert g["t_req_rev"] == "revenues of ¥34.81B at 9.7%"  # 3,379.228 / 0.0970782 = 34.8094B
    assert g["t_opex_allowed"] == "¥1,000M"  # (2,660.06 − 659.228) / 2 = 1,000.42M
    assert g["t_short"] == "short of" and g["t_verdict"].startswith("not enough")
    # the flat half keeps 2Q02's margin: 21.5 × 0.11 − 2,720 = −355M
    assert (g["flat_gm"], g["f_oi"]) == ("11.0%", "\u2212\u2060¥355M")


def test_the_later_results_imply_a_lower_second_half_margin(default_run):
    # hindsight, with operating expenses held at 2Q02's 1,360M: gross margin = (operating income + 1,360) /
    # revenues. 3Q02: (−567 + 1,360) / 10,600 = 7.481%; 4Q02: (−446 + 1,360) / 13,000 = 7.031%;
    # the half: (−1,013 + 2,720) / 23,600 = 7.233%, below the 9.7% the page assumes for the target's mix
    g = default_run
    assert (g["later_gm_3q"], g["later_gm_4q"], g["later_h2_gm_text"]) == ("7.5%", "7.0%", "7.2%")
    assert g["later_vs_scenario"] == "below"
    # a loss is said as a loss, without a minus sign as well
    assert (g["later_fy_text"], g["later_h2_text"]) == ("¥1.7B", "¥1,013M")
    assert (g["gp_yoy_word"], g["gp_yoy_size"], g["gp_yoy_amount"], g["gp_yoy_side"]) == (
        "fell",
        "13.5%",
        "¥182M",
        "below",
    )


def test_the_chapter_agrees_with_what_other_chapters_reuse(default_run):
    # the chapter derives these step by step; iijbook.profitability gives them to the CAPEX chapter
    oi, h1, ebitda, da = (
        pr.operating_income_history(),
        pr.first_half_operating_income(),
        pr.ebitda_history(),
        pr.depreciation_history(),
    )
    assert default_run["oi_1q02"] == fmt.millions(oi[0].value) == "\u2212\u2060¥465M"
    assert default_run["h1_oi_text"] == fmt.millions(h1.value)
    assert default_run["ebitda_1q02"] == fmt.millions(ebitda[0].value) == "¥331M"
    assert default_run["ebitda_1q02_lo"] == fmt.millions(ebitda[0].interval.lo)
    assert default_run["da_1q02"] == fmt.millions(da[0].value) == "¥796M"
    assert (default_run["da_2q02_lo"], default_run["da_2q02_hi"]) == ("¥855M", "¥857M")
    # margins: operating 1Q02 = −465.228 / 9,878.84 = −4.709%; EBITDA 2Q02 = 662 / 10,600 = 6.245%
    assert default_run["om_1q02"] == "\u22124.7%"
    assert default_run["em_2q02"] == "6.2%"
    # "doubled" read as 1.8 and 2.2 times: 662 / 1.8 + 465.228 = 833.0M; 662 / 2.2 + 465.228 = 766.1M
    assert (default_run["da_at_18"], default_run["da_at_22"]) == ("¥833M", "¥766M")
    assert default_run["ex_ebitda_18"] == "¥368M"  # 662 / 1.8 = 367.78M


def test_profitability_runs_with_the_2q01_margin(run):
    out = run({"h2_gross_margin": 0.141})
    glued = glued_values(out, unquote=True)
    # By hand: 2H02 revenues for +20% = 1.2 × 39.9 − 20.4788 = 27.4012B;
    # × 0.141 = 3,863.56M gross profit; less 2 × 1,360M = 1,143.56M operating income;
    # FY2002 = 1,143.56 − 659.23 = 484.33M.
    assert glued["h2_gm"] == "14.1%"  # set for the whole half, the mix no longer lowers it
    assert glued["t_oi"] == "¥1,144M"
    assert glued["t_fy"] == "¥484M"
    assert glued["t_short"] == "more than"
    assert glued["t_verdict"].startswith("enough")
    # figures from the release do not move with the assumption
    assert glued["da_2q02"] == "¥856M"
    assert glued["needed"] == "¥659M"


def test_profitability_with_given_costs_and_no_margin(run):
    out = run({"h2_gross_margin": 0.0, "h2_opex_per_quarter_jpy": 1e9})
    g = glued_values(out, unquote=True)
    # 27.4012B × 0 = 0 gross profit, less 2 × 1,000M: −2,000M; FY2002 = −659.228 − 2,000 = −2,659.2M
    assert (g["opex_q_text"], g["opex_h2"]) == ("¥1,000M", "¥2,000M")
    assert g["opex_q_source"] == "set as a parameter of this page"
    assert g["t_oi"] == "\u2212\u2060¥2,000M"
    assert g["t_fy"] == "\u2212\u2060¥2,659M"
    # break-even margin: (659.228 + 2,000) / 27,401.2 = 9.70%; no revenue is enough at a 0% margin
    assert g["t_req_gm"] == "9.7%"
    assert g["t_req_rev"] == "revenues, though at 0.0% no amount of them is enough"
    assert g["t_opex_allowed"] == "\u2212\u2060¥330M"  # (0 − 659.228) / 2


def test_the_net_loss_below_operating_income_and_crosswave(default_run):
    """By hand: 2,326 / 194 = 11.99; 2,326 − 194 = 2,132; 5,421.255 / 7,446 = 72.8%;
    37.9% of ¥13.4B within rounding: 0.3785 × 13.35 = 5,053M to 0.3795 × 13.45 = 5,104M."""
    assert default_run["net_2q02_abs"] == "¥2,326M" and default_run["op_2q02_abs"] == "¥194M"
    assert default_run["net_multiple"] == "12"
    assert default_run["below_abs"] == "¥2,132M"
    assert default_run["equity_cw_abs"] == "¥5,421M" and default_run["net_fy2001_abs"] == "¥7,446M"
    assert default_run["cw_part"] == "73%"
    assert (default_run["cw_share_lo"], default_run["cw_share_hi"]) == ("¥5,053M", "¥5,104M")
    assert default_run["stake_text"] == "37.9%" and default_run["net_fy2000_abs"] == "¥4.6B"

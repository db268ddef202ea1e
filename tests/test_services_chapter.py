"""The services chapter: its derivations checked by hand, with and without figures entered from the deck.

At the defaults the tests read the book build's executed copy; entered figures run in one kernel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import cell_text, chapter_runs, executed_copy, glued_values

run = chapter_runs("services")


@pytest.fixture(scope="module")
def default_run(built_book) -> Path:
    return executed_copy(built_book, "services")


def test_the_growth_areas_on_the_fiscal_calendar(default_run):
    glued = glued_values(default_run)
    # November 2002 is in 3Q02 (October to December); the second half is October 2002 to March 2003
    assert glued["vpn_quarter"] == "3Q02"
    assert (glued["h2_label"], glued["h2_span"]) == ("2H02", "Oct 2002-Mar 2003")
    assert (glued["q4_label"], glued["q4_span"]) == ("4Q02", "Jan-Mar 2003")
    # the growth areas in the release's order, the CATV line quoted from the data file's source
    table = cell_text(default_run, "sv-06")
    order = [
        "IIJ VPN Standard",
        "CDN platform",
        "CATV operators",
        "Data-centre service",
        "IP service ARPU",
        "Dedicated access",
    ]
    assert [table.index(a) for a in order] == sorted(table.index(a) for a in order)
    assert "More than 10 CATV companies expected to subscribe to IIJ IP Service" in table
    assert "introduced November 2002 (3Q02); growth expected in the second half (2H02)" in table
    # the spans the timeline draws: each inside its fiscal period
    spans = cell_text(default_run, "sv-d2")
    assert "IIJ VPN Standard introduced 2002-11-01 2002-11-30 3Q02 launch" in spans
    assert "Data-centre service revenue contribution 2003-01-01 2003-03-31 4Q02 expected" in spans
    assert "CATV operators more than 10 to subscribe 2002-10-01 2003-03-31 2H02 expected" in spans


def test_the_lost_measures_are_not_known_by_default(default_run, run):
    # the page cites none of the three without entered figures: the chapter's own values, from a run
    # at the defaults
    glued = glued_values(run())
    assert glued["mbps_per_contract"] == "not known"
    assert glued["price_per_mbps"] == "not known"
    assert glued["implied_revenue"] == "not known"
    assert cell_text(default_run, "sv-12").count("not known: the chart lost its numbers") == 3


def test_catv_growth_from_the_release_with_its_rounding(default_run):
    glued = glued_values(default_run)
    # 1.8 / 0.2 = 9.0; rounding: 1.75 / 0.25 = 7.0 to 1.85 / 0.15 = 12.333
    assert (glued["catv_start"], glued["catv_end"]) == ("200K", "1.8M")
    assert (glued["catv_mult"], glued["catv_mult_lo"], glued["catv_mult_hi"]) == ("9.0×", "7.0×", "12.3×")
    # 0.2M stands for 0.15M to 0.25M: ±25%
    assert (glued["catv_start_lo"], glued["catv_start_hi"]) == ("0.15M", "0.25M")  # "0.2 Million" ± 0.05
    assert glued["catv_start_rel"] == "25%"
    # March 2000 to September 2002 = 30 months = 2.5 years; 9 ** 0.4 − 1 = 1.4082;
    # bounds: 7 ** 0.4 − 1 = 1.1779; 12.333 ** 0.4 − 1 = 1.7317
    assert glued["catv_cagr"] == "140.8%"
    table = cell_text(default_run, "sv-14")
    assert "140.8% 117.8% to 173.2% (1.8 Million / 0.2 Million) to the power 1 ÷ 2.5 years, less 1" in table
    assert "1.408225 1.177906 1.731695" in cell_text(default_run, "sv-d4")


def test_the_monthly_series_agrees_with_the_release(default_run):
    glued = glued_values(default_run)
    # the series has 216,000 for March 2000, which the release rounds to 0.2M: 1.8M / 216,000 = 8.33
    assert glued["catv_monthly_2000_03"] == "216,000"
    assert glued["catv_monthly_mult"] == "8.3×"


def test_catv_reach_and_the_fee_at_the_defaults(default_run):
    glued = glued_values(default_run)
    # "more than 10" operators is at least 11: 11 × 10,000 = 110,000; / 1.8M = 6.111%
    assert (glued["n_ops"], glued["reach_calc"], glued["reach_text"]) == ("11", "11 × 10,000", "110,000")
    assert glued["reach_share_text"] == "6.1%"
    assert glued["ops_source"] == 'the release\'s "more than 10" at its least, 11'
    # 1% of ¥10.6B = ¥106M a quarter; / (3 × 11) = ¥3.21M a month each; / 10,000 = ¥321 a subscriber
    assert (glued["yardstick"], glued["yardstick_yen"]) == ("1.0%", "¥106M")
    assert glued["fee_needed_text"] == "¥3.2M"
    assert glued["fee_per_sub"] == "¥321"
    # the exercises' practice values: 10 Gbps × 1,000 / 2,000 = 5 Mbps; 20 × 30,000 = 600,000 = 33.3%
    assert glued["ex_mbps"] == "5 Mbps"
    assert (glued["ex_reach_text"], glued["ex_reach_share"]) == ("600,000", "33.3%")


def test_services_runs_with_entered_figures_and_twenty_operators(run):
    out = run(
        {
            "dedicated_contracts": 2000,
            "dedicated_bandwidth_gbps": 10.0,
            "ip_service_arpu_jpy": 100000.0,
            "catv_operators": 20,
            "catv_subscribers_per_operator": 30000.0,
        }
    )
    glued = glued_values(out)
    # 10 Gbps × 1,000 / 2,000 = 5.00 Mbps; ¥100,000 / 5 = ¥20,000 per Mbps a month;
    # ¥100,000 × 2,000 × 3 = ¥600M a quarter, the inverse of ARPU = ¥600M / 2,000 / 3 = ¥100,000
    assert glued["mbps_per_contract"] == "5.00 Mbps"
    assert glued["price_per_mbps"] == "¥20,000"
    assert glued["implied_revenue"] == "¥600M"
    assert "¥600M, 5.7% of 2Q02 total revenues" in cell_text(out, "sv-12")  # 600 / 10,600 = 5.66%
    # 20 × 30,000 = 600,000 = 33.3% of 1.8M; fee: 0.01 × ¥10.6B / (3 × 20) = ¥1.77M → ¥1.8M
    assert glued["reach_text"] == "600,000"
    assert glued["reach_share_text"] == "33.3%"
    assert glued["n_ops"] == "20"
    assert glued["fee_needed_text"] == "¥1.8M"


def test_where_iij_stood_in_its_market(default_run):
    # sourced in data/iij_context.csv (trade press, November 2002): wide-area Ethernet customers 313, a year
    # before 136: 313 / 136 − 1 = +130.1%; a 50% share of CATV Internet, read as subscribers: 0.5 × 1.8M
    # = 900,000, on which the page's 110,000 new subscribers are 12.2%
    glued = glued_values(default_run)
    assert (glued["ethernet_before_text"], glued["ethernet_now_text"]) == ("136", "313")
    assert glued["ethernet_growth_text"] == "+130%"
    assert glued["catv_share_text"] == "50%"
    assert glued["served_already_text"] == "900K"
    assert glued["new_on_served_text"] == "12.2%"

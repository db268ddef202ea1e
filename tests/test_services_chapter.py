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
    glued = glued_values(default_run, unquote=True)
    # November 2002 is in 3Q02 (October to December); the second half is October 2002 to March 2003
    assert glued["vpn_launch.label"] == "3Q02"
    assert (glued["h2.label"], glued["h2.span"]) == ("2H02", "Oct 2002-Mar 2003")
    assert (glued["q4.label"], glued["q4.span"]) == ("4Q02", "Jan-Mar 2003")
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


def test_the_lost_measures_are_not_known_by_default(default_run):
    # without entered figures the table says what each derived measure needs
    table = cell_text(default_run, "sv-12")
    assert table.count("not known: the chart lost its numbers") == 3
    for needs in (
        "needs contracts and bandwidth",
        "needs ARPU, contracts and bandwidth",
        "needs ARPU and contracts",
    ):
        assert needs in table


def test_catv_growth_from_the_release_with_its_rounding(default_run):
    glued = glued_values(default_run, unquote=True)
    # 1.8 / 0.2 = 9.0; rounding: 1.75 / 0.25 = 7.0 to 1.85 / 0.15 = 12.333
    assert (glued["fmt.count(catv_2000_03.value)"], glued["fmt.count(catv_2002_09.value)"]) == (
        "200K",
        "1.8M",
    )
    assert (
        glued['f"{growth_multiple.value:.1f}×"'],
        glued['f"{growth_multiple.interval.lo:.1f}×"'],
        glued['f"{growth_multiple.interval.hi:.1f}×"'],
    ) == ("9.0×", "7.0×", "12.3×")
    # 0.2M stands for 0.15M to 0.25M: ±25%
    assert (
        glued['f"{catv_2000_03.interval.lo / 1e6:.2f}M"'],
        glued['f"{catv_2000_03.interval.hi / 1e6:.2f}M"'],
    ) == ("0.15M", "0.25M")  # "0.2 Million" ± 0.05
    assert glued["fmt.pct(catv_2000_03.interval.width / 2 / catv_2000_03.value, 0)"] == "25%"
    # March 2000 to September 2002 = 30 months = 2.5 years; 9 ** 0.4 − 1 = 1.4082;
    # bounds: 7 ** 0.4 − 1 = 1.1779; 12.333 ** 0.4 − 1 = 1.7317
    assert glued["fmt.pct(growth_pa.value)"] == "140.8%"
    table = cell_text(default_run, "sv-14")
    assert "140.8% 117.8% to 173.2% (1.8 Million / 0.2 Million) to the power 1 ÷ 2.5 years, less 1" in table
    assert "1.408225 1.177906 1.731695" in cell_text(default_run, "sv-d4")


def test_the_monthly_series_agrees_with_the_release(default_run):
    glued = glued_values(default_run, unquote=True)
    # the series has 216,000 for March 2000, which the release rounds to 0.2M: 1.8M / 216,000 = 8.33
    assert glued["f\"{month_2000_03['subscribers']:,.0f}\""] == "216,000"
    assert glued['f"{monthly_mult:.1f}×"'] == "8.3×"


def test_catv_reach_and_the_fee_at_the_defaults(default_run):
    glued = glued_values(default_run, unquote=True)
    # "more than 10" operators is at least 11: 11 × 10,000 = 110,000; / 1.8M = 6.111%
    assert (
        glued['f"{operators:,.0f}"'],
        glued['f"{operators:,.0f} × {catv_subscribers_per_operator:,.0f}"'],
        glued['f"{reach:,.0f}"'],
    ) == ("11", "11 × 10,000", "110,000")
    assert glued["fmt.pct(reach_share)"] == "6.1%"
    # 11 is this page's assumption, not the release's number: the release prints "More than 10"
    assert glued["operators_source"] == (
        'an assumption: the release says "more than 10", and this page takes the '
        "least whole number above 10, 11"
    )
    assert glued["Text(catv_fig.printed)"] == "More than 10"
    assert glued['"assumed" if catv_operators is None else "a parameter"'] == "assumed"
    # the exercise quotes the starting figure as the release prints it, "0.2 Million", not "200K"
    assert glued["Text(catv_2000_03.printed)"] == "0.2 Million"
    # 1% of ¥10.6B = ¥106M a quarter; / (3 × 11) = ¥3.21M a month each; / 10,000 = ¥321 a subscriber
    assert (glued["fmt.pct(catv_revenue_yardstick)"], glued["fmt.yen(per_quarter)"]) == ("1.0%", "¥106M")
    assert glued["fmt.yen(fee_needed)"] == "¥3.2M"
    assert glued['f"¥{fee_each_sub:,.0f}"'] == "¥321"
    # the exercises' practice values: 10 Gbps × 1,000 / 2,000 = 5 Mbps; 20 × 30,000 = 600,000 = 33.3%
    assert glued['f"{EX_GBPS * 1000 / EX_CONTRACTS:g} Mbps"'] == "5 Mbps"
    assert (glued['f"{ex_reach:,.0f}"'], glued["fmt.pct(ex_reach / catv_2002_09.value)"]) == (
        "600,000",
        "33.3%",
    )


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
    glued = glued_values(out, unquote=True)
    # 10 Gbps × 1,000 / 2,000 = 5.00 Mbps; ¥100,000 / 5 = ¥20,000 per Mbps a month;
    # ¥100,000 × 2,000 × 3 = ¥600M a quarter, the inverse of ARPU = ¥600M / 2,000 / 3 = ¥100,000
    table = cell_text(out, "sv-12")
    assert "5.00 Mbps" in table and "¥20,000 a month" in table
    assert "¥600M, 5.7% of 2Q02 total revenues" in table  # 600 / 10,600 = 5.66%
    # 20 × 30,000 = 600,000 = 33.3% of 1.8M; fee: 0.01 × ¥10.6B / (3 × 20) = ¥1.77M → ¥1.8M
    assert glued['f"{reach:,.0f}"'] == "600,000"
    assert glued["fmt.pct(reach_share)"] == "33.3%"
    assert glued['f"{operators:,.0f}"'] == "20"
    assert glued["fmt.yen(fee_needed)"] == "¥1.8M"


def test_where_iij_stood_in_its_market(default_run):
    # sourced in data/iij_context.csv (trade press, November 2002): wide-area Ethernet customers 313, a year
    # before 136: 313 / 136 − 1 = +130.1%; a 50% share of CATV Internet, read as subscribers: 0.5 × 1.8M
    # = 900,000, on which the page's 110,000 new subscribers are 12.2%
    glued = glued_values(default_run, unquote=True)
    assert (glued['f"{ethernet_before:,.0f}"'], glued['f"{ethernet_now:,.0f}"']) == ("136", "313")
    assert glued["fmt.pct(ethernet_growth, 0, signed=True)"] == "+130%"
    assert glued["fmt.pct(catv_share, 0)"] == "50%"
    assert glued["fmt.count(served_already)"] == "900K"
    assert glued["fmt.pct(new_on_served)"] == "12.2%"

"""The broadband chapter's derivations, checked against hand computation, and its parameters at work.

The arithmetic lives in the chapter's visible cells; these tests read what the chapter shows: the
values its prose cites (``glued_values``), its visible cells' results and its tables. At the defaults
they read the book build's executed copy; other parameters run in one kernel for the module.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from .chapter_kernel import ChapterFailed
from .conftest import chapter_runs, executed_copy, glued_values

#: The values the broadband chapter's prose cites, by the names these tests use: each is an
#: {eval} expression of the chapter (a formatting call on a value the chapter computed).
CITED = {
    "catv_companies": 'Text(figure("catv_companies_expected_2h02").printed.lower())',
    "pen_start": 'fmt.pct(figure("internet_penetration_1999_12").value)',
    "pen_end": 'fmt.pct(figure("internet_penetration_2001_12").value)',
    "pen_months": 'month_index("2001-12") - month_index("1999-12")',
    "pen_cagr": "pct3(cagrs[0].value)",
    "mobile_cagr": "pct3(cagrs[1].value)",
    "adsl_months": 'month_index("2002-10") - month_index("2000-03")',
    "adsl_multiple": "multiple(cagrs[2].value)",
    "catv_cagr_text": "pct3(catv_cagr.value)",
    "catv_cagr_lo": "pct3(catv_cagr.interval.lo)",
    "catv_cagr_hi": "pct3(catv_cagr.interval.hi)",
    "catv_years": "catv_months / 12",
    "catv_start": "catv_start.value / 1e6",
    "catv_end": "catv_end.value / 1e6",
    "catv_start_lo": "catv_start.interval.lo / 1e6",
    "catv_start_hi": "catv_start.interval.hi / 1e6",
    "catv_end_lo": "catv_end.interval.lo / 1e6",
    "catv_end_hi": "catv_end.interval.hi / 1e6",
    "catv_exponent": "12 / catv_months",
    "phones_printed": "Text(printed_phones.printed)",
    "literal_ratio": "count_full(literal)",
    "mobile_internet": "fmt.count(internet.value)",
    "phones_man": "fmt.count(phones)",
    "mobile_share": "fmt.pct(share)",
    "mobile_share_lo": "fmt.pct(share_range.lo, 2)",
    "mobile_share_hi": "fmt.pct(share_range.hi, 2)",
    "checks_inside": "inside.count(True)",
    "checks_total": "len(checks)",
    "checks_unknown": "inside.count(None)",
    "adsl_release": 'Text(figure("adsl_2002_10").printed)',
    "adsl_series": 'count_full(checks["adsl_2002_10"]["series"])',
    "adsl_diff": 'fmt.pct(checks["adsl_2002_10"]["series"] / figure("adsl_2002_10").value - 1, signed=True)',  # noqa: E501
    "catv_release": 'Text(figure("catv_internet_2002_09").printed)',
    "catv_basis": 'Text(checks["catv_internet_2002_09"]["how"])',
    "catv_interp": 'count_full(checks["catv_internet_2002_09"]["series"])',
    "ftth_release": 'count_full(figure("ftth_2002_09").value)',
    "ftth_source": 'Text(series["FTTH"].set_index("month").loc["2002-09", "source"].split("also ")[-1])',  # noqa: E501
    "adsl_start": 'Text(figure("adsl_2000_03").printed)',
    "dsl_2000_12": 'count_full(series["DSL"].set_index("month").loc["2000-12", "subscribers"])',
    "takeoff_threshold": "count_full(TAKEOFF_NET_ADDS)",
    "takeoff_value": 'count_full(dsl_net.loc[takeoff, "per_month"])',
    "peak_value_text": 'count_full(dsl_net.loc[peak_month, "per_month"])',
    "approx_rows": 'int(monthly["approx"].sum())',
    "dsl_yoy_2001": 'multiple(yoy.loc["2001-12", "DSL"])',
    "dsl_yoy_2002": 'multiple(yoy.loc["2002-12", "DSL"])',
    "dsl_yoy_2003": 'multiple(yoy.loc["2003-12", "DSL"])',
    "dsl_adds_2001": 'fmt.count(net_in_year.loc["2001-12", "DSL"], 2)',
    "dsl_adds_2002": 'fmt.count(net_in_year.loc["2002-12", "DSL"], 2)',
    "dsl_adds_2003": 'fmt.count(net_in_year.loc["2003-12", "DSL"], 2)',
    "catv_adds_2002": 'fmt.count(net_in_year.loc["2002-12", "CATV"])',
    "ftth_yoy_2003": 'multiple(yoy.loc["2003-12", "FTTH"])',
    "dsl_share_2002": 'fmt.pct(shares.loc["2002-10", "DSL"])',
    "dsl_share_2003": 'fmt.pct(shares.loc["2003-12", "DSL"])',
    "ftth_share_2002": 'fmt.pct(shares.loc["2002-10", "FTTH"])',
    "ftth_share_2003": 'fmt.pct(shares.loc["2003-12", "FTTH"])',
    "series": "Text(projection_series)",
    "cutoff_text": "Text(projection_cutoff)",
    "model_text": "Text(projection_model)",
    "window": "int(fit_window_months)",
    "points": "len(observed)",
    "min_points": "MIN_POINTS",
    "formula": "formula_text(projection_model, this, projection_cutoff)",
    "projected": 'count_full(this["projected"])',
    "actual": "count_full(recorded_last)",
    "error_text": 'fmt.pct(this["error"], signed=True)',
    "last_month": "Text(LAST_MONTH)",
    "closest_error": 'fmt.pct(here.loc[closest, "error"], signed=True)',
    "logistic_how": 'Text("the best-fitting ceiling" if ceiling is None else "the ceiling set as a parameter")',  # noqa: E501
    "logistic_ceiling_text": 'count_full(here.loc["logistic", "K"])',
    "logistic_latest": 'count_full(observed["subscribers"].max())',
    "logistic_miss": 'miss(here.loc["logistic", "error"])',
    "exponential_miss": 'miss(here.loc["exponential", "error"])',
    "closest_desc": "CLOSEST_DESC[closest]",
    "lesson": "LESSON[closest]",
    "logistic_note": "logistic_note",
    "closest_abs": 'fmt.pct(abs(here.loc[closest, "error"]))',
    "n_cutoffs": "len(cutoffs)",
    "last_cut": "Text(cutoffs[-1])",
    "best_linear": 'int(best_counts["linear"])',
    "best_exponential": 'int(best_counts["exponential"])',
    "best_logistic": 'int(best_counts["logistic"])',
    "alt_projected": 'Text("n/a") if alt_fit is None else count_full(alt_fit["projected"])',
    "alt_error": 'Text("n/a") if alt_fit is None else fmt.pct(alt_fit["error"], signed=True)',
    "jp_2001": 'float(per_100.loc[2001, "Japan"])',
    "jp_2002": 'float(per_100.loc[2002, "Japan"])',
    "jp_2003": 'float(per_100.loc[2003, "Japan"])',
    "us_2002": 'float(per_100.loc[2002, "United States"])',
    "us_2003": 'float(per_100.loc[2003, "United States"])',
    "jp_gain": "Text(f'{gains[\"Japan\"]:.2f}')",
    "kr_gain": "Text(f'{gains[\"Korea\"]:.2f}')",
    "us_gain": "Text(f'{gains[\"United States\"]:.2f}')",
    "oecd_gain": "Text(f'{gains[\"OECD\"]:.2f}')",
    "us_year_text": 'Text(first_above["United States"] or "not by 2003")',
    "oecd_year_text": 'Text(first_above["OECD"] or "not by 2003")',
    "kr_multiple_2001": "Text(f'{korea_multiple[2001]:.1f}')",
    "kr_multiple_2003": "Text(f'{korea_multiple[2003]:.1f}')",
    "total_2003_text": 'count_full(total["2003-12"])',
    "total_2002_text": 'count_full(total["2002-12"])',
    "pop_2003_text": 'fmt.count(population["2003-12"], 1)',
    "pop_2003_lo": 'fmt.count(pop_range["2003-12"].lo, 1)',
    "pop_2003_hi": 'fmt.count(pop_range["2003-12"].hi, 1)',
    "pop_2002_text": 'fmt.count(population["2002-12"], 1)',
    "pop_2002_lo": 'fmt.count(pop_range["2002-12"].lo, 1)',
    "pop_2002_hi": 'fmt.count(pop_range["2002-12"].hi, 1)',
}


def cited(notebook: Path, **options) -> dict[str, str]:
    """The values the prose cites, by expression and by the names of :data:`CITED`."""
    return glued_values(notebook, names=CITED, **options)


run = chapter_runs("broadband")


def _cell(notebook: Path, cell_id: str):
    return next(c for c in nbformat.read(notebook, as_version=4).cells if c.get("id") == cell_id)


def shown(notebook: Path, cell_id: str, mime: str = "text/plain") -> str:
    """What a cell of the executed chapter shows as its result."""
    return next(o["data"][mime] for o in _cell(notebook, cell_id).outputs if mime in o.get("data", {}))


def series_values(text: str) -> dict[str, str]:
    """A shown one-column table (a pandas Series as a frame), label by label; its blank header left out."""
    return dict(line.rsplit(None, 1) for line in text.splitlines() if line.strip())


def table_rows(notebook: Path, cell_id: str) -> list[list[str]]:
    """The body rows of the HTML table a cell shows, each as its cells' text."""
    page = shown(notebook, cell_id, "text/html")
    return [
        [html.unescape(td) for td in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
    ]


def rows_by_label(notebook: Path, cell_id: str) -> dict[str, list[str]]:
    """A shown DataFrame (text/plain), each row's values by its label (header lines left out)."""
    lines = shown(notebook, cell_id).splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines if re.match(r"\d{4}-\d\d\s", line)}


def number(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.fixture(scope="module")
def default_run(built_book) -> Path:
    """The chapter with its default parameters: DSL, cut-off 2002-10, linear, a 12-month window."""
    return executed_copy(built_book, "broadband")


@pytest.fixture(scope="module")
def glued(default_run) -> dict[str, str]:
    return cited(default_run, unquote=True)


def test_release_cagrs_by_hand(default_run, glued):
    # CATV: 9 ** 0.4 = e^(0.4 * 2.19722) = e^0.87889 = 2.40822; widest corners:
    # (1.75 / 0.25) ** 0.4 = 7 ** 0.4 = 2.17790; (1.85 / 0.15) ** 0.4 = 12.333 ** 0.4 = 2.73170
    catv = {k: float(v) for k, v in series_values(shown(default_run, "bb-d1")).items()}
    assert catv["CAGR"] == pytest.approx(1.40822, abs=1e-5)
    assert catv["lowest"] == pytest.approx(1.17790, abs=1e-5)
    assert catv["highest"] == pytest.approx(1.73170, abs=1e-4)
    # Internet penetration: (0.440 / 0.214) ** (12 / 24) - 1 = 2.05607 ** 0.5 - 1 = 0.43390
    assert (glued["pen_months"], glued["pen_cagr"]) == ("24", "43.4%")
    # mobile Internet: 56.3 / 7.5 = 7.50667; ln = 2.01579; * 12 / 29 = 0.83412; e^ = 2.30279: 130.279%,
    # to three significant figures 130%
    assert glued["mobile_cagr"] == "130%"
    # ADSL: 4,600,000 / 211 = 21,800.95; ln = 9.98970; * 12 / 31 = 3.86698; e^ = 47.798, x47.8 a year
    assert (glued["adsl_months"], glued["adsl_multiple"]) == ("31", "×47.8")
    # to three significant figures: 117.79% is 118%, 173.17% is 173%, 140.82% is 141%
    assert (glued["catv_months"], glued["catv_cagr_lo"], glued["catv_cagr_hi"]) == ("30", "118%", "173%")
    assert glued["catv_cagr_text"] == "141%"
    table = {row[0]: row for row in table_rows(default_run, "bb-07")}
    assert table["ADSL subscribers, CAGR"][1] == "4,680%"  # 47.798 - 1 = 46.798, 4,679.8%: three figures
    assert all("to the power 12 ÷" in row[3] for row in table.values())


def test_mobile_phones_read_as_man(default_run, glued):
    assert glued["phones_man"] == "71.6M"  # 7,160 x 10,000
    mobile = {k: float(v) for k, v in series_values(shown(default_run, "bb-d2")).items()}
    # 56.3 / 71.6 = 0.786313; 56.25 / 71.605 = 0.785560; 56.35 / 71.595 = 0.787066
    assert mobile["share"] == pytest.approx(0.786313, abs=1e-6)
    assert mobile["lowest"] == pytest.approx(0.785560, abs=1e-6)
    assert mobile["highest"] == pytest.approx(0.787066, abs=1e-6)
    # read literally: 56,300,000 / 7,160 = 7,863.1 subscribers a handset
    assert mobile["read literally"] == pytest.approx(7863.13, abs=0.01)
    assert glued["literal_ratio"] == "7,863"


def test_release_figures_against_the_series(default_run, glued):
    # ADSL 4.6M: 4.55M <= 4,639,545 <= 4.65M, +0.86%
    assert (glued["adsl_series"], glued["adsl_diff"]) == ("4,639,545", "+0.9%")
    # the series' 2002-09 CATV row is the release's; (1,758,000 + 1,852,000) / 2 = 1,805,000
    assert glued["catv_interp"] == "1,805,000"
    assert glued["catv_basis"] == "interpolated between 2002-08 and 2002-10"
    assert "1805000.0" in shown(default_run, "bb-d3")
    rows = {(r[0], r[1]): r for r in table_rows(default_run, "bb-11")}
    assert rows[("catv internet subscribers", "2000-03")][4:] == ["216,000", "same month", "yes"]
    assert rows[("ftth subscribers", "2002-09")][4:] == ["114,608", "same month", "yes"]
    # only the release gives ADSL at 2000-03: nothing can check it
    unchecked = "no independent figure: the series' value is the release's own"
    assert rows[("adsl subscribers", "2000-03")][4:] == ["n/a", unchecked, "cannot tell"]
    # "ADSL 211" is a count printed in full: no rounding widens it
    assert rows[("adsl subscribers", "2000-03")][3] == "exact: a count"
    assert (glued["checks_inside"], glued["checks_total"], glued["checks_unknown"]) == ("4", "5", "1")
    assert glued["ftth_source"] == "rbbtoday.com 2003-01-31"


def test_net_adds_average_over_missing_months(default_run, glued):
    steps = rows_by_label(default_run, "bb-d5")  # month: months, change, per month
    # 2002-09 is missing: (4,639,545 - 3,915,740) / 2 = 361,902.5
    assert steps["2002-10"][0] == "2" and number(steps["2002-10"][2]) == pytest.approx(361_902.5)
    # 2001-12 spans three months: (1,524,348 - 650,796) / 3 = 291,184
    assert steps["2001-12"][0] == "3" and number(steps["2001-12"][2]) == pytest.approx(291_184)
    # 2001-06 adds (291,333 - 70,655) / 3 = 73,559 a month; 2001-07 adds 109,427, the first >= 100,000
    assert number(steps["2001-06"][2]) == pytest.approx(73_559.33, abs=0.01)
    assert (glued["takeoff"], glued["takeoff_value"]) == ("2001-07", "109,427")
    # 2002-12: 5,645,728 - 5,117,867 = 527,861, the largest monthly step
    assert (glued["peak_month"], glued["peak_value_text"]) == ("2002-12", "527,861")


def test_dsl_overtakes_cable(default_run, glued):
    # 2001-09: DSL 650,796 < CATV 1,151,000; 2001-12: 1,524,348 > 1,300,000
    both = rows_by_label(default_run, "bb-d4")
    assert [number(v) for v in both["2001-09"]] == [650_796, 1_151_000]
    assert [number(v) for v in both["2001-12"]] == [1_524_348, 1_300_000]
    assert glued["overtake"] == "2001-12"


def test_year_on_year(default_run, glued):
    dec = rows_by_label(default_run, "bb-d6")  # December: DSL net additions in the year, DSL YoY
    # 1,524,348 / 9,723 - 1 = 155.778; 10,272,052 / 5,645,728 - 1 = 0.81944
    assert number(dec["2001-12"][1]) == pytest.approx(155.778, abs=1e-3)
    assert number(dec["2003-12"][1]) == pytest.approx(0.81944, abs=1e-5)
    assert number(dec["2003-12"][0]) == 10_272_052 - 5_645_728  # 4,626,324
    # to three significant figures: 156.778 + 1 = 156.8 is ×157; 1.81944 is ×1.82
    assert (glued["dsl_yoy_2001"], glued["dsl_yoy_2003"]) == ("×157", "×1.82")
    rows = {(r[0], r[1]): r for r in table_rows(default_run, "bb-18")}
    assert rows[("FTTH", "2002")][3:] == ["n/a", "n/a"]  # no FTTH figure for December 2001
    assert rows[("DSL", "2002")][3] == "4,121,380"  # 5,645,728 - 1,524,348


def test_totals_and_shares(glued):
    # 2002-10: 4,639,545 / (4,639,545 + 1,852,000 + 138,030) = 4,639,545 / 6,629,575 = 0.6998
    assert glued["dsl_share_2002"] == "70.0%"
    # 2003-12: 10,272,052 + 2,475,000 + 894,259 = 13,641,311
    assert glued["total_2003_text"] == "13,641,311"


def test_the_fit_window(default_run, glued):
    # 9 figures in the 12 months to 2002-10 (2001-11 onwards): x = -10, -9, -7, -6, -5, -4, -3, -2, 0
    assert (glued["window_start"], glued["points"], glued["min_points"]) == ("2001-11", "9", "5")
    window = [line.split()[1:3] for line in shown(default_run, "bb-d7").splitlines()[1:]]
    assert [
        m for m, _ in window
    ] == "2001-12 2002-01 2002-03 2002-04 2002-05 2002-06 2002-07 2002-08 2002-10".split()
    assert [int(x) for _, x in window] == [-10, -9, -7, -6, -5, -4, -3, -2, 0]


def test_linear_projection_by_hand(default_run, glued):
    # sum x = -46, sum x^2 = 320, sum y = 26,884,992, sum xy = -111,187,698
    # Sxx = 320 - 46^2 / 9 = 84.889; Sxy = -111,187,698 + 46 * 26,884,992 / 9 = 26,224,483
    # b = 308,927 a month; a = 2,987,221 + 308,927 * 5.111 = 4,566,182; 2003-12: a + 14 b = 8,891,163
    fit = series_values(shown(default_run, "bb-d8"))
    assert number(fit["b"]) == pytest.approx(308_927.16, abs=0.01)
    assert number(fit["a"]) == pytest.approx(4_566_182.37, abs=0.01)
    assert glued["formula"] == "4,566,182 + 308,927 × (months after 2002-10)"
    assert (glued["projected"], glued["actual"]) == ("8,891,163", "10,272,052")
    assert glued["error_text"] == "−13.4%"  # 8,891,162.6 / 10,272,052 - 1
    assert shown(default_run, "bb-d9") == "8,891,163 projected for 2003-12, 10,272,052 recorded: −13.4%"


def test_exponential_projection_by_hand(default_run):
    # slope of ln y on x is 0.110862 (e^b = 1.117241 a month), e^a = 4,979,158;
    # 14 months on: 4,979,158 * 1.117241 ** 14 = 23,507,732
    rows = {r[0]: r for r in table_rows(default_run, "bb-21")}
    assert rows["exponential"][1:3] == [
        "4,979,158 × 1.1172 to the power (months after 2002-10)",
        "23,507,732",
    ]


def test_logistic_ceiling_is_fitted_and_bounded(default_run, glued):
    assert glued["logistic_how"] == "the best-fitting ceiling"
    largest = 4_639_545  # the largest DSL figure in the window
    assert glued["logistic_latest"] == "4,639,545"
    ceiling = number(glued["logistic_ceiling_text"])
    assert 1.01 * largest <= ceiling <= 100 * largest
    assert glued["logistic_ceiling_text"] == "6,929,671"  # the same grid point on every run
    rows = {r[0]: r for r in table_rows(default_run, "bb-21")}
    assert number(rows["logistic"][2]) < ceiling


def test_every_cutoff_scored(glued):
    # DSL with a 12-month window: cut-offs from 2001-07 to 2003-06, 24 months. 2001-07 is the first with 5
    # figures in its window (2000-12, 2001-01, 2001-03, 2001-06, 2001-07); 2001-06 has 4, now that the
    # September 2000 count of NTT East and West's lines alone is out of the national series
    assert (glued["n_cutoffs"], glued["first_cut"], glued["last_cut"]) == ("24", "2001-07", "2003-06")
    assert int(glued["best_linear"]) + int(glued["best_exponential"]) + int(glued["best_logistic"]) == 24
    assert glued["closest"] == "linear"
    assert glued["lesson"] == "in a take-off, watch the additions, not the growth rate"


def test_peers_per_100(glued):
    # Japan (10.7 - 2.2) / 2 = 4.25; Korea (24.2 - 17.2) / 2 = 3.5; US (9.7 - 4.5) / 2 = 2.6; OECD 2.2
    gains = [glued[k] for k in ("jp_gain", "kr_gain", "us_gain", "oecd_gain")]
    assert gains == ["4.25", "3.50", "2.60", "2.20"]
    assert glued["fastest"] == "Japan"
    assert glued["us_year_text"] == "2003"  # 6.1 < 6.9, then 10.7 > 9.7
    assert glued["oecd_year_text"] == "2002"  # 2.2 < 2.9, then 6.1 > 4.9
    assert glued["korea_passed"] == "Japan did not catch Korea by 2003"
    assert (glued["kr_multiple_2001"], glued["kr_multiple_2003"]) == ("7.8", "2.3")  # 17.2 / 2.2, 24.2 / 10.7


def test_implied_population(glued):
    # 13,641,311 / 0.107 = 127.49 million; 10.65 and 10.75 per 100 give 128.09 and 126.90 million
    population = (glued["pop_2003_text"], glued["pop_2003_lo"], glued["pop_2003_hi"])
    assert population == ("127.5M", "126.9M", "128.1M")


def test_broadband_runs_with_an_earlier_cutoff(run):
    out = run({"projection_cutoff": "2002-06", "logistic_ceiling": 20_000_000.0})
    glued = cited(out, unquote=True)
    assert glued["cutoff_text"] == "2002-06"
    # cut-off 2002-06, 12-month window: 9 figures at x = -11, -10, -9, -6, -5, -3, -2, -1, 0
    # sum x = -47, sum x^2 = 377, sum y = 16,281,403, sum xy = -49,016,503
    # Sxx = 377 - 47^2 / 9 = 131.556; Sxy = -49,016,503 + 47 * 16,281,403 / 9 = 36,008,601.6
    # b = 273,714.0; a = 16,281,403 / 9 + b * 47 / 9 = 1,809,044.8 + 1,429,395.5 = 3,238,440.3
    # 2003-12 is 18 months later: 3,238,440.3 + 18 * 273,714.0 = 8,165,292.9;
    # against 10,272,052 recorded: 8,165,293 / 10,272,052 - 1 = -20.5%
    fit = series_values(shown(out, "bb-d8"))
    assert number(fit["b"]) == pytest.approx(273_714.03, abs=0.01)
    assert number(fit["a"]) == pytest.approx(3_238_440.28, abs=0.01)
    assert glued["formula"] == "3,238,440 + 273,714 × (months after 2002-06)"
    assert glued["projected"] == "8,165,293"
    assert glued["error_text"] == "−20.5%"
    assert glued["points"] == "9"
    # a ceiling set as a parameter is the logistic's, not a fitted one
    assert (glued["logistic_ceiling_text"], glued["logistic_how"]) == (
        "20,000,000",
        "the ceiling set as a parameter",
    )
    # the figures before the projection do not depend on the cut-off
    assert glued["adsl_series"] == "4,639,545"
    # the projection chart is drawn as the output of its figure cell
    figure = next(
        c
        for c in nbformat.read(out, as_version=4).cells
        if c.metadata.get("mystnb", {}).get("figure", {}).get("name") == "fig-broadband-projection"
    )
    assert any("text/html" in o.get("data", {}) for o in figure.outputs)


def test_a_fixed_ceiling_below_the_other_cutoffs_figures(run):
    # 4,000,000 is above every DSL figure to 2002-06 (3,300,926) but below those to 2003-03
    # (7,023,039): the logistic cannot be fitted there, so the exercise takes the nearest cut-off it can
    out = run(
        {"projection_cutoff": "2002-06", "projection_model": "logistic", "logistic_ceiling": 4_000_000.0}
    )
    glued = cited(out, unquote=True)
    assert glued["logistic_ceiling_text"] == "4,000,000"
    assert glued["alt_cutoff"] == "2002-09"  # the last cut-off whose figures stay below 4,000,000
    assert glued["alt_projected"] != "n/a"


def test_broadband_refuses_a_ceiling_below_the_window(run):
    with pytest.raises(ChapterFailed, match="must exceed 4,639,545"):
        run({"projection_model": "logistic", "logistic_ceiling": 4e6})


def test_broadband_refuses_a_cutoff_with_too_few_points(run):
    # FTTH starts in 2002-01: by 2002-03 the series has 2 figures (2002-01, 2002-03)
    with pytest.raises(ChapterFailed, match="only 2 FTTH observation"):
        run({"projection_series": "FTTH", "projection_cutoff": "2002-03"})


def test_the_market_tied_to_iij_by_hand(default_run):
    g = glued_values(default_run, unquote=True)
    # IIJ's revenues YoY as printed: 2Q02 +10.9%, 1H02 +14.3%
    assert g['fmt.pct(iij["2Q02"]["value"], signed=True)'] == "+10.9%"
    assert g['fmt.pct(iij["1H02"]["value"], signed=True)'] == "+14.3%"
    # the ministry's ADSL count as quoted (Nov 2002): "8.4 times over the year to September to 4.2 million"
    assert (g['Text(f"{adsl_mult.mid:g}")'], g["fmt.count(adsl_sep02)"]) == ("8.4", "4.2M")
    # CATV: "1.8 Million" / 1,151,000 (Sept 2001) = 1.5639; 1.75 / 1.151 = 1.5204; 1.85 / 1.151 = 1.6073
    assert (
        g["multiple(catv_sep.mid - 1)"],
        g["multiple(catv_sep.lo - 1)"],
        g["multiple(catv_sep.hi - 1)"],
    ) == (
        "×1.56",
        "×1.52",
        "×1.61",
    )
    # the two DSL counts differ: 4.2M / 650,796 = 6.4536, against the ministry's own 8.4
    assert g["multiple(adsl_check.mid - 1)"] == "×6.45"
    table = {row[0]: row for row in table_rows(default_run, "bb-iij-d1")}
    # 1Q02: IIJ 9.8788 / 8.3586 - 1 = +18.2% (the record, derived); DSL 3,300,926 / 291,333 = 11.33;
    # CATV 1,626,000 / 967,000 = 1.6815
    assert table["1Q02"][1].startswith("+18.2%") and table["1Q02"][2:4] == ["×11.3", "×1.68"]


def test_revenue_per_unit_of_traffic_by_hand(default_run):
    g = glued_values(default_run, unquote=True)
    # assumed: IIJ's traffic grew with the carriers' 3.4 times; 1.109 / 3.4 = 0.32618, about -67%;
    # range: 1.1085 / 3.45 = 0.32130 (-68%) to 1.1095 / 3.35 = 0.33119 (-67%)
    assert g['Text(f"{sig3(per_unit):g}")'] == "0.326"
    minus = "\u2212"
    assert g["fmt.pct(per_unit - 1, 0, signed=True)"] == minus + "67%"
    assert (
        g["fmt.pct(per_unit_range.lo - 1, 0, signed=True)"],
        g["fmt.pct(per_unit_range.hi - 1, 0, signed=True)"],
    ) == (minus + "68%", minus + "67%")
    assert g["fmt.pct(1 - per_unit, 0)"] == "67%"
    # a year before: 34.5 / 3.45 = 10.0 to 35.5 / 3.35 = 10.6 Gbit/s
    assert "10.0 to 10.6 Gbit/s" in shown(default_run, "bb-iij-d2")


def test_what_was_known_at_the_release(default_run):
    g = glued_values(default_run, unquote=True)
    # known in November 2002: DSL 1,524,348 / 9,723 = 156.78 (×157) to December 2001, and
    # 3,915,740 / 510,339 = 7.6728 (×7.67) to August 2002 (the series' figure published 2002-09-30)
    assert (g["multiple(dsl_dec01 - 1)"], g["multiple(dsl_aug - 1)"]) == ("×157", "×7.67")
    source = nbformat.read(Path(__file__).parent.parent / "chapters" / "broadband.ipynb", as_version=4)
    takeaway = next(
        c for c in source.cells if c.get("id") == "bb-32"
    ).source  # the prose before its evals ran
    before, _, after = takeaway.partition("```{admonition} Hindsight")
    assert "when the release came out" not in takeaway.lower()
    assert 'yoy.loc["2002-12", "DSL"]' not in before and 'yoy.loc["2002-12", "DSL"]' in after

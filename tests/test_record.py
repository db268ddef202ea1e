"""The quarter of record (iijbook.record) and its page (chapters/record.ipynb), against hand computation.

The record's cells are checked one by one against figures worked out by hand in the comments, across
the statuses (printed, earlier, derived, later, unknown); then its invariants: every derived interval
holds its value, every printed cell is its release_figures.csv row, every check but one agrees, a
derived cell is known when the last of its inputs is. The page's tests read the book build's executed
copy (the CSV the download link carries) and open the built page in Chromium.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from iijbook import record

from .conftest import executed_copy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def table() -> pd.DataFrame:
    return record.record().set_index(["period", "line"])


# (period, line, status, value, low, high, known): each worked out by hand
HAND = [
    # 1Q02 revenues = 2Q02 ÷ (1 + QoQ) = 10.6B ÷ 1.073 = 9.8788B;
    # low 10.55B ÷ 1.0735 = 9.8277B, high 10.65B ÷ 1.0725 = 9.9301B
    ("1Q02", "revenues", "derived", 9.8788e9, 9.8277e9, 9.9301e9, "2002-11"),
    # 2Q01 revenues = 2Q02 ÷ (1 + YoY) = 10.6B ÷ 1.109 = 9.5582B;
    # low 10.55B ÷ 1.1095 = 9.5088B, high 10.65B ÷ 1.1085 = 9.6076B
    ("2Q01", "revenues", "derived", 9.5582e9, 9.5088e9, 9.6076e9, "2002-11"),
    # 1H02 revenues = 1Q02 + 2Q02 = 9.8788B + 10.6B = 20.4788B; low 9.8277 + 10.55 = 20.3777B,
    # high 9.9301 + 10.65 = 20.5801B
    ("1H02", "revenues", "derived", 20.4788e9, 20.3777e9, 20.5801e9, "2002-11"),
    # 1H01 revenues = 1H02 ÷ 1.143 = 20.4788B ÷ 1.143 = 17.9168B;
    # low 20.3777 ÷ 1.1435 = 17.8204B, high 20.5801 ÷ 1.1425 = 18.0132B
    ("1H01", "revenues", "derived", 17.9168e9, 17.8204e9, 18.0132e9, "2002-11"),
    # 2H01 revenues = FY2001 − 1H01 = 39.9B − 17.9168B = 21.9832B;
    # low 39.85 − 18.0132 = 21.8368B, high 39.95 − 17.8204 = 22.1296B
    ("2H01", "revenues", "derived", 21.9832e9, 21.8368e9, 22.1296e9, "2002-11"),
    # 1Q01 revenues = 1H01 − 2Q01 = 17.9168B − 9.5582B = 8.3586B;
    # low 17.8204 − 9.6076 = 8.2128B, high 18.0132 − 9.5088 = 8.5044B
    ("1Q01", "revenues", "derived", 8.3586e9, 8.2128e9, 8.5044e9, "2002-11"),
    # 1Q02 operating income: the loss "improved by 58.3% to JPY194M" = −194M ÷ (1 − 0.583) = −465.23M;
    # −193.5 ÷ 0.4175 = −463.47M, −194.5 ÷ 0.4165 = −466.99M
    ("1Q02", "operating income", "derived", -465.23e6, -466.99e6, -463.47e6, "2002-11"),
    # 1Q02 EBITDA = 662M ÷ 2 ("doubled", read as 2 ± 0.05): 331M;
    # 661.5 ÷ 2.05 = 322.68M, 662.5 ÷ 1.95 = 339.74M
    ("1Q02", "EBITDA", "derived", 331e6, 322.68e6, 339.74e6, "2002-11"),
    # 2Q02 D&A = EBITDA − operating income = 662M − (−194M) = 856M; 661.5 + 193.5 = 855M, 662.5 + 194.5 = 857M
    ("2Q02", "D&A", "derived", 856e6, 855e6, 857e6, "2002-11"),
    # 2Q02 gross profit = margin ratio × revenues = 0.110 × 10.6B = 1,166M;
    # 0.1095 × 10.55B = 1,155.2M, 0.1105 × 10.65B = 1,176.8M
    ("2Q02", "gross profit", "derived", 1166e6, 1155.2e6, 1176.8e6, "2002-11"),
    # 2Q02 revenues, printed "JPY10.6B": 10.55B to 10.65B
    ("2Q02", "revenues", "printed", 10.6e9, 10.55e9, 10.65e9, "2002-11"),
    # FY2001 revenues, ¥39.9B as published in May 2002 (iij_context.csv): 39.85B to 39.95B
    ("FY2001", "revenues", "earlier", 39.9e9, 39.85e9, 39.95e9, "2002-05-27"),
    # 3Q01 revenues = 3Q02 ÷ (1 + 6.3%) = 10.6B ÷ 1.063 = 9.9718B, known with the 3Q02 report (2003-02-13);
    # 10.55 ÷ 1.0635 = 9.9201B, 10.65 ÷ 1.0625 = 10.0235B
    ("3Q01", "revenues", "derived", 9.9718e9, 9.9201e9, 10.0235e9, "2003-02-13"),
    # 4Q01 revenues = 2H01 − 3Q01 = 21.9832B − 9.9718B = 12.0114B, known when 3Q01 is (2003-02-13);
    # 21.8368 − 10.0235 = 11.8133B, 22.1296 − 9.9201 = 12.2095B
    ("4Q01", "revenues", "derived", 12.0114e9, 11.8133e9, 12.2095e9, "2003-02-13"),
    # 1H01 operating income = FY2001 − 2H01 = 54M − (151M + 186M) = −283M, known with the FY2002
    # report (2003-05-21); 53.5 − 338 = −284.5M, 54.5 − 336 = −281.5M
    ("1H01", "operating income", "derived", -283e6, -284.5e6, -281.5e6, "2003-05-21"),
    # 2H02 operating income = 3Q02 + 4Q02 = −567M + −446M = −1,013M, the one 2H02 figure
    ("2H02", "operating income", "derived", -1013e6, -1014e6, -1012e6, "2003-05-21"),
    # 3Q02 EBITDA = 4Q02 EBITDA ÷ (1 + 32%) = 459M ÷ 1.32 = 347.73M; 458.5 ÷ 1.325 = 346.04M,
    # 459.5 ÷ 1.315 = 349.43M
    ("3Q02", "EBITDA", "derived", 347.73e6, 346.04e6, 349.43e6, "2003-05-21"),
    # 4Q02 revenues, ¥13.0B in the FY2002 report (2003-05-21): 12.95B to 13.05B
    ("4Q02", "revenues", "later", 13.0e9, 12.95e9, 13.05e9, "2003-05-21"),
    # 3Q02 growth QoQ = 10.6B ÷ 10.6B − 1 = 0, flat; 10.55 ÷ 10.65 − 1 = −0.94%, 10.65 ÷ 10.55 − 1 = +0.95%
    ("3Q02", "growth QoQ", "derived", 0.0, -0.00939, 0.00948, "2003-02-13"),
]


@pytest.mark.parametrize("period, line, status, value, low, high, known", HAND, ids=lambda v: str(v))
def test_a_cell_is_what_the_hand_computation_gives(table, period, line, status, value, low, high, known):
    cell = table.loc[(period, line)]
    assert cell["status"] == status
    scale = 1e-4 if line in record.RATES else abs(value) * 1e-4 + 1e5  # four figures, or ¥0.1M
    assert cell["value"] == pytest.approx(value, abs=scale)
    assert cell["low"] == pytest.approx(low, abs=scale) and cell["high"] == pytest.approx(high, abs=scale)
    assert cell["known"] == known


def test_cells_no_source_implies_are_unknown_and_say_why(table):
    # the margin ratio is printed for 2Q01, 1Q02 and 2Q02 only: 3Q01's is unknown, and so its gross profit
    for period, line in [("3Q01", "margin ratio"), ("3Q01", "gross profit"), ("1Q01", "EBITDA")]:
        cell = table.loc[(period, line)]
        assert cell["status"] == "unknown" and pd.isna(cell["value"]) and pd.isna(cell["known"])
        assert cell["how"] == record.WHY_UNKNOWN[line]


def test_every_derived_interval_holds_its_value(table):
    derived = table[table["status"] == "derived"]
    assert len(derived) > 30
    for key, c in derived.iterrows():
        assert c["low"] - 1e-9 * abs(c["value"]) <= c["value"] <= c["high"] + 1e-9 * abs(c["value"]), key


def test_every_printed_cell_is_its_row_of_the_release_figures():
    from iijbook import data

    figures = data.figures()
    metric = {"revenues": "total_revenues", "growth QoQ": "revenue_growth_qoq",
              "growth YoY": "revenue_growth_yoy", "margin ratio": "gross_margin",
              "operating income": "operating_income", "EBITDA": "ebitda"}  # fmt: skip
    printed = record.record().query("status == 'printed'")
    assert len(printed) == 9  # 2Q02 revenues, QoQ, YoY, ratio, OI, EBITDA; 1H02 YoY; 1Q02 and 2Q01 ratio
    for r in printed.itertuples():
        row = figures[(figures["metric"] == metric[r.line]) & (figures["period"].astype(str) == r.period)]
        assert len(row) == 1, (r.period, r.line)
        assert r.value == row["value"].iloc[0] and r.how == f"release: {row['printed'].iloc[0]}"


def test_every_check_agrees_but_fy2001_net_income():
    checks = record.checks()
    assert len(checks) >= 10
    disagree = checks[~checks["agrees"]]
    # FY2001 net income: −¥7.5B in May 2002 allows −7.55B to −7.45B; the 2003 report's −7,446M is outside
    assert disagree[["period", "line"]].values.tolist() == [["FY2001", "net income"]]
    assert disagree["value"].iloc[0] == -7_446e6
    assert record.record().set_index(["period", "line"]).loc[("FY2001", "net income"), "value"] == -7.5e9


def test_a_derived_cell_is_known_when_its_last_input_is(table):
    # 4Q01 revenues = 2H01 (known 2002-11) − 3Q01 (known 2003-02-13): 2003-02-13
    assert table.loc[("2H01", "revenues"), "known"] == "2002-11"
    assert (
        table.loc[("4Q01", "revenues"), "known"] == table.loc[("3Q01", "revenues"), "known"] == "2003-02-13"
    )
    # 1Q02 growth QoQ = 1Q02 (2002-11) ÷ 4Q01 (2003-02-13) − 1
    assert table.loc[("1Q02", "growth QoQ"), "known"] == "2003-02-13"
    # 1H02 D&A = 1H02 EBITDA − 1H02 operating income, both from the release: 2002-11
    assert table.loc[("1H02", "D&A"), "known"] == "2002-11"
    # every derived cell's date is at least that of each cell its formula names
    for key, c in table[table["status"] == "derived"].iterrows():
        for named in re.findall(
            r"(\d[QH]\d\d|FY\d{4}) ([A-Za-z&][\w &]*?)(?= [÷×+−]| =|\)|$)", c["how"].split(" = ")[0]
        ):
            if named in table.index:
                assert c["known"] >= table.loc[named, "known"], (key, named)


# -- the page ----------------------------------------------------------------------------------------
COLUMNS = ["period", "line", "value", "low", "high", "status", "formula_or_source", "known_from"]


def _csv_of(notebook: Path) -> str:
    """The CSV the page's download link carries, decoded from its data: URL."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            found = re.search(
                r"href='data:text/csv;base64,([A-Za-z0-9+/=]+)'", output.get("data", {}).get("text/html", "")
            )
            if found:
                return base64.b64decode(found[1]).decode("utf-8")
    raise AssertionError("no CSV download link on the page")


def _same_as_the_record(text: str) -> None:
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = record.record()
    # 17 periods × 10 lines, less growth QoQ for the 5 halves and 2 years: 163 rows
    assert list(rows[0]) == COLUMNS and len(rows) == len(expected) == 17 * 10 - 7
    for row, want in zip(rows, expected.itertuples(), strict=True):
        assert (row["period"], row["line"], row["status"]) == (want.period, want.line, want.status)
        assert row["formula_or_source"] == want.how and row["known_from"] == (
            "" if pd.isna(want.known) else want.known
        )
        for column, value in (("value", want.value), ("low", want.low), ("high", want.high)):
            assert (
                (row[column] == "")
                if pd.isna(value)
                else float(row[column]) == pytest.approx(value, rel=1e-12)
            )


def test_the_csv_the_page_offers_is_the_record(built_book):
    _same_as_the_record(_csv_of(executed_copy(built_book, "record")))


@pytest.mark.browser
def test_the_built_page_shows_the_table_draws_the_chart_and_downloads_the_csv(site, tmp_path):
    from playwright.sync_api import sync_playwright

    from tools.browser import CHART, CHROMIUM, launch, serve, wait_for_charts

    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing")
    with serve(site) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            for width in (390, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
                page.goto(f"{url}/chapters/record.html", wait_until="load")
                assert wait_for_charts(page)
                assert page.locator(CHART).count() >= 1
                # two wide tables (November 2002, and with hindsight), 17 periods across, 10 lines down
                assert page.locator(".iijbook-record table thead th[scope=col]").count() == 2 * 17
                assert page.locator(".iijbook-record table tbody th[scope=row]").count() >= 2 * 10
                # the table scrolls inside its own box: the page itself never scrolls sideways
                assert page.evaluate("document.scrollingElement.scrollWidth") <= width + 1
                page.screenshot(path=str(tmp_path / f"record-{width}.png"), full_page=True)
                page.close()
            page = browser.new_page(accept_downloads=True)
            page.goto(f"{url}/chapters/record.html", wait_until="load")
            with page.expect_download() as download:
                page.locator("a.iijbook-download").click()
            assert download.value.suggested_filename == "iij_quarter_of_record.csv"
            _same_as_the_record(Path(download.value.path()).read_text(encoding="utf-8"))
        finally:
            browser.close()

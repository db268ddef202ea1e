"""The data files: valid against their schemas, consistent, every row with provenance."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from iijbook import data
from iijbook.data import DataError
from iijbook.metrics import Interval
from iijbook.schema import SCHEMAS
from iijbook_build.datacheck import load_table

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_data_file_validates(name):
    table = load_table(name)
    assert len(table) > 0


def test_every_csv_in_data_has_a_schema():
    assert {p.name for p in DATA.glob("*.csv")} == set(SCHEMAS)


def test_release_figures_cover_the_release():
    figures = data.figures()
    dc = data.data_centers()
    # about fifty figures: the issue's own count
    assert len(figures) + len(dc) >= 50
    sections = set(figures["section"])
    assert {"highlights", "guidance", "data_centers", "broadband_market", "services"} <= sections


@pytest.mark.parametrize("name", sorted(n for n in SCHEMAS if n != "gaps.csv"))
def test_every_row_has_provenance(name):
    table = load_table(name)
    assert table["source"].str.len().min() > 0
    if name in ("release_figures.csv", "data_centers.csv"):
        # the release's own figures keep the form they were printed in
        assert table["printed"].str.len().min() > 0
        assert table["source"].str.startswith("release").all()


def test_release_figures_quote_the_release_text():
    text = "".join(
        p.read_text(encoding="utf-8") for p in (DATA.parent.parent / "shared" / "release").glob("*")
    )
    if not text:
        pytest.skip("../shared/release is not beside the project")
    for _, row in data.figures().iterrows():
        printed = row["printed"]
        if row["unit"] in {"JPY", "USD", "ratio", "subscribers", "terminals"} and any(
            c.isdigit() for c in printed
        ):
            assert printed.replace("JPY", "JPY") in text.replace("\\$", "$"), (row["id"], printed)


def test_stated_values_match_their_printed_form():
    # each value in base units equals the printed figure read by hand
    expected = {
        "revenue_2q02": 10.6e9,
        "revenue_usd_2q02": 86.8e6,
        "revenue_growth_qoq_2q02": 0.073,
        "revenue_growth_yoy_2q02": 0.109,
        "revenue_growth_yoy_1h02": 0.143,
        "gross_margin_2q02": 0.110,
        "gross_margin_1q02": 0.091,
        "gross_margin_2q01": 0.141,
        "operating_income_2q02": -194e6,
        "operating_loss_improvement_2q02": 0.583,
        "ebitda_2q02": 662e6,
        "guide_revenue_low_3q02": 10.5e9,
        "guide_revenue_high_3q02": 11.0e9,
        "guide_revenue_low_usd_3q02": 86.2e6,
        "guide_revenue_high_usd_3q02": 90.4e6,
        "guide_revenue_growth_fy2002": 0.20,
        "internet_penetration_1999_12": 0.214,
        "internet_penetration_2001_12": 0.440,
        "mobile_internet_2002_08": 56.3e6,
        "adsl_2000_03": 211,
        "adsl_2002_10": 4.6e6,
        "catv_internet_2002_09": 1.8e6,
        "ftth_2002_09": 114608,
        "data_centers_existing": 9,
    }
    for fid, value in expected.items():
        assert data.figure(fid).value == pytest.approx(value), fid


def test_data_center_totals_equal_the_sum_of_their_steps():
    dc = data.data_centers()
    checked = 0
    for (center, item), group in dc.groupby(["center", "item"]):
        steps = group[group["step"] != "Total"]["value"].sum()
        total = group[group["step"] == "Total"]["value"].item()
        assert steps == total, f"{center} {item}: steps add to {steps}, the table says {total}"
        checked += 1
    assert checked == 8  # two centres, four rows each


def test_yokohama_totals_as_printed():
    dc = data.data_centers().set_index("id")
    assert dc.loc["yokohama1_total_floor_space", "value"] == 39165
    assert dc.loc["yokohama1_total_office_seats", "value"] == 315
    assert dc.loc["saitama1_total_server_room", "value"] == 4736


def test_ambiguous_figures_keep_their_printed_form_and_say_what_they_mean():
    phones = data.figure("mobile_phones_2002_08")
    assert phones.printed == "7,160 terminals" and phones.value == 7160
    assert "71.6 million" in phones.note
    seats = data.data_centers().set_index("id").loc["yokohama1_step1_office_seats"]
    assert seats["printed"] == "(95)" and "seats" in seats["note"]


def test_gaps_list_the_lost_charts():
    g = data.gaps()
    assert {"Revenues Growth (QoQ)", "IP Service ARPU", "CAPEX (QoQ)", "Pricing (DSL)"} <= set(
        g["chart_title"]
    )


def test_figure_interval_follows_the_printing():
    assert data.figure("revenue_usd_2q02").interval.lo == pytest.approx(86.75e6)
    # words carry no rounding interval
    assert data.figure("ebitda_multiple_qoq_2q02").interval.width == 0


def test_unknown_figure_is_a_clear_key_error():
    with pytest.raises(KeyError, match="no figure with id 'nope'"):
        data.figure("nope")


# -- bad files: each error names file, line and column --------------------------------
@pytest.fixture
def broken(tmp_path, monkeypatch):
    """A copy of data/ that a test may break; the lib is pointed at it."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    monkeypatch.setenv("IIJBOOK_DATA_DIR", str(copy))
    return copy


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_non_numeric_value_names_file_line_and_column(broken):
    _rewrite(broken / "release_figures.csv", ",10600000000,JPY,", ",ten billion,JPY,")
    with pytest.raises(DataError) as err:
        load_table("release_figures.csv")
    msg = str(err.value)
    assert "release_figures.csv, line 2 (id revenue_2q02), column value" in msg
    assert "'ten billion' is not a number" in msg


def test_missing_column(broken):
    df = pd.read_csv(broken / "gaps.csv").drop(columns=["what_is_lost"])
    df.to_csv(broken / "gaps.csv", index=False)
    with pytest.raises(DataError, match=r"gaps.csv, line 1 \(the header\): missing column 'what_is_lost'"):
        load_table("gaps.csv")


def test_duplicate_id(broken):
    _rewrite(broken / "release_figures.csv", "revenue_usd_2q02,", "revenue_2q02,")
    with pytest.raises(
        DataError, match=r"line 3 \(id revenue_2q02\), column id: 'revenue_2q02' is a duplicate"
    ):
        load_table("release_figures.csv")


def test_unknown_unit(broken):
    _rewrite(broken / "release_figures.csv", ",86800000,USD,", ",86800000,EUR,")
    with pytest.raises(
        DataError,
        match=r"line 3 \(id revenue_usd_2q02\), column unit: 'EUR' fails: unit must be one of JPY",
    ):
        load_table("release_figures.csv")


def test_period_that_is_not_a_fiscal_period(broken):
    _rewrite(
        broken / "release_figures.csv",
        "revenue_2q02,highlights,total_revenues,2Q02,",
        "revenue_2q02,highlights,total_revenues,Q5 2002,",
    )
    with pytest.raises(
        DataError,
        match=r"line 2 \(id revenue_2q02\), column period: 'Q5 2002' fails: not a fiscal period",
    ):
        load_table("release_figures.csv")


def test_value_out_of_range_for_its_unit(broken):
    _rewrite(broken / "release_figures.csv", ",0.073,ratio,", ",73,ratio,")
    with pytest.raises(DataError, match=r"line 5 \(id revenue_growth_qoq_2q02\).*out of the range"):
        load_table("release_figures.csv")


def test_empty_file(broken):
    (broken / "data_centers.csv").write_text("")
    with pytest.raises(DataError, match="data_centers.csv: empty file"):
        load_table("data_centers.csv")


def test_file_that_is_not_utf8(broken):
    path = broken / "gaps.csv"
    path.write_bytes(path.read_bytes().replace(b"CAPEX Trend", "CAPEX \xe9 Trend".encode("latin-1")))
    with pytest.raises(DataError, match=r"gaps.csv, line \d+, column chart_title: not UTF-8"):
        load_table("gaps.csv")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_loading_gives_the_frame_pandas_itself_reads(name):
    # the guarded reader parses the bytes itself; the table must be what read_csv gives
    # (text columns keep pandas' own text dtype, which charts infer their field types from)
    raw = pd.read_csv(DATA / name, dtype=str, keep_default_na=False).replace({"": None})
    expected = SCHEMAS[name].validate(raw, lazy=True)
    for table in (load_table(name), data.load_table(name)):  # the build's check, the chapters' loader
        assert table.equals(expected) and table.dtypes.equals(expected.dtypes)


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        (",10600000000,JPY,", ",ten billion,JPY,", "column value, data row 1: 'ten billion' (coerce_dtype"),
        (",JPY,JPY10.6B,", ",yen,JPY10.6B,", "column unit, data row 1: 'yen' (unit must be one of"),
    ],
    ids=["not a number", "unknown unit"],
)
def test_the_chapters_loader_refuses_a_bad_file_naming_its_column_and_row(broken, old, new, named):
    # the build names the line too, before any chapter runs; a chapter run by hand still refuses
    _rewrite(broken / "release_figures.csv", old, new)
    with pytest.raises(DataError) as err:
        data.load_table("release_figures.csv")
    assert str(err.value).startswith(f"{broken / 'release_figures.csv'}: does not match its schema: ")
    assert named in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a figure dated both ways, and one dated neither way
        (
            ",FY2001,,net_income,-7500",
            ",FY2001,2002-05,net_income,-7500",
            r"line 2 \(id net_income_fy2001_may2002\), column period: .* fiscal period or an as_of month",
        ),
        (
            ",,2002-05,crosswave_stake,",
            ",,,crosswave_stake,",
            r"line 4 \(id crosswave_stake_2002_05\), column period: .* fiscal period or an as_of month",
        ),
        # a stake above what a ratio may be, and a row that does not say when it was published
        (",0.379,ratio,", ",37.9,ratio,", r"line 4 \(id crosswave_stake_2002_05\).*out of the range"),
        (
            ",JPY,2005,sec.gov",
            ",JPY,,sec.gov",
            r"line 6 \(id equity_in_crosswave_losses_fy2001\), column published: .*empty",
        ),
    ],
    ids=["both dates", "no date", "ratio out of range", "no publication date"],
)
def test_a_broken_context_row_is_named_by_line_id_and_column(broken, old, new, message):
    _rewrite(broken / "iij_context.csv", old, new)
    with pytest.raises(DataError, match=message):
        load_table("iij_context.csv")


def test_a_count_printed_in_full_is_exact():
    # "ADSL 211 => 4.6 Million": 211 is a count of subscribers, 4.6 Million a rounded figure
    assert data.figure("adsl_2000_03").interval == Interval(211.0, 211.0)
    assert data.figure("adsl_2002_10").interval == Interval(4_550_000.0, 4_650_000.0)
    assert data.figure("data_centers_existing").interval == Interval(9.0, 9.0)


def test_the_national_broadband_series_holds_no_partial_count():
    # a count of one carrier's lines (NTT East/West only) is not a national figure
    table = load_table("japan_broadband_monthly.csv")
    partial = table[table["source"].str.contains(r"\bonly\b|NTT East", regex=True)]
    assert partial.empty, partial

"""IIJ's fiscal calendar: April to March, quarters labelled as the release labels them."""

import datetime as dt

import pytest
from iijbook.periods import FiscalPeriod, PeriodError


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("1Q02", dt.date(2002, 4, 1), dt.date(2002, 6, 30)),
        ("2Q02", dt.date(2002, 7, 1), dt.date(2002, 9, 30)),
        ("3Q02", dt.date(2002, 10, 1), dt.date(2002, 12, 31)),
        ("4Q02", dt.date(2003, 1, 1), dt.date(2003, 3, 31)),
        ("1H02", dt.date(2002, 4, 1), dt.date(2002, 9, 30)),
        ("2H02", dt.date(2002, 10, 1), dt.date(2003, 3, 31)),
        ("FY2002", dt.date(2002, 4, 1), dt.date(2003, 3, 31)),
    ],
)
def test_fiscal_calendar_matches_the_design(label, start, end):
    p = FiscalPeriod.parse(label)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("label", ["2Q02", "2Q FY2002", "2q2002", " 2Q 02 "])
def test_quarter_spellings_parse_to_one_period(label):
    assert FiscalPeriod.parse(label) == FiscalPeriod(2002, "Q", 2)


def test_labels_round_trip():
    for label in ["1Q01", "4Q02", "1H02", "2H01", "FY2001", "FY2002"]:
        assert FiscalPeriod.parse(label).label == label


def test_release_comparisons():
    q = FiscalPeriod.parse("2Q02")
    assert q.shift(-1).label == "1Q02"  # the release's QoQ base
    assert q.year_ago().label == "2Q01"  # its YoY base
    assert FiscalPeriod.parse("1Q02").shift(-1).label == "4Q01"  # across the year end
    assert FiscalPeriod.parse("4Q02").shift(1).label == "1Q03"


def test_halves_and_years_are_made_of_quarters():
    p = FiscalPeriod.parse
    assert (p("2H02").start, p("2H02").end) == (p("3Q02").start, p("4Q02").end)
    assert (p("FY2002").start, p("FY2002").end) == (p("1Q02").start, p("4Q02").end)
    assert p("1H02").months == 2 * p("1Q02").months == 6


def test_dates_fall_in_the_right_quarter():
    # Yokohama 1 STEP1 opens in January 2003: the fourth quarter of FY2002
    assert FiscalPeriod.quarter_of(dt.date(2003, 1, 15)).label == "4Q02"
    assert FiscalPeriod.quarter_of(dt.date(2002, 4, 1)).label == "1Q02"
    assert FiscalPeriod.quarter_of(dt.date(2002, 3, 31)).label == "4Q01"


@pytest.mark.parametrize("label", ["5Q02", "Q2", "2002-09", "3H02", "", "FY"])
def test_bad_labels_are_refused_with_the_label_named(label):
    with pytest.raises(PeriodError, match="not a fiscal period"):
        FiscalPeriod.parse(label)


def test_span_reads_naturally():
    assert FiscalPeriod.parse("2Q02").span == "Jul-Sep 2002"
    assert FiscalPeriod.parse("FY2002").span == "Apr 2002-Mar 2003"

"""The schemas of the book's data files: column types, units and ranges.

Each CSV in ``data/`` has a pandera schema here. Files are read as text and
coerced by the schema, so a value that is not a number, a unit the book does
not know or a period that is not a fiscal period is reported with its file,
line and column by :func:`iijbook.data.load_table`.
"""

from __future__ import annotations

import datetime
import math
import re

import pandas as pd
import pandera.pandas as pa

from .periods import FiscalPeriod, PeriodError

#: Sections of the release, in the order the book's chapters take them.
SECTIONS = (
    "highlights",
    "revenues",
    "guidance",
    "services",
    "systems_integration",
    "equipment_sales",
    "profitability",
    "capex",
    "data_centers",
    "broadband_market",
)

#: Units a figure may carry, and the range of values each allows.
UNITS: dict[str, tuple[float, float]] = {
    "JPY": (-1e13, 1e13),
    "USD": (-1e11, 1e11),
    "ratio": (-1.0, 10.0),
    "multiple": (0.0, 100.0),
    "rank": (1, 1000),
    "count": (0, 1e9),
    "subscribers": (0, 1e9),
    "terminals": (0, 1e9),
    "seats": (0, 1e6),
    "m2": (0, 1e7),
    "bit/s": (0, 1e15),
}

_ID = r"^[a-z0-9][a-z0-9_]*$"
_MONTH = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
_DATE = r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"


def _is_period(label: str) -> bool:
    try:
        FiscalPeriod.parse(label)
    except PeriodError:
        return False
    return True


def _is_finite(x: float) -> bool:
    return isinstance(x, float) and math.isfinite(x)


def is_date(text: object) -> bool:
    """Whether ``text`` is a real calendar date written ``YYYY-MM-DD`` (1900-2099).

    >>> is_date("2000-02-29"), is_date("2000-02-30"), is_date("2001-02-29"), is_date("2000-2-1")
    (True, False, False, False)
    """
    if not isinstance(text, str) or not re.fullmatch(_DATE, text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


_period_check = pa.Check(
    lambda s: s.isna() | s.map(lambda v: isinstance(v, str) and _is_period(v)),
    error="not a fiscal period (write 2Q02, 1H02 or FY2002)",
)
_month_check = pa.Check(
    lambda s: s.isna() | s.astype("string").str.fullmatch(_MONTH[1:-1]).fillna(False),
    error="not a month (write YYYY-MM)",
)
_id_check = pa.Check.str_matches(_ID, error="ids are lower-case letters, digits and _")
_date_check = pa.Check(
    lambda s: s.map(is_date), element_wise=False, error="not a date (write YYYY-MM-DD, a day the month has)"
)
_finite = pa.Check(lambda s: s.map(_is_finite), element_wise=False, error="not a finite number")


def _in_unit_range(df: pd.DataFrame) -> pd.Series:
    lo = df["unit"].map(lambda u: UNITS.get(u, (-math.inf, math.inf))[0])
    hi = df["unit"].map(lambda u: UNITS.get(u, (-math.inf, math.inf))[1])
    return (df["value"] >= lo) & (df["value"] <= hi)


def _period_xor_month(df: pd.DataFrame) -> pd.Series:
    return df["period"].notna() ^ df["as_of"].notna()


_text = pa.Column(str, pa.Check.str_length(min_value=1), nullable=False)
_note = pa.Column(str, nullable=True)
_value = pa.Column(float, _finite, coerce=True, nullable=False)
_unit = pa.Column(str, pa.Check.isin(list(UNITS), error=f"unit must be one of {', '.join(UNITS)}"))

_UNIT_RANGE = "value out of the range its unit allows"
_PERIOD_OR_MONTH = "a figure needs a fiscal period or an as_of month, not both"

#: A figure dated by a fiscal period or by a month, in a unit whose range it keeps to.
_period = pa.Column(str, _period_check, nullable=True)
_as_of = pa.Column(str, _month_check, nullable=True)
_FIGURE_CHECKS = [
    pa.Check(_period_xor_month, error=_PERIOD_OR_MONTH),
    pa.Check(_in_unit_range, error=_UNIT_RANGE),
]

#: The column a check over whole rows is about: its failures are reported there, once a row.
ROW_CHECK_COLUMNS = {_UNIT_RANGE: "value", _PERIOD_OR_MONTH: "period"}

RELEASE_FIGURES = pa.DataFrameSchema(
    {
        "id": pa.Column(str, _id_check, unique=True),
        "section": pa.Column(str, pa.Check.isin(list(SECTIONS))),
        "metric": pa.Column(str, pa.Check.str_matches(_ID)),
        "period": _period,
        "as_of": _as_of,
        "value": _value,
        "unit": _unit,
        "printed": _text,
        "source": _text,
        "note": _note,
    },
    checks=_FIGURE_CHECKS,
    strict=True,
    ordered=True,
    name="release_figures",
)

DATA_CENTERS = pa.DataFrameSchema(
    {
        "id": pa.Column(str, _id_check, unique=True),
        "center": _text,
        "step": pa.Column(str, pa.Check.str_matches(r"^(STEP[1-9]|Total)$")),
        "opens": pa.Column(str, _month_check, nullable=True),
        "item": pa.Column(str, pa.Check.isin(["floor_space", "server_room", "office_space", "office_seats"])),
        "value": _value,
        "unit": pa.Column(str, pa.Check.isin(["m2", "seats"])),
        "printed": _text,
        "source": _text,
        "note": _note,
    },
    checks=[pa.Check(_in_unit_range, error=_UNIT_RANGE)],
    strict=True,
    ordered=True,
    name="data_centers",
)

GAPS = pa.DataFrameSchema(
    {
        "id": pa.Column(str, _id_check, unique=True),
        "section": pa.Column(str, pa.Check.isin(list(SECTIONS))),
        "chart_title": _text,
        "printed_axes": _note,
        "what_is_lost": _text,
        "note": _note,
    },
    strict=True,
    ordered=True,
    name="gaps",
)

REPORTED_LATER = pa.DataFrameSchema(
    {
        "id": pa.Column(str, _id_check, unique=True),
        "period": pa.Column(str, _period_check),
        "metric": pa.Column(str, pa.Check.str_matches(_ID)),
        "value": _value,
        "unit": _unit,
        "source": _text,
        "note": _note,
    },
    checks=[pa.Check(_in_unit_range, error=_UNIT_RANGE)],
    strict=True,
    ordered=True,
    name="iij_reported_later",
)

CONTEXT = pa.DataFrameSchema(
    {
        "id": pa.Column(str, _id_check, unique=True),
        "period": _period,
        "as_of": _as_of,
        "metric": pa.Column(str, pa.Check.str_matches(_ID)),
        "value": _value,
        "unit": _unit,
        "published": _text,
        "source": _text,
        "note": _note,
    },
    checks=_FIGURE_CHECKS,
    strict=True,
    ordered=True,
    name="iij_context",
)

BROADBAND_MONTHLY = pa.DataFrameSchema(
    {
        "month_end": pa.Column(str, _date_check),
        "technology": pa.Column(str, pa.Check.isin(["DSL", "CATV", "FTTH"])),
        "subscribers": pa.Column(float, [_finite, pa.Check.in_range(0, 1e9)], coerce=True),
        "approx": pa.Column(str, pa.Check.isin(["true", "false"], error="approx is true or false")),
        "source": _text,
    },
    unique=["month_end", "technology"],
    strict=True,
    ordered=True,
    name="japan_broadband_monthly",
)

BROADBAND_PER_100 = pa.DataFrameSchema(
    {
        "country": _text,
        "year": pa.Column(int, pa.Check.in_range(1990, 2030), coerce=True),
        "subscribers_per_100": pa.Column(float, [_finite, pa.Check.in_range(0, 100)], coerce=True),
        "source": _text,
    },
    unique=["country", "year"],
    strict=True,
    ordered=True,
    name="broadband_per_100_inhabitants",
)

SI_KEY_CUSTOMERS = pa.DataFrameSchema(
    {
        "customer": pa.Column(str, pa.Check.str_length(min_value=1), unique=True),
        "line_of_business": _text,
        "named_in": _text,
        "source": _text,
        "note": _note,
    },
    strict=True,
    ordered=True,
    name="si_key_customers",
)

#: Each data file and the schema that validates it.
SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "release_figures.csv": RELEASE_FIGURES,
    "data_centers.csv": DATA_CENTERS,
    "gaps.csv": GAPS,
    "iij_reported_later.csv": REPORTED_LATER,
    "iij_context.csv": CONTEXT,
    "japan_broadband_monthly.csv": BROADBAND_MONTHLY,
    "broadband_per_100_inhabitants.csv": BROADBAND_PER_100,
    "si_key_customers.csv": SI_KEY_CUSTOMERS,
}

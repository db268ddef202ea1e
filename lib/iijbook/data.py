"""Load the book's data files, validate them, and look figures up.

Every figure the release prints is one row of ``data/release_figures.csv``
(the data-centre tables are in ``data/data_centers.csv``). Loading checks each
file against its schema in :mod:`iijbook.schema`; a bad file raises
:class:`DataError` naming the file, the line and the column.

>>> f = figure("revenue_2q02")
>>> f.value, f.printed, str(f.period)
(10600000000.0, 'JPY10.6B', '2Q02')
>>> f.interval.lo, f.interval.hi
(10550000000.0, 10650000000.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from .datafiles import data_dir
from .metrics import Interval, precision_of
from .periods import FiscalPeriod
from .schema import SCHEMAS

#: Units whose printed form carries its precision (a rounding interval applies).
_ROUNDED_UNITS = {"JPY", "USD", "ratio", "subscribers", "m2"}

#: A whole number printed in full, without a unit or scale ("211"): a count, exact.
_IN_FULL = re.compile(r"[0-9]{1,3}(,[0-9]{3})*|[0-9]+")

#: How many of a file's problems the loader's message lists.
SHOWN_PROBLEMS = 5


class DataError(ValueError):
    """A data file that does not match its schema, with where and why."""


def load_table(name: str, directory: Path | None = None) -> pd.DataFrame:
    """Read one data file and validate it against its schema; :class:`DataError` if it is bad.

    The build checks every data file before any chapter runs and names the line, id and
    column of each problem (``python -m iijbook_build.datacheck`` does the same by hand);
    here a file that still fails its schema is refused with the first problems pandera finds.

    >>> load_table("data_centers.csv").shape
    (32, 10)
    """
    if name not in SCHEMAS:
        raise DataError(f"{name}: no schema for this file (known: {', '.join(SCHEMAS)})")
    path = (directory or data_dir()) / name
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8").replace({"": None})
        return SCHEMAS[name].validate(raw, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        unconverted = cases["check"].astype(str).str.startswith("coerce_dtype")
        cases = (cases[unconverted] if unconverted.any() else cases).head(SHOWN_PROBLEMS)
        problems = [
            f"column {c.column}, data row {'?' if pd.isna(c.index) else int(c.index) + 1}: "
            f"{c.failure_case!r} ({c.check})"
            for c in cases.itertuples()
        ]
        raise DataError(f"{path}: does not match its schema: " + "; ".join(problems)) from None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not a CSV
        raise DataError(f"{path}: cannot read it as a CSV file ({type(exc).__name__}: {exc})") from None


@dataclass(frozen=True)
class Figure:
    """One figure the release prints, with where it came from."""

    id: str
    section: str
    metric: str
    period: FiscalPeriod | None
    as_of: str | None
    value: float
    unit: str
    printed: str
    source: str
    note: str

    @property
    def interval(self) -> Interval:
        """The values the printed figure allows (exact for words, and for counts printed in full).

        >>> figure("revenue_growth_qoq_2q02").interval
        Interval(lo=0.0725, hi=0.0735)
        >>> figure("adsl_2000_03").interval  # "ADSL 211": a count, not a rounded figure
        Interval(lo=211.0, hi=211.0)
        """
        if self.unit not in _ROUNDED_UNITS or _IN_FULL.fullmatch(self.printed):
            return Interval.exact(self.value)
        try:
            step = precision_of(self.printed)
        except ValueError:
            return Interval.exact(self.value)
        iv = Interval.around(self.value, step)
        return Interval(round(iv.lo, 12), round(iv.hi, 12))


@cache
def _figures(directory: str) -> pd.DataFrame:
    return load_table("release_figures.csv", Path(directory))


def figures() -> pd.DataFrame:
    """All figures of ``release_figures.csv``, validated."""
    return _figures(str(data_dir())).copy()


@cache
def _figure_index(directory: str) -> dict[str, Figure]:
    """Every figure of the file by id (built once: chapters look figures up hundreds of times)."""
    index: dict[str, Figure] = {}
    for r in _figures(directory).to_dict("records"):
        index[r["id"]] = Figure(
            id=r["id"],
            section=r["section"],
            metric=r["metric"],
            period=FiscalPeriod.parse(r["period"]) if isinstance(r["period"], str) else None,
            as_of=r["as_of"] if isinstance(r["as_of"], str) else None,
            value=float(r["value"]),
            unit=r["unit"],
            printed=r["printed"],
            source=r["source"],
            note=r["note"] if isinstance(r["note"], str) else "",
        )
    return index


def figure(figure_id: str) -> Figure:
    """One figure by id.

    >>> figure("ebitda_2q02").value / 1e6
    662.0
    """
    try:
        return _figure_index(str(data_dir()))[figure_id]
    except KeyError:
        raise KeyError(f"no figure with id {figure_id!r} in release_figures.csv") from None


def data_centers() -> pd.DataFrame:
    """The Yokohama 1 and Saitama 1 tables, one row a cell."""
    return load_table("data_centers.csv")


def gaps(section: str | None = None) -> pd.DataFrame:
    """The charts whose numbers were lost, optionally for one section."""
    table = load_table("gaps.csv")
    return table if section is None else table[table["section"] == section].reset_index(drop=True)


def reported_later() -> pd.DataFrame:
    """IIJ's results as reported after the release (3Q02, 4Q02, FY2002), with sources."""
    return load_table("iij_reported_later.csv")


def context() -> pd.DataFrame:
    """IIJ's context from elsewhere (its losses, its stake in Crosswave), each row with when it
    was published and its source.

    >>> context().set_index("id").loc["crosswave_stake_2002_05", "value"]
    np.float64(0.379)
    """
    return load_table("iij_context.csv")


def broadband_monthly() -> pd.DataFrame:
    """Japan's DSL, CATV and FTTH subscribers by month end (1999-2003), each row with its source.

    >>> t = broadband_monthly()
    >>> int(t[(t.technology == "DSL") & (t.month_end == "2000-03-31")].subscribers.item())
    211
    """
    table = load_table("japan_broadband_monthly.csv")
    table["month_end"] = pd.to_datetime(table["month_end"])
    table["approx"] = table["approx"] == "true"
    return table.sort_values(["technology", "month_end"]).reset_index(drop=True)


def broadband_per_100() -> pd.DataFrame:
    """Broadband subscribers per 100 inhabitants: Japan, Korea, the US, the OECD (2001-2003)."""
    return load_table("broadband_per_100_inhabitants.csv")


def si_key_customers() -> pd.DataFrame:
    """The systems-integration customers the release names, with their line of business."""
    return load_table("si_key_customers.csv")

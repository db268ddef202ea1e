"""Check the book's data files before any chapter runs, one line a problem naming file, line, id
and column. pandera (:mod:`iijbook.schema`, as the chapters' loader) knows rows, not lines (a quoted
field may span two; blank lines are skipped) and coerces what ``float`` takes (``1_000``, ``١٢``,
``inf``): so the CSV is read here, each row keeping its line, numbers are checked as a reader writes
them, and pandera's failures are named by line. ``python -m iijbook_build.datacheck [FOLDER]`` checks
a folder by hand (the book's ``data/`` by default) and exits 1 if anything is wrong.

>>> problems(data_dir())
[]
"""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from iijbook.data import DataError
from iijbook.datafiles import data_dir
from iijbook.params import shown
from iijbook.schema import ROW_CHECK_COLUMNS, SCHEMAS

from .inputs import _FLOAT, _INT, InputError, read_bytes

#: The largest data file read (the largest is a few KiB).
DATA_FILE_LIMIT = 32 << 20
#: What a failed pandera check says about its cell, by the start of the check's name.
_SAID = {
    "coerce_dtype": "is not a number",
    "field_uniqueness": "is a duplicate (ids must be unique)",
    "not_nullable": "is empty (the column needs a value)",
    "isin": "is not allowed ({check})",
}


def _at(path: Path, raw: pd.DataFrame, line: int, column: str | None) -> str:
    """``PATH, line N (id X), column C``: where a cell is (``raw`` is indexed by line)."""
    row_id = raw.at[line, "id"] if "id" in raw.columns else None
    label = f" (id {row_id})" if isinstance(row_id, str) and row_id else ""
    return f"{path}, line {line}{label}" + (f", column {column}" if column else "")


def _explain(path: Path, raw: pd.DataFrame, err: pa.errors.SchemaErrors) -> str:
    """pandera's failure cases, one line a problem. A check over whole rows is reported once a row,
    at the column it is about, and only for rows whose cells passed their own checks."""
    cases = err.failure_cases
    whole_row = cases["schema_context"].astype(str).eq("DataFrameSchema") & cases["index"].notna()
    rows_with_cell_errors = set(cases.loc[~whole_row, "index"].dropna().astype(int))
    # a column that could not be converted fails every later check on every row: say the conversion
    unconverted = set(cases.loc[cases["check"].astype(str).str.startswith("coerce_dtype"), "column"])
    lines: list[str] = []
    for case, row_check in zip(cases.itertuples(), whole_row, strict=True):
        check, value = str(case.check), case.failure_case
        column = case.column if isinstance(case.column, str) else None
        if unconverted and not check.startswith("coerce_dtype"):
            if column in unconverted or "TypeError" in str(value):
                continue
        if check.startswith("column_in_dataframe"):
            lines.append(f"{path}, line 1 (the header): missing column {value!r}")
        elif check.startswith("column_in_schema"):
            lines.append(f"{path}: unexpected column {value!r}")
        elif check.startswith("column_ordered"):
            lines.append(f"{path}: columns out of order at {value!r} (the file has {list(raw.columns)!r})")
        elif pd.isna(case.index):
            lines.append(f"{path}{f', column {column}' if column else ''}: {check} ({shown(value)})")
        elif not (row_check and int(case.index) in rows_with_cell_errors):
            line, column = int(case.index), ROW_CHECK_COLUMNS.get(check, column) if row_check else column
            cell = raw.at[line, column] if column in raw.columns else value
            said = next((s for k, s in _SAID.items() if check.startswith(k)), "fails: {check}")
            said = said.format(check=check)
            lines.append(f"{_at(path, raw, line, column)}: {shown(cell)} {said}")
    return "\n".join(dict.fromkeys(lines))  # in order, once each


def _table(path: Path, blob: bytes) -> pd.DataFrame:
    """The rows as ``read_csv(dtype=str)`` reads them, indexed by the line each starts on. Blank lines
    are skipped; bad bytes, a bad quote and a row whose fields do not match the header are refused
    naming their line (and the column of a bad byte, read from the header)."""
    try:
        text = blob.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        header = next(csv.reader([blob.split(b"\n", 1)[0].decode("utf-8", "replace")]), [])
        prefix = blob[blob.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8", "replace")
        position = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
        named = header[position] if 0 <= position < len(header) else ""
        column = f", column {named}" if named.isprintable() and named else ""  # not UTF-16's NULs
        line = blob[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}{column}: not UTF-8 (byte {exc.start}: {exc.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            if record and (len(record) > 1 or record[0].strip()):  # not a blank line
                if records and len(record) != len(records[0]):
                    fields = f"{len(record)} field{'s' if len(record) != 1 else ''}"
                    raise DataError(f"{path}, line {start} has {fields}, the header has {len(records[0])}")
                records.append(record)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{path}, line {start}: not a readable CSV ({exc})") from None
    if not records:
        raise DataError(f"{path}: empty file (expected a header row and figures)")
    header, *rows = records
    if twice := sorted({c for c in header if header.count(c) > 1}):
        raise DataError(f"{path}, line 1 (the header): column {shown(twice[0])} appears twice")
    if not rows:
        raise DataError(f"{path}: no rows under the header")
    return pd.DataFrame(rows, columns=header, index=lines[1:], dtype=str).replace({"": None})


def _not_a_number(cell: str, whole: bool) -> str:
    """What is wrong with a cell of a numeric column, or nothing."""
    if whole and not _INT.fullmatch(cell):
        return "is not a whole number"
    if cell.strip().lstrip("+-").lower() in ("inf", "infinity", "nan"):
        return "is not a finite number"
    if not _FLOAT.fullmatch(cell):
        return "is not a number"
    return "" if math.isfinite(float(cell)) else "is not a finite number"


def load_table(name: str, directory: Path | None = None) -> pd.DataFrame:
    """Read (a regular file, 32 MiB at most) and validate one data file as the build does;
    :class:`DataError` if it is bad, one line a problem.

    >>> load_table("data_centers.csv").shape
    (32, 10)
    """
    if name not in SCHEMAS:
        raise DataError(f"{name}: no schema for this file (known: {', '.join(SCHEMAS)})")
    path = (directory or data_dir()) / name
    try:
        raw = _table(path, read_bytes(path, "data file", DATA_FILE_LIMIT))
    except InputError as exc:
        raise DataError(str(exc)) from None
    kinds = {column: str(spec.dtype) for column, spec in SCHEMAS[name].columns.items() if column in raw}
    found = [
        f"{_at(path, raw, line, column)}: {shown(cell)} {why}"
        for column, kind in kinds.items()
        if kind.startswith(("float", "int"))
        for line, cell in raw[column].items()
        if pd.notna(cell) and (why := _not_a_number(cell, kind.startswith("int")))
    ]
    if found:  # before the schema, which would convert them
        raise DataError("\n".join(found))
    try:
        return SCHEMAS[name].validate(raw, lazy=True).reset_index(drop=True)
    except pa.errors.SchemaErrors as exc:
        raise DataError(_explain(path, raw, exc)) from None


def problems(folder: Path) -> list[str]:
    """Every problem of the data files in ``folder``, one line each; every file with a schema must
    be there (the chapters read each)."""
    found: list[str] = []
    for name in SCHEMAS:
        try:
            load_table(name, folder)
        except DataError as exc:
            found += str(exc).splitlines()
    return found


if __name__ == "__main__":
    found = problems(Path(sys.argv[1]) if sys.argv[1:] else data_dir())
    print("\n".join(found) or "every data file matches its schema")
    raise SystemExit(1 if found else 0)

"""Check the book's data files before any chapter runs, naming each problem's line, id and column.

The chapters load data through :func:`iijbook.data.load_table`, which validates each
file against its schema in :mod:`iijbook.schema`. The build checks the same files
first, with the same schemas, and says where each problem is: the file, the line,
the row's id and the column, one line a problem. A folder that fails is refused
before anything runs.

``python -m iijbook_build.datacheck [FOLDER]`` checks a folder by hand (the book's
``data/`` by default) and exits 1 if anything is wrong.

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

from .inputs import _FLOAT as _NUMBER
from .inputs import _INT as _WHOLE
from .inputs import InputError, read_bytes

#: The largest data file read (the largest is a few KiB).
DATA_FILE_LIMIT = 32 << 20


def _where(path: Path, line: int | None, row: pd.Series | None, column: str | None) -> str:
    parts = [str(path)]
    if line is not None:
        label = f"line {line}"
        if row is not None and "id" in row and isinstance(row["id"], str) and row["id"]:
            label += f" (id {row['id']})"
        parts.append(label)
    if column:
        parts.append(f"column {column}")
    return ", ".join(parts)


def _explain(path: Path, raw: pd.DataFrame, err: pa.errors.SchemaErrors, line_of: list[int]) -> str:
    """Turn pandera's failure table into one readable line per problem.

    ``line_of[i]`` is the line of the file where row ``i`` starts. A check over
    whole rows is reported once a row, at the column it is about, and only for
    rows whose cells passed their own checks.
    """
    lines: list[str] = []
    cases = err.failure_cases
    row_checks = cases["schema_context"].astype(str).eq("DataFrameSchema") & cases["index"].notna()
    rows_with_cell_errors = set(cases.loc[~row_checks, "index"].dropna().astype(int))
    # a column that could not be converted fails every later check on every row:
    # report the conversion alone
    unconverted = set(cases.loc[cases["check"].astype(str).str.startswith("coerce_dtype"), "column"])
    for _, case in cases.iterrows():
        column = case.get("column")
        column = column if isinstance(column, str) else None
        index = case.get("index")
        check = str(case.get("check"))
        value = case.get("failure_case")
        if unconverted and not check.startswith("coerce_dtype"):
            if column in unconverted or "TypeError" in str(value):
                continue
        if check.startswith("column_in_dataframe"):
            lines.append(f"{path}, line 1 (the header): missing column {value!r}")
            continue
        if check.startswith("column_in_schema"):
            lines.append(f"{path}: unexpected column {value!r}")
            continue
        if check.startswith("column_ordered"):
            lines.append(f"{path}: columns out of order at {value!r} (the file has {list(raw.columns)!r})")
            continue
        if index is None or (isinstance(index, float) and pd.isna(index)):
            lines.append(f"{_where(path, None, None, column)}: {check} ({shown(value)})")
            continue
        i = int(index)
        if str(case.get("schema_context")) == "DataFrameSchema":
            if i in rows_with_cell_errors:
                continue
            column = ROW_CHECK_COLUMNS.get(check, column)
        row = raw.iloc[i] if 0 <= i < len(raw) else None
        cell = raw.iloc[i][column] if (row is not None and column in raw.columns) else value
        line = line_of[i] if 0 <= i < len(line_of) else None
        lines.append(f"{_where(path, line, row, column)}: {shown(cell)} {_check_text(check)}")
    return "\n".join(dict.fromkeys(lines))  # keep order, drop repeats


def _check_text(check: str) -> str:
    if check.startswith("coerce_dtype"):
        return "is not a number"
    if check == "field_uniqueness":
        return "is a duplicate (ids must be unique)"
    if check.startswith("not_nullable"):
        return "is empty (the column needs a value)"
    if check.startswith("isin"):
        return f"is not allowed ({check})"
    return f"fails: {check}"


def _column_at(blob: bytes, offset: int) -> str:
    """``, column NAME`` for the byte at ``offset`` of a CSV file, or nothing if unclear."""
    header = next(csv.reader([blob.split(b"\n", 1)[0].decode("utf-8", "replace")]), [])
    line_start = blob.rfind(b"\n", 0, offset) + 1
    prefix = blob[line_start:offset].decode("utf-8", "replace")
    position = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
    named = header[position] if 0 <= position < len(header) else ""
    return f", column {named}" if named.isprintable() and named else ""  # not UTF-16's NULs


def _records(path: Path, text: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the rows and the line each row starts on; :class:`DataError` for a bad shape.

    A row with more or fewer fields than the header is refused naming its line.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    line_of: list[int] = []
    start = 1
    try:
        for record in reader:
            if record and (len(record) > 1 or record[0].strip()):  # blank lines are skipped
                if header is None:
                    header = record
                elif len(record) != len(header):
                    fields = f"{len(record)} field{'s' if len(record) != 1 else ''}"
                    raise DataError(f"{path}, line {start} has {fields}, the header has {len(header)}")
                else:
                    rows.append(record)
                    line_of.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{path}, line {start}: not a readable CSV ({exc})") from None
    if header is None:
        raise DataError(f"{path}: empty file (expected a header row and figures)")
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise DataError(f"{path}, line 1 (the header): column {shown(twice[0])} appears twice")
    return header, rows, line_of


def _check_numbers(path: Path, raw: pd.DataFrame, name: str, line_of: list[int]) -> None:
    """Refuse a numeric cell that is not a finite number, one line per cell, before the schema."""
    problems: list[str] = []
    for column, spec in SCHEMAS[name].columns.items():
        kind = str(spec.dtype)
        if column not in raw.columns or not kind.startswith(("float", "int")):
            continue
        whole = kind.startswith("int")
        for i, cell in enumerate(raw[column]):
            if pd.isna(cell):
                continue  # an empty cell: the schema says whether it may be
            if whole and not _WHOLE.fullmatch(cell):
                why = "is not a whole number"
            elif cell.strip().lstrip("+-").lower() in ("inf", "infinity", "nan"):
                why = "is not a finite number"
            elif not _NUMBER.fullmatch(cell):
                why = "is not a number"
            elif not math.isfinite(float(cell)):
                why = "is not a finite number"
            else:
                continue
            problems.append(f"{_where(path, line_of[i], raw.iloc[i], column)}: {shown(cell)} {why}")
    if problems:
        raise DataError("\n".join(problems))


def load_table(name: str, directory: Path | None = None) -> pd.DataFrame:
    """Read and validate one data file as the build does; raise :class:`DataError` if it is bad.

    The file is read once, through :mod:`iijbook_build.inputs` (a regular file,
    never a pipe or device, of at most 32 MiB); every error names the file,
    and the line, id and column where there is one, one line a problem.

    >>> load_table("data_centers.csv").shape
    (32, 10)
    """
    if name not in SCHEMAS:
        raise DataError(f"{name}: no schema for this file (known: {', '.join(SCHEMAS)})")
    path = (directory or data_dir()) / name
    try:
        blob = read_bytes(path, "data file", DATA_FILE_LIMIT)
    except InputError as exc:
        raise DataError(str(exc)) from None
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}, line {line}{_column_at(blob, exc.start)}: not UTF-8 (byte {exc.start}: {exc.reason})"
        ) from None
    if not text.strip():
        raise DataError(f"{path}: empty file (expected a header row and figures)")
    header, rows, line_of = _records(path, text.removeprefix("\ufeff"))
    if not rows:
        raise DataError(f"{path}: no rows under the header")
    raw = pd.DataFrame(rows, columns=header, dtype=str).replace({"": None})  # as read_csv(dtype=str)
    _check_numbers(path, raw, name, line_of)
    try:
        table = SCHEMAS[name].validate(raw, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise DataError(_explain(path, raw, exc, line_of)) from None
    return table


def problems(folder: Path) -> list[str]:
    """Every problem of the data files in ``folder`` that have a schema, one line each."""
    found: list[str] = []
    for name in SCHEMAS:  # every file the chapters read must be there: a folder that lacks one fails
        try:
            load_table(name, folder)
        except DataError as exc:
            found += str(exc).splitlines()
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    found = problems(Path(args[0]) if args else data_dir())
    print("\n".join(found) or "every data file matches its schema")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

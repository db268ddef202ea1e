"""Hostile inputs, by class: each class is handled by one principle, and each test tries several cases.

1. Files the build reads come in one guarded way (:mod:`iijbook_build.inputs`): anything that
   is not a regular file is refused at once, without blocking; size and YAML depth are
   bounded; every failure is one line naming the file (params files, ``_toc.yml``, the
   chapter notebooks, the data files).
2. Parameter values: months and dates are compared as months and dates and must be
   real ones; long values are refused and never echoed in full.
3. The command: ``-p`` values that begin with ``-``; a parameter that no selected
   chapter takes; ``--timeout``; empty paths; a closed pipe; no traceback, ever.
4. Data errors name file, line, id and column, once.

The command is run in-process (:func:`iijbook_build.cli.main`) with ``build`` replaced, so
a refusal is checked without building anything, and as a user runs it where the
process matters (pipes, hangs).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iijbook.classroom import verdict
from iijbook.data import DataError
from iijbook.params import ParameterError
from iijbook.schema import SCHEMAS
from iijbook_build import cli
from iijbook_build import inputs as chapters_mod
from iijbook_build.datacheck import load_table
from iijbook_build.inputs import ChapterError, Parameter, convert, discover, read_params_file

from .conftest import ROOT, make_mini_project

#: A message line the user gets is short, whatever the input.
SHORT = 400


# -- helpers --------------------------------------------------------------------------------
@pytest.fixture
def deadline():
    """Fail, instead of hanging, if the test blocks for more than 5 seconds."""

    def expired(signum, frame):
        raise TimeoutError("blocked for 5 s: the input was read in a way that can hang")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 5)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


def not_a_file(where: Path, kind: str) -> Path:
    """Put something that is not a readable regular file at ``where``."""
    if kind == "fifo":
        os.mkfifo(where)
    elif kind == "dev-zero":
        where.symlink_to("/dev/zero")
    elif kind == "folder":
        where.mkdir()
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(where))
        sock.close()
    elif kind == "dangling-link":
        where.symlink_to(where.parent / "nowhere")
    elif kind == "link-loop":
        where.symlink_to(where)
    elif kind != "missing":
        raise ValueError(kind)
    return where


#: Each kind of non-file and what the message says about it.
NOT_FILES = {
    "fifo": "a named pipe, not a file",
    "dev-zero": "a character device, not a file",
    "folder": "a folder, not a file",
    "socket": "a socket, not a file",
    "missing": "no such file",
    "dangling-link": "no such file",
    "link-loop": "too many levels of symbolic links",
}


@pytest.fixture
def fake_build(monkeypatch):
    """Replace the build the command calls; record its calls (a refusal makes none)."""
    calls: list[tuple[dict, dict]] = []

    def build(parameters, *, timeout=300.0, **options):
        calls.append((parameters, {**options, "timeout": timeout}))
        return SimpleNamespace(site="site", seconds=0.0)

    monkeypatch.setattr(cli, "build", build)
    return calls


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``iijbook ARGS`` in-process: (exit status, stdout, stderr)."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, prefix: str = "iijbook: refused: ") -> str:
    """The single line of ``err``: it starts with ``prefix``, is short, and is no traceback."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[:2000]
    assert lines[0].startswith(prefix), lines[0]
    assert len(lines[0]) < SHORT, lines[0][:SHORT]
    assert "Traceback" not in err
    return lines[0]


def refused(capsys, fake_build, *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 2, (out, err)
    assert fake_build == [] and out == ""
    return one_line(err)


@pytest.fixture
def book(tmp_path) -> Path:
    """A small book (the ``tiny`` fixture chapter and a copy of it) to break."""
    return make_mini_project(tmp_path, ("tiny", "tiny=second"))


# == 1. one guarded way in ==================================================================
@pytest.mark.parametrize("kind", NOT_FILES, ids=str)
def test_what_is_not_a_regular_file_is_refused_at_once(tmp_path, deadline, kind):
    from iijbook_build.inputs import InputError, read_text

    path = not_a_file(tmp_path / "x.yaml", kind)
    with pytest.raises(InputError) as err:
        read_text(path, "params file", 1024)
    assert str(err.value) == f"params file {path}: cannot read it: {NOT_FILES[kind]}"


@pytest.mark.parametrize("size", [1024, 1025, 10 * 1024])
def test_files_over_the_limit_are_refused(tmp_path, size):
    from iijbook_build.inputs import InputError, read_bytes

    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * size)
    if size <= 1024:
        assert len(read_bytes(path, "data file", 1024)) == size
    else:
        with pytest.raises(
            InputError, match=re.escape(f"data file {path}: cannot read it: larger than 1 KiB")
        ):
            read_bytes(path, "data file", 1024)


@pytest.mark.parametrize(
    ("blob", "where"),
    [
        (b"a: 1\nb: 2\nlabel: caf\xe9\n", "line 3 (byte 20: invalid continuation byte)"),
        (b"\xff\xfea: 1\n", "line 1 (byte 0: invalid start byte)"),
        (b"a: 1\nb: \xe2\x82", "line 2 (byte 8: unexpected end of data)"),
    ],
)
def test_bytes_that_are_not_utf8_are_named_by_line_and_byte(tmp_path, blob, where):
    from iijbook_build.inputs import InputError, read_text

    path = tmp_path / "p.yaml"
    path.write_bytes(blob)
    with pytest.raises(InputError) as err:
        read_text(path, "params file", 1024)
    assert str(err.value) == f"params file {path}: cannot read it: not UTF-8 at {where}"


# -- params files -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "socket", "link-loop"])
def test_a_params_file_that_is_not_a_file_is_refused_without_hanging(
    tmp_path, capsys, fake_build, deadline, kind
):
    path = not_a_file(tmp_path / "scenario.yaml", kind)
    line = refused(capsys, fake_build, "build", "-f", str(path))
    assert line == f"iijbook: refused: params file {path}: cannot read it: {NOT_FILES[kind]}"


HOSTILE_PARAMS_FILES = {
    "too-large": ("# " + "x" * (70 << 10) + "\n", "params file {path}: cannot read it: larger than 64 KiB"),
    "deep-lists": ("jpy_per_usd: " + "[" * 1000 + "]" * 1000 + "\n", "nested too deeply"),
    "deep-mappings": (
        "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
        "nested too deeply",
    ),
    "5000-digit-int": ("jpy_per_usd: " + "9" * 5000 + "\n", "(5000 characters) is too long (at most 1000"),
    "5000-digit-float": (
        "jpy_per_usd: " + "9" * 5000 + ".5\n",
        "(5002 characters) is too long (at most 1000",
    ),
    "impossible-date": (
        "projection_cutoff: 2002-02-30\n",
        "parameter projection_cutoff: '2002-02-30' is not a month",
    ),
    "tagged-date": ("projection_cutoff: !!timestamp 2002-02-30\n", "'2002-02-30' is not a month"),
    "date-as-text": (
        "revenues:\n  guidance_point: 2002-02-30\n",
        "'2002-02-30' is out of range: allowed [low",
    ),
    "base-60": ("fit_window_months: 1:30\n", "parameter fit_window_months: '1:30' is not an int"),
    "alias": ("jpy_per_usd: &rate 150\nfy2001_revenue_jpy: *rate\n", "aliases (*name) are not allowed"),
    "key-twice": ("jpy_per_usd: 150\njpy_per_usd: 160\n", "'jpy_per_usd' is given twice"),
    # a tag constructs nothing: the text under it is a value like any other
    "binary": ("jpy_per_usd: !!binary aGVsbG8=\n", "'aGVsbG8=' is not a float"),
    "set": ("jpy_per_usd: !!set {a, b}\n", "'jpy_per_usd' is not a chapter"),
    "python-tag": (
        "jpy_per_usd: !!python/object/apply:os.system [ls]\n",
        "jpy_per_usd must be a single value",
    ),
    "two-documents": ("jpy_per_usd: 150\n---\njpy_per_usd: 160\n", "not valid YAML at line 2"),
    "number-key": ("150: jpy_per_usd\n", "unknown parameter '150'"),
    "number-key-in-block": ("revenues:\n  150: x\n", "chapter revenues has no parameter '150'"),
    "long-value": ("guidance_point: " + "x" * 60_000 + "\n", "is too long (at most 1000 characters)"),
    "long-key": ("x" * 60_000 + ": 1\n", "not valid YAML at line 1, column 60001"),
    "bad-int-tag": ("fit_window_months: !!int twelve\n", "'twelve' is not an int"),
}


@pytest.mark.parametrize(("text", "message"), HOSTILE_PARAMS_FILES.values(), ids=HOSTILE_PARAMS_FILES.keys())
def test_hostile_params_files_are_refused_in_one_short_line(tmp_path, capsys, fake_build, text, message):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    line = refused(capsys, fake_build, "build", "-f", str(path))
    assert message.format(path=path) in line


def test_a_params_file_value_that_looks_like_a_date_stays_text(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text("projection_cutoff: 2002-10\nlabel: 2002-02-30\nwhen: 2002-02-28\n")
    shared, _ = read_params_file(path, [])
    assert shared == {"projection_cutoff": "2002-10", "label": "2002-02-30", "when": "2002-02-28"}


# -- chapter notebooks ----------------------------------------------------------------------
def _cell_json(source: str, tags: str = '["parameters"]') -> str:
    import json

    cell = {"cell_type": "code", "execution_count": None, "id": "p", "metadata": {"tags": "TAGS"}}
    cell.update(outputs=[], source=source)
    text = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    return text.replace('"TAGS"', tags)


#: Each damage, and what the one line says after naming the notebook.
BROKEN_NOTEBOOKS = {
    "empty": (b"", "not a valid notebook"),
    "truncated": (lambda good: good[: len(good) // 2], "not a valid notebook"),
    "braces": (b"{}", "not a valid notebook"),
    "a-list": (b"[1, 2]", "not a valid notebook"),
    "null": (b"null", "not a valid notebook"),
    "not-utf8": (lambda good: good.replace(b"tiny chapter", b"tiny ch\xe4pter"), "cannot read it: not UTF-8"),
    "binary": (bytes(range(256)) * 4, "cannot read it: not UTF-8"),
    "cells-not-a-list": (b'{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "not a valid"),
    "tags-not-a-list": (_cell_json("x: int = 1  # [0, 2] x", tags="5").encode(), "not a valid notebook"),
    "future-format": (b'{"cells": [], "metadata": {}, "nbformat": 99, "nbformat_minor": 0}', "not a valid"),
    "syntax-error": (
        _cell_json("rate: float = (  # [0, 1] r").encode(),
        "parameters cell (cell 0) is not valid",
    ),
    "not-an-assignment": (_cell_json("import os").encode(), "write each parameter as"),
    "unsupported-type": (_cell_json("rates: list = []  # rates").encode(), "parameter rates has type 'list'"),
    "default-not-literal": (_cell_json("rate: float = f(2)  # (0, 1] r").encode(), "not a literal"),
    "huge-int-default": (_cell_json("n: int = " + "9" * 5000 + "  # n").encode(), "parameters cell (cell 0)"),
    "declared-twice": (
        _cell_json("n: int = 1  # n\nn: int = 2  # n").encode(),
        "parameter n is declared twice",
    ),
}


def _break_notebook(path: Path, damage) -> None:
    good = path.read_bytes()
    path.write_bytes(damage(good) if callable(damage) else damage)


@pytest.mark.parametrize(("damage", "message"), BROKEN_NOTEBOOKS.values(), ids=BROKEN_NOTEBOOKS.keys())
def test_a_broken_notebook_is_one_chapter_error_naming_it(book, damage, message):
    path = book / "chapters" / "second.ipynb"
    _break_notebook(path, damage)
    with pytest.raises(ChapterError) as err:
        discover(book)
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value) and len(str(err.value)) < SHORT


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "dangling-link"])
def test_a_notebook_that_is_not_a_file_is_refused_without_hanging(book, deadline, kind):
    path = book / "chapters" / "second.ipynb"
    path.unlink()
    not_a_file(path, kind)
    with pytest.raises(
        ChapterError, match=re.escape(f"chapter notebook {path}: cannot read it: {NOT_FILES[kind]}")
    ):
        discover(book)


@pytest.mark.parametrize("damage", ["empty", "truncated", "braces", "syntax-error"])
@pytest.mark.parametrize("command", [("build",), ("params",), ("build", "--help")], ids=" ".join)
def test_commands_meeting_a_broken_notebook_exit_2_with_one_line(
    book, capsys, fake_build, monkeypatch, damage, command
):
    _break_notebook(book / "chapters" / "second.ipynb", BROKEN_NOTEBOOKS[damage][0])
    monkeypatch.setattr(chapters_mod, "project_root", lambda: book)  # build --help lists this book
    line = refused(capsys, fake_build, *command)
    assert str(book / "chapters" / "second.ipynb") in line


def test_iijbook_params_on_a_truncated_notebook_as_a_user_runs_it(book):
    _break_notebook(book / "chapters" / "second.ipynb", BROKEN_NOTEBOOKS["truncated"][0])
    exe = Path(sys.executable).with_name("iijbook")
    proc = subprocess.run([exe, "params", "--root", str(book)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "second.ipynb: not a valid notebook" in one_line(proc.stderr)


# -- the table of contents --------------------------------------------------------------------
BROKEN_TOCS = {
    "empty": ("", "not a jb-book table of contents: toc is not a mapping"),
    "a-list": ("- intro\n", "not a jb-book table of contents: toc is not a mapping"),
    "not-yaml": ("root: intro\nchapters: [\n", "not valid YAML at line 3"),
    "no-root": ("chapters:\n  - file: chapters/tiny\n", "'root' key not found"),
    "chapters-not-a-list": ("root: intro\nchapters: 5\n", "'chapters' not a non-empty list"),
    "entry-not-a-mapping": ("root: intro\nchapters:\n  - chapters/tiny\n", "entry not a mapping type"),
    "file-not-text": ("root: intro\nchapters:\n  - file: [5]\n", "a file or options of the wrong type"),
    "file-empty": ("root: intro\nchapters:\n  - file:\n", "'docname' must be <class 'str'>"),
    "parts-not-a-list": ("root: intro\nparts: {a: 1}\n", "'parts' not a non-empty list"),
    "outside-the-book": ("root: intro\nchapters:\n  - file: ../../etc/passwd\n", "is outside the book"),
    "absolute": ("root: intro\nchapters:\n  - file: /etc/passwd\n", "is outside the book"),
    "nul": ('root: intro\nchapters:\n  - file: "chapters/tiny\\0"\n', "is outside the book"),
    "deep": ("root: intro\nchapters: " + "[" * 500 + "]" * 500 + "\n", "nested too deeply"),
    "alias": ("root: &r intro\nchapters:\n  - file: *r\n", "aliases (*name) are not allowed"),
    "same-chapter-twice": (
        "root: intro\nchapters:\n  - file: chapters/tiny\n  - file: chapters/tiny\n",
        "document file used multiple times: 'chapters/tiny'",
    ),
    "same-chapter-by-two-names": (
        "root: intro\nchapters:\n  - file: chapters/tiny\n  - file: ./chapters/tiny\n",
        "two chapters named tiny",
    ),
}


@pytest.mark.parametrize(("text", "message"), BROKEN_TOCS.values(), ids=BROKEN_TOCS.keys())
def test_a_broken_table_of_contents_is_one_line_naming_it(book, capsys, fake_build, text, message):
    (book / "_toc.yml").write_text(text)
    line = refused(capsys, fake_build, "build", "--root", str(book))
    assert f"table of contents {book / '_toc.yml'}" in line and message in line


@pytest.mark.parametrize("kind", ["fifo", "missing", "folder", "dev-zero"])
def test_a_table_of_contents_that_is_not_a_file_is_refused_without_hanging(
    book, capsys, fake_build, deadline, kind
):
    toc = book / "_toc.yml"
    toc.unlink()
    not_a_file(toc, kind)
    line = refused(capsys, fake_build, "params", "--root", str(book))
    assert line == f"iijbook: refused: table of contents {toc}: cannot read it: {NOT_FILES[kind]}"


# == 2. parameter values ======================================================================
CUTOFF = Parameter("projection_cutoff", "str", "2002-10", "[2000-12, 2003-06] last month the fit sees")
OPEN_MONTHS = Parameter("after", "str", "2002-10", "(2000-12, 2003-06) strictly between")
DAY = Parameter("as_of", "str | None", None, "[2000-01-01, 2003-12-31] a day")


@pytest.mark.parametrize(
    ("param", "value"),
    [
        (CUTOFF, "2000-12"),
        (CUTOFF, "2003-06"),
        (CUTOFF, "2002-10"),
        (OPEN_MONTHS, "2001-01"),
        (OPEN_MONTHS, "2003-05"),
        (DAY, "2000-02-29"),
        (DAY, "2003-12-31"),
        (DAY, "None"),
    ],
)
def test_months_and_dates_in_range_are_taken(param, value):
    assert convert(param, value) == (None if value == "None" else value)


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (CUTOFF, "2002-13", "'2002-13' is not a month: write YYYY-MM, allowed [2000-12, 2003-06]"),
        (CUTOFF, "2001", "'2001' is not a month: write YYYY-MM"),
        (CUTOFF, "2002-99 junk", "'2002-99 junk' is not a month"),
        (CUTOFF, "2002-00", "'2002-00' is not a month"),
        (CUTOFF, "2002-1", "'2002-1' is not a month"),
        (CUTOFF, " 2002-10", "' 2002-10' is not a month"),
        (CUTOFF, "2002-10\n", "'2002-10\\n' is not a month"),
        (CUTOFF, "２００２-10", "'２００２-10' is not a month"),
        (CUTOFF, "2002-10-01", "'2002-10-01' is not a month"),
        (CUTOFF, "2000-11", "'2000-11' is out of range: allowed [2000-12, 2003-06]"),
        (CUTOFF, "2003-07", "'2003-07' is out of range"),
        (CUTOFF, "9999-12", "'9999-12' is out of range"),
        (OPEN_MONTHS, "2000-12", "'2000-12' is out of range: allowed (2000-12, 2003-06)"),
        (OPEN_MONTHS, "2003-06", "'2003-06' is out of range"),
        (DAY, "2002-02-30", "'2002-02-30' is not a date: write YYYY-MM-DD, allowed [2000-01-01, 2003-12-31]"),
        (DAY, "2001-02-29", "'2001-02-29' is not a date"),
        (DAY, "2002-2-3", "'2002-2-3' is not a date"),
        (DAY, "2002-10", "'2002-10' is not a date"),
        (DAY, "1999-12-31", "'1999-12-31' is out of range"),
    ],
)
def test_months_and_dates_are_checked_as_months_and_dates(param, value, message):
    with pytest.raises(ParameterError, match=re.escape(f"parameter {param.name}: {message}")):
        convert(param, value)


RATE = Parameter("jpy_per_usd", "float | None", None, "(0, 1000] yen per dollar")
COUNT = Parameter("fit_window_months", "int", 12, "[3, 48] months")
LABEL = Parameter("label", "str", "plain", "any text")


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (LABEL, "x" * 1_000_000, "is too long (at most 1000 characters)"),
        (LABEL, "x" * 1001, "is too long"),
        (RATE, "9" * 5000, "is too long"),
        (RATE, "9" * 999, "is not a float or None"),
        (COUNT, "9" * 5000, "is too long"),
        (COUNT, "9" * 999, "is out of range"),
        (COUNT, "1" + "0" * 500 + ".5", "is not an int"),
        (CUTOFF, "2002-10" * 100, "is not a month"),
    ],
)
def test_long_values_are_never_echoed_in_full(param, value, message):
    with pytest.raises(ParameterError) as err:
        convert(param, value)
    text = str(err.value)
    assert message in text and len(text) < 200, text[:300]
    assert "…" in text and "characters)" in text


def test_a_value_of_1000_characters_is_still_a_value():
    assert convert(LABEL, "x" * 1000) == "x" * 1000


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        (COUNT, "2.5", "parameter fit_window_months: '2.5' is not an int"),
        (COUNT, 2.5, "parameter fit_window_months: 2.5 is not an int"),
        (RATE, "cheap", "parameter jpy_per_usd: 'cheap' is not a float or None"),
        (RATE, True, "parameter jpy_per_usd: True is not a float or None"),
        (LABEL, "\udcff", "is not valid UTF-8 text"),
        (LABEL, b"bytes", "is not a single value"),
    ],
)
def test_wrong_types_are_named_in_plain_words(param, value, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        convert(param, value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "x" * 1_000_000, "1"], "unknown parameter 'xxx"),
        (["--chapter", "y" * 1_000_000], "unknown chapter 'yyy"),
        (["-p", "guidance_point", "z" * 1_000_000], "parameter guidance_point: 'zzz"),
    ],
)
def test_huge_names_and_values_on_the_command_line_are_cut_short(capsys, fake_build, args, message):
    line = refused(capsys, fake_build, "build", *args)
    assert message in line and "(1000000 characters)" in line


# == 3. the command =========================================================================
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-p", "fy2002_operating_floor_jpy", "-1e9"], {"outlook": {"fy2002_operating_floor_jpy": -1e9}}),
        (["-p", "fy2002_operating_floor_jpy", "-1E9"], {"outlook": {"fy2002_operating_floor_jpy": -1e9}}),
        (
            ["--parameter", "fy2002_operating_floor_jpy", "-.5e9"],
            {"outlook": {"fy2002_operating_floor_jpy": -5e8}},
        ),
        (
            ["-p", "fy2002_growth_target", "-0.25", "--chapter", "outlook"],
            {"outlook": {"fy2002_growth_target": -0.25}},
        ),
        (
            ["--chapter", "outlook", "-p", "fy2002_operating_floor_jpy", "-5"],
            {"outlook": {"fy2002_operating_floor_jpy": -5.0}},
        ),
    ],
)
def test_values_that_begin_with_a_minus_are_values(capsys, fake_build, args, expected):
    code, _, err = run(capsys, "build", *args)
    assert code == 0, err
    ((parameters, _),) = fake_build
    assert {k: v for k, v in parameters.items() if k in expected} == expected


@pytest.mark.parametrize(
    ("args", "label", "force"),
    [
        (["-p", "label", "-x"], "-x", False),
        (["-p", "label", "--"], "--", False),
        (["-p", "label", "--forced"], "--forced", False),
        (["--force", "-p", "label", "-1"], "-1", True),
    ],
)
def test_option_like_values_are_values_not_options(book, capsys, fake_build, args, label, force):
    code, _, err = run(capsys, "build", "--root", str(book), *args)
    assert code == 0, err
    ((parameters, options),) = fake_build
    assert parameters["tiny"] == {"label": label} and options["force"] is force


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "jpy_per_usd", "-inf"], "parameter jpy_per_usd: '-inf' is not a float or None"),
        (
            ["-p", "fy2002_operating_floor_jpy", "-1e11"],
            "-100000000000.0 is out of range: allowed [-1e10, 1e10]",
        ),
        (["-p", "jpy_per_usd"], "Option '-p' requires 2 arguments"),
        # a VALUE that is one of the command's own options is a forgotten value, not a value
        (["-p", "label", "--force"], "-p 'label' has no VALUE: the next word is the option --force"),
        (["-p", "label", "-p"], "-p 'label' has no VALUE: the next word is the option -p"),
        (["-p", "label", "-h"], "-p 'label' has no VALUE: the next word is the option -h"),
        (
            ["-p", "jpy_per_usd", "--chapter", "revenues"],
            "has no VALUE: the next word is the option --chapter",
        ),
        (["-p", "label", "a", "-p", "label", "b"], "parameter 'label' is given twice with -p"),
        (["--chapter", "-x"], "unknown chapter '-x'"),
        (["--", "-p", "jpy_per_usd", "150"], "Got unexpected extra arguments (-p jpy_per_usd 150)"),
    ],
)
def test_option_like_values_that_are_wrong_are_refused_as_values(capsys, fake_build, args, message):
    assert message in refused(capsys, fake_build, "build", *args)


@pytest.mark.parametrize(
    ("args", "file", "message"),
    [
        (
            ["-p", "jpy_per_usd", "160", "--chapter", "outlook"],
            None,
            "parameter jpy_per_usd is not taken by the chapter you selected (outlook); "
            "it is taken by: revenues",
        ),
        (
            ["-p", "ebitda_multiple", "2", "--chapter", "revenues", "--chapter", "outlook"],
            None,
            "is not taken by the chapters you selected (revenues, outlook); "
            "it is taken by: profitability, capex",
        ),
        (
            ["--chapter", "broadband", "-p", "projection_model", "logistic", "-p", "jpy_per_usd", "150"],
            None,
            "parameter jpy_per_usd is not taken by the chapter you selected (broadband)",
        ),
        (["--chapter", "outlook"], "jpy_per_usd: 160\n", "parameter jpy_per_usd (from {file}) is not taken"),
        (
            ["--chapter", "outlook"],
            "revenues:\n  guidance_point: low\n",
            "sets parameters of chapter revenues",
        ),
    ],
)
def test_a_parameter_no_selected_chapter_takes_is_refused(tmp_path, capsys, fake_build, args, file, message):
    if file is not None:
        path = tmp_path / "scenario.yaml"
        path.write_text(file)
        args = [*args, "-f", str(path)]
        message = message.format(file=path)
    assert message in refused(capsys, fake_build, "build", *args)


@pytest.mark.parametrize(
    ("args", "chapters"),
    [
        (["-p", "guidance_point", "low", "--chapter", "outlook"], {"outlook"}),
        (["-p", "jpy_per_usd", "150", "--chapter", "revenues", "--chapter", "outlook"], {"revenues"}),
        (["-p", "ebitda_multiple", "2.5", "--chapter", "capex"], {"capex"}),
    ],
)
def test_a_parameter_a_selected_chapter_takes_is_passed(capsys, fake_build, args, chapters):
    code, _, err = run(capsys, "build", *args)
    assert code == 0, err
    ((parameters, _),) = fake_build
    assert {name for name, values in parameters.items() if values} >= chapters


@pytest.mark.parametrize(
    "value", ["0", "-1", "-0.5", "nan", "inf", "-inf", "1e400", "1e308", "86400.5", "abc", "", " "]
)
def test_timeout_must_be_a_positive_number_of_seconds_up_to_a_day(capsys, fake_build, value):
    line = refused(capsys, fake_build, "build", "--timeout", value)
    assert (
        "Invalid value for '--timeout': must be a number of seconds above 0 and at most 86400 (a day)" in line
    )


@pytest.mark.parametrize(("value", "seconds"), [(None, 300.0), ("0.5", 0.5), ("600", 600.0), ("1e3", 1000.0)])
def test_timeout_is_passed_to_the_build(capsys, fake_build, value, seconds):
    code, _, err = run(capsys, "build", *(["--timeout", value] if value else []))
    assert code == 0, err
    assert fake_build[0][1]["timeout"] == seconds


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["build", "--build-dir", ""], "'--build-dir'"),
        (["build", "--build-dir", "  "], "'--build-dir'"),
        (["build", "--root", ""], "'--root'"),
        (["build", "-f", ""], "'-f' / '--parameters-file'"),
        (["pdf", "--build-dir", ""], "'--build-dir'"),
        (["pdf", "-o", ""], "'-o' / '--output'"),
        (["params", "--root", ""], "'--root'"),
    ],
)
def test_empty_paths_are_refused(tmp_path, capsys, fake_build, monkeypatch, args, option):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("kept")
    assert f"Invalid value for {option}: is empty: give a path" in refused(capsys, fake_build, *args)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("args", [["params"], ["build", "--help"], ["--help"], ["params", "--root", "."]])
def test_output_into_a_closed_pipe_ends_quietly(args):
    exe = Path(sys.executable).with_name("iijbook")
    proc = subprocess.Popen([exe, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before anything is written, like `| head -1` done early
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (RuntimeError("boom"), "RuntimeError: boom"),
        (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
        (RuntimeError("first\nsecond"), "RuntimeError: first / second"),
        (KeyError("no_such_key"), "KeyError: 'no_such_key'"),
        (RecursionError("maximum recursion depth exceeded"), "RecursionError: maximum recursion"),
        (AssertionError(), "AssertionError: "),
    ],
)
def test_an_unexpected_error_is_one_line_with_the_traceback_kept(monkeypatch, capsys, exc, kind):
    def build(parameters, **options):
        raise exc

    monkeypatch.setattr(cli, "build", build)
    code, out, err = run(capsys, "build")
    assert code == 1
    line = one_line(err, "iijbook: internal error: ")
    assert kind in line
    kept = Path(re.search(r"\(full traceback in (.+)\)$", line).group(1))
    try:
        assert (
            "Traceback (most recent call last)" in kept.read_text() and type(exc).__name__ in kept.read_text()
        )
        assert kept.parent == Path(os.environ.get("TMPDIR", "/tmp")) or "tmp" in str(kept.parent)
    finally:
        kept.unlink()


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (PermissionError(13, "Permission denied", "/b/_build/.lock"), "/b/_build/.lock: permission denied"),
        (OSError(28, "No space left on device", "/b/_build/html"), "/b/_build/html: no space left on device"),
        (
            NotADirectoryError(20, "Not a directory", "/b/_build"),
            "/b/_build: a part of its path is not a folder",
        ),
        (OSError(18, "Invalid cross-device link", "/a", None, "/b"), "/a -> /b: invalid cross-device link"),
        (BrokenPipeError(32, "Broken pipe"), "broken pipe"),
    ],
)
def test_an_os_error_is_one_line_naming_the_path(monkeypatch, capsys, exc, line):
    def build(parameters, **options):
        raise exc

    monkeypatch.setattr(cli, "build", build)
    code, _, err = run(capsys, "build")
    assert code == 1
    assert one_line(err, "iijbook: failed: ") == f"iijbook: failed: {line}"


def test_ctrl_c_before_the_build_starts_is_exit_130(monkeypatch, capsys):
    def discover(root=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "discover", discover)
    code, _, err = run(capsys, "build")
    assert code == 130 and one_line(err, "iijbook: interrupted") == "iijbook: interrupted"


# == 4. data errors name file, line, id and column, once =======================================
@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    monkeypatch.setenv("IIJBOOK_DATA_DIR", str(copy))
    return copy


def _replace_line(path: Path, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` once; return the line it is on."""
    text = path.read_text(encoding="utf-8")
    at = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:at].count("\n") + 1


def _load_error(name: str) -> list[str]:
    with pytest.raises(DataError) as err:
        load_table(name)
    return str(err.value).splitlines()


@pytest.mark.parametrize("bad", ["2000-02-30", "2001-02-29", "2000-04-31", "2000-13-01", "2000-03-3l"])
def test_impossible_dates_are_refused_by_the_schema(data, bad):
    line = _replace_line(data / "japan_broadband_monthly.csv", "\n2000-03-31,", f"\n{bad},") + 1
    assert _load_error("japan_broadband_monthly.csv") == [
        f"{data}/japan_broadband_monthly.csv, line {line}, column month_end: '{bad}' fails: "
        "not a date (write YYYY-MM-DD, a day the month has)"
    ]


@pytest.mark.parametrize("bad", ["1e400", "inf", "-inf", "NaN", "nan", "Infinity"])
@pytest.mark.parametrize(
    ("name", "old", "column", "label"),
    [
        ("release_figures.csv", ",10600000000,JPY,", "value", " (id revenue_2q02)"),
        ("data_centers.csv", ",19420,m2,", "value", " (id yokohama1_step1_floor_space)"),
        ("japan_broadband_monthly.csv", ",DSL,211,", "subscribers", ""),
    ],
    ids=["release_figures", "data_centers", "broadband_monthly"],
)
def test_a_number_that_is_not_finite_is_one_line_at_its_cell(data, name, old, column, label, bad):
    new = old.replace(old.split(",")[2 if name == "japan_broadband_monthly.csv" else 1], bad)
    line = _replace_line(data / name, old, new)
    assert _load_error(name) == [
        f"{data}/{name}, line {line}{label}, column {column}: '{bad}' is not a finite number"
    ]


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("ten", "is not a number"),
        ("1_000", "is not a number"),
        ("12 ", "is not a number"),
        ("١٢", "is not a number"),
    ],
)
def test_a_number_written_oddly_is_one_line_at_its_cell(data, bad, why):
    line = _replace_line(data / "release_figures.csv", ",10600000000,JPY,", f",{bad},JPY,")
    assert _load_error("release_figures.csv") == [
        f"{data}/release_figures.csv, line {line} (id revenue_2q02), column value: '{bad}' {why}"
    ]


def test_a_year_that_is_not_whole_is_named(data):
    line = _replace_line(data / "broadband_per_100_inhabitants.csv", ",2001,", ",2001.5,")
    assert _load_error("broadband_per_100_inhabitants.csv") == [
        f"{data}/broadband_per_100_inhabitants.csv, line {line}, column year: '2001.5' is not a whole number"
    ]


@pytest.mark.parametrize("line", [2, 7, -1])
@pytest.mark.parametrize("change", ["extra", "missing"])
def test_a_row_with_the_wrong_number_of_fields_names_its_line(data, line, change):
    path = data / "release_figures.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = line if line > 0 else len(lines)
    row = lines[index - 1]
    lines[index - 1] = row + ",extra" if change == "extra" else row.rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fields = 11 if change == "extra" else 9
    assert _load_error("release_figures.csv") == [
        f"{path}, line {index} has {fields} fields, the header has 10"
    ]


def test_rows_after_blank_lines_and_quoted_line_breaks_keep_their_line_numbers(data):
    path = data / "release_figures.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("\nrevenue_usd_2q02,", "\n\nrevenue_usd_2q02,", 1)  # a blank line before line 3
    text = text.replace(
        '"release, Highlights: ""Total', '"release,\nHighlights: ""Total', 1
    )  # line 2 spans two
    text = text.replace(",0.073,ratio,", ",73,ratio,", 1)
    path.write_text(text, encoding="utf-8")
    line = text[: text.index(",73,ratio,")].count("\n") + 1
    assert _load_error("release_figures.csv") == [
        f"{path}, line {line} (id revenue_growth_qoq_2q02), column value: '73' fails: "
        "value out of the range its unit allows"
    ]


def test_a_check_over_whole_rows_is_one_line_not_one_per_column(data):
    path = data / "release_figures.csv"
    line = _replace_line(path, ",2Q02,,2,rank,", ",2Q02,2002-10,2,rank,")
    assert _load_error("release_figures.csv") == [
        f"{path}, line {line} (id revenue_rank_2q02), column period: '2Q02' fails: "
        "a figure needs a fiscal period or an as_of month, not both"
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('x_gap,capex,"never closed,,lost,\n', "not a readable CSV (unexpected end of data)"),
        ('x_gap,capex,"closed"then more,,lost,\n', "not a readable CSV (',' expected after '\"')"),
        ("x_gap,capex," + "a" * 200_000 + ",,lost,\n", "not a readable CSV (field larger than field limit"),
    ],
    ids=["unclosed-quote", "text-after-quote", "huge-field"],
)
def test_a_row_that_is_not_csv_names_its_line(data, row, message):
    path = data / "gaps.csv"
    line = path.read_text(encoding="utf-8").count("\n") + 1
    with path.open("a", encoding="utf-8") as f:
        f.write(row)
    (error,) = _load_error("gaps.csv")
    assert error.startswith(f"{path}, line {line}: {message}") and len(error) < SHORT


def test_a_header_naming_a_column_twice_is_refused(data):
    path = data / "gaps.csv"
    _replace_line(path, "id,section,", "id,id,")
    assert _load_error("gaps.csv") == [f"{path}, line 1 (the header): column 'id' appears twice"]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "socket", "missing"])
def test_a_data_file_that_is_not_a_file_fails_at_once_naming_it(data, deadline, kind):
    path = data / "gaps.csv"
    path.unlink()
    not_a_file(path, kind)
    assert _load_error("gaps.csv") == [f"data file {path}: cannot read it: {NOT_FILES[kind]}"]


def test_a_named_pipe_in_the_data_folder_is_left_out_of_its_hash(data, deadline):
    from iijbook_build.run import folder_hash

    before = folder_hash(data)
    os.mkfifo(data / "extra.csv")
    assert folder_hash(data) == before


# == 5. the classroom's checks answer whatever a student types ===================================
STUDENT_VALUES = st.one_of(
    st.none(),
    st.just(...),
    st.booleans(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True),
    st.fractions(),
    st.complex_numbers(),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.integers(min_value=-(2**62), max_value=2**62).map(numpy.int64),
    st.floats(width=32).map(numpy.float32),
)


@settings(max_examples=300, deadline=None)
@given(STUDENT_VALUES)
def test_a_check_answers_any_value_a_student_can_type(answer):
    expected = (9.558e9, 9.509e9, 9.608e9, "2Q01 revenues in yen")  # ¥10.6B / 1.109, and its range
    said = verdict(answer, expected)
    assert said.startswith(("correct", "not yet", "not answered")), said
    assert "9.558" not in said and "9.5e" not in said  # never the expected value


@pytest.mark.parametrize("answer", [numpy.int64(9_560_000_000), numpy.float64(9.56e9), 9_560_000_000])
def test_a_right_answer_of_any_numeric_type_is_correct(answer):
    assert verdict(answer, (9.558e9, 9.509e9, 9.608e9, "2Q01 revenues in yen")).startswith("correct")


# == 6. what a third hostile round found, by class ================================================
@pytest.mark.parametrize("text", ["1_5_0", "１５０", " 150", "150 ", "0x96", "1e5_0", "٣"])
def test_numbers_are_written_as_a_reader_writes_them(text):
    """Python's float() takes all of these (150.0 for the first four); a parameter takes none."""
    with pytest.raises(ParameterError, match="is not a float or None"):
        convert(RATE, text)


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ("execute: 5\n", "execute"),
        ("title: [a, b]\n", "title"),
        ("execute:\n  execute_notebooks: sometimes\n", "execute.execute_notebooks"),
    ],
)
def test_a_configuration_jupyter_book_would_trip_on_is_refused_before_anything_runs(book, config, says):
    from iijbook_build import build as build_mod

    (book / "_config.yml").write_text(config)
    with pytest.raises(build_mod.Refused) as err:
        build_mod.build({}, root=book, build_dir=book.parent / "_build", say=lambda _: None)
    message = str(err.value)
    assert message.startswith(f"book configuration {book / '_config.yml'}: {says}") and "\n" not in message
    assert not (book.parent / "_build").exists()


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_a_data_folder_without_its_files_is_refused(tmp_path, kind):
    from iijbook_build.datacheck import problems

    folder = tmp_path / "data"
    if kind == "empty":
        folder.mkdir()
    found = problems(folder)
    assert len(found) == len(SCHEMAS) and all("no such file" in line for line in found), found


def test_a_utf16_data_file_is_named_without_its_nul_bytes(data):
    path = data / "gaps.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    (line,) = _load_error("gaps.csv")
    assert line.startswith(f"{path}, line 1: not UTF-8") and "\x00" not in line


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("  - file: chapters/nope\n", "file 'chapters/nope' names no page"),
        ("  - file: chapters/TINY\n", "file 'chapters/TINY' names no page"),
        ("  - file: chapters/tiny.ipynb\n", "file 'chapters/tiny.ipynb' names no page"),
        ("  - file: chapters\n", "file 'chapters' names no page"),
    ],
)
def test_a_table_of_contents_entry_that_names_no_page_is_refused(book, capsys, fake_build, entry, says):
    toc = book / "_toc.yml"
    toc.write_text(toc.read_text() + entry)
    line = refused(capsys, fake_build, "build", "--root", str(book))
    assert f"table of contents {toc}" in line and says in line


def test_a_table_of_contents_of_another_format_is_refused(book, capsys, fake_build):
    toc = book / "_toc.yml"
    toc.write_text(toc.read_text().replace("format: jb-book", "format: jb-article"))
    assert "format 'jb-article': the book is a jb-book" in refused(
        capsys, fake_build, "params", "--root", str(book)
    )


@pytest.mark.parametrize(
    "values", ["A,a", "a.b,a_b", "日本,中国", "a b,a  b", "-x,_minus_x", "é" * 45 + ",è" * 1]
)
def test_a_sweep_of_distinct_values_gets_distinct_names(book, values):
    from iijbook_build.scenarios import check_all, sweep

    made = check_all(sweep(f"label={values}", discover(book)))
    assert len({s.name for s in made}) == len(values.split(",")) and all(len(s.name) <= 40 for s in made)


def test_a_word_answer_checks_any_value_without_raising():
    expected = ("LOW", None, None, "low, mid or high")
    assert verdict("low", expected) == "correct"
    assert all(verdict(v, expected).startswith("not yet") for v in (10**5000, 3.5, b"LOW", ["low"]))

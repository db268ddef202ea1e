"""Re-running with new parameters: parsing, validation before anything runs, the cache."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from iijbook.params import ParameterError
from iijbook_build import build as build_mod
from iijbook_build.inputs import Parameter, convert, discover, read_params_file, resolve

from .conftest import ROOT, glued_values, make_mini_project, run_cli


def tree_digest(folder: Path) -> str:
    """One hash over every file's path and bytes under ``folder``."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


# -- values and constraints -------------------------------------------------------------
RATE = Parameter("jpy_per_usd", "float | None", None, "(0, 1000] yen per dollar; None: the release's rate")
POINT = Parameter("guidance_point", "str", "mid", "[low | mid | high] where 3Q02 lands")
CUTOFF = Parameter("cutoff", "str", "2002-10", "[2000-12, 2003-06] last month the fit sees")
COUNT = Parameter("steps", "int", 3, "[1, 10] how many")
FLAG = Parameter("show", "bool", False, "whether to show")


@pytest.mark.parametrize(
    ("param", "text", "value"),
    [
        (RATE, "150", 150.0),
        (RATE, "None", None),
        (RATE, "1000", 1000.0),
        (POINT, "low", "low"),
        (CUTOFF, "2001-06", "2001-06"),
        (COUNT, "4", 4),
        (FLAG, "true", True),
        (FLAG, "no", False),
    ],
)
def test_values_are_converted_by_the_annotation(param, text, value):
    assert convert(param, text) == value


@pytest.mark.parametrize(
    ("param", "text", "message"),
    [
        (RATE, "-5", "parameter jpy_per_usd: -5.0 is out of range: allowed (0, 1000]"),
        (RATE, "0", "parameter jpy_per_usd: 0.0 is out of range"),
        (RATE, "abc", "parameter jpy_per_usd: 'abc' is not a float or None"),
        (RATE, "nan", "is not a float or None"),
        (RATE, "inf", "is not a float or None"),
        (RATE, "1e400", "parameter jpy_per_usd: '1e400' is not a float or None"),  # overflows
        (RATE, "1e-400", "parameter jpy_per_usd: '1e-400' is not a float or None"),  # underflows to 0
        (RATE, "-0.5e-999", "parameter jpy_per_usd: '-0.5e-999' is not a float or None"),
        (RATE, "0.000e-999", "parameter jpy_per_usd: 0.0 is out of range"),  # zero, as typed
        (POINT, "best", "parameter guidance_point: 'best' is out of range: allowed [low | mid | high]"),
        (CUTOFF, "2004-01", "parameter cutoff: '2004-01' is out of range: allowed [2000-12, 2003-06]"),
        (COUNT, "2.5", "parameter steps: '2.5' is not an int"),
        (COUNT, "11", "out of range"),
        (FLAG, "maybe", "is not a bool"),
    ],
)
def test_bad_values_are_refused_naming_parameter_value_and_allowed(param, text, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        convert(param, text)


def test_yaml_booleans_do_not_pass_as_numbers():
    with pytest.raises(ParameterError, match="is not a float"):
        convert(RATE, True)


@pytest.mark.parametrize(
    "text",
    [
        "'; import os; os.system('touch /tmp/iijbook-pwned') #",
        'a "quoted"\nline',
        "__import__('os').getcwd()",
    ],
)
def test_string_values_stay_strings(text):
    label = Parameter("label", "str", "", "a label")
    assert convert(label, text) == text


def test_resolve_applies_a_parameter_to_every_chapter_that_has_it():
    chapters = discover()
    resolved = resolve(chapters, {"jpy_per_usd": "150"})
    assert resolved["revenues"] == {"jpy_per_usd": 150.0}
    assert all(set(v) <= {"jpy_per_usd"} for v in resolved.values())


def test_unknown_parameter_is_refused_with_the_known_ones_listed():
    with pytest.raises(ParameterError, match="unknown parameter 'jpy_per_dollar' .*jpy_per_usd"):
        resolve(discover(), {"jpy_per_dollar": "150"})


# -- params files ------------------------------------------------------------------------
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


def test_params_file_shared_and_per_chapter(tmp_path):
    path = _write(tmp_path, "jpy_per_usd: 150\nrevenues:\n  guidance_point: low\n")
    shared, per = read_params_file(path, ["revenues", "outlook"])
    assert (
        shared == {"jpy_per_usd": "150"} and per
    )  # text, converted by each parameter's type == {"revenues": {"guidance_point": "low"}}
    resolved = resolve(discover(), shared, per)
    assert resolved["revenues"] == {"jpy_per_usd": 150.0, "guidance_point": "low"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jpy_per_usd: [150\n", "not valid YAML at line 2"),
        ("- 150\n- 151\n", "expected a mapping"),
        ("jpy_per_usd: [1, 2]\n", "jpy_per_usd must be a single value, not a list"),
        ("nochapter:\n  x: 1\n", "'nochapter' is not a chapter"),
    ],
)
def test_malformed_params_files_are_refused(tmp_path, text, message):
    with pytest.raises(ParameterError, match=message.replace("[", r"\[")):
        read_params_file(_write(tmp_path, text), ["revenues"])


def test_params_file_naming_a_parameter_the_chapter_lacks(tmp_path):
    _, per = read_params_file(_write(tmp_path, "revenues:\n  cutoff: 2001-01\n"), ["revenues"])
    with pytest.raises(ParameterError, match="chapter revenues has no parameter 'cutoff'"):
        resolve(discover(), {}, per)


def test_p_wins_over_the_params_file_its_chapter_blocks_included(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from iijbook_build import cli

    calls = []
    monkeypatch.setattr(
        cli, "build", lambda values, **_: calls.append(values) or SimpleNamespace(site="", seconds=0)
    )
    path = _write(tmp_path, "jpy_per_usd: 140\nrevenues:\n  jpy_per_usd: 130\n  guidance_point: low\n")
    assert cli.main(["build", "-f", str(path), "-p", "jpy_per_usd", "150"]) == 0
    assert calls[0]["revenues"] == {"jpy_per_usd": 150.0, "guidance_point": "low"}


# -- the command ---------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("build", "--help"), ("params",)])
def test_help_and_params_list_every_chapter_parameter(args):
    proc = run_cli(*args)
    assert proc.returncode == 0
    for chapter in discover():
        assert f"## {chapter.name}\n" in proc.stdout
        for p in chapter.parameters:
            row = [f"`{p.name}`", f"`{p.annotation}`", f"`{p.default!r}`", p.comment]
            assert "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "jpy_per_usd", "-5"], "parameter jpy_per_usd: -5.0 is out of range: allowed [50, 1000]"),
        (["-p", "jpy_per_usd", "cheap"], "parameter jpy_per_usd: 'cheap' is not a float or None"),
        (["-p", "no_such_parameter", "1"], "unknown parameter 'no_such_parameter'"),
        (["--chapter", "no_such_chapter"], "unknown chapter 'no_such_chapter'"),
        # an option where NAME should be: no NAME and no VALUE were given
        (["-p", "--force", "3"], "-p has no NAME VALUE: the next word is the option --force"),
    ],
)
def test_refusals_exit_2_with_one_line_and_leave_the_site_byte_identical(built_book, args, message):
    before = tree_digest(built_book / "html")
    proc = run_cli("build", "--build-dir", str(built_book), *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert tree_digest(built_book / "html") == before


# -- the cache and injection, on a small book ---------------------------------------------
def test_cache_reuses_runs_and_notices_data_changes(tmp_path, monkeypatch):
    data_copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", data_copy)
    monkeypatch.setenv("IIJBOOK_DATA_DIR", str(data_copy))
    root = make_mini_project(tmp_path, ("tiny", "tiny=second"))
    build_dir = tmp_path / "_build"
    quiet = {"say": lambda _: None, "root": root, "build_dir": build_dir}

    first = build_mod.build({}, **quiet)
    assert [r.status for r in first.runs] == ["executed", "executed"]
    again = build_mod.build({}, **quiet)
    assert [r.status for r in again.runs] == ["cached", "cached"]

    changed = build_mod.build({"tiny": {"rate": 3.0}}, **quiet)
    assert [r.status for r in changed.runs] == ["executed", "cached"]
    assert glued_values(build_dir / "executed" / "tiny.ipynb")["product"] == "'63.0'"  # 21 * 3

    path = data_copy / "gaps.csv"
    path.write_text(path.read_text() + "extra_gap,capex,A chart,,numbers,\n")
    after_data = build_mod.build({"tiny": {"rate": 3.0}}, **quiet)
    assert [r.status for r in after_data.runs] == ["executed", "executed"]

    forced = build_mod.build({"tiny": {"rate": 3.0}}, force=True, **quiet)
    assert [r.status for r in forced.runs] == ["executed", "executed"]


def test_injection_in_a_string_parameter_is_inert(tmp_path):
    root = make_mini_project(tmp_path)
    marker = tmp_path / "pwned"
    attack = f"x'\nimport os; os.system('touch {marker}')\nlabel = 'y"
    values = resolve(discover(root), {"label": attack})
    build_mod.build(values, root=root, build_dir=tmp_path / "_build", say=lambda _: None)
    assert not marker.exists()
    glued = glued_values(tmp_path / "_build" / "executed" / "tiny.ipynb")
    assert glued["label"] == repr(attack)
    page = (tmp_path / "_build" / "html" / "chapters" / "tiny.html").read_text(encoding="utf-8")
    assert "import os; os.system" in page  # shown as text, not run

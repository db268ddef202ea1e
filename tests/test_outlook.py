"""The later-reported figures and the FY2001 base other chapters share, checked by hand."""

import ast
import re
from pathlib import Path

import nbformat
import pytest
from iijbook import outlook
from iijbook.metrics import Interval


def test_later_figures_carry_the_rounding_of_their_printed_form():
    # "JPY44.0B" is precise to 0.1B; "6.3%" to 0.1 point; "JPY567M" to 1M
    assert outlook.later_figure("total_revenues", "FY2002").interval == Interval(43.95e9, 44.05e9)
    assert outlook.later_figure("revenue_growth_yoy", "3Q02").interval == Interval(0.0625, 0.0635)
    assert outlook.later_figure("operating_income", "3Q02").interval == Interval(-567.5e6, -566.5e6)
    # "about JPY1.7B", stored as a loss
    assert outlook.later_figure("operating_income", "FY2002").interval == Interval(-1.75e9, -1.65e9)
    # the 4Q guidance is printed as a range "JPY12.5-13.0B": taken as exact
    g = outlook.later_figure("total_revenues_guidance_low", "4Q02")
    assert g.interval.width == 0


def test_unknown_later_figure_is_named():
    with pytest.raises(KeyError, match="no later-reported 'ebitda' for '3Q02'"):
        outlook.later_figure("ebitda", "3Q02")


def test_fy2001_implied_by_hand():
    # 44.0 / 1.103 = 39.8912; bounds 43.95 / 1.1035 = 39.8278 and 44.05 / 1.1025 = 39.9546
    d = outlook.fy2001_implied()
    assert d.value == pytest.approx(39.8912e9, rel=1e-5)
    assert d.interval.lo == pytest.approx(39.8278e9, rel=1e-5)
    assert d.interval.hi == pytest.approx(39.9546e9, rel=1e-5)


def test_fy2001_base_takes_an_override_and_refuses_nonsense():
    assert outlook.fy2001_base(38e9) == (38e9, "set as a parameter of this page")
    with pytest.raises(ValueError, match="FY2001 revenue must be positive"):
        outlook.fy2001_base(-1.0)


# Hindsight in its place, read from the source notebooks of the chapters named below: a code cell
# that computes from later figures is tagged `hindsight` and opens with "# Hindsight:", and prose outside a
# hindsight block cites no value only such a cell computes, nor a later figure directly.
HINDSIGHT_CHAPTERS = ("outlook", "capex", "broadband", "services", "data_centers")
_BLOCK = re.compile(r"(`{3,})\{admonition\}[^\n]*\n:class: hindsight\n.*?\n\1", re.S)
_EVAL = re.compile(r"\{eval\}`([^`]*)`")
_LATER_CALLS = ("later_figure(", "later_value(")


def _assigned(source: str) -> set[str]:
    """The names a cell binds: assignment targets, loop variables, functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
    return names


@pytest.mark.parametrize("chapter", HINDSIGHT_CHAPTERS)
def test_hindsight_in_its_place(chapter):
    nb = nbformat.read(Path(__file__).parent.parent / "chapters" / f"{chapter}.ipynb", as_version=4)
    later, plain = set(), set()
    for cell in (c for c in nb.cells if c.cell_type == "code"):
        if "hindsight" in cell.metadata.get("tags", []):
            assert cell.source.startswith("# Hindsight:"), cell.get("id")
            later |= _assigned(cell.source)
        else:
            plain |= _assigned(cell.source)
            assert not any(call in cell.source for call in _LATER_CALLS), cell.get("id")
    later_only = later - plain
    for cell in (c for c in nb.cells if c.cell_type == "markdown"):
        for expr in _EVAL.findall(_BLOCK.sub("", cell.source)):
            used = {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}
            assert not used & later_only, (cell.get("id"), expr)
            assert not any(call in expr for call in _LATER_CALLS), (cell.get("id"), expr)

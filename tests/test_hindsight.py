"""Hindsight in its place: no figure published after November 2002 outside a hindsight block.

Each chapter's built page is read as a reader reads it (its text, without scripts or styles) less
what sits in a hindsight block: a markdown admonition of class ``hindsight`` or a code cell tagged
``hindsight`` (its source and outputs). What is left must not show a later-dated figure: a value of
``data/iij_reported_later.csv`` or a cell of the quarter of record first known after
``record.RELEASE``, in any of the forms the book prints (``fmt.yen`` with its own digits, 1 and 2,
``fmt.millions``, ``fmt.pct``; signs aside), unless the same text also prints a figure a reader had
in November 2002 (3Q02's ¥10.6B is also 2Q02's printed ¥10.6B: it tells nothing).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from iijbook import data, fmt, record
from iijbook_build.inputs import toc_files

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [name.split("/")[-1] for name in toc_files() if (ROOT / f"{name}.ipynb").is_file()]


def forms(value: float, unit: str) -> set[str]:
    """The texts the book prints a figure as, without its sign (a loss is cited as "a loss of ¥446M")."""
    v = abs(float(value))
    if unit == "ratio":
        shown = {fmt.pct(v)}
    elif unit == "JPY":
        shown = {fmt.yen(v), fmt.yen(v, 1), fmt.yen(v, 2), fmt.millions(v)}
    else:
        shown = set()
    return {str(s).replace(fmt.WORD_JOINER, "") for s in shown}


def _unit(line: str) -> str:
    return "ratio" if line in record.RATES else "JPY"


def known_then() -> set[str]:
    """Every form of every figure a reader had in November 2002, and of the bounds of its rounding
    interval (a page prints "¥786M to ¥807M"): the release's, the sources published by then, and
    the record's cells known by the release."""
    out: set[str] = set()
    for f in data.figures().itertuples():
        iv = data.figure(f.id).interval
        out |= forms(f.value, f.unit) | forms(iv.lo, f.unit) | forms(iv.hi, f.unit)
    ctx = data.context()
    for r in ctx[ctx["published"] <= record.RELEASE].itertuples():
        out |= forms(r.value, r.unit)
    rec = record.record().dropna(subset=["value"])
    for r in rec[rec["known"] <= record.RELEASE].itertuples():
        out |= forms(r.value, _unit(r.line)) | forms(r.low, _unit(r.line)) | forms(r.high, _unit(r.line))
    return out


def known_later() -> set[str]:
    """The distinctive forms of the figures first published after November 2002: IIJ's later
    reports, the sources published later (Crosswave's 2003 debts, the 2005 restatement) and the
    record's cells first known after the release."""
    out: set[str] = set()
    ctx = data.context()
    for table in (data.reported_later(), ctx[ctx["published"] > record.RELEASE]):
        for r in table.itertuples():
            out |= forms(r.value, r.unit)
    rec = record.record().dropna(subset=["value"])
    for r in rec[rec["known"] > record.RELEASE].itertuples():
        out |= forms(r.value, _unit(r.line))
    return out - known_then()


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Reader(HTMLParser):
    """The page's text outside hindsight blocks, scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # for each open element: whether it starts a skipped subtree
        self.skipping, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skip = (
            tag in ("script", "style") or "tag_hindsight" in classes or {"admonition", "hindsight"} <= classes
        )
        self.stack.append(skip)
        self.skipping += skip

    def handle_endtag(self, tag):
        if tag not in _VOID and self.stack:
            self.skipping -= self.stack.pop()

    def handle_data(self, text):
        if not self.skipping:
            self.parts.append(text)


def outside_hindsight(page: Path) -> str:
    reader = _Reader()
    reader.feed(page.read_text(encoding="utf-8"))
    return " ".join(" ".join(reader.parts).replace(fmt.WORD_JOINER, "").split())


def later_figures_in(text: str, later: set[str]) -> list[str]:
    """Each later form the text shows as a whole figure (not inside a longer number), with its context."""
    found = []
    for form in sorted(later):
        for m in re.finditer(rf"(?<![\d.,]){re.escape(form)}(?![\d])", text):
            found.append(f"{form}: …{text[max(m.start() - 60, 0) : m.end() + 20]}…")
    return found


def test_the_later_figures_are_worked_out_as_the_docstring_says():
    later, then = known_later(), known_then()
    # 4Q02 revenues, ¥13.0B (2003-05-21): distinctive; 3Q02 revenues, ¥10.6B (2003-02-13), is also
    # 2Q02's printed JPY10.6B, so it is not
    assert "¥13.0B" in later and "¥10.6B" not in later and "¥10.6B" in then
    # 3Q02 operating loss −567M: "¥567M"; 4Q01 revenues 2H01 − 3Q01 = 12.01B: "¥12.0B" and "¥12.01B"
    assert {"¥567M", "¥12.0B", "¥12.01B", "6.3%"} <= later
    # the record's November 2002 cells are not later: 1Q02 revenues ¥9.88B, 1Q02 operating loss ¥465M
    assert not {"¥9.88B", "¥465M"} & later


def test_the_reader_leaves_out_hindsight_blocks_and_tagged_cells(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "<p>In November 2002: ¥10.6B.<br></p>"
        '<div class="hindsight admonition"><p>4Q02: ¥13.0B</p><div><p>nested</p></div></div>'
        '<div class="cell tag_hide-input tag_hindsight"><img src="x"><p>¥567M</p></div>'
        "<script>var x = '¥12.0B';</script><p>after: ¥12.0B</p>",
        encoding="utf-8",
    )
    text = outside_hindsight(page)
    assert text == "In November 2002: ¥10.6B. after: ¥12.0B"
    found = later_figures_in(text, {"¥12.0B", "¥13.0B"})
    assert len(found) == 1 and found[0].startswith("¥12.0B")
    assert not later_figures_in("a ¥112.0B and ¥12.05B", {"¥12.0B"})


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_later_figure_outside_a_hindsight_block(site, chapter):
    text = outside_hindsight(site / "chapters" / f"{chapter}.html")
    found = later_figures_in(text, known_later())
    assert not found, f"{chapter}: later figures outside a hindsight block:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_code_cell_tagged_hindsight_says_so_first(chapter):
    import nbformat

    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "hindsight" in cell.metadata.get("tags", []):
            assert cell.source.startswith("# Hindsight: "), f"{chapter} cell {cell.get('id')}"

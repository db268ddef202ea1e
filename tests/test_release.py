"""The release, annotated (chapters/release.md): the release in full, its figures and lost charts linked.

The page is written by hand. The build checks where its links land: it renders with ``-n -W``
and ``myst_heading_anchors: 3``, so a link to a chapter or a section anchor that does not exist
is a warning (``myst.xref_missing``) and fails the build. These tests check the rest, without a
build: the box holds the release's text, nothing added and nothing lost, and every figure and
lost chart that the data files list is a link into a chapter of the book.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "chapters" / "release.md"
COPY = ROOT / "data" / "release" / "002_16b4355b70e1c4d5.txt"
SHARED = ROOT.parent / "shared" / "release" / COPY.name
CHAPTER_OF = {"broadband_market": "broadband", "guidance": "outlook"}  # a data section's chapter
LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\(([^)\s]*)\)")


def _rows(name: str) -> list[dict[str, str]]:
    with (ROOT / "data" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _as_read(line: str) -> str:
    """A line as a reader reads it: no links, headings, bullets, table bars, bold marks or escapes."""
    if re.fullmatch(r"\|[-:| ]+\|", line):  # a table's header rule
        return ""
    line = LINK.sub(r"\1", line).replace("{sup}`(*)`", "(*)").replace("^(*)", "(*)")
    line = re.sub(r"^#{1,6} |^\s*- ", "", line).replace("**", "")
    line = re.sub(r"\\$", "", line.replace("|", " ") if line.startswith("|") else line)
    line = re.sub(r"\\(.)", r"\1", line)
    line = line.translate({0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"'})
    return " ".join(line.split())  # any run of spaces, no-break ones too, one space


def _box() -> list[str]:
    """The page's lines inside the release's box (the admonition), without its options."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(":::::{admonition}"))
    return [line for line in lines[start + 1 : lines.index(":::::", start)] if not line.startswith(":class:")]


def _links(lines: list[str]) -> list[tuple[str, str]]:
    """Every link, in order: (its text as read, its target)."""
    return [(_as_read(m[1]), m[2]) for line in lines for m in LINK.finditer(line)]


def _key(text: str) -> str:
    return "".join(text.lower().split())


def test_the_books_copy_of_the_release_is_the_shared_one():
    if not SHARED.is_file():
        pytest.skip(f"{SHARED} is not beside the project")
    assert COPY.read_bytes() == SHARED.read_bytes()


def test_the_box_holds_the_release_line_for_line():
    # the one line break the page closes up: a data centre's bold title, printed on two lines
    release = re.sub(r"\*\*([^*\n]+)\n([^*\n]+)\*\*", r"**\1 \2**", COPY.read_text(encoding="utf-8"))
    expected = [read for line in release.splitlines() if (read := _as_read(line))]
    shown = [read for line in _box() if (read := _as_read(line))]
    assert len(expected) == 97  # the release's 99 non-blank lines, two titles joined
    assert shown == expected


def test_every_printed_figure_is_a_link_to_its_chapter():
    figures, centres = _rows("release_figures.csv"), _rows("data_centers.csv")
    links = _links(_box())
    chapters: dict[str, set[str]] = {}
    for text, href in links:
        chapters.setdefault(_key(text), set()).add(Path(href.partition("#")[0]).stem)
    for row in figures:
        assert _key(row["printed"]) in chapters, f"{row['id']}: {row['printed']!r} is not a link"
        if row["section"] not in ("highlights", "guidance"):
            wanted = CHAPTER_OF.get(row["section"], row["section"])
            assert chapters[_key(row["printed"])] == {wanted}, row["id"]
    # each cell of the data-centre tables is a link (a dash, which adds nothing, is not)
    cells = Counter(_key(r["printed"]) for r in centres if r["printed"] != "-")
    assert not cells - Counter(_key(text) for text, _ in links), "data-centre cells not linked"
    assert sum(cells.values()) == 26
    # and nothing else is: every link is a figure or a lost chart's title
    known = {_key(r["printed"]) for r in figures + centres}
    known |= {_key(g["chart_title"]) for g in _rows("gaps.csv")}
    assert not [text for text, _ in links if _key(text.replace("(*)", "")) not in known]


def test_every_lost_chart_title_is_a_link_to_its_chapter_in_order():
    gaps = _rows("gaps.csv")
    titles = {_key(g["chart_title"]) for g in gaps}
    linked = [
        (_key(text.replace("(*)", "")), Path(href.partition("#")[0]).stem)
        for text, href in _links(_box())
        if _key(text.replace("(*)", "")) in titles
    ]
    assert linked == [(_key(g["chart_title"]), CHAPTER_OF.get(g["section"], g["section"])) for g in gaps]


def test_every_link_goes_to_a_section_of_a_chapter_of_the_book():
    def files(entries: list) -> set[str]:
        out: set[str] = set()
        for entry in entries:
            out |= {entry["file"]} if "file" in entry else set()
            out |= files(entry.get("chapters", []) + entry.get("parts", []) + entry.get("sections", []))
        return out

    toc = files([yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))])
    links = _links(PAGE.read_text(encoding="utf-8").splitlines())
    assert links
    for text, href in links:
        path, _, anchor = href.partition("#")
        assert f"chapters/{Path(path).with_suffix('')}" in toc and anchor, (text, href)


# -- quotations: each is one line of the release, never lines spliced into one -----------------
QUOTED = re.compile(r'"([^"]+)"')
#: A chapter's quotation presented as the release's: a quoted text within a clause after "release".
RELEASE_QUOTE = re.compile(r"\brelease(?:'s|’s)?\b[^.;\"“”]{0,60}?[\"“]([^\"“”]+)[\"”]")


def _release_lines() -> list[str]:
    """The release's lines as a reader reads them (no bold marks, bullets or escapes: ``\\$`` is ``$``),
    each on one space."""
    return [read for line in COPY.read_text(encoding="utf-8").splitlines() if (read := _as_read(line))]


def _on_one_line(quoted: str, lines: list[str]) -> bool:
    text = _as_read(quoted).lower()  # a quotation may open with a capital the line does not have
    return any(text in line.lower() for line in lines)


def test_a_quotation_spliced_from_two_lines_is_caught():
    lines = _release_lines()
    # "21.4% => 44.0%" and "(1999/12) (2001/12)" are two lines of the release; "Internet" a third
    assert _on_one_line("21.4% => 44.0%", lines) and _on_one_line("(1999/12) (2001/12)", lines)
    assert not _on_one_line("Internet 21.4% => 44.0% (1999/12) (2001/12)", lines)
    # the release's "JPY10.5B(\$86.2M)" is read with its dollar sign
    assert _on_one_line("Total revenues in 3Q02 to be between JPY10.5B($86.2M)", lines)


def test_every_quotation_in_a_source_column_is_one_line_of_the_release():
    lines, checked = _release_lines(), 0
    for path in sorted((ROOT / "data").glob("*.csv")):
        for n, row in enumerate(_rows(path.name), start=2):
            for quoted in QUOTED.findall(row.get("source") or ""):
                checked += 1
                assert _on_one_line(quoted, lines), (
                    f"{path.name} line {n}: {quoted!r} is not one line of the release"
                )
    assert checked >= 40  # release_figures.csv quotes the release for each of its figures


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "chapters").glob("*.ipynb")),
    ids=lambda p: p.stem,
)
def test_a_chapters_quotation_of_the_release_is_one_line_of_it(path):
    import nbformat

    lines = _release_lines()
    cells = nbformat.read(path, as_version=4).cells
    # the prose without its {eval} expressions and code spans (their quotes are Python's): a quotation
    # holding one ({} in its place) is not the release's words alone
    fenceless = [re.sub(r"(?m)^\s*`{3,}.*$", "", c.source) for c in cells if c.cell_type == "markdown"]
    prose = [re.sub(r"(\{\w+\})?(`+)[\s\S]*?\2", "{}", text) for text in fenceless]
    quotes = [m[1] for text in prose for m in RELEASE_QUOTE.finditer(text)]
    spliced = [q for q in quotes if not set("{}`=") & set(q) and not _on_one_line(q, lines)]
    assert not spliced, f"{path.name}: quoted as the release's, but not one line of it: {spliced}"

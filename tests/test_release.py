"""The release, annotated (chapters/release.md): the release in full, its figures and lost charts linked."""

from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from iijbook_build import release

ROOT = Path(__file__).resolve().parents[1]
COPY = ROOT / release.RELEASE
SHARED = ROOT.parent / "shared" / "release" / COPY.name


def _rows(name: str) -> list[dict[str, str]]:
    with (ROOT / "data" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _norm(text: str) -> str:
    """Text as a reader sees it: typographic quotes plain, any run of spaces (no-break too) one space."""
    text = text.translate({0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"'})
    return " ".join(text.split())


def _as_read(line: str) -> str:
    """A line of the release's text without its Markdown: bullets, bold marks and escapes."""
    line = re.sub(r"^\s*- ", "", line).replace("**", "").replace("\\$", "$").replace("^(*)", "(*)")
    return _norm(line)


# --- without a build ----------------------------------------------------------------------------


def test_the_committed_page_is_what_the_generator_writes():
    committed = (ROOT / release.PAGE).read_text(encoding="utf-8")
    assert committed == release.render(ROOT), (
        "chapters/release.md is stale: run `.venv/bin/python -m iijbook_build.release` and commit it"
    )


def test_the_books_copy_of_the_release_is_the_shared_one():
    if not SHARED.is_file():
        pytest.skip(f"{SHARED} is not beside the project")
    assert COPY.read_bytes() == SHARED.read_bytes()


@pytest.fixture
def book_copy(tmp_path: Path) -> Path:
    """What the generator reads, copied: the configuration, the data and the chapter notebooks."""
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "chapters").mkdir()
    for notebook in (ROOT / "chapters").glob("*.ipynb"):
        shutil.copy(notebook, tmp_path / "chapters" / notebook.name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "said"),
    [
        # a figure the release no longer prints
        (str(release.RELEASE), "An increase of 7.3% QoQ", "An increase QoQ", "revenue_growth_qoq_2q02"),
        # a figure printed once more than the table has rows for
        (str(release.RELEASE), "EBITDA doubled to JPY662M", "EBITDA doubled to JPY662M (JPY194M)", "JPY194M"),
        # a lost chart's title that is no longer a heading of the release
        (str(release.RELEASE), "\nCAPEX (YoY)\n", "\nCapital expenditure (YoY)\n", "CAPEX (YoY)"),
        # a data-centre cell that disagrees with data/data_centers.csv
        (str(release.RELEASE), "\t6,745m ²", "\t6,754m ²", "6,754m ²"),
        # a section heading renamed in a chapter
        (
            "chapters/outlook.ipynb",
            "### The operating result",
            "### Operating income",
            "The operating result",
        ),
    ],
)
def test_the_generator_refuses_what_no_longer_fits(book_copy: Path, file: str, old: str, new: str, said: str):
    _edit(book_copy / file, old, new)
    with pytest.raises(release.ReleasePageError, match=re.escape(said)):
        release.render(book_copy, anchors=True)


def test_every_target_is_a_heading_of_its_chapter():
    links = release._Anchors(ROOT, anchors=True)
    targets = {release.Target(c, h) for _, c, h in release.FIGURE_LINKS + release.GAP_LINKS if c}
    targets |= {release.Target(c, h) for c, h in release.DATA_CENTRE_LINKS.values()}
    for target in sorted(targets, key=lambda t: (t.chapter, t.heading)):
        assert links.link(target).startswith(f"{target.chapter}.ipynb#")


# --- the built page -----------------------------------------------------------------------------


class _Block(HTMLParser):
    """The text and links of the release's box (``div.iijbook-release``) on the built page."""

    BREAKS = {"p", "li", "td", "th", "tr", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6"}
    VOID = {"br", "img", "hr", "input", "meta", "link", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # open elements inside the box; 0 outside it
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._link: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.depth == 0:
            if tag == "div" and "iijbook-release" in (a.get("class") or "").split():
                self.depth = 1
            return
        if tag in self.BREAKS:
            self.text.append(" ")
        if tag == "a" and a.get("href"):
            self._link, self._href = [], a["href"] or ""
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth == 0 or tag in self.VOID:
            return
        self.depth -= 1
        if tag in self.BREAKS:
            self.text.append(" ")
        if tag == "a" and self._link is not None:
            self.links.append((_norm("".join(self._link)), self._href))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)
            if self._link is not None:
                self._link.append(data)


@pytest.fixture(scope="module")
def page(site: Path) -> Path:
    return site / "chapters" / "release.html"


@pytest.fixture(scope="module")
def block(page: Path) -> _Block:
    parsed = _Block()
    parsed.feed(page.read_text(encoding="utf-8"))
    assert parsed.text, "the page has no div.iijbook-release"
    return parsed


def _chapter(href: str) -> str:
    return Path(urlsplit(href).path).stem


def test_the_page_carries_every_line_of_the_release(block: _Block):
    shown = _norm("".join(block.text))
    lines = [line for line in COPY.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [line for line in lines if _as_read(line) not in shown]
    assert len(lines) == 99  # the non-blank lines of the release as extracted
    assert not missing, "lines of the release not on the page:\n  " + "\n  ".join(missing)


def test_every_printed_figure_is_a_link_to_its_chapter(block: _Block):
    by_text: dict[str, list[str]] = {}
    for text, href in block.links:
        by_text.setdefault(text.lower(), []).append(href)
    chapters = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    for row in _rows("release_figures.csv"):
        hrefs = by_text.get(_norm(row["printed"]).lower())
        assert hrefs, f"{row['id']}: {row['printed']!r} is not a link"
        wanted = release.SECTION_CHAPTERS.get(row["section"], row["section"])
        for href in hrefs:
            chapter = _chapter(href)
            assert chapter in chapters, (row["id"], href)
            if row["section"] not in ("highlights", "guidance"):
                assert chapter == wanted, (row["id"], href)


def test_every_figure_of_the_data_centre_tables_is_a_link(block: _Block):
    def key(printed: str) -> str:
        return printed.replace(" ", "").replace("\u00a0", "")

    expected = Counter(key(r["printed"]) for r in _rows("data_centers.csv") if r["printed"] != "-")
    linked = Counter(
        key(text)
        for text, href in block.links
        if _chapter(href) == "data_centers" and re.fullmatch(r"[\d,]+m²|\(\d+\)", key(text))
    )
    assert sum(expected.values()) == 26  # 32 cells of data, 6 of them a dash
    assert linked == expected


def test_every_lost_chart_title_is_a_link_to_its_chapter_in_order(block: _Block):
    gaps = _rows("gaps.csv")
    for title in dict.fromkeys(g["chart_title"] for g in gaps):
        wanted = [
            release.SECTION_CHAPTERS.get(g["section"], g["section"])
            for g in gaps
            if g["chart_title"] == title
        ]
        found = [
            _chapter(href) for text, href in block.links if text.replace("(*)", "").split() == title.split()
        ]
        assert found == wanted, title


def test_the_box_links_only_figures_and_lost_charts(block: _Block):
    known = {_norm(r["printed"]).lower() for r in _rows("release_figures.csv")}
    known |= {_norm(r["printed"]).replace(" ", "").lower() for r in _rows("data_centers.csv")}
    known |= {g["chart_title"].lower() for g in _rows("gaps.csv")}
    stray = [
        (text, href)
        for text, href in block.links
        if not {text.lower(), text.replace(" ", "").lower(), _norm(text.replace("(*)", " ")).lower()} & known
    ]
    assert not stray


def test_every_link_on_the_page_resolves_to_a_file_and_an_anchor(page: Path, block: _Block):
    class _Ids(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: set[str] = set()
            self.hrefs: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if a.get("id"):
                self.ids.add(a["id"] or "")
            if tag == "a" and a.get("href"):
                self.hrefs.append(a["href"] or "")

    def parse(path: Path) -> _Ids:
        parsed = _Ids()
        parsed.feed(path.read_text(encoding="utf-8"))
        return parsed

    broken = []
    for href in parse(page).hrefs:
        parts = urlsplit(href)
        if parts.scheme:
            continue
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if not target.is_file():
            broken.append(f"{href}: no such file")
        elif parts.fragment and unquote(parts.fragment) not in parse(target).ids:
            broken.append(f"{href}: no such anchor")
    assert not broken, broken
    if release.heading_anchors(ROOT) >= release.ANCHOR_DEPTH:
        # with heading anchors every link of the box goes to a section, not the top of a chapter
        assert all(urlsplit(href).fragment for _, href in block.links), block.links


def test_the_introduction_and_the_classroom_page_link_the_release(site: Path):
    assert 'href="chapters/release.html"' in (site / "intro.html").read_text(encoding="utf-8")
    assert 'href="release.html"' in (site / "chapters" / "classroom.html").read_text(encoding="utf-8")

"""The release, annotated: write ``chapters/release.md``, the release's full text with links.

The book keeps the release as it was extracted to text, in ``data/release/`` (a byte-for-byte
copy of the project's shared source). This module sets that text on a page of its own and lays
two kinds of link over it:

- every figure the release prints (a row of ``data/release_figures.csv``, or a cell of a data
  centre table, a row of ``data/data_centers.csv``) links to the chapter section that works with
  it;
- every title of a chart that lost its numbers (a row of ``data/gaps.csv``) links to the list of
  lost charts in its chapter. The gap rows have no anchor of their own, so the link goes to the
  section that lists them.

Where each link goes is written out below (:data:`FIGURE_LINKS`, :data:`DATA_CENTRE_LINKS`,
:data:`GAP_LINKS`), one row per occurrence: the highlights print ``JPY194M`` and the
profitability slide prints it again, so it has two rows. The three charts titled "Revenues and
Gross Margin" are matched to their gap rows in the order the release prints them. The page is
refused, not written, when the release, a data file or a chapter no longer fits those tables (a
figure printed once more or once less, a data row without a target, a section heading renamed).

A section is addressed by its heading's MyST slug (``revenues.ipynb#the-3q02-guidance``), which
Sphinx resolves only when ``_config.yml`` sets ``myst_heading_anchors``; without it the links
go to the chapters, and the intro says so. The third line of the highlights, with anchors:

>>> page = render(anchors=True)
>>> print(next(line for line in page.splitlines() if "7.3%" in line))
  - An increase of [7.3%](revenues.ipynb#growth-the-quarters-the-release-implies) QoQ,
  an increase of [10.9%](revenues.ipynb#growth-the-quarters-the-release-implies) YoY

and the three charts of one title, each to its own chapter's gaps:

>>> for line in page.splitlines():
...     if line.lstrip("#").startswith(" [Revenues and Gross Margin]"):
...         print(line.split("(")[-1])
revenues.ipynb#what-the-release-leaves-unknown)
systems_integration.ipynb#what-the-release-leaves-unknown)
equipment_sales.ipynb#what-the-release-leaves-unknown)

Run ``python -m iijbook_build.release`` to write the page; ``tests/test_release.py`` fails when
the committed page differs from what this module writes.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .chapters import project_root
from .yamlfile import load_yaml

#: The release as extracted to text, kept in the book (a copy of ``../shared/release/``).
RELEASE = Path("data/release/002_16b4355b70e1c4d5.txt")

#: The page this module writes.
PAGE = Path("chapters/release.md")

# --------------------------------------------------------------------------------------------
# Where each link goes: (data row id, chapter notebook, heading of the section), one row per
# occurrence in the release, in the order the release prints them. A row with no chapter is an
# occurrence of the printed words that is not the figure: it stays plain text.

FIGURE_LINKS: tuple[tuple[str, str, str], ...] = (
    # the opening statement's risks: "IIJ's ability to maintain positive operating income" is a
    # risk, not the guidance
    ("guide_operating_income_min_fy2002", "", ""),
    # highlights: revenues
    ("revenue_2q02", "revenues", "The quarter, in yen and in dollars"),
    ("revenue_usd_2q02", "revenues", "The quarter, in yen and in dollars"),
    ("revenue_rank_2q02", "revenues", "Which quarter was the highest?"),
    ("revenue_growth_qoq_2q02", "revenues", "Growth: the quarters the release implies"),
    ("revenue_growth_yoy_2q02", "revenues", "Growth: the quarters the release implies"),
    ("revenue_growth_yoy_1h02", "revenues", "Growth: the quarters the release implies"),
    # highlights: profitability
    ("gross_margin_2q02", "profitability", "Gross profit: revenues times margin"),
    ("gross_margin_1q02", "profitability", "Gross profit: revenues times margin"),
    ("gross_margin_2q01", "profitability", "Gross profit: revenues times margin"),
    ("operating_loss_improvement_2q02", "profitability", "The 1Q02 loss and EBITDA the words imply"),
    ("operating_income_2q02", "profitability", "The 1Q02 loss and EBITDA the words imply"),
    ("ebitda_multiple_qoq_2q02", "profitability", "The 1Q02 loss and EBITDA the words imply"),
    ("ebitda_2q02", "profitability", "The 1Q02 loss and EBITDA the words imply"),
    # guidance: the outlook sets it against what came; the dollar translations are read for
    # their exchange rate in revenues
    ("guide_revenue_low_3q02", "outlook", "3Q02: inside the range, in its lower part"),
    ("guide_revenue_low_usd_3q02", "revenues", "The quarter, in yen and in dollars"),
    ("guide_revenue_high_3q02", "outlook", "3Q02: inside the range, in its lower part"),
    ("guide_revenue_high_usd_3q02", "revenues", "The quarter, in yen and in dollars"),
    ("guide_revenue_growth_fy2002", "outlook", "FY2002: the target and the year"),
    ("guide_operating_income_min_fy2002", "outlook", "The operating result"),
    # the revenues slide: "20% growth expected" beside the full-year chart
    ("guide_revenue_growth_fy2002", "revenues", "What a +20% year asks of the second half"),
    # services
    ("catv_companies_expected_2h02", "services", 'Sizing "more than 10 operators"'),
    # data centres
    ("data_centers_existing", "data_centers", "What the release states"),
    ("data_centers_planned", "data_centers", "What the release states"),
    # the profitability slide repeats two highlights
    ("operating_income_2q02", "profitability", "The 1Q02 loss and EBITDA the words imply"),
    ("guide_operating_income_min_fy2002", "profitability", "What a profitable year needs"),
    # Japan's broadband
    ("internet_penetration_1999_12", "broadband", "Growth rates"),
    ("internet_penetration_2001_12", "broadband", "Growth rates"),
    ("mobile_phones_2002_08", "broadband", "The mobile phone count"),
    ("mobile_internet_2000_03", "broadband", "Growth rates"),
    ("mobile_internet_2002_08", "broadband", "Growth rates"),
    ("adsl_2000_03", "broadband", "The release against the monthly series"),
    ("adsl_2002_10", "broadband", "The release against the monthly series"),
    ("catv_internet_2000_03", "broadband", "The release against the monthly series"),
    ("catv_internet_2002_09", "broadband", "The release against the monthly series"),
    ("ftth_2002_09", "broadband", "The release against the monthly series"),
)

#: The data-centre tables, by item (a column of ``data/data_centers.csv``): every cell of an
#: item goes to the same section. A cell printed "-" (the step adds nothing) is not a link.
DATA_CENTRE_LINKS: dict[str, tuple[str, str]] = {
    "floor_space": ("data_centers", "Server rooms: a third of the floor"),
    "server_room": ("data_centers", "Server rooms: a third of the floor"),
    "office_space": ("data_centers", "Office space: what the bracketed numbers are"),
    "office_seats": ("data_centers", "Office space: what the bracketed numbers are"),
}

GAP_LINKS: tuple[tuple[str, str, str], ...] = (
    ("revenues_growth_qoq", "revenues", "What the release leaves unknown"),
    ("revenues_growth_full_fiscal", "revenues", "What the release leaves unknown"),
    ("network_revenues_gross_margin", "revenues", "What the release leaves unknown"),
    ("ip_service_arpu", "services", "What the lost charts would tell"),
    ("dedicated_access_contracts", "services", "What the lost charts would tell"),
    ("si_revenues_gross_margin", "systems_integration", "What the release leaves unknown"),
    ("equipment_revenues_gross_margin", "equipment_sales", "What the release leaves unknown"),
    ("operating_profitability_qoq", "profitability", "What the release leaves unknown"),
    ("operating_profitability", "profitability", "What the release leaves unknown"),
    ("capex_trend", "capex", "What the release leaves unknown"),
    ("capex_qoq", "capex", "What the release leaves unknown"),
    ("capex_yoy", "capex", "What the release leaves unknown"),
    ("dsl_pricing", "broadband", "What the release leaves unknown"),
    ("projected_broadband", "broadband", "What the release leaves unknown"),
    ("cdn_platform", "services", "What the lost charts would tell"),
)

#: The chapter of each data section that is not a chapter's own name.
SECTION_CHAPTERS = {"broadband_market": "broadband", "guidance": "outlook"}

#: The release's headings (slide titles, chart titles, table titles, the labels of the broadband
#: slide), in order, with the level each is set at. Every other line is body text.
OUTLINE: tuple[tuple[str, int], ...] = (
    ("Internet Initiative Japan (Nasdaq: IIJI)", 3),
    ("Revenues Growth (QoQ)", 3),
    ("Revenues Growth (Full Fiscal)", 3),
    ("Revenues and Gross Margin", 3),
    ("IP Service ARPU", 3),
    ("Total Number of Contracts and Bandwidth in Dedicated Access Services", 3),
    ("Resource on Demand DC Service", 3),
    ("IIJ Group New Data Centers", 3),
    ("Yokohama 1 Data Center", 4),
    ("Saitama 1 Data Center", 4),
    ("Revenues and Gross Margin", 3),
    ("2Q SI Performance:", 4),
    ("SI Outlook:", 4),
    ("Equipment Sales", 3),
    ("Revenues and Gross Margin", 4),
    ("Operating Profitability (QoQ)", 3),
    ("Operating Profitability", 3),
    ("CAPEX Trend", 3),
    ("CAPEX (QoQ)", 4),
    ("CAPEX (YoY)", 4),
    ("Japan's Broadband", 3),
    ("Penetration Rate", 4),
    ("Internet", 5),
    ("Mobile Phone", 5),
    ("Mobile Internet", 5),
    ("Broadband Households", 4),
    ("ADSL", 5),
    ("CATV Internet", 5),
    ("FTTH", 5),
    ("Pricing (DSL)", 3),
    ("Projected Japanese Broadband Subscribers", 3),
    ("IIJ Content Delivery Network (CDN)", 3),
)

#: A no-break space: it reads as the release's space and keeps a table cell's figure on one line.
NBSP = "\u00a0"

#: The deepest heading a link points to (profitability's and the outlook's ``###``).
ANCHOR_DEPTH = 3


class ReleasePageError(ValueError):
    """The release, the data or a chapter no longer fits the tables above; the message says how."""


@dataclass(frozen=True)
class Target:
    """A section of a chapter: the notebook's name and the heading as the notebook writes it."""

    chapter: str
    heading: str


@dataclass(frozen=True)
class Figure:
    """A figure as printed (a row of ``data/release_figures.csv``)."""

    id: str
    section: str
    printed: str


# --------------------------------------------------------------------------------------------
# Reading


def _rows(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "data" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def heading_anchors(root: Path) -> int:
    """The heading depth to which ``_config.yml`` has MyST give headings anchors (0: none)."""
    path = root / "_config.yml"
    config = load_yaml(path.read_text(encoding="utf-8"), f"book configuration {path}") or {}
    sphinx = (config.get("sphinx") or {}).get("config") or {}
    depth = sphinx.get("myst_heading_anchors", 0)
    return depth if isinstance(depth, int) else 0


def _slug(title: str) -> str:
    """MyST's default heading slug (GitHub's): lower case, spaces to hyphens, punctuation gone."""
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", title.lower().replace(" ", "-"))


_FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def chapter_headings(path: Path) -> list[tuple[int, str]]:
    """The Markdown headings of a notebook's markdown cells, in order: (level, text)."""
    found: list[tuple[int, str]] = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        fence = ""
        for line in source.splitlines():
            opened = _FENCE.match(line)
            if opened:
                mark = opened.group(1)
                if not fence:
                    fence = mark
                elif mark[0] == fence[0] and len(mark) >= len(fence):
                    fence = ""
                continue
            heading = _HEADING.match(line)
            if heading and not fence:
                found.append((len(heading.group(1)), heading.group(2)))
    return found


class _Anchors:
    """Each target's link, once its chapter and heading are known to exist."""

    def __init__(self, root: Path, anchors: bool) -> None:
        self.root = root
        self.anchors = anchors
        self._slugs: dict[str, dict[str, str]] = {}

    def _chapter(self, chapter: str) -> dict[str, str]:
        if chapter not in self._slugs:
            path = self.root / "chapters" / f"{chapter}.ipynb"
            if not path.is_file():
                raise ReleasePageError(f"no chapter {path}")
            slugs: dict[str, str] = {}
            taken: set[str] = set()
            for level, text in chapter_headings(path):
                slug = base = _slug(re.sub(r"[*`]", "", text))
                i = 1
                while slug in taken:
                    slug, i = f"{base}-{i}", i + 1
                taken.add(slug)
                if level <= ANCHOR_DEPTH:
                    slugs.setdefault(text, slug)
            self._slugs[chapter] = slugs
        return self._slugs[chapter]

    def link(self, target: Target) -> str:
        slugs = self._chapter(target.chapter)
        if target.heading not in slugs:
            raise ReleasePageError(
                f"chapters/{target.chapter}.ipynb has no heading {target.heading!r} (level "
                f"{ANCHOR_DEPTH} or above); update the tables in {__name__}"
            )
        where = f"{target.chapter}.ipynb"
        return f"{where}#{slugs[target.heading]}" if self.anchors else where


# --------------------------------------------------------------------------------------------
# Writing Markdown

_SPECIAL = re.compile(r"([\\`*_\[\]<>|&])")


def _escape(text: str) -> str:
    """Plain text as MyST inline text: every character Markdown would read as markup, escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def _escape_start(text: str) -> str:
    """Escape what would start a block at the beginning of a line (``1)``, ``#``, ``-``, ``+``)."""
    numbered = re.match(r"(\d+)([.)])", text)
    if numbered:
        return f"{numbered.group(1)}\\{text[len(numbered.group(1)) :]}"
    if text[:1] in ("#", "-", "+", "="):
        return "\\" + text
    return text


_MARKUP = re.compile(r"(\*\*|\^\(\*\)|\\[!-/:-@\[-`{-~])")


def _unescape(piece: str) -> str:
    return piece[1] if piece.startswith("\\") else piece


def plain(line: str) -> str:
    """A release line as it reads: no bold marks or escapes, footnote mark kept, spaces collapsed.

    >>> plain("- **Total revenues grew to JPY10.6B (\\\\$86.8M)**")
    '- Total revenues grew to JPY10.6B ($86.8M)'
    """
    out = []
    for piece in _MARKUP.split(line):
        if piece == "**":
            continue
        out.append("(*)" if piece == "^(*)" else _unescape(piece))
    return " ".join("".join(out).split())


def _title_key(lines: list[str]) -> str:
    """A block's text as the outline and gaps.csv name it (without the footnote mark)."""
    return " ".join(plain(" ".join(lines)).replace("(*)", "").split())


class _Figures:
    """Finds the printed figures in the release's lines, in order, and links each occurrence."""

    def __init__(self, figures: list[Figure], anchors: _Anchors) -> None:
        by_printed: dict[str, Figure] = {}
        for f in figures:
            key = f.printed.lower()
            if key in by_printed:
                raise ReleasePageError(f"{f.id} and {by_printed[key].id} are both printed {f.printed!r}")
            by_printed[key] = f
        self.by_printed = by_printed
        alternatives = "|".join(re.escape(p) for p in sorted(by_printed, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![\w.,/$])(?:{alternatives})(?![\w]|[.,/]\d)", re.IGNORECASE)
        self.targets: dict[str, list[Target]] = defaultdict(list)
        for fid, chapter, heading in FIGURE_LINKS:
            self.targets[fid].append(Target(chapter, heading))
        unknown = set(self.targets) - {f.id for f in figures}
        if unknown:
            raise ReleasePageError(f"FIGURE_LINKS names figures data/release_figures.csv lacks: {unknown}")
        missing = [f.id for f in figures if f.id not in self.targets]
        if missing:
            raise ReleasePageError(f"figures of data/release_figures.csv with no target: {missing}")
        self.seen: Counter[str] = Counter()
        self.anchors = anchors

    def text(self, text: str) -> str:
        """Escaped MyST for a stretch of plain text, every figure in it a link."""
        out: list[str] = []
        at = 0
        for found in self.pattern.finditer(text):
            figure = self.by_printed[found.group(0).lower()]
            n = self.seen[figure.id]
            self.seen[figure.id] += 1
            targets = self.targets[figure.id]
            if n >= len(targets):
                raise ReleasePageError(
                    f"{figure.printed!r} ({figure.id}) is printed {n + 1} times in the release; "
                    f"FIGURE_LINKS has {len(targets)} row(s) for it"
                )
            out.append(_escape(text[at : found.start()]))
            if targets[n].chapter:
                out.append(f"[{_escape(found.group(0))}]({self.anchors.link(targets[n])})")
            else:
                out.append(_escape(found.group(0)))
            at = found.end()
        out.append(_escape(text[at:]))
        return "".join(out)

    def check_all_seen(self) -> None:
        short = {fid: (self.seen[fid], len(t)) for fid, t in self.targets.items() if self.seen[fid] != len(t)}
        if short:
            raise ReleasePageError(
                "figures printed a different number of times than FIGURE_LINKS has rows for "
                f"(printed, rows): {short}"
            )


def _inline(line: str, figures: _Figures) -> str:
    """One line of release text as MyST: bold kept, escapes read, the footnote mark raised."""
    out: list[str] = []
    text = ""
    for piece in _MARKUP.split(line):
        if piece in ("**", "^(*)"):
            out.append(figures.text(text))
            text = ""
            out.append("**" if piece == "**" else "{sup}`(*)`")
        else:
            text += _unescape(piece)
    out.append(figures.text(text))
    return _escape_start("".join(out))


def _blocks(text: str) -> Iterator[list[str]]:
    """The release's blocks: runs of lines between blank (or whitespace-only) lines."""
    block: list[str] = []
    for line in text.splitlines():
        if line.strip():
            block.append(line.rstrip())
        elif block:
            yield block
            block = []
    if block:
        yield block


def _kind(line: str) -> str:
    return "table" if "\t" in line else "list" if re.match(r" ?- ", line) else "text"


def _runs(block: list[str]) -> Iterator[tuple[str, list[str]]]:
    """A block's lines grouped into runs of one kind: ``table``, ``list`` or ``text``."""
    run: list[str] = []
    for line in block:
        if run and _kind(line) != _kind(run[0]):
            yield _kind(run[0]), run
            run = []
        run.append(line)
    if run:
        yield _kind(run[0]), run


class _Page:
    def __init__(self, root: Path, anchors: bool) -> None:
        self.root = root
        self.anchor_links = _Anchors(root, anchors)
        figures = [Figure(r["id"], r["section"], r["printed"]) for r in _rows(root, "release_figures.csv")]
        self.figures = _Figures(figures, self.anchor_links)
        self.centres = {
            (r["center"], r["step"].upper(), r["item"]): r for r in _rows(root, "data_centers.csv")
        }
        self.centres_seen: set[str] = set()
        gap_rows = _rows(root, "gaps.csv")
        gap_targets = {gid: Target(chapter, heading) for gid, chapter, heading in GAP_LINKS}
        if set(gap_targets) != {g["id"] for g in gap_rows}:
            raise ReleasePageError(
                f"GAP_LINKS and data/gaps.csv name different gaps: "
                f"{set(gap_targets) ^ {g['id'] for g in gap_rows}}"
            )
        self.gaps: dict[str, list[tuple[dict[str, str], Target]]] = defaultdict(list)
        for g in gap_rows:
            target = gap_targets[g["id"]]
            if target.chapter != SECTION_CHAPTERS.get(g["section"], g["section"]):
                raise ReleasePageError(f"gap {g['id']} is in {g['section']}, GAP_LINKS sends it to {target}")
            self.gaps[g["chart_title"]].append((g, target))
        for fid, chapter, _ in FIGURE_LINKS:
            section = next(f.section for f in figures if f.id == fid)
            if (
                chapter
                and section not in ("highlights", "guidance")
                and chapter != SECTION_CHAPTERS.get(section, section)
            ):
                raise ReleasePageError(f"figure {fid} is in {section}, FIGURE_LINKS sends it to {chapter}")
        self.centre = ""

    # -- blocks -------------------------------------------------------------------------------

    def heading(self, lines: list[str], level: int) -> str:
        key = _title_key(lines)
        if key.endswith(" Data Center") and any(
            c == key.removesuffix(" Data Center") for c, _, _ in self.centres
        ):
            self.centre = key.removesuffix(" Data Center")
        text = _escape(plain(" ".join(lines)))
        text = text.replace("(\\*)", "{sup}`(*)`")
        if self.gaps.get(key):
            _, target = self.gaps[key].pop(0)
            text = f"[{text}]({self.anchor_links.link(target)})"
        elif self.figures.pattern.search(key):
            raise ReleasePageError(f"a heading holds a figure, which would go unlinked: {key!r}")
        return f"{'#' * level} {text}"

    def text(self, lines: list[str]) -> str:
        return "\\\n".join(_inline(line, self.figures) for line in lines)

    def bullets(self, lines: list[str]) -> str:
        out = []
        for line in lines:
            indent, item = re.match(r"( ?)- (.*)", line).groups()  # type: ignore[union-attr]
            out.append(f"{'  ' if indent else ''}- {_inline(item, self.figures)}")
        return "\n".join(out)

    def table(self, lines: list[str]) -> str:
        if not self.centre:
            raise ReleasePageError(f"a table outside a data centre's section: {lines[0]!r}")
        header, *rows = [line.split("\t") for line in lines]
        steps = [re.sub(r"\s+", "", cell.split("(")[0]).upper() for cell in header[1:]]
        out = [
            "| " + " | ".join(_escape(c.strip()) for c in header) + " |",
            "|" + "---|" * len(header),
        ]
        for label, *cells in rows:
            item = label.strip().lower().replace(" ", "_")
            linked = [self.cell(cell.strip(), step, item) for cell, step in zip(cells, steps, strict=True)]
            out.append(f"| {_escape(label.strip())} | " + " | ".join(linked) + " |")
        return "\n".join(out)

    def cell(self, cell: str, step: str, item: str) -> str:
        """One cell of a data-centre table, its figures linked to their rows of data_centers.csv."""
        parts = re.fullmatch(r"(?P<area>[\d,]+m ?²)(?: (?P<seats>\(\d+\)))?|(?P<dash>-)", cell)
        if parts is None:
            raise ReleasePageError(f"{self.centre} {step} {item}: cannot read the cell {cell!r}")
        found: list[tuple[str, str]] = [(item, parts["area"] or parts["dash"])]
        if item == "office_space":
            found.append(("office_seats", parts["seats"] or parts["dash"]))
        out = []
        for what, printed in found:
            row = self.centres.get((self.centre, step, what))
            if row is None or row["printed"].replace(" ", "") != printed.replace(" ", ""):
                raise ReleasePageError(
                    f"{self.centre} {step} {what}: the release prints {printed!r}, "
                    f"data/data_centers.csv has {row and row['printed']!r}"
                )
            self.centres_seen.add(row["id"])
            if printed != "-":
                chapter, heading = DATA_CENTRE_LINKS[what]
                # "m ²" held together: a phone's narrow column would otherwise break it
                shown = _escape(printed).replace(" ", NBSP)
                printed = f"[{shown}]({self.anchor_links.link(Target(chapter, heading))})"
            out.append(printed)
        return "-" if parts["dash"] else " ".join(out)

    # -- the page -----------------------------------------------------------------------------

    def release(self, text: str) -> str:
        outline = list(OUTLINE)
        out: list[str] = []
        for block in _blocks(text):
            if outline and _title_key(block) == outline[0][0]:
                out.append(self.heading(block, outline.pop(0)[1]))
                continue
            for kind, run in _runs(block):
                write = {"table": self.table, "list": self.bullets, "text": self.text}[kind]
                out.append(write(run))
        if outline:
            raise ReleasePageError(f"headings of OUTLINE not found in the release, in order: {outline}")
        left = {title: [g["id"] for g, _ in rows] for title, rows in self.gaps.items() if rows}
        if left:
            raise ReleasePageError(f"lost charts whose title is not a heading of the release: {left}")
        self.figures.check_all_seen()
        unseen = {r["id"] for r in self.centres.values()} - self.centres_seen
        if unseen:
            raise ReleasePageError(
                f"rows of data/data_centers.csv the release's tables lack: {sorted(unseen)}"
            )
        return "\n\n".join(out)


INTRO = """\
# The release, annotated

This is the book's one primary source in full: Internet Initiative Japan's results release for \
the second quarter of fiscal 2002 (July to September 2002), published in November 2002, as its \
page of highlights and its slides were extracted to text. The book keeps that text as \
`{release}`. Every line in the box below is the release's own; the book adds only the layout \
(the headings, lists and tables follow the slides as far as the text shows them, and blank lines \
are closed up) and two kinds of link:

- **a figure the release prints**, such as {figure_example}, links to {figure_where}, where the \
book states it, derives from it or checks it;
- **the title of a chart that lost its numbers** when the slides became text, such as \
{gap_example}, links to {gap_where}, which says what the chart showed and what is lost with it.

Dates and period labels (2Q02, FY2002, "(2002/9)") are not links: each linked figure carries its \
own. In the data-centre tables a dash means that the step adds nothing; it is not a link either. \
Read the text first, and list its figures yourself before you follow them into the chapters.

## The text of the release

:::::{{admonition}} Internet Initiative Japan: results release for 2Q FY2002, November 2002
:class: iijbook-release

"""


def _target(links: tuple[tuple[str, str, str], ...], row_id: str) -> Target:
    return next(Target(chapter, heading) for rid, chapter, heading in links if rid == row_id and chapter)


def render(root: Path | None = None, anchors: bool | None = None) -> str:
    """The page's Markdown. ``anchors``: link sections (default: when ``_config.yml`` allows it)."""
    root = root or project_root()
    if anchors is None:
        anchors = heading_anchors(root) >= ANCHOR_DEPTH
    page = _Page(root, anchors)
    body = page.release((root / RELEASE).read_text(encoding="utf-8"))
    example = page.anchor_links
    where = {
        True: ("the section of the chapter that works with it", "the list of lost charts in its chapter"),
        False: ("the chapter that works with it", "its chapter and the list of lost charts there"),
    }[anchors]
    intro = INTRO.format(
        release=RELEASE.as_posix(),
        figure_example=f"[JPY10.6B]({example.link(_target(FIGURE_LINKS, 'revenue_2q02'))})",
        figure_where=where[0],
        gap_example=f"[Revenues Growth (QoQ)]({example.link(_target(GAP_LINKS, 'revenues_growth_qoq'))})",
        gap_where=where[1],
    )
    return intro + body + "\n\n:::::\n"


def write(root: Path | None = None) -> Path:
    """Write ``chapters/release.md``; return its path."""
    root = root or project_root()
    path = root / PAGE
    path.write_text(render(root), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    try:
        path = write()
    except ReleasePageError as exc:
        print(f"chapters/release.md not written: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

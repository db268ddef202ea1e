"""The built site as a whole: links resolve, builds repeat, charts keep to the palette."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
from iijbook import theme

from .conftest import run_cli

#: Pages whose content legitimately changes from build to build: the status page
#: reports execution times. The search index indexes that page's words too.
BUILD_STAMPED = {"chapters/status.html", "_sources/chapters/status.md"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        if tag in ("a", "link") and a.get("href"):
            self.hrefs.append(a["href"])
        if tag in ("script", "img") and a.get("src"):
            self.hrefs.append(a["src"])


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_no_broken_internal_links_or_anchors(site: Path, built_book: Path):
    # every page of the site (the theme's _static/*.html are templates, not pages)
    pages = {p: _parse(p) for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "_static"}
    broken: list[str] = []
    external: set[str] = set()
    checked = 0
    for page, parsed in pages.items():
        for href in parsed.hrefs:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                external.add(href)
                continue
            if parts.scheme in ("data", "javascript"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {href} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)}: {href} (no such anchor)")
    (built_book / "external_links.txt").write_text("\n".join(sorted(external)) + "\n")
    print(f"\n{checked} internal links checked in {len(pages)} pages; {len(external)} external links listed")
    assert checked > 500
    assert not broken, "broken links:\n  " + "\n  ".join(broken[:30])


def _search_index(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def _without_doc(index: dict, doc: int) -> dict:
    """The search index with one document's postings removed."""
    terms = {}
    for key in ("terms", "titleterms"):
        cleaned = {}
        for term, postings in index[key].items():
            postings = [postings] if isinstance(postings, int) else postings
            kept = [p for p in postings if p != doc]
            if kept:
                cleaned[term] = kept
        terms[key] = cleaned
    return {**{k: v for k, v in index.items() if k not in ("terms", "titleterms")}, **terms}


def test_two_builds_of_the_same_inputs_give_the_same_pages(built_book: Path, tmp_path: Path):
    again = tmp_path / "_build"
    proc = run_cli("build", "--build-dir", str(again))
    assert proc.returncode == 0, proc.stderr
    first, second = built_book / "html", again / "html"
    files = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    differ = [f for f in files if (first / f).read_bytes() != (second / f).read_bytes()]
    unexpected = [f for f in differ if f not in BUILD_STAMPED | {"searchindex.js"}]
    assert not unexpected, f"pages that differ between two builds: {unexpected}"
    if "searchindex.js" in differ:
        a, b = _search_index(first / "searchindex.js"), _search_index(second / "searchindex.js")
        status = a["docnames"].index("chapters/status")
        assert _without_doc(a, status) == _without_doc(b, status)
    # the executed notebooks, too, are the same apart from nothing
    for nb in (built_book / "executed").glob("*.ipynb"):
        assert nb.read_bytes() == (again / "executed" / nb.name).read_bytes(), nb.name


def _chart_colours(spec, found: set[str]) -> None:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("color", "fill", "stroke") and isinstance(value, str):
                found.add(value)
            elif (
                key in ("color", "fill", "stroke")
                and isinstance(value, dict)
                and isinstance(value.get("value"), str)
            ):
                found.add(value["value"])
            elif key == "range" and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str) and v.startswith("#"))
            _chart_colours(value, found)
    elif isinstance(spec, list):
        for item in spec:
            _chart_colours(item, found)


def _is_grey(colour: str) -> bool:
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    return len(hex_digits) == 6 and hex_digits[0:2] == hex_digits[2:4] == hex_digits[4:6]


def test_charts_use_only_the_book_palette(built_book: Path):
    allowed = {c.lower() for c in (*theme.PALETTE, *theme.TEXT_ON_WHITE.values())}
    stray: dict[str, set[str]] = {}
    charts = 0
    for path in sorted((built_book / "executed").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                for mime, spec in output.get("data", {}).items():
                    if "vegalite" not in mime:
                        continue
                    charts += 1
                    found: set[str] = set()
                    _chart_colours(spec, found)
                    bad = {
                        c
                        for c in found
                        if re.fullmatch(r"#[0-9a-fA-F]{3,6}", c)
                        and c.lower() not in allowed
                        and not _is_grey(c)
                    }
                    bad |= {
                        c
                        for c in found
                        if not c.startswith("#")
                        and c not in ("white", "black", "transparent")
                        and re.fullmatch(r"[a-z]+", c)
                        and c in ("red", "green", "blue", "orange", "purple")
                    }
                    if bad:
                        stray.setdefault(path.stem, set()).update(bad)
    assert charts >= 15
    assert not stray, f"colours outside the palette: {stray}"


class _Prose(HTMLParser):
    """A page's prose: the text of its main column, without code, scripts or styles."""

    SKIP = {"script", "style", "pre", "code"}

    def __init__(self, tables: bool = True) -> None:
        super().__init__()
        self.SKIP = self.SKIP if tables else self.SKIP | {"table"}
        self.depth = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.text.append(data)


#: Slips a careful reader flagged, in the prose as the reader sees it: a loss written with a minus
#: ("a loss of −¥446M"), a rounded figure shown with false precision ("150.00K"), and powers
#: written the way code writes them.
_SLIPS = {
    # a loss, a fall or a shortfall said in words and again with a minus sign
    "double negative": re.compile(
        r"\b(loss(es)?( of)?( about)?|lost|losing|fell( by)?|fall of|down( by)?|decrease of) \u2212"
        r"|\u2212[^ ,;]*\d[^ ,;]* (below|short of|less than)\b"
    ),
    "false precision": re.compile(r"\b\d+\.\d\dK\b"),
    "a power written as code": re.compile(r"\)\s*(\^|\*\*)\s*[\d(]"),
}


def test_the_prose_has_none_of_the_flagged_slips(site: Path):
    for page in sorted((site / "chapters").glob("*.html")):
        for tables in (True, False):
            parser = _Prose(tables)
            parser.feed(page.read_text(encoding="utf-8"))
            text = re.sub(r"[\u2060\s]+", " ", "".join(parser.text)).replace("\u2212 ", "\u2212")
            for slip, pattern in _SLIPS.items():
                if tables and slip == "double negative":
                    continue  # a table's value column carries the sign: "net loss | −¥2,326M"
                found = pattern.search(text)
                where = text[max(0, found.start() - 60) : found.end() + 20] if found else ""
                assert not found, f"{page.name}: {slip}: …{where}…"


def test_only_pages_with_charts_load_the_vega_bundle(site: Path):
    # the bundle is 0.9 MB: the introduction, the classroom page, the glossary, the parameters
    # and the status pages draw no chart and do not load it; every chapter does both
    bundle = "_static/vega/vega-bundle.js"
    without = [
        "intro.html",
        "chapters/classroom.html",
        "chapters/glossary.html",
        "chapters/status.html",
        "chapters/parameters.html",
    ]
    for name in without:
        page = (site / name).read_text(encoding="utf-8")
        assert "iijbook-chart" not in page and bundle not in page, name
    for chapter in ("revenues", "profitability", "broadband", "outlook"):
        page = (site / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
        assert 'class="iijbook-chart"' in page and bundle in page, chapter


def test_no_page_loads_the_themes_icon_script(site: Path):
    # fontawesome.js is 1.5 MB and redraws icons the theme's stylesheet already draws from a web font
    for page in sorted(site.rglob("*.html")):
        if page.relative_to(site).parts[0] != "_static":
            assert "fontawesome.js" not in page.read_text(encoding="utf-8"), page


def test_only_the_search_page_loads_the_search_index(site: Path):
    # the theme loads the index (and Sphinx's search code) on every page for a search-as-you-type
    # box it leaves off; a chapter does without them, and the search page still has them
    search = (site / "search.html").read_text(encoding="utf-8")
    assert "searchindex.js" in search and "searchtools.js" in search
    for name in ("intro.html", "chapters/revenues.html", "chapters/glossary.html"):
        page = (site / name).read_text(encoding="utf-8")
        assert "searchindex.js" not in page and "searchtools.js" not in page, name


def _rule_colour(css: str, selector: str) -> set[str]:
    return set(re.findall(re.escape(selector) + r" \{ color: (#[0-9A-Fa-f]{6})", css))


def test_code_shown_without_plain_token_spans_looks_the_same(site: Path):
    # the build unwraps the spans around names, punctuation and spaces (n, p, w): only safe while
    # the theme colours them exactly as the code block's own text, in light and dark mode alike
    css = (site / "_static" / "pygments.css").read_text(encoding="utf-8")
    for mode in ("light", "dark"):
        block = re.search(
            rf'html\[data-theme="{mode}"\] \.highlight \{{ background: #\w+; color: (#\w+) \}}', css
        )
        assert block, f"no {mode} code colour in pygments.css"
        for token in ("n", "p", "w"):
            assert _rule_colour(css, f'html[data-theme="{mode}"] .highlight .{token}') == {block.group(1)}, (
                mode,
                token,
            )
    page = (site / "chapters" / "revenues.html").read_text(encoding="utf-8")
    assert '<span class="n">' not in page and '<span class="o">' in page  # other tokens keep colour
    assert "jpy_per_usd" in page


def test_the_icon_font_keeps_every_icon_the_pages_show(site: Path):
    # the theme's stylesheet and icon font are cut to the icons the pages use: each icon class a
    # page or script names keeps its rule, and the font keeps its glyph
    from fontTools.ttLib import TTFont
    from iijbook_build.trim import THEME_CSS, _codepoints

    css = (site / THEME_CSS).read_text(encoding="utf-8")
    assert len(css) < 150_000, f"the theme's stylesheet is {len(css):,} characters: not cut down"
    font = TTFont(site / "_static/vendor/fontawesome/webfonts/fa-solid-900.woff2")
    glyphs = set(font.getBestCmap())
    pages = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    used = set(re.findall(r"\bfa-(?:magnifying-glass|bars|list|expand|sun|moon|circle-half-stroke)\b", pages))
    assert {"fa-magnifying-glass", "fa-bars", "fa-sun", "fa-moon"} <= used
    for name in used:
        rule = re.search(rf"\.{name}:before\{{content:\"([^\"]*)\"\}}", css)
        assert rule, f"no rule left for {name}"
        assert _codepoints(f'content:"{rule.group(1)}"') <= glyphs, name
    assert 0xF0EB in glyphs  # the light bulb that tip boxes draw through a CSS variable
    # the theme's font has some 1,400; the cut one keeps the icons and the plain characters
    # (digits, letters) that the kept rules write, some 80
    assert len(glyphs) < 150, f"{len(glyphs)} glyphs: the font was not cut down"

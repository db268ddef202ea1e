"""A small Sphinx extension for the book: make every build write the same pages.

myst-nb and sphinx-exercise copy their stylesheets into the site only when a
build finishes, so the pages of a first build link them without the checksum
that later builds add (``exercise.css?v=...``): a cold and a warm build of the
same inputs would differ. Running their copy steps when the builder starts
gives every build the same links.

Each chart's spec is replaced by one sized to its column (:func:`iijbook_build.bundle.fit_charts`).

myst-nb labels each "show code" toggle ``aria-label="Toggle hidden content"``, which a
screen reader announces instead of the words on the toggle ("Show code cell source"): the
label is dropped, so the visible words are the toggle's name.

>>> _named_by_their_words('<summary aria-label="Toggle hidden content"><span>Show code</span>')
'<summary><span>Show code</span>'

jupyter-book links every script under ``_static/`` from every page, the local Vega bundle
(0.9 MB) included. A page without a chart (the introduction, the classroom page, the
glossary, the status page) does not load it.

>>> class Script(str):
...     filename = property(lambda self: str(self))
>>> scripts = [Script("vega/vega-bundle.js"), Script("iijbook-a11y.js")]
>>> [str(s) for s in _without_vega(scripts, '<p>No chart here.</p>')]
['iijbook-a11y.js']
>>> len(_without_vega(scripts, '<div class="iijbook-chart" ...>'))
2
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx


def _assets_early(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    import sphinx_exercise
    from myst_nb import sphinx_ext as myst_nb_ext

    Path(app.outdir, "_static").mkdir(parents=True, exist_ok=True)
    sphinx_exercise.copy_asset_files(app, None)
    myst_nb_ext.add_global_html_resources(app, None)


_TOGGLE_LABEL = '<summary aria-label="Toggle hidden content">'


def _named_by_their_words(body: str) -> str:
    return body.replace(_TOGGLE_LABEL, "<summary>")


def _toggles(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if "body" in context:
        context["body"] = _named_by_their_words(context["body"])
        if _CHART in context["body"]:
            from .bundle import fit_charts

            context["body"] = fit_charts(context["body"])  # each chart sized to its column


#: The theme's icon script (1.5 MB) redraws its icons as SVG; its stylesheet already draws
#: them from a 0.16 MB web font, so the pages do without the script.
_ICON_SCRIPT = re.compile(r'[ \t]*<script defer src="[^"]*scripts/fontawesome\.js[^"]*"></script>\n?')


#: What a page's body holds where the book's renderer drew a chart.
_CHART = 'class="iijbook-chart"'
_VEGA_BUNDLE = "vega/vega-bundle.js"


def _without_vega(scripts: list, body: str) -> list:
    """The page's scripts, without the Vega bundle unless the page draws a chart."""
    if _CHART in body:
        return list(scripts)
    return [s for s in scripts if not str(getattr(s, "filename", s) or "").endswith(_VEGA_BUNDLE)]


def _scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if "script_files" in context:
        context["script_files"] = _without_vega(context["script_files"], context.get("body", ""))


#: The theme loads Sphinx's search index on every page for a search-as-you-type box it leaves
#: off (``search_as_you_type = False``); only the search page uses it.
_SEARCH_SCRIPTS = re.compile(
    r'[ \t]*<script src="[^"]*'
    r'(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>\n?'
)


#: Code highlighting wraps every name, punctuation mark and space in its own ``<span>``: five times
#: the code's size on a page. The theme's colours for these three (``n``, ``p``, ``w``) are the
#: code block's own text colour, light and dark alike, so their text can stand bare.
_PLAIN_TOKENS = re.compile(r'<span class="[npw]">([^<]*)</span>')


def _lighter_page(text: str, is_search_page: bool) -> str:
    """A page as written, without the icon script, without the search scripts unless it searches,
    and with its code's plain tokens unwrapped.

    >>> code = '<span class="n">q4_needed</span><span class="w"> </span><span class="o">=</span>'
    >>> _lighter_page(code, is_search_page=False)
    'q4_needed <span class="o">=</span>'

    >>> page = '<script src="../searchindex.js"></script>\\n<p>Revenues grew to JPY10.6B</p>'
    >>> _lighter_page(page, is_search_page=False)
    '<p>Revenues grew to JPY10.6B</p>'
    >>> _lighter_page(page, is_search_page=True) == page
    True
    """
    text = _PLAIN_TOKENS.sub(r"\1", _ICON_SCRIPT.sub("", text))
    if not is_search_page:
        text = _SEARCH_SCRIPTS.sub("", text)
    return text


def _lighter_pages(app: Sphinx, exception: Exception | None) -> None:
    """Take the icon script out of every page, the search scripts out of all but the search page,
    and cut the theme's icon font and its stylesheet down to the icons the pages use."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        lighter = _lighter_page(text, is_search_page=page == outdir / "search.html")
        if lighter != text:
            page.write_text(lighter, encoding="utf-8")
    from .trim import trim_theme

    trim_theme(outdir)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _assets_early)
    app.connect("html-page-context", _toggles)
    app.connect("html-page-context", _scripts)
    app.connect("build-finished", _lighter_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

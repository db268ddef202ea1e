"""A small Sphinx extension for the book: make every build write the same pages.

myst-nb and sphinx-exercise copy their stylesheets into the site only when a
build finishes, so the pages of a first build link them without the checksum
that later builds add (``exercise.css?v=...``): a cold and a warm build of the
same inputs would differ. Running their copy steps when the builder starts
gives every build the same links.

myst-nb labels each "show code" toggle ``aria-label="Toggle hidden content"``, which a
screen reader announces instead of the words on the toggle ("Show code cell source"): the
label is dropped, so the visible words are the toggle's name.

>>> _named_by_their_words('<summary aria-label="Toggle hidden content"><span>Show code</span>')
'<summary><span>Show code</span>'
"""

from __future__ import annotations

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


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _assets_early)
    app.connect("html-page-context", _toggles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""The book's Sphinx extension: every build writes the same pages, light, with charts that fit.

myst-nb and sphinx-exercise copy their stylesheets as a build ends, so a first build's pages would
link them without the checksum later builds add: they are copied as it starts. No theme option
leaves out what :func:`lighter_page` and :mod:`iijbook_build.trim` take out after the build.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

#: Pixels a character takes in a chart's title (15 px bold) and in a legend (12 px).
_TITLE_PX, _LEGEND_PX = 9.0, 6.5
_AXIS_CHARS = 34  # an x-axis title longer than this (about 240 px, a phone's plot) is wrapped
_LEGENDS = ("color", "fill", "stroke", "shape", "strokeDash", "strokeWidth", "opacity", "size")


def _by_width(text: str, widths: tuple[int, ...] = (60, 45, 34, 26)) -> dict:
    """A Vega-Lite expression: the title in as few lines as the plot's ``width`` holds.

    >>> _by_width("Revenues by fiscal quarter", (12,))["expr"]
    'width >= 234 ? "Revenues by fiscal quarter" : ["Revenues by", "fiscal", "quarter"]'
    """
    options = [[text]] + [textwrap.wrap(text, n) for n in widths if n < len(text)]
    texts = [json.dumps(lines if len(lines) > 1 else lines[0], ensure_ascii=False) for lines in options]
    needs = [round(max(map(len, lines)) * _TITLE_PX) for lines in options]
    choices = "".join(f"width >= {n} ? {s} : " for n, s in zip(needs, texts[:-1], strict=False))
    return {"expr": choices + texts[-1]}


def _encodings(node: Any) -> Any:
    """Every ``encoding`` in a spec, its layers' and its panels'."""
    for view in node if isinstance(node, list) else [node] if isinstance(node, dict) else []:
        if isinstance(view.get("encoding"), dict):
            yield view["encoding"]
        for key in ("layer", "vconcat", "hconcat", "spec"):
            yield from _encodings(view.get(key))


def _fit_legends(encodings: list[dict]) -> None:
    """Legends list their entries down where the plot is narrower than all of them side by side,
    and break a label longer than 30 characters in two where the plot is narrower than it."""
    shown = [e[c] for e in encodings for c in _LEGENDS if isinstance(e.get(c), dict) and "field" in e[c]]
    hidden = {d["field"] for d in shown if d.get("legend", 0) is None}
    shown = [d for d in shown if d["field"] not in hidden]  # Vega-Lite merges the legends of a field
    labels = {}  # a legend's labels, if its scale lists them; else four of 30 characters
    for d in shown:
        domain, legend = (d.get("scale") or {}).get("domain"), d.get("legend") or {}
        known = isinstance(domain, list) and "labelExpr" not in legend
        labels[d["field"]] = [str(v) for v in domain] if known else ["x" * 30] * 4
    across = round(sum(len(s) * _LEGEND_PX + 30 for field in labels.values() for s in field))
    cut = "lastindexof(substring(datum.label, 0, 30), ' ')"
    two = f"{cut} > 0 ? [substring(datum.label, 0, {cut}), substring(datum.label, {cut} + 1)] : datum.label"
    for d in shown:
        legend, longest = dict(d.get("legend") or {}), max(map(len, labels[d["field"]]))
        if not {"direction", "columns"} & set(legend):
            legend["columns"] = {"expr": f"width < {across} ? 1 : 0"}
        if longest > 30 and "labelExpr" not in legend:
            legend["labelExpr"] = f"width < {round(longest * _LEGEND_PX + 25)} && {two}"
        d["legend"] = legend


def _stacked(spec: dict) -> dict | None:
    """A row of charts (``hconcat``) or of facets (``facet.column``) as a column, or None."""
    rest = {k: v for k, v in spec.items() if k not in ("hconcat", "facet", "spec", "columns")}
    if "hconcat" in spec:
        return {**rest, "vconcat": spec["hconcat"]}
    column, panel = (spec.get("facet") or {}).get("column") or {}, spec.get("spec") or {}
    if "field" not in column:
        return None
    field, header = column["field"], column.get("header") or {}
    rows = spec.get("datasets", {}).get((spec.get("data") or {}).get("name"), [])
    values = column["sort"] if isinstance(column.get("sort"), list) else [r[field] for r in rows]
    title = {"anchor": "middle", "fontSize": header.get("labelFontSize", 13)}
    panels = []
    for value in dict.fromkeys(values):
        only = [{"filter": {"field": field, "equal": value}}, *panel.get("transform", [])]
        panels.append({**panel, "title": {**title, "text": str(value)}, "transform": only})
    shared = {"scale": {"x": "shared", "y": "shared"}}  # as a facet's panels share them
    return {**rest, "vconcat": panels, "resolve": spec.get("resolve") or shared}


def fit_to_column(spec: dict) -> dict:
    """The spec sized to its column by Vega-Lite's own means, so it fits a 360 px phone with no
    measuring: as wide as its column up to about its author's width (``usermeta.iijbook.maxWidth``),
    the title in as many lines as the width needs, legends listed down where they do not fit
    across, a long x-axis title wrapped. A row of charts or facets narrower than ``minWidth`` is
    drawn as ``narrow``, a column (``draw.js``).

    >>> fitted = fit_to_column({"mark": "point", "width": 400, "title": "Points"})
    >>> fitted["width"], fitted["autosize"]["type"], fitted["usermeta"]["iijbook"]["maxWidth"]
    ('container', 'fit-x', 510)
    """
    spec = json.loads(json.dumps(spec))
    meta = spec.setdefault("usermeta", {}).setdefault("iijbook", {})
    for x in (e["x"] for e in _encodings(spec) if isinstance(e.get("x"), dict)):
        if isinstance(x.get("title"), str) and len(x["title"]) > _AXIS_CHARS:
            x["title"] = textwrap.wrap(x["title"], _AXIS_CHARS)
    title = spec.get("title") if isinstance(spec.get("title"), dict) else {"text": spec.get("title")}
    if narrow := _stacked(spec):
        parts = spec.get("hconcat") or [spec["spec"]] * len(narrow["vconcat"])
        text = title["text"] if isinstance(title["text"], str) else " ".join(title["text"] or "")
        need = max(sum(p.get("width", 300) + 80 for p in parts), len(text) * _TITLE_PX)
        narrow = {k: v for k, v in fit_to_column(narrow).items() if k != "datasets"}
        meta.update(narrow=narrow, minWidth=round(need))
        return spec
    views = spec.get("vconcat", [spec])
    if not all("layer" in v or "mark" in v for v in views):
        return spec  # a repeat, a wrapped concatenation: drawn as given
    widths = [v["width"] for v in views if isinstance(v.get("width"), (int, float))]
    default = ((spec.get("config") or {}).get("view") or {}).get("continuousWidth", 300)
    meta["maxWidth"] = max(widths or [default]) + 110
    for view in views:
        view["width"] = "container"
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    if isinstance(title.get("text"), str):  # a title given as lines keeps them
        spec["title"] = {**title, "text": _by_width(title["text"])}
    _fit_legends(list(_encodings(views)))
    return spec


def _fitted(found: re.Match) -> str:
    """A chart's spec, the line :mod:`iijbook.render` writes, as :func:`fit_to_column` makes it."""
    spec = fit_to_column(json.loads(found.group(2)))
    text = json.dumps(spec, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")  # no </script>
    return f"{found.group(1)}{text};"


_SPEC = re.compile(r"^(  var spec = )(\{.*\});$", re.M)
_SCRIPT = r'[ \t]*<script[^>]* src="[^"]*{}[^"]*"></script>\n?'
#: The theme's icon script (1.5 MB) redraws as SVG the icons its stylesheet draws from a web font.
_ICON_SCRIPT = re.compile(_SCRIPT.format(r"scripts/fontawesome\.js"))
#: Sphinx's search code and index, loaded on every page for a search-as-you-type box left off.
_SEARCH_SCRIPTS = re.compile(_SCRIPT.format(r"(?:_static/searchtools|_static/language_data|searchindex)\.js"))
_VEGA_SCRIPT = re.compile(_SCRIPT.format(r"_static/vega/vega-bundle\.js"))
#: Code highlighting wraps every name, punctuation mark and space in a ``<span>`` (five times the
#: code's size); the theme colours these three as the code's own text, light and dark alike.
_PLAIN_TOKENS = re.compile(r'<span class="[npw]">([^<]*)</span>')


def lighter_page(text: str, is_search_page: bool = False) -> str:
    """A page as the site serves it: charts fitted; no icon script, search scripts (but on the
    search page) or Vega bundle (0.9 MB, but where a chart is drawn); plain code tokens bare;
    "show code" toggles named by their words, not by the label "Toggle hidden content".

    >>> page = '<script src="../searchindex.js"></script>\\n<span class="n">q4</span><span class="o">=</span>'
    >>> lighter_page(page)
    'q4<span class="o">=</span>'
    >>> lighter_page(page, is_search_page=True) == page.replace('<span class="n">q4</span>', "q4")
    True
    >>> chart = '<div class="iijbook-chart"></div><script>\\n  var spec = {"mark":"bar","width":100};'
    >>> '"width":"container"' in lighter_page(chart)
    True
    """
    text = _PLAIN_TOKENS.sub(r"\1", _ICON_SCRIPT.sub("", text))
    text = text.replace('<summary aria-label="Toggle hidden content">', "<summary>")
    text = _SPEC.sub(_fitted, text) if 'class="iijbook-chart"' in text else _VEGA_SCRIPT.sub("", text)
    return text if is_search_page else _SEARCH_SCRIPTS.sub("", text)


def _assets_early(app: Sphinx) -> None:
    if app.builder.format == "html":
        import sphinx_exercise
        from myst_nb import sphinx_ext

        Path(app.outdir, "_static").mkdir(parents=True, exist_ok=True)
        sphinx_exercise.copy_asset_files(app, None)
        sphinx_ext.add_global_html_resources(app, None)


def _lighter_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        from .trim import trim_theme

        for page in Path(app.outdir).rglob("*.html"):
            text = page.read_text(encoding="utf-8")
            if (lighter := lighter_page(text, page == Path(app.outdir, "search.html"))) != text:
                page.write_text(lighter, encoding="utf-8")
        trim_theme(Path(app.outdir))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _assets_early)
    app.connect("build-finished", _lighter_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

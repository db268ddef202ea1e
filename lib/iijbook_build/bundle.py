"""How the site draws the book's charts: the local Vega bundle, and specs sized to their column.

The bundle holds Vega, Vega-Lite, Vega-Embed and ``draw.js`` (beside this module). The build
writes it into the book's ``_static/vega/`` (jupyter-book links every script there into each
page); vl-convert-python builds it, with no network. The renderer in :mod:`iijbook.render`
writes each chart as a ``<div>`` and a script that hands its spec to ``iijbookDraw``, which
``draw.js`` defines: Vega-Embed draws it as SVG.

Before a page is written, :func:`fit_charts` gives each chart on it the spec
:func:`fit_to_column` makes: one that sizes itself to its column (Vega-Lite's ``"container"``
width, titles and legends chosen by the width Vega gives the plot), so that a chart fits a
360 px phone as it fits a desktop with no measuring in the browser. ``draw.js`` keeps only
what a spec cannot say: Vega's fit run again until it settles, a row of charts drawn as a
column where it does not fit, and slider labels. JupyterLab shows the chart as its author
made it (:func:`iijbook.render.static_image`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

BUNDLE_PATH = Path("vega") / "vega-bundle.js"

#: The book's drawing code: defines ``window.iijbookDraw`` (with Vega-Embed) and announces ``vega-ready``.
DRAW_SCRIPT = Path(__file__).with_name("draw.js")


#: Pixels a character takes in a chart's title (15 px bold) and in a legend (12 px).
_TITLE_PX, _LEGEND_PX = 9.0, 6.5
#: An x-axis title longer than this many characters (about 240 px, a phone's plot) is wrapped.
_AXIS_CHARS = 34
_LEGENDS = ("color", "fill", "stroke", "shape", "strokeDash", "strokeWidth", "opacity", "size")


def _by_width(text: str, widths: tuple[int, ...] = (60, 45, 34, 26)) -> dict:
    """A Vega-Lite expression: the title in as few lines (of at most so many characters) as the
    plot's ``width`` holds.

    >>> _by_width("Revenues by fiscal quarter", (12,))["expr"]
    'width >= 234 ? "Revenues by fiscal quarter" : ["Revenues by", "fiscal", "quarter"]'
    """
    options = [[text]] + [textwrap.wrap(text, n) for n in widths if n < len(text)]
    texts = [json.dumps(lines if len(lines) > 1 else lines[0], ensure_ascii=False) for lines in options]
    needs = [round(max(map(len, lines)) * _TITLE_PX) for lines in options]
    choices = "".join(f"width >= {n} ? {s} : " for n, s in zip(needs, texts[:-1], strict=False))
    return {"expr": choices + texts[-1]}


def _encodings(node: Any) -> Any:
    """Every ``encoding`` in a spec: its own, its layers' and its panels'."""
    for view in node if isinstance(node, list) else [node] if isinstance(node, dict) else []:
        if isinstance(view.get("encoding"), dict):
            yield view["encoding"]
        for key in ("layer", "vconcat", "hconcat", "spec"):
            yield from _encodings(view.get(key))


def _fit_legends(encodings: list[dict]) -> None:
    """Legends list their entries down where the plot is narrower than all of them side by side,
    and break a label longer than 30 characters in two where the plot is narrower than it.

    >>> colour = {"field": "kind", "scale": {"domain": ["guided", "reported later"]}}
    >>> _fit_legends([{"color": colour}])
    >>> colour["legend"]
    {'columns': {'expr': 'width < 190 ? 1 : 0'}}
    """
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


def _title_text(spec: dict) -> str:
    title = spec.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    return " ".join(title) if isinstance(title, list) else str(title or "")


def fit_to_column(spec: dict) -> dict:
    """The spec as the site draws it: sized to its column.

    A chart (layered or not) or a column of charts (``vconcat``) is as wide as its column
    (``width: "container"``, autosize ``fit-x``), up to about the width its author gave it
    (``usermeta.iijbook.maxWidth``); its title takes as many lines as that width needs; legends
    list their entries down where they do not fit across; an x-axis title too long for a
    phone is wrapped. A row of charts or of facets keeps its layout where it fits
    (``usermeta.iijbook.minWidth``); where it does not, ``draw.js`` draws
    ``usermeta.iijbook.narrow``, the row as a column.

    >>> fitted = fit_to_column({"mark": "point", "width": 400, "title": "Points"})
    >>> fitted["width"], fitted["autosize"]["type"], fitted["usermeta"]["iijbook"]["maxWidth"]
    ('container', 'fit-x', 510)
    """
    spec = json.loads(json.dumps(spec))
    meta = spec.setdefault("usermeta", {}).setdefault("iijbook", {})
    for x in (e["x"] for e in _encodings(spec) if isinstance(e.get("x"), dict)):
        if isinstance(x.get("title"), str) and len(x["title"]) > _AXIS_CHARS:
            x["title"] = textwrap.wrap(x["title"], _AXIS_CHARS)
    narrow = _stacked(spec)
    if narrow:
        parts = spec.get("hconcat") or [spec["spec"]] * len(narrow["vconcat"])
        need = max(sum(p.get("width", 300) + 80 for p in parts), len(_title_text(spec)) * _TITLE_PX)
        meta.update(
            narrow={k: v for k, v in fit_to_column(narrow).items() if k != "datasets"}, minWidth=round(need)
        )
        return spec
    views = spec.get("vconcat", [spec])
    if not all("layer" in v or "mark" in v for v in views):
        return spec  # a repeat, a wrapped concatenation: drawn as given
    widths = [v["width"] for v in views if isinstance(v.get("width"), (int, float))]
    meta["maxWidth"] = (
        max(widths or [((spec.get("config") or {}).get("view") or {}).get("continuousWidth", 300)]) + 110
    )
    for view in views:
        view["width"] = "container"
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    title = spec.get("title") if isinstance(spec.get("title"), dict) else {"text": spec.get("title")}
    if isinstance(title.get("text"), str):  # a title given as lines keeps them
        spec["title"] = {**title, "text": _by_width(title["text"])}
    _fit_legends(list(_encodings(views)))
    return spec


#: The line of a chart's script that holds its spec, as :mod:`iijbook.render` writes it.
_SPEC_LINE = re.compile(r"^(  var spec = )(\{.*\});$", re.M)


def fit_charts(html: str) -> str:
    """A page's HTML with each chart's spec replaced by :func:`fit_to_column`'s.

    >>> page = '<script>\\n  var spec = {"mark":"bar","title":"T","width":100};\\n</script>'
    >>> '"width":"container"' in fit_charts(page)
    True
    """

    def fitted(found: re.Match) -> str:
        spec = fit_to_column(json.loads(found.group(2)))  # JSON reads the renderer's "<\/" as "</"
        text = json.dumps(spec, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
        return f"{found.group(1)}{text};"

    return _SPEC_LINE.sub(fitted, html)


def _bundle_stamp() -> str:
    """The versions the bundle is built from, read without importing them (cheap); draw.js and this
    module (which chooses what goes into the bundle) by their digest."""
    import hashlib
    from importlib import metadata

    draw = hashlib.sha256(DRAW_SCRIPT.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("altair", "vl-convert-python"))
    return f"{versions}, draw.js {draw}"


def _bundle_header() -> str:
    import altair as alt
    import vl_convert as vlc

    return f"/* Vega {vlc.get_vega_version()}, Vega-Lite {alt.VEGALITE_VERSION}; {_bundle_stamp()} */\n"


def bundle_text() -> str:
    """The JavaScript of the local bundle (Vega, Vega-Lite, Vega-Embed, the drawing code) as one
    classic script.

    vl-convert writes an ES module; it has no imports or exports, so wrapping it in a
    function makes a classic script whose names stay private (Sphinx's own scripts
    declare globals such as ``_``), and that loads from ``file://`` too, where
    browsers refuse module scripts.
    """
    import altair as alt
    import vl_convert as vlc

    major_minor = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    # Module names, not downloads: vl-convert's bundler serves each of these addresses from the
    # copy of the module compiled into it, and refuses any address it does not carry (it has no
    # network access to fall back on; tests/test_render.py checks both). It imports Vega-Embed as
    # ``vegaEmbed`` itself; its own names for Vega and Vega-Lite are default imports, which those
    # modules lack, hence these two lines.
    # The bundle that comes out holds no address and no import.
    imports = (
        f'import * as vega from "https://cdn.jsdelivr.net/npm/vega@{vlc.get_vega_version()}/+esm";\n'
        f'import * as vegaLite from "https://cdn.jsdelivr.net/npm/vega-lite@{alt.VEGALITE_VERSION}/+esm";\n'
    )
    snippet = imports + DRAW_SCRIPT.read_text(encoding="utf-8")
    module = vlc.javascript_bundle(snippet, vl_version=major_minor)
    return _bundle_header() + "(function () {\n" + module + "\n})();\n"


def write_bundle(static_dir: Path) -> Path:
    """Write the bundle under ``static_dir`` unless one for the same versions is there.

    Building the bundle takes about a second, so a bundle whose first line names the
    installed versions, and that ends as a whole bundle does, is kept as it is.
    """
    target = Path(static_dir) / BUNDLE_PATH
    if target.is_symlink() or (target.exists() and not target.is_file()):
        # the bundle is generated: whatever else stands at its name (a link, a pipe) goes
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
    elif target.exists():
        with open(target, encoding="utf-8") as fh:
            same_versions = fh.readline().endswith(f"; {_bundle_stamp()} */\n")
        if same_versions and target.read_bytes().endswith(b"})();\n"):
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_whole(target, _made_once())
    return target


def _write_whole(path: Path, text: str) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _made_once() -> str:
    """The bundle, built once per environment: vl-convert takes about 4 CPU seconds to bundle, so
    the first build keeps it in the environment (``.venv/share/iijbook/``), named by the versions
    it is made from, and every later build, a cold one too, copies it. An environment it cannot
    write to builds it each time."""
    import hashlib

    stamp = hashlib.sha256(_bundle_stamp().encode()).hexdigest()[:16]
    kept = Path(sys.prefix) / "share" / "iijbook" / f"vega-bundle-{stamp}.js"
    with contextlib.suppress(OSError, UnicodeError):
        if (text := kept.read_text(encoding="utf-8")).endswith("})();\n"):
            return text
    text = bundle_text()
    with contextlib.suppress(OSError):
        kept.parent.mkdir(parents=True, exist_ok=True)
        _write_whole(kept, text)
    return text

"""An Altair renderer that draws charts with the book's own Vega files.

Altair's default HTML loads Vega, Vega-Lite and Vega-Embed from a CDN, so
charts go blank with no network. This renderer instead emits a ``<div>`` and
a short script that calls ``iijbookDraw`` from one local bundle, written into
the book's ``_static/`` by the build (``iijbook_build.bundle``, with vl-convert-python).
Every chart must carry a title and a ``description``: the renderer puts both
into the page as text for screen readers and refuses a chart without them.

JupyterLab has neither the bundle nor a renderer for Vega-Lite 6, so outside
the build (which sets ``IIJBOOK_TARGET=site`` for its kernels) the chart also
carries a static SVG drawn by vl-convert, as an image inside the same ``<div>``:
Lab shows the image, with no network; on the site the page stays light and
the interactive chart is drawn in its place.

>>> import altair as alt
>>> chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
>>> chart = chart.properties(title="One point", description="A single point at x = 1.")
>>> bundle = offline_renderer(chart.to_dict())
>>> sorted(bundle)
['application/vnd.vegalite.v6+json', 'text/html', 'text/plain']
>>> bundle["text/plain"]
'One point: A single point at x = 1.'
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import os
from typing import Any

RENDERER_NAME = "iijbook"
#: JupyterLab's MIME type for Vega-Lite 6 (nbformat needs the ``+json`` suffix for a dict).
VEGALITE_MIME = "application/vnd.vegalite.v6+json"

#: The environment variable the build sets for its kernels: ``site`` leaves out the static image.
TARGET_VARIABLE = "IIJBOOK_TARGET"

#: Hides text from the eye but not from screen readers, where the book's stylesheet is absent (JupyterLab).
_SR_ONLY_STYLE = (
    "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap"
)

_counter = itertools.count(1)


def for_site() -> bool:
    """True when the chart is drawn for the book's site (the build), False in JupyterLab."""
    return os.environ.get(TARGET_VARIABLE) == "site"


def static_image(spec: dict[str, Any], alt: str) -> str:
    """The chart as an ``<img>`` of an SVG drawn by vl-convert (what JupyterLab shows)."""
    import altair as alt_
    import vl_convert as vlc

    major_minor = ".".join(alt_.VEGALITE_VERSION.split(".")[:2])
    svg = vlc.vegalite_to_svg(spec, vl_version=major_minor)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}">'


class ChartDescriptionError(ValueError):
    """A chart without the title or description that readers of the page need."""


def _title_text(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title or "").strip()


def offline_renderer(spec: dict[str, Any], **_: Any) -> dict[str, str | dict]:
    """Render a Vega-Lite spec as HTML that uses the local Vega bundle.

    Returns a MIME bundle: ``text/html`` for the book, the Vega-Lite JSON for
    JupyterLab, and ``text/plain`` with the title and description.
    """
    title = _title_text(spec)
    description = str(spec.get("description") or "").strip()
    if not title or not description:
        raise ChartDescriptionError(
            "every chart needs a title and a description for screen readers: "
            "use .properties(title=..., description=...)"
        )
    payload = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha1(payload.encode()).hexdigest()[:10]
    chart_id = f"iijchart-{digest}-{next(_counter)}"
    safe_payload = payload.replace("</", "<\\/")
    summary = f"{title}: {description}"
    site = for_site()
    image = "" if site else static_image(spec, summary)
    hidden = "" if site else f' style="{_SR_ONLY_STYLE}"'
    markup = f"""<div class="iijbook-chart" data-chart-title="{html.escape(title)}" tabindex="0"
 role="group" aria-label="{html.escape(title)}">
<div id="{chart_id}" class="iijbook-chart-canvas" aria-describedby="{chart_id}-desc">{image}</div>
<p id="{chart_id}-desc" class="iijbook-sr-only"{hidden}>{html.escape(summary)}</p>
<noscript><p>{html.escape(summary)} (This chart needs JavaScript.)</p></noscript>
<script type="text/javascript">
(function () {{
  var spec = {safe_payload};
  function draw() {{
    window.iijbookDraw("#{chart_id}", spec);
  }}
  if (window.iijbookDraw) {{ draw(); }}
  else {{ window.addEventListener("vega-ready", draw, {{"once": true}}); }}
}})();
</script>
</div>"""
    return {
        "text/html": markup,
        VEGALITE_MIME: spec,
        "text/plain": summary,
    }


def enable() -> str:
    """Register the renderer with Altair and switch to it; returns its name."""
    import altair as alt

    alt.renderers.register(RENDERER_NAME, offline_renderer)
    alt.renderers.enable(RENDERER_NAME)
    return RENDERER_NAME

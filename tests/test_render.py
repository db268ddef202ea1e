"""The offline renderer and theme: local Vega only, titles and descriptions required."""

import subprocess
import sys

import altair as alt
import iijbook
import pytest
from iijbook import render, theme
from iijbook_build import bundle


def _chart(**props):
    return (
        alt.Chart(alt.Data(values=[{"x": 1, "y": 2}]))
        .mark_point()
        .encode(x="x:Q", y="y:Q")
        .properties(**props)
    )


def test_renderer_uses_the_local_bundle_not_a_cdn():
    bundle = render.offline_renderer(_chart(title="T", description="D").to_dict())
    html = bundle["text/html"]
    assert "window.iijbookDraw(" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "<script src"):
        assert cdn not in html


def test_chart_without_description_is_refused():
    with pytest.raises(render.ChartDescriptionError, match="title and a description"):
        render.offline_renderer(_chart(title="only a title").to_dict())


def test_description_reaches_screen_readers():
    html = render.offline_renderer(_chart(title="Revenues", description="Bars <by> quarter").to_dict())[
        "text/html"
    ]
    assert 'aria-describedby="' in html
    assert "Revenues: Bars &lt;by&gt; quarter" in html  # escaped, not markup


def test_spec_cannot_close_the_script_tag():
    html = render.offline_renderer(_chart(title="</script><b>x", description="d").to_dict())["text/html"]
    assert "</script><b>" not in html.split("<script", 1)[1].rsplit("</script>", 1)[0]


def test_setup_enables_theme_and_renderer():
    iijbook.setup()
    assert alt.renderers.active == render.RENDERER_NAME
    assert alt.theme.active == theme.THEME_NAME
    bundle = _chart(title="t", description="d")._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "text/html" in data


def test_palette_is_okabe_ito():
    okabe_ito = {
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
        "#000000",
    }
    assert set(theme.PALETTE) == okabe_ito


def test_bundle_is_written_once_and_has_no_remote_imports(tmp_path):
    path = bundle.write_bundle(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "window.iijbookDraw" in text and "vega-ready" in text
    assert "vegaEmbed" not in text  # Vega-Embed (0.27 MB) is left out
    assert "import(" not in text and "\nimport " not in text
    assert "jsdelivr" not in text  # no module address left (Vega's own strings cite its docs by URL)
    mtime = path.stat().st_mtime_ns
    bundle.write_bundle(tmp_path)
    assert path.stat().st_mtime_ns == mtime  # identical bundle is not rewritten


def test_the_bundler_serves_module_addresses_only_from_its_own_copies():
    # the bundle's source names Vega and Vega-Lite by vl-convert's module addresses; an address
    # vl-convert does not carry is refused, not fetched: nothing is downloaded to build the bundle
    code = (
        "import vl_convert as v\n"
        "try:\n"
        '    v.javascript_bundle(\'import * as x from "https://cdn.jsdelivr.net/npm/left-pad@1.3.0/+esm"; '
        "window.x = x;')\n"
        "    print('FETCHED')\n"
        "except BaseException as e:\n"
        "    print('REFUSED', type(e).__name__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "REFUSED" in proc.stdout and "FETCHED" not in proc.stdout, proc.stdout + proc.stderr

"""The offline renderer and theme: local Vega only, titles and descriptions required; the
site's specs sized to their column."""

import json
import re
import subprocess
import sys

import altair as alt
import iijbook
import pytest
from iijbook import render, theme
from iijbook_build import bundle, sphinxext


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
    assert ".vega-embed" in text  # Vega-Embed draws the charts (its stylesheet is in the bundle)
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


def _site_spec(chart) -> dict:
    """The spec a page of the site hands to iijbookDraw: the renderer's, fitted by the build."""
    html = sphinxext.lighter_page(render.offline_renderer(chart.to_dict())["text/html"])
    return json.loads(re.search(r"^  var spec = (\{.*\});$", html, re.M).group(1))


def test_a_chart_takes_its_columns_width_up_to_about_its_authors():
    long_title = "Quarterly revenues: one printed, three derived, one guided by the company"
    spec = _site_spec(_chart(title=long_title, description="d", width=520))
    assert spec["width"] == "container" and spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["usermeta"]["iijbook"]["maxWidth"] == 630
    expr = spec["title"]["text"]["expr"]  # the whole title where the plot holds it, else lines
    assert expr.startswith(f"width >= {round(len(long_title) * 9)} ? {json.dumps(long_title)}")
    assert '["Quarterly revenues: one printed,", "three derived, one guided by the", "company"]' in expr


def test_a_legend_lists_down_and_a_long_axis_title_wraps_for_a_phone():
    colour = alt.Color("k:N", scale=alt.Scale(domain=["in the release", "needed for the target"]))
    x = alt.X("x:Q", title="Capital intensity: CAPEX / revenues in percent")
    chart = _chart(title="T", description="d").encode(x=x, color=colour)
    spec = _site_spec(chart)
    assert spec["encoding"]["color"]["legend"]["columns"] == {"expr": "width < 288 ? 1 : 0"}
    assert spec["encoding"]["x"]["title"] == ["Capital intensity: CAPEX /", "revenues in percent"]


def test_facets_side_by_side_become_a_column_where_they_do_not_fit():
    data = alt.Data(values=[{"c": "A", "x": 1, "y": 2}, {"c": "B", "x": 2, "y": 3}])
    chart = (
        alt.Chart(data)
        .mark_point()
        .encode(x="x:Q", y="y:Q")
        .properties(width=260)
        .facet(column=alt.Column("c:N", sort=["B", "A"]))
        .properties(title="T", description="d")
    )
    spec = _site_spec(chart)
    meta = spec["usermeta"]["iijbook"]
    assert "facet" in spec and meta["minWidth"] == 2 * (260 + 80)  # as drawn where it fits
    panels = meta["narrow"]["vconcat"]  # else one panel a value, in the author's order
    assert [p["title"]["text"] for p in panels] == ["B", "A"]
    assert [p["transform"][0] for p in panels] == [{"filter": {"field": "c", "equal": v}} for v in "BA"]
    assert all(p["width"] == "container" for p in panels)
    assert meta["narrow"]["resolve"] == {"scale": {"x": "shared", "y": "shared"}}  # one scale, as facets


def test_fitting_keeps_the_script_closed_and_the_original_for_jupyterlab():
    chart = _chart(title="</script><b>x", description="d")
    html = sphinxext.lighter_page(render.offline_renderer(chart.to_dict())["text/html"])
    assert (
        '"width":"container"' in html
        and "</script><b>" not in html.split("<script", 1)[1].rsplit("</script>", 1)[0]
    )
    assert render.offline_renderer(chart.to_dict())[render.VEGALITE_MIME] == chart.to_dict()


def test_the_bundle_is_built_once_per_environment_and_a_cut_copy_is_built_again(tmp_path, monkeypatch):
    """vl-convert bundles in about 4 CPU seconds: the environment keeps the bundle, named by the
    versions it is made from, for every later build; a copy cut short is never served."""
    from iijbook_build import bundle

    made: list[int] = []
    monkeypatch.setattr(bundle.sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.setattr(bundle, "bundle_text", lambda: made.append(1) or "/* a bundle */\n})();\n")
    first = bundle.write_bundle(tmp_path / "a")
    second = bundle.write_bundle(tmp_path / "b")  # a cold build: a fresh folder
    assert len(made) == 1 and first.read_text() == second.read_text() == "/* a bundle */\n})();\n"
    (kept,) = (tmp_path / "venv" / "share" / "iijbook").iterdir()
    kept.write_text("/* a bundle */\n")  # cut short
    bundle.write_bundle(tmp_path / "c")
    assert len(made) == 2 and kept.read_text().endswith("})();\n")


def test_the_theme_cut_is_kept_per_environment_and_a_cut_copy_is_made_again(tmp_path, monkeypatch):
    """The stylesheet and font cut take a second and a half a render: the environment keeps them,
    named by the theme and the site's words; a copy cut short is never served."""
    from iijbook_build import bundle, trim

    monkeypatch.setattr(bundle.sys, "prefix", str(tmp_path / "venv"))
    sites = []
    for name in ("a", "b", "c"):
        site = tmp_path / name
        (site / trim.THEME_CSS).parent.mkdir(parents=True)
        (site / trim.THEME_CSS).write_text("uncut")
        (site / trim.FONTS).mkdir(parents=True)
        (site / "index.html").write_text('<i class="fa-solid fa-bars"></i><nav class="navbar"></nav>')
        sites.append(site)
    trim.trim_theme(sites[0])
    css = (sites[0] / trim.THEME_CSS).read_text()
    assert ".fa-bars:before" in css and ".fa-moon:before" not in css and ".navbar" in css
    kept = sorted((tmp_path / "venv" / "share" / "iijbook" / "trim").iterdir())
    assert sorted(p.suffix for p in kept) == [".css", ".woff2", ".woff2", ".woff2"]
    for path in kept:
        path.write_bytes(path.read_bytes()[:-5])  # cut short
    trim.trim_theme(sites[1])  # made again, not served cut
    trim.trim_theme(sites[2])  # from the environment
    for site in sites[1:]:
        assert (site / trim.THEME_CSS).read_text() == css
        for font in (sites[0] / trim.FONTS).iterdir():
            assert (site / trim.FONTS / font.name).read_bytes() == font.read_bytes()

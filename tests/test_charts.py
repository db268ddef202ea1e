"""The shared chart builders draw what a chapter's chart must show, from the release's own figures.

Fast: each test builds a chart and reads its Vega-Lite spec, or draws it to SVG with vl-convert
(the library the renderer uses for JupyterLab); no kernel, no book build.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest
import vl_convert as vlc
from iijbook import charts, render
from iijbook.data import broadband_monthly, figure
from iijbook.revenues import guided_3q02, revenue_history
from iijbook.theme import ROLE_COLOURS, TEXT_ON_WHITE


def svg_texts(chart: alt.TopLevelMixin) -> list[str]:
    """The text the drawn chart shows: axis labels, value labels, rule labels."""
    version = ".".join(alt.VEGALITE_VERSION.split(".")[:2])
    svg = vlc.vegalite_to_svg(chart.to_dict(), vl_version=version)
    return [t.replace("&amp;", "&") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def layer_of(spec: dict, mark: str, nth: int = 0) -> dict:
    return [layer for layer in spec["layer"] if layer["mark"]["type"] == mark][nth]


@pytest.fixture(scope="module")
def quarters() -> pd.DataFrame:
    """Revenues 1Q01 to 2Q02 as the release implies them, and 3Q02 at the guided midpoint, in ¥ billions."""
    rows = [
        {
            "quarter": d.period_label,
            "value": d.value,
            "lo": d.interval.lo,
            "hi": d.interval.hi,
            "role": "reported" if d.period_label == "2Q02" else "derived",
        }
        for d in revenue_history()
        if "Q" in d.period_label
    ]
    low, high = figure("guide_revenue_low_3q02").value, figure("guide_revenue_high_3q02").value
    rows.append({"quarter": "3Q02", "value": guided_3q02("mid"), "lo": low, "hi": high, "role": "guidance"})
    frame = pd.DataFrame(rows)
    frame[["value", "lo", "hi"]] /= 1e9
    return frame


def revenue_bars(quarters: pd.DataFrame) -> alt.LayerChart:
    return charts.figure_bars(
        quarters,
        title="Quarterly revenues",
        value_title="Total revenues (¥ billions)",
        label="¥{.2f}B",
        description="Bar chart of revenues by quarter, 1Q01 to 3Q02, in billions of yen.",
    )


def test_figure_bars_draw_a_bar_a_whisker_and_a_printed_value_per_quarter(quarters):
    chart = revenue_bars(quarters)
    spec = chart.to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "rule", "text"]
    rows = spec["datasets"][spec["data"]["name"]]
    assert [r["quarter"] for r in rows] == ["1Q01", "2Q01", "1Q02", "2Q02", "3Q02"]
    whisker = layer_of(spec, "rule")["encoding"]
    assert (whisker["y"]["field"], whisker["y2"]["field"]) == ("lo", "hi")
    for r in rows:  # every interval holds its figure: 1Q01 8.21 to 8.50 around 8.36, 3Q02 10.5 to 11.0
        assert r["lo"] <= r["value"] <= r["hi"]
    texts = svg_texts(chart)
    for value in ("¥8.36B", "¥9.56B", "¥9.88B", "¥10.60B", "¥10.75B"):
        assert value in texts, texts
    assert "Quarterly revenues" in texts


def test_figure_bars_colour_each_figure_by_its_role_and_say_it_in_the_tooltip(quarters):
    spec = revenue_bars(quarters).to_dict()
    colour = layer_of(spec, "bar")["encoding"]["color"]
    assert colour["scale"]["domain"] == ["reported", "derived", "guidance"]
    assert colour["scale"]["range"] == [ROLE_COLOURS[r] for r in ("reported", "derived", "guidance")]
    tips = [t if isinstance(t, str) else t.get("field") for t in layer_of(spec, "bar")["encoding"]["tooltip"]]
    assert {"quarter", "value", "role"} <= set(tips)


def test_figure_bars_follow_a_slider(quarters):
    """The revenues chapter's dollar chart: the bars are computed in the browser from the rate."""
    frame = pd.DataFrame({"item": ["2Q02 revenues"], "yen": [figure("revenue_2q02").value]})
    rate = alt.param(name="jpy_per_usd", value=122.1, bind=alt.binding_range(min=80, max=160, step=0.1))
    chart = charts.figure_bars(
        frame,
        category="item",
        horizontal=True,
        calculate={"value": "datum.yen / jpy_per_usd / 1e6"},
        label="${,.1f}",
        value_title="US$ millions",
        title="2Q02 in dollars",
        description="2Q02 revenues in dollars at a rate chosen with a slider.",
    ).add_params(rate)
    spec = chart.to_dict()
    assert spec["params"][0]["bind"]["input"] == "range"
    assert layer_of(spec, "bar")["encoding"]["x"]["field"] == "value"
    assert "$86.8" in svg_texts(chart)  # ¥10.6B ÷ 122.1 = $86.8M at the slider's starting rate


def test_every_builder_carries_the_title_and_description_the_renderer_requires(quarters, monkeypatch):
    monkeypatch.setenv(render.TARGET_VARIABLE, "site")
    bundle = render.offline_renderer(revenue_bars(quarters).to_dict())
    assert bundle["text/plain"].startswith("Quarterly revenues: Bar chart of revenues by quarter")
    with pytest.raises(render.ChartDescriptionError):
        render.offline_renderer(
            charts.figure_bars(quarters, title="t", description="", value_title="v").to_dict()
        )


def second_half(marked: bool = True) -> tuple[alt.LayerChart, float]:
    half = {d.period_label: d.value / 1e9 for d in revenue_history()}
    q3 = guided_3q02("mid") / 1e9
    curve = pd.DataFrame({"fy2001": [2 * half["1H01"] + i * 0.25 for i in range(21)]})
    curve["q4"] = curve["fy2001"] * 1.2 - half["1H02"] - q3
    point = pd.DataFrame(
        {"fy2001": [39.9], "q4": [39.9 * 1.2 - half["1H02"] - q3], "label": ["FY2001 = ¥39.90B"]}
    )
    chart = charts.line_against(
        curve,
        x="fy2001",
        y="q4",
        marked=point if marked else None,
        rules=[charts.Rule(q3, "3Q02 guidance (mid): ¥10.75B")],
        x_title="FY2001 (¥ billions)",
        y_title="4Q02 needed (¥ billions)",
        title="The 4Q02 revenues a +20% year needs",
        description="Line chart of the 4Q02 revenues needed for each FY2001 base.",
    )
    return chart, q3


def test_line_against_marks_the_pages_point_and_the_threshold():
    chart, q3 = second_half()
    spec = chart.to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "rule", "text", "point", "text"]
    point = layer_of(spec, "point")
    diamond = spec["datasets"][point["data"]["name"]][0]
    # by hand: 39.9 × 1.2 − 20.4789 − 10.75 = 16.6511
    assert (diamond["fy2001"], round(diamond["q4"], 2)) == (39.9, 16.65)
    assert point["mark"]["shape"] == "diamond"
    rule = layer_of(spec, "rule")
    assert spec["datasets"][rule["data"]["name"]][0]["v"] == q3 == 10.75
    assert rule["mark"]["color"] == ROLE_COLOURS["guidance"]
    assert layer_of(spec, "text")["mark"]["color"] == TEXT_ON_WHITE[ROLE_COLOURS["guidance"]]  # readable
    assert layer_of(spec, "line")["mark"]["color"] == ROLE_COLOURS["target"]
    texts = svg_texts(chart)
    assert "FY2001 = ¥39.90B" in texts and "3Q02 guidance (mid): ¥10.75B" in texts
    assert spec["layer"][0]["encoding"]["x"]["scale"] == {"zero": False}


def test_line_against_tells_series_apart_by_dash_as_well_as_colour():
    curve = pd.DataFrame({"share": [0, 1, 0, 1], "margin": [9.1, 11.0, 14.1, 11.0], "scenario": list("aabb")})
    chart = charts.line_against(
        curve, x="share", y="margin", series="scenario", colours={"a": "target", "b": "guidance"},
        x_title="share", y_title="margin", title="Two scenarios", description="Two lines.",
    )  # fmt: skip
    enc = chart.to_dict()["layer"][0]["encoding"]
    assert enc["color"]["scale"]["range"] == [ROLE_COLOURS["target"], ROLE_COLOURS["guidance"]]
    dashes = enc["strokeDash"]["scale"]["range"]
    assert len(dashes) == 2 and dashes[0] != dashes[1]


def gross_margins(quarters: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({"quarter": quarters, "series": "gross margin"})
    frame["value"] = [100 * figure(f"gross_margin_{q.lower()}").value for q in quarters]
    return frame


def test_quarter_timeline_keeps_a_slot_for_a_quarter_with_no_figure():
    frame = gross_margins(["2Q01", "1Q02", "2Q02"])  # the release prints no margin for 3Q01 or 4Q01
    chart = charts.quarter_timeline(
        frame, title="Gross margin", value_title="%", label="{.1f}%", description="Gross margin by quarter."
    )
    spec = chart.to_dict()
    assert layer_of(spec, "line")["encoding"]["x"]["scale"]["domain"] == [
        "2Q01",
        "3Q01",
        "4Q01",
        "1Q02",
        "2Q02",
    ]
    rows = spec["datasets"][spec["data"]["name"]]
    runs = {r["quarter"]: r["run"] for r in rows}
    assert runs["1Q02"] == runs["2Q02"] != runs["2Q01"]  # the line stops at the gap
    assert layer_of(spec, "line")["encoding"]["detail"]["field"] == "run"
    texts = svg_texts(chart)
    assert {"3Q01", "4Q01"} <= set(texts)  # the empty quarters are on the axis
    assert {"14.1%", "9.1%", "11.0%"} <= set(texts)


def test_quarter_timeline_draws_guided_ranges_behind_the_points():
    frame = pd.DataFrame({"quarter": ["2Q02"], "series": ["in the release"], "value": [10.6]})
    ranges = pd.DataFrame(
        {"quarter": ["3Q02"], "lo": [10.5], "hi": [11.0], "label": ["guided ¥10.5B–¥11.0B"]}
    )
    chart = charts.quarter_timeline(
        frame, ranges=ranges, lines=False, colours={"in the release": "reported"},
        title="Revenues", value_title="¥B", description="Revenues and the guided range.",
    )  # fmt: skip
    spec = chart.to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]][:2] == ["bar", "text"]
    assert layer_of(spec, "bar")["encoding"]["y2"]["field"] == "hi"
    assert layer_of(spec, "point")["encoding"]["color"]["scale"]["range"] == [ROLE_COLOURS["reported"]]
    assert layer_of(spec, "point")["encoding"]["x"]["scale"]["domain"] == ["2Q02", "3Q02"]


def test_quarter_timeline_puts_the_last_slots_labels_left_of_their_points():
    """A label right of a point in the last slot would run past the plot's edge and be cut; left of
    it, it sits above a line rising into the point, clear of it."""
    frame = pd.DataFrame({"quarter": ["3Q02", "4Q02"], "series": "s", "value": [10.6, 16.65],
                          "label": ["¥10.6B", "¥16.65B needed"]})  # fmt: skip
    chart = charts.quarter_timeline(frame, title="T", description="D.", value_title="¥B", width=300)
    svg = vlc.vegalite_to_svg(chart.to_dict(), vl_version=".".join(alt.VEGALITE_VERSION.split(".")[:2]))
    placed = dict(re.findall(r'text-anchor="(\w+)" transform="translate\(([\d.]+),[^>]*>¥', svg))
    assert set(placed) == {"start", "end"}  # 3Q02's label after its point, 4Q02's before it
    assert float(placed["start"]) > 75 and float(placed["end"]) < 225  # the slots' centres: 75 and 225
    assert chart.data.set_index("quarter")["dy"].to_dict() == {
        "3Q02": 0,
        "4Q02": -10,
    }  # above the rising line


def test_quarter_slots_cross_the_fiscal_year():
    assert charts.quarter_slots(["3Q01", "2Q02"]) == ["3Q01", "4Q01", "1Q02", "2Q02"]


def test_market_series_marks_the_releases_figure_and_dashes_the_projection():
    monthly = broadband_monthly().rename(columns={"subscribers": "value"})
    dsl = monthly[monthly["technology"] == "DSL"]
    known, later = dsl[dsl["month_end"] <= "2002-10-31"], dsl[dsl["month_end"] >= "2002-10-31"]
    printed = figure("adsl_2002_10")  # "4.6 Million" at the end of October 2002
    marks = pd.DataFrame({"month_end": ["2002-10-31"], "value": [printed.value], "label": [printed.printed]})
    chart = charts.market_series(
        known, series="technology", projection=later, marked=marks, log=True,
        rules=[charts.Rule("2002-10-31", "the release's latest figure", colour="#555", axis="x")],
        value_title="Subscribers", title="DSL subscribers", description="DSL subscribers by month end.",
    )  # fmt: skip
    spec = chart.to_dict()
    kinds = [layer["mark"]["type"] for layer in spec["layer"]]
    assert kinds == ["line", "point", "line", "point", "rule", "text"]
    projection = spec["layer"][2]
    assert projection["mark"]["strokeDash"] == [7, 4]
    assert spec["datasets"][projection["data"]["name"]][0]["month_end"].startswith("2002-10-31")
    diamond = spec["layer"][3]
    assert diamond["mark"]["shape"] == "diamond" and diamond["mark"]["filled"] is False
    assert spec["datasets"][diamond["data"]["name"]] == [
        {"month_end": "2002-10-31", "value": 4.6e6, "label": "4.6 Million"}
    ]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    assert spec["layer"][4]["encoding"]["x"] == {"field": "v", "type": "temporal"}
    assert "the release's latest figure" in svg_texts(chart)


def test_a_rules_label_may_sit_at_the_plots_right_end_or_before_a_date():
    level, date = (
        charts.Rule(14.1, "2Q01: 14.1%", side="right"),
        charts.Rule("2002-10-31", "release", axis="x", side="left"),
    )
    texts = [layer.to_dict()["mark"] for layer in charts._rules([level, date])[1::2]]
    assert (texts[0]["x"], texts[0]["align"]) == ("width", "right")  # drawn at the right end at any width
    assert (texts[1]["align"], texts[1]["dx"]) == ("right", -4)  # before the line
    default = charts._rules([charts.Rule(14.1, "2Q01")])[1].to_dict()
    assert default["mark"]["align"] == "left" and default["encoding"]["x"] == {"value": 4}
    under = charts._rules([charts.Rule(13.0, "reported later", side="right", below=True)])[1].to_dict()
    assert (under["mark"]["baseline"], under["mark"]["dy"]) == ("top", 10)


def test_market_series_takes_its_time_axis_ticks_legend_and_extra_tooltips():
    frame = pd.DataFrame({"month_end": ["2001-07-31", "2001-08-31"], "model": "linear", "value": [0.2, 0.25],
                          "error": [-0.8, -0.75]})  # fmt: skip
    chart = charts.market_series(
        frame, series="model", log=True, ticks=[0.1, 1, 10], value_format="~g", time_title="Cut-off month",
        legend_title="Model", clip=True, tooltip=[alt.Tooltip("error:Q", format="+.1%")],
        value_title="ratio", title="Projected ÷ recorded", description="Projected over recorded by cut-off.",
    )  # fmt: skip
    line, points = chart.to_dict()["layer"][:2]
    assert line["encoding"]["y"]["axis"] == {"format": "~g", "values": [0.1, 1, 10]}
    assert line["encoding"]["x"]["title"] == "Cut-off month" and line["mark"]["clip"] is True
    assert line["encoding"]["color"]["title"] == "Model"
    assert points["encoding"]["tooltip"][-1] == {"field": "error", "format": "+.1%", "type": "quantitative"}

"""The chart shapes the chapters repeat, on the book's one theme and role colours.

A chart cell says what it shows and calls a builder with a tidy DataFrame and the words the chapter
must say (title, axis titles, a description for screen readers); the builder returns a layered Altair
chart with tooltips, value labels, reference lines and marked points drawn alike on every page.
``**properties`` (width, height, usermeta) go to ``.properties``; a slider or menu is added with
``.add_params(alt.param(bind=...))`` and a layer with ``+``, and the chart keeps its title and description.

- :func:`figure_bars`: printed and derived figures, each with the interval its rounding allows
- :func:`line_against`: what follows from an assumption, the page's own point and thresholds marked
- :func:`quarter_timeline`: figures by fiscal quarter, a slot for every quarter, known or not
- :func:`market_series`: a monthly market series, the release's figures marked, with a projection
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from .periods import FiscalPeriod
from .theme import PALETTE, ROLE_COLOURS, TEXT_ON_WHITE

DASHES = ([1, 0], [6, 4], [2, 2], [8, 2, 2, 2])
SHAPES = ("circle", "square", "triangle-up", "diamond")
INK = "#222"  # whiskers and the page's own points, on every chart


@dataclass(frozen=True)
class Rule:
    """A labelled reference line at ``value`` on the ``axis`` ("y": a level; "x": a vertical line, a
    date on a time axis), in a role's colour (``ROLE_COLOURS``) or any colour, dashed by ``dash``; ``side``
    moves its label: "left" puts a date's label before its line, "right" a level's at the plot's right end;
    ``below`` puts a level's label under its line, clear of what lies above it."""

    value: float | str
    label: str
    colour: str = "guidance"
    axis: str = "y"
    dash: tuple[int, ...] = (6, 4)
    side: str | None = None
    below: bool = False


def _series(
    field: str, names: Iterable[str], colours: dict[str, str] | None = None, title: str | None = None
) -> dict:
    """Colour (``colours``' own, a role's by name, else the palette's next), dash and point shape a series."""
    names, own = list(dict.fromkeys(names)), colours or {}
    picks = [ROLE_COLOURS.get(own.get(n, n), own.get(n)) for n in names]
    spare = iter(c for c in PALETTE if c not in picks)
    looks = {alt.Color: [p or next(spare) for p in picks], alt.StrokeDash: DASHES, alt.Shape: SHAPES}
    return {
        channel.__name__: channel(
            f"{field}:N", title=title, scale=alt.Scale(domain=names, range=list(v[: len(names)]))
        )
        for channel, v in looks.items()
    }


def _label(label: str, field: str = "value") -> tuple[str, str]:
    """``"¥{.2f}B"`` as a Vega expression for the field's label, and its number format alone."""
    before, number, after = re.fullmatch(r"(.*)\{(.*)\}(.*)", label).groups()
    return f"'{before}' + format(datum['{field}'], '{number}') + '{after}'", number


def _rules(rules: Sequence[Rule]) -> list[alt.Chart]:
    """Each rule and its label: above a level at the plot's left edge, beside a date at the top."""
    layers = []
    for r in rules:
        colour, across = ROLE_COLOURS.get(r.colour, r.colour), "x" if r.axis == "y" else "y"
        kind = "T" if isinstance(r.value, str) else "Q"
        base = alt.Chart(pd.DataFrame({"v": [r.value], "label": [r.label]})).encode(**{r.axis: f"v:{kind}"})
        # a date's label after its line, or before it; a level's above its left end, or its right end
        before = r.side == ("left" if r.axis == "x" else "right")
        place = {"x": "width"} if r.axis == "y" and before else {}
        at = {"align": "right", "dx": -4} if before else {"align": "left", "dx": 4 if r.axis == "x" else 0}
        nudge = {"dy": 10 if r.below else -6, "baseline": "top" if r.below else "bottom"}
        nudge = nudge if r.axis == "y" else {"baseline": "top"}
        text = base.mark_text(color=TEXT_ON_WHITE.get(colour, "#333"), **at, **nudge, **place)
        layers += [
            base.mark_rule(color=colour, strokeDash=list(r.dash), strokeWidth=1.5),
            text.encode(text="label:N", **({} if place else {across: alt.value(4)})),
        ]
    return layers


def _marked(points: pd.DataFrame | None, x: Any, y: Any) -> list[alt.Chart]:
    """The page's own points: dark diamonds, each with its ``label`` beside it and as its tooltip."""
    if points is None:
        return []
    base = alt.Chart(points).encode(x=x, y=y)
    return [
        base.mark_point(shape="diamond", size=160, filled=True, color=INK).encode(tooltip=["label:N"]),
        base.mark_text(align="left", dx=10, dy=4).encode(text="label:N"),
    ]


def figure_bars(
    frame: pd.DataFrame, *, title: str, description: str, value_title: str, category: str = "quarter",
    category_title: str | None = None, horizontal: bool = False, domain: Sequence[float] | None = None,
    label: str = "{.2f}", calculate: dict[str, str] | None = None, tooltip: Sequence[Any] = (),
    **properties: Any,
) -> alt.LayerChart:  # fmt: skip
    """Figures as bars, one a ``category`` in the frame's order, their length the ``value`` column,
    coloured by the ``role`` column (reported, derived, guidance: ``ROLE_COLOURS``; without it, all as
    reported); a whisker from ``lo`` to ``hi`` where the frame has them (what the rounding allows, or a
    guided range); each value printed at the bar's end as ``label`` says (``"¥{.2f}B"``). ``calculate``
    computes columns in the browser, e.g. ``value`` from a slider's setting.

    Revenues by quarter: 2Q02 printed, the quarters before it derived from its growth rates.

    >>> from iijbook.revenues import revenue_history
    >>> frame = pd.DataFrame([{"quarter": d.period_label, "value": d.value / 1e9, "lo": d.interval.lo / 1e9,
    ...     "hi": d.interval.hi / 1e9, "role": "reported" if d.period_label == "2Q02" else "derived"}
    ...     for d in revenue_history() if "Q" in d.period_label])
    >>> chart = figure_bars(frame, title="Revenues by quarter", value_title="¥ billions", label="¥{.2f}B",
    ...     description="Bars of revenues by quarter, 1Q01 to 2Q02, in billions of yen.")
    >>> spec = chart.to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]], spec["title"]
    (['bar', 'rule', 'text'], 'Revenues by quarter')
    >>> spec["layer"][0]["encoding"]["color"]["scale"]["domain"], spec["layer"][1]["encoding"]["y2"]
    (['reported', 'derived'], {'field': 'hi'})
    >>> [(r["quarter"], round(r["lo"], 2), round(r["hi"], 2)) for r in spec["datasets"].popitem()[1]][0]
    ('1Q01', 8.21, 8.5)
    """
    cat, val = ("y", "x") if horizontal else ("x", "y")
    (expression, number), channel = _label(label), {"x": alt.X, "y": alt.Y}
    scale = alt.Scale(domain=list(domain), nice=False) if domain else alt.Undefined
    axis = channel[cat](f"{category}:N", title=category_title, sort=None, axis=alt.Axis(labelAngle=0))
    base = alt.Chart(frame).transform_calculate(**(calculate or {}), label=expression).encode(**{cat: axis})
    roles = sorted(set(frame.get("role", [])), key=lambda r: (list(ROLE_COLOURS) + [r]).index(r))
    colour = {"color": _series("role", roles, title="Figure")["Color"]} if roles else {}
    tips = [category, alt.Tooltip("value:Q", format=number, title=value_title), *(["role"] * bool(roles))]
    bar = base.mark_bar(color=ROLE_COLOURS["reported"], **({} if horizontal else {"width": {"band": 0.7}}))
    length = {val: channel[val]("value:Q", title=value_title, scale=scale)}
    out = [bar.encode(**length, **colour, tooltip=[*tips, *tooltip])]
    interval = {"lo", "hi"} <= set(frame.columns)
    if interval:
        out.append(base.mark_rule(strokeWidth=2, color=INK).encode(**{val: "lo:Q", f"{val}2": "hi:Q"}))
    nudge = {"align": "left", "dx": 4} if horizontal else {"dy": -12 if interval else -8}
    text = base.mark_text(fontWeight="bold", **nudge).encode(text="label:N")
    return alt.layer(*out, text.encode(**{val: "hi:Q" if interval else "value:Q"})).properties(
        title=title, description=description, **properties
    )


def line_against(
    curve: pd.DataFrame, *, x: str, y: str, title: str, description: str, x_title: str, y_title: str,
    series: str | None = None, colours: str | dict[str, str] = "target", marked: pd.DataFrame | None = None,
    rules: Sequence[Rule] = (), x_domain: Sequence[float] | None = None, legend_title: str | None = None,
    **properties: Any,
) -> alt.LayerChart:  # fmt: skip
    """``y`` as it follows from an assumption ``x``: a line in the role or colour ``colours`` (or a line
    a ``series``, told apart by colour and dash, ``colours`` mapping series to roles or colours), the
    page's own point(s) as dark diamonds (``marked``: rows of ``x``, ``y`` and ``label``) and labelled
    thresholds (:class:`Rule`). Neither axis need start at zero; ``x_domain`` fixes the x axis' ends;
    ``legend_title`` names the series' legend.

    The 4Q02 revenues a +20% year needs, for FY2001 from twice 1H01 to twice 1H02 (¥ billions):

    >>> from iijbook.revenues import guided_3q02, revenue_history
    >>> half, q3 = {d.period_label: d.value / 1e9 for d in revenue_history()}, guided_3q02("mid") / 1e9
    >>> curve = pd.DataFrame({"fy2001": [2 * half["1H01"], 2 * half["1H02"]]})
    >>> at = pd.DataFrame({"fy2001": [39.9], "label": ["FY2001 ¥39.9B"]})  # IIJ's published FY2001
    >>> for frame in (curve, at):
    ...     frame["q4"] = frame["fy2001"] * 1.2 - half["1H02"] - q3
    >>> chart = line_against(curve, x="fy2001", y="q4", x_title="FY2001 (¥B)", y_title="4Q02 needed (¥B)",
    ...     marked=at, rules=[Rule(q3, "3Q02 guidance (mid)")], title="The 4Q02 a +20% year needs",
    ...     description="Line chart: the 4Q02 needed for each FY2001 base, 3Q02 at ¥10.75B.")
    >>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    ['line', 'rule', 'text', 'point', 'text']
    >>> chart.layer[3].data[["fy2001", "q4"]].round(2).values.tolist()  # the marked point
    [[39.9, 16.65]]
    """
    ends = {"domain": list(x_domain), "nice": False} if x_domain else {}
    xs = alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False, **ends))
    ys = alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False))
    tips = [alt.Tooltip(f"{a}:Q", title=t, format=",.2~f") for a, t in ((x, x_title), (y, y_title))]
    line = alt.Chart(curve).encode(x=xs, y=ys)
    if series is None:
        line = line.mark_line(color=ROLE_COLOURS.get(colours, colours)).encode(tooltip=tips)
    else:
        style = _series(series, curve[series], colours, legend_title)
        line = line.mark_line().encode(color=style["Color"], strokeDash=style["StrokeDash"])
        line = line.encode(tooltip=[series, *tips])
    layers = [line, *_rules(rules), *_marked(marked, xs, ys)]
    return alt.layer(*layers).properties(title=title, description=description, **properties)


def quarter_slots(quarters: Iterable[str]) -> list[str]:
    """Every fiscal quarter from the first of ``quarters`` to the last.

    >>> quarter_slots(["2Q02", "2Q01", "1Q02"])
    ['2Q01', '3Q01', '4Q01', '1Q02', '2Q02']
    """
    first, last = min(map(FiscalPeriod.parse, quarters)), max(map(FiscalPeriod.parse, quarters))
    return [first.shift(i).label for i in range(4 * (last.fy - first.fy) + last.n - first.n + 1)]


def quarter_timeline(
    frame: pd.DataFrame, *, title: str, description: str, value_title: str, series: str = "series",
    slots: Sequence[str] | None = None, colours: dict[str, str] | None = None, lines: bool = True,
    ranges: pd.DataFrame | None = None, domain: Sequence[float] | None = None, label: str = "{.1f}",
    **properties: Any,
) -> alt.LayerChart:  # fmt: skip
    """Figures (``value``) by fiscal ``quarter`` on an axis with a slot for every quarter from the first
    to the last (``slots``; :func:`quarter_slots`), so that a quarter with no known figure shows as a
    gap: lines join only the figures of consecutive quarters. A colour, dash and point shape a
    ``series`` (``colours``: a role or colour a series; by default roles by name, then the palette);
    each point labelled with its ``label`` column or its value (``"{.1f}%"``; in the last slot left of the
    point, so the plot's edge cuts none), a ``note`` column in
    its tooltip; ``ranges`` (quarter, lo, hi, label) draws shaded bars behind, e.g. guided ranges.

    Gross margin as printed for 2Q01, 1Q02 and 2Q02 (the release gives none for 3Q01 and 4Q01):

    >>> from iijbook.data import figure
    >>> margins = pd.DataFrame({"quarter": ["2Q01", "1Q02", "2Q02"], "series": "gross margin"})
    >>> margins["value"] = [100 * figure(f"gross_margin_{q.lower()}").value for q in margins["quarter"]]
    >>> chart = quarter_timeline(margins, title="Gross margin", value_title="% of revenues", label="{.1f}%",
    ...     description="Gross margin: 2Q01 14.1%, 1Q02 9.1%, 2Q02 11.0%; none printed for 3Q01 or 4Q01.")
    >>> chart.to_dict()["layer"][0]["encoding"]["x"]["scale"]["domain"]
    ['2Q01', '3Q01', '4Q01', '1Q02', '2Q02']
    >>> chart.data["run"].tolist()  # 2Q01 stands alone: no line across the gap
    [1, 2, 2]
    """
    slots = list(slots or quarter_slots([*frame["quarter"], *([] if ranges is None else ranges["quarter"])]))
    data = frame.assign(slot=frame["quarter"].map(slots.index)).sort_values([series, "slot"])
    data["run"] = data.groupby(series)["slot"].diff().ne(1).cumsum()  # a new run after each gap
    (expression, number), notes = _label(label), ["note"] if "note" in data else []
    # a label sits right of its point; in the last slot left of it, inside the plot, and above (below) a
    # line that rises (falls) into the point, clear of it
    last, at_end = f"datum.slot == {len(slots) - 1}", data["slot"] == len(slots) - 1
    rise = data.groupby(series)["value"].diff().where(data["run"].duplicated() & lines)  # NaN: no line in
    data["dy"] = (at_end & (rise >= 0)) * -10 + (at_end & (rise < 0)) * 10
    scale = alt.Scale(domain=list(domain), nice=False) if domain else alt.Undefined
    xs = alt.X(
        "quarter:N",
        title="Fiscal quarter",
        sort=slots,
        scale=alt.Scale(domain=slots),
        axis=alt.Axis(labelAngle=0),
    )
    ys, style = alt.Y("value:Q", title=value_title, scale=scale), _series(series, data[series], colours)
    base = alt.Chart(data).encode(x=xs, y=ys, color=style["Color"])
    tips = ["quarter", series, alt.Tooltip("value:Q", title=value_title, format=number), *notes]
    out = [base.mark_line().encode(strokeDash=style["StrokeDash"], detail="run:N")] if lines else []
    out += [
        base.mark_point(size=110, filled=True, opacity=1).encode(shape=style["Shape"], tooltip=tips),
        base.transform_calculate(text="datum.label" if "label" in data else expression)
        .mark_text(align=alt.expr(f"{last} ? 'right' : 'left'"), dx=alt.expr(f"{last} ? -8 : 10"),
                   dy=alt.expr("datum.dy"), color=INK)
        .encode(text="text:N"),
    ]  # fmt: skip
    if ranges is not None:
        green = ROLE_COLOURS["guidance"]
        band = alt.Chart(ranges).encode(x=xs, y=alt.Y("lo:Q", title=value_title))
        words = band.mark_text(baseline="top", dy=6, lineBreak="\n", color=TEXT_ON_WHITE[green])
        out[:0] = [band.mark_bar(size=34, opacity=0.35, color=green).encode(y2="hi:Q", tooltip=["label:N"])]
        out.insert(1, words.encode(text="label:N"))
    return alt.layer(*out).properties(title=title, description=description, **properties)


def market_series(
    frame: pd.DataFrame, *, title: str, description: str, value_title: str, series: str = "series",
    colours: dict[str, str] | None = None, log: bool = False, domain: Sequence[float] | None = None,
    marked: pd.DataFrame | None = None, projection: pd.DataFrame | None = None, rules: Sequence[Rule] = (),
    time_title: str = "Month end", time_format: str = "%Y-%m", time_domain: Sequence[Any] | None = None,
    ticks: Sequence[float] | None = None, value_format: str | None = None, tooltip: Sequence[Any] = (),
    legend_title: str | None = None, clip: bool = False, **properties: Any,
) -> alt.LayerChart:  # fmt: skip
    """A market's ``value`` by ``month_end``: a line and points a ``series`` (colour, dash and point
    shape; a ``source`` column joins the tooltip), on a log scale if ``log``; the release's own figures
    as open black diamonds (``marked``: month_end, value and label, the figure as printed); a
    ``projection`` (the columns of ``frame``) dashed, e.g. later months or a model's projection past a
    cut-off; ``rules`` at a date (the release's latest month, a cut-off) or a level. The time axis is
    titled ``time_title`` (its tooltip shows ``time_format``), spans ``time_domain`` if given; the value
    axis has ``ticks`` and ``value_format`` (default: ``"~s"`` on a log scale); ``tooltip`` adds fields;
    ``legend_title`` names the series' legend; ``clip`` cuts lines and points at the value axis' domain.

    Japan's DSL subscribers by month, and the release's "4.6 Million" for October 2002:

    >>> from iijbook.data import broadband_monthly, figure
    >>> dsl = broadband_monthly().query("technology == 'DSL'").rename(columns={"subscribers": "value"})
    >>> f = figure("adsl_2002_10")
    >>> printed = pd.DataFrame({"month_end": ["2002-10-31"], "value": [f.value], "label": [f.printed]})
    >>> chart = market_series(dsl, series="technology", log=True, value_title="Subscribers (log scale)",
    ...     marked=printed, rules=[Rule("2002-10-31", "the release", axis="x")], title="DSL in Japan",
    ...     description="Line chart of DSL subscribers by month end, 4.6 million in October 2002.")
    >>> spec = chart.to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]], spec["layer"][0]["encoding"]["y"]["scale"]["type"]
    (['line', 'point', 'point', 'rule', 'text'], 'log')
    """
    scale = alt.Scale(type="log" if log else "linear", domain=list(domain) if domain else alt.Undefined)
    when = alt.Scale(domain=list(time_domain)) if time_domain else alt.Undefined
    years = alt.Axis(format="%Y", tickCount="year", labelAngle=0)
    xs = alt.X("month_end:T", title=time_title, scale=when, axis=years)
    form, values = value_format or ("~s" if log else alt.Undefined), list(ticks) if ticks else alt.Undefined
    axis = alt.Axis(format=form, values=values) if log or ticks or value_format else alt.Undefined
    ys = alt.Y("value:Q", title=value_title, scale=scale, axis=axis)
    month = alt.Tooltip("month_end:T", title="month", format=time_format)
    tips = [series, month, alt.Tooltip("value:Q", format=",")]
    style = _series(series, frame[series], colours, legend_title)
    extra = [*(["source"] * ("source" in frame)), *tooltip]
    base = alt.Chart(frame).encode(x=xs, y=ys, color=style["Color"])
    layers = [
        base.mark_line(clip=clip).encode(strokeDash=style["StrokeDash"], tooltip=tips),
        base.mark_point(filled=True, size=40, clip=clip).encode(shape=style["Shape"], tooltip=tips + extra),
    ]
    if projection is not None:
        dashed = alt.Chart(projection).mark_line(strokeDash=[7, 4], clip=True)
        layers.append(dashed.encode(x=xs, y=ys, color=style["Color"], tooltip=tips))
    if marked is not None:
        diamond = alt.Chart(marked).mark_point(
            shape="diamond", filled=False, size=220, color="#000", strokeWidth=1.5
        )
        layers.append(
            diamond.encode(x=xs, y=ys, tooltip=[alt.Tooltip("label:N", title="the release prints")])
        )
    return alt.layer(*layers, *_rules(rules)).properties(title=title, description=description, **properties)

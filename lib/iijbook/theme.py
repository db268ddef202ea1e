"""The book's one Altair theme: readable type, colour-blind safe colours.

The palette is Okabe and Ito's (2008) eight colours, ordered so that the
first ones have enough contrast on white; charts that must be told apart by
more than colour also vary the mark's shape or dash.

>>> PALETTE[:3]
('#0072B2', '#E69F00', '#009E73')
>>> register()
'iijbook'
"""

from __future__ import annotations

import altair as alt

#: Okabe-Ito colours, darkest first (yellow last: too light for lines on white).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)

#: Darker shades of palette colours for text drawn on white (contrast at least 4.5:1),
#: e.g. a label beside a line drawn in the palette colour.
TEXT_ON_WHITE: dict[str, str] = {
    "#009E73": "#1b5e4a",  # bluish green
    "#E69F00": "#8a5a00",  # orange
}

#: Named roles, so that "actual" and "guided" look the same on every page.
ROLE_COLOURS: dict[str, str] = {
    "reported": PALETTE[0],
    "derived": PALETTE[1],
    "guidance": PALETTE[2],
    "target": PALETTE[3],
    "hindsight": PALETTE[4],
}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
THEME_NAME = "iijbook"


def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "view": {"stroke": None, "continuousWidth": 520, "continuousHeight": 300},
            "title": {"fontSize": 15, "anchor": "start", "subtitleColor": "#444"},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "labelColor": "#333",
                "titleColor": "#333",
                "gridColor": "#e6e6e6",
                "domainColor": "#888",
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "range": {"category": list(PALETTE)},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2.5},
            "point": {"color": PALETTE[0], "size": 70, "filled": True},
            "text": {"fontSize": 12, "color": "#222"},
            # reference lines carry no data of their own: keep them out of the
            # screen-reader tree (Vega would expose them as unnamed graphics)
            "rule": {"aria": False},
        }
    }


def register() -> str:
    """Register and enable the theme (idempotent); returns its name."""
    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(_theme)
    alt.theme.enable(THEME_NAME)
    return THEME_NAME

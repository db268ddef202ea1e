"""Plumbing for chapter pages: tables of the release's figures, of derived figures, and of gaps.

>>> stated_table(["revenue_2q02", "revenue_growth_qoq_2q02"])["as printed"].tolist()
['JPY10.6B', '7.3%']
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from . import fmt
from .data import figure, gaps
from .derived import Derived


def stated_table(ids: Iterable[str]) -> pd.DataFrame:
    """The release's own figures, as printed, with where each comes from."""
    return pd.DataFrame(
        {
            "figure": f.metric.replace("_", " "),
            "period": str(f.period) if f.period else f.as_of,
            "as printed": f.printed,
            "source": f.source,
        }
        for f in map(figure, ids)
    )


def derived_table(items: Iterable[Derived], formatter) -> pd.DataFrame:
    """Derived figures with their rounding interval and formula, formatted for a page."""
    return pd.DataFrame(
        {
            "figure": d.name,
            "value": formatter(d.value),
            "range the rounding allows": f"{formatter(d.interval.lo)} to {formatter(d.interval.hi)}",
            "formula": d.formula,
        }
        for d in items
    )


def gaps_markdown(section: str) -> str:
    """A Markdown list of the section's charts whose numbers were lost."""
    table = gaps(section)
    if table.empty:
        return "No chart of this section lost its numbers."
    lines = []
    for _, g in table.iterrows():
        axes = f" ({g['printed_axes']})" if isinstance(g["printed_axes"], str) else ""
        note = f" {g['note'][0].upper()}{g['note'][1:]}." if isinstance(g["note"], str) else ""
        lines.append(f"- **{g['chart_title']}**{axes}: {g['what_is_lost']} — not in the text.{note}")
    return "\n".join(lines)


def show(table: pd.DataFrame):
    """A table as HTML without its index (deterministic: no random ids)."""
    from IPython.display import HTML

    return HTML(table.to_html(index=False, border=0, classes="table iijbook-table", escape=True))


#: The MIME type under which a chapter hands its key outputs to the build's Scenarios page.
KEY_OUTPUTS_MIME = "application/vnd.iijbook.key-outputs+json"


def key_outputs(outputs: dict[str, tuple[float, str]]) -> None:
    r"""Hand the key figures (name: (value, unit "JPY", "ratio" or "count")) to the Scenarios page,
    which compares each across scenarios; a reader sees them as the prose cites them:

    >>> key_outputs({"4Q02 revenues the target needs": (1.665e10, "JPY"), "margin": (0.141, "ratio")})
    ... # doctest: +ELLIPSIS
    {...'text/plain': '4Q02 revenues the target needs: ¥16.6B\nmargin: 14.1%'}
    """
    from IPython.display import display

    data = {name: [float(value), unit] for name, (value, unit) in outputs.items()}
    shown = {"JPY": fmt.yen, "ratio": fmt.pct, "count": fmt.count}
    text = "\n".join(f"{name}: {shown[unit](value)}" for name, (value, unit) in data.items())
    display({KEY_OUTPUTS_MIME: data, "text/plain": text}, raw=True)

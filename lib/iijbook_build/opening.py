"""The answer first: how a chapter's page opens on the site.

A chapter is written in the order it is worked out: the question, the release's figures,
each derivation, then the answer. A reader of the site wants the answer first. For the site,
the build therefore lays out each executed chapter so that it opens with

1. its title and question (the first paragraph that starts ``**The question.**``);
2. its answer: the markdown cell tagged ``answer`` (three or four key figures, each a bold
   value and a few words), moved up from where the notebook computes it;
3. its headline chart: the output of the code cell tagged ``headline``, moved up with its
   figure caption and label. The code stays where it was, with a link to the chart.

The table of the release's printed figures (the output of the cell that calls
``page.stated_table``) is folded into a ``<details>`` block, in every chapter. The notebook
itself, as JupyterLab shows it, keeps its working order; a chapter without both tags keeps it on
the site too.

>>> nb = {"cells": [
...     {"cell_type": "markdown", "id": "t", "metadata": {},
...      "source": "# Revenues\\n\\n**The question.** How large?\\n\\nMore text."},
...     {"cell_type": "code", "id": "c", "metadata": {"tags": ["headline"]}, "source": "chart",
...      "outputs": [{"output_type": "display_data", "data": {"text/html": "<svg/>"}, "metadata": {}}]},
...     {"cell_type": "markdown", "id": "a", "metadata": {"tags": ["answer"]},
...      "source": "- **¥10.6B** revenues in 2Q02"}]}
>>> [c["id"] for c in opened(nb)["cells"]]
['t', 'a', 'c-headline', 't-rest', 'c']
"""

from __future__ import annotations

import copy
import html
import json
import re
from typing import Any

ANSWER_TAG = "answer"
HEADLINE_TAG = "headline"
_QUESTION = re.compile(r"^\*\*The question\.\*\*.*?(?:\n\s*\n|\Z)", re.S | re.M)


def _tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _figure_name(cell: dict[str, Any]) -> str:
    return str(cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name", ""))


def _fold_printed_table(cell: dict[str, Any]) -> None:
    """Fold the HTML table of printed figures into a ``<details>`` block, closed."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        table = data.get("text/html")
        if not table:
            continue
        table = "".join(table) if isinstance(table, list) else table
        rows = max(table.count("<tr") - 1, 0)
        data["text/html"] = (
            '<details class="iijbook-printed">'
            f"<summary>The release's figures, as printed ({rows})</summary>\n{table}\n</details>"
        )


def opened(nb: dict[str, Any]) -> dict[str, Any]:
    """The notebook laid out answer first (see the module's docstring); a new dict."""
    nb = copy.deepcopy(nb)
    cells = nb.get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "code" and "stated_table(" in _source(cell):
            _fold_printed_table(cell)
            break
    answer = next((c for c in cells if c.get("cell_type") == "markdown" and ANSWER_TAG in _tags(c)), None)
    headline = next((c for c in cells if c.get("cell_type") == "code" and HEADLINE_TAG in _tags(c)), None)
    first = next((c for c in cells if c.get("cell_type") == "markdown"), None)
    question = _QUESTION.search(_source(first)) if first else None
    if answer is None or headline is None or question is None:
        return nb
    text = _source(first)
    head, rest = text[: question.end()].rstrip(), text[question.end() :].strip()
    first["source"] = head
    answer["source"] = f'<div class="iijbook-answer">\n\n{_source(answer).strip()}\n\n</div>'
    chart = copy.deepcopy(headline)
    chart["id"] = f"{headline.get('id', 'chart')}-headline"
    chart["source"] = "# the headline chart: the code that draws it is further down the page"
    chart["metadata"]["tags"] = [t for t in _tags(headline) if t != HEADLINE_TAG] + ["remove-input"]
    # the code stays in its place, with a link to the chart it draws
    name = _figure_name(headline)
    headline.get("metadata", {}).get("mystnb", {}).pop("figure", None)  # the label is the copy's now
    link = (
        f'<a href="#{html.escape(name)}">the chart at the top of the page</a>' if name else "the chart above"
    )
    headline["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/html": f'<p class="iijbook-moved">This code draws {link}.</p>'},
        }
    ]
    order = [first, answer, chart]
    if rest:
        order.append(
            {
                "cell_type": "markdown",
                "id": f"{first.get('id', 'title')}-rest",
                "metadata": {},
                "source": rest,
            }
        )
    order += [c for c in cells if c is not first and c is not answer]
    nb["cells"] = order
    return nb


def answer_first(text: str) -> str:
    """:func:`opened` on a notebook's JSON text; text that is not a notebook is returned as it is."""
    try:
        nb = json.loads(text)
    except ValueError:
        return text
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return text
    return json.dumps(opened(nb), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

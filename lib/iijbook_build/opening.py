"""The answer first: a chapter is written in the order it is worked out, a reader of the site wants
the answer first. The site's copy opens with its title and question (the paragraph ``**The
question.**``), its answer (the markdown cell tagged ``answer``) and its headline chart (the output
of the code cell tagged ``headline``; the code stays, linking up to it); the table of printed figures
(``page.stated_table``) is folded away. The notebook keeps its order.

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


def _source(cell: dict[str, Any]) -> str:
    return "".join(cell.get("source", ""))


def _first(cells: list[dict], kind: str, tag: str = "") -> dict | None:
    for cell in cells:
        if cell.get("cell_type") == kind and (not tag or tag in cell.get("metadata", {}).get("tags", [])):
            return cell
    return None


def opened(nb: dict[str, Any]) -> dict[str, Any]:
    """The notebook laid out answer first (see the module's docstring); a new dict."""
    nb = copy.deepcopy(nb)
    cells = nb.get("cells", [])
    printed = next((c for c in cells if c.get("cell_type") == "code" and "stated_table(" in _source(c)), {})
    for data in (out.get("data", {}) for out in printed.get("outputs", [])):
        if table := "".join(data.get("text/html", "")):
            data["text/html"] = (
                '<details class="iijbook-printed"><summary>The release\'s figures, as printed '
                f"({max(table.count('<tr') - 1, 0)})</summary>\n{table}\n</details>"
            )
    answer, headline = _first(cells, "markdown", ANSWER_TAG), _first(cells, "code", HEADLINE_TAG)
    first = _first(cells, "markdown")
    question = _QUESTION.search(_source(first)) if first else None
    if answer is None or headline is None or question is None:
        return nb
    text = _source(first)
    first["source"], rest = text[: question.end()].rstrip(), text[question.end() :].strip()
    answer["source"] = f'<div class="iijbook-answer">\n\n{_source(answer).strip()}\n\n</div>'
    chart = copy.deepcopy(headline)  # the output moves up with the figure's label; the code stays
    chart["id"] = f"{headline.get('id', 'chart')}-headline"
    chart["source"] = "# the headline chart: the code that draws it is further down the page"
    chart["metadata"]["tags"] = [t for t in chart["metadata"]["tags"] if t != HEADLINE_TAG] + ["remove-input"]
    name = headline["metadata"].get("mystnb", {}).pop("figure", {}).get("name", "")
    link = f'<a href="#{html.escape(name)}">the chart at the top of the page</a>' if name else ""
    moved = f'<p class="iijbook-moved">This code draws {link or "the chart above"}.</p>'
    headline["outputs"] = [{"output_type": "display_data", "metadata": {}, "data": {"text/html": moved}}]
    rest_cell = {
        "cell_type": "markdown",
        "id": first.get("id", "title") + "-rest",
        "metadata": {},
        "source": rest,
    }
    others = [c for c in cells if c is not first and c is not answer]
    nb["cells"] = [first, answer, chart] + ([rest_cell] if rest else []) + others
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

"""A chapter's page opens with its answer: the cells that say it, and how the build lays them out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from iijbook_build.inputs import toc_files
from iijbook_build.opening import ANSWER_TAG, HEADLINE_TAG, answer_first, opened

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [name for name in toc_files(ROOT) if (ROOT / f"{name}.ipynb").is_file()]


def _notebook(name: str) -> dict:
    return json.loads((ROOT / f"{name}.ipynb").read_text(encoding="utf-8"))


def _tagged(nb: dict, tag: str) -> list[dict]:
    return [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]


def _text(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chapter_says_its_answer_in_three_or_four_figures(name: str) -> None:
    nb = _notebook(name)
    answers = _tagged(nb, ANSWER_TAG)
    assert len(answers) == 1 and answers[0]["cell_type"] == "markdown", f"{name}: one answer cell"
    bullets = [line for line in _text(answers[0]).splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= 4, f"{name}: {len(bullets)} key figures"
    for bullet in bullets:  # a bold value computed by the chapter, then its words
        assert re.match(r"- \*\*[^*]*\{eval\}`[^`]+`[^*]*\*\* \S", bullet), bullet
    headlines = _tagged(nb, HEADLINE_TAG)
    assert len(headlines) == 1 and headlines[0]["cell_type"] == "code", f"{name}: one headline chart"
    assert headlines[0]["metadata"]["mystnb"]["figure"]["name"].startswith("fig-")


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_site_opens_with_the_question_the_answer_and_the_headline_chart(name: str) -> None:
    nb = _notebook(name)
    before = [c["id"] for c in nb["cells"]]
    laid_out = opened(nb)
    cells = laid_out["cells"]
    assert nb["cells"][0]["id"] == before[0] and [c["id"] for c in nb["cells"]] == before  # not changed
    title, answer, chart = cells[0], cells[1], cells[2]
    assert _text(title).startswith("# ") and _text(title).rstrip().split("\n\n")[-1].startswith(
        "**The question.**"
    )
    assert ANSWER_TAG in answer["metadata"]["tags"]
    assert _text(answer).startswith('<div class="iijbook-answer">') and _text(answer).endswith("</div>")
    headline = _tagged(nb, HEADLINE_TAG)[0]
    name_ = headline["metadata"]["mystnb"]["figure"]["name"]
    assert chart["metadata"]["mystnb"]["figure"]["name"] == name_
    assert "remove-input" in chart["metadata"]["tags"]
    # the code stays where it was, pointing up to its chart, which now carries the label alone
    original = next(c for c in cells if c["id"] == headline["id"])
    assert "figure" not in original["metadata"].get("mystnb", {})
    assert f'href="#{name_}"' in original["outputs"][0]["data"]["text/html"]
    assert _text(original) == _text(headline)
    # nothing lost, nothing doubled: the same cells plus the chart's copy and the rest of the opening
    ids = [c["id"] for c in cells]
    assert len(ids) == len(set(ids)) == len(before) + 2
    assert set(before) <= set(ids)
    text = "".join(_text(c) for c in cells if c["cell_type"] == "markdown")
    assert "Learning objectives" in text


def test_the_printed_figures_fold_into_a_closed_block() -> None:
    nb = nbformat.v4.new_notebook()
    table = "<table><tr><th>figure</th></tr><tr><td>a</td></tr><tr><td>b</td></tr></table>"
    cell = nbformat.v4.new_code_cell('page.show(page.stated_table(["revenue_2q02"]))')
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": table})]
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), cell]
    html = opened(json.loads(nbformat.writes(nb)))["cells"][1]["outputs"][0]["data"]["text/html"]
    assert html.startswith('<details class="iijbook-printed"><summary>')
    assert "as printed (2)" in html and table in html and "open" not in html.split(">")[0]


def test_a_notebook_without_an_answer_or_a_question_keeps_its_order() -> None:
    nb = _notebook(CHAPTERS[0])
    for tag in (ANSWER_TAG, HEADLINE_TAG):
        stripped = json.loads(json.dumps(nb))
        for c in _tagged(stripped, tag):
            c["metadata"]["tags"].remove(tag)
        assert [c["id"] for c in opened(stripped)["cells"]] == [c["id"] for c in nb["cells"]]
    no_question = json.loads(json.dumps(nb))
    no_question["cells"][0]["source"] = "# A title\n\nNo question here."
    assert [c["id"] for c in opened(no_question)["cells"]] == [c["id"] for c in nb["cells"]]
    assert answer_first("not a notebook") == "not a notebook"

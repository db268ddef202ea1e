"""make pdf: the whole book in one PDF, charts drawn, printed by Debian's Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from iijbook_build.inputs import toc_files

from tools.browser import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.book]


def test_pdf_prints_every_page_with_its_charts(site: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: make test installs Debian's chromium")
        pytest.skip(f"PDF TEST SKIPPED: {CHROMIUM} is missing")
    from iijbook_build.pdf import print_book
    from pypdf import PdfReader

    out, pages = print_book(site, tmp_path / "book.pdf")
    reader = PdfReader(str(out))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert pages == len(toc_files()) and len(reader.pages) >= pages
    assert "¥10.6B" in text and "Glossary" in text
    # Vega draws charts as SVG text and paths: a chart's title and its axis titles are in the PDF
    assert "Quarterly revenues: what November 2002 knew" in text
    assert "Total revenues (¥ billions)" in text
    # the reader's PDF leaves the exercises' solutions out (the teacher's PDF of make classroom has them)
    assert "Exercise 1.1" in text and "Solution to" not in text
    # the release's printed figures, folded on screen, are printed open (a row of revenues' table)
    assert re.search(r"revenue\s+rank\s+in\s+history", text)

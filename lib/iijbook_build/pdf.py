"""Print the built book to one PDF, charts drawn, with no network: each page, served from
127.0.0.1, is printed by Debian's headless Chromium (Playwright) with the print stylesheet once its
charts are drawn; pypdf joins them in book order. ``tools.browser`` reads the site with these pieces.
"""

from __future__ import annotations

import contextlib
import functools
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .inputs import project_root, toc_files

CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a headless Chromium on a machine with no network but the package registries.
CHROMIUM_ARGS = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run".split()
CHROMIUM_ARGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: The container the book's renderer draws each chart into (see :mod:`iijbook.render`).
CHART = "div.iijbook-chart-canvas"
#: Vega puts data marks (bars, lines, points, rules, labels) in groups of role ``mark``.
DRAWN_MARK = "svg g.role-mark > *"
CHARTS_DRAWN_JS = """([chart, mark]) =>
  [...document.querySelectorAll(chart)].every((c) => c.querySelector(mark) !== null)"""
#: Shows the solutions that the book's print stylesheet leaves out of the reader's PDF.
SHOW_SOLUTIONS = "@media print { div.solution { display: block !important; } }"
#: Paper cannot unfold a block: the release's printed figures, folded on screen, print open.
OPEN_PRINTED_FIGURES = (
    "() => document.querySelectorAll('details.iijbook-printed').forEach((d) => { d.open = true; })"
)


class PdfError(RuntimeError):
    """A page that could not be printed, named."""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free port of 127.0.0.1 from a background thread; yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="book-site", daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright: Any):
    """Debian's Chromium, headless, with a fresh temporary profile."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: install Debian's chromium (make chromium)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def wait_for_charts(page: Any, timeout_ms: int = 15_000) -> bool:
    """Wait until every chart on the page has drawn marks; False if it timed out."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(CHARTS_DRAWN_JS, arg=[CHART, DRAWN_MARK], timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return False
    return True


def print_book(site: Path, out: Path, root: Path | None = None) -> tuple[Path, int]:
    """Print every page of ``site`` in book order into ``out``; return (path, pages printed)."""
    pages = [f"{name}.html" for name in toc_files(root or project_root())]
    return print_pages(site, out, pages, "IIJ 2Q FY2002: an analysis book")


def print_pages(
    site: Path, out: Path, pages: list[str], title: str, solutions: bool = False
) -> tuple[Path, int]:
    """Print ``pages`` of ``site`` (paths inside it), in order, into the one PDF ``out``, written
    whole or not at all; ``solutions=True`` (the teacher's PDF) prints the exercises' solutions."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfWriter

    if missing := [p for p in pages if not (site / p).exists()]:
        raise PdfError(f"the site in {site} lacks {', '.join(missing)}: run make book first")
    writer = PdfWriter()
    with serve(site) as url, sync_playwright() as p, launch(p) as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        for name in pages:
            page.goto(f"{url}/{name}", wait_until="load")
            if not wait_for_charts(page):
                raise PdfError(f"{name}: its charts were not drawn within 15 s")
            if solutions:
                page.add_style_tag(content=SHOW_SOLUTIONS)
            page.evaluate(OPEN_PRINTED_FIGURES)
            page.emulate_media(media="print")
            margin = {"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"}
            writer.append(io.BytesIO(page.pdf(format="A4", print_background=True, margin=margin)))
    writer.add_metadata({"/Title": title})
    out.parent.mkdir(parents=True, exist_ok=True)
    writer.write(tmp := out.with_suffix(".tmp"))
    tmp.replace(out)
    return out, len(pages)

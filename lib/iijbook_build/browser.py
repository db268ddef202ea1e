"""Reading the built site in Debian's Chromium, headless: serve it, open it, wait for charts.

Playwright drives ``/usr/bin/chromium`` (its own browser download cannot
work offline). The tests and the PDF printer share these pieces.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a headless Chromium on a machine with no network but the package registries.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The container the book's renderer draws each chart into (see :mod:`iijbook.render`).
CHART = "div.iijbook-chart-canvas"
#: Vega puts data marks (bars, lines, points, rules, labels) in groups of role ``mark``.
DRAWN_MARK = "svg g.role-mark > *"
CHARTS_DRAWN_JS = """([chart, mark]) =>
  [...document.querySelectorAll(chart)].every((c) => c.querySelector(mark) !== null)"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on a free port of 127.0.0.1 from a background thread; yield its URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


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


def first_visit(browser: Any, url: str) -> dict[str, int]:
    """What a first-time visitor's browser receives for ``url``: bytes (uncompressed) by address.

    The page is opened in a fresh context (an empty cache) at 1400×900 and read until the
    network is idle and its charts are drawn.
    """
    from playwright.sync_api import Error as PlaywrightError

    received: dict[str, int] = {}

    def on_response(response: Any) -> None:
        with contextlib.suppress(PlaywrightError):  # a redirect has no body
            received[response.url] = len(response.body())

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.on("response", on_response)
        page.goto(url, wait_until="networkidle")
        wait_for_charts(page)
    finally:
        context.close()
    return received


def first_visit_weights(site: Path, pages: list[str]) -> dict[str, dict[str, int]]:
    """:func:`first_visit` for each page of ``site``: its total bytes and its number of responses."""
    from playwright.sync_api import sync_playwright

    weights: dict[str, dict[str, int]] = {}
    with serve(site) as url, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for page_path in pages:
                received = first_visit(browser, f"{url}/{page_path}")
                weights[page_path] = {"bytes": sum(received.values()), "responses": len(received)}
        finally:
            browser.close()
    return weights

"""Reading the built site as a first-time visitor: the bytes each page costs (for the tests and
the benchmark). Launching Debian's Chromium, serving the site and waiting for charts are the PDF
printer's (:mod:`iijbook_build.pdf`); this developer tool adds what only the tests and the
benchmark need.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iijbook_build.pdf import (
    CHART,
    CHARTS_DRAWN_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN_MARK,
    launch,
    serve,
    wait_for_charts,
)

__all__ = [
    "CHART",
    "CHARTS_DRAWN_JS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DRAWN_MARK",
    "first_visit",
    "first_visit_weights",
    "launch",
    "serve",
    "wait_for_charts",
]


#: What a static host sends as it is: formats compressed already (fonts, images).
_COMPRESSED = (".woff2", ".woff", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico")


def transferred(url: str, body: bytes) -> int:
    """The bytes a static host that gzips (GitHub Pages, nginx's gzip_static) sends for ``body``.

    >>> transferred("https://x/a.js", b"var a = 1;" * 100) < 100, transferred("https://x/f.woff2", b"x" * 9)
    (True, 9)
    """
    return len(body) if url.split("?")[0].endswith(_COMPRESSED) else len(gzip.compress(body, 6))


def first_visit(
    browser: Any, url: str, then: Callable[[Any, bool], Any] | None = None
) -> tuple[dict[str, int], dict[str, int], Any]:
    """What a first-time visitor's browser receives for ``url``, by address: the bytes of each
    response uncompressed, and as a static host that gzips sends them; with what ``then(page,
    drawn)`` found on the page once its charts were drawn (``drawn``: all of them in time).

    The page is opened in a fresh context (an empty cache) at 1400×900 and read until the
    network is idle and its charts are drawn.
    """
    from playwright.sync_api import Error as PlaywrightError

    received: dict[str, int] = {}
    sent: dict[str, int] = {}

    def on_response(response: Any) -> None:
        with contextlib.suppress(PlaywrightError):  # a redirect has no body
            body = response.body()
            received[response.url], sent[response.url] = len(body), transferred(response.url, body)

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.on("response", on_response)
        page.goto(url, wait_until="networkidle")
        drawn = wait_for_charts(page)
        found = then(page, drawn) if then else None
    finally:
        context.close()
    return received, sent, found


def first_visit_weights(site: Path, pages: list[str]) -> dict[str, dict[str, int]]:
    """:func:`first_visit` for each page of ``site``: its total bytes and its number of responses."""
    from playwright.sync_api import sync_playwright

    weights: dict[str, dict[str, int]] = {}
    with serve(site) as url, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for page_path in pages:
                received, sent, _ = first_visit(browser, f"{url}/{page_path}")
                weights[page_path] = {
                    "bytes": sum(received.values()),
                    "gzip_bytes": sum(sent.values()),
                    "responses": len(received),
                }
        finally:
            browser.close()
    return weights

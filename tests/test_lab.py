"""The book in JupyterLab, as a student opens it: Run All, then read the notebook.

JupyterLab (with jupyterlab-myst, from ``requirements-lab.txt``) serves a copy of a chapter
on 127.0.0.1; Playwright drives Debian's Chromium through the Run menu, as a student would: one
page for the module, each notebook opened from the file browser and closed, its kernel shut down.
After the run there must be no raw role in the prose, the values the prose cites, the
exercise rendered, every chart drawn, and no request leaving the machine. A screenshot
is kept beside the copy. Off CI, where Chromium or JupyterLab is missing, this skips loudly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from iijbook_build.inputs import discover

from tools.browser import CHROMIUM, CHROMIUM_ARGS

from .conftest import FIXTURES, ROOT

pytestmark = pytest.mark.browser


#: The status bar says the kernel is idle.
IDLE = "() => document.body.innerText.includes('| Idle')"
#: No cell waits to run (its prompt shows ``[*]`` while it does).
ALL_RAN = (
    "() => [...document.querySelectorAll('.jp-InputArea-prompt')].every(e => !e.textContent.includes('*'))"
)
#: Charts whose static image loaded, at a readable size.
CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('.iijbook-chart img')].filter(i => i.naturalWidth > 100).length"
)


#: The book's chapters, in book order.
CHAPTERS = [c.name for c in discover(ROOT)]


class LabTestsSkipped(UserWarning):
    """Shown in pytest's warnings summary when the JupyterLab test could not run."""


def _jupyter() -> Path:
    return Path(sys.executable).with_name("jupyter")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """JupyterLab serving a folder holding the fixture chapter; yields its address and the folder."""
    missing = [
        what
        for what, ok in (
            (str(CHROMIUM), CHROMIUM.is_file()),
            (
                "jupyterlab (make lab-deps)",
                _jupyter().exists() and shutil.which("jupyter-lab", path=str(_jupyter().parent)),
            ),
        )
        if not ok
    ]
    if missing:
        message = f"JUPYTERLAB TEST SKIPPED: missing {', '.join(missing)}; `make test` installs them"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        warnings.warn(message, LabTestsSkipped, stacklevel=1)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy2(FIXTURES / "evals.ipynb", folder / "evals.ipynb")
    for chapter in CHAPTERS:  # the real chapters, as a student opens them
        shutil.copy2(ROOT / "chapters" / f"{chapter}.ipynb", folder / f"{chapter}.ipynb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["JUPYTER_CONFIG_DIR"] = str(folder / ".jupyter-config")  # no user settings, no news popup state
    # every cell in the page, not only those in view, so the whole notebook's text can be read
    settings = folder / ".lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    news = folder / ".lab-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no news prompt
    env["JUPYTERLAB_SETTINGS_DIR"] = str(folder / ".lab-settings")
    env.pop("IIJBOOK_TARGET", None)  # as a student's JupyterLab: charts carry their static image
    log = (folder / "lab.log").open("w")
    cmd = [
        str(_jupyter()),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={folder}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    server = subprocess.Popen(cmd, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(folder / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"JupyterLab did not answer: {(folder / 'lab.log').read_text()[-2000:]}")
    try:
        yield url, folder
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def lab_page(lab) -> Iterator[tuple[object, list[str]]]:
    """One Chromium and one JupyterLab page for the module, as a student keeps one open: each test
    opens its notebook from the file browser, and closes it and shuts its kernel down when done.
    Yields the page and the requests that left the machine since it opened."""
    from playwright.sync_api import sync_playwright

    url, _folder = lab
    outside: list[str] = []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="lab-chromium-"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1200, "height": 1500},
        )
        page = context.new_page()

        def guard(route):
            if route.request.url.startswith((url, url.replace("http", "ws"), "data:", "blob:")):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        page.route("**/*", guard)
        page.goto(f"{url}/lab?reset")  # the file browser, no workspace from before
        page.wait_for_selector(".jp-DirListing-item", timeout=90_000)
        try:
            yield page, outside
        finally:
            context.close()


def _run_all(lab_page, folder: Path, notebook: str, ready: str | list[str]) -> tuple[str, int, list[str]]:
    """Open ``notebook`` from JupyterLab's file browser, run all cells from the Run menu, wait for
    ``ready`` (a text, or each of a list) in the notebook's text; return that text, the number of
    charts drawn and any request that left the machine since the page opened. A full-page
    screenshot is kept beside the notebook. The notebook is then closed and its kernel shut down."""
    page, outside = lab_page
    page.dblclick(f".jp-DirListing-itemText >> text='{notebook}'")
    try:
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        page.wait_for_function(IDLE, timeout=90_000)  # the kernel has started
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click("li.lm-Menu-item:has-text('Run All Cells')")
        page.wait_for_selector(".jp-OutputArea-output .iijbook-chart img", timeout=120_000)
        page.wait_for_function(ALL_RAN, timeout=120_000)
        # the prose's values arrive after the cells ran (jupyterlab-myst asks the kernel for them)
        wanted = [" ".join(r.split()) for r in ([ready] if isinstance(ready, str) else ready)]
        try:
            page.wait_for_function(
                "wanted => { const text = document.querySelector('.jp-Notebook').innerText"
                ".replace(/\\s+/g, ' '); return wanted.every(w => text.includes(w)); }",
                arg=wanted,
                timeout=60_000,
            )
        except Exception:
            page.screenshot(path=str(folder / f"{Path(notebook).stem}-not-ready.png"), full_page=True)
            (folder / f"{Path(notebook).stem}-not-ready.txt").write_text(page.inner_text(".jp-Notebook"))
            if isinstance(ready, str):
                raise  # a list's missing texts are named by the caller
        text = page.inner_text(".jp-Notebook")
        drawn = page.evaluate(CHARTS_DRAWN)
        page.screenshot(path=str(folder / f"{Path(notebook).stem}.png"), full_page=True)
        page.locator(".iijbook-chart img").first.scroll_into_view_if_needed()
        page.screenshot(path=str(folder / f"{Path(notebook).stem}-chart.png"))
    finally:  # the next notebook opens alone, with the machine's cores to itself
        page.keyboard.press("Escape")  # a menu left open by a failure
        if page.locator(".jp-Notebook").count():
            page.click("li.lm-MenuBar-item:has-text('File')")
            page.click("li.lm-Menu-item:has-text('Close and Shut Down Notebook')")
            page.click(".jp-Dialog .jp-mod-accept")
            page.wait_for_selector(".jp-Notebook", state="detached", timeout=30_000)
    return text, drawn, list(outside)


def _no_raw_markup(text: str, shot: Path) -> None:
    for raw in ("{eval}", "{glue", "```{exercise", "```{solution", "{numref}", "{term}"):
        assert raw not in text, f"raw {raw} in the notebook as JupyterLab shows it (screenshot {shot})"


def test_a_chapter_run_in_jupyterlab_shows_its_values_exercise_and_chart(lab, lab_page):
    _url, folder = lab
    text, drawn, outside = _run_all(lab_page, folder, "evals.ipynb", "42.0 units")
    _no_raw_markup(text, folder / "evals.png")
    assert "Twenty-one times the rate is 42.0, written 42.0 units." in text  # 21 × the default rate, 2
    assert "What is the product at a rate of 3?" in text and "Solution to" in text
    assert drawn >= 1, f"no chart drawn (screenshot {folder / 'evals.png'})"
    assert not outside, f"requests that left the machine: {outside}"


def _cited(executed: Path) -> list[str]:
    """What the built page cites through ``{eval}`` outside the exercises' solutions (folded in
    JupyterLab): each expression's text, as the build filled it in."""
    import ast

    import nbformat

    found = []
    for cell in nbformat.read(executed, as_version=4).cells:
        if "{solution" in cell.source:
            continue  # a solution opens folded in JupyterLab
        for answer in cell.metadata.get("user_expressions", []):
            text = answer.get("result", {}).get("data", {}).get("text/plain", "")
            if text[:1] and text[:1] in "'\"":
                text = ast.literal_eval(text)  # a str's repr: the reader sees the str
            if text and not text.startswith("<") and "\n" not in text:
                found.append(text)
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_runs_in_jupyterlab_citing_what_its_page_cites(lab, lab_page, built_book, chapter):
    """Run All on the chapter as a student opens it: every value its built page cites is in the
    notebook's text, as many charts draw their static image as the page draws, no raw markup
    shows, and nothing leaves the machine. The screenshot is kept beside the copy."""
    import nbformat

    _url, folder = lab
    executed = built_book / "executed" / f"{chapter}.ipynb"
    cited = _cited(executed)
    charts = sum(
        any(kind.startswith("application/vnd.vegalite") for kind in output.get("data", {}))
        for cell in nbformat.read(executed, as_version=4).cells
        for output in cell.get("outputs", [])
    )
    assert cited and charts, f"{chapter}: the built page cites {len(cited)} value(s), draws {charts} chart(s)"
    text, drawn, outside = _run_all(lab_page, folder, f"{chapter}.ipynb", cited)
    shot = folder / f"{chapter}.png"
    _no_raw_markup(text, shot)
    (folder / f"{chapter}.txt").write_text(text, encoding="utf-8")
    flat = " ".join(text.split())
    missing = [c for c in dict.fromkeys(cited) if " ".join(c.split()) not in flat]
    assert not missing, f"{chapter}: values its page cites that JupyterLab does not show: {missing} ({shot})"
    assert drawn >= charts, f"{chapter}: {drawn} chart(s) drawn in JupyterLab, {charts} on its page ({shot})"
    assert "Traceback" not in text, f"{chapter}: an error in JupyterLab ({shot})"
    assert not outside, f"requests that left the machine: {outside}"
    if chapter == "revenues":  # by hand: ¥10.6B ÷ $86.8M = ¥122.1 a dollar; ¥10.6B ÷ 1.073 = ¥9.88B
        assert "Total revenues for 2Q02 were ¥10.6B, translated in the release as $86.8M" in text
        assert "¥122.1 per dollar" in text and "¥9.88B" in text

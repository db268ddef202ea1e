"""Render the site: the book laid out afresh with its executed chapters, then jupyter-book.

Every build lays the book out in its own scratch folder and renders every page with execution
off and warnings as errors (``-W -n``: a broken link or reference fails the build). No Sphinx
state survives from one build to the next, so nothing but this build's runs can reach a page: a
page edited between builds, a changed title that every sidebar lists, a render killed halfway.
Then :func:`check_pages` reads every chapter's page for the key of the run it was given.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from .bundle import BUNDLE_PATH, write_bundle
from .inputs import read_bytes, toc_files, tree_hash
from .opening import answer_first

#: What the staged book needs from the project besides the pages the table of contents lists.
BOOK_FILES = ("_config.yml", "_toc.yml")


class RenderError(RuntimeError):
    """jupyter-book failed, stopped, or ran over its time; the message says which."""


def child_env() -> dict[str, str]:
    """The environment for kernels and jupyter-book: this venv's bin first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def stage(
    root: Path, stage_dir: Path, executed: dict[str, Path], pages: dict[Path, str], site: Path | None = None
) -> None:
    """Lay out the book in ``stage_dir``: the executed notebooks as chapters (each opened with its
    answer), ``pages`` (relative path: text) written in, and the local Vega bundle (the published
    ``site``'s, when it was built from the same versions: building one takes seconds)."""
    wanted = {Path(name): root / name for name in BOOK_FILES}
    static = root / "_static"
    for path in static.rglob("*") if static.is_dir() else ():
        if path.is_file() and not path.relative_to(static).as_posix().startswith(BUNDLE_PATH.parts[0]):
            wanted[path.relative_to(root)] = path
    for entry in toc_files(root):
        for ext in (".md", ".ipynb"):
            if (root / f"{entry}{ext}").exists():
                wanted[Path(f"{entry}{ext}")] = root / f"{entry}{ext}"
    for rel, src in wanted.items():
        if rel in pages:
            continue
        if rel.suffix == ".ipynb" and rel.stem in executed:
            blob = answer_first(read_bytes(executed[rel.stem], "executed copy", 64 << 20).decode()).encode()
        else:
            blob = read_bytes(src, "book file", 64 << 20)
        (stage_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage_dir / rel).write_bytes(blob)
    for rel, text in pages.items():
        (stage_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage_dir / rel).write_text(text, encoding="utf-8")
    bundle = stage_dir / "_static" / BUNDLE_PATH
    if site is not None and (site / "_static" / BUNDLE_PATH).is_file():
        bundle.parent.mkdir(parents=True, exist_ok=True)
        bundle.write_bytes(read_bytes(site / "_static" / BUNDLE_PATH, "Vega bundle", 16 << 20))
    write_bundle(stage_dir / "_static")


def fingerprint(stage_dir: Path, leave_out: Path) -> str:
    """A digest of the staged book but ``leave_out`` (the status page, whose times change every
    build) and of the build tool that renders it: equal fingerprints render equal sites."""
    tool = [
        (f"build tool/{p.name}", p) for p in Path(__file__).parent.iterdir() if p.suffix in (".py", ".js")
    ]
    staged = [(p.relative_to(stage_dir).as_posix(), p) for p in stage_dir.rglob("*") if p.is_file()]
    return tree_hash([f for f in tool + staged if f[1] != stage_dir / leave_out])[:20]


def tree_digest(folder: Path) -> str:
    """A digest of every file under ``folder`` (paths and bytes): the published site as it stands."""
    return tree_hash((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file())[:20]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def render(stage_dir: Path, timeout: float) -> Path:
    """Run jupyter-book on the staged book; :class:`RenderError` on any warning, a signal or time out."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe), "build", str(stage_dir), "--builder", "html", "-W", "-n", "--keep-going", "--all"]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(),
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RenderError(
            f"jupyter-book did not finish rendering within {timeout:g} s (see --timeout)"
        ) from None
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        raise RenderError(f"jupyter-book was stopped by {name} while it rendered the site")
    if proc.returncode != 0:
        out = [line.strip() for line in _ANSI.sub("", output).splitlines() if line.strip()]
        problems = [line for line in out if "WARNING" in line or "ERROR" in line]
        # without a warning, the exception jupyter-book printed ("Look above for the cause")
        problems = problems or [line for line in out if re.search(r"\w(Error|Exception)\b|^\w+: ", line)]
        distinct = list(dict.fromkeys(problems))[:10] or out[-3:]
        raise RenderError(f"jupyter-book failed (exit {proc.returncode}):\n" + "\n".join(distinct))
    return stage_dir / "_build" / "html"


def check_pages(site: Path, keys: dict[str, str]) -> list[str]:
    """The pages (relative paths without ``.html``) that do not carry the key of the run they show."""
    stale = []
    for page, key in keys.items():
        path = site / f"{page}.html"
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        if not key or key not in text:
            stale.append(page)
    return stale

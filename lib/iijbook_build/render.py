"""Render the site: the book laid out afresh in a scratch folder with its executed chapters, then
every page rendered by jupyter-book, execution off, warnings as errors (``-W -n``). No Sphinx state
outlives a build, so only this build's runs reach a page (not a page edited since, nor a render
killed halfway); :func:`check_pages` then reads each chapter's page for its run's key.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from .bundle import write_bundle
from .inputs import read_bytes, toc_files, tree_hash
from .opening import answer_first


class RenderError(RuntimeError):
    """jupyter-book failed, stopped, or ran over its time; the message says which."""


class ConfigRenderError(RenderError):
    """Sphinx could not start with the book's configuration (an extension, a theme, a setting
    jupyter-book's schema lets through): the reader's input, so the build refuses it (exit 2).
    The schema check before the run cannot see these; only starting Sphinx does."""


#: How Sphinx names an error while it starts, before it reads a page.
_STARTING = re.compile(
    r"^(Theme error|Configuration error|Config value error):?$|Could not import extension"
    r"|threw an exception.*(config-inited|builder-inited)|for event '(config|builder)-inited'",
)


def child_env() -> dict[str, str]:
    """The environment for kernels and jupyter-book: this venv's bin first on PATH."""
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    return {"PYDEVD_DISABLE_FILE_VALIDATION": "1", **os.environ, "PATH": path}


def stage(root: Path, stage_dir: Path, executed: dict[str, Path], pages: dict[Path, str]) -> None:
    """Lay out the book in ``stage_dir``: ``_config.yml``, ``_toc.yml``, ``_static/`` and the pages
    the table of contents lists, the executed notebooks as chapters (each opened with its answer),
    ``pages`` (relative path: text) written in, and the local Vega bundle."""
    staged = {rel: text.encode() for rel, text in pages.items()}
    files = [root / "_config.yml", root / "_toc.yml"]
    files += [p for p in (root / "_static").rglob("*") if p.is_file()]
    files += [p for e in toc_files(root) for ext in (".md", ".ipynb") if (p := root / f"{e}{ext}").exists()]
    for rel in [p.relative_to(root) for p in files]:
        if rel in staged or rel.as_posix().startswith("_static/vega"):  # the bundle is the build's
            continue
        if rel.suffix == ".ipynb" and rel.stem in executed:
            text = read_bytes(executed[rel.stem], "executed copy", 64 << 20).decode()
            staged[rel] = answer_first(text).encode()
        else:
            staged[rel] = read_bytes(root / rel, "book file", 64 << 20)
    for rel, blob in staged.items():
        (stage_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage_dir / rel).write_bytes(blob)
    write_bundle(stage_dir / "_static")


def fingerprint(stage_dir: Path, leave_out: Path) -> str:
    """A digest of the staged book but ``leave_out`` (the status page, whose times change every
    build) and of the build tool that renders it: equal fingerprints render equal sites."""
    here = Path(__file__).parent
    tool = [(f"build tool/{p.name}", p) for p in [*here.glob("*.py"), *here.glob("*.js")]]
    staged = [(p.relative_to(stage_dir).as_posix(), p) for p in stage_dir.rglob("*") if p.is_file()]
    return tree_hash([f for f in tool + staged if f[1] != stage_dir / leave_out])[:20]


def render(stage_dir: Path, timeout: float) -> Path:
    """Run jupyter-book on the staged book; :class:`RenderError` on any warning, a signal or time out.
    On a time out or any exception (a signal the build turned into one), subprocess kills it."""
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(stage_dir)]
    cmd += ["--builder", "html", "-W", "-n", "--keep-going", "--all"]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=child_env(), start_new_session=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"jupyter-book did not finish rendering within {timeout:g} s (see --timeout)"
        ) from None
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        raise RenderError(f"jupyter-book was stopped by {name} while it rendered the site")
    if proc.returncode != 0:
        output = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", proc.stdout + proc.stderr)  # colours
        out = [line.strip() for line in output.splitlines()]
        problems = [line for line in out if "WARNING" in line or "ERROR" in line]
        # without a warning, the exception jupyter-book printed ("Look above for the cause")
        problems = problems or [line for line in out if re.search(r"\w(Error|Exception)\b|^\w+: ", line)]
        distinct = list(dict.fromkeys(problems))[:10] or [line for line in out if line][-3:]
        if cause := next((i for i, line in enumerate(out) if _STARTING.search(line)), None):
            header = re.fullmatch(r"\w+( \w+)? error:?", out[cause])  # "Theme error:", its reason below
            said = next((line for line in out[cause + 1 :] if line), "") if header else out[cause]
            raise ConfigRenderError(f"Sphinx cannot start with it: {said}")
        raise RenderError(f"jupyter-book failed (exit {proc.returncode}):\n" + "\n".join(distinct))
    return stage_dir / "_build" / "html"


def check_pages(site: Path, keys: dict[str, str]) -> list[str]:
    """The pages (relative paths without ``.html``) that do not carry the key of the run they show."""
    pages = {page: site / f"{page}.html" for page in keys}
    texts = {page: path.read_text(errors="replace") if path.is_file() else "" for page, path in pages.items()}
    return [page for page, key in keys.items() if not key or key not in texts[page]]

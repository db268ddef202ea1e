"""Publish the last good build on a git remote's ``gh-pages`` branch, or refuse in one line.

``gh-pages`` gets only a whole site that a build finished from the book's sources as they are
now: a build writes ``status.json`` only when it succeeds, with the site, recording
:func:`sources_digest` as it starts (none if it kept pages run from other sources), and
publishing compares it by content, never by time. The site is copied under the build lock, so
no build swaps it half-read. ghp-import (as jupyter-book's own documentation is published)
commits it with ``git fast-import``, touching no working tree or index, adds ``.nojekyll`` (so
GitHub Pages serves ``_static/`` as it is) and pushes one ref: readers get the old site or the new.

>>> import tempfile
>>> book = Path(tempfile.mkdtemp()); _ = (book / "intro.md").write_text("# IIJ 2Q FY2002")
>>> built = sources_digest(book); _ = (book / "intro.md").write_text("# IIJ: revenue ¥10.6B")
>>> sources_digest(book) == built, len(built)
(False, 64)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .folder import FolderError
from .folder import lock as build_lock
from .inputs import InputError, book_data, read_text, tree_hash

#: What the site is made from, relative to the book's root (``__pycache__`` left out).
SOURCES = ("_config.yml", "_toc.yml", "intro.md", "chapters/*.ipynb", "chapters/*.md")
SOURCES += ("_static/**/*", "data/**/*", "lib/iijbook/**/*")


class Refused(RuntimeError):
    """Nothing was published; the message says why."""


def sources_digest(root: Path, data: Path | None = None) -> str:
    """SHA-256 over the sorted relative paths of :data:`SOURCES`, each with its bytes' SHA-256; the
    data files are those of ``data``, the folder the build reads (``IIJBOOK_DATA_DIR`` when set)."""
    data = data or book_data(root)
    found = {(p.relative_to(root).as_posix(), p) for s in SOURCES if s[:5] != "data/" for p in root.glob(s)}
    found |= {(f"data/{p.relative_to(data).as_posix()}", p) for p in data.glob("**/*")}
    return tree_hash({f for f in found if f[1].is_file() and "__pycache__/" not in f[0]}, "book source")


def check(root: Path, build_dir: Path) -> tuple[Path, str]:
    """``build_dir``'s site and the sources digest it records, or :class:`Refused` saying why not."""
    html, status, failed = build_dir / "html", build_dir / "status.json", build_dir / "failed"
    if not status.is_file() and failed.is_dir() and any(failed.iterdir()):
        raise Refused(f"the build failed: no build in {build_dir} has succeeded (see {failed})")
    if not status.is_file():
        raise Refused(f"no finished build: {status} is missing (a build writes it when it succeeds)")
    if not html.is_dir():
        raise Refused(f"no site: {html} is missing")
    try:
        recorded = json.loads(read_text(status, "build status", 1 << 20))["sources"]
    except (InputError, ValueError, LookupError, TypeError):  # unreadable, not JSON, no digest
        recorded = ""
    if not recorded or not isinstance(recorded, str):
        raise Refused(f"{status} records no sources digest: run make book")
    if recorded != sources_digest(root):
        raise Refused(f"the build is stale: the sources in {root} changed since it was built: run make book")
    return html, recorded


def publish(root: Path, build_dir: Path, remote: str = "origin") -> str:
    """Push the checked site to ``remote``'s ``gh-pages`` with ghp-import; say what was done."""
    if not build_dir.is_dir():
        raise Refused(f"no build: {build_dir} is not a folder (run make book)")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with build_lock(build_dir):  # no build swaps the site while it is copied
                html, recorded = check(root, build_dir)
                site = shutil.copytree(html, Path(tmp) / "html")
        except (FolderError, InputError) as exc:
            raise Refused(str(exc)) from None
        message = f"The book, built from sources {recorded[:12]}"
        args = ["-n", "-p", "-f", "-r", remote, "-m", message, str(site)]
        run = subprocess.run([sys.executable, "-m", "ghp_import", *args], cwd=root, capture_output=True)
    said = (run.stdout + run.stderr).decode(errors="replace").strip()
    if run.returncode or "Failed to process commit" in said:  # ghp-import's one unraised failure
        raise RuntimeError(f"ghp-import failed: {said.splitlines()[-1] if said else run.returncode}")
    return f"published {build_dir / 'html'} on the gh-pages branch of {remote}"


def main(argv: list[str] | None = None) -> int:
    """Exit 2 for a refusal, as the build's refusals do, and 1 if ghp-import failed."""
    parser = argparse.ArgumentParser("python -m iijbook_build.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", type=Path, help="the build to publish (default: the book's _build)")
    parser.add_argument("--remote", default="origin", help="git remote to push to (default: origin)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2], help="the book")
    args = parser.parse_args(argv)
    try:
        print(publish(args.root, args.build_dir or args.root / "_build", args.remote))
    except RuntimeError as exc:
        print(f"publish {'refused' if isinstance(exc, Refused) else 'failed'}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, Refused) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

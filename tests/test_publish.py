"""make publish: the last good build on a git remote's gh-pages branch, or one line saying why not.

Each test publishes from a copy of the book (its sources, copied into a git repository in
tmp_path) to a bare repository beside it, and reads the gh-pages branch back; the project's own
files and repository are never written. Most use a small build folder laid out as a build lays
it out; the real builds here are of the small fixture books, and of the whole book once (shared).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from iijbook_build import build as build_mod
from iijbook_build.deploy import SOURCES, sources_digest

from .conftest import ROOT, make_mini_project

WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"

#: Git's identity for the commits ghp-import makes; no global or system configuration is read.
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "IIJ book tests",
    "GIT_AUTHOR_EMAIL": "tests@iijbook.invalid",
    "GIT_COMMITTER_NAME": "IIJ book tests",
    "GIT_COMMITTER_EMAIL": "tests@iijbook.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, check=check)


def with_remote(root: Path) -> Path:
    """Make ``root`` a git repository whose ``origin`` is a new bare repository; return that."""
    remote = root.parent / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=root.parent)
    git("init", "-q", cwd=root)
    git("remote", "add", "origin", str(remote), cwd=root)
    return remote


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """A copy of the book's sources (what the site is made from), in a repository with a remote."""
    root = tmp_path / "book"
    for path in {p for pattern in SOURCES for p in ROOT.glob(pattern) if p.is_file()}:
        if "__pycache__" not in path.parts:
            target = root / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    with_remote(root)
    return root


def fake_build(root: Path) -> Path:
    """A build folder as a successful build leaves it: a small site and its status."""
    build_dir = root.parent / "_build"
    site = build_dir / "html"
    (site / "chapters").mkdir(parents=True)
    (site / "_static").mkdir()
    (site / "index.html").write_text("<h1>IIJ 2Q FY2002</h1>")
    (site / "chapters" / "revenues.html").write_text("<p>Revenue: ¥10.6B, up 7.3% on the quarter</p>")
    (site / "_static" / "icons.woff2").write_bytes(bytes(range(256)) * 4)  # bytes, not text
    (build_dir / "status.json").write_text(json.dumps({"chapters": [], "sources": sources_digest(root)}))
    return build_dir


def deploy(root: Path, build_dir: Path) -> subprocess.CompletedProcess[str]:
    """``make publish``'s command, run as it runs it, for the book at ``root``."""
    command = [sys.executable, "-m", "iijbook_build.deploy", "--remote", "origin"]
    command += ["--root", str(root), "--build-dir", str(build_dir)]
    return subprocess.run(command, cwd=root, env=GIT_ENV, capture_output=True, text=True, timeout=120)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def published(remote: Path) -> dict[str, bytes] | None:
    """The files on the remote's gh-pages branch; None if it has no such branch."""
    if git("rev-parse", "--verify", "-q", "refs/heads/gh-pages", cwd=remote, check=False).returncode:
        return None
    listing = git("ls-tree", "-r", "-z", "gh-pages", cwd=remote).stdout.decode()
    entries = [entry.split("\t", 1) for entry in listing.split("\0") if entry]
    return {path: git("cat-file", "blob", meta.split()[2], cwd=remote).stdout for meta, path in entries}


def assert_refused(proc: subprocess.CompletedProcess[str], remote: Path, reason: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("publish refused: "), proc.stderr
    assert reason in proc.stderr
    assert published(remote) is None


def test_the_workflow_passes_actionlint():
    actionlint = Path(sys.executable).with_name("actionlint")
    assert actionlint.exists(), "actionlint is missing from the venv: pip install -r requirements.txt"
    proc = subprocess.run([str(actionlint), str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout + proc.stderr) == (0, "")


def test_the_site_is_published_whole_with_nojekyll_and_replaced_whole(copied):
    remote, build_dir = copied.parent / "remote.git", fake_build(copied)
    proc = deploy(copied, build_dir)
    assert proc.returncode == 0, proc.stderr
    assert "gh-pages" in proc.stdout
    site = files(build_dir / "html")
    assert published(remote) == {**site, ".nojekyll": b""}
    # the book's own repository: its branch and working tree are as they were
    assert git("symbolic-ref", "HEAD", cwd=copied).stdout.strip() != b"refs/heads/gh-pages"
    assert not (copied / ".nojekyll").exists() and not (copied / "index.html").exists()
    # the next publication replaces the site: a page gone from the build is gone from gh-pages
    (build_dir / "html" / "chapters" / "revenues.html").unlink()
    (build_dir / "html" / "index.html").write_text("<h1>IIJ 2Q FY2002, rebuilt</h1>")
    assert deploy(copied, build_dir).returncode == 0
    assert published(remote) == {**files(build_dir / "html"), ".nojekyll": b""}


def _no_site(build_dir: Path, root: Path) -> None:
    shutil.rmtree(build_dir / "html")


def _no_status(build_dir: Path, root: Path) -> None:
    (build_dir / "status.json").unlink()


def _no_digest(build_dir: Path, root: Path) -> None:
    (build_dir / "status.json").write_text(json.dumps({"chapters": []}))


def _edited(build_dir: Path, root: Path) -> None:
    with open(root / "data" / "release_figures.csv", "a") as data:
        data.write("\n")


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_no_site, "no site: "),
        (_no_status, "no finished build: "),
        (_no_digest, "records no sources digest"),
        (_edited, "the build is stale: "),
    ],
    ids=["missing-html", "missing-status", "no-digest", "stale"],
)
def test_a_build_that_is_not_good_and_current_is_refused(copied, spoil, reason):
    build_dir = fake_build(copied)
    spoil(build_dir, copied)
    assert_refused(deploy(copied, build_dir), copied.parent / "remote.git", reason)


def test_a_failed_build_is_refused(tmp_path):
    root = make_mini_project(tmp_path, ("tiny", "raises_midway"))
    remote, build_dir = with_remote(root), tmp_path / "_build"
    with pytest.raises(build_mod.BuildError):
        build_mod.build({}, root=root, build_dir=build_dir, say=lambda _: None)
    assert_refused(deploy(root, build_dir), remote, "the build failed: ")


def test_every_source_counts_by_content_and_nothing_else_does(copied):
    built = sources_digest(copied)
    sources = ["_config.yml", "_toc.yml", "intro.md", "chapters/revenues.ipynb", "chapters/glossary.md"]
    sources += ["_static/iijbook.css", "data/release_figures.csv", "lib/iijbook/fmt.py"]
    for rel in sources:
        before = (copied / rel).read_bytes()
        (copied / rel).write_bytes(before + b" ")
        assert sources_digest(copied) != built, rel
        (copied / rel).write_bytes(before)
        os.utime(copied / rel, (0, 0))  # an old time, the same bytes: still current
        assert sources_digest(copied) == built, rel
    (copied / "data" / "new.csv").write_text("id,value\n")
    assert sources_digest(copied) != built
    (copied / "data" / "new.csv").unlink()
    # what the site is not made from: notes, the build tool, bytecode, JupyterLab's checkpoints
    for rel in ["README.md", "lib/iijbook_build/build.py", "lib/iijbook/__pycache__/fmt.cpython-311.pyc"]:
        (copied / rel).parent.mkdir(parents=True, exist_ok=True)
        (copied / rel).write_text("anything")
    (copied / "chapters" / ".ipynb_checkpoints").mkdir()
    (copied / "chapters" / ".ipynb_checkpoints" / "revenues-checkpoint.ipynb").write_text("{}")
    assert sources_digest(copied) == built


def test_the_last_good_build_stays_publishable_after_a_failed_one(tmp_path):
    """A build writes its status only when it succeeds: a failed one leaves the last good build."""
    root = make_mini_project(tmp_path, ("tiny", "raises_midway"))
    remote, build_dir = with_remote(root), tmp_path / "_build"
    build_mod.build({"raises_midway": {"divisor": 2.0}}, root=root, build_dir=build_dir, say=lambda _: None)
    good = files(build_dir / "html")
    with pytest.raises(build_mod.BuildError):
        build_mod.build({}, root=root, build_dir=build_dir, say=lambda _: None)
    proc = deploy(root, build_dir)
    assert proc.returncode == 0, proc.stderr
    assert published(remote) == {**good, ".nojekyll": b""}


def test_a_chapter_build_after_an_edit_is_never_current(tmp_path):
    """--chapter keeps the other chapters' pages: after an edit they were run from other sources."""
    root = make_mini_project(tmp_path, ("tiny", "tiny=second"))
    remote, build_dir = with_remote(root), tmp_path / "_build"
    build_mod.build({}, root=root, build_dir=build_dir, say=lambda _: None)
    result = build_mod.build({}, root=root, build_dir=build_dir, only=["tiny"], say=lambda _: None)
    assert "kept" in {r.status for r in result.runs}
    status = json.loads((build_dir / "status.json").read_text())
    assert status["sources"] == sources_digest(root)  # nothing edited: the kept page is current
    second = root / "chapters" / "second.ipynb"
    before = second.read_text()
    second.write_text(before.replace("tiny", "edited", 1))
    assert second.read_text() != before
    build_mod.build({}, root=root, build_dir=build_dir, only=["tiny"], say=lambda _: None)
    assert_refused(deploy(root, build_dir), remote, "records no sources digest")


@pytest.mark.book
def test_the_whole_book_as_built_is_published_byte_for_byte(built_book, copied):
    """The build's recorded digest is the one publishing computes on the same sources."""
    proc = deploy(copied, built_book)
    assert proc.returncode == 0, proc.stderr
    assert published(copied.parent / "remote.git") == {**files(built_book / "html"), ".nojekyll": b""}


def test_the_digest_counts_the_data_the_build_read(copied, tmp_path):
    """With IIJBOOK_DATA_DIR, a build reads another data folder: the digest is over that one, so a
    site built from it is never published as current for the book's own data."""
    other = tmp_path / "other-data"
    shutil.copytree(copied / "data", other)
    assert sources_digest(copied, other) == sources_digest(copied)  # the same bytes: the same digest
    (other / "release_figures.csv").write_text((other / "release_figures.csv").read_text() + "\n")
    assert sources_digest(copied, other) != sources_digest(copied)
    build_dir = fake_build(copied)
    status = json.loads((build_dir / "status.json").read_text())
    (build_dir / "status.json").write_text(json.dumps({**status, "sources": sources_digest(copied, other)}))
    assert_refused(deploy(copied, build_dir), copied.parent / "remote.git", "the build is stale: ")

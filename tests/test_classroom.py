"""The classroom edition: student notebooks without solutions, checks that teach, sessions that fit.

``make classroom`` is run once for the module (about a minute): it runs every student and
teacher notebook itself, checks what they print, and prints both PDFs. The tests read what
it wrote as a teacher and a student would (every notebook, both PDFs, the index page), and
read the runs that one command made, each checked to be of the notebook it ships, instead
of running the eighteen notebooks again.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from iijbook.classroom import verdict
from iijbook_build.classroom import checks_of, edition, split_exercises
from iijbook_build.evalfill import EVAL
from iijbook_build.inputs import discover

from tools.browser import CHROMIUM

from .conftest import ROOT

CHAPTERS = [c.name for c in discover(ROOT)]


# -- the checks ------------------------------------------------------------------------------
# 2Q01 revenues: ¥10.6B ÷ 1.109 = ¥9.558B, ¥10.55B ÷ 1.1095 = ¥9.509B to ¥10.65B ÷ 1.1085 = ¥9.608B
Q2_01 = (9.558e9, 9.509e9, 9.608e9, "2Q01 revenues in yen")
GROWTH = (0.145, 0.144, 0.146, "a growth rate, as a fraction")


@pytest.mark.parametrize(
    ("answer", "expected", "line"),
    [
        (..., Q2_01, "not answered: replace ... with 2Q01 revenues in yen"),
        (9.56e9, Q2_01, "correct: 9.56e+09 is within what the release’s rounding allows"),
        (9.6e9, Q2_01, "correct: 9.6e+09 is within what the release’s rounding allows"),
        (-9.56e9, Q2_01, "not yet: check the sign"),
        (9.56e6, Q2_01, "not yet: check the unit: your answer is off by a factor of a thousand"),
        (9560, Q2_01, "not yet: check the unit: your answer is off by a factor of a million"),
        (9.56, Q2_01, "not yet: check the unit: your answer is off by a factor of a billion"),
        (14.5, GROWTH, "not yet: check the unit: your answer is off by a factor of 100"),
        (9.9e9, Q2_01, "not yet: close, but outside what the release’s rounding allows"),
        (6.0e9, Q2_01, "not yet: recheck which figures the formula takes"),
        ("9.56e9", Q2_01, "not yet: write a number"),
        ("3q02", ("3Q02", None, None, "a fiscal quarter"), "correct"),
        ("4Q02", ("3Q02", None, None, "a fiscal quarter"), "not yet: write a fiscal quarter"),
    ],
)
def test_a_check_says_correct_not_yet_or_not_answered(answer, expected, line):
    said = verdict(answer, expected)
    assert said.startswith(line), said
    # the hint never gives the answer away
    assert said.startswith("correct") or not re.search(r"9\.5[0-9]|9\.6|0\.145|3Q02", said.split(":", 1)[1])


# -- the editions, made from the chapters without running them --------------------------------
def _solutions(nb: nbformat.NotebookNode) -> list[str]:
    return [ex.solution for c in nb.cells if c.cell_type == "markdown" for ex in split_exercises(c.source)[1]]


def _phrases(solution: str) -> list[str]:
    """Runs of five or more plain words from a solution: text no other part of a chapter repeats."""
    body = "\n".join(line for line in solution.splitlines()[1:] if not line.startswith((":", "```")))
    plain = re.split(r"\{[a-z]+\}`[^`]*`|`[^`]*`|[()\"“”]", body)
    return [" ".join(run.split()) for run in plain if len(run.split()) >= 5]


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_student_edition_holds_no_solution(name):
    nb = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
    solutions = _solutions(nb)
    assert solutions, name
    student = nbformat.writes(edition(nb, "student"))
    teacher = nbformat.writes(edition(nb, "teacher", {label: 1.0 for label in _labels(nb)}))
    assert "{solution}" not in student and teacher.count("{solution}") == len(solutions)
    unique = _unique_phrases(nb)
    assert len(unique) >= len(solutions) / 2, name  # the test can see the solutions' own words
    shipped = _flat(edition(nb, "student")) + " ".join(student.split())  # its text, and its JSON
    assert not [phrase for phrase in unique if phrase in shipped], name


def _flat(nb: nbformat.NotebookNode) -> str:
    """A notebook's cell text, whitespace collapsed."""
    return " ".join(" ".join(c.source.split()) for c in nb.cells)


def _unique_phrases(nb: nbformat.NotebookNode) -> list[str]:
    """Phrases of a chapter's solutions that the chapter writes nowhere else."""
    solutions = _solutions(nb)
    whole = _flat(nb)
    in_solutions = " ".join(" ".join(s.split()) for s in solutions)
    return [p for s in solutions for p in _phrases(s) if whole.count(p) == in_solutions.count(p)]


def _labels(nb):
    return [ex.label for c in nb.cells if c.cell_type == "markdown" for ex in split_exercises(c.source)[1]]


# -- make classroom, once ---------------------------------------------------------------------
#: Runs the ``iijbook`` script as its console entry does, with one difference: the folders of
#: executed editions that ``make classroom`` deletes once it has checked them (``ran-student``,
#: ``ran-teacher``) are copied first into the folder given as the first argument.
_KEEPING_THE_RUNS = """
import runpy, shutil, sys
from pathlib import Path

keep = Path(sys.argv.pop(1))
delete = shutil.rmtree


def rmtree(path, *args, **kwargs):
    path = Path(path)
    if path.name.startswith("ran-") and path.is_dir():
        shutil.copytree(path, keep / path.name.removeprefix("ran-"))
    return delete(path, *args, **kwargs)


shutil.rmtree = rmtree
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


#: The tests that read the room's edition: on one process under make test, started first, since the
#: command holds a process about two minutes (tests/conftest.py).
ROOM = pytest.mark.together("room", cost=150)


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Path:
    """The classroom edition, made once by the command; its runs are kept beside it in ``ran/``."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: make test installs Debian's chromium")
        pytest.skip(f"CLASSROOM TEST SKIPPED: {CHROMIUM} is missing")
    where = tmp_path_factory.mktemp("classroom")
    out = where / "classroom"
    iijbook = Path(sys.executable).with_name("iijbook")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _KEEPING_THE_RUNS,
            str(where / "ran"),
            str(iijbook),
            "classroom",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "10 chapters, 32 exercises, 29 with checks" in proc.stdout, proc.stdout
    return out


def _ran(room: Path, who: str, name: str) -> nbformat.NotebookNode:
    """The run ``make classroom`` made of a shipped notebook, checked to be that notebook, cell for cell.

    The run's markdown has its ``{eval}`` values written in, and the run may end with markdown of
    its own (the parameters it ran with); every other cell reads as shipped.
    """
    kept = room.parent / "ran" / who / f"{name}.ipynb"
    assert kept.is_file(), (
        f"make classroom left no run of {who}/{name}.ipynb: it no longer deletes its runs as "
        "ran-student/ and ran-teacher/, which the room fixture keeps"
    )
    ran = nbformat.read(kept, as_version=4)
    shipped = nbformat.read(room / who / f"{name}.ipynb", as_version=4)
    cells, added = ran.cells[: len(shipped.cells)], ran.cells[len(shipped.cells) :]
    assert [(c.id, c.cell_type) for c in cells] == [(c.id, c.cell_type) for c in shipped.cells], (
        f"the run of {who}/{name}.ipynb is not of the notebook shipped"
    )
    assert all(c.cell_type == "markdown" for c in added), f"the run of {who}/{name}.ipynb ran other code"
    for r, s in zip(cells, shipped.cells, strict=True):
        # a markdown cell's {eval} roles read as their values, what is around them as shipped
        shape = ".*?".join(re.escape(part) for part in EVAL.split(s.source)[::2])
        same = re.fullmatch(shape, r.source, re.S) if s.cell_type == "markdown" else r.source == s.source
        assert same, f"the run of {who}/{name}.ipynb differs from the shipped notebook in cell {s.id}"
    code = [c for c in ran.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), f"{who}/{name}.ipynb: a cell did not run"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{who}/{name}.ipynb: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    return ran


def _checks_for_answers(notebook: Path, label: str, answers: list[str]) -> list[dict[str, str]]:
    """Run a classroom notebook as a student would, from the book's chapters/ folder, answering the
    exercise ``label`` with each of ``answers`` in turn; return what the checks say after each.

    One kernel for all: the whole notebook runs with the first answer; then, as a student who
    changes an answer runs its cells again, the answer cell and the cells after it up to its check
    run with each next answer.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    ids = [c.get("id") for c in nb.cells]
    answer, check = ids.index(f"{label}-answer"), ids.index(f"{label}-check")
    assert answer < check, f"{label}: its check comes before its answer"
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "chapters")}}
    )
    said = []
    with client.setup_kernel():
        for n, source in enumerate(answers):
            nb.cells[answer].source = source
            for i in range(len(nb.cells)) if n == 0 else range(answer, check + 1):
                client.execute_cell(nb.cells[i], i)
            said.append(checks_of(nb))
    return said


@pytest.mark.book
@ROOM
def test_a_wrong_answer_gets_not_yet_and_a_hint(room):
    """Two wrong answers to one exercise (a billion times too small, the wrong sign), each told
    "not yet" with its own hint and never the value: the student notebook runs once, in one kernel,
    and the answer is changed and its cells run again (two runs of the whole notebook before)."""
    teacher = nbformat.read(room / "teacher" / "outlook.ipynb", as_version=4)
    value = next(c for c in teacher.cells if c.id == "outlook-ex-3q01-answer").source.split()[
        2
    ]  # 9.97178e+09
    wrong = {f"{value} / 1e9": "off by a factor of a billion", f"-{value}": "check the sign"}
    said = _checks_for_answers(
        room / "student" / "outlook.ipynb", "outlook-ex-3q01", [f"answer = {w}" for w in wrong]
    )
    for checks, hint in zip(said, wrong.values(), strict=True):
        line = checks["outlook-ex-3q01"]
        assert line.startswith("not yet: ") and hint in line, line
        assert "9.97" not in line


@pytest.mark.book
@ROOM
def test_the_student_pdf_holds_no_solution_and_the_teacher_pdf_all(room):
    from pypdf import PdfReader

    def text(who: str) -> str:
        return " ".join(
            " ".join(p.extract_text() or "" for p in PdfReader(room / f"{who}.pdf").pages).split()
        )

    student, teacher = text("student"), text("teacher")
    assert student.count("Solution to") == 0 and teacher.count("Solution to") == 32
    phrases = [
        p
        for name in CHAPTERS
        for s in _solutions(nbformat.read(ROOT / "chapters" / f"{name}.ipynb", 4))
        for p in _phrases(s)
    ]
    found_in_teacher = [p for p in phrases if p in teacher]
    assert len(found_in_teacher) >= 20  # the test can see a solution where there is one
    assert not [p for p in found_in_teacher if p in student]
    # charts are drawn in both: a chart's title is SVG text in the PDF
    assert "Quarterly revenues: what November 2002 knew" in student


@pytest.mark.book
@ROOM
def test_the_teachers_page_links_every_copy_and_both_pdfs(room):
    page = (room / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', page)
    assert {"student.pdf", "teacher.pdf"} <= set(links)
    assert {f"{who}/{name}.ipynb" for who in ("student", "teacher") for name in CHAPTERS} <= set(links)
    assert all((room / link).is_file() for link in links)


# -- the classroom page -----------------------------------------------------------------------
def test_every_session_fits_fifty_minutes():
    page = (ROOT / "chapters" / "classroom.md").read_text(encoding="utf-8")
    table = page[page.index("## Ten sessions of 50 minutes") :]
    rows = [r for r in table.splitlines() if re.match(r"\| \d+ \| \{doc\}", r)]
    assert len(rows) == 10
    for row in rows:
        minutes = [int(m) for m in re.findall(r"(\d+) min", row)]
        assert len(minutes) == 4 and sum(minutes) == 50, row


def test_the_classroom_page_counts_the_exercises_it_has():
    page = (ROOT / "chapters" / "classroom.md").read_text(encoding="utf-8")
    total = checked = 0
    for name in CHAPTERS:
        nb = nbformat.read(ROOT / "chapters" / f"{name}.ipynb", as_version=4)
        student = edition(nb, "student")
        total += len(_labels(nb))
        checked += sum(1 for c in student.cells if "check" in c.get("metadata", {}).get("tags", []))
    assert (total, checked) == (32, 29)
    assert f"Of the {total} exercises, {checked} have a check" in " ".join(page.split())


@pytest.mark.parametrize("kind", ["a folder with files", "a file", "the book itself"])
def test_the_edition_never_replaces_a_folder_that_is_not_one(tmp_path, kind):
    # make classroom replaces its output folder whole: a careless -o must not delete anything
    from iijbook_build.classroom import ClassroomError, make_classroom

    if kind == "a folder with files":
        out = tmp_path / "mine"
        out.mkdir()
        (out / "thesis.tex").write_text("keep me")
    elif kind == "a file":
        out = tmp_path / "notes.txt"
        out.write_text("keep me")
    else:
        out = ROOT
    with pytest.raises(ClassroomError, match="choose a"):
        make_classroom(ROOT, out)
    if kind != "the book itself":
        kept = out / "thesis.tex" if out.is_dir() else out
        assert kept.read_text() == "keep me"

"""The classroom edition: each chapter for students, without solutions, and for teachers, with them.

A chapter's exercises are ``{exercise}`` blocks, each followed by its ``{solution}``; a cell tagged
``exercise-answers`` computes the answers (:mod:`iijbook.classroom`). The student notebook has an
``answer = ...`` cell and a check cell after each exercise and no solution anywhere; the teacher's has
the chapter's own results filled in and the solutions shown. ``make classroom`` runs both, confirms
every student check says ``not answered`` and every teacher check ``correct``, and prints both PDFs.

>>> answers = nbformat.v4.new_code_cell('EXERCISE_ANSWERS = {"ex-a": (1.5, 1.5, 1.5, "the figure")}')
>>> answers.metadata["tags"] = [ANSWERS_TAG]
>>> nb = nbformat.v4.new_notebook(cells=[answers, nbformat.v4.new_markdown_cell(EXAMPLE)])
>>> [c.cell_type for c in edition(nb, "student").cells]
['code', 'markdown', 'markdown', 'code', 'markdown', 'code', 'code']
>>> [c.source for c in edition(nb, "student").cells if "answer" in c.metadata.get("tags", [])]
['answer = ...  # your answer: the figure']
>>> any("{solution}" in c.source for c in edition(nb, "student").cells)
False
>>> [c.source for c in edition(nb, "teacher", {"ex-a": 1.5}).cells if "answer" in c.metadata.get("tags", [])]
["answer = 1.5  # the chapter's own result"]
"""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import nbformat

_EXERCISE = re.compile(r"```\{exercise\}\n:label: (?P<label>\S+)\n(?P<body>.*?)\n```\n", re.S)
_SOLUTION = re.compile(r"```\{solution\} (?P<label>\S+)\n(?P<body>.*?)\n```\n?", re.S)
_HEADING = "## Exercises"
#: The tag of a chapter's cell that computes its exercises' answers.
ANSWERS_TAG = "exercise-answers"
EXAMPLE = (
    "## Takeaway\n\nText.\n\n## Exercises\n\n```{exercise}\n:label: ex-a\n\nCompute it.\n```\n\n"
    "```{solution} ex-a\n:class: dropdown\n\nIt is 1.5.\n```\n"
)
_IMPORT = "from iijbook.classroom import check  # prints: correct, not yet (with a hint) or not answered"
#: Appended to a student edition's run: it prints the chapter's answers, for the teacher's edition.
_PROBE = (
    "import json as _json\n"
    "_found = {k: list(v) for k, v in EXERCISE_ANSWERS.items()}\n"
    'print("IIJBOOK-ANSWERS " + _json.dumps(_found, default=float))'
)


class Exercise(NamedTuple):
    label: str
    exercise: str  #: the ``{exercise}`` block, as the chapter writes it
    solution: str  #: its ``{solution}`` block


class ClassroomError(RuntimeError):
    """A chapter whose edition does not run, or whose checks do not say what they must."""


def split_exercises(source: str) -> tuple[str, list[Exercise], str]:
    """A markdown cell's text before its exercises, the exercises, and any text after them."""
    if (start := source.find(_HEADING)) < 0:
        return source, [], ""
    before, rest, found, end = source[:start].rstrip() + "\n", source[start + len(_HEADING) :], [], 0
    for ex in _EXERCISE.finditer(rest):
        sol = _SOLUTION.search(rest, ex.end())
        if sol is None or sol.group("label") != ex.group("label"):
            raise ValueError(f"exercise {ex.group('label')} has no solution right after it")
        found.append(Exercise(ex.group("label"), ex.group(0).rstrip(), sol.group(0).rstrip()))
        end = sol.end()
    return before, found, rest[end:].strip()


def _cell(kind: str, source: str, cell_id: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = make(source, metadata={"tags": tags} if tags else {})
    cell.id = re.sub(r"[^A-Za-z0-9_-]", "-", cell_id)[:64]
    return cell


def edition(
    nb: nbformat.NotebookNode, who: str, answers: dict[str, Any] | None = None
) -> nbformat.NotebookNode:
    """The student (``who="student"``) or teacher edition of a chapter notebook; ``answers`` (the
    teacher's) maps each checked exercise's label to the chapter's own value."""
    if who not in ("student", "teacher"):
        raise ValueError(f"an edition is for a student or a teacher, not {who!r}")
    out, checked = nbformat.v4.new_notebook(metadata=dict(nb.metadata)), _checked_labels(nb)
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not (parts := split_exercises(cell.source))[1]:
            out.cells.append(cell)
            continue
        before, exercises, after = parts
        if before.strip():
            out.cells.append(_cell("markdown", before, f"{cell.id}-text"))
        out.cells.append(_cell("markdown", _HEADING, f"{cell.id}-exercises"))
        out.cells.append(_cell("code", _IMPORT, f"{cell.id}-check-import"))
        for ex in exercises:
            out.cells.append(_cell("markdown", ex.exercise, ex.label))
            if ex.label in checked:
                filled = f"...  # your answer: {checked[ex.label]}"
                if who == "teacher":
                    value = (answers or {})[ex.label]
                    filled = f"{value!r}" if isinstance(value, str) else f"{value:.6g}"
                    filled += "  # the chapter's own result"
                check = f'check("{ex.label}", answer, EXERCISE_ANSWERS)'
                out.cells.append(_cell("code", f"answer = {filled}", f"{ex.label}-answer", ["answer"]))
                out.cells.append(_cell("code", check, f"{ex.label}-check", ["check"]))
            else:
                note = "*An explanation, not a figure: write it in your own words, then discuss it.*"
                out.cells.append(_cell("markdown", note, f"{ex.label}-discuss"))
            if who == "teacher":
                out.cells.append(_cell("markdown", ex.solution, f"{ex.label}-solution"))
        if after:
            out.cells.append(_cell("markdown", after, f"{cell.id}-after"))
    return out


def _checked_labels(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The labels the chapter's answers cell checks, with what each answer cell asks for, read from
    its source (``"label": (value, low, high, "asks")``): a student notebook says what to write
    without running the chapter."""
    entry = r'"(?P<label>[\w-]+)"\]?\s*[:=]\s*\((?:[^()]|\([^()]*\))*?,\s*f?"(?P<asks>[^"]*)"\s*\)'
    cells = [c.source for c in nb.cells if ANSWERS_TAG in c.get("metadata", {}).get("tags", [])]
    return {m.group("label"): m.group("asks") for source in cells for m in re.finditer(entry, source, re.S)}


def checks_of(executed: nbformat.NotebookNode) -> dict[str, str]:
    """Each check cell's line in an executed edition, by exercise label."""
    return {
        cell.id.removesuffix("-check"): "".join(
            o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
        ).strip()
        for cell in executed.cells
        if cell.cell_type == "code" and "check" in cell.get("metadata", {}).get("tags", [])
    }


def index_page(chapters: list[str], counts: dict[str, tuple[int, int]]) -> str:
    """The teacher's page of the classroom edition: every copy and both PDFs, linked."""

    def row(name: str) -> str:
        links = " ".join(f'<a href="{who}/{name}.ipynb">{who}</a>' for who in ("student", "teacher"))
        return f"<tr><td>{html.escape(name)}<td>{counts[name][0]}<td>{counts[name][1]}<td>{links}"

    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Classroom edition: the teacher's page</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:auto;line-height:1.5}}td{{padding:0 .6em}}</style>
</head><body><h1>IIJ 2Q FY2002: the classroom edition</h1>
<p>For the teacher. Hand students the <em>student</em> notebooks and the <a href="student.pdf">student
PDF</a>: they hold no solutions. The <em>teacher</em> copies and the <a href="teacher.pdf">teacher PDF</a>
have every answer filled in and every solution shown. A notebook runs from the book's <code>chapters/</code>
folder; a check prints <em>correct</em>, <em>not yet</em> with a hint, or <em>not answered</em>.</p>
<table><tr><th>chapter<th>exercises<th>checked<th>notebooks
{chr(10).join(row(name) for name in chapters)}
</table></body></html>
"""


def handout_pages(notebooks: dict[str, Path]) -> dict[Path, str]:
    """The site's student handouts, for download: ``handouts/<chapter>.ipynb`` of each chapter notebook."""
    out = {}
    for name, path in notebooks.items():
        student = edition(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4), "student")
        out[Path("handouts") / f"{name}.ipynb"] = json.dumps(student, indent=1, ensure_ascii=False) + "\n"
    return out


@dataclass
class Summary:
    out: Path
    exercises: dict[str, tuple[int, int]]  #: chapter: (exercises, of them checked)


def make_classroom(root: Path, out: Path, timeout: float = 300.0, say=print) -> Summary:
    """Write the classroom edition under ``out``: run, checked and printed, all or nothing (the new
    edition replaces the old only at the end, and never a folder that holds anything else), under
    the book's build lock: two editions, or an edition and a build, never write at once."""
    from . import folder

    out = Path(out).resolve()
    made = (out / "student").is_dir() and (out / "teacher").is_dir() and (out / "index.html").is_file()
    if out.exists() and not made and (not out.is_dir() or any(out.iterdir())):
        raise ClassroomError(f"{out}: exists and is not a classroom edition; choose a new or empty folder")
    if out == root.resolve() or out in root.resolve().parents:
        raise ClassroomError(f"{out}: the book's own folder, or one above it; choose a folder of its own")
    with folder.lock(folder.checked_folder(root / "_build", root)):
        work = out.with_name(out.name + ".work")
        counts = _make(root, work, timeout, say)
        old = out.with_name(out.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        work.rename(out)  # the new edition replaces the old one only now
        shutil.rmtree(old, ignore_errors=True)
    return Summary(out, counts)


def _make(root: Path, work: Path, timeout: float, say) -> dict[str, tuple[int, int]]:
    """The edition in ``work``; each chapter's count of exercises and of checks."""
    from .inputs import discover, read_notebook

    shutil.rmtree(work, ignore_errors=True)
    for folder in ("student", "probe", "teacher"):
        (work / folder).mkdir(parents=True)
    chapters = {c.name: c for c in discover(root)}
    sources = {name: read_notebook(c.path) for name, c in chapters.items()}
    counts = {}
    for name, nb in sources.items():
        exercises = [e for c in nb.cells if c.cell_type == "markdown" for e in split_exercises(c.source)[1]]
        counts[name] = (len(exercises), len(_checked_labels(nb)))
    say(f"  running the student edition of {len(chapters)} chapters")
    for name, nb in sources.items():
        nbformat.write(student := edition(nb, "student"), work / "student" / f"{name}.ipynb")
        student.cells.append(_cell("code", _PROBE, "classroom-probe"))  # prints the answers
        nbformat.write(student, work / "probe" / f"{name}.ipynb")
    students = _run_all(root, work, chapters, "probe", "student", timeout)
    answers = {name: _answers_from_probe(path) for name, path in students.items()}
    _checked(students, "not answered", counts)
    say("  running the teacher edition")
    for name, nb in sources.items():
        teacher = edition(nb, "teacher", {label: entry[0] for label, entry in answers[name].items()})
        nbformat.write(teacher, work / "teacher" / f"{name}.ipynb")
    teachers = _checked(_run_all(root, work, chapters, "teacher", "teacher", timeout), "correct", counts)
    for who, executed in (("student", students), ("teacher", teachers)):
        say(f"  printing the {who} PDF")
        _print_edition(root, work / f"stage-{who}", executed, work / f"{who}.pdf", timeout)
    (work / "index.html").write_text(index_page(list(sources), counts), encoding="utf-8")
    for scratch in ("probe", "ran-student", "ran-teacher", "stage-student", "stage-teacher"):
        shutil.rmtree(work / scratch)
    return counts


def _run_all(root: Path, work: Path, chapters: dict, source: str, who: str, timeout: float) -> dict:
    """Run ``work/<source>/<chapter>.ipynb`` into ``work/ran-<who>/`` (papermill in worker processes,
    as the build runs a chapter, with no run key); the executed copies, or raise on a failure."""
    from .inputs import book_data
    from .run import Job, run_jobs

    jobs, failed, cwd, data = [], [], str(root / "chapters"), str(book_data(root))
    for name, chapter in chapters.items():
        out, log = work / f"ran-{who}" / f"{name}.ipynb", str(work / f"ran-{who}" / f"{name}.log")
        declared = [(p.name, p.annotation, p.default, p.comment) for p in chapter.parameters]
        notebook = str(work / source / f"{name}.ipynb")
        jobs.append(Job(name, notebook, str(out), {}, declared, cwd, log, "", data, timeout))
    run_jobs(jobs, 3, lambda job, _seconds, error: failed.extend([f"{job.name}: {error}"] if error else []))
    if failed:
        raise ClassroomError("a classroom notebook failed to run:\n  " + "\n  ".join(failed))
    return {job.name: Path(job.output) for job in jobs}


def _checked(ran: dict[str, Path], verdict: str, counts: dict[str, tuple[int, int]]) -> dict[str, Path]:
    """``ran``, once every check cell of every run says ``verdict``."""
    for name, path in ran.items():
        said = checks_of(nbformat.read(path, as_version=4))
        wrong = {k: v for k, v in said.items() if not v.startswith(verdict)}
        if wrong or len(said) != counts[name][1]:
            who = path.parent.name.removeprefix("ran-")
            raise ClassroomError(f"{name}: the {who} edition's checks must all say '{verdict}': {wrong}")
    return ran


def _answers_from_probe(executed: Path) -> dict[str, list]:
    """The chapter's answers, as its probe cell printed them; the run is rewritten without that cell,
    so that it is the student notebook, cell for cell."""
    nb = nbformat.read(executed, as_version=4)
    probe = nb.cells.pop(next(i for i, c in enumerate(nb.cells) if c.id == "classroom-probe"))
    nbformat.write(nb, executed)
    text = "".join(o.get("text", "") for o in probe.get("outputs", []))
    return json.loads(text[text.index("IIJBOOK-ANSWERS ") :].split(" ", 1)[1].splitlines()[0])


def _print_edition(root: Path, stage_dir: Path, executed: dict[str, Path], out: Path, timeout: float) -> None:
    """Render the book with ``executed`` as its chapters and print those chapters into ``out``."""
    from .pdf import print_pages
    from .render import render, stage

    stage(root, stage_dir, executed, handout_pages({n: root / "chapters" / f"{n}.ipynb" for n in executed}))
    title, chapters = f"IIJ 2Q FY2002: {out.stem}'s edition", [f"chapters/{n}.html" for n in executed]
    print_pages(render(stage_dir, timeout), out, chapters, title, solutions=out.stem == "teacher")

"""The classroom edition: each chapter for students, without solutions, and for teachers, with them.

A chapter's exercises sit in one markdown cell, each a ``{exercise}`` block followed by
its ``{solution}``; a cell tagged ``exercise-answers`` computes the answer each exercise
is checked against (:mod:`iijbook.classroom`). :func:`edition` turns the chapter into:

- the **student** notebook: the chapter with its work shown; each exercise followed by an
  answer cell (``answer = ...``) and a check cell; no solution in any cell, output or
  metadata;
- the **teacher** notebook: the same, each answer cell filled in with the chapter's own
  result and each solution shown under its check.

An exercise whose answer is an explanation (no entry in the chapter's answers) gets a
note in place of its check. ``iijbook classroom`` (``make classroom``) writes both
editions of every chapter under ``_build/classroom/``, runs them to confirm that every
student check says ``not answered`` and every teacher check ``correct``, prints a student
and a teacher PDF, and writes a teacher's index page linking them all.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

#: A chapter's exercises, each a ``{exercise}`` block then its ``{solution}`` block.
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


@dataclass(frozen=True)
class Exercise:
    label: str
    exercise: str  #: the ``{exercise}`` block, as the chapter writes it
    solution: str  #: its ``{solution}`` block


def split_exercises(source: str) -> tuple[str, list[Exercise], str]:
    """A markdown cell's text before its exercises, the exercises, and any text after them."""
    start = source.find(_HEADING)
    if start < 0:
        return source, [], ""
    before, rest = source[:start].rstrip() + "\n", source[start + len(_HEADING) :]
    found: list[Exercise] = []
    end = 0
    for ex in _EXERCISE.finditer(rest):
        sol = _SOLUTION.search(rest, ex.end())
        if sol is None or sol.group("label") != ex.group("label"):
            raise ValueError(f"exercise {ex.group('label')} has no solution right after it")
        found.append(Exercise(ex.group("label"), ex.group(0).rstrip(), sol.group(0).rstrip()))
        end = sol.end()
    return before, found, rest[end:].strip()


def _value_text(value: Any) -> str:
    """An answer as the teacher's cell writes it: six significant figures, or the text."""
    return repr(value) if isinstance(value, str) else f"{value:.6g}"


def _cell(kind: str, source: str, cell_id: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = make(source, metadata={"tags": tags} if tags else {})
    cell.id = re.sub(r"[^A-Za-z0-9_-]", "-", cell_id)[:64]
    return cell


def edition(
    nb: nbformat.NotebookNode, who: str, answers: dict[str, Any] | None = None
) -> nbformat.NotebookNode:
    """The student (``who="student"``) or teacher edition of a chapter notebook.

    ``answers`` (teacher only) maps each checked exercise's label to its value, as the
    chapter computes it. Exercises whose label is missing from the chapter's answers
    are discussion exercises: they get a note, not a check.
    """
    if who not in ("student", "teacher"):
        raise ValueError(f"an edition is for a student or a teacher, not {who!r}")
    out = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    answers = answers or {}
    checked = _checked_labels(nb)
    for cell in nb.cells:
        before, exercises, after = (
            split_exercises(cell.source) if cell.cell_type == "markdown" else (None, [], "")
        )
        if not exercises:
            out.cells.append(cell)
            continue
        if before.strip():
            out.cells.append(_cell("markdown", before, f"{cell.id}-text"))
        out.cells.append(_cell("markdown", _HEADING, f"{cell.id}-exercises"))
        out.cells.append(_cell("code", _IMPORT, f"{cell.id}-check-import"))
        for ex in exercises:
            out.cells.append(_cell("markdown", ex.exercise, f"{ex.label}"))
            if ex.label in checked:
                if who == "teacher":
                    filled = f"answer = {_value_text(answers[ex.label])}  # the chapter's own result"
                else:
                    filled = f"answer = ...  # your answer: {checked[ex.label]}"
                out.cells.append(_cell("code", filled, f"{ex.label}-answer", ["answer"]))
                out.cells.append(
                    _cell(
                        "code",
                        f'check("{ex.label}", answer, EXERCISE_ANSWERS)',
                        f"{ex.label}-check",
                        ["check"],
                    )
                )
            else:
                note = "*An explanation, not a figure: write it in your own words, then discuss it.*"
                out.cells.append(_cell("markdown", note, f"{ex.label}-discuss"))
            if who == "teacher":
                out.cells.append(_cell("markdown", ex.solution, f"{ex.label}-solution"))
        if after:
            out.cells.append(_cell("markdown", after, f"{cell.id}-after"))
    return out


def _checked_labels(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The labels the chapter's answers cell checks, with what each answer cell asks for.

    Read from the cell's source (``"label": (value, low, high, "asks")`` entries), so a
    student notebook can say what to write without running the chapter.
    """
    found: dict[str, str] = {}
    for cell in nb.cells:
        if ANSWERS_TAG in cell.get("metadata", {}).get("tags", []):
            pattern = r'"(?P<label>[\w-]+)"\]?\s*[:=]\s*\((?:[^()]|\([^()]*\))*?,\s*(?P<asks>f?"[^"]*")\s*\)'
            for m in re.finditer(pattern, cell.source, re.S):
                asks = m.group("asks")
                found[m.group("label")] = asks[2:-1] if asks.startswith("f") else asks[1:-1]
    return found


def checks_of(executed: nbformat.NotebookNode) -> dict[str, str]:
    """Each check cell's line in an executed edition, by exercise label."""
    lines: dict[str, str] = {}
    for cell in executed.cells:
        if cell.cell_type == "code" and "check" in cell.get("metadata", {}).get("tags", []):
            text = "".join(
                o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
            )
            lines[cell.id.removesuffix("-check")] = text.strip()
    return lines


def index_page(chapters: list[str], counts: dict[str, tuple[int, int]]) -> str:
    """The teacher's page of the classroom edition: every copy and both PDFs, linked."""
    rows = "\n".join(
        f"<tr><td>{html.escape(name)}</td><td>{counts[name][0]}</td><td>{counts[name][1]}</td>"
        f'<td><a href="student/{name}.ipynb">student</a></td>'
        f'<td><a href="teacher/{name}.ipynb">teacher</a></td></tr>'
        for name in chapters
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Classroom edition: the teacher's page</title>
<style>body{{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}}
td,th{{padding:.2em .8em;text-align:left}}</style></head>
<body><h1>IIJ 2Q FY2002: the classroom edition</h1>
<p>For the teacher. Hand students the <em>student</em> notebooks and PDF: they hold no solutions.
The <em>teacher</em> copies have every answer filled in and every solution shown.</p>
<ul><li><a href="student.pdf">Student PDF</a> (no solutions)</li>
<li><a href="teacher.pdf">Teacher PDF</a> (answers and solutions)</li></ul>
<table><thead><tr><th>chapter</th><th>exercises</th><th>checked</th>
<th colspan="2">notebooks</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p>Each notebook runs from the book's <code>chapters/</code> folder (copy it there, or open it
with the book's helper package installed); a check prints <em>correct</em>, <em>not yet</em>
with a hint, or <em>not answered</em>.</p>
</body></html>
"""


def student_handout(source: Path) -> str:
    """A chapter's student notebook as JSON text, for the site's download links."""
    nb = nbformat.reads(source.read_text(encoding="utf-8"), as_version=4)
    return json.dumps(edition(nb, "student"), indent=1, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------
# make classroom: both editions of every chapter, run, checked and printed
_PROBE = (
    "import json as _json\n"
    "_found = {k: list(v) for k, v in EXERCISE_ANSWERS.items()}\n"
    'print("IIJBOOK-ANSWERS " + _json.dumps(_found, default=float))'
)


class ClassroomError(RuntimeError):
    """A chapter whose edition does not run, or whose checks do not say what they must."""


@dataclass
class Summary:
    out: Path
    exercises: dict[str, tuple[int, int]]  #: chapter: (exercises, of them checked)
    pdf_pages: dict[str, int]


def handout_pages(notebooks: dict[str, Path]) -> dict[Path, str]:
    """The site's student handouts: ``handouts/<chapter>.ipynb`` for each chapter notebook."""
    return {Path("handouts") / f"{name}.ipynb": student_handout(path) for name, path in notebooks.items()}


def _write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _run_all(root: Path, work: Path, source: str, who: str, params: dict, timeout: float) -> dict[str, Path]:
    """Run ``work/<source>/<chapter>.ipynb`` into ``work/ran-<who>/`` (papermill in worker processes,
    as the build runs a chapter, with no run key); the executed copies, or raise on a failure."""
    from .inputs import book_data
    from .run import Job, run_jobs

    ran = {name: work / f"ran-{who}" / f"{name}.ipynb" for name in params}
    data, cwd, failed = str(book_data(root)), str(root / "chapters"), []
    jobs = []
    for name, out in ran.items():
        source_path, log = str(work / source / f"{name}.ipynb"), str(out.with_suffix(".log"))
        jobs.append(Job(name, source_path, str(out), {}, params[name], cwd, log, "", data, timeout))
    run_jobs(jobs, 3, lambda job, _seconds, error: failed.extend([f"{job.name}: {error}"] if error else []))
    if failed:
        raise ClassroomError("a classroom notebook failed to run:\n  " + "\n  ".join(failed))
    return ran


def _answers_from_probe(executed: Path) -> tuple[nbformat.NotebookNode, dict[str, list]]:
    """The chapter's answers, as its probe cell printed them; the notebook without that cell."""
    nb = nbformat.read(executed, as_version=4)
    probe = nb.cells.pop(next(i for i, c in enumerate(nb.cells) if c.id == "classroom-probe"))
    text = "".join(o.get("text", "") for o in probe.get("outputs", []))
    line = next(x for x in text.splitlines() if x.startswith("IIJBOOK-ANSWERS "))
    return nb, json.loads(line.removeprefix("IIJBOOK-ANSWERS "))


def _print_edition(root: Path, stage_dir: Path, executed: dict[str, Path], out: Path, timeout: float) -> int:
    """Render the book with ``executed`` as its chapters and print those chapters into ``out``."""
    from .pdf import print_pages
    from .render import render, stage

    notebooks = {name: root / "chapters" / f"{name}.ipynb" for name in executed}
    stage(root, stage_dir, executed, handout_pages(notebooks))
    site = render(stage_dir, timeout)
    chapters = [f"chapters/{name}.html" for name in executed]
    _, pages = print_pages(
        site, out, chapters, f"IIJ 2Q FY2002: {out.stem}'s edition", solutions=out.stem == "teacher"
    )
    return pages


def make_classroom(root: Path, out: Path, timeout: float = 300.0, say=print) -> Summary:
    """Write the classroom edition under ``out``: run, checked and printed, all or nothing, under
    the book's build lock (two editions, or an edition and a build, never write at once)."""
    from . import folder

    with folder.lock(folder.checked_folder(root / "_build", root)):
        return _make_classroom(root, out, timeout, say)


def _make_classroom(root: Path, out: Path, timeout: float, say) -> Summary:
    import shutil

    from .inputs import discover, read_notebook

    out = Path(out).resolve()
    parts = (out / "student").is_dir(), (out / "teacher").is_dir(), (out / "index.html").is_file()
    edition_made = all(parts)
    if out.exists() and not edition_made and (not out.is_dir() or any(out.iterdir())):
        # the edition replaces its folder whole: never a folder that holds anything else
        raise ClassroomError(f"{out}: exists and is not a classroom edition; choose a new or empty folder")
    if out == root.resolve() or out in root.resolve().parents:
        raise ClassroomError(f"{out}: the book's own folder, or one above it; choose a folder of its own")
    chapters = discover(root)
    work = out.with_name(out.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    params = {c.name: [(p.name, p.annotation, p.default, p.comment) for p in c.parameters] for c in chapters}
    sources = {c.name: read_notebook(c.path) for c in chapters}
    counts = {}
    for name, nb in sources.items():
        total = sum(len(split_exercises(c.source)[1]) for c in nb.cells if c.cell_type == "markdown")
        counts[name] = (total, len(_checked_labels(nb)))
    # 1. the student editions, each run once with a probe cell that reports the chapter's answers
    say(f"  running the student edition of {len(chapters)} chapters")
    for name, nb in sources.items():
        student = edition(nb, "student")
        _write(student, work / "student" / f"{name}.ipynb")
        student.cells.append(_cell("code", _PROBE, "classroom-probe"))
        _write(student, work / "probe" / f"{name}.ipynb")
    ran_student, answers = _run_all(root, work, "probe", "student", params, timeout), {}
    for name in sources:
        nb, answers[name] = _answers_from_probe(ran_student[name])
        nbformat.write(nb, ran_student[name])
        wrong = {k: v for k, v in checks_of(nb).items() if not v.startswith("not answered")}
        if wrong or len(checks_of(nb)) != counts[name][1]:
            raise ClassroomError(f"{name}: the student edition's checks must all say 'not answered': {wrong}")
    # 2. the teacher editions, with the chapter's own answers filled in
    say("  running the teacher edition")
    for name, nb in sources.items():
        values = {label: entry[0] for label, entry in answers[name].items()}
        _write(edition(nb, "teacher", values), work / "teacher" / f"{name}.ipynb")
    ran_teacher = _run_all(root, work, "teacher", "teacher", params, timeout)
    for name, path in ran_teacher.items():
        lines = checks_of(nbformat.read(path, as_version=4))
        wrong = {k: v for k, v in lines.items() if not v.startswith("correct")}
        if wrong or len(lines) != counts[name][1]:
            raise ClassroomError(f"{name}: the teacher edition's checks must all say 'correct': {wrong}")
    # 3. the PDFs, charts drawn
    pdf_pages = {}
    for who, executed in (("student", ran_student), ("teacher", ran_teacher)):
        say(f"  printing the {who} PDF")
        pdf_pages[who] = _print_edition(root, work / f"stage-{who}", executed, work / f"{who}.pdf", timeout)
    (work / "index.html").write_text(index_page(list(sources), counts), encoding="utf-8")
    # all or nothing: the new edition replaces the old one only now
    for folder in ("probe", "ran-student", "ran-teacher", "stage-student", "stage-teacher"):
        shutil.rmtree(work / folder)
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    work.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return Summary(out, counts, pdf_pages)

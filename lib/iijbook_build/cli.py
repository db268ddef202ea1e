"""The ``iijbook`` command on click (as papermill's own is): ``build``, ``params``, ``pdf``, ``classroom``.

Exit status: 0 done; 1 a chapter, the rendering or the output failed; 2 refused before anything
ran (an unknown or invalid parameter, chapter or file, another build running); 130 interrupted.
Every failure is one line on stderr, never a traceback. click takes ``-p NAME VALUE`` whatever
VALUE begins with (``-p floor -1e9``); kept here, as click cannot know them: a VALUE that is one of
the command's options is a forgotten value (``-p label --force``), and a name given twice is refused.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import click
from iijbook.params import ParameterError, shown

from .build import DEFAULT_TIMEOUT, MAX_TIMEOUT, BuildError, Interrupted, build
from .build import Refused as BuildRefused
from .folder import FolderError
from .inputs import InputError, discover, project_root, read_params_file, reason, resolve
from .reports import parameters_page
from .scenarios import check_all, read_scenarios_file, sweep


def _path(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
    if value is not None and not value.strip():
        raise click.BadParameter("is empty: give a path")
    return None if value is None else Path(value)


def _seconds(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    with contextlib.suppress(ValueError):
        if 0 < (seconds := float(value)) <= MAX_TIMEOUT:  # not NaN, not infinite
            return seconds
    allowed = f"above 0 and at most {MAX_TIMEOUT:g} (a day)"
    raise click.BadParameter(f"must be a number of seconds {allowed}, got {shown(value)}")


def _pairs(ctx: click.Context, _param: click.Parameter, pairs: tuple[tuple[str, str], ...]) -> list:
    options = {o for p in ctx.command.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
    for i, (name, value) in enumerate(pairs):
        if name in options:
            raise click.UsageError(f"-p has no NAME VALUE: the next word is the option {name}")
        if value in options:
            raise click.UsageError(f"-p {shown(name)} has no VALUE: the next word is the option {value}")
        if name in (n for n, _ in pairs[:i]):
            raise click.UsageError(f"parameter {shown(name)} is given twice with -p; give it once")
    return list(pairs)


class _BuildCommand(click.Command):
    """``build --help`` ends with every chapter's parameters (the Parameters page), read when asked for."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write("\n" + parameters_page(discover(ctx.params.get("root"))))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def command() -> None:
    """Build the IIJ 2Q FY2002 analysis book: papermill runs each chapter, jupyter-book renders."""


_PAIRS = {"nargs": 2, "multiple": True, "metavar": "NAME VALUE", "callback": _pairs}
_PAIRS["help"] = "Set a parameter in every chapter that has it (repeatable); VALUE may begin with '-'."
_TIMEOUT = {"default": str(DEFAULT_TIMEOUT), "callback": _seconds, "metavar": "SECONDS"}
_PARAMS_FILE_HELP = """A params file is YAML: 'name: value' lines apply to every chapter that has the
parameter; a 'chapter:' block applies to that chapter only ('revenues: {guidance_point: low}').
-p on the command line wins over the file."""


@command.command("build", cls=_BuildCommand, epilog=_PARAMS_FILE_HELP)
@click.option("-p", "--parameter", "pairs", **_PAIRS)
@click.option("-f", "--parameters-file", callback=_path, metavar="FILE", help="YAML file of parameters.")
@click.option("--chapter", multiple=True, metavar="NAME", help="Re-run only this chapter (repeatable).")
@click.option("--build-dir", callback=_path, metavar="DIR", help="Build folder (default: _build).")
@click.option("--root", callback=_path, metavar="DIR", is_eager=True, help="The book (default: this one).")
@click.option("--scenarios", callback=_path, metavar="FILE", help="Also build each scenario of a YAML file.")
@click.option("--sweep", multiple=True, metavar="NAME=V1,V2", help="One scenario per value (repeatable).")
@click.option("--force", is_flag=True, help="Ignore the execution cache.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Chapters run at once (default: the cores).")
@click.option("--timeout", **_TIMEOUT, help=f"Time one chapter may run (default {DEFAULT_TIMEOUT:g}).")
def build_command(pairs: list, parameters_file: Path | None, chapter: tuple[str, ...], **options: Any) -> int:
    """Run the chapters with papermill and render the site into _build/html."""
    chapters = discover(options["root"])
    names = [c.name for c in chapters]
    if unknown := next((name for name in chapter if name not in names), None):
        raise ParameterError(f"unknown chapter {shown(unknown)} (chapters: {', '.join(names)})")
    shared, blocks = read_params_file(parameters_file, names) if parameters_file else ({}, {})
    given = dict(pairs)  # -p wins over the file, its chapter blocks included
    kept = {c: {n: v for n, v in block.items() if n not in given} for c, block in blocks.items()}
    blocks = {c: block for c, block in kept.items() if block}
    values = resolve(chapters, shared | given, blocks)
    these = f"chapter{'s' if len(chapter) > 1 else ''} you selected ({', '.join(chapter)})"
    for name in shared | given if chapter else ():  # a value no selected chapter takes would do nothing
        takers = [c.name for c in chapters if c.parameter(name) is not None]
        if not set(takers) & set(chapter):
            source = "" if name in given else f" (from {parameters_file})"
            taken = f"it is taken by: {', '.join(takers)}"
            raise ParameterError(f"parameter {name}{source} is not taken by the {these}; {taken}")
    if chapter and (name := next((name for name in blocks if name not in chapter), None)):
        sets = f"the params file sets parameters of chapter {name}"
        raise ParameterError(f"{sets}, which is not among the {these}")
    scenarios_file = options.pop("scenarios")
    scenarios = read_scenarios_file(scenarios_file, chapters) if scenarios_file else []
    scenarios = check_all(scenarios + [s for spec in options.pop("sweep") for s in sweep(spec, chapters)])
    try:
        result = build(values, only=list(chapter) or None, scenarios=scenarios or None, **options)
    except Interrupted as exc:
        return _say(f"interrupted: {exc}", 130)
    except BuildRefused as exc:  # a data file's problems, one line each
        return _say(f"refused: {exc}", 2, whole=True)
    except BuildError as exc:  # a line per failed chapter, and where its copy is kept
        return _say(f"build failed: {exc}", 1, whole=True)
    except OSError as exc:  # here, not left to click, which takes any broken pipe for stdout's
        return _say(f"failed: {reason(exc, named=True)}", 1)
    print(f"iijbook: built {result.site} in {result.seconds:.1f} s")
    return 0


@command.command("params")
@click.option("--root", callback=_path, metavar="DIR", help="The book (default: this one).")
def params_command(root: Path | None) -> int:
    """List every chapter's parameters with types, defaults and comments (the Parameters page)."""
    print(parameters_page(discover(root)), end="")
    return 0


@command.command("pdf")
@click.option("--build-dir", callback=_path, metavar="DIR", help="Build folder (default: _build).")
@click.option("-o", "--output", callback=_path, metavar="FILE", help="The PDF (default: _build/book.pdf).")
def pdf_command(build_dir: Path | None, output: Path | None) -> int:
    """Print the built site to one PDF (needs make book first)."""
    from .pdf import PdfError, print_book

    build_dir = build_dir or project_root() / "_build"
    try:
        path, pages = print_book(build_dir / "html", output or build_dir / "book.pdf")
    except (PdfError, FileNotFoundError) as exc:
        return _say(f"pdf failed: {exc}", 1)
    print(f"iijbook: printed {pages} pages of the book into {path}")
    return 0


@command.command("classroom")
@click.option("-o", "--output", callback=_path, metavar="DIR", help="Folder (default: _build/classroom).")
@click.option("--timeout", **_TIMEOUT, help="Time one notebook may run.")
def classroom_command(output: Path | None, timeout: float) -> int:
    """Write the classroom edition (student and teacher notebooks and PDFs)."""
    from .classroom import ClassroomError, make_classroom

    root = project_root()
    try:
        made = make_classroom(root, output or root / "_build" / "classroom", timeout=timeout)
    except FolderError as exc:  # another build or edition holds the lock
        return _say(f"refused: {exc}", 2)
    except (ClassroomError, BuildError) as exc:
        return _say(f"classroom failed: {exc}", 1, whole=True)
    n, checked = sum(n for n, _ in made.exercises.values()), sum(c for _, c in made.exercises.values())
    said = f"{len(made.exercises)} chapters, {n} exercises, {checked} with checks; student and teacher PDFs"
    print(f"iijbook: classroom edition in {made.out}: {said}; open {made.out / 'index.html'}")
    return 0


def _one_line(text: str) -> str:
    text = " / ".join(part.strip() for part in text.strip().splitlines())
    return text if len(text) <= 300 else shown(text, 300)[1:-1]


def _say(line: str, code: int, whole: bool = False) -> int:
    """``line`` on stderr, made one short line unless ``whole`` (a build's line per chapter); returns
    ``code``. A closed stderr must not turn one failure into another."""
    with contextlib.suppress(OSError):
        print(f"iijbook: {line if whole else _one_line(line)}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """The command: every failure one line on stderr and an exit status."""
    sys.stdout = sys.stdout or open(os.devnull, "w")  # noqa: SIM115 - started with stdout closed (>&-)
    sys.stderr = sys.stderr or open(os.devnull, "w")  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):  # an ASCII or Latin-1 terminal: escape ¥ and −, lose nothing
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:  # a stop signal is a KeyboardInterrupt here (iijbook_build.main), until the build takes it over
        code = command.main(args=argv, prog_name="iijbook", standalone_mode=False) or 0
        try:  # a reader gone away or a full device loses the output, never the exit status
            sys.stdout.flush()
        except (OSError, ValueError):
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return code
    except click.ClickException as exc:
        where = exc.ctx.command_path if getattr(exc, "ctx", None) else "iijbook"
        return _say(f"refused: {exc.format_message()} (see {where} --help)", 2)
    except (click.Abort, KeyboardInterrupt):
        return _say("interrupted", 130)
    except (ParameterError, InputError) as exc:
        return _say(f"refused: {exc}", 2)
    except SystemExit:  # click's one exit here: stdout's reader went away (iijbook params | head -1)
        return 0
    except OSError as exc:
        return _say(f"failed: {reason(exc, named=True)}", 1)
    except Exception as exc:  # unexpected: one line, and the traceback kept in a file
        try:
            fd, name = tempfile.mkstemp(prefix="iijbook-traceback-", suffix=".txt")
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
                out.write("".join(traceback.format_exception(exc)))
            where = f"full traceback in {name}"
        except OSError as err:
            where = f"no traceback file: {reason(err, named=True)}"
        return _say(f"internal error: {type(exc).__name__}: {_one_line(str(exc))} ({where})", 1, whole=True)


if __name__ == "__main__":
    sys.exit(main())

"""The ``iijbook`` command: build the book, list the chapters' parameters.

    iijbook build                                  every chapter, default parameters
    iijbook build -p jpy_per_usd 150 --chapter revenues
    iijbook build -f scenario.yaml                 parameters from a file
    iijbook params                                 every chapter's parameters

``make book ARGS="..."`` passes its arguments to ``iijbook build``. Exit
status: 0 built; 1 a chapter or the rendering failed; 2 refused before
anything ran (unknown or invalid parameter or chapter, bad params file,
another build running); 130 interrupted. Whatever the failure, the published
site is left as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, NoReturn

from iijbook.params import ParameterError

from .build import DEFAULT_TIMEOUT, MAX_TIMEOUT, BuildError, Interrupted, build
from .build import Refused as BuildRefused
from .chapters import Chapter, ChapterError, discover
from .inputs import InputError, shown
from .scenarios import check_all, read_scenarios_file, sweep
from .values import read_params_file, resolve

#: ``iijbook build``'s options that take one value (given as ``--option=VALUE`` to argparse,
#: so a value may begin with ``-``).
_VALUE_OPTIONS = {
    "-f": "--parameters-file",
    "--parameters-file": "--parameters-file",
    "--chapter": "--chapter",
    "--build-dir": "--build-dir",
    "--root": "--root",
    "-j": "--jobs",
    "--jobs": "--jobs",
    "--timeout": "--timeout",
    "--scenarios": "--scenarios",
    "--sweep": "--sweep",
}


#: Every option of ``iijbook build``, which a ``-p`` VALUE may not be.
_OPTIONS = frozenset({*_VALUE_OPTIONS, "-p", "--parameter", "--force", "-h", "--help"})


class Refused(ValueError):
    """A command line that is refused before anything runs (exit 2)."""


def params_table(root: Path | None = None) -> str:
    """Every chapter's parameters as text: name, type, default, and the comment."""
    lines = []
    for chapter in discover(root):
        lines.append(f"{chapter.name}:")
        if not chapter.parameters:
            lines.append("    (no parameters)")
        for p in chapter.parameters:
            lines.append(f"    {p.name}: {p.annotation} = {p.default!r}")
            lines.append(f"        {p.comment}")
    return "\n".join(lines)


PARAMS_FILE_HELP = """\
a params file is YAML: 'name: value' lines apply to every chapter that has the
parameter; a 'chapter:' block applies to that chapter only, e.g.
    jpy_per_usd: 150
    revenues:
      guidance_point: low
-p on the command line wins over the file."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (raised, for :func:`main` to print)."""

    def error(self, message: str) -> NoReturn:
        raise Refused(f"{message} (see {self.prog} --help)")


def _path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a path")
    return Path(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:g} (a day), got {shown(text)}"
        )
    return value


def _parser(chapters_help: bool = False) -> argparse.ArgumentParser:
    """The command's parser; ``chapters_help`` lists every chapter's parameters in ``build --help``."""
    parser = _Parser(
        prog="iijbook",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    epilog = PARAMS_FILE_HELP
    if chapters_help:
        epilog += "\n\nchapters and their parameters:\n" + params_table()
    b = sub.add_parser(
        "build",
        help="run the chapters with papermill and render the site into _build/html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=epilog,
    )
    b.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter in every chapter that has it (repeatable); VALUE may begin with '-'",
    )
    b.add_argument("-f", "--parameters-file", type=_path, metavar="FILE", help="YAML file of parameters")
    b.add_argument(
        "--chapter",
        action="append",
        default=[],
        metavar="NAME",
        help="re-run only this chapter (repeatable); the others keep their last run",
    )
    b.add_argument("--build-dir", type=_path, default=None, help="build folder (default: _build)")
    b.add_argument(
        "--root",
        type=_path,
        default=None,
        metavar="DIR",
        help="the book to build (default: this one); for the tests, and for building a copy of the book",
    )
    b.add_argument(
        "--scenarios",
        type=_path,
        default=None,
        metavar="FILE",
        help="also build each scenario of a YAML file ('scenarios: {name: {parameter: value}}') "
        "and a Scenarios page that compares them",
    )
    b.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="also build one scenario per value of a parameter (repeatable)",
    )
    b.add_argument("--force", action="store_true", help="ignore the execution cache")
    b.add_argument("-j", "--jobs", type=int, default=None, help="chapters run at once (default: cores + 1)")
    b.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time one chapter may run before it is stopped (default: {DEFAULT_TIMEOUT:g})",
    )
    pdf = sub.add_parser("pdf", help="print the built site to one PDF (needs make book first)")
    pdf.add_argument("--build-dir", type=_path, default=None, help="build folder (default: _build)")
    pdf.add_argument("-o", "--output", type=_path, default=None, help="the PDF (default: _build/book.pdf)")
    room = sub.add_parser(
        "classroom",
        help="write the classroom edition (student and teacher notebooks and PDFs) into _build/classroom",
    )
    room.add_argument("-o", "--output", type=_path, default=None, help="folder (default: _build/classroom)")
    room.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="time one notebook may run",
    )
    params = sub.add_parser(
        "params",
        help="list every chapter's parameters with types, defaults and comments",
    )
    params.add_argument(
        "--root", type=_path, default=None, metavar="DIR", help="the book (default: this one)"
    )
    return parser


def split_parameters(argv: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Take the ``-p NAME VALUE`` pairs out of ``iijbook build``'s arguments.

    argparse reads a VALUE such as ``-1e9`` or ``-inf`` as an option, so the
    pairs are taken out first, and the other options' values are passed as
    ``--option=VALUE``. Everything after ``--`` is left as it is.

    >>> split_parameters(["-p", "floor", "-1e9", "--chapter", "outlook", "-p", "x", "-inf"])
    (['--chapter=outlook'], [('floor', '-1e9'), ('x', '-inf')])
    >>> split_parameters(["--force", "--", "-p"])
    (['--force', '--', '-p'], [])
    """
    rest: list[str] = []
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest += argv[i:]
            break
        if token in ("-p", "--parameter"):
            if i + 2 >= len(argv):
                raise Refused(f"{token} needs a NAME and a VALUE, e.g. {token} jpy_per_usd 150")
            name, value = argv[i + 1], argv[i + 2]
            if value in _OPTIONS or name in _OPTIONS:
                # a value may begin with '-' (-1e9), but not be one of the command's own options
                raise Refused(f"{token} {shown(name)} has no VALUE: the next word is the option {value}")
            if name in seen:
                raise Refused(f"parameter {shown(name)} is given twice with -p; give it once")
            seen.add(name)
            pairs.append((name, value))
            i += 3
        elif token in _VALUE_OPTIONS and i + 1 < len(argv):
            rest.append(f"{_VALUE_OPTIONS[token]}={argv[i + 1]}")
            i += 2
        else:
            rest.append(token)
            i += 1
    return rest, pairs


def _wants_help(argv: list[str]) -> bool:
    before = argv[: argv.index("--")] if "--" in argv else argv
    return any(a == "-h" or (a.startswith("--h") and "--help".startswith(a)) for a in before)


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[tuple[str, str]]]:
    pairs: list[tuple[str, str]] = []
    if argv[:1] == ["build"]:
        rest, pairs = split_parameters(argv[1:])
        argv = ["build", *rest]
    args = _parser(chapters_help=argv[:1] == ["build"] and _wants_help(argv)).parse_args(argv)
    return args, pairs


def check_selected(
    chapters: list[Chapter],
    selected: list[str],
    given: dict[str, str],
    per_chapter: dict[str, dict[str, Any]],
) -> None:
    """Refuse a parameter that none of the ``selected`` chapters takes, naming those that do.

    ``given`` maps each shared parameter to where it came from, as text to
    follow its name ("" for ``-p``, " (from FILE)" for a params file);
    ``per_chapter`` are the params file's chapter blocks.

    >>> from iijbook_build.chapters import Parameter
    >>> revenues = Chapter("revenues", Path("revenues.ipynb"), (Parameter("jpy_per_usd", "float", 1.0, ""),))
    >>> outlook = Chapter("outlook", Path("outlook.ipynb"), ())
    >>> check_selected([revenues, outlook], ["outlook"], {"jpy_per_usd": ""}, {})
    Traceback (most recent call last):
    ...
    iijbook.params.ParameterError: parameter jpy_per_usd is not taken by the chapter you selected (outlook)...
    """
    these = f"chapter{'s' if len(selected) > 1 else ''} you selected ({', '.join(selected)})"
    for name, source in given.items():
        takers = [c.name for c in chapters if c.parameter(name) is not None]
        if not set(takers) & set(selected):
            raise ParameterError(
                f"parameter {name}{source} is not taken by the {these}; it is taken by: {', '.join(takers)}"
            )
    for chapter in per_chapter:
        if chapter not in selected:
            raise ParameterError(
                f"the params file sets parameters of chapter {chapter}, which is not among the {these}"
            )


def _build(args: argparse.Namespace, pairs: list[tuple[str, str]]) -> int:
    """``iijbook build``: validate everything, then build; 0 built, 1 failed, 2 refused, 130 interrupted."""
    chapters = discover(args.root)
    names = [c.name for c in chapters]
    for name in args.chapter:
        if name not in names:
            raise ParameterError(f"unknown chapter {shown(name)} (chapters: {', '.join(names)})")
    if args.jobs is not None and args.jobs < 1:
        raise ParameterError(f"--jobs must be at least 1, got {args.jobs}")
    shared: dict[str, Any] = {}
    per_chapter: dict[str, dict[str, Any]] = {}
    if args.parameters_file:
        shared, per_chapter = read_params_file(args.parameters_file, names)
    given = {name: f" (from {args.parameters_file})" for name in shared}
    for name, value in pairs:  # -p wins over the file, its chapter blocks included
        shared[name] = value
        given[name] = ""
        for values in per_chapter.values():
            values.pop(name, None)
    per_chapter = {chapter: values for chapter, values in per_chapter.items() if values}
    per_chapter_values = resolve(chapters, shared, per_chapter)
    if args.chapter:
        check_selected(chapters, args.chapter, given, per_chapter)
    scenarios = read_scenarios_file(args.scenarios, chapters) if args.scenarios else []
    for spec in args.sweep:
        scenarios += sweep(spec, chapters)
    check_all(scenarios)
    try:
        result = build(
            per_chapter_values,
            root=args.root,
            build_dir=args.build_dir,
            only=args.chapter or None,
            force=args.force,
            jobs=args.jobs,
            timeout=args.timeout,
            scenarios=scenarios or None,
        )
    except Interrupted as exc:
        print(f"iijbook: interrupted: {exc}", file=sys.stderr)
        return 130
    except BuildRefused as exc:
        print(f"iijbook: refused: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"iijbook: build failed: {exc}", file=sys.stderr)
        return 1
    print(f"iijbook: built {result.site} in {result.seconds:.1f} s")
    return 0


def _pdf(args: argparse.Namespace) -> int:
    from .chapters import project_root
    from .pdf import PdfError, print_book

    build_dir = args.build_dir or project_root() / "_build"
    out = args.output or build_dir / "book.pdf"
    try:
        path, pages = print_book(build_dir / "html", out)
    except (PdfError, FileNotFoundError) as exc:
        print(f"iijbook: pdf failed: {exc}", file=sys.stderr)
        return 1
    print(f"iijbook: printed {pages} pages of the book into {path}")
    return 0


def _classroom(args: argparse.Namespace) -> int:
    from .chapters import project_root
    from .classroom import ClassroomError, make_classroom

    out = args.output or project_root() / "_build" / "classroom"
    try:
        summary = make_classroom(project_root(), out, timeout=args.timeout)
    except (ClassroomError, BuildError) as exc:
        print(f"iijbook: classroom failed: {exc}", file=sys.stderr)
        return 1
    total = sum(n for n, _ in summary.exercises.values())
    checked = sum(c for _, c in summary.exercises.values())
    print(
        f"iijbook: classroom edition in {summary.out}: {len(summary.exercises)} chapters, {total} exercises, "
        f"{checked} with checks; student and teacher PDFs; open {summary.out / 'index.html'}"
    )
    return 0


def _one_line(text: str) -> str:
    """``text`` on one line, cut short if long.

    >>> _one_line("first\\nsecond")
    'first / second'
    """
    text = " / ".join(line.strip() for line in text.strip().splitlines())
    return text if len(text) <= 300 else shown(text, 300)[1:-1]


def _os_error(exc: OSError) -> str:
    """One line for an :class:`OSError`: the path(s) and the reason.

    >>> _os_error(PermissionError(13, "Permission denied", "_build/.lock"))
    '_build/.lock: permission denied'
    """
    from .inputs import reason

    paths = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"{paths}: {reason(exc)}" if paths else reason(exc)


def _internal_error(exc: BaseException) -> int:
    """Say in one line that something unexpected failed; keep its traceback in a temporary file."""
    try:
        fd, name = tempfile.mkstemp(prefix="iijbook-traceback-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
            out.write("".join(traceback.format_exception(exc)))
        where = f"full traceback in {name}"
    except OSError as err:
        where = f"no traceback file: {_os_error(err)}"
    print(f"iijbook: internal error: {type(exc).__name__}: {_one_line(str(exc))} ({where})", file=sys.stderr)
    return 1


class _PipeGuard:
    """A stream whose reader may go away (``iijbook params | head -1``): what follows goes nowhere."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):  # a closed pipe, a full device, a closed file
            self._discard()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._discard()

    def _discard(self) -> None:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """The command: every failure is one line on stderr and an exit status, never a traceback."""
    argv = sys.argv[1:] if argv is None else list(argv)
    # a closed stdout or stderr (`>&-`) leaves Python without the stream: write nowhere instead
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    for stream in (sys.stdout, sys.stderr):  # an ASCII or Latin-1 terminal: escape ¥ and −, lose nothing
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _PipeGuard(sys.stdout), _PipeGuard(sys.stderr)
    try:
        return _main(argv)
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = streams


def _main(argv: list[str]) -> int:
    try:
        args, pairs = _parse(argv)
        if args.command == "params":
            print(params_table(args.root))
            return 0
        if args.command == "pdf":
            return _pdf(args)
        if args.command == "classroom":
            return _classroom(args)
        return _build(args, pairs)
    except SystemExit as exc:  # argparse after --help
        return exc.code if isinstance(exc.code, int) else 0
    except (Refused, ParameterError, ChapterError, InputError) as exc:
        print(f"iijbook: refused: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("iijbook: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"iijbook: failed: {_os_error(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:
        return _internal_error(exc)


if __name__ == "__main__":
    sys.exit(main())

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
import sys
from pathlib import Path

from .build import BuildError, BuildLocked, Interrupted, build
from .chapters import ChapterError, discover
from .params import ParameterError, read_params_file, resolve


def params_table() -> str:
    """Every chapter's parameters as text: name, type, default, and the comment."""
    lines = []
    for chapter in discover():
        lines.append(f"{chapter.name}:")
        if not chapter.parameters:
            lines.append("    (no parameters)")
        for p in chapter.parameters:
            lines.append(f"    {p.name}: {p.annotation} = {p.default!r}")
            lines.append(f"        {p.comment}")
    return "\n".join(lines)


def _safe_params_table() -> str:
    try:
        return params_table()
    except (ChapterError, OSError) as exc:
        return f"(could not read the chapters: {exc})"


PARAMS_FILE_HELP = """\
a params file is YAML: 'name: value' lines apply to every chapter that has the
parameter; a 'chapter:' block applies to that chapter only, e.g.
    jpy_per_usd: 150
    revenues:
      guidance_point: low
-p on the command line wins over the file."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iijbook",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser(
        "build",
        help="run the chapters with papermill and render the site into _build/html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=PARAMS_FILE_HELP + "\n\nchapters and their parameters:\n" + _safe_params_table(),
    )
    b.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter in every chapter that has it (repeatable)",
    )
    b.add_argument("-f", "--parameters-file", type=Path, metavar="FILE", help="YAML file of parameters")
    b.add_argument(
        "--chapter",
        action="append",
        default=[],
        metavar="NAME",
        help="re-run only this chapter (repeatable); the others keep their last run",
    )
    b.add_argument("--build-dir", type=Path, default=None, help="build folder (default: _build)")
    b.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="the book to build (default: this one); for the tests, and for building a copy of the book",
    )
    b.add_argument("--force", action="store_true", help="ignore the execution cache")
    b.add_argument("-j", "--jobs", type=int, default=None, help="chapters run at once (default: cores + 1)")
    pdf = sub.add_parser("pdf", help="print the built site to one PDF (needs make book first)")
    pdf.add_argument("--build-dir", type=Path, default=None, help="build folder (default: _build)")
    pdf.add_argument("-o", "--output", type=Path, default=None, help="the PDF (default: _build/book.pdf)")
    sub.add_parser(
        "params",
        help="list every chapter's parameters with types, defaults and comments",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "params":
        print(params_table())
        return 0
    if args.command == "pdf":
        return _pdf(args)
    try:
        chapters = discover(args.root)
        names = [c.name for c in chapters]
        for name in args.chapter:
            if name not in names:
                raise ParameterError(f"unknown chapter {name!r} (chapters: {', '.join(names)})")
        if args.jobs is not None and args.jobs < 1:
            raise ParameterError(f"--jobs must be at least 1, got {args.jobs}")
        shared, per_chapter = {}, {}
        if args.parameters_file:
            shared, per_chapter = read_params_file(args.parameters_file, names)
        shared.update({name: value for name, value in args.parameter})
        per_chapter_values = resolve(chapters, shared, per_chapter)
    except (ParameterError, ChapterError) as exc:
        print(f"iijbook: refused: {exc}", file=sys.stderr)
        return 2
    try:
        result = build(
            per_chapter_values,
            root=args.root,
            build_dir=args.build_dir,
            only=args.chapter or None,
            force=args.force,
            jobs=args.jobs,
        )
    except Interrupted as exc:
        print(f"iijbook: interrupted: {exc}", file=sys.stderr)
        return 130
    except BuildLocked as exc:
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


if __name__ == "__main__":
    sys.exit(main())

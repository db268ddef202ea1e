"""The ``iijbook`` command: build the book, list the chapters' parameters.

    iijbook build                                  # every chapter, default parameters
    iijbook build -p jpy_per_usd 150 --chapter revenues
    iijbook params                                 # every chapter's parameters

``make book ARGS="..."`` passes its arguments to ``iijbook build``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .build import BuildError, build
from .chapters import ChapterError, discover, project_root
from .params import ParameterError, resolve


def _params_table() -> str:
    lines = []
    for chapter in discover():
        lines.append(f"{chapter.name}:")
        if not chapter.parameters:
            lines.append("    (no parameters)")
        for p in chapter.parameters:
            lines.append(f"    {p.name}: {p.annotation} = {p.default!r}    # {p.comment}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iijbook", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser(
        "build",
        help="run the chapters with papermill and render the site into _build/html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="chapters and their parameters:\n" + _safe_params_table(),
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
    b.add_argument(
        "--chapter",
        action="append",
        default=[],
        metavar="NAME",
        help="re-run only this chapter (repeatable); the others keep their last run",
    )
    b.add_argument("--build-dir", type=Path, default=None, help="build folder (default: _build)")
    b.add_argument("--force", action="store_true", help="ignore the execution cache")
    b.add_argument("-j", "--jobs", type=int, default=None, help="chapters run at once (default: cores)")
    sub.add_parser("params", help="list every chapter's parameters with types, defaults, comments")
    return parser


def _safe_params_table() -> str:
    try:
        return _params_table()
    except (ChapterError, OSError) as exc:
        return f"(could not read the chapters: {exc})"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "params":
        print(_params_table())
        return 0
    try:
        chapters = discover()
        names = [c.name for c in chapters]
        for name in args.chapter:
            if name not in names:
                raise ParameterError(f"unknown chapter {name!r} (chapters: {', '.join(names)})")
        overrides = {name: value for name, value in args.parameter}
        per_chapter = resolve(chapters, overrides)
        root = project_root()
        result = build(
            per_chapter,
            root=root,
            build_dir=args.build_dir,
            only=args.chapter or None,
            force=args.force,
            jobs=args.jobs,
        )
    except (ParameterError, ChapterError) as exc:
        print(f"iijbook: refused: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"iijbook: build failed: {exc}", file=sys.stderr)
        return 1
    print(f"iijbook: built {result.site} in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

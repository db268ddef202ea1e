"""The build tool: the command ``iijbook``, a short pipeline from the book's sources to its site.

No chapter imports this package, and it is not part of the chapters' cache key: editing it
re-runs no chapter. It uses the helper package :mod:`iijbook`, never the other way.

- :mod:`iijbook_build.cli`: the command; :mod:`iijbook_build.build`: the pipeline
- check: :mod:`iijbook_build.inputs`, :mod:`iijbook_build.datacheck`, :mod:`iijbook_build.preflight`
- run: :mod:`iijbook_build.run`, :mod:`iijbook_build.evalfill`
- render: :mod:`iijbook_build.render` (with ``opening``, ``reports``, ``bundle``, ``sphinxext``, ``trim``)
- publish: :mod:`iijbook_build.folder` (the one commit point); :mod:`iijbook_build.deploy` (gh-pages)
- beside it: :mod:`iijbook_build.scenarios`, :mod:`iijbook_build.classroom`, :mod:`iijbook_build.pdf`

Developer tools (the benchmark, the shape report, page weights) live apart, in ``tools/``.
"""

import sys


def main() -> int:
    """The command's entry point. Its imports take about half a second; a stop signal in that time
    ends the command as one later does, exit 130 and one line, not a traceback or a bare 143."""
    import signal

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for stop_signal in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(stop_signal, stop)
    try:
        from .cli import main as command
    except KeyboardInterrupt:
        print("iijbook: interrupted", file=sys.stderr)
        return 130
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return command()

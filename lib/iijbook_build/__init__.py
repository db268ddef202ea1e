"""The build tool: the command ``iijbook``, a short pipeline from the book's sources to its site
(:mod:`iijbook_build.build`; the README's table says which module does what).

No chapter imports this package, and it is not part of the chapters' cache key: editing it
re-runs no chapter. It uses the helper package :mod:`iijbook`, never the other way.
"""

import signal
import sys


def main() -> int:
    """The command's entry point. SIGTERM, SIGHUP and Ctrl-C end the command from its first moment
    (its imports take about half a second) until the build takes them over: exit 130 and one line,
    not a traceback or a bare 143."""
    for stop_signal in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(stop_signal, signal.default_int_handler)  # raises KeyboardInterrupt
    try:
        from .cli import main as command
    except KeyboardInterrupt:
        print("iijbook: interrupted", file=sys.stderr)
        return 130
    return command()

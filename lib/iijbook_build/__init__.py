"""The build tool: the command ``iijbook``, which runs the chapters with papermill and renders the site.

No chapter imports this package, and it is not part of the chapters' cache key:
editing it re-runs no chapter. It uses the helper package :mod:`iijbook` (the
data, the parameters' reading and checks, the guarded reader), never the other way.

- :mod:`iijbook_build.cli`: the command and its one-line failures
- :mod:`iijbook_build.inputs`: files, the chapters and their parameters, values, read and checked
- :mod:`iijbook_build.preflight`: each chapter's own checks between parameters, run first
- :mod:`iijbook_build.execute`: one papermill run, its cache key and its time limit
- :mod:`iijbook_build.build`: snapshot, run, stage, render, check the pages, publish
- :mod:`iijbook_build.buildfolder`: the build folder's rules and its lock
- :mod:`iijbook_build.publish`: all-or-nothing publishing and its recovery
- :mod:`iijbook_build.reports`: the parameters and build status pages
- :mod:`iijbook_build.bundle`: the local Vega bundle; :mod:`iijbook_build.sphinxext`: stable pages
- :mod:`iijbook_build.pdf`: the book printed in Debian's Chromium

Developer tools (the benchmark, the shape report, page weights) live apart, in ``tools/``.
"""

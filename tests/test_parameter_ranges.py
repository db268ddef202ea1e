"""Every value a chapter declares allowed runs: the declared range is exactly what works.

For each chapter and each parameter, Hypothesis draws values inside the range
written at the start of the parameter's comment (``(0, 1e8]``, ``[low | mid |
high]``, ``[2001-06, 2003-06]``), of the annotation's type, ``None`` where the
annotation allows it, together with values of the chapter's other parameters.
Every bound is tried on every run, in a test of its own: a closed end as it is,
an open end by the nearest value inside it, each listed choice, and ``None``, each
with the other parameters at their defaults, besides the defaults and the
combinations that once failed.

Each set of values goes through the CLI's own validation (:func:`iijbook_build.inputs.resolve`,
with the values as text, as ``-p`` passes them). If it refuses, that refusal is
the outcome: nothing runs. Otherwise the chapter runs with the converted values
and must reach its end, answering every ``{eval}`` its pages cite. The one refusal
allowed inside the notebook is a :class:`~iijbook.params.ParameterError` from the
cell after the parameters cell that names two or more parameters, one of them
changed from its default: a constraint between parameters, which no single range
can state. A run must also answer every ``{eval}`` its pages cite, show no ``nan`` or
``inf``, and write nothing to stderr.

Runs reuse two kernels (:mod:`tests.chapter_kernel`), kept from one chapter to the
next as the build keeps a worker's, so the bounds run two at a time on two cores; a
run costs a few seconds instead of a kernel start and the imports. The combinations
Hypothesis draws are drawn first and then run as the bounds are: their parameters
checks in this process (the cells a kernel would run first), their runs two at a time.

How many combinations Hypothesis draws besides the bounds is the profile's
(``tests/conftest.py``): "ci" by default, a few a chapter; "thorough" with
``IIJBOOK_HYPOTHESIS=thorough``, many more. Both try every bound.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from iijbook.params import ParameterError, constraint_of
from iijbook_build.inputs import Chapter, Parameter, discover, resolve

from .chapter_kernel import ChapterKernel

CHAPTERS = discover()

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: What a page must never show: nan, inf ("$infT", "nan%"), in text or a chart's description.
_NOT_A_NUMBER = re.compile(r"(?<![A-Za-z])(nan|NaN|inf|Infinity)(?![a-z])")
_BOUNDS = re.compile(r"^[\[(]\s*([^,]*?)\s*,\s*([^\])]*?)\s*[\])]$")


# ---------------------------------------------------------------------------- what a declaration allows


def _kinds(param: Parameter) -> set[str]:
    return {k.strip() for k in param.annotation.split("|")}


def _base_kind(param: Parameter) -> str:
    kinds = _kinds(param) - {"None"}
    for kind in ("int", "float", "bool", "str"):
        if kind in kinds:
            return kind
    raise AssertionError(f"parameter {param.name}: no known type in {param.annotation!r}")


def _month_index(text: str) -> int:
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _range_strategy(param: Parameter) -> tuple[st.SearchStrategy, list[Any]]:
    """A strategy over the declared range of one parameter (None aside), and its bound values."""
    c = constraint_of(param)
    kind = _base_kind(param)
    if c is not None and c.choices:
        return st.sampled_from(c.choices), list(c.choices)
    low, high = (c.low, c.high) if c is not None else (None, None)
    low_open, high_open = (c.low_open, c.high_open) if c is not None else (False, False)
    if kind == "bool":
        return st.booleans(), [False, True]
    if kind == "str":
        if c is not None:  # months or dates, read from the comment (not from how params compares them)
            low, high = (None if b in ("", "inf", "-inf") else b for b in _BOUNDS.match(c.text).groups())
            bounds = [b for b in (low, high) if b is not None]
            if all(_MONTH.match(b) for b in bounds):  # months, compared as months
                lo = None if low is None else _month_index(low) + low_open
                hi = None if high is None else _month_index(high) - high_open
                edges = [_month_label(i) for i in (lo, hi) if i is not None]
                return st.integers(lo, hi).map(_month_label), edges
            if all(_DATE.match(b) for b in bounds):
                day = dt.timedelta(days=1)
                lo = None if low is None else dt.date.fromisoformat(low) + (day if low_open else 0 * day)
                hi = None if high is None else dt.date.fromisoformat(high) - (day if high_open else 0 * day)
                edges = [d.isoformat() for d in (lo, hi) if d is not None]
                return st.dates(lo or dt.date.min, hi or dt.date.max).map(dt.date.isoformat), edges
            raise AssertionError(f"parameter {param.name}: cannot read the bounds of {c.text!r}")
        return st.text(max_size=40), [""]
    if kind == "int":
        lo = None if low is None else (math.floor(low) + 1 if low_open else math.ceil(low))
        hi = None if high is None else (math.ceil(high) - 1 if high_open else math.floor(high))
        return st.integers(lo, hi), [b for b in (lo, hi) if b is not None]
    # float: an open end by the nearest float inside it
    lo = None if low is None else (math.nextafter(low, math.inf) if low_open else float(low))
    hi = None if high is None else (math.nextafter(high, -math.inf) if high_open else float(high))
    strategy = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return strategy, [b for b in (lo, hi) if b is not None]


def declared(param: Parameter) -> tuple[st.SearchStrategy, list[Any]]:
    """Every value the declaration allows, and the values always tried (bounds, choices, None)."""
    strategy, edges = _range_strategy(param)
    if "None" in _kinds(param):
        strategy, edges = st.one_of(st.none(), strategy), [None, *edges]
    return strategy, edges


def chapter_values(chapter: Chapter) -> st.SearchStrategy[dict[str, Any]]:
    """A value for every parameter of a chapter: its default, one of its bounds, or any allowed value."""
    fields = {}
    for p in chapter.parameters:
        strategy, edges = declared(p)
        fields[p.name] = st.one_of(st.just(p.default), st.sampled_from(edges), strategy)
    return st.fixed_dictionaries(fields)


#: Combinations that once failed, tried on every run besides the bounds.
REGRESSIONS: dict[str, list[dict[str, Any]]] = {
    # Altair's row limit: the projection chart carried every month of every curve
    "broadband": [
        {"projection_series": "CATV", "fit_window_months": 48},
        {
            "projection_series": "CATV",
            "fit_window_months": 48,
            "projection_cutoff": "2003-06",
            "projection_model": "logistic",
            "logistic_ceiling": 1e8,
        },
        # a fixed ceiling below the figures the exercise's later cut-off (2003-03) sees: the
        # exercise refitted there and failed; it now takes the nearest cut-off the ceiling allows
        {
            "projection_series": "DSL",
            "projection_cutoff": "2002-06",
            "projection_model": "logistic",
            "logistic_ceiling": 4e6,
        },
    ],
}


def bound_examples(chapter: Chapter) -> list[dict[str, Any]]:
    """The defaults, each bound of each parameter with the others at their defaults, and the regressions."""
    defaults = {p.name: p.default for p in chapter.parameters}
    out = [defaults]
    for p in chapter.parameters:
        for value in declared(p)[1]:
            if value != p.default or type(value) is not type(p.default):
                out.append({**defaults, p.name: value})
    out += [{**defaults, **values} for values in REGRESSIONS.get(chapter.name, [])]
    return out


def as_text(value: Any) -> str:
    """A value as a ``-p`` argument gives it."""
    if value is None:
        return "None"
    return value if isinstance(value, str) else repr(value)


# ---------------------------------------------------------------------------- running chapters

#: The kernels of the chapter under test (tests run chapter by chapter): two, so the bounds run two at once.
_kernels: dict[str, list[ChapterKernel]] = {}
KERNELS = 2


def kernels_for(chapter: Chapter) -> list[ChapterKernel]:
    """The kernels of ``chapter``, started as each is first used: those the last chapter ran in, as
    the build's workers run one chapter after another in one kernel (every chapter is in one folder,
    and each run starts from a cleared namespace), so that a chapter costs no kernel start."""
    if chapter.name not in _kernels:
        running = [k for kernels in _kernels.values() for k in kernels]
        _kernels.clear()
        _kernels[chapter.name] = [ChapterKernel(chapter) for _ in range(KERNELS)]
        for kernel, last in zip(_kernels[chapter.name], running, strict=False):
            if last.chapter.path.parent == chapter.path.parent:
                kernel.km, kernel.kc = last.km, last.kc
            else:
                last.shutdown()
    return _kernels[chapter.name]


def _stop_all() -> None:
    for kernels in _kernels.values():
        for k in kernels:
            k.shutdown()
    _kernels.clear()


@pytest.fixture(scope="session", autouse=True)
def _stop_kernels():
    """The kernels, shut down with the session (a chapter's two tests run on one process, one after
    the other: their ``together`` marker; the chapters, on either)."""
    yield
    _stop_all()


def _names_in(text: str, chapter: Chapter) -> list[str]:
    return [p.name for p in chapter.parameters if re.search(rf"\b{re.escape(p.name)}\b", text)]


@dataclass
class Case:
    """One set of values for a chapter, as the CLI takes it: what was given, and what it became."""

    chapter: Chapter
    given_text: dict[str, str]  # the values that differ from the defaults, as ``-p`` gives them
    converted: dict[str, Any]
    where: str


def case_of(chapter: Chapter, values: dict[str, Any], note=event) -> Case | None:
    """The values through the CLI's own validation; None if it refuses them, naming a parameter."""
    given_text = {
        name: as_text(v)
        for name, v in values.items()
        if v != chapter.parameter(name).default or type(v) is not type(chapter.parameter(name).default)
    }
    where = f"chapter {chapter.name} with {given_text or 'its defaults'}"
    try:
        converted = resolve([chapter], {}, {chapter.name: given_text})[chapter.name]
    except ParameterError as exc:
        # the CLI refuses before anything runs: that refusal must name a parameter
        assert _names_in(str(exc), chapter), f"{where}: refused without naming a parameter: {exc}"
        note("refused by the CLI's validation")
        return None
    return Case(chapter, given_text, converted, where)


def parameters_check(case: Case) -> str | None:
    """The chapter's parameters check of one set of values, run as its kernel runs it (the parameters
    cell, then the values papermill injects, then the cell tagged ``parameters-check``), here, in a
    namespace of its own: the line the build refuses the values with, or None (the defaults, no
    check cell, or values it lets through)."""
    nb = nbformat.read(case.chapter.path, as_version=4)
    cells = {tag: c.source for c in nb.cells for tag in c.metadata.get("tags", [])}
    if not case.converted or "parameters-check" not in cells:
        return None
    namespace: dict[str, Any] = {"__name__": "__main__"}
    try:
        exec(compile(cells["parameters"], "parameters cell", "exec"), namespace)
        namespace.update(case.converted)
        exec(compile(cells["parameters-check"], "parameters-check cell", "exec"), namespace)
    except ParameterError as exc:
        return f"chapter {case.chapter.name}: " + " / ".join(str(exc).splitlines())
    except Exception as exc:
        return f"chapter {case.chapter.name}: its parameters check failed: {type(exc).__name__}: {exc}"
    return None


def judge(case: Case, refused: str | None, kernel: ChapterKernel, note=event) -> None:
    """A refusal by the parameters check must be clear; otherwise the chapter must run to its end."""
    chapter, given_text, converted, where = case.chapter, case.given_text, case.converted, case.where
    # what no single range says, the chapter's parameters-check cell says: the build refuses the
    # values it refuses, and a refusal there must name the parameters that do not go together
    if refused:
        named = _names_in(refused, chapter)
        assert len(named) >= 2 or set(named) & set(given_text), f"{where}: refused unclearly: {refused}"
        assert "its parameters check failed" not in refused, f"{where}: {refused}"
        note("refused by the parameters check: parameters that do not go together")
        return
    result = kernel.run(converted)
    failure = result.failure
    if failure is not None:
        pytest.fail(f"{where} (injected: {converted!r}) fails in {failure}", pytrace=False)
    missing = kernel.references - set(result.glued)
    assert not missing, f"{where}: the page cites values this run could not give: {sorted(missing)}"
    broken = {name: text for name, text in result.glued.items() if _NOT_A_NUMBER.search(text)}
    assert not broken, f"{where}: the page would show a number that is not one: {broken}"
    assert not result.stderr, (
        f"{where}: the run wrote to stderr (a warning?): {''.join(result.stderr)[:2000]}"
    )
    note("ran to the end")


def _noted(_: str) -> None:
    """Outside a Hypothesis test there is nothing to note an outcome in."""


def check_examples_run(chapter: Chapter, examples: list[dict[str, Any]]) -> None:
    """Each set of values in ``examples``: refused clearly (by the CLI or the parameters check), or run
    to the end. The parameters checks of every set run in this process, then the runs two at a time,
    one a kernel; every example is tried, and every failure reported."""
    failed: list[str] = []
    cases: list[tuple[dict[str, Any], Case]] = []
    for values in examples:
        try:
            case = case_of(chapter, values, note=_noted)
        except AssertionError as exc:
            failed.append(f"{values!r}:\n  {exc}")
            continue
        if case is not None:
            cases.append((values, case))
    refused = [parameters_check(case) for _, case in cases]
    kernels = kernels_for(chapter)
    for k in kernels:  # started here, one after the other; each then runs in one thread only
        if k.km is None:
            k.start()

    def run_share(i: int) -> list[str]:
        failed = []
        for (values, case), line in list(zip(cases, refused, strict=True))[i :: len(kernels)]:
            try:
                judge(case, line, kernels[i], note=_noted)
            except BaseException as exc:  # pytest.fail and assertions alike: report every example
                failed.append(f"{values!r}:\n  {exc}")
        return failed

    with ThreadPoolExecutor(len(kernels)) as pool:
        failed += [f for share in pool.map(run_share, range(len(kernels))) for f in share]
    assert not failed, f"{len(failed)} of {len(examples)} examples failed:\n" + "\n".join(failed)


def _make_bounds_test(chapter: Chapter):
    """The explicit examples (defaults, every bound, the regressions), in both profiles, two at a time."""

    @pytest.mark.slow  # each example runs the chapter, in a kernel
    @pytest.mark.together(chapter.name)
    def test() -> None:
        check_examples_run(chapter, bound_examples(chapter))

    test.__name__ = test.__qualname__ = f"test_{chapter.name}_runs_at_every_declared_bound"
    test.__doc__ = (
        f"{chapter.name}: its defaults, each parameter at each bound, choice and None (the others at their "
        "defaults), and its regressions run to the end, or are refused."
    )
    return test


def drawn_examples(chapter: Chapter) -> list[dict[str, Any]]:
    """The combinations Hypothesis draws for ``chapter``: as many as the profile says
    (tests/conftest.py), the same on every run and machine."""
    drawn: list[dict[str, Any]] = []

    @settings(  # max_examples: the profile's
        deadline=None,
        derandomize=True,  # the same draws on every run and machine: CI stays reproducible
        database=None,
        # no shrinking: each draw is a run of the chapter; a failure prints the values as drawn
        phases=(Phase.generate,),
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(values=chapter_values(chapter))
    def draw(values: dict[str, Any]) -> None:
        drawn.append(values)

    draw()
    return drawn


def _make_test(chapter: Chapter):
    """Combinations Hypothesis draws, as many as the profile says, run as the bounds are: drawn
    first, then their parameters checks in this process and their runs two at a time."""

    @pytest.mark.slow  # each example runs the chapter, in a kernel
    @pytest.mark.together(chapter.name)
    def test() -> None:
        examples = drawn_examples(chapter)
        assert examples, "Hypothesis drew no combination"
        check_examples_run(chapter, examples)

    test.__name__ = test.__qualname__ = f"test_{chapter.name}_runs_with_every_declared_value"
    test.__doc__ = (
        f"{chapter.name}: every value its parameters cell allows runs to the end, or is refused "
        "(as many combinations as the Hypothesis profile draws)."
    )
    return test


for _chapter in CHAPTERS:
    globals()[f"test_{_chapter.name}_runs_at_every_declared_bound"] = _make_bounds_test(_chapter)
    globals()[f"test_{_chapter.name}_runs_with_every_declared_value"] = _make_test(_chapter)


def test_every_chapter_declares_a_range_for_every_parameter():
    """A parameter without a range or choices would make 'every declared value' mean any value."""
    for chapter in CHAPTERS:
        for p in chapter.parameters:
            if _base_kind(p) != "bool":
                assert constraint_of(p) is not None, f"chapter {chapter.name}: {p.name} declares no range"


def test_bounds_are_inside_the_declaration():
    """The values always tried pass the CLI's validation (months compared as months)."""
    for chapter in CHAPTERS:
        for p in chapter.parameters:
            for value in declared(p)[1]:
                resolve([chapter], {}, {chapter.name: {p.name: as_text(value)}})

"""Every value a chapter declares allowed runs: the declared range is exactly what works.

For each chapter and each parameter, Hypothesis draws values inside the range
written at the start of the parameter's comment (``(0, 1e8]``, ``[low | mid |
high]``, ``[2001-06, 2003-06]``), of the annotation's type, ``None`` where the
annotation allows it, together with values of the chapter's other parameters.
Every bound is tried on every run: a closed end as it is, an open end by the
nearest value inside it, each listed choice, and ``None``, each as an explicit
example with the other parameters at their defaults.

Each drawn set goes through the CLI's own validation (:func:`iijbook_build.inputs.resolve`,
with the values as text, as ``-p`` passes them). If it refuses, that refusal is
the outcome: nothing runs. Otherwise the chapter runs with the converted values
and must reach its end, answering every ``{eval}`` its pages cite. The one refusal
allowed inside the notebook is a :class:`~iijbook.params.ParameterError` from the
cell after the parameters cell that names two or more parameters, one of them
changed from its default: a constraint between parameters, which no single range
can state. A run must also answer every ``{eval}`` its pages cite, show no ``nan`` or
``inf``, and write nothing to stderr.

Runs reuse one kernel per chapter (:mod:`tests.chapter_kernel`); a run costs
well under a second instead of a kernel start.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from iijbook.datafiles import data_dir
from iijbook.params import ParameterError, constraint_of
from iijbook_build.inputs import Chapter, Parameter, discover, resolve
from iijbook_build.preflight import Check, check_sources, refusals

from .chapter_kernel import ChapterKernel

#: Random combinations per chapter, on top of the explicit bound examples.
MAX_EXAMPLES = 15

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

_kernels: dict[str, ChapterKernel] = {}


def kernel_for(chapter: Chapter) -> ChapterKernel:
    """The kernel of ``chapter``; at most one is alive (tests run chapter by chapter)."""
    if chapter.name not in _kernels:
        for k in _kernels.values():
            k.shutdown()
        _kernels.clear()
        k = ChapterKernel(chapter)
        k.start()
        _kernels[chapter.name] = k
    return _kernels[chapter.name]


@pytest.fixture(scope="module", autouse=True)
def _stop_kernels():
    yield
    for k in _kernels.values():
        k.shutdown()
    _kernels.clear()


def _names_in(text: str, chapter: Chapter) -> list[str]:
    return [p.name for p in chapter.parameters if re.search(rf"\b{re.escape(p.name)}\b", text)]


def check_declared_values_run(chapter: Chapter, values: dict[str, Any]) -> None:
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
        event("refused by the CLI's validation")
        return
    # what no single range says, the chapter's parameters-check cell says: the build runs it
    # before any chapter runs, and a refusal there must name the parameters that do not go together
    sources = check_sources(nbformat.read(chapter.path, as_version=4))
    if converted and sources:
        check = Check(chapter.name, *sources, converted, str(chapter.path.parent))
        refused = refusals([check], data=data_dir(), timeout=120)
        if refused:
            named = _names_in(refused[0], chapter)
            assert len(named) >= 2 or set(named) & set(given_text), (
                f"{where}: refused unclearly: {refused[0]}"
            )
            assert "its parameters check failed" not in refused[0], f"{where}: {refused[0]}"
            event("refused before anything runs: parameters that do not go together")
            return
    result = kernel_for(chapter).run(converted)
    failure = result.failure
    if failure is not None:
        pytest.fail(f"{where} (injected: {converted!r}) fails in {failure}", pytrace=False)
    missing = kernel_for(chapter).references - set(result.glued)
    assert not missing, f"{where}: the page cites values this run could not give: {sorted(missing)}"
    broken = {name: text for name, text in result.glued.items() if _NOT_A_NUMBER.search(text)}
    assert not broken, f"{where}: the page would show a number that is not one: {broken}"
    assert not result.stderr, (
        f"{where}: the run wrote to stderr (a warning?): {''.join(result.stderr)[:2000]}"
    )
    event("ran to the end")


def _make_test(chapter: Chapter):
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,  # the same draws on every run and machine: CI stays reproducible
        database=None,
        # no shrinking: each try is a run of the chapter; a failure prints the values as drawn
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(values=chapter_values(chapter))
    def test(values: dict[str, Any]) -> None:
        check_declared_values_run(chapter, values)

    for values in reversed(bound_examples(chapter)):  # decorators apply inside out: keep book order
        test = example(values=values)(test)
    test.__name__ = test.__qualname__ = f"test_{chapter.name}_runs_with_every_declared_value"
    test.__doc__ = f"{chapter.name}: every value its parameters cell allows runs to the end, or is refused."
    return test


for _chapter in CHAPTERS:
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

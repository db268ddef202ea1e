"""The CAPEX chapter's derivations, checked against hand computation.

D&A, capital intensity, the scenario and an entered CAPEX figure are computed in the chapter's
visible cells; the tests read the values its prose cites and the results its cells show: at the
defaults in the book build's executed copy, with other parameters from runs in one kernel.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from .conftest import chapter_runs, executed_copy, glued_values

#: The values the capex chapter's prose cites, by the names these tests use: each is an
#: {eval} expression of the chapter (a formatting call on a value the chapter computed).
CITED = {
    "da_2q02": 'millions(da["2Q02"].value)',
    "da_2q02_lo": 'millions(da["2Q02"].interval.lo)',
    "da_2q02_hi": 'millions(da["2Q02"].interval.hi)',
    "ebitda_2q02": 'millions(ebitda["2Q02"].value)',
    "oi_2q02": 'millions(oi["2Q02"].value)',
    "repl_2q02": 'fmt.pct(replacement["2Q02"])',
    "da_1q02": 'millions(da["1Q02"].value)',
    "da_1q02_lo": 'millions(da["1Q02"].interval.lo)',
    "da_1q02_hi": 'millions(da["1Q02"].interval.hi)',
    "ebitda_1q02": 'millions(ebitda["1Q02"].value)',
    "oi_1q02": 'millions(oi["1Q02"].value)',
    "repl_1q02": 'fmt.pct(replacement["1Q02"])',
    "da_qoq": "fmt.pct(da_growth_qoq, signed=True)",
    "da_h1_text": "millions(da_h1.value)",
    "da_qoq_lo": "fmt.pct(da_growth_range.lo, signed=True)",
    "da_qoq_hi": "fmt.pct(da_growth_range.hi, signed=True)",
    "dc_existing": 'fmt.count(data.figure("data_centers_existing").value)',
    "dc_planned": 'Text(data.figure("data_centers_planned").printed)',
    "rooms_open": 'fmt.area(rooms["opening"].sum())',
    "rooms_total": 'fmt.area(rooms["total"].sum())',
    "rooms_share": 'fmt.pct(rooms["opening"].sum() / rooms["total"].sum(), 0)',
    "rev_2q02": "fmt.yen(rev.value)",
    "em_2q02": "fmt.pct(ebitda_margin)",
    "scen_intensity": "fmt.pct(intensity)",
    "scen_source": "intensity_source",
    "scen_capex": "millions(scenario_capex)",
    "scen_vs_da": "Text(f\"{scenario['times D&A']:.2f}\")",
    "scen_less": 'millions(scenario["EBITDA less CAPEX"])',
    "scen_verdict": "verdict",
    "da_3q02": 'millions(da_path["3Q02"]["value"])',
    "da_4q02": 'millions(da_path["4Q02"]["value"])',
    "da_fy2001": 'millions(da_path["FY2001"]["value"])',
    "da_fy2002": 'millions(da_path["FY2002"]["value"])',
    "ex15_intensity": "fmt.pct(EX_INTENSITY, 0)",
    "ex15_capex": 'millions(ex15["CAPEX"])',
    "ex15_vs_da": "Text(f\"{ex15['times D&A']:.2f}\")",
    "ex15_less": 'millions(ex15["EBITDA less CAPEX"])',
    "ex_be_vs_da": "Text(f\"{be['times D&A']:.2f}\")",
    "ex_be_shrink": 'millions(-be["net investment"])',
}


def cited(notebook: Path, **options) -> dict[str, str]:
    """The values the prose cites, by expression and by the names of :data:`CITED`."""
    return glued_values(notebook, names=CITED, **options)


run = chapter_runs("capex")


def cell_text(notebook, cell_id: str, mime: str = "text/plain") -> str:
    """What a cell of the executed chapter shows, in one format."""
    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if c.get("id") == cell_id)
    return "".join(o["data"][mime] for o in cell.outputs if mime in o.get("data", {}))


@pytest.fixture(scope="module")
def default_run(built_book):
    return executed_copy(built_book, "capex")


def test_depreciation_path_by_hand(default_run):
    g = cited(default_run, unquote=True)
    assert g["da_2q02"] == "¥856M"  # 662 + 194
    assert g["da_h1_text"] == "¥1,652M"  # 796.228 + 856
    assert g["da_qoq"] == "+7.5%"  # 856 / 796.228 − 1
    # the range: 855 / 806.73 − 1 = +6.0% to 857 / 786.16 − 1 = +9.0% (1Q02 from "doubled", 1.95 to 2.05)
    assert (g["da_qoq_lo"], g["da_qoq_hi"]) == ("+6.0%", "+9.0%")
    # no annualised "run-rate": two quarters do not make one
    text = "".join(c.source for c in nbformat.read(default_run, as_version=4).cells)
    assert "run-rate" not in text and "da_year" not in text


def test_replacement_intensity_by_hand(default_run):
    g = cited(default_run, unquote=True)
    # 2Q02: 856 / 10,600 = 8.075%; 1Q02: 796.228 / 9,878.84 = 8.060%
    assert (g["repl_2q02"], g["repl_1q02"]) == ("8.1%", "8.1%")
    # 2Q02 bounds: 855 / 10,650 = 8.028%; 857 / 10,550 = 8.123%
    assert "8.08% (8.03% to 8.12%)" in cell_text(default_run, "capex-d4")
    assert g["em_2q02"] == "6.2%"  # 662 / 10,600 = 6.245%


def test_scenario_and_capex_equal_to_ebitda_by_hand(default_run):
    g = cited(default_run, unquote=True)
    # the default scenario: CAPEX equal to D&A, 856 / 10,600 = 8.1% of revenues
    assert (g["scen_intensity"], g["scen_capex"], g["scen_vs_da"]) == ("8.1%", "¥856M", "1.00")
    assert g["scen_less"] == "\u2212\u2060¥194M"  # 662 − 856: the operating loss again
    # the exercise at 15%: 10,600 × 0.15 = 1,590M, 1,590 / 856 = 1.86 times D&A, 662 − 1,590 = −928M
    assert (g["ex15_capex"], g["ex15_vs_da"]) == ("¥1,590M", "1.86")
    assert g["ex15_less"] == "\u2212\u2060¥928M"
    # CAPEX equal to EBITDA: 662 / 856 = 0.77 times D&A; book value falls by 856 − 662 = 194M
    assert (g["ex_be_vs_da"], g["ex_be_shrink"]) == ("0.77", "¥194M")


def test_later_depreciation_from_the_record_by_hand(default_run):
    g = cited(default_run, unquote=True)
    # 4Q02 = EBITDA 459 − (−446) = 905; 3Q02 = 459 / 1.32 + 567 = 347.7 + 567 = 914.7 (EBITDA from
    # 4Q02's +32% QoQ); FY2001 = 3.0B − 54M = 2,946M; FY2002 = 1.8B + 1.7B = 3,500M
    assert (g["da_3q02"], g["da_4q02"]) == ("¥915M", "¥905M")
    assert (g["da_fy2001"], g["da_fy2002"]) == ("¥2,946M", "¥3,500M")
    nb = nbformat.read(default_run, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "capex-d7")
    assert "hindsight" in cell.metadata["tags"] and cell.source.startswith("# Hindsight:")


def test_ebitda_is_not_called_cash(default_run):
    text = "".join(
        c.source for c in nbformat.read(default_run, as_version=4).cells if c.cell_type == "markdown"
    )
    assert "what operations earned" not in text and "operations just pay" not in text
    assert "EBITDA is not cash flow" in text


def test_server_rooms_from_the_release_tables(default_run):
    g = cited(default_run, unquote=True)
    # opening: 4,353 + 2,038 = 6,391; in total 12,911 + 4,736 = 17,647; 6,391 / 17,647 = 36%
    assert (g["rooms_open"], g["rooms_total"], g["rooms_share"]) == ("6,391 m²", "17,647 m²", "36%")
    # later steps: Yokohama 1, 5,717 + 2,841 = 8,558; Saitama 1, 2,058 + 640 = 2,698; STEP1 opens 2003-01
    table = cell_text(default_run, "capex-10", "text/html")
    assert "8,558 m²" in table and "2,698 m²" in table
    assert table.count("2003-01") == 2


def test_capex_runs_with_an_entered_figure(run):
    out = run({"capex_jpy": 1.2e9})
    glued = cited(out, unquote=True)
    # By hand: 1,200 / 10,600 = 11.3%; 1,200 / 856 = 1.40; 662 − 1,200 = −538M
    md = cited(out, mime="text/markdown")["entered_md"]
    assert "capital intensity of **11.3%**, 1.40 times the D&A proxy" in md
    assert "EBITDA less CAPEX was \u2212\u2060¥538M" in md
    # the default scenario is unchanged: CAPEX equal to D&A, 856 / 10,600 = 8.1%
    assert glued["scen_intensity"] == "8.1%"
    assert glued["scen_capex"] == "¥856M"
    # the entered figure is named as the reader's, not the release's
    assert "not a figure from the release" in md
    assert "grew by about ¥344M" in md  # net investment: 1,200 − 856

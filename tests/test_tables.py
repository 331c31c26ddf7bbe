"""Tables that fit and say what they are (issue 14, items 2 and 4): golden text of `run`,
`compare` and `explain` at 80 and 120 columns, and no line of any table on the shipped
scenarios longer than the terminal, nor a cell cut with "…".

The golden files are the terminal tables (rich's Console at that width, colours stripped) for
tests/golden/tables.yaml. To write them anew after a deliberate change of the tables:
``SIM_UPDATE_GOLDEN=1 python -m pytest tests/test_tables.py`` — then read the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import sim
from sim.report.analysis import render_comparisons, render_explanations, render_solutions
from sim.report.render import Section, render_table, text_report

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIO = "tests/golden/tables.yaml"  # relative, so the notes name it the same everywhere
SETTINGS = {"paths": 4000, "seed": 1, "workers": 1, "progress": False}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def results():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return {
            "run": sim.run(SCENARIO, **SETTINGS),
            "compare": sim.compare(SCENARIO, **SETTINGS),
            "explain": sim.explain(SCENARIO, **SETTINGS),
        }
    finally:
        os.chdir(cwd)


def text(results, kind: str, width: int) -> str:
    result = results[kind]
    if kind == "run":
        rendered = render_table(list(result.runs), True, width)
    elif kind == "compare":
        rendered = render_comparisons(list(result.comparisons), "table", True, width)
    else:
        rendered = render_explanations(list(result.explanations), "table", True, width)
    return ANSI.sub("", rendered)


def fits(rendered: str, width: int) -> None:
    for line in rendered.splitlines():
        assert len(line) <= width, line
    assert "…" not in rendered


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("kind", ["run", "compare", "explain"])
def test_golden_tables(results, kind, width):
    rendered = text(results, kind, width)
    fits(rendered, width)
    golden = GOLDEN / f"{kind}_{width}.txt"
    if os.environ.get("SIM_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_labels_and_windows(results):
    run = text(results, "run", 120)
    assert " ".join(run.split()).startswith(
        "Windows, the 12 months ending with each deadline: Northland Jan–Dec 2027; Southland "
        "FY2027-28 (Jul 2027–Jun 2028). Money in USD million."
    )
    header = next(line for line in run.splitlines() if line.startswith("Country"))
    assert "±MC (95%)" in header and "interval" not in header
    assert (
        "±MC (95%): the Monte Carlo precision of P(target), a 95% interval that more paths "
        "narrow; not uncertainty about the world, which the scenario's ranges carry."
    ) in " ".join(run.split())
    assert (
        "railway: A railway that cannot open before 2030. (0% for Northland and Southland: it "
        "can start no earlier than Jan 2030, after the deadline.)"
    ) in " ".join(run.split())
    compare = " ".join(text(results, "compare", 120).split())
    assert compare.startswith(
        "Windows, the 12 months ending with each deadline: Northland Jan–Dec 2027; Southland "
        "FY2027-28 (Jul 2027–Jun 2028)."
    )
    assert "±MC (95%): the Monte Carlo precision of the difference" in compare


def test_explain_says_why_an_effect_is_zero_and_that_effects_interact(results):
    explain = " ".join(text(results, "explain", 120).split())
    assert (
        "Northland: what the events do to P(target), trade in Jan–Dec 2027 (23.6% with all of "
        "them)" in explain
    )
    assert (
        "flood_2025: A flood shut the pass in autumn 2025. (Effect +0.00 pts: it ends before the "
        "target window (Jan–Dec 2027) for every onset, and it changes trade only while it lasts.)"
    ) in explain
    assert "(Effect +0.00 pts: it does not act on Southland's routes or trade.)" in explain
    assert (
        "railway: A railway that cannot open before 2030. (Effect +0.00 pts: it can start no "
        "earlier than Jan 2030, after the target window.)" in explain
    )
    ((_, _, explanation),) = results["explain"].explanations
    attributions = explanation.attributions  # results[0]: Northland
    singles = sum(a.results[0].difference.estimate for a in attributions if a.event)
    together = next(a.results[0].difference.estimate for a in attributions if a.event is None)
    assert abs(singles - together) > 0.001  # the case the sentence is for
    assert (
        f"The single-event effects add up to {singles * 100:+.2f} pts, but all events together "
        f"change P(target) by {together * 100:+.2f} pts: events interact"
    ) in explain
    assert "Growth rate" in explain and "countries.north.growth.rate" not in explain


def test_a_table_too_wide_for_any_split_becomes_blocks():
    section = Section(
        "Window: trade in Jan–Dec 2027.",
        ["Country", "Required\ngrowth", "Assumed\ngrowth", "±MC (95%)"],
        [["Kazakhstan", "+109%/yr", "+8% (-1 to +17%)", "0.04–0.06%"]],
    )
    rendered = text_report([section], ["A note."], rich_output=False, width=30)
    assert [line.rstrip() for line in rendered.splitlines()] == [
        "Window: trade in Jan–Dec 2027.",
        "Kazakhstan",
        "  Required       +109%/yr",
        "  growth",
        "  Assumed        +8% (-1 to",
        "  growth         +17%)",
        "  ±MC (95%)      0.04–0.06%",
        "",
        "A note.",
    ]
    fits(rendered, 30)


def test_piped_tables_are_never_folded(results):
    rendered = render_table(list(results["run"].runs), False)
    assert len(rendered.splitlines()[1]) > 80  # one line per row, however long


@pytest.mark.parametrize("name", ["kazakhstan", "uzbekistan", "kyrgyzstan", "central_asia"])
def test_shipped_scenarios_fit_80_columns(name):
    path = str(ROOT / "scenarios" / f"{name}.yaml")
    settings = {**SETTINGS, "paths": 2000}
    fits(ANSI.sub("", render_table(list(sim.run(path, **settings).runs), True, 80)), 80)
    scenario = sim.load(path)
    if scenario.variants:
        comparisons = list(sim.compare(path, **settings).comparisons)
        fits(ANSI.sub("", render_comparisons(comparisons, "table", True, 80)), 80)
    country = next(iter(scenario.spec.countries))
    solved = sim.solve(path, country=country, probability=0.5, field="growth.rate", **settings)
    fits(ANSI.sub("", render_solutions(list(solved.solutions), "table", True, 80)), 80)
    if name != "central_asia":  # the same tables, three times the inputs
        explained = list(sim.explain(path, **{**settings, "paths": 1000}).explanations)
        fits(ANSI.sub("", render_explanations(explained, "table", True, 80)), 80)

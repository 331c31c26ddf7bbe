"""Joint outcomes of a file with several countries (how many targets a path meets, each
country on its own target in its own window): the summary, every output format, and the joint
rows of compare and explain."""

from __future__ import annotations

import csv
import io
import math
import re

import numpy as np
import pytest

import sim
from conftest import write
from sim.analysis.estimate import proportion_interval
from sim.analysis.joint import all_met, any_met, joint_summary, met_counts
from sim.report.render import render_table

TWO = """\
name: two
correlation:
  growth:
    a: {b: 0.6}
  source: judgement, for the test
countries:
  a:
    label: Aland
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth: {rate: 0% to 30%}
  b:
    label: Bland
    baseline: {value: 100, period: 2025}
    target: {value: 170, by: 2029-30}
    growth: {rate: 0% to 30%, volatility: 10%}
  c:
    label: Cland
    baseline: {value: 50, period: 2025}
    target: {value: 60, by: 2027}
    growth: {rate: -5% to 25%}
events:
  squeeze:
    rate: 0.2 to 0.6
    duration: 3 to 9
    level: -40% to -10%
  deal:
    start: 2026-01/2026-12
    probability: 30%
    duration: 12
    level: +20% to +50%
variants:
  independent:
    description: no correlation
    correlation: null
  same:
    description: changes nothing
    countries.a.label: Aland
"""

ONE = """\
name: one
countries:
  a:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth: {rate: 0% to 30%}
"""

SETTINGS = {"paths": 20_000, "seed": 3, "workers": 1}


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("joint"), TWO)
    return path, sim.run(path, keep_paths=True, **SETTINGS)


def test_the_summary_counts_paths_that_meet_that_many_targets(three):
    _, result = three
    (outcomes,) = result.outcomes
    met = [o.met for o in outcomes.countries]
    joint = joint_summary(outcomes)
    assert joint is not None and joint.countries == ("a", "b", "c")
    counts = met[0].astype(int) + met[1] + met[2]
    for k, share in enumerate(joint.count):
        assert share.probability == np.mean(counts == k)
        low, high = proportion_interval(counts == k, True)
        assert (share.ci_low, share.ci_high) == (low, high) and low <= share.probability <= high
    for k, share in enumerate(joint.at_least, 1):
        assert share.probability == np.mean(counts >= k)
    assert joint.all.probability == np.mean(met[0] & met[1] & met[2]) > 0
    assert joint.none.probability == np.mean(~(met[0] | met[1] | met[2])) > 0
    assert math.fsum(s.probability for s in joint.count) == pytest.approx(1, abs=1e-12)
    assert np.array_equal(met_counts(met), counts)
    assert np.array_equal(all_met(outcomes, ["a", "c"]), met[0] & met[2])
    assert np.array_equal(any_met(outcomes), counts > 0)
    # the run's summary carries it
    assert result.runs[0].joint == joint


def test_json_has_a_joint_object_per_run_with_several_countries(three, tmp_path):
    _, result = three
    run = result.to_dict()["runs"][0]
    joint = run["joint"]
    summary = result.runs[0].joint
    assert joint["countries"] == ["a", "b", "c"]
    assert joint["all"] == {
        "probability": summary.all.probability,
        "ci_low": summary.all.ci_low,
        "ci_high": summary.all.ci_high,
    }
    assert joint["none"]["probability"] == summary.none.probability
    assert [row["k"] for row in joint["at_least"]] == [1, 2, 3]
    assert [row["k"] for row in joint["count"]] == [0, 1, 2, 3]
    assert joint["at_least"][-1] == {"k": 3, **joint["all"]}
    assert joint["count"][0] == {"k": 0, **joint["none"]}
    assert "own window" in joint["note"]
    assert run["correlation"] == {
        "growth": [{"a": "a", "b": "b", "value": 0.6}],
        "source": "judgement, for the test",
    }
    # one country: no joint object, no correlation, as before
    alone = sim.run(write(tmp_path, ONE), **SETTINGS).to_dict()["runs"][0]
    assert "joint" not in alone and "correlation" not in alone


def test_csv_has_joint_rows_and_frames_keep_them_apart(three):
    _, result = three
    rows = list(csv.DictReader(io.StringIO(result.render("csv"))))
    joint = [r for r in rows if r["joint"]]
    summary = result.runs[0].joint
    assert [(r["joint"], r["k"]) for r in joint] == [
        ("at_least", "1"),
        ("at_least", "2"),
        ("at_least", "3"),
        ("count", "0"),
        ("count", "1"),
        ("count", "2"),
        ("count", "3"),
    ]
    assert all(r["country"] == "" and r["window"] == "" for r in joint)
    assert float(joint[2]["probability"]) == pytest.approx(summary.all.probability, rel=1e-9)
    assert joint[2]["label"] == "3 of 3 targets met, or more"
    pandas = pytest.importorskip("pandas")
    frame = result.to_frame()
    assert list(frame["country"]) == ["a", "b", "c"] and "joint" not in frame.columns
    table = result.joint()
    assert isinstance(table, pandas.DataFrame) and len(table) == 7
    assert table["probability"].iloc[2] == summary.all.probability


def test_the_table_has_a_joint_section_that_fits_80_columns(three):
    _, result = three
    text = render_table(list(result.runs), True, 80)
    start = text.index("Joint: ")
    section = text[start : text.index("By year")]
    summary = result.runs[0].joint
    lines = section.splitlines()
    assert all(len(line) <= 80 for line in lines)
    rows = [line for line in lines if re.match(r"(all|at least|none|exactly)\b", line)]
    cells = {line.split("  ")[0].strip(): line.split()[-2:] for line in rows}
    assert list(cells) == ["all 3", "at least 2", "at least 1", "none", "exactly 2", "exactly 1"]
    assert cells["none"][0] == f"{summary.none.probability * 100:.1f}%"
    assert "Trend growth correlated between countries (correlation.growth): Aland–Bland 0.6" in (
        " ".join(section.split())
    )
    markdown = result.render("markdown")
    assert "| all 3 |" in markdown
    assert "Correlation: trend growth correlated between countries" in markdown
    alone = sim.run(ONE, **SETTINGS).render("table")
    assert "Joint" not in alone


def test_compare_pairs_the_joint_outcomes(three):
    path, result = three
    comparisons = {c.variant: c for c in sim.compare(path, **SETTINGS).comparisons}
    summary = result.runs[0].joint
    same = comparisons["same"].joint
    assert [j.outcome for j in same] == ["all", "at_least_one"]
    assert same[0].base == same[0].other == summary.all.probability
    assert same[1].base == pytest.approx(1 - summary.none.probability, abs=1e-15)
    assert same[0].difference.estimate == 0 and same[0].difference.se == 0
    independent = comparisons["independent"].joint[0]
    section = "correlation:\n  growth:\n    a: {b: 0.6}\n  source: judgement, for the test\n"
    without = path.read_text().replace(section, "").split("variants:")[0]
    other = sim.run(without, **SETTINGS)
    assert independent.other == other.runs[0].joint.all.probability
    assert independent.difference.estimate == pytest.approx(independent.other - independent.base)
    assert independent.difference.estimate < 0  # positive correlation: all met more often
    document = sim.compare(path, variants=["same"], **SETTINGS).to_dict()["comparisons"][0]
    assert [j["outcome"] for j in document["joint"]] == ["all", "at_least_one"]
    assert document["joint"][0]["countries"] == ["a", "b", "c"]
    text = sim.compare(path, variants=["same"], **SETTINGS).render("table")
    assert "all met (joint)" in text and "any met (joint)" in text


def test_explain_gives_each_events_effect_on_the_joint_outcomes(three):
    path, _ = three
    quick = sim.explain(path, paths=20_000, seed=3, workers=1).explanations[0][2]
    full = sim.explain(path, paths=20_000, seed=3, workers=1, rerun=True).explanations[0][2]
    for a, b in zip(quick.attributions, full.attributions, strict=True):
        assert (
            [j.outcome for j in a.joint]
            == [j.outcome for j in b.joint]
            == [
                "all",
                "at_least_one",
            ]
        )
        # worked out in one pass, the joint effects are those of a run without the event
        assert a.joint == b.joint
    # the re-simulated effect is P(with) − P(without) of two runs on the same paths
    squeeze = full.attributions[0].joint[0]
    assert squeeze.difference.estimate == pytest.approx(squeeze.other - squeeze.base, abs=1e-15)
    assert squeeze.difference.estimate < 0  # a squeeze costs the region
    document = sim.explain(path, **SETTINGS).to_dict()["explanations"][0]
    assert {(j["event"], j["outcome"]) for j in document["joint"]} == {
        (event, outcome)
        for event in ("squeeze", "deal", None)
        for outcome in ("all", "at_least_one")
    }
    text = sim.explain(path, **SETTINGS).render("table")
    assert "All 3 countries together" in text and "at least one" in text

"""Variants, compare, explain, solve and plot: closed forms and contracts."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import optimize, stats

from conftest import write
from sim.analysis.compare import differences, paired_difference
from sim.analysis.explain import explain, uncertain_inputs, with_country
from sim.analysis.solve import solve
from sim.cli import cli
from sim.engine.outcomes import Plan
from sim.engine.run import simulate
from sim.errors import ScenarioError
from sim.scenario.compile import compile_scenario
from sim.scenario.load import load_scenario, load_with_variants

SIGMAS = 4.5

# One country, fixed baseline 120 over 2025 (run-rate 10 a month), no volatility or noise,
# growth "20% to 60%", target window 2027; a one-route closure event for attribution.
BASE = """\
name: analysis
routes:
  only: {}
countries:
  c:
    baseline: {value: 120, period: 2025}
    target: {value: TARGET, by: 2027}
    growth: {rate: 20% to 60%}
    routes: {only: 1}
events:
  closures:
    routes: [only]
    rate: 2
    duration: 0.5 to 2
    severity: 50% to 100%
variants:
  same:
    description: nothing changes
  later:
    countries.c.target.by: 2028
  no_closures:
    events.closures: null
"""


def g_star(target: float, year: int = 2027) -> float:
    """ln(1 + r*) at which the deterministic window trade equals ``target`` (no events)."""
    months = np.arange(12) + 12 * (year - 2025) - 5.5  # months from the baseline midpoint

    def gap(g):
        return 10 * np.exp(g * months / 12).sum() - target

    return optimize.brentq(gap, -3, 3, xtol=1e-14)


def text(target: float = 250.0) -> str:
    return BASE.replace("TARGET", repr(target))


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


# --- variants ------------------------------------------------------------------------------


def test_variants_apply_their_overrides(tmp_path):
    base, variants = load_with_variants(write(tmp_path, text()))
    by_name = {v.name: v for v in variants}
    assert set(by_name) == {"same", "later", "no_closures"}
    assert by_name["same"].overrides == () and by_name["same"].description == "nothing changes"
    assert by_name["later"].scenario.countries["c"].target.by.last == 2028 * 12 + 11
    assert "closures" not in by_name["no_closures"].scenario.events
    assert "closures" in base.events


def test_variant_problems_point_at_the_override(tmp_path):
    broken = (
        text()
        + """\
  broken:
    countries.c.growth.rate: -150%
    countries.d.growth.rate: 10%
    events.closures.duration: 0 to 2
"""
    )
    path = write(tmp_path, broken)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:24:30: variants.broken: countries.c.growth.rate: must be above -100% "
        "(a growth rate)",
        f"{path}:25:5: variants.broken: countries.d.growth.rate: the scenario has no countries.d",
        f"{path}:26:31: variants.broken: events.closures.duration: '0 to 2': an interval for a "
        "positive quantity is read as a lognormal, so both ends must be above 0; for a range "
        "that starts at 0 write {uniform: {low: 0, high: 2}} or "
        "{triangular: {low: 0, mode: ..., high: 2}}",
    ]


# --- compare -------------------------------------------------------------------------------


def test_compare_pairs_paths(tmp_path):
    path = write(tmp_path, text())
    document = json.loads(
        invoke("compare", str(path), "--paths", "20000", "--format", "json", "--method", "plain")
    )
    rows = {c["variant"]: c["results"][0] for c in document["comparisons"]}
    assert rows["same"]["difference"] == 0.0 and rows["same"]["se"] == 0.0
    assert rows["same"]["ci_low"] == 0.0 and rows["same"]["ci_high"] == 0.0
    # a later deadline and no closures can only help, path by path
    for name in ("later", "no_closures"):
        assert rows[name]["difference"] > 0 and rows[name]["ci_low"] > 0
        assert rows[name]["variant"] == pytest.approx(rows[name]["base"] + rows[name]["difference"])
    # with independent paths, pairing a monotone change narrows the interval
    for name in ("later", "no_closures"):
        assert rows[name]["se"] < rows[name]["independent_se"]
    antithetic = json.loads(invoke("compare", str(path), "--paths", "20000", "--format", "json"))
    same = antithetic["comparisons"][0]["results"][0]
    assert (same["difference"], same["se"]) == (0.0, 0.0)
    assert set(document["comparisons"][0]) == {
        "scenario",
        "file",
        "variant",
        "description",
        "overrides",
        "paths",
        "seed",
        "method",
        "scenario_sha256",
        "results",
    }


def test_dropping_a_negative_event_never_lowers_any_path(tmp_path):
    model = compile_scenario(load_scenario(write(tmp_path, text())))
    with_events = simulate(model, 20_000, 4)
    from sim.analysis.explain import without_events_of

    without = simulate(without_events_of(model, {"closures"}), 20_000, 4)
    assert np.all(without.countries[0].window_total >= with_events.countries[0].window_total)
    (row,) = differences(with_events, without)
    assert row.difference.estimate > 0


def test_paired_difference_of_identical_paths_is_exactly_zero():
    met = np.random.default_rng(0).random(1000) < 0.3
    difference = paired_difference(met, met)
    assert (difference.estimate, difference.se, difference.low, difference.high) == (0, 0, 0, 0)
    assert difference.independent_se == pytest.approx(math.sqrt(2 * 0.3 * 0.7 / 1000), rel=0.1)


def test_compare_choosing_variants_and_refusing_unknown_ones(tmp_path):
    path = write(tmp_path, text())
    output = invoke("compare", str(path), "--variant", "later", "--paths", "5000")
    assert "later" in output and "no_closures" not in output
    result = CliRunner().invoke(cli, ["compare", str(path), "--variant", "faster"])
    assert result.exit_code == 2
    assert result.output == (
        f"sim: {path} has no variant 'faster'; it has same, later, no_closures "
        "(see sim compare --help)\n"
    )
    plain = write(tmp_path, text().split("variants:")[0], "plain.yaml")
    result = CliRunner().invoke(cli, ["compare", str(plain)])
    assert result.exit_code == 2 and "has no variants" in result.output


# --- explain -------------------------------------------------------------------------------


def run_with(paths: int, seed: int = 2):
    return lambda model: simulate(model, paths, seed)


def test_explain_growth_rate_rows_are_certain_with_zero_volatility(tmp_path):
    # Without volatility or noise, holding the growth rate at its 10th percentile (r10 ≈ 25%)
    # misses a target that needs r* = 40%, and the 90th percentile (≈ 54%) meets it — unless
    # the closures take it away; with closures dropped the rows are exactly 0 and 1.
    g = math.log(1.40)
    target = 10 * np.exp(g * (np.arange(12) + 24 - 5.5) / 12).sum()
    scenario = text(float(target)).replace("events:", "unused_events:").split("unused_events:")[0]
    scenario = scenario.replace("    routes: {only: 1}\n", "")
    model = compile_scenario(load_scenario(write(tmp_path, scenario)))
    explanation = explain(model, Plan(2, 5000))
    (row,) = [s for s in explanation.sensitivities if s.input == "countries.c.growth.rate"]
    assert row.low_value < 0.40 < row.high_value
    assert (row.low.other, row.high.other) == (0.0, 1.0)


def test_explain_attribution_is_consistent(tmp_path):
    model = compile_scenario(load_scenario(write(tmp_path, text())))
    explanation = explain(model, Plan(2, 10_000))
    base = float((explanation.base.countries[0].window_total >= model.countries[0].target).mean())
    (closures,) = explanation.attributions  # one event: no separate "all events" row
    row = closures.results[0]
    assert row.other == base  # "with it" is the base run
    assert row.difference.estimate == pytest.approx(base - row.base, abs=1e-12)
    assert row.difference.estimate < 0  # closures cost
    inputs = {i.path for i in uncertain_inputs(model)}
    assert inputs == {
        "countries.c.growth.rate",
        "events.closures.duration",
        "events.closures.severity",
    }
    assert {s.input for s in explanation.sensitivities} == inputs
    swings = [abs(s.swing) for s in explanation.sensitivities]
    assert swings == sorted(swings, reverse=True)


def test_explain_json_keys(tmp_path):
    path = write(tmp_path, text())
    document = json.loads(invoke("explain", str(path), "--paths", "3000", "--format", "json"))
    (explanation,) = document["explanations"]
    assert set(explanation) == {
        "scenario",
        "file",
        "paths",
        "seed",
        "method",
        "scenario_sha256",
        "results",
    }
    (result,) = explanation["results"]
    assert set(result) == {"country", "label", "probability", "events", "all_events", "sensitivity"}
    assert set(result["events"][0]) == {
        "event",
        "without",
        "difference",
        "ci_low",
        "ci_high",
        "se",
        "independent_se",
    }
    assert set(result["sensitivity"][0]) == {
        "input",
        "low_value",
        "low",
        "high_value",
        "high",
        "swing",
        "swing_ci_low",
        "swing_ci_high",
    }


# --- solve ---------------------------------------------------------------------------------

NO_EVENTS = """\
name: solve
countries:
  c:
    baseline: {value: 120, period: 2025}
    target: {value: TARGET, by: 2027}
    growth: {rate: 20% to 60%}
"""


def test_solve_growth_rate_for_even_odds_gives_the_window_equation_root(tmp_path):
    target = 300.0
    model = compile_scenario(load_scenario(write(tmp_path, NO_EVENTS.replace("TARGET", "300"))))
    paths = 20_000
    answer = solve(model, "c", 0.5, "growth.rate", run_with(paths))
    # With zero volatility P = P(ln(1 + r) + shift >= g*): the shifted median is r* when P is
    # one half; the stopping rule leaves P within half a standard error of it, plus noise.
    s = (math.log(1.6) - math.log(1.2)) / (2 * stats.norm.ppf(0.95))
    p_at_answer = stats.norm.sf((g_star(target) - math.log1p(answer.value)) / s)
    se = math.sqrt(0.25 / paths)
    assert abs(p_at_answer - 0.5) <= (SIGMAS + 0.5) * se
    assert abs(answer.achieved - 0.5) <= 0.5 * se + 1e-12
    assert answer.field == "countries.c.growth.rate"
    # deterministic for a seed
    assert solve(model, "c", 0.5, "growth.rate", run_with(paths)) == answer


@pytest.mark.parametrize("probability", [0.01, 0.25, 0.5, 0.9])
def test_solve_target_is_the_turnover_that_share_of_paths_reaches(tmp_path, probability):
    model = compile_scenario(load_scenario(write(tmp_path, NO_EVENTS.replace("TARGET", "300"))))
    answer = solve(model, "c", probability, "target", run_with(8000))
    totals = np.sort(simulate(model, 8000, 2).countries[0].window_total)[::-1]
    chosen = totals[math.ceil(probability * 8000) - 1]  # reached by that share, no more
    assert answer.value == chosen
    assert np.mean(totals > chosen) < probability
    # P(target) is what a run at the answer gives, and it reaches the share asked for
    at_answer = simulate(with_country(model, 0, target=answer.value), 8000, 2).countries[0]
    assert answer.achieved == np.mean(at_answer.met) >= probability


def test_solve_refuses_what_it_cannot_answer(tmp_path):
    path = write(tmp_path, NO_EVENTS.replace("TARGET", "300"))
    for args, message in [
        (["--country", "x", "--probability", "0.5", "--for", "target"], "no country 'x'"),
        (
            ["--country", "c", "--probability", "0.5", "--for", "growth.rat"],
            "'countries.c.growth.rat' is not an input of the scenario",
        ),
        (["--country", "c", "--probability", "1.5", "--for", "target"], "Invalid value"),
    ]:
        result = CliRunner().invoke(cli, ["solve", str(path), *args])
        assert result.exit_code == 2 and message in result.output, result.output


def test_solve_json_keys(tmp_path):
    path = write(tmp_path, NO_EVENTS.replace("TARGET", "300"))
    document = json.loads(
        invoke(
            "solve",
            str(path),
            "--country",
            "c",
            "--probability",
            "0.5",
            "--for",
            "target",
            "--paths",
            "2000",
            "--format",
            "json",
        )
    )
    (solution,) = document["solutions"]
    assert set(solution) == {
        "scenario",
        "file",
        "country",
        "label",
        "window",
        "field",
        "probability",
        "value",
        "value_low",
        "value_high",
        "before",
        "shift",
        "shift_low",
        "shift_high",
        "achieved",
        "ci_low",
        "ci_high",
        "trials",
        "scout_trials",
        "scout_paths",
        "jump",
        "method",
        "paths",
        "seed",
        "scenario_sha256",
    }
    # the target's Monte Carlo interval holds the answer, and the target has no shift
    assert solution["value_low"] <= solution["value"] <= solution["value_high"]
    assert solution["shift_low"] == solution["shift_high"] == solution["shift"] == 0
    assert (solution["trials"], solution["scout_trials"], solution["scout_paths"]) == (2, 0, 0)


# --- plot ----------------------------------------------------------------------------------


def test_chart_data_of_a_deterministic_path(tmp_path):
    from sim.report.plot import chart_data

    fixed = NO_EVENTS.replace("TARGET", "300").replace("20% to 60%", "40%")
    model = compile_scenario(load_scenario(write(tmp_path, fixed)))
    (chart,) = chart_data(simulate(model, 100, 0, years=True))
    expected = [
        10 * np.exp(math.log(1.4) * (np.arange(12) + 12 * k - 5.5) / 12).sum() for k in (1, 2)
    ]
    for q in (5, 25, 50, 75, 95):
        assert chart.bands[q] == pytest.approx(expected, rel=1e-12)
    assert chart.window_names == ("2026", "2027")
    assert chart.years == pytest.approx([2026 + 6 / 12, 2027 + 6 / 12])
    assert chart.baseline == pytest.approx((120, 120, 120))
    assert chart.baseline_year == pytest.approx(2025.5)
    hits = [float(e >= 300) for e in expected]
    assert list(chart.met) == hits and list(chart.reached) == hits


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = write(tmp_path, text())
    target = tmp_path / "chart.png"
    result = CliRunner().invoke(cli, ["plot", str(path), "-o", str(target), "--paths", "2000"])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {target}\n"
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    path = write(tmp_path, text())
    result = CliRunner().invoke(
        cli, ["plot", str(path), "-o", str(tmp_path / "x.png"), "--paths", "500"]
    )
    assert result.exit_code == 1
    assert result.output == (
        "sim: charts need matplotlib; install it with: pip install '.[plot]' in sim's folder\n"
    )
    assert not (tmp_path / "x.png").exists()


def test_progress_bar_only_for_a_watched_terminal(monkeypatch):
    from sim.report import progress

    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    assert progress.wanted(5.0, machine_output_to_pipe=False)
    assert not progress.wanted(0.5, machine_output_to_pipe=False)
    assert not progress.wanted(5.0, machine_output_to_pipe=True)
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: False, raising=False)
    assert not progress.wanted(5.0, machine_output_to_pipe=False)


def test_solve_reports_a_jump_and_keeps_the_side_that_reaches(tmp_path):
    # A fixed growth rate and no volatility: every path is the same, so P(target) is 0 or 1
    # and jumps at r*; the answer must be the side where it is 1, with the jump reported.
    fixed = NO_EVENTS.replace("TARGET", "300").replace("20% to 60%", "50%")
    model = compile_scenario(load_scenario(write(tmp_path, fixed)))
    answer = solve(model, "c", 0.5, "growth.rate", run_with(2000))
    assert answer.achieved == 1.0 and answer.jump == (0.0, 1.0)
    assert math.log1p(answer.value) == pytest.approx(g_star(300.0), abs=1e-8)
    # no Monte Carlo error in where it jumps: the interval is the jump's two sides
    assert answer.value_low < answer.value == answer.value_high
    assert answer.value_high - answer.value_low < 1e-8

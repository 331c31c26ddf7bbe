"""Closed-form checks of SPEC semantics 5–6 (events and routes) within Monte Carlo error.

Every scenario here has one country with a fixed calendar-2025 baseline of 120 (run-rate 10 a
month, flat: growth 0) and a 2026 target window, so without events the window holds 120.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import model_of, run, write
from sim.analysis.summarise import summarise
from sim.cli import cli
from sim.engine.events import coverage, draw_onsets, recurring_onsets
from sim.scenario.compile import compile_scenario
from sim.scenario.load import load_scenario

SIGMAS = 4.5

BASE = """\
name: events
countries:
  c:
    baseline: {{value: 120, period: 2025}}
    target: {{value: {target}, by: 2026}}
    growth: {{rate: 0}}
{country_routes}
{sections}
"""


def scenario(target=1.0, country_routes="", sections=""):
    return BASE.format(target=target, country_routes=country_routes, sections=sections)


def totals(tmp_path, text, paths=20_000, seed=1):
    return run(tmp_path, text, paths, seed).countries[0].window_total


def assert_probability(estimate: float, expected: float, paths: int) -> None:
    se = math.sqrt(expected * (1 - expected) / paths)
    assert abs(estimate - expected) <= SIGMAS * se, (estimate, expected, se)


# A one-off permanent +100% level step from a uniform time in Jan 2026, with probability 30%.
RAILWAY = """\
events:
  railway:
    start: 2026-01
    probability: 30%
    level: 100%
"""

SEASONAL = """\
routes:
  kkh: {closed_months: [12, 1, 2, 3], reroute: 50%}
  afghan: {}
"""


def test_seasonal_closure_without_rerouting_gives_a_known_total(tmp_path):
    # The 2025 baseline (120) was observed with the pass shut 4 months of 12: the open-road
    # run-rate is 10 / (8/12) = 15 a month, and 2026's 8 open months give 120 again.
    text = scenario(country_routes="    routes: {kkh: 1}", sections=SEASONAL)
    assert totals(tmp_path, text, 100) == pytest.approx(np.full(100, 120.0), rel=1e-12)
    for target, probability in ((119.999, 1.0), (120.001, 0.0)):
        text = scenario(target, "    routes: {kkh: 1}", SEASONAL)
        assert np.mean(totals(tmp_path, text, 1000) >= target) == probability


def test_seasonal_closure_reroutes_to_the_open_route(tmp_path):
    # closed months: F = 0.6·1 + 0.4·(0 + 1·0.5·1) = 0.8, so the baseline year saw
    # (8 + 4·0.8)/12 of open-road trade; 2026 sees the same share of the open-road rate: 120
    routes = "    routes: {afghan: 0.6, kkh: 0.4}"
    assert totals(tmp_path, scenario(country_routes=routes, sections=SEASONAL), 100) == (
        pytest.approx(np.full(100, 120.0), rel=1e-12)
    )


def test_a_baseline_under_seasonal_closure_becomes_an_open_road_run_rate(tmp_path):
    """Jan–Jul 2025 observed with the pass shut in Jan–Mar (and Dec): the trend starts from
    the observed run-rate over the months' mean route factor, so a whole open year (2026,
    shut 4 months) has 8 months at the open-road rate; required growth is read from it."""
    text = BASE.format(target=1, country_routes="    routes: {kkh: 1}", sections=SEASONAL)
    text = text.replace("{value: 120, period: 2025}", "{value: 40, period: 2025-01/2025-07}")
    text = text.replace("by: 2026", "by: 2026")
    open_rate = (40 / 7) / (4 / 7)  # 3 of the 7 months shut: 10 a month on the open road
    assert totals(tmp_path, text, 100) == pytest.approx(np.full(100, 8 * open_rate), rel=1e-12)
    model = model_of(tmp_path, text)
    assert model.countries[0].open_share == pytest.approx(4 / 7)


@pytest.mark.parametrize(("severity", "duration"), [(1, 2.5), (0.4, 2.5), (1, 7.25)])
def test_one_off_closure_with_fixed_duration_removes_exactly_its_share(
    tmp_path, severity, duration
):
    # One route, closed for exactly d months from a uniform time in March 2026: whatever the
    # onset time, severity · d months of trade are lost: 10 · (12 − s·d) on every path.
    events = f"""\
routes:
  only: {{}}
events:
  closure:
    routes: [only]
    start: 2026-03
    duration: {duration}
    severity: {severity}
"""
    total = totals(tmp_path, scenario(country_routes="    routes: {only: 1}", sections=events))
    expected = 10 * (12 - severity * duration)
    assert total == pytest.approx(np.full(len(total), expected), rel=1e-12)


def test_one_off_level_step_decides_with_its_probability(tmp_path):
    # A permanent +100% level step from a uniform time in Jan 2026 with probability 30%: the
    # window holds 10·(24 − U) > 230 with the step and 120 without; a target of 200 is met
    # exactly when the step happens.
    paths = 40_000
    total = totals(tmp_path, scenario(sections=RAILWAY), paths)
    assert total[total < 200] == pytest.approx(np.full(np.sum(total < 200), 120.0), rel=1e-12)
    assert total[total >= 200].min() > 230 and total.max() <= 240
    assert_probability(np.mean(total >= 200), 0.30, paths)


def test_level_ramp_phases_the_step_in(tmp_path):
    # Ramp of 4 months from an onset at exactly the start of Jan 2026 (the uniform time within
    # the month is U; with a 12-month window the shortfall is linear in U, so check the mean):
    # month k (0 = Jan) gets 1 + min(1, (k + 1 − U) / 4) · cov, cov = 1 − U in Jan.
    events = """\
events:
  railway:
    start: 2026-01
    level: 100%
    ramp: 4
"""
    total = totals(tmp_path, scenario(sections=events), 40_000)
    u = (np.arange(20_000) + 0.5) / 20_000
    k = np.arange(12)[:, None]
    cov = np.where(k == 0, 1 - u, 1.0)
    expected = (10 * (1 + np.minimum(1, (k + 1 - u) / 4) * cov)).sum(axis=0).mean()
    se = total.std() / math.sqrt(len(total))
    assert abs(total.mean() - expected) <= SIGMAS * se


def test_growth_event_onset_within_its_month_gives_a_known_fraction(tmp_path):
    # A permanent +50%/yr growth change from time U in Jan 2026 adds ln(1.5)/12 · cov(t) to the
    # log level of every month, carried forward: month k has log shift a·(k + 1 − U), a =
    # ln(1.5)/12. The total falls as U rises, so P(total ≥ T(u*)) = u*.
    a = math.log(1.5) / 12
    u_star = 0.37
    target = 10 * sum(math.exp(a * (k + 1 - u_star)) for k in range(12))
    events = """\
events:
  pta:
    start: 2026-01
    growth: 50%
"""
    paths = 40_000
    total = totals(tmp_path, scenario(target, sections=events), paths)
    assert_probability(np.mean(total >= target), u_star, paths)


def test_recurring_event_onsets_follow_the_monthly_chance(tmp_path):
    # Rate 1.2 a year, very short closures: the window keeps all its trade exactly when no
    # month of 2026 has an onset: P = (e^{-1.2/12})^12 = e^{-1.2}.
    events = """\
routes:
  only: {}
events:
  closures:
    routes: [only]
    rate: 1.2
    duration: 0.001
    severity: 1
"""
    paths = 40_000
    text = scenario(119.9999, "    routes: {only: 1}", events)
    outcomes = run(tmp_path, text, paths)
    assert_probability(
        np.mean(outcomes.countries[0].window_total >= 119.9999), math.exp(-1.2), paths
    )
    # ... and the share of paths that saw the event before the deadline is 1 − e^{-1.2}
    seen = summarise(outcomes, "f").results[0].events["closures"]
    assert_probability(seen, 1 - math.exp(-1.2), paths)


@pytest.mark.parametrize("antithetic", [False, True])
def test_recurring_onsets_per_path_month_and_their_mirror(antithetic):
    months, paths, half = 48, 8192, 4096
    rate = np.full(paths, 3.0)  # chance 1 − e^{−1/4} ≈ 0.22 a month
    chance = -math.expm1(-0.25)

    def onsets(rates):
        month, path = recurring_onsets(rates, np.random.default_rng(5), months, antithetic)
        grid = np.zeros((months, paths), dtype=bool)
        grid[month, path] = True
        return grid

    grid = onsets(rate)
    for part in (grid[:, :half], grid[:, half:]):  # each half keeps the monthly chance
        se = math.sqrt(chance * (1 - chance) / part.size)
        assert abs(part.mean() - chance) <= SIGMAS * se
    mirrored_both = np.count_nonzero(grid[:, :half] & grid[:, half:])
    if antithetic:  # u < c and 1 − u < c cannot both hold when c < 1/2
        assert mirrored_both == 0
    else:  # independent: both with chance c²
        expected = chance**2 * months * half
        assert abs(mirrored_both - expected) <= SIGMAS * math.sqrt(expected)
    # a higher rate keeps every onset of the lower one (common random numbers)
    assert not np.any(grid & ~onsets(rate * 1.5))


def test_a_closure_hits_every_country_on_the_route_in_the_same_months(tmp_path):
    text = """\
name: shared
routes:
  only: {}
countries:
  a:
    baseline: {value: 120, period: 2025}
    target: {value: 1, by: 2026}
    growth: {rate: 0}
    routes: {only: 1}
  b:
    baseline: {value: 240, period: 2025}
    target: {value: 1, by: 2026}
    growth: {rate: 0}
    routes: {only: 1}
  c:
    baseline: {value: 120, period: 2025}
    target: {value: 1, by: 2026}
    growth: {rate: 0}
events:
  closures:
    routes: [only]
    rate: 2
    duration: 0.5 to 3
    severity: 50% to 100%
"""
    a, b, c = (o.window_total for o in run(tmp_path, text, 5000).countries)
    assert a == pytest.approx(b / 2, rel=1e-12)  # same months lost, b trades twice as much
    assert a.std() > 0 and (a < 120).mean() > 0.5
    assert c == pytest.approx(np.full(5000, 120.0), rel=1e-12)  # no routes: unaffected


def test_events_act_only_on_simulated_months(tmp_path):
    # A level step from 2025-06 on a country whose baseline runs to 2025-12: the step's
    # months before 2026 are observed, so the 2026 window sees the full step, nothing more.
    events = """\
events:
  step:
    start: 2025-06
    level: 50%
"""
    total = totals(tmp_path, scenario(sections=events), 100)
    assert total == pytest.approx(np.full(100, 180.0), rel=1e-12)


def test_coverage_of_an_onset_spanning_months(tmp_path):
    model = compile_scenario(
        load_scenario(
            write(
                tmp_path,
                scenario(
                    sections="events:\n  e:\n    start: 2026-03\n    duration: 2.5\n"
                    "    level: 100%\n"
                ),
            )
        )
    )
    onsets = draw_onsets(model.events[0], 3, 0, 4, model.months)
    covered = coverage(onsets, model.months, 4)
    for path in range(4):
        mine = covered.onset == path
        u = onsets.time[path]
        months = covered.month[mine]
        assert months.tolist() == list(range(int(u), math.ceil(u + 2.5)))
        assert covered.fraction[mine].sum() == pytest.approx(2.5, rel=1e-12)
        assert covered.fraction[mine][0] == pytest.approx(int(u) + 1 - u, rel=1e-12)


def test_json_reports_event_shares(tmp_path):
    path = write(tmp_path, scenario(sections=RAILWAY))
    result = CliRunner().invoke(cli, ["run", str(path), "--format", "json", "--paths", "40000"])
    share = json.loads(result.output)["runs"][0]["results"][0]["events"]["railway"]
    assert_probability(share, 0.30, 40_000)
    table = CliRunner().invoke(cli, ["run", str(path), "--paths", "40000"]).output
    assert "Events: share of paths with the event active before the deadline" in table
    assert "railway" in table


@settings(max_examples=200, deadline=None)
@given(
    times=st.lists(st.floats(-30, 40), min_size=1, max_size=12),
    durations=st.lists(st.one_of(st.floats(1e-6, 60), st.just(math.inf)), min_size=12, max_size=12),
    head=st.integers(1, 6),
)
def test_listed_months_and_runs_add_up_to_the_coverage(times, durations, head):
    from sim.engine.events import Grid, Onsets, _on_grid

    months, paths = 24, 2  # small, so that listing everything often costs too much: runs
    n = len(times)
    time = np.array(times)
    end = time + np.array(durations[:n])
    path = np.arange(n) % paths
    onsets = Onsets(path, time, end, {}, path)  # cells: no values are drawn here
    covered = coverage(onsets, months, paths, head)
    grid = _on_grid(covered, covered.fraction, np.ones(n), Grid(months, paths))
    expected = np.zeros((months, paths))
    for i in range(n):
        for t in range(months):
            expected[t, path[i]] += max(0.0, min(end[i], t + 1) - max(time[i], t))
    assert grid == pytest.approx(expected, abs=1e-9)
    # long onsets cost a run, not their months, once listing them all would cost more than
    # a grid array
    assert len(covered.cell) <= max(n * (head + 1), months * paths)


@settings(max_examples=200, deadline=None)
@given(
    shares=st.floats(0, 1),
    reroutes=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    seed=st.integers(0, 1000),
)
def test_two_route_factor_matches_spec_formula(shares, reroutes, seed):
    from sim.core.routes import route_factor

    rng = np.random.default_rng(seed)
    a, b = rng.random((6, 5)), rng.random((6, 1))  # one route may be a broadcast column
    share = ((0, shares), (1, 1 - shares))
    factor = route_factor(share, reroutes, [a, b])
    expected = shares * (a + (1 - a) * reroutes[0] * b) + (1 - shares) * (
        b + (1 - b) * reroutes[1] * a
    )
    assert factor == pytest.approx(expected, abs=1e-12)


def test_onsets_keep_their_values_when_other_onsets_come_or_go(tmp_path):
    # A higher rate adds onsets but leaves the existing ones (same month, same path) with the
    # same time and duration; a longer horizon leaves the earlier months as they were.
    def onsets(rate, horizon):
        text = scenario(
            country_routes="    routes: {only: 1}",
            sections=f"horizon: {horizon}\nroutes:\n  only: {{}}\nevents:\n  e:\n"
            f"    routes: [only]\n    rate: {rate}\n    duration: 0.5 to 3\n    severity: 1\n",
        )
        model = compile_scenario(load_scenario(write(tmp_path, text)))
        drawn = draw_onsets(model.events[0], 5, 0, 4096, model.months, grid_start=model.grid_start)
        return {
            (int(t), int(p)): (t, e)
            for t, e, p in zip(drawn.time, drawn.end, drawn.path, strict=True)
        }

    base, more, longer = onsets(2, 2026), onsets(2.5, 2026), onsets(2, 2028)
    assert set(base) < set(more)
    assert all(more[cell] == values for cell, values in base.items())
    assert all(longer[cell] == values for cell, values in base.items())

"""Variants worked out on a run's own paths (sim.engine.replay): each flag is the one a run of
the variant gives for that path, whatever the variant changes, the method, the blocks or the
workers — so `sim explain` in one pass gives the numbers of a run per variant."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from conftest import model_of
from sim.analysis.explain import explain, flags_kept, pass_cost, variants
from sim.core.model import Model
from sim.engine.events import Grid, Onsets, _on_grid, coverage, draw_onsets, onset_times
from sim.engine.outcomes import CountryTilt, Plan
from sim.engine.replay import Change, replay
from sim.engine.run import estimate_work, simulate
from sim.engine.streams import CHUNK

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
PATHS = CHUNK + 3_000  # a whole chunk and part of one

# Every kind of effect and input a variant can change: a growth event (carried forward), added
# trade on a route with a phase-in, long closures whose coverage is kept as runs rather than
# month by month, a one-off event, a choice, noise, mean reversion, two countries with
# different deadlines (one inside the first simulated year) and one without routes, to which
# an event adds trade carried over a route it does not trade on (so that route's closures
# reach it).
EVERYTHING = """\
name: everything
unit: USD million
horizon: 2031
routes:
  road: {reroute: 40%}
  pass: {closed_months: [1, 2], reroute: 20%}
countries:
  a:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth: {rate: 0% to 30%, long_run: 0% to 10%, half_life: 1 to 4, volatility: 10% to 30%,
             noise: 5% to 15%}
    routes: {road: 0.6, pass: 0.4}
  b:
    baseline: {value: 50, period: 2025}
    target: {value: 58, by: 2026}
    growth: {rate: {choice: {values: [0.05, 0.1, 0.2]}}, volatility: 20%}
    routes: {road: 1}
  c:
    baseline: {value: 20, period: 2025}
    target: {value: 30, by: 2029}
    growth: {rate: 5% to 25%}
events:
  closures:
    routes: [road]
    rate: 0.5 to 3
    duration: 0.2 to 4
    severity: 50% to 100%
  blockade:
    routes: [pass]
    rate: 2 to 6
    duration: 20 to 60
    severity: 20% to 60%
  deal:
    countries: [a, c]
    start: 2026-03/2027-06
    probability: 30% to 70%
    growth: 5% to 20%
    duration: 12 to 30
  corridor:
    countries: [a, b]
    routes: [road]
    start: 2026-06
    add: 5 to 20
    ramp: 6
  depot:
    countries: [c]
    routes: [pass]
    start: 2026-01/2026-12
    probability: 60%
    add: 2 to 8
  squeeze:
    countries: [b, c]
    rate: 0.2 to 0.6
    duration: 3 to 9
    level: -40% to -10%
"""


def every_variant(model: Model) -> list[Change]:
    dropped, held = variants(model)
    return [change for _, change in dropped] + [change for _, change in held]


def assert_runs_agree(model: Model, plan: Plan, changes: list[Change]) -> None:
    """Replayed flags are a run's of each variant, path by path; the run is a run."""
    base, flags = replay(model, plan, changes)
    run = simulate(model, plan.paths, plan.seed, method=plan.method)
    for mine, theirs in zip(base.countries, run.countries, strict=True):
        assert np.array_equal(mine.met, theirs.met)
        assert np.array_equal(mine.window_total, theirs.window_total)
        assert np.array_equal(mine.met_in_year, theirs.met_in_year)
        assert np.array_equal(mine.reached_by_year, theirs.reached_by_year)
        assert mine.event_paths == theirs.event_paths
    for change, met in zip(changes, flags, strict=True):
        other = simulate(change.model, plan.paths, plan.seed, method=plan.method)
        for country, outcome, mine_flags in zip(model.countries, other.countries, met, strict=True):
            differing = int(np.count_nonzero(outcome.met != mine_flags))
            assert differing == 0, (change.events, change.countries, country.id)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_variant_of_a_shipped_scenario_replays_as_its_run(name):
    model = sim.load(SCENARIOS / f"{name}.yaml").model
    assert_runs_agree(model, Plan(7, PATHS), every_variant(model))


@pytest.mark.parametrize("method", ["plain", "antithetic"])
def test_every_kind_of_change_replays_as_its_run(tmp_path, method):
    model = model_of(tmp_path, EVERYTHING)
    changes = every_variant(model)
    names = {change.model.events[0].name for change in changes if change.model.events}
    assert {"closures", "blockade"} <= names
    assert_runs_agree(model, Plan(3, PATHS, method=method), changes)


def test_closures_reach_a_country_through_trade_added_over_their_route(tmp_path):
    model = model_of(tmp_path, EVERYTHING)
    c = [country.id for country in model.countries].index("c")
    assert not model.countries[c].route_shares
    blockade = next(e for e in model.events if e.name == "blockade")
    closures = next(e for e in model.events if e.name == "closures")
    assert blockade.affects(c, model)  # it closes the pass, which carries depot's trade
    assert not closures.affects(c, model)  # the road carries none of c's trade


def test_long_closures_are_kept_as_runs_in_the_test_model(tmp_path):
    """The test model reaches coverage's runs (months not listed one by one), which replay
    works out over the window's months only."""
    model = model_of(tmp_path, EVERYTHING)
    event = next(e for e in model.events if e.name == "blockade")
    onsets = draw_onsets(event, 3, 0, CHUNK, model.months, False, model.grid_start)
    assert len(coverage(onsets, model.months, CHUNK).run_onset) > 0


def test_the_answer_is_the_same_whatever_the_blocks_and_workers(tmp_path):
    model = model_of(tmp_path, EVERYTHING)
    changes = every_variant(model)[:8]
    one = replay(model, Plan(5, 3 * CHUNK + 17), changes)[1]
    for block, workers in ((CHUNK, 1), (2 * CHUNK, 2)):
        other = replay(model, Plan(5, 3 * CHUNK + 17, block, workers), changes)[1]
        for mine, theirs in zip(one, other, strict=True):
            assert all(np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))


@pytest.mark.parametrize("method", ["plain", "antithetic", "importance"])
def test_a_run_of_n_paths_is_the_first_n_paths_of_a_longer_one(tmp_path, method):
    """A run simulates only the paths it keeps of its last chunk, and gives them the numbers
    a longer run gives them: streams are drawn for whole chunks, and an event's months are
    listed alike whatever the chunk's other onsets (docs/model.md, "Streams")."""
    model = model_of(tmp_path, EVERYTHING + "correlation:\n  growth:\n    a: {c: 0.6}\n")
    tilt: tuple[tuple[str, CountryTilt], ...] = ()
    if method == "importance":
        a = model.countries[0]
        walk = tuple(np.linspace(-0.2, 0.3, model.months - a.first_simulated))
        tilt = (("a", CountryTilt((("rate", 0.8), ("volatility", -0.4)), walk)),)
    longer = simulate(model, 2 * CHUNK, 11, years=True, method=method, tilt=tilt)
    # odd sizes included: a matrix product over fewer columns can round otherwise
    for paths in (1, 3, 17, 1000, CHUNK // 2 + 1, CHUNK - 1, CHUNK + 777):
        run = simulate(model, paths, 11, years=True, method=method, tilt=tilt)
        for mine, theirs in zip(run.countries, longer.countries, strict=True):
            assert np.array_equal(mine.window_total, theirs.window_total[:paths])
            assert mine.yearly is not None and theirs.yearly is not None
            assert np.array_equal(mine.yearly, theirs.yearly[:, :paths])
            if theirs.weight is None:
                assert mine.weight is None
            else:
                assert mine.weight is not None
                assert np.array_equal(mine.weight, theirs.weight[:paths])
        assert (run.countries[0].weight is not None) == (method == "importance")


@pytest.mark.parametrize("method", ["plain", "antithetic"])
def test_a_path_with_absurd_shocks_changes_no_other_paths_numbers(tmp_path, method):
    """Shocks and noise below 1e-60 are rescaled on their own paths only: the first paths of
    a chunk get the same numbers whichever of the chunk's paths are simulated with them."""
    text = """\
name: absurd
horizon: 2030
countries:
  a:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth:
      rate: 0% to 30%
      volatility: {choice: {values: [0.2, 1e-70]}}
      noise: {choice: {values: [0.1, 1e-70]}}
"""
    model = model_of(tmp_path, text)
    longer = simulate(model, CHUNK, 3, method=method).countries[0].window_total
    for paths in (1, 2, 3, 100):
        run = simulate(model, paths, 3, method=method).countries[0].window_total
        assert np.array_equal(run, longer[:paths])


def test_explain_in_one_pass_gives_the_numbers_of_a_run_per_variant(tmp_path):
    model = model_of(tmp_path, EVERYTHING)
    plan = Plan(11, 6_000)
    told: list[int] = []
    quick = explain(model, plan, told.append)
    full = explain(model, plan, run=lambda m: simulate(m, plan.paths, plan.seed))
    assert quick.attributions == full.attributions
    assert quick.sensitivities == full.sensitivities
    assert sum(told) == plan.paths  # one pass: the progress bar counts the run's paths once
    assert any(a.joint for a in quick.attributions)  # several countries: joint effects too


def test_a_replay_refuses_what_it_cannot_pair(tmp_path):
    model = model_of(tmp_path, EVERYTHING)
    with pytest.raises(ValueError, match="plain or antithetic"):
        replay(model, Plan(1, 100, method="importance", tilt=(("a", CountryTilt()),)), [])
    fewer = replace(model, countries=model.countries[:1])
    with pytest.raises(ValueError, match="the run's countries"):
        replay(model, Plan(1, 100), [Change(fewer)])
    # a change must name what it changes, and keep what the pass shares among variants
    later = replace(model.countries[0], window_end=model.countries[0].window_end + 12)
    moved = replace(model, countries=(later, *model.countries[1:]))
    with pytest.raises(ValueError, match="not named as changed"):
        replay(model, Plan(1, 100), [Change(moved)])
    with pytest.raises(ValueError, match="keeps its window and routes"):
        replay(model, Plan(1, 100), [Change(moved, countries=frozenset({"a"}))])
    wider = replace(model.events[0], routes=(0, 1))  # closures: the road, now the pass too
    scoped = replace(model, events=(wider, *model.events[1:]))
    with pytest.raises(ValueError, match="keeps its countries and routes"):
        replay(model, Plan(1, 100), [Change(scoped, events=frozenset({wider.name}))])
    reordered = replace(model, events=tuple(reversed(model.events)))
    with pytest.raises(ValueError, match="in the same order"):
        replay(model, Plan(1, 100), [Change(reordered)])


def test_onsets_up_to_a_month_are_the_first_months_of_a_whole_runs(tmp_path):
    """Streams fill month by month: drawing an event's onsets over fewer months gives the same
    onsets in those months (what a replayed rate draws)."""
    model = model_of(tmp_path, EVERYTHING)
    event = next(e for e in model.events if e.name == "closures")
    whole = onset_times(event, 2, 1, CHUNK, model.months, True, model.grid_start)
    early = onset_times(event, 2, 1, CHUNK, 30, True, model.grid_start)
    kept = whole[1] < 30
    for mine, theirs in zip(early, whole, strict=True):
        assert np.array_equal(mine, theirs[kept])


@settings(max_examples=60, deadline=None)
@given(
    times=st.lists(st.floats(-30, 40), min_size=1, max_size=12),
    durations=st.lists(st.one_of(st.floats(1e-6, 60), st.just(np.inf)), min_size=12, max_size=12),
    head=st.integers(1, 6),
    first=st.integers(0, 23),
    rows=st.integers(1, 24),
)
def test_a_grid_over_some_months_is_those_rows_of_the_whole(times, durations, head, first, rows):
    months, paths = 24, 2  # small: listing every month often costs too much, so runs appear
    stop = min(months, first + rows)
    n = len(times)
    time = np.array(times)
    end = time + np.array(durations[:n])
    path = np.arange(n) % paths
    covered = coverage(Onsets(path, time, end, {}, path), months, paths, head)
    whole = np.linspace(0.5, 1.5, n)
    full = _on_grid(covered, covered.fraction * 0.7, whole, Grid(months, paths))
    part = _on_grid(covered, covered.fraction * 0.7, whole, Grid(months, paths, first, stop))
    assert part == pytest.approx(full[first:stop], abs=1e-12)


def test_explains_estimate_counts_its_pass_and_the_flags_it_keeps(tmp_path):
    """The one pass keeps a flag per path for every variant and country: the memory estimate
    (which refuses runs of tens of gigabytes) counts them, and the time estimate the pass."""
    model = model_of(tmp_path, EVERYTHING)
    dropped, held = variants(model)
    flags = flags_kept(model)
    assert flags == (len(dropped) + len(held)) * len(model.countries)
    paths = 10**6
    assert estimate_work(model, paths, flags=flags).memory - estimate_work(model, paths).memory == (
        paths * flags
    )
    assert pass_cost(model) == pytest.approx(1 + 0.06 * (len(dropped) + len(held)))

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import model_of, run
from sim.analysis.estimate import wilson_interval
from sim.analysis.summarise import required_growth, summarise
from sim.engine.run import simulate


def test_wilson_interval_reference_values():
    # Reference: Wilson (1927); p = 0.1, n = 100 gives [0.0552, 0.1744].
    low, high = wilson_interval(10, 100)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    z2 = 1.959963984540054**2
    assert wilson_interval(0, 100) == pytest.approx((0.0, z2 / (100 + z2)))
    assert wilson_interval(100, 100) == pytest.approx((100 / (100 + z2), 1.0))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**7).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_estimate(case):
    hits, paths = case
    low, high = wilson_interval(hits, paths)
    assert 0 <= low <= hits / paths <= high <= 1


SCENARIO = """\
name: s
horizon: 2029
countries:
  c:
    baseline: {{value: {value}, period: 2024}}
    target: {{value: {target}, by: {by}}}
    growth: {{rate: {rate}}}
"""


def test_required_growth_meets_the_target_exactly(tmp_path):
    model = model_of(tmp_path, SCENARIO.format(value=16, target=200, by="2027-28", rate="0%"))
    r = required_growth(model.countries[0])
    exact = model_of(
        tmp_path, SCENARIO.format(value=16, target=200, by="2027-28", rate=f"{r * 100!r}%")
    )
    total = simulate(exact, 10, 0).countries[0].window_total
    assert total == pytest.approx(np.full(10, 200.0), rel=1e-12)


def test_required_growth_uses_the_baseline_median(tmp_path):
    fixed = model_of(tmp_path, SCENARIO.format(value=16, target=200, by=2027, rate="0%"))
    uncertain = model_of(tmp_path, SCENARIO.format(value="8 to 32", target=200, by=2027, rate="0%"))
    assert required_growth(uncertain.countries[0]) == pytest.approx(
        required_growth(fixed.countries[0]), rel=1e-12
    )


def test_required_growth_is_undefined_for_an_observed_window(tmp_path):
    model = model_of(tmp_path, SCENARIO.format(value=16, target=200, by=2024, rate="0%"))
    assert required_growth(model.countries[0]) is None


def test_required_growth_is_undefined_when_observed_months_alone_reach_the_target(tmp_path):
    # 7 observed months at 3/5 make 4.2 (4.199999... in floating point): the target is met
    # with any growth, so no growth rate is "required", as P(target) = 1 says.
    text = SCENARIO.replace("period: 2024", "period: 2025-08/2025-12")
    outcomes = run(tmp_path, text.format(value=3, target=4.2, by="2026-05", rate="-50%"), 10)
    assert required_growth(outcomes.model.countries[0]) is None
    assert outcomes.countries[0].met.all()


def test_yearly_probabilities_follow_the_deterministic_path(tmp_path):
    # Fixed 100/yr in 2024 growing 50% a year: calendar-year totals are
    # 100 · 1.5^(y − 2024) · (Σ_m 1.5^((m − 5.5)/12)) / 12, m = 0..11 from January (the
    # baseline midpoint is month 5.5); target between 2026 and 2027.
    factor = sum(1.5 ** ((m - 5.5) / 12) for m in range(12)) / 12
    totals = {y: 100 * 1.5 ** (y - 2024) * factor for y in range(2025, 2030)}
    target = (totals[2026] + totals[2027]) / 2
    outcomes = run(tmp_path, SCENARIO.format(value=100, target=target, by=2027, rate="50%"), 50)
    summary = summarise(outcomes, "f").results[0]
    assert [y.year for y in summary.by_year] == [2025, 2026, 2027, 2028, 2029]
    assert [y.probability for y in summary.by_year] == [0, 0, 1, 1, 1]
    assert [y.reached for y in summary.by_year] == [0, 0, 1, 1, 1]
    assert summary.probability == 1 and summary.hits == 50
    assert summary.turnover["p50"] == pytest.approx(totals[2027], rel=1e-12)


def test_reached_accumulates_over_years(tmp_path):
    outcomes = run(
        tmp_path,
        SCENARIO.format(
            value=100, target=160, by=2026, rate="{normal: {mean: 0.2, sd: 0.5}}"
        ).replace("rate:", "volatility: 60%, rate:"),
        20_000,
    )
    years = summarise(outcomes, "f").results[0].by_year
    reached = [y.reached for y in years]
    assert all(a <= b for a, b in itertools.pairwise(reached))
    assert all(y.reached >= y.probability for y in years)
    assert reached[-1] > max(y.probability for y in years)  # volatility: some met, then fell


@settings(max_examples=25, deadline=None)
@given(
    value=st.floats(5, 500),
    low=st.floats(-0.5, 1.0),
    width=st.floats(0.0, 1.5),
    volatility=st.floats(0, 0.6),
    noise=st.floats(0, 0.4),
    targets=st.lists(st.floats(10, 5000), min_size=2, max_size=2),
)
def test_probability_properties(tmp_path_factory, value, low, width, volatility, noise, targets):
    folder = tmp_path_factory.mktemp("p")
    rate = f"{low * 100:.2f}% to {(low + width) * 100:.2f}%"
    growth = f"{{rate: {rate}, volatility: {volatility:.4f}, noise: {noise:.4f}}}"
    results = []
    for target in sorted(targets):
        text = SCENARIO.format(value=value, target=target, by=2027, rate=rate)
        text = text.replace(f"{{rate: {rate}}}", growth)
        results.append(summarise(run(folder, text, 2_000, seed=5), "f").results[0])
    for result in results:
        assert 0 <= result.ci_low <= result.probability <= result.ci_high <= 1
        assert math.isfinite(result.turnover["mean"])
    assert results[0].probability >= results[1].probability  # never rises with the target

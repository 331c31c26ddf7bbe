"""Mean reversion (issue 13, item 2): growth decaying from `rate` toward `long_run` with a
`half_life`, checked against the closed form of docs/model.md "Trend"."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from conftest import model_of
from sim.analysis.explain import explain, model_inputs
from sim.core.distributions import Z95
from sim.core.periods import month_index
from sim.engine.outcomes import Plan
from sim.engine.run import simulate
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario

BASE = """\
name: reverting
countries:
  kz:
    baseline: {{value: 90, period: 2025-01/2025-07}}
    target: {{value: {target}, by: 2029}}
    growth: {{{growth}}}
"""

RUN_RATE = 90 / 7
MIDPOINT = (month_index(2025, 1) + month_index(2025, 7)) / 2
WINDOW = np.arange(month_index(2029, 1), month_index(2029, 12) + 1)


def scenario(growth: str, target: float = 1000) -> str:
    return BASE.format(growth=growth, target=target)


def window_total(rate: float, long_run: float, half_life: float) -> float:
    """The window's trade with no shocks, noise or events, from the closed form: the log level
    ln(run-rate) + g∞·τ + (g0 − g∞)·(1 − e^{−λτ})/λ, summed over the window's months."""
    g0, g_inf = math.log1p(rate), math.log1p(long_run)
    decay = math.log(2) / half_life
    total = 0.0
    for month in WINDOW:
        tau = (month - MIDPOINT) / 12
        total += RUN_RATE * math.exp(
            g_inf * tau + (g0 - g_inf) * (1 - math.exp(-decay * tau)) / decay
        )
    return total


@pytest.mark.parametrize(
    ("rate", "long_run", "half_life"),
    [(0.6, 0.05, 2.0), (0.1, 0.4, 0.5), (-0.3, 0.02, 7.0), (1.5, -0.2, 0.05)],
)
def test_window_total_is_the_closed_form(tmp_path, rate, long_run, half_life):
    model = model_of(
        tmp_path, scenario(f"rate: {rate:.0%}, long_run: {long_run}, half_life: {half_life}")
    )
    totals = simulate(model, 100, 1).countries[0].window_total
    expected = window_total(rate, long_run, half_life)
    assert totals == pytest.approx(np.full(100, expected), rel=1e-9)


def _probability_check(outcomes, p: float) -> None:
    met = outcomes.countries[0].met
    se = math.sqrt(p * (1 - p) / len(met))
    assert abs(met.mean() - p) < 4.5 * se, (met.mean(), p, se)


def test_probability_with_an_uncertain_rate_is_the_closed_form(tmp_path):
    # ln(1 + rate) ~ Normal(mu, s); the window total increases with g0, so the target is met
    # exactly when g0 is above the g0 whose total equals it
    target = 360.0
    model = model_of(
        tmp_path,
        scenario("rate: 20% to 60%, long_run: 5%, half_life: 2, volatility: 0", target),
    )
    low, high = math.log(1.2), math.log(1.6)
    mu, s = (low + high) / 2, (high - low) / (2 * Z95)
    threshold = brentq(lambda g: window_total(math.expm1(g), 0.05, 2.0) - target, -1.0, 3.0)
    p = float(norm.sf((threshold - mu) / s))
    assert 0.2 < p < 0.8
    _probability_check(simulate(model, 200_000, 11, method="plain"), p)


def test_probability_with_an_uncertain_half_life_is_the_closed_form(tmp_path):
    # growth decays from 60% to 0%: the longer the half-life, the more trade, so the target is
    # met exactly when the half-life (lognormal) is above the one whose total equals it
    target = 480.0
    model = model_of(tmp_path, scenario("rate: 60%, long_run: 0%, half_life: 1 to 5", target))
    threshold = brentq(lambda h: window_total(0.6, 0.0, h) - target, 0.01, 100.0)
    sigma = (math.log(5) - math.log(1)) / (2 * Z95)
    p = float(norm.sf(math.log(threshold / math.sqrt(5)) / sigma))
    assert 0.2 < p < 0.8
    _probability_check(simulate(model, 200_000, 12, method="plain"), p)


EVERYTHING = """\
name: everything
routes:
  road: {{closed_months: [1]}}
  rail: {{reroute: 50%}}
countries:
  kz:
    baseline: {{value: 80 to 100, period: 2025-01/2025-07}}
    target: {{value: 500, by: 2030}}
    growth: {{rate: 10% to 60%, volatility: 25%, noise: 10%{extra}}}
    routes: {{road: 0.5, rail: 0.5}}
events:
  closures:
    routes: [road]
    rate: 2
    duration: 0.5 to 3
    severity: 50% to 100%
  boost:
    countries: [kz]
    start: 2026-01/2027-12
    probability: 50%
    growth: 5% to 15%
"""


def test_an_endless_half_life_is_the_constant_trend(tmp_path):
    constant = simulate(model_of(tmp_path, EVERYTHING.format(extra="")), 5000, 3)
    reverting = simulate(
        model_of(tmp_path, EVERYTHING.format(extra=", long_run: -50%, half_life: 1e12")),
        5000,
        3,
    )
    a, b = constant.countries[0].window_total, reverting.countries[0].window_total
    assert np.allclose(b, a, rtol=1e-9, atol=0)
    assert np.array_equal(constant.countries[0].met, reverting.countries[0].met)


def test_a_long_run_equal_to_the_rate_is_the_constant_trend(tmp_path):
    constant = simulate(model_of(tmp_path, scenario("rate: 30%, volatility: 20%")), 2000, 4)
    reverting = simulate(
        model_of(tmp_path, scenario("rate: 30%, long_run: 30%, half_life: 0.3, volatility: 20%")),
        2000,
        4,
    )
    a, b = constant.countries[0].window_total, reverting.countries[0].window_total
    assert np.allclose(b, a, rtol=1e-12, atol=0)


def test_growth_events_act_on_a_reverting_trend_as_before(tmp_path):
    # a permanent growth event that started before the grid covers every simulated month: it
    # adds ln(1.1)/12 to the log level each month, carried forward
    text = scenario("rate: 60%, long_run: 5%, half_life: 2") + (
        "events:\n  boost:\n    start: 2020-01\n    growth: 10%\n"
    )
    totals = simulate(model_of(tmp_path, text), 50, 1).countries[0].window_total
    g0, g_inf, decay = math.log(1.6), math.log(1.05), math.log(2) / 2
    first_simulated = month_index(2025, 8)
    expected = 0.0
    for month in WINDOW:
        tau = (month - MIDPOINT) / 12
        trend = g_inf * tau + (g0 - g_inf) * (1 - math.exp(-decay * tau)) / decay
        event = (month - first_simulated + 1) * math.log(1.1) / 12
        expected += RUN_RATE * math.exp(trend + event)
    assert totals == pytest.approx(np.full(50, expected), rel=1e-9)


def test_fields_are_both_or_neither(scenario_file):
    path = scenario_file(
        """\
        name: halves
        countries:
          a:
            baseline: {value: 90, period: 2025}
            target: {value: 1000, by: 2028}
            growth: {rate: 20%, long_run: 5%}
          b:
            baseline: {value: 90, period: 2025}
            target: {value: 1000, by: 2028}
            growth: {rate: 20%, half_life: 3}
          c:
            baseline: {value: 90, period: 2025}
            target: {value: 1000, by: 2028}
            growth: {rate: 20%, long_run: "-120%", half_life: 0 to 5}
          d:
            baseline: {value: 90, period: 2025}
            target: {value: 1000, by: 2028}
            growth: {rate: 20%, long_run: 5%, half_life: 0, long_rum: 1}
        """
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:6:5: countries.a.growth.half_life: is required with long_run: mean reversion "
        "needs both long_run and half_life",
        f"{path}:10:5: countries.b.growth.long_run: is required with half_life: mean reversion "
        "needs both long_run and half_life",
        f"{path}:14:35: countries.c.growth.long_run: must be above -100% (a growth rate)",
        f"{path}:14:55: countries.c.growth.half_life: '0 to 5': an interval for a positive "
        "quantity is read as a lognormal, so both ends must be above 0; for a range that starts "
        "at 0 write {uniform: {low: 0, high: 5}} or {triangular: {low: 0, mode: ..., high: 5}}",
        f"{path}:18:50: countries.d.growth.half_life: must be above 0",
        f"{path}:18:53: countries.d.growth.long_rum: unknown field 'long_rum' (did you mean "
        "'long_run'?)",
    ]


def test_explain_knows_the_mean_reversion_inputs(tmp_path):
    text = scenario("rate: 20% to 60%, long_run: 0% to 10%, half_life: 1 to 5", 400)
    model = model_of(tmp_path, text)
    paths = {item.path: item for item in model_inputs(model)}
    assert paths["countries.kz.growth.long_run"].distribution.text == "0% to 10%"
    assert paths["countries.kz.growth.half_life"].distribution.text == "1 to 5"
    plain = model_of(tmp_path, scenario("rate: 20% to 60%"))
    assert "countries.kz.growth.long_run" not in {i.path for i in model_inputs(plain)}

    explanation = explain(model, Plan(5, 4000))
    swings = {s.input: s for s in explanation.sensitivities}
    # a longer half-life keeps the (higher) current growth longer: more trade, better odds
    assert swings["countries.kz.growth.half_life"].swing > 0
    assert swings["countries.kz.growth.long_run"].swing > 0

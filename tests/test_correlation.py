"""Correlated growth between countries (the `correlation:` section): its validation, the
Gaussian copula that draws it, closed forms of P(both targets met), and the places that draw
per-path inputs again (samples, explain)."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
from scipy import stats

import sim
from conftest import model_of, run, write
from sim.analysis.explain import explain, uncertain_inputs, with_input
from sim.analysis.samples import path_inputs
from sim.core import correlation
from sim.core.distributions import fixed
from sim.engine.outcomes import Plan
from sim.engine.rules import Draws
from sim.engine.run import simulate
from sim.engine.streams import CHUNK, copula_uniforms, generator, path_uniforms
from sim.errors import ScenarioError
from sim.scenario.load import load_with_variants
from test_closed_form import g_star, months_from_mid

PATHS = 200_000
SIGMAS = 4.5


def pair(rho: float | None, rate_a="-10% to 60%", rate_b="0% to 50%", extra: str = "") -> str:
    """Two countries, no volatility, noise or events; growth normal on ln(1 + r)."""
    section = "" if rho is None else f"correlation:\n  growth:\n    a: {{b: {rho}}}\n"
    return (
        "name: pair\n"
        + section
        + textwrap.dedent(
            f"""\
            countries:
              a:
                baseline: {{value: 100, period: 2025}}
                target: {{value: 160, by: 2028}}
                growth: {{rate: {rate_a}}}
              b:
                baseline: {{value: 60, period: 2025-01/2025-06}}
                target: {{value: 210, by: 2027-28}}
                growth: {{rate: {rate_b}}}
            """
        )
        + extra
    )


def log_interval(low: float, high: float) -> tuple[float, float]:
    a, b = math.log1p(low), math.log1p(high)
    return (a + b) / 2, (b - a) / (2 * stats.norm.ppf(0.95))


def scores() -> tuple[float, float]:
    """Each country's target as a standard normal score of its ln(1 + r): met when the
    country's score is at least this."""
    years, observed = months_from_mid((2025, 1), (2025, 12), (2028, 12))
    mean, sd = log_interval(-0.10, 0.60)
    z_a = (g_star(100 / 12, 160, years, observed) - mean) / sd
    years, observed = months_from_mid((2025, 1), (2025, 6), (2028, 6))
    mean, sd = log_interval(0.0, 0.50)
    z_b = (g_star(60 / 6, 210, years, observed) - mean) / sd
    return z_a, z_b


def both_met(z_a: float, z_b: float, rho: float) -> float:
    """P(Z_a ≥ z_a, Z_b ≥ z_b) for standard normals with correlation rho."""
    if rho == 1:
        return float(stats.norm.sf(max(z_a, z_b)))
    if rho == -1:
        return max(0.0, float(stats.norm.sf(z_a) + stats.norm.sf(z_b) - 1))
    law = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
    return float(law.cdf([-z_a, -z_b]))


def assert_close(estimate: float, expected: float, paths: int = PATHS) -> None:
    se = math.sqrt(max(expected * (1 - expected), 1e-12) / paths)
    assert abs(estimate - expected) <= SIGMAS * se, (estimate, expected, se)


# --- closed forms ----------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.8, 0.3, -0.6, 1.0, -1.0, 0.0, None])
def test_p_both_met_is_the_bivariate_normal_probability(tmp_path, rho):
    """None: no correlation section, so P(both) = P(a) · P(b) (no events couple them)."""
    z_a, z_b = scores()
    assert 0.2 < stats.norm.sf(z_a) < 0.8 and 0.2 < stats.norm.sf(z_b) < 0.8  # informative
    outcomes = run(tmp_path, pair(rho), PATHS, seed=3)
    a, b = (o.met for o in outcomes.countries)
    rho = rho or 0.0
    assert_close(float((a & b).mean()), both_met(z_a, z_b, rho))
    # each country keeps its own law: P(target) is the one-country closed form
    assert_close(float(a.mean()), float(stats.norm.sf(z_a)))
    assert_close(float(b.mean()), float(stats.norm.sf(z_b)))
    if 0 < abs(rho) < 1:  # the copula is not the independent draw it replaces
        independent = float(stats.norm.sf(z_a) * stats.norm.sf(z_b))
        assert abs(both_met(z_a, z_b, rho) - independent) > 10 * math.sqrt(0.25 / PATHS)


def test_marginals_are_those_of_the_uncorrelated_run(tmp_path):
    correlated = run(tmp_path, pair(0.8), PATHS, seed=5)
    independent = run(tmp_path, pair(None), PATHS, seed=5)
    for with_it, without in zip(correlated.countries, independent.countries, strict=True):
        p, q = float(with_it.met.mean()), float(without.met.mean())
        se = math.sqrt(p * (1 - p) / PATHS + q * (1 - q) / PATHS)
        assert abs(p - q) <= SIGMAS * se
    # and the joint outcome is what makes them differ
    both = [
        float((r.countries[0].met & r.countries[1].met).mean()) for r in (correlated, independent)
    ]
    assert both[0] - both[1] > 0.05


REVERTING = """\
name: reverting pair
correlation:
  growth:
    a: {{b: {rho}}}
countries:
  a:
    baseline: {{value: 100, period: 2025}}
    target: {{value: 240, by: 2030}}
    growth: {{rate: 30%, long_run: -5% to 25%, half_life: 2}}
  b:
    baseline: {{value: 100, period: 2025}}
    target: {{value: 150, by: 2029}}
    growth: {{rate: 10%, long_run: 0% to 20%, half_life: 3}}
"""


def reverting_score(target: float, deadline: int, rate: float, half_life: float, low, high):
    """The normal score of ln(1 + long_run) at which the window total equals the target (a
    fixed rate now and half-life, baseline 100 over 2025: run-rate 100/12 at mid-2025)."""
    from scipy import optimize

    months = np.arange(12 * deadline, 12 * deadline + 12)
    tau = (months - (12 * 2025 + 5.5)) / 12
    lam = math.log(2) / half_life
    decayed = (1 - np.exp(-lam * tau)) / lam
    g0 = math.log1p(rate)

    def gap(g_inf: float) -> float:
        return 100 / 12 * np.exp(g_inf * (tau - decayed) + g0 * decayed).sum() - target

    root = optimize.brentq(gap, -3, 3, xtol=1e-14)
    mean, sd = log_interval(low, high)
    return (root - mean) / sd


@pytest.mark.parametrize("rho", [0.7, -0.5])
def test_long_run_growth_is_correlated_too(tmp_path, rho):
    z_a = reverting_score(240, 2030, 0.30, 2, -0.05, 0.25)
    z_b = reverting_score(150, 2029, 0.10, 3, 0.0, 0.20)
    outcomes = run(tmp_path, REVERTING.format(rho=rho), PATHS, seed=11)
    a, b = (o.met for o in outcomes.countries)
    assert_close(float(a.mean()), float(stats.norm.sf(z_a)))
    assert_close(float(b.mean()), float(stats.norm.sf(z_b)))
    assert_close(float((a & b).mean()), both_met(z_a, z_b, rho))


# --- the copula --------------------------------------------------------------------------------


def test_copula_uniforms_are_uniform_with_the_asked_normal_correlation():
    matrix = np.array([[1, 0.7, -0.3], [0.7, 1, 0.2], [-0.3, 0.2, 1]])
    lower = correlation.factor(matrix)
    u = copula_uniforms(np.random.default_rng(1), lower, 16 * CHUNK, antithetic=False)
    assert u.shape == (3, 16 * CHUNK) and u.min() > 0 and u.max() < 1
    for row in u:
        assert stats.kstest(row, "uniform").pvalue > 1e-3
    # normal scores: correlation within a few standard errors (about 1/√n) of the matrix
    np.testing.assert_allclose(np.corrcoef(stats.norm.ppf(u)), matrix, atol=0.02)


def test_antithetic_copula_uniforms_mirror():
    lower = correlation.factor(np.array([[1, 0.9], [0.9, 1]]))
    u = copula_uniforms(np.random.default_rng(2), lower, CHUNK, antithetic=True)
    half = CHUNK // 2
    np.testing.assert_allclose(u[:, :half] + u[:, half:], 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "matrix",
    [
        [[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]],
        [[1, 1, 0.3], [1, 1, 0.3], [0.3, 0.3, 1]],  # semi-definite: a and b the same
        [[1, -1], [-1, 1]],
        [[1]],
    ],
)
def test_the_factor_gives_the_matrix_with_unit_rows(matrix):
    matrix = np.array(matrix, dtype=float)
    lower = correlation.factor(matrix)
    assert np.allclose(np.triu(lower, 1), 0)
    np.testing.assert_allclose(lower @ lower.T, matrix, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(lower, axis=1), 1.0, rtol=0, atol=1e-15)


def test_three_pair_bounds():
    low, high = correlation.bounds(0.9, 0.9)
    assert (low, high) == pytest.approx((0.62, 1.0))
    assert correlation.is_correlation_matrix(
        correlation.correlation_matrix(
            ["a", "b", "c"], {"a": {"b": 0.9, "c": 0.62}, "b": {"c": 0.9}}
        )
    )


# --- streams: what changes and what does not -----------------------------------------------


def test_a_file_without_the_section_draws_from_each_countrys_own_stream(tmp_path):
    model = model_of(tmp_path, pair(None))
    assert model.correlation is None
    draws = Draws(4, 0, True, model.correlation)
    for country in model.countries:
        own = path_uniforms(generator(4, 0, f"country:{country.id}:rate"), CHUNK, True)
        assert np.array_equal(draws.values(country, "rate"), country.rate.quantile(own))


THREE = (
    pair(0.8)
    + """\
  c:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth: {rate: 0% to 40%, volatility: 20%}
"""
)


def test_countries_outside_the_section_keep_their_numbers_path_by_path(tmp_path):
    correlated = run(tmp_path, THREE, 20_000, seed=2)
    independent = run(
        tmp_path,
        THREE.replace("    a: {b: 0.8}\n", "").replace("correlation:\n  growth:\n", ""),
        20_000,
        seed=2,
    )
    assert np.array_equal(
        correlated.countries[2].window_total, independent.countries[2].window_total
    )
    for index in (0, 1):  # the correlated ones draw from the shared stream
        assert not np.array_equal(
            correlated.countries[index].window_total, independent.countries[index].window_total
        )


def test_a_fixed_rate_in_the_section_changes_no_other_draw(tmp_path):
    """Holding a country's rate (explain, sweep) keeps the other countries' draws: the group
    and its factor do not depend on which inputs are fixed."""
    model = model_of(tmp_path, pair(0.8))
    base = simulate(model, 20_000, 6)
    (rate_a,) = [i for i in uncertain_inputs(model) if i.path == "countries.a.growth.rate"]
    held = simulate(with_input(model, rate_a, fixed(0.2, rate_a.distribution.domain)), 20_000, 6)
    assert np.array_equal(base.countries[1].window_total, held.countries[1].window_total)
    assert len(np.unique(held.countries[0].window_total)) == 1


def test_samples_redraw_the_correlated_rates_path_by_path(tmp_path):
    """With no shocks, noise or events a path's window total is a function of its drawn rate:
    the samples must give each path the rate the run drew through the copula."""
    path = write(tmp_path, pair(0.8))
    result = sim.run(path, paths=3 * CHUNK + 100, seed=9, workers=1, keep_paths=True)
    columns = result.sample_columns()
    rates = [columns[f"countries.{c}.growth.rate"] for c in ("a", "b")]
    g_a, g_b = np.log1p(rates[0]), np.log1p(rates[1])
    years, _ = months_from_mid((2025, 1), (2025, 12), (2028, 12))
    np.testing.assert_allclose(
        columns["countries.a.window_total"],
        100 / 12 * np.exp(np.outer(g_a, years)).sum(1),
        rtol=1e-9,
    )
    years, _ = months_from_mid((2025, 1), (2025, 6), (2028, 6))
    np.testing.assert_allclose(
        columns["countries.b.window_total"], 10 * np.exp(np.outer(g_b, years)).sum(1), rtol=1e-9
    )
    # and the drawn rates are correlated as asked (normal scores of ln(1 + r))
    assert np.corrcoef(g_a, g_b)[0, 1] == pytest.approx(0.8, abs=0.03)


# --- explain ---------------------------------------------------------------------------------

EXPLAINED = pair(
    0.8,
    extra="""\
events:
  squeeze:
    rate: 0.2 to 0.6
    duration: 3 to 9
    level: -40% to -10%
""",
).replace("growth: {rate: 0% to 50%}", "growth: {rate: 0% to 50%, volatility: 15% to 30%}")


def test_explain_holds_correlated_inputs_exactly(tmp_path):
    """A correlated growth rate held at a percentile: the other countries' draws still come
    from the copula, and the tornado's numbers are those of a run with the input held."""
    model = model_of(tmp_path, EXPLAINED)
    paths, seed = 40_000, 4
    plan = Plan(seed, paths)
    explanation = explain(model, plan)
    found = {(s.input, s.country): s for s in explanation.sensitivities}
    for country in ("a", "b"):
        held = found[f"countries.{country}.growth.rate", country]
        item = next(i for i in uncertain_inputs(model) if i.path == held.input)
        for value, result in ((held.low_value, held.low), (held.high_value, held.high)):
            held_model = with_input(model, item, fixed(value, item.distribution.domain))
            direct = simulate(held_model, paths, seed, method=plan.method)
            for index, other in enumerate(model.countries):  # every country, held or not
                row = found.get((held.input, other.id))
                if other.id == country:
                    assert result.other == float(direct.countries[index].met.mean())
                else:  # the input is another country's: it cannot change this one
                    assert row is None
    # the volatility's uniforms are still its own stream's, not the copula's
    draws = Draws(seed, 0, plan.antithetic, model.correlation)
    u = draws.uniforms(model.countries[1], "volatility")
    drawn = path_inputs(model, explanation.base)["countries.b.growth.volatility"]
    assert np.array_equal(model.countries[1].volatility.quantile(u), drawn[:CHUNK])


# --- the section in the file -----------------------------------------------------------------

COUNTRIES = """\
countries:
  kazakhstan:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth: {rate: 0% to 30%}
  uzbekistan:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth: {rate: 0% to 30%}
  kyrgyzstan:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2028}
    growth: {rate: 0% to 30%}
"""


def problems(tmp_path, section: str) -> list[str]:
    path = write(tmp_path, "name: x\n" + section + COUNTRIES)
    with pytest.raises(ScenarioError) as raised:
        load_with_variants(path)
    return [str(p).split(": ", 1)[1] for p in raised.value.problems]


def test_unknown_countries_get_a_suggestion(tmp_path):
    found = problems(tmp_path, "correlation:\n  growth:\n    kazakstan: {uzbekistan: 0.5}\n")
    assert found == [
        "correlation.growth.kazakstan: unknown country 'kazakstan' (did you mean "
        "'kazakhstan'?); the file's countries: kazakhstan, kyrgyzstan, uzbekistan"
    ]


def test_values_pairs_and_fields_are_checked(tmp_path):
    section = """\
correlation:
  growth:
    kazakhstan: {uzbekistan: 1.5, kazakhstan: 0.2}
    uzbekistan: {kazakhstan: 0.3, kyrgyzstan: "50%"}
  sorce: judgement
"""
    assert problems(tmp_path, section) == [
        "correlation.growth.kazakhstan.uzbekistan: 1.5 is not a correlation: it must lie "
        "between -1 and 1",
        "correlation.growth.kazakhstan.kazakhstan: kazakhstan's correlation with itself is 1; "
        "name other countries here",
        "correlation.growth.uzbekistan.kazakhstan: the pair uzbekistan–kazakhstan is given "
        "twice (also as correlation.growth.kazakhstan.uzbekistan); give it once",
        "correlation.growth.uzbekistan.kyrgyzstan: a correlation is a plain number between -1 "
        "and 1, e.g. 0.5, not '50%'",
        "correlation.sorce: unknown field 'sorce' (did you mean 'source'?)",
    ]


def test_pairs_that_cannot_all_hold_are_refused_with_the_range_that_would(tmp_path):
    section = """\
correlation:
  growth:
    kazakhstan: {uzbekistan: 0.9, kyrgyzstan: -0.5}
    uzbekistan: {kyrgyzstan: 0.9}
"""
    (message,) = problems(tmp_path, section)
    assert message.startswith(
        "correlation.growth: these correlations cannot all hold at once: the matrix they make "
        "is not positive semi-definite (its smallest eigenvalue is -0.547); "
    )
    assert "must lie between 0.62 and 1.00, not -0.5" in message


def test_a_variant_can_drop_or_change_the_section(tmp_path):
    text = "name: x\ncorrelation:\n  growth:\n    kazakhstan: {uzbekistan: 0.5}\n" + COUNTRIES
    text += "variants:\n  independent: {correlation: null}\n"
    text += "  tighter: {correlation.growth.kazakhstan.uzbekistan: 0.9}\n"
    scenario, variants = load_with_variants(write(tmp_path, text))
    assert scenario.correlation is not None
    assert scenario.correlation.growth == {"kazakhstan": {"uzbekistan": 0.5}}
    assert variants[0].scenario.correlation is None
    assert variants[1].scenario.correlation.growth == {"kazakhstan": {"uzbekistan": 0.9}}


def test_the_compiled_group_is_the_named_countries_in_file_order(tmp_path):
    text = "name: x\ncorrelation:\n  growth:\n    kyrgyzstan: {kazakhstan: -0.2}\n" + COUNTRIES
    compiled = model_of(tmp_path, text).correlation
    assert compiled is not None
    assert compiled.countries == ("kazakhstan", "kyrgyzstan")
    assert compiled.pairs() == [("kazakhstan", "kyrgyzstan", -0.2)]
    assert compiled.row("uzbekistan", "rate") is None
    assert compiled.row("kyrgyzstan", "rate") == 1 and compiled.row("kyrgyzstan", "noise") is None


def test_correlated_draws_do_not_depend_on_blocks_workers_or_the_run_length(tmp_path):
    model = model_of(tmp_path, THREE)
    one = simulate(model, 3 * CHUNK, 8, block_size=CHUNK, workers=1)
    two = simulate(model, 3 * CHUNK, 8, block_size=CHUNK, workers=2)
    longer = simulate(model, 5 * CHUNK, 8, block_size=4 * CHUNK, workers=1)
    for a, b, c in zip(one.countries, two.countries, longer.countries, strict=True):
        assert np.array_equal(a.window_total, b.window_total)
        assert np.array_equal(a.window_total, c.window_total[: 3 * CHUNK])

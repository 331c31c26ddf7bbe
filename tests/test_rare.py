"""Importance sampling for rare targets (sim.engine.tilt): unbiased against closed forms at
P ≈ 10⁻³ and 10⁻⁴, intervals that cover, the same numbers whatever the workers, far less
variance than plain sampling, and ``--precision N%`` choosing it by itself.

Tolerances are 4.5 standard errors of the estimate being checked (its own, estimated from its
weighted paths), or of the difference of two independent estimates.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import integrate, stats

import sim
from conftest import model_of
from sim.analysis.estimate import weighted_variance
from sim.analysis.summarise import summarise
from sim.cli import cli
from sim.engine.outcomes import Outcomes
from sim.engine.run import simulate
from sim.engine.tilt import find_tilt
from sim.errors import SettingError
from test_closed_form import g_star, months_from_mid

SIGMAS = 4.5
SHIPPED = Path(__file__).parent.parent / "scenarios"

RATE_ONLY = """\
name: rare
fiscal_year_start: 1
countries:
  c:
    baseline: {{value: {value}, period: 2024}}
    target: {{value: {target}, by: 2027}}
    growth: {{rate: {rate}}}
"""


def importance(model, paths: int, seed: int, workers: int = 1, block_size: int = 32_768):
    tilt = find_tilt(model, seed)
    assert tilt, "the target should be rare enough to shift"
    return simulate(model, paths, seed, block_size, workers, method="importance", tilt=tilt)


def estimate(outcomes: Outcomes, index: int = 0) -> tuple[float, float]:
    """The weighted estimate of P and its standard error."""
    country = outcomes.countries[index]
    assert country.weight is not None
    p = float(np.mean(np.where(country.met, country.weight, 0.0)))
    return p, math.sqrt(weighted_variance(country.met, country.weight))


def _log_interval(low: float, high: float) -> tuple[float, float]:
    a, b = math.log1p(low), math.log1p(high)
    return (a + b) / 2, (b - a) / (2 * stats.norm.ppf(0.95))


def _rate_only_target(p: float) -> tuple[float, float]:
    """A target whose P is about ``p`` with trend growth "0% to 20%" from 100 in 2024, and
    its exact P (the target is rounded to a figure a file would hold)."""
    mu, s = _log_interval(0.0, 0.20)
    years, observed = months_from_mid((2024, 1), (2024, 12), (2027, 12))
    g = mu + s * stats.norm.isf(p)
    target = round(100 / 12 * np.exp(g * years).sum(), 3)
    return target, float(stats.norm.sf(g_star(100 / 12, target, years, observed), mu, s))


@pytest.mark.parametrize("p", [1e-3, 1e-4])
def test_growth_alone_matches_the_closed_form(tmp_path, p):
    target, expected = _rate_only_target(p)
    model = model_of(tmp_path, RATE_ONLY.format(value=100, target=target, rate="0% to 20%"))
    found, se = estimate(importance(model, 50_000, 3))
    assert abs(found - expected) <= SIGMAS * se, (found, expected, se)
    assert se <= 0.02 * expected  # plain sampling at 50,000 paths: 14% (P = 1e-3), 45%


@pytest.mark.parametrize("p", [1e-3, 1e-4])
def test_baseline_and_growth_together_match_the_integral(tmp_path, p):
    # P = ∫ P(b ≥ b*(g)) dΦ(g): b lognormal (median 100, 90% within 80 to 125), g normal
    mu, s = _log_interval(0.0, 0.20)
    years, _ = months_from_mid((2024, 1), (2024, 12), (2027, 12))
    sigma_b = math.log(125 / 80) / (2 * stats.norm.ppf(0.95))
    median_b = math.sqrt(80 * 125)

    def chance(target: float) -> float:
        def integrand(g: float) -> float:
            b_star = target * 12 / np.exp(g * years).sum()
            return stats.norm.pdf(g, mu, s) * stats.norm.sf(math.log(b_star / median_b), 0, sigma_b)

        return integrate.quad(integrand, mu - 12 * s, mu + 12 * s, epsabs=0, epsrel=1e-10)[0]

    low, high = 100.0, 1000.0
    for _ in range(60):  # the target with P = p
        mid = (low + high) / 2
        low, high = (mid, high) if chance(mid) > p else (low, mid)
    target = round(low, 3)
    expected = chance(target)
    model = model_of(tmp_path, RATE_ONLY.format(value="80 to 125", target=target, rate="0% to 20%"))
    found, se = estimate(importance(model, 50_000, 4))
    assert abs(found - expected) <= SIGMAS * se, (found, expected, se)


WALK = """\
name: rare walk
countries:
  c:
    baseline: {{value: 120, period: 2024-12/2025-11}}
    target: {{value: {target}, by: 2025-12}}
    growth: {{rate: 0, volatility: 60%, noise: 20%}}
"""


@pytest.mark.parametrize("p", [1e-3, 1e-4])
def test_shocks_and_noise_match_the_closed_form(tmp_path, p):
    # Jan–Nov 2025 are observed at the run-rate 10; December is the first simulated month,
    # 10 · exp(X) with X normal, sd √(0.6²/12 + 0.2²): P = P(X ≥ ln(T/10 − 11)).
    sd = math.sqrt(0.6**2 / 12 + 0.2**2)
    target = round(10 * (11 + math.exp(sd * stats.norm.isf(p))), 3)
    expected = float(stats.norm.sf(math.log(target / 10 - 11), 0, sd))
    model = model_of(tmp_path, WALK.format(target=target))
    found, se = estimate(importance(model, 50_000, 5))
    assert abs(found - expected) <= SIGMAS * se, (found, expected, se)


TWO = """\
name: two rare
fiscal_year_start: 1
countries:
  a:
    baseline: {{value: 100, period: 2024}}
    target: {{value: {a}, by: 2027}}
    growth: {{rate: 0% to 20%}}
  b:
    baseline: {{value: 100, period: 2024}}
    target: {{value: {b}, by: 2027}}
    growth: {{rate: 0% to 20%}}
"""


def test_each_country_and_both_match_the_closed_form(tmp_path):
    # independent countries: P(both) is the product; each country's weight covers its own
    # draws, the joint weight all of them
    (a, pa), (b, pb) = _rate_only_target(0.01), _rate_only_target(0.03)
    model = model_of(tmp_path, TWO.format(a=a, b=b))
    outcomes = importance(model, 100_000, 6)
    for index, expected in enumerate((pa, pb)):
        found, se = estimate(outcomes, index)
        assert abs(found - expected) <= SIGMAS * se, (index, found, expected, se)
    from sim.analysis.joint import joint_weight

    weight = joint_weight(outcomes)
    both = outcomes.countries[0].met & outcomes.countries[1].met
    found = float(np.mean(np.where(both, weight, 0.0)))
    se = math.sqrt(weighted_variance(both, weight))
    assert abs(found - pa * pb) <= SIGMAS * se, (found, pa * pb, se)
    assert summarise(outcomes, "f").joint.all.probability == pytest.approx(found, rel=1e-12)


def test_the_95_percent_intervals_cover_the_true_value(tmp_path):
    # 300 runs of 4,096 paths at P = 1e-3, each with its own shift: the share of intervals
    # holding P is 95% within 4.5 binomial standard errors (±5.7 points)
    target, expected = _rate_only_target(1e-3)
    model = model_of(tmp_path, RATE_ONLY.format(value=100, target=target, rate="0% to 20%"))
    runs = 300
    covered = 0
    for seed in range(runs):
        result = summarise(importance(model, 4096, 1000 + seed), "f").results[0]
        covered += result.ci_low <= expected <= result.ci_high
    assert abs(covered / runs - 0.95) <= SIGMAS * math.sqrt(0.95 * 0.05 / runs), covered


def test_importance_sampling_has_far_less_variance_than_plain(tmp_path):
    # the variance of one path's contribution: p(1 − p) for plain sampling; at P = 1e-3 the
    # weighted one is under a twentieth of it (per path; benchmarks/ measures it per second)
    target, expected = _rate_only_target(1e-3)
    model = model_of(tmp_path, RATE_ONLY.format(value=100, target=target, rate="0% to 20%"))
    outcomes = importance(model, 50_000, 7)
    country = outcomes.countries[0]
    per_path = weighted_variance(country.met, country.weight) * outcomes.paths
    assert per_path < expected * (1 - expected) / 20


def test_the_numbers_do_not_depend_on_workers_or_blocks(tmp_path):
    target, _ = _rate_only_target(1e-3)
    model = model_of(tmp_path, RATE_ONLY.format(value=100, target=target, rate="0% to 20%"))
    one = importance(model, 40_000, 8, workers=1, block_size=8192)
    two = importance(model, 40_000, 8, workers=2, block_size=16_384)
    for a, b in zip(one.countries, two.countries, strict=True):
        assert np.array_equal(a.window_total, b.window_total)
        assert np.array_equal(a.weight, b.weight)


def test_a_target_that_is_not_rare_is_not_shifted(tmp_path):
    target, _ = _rate_only_target(0.3)
    model = model_of(tmp_path, RATE_ONLY.format(value=100, target=target, rate="0% to 20%"))
    assert find_tilt(model, 1) == ()


@pytest.mark.parametrize("name", ["uzbekistan", "kazakhstan"])
def test_shipped_scenarios_agree_with_plain_sampling(name):
    # events, routes, mean reversion and a multi-year walk: the weighted estimate and an
    # antithetic run of 400,000 paths agree within their errors
    scenario = sim.load(SHIPPED / f"{name}.yaml")
    shifted = sim.run(scenario, method="importance", paths=50_000, seed=11, progress=False)
    plain = sim.run(scenario, paths=400_000, seed=12, progress=False)
    a, b = shifted.runs[0].results[0], plain.runs[0].results[0]
    se_a = (a.ci_high - a.ci_low) / (2 * 1.96)
    se_b = (b.ci_high - b.ci_low) / (2 * 1.96)
    assert abs(a.probability - b.probability) <= SIGMAS * math.hypot(se_a, se_b)
    assert shifted.runs[0].method == "importance"


def test_relative_precision_picks_importance_sampling_and_reaches_it():
    out = CliRunner().invoke(
        cli, ["run", str(SHIPPED / "kyrgyzstan.yaml"), "--precision", "5%", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    run = json.loads(out.output)["runs"][0]
    result = run["results"][0]
    assert run["method"] == "importance"
    assert 0 < result["probability"] < 1e-4  # plain sampling would need 10^10 paths
    half = (result["ci_high"] - result["ci_low"]) / 2
    assert half <= 0.05 * result["probability"]


def test_relative_precision_with_importance_sampling_is_unbiased(tmp_path):
    # 60 runs to ±20%, each planned from its pilot: their mean is P within 4.5 standard
    # errors of the mean (a rule stopping on a narrow interval would bias it low)
    target, expected = _rate_only_target(1e-3)
    path = tmp_path / "rare.yaml"
    path.write_text(RATE_ONLY.format(value=100, target=target, rate="0% to 20%"))
    estimates = [
        sim.run(path, relative_precision=0.2, seed=seed, progress=False).runs[0].results[0]
        for seed in range(60)
    ]
    values = np.array([e.probability for e in estimates])
    assert all(e.probability > 0 for e in estimates)
    se = values.std(ddof=1) / math.sqrt(len(values))
    assert abs(values.mean() - expected) <= SIGMAS * se, (values.mean(), expected, se)


def test_other_commands_refuse_importance_sampling():
    scenario = SHIPPED / "kazakhstan.yaml"
    with pytest.raises(SettingError, match="importance' is for run only; explain"):
        sim.explain(scenario, method="importance")
    out = CliRunner().invoke(cli, ["compare", str(scenario), "--method", "importance"])
    assert out.exit_code == 2 and "importance" in out.output
    with pytest.raises(SettingError, match="--samples with --method importance"):
        sim.run(scenario, method="importance", keep_paths=True, paths=1000)


def test_two_rare_targets_give_a_joint_table_that_holds_together(tmp_path):
    # every country is shifted on the same paths: "all" is weighted, the other rows come
    # from the unshifted paths (a plain sample), so none + at least 1 = 1 and nothing fails
    (a, _), (b, _) = _rate_only_target(1e-4), _rate_only_target(1e-4)
    path = tmp_path / "two.yaml"
    path.write_text(TWO.format(a=a, b=b))
    for seed in range(6):
        run = sim.run(path, method="importance", paths=20_000, seed=seed, progress=False)
        joint = run.runs[0].joint
        assert joint.none.probability + joint.at_least[0].probability == pytest.approx(1.0)
        assert all(0 <= s.ci_low <= s.probability <= s.ci_high <= 1 for s in joint.count)


def test_weighted_figures_do_not_depend_on_blocks_and_stay_shares():
    # yearly rows are sums of weights added up exactly; event shares are plain counts
    scenario = sim.load(SHIPPED / "kyrgyzstan.yaml")

    def figures(workers: int, block: int) -> str:
        result = sim.run(
            scenario,
            method="importance",
            paths=40_000,
            workers=workers,
            block_size=block,
            progress=False,
        )
        data = json.loads(result.render("json"))
        data.pop("provenance")
        return json.dumps(data, sort_keys=True)

    one = figures(1, 8192)
    assert one == figures(2, 24_576)
    result = json.loads(one)["runs"][0]["results"][0]
    assert all(0 <= share <= 1 for share in result["events"].values())
    assert result["events"]["closure_2025"] == 1.0  # an event that is certain
    assert all(0 <= y["probability"] <= y["reached"] <= 1 for y in result["by_year"])


def test_an_explicit_method_is_kept_with_a_relative_precision():
    args = ["run", str(SHIPPED / "kyrgyzstan.yaml"), "--precision", "50%", "--format", "json"]
    out = CliRunner().invoke(cli, [*args, "--method", "plain", "--max-paths", "20000"])
    assert json.loads(out.output)["runs"][0]["method"] == "plain"

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.core.distributions import Z95, DistributionError, Domain, parse_uncertain

GROWTH, POSITIVE, NONNEG, FRACTION = (
    Domain.GROWTH,
    Domain.POSITIVE,
    Domain.NONNEGATIVE,
    Domain.FRACTION,
)


@pytest.mark.parametrize(
    ("value", "domain", "expected"),
    [
        (0.25, GROWTH, 0.25),
        ("25%", GROWTH, 0.25),
        ("-5%", GROWTH, -0.05),
        ("+30%", GROWTH, 0.30),
        (90, POSITIVE, 90.0),
        ("12.5", POSITIVE, 12.5),
        (0, NONNEG, 0.0),
        ("100%", FRACTION, 1.0),
        (1, FRACTION, 1.0),
    ],
)
def test_fixed_forms(value, domain, expected):
    distribution = parse_uncertain(value, domain)
    assert distribution.is_fixed
    assert distribution.quantile(np.array([0.01, 0.5, 0.99])).tolist() == [expected] * 3


def test_growth_interval_is_normal_on_log_growth():
    distribution = parse_uncertain("20% to 60%", GROWTH)
    mu = (math.log(1.2) + math.log(1.6)) / 2
    s = (math.log(1.6) - math.log(1.2)) / (2 * 1.6449)
    assert distribution.params[0] == pytest.approx(mu, rel=1e-12)
    assert distribution.params[1] == pytest.approx(s, rel=1e-4)  # SPEC rounds z to 1.6449
    assert distribution.quantile(np.array([0.05, 0.95])) == pytest.approx([0.2, 0.6], rel=1e-12)
    assert distribution.median() == pytest.approx(math.exp(mu) - 1, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "domain", "ends"),
    [
        ("-10% to 60%", GROWTH, (-0.1, 0.6)),
        ("+30% to +100%", GROWTH, (0.3, 1.0)),
        ("1 to 4", POSITIVE, (1.0, 4.0)),
        ("0.2 to 4", POSITIVE, (0.2, 4.0)),
        ("5% to 30%", NONNEG, (0.05, 0.3)),
        ("60% to 100%", FRACTION, (0.6, 1.0)),
    ],
)
def test_interval_ends_are_the_5th_and_95th_percentiles(text, domain, ends):
    distribution = parse_uncertain(text, domain)
    assert distribution.quantile(np.array([0.05, 0.95])) == pytest.approx(ends, abs=1e-12)


def test_positive_interval_is_lognormal():
    distribution = parse_uncertain("1 to 4", POSITIVE)
    assert distribution.family == "lognormal"
    assert distribution.params == pytest.approx((2.0, math.log(4) / (2 * Z95)))


def test_fraction_interval_is_clipped_normal():
    distribution = parse_uncertain("60% to 100%", FRACTION)
    assert distribution.family == "normal"
    assert distribution.params == pytest.approx((0.8, 0.4 / (2 * Z95)))
    assert distribution.quantile(np.array([0.999999])) == [1.0]


def test_families_match_scipy():
    u = np.linspace(0.001, 0.999, 101)
    cases = [
        ({"lognormal": {"median": 50, "sigma": 0.5}}, stats.lognorm(0.5, scale=50)),
        ({"uniform": {"low": 1, "high": 3}}, stats.uniform(1, 2)),
        ({"triangular": {"low": 1, "mode": 2, "high": 5}}, stats.triang(0.25, 1, 4)),
        ({"pert": {"low": 0, "mode": 1, "high": 4}}, stats.beta(2, 4, loc=0, scale=4)),
    ]
    for spec, reference in cases:
        assert parse_uncertain(spec, POSITIVE).quantile(u) == pytest.approx(
            reference.ppf(u), rel=1e-9, abs=1e-12
        ), spec
    normal = parse_uncertain({"normal": {"mean": 0.3, "sd": 0.1}}, GROWTH)
    assert normal.quantile(u) == pytest.approx(stats.norm(0.3, 0.1).ppf(u), rel=1e-9)


def test_percent_strings_inside_families():
    distribution = parse_uncertain({"normal": {"mean": "30%", "sd": "10%"}}, GROWTH)
    assert distribution.params == (0.3, 0.1)


def test_choice_follows_its_weights_and_is_sorted():
    distribution = parse_uncertain({"choice": {"values": [16, 5.2], "weights": [3, 1]}}, POSITIVE)
    u = (np.arange(100_000) + 0.5) / 100_000
    values = distribution.quantile(u)
    assert np.mean(values == 5.2) == pytest.approx(0.25)
    assert np.all(np.diff(values) >= 0)
    equal = parse_uncertain({"choice": {"values": [1, 2, 3, 4]}}, POSITIVE)
    assert np.bincount(equal.quantile(u).astype(int))[1:].tolist() == [25_000] * 4


@pytest.mark.parametrize(
    ("spec", "domain", "floor"),
    [
        ({"normal": {"mean": 0, "sd": 5}}, GROWTH, -0.99),
        ({"normal": {"mean": 1, "sd": 5}}, POSITIVE, 0.0),
        ({"uniform": {"low": -1, "high": 1}}, NONNEG, 0.0),
        ({"normal": {"mean": 0.5, "sd": 2}}, FRACTION, 0.0),
    ],
)
def test_explicit_families_clip_to_their_domain(spec, domain, floor):
    values = parse_uncertain(spec, domain).quantile(np.linspace(0.0001, 0.9999, 999))
    assert values.min() == pytest.approx(floor, abs=1e-300) if floor else values.min() >= 0
    if domain is POSITIVE:
        assert values.min() > 0
    if domain is FRACTION:
        assert values.max() == 1.0


def test_fixed_numbers_are_used_as_written():
    # SPEC clips the draws of explicit families; a number is a fixed value, kept as written
    # (out-of-domain numbers are errors: see test_errors_say_what_to_write).
    assert parse_uncertain("-99.5%", GROWTH).quantile(np.full(3, 0.5)).tolist() == [-0.995] * 3
    assert parse_uncertain({"choice": {"values": ["-99.5%"]}}, GROWTH).median() == -0.99


@pytest.mark.parametrize(
    ("value", "domain", "message"),
    [
        ("-100%", GROWTH, "must be above -100%"),
        (0, POSITIVE, "must be above 0"),
        (-0.1, NONNEG, "must be 0 or more"),
        ("150%", FRACTION, "must be between 0% and 100%"),
        (
            "0 to 4",
            POSITIVE,
            r"both ends must be above 0; for a range that starts at 0 write "
            r"\{uniform: \{low: 0, high: 4\}\}",
        ),
        ("60% to 20%", GROWTH, "the first end must not be larger than the second"),
        ("a to b", GROWTH, "both ends of an interval must be numbers or percentages"),
        ("$90M", POSITIVE, "has a unit in it"),
        ("90 million", POSITIVE, "has a unit in it"),
        ("1_000", POSITIVE, "write numbers without separators, e.g. 1000"),
        ("0x10", POSITIVE, "is not a number or a percentage"),
        (".inf", POSITIVE, "is not a finite number"),
        ("lots", POSITIVE, "write a number"),
        (True, POSITIVE, "expected an uncertain number"),
        ([1, 2], POSITIVE, "expected an uncertain number"),
        ({"normal": {"mean": 1}}, GROWTH, "normal needs 'sd'"),
        ({"normall": {"mean": 1, "sd": 1}}, GROWTH, "did you mean 'normal'"),
        ({"normal": {"mean": 1, "sd": -1}}, GROWTH, "sd must be 0 or more"),
        ({"triangular": {"low": 1, "mode": 5, "high": 4}}, GROWTH, "mode must lie between"),
        ({"normal": {}, "uniform": {}}, GROWTH, "exactly one family key"),
        ({"choice": {"values": [1, 2], "weights": [1]}}, POSITIVE, "weights must be a list of 2"),
        ({"choice": {"values": [1, -2]}}, POSITIVE, "each value must be above 0"),
    ],
)
def test_errors_say_what_to_write(value, domain, message):
    with pytest.raises(DistributionError, match=message):
        parse_uncertain(value, domain)


def test_errors_inside_a_mapping_point_at_the_parameter():
    with pytest.raises(DistributionError) as caught:
        parse_uncertain({"normal": {"mean": 1, "sdd": 1}}, GROWTH)
    assert caught.value.subpath == ("normal", "sdd")


_finite = st.floats(-0.9, 5, allow_nan=False)


@st.composite
def families(draw):
    kind = draw(st.sampled_from(["normal", "lognormal", "uniform", "triangular", "pert", "choice"]))
    if kind == "normal":
        return {"normal": {"mean": draw(_finite), "sd": draw(st.floats(0, 3))}}
    if kind == "lognormal":
        return {"lognormal": {"median": draw(st.floats(0.01, 100)), "sigma": draw(st.floats(0, 2))}}
    low, high = sorted(draw(st.lists(_finite, min_size=2, max_size=2, unique=True)))
    if kind == "uniform":
        return {"uniform": {"low": low, "high": high}}
    if kind == "choice":
        values = draw(st.lists(_finite, min_size=1, max_size=5))
        weights = draw(st.lists(st.floats(0.1, 5), min_size=len(values), max_size=len(values)))
        return {"choice": {"values": values, "weights": weights}}
    mode = draw(st.floats(low, high))
    return {kind: {"low": low, "mode": mode, "high": high}}


@settings(max_examples=200, deadline=None)
@given(families(), st.lists(st.floats(1e-9, 1 - 1e-9), min_size=2, max_size=20))
def test_quantiles_never_decrease(spec, us):
    u = np.sort(np.array(us))
    values = parse_uncertain(spec, GROWTH).quantile(u)
    assert np.all(np.diff(values) >= -1e-9 * (1 + np.abs(values[1:])))

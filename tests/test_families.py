"""The contract every distribution family in ``FAMILIES`` keeps.

As scipy's ``tests/test_qmc.py`` runs one ``QMCEngineTests`` mixin over every engine,
``FamilyContract`` holds the tests and each family has one small subclass that gives example
parameters, parameters its check must reject, and a Hypothesis strategy for valid parameters.
``test_every_family_keeps_the_contract`` fails when a family has no subclass, so a new family
cannot skip the contract.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.distributions import (
    FAMILIES,
    Distribution,
    DistributionError,
    Domain,
    Family,
    check_in_domain,
    fixed,
    parse_uncertain,
)

Params = tuple[float, ...]

# Cumulative probabilities to test at: far into both tails and evenly in between.
GRID = np.concatenate(
    ([1e-12, 1e-9, 1e-6, 1e-3], np.linspace(0.005, 0.995, 199), [1 - 1e-3, 1 - 1e-6, 1 - 1e-9])
)
TOLERANCE = {"rtol": 1e-10, "atol": 1e-10}

# Ends of "a to b" intervals that are valid in each domain.
INTERVAL_ENDS = {
    Domain.GROWTH: [(-0.1, 0.6), (0.2, 0.6), (0.3, 1.0), (-0.9, 3.0), (0.05, 0.05)],
    Domain.POSITIVE: [(1.0, 4.0), (0.2, 4.0), (90.0, 1000.0), (2.5, 2.5)],
    Domain.NONNEGATIVE: [(0.05, 0.3), (1e-3, 10.0)],
    Domain.FRACTION: [(0.6, 1.0), (0.0, 0.2), (0.2, 0.6), (0.0, 1.0)],
}


def in_domain(values: np.ndarray, domain: Domain, clipped: bool) -> bool:
    """Whether every value lies in ``domain``: the clip bounds for a clipped family (growth
    rates at -99% or more), the domain's own rule for the others (growth above -100%)."""
    if domain is Domain.GROWTH:
        return bool(np.all(values >= -0.99)) if clipped else bool(np.all(values > -1.0))
    if domain is Domain.POSITIVE:
        return bool(np.all(values > 0.0))
    if domain is Domain.NONNEGATIVE:
        return bool(np.all(values >= 0.0))
    return bool(np.all((values >= 0.0) & (values <= 1.0)))


def _low_mode_high() -> st.SearchStrategy[Params]:
    return st.builds(
        lambda low, width, at: (low, low + at * width, low + width),
        st.floats(-5, 5),
        st.floats(0.01, 10),
        st.floats(0, 1),
    )


class FamilyContract:
    """The tests; a subclass per family names it and gives its examples."""

    family: ClassVar[str]
    examples: ClassVar[tuple[Params, ...]]  # valid parameters, as ``Distribution.params``
    flaws: ClassVar[tuple[tuple[Params, str, str], ...]] = ()  # params, parameter, message

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        raise NotImplementedError

    @classmethod
    def written_form(cls, params: Params) -> dict[str, Any]:
        """The mapping a file would hold for ``params``."""
        return dict(zip(FAMILIES[cls.family].parameters, params, strict=True))

    @classmethod
    def grid(cls, params: Params) -> np.ndarray:
        """Where to compare with scipy (a discrete family leaves out its jumps)."""
        return GRID

    @property
    def record(self) -> Family:
        return FAMILIES[self.family]

    def distribution(self, params: Params, domain: Domain) -> Distribution:
        return Distribution(self.family, params, domain, "contract")

    # --- the contract, for one set of parameters ---

    def keeps_the_contract(self, params: Params) -> None:
        record = self.record
        assert record.check(params) is None
        raw = record.quantile(params, GRID)
        assert np.all(np.diff(raw) >= 0), "quantile decreases"
        grid = self.grid(params)
        reference = record.scipy(params)
        np.testing.assert_allclose(record.quantile(params, grid), reference.ppf(grid), **TOLERANCE)
        if 0.5 in grid:
            np.testing.assert_allclose(
                record.quantile(params, np.array(0.5)), reference.median(), **TOLERANCE
            )
        uniforms = np.concatenate((GRID, np.random.default_rng(5).random(1000)))
        for domain in record.domains:
            distribution = self.distribution(params, domain)
            assert distribution.median() == distribution.quantile(np.array([0.5]))[0]
            values = distribution.quantile(uniforms)
            assert np.all(np.diff(distribution.quantile(GRID)) >= 0), domain
            assert in_domain(values, domain, record.clip), (domain, values.min(), values.max())

    def test_examples_keep_the_contract(self) -> None:
        for params in self.examples:
            self.keeps_the_contract(params)

    def test_quantile_keeps_the_shape_of_its_input(self) -> None:
        params = self.examples[0]
        assert self.record.quantile(params, np.asarray(0.5)).shape == ()
        assert self.record.quantile(params, GRID[:12].reshape(3, 4)).shape == (3, 4)

    def test_check_rejects_with_the_message_the_user_sees(self) -> None:
        for params, parameter, message in self.flaws:
            assert self.record.check(params) == (parameter, message)
            if self.record.written:
                with pytest.raises(DistributionError) as caught:
                    parse_uncertain({self.family: self.written_form(params)}, Domain.GROWTH)
                assert caught.value.message == message
                assert caught.value.subpath == (self.family, parameter)

    def test_mapping_form_reads_the_parameters(self) -> None:
        if not self.record.written:
            with pytest.raises(DistributionError, match="unknown distribution"):
                parse_uncertain({self.family: self.written_form(self.examples[0])}, Domain.GROWTH)
            return
        for params in self.examples:
            read = parse_uncertain({self.family: self.written_form(params)}, Domain.GROWTH)
            assert (read.family, read.params, read.clip) == (self.family, params, True)

    def test_interval_ends_are_the_5th_and_95th_percentiles(self) -> None:
        for domain in Domain:
            if domain in self.record.interval_domains:
                for low, high in INTERVAL_ENDS[domain]:
                    self.interval_keeps_its_ends(low, high, domain)
            else:
                assert parse_uncertain("0.2 to 0.6", domain).family != self.family, domain

    def interval_keeps_its_ends(self, low: float, high: float, domain: Domain) -> None:
        distribution = parse_uncertain(f"{low!r} to {high!r}", domain)
        assert distribution.family == self.family
        assert self.record.check(distribution.params) is None
        ends = distribution.quantile(np.array([0.05, 0.95]))
        np.testing.assert_allclose(ends, [low, high], **TOLERANCE)


class TestNormal(FamilyContract):
    family = "normal"
    examples = ((0.3, 0.1), (0.0, 5.0), (0.5, 2.0), (1.0, 5.0))
    flaws = (((0.3, -0.1), "sd", "sd must be 0 or more"),)

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        return st.tuples(st.floats(-5, 5), st.floats(0.01, 3))


class TestLognormal(FamilyContract):
    family = "lognormal"
    examples = ((50.0, 0.5), (2.0, math.log(4) / (2 * 1.6448536269514722)), (1.0, 3.0))
    flaws = (
        ((0.0, 0.5), "median", "median must be above 0"),
        ((-1.0, 0.5), "median", "median must be above 0"),
        ((1.0, -0.1), "sigma", "sigma must be 0 or more"),
    )

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        return st.tuples(st.floats(0.01, 100), st.floats(0.01, 2))


class TestUniform(FamilyContract):
    family = "uniform"
    examples = ((1.0, 3.0), (-1.0, 1.0), (-2.0, 5.0))
    flaws = (((3.0, 1.0), "high", "high must not be below low"),)

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        return st.builds(
            lambda low, width: (low, low + width), st.floats(-5, 5), st.floats(0.01, 10)
        )


LOW_MODE_HIGH_FLAWS = (
    ((1.0, 5.0, 4.0), "mode", "mode must lie between low and high"),
    ((1.0, 0.0, 4.0), "mode", "mode must lie between low and high"),
    ((2.0, 2.0, 2.0), "high", "high must be above low"),
    ((3.0, 2.0, 1.0), "high", "high must be above low"),
)


class TestTriangular(FamilyContract):
    family = "triangular"
    examples = ((1.0, 2.0, 5.0), (0.0, 0.0, 1.0), (-1.0, 1.0, 1.0), (-0.5, 0.1, 2.0))
    flaws = LOW_MODE_HIGH_FLAWS

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        return _low_mode_high()


class TestPert(FamilyContract):
    family = "pert"
    examples = ((0.0, 1.0, 4.0), (-0.5, 0.1, 0.6), (0.0, 0.0, 1.0), (2.0, 3.0, 3.0))
    flaws = LOW_MODE_HIGH_FLAWS

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        return _low_mode_high()


class TestChoice(FamilyContract):
    family = "choice"
    # Values sorted (as reading leaves them), then their weights.
    examples = (
        (5.2, 16.0, 1.0, 3.0),
        (-0.5, 0.1, 0.4, 1.0, 2.0, 4.0),
        (0.3, 1.0),
        (1.0, 1.0, 2.0, 1.0, 1.0, 1.0),
    )
    flaws = (
        ((1.0, 2.0, -1.0, 1.0), "weights", "weights must be 0 or more and not all 0"),
        ((1.0, 2.0, 0.0, 0.0), "weights", "weights must be 0 or more and not all 0"),
    )

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        pairs = st.lists(st.tuples(st.floats(-0.9, 5), st.floats(0.1, 5)), min_size=1, max_size=5)
        return pairs.map(sorted).map(lambda p: tuple(v for v, _ in p) + tuple(w for _, w in p))

    @classmethod
    def written_form(cls, params: Params) -> dict[str, Any]:
        n = len(params) // 2
        return {"values": list(params[:n]), "weights": list(params[n:])}

    @classmethod
    def grid(cls, params: Params) -> np.ndarray:
        # At a jump the engine takes the next value (u below the cumulative weight), scipy's
        # ppf the value itself; away from the jumps they agree.
        weights = np.array(params[len(params) // 2 :])
        jumps = np.cumsum(weights) / weights.sum()
        near = np.abs(GRID[:, None] - jumps[None, :]).min(axis=1) < 1e-9
        return GRID[~near]


class TestLogGrowth(FamilyContract):
    family = "log_growth"
    examples = (
        (
            (math.log(1.2) + math.log(1.6)) / 2,
            (math.log(1.6) - math.log(1.2)) / (2 * 1.6448536269514722),
        ),
        (0.0, 0.5),
        (-1.0, 1.0),
    )
    flaws = (((0.1, -0.1), "s", "s must be 0 or more"),)

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        return st.tuples(st.floats(-2, 1.5), st.floats(0.01, 1))


class TestFixed(FamilyContract):
    family = "fixed"
    examples = ((0.25,), (1.0,), (1e-9,))

    @classmethod
    def random_params(cls) -> st.SearchStrategy[Params]:
        return st.tuples(st.floats(1e-9, 1.0))  # in every domain, as reading ensures


CONTRACTS = sorted(FamilyContract.__subclasses__(), key=lambda contract: contract.family)


# Hypothesis runs here, over every contract, rather than inside the mixin: a ``@given`` method
# inherited by many classes would be one test run by many executors.


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.family)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_parameters_keep_the_contract(contract, data):
    contract().keeps_the_contract(data.draw(contract.random_params(), label="params"))


@pytest.mark.parametrize("domain", list(Domain), ids=lambda domain: domain.name.lower())
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_random_intervals_keep_their_ends(domain, data):
    if domain is Domain.GROWTH:
        low = data.draw(st.floats(-0.95, 3.0), label="low")
        high = data.draw(st.floats(low, 5.0), label="high")
    elif domain is Domain.FRACTION:
        low = data.draw(st.floats(0.0, 1.0), label="low")
        high = data.draw(st.floats(low, 1.0), label="high")
    else:
        low = data.draw(st.floats(1e-3, 1e3), label="low")
        high = low * data.draw(st.floats(1.0, 100.0), label="ratio")
    (contract,) = [c for c in CONTRACTS if domain in FAMILIES[c.family].interval_domains]
    contract().interval_keeps_its_ends(low, high, domain)


# --- the table as a whole ------------------------------------------------------------------


def test_every_family_keeps_the_contract():
    contracts = [cls.family for cls in FamilyContract.__subclasses__()]
    assert sorted(contracts) == sorted(FAMILIES)
    assert all(name == family.name for name, family in FAMILIES.items())


def test_every_domain_reads_an_interval_as_one_family():
    for domain in Domain:
        readers = [f.name for f in FAMILIES.values() if domain in f.interval_domains]
        assert len(readers) == 1, (domain, readers)
    for family in FAMILIES.values():
        assert (family.interval is None) == (not family.interval_domains), family.name
        assert family.interval_domains <= family.domains, family.name


def test_messages_list_the_families_a_file_may_name():
    with pytest.raises(DistributionError) as caught:
        parse_uncertain({"normall": {"mean": 1, "sd": 1}}, Domain.GROWTH)
    assert caught.value.message == (
        "unknown distribution 'normall' (did you mean 'normal'?); "
        "use one of normal, lognormal, uniform, triangular, pert, choice"
    )


def test_values_are_described_as_written():
    written = parse_uncertain({"normal": {"mean": "30%", "sd": 0.1}}, Domain.GROWTH)
    assert written.text == "normal mean 30%, sd 0.1"
    choice = parse_uncertain({"choice": {"values": [16, 5.2]}}, Domain.POSITIVE)
    assert choice.text == "16 or 5.2 (equally likely)"
    weighed = parse_uncertain(
        {"choice": {"values": ["10%", 0.2], "weights": [3, 1]}}, Domain.GROWTH
    )
    assert weighed.text == "10% or 20% (chances 75% and 25%)"
    assert fixed(0.25, Domain.GROWTH).text == "25%"
    assert fixed(90, Domain.POSITIVE).text == "90"
    assert parse_uncertain("20% to 60%", Domain.GROWTH).text == "20% to 60%"


@pytest.mark.parametrize("domain", list(Domain))
def test_numbers_are_fixed_and_in_their_domain(domain):
    for value in (0.25, "25%", 1):
        distribution = parse_uncertain(value, domain)
        assert distribution.family == "fixed" and not distribution.clip
        check_in_domain(distribution.median(), domain)

"""Comparisons on common random numbers: the same paths with and without a change.

Every model component draws from a stream keyed by its name (``sim.engine.streams``), so two models
that differ in one component share every other draw, path by path. The difference of two
probabilities is then the mean of per-path differences, with a standard error far smaller
than that of two independent runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analysis.estimate import Z_95, standard_error
from sim.analysis.joint import all_met, any_met
from sim.core.periods import Period
from sim.defaults import DEFAULT_FISCAL_YEAR_START, DEFAULT_METHOD, Method
from sim.engine.outcomes import Outcomes


@dataclass(frozen=True)
class Difference:
    """P(other) − P(base) on common random numbers, with its 95% interval."""

    estimate: float
    se: float  # standard error of the paired difference
    low: float
    high: float
    independent_se: float  # what two independent runs of this size would give


def paired_difference(
    base_met: np.ndarray, other_met: np.ndarray, antithetic: bool = False
) -> Difference:
    """The difference in the share of paths meeting the target, paired path by path (and,
    with antithetic paths, with its variance estimated from the antithetic pairs)."""
    per_path = other_met.astype(np.int8) - base_met.astype(np.int8)
    estimate = float(per_path.mean())
    se = standard_error(per_path, antithetic)
    independent = math.hypot(
        standard_error(base_met, antithetic), standard_error(other_met, antithetic)
    )
    return Difference(estimate, se, estimate - Z_95 * se, estimate + Z_95 * se, independent)


@dataclass(frozen=True)
class CountryDifference:
    country: str
    label: str
    base: float  # P(target) of the base
    other: float  # P(target) with the change
    difference: Difference
    base_window: Period | None = None  # the 12 months P(base) judges
    window: Period | None = None  # those P(other) judges (a change may move the deadline)
    fiscal_year_start: int = DEFAULT_FISCAL_YEAR_START  # names a fiscal window


def met(outcomes: Outcomes) -> dict[str, np.ndarray]:
    """Per country id, which paths met the target."""
    return {
        country.id: outcome.met
        for country, outcome in zip(outcomes.model.countries, outcomes.countries, strict=True)
    }


def differences(base: Outcomes, other: Outcomes) -> tuple[CountryDifference, ...]:
    """Paired differences for every country the two runs share (by id)."""
    if base.paths != other.paths or base.seed != other.seed:
        raise ValueError("paired runs need the same paths and seed")
    base_met, other_met = met(base), met(other)
    antithetic = base.antithetic
    labels = {c.id: c.label for c in other.model.countries}
    base_windows = {c.id: c.window for c in base.model.countries}
    windows = {c.id: c.window for c in other.model.countries}
    return tuple(
        CountryDifference(
            country,
            labels[country],
            float(base_met[country].mean()),
            float(other_met[country].mean()),
            paired_difference(base_met[country], other_met[country], antithetic),
            base_windows[country],
            windows[country],
            other.model.fiscal_year_start,
        )
        for country in base_met
        if country in other_met
    )


@dataclass(frozen=True)
class JointDifference:
    """A joint outcome of the countries two runs share, P(other) − P(base): every target met
    (``outcome`` "all") or at least one (``at_least_one``), each country judged on its own
    target in its own window."""

    outcome: str
    countries: tuple[str, ...]  # ids
    base: float
    other: float
    difference: Difference

    @property
    def words(self) -> str:
        """``all met`` or ``any met``: short enough for a table's country column."""
        return "all met" if self.outcome == "all" else "any met"


JOINT_OUTCOMES = {"all": all_met, "at_least_one": any_met}


def joint_differences(base: Outcomes, other: Outcomes) -> tuple[JointDifference, ...]:
    """P(all targets met) and P(at least one), paired path by path, over the countries the two
    runs share (by id); none when they share fewer than two."""
    others = {country.id for country in other.model.countries}
    shared = [country.id for country in base.model.countries if country.id in others]
    if len(shared) < 2:
        return ()
    found = []
    for outcome, flags in JOINT_OUTCOMES.items():
        before, after = flags(base, shared), flags(other, shared)
        difference = paired_difference(before, after, base.antithetic)
        found.append(
            JointDifference(
                outcome, tuple(shared), float(before.mean()), float(after.mean()), difference
            )
        )
    return tuple(found)


@dataclass(frozen=True)
class Comparison:
    """A variant of a scenario against its base."""

    scenario: str
    file: str
    variant: str
    description: str | None
    overrides: tuple[str, ...]
    paths: int
    seed: int
    results: tuple[CountryDifference, ...]
    method: Method = DEFAULT_METHOD
    sha256: str = ""  # of the scenario file's text
    joint: tuple[JointDifference, ...] = ()  # with two countries or more

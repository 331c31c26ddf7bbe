"""Comparisons on common random numbers: the same paths with and without a change.

Every model component draws from a stream keyed by its name (``sim.engine.streams``), so two models
that differ in one component share every other draw, path by path. The difference of two
probabilities is then the mean of per-path differences, with a standard error far smaller
than that of two independent runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.analysis.estimate import Z_95, standard_error
from sim.analysis.joint import met_counts
from sim.core.model import Model
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


@dataclass(frozen=True)
class Met:
    """Which paths of a run of ``model`` met each country's target (by id)."""

    model: Model
    flags: dict[str, np.ndarray]
    antithetic: bool = False  # the paths come in antithetic pairs

    @classmethod
    def of(cls, outcomes: Outcomes) -> Met:
        flags = {
            country.id: outcome.met
            for country, outcome in zip(outcomes.model.countries, outcomes.countries, strict=True)
        }
        return cls(outcomes.model, flags, outcomes.antithetic)


def differences(base: Outcomes, other: Outcomes) -> tuple[CountryDifference, ...]:
    """Paired differences for every country the two runs share (by id)."""
    _check_paired(base, other)
    return met_differences(Met.of(base), Met.of(other))


def _check_paired(base: Outcomes, other: Outcomes) -> None:
    if base.paths != other.paths or base.seed != other.seed:
        raise ValueError("paired runs need the same paths and seed")


def met_differences(base: Met, other: Met) -> tuple[CountryDifference, ...]:
    """``differences`` of two runs' flags, on the same paths."""
    labels = {c.id: c.label for c in other.model.countries}
    base_windows = {c.id: c.window for c in base.model.countries}
    windows = {c.id: c.window for c in other.model.countries}
    return tuple(
        CountryDifference(
            country,
            labels[country],
            float(base.flags[country].mean()),
            float(other.flags[country].mean()),
            paired_difference(base.flags[country], other.flags[country], base.antithetic),
            base_windows[country],
            windows[country],
            other.model.fiscal_year_start,
        )
        for country in base.flags
        if country in other.flags
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


# per joint outcome, whether each path has it, from the countries' flags
JOINT_OUTCOMES: dict[str, Callable[[list[np.ndarray]], np.ndarray]] = {
    "all": lambda flags: met_counts(flags) == len(flags),
    "at_least_one": lambda flags: met_counts(flags) > 0,
}


def joint_differences(base: Outcomes, other: Outcomes) -> tuple[JointDifference, ...]:
    """P(all targets met) and P(at least one), paired path by path, over the countries the two
    runs share (by id); none when they share fewer than two."""
    _check_paired(base, other)
    return joint_met_differences(Met.of(base), Met.of(other))


def joint_met_differences(base: Met, other: Met) -> tuple[JointDifference, ...]:
    """``joint_differences`` of two runs' flags, on the same paths."""
    shared = [country for country in base.flags if country in other.flags]
    if len(shared) < 2:
        return ()
    found = []
    for outcome, flags in JOINT_OUTCOMES.items():
        before = flags([base.flags[country] for country in shared])
        after = flags([other.flags[country] for country in shared])
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

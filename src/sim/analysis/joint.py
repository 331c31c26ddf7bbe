"""Joint outcomes of a file with several countries: on how many of them a path meets the
target, each country judged on its own target in its own window.

The countries of one file share their paths (events, and correlated growth), so "all targets
met" is the share of paths on which every country meets its own target, not the product of
the countries' odds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis.estimate import proportion_interval
from sim.engine.outcomes import Outcomes


@dataclass(frozen=True)
class Share:
    """A share of paths with its 95% interval (Wilson's, at the effective paths)."""

    probability: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class JointSummary:
    """How many of a file's ``countries`` meet their targets on the same path."""

    countries: tuple[str, ...]  # ids, in the file's order
    at_least: tuple[Share, ...]  # [k - 1]: k or more targets met, k = 1 … n
    count: tuple[Share, ...]  # [k]: exactly k targets met, k = 0 … n

    @property
    def all(self) -> Share:
        return self.at_least[-1]

    @property
    def none(self) -> Share:
        return self.count[0]


def met_counts(met: list[np.ndarray]) -> np.ndarray:
    """Per path, how many of the countries' ``met`` flags are set."""
    counts = np.zeros(len(met[0]), dtype=np.int16)
    for flags in met:
        counts += flags
    return counts


def share(flags: np.ndarray, antithetic: bool) -> Share:
    low, high = proportion_interval(flags, antithetic)
    return Share(float(np.count_nonzero(flags)) / len(flags), low, high)


def joint_summary(outcomes: Outcomes) -> JointSummary | None:
    """The joint outcomes of a run; None for a file with one country."""
    if len(outcomes.countries) < 2:
        return None
    counts = met_counts([outcome.met for outcome in outcomes.countries])
    n = len(outcomes.countries)
    antithetic = outcomes.antithetic
    return JointSummary(
        tuple(country.id for country in outcomes.model.countries),
        tuple(share(counts >= k, antithetic) for k in range(1, n + 1)),
        tuple(share(counts == k, antithetic) for k in range(n + 1)),
    )


def all_met(outcomes: Outcomes, countries: list[str] | None = None) -> np.ndarray:
    """Per path, whether every country (or every one of ``countries``, by id) met its target."""
    chosen = _flags(outcomes, countries)
    return met_counts(chosen) == len(chosen)


def any_met(outcomes: Outcomes, countries: list[str] | None = None) -> np.ndarray:
    """Per path, whether at least one country (of ``countries``, by id) met its target."""
    return met_counts(_flags(outcomes, countries)) > 0


def _flags(outcomes: Outcomes, countries: list[str] | None) -> list[np.ndarray]:
    ids = [country.id for country in outcomes.model.countries]
    wanted = ids if countries is None else countries
    return [outcomes.countries[ids.index(country)].met for country in wanted]

"""Joint outcomes of a file with several countries: on how many of them a path meets the
target, each country judged on its own target in its own window.

The countries of one file share their paths (events, and correlated growth), so "all targets
met" is the share of paths on which every country meets its own target, not the product of
the countries' odds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.analysis import estimate
from sim.analysis.estimate import proportion_interval
from sim.engine.outcomes import Outcomes
from sim.engine.rules import shifted_paths
from sim.engine.streams import CHUNK


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


def share(flags: np.ndarray, antithetic: bool, weight: np.ndarray | None = None) -> Share:
    low, high = proportion_interval(flags, antithetic, weight)
    return Share(estimate.share(flags, weight), low, high)


def joint_weight(outcomes: Outcomes) -> np.ndarray | None:
    """Each path's weight for joint outcomes under importance sampling; None when no
    country's draws are shifted.

    A country's weight is 2ℓ / (1 + ℓ), ℓ the ratio of the model's law of its own draws to
    the shifted law (``Draws.weight``). A path's draws are shifted for every country or for
    none, so its joint weight is 2L / (1 + L) with L the product of its countries' ℓ (their
    own draws are independent): each ℓ is recovered from its weight as w / (2 − w)."""
    weights = [o.weight for o in outcomes.countries if o.weight is not None]
    if not weights:
        return None
    log_ratio = np.zeros(len(weights[0]))
    with np.errstate(divide="ignore"):
        for weight in weights:
            log_ratio += np.log(weight) - np.log(2.0 - weight)
    # ℓ = 0 for one country and ∞ for another: no law gives such a path; weigh it as drawn
    np.nan_to_num(log_ratio, copy=False, nan=0.0, posinf=np.inf, neginf=-np.inf)
    with np.errstate(over="ignore"):
        return 2.0 / (1.0 + np.exp(-log_ratio))


def joint_summary(outcomes: Outcomes) -> JointSummary | None:
    """The joint outcomes of a run; None for a file with one country.

    Under importance sampling every country's draws are shifted on the same paths, toward
    all the targets at once: the weighted estimate serves "all targets met", but a path
    that meets only some targets carries a tiny weight, so the other rows are read from the
    paths drawn unshifted (half of them, a plain sample of the scenario's law)."""
    if len(outcomes.countries) < 2:
        return None
    counts = met_counts([outcome.met for outcome in outcomes.countries])
    n = len(outcomes.countries)
    antithetic, weight = outcomes.antithetic, joint_weight(outcomes)
    every = share(counts == n, antithetic, weight)
    if weight is not None:
        counts = counts[~shifted_run(outcomes)]
    return JointSummary(
        tuple(country.id for country in outcomes.model.countries),
        tuple(every if k == n else share(counts >= k, antithetic) for k in range(1, n + 1)),
        tuple(every if k == n else share(counts == k, antithetic) for k in range(n + 1)),
    )


def shifted_run(outcomes: Outcomes) -> np.ndarray:
    """Per path of the run, whether importance sampling shifted its draws."""
    chunks = -(-outcomes.paths // CHUNK)
    flags = [shifted_paths(outcomes.seed, chunk) for chunk in range(chunks)]
    return np.concatenate(flags)[: outcomes.paths]


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

"""What a run's paths did: per-country outcomes, how a run is carried out (its plan), and where
per-path results are written as blocks finish."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.core.model import Model
from sim.defaults import DEFAULT_METHOD, METHODS, Method
from sim.engine.streams import CHUNK

DEFAULT_BLOCK = 4 * CHUNK  # 32,768 paths: small enough to share a default run among workers


@dataclass
class CountryOutcome:
    """What the paths did for one country.

    ``window_total`` is each path's trade over the target window; ``met`` says whether it
    reached the target;
    ``met_in_year[k]`` counts the paths whose 12-month window ending at ``year_ends[k]``
    reached the target, and ``reached_by_year[k]`` those that had reached it in that window
    or an earlier one; ``event_paths`` counts, per event that can affect the country, the
    paths where the event was active in at least one simulated month up to the deadline.

    With importance sampling, ``weight`` is each path's likelihood ratio (``sim.engine.tilt``)
    and the yearly counts are sums of weights, one row per chunk (``yearly_counts`` adds them
    up exactly, so that no grouping of chunks changes a digit); event counts stay plain.
    """

    window_total: np.ndarray
    met: np.ndarray
    met_in_year: np.ndarray
    reached_by_year: np.ndarray
    event_paths: dict[str, int] = field(default_factory=dict)
    yearly: np.ndarray | None = None  # (years, paths) window totals, when asked for
    weight: np.ndarray | None = None  # per path (importance sampling); None: every path 1


@dataclass
class Outcomes:
    model: Model
    paths: int
    seed: int
    countries: list[CountryOutcome]
    method: Method = DEFAULT_METHOD

    @property
    def antithetic(self) -> bool:
        """Whether paths come in antithetic pairs (their statistics use the pairs)."""
        return self.method == "antithetic"


@dataclass(frozen=True)
class CountryTilt:
    """Importance sampling's shift of one country's draws (``sim.engine.tilt``): the mean of
    the standard normal behind each named per-path input, and of each simulated month's
    normal of its shocks and noise (empty: not shifted)."""

    inputs: tuple[tuple[str, float], ...] = ()
    walk: tuple[float, ...] = ()

    def shift(self, name: str) -> float:
        return dict(self.inputs).get(name, 0.0)


# per country id, the shift of its draws; countries not named are drawn as usual
Tilt = tuple[tuple[str, CountryTilt], ...]


@dataclass(frozen=True)
class Plan:
    """How a run is carried out: everything but the model that decides its numbers (seed,
    paths, method) and what does not (block size, workers, scheduler)."""

    seed: int
    paths: int
    block_size: int = DEFAULT_BLOCK
    workers: int = 1
    years: bool = False
    scheduler: str | None = None
    method: Method = DEFAULT_METHOD
    tilt: Tilt = ()  # importance sampling's shifts (method "importance")

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r} is not one of {', '.join(METHODS)}")
        if self.tilt and self.method != "importance":
            raise ValueError("shifted draws need method 'importance'")

    @property
    def antithetic(self) -> bool:
        return self.method == "antithetic"

    def weighted(self, model: Model) -> tuple[int, ...]:
        """The countries (indices) whose draws the plan shifts."""
        shifted = dict(self.tilt)
        return tuple(i for i, c in enumerate(model.countries) if c.id in shifted)


@dataclass
class Results:
    """Where a run's per-path results go: each country's window totals and target flags, one
    row per country, for the paths from chunk ``first_chunk`` on. Each block's arrays are
    written in their place as they are made (``place``), so a run holds them once."""

    totals: np.ndarray  # (countries, paths) float64
    met: np.ndarray  # (countries, paths) bool
    first_chunk: int = 0
    weights: np.ndarray | None = None  # (countries, paths) float64, importance sampling's
    weighted: tuple[int, ...] = ()  # the rows (countries) whose draws are shifted

    @classmethod
    def allocate(
        cls, countries: int, paths: int, first_chunk: int, weighted: tuple[int, ...] = ()
    ) -> Results:
        weights = np.ones((countries, paths)) if weighted else None
        return cls(
            np.empty((countries, paths)),
            np.empty((countries, paths), bool),
            first_chunk,
            weights,
            weighted,
        )

    def place(self, chunk: int, outcomes: list[CountryOutcome]) -> None:
        """Write the arrays of ``outcomes`` (paths from chunk ``chunk`` on) in their place; the
        outcomes keep only their counts. Outcomes already placed (no arrays) are left alone."""
        start = (chunk - self.first_chunk) * CHUNK
        for row, outcome in enumerate(outcomes):
            size = len(outcome.window_total)
            self.totals[row, start : start + size] = outcome.window_total
            self.met[row, start : start + size] = outcome.met
            if self.weights is not None and outcome.weight is not None:
                self.weights[row, start : start + size] = outcome.weight
            outcome.window_total, outcome.met = np.empty(0), np.empty(0, bool)
            outcome.weight = None

    def weight(self, row: int) -> np.ndarray | None:
        """The country's per-path weights, if any path of it was shifted."""
        return None if self.weights is None or row not in self.weighted else self.weights[row]


def merge(parts: list[list[CountryOutcome]]) -> list[CountryOutcome]:
    """Outcomes of consecutive parts of a run as one, in path order."""
    merged = []
    for pieces in zip(*parts, strict=True):
        events = {name: sum(p.event_paths[name] for p in pieces) for name in pieces[0].event_paths}
        merged.append(
            CountryOutcome(
                window_total=np.concatenate([p.window_total for p in pieces]),
                met=np.concatenate([p.met for p in pieces]),
                met_in_year=_counts([p.met_in_year for p in pieces]),
                reached_by_year=_counts([p.reached_by_year for p in pieces]),
                event_paths=events,
                yearly=None
                if pieces[0].yearly is None
                else np.concatenate([p.yearly for p in pieces], axis=1),
                weight=_weights(pieces),
            )
        )
    return merged


def _weights(pieces: tuple[CountryOutcome, ...]) -> np.ndarray | None:
    """The per-path weights of consecutive pieces (1 where a piece has none); None when no
    piece has any."""
    if all(p.weight is None for p in pieces):
        return None
    return np.concatenate([np.ones(len(p.met)) if p.weight is None else p.weight for p in pieces])


def _counts(parts: list[np.ndarray]) -> np.ndarray:
    """Consecutive parts' yearly counts: added up, or, weighted (a row per chunk), stacked."""
    if parts[0].ndim == 2:
        return np.concatenate(parts)
    return sum(parts[1:], parts[0])


def yearly_counts(counts: np.ndarray) -> list[float]:
    """A run's count for each year: weighted rows added up exactly (``math.fsum``: the same
    digits in any order), plain counts as they are."""
    if counts.ndim == 2:
        return [math.fsum(column) for column in counts.T.tolist()]
    return [float(count) for count in counts]

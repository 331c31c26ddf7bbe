"""Events on the month grid: onsets, durations, per-month coverage and their effects (SPEC 5).

Onsets are sparse, so an event's onsets in a chunk are held as flat arrays (one entry per
onset) and expanded into (onset, month) pairs only for the months each onset covers. Effects are
then scattered into dense (months, paths) arrays with ``np.multiply.at`` / ``np.add.at``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.compile import EventModel, Model
from sim.distributions import Distribution
from sim.streams import generator, uniforms


@dataclass(frozen=True)
class Onsets:
    """Every onset of one event in one chunk of paths; times in grid months."""

    path: np.ndarray  # int, the path of each onset
    time: np.ndarray  # u: onset month + uniform time within it
    end: np.ndarray  # u + d, or +inf for an event without duration
    severity: np.ndarray
    level: np.ndarray
    growth: np.ndarray


@dataclass(frozen=True)
class Coverage:
    """The months each onset covers: ``cov(t) = overlap([u, u + d], [t, t + 1])`` > 0."""

    onset: np.ndarray  # index into the Onsets arrays
    month: np.ndarray  # grid month t
    fraction: np.ndarray  # cov(t), in (0, 1]


@dataclass(frozen=True)
class ChunkEvents:
    """What the events of a model do to one chunk of paths."""

    availability: np.ndarray  # (routes, months, paths): A_r(t)
    level: dict[int, np.ndarray]  # event index -> (months, paths) level factors
    growth: dict[int, np.ndarray]  # event index -> (months, paths) log-level increments
    active: dict[int, tuple[np.ndarray, np.ndarray]]  # event index -> (month, path) covered


def draw_onsets(event: EventModel, rng: np.random.Generator, paths: int, months: int) -> Onsets:
    """Draw an event's onsets and per-onset effects for ``paths`` paths.

    The draws are taken in a fixed order and every per-onset quantity is drawn whether or not
    the event uses it, so changing one field of an event does not shift the others' numbers.
    """
    if event.rate is not None:
        rate = event.rate.quantile(uniforms(rng, paths))
        chance = -np.expm1(-rate / 12.0)
        month, path = np.nonzero(uniforms(rng, (months, paths)) < chance)
    else:
        assert event.start is not None
        probability = event.probability.quantile(uniforms(rng, paths))
        happens = uniforms(rng, paths) < probability
        first, last = event.start
        onset_month = first + np.floor(uniforms(rng, paths) * (last - first + 1)).astype(np.int64)
        path = np.flatnonzero(happens)
        month = onset_month[path]
    count = len(path)
    time = month + uniforms(rng, count)
    duration = _per_onset(event.duration, rng, count)
    end = time + duration if event.duration is not None else np.full(count, np.inf)
    severity = _per_onset(event.severity, rng, count)
    level = _per_onset(event.level, rng, count)
    growth = _per_onset(event.growth, rng, count)
    return Onsets(path, time, end, severity, level, growth)


def _per_onset(
    distribution: Distribution | None, rng: np.random.Generator, count: int
) -> np.ndarray:
    """One draw per onset; the uniforms are taken even when unused, to keep streams aligned."""
    u = uniforms(rng, count)
    return distribution.quantile(u) if distribution is not None else np.zeros(count)


def coverage(onsets: Onsets, months: int) -> Coverage:
    """Expand onsets into the grid months they cover, with the covered fraction of each."""
    first = np.maximum(np.floor(onsets.time), 0).astype(np.int64)
    last = np.minimum(np.ceil(np.minimum(onsets.end, months)) - 1, months - 1).astype(np.int64)
    length = np.maximum(last - first + 1, 0)
    onset = np.repeat(np.arange(len(first)), length)
    offset = np.arange(len(onset)) - np.repeat(np.cumsum(length) - length, length)
    month = first[onset] + offset
    fraction = np.minimum(onsets.end[onset], month + 1.0) - np.maximum(onsets.time[onset], month)
    keep = fraction > 0
    return Coverage(onset[keep], month[keep], fraction[keep])


def ramp_share(event: EventModel, onset_time: np.ndarray, month: np.ndarray) -> np.ndarray:
    """``min(1, (t + 1 - u) / ramp)``: the share of the phase-in done by the end of month t."""
    if event.ramp <= 0:
        return np.ones(len(month))
    return np.minimum(1.0, (month + 1.0 - onset_time) / event.ramp)


def chunk_events(model: Model, seed: int, chunk: int, paths: int) -> ChunkEvents:
    """Draw every event of ``model`` for one chunk and scatter its effects onto the grid."""
    months = model.months
    availability = np.empty((len(model.routes), months, paths))
    for route, path_availability in zip(model.routes, availability, strict=True):
        path_availability[...] = route.open[:, None]
    level: dict[int, np.ndarray] = {}
    growth: dict[int, np.ndarray] = {}
    active: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for index, event in enumerate(model.events):
        rng = generator(seed, chunk, f"event:{event.name}")
        onsets = draw_onsets(event, rng, paths, months)
        covered = coverage(onsets, months)
        where = (covered.month, onsets.path[covered.onset])
        active[index] = where
        if event.severity is not None:
            remaining = 1.0 - onsets.severity[covered.onset] * covered.fraction
            for route in event.routes:
                np.multiply.at(availability[route], where, remaining)
        if event.level is not None:
            factor = np.ones((months, paths))
            ramp = ramp_share(event, onsets.time[covered.onset], covered.month)
            np.multiply.at(
                factor, where, 1.0 + onsets.level[covered.onset] * ramp * covered.fraction
            )
            level[index] = factor
        if event.growth is not None:
            increment = np.zeros((months, paths))
            step = np.log1p(onsets.growth[covered.onset]) * covered.fraction / 12.0
            np.add.at(increment, where, step)
            growth[index] = increment
    return ChunkEvents(availability, level, growth, active)

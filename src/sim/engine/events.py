"""Events on the month grid: onsets, durations, per-month coverage and their effects (SPEC 5).

Onsets are sparse, so an event's onsets in a chunk are held as flat arrays (one entry per
onset) and expanded into (onset, month) pairs only for the months each onset covers. Effects are
then summed into dense (months, paths) arrays (products as sums of logarithms).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.core.effects import BY_NAME, Acts
from sim.core.model import EventModel, Model
from sim.engine.arrays import cumulate
from sim.engine.streams import CELL_SPAN, cell_key, cell_uniforms, generator, path_uniforms


@dataclass(frozen=True)
class Onsets:
    """Every onset of one event in one chunk of paths; times in grid months."""

    path: np.ndarray  # int, the path of each onset
    time: np.ndarray  # u: onset month + uniform time within it
    end: np.ndarray  # u + d, or +inf for an event without duration
    effects: dict[str, np.ndarray]  # per effect the event has (sim.core.effects): per onset


@dataclass(frozen=True)
class Coverage:
    """The months each onset covers: ``cov(t) = overlap([u, u + d], [t, t + 1])`` > 0.

    An onset's first months (its head) and a partly covered last month are listed one by one
    as (onset, cell, fraction) entries; the whole months between form a run, listed by where
    it starts and where it stops, so that an event lasting decades costs no more than one
    lasting a season.
    """

    onset: np.ndarray  # per listed month: index into the Onsets arrays
    cell: np.ndarray  # flat index of (month, path) in a (months, paths) array
    fraction: np.ndarray  # cov(t), in (0, 1]
    run_onset: np.ndarray  # per run: its onset
    run_start: np.ndarray  # cell of the run's first month
    stop_onset: np.ndarray  # per run that ends before the horizon: its onset
    run_stop: np.ndarray  # cell of the month after the run
    first: np.ndarray  # per onset: first covered grid month
    last: np.ndarray  # per onset: last covered grid month (< first when it covers none)
    paths: int

    @property
    def month(self) -> np.ndarray:
        return self.cell // self.paths


@dataclass(frozen=True)
class ChunkEvents:
    """What the events of a model do to one chunk of paths."""

    availability: list[np.ndarray]  # per route: A_r(t), (months, paths) or (months, 1)
    log_level: dict[int, np.ndarray]  # event index -> (months, paths) logs of level factors
    growth: dict[int, np.ndarray]  # event index -> (months, paths) log-level increments
    added: dict[int, np.ndarray]  # event index -> (months, paths) trade added to each month
    active: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]  # event index -> per onset:
    # (first covered month, last covered month, path)


def draw_onsets(
    event: EventModel,
    seed: int,
    chunk: int,
    paths: int,
    months: int,
    antithetic: bool = False,
    grid_start: int = 0,
) -> Onsets:
    """Draw an event's onsets and per-onset effects for one chunk of ``paths`` paths.

    The onsets (rate or probability, onset months) come from the event's stream. Everything
    drawn per onset — its time within the month and each effect (duration, severity, level,
    growth, add) — is a function of the onset's calendar month and path alone (``cell_uniforms``),
    so an onset keeps its values when other onsets come or go (a higher rate, a longer
    horizon) and when another effect is changed or fixed.
    """
    rng = event_stream(event, seed, chunk)
    drawn = path_parameter(event, rng, paths, antithetic)
    if event.rate is not None:
        month, path = recurring_onsets(drawn, rng, months, antithetic)
    else:
        assert event.start is not None
        probability = drawn
        happens = path_uniforms(rng, paths, antithetic) < probability
        first, last = event.start
        where = path_uniforms(rng, paths, antithetic)
        onset_month = first + np.floor(where * (last - first + 1)).astype(np.int64)
        path = np.flatnonzero(happens)
        month = onset_month[path]
    cells = (grid_start + month) * CELL_SPAN + path

    def draw(name: str) -> np.ndarray:
        return cell_uniforms(cell_key(seed, chunk, f"event:{event.name}:{name}"), cells)

    time = month + draw("time")
    if event.duration is not None:
        end = time + event.duration.quantile(draw("duration"))
    else:
        end = np.full(len(path), np.inf)
    effects = {name: d.quantile(draw(name)) for name, d in event.effects.items()}
    return Onsets(path, time, end, effects)


def event_stream(event: EventModel, seed: int, chunk: int) -> np.random.Generator:
    """The event's own stream in a chunk: its per-path parameter first, then its onsets."""
    return generator(seed, chunk, f"event:{event.name}")


def path_parameter(
    event: EventModel, rng: np.random.Generator, paths: int, antithetic: bool = False
) -> np.ndarray:
    """The event's per-path parameter, the first draw of its stream: a recurring event's rate,
    a one-off event's probability."""
    distribution = event.rate if event.rate is not None else event.probability
    return distribution.quantile(path_uniforms(rng, paths, antithetic))


def recurring_onsets(
    rate: np.ndarray, rng: np.random.Generator, months: int, antithetic: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Months (and paths) with an onset, each month having one with chance 1 − exp(−rate/12).

    One uniform per path-month; a higher rate gives a superset of the onsets of a lower one,
    which keeps comparisons on common random numbers tight.
    """
    chance = -np.expm1(-rate / 12.0)
    if antithetic:  # path j + n/2 has 1 − u: an onset when 1 − u < chance, i.e. u > 1 − chance
        half = len(rate) // 2
        u = rng.random((months, half))
        onset = np.empty((months, len(rate)), dtype=bool)
        np.less(u, chance[:half], out=onset[:, :half])
        np.greater(u, 1 - chance[half:], out=onset[:, half:])
    else:
        onset = rng.random((months, len(rate))) < chance
    cells = np.flatnonzero(onset)
    month = cells // len(rate)
    return month, cells - month * len(rate)


HEAD_MONTHS = 3  # months of an onset listed one by one before the rest becomes a run


def coverage(onsets: Onsets, months: int, paths: int, head: int = HEAD_MONTHS) -> Coverage:
    """The grid months each onset covers, with the covered fraction of each.

    Only an onset's first and last months can be partly covered. When listing every covered
    month would take more memory than a (months, paths) array, only the first ``head`` months
    are listed one by one (a level effect's ramp needs them), and a partly covered last month;
    the whole months after the head form a run.
    """
    n = len(onsets.time)
    first = np.maximum(np.floor(onsets.time), 0).astype(np.int64)
    last = np.minimum(np.ceil(np.minimum(onsets.end, months)) - 1, months - 1).astype(np.int64)
    # Listing every month costs no more than one grid array: then there are no runs.
    list_all = np.maximum(last - first + 1, 0).sum() <= months * paths
    head_last = last if list_all else np.minimum(last, first + head - 1)
    length = np.maximum(head_last - first + 1, 0)
    onset = np.repeat(np.arange(n), length)
    starts = np.cumsum(length) - length  # where each onset's head begins in the flat arrays
    # cell of listed month k of an onset = (first + k) * paths + path
    cell = np.repeat((first - starts) * paths + onsets.path, length)
    cell += np.arange(len(onset)) * paths
    fraction = np.ones(len(onset))
    some = slice(None) if length.all() else length > 0  # onsets before the grid cover none
    for edge in (head_last, first):  # the first month last, for onsets covering one month
        edge_fraction = np.minimum(onsets.end, edge + 1.0) - np.maximum(onsets.time, edge)
        fraction[(starts + edge - first)[some]] = edge_fraction[some]

    runs = stops = np.zeros(0, dtype=np.int64)
    run_last = last
    if not list_all:
        partial_end = onsets.end < last + 1.0  # the last month is partly covered
        tail = np.flatnonzero(partial_end & (last > head_last))
        onset = np.concatenate([onset, tail])
        cell = np.concatenate([cell, last[tail] * paths + onsets.path[tail]])
        fraction = np.concatenate([fraction, onsets.end[tail] - last[tail]])
        run_last = np.where(partial_end, last - 1, last)
        runs = np.flatnonzero(run_last >= first + head)
        stops = runs[run_last[runs] + 1 < months]

    if len(fraction) and fraction.min() <= 0:  # only an onset of (almost) zero duration
        keep = fraction > 0
        onset, cell, fraction = onset[keep], cell[keep], fraction[keep]
    return Coverage(
        onset,
        cell,
        fraction,
        runs,
        (first[runs] + head) * paths + onsets.path[runs],
        stops,
        (run_last[stops] + 1) * paths + onsets.path[stops],
        first,
        last,
        paths,
    )


def ramp_share(event: EventModel, onset_time: np.ndarray, month: np.ndarray) -> np.ndarray:
    """``min(1, (t + 1 - u) / ramp)``: the share of the phase-in done by the end of month t."""
    if event.ramp <= 0:
        return np.ones(len(month))
    return np.minimum(1.0, (month + 1.0 - onset_time) / event.ramp)


LOG_ZERO = -800.0  # exp(-800) is exactly 0.0 in double precision, and unlike -inf it cancels


def _per_cell(cells: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Sum ``values`` into a (months, paths) array at flat ``cells`` (repeats add up).

    ``np.bincount`` on flat indices does what ``np.add.at`` does, several times faster.
    """
    flat = np.bincount(cells, weights=values, minlength=shape[0] * shape[1])
    return flat.astype(float, copy=False).reshape(shape)  # (bincount of nothing gives ints)


def _on_grid(
    covered: Coverage, listed: np.ndarray, whole: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """A (months, paths) array of per-month values: ``listed`` for the listed months, and each
    onset's ``whole``-month value over every month of its run."""
    grid = _per_cell(covered.cell, listed, shape)
    if len(covered.run_onset):
        cells = np.concatenate([covered.run_start, covered.run_stop])
        steps = np.concatenate([whole[covered.run_onset], -whole[covered.stop_onset]])
        runs = _per_cell(cells, steps, shape)
        cumulate(runs)  # a step up where a run starts, down where it stops
        grid += runs
    return grid


@dataclass
class _Sums:
    """What a chunk's events add up to, per route or event, as logs on the grid."""

    log_availability: dict[int, np.ndarray] = field(default_factory=dict)  # by route
    log_level: dict[int, np.ndarray] = field(default_factory=dict)  # by event
    growth: dict[int, np.ndarray] = field(default_factory=dict)  # by event
    added: dict[int, np.ndarray] = field(default_factory=dict)  # by event, before route openness


Rule = Callable[[_Sums, int, EventModel, np.ndarray, Onsets, Coverage, tuple[int, int]], None]


def _route_availability(
    sums: _Sums,
    index: int,
    event: EventModel,
    severity: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    shape: tuple[int, int],
) -> None:
    """``A_r(t) = Π (1 − s · cov(t))`` on each of the event's routes, as a sum of logs."""
    lost = severity[covered.onset]
    lost *= covered.fraction
    np.negative(lost, out=lost)
    with np.errstate(divide="ignore"):
        listed = np.log1p(lost, out=lost)
        whole = np.maximum(np.log1p(-severity), LOG_ZERO)
    log_remaining = _on_grid(covered, listed, whole, shape)
    for route in event.routes:
        if route in sums.log_availability:
            sums.log_availability[route] += log_remaining
        else:
            sums.log_availability[route] = log_remaining
            if len(event.routes) > 1:  # the next route must not add into this one's array
                log_remaining = log_remaining.copy()


def _level(
    sums: _Sums,
    index: int,
    event: EventModel,
    level: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    shape: tuple[int, int],
) -> None:
    """A factor ``1 + x · ramp(t) · cov(t)`` on the event's countries' trade, as a log."""
    step = ramp_share(event, onsets.time[covered.onset], covered.month)
    step *= level[covered.onset]
    step *= covered.fraction
    listed = np.log1p(step, out=step)
    sums.log_level[index] = _on_grid(covered, listed, np.log1p(level), shape)


def _growth(
    sums: _Sums,
    index: int,
    event: EventModel,
    growth: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    shape: tuple[int, int],
) -> None:
    """``ln(1 + x) · cov(t) / 12`` added to the countries' log level, carried forward."""
    whole = np.log1p(growth) / 12.0
    listed = whole[covered.onset] * covered.fraction
    sums.growth[index] = _on_grid(covered, listed, whole, shape)


def _add(
    sums: _Sums,
    index: int,
    event: EventModel,
    add: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    shape: tuple[int, int],
) -> None:
    """``add / 12 · ramp(t) · cov(t)`` of trade in month t, summed over onsets (the route
    openness of an event with routes is applied once availability is known)."""
    whole = add / 12.0
    listed = ramp_share(event, onsets.time[covered.onset], covered.month)
    listed *= whole[covered.onset]
    listed *= covered.fraction
    sums.added[index] = _on_grid(covered, listed, whole, shape)


RULES: dict[Acts, Rule] = {
    Acts.ROUTES: _route_availability,
    Acts.LEVEL: _level,
    Acts.GROWTH: _growth,
    Acts.ADD: _add,
}

RAMPED = (Acts.LEVEL, Acts.ADD)  # the effects that ramp(t) phases in


def chunk_events(
    model: Model, seed: int, chunk: int, paths: int, antithetic: bool = False
) -> ChunkEvents:
    """Draw every event of ``model`` for one chunk and combine its effects on the grid, each
    by its kind's rule (``RULES``).

    Products over overlapping onsets are taken as sums of logarithms; a month closed whole
    (severity 1 over the whole month) has log −inf (LOG_ZERO in runs), which exp turns back
    into exactly 0.
    """
    months = model.months
    shape = (months, paths)
    # Routes no event acts on keep their seasonal pattern only: (months, 1), broadcast.
    availability = [route.open[:, None] for route in model.routes]
    sums = _Sums()
    active: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for index, event in enumerate(model.events):
        onsets = draw_onsets(event, seed, chunk, paths, months, antithetic, model.grid_start)
        ramps = any(BY_NAME[name].acts in RAMPED for name in event.effects)
        covered = coverage(
            onsets, months, paths, HEAD_MONTHS + (math.ceil(event.ramp) if ramps else 0)
        )
        active[index] = (covered.first, covered.last, onsets.path)
        for name, values in onsets.effects.items():
            RULES[BY_NAME[name].acts](sums, index, event, values, onsets, covered, shape)
    for route, values in sums.log_availability.items():
        np.exp(values, out=values)
        if model.routes[route].seasonal:
            values *= availability[route]
        availability[route] = values
    for index, added in sums.added.items():
        routes = model.events[index].routes
        if routes:  # the mean availability of the event's routes: O(t) = Σ_r A_r(t) / |R|
            added *= sum(availability[r] for r in routes) / len(routes)
    return ChunkEvents(availability, sums.log_level, sums.growth, sums.added, active)

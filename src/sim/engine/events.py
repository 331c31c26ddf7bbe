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

from sim.core.distributions import Distribution
from sim.core.effects import BY_NAME, Acts
from sim.core.model import EventModel, Model
from sim.engine.arrays import cumulate
from sim.engine.streams import (
    CELL_SPAN,
    CHUNK,
    cell_key,
    cell_uniforms,
    generator,
    path_uniforms,
)


@dataclass(frozen=True)
class Onsets:
    """Every onset of one event in one chunk of paths; times in grid months."""

    path: np.ndarray  # int, the path of each onset
    time: np.ndarray  # u: onset month + uniform time within it
    end: np.ndarray  # u + d, or +inf for an event without duration
    effects: dict[str, np.ndarray]  # per effect the event has (sim.core.effects): per onset
    cells: np.ndarray  # per onset: the (calendar month, path) key of its draws


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
    """What the events of a model do to one chunk of paths: availability, levels and added
    trade from grid month ``first`` on (all months in a run; ``combine``), growth over
    every month."""

    availability: list[np.ndarray]  # per route: A_r(t), (months, paths) or (months, 1)
    log_level: dict[int, np.ndarray]  # event index -> (months, paths) logs of level factors
    growth: dict[int, np.ndarray]  # event index -> (months, paths) log-level increments
    added: dict[int, np.ndarray]  # event index -> (months, paths) trade added to each month
    active: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]  # event index -> per onset:
    # (first covered month, last covered month, path)
    first: int = 0  # the grid month of availability's, levels' and added trade's first row


def draw_onsets(
    event: EventModel,
    seed: int,
    chunk: int,
    paths: int,
    months: int,
    antithetic: bool = False,
    grid_start: int = 0,
) -> Onsets:
    """Draw an event's onsets and per-onset effects on the first ``paths`` paths of a chunk.

    The onsets (rate or probability, onset months) come from the event's stream. Everything
    drawn per onset — its time within the month and each effect (duration, severity, level,
    growth, add) — is a function of the onset's calendar month and path alone (``cell_uniforms``),
    so an onset keeps its values when other onsets come or go (a higher rate, a longer
    horizon) and when another effect is changed or fixed.
    """
    path, time, cells = onset_times(event, seed, chunk, paths, months, antithetic, grid_start)
    return per_onset(event, seed, chunk, Onsets(path, time, time, {}, cells))


def onset_times(
    event: EventModel,
    seed: int,
    chunk: int,
    paths: int,
    months: int,
    antithetic: bool = False,
    grid_start: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The paths, times and cells of an event's onsets on the first ``paths`` paths of a
    chunk (``draw_onsets`` without the per-onset values).

    The stream is drawn for the whole chunk, whatever ``paths``: a path's onsets are the same
    whether the run keeps the chunk's other paths or not."""
    rng = event_stream(event, seed, chunk)
    drawn = path_parameter(event, rng, CHUNK, antithetic)
    if event.rate is not None:
        month, path = recurring_onsets(drawn, rng, months, antithetic, paths)
    else:
        assert event.start is not None
        probability = drawn
        happens = path_uniforms(rng, CHUNK, antithetic) < probability
        first, last = event.start
        where = path_uniforms(rng, CHUNK, antithetic)
        onset_month = first + np.floor(where * (last - first + 1)).astype(np.int64)
        path = np.flatnonzero(happens[:paths])
        month = onset_month[path]
    cells = (grid_start + month) * CELL_SPAN + path
    time = month + _cell_draws(event, "time", seed, chunk, cells)
    return path, time, cells


def per_onset(
    event: EventModel,
    seed: int,
    chunk: int,
    onsets: Onsets,
    like: EventModel | None = None,
) -> Onsets:
    """``onsets`` (their paths, times and cells) with the event's duration and effects drawn
    for each (``draw_onsets``). With ``like``, the event ``onsets`` were drawn for, which
    differs from this one only in per-onset inputs, a value whose distribution is the same
    object as ``like``'s is kept as drawn, not drawn again."""
    if event.duration is None:
        end = np.full(len(onsets.path), np.inf)
    elif like is not None and event.duration is like.duration:
        end = onsets.end
    else:
        end = onsets.time + _values(event, "duration", event.duration, seed, chunk, onsets.cells)
    effects = {
        name: (
            onsets.effects[name]
            if like is not None and d is like.effects.get(name)
            else _values(event, name, d, seed, chunk, onsets.cells)
        )
        for name, d in event.effects.items()
    }
    return Onsets(onsets.path, onsets.time, end, effects, onsets.cells)


def _values(
    event: EventModel,
    name: str,
    distribution: Distribution,
    seed: int,
    chunk: int,
    cells: np.ndarray,
) -> np.ndarray:
    """The event's per-onset value ``name`` at onset ``cells``, drawn from ``distribution``
    (a fixed one needs no draws: the same number at every onset)."""
    if distribution.is_fixed:
        return distribution.quantile(np.full(len(cells), 0.5))
    return distribution.quantile(_cell_draws(event, name, seed, chunk, cells))


def _cell_draws(
    event: EventModel, name: str, seed: int, chunk: int, cells: np.ndarray
) -> np.ndarray:
    """The uniform numbers of the event's per-onset value ``name`` at onset ``cells``."""
    return cell_uniforms(cell_key(seed, chunk, f"event:{event.name}:{name}"), cells)


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
    rate: np.ndarray,
    rng: np.random.Generator,
    months: int,
    antithetic: bool = False,
    paths: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Months (and paths) with an onset, each month having one with chance 1 − exp(−rate/12),
    for the paths ``rate`` holds a rate for; only the first ``paths`` of them are kept.

    One uniform per path-month, drawn for every path; a higher rate gives a superset of the
    onsets of a lower one, which keeps comparisons on common random numbers tight.
    """
    n = len(rate)
    kept = n if paths is None else paths
    chance = -np.expm1(-rate[:kept] / 12.0)
    if antithetic:  # path j + n/2 has 1 − u: an onset when 1 − u < chance, i.e. u > 1 − chance
        half = n // 2
        u = rng.random((months, half))
        onset = np.empty((months, kept), dtype=bool)
        first = min(kept, half)
        np.less(u[:, :first], chance[:first], out=onset[:, :first])
        np.greater(u[:, : kept - first], 1 - chance[first:], out=onset[:, first:])
    else:
        onset = rng.random((months, n))[:, :kept] < chance
    cells = np.flatnonzero(onset)
    month = cells // kept
    return month, cells - month * kept


HEAD_MONTHS = 3  # months of an onset listed one by one before the rest becomes a run


def coverage(onsets: Onsets, months: int, paths: int, head: int = HEAD_MONTHS) -> Coverage:
    """The grid months each onset covers, with the covered fraction of each.

    Only an onset's first and last months can be partly covered. Only the first ``head``
    months are listed one by one (a level effect's ramp needs them), and a partly covered
    last month; the whole months after the head form a run. Each onset is listed alike
    whatever the other onsets, so a path's numbers do not depend on which other paths are
    simulated with it.
    """
    n = len(onsets.time)
    first = np.maximum(np.floor(onsets.time), 0).astype(np.int64)
    last = np.minimum(np.ceil(np.minimum(onsets.end, months)) - 1, months - 1).astype(np.int64)
    head_last = np.minimum(last, first + head - 1)
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


@dataclass(frozen=True)
class Grid:
    """Where an event's sums go: grid months ``first`` to ``stop`` − 1 of a grid of
    ``months`` months by ``paths`` paths (in a run, all of them)."""

    months: int
    paths: int
    first: int = 0
    stop: int | None = None  # None: the horizon

    @property
    def rows(self) -> int:
        return (self.months if self.stop is None else self.stop) - self.first

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.paths


def _on_grid(covered: Coverage, listed: np.ndarray, whole: np.ndarray, grid: Grid) -> np.ndarray:
    """A (months, paths) array of per-month values over the ``grid``'s months: ``listed``
    for the listed months, and each onset's ``whole``-month value over every month of its
    run."""
    if grid.rows == grid.months:
        out = _per_cell(covered.cell, listed, grid.shape)
        if len(covered.run_onset):
            cells = np.concatenate([covered.run_start, covered.run_stop])
            steps = np.concatenate([whole[covered.run_onset], -whole[covered.stop_onset]])
            runs = _per_cell(cells, steps, grid.shape)
            cumulate(runs)  # a step up where a run starts, down where it stops
            out += runs
        return out
    paths, offset = grid.paths, grid.first * grid.paths
    stop = grid.first + grid.rows
    inside = (covered.cell >= offset) & (covered.cell < stop * paths)
    out = _per_cell(covered.cell[inside] - offset, listed[inside], grid.shape)
    if len(covered.run_onset):  # each run from its first month (or the grid's) to its end
        start = covered.run_start // paths
        path = covered.run_start - start * paths
        end = np.full(len(covered.first), grid.months)
        end[covered.stop_onset] = covered.run_stop // paths
        end = end[covered.run_onset]
        begin = np.maximum(start, grid.first)
        live = begin < np.minimum(end, stop)
        ends = live & (end < stop)
        cells = np.concatenate([begin[live] * paths + path[live], end[ends] * paths + path[ends]])
        run_whole = whole[covered.run_onset]
        steps = np.concatenate([run_whole[live], -run_whole[ends]])
        runs = _per_cell(cells - offset, steps, grid.shape)
        cumulate(runs)
        out += runs
    return out


@dataclass
class EventSums:
    """What one event's onsets in a chunk add up to on the grid (None: it has no such
    effect); ``combine`` puts every event's together."""

    log_availability: dict[int, np.ndarray] = field(default_factory=dict)  # by route, a log
    log_level: np.ndarray | None = None  # the log of its level factor on its countries
    growth: np.ndarray | None = None  # log-level increments on its countries
    added: np.ndarray | None = None  # trade added to its countries, before route openness
    first: int = 0  # the grid month of the arrays' first row


Rule = Callable[[EventSums, EventModel, np.ndarray, Onsets, Coverage, Grid], None]


def _route_availability(
    sums: EventSums,
    event: EventModel,
    severity: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    grid: Grid,
) -> None:
    """``A_r(t) = Π (1 − s · cov(t))`` on each of the event's routes, as a sum of logs."""
    lost = severity[covered.onset]
    lost *= covered.fraction
    np.negative(lost, out=lost)
    with np.errstate(divide="ignore"):
        listed = np.log1p(lost, out=lost)
        whole = np.maximum(np.log1p(-severity), LOG_ZERO)
    log_remaining = _on_grid(covered, listed, whole, grid)
    for route in event.routes:  # one array for all of them: ``combine`` never adds into it
        sums.log_availability[route] = log_remaining


def _level(
    sums: EventSums,
    event: EventModel,
    level: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    grid: Grid,
) -> None:
    """A factor ``1 + x · ramp(t) · cov(t)`` on the event's countries' trade, as a log."""
    step = ramp_share(event, onsets.time[covered.onset], covered.month)
    step *= level[covered.onset]
    step *= covered.fraction
    listed = np.log1p(step, out=step)
    sums.log_level = _on_grid(covered, listed, np.log1p(level), grid)


def _growth(
    sums: EventSums,
    event: EventModel,
    growth: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    grid: Grid,
) -> None:
    """``ln(1 + x) · cov(t) / 12`` added to the countries' log level, carried forward."""
    whole = np.log1p(growth) / 12.0
    listed = whole[covered.onset] * covered.fraction
    sums.growth = _on_grid(covered, listed, whole, grid)


def _add(
    sums: EventSums,
    event: EventModel,
    add: np.ndarray,
    onsets: Onsets,
    covered: Coverage,
    grid: Grid,
) -> None:
    """``add / 12 · ramp(t) · cov(t)`` of trade in month t, summed over onsets (the route
    openness of an event with routes is applied once availability is known)."""
    whole = add / 12.0
    listed = ramp_share(event, onsets.time[covered.onset], covered.month)
    listed *= whole[covered.onset]
    listed *= covered.fraction
    sums.added = _on_grid(covered, listed, whole, grid)


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
    """Draw every event of ``model`` on the first ``paths`` paths of one chunk and combine
    its effects on the grid, each by its kind's rule (``RULES``).

    Products over overlapping onsets are taken as sums of logarithms; a month closed whole
    (severity 1 over the whole month) has log −inf (LOG_ZERO in runs), which exp turns back
    into exactly 0.
    """
    drawn = draw_events(model, seed, chunk, paths, antithetic)
    return combine(model, [sums for _, _, sums in drawn], active_onsets(drawn))


def draw_events(
    model: Model, seed: int, chunk: int, paths: int, antithetic: bool = False
) -> list[tuple[Onsets, Coverage, EventSums]]:
    """Every event of ``model`` drawn on the first ``paths`` paths of one chunk: its onsets,
    the months they cover and what they add up to on the grid (``combine`` puts them
    together)."""
    drawn = []
    for event in model.events:
        onsets = draw_onsets(event, seed, chunk, paths, model.months, antithetic, model.grid_start)
        sums, covered = event_sums(model, event, onsets, paths)
        drawn.append((onsets, covered, sums))
    return drawn


def active_onsets(
    drawn: list[tuple[Onsets, Coverage, EventSums]],
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per event (by index) of ``draw_events``, each onset's first and last covered months
    and its path (``ChunkEvents.active``)."""
    return {
        index: (covered.first, covered.last, onsets.path)
        for index, (onsets, covered, _) in enumerate(drawn)
    }


def event_sums(
    model: Model,
    event: EventModel,
    onsets: Onsets,
    paths: int,
    covered: Coverage | None = None,
    months: slice | None = None,
) -> tuple[EventSums, Coverage]:
    """What an event of ``model`` does on the grid with ``onsets``, and the months they
    cover (worked out unless ``covered`` gives them). With a slice of grid ``months``, only
    over those months (an event with a growth effect, which is carried forward, over every
    month up to their end): without ``covered``, only the onsets that cover one of them
    count (and the coverage returned is theirs)."""
    first, stop = (0, model.months) if months is None else (months.start, months.stop)
    if "growth" in event.effects:
        first = 0
    if covered is None:
        if (first, stop) != (0, model.months):
            onsets = _covering(onsets, first, stop)
        ramps = any(BY_NAME[name].acts in RAMPED for name in event.effects)
        covered = coverage(
            onsets, model.months, paths, HEAD_MONTHS + (math.ceil(event.ramp) if ramps else 0)
        )
    grid = Grid(model.months, paths, first, stop)
    sums = EventSums(first=first)
    for name, values in onsets.effects.items():
        RULES[BY_NAME[name].acts](sums, event, values, onsets, covered, grid)
    return sums, covered


def _covering(onsets: Onsets, first: int, stop: int) -> Onsets:
    """The onsets that cover some month from grid month ``first`` to ``stop`` − 1."""
    keep = (onsets.time < stop) & (onsets.end > first)
    effects = {name: values[keep] for name, values in onsets.effects.items()}
    return Onsets(
        onsets.path[keep], onsets.time[keep], onsets.end[keep], effects, onsets.cells[keep]
    )


def combine(
    model: Model,
    sums: list[EventSums],
    active: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    months: slice | None = None,
    availability: list[np.ndarray] | None = None,
) -> ChunkEvents:
    """Every event's ``sums`` (in the model's order of events) as what they do together:
    each route's availability, the product over events of what they leave open (times its
    seasonal pattern), and each event's added trade times the openness of its routes.

    Without ``months``, the sums' arrays become the result's (they are added into and
    overwritten). With a slice of grid ``months``, availability and added trade are worked
    out over those months alone, into new arrays, and ``sums`` are left as they were (growth
    stays whole: ``ChunkEvents.first`` says where the others begin). ``availability``, if
    given, is the routes' over those months (worked out before from the same route sums).
    """
    rows = slice(None) if months is None else months
    own = months is None
    totals: dict[int, np.ndarray] = {}
    taken: set[int] = set()  # arrays already some route's total: never added into twice
    for event_sum in sums if availability is None else ():
        for route, log in event_sum.log_availability.items():
            part = log[_rows(rows, event_sum)]
            if route in totals:
                totals[route] += part
            elif own and id(log) not in taken:
                totals[route] = part
                taken.add(id(log))
            else:
                totals[route] = part.copy()
    if availability is None:
        availability = [route.open[rows, None] for route in model.routes]
    for route, values in totals.items():
        np.exp(values, out=values)
        if model.routes[route].seasonal:
            values *= availability[route]
        availability[route] = values
    log_level, growth, added = {}, {}, {}
    for index, event_sum in enumerate(sums):
        if event_sum.log_level is not None:
            log_level[index] = event_sum.log_level[_rows(rows, event_sum)]
        if event_sum.growth is not None:
            growth[index] = event_sum.growth
        if event_sum.added is not None:
            trade, routes = event_sum.added[_rows(rows, event_sum)], model.events[index].routes
            if routes:  # the mean availability of the event's routes: O(t) = Σ_r A_r(t) / |R|
                openness = sum(availability[r] for r in routes) / len(routes)
                trade = np.multiply(trade, openness, out=trade if own else None)
            added[index] = trade
    first = 0 if months is None else (months.start or 0)
    return ChunkEvents(availability, log_level, growth, added, active, first)


def _rows(months: slice, sums: EventSums) -> slice:
    """The rows of ``sums``' arrays that hold grid ``months``."""
    if months.start is None:
        return months
    return slice(months.start - sums.first, months.stop - sums.first)

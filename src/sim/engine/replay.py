"""Variants of a model on the paths of a run already made, at a fraction of a run's price.

A variant that holds one input at a value or drops some events shares every other draw with
the model (common random numbers, ``sim.engine.streams``): chunk by chunk, its paths are the
model's with one part changed. ``replay`` draws each chunk's countries and events once, then
for each variant works out again only what it changes — the events it changes (drawn again
from their own streams) and the countries whose own inputs it changes — over the twelve
months of each target window it can touch. A country nothing changed keeps the run's flags.
Each flag is the one a run of the variant gives for that path, by the same arithmetic — but
for sums a variant works out over fewer months or onsets (``Grid``, ``_covering``), whose
last digits can differ from a run's: window totals agree to about 1e-13 of themselves, so a
flag could differ only where a total lies that close to its target (tests/test_replay.py
compares the flags path by path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from sim.core.model import EventModel, Model
from sim.engine.events import (
    Coverage,
    EventSums,
    Onsets,
    active_onsets,
    combine,
    draw_events,
    event_sums,
    onset_times,
    per_onset,
)
from sim.engine.outcomes import CountryOutcome, Outcomes, Plan, Results, merge
from sim.engine.rules import (
    Draws,
    Workspace,
    carried,
    country_factor,
    country_outcome,
    disturbed,
    level_trade,
    shocks,
    undisturbed,
    window_totals,
)
from sim.engine.run import blocks_of, gather
from sim.engine.streams import CHUNK

if TYPE_CHECKING:
    from sim.engine.workers import SharedResults, WorkerPool


@dataclass(frozen=True)
class Change:
    """A variant of a run's model: ``model``, the same as the run's but for the inputs of
    some of its ``events`` (by name) and ``countries`` (by id), and the events it lacks. A
    country's window and routes and an event's countries and routes stay the run's
    (``_check``)."""

    model: Model
    events: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()


def _check(model: Model, change: Change) -> None:
    """A ValueError unless ``change`` is what it says: the run's grid, routes and
    correlation; its countries in order, each the run's unless listed, and then with its
    window and routes; its events some of the run's, in order, each the run's unless listed,
    and then acting on the same countries and routes."""
    variant = change.model
    if (
        (variant.months, variant.grid_start) != (model.months, model.grid_start)
        or variant.routes is not model.routes
        or variant.correlation is not model.correlation
    ):
        raise ValueError("a replayed variant has the run's months, routes and correlation")
    if [c.id for c in variant.countries] != [c.id for c in model.countries]:
        raise ValueError("a replayed variant has the run's countries, in the same order")
    for country, before in zip(variant.countries, model.countries, strict=True):
        kept = ("window_end", "first_simulated", "route_shares")
        if country.id in change.countries:
            if any(getattr(country, name) != getattr(before, name) for name in kept):
                raise ValueError(f"{country.id}: a replayed variant keeps its window and routes")
        elif country != before:
            raise ValueError(f"{country.id} differs from the run's but is not named as changed")
    events = {event.name: event for event in model.events}
    names = [event.name for event in variant.events]
    if names != [name for name in events if name in names]:
        raise ValueError("a replayed variant's events are some of the run's, in the same order")
    for event in variant.events:
        run_event = events[event.name]
        if event.name in change.events:
            if (event.countries, event.routes) != (run_event.countries, run_event.routes):
                raise ValueError(f"{event.name}: a replayed variant keeps its countries and routes")
        elif event != run_event:
            raise ValueError(f"{event.name} differs from the run's but is not named as changed")


def replay(
    model: Model,
    plan: Plan,
    changes: Sequence[Change],
    progress: Callable[[int], None] | None = None,
    pool: WorkerPool | None = None,
) -> tuple[Outcomes, list[list[np.ndarray]]]:
    """A run of ``model`` by ``plan`` (in this process, or in worker processes: ``pool``'s,
    or ``plan.workers`` new ones), and per change, per country, which of its paths meet the
    target in the variant; ``progress`` is told how many paths each block held."""
    for change in changes:
        _check(model, change)
    if plan.method not in ("plain", "antithetic"):
        raise ValueError(f"variants are replayed on plain or antithetic paths, not {plan.method}")
    found = [[np.empty(plan.paths, dtype=bool) for _ in model.countries] for _ in changes]
    blocks = blocks_of(plan)

    def placed(parts: Iterable[Replayed]) -> Iterator[list[CountryOutcome]]:
        for block, (outcomes, flags) in zip(blocks, parts, strict=True):
            first = block.start * CHUNK
            for mine, theirs in zip(found, flags, strict=True):
                for country, met in zip(mine, theirs, strict=True):
                    country[first : first + len(met)] = met
            yield outcomes

    task = partial(replay_shared_block, tuple(changes))
    if plan.workers > 1 and len(blocks) > 1:
        from sim.engine.workers import in_workers

        with in_workers(model, plan, blocks, 0, pool, task) as (parts, results):
            countries = gather(blocks, placed(parts), results, plan, progress)
    else:
        results = Results.allocate(len(model.countries), plan.paths, 0)
        parts = (replay_block(changes, model, plan, block, results) for block in blocks)
        countries = gather(blocks, placed(parts), results, plan, progress)
    return Outcomes(model, plan.paths, plan.seed, countries, plan.method), found


# a block's outcomes, and per change, per country, which of its paths meet the target
Replayed = tuple[list[CountryOutcome], list[list[np.ndarray]]]


def replay_block(
    changes: Sequence[Change],
    model: Model,
    plan: Plan,
    chunks: range,
    results: Results | None = None,
) -> Replayed:
    """The run's outcomes on ``chunks`` (their per-path arrays written into ``results`` if
    given) and each change's flags there."""
    workspace = Workspace()
    parts: list[list[CountryOutcome]] = []
    flags: list[list[list[np.ndarray]]] = [[[] for _ in model.countries] for _ in changes]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for chunk in chunks:
            drawn = _Chunk(model, plan, chunk, workspace)
            for mine, change in zip(flags, changes, strict=True):
                for country, met in zip(mine, drawn.met(change), strict=True):
                    country.append(met)
            if results is not None:
                results.place(chunk, drawn.outcomes)
            parts.append(drawn.outcomes)
    return merge(parts), [[np.concatenate(met) for met in mine] for mine in flags]


def replay_shared_block(
    changes: Sequence[Change],
    model: Model,
    plan: Plan,
    chunks: range,
    shared: SharedResults | None,
) -> Replayed:
    """A worker's task: ``replay_block``, writing the run's per-path arrays into ``shared``
    (or sending them back when it cannot open it)."""
    results = None if shared is None else shared.attach()
    return replay_block(changes, model, plan, chunks, results)


@dataclass
class _Chunk:
    """One chunk of the run's paths: its outcomes, and what every variant shares — its
    draws, each event's onsets and sums on the grid, each country's log level before events
    — made once."""

    model: Model
    plan: Plan
    chunk: int
    workspace: Workspace
    draws: Draws = field(init=False)
    drawn_events: dict[str, tuple[Onsets, Coverage, EventSums]] = field(init=False)
    # per country: its log level up to its deadline (``_before_window``), run-rate and shocks
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(init=False)
    outcomes: list[CountryOutcome] = field(init=False)  # the run's
    # per country: the routes' availability over its window in the run, its route factor
    routes: dict[int, tuple[list[np.ndarray], np.ndarray | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        model, plan = self.model, self.plan
        valid = min(CHUNK, plan.paths - self.chunk * CHUNK)  # only these are simulated
        self.draws = Draws(plan.seed, self.chunk, plan.antithetic, model.correlation, width=valid)
        drawn = draw_events(model, plan.seed, self.chunk, valid, plan.antithetic)
        self.drawn_events = {event.name: d for event, d in zip(model.events, drawn, strict=True)}
        events = None
        if model.events or model.routes:  # over every month, leaving the sums as they are
            every = [sums for _, _, sums in drawn]
            events = combine(model, every, active_onsets(drawn), slice(0, model.months))
        self.levels, self.outcomes = [], []
        for index in range(len(model.countries)):
            increments, run_rate, walk = self._undisturbed(model, index)
            self.levels.append((_before_window(model, index, increments), run_rate, walk))
            trade = disturbed(model, index, events, increments)
            self.outcomes.append(country_outcome(model, index, trade, run_rate, events, valid))

    def _undisturbed(
        self, model: Model, index: int, walk: np.ndarray | None = None, stop: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The increments of the country's log level before events (``undisturbed``) up to
        grid month ``stop`` (the horizon), its run-rate and its shocks and noise: ``walk`` if
        given (drawn for the same volatility and noise), else drawn."""
        country = model.countries[index]
        if walk is None:
            walk = np.empty((model.months - country.first_simulated, self.draws.width))
            shocks(country, self.draws, walk)
        increments, run_rate = undisturbed(model, index, self.draws, self.workspace, walk, stop)
        return increments, run_rate, walk

    def met(self, change: Change) -> list[np.ndarray]:
        """Per country, which of the chunk's paths meet the target in the variant."""
        model, variant = self.model, change.model
        kept = {event.name for event in variant.events}
        touched = set(change.events) | {e.name for e in model.events if e.name not in kept}
        # whether the routes' availability is the run's: no event on them changed or dropped
        same_routes = not any(self.drawn_events[name][2].log_availability for name in touched)
        redrawn: dict[str, EventSums] = {}
        found = []
        for index, country in enumerate(model.countries):
            if country.id not in change.countries and not any(
                event.name in touched and event.affects(index, model) for event in model.events
            ):
                found.append(self.outcomes[index].met)
                continue
            sums = [self._sums(variant, event.name, change, redrawn) for event in variant.events]
            own = country.id in change.countries
            found.append(self._met(variant, index, sums, own, same_routes))
        return found

    def _sums(
        self, variant: Model, name: str, change: Change, redrawn: dict[str, EventSums]
    ) -> EventSums:
        """The sums of the variant's event ``name``: the run's, unless the change names it.
        Then only what differs is drawn again: the onsets if their timing does, else the
        per-onset values whose distribution does (and their coverage if the durations do)."""
        onsets, covered, sums = self.drawn_events[name]
        if name not in change.events:
            return sums
        if name not in redrawn:
            event = next(e for e in variant.events if e.name == name)
            before = next(e for e in self.model.events if e.name == name)
            seed, windows = self.plan.seed, _windows(variant)
            if _same_timing(event, before):
                onsets = per_onset(event, seed, self.chunk, onsets, like=before)
                kept = covered if onsets.end is self.drawn_events[name][0].end else None
            else:  # drawn again up to the end of the last window: the streams fill
                # month by month, so these are the first months' onsets of a whole run
                antithetic, grid_start = self.plan.antithetic, variant.grid_start
                width = self.draws.width
                path, time, cells = onset_times(
                    event, seed, self.chunk, width, windows.stop, antithetic, grid_start
                )
                early = time < windows.stop  # a one-off event's start may run on
                path, time, cells = path[early], time[early], cells[early]
                onsets = per_onset(event, seed, self.chunk, Onsets(path, time, time, {}, cells))
                kept = None
            redrawn[name] = event_sums(variant, event, onsets, self.draws.width, kept, windows)[0]
        return redrawn[name]

    def _met(
        self, variant: Model, index: int, sums: list[EventSums], own: bool, same_routes: bool
    ) -> np.ndarray:
        """The country's flags in the variant from every event's ``sums``; ``own``: its own
        inputs changed, so its log level is worked out again; ``same_routes``: the routes'
        availability is the run's."""
        country, before = variant.countries[index], self.model.countries[index]
        start, end = country.first_simulated, country.window_end
        level, run_rate, walk = self.levels[index]
        built_for = self.model  # the model whose growth events decide if it is carried
        if own:
            same = country.volatility is before.volatility and country.noise is before.noise
            kept = walk if same else None
            increments, run_rate, _ = self._undisturbed(variant, index, kept, end + 1)
            level, built_for = _before_window(variant, index, increments), variant
        months = country.simulated_window
        first = months.start
        events, factor = None, None
        if variant.events or variant.routes:
            availability = None
            if same_routes:
                availability, factor = self._routes(index)
            events = combine(variant, sums, {}, months, availability)
        if _grows(built_for, index):  # still increments: the variant's growth effects added
            level = level.copy()
            carried(variant, index, events, level)
            in_window = level[first - start :]
        else:
            in_window = level[first - start :].copy()
        trade = level_trade(variant, index, events, in_window, first, factor)
        total = window_totals(country, trade, run_rate, (end,), offset=first)[0]
        return total >= country.threshold

    def _routes(self, index: int) -> tuple[list[np.ndarray], np.ndarray | None]:
        """The routes' availability over the country's window in the run, and its route
        factor (None: it has no routes); worked out once."""
        if index not in self.routes:
            model, window = self.model, self.model.countries[index].simulated_window
            sums = [self.drawn_events[event.name][2] for event in model.events]
            availability = combine(model, sums, {}, window).availability
            self.routes[index] = availability, country_factor(model, index, availability)
        return self.routes[index]


def _windows(model: Model) -> slice:
    """The grid months of every country's target window (and those between)."""
    windows = [country.simulated_window for country in model.countries]
    return slice(min(w.start for w in windows), max(w.stop for w in windows))


def _before_window(model: Model, index: int, increments: np.ndarray) -> np.ndarray:
    """A copy of the country's log level up to its deadline from its ``increments``: carried
    forward, unless growth effects are still to be added to them."""
    country = model.countries[index]
    level = increments[: max(0, country.window_end + 1 - country.first_simulated)].copy()
    if not _grows(model, index):
        carried(model, index, None, level)
    return level


def _same_timing(event: EventModel, before: EventModel) -> bool:
    """Whether two versions of an event have the same onsets: the same rate or probability
    (the same distribution objects), window and phase-in."""
    return (
        event.rate is before.rate
        and event.probability is before.probability
        and event.start == before.start
        and event.ramp == before.ramp
    )


def _grows(model: Model, index: int) -> bool:
    """Whether an event of ``model`` has a growth effect on the country ``index``."""
    return any(index in e.countries and "growth" in e.effects for e in model.events)

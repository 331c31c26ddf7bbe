"""Simulating paths: SPEC "Model semantics" 1–8, vectorised over paths, chunk by chunk.

A chunk is ``CHUNK`` paths drawn from its own streams (``sim.streams``); its arrays are
(months, paths). A block is a run of consecutive chunks, the unit of work handed to a worker
process (``sim.workers``). Neither the block size nor the number of workers changes a single
number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim import walk
from sim.arrays import cumulate
from sim.compile import CountryModel, Model
from sim.distributions import Distribution
from sim.events import ChunkEvents, chunk_events
from sim.routes import route_factor
from sim.streams import CHUNK, generator, path_uniforms

if TYPE_CHECKING:
    from sim.workers import WorkerPool

DEFAULT_BLOCK = 4 * CHUNK  # 32,768 paths: small enough to share a default run among workers
LARGEST_DEFAULT_BLOCK = 32 * CHUNK  # 262,144 paths
METHODS = ("antithetic", "plain")
DEFAULT_METHOD = "antithetic"

# Throughput of one core, cautiously: benchmarks/bench_scale.py measures about 110 million
# path-months a second without events on long runs. Only used to warn before a run that would
# take hours.
PATH_MONTHS_PER_SECOND = 20e6


@dataclass
class CountryOutcome:
    """What the paths did for one country.

    ``window_total`` is each path's trade over the target window; ``met`` says whether it
    reached the target;
    ``met_in_year[k]`` counts the paths whose 12-month window ending at ``year_ends[k]``
    reached the target, and ``reached_by_year[k]`` those that had reached it in that window
    or an earlier one; ``event_paths`` counts, per event that can affect the country, the
    paths where the event was active in at least one simulated month up to the deadline.
    """

    window_total: np.ndarray
    met: np.ndarray
    met_in_year: np.ndarray
    reached_by_year: np.ndarray
    event_paths: dict[str, int] = field(default_factory=dict)
    yearly: np.ndarray | None = None  # (years, paths) window totals, when asked for


@dataclass
class Outcomes:
    model: Model
    paths: int
    seed: int
    countries: list[CountryOutcome]
    method: str = DEFAULT_METHOD

    @property
    def antithetic(self) -> bool:
        """Whether paths come in antithetic pairs (their statistics use the pairs)."""
        return self.method == "antithetic"


@dataclass(frozen=True)
class Work:
    """A rough estimate of what a run costs."""

    seconds: float
    memory: int  # bytes of per-path results held at once


def estimate_work(model: Model, paths: int) -> Work:
    """What simulating ``paths`` paths of ``model`` will roughly cost (events slow it down)."""
    path_months = paths * sum(model.months - c.first_simulated for c in model.countries)
    slowdown = 1.0 + 0.5 * len(model.events) + 0.25 * len(model.routes)
    # each country keeps 9 bytes per path (its window total and flag), twice while --precision
    # stages are merged or a comparison holds two runs
    return Work(path_months * slowdown / PATH_MONTHS_PER_SECOND, paths * 18 * len(model.countries))


def default_block(paths: int, workers: int) -> int:
    """The block size of a run of ``paths`` paths on ``workers`` processes unless told: about
    eight blocks per worker, within 32,768 and 262,144 paths. A short run is still shared
    among the workers, and a long one is not cut into thousands of blocks, each of which costs
    a task, a mapping of the shared results and fresh scratch arrays (10^7 paths on two
    workers ran about 5% slower in blocks of 32,768 than of 262,144)."""
    per_worker = math.ceil(paths / (8 * max(1, workers)))
    return min(LARGEST_DEFAULT_BLOCK, max(DEFAULT_BLOCK, per_worker))


def simulate(
    model: Model,
    paths: int,
    seed: int,
    block_size: int = DEFAULT_BLOCK,
    workers: int = 1,
    years: bool = False,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    method: str = DEFAULT_METHOD,
    pool: WorkerPool | None = None,
) -> Outcomes:
    """Simulate ``paths`` paths of ``model`` with streams from ``seed``, in blocks of about
    ``block_size`` paths, on ``workers`` processes (1: in this process), or on the Dask
    cluster whose scheduler is at ``scheduler``.

    With ``years``, every path's trade in each yearly window is kept (for charts); ``progress``
    is told how many paths each finished block held.
    """
    plan = Plan(seed, paths, block_size, workers, years, scheduler, method)
    return Outcomes(model, paths, seed, _paths(model, plan, 0, progress, pool), method)


def simulate_until(
    model: Model,
    seed: int,
    enough: Callable[[Outcomes], bool],
    max_paths: int,
    block_size: int = DEFAULT_BLOCK,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    method: str = DEFAULT_METHOD,
    pool: WorkerPool | None = None,
) -> Outcomes:
    """Simulate more and more paths until ``enough(outcomes)`` or ``max_paths``.

    The rule is checked at fixed path counts (CHUNK, then doubling), whatever the block size
    or number of workers, so the same seed stops at the same count with the same numbers; each
    stage adds the next paths of the same streams to those already simulated.
    """
    done, target = 0, CHUNK
    stages: list[list[CountryOutcome]] = []
    while True:
        target = min(target, max_paths)
        first = done // CHUNK
        plan = Plan(seed, target, block_size, workers, False, scheduler, method)
        stages.append(_paths(model, plan, first, progress, pool))
        done = target
        parts = merge(stages) if len(stages) > 1 else stages[0]
        outcomes = Outcomes(model, done, seed, parts, method)
        if enough(outcomes) or done >= max_paths:
            return outcomes
        stages = [outcomes.countries]
        target *= 2


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
    method: str = DEFAULT_METHOD

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r} is not one of {', '.join(METHODS)}")

    @property
    def antithetic(self) -> bool:
        return self.method == "antithetic"


@dataclass
class Results:
    """Where a run's per-path results go: each country's window totals and target flags, one
    row per country, for the paths from chunk ``first_chunk`` on. Each block's arrays are
    written in their place as they are made (``place``), so a run holds them once."""

    totals: np.ndarray  # (countries, paths) float64
    met: np.ndarray  # (countries, paths) bool
    first_chunk: int = 0

    @classmethod
    def allocate(cls, countries: int, paths: int, first_chunk: int) -> Results:
        return cls(np.empty((countries, paths)), np.empty((countries, paths), bool), first_chunk)

    def place(self, chunk: int, outcomes: list[CountryOutcome]) -> None:
        """Write the arrays of ``outcomes`` (paths from chunk ``chunk`` on) in their place; the
        outcomes keep only their counts. Outcomes already placed (no arrays) are left alone."""
        start = (chunk - self.first_chunk) * CHUNK
        for row, outcome in enumerate(outcomes):
            size = len(outcome.window_total)
            self.totals[row, start : start + size] = outcome.window_total
            self.met[row, start : start + size] = outcome.met
            outcome.window_total, outcome.met = np.empty(0), np.empty(0, bool)


def _paths(
    model: Model,
    plan: Plan,
    first_chunk: int,
    progress: Callable[[int], None] | None,
    pool: WorkerPool | None = None,
) -> list[CountryOutcome]:
    """The outcomes of the run's paths from chunk ``first_chunk`` on, up to ``plan.paths``."""
    chunks = math.ceil(plan.paths / CHUNK)
    per_block = max(1, math.ceil(plan.block_size / CHUNK))
    blocks = [
        range(first, min(first + per_block, chunks))
        for first in range(first_chunk, chunks, per_block)
    ]
    countries, paths = len(model.countries), plan.paths - first_chunk * CHUNK
    if plan.scheduler is not None:
        from sim.workers import run_on_dask

        results = Results.allocate(countries, paths, first_chunk)
        return gather(blocks, run_on_dask(model, plan, blocks), results, plan, progress)
    if plan.workers > 1 and len(blocks) > 1:
        from sim.workers import in_workers

        with in_workers(model, plan, blocks, first_chunk, pool) as (parts, results):
            return gather(blocks, parts, results, plan, progress)
    results = Results.allocate(countries, paths, first_chunk)
    parts = (simulate_block(model, plan, block, results) for block in blocks)
    return gather(blocks, parts, results, plan, progress)


def simulate_block(
    model: Model, plan: Plan, chunks: range, results: Results | None = None
) -> list[CountryOutcome]:
    """The outcomes of the paths in ``chunks`` (only the first ``plan.paths`` of the run count).

    With ``results``, each chunk's per-path arrays are written there, and the outcomes returned
    keep only their counts.
    """
    workspace = Workspace()
    parts = []
    # Absurd but valid inputs (growth of 1e300) overflow to inf; the results say so.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for chunk in chunks:
            outcomes = simulate_chunk(model, plan, chunk, workspace)
            if results is not None:
                results.place(chunk, outcomes)
            parts.append(outcomes)
    return merge(parts)


def gather(
    blocks: list[range],
    parts: Iterable[list[CountryOutcome]],
    results: Results,
    plan: Plan,
    progress: Callable[[int], None] | None = None,
) -> list[CountryOutcome]:
    """The outcomes of consecutive blocks as one: per-path arrays that a block still carries
    are written into ``results`` as it arrives (so a run holds them once, not twice), counts
    are added up; ``progress`` is told how many paths each block held."""
    counted: list[CountryOutcome] = []
    for block, part in zip(blocks, parts, strict=True):
        results.place(block.start, part)
        counted = merge([counted, part]) if counted else part
        if progress is not None:
            progress(min(block.stop * CHUNK, plan.paths) - block.start * CHUNK)
    for row, outcome in enumerate(counted):
        outcome.window_total, outcome.met = results.totals[row], results.met[row]
    return counted


class Workspace:
    """Scratch arrays reused from chunk to chunk: allocating them anew costs page faults."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised float array of ``shape``, the same memory on every call."""
        array = self._arrays.get(name)
        if array is None or array.shape != shape:
            array = self._arrays[name] = np.empty(shape)
        return array


def merge(parts: list[list[CountryOutcome]]) -> list[CountryOutcome]:
    """Outcomes of consecutive parts of a run as one, in path order."""
    merged = []
    for pieces in zip(*parts, strict=True):
        events = {name: sum(p.event_paths[name] for p in pieces) for name in pieces[0].event_paths}
        merged.append(
            CountryOutcome(
                window_total=np.concatenate([p.window_total for p in pieces]),
                met=np.concatenate([p.met for p in pieces]),
                met_in_year=sum(p.met_in_year for p in pieces),
                reached_by_year=sum(p.reached_by_year for p in pieces),
                event_paths=events,
                yearly=None
                if pieces[0].yearly is None
                else np.concatenate([p.yearly for p in pieces], axis=1),
            )
        )
    return merged


def simulate_chunk(
    model: Model, plan: Plan, chunk: int, workspace: Workspace | None = None
) -> list[CountryOutcome]:
    """One chunk's outcomes, keeping only paths numbered below ``plan.paths``."""
    workspace = workspace or Workspace()
    valid = min(CHUNK, plan.paths - chunk * CHUNK)
    draws = Draws(plan.seed, chunk, plan.antithetic)
    events = None
    if model.events or model.routes:
        events = chunk_events(model, plan.seed, chunk, CHUNK, plan.antithetic)
    outcomes = []
    for index in range(len(model.countries)):
        trade, run_rate = _monthly_trade(model, index, events, draws, workspace)
        outcomes.append(_outcome(model, index, trade, run_rate, events, valid, plan.years))
    return outcomes


@dataclass(frozen=True)
class Draws:
    """A chunk's per-path random numbers of each country, from the country's streams."""

    seed: int
    chunk: int
    antithetic: bool

    def values(self, country: CountryModel, name: str) -> np.ndarray:
        """One draw per path of the country's uncertain input ``name``, by its quantile
        function; a fixed input's one value (it broadcasts over the paths)."""
        distribution = getattr(country, name)
        if distribution.is_fixed:  # the same for every path: no stream to draw from
            return np.array([distribution.median()])
        rng = generator(self.seed, self.chunk, f"country:{country.id}:{name}")
        return distribution.quantile(path_uniforms(rng, CHUNK, self.antithetic))

    def walk_and_noise(self, country: CountryModel, out: np.ndarray) -> None:
        """The monthly increments of the country's persistent shocks plus transitory noise
        (``sim.walk``): their cumulative sum over months is σ/√12 Σ ε + ν η."""
        rng = generator(self.seed, self.chunk, f"country:{country.id}:walk-and-noise")
        sigma = self.values(country, "volatility") / math.sqrt(12.0)
        nu = self.values(country, "noise")
        if len(sigma) == len(nu) == 1:  # the same for every path: one factor for the run
            diag, sub = walk.fixed_factor(float(sigma[0]), float(nu[0]), len(out))
        else:
            diag, sub = walk.factor(sigma, nu, len(out))
        sub = None if _is_zero(country.noise) else sub
        walk.increments(rng, diag, sub, out, self.antithetic)


def _monthly_trade(
    model: Model,
    index: int,
    events: ChunkEvents | None,
    draws: Draws,
    workspace: Workspace,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated trade of each of the country's simulated months (SPEC 1–7), and the run-rate."""
    country = model.countries[index]
    start = country.first_simulated
    months = model.months - start
    shape = (months, CHUNK)

    run_rate = draws.values(country, "baseline") / country.baseline_months
    growth = np.log1p(draws.values(country, "rate")) / 12.0  # per month

    # The log level is a sum of increments carried forward: the trend's (the first simulated
    # month's level, then a month's growth each month), the shocks and noise, growth events.
    # Add them up month by month, then cumulate once.
    log_level = workspace.array("level", shape)
    if months and not (_is_zero(country.volatility) and _is_zero(country.noise)):
        draws.walk_and_noise(country, log_level)
    else:
        log_level[...] = 0.0
    if months:  # none when the baseline period ends at the horizon
        log_level[0] += np.log(run_rate) + growth * (start - country.midpoint)
        log_level[1:] += growth
    # level and growth effects act on the event's countries only (severity acts on routes)
    scoped = (
        [] if events is None else [e for e, ev in enumerate(model.events) if index in ev.countries]
    )
    for e in scoped:
        if e in events.growth:
            log_level += events.growth[e][start:]
    cumulate(log_level)
    for e in scoped:
        if e in events.log_level:  # level effects multiply trade: their logs add
            log_level += events.log_level[e][start:]
    trade = np.exp(log_level, out=log_level)
    if events is not None and country.route_shares:
        reroute = tuple(route.reroute for route in model.routes)
        availability = [a[start:] for a in events.availability]
        trade *= route_factor(country.route_shares, reroute, availability)
    return trade, run_rate


def _is_zero(distribution: Distribution) -> bool:
    return distribution.is_fixed and distribution.params[0] == 0.0


def _window_totals(
    country: CountryModel, trade: np.ndarray, run_rate: np.ndarray, ends: tuple[int, ...]
) -> np.ndarray:
    """Trade over the 12 months ending at each grid month in ``ends``: (len(ends), paths)."""
    start = country.first_simulated
    totals = np.empty((len(ends), trade.shape[1]))
    for k, end in enumerate(ends):
        first = max(end - 11, start)
        totals[k] = trade[first - start : end - start + 1].sum(axis=0)
        observed = country.observed_months(end)
        if observed:
            totals[k] += observed * run_rate
    return totals


def _outcome(
    model: Model,
    index: int,
    trade: np.ndarray,
    run_rate: np.ndarray,
    events: ChunkEvents | None,
    valid: int,
    years: bool,
) -> CountryOutcome:
    country = model.countries[index]
    ends = country.year_ends
    yearly = _window_totals(country, trade, run_rate, ends)[:, :valid]
    if country.window_end in ends:  # the deadline's window is one of the yearly ones
        window = yearly[ends.index(country.window_end)]
    else:
        window = _window_totals(country, trade, run_rate, (country.window_end,))[0, :valid]
    met = yearly >= country.threshold
    reached = met.copy()
    for k in range(1, len(reached)):  # faster than logical_or.accumulate on a few rows
        reached[k] |= reached[k - 1]
    seen = {}
    for e, event in enumerate(model.events):
        if events is None or not event.affects(index, model):
            continue
        first, last, path = events.active[e]
        # covered some month between the country's first simulated month and its deadline
        before = (first <= country.window_end) & (last >= country.first_simulated)
        before &= last >= first
        hit = np.zeros(CHUNK, dtype=bool)
        hit[path[before]] = True
        seen[event.name] = int(hit[:valid].sum())
    return CountryOutcome(
        window_total=window.copy(),  # not a view that keeps every yearly window alive
        met=window >= country.threshold,
        met_in_year=met.sum(axis=1),
        reached_by_year=reached.sum(axis=1),
        event_paths=seen,
        yearly=yearly.copy() if years else None,
    )

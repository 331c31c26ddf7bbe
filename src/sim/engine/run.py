"""Running a model: blocks of chunks in this process, in worker processes or on a Dask
cluster, until a number of paths or a precision is reached. Neither the block size nor the
number of workers changes a single number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.core.model import Model
from sim.defaults import DEFAULT_METHOD, Method
from sim.engine import rules
from sim.engine.outcomes import (
    DEFAULT_BLOCK,
    CountryOutcome,
    Outcomes,
    Plan,
    Results,
    Tilt,
    merge,
)
from sim.engine.streams import CHUNK

if TYPE_CHECKING:
    from sim.engine.workers import WorkerPool

LARGEST_DEFAULT_BLOCK = 32 * CHUNK  # 262,144 paths
# Blocks a default run is cut into at least, when it has that many chunks: the progress bar
# advances as each block finishes, so it moves every 4% or so (every chunk of a shorter run).
PROGRESS_BLOCKS = 25

# Throughput of one core, cautiously: benchmarks/bench_scale.py measures about 110 million
# path-months a second without events on long runs. Only used to warn before a run that would
# take hours.
PATH_MONTHS_PER_SECOND = 20e6


@dataclass(frozen=True)
class Work:
    """A rough estimate of what a run costs."""

    seconds: float
    memory: int  # bytes of per-path results held at once


def estimate_work(
    model: Model, paths: int, years: bool = False, weighted: bool = False, flags: int = 0
) -> Work:
    """What simulating ``paths`` paths of ``model`` will roughly cost (events slow it down);
    ``years``: every path's yearly windows are kept too; ``weighted``: every path's weight
    (importance sampling); ``flags``: that many more flags a path (replayed variants')."""
    path_months = paths * sum(model.months - c.first_simulated for c in model.countries)
    slowdown = 1.0 + 0.5 * len(model.events) + 0.25 * len(model.routes)
    # each country keeps 9 bytes per path (its window total and flag), twice while --precision
    # stages are merged or a comparison holds two runs; kept yearly windows are 8 bytes a year,
    # twice while blocks are merged
    kept = 9 + (8 * max((len(c.year_ends) for c in model.countries), default=0) if years else 0)
    kept += 8 if weighted else 0
    memory = paths * (2 * kept * len(model.countries) + flags)
    return Work(path_months * slowdown / PATH_MONTHS_PER_SECOND, memory)


def default_block(paths: int, workers: int) -> int:
    """The block size of a run of ``paths`` paths on ``workers`` processes unless told: about
    eight blocks per worker, within 32,768 and 262,144 paths, but small enough that the run
    has ``PROGRESS_BLOCKS`` blocks where it has that many chunks (the progress bar moves
    once a block). A short run is still shared among the workers, and a long one is not cut
    into thousands of blocks, each of which costs a task, a mapping of the shared results and
    fresh scratch arrays (10^7 paths on two workers ran about 5% slower in blocks of 32,768
    than of 262,144; 10^5 paths ran no slower in blocks of 8,192 than of 32,768)."""
    per_worker = math.ceil(paths / (8 * max(1, workers)))
    block = min(LARGEST_DEFAULT_BLOCK, max(DEFAULT_BLOCK, per_worker))
    return max(CHUNK, min(block, math.ceil(paths / PROGRESS_BLOCKS)))


def simulate(
    model: Model,
    paths: int,
    seed: int,
    block_size: int = DEFAULT_BLOCK,
    workers: int = 1,
    years: bool = False,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    method: Method = DEFAULT_METHOD,
    pool: WorkerPool | None = None,
    tilt: Tilt = (),
) -> Outcomes:
    """Simulate ``paths`` paths of ``model`` with streams from ``seed``, in blocks of about
    ``block_size`` paths, on ``workers`` processes (1: in this process), or on the Dask
    cluster whose scheduler is at ``scheduler``.

    With ``years``, every path's trade in each yearly window is kept (for charts); ``progress``
    is told how many paths each finished block held. With method "importance", ``tilt``
    shifts the draws (``sim.engine.tilt``) and the outcomes carry each path's weight.
    """
    plan = Plan(seed, paths, block_size, workers, years, scheduler, method, tilt)
    return Outcomes(model, paths, seed, _paths(model, plan, 0, progress, pool), method)


def simulate_until(
    model: Model,
    seed: int,
    plan: Callable[[Outcomes], int | None],
    max_paths: int,
    block_size: int = DEFAULT_BLOCK,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    method: Method = DEFAULT_METHOD,
    pool: WorkerPool | None = None,
    years: bool = False,
    tilt: Tilt = (),
) -> Outcomes:
    """Simulate CHUNK paths, then as many more as ``plan(outcomes)`` asks (None: enough),
    up to ``max_paths`` (keeping every path's yearly windows with ``years``; shifting the
    draws by ``tilt``, as ``simulate`` does).

    Runs stop only at fixed path counts (CHUNK times a power of two: the first at or above
    the plan, and at least twice the paths so far), whatever the block size or number of
    workers, so the same seed stops at the same count with the same numbers; each stage adds
    the next paths of the same streams to those already simulated.
    """
    done, target = 0, CHUNK
    stages: list[list[CountryOutcome]] = []
    while True:
        target = min(target, max_paths)
        first = done // CHUNK
        plan_ = Plan(seed, target, block_size, workers, years, scheduler, method, tilt)
        stages.append(_paths(model, plan_, first, progress, pool))
        done = target
        parts = merge(stages) if len(stages) > 1 else stages[0]
        outcomes = Outcomes(model, done, seed, parts, method)
        wanted = plan(outcomes) if done < max_paths else None
        if wanted is None:
            return outcomes
        stages = [outcomes.countries]
        target = 2 * done
        while target < wanted:
            target *= 2


def _paths(
    model: Model,
    plan: Plan,
    first_chunk: int,
    progress: Callable[[int], None] | None,
    pool: WorkerPool | None = None,
) -> list[CountryOutcome]:
    """The outcomes of the run's paths from chunk ``first_chunk`` on, up to ``plan.paths``."""
    blocks = blocks_of(plan, first_chunk)
    countries, paths = len(model.countries), plan.paths - first_chunk * CHUNK
    if plan.scheduler is not None:
        from sim.engine.dask import run_on_dask

        results = Results.allocate(countries, paths, first_chunk, plan.weighted(model))
        return gather(blocks, run_on_dask(model, plan, blocks), results, plan, progress)
    if plan.workers > 1 and len(blocks) > 1:
        from sim.engine.workers import in_workers, simulate_shared_block

        task = simulate_shared_block
        with in_workers(model, plan, blocks, first_chunk, pool, task) as (parts, results):
            return gather(blocks, parts, results, plan, progress)
    results = Results.allocate(countries, paths, first_chunk, plan.weighted(model))
    parts = (rules.simulate_block(model, plan, block, results) for block in blocks)
    return gather(blocks, parts, results, plan, progress)


def blocks_of(plan: Plan, first_chunk: int = 0) -> list[range]:
    """The chunks of a run's paths from chunk ``first_chunk`` on, cut into blocks of about
    ``plan.block_size`` paths."""
    chunks = math.ceil(plan.paths / CHUNK)
    per_block = max(1, math.ceil(plan.block_size / CHUNK))
    return [
        range(first, min(first + per_block, chunks))
        for first in range(first_chunk, chunks, per_block)
    ]


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
        outcome.weight = results.weight(row)
    return counted

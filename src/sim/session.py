"""A session of runs: the options every simulating call shares, one worker pool and one
progress bar for all of its runs, and the refusal of runs too large to finish.

``sim.run`` and the other functions of ``sim.api`` each open a session for their runs, as
``httpx.request`` opens a client for one request.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TypedDict

import numpy as np

from sim.core.model import Model
from sim.defaults import (
    DEFAULT_METHOD,
    DEFAULT_PATHS,
    DEFAULT_SEED,
    MAX_MEMORY,
    MAX_SECONDS,
    METHODS,
    Method,
)
from sim.engine.outcomes import DEFAULT_BLOCK, Outcomes, Plan, Tilt
from sim.errors import SettingError

Progress = bool | Callable[[int], None] | None

# More worker processes than this many per core only cost memory (each holds its own copy of
# the model and scratch arrays): ``workers`` above it are capped.
WORKERS_PER_CORE = 4


def check_whole(name: str, value: object, least: int) -> None:
    """A SettingError unless ``value`` is None or a whole number of at least ``least``."""
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if value is not None and not (whole and value >= least):  # type: ignore[operator]
        raise SettingError(
            f"{name} must be a whole number of at least {least}, not {value!r}"
            + (" (write 100_000, not 1e5)" if isinstance(value, float) else "")
        )


class RunKeywords(TypedDict, total=False):
    """The keyword arguments every simulating function of the API takes (``RunOptions``)."""

    paths: int | None
    seed: int | None
    method: Method
    workers: int | None
    scheduler: str | None
    block_size: int | None
    progress: Progress
    force: bool
    quiet_pipe: bool


@dataclass(frozen=True)
class RunOptions:
    """How runs are carried out. ``paths`` and ``seed`` override a scenario's own (``None``:
    the file's, else the defaults); the rest never changes a number."""

    paths: int | None = None
    seed: int | None = None
    method: Method = DEFAULT_METHOD
    workers: int | None = None
    scheduler: str | None = None
    block_size: int | None = None
    progress: Progress = None  # None: a bar when a person watches a run over a second
    force: bool = False  # run even when the estimated work is huge
    quiet_pipe: bool = False  # machine-readable output goes to a pipe: no bar unless asked

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SettingError(f"method {self.method!r}: choose one of {', '.join(METHODS)}")
        for name, least in (("paths", 1), ("workers", 1), ("block_size", 1), ("seed", 0)):
            check_whole(name, getattr(self, name), least)

    def paths_for(self, file_paths: int | None) -> int:
        return self.paths or file_paths or DEFAULT_PATHS

    def seed_for(self, file_seed: int | None) -> int:
        if self.seed is not None:
            return self.seed
        return file_seed if file_seed is not None else DEFAULT_SEED


@dataclass(frozen=True)
class Job:
    """One model to simulate: its paths and seed, and how many runs of it a call makes."""

    model: Model
    paths: int
    seed: int
    runs: int = 1
    years: bool = False  # every path's yearly windows are kept (samples, charts)
    flags: int = 0  # more flags kept per path (the variants explain works out in one pass)
    cost: float = 1.0  # the time of each of its runs, in runs of the model (explain's pass: more)


class Session:
    """Runs models with ``options``, sharing one worker pool and one progress bar; a context
    manager. ``jobs`` are the runs the call will make, for the cost estimate and the bar."""

    def __init__(self, options: RunOptions, jobs: list[Job]) -> None:
        from sim.engine.memory import keep_freed_memory
        from sim.engine.run import estimate_work
        from sim.engine.workers import WorkerPool, available_cores
        from sim.report.progress import ProgressBar, wanted

        keep_freed_memory()
        self.options = options
        cores = available_cores()
        self.workers = min(
            options.workers or cores, WORKERS_PER_CORE * cores, _most_blocks(jobs, options)
        )
        if options.scheduler is not None:
            self.workers = options.workers or cores  # the cluster's; nothing starts here
        weighted = options.method == "importance"
        works = [
            estimate_work(job.model, job.paths, job.years, weighted, job.flags) for job in jobs
        ]
        seconds = sum(job.runs * job.cost * w.seconds for job, w in zip(jobs, works, strict=True))
        seconds /= min(self.workers, cores)  # more processes than cores are no faster
        memory = max((w.memory for w in works), default=0)
        if not options.force:
            _refuse_huge_work(seconds, memory, [job.paths for job in jobs])
        total = sum(job.runs * job.paths for job in jobs)
        self._callback = options.progress if callable(options.progress) else None
        shown = (
            wanted(seconds, options.quiet_pipe) if options.progress is None else options.progress
        )
        self.bar = ProgressBar(total, shown is True)
        self.pool = WorkerPool(self.workers)

    def __enter__(self) -> Session:
        self.pool.__enter__()
        if self.workers > 1 and self.options.scheduler is None:
            try:
                self.pool.start()  # forks: before the progress bar's thread exists
            except BaseException as error:
                self.pool.__exit__(type(error), error, error.__traceback__)
                raise
        self.bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.bar.__exit__(kind, error, trace)
        self.pool.__exit__(kind, error, trace)

    def advance(self, paths: int) -> None:
        """Move the progress bar (and the caller's callback) on by ``paths`` paths."""
        self.bar.advance(paths)
        if self._callback is not None:
            self._callback(paths)

    def plan(self, paths: int, seed: int) -> Plan:
        """How a run of ``paths`` paths from ``seed`` is carried out in this session, by the
        options' method: in this session's worker processes, or, with a cluster (whose
        workers this session does not start), in this process."""
        from sim.engine import run

        workers = 1 if self.options.scheduler is not None else self.workers
        block = self.options.block_size or run.default_block(paths, workers)
        return Plan(seed, paths, block, workers, method=self.options.method)

    def __call__(self, model: Model, paths: int, seed: int, years: bool = False) -> Outcomes:
        from sim.engine import run

        method, tilt = self._sampling(model, seed, self.options.method == "importance")
        return run.simulate(
            model,
            paths,
            seed,
            self.options.block_size or run.default_block(paths, self.workers),
            self.workers,
            years=years,
            progress=self.advance,
            scheduler=self.options.scheduler,
            method=method,
            pool=self.pool,
            tilt=tilt,
        )

    def _sampling(self, model: Model, seed: int, rare: bool) -> tuple[Method, Tilt]:
        """The method and shift of a run: with ``rare``, importance sampling for the
        countries whose targets are rare (``sim.engine.tilt``); when none is, the options'
        method, or plain sampling if that was importance (the record says what was done)."""
        asked = self.options.method
        if rare:
            from sim.engine.tilt import find_tilt

            tilt = find_tilt(model, seed)
            if tilt:
                return "importance", tilt
        return ("plain" if asked == "importance" else asked), ()

    def until(
        self,
        model: Model,
        seed: int,
        precision: float,
        max_paths: int,
        relative: bool = False,
        years: bool = False,
        choose: bool = False,
    ) -> Outcomes:
        """Simulate until every country's 95% interval is within ±``precision`` (with
        ``relative``, within ±``precision`` times its estimate). With ``choose``, rare
        targets are importance-sampled whatever the options' method, unless every path's
        yearly windows are kept for samples."""
        from sim.analysis.summarise import next_paths
        from sim.engine import run

        rare = self.options.method == "importance" or (choose and not years)
        method, tilt = self._sampling(model, seed, rare)
        return run.simulate_until(
            model,
            seed,
            lambda outcomes: next_paths(outcomes, precision, relative),
            max_paths,
            # stages double from 8,192 paths: small blocks share even the early ones
            self.options.block_size or DEFAULT_BLOCK,
            self.workers,
            progress=self.advance,
            scheduler=self.options.scheduler,
            method=method,
            pool=self.pool,
            years=years,
            tilt=tilt,
        )


def _most_blocks(jobs: list[Job], options: RunOptions) -> int:
    """At most how many blocks a run of ``jobs`` has: more worker processes would sit idle
    (counted in blocks of 32,768 paths, or of the block size if smaller: a short run's finer
    default blocks, cut for the progress bar, start no more processes). A session of one
    block runs in this process and starts none."""
    from sim.engine.outcomes import DEFAULT_BLOCK

    block = min(options.block_size or DEFAULT_BLOCK, DEFAULT_BLOCK)
    return max((math.ceil(job.paths / block) for job in jobs), default=1)


def _refuse_huge_work(seconds: float, memory: int, path_counts: list[int]) -> None:
    """Stop, with the estimate, before a run that would take hours or tens of gigabytes."""
    if seconds > MAX_SECONDS or memory > MAX_MEMORY:
        paths = ", ".join(f"{n:,}" for n in path_counts)
        raise SettingError(
            f"{paths} paths would take about {_duration(seconds)} and "
            f"{memory / 1024**3:,.1f} GiB of memory; use fewer paths, or add --force"
        )


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:,.0f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} hours"
    return f"{seconds / 60:,.0f} minutes"


def paths_for_precision(precision: float, max_paths: int, relative: bool = False) -> int:
    """About the paths a ±``precision`` interval needs: at worst (P = 1/2) for an absolute
    one; for a ``relative`` one, whose need grows without bound as P falls, at P =
    ``GUESSED_P`` (only the cost estimate and the progress bar use it; the run stops when the
    precision is reached, or at ``max_paths``)."""
    from sim.analysis.estimate import Z_95

    if relative:
        needed = Z_95**2 * (1 - GUESSED_P) / (precision**2 * GUESSED_P)
        return min(max_paths, math.ceil(needed))
    return min(max_paths, math.ceil((Z_95 / precision) ** 2 / 4))


GUESSED_P = 0.01  # P(target) assumed when estimating a relative precision's paths

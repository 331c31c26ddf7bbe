"""Running blocks of paths in worker processes, with results in block order.

Each block draws from its own chunk streams (``sim.engine.streams``), so the numbers are the same
whichever process simulates it and in whatever order blocks finish. Local workers write each
block's per-path arrays straight into the run's results, in memory shared with the parent
(``shared_results``); only counts come back through the pipe.
"""

from __future__ import annotations

import collections
import concurrent.futures as futures
import contextlib
import mmap
import os
from collections.abc import Generator, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np

from sim.core.model import Model
from sim.engine.memory import keep_freed_memory
from sim.engine.outcomes import CountryOutcome, Plan, Results
from sim.engine.streams import CHUNK
from sim.errors import SimulationError


def available_cores() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class WorkerPool:
    """Worker processes kept for the whole of a command, so that a command of many runs
    (compare, explain, solve, sweep) starts its processes once. A context manager: leaving it
    normally waits for the workers; leaving it on an error or Ctrl-C stops them at once."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: futures.ProcessPoolExecutor | None = None

    @property
    def executor(self) -> futures.ProcessPoolExecutor:
        """The pool, its processes started (forked processes inherit the parent's open files:
        started later, inside a run, they would keep that run's shared results alive)."""
        if self._executor is None:
            # Workers forked from this process (Linux's default start method before Python
            # 3.14) inherit its modules: import the quantile functions' scipy.special (a fifth
            # of a second) once here, not in every worker.
            import scipy.special  # noqa: F401

            self._executor = futures.ProcessPoolExecutor(
                max_workers=self.workers, initializer=keep_freed_memory
            )
            self._executor.submit(int).result()  # starts every process (with fork)
        return self._executor

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self._executor is not None:
            if kind is not None:  # interrupted or failed: stop the workers, do not wait
                _stop_workers(self._executor)
            self._executor.shutdown(wait=kind is None, cancel_futures=True)


@contextlib.contextmanager
def in_workers(
    model: Model, plan: Plan, blocks: list[range], first_chunk: int, pool: WorkerPool | None
) -> Iterator[tuple[Iterator[list[CountryOutcome]], Results]]:
    """``blocks`` running in worker processes (``pool``'s, or ``plan.workers`` new ones): their
    outcomes in block order, and the results their per-path arrays are written into."""
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(WorkerPool(min(plan.workers, len(blocks))))
        pool.executor  # noqa: B018 (its processes start now, before the run's shared file)
        paths = plan.paths - first_chunk * CHUNK
        results, shared = stack.enter_context(
            shared_results(len(model.countries), paths, first_chunk)
        )
        # closed before the shared file: no block of this run is left queued or running
        parts = stack.enter_context(
            contextlib.closing(run_in_workers(model, plan, blocks, pool, shared))
        )
        yield parts, results


@dataclass(frozen=True)
class SharedResults:
    """A run's ``Results`` in an anonymous shared file of the parent (a memfd), which a worker
    process opens through ``/proc/PID/fd/FD``: totals, (countries, paths) float64, then flags,
    (countries, paths) bool. ``inode`` tells the file apart from a later run's that got the
    same descriptor number."""

    pid: int
    fd: int
    inode: int
    countries: int
    paths: int
    first_chunk: int

    @property
    def size(self) -> int:
        return self.countries * self.paths * 9

    def view(self, buffer: mmap.mmap) -> Results:
        """The results in ``buffer`` (a mapping of the file); they keep it mapped."""
        cells = self.countries * self.paths
        totals = np.frombuffer(buffer, np.float64, cells).reshape(self.countries, self.paths)
        met = np.frombuffer(buffer, np.bool_, cells, offset=cells * 8)
        return Results(totals, met.reshape(self.countries, self.paths), self.first_chunk)

    def attach(self) -> Results | None:
        """The results, mapped into this (worker) process; None when the file cannot be
        opened or is no longer this run's. The mapping goes with its last array (no explicit
        close, which would fail while an array still refers to it)."""
        try:
            with open(f"/proc/{self.pid}/fd/{self.fd}", "r+b") as file:
                if os.fstat(file.fileno()).st_ino != self.inode:
                    return None
                return self.view(mmap.mmap(file.fileno(), self.size))
        except OSError:
            return None


def _memfd() -> int | None:
    """A new anonymous file that worker processes can open through /proc, or None."""
    if not hasattr(os, "memfd_create") or not os.path.isdir(f"/proc/{os.getpid()}/fd"):
        return None
    try:
        return os.memfd_create("sim-results")
    except OSError:  # refused by a sandbox, or out of descriptors
        return None


@contextlib.contextmanager
def shared_results(
    countries: int, paths: int, first_chunk: int
) -> Iterator[tuple[Results, SharedResults | None]]:
    """Results that worker processes can write into, and their handle for the workers; where
    no memfd can be made (not Linux, a sandbox), private results and None: the workers then
    send their arrays back."""
    fd = _memfd()
    if fd is None:
        yield Results.allocate(countries, paths, first_chunk), None
        return
    try:
        shared = SharedResults(os.getpid(), fd, os.fstat(fd).st_ino, countries, paths, first_chunk)
        os.ftruncate(fd, shared.size)
        # the mapping keeps a descriptor of its own, for as long as the results live
        yield shared.view(mmap.mmap(fd, shared.size)), shared
    finally:
        os.close(fd)


def simulate_shared_block(
    model: Model, plan: Plan, block: range, shared: SharedResults | None
) -> list[CountryOutcome]:
    """A worker's task: simulate ``block``, writing its per-path arrays into ``shared``. A
    worker that cannot open it sends the arrays back instead (the parent places them)."""
    from sim.engine import rules  # looked up here, so that tests can stand in for it

    results = None if shared is None else shared.attach()
    return rules.simulate_block(model, plan, block, results)


def run_in_workers(
    model: Model,
    plan: Plan,
    blocks: list[range],
    pool: WorkerPool,
    shared: SharedResults | None = None,
) -> Generator[list[CountryOutcome], None, None]:
    """Simulate ``blocks`` in ``pool``'s worker processes; yield each block's outcomes in
    order. With ``shared``, the workers write their per-path arrays there and send back only
    counts.

    A worker that dies (killed, out of memory) stops the whole run with a SimulationError:
    a run never returns numbers with a block missing. A run stopped early (an error, or its
    caller closing it) cancels its queued blocks and waits for the running ones, so that none
    writes into shared memory after the run.
    """
    pending: collections.deque[futures.Future] = collections.deque()
    try:
        for block in blocks:
            pending.append(pool.executor.submit(simulate_shared_block, model, plan, block, shared))
        while pending:  # a block's outcomes are let go once the caller has them
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise SimulationError(
            "a worker process died (killed, or out of memory?); the run was stopped and "
            "nothing was written"
        ) from None
    finally:
        for future in pending:
            future.cancel()
        futures.wait(pending)


def _stop_workers(pool: futures.ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes (Python 3.14 has a method for it; before, only
    the pool's private table of processes reaches them)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()

"""Running blocks of paths in worker processes, with results in block order.

Each block draws from its own chunk streams (``sim.engine.streams``), so the numbers are the same
whichever process simulates it and in whatever order blocks finish. Local workers write each
block's per-path arrays straight into the run's results, in memory shared with the parent
(``shared_results``); only counts come back through the pipe.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import mmap
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from sim.core.model import Model
from sim.engine.memory import keep_freed_memory
from sim.engine.outcomes import CountryOutcome, Plan, Results
from sim.engine.streams import CHUNK
from sim.errors import SimulationError

T = TypeVar("T")
# A worker's task: the model, the plan, the block of chunks, the shared results (or None)
Task = Callable[[Model, Plan, range, "SharedResults | None"], T]

if TYPE_CHECKING:  # imported where a pool starts: a run in this process does without them
    import concurrent.futures as futures


def available_cores() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# The signals that stop a command (sim.cli): a worker ignores Ctrl-C (the terminal sends it to
# every process of the command; the parent stops the workers) and dies quietly of the others.
STOP_SIGNALS = tuple(
    number for name in ("SIGINT", "SIGTERM", "SIGHUP") if (number := getattr(signal, name, None))
)
PARENT_CHECK_SECONDS = 0.5  # how often a worker without PR_SET_PDEATHSIG looks for its parent
MANAGER_SECONDS = 5.0  # at most this long for a stopped pool's thread to clean up
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def start_method() -> str:
    """How worker processes start: ``fork`` on Linux (workers inherit the parent's imported
    modules, and open its shared results through /proc), ``spawn`` elsewhere. Chosen here
    rather than left to Python, whose default changes (forkserver on Linux from 3.14)."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


class WorkerPool:
    """Worker processes kept for the whole of a command, so that a command of many runs
    (compare, explain, solve, sweep) starts its processes once. A context manager: leaving it
    normally waits for the workers; leaving it on an error or Ctrl-C stops them at once.

    Workers never outlive the command: each dies with its parent (``_watch_parent``), ignores
    Ctrl-C and dies quietly of SIGTERM and SIGHUP, so no process prints a traceback."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: futures.ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start every worker process now: before any thread of the parent (a progress bar)
        exists, which a forked process would inherit in whatever state it was, and before a
        run's shared file, which it would keep open."""
        self.executor  # noqa: B018

    @property
    def executor(self) -> futures.ProcessPoolExecutor:
        """The pool, its processes started (forked processes inherit the parent's open files:
        started later, inside a run, they would keep that run's shared results alive)."""
        if self._executor is None:
            import concurrent.futures as futures
            import multiprocessing

            executor = futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(start_method()),
                initializer=_worker_started,
                initargs=(os.getpid(),),
            )
            # A signal is held while the processes fork, so that none arrives in a worker
            # before it has set its own handling, and handled in this process after.
            with _signals_held():
                first = executor.submit(int)  # with fork, starts every process
                self._executor = executor
            first.result()
        return self._executor

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self._executor is None:
            return
        if kind is not None:  # interrupted or failed: stop the workers, do not wait for them
            manager = getattr(self._executor, "_executor_manager_thread", None)
            _stop_workers(self._executor)
            self._executor.shutdown(wait=False, cancel_futures=True)
            # Its thread notices and cleans up; let it finish, or it races with Python's exit
            # (which wakes it through a pipe it may be closing: "Bad file descriptor").
            if manager is not None:
                manager.join(timeout=MANAGER_SECONDS)
            return
        try:
            self._executor.shutdown(wait=True, cancel_futures=True)
        except BaseException:  # interrupted while waiting for them
            _stop_workers(self._executor)
            raise


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold the stop signals (they wait, blocked) for the duration, where the platform can."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _worker_started(parent: int) -> None:
    """A worker's first act (the pool's initializer): its signal handling, a watch on its
    parent, and the memory setting of long runs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in STOP_SIGNALS:
        if number != signal.SIGINT:
            signal.signal(number, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # held by the parent while it forked
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _watch_parent(parent)
    keep_freed_memory()


def _watch_parent(parent: int) -> None:
    """Make this worker die with its parent, however the parent ends (even by SIGKILL): on
    Linux the kernel kills it (``PR_SET_PDEATHSIG``); elsewhere a thread looks for the parent
    every ``PARENT_CHECK_SECONDS``. A parent gone already ends the worker at once."""
    watched = _die_with_parent()
    if os.getppid() != parent:
        os._exit(0)
    if not watched:
        threading.Thread(target=_look_for_parent, args=(parent,), daemon=True).start()


def _die_with_parent() -> bool:
    """Ask Linux to send this process SIGKILL when its parent ends; True if it agreed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # this process's symbols: the C library's
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _look_for_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


@contextlib.contextmanager
def in_workers(
    model: Model,
    plan: Plan,
    blocks: list[range],
    first_chunk: int,
    pool: WorkerPool | None,
    task: Task[T],
) -> Iterator[tuple[Iterator[T], Results]]:
    """``blocks`` running in worker processes (``pool``'s, or ``plan.workers`` new ones): what
    ``task`` gives for each (``simulate_shared_block``: its outcomes), in block order, and the
    results their per-path arrays are written into."""
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(WorkerPool(min(plan.workers, len(blocks))))
        pool.executor  # noqa: B018 (its processes start now, before the run's shared file)
        paths = plan.paths - first_chunk * CHUNK
        results, shared = stack.enter_context(
            shared_results(len(model.countries), paths, first_chunk, plan.weighted(model))
        )
        # closed before the shared file: no block of this run is left queued or running
        parts = stack.enter_context(
            contextlib.closing(run_in_workers(model, plan, blocks, pool, shared, task))
        )
        yield parts, results


@dataclass(frozen=True)
class SharedResults:
    """A run's ``Results`` in an anonymous shared file of the parent (a memfd), which a worker
    process opens through ``/proc/PID/fd/FD``: totals, (countries, paths) float64, with
    importance sampling the weights, (countries, paths) float64, then flags, (countries,
    paths) bool. ``inode`` tells the file apart from a later run's that got the same
    descriptor number."""

    pid: int
    fd: int
    inode: int
    countries: int
    paths: int
    first_chunk: int
    weighted: tuple[int, ...] = ()  # rows with weights (Results.weighted)

    @property
    def size(self) -> int:
        return self.countries * self.paths * (17 if self.weighted else 9)

    def view(self, buffer: mmap.mmap) -> Results:
        """The results in ``buffer`` (a mapping of the file); they keep it mapped."""
        cells, shape = self.countries * self.paths, (self.countries, self.paths)
        totals = np.frombuffer(buffer, np.float64, cells).reshape(shape)
        offset, weights = cells * 8, None
        if self.weighted:
            weights = np.frombuffer(buffer, np.float64, cells, offset=offset).reshape(shape)
            offset += cells * 8
        met = np.frombuffer(buffer, np.bool_, cells, offset=offset).reshape(shape)
        return Results(totals, met, self.first_chunk, weights, self.weighted)

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
    countries: int, paths: int, first_chunk: int, weighted: tuple[int, ...] = ()
) -> Iterator[tuple[Results, SharedResults | None]]:
    """Results that worker processes can write into, and their handle for the workers; where
    no memfd can be made (not Linux, a sandbox), private results and None: the workers then
    send their arrays back."""
    fd = _memfd()
    if fd is None:
        yield Results.allocate(countries, paths, first_chunk, weighted), None
        return
    try:
        inode = os.fstat(fd).st_ino
        shared = SharedResults(os.getpid(), fd, inode, countries, paths, first_chunk, weighted)
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
    shared: SharedResults | None,
    task: Task[T],
) -> Generator[T, None, None]:
    """Simulate ``blocks`` in ``pool``'s worker processes; yield what ``task`` gives for each
    (``simulate_shared_block``: its outcomes) in order. With ``shared``, the workers write
    their per-path arrays there and send back only counts.

    A worker that dies (killed, out of memory) stops the whole run with a SimulationError:
    a run never returns numbers with a block missing. A run stopped early (an error, or its
    caller closing it) cancels its queued blocks and waits for the running ones, so that none
    writes into shared memory after the run. A run stopped by a signal (Ctrl-C) leaves them:
    the pool's workers are being stopped (``WorkerPool.__exit__``).
    """
    from concurrent.futures.process import BrokenProcessPool

    pending: collections.deque[futures.Future] = collections.deque()
    stopped = False
    try:
        for block in blocks:
            pending.append(pool.executor.submit(task, model, plan, block, shared))
        while pending:  # a block's outcomes are let go once the caller has them
            yield pending.popleft().result()
    except BrokenProcessPool:
        raise SimulationError(
            "a worker process died (killed, or out of memory?); the run was stopped and "
            "nothing was written"
        ) from None
    except BaseException as error:
        stopped = _by_signal(error)
        raise
    finally:
        if not stopped:
            for future in pending:
                future.cancel()
            _wait(pool, pending)


def _by_signal(error: BaseException) -> bool:
    """Whether ``error`` stops the command (Ctrl-C, a stop signal, an exit), directly or as
    the GeneratorExit of a generator closed while one unwinds.

    The workers then die with the pool; cancelling their futures here as well would race
    with the pool's own thread, which (before Python 3.12) fails on a future cancelled while
    it marks the pool broken, and leaves the others waiting forever."""
    if isinstance(error, GeneratorExit):
        error = error.__context__ or error
    return isinstance(error, KeyboardInterrupt | SystemExit)


def _wait(pool: WorkerPool, pending: Iterable[futures.Future]) -> None:
    """Wait for ``pending`` futures, or until the pool breaks (a worker died: they never
    finish)."""
    import concurrent.futures as futures

    waiting = set(pending)
    while waiting:
        waiting = futures.wait(waiting, timeout=0.2).not_done
        if getattr(pool.executor, "_broken", False):
            return


def _stop_workers(pool: futures.ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes (Python 3.14 has a method for it; before, only
    the pool's private table of processes reaches them)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()

"""Running blocks of paths on a Dask cluster, with results in block order."""

from __future__ import annotations

import collections
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from sim.core.model import Model
from sim.engine.outcomes import Plan
from sim.errors import SimulationError, install_extra

CONNECT_SECONDS = 10
WORKERS_SECONDS = 10  # how long to wait for the cluster's first worker


def run_on_dask(model: Model, plan: Plan, blocks: list[range]) -> Iterator[list]:
    """Simulate ``blocks`` on the Dask cluster whose scheduler is at ``plan.scheduler``; yield each
    block's outcomes in order. Dask retries a block whose worker dies; a block that keeps
    failing stops the run with a SimulationError."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise SimulationError(
            f"--scheduler needs dask.distributed: {install_extra('dist')}"
        ) from None
    from sim.engine import rules  # looked up here, so that tests can stand in for it

    with _quiet_logs():
        try:
            client = Client(plan.scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, ValueError, TypeError) as error:
            raise SimulationError(
                f"cannot reach the Dask scheduler at {plan.scheduler}: {_words(error)}"
            ) from None
        with client:
            yield from _blocks(client, model, plan, blocks, rules.simulate_block)


def _blocks(
    client: Any, model: Model, plan: Plan, blocks: list[range], simulate: Any
) -> Iterator[list]:
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except Exception:  # a TimeoutError: the scheduler has no worker
        raise SimulationError(
            f"the Dask scheduler at {plan.scheduler} has no workers (waited "
            f"{WORKERS_SECONDS} s); start some with: dask worker {plan.scheduler}"
        ) from None
    pending: collections.deque[Any] = collections.deque()
    try:
        shared = client.scatter(model, broadcast=True)
        pending.extend(client.submit(simulate, shared, plan, block, pure=False) for block in blocks)
        while pending:  # a block's outcomes are let go once the caller has them
            yield pending.popleft().result()
    except Exception as error:  # KilledWorker, a lost scheduler, ...
        raise SimulationError(
            f"the Dask cluster could not finish a block ({type(error).__name__}: "
            f"{_words(error)}); nothing was written"
        ) from None
    finally:
        with contextlib.suppress(Exception):  # the scheduler may be gone
            client.cancel(list(pending))


def _words(error: BaseException) -> str:
    """An error's message on one line, at most 300 characters."""
    words = " ".join(str(error).split())
    return words if len(words) <= 300 else words[:299] + "…"


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Keep Dask's own log lines (a lost scheduler, a worker retried: tracebacks among them)
    off stderr while sim runs on the cluster: sim says in one line what went wrong."""
    names = ["distributed", "tornado", "asyncio"]
    loggers = [logging.getLogger(name) for name in names] + [
        logger
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and name.startswith(tuple(f"{n}." for n in names))
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)

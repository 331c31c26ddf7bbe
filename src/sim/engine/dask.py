"""Running blocks of paths on a Dask cluster, with results in block order."""

from __future__ import annotations

import collections
from collections.abc import Iterator

from sim.core.model import Model
from sim.engine.outcomes import Plan
from sim.errors import SimulationError

CONNECT_SECONDS = 10


def run_on_dask(model: Model, plan: Plan, blocks: list[range]) -> Iterator[list]:
    """Simulate ``blocks`` on the Dask cluster whose scheduler is at ``plan.scheduler``; yield each
    block's outcomes in order. Dask retries a block whose worker dies; a block that keeps
    failing stops the run with a SimulationError."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise SimulationError(
            "--scheduler needs dask.distributed; install it with: pip install 'sim[dist]'"
        ) from None
    from sim.engine import rules  # looked up here, so that tests can stand in for it

    try:
        client = Client(plan.scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError, TypeError) as error:
        message = " ".join(str(error).split())
        raise SimulationError(
            f"cannot reach the Dask scheduler at {plan.scheduler}: {message}"
        ) from None
    with client:
        shared = client.scatter(model, broadcast=True)
        pending = collections.deque(
            client.submit(rules.simulate_block, shared, plan, block, pure=False) for block in blocks
        )
        try:
            while pending:  # a block's outcomes are let go once the caller has them
                yield pending.popleft().result()
        except Exception as error:  # KilledWorker, a lost scheduler, ...
            raise SimulationError(
                f"the Dask cluster could not finish a block ({type(error).__name__}: {error}); "
                "nothing was written"
            ) from None
        finally:
            client.cancel(list(pending))

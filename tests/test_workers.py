"""Worker processes: blocks come back in order, and the parent does not hold on to them."""

from __future__ import annotations

import gc
import weakref

from conftest import model_of
from sim.simulate import Plan
from sim.streams import CHUNK
from sim.workers import run_in_workers

SCENARIO = """\
name: workers
countries:
  c:
    baseline: {value: 100, period: 2025}
    target: {value: 150, by: 2027}
    growth: {rate: 10% to 30%, volatility: 20%}
"""


def test_workers_let_go_of_each_block_once_it_is_handed_over(tmp_path):
    # A long run's blocks must not pile up in the parent: only the gathered totals stay.
    plan = Plan(seed=1, paths=4 * CHUNK, block_size=CHUNK, workers=2)
    parts = run_in_workers(model_of(tmp_path, SCENARIO), plan, [range(i, i + 1) for i in range(4)])
    first = next(parts)
    handed = weakref.ref(first[0])
    del first
    second = next(parts)  # the run goes on: the first block is no longer held
    gc.collect()
    assert handed() is None
    assert [len(part[0].window_total) for part in [second, *parts]] == [CHUNK] * 3

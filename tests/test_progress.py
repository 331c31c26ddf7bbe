"""The progress bar moves smoothly: a default run is cut into enough blocks that the bar
advances every few percent, and cutting it finer changes no number."""

from __future__ import annotations

import itertools
import math

import pytest

import sim
from sim.engine.run import PROGRESS_BLOCKS, default_block
from sim.engine.streams import CHUNK

SCENARIO = """\
name: Progress
countries:
  kz:
    label: Kazakhstan
    baseline: {value: 85 to 140, period: 2025-01/2025-07}
    target: {value: 600, by: 2027}
    growth: {rate: 10% to 120%, volatility: 25%, noise: 15%}
events:
  closures:
    countries: [kz]
    rate: 1 to 3
    duration: 0.2 to 2
    level: -40% to -10%
"""


def steps_of(paths: int, **settings) -> tuple[list[int], sim.RunResult]:
    told: list[int] = []
    result = sim.run(SCENARIO, paths=paths, seed=3, progress=told.append, **settings)
    return told, result


@pytest.mark.parametrize("workers", [1, 2])
def test_a_100000_path_run_reports_every_chunk_in_order(workers):
    told, _ = steps_of(100_000, workers=workers)
    done = [sum(told[: i + 1]) for i in range(len(told))]
    # 13 blocks of one chunk (the last holds the remaining 1,696 paths): the bar moves every
    # 8%, not in thirds
    assert told == [CHUNK] * 12 + [100_000 - 12 * CHUNK]
    assert all(b > a for a, b in itertools.pairwise(done))
    assert done[-1] == 100_000
    assert max(told) / 100_000 < 0.09


def test_long_runs_have_at_least_the_progress_blocks():
    for paths, workers in [(1_000_000, 1), (2_000_000, 2), (5_000_000, 4)]:
        block = default_block(paths, workers)
        per_block = math.ceil(block / CHUNK) * CHUNK  # blocks are whole chunks
        assert math.ceil(paths / per_block) >= PROGRESS_BLOCKS, (paths, workers)


def test_blocks_cut_finer_change_no_number():
    _, default = steps_of(100_000, workers=1)
    told, whole = steps_of(100_000, workers=1, block_size=131_072)
    assert told == [100_000]  # one block: one step
    (a,), (b,) = default.runs, whole.runs
    assert a == b
    assert a.results[0].probability == b.results[0].probability > 0

"""Worker processes: blocks come back in order, the parent does not hold on to them, and local
workers write per-path results into memory shared with the parent."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import weakref

import numpy as np
import pytest

from conftest import model_of
from sim.engine.outcomes import Plan
from sim.engine.rules import simulate_block
from sim.engine.run import default_block, simulate
from sim.engine.streams import CHUNK
from sim.engine.workers import (
    SharedResults,
    WorkerPool,
    run_in_workers,
    shared_results,
    simulate_shared_block,
)

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
    blocks = [range(i, i + 1) for i in range(4)]
    with WorkerPool(2) as pool:
        parts = run_in_workers(
            model_of(tmp_path, SCENARIO), plan, blocks, pool, None, simulate_shared_block
        )
        first = next(parts)
        handed = weakref.ref(first[0])
        del first
        second = next(parts)  # the run goes on: the first block is no longer held
        gc.collect()
        assert handed() is None
        assert [len(part[0].window_total) for part in [second, *parts]] == [CHUNK] * 3


def test_workers_write_per_path_results_into_shared_memory(tmp_path):
    # Local workers place each block's totals and flags in the parent's shared results and send
    # back only counts; the run's numbers are those of a run in this process.
    model = model_of(tmp_path, SCENARIO)
    plan = Plan(seed=1, paths=3 * CHUNK + 100, block_size=CHUNK, workers=2)
    blocks = [range(i, i + 1) for i in range(4)]
    with WorkerPool(2) as pool, shared_results(1, plan.paths, 0) as (results, shared):
        if shared is None:
            pytest.skip("no memfd or /proc here: workers send their arrays back instead")
        parts = list(run_in_workers(model, plan, blocks, pool, shared, simulate_shared_block))
    assert [len(part[0].window_total) for part in parts] == [0] * 4  # nothing sent back
    alone = simulate(model, plan.paths, plan.seed, workers=1).countries[0]
    assert np.array_equal(results.totals[0], alone.window_total)
    assert np.array_equal(results.met[0], alone.met)
    assert sum(int(part[0].met_in_year[-1]) for part in parts) == int(alone.met_in_year[-1])


def test_shared_results_can_start_part_way_through_a_run(tmp_path):
    # --precision adds stages that start at a later chunk: they are placed from row 0.
    model = model_of(tmp_path, SCENARIO)
    plan = Plan(seed=2, paths=4 * CHUNK, block_size=CHUNK, workers=2)
    with WorkerPool(2) as pool, shared_results(1, 2 * CHUNK, 2) as (results, shared):
        if shared is None:
            pytest.skip("no memfd or /proc here: workers send their arrays back instead")
        list(
            run_in_workers(
                model, plan, [range(2, 3), range(3, 4)], pool, shared, simulate_shared_block
            )
        )
    alone = simulate(model, plan.paths, plan.seed, workers=1).countries[0]
    assert np.array_equal(results.totals[0], alone.window_total[2 * CHUNK :])


def test_default_blocks_share_short_runs_and_stay_few_on_long_ones():
    # at least 25 blocks where the chunks allow, so the progress bar moves every 4% or so
    assert default_block(100_000, 2) == CHUNK  # 13 blocks, one a chunk: every 8%
    assert default_block(2_000_000, 2) == 80_000  # 25 blocks of 10 chunks, not 16
    assert default_block(10_000_000, 2) == 32 * CHUNK  # 39 blocks, not 306
    assert default_block(10_000_000, 1) == 32 * CHUNK
    assert default_block(40_000_000, 1) == 32 * CHUNK  # 153 blocks, the largest


def test_without_shared_memory_workers_send_their_arrays_back(tmp_path, monkeypatch):
    import sim.engine.workers

    monkeypatch.setattr(sim.engine.workers, "_memfd", lambda: None)  # as where there is no memfd
    model = model_of(tmp_path, SCENARIO)
    pair = simulate(model, 3 * CHUNK + 5, 4, block_size=CHUNK, workers=2).countries[0]
    alone = simulate(model, 3 * CHUNK + 5, 4, workers=1).countries[0]
    assert np.array_equal(pair.window_total, alone.window_total)
    assert np.array_equal(pair.met, alone.met)


_real_block = simulate_block


def _first_block_fails_with_seed_99(model, plan, chunks, results=None):
    """Stands in for simulate_block in forked workers: run 1 (seed 99) fails at its first block
    while its other blocks are still queued."""
    if plan.seed == 99 and chunks.start == 0:
        raise ValueError("block 0 failed")
    return _real_block(model, plan, chunks, results)


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the stand-in is inherited only by forked processes",
)
def test_a_failed_run_leaves_no_block_to_write_into_the_next_run(tmp_path, monkeypatch):
    # The blocks of a failed run are cancelled or finished before its error reaches the
    # caller: none may write into the next run's shared results (which can get the same
    # descriptor number), however long the pool goes on.
    import sim.engine.rules

    monkeypatch.setattr(sim.engine.rules, "simulate_block", _first_block_fails_with_seed_99)
    model = model_of(tmp_path, SCENARIO)
    with WorkerPool(2) as pool:
        with pytest.raises(ValueError, match="block 0 failed"):
            simulate(model, 12 * CHUNK, 99, block_size=CHUNK, workers=2, pool=pool)
        with shared_results(1, 12 * CHUNK, 0) as (results, shared):
            if shared is None:
                pytest.skip("no memfd or /proc here")
            results.totals[...] = -1.0
            pool.executor.shutdown(wait=True)  # whatever was left of the failed run has run
            assert np.all(results.totals == -1.0)


def test_a_worker_does_not_open_another_runs_shared_file(tmp_path):
    with shared_results(1, CHUNK, 0) as (_, shared):
        if shared is None:
            pytest.skip("no memfd or /proc here")
        assert shared.attach() is not None
        other = SharedResults(
            shared.pid, shared.fd, shared.inode + 1, 1, CHUNK, 0
        )  # the same descriptor number, another file
        assert other.attach() is None


def _open_files(pid: int) -> list[str]:
    folder = f"/proc/{pid}/fd"
    names = []
    for fd in os.listdir(folder):
        with contextlib.suppress(OSError):  # closed meanwhile
            names.append(os.readlink(f"{folder}/{fd}"))
    return names


def test_worker_processes_do_not_keep_a_runs_shared_results(tmp_path):
    # Workers are started before the first run's shared file exists, so they do not inherit
    # it: a command's first run does not stay in memory while later runs go on.
    if not os.path.isdir(f"/proc/{os.getpid()}/fd"):
        pytest.skip("no /proc here")
    model = model_of(tmp_path, SCENARIO)
    before = {child.pid for child in multiprocessing.active_children()}
    with WorkerPool(2) as pool:
        simulate(model, 4 * CHUNK, 1, block_size=CHUNK, workers=2, pool=pool)
        workers = [w for w in multiprocessing.active_children() if w.pid not in before]
        assert len(workers) == 2
        assert not [name for w in workers for name in _open_files(w.pid) if "sim-results" in name]

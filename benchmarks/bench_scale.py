"""Throughput of sim against the RNG floor, a per-path Python loop, monaco and squigglepy.

Run by hand:  pip install -e '.[bench]'; python benchmarks/bench_scale.py [--paths 1000000]

All run the same model: a one-month baseline of 100, trend growth "10% to 60%" (normal on
ln(1 + r)), 25% volatility, 10% noise, 48 simulated months, the target met when the last 12
months hold at least 2000. Each prints its path-months per second; sim's figures are end to
end (a subprocess, imports included). The others simulate fewer paths (they are slow) and are
compared by rate.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
from bench_core import arguments, rng_floor, scenario_file, sim_run

MONTHS = 48
Z95 = 1.6448536269514722
MU = (math.log(1.1) + math.log(1.6)) / 2
SD = (math.log(1.6) - math.log(1.1)) / (2 * Z95)
SIGMA, NU, RUN_RATE, TARGET = 0.25, 0.10, 100.0, 2000.0


def python_loop(paths: int, seed: int = 0) -> float:
    """Seconds for a plain per-path Python loop over the model."""
    rng = random.Random(seed)
    start = time.perf_counter()
    met = 0
    for _ in range(paths):
        g = rng.gauss(MU, SD)
        walk, window = 0.0, 0.0
        for month in range(1, MONTHS + 1):
            walk += SIGMA / math.sqrt(12) * rng.gauss(0, 1)
            level = RUN_RATE * math.exp(g * month / 12 + walk + NU * rng.gauss(0, 1))
            if month > MONTHS - 12:
                window += level
        met += window >= TARGET
    return time.perf_counter() - start


def _monaco_preprocess(case):  # type: ignore[no-untyped-def]
    return (case.invals["g"].val, case.seed)


def _monaco_case(g, case_seed):  # type: ignore[no-untyped-def]
    """One path in monaco: its 48 months as numpy arrays, from the case's own seed."""
    rng = np.random.default_rng(case_seed)
    months = np.arange(1, MONTHS + 1)
    walk = np.cumsum(SIGMA / math.sqrt(12) * rng.standard_normal(MONTHS))
    level = RUN_RATE * np.exp(g * months / 12 + walk + NU * rng.standard_normal(MONTHS))
    return (float(level[-12:].sum()),)


def _monaco_postprocess(case, window):  # type: ignore[no-untyped-def]
    case.addOutVal("met", float(window >= TARGET))


def monaco_run(paths: int, seed: int = 0, workers: int = 1) -> float | None:
    """Seconds for monaco to run ``paths`` cases: in this process (``workers`` 1, its fastest
    mode here) or on a local Dask cluster of ``workers`` processes (functions at module level,
    so that Dask can send them)."""
    try:
        import monaco
        from scipy import stats
    except ImportError:
        return None

    functions = {
        monaco.SimFunctions.PREPROCESS: _monaco_preprocess,
        monaco.SimFunctions.RUN: _monaco_case,
        monaco.SimFunctions.POSTPROCESS: _monaco_postprocess,
    }
    options = {"singlethreaded": True}
    if workers > 1:
        options = {
            "singlethreaded": False,
            "daskkwargs": {"n_workers": workers, "threads_per_worker": 1},
        }
    sim = monaco.Sim("bench", ndraws=paths, fcns=functions, seed=seed, verbose=False, **options)
    sim.addInVar(name="g", dist=stats.norm, distkwargs={"loc": MU, "scale": SD})
    sim.initDaskClient()  # the cluster's start-up is not counted (nothing in one process)
    start = time.perf_counter()
    sim.runSim()
    seconds = time.perf_counter() - start
    if sim.client is not None:  # runSim may have closed it already
        sim.client.close()
        sim.cluster.close()
    return seconds


def monaco_startup() -> float:
    """Seconds for a new Python to import monaco and scipy.stats (what monaco_run leaves out)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import monaco; from scipy import stats"], check=True)
    return time.perf_counter() - start


def squigglepy_run(paths: int, seed: int = 0) -> float | None:
    try:
        import squigglepy as sq
    except ImportError:
        return None
    start = time.perf_counter()
    sq.set_seed(seed)
    g = np.asarray(sq.sample(sq.norm(mean=MU, sd=SD), n=paths))
    shocks = np.asarray(sq.sample(sq.norm(mean=0, sd=1), n=paths * MONTHS)).reshape(paths, MONTHS)
    noise = np.asarray(sq.sample(sq.norm(mean=0, sd=1), n=paths * MONTHS)).reshape(paths, MONTHS)
    months = np.arange(1, MONTHS + 1)
    walk = np.cumsum(SIGMA / math.sqrt(12) * shocks, axis=1)
    level = RUN_RATE * np.exp(np.outer(g, months) / 12 + walk + NU * noise)
    _ = float(np.mean(level[:, -12:].sum(axis=1) >= TARGET))
    return time.perf_counter() - start


def main() -> None:
    args = arguments(__doc__)
    file = scenario_file(args.months)
    big = 10 * args.paths  # start-up is serial: throughput shows on long runs

    def best(run: Callable[[], float | None]) -> float | None:
        times = [run() for _ in range(args.repeat)]
        return None if times[0] is None else min(t for t in times if t is not None)

    floor = best(lambda: rng_floor(args.paths, args.months))
    sim_times = {
        (paths, workers): best(lambda p=paths, w=workers: sim_run(file, p, workers=w))
        for paths in (args.paths, big)
        for workers in (1, 2)
    }
    startup = best(lambda: sim_run(file, 1))  # start, imports, one chunk, output
    file.unlink()
    loop_paths, monaco_paths, dask_paths = 20_000, 10_000, 2_000
    squiggle_paths = min(args.paths, 200_000)
    loop = best(lambda: python_loop(loop_paths))
    mon = best(lambda: monaco_run(monaco_paths))
    mon_dask = monaco_run(dask_paths, workers=2) if mon is not None else None
    mon_startup = best(monaco_startup) if mon is not None else None
    squiggle = best(lambda: squigglepy_run(squiggle_paths))

    def rate(paths: int, seconds: float) -> float:
        return paths * args.months / seconds

    per_core = rate(big, sim_times[big, 1])
    machine = rate(big, sim_times[big, 2])
    print(f"model: {args.months} months, volatility and noise; best of {args.repeat} runs")
    print(f"{'':40}{'path-months/s':>15}{'sim faster by: 1 worker':>25}{'2 workers':>11}")
    rows: list[tuple[str, float, bool]] = [
        ("numpy floor (2 normals/path-month)", rate(args.paths, floor), False)
    ]
    for (paths, workers), seconds in sim_times.items():
        rows.append((f"sim run, {workers} worker(s), {paths:,} paths", rate(paths, seconds), False))
    rows.append((f"Python loop ({loop_paths:,} paths)", rate(loop_paths, loop), True))
    if mon is not None:
        rows.append((f"monaco, 1 process ({monaco_paths:,} cases)", rate(monaco_paths, mon), True))
        rows.append((f"monaco, 2 Dask workers ({dask_paths:,})", rate(dask_paths, mon_dask), True))
    if squiggle is not None:
        rows.append(
            (f"squigglepy ({squiggle_paths:,} paths)", rate(squiggle_paths, squiggle), True)
        )
    for name, value, compared in rows:
        ratios = f"{per_core / value:>24,.1f}x{machine / value:>10,.1f}x" if compared else ""
        print(f"{name:40}{value:>15,.0f}{ratios}")
    one, two = sim_times[args.paths, 1], sim_times[args.paths, 2]
    big_one, big_two = sim_times[big, 1], sim_times[big, 2]
    print(
        f"ratios against sim at {big:,} paths. 1 worker / floor at {args.paths:,} paths: "
        f"{one / floor:.2f} (goal <= 2); 2 workers speed-up: {one / two:.2f} at "
        f"{args.paths:,} paths, {big_one / big_two:.2f} at {big:,} ({big_one:.1f} s and "
        f"{big_two:.1f} s) (goal >= 1.6); goals: >= 20x the loop, >= 100x monaco"
    )
    if mon is not None:
        # monaco is timed in-process, without its start-up; sim end to end, with its own
        steady = rate(big, sim_times[big, 2] - startup)
        print(
            f"start-up: sim {startup:.2f} s (a 1-path run), monaco {mon_startup:.2f} s (imports, "
            f"not in its time above). Without sim's, 2 workers at {big:,} paths: "
            f"{steady:,.0f} path-months/s, {steady / rate(monaco_paths, mon):.1f}x monaco"
        )


if __name__ == "__main__":
    main()

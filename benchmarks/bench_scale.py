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
import time

import numpy as np
from bench_core import arguments, rng_floor, scenario_file, sim_run

MONTHS = 48
Z95 = 1.6448536269514722
MU = (math.log(1.1) + math.log(1.6)) / 2
SD = (math.log(1.6) - math.log(1.1)) / (2 * Z95)
SIGMA, NU, RUN_RATE, TARGET = 0.25, 0.10, 100.0, 2000.0


def python_loop(paths: int, seed: int = 0) -> float:
    """Seconds for a plain per-path Python loop over the model; returns (seconds, P)."""
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


def monaco_run(paths: int, seed: int = 0) -> float | None:
    try:
        import monaco
        from scipy import stats
    except ImportError:
        return None

    def preprocess(case):  # type: ignore[no-untyped-def]
        return (case.invals["g"].val, case.seed)

    def run(g, case_seed):  # type: ignore[no-untyped-def]
        rng = np.random.default_rng(case_seed)
        months = np.arange(1, MONTHS + 1)
        walk = np.cumsum(SIGMA / math.sqrt(12) * rng.standard_normal(MONTHS))
        level = RUN_RATE * np.exp(g * months / 12 + walk + NU * rng.standard_normal(MONTHS))
        return (float(level[-12:].sum()),)

    def postprocess(case, window):  # type: ignore[no-untyped-def]
        case.addOutVal("met", float(window >= TARGET))

    functions = {
        monaco.SimFunctions.PREPROCESS: preprocess,
        monaco.SimFunctions.RUN: run,
        monaco.SimFunctions.POSTPROCESS: postprocess,
    }
    start = time.perf_counter()
    sim = monaco.Sim(
        "bench", ndraws=paths, fcns=functions, seed=seed, singlethreaded=True, verbose=False
    )
    sim.addInVar(name="g", dist=stats.norm, distkwargs={"loc": MU, "scale": SD})
    sim.runSim()
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
    floor = min(rng_floor(args.paths, args.months) for _ in range(args.repeat))
    one = min(sim_run(file, args.paths, workers=1) for _ in range(args.repeat))
    two = min(sim_run(file, args.paths, workers=2) for _ in range(args.repeat))
    big = 10 * args.paths  # start-up is serial: the workers' speed-up shows on long runs
    big_one, big_two = sim_run(file, big, workers=1), sim_run(file, big, workers=2)
    loop_paths, monaco_paths, squiggle_paths = 20_000, 2_000, min(args.paths, 200_000)
    loop = python_loop(loop_paths)
    mon = monaco_run(monaco_paths)
    squiggle = squigglepy_run(squiggle_paths)
    file.unlink()

    def rate(paths: int, seconds: float) -> float:
        return paths * args.months / seconds

    sim_rate = rate(args.paths, one)
    print(f"model: {args.months} months, volatility and noise; sim with {args.paths:,} paths")
    print(f"{'':34}{'path-months/s':>16}{'sim is faster by':>18}")
    rows = [
        ("numpy floor (2 normals/path-month)", rate(args.paths, floor), None),
        ("sim run, 1 worker", sim_rate, None),
        ("sim run, 2 workers", rate(args.paths, two), None),
        (f"Python loop ({loop_paths:,} paths)", rate(loop_paths, loop), sim_rate),
    ]
    if mon is not None:
        rows.append((f"monaco ({monaco_paths:,} cases)", rate(monaco_paths, mon), sim_rate))
    if squiggle is not None:
        rows.append(
            (f"squigglepy ({squiggle_paths:,} paths)", rate(squiggle_paths, squiggle), sim_rate)
        )
    for name, value, against in rows:
        ratio = f"{against / value:,.1f}x" if against else ""
        print(f"{name:34}{value:>16,.0f}{ratio:>18}")
    print(
        f"1 worker / floor: {one / floor:.2f} (goal <= 2); 2 workers speed-up: "
        f"{one / two:.2f} at {args.paths:,} paths, {big_one / big_two:.2f} at {big:,} "
        f"({big_one:.1f} s and {big_two:.1f} s) (goal >= 1.6)"
    )


if __name__ == "__main__":
    main()

"""Core speed: `sim run` end to end versus numpy drawing the normals the model needs.

Run by hand:  python benchmarks/bench_core.py [--paths 1000000] [--months 48] [--repeat 3]

Prints the best time of each over ``--repeat`` runs, interleaved so that both see the same
machine load, and their ratio. Goal (issue 2): ratio <= 2.5 for 10^6 paths x 48 months with
volatility and noise (issue 5: <= 2).

The floor is numpy drawing the model's normals as SPEC states them: a shock and a noise draw
per path-month (PCG64, numpy's default). sim itself draws a quarter of that — antithetic pairs
halve it, and drawing shocks plus noise as one Gaussian vector (docs/model.md) halves it again
— with SFC64; that smaller floor is printed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SCENARIO = """\
name: benchmark - one country, volatility and noise
countries:
  a:
    baseline: {{value: 100, period: 2025-12}}
    target: {{value: 2000, by: {deadline}}}
    growth: {{rate: "10% to 60%", volatility: 25%, noise: 10%}}
"""


def scenario_file(months: int) -> Path:
    """A scenario whose simulated months run Jan 2026 to the deadline (``months`` months)."""
    last = 2026 * 12 + months - 1
    deadline = f"{last // 12}-{last % 12 + 1:02d}"
    handle, name = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(handle, "w") as stream:
        stream.write(SCENARIO.format(deadline=deadline))
    return Path(name)


def rng_floor(paths: int, months: int, chunk: int = 8192, sims_own: bool = False) -> float:
    """Seconds numpy needs to draw 2 standard normals per path-month with its default generator,
    in chunks; with ``sims_own``, the half normal per path-month sim draws, with SFC64."""
    if sims_own:
        rng = np.random.Generator(np.random.SFC64(0))
        buffer = np.empty((months, chunk // 2))
        draws = 1
    else:
        rng = np.random.default_rng(0)
        buffer = np.empty((months, chunk))
        draws = 2
    start = time.perf_counter()
    for _ in range(-(-paths // chunk)):
        for _ in range(draws):
            rng.standard_normal(out=buffer)
    return time.perf_counter() - start


def sim_run(file: Path, paths: int, workers: int = 1) -> float:
    """Seconds for `sim run FILE --paths N --workers W --format json` as a subprocess (end to
    end, imports included)."""
    command = [sys.executable, "-m", "sim", "run", str(file), "--paths", str(paths)]
    command += ["--workers", str(workers), "--format", "json"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def help_time() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "--help"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def arguments(doc: str) -> argparse.Namespace:
    """The benchmarks' common options: --paths, --months, --repeat."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__)

    file = scenario_file(args.months)
    floors, own, runs, pairs, helps = [], [], [], [], []
    for _ in range(args.repeat):
        floors.append(rng_floor(args.paths, args.months))
        own.append(rng_floor(args.paths, args.months, sims_own=True))
        runs.append(sim_run(file, args.paths))
        pairs.append(sim_run(file, args.paths, workers=2))
        helps.append(help_time())
    file.unlink()
    floor, run, pair = min(floors), min(runs), min(pairs)
    print(f"paths x months        {args.paths:,} x {args.months}")
    print(f"numpy floor (2 normals per path-month)  {floor:7.3f} s")
    print(f"sim run, end to end, 1 worker           {run:7.3f} s")
    print(f"ratio sim / floor                       {run / floor:7.2f}   (goal <= 2.5)")
    sims = min(own)
    print(f"numpy drawing sim's own 0.5 normals     {sims:7.3f} s   ratio {run / sims:.2f}")
    print(f"sim run, 2 workers                      {pair:7.3f} s   speed-up {run / pair:.2f}")
    print(f"path-months per second                  {args.paths * args.months / run:,.0f}")
    print(f"sim --help                              {min(helps):7.3f} s   (goal < 0.3)")


if __name__ == "__main__":
    main()

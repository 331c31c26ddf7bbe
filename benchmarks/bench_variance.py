"""Variance reduction: antithetic pairs against plain Monte Carlo on the shipped scenarios.

Run by hand:  python benchmarks/bench_variance.py [--paths 50000] [--repeat 30]

For each shipped scenario and method, runs the scenario with ``--repeat`` seeds and measures
the variance of each country's P(target) across the seeds and the time per run (one worker,
in this process). Efficiency is 1 / (variance x time); the gain is antithetic's efficiency
over plain's. Also prints the effective number of paths antithetic reports (its interval is
Wilson's at that number).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sim.analysis.estimate import effective_paths
from sim.engine.memory import keep_freed_memory
from sim.engine.run import simulate
from sim.scenario.compile import compile_scenario
from sim.scenario.load import load_scenario

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


def measure(model, paths: int, repeat: int, method: str) -> tuple[np.ndarray, float, np.ndarray]:
    """P(target) per seed and country, seconds per run, effective paths per country."""
    estimates, gains, seconds = [], [], []
    for seed in range(repeat):
        start = time.perf_counter()
        outcomes = simulate(model, paths, seed, method=method)
        seconds.append(time.perf_counter() - start)
        estimates.append([o.met.mean() for o in outcomes.countries])
        gains.append(
            [effective_paths(o.met, method == "antithetic") / paths for o in outcomes.countries]
        )
    return np.array(estimates), float(np.median(seconds)), np.mean(gains, axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    keep_freed_memory()
    print(f"{args.repeat} seeds x {args.paths:,} paths per method; variance of P across seeds")
    print(
        f"{'scenario / country':28}{'P':>8}{'var ratio':>11}{'time ratio':>12}"
        f"{'efficiency gain':>17}{'reported n_eff/n':>18}"
    )
    for file in SCENARIOS:
        model = compile_scenario(load_scenario(file))
        plain, plain_time, _ = measure(model, args.paths, args.repeat, "plain")
        anti, anti_time, gain = measure(model, args.paths, args.repeat, "antithetic")
        for index, country in enumerate(model.countries):
            var_plain = plain[:, index].var(ddof=1)
            var_anti = anti[:, index].var(ddof=1)
            ratio = var_plain / var_anti if var_anti > 0 else float("inf")
            efficiency = (var_plain * plain_time) / (var_anti * anti_time) if var_anti else 0
            print(
                f"{file.stem + ' / ' + country.id:28}{plain[:, index].mean():>8.4f}"
                f"{ratio:>11.2f}{plain_time / anti_time:>12.2f}{efficiency:>17.2f}"
                f"{gain[index]:>18.2f}"
            )


if __name__ == "__main__":
    main()

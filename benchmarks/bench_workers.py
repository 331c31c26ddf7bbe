"""Two workers against one: how much of a long run is serial.

Run by hand:  python benchmarks/bench_workers.py [--paths 10000000] [--repeat 5]

Times ``sim run`` end to end (a subprocess, imports included) on the volatility-and-noise
model of bench_core.py (48 months), with one worker and with two, alternately, ``--repeat``
times each, and prints the best time of each, the ratio of the bests, and the median of the
ratios of each adjacent pair of runs (the machine's drift mostly cancels within a pair).
"""

from __future__ import annotations

import argparse
import statistics

from bench_core import scenario_file, sim_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    file = scenario_file(48)
    one, two = [], []
    for _ in range(args.repeat):
        one.append(sim_run(file, args.paths, workers=1))
        two.append(sim_run(file, args.paths, workers=2))
    pairs = [a / b for a, b in zip(one, two, strict=True)]
    print(
        f"{args.paths:,} paths x 48 months, {args.repeat} runs each, alternating\n"
        f"1 worker:  best {min(one):.2f} s  (all: {', '.join(f'{t:.2f}' for t in one)})\n"
        f"2 workers: best {min(two):.2f} s  (all: {', '.join(f'{t:.2f}' for t in two)})\n"
        f"speed-up: {min(one) / min(two):.2f} (best against best); median of pairs "
        f"{statistics.median(pairs):.2f} (range {min(pairs):.2f}-{max(pairs):.2f})"
    )
    file.unlink()


if __name__ == "__main__":
    main()

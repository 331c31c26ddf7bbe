"""Analyses against a run: how many runs' time `sim solve` and `sim explain` cost.

Run by hand:  python benchmarks/bench_analyses.py [--paths N] [--repeat 3] [--no-explain]

Times, in this process with one worker, ``sim.run``, ``sim.solve`` and ``sim.explain`` end to
end through the API on the same scenario, paths and seed, the median of ``--repeat`` calls
each, and prints each analysis's time over the run's (measured in the same process, minutes
apart at most, so the machine's drift cancels). The solve cases are the shipped scenarios'
growth rates at even odds and an event's duration; the solve columns also give how many runs
of all the paths and of the scout's paths it made.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sim

SCENARIOS = Path(__file__).parent.parent / "scenarios"
# (scenario, field, probability): what `sim solve` is asked
CASES = [
    ("uzbekistan", "growth.rate", 0.5),
    ("kazakhstan", "growth.rate", 0.5),
    ("kyrgyzstan", "growth.rate", 0.5),
    ("uzbekistan", "events.afghan_closures.duration", 0.05),
]


def median_seconds(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median time of ``repeat`` calls, and the last call's result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=None, help="paths [the file's, or 100,000]")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-explain", action="store_true", help="time run and solve only")
    args = parser.parse_args()
    settings: dict[str, Any] = {"paths": args.paths, "workers": 1, "progress": False}
    print(
        f"one worker, median of {args.repeat}; paths: {args.paths or 'the file’s'}\n"
        f"{'scenario':12}{'solve for':40}{'run s':>7}{'solve s':>9}{'runs+scout':>12}"
        f"{'solve/run':>11}{'explain s':>11}{'explain/run':>13}"
    )
    explained: dict[str, float] = {}
    for name, field, probability in CASES:
        file = str(SCENARIOS / f"{name}.yaml")
        run_time, _ = median_seconds(lambda f=file: sim.run(f, **settings), args.repeat)
        solve_time, result = median_seconds(
            lambda f=file, fd=field, p=probability: sim.solve(
                f, probability=p, field=fd, **settings
            ),
            args.repeat,
        )
        ((_, _, answer),) = result.solutions
        explain = ""
        if not args.no_explain and name not in explained:
            explained[name], _ = median_seconds(
                lambda f=file: sim.explain(f, **settings), args.repeat
            )
            explain = f"{explained[name]:>11.2f}{explained[name] / run_time:>13.1f}"
        print(
            f"{name:12}{f'{field} = {probability:.0%}':40}{run_time:>7.2f}{solve_time:>9.2f}"
            f"{f'{answer.trials}+{answer.scout_trials}':>12}{solve_time / run_time:>11.2f}"
            f"{explain}",
            flush=True,
        )


if __name__ == "__main__":
    main()

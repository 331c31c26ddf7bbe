"""Speed with routes and events versus numpy drawing the normals the model needs.

Run by hand:  python benchmarks/bench_events.py [--paths 1000000] [--months 48] [--repeat 3]

The model (issue 3): 48 simulated months, volatility and noise, two routes (one closed every
winter), a recurring disruption with an uncertain rate, a second recurring one, and a one-off
level event. Prints the best of ``--repeat`` interleaved runs of: numpy's floor, `sim run` on the
model without events, and with them, and the ratios. Goal: with events <= 4x the floor.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench_core import SCENARIO, arguments, rng_floor, sim_run

ROUTES_AND_EVENTS = """\
    routes: {{afghan: 0.6, kkh: 0.4}}
routes:
  afghan: {{reroute: 30%}}
  kkh: {{reroute: 50%, closed_months: [12, 1, 2, 3]}}
events:
  closures:
    routes: [afghan]
    rate: 1.5 to 4
    duration: 0.2 to 4
    severity: 60% to 100%
  landslides:
    routes: [kkh]
    rate: 0.5 to 2
    duration: 0.1 to 1
    severity: 1
  railway:
    start: {start}
    probability: 30%
    level: 30% to 100%
    ramp: 12
"""


def scenario_files(months: int) -> tuple[Path, Path]:
    last = 2026 * 12 + months - 1
    deadline = f"{last // 12}-{last % 12 + 1:02d}"
    plain = SCENARIO.format(deadline=deadline)
    with_events = plain + ROUTES_AND_EVENTS.format(start=f"2026-06/{deadline}")
    files = []
    for text in (plain, with_events):
        handle, name = tempfile.mkstemp(suffix=".yaml")
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        files.append(Path(name))
    return files[0], files[1]


def main() -> None:
    args = arguments(__doc__)

    plain, with_events = scenario_files(args.months)
    floors, plains, events = [], [], []
    for _ in range(args.repeat):
        floors.append(rng_floor(args.paths, args.months))
        plains.append(sim_run(plain, args.paths))
        events.append(sim_run(with_events, args.paths))
    plain.unlink()
    with_events.unlink()
    floor = min(floors)
    print(f"paths x months        {args.paths:,} x {args.months}")
    print(f"numpy floor (2 normals per path-month)  {floor:7.3f} s")
    print(
        f"sim run, no routes or events            {min(plains):7.3f} s   "
        f"ratio {min(plains) / floor:5.2f}"
    )
    print(
        f"sim run, 2 routes + 3 events            {min(events):7.3f} s   "
        f"ratio {min(events) / floor:5.2f}   (goal <= 4)"
    )


if __name__ == "__main__":
    main()

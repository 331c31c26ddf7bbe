"""Rare targets: importance sampling against plain sampling, in variance × time.

Run by hand:  python benchmarks/bench_rare.py [--paths 100000] [--repeat 3]

For each case, times ``sim.run`` with the default (antithetic) sampling and with
``method="importance"`` (the search for the shift included) on the same paths, one worker,
the median of ``--repeat`` calls each, in this process. The variance of plain sampling's
estimate is p(1 − p) / paths at the importance-sampled p (antithetic pairs do not help a rare
target: benchmarks/README.md), importance sampling's is its own, from its weighted paths.
Efficiency is 1 / (variance × time): the ratio says how many times fewer seconds importance
sampling needs for the same precision. The cases are the shipped scenarios with their rare
targets, and Kazakhstan's with its target lowered to where P is about 10⁻³.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from bench_analyses import median_seconds

import sim
from sim.analysis.estimate import Z_95

SCENARIOS = Path(__file__).parent.parent / "scenarios"
# (scenario, its country, a target in place of the file's, or None)
CASES = [
    ("kazakhstan", "kazakhstan", 800.0),  # P about 1e-3
    ("kazakhstan", "kazakhstan", None),
    ("tajikistan", "tajikistan", None),
    ("kyrgyzstan", "kyrgyzstan", None),
]


def scenario(name: str, country: str, target: float | None, folder: Path) -> Path:
    """The shipped file, or a copy beside it (its includes are relative) with the target
    changed."""
    path = SCENARIOS / f"{name}.yaml"
    if target is None:
        return path
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["countries"][country]["target"]["value"] = target
    # includes are relative to the file: from the copy's folder
    data["include"] = [os.path.relpath(SCENARIOS / i, folder) for i in data.get("include", [])]
    copy = folder / f"{name}-{target:g}.yaml"
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings: dict[str, Any] = {"paths": args.paths, "workers": 1, "progress": False}
    print(
        f"{args.paths:,} paths, one worker, median of {args.repeat}\n"
        f"{'case':24}{'P':>10}{'plain s':>9}{'IS s':>7}{'plain rel.err':>15}"
        f"{'IS rel.err':>12}{'variance ratio':>16}{'efficiency':>12}"
    )
    with tempfile.TemporaryDirectory(dir=SCENARIOS) as folder:
        for name, country, target in CASES:
            file = str(scenario(name, country, target, Path(folder)))
            plain_s, _ = median_seconds(lambda f=file: sim.run(f, **settings), args.repeat)
            shifted_s, result = median_seconds(
                lambda f=file: sim.run(f, method="importance", **settings), args.repeat
            )
            found = next(r for r in result.runs[0].results if r.country == country)
            p = found.probability
            shifted_var = ((found.ci_high - found.ci_low) / (2 * Z_95)) ** 2
            plain_var = p * (1 - p) / args.paths
            ratio = plain_var / shifted_var
            label = f"{name}{'' if target is None else f' at {target:g}'}"
            print(
                f"{label:24}{p:>10.2e}{plain_s:>9.2f}{shifted_s:>7.2f}"
                f"{Z_95 * math.sqrt(plain_var) / p:>15.1%}"
                f"{Z_95 * math.sqrt(shifted_var) / p:>12.2%}"
                f"{ratio:>16,.0f}{ratio * plain_s / shifted_s:>12,.0f}"
            )


if __name__ == "__main__":
    main()

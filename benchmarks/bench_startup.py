"""Start-up: `sim run` on a small run against the time Python takes to import numpy.

Run by hand:  python benchmarks/bench_startup.py [--repeat 10] [--against OTHER/src]

A run of 1,000 paths is almost all start-up: the interpreter, the imports (numpy, pydantic,
rich, click, PyYAML and sim's own modules), reading and checking the scenario, one chunk of
paths and the table. Prints the best time of each command over ``--repeat`` interleaved runs
(the machine is shared: the minimum is the least disturbed), its ratio to ``import numpy``, and
a run split, inside one process, into what its first time costs more (imports and first uses)
and the run itself (a second time).

Bytecode is cached, as in an installed sim: the commands run without PYTHONDONTWRITEBYTECODE,
and a first run writes sim's .pyc files. ``--against DIR`` also times the ``sim`` package in DIR
(the ``src`` folder of another checkout, such as ``git archive HEAD src data | tar -x -C OUT``
gives) in the same interleaved runs, with the ratio of the two. Goal: ``sim run`` under 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "kazakhstan.yaml"
RUN = ["run", str(SCENARIO), "--paths", "1000"]

# Inside one process: the first run (imports and work), then a second (the work alone), each
# as the `sim` command runs it.
SPLIT = """
import contextlib, io, json, sys, time
start = time.perf_counter()
from sim.cli import main
sys.argv = ["sim", *{run!r}]
times = []
for _ in range(2):
    with contextlib.redirect_stdout(io.StringIO()):
        main()
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
print(json.dumps(times))
"""


def environment(source: Path | None) -> dict[str, str]:
    """The commands' environment: bytecode cached, and ``source`` first on the path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    return env


def seconds(arguments: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *arguments], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def split(env: dict[str, str]) -> tuple[float, float]:
    """(imports, work) of a run: the first run in a process less the second."""
    done = subprocess.run(
        [sys.executable, "-c", SPLIT.format(run=RUN)],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    first, second = json.loads(done.stdout.splitlines()[-1])
    return first - second, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--against", type=Path, help="another checkout's src folder")
    args = parser.parse_args()

    trees = {"this": environment(None)}
    if args.against is not None:
        trees["against"] = environment(args.against.resolve())
    commands = {
        "python -c pass": ["-c", "pass"],
        "import numpy": ["-c", "import numpy"],
        "import numpy, pydantic, rich, click, yaml": [
            "-c",
            "import numpy, pydantic.main, rich.console, rich.table, click, yaml",
        ],
    }
    per_tree = {
        "import sim.cli": ["-c", "import sim.cli"],
        "sim --help": ["-m", "sim", "--help"],
        "sim run --paths 1000": ["-m", "sim", *RUN],
    }
    for env in trees.values():  # writes the .pyc files
        seconds(per_tree["sim run --paths 1000"], env)

    best: dict[tuple[str, str], float] = {}
    parts: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
    for _ in range(args.repeat):
        for name, command in commands.items():
            key = (name, "this")
            best[key] = min(best.get(key, float("inf")), seconds(command, trees["this"]))
        for tree, env in trees.items():
            for name, command in per_tree.items():
                key = (name, tree)
                best[key] = min(best.get(key, float("inf")), seconds(command, env))
            parts[tree].append(split(env))

    numpy = best[("import numpy", "this")]
    print(f"best of {args.repeat}; ratios to `python -c 'import numpy'`")
    for name in commands:
        time_ = best[(name, "this")]
        print(f"{name:<44} {time_:6.3f} s   {time_ / numpy:5.2f}")
    for tree in trees:
        label = "" if len(trees) == 1 else f" ({tree})"
        for name in per_tree:
            time_ = best[(name, tree)]
            print(f"{name + label:<44} {time_:6.3f} s   {time_ / numpy:5.2f}")
        imports = min(i for i, _ in parts[tree])
        work = min(w for _, w in parts[tree])
        print(f"  of it{label}: imports and first uses {imports:.3f} s, the run {work:.3f} s")
    if len(trees) == 2:
        run = "sim run --paths 1000"
        ratio = best[(run, "against")] / best[(run, "this")]
        print(f"sim run: {args.against} takes {ratio:.2f} times this tree's time")


if __name__ == "__main__":
    main()

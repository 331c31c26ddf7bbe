"""What a short `sim run` spends its start-up on (benchmarks/bench_startup.py times it): only the
modules a run needs, no scipy for a plain scenario, and the garbage collector paused while
the command starts, then back for the simulation."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import sim.cli

SCENARIO = Path(__file__).parent.parent / "scenarios" / "kazakhstan.yaml"

# Imported by other commands, never by a run of a scenario without pert, correlation or
# importance sampling (scipy.special alone took a fifth of a second).
NOT_FOR_A_RUN = (
    "scipy",
    "sim.analysis.compare",
    "sim.analysis.explain",
    "sim.analysis.solve",
    "sim.analysis.sweep",
    "sim.calibration.backtest",
    "sim.calibration.scores",
    "concurrent.futures",  # one worker: no pool starts
    "multiprocessing",
    "numpy.ma",  # np.quantile imports it (a tenth of a short run): sim's quantiles do without
)

COMMAND = """
import gc, json, sys
from sim.cli import main
sys.argv = ["sim", "run", {scenario!r}, "--paths", "1000"]
main()
loaded = sorted({{name.split(".")[0] if name.startswith("scipy") else name
                  for name in sys.modules}})
print(json.dumps({{"modules": loaded, "collecting": gc.isenabled()}}))
"""


def test_a_plain_run_imports_what_it_needs_and_collects_garbage_again():
    done = subprocess.run(
        [sys.executable, "-c", COMMAND.format(scenario=str(SCENARIO))],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "P(target)" in done.stdout
    state = json.loads(done.stdout.splitlines()[-1])
    assert [name for name in NOT_FOR_A_RUN if name in state["modules"]] == []
    assert "sim.core.special" in state["modules"]  # the run did import what it runs on
    assert state["collecting"]  # resumed once the scenario was read


def test_reading_the_scenarios_resumes_a_collector_paused_by_main(monkeypatch):
    frozen = gc.get_freeze_count()
    monkeypatch.setattr(sim.cli, "_collector_paused", True)
    gc.disable()
    try:
        sim.cli._loaded([SCENARIO], {})
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.enable()


def test_reading_the_scenarios_leaves_the_collector_of_a_library_caller_alone():
    # CliRunner and the API call the commands without main: nothing is frozen for them
    frozen = gc.get_freeze_count()
    sim.cli._loaded([SCENARIO], {})
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen

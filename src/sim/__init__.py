"""sim: Monte Carlo odds that trade reaches a target, from a YAML scenario.

    >>> import sim
    >>> result = sim.run("scenarios/kazakhstan.yaml", paths=20_000)   # doctest: +SKIP
    >>> result.to_frame()                                             # doctest: +SKIP

The public surface is re-exported here; everything else is internal (docs/api.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.4.0"

__all__ = [
    "BacktestResult",
    "Chart",
    "CompareResult",
    "ExplainResult",
    "FitResult",
    "MissingExtraError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SettingError",
    "SimError",
    "SimulationError",
    "SolveError",
    "SolveResult",
    "SweepResult",
    "__version__",
    "backtest",
    "chart",
    "compare",
    "explain",
    "fit",
    "load",
    "run",
    "solve",
    "sweep",
]

if TYPE_CHECKING:
    from sim.api import (
        Chart,
        Scenario,
        backtest,
        chart,
        compare,
        explain,
        fit,
        load,
        run,
        solve,
        sweep,
    )
    from sim.errors import ScenarioError, SettingError, SimError, SimulationError, SolveError
    from sim.results import (
        BacktestResult,
        CompareResult,
        ExplainResult,
        FitResult,
        MissingExtraError,
        RunResult,
        SolveResult,
        SweepResult,
    )

_HOMES = {
    "sim.api": (
        "Chart",
        "Scenario",
        "backtest",
        "chart",
        "compare",
        "explain",
        "fit",
        "load",
        "run",
        "solve",
        "sweep",
    ),
    "sim.errors": ("ScenarioError", "SettingError", "SimError", "SimulationError", "SolveError"),
    "sim.results": (
        "BacktestResult",
        "CompareResult",
        "ExplainResult",
        "FitResult",
        "MissingExtraError",
        "RunResult",
        "SolveResult",
        "SweepResult",
    ),
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use, so that ``sim --help`` and ``import sim`` stay
    quick (numpy, scipy and pydantic load only when a scenario is read or run)."""
    import importlib

    for module, names in _HOMES.items():
        if name in names:
            value = getattr(importlib.import_module(module), name)
            globals()[name] = value
            return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")

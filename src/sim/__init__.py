"""sim: Monte Carlo odds that trade reaches a target, from a YAML scenario.

    >>> import sim
    >>> result = sim.run("scenarios/kazakhstan.yaml", paths=20_000)   # doctest: +SKIP
    >>> result.to_frame()                                             # doctest: +SKIP

The public surface is re-exported here; everything else is internal (docs/api.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.4.0"


# Where each public name lives: imported on first use (see __getattr__).
_PUBLIC = {
    "Chart": "sim.api",
    "Briefing": "sim.reporting",
    "briefing": "sim.reporting",
    "Scenario": "sim.api",
    "backtest": "sim.api",
    "chart": "sim.api",
    "compare": "sim.api",
    "explain": "sim.api",
    "fit": "sim.api",
    "load": "sim.api",
    "run": "sim.api",
    "solve": "sim.api",
    "sweep": "sim.api",
    "ScenarioError": "sim.errors",
    "SettingError": "sim.errors",
    "SimError": "sim.errors",
    "SimulationError": "sim.errors",
    "SolveError": "sim.errors",
    "BacktestResult": "sim.results",
    "CompareResult": "sim.results",
    "ExplainResult": "sim.results",
    "FitResult": "sim.results",
    "MissingExtraError": "sim.results",
    "RunResult": "sim.results",
    "SolveResult": "sim.results",
    "SweepResult": "sim.results",
}
__all__ = ["__version__", *_PUBLIC]

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from sim.api import (
        Chart as Chart,
    )
    from sim.api import (
        Scenario as Scenario,
    )
    from sim.api import (
        backtest as backtest,
    )
    from sim.api import (
        chart as chart,
    )
    from sim.api import (
        compare as compare,
    )
    from sim.api import (
        explain as explain,
    )
    from sim.api import (
        fit as fit,
    )
    from sim.api import (
        load as load,
    )
    from sim.api import (
        run as run,
    )
    from sim.api import (
        solve as solve,
    )
    from sim.api import (
        sweep as sweep,
    )
    from sim.errors import (
        ScenarioError as ScenarioError,
    )
    from sim.errors import (
        SettingError as SettingError,
    )
    from sim.errors import (
        SimError as SimError,
    )
    from sim.errors import (
        SimulationError as SimulationError,
    )
    from sim.errors import (
        SolveError as SolveError,
    )
    from sim.reporting import (
        Briefing as Briefing,
    )
    from sim.reporting import (
        briefing as briefing,
    )
    from sim.results import (
        BacktestResult as BacktestResult,
    )
    from sim.results import (
        CompareResult as CompareResult,
    )
    from sim.results import (
        ExplainResult as ExplainResult,
    )
    from sim.results import (
        FitResult as FitResult,
    )
    from sim.results import (
        MissingExtraError as MissingExtraError,
    )
    from sim.results import (
        RunResult as RunResult,
    )
    from sim.results import (
        SolveResult as SolveResult,
    )
    from sim.results import (
        SweepResult as SweepResult,
    )


def __getattr__(name: str) -> Any:
    """Import the public names on first use, so that ``sim --help`` and ``import sim`` stay
    quick (numpy, scipy and pydantic load only when a scenario is read or run)."""
    import importlib

    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")

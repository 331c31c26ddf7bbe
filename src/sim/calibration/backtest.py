"""What a backtest asks of a past target's scenario, as plain data: the outcome to compare
with, and the hand-picked-range rule that rivals the fitted forecast.

The outcome is compared as a yearly run-rate over the 12 months ending with its period, so a
part-year outcome (Jan–Oct 2023) is neither judged nor ranked against a whole year's trade.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence
from typing import Any

from sim.calibration.fit import Observation
from sim.core.periods import Period, month_name


def annual(value: float, period: Period) -> float:
    """``value`` over ``period`` as a yearly run-rate."""
    return value * 12 / period.months


def outcome_as_target(data: dict[str, Any], country: str, value: float, period: Period) -> dict:
    """A copy of a scenario's data whose country's target is its outcome's yearly run-rate
    over the 12 months ending with the outcome's period: the share of paths that reach it is
    one less the outcome's percentile in the forecast (PIT)."""
    changed = copy.deepcopy(data)
    entry = changed["countries"][country]
    entry["target"] = {
        **entry["target"],
        "value": annual(value, period),
        "by": month_name(period.last),
    }
    return changed


def hand_picked_rate(points: Sequence[Observation]) -> str | None:
    """The rule most analysts use: growth from the lowest to the highest of the yearly changes
    of the run-rate between consecutive history points (annualised over the years between
    their midpoints); None when the history holds no change."""
    changes = [
        math.expm1(math.log(b.annual / a.annual) * 12 / (b.midpoint - a.midpoint))
        for a, b in itertools.pairwise(sorted(points, key=lambda p: p.last))
        if b.midpoint > a.midpoint
    ]
    if not changes:
        return None
    low, high = min(changes), max(changes)
    return f"{low:.6%}" if high - low < 1e-9 else f"{low:.6%} to {high:.6%}"


def with_growth(data: dict[str, Any], country: str, rate: str) -> dict:
    """A copy of a scenario's data whose country grows at ``rate``, with no shocks or noise."""
    changed = copy.deepcopy(data)
    changed["countries"][country]["growth"] = {"rate": rate}
    return changed

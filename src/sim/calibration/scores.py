"""Scoring forecasts against what happened: Brier and log scores, the outcome's percentile in
the forecast (PIT), coverage of central ranges, and a reliability table."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)  # forecast probability bins of the reliability table


def smoothed(hits: int, paths: int) -> float:
    """A Monte Carlo probability kept off 0 and 1 (``(hits + ½) / (paths + 1)``), so that a
    log score stays finite when no path, or every path, met the target."""
    return (hits + 0.5) / (paths + 1)


def brier(forecasts: Sequence[float], met: Sequence[bool]) -> float:
    return sum((p - y) ** 2 for p, y in zip(forecasts, met, strict=True)) / len(forecasts)


def log_score(forecasts: Sequence[float], met: Sequence[bool]) -> float:
    """Mean negative log likelihood of what happened (lower is better; a coin flip: ln 2)."""
    return -sum(math.log(p if y else 1 - p) for p, y in zip(forecasts, met, strict=True)) / len(
        forecasts
    )


def covered(pit: float, level: float) -> bool:
    """Whether an outcome at percentile ``pit`` of its forecast lies in the central ``level``
    range (e.g. 0.9: between the 5th and 95th percentiles)."""
    tail = (1 - level) / 2
    return tail <= pit <= 1 - tail


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    forecast: float | None  # mean forecast in the bin
    observed: float | None  # share met in the bin


def reliability(forecasts: Sequence[float], met: Sequence[bool]) -> list[Bin]:
    """Forecasts grouped by probability, each group's mean forecast beside how often the
    target was met: a calibrated forecaster's two columns agree."""
    bins = []
    for low, high in itertools.pairwise(BINS):
        last = high == BINS[-1]
        inside = [
            (p, y)
            for p, y in zip(forecasts, met, strict=True)
            if low <= p < high or (last and p == high)
        ]
        count = len(inside)
        bins.append(
            Bin(
                low,
                high,
                count,
                sum(p for p, _ in inside) / count if count else None,
                sum(y for _, y in inside) / count if count else None,
            )
        )
    return bins


@dataclass(frozen=True)
class Scores:
    """How one forecaster did over a set of past targets."""

    forecaster: str
    count: int
    brier: float
    log: float
    coverage_50: float | None  # share of outcomes inside the 50% range (None: no PIT)
    coverage_90: float | None


def score(
    forecaster: str,
    forecasts: Sequence[float],
    met: Sequence[bool],
    pits: Sequence[float] | None = None,
) -> Scores:
    return Scores(
        forecaster,
        len(forecasts),
        brier(forecasts, met),
        log_score(forecasts, met),
        None if pits is None else sum(covered(p, 0.5) for p in pits) / len(pits),
        None if pits is None else sum(covered(p, 0.9) for p in pits) / len(pits),
    )


@dataclass(frozen=True)
class BacktestCase:
    """One past target: the forecast made as of its information date, and what happened."""

    file: str
    country: str
    label: str
    as_of: str | None
    target: float
    window: str
    outcome: float
    outcome_period: str
    met: bool
    probability: float  # sim's P(target), kept off 0 and 1 (scores.smoothed)
    pit: float  # the outcome's percentile in sim's forecast of that period's trade
    hand_picked: float | None  # the hand-picked-range rule's P(target), None: no rule
    hand_picked_pit: float | None

"""The reference class: past announced bilateral trade targets and the yearly trade around
them, shipped as data (``data/targets.csv``, ``data/trade.csv``; sources in data/README.md)."""

from __future__ import annotations

import collections
import csv
import functools
import io
import itertools
import math
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from sim.core.periods import Period, month_name, parse_month, parse_period


@dataclass(frozen=True)
class Entry:
    """One past target: the trade before it was announced and the outcome at its deadline."""

    id: str
    pair: str
    announced: int  # month index
    target: float
    deadline: Period
    base: Period
    base_value: float
    outcome: Period
    outcome_value: float
    met: bool

    @property
    def years(self) -> float:
        """Years between the base period's midpoint and the outcome period's."""
        return (self.outcome.midpoint - self.base.midpoint) / 12

    @property
    def realised_growth(self) -> float:
        """Yearly log growth of the yearly run-rate from base to outcome."""
        base = self.base_value / (self.base.months / 12)
        outcome = self.outcome_value / (self.outcome.months / 12)
        return math.log(outcome / base) / self.years


@dataclass(frozen=True)
class Point:
    pair: str
    statistic: str
    period: Period
    value: float


@dataclass(frozen=True)
class ReferenceClass:
    entries: tuple[Entry, ...]
    points: tuple[Point, ...]
    as_of: int | None = None

    def known_by(self, as_of: int | None) -> ReferenceClass:
        """Only what was known by month ``as_of``: targets whose outcome period had ended, and
        trade figures for periods that had ended."""
        if as_of is None:
            return self
        return replace(
            self,
            entries=tuple(e for e in self.entries if e.outcome.last <= as_of),
            points=tuple(p for p in self.points if p.period.last <= as_of),
            as_of=as_of,
        )

    def realised_growth(self) -> list[tuple[float, float]]:
        """Each entry's realised yearly log growth with its weight: a pair counts once, its
        weight shared among its targets (a pair's targets overlap in time and share one
        trajectory, so they are not independent evidence)."""
        per_pair = collections.Counter(e.pair for e in self.entries)
        return [(e.realised_growth, 1 / per_pair[e.pair]) for e in self.entries]

    def mean_horizon(self) -> float | None:
        if not self.entries:
            return None
        return sum(e.years for e in self.entries) / len(self.entries)

    def base_rate(self) -> float | None:
        """The share of entries whose target was met."""
        if not self.entries:
            return None
        return sum(e.met for e in self.entries) / len(self.entries)

    def volatility_squares(self) -> list[float]:
        """Squared year-to-year log changes of every yearly series around its own mean change,
        each scaled by n/(n − 1) so that their mean estimates the shock variance."""
        series: dict[tuple[str, str], list[Point]] = {}
        for point in self.points:
            if point.period.months == 12:
                series.setdefault((point.pair, point.statistic), []).append(point)
        squares: list[float] = []
        for points in series.values():
            points.sort(key=lambda p: p.period.first)
            changes = [
                math.log(b.value / a.value)
                for a, b in itertools.pairwise(points)
                if b.period.first - a.period.first == 12
            ]
            if len(changes) < 2:
                continue
            mean = sum(changes) / len(changes)
            scale = len(changes) / (len(changes) - 1)
            squares += [scale * (c - mean) ** 2 for c in changes]
        return squares

    def as_of_text(self) -> str:
        return "" if self.as_of is None else f" (as of {month_name(self.as_of)})"


def _period(text: str) -> Period:
    return parse_period(text.strip())


def read_entries(text: str) -> tuple[Entry, ...]:
    entries = []
    for row in csv.DictReader(io.StringIO(text)):
        if not row["outcome_usd_m"].strip() or not row["base_usd_m"].strip():
            continue  # an open target, or no figure before it: not in the class
        entries.append(
            Entry(
                id=row["id"],
                pair=row["pair"],
                announced=parse_month(row["announced"]),
                target=float(row["target_usd_m"]),
                deadline=_period(row["deadline"]),
                base=_period(row["base_period"]),
                base_value=float(row["base_usd_m"]),
                outcome=_period(row["outcome_period"]),
                outcome_value=float(row["outcome_usd_m"]),
                met=row["met"].strip().lower() == "yes",
            )
        )
    return tuple(entries)


def read_points(text: str) -> tuple[Point, ...]:
    return tuple(
        Point(row["pair"], row["statistic"], _period(row["period"]), float(row["value_usd_m"]))
        for row in csv.DictReader(io.StringIO(text))
        if row["value_usd_m"].strip()
    )


def _data_folder() -> Any:
    """The shipped data: the package ``sim.data`` of an installed sim, or the repository's
    data/ folder when sim runs from a checkout (an editable install)."""
    try:
        return resources.files("sim.data")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[3] / "data"


@functools.cache
def reference_class() -> ReferenceClass:
    """The shipped reference class (read once)."""
    folder = _data_folder()
    return ReferenceClass(
        read_entries(folder.joinpath("targets.csv").read_text(encoding="utf-8")),
        read_points(folder.joinpath("trade.csv").read_text(encoding="utf-8")),
    )


@functools.cache
def calibration_record() -> dict[str, Any]:
    """The shipped calibration record: ``sim backtest backtests/ --format json`` as of this
    version (data/backtest.json; tools/make_backtests.py writes the scenarios it scores, and
    a test checks the record against a fresh backtest)."""
    import json

    text = _data_folder().joinpath("backtest.json").read_text(encoding="utf-8")
    record: dict[str, Any] = json.loads(text)
    return record

"""Fitted growth: a country's own record pooled toward a reference class of past targets.

The procedure (docs/calibration.md states it for readers):

1. **Reference class.** For each past announced target whose outcome was known by ``as_of``,
   the realised yearly log growth from the trade before the announcement to the outcome,
   ``r_j = ln(outcome_j / base_j) / H_j`` (yearly run-rates, ``H_j`` years between the periods'
   midpoints). Their mean ``m`` and variance ``v``, each pair of countries counting once, are
   pooled with a stated prior worth ``PRIOR_WEIGHT`` pairs, so that few entries give a wide,
   cautious class.
2. **Volatility.** Year-to-year log changes of every yearly series dated by ``as_of`` (the
   reference pairs' and the country's own) give the sd ``σ`` of persistent shocks, again pooled
   with a prior. The spread of realised growth across pairs that shocks do not explain is
   between-pair variation of the trend: ``τ² = max(τ_min², v − σ²/H̄)``.
3. **Partial pooling.** The country's own record — its total log change over ``T`` years, the
   drift's estimate for a random walk with drift, with variance ``σ²/T`` — is weighted against
   the class by precision: ``w = (T/σ²) / (T/σ² + 1/τ²)``. The current trend growth is normal
   on ``ln(1 + r)`` with mean ``w·d + (1 − w)·m`` and sd ``(T/σ² + 1/τ²)^(-1/2)``; one point
   (T = 0) gives the class alone, as wide as the class is.
4. **Mean reversion.** The trend decays from that current rate toward the class's long-run rate
   ``N(m, τ)`` with a half-life of ``HALF_LIFE`` years (a judgement: fast growth of small
   bilateral trade rarely lasts; see docs/calibration.md).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sim.calibration.reference import ReferenceClass, reference_class
from sim.core.distributions import Z95
from sim.core.periods import month_name

# The prior every estimate is pooled with: a judgement, stated in docs/calibration.md.
PRIOR_GROWTH = math.log(1.05)  # trade grows a little, as world trade does
PRIOR_GROWTH_SD = 0.25  # across pairs: realised growth varies widely
PRIOR_VOLATILITY = 0.25  # small bilateral trade swings by about a quarter a year
PRIOR_WEIGHT = 3.0  # the prior counts as three entries (or three yearly changes)
MIN_TREND_SD = 0.05  # never claim to know a pair's trend to better than 5 points a year
HALF_LIFE = "1 to 5"  # years; judgement (docs/calibration.md)
MAX_LOG_GROWTH = 10.0  # a fitted 90% range reaching e^10 = 22,000 times a year is no fit


@dataclass(frozen=True)
class Observation:
    """Observed turnover over months ``first`` to ``last`` (month indices of sim.core.periods)."""

    first: int
    last: int
    value: float

    @property
    def years(self) -> float:
        return (self.last - self.first + 1) / 12

    @property
    def midpoint(self) -> float:
        return (self.first + self.last) / 2

    @property
    def annual(self) -> float:
        """The yearly run-rate."""
        return self.value / self.years


@dataclass(frozen=True)
class GrowthFit:
    """A fitted growth block (uncertain-number texts, as a scenario would write them) and the
    evidence behind it in words."""

    block: dict[str, str]
    evidence: list[str] = field(default_factory=list)
    own_growth: float | None = None  # the record's yearly log growth, when it has two points
    weight: float = 0.0  # the own record's weight against the reference class
    entries: int = 0  # reference-class entries used


def log_growth_interval(mean: float, sd: float) -> str:
    """The 90% interval form of a growth rate normal on ln(1 + r) with ``mean`` and ``sd``."""
    if sd < 1e-6:
        return f"{math.expm1(mean) * 100:.1f}%"
    low, high = math.expm1(mean - Z95 * sd), math.expm1(mean + Z95 * sd)
    return f"{low * 100:.1f}% to {high * 100:.1f}%"


def own_record(history: Sequence[Observation]) -> tuple[float | None, float, list[float]]:
    """The record's drift estimate (total log change of the yearly run-rate over the years
    between its first and last midpoints), those years, and the residuals of its year-to-year
    changes for the volatility: as in the reference class, only changes between 12-month
    periods that start 12 months apart count, so that part-year or monthly figures (whose
    swings are partly seasonal and transitory) are not read as persistent shocks."""
    points = sorted(history, key=lambda o: o.last)
    if len(points) < 2:
        return None, 0.0, []
    span = (points[-1].midpoint - points[0].midpoint) / 12
    if span <= 0:
        return None, 0.0, []
    drift = math.log(points[-1].annual / points[0].annual) / span
    residuals = [
        math.log(b.annual / a.annual) - drift
        for a, b in itertools.pairwise(points)
        if a.years == b.years == 1 and b.first - a.first == 12
    ]
    return drift, span, residuals


def fit_growth(
    history: Sequence[Observation],
    as_of: int | None,
    reference: ReferenceClass | None = None,
) -> GrowthFit:
    """The growth block for a country with ``history``, using only what was known by
    ``as_of`` (a month index; None: everything)."""
    known = [o for o in history if as_of is None or o.last <= as_of]
    if not known:
        raise ValueError("no history point dated by as_of")
    reference = (reference or reference_class()).known_by(as_of)

    # 1. the class's realised growth, each pair counting once, pooled with the prior
    rates = reference.realised_growth()
    count = len(rates)
    pairs = sum(w for _, w in rates)
    mean = (PRIOR_WEIGHT * PRIOR_GROWTH + sum(w * r for r, w in rates)) / (PRIOR_WEIGHT + pairs)
    spread = (PRIOR_WEIGHT * PRIOR_GROWTH_SD**2 + sum(w * (r - mean) ** 2 for r, w in rates)) / (
        PRIOR_WEIGHT + pairs
    )
    horizon = reference.mean_horizon() or 5.0

    # 2. volatility from every yearly series known by then, the country's own included
    drift, span, residuals = own_record(known)
    squares = reference.volatility_squares() + [r * r for r in residuals]
    volatility = math.sqrt(
        (PRIOR_WEIGHT * PRIOR_VOLATILITY**2 + sum(squares)) / (PRIOR_WEIGHT + len(squares))
    )
    trend_sd = math.sqrt(max(MIN_TREND_SD**2, spread - volatility**2 / horizon))

    # 3. the own record against the class, by precision
    own_precision = span / volatility**2 if drift is not None else 0.0
    class_precision = 1.0 / trend_sd**2
    weight = own_precision / (own_precision + class_precision)
    current = weight * (drift or 0.0) + (1 - weight) * mean
    current_sd = 1.0 / math.sqrt(own_precision + class_precision)

    reach = max(abs(current) + Z95 * current_sd, abs(mean) + Z95 * trend_sd)
    if not math.isfinite(reach + volatility) or reach > MAX_LOG_GROWTH:
        raise ValueError(
            "the history's changes are too extreme to fit a growth rate from (yearly log "
            f"growth beyond ±{MAX_LOG_GROWTH:g}); check its values and units, or write growth"
        )
    block = {
        "rate": log_growth_interval(current, current_sd),
        "long_run": log_growth_interval(mean, trend_sd),
        "half_life": HALF_LIFE,
        "volatility": f"{volatility * 100:.1f}%",
        "noise": "0%",
    }
    return GrowthFit(
        block,
        _evidence(known, drift, span, weight, reference, count, mean, trend_sd, volatility),
        drift,
        weight,
        count,
    )


def _percent(log_rate: float) -> str:
    return f"{math.expm1(log_rate) * 100:+.0f}%"


def _evidence(
    known: Sequence[Observation],
    drift: float | None,
    span: float,
    weight: float,
    reference: ReferenceClass,
    count: int,
    mean: float,
    trend_sd: float,
    volatility: float,
) -> list[str]:
    first, last = min(o.first for o in known), max(o.last for o in known)
    lines = [
        f"History: {len(known)} point{'s' if len(known) != 1 else ''} from "
        f"{month_name(first)} to {month_name(last)}."
    ]
    if drift is None:
        lines.append("One point: no own record of growth; the reference class alone decides.")
    else:
        lines.append(
            f"Own record: {_percent(drift)} a year over {span:.1f} years; it gets "
            f"{weight:.0%} of the weight, so the current rate is pulled {1 - weight:.0%} of the "
            "way toward the reference class."
        )
    lines.append(
        f"Reference class: {count} past target{'s' if count != 1 else ''} with outcomes known "
        f"by then{reference.as_of_text()}, each pair counting once, pooled with a prior worth "
        f"{PRIOR_WEIGHT:.0f} pairs; "
        f"realised growth {_percent(mean)} a year on average, trend spread ±{trend_sd:.0%} "
        "(1 sd, log) between pairs."
    )
    lines.append(
        f"Volatility {volatility:.0%} a year from year-to-year changes of the yearly series "
        f"known by then; growth decays toward the long-run rate with a half-life of {HALF_LIFE} "
        "years (judgement)."
    )
    return lines


@dataclass(frozen=True)
class CountryFit:
    country: str
    label: str
    statistic: str | None  # the history series that judges the target
    fit: GrowthFit | None  # None: the country has no history

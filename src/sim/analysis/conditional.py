"""Sensitivity and attribution read from one run's paths, by conditioning.

Every per-path input is drawn by its quantile function from a uniform number of its own stream
(``sim.engine.streams``), independent of every other component. So P(target) with the input
held at its q-th percentile, the rest uncertain — what the tornado reports — is exactly the
conditional probability E[met | u = q], and it can be estimated from the base run's paths
whose uniform u lies near q: by a local linear regression of ``met`` on u (Epanechnikov
kernel of half-width ``BANDWIDTH``), or, for a ``choice`` input, exactly, as the share of
paths whose u draws the same value.

Likewise an event's own draws come from its own streams: a path on which the event has no
onset up to the end of a country's target window is the same path as in a run without the
event, and whether it has one is independent of everything else. So P(target without the
event) is the share of those paths that meet the target.

A growth input that the file's ``correlation`` section couples across countries is drawn
through a shared copula, not from a uniform of its own that nothing else depends on: it is
not read this way (``correlated``); ``explain`` simulates it again.

Each estimate comes with its standard error; ``explain`` keeps it when its 95% interval is
within ``tolerance`` and runs the model again otherwise (per-onset inputs — an event's
duration or severity, drawn afresh for every onset — always run again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analysis.estimate import Z_95
from sim.core.model import Model
from sim.engine.events import draw_onsets, event_stream
from sim.engine.outcomes import Outcomes
from sim.engine.rules import Draws
from sim.engine.streams import CHUNK, path_uniforms

BANDWIDTH = 0.08  # the kernel's half-width on the uniform scale
MIN_HITS = 20  # fewer paths meeting the target near the point: no estimate
# The tolerance: a 95% half-width within half a percentage point, and within a quarter of
# P(target) with every input uncertain (but never asked below 0.05 points).
ABSOLUTE, RELATIVE, FLOOR = 0.005, 0.25, 0.0005


def tolerance(base: float) -> float:
    """The widest 95% half-width an estimate from the base run may have (``base``: P(target)
    with every input uncertain)."""
    return min(ABSOLUTE, max(RELATIVE * base, FLOOR))


@dataclass(frozen=True)
class Estimate:
    """A probability read from the base run's paths, with its standard error (and, for an
    event's absence, the standard error of its effect: P(base) − value)."""

    value: float
    se: float
    hits: float  # paths meeting the target that carry the estimate (kernel-weighted)
    effect_se: float = math.inf

    def within(self, half_width: float) -> bool:
        return self.hits >= MIN_HITS and Z_95 * self.se <= half_width


def correlated(model: Model, kind: str, index: int, name: str) -> bool:
    """Whether a per-path input is drawn through the file's copula (``correlation.growth``):
    its uniform number is then tied to other countries' inputs, not independent of
    everything else, so conditioning on it is not holding it (the conditional reading does
    not apply)."""
    if kind != "country" or model.correlation is None:
        return False
    return model.correlation.row(model.countries[index].id, name) is not None


def input_uniforms(
    model: Model, outcomes: Outcomes, kind: str, index: int, name: str
) -> np.ndarray:
    """The uniform numbers the run drew a per-path input from, path by path: a country's
    input (``kind`` "country"), or an event's rate or probability (the first draw of its
    stream). Not for a ``correlated`` input, which has no stream of its own."""
    if correlated(model, kind, index, name):
        raise ValueError(
            f"{model.countries[index].id}'s {name} is drawn through the correlation section's "
            "copula: it has no uniform of its own to condition on"
        )
    paths, seed, antithetic = outcomes.paths, outcomes.seed, outcomes.antithetic
    found = np.empty(paths)
    for start in range(0, paths, CHUNK):
        chunk, valid = start // CHUNK, min(CHUNK, paths - start)
        if kind == "country":  # the draws the engine makes (sim.engine.rules.Draws)
            u = Draws(seed, chunk, antithetic).uniforms(model.countries[index], name)
        else:  # the first draw of the event's stream (sim.engine.events.path_parameter)
            rng = event_stream(model.events[index], seed, chunk)
            u = path_uniforms(rng, CHUNK, antithetic)
        found[start : start + valid] = u[:valid]
    return found


def held_at(met: np.ndarray, u: np.ndarray, q: float) -> Estimate:
    """E[met | u = q] by local linear regression with an Epanechnikov kernel; the standard
    error from the residuals (the sandwich form of the linear smoother)."""
    near = np.abs(u - q) < BANDWIDTH
    x = u[near] - q
    y = met[near].astype(float)
    w = 0.75 * (1 - (x / BANDWIDTH) ** 2)
    s0, s1, s2 = w.sum(), (w * x).sum(), (w * x * x).sum()
    determinant = s0 * s2 - s1 * s1
    if len(x) < 3 or determinant <= 0:
        return Estimate(float("nan"), math.inf, 0.0)
    weights = w * (s2 - s1 * x) / determinant  # the smoother's weights: value = weights @ y
    value = float(weights @ y)
    slope = float((w * (s0 * x - s1)) @ y / determinant)
    residuals = y - (value + slope * x)
    se = math.sqrt(float((weights**2) @ (residuals**2)))
    return Estimate(min(max(value, 0.0), 1.0), se, float((w * y).sum() / w.max()))


def held_in_band(met: np.ndarray, u: np.ndarray, low: float, high: float) -> Estimate:
    """The share of paths meeting the target among those whose u lies in [low, high): exact
    for a discrete input, whose value is the same over the band."""
    inside = met[(u >= low) & (u < high)]
    return _share(inside)


def first_onsets(model: Model, outcomes: Outcomes, event: int) -> np.ndarray:
    """Per path, the time of the event's first onset (grid months; +inf for none), drawn
    again from its streams exactly as the run drew it."""
    paths, seed, antithetic = outcomes.paths, outcomes.seed, outcomes.antithetic
    first = np.full(paths, np.inf)
    for start in range(0, paths, CHUNK):
        chunk, valid = start // CHUNK, min(CHUNK, paths - start)
        onsets = draw_onsets(
            model.events[event], seed, chunk, CHUNK, model.months, antithetic, model.grid_start
        )
        kept = onsets.path < valid
        np.minimum.at(first, start + onsets.path[kept], onsets.time[kept])
    return first


def without_events(
    model: Model, outcomes: Outcomes, firsts: list[np.ndarray], country: int
) -> Estimate:
    """P(target without some events, whose ``first_onsets`` are given): the share of paths
    meeting the target among those where none of them starts before the end of the
    country's window (an onset in the window's last month changes its trade)."""
    last = model.countries[country].window_end
    return free_share(outcomes.countries[country].met, firsts, last)


def free_share(met: np.ndarray, firsts: list[np.ndarray], last: float) -> Estimate:
    """The share of paths meeting an outcome ``met`` (a country's target, or a joint outcome)
    among those where none of the events whose ``first_onsets`` are given starts before grid
    month ``last`` ends (the latest month the outcome depends on), with the standard error of
    P(base) − that share."""
    free = np.ones(len(met), dtype=bool)
    for first in firsts:
        free &= first >= last + 1
    kept, touched = _share(met[free]), _share(met[~free])
    # P(base) − kept = (1 − f)(touched − kept), f the share of free paths: its error comes
    # from the two shares (none when every path is free)
    f = float(free.mean())
    spread = math.hypot(kept.se, touched.se) if f < 1 else 0.0
    return Estimate(kept.value, kept.se, kept.hits, (1 - f) * spread)


def _share(met: np.ndarray) -> Estimate:
    n = len(met)
    if n == 0:
        return Estimate(float("nan"), math.inf, 0.0)
    hits = int(np.count_nonzero(met))
    p = hits / n
    return Estimate(p, math.sqrt(p * (1 - p) / n), float(hits))

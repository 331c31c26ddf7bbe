"""Importance sampling for rare targets: where to shift a country's draws.

Every per-path input of a country is drawn from a uniform number u of its own stream, and its
persistent shocks and noise from standard normal numbers w, one a month (``sim.engine.walk``).
With z = Φ⁻¹(u), all of a country's own randomness is one vector x of independent standard
normals. Importance sampling draws x with means μ instead of 0, so that paths that reach a
rare target become common, and weighs each path by the likelihood ratio of the two laws,

    L(x) = φ(x) / φ(x − μ) = exp(|μ|²/2 − μ·x),

so that E[L · met] under the shifted law is P(met) under the model's, exactly, whatever the
shift: the estimate is unbiased, and a good shift makes L · met nearly constant on the paths
that meet the target, which is what makes its variance small.

The shift is found by the cross-entropy method (Rubinstein & Kroese, *The Cross-Entropy
Method*, 2004, ch. 3): pilot paths are drawn with the current shift; those in the top
``ELITE`` of window trade relative to the target (or, once that many meet the target, those
that meet it) are kept, and μ moves to their L-weighted mean of x; this repeats until the
kept paths are the ones that meet the target. Pilot paths come from chunks of their own
(numbered from ``PILOT_CHUNK``), so the shift is independent of the paths it weighs.

Only a country's own draws are shifted: events, and growth that ``correlation`` couples, are
drawn as usual. A country's outcome depends on no other country's own draws, so its weight
covers its own shifts only; a path's weight for joint outcomes is the product of its
countries' weights (the countries' own draws are independent).

A country whose target ``ELITE`` of the pilot paths already meet is not shifted: plain
sampling is good enough for it (nor is one whose pilot never moves closer to the target).
"""

from __future__ import annotations

import math

import numpy as np

from sim.core.model import Model
from sim.engine.outcomes import CountryTilt, Plan, Tilt
from sim.engine.rules import Workspace, simulate_chunk
from sim.engine.streams import CHUNK

ELITE = 0.1  # the share of pilot paths that guide the next shift
MAX_STEPS = 12  # steps of the search before it gives up on a country
PILOT_CHUNK = 1 << 40  # the pilot's chunk numbers start here, far from any run's


def find_tilt(model: Model, seed: int) -> Tilt:
    """The shift of each country's draws that makes its target common (countries whose
    target is not rare, or that no shift brings nearer, are left out)."""
    tilts: dict[str, CountryTilt] = {c.id: CountryTilt() for c in model.countries}
    searching = set(tilts)
    chosen: dict[str, CountryTilt] = {}
    workspace = Workspace()
    level = {c.id: -math.inf for c in model.countries}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for step in range(MAX_STEPS):
            plan = Plan(
                seed,
                (PILOT_CHUNK + step + 1) * CHUNK,  # every pilot path counts
                method="importance",
                tilt=tuple((i, t) for i, t in tilts.items() if i in searching and _moved(t)),
            )
            record, outcomes = _pilot(model, plan, step, workspace, frozenset(searching))
            for index, country in enumerate(model.countries):
                if country.id not in searching:
                    continue
                score = outcomes[index][0] / country.threshold
                weight = outcomes[index][1]
                cut = min(1.0, float(np.quantile(score, 1.0 - ELITE, method="higher")))
                if step == 0 and cut >= 1.0:  # not rare: leave it alone
                    searching.discard(country.id)
                    continue
                if not cut > level[country.id]:  # no nearer than before: give up
                    searching.discard(country.id)
                    continue
                level[country.id] = cut
                kept = score >= cut
                tilts[country.id] = _mean_shift(model, index, record, kept, weight)
                if cut >= 1.0:
                    chosen[country.id] = tilts[country.id]
                    searching.discard(country.id)
            if not searching:
                break
    return tuple((c.id, chosen[c.id]) for c in model.countries if c.id in chosen)


def _moved(tilt: CountryTilt) -> bool:
    return bool(tilt.inputs or tilt.walk)


def _pilot(
    model: Model, plan: Plan, step: int, workspace: Workspace, searching: frozenset[str]
) -> tuple[dict[tuple[str, str], np.ndarray], list[tuple[np.ndarray, np.ndarray]]]:
    """One step's pilot paths, a chunk of 8,192 (819 kept): the standard normals behind the
    draws of the ``searching`` countries (as ``Draws.record`` keeps them, paths along the
    last axis) and each country's window totals and weights."""
    record: dict[tuple[str, str], np.ndarray] = {}
    outcomes = simulate_chunk(model, plan, PILOT_CHUNK + step, workspace, record, searching)
    totals = [
        (
            np.nan_to_num(o.window_total, nan=-np.inf),
            np.ones(CHUNK) if o.weight is None else o.weight,
        )
        for o in outcomes
    ]
    return record, totals


def _mean_shift(
    model: Model,
    index: int,
    record: dict[tuple[str, str], np.ndarray],
    kept: np.ndarray,
    weight: np.ndarray,
) -> CountryTilt:
    """The shift that the cross-entropy method moves to: the weighted mean of the kept
    paths' normals, input by input and month by month (months after the target's window
    change nothing and are not shifted)."""
    country = model.countries[index]
    w = weight[kept]
    total = w.sum()
    if not total > 0 or not math.isfinite(total):
        return CountryTilt()
    inputs = []
    for (owner, name), x in record.items():
        if owner != country.id or name == "walk":
            continue
        inputs.append((name, float(x[kept] @ w / total)))
    walk: tuple[float, ...] = ()
    normals = record.get((country.id, "walk"))  # the months up to the window's end
    if normals is not None:
        shift = np.zeros(model.months - country.first_simulated)
        shift[: len(normals)] = normals[:, kept] @ w / total
        walk = tuple(float(v) for v in shift)
    return CountryTilt(tuple(inputs), walk)

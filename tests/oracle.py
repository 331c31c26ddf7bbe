"""A deliberately simple, per-path reading of SPEC "Model semantics (per path)" 1–8.

This is a test oracle for the vectorised engine: it loops over paths, months and event onsets
in plain Python and follows SPEC literally. It shares no code with the engine beyond the
validated ``Scenario`` and ``Distribution.quantile`` (distributions are tested elsewhere). It
does not use the engine's random numbers, only the same distributions, so the two agree in
distribution, not path by path.

Readings of SPEC made here (where a test fails, check these first):

- Persistent shocks: the random walk W adds sigma/sqrt(12)*eps_t in every simulated month, the
  first simulated month included, so W(first simulated month) already has one shock.
- Month t spans the time interval [t, t+1); an onset in month m happens at u = m + U[0, 1).
- A one-off event whose ``start`` lies before the event grid keeps its onset there; it acts on
  simulated months only (its coverage of earlier months is ignored).
- ``severity`` acts on the event's routes, whichever countries the event names; ``level`` and
  ``growth`` act on the event's countries (all countries when it names none).
- A growth effect accumulates only over the country's simulated months.
- Without ``duration`` an event lasts to the end of the horizon (infinite duration).
- Seasonal closures and route events act on simulated months only; observed months of the
  target window count at the run-rate b/n.
"""

from __future__ import annotations

import math

import numpy as np

from sim.core.distributions import Distribution
from sim.scenario.schema import Scenario


class _Draws:
    """Independent draws of one Distribution, one at a time (buffered for speed)."""

    def __init__(self, dist: Distribution, rng: np.random.Generator, chunk: int = 512) -> None:
        self.dist, self.rng, self.chunk = dist, rng, chunk
        self.buffer: list[float] = []

    def __call__(self) -> float:
        if not self.buffer:
            u = self.rng.random(self.chunk)
            u = np.where(u == 0.0, 0.5, u)  # quantile needs u in (0, 1)
            self.buffer = [float(v) for v in self.dist.quantile(u)]
        return self.buffer.pop()


def _draws(dist: Distribution | None, rng: np.random.Generator, default: float | None):
    if dist is None:
        return lambda: default
    return _Draws(dist, rng)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def oracle_window_totals(scenario: Scenario, paths: int, seed: int) -> dict[str, np.ndarray]:
    """Each path's trade summed over each country's 12-month target window."""
    rng = np.random.default_rng(seed)
    horizon = scenario.horizon_end
    countries = scenario.countries
    grid_first = min(c.baseline.period.last + 1 for c in countries.values())

    # Per-country, per-path parameter samplers.
    csamp = {
        cid: {
            "b": _draws(c.baseline.value, rng, None),
            "r": _draws(c.growth.rate, rng, None),
            "sigma": _draws(c.growth.volatility, rng, 0.0),
            "nu": _draws(c.growth.noise, rng, 0.0),
        }
        for cid, c in countries.items()
    }
    # Per-event samplers: rate/probability per path; the rest per onset.
    esamp = {
        eid: {
            "rate": _draws(e.rate, rng, None),
            "p": _draws(e.probability, rng, 1.0),
            "d": _draws(e.duration, rng, math.inf),
            "s": _draws(e.severity, rng, None),
            "level": _draws(e.level, rng, None),
            "growth": _draws(e.growth, rng, None),
        }
        for eid, e in scenario.events.items()
    }

    out = {cid: np.zeros(paths) for cid in countries}
    for path in range(paths):
        # ---- events: drawn once per path, shared by all countries (rule 5)
        onsets = []  # (event, u, d, severity, level, growth)
        for eid, e in scenario.events.items():
            es = esamp[eid]
            months: list[int] = []
            if e.rate is not None:
                q = 1.0 - math.exp(-es["rate"]() / 12.0)
                for m in range(grid_first, horizon + 1):
                    if rng.random() < q:
                        months.append(m)
            else:
                if rng.random() < es["p"]():
                    months.append(int(rng.integers(e.start.first, e.start.last + 1)))
            for m in months:
                u = m + rng.random()
                onsets.append((e, u, es["d"](), es["s"](), es["level"](), es["growth"]()))

        # onsets by the simulated months they may cover (a speed-up only)
        active: dict[int, list] = {}
        for onset in onsets:
            u, d = onset[1], onset[2]
            last = horizon if math.isinf(d) else min(horizon, math.ceil(u + d) - 1)
            for m in range(max(math.floor(u), grid_first), last + 1):
                active.setdefault(m, []).append(onset)

        for cid, c in countries.items():
            cs = csamp[cid]
            b, r = cs["b"](), cs["r"]()
            sigma, nu = cs["sigma"](), cs["nu"]()
            period = c.baseline.period
            run_rate = b / period.months  # rule 1
            mid = (period.first + period.last) / 2
            g = math.log1p(r)  # rule 2
            first_sim = period.last + 1
            win_last = c.target.by.last
            win_first = win_last - 11

            # observed months of the window count at the run-rate (rule 8)
            observed = max(0, min(win_last, period.last) - win_first + 1)
            total = observed * run_rate

            walk = 0.0  # rule 3
            growth_acc = 0.0  # growth events, carried forward (rule 5)
            for t in range(first_sim, horizon + 1):
                walk += sigma / math.sqrt(12.0) * rng.standard_normal()
                eta = rng.standard_normal()
                level_factor = 1.0
                avail = {}
                if c.routes:
                    for rname in c.routes:
                        closed = (t % 12 + 1) in scenario.routes[rname].closed_months
                        avail[rname] = 0.0 if closed else 1.0
                for e, u, d, s, x_level, x_growth in active.get(t, ()):
                    cov = _overlap(u, u + d, t, t + 1.0)
                    if cov <= 0.0:
                        continue
                    affects_country = not e.countries or cid in e.countries
                    if s is not None and c.routes:
                        for rname in e.routes:
                            if rname in avail:
                                avail[rname] *= 1.0 - s * cov
                    if affects_country and x_level is not None:
                        ramp = 1.0 if e.ramp == 0 else min(1.0, (t + 1 - u) / e.ramp)
                        level_factor *= 1.0 + x_level * ramp * cov
                    if affects_country and x_growth is not None:
                        growth_acc += math.log1p(x_growth) * cov / 12.0
                # route factor (rule 6)
                if c.routes:
                    factor = 0.0
                    for rname, share in c.routes.items():
                        a = avail[rname]
                        others = [avail[o] for o in c.routes if o != rname]
                        best = max(others) if others else 0.0
                        factor += share * (a + (1.0 - a) * scenario.routes[rname].reroute * best)
                else:
                    factor = 1.0
                log_level = math.log(run_rate) + g * (t - mid) / 12.0 + walk + growth_acc
                trade = math.exp(log_level) * math.exp(nu * eta) * factor * level_factor
                if win_first <= t <= win_last:
                    total += trade
            out[cid][path] = total
    return out

"""An independent, literal reading of SPEC "Model semantics (per path)" 1–8.

This is a test oracle for the engine. It imports nothing from ``sim``: it takes the scenario as
YAML text or a plain dict, reads the fields it needs itself (periods per SPEC "Units and
time", uncertain numbers per SPEC "Distributions") and draws every uncertain number from its
own ``scipy.stats`` distribution, so a mistake in the engine's schema, period arithmetic or
mapping from ranges to distributions is not copied here. It does not use the engine's random
numbers either, so the two agree in distribution, not path by path.

Each path is simulated by SPEC's per-path rules, in the order SPEC states them. For speed a
"value" below is a numpy array over paths (every operation is elementwise, so path j of every
array is one path), and the loops run over months and event onsets; nothing couples two paths.
Shocks and noise are drawn as SPEC states them, two independent normal numbers per month.

Readings of SPEC made here (where a test fails, check these first):

- Month index: ``12 * year + month - 1``; month t spans the time interval [t, t + 1), so an
  onset in month m happens at u = m + U[0, 1).
- Periods: ``YYYY`` is Jan–Dec; ``YYYY-NN`` is a month when NN is 01–12, else a fiscal year when
  NN is the last two digits of YYYY + 1; ``FYYYYY-YY`` is always a fiscal year; a fiscal year
  starts in month ``fiscal_year_start`` (default 7) of its first year and lasts 12 months;
  ``A/B`` is the inclusive range from month A to month B. The horizon is the end of
  ``horizon`` when given, else the latest deadline.
- Intervals "a to b" (5th and 95th percentiles, z = Φ⁻¹(0.95)): growth rate: ln(1 + r) ~
  Normal((ln(1+a) + ln(1+b))/2, (ln(1+b) − ln(1+a))/(2z)); positive: ln x ~
  Normal((ln a + ln b)/2, (ln b − ln a)/(2z)); fraction: x ~ Normal((a + b)/2, (b − a)/(2z))
  clipped to [0, 1]. Interval draws are not clipped otherwise (ln(1 + r) keeps r > −100%).
- Explicit families draw the quantity itself and are then clipped to the field's domain:
  growth rates to ≥ −0.99, positives to ≥ 0, fractions to [0, 1]. Fixed numbers are not
  clipped. ``pert`` is Beta(1 + 4(mode − low)/(high − low), 1 + 4(high − mode)/(high − low)) on
  [low, high]; ``lognormal {median, sigma}`` is scipy's lognorm(s=sigma, scale=median);
  ``choice`` weights default to equal.
- Domains: baseline value, volatility, noise, event rate, duration and add are positive; growth
  rate and an event's level and growth are growth rates; severity, probability and reroute are
  fractions. Defaults: volatility 0, noise 0, probability 1, reroute 0, ramp 0, no duration
  (the event lasts to the end of the horizon).
- Persistent shocks: the random walk W adds sigma/sqrt(12)*eps_t in every simulated month, the
  first simulated month included, so W(first simulated month) already has one shock.
- A one-off event whose ``start`` lies before the event grid keeps its onset there; it acts on
  simulated months only (its coverage of earlier months is ignored).
- ``severity`` acts on the event's routes, whichever countries the event names; ``level`` and
  ``growth`` act on the event's countries (all countries when it names none).
- A growth effect accumulates only over the country's simulated months.
- Seasonal closures and route events act on simulated months only; observed months of the
  target window count at the run-rate b/n.
- Rule 1 as the project amends it (docs/model.md): for a country with routes, the trend starts
  from b/n divided by the mean route factor of the baseline months under the routes' seasonal
  closures alone (a baseline observed under closures is turned into an open-road run-rate);
  observed months of the window still count at b/n.
- Mean reversion (docs/model.md, "Trend"): with long_run and half_life, the trend's log level at
  τ years from the baseline midpoint is g∞·τ + (g0 − g∞)(1 − e^(−λτ))/λ, λ = ln 2 / half_life.
- Months after the last target window are not simulated: nothing in them can change a window.
- Added trade (docs/model.md, rules 5 and 7): an event's ``add`` (positive domain, drawn per
  onset) adds ``add/12 · ramp(t) · cov(t) · O(t)`` to month t's trade of each country in its
  scope, after every multiplicative factor; O(t) is 1 without routes, else the mean over the
  event's routes of their availability A_r(t) (closed months and severity events; no
  rerouting). It counts in simulated months only.
- Correlated growth (docs/model.md, "Correlated growth"): the countries named in a pair of
  ``correlation.growth`` draw their growth rate, and separately their long-run rate, as
  F⁻¹(Φ(x)) with x jointly normal, unit variances and the pairs' correlations (0 where no
  pair is given); every other draw is independent, as without the section.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml
from scipy import stats

Z95 = float(stats.norm.ppf(0.95))  # SPEC's 1.6449
DOMAINS = ("growth", "positive", "fraction")
PERT_LAMBDA = 4.0


# --- periods (SPEC "Units and time") -----------------------------------------------------------


def month_index(year: int, month: int) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1–12")
    return 12 * year + month - 1


def parse_period(value: Any, fiscal_year_start: int = 7) -> tuple[int, int]:
    """(first month, last month), inclusive, of a SPEC period."""
    if isinstance(value, bool):
        raise ValueError(f"not a period: {value!r}")
    if isinstance(value, int):
        return month_index(value, 1), month_index(value, 12)
    text = str(value).strip()
    if "/" in text:
        a, b = (part.strip() for part in text.split("/"))
        ma = re.fullmatch(r"(\d{4})-(\d{2})", a)
        mb = re.fullmatch(r"(\d{4})-(\d{2})", b)
        if not (ma and mb):
            raise ValueError(f"a range of months is YYYY-MM/YYYY-MM: {value!r}")
        first = month_index(int(ma[1]), int(ma[2]))
        last = month_index(int(mb[1]), int(mb[2]))
        if last < first:
            raise ValueError(f"range ends before it starts: {value!r}")
        return first, last
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        return month_index(year, 1), month_index(year, 12)
    m = re.fullmatch(r"(FY)?(\d{4})-(\d{2})", text)
    if not m:
        raise ValueError(f"not a period: {value!r}")
    year, nn = int(m[2]), int(m[3])
    if not m[1] and 1 <= nn <= 12:
        first = month_index(year, nn)
        return first, first
    if nn != (year + 1) % 100:
        raise ValueError(f"not a month nor a fiscal year: {value!r}")
    first = month_index(year, fiscal_year_start)
    return first, first + 11


# --- uncertain numbers (SPEC "Distributions") --------------------------------------------------


def parse_number(value: Any) -> float:
    """A plain number or a percentage string ("25%", "-5%", "+30%")."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text.endswith("%"):
        return float(text[:-1].strip()) / 100.0
    return float(text)


@dataclass(frozen=True)
class Uncertain:
    """One uncertain number: fixed, or ``transform(dist)`` clipped to [low, high].

    For a ``choice``, ``dist`` draws an index into ``values``.
    """

    fixed: float | None = None
    dist: Any = None  # a frozen scipy.stats distribution
    transform: str = "identity"  # or "expm1": the distribution is of ln(1 + r)
    low: float = -math.inf
    high: float = math.inf
    values: tuple[float, ...] | None = None

    def _finish(self, x: np.ndarray) -> np.ndarray:
        if self.values is not None:
            x = np.asarray(self.values)[x.astype(int)]
        if self.transform == "expm1":
            x = np.expm1(x)
        return np.clip(x, self.low, self.high)

    def quantile(self, q: Any) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        if self.fixed is not None:
            return np.full(q.shape, self.fixed)
        return self._finish(np.asarray(self.dist.ppf(q), dtype=float))

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.fixed is not None:
            return np.full(size, self.fixed)
        return self._finish(np.asarray(self.dist.rvs(size=size, random_state=rng), dtype=float))


_CLIP = {"growth": (-0.99, math.inf), "positive": (0.0, math.inf), "fraction": (0.0, 1.0)}


def parse_uncertain(value: Any, domain: str) -> Uncertain:
    """SPEC's four forms of an uncertain number, for a field of the given domain."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}")
    if isinstance(value, Mapping):
        if len(value) != 1:
            raise ValueError(f"one family key expected: {value!r}")
        ((family, params),) = value.items()
        low, high = _CLIP[domain]
        return Uncertain(low=low, high=high, **_family(family, params))
    if isinstance(value, str) and " to " in value:
        a, b = (parse_number(part) for part in value.split(" to "))
        if b < a:
            raise ValueError(f"interval ends below its start: {value!r}")
        if a == b:
            return Uncertain(fixed=a)
        if domain == "growth":
            if a <= -1:
                raise ValueError(f"growth rates stay above -100%: {value!r}")
            la, lb = math.log1p(a), math.log1p(b)
            return Uncertain(
                dist=stats.norm((la + lb) / 2, (lb - la) / (2 * Z95)), transform="expm1"
            )
        if domain == "positive":
            if a <= 0:
                raise ValueError(f"a positive interval needs bounds > 0: {value!r}")
            sigma = (math.log(b) - math.log(a)) / (2 * Z95)
            return Uncertain(dist=stats.lognorm(s=sigma, scale=math.sqrt(a * b)))
        return Uncertain(dist=stats.norm((a + b) / 2, (b - a) / (2 * Z95)), low=0.0, high=1.0)
    return Uncertain(fixed=parse_number(value))


def _family(family: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if family == "choice":
        values = tuple(parse_number(v) for v in params["values"])
        weights = np.array([parse_number(w) for w in params.get("weights", [1] * len(values))])
        index = stats.rv_discrete(values=(np.arange(len(values)), weights / weights.sum()))
        return {"dist": index, "values": values}
    p = {key: parse_number(v) for key, v in params.items()}
    if family == "normal":
        return {"dist": stats.norm(p["mean"], p["sd"])}
    if family == "lognormal":
        return {"dist": stats.lognorm(s=p["sigma"], scale=p["median"])}
    if family == "uniform":
        return {"dist": stats.uniform(p["low"], p["high"] - p["low"])}
    low, mode, high = p["low"], p["mode"], p["high"]
    width = high - low
    if family == "triangular":
        return {"dist": stats.triang((mode - low) / width, loc=low, scale=width)}
    if family == "pert":
        alpha = 1 + PERT_LAMBDA * (mode - low) / width
        beta = 1 + PERT_LAMBDA * (high - mode) / width
        return {"dist": stats.beta(alpha, beta, loc=low, scale=width)}
    raise ValueError(f"unknown family {family!r}")


def _optional(value: Any, domain: str, default: float | None) -> Uncertain | None:
    if value is None:
        return None if default is None else Uncertain(fixed=default)
    return parse_uncertain(value, domain)


# --- the scenario fields the model reads -------------------------------------------------------


@dataclass
class _Country:
    name: str
    first: int  # baseline period
    last: int
    baseline: Uncertain
    rate: Uncertain
    volatility: Uncertain
    noise: Uncertain
    window_last: int
    routes: dict[str, float]
    long_run: Uncertain | None = None  # mean reversion (docs/model.md): both or neither
    half_life: Uncertain | None = None


@dataclass
class _Route:
    closed_months: frozenset[int]
    reroute: float


@dataclass
class _Event:
    name: str
    routes: list[str]
    countries: list[str]  # empty: every country
    rate: Uncertain | None
    start: tuple[int, int] | None
    probability: Uncertain
    duration: Uncertain | None  # None: to the end of the horizon
    severity: Uncertain | None
    level: Uncertain | None
    growth: Uncertain | None
    ramp: float
    add: Uncertain | None = None  # trade added a year (docs/model.md rule 5)


def _read(scenario: str | Mapping[str, Any]):
    data = yaml.safe_load(scenario) if isinstance(scenario, str) else scenario
    fy = int(data.get("fiscal_year_start", 7))
    routes = {
        name: _Route(
            frozenset(int(m) for m in (r or {}).get("closed_months", [])),
            parse_number((r or {}).get("reroute", 0)),
        )
        for name, r in (data.get("routes") or {}).items()
    }
    countries = {}
    for cid, c in data["countries"].items():
        first, last = parse_period(c["baseline"]["period"], fy)
        growth = c["growth"]
        countries[cid] = _Country(
            name=cid,
            first=first,
            last=last,
            baseline=parse_uncertain(c["baseline"]["value"], "positive"),
            rate=parse_uncertain(growth["rate"], "growth"),
            volatility=parse_uncertain(growth.get("volatility", 0), "positive"),
            noise=parse_uncertain(growth.get("noise", 0), "positive"),
            window_last=parse_period(c["target"]["by"], fy)[1],
            routes={r: parse_number(s) for r, s in (c.get("routes") or {}).items()},
            long_run=_optional(growth.get("long_run"), "growth", None),
            half_life=_optional(growth.get("half_life"), "positive", None),
        )
    events = [
        _Event(
            name=eid,
            routes=list(e.get("routes") or []),
            countries=list(e.get("countries") or []),
            rate=_optional(e.get("rate"), "positive", None),
            start=parse_period(e["start"], fy) if "start" in e else None,
            probability=parse_uncertain(e.get("probability", 1), "fraction"),
            duration=_optional(e.get("duration"), "positive", None),
            severity=_optional(e.get("severity"), "fraction", None),
            level=_optional(e.get("level"), "growth", None),
            growth=_optional(e.get("growth"), "growth", None),
            ramp=parse_number(e.get("ramp", 0)),
            add=_optional(e.get("add"), "positive", None),
        )
        for eid, e in (data.get("events") or {}).items()
    ]
    deadline = max(c.window_last for c in countries.values())
    horizon = parse_period(data["horizon"], fy)[1] if "horizon" in data else deadline
    if horizon < deadline:
        raise ValueError("the horizon ends before a deadline")
    return countries, routes, events, horizon, _correlation(data, list(countries))


def _correlation(data: Mapping[str, Any], order: list[str]) -> tuple[list[str], np.ndarray]:
    """The countries named in a pair of ``correlation.growth`` (in the file's order) and their
    correlation matrix."""
    pairs = ((data.get("correlation") or {}).get("growth")) or {}
    named = {name for a, inner in pairs.items() for b in inner for name in (a, b)}
    group = [cid for cid in order if cid in named]
    matrix = np.eye(len(group))
    for a, inner in pairs.items():
        for b, value in inner.items():
            i, j = group.index(a), group.index(b)
            matrix[i, j] = matrix[j, i] = float(value)
    return group, matrix


def _correlated_growth(
    countries: dict[str, _Country], group: list[str], matrix: np.ndarray, rng, n: int
) -> dict[tuple[str, str], np.ndarray]:
    """(country, "rate" or "long_run") -> the draws of the correlated countries: each input
    through its own quantile function from Φ of jointly normal scores (eigen-decomposition
    sampling, which takes a semi-definite matrix)."""
    drawn: dict[tuple[str, str], np.ndarray] = {}
    if not group:
        return drawn
    for name in ("rate", "long_run"):
        scores = rng.multivariate_normal(np.zeros(len(group)), matrix, size=n, method="eigh")
        for i, cid in enumerate(group):
            uncertain = getattr(countries[cid], name)
            if uncertain is not None:
                drawn[cid, name] = uncertain.quantile(stats.norm.cdf(scores[:, i]))
    return drawn


# --- the model ---------------------------------------------------------------------------------


@dataclass
class _Onset:
    """The onsets of one event in one month m, on the paths ``idx`` (at most one each)."""

    event: _Event
    m: int
    idx: np.ndarray
    u: np.ndarray
    end: np.ndarray  # u + d; inf without duration
    severity: np.ndarray | None
    level: np.ndarray | None
    growth: np.ndarray | None
    add: np.ndarray | None = None

    def coverage(self, t: int) -> np.ndarray:
        """overlap([u, u + d], [t, t + 1]) on each of the onset's paths."""
        return np.maximum(0.0, np.minimum(self.end, t + 1.0) - np.maximum(self.u, float(t)))


def _onsets(event: _Event, months: dict[int, np.ndarray], rng: np.random.Generator):
    out = []
    for m, idx in sorted(months.items()):
        if len(idx) == 0:
            continue
        k = len(idx)
        u = m + rng.random(k)
        d = np.full(k, math.inf) if event.duration is None else event.duration.draw(rng, k)
        severity = None if event.severity is None else event.severity.draw(rng, k)
        level = None if event.level is None else event.level.draw(rng, k)
        growth = None if event.growth is None else event.growth.draw(rng, k)
        add = None if event.add is None else event.add.draw(rng, k)
        out.append(_Onset(event, m, idx, u, u + d, severity, level, growth, add))
    return out


def oracle_window_totals(
    scenario: str | Mapping[str, Any], paths: int, seed: int
) -> dict[str, np.ndarray]:
    """Each path's trade summed over each country's 12-month target window."""
    countries, routes, events, horizon, (group, correlation) = _read(scenario)
    rng = np.random.default_rng(seed)
    n = paths
    grid_first = min(c.last + 1 for c in countries.values())
    last_needed = min(horizon, max(c.window_last for c in countries.values()))

    # ---- rule 5: onsets, drawn once per path and shared by every country
    onsets: list[_Onset] = []
    for e in events:
        months: dict[int, np.ndarray] = {}
        if e.rate is not None:  # recurring: at most one onset a grid month
            q = 1.0 - np.exp(-e.rate.draw(rng, n) / 12.0)
            for m in range(grid_first, horizon + 1):
                months[m] = np.flatnonzero(rng.random(n) < q)
        else:  # one-off: with its probability, in a month uniform over `start`
            assert e.start is not None
            happens = rng.random(n) < e.probability.draw(rng, n)
            month = rng.integers(e.start[0], e.start[1] + 1, size=n)
            for m in range(e.start[0], e.start[1] + 1):
                months[m] = np.flatnonzero(happens & (month == m))
        onsets += _onsets(e, months, rng)

    # ---- rules 1–4: per-country draws, fixed over time (growth through the correlation)
    correlated = _correlated_growth(countries, group, correlation, rng, n)

    def growth_draw(cid: str, name: str) -> np.ndarray:
        if (cid, name) in correlated:
            return correlated[cid, name]
        return getattr(countries[cid], name).draw(rng, n)

    state = {}
    for cid, c in countries.items():
        months_in_period = c.last - c.first + 1
        run_rate = c.baseline.draw(rng, n) / months_in_period  # rule 1
        # rule 1, open road: the trend starts from the run-rate divided by the mean route
        # factor of the baseline months under seasonal closures alone
        seasonal = []
        for m in range(c.first, c.last + 1):
            shut = {r: 0.0 if (m % 12 + 1) in routes[r].closed_months else 1.0 for r in c.routes}
            f = 0.0
            for rname, share in c.routes.items():
                best = max((shut[o] for o in c.routes if o != rname), default=0.0)
                f += share * (shut[rname] + (1.0 - shut[rname]) * routes[rname].reroute * best)
            seasonal.append(f)
        open_share = sum(seasonal) / len(seasonal) if c.routes else 1.0
        win_first, win_last = c.window_last - 11, c.window_last
        observed = max(0, min(win_last, c.last) - win_first + 1)  # rule 8
        state[cid] = {
            "run_rate": run_rate,
            "open_rate": run_rate / open_share,
            "mid": (c.first + c.last) / 2,
            "g": np.log1p(growth_draw(cid, "rate")),  # rule 2
            "g_inf": None if c.long_run is None else np.log1p(growth_draw(cid, "long_run")),
            "lam": None if c.half_life is None else math.log(2) / c.half_life.draw(rng, n),
            "sigma": c.volatility.draw(rng, n),
            "nu": c.noise.draw(rng, n),
            "walk": np.zeros(n),  # rule 3
            "growth_acc": np.zeros(n),  # growth events, carried forward (rule 5)
            "total": observed * run_rate,
        }

    for t in range(grid_first, last_needed + 1):
        live = [o for o in onsets if o.m <= t and o.end.max() > t]
        covered = [(o, o.coverage(t)) for o in live]
        # rule 5: route availability, shared by every country that uses the route
        avail = {}
        for rname, route in routes.items():
            a = np.zeros(n) if (t % 12 + 1) in route.closed_months else np.ones(n)
            for o, cov in covered:
                if o.severity is not None and rname in o.event.routes:
                    a[o.idx] *= 1.0 - o.severity * cov
            avail[rname] = a

        for cid, c in countries.items():
            if t <= c.last:
                continue  # observed month: not simulated
            s = state[cid]
            s["walk"] += s["sigma"] / math.sqrt(12.0) * rng.standard_normal(n)  # rule 3
            eta = rng.standard_normal(n)  # rule 4
            level_factor = np.ones(n)
            added = np.zeros(n)
            for o, cov in covered:
                if o.event.countries and cid not in o.event.countries:
                    continue
                ramp = 1.0 if o.event.ramp == 0 else np.minimum(1.0, (t + 1 - o.u) / o.event.ramp)
                if o.level is not None:
                    level_factor[o.idx] *= 1.0 + o.level * ramp * cov
                if o.add is not None:  # travels on the event's routes, when it names some
                    rs = o.event.routes
                    openness = sum(avail[r][o.idx] for r in rs) / len(rs) if rs else 1.0
                    added[o.idx] += o.add / 12.0 * ramp * cov * openness
                if o.growth is not None:
                    s["growth_acc"][o.idx] += np.log1p(o.growth) * cov / 12.0
            # rule 6: route factor
            if c.routes:
                factor = np.zeros(n)
                for rname, share in c.routes.items():
                    a = avail[rname]
                    others = [avail[other] for other in c.routes if other != rname]
                    best = np.max(others, axis=0) if others else np.zeros(n)
                    factor += share * (a + (1.0 - a) * routes[rname].reroute * best)
            else:
                factor = np.ones(n)
            # rule 7
            tau = (t - s["mid"]) / 12.0  # years from the baseline's midpoint
            if s["g_inf"] is None:
                trend = s["g"] * tau
            else:  # growth decays from g toward g_inf, halving the gap every half-life
                trend = (
                    s["g_inf"] * tau + (s["g"] - s["g_inf"]) * -np.expm1(-s["lam"] * tau) / s["lam"]
                )
            level = s["open_rate"] * np.exp(trend + s["walk"] + s["growth_acc"])
            trade = level * np.exp(s["nu"] * eta) * factor * level_factor + added
            if c.window_last - 11 <= t <= c.window_last:  # rule 8
                s["total"] += trade
    return {cid: state[cid]["total"] for cid in countries}

"""The model's rules on one chunk of paths: SPEC "Model semantics" 1–8, vectorised over paths.

A chunk is ``CHUNK`` paths drawn from its own streams (``sim.engine.streams``); its arrays are
(months, paths). These are pure functions of the model, the plan and the chunk's number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sim.core.correlation import Correlation
from sim.core.distributions import Distribution
from sim.core.model import CountryModel, Model
from sim.core.routes import route_factor
from sim.core.special import ndtri
from sim.engine import walk
from sim.engine.arrays import cumulate, sum_rows
from sim.engine.events import ChunkEvents, chunk_events
from sim.engine.outcomes import CountryOutcome, CountryTilt, Plan, Results, merge
from sim.engine.streams import (
    CHUNK,
    LARGEST_UNIFORM,
    SMALLEST_UNIFORM,
    copula_uniforms,
    generator,
    path_uniforms,
)

LN2 = math.log(2.0)


def simulate_block(
    model: Model, plan: Plan, chunks: range, results: Results | None = None
) -> list[CountryOutcome]:
    """The outcomes of the paths in ``chunks`` (only the first ``plan.paths`` of the run count).

    With ``results``, each chunk's per-path arrays are written there, and the outcomes returned
    keep only their counts.
    """
    workspace = Workspace()
    parts = []
    # Absurd but valid inputs (growth of 1e300) overflow to inf; the results say so.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for chunk in chunks:
            outcomes = simulate_chunk(model, plan, chunk, workspace)
            if results is not None:
                results.place(chunk, outcomes)
            parts.append(outcomes)
    return merge(parts)


class Workspace:
    """Scratch arrays reused from chunk to chunk: allocating them anew costs page faults."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised float array of ``shape``, the same memory on every call."""
        array = self._arrays.get(name)
        if array is None or array.shape != shape:
            array = self._arrays[name] = np.empty(shape)
        return array


def simulate_chunk(
    model: Model,
    plan: Plan,
    chunk: int,
    workspace: Workspace | None = None,
    record: dict[tuple[str, str], np.ndarray] | None = None,
    recorded: frozenset[str] = frozenset(),
) -> list[CountryOutcome]:
    """One chunk's outcomes, keeping only paths numbered below ``plan.paths``; with
    ``record``, the standard normals behind the draws of the ``recorded`` countries are
    kept there (``Draws.record``)."""
    workspace = workspace or Workspace()
    valid = min(CHUNK, plan.paths - chunk * CHUNK)  # only these are simulated
    draws = Draws(
        plan.seed,
        chunk,
        plan.antithetic,
        model.correlation,
        dict(plan.tilt),
        record,
        recorded,
        width=valid,
    )
    events = None
    if model.events or model.routes:
        events = chunk_events(model, plan.seed, chunk, valid, plan.antithetic)
    outcomes = []
    for index, country in enumerate(model.countries):
        trade, run_rate = _monthly_trade(model, index, events, draws, workspace)
        weight = draws.weight(country)
        outcomes.append(
            country_outcome(model, index, trade, run_rate, events, valid, plan.years, weight)
        )
    return outcomes


@dataclass(frozen=True)
class Draws:
    """A chunk's per-path random numbers of each country, from the country's streams (and,
    for growth inputs that ``correlation`` couples, from its copula's).

    With ``tilt`` (importance sampling, ``sim.engine.tilt``), each path is drawn from the
    model's law or, with chance 1/2 (``shifted``), with the standard normals behind each
    country's own draws moved to the means the tilt gives; ``weight`` is then each path's
    likelihood ratio of the model's law to that mixture. With ``record``, the
    standard normals behind every draw of a country's own streams are kept there, by
    (country id, input name, or "walk" for the shocks' months × paths).

    Every stream is drawn for the whole chunk, and the arrays keep its first ``width`` paths:
    a path's numbers are the same whether the run keeps the chunk's other paths or not.
    """

    seed: int
    chunk: int
    antithetic: bool
    correlation: Correlation | None = None
    tilt: dict[str, CountryTilt] = field(default_factory=dict)
    record: dict[tuple[str, str], np.ndarray] | None = None
    recorded: frozenset[str] = frozenset()  # the countries (ids) whose normals are kept
    width: int = CHUNK  # the chunk's first paths that are simulated
    _copula: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    _drawn: dict[tuple[str, str], np.ndarray] = field(
        default_factory=dict, compare=False, repr=False
    )
    _log_weight: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)
    _values: dict[tuple[str, str, Distribution], np.ndarray] = field(
        default_factory=dict, compare=False, repr=False
    )

    def weight(self, country: CountryModel) -> np.ndarray | None:
        """Each path's likelihood ratio of the model's law of the country's draws to the
        law they were drawn from, half the model's and half the shifted one: 2ℓ / (1 + ℓ)
        for ℓ the ratio of the model's law to the shifted one (None: nothing shifted). It
        never exceeds 2, so for a small P the estimate's variance is at most about twice
        plain sampling's, whatever the shift (Hesterberg's defensive mixture)."""
        log_ratio = self._log_weight.get(country.id)
        if log_ratio is None:
            return None
        return 2.0 / (1.0 + np.exp(-log_ratio))

    @cached_property
    def shifted(self) -> np.ndarray:
        """Per path, 1 if its draws are shifted, else 0: each with chance 1/2, from a stream
        of its own (so any number of paths is a fair sample of the mixture)."""
        return shifted_paths(self.seed, self.chunk)[: self.width].astype(float)

    def _weigh(self, country: CountryModel, log_ratio: np.ndarray) -> None:
        if country.id in self._log_weight:
            self._log_weight[country.id] += log_ratio
        else:
            self._log_weight[country.id] = log_ratio

    def values(self, country: CountryModel, name: str) -> np.ndarray:
        """One draw per path of the country's uncertain input ``name``, by its quantile
        function; a fixed input's one value (it broadcasts over the paths)."""
        distribution = getattr(country, name)
        if distribution.is_fixed:  # the same for every path: no stream to draw from
            return np.array([distribution.median()])
        key = (country.id, name, distribution)  # variants of a model share the others
        found = self._values.get(key)
        if found is None:
            found = self._values[key] = distribution.quantile(self.uniforms(country, name))
            found.flags.writeable = False
        return found

    def uniforms(self, country: CountryModel, name: str) -> np.ndarray:
        """The uniform numbers the country's input ``name`` is drawn from, one per path: its
        own stream's, or, for a growth input of a country in ``correlation``, its row of the
        copula drawn from the stream ``correlation:growth:NAME`` (docs/model.md, "Correlated
        growth")."""
        row = None if self.correlation is None else self.correlation.row(country.id, name)
        if row is None:
            drawn = self._drawn.get((country.id, name))
            if drawn is None:
                rng = generator(self.seed, self.chunk, f"country:{country.id}:{name}")
                u = path_uniforms(rng, CHUNK, self.antithetic)[: self.width]
                drawn = self._shifted(country, name, u)
                self._drawn[(country.id, name)] = drawn
            return drawn
        if name not in self._copula:  # drawn once per chunk for every country of the group
            assert self.correlation is not None
            rng = generator(self.seed, self.chunk, f"correlation:growth:{name}")
            self._copula[name] = copula_uniforms(
                rng, self.correlation.factor, CHUNK, self.antithetic
            )[:, : self.width]
        return self._copula[name][row]

    def _shifted(self, country: CountryModel, name: str, u: np.ndarray) -> np.ndarray:
        """The uniforms ``u`` of the country's input ``name`` moved by the tilt on shifted
        paths: u = Φ(x) for x = Φ⁻¹(u) + μ, with ℓ = exp(μ²/2 − μx) on every path; recorded
        as x."""
        tilt = self.tilt.get(country.id)
        mu = 0.0 if tilt is None else tilt.shift(name)
        record = self.record if country.id in self.recorded else None
        if mu == 0.0 and record is None:
            return u
        from scipy.special import ndtr  # a chunk's worth: sim.core.special's is too slow

        x = ndtri(u)
        if mu != 0.0:
            x += mu * self.shifted
        if record is not None:
            record[(country.id, name)] = x
        if mu == 0.0:
            return u
        self._weigh(country, mu * mu / 2 - mu * x)
        return np.clip(ndtr(x), SMALLEST_UNIFORM, LARGEST_UNIFORM)

    def walk_and_noise(self, country: CountryModel, out: np.ndarray) -> None:
        """The monthly increments of the country's persistent shocks plus transitory noise
        (``sim.engine.walk``): their cumulative sum over months is σ/√12 Σ ε + ν η."""
        rng = generator(self.seed, self.chunk, f"country:{country.id}:walk-and-noise")
        sigma = self.values(country, "volatility") / math.sqrt(12.0)
        nu = self.values(country, "noise")
        if len(sigma) == len(nu) == 1:  # the same for every path: one factor for the run
            diag, sub = walk.fixed_factor(float(sigma[0]), float(nu[0]), len(out))
        else:
            diag, sub = walk.factor(sigma, nu, len(out))
        noiseless = _is_zero(country.noise)  # no noise: no subdiagonal (walk.increments)
        tilt = self.tilt.get(country.id)
        means = np.array(tilt.walk) if tilt is not None and tilt.walk else None
        shift = None if means is None else np.outer(means, self.shifted)
        w = walk.increments(
            rng, diag, None if noiseless else sub, out, self.antithetic, shift, CHUNK
        )
        if self.record is not None and country.id in self.recorded and w is not None:
            # up to the target's window: later months change nothing the search looks at
            rows = country.window_end - country.first_simulated + 1
            self.record[(country.id, "walk")] = w[:rows, : self.width].copy()
        if means is not None and w is not None:  # shifted paths: w ~ N(means, 1) by month
            # on the whole chunk's w, then cut: the same product whatever the paths kept
            self._weigh(country, float(means @ means) / 2 - (means @ w)[: self.width])


def shifted_paths(seed: int, chunk: int) -> np.ndarray:
    """Which of a chunk's paths importance sampling shifts (``Draws.shifted``): each with
    chance 1/2, from a stream of its own."""
    return generator(seed, chunk, "importance:shifted").random(CHUNK) < 0.5


def _monthly_trade(
    model: Model,
    index: int,
    events: ChunkEvents | None,
    draws: Draws,
    workspace: Workspace,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated trade of each of the country's simulated months (SPEC 1–7), and the run-rate."""
    log_level, run_rate = undisturbed(model, index, draws, workspace)
    return disturbed(model, index, events, log_level), run_rate


def undisturbed(
    model: Model,
    index: int,
    draws: Draws,
    workspace: Workspace,
    walk: np.ndarray | None = None,
    stop: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The monthly increments of the country's log level before events (the trend's, the
    shocks' and noise's), one row per simulated month up to grid month ``stop`` (the
    horizon), and its run-rate; the shocks' and noise's are ``walk``'s if given (``shocks``:
    drawn for the same volatility and noise), else drawn over every simulated month."""
    country = model.countries[index]
    start = country.first_simulated
    months = (model.months if stop is None else stop) - start
    shape = (months, draws.width)

    run_rate = draws.values(country, "baseline") / country.baseline_months

    # The log level is a sum of increments carried forward: the trend's (the first simulated
    # month's level, then a month's growth each month), the shocks and noise, growth events.
    # Add them up month by month, then cumulate once (``disturbed``).
    # a shorter run's own scratch array: sharing one, two shapes would replace each other
    log_level = workspace.array("level" if stop is None else "level up to a month", shape)
    if walk is None:
        if months < model.months - start:
            walk = np.empty((model.months - start, draws.width))
            shocks(country, draws, walk)
        else:
            shocks(country, draws, log_level)
    if walk is not None:
        log_level[...] = walk[:months]
    if months:  # none when the baseline period ends at the horizon
        if country.mean_reverting:
            first, increments = _reverting_trend(country, draws, months, workspace)
        else:
            growth = np.log1p(draws.values(country, "rate")) / 12.0  # per month
            first, increments = growth * (start - country.midpoint), growth
        log_level[0] += np.log(run_rate) + first
        if country.open_share != 1.0:  # the trend starts from the open-road run-rate (rule 1)
            log_level[0] -= math.log(country.open_share)
        log_level[1:] += increments
    return log_level, run_rate


def shocks(country: CountryModel, draws: Draws, out: np.ndarray) -> None:
    """The monthly increments of the country's shocks and noise (``Draws.walk_and_noise``),
    into ``out``, one row per simulated month: zeros without either."""
    if len(out) and not (_is_zero(country.volatility) and _is_zero(country.noise)):
        draws.walk_and_noise(country, out)
    else:
        out[...] = 0.0


def disturbed(
    model: Model, index: int, events: ChunkEvents | None, log_level: np.ndarray
) -> np.ndarray:
    """The country's trade in every simulated month from the increments of its log level
    (``undisturbed``), in place: ``carried``, then ``level_trade``."""
    carried(model, index, events, log_level)
    return level_trade(model, index, events, log_level, model.countries[index].first_simulated)


def carried(model: Model, index: int, events: ChunkEvents | None, log_level: np.ndarray) -> None:
    """The country's log level from its monthly increments, one row per simulated month
    from the first, in place: growth effects added, then carried forward."""
    if events is not None:
        start = model.countries[index].first_simulated
        for e, event in enumerate(model.events):
            if index in event.countries and e in events.growth:
                log_level += events.growth[e][start : start + len(log_level)]
    cumulate(log_level)


def level_trade(
    model: Model,
    index: int,
    events: ChunkEvents | None,
    log_level: np.ndarray,
    first: int,
    factor: np.ndarray | None = None,
) -> np.ndarray:
    """The country's trade from its log level (``carried``) in grid months ``first`` on, one
    row each, in place: level effects, the route factor (``factor`` if given, over those
    months) and added trade (SPEC 5–7)."""
    trade = log_level
    if events is None:
        return np.exp(trade, out=trade)
    rows = slice(first - events.first, first - events.first + len(log_level))
    # level and growth effects act on the event's countries only (severity acts on routes)
    scoped = [e for e, event in enumerate(model.events) if index in event.countries]
    for e in scoped:
        if e in events.log_level:  # level effects multiply trade: their logs add
            log_level += events.log_level[e][rows]
    trade = np.exp(log_level, out=log_level)
    if factor is None:
        factor = country_factor(model, index, [a[rows] for a in events.availability])
    if factor is not None:
        trade *= factor
    for e in scoped:
        if e in events.added:  # added trade: outside the multiplicative part (rule 7)
            trade += events.added[e][rows]
    return trade


def country_factor(model: Model, index: int, availability: list[np.ndarray]) -> np.ndarray | None:
    """The route factor of the country's trade (SPEC 6) from each route's ``availability``
    over some months; None for a country without routes."""
    country = model.countries[index]
    if not country.route_shares:
        return None
    reroute = tuple(route.reroute for route in model.routes)
    return route_factor(country.route_shares, reroute, availability)


def _reverting_trend(
    country: CountryModel, draws: Draws, months: int, workspace: Workspace
) -> tuple[np.ndarray, np.ndarray]:
    """A mean-reverting trend (docs/model.md, "Trend"): its log level above the run-rate in
    the first simulated month, and its increments over each later month.

    With g0 = ln(1 + rate), g∞ = ln(1 + long_run), λ = ln 2 / half_life and τ years from the
    baseline's midpoint, the trend is g∞·τ + (g0 − g∞)·D(τ) with D(τ) = (1 − e^{−λτ}) / λ.
    Over the month after τ, D grows by e^{−λτ} · (1 − e^{−λ/12}) / λ: computed so, without
    a difference of nearly equal numbers, it stays exact as the half-life grows without bound
    (D(τ) → τ, the constant trend).
    """
    g0 = np.log1p(draws.values(country, "rate"))
    g_inf = np.log1p(draws.values(country, "long_run"))
    decay = LN2 / draws.values(country, "half_life")  # λ, per year
    gap = g0 - g_inf
    tau = (country.first_simulated - country.midpoint) / 12.0
    first = g_inf * tau + gap * (-np.expm1(-decay * tau) / decay)
    # τ at the start of each later month: the decay factor has one column per half-life drawn
    taus = tau + np.arange(months - 1)[:, None] / 12.0
    decay_step = np.exp(taus * -decay) * (-np.expm1(-decay / 12.0) / decay)
    increments = workspace.array("trend", (months - 1, max(gap.size, decay.size)))
    np.multiply(gap, decay_step, out=increments)
    increments += g_inf / 12.0
    return first, increments


def _is_zero(distribution: Distribution) -> bool:
    return distribution.is_fixed and distribution.params[0] == 0.0


def window_totals(
    country: CountryModel,
    trade: np.ndarray,
    run_rate: np.ndarray,
    ends: tuple[int, ...],
    offset: int | None = None,
) -> np.ndarray:
    """Trade over the 12 months ending at each grid month in ``ends``: (len(ends), paths),
    from ``trade`` whose first row is grid month ``offset`` (the first simulated month)."""
    start = country.first_simulated
    offset = start if offset is None else offset
    totals = np.empty((len(ends), trade.shape[1]))
    for k, end in enumerate(ends):
        first = max(end - 11, start)
        sum_rows(trade[first - offset : end - offset + 1], totals[k])
        observed = country.observed_months(end)
        if observed:
            totals[k] += observed * run_rate
    return totals


def country_outcome(
    model: Model,
    index: int,
    trade: np.ndarray,
    run_rate: np.ndarray,
    events: ChunkEvents | None,
    valid: int,
    years: bool = False,
    weight: np.ndarray | None = None,
) -> CountryOutcome:
    """The country's outcome on the chunk's first ``valid`` paths; with ``weight`` (importance
    sampling), its yearly counts are sums of weights."""
    country = model.countries[index]
    ends = country.year_ends
    yearly = window_totals(country, trade, run_rate, ends)[:, :valid]
    if country.window_end in ends:  # the deadline's window is one of the yearly ones
        window = yearly[ends.index(country.window_end)]
    else:
        window = window_totals(country, trade, run_rate, (country.window_end,))[0, :valid]
    met = yearly >= country.threshold
    reached = met.copy()
    for k in range(1, len(reached)):  # faster than logical_or.accumulate on a few rows
        reached[k] |= reached[k - 1]
    if weight is not None:
        weight = weight[:valid]
    seen: dict[str, int] = {}
    for e, event in enumerate(model.events):
        if events is None or not event.affects(index, model):
            continue
        first, last, path = events.active[e]
        # covered some month between the country's first simulated month and its deadline
        before = (first <= country.window_end) & (last >= country.first_simulated)
        before &= last >= first
        hit = np.zeros(CHUNK, dtype=bool)
        hit[path[before]] = True
        # events are never shifted: their plain count is unbiased, weighted or not
        seen[event.name] = int(hit[:valid].sum())
    if weight is None:
        met_in_year, reached_by_year = met.sum(axis=1), reached.sum(axis=1)
    else:  # a row per chunk, added up once (summarise): the same sum whatever the blocks
        met_in_year, reached_by_year = (met @ weight)[None, :], (reached @ weight)[None, :]
    return CountryOutcome(
        window_total=window.copy(),  # not a view that keeps every yearly window alive
        met=window >= country.threshold,
        met_in_year=met_in_year,
        reached_by_year=reached_by_year,
        event_paths=seen,
        yearly=yearly.copy() if years else None,
        weight=weight,
    )

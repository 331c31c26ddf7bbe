"""The model's rules on one chunk of paths: SPEC "Model semantics" 1–8, vectorised over paths.

A chunk is ``CHUNK`` paths drawn from its own streams (``sim.engine.streams``); its arrays are
(months, paths). These are pure functions of the model, the plan and the chunk's number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.core.correlation import Correlation
from sim.core.distributions import Distribution
from sim.core.model import CountryModel, Model
from sim.core.routes import route_factor
from sim.engine import walk
from sim.engine.arrays import cumulate
from sim.engine.events import ChunkEvents, chunk_events
from sim.engine.outcomes import CountryOutcome, Plan, Results, merge
from sim.engine.streams import CHUNK, copula_uniforms, generator, path_uniforms

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
    model: Model, plan: Plan, chunk: int, workspace: Workspace | None = None
) -> list[CountryOutcome]:
    """One chunk's outcomes, keeping only paths numbered below ``plan.paths``."""
    workspace = workspace or Workspace()
    valid = min(CHUNK, plan.paths - chunk * CHUNK)
    draws = Draws(plan.seed, chunk, plan.antithetic, model.correlation)
    events = None
    if model.events or model.routes:
        events = chunk_events(model, plan.seed, chunk, CHUNK, plan.antithetic)
    outcomes = []
    for index in range(len(model.countries)):
        trade, run_rate = _monthly_trade(model, index, events, draws, workspace)
        outcomes.append(_outcome(model, index, trade, run_rate, events, valid, plan.years))
    return outcomes


@dataclass(frozen=True)
class Draws:
    """A chunk's per-path random numbers of each country, from the country's streams (and,
    for growth inputs that ``correlation`` couples, from its copula's)."""

    seed: int
    chunk: int
    antithetic: bool
    correlation: Correlation | None = None
    _copula: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def values(self, country: CountryModel, name: str) -> np.ndarray:
        """One draw per path of the country's uncertain input ``name``, by its quantile
        function; a fixed input's one value (it broadcasts over the paths)."""
        distribution = getattr(country, name)
        if distribution.is_fixed:  # the same for every path: no stream to draw from
            return np.array([distribution.median()])
        return distribution.quantile(self.uniforms(country, name))

    def uniforms(self, country: CountryModel, name: str) -> np.ndarray:
        """The uniform numbers the country's input ``name`` is drawn from, one per path: its
        own stream's, or, for a growth input of a country in ``correlation``, its row of the
        copula drawn from the stream ``correlation:growth:NAME`` (docs/model.md, "Correlated
        growth")."""
        row = None if self.correlation is None else self.correlation.row(country.id, name)
        if row is None:
            rng = generator(self.seed, self.chunk, f"country:{country.id}:{name}")
            return path_uniforms(rng, CHUNK, self.antithetic)
        if name not in self._copula:  # drawn once per chunk for every country of the group
            assert self.correlation is not None
            rng = generator(self.seed, self.chunk, f"correlation:growth:{name}")
            self._copula[name] = copula_uniforms(
                rng, self.correlation.factor, CHUNK, self.antithetic
            )
        return self._copula[name][row]

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
        walk.increments(rng, diag, None if noiseless else sub, out, self.antithetic)


def _monthly_trade(
    model: Model,
    index: int,
    events: ChunkEvents | None,
    draws: Draws,
    workspace: Workspace,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulated trade of each of the country's simulated months (SPEC 1–7), and the run-rate."""
    country = model.countries[index]
    start = country.first_simulated
    months = model.months - start
    shape = (months, CHUNK)

    run_rate = draws.values(country, "baseline") / country.baseline_months

    # The log level is a sum of increments carried forward: the trend's (the first simulated
    # month's level, then a month's growth each month), the shocks and noise, growth events.
    # Add them up month by month, then cumulate once.
    log_level = workspace.array("level", shape)
    if months and not (_is_zero(country.volatility) and _is_zero(country.noise)):
        draws.walk_and_noise(country, log_level)
    else:
        log_level[...] = 0.0
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
    # level and growth effects act on the event's countries only (severity acts on routes)
    scoped: list[int] = []
    if events is not None:
        scoped = [e for e, ev in enumerate(model.events) if index in ev.countries]
        for e in scoped:
            if e in events.growth:
                log_level += events.growth[e][start:]
    cumulate(log_level)
    if events is not None:
        for e in scoped:
            if e in events.log_level:  # level effects multiply trade: their logs add
                log_level += events.log_level[e][start:]
    trade = np.exp(log_level, out=log_level)
    if events is not None and country.route_shares:
        reroute = tuple(route.reroute for route in model.routes)
        availability = [a[start:] for a in events.availability]
        trade *= route_factor(country.route_shares, reroute, availability)
    if events is not None:
        for e in scoped:
            if e in events.added:  # added trade: outside the multiplicative part (rule 7)
                trade += events.added[e][start:]
    return trade, run_rate


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


def _window_totals(
    country: CountryModel, trade: np.ndarray, run_rate: np.ndarray, ends: tuple[int, ...]
) -> np.ndarray:
    """Trade over the 12 months ending at each grid month in ``ends``: (len(ends), paths)."""
    start = country.first_simulated
    totals = np.empty((len(ends), trade.shape[1]))
    for k, end in enumerate(ends):
        first = max(end - 11, start)
        totals[k] = trade[first - start : end - start + 1].sum(axis=0)
        observed = country.observed_months(end)
        if observed:
            totals[k] += observed * run_rate
    return totals


def _outcome(
    model: Model,
    index: int,
    trade: np.ndarray,
    run_rate: np.ndarray,
    events: ChunkEvents | None,
    valid: int,
    years: bool,
) -> CountryOutcome:
    country = model.countries[index]
    ends = country.year_ends
    yearly = _window_totals(country, trade, run_rate, ends)[:, :valid]
    if country.window_end in ends:  # the deadline's window is one of the yearly ones
        window = yearly[ends.index(country.window_end)]
    else:
        window = _window_totals(country, trade, run_rate, (country.window_end,))[0, :valid]
    met = yearly >= country.threshold
    reached = met.copy()
    for k in range(1, len(reached)):  # faster than logical_or.accumulate on a few rows
        reached[k] |= reached[k - 1]
    seen = {}
    for e, event in enumerate(model.events):
        if events is None or not event.affects(index, model):
            continue
        first, last, path = events.active[e]
        # covered some month between the country's first simulated month and its deadline
        before = (first <= country.window_end) & (last >= country.first_simulated)
        before &= last >= first
        hit = np.zeros(CHUNK, dtype=bool)
        hit[path[before]] = True
        seen[event.name] = int(hit[:valid].sum())
    return CountryOutcome(
        window_total=window.copy(),  # not a view that keeps every yearly window alive
        met=window >= country.threshold,
        met_in_year=met.sum(axis=1),
        reached_by_year=reached.sum(axis=1),
        event_paths=seen,
        yearly=yearly.copy() if years else None,
    )

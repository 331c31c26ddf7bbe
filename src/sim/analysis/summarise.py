"""From simulated outcomes to the numbers a reader needs: probabilities, intervals, ranges."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.analysis.estimate import (
    effective_paths,
    planned_paths,
    proportion_interval,
    quantiles,
    share,
    weighted_quantiles,
)
from sim.analysis.joint import JointSummary, joint_summary
from sim.core.distributions import Distribution
from sim.core.effects import BY_NAME
from sim.core.model import CountryModel, EventModel, Model
from sim.core.periods import Period
from sim.core.special import logsumexp
from sim.defaults import DEFAULT_METHOD, Method
from sim.engine.outcomes import CountryOutcome, Outcomes, yearly_counts


@dataclass(frozen=True)
class YearSummary:
    """The target's 12-month window ending in the deadline's month of one year."""

    year: int
    window: Period
    probability: float  # share of paths meeting the target in this window
    reached: float  # share of paths that met it in this window or an earlier one


@dataclass(frozen=True)
class BaselineOption:
    """One figure of a baseline that is a choice between statistics (``choice`` values): its
    yearly run-rate, its weight and the growth it would need."""

    annual: float
    weight: float  # its chance, the weights made to sum to 1
    required_growth: float | None


@dataclass(frozen=True)
class CountrySummary:
    country: str
    label: str
    target: float
    window: Period
    hits: int
    probability: float
    ci_low: float
    ci_high: float
    turnover: dict[str, float]  # mean, p5, p50, p95 of the window's trade
    required_growth: float | None
    baseline_annual: tuple[float, float, float]  # run-rate × 12 at the baseline's p5, p50, p95
    observed_in_window: int
    by_year: tuple[YearSummary, ...]
    events: dict[str, float]  # share of paths with each event active before the deadline
    baseline_source: str | None
    target_source: str | None
    assumptions: tuple[str, ...] = ()  # the country's inputs in words, for reports
    statistic: str | None = None  # the history series that judges the target, if named
    fitted: bool = False  # growth was fitted from the history (sim fit)
    # growth.rate's 5th, 50th and 95th percentiles (with mean reversion: the rate now, which
    # fades toward long_run, whose percentiles follow, with the half-life's)
    assumed_growth: tuple[float, float, float] | None = None
    long_run: tuple[float, float, float] | None = None
    half_life: tuple[float, float, float] | None = None
    baseline_options: tuple[BaselineOption, ...] = ()  # a choice between statistics
    stated: tuple[Stated, ...] = ()  # the inputs in words with their sources (``assumptions``)


@dataclass(frozen=True)
class EventSummary:
    """What reports say about an event besides its numbers: what the file says it is, and,
    for a one-off event, the months its onset can fall in (absolute months)."""

    name: str
    description: str | None
    start: Period | None  # one-off: first and last possible onset month; None: recurring


@dataclass(frozen=True)
class RunSummary:
    scenario: str
    file: str
    paths: int
    seed: int
    unit: str
    fiscal_year_start: int
    results: tuple[CountrySummary, ...]
    description: str | None = None
    method: Method = DEFAULT_METHOD
    precision: float | None = None  # the ±half-width asked for with --precision
    capped: bool = False  # --max-paths stopped the run before the precision was reached
    relative_precision: float | None = None  # --precision 5%: ±5% of each estimate
    events: tuple[EventSummary, ...] = ()
    sha256: str = ""  # of the scenario file's text: which version of the file gave these figures
    joint: JointSummary | None = None  # how many countries meet their targets (2 or more)
    # correlation.growth: (id, id, correlation) for each pair of the group, and its source
    correlation: tuple[tuple[str, str, float], ...] = ()
    correlation_source: str | None = None


def window_months(country: CountryModel) -> tuple[np.ndarray, int]:
    """Years from the baseline midpoint of the window's simulated months, and its observed count."""
    window = country.simulated_window
    months = np.arange(window.start, window.stop)
    return (months - country.midpoint) / 12.0, country.observed_in_window


def required_growth(country: CountryModel, baseline: float | None = None) -> float | None:
    """The constant annual growth rate that makes the window's trade equal the target.

    From the baseline's median (or the value ``baseline``) as a run-rate, with no events,
    closures, shocks or noise; observed months of the window count at the run-rate. None when
    no growth rate can do it (the window holds no simulated month, or its observed months alone
    reach the target).
    """
    value = country.baseline.median() if baseline is None else baseline
    run_rate = value / country.baseline_months
    years, observed = window_months(country)
    if len(years) == 0 or observed * run_rate >= country.threshold:
        return None
    open_road = run_rate / country.open_share  # the trend's start (docs/model.md, rule 1)
    needed = (country.target - observed * run_rate) / open_road
    return math.expm1(_solve_window(years, math.log(needed)))


def _solve_window(years: np.ndarray, log_needed: float) -> float:
    """The g with ``log Σ exp(g · years) = log_needed``, for years > 0.

    The left side is increasing and convex in g, so Newton's method started to the right of
    the root descends to it monotonically. (A few lines of Newton here instead of
    scipy.optimize, whose import alone takes a tenth of a second of every run.)
    """
    # Start where f(g) >= 0: log Σ exp(g·y) >= log n + g·min(y) for g >= 0, and
    # >= log n + g·max(y) for g < 0.
    excess = log_needed - math.log(len(years))
    g = excess / (years.min() if excess >= 0 else years.max())
    for _ in range(200):
        total = logsumexp(g * years)
        slope = float(np.exp(g * years - total) @ years)  # f'(g): a weighted mean of years
        step = (total - log_needed) / slope
        g -= step
        if abs(step) <= 1e-15 * max(1.0, abs(g)):
            break
    return g


def baseline_annual(country: CountryModel) -> tuple[float, float, float]:
    """The baseline as a yearly run-rate (× 12 / months) at its 5th, 50th and 95th percentiles."""
    annual = country.baseline.quantile(np.array([0.05, 0.5, 0.95])) * 12.0 / country.baseline_months
    return float(annual[0]), float(annual[1]), float(annual[2])


def baseline_options(country: CountryModel) -> tuple[BaselineOption, ...]:
    """A ``choice`` baseline's figures, most likely first (ties: as written), with the growth
    each needs; empty for any other baseline."""
    baseline = country.baseline
    if baseline.family != "choice":
        return ()
    count = len(baseline.params) // 2
    weights = np.array(baseline.params[count:]) / sum(baseline.params[count:])
    # each value at the middle of its band of cumulative probability: through the
    # distribution's own shift and clipping, as the draws get it
    upper = np.cumsum(weights)
    middles = baseline.quantile(np.clip(upper - weights / 2, 1e-12, 1 - 1e-12))
    options = []
    for value, weight in zip(middles.tolist(), weights.tolist(), strict=True):
        if weight == 0:
            continue
        options.append(
            BaselineOption(
                annual=value * 12.0 / country.baseline_months,
                weight=weight,
                required_growth=required_growth(country, value),
            )
        )
    return tuple(sorted(options, key=lambda o: -o.weight))


def percentiles(distribution: Distribution) -> tuple[float, float, float]:
    """A distribution's 5th, 50th and 95th percentiles."""
    p5, p50, p95 = distribution.quantile(np.array([0.05, 0.5, 0.95]))
    return float(p5), float(p50), float(p95)


def year_window(model: Model, end: int) -> Period:
    """The 12-month window ending at grid month ``end``."""
    return Period(model.grid_start + end - 11, model.grid_start + end)


def summarise_country(
    model: Model,
    country: CountryModel,
    outcome: CountryOutcome,
    paths: int,
    antithetic: bool = False,
) -> CountrySummary:
    totals, weight = outcome.window_total, outcome.weight
    hits = int(np.count_nonzero(outcome.met))
    low, high = proportion_interval(outcome.met, antithetic, weight)
    with np.errstate(invalid="ignore", over="ignore"):  # absurd inputs give inf: shown as n/a
        if weight is None:
            p5, p50, p95 = quantiles(totals, (0.05, 0.5, 0.95))
            mean = float(np.mean(totals))
        else:  # importance sampling: the model's law, not the shifted one
            p5, p50, p95 = weighted_quantiles(totals, weight, (0.05, 0.5, 0.95))
            mean = float(np.mean(np.where(weight > 0, totals * weight, 0.0)))
    by_year = tuple(
        YearSummary(
            year=(model.grid_start + end) // 12,
            window=year_window(model, end),
            probability=min(1.0, met / paths),  # a weighted share may pass 1 by a little
            reached=min(1.0, reached / paths),
        )
        for end, met, reached in zip(
            country.year_ends,
            yearly_counts(outcome.met_in_year),
            yearly_counts(outcome.reached_by_year),
            strict=True,
        )
    )
    return CountrySummary(
        country=country.id,
        label=country.label,
        target=country.target,
        window=country.window,
        hits=hits,
        probability=share(outcome.met, weight),
        ci_low=low,
        ci_high=high,
        turnover={
            "mean": mean,
            "p5": float(p5),
            "p50": float(p50),
            "p95": float(p95),
        },
        required_growth=required_growth(country),
        baseline_annual=baseline_annual(country),
        baseline_options=baseline_options(country),
        observed_in_window=country.observed_in_window,
        by_year=by_year,
        events={name: count / paths for name, count in outcome.event_paths.items()},
        baseline_source=country.baseline_source,
        target_source=country.target_source,
        assumptions=assumptions(model, model.countries.index(country)),
        stated=stated(model, model.countries.index(country)),
        statistic=country.statistic,
        fitted=country.fitted,
        assumed_growth=percentiles(country.rate),
        long_run=percentiles(country.long_run) if country.long_run is not None else None,
        half_life=percentiles(country.half_life) if country.half_life is not None else None,
    )


def half_widths(outcomes: Outcomes) -> list[float]:
    """Each country's 95% interval half-width."""
    widths = []
    for outcome in outcomes.countries:
        low, high = proportion_interval(outcome.met, outcomes.antithetic, outcome.weight)
        widths.append((high - low) / 2)
    return widths


def precise_enough(outcomes: Outcomes, precision: float, relative: bool = False) -> bool:
    """The stopping rule of ``--precision``: every country's 95% interval is within
    ±``precision`` (absolute, a share of paths) or, ``relative``, within ±``precision`` times
    its own estimate. A relative precision needs paths that meet the target: an estimate of 0
    never reaches it (the run stops at its cap)."""
    widths = half_widths(outcomes)
    if not relative:
        return max(widths) <= precision
    estimates = [share(o.met, o.weight) for o in outcomes.countries]
    return all(w <= precision * p for w, p in zip(widths, estimates, strict=True))


def next_paths(outcomes: Outcomes, precision: float, relative: bool = False) -> int | None:
    """``--precision``'s plan: None when every country's interval is within the precision
    (``precise_enough``); else the paths the least precise country needs, planned from the
    run so far (``planned_paths``: conservatively, once, so that stopping does not bias the
    estimate), or twice the run when that cannot be planned yet."""
    if precise_enough(outcomes, precision, relative):
        return None
    needs = []
    for outcome in outcomes.countries:
        effective = effective_paths(outcome.met, outcomes.antithetic, outcome.weight)
        needs.append(
            planned_paths(
                share(outcome.met, outcome.weight),
                int(np.count_nonzero(outcome.met)),
                outcomes.paths,
                effective,
                precision,
                relative,
            )
        )
    if any(need is None for need in needs):
        return 2 * outcomes.paths
    return math.ceil(max(n for n in needs if n is not None))


def summarise(
    outcomes: Outcomes,
    file: str,
    precision: float | None = None,
    max_paths: int | None = None,
    relative: bool = False,
    sha256: str = "",
) -> RunSummary:
    """The summary of one run of one scenario file (stopped at ``precision``, if given:
    absolute, or ``relative`` to each estimate)."""
    model = outcomes.model
    results = tuple(
        summarise_country(model, country, outcome, outcomes.paths, outcomes.antithetic)
        for country, outcome in zip(model.countries, outcomes.countries, strict=True)
    )
    capped = (
        precision is not None
        and outcomes.paths == max_paths
        and not precise_enough(outcomes, precision, relative)
    )
    return RunSummary(
        scenario=model.name,
        file=file,
        paths=outcomes.paths,
        seed=outcomes.seed,
        unit=model.unit,
        fiscal_year_start=model.fiscal_year_start,
        results=results,
        description=model.description,
        method=outcomes.method,
        precision=None if relative else precision,
        capped=capped,
        relative_precision=precision if relative else None,
        events=tuple(_event_summary(model, event) for event in model.events),
        sha256=sha256,
        joint=joint_summary(outcomes),
        correlation=_correlation_pairs(model),
        correlation_source=model.correlation.source if model.correlation else None,
    )


def _correlation_pairs(model: Model) -> tuple[tuple[str, str, float], ...]:
    """The pairs of ``correlation.growth`` (zeros included), by the countries' ids."""
    return tuple(model.correlation.pairs()) if model.correlation is not None else ()


def _event_summary(model: Model, event: EventModel) -> EventSummary:
    start = (
        Period(model.grid_start + event.start[0], model.grid_start + event.start[1])
        if event.start is not None and not event.recurring
        else None
    )
    return EventSummary(event.name, event.description, start)


def _period_text(model: Model, first: int, last: int) -> str:
    return str(Period(model.grid_start + first, model.grid_start + last))


@dataclass(frozen=True)
class Stated:
    """One input of a country in words, with where it comes from (as the file says)."""

    what: str  # Baseline, Target, Growth, History, Routes, Event NAME
    words: str
    source: str | None = None
    fitted: bool = False  # growth fitted from the history (sim fit)

    def line(self) -> str:
        """The input as a sentence of a report."""
        if self.what.startswith("Event "):  # its description says what it rests on
            about = f" {self.source.strip()}" if self.source else ""
            return f"{self.what}: {self.words}.{about}"
        source = f" ({self.source})" if self.source else ""
        return f"{self.what}: {self.words}{source}."


def stated(model: Model, index: int) -> tuple[Stated, ...]:
    """A country's inputs in words: history, baseline, target, growth, routes and the events
    on it, each with its source."""
    country = model.countries[index]
    unit = model.unit
    period = _period_text(
        model, country.first_simulated - country.baseline_months, country.first_simulated - 1
    )
    items = [
        Stated(
            "Baseline", f"{country.baseline.text} {unit} over {period}", country.baseline_source
        ),
        Stated(
            "Target", f"{country.target:,.10g} {unit} over {country.window}", country.target_source
        ),
        Stated(
            "Growth",
            f"trend {country.rate.text} a year{_reversion_text(country)}; volatility "
            f"{country.volatility.text}; month-to-month noise {country.noise.text}",
            fitted=country.fitted,
        ),
    ]
    if country.history:
        items.insert(0, Stated("History", _history_text(country)))
    if country.route_shares:
        routes = []
        for route, share in country.route_shares:
            closed = model.routes[route].closed_months  # sorted
            note = f", closed in months {', '.join(map(str, closed))}" if closed else ""
            rerouting = model.routes[route].reroute
            routes.append(
                f"{model.routes[route].name} {share:.0%} (rerouting {rerouting:.0%}{note})"
            )
        items.append(Stated("Routes", "; ".join(routes)))
    for event in model.events:
        if event.affects(index, model):
            items.append(
                Stated(f"Event {event.name}", event_terms(model, event), event.description)
            )
    return tuple(items)


def assumptions(model: Model, index: int) -> tuple[str, ...]:
    """A country's inputs as sentences (``stated``)."""
    return tuple(item.line() for item in stated(model, index))


def _reversion_text(country: CountryModel) -> str:
    if country.long_run is None or country.half_life is None:
        return ""
    return (
        f", decaying toward {country.long_run.text} with a half-life of "
        f"{country.half_life.text} years"
    )


def _history_text(country: CountryModel) -> str:
    first, last, count = country.history[0].first, country.history[-1].last, len(country.history)
    judged = f"; the target is judged on {country.statistic}" if country.statistic else ""
    values = f"{count} value{'s' if count != 1 else ''}"
    return f"{values} from {Period(first, first)} to {Period(last, last)}{judged}"


def event_terms(model: Model, event: EventModel) -> str:
    """An event's numbers in words: when, how long, what it does."""
    if event.rate is not None:
        when = f"recurring, {event.rate.text} onsets a year"
    elif event.start is not None:
        first, last = event.start
        when = (
            f"one-off, chance {event.probability.text}, starting {_period_text(model, first, last)}"
        )
    else:  # compile gives every one-off event its window of onset months
        raise ValueError(f"event {event.name!r} is neither recurring nor given a start")
    lasting = f"lasting {event.duration.text} months" if event.duration else "permanent"
    routes = ", ".join(model.routes[r].name for r in event.routes)
    ramp = f", phased in over {event.ramp:g} months" if event.ramp else ""
    via = f", via {routes} while open" if routes else ""
    effects = [
        BY_NAME[name].words.format(
            value=drawn.text, routes=routes, unit=model.unit, ramp=ramp, via=via
        )
        for name, drawn in event.effects.items()
    ]
    return f"{when}, {lasting}; {'; '.join(effects)}"

"""Why the odds are what they are: what each event does to them (attribution) and which
uncertain inputs matter most (sensitivity), all on common random numbers.

Both work on compiled Models: a variant of the model is the same model with an event dropped
or an input held at one of its percentiles. ``run`` simulates a model with the caller's paths
and seed; every run uses the same streams, so differences are paired path by path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from sim.analysis.compare import (
    JOINT_OUTCOMES,
    CountryDifference,
    Difference,
    JointDifference,
    differences,
    joint_differences,
)
from sim.analysis.conditional import (
    Estimate,
    correlated,
    first_onsets,
    free_share,
    held_at,
    held_in_band,
    input_uniforms,
    tolerance,
    without_events,
)
from sim.analysis.estimate import Z_95, standard_error
from sim.core.distributions import Distribution, fixed
from sim.core.effects import NAMES as EFFECT_NAMES
from sim.core.model import EventModel, Model
from sim.engine.outcomes import Outcomes

Run = Callable[[Model], Outcomes]

COUNTRY_INPUTS = ("baseline", "rate", "long_run", "half_life", "volatility", "noise")
COUNTRY_FIELDS = {  # how the file names them
    "baseline": "baseline.value",
    "rate": "growth.rate",
    "long_run": "growth.long_run",
    "half_life": "growth.half_life",
    "volatility": "growth.volatility",
    "noise": "growth.noise",
}
EVENT_INPUTS = ("rate", "probability", "duration", *EFFECT_NAMES)
LOW, HIGH = 0.10, 0.90  # the percentiles inputs are held at


@dataclass(frozen=True)
class Input:
    """One uncertain input of a model, named as in the file."""

    path: str  # e.g. countries.kazakhstan.growth.rate, events.afghan_closures.duration
    kind: str  # "country" or "event"
    index: int  # the country's or event's index in the model
    name: str  # the model field: rate, baseline, duration...
    distribution: Distribution


def model_inputs(model: Model) -> list[Input]:
    """Every input of ``model`` that an analysis can hold or shift, fixed ones included (a
    recurring event's probability is not one: its frequency is its rate; a country without
    mean reversion has no long_run or half_life)."""
    inputs = []
    for index, country in enumerate(model.countries):
        for name in COUNTRY_INPUTS:
            distribution = getattr(country, name)
            if distribution is None:
                continue
            path = f"countries.{country.id}.{COUNTRY_FIELDS[name]}"
            inputs.append(Input(path, "country", index, name, distribution))
    for index, event in enumerate(model.events):
        for name in EVENT_INPUTS:
            distribution = event_input(event, name)
            if distribution is None or (name == "probability" and event.recurring):
                continue
            inputs.append(Input(f"events.{event.name}.{name}", "event", index, name, distribution))
    return inputs


def uncertain_inputs(model: Model) -> list[Input]:
    """Every input of ``model`` that is not a fixed number."""
    return [item for item in model_inputs(model) if not item.distribution.is_fixed]


def with_input(model: Model, item: Input, distribution: Distribution) -> Model:
    """``model`` with one input replaced by ``distribution``."""
    if item.kind == "country":
        return with_country(model, item.index, **{item.name: distribution})
    events = list(model.events)
    events[item.index] = _with_event_input(events[item.index], item.name, distribution)
    return replace(model, events=tuple(events))


def event_input(event: EventModel, name: str) -> Distribution | None:
    """The event's input ``name`` (one of ``EVENT_INPUTS``), None when it has none."""
    if name in EFFECT_NAMES:
        return event.effects.get(name)
    distribution: Distribution | None = getattr(event, name)
    return distribution


def _with_event_input(event: EventModel, name: str, distribution: Distribution) -> EventModel:
    """``event`` with its input ``name`` (one of ``EVENT_INPUTS``) replaced by ``distribution``."""
    match name:
        case "rate":
            return replace(event, rate=distribution)
        case "probability":
            return replace(event, probability=distribution)
        case "duration":
            return replace(event, duration=distribution)
    if name in EFFECT_NAMES:
        return replace(event, effects={**event.effects, name: distribution})
    raise TypeError(f"{name!r} is not an event input: one of {', '.join(EVENT_INPUTS)}")


def with_country(model: Model, index: int, **changes: Any) -> Model:
    """``model`` with fields of its country ``index`` changed."""
    countries = list(model.countries)
    countries[index] = replace(countries[index], **changes)
    return replace(model, countries=tuple(countries))


def without_events_of(model: Model, names: set[str]) -> Model:
    return replace(model, events=tuple(e for e in model.events if e.name not in names))


def affects(model: Model, item: Input, country: int) -> bool:
    """Whether an input can change a country's trade at all."""
    if item.kind == "country":
        return item.index == country
    return model.events[item.index].affects(country, model)


BASE_RUN, RERUN = "base run", "re-simulated"  # how a number was found


@dataclass(frozen=True)
class Attribution:
    """What one event (or all of them: ``event`` None) does to each country's odds:
    ``difference`` is P(with it) − P(without it)."""

    event: str | None
    results: tuple[CountryDifference, ...]  # base = without, other = with
    found: str = RERUN  # read from the base run's paths, or simulated again
    # with several countries: its effect on P(all targets met) and P(at least one)
    joint: tuple[JointDifference, ...] = ()


@dataclass(frozen=True)
class Sensitivity:
    """P(target) of one country with one input held at its 10th and 90th percentiles."""

    input: str
    country: str
    low_value: float
    high_value: float
    low: CountryDifference  # base = all uncertain, other = held at the 10th percentile
    high: CountryDifference  # ... at the 90th
    found: str = RERUN  # read from the base run's paths, or simulated again

    @property
    def swing(self) -> float:
        return self.high.other - self.low.other

    @property
    def swing_se(self) -> float:
        """The swing's standard error (from its two ends' errors, taken as independent)."""
        return math.hypot(self.low.difference.se, self.high.difference.se)


@dataclass(frozen=True)
class Explanation:
    base: Outcomes
    attributions: tuple[Attribution, ...]  # per event, then all events together
    sensitivities: tuple[Sensitivity, ...]  # per country, largest swing first
    sha256: str = ""  # of the scenario file's text


def attribute(
    model: Model, base: Outcomes, run: Run, from_paths: bool = True
) -> Iterator[Attribution]:
    """Each event's effect (all other events kept), then all events' effect together: read
    from the base run's paths where that is precise enough (``sim.analysis.conditional``),
    else simulated without the event(s)."""
    firsts: dict[int, np.ndarray] = {}

    def first(event: int) -> np.ndarray:
        if event not in firsts:
            firsts[event] = first_onsets(model, base, event)
        return firsts[event]

    groups: list[tuple[list[int], str | None]] = [([i], e.name) for i, e in enumerate(model.events)]
    if len(model.events) > 1:
        groups.append((list(range(len(model.events))), None))
    for events, name in groups:
        if from_paths:
            estimates = [
                without_events(model, base, [first(e) for e in events], country)
                for country in range(len(model.countries))
            ]
            joint = _joint_without(model, base, events, [first(e) for e in events])
            if all(
                estimate.within(tolerance(_share(base, country)))
                for country, estimate in enumerate(estimates)
            ) and all(e.within(tolerance(float(flags.mean()))) for _, flags, e in joint):
                read = _read(base, estimates, reverse=True)
                yield Attribution(name, read, BASE_RUN, _read_joint(base, joint))
                continue
        without = run(without_events_of(model, {model.events[e].name for e in events}))
        yield Attribution(name, differences(without, base), RERUN, joint_differences(without, base))


def _joint_without(
    model: Model, base: Outcomes, events: list[int], firsts: list[np.ndarray]
) -> list[tuple[str, np.ndarray, Estimate]]:
    """With several countries, P(all targets met) and P(at least one) without some events,
    read from the paths where none of them starts before the end of the last window of a
    country they can affect (the other countries' outcomes do not depend on them): each
    outcome's name, its per-path flags in the base run, and the estimate."""
    if len(model.countries) < 2:
        return []
    reached = [
        country.window_end
        for index, country in enumerate(model.countries)
        if any(model.events[e].affects(index, model) for e in events)
    ]
    last = max(reached, default=-math.inf)  # affecting no country: every path is free
    found = []
    for outcome, flags_of in JOINT_OUTCOMES.items():
        flags = flags_of(base)
        found.append((outcome, flags, free_share(flags, firsts, last)))
    return found


def _read_joint(
    base: Outcomes, joint: list[tuple[str, np.ndarray, Estimate]]
) -> tuple[JointDifference, ...]:
    """Joint estimates without some events as effects: P(with them, the base) − P(without)."""
    countries = tuple(country.id for country in base.model.countries)
    results = []
    for outcome, flags, estimate in joint:
        p_base = float(flags.mean())
        without = estimate.value if math.isfinite(estimate.value) else p_base
        change = p_base - without
        se = estimate.effect_se if math.isfinite(estimate.effect_se) else 0.0
        independent = math.hypot(se, standard_error(flags, base.antithetic))
        difference = Difference(change, se, change - Z_95 * se, change + Z_95 * se, independent)
        results.append(JointDifference(outcome, countries, without, p_base, difference))
    return tuple(results)


def sensitivity(
    model: Model, base: Outcomes, run: Run, from_paths: bool = True
) -> list[Sensitivity]:
    """Each uncertain input held at its 10th and 90th percentiles, per country it can affect,
    sorted by the swing in P(target) (largest first): read from the base run's paths where
    that is precise enough (``sim.analysis.conditional``), else simulated with the input
    held."""
    found = []
    for item in uncertain_inputs(model):
        values = [float(item.distribution.quantile(q)) for q in (LOW, HIGH)]
        countries = [i for i in range(len(model.countries)) if affects(model, item, i)]
        read = _held_from_paths(model, base, item, countries) if from_paths else None
        if read is not None:
            low, high, how = read[0], read[1], BASE_RUN
        else:
            held = [
                run(with_input(model, item, fixed(v, item.distribution.domain))) for v in values
            ]
            low, high = (differences(base, outcomes) for outcomes in held)
            how = RERUN
        for index in countries:
            country = model.countries[index]
            found.append(
                Sensitivity(
                    item.path, country.id, values[0], values[1], low[index], high[index], how
                )
            )
    order = {country.id: i for i, country in enumerate(model.countries)}
    return sorted(found, key=lambda s: (order[s.country], -abs(s.swing), s.input))


def _held_from_paths(
    model: Model, base: Outcomes, item: Input, countries: list[int]
) -> tuple[tuple[CountryDifference, ...], tuple[CountryDifference, ...]] | None:
    """The input held at its 10th and 90th percentiles, read from the base run's paths; None
    when it is drawn per onset, or an estimate is not precise enough."""
    if item.kind == "event" and item.name not in ("rate", "probability"):
        return None  # drawn afresh for every onset: no one draw per path to condition on
    if correlated(model, item.kind, item.index, item.name):
        return None  # drawn through the correlation's copula: tied to other countries' draws
    u = input_uniforms(model, base, item.kind, item.index, item.name)
    ends = []
    for q in (LOW, HIGH):
        estimates = []
        for country in range(len(model.countries)):
            met = base.countries[country].met
            if item.distribution.family == "choice":
                estimates.append(held_in_band(met, u, *_band(item.distribution, q)))
            else:
                estimates.append(held_at(met, u, q))
        if not all(estimates[i].within(tolerance(_share(base, i))) for i in countries):
            return None
        ends.append(_read(base, estimates))
    return ends[0], ends[1]


def _band(distribution: Distribution, q: float) -> tuple[float, float]:
    """The band of uniform numbers that a ``choice`` draws the same value from as ``q``."""
    count = len(distribution.params) // 2
    weights = np.array(distribution.params[count:])
    upper = np.cumsum(weights) / weights.sum()
    index = int(np.searchsorted(upper, q, side="right"))
    return (float(upper[index - 1]) if index else 0.0), float(upper[min(index, count - 1)])


def _share(outcomes: Outcomes, country: int) -> float:
    return float(outcomes.countries[country].met.mean())


def _read(
    base: Outcomes, estimates: list[Estimate], reverse: bool = False
) -> tuple[CountryDifference, ...]:
    """Estimates from the base run as differences against it: P(estimate) − P(base), or,
    ``reverse``, P(base) − P(estimate) (an event's effect: with it minus without it, with its
    own standard error). For an input held, the estimate's standard error stands for the
    difference's (the larger part: the base run's own error is shared with the estimate's
    paths)."""
    results = []
    for index, (country, estimate) in enumerate(zip(base.model.countries, estimates, strict=True)):
        p_base = _share(base, index)
        value = estimate.value if math.isfinite(estimate.value) else p_base
        change = p_base - value if reverse else value - p_base
        se = estimate.effect_se if reverse else estimate.se
        se = se if math.isfinite(se) else 0.0
        independent = math.hypot(se, standard_error(base.countries[index].met, base.antithetic))
        difference = Difference(change, se, change - Z_95 * se, change + Z_95 * se, independent)
        first, second = (value, p_base) if reverse else (p_base, value)
        results.append(
            CountryDifference(
                country.id,
                country.label,
                first,
                second,
                difference,
                country.window,
                country.window,
                base.model.fiscal_year_start,
            )
        )
    return tuple(results)


def explain(model: Model, run: Run, from_paths: bool = True) -> Explanation:
    """Attribution and sensitivity; ``from_paths``: read what the base run's paths tell
    precisely enough from them (else every number is simulated again)."""
    base = run(model)
    return Explanation(
        base,
        tuple(attribute(model, base, run, from_paths)),
        tuple(sensitivity(model, base, run, from_paths)),
    )


def runs_needed(model: Model) -> int:
    """How many simulations ``explain`` makes (for progress and cost estimates)."""
    events = len(model.events) + (1 if len(model.events) > 1 else 0)
    return 1 + events + 2 * len(uncertain_inputs(model))

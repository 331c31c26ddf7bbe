"""Why the odds are what they are: what each event does to them (attribution) and which
uncertain inputs matter most (sensitivity), all on common random numbers.

Both work on compiled Models: a variant of the model is the same model with an event dropped
or an input held at one of its percentiles. ``run`` simulates a model with the caller's paths
and seed; every run uses the same streams, so differences are paired path by path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from sim.analysis.compare import CountryDifference, differences
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


def without_events(model: Model, names: set[str]) -> Model:
    return replace(model, events=tuple(e for e in model.events if e.name not in names))


def affects(model: Model, item: Input, country: int) -> bool:
    """Whether an input can change a country's trade at all."""
    if item.kind == "country":
        return item.index == country
    return model.events[item.index].affects(country, model)


@dataclass(frozen=True)
class Attribution:
    """What one event (or all of them: ``event`` None) does to each country's odds:
    ``difference`` is P(with it) − P(without it)."""

    event: str | None
    results: tuple[CountryDifference, ...]  # base = without, other = with


@dataclass(frozen=True)
class Sensitivity:
    """P(target) of one country with one input held at its 10th and 90th percentiles."""

    input: str
    country: str
    low_value: float
    high_value: float
    low: CountryDifference  # base = all uncertain, other = held at the 10th percentile
    high: CountryDifference  # ... at the 90th

    @property
    def swing(self) -> float:
        return self.high.other - self.low.other


@dataclass(frozen=True)
class Explanation:
    base: Outcomes
    attributions: tuple[Attribution, ...]  # per event, then all events together
    sensitivities: tuple[Sensitivity, ...]  # per country, largest swing first


def attribute(model: Model, base: Outcomes, run: Run) -> Iterator[Attribution]:
    """Each event's effect (all other events kept), then all events' effect together."""
    for event in model.events:
        without = run(without_events(model, {event.name}))
        yield Attribution(event.name, differences(without, base))
    if len(model.events) > 1:
        none = run(without_events(model, {e.name for e in model.events}))
        yield Attribution(None, differences(none, base))


def sensitivity(model: Model, base: Outcomes, run: Run) -> list[Sensitivity]:
    """Each uncertain input held at its 10th and 90th percentiles, per country it can affect,
    sorted by the swing in P(target) (largest first)."""
    found = []
    for item in uncertain_inputs(model):
        values = [float(item.distribution.quantile(q)) for q in (LOW, HIGH)]
        held = [run(with_input(model, item, fixed(v, item.distribution.domain))) for v in values]
        low, high = (differences(base, outcomes) for outcomes in held)
        for index, country in enumerate(model.countries):
            if affects(model, item, index):
                found.append(
                    Sensitivity(
                        item.path, country.id, values[0], values[1], low[index], high[index]
                    )
                )
    order = {country.id: i for i, country in enumerate(model.countries)}
    return sorted(found, key=lambda s: (order[s.country], -abs(s.swing), s.input))


def explain(model: Model, run: Run) -> Explanation:
    base = run(model)
    return Explanation(
        base, tuple(attribute(model, base, run)), tuple(sensitivity(model, base, run))
    )


def runs_needed(model: Model) -> int:
    """How many simulations ``explain`` makes (for progress and cost estimates)."""
    events = len(model.events) + (1 if len(model.events) > 1 else 0)
    return 1 + events + 2 * len(uncertain_inputs(model))

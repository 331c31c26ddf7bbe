"""Why the odds are what they are: what each event does to them (attribution) and which
uncertain inputs matter most (sensitivity), all on common random numbers.

Both work on compiled Models: a variant of the model is the same model with an event dropped
or an input held at one of its percentiles. Every variant draws from the same streams as the
model, so its paths are the model's with one part changed and differences are paired path by
path; all of them are worked out in one pass with the model's run (``sim.engine.replay``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.analysis.compare import (
    CountryDifference,
    JointDifference,
    Met,
    joint_met_differences,
    met_differences,
)
from sim.core.distributions import Distribution, fixed
from sim.core.effects import NAMES as EFFECT_NAMES
from sim.core.model import EventModel, Model
from sim.engine.outcomes import Outcomes, Plan
from sim.engine.replay import Change, replay

if TYPE_CHECKING:
    from sim.engine.workers import WorkerPool

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


@dataclass(frozen=True)
class Attribution:
    """What one event (or all of them: ``event`` None) does to each country's odds:
    ``difference`` is P(with it) − P(without it)."""

    event: str | None
    results: tuple[CountryDifference, ...]  # base = without, other = with
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


def variants(model: Model) -> tuple[list[tuple[str | None, Change]], list[tuple[Input, Change]]]:
    """What ``explain`` works out besides the model: the model without each event in turn,
    then without all of them (with more than one), by event name (None: all); and with each
    uncertain input held at its 10th, then its 90th percentile."""
    events = [e.name for e in model.events]
    groups: list[tuple[str | None, set[str]]] = [(name, {name}) for name in events]
    if len(events) > 1:
        groups.append((None, set(events)))
    dropped = [(name, Change(without_events_of(model, names))) for name, names in groups]
    held = []
    for item in uncertain_inputs(model):
        changed = input_change(model, item)
        domain = item.distribution.domain
        for q in (LOW, HIGH):
            value = fixed(float(item.distribution.quantile(q)), domain)
            held.append((item, replace(changed, model=with_input(model, item, value))))
    return dropped, held


def input_change(model: Model, item: Input) -> Change:
    """What a change of ``item`` changes, for a replay (``sim.engine.replay``): its
    country's or its event's inputs (the change's model is ``model``: replace it)."""
    if item.kind == "country":
        return Change(model, countries=frozenset({model.countries[item.index].id}))
    return Change(model, events=frozenset({model.events[item.index].name}))


def explain(
    model: Model,
    plan: Plan,
    progress: Callable[[int], None] | None = None,
    run: Run | None = None,
    pool: WorkerPool | None = None,
) -> Explanation:
    """Attribution and sensitivity on the paths of a run of ``model`` by ``plan``: every
    variant is worked out in the same pass as the run (``sim.engine.replay``; on ``pool``'s
    workers, if given), which ``progress`` follows block by block. With ``run``, the model
    and each variant are simulated by it instead, one whole run each (the same numbers, many
    times slower: the reference ``--rerun`` gives)."""
    dropped, held = variants(model)
    changes = [change for _, change in dropped] + [change for _, change in held]
    if run is None:
        base, flags = replay(model, plan, changes, progress, pool)
        found = [
            Met(change.model, _by_id(change.model, met), base.antithetic)
            for change, met in zip(changes, flags, strict=True)
        ]
    else:
        base = run(model)
        found = [Met.of(run(change.model)) for change in changes]
    with_all = Met.of(base)
    attributions = tuple(
        Attribution(name, met_differences(met, with_all), joint_met_differences(met, with_all))
        for (name, _), met in zip(dropped, found[: len(dropped)], strict=True)
    )
    rows = []
    for k in range(0, len(held), 2):  # each input held low, then high
        item = held[k][0]
        low, high = found[len(dropped) + k], found[len(dropped) + k + 1]
        lows, highs = met_differences(with_all, low), met_differences(with_all, high)
        low_value, high_value = (float(item.distribution.quantile(q)) for q in (LOW, HIGH))
        for index, country in enumerate(model.countries):
            if affects(model, item, index):
                rows.append(
                    Sensitivity(
                        item.path, country.id, low_value, high_value, lows[index], highs[index]
                    )
                )
    order = {country.id: i for i, country in enumerate(model.countries)}
    rows.sort(key=lambda s: (order[s.country], -abs(s.swing), s.input))
    return Explanation(base, attributions, tuple(rows))


def _by_id(model: Model, flags: list[np.ndarray]) -> dict[str, np.ndarray]:
    return dict(zip((country.id for country in model.countries), flags, strict=True))


# What a replayed variant costs, in runs of the model: a few hundredths (benchmarks/README.md)
VARIANT_COST = 0.06


def pass_cost(model: Model) -> float:
    """About what ``explain``'s one pass costs, in runs of the model."""
    dropped, held = variants(model)
    return 1.0 + VARIANT_COST * (len(dropped) + len(held))


def flags_kept(model: Model) -> int:
    """How many flags a path keeps while ``explain`` works its variants out in one pass:
    one per variant and country."""
    dropped, held = variants(model)
    return (len(dropped) + len(held)) * len(model.countries)


def runs_needed(model: Model, rerun: bool = False) -> int:
    """How many runs' worth of paths ``explain`` goes through (for progress and cost
    estimates): one pass, or, with ``rerun``, a run of the model and of each variant."""
    if not rerun:
        return 1
    dropped, held = variants(model)
    return 1 + len(dropped) + len(held)

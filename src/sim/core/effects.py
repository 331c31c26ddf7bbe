"""Event effects: the one table of what each kind of effect is called in a file, what it acts
on, how its value is read and drawn, and how it is told in words.

Every layer iterates over ``EFFECTS``: validation (which fields are effects, which need
routes), compile (the event's effect distributions), the engine (one rule per ``Acts``, in
``sim.engine.events``), explain (the inputs it can hold or shift), the summaries and renderers
(words and formats). A new kind of effect is one entry here plus its engine rule (and its field
in ``sim.scenario.schema.Event``, which a contract test checks against this table).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from sim.core.distributions import Domain


class Acts(Enum):
    """What an effect changes (SPEC "Model semantics" 5)."""

    ROUTES = "route availability"  # A_r(t) of the event's routes
    LEVEL = "level"  # a factor on the trade of the event's countries
    GROWTH = "growth"  # a change of their trend, carried forward
    ADD = "added trade"  # an amount a year added to their trade, outside the multiplicative part


@dataclass(frozen=True)
class Effect:
    name: str  # the event's field in a scenario file
    acts: Acts
    domain: Domain  # how its value is read; drawn anew for each onset
    description: str  # for the JSON schema and docs
    words: str  # in a report: {value}, {routes}, {unit}, {ramp} and {via} filled in
    shown: Literal["share", "change", "amount"]  # 60% of trade, +30%, or 120 (file's unit)

    @property
    def on_routes(self) -> bool:
        """Whether it acts on the event's routes (else on its countries)."""
        return self.acts is Acts.ROUTES


EFFECTS: tuple[Effect, ...] = (
    Effect(
        "severity",
        Acts.ROUTES,
        Domain.FRACTION,
        "Fraction of the routes' trade lost while active.",
        "{value} of the trade on {routes} lost",
        shown="share",
    ),
    Effect(
        "level",
        Acts.LEVEL,
        Domain.GROWTH,
        "Multiplies trade by (1 + x) while active.",
        "trade changed by {value}{ramp}",
        shown="change",
    ),
    Effect(
        "growth",
        Acts.GROWTH,
        Domain.GROWTH,
        "Multiplies the yearly growth factor by (1 + x) while active.",
        "yearly growth factor changed by {value}",
        shown="change",
    ),
    Effect(
        "add",
        Acts.ADD,
        Domain.POSITIVE,
        "Trade added a year (the file's unit) while active, not scaled by the baseline or "
        "growth; with routes, times their availability.",
        "{value} a year added to trade ({unit}){ramp}{via}",
        shown="amount",
    ),
)
BY_NAME = {effect.name: effect for effect in EFFECTS}
NAMES = tuple(BY_NAME)


def names_in_words() -> str:
    """``severity, level, growth or add``."""
    return ", ".join(NAMES[:-1]) + f" or {NAMES[-1]}"

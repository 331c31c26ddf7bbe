"""The effect table: every kind of event effect has its field in the scenario format, an
engine rule, an input for explain, and words for reports — so a new kind cannot skip one."""

from __future__ import annotations

import pytest

import sim
from sim.analysis.explain import EVENT_INPUTS, model_inputs
from sim.analysis.summarise import event_terms
from sim.core.effects import EFFECTS, Acts
from sim.engine.events import RULES
from sim.report.analysis import input_value
from sim.scenario.schema import Event

SCENARIO = """\
name: effects
routes:
  road: {}
countries:
  c:
    baseline: {value: 120, period: 2025}
    target: {value: 100, by: 2027}
    growth: {rate: 5%}
    routes: {road: 1}
events:
"""
EXAMPLE = {"severity": "50%", "level": "-20%", "growth": "+10%", "add": "50 to 150"}


def test_every_kind_of_effect_has_an_engine_rule():
    assert set(RULES) == set(Acts)
    assert {effect.acts for effect in EFFECTS} == set(Acts)


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.name)
def test_every_effect_is_a_field_of_the_scenario_format(effect):
    field = Event.model_fields[effect.name]
    assert field.description == effect.description
    assert field.default is None
    schema = sim.load(SCENARIO + _event(effect.name)).spec.events["e"]
    assert getattr(schema, effect.name) is not None


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.name)
def test_every_effect_reaches_the_model_explain_and_the_words(effect):
    loaded = sim.load(SCENARIO + _event(effect.name))
    event = loaded.model.events[0]
    assert list(event.effects) == [effect.name]
    assert effect.name in EVENT_INPUTS
    assert f"events.e.{effect.name}" in {i.path for i in model_inputs(loaded.model)}
    assert event.affects(0, loaded.model)
    summary = sim.run(loaded, paths=1000).runs[0].results[0]
    told = " ".join(summary.assumptions)
    assert effect.words.split("{value}")[1].split("{")[0].strip() in told


def test_an_effect_on_routes_needs_routes():
    text = SCENARIO.replace("    routes: {road: 1}\n", "") + (
        "  e:\n    rate: 1\n    duration: 1\n    severity: 50%\n"
    )
    with pytest.raises(sim.ScenarioError) as error:
        sim.load(text.replace("routes:\n  road: {}\n", ""))
    assert "severity acts on routes, but this event names no routes" in str(error.value)


def test_an_event_without_effect_names_every_kind():
    with pytest.raises(sim.ScenarioError) as error:
        sim.load(SCENARIO + "  e:\n    rate: 1\n")
    assert "an event needs an effect: severity, level, growth or add" in str(error.value)


def test_every_effect_value_is_told_in_its_own_words():
    shown = {effect.name: input_value(f"events.e.{effect.name}", 0.25) for effect in EFFECTS}
    assert shown == {
        "severity": "25.0%",
        "level": "+25.0%",
        "growth": "+25.0%",
        "add": "0.25 a year",
    }
    assert input_value("events.e.add", 56.449) == "56.45 a year"


def test_added_trade_is_told_with_its_unit_ramp_and_route():
    loaded = sim.load(
        SCENARIO
        + "  e:\n    start: 2026-01\n    routes: [road]\n    add: 50 to 150\n    ramp: 12\n"
    )
    assert event_terms(loaded.model, loaded.model.events[0]) == (
        "one-off, chance 100%, starting 2026-01, permanent; 50 to 150 a year added to trade "
        "(USD million), phased in over 12 months, via road while open"
    )


def test_added_trade_must_be_positive():
    with pytest.raises(sim.ScenarioError) as error:
        sim.load(SCENARIO + "  e:\n    rate: 1\n    add: -5\n")
    assert "events.e.add" in str(error.value)


def _event(name: str) -> str:
    routes = "    routes: [road]\n" if name == "severity" else ""
    return f"  e:\n    rate: 2\n    duration: 2\n{routes}    {name}: {EXAMPLE[name]}\n"

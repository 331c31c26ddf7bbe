"""Loading scenario files: what is accepted, and the exact messages for what is not."""

from __future__ import annotations

import pytest

from conftest import VALID
from sim.core.periods import month_index
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario


def problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def test_valid_file_with_defaults(scenario_file):
    scenario = load_scenario(scenario_file(VALID))
    assert scenario.unit == "USD million"
    assert scenario.fiscal_year_start == 7
    assert scenario.paths is None and scenario.seed is None
    country = scenario.countries["kz"]
    assert country.growth.volatility.is_fixed and country.growth.volatility.params == (0.0,)
    assert country.target.by.last == month_index(2028, 12)
    assert scenario.horizon_end == month_index(2028, 12)


def test_fiscal_year_start_is_used_for_periods(scenario_file):
    text = "fiscal_year_start: 4\n" + VALID.replace("by: 2028", "by: 2027-28")
    scenario = load_scenario(scenario_file(text))
    assert scenario.countries["kz"].target.by.first == month_index(2027, 4)


def test_golden_messages_for_field_errors(scenario_file):
    path = scenario_file(
        """\
        name: bad
        unit: USD million
        seeed: 4
        countries:
          kz:
            label: Kazakhstan
            baseline:
              value: 0 to 90
              period: 2025-13
            target:
              value: "$1B"
              by: 2028
            growth:
              rate: "-120%"
              volatilty: 25%
              noise: {normal: {mean: 0.1, sdd: 0.05}}
          uz:
            baseline: {value: 400, period: 2025}
            target: {value: 2000}
            growth: 20%
        """
    )
    assert problems(path) == [
        f"{path}:3:1: seeed: unknown field 'seeed' (did you mean 'seed'?)",
        f"{path}:8:14: countries.kz.baseline.value: '0 to 90': an interval for a positive "
        "quantity is read as a lognormal, so both ends must be above 0; for a range that starts "
        "at 0 write {uniform: {low: 0, high: 90}} or {triangular: {low: 0, mode: ..., high: 90}}",
        f"{path}:9:15: countries.kz.baseline.period: '2025-13' is neither a month (YYYY-MM with "
        "MM 01–12) nor a fiscal year (YYYY-YY with YY the year after, e.g. 2025-26)",
        f"{path}:11:14: countries.kz.target.value: '$1B' has a unit in it; write a plain number "
        "in the file's unit (the top-level `unit`, USD million by default), e.g. 90",
        f"{path}:14:13: countries.kz.growth.rate: must be above -100% (a growth rate)",
        f"{path}:15:7: countries.kz.growth.volatilty: unknown field 'volatilty' "
        "(did you mean 'volatility'?)",
        f"{path}:16:35: countries.kz.growth.noise.normal.sdd: unknown parameter 'sdd' for "
        "normal (did you mean 'sd'?); it takes mean, sd",
        f"{path}:19:5: countries.uz.target.by: is required",
        f"{path}:20:13: countries.uz.growth: expected a mapping of fields (name: value lines)",
    ]


def test_golden_messages_for_cross_field_rules(scenario_file):
    path = scenario_file(
        """\
        name: rules
        horizon: 2027
        routes:
          afghan: {reroute: 30%}
          kkh: {closed_months: [12, 1, 13]}
        countries:
          kz:
            baseline: {value: 90, period: 2025-01/2025-07}
            target: {value: 1000, by: 2024}
            growth: {rate: 20%}
            routes: {afghan: 0.5, kkh: 0.6}
          uz:
            baseline: {value: 400, period: 2025}
            target: {value: 2000, by: 2029}
            growth: {rate: 20%}
            routes: {afgan: 1}
        events:
          both:
            routes: [afghan]
            rate: 2
            start: 2026-01
            severity: 1
          neither:
            countries: [kz]
            level: 10%
          misspelt:
            countries: [kz, kazakstan]
            rate: 1
            level: 10%
          no_effect:
            routes: [kkh]
            start: 2026-01
          loose_severity:
            start: 2026-01
            severity: 50%
        """
    )
    assert problems(path) == [
        f"{path}:2:10: horizon: the horizon ends in 2027-12, before the deadline of uz (2029-12)",
        f"{path}:5:32: routes.kkh.closed_months[2]: must be at most 12",
        f"{path}:9:31: countries.kz.target.by: the deadline ends in 2024-12, before the "
        "baseline period ends (2025-07)",
        f"{path}:11:13: countries.kz.routes: route shares must sum to 1, not 1.1",
        f"{path}:16:14: countries.uz.routes.afgan: unknown route 'afgan' (did you mean "
        "'afghan'?); the file's routes: afghan, kkh",
        f"{path}:21:12: events.both.start: an event is recurring (rate) or one-off (start), "
        "not both",
        f"{path}:23:3: events.neither: an event needs either rate (recurring) or start (one-off)",
        f"{path}:27:21: events.misspelt.countries[1]: unknown country 'kazakstan'; the file's "
        "countries: kz, uz",
        f"{path}:30:3: events.no_effect: an event needs an effect: severity, level, growth or add",
        f"{path}:35:15: events.loose_severity.severity: severity acts on routes, but this event "
        "names no routes",
    ]


def test_horizon_before_a_deadline(scenario_file):
    path = scenario_file(VALID + "horizon: 2027\n")
    assert problems(path) == [
        f"{path}:7:10: horizon: the horizon ends in 2027-12, before the deadline of kz (2028-12)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "{path}: the file is empty; a scenario needs name and countries"),
        ("# only a comment\n", "{path}: the file is empty; a scenario needs name and countries"),
        (
            "- a\n- b\n",
            "{path}:1:1: the top level is a list; a scenario is a mapping of fields "
            "(name:, countries:, ...)",
        ),
        ("name: [unclosed\n", "{path}:2:1: YAML syntax error: "),
        (
            "name: x\ncountries:\n\tkz: 1\n",
            "{path}:3:1: YAML syntax error: a tab character; indent with spaces",
        ),
        ("name: x\nname: y\n", "{path}:2:1: name: duplicate key (first given on line 1)"),
        (
            "a: &x [1]\nb: *x\n",
            "{path}:1:4: b: anchors and aliases (&name, *name) are not supported",
        ),
    ],
)
def test_yaml_level_problems(scenario_file, text, expected):
    path = scenario_file(text)
    # the wording of other syntax errors depends on libyaml; the position does not
    assert any(p.startswith(expected.format(path=path)) for p in problems(path))


def test_yaml_11_surprises_stay_text(scenario_file):
    path = scenario_file(VALID.replace("by: 2028", "by: 2028-10-01") + "no: 3\n")
    assert problems(path) == [
        f"{path}:5:31: countries.kz.target.by: '2028-10-01' is not a period; write YYYY, "
        "YYYY-YY or FYYYYY-YY (fiscal year), YYYY-MM, or YYYY-MM/YYYY-MM",
        f"{path}:7:1: no: unknown field 'no'",
    ]


def test_file_problems(tmp_path):
    assert problems(tmp_path / "missing.yaml") == [f"{tmp_path / 'missing.yaml'}: no such file"]
    assert problems(tmp_path) == [f"{tmp_path}: is a directory, not a scenario file"]
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"name: \x00\x01")
    assert problems(binary) == [f"{binary}: is a binary file, not a YAML scenario"]
    latin = tmp_path / "l.yaml"
    latin.write_bytes("name: café".encode("latin-1"))
    assert problems(latin) == [f"{latin}: is not UTF-8 text (byte 10 cannot be read)"]


def test_rules_are_reported_with_field_errors_of_the_same_object(scenario_file):
    path = scenario_file(
        VALID
        + """\
routes:
  r: {closed_months: [true, 1.0, "2"]}
fiscal_year_start: 4.0
events:
  e:
    routes: [r, r]
    rate: 2
    start: 2026-01
    ramp: x
    severity: 1
"""
    )
    assert problems(path) == [
        f"{path}:8:23: routes.r.closed_months[0]: expected a whole number",
        f"{path}:8:29: routes.r.closed_months[1]: expected a whole number",
        f"{path}:8:34: routes.r.closed_months[2]: expected a whole number",
        f"{path}:9:20: fiscal_year_start: expected a whole number",
        f"{path}:12:17: events.e.routes[1]: 'r' is named twice",
        f"{path}:14:12: events.e.start: an event is recurring (rate) or one-off (start), not both",
        f"{path}:15:11: events.e.ramp: 'x' is not a number or a percentage",
    ]

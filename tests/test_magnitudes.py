"""The magnitude rule: numbers or a clear error, never NaN.

A file whose trade could leave 1e-300..1e300 a year is refused at validation, naming the
field; a file that validates runs, without a RuntimeWarning and with finite numbers in every
output (README, "Commands").
"""

from __future__ import annotations

import json
import os
import warnings

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import VALID
from sim.analysis.summarise import summarise
from sim.cli import cli
from sim.engine.run import simulate
from sim.errors import ScenarioError
from sim.report.render import render
from sim.scenario.compile import compile_scenario
from sim.scenario.load import load_scenario

EXAMPLES = int(os.environ.get("SIM_FUZZ_EXAMPLES", "300")) // 3


def refuse_constant(constant: str) -> None:
    raise AssertionError(f"{constant} in JSON output")


def test_refusals_name_the_field_that_takes_trade_out_of_range(tmp_path):
    cases = {
        "baseline.value": VALID.replace("value: 90,", "value: 1e308,"),
        "target.value": VALID.replace("value: 1000,", "value: 5e-324,"),
        "growth.volatility": VALID.replace("rate: 40% to 120%", "rate: 5%, volatility: 5000%"),
        "growth.noise": VALID.replace("rate: 40% to 120%", "rate: 5%, noise: 2000%"),
        "growth.rate": VALID.replace("rate: 40% to 120%", "rate: 1e200% to 1e250%"),
    }
    for field, text in cases.items():
        path = tmp_path / "s.yaml"
        path.write_text(text)
        result = CliRunner().invoke(cli, ["validate", str(path)])
        assert result.exit_code == 2, result.output
        assert f"countries.kz.{field}: " in result.output, result.output
        assert len(result.output.splitlines()) == 1


def test_a_deadline_at_the_baseline_month_judges_observed_trade(tmp_path):
    """A target just above a one-month baseline, judged in that same month: the window is all
    observed, nothing has to grow, so the file is valid and the odds are exactly 0 (the rule
    on growth beyond 1e300 a year divided by the zero years to the deadline refused it)."""
    text = """\
name: observed
countries:
  kz:
    baseline: {value: 5.5, period: 2025-06}
    target: {value: 66.1, by: 2025-06}
    growth: {rate: 10%, volatility: 20%}
"""
    path = tmp_path / "s.yaml"
    path.write_text(text)
    outcomes = simulate(compile_scenario(load_scenario(path)), 1000, 1)
    assert outcomes.countries[0].window_total == pytest.approx(5.5 * 12)
    assert not outcomes.countries[0].met.any()


def test_an_event_that_could_stack_beyond_range_is_named(tmp_path):
    text = VALID + (
        "events:\n  boom: {rate: 12, level: 1e40% to 1e60%}\n"  # up to 12 onsets a year, forever
    )
    path = tmp_path / "s.yaml"
    path.write_text(text)
    expected = r"events\.boom\.level: kz's trade could go above 1e300"
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


numbers = st.one_of(
    st.floats(1e-320, 1e308),
    st.sampled_from([1e-300, 1e-150, 1e-5, 1.0, 90.0, 1e5, 1e150, 1e250, 1e300]),
)
percents = st.one_of(
    st.floats(-99.9, 1e6).map(lambda x: f"{x:.6g}%"),
    st.sampled_from(["0%", "900%", "5000%", "1e5%", "1e100%", "-99%"]),
)


@st.composite
def extreme_scenarios(draw):
    low, high = sorted([draw(numbers), draw(numbers)])
    value = draw(st.one_of(numbers, st.just(f"{low:.6g} to {high:.6g}" if low < high else low)))
    growth = {"rate": draw(percents)}
    if draw(st.booleans()):
        growth["volatility"] = draw(st.sampled_from(["0%", "25%", "200%", "999%", "1000%"]))
    if draw(st.booleans()):
        growth["noise"] = draw(
            st.one_of(
                st.sampled_from(["10%", "500%", "1000%"]),
                st.builds(
                    lambda m, s: {"lognormal": {"median": m, "sigma": s}},
                    st.sampled_from([0.01, 0.1, 1.0]),
                    st.sampled_from([0.5, 2.0, 5.0, 50.0]),
                ),
            )
        )
    data = {
        "name": "extreme",
        "countries": {
            "kz": {
                "baseline": {"value": value, "period": "2025-01/2025-07"},
                "target": {"value": draw(numbers), "by": draw(st.integers(2026, 2060))},
                "growth": growth,
            }
        },
    }
    if draw(st.booleans()):
        data["events"] = {
            "e": {
                "rate": draw(st.sampled_from([0.1, 2, 12])),
                "duration": draw(st.sampled_from([1, 24, "1 to 1000"])),
                "level": draw(st.sampled_from(["50%", "-99%", "1e10%", "1e100%"])),
            }
        }
    return data


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=extreme_scenarios())
def test_what_validates_runs_to_finite_numbers_without_warnings(tmp_path, data):
    path = tmp_path / "extreme.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            assert all("\n" not in str(p) for p in error.problems)
            event("refused")
            return
        event("valid")
        outcomes = simulate(compile_scenario(scenario), 512, 0, years=True)
        summary = summarise(outcomes, str(path))
        document = json.loads(render([summary], "json"), parse_constant=refuse_constant)
    for result in document["runs"][0]["results"]:
        assert 0 <= result["probability"] <= 1
        assert all(v is not None for v in result["turnover"].values()), result["turnover"]

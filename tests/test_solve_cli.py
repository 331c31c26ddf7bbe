"""`sim solve` as an analyst writes it: --probability 50% (a bare 50 is refused, as in
scenario files), no --country in a one-country file, the country's label and the window the
target is judged on; `sim compare` names its windows too."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sim.cli import cli

ONE = """\
name: One
seed: 4
paths: 4000
countries:
  kg:
    label: Kyrgyzstan
    baseline: {value: 8 to 12, period: 2025-01/2025-06}
    target: {value: 200, by: 2027-28}
    growth: {rate: 20% to 90%, volatility: 30%}
variants:
  later:
    countries.kg.target.by: 2029-30
"""

TWO = ONE.replace(
    "variants:",
    """  kz:
    label: Kazakhstan
    baseline: {value: 90, period: 2025-01/2025-06}
    target: {value: 500, by: 2027}
    growth: {rate: 10% to 60%}
variants:""",
)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def one(scenario_file):
    return scenario_file(ONE, "one.yaml")


def solved(*args: str) -> dict:
    result = invoke("solve", *args, "--for", "target", "--format", "json")
    assert result.exit_code == 0, result.output
    (solution,) = json.loads(result.output)["solutions"]
    return solution


@pytest.mark.parametrize("written", ["50%", "0.5", "50 %", " 50% "])
def test_probability_as_a_percentage_or_a_fraction(one, written):
    solution = solved(str(one), "--probability", written)
    assert solution["probability"] == 0.5
    assert solution["country"] == "kg" and solution["label"] == "Kyrgyzstan"
    assert solution["window"] == "2027-07/2028-06"


def test_the_same_answer_whichever_way_it_is_written(one):
    assert solved(str(one), "--probability", "12.5%") == solved(str(one), "--probability", "0.125")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("50", "50 would mean a probability of 5000%; write 50% for fifty percent"),
        ("1", "1 would mean a probability of 100%; write 1% for one percent"),
        ("100%", "100%: give a probability above 0% and below 100%, e.g. 50% or 0.5"),
        ("0", "0: give a probability above 0% and below 100%, e.g. 50% or 0.5"),
        ("-0.2", "-0.2: give a probability above 0% and below 100%, e.g. 50% or 0.5"),
        ("half", "'half' is not a number or a percentage"),
    ],
)
def test_a_probability_that_is_not_one_is_one_line(one, written, message):
    result = invoke("solve", str(one), "--probability", written, "--for", "target")
    assert result.exit_code == 2
    assert result.output == (
        f"sim: Invalid value for '--probability': {message} (see sim solve --help)\n"
    )


def test_country_may_be_left_out_in_a_one_country_file(one):
    alone = solved(str(one), "--probability", "50%")
    named = solved(str(one), "--probability", "50%", "--country", "kg")
    assert alone == named


def test_country_is_needed_with_several(scenario_file):
    two = scenario_file(TWO, "two.yaml")
    result = invoke("solve", str(two), "--probability", "50%", "--for", "target")
    assert result.exit_code == 2
    assert result.output == (f"sim: name the country: {two} has kg, kz (see sim solve --help)\n")
    chosen = solved(str(two), "--probability", "50%", "--country", "kz")
    assert (chosen["label"], chosen["window"]) == ("Kazakhstan", "2027-01/2027-12")


def test_the_table_shows_the_label_and_the_window(one):
    result = invoke("solve", str(one), "--probability", "50%", "--for", "growth.rate")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Window: trade in FY2027-28 (Jul 2027–Jun 2028), the 12 months ending with the deadline."
    )
    row = next(line for line in lines if "growth.rate" in line)
    assert row.split()[:2] == ["Kyrgyzstan", "growth.rate"]
    assert "kg " not in result.output


def test_compare_names_the_window_and_a_variant_that_moves_it(one):
    result = invoke("compare", str(one))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Window: trade in FY2027-28 (Jul 2027–Jun 2028), the 12 months ending with the deadline."
    )
    assert (
        f"later (changes countries.kg.target.by; {one}). P(variant) of Kyrgyzstan is for trade "
        "in FY2029-30 (Jul 2029–Jun 2030)." in lines
    )


def test_compare_names_each_countrys_window(scenario_file):
    slower = (
        TWO.split("variants:")[0]
        + "variants:\n  slower:\n    countries.kz.growth.rate: 0% to 30%\n"
    )
    result = invoke("compare", str(scenario_file(slower, "two.yaml")), "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert (
        "Windows, the 12 months ending with each deadline: Kyrgyzstan FY2027-28 (Jul 2027–Jun "
        "2028); Kazakhstan Jan–Dec 2027." in result.output.splitlines()
    )
    assert "is for trade in" not in result.output  # no variant moves a deadline

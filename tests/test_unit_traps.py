"""No silent unit traps (issue 14, item 1): a bare number of magnitude 1 or more in a
percentage field is an error in the user's words; the tables show the growth the scenario
assumes beside the growth the target needs; ``--precision 5%`` is understood."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.analysis.summarise import next_paths, precise_enough
from sim.cli import cli
from sim.core.distributions import DistributionError, Domain, parse_uncertain
from sim.engine.run import simulate, simulate_until
from sim.engine.streams import CHUNK

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = """\
name: traps
countries:
  kz:
    label: Kazakhstan
    baseline: {{value: 90, period: 2025-01/2025-07}}
    target: {{value: 1000, by: 2028}}
    growth:
      rate: {rate}
      volatility: {volatility}
      noise: {noise}
events:
  rail:
    start: 2026-01
    level: {level}
"""
SENSIBLE = {"rate": "30%", "volatility": "25%", "noise": "15%", "level": "20% to 60%"}


def validate(path: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    return result.exit_code, result.output.strip().splitlines()


def scenario(tmp_path: Path, **fields: str) -> Path:
    path = tmp_path / "traps.yaml"
    path.write_text(SCENARIO.format(**{**SENSIBLE, **fields}), encoding="utf-8")
    return path


def test_bare_numbers_in_percentage_fields_are_errors_in_the_users_words(tmp_path):
    path = scenario(tmp_path, rate="30", volatility="25", noise="15", level="20 to 60")
    code, lines = validate(path)
    assert code == 2
    assert lines == [
        f"{path}:8:13: countries.kz.growth.rate: 30 would mean +3000% a year; write 30% for "
        "thirty percent (or 3000% if you mean it)",
        f"{path}:9:19: countries.kz.growth.volatility: 25 would mean a volatility of 2500% a "
        "year; write 25% for twenty-five percent (or 2500% if you mean it)",
        f"{path}:10:14: countries.kz.growth.noise: 15 would mean month-to-month noise of 1500%; "
        "write 15% for fifteen percent (or 1500% if you mean it)",
        f"{path}:14:12: events.rail.level: '20 to 60' would mean a change of +2000% to +6000% in "
        "trade; write '20% to 60%' for twenty to sixty percent (or '2000% to 6000%' if you mean "
        "it)",
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "rate",
            "1",
            "countries.kz.growth.rate: 1 would mean +100% a year; write 1% for one percent (or "
            "100% if you mean it)",
        ),
        (
            "rate",
            "-5",
            "countries.kz.growth.rate: -5 would mean -500% a year; write -5% for minus five "
            "percent",
        ),
        (
            "rate",
            "'2.5'",
            "countries.kz.growth.rate: 2.5 would mean +250% a year; write 2.5% for 2.5 percent "
            "(or 250% if you mean it)",
        ),
        (
            "rate",
            "20% to 60",
            "countries.kz.growth.rate: '20% to 60' would mean +20% to +6000% a year; write "
            "'20% to 60%' for twenty to sixty percent (or '20% to 6000%' if you mean it)",
        ),
        (
            "rate",
            "{normal: {mean: 30, sd: 0.1}}",
            "countries.kz.growth.rate.normal.mean: 30 would mean 3000%; write 30% for thirty "
            "percent (or 3000% if you mean it)",
        ),
        (
            "rate",
            "{choice: {values: [0.1, 5]}}",
            "countries.kz.growth.rate.choice.values[1]: 5 would mean 500%; write 5% for five "
            "percent (or 500% if you mean it)",
        ),
        (
            "volatility",
            "{uniform: {low: 0.1, high: 2}}",
            "countries.kz.growth.volatility.uniform.high: 2 would mean 200%; write 2% for two "
            "percent (or 200% if you mean it)",
        ),
        (
            "level",
            "1.5",
            "events.rail.level: 1.5 would mean a change of +150% in trade; write 1.5% for 1.5 "
            "percent (or 150% if you mean it)",
        ),
    ],
)
def test_every_form_follows_the_rule(tmp_path, field, value, message):
    code, lines = validate(scenario(tmp_path, **{field: value}))
    assert code == 2
    assert len(lines) == 1 and lines[0].split(": ", 1)[1] == message


def test_long_run_event_growth_and_variants_follow_it_too(tmp_path):
    path = tmp_path / "more.yaml"
    path.write_text(
        """\
name: more
countries:
  kz:
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 1000, by: 2028}
    growth: {rate: 30%, long_run: 5, half_life: 3}
events:
  boost:
    start: 2026-01
    growth: 10 to 20
variants:
  v:
    countries.kz.growth.rate: 45
""",
        encoding="utf-8",
    )
    code, lines = validate(path)
    assert code == 2
    assert lines == [
        f"{path}:6:35: countries.kz.growth.long_run: 5 would mean +500% a year; write 5% for "
        "five percent (or 500% if you mean it)",
        f"{path}:10:13: events.boost.growth: '10 to 20' would mean +1000% to +2000% a year; "
        "write '10% to 20%' for ten to twenty percent (or '1000% to 2000%' if you mean it)",
    ]
    path.write_text(
        path.read_text().replace("long_run: 5,", "long_run: 5%,").replace("10 to 20", "10%"),
        encoding="utf-8",
    )
    code, lines = validate(path)
    assert code == 2
    assert lines == [
        f"{path}:13:31: variants.v: countries.kz.growth.rate: 45 would mean +4500% a year; "
        "write 45% for forty-five percent (or 4500% if you mean it)",
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"rate": '"3000%"'},  # explicit: what it says
        {"rate": "0.3", "volatility": "0.25", "noise": "0.15", "level": "0.2 to 0.6"},
        {"rate": "-0.99"},
        {"rate": '"+150% to 300%"', "level": '"-50%"'},
        {"noise": "0"},
        {"rate": "{choice: {values: [0.3, 150%], weights: [3, 1]}}"},
    ],
)
def test_fractions_and_percent_strings_stay_allowed(tmp_path, fields):
    code, lines = validate(scenario(tmp_path, **fields))
    assert code == 0, lines


def test_a_log_scale_sigma_is_not_a_percentage():
    lognormal = {"lognormal": {"median": 0.2, "sigma": 1.5}}
    assert parse_uncertain(lognormal, Domain.NONNEGATIVE, "a volatility of {} a year").params == (
        0.2,
        1.5,
    )
    with pytest.raises(DistributionError, match=r"^2 would mean 200%"):
        parse_uncertain({"lognormal": {"median": 2, "sigma": 0.5}}, Domain.NONNEGATIVE, "{}")


def test_fraction_fields_keep_their_domain_rule(tmp_path):
    path = tmp_path / "fractions.yaml"
    path.write_text(
        """\
name: fractions
routes:
  r: {reroute: 30}
countries:
  kz:
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 1000, by: 2028}
    growth: {rate: 30%}
    routes: {r: 1}
events:
  e: {routes: [r], start: 2026-01, probability: 30, severity: 1}
""",
        encoding="utf-8",
    )
    code, lines = validate(path)
    assert code == 2
    assert [line.split(": ", 1)[1] for line in lines] == [
        "routes.r.reroute: must be between 0% and 100%",
        "events.e.probability: must be between 0% and 100%",
    ]


def test_shipped_scenarios_and_backtests_still_validate():
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    files += sorted(str(p) for p in (ROOT / "backtests").glob("*.yaml"))
    result = CliRunner().invoke(cli, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count(": valid") == len(files)


def test_sweep_values_follow_the_rule(tmp_path):
    path = scenario(tmp_path)
    result = CliRunner().invoke(
        cli, ["sweep", str(path), "--set", "countries.kz.growth.rate=30%,30", "--paths", "100"]
    )
    assert result.exit_code == 2
    assert "30 would mean +3000% a year; write 30% for thirty percent" in result.output


# --- the assumed growth beside the required growth ------------------------------------------

GROWTH = """\
name: growth
seed: 3
paths: 4000
countries:
  kz:
    label: Kazakhstan
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 1000, by: 2028}
    growth: {rate: 10% to 30%, volatility: 20%}
  uz:
    label: Uzbekistan
    baseline: {value: 300, period: 2025}
    target: {value: 500, by: 2027-28}
    growth: {rate: 40%, long_run: 5%, half_life: 2}
"""


def run(tmp_path: Path, fmt: str) -> str:
    path = tmp_path / "growth.yaml"
    path.write_text(GROWTH, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_table_shows_the_assumed_growth(tmp_path):
    lines = run(tmp_path, "table").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Country"))
    assert "Assumed" in lines[header - 1] and "Required" in lines[header - 1]
    kz = next(line for line in lines if line.startswith("Kazakhstan"))
    uz = next(line for line in lines if line.startswith("Uzbekistan"))
    assert "+20% (+10 to +30%)" in kz  # median and 90% range of "10% to 30%"
    assert "+40%" in uz and "(+" not in uz.split("+40%")[1][:3]
    notes = "\n".join(lines)
    assert (
        "Uzbekistan: assumed growth is the trend's rate now, fading toward +5% a year, the gap "
        "halving every 2 years (median)." in notes
    )


def test_markdown_csv_and_json_carry_the_assumed_growth(tmp_path):
    markdown = run(tmp_path, "markdown")
    assert "| Required growth | Assumed growth |" in markdown
    assert "| +20% (+10 to +30%) |" in markdown
    every = list(csv.DictReader(io.StringIO(run(tmp_path, "csv"))))
    rows = [row for row in every if not row["year"]]  # the targets' rows, not the yearly ones
    header = list(rows[0])
    start = header.index("assumed_growth_p5")
    assert header[start : start + 3] == [
        "assumed_growth_p5",
        "assumed_growth_p50",
        "assumed_growth_p95",
    ]
    assert float(rows[0]["assumed_growth_p5"]) == pytest.approx(0.10)
    assert float(rows[0]["assumed_growth_p95"]) == pytest.approx(0.30)
    assert float(rows[1]["assumed_growth_p50"]) == pytest.approx(0.40)
    results = json.loads(run(tmp_path, "json"))["runs"][0]["results"]
    assert results[0]["assumed_growth"] == pytest.approx(
        {"p5": 0.10, "p50": (1.1 * 1.3) ** 0.5 - 1, "p95": 0.30}
    )
    assert results[0]["long_run_growth"] is None
    assert results[1]["assumed_growth"] == {"p5": 0.4, "p50": 0.4, "p95": 0.4}
    assert results[1]["long_run_growth"] == pytest.approx({"p5": 0.05, "p50": 0.05, "p95": 0.05})


# --- --precision 5% ---------------------------------------------------------------------------

SMALL_P = """\
name: small p
countries:
  c:
    baseline: {value: 10, period: 2025-12}
    target: {value: 150, by: 2026-12}
    growth: {rate: 0% to 60%}
"""


def test_relative_precision_on_the_command_line(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_P, encoding="utf-8")

    def invoke(*extra: str) -> dict:
        result = CliRunner().invoke(cli, ["run", str(path), "--format", "json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["runs"][0]

    relative = invoke("--precision", "3%")
    row = relative["results"][0]
    assert relative["relative_precision"] == 0.03 and relative["precision"] is None
    assert relative["capped"] is False
    assert (row["ci_high"] - row["ci_low"]) / 2 <= 0.03 * row["probability"]
    # P is about 12.5%: ±3% of it (±0.4 points) needs more paths than the first checkpoint
    assert relative["paths"] > 8192
    absolute = invoke("--precision", "0.01")
    assert absolute["precision"] == 0.01 and absolute["relative_precision"] is None
    capped = invoke("--precision", "1%", "--max-paths", "20000")
    assert capped["paths"] == 20_000 and capped["capped"] is True
    table = CliRunner().invoke(cli, ["run", str(path), "--precision", "3%"]).output
    assert (
        f"{relative['paths']:,} paths, enough for every 95% interval to be within ±3% of "
        "its estimate." in table
    )
    table = (
        CliRunner()
        .invoke(cli, ["run", str(path), "--precision", "1%", "--max-paths", "20000"])
        .output
    )
    assert (
        "stopped at the cap of 20,000 paths before every 95% interval was within ±1% of its "
        "estimate (--max-paths)." in table
    )


@pytest.mark.parametrize("value", ["0%", "150%", "-5%", "0", "0.6", "abc"])
def test_bad_precisions_are_refused(tmp_path, value):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_P, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(path), "--precision", value])
    assert result.exit_code == 2
    assert (
        "give a half-width above 0 and at most 0.5 (0.005: ±0.5 points), or one relative to "
        "each estimate above 0% and at most 100% (5%: ±5% of P)" in result.output
    )


def test_relative_stopping_rule(tmp_path):
    from conftest import model_of

    model = model_of(tmp_path, SMALL_P)
    outcomes = simulate_until(model, 0, lambda o: next_paths(o, 0.03, relative=True), 10**6)
    assert precise_enough(outcomes, 0.03, relative=True) and outcomes.paths > CHUNK
    pilot = simulate(model, CHUNK, 0)  # the run's first stage: not enough
    assert not precise_enough(pilot, 0.03, relative=True)
    # relative is not absolute: ±3% of P is far tighter than ±3 points
    assert precise_enough(pilot, 0.03)
    # an estimate of 0 never reaches a relative precision
    never = model_of(tmp_path, SMALL_P.replace("value: 150", "value: 100000"))
    zero = simulate_until(never, 0, lambda o: next_paths(o, 0.5, relative=True), 20_000)
    assert zero.paths == 20_000 and not precise_enough(zero, 0.5, relative=True)

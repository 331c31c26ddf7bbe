"""Every output says what produced it (versions, date, scenario hash, seed, paths, method); the
yearly table is in every format; a baseline that is a choice between statistics is shown as
such, with the growth each figure needs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import platform
from datetime import UTC, datetime

import numpy
import pytest
import scipy
from click.testing import CliRunner

import sim
from conftest import write
from sim import __version__
from sim.cli import cli
from sim.report import provenance
from sim.report.render import percent

SCENARIO = """\
name: provenance
seed: 3
countries:
  kz:
    label: Kazakhstan
    baseline: {value: 100, period: 2025-01/2025-12}
    target: {value: 160, by: 2028}
    growth: {rate: 10% to 30%}
"""

CHOICE = """\
name: two statistics
countries:
  uz:
    label: Uzbekistan
    baseline:
      value: {choice: {values: [450, 142.9], weights: [3, 1]}}
      period: 2025-01/2025-12
    target: {value: 2000, by: 2029}
    growth: {rate: 10%}
"""

FIXED_LOW = CHOICE.replace("{choice: {values: [450, 142.9], weights: [3, 1]}}", "142.9")

FIXED_DATE = "2026-12-01T00:00Z"  # conftest's SOURCE_DATE_EPOCH


def cli_output(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_records_versions_date_hash_seed_paths_and_method(tmp_path):
    path = write(tmp_path, SCENARIO)
    document = json.loads(cli_output(["run", str(path), "--paths", "2000", "--format", "json"]))
    assert document["provenance"] == {
        "sim": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "date": FIXED_DATE,
    }
    run = document["runs"][0]
    assert run["scenario_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (run["paths"], run["seed"], run["method"]) == (2000, 3, "antithetic")


def test_the_date_is_now_without_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    made = datetime.strptime(provenance.made(), "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    after = datetime.now(UTC)
    assert before <= made <= after


def test_every_csv_row_says_what_produced_it(tmp_path):
    path = write(tmp_path, SCENARIO)
    text = cli_output(["run", str(path), "--paths", "2000", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(text)))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for row in rows:
        assert (row["scenario_sha256"], row["method"], row["seed"], row["paths"]) == (
            digest,
            "antithetic",
            "3",
            "2000",
        )
        assert (row["sim_version"], row["numpy_version"], row["scipy_version"]) == (
            __version__,
            numpy.__version__,
            scipy.__version__,
        )
        assert (row["python_version"], row["made"]) == (platform.python_version(), FIXED_DATE)


def test_csv_numbers_are_rounded_to_ten_significant_digits(tmp_path):
    path = write(tmp_path, SCENARIO)
    text = cli_output(["run", str(path), "--paths", "2000", "--format", "csv"])
    row = next(csv.DictReader(io.StringIO(text)))
    exact = sim.run(path, paths=2000).runs[0].results[0]
    assert row["turnover_mean"] == f"{exact.turnover['mean']:.10g}"
    assert len(row["turnover_mean"].replace(".", "").lstrip("0")) <= 10


def test_markdown_names_the_file_its_hash_and_the_versions(tmp_path):
    path = write(tmp_path, SCENARIO)
    text = cli_output(["run", str(path), "--paths", "2000", "--format", "markdown"])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"SHA-256 `{digest}`; 2,000 paths, seed 3, antithetic sampling." in text
    assert text.rstrip().endswith(
        f"Made with sim {__version__} (Python {platform.python_version()}, numpy "
        f"{numpy.__version__}, scipy {scipy.__version__}) on 2026-12-01 00:00 UTC."
    )


@pytest.mark.parametrize("command", ["compare", "explain"])
def test_analyses_record_provenance_in_json_and_csv(tmp_path, command):
    path = write(tmp_path, SCENARIO + "variants:\n  fast:\n    countries.kz.growth.rate: 40%\n")
    common = [command, str(path), "--paths", "1000"]
    document = json.loads(cli_output([*common, "--format", "json"]))
    assert document["provenance"]["numpy"] == numpy.__version__
    assert document["provenance"]["date"] == FIXED_DATE
    rows = list(csv.DictReader(io.StringIO(cli_output([*common, "--format", "csv"]))))
    assert rows and all(row["made"] == FIXED_DATE for row in rows)
    assert all(row["sim_version"] == __version__ for row in rows)


# --- the yearly table ------------------------------------------------------------------------


def test_the_yearly_table_is_in_the_table_markdown_and_csv(tmp_path):
    path = write(tmp_path, SCENARIO)
    result = sim.run(path, paths=4000)
    years = result.runs[0].results[0].by_year
    assert [y.year for y in years] == [2026, 2027, 2028]  # the first simulated to the horizon
    table = result.render("table")
    lines = [line.split() for line in table.splitlines()]
    for year in years:
        label = f"{year.year} (deadline)" if year.year == 2028 else str(year.year)
        cells = [*label.split(), percent(year.probability), percent(year.reached)]
        assert cells in lines, label
    markdown = result.render("markdown")
    deadline = next(y for y in years if y.year == 2028)
    assert (
        f"| 2028 (deadline) | {percent(deadline.probability)} | "
        f"{percent(deadline.reached)} |" in markdown
    )
    rows = list(csv.DictReader(io.StringIO(result.render("csv"))))
    yearly = [r for r in rows if r["year"]]
    assert [int(r["year"]) for r in yearly] == [y.year for y in years]
    assert [float(r["probability"]) for r in yearly] == pytest.approx(
        [y.probability for y in years], abs=1e-10
    )
    assert [float(r["reached"]) for r in yearly] == pytest.approx(
        [y.reached for y in years], abs=1e-10
    )
    # the target's own row comes first, with an empty year; the frame keeps just that row
    assert rows[0]["year"] == "" and float(rows[0]["probability"]) == deadline.probability


def test_reached_by_then_never_falls_and_is_at_least_that_years_odds(tmp_path):
    years = sim.run(write(tmp_path, SCENARIO), paths=4000).runs[0].results[0].by_year
    reached = [y.reached for y in years]
    assert reached == sorted(reached)
    assert all(y.reached >= y.probability for y in years)


# --- a baseline that is a choice between statistics ------------------------------------------


def test_a_choice_baseline_lists_its_figures_and_the_growth_each_needs(tmp_path):
    run = sim.run(write(tmp_path, CHOICE), paths=2000).runs[0]
    options = run.results[0].baseline_options
    assert [(o.annual, o.weight) for o in options] == [(450.0, 0.75), (142.9, 0.25)]
    low = sim.run(write(tmp_path, FIXED_LOW, "low.yaml"), paths=2000).runs[0].results[0]
    assert options[1].required_growth == pytest.approx(low.required_growth, rel=1e-12)
    # closed form: 12 months from the Jul 2025 midpoint to the window's months of 2029
    years = (numpy.arange(48, 60) - 5.5) / 12
    for option in options:
        g = option.required_growth
        assert option.annual / 12 * numpy.exp(numpy.log1p(g) * years).sum() == pytest.approx(2000)
    table = sim.run(write(tmp_path, CHOICE), paths=2000).render("table")
    row = next(line for line in table.splitlines() if line.startswith("Uzbekistan"))
    assert "450 or 143" in row
    required = " or ".join(f"{o.required_growth * 100:+.0f}%/yr" for o in options)
    assert required in row
    assert (
        "Uzbekistan: the baseline is one of 2 figures: 450 a year (chance 75.0%, needs "
        f"{options[0].required_growth * 100:+.0f}%/yr); 143 a year (chance 25.0%" in table
    )
    document = json.loads(sim.run(write(tmp_path, CHOICE), paths=2000).render("json"))
    shown = document["runs"][0]["results"][0]["baseline_options"]
    assert [o["weight"] for o in shown] == [0.75, 0.25]
    assert shown[1]["required_growth"] == pytest.approx(low.required_growth, rel=1e-12)


# --- the lock file ----------------------------------------------------------------------------


def test_constraints_pin_every_core_dependency_within_its_range():
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    root = Path(__file__).resolve().parent.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (root / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    for text in project["dependencies"]:
        requirement = Requirement(text)
        pinned = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pinned), (requirement, pinned)
    assert {"numpy", "scipy"} <= set(pins)


def test_markdown_keeps_the_descriptions_paragraphs(tmp_path):
    text = SCENARIO + "description: |\n  First paragraph,\n  one sentence.\n\n  Second one.\n"
    markdown = sim.run(write(tmp_path, text), paths=1000).render("markdown")
    assert "\nFirst paragraph, one sentence.\n\nSecond one.\n" in markdown


@pytest.mark.parametrize(
    ("command", "heading"),
    [("compare", "# Variants of provenance\n"), ("explain", "# What moves the odds: provenance\n")],
)
def test_analysis_markdown_has_a_title(tmp_path, command, heading):
    path = write(tmp_path, SCENARIO + "variants:\n  fast:\n    countries.kz.growth.rate: 40%\n")
    text = cli_output([command, str(path), "--paths", "1000", "--format", "markdown"])
    assert text.startswith(heading)

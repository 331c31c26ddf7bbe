"""The command line through click's runner: formats, options, files and exit statuses."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli

SCENARIOS = Path(__file__).parent.parent / "scenarios"

SMALL = """\
name: Small
seed: 11
paths: 3000
countries:
  kz:
    label: Kazakhstan
    baseline: {value: 85 to 140, period: 2025-01/2025-07, source: a source}
    target: {value: 600, by: 2027}
    growth: {rate: 10% to 120%, volatility: 25%, noise: 15%}
"""


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def small(scenario_file):
    return scenario_file(SMALL, "small.yaml")


def test_json_keys_are_the_spec_keys(small):
    result = invoke("run", str(small), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["sim_version"] == sim.__version__
    (run,) = document["runs"]
    assert {k: run[k] for k in ("scenario", "file", "paths", "seed", "unit")} == {
        "scenario": "Small",
        "file": str(small),
        "paths": 3000,
        "seed": 11,
        "unit": "USD million",
    }
    (row,) = run["results"]
    assert set(row) >= {
        "country",
        "label",
        "target",
        "window",
        "probability",
        "ci_low",
        "ci_high",
        "turnover",
        "required_growth",
    }
    assert set(row["turnover"]) == {"mean", "p5", "p50", "p95"}
    assert row["window"] == "2027-01/2027-12"
    assert row["target"] == 600.0
    assert row["probability"] == row["hits"] / 3000
    assert row["ci_low"] <= row["probability"] <= row["ci_high"]
    assert [y["year"] for y in row["by_year"]] == [2025, 2026, 2027]


def test_options_override_the_file(small):
    document = json.loads(
        invoke("run", str(small), "--paths", "100", "--seed", "3", "--format", "json").output
    )
    assert (document["runs"][0]["paths"], document["runs"][0]["seed"]) == (100, 3)


def test_defaults_without_file_or_options(scenario_file):
    path = scenario_file(SMALL.replace("seed: 11\npaths: 3000\n", ""))
    run = json.loads(invoke("run", str(path), "--format", "json").output)["runs"][0]
    assert (run["paths"], run["seed"]) == (100_000, 0)


def test_same_seed_same_json_whatever_the_block_size(small):
    outputs = {
        invoke("run", str(small), "--paths", "20000", "--format", "json", *extra).output
        for extra in (
            [],
            ["--block-size", "1"],
            ["--block-size", "8192"],
            ["--block-size", "50000"],
        )
    }
    assert len(outputs) == 1
    other_seed = invoke("run", str(small), "--paths", "20000", "--seed", "12", "--format", "json")
    assert other_seed.output not in outputs


def test_plain_table_when_piped(small):
    output = invoke("run", str(small)).output
    lines = output.splitlines()
    assert lines[0] == (
        "Window: trade in Jan–Dec 2027, the 12 months ending with the deadline. "
        "Money in USD million."
    )
    assert lines[1].split() == ["Required", "Assumed", "Turnover"]
    assert lines[2].split() == [
        "Country",
        "Baseline/yr",
        "Target",
        "By",
        "growth",
        "growth",
        "P(target)",
        "±MC",
        "(95%)",
        "p5–p95",
    ]
    assert lines[3].startswith("Kazakhstan")
    assert "2027" in lines[3] and "%" in lines[3]
    assert "small: Small (" in output and "3,000 paths, seed 11." in output
    assert "\x1b[" not in output  # no colour codes when not a terminal


def test_several_files_give_one_table(small, scenario_file):
    other = scenario_file(SMALL.replace("name: Small", "name: Other"), "other.yaml")
    output = invoke("run", str(small), str(other)).output
    table = output.split("\n\n")[0]  # the summary table; the yearly table follows
    rows = [line for line in table.splitlines() if "Kazakhstan" in line]
    assert [row.split()[0] for row in rows] == ["small", "other"]


def test_every_format_says_when_window_months_are_observed(scenario_file):
    # SPEC 8: observed months of the window count at the run-rate, "say so in the output"
    text = SMALL.replace("by: 2027", "by: 2025-12")  # baseline Jan–Jul 2025: 7 months observed
    file = str(scenario_file(text, "observed.yaml"))
    note = "Kazakhstan: 7 of the window's 12 months are observed, not simulated"
    assert note in invoke("run", file).output
    assert f"\n\n{note}" in invoke("run", file, "--format", "markdown").output
    (row,) = json.loads(invoke("run", file, "--format", "json").output)["runs"][0]["results"]
    assert row["observed_months_in_window"] == 7
    rows = csv.DictReader(io.StringIO(invoke("run", file, "--format", "csv").output))
    (line,) = [row for row in rows if not row["year"]]  # the target's row, not the yearly ones
    assert line["observed_months_in_window"] == "7"


def test_csv_and_markdown(small):
    every = list(csv.DictReader(io.StringIO(invoke("run", str(small), "--format", "csv").output)))
    rows = [row for row in every if not row["year"]]  # then one row per year
    assert [row["year"] for row in every[1:]] == ["2025", "2026", "2027"]
    assert len(rows) == 1 and rows[0]["country"] == "kz" and rows[0]["window"] == "2027-01/2027-12"
    assert rows[0]["observed_months_in_window"] == "0"
    assert 0 <= float(rows[0]["probability"]) <= 1
    markdown = invoke("run", str(small), "--format", "markdown").output.splitlines()
    assert markdown[0] == "# Small"
    assert markdown[2].startswith("Window: trade in Jan–Dec 2027")
    assert markdown[4].startswith("| Country | Baseline/yr | Target | By | Required growth |")
    assert markdown[6].startswith("| Kazakhstan |")
    assert "## Assumptions: Small" in markdown and "### Kazakhstan" in markdown
    assert "- Growth: trend 10% to 120% a year; volatility 25%; month-to-month noise 15%." in (
        markdown
    )
    assert any(
        line.startswith("- Baseline: 85 to 140 USD million over 2025-01/2025-07 (a source)")
        for line in markdown
    )


def test_output_file_is_written_whole(small, tmp_path):
    target = tmp_path / "out.json"
    result = invoke("run", str(small), "--format", "json", "--output", str(target))
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(target.read_text())["runs"][0]["paths"] == 3000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "small.yaml"]


def test_unwritable_output_fails_before_simulating(small, tmp_path):
    result = CliRunner().invoke(cli, ["run", str(small), "-o", str(tmp_path / "no" / "x.json")])
    assert result.exit_code == 2
    assert "folder" in result.output and "does not exist" in result.output


def test_invalid_scenario_exits_2_with_located_messages(scenario_file):
    bad = scenario_file(SMALL.replace("rate: 10% to 120%", "rat: 10%"), "bad.yaml")
    result = CliRunner().invoke(cli, ["run", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [
        f"{bad}:9:5: countries.kz.growth.rate: is required",
        f"{bad}:9:14: countries.kz.growth.rat: unknown field 'rat' (did you mean 'rate'?)",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--paths", "0"], "Invalid value for '--paths'"),
        (["--paths", "-5"], "Invalid value for '--paths'"),
        (["--seed", "-1"], "Invalid value for '--seed'"),
        (["--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_bad_options_exit_2(small, args, message):
    result = CliRunner().invoke(cli, ["run", str(small), *args])
    assert result.exit_code == 2 and message in result.output


def test_validate(small, scenario_file):
    ok = invoke("validate", str(small))
    assert ok.exit_code == 0
    assert ok.output == f"{small}: valid (1 country, 0 routes, 0 events)\n"
    bad = scenario_file("name: x\n", "bad.yaml")
    result = CliRunner().invoke(cli, ["validate", str(small), str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:1:1: countries: is required" in result.output


def test_shipped_scenarios_are_valid():
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    assert len(files) >= 3
    result = invoke("validate", *files)
    assert result.exit_code == 0, result.output


def test_interrupt_exits_130_and_writes_nothing(small, tmp_path, monkeypatch):
    import sim.engine.run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.engine.run, "simulate", interrupted)
    target = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["run", str(small), "-o", str(target)])
    assert result.exit_code == 130
    assert result.output == "sim: interrupted (SIGINT); nothing was written\n"
    assert not target.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_internal_errors_are_one_line_with_status_1(small, monkeypatch):
    import sim.engine.run

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sim.engine.run, "simulate", broken)
    monkeypatch.delenv("SIM_DEBUG", raising=False)
    result = CliRunner().invoke(cli, ["run", str(small)])
    assert result.exit_code == 1
    assert result.output == "sim: internal error: RuntimeError: boom (SIM_DEBUG=1 shows more)\n"


def test_huge_runs_are_refused_with_an_estimate(small):
    result = CliRunner().invoke(cli, ["run", str(small), "--paths", "10000000000"])
    assert result.exit_code == 2
    assert "10,000,000,000 paths would take about" in result.output
    assert "use fewer paths, or add --force" in result.output


def test_schema_describes_every_top_level_field():
    schema = json.loads(invoke("schema").output)
    assert schema["title"] == "sim scenario"
    assert set(schema["properties"]) == {
        "name",
        "description",
        "unit",
        "fiscal_year_start",
        "horizon",
        "as_of",
        "seed",
        "paths",
        "include",
        "routes",
        "countries",
        "events",
        "correlation",
        "variants",
    }
    assert schema["required"] == ["name", "countries"]
    pairs = schema["$defs"]["Correlations"]["properties"]["growth"]
    assert pairs["additionalProperties"]["additionalProperties"] == {
        "type": "number",
        "minimum": -1,
        "maximum": 1,
    }
    growth = schema["$defs"]["Growth"]["properties"]
    assert growth["volatility"]["default"] == 0 and "20% to 60%" in growth["rate"]["examples"]


def test_output_through_a_symlink_with_the_usual_mode(small, tmp_path):
    import os
    import stat

    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert invoke("run", str(small), "--format", "json", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and json.loads(real.read_text())["runs"][0]["paths"] == 3000
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(real.stat().st_mode) == 0o666 & ~umask


def test_percentages_never_round_to_certainty():
    from sim.report.render import percent

    assert [percent(x) for x in (0, 1.75e-8, 0.00004, 0.0012, 0.123, 0.9951, 0.99996, 1)] == [
        "0%",
        "1.8e-06%",
        "0.004%",
        "0.12%",
        "12.3%",
        "99.51%",
        ">99.99%",
        "100%",
    ]


def test_readme_example_is_what_sim_prints():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("`sim run scenarios/kazakhstan.yaml` prints")
    opening = readme.index("```\n", start) + 4
    block = readme[opening : readme.index("\n```", opening)]
    output = invoke("run", str(SCENARIOS / "kazakhstan.yaml")).output
    expected, shown_notes = block.rsplit("\n", 1)
    actual, notes = output.rstrip("\n").rsplit("\n", 1)
    assert (
        actual.replace(str(SCENARIOS / "kazakhstan.yaml"), "scenarios/kazakhstan.yaml") == expected
    )
    assert notes.startswith(shown_notes.removesuffix(" ..."))


def test_same_json_for_any_number_of_workers(small):
    outputs = {
        invoke(
            "run",
            str(small),
            "--paths",
            "40000",
            "--block-size",
            "8192",
            "--workers",
            workers,
            "--format",
            "json",
        ).output
        for workers in ("1", "2", "3")
    }
    assert len(outputs) == 1


_PARENT = os.getpid()


def _dies_in_a_worker(*args, **kwargs):
    """Stands in for simulate_block: a worker process exits abruptly, as if killed."""
    if os.getpid() != _PARENT:
        os._exit(9)
    raise AssertionError("the blocks should have run in worker processes")


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="the stand-in worker is inherited only by forked processes",
)
def test_a_dying_worker_stops_the_run_cleanly(small, tmp_path, monkeypatch):
    import sim.engine.rules

    monkeypatch.setattr(sim.engine.rules, "simulate_block", _dies_in_a_worker)
    target = tmp_path / "out.json"
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(small),
            "--paths",
            "40000",
            "--block-size",
            "8192",
            "--workers",
            "2",
            "-o",
            str(target),
        ],
    )
    assert result.exit_code == 1
    assert result.output == (
        "sim: a worker process died (killed, or out of memory?); the run was stopped and "
        "nothing was written\n"
    )
    assert not target.exists()


def test_shipped_scenarios_match_the_schema_and_typos_do_not():
    import jsonschema
    import yaml

    schema = json.loads(invoke("schema").output)
    validator = jsonschema.Draft202012Validator(schema)
    for path in SCENARIOS.glob("*.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(document)) == [], path
        country = document["countries"][
            "kazakhstan"
            if "kazakhstan" in document["countries"]
            else next(iter(document["countries"]))
        ]
        # the shipped countries leave growth out (fitted); a written block with a typo
        country.setdefault("growth", {"rate": "10%"})["volatilty"] = "25%"
        assert any("volatilty" in e.message for e in validator.iter_errors(document))


def test_each_job_counts_its_own_runs_in_the_estimates(tmp_path):
    # compare and explain make a different number of runs per file: a file with one variant
    # must not be costed as if it had the other file's ten
    from conftest import model_of
    from sim.session import Job, RunOptions, Session

    model = model_of(tmp_path, SMALL)
    options = RunOptions(workers=1)
    jobs = [Job(model, 1000, 0, runs=11), Job(model, 3000, 0, runs=2)]
    assert Session(options, jobs).bar.total == 11 * 1000 + 2 * 3000
    assert Session(options, [Job(model, 1000, 0), Job(model, 3000, 0)]).bar.total == 4000

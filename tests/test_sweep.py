"""sim sweep: grids of what-ifs on common random numbers, resumable from their CSV."""

from __future__ import annotations

import csv
import io
import json

import numpy
import pytest
from click.testing import CliRunner

from conftest import write
from sim import __version__
from sim.analysis.sweep import SettingError, checksum, parse_setting
from sim.cli import cli
from sim.report.analysis import csv_text

SCENARIO = """\
name: sweep
countries:
  c:
    baseline: {value: 120, period: 2025}
    target: {value: 300, by: 2027}
    growth: {rate: 20% to 60%, volatility: 20%}
"""

RATES = "countries.c.growth.rate=20% to 60%,{normal: {mean: 0.5, sd: 0.1}}"
YEARS = "countries.c.target.by=2027,2028"


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_settings_are_read_like_the_file():
    setting = parse_setting(RATES)
    assert setting.field == "countries.c.growth.rate"
    assert setting.texts == ("20% to 60%", "{normal: {mean: 0.5, sd: 0.1}}")
    assert setting.values == ("20% to 60%", {"normal": {"mean": 0.5, "sd": 0.1}})
    assert parse_setting("countries.c.target.by=2027").values == (2027,)
    for bad in ("growth", "countries.c.growth.rate", "countries.c.growth.rate=1,,2", "=1"):
        with pytest.raises(SettingError):
            parse_setting(bad)


def test_grid_points_equal_runs_of_the_changed_file(tmp_path):
    path = write(tmp_path, SCENARIO)
    document = json.loads(
        invoke(
            "sweep",
            str(path),
            "--set",
            RATES,
            "--set",
            YEARS,
            "--paths",
            "10000",
            "--format",
            "json",
        )
    )
    (sweep,) = document["sweep"]
    assert sweep["fields"] == ["countries.c.growth.rate", "countries.c.target.by"]
    assert [p["values"] for p in sweep["points"]] == [
        {"countries.c.growth.rate": "20% to 60%", "countries.c.target.by": "2027"},
        {"countries.c.growth.rate": "20% to 60%", "countries.c.target.by": "2028"},
        {
            "countries.c.growth.rate": "{normal: {mean: 0.5, sd: 0.1}}",
            "countries.c.target.by": "2027",
        },
        {
            "countries.c.growth.rate": "{normal: {mean: 0.5, sd: 0.1}}",
            "countries.c.target.by": "2028",
        },
    ]
    changed = write(
        tmp_path,
        SCENARIO.replace("by: 2027", "by: 2028").replace(
            "20% to 60%", "{normal: {mean: 0.5, sd: 0.1}}"
        ),
        "changed.yaml",
    )
    run = json.loads(invoke("run", str(changed), "--paths", "10000", "--format", "json"))
    assert (
        sweep["points"][3]["results"][0]["probability"]
        == (run["runs"][0]["results"][0]["probability"])
    )


def test_a_csv_sweep_resumes_where_it_stopped(tmp_path, monkeypatch):
    import sim.engine.run

    path = write(tmp_path, SCENARIO)
    output = tmp_path / "results.csv"

    def sweep(setting: str = YEARS, paths: str = "5000", *more: str):
        arguments = ["sweep", str(path), "--set", setting, "--paths", paths, *more]
        return CliRunner().invoke(cli, [*arguments, "--format", "csv", "-o", str(output)])

    assert sweep(YEARS.split(",")[0]).exit_code == 0
    first = output.read_text()
    runs = []
    real = sim.engine.run.simulate
    monkeypatch.setattr(sim.engine.run, "simulate", lambda *a, **k: runs.append(1) or real(*a, **k))
    assert sweep().exit_code == 0
    assert len(runs) == 1  # only the new point was simulated
    rows = list(csv.reader(io.StringIO(output.read_text())))
    assert rows[0] == [
        "countries.c.target.by",
        "country",
        "label",
        "probability",
        "ci_low",
        "ci_high",
        "hits",
        "paths",
        "seed",
        "method",
        "scenario_sha256",
        "sim_version",
        "numpy_version",
        "checksum",
    ]
    assert {r[-3] for r in rows[1:]} == {__version__}
    assert {r[-2] for r in rows[1:]} == {numpy.__version__}
    assert [r[0] for r in rows[1:]] == ["2027", "2028"]
    assert output.read_text().startswith(first)
    other = sweep(YEARS, "6000")
    assert other.exit_code == 2
    assert "holds results of another run (paths 5000, seed 0, method antithetic" in other.output
    plain = sweep(YEARS, "5000", "--method", "plain")
    assert plain.exit_code == 2 and "holds results of another run" in plain.output
    path.write_text(SCENARIO.replace("volatility: 20%", "volatility: 30%"))  # an edited file
    edited = sweep()
    assert edited.exit_code == 2 and "another version of the scenario" in edited.output
    path.write_text(SCENARIO)  # as saved, but by another version of sim
    older_rows = [[*r[:-3], "0.1.0", r[-2]] for r in rows[1:]]  # with checksums that hold
    rewritten = [[*r, checksum(r)] for r in older_rows]
    output.write_text(csv_text(rows[0], rewritten, made=False))
    older = sweep()
    assert older.exit_code == 2 and "sim 0.1.0" in older.output


def test_bad_sweeps_are_one_line_errors(tmp_path):
    path = write(tmp_path, SCENARIO)
    result = CliRunner().invoke(cli, ["sweep", str(path), "--set", "growth"])
    assert result.exit_code == 2 and "write FIELD=V1,V2,..." in result.output
    result = CliRunner().invoke(cli, ["sweep", str(path), "--set", "growht=1"])
    assert result.exit_code == 2
    assert "--set growht=1: growht: unknown field 'growht'" in result.output
    result = CliRunner().invoke(
        cli, ["sweep", str(path), "--set", "countries.c.growth.rate=10%,-150%"]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{path}: --set countries.c.growth.rate=-150%: countries.c.growth.rate: must be above "
        "-100% (a growth rate)"
    )


def test_top_level_fields_can_be_swept_and_overridden(tmp_path):
    path = write(tmp_path, SCENARIO + "variants:\n  longer: {horizon: 2031}\n")
    output = invoke(
        "sweep", str(path), "--set", "horizon=2029,2031", "--paths", "2000", "--format", "json"
    )
    points = json.loads(output)["sweep"][0]["points"]
    assert [p["values"] for p in points] == [{"horizon": "2029"}, {"horizon": "2031"}]
    # the horizon does not change the 2027 window: the same paths, the same answer
    assert points[0]["results"] == points[1]["results"]
    compared = json.loads(invoke("compare", str(path), "--paths", "2000", "--format", "json"))
    assert compared["comparisons"][0]["results"][0]["difference"] == 0.0


def test_a_percentile_holds_an_input_as_the_tornado_does(tmp_path):
    import sim

    path = write(tmp_path, SCENARIO)
    grid = {"countries.c.growth.rate": ["p10", "p90"], "countries.c.growth.volatility": ["p50"]}
    swept = sim.sweep(path, {"countries.c.growth.rate": ["p10", "p50", "p90"]}, paths=8000)
    tornado = sim.explain(path, paths=8000).explanations[0][2].sensitivities
    rate = next(s for s in tornado if s.input == "countries.c.growth.rate")
    found = {texts[0]: results[0].hits / results[0].paths for texts, results in swept.points}
    # the same paths and seed, the input held at the same value: the same P, exactly
    assert found["p10"] == rate.low.other and found["p90"] == rate.high.other
    assert found["p10"] < found["p50"] < found["p90"]
    # the p50 point equals a run of the file with the rate's median written in
    from sim.scenario.compile import compile_scenario

    median = compile_scenario(sim.load(path).spec).countries[0].rate.median()
    fixed = write(tmp_path, SCENARIO.replace("20% to 60%", repr(median)), "fixed.yaml")
    assert sim.run(fixed, paths=8000).runs[0].results[0].probability == found["p50"]
    with pytest.raises(SettingError, match="a percentile needs an uncertain input"):
        sim.sweep(path, {**grid, "countries.c.growth.volatility": ["p50"]}, paths=1000)
    assert parse_setting("countries.c.growth.rate=p10,p5,20%").texts == ("p10", "p5", "20%")
    as_is = sim.sweep(path, {"countries.c.growth.rate": ["file"]}, paths=8000).points[0][1][0]
    assert as_is.hits / as_is.paths == sim.run(path, paths=8000).runs[0].results[0].probability


def test_a_field_set_twice_is_refused(tmp_path):
    import sim

    path = write(tmp_path, SCENARIO)
    grid = ["countries.c.growth.rate=10%,40%", "countries.c.growth.rate=25%"]
    with pytest.raises(SettingError, match="is given more than once"):
        sim.sweep(path, grid, paths=1000)

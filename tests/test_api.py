"""The public API: the same validation, numbers and documents as the CLI, frames for pandas,
per-path samples, and one root error."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli

SCENARIO = """\
name: api test
countries:
  kz:
    label: Kazakhstan
    baseline: {value: 120, period: 2024}
    target: {value: 200, by: 2027}
    growth: {rate: "0% to 40%"}
routes:
  road: {reroute: 0}
events:
  closures:
    routes: [road]
    rate: "1 to 3"
    duration: 1
    severity: 1
"""
SCENARIO_ROUTED = SCENARIO.replace("    growth:", "    routes: {road: 1}\n    growth:")


def test_everything_public_is_exported_and_documented():
    for name in sim.__all__:
        value = getattr(sim, name)
        assert value.__doc__ or isinstance(value, str), name
    assert issubclass(sim.ScenarioError, sim.SimError)
    assert issubclass(sim.SimulationError, sim.SimError)
    assert issubclass(sim.SolveError, sim.SimError)
    assert issubclass(sim.SettingError, sim.SimError)
    assert issubclass(sim.MissingExtraError, sim.SimError)


def test_load_reads_a_path_text_or_dict_with_the_same_validation(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    from_path, from_text = sim.load(path), sim.load(SCENARIO)
    from_dict = sim.load({"name": "api test", **_countries_dict()})
    assert from_path.spec == from_text.spec
    assert from_dict.spec.countries == from_text.spec.countries
    assert from_path.file == str(path) and from_text.file == "<text>"
    assert from_path.sha256 == from_text.sha256
    broken = SCENARIO.replace('rate: "0% to 40%"', "rat: 5%")
    with pytest.raises(sim.ScenarioError) as error:
        sim.load(broken, name="mine.yaml")
    assert [str(p) for p in error.value.problems] == [
        "mine.yaml:7:5: countries.kz.growth.rate: is required",
        "mine.yaml:7:14: countries.kz.growth.rat: unknown field 'rat' (did you mean 'rate'?)",
    ]
    with pytest.raises(sim.ScenarioError) as error:
        sim.load({"name": "x", "countries": {"kz": {"baseline": 5}}})
    assert str(error.value.problems[0]).startswith("<dict>:")


def _countries_dict():
    return {
        "countries": {
            "kz": {
                "label": "Kazakhstan",
                "baseline": {"value": 120, "period": 2024},
                "target": {"value": 200, "by": 2027},
                "growth": {"rate": "0% to 40%"},
            }
        }
    }


def test_run_gives_the_cli_json_to_the_byte(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO_ROUTED, encoding="utf-8")
    result = sim.run(path, paths=4000, seed=3, workers=1)
    cli_json = (
        CliRunner()
        .invoke(cli, ["run", str(path), "--paths", "4000", "--seed", "3", "--format", "json"])
        .output
    )
    assert result.render("json") == cli_json
    assert result.to_dict() == json.loads(cli_json)
    assert 0 < result.to_dict()["runs"][0]["results"][0]["probability"] < 1


def test_frames_are_tidy():
    pandas = pytest.importorskip("pandas")
    result = sim.run(SCENARIO_ROUTED, paths=2000, workers=1)
    frame = result.to_frame()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["country"]) == ["kz"] and frame["probability"][0] == pytest.approx(
        result.runs[0].results[0].probability
    )
    years = result.by_year()
    assert list(years.columns) == [
        "scenario",
        "country",
        "year",
        "window",
        "probability",
        "reached",
    ]
    assert list(years["year"]) == [2025, 2026, 2027]
    assert years["reached"].is_monotonic_increasing
    events = result.events()
    assert list(events["event"]) == ["closures"] and 0.9 < events["share"][0] <= 1


def test_notebooks_show_the_cli_table():
    result = sim.run(SCENARIO_ROUTED, paths=2000, workers=1)
    html = result._repr_html_()
    assert "<table>" in html and "Kazakhstan" in html
    assert result._repr_markdown_() == result.render("markdown")


def test_samples_hold_the_drawn_inputs_and_each_paths_outcome():
    """With no shocks, no noise and no events, a path's window total is a known function of
    its drawn growth rate: the samples must pair each rate with its own path's total."""
    result = sim.run(SCENARIO, paths=3000, seed=7, workers=1, keep_paths=True)
    columns = result.sample_columns()
    rate = columns["countries.kz.growth.rate"]
    assert len(rate) == 3000
    g = np.log1p(rate)
    months = np.arange(36, 48)  # 2027 months, counted from Jan 2024
    expected = (120 / 12) * np.exp(np.outer(g, (months - 5.5) / 12)).sum(axis=1)
    np.testing.assert_allclose(columns["countries.kz.window_total"], expected, rtol=1e-9)
    met, total = columns["countries.kz.met"], columns["countries.kz.window_total"]
    assert (met == (total >= 200 * (1 - 1e-9))).all()
    # the first year reached agrees with the yearly odds
    reached_2027 = (columns["countries.kz.first_year_reached"] > 0).mean()
    assert reached_2027 == pytest.approx(result.runs[0].results[0].by_year[-1].reached)
    assert set(np.unique(columns["countries.kz.first_year_reached"])) <= {0, 2025, 2026, 2027}
    assert "events.closures.rate" in columns and "events.closures.onsets" in columns


def test_samples_of_a_million_paths_fit_in_a_few_hundred_megabytes():
    """Peak memory of a 10^6-path run that keeps its paths, and of its samples frame, measured
    in a fresh process (resident set size, imports included)."""
    import subprocess

    code = (
        "import resource, sim\n"
        "r = sim.run(sim.load(TEXT), paths=1_000_000, seed=1, keep_paths=True, workers=1)\n"
        "frame = r.samples()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,"
        " frame.memory_usage(deep=True).sum() // 2**20)\n"
    ).replace("TEXT", repr(SCENARIO_ROUTED))
    pytest.importorskip("pandas")
    peak, frame = map(int, subprocess.check_output([sys.executable, "-c", code]).split())
    assert frame < 100  # 10^6 rows of ten columns
    assert peak < 400, peak  # MB, Python and numpy, scipy, pandas included


def test_samples_need_keep_paths():
    result = sim.run(SCENARIO, paths=1000, workers=1)
    with pytest.raises(sim.SimError, match="keep_paths"):
        result.sample_columns()


def test_cli_writes_samples_as_csv_or_parquet(tmp_path):
    pandas = pytest.importorskip("pandas")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    for name in ("samples.csv", "samples.parquet"):
        if name.endswith("parquet"):
            pytest.importorskip("pyarrow")
        out = tmp_path / name
        run = CliRunner().invoke(cli, ["run", str(path), "--paths", "2000", "--samples", str(out)])
        assert run.exit_code == 0, run.output
        frame = pandas.read_csv(out) if name.endswith("csv") else pandas.read_parquet(out)
        assert len(frame) == 2000
        assert {"path", "countries.kz.window_total", "countries.kz.met"} <= set(frame.columns)
        assert "countries.kz.growth.rate" in frame.columns


def test_without_pandas_the_error_names_the_extra(monkeypatch):
    result = sim.run(SCENARIO, paths=1000, workers=1)
    monkeypatch.setitem(sys.modules, "pandas", None)
    message = r"this needs pandas: pip install '\.\[frames\]' in sim's folder"
    with pytest.raises(sim.MissingExtraError, match=message):
        result.to_frame()


def test_options_are_checked_in_the_users_words():
    with pytest.raises(sim.SettingError, match="not both"):
        sim.run(SCENARIO, paths=100, precision=0.01)
    with pytest.raises(sim.SettingError, match="max-paths"):
        sim.run(SCENARIO, max_paths=100)
    with pytest.raises(sim.SettingError, match="method"):
        sim.run(SCENARIO, method="fast")  # type: ignore[arg-type]
    with pytest.raises(sim.SettingError, match="no variants"):
        sim.compare(SCENARIO)


def test_solve_finds_the_country_of_a_one_country_file():
    answer = sim.solve(SCENARIO, probability=0.5, field="target", paths=4000, workers=1)
    ((name, _, solution),) = answer.solutions
    assert solution.country == "kz" and name == "api test"
    assert math.isclose(solution.achieved, 0.5, abs_tol=0.03)


def test_sweep_takes_a_mapping_of_values():
    result = sim.sweep(SCENARIO, {"countries.kz.target.value": [150, 250]}, paths=2000, workers=1)
    low, high = (results[0].probability for _, results in result.points)
    assert low > high
    assert result.to_dict()["sweep"][0]["fields"] == ["countries.kz.target.value"]


def test_samples_with_a_precision_run():
    result = sim.run(SCENARIO, precision=0.02, keep_paths=True, workers=1)
    columns = result.sample_columns()
    assert len(columns["path"]) == result.runs[0].paths
    assert set(np.unique(columns["countries.kz.first_year_reached"])) <= {0, 2025, 2026, 2027}


def test_notebook_arguments_are_checked_in_words():
    with pytest.raises(sim.SettingError, match=r"write 100_000, not 1e5"):
        sim.run(SCENARIO, paths=1e5)  # type: ignore[arg-type]
    with pytest.raises(sim.SettingError, match="seed must be a whole number"):
        sim.run(SCENARIO, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(sim.SettingError, match="at least one scenario"):
        sim.run([])
    with pytest.raises(sim.SettingError, match="max_paths"):
        sim.run(SCENARIO, precision=0.01, max_paths=0)
    one = sim.sweep(SCENARIO, {"countries.kz.target.value": "150"}, paths=1000, workers=1)
    assert [texts for texts, _ in one.points] == [("150",)]  # one value, not '1', '5', '0'
    numpy_values = {"name": "x", **_countries_dict()}
    numpy_values["countries"]["kz"]["baseline"]["value"] = np.float64(120)
    assert sim.load(numpy_values).spec.countries["kz"].baseline.value.median() == 120


def test_the_cost_estimate_counts_kept_yearly_windows():
    from sim.engine.run import estimate_work

    model = sim.load(SCENARIO).model
    plain, kept = estimate_work(model, 10**6), estimate_work(model, 10**6, years=True)
    years = len(model.countries[0].year_ends)
    assert kept.memory - plain.memory == 2 * 8 * years * 10**6

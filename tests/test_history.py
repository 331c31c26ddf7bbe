"""History in the scenario (issue 13, item 1): series written or read from CSV, the
information date, baselines and growth taken from the history, outcomes; the exact messages."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import write
from sim.calibration import fit
from sim.core.model import HistoryPoint
from sim.core.periods import month_index
from sim.engine.run import simulate
from sim.errors import ScenarioError
from sim.scenario.compile import compile_scenario
from sim.scenario.load import load_scenario, load_with_variants
from sim.scenario.schema import Growth, Scenario, json_schema

BLOCK = {
    "rate": "5% to 40%",
    "long_run": "-2% to 12%",
    "half_life": "1 to 5",
    "volatility": "28%",
    "noise": "0%",
}


def problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def year(y: int, value: float) -> HistoryPoint:
    return HistoryPoint(month_index(y, 1), month_index(y, 12), value)


@pytest.fixture
def fitted(monkeypatch):
    """fit_growth replaced by one that returns BLOCK and records what it was given."""
    calls = []

    def fake(history, as_of):
        calls.append(([(o.first, o.last, o.value) for o in history], as_of))
        return fit.GrowthFit(dict(BLOCK), ["evidence"])

    monkeypatch.setattr(fit, "fit_growth", fake)
    return calls


UZ = """\
name: uz
as_of: 2018-12
countries:
  uzbekistan:
    history:
      source: Uzbek statistics
      values: {2015: 27.5, 2016: 39.8, 2017: 36.2, 2018-07/2018-12: 20, 2019: 99}
    target: {value: 1000, by: 2024}
    growth: {rate: 10%}
    outcome: {value: 403.9, period: 2024, source: Uzbek statistics}
"""


def test_baseline_is_the_last_value_known_by_as_of(scenario_file):
    country = load_scenario(scenario_file(UZ)).countries["uzbekistan"]
    assert country.baseline_from_history
    baseline = country.baseline
    assert baseline.value.is_fixed and baseline.value.params == (20.0,)
    assert (baseline.period.first, baseline.period.last) == (
        month_index(2018, 7),
        month_index(2018, 12),
    )
    assert baseline.source == "Uzbek statistics"
    assert country.as_of == month_index(2018, 12)


def test_points_dated_after_as_of_are_ignored_everywhere(scenario_file):
    scenario = load_scenario(scenario_file(UZ))
    country = scenario.countries["uzbekistan"]
    known = (
        year(2015, 27.5),
        year(2016, 39.8),
        year(2017, 36.2),
        HistoryPoint(month_index(2018, 7), month_index(2018, 12), 20.0),
    )
    assert country.history_points == known
    observed = [(o.first, o.last, o.value) for o in country.observations()]
    assert observed == [tuple(p) for p in known]
    assert len(country.observations(month_index(2016, 12))) == 2
    assert len(country.observations(month_index(2030, 12))) == 4  # the file's as_of still holds
    model = compile_scenario(scenario).countries[0]
    assert model.history == known and model.statistic is None
    # the series as written keeps every point; only what was known by as_of is used
    assert country.judging_series.points[-1] == year(2019, 99.0)


def test_without_as_of_every_point_counts(scenario_file):
    country = load_scenario(scenario_file(UZ.replace("as_of: 2018-12\n", ""))).countries[
        "uzbekistan"
    ]
    assert country.as_of is None
    assert country.history_points[-1] == year(2019, 99.0)
    assert country.baseline.value.params == (99.0,)


def test_an_explicit_baseline_is_kept_and_the_history_still_carried(scenario_file):
    text = UZ.replace("    target:", "    baseline: {value: 80 to 120, period: 2018}\n    target:")
    country = load_scenario(scenario_file(text)).countries["uzbekistan"]
    assert not country.baseline_from_history
    assert country.baseline.value.text == "80 to 120"
    assert len(country.history_points) == 4


def test_one_point_and_gaps_are_allowed(scenario_file):
    one = UZ.replace(
        "{2015: 27.5, 2016: 39.8, 2017: 36.2, 2018-07/2018-12: 20, 2019: 99}", "{2017: 36.2}"
    )
    assert load_scenario(scenario_file(one)).countries["uzbekistan"].history_points == (
        year(2017, 36.2),
    )
    gaps = UZ.replace(
        "{2015: 27.5, 2016: 39.8, 2017: 36.2, 2018-07/2018-12: 20, 2019: 99}",
        "{2000: 5, 2005: 9, 2009: 12, 2011: 20}",
    )
    points = load_scenario(scenario_file(gaps)).countries["uzbekistan"].history_points
    assert [p.first // 12 for p in points] == [2000, 2005, 2009, 2011]


def test_outcome_is_validated_and_kept_but_never_used_by_a_run(scenario_file):
    scenario = load_scenario(scenario_file(UZ))
    outcome = scenario.countries["uzbekistan"].outcome
    assert outcome.value == 403.9 and outcome.period.last == month_index(2024, 12)
    assert outcome.source == "Uzbek statistics"
    without = load_scenario(
        scenario_file(
            UZ.replace("    outcome: {value: 403.9, period: 2024, source: Uzbek statistics}\n", ""),
            "b.yaml",
        )
    )
    assert without.countries["uzbekistan"].outcome is None
    a = simulate(compile_scenario(scenario), 2000, 3).countries[0].window_total
    b = simulate(compile_scenario(without), 2000, 3).countries[0].window_total
    assert np.array_equal(a, b)


def test_years_may_be_numbers_when_the_data_come_from_python(tmp_path):
    data = {
        "name": "api",
        "countries": {
            "uz": {
                "history": {"values": {2015: 27.5, 2016: 39.8}},
                "target": {"value": 1000, "by": 2024},
                "growth": {"rate": "10%"},
            }
        },
    }
    context = {"fiscal_year_start": 7, "countries": {"uz"}, "routes": set(), "as_of": None}
    country = Scenario.model_validate(data, context=context).countries["uz"]
    assert country.history_points == (year(2015, 27.5), year(2016, 39.8))


def test_history_from_a_csv_file_next_to_the_scenario(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "uz.csv").write_text(
        '\ufeffPeriod, Value ,note\n2015,27.5,customs\n\n"2016-17", 39.8 ,"a, quoted note"\n'
        "2018-01/2018-06,20,\n",
        encoding="utf-8",
    )
    path = write(
        tmp_path,
        """\
        name: csv
        countries:
          uz:
            history: {source: customs, file: data/uz.csv}
            target: {value: 1000, by: 2024}
            growth: {rate: 10%}
        """,
    )
    country = load_scenario(path).countries["uz"]
    assert country.history_points == (
        year(2015, 27.5),
        HistoryPoint(month_index(2016, 7), month_index(2017, 6), 39.8),
        HistoryPoint(month_index(2018, 1), month_index(2018, 6), 20.0),
    )
    assert country.judging_series.file.path == "data/uz.csv"
    assert country.baseline.period.last == month_index(2018, 6)


def test_csv_problems_name_the_csv_file_its_line_and_column(tmp_path):
    (tmp_path / "data").mkdir()
    csv = tmp_path / "data" / "uz.csv"
    csv.write_text(
        "period,value\n2015,27.5\n2016,-3\n2014,5\n2016-13,1\n2017,1,2\n2018,\n, 4\n2019,$5M\n",
        encoding="utf-8",
    )
    path = write(
        tmp_path,
        """\
        name: csv
        countries:
          uz:
            history: {file: data/uz.csv}
            target: {value: 1000, by: 2024}
            growth: {rate: 10%}
        """,
    )
    assert problems(path) == [
        f"{csv}:3:6: countries.uz.history.file: must be above 0",
        f"{csv}:4:1: countries.uz.history.file: 2014 is listed after 2016; list the periods "
        "in order, oldest first",
        f"{csv}:5:1: countries.uz.history.file: '2016-13' is neither a month (YYYY-MM with MM "
        "01–12) nor a fiscal year (YYYY-YY with YY the year after, e.g. 2016-17)",
        f"{csv}:6:1: countries.uz.history.file: this row has 3 cells; the header has 2",
        f"{csv}:7:6: countries.uz.history.file: the value is empty",
        f"{csv}:8:1: countries.uz.history.file: the period is empty",
        f"{csv}:9:6: countries.uz.history.file: '$5M' has a unit in it; write a plain number in "
        "the file's unit (the top-level `unit`, USD million by default), e.g. 90",
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "",
            "{csv}: countries.uz.history.file: the file is empty; write a header "
            "period,value and a row per period",
        ),
        (
            "year,turnover\n2015,1\n",
            "{csv}:1:1: countries.uz.history.file: the header must "
            "name the columns period and value, e.g. period,value",
        ),
        ("period,value\n", "{csv}:1:1: countries.uz.history.file: no rows below the header"),
        (
            "period,value\n2015,1\n2015-07/2016-06,2\n",
            "{csv}:3:1: countries.uz.history.file: "
            "2015-07/2016-06 overlaps 2015; the periods of a series must not overlap",
        ),
    ],
)
def test_csv_file_level_problems(tmp_path, content, expected):
    csv = tmp_path / "uz.csv"
    csv.write_text(content, encoding="utf-8")
    path = write(
        tmp_path,
        """\
        name: csv
        countries:
          uz:
            history: {file: uz.csv}
            target: {value: 1000, by: 2024}
            growth: {rate: 10%}
        """,
    )
    assert problems(path) == [expected.format(csv=csv)]


def test_a_missing_csv_file_is_reported_at_its_field(tmp_path):
    path = write(
        tmp_path,
        """\
        name: csv
        countries:
          uz:
            history: {file: data/none.csv}
            target: {value: 1000, by: 2024}
            growth: {rate: 10%}
        """,
    )
    assert problems(path) == [
        f"{path}:4:21: countries.uz.history.file: no such file: {tmp_path / 'data' / 'none.csv'} "
        "(a path is read from the scenario file's folder)"
    ]


def test_golden_messages_for_history_rules(scenario_file):
    path = scenario_file(
        """\
        name: rules
        as_of: 2018-12
        countries:
          a:
            history:
              values: {2015: 27.5, 2014: 3, 2016-17: 0, 2016: x, 2019-13: 4}
            target: {value: 1000, by: 2024, statistic: customs}
          b:
            history: {values: {2015: 1}, file: x.csv, sauce: y}
            target: {value: 1000, by: 2024}
          c:
            history: {source: s}
            target: {value: 1000, by: 2024}
          d:
            history: {values: {2019: 5}}
            target: {value: 1000, by: 2024}
          e:
            history: {values: {2019: 5}}
            baseline: {value: 3, period: 2019}
            target: {value: 1000, by: 2024}
            growth: {rate: 10%}
          f:
            history: {values: {2015: 5, 2017: 6}}
            target: {value: 1000, by: 2016}
            growth: {rate: 10%}
          g:
            target: {value: 1000, by: 2024}
          h:
            history: 5
            target: {value: 1000, by: 2024}
            outcome: {value: 0, period: 2024-13}
        """
    )
    assert problems(path) == [
        f"{path}:6:28: countries.a.history.values.2014: 2014 is listed after 2015; list the "
        "periods in order, oldest first",
        f"{path}:6:46: countries.a.history.values.2016-17: must be above 0",
        f"{path}:6:49: countries.a.history.values.2016: 2016 overlaps 2016-17 "
        "(2016-07/2017-06); the periods of a series must not overlap",
        f"{path}:6:55: countries.a.history.values.2016: 'x' is not a number or a percentage",
        f"{path}:6:58: countries.a.history.values.2019-13: '2019-13' is neither a month "
        "(YYYY-MM with MM 01–12) nor a fiscal year (YYYY-YY with YY the year after, e.g. "
        "2019-20)",
        f"{path}:7:48: countries.a.target.statistic: unknown statistic 'customs'; the history's "
        "series has no statistic name",
        f"{path}:9:40: countries.b.history.file: no such file: {path.parent / 'x.csv'} (a path "
        "is read from the scenario file's folder)",
        f"{path}:9:40: countries.b.history.file: give values or file, not both",
        f"{path}:9:47: countries.b.history.sauce: unknown field 'sauce' (did you mean 'source'?)",
        f"{path}:12:5: countries.c.history: a history series needs values (period: value) or "
        "file (a CSV file)",
        f"{path}:15:14: countries.d.history: every value of the history ends after as_of "
        "(2018-12), so the baseline and growth cannot come from it; give them in the file",
        f"{path}:19:34: countries.e.baseline.period: the baseline period ends in 2019-12, after "
        "as_of (2018-12); data dated later are ignored",
        f"{path}:24:31: countries.f.target.by: the deadline ends in 2016-12, before the baseline "
        "period ends (2017-12, the history's last value)",
        f"{path}:26:3: countries.g.baseline: is required",
        f"{path}:26:3: countries.g.growth: is required",
        f"{path}:29:14: countries.h.history: expected a series (source, values or file) or a "
        "list of series, each with a statistic name",
        f"{path}:31:22: countries.h.outcome.value: must be above 0",
        f"{path}:31:33: countries.h.outcome.period: '2024-13' is neither a month (YYYY-MM with "
        "MM 01–12) nor a fiscal year (YYYY-YY with YY the year after, e.g. 2024-25)",
    ]


def test_without_history_baseline_and_growth_are_required_as_before(scenario_file):
    path = scenario_file(
        """\
        name: bare
        countries:
          kz:
            target: {value: 1000, by: 2028}
        """
    )
    assert problems(path) == [
        f"{path}:3:3: countries.kz.baseline: is required",
        f"{path}:3:3: countries.kz.growth: is required",
    ]


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2018", "2018 is a year; as_of is a month: write 2018-12 for the end of 2018"),
        ("2018-13", "'2018-13' is not a month: the month number must be 01–12"),
        ("2018-12-31", "'2018-12-31' is not a month; write YYYY-MM, e.g. 2025-10"),
        ("[2018]", "expected a month, YYYY-MM, e.g. 2018-12"),
    ],
)
def test_as_of_is_a_month(scenario_file, as_of, message):
    path = scenario_file(UZ.replace("as_of: 2018-12", f"as_of: {as_of}"))
    assert problems(path) == [f"{path}:2:8: as_of: {message}"]


SERIES = """\
name: two statistics
as_of: 2024-12
countries:
  kz:
    history:
      - statistic: Kazakh customs
        source: Kazakh customs
        values: {2022: 100, 2023: 120, 2024: 150}
      - statistic: State Bank of Pakistan
        values: {2022: 60, 2023: 70}
    target: {value: 1000, by: 2028, statistic: State Bank of Pakistan}
    growth: {rate: 10%}
"""


def test_the_named_statistic_judges_the_target(scenario_file):
    scenario = load_scenario(scenario_file(SERIES))
    country = scenario.countries["kz"]
    assert len(country.series) == 2
    assert country.statistic == "State Bank of Pakistan"
    assert country.history_points == (year(2022, 60.0), year(2023, 70.0))
    assert country.baseline.value.params == (70.0,) and country.baseline.source is None
    model = compile_scenario(scenario).countries[0]
    assert model.statistic == "State Bank of Pakistan"
    assert model.history == (year(2022, 60.0), year(2023, 70.0))


def test_golden_messages_for_statistics(scenario_file):
    path = scenario_file(
        """\
        name: statistics
        countries:
          kz:
            history:
              - {statistic: customs, values: {2022: 100}}
              - {statistic: sbp, values: {2022: 60}}
            target: {value: 1000, by: 2028}
            growth: {rate: 10%}
          uz:
            history:
              - {statistic: customs, values: {2022: 100}}
              - {statistic: customs, values: {2022: 60}}
              - {values: {2022: 60}}
            target: {value: 1000, by: 2028, statistic: custom}
            growth: {rate: 10%}
          tj:
            baseline: {value: 5, period: 2022}
            target: {value: 1000, by: 2028, statistic: customs}
            growth: {rate: 10%}
          kg:
            history: []
            target: {value: 1000, by: 2028}
            growth: {rate: 10%}
        """
    )
    assert problems(path) == [
        f"{path}:7:5: countries.kz.target.statistic: is required: the history has 2 series; "
        "name the one that judges the target (customs, sbp)",
        f"{path}:12:21: countries.uz.history[1].statistic: 'customs' names an earlier series "
        "too; names must differ",
        f"{path}:13:9: countries.uz.history[2].statistic: is required in a list of series: "
        "name each one",
        f"{path}:14:48: countries.uz.target.statistic: unknown statistic 'custom' (did you mean "
        "'customs'?); the history's statistics: customs",
        f"{path}:18:48: countries.tj.target.statistic: names a history series, but the country "
        "has no history",
        f"{path}:21:14: countries.kg.history: needs at least one series",
    ]


def test_growth_omitted_is_fitted_from_the_judging_series(scenario_file, fitted):
    scenario = load_scenario(scenario_file(SERIES.replace("    growth: {rate: 10%}\n", "")))
    country = scenario.countries["kz"]
    assert fitted == [([tuple(year(2022, 60.0)), tuple(year(2023, 70.0))], month_index(2024, 12))]
    assert country.growth == Growth.model_validate(BLOCK)
    assert country.growth.long_run.text == "-2% to 12%"
    assert country.growth_fit.evidence == ["evidence"]
    model = compile_scenario(scenario).countries[0]
    assert model.half_life.text == "1 to 5" and model.volatility.params == (0.28,)
    outcomes = simulate(compile_scenario(scenario), 1000, 1)
    assert np.isfinite(outcomes.countries[0].window_total).all()


def test_fit_true_is_the_same_as_leaving_growth_out(scenario_file, fitted):
    omitted = load_scenario(scenario_file(UZ.replace("    growth: {rate: 10%}\n", "")))
    explicit = load_scenario(
        scenario_file(UZ.replace("growth: {rate: 10%}", "growth: {fit: true}"), "fit.yaml")
    )
    assert omitted.countries["uzbekistan"].growth == explicit.countries["uzbekistan"].growth
    assert fitted[0] == fitted[1] and fitted[0][1] == month_index(2018, 12)
    assert len(fitted[0][0]) == 4  # 2019 is after as_of
    unfitted = load_scenario(scenario_file(UZ, "explicit.yaml")).countries["uzbekistan"]
    assert unfitted.growth_fit is None


def test_golden_messages_for_fitting(scenario_file, fitted):
    path = scenario_file(
        """\
        name: fit
        countries:
          a:
            history: {values: {2015: 1}}
            target: {value: 1000, by: 2024}
            growth: {fit: true, rate: 10%}
          b:
            baseline: {value: 5, period: 2022}
            target: {value: 1000, by: 2028}
            growth: {fit: true}
          c:
            history: {values: {2015: 1}}
            target: {value: 1000, by: 2024}
            growth: {fit: "yes", rate: 10%}
          d:
            baseline: {value: 5, period: 2022}
            target: {value: 1000, by: 2028}
            growth: {fit: false}
        """
    )
    assert problems(path) == [
        f"{path}:6:19: countries.a.growth.fit: fit: true fits the whole growth block; remove "
        "rate, or fit",
        f"{path}:10:19: countries.b.growth.fit: fit: true fits growth to the country's history, "
        "but it has none",
        f"{path}:14:19: countries.c.growth.fit: expected true or false",
        f"{path}:18:5: countries.d.growth.rate: is required",
    ]


def test_a_fit_that_fails_is_a_problem_not_a_traceback(scenario_file, monkeypatch):
    def broken(history, as_of):
        return fit.GrowthFit({**BLOCK, "half_life": "0 to 5"}, [])

    monkeypatch.setattr(fit, "fit_growth", broken)
    path = scenario_file(UZ.replace("    growth: {rate: 10%}\n", ""))
    assert problems(path) == [
        f"{path}:6:7: countries.uzbekistan.history: the fitted growth block is not valid "
        "(half_life: '0 to 5': an interval for a positive quantity is read as a lognormal, so "
        "both ends must be above 0; for a range that starts at 0 write {uniform: {low: 0, high: "
        "5}} or {triangular: {low: 0, mode: ..., high: 5}})"
    ]

    def refusing(history, as_of):
        raise ValueError("no history point dated by as_of")

    monkeypatch.setattr(fit, "fit_growth", refusing)
    assert problems(path) == [
        f"{path}:6:7: countries.uzbekistan.history: growth cannot be fitted from this history: "
        "no history point dated by as_of"
    ]


def test_a_variant_can_move_the_information_date(scenario_file):
    path = scenario_file(
        UZ
        + """\
variants:
  in_2016:
    as_of: 2016-12
"""
    )
    scenario, variants = load_with_variants(path)
    earlier = variants[0].scenario.countries["uzbekistan"]
    assert earlier.baseline.value.params == (39.8,)
    assert earlier.history_points == (year(2015, 27.5), year(2016, 39.8))
    assert scenario.countries["uzbekistan"].baseline.value.params == (20.0,)


def test_a_history_baseline_counts_toward_the_simulated_years(scenario_file):
    path = scenario_file(
        """\
        name: long
        countries:
          uz:
            history: {values: {1905: 1}}
            target: {value: 1000, by: 2024}
            growth: {rate: 10%}
        """
    )
    assert problems(path) == [
        f"{path}:3:3: countries: this would simulate 119 years; sim simulates at most 100"
    ]


def test_schema_describes_the_new_fields():
    schema = json_schema()
    defs = schema["$defs"]
    assert schema["properties"]["as_of"]["examples"] == ["2018-12"]
    assert defs["Country"]["required"] == ["target"]
    for name in ("history", "outcome", "baseline", "growth"):
        field = defs["Country"]["properties"][name]
        assert field["description"] and field["examples"], name
    assert set(defs["Series"]["properties"]) == {"statistic", "source", "values", "file"}
    assert defs["Target"]["properties"]["statistic"]["description"]
    growth = defs["Growth"]["properties"]
    assert "1 to 5" in growth["half_life"]["examples"] and growth["long_run"]["description"]
    assert growth["fit"]["examples"] == [True]

"""Hostile and broken input: each gets one-line errors, exit status 2 and no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import VALID
from sim.cli import cli


def bad(**fields: str) -> str:
    """VALID with fields of the kz country (or the top level) replaced."""
    text = VALID
    for old, new in fields.items():
        old = old.replace("__", ": ")
        assert old in text, old
        text = text.replace(old, new)
    return text


def check(args: list[str], expected: str) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines and all(line.strip() for line in lines)
    assert any(expected in line for line in lines), lines
    return result.output


CATALOGUE = [
    # (name, file text or bytes, expected message)
    ("empty file", "", "the file is empty"),
    ("only comments", "# nothing\n# here\n", "the file is empty"),
    ("binary", b"\x7fELF\x00\x01\x02", "is a binary file, not a YAML scenario"),
    ("not UTF-8", "name: Almaty café\n".encode("cp1252"), "is not UTF-8 text"),
    ("YAML syntax error", "name: [unclosed\n", ":2:1: YAML syntax error:"),
    ("tabs", "name: x\ncountries:\n\tkz: {}\n", ":3:1: YAML syntax error: a tab character"),
    (
        "duplicate keys",
        VALID + "name: again\n",
        ":7:1: name: duplicate key (first given on line 1)",
    ),
    (
        "billion laughs",
        "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b, *b, *b]\n",
        "anchors and aliases (&name, *name) are not supported",
    ),
    ("nesting deep", "name: " + "[" * 300 + "]" * 300 + "\n", "nested more than 40 levels deep"),
    ("top level list", "- name: x\n", "the top level is a list"),
    ("top level string", "just words\n", "the top level is a single value"),
    ("no: as a key", VALID + "no: 1\n", ":7:1: no: unknown field 'no'"),
    ("on: as a key", VALID + "on: 1\n", ":7:1: on: unknown field 'on'"),
    ("a date", bad(**{"by__2028": "by: 2028-10-01"}), "'2028-10-01' is not a period"),
    ("1_000", bad(**{"value__1000": "value: 1_000"}), "write numbers without separators"),
    ("0x10", bad(**{"value__90": "value: 0x10"}), "'0x10' is not a number or a percentage"),
    (".inf", bad(**{"value__1000": "value: .inf"}), "'.inf' is not a finite number"),
    (".nan", bad(**{"value__90": "value: .nan"}), "'.nan' is not a finite number"),
    ("$90M", bad(**{"value__90": "value: $90M"}), "'$90M' has a unit in it"),
    ("90 million", bad(**{"value__90": "value: 90 million"}), "has a unit in it"),
    ("negative money", bad(**{"value__90": "value: -90"}), "baseline.value: must be above 0"),
    ("zero target", bad(**{"value__1000": "value: 0"}), "target.value: must be above 0"),
    (
        "deadline before baseline",
        bad(**{"by__2028": "by: 2024"}),
        "the deadline ends in 2024-12, before the baseline period ends (2025-07)",
    ),
    ("horizon centuries away", VALID + "horizon: 2190\n", "this would simulate 165 years"),
    ("horizon out of range", VALID + "horizon: 2500\n", "year 2500 in '2500' is outside"),
    ("bad fiscal_year_start", "fiscal_year_start: 13\n" + VALID, "must be at most 12"),
]

ROUTES = """\
routes:
  r: {}
  s: {}
"""


def with_routes(country_routes: str, events: str = "") -> str:
    return (
        VALID.replace(
            "    growth: {rate: 40% to 120%}\n",
            f"    growth: {{rate: 40% to 120%}}\n    routes: {country_routes}\n",
        )
        + ROUTES
        + events
    )


CATALOGUE += [
    (
        "route share of 1.5",
        with_routes("{r: 1.5, s: -0.5}"),
        "routes.r: must be between 0% and 100%",
    ),
    ("shares not summing to 1", with_routes("{r: 0.5, s: 0.4}"), "route shares must sum to 1"),
    (
        "probability above 100%",
        with_routes(
            "{r: 1}",
            "events:\n  e: {routes: [r], start: 2026-01, probability: 150%, severity: 1}\n",
        ),
        "events.e.probability: must be between 0% and 100%",
    ),
    (
        "event lasting 0 months",
        with_routes("{r: 1}", "events:\n  e: {routes: [r], rate: 2, duration: 0, severity: 1}\n"),
        "events.e.duration: must be above 0",
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in CATALOGUE], ids=[c[0] for c in CATALOGUE]
)
def test_bad_file(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    for command in ("validate", "run"):
        output = check([command, str(path)], expected)
        assert all(line.startswith(str(path)) for line in output.splitlines())


def test_missing_file_and_directory(tmp_path):
    check(["run", str(tmp_path / "nope.yaml")], f"{tmp_path / 'nope.yaml'}: no such file")
    check(["validate", str(tmp_path)], f"{tmp_path}: is a directory, not a scenario file")


def test_file_over_one_mebibyte(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(VALID + "# " + "x" * (1024 * 1024) + "\n")
    check(["validate", str(path)], "is larger than 1 MiB, the limit for scenario files")


def test_thousands_of_problems_are_counted_not_all_printed(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("name: x\ncountries:\n" + "".join(f"  c{i}: {{}}\n" for i in range(150)))
    output = check(["validate", str(path)], "... and 350 more problems")
    assert len(output.splitlines()) == 101


def test_thousands_of_countries_are_refused_at_once(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("name: x\ncountries:\n" + "".join(f"  c{i}: {{}}\n" for i in range(5000)))
    check(["validate", str(path)], ":3:3: countries: 5,000 entries; sim takes at most 200")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--paths", "0"], "Invalid value for '--paths'"),
        (["--paths", "-5"], "Invalid value for '--paths'"),
        (["--paths", "many"], "Invalid value for '--paths'"),
        (["--seed", "-1"], "Invalid value for '--seed'"),
        (["--paths", "100000000000"], "use fewer paths, or add --force"),
    ],
)
def test_bad_options(tmp_path, options, expected):
    path = tmp_path / "ok.yaml"
    path.write_text(VALID)
    check(["run", str(path), *options], expected)


def test_scenario_paths_are_never_followed(tmp_path):
    # Text that looks like a path or a command is just text.
    path = tmp_path / "s.yaml"
    path.write_text(VALID.replace("name: ok", "name: $(rm -rf /) ../../etc/passwd !!python"))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0
    tagged = tmp_path / "t.yaml"
    tagged.write_text("name: !!python/object/apply:os.system ['echo hi']\n")
    result = CliRunner().invoke(cli, ["validate", str(tagged)])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_devices_and_pipes_are_refused_without_reading(tmp_path):
    import os

    check(["validate", "/dev/zero"], "/dev/zero: is not a regular file")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    check(["validate", str(fifo)], "is not a regular file")


def test_numbers_sim_cannot_compute_are_refused_naming_the_field(tmp_path):
    # The magnitude rule (README): trade that could leave 1e-300..1e300 a year is refused at
    # validation, where the field is named, not run into infinities and null turnovers.
    path = tmp_path / "absurd.yaml"
    path.write_text(
        VALID.replace("value: 90,", 'value: "1e-300 to 1e300",').replace(
            "rate: 40% to 120%", 'rate: "900% to 1e302%"'
        )
    )
    for command in ("validate", "run"):
        check([command, str(path)], "countries.kz.baseline.value: its most extreme draws")

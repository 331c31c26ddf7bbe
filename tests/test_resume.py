"""Resumed sweeps verify what they read: each saved row carries a checksum; a row that fails
it, is cut short, is not UTF-8, repeats or contradicts another is reported with its line and
its point simulated again, while every good row is kept."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from conftest import write
from sim.analysis.sweep import checksum, header, read_saved
from sim.cli import cli
from sim.errors import SettingError

SCENARIO = """\
name: resume
countries:
  a:
    baseline: {value: 120, period: 2025}
    target: {value: 300, by: 2027}
    growth: {rate: 20% to 60%, volatility: 20%}
  b:
    baseline: {value: 50, period: 2025}
    target: {value: 100, by: 2027}
    growth: {rate: 10% to 40%}
"""
SETTING = "countries.a.target.value=250,300,350"
AGAIN = "its point is simulated again"


@pytest.fixture
def sweep(tmp_path, monkeypatch):
    """``sweep()`` runs the CSV sweep into out.csv: (result, points simulated)."""
    import sim.engine.run

    path = write(tmp_path, SCENARIO)
    output = tmp_path / "out.csv"
    real = sim.engine.run.simulate

    def run():
        simulated = []
        monkeypatch.setattr(
            sim.engine.run, "simulate", lambda *a, **k: simulated.append(1) or real(*a, **k)
        )
        arguments = ["sweep", str(path), "--set", SETTING, "--paths", "3000", "--format", "csv"]
        result = CliRunner().invoke(cli, [*arguments, "-o", str(output)])
        return result, len(simulated)

    return run, output


def lines_of(output):
    return output.read_bytes().split(b"\n")


def test_every_row_ends_with_a_checksum_of_the_others(sweep):
    run, output = sweep
    result, simulated = run()
    assert result.exit_code == 0 and simulated == 3
    rows = list(csv.reader(io.StringIO(output.read_text())))
    assert rows[0][-1] == "checksum" and len(rows) == 7
    assert all(row[-1] == checksum(row[:-1]) and len(row[-1]) == 16 for row in rows[1:])
    again, simulated = run()
    assert (again.exit_code, again.stderr, simulated) == (0, "", 0)  # all trusted


def damage(output, change):
    lines = lines_of(output)
    change(lines)
    output.write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda lines: lines.__setitem__(3, lines[3].replace(b",3000,", b",30000,")),
            ["out.csv:4: does not match its checksum (edited or damaged); " + AGAIN],
        ),
        (
            lambda lines: lines.__setitem__(3, lines[3][:8] + b"\xff\xfe" + lines[3][10:]),
            ["out.csv:4: holds bytes that are not UTF-8 text (damaged); " + AGAIN],
        ),
        (
            lambda lines: lines.__setitem__(slice(-2, None), [lines[-2][:30]]),
            ["out.csv:7: the file ends inside this row (cut short); its point is simulated again"],
        ),
        (
            lambda lines: lines.insert(3, lines[1]),
            ["out.csv:4: repeats line 2; left out"],
        ),
        (
            lambda lines: lines.__delitem__(4),
            ["out.csv:4: this point has no row for b; it is simulated again"],
        ),
    ],
    ids=["tampered", "not-utf8", "truncated", "duplicate", "missing-country"],
)
def test_a_damaged_row_is_reported_and_its_point_simulated_again(sweep, change, expected):
    run, output = sweep
    run()
    good = output.read_bytes()
    damage(output, change)
    result, simulated = run()
    assert result.exit_code == 0, result.output
    shown = [f"sim: warning: {output}{e.removeprefix('out.csv')}" for e in expected]
    assert result.stderr.splitlines() == shown
    assert simulated == (0 if "repeats" in expected[0] else 1)  # every good row is kept
    assert output.read_bytes() == good


def test_contradicting_rows_are_both_reported(sweep):
    run, output = sweep
    run()
    good = output.read_bytes()
    rows = list(csv.reader(io.StringIO(output.read_text())))
    forged = rows[1][:-1]
    forged[3] = "0.5"  # another probability, with a checksum that holds
    with output.open("a") as stream:
        stream.write(",".join([*forged, checksum(forged)]) + "\n")
    result, simulated = run()
    assert result.exit_code == 0
    assert "out.csv:8: gives another result than line 2 for the same point and country" in (
        result.stderr
    )
    assert simulated == 1 and output.read_bytes() == good


def test_a_file_that_is_not_this_sweep_is_never_overwritten(sweep):
    run, output = sweep
    output.write_text("name,notes\nmine,keep me\n")
    result, simulated = run()
    assert result.exit_code == 2 and simulated == 0
    assert "holds another sweep or another file (columns name, notes)" in result.output
    assert output.read_text() == "name,notes\nmine,keep me\n"


def test_a_header_cut_short_starts_afresh(sweep):
    run, output = sweep
    output.write_text(",".join(header(["countries.a.target.value"]))[:20])
    result, simulated = run()
    assert result.exit_code == 0 and simulated == 3
    assert "out.csv:1: the file ends inside its header (cut short)" in result.stderr


def test_read_saved_keeps_rows_in_the_order_of_the_countries():
    fields = ["x"]
    rows = []
    for country in ("b", "a"):  # saved in another order
        cells = ["1", country, country, "0.5", "0.4", "0.6", "5", "10", "0", "plain", "h", "v", "n"]
        rows.append(",".join([*cells, checksum(cells)]))
    data = (",".join(header(fields)) + "\n" + "\n".join(rows) + "\n").encode()
    saved = read_saved(data, fields, ["a", "b"])
    assert [row[1] for row in saved.rows] == ["a", "b"] and saved.problems == []
    with pytest.raises(SettingError):
        read_saved(b"other,file\n", fields, ["a"])

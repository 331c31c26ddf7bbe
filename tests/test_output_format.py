"""--format from --output's extension (docs/cli.md, "Output formats"): one rule, in
sim.cli.output_format, for every command that writes a result."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim.cli import EXTENSIONS, cli, output_format

ROOT = Path(__file__).resolve().parent.parent

SMALL = """\
name: Small
seed: 11
paths: 2000
countries:
  kz:
    label: Kazakhstan
    baseline: {value: 85 to 140, period: 2025-01/2025-07}
    target: {value: 600, by: 2027}
    growth: {rate: 10% to 120%, volatility: 25%, noise: 15%}
events:
  squeeze:
    rate: 0.3 to 1
    duration: 3 to 9
    level: -40% to -10%
variants:
  faster:
    countries.kz.growth.rate: 40% to 150%
"""


@pytest.fixture
def small(scenario_file):
    return scenario_file(SMALL, "small.yaml")


def commands(small: Path) -> dict[str, list[str]]:
    """Each command that writes a result, with the arguments of a short run."""
    return {
        "run": ["run", str(small)],
        "compare": ["compare", str(small)],
        "explain": ["explain", str(small), "--paths", "1000"],
        "solve": ["solve", str(small), "--probability", "50%", "--for", "target"],
        "sweep": ["sweep", str(small), "--set", "countries.kz.target.value=500,700"],
        "fit": ["fit", str(ROOT / "scenarios" / "kyrgyzstan.yaml")],
        "backtest": ["backtest", str(ROOT / "backtests" / "kaz_uzb_2017.yaml"), "--paths", "1000"],
    }


COMMANDS = ["run", "compare", "explain", "solve", "sweep", "fit", "backtest"]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_rule_itself():
    assert output_format(None, None) == "table"
    assert output_format("csv", None) == "csv"
    assert output_format(None, Path("odds.json")) == "json"
    assert output_format(None, Path("odds.CSV")) == "csv"
    assert output_format(None, Path("odds.md")) == "markdown"
    assert output_format(None, Path("odds.markdown")) == "markdown"
    assert output_format(None, Path("odds.txt")) == "table"
    assert output_format(None, Path("/dev/stdout")) == "table"  # nothing to read a format from
    assert output_format("json", Path("odds.json")) == "json"
    assert output_format("markdown", Path("odds.txt")) == "markdown"  # plain text takes any
    assert output_format("json", Path("odds.dat")) == "json"  # --format says what .dat holds
    with pytest.raises(click.UsageError, match=r"no format is known for '\.dat' files"):
        output_format(None, Path("odds.dat"))
    with pytest.raises(click.UsageError, match=r"--format csv contradicts --output x\.json"):
        output_format("csv", Path("x.json"))


def test_the_docs_list_every_extension():
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    listed = {
        extension: fmt
        for row in page.splitlines()
        if row.startswith("| `.")
        for cells in [[c.strip() for c in row.strip("|").split("|")]]
        for extension in cells[0].replace("`", "").split(", ")
        for fmt in [cells[1].split("`")[1]]
    }
    assert listed == EXTENSIONS


@pytest.mark.parametrize(
    "command", ["run", "compare", "explain", "solve", "sweep", "fit", "backtest"]
)
def test_every_command_writes_what_the_extension_names(small, tmp_path, command):
    args = commands(small)[command]
    written = tmp_path / "out.json"
    result = invoke(*args, "-o", str(written))
    assert result.exit_code == 0, result.output
    document = json.loads(written.read_text(encoding="utf-8"))
    assert document["sim_version"]
    table = tmp_path / "out.csv"
    assert invoke(*args, "-o", str(table)).exit_code == 0
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    assert len(rows) >= 2 and len({len(row) for row in rows}) == 1  # a header and even rows


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("odds.md", lambda text: "| Country |" in text and "|---|" in text),
        ("odds.markdown", lambda text: "|---|" in text),
        ("odds.txt", lambda text: "P(target)" in text and "|---|" not in text),
        ("odds", lambda text: "P(target)" in text and "|---|" not in text),
    ],
)
def test_text_formats_from_the_extension(small, tmp_path, name, check):
    written = tmp_path / name
    assert invoke("run", str(small), "-o", str(written)).exit_code == 0
    text = written.read_text(encoding="utf-8")
    assert check(text), text
    assert not text.lstrip().startswith("{")


@pytest.mark.parametrize(
    "command", ["run", "compare", "explain", "solve", "sweep", "fit", "backtest"]
)
def test_an_unknown_extension_is_one_line_that_lists_the_known_ones(small, tmp_path, command):
    written = tmp_path / "odds.xlsx"
    result = invoke(*commands(small)[command], "-o", str(written))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output == (
        f"sim: --output {written}: no format is known for '.xlsx' files; name it .json, .csv, "
        f".md, .markdown, .txt, or give --format (see sim {command} --help)\n"
    )
    assert not written.exists()


@pytest.mark.parametrize(
    "command", ["run", "compare", "explain", "solve", "sweep", "fit", "backtest"]
)
def test_a_format_that_contradicts_the_extension_is_refused(small, tmp_path, command):
    written = tmp_path / "x.json"
    result = invoke(*commands(small)[command], "--format", "csv", "-o", str(written))
    assert result.exit_code == 2
    assert result.output == (
        f"sim: --format csv contradicts --output {written} (.json is json); drop --format, or "
        f"change the extension (see sim {command} --help)\n"
    )
    assert not written.exists()


def test_a_given_format_goes_into_any_other_file(small, tmp_path):
    data = tmp_path / "odds.dat"
    assert invoke("run", str(small), "--format", "json", "-o", str(data)).exit_code == 0
    assert json.loads(data.read_text(encoding="utf-8"))["runs"][0]["paths"] == 2000
    text = tmp_path / "odds.txt"
    assert invoke("run", str(small), "--format", "csv", "-o", str(text)).exit_code == 0
    assert text.read_text(encoding="utf-8").startswith("scenario,")


def test_a_csv_sweep_output_is_resumable_without_format(small, tmp_path):
    written = tmp_path / "sweep.csv"
    args = ["sweep", str(small), "--set", "countries.kz.target.value=500,700", "-o", str(written)]
    assert invoke(*args).exit_code == 0
    header = written.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[-1] == "checksum"
    # read back before it is written (resumable), not replaced: another grid is refused
    again = invoke(*args, "--set", "countries.kz.target.by=2027,2028")
    assert again.exit_code == 2
    assert f"sim: --output {written}: holds another sweep or another file" in again.output
    json_output = tmp_path / "sweep.json"  # not resumable: replaced whatever it holds
    json_output.write_text(written.read_text(encoding="utf-8"), encoding="utf-8")
    replaced = invoke(*args[:-1], str(json_output), "--set", "countries.kz.target.by=2027,2028")
    assert replaced.exit_code == 0, replaced.output
    (sweep,) = json.loads(json_output.read_text(encoding="utf-8"))["sweep"]
    assert len(sweep["points"]) == 4  # the 2 x 2 grid

"""Outputs never destroy inputs or system files (README, "Commands").

An output (``--output``, ``--samples``, ``plot -o``) that is, or leads to, a file the command
reads is refused before any work, and so is a directory, a socket or a block device; a
character device or a pipe is written into directly, never replaced; a regular file is
replaced atomically. An existing regular file that is not an input is replaced (the choice
the README states), keeping its mode.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import VALID
from sim.cli import cli

HISTORY = """\
name: with history
countries:
  kz:
    history: {file: kz.csv}
    target: {value: 1000, by: 2028}
    growth: {rate: 40% to 120%}
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(VALID)
    return path


def refused(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and expected in result.output, result.output


RUN = ["run", "--paths", "500"]


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{s}", "--paths", "500", "-o", "{s}"],
        ["run", "{s}", "--paths", "500", "--samples", "{s}"],
        ["compare", "{s}", "-o", "{s}"],
        ["explain", "{s}", "-o", "{s}"],
        ["solve", "{s}", "--probability", "0.5", "--for", "target", "-o", "{s}"],
        ["sweep", "{s}", "--set", "countries.kz.target.by=2028", "--format", "json", "-o", "{s}"],
        ["sweep", "{s}", "--set", "countries.kz.target.by=2028", "--format", "csv", "-o", "{s}"],
        ["plot", "{s}", "-o", "{s}"],
        ["fit", "{s}", "-o", "{s}"],
        ["backtest", "{s}", "-o", "{s}"],
    ],
    ids=lambda a: f"{a[0]}-{a[-2]}",
)
def test_an_input_is_never_an_output(scenario, args):
    args = [a.replace("{s}", str(scenario)) for a in args]
    refused(args, f"{scenario}: is the input file {scenario}; write to another file")
    assert scenario.read_text() == VALID


def test_links_to_an_input_are_refused(scenario, tmp_path):
    (tmp_path / "soft.yaml").symlink_to(scenario)
    os.link(scenario, tmp_path / "hard.yaml")
    (tmp_path / "chain.yaml").symlink_to(tmp_path / "soft.yaml")
    for name in ("soft.yaml", "hard.yaml", "chain.yaml"):
        refused([*RUN[:1], str(scenario), "-o", str(tmp_path / name)], "is the input file")
    # the input named through a link is still the input
    refused(["run", str(tmp_path / "soft.yaml"), "-o", str(scenario)], "is the input file")
    assert scenario.read_text() == VALID


def test_a_plot_whose_default_name_is_its_input_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("s.png").write_text(VALID)  # a scenario file named .png: the chart's default name
    refused(["plot", "s.png"], "the chart s.png: is the input file s.png")
    assert Path("s.png").read_text() == VALID


def test_history_files_are_inputs_too(tmp_path):
    (tmp_path / "kz.csv").write_text("period,value\n2023,100\n2024,120\n")
    path = tmp_path / "h.yaml"
    path.write_text(HISTORY)
    before = (tmp_path / "kz.csv").read_text()
    result = CliRunner().invoke(
        cli, ["run", str(path), "--paths", "500", "-o", str(tmp_path / "kz.csv")]
    )
    assert result.exit_code == 2, result.output
    assert f"is the input file {tmp_path / 'kz.csv'}" in result.output
    assert (tmp_path / "kz.csv").read_text() == before


def test_two_outputs_cannot_be_one_file(scenario, tmp_path):
    out = tmp_path / "out.csv"
    refused(["run", str(scenario), "-o", str(out), "--samples", str(out)], "is also the --output")


@pytest.mark.parametrize(
    "kind", ["directory", "socket", "loop", "missing-folder", "file-as-folder"]
)
def test_outputs_that_are_not_files_are_refused(scenario, tmp_path, kind):
    out = tmp_path / "out"
    expected = {
        "directory": "is a directory",
        "socket": "is not a regular file, a character device or a pipe",
        "loop": "too many levels of symbolic links",
        "missing-folder": "does not exist",
        "file-as-folder": "not a directory",
    }[kind]
    if kind == "directory":
        out.mkdir()
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(out))
    elif kind == "loop":
        out.symlink_to(tmp_path / "other")
        (tmp_path / "other").symlink_to(out)
    elif kind == "missing-folder":
        out = tmp_path / "nowhere" / "out.csv"
    else:
        out = scenario / "out.csv"
    refused(["run", str(scenario), "--paths", "500", "-o", str(out)], expected)


@pytest.mark.parametrize("path", ["/proc/sys/kernel/hostname", "/proc/sim-new", "/sys/sim-new"])
def test_kernel_files_are_refused(scenario, path):
    refused(["run", str(scenario), "--paths", "500", "-o", path], "is a system file")


def test_a_block_device_is_refused(scenario):
    devices = [
        d for d in ("/dev/loop0", "/dev/sda", "/dev/vda", "/dev/nvme0n1") if os.path.exists(d)
    ]
    if not devices or not stat.S_ISBLK(os.stat(devices[0]).st_mode):
        pytest.skip("no block device here")
    refused(["run", str(scenario), "-o", devices[0]], "is not a regular file")


def test_dev_null_stays_a_device(scenario):
    before = os.stat("/dev/null")
    result = CliRunner().invoke(cli, ["run", str(scenario), "--paths", "500", "-o", "/dev/null"])
    assert result.exit_code == 0 and result.output == ""
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_dev_stdout_into_a_pipe_and_a_fifo_are_written_directly(scenario, tmp_path):
    command = [sys.executable, "-m", "sim", "run", str(scenario), "--paths", "500"]
    piped = subprocess.run(
        [*command, "--format", "csv", "-o", "/dev/stdout"], capture_output=True, text=True
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith("scenario,file,country") and piped.stderr == ""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen([*command, "--format", "json", "-o", str(fifo)])
    with open(fifo) as stream:
        assert '"runs"' in stream.read()
    assert writer.wait(timeout=60) == 0
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dev_stdout_into_a_closed_pipe_is_one_line(scenario):
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(scenario), "--paths", "500", "-o", "/dev/stdout"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader goes away before anything is written
    stderr = process.stderr.read() if process.stderr else ""
    assert process.wait(timeout=60) == 1
    assert (
        stderr
        == "sim: --output /dev/stdout: the reader closed the pipe; the output is incomplete\n"
    )


def test_an_existing_file_that_is_not_an_input_is_replaced_atomically(scenario, tmp_path):
    # The choice: sim replaces it, as the shell's > would, keeping its mode.
    out = tmp_path / "last-week.json"
    out.write_text("last week's results")
    out.chmod(0o640)
    result = CliRunner().invoke(
        cli, ["run", str(scenario), "--paths", "500", "--format", "json", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("{") and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last-week.json", "s.yaml"]


def test_a_link_to_another_file_is_written_through(scenario, tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    (tmp_path / "link.json").symlink_to(target)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(scenario),
            "--paths",
            "500",
            "--format",
            "json",
            "-o",
            str(tmp_path / "link.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "link.json").is_symlink() and target.read_text().startswith("{")

"""Help that shows how: every command's --help ends with examples on the shipped files, and
each example parses as sim would read it; shell completion as docs/cli.md says."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim.cli import cli, output_format

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["sim", *sorted(cli.commands)]
ENVIRONMENT = {**os.environ, "COLUMNS": "80"}  # help wraps to the terminal's width


def help_text(name: str) -> str:
    args = ["--help"] if name == "sim" else [name, "--help"]
    result = CliRunner().invoke(cli, args, terminal_width=80, prog_name="sim")
    assert result.exit_code == 0, result.output
    return result.output


def examples(text: str) -> list[str]:
    """The invocations in a help text's Examples block (a backslash goes on to the next line)."""
    block = text.split("\n  Examples:\n", 1)[1].split("\n\n", 1)[0]
    return [" ".join(line.split()) for line in block.replace("\\\n", " ").splitlines()]


def parsed(example: str) -> tuple[click.Command, click.Context]:
    """The command an example calls and its context, every option converted as sim converts it
    (the command itself is not run)."""
    words = shlex.split(example, comments=True)
    if ">" in words:  # the shell's redirection, not an argument
        words = words[: words.index(">")]
    assert words[0] == "sim", example
    command = cli.commands[words[1]]
    return command, command.make_context(f"sim {words[1]}", words[2:])


@pytest.mark.parametrize("name", NAMES)
def test_every_help_ends_with_examples_that_parse(name):
    text = help_text(name)
    found = examples(text)
    assert 2 <= len(found) <= 3, found
    assert text.rstrip().endswith(found[-1].split()[-1]) or name == "sim"
    for example in found:
        command, context = parsed(example)
        assert name in ("sim", command.name), example
        with context:
            params = context.params
        files = params.get("scenarios") or params.get("sources") or [params.get("scenario")]
        for file in (f for f in files if f is not None):
            assert (ROOT / file).exists(), f"{example}: no {file}"
        if "fmt" in params:  # the format --output's extension names, or the one given
            assert output_format(params["fmt"], params["output"]) in (
                "table",
                "markdown",
                "csv",
                "json",
            )


def test_examples_read_the_probability_as_written():
    (_, context), *_ = [parsed(e) for e in examples(help_text("solve"))]
    assert context.params["probability"] == 0.5  # "--probability 50%"


def test_help_fits_80_columns():
    for name in NAMES:
        for line in help_text(name).splitlines():
            assert len(line) <= 80, f"sim {name} --help: {line}"


def test_python_dash_m_sim_shows_the_same_help():
    script = Path(sys.executable).with_name("sim")
    if not script.exists():
        pytest.skip("the sim script is not installed beside this Python")
    by_module = subprocess.run(
        [sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, env=ENVIRONMENT
    )
    by_script = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, env=ENVIRONMENT
    )
    assert by_module.returncode == by_script.returncode == 0
    assert by_module.stdout == by_script.stdout
    assert by_module.stdout.startswith("Usage: sim [OPTIONS] COMMAND [ARGS]...")
    assert "sim solve scenarios/kyrgyzstan.yaml --probability 50% --for growth.rate" in (
        by_module.stdout
    )


def completion(*, variable: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim"],
        capture_output=True,
        text=True,
        env={**os.environ, "_SIM_COMPLETE": variable, **environment},
    )


def test_bash_completion_script_and_its_answers():
    script = completion(variable="bash_source")
    assert script.returncode == 0 and script.stderr == ""
    assert "_sim_completion() {" in script.stdout
    assert "complete -o nosort -F _sim_completion sim" in script.stdout
    # what the script asks sim for as a user types `sim ru<TAB>` and `sim solve x --pro<TAB>`
    command = completion(variable="bash_complete", COMP_WORDS="sim ru", COMP_CWORD="1")
    assert command.stdout.split() == ["plain,run"]
    option = completion(
        variable="bash_complete", COMP_WORDS="sim solve x.yaml --pro", COMP_CWORD="3"
    )
    assert option.stdout.split() == ["plain,--probability"]
    choice = completion(variable="bash_complete", COMP_WORDS="sim run x --format ", COMP_CWORD="4")
    assert choice.stdout.split() == ["plain,table", "plain,markdown", "plain,csv", "plain,json"]


@pytest.mark.parametrize(("shell", "marker"), [("zsh", "#compdef sim"), ("fish", "complete")])
def test_zsh_and_fish_scripts(shell, marker):
    script = completion(variable=f"{shell}_source")
    assert script.returncode == 0
    assert marker in script.stdout and "_SIM_COMPLETE" in script.stdout


def test_the_docs_give_each_shell_its_line():
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = page.split("## Shell completion", 1)[1]
    assert 'eval "$(_SIM_COMPLETE=bash_source sim)"' in section
    assert 'eval "$(_SIM_COMPLETE=zsh_source sim)"' in section
    assert "_SIM_COMPLETE=fish_source sim | source" in section
    assert re.search(r"_SIM_COMPLETE=bash_source sim\)", help_text("sim"))


@pytest.mark.parametrize("name", NAMES)
def test_every_example_runs(name, tmp_path, monkeypatch):
    """Each example, run as written from the repository's folder (its outputs go to a
    temporary folder), on fewer paths: the files have the fields and variants it names."""
    for folder in ("scenarios", "backtests"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    for example in examples(help_text(name)):
        words = shlex.split(example, comments=True)
        if ">" in words:  # the shell's redirection: what is printed is checked instead
            words = words[: words.index(">")]
        command = cli.commands[words[1]]
        options = {o for p in command.params for o in p.opts}
        if "--precision" in words:
            words += ["--max-paths", "8192"]
        elif "--paths" in options and "--paths" not in words:
            words += ["--paths", "1000"]
        result = CliRunner().invoke(cli, words[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{example}: {result.output}"
        if "-o" in words:  # the file named, written
            assert (tmp_path / words[words.index("-o") + 1]).stat().st_size > 0, example
        else:  # printed (what `> FILE` would keep)
            assert result.output.strip(), example

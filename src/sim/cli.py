"""The command line: ``sim run`` and ``sim validate``. The only place that prints or exits.

Heavy modules (numpy, scipy, pydantic, rich) are imported inside the commands so that
``sim --help`` starts quickly.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sim import __version__

DEFAULT_PATHS = 100_000
DEFAULT_SEED = 0
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130
MAX_PROBLEMS = 100  # problems printed; a broken file can have thousands


def _fail(lines: list[str], status: int) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(status)


def _guarded(action: Callable[[], Any]) -> Any:
    """Run ``action``; turn the project's errors into messages and exit statuses."""
    from sim.errors import ScenarioError, SimulationError

    try:
        return action()
    except ScenarioError as error:
        lines = [str(p) for p in error.problems[:MAX_PROBLEMS]]
        if len(error.problems) > MAX_PROBLEMS:
            lines.append(f"... and {len(error.problems) - MAX_PROBLEMS:,} more problems")
        _fail(lines, EXIT_INVALID)
    except KeyboardInterrupt:
        _fail(["sim: interrupted; nothing was written"], EXIT_INTERRUPTED)
    except SimulationError as error:
        _fail([f"sim: {error}"], 1)
    except click.ClickException:
        raise
    except Exception as error:  # a bug: one line, unless SIM_DEBUG asks for the traceback
        if os.environ.get("SIM_DEBUG"):
            raise
        _fail([f"sim: internal error: {type(error).__name__}: {error} (SIM_DEBUG=1 shows more)"], 1)


def _check_output(output: Path | None) -> None:
    """Fail before any work if the output file cannot be written."""
    if output is None:
        return
    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise click.UsageError(f"--output {output}: is a directory")
    if not folder.is_dir():
        raise click.UsageError(f"--output {output}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise click.UsageError(f"--output {output}: not writable")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place.

    A symbolic link is written through (its target is replaced); the file gets the mode a new
    file would get (or keeps the mode of the file it replaces).
    """
    target = Path(os.path.realpath(path))
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


MAX_SECONDS = 3600.0
MAX_MEMORY = 8 * 1024**3


def _refuse_huge_work(jobs: list) -> None:
    """Stop, with the estimate, before a run that would take hours or tens of gigabytes."""
    from sim.simulate import estimate_work

    works = [estimate_work(model, n) for _, model, n, _ in jobs]
    seconds = sum(w.seconds for w in works)
    memory = max(w.memory for w in works)
    if seconds > MAX_SECONDS or memory > MAX_MEMORY:
        paths = ", ".join(f"{n:,}" for _, _, n, _ in jobs)
        raise click.UsageError(
            f"{paths} paths would take about {_duration(seconds)} and "
            f"{memory / 1024**3:,.1f} GiB of memory; use fewer paths, or add --force"
        )


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:,.0f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} hours"
    return f"{seconds / 60:,.0f} minutes"


class _Group(click.Group):
    """A command group whose usage errors are one line: ``sim: <what is wrong>``."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        kwargs["prog_name"] = "sim"
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Abort:
            _fail(["sim: interrupted; nothing was written"], EXIT_INTERRUPTED)
        except click.ClickException as error:
            hint = ""
            if isinstance(error, click.UsageError) and error.ctx is not None:
                hint = f" (see {error.ctx.command_path} --help)"
            _fail([f"sim: {error.format_message()}{hint}"], error.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def cli() -> None:
    """Monte Carlo odds that trade reaches a target, from YAML scenarios."""


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--paths", type=click.IntRange(min=1), help="Number of paths [file's, or 100000].")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed [file's, or 0].")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to FILE, not stdout.")
@click.option(
    "--block-size",
    type=click.IntRange(min=1),
    default=None,
    help="Paths per block of work (memory and scheduling only; results do not depend on it).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to simulate in [the machine's cores]; results do not depend on it.",
)
@click.option("--force", is_flag=True, help="Run even when the estimated work is huge.")
def run(
    scenarios: tuple[Path, ...],
    paths: int | None,
    seed: int | None,
    fmt: str,
    output: Path | None,
    block_size: int | None,
    workers: int | None,
    force: bool,
) -> None:
    """Estimate each country's odds of reaching its target; one table for all SCENARIOS."""
    _check_output(output)

    def action() -> str:
        from sim.compile import compile_scenario
        from sim.load import load_scenarios
        from sim.memory import keep_freed_memory
        from sim.render import render
        from sim.simulate import DEFAULT_BLOCK, simulate
        from sim.summarise import summarise
        from sim.workers import available_cores

        keep_freed_memory()
        jobs = []
        for file, scenario in load_scenarios(scenarios):
            n = paths or scenario.paths or DEFAULT_PATHS
            s = seed if seed is not None else scenario.seed
            jobs.append((file, compile_scenario(scenario), n, DEFAULT_SEED if s is None else s))
        if not force:
            _refuse_huge_work(jobs)
        runs = []
        processes = workers or available_cores()
        for file, model, n, s in jobs:
            outcomes = simulate(model, n, s, block_size or DEFAULT_BLOCK, processes)
            runs.append(summarise(outcomes, str(file)))
        terminal = output is None and sys.stdout.isatty()
        return render(runs, fmt, rich_output=terminal)

    text = _guarded(action)
    if output is None:
        click.echo(text, nl=False)
    else:
        _guarded(lambda: write_atomically(output, text))


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(scenarios: tuple[Path, ...]) -> None:
    """Check SCENARIOS and report every problem; exit 0 when all are valid."""

    def action() -> None:
        from sim.errors import ScenarioError
        from sim.load import load_scenario

        problems = []
        for file in scenarios:
            try:
                scenario = load_scenario(file)
            except ScenarioError as error:
                problems += error.problems
                continue
            click.echo(
                f"{file}: valid ({len(scenario.countries)} countries, "
                f"{len(scenario.routes)} routes, {len(scenario.events)} events)"
            )
        if problems:
            raise ScenarioError(problems)

    _guarded(action)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors and validators)."""
    import json

    from sim.scenario import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    cli()

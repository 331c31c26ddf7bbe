"""The command line: run, compare, explain, solve, plot, validate, schema. The only place that
prints or exits.

Heavy modules (numpy, scipy, pydantic, rich) are imported inside the commands so that
``sim --help`` starts quickly.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim import __version__
from sim.defaults import (
    BACKTEST_PATHS,
    DEFAULT_MAX_PATHS,
    DEFAULT_METHOD,
    FORMATS,
    METHODS,
    PLOT_PATHS,
    Method,
)
from sim.errors import SettingError

if TYPE_CHECKING:
    from sim.results import SweepResult

EXIT_INVALID = 2
EXIT_INTERRUPTED = 130
MAX_PROBLEMS = 100  # problems printed; a broken file can have thousands


def _fail(lines: list[str], status: int) -> None:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(status)


def _guarded(action: Callable[[], Any]) -> Any:
    """Run ``action``; turn the project's errors into messages and exit statuses."""
    from sim.errors import ScenarioError, SimError, SolveError

    try:
        return action()
    except ScenarioError as error:
        lines = [str(p) for p in error.problems[:MAX_PROBLEMS]]
        if len(error.problems) > MAX_PROBLEMS:
            lines.append(f"... and {len(error.problems) - MAX_PROBLEMS:,} more problems")
        _fail(lines, EXIT_INVALID)
    except KeyboardInterrupt:
        _fail(["sim: interrupted; nothing was written"], EXIT_INTERRUPTED)
    except (SettingError, SolveError) as error:  # the user's words were off: a usage error
        raise click.UsageError(str(error)) from None
    except SimError as error:
        _fail([f"sim: {error}"], 1)
    except click.ClickException:
        raise
    except Exception as error:  # a bug: one line, unless SIM_DEBUG asks for the traceback
        if os.environ.get("SIM_DEBUG"):
            raise
        _fail([f"sim: internal error: {type(error).__name__}: {error} (SIM_DEBUG=1 shows more)"], 1)


def _check_output(output: Path | None, option: str = "--output") -> None:
    """Fail before any work if the output file cannot be written."""
    if output is None:
        return
    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise click.UsageError(f"{option} {output}: is a directory")
    if not folder.is_dir():
        raise click.UsageError(f"{option} {output}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise click.UsageError(f"{option} {output}: not writable")


def write_atomically(path: Path, content: str | Callable[[Path], None]) -> None:
    """Write ``content`` (text, or a function that writes a file) to a temporary file beside
    ``path``, then rename it into place.

    A symbolic link is written through (its target is replaced); the file gets the mode a new
    file would get (or keeps the mode of the file it replaces).
    """
    target = Path(os.path.realpath(path))
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            if isinstance(content, str):
                stream.write(content)
        if not isinstance(content, str):
            content(Path(temporary))
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


@dataclass(frozen=True)
class Options:
    """The options every simulating command shares."""

    paths: int | None
    seed: int | None
    fmt: str
    output: Path | None
    block_size: int | None
    workers: int | None
    force: bool
    scheduler: str | None = None
    method: Method = DEFAULT_METHOD

    @property
    def rich_output(self) -> bool:
        return self.output is None and sys.stdout.isatty()

    def api(self) -> dict[str, Any]:
        """The keyword arguments of the API's simulating functions."""
        return {
            "paths": self.paths,
            "seed": self.seed,
            "method": self.method,
            "workers": self.workers,
            "scheduler": self.scheduler,
            "block_size": self.block_size,
            "force": self.force,
            "quiet_pipe": self.fmt in ("json", "csv")
            and self.output is None
            and not sys.stdout.isatty(),
        }


def _scheduler_address(context: Any, parameter: Any, value: str | None) -> str | None:
    """A Dask scheduler address must be PROTOCOL://HOST:PORT."""
    import re

    forms = r"(tcp|tls|ucx|ws|wss)://[^/\s:]+:\d{1,5}|inproc://\S+"
    if value is not None and not re.fullmatch(forms, value):
        raise click.BadParameter(f"{value!r}: write tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    return value


def simulation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options to ``command``, which receives them as ``options``."""
    decorators = [
        click.option(
            "--paths", type=click.IntRange(min=1), help="Number of paths [file's, or 100000]."
        ),
        click.option("--seed", type=click.IntRange(min=0), help="Random seed [file's, or 0]."),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="table",
            show_default=True,
            help="Output format.",
        ),
        click.option(
            "--output", "-o", type=click.Path(path_type=Path), help="Write to FILE, not stdout."
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Processes to simulate in [the machine's cores]; results do not depend on it.",
        ),
        click.option(
            "--block-size",
            type=click.IntRange(min=1),
            default=None,
            help="Paths per block of work (memory and scheduling; results do not depend on it).",
        ),
        click.option(
            "--scheduler",
            metavar="tcp://HOST:PORT",
            callback=_scheduler_address,
            help="Run the blocks on this Dask cluster (pip install 'sim[dist]').",
        ),
        click.option(
            "--method",
            type=click.Choice(METHODS),
            default=DEFAULT_METHOD,
            show_default=True,
            help="antithetic: paths in mirrored pairs (less variance, half the random draws).",
        ),
        click.option("--force", is_flag=True, help="Run even when the estimated work is huge."),
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        names = (
            "paths",
            "seed",
            "fmt",
            "output",
            "block_size",
            "workers",
            "force",
            "scheduler",
            "method",
        )
        options = Options(**{name: kwargs.pop(name) for name in names})
        _check_output(options.output)
        return command(options=options, **kwargs)

    for decorator in reversed(decorators):
        wrapper = decorator(wrapper)
    return wrapper


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        _guarded(lambda: write_atomically(output, text))


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--precision",
    type=click.FloatRange(0, 0.5, min_open=True),
    help="Simulate until every 95% interval is within ±H (e.g. 0.005); instead of --paths.",
)
@click.option(
    "--max-paths",
    type=click.IntRange(min=1),
    default=None,
    help=f"With --precision: stop here even if the precision is not reached "
    f"[{DEFAULT_MAX_PATHS:,}].",
)
@click.option(
    "--samples",
    type=click.Path(path_type=Path),
    help="Also write every path's inputs and outcome to FILE (.csv, or .parquet).",
)
@simulation_options
def run(
    scenarios: tuple[Path, ...],
    precision: float | None,
    max_paths: int | None,
    samples: Path | None,
    options: Options,
) -> None:
    """Estimate each country's odds of reaching its target; one table for all SCENARIOS."""
    _check_output(samples, "--samples")

    def action() -> str:
        import sim

        result = sim.run(
            list(scenarios),
            precision=precision,
            max_paths=max_paths,
            keep_paths=samples is not None,
            **options.api(),
        )
        if samples is not None:
            write_atomically(samples, result.write_samples)
        return result.render(options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variant", "chosen", multiple=True, help="Compare only this variant (repeatable).")
@simulation_options
def compare(scenarios: tuple[Path, ...], chosen: tuple[str, ...], options: Options) -> None:
    """Compare each scenario with its variants, on common random numbers."""

    def action() -> str:
        import sim

        result = sim.compare(list(scenarios), variants=chosen, **options.api())
        return result.render(options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@simulation_options
def explain(scenarios: tuple[Path, ...], options: Options) -> None:
    """What each event does to the odds, and which inputs matter most."""

    def action() -> str:
        import sim

        result = sim.explain(list(scenarios), **options.api())
        return result.render(options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--country", help="The country's id in the file (needed with several countries).")
@click.option(
    "--probability",
    required=True,
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="The P(target) wanted, e.g. 0.5.",
)
@click.option(
    "--for",
    "field",
    required=True,
    help="target, or an input: growth.rate, baseline.value, events.NAME.FIELD, ...",
)
@simulation_options
def solve(
    scenario: Path, country: str | None, probability: float, field: str, options: Options
) -> None:
    """The value of one input that makes a country's P(target) equal PROBABILITY."""

    def action() -> str:
        import sim

        result = sim.solve(
            scenario, country=country, probability=probability, field=field, **options.api()
        )
        return result.render(options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--set",
    "sets",
    multiple=True,
    required=True,
    metavar="FIELD=V1,V2,...",
    help="A field and the values to try (repeatable: the grid is every combination).",
)
@simulation_options
def sweep(scenario: Path, sets: tuple[str, ...], options: Options) -> None:
    """Run a grid of what-ifs, every combination of the --set values, on common random numbers.

    With --format csv and --output FILE the sweep is resumable: each finished point is saved,
    and running the same command again skips the points FILE already holds.
    """
    output = options.output
    resumable = output is not None and options.fmt == "csv"

    def action() -> str:
        import sim
        from sim.analysis.sweep import header, parse_setting

        fields = [parse_setting(text).field for text in sets]
        saved = _saved_rows(output, header(fields)) if resumable else []

        def save(so_far: SweepResult) -> None:
            if resumable and output is not None:  # every finished point, in grid order
                write_atomically(output, so_far.render("csv"))

        result = sim.sweep(scenario, list(sets), saved=saved, on_point=save, **options.api())
        return result.render(options.fmt, options.rich_output)

    _emit(_guarded(action), output)


def _saved_rows(output: Path | None, expected: list[str]) -> list[list[str]]:
    """The rows an earlier run of this sweep saved in ``output`` (none if it does not exist)."""
    import csv

    if output is None or not output.exists():
        return []
    with output.open(newline="", encoding="utf-8") as stream:
        lines = list(csv.reader(stream))
    if not lines:
        return []
    if lines[0] != expected:
        raise SettingError(
            f"--output {output}: holds another sweep (columns {', '.join(lines[0])}); "
            "write to another file"
        )
    return lines[1:]


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--paths",
    type=click.IntRange(min=1),
    default=PLOT_PATHS,
    show_default=True,
    help="Number of paths (charts need fewer than tables).",
)
@click.option("--seed", type=click.IntRange(min=0), help="Random seed [file's, or 0].")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="The PNG file [the scenario's name with .png, here].",
)
def plot(scenario: Path, paths: int, seed: int | None, output: Path | None) -> None:
    """Draw each country's yearly turnover (fan chart) and its odds of having reached the
    target by each year, into a PNG."""
    target = output or Path(scenario.stem + ".png")
    _check_output(target)

    def action() -> None:
        import sim

        chart = sim.chart(scenario, paths=paths, seed=seed)
        write_atomically(target, chart.draw)
        click.echo(f"wrote {target}")

    _guarded(action)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to FILE.")
def fit(scenario: Path, fmt: str, output: Path | None) -> None:
    """Print the growth block fitted for every country with a history (what a run uses when
    the file omits growth), with the evidence in words."""
    _check_output(output)

    def action() -> str:
        import sim

        return sim.fit(scenario).render(fmt, output is None and sys.stdout.isatty())

    _emit(_guarded(action), output)


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--paths",
    type=click.IntRange(min=1),
    default=BACKTEST_PATHS,
    show_default=True,
    help="Paths per forecast.",
)
@click.option("--seed", type=click.IntRange(min=0), help="Random seed [file's, or 0].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to FILE.")
def backtest(
    sources: tuple[Path, ...], paths: int, seed: int | None, fmt: str, output: Path | None
) -> None:
    """Score forecasts of past targets (files or folders of scenarios with an outcome) as of
    each file's as_of: Brier and log scores, coverage, reliability, against two rivals."""
    _check_output(output)

    def action() -> str:
        import sim

        result = sim.backtest(list(sources), paths=paths, seed=seed)
        return result.render(fmt, output is None and sys.stdout.isatty())

    _emit(_guarded(action), output)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(scenarios: tuple[Path, ...]) -> None:
    """Check SCENARIOS and report every problem; exit 0 when all are valid."""

    def action() -> None:
        import sim
        from sim.errors import ScenarioError

        problems = []
        for file in scenarios:
            try:
                scenario = sim.load(file).spec
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

    from sim.scenario.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    cli()

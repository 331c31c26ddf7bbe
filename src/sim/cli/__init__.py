"""The command line: run, compare, explain, solve, plot, validate, schema. The only place that
prints or exits.

Heavy modules (numpy, scipy, pydantic, rich) are imported inside the commands so that
``sim --help`` starts quickly.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
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


MAX_SECONDS = 3600.0
MAX_MEMORY = 8 * 1024**3


def _refuse_huge_work(seconds: float, memory: int, path_counts: list[int]) -> None:
    """Stop, with the estimate, before a run that would take hours or tens of gigabytes."""
    if seconds > MAX_SECONDS or memory > MAX_MEMORY:
        paths = ", ".join(f"{n:,}" for n in path_counts)
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
    method: str = "antithetic"

    def paths_for(self, scenario: Any) -> int:
        return self.paths or scenario.paths or DEFAULT_PATHS

    def seed_for(self, scenario: Any) -> int:
        if self.seed is not None:
            return self.seed
        return scenario.seed if scenario.seed is not None else DEFAULT_SEED

    @property
    def rich_output(self) -> bool:
        return self.output is None and sys.stdout.isatty()

    @property
    def machine_output_to_pipe(self) -> bool:
        return self.fmt in ("json", "csv") and self.output is None and not sys.stdout.isatty()


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
            type=click.Choice(["table", "markdown", "csv", "json"]),
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
            type=click.Choice(["antithetic", "plain"]),
            default="antithetic",
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


class Simulator:
    """Runs models with the command's options, behind one progress bar; ``runs`` is the
    number of simulations the command will make (for the bar and the cost estimate)."""

    def __init__(
        self, options: Options, jobs: list[tuple[Any, int, int]], runs: list[int] | None = None
    ) -> None:
        from sim.engine.memory import keep_freed_memory
        from sim.engine.run import estimate_work
        from sim.engine.workers import WorkerPool, available_cores
        from sim.report.progress import ProgressBar, wanted

        keep_freed_memory()
        self.options = options
        self.workers = options.workers or available_cores()
        runs = runs or [1] * len(jobs)  # simulations of each job (model, paths, seed)
        works = [estimate_work(model, paths) for model, paths, _ in jobs]
        seconds = sum(n * w.seconds for n, w in zip(runs, works, strict=True)) / self.workers
        memory = max((w.memory for w in works), default=0)
        if not options.force:
            _refuse_huge_work(seconds, memory, [paths for _, paths, _ in jobs])
        total = sum(n * paths for n, (_, paths, _) in zip(runs, jobs, strict=True))
        self.bar = ProgressBar(total, wanted(seconds, options.machine_output_to_pipe))
        self.pool = WorkerPool(self.workers)

    def __enter__(self) -> Simulator:
        self.pool.__enter__()
        self.bar.__enter__()
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        self.bar.__exit__(kind, error, trace)
        self.pool.__exit__(kind, error, trace)

    def __call__(self, model: Any, paths: int, seed: int, years: bool = False) -> Any:
        from sim.engine.run import default_block, simulate

        return simulate(
            model,
            paths,
            seed,
            self.options.block_size or default_block(paths, self.workers),
            self.workers,
            years=years,
            progress=self.bar.advance,
            scheduler=self.options.scheduler,
            method=self.options.method,
            pool=self.pool,
        )

    def until(self, model: Any, seed: int, precision: float, max_paths: int) -> Any:
        """Simulate until every country's 95% interval is within ±``precision``."""
        from sim.analysis.summarise import half_widths
        from sim.engine.outcomes import DEFAULT_BLOCK
        from sim.engine.run import simulate_until

        return simulate_until(
            model,
            seed,
            lambda outcomes: max(half_widths(outcomes)) <= precision,
            max_paths,
            # stages double from 8,192 paths: small blocks share even the early ones
            self.options.block_size or DEFAULT_BLOCK,
            self.workers,
            progress=self.bar.advance,
            scheduler=self.options.scheduler,
            method=self.options.method,
            pool=self.pool,
        )


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
    default=100_000_000,
    show_default=True,
    help="With --precision: stop here even if the precision is not reached.",
)
@simulation_options
def run(
    scenarios: tuple[Path, ...], precision: float | None, max_paths: int, options: Options
) -> None:
    """Estimate each country's odds of reaching its target; one table for all SCENARIOS."""
    if precision is not None and options.paths is not None:
        raise click.UsageError("give --paths or --precision, not both")

    def action() -> str:
        from sim.analysis.estimate import Z_95
        from sim.analysis.summarise import summarise
        from sim.report.render import render
        from sim.scenario.compile import compile_scenario
        from sim.scenario.load import load_scenarios

        jobs = [
            (file, compile_scenario(s), options.paths_for(s), options.seed_for(s))
            for file, s in load_scenarios(scenarios)
        ]
        if precision is not None:  # about what the precision needs at worst (P = 1/2)
            expected = min(max_paths, math.ceil((Z_95 / precision) ** 2 / 4))
            jobs = [(file, m, expected, s) for file, m, _, s in jobs]
        simulator = Simulator(options, [(m, n, s) for _, m, n, s in jobs])
        with simulator:
            if precision is None:
                runs = [summarise(simulator(m, n, s), str(file)) for file, m, n, s in jobs]
            else:
                runs = [
                    summarise(
                        simulator.until(m, s, precision, max_paths),
                        str(file),
                        precision=precision,
                        max_paths=max_paths,
                    )
                    for file, m, _, s in jobs
                ]
        return render(runs, options.fmt, rich_output=options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--variant", "chosen", multiple=True, help="Compare only this variant (repeatable).")
@simulation_options
def compare(scenarios: tuple[Path, ...], chosen: tuple[str, ...], options: Options) -> None:
    """Compare each scenario with its variants, on common random numbers."""

    def action() -> str:
        from sim.analysis.compare import Comparison, differences
        from sim.report.analysis import render_comparisons
        from sim.scenario.compile import compile_scenario

        plans = []
        for file in scenarios:
            base, variants = _load_variants(file, chosen)
            plans.append((file, base, variants))
        jobs = [
            (compile_scenario(base), options.paths_for(base), options.seed_for(base))
            for _, base, _ in plans
        ]
        simulator = Simulator(options, jobs, runs=[1 + len(v) for _, _, v in plans])
        comparisons = []
        with simulator:
            for (file, base, variants), (model, paths, seed) in zip(plans, jobs, strict=True):
                base_run = simulator(model, paths, seed)
                for variant in variants:
                    other = simulator(compile_scenario(variant.scenario), paths, seed)
                    comparisons.append(
                        Comparison(
                            base.name,
                            str(file),
                            variant.name,
                            variant.description,
                            variant.overrides,
                            paths,
                            seed,
                            differences(base_run, other),
                            base_run.method,
                        )
                    )
        return render_comparisons(comparisons, options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


def _load_variants(file: Path, chosen: tuple[str, ...]) -> tuple[Any, list[Any]]:
    from sim.scenario.load import load_with_variants

    base, variants = load_with_variants(file)
    if not variants:
        raise click.UsageError(f"{file} has no variants; add a variants: section to compare")
    names = [v.name for v in variants]
    unknown = [name for name in chosen if name not in names]
    if unknown:
        raise click.UsageError(f"{file} has no variant {unknown[0]!r}; it has {', '.join(names)}")
    return base, [v for v in variants if not chosen or v.name in chosen]


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@simulation_options
def explain(scenarios: tuple[Path, ...], options: Options) -> None:
    """What each event does to the odds, and which inputs matter most."""

    def action() -> str:
        from sim.analysis.explain import explain as explain_model
        from sim.analysis.explain import runs_needed
        from sim.report.analysis import render_explanations
        from sim.scenario.compile import compile_scenario
        from sim.scenario.load import load_scenarios

        jobs = [
            (file, s.name, compile_scenario(s), options.paths_for(s), options.seed_for(s))
            for file, s in load_scenarios(scenarios)
        ]
        runs = [runs_needed(model) for _, _, model, _, _ in jobs]
        simulator = Simulator(options, [(m, n, s) for _, _, m, n, s in jobs], runs)
        with simulator:
            results = [
                (name, str(file), explain_model(model, lambda m, n=n, s=s: simulator(m, n, s)))
                for file, name, model, n, s in jobs
            ]
        return render_explanations(results, options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--country", required=True, help="The country's id in the file.")
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
def solve(scenario: Path, country: str, probability: float, field: str, options: Options) -> None:
    """The value of one input that makes a country's P(target) equal PROBABILITY."""

    def action() -> str:
        from sim.analysis.solve import MAX_TRIALS, SolveError
        from sim.analysis.solve import solve as solve_model
        from sim.report.analysis import render_solutions
        from sim.scenario.compile import compile_scenario
        from sim.scenario.load import load_scenario

        loaded = load_scenario(scenario)
        model = compile_scenario(loaded)
        paths, seed = options.paths_for(loaded), options.seed_for(loaded)
        simulator = Simulator(options, [(model, paths, seed)], runs=[MAX_TRIALS // 3])
        try:
            with simulator:
                answer = solve_model(
                    model, country, probability, field, lambda m: simulator(m, paths, seed)
                )
        except SolveError as error:
            raise click.UsageError(str(error)) from None
        return render_solutions(
            [(loaded.name, str(scenario), answer)], options.fmt, options.rich_output
        )

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
    from sim.analysis.sweep import SettingError, parse_setting

    try:
        settings = [parse_setting(text) for text in sets]
    except SettingError as error:
        raise click.UsageError(str(error)) from None
    fields = [s.field for s in settings]
    resumable = options.output is not None and options.fmt == "csv"

    def action() -> str:
        import hashlib

        from sim.analysis.estimate import proportion_interval
        from sim.analysis.sweep import Result, Signature, finished, header, points
        from sim.report.analysis import render_sweep
        from sim.scenario.compile import compile_scenario
        from sim.scenario.load import validate_with_variants
        from sim.scenario.source import parse_yaml, read_text

        text = read_text(scenario)  # read once: the grid and the hash come from the same text
        document = parse_yaml(text, str(scenario))
        base, _ = validate_with_variants(document)
        signature = Signature(
            options.paths_for(base),
            options.seed_for(base),
            options.method,
            hashlib.sha256(text.encode("utf-8")).hexdigest(),
            __version__,
        )
        grid = points(document, settings)
        done: dict[tuple[str, ...], list[Result]] = {}
        if resumable:
            try:
                done = finished(_saved_rows(options.output, header(fields)), fields, signature)
            except SettingError as error:
                raise click.UsageError(f"--output {options.output}: {error}") from None
        todo = [(p, compile_scenario(p.scenario)) for p in grid if p.texts not in done]
        simulator = Simulator(
            options, [(model, signature.paths, signature.seed) for _, model in todo]
        )

        def finished_points() -> list[tuple[tuple[str, ...], list[Result]]]:
            return [(p.texts, done[p.texts]) for p in grid if p.texts in done]

        with simulator:
            for point, model in todo:
                outcomes = simulator(model, signature.paths, signature.seed)
                done[point.texts] = [
                    Result(
                        c.id,
                        c.label,
                        int(o.met.sum()),
                        signature.paths,
                        proportion_interval(o.met, outcomes.antithetic),
                    )
                    for c, o in zip(model.countries, outcomes.countries, strict=True)
                ]
                if resumable:  # save every finished point, in grid order
                    saved = render_sweep(
                        base.name, str(scenario), fields, finished_points(), signature, "csv"
                    )
                    write_atomically(options.output, saved)
        return render_sweep(
            base.name,
            str(scenario),
            fields,
            finished_points(),
            signature,
            options.fmt,
            options.rich_output,
        )

    _emit(_guarded(action), options.output)


def _saved_rows(output: Path | None, expected: list[str]) -> list[list[str]]:
    """The rows an earlier run of this sweep saved in ``output`` (none if it does not exist)."""
    import csv

    from sim.analysis.sweep import SettingError

    if output is None or not output.exists():
        return []
    with output.open(newline="", encoding="utf-8") as stream:
        lines = list(csv.reader(stream))
    if not lines:
        return []
    if lines[0] != expected:
        raise SettingError(
            f"holds another sweep (columns {', '.join(lines[0])}); write to another file"
        )
    return lines[1:]


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--paths",
    type=click.IntRange(min=1),
    default=20_000,
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
    options = Options(paths, seed, "png", target, None, None, False)
    _check_output(target)

    def action() -> None:
        from sim.report.plot import chart_data, draw
        from sim.scenario.compile import compile_scenario
        from sim.scenario.load import load_scenario

        loaded = load_scenario(scenario)
        model = compile_scenario(loaded)
        simulator = Simulator(options, [(model, paths, options.seed_for(loaded))])
        with simulator:
            outcomes = simulator(model, paths, options.seed_for(loaded), years=True)
        footer = (
            f"sim {__version__}: {paths:,} paths, seed {outcomes.seed}; {scenario}. "
            "Bands: 5–95% and 25–75% of simulated paths; line: median."
        )
        write_atomically(target, lambda file: draw(chart_data(outcomes), loaded.name, footer, file))
        click.echo(f"wrote {target}")

    _guarded(action)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(scenarios: tuple[Path, ...]) -> None:
    """Check SCENARIOS and report every problem; exit 0 when all are valid."""

    def action() -> None:
        from sim.errors import ScenarioError
        from sim.scenario.load import load_scenario

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

    from sim.scenario.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    cli()

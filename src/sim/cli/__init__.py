"""The command line: run, compare, explain, solve, plot, validate, schema. The only place that
prints or exits.

Heavy modules (numpy, scipy, pydantic, rich) are imported inside the commands so that
``sim --help`` starts quickly.
"""

from __future__ import annotations

import functools
import gc
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
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
    SAMPLING_METHODS,
    Method,
)
from sim.errors import SettingError

if TYPE_CHECKING:
    from sim.api import Scenario
    from sim.results import SweepResult

EXIT_INVALID = 2
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT); another stop signal N ends with 128 + N
MAX_PROBLEMS = 100  # problems printed; a broken file can have thousands
WORKERS_PER_CORE = 4  # sim.session caps --workers at this many per core


def _one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters escaped (a file name may
    hold them), so that a message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def _count(number: int, noun: str) -> str:
    """``1 country``, ``3 countries``, ``0 events``."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{number} {noun if number == 1 else plural}"


def _fail(lines: list[str], status: int) -> None:
    for line in lines:
        click.echo(_one_line(line), err=True)
    sys.exit(status)


class Interrupted(KeyboardInterrupt):
    """A stop signal (SIGINT, SIGTERM, SIGHUP) received by the command."""

    def __init__(self, number: int) -> None:
        super().__init__(signal.Signals(number).name)
        self.number = number


_stopping = False  # a stop signal has been received: later ones change nothing


def _on_stop_signal(number: int, frame: object) -> None:
    global _stopping
    if _stopping:
        return
    _stopping = True
    raise Interrupted(number)


def _catch_stop_signals() -> None:
    """Stop signals end the command as Ctrl-C does: the work is abandoned, worker processes
    stopped, no output written, one line said (``_interrupted``)."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, _on_stop_signal)


def _interrupted(error: BaseException, kept: str | None = None) -> None:
    """Exit on a stop signal: 130 for Ctrl-C (SIGINT), 128 + N for signal N."""
    number = error.number if isinstance(error, Interrupted) else signal.SIGINT
    status = EXIT_INTERRUPTED if number == signal.SIGINT else 128 + number
    done = kept or "nothing was written"
    _fail([f"sim: interrupted ({signal.Signals(number).name}); {done}"], status)


def _guarded(action: Callable[[], Any], kept: Callable[[], str | None] | None = None) -> Any:
    """Run ``action``; turn the project's errors into messages and exit statuses. ``kept``
    says what was saved when the run is stopped part-way (a resumable sweep's points)."""
    from sim.errors import ScenarioError, SimError, SolveError

    try:
        return action()
    except ScenarioError as error:
        lines = [str(p) for p in error.problems[:MAX_PROBLEMS]]
        if len(error.problems) > MAX_PROBLEMS:
            lines.append(f"... and {len(error.problems) - MAX_PROBLEMS:,} more problems")
        _fail(lines, EXIT_INVALID)
    except KeyboardInterrupt as error:
        _interrupted(error, kept() if kept is not None else None)
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


def _check_output(
    output: Path | None, option: str = "--output", inputs: Iterable[Path] = ()
) -> None:
    """Fail before any work if ``output`` cannot be written, or writing it would destroy
    something: one of the command's ``inputs`` (under any name: a symbolic or hard link), a
    directory, or anything but a regular file, a character device (/dev/null, a terminal) or
    a pipe. Devices and pipes are written into directly; files are replaced atomically."""
    if output is None:
        return
    named = f"{option} {output}"
    try:
        status = os.stat(output)
    except FileNotFoundError:  # a new file (or a link to one)
        status = None
    except OSError as error:  # a loop of links, a name too long, a folder that is a file ...
        raise click.UsageError(f"{named}: {_reason(error)}") from None
    if status is not None:
        if stat.S_ISDIR(status.st_mode):
            raise click.UsageError(f"{named}: is a directory")
        if stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
            return
        if not stat.S_ISREG(status.st_mode):
            raise click.UsageError(
                f"{named}: is not a regular file, a character device or a pipe "
                "(a socket or block device?); write to a file"
            )
        for source in inputs:
            if _same_file(status, source):
                raise click.UsageError(
                    f"{named}: is the input file {source}; write to another file"
                )
        if not os.access(output, os.W_OK):
            raise click.UsageError(f"{named}: not writable")
    system = (os.path.abspath(output), os.path.realpath(output))
    if any(p.startswith(_SYSTEM_FOLDERS) for p in system) and not _names_a_descriptor(output):
        raise click.UsageError(f"{named}: is a system file (under /proc or /sys)")
    folder = Path(os.path.realpath(output)).parent
    if not folder.is_dir():
        raise click.UsageError(f"{named}: folder {output.parent} does not exist")
    if not os.access(folder, os.W_OK):
        raise click.UsageError(f"{named}: not writable (its folder is not)")


def _reason(error: OSError) -> str:
    text = error.strerror or str(error)
    return text[:1].lower() + text[1:]


def _same_file(status: os.stat_result, path: Path) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (status.st_dev, status.st_ino) == (other.st_dev, other.st_ino)


def _check_outputs(outputs: dict[str, Path | None], inputs: Iterable[Path]) -> None:
    """``_check_output`` for each of a command's outputs (option: path), and no two of them
    the same file."""
    inputs = list(inputs)
    seen: dict[str, str] = {}
    for option, output in outputs.items():
        _check_output(output, option, inputs)
        if output is None:
            continue
        where = os.path.realpath(output)
        if where in seen and not _is_device(output):
            raise click.UsageError(f"{option} {output}: is also the {seen[where]} file")
        seen[where] = option


def _input_files(scenarios: Iterable[Scenario]) -> list[Path]:
    """The files loaded scenarios were read from: each scenario, the files it includes and
    its history CSV files."""
    files = []
    for scenario in scenarios:
        files.append(Path(scenario.file))
        files += [Path(included.file) for included in scenario.document.included]
        folder = Path(scenario.file).parent
        for country in scenario.spec.countries.values():
            files += [folder / s.file.path for s in country.series if s.file is not None]
    return files


def _loaded(sources: Iterable[Path], outputs: dict[str, Path | None]) -> list[Scenario]:
    """Load scenario files, then refuse outputs that are among the files they read."""
    from sim.api import load_all

    scenarios = load_all(list(sources))
    _check_outputs(outputs, _input_files(scenarios))
    _started()
    return scenarios


_collector_paused = False  # by main, until the start-up is over


def _started() -> None:
    """The end of a command's start-up (its imports and its scenarios read): what exists now
    lives to the end, so the garbage collector, paused by ``main``, resumes without it."""
    global _collector_paused
    if _collector_paused:
        _collector_paused = False
        gc.freeze()
        gc.enable()


# Names of open descriptors: written through, never replaced (``-o /dev/stdout``). Other
# files of the kernel's file systems are settings, not outputs: refused.
_DESCRIPTOR_NAME = r"/dev/(stdout|stderr|fd/\d+)|/proc/(self|\d+)/fd/\d+"
_SYSTEM_FOLDERS = ("/proc/", "/sys/")


def _is_device(path: Path) -> bool:
    """Whether ``path`` is a character device or a pipe, or names an open descriptor."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return True
    return _names_a_descriptor(path)


def _names_a_descriptor(path: Path) -> bool:
    import re

    return re.fullmatch(_DESCRIPTOR_NAME, os.path.abspath(path)) is not None


def write_atomically(path: Path, content: str | Callable[[Path], None]) -> None:
    """Write ``content`` (text, or a function that writes a file) to a temporary file beside
    ``path``, then rename it into place.

    A symbolic link is written through (its target is replaced); the file gets the mode a new
    file would get (or keeps the mode of the file it replaces). A character device or a pipe
    (``/dev/null``, ``/dev/stdout`` into a pipe), or a name of an open descriptor, is written
    into directly: renaming over it would replace the device with a file.
    """
    if _is_device(path):
        _write_directly(path, content)
        return
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


def _write_directly(path: Path, content: str | Callable[[Path], None]) -> None:
    if not isinstance(content, str):
        content(path)
        return
    regular = stat.S_ISREG(os.stat(path).st_mode)  # /dev/stdout into a file: append to it
    with open(path, "a" if regular else "w", encoding="utf-8") as stream:
        stream.write(content)


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
        except click.exceptions.Abort as error:  # a stop signal while the line was read
            _interrupted(error.__cause__ or error)
        except click.ClickException as error:
            hint = ""
            if isinstance(error, click.UsageError) and error.ctx is not None:
                hint = f" (see {error.ctx.command_path} --help)"
            _fail([f"sim: {error.format_message()}{hint}"], error.exit_code)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as error:  # a stop signal outside the work (printing)
            _interrupted(error)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def cli() -> None:
    """Monte Carlo odds that trade reaches a target, from YAML scenarios."""


# The format an --output file's extension names, when --format is not given (formats sim
# has only). A .txt file is plain text: it takes any format given, and a table otherwise.
EXTENSIONS = {
    extension: fmt
    for extension, fmt in (
        (".json", "json"),
        (".csv", "csv"),
        (".md", "markdown"),
        (".markdown", "markdown"),
        (".html", "html"),
        (".htm", "html"),
        (".txt", "table"),
    )
    if fmt in FORMATS
}
PLAIN_TEXT = ".txt"


def output_format(fmt: str | None, output: Path | None) -> str:
    """The format to write: ``--format`` if given, else the one ``--output``'s extension
    names, else a table (stdout, or a name without an extension such as /dev/stdout).

    An extension sim does not know, without --format, is a usage error that lists the ones
    it knows; so is a --format that contradicts the extension (``--format csv -o x.json``)."""
    suffix = output.suffix.lower() if output is not None else ""
    if not suffix:
        return fmt or "table"
    named = EXTENSIONS.get(suffix)
    if fmt is None:
        if named is None:
            known = ", ".join(EXTENSIONS)
            raise click.UsageError(
                f"--output {output}: no format is known for {suffix!r} files; name it {known}, "
                "or give --format"
            )
        return named
    if named is not None and named != fmt and suffix != PLAIN_TEXT:
        raise click.UsageError(
            f"--format {fmt} contradicts --output {output} ({suffix} is {named}); drop "
            "--format, or change the extension"
        )
    return fmt


def format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` as every command with an output declares it: none means 'from --output's
    extension' (``output_format``)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help=f"Output format [from --output's extension ({' '.join(EXTENSIONS)}), else table].",
    )(command)


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
    method: Method | None = DEFAULT_METHOD  # None: run's choice (sim.run's default)

    @property
    def rich_output(self) -> bool:
        return self.output is None and sys.stdout.isatty()

    def api(self) -> dict[str, Any]:
        """The keyword arguments of the API's simulating functions."""
        return {
            "paths": self.paths,
            "seed": self.seed,
            **({"method": self.method} if self.method is not None else {}),
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

    forms = r"(tcp|tls|ucx|ws|wss)://[^/\s:]+:(\d{1,5})|inproc://\S+"
    match = re.fullmatch(forms, value) if value is not None else None
    if value is not None and match is None:
        raise click.BadParameter(f"{value!r}: write tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    if match is not None and match.group(2) and not 1 <= int(match.group(2)) <= 65535:
        raise click.BadParameter(f"{value!r}: a port is a number from 1 to 65535")
    return value


def simulation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options to ``command``, which receives them as ``options``."""
    return _with_options(command, SAMPLING_METHODS)


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``simulation_options``, with importance sampling among the methods (for ``run``)."""
    return _with_options(command, METHODS)


def _with_options(command: Callable[..., Any], methods: tuple[str, ...]) -> Callable[..., Any]:
    decorators: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option(
            "--paths", type=click.IntRange(min=1), help="Number of paths [file's, or 100000]."
        ),
        click.option("--seed", type=click.IntRange(min=0), help="Random seed [file's, or 0]."),
        format_option,
        click.option(
            "--output", "-o", type=click.Path(path_type=Path), help="Write to FILE, not stdout."
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help=f"Processes to simulate in [the machine's cores; at most {WORKERS_PER_CORE} "
            "per core, and no more than the blocks]; results do not depend on it.",
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
            help="Run the blocks on this Dask cluster (pip install '.[dist]').",
        ),
        click.option(
            "--method",
            type=click.Choice(methods),
            default=None if "importance" in methods else DEFAULT_METHOD,
            show_default="importance" not in methods,
            help="antithetic: paths in mirrored pairs (less variance, half the random draws)"
            + (
                "; importance: rare targets' draws shifted toward them, paths weighted back "
                f"[{DEFAULT_METHOD}; with --precision N%, importance for rare targets]."
                if "importance" in methods
                else "."
            ),
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
        values = {name: kwargs.pop(name) for name in names}
        given = kwargs.get("scenarios") or (kwargs.get("scenario"),)
        _check_output(values["output"], inputs=[path for path in given if path is not None])
        values["fmt"] = output_format(values["fmt"], values["output"])  # after: an input
        # named as the output is refused as that, whatever its extension
        return command(options=Options(**values), **kwargs)

    for decorator in reversed(decorators):
        wrapper = decorator(wrapper)
    return wrapper


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        _guarded(lambda: _write_output(output, text))


def _write_output(
    path: Path, content: str | Callable[[Path], None], option: str = "--output"
) -> None:
    """``write_atomically``, with a failure to write (a full disk, a pipe whose reader has
    gone) said in one line."""
    from sim.errors import SimulationError

    try:
        write_atomically(path, content)
    except BrokenPipeError:
        raise SimulationError(
            f"{option} {path}: the reader closed the pipe; the output is incomplete"
        ) from None
    except OSError as error:
        raise SimulationError(f"{option} {path}: cannot write it: {_reason(error)}") from None


class PrecisionType(click.ParamType):
    """``--precision``: an absolute half-width (``0.005``: ±0.5 points) or a relative one
    (``5%``: ±5% of each estimate), as (value, relative)."""

    name = "H"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[float, bool]:
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        relative = text.endswith("%")
        try:
            number = float(text.removesuffix("%").strip())
        except ValueError:
            number = 0.0  # refused below
        if relative and 0 < number <= 100:
            return number / 100, True
        if not relative and 0 < number <= 0.5:
            return number, False
        self.fail(
            f"{text!r}: give a half-width above 0 and at most 0.5 (0.005: ±0.5 points), or "
            "one relative to each estimate above 0% and at most 100% (5%: ±5% of P)",
            param,
            ctx,
        )


class ProbabilityType(click.ParamType):
    """``--probability``: above 0 and below 1, as a percentage (``50%``) or a fraction
    (``0.5``). A bare number of 1 or more follows the scenario files' percentage rule
    (``sim.core.distributions.check_percentages``): ``50`` is refused with 'write 50% for
    fifty percent', not read as 5000%."""

    name = "P"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        from sim.core.distributions import (
            DistributionError,
            Domain,
            check_percentages,
            read_number,
        )

        if isinstance(value, float):
            number = value
        else:
            text = str(value).strip()
            try:
                check_percentages(text, Domain.FRACTION, "a probability of {}")
                number = read_number(text)
            except DistributionError as error:
                # the rule's '(or 100% if you mean it)' is no probability to solve for
                self.fail(error.message.split(" (or ", 1)[0], param, ctx)
        if not 0 < number < 1:
            self.fail(
                f"{value}: give a probability above 0% and below 100%, e.g. 50% or 0.5",
                param,
                ctx,
            )
        return number


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--precision",
    type=PrecisionType(),
    help="Simulate until every 95% interval is within ±H: 0.005 for ±0.5 points, or 5% for "
    "±5% of each estimate; instead of --paths.",
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
@run_options
def run(
    scenarios: tuple[Path, ...],
    precision: tuple[float, bool] | None,
    max_paths: int | None,
    samples: Path | None,
    options: Options,
) -> None:
    """Estimate each country's odds of reaching its target; one table for all SCENARIOS."""
    outputs = {"--output": options.output, "--samples": samples}
    _check_outputs(outputs, scenarios)

    def action() -> str:
        import sim

        result = sim.run(
            _loaded(scenarios, outputs),
            precision=precision[0] if precision and not precision[1] else None,
            relative_precision=precision[0] if precision and precision[1] else None,
            max_paths=max_paths,
            keep_paths=samples is not None,
            **options.api(),
        )
        if samples is not None:
            _write_output(samples, result.write_samples, "--samples")
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

        loaded = _loaded(scenarios, {"--output": options.output})
        result = sim.compare(loaded, variants=chosen, **options.api())
        return result.render(options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--rerun",
    is_flag=True,
    help="Simulate the model and each variant in a whole run of its own, instead of "
    "working every variant out in one pass over the run's paths (the same numbers; many "
    "times slower).",
)
@simulation_options
def explain(scenarios: tuple[Path, ...], rerun: bool, options: Options) -> None:
    """What each event does to the odds, and which inputs matter most."""

    def action() -> str:
        import sim

        loaded = _loaded(scenarios, {"--output": options.output})
        result = sim.explain(loaded, rerun=rerun, **options.api())
        return result.render(options.fmt, options.rich_output)

    _emit(_guarded(action), options.output)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--country", help="The country's id in the file (needed with several countries).")
@click.option(
    "--probability",
    required=True,
    type=ProbabilityType(),
    help="The P(target) wanted: 50% or 0.5 (a bare 50 is refused, as in scenario files).",
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

        (loaded,) = _loaded([scenario], {"--output": options.output})
        result = sim.solve(
            loaded, country=country, probability=probability, field=field, **options.api()
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

    With --output FILE.csv (or --format csv) the sweep is resumable: each finished point is
    saved, and running the same command again skips the points FILE already holds.
    """
    output = options.output
    resumable = output is not None and options.fmt == "csv"
    saved_points: list[int] = []  # how many points the output holds, as it grows

    def action() -> str:
        import sim
        from sim.analysis.sweep import parse_setting

        fields = [parse_setting(text).field for text in sets]
        (loaded,) = _loaded([scenario], {"--output": output})
        saved = _saved_rows(output, fields, list(loaded.spec.countries)) if resumable else []

        def save(so_far: SweepResult) -> None:
            if resumable and output is not None:  # every finished point, in grid order
                _write_output(output, so_far.render("csv"))
                saved_points.append(len(so_far.points))

        result = sim.sweep(loaded, list(sets), saved=saved, on_point=save, **options.api())
        return result.render(options.fmt, options.rich_output)

    def kept() -> str | None:
        if not saved_points:
            return None
        return f"{output} keeps the {saved_points[-1]:,} finished points (run again to resume)"

    _emit(_guarded(action, kept), output)


def _saved_rows(output: Path | None, fields: list[str], countries: list[str]) -> list[list[str]]:
    """The rows an earlier run of this sweep saved in ``output`` that can be trusted (none if
    it does not exist); a warning on stderr for each problem found, naming its line."""
    from sim.analysis.sweep import read_saved

    if output is None or not output.exists() or _is_device(output):
        return []
    try:
        saved = read_saved(output.read_bytes(), fields, countries)
    except SettingError as error:
        raise SettingError(f"--output {output}: {error}") from None
    for line, problem in saved.problems:
        click.echo(_one_line(f"sim: warning: {output}:{line}: {problem}"), err=True)
    return saved.rows


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--paths",
    type=click.IntRange(min=1),
    help=f"Number of paths [file's, or {PLOT_PATHS}: as sim run, so P(target) is the same].",
)
@click.option("--seed", type=click.IntRange(min=0), help="Random seed [file's, or 0].")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="The chart file, .png, .svg or .pdf [the scenario's name with .png, here].",
)
def plot(scenario: Path, paths: int | None, seed: int | None, output: Path | None) -> None:
    """Draw each country's yearly trade (a fan leading on from the observed record) with
    its P(target), and its odds of having reached the target by each year, into a PNG, SVG
    or PDF file (chosen by the file's extension)."""
    target = output or Path(scenario.stem + ".png")
    option = "--output" if output else "the chart"
    _check_output(target, option, [scenario])

    def action() -> None:
        import sim
        from sim.report.plot import chart_format

        chart_format(target, f"{option} {target}")  # before any work
        (loaded,) = _loaded([scenario], {"--output": target})
        chart = sim.chart(loaded, paths=paths, seed=seed)
        _write_output(target, chart.draw)
        click.echo(f"wrote {target}")

    _guarded(action)


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="The HTML file [the first scenario's name with .html, here].",
)
@click.option("--title", help="The page's title [the scenario's name].")
@click.option("--paths", type=click.IntRange(min=1), help="Number of paths [file's, or 100000].")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed [file's, or 0].")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes to simulate in [the machine's cores]; results do not depend on it.",
)
@click.option(
    "--method", type=click.Choice(SAMPLING_METHODS), default=DEFAULT_METHOD, show_default=True
)
@click.option("--no-sliders", is_flag=True, help="Leave out the what-if sliders (and their sweep).")
def report(
    scenarios: tuple[Path, ...],
    output: Path | None,
    title: str | None,
    paths: int | None,
    seed: int | None,
    workers: int | None,
    method: Method,
    no_sliders: bool,
) -> None:
    """Write one self-contained HTML briefing: the odds in words, by year and as fan charts,
    what-if sliders (every position simulated beforehand), what the events do and what
    matters most, the variants, the assumptions with their sources, the calibration record
    and what produced it. It loads nothing from the network. Needs matplotlib
    (pip install '.[plot]')."""
    target = output or Path(scenarios[0].stem + ".html")
    option = "--output" if output else "the report"
    _check_output(target, option, list(scenarios))
    if target.suffix.lower() not in (".html", ".htm"):
        raise click.UsageError(f"{option} {target}: a report is an HTML file; name it with .html")

    def action() -> None:
        import sim

        loaded = _loaded(scenarios, {"--output": target})
        made = sim.briefing(
            loaded,
            title=title,
            sliders=not no_sliders,
            paths=paths,
            seed=seed,
            workers=workers,
            method=method,
        )
        _write_output(target, made.html)
        click.echo(f"wrote {target} ({len(made.html.encode()) / 1e6:.2f} MB)")

    _guarded(action)


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@format_option
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to FILE.")
def fit(scenario: Path, fmt: str | None, output: Path | None) -> None:
    """Print the growth block fitted for every country with a history (what a run uses when
    the file omits growth), with the evidence in words."""
    _check_output(output, inputs=[scenario])
    fmt = output_format(fmt, output)

    def action() -> str:
        import sim

        (loaded,) = _loaded([scenario], {"--output": output})
        return sim.fit(loaded).render(fmt, output is None and sys.stdout.isatty())

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
@format_option
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to FILE.")
def backtest(
    sources: tuple[Path, ...], paths: int, seed: int | None, fmt: str | None, output: Path | None
) -> None:
    """Score forecasts of past targets (files or folders of scenarios with an outcome) as of
    each file's as_of: Brier and log scores, coverage, reliability, against two rivals."""
    files = [
        f
        for source in sources
        for f in (sorted(source.glob("*.yaml")) if source.is_dir() else [source])
    ]
    _check_output(output, inputs=files)
    fmt = output_format(fmt, output)

    def action() -> str:
        import sim

        result = sim.backtest(_loaded(files, {"--output": output}), paths=paths, seed=seed)
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
            counts = ", ".join(
                _count(len(items), noun)
                for items, noun in (
                    (scenario.countries, "country"),
                    (scenario.routes, "route"),
                    (scenario.events, "event"),
                )
            )
            click.echo(f"{file}: valid ({counts})")
        if problems:
            raise ScenarioError(problems)

    _guarded(action)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors and validators)."""
    import json

    from sim.scenario.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


# Each command's help ends with these invocations on the shipped files (tests/test_help.py
# parses every one); the group's help with its own, then how to turn on shell completion.
EXAMPLES: dict[str, list[str]] = {
    "sim": [
        "sim run scenarios/kazakhstan.yaml",
        "sim run scenarios/kazakhstan.yaml scenarios/uzbekistan.yaml -o odds.md",
        "sim solve scenarios/kyrgyzstan.yaml --probability 50% --for growth.rate",
    ],
    "run": [
        "sim run scenarios/kazakhstan.yaml",
        "sim run scenarios/kazakhstan.yaml scenarios/uzbekistan.yaml -o odds.md",
        "sim run scenarios/central_asia.yaml --precision 0.005 -o odds.json",
    ],
    "compare": [
        "sim compare scenarios/kazakhstan.yaml",
        "sim compare scenarios/uzbekistan.yaml --variant early_railway",
        "sim compare scenarios/kazakhstan.yaml -o variants.csv",
    ],
    "explain": [
        "sim explain scenarios/kazakhstan.yaml",
        "sim explain scenarios/kyrgyzstan.yaml -o events.md",
    ],
    "solve": [
        "sim solve scenarios/kazakhstan.yaml --probability 50% --for growth.rate",
        "sim solve scenarios/kyrgyzstan.yaml --probability 90% --for target",
        "sim solve scenarios/central_asia.yaml --country uzbekistan \\\n"
        "      --probability 25% --for growth.rate",
    ],
    "sweep": [
        "sim sweep scenarios/kazakhstan.yaml \\\n"
        "      --set countries.kazakhstan.target.value=500,750,1000",
        "sim sweep scenarios/uzbekistan.yaml \\\n"
        "      --set countries.uzbekistan.target.by=2029,2030,2031 -o sweep.csv",
    ],
    "plot": [
        "sim plot scenarios/central_asia.yaml -o central_asia.png",
        "sim plot scenarios/kazakhstan.yaml --paths 5000 --seed 1",
    ],
    "report": [
        "sim report scenarios/kazakhstan.yaml",
        "sim report scenarios/kyrgyzstan.yaml -o briefing.html --no-sliders",
    ],
    "fit": [
        "sim fit scenarios/kyrgyzstan.yaml",
        "sim fit scenarios/uzbekistan.yaml -o growth.json",
    ],
    "backtest": [
        "sim backtest backtests/",
        "sim backtest backtests/kaz_uzb_2017.yaml --paths 5000 -o scores.csv",
    ],
    "validate": [
        "sim validate scenarios/kazakhstan.yaml",
        "sim validate scenarios/uzbekistan.yaml scenarios/kyrgyzstan.yaml",
    ],
    "schema": [
        "sim schema",
        "sim schema > sim-scenario.schema.json",
    ],
}
COMPLETION = (
    "\b\nShell completion (bash; zsh and fish in docs/cli.md):\n"
    '  eval "$(_SIM_COMPLETE=bash_source sim)"'
)


def _examples(lines: list[str]) -> str:
    """An epilog that click prints as written (``\\b``: not rewrapped); an example may go on
    over lines that end with a backslash, as in a shell."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


cli.epilog = _examples(EXAMPLES["sim"]) + "\n\n" + COMPLETION
for _name, _command in cli.commands.items():
    if _name in EXAMPLES:
        _command.epilog = _examples(EXAMPLES[_name])


def main() -> None:
    # Start-up (numpy, pydantic's validators, the scenarios) makes hundreds of thousands of
    # objects that live to the end: the garbage collector would scan them again and again,
    # a sixth of a short run's time. It is paused until ``_started`` (gc.freeze's documented
    # use, which also keeps forked workers' pages shared), and at the exit nothing needs it.
    global _collector_paused
    _collector_paused = True
    gc.disable()
    _catch_stop_signals()
    try:
        cli()
    finally:
        gc.freeze()

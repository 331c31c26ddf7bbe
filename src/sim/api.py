"""The public API: load a scenario, run it, compare its variants, explain, solve and sweep.

Each function opens a ``Session`` for its runs and returns a result object (``sim.results``)
that renders as the CLI's tables, turns into a JSON document (``to_dict``) or a pandas
DataFrame (``to_frame``), and shows itself in a notebook. The CLI is a thin shell over these.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Unpack

from sim.core.model import Model
from sim.core.periods import month_name
from sim.defaults import (
    BACKTEST_PATHS,
    DEFAULT_MAX_PATHS,
    DEFAULT_METHOD,
    PLOT_PATHS,
    SAMPLING_METHODS,
    Method,
)
from sim.errors import ScenarioError, SettingError
from sim.results import (
    BacktestResult,
    CompareResult,
    ExplainResult,
    FitResult,
    RunResult,
    SolveResult,
    SweepResult,
)
from sim.scenario import schema
from sim.scenario.source import Document
from sim.scenario.variants import Variant
from sim.session import (
    Job,
    Progress,
    RunKeywords,
    RunOptions,
    Session,
    check_whole,
    paths_for_precision,
)

Source = str | os.PathLike[str] | Mapping[str, Any]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file: what it says (``spec``), where it came from and its variants."""

    spec: schema.Scenario
    file: str  # the name its messages and outputs use
    text: str  # the text it was read from
    document: Document = field(repr=False)
    variants: tuple[Variant, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def sha256(self) -> str:
        """The SHA-256 of the scenario's text, then of each included file's text after a NUL
        byte, in the order read: which version of the files a result came from (without
        includes, of the text alone)."""
        digest = hashlib.sha256(self.text.encode("utf-8"))
        for included in self.document.included:
            digest.update(b"\0" + included.text.encode("utf-8"))
        return digest.hexdigest()

    @cached_property
    def model(self) -> Model:
        from sim.scenario.compile import compile_scenario

        return compile_scenario(self.spec)

    def variant(self, name: str) -> Variant:
        for variant in self.variants:
            if variant.name == name:
                return variant
        names = ", ".join(v.name for v in self.variants) or "none"
        raise SettingError(f"{self.file} has no variant {name!r}; it has {names}")


def load(source: Source | Scenario, *, name: str | None = None) -> Scenario:
    """Read and validate a scenario: a file path, YAML text (a string with a line break) or a
    dict. Raises ``sim.ScenarioError`` listing every problem, each located by file, line and
    column; ``name`` is what messages call text or a dict (default ``<text>``, ``<dict>``).
    Files named by ``include:`` (and history CSV files) are read from the folder of the file,
    or of ``name``: the working folder for text and dicts by default."""
    import yaml

    from sim.scenario.include import with_includes
    from sim.scenario.load import validate_with_variants
    from sim.scenario.source import parse_yaml, read_text

    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        text = yaml.safe_dump(_plain(source), sort_keys=False, allow_unicode=True)
        file = name or "<dict>"
    elif isinstance(source, str) and "\n" in source:
        text, file = source, name or "<text>"
    else:
        file = name or str(source)
        text = read_text(Path(source))
    document = with_includes(parse_yaml(text, file))
    spec, variants = validate_with_variants(document)
    return Scenario(spec, file, text, document, tuple(variants))


def _plain(value: Any) -> Any:
    """A dict's contents as YAML can write them: mappings as dicts, sequences as lists and
    numpy numbers as Python numbers."""
    if isinstance(value, Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return value.item()
    return value


def _names(value: Any) -> list[Any]:
    """One value or several: a string is one value, not a sequence of letters."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def load_all(sources: Iterable[Source | Scenario]) -> list[Scenario]:
    """Load several scenarios; one ScenarioError lists the problems of all of them."""
    loaded, problems = [], []
    for source in sources:
        try:
            loaded.append(load(source))
        except ScenarioError as error:
            problems += error.problems
    if problems:
        raise ScenarioError(problems)
    return loaded


def sampling_options(settings: RunKeywords, command: str) -> RunOptions:
    """The options of a command other than ``run``: importance sampling is refused (its
    weights serve ``run``'s estimates; the analyses read plain shares of paths)."""
    options = RunOptions(**settings)
    if options.method == "importance":
        raise SettingError(
            f"method 'importance' is for run only; {command} takes {' or '.join(SAMPLING_METHODS)}"
        )
    return options


def _scenarios(scenarios: Source | Scenario | Sequence[Source | Scenario]) -> list[Scenario]:
    if isinstance(scenarios, Sequence) and not isinstance(scenarios, str):
        if not scenarios:
            raise SettingError("give at least one scenario")
        return load_all(scenarios)
    return [load(scenarios)]


def run(
    scenarios: Source | Scenario | Sequence[Source | Scenario],
    *,
    precision: float | None = None,
    relative_precision: float | None = None,
    max_paths: int | None = None,
    keep_paths: bool = False,
    **settings: Unpack[RunKeywords],
) -> RunResult:
    """Each country's odds of reaching its target, for one scenario or several.

    ``paths`` and ``seed`` override the file's; ``precision`` (instead of ``paths``) simulates
    until every 95% interval is within ±precision, ``relative_precision`` until each is
    within ±that share of its own estimate (0.05: ±5% of P), stopping at ``max_paths``; with
    ``relative_precision`` and no ``method``, rare targets are importance-sampled.
    ``keep_paths`` keeps per-path inputs and outcomes for ``RunResult.samples()``.
    """
    from sim.analysis.summarise import summarise

    relative = relative_precision is not None
    if relative and precision is not None:
        raise SettingError("give precision or relative_precision, not both")
    if (precision is not None or relative) and settings.get("paths") is not None:
        raise SettingError("give --paths or --precision, not both")
    if max_paths is not None and precision is None and not relative:
        raise SettingError("--max-paths goes with --precision")
    check_whole("max_paths", max_paths, 1)
    if keep_paths and settings.get("method") == "importance":
        raise SettingError(
            "--samples with --method importance: its paths' inputs are shifted toward the "
            "target; keep samples of an antithetic or plain run"
        )
    if precision is not None and not 0 < precision <= 0.5:
        raise SettingError(f"--precision {precision!r}: give a half-width above 0 and at most 0.5")
    if relative_precision is not None and not 0 < relative_precision <= 1:
        raise SettingError(
            f"--precision {relative_precision * 100:g}%: give a relative half-width above 0% "
            "and at most 100%"
        )
    asked = relative_precision if relative_precision is not None else precision
    # a relative precision picks importance sampling for rare targets unless told a method
    choose = relative and settings.get("method") is None
    if settings.get("method") is None:
        settings.pop("method", None)  # RunOptions' default
    loaded = _scenarios(scenarios)
    options = RunOptions(**settings)
    cap = max_paths or DEFAULT_MAX_PATHS
    jobs = [
        Job(
            s.model,
            paths_for_precision(asked, cap, relative) if asked else options.paths_for(s.spec.paths),
            options.seed_for(s.spec.seed),
            years=keep_paths,
        )
        for s in loaded
    ]
    outcomes = []
    with Session(options, jobs) as session:
        for job in jobs:
            if asked is None:
                outcomes.append(session(job.model, job.paths, job.seed, years=keep_paths))
            else:
                outcomes.append(
                    session.until(job.model, job.seed, asked, cap, relative, keep_paths, choose)
                )
    summaries = tuple(
        summarise(
            o,
            s.file,
            precision=asked,
            max_paths=cap if asked else None,
            relative=relative,
            sha256=s.sha256,
        )
        for s, o in zip(loaded, outcomes, strict=True)
    )
    return RunResult(summaries, tuple(outcomes) if keep_paths else None)


def compare(
    scenarios: Source | Scenario | Sequence[Source | Scenario],
    *,
    variants: Sequence[str] = (),
    **settings: Unpack[RunKeywords],
) -> CompareResult:
    """Each scenario against its variants (all, or those named), on common random numbers."""
    from sim.analysis.compare import Comparison, differences, joint_differences
    from sim.scenario.compile import compile_scenario

    loaded = _scenarios(scenarios)
    options = sampling_options(settings, "compare")
    chosen: list[list[Variant]] = []
    for scenario in loaded:
        if not scenario.variants:
            raise SettingError(
                f"{scenario.file} has no variants; add a variants: section to compare"
            )
        picked = [scenario.variant(name) for name in _names(variants)]
        chosen.append(picked or list(scenario.variants))
    jobs = [
        Job(s.model, options.paths_for(s.spec.paths), options.seed_for(s.spec.seed), 1 + len(v))
        for s, v in zip(loaded, chosen, strict=True)
    ]
    comparisons = []
    with Session(options, jobs) as session:
        for scenario, picked, job in zip(loaded, chosen, jobs, strict=True):
            base = session(job.model, job.paths, job.seed)
            for variant in picked:
                other = session(compile_scenario(variant.scenario), job.paths, job.seed)
                comparisons.append(
                    Comparison(
                        scenario.name,
                        scenario.file,
                        variant.name,
                        variant.description,
                        variant.overrides,
                        job.paths,
                        job.seed,
                        differences(base, other),
                        base.method,
                        scenario.sha256,
                        joint_differences(base, other),
                    )
                )
    return CompareResult(tuple(comparisons))


def explain(
    scenarios: Source | Scenario | Sequence[Source | Scenario],
    *,
    rerun: bool = False,
    **settings: Unpack[RunKeywords],
) -> ExplainResult:
    """What each event does to the odds, and which inputs matter most (tornado), every
    variant worked out on the run's own paths in the same pass (``sim.engine.replay``);
    ``rerun`` simulates the model and each variant in a whole run of its own instead (the
    same numbers, many times slower)."""
    from sim.analysis.explain import explain as explain_model
    from sim.analysis.explain import flags_kept, pass_cost, runs_needed

    loaded = _scenarios(scenarios)
    options = sampling_options(settings, "explain")
    jobs = [
        Job(
            s.model,
            options.paths_for(s.spec.paths),
            options.seed_for(s.spec.seed),
            runs_needed(s.model, rerun),
            flags=0 if rerun else flags_kept(s.model),
            cost=1.0 if rerun else pass_cost(s.model),
        )
        for s in loaded
    ]
    with Session(options, jobs) as session:
        results = []
        for s, job in zip(loaded, jobs, strict=True):
            plan = session.plan(job.paths, job.seed)
            run = _runner(session, job) if rerun else None
            explanation = explain_model(job.model, plan, session.advance, run, session.pool)
            results.append((s.name, s.file, replace(explanation, sha256=s.sha256)))
    return ExplainResult(tuple(results))


def _runner(session: Session, job: Job) -> Callable[[Model], Any]:
    return lambda model: session(model, job.paths, job.seed)


def solve(
    scenario: Source | Scenario,
    *,
    probability: float,
    field: str,
    country: str | None = None,
    **settings: Unpack[RunKeywords],
) -> SolveResult:
    """The value of ``field`` (``target`` or an input such as ``growth.rate``) that makes the
    country's P(target) equal ``probability``; ``country`` may be left out in a one-country
    file."""
    from sim.analysis.solve import EXPECTED_RUNS, scout_paths
    from sim.analysis.solve import solve as solve_model
    from sim.engine.replay import replay

    loaded = load(scenario)
    options = sampling_options(settings, "solve")
    if country is None:
        ids = list(loaded.spec.countries)
        if len(ids) != 1:
            raise SettingError(f"name the country: {loaded.file} has {', '.join(ids)}")
        country = ids[0]
    job = Job(
        loaded.model,
        options.paths_for(loaded.spec.paths),
        options.seed_for(loaded.spec.seed),
        EXPECTED_RUNS,
    )
    scout = scout_paths(job.paths)
    with Session(options, [job]) as session:
        plan = session.plan(job.paths, job.seed)
        answer = solve_model(
            job.model,
            country,
            probability,
            field,
            _runner(session, job),
            None if scout is None else _runner(session, Job(job.model, scout, job.seed)),
            lambda model, changes: replay(model, plan, changes, session.advance, session.pool),
        )
    answer = replace(answer, paths=job.paths, seed=job.seed, sha256=loaded.sha256)
    return SolveResult(((loaded.name, loaded.file, answer),))


def sweep(
    scenario: Source | Scenario,
    grid: Mapping[str, Sequence[Any]] | Sequence[str],
    *,
    saved: Sequence[Sequence[str]] = (),
    on_point: Callable[[SweepResult], None] | None = None,
    **settings: Unpack[RunKeywords],
) -> SweepResult:
    """A grid of what-ifs, every combination of the grid's values, on common random
    numbers. ``grid`` maps a field to its values (``{"countries.kz.target.by": [2027,
    2028]}``) or lists ``FIELD=V1,V2`` texts. ``saved`` holds the CSV rows of an earlier run
    of the same sweep (points found there are not run again); ``on_point`` is called with the
    result so far after every point (the CLI saves it)."""
    from sim.analysis.estimate import proportion_interval
    from sim.analysis.sweep import Result, Signature, finished, hold, parse_setting, points
    from sim.scenario.compile import compile_scenario

    loaded = load(scenario)
    if isinstance(grid, Mapping):
        texts = [
            f"{name}="
            + ",".join(v if isinstance(v, str) else json.dumps(_plain(v)) for v in values)
            for name, values in ((n, _names(v)) for n, v in grid.items())
        ]
    else:
        texts = _names(grid)
    parsed = [parse_setting(text) for text in texts]
    fields = [s.field for s in parsed]
    if repeated := sorted({f for f in fields if fields.count(f) > 1}):
        raise SettingError(
            f"--set {repeated[0]} is given more than once; list all its values in one "
            f"--set ({repeated[0]}=V1,V2,...)"
        )
    options = sampling_options(settings, "sweep")
    import numpy

    from sim import __version__

    signature = Signature(
        options.paths_for(loaded.spec.paths),
        options.seed_for(loaded.spec.seed),
        options.method,
        loaded.sha256,
        __version__,
        numpy.__version__,
    )
    planned = points(loaded.document, parsed)
    done = finished([list(row) for row in saved], fields, signature)
    todo = [(p, hold(compile_scenario(p.scenario), p.held)) for p in planned if p.texts not in done]

    def result() -> SweepResult:
        finished_points = tuple((p.texts, tuple(done[p.texts])) for p in planned if p.texts in done)
        return SweepResult(loaded.name, loaded.file, tuple(fields), finished_points, signature)

    jobs = [Job(model, signature.paths, signature.seed) for _, model in todo]
    with Session(options, jobs) as session:
        for point, model in todo:
            outcomes = session(model, signature.paths, signature.seed)
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
            if on_point is not None:
                on_point(result())
    return result()


@dataclass(frozen=True)
class Chart:
    """A scenario's fan chart and odds by year, ready to draw into a PNG file."""

    title: str
    footer: str
    data: Any = field(repr=False)

    def draw(self, file: Path) -> None:
        from sim.report.plot import draw

        draw(self.data, self.title, self.footer, file)


def chart(
    scenario: Source | Scenario,
    *,
    paths: int | None = None,
    seed: int | None = None,
    method: Method = DEFAULT_METHOD,
    workers: int | None = None,
) -> Chart:
    """Simulate ``scenario`` for a chart: each country's yearly trade (a fan leading on from
    its observed record) with its P(target), and its odds of having reached the target by
    each year. ``paths`` and ``seed`` default as in ``run`` (the file's, else 100,000 and 0),
    so the chart's P(target) is run's. The fan runs ``PLOT_YEARS_PAST`` years past the latest
    deadline, or to the file's horizon if later. Needs matplotlib to draw
    (``pip install '.[plot]'``)."""
    from sim.defaults import PLOT_YEARS_PAST
    from sim.report.plot import chart_data, footer
    from sim.report.provenance import line
    from sim.scenario.compile import compile_scenario
    from sim.scenario.load import validate_overridden
    from sim.scenario.variants import overridden

    loaded = load(scenario)
    model = loaded.model
    end = max(c.target.by.last for c in loaded.spec.countries.values()) + 12 * PLOT_YEARS_PAST
    if loaded.spec.horizon_end < end:
        # A path's numbers do not depend on the horizon, so run's P(target) stays. A longer
        # horizon the file's limits refuse (years simulated, extreme paths) is not used.
        longer, _ = validate_overridden(
            *overridden(loaded.document, {"horizon": f"{end // 12}-{end % 12 + 1:02d}"})
        )
        model = compile_scenario(longer) if longer is not None else model
    settings = RunKeywords(paths=paths, seed=seed, workers=workers, method=method)
    options = sampling_options(settings, "chart")  # checks them
    count = paths if paths is not None else loaded.spec.paths or PLOT_PATHS
    job = Job(model, count, options.seed_for(loaded.spec.seed), years=True)
    with Session(options, [job]) as session:
        outcomes = session(job.model, job.paths, job.seed, years=True)
    labels = [c.label for c in model.countries]
    text = footer(labels, loaded.file, loaded.sha256, count, outcomes.seed, outcomes.method, line())
    return Chart(loaded.name, text, chart_data(outcomes))


def fit(scenario: Source | Scenario) -> FitResult:
    """For every country with a history, the growth block fitted from it and the reference
    class (what a run uses when the file omits ``growth``), with the evidence in words."""
    from sim.calibration.fit import CountryFit, fit_growth

    loaded = load(scenario)
    fits = []
    for cid, country in loaded.spec.countries.items():
        observations = country.observations()
        fitted = fit_growth(observations, loaded.spec.as_of) if observations else None
        fits.append(CountryFit(cid, country.label or cid, country.statistic, fitted))
    return FitResult(loaded.name, loaded.file, tuple(fits))


def backtest(
    sources: Source | Scenario | Sequence[Source | Scenario],
    *,
    paths: int = BACKTEST_PATHS,
    seed: int | None = None,
    workers: int | None = None,
    progress: Progress = None,
) -> BacktestResult:
    """Score the forecasts of past targets against what happened: every country with an
    ``outcome`` in the files (a folder stands for its ``*.yaml`` files) is forecast as of its
    file's ``as_of``, and the same is done for the hand-picked-range rule."""
    from sim.calibration.backtest import annual, hand_picked_rate, outcome_as_target, with_growth
    from sim.calibration.scores import BacktestCase, score, smoothed

    files: list[Source | Scenario] = []
    given = sources if isinstance(sources, Sequence) and not isinstance(sources, str) else [sources]
    for source in given:
        if isinstance(source, str | os.PathLike) and Path(source).is_dir():
            files += sorted(Path(source).glob("*.yaml"))
        else:
            files.append(source)
    loaded = load_all(files)

    # Every forecast the backtest needs, built first and run in one session (one worker pool):
    # per file its forecast; per country with an outcome the same with the outcome as target
    # (its PIT), and the hand-picked rule's forecast and PIT when the history allows the rule.
    plans = []
    for scenario in loaded:
        data = scenario.document.data
        for cid, country in scenario.spec.countries.items():
            outcome = country.outcome
            if outcome is None:
                continue
            pit = load(
                outcome_as_target(data, cid, outcome.value, outcome.period), name=scenario.file
            )
            rate = hand_picked_rate(country.observations())
            rule = _loaded_or_none(with_growth(data, cid, rate), scenario.file) if rate else None
            rule_pit = None
            if rule is not None:
                rule_data = outcome_as_target(
                    rule.document.data, cid, outcome.value, outcome.period
                )
                rule_pit = load(rule_data, name=scenario.file)
            plans.append((scenario, cid, pit, rule, rule_pit))
    if not plans:
        raise SettingError("no scenario with an outcome: backtests need countries with outcome:")
    wanted = list({id(s): s for plan in plans for s in plan if isinstance(s, Scenario)}.values())
    runs = run(wanted, paths=paths, seed=seed, workers=workers, progress=progress).runs
    summary = {id(s): r for s, r in zip(wanted, runs, strict=True)}

    def result(scenario: Scenario, country: str) -> Any:
        return summary[id(scenario)].results[list(scenario.spec.countries).index(country)]

    cases = []
    for scenario, cid, pit, rule, rule_pit in plans:
        country = scenario.spec.countries[cid]
        outcome = country.outcome
        assert outcome is not None  # planned only for countries with an outcome
        forecast = result(scenario, cid)
        cases.append(
            BacktestCase(
                file=scenario.file,
                country=cid,
                label=country.label or cid,
                as_of=None if scenario.spec.as_of is None else month_name(scenario.spec.as_of),
                target=country.target.value,
                window=str(forecast.window),
                outcome=outcome.value,
                outcome_period=str(outcome.period),
                met=annual(outcome.value, outcome.period) >= country.target.value,
                probability=smoothed(forecast.hits, paths),
                pit=1 - result(pit, cid).probability,
                hand_picked=None if rule is None else smoothed(result(rule, cid).hits, paths),
                hand_picked_pit=None if rule_pit is None else 1 - result(rule_pit, cid).probability,
            )
        )
    met = [c.met for c in cases]
    base_rate = sum(met) / len(met)
    scores = [
        score("sim", [c.probability for c in cases], met, [c.pit for c in cases]),
        score("constant at the set's base rate", [base_rate] * len(cases), met),
    ]
    ruled = [c for c in cases if c.hand_picked is not None]
    if ruled:
        scores.append(
            score(
                "hand-picked range",
                [c.hand_picked for c in ruled if c.hand_picked is not None],
                [c.met for c in ruled],
                [c.hand_picked_pit for c in ruled if c.hand_picked_pit is not None],
            )
        )
    return BacktestResult(tuple(cases), tuple(scores), base_rate, paths)


def _loaded_or_none(data: dict[str, Any], name: str) -> Scenario | None:
    try:
        return load(data, name=name)
    except ScenarioError:  # e.g. a hand-picked range the growth domain cannot hold
        return None

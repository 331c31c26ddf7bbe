"""Result objects of the API: each renders as the CLI's tables (``render``), turns into the
JSON document (``to_dict``) or a tidy pandas DataFrame (``to_frame``), and shows itself in a
notebook (``_repr_html_``, ``_repr_markdown_``) as the same table."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import SimError, install_extra

if TYPE_CHECKING:  # names for the fields alone: a run need not import the analyses
    import pandas

    from sim.analysis.compare import Comparison
    from sim.analysis.explain import Explanation
    from sim.analysis.solve import Solution
    from sim.analysis.summarise import RunSummary
    from sim.analysis.sweep import Result, Signature
    from sim.calibration.fit import CountryFit
    from sim.calibration.scores import BacktestCase, Bin, Scores
    from sim.engine.outcomes import Outcomes

EXTRA = "frames"  # the optional extra that brings pandas (and pyarrow for Parquet)


class MissingExtraError(SimError, ImportError):
    """An optional dependency is missing; the message names the extra that brings it."""


def pandas_module() -> Any:
    try:
        import pandas
    except ImportError:
        raise MissingExtraError(f"this needs pandas: {install_extra(EXTRA)}") from None
    return pandas


class _Result:
    """What every result can do, given ``render``."""

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``--format json``."""
        return json.loads(self.render("json"))

    def to_frame(self) -> pandas.DataFrame:
        """A tidy DataFrame: the rows and columns of ``--format csv``."""
        # empty cells (e.g. required growth that no rate can give) are missing numbers, not
        # text; nothing else is read as missing
        text = io.StringIO(self.render("csv"))
        return pandas_module().read_csv(text, keep_default_na=False, na_values=[""])

    def _repr_html_(self) -> str:
        return self.render("html")

    def _repr_markdown_(self) -> str:
        return self.render("markdown")

    def __str__(self) -> str:
        return self.render("table")


@dataclass(frozen=True)
class RunResult(_Result):
    """The summaries of one run per scenario; with ``keep_paths``, their per-path outcomes."""

    runs: tuple[RunSummary, ...]
    outcomes: tuple[Outcomes, ...] | None = None

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        from sim.report.render import render

        return render(list(self.runs), fmt, rich_output)

    def _repr_html_(self) -> str:
        """The briefing's pieces: each country's headline in words, then the tables."""
        from sim.report.briefing import headlines

        return headlines(self.runs) + "\n" + self.render("html")

    def to_frame(self) -> pandas.DataFrame:
        """One row per scenario and country: the target's window, with the columns of
        ``--format csv`` (whose yearly rows are ``by_year()``, whose joint rows ``joint()``)."""
        frame = super().to_frame()
        rows = frame["year"].isna() & frame["joint"].isna()
        return frame[rows].drop(columns=["year", "reached", "joint", "k"]).reset_index(drop=True)

    def joint(self) -> pandas.DataFrame:
        """One row per scenario with several countries and joint outcome: ``joint`` is
        ``at_least`` (k or more targets met) or ``count`` (exactly k), with its 95% interval;
        each country is judged on its own target in its own window."""
        rows = [
            {"scenario": run.scenario, "joint": kind, "k": k, **vars(share)}
            for run in self.runs
            if run.joint is not None
            for kind, shares, first in (
                ("at_least", run.joint.at_least, 1),
                ("count", run.joint.count, 0),
            )
            for k, share in enumerate(shares, first)
        ]
        columns = ["scenario", "joint", "k", "probability", "ci_low", "ci_high"]
        return pandas_module().DataFrame(rows, columns=columns)

    def by_year(self) -> pandas.DataFrame:
        """One row per scenario, country and year: P(met in that year's window), P(reached by
        then)."""
        rows = [
            {
                "scenario": run.scenario,
                "country": r.country,
                "year": y.year,
                "window": str(y.window),
                "probability": y.probability,
                "reached": y.reached,
            }
            for run in self.runs
            for r in run.results
            for y in r.by_year
        ]
        return pandas_module().DataFrame(rows)

    def events(self) -> pandas.DataFrame:
        """One row per scenario, country and event: the share of paths with it active before
        the deadline."""
        rows = [
            {"scenario": run.scenario, "country": r.country, "event": name, "share": share}
            for run in self.runs
            for r in run.results
            for name, share in r.events.items()
        ]
        return pandas_module().DataFrame(rows, columns=["scenario", "country", "event", "share"])

    def samples(self) -> pandas.DataFrame:
        """One row per scenario and path: every drawn uncertain input, named by its field path
        (``countries.kz.growth.rate``, ``events.closures.rate``; an event's number of onsets as
        ``events.closures.onsets``), and each country's outcome (``countries.kz.window_total``,
        ``.met``, ``.first_year_reached``: 0 when not by the horizon). Needs
        ``sim.run(..., keep_paths=True)``; 10^6 paths of a one-country file take about 70 MB."""
        pandas = pandas_module()
        frames = []
        for scenario, columns in self._sample_parts():
            paths = len(columns["path"])
            label = pandas.Categorical.from_codes([0] * paths, [scenario])
            frames.append(pandas.DataFrame({"scenario": label, **columns}, copy=False))
        if len(frames) == 1:
            return frames[0]
        joined = pandas.concat(frames, ignore_index=True)
        joined["scenario"] = joined["scenario"].astype("category")
        return joined

    def sample_columns(self) -> dict[str, Any]:
        """The columns of ``samples()`` as numpy arrays (no pandas needed; the scenario as an
        array of text)."""
        import numpy as np

        parts = [
            {"scenario": np.full(len(columns["path"]), scenario, dtype=object), **columns}
            for scenario, columns in self._sample_parts()
        ]
        keys = list(dict.fromkeys(k for part in parts for k in part))
        return {
            key: np.concatenate(
                [part.get(key, np.full(len(part["path"]), np.nan)) for part in parts]
            )
            for key in keys
        }

    def _sample_parts(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Per scenario: its name and its per-path columns."""
        import numpy as np

        from sim.analysis.samples import first_year_reached, path_inputs

        if self.outcomes is None:
            raise SimError("per-path samples need a run with keep_paths=True (--samples FILE)")
        for run, outcomes in zip(self.runs, self.outcomes, strict=True):
            model = outcomes.model
            columns: dict[str, Any] = {"path": np.arange(outcomes.paths, dtype=np.int32)}
            for index, (country, outcome) in enumerate(
                zip(model.countries, outcomes.countries, strict=True)
            ):
                prefix = f"countries.{country.id}."
                columns[prefix + "window_total"] = outcome.window_total
                columns[prefix + "met"] = outcome.met
                reached = first_year_reached(model, outcomes, index)
                columns[prefix + "first_year_reached"] = reached.astype(np.int16)
            columns.update(path_inputs(model, outcomes))
            yield run.scenario, columns

    def write_samples(self, path: Path) -> None:
        """Write ``samples()`` as CSV, or as Parquet when ``path`` ends in .parquet."""
        frame = self.samples()
        if path.suffix.lower() == ".parquet":
            try:
                frame.to_parquet(path, index=False)
            except ImportError:
                raise MissingExtraError(f"Parquet needs pyarrow: {install_extra(EXTRA)}") from None
        else:
            frame.to_csv(path, index=False)


@dataclass(frozen=True)
class CompareResult(_Result):
    comparisons: tuple[Comparison, ...]

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        from sim.report.analysis import render_comparisons

        return render_comparisons(list(self.comparisons), fmt, rich_output)


@dataclass(frozen=True)
class ExplainResult(_Result):
    explanations: tuple[tuple[str, str, Explanation], ...]  # scenario, file, explanation

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        from sim.report.analysis import render_explanations

        return render_explanations(list(self.explanations), fmt, rich_output)

    def _repr_html_(self) -> str:
        """The briefing's pieces: the tornado chart per country (with matplotlib), then the
        tables."""
        from sim.report.briefing import tornado_svg
        from sim.report.plot import PlotUnavailable

        charts = []
        for _, _, explanation in self.explanations:
            for index, country in enumerate(explanation.base.model.countries):
                try:
                    charts.append(tornado_svg(explanation, index, country.label))
                except PlotUnavailable:  # without matplotlib, the tables alone
                    return self.render("html")
        return "\n".join([*charts, self.render("html")])


@dataclass(frozen=True)
class SolveResult(_Result):
    solutions: tuple[tuple[str, str, Solution], ...]  # scenario, file, solution

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        from sim.report.analysis import render_solutions

        return render_solutions(list(self.solutions), fmt, rich_output)


@dataclass(frozen=True)
class SweepResult(_Result):
    scenario: str
    file: str
    fields: tuple[str, ...]
    points: tuple[tuple[tuple[str, ...], tuple[Result, ...]], ...]  # values as written, results
    signature: Signature

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        from sim.report.analysis import render_sweep

        done = [(texts, list(results)) for texts, results in self.points]
        return render_sweep(
            self.scenario, self.file, list(self.fields), done, self.signature, fmt, rich_output
        )


@dataclass(frozen=True)
class FitResult(_Result):
    """The growth block each country with a history would be run with, and why."""

    scenario: str
    file: str
    countries: tuple[CountryFit, ...]

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        from sim.report.calibration import render_fit

        return render_fit(self.scenario, self.file, self.countries, fmt, rich_output)


@dataclass(frozen=True)
class BacktestResult(_Result):
    cases: tuple[BacktestCase, ...]
    scores: tuple[Scores, ...]
    base_rate: float  # the share of the set's targets that were met
    paths: int

    def reliability(self) -> list[Bin]:
        from sim.calibration.scores import reliability

        return reliability([c.probability for c in self.cases], [c.met for c in self.cases])

    def render(self, fmt: str = "table", rich_output: bool = False) -> str:
        from sim.report.calibration import render_backtest

        return render_backtest(
            self.cases,
            self.scores,
            self.reliability(),
            self.base_rate,
            self.paths,
            fmt,
            rich_output,
        )

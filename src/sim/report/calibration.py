"""Showing fits and backtests: the fitted growth blocks with their evidence, and the scores of
past forecasts against what happened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.report.analysis import csv_text, emit
from sim.report.render import (
    Section,
    json_document,
    percent,
)

if TYPE_CHECKING:
    from sim.calibration.fit import CountryFit
    from sim.calibration.scores import BacktestCase, Bin, Scores

GROWTH_FIELDS = ("rate", "long_run", "half_life", "volatility", "noise")


def render_fit(
    scenario: str,
    file: str,
    countries: tuple[CountryFit, ...],
    fmt: str,
    rich_output: bool = False,
) -> str:
    fitted = [c for c in countries if c.fit is not None]
    if fmt == "json":
        return json_document(
            "fits",
            [
                {
                    "scenario": scenario,
                    "file": file,
                    "country": c.country,
                    "label": c.label,
                    "statistic": c.statistic,
                    "growth": None if c.fit is None else c.fit.block,
                    "evidence": None if c.fit is None else c.fit.evidence,
                }
                for c in countries
            ],
        )
    if fmt == "csv":
        return csv_text(
            ["scenario", "file", "country", "label", "statistic", *GROWTH_FIELDS],
            [
                [
                    scenario,
                    file,
                    c.country,
                    c.label,
                    c.statistic or "",
                    *(c.fit.block.get(k, "") for k in GROWTH_FIELDS),
                ]
                for c in fitted
                if c.fit is not None
            ],
        )
    if fmt == "table":
        lines = [f"{scenario} ({file})", ""]
        for c in countries:
            if c.fit is None:
                lines += [f"{c.label}: no history; growth as the file writes it.", ""]
                continue
            judged = f", judged by {c.statistic}" if c.statistic else ""
            lines += [f"{c.country}:  # {c.label}{judged}", "  growth:"]
            lines += [f"    {k}: {c.fit.block[k]}" for k in GROWTH_FIELDS if k in c.fit.block]
            lines += [line for s in c.fit.evidence for line in _comment(s)] + [""]
        return "\n".join(lines)
    sections = [
        Section(
            None,
            ["Country", "Growth now", "Long run", "Half-life\n(years)", "Volatility"],
            [
                [
                    c.label,
                    c.fit.block["rate"],
                    c.fit.block["long_run"],
                    c.fit.block["half_life"],
                    c.fit.block["volatility"],
                ]
                for c in fitted
                if c.fit is not None
            ],
        )
    ]
    notes = [f"{c.label}: " + " ".join(c.fit.evidence) for c in fitted if c.fit is not None]
    return emit(sections, notes, fmt, rich_output, heading=f"Fitted growth: {scenario}")


def _share(value: float | None) -> str:
    return "n/a" if value is None else percent(value)


def render_backtest(
    cases: tuple[BacktestCase, ...],
    scores: tuple[Scores, ...],
    bins: list[Bin],
    base_rate: float,
    paths: int,
    fmt: str,
    rich_output: bool = False,
) -> str:
    if fmt == "json":
        return json_document(
            "backtests",
            [
                {
                    "paths": paths,
                    "base_rate": base_rate,
                    "cases": [vars(c) for c in cases],
                    "scores": [vars(s) for s in scores],
                    "reliability": [vars(b) for b in bins],
                }
            ],
        )
    if fmt == "csv":
        header = list(vars(cases[0]))
        return csv_text(header, [[getattr(c, k) for k in header] for c in cases])
    case_rows = [
        [
            f"{c.label} ({c.file.rsplit('/', 1)[-1]})",
            c.as_of or "—",
            f"{c.target:,.0f} in {c.window}",
            f"{c.outcome:,.0f}",
            "met" if c.met else "missed",
            percent(c.probability),
            f"{c.pit:.2f}",
            _share(c.hand_picked),
        ]
        for c in cases
    ]
    score_rows = [
        [
            s.forecaster,
            str(s.count),
            f"{s.brier:.3f}",
            f"{s.log:.3f}",
            _share(s.coverage_50),
            _share(s.coverage_90),
        ]
        for s in scores
    ]
    bin_rows = [
        [
            f"{b.low:.0%}–{b.high:.0%}",
            str(b.count),
            _share(b.forecast),
            _share(b.observed),
        ]
        for b in bins
        if b.count
    ]
    sections = [
        Section(
            None,
            ["Target", "As of", "Target", "Outcome", "", "P(sim)", "PIT", "P(hand-\npicked)"],
            case_rows,
        ),
        Section(
            "Scores (lower is better for Brier and log; a calibrated forecaster has about 50% "
            "of outcomes in its 50% range and 90% in its 90% range)",
            ["Forecaster", "Targets", "Brier", "Log", "In 50%\nrange", "In 90%\nrange"],
            score_rows,
        ),
        Section(
            "Reliability: sim's forecasts grouped by probability",
            ["P(sim)", "Targets", "Mean forecast", "Share met"],
            bin_rows,
        ),
    ]
    notes = [
        f"{len(cases)} past targets, {sum(c.met for c in cases)} met; {paths:,} paths "
        "each. PIT: the outcome's percentile in sim's forecast of trade over the outcome's "
        "period. P is (hits + 1/2) / (paths + 1), so that log scores stay finite. The constant "
        f"rival forecasts the set's own base rate ({base_rate:.0%}) for every target: "
        "it knows the answer's frequency, which sim must learn from data dated before each "
        "as_of."
    ]
    return emit(sections, notes, fmt, rich_output, heading="Backtest of past targets")


COMMENT_WIDTH = 80  # the YAML block pastes into a scenario file read at 80 columns


def _comment(sentence: str) -> list[str]:
    """A sentence as YAML comment lines (``  # ...``) of at most ``COMMENT_WIDTH`` columns."""
    import textwrap

    return textwrap.wrap(
        sentence,
        COMMENT_WIDTH,
        initial_indent="  # ",
        subsequent_indent="  #   ",
        break_on_hyphens=False,
    )

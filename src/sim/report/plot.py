"""Charts: per country, a fan chart of yearly turnover and the odds of having reached the target.

The numbers behind a chart (``chart_data``) are computed apart from the drawing, so they can be
tested; drawing needs matplotlib (``pip install 'sim[plot]'``) and uses its Agg backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.summarise import baseline_annual, year_window
from sim.engine.outcomes import Outcomes
from sim.errors import SimulationError
from sim.report.render import window_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BANDS = (5, 25, 50, 75, 95)


class PlotUnavailable(SimulationError):
    """matplotlib is not installed."""


@dataclass(frozen=True)
class CountryChart:
    """What one country's pair of panels shows."""

    label: str
    unit: str
    years: np.ndarray  # each window's midpoint as a fractional year (2027.5 for calendar 2027)
    window_names: tuple[str, ...]  # 2027, FY2027-28, ...
    bands: dict[int, np.ndarray]  # percentile -> yearly window turnover at that percentile
    baseline_year: float  # the baseline period's midpoint, as a fractional year
    baseline: tuple[float, float, float]  # annualised baseline p5, p50, p95
    target: float
    deadline_year: float
    met: np.ndarray  # share of paths meeting the target in each year's window
    reached: np.ndarray  # ... in that window or an earlier one
    sources: tuple[str, ...]


def _year(grid_start: int, month: float) -> float:
    """A grid month (or fractional month) as a fractional year, at the middle of the month."""
    return (grid_start + month + 0.5) / 12.0


def chart_data(outcomes: Outcomes) -> list[CountryChart]:
    """The data of each country's charts (``simulate(..., years=True)`` outcomes)."""
    model = outcomes.model
    charts = []
    for country, outcome in zip(model.countries, outcomes.countries, strict=True):
        if outcome.yearly is None:
            raise ValueError("chart data needs outcomes simulated with years=True")
        sources = tuple(
            f"{what}: {text}"
            for what, text in (
                ("Baseline", country.baseline_source),
                ("Target", country.target_source),
            )
            if text
        )
        charts.append(
            CountryChart(
                label=country.label,
                unit=model.unit,
                years=np.array([_year(model.grid_start, end - 5.5) for end in country.year_ends]),
                window_names=tuple(
                    window_label(year_window(model, end), model.fiscal_year_start)
                    for end in country.year_ends
                ),
                bands={q: np.percentile(outcome.yearly, q, axis=1) for q in BANDS},
                baseline_year=_year(model.grid_start, country.midpoint),
                baseline=baseline_annual(country),
                target=country.target,
                deadline_year=_year(model.grid_start, country.window_end - 5.5),
                met=outcome.met_in_year / outcomes.paths,
                reached=outcome.reached_by_year / outcomes.paths,
                sources=sources,
            )
        )
    return charts


def draw(charts: list[CountryChart], title: str, footer: str, path: Path) -> None:
    """Draw the charts, one row per country, into a PNG at ``path``."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(
            "sim plot needs matplotlib; install it with: pip install 'sim[plot]'"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(charts)
    notes = [footer, *dict.fromkeys(s for chart in charts for s in chart.sources)]
    footer_inches = 0.15 * (len(notes) + 1)
    height = 4.2 * rows + 0.6 + footer_inches
    figure, axes = plt.subplots(
        rows, 2, figsize=(12, height), squeeze=False, gridspec_kw={"width_ratios": [3, 2]}
    )
    for (fan, odds), chart in zip(axes, charts, strict=True):
        _fan(fan, chart)
        _odds(odds, chart)
    figure.suptitle(title, fontsize=13, fontweight="bold")
    text = "\n".join(notes).replace("$", r"\$")  # a $ would start matplotlib's maths mode
    figure.text(0.01, 0.005, text, fontsize=7.5, color="0.35", va="bottom")
    figure.tight_layout(rect=(0, footer_inches / height, 1, 1 - 0.45 / height))
    figure.savefig(path, format="png", dpi=110)
    plt.close(figure)


def _fan(axis: Axes, chart: CountryChart) -> None:
    years = chart.years
    axis.fill_between(
        years, chart.bands[5], chart.bands[95], color="#9ecae1", alpha=0.5, label="5–95% of paths"
    )
    axis.fill_between(
        years, chart.bands[25], chart.bands[75], color="#4292c6", alpha=0.6, label="25–75%"
    )
    axis.plot(years, chart.bands[50], color="#08306b", linewidth=2, label="median")
    low, mid, high = chart.baseline
    axis.errorbar(
        [chart.baseline_year],
        [mid],
        yerr=[[mid - low], [high - mid]],
        fmt="o",
        color="black",
        capsize=4,
        label="observed baseline (annualised)",
    )
    axis.axhline(chart.target, color="#cb181d", linestyle="--", linewidth=1)
    axis.plot(
        [chart.deadline_year],
        [chart.target],
        marker="*",
        markersize=14,
        color="#cb181d",
        linestyle="none",
        label=f"target {chart.target:,.0f} by deadline",
    )
    axis.set_yscale("log")
    axis.set_xlim(min(chart.baseline_year, years.min()) - 0.3, years.max() + 0.3)
    axis.set_title(f"{chart.label}: trade over 12 months", loc="left")
    axis.set_ylabel(f"turnover, {chart.unit} (log scale)")
    axis.set_xlabel("12 months ending in the deadline's month")
    _year_ticks(axis, chart)
    axis.grid(True, which="both", alpha=0.25)
    axis.legend(fontsize=8, loc="best")


def _odds(axis: Axes, chart: CountryChart) -> None:
    axis.step(
        chart.years,
        100 * chart.reached,
        where="mid",
        color="#cb181d",
        linewidth=2,
        label="reached by then",
    )
    axis.plot(
        chart.years, 100 * chart.met, "o--", color="0.4", markersize=4, label="met in that year"
    )
    axis.axvline(chart.deadline_year, color="#cb181d", linestyle=":", linewidth=1)
    axis.set_ylim(0, 100)
    axis.set_title("chance of having reached the target", loc="left")
    axis.set_ylabel("% of paths")
    axis.set_xlabel("12 months ending in the deadline's month")
    _year_ticks(axis, chart)
    axis.grid(True, alpha=0.25)
    axis.legend(fontsize=8, loc="upper left")


def _year_ticks(axis: Axes, chart: CountryChart) -> None:
    """Ticks at the windows, named as years (2027) or fiscal years (FY2027-28), not crowded."""
    wide = max(len(name) for name in chart.window_names) > 4
    step = max(1, math.ceil(len(chart.years) / (5 if wide else 10)))
    axis.set_xticks(chart.years[::step], chart.window_names[::step], fontsize=8)

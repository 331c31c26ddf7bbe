"""Charts: per country, a fan of yearly trade leading on from the observed record, with the
chance of meeting the target, and the odds of having reached it by each year.

The numbers behind a chart (``chart_data``, ``scale``, ``tick_text``, ``time_axis``,
``footer``) are computed apart from the drawing, so they can be tested. Drawing needs
matplotlib (``pip install '.[plot]'``); a chart is written as PNG, SVG or PDF, chosen by the
file's extension (``chart_format``), or returned as SVG text for a web page (``svg``).
"""

from __future__ import annotations

import io
import math
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from sim.analysis.estimate import proportion_interval
from sim.analysis.summarise import baseline_annual, year_window
from sim.core.periods import Period
from sim.engine.outcomes import Outcomes
from sim.errors import SettingError, SimulationError, install_extra
from sim.report.render import MONTHS, interval_text, percent, window_label, window_words

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ChartFormat = Literal["png", "svg", "pdf"]
CHART_FORMATS: tuple[ChartFormat, ...] = get_args(ChartFormat)
BANDS = (5, 25, 50, 75, 95)
# The y-axis reaches this many times the highest of the target, the observed trade and the
# 75th percentile (and as far below the lowest): a 95th (5th) percentile beyond is cut, and a
# note on the chart says where it goes.
HEADROOM = 4.0
MARGIN = 1.6  # room around the plotted values on the log axis when nothing is cut
HISTORY_YEARS = 15  # the record shown: what ends in the 15 years before the simulation

# Figure geometry, in inches and points.
WIDTH = 13.0
ROW = 5.1  # one country: two panels, their titles and the legends under them
TITLE = 0.3  # a line of the title
TITLE_CHARS = 95  # characters in a line of the title (13 points, bold)
FOOTER_SIZE = 7.0  # points
FOOTER_LINE = FOOTER_SIZE * 1.3 / 72  # inches a footer line takes
FOOTER_CHARS = int(WIDTH * 72 / (FOOTER_SIZE * 0.6)) - 4  # a line that surely fits the width

OBSERVED = "#252525"
FAN = ("#c6dbef", "#6baed6", "#08306b")  # 5–95%, 25–75%, median
TARGET = "#cb181d"


class PlotUnavailable(SimulationError):
    """matplotlib is not installed."""


@dataclass(frozen=True)
class Observed:
    """One point of the country's history: trade over a period, as a yearly rate."""

    start: float  # the period's first month, as a fractional year (2024.0: January 2024)
    end: float  # the end of its last month (2025.0: the end of December 2024)
    annual: float  # the value × 12 / months


@dataclass(frozen=True)
class CountryChart:
    """What one country's pair of panels shows. Times are fractional years: 2027.0 is the
    start of January 2027; a 12-month total sits at the middle of its window."""

    label: str
    unit: str
    years: np.ndarray  # each yearly window's midpoint (2027.5 for calendar 2027)
    window_names: tuple[str, ...]  # 2027, FY2027-28, ...
    bands: dict[int, np.ndarray]  # percentile -> yearly window trade at that percentile
    baseline_year: float  # the baseline period's midpoint
    baseline: tuple[float, float, float]  # annualised baseline p5, p50, p95
    target: float
    deadline_year: float  # the target window's midpoint
    met: np.ndarray  # share of paths meeting the target in each year's window
    reached: np.ndarray  # ... in that window or an earlier one
    sources: tuple[str, ...]  # "Kazakhstan baseline: ...", "Kazakhstan target: ..."
    window: tuple[float, float]  # the target window's start and end
    window_text: str  # the target window in words: Jan–Dec 2027
    fiscal: bool  # judged on a fiscal year
    fiscal_year_start: int
    observed: tuple[Observed, ...]  # the judging history's recent points, oldest first
    statistic: str | None  # the history series' name
    baseline_span: tuple[float, float]  # the baseline period's start and end
    simulated_from: float  # the first simulated month's start
    paths: int
    probability: float  # P(target): the share of paths meeting it in the target window
    ci_low: float  # its 95% Monte Carlo interval, as ``sim run`` gives it
    ci_high: float

    @property
    def headline(self) -> str:
        """``P(target) 5.7% (±MC 5.5–5.8%)``, as the table prints it."""
        return (
            f"P(target) {percent(self.probability)} "
            f"(±MC {interval_text(self.ci_low, self.ci_high)})"
        )


def _start(month: int) -> float:
    """An absolute month index as the fractional year at its start."""
    return month / 12.0


def _middle(period: Period) -> float:
    return (period.first + period.last + 1) / 24.0


def chart_data(outcomes: Outcomes) -> list[CountryChart]:
    """The data of each country's charts (``simulate(..., years=True)`` outcomes). The
    per-path yearly totals are reduced to percentiles here; the charts keep no path."""
    model = outcomes.model
    charts = []
    for country, outcome in zip(model.countries, outcomes.countries, strict=True):
        if outcome.yearly is None:
            raise ValueError("chart data needs outcomes simulated with years=True")
        windows = [year_window(model, end) for end in country.year_ends]
        baseline_period = Period(
            model.grid_start + country.first_simulated - country.baseline_months,
            model.grid_start + country.first_simulated - 1,
        )
        low, high = proportion_interval(outcome.met, outcomes.antithetic)
        label = window_label(country.window, model.fiscal_year_start)
        charts.append(
            CountryChart(
                label=country.label,
                unit=model.unit,
                years=np.array([_middle(w) for w in windows]),
                window_names=tuple(window_label(w, model.fiscal_year_start) for w in windows),
                bands=dict(zip(BANDS, np.percentile(outcome.yearly, BANDS, axis=1), strict=True)),
                baseline_year=_middle(baseline_period),
                baseline=baseline_annual(country),
                target=country.target,
                deadline_year=_middle(country.window),
                met=outcome.met_in_year / outcomes.paths,
                reached=outcome.reached_by_year / outcomes.paths,
                sources=tuple(
                    f"{country.label} {what}: {text}"
                    for what, text in (
                        ("baseline", country.baseline_source),
                        ("target", country.target_source),
                    )
                    if text
                ),
                window=(_start(country.window.first), _start(country.window.last + 1)),
                window_text=window_words(country.window, model.fiscal_year_start),
                fiscal=label.startswith("FY"),
                fiscal_year_start=model.fiscal_year_start,
                observed=tuple(
                    Observed(
                        _start(p.first),
                        _start(p.last + 1),
                        p.value * 12.0 / (p.last - p.first + 1),
                    )
                    for p in country.history
                    if p.last + 1 >= baseline_period.last + 1 - 12 * HISTORY_YEARS
                ),
                statistic=country.statistic,
                baseline_span=(_start(baseline_period.first), _start(baseline_period.last + 1)),
                simulated_from=_start(baseline_period.last + 1),
                paths=outcomes.paths,
                probability=int(np.count_nonzero(outcome.met)) / outcomes.paths,
                ci_low=low,
                ci_high=high,
            )
        )
    return charts


# --- words and numbers ----------------------------------------------------------------------


def chart_format(path: str | os.PathLike[str], named: str | None = None) -> ChartFormat:
    """The format a chart is written in, from the file's extension; a ``SettingError`` naming
    the file (as ``named``, if given) and the formats there are otherwise."""
    suffix = Path(path).suffix
    found = suffix.lower().removeprefix(".")
    for known in CHART_FORMATS:
        if found == known:
            return known
    what = f"the extension {suffix}" if suffix else "no extension"
    allowed = ", ".join(f".{f}" for f in CHART_FORMATS)
    raise SettingError(
        f"{named or path}: a chart is written as PNG, SVG or PDF, chosen by the file's "
        f"extension ({allowed}); this name has {what}"
    )


def shown_file(file: str) -> str:
    """A scenario's file name for a chart: as the user gave it, or, when that is absolute,
    relative to the current folder (only the file's name when it is elsewhere), so that a
    chart never shows where someone's files are."""
    if not os.path.isabs(file):
        return file
    try:
        relative = os.path.relpath(file)
    except ValueError:  # another drive (Windows)
        return os.path.basename(file)
    return os.path.basename(file) if relative.startswith("..") else relative


def footer(
    labels: list[str],
    file: str,
    sha256: str,
    paths: int,
    seed: int,
    method: str,
    provenance: str,
) -> str:
    """The lines under a chart: which countries, which file (and which version of it: its
    SHA-256's first 12 hex digits), how the paths were made, and what made the chart."""
    return "\n".join(
        [
            f"{', '.join(labels)}: {shown_file(file)} (SHA-256 {sha256[:12]}).",
            f"{paths:,} paths, seed {seed}, {method} method (P(target) is sim run's with these). "
            "Bands: 5–95% and 25–75% of the simulated paths, line: their median; each "
            "12-month total sits at the middle of its window.",
            f"{provenance}.",
        ]
    )


_MONEY = re.compile(r"(?:USD|US\$|\$)\s*(|thousands?|millions?|billions?)", re.IGNORECASE)
_SCALE = {"": 1.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
_LETTERS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def money_scale(unit: str) -> float | None:
    """Dollars per unit when the unit is US dollars (``USD million``: 1e6); None otherwise."""
    match = _MONEY.fullmatch(unit.strip())
    if match is None:
        return None
    return _SCALE[match[1].lower().removesuffix("s")]


def _short(number: float) -> str:
    """Up to three significant digits, no exponent and no trailing zeros."""
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:.3g}"


def tick_text(value: float, unit: str) -> str:
    """A value in the file's unit as an axis reads it: ``$200M``, ``$1B``, ``$1.5B`` for US
    dollars; otherwise a plain number (``1,500``, ``12.5``), the unit named by the axis."""
    scale = money_scale(unit)
    if scale is None:
        return _short(float(f"{value:.3g}"))
    dollars = float(f"{value * scale:.3g}")  # rounded first: 999.6M reads $1B
    for size, letter in _LETTERS:
        if abs(dollars) >= size:
            return f"${_short(dollars / size)}{letter}"
    return f"${_short(dollars)}"


def amount(value: float, unit: str) -> str:
    """A value in words: ``$100B``, or ``1,500 tonnes``."""
    text = tick_text(value, unit)
    return text if money_scale(unit) is not None else f"{text} {unit}"


@dataclass(frozen=True)
class Scale:
    """A fan panel's y-axis (log): its limits, and notes for the bands it cuts."""

    low: float
    high: float
    notes: tuple[str, ...]


def scale(chart: CountryChart) -> Scale:
    """The y-limits of a country's fan: everything when it fits within ``HEADROOM`` of the
    target, the observed trade and the middle half of the paths; else cut, with a note."""
    shown = [o.annual for o in chart.observed] + [chart.baseline[0], chart.baseline[2]]
    inner_high = max(chart.target, float(np.max(chart.bands[75])), *shown)
    inner_low = min(chart.target, float(np.min(chart.bands[25])), *shown)
    notes = []
    top = float(np.max(chart.bands[95]))
    if top > inner_high * HEADROOM:
        when = chart.window_names[int(np.argmax(chart.bands[95]))]
        notes.append(f"95th percentile reaches {amount(top, chart.unit)} by {when}, off the scale")
        high = inner_high * HEADROOM
    else:
        high = max(top, inner_high) * MARGIN
    bottom = float(np.min(chart.bands[5]))
    if bottom < inner_low / HEADROOM:
        when = chart.window_names[int(np.argmin(chart.bands[5]))]
        notes.append(
            f"5th percentile falls to {amount(bottom, chart.unit)} by {when}, below the scale"
        )
        low = inner_low / HEADROOM
    else:
        low = min(bottom, inner_low) / MARGIN
    return Scale(low, high, tuple(notes))


@dataclass(frozen=True)
class TimeAxis:
    """The x-axis convention of a whole figure: calendar years, or fiscal years when any
    country is judged on one."""

    first_month: int  # 1: calendar years; else the month fiscal years begin in
    label: str

    def year_start(self, year: int) -> float:
        """Where the (fiscal) year beginning in calendar year ``year`` starts."""
        return year + (self.first_month - 1) / 12.0

    def name(self, year: int) -> str:
        if self.first_month == 1:
            return str(year)
        return f"FY{year % 100:02d}-{(year + 1) % 100:02d}"


def time_axis(charts: list[CountryChart]) -> TimeAxis:
    """One convention for every panel of a figure."""
    fiscal = [c for c in charts if c.fiscal]
    if not fiscal:
        return TimeAxis(1, "calendar years")
    first = fiscal[0].fiscal_year_start
    last = (first + 10) % 12 + 1
    return TimeAxis(
        first,
        f"fiscal years, {MONTHS[first - 1]}–{MONTHS[last - 1]} "
        f"(FY27-28: {MONTHS[first - 1]} 2027–{MONTHS[last - 1]} 2028)",
    )


# --- drawing --------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Text as matplotlib shows it literally: a $ would start its maths mode."""
    return text.replace("$", r"\$")


def require_matplotlib() -> None:
    """Raise PlotUnavailable, naming the extra to install, when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotUnavailable(
            f"charts need matplotlib; install it with: {install_extra('plot')}"
        ) from None


def _footer_lines(charts: list[CountryChart], footer: str) -> list[str]:
    notes = [*footer.splitlines(), *dict.fromkeys(s for chart in charts for s in chart.sources)]
    return [
        wrapped
        for note in notes
        for wrapped in textwrap.wrap(note, FOOTER_CHARS, subsequent_indent="  ") or [""]
    ]


def figure(charts: list[CountryChart], title: str, footer: str) -> Figure:
    """The whole chart: one row per country (fan on the left, odds on the right, their
    legends under them), the title above and the footer below."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lines = _footer_lines(charts, footer)
    footer_height = FOOTER_LINE * len(lines) + 0.25
    heading = textwrap.wrap(title, TITLE_CHARS) or [""]
    title_height = TITLE + 0.22 * (len(heading) - 1)
    height = title_height + ROW * len(charts) + footer_height
    drawn = Figure(figsize=(WIDTH, height))
    FigureCanvasAgg(drawn)  # text is measured for the layout as Agg draws it
    grid = drawn.add_gridspec(
        2 * len(charts), 2, width_ratios=[3, 2], height_ratios=[3.7, 0.75] * len(charts)
    )
    convention = time_axis(charts)
    start = min(min([o.start for o in c.observed] + [c.baseline_span[0]]) for c in charts)
    end = max(c.years[-1] + 0.5 for c in charts)
    for row, chart in enumerate(charts):
        fan, odds = drawn.add_subplot(grid[2 * row, 0]), drawn.add_subplot(grid[2 * row, 1])
        _fan(fan, chart, convention, (start - 0.25, end + 0.25))
        _odds(odds, chart, convention)
        for column, (panel, columns) in enumerate(((fan, 2), (odds, 1))):
            key = drawn.add_subplot(grid[2 * row + 1, column])
            key.axis("off")
            key.legend(
                *panel.get_legend_handles_labels(),
                loc="upper center",
                ncol=columns,
                fontsize=7.5,
                frameon=False,
                handlelength=1.8,
                columnspacing=1.5,
                borderaxespad=0,
            )
    drawn.suptitle(_plain("\n".join(heading)), fontsize=13, fontweight="bold")
    drawn.text(
        0.01,
        0.08 / height,
        _plain("\n".join(lines)),
        fontsize=FOOTER_SIZE,
        color="0.3",
        va="bottom",
        linespacing=1.15,
    )
    drawn.tight_layout(
        rect=(0, footer_height / height, 1, 1 - title_height / height),
        pad=0.8,
        h_pad=0.6,
        w_pad=2.5,
    )
    return drawn


def draw(charts: list[CountryChart], title: str, footer: str, path: str | os.PathLike[str]) -> None:
    """Write the chart to ``path`` as PNG, SVG or PDF, by its extension."""
    kind = chart_format(path)
    _save(figure(charts, title, footer), path, kind)


def svg(charts: list[CountryChart], title: str, footer: str) -> str:
    """The chart as one ``<svg>`` element to put inside a web page (``figure_svg``)."""
    return figure_svg(figure(charts, title, footer))


def figure_svg(drawn: Figure) -> str:
    """A figure as one ``<svg>`` element to put inside a web page: no XML declaration,
    no DOCTYPE, no metadata, nothing it refers to outside itself (its text drawn as paths)."""
    buffer = io.BytesIO()
    _save(drawn, buffer, "svg")
    text = buffer.getvalue().decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL).strip() + "\n"


def _save(drawn: Figure, target: str | os.PathLike[str] | io.BytesIO, kind: ChartFormat) -> None:
    from matplotlib import rc_context

    # fixed ids and text as paths: the same chart gives the same SVG, shown alike everywhere
    with rc_context({"svg.hashsalt": "sim", "svg.fonttype": "path"}):
        drawn.savefig(target, format=kind, dpi=110)


def _fan(axis: Axes, chart: CountryChart, convention: TimeAxis, span: tuple[float, float]) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    name = chart.label
    years = chart.years
    axis.axvspan(span[0], chart.simulated_from, color="0.95", zorder=0)
    axis.axvspan(*chart.window, color=TARGET, alpha=0.1, linewidth=0, zorder=0)
    axis.fill_between(
        years, chart.bands[5], chart.bands[95], color=FAN[0], label=f"{name}: 5–95% of paths"
    )
    axis.fill_between(
        years, chart.bands[25], chart.bands[75], color=FAN[1], label=f"{name}: 25–75%"
    )
    axis.plot(years, chart.bands[50], color=FAN[2], linewidth=2, label=f"{name}: median")

    low, mid, high = chart.baseline
    baseline_x = chart.baseline_year
    if chart.observed:
        xs = [(o.start + o.end) / 2 for o in chart.observed]
        axis.errorbar(
            xs,
            [o.annual for o in chart.observed],
            xerr=[
                [x - o.start for x, o in zip(xs, chart.observed, strict=True)],
                [o.end - x for x, o in zip(xs, chart.observed, strict=True)],
            ],
            fmt="o-",
            color=OBSERVED,
            markersize=5,
            linewidth=1.2,
            elinewidth=0.8,
            capsize=0,
            label=f"{name}: observed{', ' + chart.statistic if chart.statistic else ''}"
            " (a year; part-years annualised)",
        )
        baseline_label = f"{name}: baseline run-rate, where the paths start"
    else:
        baseline_label = f"{name}: observed baseline (run-rate a year)"
    axis.errorbar(
        [baseline_x],
        [mid],
        yerr=[[mid - low], [high - mid]],
        xerr=[[baseline_x - chart.baseline_span[0]], [chart.baseline_span[1] - baseline_x]],
        fmt="D" if chart.observed else "o",
        markerfacecolor="white" if chart.observed else OBSERVED,
        color=OBSERVED,
        markersize=6,
        elinewidth=0.8,
        capsize=3,
        label=baseline_label,
    )
    axis.axhline(chart.target, color=TARGET, linestyle="--", linewidth=1)
    axis.plot(
        [chart.deadline_year],
        [chart.target],
        marker="*",
        markersize=14,
        color=TARGET,
        linestyle="none",
        label=_plain(
            f"{name}: target {amount(chart.target, chart.unit)} in {chart.window_text} (shaded)"
        ),
    )

    limits = scale(chart)
    axis.set_yscale("log")
    axis.set_ylim(limits.low, limits.high)
    decades = math.log10(limits.high / limits.low)
    subs = (1.0, 2.0, 5.0) if decades > 1.2 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    axis.yaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=30))
    axis.yaxis.set_minor_locator(LogLocator(base=10, subs="auto", numticks=30))
    axis.yaxis.set_major_formatter(
        FuncFormatter(lambda value, _: _plain(tick_text(value, chart.unit)))
    )
    axis.yaxis.set_minor_formatter(NullFormatter())
    unit = "US dollars" if money_scale(chart.unit) is not None else chart.unit
    axis.set_ylabel(f"trade over 12 months, {unit} (log scale)", fontsize=8.5)
    axis.tick_params(axis="y", labelsize=8)

    axis.set_xlim(*span)
    _time_ticks(axis, convention, span, wide=True)
    axis.grid(True, axis="y", which="major", alpha=0.3)
    axis.grid(True, axis="x", which="minor", alpha=0.3)

    # which side is record and which is simulation, said at the foot of the panel
    foot = axis.get_xaxis_transform()  # x in data, y in axes fraction
    for x, words, side in (
        (chart.simulated_from - 0.08, "observed", "right"),
        (chart.simulated_from + 0.08, "simulated", "left"),
    ):
        axis.text(
            x,
            0.025,
            words,
            transform=foot,
            ha=side,
            va="bottom",
            fontsize=8,
            color="0.3",
            style="italic",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1},
        )
    # above the panel, from the top: the headline, the target, what the axis cuts (in red)
    stack = [  # (words, size, weight, colour)
        (f"{name}: {chart.headline}", 12.0, "bold", "black"),
        (
            f"target {amount(chart.target, chart.unit)} of trade in {chart.window_text} "
            f"(shaded); {chart.paths:,} paths",
            9.0,
            "normal",
            "black",
        ),
        *((note, 8.5, "normal", TARGET) for note in limits.notes),
    ]
    height = 4.0
    for words, size, weight, colour in reversed(stack):
        axis.annotate(
            _plain(words),
            xy=(0, 1),
            xycoords="axes fraction",
            xytext=(0, height),
            textcoords="offset points",
            va="bottom",
            fontsize=size,
            fontweight=weight,
            color=colour,
        )
        height += size * 1.35


def _odds(axis: Axes, chart: CountryChart, convention: TimeAxis) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    name = chart.label
    axis.axvspan(*chart.window, color=TARGET, alpha=0.1, linewidth=0)
    axis.step(
        chart.years,
        100 * chart.reached,
        where="mid",
        color=TARGET,
        linewidth=2,
        label=f"{name}: reached by then",
    )
    axis.plot(
        chart.years,
        100 * chart.met,
        "o--",
        color="0.4",
        markersize=4,
        label=f"{name}: met in that 12-month window",
    )
    axis.plot(
        [chart.deadline_year],
        [100 * chart.probability],
        marker="*",
        markersize=13,
        color=TARGET,
        linestyle="none",
        label=f"{name}: P(target) {percent(chart.probability)}",
    )
    highest = 100 * max(float(np.max(chart.reached)), chart.probability)
    top = next(t for t in (1, 2, 5, 10, 20, 50, 100) if t >= highest * 1.15 or t == 100)
    axis.set_ylim(0, top)
    axis.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}%"))
    axis.tick_params(axis="y", labelsize=8)
    axis.set_ylabel("share of paths", fontsize=8.5)
    span = (chart.years[0] - 0.6, chart.years[-1] + 0.6)
    axis.set_xlim(*span)
    _time_ticks(axis, convention, span, wide=False)
    axis.grid(True, axis="y", alpha=0.3)
    axis.grid(True, axis="x", which="minor", alpha=0.3)
    axis.set_title(
        _plain(f"{name}: chance of having reached {amount(chart.target, chart.unit)}"),
        loc="left",
        fontsize=9,
    )


def _time_ticks(axis: Axes, convention: TimeAxis, span: tuple[float, float], wide: bool) -> None:
    """Year boundaries as minor ticks; each year's name at its middle, thinned to fit."""
    first = math.floor(span[0]) - 1
    last = math.ceil(span[1]) + 1
    # a name is centred on its year: one less than 0.3 years from an edge would cross it
    years = [
        y
        for y in range(first, last)
        if span[0] + 0.3 <= convention.year_start(y) + 0.5 <= span[1] - 0.3
    ]
    room = 10 if wide else 6  # names that fit: FY27-28 takes about 0.55 inches
    room = room if convention.first_month != 1 else room + 5
    step = max(1, math.ceil(len(years) / room))
    named = [y for y in years if (y - years[0]) % step == 0] if years else []
    axis.set_xticks(
        [convention.year_start(y) + 0.5 for y in named], [convention.name(y) for y in named]
    )
    axis.set_xticks([convention.year_start(y) for y in range(first, last + 1)], minor=True)
    axis.tick_params(axis="x", which="major", length=0, labelsize=8)
    axis.tick_params(axis="x", which="minor", length=4)
    axis.set_xlabel(convention.label, fontsize=8.5)
    axis.set_xlim(*span)  # ticks outside the span would widen it

"""Showing summaries: the table (rich or plain), markdown, CSV and the JSON of SPEC."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import __version__
from sim.analysis.joint import JointSummary, Share
from sim.analysis.summarise import CountrySummary, EventSummary, RunSummary
from sim.core.periods import Period
from sim.report import provenance

EVENTS_TITLE = "Events: share of paths with the event active before the deadline"


def money(value: float) -> str:
    """Money in the file's unit, to a sensible precision."""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1e9 or 0 < abs(value) < 0.001:
        return f"{value:.3g}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def percent(share: float) -> str:
    """A probability as a percentage, with more digits when it is small (or nearly 1); never
    rounded to 0% or 100% unless it is exactly that. Below 1%, two significant digits
    (importance sampling measures such odds to a few percent of themselves)."""
    if share == 0 or share == 1:
        return f"{share * 100:.0f}%"
    if share < 0.01:
        return f"{share * 100:.2g}%"
    if share > 0.9999:
        return ">99.99%"
    if share > 0.99:
        return f"{share * 100:.2f}%"
    return f"{share * 100:.1f}%"


def signed_percent(rate: float) -> str:
    """A rate as a whole signed percentage, ``+8%``, ``-1%``; ``0%`` when it rounds to zero
    (never ``-0%``). Halves round away from zero, after the last bits of floating point are
    set aside (the 95th percentile of "… to 15.5%" is 15.5% give or take a few units in the
    last place: always ``+16%``, whichever way those units fall)."""
    hundredths = round(rate * 100, 9)
    if not math.isfinite(hundredths):
        return f"{hundredths:+}%"
    whole = math.floor(abs(hundredths) + 0.5) * (1 if hundredths >= 0 else -1)
    return f"{whole:+d}%" if whole else "0%"


def growth(rate: float | None) -> str:
    return "n/a" if rate is None else f"{signed_percent(rate)}/yr"


def growth_range(percentiles: tuple[float, float, float] | None) -> str:
    """A growth rate's median and 90% range: ``+8% (-1 to +17%)``, or ``+8%`` when fixed."""
    if percentiles is None:
        return "n/a"
    low, mid, high = percentiles
    if high - low <= 1e-9:
        return signed_percent(mid)
    return f"{signed_percent(mid)} ({signed_percent(low)[:-1]} to {signed_percent(high)})"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_words(index: int) -> str:
    """``Jan 2027`` for a month index."""
    return f"{MONTHS[index % 12]} {index // 12}"


def window_words(window: Period, fiscal_year_start: int) -> str:
    """A window in words: ``Jan–Dec 2027``, ``FY2027-28 (Jul 2027–Jun 2028)``, ``Apr 2026–Mar
    2027``."""
    first, last = window.first, window.last
    span = (
        f"{MONTHS[first % 12]}–{MONTHS[last % 12]} {first // 12}"
        if first // 12 == last // 12
        else f"{month_words(first)}–{month_words(last)}"
    )
    label = window_label(window, fiscal_year_start)
    return f"{label} ({span})" if label.startswith("FY") else span


def window_line(windows: Sequence[tuple[str, str]]) -> str:
    """The one line that says which months a table's P(target) is about; ``windows`` holds
    (country label, window in words) pairs."""
    distinct = list(dict.fromkeys(words for _, words in windows))
    if len(distinct) == 1:
        every = " for every country" if len(windows) > 1 else ""
        return f"Window: trade in {distinct[0]}{every}, the 12 months ending with the deadline."
    each = "; ".join(f"{label} {words}" for label, words in windows)
    return f"Windows, the 12 months ending with each deadline: {each}."


def first_sentence(text: str) -> str:
    """The first sentence of a description, whole."""
    flat = " ".join(text.split())
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"(])", flat, maxsplit=1)
    return parts[0]


MC_COLUMN = "±MC (95%)"
MC_NOTE = (
    "±MC (95%): the Monte Carlo precision of P(target), a 95% interval that more paths "
    "narrow; not uncertainty about the world, which the scenario's ranges carry."
)

IMPORTANCE_NOTE = (
    "Importance sampling: for a rare target, half the paths are drawn with the country's "
    "own inputs (baseline, growth not tied by correlation, shocks and noise) shifted toward "
    "it and every path is weighted back to the scenario's odds, so P(target) is measured to "
    "a few percent of itself; it is still the scenario's P, not a different one. Shares "
    "of paths by year are weighted too; event shares and the joint rows other than 'all' "
    "count the paths drawn as usual (docs/model.md, 'Rare targets')."
)


def baseline(result: CountrySummary) -> str:
    """The baseline run-rate: ``172``, ``172 (150–190)`` when uncertain, ``450 or 143`` when
    it is a choice between statistics."""
    if result.baseline_options:
        return " or ".join(money(option.annual) for option in result.baseline_options)
    low, mid, high = result.baseline_annual
    if high - low <= 1e-9 * max(1.0, abs(mid)):
        return money(mid)
    return f"{money(mid)} ({money(low)}–{money(high)})"


def interval(result: CountrySummary) -> str:
    return interval_text(result.ci_low, result.ci_high)


def interval_text(low: float, high: float) -> str:
    """An interval of probabilities: ``12.3–14.5%``."""
    return f"{percent(low)[:-1]}–{percent(high)}"


def required(result: CountrySummary) -> str:
    """The required growth, on each figure when the baseline is a choice between them."""
    if result.baseline_options:
        return " or ".join(growth(o.required_growth) for o in result.baseline_options)
    return growth(result.required_growth)


def turnover_range(result: CountrySummary) -> str:
    return f"{money(result.turnover['p5'])}–{money(result.turnover['p95'])}"


def _units(runs: list[RunSummary]) -> str | None:
    units = {run.unit for run in runs}
    return units.pop() if len(units) == 1 else None


def window_label(window: Period, fiscal_year_start: int) -> str:
    """``2027`` for a calendar year, ``FY2027-28`` for a fiscal year, else the month range."""
    if window.months == 12 and window.first % 12 == 0:
        return str(window.first // 12)
    if window.months == 12 and window.first % 12 == fiscal_year_start - 1:
        year = window.first // 12
        return f"FY{year}-{(year + 1) % 100:02d}"
    return str(window)


def scenario_label(run: RunSummary) -> str:
    """The short name of a run in tables: its file's stem."""
    return Path(run.file).stem


def _rows(runs: list[RunSummary], separator: str) -> tuple[list[str], list[list[str]]]:
    """The summary table's header and rows, one row per scenario and country.

    ``separator`` joins the two lines of a header (a newline in a terminal table).
    """
    unit = _units(runs)  # named in the table's title line when the runs share it
    header = [
        "Scenario",
        "Country",
        "Baseline/yr",
        "Target",
        "By",
        f"Required{separator}growth",
        f"Assumed{separator}growth",
        "P(target)",
        MC_COLUMN,
        f"Turnover{separator}p5–p95",
    ]
    if unit is None:
        header.insert(2, "Unit")
    rows: list[list[str]] = []
    for run in runs:
        for result in run.results:
            row = [
                scenario_label(run),
                result.label,
                baseline(result),
                money(result.target),
                window_label(result.window, run.fiscal_year_start),
                required(result),
                growth_range(result.assumed_growth),
                percent(result.probability),
                interval(result),
                turnover_range(result),
            ]
            if unit is None:
                row.insert(2, run.unit)
            rows.append(row)
    if len(runs) == 1:  # the notes name the one scenario
        header, rows = header[1:], [row[1:] for row in rows]
    return header, rows


YEARS_TITLE = (
    "By year: P(that year) is the share of paths whose trade over that year's 12-month window "
    "(ending in the deadline's month) reaches the target; P(by then), in that window or an "
    "earlier one."
)
YEAR_HEADER = ["Scenario", "Country", "Year", "P(that year)", "P(by then)"]


def _year_rows(runs: list[RunSummary]) -> tuple[list[str], list[list[str]]]:
    """The yearly table: per scenario, country and year, the odds in and by that year."""
    rows = [
        [
            scenario_label(run),
            result.label,
            window_label(year.window, run.fiscal_year_start)
            + (" (deadline)" if year.window == result.window else ""),
            percent(year.probability),
            percent(year.reached),
        ]
        for run in runs
        for result in run.results
        for year in result.by_year
    ]
    if len(runs) > 1:
        return YEAR_HEADER, rows
    if len(runs[0].results) > 1:  # the notes name the one scenario
        return YEAR_HEADER[1:], [row[1:] for row in rows]
    return YEAR_HEADER[2:], [row[2:] for row in rows]  # and the title its one country


JOINT_TITLE = (
    "Joint: the share of paths on which that many of the file's countries meet their targets, "
    "each country its own target in its own window."
)
JOINT_HEADER = ["Scenario", "Targets met", "P", MC_COLUMN]


def joint_lines(joint: JointSummary) -> list[tuple[str, Share]]:
    """A file's joint outcomes as (words, share) pairs: all, at least k, none, exactly k."""
    n = len(joint.countries)
    lines = [(f"all {n}", joint.all)]
    lines += [(f"at least {k}", joint.at_least[k - 1]) for k in range(n - 1, 0, -1)]
    lines.append(("none", joint.none))
    lines += [(f"exactly {k}", joint.count[k]) for k in range(n - 1, 0, -1)]
    return lines


def _joint_rows(runs: list[RunSummary]) -> tuple[list[str], list[list[str]]]:
    """The joint table: per scenario with several countries, how many targets are met."""
    rows = [
        [
            scenario_label(run),
            words,
            percent(share.probability),
            interval_text(share.ci_low, share.ci_high),
        ]
        for run in runs
        if run.joint is not None
        for words, share in joint_lines(run.joint)
    ]
    if len(runs) == 1:  # the notes name the one scenario
        return JOINT_HEADER[1:], [row[1:] for row in rows]
    return JOINT_HEADER, rows


def correlation_words(run: RunSummary, full: bool = True) -> str | None:
    """The file's correlation of trend growth in words (``full``: with its source), or None
    without one."""
    if not run.correlation:
        return None
    label = {result.country: result.label for result in run.results}
    values = {value for _, _, value in run.correlation}
    if len(run.correlation) > 1 and len(values) == 1:  # the same for every pair: say it once
        names = list(dict.fromkeys(label[c] for pair in run.correlation for c in pair[:2]))
        pairs = f"{values.pop():g} between each pair of {', '.join(names[:-1])} and {names[-1]}"
    else:
        pairs = ", ".join(f"{label[a]}–{label[b]} {value:g}" for a, b, value in run.correlation)
    source = f" ({run.correlation_source.strip()})" if run.correlation_source and full else ""
    return f"trend growth correlated between countries (correlation.growth): {pairs}{source}"


def _joint_notes(runs: list[RunSummary]) -> list[str]:
    """Under the joint table: what couples the countries' outcomes in each file."""
    lines = []
    for run in runs:
        if run.joint is None:
            continue
        prefix = f"{scenario_label(run)}: " if len(runs) > 1 else ""
        words = correlation_words(run, full=False)
        if words:
            source = ""
            if run.correlation_source:  # its first sentence, as for events
                said = first_sentence(run.correlation_source).rstrip(".")
                source = f" Source: {said}."
            lines.append(
                f"{prefix}{words[:1].upper()}{words[1:]}. It changes the joint outcomes only: "
                f"each country's own P(target) is as without it, within Monte Carlo error.{source}"
            )
        else:
            shared = "The countries share their events; their" if run.events else "Their"
            lines.append(
                f"{prefix}{shared} growth is drawn independently (no correlation section)."
            )
    return lines


EVENT_HEADER = ["Scenario", "Event", "Country", "Share of paths"]


def _event_rows(runs: list[RunSummary]) -> tuple[list[str], list[list[str]]]:
    """The events table: per scenario, event and country, the share of paths it touched."""
    rows = [
        [scenario_label(run), name, result.label, percent(share)]
        for run in runs
        for result in run.results
        for name, share in result.events.items()
    ]
    if len(runs) == 1:  # the notes name the one scenario
        return EVENT_HEADER[1:], [row[1:] for row in rows]
    return EVENT_HEADER, rows


def _event_notes(runs: list[RunSummary]) -> list[str]:
    """Under the events table: what each event is (the first sentence of its description),
    and why an event was active on no path."""
    lines = []
    for run in runs:
        prefix = f"{scenario_label(run)}, " if len(runs) > 1 else ""
        for event in run.events:
            shown = [r for r in run.results if event.name in r.events]
            if not shown:
                continue
            text = f"{prefix}{event.name}"
            if event.description:
                text += f": {first_sentence(event.description)}"
            idle = [r for r in shown if r.events[event.name] == 0]
            if idle:
                text += f" {_never_active(event, idle)}"
            lines.append(text)
    return lines


def _never_active(event: EventSummary, idle: list[CountrySummary]) -> str:
    """Why an event shows 0% for these countries."""
    who = " and ".join(r.label for r in idle)
    if event.start is not None and all(event.start.first > r.window.last for r in idle):
        return (
            f"(0% for {who}: it can start no earlier than {month_words(event.start.first)}, "
            "after the deadline.)"
        )
    return f"(0% for {who}: no path had it active before the deadline.)"


def _options_text(result: CountrySummary) -> str:
    """A baseline that is a choice between statistics, in words."""
    each = "; ".join(
        f"{money(o.annual)} a year (chance {percent(o.weight)}, needs {growth(o.required_growth)})"
        for o in result.baseline_options
    )
    return (
        f"the baseline is one of {len(result.baseline_options)} figures: {each}. "
        "Each path draws one; P(target) weighs them by their chances."
    )


def notes(runs: list[RunSummary]) -> list[str]:
    """Plain-language notes that belong under any table of these runs."""
    lines = [f"{scenario_label(run)}: {run.scenario} ({run.file})" for run in runs]
    for run in runs:
        for result in run.results:
            if result.long_run is not None and result.half_life is not None:
                lines.append(
                    f"{result.label}: assumed growth is the trend's rate now, fading toward "
                    f"{growth_range(result.long_run)} a year, the gap halving every "
                    f"{result.half_life[1]:.2g} years (median)."
                )
            if result.statistic or result.fitted:
                judged = f"judged on {result.statistic}" if result.statistic else ""
                fitted = "growth fitted from its history (sim fit)" if result.fitted else ""
                lines.append(
                    f"{result.label}: " + "; ".join(w for w in (judged, fitted) if w) + "."
                )
            if result.baseline_options:
                lines.append(f"{result.label}: {_options_text(result)}")
            if result.observed_in_window:
                lines.append(
                    f"{result.label}: {result.observed_in_window} of the window's 12 months are "
                    "observed, not simulated; they count at the baseline run-rate."
                )
    for run in runs:
        if run.relative_precision is not None:
            asked = f"±{run.relative_precision * 100:.2g}% of its estimate"
        elif run.precision is not None:
            asked = f"±{run.precision * 100:.2g} points"
        else:
            continue
        if run.capped:
            lines.append(
                f"{scenario_label(run)}: stopped at the cap of {run.paths:,} paths before every "
                f"95% interval was within {asked} (--max-paths)."
            )
        else:
            lines.append(
                f"{scenario_label(run)}: {run.paths:,} paths, enough for every 95% interval to be "
                f"within {asked}."
            )
    lines.append(MC_NOTE)
    if any(run.method == "importance" for run in runs):
        lines.append(IMPORTANCE_NOTE)
    paths = sorted({run.paths for run in runs})
    seeds = sorted({run.seed for run in runs})
    lines.append(
        f"{', '.join(f'{p:,}' for p in paths)} paths, seed {', '.join(map(str, seeds))}. "
        "Baseline: run-rate x 12 (median, with its 5–95% range when uncertain). "
        "Required growth: the constant yearly growth from the baseline median that just meets "
        "the target with no shocks, noise or events. Assumed growth: the scenario's trend "
        "growth a year (growth.rate), median (5–95%)."
    )
    return lines


@dataclass(frozen=True)
class Section:
    """One table of a report. A header cell may hold a line break (two-line headers in the
    terminal; markdown puts a space there). ``notes`` go right under the table; the first
    ``keys`` columns name a row, and are repeated when a narrow terminal splits the table;
    a column named in ``bound`` stays with the one before it (a figure and its ±MC)."""

    title: str | None
    header: list[str]
    rows: list[list[str]]
    notes: tuple[str, ...] = ()
    keys: int = 1
    bound: frozenset[str] = frozenset({MC_COLUMN})
    text: frozenset[str] = frozenset()  # columns shown as text (left-aligned) though numeric


PLAIN_WIDTH = 10_000  # piped text is not folded: a line per row, whatever its length
NARROWEST_TEXT = 16  # a text column folds no narrower than this (or its longest cell)
PROSE_MARGIN = 8  # columns of a terminal that folded prose leaves free


def text_report(
    sections: list[Section], notes: list[str], rich_output: bool, width: int | None = None
) -> str:
    """Tables as text: boxed and coloured for a terminal, plain columns otherwise.

    Nothing is cut to fit ``width`` (default: the terminal's, or unlimited when not a
    terminal): a table too wide for it is split into several that repeat its key columns, or,
    when even that does not fit, shown as one block of "column: value" lines per row; text
    columns and notes fold at word boundaries.
    """
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width if width is not None else (None if rich_output else PLAIN_WIDTH),
        force_terminal=rich_output,
        no_color=not rich_output,
        highlight=False,
        emoji=False,
    )
    # prose folds a little short of the terminal's width: a pasted line stays within it even
    # where a dash or a quote takes more than one byte
    prose = max(NARROWEST_TEXT, console.width - PROSE_MARGIN) if rich_output else None

    def say(line: str) -> None:
        console.print(line, markup=False, overflow="fold", width=prose)

    for number, section in enumerate(s for s in sections if s.rows):
        if number:
            console.print()
        if section.title:
            say(section.title)
        _print_table(console, section, rich_output)
        if section.notes:
            console.print()
        for line in section.notes:
            say(line)
    if notes:
        console.print()
    for line in notes:
        say(line)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def _head_rule() -> Any:
    """rich's SIMPLE_HEAD box drawn in ASCII: a line of dashes under the header, which every
    terminal shows and which is one byte a column wide (a pasted table keeps its width)."""
    from rich.box import Box

    return Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def _numeric(cell: str) -> bool:
    return cell[:1].isdigit() or cell[:1] in "+-−<>±" or cell == "n/a"


def _table(section: Section, columns: Sequence[int], rich_output: bool) -> Any:
    """A rich table of some of the section's columns: numbers never wrap, text folds."""
    from rich.table import Table
    from rich.text import Text

    if rich_output:  # a rule under the header; columns two spaces apart, as when piped
        table = Table(box=_head_rule(), pad_edge=False, collapse_padding=True, show_edge=False)
    else:
        table = Table(box=None, pad_edge=False)
    for i in columns:
        cells = [row[i] for row in section.rows]
        if all(_numeric(c) for c in cells) and section.header[i] not in section.text:
            widest = max(len(line) for line in [*cells, *section.header[i].split("\n")])
            table.add_column(
                Text(section.header[i]), justify="right", no_wrap=True, min_width=widest
            )
        else:
            longest = max(len(c) for c in cells)
            table.add_column(
                Text(section.header[i]), overflow="fold", min_width=min(longest, NARROWEST_TEXT)
            )
    for row in section.rows:
        table.add_row(*(Text(row[i]) for i in columns))
    return table


def _fits(console: Any, table: Any) -> bool:
    """Whether ``table`` fits the console's width without cutting a cell (measured with room
    to spare: rich clamps a measurement to the width it is given)."""
    from rich.measure import Measurement

    roomy = console.options.update_width(PLAIN_WIDTH)
    return bool(Measurement.get(console, roomy, table).minimum <= console.width)


def _print_table(console: Any, section: Section, rich_output: bool) -> None:
    """The section's table, split or turned into blocks when the console is too narrow."""
    table = _table(section, range(len(section.header)), rich_output)
    if _fits(console, table):
        console.print(table)
        return
    groups = _column_groups(console, section, rich_output)
    if groups is None:
        _print_blocks(console, section)
        return
    for number, group in enumerate(groups):
        if number:
            console.print()
        console.print(_table(section, group, rich_output))


def _column_groups(console: Any, section: Section, rich_output: bool) -> list[list[int]] | None:
    """The section's columns in consecutive groups that each fit, every group led by the key
    columns; None when a key column and one other do not fit together."""
    keys = list(range(min(section.keys, len(section.header) - 1)))
    units: list[list[int]] = []  # columns that stay together
    for column in range(len(keys), len(section.header)):
        if units and section.header[column] in section.bound:
            units[-1].append(column)
        else:
            units.append([column])
    groups: list[list[int]] = []
    current = list(keys)
    for unit in units:
        if _fits(console, _table(section, [*current, *unit], rich_output)):
            current += unit
            continue
        if len(current) == len(keys):
            return None
        groups.append(current)
        current = [*keys, *unit]
        if not _fits(console, _table(section, current, rich_output)):
            return None
    groups.append(current)
    return groups


def _print_blocks(console: Any, section: Section) -> None:
    """One block per row: its key cells as a heading, then a "column  value" line per cell."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    names = [cell.replace("\n", " ") for cell in section.header]
    keys = min(section.keys, len(names) - 1)
    for number, row in enumerate(section.rows):
        if number:
            console.print()
        console.print(Text(" · ".join(row[:keys]), style="bold"), overflow="fold")
        grid = Table.grid(padding=(0, 2))
        longest = max(len(name) for name in names[keys:])
        grid.add_column(overflow="fold", width=max(1, min(longest, console.width // 2 - 2)))
        grid.add_column(overflow="fold", ratio=1)
        for name, cell in zip(names[keys:], row[keys:], strict=True):
            grid.add_row(Text(name), Text(cell))
        console.print(Padding(grid, (0, 0, 0, 2)))


def markdown_report(sections: list[Section], notes: list[str], extra: Sequence[str] = ()) -> str:
    """Tables as markdown, then ``extra`` markdown lines, then the notes."""
    lines: list[str] = []
    for section in (s for s in sections if s.rows):
        if lines:
            lines.append("")
        if section.title:
            lines += [section.title, ""]
        header = [cell.replace("\n", " ") for cell in section.header]
        lines += [_markdown_row(header), "|" + "---|" * len(header)]
        lines += [_markdown_row(row) for row in section.rows]
        for note in section.notes:
            lines += ["", note]
    if extra:
        lines += ["", *extra]
    for note in notes:  # a paragraph each: markdown joins lines that follow one another
        lines += ["", note]
    lines += ["", f"Made with {provenance.line()}."]
    return "\n".join(lines) + "\n"


def html_report(sections: list[Section], notes: list[str]) -> str:
    """The same tables as HTML (what a notebook shows), then the notes as paragraphs."""
    from html import escape

    parts = []
    for section in (s for s in sections if s.rows):
        if section.title:
            parts.append(f"<p><b>{escape(section.title)}</b></p>")
        head = "".join(f"<th>{escape(c).replace(chr(10), '<br>')}</th>" for c in section.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in section.rows
        )
        parts.append(  # a wide table scrolls inside its box, not the page
            f'<div class="scroll" style="overflow-x:auto;max-width:100%"><table><thead><tr>'
            f"{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )
        parts += [f"<p><small>{escape(note)}</small></p>" for note in section.notes]
    parts += [f"<p><small>{escape(note)}</small></p>" for note in notes]
    parts.append(f"<p><small>Made with {escape(provenance.line())}.</small></p>")
    return "\n".join(parts) + "\n"


def _markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _run_sections(runs: list[RunSummary]) -> list[Section]:
    header, rows = _rows(runs, "\n")
    event_header, event_rows = _event_rows(runs)
    keys = 1 if len(runs) == 1 else 2  # the country, or the scenario and the country
    windows = [
        (result.label, window_words(result.window, run.fiscal_year_start))
        for run in runs
        for result in run.results
    ]
    unit = _units(runs)
    title = window_line(windows) + (f" Money in {unit}." if unit else "")
    year_header, year_rows = _year_rows(runs)
    countries = [r.label for run in runs for r in run.results]
    year_title = YEARS_TITLE if len(countries) > 1 else f"{countries[0]}. {YEARS_TITLE}"
    joint_header, joint_rows = _joint_rows(runs)
    return [
        Section(title, header, rows, keys=keys),
        Section(JOINT_TITLE, joint_header, joint_rows, tuple(_joint_notes(runs)), keys=keys),
        Section(year_title, year_header, year_rows, keys=keys, text=frozenset({"Year"})),
        Section(EVENTS_TITLE, event_header, event_rows, tuple(_event_notes(runs)), keys=keys),
    ]


def render_table(runs: list[RunSummary], rich_output: bool, width: int | None = None) -> str:
    """The summary table (and the events table), fitted to ``width`` (see ``text_report``)."""
    return text_report(_run_sections(runs), notes(runs), rich_output, width)


def render_markdown(runs: list[RunSummary]) -> str:
    """A shareable report: the tables, then each scenario's reasoning and each country's
    assumptions in words."""
    title = f"# {runs[0].scenario}" if len(runs) == 1 else "# sim results"
    extra = []
    for run in runs:
        extra += [f"## Assumptions: {run.scenario}", ""]
        for paragraph in re.split(r"\n\s*\n", run.description or ""):
            if paragraph.strip():  # a paragraph each, its lines joined
                extra += [" ".join(paragraph.split()), ""]
        if words := correlation_words(run):
            extra += [f"Correlation: {words}.", ""]
        for result in run.results:
            extra += [f"### {result.label}", ""]
            extra += [f"- {line}" for line in result.assumptions]
            extra.append("")
        extra += [
            f"Scenario file `{run.file}`, SHA-256 `{run.sha256}`; {run.paths:,} paths, "
            f"seed {run.seed}, {run.method} sampling.",
            "",
        ]
    return f"{title}\n\n" + markdown_report(_run_sections(runs), notes(runs), extra[:-1])


CSV_COLUMNS = (
    "scenario",
    "file",
    "country",
    "label",
    "unit",
    "target",
    "window",
    "probability",
    "ci_low",
    "ci_high",
    "turnover_mean",
    "turnover_p5",
    "turnover_p50",
    "turnover_p95",
    "required_growth",
    "paths",
    "seed",
    "observed_months_in_window",
    "assumed_growth_p5",
    "assumed_growth_p50",
    "assumed_growth_p95",
    "baseline_annual_p5",
    "baseline_annual_p50",
    "baseline_annual_p95",
    "year",
    "reached",
    "joint",
    "k",
    "method",
    "scenario_sha256",
    *provenance.COLUMNS,
)


def number(value: float | None) -> str:
    """A number for CSV: 10 significant digits (more than any Monte Carlo figure holds), or
    an empty cell for none."""
    return "" if value is None else f"{value:.10g}"


def render_csv(runs: list[RunSummary]) -> str:
    """One row per scenario and country for the target's window (``year`` empty), then one
    per year of the yearly table (``probability``: met in that year's window; ``reached``: by
    then). Every row ends with what produced it."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    made = dict(zip(provenance.COLUMNS, provenance.csv_values(), strict=True))
    for run in runs:
        for r in run.results:
            common = {
                "scenario": run.scenario,
                "file": run.file,
                "country": r.country,
                "label": r.label,
                "unit": run.unit,
                "target": number(r.target),
                "paths": run.paths,
                "seed": run.seed,
                "method": run.method,
                "scenario_sha256": run.sha256,
                **made,
            }
            low, mid, high = r.assumed_growth or (None, None, None)
            writer.writerow(
                {
                    **common,
                    "window": str(r.window),
                    "probability": number(r.probability),
                    "ci_low": number(r.ci_low),
                    "ci_high": number(r.ci_high),
                    **{f"turnover_{k}": number(v) for k, v in r.turnover.items()},
                    "required_growth": number(r.required_growth),
                    "observed_months_in_window": r.observed_in_window,
                    "assumed_growth_p5": number(low),
                    "assumed_growth_p50": number(mid),
                    "assumed_growth_p95": number(high),
                    "baseline_annual_p5": number(r.baseline_annual[0]),
                    "baseline_annual_p50": number(r.baseline_annual[1]),
                    "baseline_annual_p95": number(r.baseline_annual[2]),
                }
            )
            for y in r.by_year:
                writer.writerow(
                    {
                        **common,
                        "window": str(y.window),
                        "probability": number(y.probability),
                        "year": y.year,
                        "reached": number(y.reached),
                    }
                )
        if run.joint is not None:
            writer.writerows(_joint_csv(run, run.joint, made))
    return buffer.getvalue()


def _joint_csv(run: RunSummary, joint: JointSummary, made: dict[str, str]) -> list[dict[str, Any]]:
    """A file's joint rows: ``joint`` is ``at_least`` (k = 1 … n targets met or more) or
    ``count`` (exactly k, k = 0 … n); ``country``, ``target`` and ``window`` are empty."""
    n = len(joint.countries)
    common = {
        "scenario": run.scenario,
        "file": run.file,
        "unit": run.unit,
        "paths": run.paths,
        "seed": run.seed,
        "method": run.method,
        "scenario_sha256": run.sha256,
        **made,
    }
    kinds = [("at_least", k, joint.at_least[k - 1], "or more") for k in range(1, n + 1)]
    kinds += [("count", k, joint.count[k], "exactly") for k in range(n + 1)]
    return [
        {
            **common,
            "label": f"{k} of {n} targets met, {words}",
            "probability": number(share.probability),
            "ci_low": number(share.ci_low),
            "ci_high": number(share.ci_high),
            "joint": kind,
            "k": k,
        }
        for kind, k, share, words in kinds
    ]


def result_json(result: CountrySummary) -> dict[str, Any]:
    low, mid, high = result.baseline_annual
    return {
        "country": result.country,
        "label": result.label,
        "target": result.target,
        "window": str(result.window),
        "probability": result.probability,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "turnover": dict(result.turnover),
        "required_growth": result.required_growth,
        "statistic": result.statistic,
        "growth_fitted": result.fitted,
        "hits": result.hits,
        "baseline_annual": {"p5": low, "p50": mid, "p95": high},
        "baseline_options": [
            {"annual": o.annual, "weight": o.weight, "required_growth": o.required_growth}
            for o in result.baseline_options
        ],
        "observed_months_in_window": result.observed_in_window,
        "assumed_growth": _percentiles_json(result.assumed_growth),
        "long_run_growth": _percentiles_json(result.long_run),
        "by_year": [
            {
                "year": y.year,
                "window": str(y.window),
                "probability": y.probability,
                "reached": y.reached,
            }
            for y in result.by_year
        ],
        "events": dict(result.events),
    }


def _percentiles_json(values: tuple[float, float, float] | None) -> dict[str, float] | None:
    if values is None:
        return None
    return {"p5": values[0], "p50": values[1], "p95": values[2]}


def joint_json(joint: JointSummary) -> dict[str, Any]:
    """A file's joint outcomes: every country meeting its own target in its own window."""

    def share(value: Share) -> dict[str, float]:
        return {"probability": value.probability, "ci_low": value.ci_low, "ci_high": value.ci_high}

    return {
        "countries": list(joint.countries),
        "note": "each country meets its own target in its own window",
        "all": share(joint.all),
        "none": share(joint.none),
        "at_least": [{"k": k + 1, **share(s)} for k, s in enumerate(joint.at_least)],
        "count": [{"k": k, **share(s)} for k, s in enumerate(joint.count)],
    }


def run_json(run: RunSummary) -> dict[str, Any]:
    extra: dict[str, Any] = {}  # only where there is something to say: other runs' JSON unchanged
    if run.joint is not None:
        extra["joint"] = joint_json(run.joint)
    if run.correlation:
        extra["correlation"] = {
            "growth": [{"a": a, "b": b, "value": value} for a, b, value in run.correlation],
            "source": run.correlation_source,
        }
    return {
        "scenario": run.scenario,
        "file": run.file,
        "paths": run.paths,
        "seed": run.seed,
        "unit": run.unit,
        "method": run.method,
        "scenario_sha256": run.sha256,
        "precision": run.precision,
        "relative_precision": run.relative_precision,
        "capped": run.capped,
        "results": [result_json(r) for r in run.results],
        **extra,
    }


def finite_values(value: Any) -> Any:
    """``value`` with every non-finite float made None: JSON has no NaN or Infinity."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite_values(item) for item in value]
    return value


def render_json(runs: list[RunSummary]) -> str:
    return json_document("runs", [run_json(run) for run in runs])


def json_document(key: str, items: list[dict[str, Any]]) -> str:
    """``{"sim_version": ..., "provenance": ..., key: items}`` as JSON text; non-finite
    numbers become null."""
    document = {"sim_version": __version__, "provenance": provenance.provenance(), key: items}
    return json.dumps(finite_values(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render(
    runs: list[RunSummary], fmt: str, rich_output: bool = False, width: int | None = None
) -> str:
    """The runs as a table, markdown, CSV or JSON (``fmt``); a table fits ``width``."""
    if fmt == "table":
        return render_table(runs, rich_output, width)
    if fmt == "markdown":
        return render_markdown(runs)
    if fmt == "html":
        return html_report(_run_sections(runs), notes(runs))
    if fmt == "csv":
        return render_csv(runs)
    return render_json(runs)

"""Showing summaries: the table (rich or plain), markdown, CSV and the JSON of SPEC."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import __version__
from sim.analysis.summarise import CountrySummary, RunSummary
from sim.core.periods import Period

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
    rounded to 0% or 100% unless it is exactly that."""
    if share == 0 or share == 1:
        return f"{share * 100:.0f}%"
    if share < 0.0001:
        return "<0.01%"
    if share > 0.9999:
        return ">99.99%"
    if share < 0.01 or share > 0.99:
        return f"{share * 100:.2f}%"
    return f"{share * 100:.1f}%"


def growth(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:+.0f}%/yr"


def baseline(result: CountrySummary) -> str:
    low, mid, high = result.baseline_annual
    if high - low <= 1e-9 * max(1.0, abs(mid)):
        return money(mid)
    return f"{money(mid)} ({money(low)}–{money(high)})"


def interval(result: CountrySummary) -> str:
    return interval_text(result.ci_low, result.ci_high)


def interval_text(low: float, high: float) -> str:
    """An interval of probabilities: ``12.3–14.5%``."""
    return f"{percent(low)[:-1]}–{percent(high)}"


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
    unit = _units(runs)
    in_unit = f"{separator}({unit})" if unit else ""
    header = [
        "Scenario",
        "Country",
        f"Baseline/yr{in_unit}",
        f"Target{in_unit}",
        "By",
        f"Required{separator}growth",
        "P(target)",
        f"95%{separator}interval",
        f"Turnover p5–p95{in_unit}",
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
                growth(result.required_growth),
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


def notes(runs: list[RunSummary]) -> list[str]:
    """Plain-language notes that belong under any table of these runs."""
    lines = [f"{scenario_label(run)}: {run.scenario} ({run.file})" for run in runs]
    for run in runs:
        for result in run.results:
            if result.statistic or result.fitted:
                judged = f"judged on {result.statistic}" if result.statistic else ""
                fitted = "growth fitted from its history (sim fit)" if result.fitted else ""
                lines.append(
                    f"{result.label}: " + "; ".join(w for w in (judged, fitted) if w) + "."
                )
            if result.observed_in_window:
                lines.append(
                    f"{result.label}: {result.observed_in_window} of the window's 12 months are "
                    "observed, not simulated; they count at the baseline run-rate."
                )
    for run in runs:
        if run.precision is not None and run.capped:
            lines.append(
                f"{scenario_label(run)}: stopped at the cap of {run.paths:,} paths before every "
                f"95% interval was within ±{run.precision * 100:.2g} points (--max-paths)."
            )
        elif run.precision is not None:
            lines.append(
                f"{scenario_label(run)}: {run.paths:,} paths, enough for every 95% interval to be "
                f"within ±{run.precision * 100:.2g} points."
            )
    paths = sorted({run.paths for run in runs})
    seeds = sorted({run.seed for run in runs})
    lines.append(
        f"{', '.join(f'{p:,}' for p in paths)} paths, seed {', '.join(map(str, seeds))}. "
        "Baseline: run-rate x 12 (median, with its 5–95% range when uncertain). "
        "Required growth: the constant yearly growth from the baseline median that just meets "
        "the target with no shocks, noise or events."
    )
    return lines


@dataclass(frozen=True)
class Section:
    """One table of a report. A header cell may hold a line break (two-line headers in the
    terminal; markdown puts a space there)."""

    title: str | None
    header: list[str]
    rows: list[list[str]]


def text_report(sections: list[Section], notes: list[str], rich_output: bool) -> str:
    """Tables as text: boxed and coloured for a terminal, plain columns otherwise."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=None if rich_output else 10_000,
        force_terminal=rich_output,
        no_color=not rich_output,
        highlight=False,
        emoji=False,
    )
    for number, section in enumerate(s for s in sections if s.rows):
        if number:
            console.print()
        if section.title:
            console.print(section.title, soft_wrap=True)
        table = Table(box=box.SIMPLE_HEAD if rich_output else None, pad_edge=False)
        for i, name in enumerate(section.header):
            cells = [row[i] for row in section.rows]
            numeric = all(c[:1].isdigit() or c[:1] in "+-−<>±" or c == "n/a" for c in cells)
            table.add_column(
                name, justify="right" if numeric else "left", min_width=max(map(len, cells))
            )
        for row in section.rows:
            table.add_row(*row)
        console.print(table)
    if notes:
        console.print()
    for line in notes:
        console.print(line, soft_wrap=True)
    return buffer.getvalue()


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
    if extra:
        lines += ["", *extra]
    for note in notes:  # a paragraph each: markdown joins lines that follow one another
        lines += ["", note]
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
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts += [f"<p><small>{escape(note)}</small></p>" for note in notes]
    return "\n".join(parts) + "\n"


def _markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _run_sections(runs: list[RunSummary]) -> list[Section]:
    header, rows = _rows(runs, "\n")
    event_header, event_rows = _event_rows(runs)
    return [Section(None, header, rows), Section(EVENTS_TITLE, event_header, event_rows)]


def render_table(runs: list[RunSummary], rich_output: bool) -> str:
    """The summary table (and the events table)."""
    return text_report(_run_sections(runs), notes(runs), rich_output)


def render_markdown(runs: list[RunSummary]) -> str:
    """A shareable report: the tables, then each scenario's reasoning and each country's
    assumptions in words."""
    title = f"# {runs[0].scenario}" if len(runs) == 1 else "# sim results"
    extra = []
    for run in runs:
        extra += [f"## Assumptions: {run.scenario}", ""]
        if run.description:
            extra += [" ".join(run.description.split()), ""]
        for result in run.results:
            extra += [f"### {result.label}", ""]
            extra += [f"- {line}" for line in result.assumptions]
            extra.append("")
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
)


def render_csv(runs: list[RunSummary]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for run in runs:
        for r in run.results:
            writer.writerow(
                [
                    run.scenario,
                    run.file,
                    r.country,
                    r.label,
                    run.unit,
                    repr(r.target),
                    str(r.window),
                    repr(r.probability),
                    repr(r.ci_low),
                    repr(r.ci_high),
                    *(repr(r.turnover[k]) for k in ("mean", "p5", "p50", "p95")),
                    "" if r.required_growth is None else repr(r.required_growth),
                    run.paths,
                    run.seed,
                    r.observed_in_window,
                ]
            )
    return buffer.getvalue()


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
        "observed_months_in_window": result.observed_in_window,
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


def run_json(run: RunSummary) -> dict[str, Any]:
    return {
        "scenario": run.scenario,
        "file": run.file,
        "paths": run.paths,
        "seed": run.seed,
        "unit": run.unit,
        "method": run.method,
        "precision": run.precision,
        "capped": run.capped,
        "results": [result_json(r) for r in run.results],
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
    """``{"sim_version": ..., key: items}`` as JSON text; non-finite numbers become null."""
    document = {"sim_version": __version__, key: items}
    return json.dumps(finite_values(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render(runs: list[RunSummary], fmt: str, rich_output: bool = False) -> str:
    """The runs as a table, markdown, CSV or JSON (``fmt``)."""
    if fmt == "table":
        return render_table(runs, rich_output)
    if fmt == "markdown":
        return render_markdown(runs)
    if fmt == "html":
        return html_report(_run_sections(runs), notes(runs))
    if fmt == "csv":
        return render_csv(runs)
    return render_json(runs)

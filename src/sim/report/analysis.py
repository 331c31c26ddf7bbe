"""Showing comparisons, explanations and solutions: tables, markdown, CSV and stable JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from sim.analysis.compare import Comparison, CountryDifference, Difference
from sim.analysis.estimate import Z_95
from sim.analysis.explain import Explanation
from sim.analysis.solve import Solution
from sim.core.effects import BY_NAME as EFFECTS
from sim.report.render import (
    Section,
    html_report,
    interval_text,
    json_document,
    markdown_report,
    money,
    percent,
    text_report,
)


def points(value: float) -> str:
    """A difference of probabilities in percentage points, signed."""
    return f"{value * 100:+.2f} pts" if abs(value) < 0.1 else f"{value * 100:+.1f} pts"


def point_interval(difference: Difference) -> str:
    return f"{difference.low * 100:+.2f} to {difference.high * 100:+.2f}"


def emit(sections: list[Section], notes: list[str], fmt: str, rich_output: bool) -> str:
    """Tables and notes as text, markdown or HTML (``fmt``)."""
    if fmt == "markdown":
        return markdown_report(sections, notes)
    if fmt == "html":
        return html_report(sections, notes)
    return text_report(sections, notes, rich_output)


def _runs_text(runs: Any) -> str:
    """'100,000 paths, seed 0 (antithetic)', or each file's when they differ."""
    distinct = list(dict.fromkeys(runs))
    text = "; ".join(f"{paths:,} paths, seed {seed} ({method})" for paths, seed, method in distinct)
    return text if len(distinct) == 1 else f"per file: {text}"


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    """A header and rows as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _difference_json(difference: Difference) -> dict[str, float]:
    return {
        "difference": difference.estimate,
        "ci_low": difference.low,
        "ci_high": difference.high,
        "se": difference.se,
        "independent_se": difference.independent_se,
    }


# --- compare -------------------------------------------------------------------------------


def render_comparisons(comparisons: list[Comparison], fmt: str, rich_output: bool = False) -> str:
    if fmt == "json":
        return json_document("comparisons", [_comparison_json(c) for c in comparisons])
    if fmt == "csv":
        header = [
            "scenario",
            "file",
            "variant",
            "country",
            "base",
            "variant_probability",
            "difference",
            "ci_low",
            "ci_high",
            "se",
            "independent_se",
            "paths",
            "seed",
        ]
        csv_rows = [
            [
                c.scenario,
                c.file,
                c.variant,
                r.country,
                r.base,
                r.other,
                r.difference.estimate,
                r.difference.low,
                r.difference.high,
                r.difference.se,
                r.difference.independent_se,
                c.paths,
                c.seed,
            ]
            for c in comparisons
            for r in c.results
        ]
        return csv_text(header, csv_rows)
    header = [
        "Variant",
        "Country",
        "P(base)",
        "P(variant)",
        "Difference",
        "95% interval",
        "Independent\nruns ±",
    ]
    rows = [
        [
            c.variant,
            r.label,
            percent(r.base),
            percent(r.other),
            points(r.difference.estimate),
            point_interval(r.difference),
            f"±{Z_95 * r.difference.independent_se * 100:.2f}",
        ]
        for c in comparisons
        for r in c.results
    ]
    notes = []
    for c in comparisons:
        about = f": {c.description}" if c.description else ""
        changes = ", ".join(c.overrides) or "nothing"
        notes.append(f"{c.variant}{about} (changes {changes}; {c.file})")
    notes.append(
        f"{_runs_text((c.paths, c.seed, c.method) for c in comparisons)}, the same for base and "
        "variants: differences are paired path by path (common random numbers). The last "
        "column is the half-width the interval would have with two independent runs."
    )
    return emit([Section(None, header, rows)], notes, fmt, rich_output)


def _comparison_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "scenario": comparison.scenario,
        "file": comparison.file,
        "variant": comparison.variant,
        "description": comparison.description,
        "overrides": list(comparison.overrides),
        "paths": comparison.paths,
        "seed": comparison.seed,
        "method": comparison.method,
        "results": [_country_json(r, "variant") for r in comparison.results],
    }


def _country_json(result: CountryDifference, other: str) -> dict[str, Any]:
    return {
        "country": result.country,
        "label": result.label,
        "base": result.base,
        other: result.other,
        **_difference_json(result.difference),
    }


# --- explain -------------------------------------------------------------------------------


def render_explanations(
    explanations: list[tuple[str, str, Explanation]], fmt: str, rich_output: bool = False
) -> str:
    """``explanations``: (scenario name, file, explanation) triples."""
    if fmt == "json":
        return json_document("explanations", [_explanation_json(*e) for e in explanations])
    if fmt == "csv":
        return _explanations_csv(explanations)
    sections = []
    for _, _, explanation in explanations:
        model = explanation.base.model
        for index, country in enumerate(model.countries):
            base = explanation.base.countries[index]
            probability = float(base.met.mean())
            rows = []
            for attribution in explanation.attributions:
                result = attribution.results[index]
                name = attribution.event or "all events together"
                rows.append(
                    [
                        name,
                        percent(result.base),
                        points(result.difference.estimate),
                        point_interval(result.difference),
                    ]
                )
            title = (
                f"{country.label}: what the events do to P(target) "
                f"({percent(probability)} with all of them)"
            )
            sections.append(
                Section(
                    title,
                    ["Event", "P(target)\nwithout it", "Effect of\nthe event", "95% interval"],
                    rows,
                )
            )
            rows = [
                [
                    s.input,
                    _value(s.input, s.low_value),
                    percent(s.low.other),
                    _value(s.input, s.high_value),
                    percent(s.high.other),
                    points(s.swing),
                ]
                for s in explanation.sensitivities
                if s.country == country.id
            ]
            title = (
                f"{country.label}: what matters most (each input held at its 10th and 90th "
                "percentile, the rest uncertain)"
            )
            sections.append(
                Section(
                    title,
                    [
                        "Input",
                        "10th\npercentile",
                        "P(target)",
                        "90th\npercentile",
                        "P(target)",
                        "Swing",
                    ],
                    rows,
                )
            )
    runs = _runs_text((e.base.paths, e.base.seed, e.base.method) for _, _, e in explanations)
    notes = [
        f"{runs}; every row uses the same random numbers, so effects and swings are paired "
        "path by path. An effect is P(target) with the event minus P(target) without it "
        "(negative: the event costs that many points)."
    ]
    return emit(sections, notes, fmt, rich_output)


def _value(path: str, value: float) -> str:
    """An input's value in the words of its field."""
    field = path.rsplit(".", 1)[-1]
    if path.startswith("events.") and field in EFFECTS:
        return percent(value) if EFFECTS[field].share else f"{value * 100:+.1f}%"
    if field == "probability":
        return percent(value)
    if path.endswith(("growth.rate", "growth.long_run", ".volatility", ".noise")):
        return f"{value * 100:+.1f}%"
    if field == "duration":
        return f"{value:.3g} months"
    if field == "half_life":
        return f"{value:.3g} years"
    if field == "rate":
        return f"{value:.3g}/yr"
    return money(value)


def _explanation_json(scenario: str, file: str, explanation: Explanation) -> dict[str, Any]:
    model = explanation.base.model
    results = []
    for index, country in enumerate(model.countries):
        base = explanation.base.countries[index]
        events = [
            {
                "event": a.event,
                "without": a.results[index].base,
                **_difference_json(a.results[index].difference),
            }
            for a in explanation.attributions
        ]
        sensitivity = [
            {
                "input": s.input,
                "low_value": s.low_value,
                "low": s.low.other,
                "high_value": s.high_value,
                "high": s.high.other,
                "swing": s.swing,
            }
            for s in explanation.sensitivities
            if s.country == country.id
        ]
        results.append(
            {
                "country": country.id,
                "label": country.label,
                "probability": float(base.met.mean()),
                "events": [e for e in events if e["event"] is not None],
                "all_events": next((e for e in events if e["event"] is None), None),
                "sensitivity": sensitivity,
            }
        )
    return {
        "scenario": scenario,
        "file": file,
        "paths": explanation.base.paths,
        "seed": explanation.base.seed,
        "method": explanation.base.method,
        "results": results,
    }


def _explanations_csv(explanations: list[tuple[str, str, Explanation]]) -> str:
    header = [
        "scenario",
        "country",
        "kind",
        "name",
        "low_value",
        "low",
        "high_value",
        "high",
        "effect",
        "ci_low",
        "ci_high",
    ]
    rows: list[list[Any]] = []
    for scenario, _, explanation in explanations:
        document = _explanation_json(scenario, "", explanation)
        for result in document["results"]:
            extra = [result["all_events"]] if result["all_events"] else []
            for event in result["events"] + extra:
                rows.append(
                    [
                        scenario,
                        result["country"],
                        "event",
                        event["event"] or "all",
                        "",
                        event["without"],
                        "",
                        "",
                        event["difference"],
                        event["ci_low"],
                        event["ci_high"],
                    ]
                )
            for s in result["sensitivity"]:
                rows.append(
                    [
                        scenario,
                        result["country"],
                        "input",
                        s["input"],
                        s["low_value"],
                        s["low"],
                        s["high_value"],
                        s["high"],
                        s["swing"],
                        "",
                        "",
                    ]
                )
    return csv_text(header, rows)


# --- solve ---------------------------------------------------------------------------------


def render_solutions(
    solutions: list[tuple[str, str, Solution]], fmt: str, rich_output: bool = False
) -> str:
    """``solutions``: (scenario name, file, solution) triples."""
    documents = [_solution_json(*s) for s in solutions]
    if fmt == "json":
        return json_document("solutions", documents)
    if fmt == "csv":
        header = list(documents[0])
        return csv_text(header, [[d[k] for k in header] for d in documents])
    header = [
        "Country",
        "Field",
        "Asked\nP(target)",
        "Now",
        "Needed",
        "P(target)\nthere",
        "95% interval",
    ]
    rows = []
    for _, _, s in solutions:
        rows.append(
            [
                s.country,
                s.field,
                percent(s.probability),
                _value(s.field, s.before),
                _value(s.field, s.value),
                percent(s.achieved),
                interval_text(s.ci_low, s.ci_high),
            ]
        )
    notes = [
        "For the target: the largest target that share of paths meets. For an input: its whole "
        "distribution shifted (on ln(1 + r) for growth rates, by scaling for positive "
        "quantities, on the logit for fractions) until P(target) is as asked; 'Now' and "
        "'Needed' are its medians. Every trial uses the same random numbers."
    ]
    for _, _, s in solutions:
        if s.jump:
            notes.append(
                f"{s.country}, {s.field}: P(target) jumps from {percent(s.jump[0])} to "
                f"{percent(s.jump[1])} at this value; no value gives {percent(s.probability)} "
                "exactly."
            )
    return emit([Section(None, header, rows)], notes, fmt, rich_output)


def _solution_json(scenario: str, file: str, solution: Solution) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "file": file,
        "country": solution.country,
        "field": solution.field,
        "probability": solution.probability,
        "value": solution.value,
        "before": solution.before,
        "shift": solution.shift,
        "achieved": solution.achieved,
        "ci_low": solution.ci_low,
        "ci_high": solution.ci_high,
        "trials": solution.trials,
        "jump": list(solution.jump) if solution.jump else None,
        "method": solution.method,
    }


# --- sweep ---------------------------------------------------------------------------------


def render_sweep(
    scenario: str,
    file: str,
    fields: list[str],
    done: list[tuple[tuple[str, ...], list[Any]]],
    signature: Any,
    fmt: str,
    rich_output: bool = False,
) -> str:
    """``done``: (the point's values as written, its results) pairs, in grid order."""
    from sim.analysis.sweep import header, rows

    if fmt == "csv":
        return csv_text(
            header(fields),
            [row for texts, results in done for row in rows(texts, results, signature)],
        )
    if fmt == "json":
        document = {
            "scenario": scenario,
            "file": file,
            "paths": signature.paths,
            "seed": signature.seed,
            "method": signature.method,
            "fields": fields,
            "points": [
                {
                    "values": dict(zip(fields, texts, strict=True)),
                    "results": [
                        {
                            "country": r.country,
                            "label": r.label,
                            "probability": r.probability,
                            "ci_low": r.interval[0],
                            "ci_high": r.interval[1],
                        }
                        for r in results
                    ],
                }
                for texts, results in done
            ],
        }
        return json_document("sweep", [document])
    table = [
        [
            *texts,
            r.label,
            percent(r.probability),
            interval_text(*r.interval),
        ]
        for texts, results in done
        for r in results
    ]
    names = [field.replace(".", ".\n", 1) if len(field) > 24 else field for field in fields]
    notes = [
        f"{scenario} ({file}): every point uses the same {signature.paths:,} paths and seed "
        f"{signature.seed} ({signature.method}), so differences between points are paired "
        "(common random numbers)."
    ]
    return emit(
        [Section(None, [*names, "Country", "P(target)", "95% interval"], table)],
        notes,
        fmt,
        rich_output,
    )

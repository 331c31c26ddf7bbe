"""Showing comparisons, explanations and solutions: tables, markdown, CSV and stable JSON."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

from sim.analysis.compare import Comparison, CountryDifference, Difference, JointDifference
from sim.analysis.estimate import Z_95
from sim.analysis.explain import COUNTRY_FIELDS, Explanation
from sim.analysis.solve import Solution
from sim.core.effects import BY_NAME as EFFECTS
from sim.core.effects import Acts
from sim.core.model import CountryModel, EventModel, Model
from sim.core.periods import Period
from sim.report import provenance
from sim.report.render import (
    MC_COLUMN,
    MC_NOTE,
    Section,
    first_sentence,
    html_report,
    interval_text,
    json_document,
    markdown_report,
    money,
    month_words,
    percent,
    text_report,
    window_line,
    window_words,
)

# What a difference's ±MC column means (the run table's MC_NOTE, for paired differences).
MC_DIFFERENCE_NOTE = (
    "±MC (95%): the Monte Carlo precision of the difference, paired path by path; not "
    "uncertainty about the world, which the scenario's ranges carry."
)
# What the joint rows of compare and explain are about.
JOINT_NOTE = (
    "Joint rows: all met, the share of paths on which every country of the file meets its "
    "target; any met, on which at least one does; each country its own target in its own "
    "window."
)
# Windows these results do not carry: said in words.
ANY_WINDOW = (
    "Window: each country's target window, the 12 months ending with its deadline (a "
    "variant that moves target.by moves it)."
)


def window_title(windows: list[tuple[str, Period | None, int]], otherwise: str) -> str:
    """The one line that names the months a table judges (``window_line``), from (country
    label, window, fiscal year start) triples; ``otherwise`` when a result carries no window."""
    pairs: dict[tuple[str, str], None] = {}
    for label, window, fiscal_year_start in windows:
        if window is None:
            return otherwise
        pairs[label, window_words(window, fiscal_year_start)] = None
    return window_line(list(pairs)) if pairs else otherwise


def points(value: float) -> str:
    """A difference of probabilities in percentage points, signed."""
    return f"{value * 100:+.2f} pts" if abs(value) < 0.1 else f"{value * 100:+.1f} pts"


def point_interval(difference: Difference) -> str:
    return f"{difference.low * 100:+.2f} to {difference.high * 100:+.2f}"


def emit(
    sections: list[Section],
    notes: list[str],
    fmt: str,
    rich_output: bool,
    width: int | None = None,
    heading: str | None = None,
    sources: Sequence[str] = (),
) -> str:
    """Tables and notes as text (fitted to ``width``), markdown or HTML (``fmt``); markdown
    starts with ``heading`` as its title; markdown and HTML end with the ``sources`` lines
    (which file, which version of it, how many paths: ``source_line``)."""
    if fmt == "markdown":
        title = f"# {heading}\n\n" if heading else ""
        return title + markdown_report(sections, [*notes, *sources])
    if fmt == "html":
        return html_report(sections, [*notes, *sources])
    return text_report(sections, notes, rich_output, width)


def source_line(file: str, sha256: str, paths: int, seed: int, method: str) -> str:
    """``Scenario file x.yaml, SHA-256 …; 100,000 paths, seed 0, antithetic sampling.``"""
    return (
        f"Scenario file {file}, SHA-256 {sha256}; {paths:,} paths, seed {seed}, {method} sampling."
    )


def _runs_text(runs: Any) -> str:
    """'100,000 paths, seed 0 (antithetic)', or each file's when they differ."""
    distinct = list(dict.fromkeys(runs))
    text = "; ".join(f"{paths:,} paths, seed {seed} ({method})" for paths, seed, method in distinct)
    return text if len(distinct) == 1 else f"per file: {text}"


def csv_text(header: list[str], rows: list[list[Any]], made: bool = True) -> str:
    """A header and rows as CSV text; ``made``: every row ends with what produced it (the
    provenance columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    tail = provenance.csv_values() if made else []
    writer.writerow([*header, *(provenance.COLUMNS if made else ())])
    writer.writerows([*row, *tail] for row in rows)
    return buffer.getvalue()


def _difference_row(variant: str, name: str, result: Any) -> list[str]:
    """A row of compare's table: P(base), P(variant) and their paired difference."""
    difference = result.difference
    return [
        variant,
        name,
        percent(result.base),
        percent(result.other),
        points(difference.estimate),
        point_interval(difference),
        f"±{Z_95 * difference.independent_se * 100:.2f}",
    ]


def _difference_json(difference: Difference) -> dict[str, float]:
    return {
        "difference": difference.estimate,
        "ci_low": difference.low,
        "ci_high": difference.high,
        "se": difference.se,
        "independent_se": difference.independent_se,
    }


# --- compare -------------------------------------------------------------------------------


def render_comparisons(
    comparisons: list[Comparison], fmt: str, rich_output: bool = False, width: int | None = None
) -> str:
    if fmt == "json":
        return json_document("comparisons", [_comparison_json(c) for c in comparisons])
    if fmt == "csv":
        header = [
            "scenario",
            "file",
            "variant",
            "country",
            "joint",
            "base",
            "variant_probability",
            "difference",
            "ci_low",
            "ci_high",
            "se",
            "independent_se",
            "paths",
            "seed",
            "method",
            "scenario_sha256",
        ]
        csv_rows = [
            [
                c.scenario,
                c.file,
                c.variant,
                country,
                joint,
                base,
                other,
                d.estimate,
                d.low,
                d.high,
                d.se,
                d.independent_se,
                c.paths,
                c.seed,
                c.method,
                c.sha256,
            ]
            for c in comparisons
            for country, joint, base, other, d in [  # joint rows: no country, "joint" says which
                *((r.country, "", r.base, r.other, r.difference) for r in c.results),
                *(("", j.outcome, j.base, j.other, j.difference) for j in c.joint),
            ]
        ]
        return csv_text(header, csv_rows)
    header = [
        "Variant",
        "Country",
        "P(base)",
        "P(variant)",
        "Difference",
        MC_COLUMN,
        "Independent\nruns ±",
    ]
    rows = [  # each variant's countries, then its joint rows (all met, any met)
        _difference_row(c.variant, name, d)
        for c in comparisons
        for name, d in [
            *((r.label, r) for r in c.results),
            *((f"{j.words} (joint)", j) for j in c.joint),
        ]
    ]
    notes = []
    for c in comparisons:
        about = f": {c.description}" if c.description else ""
        changes = ", ".join(c.overrides) or "nothing"
        # a variant that moves a deadline judges P(variant) on other months than the title's
        moved = "".join(
            f" P(variant) of {r.label} is for trade in "
            f"{window_words(r.window, r.fiscal_year_start)}."
            for r in c.results
            if r.window is not None and r.window != r.base_window
        )
        notes.append(f"{c.variant}{about} (changes {changes}; {c.file})" + (moved and f".{moved}"))
    if any(c.joint for c in comparisons):
        notes.append(JOINT_NOTE)
    notes.append(MC_DIFFERENCE_NOTE)
    notes.append(
        f"{_runs_text((c.paths, c.seed, c.method) for c in comparisons)}, the same for base and "
        "variants: differences are paired path by path (common random numbers). The last "
        "column is the half-width the interval would have with two independent runs."
    )
    title = window_title(
        [(r.label, r.base_window, r.fiscal_year_start) for c in comparisons for r in c.results],
        ANY_WINDOW,
    )
    section = Section(title, header, rows, keys=2, bound=frozenset({MC_COLUMN}))
    names = ", ".join(dict.fromkeys(c.scenario for c in comparisons))
    sources = dict.fromkeys(
        source_line(c.file, c.sha256, c.paths, c.seed, c.method) for c in comparisons
    )
    heading = f"Variants of {names}"
    return emit([section], notes, fmt, rich_output, width, heading=heading, sources=list(sources))


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
        "scenario_sha256": comparison.sha256,
        "results": [_country_json(r, "variant") for r in comparison.results],
        **(
            {"joint": [_joint_json(j, "variant") for j in comparison.joint]}
            if comparison.joint
            else {}
        ),
    }


def _joint_json(result: JointDifference, other: str) -> dict[str, Any]:
    return {
        "outcome": result.outcome,
        "countries": list(result.countries),
        "base": result.base,
        other: result.other,
        **_difference_json(result.difference),
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
    explanations: list[tuple[str, str, Explanation]],
    fmt: str,
    rich_output: bool = False,
    width: int | None = None,
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
            window = window_words(country.window, model.fiscal_year_start)
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
                f"{country.label}: what the events do to P(target), trade in {window} "
                f"({percent(probability)} with all of them)"
            )
            if rows:
                sections.append(
                    Section(
                        title,
                        ["Event", "P(target)\nwithout it", "Effect of\nthe event", MC_COLUMN],
                        rows,
                        tuple(_event_notes(explanation, index)),
                    )
                )
            rows = [
                [
                    input_label(s.input, model),
                    input_value(s.input, s.low_value),
                    percent(s.low.other),
                    input_value(s.input, s.high_value),
                    percent(s.high.other),
                    points(s.swing),
                    _swing_interval(s),
                ]
                for s in explanation.sensitivities
                if s.country == country.id
            ]
            title = (
                f"{country.label}: what matters most to P(target), trade in {window} (each "
                "input held at its 10th and 90th percentile, the rest uncertain)"
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
                        MC_COLUMN,
                    ],
                    rows,
                )
            )
        if joint := _joint_section(explanation):
            sections.append(joint)
    runs = _runs_text((e.base.paths, e.base.seed, e.base.method) for _, _, e in explanations)
    notes = [
        f"{runs}; every row uses the same random numbers, so effects and swings are paired "
        "path by path. An effect is P(target) with the event minus P(target) without it "
        "(negative: the event costs that many points).",
        MC_DIFFERENCE_NOTE,
    ]
    if any(a.joint for _, _, e in explanations for a in e.attributions):
        notes.append(JOINT_NOTE)
    names = ", ".join(dict.fromkeys(scenario for scenario, _, _ in explanations))
    heading = f"What moves the odds: {names}"
    sources = [
        source_line(file, e.sha256, e.base.paths, e.base.seed, e.base.method)
        for _, file, e in explanations
    ]
    return emit(sections, notes, fmt, rich_output, width, heading=heading, sources=sources)


def _joint_section(explanation: Explanation) -> Section | None:
    """What each event does to the region's odds: P(all targets met) and P(at least one)
    without it, and its effect; None with one country (or no events)."""
    rows = []
    for attribution in explanation.attributions:
        name = attribution.event or "all events together"
        for joint in attribution.joint:
            rows.append(
                [
                    name,
                    "all" if joint.outcome == "all" else "at least one",
                    percent(joint.base),
                    points(joint.difference.estimate),
                    point_interval(joint.difference),
                ]
            )
    if not rows:
        return None
    first = {j.outcome: j.other for j in explanation.attributions[0].joint}
    n = len(explanation.attributions[0].joint[0].countries)
    every = "Both countries" if n == 2 else f"All {n} countries"
    title = (
        f"{every} together: what the events do to the chance that every target is met, and "
        f"that at least one is ({percent(first['all'])} and {percent(first['at_least_one'])} "
        "with every event; each country its own target in its own window)"
    )
    header = ["Event", "Targets met", "P without it", "Effect of\nthe event", MC_COLUMN]
    return Section(title, header, rows, keys=2)


def _swing_interval(s: Any) -> str:
    """A swing's Monte Carlo 95% interval, in points."""
    low, high = s.swing - Z_95 * s.swing_se, s.swing + Z_95 * s.swing_se
    return f"{low * 100:+.2f} to {high * 100:+.2f}"


SHOWN_AS_ZERO = 0.5e-4  # a difference that ``points`` prints as 0.00 pts


def _event_notes(explanation: Explanation, index: int) -> list[str]:
    """Under a country's events table: what each event is, why an effect shows as zero, and
    why the single effects do not add up to all events together."""
    model = explanation.base.model
    outcome = explanation.base.countries[index]
    events = {event.name: event for event in model.events}
    lines = []
    singles = []
    together = None
    for attribution in explanation.attributions:
        result = attribution.results[index]
        if attribution.event is None:
            together = result.difference.estimate
            continue
        singles.append(result.difference.estimate)
        event = events[attribution.event]
        text = attribution.event
        if event.description:
            text += f": {first_sentence(event.description)}"
        if abs(result.difference.estimate) < SHOWN_AS_ZERO:
            why = _why_no_effect(
                model, index, event, result, outcome.event_paths, explanation.base.paths
            )
            text += f" (Effect {points(result.difference.estimate)}: {why}.)"
        lines.append(text)
    if together is not None:
        total = sum(singles)
        if points(total) != points(together):
            lines.append(
                f"The single-event effects add up to {points(total)}, but all events together "
                f"change P(target) by {points(together)}: events interact (they strike the same "
                "paths and months, and the target is a threshold), so their effects do not add up."
            )
    return lines


def _why_no_effect(
    model: Model,
    index: int,
    event: EventModel,
    result: CountryDifference,
    active: dict[str, int],
    paths: int,
) -> str:
    """Why removing ``event`` changes no (or almost no) path's outcome for a country."""
    country = model.countries[index]
    if not event.affects(index, model):
        return f"it does not act on {country.label}'s routes or trade"
    if event.start is not None and not event.recurring and event.start[0] > country.window_end:
        first = model.grid_start + event.start[0]
        return f"it can start no earlier than {month_words(first)}, after the target window"
    if active.get(event.name, 1) == 0:
        return "it was active before the deadline on no path"
    if result.base == 0 and result.other == 0:
        return "no path met the target either way"
    if result.base == 1 and result.other == 1:
        return "every path met the target either way"
    reach = _reaching_window(model, country, event)
    if reach is not None and reach < 0.05:
        window = window_words(country.window, model.fiscal_year_start)
        share = "every onset" if reach == 0 else f"{_share(1 - reach)} of its onsets"
        return (
            f"it ends before the target window ({window}) for {share}, and it changes trade "
            "only while it lasts"
        )
    meeting = round(result.other * paths)
    verb = "meets" if meeting == 1 else "meet"
    few = f"; only {meeting:,} of {paths:,} paths {verb} the target" if meeting < 100 else ""
    if result.difference.se == 0:
        return f"no path's outcome changed with or without it{few}"
    return f"it changes whether the target is met on too few paths to show{few}"


def _share(fraction: float) -> str:
    """A share near 1 as a percentage that is not rounded up to 100%."""
    return f"{math.floor(fraction * 1000) / 10:g}%"


def _reaching_window(model: Model, country: CountryModel, event: EventModel) -> float | None:
    """For a one-off event that changes trade only while it lasts (no growth effect), the
    share of its onsets still active at the start of the country's target window (onsets
    uniform over its start months, durations at 1,000 quantiles); None for other events."""
    import numpy as np

    if event.recurring or event.start is None or event.duration is None:
        return None
    if any(EFFECTS[name].acts is Acts.GROWTH for name in event.effects):
        return None  # a change of trend outlasts the event
    window_first = country.window_end - 11
    durations = event.duration.quantile((np.arange(1000) + 0.5) / 1000)
    onsets = np.arange(event.start[0], event.start[1] + 1) + 0.5  # mid-month on average
    ends = onsets[:, None] + durations[None, :]
    return float(np.mean(ends > window_first))


def input_label(path: str, model: Model) -> str:
    """An input in words: ``Growth rate``, ``afghan_closures duration`` (the tables are per
    country; JSON and CSV give the field path)."""
    parts = path.split(".")
    if parts[0] == "countries":
        field = ".".join(parts[2:])
        words = {
            COUNTRY_FIELDS["baseline"]: "Baseline",
            COUNTRY_FIELDS["rate"]: "Growth rate",
            COUNTRY_FIELDS["long_run"]: "Long-run growth",
            COUNTRY_FIELDS["half_life"]: "Half-life of growth",
            COUNTRY_FIELDS["volatility"]: "Volatility",
            COUNTRY_FIELDS["noise"]: "Noise",
        }
        country = next((c for c in model.countries if c.id == parts[1]), None)
        mean_reverting = country is not None and country.mean_reverting
        name = words.get(field, field)
        if field == COUNTRY_FIELDS["rate"] and mean_reverting:
            name = "Growth rate now"
        return name
    if parts[0] == "events" and len(parts) == 3:
        words = {"rate": "onsets/yr", "probability": "chance"}
        return f"{parts[1]} {words.get(parts[2], parts[2])}"
    return path


def input_value(path: str, value: float) -> str:
    """An input's value in the words of its field."""
    field = path.rsplit(".", 1)[-1]
    if path.startswith("events.") and field in EFFECTS:
        shown = EFFECTS[field].shown
        if shown == "amount":
            return f"{value:.4g} a year"
        return percent(value) if shown == "share" else f"{value * 100:+.1f}%"
    if field == "probability":
        return percent(value)
    if path.endswith(("growth.rate", "growth.long_run", ".volatility", ".noise")):
        return f"{value * 100:+.1f}%" if round(value * 100, 1) else "0.0%"  # never -0.0%
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
                "swing_ci_low": s.swing - Z_95 * s.swing_se,
                "swing_ci_high": s.swing + Z_95 * s.swing_se,
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
    joint = [
        {
            "event": a.event,
            "outcome": j.outcome,
            "without": j.base,
            "with": j.other,
            **_difference_json(j.difference),
        }
        for a in explanation.attributions
        for j in a.joint
    ]
    return {
        "scenario": scenario,
        "file": file,
        "paths": explanation.base.paths,
        "seed": explanation.base.seed,
        "method": explanation.base.method,
        "scenario_sha256": explanation.sha256,
        "results": results,
        **({"joint": joint} if joint else {}),  # several countries: effects on all / any met
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
        for j in document.get("joint", []):  # kind joint:all or joint:at_least_one
            rows.append(
                [
                    scenario,
                    "",
                    f"joint:{j['outcome']}",
                    j["event"] or "all",
                    "",
                    j["without"],
                    "",
                    "",
                    j["difference"],
                    j["ci_low"],
                    j["ci_high"],
                ]
            )
    return csv_text(header, rows)


# --- solve ---------------------------------------------------------------------------------

# What the ±MC column beside an answer means (the one beside P(target) is MC_NOTE's).
MC_VALUE_NOTE = (
    "±MC (95%) beside 'Needed': the Monte Carlo precision of the answer, the values between "
    "which P(target) is the probability asked within its own ±MC (read from how P(target) "
    "moves with the value); more paths narrow it. Not uncertainty about the world."
)


def render_solutions(
    solutions: list[tuple[str, str, Solution]],
    fmt: str,
    rich_output: bool = False,
    width: int | None = None,
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
        MC_COLUMN,
        "P(target)\nthere",
        MC_COLUMN,
    ]
    rows = []
    for _, _, s in solutions:
        rows.append(
            [
                s.label or s.country,
                s.field.removeprefix(f"countries.{s.country}."),
                percent(s.probability),
                input_value(s.field, s.before),
                input_value(s.field, s.value),
                value_interval(s.field, s.value_low, s.value_high),
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
                f"{s.label or s.country}, {s.field}: P(target) jumps from {percent(s.jump[0])} to "
                f"{percent(s.jump[1])} at this value; no value gives {percent(s.probability)} "
                "exactly."
            )
    notes.append(MC_VALUE_NOTE)
    notes.append(MC_NOTE)
    title = window_title(
        [(s.label or s.country, s.window, s.fiscal_year_start) for _, _, s in solutions],
        ANY_WINDOW.replace(" (a variant that moves target.by moves it)", ""),
    )
    sources = [source_line(file, s.sha256, s.paths, s.seed, s.method) for _, file, s in solutions]
    names = ", ".join(dict.fromkeys(scenario for scenario, _, _ in solutions))
    section = Section(title, header, rows, keys=2)
    return emit(
        [section],
        notes,
        fmt,
        rich_output,
        width,
        heading=f"What it would take: {names}",
        sources=sources,
    )


def value_interval(path: str, low: float | None, high: float | None) -> str:
    """An answer's Monte Carlo interval in the words of its field: ``+72.9 to +73.9%``."""
    if low is None or high is None:
        return "unbounded"  # P(target) does not move with the input
    first, last = input_value(path, low), input_value(path, high)
    if first == last:
        return first
    for unit in (" months", " years", "/yr", "%"):
        if first.endswith(unit) and last.endswith(unit):
            first = first.removesuffix(unit)
            break
    return f"{first} to {last}"


def _solution_json(scenario: str, file: str, solution: Solution) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "file": file,
        "country": solution.country,
        "label": solution.label or solution.country,
        "window": None if solution.window is None else str(solution.window),
        "field": solution.field,
        "probability": solution.probability,
        "value": solution.value,
        "value_low": solution.value_low,
        "value_high": solution.value_high,
        "before": solution.before,
        "shift": solution.shift,
        "shift_low": solution.shift_low,
        "shift_high": solution.shift_high,
        "achieved": solution.achieved,
        "ci_low": solution.ci_low,
        "ci_high": solution.ci_high,
        "trials": solution.trials,
        "scout_trials": solution.scout_trials,
        "scout_paths": solution.scout_paths,
        "jump": list(solution.jump) if solution.jump else None,
        "paths": solution.paths,
        "seed": solution.seed,
        "method": solution.method,
        "scenario_sha256": solution.sha256,
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
    width: int | None = None,
) -> str:
    """``done``: (the point's values as written, its results) pairs, in grid order."""
    from sim.analysis.sweep import header, rows

    if fmt == "csv":
        return csv_text(  # resumable: its rows carry their own signature
            header(fields),
            [row for texts, results in done for row in rows(texts, results, signature)],
            made=False,
        )
    if fmt == "json":
        document = {
            "scenario": scenario,
            "file": file,
            "paths": signature.paths,
            "seed": signature.seed,
            "method": signature.method,
            "scenario_sha256": signature.scenario,
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
    # a long field name wraps after its first dot in a terminal; markdown and HTML keep it whole
    wrap = fmt not in ("markdown", "html")
    names = [
        field.replace(".", ".\n", 1) if wrap and len(field) > 24 else field for field in fields
    ]
    notes = [
        f"{scenario} ({file}): every point uses the same {signature.paths:,} paths and seed "
        f"{signature.seed} ({signature.method}), so differences between points are paired "
        "(common random numbers).",
        MC_NOTE,
    ]
    columns = [*names, "Country", "P(target)", MC_COLUMN]
    title = ANY_WINDOW.replace("a variant that moves", "a point that sets")
    section = Section(title, columns, table, keys=len(fields) + 1)
    source = source_line(
        file, signature.scenario, signature.paths, signature.seed, signature.method
    )
    return emit(
        [section], notes, fmt, rich_output, width, heading=f"Sweep of {scenario}", sources=[source]
    )

"""``sim.briefing`` (the CLI's ``sim report``): the HTML briefing, assembled from the API's
own results (run, chart, explain, compare, sweep) and the shipped calibration record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Unpack

from sim.analysis.explain import Explanation, Sensitivity, model_inputs
from sim.analysis.summarise import RunSummary
from sim.api import Scenario, Source, _scenarios, chart, compare, explain, sweep
from sim.core.distributions import Distribution
from sim.report.briefing import (
    AS_IN_FILE,
    Assumption,
    ScenarioPart,
    Slider,
    WhatIf,
    kind_of,
    page,
    tornado_svg,
)
from sim.session import RunKeywords

# left to right: low to high, the input as the file has it (uncertain) in the middle
GROWTH_POSITIONS = ("p10", "p25", AS_IN_FILE, "p75", "p90")
EVENT_POSITIONS = ("p10", AS_IN_FILE, "p90")


@dataclass(frozen=True)
class Briefing:
    """The briefing: one self-contained HTML page (``html``)."""

    title: str
    html: str

    def write(self, path: str | Path) -> None:
        """Write the page to ``path`` whole: into a temporary file beside it, renamed into
        place, so that a failed write leaves no half page."""
        import os
        import tempfile

        target = Path(path)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(self.html)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _repr_html_(self) -> str:
        return self.html


def briefing(
    scenarios: Source | Scenario | Sequence[Source | Scenario],
    *,
    title: str | None = None,
    sliders: bool = True,
    **settings: Unpack[RunKeywords],
) -> Briefing:
    """The briefing for one scenario file or several: headlines, odds by year and fan charts,
    what-if sliders (a sweep of the two inputs that matter most, every position simulated),
    event attribution and the tornado, the variants, the assumptions with their sources, the
    calibration record and what produced it. Needs matplotlib (``pip install '.[plot]'``)."""
    from sim.analysis.summarise import summarise
    from sim.calibration.reference import calibration_record
    from sim.report.analysis import render_comparisons, render_explanations
    from sim.report.plot import svg
    from sim.report.render import render

    loaded = _scenarios(scenarios)
    explained = explain(loaded, **settings)
    # explain's base run is the run itself (the same paths, seed and method): summarised, it
    # is what sim run prints, with no second simulation
    summaries = [
        summarise(e.base, s.file, sha256=s.sha256)
        for s, (_, _, e) in zip(loaded, explained.explanations, strict=True)
    ]
    sections = []
    for scenario, summary, (_, _, explanation) in zip(
        loaded, summaries, explained.explanations, strict=True
    ):
        drawn = chart(
            scenario,
            paths=summary.paths,
            seed=summary.seed,
            method=summary.method,
            workers=settings.get("workers"),
        )
        variants = (
            render_comparisons(list(compare(scenario, **settings).comparisons), "html")
            if scenario.variants
            else None
        )
        whatif = _whatif(scenario, explanation, summary, settings) if sliders else None
        labels = [c.label for c in explanation.base.model.countries]
        sections.append(
            ScenarioPart(
                run=summary,
                description=scenario.spec.description,
                fan=svg(drawn.data, drawn.title, drawn.footer),
                explanation=explanation,
                explain_html=render_explanations(
                    [(scenario.name, scenario.file, explanation)], "html"
                ),
                tornadoes=tuple(
                    tornado_svg(explanation, index, label) for index, label in enumerate(labels)
                ),
                compare_html=variants,
                whatif=whatif,
                assumptions=_assumptions(scenario, summary, explanation),
            )
        )
    heading = title or (loaded[0].name if len(loaded) == 1 else "Trade targets: the odds")
    html = page(heading, sections, render(summaries, "html"), calibration_record())
    return Briefing(heading, html)


def _top(sensitivities: Sequence[Sensitivity], wanted: str) -> Sensitivity | None:
    """The input whose path matches ``wanted`` (a suffix, or a prefix ending in a dot) with
    the largest swing over all countries."""
    found = [
        s
        for s in sensitivities
        if (s.input.startswith(wanted) if wanted.endswith(".") else s.input.endswith(wanted))
    ]
    return max(found, key=lambda s: abs(s.swing), default=None)


def _whatif(
    scenario: Scenario,
    explanation: Explanation,
    summary: RunSummary,
    settings: RunKeywords,
) -> WhatIf | None:
    """Sliders for the growth rate and the event input that matter most (by the tornado's
    swing), and the sweep of every combination of their positions."""
    from sim.report.analysis import input_label

    model = explanation.base.model
    chosen = [
        (top, positions)
        for top, positions in (
            (_top(explanation.sensitivities, ".growth.rate"), GROWTH_POSITIONS),
            (_top(explanation.sensitivities, "events."), EVENT_POSITIONS),
        )
        if top is not None and top.swing != 0  # an input that moves nothing: no slider
    ]
    if not chosen:
        return None
    inputs = {item.path: item for item in model_inputs(model)}
    sliders = []
    for top, positions in chosen:
        distribution = inputs[top.input].distribution
        item = inputs[top.input]
        fitted = item.kind == "country" and model.countries[item.index].fitted
        middle = _value_at(top.input, distribution, 50)
        shown = tuple(
            f"{'as fitted' if fitted else 'as in the file'}: uncertain, median {middle}"
            if position == AS_IN_FILE
            else f"held at {_held(top.input, distribution, int(position[1:]))}"
            for position in positions
        )
        label = input_label(top.input, model)
        if item.kind == "country":  # which country's: the tornado showed it per country
            label = f"{model.countries[item.index].label}: {label[:1].lower()}{label[1:]}"
        sliders.append(Slider(top.input, label, positions, shown))
    grid = {slider.field: list(slider.positions) for slider in sliders}
    same = settings.copy()  # the run's paths and seed: the file/file point is the headline
    same["paths"], same["seed"] = summary.paths, summary.seed
    swept = sweep(scenario, grid, **same)
    points = {
        texts: tuple((r.label, r.probability, r.interval[0], r.interval[1]) for r in results)
        for texts, results in swept.points
    }
    if len({tuple(r[1] for r in results) for results in points.values()}) == 1:
        return None  # no position changes any country's odds: sliders would show nothing
    return WhatIf(tuple(sliders), points, summary.paths, summary.seed)


def _value_at(path: str, distribution: Distribution, percentile: int) -> str:
    """``+1.3%``: an input's value at a percentile, in the words of its field."""
    from sim.report.analysis import input_value

    return input_value(path, float(distribution.quantile(percentile / 100)))


def _held(path: str, distribution: Distribution, percentile: int) -> str:
    """``+1.3% (its 10th percentile)``: where a slider position holds an input."""
    return f"{_value_at(path, distribution, percentile)} (its {percentile}th percentile)"


def _assumptions(
    scenario: Scenario, summary: RunSummary, explanation: Explanation
) -> tuple[Assumption, ...]:
    """Every input of the file in words with its source and kind (events once)."""
    model = explanation.base.model
    events = {event.name: event for event in model.events}
    rows: dict[tuple[str, str], Assumption] = {}
    for result in summary.results:
        for item in result.stated:
            if item.what.startswith("Event "):
                event = events[item.what.removeprefix("Event ")]
                source = event.source or event.description or ""
                key = (item.what, "")
                rows.setdefault(key, Assumption(item.what, item.words, source, kind_of(source)))
                continue
            if item.what == "Routes":
                notes = [
                    f"{route.name}: {route.description}"
                    for route in model.routes
                    if route.description and route.name in item.words
                ]
                source = " ".join(notes)
                rows[(item.what, result.label)] = Assumption(
                    f"{result.label}: routes", item.words, source, kind_of(source)
                )
                continue
            if item.what == "History":
                series = scenario.spec.countries[result.country].history
                listed = series if isinstance(series, list) else [series] if series else []
                item = replace(item, source="; ".join(s.source for s in listed if s.source))
            source = item.source or (
                "fitted from its history and past targets (sim fit)" if item.fitted else ""
            )
            rows[(item.what, result.label)] = Assumption(
                f"{result.label}: {item.what.lower()}",
                item.words,
                source,
                kind_of(item.source, item.fitted),
            )
    return tuple(rows.values())

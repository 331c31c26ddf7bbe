"""The HTML briefing (``sim report``): one self-contained page that states the question, the
odds and why, what would change them and where every number came from.

The page is made of pieces that the API's result objects also show in a notebook
(``headlines``, the tables of ``render``/``render_explanations``/``render_comparisons`` as
HTML, ``tornado_svg``). It makes no network request: styles, the script and the charts
(inline SVG) are in the file, and a Content-Security-Policy forbids loading anything else.
The what-if sliders show only results simulated beforehand (a sweep on common random
numbers); nothing is interpolated.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from sim.analysis.explain import Explanation
from sim.analysis.summarise import CountrySummary, RunSummary
from sim.report import provenance
from sim.report.render import interval_text, percent, window_words

# --- odds in words ---------------------------------------------------------------------------


def odds_in_words(probability: float, paths: int) -> str:
    """``about 6 in 100``, ``about 3 in 10,000``; ``less than 1 in 10,000`` below that;
    ``none of 100,000 simulated paths`` for 0 (with ``paths``)."""
    if probability <= 0:
        return f"none of {paths:,} simulated paths"
    if probability >= 1:
        return f"all of {paths:,} simulated paths"
    if probability < 1e-4:
        return "less than 1 in 10,000"
    if probability > 0.9999:
        return "more than 9,999 in 10,000"
    # the smallest of 10, 100, 1,000, 10,000 whose count is within 15% of the probability
    for denominator in (10, 100, 1_000, 10_000):
        count = round(probability * denominator)
        close = abs(count / denominator - probability) <= 0.15 * probability
        if (close or denominator == 10_000) and 1 <= count < denominator:
            break
    return f"about {count:,} in {denominator:,}"


def target_in_words(value: float, unit: str) -> str:
    """``$1B``, ``$200M``, ``1,500 tonnes``."""
    from sim.report.plot import amount

    return amount(value, unit)


FEW_HITS = 20  # fewer paths meeting the target: the headline says the odds are imprecise


def headline(run: RunSummary, result: CountrySummary) -> str:
    """``Kazakhstan: trade reaching $1B a year in Jan–Dec 2027: about 3 in 10,000``, and
    how few paths that rests on when they are few."""
    window = window_words(result.window, run.fiscal_year_start)
    target = target_in_words(result.target, run.unit)
    words = (
        f"{result.label}: trade reaching {target} a year in {window}: "
        f"{odds_in_words(result.probability, run.paths)}"
    )
    if 0 < result.hits < FEW_HITS:
        met = "path" if result.hits == 1 else "paths"
        words += f" (from only {result.hits} {met} of {run.paths:,}: imprecise)"
    return words


def headlines(runs: Sequence[RunSummary]) -> str:
    """Each country's headline in words, with P(target) and its Monte Carlo precision."""
    items = []
    for run in runs:
        for result in run.results:
            items.append(
                f'<li class="headline" data-country="{escape(result.country)}">'
                f"<strong>{escape(headline(run, result))}</strong> "
                f'<span class="p">P(target) <span class="value">'
                f"{escape(percent(result.probability))}</span></span> "
                f'<span class="mc">(±MC {escape(interval_text(result.ci_low, result.ci_high))})'
                "</span></li>"
            )
    return '<ul class="headlines">' + "".join(items) + "</ul>"


# --- the tornado chart -----------------------------------------------------------------------


MIN_CHART_HITS = 20  # fewer paths meeting the target: the swings are noise, not charted


def tornado_svg(explanation: Explanation, country: int, label: str, top: int = 10) -> str:
    """What matters most to one country's P(target), as a chart: for each input (largest
    swing first), a bar from P with the input at its 10th percentile to P at its 90th (blue
    when the 90th raises P, orange when it lowers it), both values written after the bar, and
    a line at P with everything uncertain. With fewer than ``MIN_CHART_HITS`` paths meeting
    the target, a sentence instead: the swings would be noise. Needs matplotlib."""
    from sim.report.plot import figure_svg, require_matplotlib

    base = explanation.base.countries[country]
    hits = int(base.met.sum())
    if hits < MIN_CHART_HITS:
        return (
            f'<p class="note">{escape(label)}: only {hits:,} of {len(base.met):,} paths meet '
            "the target, too few to chart what matters most; the table below has the "
            "numbers, with their Monte Carlo precision.</p>"
        )
    require_matplotlib()
    from matplotlib.figure import Figure

    cid = explanation.base.model.countries[country].id
    rows = [s for s in explanation.sensitivities if s.country == cid][:top]
    p_base = float(base.met.mean()) * 100
    figure = Figure(figsize=(7.5, 0.42 * max(len(rows), 1) + 1.3))
    axis = figure.add_subplot()
    names = [_input_name(s.input, explanation) for s in rows][::-1]
    for i, s in enumerate(rows[::-1]):
        low, high = s.low.other * 100, s.high.other * 100
        axis.barh(i, high - low, left=low, color="#6baed6" if high >= low else "#fd8d3c")
        words = f"  p10 {percent(low / 100)}, p90 {percent(high / 100)}"
        axis.text(max(low, high), i, words, va="center", fontsize=8)
    axis.axvline(p_base, color="#252525", linewidth=1)
    axis.set_yticks(range(len(rows)), names, fontsize=8)
    axis.set_xlabel(
        f"{label}: P(target), % (line: {percent(p_base / 100)} with every input uncertain)",
        fontsize=8,
    )
    span = [v for s in rows for v in (s.low.other * 100, s.high.other * 100)] + [p_base]
    width = max(max(span) - min(span), 0.01)
    # room on the right for the words after the longest bar
    axis.set_xlim(max(0.0, min(span) - 0.1 * width), max(span) + 0.9 * width)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure_svg(figure)


def _input_name(path: str, explanation: Explanation) -> str:
    from sim.report.analysis import input_label

    return input_label(path, explanation.base.model)


# --- the what-if sliders ---------------------------------------------------------------------


AS_IN_FILE = "file"  # the position that leaves the input as the scenario has it


@dataclass(frozen=True)
class Slider:
    """One slider: a field of the file and the values its positions hold it at."""

    field: str  # e.g. countries.kazakhstan.growth.rate
    label: str  # in words
    positions: tuple[str, ...]  # sweep values: file, p10, ...
    shown: tuple[str, ...]  # what each position means, in words


@dataclass(frozen=True)
class WhatIf:
    """Sliders and the sweep that computed every combination of their positions."""

    sliders: tuple[Slider, ...]
    # (position of each slider, as in ``positions``) -> (country label, P, ±MC low, high)
    points: dict[tuple[str, ...], tuple[tuple[str, float, float, float], ...]]
    paths: int
    seed: int


def _whatif_html(whatif: WhatIf, key: str) -> str:
    data = {
        "sliders": [list(s.shown) for s in whatif.sliders],
        "points": {
            "|".join(position): [
                [label, percent(p), interval_text(low, high), p] for label, p, low, high in results
            ]
            for position, results in whatif.points.items()
        },
    }
    start = tuple(AS_IN_FILE for _ in whatif.sliders)  # each slider starts at the file
    controls = []
    for number, slider in enumerate(whatif.sliders):
        name = f"{key}-s{number}"
        at = slider.positions.index(AS_IN_FILE)
        ends = f"{slider.shown[0]} … {slider.shown[-1]}"
        controls.append(
            f'<div class="slider"><label for="{name}">{escape(slider.label)}</label>'
            f'<input type="range" id="{name}" min="0" max="{len(slider.positions) - 1}" '
            f'step="1" value="{at}" data-field="{escape(slider.field)}" '
            f'data-positions="{escape("|".join(slider.positions))}" '
            f'aria-valuetext="{escape(slider.shown[at])}" title="{escape(ends)}">'
            f'<output for="{name}" class="setting">{escape(slider.shown[at])}</output></div>'
        )
    rows = "".join(
        f'<tr data-country="{escape(label)}"><td>{escape(label)}</td>'
        f'<td class="whatif-p">{escape(percent(p))}</td>'
        f'<td class="whatif-mc">{escape(interval_text(low, high))}</td></tr>'
        for label, p, low, high in whatif.points[start]
    )
    return (
        f'<div class="whatif" data-key="{key}">'
        + "".join(controls)
        + '<div class="scroll"><table class="whatif-table"><thead><tr><th>Country</th>'
        + "<th>P(target)</th><th>±MC (95%)</th></tr></thead>"
        + f'<tbody aria-live="polite">{rows}</tbody></table></div>'
        + f'<script type="application/json" class="whatif-data">{_json(data)}</script></div>'
    )


def _json(data: Any) -> str:
    """JSON to put inside a <script> element (``</`` cannot end it early)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")


SCRIPT = """
document.querySelectorAll('.whatif').forEach(function (box) {
  var data = JSON.parse(box.querySelector('.whatif-data').textContent);
  var inputs = Array.prototype.slice.call(box.querySelectorAll('input[type=range]'));
  function update() {
    var key = inputs.map(function (input, i) {
      var words = data.sliders[i][+input.value];
      input.setAttribute('aria-valuetext', words);
      input.parentNode.querySelector('output').textContent = words;
      return input.dataset.positions.split('|')[+input.value];
    }).join('|');
    var rows = box.querySelectorAll('tbody tr');
    data.points[key].forEach(function (result, i) {
      rows[i].querySelector('.whatif-p').textContent = result[1];
      rows[i].querySelector('.whatif-mc').textContent = result[2];
    });
  }
  inputs.forEach(function (input) { input.addEventListener('input', update); });
});
"""

STYLE = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
margin:0 auto;padding:1rem;max-width:62rem;overflow-wrap:break-word}
h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:1px solid #ddd}h3{font-size:1.05rem}
.headlines{list-style:none;padding:0}.headline{margin:.6rem 0;padding:.6rem .8rem;
background:#f3f7fb;border-left:4px solid #08306b}.headline .p{white-space:nowrap}
.mc,.note,small{color:#555;font-size:.85rem}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;margin:.5rem 0;
font-size:.9rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #e5e5e5;text-align:left;
vertical-align:top}th{background:#fafafa}
svg{max-width:100%;height:auto;display:block}
.slider{margin:.8rem 0}.slider label{display:block;font-weight:600}
.slider input{width:100%;max-width:30rem}.slider output{display:block;color:#08306b}
.kind-judgement{color:#a63603;font-weight:600}.kind-data{color:#006d2c;font-weight:600}
.kind-fitted{color:#08519c;font-weight:600}.kind-calculated{color:#54278f;font-weight:600}
details{margin:.5rem 0}code{overflow-wrap:anywhere;word-break:break-word}
"""

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


# --- assumptions and their sources -----------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """One input of the file, what it is set to, where it comes from and of which kind:
    ``data`` (a source is given), ``judgement`` (the source says so), ``fitted`` (from the
    history and the reference class), or ``no source``."""

    what: str
    value: str
    source: str
    kind: str


JUDGEMENT = re.compile(r"\bjudge?ments?\b", re.IGNORECASE)


def kind_of(source: str | None, fitted: bool = False) -> str:
    """The rule the page states: fitted growth is ``fitted``; a source that names judgement
    (or judgment) is ``judgement``; one marked ``(calc)`` is ``calculated`` (a figure worked
    out from data and stated assumptions); any other source is ``data``; none is
    ``no source``."""
    if fitted:
        return "fitted"
    if not source:
        return "no source"
    if JUDGEMENT.search(source):
        return "judgement"
    return "calculated" if source.lstrip().lower().startswith("(calc)") else "data"


# --- the page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioPart:
    """Everything the page says about one scenario file."""

    run: RunSummary
    description: str | None
    fan: str | None  # the fan chart as inline SVG
    explanation: Explanation | None
    explain_html: str  # the attribution and sensitivity tables
    tornadoes: tuple[str, ...]  # one SVG per country
    compare_html: str | None  # the variants side by side
    whatif: WhatIf | None
    assumptions: tuple[Assumption, ...]


def unique_ids(svg: str, prefix: str) -> str:
    """An inline SVG with its element ids (and the references to them) prefixed, so that
    several charts on one page never share an id."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


def page(
    title: str, sections: Sequence[ScenarioPart], runs_html: str, record: dict[str, Any] | None
) -> str:
    """The whole briefing as one HTML document."""
    runs = [s.run for s in sections]
    body = [
        f"<h1>{escape(title)}</h1>",
        "<p>How likely is each target, by when, and what would "
        "change the odds? Every figure below is simulated by sim; the last sections say "
        "what it rests on.</p>",
        headlines(runs),
    ]
    body.append(
        f'<p class="note">P(target): the share of {_paths(runs)} simulated paths whose trade '
        "over the target's 12-month window reaches the target. ±MC: the Monte Carlo "
        "precision of that share (a 95% interval that more paths narrow), not uncertainty "
        "about the world, which the scenario's ranges carry.</p>"
    )
    body += ["<h2>The odds by year</h2>", runs_html]
    for number, section in enumerate(sections):
        name = escape(section.run.scenario)
        if section.fan:
            body += [
                f"<h3>Trade and the odds over time: {name}</h3>",
                unique_ids(section.fan, f"fan{number}"),
            ]
        if section.whatif is not None:
            body += [
                f"<h2>What if? {name}</h2>",
                _whatif_intro(section.whatif),
                _whatif_html(section.whatif, f"w{number}"),
            ]
        if section.explanation is not None:
            body += [f"<h2>What the events do, and what matters most: {name}</h2>"]
            body += [
                unique_ids(chart, f"tornado{number}-{index}")
                for index, chart in enumerate(section.tornadoes)
            ]
            body.append(section.explain_html)
        if section.compare_html:
            body += [f"<h2>The file's variants side by side: {name}</h2>", section.compare_html]
        body += [f"<h2>Assumptions and their sources: {name}</h2>"]
        body += _description(section.description)
        body.append(_assumptions_html(section.assumptions))
    if record is not None:
        body += ["<h2>Calibration record</h2>", _record_html(record)]
    body += ["<h2>What produced this page</h2>", _provenance_html(runs)]
    data = {"provenance": provenance.provenance()}
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body)
        + f'<script type="application/json" id="sim-provenance">{_json(data)}</script>'
        + f"<script>{SCRIPT}</script></body></html>\n"
    )


def _paths(runs: Sequence[RunSummary]) -> str:
    counts = sorted({run.paths for run in runs})
    return " or ".join(f"{count:,}" for count in counts)


def _whatif_intro(whatif: WhatIf) -> str:
    fields = ", ".join(
        f"<code>{escape(s.field)}={','.join(s.positions)}</code>" for s in whatif.sliders
    )
    count = math.prod(len(s.positions) for s in whatif.sliders)
    return (
        "<p>Move the sliders (or use the arrow keys) to hold the inputs that matter most at "
        "a percentile of their range, the rest still uncertain. Every combination of "
        f"positions, {count} in all, was simulated beforehand with the same "
        f"{whatif.paths:,} paths and seed {whatif.seed} (common random numbers): the page "
        "shows those results and interpolates nothing. The same grid: "
        f"<code>sim sweep</code> with {fields}.</p>"
    )


def _description(text: str | None) -> list[str]:
    if not text:
        return []
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return (
        ["<details open><summary>The file's reasoning</summary>"]
        + [f"<p>{escape(p)}</p>" for p in paragraphs]
        + ["</details>"]
    )


def _assumptions_html(assumptions: Sequence[Assumption]) -> str:
    rows = "".join(
        f"<tr><td>{escape(a.what)}</td><td>{escape(a.value)}</td>"
        f'<td class="kind-{a.kind.replace(" ", "-")}">{escape(a.kind)}</td>'
        f"<td>{escape(a.source)}</td></tr>"
        for a in assumptions
    )
    return (
        '<p class="note">Kind, by what the file\'s own source says: '
        '<span class="kind-judgement">judgement</span> where it names judgement; '
        '<span class="kind-calculated">calculated</span> where it is marked (calc), a figure '
        "worked out from data and stated assumptions; "
        '<span class="kind-data">data</span> for any other source; '
        '<span class="kind-fitted">fitted</span> for growth fitted from the history and past '
        "targets (sim fit); no source where the file gives none. A row's source can hold both "
        "data and judgement: read it.</p>"
        '<div class="scroll"><table><thead><tr><th>Input</th><th>Value</th><th>Kind</th>'
        f"<th>Source</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _record_html(record: dict[str, Any]) -> str:
    backtest = record["backtests"][0]
    cases = backtest["cases"]
    met = sum(1 for case in cases if case["met"])
    rows = "".join(
        f"<tr><td>{escape(s['forecaster'])}</td><td>{s['count']}</td>"
        f"<td>{s['brier']:.3f}</td><td>{s['log']:.3f}</td>"
        f"<td>{_share(s['coverage_50'])}</td><td>{_share(s['coverage_90'])}</td></tr>"
        for s in backtest["scores"]
    )
    bins = "".join(
        f"<tr><td>{b['low']:.0%}–{b['high']:.0%}</td><td>{b['count']}</td>"
        f"<td>{_share(b['forecast'])}</td><td>{_share(b['observed'])}</td></tr>"
        for b in backtest["reliability"]
        if b["count"]
    )
    made = record["provenance"]
    return (
        f"<p>How sim's method did on {len(cases)} past announced trade targets whose "
        f"outcomes are known ({met} were met): each forecast made as of the month before the "
        "announcement, from data dated no later, with growth fitted as in this page's "
        "scenarios, scored against what happened. Lower Brier and log scores are better; a "
        "calibrated forecaster's 50% and 90% intervals cover the outcome 50% and 90% of the "
        "time. The hand-picked range sets growth by hand, from the lowest to the highest "
        "yearly change seen before the announcement, as a spreadsheet model would (it can be "
        "set only where a record of several years was known).</p>"
        '<div class="scroll"><table><thead><tr><th>Forecaster</th><th>Targets</th>'
        "<th>Brier</th><th>Log score</th><th>50% interval covers</th>"
        f"<th>90% interval covers</th></tr></thead><tbody>{rows}</tbody></table></div>"
        "<p>Reliability: of the targets sim gave a probability in each band, the share "
        "that was met.</p>"
        '<div class="scroll"><table><thead><tr><th>sim\'s P</th><th>Targets</th>'
        "<th>Mean forecast</th><th>Share met</th></tr></thead>"
        f"<tbody>{bins}</tbody></table></div>"
        f'<p class="note">{backtest["paths"]:,} paths per target; sim {made["sim"]}, '
        f"record made {escape(made['date'])} (data/backtest.json; "
        "<code>sim backtest backtests/</code> repeats it).</p>"
    )


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _provenance_html(runs: Sequence[RunSummary]) -> str:
    items = "".join(
        f"<li><code>{escape(run.file)}</code>, SHA-256 <code>{run.sha256}</code>: "
        f"{run.paths:,} paths, seed {run.seed}, {run.method} sampling</li>"
        for run in runs
    )
    return (
        f"<ul>{items}</ul><p>Made with {escape(provenance.line())}. The same command with the "
        "same versions (constraints.txt pins them) gives the same numbers.</p>"
    )

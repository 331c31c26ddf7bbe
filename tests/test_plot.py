"""Charts (``sim plot``, ``sim.chart``): the format from the file's extension, plain money on
the axis, the record leading into the fan, the headline P(target) equal to ``sim run``'s, the
footer, one time axis per figure, the horizon past the deadline, a cut scale said in a note,
legends that name countries, and SVG text for a web page."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from conftest import write
from sim.cli import cli
from sim.defaults import DEFAULT_PATHS
from sim.report import plot
from sim.report.plot import CountryChart, scale, tick_text, time_axis
from sim.report.provenance import line
from sim.report.render import interval_text, percent

TWO = """\
name: Two partners
countries:
  kz:
    label: Kazakhstan
    history:
      - statistic: Kazakh statistics
        values: {2022: 73.5, 2023: 52.5, 2025-01/2025-07: 90}
    baseline: {value: 100, period: 2025-01/2025-07, source: "Kazakh statistics, Jan–Jul 2025"}
    target: {value: 400, by: 2027, source: officials}
    growth: {rate: 20% to 60%}
  kg:
    label: Kyrgyzstan
    baseline: {value: 12, period: 2025-01/2025-09}
    target: {value: 200, by: 2027-28}
    growth: {rate: 10% to 50%}
"""

CALENDAR = """\
name: One partner
countries:
  kz:
    label: Kazakhstan
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 1000, by: 2028}
    growth: {rate: 40% to 120%}
"""


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> list[CountryChart]:
    return sim.chart(write(tmp_path_factory.mktemp("two"), TWO), paths=2000).data


@pytest.fixture(scope="module")
def calendar(tmp_path_factory) -> list[CountryChart]:
    return sim.chart(write(tmp_path_factory.mktemp("calendar"), CALENDAR), paths=2000).data


def drawn(charts: list[CountryChart], footer: str = "a footer", title: str = "A title"):
    pytest.importorskip("matplotlib")
    figure = plot.figure(charts, title, footer)
    figure.canvas.draw()  # an Agg canvas: ticks and text placed as in a PNG
    return figure


def shown(text) -> str:
    """A text as the chart shows it (a $ is escaped from matplotlib's maths mode)."""
    return text.get_text().replace("\\$", "$")


def panels(figure):
    """The (fan, odds) axes of each row, in order (legend rows left out)."""
    drawing = [a for a in figure.axes if a.axison]
    return list(zip(drawing[::2], drawing[1::2], strict=True))


def legend_texts(figure) -> list[str]:
    return [shown(t) for a in figure.axes if a.get_legend() for t in a.get_legend().texts]


# --- format from the extension ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [("c.png", "png"), ("c.svg", "svg"), ("c.pdf", "pdf"), ("C.SVG", "svg"), ("a.b.Pdf", "pdf")],
)
def test_the_format_is_the_extension(name, kind):
    assert plot.chart_format(Path(name)) == kind


@pytest.mark.parametrize(
    ("name", "has"), [("chart.jpg", "the extension .jpg"), ("chart", "no extension")]
)
def test_another_extension_is_refused_in_words(name, has):
    with pytest.raises(sim.SettingError) as error:
        plot.chart_format(name)
    assert str(error.value) == (
        f"{name}: a chart is written as PNG, SVG or PDF, chosen by the file's extension "
        f"(.png, .svg, .pdf); this name has {has}"
    )


def test_plot_refuses_another_extension_before_simulating(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("simulated")

    monkeypatch.setattr(sim, "chart", never)
    path = write(tmp_path, CALENDAR)
    target = tmp_path / "chart.jpg"
    result = CliRunner().invoke(cli, ["plot", str(path), "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"sim: --output {target}: a chart is written as PNG, SVG or PDF, chosen by the file's "
        "extension (.png, .svg, .pdf); this name has the extension .jpg (see sim plot --help)\n"
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<svg"), (".pdf", b"%PDF-")]
)
def test_plot_writes_the_format_its_name_says(tmp_path, suffix, magic):
    pytest.importorskip("matplotlib")
    path = write(tmp_path, CALENDAR)
    target = tmp_path / f"chart{suffix}"
    result = CliRunner().invoke(cli, ["plot", str(path), "-o", str(target), "--paths", "2000"])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {target}\n"
    data = target.read_bytes()
    if suffix == ".svg":  # after the XML declaration
        assert data.startswith(b"<?xml") and data.count(magic) == 1
    else:
        assert data.startswith(magic)
    assert {p.name for p in tmp_path.iterdir()} == {"scenario.yaml", target.name}


# --- money on the axis --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (200, "USD million", "$200M"),
        (1000, "USD million", "$1B"),
        (1500, "USD million", "$1.5B"),
        (999.6, "USD million", "$1B"),  # rounded before the letter is chosen
        (12.9, "USD million", "$12.9M"),
        (0.5, "USD million", "$500K"),
        (100_000, "USD million", "$100B"),
        (2_000_000, "USD million", "$2T"),
        (1.5, "USD billion", "$1.5B"),
        (200, "USD thousand", "$200K"),
        (750, "usd", "$750"),
        (1500, "tonnes", "1,500"),
        (12.5, "tonnes", "12.5"),
        (0.2, "tonnes", "0.2"),
    ],
)
def test_tick_text_in_plain_units(value, unit, text):
    assert tick_text(value, unit) == text


def test_the_fan_axis_reads_dollars_not_powers_of_ten(two):
    figure = drawn(two)
    for fan, _ in panels(figure):
        low, high = fan.get_ylim()
        labels = [
            shown(t)
            for t, at in zip(fan.get_yticklabels(), fan.get_yticks(), strict=True)
            if low <= at <= high
        ]
        assert len(labels) >= 3, labels
        assert all(re.fullmatch(r"\$\d+(\.\d+)?[KMB]?", t) for t in labels), labels
        assert fan.get_ylabel() == "trade over 12 months, US dollars (log scale)"
    kz_labels = [shown(t) for t in panels(figure)[0][0].get_yticklabels()]
    assert {"$50M", "$100M", "$200M", "$500M"} <= set(kz_labels)


# --- the record leading into the fan --------------------------------------------------------


def test_the_history_is_drawn_as_observed_before_the_fan(two):
    kz, kg = two
    assert [o.annual for o in kz.observed] == pytest.approx([73.5, 52.5, 90 * 12 / 7])
    assert [o.start for o in kz.observed] == pytest.approx([2022, 2023, 2025])
    assert [o.end for o in kz.observed] == pytest.approx([2023, 2024, 2025 + 7 / 12])
    assert kz.statistic == "Kazakh statistics"
    assert kz.simulated_from == pytest.approx(2025 + 7 / 12)
    assert kg.observed == () and kg.baseline == pytest.approx((16, 16, 16))
    assert kz.years[0] == pytest.approx(2025.5)  # the fan's first window: 2025
    figure = drawn(two)
    labels = legend_texts(figure)
    assert "Kazakhstan: observed, Kazakh statistics (a year; part-years annualised)" in labels
    assert "Kazakhstan: baseline run-rate, where the paths start" in labels
    assert "Kyrgyzstan: observed baseline (run-rate a year)" in labels
    (kz_fan, _), _ = panels(figure)
    words = [t.get_text() for t in kz_fan.texts]
    assert "observed" in words and "simulated" in words


# --- the headline P(target) --------------------------------------------------------------


def test_the_chart_p_is_run_p_with_the_same_default_paths_and_seed(tmp_path):
    path = write(tmp_path, TWO)
    chart = sim.chart(path, seed=5)
    table = sim.run(path, seed=5)
    (summary,) = table.runs
    for drawn_chart, result in zip(chart.data, summary.results, strict=True):
        assert drawn_chart.paths == DEFAULT_PATHS == summary.paths
        assert drawn_chart.probability == result.probability
        assert (drawn_chart.ci_low, drawn_chart.ci_high) == (result.ci_low, result.ci_high)
        assert drawn_chart.headline == (
            f"P(target) {percent(result.probability)} "
            f"(±MC {interval_text(result.ci_low, result.ci_high)})"
        )
    assert chart.data[0].probability > 0  # a P the comparison can tell apart
    # the chart ran two years past the last deadline, the table to it: the same paths still
    assert [c.window_names[-1] for c in chart.data] == ["2029", "FY2029-30"]
    assert [r.by_year[-1].window.last for r in summary.results] == [2027 * 12 + 11, 2028 * 12 + 5]


def test_paths_are_checked_as_run_checks_them(tmp_path):
    with pytest.raises(sim.SettingError, match="paths must be a whole number of at least 1"):
        sim.chart(write(tmp_path, CALENDAR), paths=0)


def test_the_chart_keeps_no_path(two):
    for chart in two:
        years = len(chart.years)
        arrays = [chart.met, chart.reached, *chart.bands.values()]
        assert all(a.shape == (years,) for a in arrays)


def test_the_headline_is_on_the_chart(two):
    figure = drawn(two)
    texts = [t.get_text() for a in figure.axes for t in a.texts]
    for chart in two:
        assert f"{chart.label}: {chart.headline}" in texts


# --- footer -------------------------------------------------------------------------------


def test_the_footer_names_countries_the_file_as_given_and_provenance(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    Path("in").mkdir()
    path = write(tmp_path / "in", TWO, "two.yaml")
    chart = sim.chart(path, paths=2000, seed=3)  # an absolute path, under the current folder
    lines = chart.footer.splitlines()
    digest = sim.load(path).sha256[:12]
    assert lines[0] == f"Kazakhstan, Kyrgyzstan: in/two.yaml (SHA-256 {digest})."
    assert lines[1].startswith("2,000 paths, seed 3, antithetic method")
    assert lines[2] == f"{line()}." and "1970-01-02 00:00 UTC" in lines[2]
    assert str(tmp_path) not in chart.footer


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("scenarios/kz.yaml", "scenarios/kz.yaml"),
        ("<text>", "<text>"),
        ("{cwd}/a/kz.yaml", "a/kz.yaml"),
        ("/elsewhere/private/kz.yaml", "kz.yaml"),
    ],
)
def test_a_file_is_shown_without_where_it_lives(given, shown, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert plot.shown_file(given.replace("{cwd}", str(tmp_path))) == shown


def test_every_text_fits_in_the_figure(two):
    long = " ".join(["a long source"] * 80)
    charts = [replace(two[0], sources=(f"Kazakhstan baseline: {long}",)), two[1]]
    figure = drawn(
        charts, "first line of the footer\nsecond line of the footer", "a long title " * 30
    )
    box = figure.bbox
    texts = [t for t in figure.findobj(lambda a: hasattr(a, "get_text")) if t.get_visible()]
    shown = [t for t in texts if t.get_text().strip()]
    assert any("a long source" in t.get_text() for t in shown)
    renderer = figure.canvas.get_renderer()
    for text in shown:
        extent = text.get_window_extent(renderer)
        assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, text.get_text()
        assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, text.get_text()


# --- one time axis per figure; the target window ----------------------------------------------


def test_one_fiscal_axis_when_any_country_is_judged_on_a_fiscal_year(two):
    kz, kg = two
    assert (kz.fiscal, kg.fiscal) == (False, True)
    assert kg.window == pytest.approx((2027.5, 2028.5))  # Jul 2027 – Jun 2028, shaded
    assert kz.window == pytest.approx((2027.0, 2028.0))
    axis = time_axis(two)
    assert axis.first_month == 7
    assert axis.label == "fiscal years, Jul–Jun (FY27-28: Jul 2027–Jun 2028)"
    figure = drawn(two)
    for row in panels(figure):
        for panel in row:
            names = [t.get_text() for t in panel.get_xticklabels()]
            assert names and all(re.fullmatch(r"FY\d\d-\d\d", n) for n in names), names
            assert panel.get_xlabel() == axis.label
    spans = [
        p.get_x()
        for p in panels(figure)[1][0].patches
        if p.get_width() == pytest.approx(1.0) and p.get_facecolor()[3] < 0.2
    ]
    assert spans == pytest.approx([2027.5])


def test_calendar_years_when_no_country_is_judged_on_a_fiscal_year(calendar):
    assert time_axis(calendar).label == "calendar years"
    figure = drawn(calendar)
    ((fan, odds),) = panels(figure)
    years = ["2025", "2026", "2027", "2028", "2029", "2030"]
    assert [t.get_text() for t in odds.get_xticklabels()] == years
    assert [t.get_text() for t in fan.get_xticklabels()] == years


# --- horizon past the deadline; a cut scale -----------------------------------------------------


def test_the_fan_runs_two_years_past_the_deadline(tmp_path):
    chart = sim.chart(write(tmp_path, CALENDAR), paths=2000)
    (data,) = chart.data
    assert data.window_names == ("2025", "2026", "2027", "2028", "2029", "2030")
    assert data.deadline_year == pytest.approx(2028.5)


def test_a_later_horizon_in_the_file_is_kept(tmp_path):
    chart = sim.chart(write(tmp_path, CALENDAR + "horizon: 2033\n"), paths=2000)
    assert chart.data[0].window_names[-1] == "2033"


def chart_with(calendar, p95_last: float) -> CountryChart:
    (chart,) = calendar
    years = len(chart.years)
    bands = {
        5: np.full(years, 60.0),
        25: np.full(years, 120.0),
        50: np.full(years, 200.0),
        75: np.full(years, 400.0),
        95: np.linspace(500.0, p95_last, years),
    }
    return replace(chart, bands=bands, baseline=(150.0, 154.0, 160.0), observed=())


def test_an_exploding_95th_percentile_is_cut_and_said(calendar):
    chart = chart_with(calendar, 100_000.0)
    limits = scale(chart)
    assert limits.notes == ("95th percentile reaches $100B by 2030, off the scale",)
    assert limits.high == pytest.approx(1000 * plot.HEADROOM)  # the target is the highest kept
    assert limits.low == pytest.approx(60 / plot.MARGIN)
    figure = drawn([chart])
    ((fan, _),) = panels(figure)
    assert fan.get_ylim() == pytest.approx((limits.low, limits.high))
    assert "95th percentile reaches $100B by 2030, off the scale" in [shown(t) for t in fan.texts]


def test_a_95th_percentile_within_reach_is_shown_whole(calendar):
    limits = scale(chart_with(calendar, 3000.0))
    assert limits.notes == ()
    assert limits.high == pytest.approx(3000 * plot.MARGIN)


# --- legends ------------------------------------------------------------------------------


def test_legend_entries_name_their_country_once(two):
    figure = drawn(two)
    labels = legend_texts(figure)
    assert len(labels) == len(set(labels)) == 2 * (6 + 3) - 1  # Kyrgyzstan has no history
    fans = [a for a in figure.axes if not a.axison and a.get_legend()]
    for key, chart in zip(fans[::2], two, strict=True):
        assert all(t.get_text().startswith(f"{chart.label}: ") for t in key.get_legend().texts)
    assert "Kazakhstan: target $400M in Jan–Dec 2027 (shaded)" in labels
    assert "Kyrgyzstan: target $200M in FY2027-28 (Jul 2027–Jun 2028) (shaded)" in labels


# --- SVG for a web page -------------------------------------------------------------------


def test_svg_is_one_self_contained_svg_element(two):
    pytest.importorskip("matplotlib")
    text = plot.svg(two, "A title", "a footer")
    assert text.startswith("<svg") and text.endswith("</svg>\n")
    assert text.count("<svg") == 1 and "<?xml" not in text and "DOCTYPE" not in text
    root = ElementTree.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    links = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert links <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, links
    assert not re.search(r"(?:xlink:)?href=\"(?!#)", text)  # only references within itself
    assert plot.svg(two, "A title", "a footer") == text  # the same chart, the same text


def test_chart_draw_keeps_working_for_notebooks(tmp_path):
    pytest.importorskip("matplotlib")
    chart = sim.chart(write(tmp_path, CALENDAR), paths=2000)
    chart.draw(tmp_path / "c.pdf")
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF-")
    with pytest.raises(sim.SettingError):
        chart.draw(tmp_path / "c.gif")
    assert not os.path.exists(tmp_path / "c.gif")

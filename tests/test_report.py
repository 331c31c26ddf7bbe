"""sim report: one self-contained HTML briefing, checked as a file and in a real browser
(headless Chromium: Debian's chromium and chromium-driver, which .ci/run installs).

Without a browser these tests skip with a message, unless SIM_REQUIRE_BROWSER is set (CI sets
it, so that a missing browser fails there instead of passing silently)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from conftest import write
from sim.cli import cli
from sim.report.briefing import odds_in_words
from sim.report.render import percent

pytest.importorskip("matplotlib")

SCENARIO = """\
name: Two corridors
description: |
  A test briefing: two countries sharing one corridor.

  Its second paragraph.
unit: USD million
seed: 5
horizon: 2030
countries:
  north:
    label: Northland
    baseline: {value: 120, period: 2025, source: "Northland statistics, 2026"}
    target: {value: 200, by: 2028, source: "the ministers, Jan 2026"}
    growth: {rate: 5% to 30%, volatility: 15%}
    routes: {pass: 1.0}
  south:
    label: Southland
    baseline: {value: 40, period: 2025}
    target: {value: 60, by: 2028-06}
    growth: {rate: 0% to 25%}
    routes: {pass: 1.0}
routes:
  pass: {description: "The mountain pass; reroute share is judgement", reroute: 0%}
events:
  closures:
    source: "a 2023–2025 record of closures; severity: judgement"
    routes: [pass]
    rate: 0.5 to 3
    duration: 0.2 to 2
    severity: 50% to 100%
variants:
  fast:
    description: Faster growth in the north.
    countries.north.growth.rate: 20% to 40%
"""

PATHS = 6000
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The report of SCENARIO (via the CLI), its file, and the run's JSON."""
    folder = tmp_path_factory.mktemp("report")
    path = write(folder, SCENARIO)
    page = folder / "briefing.html"
    result = CliRunner().invoke(cli, ["report", str(path), "--paths", str(PATHS), "-o", str(page)])
    assert result.exit_code == 0, result.output
    document = json.loads(sim.run(path, paths=PATHS).render("json"))
    return path, page, document


# --- the file ------------------------------------------------------------------------------


def test_the_page_loads_nothing_from_outside(made):
    _, page, _ = made
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "default-src 'none'" in html  # the Content-Security-Policy forbids any load
    # no element refers to anything outside the file: no src, no link, no url() but data:
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", html)
    assert not re.search(r"url\((?!#)", html)
    assert not re.search(r"@import", html)


def test_the_page_holds_every_section(made):
    _, page, _ = made
    html = page.read_text(encoding="utf-8")
    for heading in (
        "The odds by year",
        "What if? Two corridors",
        "What the events do, and what matters most",
        "The file's variants side by side",
        "Assumptions and their sources",
        "Calibration record",
        "What produced this page",
    ):
        assert heading in html, heading
    assert html.count("<svg") >= 3  # the fan chart and a tornado per country
    assert "<p>A test briefing: two countries sharing one corridor.</p>" in html
    assert "<p>Its second paragraph.</p>" in html
    # assumptions: kinds by the rule the page states
    assert re.search(r"Northland: baseline.*?kind-data.*?Northland statistics, 2026", html)
    assert re.search(r"Southland: baseline</td><td>[^<]*</td><td class=\"kind-no-source\">", html)
    assert re.search(r"Event closures.*?kind-judgement", html)


def test_the_page_records_what_produced_it(made):
    path, page, _ = made
    html = page.read_text(encoding="utf-8")
    digest = sim.load(path).sha256
    assert f"SHA-256 <code>{digest}</code>: {PATHS:,} paths, seed 5, antithetic" in html
    assert f"sim {sim.__version__} (Python" in html


def test_the_calibration_record_is_the_shipped_one(made):
    from sim.calibration.reference import calibration_record

    html = made[1].read_text(encoding="utf-8")
    scores = calibration_record()["backtests"][0]["scores"]
    for score in scores:
        assert f"<td>{score['brier']:.3f}</td><td>{score['log']:.3f}</td>" in html


def test_the_report_refuses_a_name_that_is_not_html(tmp_path):
    path = write(tmp_path, SCENARIO)
    result = CliRunner().invoke(cli, ["report", str(path), "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 2
    assert "a report is an HTML file; name it with .html" in result.output
    assert not (tmp_path / "x.txt").exists()


def test_odds_in_words():
    cases = {
        0.0003: "about 3 in 10,000",
        0.02: "about 2 in 100",
        0.057: "about 6 in 100",
        0.15: "about 15 in 100",
        0.31: "about 3 in 10",
        0.00002: "less than 1 in 10,000",
        0.0: "none of 1,000 simulated paths",
    }
    for probability, words in cases.items():
        assert odds_in_words(probability, 1000) == words


def test_notebooks_show_the_same_pieces(made):
    path, page, _ = made
    result = sim.run(path, paths=PATHS)
    piece = result._repr_html_()
    html = page.read_text(encoding="utf-8")
    headlines = re.search(r'<ul class="headlines">.*?</ul>', piece)
    assert headlines is not None and headlines.group(0) in html


# --- in a browser --------------------------------------------------------------------------


def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    webdriver = pytest.importorskip("selenium.webdriver") if chromium and driver else None
    if webdriver is None:
        message = "no Chromium and chromedriver here (apt-get install chromium chromium-driver)"
        if os.environ.get("SIM_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


@pytest.fixture(scope="module")
def browser(made):
    driver = _browser()
    driver.set_window_size(1280, 900)
    driver.get(made[1].resolve().as_uri())
    yield driver
    driver.quit()


def test_no_console_errors_and_no_network_request(browser, made):
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    page = made[1].resolve().as_uri()
    requested = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    assert requested and all(url == page or url.startswith("data:") for url in requested)


def test_headlines_equal_the_json(browser, made):
    _, _, document = made
    results = document["runs"][0]["results"]
    shown = {
        element.get_attribute("data-country"): element.find_element("css selector", ".value").text
        for element in browser.find_elements("css selector", ".headline")
    }
    assert shown == {r["country"]: percent(r["probability"]) for r in results}
    words = browser.find_element("css selector", ".headline strong").text
    north = results[0]
    assert words == (
        "Northland: trade reaching $200M a year in Jan–Dec 2028: "
        + odds_in_words(north["probability"], PATHS)
    )


def test_moving_a_slider_shows_the_sweeps_value_for_that_point(browser, made):
    from selenium.webdriver.common.keys import Keys

    path = made[0]
    sliders = browser.find_elements("css selector", ".whatif input[type=range]")
    assert len(sliders) == 2
    fields = [s.get_attribute("data-field") for s in sliders]
    assert fields[0].endswith(".growth.rate") and fields[1].startswith("events.closures.")
    rows = browser.find_elements("css selector", ".whatif tbody tr")
    before = [row.find_element("css selector", ".whatif-p").text for row in rows]
    headline = [r["probability"] for r in made[2]["runs"][0]["results"]]
    assert before == [percent(p) for p in headline]  # "as in the file" is the run itself
    # each starts at "file" in the middle: left twice is the growth rate's p10, right once
    # the event input's p90
    assert [s.get_attribute("value") for s in sliders] == ["2", "1"]
    sliders[0].send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
    sliders[1].send_keys(Keys.ARROW_RIGHT)
    after = [row.find_element("css selector", ".whatif-p").text for row in rows]
    growth = sliders[0].get_attribute("data-positions").split("|")[0]
    event = sliders[1].get_attribute("data-positions").split("|")[2]
    swept = sim.sweep(path, {fields[0]: [growth], fields[1]: [event]}, paths=PATHS)
    expected = [percent(r.probability) for r in swept.points[0][1]]
    assert (growth, event) == ("p10", "p90")
    assert after == expected and after != before
    setting = sliders[0].find_element("xpath", "..").find_element("tag name", "output").text
    assert setting.startswith("held at") and "10th percentile" in setting


@pytest.mark.parametrize("width", [390, 1280])
def test_no_horizontal_overflow(browser, width):
    browser.set_window_size(width, 900)
    scroll, client = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client


SHIPPED_PATHS = 10_000  # the README's screenshot; the command's default is 100,000


def test_the_shipped_example_in_a_browser_and_its_screenshot(tmp_path, monkeypatch):
    """sim report scenarios/central_asia.yaml (at fewer paths): under 2 MB, clean in the
    browser at both widths, and the README's screenshot of its top (SIM_UPDATE_SCREENSHOT=1
    writes it to docs/report.png)."""
    monkeypatch.chdir(ROOT)
    page = tmp_path / "central_asia.html"
    arguments = ["report", "scenarios/central_asia.yaml", "--paths", str(SHIPPED_PATHS)]
    result = CliRunner().invoke(cli, [*arguments, "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert page.stat().st_size < 2_000_000
    driver = _browser()
    try:
        driver.get(page.as_uri())
        assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []
        for width in (390, 1280):
            driver.set_window_size(width, 900)
            scroll, client = driver.execute_script(
                "return [document.documentElement.scrollWidth, "
                "document.documentElement.clientWidth]"
            )
            assert scroll <= client, width
        driver.set_window_size(1000, 1300)
        driver.execute_script("window.scrollTo(0, 0)")
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
    finally:
        driver.quit()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("SIM_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "report.png")


def test_the_kind_of_a_source_follows_the_stated_rule():
    from sim.report.briefing import kind_of

    assert kind_of("Eurasianet, 13 Dec 2025") == "data"
    assert kind_of("record 2023–2025; severity: judgement") == "judgement"
    assert kind_of("my Judgment, no figure") == "judgement"
    assert kind_of("(calc) 90 x 0.893 / 0.800") == "calculated"
    assert kind_of("judgemental") == "data"  # a word, not a substring
    assert kind_of(None) == "no source" and kind_of("", fitted=True) == "fitted"


def test_a_headline_on_few_paths_says_it_is_imprecise(made):
    from dataclasses import replace

    from sim.report.briefing import headline

    run = sim.run(made[0], paths=PATHS).runs[0]
    few = replace(run.results[0], hits=3, probability=3 / PATHS)
    assert headline(run, few).endswith(
        f"about 5 in 10,000 (from only 3 paths of {PATHS:,}: imprecise)"
    )
    assert "imprecise" not in headline(run, run.results[0])


def test_every_id_on_the_page_is_unique(made):
    html = made[1].read_text(encoding="utf-8")
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) > 10 and len(ids) == len(set(ids))
    for reference in re.findall(r"url\(#([^)]+)\)", html):
        assert reference in ids

"""``include:``: routes and events from other YAML files (docs/scenario-format.md, "Includes").

What arrives and from where, that an included entry gives the same paths as the same entry
written inline, variants over included entries, every refusal with its exact one-line message
and status 2, the SHA-256 over every file read, and outputs that would overwrite an included
file.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli
from sim.engine.run import simulate
from sim.errors import ScenarioError
from sim.scenario.include import MAX_INCLUDED

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SHIPPED = ["kazakhstan", "uzbekistan", "kyrgyzstan", "tajikistan", "central_asia"]

COUNTRY = """\
countries:
  kz:
    baseline: {value: 90, period: 2025-01/2025-07}
    target: {value: 300, by: 2028}
    growth: {rate: 20% to 60%, volatility: 20%}
    routes: {r: 0.6, s: 0.4}
"""

ROUTES = """\
routes:
  r: {closed_months: [1, 2], reroute: 50%}
  s: {reroute: 20%}
"""

EVENTS = """\
events:
  closures:
    routes: [r]
    rate: 1 to 3
    duration: 0.5 to 2
    severity: 60% to 100%
  squeeze:
    start: 2027-01/2027-12
    probability: 50%
    duration: 24
    level: -30% to -10%
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        sim.load(path)
    return [str(p) for p in caught.value.problems]


def refused(path: Path) -> str:
    """What ``sim validate`` prints for a file it refuses (status 2, nothing on stdout)."""
    result = invoke("validate", str(path))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    return result.stderr


@pytest.fixture
def corridors(tmp_path: Path) -> Path:
    return write(tmp_path, "shared/corridors.yaml", "description: shared\n" + ROUTES + EVENTS)


@pytest.fixture
def including(tmp_path: Path, corridors: Path) -> Path:
    return write(tmp_path, "kz.yaml", "name: kz\ninclude: [shared/corridors.yaml]\n" + COUNTRY)


def test_routes_and_events_arrive_from_the_included_file(including, corridors):
    scenario = sim.load(including)
    assert list(scenario.spec.routes) == ["r", "s"]
    assert list(scenario.spec.events) == ["closures", "squeeze"]
    assert scenario.spec.routes["s"].reroute == 0.2
    assert scenario.spec.include == []  # merged on loading: nothing left to include
    assert [i.file for i in scenario.document.included] == [str(corridors)]
    assert invoke("validate", str(including)).output == (
        f"{including}: valid (1 country, 2 routes, 2 events)\n"
    )


def test_an_included_file_gives_the_same_paths_as_an_inline_copy(tmp_path, including):
    inline = write(tmp_path, "inline.yaml", "name: kz\n" + COUNTRY + ROUTES + EVENTS)
    included = simulate(sim.load(including).model, 4096, 7)
    written = simulate(sim.load(inline).model, 4096, 7)
    for a, b in zip(included.countries, written.countries, strict=True):
        assert np.array_equal(a.window_total, b.window_total)
        assert a.event_paths == b.event_paths
    assert 0 < included.countries[0].met.mean() < 1  # a test that could tell them apart


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_equal_their_inline_copies(tmp_path, name):
    """The shipped files with shared/corridors.yaml pasted in give the same paths."""
    text = (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")
    line = "include: [shared/corridors.yaml]"
    assert line in text
    shared = (SCENARIOS / "shared" / "corridors.yaml").read_text(encoding="utf-8")
    routes = shared[shared.index("routes:\n") : shared.index("events:\n")]
    events = shared[shared.index("events:\n") + len("events:\n") :]
    pasted = text.split(line)[0] + text.split(line)[1].split("\n", 1)[1]
    if "\nevents:" in pasted:  # its own events follow the shared ones
        head, tail = pasted.split("\nevents:", 1)
        pasted = head + "\nevents:\n" + events + tail.split("\n", 1)[1]
        pasted = pasted.replace("\nevents:\n", "\n" + routes + "events:\n", 1)
    else:
        pasted += routes + "events:\n" + events
    inline = write(tmp_path, f"{name}.yaml", pasted)
    a, b = sim.load(SCENARIOS / f"{name}.yaml"), sim.load(inline)
    assert list(a.spec.events) == list(b.spec.events) and list(a.spec.routes) == [
        "afghan_transit",
        "china_kkh",
    ]
    one, other = simulate(a.model, 2048, 3), simulate(b.model, 2048, 3)
    for x, y in zip(one.countries, other.countries, strict=True):
        assert np.array_equal(x.window_total, y.window_total)
    assert a.sha256 != b.sha256


def test_paths_are_read_from_the_including_files_folder(tmp_path, monkeypatch):
    write(tmp_path, "shared/corridors.yaml", "include: [more/events.yaml]\n" + ROUTES)
    write(tmp_path, "shared/more/events.yaml", EVENTS)
    scenario = write(
        tmp_path, "sub/kz.yaml", "name: kz\ninclude: [../shared/corridors.yaml]\n" + COUNTRY
    )
    monkeypatch.chdir(write(tmp_path, "elsewhere/x", "").parent)
    loaded = sim.load(scenario)
    assert list(loaded.spec.events) == ["closures", "squeeze"]
    assert [i.file for i in loaded.document.included] == [
        f"{tmp_path}/sub/../shared/corridors.yaml",
        f"{tmp_path}/sub/../shared/more/events.yaml",
    ]
    result = invoke("run", str(scenario), "--paths", "2000")
    assert result.exit_code == 0, result.output


def test_text_includes_from_the_working_folder_or_names(tmp_path, corridors, monkeypatch):
    text = "name: kz\ninclude: [shared/corridors.yaml]\n" + COUNTRY
    monkeypatch.chdir(tmp_path)
    assert list(sim.load(text).spec.routes) == ["r", "s"]
    monkeypatch.chdir(corridors.parent)
    assert list(sim.load(text, name=str(tmp_path / "any.yaml")).spec.routes) == ["r", "s"]
    with pytest.raises(ScenarioError) as caught:
        sim.load(text)
    assert [str(p) for p in caught.value.problems] == [
        "<text>:2:11: include[0]: shared/corridors.yaml: no such file"
    ]


def test_variants_change_included_entries(tmp_path, corridors):
    path = write(
        tmp_path,
        "kz.yaml",
        "name: kz\ninclude: [shared/corridors.yaml]\n"
        + COUNTRY
        + """\
variants:
  more_closures:
    events.closures.rate: 4 to 8
  no_squeeze:
    events.squeeze: null
  open_road:
    routes.r.closed_months: []
""",
    )
    scenario = sim.load(path)
    variants = {v.name: v.scenario for v in scenario.variants}
    assert variants["more_closures"].events["closures"].rate.text == "4 to 8"
    assert scenario.spec.events["closures"].rate.text == "1 to 3"
    assert list(variants["no_squeeze"].events) == ["closures"]
    assert list(variants["open_road"].routes["r"].closed_months) == []
    result = invoke("compare", str(path), "--paths", "4000", "--format", "json")
    (more, none, road) = [c["results"][0] for c in json.loads(result.output)["comparisons"]]
    assert 0.1 < more["base"] < 0.9
    # paired path by path, each override of an included entry moves P clearly
    assert more["ci_high"] < 0 < none["ci_low"]
    assert road["ci_high"] < 0 or road["ci_low"] > 0


def test_a_bad_override_of_an_included_entry_is_reported_at_the_override(tmp_path, corridors):
    path = write(
        tmp_path,
        "kz.yaml",
        "name: kz\ninclude: [shared/corridors.yaml]\n"
        + COUNTRY
        + "variants:\n  v:\n    events.closures.severity: 150%\n    events.clossures.rate: 1\n",
    )
    assert problems(path) == [
        f"{path}:11:31: variants.v: events.closures.severity: must be between 0% and 100%",
        f"{path}:12:5: variants.v: events.clossures.rate: the scenario has no events.clossures "
        "(did you mean 'closures'?)",
    ]


def test_an_error_inside_an_included_file_points_into_it(tmp_path, including, corridors):
    corridors.write_text(
        corridors.read_text().replace("severity: 60% to 100%", "severity: 150%"), "utf-8"
    )
    message = f"{corridors}:10:15: events.closures.severity: must be between 0% and 100%\n"
    assert refused(including) == message


def test_an_error_two_includes_deep(tmp_path):
    write(tmp_path, "a.yaml", "name: a\ninclude: [b.yml]\n" + COUNTRY)
    write(tmp_path, "b.yml", "include: [c.yml]\n" + ROUTES)
    write(tmp_path, "c.yml", "events:\n  e:\n    routes: [r, t]\n    rate: 1\n    severity: 1\n")
    assert refused(tmp_path / "a.yaml") == (
        f"{tmp_path}/c.yml:3:17: events.e.routes[1]: unknown route 't'; the file's routes: r, s\n"
    )


# Each case: the include list of a.yaml, other files written beside it, and the one line that
# `sim validate a.yaml` prints ({a} is a.yaml's path, {d} its folder).
SEE = " (included from {a})"
REFUSED = {
    "itself": ("[a.yaml]", {}, "{a}:2:11: include[0]: a.yaml: a cycle of includes ({a} → {a})"),
    "cycle": (
        "[b.yml]",
        {"b.yml": "include: [a.yaml]\n"},
        "{d}/b.yml:1:11: include[0]: a.yaml: a cycle of includes ({a} → {d}/b.yml → {a})",
    ),
    "missing": ("[missing.yml]", {}, "{a}:2:11: include[0]: missing.yml: no such file"),
    "missing-deep": (
        "[b.yml]",
        {"b.yml": "include: [gone.yml]\n"},
        "{d}/b.yml:1:11: include[0]: gone.yml: no such file (included from {a} → {d}/b.yml)",
    ),
    "folder": (
        "[folder.yml]",
        {"folder.yml/x": ""},
        "{a}:2:11: include[0]: folder.yml: is a directory, not a YAML file",
    ),
    "csv-name": (
        "[trade.csv]",
        {"trade.csv": "period,value\n2024,1\n"},
        "{a}:2:11: include[0]: trade.csv: is not a YAML file; an included file's name ends in "
        ".yaml or .yml",
    ),
    "not-a-mapping": (
        "[trade.yml]",
        {"trade.yml": "period,value\n2024,1\n"},
        "{d}/trade.yml:1:1: the top level is a single value; an included file is a mapping of "
        "fields (routes:, events:)" + SEE,
    ),
    "empty": (
        "[empty.yml]",
        {"empty.yml": "# nothing\n"},
        "{d}/empty.yml: the file is empty; an included file gives routes and events" + SEE,
    ),
    "scenario-field": (
        "[other.yml]",
        {"other.yml": "name: other\nroutes: {}\n"},
        "{d}/other.yml:1:1: name: belongs in the scenario file: an included file gives routes "
        "and events only" + SEE,
    ),
    "unknown-field": (
        "[other.yml]",
        {"other.yml": "event: {}\n"},
        "{d}/other.yml:1:1: event: unknown field 'event' (did you mean 'events'?): an included "
        "file has routes, events, a description and an include only" + SEE,
    ),
    "routes-not-a-mapping": (
        "[other.yml]",
        {"other.yml": "routes: [r, s]\n"},
        "{d}/other.yml:1:9: routes: expected a mapping of routes, by name" + SEE,
    ),
    "absolute": (
        "[/etc/corridors.yaml]",
        {},
        "{a}:2:11: include[0]: /etc/corridors.yaml: is an absolute path; give the path from "
        "this file's folder (e.g. ../shared/corridors.yaml), so that the files can move together",
    ),
    "url": (
        "['https://example.org/c.yaml']",
        {},
        "{a}:2:11: include[0]: https://example.org/c.yaml: is a URL; sim reads only files, "
        "named by their path from this file's folder",
    ),
    "wildcard": (
        "['*.yml']",
        {},
        "{a}:2:11: include[0]: *.yml: wildcards are not expanded; name each file",
    ),
    "home": (
        "[~/c.yml]",
        {},
        "{a}:2:11: include[0]: ~/c.yml: ~ is not expanded; give the path from this file's folder",
    ),
    "not-a-list": (
        "b.yml",
        {},
        "{a}:2:10: include: expected a list of files, e.g. [shared/corridors.yaml]",
    ),
    "not-text": (
        "[7]",
        {},
        "{a}:2:11: include[0]: expected the path of a file, e.g. shared/corridors.yaml",
    ),
    "twice": (
        "[b.yml, ./b.yml]",
        {"b.yml": ROUTES},
        "{a}:2:18: include[1]: ./b.yml: already included by {a}; include a file once",
    ),
}


@pytest.mark.parametrize(("include", "files", "message"), REFUSED.values(), ids=REFUSED)
def test_refused_includes(tmp_path, include, files, message):
    a = write(
        tmp_path,
        "a.yaml",
        f"name: a\ninclude: {include}\n" + COUNTRY.replace("    routes: {r: 0.6, s: 0.4}\n", ""),
    )
    for name, text in files.items():
        write(tmp_path, name, text)
    assert refused(a) == message.format(a=a, d=tmp_path) + "\n"
    assert invoke("run", str(a), "--paths", "1000").exit_code == 2


def test_a_binary_file_is_refused(tmp_path):
    a = write(tmp_path, "a.yaml", "name: a\ninclude: [b.yml]\n" + COUNTRY)
    (tmp_path / "b.yml").write_bytes(b"routes:\x00\n")
    assert refused(a) == f"{a}:2:11: include[0]: b.yml: is a binary file, not a YAML file\n"


def test_a_name_defined_twice_names_both_places(tmp_path, corridors):
    own = write(
        tmp_path,
        "own.yaml",
        "name: kz\ninclude: [shared/corridors.yaml]\n"
        + COUNTRY
        + "events:\n  squeeze: {rate: 1, level: -10%}\n",
    )
    assert refused(own) == (
        f"{own}:10:3: events.squeeze: is also defined in {corridors}:11:3; define a name once in "
        "a file and the files it includes (a variant can change an included entry)\n"
    )
    write(tmp_path, "shared/more.yaml", "routes:\n  s: {}\n")
    two = write(
        tmp_path,
        "two.yaml",
        "name: kz\ninclude: [shared/corridors.yaml, shared/more.yaml]\n" + COUNTRY,
    )
    assert refused(two) == (
        f"{tmp_path}/shared/more.yaml:2:3: routes.s: is also defined in {corridors}:4:3; define a "
        "name once in a file and the files it includes (a variant can change an included entry)\n"
    )


def test_a_variant_cannot_change_include(tmp_path, corridors):
    path = write(
        tmp_path,
        "kz.yaml",
        "name: kz\ninclude: [shared/corridors.yaml]\n"
        + COUNTRY
        + "variants:\n  v: {include: []}\n  w: {include: [x.yaml]}\n",
    )
    assert refused(path) == (
        f"{path}:11:16: variants.w: include: include is read when the file is loaded, before "
        "variants; a variant cannot change it\n"
    )


def test_too_many_included_files(tmp_path):
    for i in range(MAX_INCLUDED + 1):
        write(tmp_path, f"f{i}.yml", f"include: [f{i + 1}.yml]\n" if i < MAX_INCLUDED else "{}\n")
    a = write(tmp_path, "a.yaml", "name: a\ninclude: [f0.yml]\n" + COUNTRY)
    message = refused(a)
    assert message == (
        f"{tmp_path}/f49.yml:1:11: include[0]: f50.yml: more than 50 files included; sim reads "
        "at most 50 for one scenario\n"
    )


def test_the_sha256_covers_every_file_read(tmp_path, including, corridors):
    text, shared = including.read_text(), corridors.read_text()
    first = sim.load(including).sha256
    assert first == hashlib.sha256(text.encode() + b"\0" + shared.encode()).hexdigest()
    corridors.write_text(shared.replace("rate: 1 to 3", "rate: 1 to 4"), "utf-8")
    assert sim.load(including).sha256 != first
    inline = write(tmp_path, "inline.yaml", "name: kz\n" + COUNTRY + ROUTES + EVENTS)
    assert sim.load(inline).sha256 == hashlib.sha256(inline.read_bytes()).hexdigest()  # as before
    run = json.loads(invoke("run", str(including), "--paths", "1000", "--format", "json").output)
    assert run["runs"][0]["scenario_sha256"] == sim.load(including).sha256


@pytest.mark.parametrize("command", ["run", "compare"])
def test_outputs_may_not_overwrite_an_included_file(tmp_path, corridors, command):
    path = write(
        tmp_path,
        "kz.yaml",
        "name: kz\ninclude: [shared/corridors.yaml]\n"
        + COUNTRY
        + "variants:\n  v: {events.squeeze: null}\n",
    )
    before = corridors.read_bytes()
    for output in (corridors, tmp_path / "shared" / ".." / "shared" / "corridors.yaml"):
        result = invoke(
            command, str(path), "--paths", "1000", "--format", "json", "-o", str(output)
        )
        assert result.exit_code == 2, result.output
        assert (
            f"--output {output}: is the input file {tmp_path}/shared/corridors.yaml"
            in result.stderr
        )
    assert corridors.read_bytes() == before


def test_the_json_schema_accepts_include():
    import jsonschema
    import yaml

    schema = json.loads(invoke("schema").output)
    assert schema["properties"]["include"]["items"] == {"type": "string"}
    validator = jsonschema.Draft202012Validator(schema)
    document = {"name": "x", "include": ["shared/corridors.yaml"], **yaml.safe_load(COUNTRY)}
    assert [e.message for e in validator.iter_errors(document)] == []
    assert list(validator.iter_errors({**document, "include": "shared/corridors.yaml"}))


def test_shipped_scenarios_share_the_corridors_and_globs_skip_them():
    assert sorted(p.stem for p in SCENARIOS.glob("*.yaml")) == sorted(SHIPPED)
    for name in SHIPPED:
        scenario = sim.load(SCENARIOS / f"{name}.yaml")
        assert [i.file for i in scenario.document.included] == [
            str(SCENARIOS / "shared" / "corridors.yaml")
        ]
        assert {"afghan_closures", "closure_2025", "payments_squeeze"} <= set(scenario.spec.events)


def test_validating_an_included_file_alone_says_what_it_is(corridors):
    assert refused(corridors).splitlines() == [
        f"{corridors}: has routes or events but no name or countries: a file for include: is "
        "checked through a scenario that includes it",
        f"{corridors}:1:1: countries: is required",
        f"{corridors}:1:1: name: is required",
    ]

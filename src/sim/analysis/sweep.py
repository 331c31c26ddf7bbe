"""Sweeps: a grid of what-ifs (``--set FIELD=V1,V2,...``), every point on common random numbers.

A point is the scenario with each swept field set to one of its values, exactly as a variant
would set it. Results go to rows of (field values..., country, probability, interval); a sweep
whose CSV output already holds some points can be resumed, skipping them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sim.errors import Problem, ScenarioError, SettingError
from sim.scenario.load import validate_overridden
from sim.scenario.schema import DOTTED_PATH, Scenario
from sim.scenario.source import Document, parse_yaml
from sim.scenario.variants import overridden


@dataclass(frozen=True)
class Setting:
    field: str
    texts: tuple[str, ...]  # the values as written
    values: tuple[Any, ...]  # ... as YAML reads them


def _split(text: str) -> list[str]:
    """Split on commas that are not inside brackets or braces."""
    parts, depth, current = [], 0, ""
    for character in text:
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += character
    return [*parts, current]


def parse_setting(text: str) -> Setting:
    """``FIELD=V1,V2,...``: values read as they would be in the file."""
    field, equals, values = text.partition("=")
    field = field.strip()
    if not equals or not DOTTED_PATH.fullmatch(field):
        raise SettingError(
            f"--set {text!r}: write FIELD=V1,V2,..., e.g. "
            "countries.kazakhstan.growth.rate=20% to 60%,40% to 120%"
        )
    texts = tuple(t.strip() for t in _split(values))
    if not all(texts):
        raise SettingError(f"--set {text!r}: a value is empty")
    try:
        read = tuple(parse_yaml(f"v: {t}\n", "--set").data["v"] for t in texts)
    except ScenarioError:
        raise SettingError(f"--set {text!r}: a value is not valid YAML") from None
    return Setting(field, texts, read)


@dataclass(frozen=True)
class Point:
    """One combination of the swept values, and the scenario it makes."""

    texts: tuple[str, ...]  # one per setting, as written
    scenario: Scenario


def points(document: Document, settings: list[Setting]) -> list[Point]:
    """Every combination of the settings' values, validated; all problems at once."""
    found, problems = [], []
    for combination in itertools.product(*(range(len(s.values)) for s in settings)):
        overrides = {s.field: s.values[i] for s, i in zip(settings, combination, strict=True)}
        texts = tuple(s.texts[i] for s, i in zip(settings, combination, strict=True))
        named = ", ".join(f"{s.field}={t}" for s, t in zip(settings, texts, strict=True))
        scenario, mistakes = validate_overridden(*overridden(document, overrides))
        if scenario is None:
            problems += [
                Problem(p.file, p.message, f"--set {named}: {p.path}" if p.path else named)
                for p in mistakes
            ]
            continue
        found.append(Point(texts, scenario))
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return found


@dataclass(frozen=True)
class Result:
    """One country's P(target) at one point."""

    country: str
    label: str
    hits: int
    paths: int
    interval: tuple[float, float]

    @property
    def probability(self) -> float:
        return self.hits / self.paths


@dataclass(frozen=True)
class Signature:
    """What must match for saved points to be reused: the run's paths, seed and method, the
    scenario file's contents and the version of sim (whose random numbers may differ)."""

    paths: int
    seed: int
    method: str
    scenario: str  # a hash of the scenario file's text
    version: str

    def cells(self) -> list[str]:
        return [str(self.paths), str(self.seed), self.method, self.scenario, self.version]


SIGNATURE_COLUMNS = ["paths", "seed", "method", "scenario_sha256", "sim_version"]
RESULT_COLUMNS = ["country", "label", "probability", "ci_low", "ci_high", "hits"]


def header(fields: list[str]) -> list[str]:
    """The CSV header of a sweep over ``fields``."""
    return [*fields, *RESULT_COLUMNS, *SIGNATURE_COLUMNS]


def rows(texts: tuple[str, ...], results: list[Result], signature: Signature) -> list[list[str]]:
    """CSV rows of one point (one per country)."""
    return [
        [
            *texts,
            r.country,
            r.label,
            repr(r.probability),
            repr(r.interval[0]),
            repr(r.interval[1]),
            str(r.hits),
            *signature.cells(),
        ]
        for r in results
    ]


def finished(
    existing: list[list[str]], fields: list[str], signature: Signature
) -> dict[tuple[str, ...], list[Result]]:
    """The points an earlier run of the same sweep already saved, as results."""
    width = len(fields)
    done: dict[tuple[str, ...], list[Result]] = {}
    for row in existing:
        if len(row) != len(header(fields)):
            raise SettingError(
                "holds rows of another shape (another sweep, or another version of sim); "
                "write to another file"
            )
        saved = row[width + len(RESULT_COLUMNS) :]
        if saved != signature.cells():
            named = dict(zip(SIGNATURE_COLUMNS, saved, strict=True))
            raise SettingError(
                f"holds results of another run (paths {named['paths']}, seed {named['seed']}, "
                f"method {named['method']}, sim {named['sim_version']}, or another version of "
                "the scenario); resume with the same ones, or write to another file"
            )
        country, label, _, low, high, hits = row[width : width + len(RESULT_COLUMNS)]
        result = Result(country, label, int(hits), signature.paths, (float(low), float(high)))
        done.setdefault(tuple(row[:width]), []).append(result)
    return done

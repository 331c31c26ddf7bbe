"""Sweeps: a grid of what-ifs (``--set FIELD=V1,V2,...``), every point on common random numbers.

A point is the scenario with each swept field set to one of its values, exactly as a variant
would set it. Results go to rows of (field values..., country, probability, interval); a sweep
whose CSV output already holds some points can be resumed, skipping them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.load import validate_document
from sim.scenario import DOTTED_PATH, Scenario
from sim.source import Document, parse_yaml
from sim.variants import overridden


class SettingError(ValueError):
    """A --set the user wrote wrongly; the message says how to write it."""


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
        changed, mistakes = overridden(document, overrides)
        try:
            scenario = validate_document(changed)
        except ScenarioError as error:
            mistakes = mistakes + error.problems
        if mistakes:
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
    country: str
    label: str
    hits: int
    paths: int
    interval: tuple[float, float]

    @property
    def probability(self) -> float:
        return self.hits / self.paths


def header(fields: list[str]) -> list[str]:
    """The CSV header of a sweep over ``fields``."""
    return [
        *fields,
        "country",
        "label",
        "probability",
        "ci_low",
        "ci_high",
        "hits",
        "paths",
        "seed",
    ]


def rows(texts: tuple[str, ...], results: list[Result], seed: int) -> list[list[str]]:
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
            str(r.paths),
            str(seed),
        ]
        for r in results
    ]


def finished(
    existing: list[list[str]], settings: list[Setting], paths: int, seed: int
) -> dict[tuple[str, ...], list[list[str]]]:
    """The points an earlier run of the same sweep (same paths and seed) already wrote."""
    width = len(settings)
    done: dict[tuple[str, ...], list[list[str]]] = {}
    for row in existing:
        if len(row) != width + 8:
            raise SettingError("the output file has rows of another shape")
        if (int(row[width + 6]), int(row[width + 7])) != (paths, seed):
            raise SettingError(
                f"the output file holds results for --paths {row[width + 6]} --seed "
                f"{row[width + 7]}; resume with those, or write to another file"
            )
        done.setdefault(tuple(row[:width]), []).append(row)
    return done

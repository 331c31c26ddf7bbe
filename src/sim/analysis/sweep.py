"""Sweeps: a grid of what-ifs (``--set FIELD=V1,V2,...``), every point on common random numbers.

A point is the scenario with each swept field set to one of its values, exactly as a variant
would set it; a value ``p10`` (``p1`` to ``p99``) instead holds an uncertain input at that
percentile of its distribution, the rest uncertain, as ``explain``'s tornado does (so a fitted
growth rate can be swept without writing a growth block), and ``file`` leaves the field as
the file has it. Results go to rows of (field
values..., country, probability, interval, the run's signature, a checksum); a sweep whose CSV
output already holds some points can be resumed, skipping them. Saved rows are checked before
they are trusted (``read_saved``): a row that is damaged, edited, cut short or repeated is
reported and its point simulated again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.analysis.explain import model_inputs, with_input
from sim.core.distributions import fixed
from sim.core.model import Model
from sim.errors import Problem, ScenarioError, SettingError
from sim.scenario.load import validate_overridden
from sim.scenario.schema import DOTTED_PATH, Scenario
from sim.scenario.source import Document, parse_yaml
from sim.scenario.variants import overridden

PERCENTILE = re.compile(r"p([1-9][0-9]?)")  # p10: the input held at its 10th percentile
AS_IN_FILE = "file"  # the value: the field as the file has it


@dataclass(frozen=True)
class Held:
    """A sweep value ``pNN``: the input held at that percentile (``None``: ``file``, the
    field left as the file has it)."""

    percentile: int | None


@dataclass(frozen=True)
class Setting:
    field: str
    texts: tuple[str, ...]  # the values as written
    values: tuple[Any, ...]  # ... as YAML reads them, or Held


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
        read = tuple(
            Held(int(held[1]))
            if (held := PERCENTILE.fullmatch(t))
            else Held(None)
            if t == AS_IN_FILE
            else _yaml_value(t)
            for t in texts
        )
    except ScenarioError:
        raise SettingError(f"--set {text!r}: a value is not valid YAML") from None
    return Setting(field, texts, read)


def _yaml_value(text: str) -> Any:
    return parse_yaml(f"v: {text}\n", "--set").data["v"]


@dataclass(frozen=True)
class Point:
    """One combination of the swept values, and the scenario it makes (``held``: the inputs
    then held at a percentile of the compiled model, by field)."""

    texts: tuple[str, ...]  # one per setting, as written
    scenario: Scenario
    held: tuple[tuple[str, int], ...] = ()


def points(document: Document, settings: list[Setting]) -> list[Point]:
    """Every combination of the settings' values, validated; all problems at once."""
    found, problems = [], []
    for combination in itertools.product(*(range(len(s.values)) for s in settings)):
        chosen = [(s.field, s.values[i]) for s, i in zip(settings, combination, strict=True)]
        overrides = {name: value for name, value in chosen if not isinstance(value, Held)}
        held = tuple(
            (name, v.percentile)
            for name, v in chosen
            if isinstance(v, Held) and v.percentile is not None
        )
        texts = tuple(s.texts[i] for s, i in zip(settings, combination, strict=True))
        named = ", ".join(f"{s.field}={t}" for s, t in zip(settings, texts, strict=True))
        scenario, mistakes = validate_overridden(*overridden(document, overrides))
        if scenario is None:
            problems += [
                Problem(p.file, p.message, f"--set {named}: {p.path}" if p.path else named)
                for p in mistakes
            ]
            continue
        found.append(Point(texts, scenario, held))
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    return found


def hold(model: Model, held: Sequence[tuple[str, int]]) -> Model:
    """``model`` with each (field, percentile) input held at that percentile of its
    distribution (the point's other inputs stay uncertain)."""
    inputs = {item.path: item for item in model_inputs(model)}
    for name, percentile in held:
        item = inputs.get(name)
        if item is None or item.distribution.is_fixed:
            known = ", ".join(p for p, i in inputs.items() if not i.distribution.is_fixed)
            raise SettingError(
                f"--set {name}=p{percentile}: a percentile needs an uncertain input of the "
                f"file; its uncertain inputs are {known or 'none'}"
            )
        value = float(item.distribution.quantile(percentile / 100))
        model = with_input(model, item, fixed(value, item.distribution.domain))
    return model


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
    scenario file's contents and the versions of sim and numpy (whose random numbers may
    differ)."""

    paths: int
    seed: int
    method: str
    scenario: str  # a hash of the scenario file's text
    version: str
    numpy: str

    def cells(self) -> list[str]:
        return [
            str(self.paths),
            str(self.seed),
            self.method,
            self.scenario,
            self.version,
            self.numpy,
        ]


SIGNATURE_COLUMNS = ["paths", "seed", "method", "scenario_sha256", "sim_version", "numpy_version"]
RESULT_COLUMNS = ["country", "label", "probability", "ci_low", "ci_high", "hits"]
CHECKSUM_COLUMN = "checksum"


def header(fields: list[str]) -> list[str]:
    """The CSV header of a sweep over ``fields``."""
    return [*fields, *RESULT_COLUMNS, *SIGNATURE_COLUMNS, CHECKSUM_COLUMN]


def checksum(cells: Sequence[str]) -> str:
    """A row's checksum: the first 16 hex digits of the SHA-256 of its other cells (the
    point, the country's result and the run's signature), joined by the unit separator."""
    text = "\x1f".join(cells).encode("utf-8", "surrogateescape")
    return hashlib.sha256(text).hexdigest()[:16]


def rows(texts: tuple[str, ...], results: list[Result], signature: Signature) -> list[list[str]]:
    """CSV rows of one point (one per country), each ending with its checksum."""
    cells = [
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
    return [[*row, checksum(row)] for row in cells]


@dataclass(frozen=True)
class Record:
    """One CSV record of a saved sweep: the line it starts on, its text, and whether a line
    break ends it (the last record of a file cut short does not)."""

    line: int
    text: str
    ended: bool


def _records(text: str) -> list[Record]:
    """``text``'s CSV records; a record goes on over line breaks inside quotes."""
    records, lines = [], text.split("\n")
    first, pending = 1, ""
    for number, line in enumerate(lines, 1):
        pending = f"{pending}\n{line}" if number > first else line
        if pending.count('"') % 2 == 0 or number == len(lines):
            if pending.strip():
                records.append(Record(first, pending, number < len(lines)))
            first, pending = number + 1, ""
    return records


def _cells(record: Record) -> list[str] | None:
    """The cells of ``record``, or None if it is not one CSV row."""
    try:
        parsed = list(csv.reader(io.StringIO(record.text.rstrip("\r"), newline="")))
    except csv.Error:
        return None
    return parsed[0] if len(parsed) == 1 else None


@dataclass(frozen=True)
class Saved:
    """What a resumed sweep reads from its CSV file: the rows it can trust, in file order,
    and each problem found, as (line number, what is wrong)."""

    rows: list[list[str]]
    problems: list[tuple[int, str]]


def read_saved(data: bytes, fields: list[str], countries: Sequence[str]) -> Saved:
    """The rows of an earlier run of this sweep that can be reused, and the problems found.

    A row that is not UTF-8, does not parse, does not match its checksum, is cut short or
    contradicts another row is left out, and so is every row of its point: the point is
    simulated again. A row that repeats another is left out (its point is kept), and so is a
    point without a row for each of ``countries``. Raises SettingError when the file holds
    something other than this sweep (another header): it must not be overwritten.
    """
    expected = header(fields)
    records = _records(data.decode("utf-8", "surrogateescape"))
    if not records:
        return Saved([], [])
    top, *body = records
    if _cells(top) != expected:
        if not top.ended and ",".join(expected).startswith(top.text):
            return Saved([], [(top.line, "the file ends inside its header (cut short)")])
        shown = ", ".join(_cells(top) or [top.text])
        raise SettingError(
            f"holds another sweep or another file (columns {shown[:200]}); write to another file"
        )
    width = len(fields)
    problems: list[tuple[int, str]] = []
    kept: dict[tuple[str, ...], dict[str, tuple[int, list[str]]]] = {}
    redo: set[tuple[str, ...]] = set()  # points with a reported problem: simulated again
    for record in body:
        cells = _cells(record)
        flaw = _flaw(record, cells, len(expected))
        if flaw is not None:
            problems.append((record.line, f"{flaw}; its point is simulated again"))
            if cells is not None and len(cells) > width:
                redo.add(tuple(cells[:width]))
            continue
        assert cells is not None
        point, country = tuple(cells[:width]), cells[width]
        earlier = kept.setdefault(point, {}).get(country)
        if earlier is None:
            kept[point][country] = (record.line, cells)
        elif earlier[1] == cells:
            problems.append((record.line, f"repeats line {earlier[0]}; left out"))
        else:
            problems.append(
                (
                    record.line,
                    f"gives another result than line {earlier[0]} for the same point and "
                    "country; the point is simulated again",
                )
            )
            redo.add(point)
    good = []
    for point, found in kept.items():
        if point in redo:
            continue
        if set(found) == set(countries):
            good += [found[c][1] for c in countries]
            continue
        missing = ", ".join(c for c in countries if c not in found)
        other = ", ".join(c for c in found if c not in countries)
        lacking = f"has no row for {missing}" if missing else f"has rows for {other}"
        line = min(number for number, _ in found.values())
        problems.append((line, f"this point {lacking}; it is simulated again"))
    return Saved(good, sorted(problems))


def _flaw(record: Record, cells: list[str] | None, width: int) -> str | None:
    """What is wrong with a saved row, or None if it can be trusted."""
    if any("\udc80" <= c <= "\udcff" for c in record.text):
        return "holds bytes that are not UTF-8 text (damaged)"
    if cells is not None and len(cells) == width and checksum(cells[:-1]) == cells[-1]:
        return None
    if not record.ended:
        return "the file ends inside this row (cut short)"
    return "does not match its checksum (edited or damaged)"


def finished(
    existing: list[list[str]], fields: list[str], signature: Signature
) -> dict[tuple[str, ...], list[Result]]:
    """The points an earlier run of the same sweep already saved, as results (``existing``:
    rows ``read_saved`` trusts)."""
    width = len(fields)
    results_end = width + len(RESULT_COLUMNS)
    done: dict[tuple[str, ...], list[Result]] = {}
    for row in existing:
        if len(row) != len(header(fields)):
            raise SettingError(
                "holds rows of another shape (another sweep, or another version of sim); "
                "write to another file"
            )
        saved = row[results_end : results_end + len(SIGNATURE_COLUMNS)]
        if saved != signature.cells():
            named = dict(zip(SIGNATURE_COLUMNS, saved, strict=True))
            raise SettingError(
                f"holds results of another run (paths {named['paths']}, seed {named['seed']}, "
                f"method {named['method']}, sim {named['sim_version']}, numpy "
                f"{named['numpy_version']}, or another version of the scenario); resume with "
                "the same ones, or write to another file"
            )
        country, label, _, low, high, hits = row[width:results_end]
        try:
            result = Result(country, label, int(hits), signature.paths, (float(low), float(high)))
        except ValueError:
            raise SettingError(
                f"holds a row whose numbers cannot be read ({hits!r}, {low!r}, {high!r}); "
                "write to another file"
            ) from None
        if not 0 <= result.hits <= signature.paths:
            raise SettingError(
                f"holds a row with {result.hits} paths meeting the target out of "
                f"{signature.paths}; write to another file"
            )
        done.setdefault(tuple(row[:width]), []).append(result)
    return done

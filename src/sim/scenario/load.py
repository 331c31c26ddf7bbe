"""Loading a scenario file: text → YAML with positions → validated Scenario, or every problem.

Pydantic reports problems by field path; here each becomes a one-line Problem with the file,
line and column of the key or value it is about, in plain words.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.core.periods import PeriodError, parse_month
from sim.defaults import DEFAULT_FISCAL_YEAR_START
from sim.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.include import with_includes
from sim.scenario.schema import Scenario
from sim.scenario.source import (
    Document,
    Location,
    Position,
    format_location,
    parse_yaml,
    read_text,
)
from sim.scenario.variants import Variant, prefixed, variant_documents

_PLAIN_MESSAGES = {
    "dict_type": "expected a mapping (name: value lines)",
    "model_type": "expected a mapping of fields (name: value lines)",
    "model_attributes_type": "expected a mapping of fields (name: value lines)",
    "list_type": "expected a list, e.g. [a, b]",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "int_strict": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "missing": "is required",
}


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file (variants included); raise ScenarioError with every
    problem found."""
    return load_with_variants(path)[0]


def load_document(path: str | Path) -> Document:
    """A scenario file as a YAML document with positions, the routes and events of the files
    it includes merged in (not yet validated)."""
    return with_includes(parse_yaml(read_text(path), str(path)))


def load_with_variants(path: str | Path) -> tuple[Scenario, list[Variant]]:
    """Read and validate one scenario file and each of its variants."""
    return validate_with_variants(load_document(path))


def validate_with_variants(document: Document) -> tuple[Scenario, list[Variant]]:
    """Validate a scenario document and each of its variants; all problems at once."""
    scenario = validate_document(document)
    variants, problems = [], []
    for variant in variant_documents(document):
        validated, found = validate_overridden(variant.document, variant.problems)
        if validated is None:
            problems += prefixed(found, variant.name)
            continue
        variants.append(Variant(variant.name, variant.description, variant.overrides, validated))
    if problems:
        raise ScenarioError(_in_order(problems, document.file))
    return scenario, variants


def validate_overridden(
    document: Document, problems: list[Problem]
) -> tuple[Scenario | None, list[Problem]]:
    """Validate a document made by applying overrides that had ``problems``: the scenario
    (None unless every check passed) and every problem, the overrides' first."""
    try:
        scenario = validate_document(document)
    except ScenarioError as error:
        return None, problems + error.problems
    return (None if problems else scenario), problems


# A scenario has a handful of each; a file with thousands is broken or hostile, and checking
# every entry would take seconds.
MAX_ENTRIES = {"countries": 200, "routes": 100, "events": 500}


def validate_document(document: Document) -> Scenario:
    """Validate a parsed document against the scenario schema."""
    data = document.data
    for kind, most in MAX_ENTRIES.items():
        if isinstance(data.get(kind), dict) and len(data[kind]) > most:
            line, column = document.values.get((kind,), (None, None))
            message = f"{len(data[kind]):,} entries; sim takes at most {most:,} {kind}"
            raise ScenarioError([Problem(document.file, message, kind, line, column)])
    problems = list(document.problems)
    if not {"name", "countries"} & set(data) and {"routes", "events"} & set(data):
        problems.append(
            Problem(
                document.file,
                "has routes or events but no name or countries: a file for include: is checked "
                "through a scenario that includes it",
            )
        )
    try:
        scenario = Scenario.model_validate(data, context=_context(document))
    except ValidationError as error:
        for item in error.errors(include_url=False):
            problems += _problems(document, item)
        scenario = None
    if problems or scenario is None:
        raise ScenarioError(_in_order(problems, document.file))
    return scenario


def _in_order(problems: list[Problem], file: str) -> list[Problem]:
    """The scenario file's problems by position, then those in files it names (CSV)."""
    return sorted(
        problems, key=lambda p: (p.file != file, p.file, p.line or 0, p.column or 0, p.path)
    )


def _context(document: Document) -> dict[str, Any]:
    """The whole-file facts that field validators need (see ``sim.scenario.schema``)."""
    data = document.data
    start = data.get("fiscal_year_start", DEFAULT_FISCAL_YEAR_START)
    names = {
        kind: set(data[kind]) if isinstance(data.get(kind), dict) else set()
        for kind in ("routes", "countries")
    }
    as_of = data.get("as_of")
    try:
        as_of_month = parse_month(as_of) if isinstance(as_of, str) else None
    except PeriodError:
        as_of_month = None  # reported by the field
    return {
        "fiscal_year_start": start
        if isinstance(start, int) and 1 <= start <= 12
        else DEFAULT_FISCAL_YEAR_START,
        "as_of": as_of_month,
        "folder": Path(document.file).parent,
        **names,
    }


def _problems(document: Document, error: Any) -> list[Problem]:
    """The Problems behind one pydantic error (a scenario rule may report several)."""
    location: Location = tuple(error["loc"])
    kind = error["type"]
    about_key = False
    # pydantic marks an error in a mapping's key by "[key]" after the key; an unknown field
    # ends in the field's own name, which a user may have written as "[key]"
    if kind != "extra_forbidden" and location and location[-1] == "[key]":
        location = location[:-1]
        about_key = True
    if kind == "scenario":
        context = error["ctx"]
        about_key = about_key or context["at_key"]
        whole_object = context.get("object", False)
        nested = [
            problem
            for inner in context.get("nested", [])
            for problem in _problems(document, {**inner, "loc": location + tuple(inner["loc"])})
        ]
        return nested + [
            _place(
                document,
                message,
                location + tuple(subpath),
                about_key or (whole_object and not subpath),
                *where,
            )
            for message, subpath, *where in context["findings"]
        ]
    if kind == "extra_forbidden":
        message = f"unknown field {location[-1]!r}{_suggestion(location)}"
        about_key = True
    elif kind == "string_pattern_mismatch" and about_key:
        message = "names may use letters, digits, _ and -, and start with a letter"
    else:
        message = _PLAIN_MESSAGES.get(kind) or _message(kind, error)
        if error.get("input") is None and kind in ("model_type", "dict_type", "list_type"):
            message += ", but the field is empty"
    return [_locate(document, message, location, about_key or kind == "missing")]


def _place(
    document: Document,
    message: str,
    location: Location,
    about_key: bool,
    where: str | Position | None = None,
) -> Problem:
    """A rule's finding as a Problem: at a place in another file (a CSV the scenario names),
    at a key (``where == "key"``), or at the value of ``location``."""
    if isinstance(where, Position):
        return Problem(where.file, message, format_location(location), where.line, where.column)
    return _locate(document, message, location, about_key or where == "key")


def _locate(document: Document, message: str, location: Location, about_key: bool) -> Problem:
    file, line, column = _find(document, location, about_key)
    return Problem(file, message, format_location(location), line, column)


def _message(kind: str, error: Any) -> str:
    context = error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"must be at least {context['ge']}"
    if kind == "less_than_equal":
        return f"must be at most {context['le']}"
    if kind == "too_short":
        return "needs at least one entry"
    return str(error["msg"])


def _find(
    document: Document, location: Location, about_key: bool
) -> tuple[str, int | None, int | None]:
    """The file and position of the key (or value) at ``location``, else of its nearest
    ancestor (an entry brought by ``include:`` is in its own file)."""
    if about_key and location in document.keys:
        return (document.file_at(location), *document.keys[location])
    while location:
        if location in document.values:
            return (document.file_at(location), *document.values[location])
        location = location[:-1]
        if location in document.keys:
            return (document.file_at(location), *document.keys[location])
    return (document.file, *document.values.get((), (None, None)))


def _suggestion(location: Location) -> str:
    """ " (did you mean 'x'?)" for an unknown key, from the fields allowed where it stands."""
    allowed = _allowed_fields(location[:-1])
    return did_you_mean(str(location[-1]), allowed)


def _allowed_fields(location: Location) -> list[str]:
    """Names of the fields of the model that sits at ``location`` in a Scenario."""
    annotation: Any = Scenario
    for part in location:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``X | None`` and ``Annotated[X, ...]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = options[0]
        else:
            return annotation


def load_scenarios(paths: Iterable[str | Path]) -> list[tuple[str | Path, Scenario]]:
    """Load several files; raise one ScenarioError listing the problems of all of them."""
    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append((path, load_scenario(path)))
        except ScenarioError as error:
            problems += error.problems
    if problems:
        raise ScenarioError(problems)
    return loaded

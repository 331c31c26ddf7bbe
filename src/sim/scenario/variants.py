"""Variants: a scenario's what-ifs, written in its file as dotted-path overrides of its fields.

```yaml
variants:
  faster:
    description: Growth as in 2025
    countries.kazakhstan.growth.rate: 60% to 150%
  no_railway:
    events.trans_afghan_railway: null      # null drops the entry
```

A variant's document is the base document with its overrides applied. Positions travel with
the values, so a problem in an override is reported at the override's line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sim.errors import Problem, did_you_mean
from sim.scenario.schema import Scenario
from sim.scenario.source import Document, Location

# Collections a variant may add entries to even when the base file has none.
_COLLECTIONS = ("routes", "events")


@dataclass(frozen=True)
class Variant:
    """One variant of a scenario, validated."""

    name: str
    description: str | None
    overrides: tuple[str, ...]
    scenario: Scenario


@dataclass
class VariantDocument:
    name: str
    description: str | None
    overrides: tuple[str, ...]
    document: Document
    problems: list[Problem] = field(default_factory=list)


def variant_documents(base: Document) -> list[VariantDocument]:
    """The document of each variant in ``base``: its overrides applied to a copy of the rest."""
    specs = base.data.get("variants")
    if not isinstance(specs, dict):
        return []
    return [_apply(base, name, spec) for name, spec in specs.items() if isinstance(spec, dict)]


def _apply(base: Document, name: str, spec: dict[str, Any]) -> VariantDocument:
    overrides = {k: v for k, v in spec.items() if k != "description"}
    document, problems = overridden(base, overrides, ("variants", name))
    return VariantDocument(
        name, _text(spec.get("description")), tuple(overrides), document, problems
    )


def overridden(
    base: Document, overrides: dict[str, Any], written_at: Location | None = None
) -> tuple[Document, list[Problem]]:
    """``base`` (without its variants) with ``overrides`` applied: each dotted path set to its
    value, or dropped for None. With ``written_at``, the overrides are the file's own (under
    that location) and their positions move with them; without, they have no position."""
    data = copy.deepcopy({k: v for k, v in base.data.items() if k != "variants"})
    keys = {loc: pos for loc, pos in base.keys.items() if loc[:1] != ("variants",)}
    values = {loc: pos for loc, pos in base.values.items() if loc[:1] != ("variants",)}
    origins = {loc: file for loc, file in base.origins.items() if loc[:1] != ("variants",)}
    document = Document(base.file, data, keys, values, origins=origins, included=base.included)
    problems = []
    for dotted, value in overrides.items():
        path = tuple(dotted.split("."))
        problem = _override(data, path, value)
        here = (*written_at, dotted) if written_at is not None else None
        if problem:
            line, column = base.keys[here] if here is not None else (None, None)
            problems.append(Problem(base.file, problem, dotted, line, column))
        elif here is not None:
            _move_positions(base, document, here, path)
        else:
            _forget_positions(document, path)
    return document, problems


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _override(data: dict[str, Any], path: tuple[str, ...], value: Any) -> str | None:
    """Set (or, for None, drop) ``path`` in ``data``; a message when the path is not there."""
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict) and part not in node and depth == 0 and part in _COLLECTIONS:
            node[part] = {}
        if not isinstance(node, dict) or part not in node:
            known = node.keys() if isinstance(node, dict) else ()
            where = ".".join(path[: depth + 1])
            return f"the scenario has no {where}{did_you_mean(part, known)}"
        node = node[part]
    if not isinstance(node, dict):
        return f"{'.'.join(path[:-1])} is not a mapping of fields"
    if value is None:
        if path[-1] not in node:
            return f"there is no {'.'.join(path)} to drop"
        del node[path[-1]]
    else:
        node[path[-1]] = copy.deepcopy(value)
    return None


def _forget_positions(document: Document, path: Location) -> None:
    """Positions under ``path`` are the base file's (or an included file's), no longer right
    once it is overridden."""
    tables: tuple[dict[Location, Any], ...] = (document.keys, document.values, document.origins)
    for table in tables:
        for location in [loc for loc in table if loc[: len(path)] == path]:
            del table[location]


def _move_positions(base: Document, document: Document, here: Location, path: Location) -> None:
    """Positions under ``path`` now come from the override at ``here`` in the base file (an
    override of an included entry is in the including file)."""
    _forget_positions(document, path)
    document.origins[path] = base.file_at(here)
    for source, target in ((base.keys, document.keys), (base.values, document.values)):
        for location, position in source.items():
            if location[: len(here)] == here:
                target[path + location[len(here) :]] = position


def prefixed(problems: list[Problem], name: str) -> list[Problem]:
    """Problems of a variant's document, named as the variant's."""
    return [
        Problem(
            p.file,
            p.message,
            f"variants.{name}: {p.path}" if p.path else f"variants.{name}",
            p.line,
            p.column,
        )
        for p in problems
    ]

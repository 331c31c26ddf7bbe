"""Includes: the routes and events a scenario file takes from other YAML files.

```yaml
include: [shared/corridors.yaml]      # paths from this file's folder, read in this order
```

An included file holds ``routes`` and ``events`` (and may have a ``description`` and an
``include`` of its own); nothing else is brought. Its entries join the including file's as if
written there, each keeping its own file, line and column for messages. A name defined twice
(in two included files, or in an included file and the including one) is an error naming both
places; variants apply afterwards and may change an included entry. Only the files named are
read: paths are relative, end in ``.yaml`` or ``.yml``, and are not expanded (no wildcards, no
``~``, no URLs). The rules, for users, are in docs/scenario-format.md ("Includes").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.schema import Scenario
from sim.scenario.source import (
    Document,
    Included,
    Location,
    format_location,
    parse_yaml,
    read_text,
)

BROUGHT = ("routes", "events")  # the collections an included file gives
INCLUDED_FIELDS = ("description", "include", *BROUGHT)  # what an included file may hold
SUFFIXES = (".yaml", ".yml")
MAX_INCLUDED = 50  # files read for one scenario, all levels together
_WILDCARDS = set("*?[")


def with_includes(document: Document) -> Document:
    """``document`` with the routes and events of the files it includes merged in and its
    ``include`` removed; ``origins`` says which file each brought entry is in and
    ``included`` lists the files read (the scenario's SHA-256 covers them).

    Raises ScenarioError listing every include that cannot be followed (a missing or
    unreadable file, a cycle, a name defined twice, an included file that is not a set of
    routes and events). A document without ``include`` is returned as it is.
    """
    if not isinstance(document.data, dict) or "include" not in document.data:
        return document
    reader = _Reader()
    resolved = reader.resolve(document, (document.file,), _identity(document.file))
    if reader.problems:
        raise ScenarioError(
            sorted(
                reader.problems + resolved.problems,
                key=lambda p: (p.file != document.file, p.file, p.line or 0, p.column or 0),
            )
        )
    resolved.included = tuple(reader.included)
    return resolved


def _identity(file: str) -> str | None:
    """What a file is, whatever path names it (None for text that is no file)."""
    return os.path.realpath(file) if Path(file).is_file() else None


@dataclass
class _Reader:
    """Follows includes depth first, collecting the files read and every problem."""

    problems: list[Problem] = field(default_factory=list)
    included: list[Included] = field(default_factory=list)
    included_by: dict[str, str] = field(default_factory=dict)  # identity -> file naming it

    def resolve(self, document: Document, chain: tuple[str, ...], identity: str | None) -> Document:
        """``document`` with its includes merged in (recursively)."""
        reading = {identity} if identity else set()
        return self._resolve(document, chain, reading)

    def _resolve(self, document: Document, chain: tuple[str, ...], reading: set[str]) -> Document:
        data = document.data
        children = [
            child
            for index, entry in enumerate(self._entries(document))
            if (child := self._read(document, index, entry, chain, reading)) is not None
        ]
        merged = Document(
            document.file,
            {k: v for k, v in data.items() if k != "include"},
            dict(document.keys),
            dict(document.values),
            [*document.problems, *(p for child in children for p in child.problems)],
            dict(document.origins),
        )
        defined: dict[tuple[str, str], tuple[str, tuple[int, int]]] = {}
        for kind in BROUGHT:
            own = data.get(kind)
            brought = [c for c in children if isinstance(c.data.get(kind), dict)]
            if not brought or not (own is None or isinstance(own, dict)):
                continue  # nothing to bring, or the file's own entry is wrong (schema says so)
            entries: dict[str, Any] = {}
            for child in brought:
                _copy_positions(child, merged, kind)
                for name, value in child.data[kind].items():
                    self._define(child, (kind, name), defined)
                    entries.setdefault(name, value)
                    merged.origins.setdefault((kind, name), child.file_at((kind, name)))
            for name, value in (own or {}).items():
                self._define(document, (kind, name), defined)
                entries.setdefault(name, value)
            merged.data[kind] = entries
        return merged

    def _entries(self, document: Document) -> list[Any]:
        """The ``include`` list of ``document`` (empty, with a problem, when it is no list)."""
        entries = document.data.get("include")
        if entries is None:
            return []
        if not isinstance(entries, list):
            self._problem(
                document, ("include",), "expected a list of files, e.g. [shared/corridors.yaml]"
            )
            return []
        return entries

    def _read(
        self,
        document: Document,
        index: int,
        entry: Any,
        chain: tuple[str, ...],
        reading: set[str],
    ) -> Document | None:
        """The included file at ``include[index]`` of ``document``, resolved; None (and a
        problem) when it cannot be read."""
        location: Location = ("include", index)
        found = _refusal(entry)
        if found is not None:
            self._problem(document, location, found)
            return None
        path = Path(document.file).parent / entry
        name = str(path)
        identity = os.path.realpath(path)
        # how the file was reached: said of problems in it, and of problems at its include
        # line when that line is itself in an included file
        here = f" (included from {' → '.join(chain)})"
        via = here if len(chain) > 1 else ""
        if identity in reading:
            cycle = " → ".join((*chain, name))
            self._problem(document, location, f"{entry}: a cycle of includes ({cycle})")
            return None
        if identity in self.included_by:
            self._problem(
                document,
                location,
                f"{entry}: already included by {self.included_by[identity]}; include a file once",
            )
            return None
        if len(self.included) >= MAX_INCLUDED:
            self._problem(
                document,
                location,
                f"{entry}: more than {MAX_INCLUDED} files included; sim reads at most "
                f"{MAX_INCLUDED} for one scenario",
            )
            return None
        try:
            text = read_text(path, "YAML file")
        except ScenarioError as error:
            self._problem(document, location, f"{entry}: {error.problems[0].message}{via}")
            return None
        self.included_by[identity] = document.file
        self.included.append(Included(name, text))
        try:
            child = parse_yaml(text, name, included=True)
        except ScenarioError as error:
            self.problems += [replace(p, message=p.message + here) for p in error.problems]
            return None
        self._check_fields(child, here)
        return self._resolve(child, (*chain, name), reading | {identity})

    def _check_fields(self, child: Document, here: str) -> None:
        """A problem for each field of an included file that is not for routes and events
        (``here`` says which files included it)."""
        for key, value in child.data.items():
            if key in INCLUDED_FIELDS:
                if key in BROUGHT and not (value is None or isinstance(value, dict)):
                    self._problem(child, (key,), f"expected a mapping of {key}, by name{here}")
                continue
            if key in Scenario.model_fields:
                message = (
                    "belongs in the scenario file: an included file gives routes and events "
                    f"only{here}"
                )
            else:
                message = (
                    f"unknown field {key!r}{did_you_mean(key, INCLUDED_FIELDS)}: an included "
                    f"file has routes, events, a description and an include only{here}"
                )
            self._problem(child, (key,), message, at_key=True)

    def _define(
        self,
        document: Document,
        entry: tuple[str, str],
        defined: dict[tuple[str, str], tuple[str, tuple[int, int]]],
    ) -> None:
        """Record where a route or event is defined; a problem when it already was."""
        here = (document.file_at(entry), document.keys.get(entry, (0, 0)))
        if entry not in defined:
            defined[entry] = here
            return
        file, (line, column) = defined[entry]
        self.problems.append(
            Problem(
                here[0],
                f"is also defined in {file}:{line}:{column}; define a name once in a file "
                "and the files it includes (a variant can change an included entry)",
                format_location(entry),
                *here[1],
            )
        )

    def _problem(
        self, document: Document, location: Location, message: str, at_key: bool = False
    ) -> None:
        table = document.keys if at_key else document.values
        line, column = table.get(location, (None, None))
        self.problems.append(
            Problem(document.file_at(location), message, format_location(location), line, column)
        )


def _refusal(entry: Any) -> str | None:
    """Why ``entry`` of an ``include`` list is not a path sim follows, or None."""
    if not isinstance(entry, str) or not entry.strip():
        return "expected the path of a file, e.g. shared/corridors.yaml"
    if "://" in entry:
        return (
            f"{entry}: is a URL; sim reads only files, named by their path from this file's folder"
        )
    if entry.startswith("~"):
        return f"{entry}: ~ is not expanded; give the path from this file's folder"
    if os.path.isabs(entry):
        return (
            f"{entry}: is an absolute path; give the path from this file's folder (e.g. "
            "../shared/corridors.yaml), so that the files can move together"
        )
    if _WILDCARDS & set(entry):
        return f"{entry}: wildcards are not expanded; name each file"
    if not entry.lower().endswith(SUFFIXES):
        return f"{entry}: is not a YAML file; an included file's name ends in .yaml or .yml"
    return None


def _copy_positions(child: Document, merged: Document, kind: str) -> None:
    """The positions of an included file's entries of ``kind`` (``routes`` or ``events``), and
    of everything under them, in their own files."""
    for source, target in ((child.keys, merged.keys), (child.values, merged.values)):
        for location, position in source.items():
            if len(location) > 1 and location[0] == kind:
                target[location] = position
    for location, file in child.origins.items():
        if location[0] == kind:
            merged.origins[location] = file

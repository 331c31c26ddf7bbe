"""Scenario files as text: reading them safely and turning YAML into data with positions.

YAML is composed into nodes by PyYAML's safe composer and turned into plain Python values here,
so that every key and value keeps its line and column, duplicate keys are caught, aliases are
refused, and plain scalars follow simple rules instead of YAML 1.1's surprises: ``true``/``false``,
``null``/``~``, decimal integers and decimal floats are read as such; everything else (``yes``,
``no``, ``on``, ``2025-10-01``, ``0x10``, ``1_000``, ``.inf``) stays text, for the schema to judge.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 40

Location = tuple[str | int, ...]

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


@dataclass(frozen=True)
class Position:
    """A place in a file other than the scenario itself (a CSV it names): 1-based line and
    column, None when the problem is with the file as a whole."""

    file: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Included:
    """A file read for ``include:``: its name as messages give it (the path it was read
    from) and its text."""

    file: str
    text: str


@dataclass
class Document:
    """A YAML document as plain data, with the position of every key and value.

    Positions are 1-based ``(line, column)``; ``keys`` holds where a mapping key is written and
    ``values`` where a value starts, both by location (the path of keys and list indexes).
    """

    file: str
    data: Any
    keys: dict[Location, tuple[int, int]] = field(default_factory=dict)
    values: dict[Location, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Entries brought by ``include:`` (sim.scenario.include): the file each came from, by the
    # entry's location (``("routes", "afghan_transit")``); a position belongs to the file of
    # its longest listed prefix, else to ``file``. ``included`` holds the files read, in order.
    origins: dict[Location, str] = field(default_factory=dict)
    included: tuple[Included, ...] = ()

    def file_at(self, location: Location) -> str:
        """The file whose text holds ``location``: an included file's, or this document's."""
        for end in range(len(location), 0, -1):
            if location[:end] in self.origins:
                return self.origins[location[:end]]
        return self.file


def read_text(path: str | Path, what: str = "scenario file") -> str:
    """The text of a scenario file (or another YAML file: ``what`` names it in messages), or
    a ScenarioError saying why it cannot be read."""
    name = str(path)
    file = Path(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError([Problem(name, message)])

    if not file.exists():
        if os.path.lexists(file):
            raise fail("is a symbolic link that leads nowhere (a loop, or a missing target)")
        raise fail("no such file")
    if file.is_dir():
        raise fail(f"is a directory, not a {what}")
    if not file.is_file():
        raise fail(f"is not a regular file (a device or a pipe?); give a {what}")
    try:
        with file.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise fail(f"cannot be read: {error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise fail(f"is larger than 1 MiB, the limit for {what}s")
    if b"\x00" in raw:
        raise fail(
            "is a binary file, not a YAML scenario"
            if what == "scenario file"
            else f"is a binary file, not a {what}"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise fail(f"is not UTF-8 text (byte {error.start + 1} cannot be read)") from None


# libyaml's composer (PyYAML's C extension) is about ten times faster than the Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _position(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _yaml_problem(file: str, error: yaml.YAMLError, text: str) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = error.character if isinstance(error.character, str) else chr(error.character)
        return Problem(
            file,
            f"YAML syntax error: the character U+{ord(character):04X} is not allowed",
            line=line,
            column=column,
        )
    mark = getattr(error, "problem_mark", None)
    problem = " ".join(str(getattr(error, "problem", None) or error).split())
    if mark is None:
        return Problem(file, f"YAML syntax error: {problem}")
    lines = text.splitlines()
    line_text = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line_text[: mark.column + 1]:
        problem = "a tab character; indent with spaces"
    return Problem(
        file, f"YAML syntax error: {problem}", line=mark.line + 1, column=mark.column + 1
    )


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style not in (None, ""):  # quoted or block scalars are always text
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


class _Builder:
    """Turns composed nodes into data, recording positions and collecting problems."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Problem] = []
        self.seen: set[int] = set()  # composed nodes already built: a second visit is an alias
        self.aliased: set[int] = set()

    def problem(self, mark: yaml.Mark, location: Location, message: str) -> None:
        line, column = _position(mark)
        path = format_location(location)
        self.problems.append(Problem(self.document.file, message, path, line, column))

    def build(self, node: yaml.Node, location: Location) -> Any:
        self.document.values[location] = _position(node.start_mark)
        if id(node) in self.seen:
            # The composer resolves an alias to the anchored node itself; expanding it could
            # blow up ("billion laughs"), so aliases are refused, once, pointing at the anchor.
            if id(node) not in self.aliased:
                self.aliased.add(id(node))
                self.problem(
                    node.start_mark,
                    location,
                    "anchors and aliases (&name, *name) are not supported",
                )
            return None
        self.seen.add(id(node))
        if len(location) > MAX_DEPTH:
            self.problem(node.start_mark, location, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*location, i)) for i, item in enumerate(node.value)]
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node.start_mark, location, "a key must be a plain name")
                continue
            key = key_node.value
            here = (*location, key)
            if key in mapping:
                line, _ = self.document.keys[here]
                self.problem(
                    key_node.start_mark, here, f"duplicate key (first given on line {line})"
                )
                continue
            self.document.keys[here] = _position(key_node.start_mark)
            mapping[key] = self.build(value_node, here)
        return mapping


_PLAIN_KEY = re.compile(r"[\w-]+")


def format_location(location: Location) -> str:
    """``countries.kazakhstan.routes[0]`` style field paths (odd keys quoted, on one line)."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def parse_yaml(text: str, file: str, included: bool = False) -> Document:
    """A YAML mapping as a Document (with any duplicate keys in ``problems``); ``included``
    for a file read for ``include:`` (its messages name the fields it is for).

    Raises ScenarioError when the text is not a YAML mapping at all.
    """
    fields = "routes:, events:" if included else "name:, countries:, ..."
    what = "an included file" if included else "a scenario"
    needs = "gives routes and events" if included else "needs name and countries"
    document = Document(file, None)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise ScenarioError([_yaml_problem(file, error, text)]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, "nested too deeply to read")]) from None
    if node is None:
        raise ScenarioError([Problem(file, f"the file is empty; {what} {needs}")])
    if not isinstance(node, yaml.MappingNode):
        line, column = _position(node.start_mark)
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        raise ScenarioError(
            [
                Problem(
                    file,
                    f"the top level is {kind}; {what} is a mapping of fields ({fields})",
                    line=line,
                    column=column,
                )
            ]
        )
    builder = _Builder(document)
    document.data = builder.build(node, ())
    document.problems = builder.problems
    return document

"""History series: observed trade written in the scenario or read from a CSV file next to it,
each value over a period, the periods in order (SPEC "History, information date and outcomes").

Readers return the points they could read and every problem found, each as (message, path
below the field, where): ``where`` is ``"key"`` for a mapping key, a ``Position`` for a place in
the CSV file, or None for the field's value in the scenario.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from sim.core.distributions import DistributionError, Domain, check_in_domain, read_number
from sim.core.model import HistoryPoint
from sim.core.periods import Period, PeriodError, parse_period
from sim.scenario.source import Position

MAX_CSV_BYTES = 1024 * 1024
MAX_POINTS = 10_000  # 800 years of months: far more than any record

Where = Literal["key"] | Position | None
Found = tuple[str, tuple[str | int, ...], Where]


def until(points: Sequence[HistoryPoint], as_of: int | None) -> tuple[HistoryPoint, ...]:
    """The points whose period ends by month ``as_of`` (all of them without one): data dated
    later were not known at the information date."""
    return tuple(p for p in points if as_of is None or p.last <= as_of)


def _shown(text: str, period: Period) -> str:
    """A period as written, with its months when they are not plain to see."""
    if re.fullmatch(r"\d{4}", text) or text == str(period):
        return text
    return f"{text} ({period})"


def order_problems(entries: Sequence[tuple[Period, str]]) -> list[tuple[int, str]]:
    """(index, message) for each period that is out of order or overlaps the one before it."""
    found = []
    for i in range(1, len(entries)):
        (before, before_text), (period, text) = entries[i - 1], entries[i]
        if period.first > before.last:
            continue
        this, that = _shown(text, period), _shown(before_text, before)
        if period.last < before.first:
            message = f"{this} is listed after {that}; list the periods in order, oldest first"
        else:
            message = f"{this} overlaps {that}; the periods of a series must not overlap"
        found.append((i, message))
    return found


def _value(value: object) -> float:
    number = read_number(value)
    check_in_domain(number, Domain.POSITIVE)
    return number


def read_values(
    mapping: dict[Any, Any], fiscal_year_start: int
) -> tuple[tuple[HistoryPoint, ...], list[Found]]:
    """The points of a ``values`` mapping (period: value, oldest first)."""
    found: list[Found] = []
    if not mapping:
        return (), [("needs at least one period: value, e.g. {2015: 27.5}", (), None)]
    if len(mapping) > MAX_POINTS:
        return (), [(f"{len(mapping):,} values; a series holds at most {MAX_POINTS:,}", (), None)]
    entries: list[tuple[Period, str]] = []
    keys: list[str] = []
    points = []
    for key, value in mapping.items():
        text = str(key)
        try:
            period = parse_period(key, fiscal_year_start)
        except PeriodError as error:
            found.append((str(error), (text,), "key"))
            period = None
        try:
            number = _value(value)
        except DistributionError as error:
            found.append((error.message, (text,), None))
            number = None
        if period is not None:
            entries.append((period, text))
            keys.append(text)
            if number is not None:
                points.append(HistoryPoint(period.first, period.last, number))
    for i, message in order_problems(entries):
        found.append((message, (keys[i],), "key"))
    return tuple(points), found


def _cells(line: str) -> list[tuple[int, str]]:
    """The cells of one CSV line, each with the 1-based column where its text starts."""
    starts, quoted = [0], False
    for i, character in enumerate(line):
        if character == '"':
            quoted = not quoted
        elif character == "," and not quoted:
            starts.append(i + 1)
    texts = next(csv.reader([line]), [])
    if len(texts) != len(starts):  # unbalanced quotes: read the line as plain cells
        texts = line.split(",")
        starts = [0]
        for text in texts[:-1]:
            starts.append(starts[-1] + len(text) + 1)
    cells = []
    for start, text in zip(starts, texts, strict=True):
        rest = line[start:]
        cells.append((start + len(rest) - len(rest.lstrip()) + 1, text.strip()))
    return cells


def _text(path: Path, shown: str) -> tuple[str | None, list[Found]]:
    """The text of a CSV file, or why it cannot be read (a problem of the `file` field)."""

    def fail(message: str) -> tuple[None, list[Found]]:
        return None, [(message, (), None)]

    if not path.exists():
        return fail(f"no such file: {shown} (a path is read from the scenario file's folder)")
    if not path.is_file():
        return fail(f"{shown} is not a regular file; give a CSV file with columns period,value")
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_CSV_BYTES + 1)
    except OSError as error:
        return fail(f"{shown} cannot be read: {error.strerror or error}")
    if len(raw) > MAX_CSV_BYTES:
        return fail(f"{shown} is larger than 1 MiB, the limit for history files")
    if b"\x00" in raw:
        return fail(f"{shown} is a binary file, not a CSV file")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        return None, [
            (f"is not UTF-8 text (byte {error.start + 1} cannot be read)", (), Position(shown))
        ]


def read_csv(
    path: Path, shown: str, fiscal_year_start: int
) -> tuple[tuple[HistoryPoint, ...], list[Found]]:
    """The points of a CSV file with a header naming the columns ``period`` and ``value``
    (others are ignored) and one row per period, oldest first. ``shown`` is how problems
    name the file."""
    text, found = _text(path, shown)
    if text is None:
        return (), found
    rows = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not rows:
        return (), [
            (
                "the file is empty; write a header period,value and a row per period",
                (),
                Position(shown),
            )
        ]
    header_line, header = rows[0]
    names = [name.lower() for _, name in _cells(header)]
    if "period" not in names or "value" not in names:
        message = "the header must name the columns period and value, e.g. period,value"
        return (), [(message, (), Position(shown, header_line, 1))]
    if len(rows) - 1 > MAX_POINTS:
        message = f"{len(rows) - 1:,} rows; a series holds at most {MAX_POINTS:,}"
        return (), [(message, (), Position(shown, header_line, 1))]
    period_at, value_at = names.index("period"), names.index("value")
    entries: list[tuple[Period, str]] = []
    places: list[Position] = []
    points = []
    for n, line in rows[1:]:
        cells = _cells(line)
        if len(cells) != len(names):
            message = f"this row has {len(cells)} cells; the header has {len(names)}"
            found.append((message, (), Position(shown, n, 1)))
            continue
        (period_column, period_text), (value_column, value_text) = (
            cells[period_at],
            cells[value_at],
        )
        period = number = None
        try:
            if not period_text:
                raise PeriodError("the period is empty")
            period = parse_period(period_text, fiscal_year_start)
        except PeriodError as error:
            found.append((str(error), (), Position(shown, n, period_column)))
        try:
            if not value_text:
                raise DistributionError("the value is empty")
            number = _value(value_text)
        except DistributionError as error:
            found.append((error.message, (), Position(shown, n, value_column)))
        if period is not None:
            entries.append((period, period_text))
            places.append(Position(shown, n, period_column))
            if number is not None:
                points.append(HistoryPoint(period.first, period.last, number))
    if not entries and not found:
        found.append(("no rows below the header", (), Position(shown, header_line, 1)))
    for i, message in order_problems(entries):
        found.append((message, (), places[i]))
    return tuple(points), found

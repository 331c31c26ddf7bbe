"""Months and periods: the monthly time grid and the period forms of SPEC "Units and time".

A month is an integer index, ``year * 12 + (month - 1)``, so month arithmetic is integer
arithmetic. A period is an inclusive range of such months.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.defaults import DEFAULT_FISCAL_YEAR_START

FIRST_YEAR = 1900
LAST_YEAR = 2199

_YEAR = re.compile(r"^(\d{4})$")
_FISCAL = re.compile(r"^FY(\d{4})-(\d{2})$", re.IGNORECASE)
_YEAR_DASH_NN = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2})\s*/\s*(\d{4}-\d{2})$")

PERIOD_FORMS = "YYYY, YYYY-YY or FYYYYY-YY (fiscal year), YYYY-MM, or YYYY-MM/YYYY-MM"


class PeriodError(ValueError):
    """A period or month written in a form sim does not read; the message is for the user."""


def month_index(year: int, month: int) -> int:
    """The grid index of a calendar month (month 1–12)."""
    return year * 12 + (month - 1)


def month_name(index: int) -> str:
    """``YYYY-MM`` for a grid index."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of_year(index: int) -> int:
    """The calendar month number (1–12) of a grid index."""
    return index % 12 + 1


@dataclass(frozen=True)
class Period:
    """An inclusive range of months, ``first`` to ``last``."""

    first: int
    last: int

    @property
    def months(self) -> int:
        return self.last - self.first + 1

    @property
    def midpoint(self) -> float:
        return (self.first + self.last) / 2

    def __str__(self) -> str:
        if self.first == self.last:
            return month_name(self.first)
        return f"{month_name(self.first)}/{month_name(self.last)}"


def window_ending(last: int) -> Period:
    """The 12-month window that ends with month ``last``."""
    return Period(last - 11, last)


def _check_year(year: int, text: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"year {year} in {text!r} is outside {FIRST_YEAR}–{LAST_YEAR}")


def _fiscal_year(year: int, fiscal_year_start: int, text: str) -> Period:
    _check_year(year, text)
    if fiscal_year_start == 1:
        raise PeriodError(
            f"{text!r} names a fiscal year over two calendar years, but fiscal_year_start is 1 "
            f"(fiscal years are calendar years); write {year}"
        )
    first = month_index(year, fiscal_year_start)
    return Period(first, first + 11)


def parse_month(text: str) -> int:
    """Read ``YYYY-MM`` as a grid index."""
    match = _YEAR_DASH_NN.match(text.strip())
    if not match:
        raise PeriodError(f"{text!r} is not a month; write YYYY-MM, e.g. 2025-10")
    year, month = int(match[1]), int(match[2])
    _check_year(year, text)
    if not 1 <= month <= 12:
        raise PeriodError(f"{text!r} is not a month: the month number must be 01–12")
    return month_index(year, month)


def parse_period(value: object, fiscal_year_start: int = DEFAULT_FISCAL_YEAR_START) -> Period:
    """Read any SPEC period form (``2028``, ``2027-28``, ``FY2027-28``, ``2025-10``, a range)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PeriodError(f"expected a period ({PERIOD_FORMS})")
    text = str(value).strip()

    if match := _YEAR.match(text):
        year = int(match[1])
        _check_year(year, text)
        return Period(month_index(year, 1), month_index(year, 12))

    if match := _FISCAL.match(text):
        year, suffix = int(match[1]), int(match[2])
        if suffix != (year + 1) % 100:
            raise PeriodError(
                f"{text!r} is not a fiscal year: the second year must follow the first, "
                f"e.g. FY{year}-{(year + 1) % 100:02d}"
            )
        return _fiscal_year(year, fiscal_year_start, text)

    if match := _YEAR_DASH_NN.match(text):
        year, number = int(match[1]), int(match[2])
        if 1 <= number <= 12:
            return Period(parse_month(text), parse_month(text))
        if number == (year + 1) % 100:
            return _fiscal_year(year, fiscal_year_start, text)
        raise PeriodError(
            f"{text!r} is neither a month (YYYY-MM with MM 01–12) nor a fiscal year "
            f"(YYYY-YY with YY the year after, e.g. {year}-{(year + 1) % 100:02d})"
        )

    if match := _RANGE.match(text):
        first, last = parse_month(match[1]), parse_month(match[2])
        if last < first:
            raise PeriodError(f"{text!r} ends before it starts")
        return Period(first, last)

    raise PeriodError(f"{text!r} is not a period; write {PERIOD_FORMS}")

from __future__ import annotations

import pytest

from sim.core.periods import (
    Period,
    PeriodError,
    month_index,
    month_name,
    parse_period,
    window_ending,
)


def months(first: str, last: str) -> Period:
    fy, fm = map(int, first.split("-"))
    ly, lm = map(int, last.split("-"))
    return Period(month_index(fy, fm), month_index(ly, lm))


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        (2028, 7, months("2028-01", "2028-12")),
        ("2028", 7, months("2028-01", "2028-12")),
        ("2027-28", 7, months("2027-07", "2028-06")),
        ("FY2027-28", 7, months("2027-07", "2028-06")),
        ("fy2027-28", 7, months("2027-07", "2028-06")),
        ("2027-28", 4, months("2027-04", "2028-03")),
        ("1999-00", 7, months("1999-07", "2000-06")),
        ("2025-10", 7, months("2025-10", "2025-10")),
        ("2011-12", 7, months("2011-12", "2011-12")),  # a month: write FY2011-12 for the year
        ("FY2011-12", 7, months("2011-07", "2012-06")),
        ("2025-01/2025-07", 7, months("2025-01", "2025-07")),
        ("2025-11/2026-02", 7, months("2025-11", "2026-02")),
    ],
)
def test_period_forms(text, start, expected):
    assert parse_period(text, start) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-13", "neither a month"),
        ("2027-29", "neither a month"),
        ("FY2027-29", "the second year must follow the first"),
        ("2025-07/2025-01", "ends before it starts"),
        ("2025-10-01", "is not a period"),
        ("next year", "is not a period"),
        ("1850", "outside 1900–2199"),
        ("2025-00", "neither a month"),
    ],
)
def test_bad_periods(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(text)


def test_fiscal_year_needs_two_calendar_years():
    with pytest.raises(PeriodError, match="fiscal_year_start is 1"):
        parse_period("2027-28", 1)


def test_period_properties():
    period = months("2025-01", "2025-07")
    assert period.months == 7
    assert period.midpoint == period.first + 3
    assert str(period) == "2025-01/2025-07"
    assert str(months("2025-10", "2025-10")) == "2025-10"
    assert month_name(month_index(2027, 6)) == "2027-06"
    assert window_ending(month_index(2028, 6)) == months("2027-07", "2028-06")

"""Dates and periods: reading dates, month ends, period boundaries."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expansion_revenue import InvalidPeriodError
from expansion_revenue.periods import (
    as_day,
    check_period,
    month_end,
    month_snapshot_day,
    period_boundaries,
)

D = dt.date


def test_as_day_reads_dates_text_and_datetimes() -> None:
    assert as_day(D(2024, 3, 31)) == D(2024, 3, 31)
    assert as_day(" 2024-03-31 ") == D(2024, 3, 31)
    assert as_day(dt.datetime(2024, 3, 31, 23, 59)) == D(2024, 3, 31)
    # An aware datetime is taken in UTC: 23:00 at UTC-5 is 04:00 the next day.
    minus_five = dt.timezone(dt.timedelta(hours=-5))
    assert as_day(dt.datetime(2024, 3, 31, 23, 0, tzinfo=minus_five)) == D(2024, 4, 1)


def test_as_day_errors() -> None:
    with pytest.raises(InvalidPeriodError, match=r"^at '31/03/2024' is not an ISO date \(YYYY-MM-DD\)$"):
        as_day("31/03/2024", "at")
    with pytest.raises(InvalidPeriodError, match=r"^date must be a date, got int$"):
        as_day(20240331)  # type: ignore[arg-type]


def test_check_period() -> None:
    assert check_period("2024-01-01", D(2024, 1, 1)) == (D(2024, 1, 1), D(2024, 1, 1))
    with pytest.raises(InvalidPeriodError, match=r"^start 2024-02-01 is after end 2024-01-01$"):
        check_period("2024-02-01", "2024-01-01")
    with pytest.raises(InvalidPeriodError, match="mix a naive and a time-zone-aware datetime"):
        check_period(dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize(
    ("day", "end"),
    [(D(2024, 2, 10), D(2024, 2, 29)), (D(2023, 2, 1), D(2023, 2, 28)), (D(2023, 12, 31), D(2023, 12, 31)),
     (D(2024, 4, 30), D(2024, 4, 30))],
)
def test_month_end(day: dt.date, end: dt.date) -> None:
    assert month_end(day) == end


def test_month_snapshot_day() -> None:
    assert month_snapshot_day(D(2024, 5, 17), "end") == D(2024, 5, 31)
    assert month_snapshot_day(D(2024, 5, 17), "start") == D(2024, 5, 1)


def test_month_boundaries_keep_to_month_ends() -> None:
    assert period_boundaries(D(2024, 1, 31), D(2024, 5, 31), "month") == (
        D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31))


def test_month_boundaries_from_mid_month_and_a_short_last_period() -> None:
    assert period_boundaries(D(2024, 1, 15), D(2024, 3, 20), "month") == (
        D(2024, 1, 15), D(2024, 2, 15), D(2024, 3, 15), D(2024, 3, 20))
    # From the 30th, February clips to its last day, later months come back to the 30th.
    assert period_boundaries(D(2023, 1, 30), D(2023, 4, 30), "month") == (
        D(2023, 1, 30), D(2023, 2, 28), D(2023, 3, 30), D(2023, 4, 30))


def test_other_frequencies() -> None:
    assert period_boundaries(D(2024, 1, 1), D(2024, 1, 3), "day") == (
        D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 3))
    assert period_boundaries(D(2024, 1, 1), D(2024, 1, 20), "week") == (
        D(2024, 1, 1), D(2024, 1, 8), D(2024, 1, 15), D(2024, 1, 20))
    assert period_boundaries(D(2023, 12, 31), D(2024, 12, 31), "quarter") == (
        D(2023, 12, 31), D(2024, 3, 31), D(2024, 6, 30), D(2024, 9, 30), D(2024, 12, 31))
    assert period_boundaries(D(2022, 12, 31), D(2024, 12, 31), "year") == (
        D(2022, 12, 31), D(2023, 12, 31), D(2024, 12, 31))
    assert period_boundaries(D(2024, 1, 1), D(2024, 1, 1), "month") == (D(2024, 1, 1),)


def test_boundary_errors() -> None:
    with pytest.raises(InvalidPeriodError, match=r"^start 2024-02-01 is after end 2024-01-01$"):
        period_boundaries(D(2024, 2, 1), D(2024, 1, 1), "month")
    with pytest.raises(InvalidPeriodError, match=r"^freq must be day, week, month, quarter or year, "
                                                 r"got 'fortnight'$"):
        period_boundaries(D(2024, 1, 1), D(2024, 2, 1), "fortnight")  # type: ignore[arg-type]


@given(start=st.dates(D(2000, 1, 1), D(2040, 1, 1)), days=st.integers(0, 800),
       freq=st.sampled_from(("day", "week", "month", "quarter", "year")))
def test_boundaries_are_strictly_increasing_from_start_to_end(start: dt.date, days: int, freq: str) -> None:
    end = start + dt.timedelta(days=days)
    bounds = period_boundaries(start, end, freq)  # type: ignore[arg-type]
    assert bounds[0] == start and bounds[-1] == end
    assert all(a < b for a, b in pairwise(bounds))
    if start == month_end(start) and freq in ("month", "quarter", "year"):
        assert all(b == month_end(b) for b in bounds[:-1])

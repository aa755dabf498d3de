"""Dates and periods: month arithmetic and the boundaries of a series of periods.

A period is half-open on the left, ``(start, end]``: its starting MRR is the snapshot on
``start`` and its ending MRR the snapshot on ``end``; a change dated ``d`` belongs to the period
with ``start < d <= end``. Monthly boundaries follow the policy's month-snapshot convention.

>>> month_end(datetime.date(2024, 2, 10))
datetime.date(2024, 2, 29)
>>> [str(d) for d in period_boundaries(datetime.date(2024, 1, 31), datetime.date(2024, 3, 31), "month")]
['2024-01-31', '2024-02-29', '2024-03-31']
"""

from __future__ import annotations

import datetime
from typing import Literal

from dateutil.relativedelta import relativedelta

from expansion_revenue.errors import InvalidPeriodError

__all__ = [
    "Frequency",
    "resolve_period",
    "series_boundaries",
    "as_day",
    "check_period",
    "month_end",
    "month_snapshot_day",
    "period_boundaries",
]

#: The length of one period in a series.
Frequency = Literal["day", "week", "month", "quarter", "year"]

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def as_day(value: datetime.date | str, name: str = "date") -> datetime.date:
    """Read a date argument: a ``date``, an ISO string, or a naive or UTC-convertible datetime.

    The engine works in whole days. An aware datetime is converted to UTC before its date is
    taken; use :func:`check_period` to refuse a naive/aware mix.

    >>> as_day("2024-03-31"), as_day(datetime.datetime(2024, 3, 31, 23, 0))
    (datetime.date(2024, 3, 31), datetime.date(2024, 3, 31))
    """
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidPeriodError(f"{name} {value!r} is not an ISO date (YYYY-MM-DD)") from None
    raise InvalidPeriodError(f"{name} must be a date, got {type(value).__name__}")


def check_period(
    start: datetime.date | str, end: datetime.date | str
) -> tuple[datetime.date, datetime.date]:
    """Validate a period's endpoints and return them as dates.

    Raises:
        InvalidPeriodError: start after end, or one endpoint naive and the other aware.

    >>> check_period("2024-02-01", "2024-01-01")
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.InvalidPeriodError: start 2024-02-01 is after end 2024-01-01
    """
    if (isinstance(start, datetime.datetime) and isinstance(end, datetime.datetime)
            and (start.tzinfo is None) != (end.tzinfo is None)):
        raise InvalidPeriodError(
            "start and end mix a naive and a time-zone-aware datetime; use both or neither"
        )
    first, last = as_day(start, "start"), as_day(end, "end")
    if first > last:
        raise InvalidPeriodError(f"start {first} is after end {last}")
    return first, last


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month.

    >>> month_end(datetime.date(2023, 12, 5))
    datetime.date(2023, 12, 31)
    """
    return day + relativedelta(day=31)


def month_snapshot_day(day: datetime.date, convention: Literal["end", "start"]) -> datetime.date:
    """The day that measures the MRR of ``day``'s month under ``convention``.

    >>> month_snapshot_day(datetime.date(2024, 5, 17), "start")
    datetime.date(2024, 5, 1)
    """
    return month_end(day) if convention == "end" else day.replace(day=1)


def period_boundaries(
    start: datetime.date, end: datetime.date, freq: Frequency
) -> tuple[datetime.date, ...]:
    """Boundaries ``start = b0 < b1 < ... < bn = end`` stepping ``freq`` from ``start``.

    Month-based steps keep to month ends when ``start`` is a month end (Jan 31, Feb 29,
    Mar 31 ...). The last period is cut short at ``end`` when the steps do not land on it.

    >>> [str(d) for d in period_boundaries(datetime.date(2024, 1, 1), datetime.date(2024, 1, 20), "week")]
    ['2024-01-01', '2024-01-08', '2024-01-15', '2024-01-20']
    """
    if start > end:
        raise InvalidPeriodError(f"start {start} is after end {end}")
    if freq not in ("day", "week", "month", "quarter", "year"):
        raise InvalidPeriodError(f"freq must be day, week, month, quarter or year, got {freq!r}")
    at_month_end = start == month_end(start)
    out = [start]
    step = 1
    while out[-1] < end:
        if freq == "day":
            nxt = start + datetime.timedelta(days=step)
        elif freq == "week":
            nxt = start + datetime.timedelta(weeks=step)
        else:
            nxt = start + relativedelta(months=_MONTHS[freq] * step)
            if at_month_end:
                nxt = month_end(nxt)
        out.append(min(nxt, end))
        step += 1
    return tuple(out)


def _month_text(value: object) -> tuple[int, int] | None:
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
            month = int(text[5:])
            if 1 <= month <= 12:
                return int(text[:4]), month
    return None


def resolve_period(
    start: datetime.date | str, end: datetime.date | str, convention: Literal["end", "start"]
) -> tuple[datetime.date, datetime.date]:
    """The snapshot dates that open and close a period given as dates or ``YYYY-MM`` months.

    A month as ``start`` means the period begins with that month: it opens on the previous
    month's snapshot day. A month as ``end`` closes on that month's snapshot day. So
    ``("2024-01", "2024-03")`` is the first quarter of 2024 under either convention.

    >>> resolve_period("2024-01", "2024-03", "end")
    (datetime.date(2023, 12, 31), datetime.date(2024, 3, 31))
    >>> resolve_period("2024-01", "2024-03", "start")
    (datetime.date(2024, 1, 1), datetime.date(2024, 4, 1))
    """
    first_month, last_month = _month_text(start), _month_text(end)
    if first_month is not None:
        opening = datetime.date(*first_month, 1) - relativedelta(months=1)
        start = month_snapshot_day(opening, convention)
        if convention == "start":
            start = datetime.date(*first_month, 1)
    if last_month is not None:
        closing = datetime.date(*last_month, 1)
        end = month_snapshot_day(closing, convention)
        if convention == "start":
            end = closing + relativedelta(months=1)
    return check_period(start, end)


def series_boundaries(
    start: datetime.date | str,
    end: datetime.date | str,
    freq: Frequency,
    convention: Literal["end", "start"],
) -> tuple[datetime.date, ...]:
    """Boundaries of consecutive periods from ``start`` to ``end`` (dates or ``YYYY-MM``).

    Month, quarter and year steps land on the policy's month snapshot day (the last or the first
    day of a month); day and week steps count from ``start``.

    >>> [str(d) for d in series_boundaries("2024-01", "2024-03", "month", "end")]
    ['2023-12-31', '2024-01-31', '2024-02-29', '2024-03-31']
    """
    first, last = resolve_period(start, end, convention)
    if freq not in _MONTHS:
        return period_boundaries(first, last, freq)
    out = [first]
    step = 1
    while out[-1] < last:
        nxt = month_snapshot_day(first + relativedelta(months=_MONTHS[freq] * step), convention)
        out.append(min(max(nxt, out[-1] + datetime.timedelta(days=1)), last))
        step += 1
    return tuple(out)

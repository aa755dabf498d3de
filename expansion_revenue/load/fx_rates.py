"""FX rate tables in: rows of ``currency, date, rate`` into one target currency.

Each row says that from ``date`` on, one unit of ``currency`` is worth ``rate`` units of the
target currency (see :class:`~expansion_revenue.fx.FxRates`). A CSV file is read like the other
loaders: the header is row 1, problems name the row and the column and are raised together.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from expansion_revenue.errors import InvalidDataError
from expansion_revenue.fx import FxRates, PositiveRate
from expansion_revenue.load._rows import MISSING, Problems, RecordRows, Rows
from expansion_revenue.load.csv_files import csv_rows
from expansion_revenue.money import Currency

__all__ = ["FX_COLUMNS", "fx_rates", "fx_rates_from_records", "load_fx_csv"]

#: The columns of an FX table, all required.
FX_COLUMNS = frozenset({"currency", "date", "rate"})

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "currency": TypeAdapter(Currency),
    "date": TypeAdapter(datetime.date),
    "rate": TypeAdapter(PositiveRate),
}
_KIND = "rate"


def fx_rates_from_records(rows: Iterable[Mapping[str, Any]], *, target: str,
                          source: str | None = None) -> FxRates:
    """Build an FX table into ``target`` from records with ``currency``, ``date`` and ``rate``.

    Args:
        rows: one mapping per rate; values as text or Python values.
        target: the currency the rates convert into.
        source: where the rows came from, named in problems.

    Raises:
        InvalidDataError: every problem, each of kind ``rate`` with the record's position
            (``record 1`` is the first) and the column; two rates for one currency and date too.

    >>> fx = fx_rates_from_records([{"currency": "EUR", "date": "2024-01-01", "rate": "1.09"}],
    ...                            target="USD")
    >>> fx.rate("EUR", datetime.date(2024, 2, 1))
    Decimal('1.09')
    """
    return fx_rates(RecordRows(rows, source), target, Problems())


def load_fx_csv(path: str | os.PathLike[str], *, target: str = "USD") -> FxRates:
    """Load an FX table from a CSV file with columns ``currency, date, rate``.

    Args:
        path: the CSV file.
        target: the currency the rates convert into (default ``USD``).

    Raises:
        InvalidDataError: every problem in the file (``row 2`` is the first data row).
        OSError: the file cannot be read.

    >>> from expansion_revenue import example_path
    >>> fx = load_fx_csv(example_path("fx_rates.csv"))
    >>> fx.target, fx.rate("EUR", datetime.date(2024, 1, 31))
    ('USD', Decimal('1.0905'))
    """
    problems = Problems()
    with csv_rows(Path(path), _KIND, FX_COLUMNS, FX_COLUMNS, problems) as rows:
        if rows is None:
            raise InvalidDataError(problems.items)
        return fx_rates(rows, target, problems)


def fx_rates(rows: Rows, target: str, problems: Problems) -> FxRates:
    """Build the table from ``rows``, raising every problem together.

    >>> from expansion_revenue.load._rows import RecordRows
    >>> fx_rates(RecordRows([]), "EUR", Problems()).target
    'EUR'
    """
    rates: dict[str, dict[datetime.date, Decimal]] = {}
    first_row: dict[tuple[str, datetime.date], int] = {}
    columns = ("currency", "date", "rate")
    selection = rows.select(columns, frozenset({"currency"}))
    positions = [(column, selection.positions[column]) for column in columns]
    for index, values, raw in selection.rows:
        problems.unknown_columns(rows, _KIND, index, raw, FX_COLUMNS)
        parsed: dict[str, Any] = {}
        for column, position in positions:
            value = values[position]
            if value is None:
                problems.add(rows, _KIND, index, column, *MISSING)
                continue
            try:
                parsed[column] = _ADAPTERS[column].validate_python(value)
            except ValidationError as error:
                problems.invalid(error, rows, _KIND, index, {"": column})
        if len(parsed) < len(columns):
            continue
        key = (parsed["currency"], parsed["date"])
        if key in first_row:
            problems.add(rows, _KIND, index, "date",
                         f"a second {key[0]} rate for {key[1]} (the first is in "
                         f"{rows.label(first_row[key])})", "duplicate_rate")
            continue
        first_row[key] = index
        rates.setdefault(key[0], {})[key[1]] = parsed["rate"]
    if problems.items:
        raise InvalidDataError(problems.items)
    return FxRates(target=target, rates=rates)

"""Results as pandas or polars DataFrames, with exact amounts unless asked otherwise.

The frames hold the results' own figures, so they sum like the results: a bridge frame's
movement rows sum to ``ending_mrr - starting_mrr``, a ledger's ``amount`` column per ``kind`` to
the bridge's components, an attribution's parts to its totals. pandas and polars are optional
extras (``pip install 'expansion_revenue[pandas]'`` or ``[polars]``), imported on the first call;
without them a call raises :class:`~expansion_revenue.errors.MissingExtraError`.

**Amounts** (``decimals``):

* ``"exact"`` (the default). pandas: ``object`` columns of :class:`decimal.Decimal`, the very
  values of the result, so ``frame["amount"].sum()`` is an exact Decimal; a missing value (an
  undefined metric) is ``None``. polars: ``pl.Decimal(38, scale)`` with the column's largest
  number of decimal places as scale, so no value is rounded; ``null`` when missing. A polars
  column whose values need more than 38 digits raises ``ValueError`` (use ``"float"``).
* ``"float"``: ``float64`` / ``pl.Float64`` (``NaN`` / ``null`` when missing), for statistics
  and plotting, where sums are approximate.

**Other columns**: text is pandas' default string dtype / ``pl.String``; integers ``int64``
(``Int64`` when a value is missing) / ``pl.Int64``; dates ``datetime64`` (``NaT`` when missing) /
``pl.Date``; flags ``bool`` / ``pl.Boolean``; id lists (``line_ids``) tuples in an ``object``
column / ``pl.List(pl.String)``. Rows keep the result's order; pandas frames have a plain
``RangeIndex``.

>>> from expansion_revenue import Bridge
>>> list(to_pandas(Bridge.empty_example()).columns)
['component', 'kind', 'amount']
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from expansion_revenue.display.tables import Column, Presentable, table_of
from expansion_revenue.errors import MissingExtraError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

__all__ = ["POLARS_MAX_PRECISION", "DecimalMode", "to_pandas", "to_polars"]

#: How amounts appear in a frame: exact Decimals (the default) or floats.
DecimalMode = Literal["exact", "float"]

#: The most digits a polars Decimal column holds.
POLARS_MAX_PRECISION = 38


def _check_mode(decimals: str) -> None:
    if decimals not in ("exact", "float"):
        raise ValueError(f"decimals must be 'exact' or 'float', got {decimals!r}")


def to_pandas(result: Presentable, table: str | None = None, *,
              decimals: DecimalMode = "exact") -> pd.DataFrame:
    """One of a result's tables as a pandas DataFrame.

    Args:
        result: any result object.
        table: which table (see :mod:`~expansion_revenue.display.tables`); ``None`` for the
            result's default table.
        decimals: ``"exact"`` (Decimal objects) or ``"float"`` (see the module documentation).

    Raises:
        MissingExtraError: pandas is not installed.
        ValueError: an unknown table or ``decimals`` mode.

    >>> from expansion_revenue import Bridge
    >>> to_pandas(Bridge.empty_example(), decimals="float")["amount"].dtype
    dtype('float64')
    """
    _check_mode(decimals)
    try:
        import pandas as pd
    except ImportError as exc:
        raise MissingExtraError("pandas", "pandas") from exc
    data = table_of(result, table)
    frame: pd.DataFrame = pd.DataFrame(
        {column.name: _pandas_series(pd, column, decimals) for column in data.columns})
    return frame


def _pandas_series(pd: Any, column: Column, decimals: DecimalMode) -> Any:
    values = list(column.values)
    if column.kind == "amount":
        if decimals == "float":
            return pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
        return pd.Series(values, dtype=object)
    if column.kind == "integer":
        return pd.Series(values, dtype="Int64" if None in values else "int64")
    if column.kind == "date":
        return pd.to_datetime(pd.Series(values, dtype=object))
    if column.kind == "flag":
        return pd.Series(values, dtype=bool)
    if column.kind == "ids":
        return pd.Series(values, dtype=object)
    # text: pandas picks its default string dtype (an empty column stays object)
    return pd.Series(values, dtype=None if values else object)


def to_polars(result: Presentable, table: str | None = None, *,
              decimals: DecimalMode = "exact") -> pl.DataFrame:
    """One of a result's tables as a polars DataFrame.

    Args:
        result: any result object.
        table: which table (see :mod:`~expansion_revenue.display.tables`); ``None`` for the
            result's default table.
        decimals: ``"exact"`` (``pl.Decimal``) or ``"float"`` (see the module documentation).

    Raises:
        MissingExtraError: polars is not installed.
        ValueError: an unknown table or ``decimals`` mode, or amounts too long for ``pl.Decimal``.

    >>> from expansion_revenue import Bridge
    >>> to_polars(Bridge.empty_example())["amount"].dtype
    Decimal(precision=38, scale=0)
    """
    _check_mode(decimals)
    try:
        import polars as pl
    except ImportError as exc:
        raise MissingExtraError("polars", "polars") from exc
    data = table_of(result, table)
    frame: pl.DataFrame = pl.DataFrame([_polars_series(pl, column, decimals) for column in data.columns])
    return frame


def _polars_series(pl: Any, column: Column, decimals: DecimalMode) -> Any:
    values = column.values
    if column.kind == "amount":
        if decimals == "float":
            return pl.Series(column.name, [None if v is None else float(v) for v in values],
                             dtype=pl.Float64)
        return _polars_decimals(pl, column)
    if column.kind == "ids":
        return _polars_ids(pl, column)
    dtypes = {"text": pl.String, "integer": pl.Int64, "date": pl.Date, "flag": pl.Boolean}
    return pl.Series(column.name, values, dtype=dtypes[column.kind])


#: Joins a row's ids into one string that polars splits in a single vectorized pass (building a
#: list column from Python tuples is ten times slower). Ids holding it take the slow path.
_SEPARATOR = "\x1f"


def _polars_ids(pl: Any, column: Column) -> Any:
    values = column.values
    if any(_SEPARATOR in item for ids in values for item in ids):
        return pl.Series(column.name, values, dtype=pl.List(pl.String))
    # Each id is prefixed with the separator, so every split starts with an empty string to drop
    # and a row without ids becomes an empty list.
    joined = pl.Series(column.name, ["".join(_SEPARATOR + item for item in ids) for ids in values],
                       dtype=pl.String)
    return joined.str.split(_SEPARATOR).list.slice(1)


def _polars_decimals(pl: Any, column: Column) -> Any:
    """A ``pl.Decimal(38, scale)`` column whose scale holds every value exactly."""
    try:
        # polars infers the largest scale of the values (and refuses what does not fit) much
        # faster than a loop over them here
        series = pl.Series(column.name, column.values)
    except Exception:  # polars' own error for a value too long: explained below
        series = None
    if series is not None and isinstance(series.dtype, pl.Decimal):
        return series.cast(pl.Decimal(POLARS_MAX_PRECISION, series.dtype.scale))
    if series is not None and series.dtype == pl.Null:  # no values, or all missing
        return series.cast(pl.Decimal(POLARS_MAX_PRECISION, 0))
    values = [None if v is None else Decimal(v) for v in column.values]
    return pl.Series(column.name, values, dtype=pl.Decimal(POLARS_MAX_PRECISION, _scale(column.name, values)))


def _scale(name: str, values: list[Decimal | None]) -> int:
    """The decimal places that hold every value exactly; raises when they need too many digits."""
    scale, whole = 0, 1
    for value in values:
        if value is None:
            continue
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int):  # always: amounts are finite
            scale = max(scale, -exponent)
            whole = max(whole, value.adjusted() + 1)
    if whole + scale > POLARS_MAX_PRECISION:
        raise ValueError(
            f"column {name!r} needs {whole + scale} digits, more than a polars Decimal holds "
            f"({POLARS_MAX_PRECISION}); use decimals='float'")
    return scale

"""Cohort tables: revenue retention and expansion by cohort and months since start.

A :class:`CohortTable` has one :class:`CohortRow` per cohort (customers grouped by the month of
their first revenue, or by any attribute) and, in each row, one :class:`CohortCell` per month
since the members' start. Cells keep the exact amounts behind every ratio, and check on
construction that ``mrr == retained_mrr + expansion_mrr``: net retention is gross retention plus
expansion, exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from expansion_revenue.frozen import FrozenMap
from expansion_revenue.money import EXACT, Amount, Currency, NonNegativeAmount
from expansion_revenue.policy import Policy
from expansion_revenue.results.metrics import ratio

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from expansion_revenue.display.frames import DecimalMode

__all__ = ["CohortCell", "CohortRow", "CohortTable"]


class CohortCell(BaseModel):
    """A cohort's revenue ``months_since_start`` months after its members' first revenue month.

    A member counts in the cell when that month is inside the table's range (always, for a
    month cohort; for an attribute cohort, members who started late drop out of the later cells).

    Attributes:
        months_since_start: 0 for the members' first revenue month.
        members: members observed in this cell.
        paying: those of them with MRR above zero.
        base_mrr: their MRR in their first revenue month (always above zero).
        mrr: their MRR this month.
        retained_mrr: the sum over members of ``min(mrr, base)``.
        expansion_mrr: the sum over members of ``max(mrr - base, 0)``.
        revenue_retention: ``mrr / base_mrr`` (net revenue retention since start).
        gross_retention: ``retained_mrr / base_mrr`` (never above 1).
        expansion_rate: ``expansion_mrr / base_mrr``.
        logo_retention: ``paying / members``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    months_since_start: int = Field(ge=0)
    members: int = Field(ge=1)
    paying: int = Field(ge=0)
    base_mrr: NonNegativeAmount
    mrr: NonNegativeAmount
    retained_mrr: NonNegativeAmount
    expansion_mrr: NonNegativeAmount
    revenue_retention: Amount
    gross_retention: Amount
    expansion_rate: Amount
    logo_retention: Amount

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._consistent()

    def _consistent(self) -> CohortCell:
        problem = None
        if self.base_mrr <= 0:
            problem = "base MRR must be above zero"
        elif EXACT.add(self.retained_mrr, self.expansion_mrr) != self.mrr:
            problem = "mrr is not retained + expansion"
        elif self.retained_mrr > self.base_mrr or self.paying > self.members:
            problem = "retained MRR above base, or more paying than members"
        elif (self.revenue_retention, self.gross_retention, self.expansion_rate,
              self.logo_retention) != (ratio(self.mrr, self.base_mrr),
                                       ratio(self.retained_mrr, self.base_mrr),
                                       ratio(self.expansion_mrr, self.base_mrr),
                                       ratio(self.paying, self.members)):
            problem = "a ratio does not match its amounts"
        if problem:
            raise PydanticCustomError("cohort_cell", "month {k}: {problem}",
                                      {"k": self.months_since_start, "problem": problem})
        return self


class CohortRow(BaseModel):
    """One cohort: its members and a cell per month since their start.

    Attributes:
        cohort: the cohort key (``YYYY-MM`` of first revenue, or an attribute value).
        size: its members (every one has MRR in cell 0).
        cells: cells for months 0, 1, 2 ... in order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cohort: str
    size: int = Field(ge=1)
    cells: tuple[CohortCell, ...]

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._months()

    def _months(self) -> CohortRow:
        if [c.months_since_start for c in self.cells] != list(range(len(self.cells))):
            raise PydanticCustomError("cohort_months", "cells must be months 0, 1, 2 ... in order", {})
        if not self.cells or self.cells[0].members != self.size:
            raise PydanticCustomError("cohort_size", "cell 0 must hold every member", {})
        return self


class CohortTable(BaseModel):
    """Revenue by cohort and months since start, from ``start`` to ``end`` (months, ``YYYY-MM``).

    Attributes:
        start: the first cohort month considered.
        end: the last month observed.
        by: how members are grouped (``first_revenue_month``, ``attribute:<name>`` or a
            function's name).
        currency: the reporting currency.
        policy: the conventions used (entity level, month snapshot day, FX basis).
        rows: one row per cohort, sorted by cohort key.

    >>> from expansion_revenue.engine.cohorts import cohort_table
    >>> from expansion_revenue import Dataset
    >>> cohort_table(Dataset(), "2024-01", "2024-03").rows
    ()
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: str
    end: str
    by: str
    currency: Currency
    policy: Policy
    rows: tuple[CohortRow, ...]

    def matrix(self, name: str = "revenue_retention") -> FrozenMap[str, tuple[Decimal, ...]]:
        """One cell field as a triangle: cohort key -> values for months 0, 1, 2 ...

        Raises:
            AttributeError: ``name`` is not a :class:`CohortCell` field.

        >>> from expansion_revenue.engine.cohorts import cohort_table
        >>> from expansion_revenue import Dataset
        >>> dict(cohort_table(Dataset(), "2024-01", "2024-03").matrix("expansion_rate"))
        {}
        """
        if name not in CohortCell.model_fields:
            raise AttributeError(f"CohortCell has no field {name!r}")
        return FrozenMap({row.cohort: tuple(Decimal(getattr(cell, name)) for cell in row.cells)
                          for row in self.rows})

    def to_pandas(self, *, decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The table as a pandas DataFrame: one row per cohort and month since start (long form).

        Columns: ``cohort``, ``size``, then the :class:`CohortCell` fields
        ``months_since_start``, ``members``, ``paying``, ``base_mrr``, ``mrr``,
        ``retained_mrr``, ``expansion_mrr``, ``revenue_retention``, ``gross_retention``,
        ``expansion_rate`` and ``logo_retention``. In every row ``mrr == retained_mrr +
        expansion_mrr``. For the triangle, pivot it:
        ``df.pivot(index="cohort", columns="months_since_start", values="revenue_retention")``.
        Amounts and ratios are Decimals unless ``decimals="float"`` (see
        :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.

        >>> from expansion_revenue import load_example, load_example_fx
        >>> from expansion_revenue.engine.cohorts import cohort_table
        >>> t = cohort_table(load_example(), "2024-01", "2024-06", fx=load_example_fx())
        >>> df = t.to_pandas()
        >>> len(df) == sum(len(row.cells) for row in t.rows)
        True
        >>> (df["mrr"] == df["retained_mrr"] + df["expansion_mrr"]).all()
        np.True_
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, decimals=decimals)

    def to_polars(self, *, decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The table as a polars DataFrame, in the long form of :meth:`to_pandas`.

        The same columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the scale that
        holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.

        >>> from expansion_revenue import Dataset
        >>> from expansion_revenue.engine.cohorts import cohort_table
        >>> cohort_table(Dataset(), "2024-01", "2024-03").to_polars().columns[:3]
        ['cohort', 'size', 'months_since_start']
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, decimals=decimals)

    def plot(self, value: str = "revenue_retention", *, ax: Axes | None = None,
             title: str | None = None) -> Figure:
        """One cell field as a heatmap (see :func:`expansion_revenue.display.cohort_heatmap`).

        Raises:
            MissingExtraError: matplotlib is not installed.
            AttributeError: ``value`` is not a :class:`CohortCell` field.

        >>> from expansion_revenue import load_example, load_example_fx
        >>> from expansion_revenue.engine.cohorts import cohort_table
        >>> table = cohort_table(load_example(), "2024-01", "2024-06", fx=load_example_fx())
        >>> fig = table.plot("gross_retention")
        >>> len(fig.axes[0].images)
        1
        """
        from expansion_revenue.display.charts import cohort_heatmap

        return cohort_heatmap(self, value, ax=ax, title=title)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)

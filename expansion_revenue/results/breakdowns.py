"""Breakdowns: a bridge's movements and metrics split by segment, cohort, product, plan or tier.

A :class:`Breakdown` answers "which groups drive expansion (or contraction, or churn)?": one
:class:`~expansion_revenue.results.metrics.RevenueMetrics` per group, plus the whole bridge's.
When every entity belongs to exactly one group (segments, cohorts) the groups add up to the
total, which is checked on construction; groupings by what an entity holds (products, plans,
tiers, add-ons) may put one entity in several groups, and say so with ``overlapping``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from expansion_revenue.frozen import FrozenMap
from expansion_revenue.results.bridge import COMPONENTS
from expansion_revenue.results.metrics import RevenueMetrics, ratio
from expansion_revenue.results.snapshot import exact_sum

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from expansion_revenue.display.frames import DecimalMode

__all__ = ["Breakdown"]

_AMOUNTS = ("starting_mrr", *COMPONENTS, "ending_mrr")


class Breakdown(BaseModel):
    """A bridge split into groups of entities, with each group's metrics.

    Attributes:
        by: the grouping (``attribute:segment``, ``first_revenue_month``, ``product``, ``plan``,
            ``tier``, ``add_on`` or a function's name).
        overlapping: whether an entity can sit in several groups (then groups do not add up).
        total: the metrics of the whole bridge.
        groups: the metrics of each group, by group key (sorted).

    >>> from expansion_revenue import Dataset, revenue_bridge
    >>> from expansion_revenue.engine.breakdowns import revenue_breakdown
    >>> bd = revenue_breakdown(Dataset(), revenue_bridge(Dataset(), "2024-01", "2024-02"), "product")
    >>> bd.groups, bd.overlapping
    (FrozenMap({}), True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    by: str
    overlapping: bool
    total: RevenueMetrics
    groups: FrozenMap[str, RevenueMetrics]

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._adds_up()

    def _adds_up(self) -> Breakdown:
        if self.overlapping:
            return self
        for name in _AMOUNTS:
            parts = exact_sum(getattr(group, name) for group in self.groups.values())
            if parts != getattr(self.total, name):
                raise PydanticCustomError(
                    "breakdown_sum", "the groups' {name} ({parts}) does not add up to the total ({total})",
                    {"name": name, "parts": str(parts), "total": str(getattr(self.total, name))})
        return self

    def ranked(self, name: str = "expansion") -> tuple[tuple[str, Decimal | None], ...]:
        """Groups by the size (absolute value) of one field, largest first, ``None`` last.

        Who drives ``name``? For the negative lines (``contraction``, ``churn``) the biggest
        losses come first.

        Raises:
            AttributeError: ``name`` is not a field of
                :class:`~expansion_revenue.results.metrics.RevenueMetrics`.

        >>> from expansion_revenue import Dataset, revenue_bridge
        >>> from expansion_revenue.engine.breakdowns import revenue_breakdown
        >>> bridge = revenue_bridge(Dataset(), "2024-01", "2024-02")
        >>> revenue_breakdown(Dataset(), bridge, "plan").ranked()
        ()
        """
        if name not in RevenueMetrics.model_fields:
            raise AttributeError(f"RevenueMetrics has no field {name!r}")
        values = [(key, getattr(group, name)) for key, group in self.groups.items()]
        return tuple(sorted(values, key=lambda item: (item[1] is None, -abs(item[1] or 0))))

    def shares(self, name: str = "expansion") -> FrozenMap[str, Decimal | None]:
        """Each group's part of the total of one amount (``expansion`` by default).

        ``None`` for every group when the total is zero. Rounded like every ratio.

        >>> from expansion_revenue import Dataset, revenue_bridge
        >>> from expansion_revenue.engine.breakdowns import revenue_breakdown
        >>> bridge = revenue_bridge(Dataset(), "2024-01", "2024-02")
        >>> dict(revenue_breakdown(Dataset(), bridge, "tier").shares())
        {}
        """
        if name not in _AMOUNTS:
            raise AttributeError(f"{name!r} is not an amount: one of {', '.join(_AMOUNTS)}")
        total: Decimal = getattr(self.total, name)
        return FrozenMap({key: None if total == 0 else ratio(getattr(group, name), total)
                          for key, group in self.groups.items()})

    def to_pandas(self, *, decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The groups as a pandas DataFrame: one row per group, sorted by key.

        Columns: ``group``, then the columns of
        :meth:`~expansion_revenue.results.metrics.RevenueMetrics.to_pandas` for the group's
        metrics. The total is not a row (``breakdown.total.to_pandas()`` has it): when the
        groups do not overlap, each amount column sums to the total's. Amounts and ratios are
        Decimals unless ``decimals="float"`` (see :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.

        >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
        >>> from expansion_revenue.engine.breakdowns import revenue_breakdown
        >>> ds, fx = load_example(), load_example_fx()
        >>> bridge = revenue_bridge(ds, "2024-01", "2024-06", fx=fx)
        >>> bd = revenue_breakdown(ds, bridge, "attribute:segment", fx=fx)
        >>> bd.to_pandas()["expansion"].sum() == bd.total.expansion
        True
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, decimals=decimals)

    def to_polars(self, *, decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The groups as a polars DataFrame: one row per group, sorted by key.

        The same columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the scale that
        holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.

        >>> from expansion_revenue import Dataset, revenue_bridge
        >>> from expansion_revenue.engine.breakdowns import revenue_breakdown
        >>> bd = revenue_breakdown(Dataset(), revenue_bridge(Dataset(), "2024-01", "2024-02"), "plan")
        >>> bd.to_polars().shape
        (0, 32)
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, decimals=decimals)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)

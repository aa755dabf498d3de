"""The MRR snapshot: revenue at one instant, per line, customer, entity, product and plan."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from expansion_revenue.frozen import FrozenMap
from expansion_revenue.money import EXACT, Amount, Currency
from expansion_revenue.policy import Policy

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from expansion_revenue.display.frames import DecimalMode

__all__ = ["LineMrr", "MrrSnapshot", "exact_sum"]


def exact_sum(values: object) -> Decimal:
    """Sum Decimals exactly (raises rather than round).

    >>> exact_sum([Decimal("0.1"), Decimal("0.2")])
    Decimal('0.3')
    """
    total = Decimal(0)
    for value in values:  # type: ignore[attr-defined]
        total = EXACT.add(total, value)
    return total


class LineMrr(BaseModel):
    """One active contract line's MRR at the snapshot date.

    Attributes:
        line_id: the contract line.
        contract_id: its contract.
        customer_id: its customer.
        entity_id: the entity it counts under at the policy's level.
        product_id: the product sold.
        plan_id: the plan sold.
        currency: the contract currency.
        mrr_local: MRR in the contract currency.
        rate: FX rate into the reporting currency (1 when the same).
        mrr: MRR in the reporting currency, ``mrr_local x rate`` (exact).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    line_id: str
    contract_id: str
    customer_id: str
    entity_id: str
    product_id: str
    plan_id: str
    currency: Currency
    mrr_local: Amount
    rate: Amount
    mrr: Amount


class MrrSnapshot(BaseModel):
    """MRR at one date, in one currency, with every active line behind it.

    Lines that are active but contribute zero (free plans, full discounts) are listed too:
    nothing is dropped. The totals are exact sums of the line figures and checked on construction.

    Attributes:
        at: the snapshot date.
        currency: the reporting currency.
        policy: the policy it was computed under.
        total: total MRR.
        lines: every active line, in dataset order.

    >>> from expansion_revenue import mrr_snapshot, load_example, load_example_fx
    >>> snap = mrr_snapshot(load_example(), "2024-06-30", fx=load_example_fx())
    >>> snap.total == sum(snap.by_customer.values())
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime.date
    currency: Currency
    policy: Policy
    total: Amount
    lines: tuple[LineMrr, ...]

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._sums()

    def _sums(self) -> MrrSnapshot:
        if exact_sum(line.mrr for line in self.lines) != self.total:
            raise PydanticCustomError("snapshot_sum", "total {total} is not the sum of its lines",
                                      {"total": str(self.total)})
        return self

    def _by(self, key: str) -> FrozenMap[str, Decimal]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            ident = getattr(line, key)
            sums[ident] = EXACT.add(sums[ident], line.mrr)
        return FrozenMap(dict(sorted(sums.items())))

    @cached_property
    def by_customer(self) -> FrozenMap[str, Decimal]:
        """MRR per customer with an active line (sorted by id)."""
        return self._by("customer_id")

    @cached_property
    def by_entity(self) -> FrozenMap[str, Decimal]:
        """MRR per entity at the policy's level (sorted by id)."""
        return self._by("entity_id")

    @cached_property
    def by_product(self) -> FrozenMap[str, Decimal]:
        """MRR per product (sorted by id)."""
        return self._by("product_id")

    @cached_property
    def by_plan(self) -> FrozenMap[str, Decimal]:
        """MRR per plan (sorted by id)."""
        return self._by("plan_id")

    @property
    def arr(self) -> Decimal:
        """Annual recurring revenue: 12 x MRR (exact)."""
        return EXACT.multiply(self.total, Decimal(12))

    def to_pandas(self, *, decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The snapshot as a pandas DataFrame: one row per active line, in dataset order.

        Columns: ``line_id``, ``contract_id``, ``customer_id``, ``entity_id``, ``product_id``,
        ``plan_id``, ``currency`` (the contract's), ``mrr_local`` (in that currency), ``rate``
        and ``mrr`` (in the reporting currency). ``mrr`` sums exactly to :attr:`total`.
        Amounts are Decimals unless ``decimals="float"`` (see
        :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.

        >>> from expansion_revenue import mrr_snapshot, load_example, load_example_fx
        >>> snap = mrr_snapshot(load_example(), "2024-06-30", fx=load_example_fx())
        >>> df = snap.to_pandas()
        >>> df["mrr"].sum() == snap.total, len(df) == len(snap.lines)
        (True, True)
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, decimals=decimals)

    def to_polars(self, *, decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The snapshot as a polars DataFrame, with the columns of :meth:`to_pandas`.

        Amounts are ``pl.Decimal`` with the scale that holds every value exactly
        (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.

        >>> from expansion_revenue import mrr_snapshot, load_example, load_example_fx
        >>> snap = mrr_snapshot(load_example(), "2024-06-30", fx=load_example_fx())
        >>> snap.to_polars()["mrr"].sum() == snap.total
        True
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, decimals=decimals)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)

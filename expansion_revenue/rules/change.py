"""What a classification rule sees: one product's change for one entity in one movement.

The attribution engine cuts every expansion and contraction movement into product changes (one per
product and contract currency the entity held before or after) and shows each to the rules.

>>> from expansion_revenue.rules.change import ProductChange
>>> {"entity_id", "product", "before", "after", "amount"} <= set(ProductChange._fields)
True
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from expansion_revenue.dataset import Dataset
from expansion_revenue.models import ContractLine, Plan, Product, ProductKind
from expansion_revenue.money import EXACT
from expansion_revenue.results.bridge import MovementKind

__all__ = ["LineView", "Price", "ProductChange"]

#: A price per unit per month: a Decimal when it terminates, else an exact Fraction.
Price = Decimal | Fraction


class LineView(NamedTuple):
    """A contract line as it stood on one side of a change.

    Attributes:
        line: the contract line.
        plan: its plan.
        mrr_local: its MRR in the contract currency on that day (rounded once, see
            :mod:`expansion_revenue.engine.normalize`).
        list_unit_mrr: the plan's list price per unit as monthly revenue (exact: a Decimal, or
            a Fraction when it does not terminate).
        unit_mrr: the price actually charged per unit as monthly revenue (exact, as above;
            negotiated price or list).
        discount: the discount fraction in force that day (0 when the policy ignores discounts).
    """

    line: ContractLine
    plan: Plan
    mrr_local: Decimal
    list_unit_mrr: Price
    unit_mrr: Price
    discount: Decimal

    @property
    def tier(self) -> int:
        """The plan's tier."""
        return self.plan.tier


class ProductChange(NamedTuple):
    """One product's part in one entity's movement, in the reporting currency.

    Attributes:
        entity_id: the entity that moved.
        movement: the bridge movement this change belongs to (expansion or contraction).
        product: the product.
        currency: the contract currency of the lines.
        rate: FX rate from ``currency`` into the reporting currency used to value the change.
        before: the product's lines on ``before_day``.
        after: the product's lines on ``after_day``.
        before_day: the day before the change (period start, or the eve of an event).
        after_day: the day after the change (period end, or the event day).
        amount: the change to attribute, in the reporting currency (after minus before).
        catalogue: the dataset, for looking up plans, products and customers.
        decimal_places: the policy's rounding of a line's MRR (for rules that value
            hypothetical lines, like the price-volume-mix split).
    """

    entity_id: str
    movement: MovementKind
    product: Product
    currency: str
    rate: Decimal
    before: tuple[LineView, ...]
    after: tuple[LineView, ...]
    before_day: datetime.date
    after_day: datetime.date
    amount: Decimal
    catalogue: Dataset
    decimal_places: int = 6

    @property
    def is_add_on(self) -> bool:
        """Whether the product is an add-on."""
        return self.product.kind is ProductKind.ADD_ON

    @property
    def added(self) -> bool:
        """The entity did not have the product before and has it after."""
        return not self.before and bool(self.after)

    @property
    def removed(self) -> bool:
        """The entity had the product before and no longer has it."""
        return bool(self.before) and not self.after

    @property
    def line_ids(self) -> tuple[str, ...]:
        """Every line on either side, before first."""
        return tuple(dict.fromkeys(v.line.id for v in (*self.before, *self.after)))

    def convert(self, local: Decimal) -> Decimal:
        """A contract-currency amount in the reporting currency (exact)."""
        return EXACT.multiply(local, self.rate)

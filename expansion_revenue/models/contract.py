"""Contracts and their lines: who pays what, for which plan, from when until when.

A :class:`ContractLine` is one plan at one quantity and price over ``[start, end)``: ``start`` is
the first day it counts, ``end`` the first day it no longer does (``None``: open-ended). Every
change (an upgrade, more seats, a renewal at a new price) is the old line ending and a new line
starting on the same day. That keeps history immutable and every change visible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from expansion_revenue.models._base import Count, Identifier, Record
from expansion_revenue.money import Currency, Money, NonNegativeAmount, check_input_digits
from expansion_revenue.records import RecordsSchema

__all__ = ["MAX_QUANTITY", "Contract", "ContractLine"]

#: The largest quantity a line may have (a trillion units).
MAX_QUANTITY = 10**12



class ContractLine(Record):
    """One plan on a contract: quantity, optional negotiated price and discount, dates.

    Attributes:
        id: line id, unique in the dataset.
        plan_id: the plan sold.
        quantity: units (seats, packs ...), a whole number, zero or more.
        unit_price: negotiated price per unit per the plan's interval, in the contract's
            currency; ``None`` means the plan's list price.
        discount: fraction off, from 0 to 1 inclusive.
        discount_end: first day the discount no longer applies (``None``: for the whole line).
        start: first day the line counts (inclusive).
        end: first day the line no longer counts (exclusive); ``None`` for open-ended.

    >>> line = ContractLine(id="l1", plan_id="pro", quantity=10, discount="0.2",
    ...                     start="2024-01-15", end=None)
    >>> line.discount, line.active_on(dt.date(2024, 1, 15)), line.active_on(dt.date(2024, 1, 14))
    (Decimal('0.2'), True, False)
    """

    id: Identifier
    plan_id: Identifier
    quantity: Count = Field(ge=0, le=MAX_QUANTITY)
    unit_price: Money | None = None
    start: dt.date
    end: dt.date | None = None
    discount: NonNegativeAmount = Decimal(0)
    discount_end: dt.date | None = None

    @field_validator("discount")
    @classmethod
    def _discount_range(cls, discount: Decimal) -> Decimal:
        if discount > 1:
            raise PydanticCustomError(
                "discount_range", "discount must be a fraction from 0 to 1, got {value}",
                {"value": str(discount)},
            )
        return check_input_digits(discount, "discount")

    @field_validator("unit_price")
    @classmethod
    def _price_not_negative(cls, price: Money | None) -> Money | None:
        if price is not None and price.amount < 0:
            raise PydanticCustomError(
                "amount_negative", "unit_price must not be negative, got {value}",
                {"value": str(price.amount)},
            )
        if price is not None:
            check_input_digits(price.amount, "unit_price")
        return price

    @field_validator("end", "discount_end")
    @classmethod
    def _after_start(cls, day: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if day is not None and isinstance(start, dt.date) and day <= start:
            raise PydanticCustomError(
                "end_before_start", "{field} {day} must be after start {start}",
                {"field": info.field_name, "day": str(day), "start": str(start)},
            )
        return day

    def active_on(self, day: dt.date) -> bool:
        """Whether the line counts on ``day``: ``start <= day < end``.

        >>> ContractLine(id="l", plan_id="p", quantity=1, start="2024-01-01",
        ...              end="2024-02-01").active_on(dt.date(2024, 2, 1))
        False
        """
        return self.start <= day and (self.end is None or day < self.end)

    def discount_on(self, day: dt.date) -> Decimal:
        """The discount fraction in force on ``day`` (zero from ``discount_end`` on).

        >>> ContractLine(id="l", plan_id="p", quantity=1, discount="0.5", discount_end="2024-06-01",
        ...              start="2024-01-01").discount_on(dt.date(2024, 6, 1))
        Decimal('0')
        """
        if self.discount_end is not None and day >= self.discount_end:
            return Decimal(0)
        return self.discount


class Contract(Record):
    """An agreement with one customer, in one currency, made of lines.

    Attributes:
        id: unique contract id.
        customer_id: the customer who pays.
        currency: the currency every line is billed in.
        lines: the contract's lines: a tuple, or (from a loader) a
            :class:`~expansion_revenue.records.Records` that builds the line objects when first
            read and equals the tuple of the same lines.

    >>> c = Contract(id="k1", customer_id="acme", currency="usd",
    ...              lines=[{"id": "l1", "plan_id": "pro", "quantity": 3, "start": "2024-01-01"}])
    >>> c.currency, type(c.lines).__name__, c.lines[0].quantity
    ('USD', 'tuple', 3)
    """

    id: Identifier
    customer_id: Identifier
    currency: Currency
    lines: Annotated[Sequence[ContractLine], RecordsSchema(tuple[ContractLine, ...])] = ()

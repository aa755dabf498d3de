"""The catalogue: products and the plans they are sold on.

A :class:`Product` is ``core`` (a product in its own right: buying another one is a cross-sell)
or ``add_on`` (supplementary features or capacity). A :class:`Plan` prices one product at one
ordinal ``tier`` (higher is richer: moving up is an upsell) per unit per billing
:class:`Interval`.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from expansion_revenue.models._base import Count, Identifier, Record
from expansion_revenue.money import Money, check_input_digits

__all__ = ["Interval", "IntervalUnit", "Plan", "Product", "ProductKind"]


class ProductKind(str, Enum):
    """Whether a product stands alone (``core``) or supplements one (``add_on``)."""

    CORE = "core"
    ADD_ON = "add_on"


class IntervalUnit(str, Enum):
    """The unit of a billing interval."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


_INTERVAL_TEXT = re.compile(r"^\s*(\d+)?\s*(day|week|month|year)s?\s*$", re.IGNORECASE)
_INTERVAL_WORDS = {"monthly": (1, "month"), "quarterly": (3, "month"), "annual": (1, "year"),
                   "yearly": (1, "year"), "weekly": (1, "week"), "daily": (1, "day")}


class Interval(Record):
    """A billing interval: ``count`` days, weeks, months or years.

    Also accepts text: ``"month"``, ``"3 months"``, ``"annual"``, ``"quarterly"``.

    Attributes:
        count: how many units, at least 1.
        unit: day, week, month or year.

    >>> Interval.model_validate("3 months")
    Interval(count=3, unit=<IntervalUnit.MONTH: 'month'>)
    """

    count: int = Field(default=1, ge=1, le=1200)
    unit: IntervalUnit

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            word = _INTERVAL_WORDS.get(value.strip().lower())
            if word is not None:
                return {"count": word[0], "unit": word[1]}
            match = _INTERVAL_TEXT.match(value)
            if match is None:
                raise PydanticCustomError(
                    "interval_text",
                    "cannot read '{text}' as a billing interval (try 'month', '3 months', 'annual')",
                    {"text": value},
                )
            return {"count": int(match.group(1) or 1), "unit": match.group(2).lower()}
        return value

    def __str__(self) -> str:
        return f"{self.count} {self.unit.value}{'s' if self.count != 1 else ''}"


class Product(Record):
    """Something the business sells.

    Attributes:
        id: unique product id.
        name: display name.
        kind: ``core`` or ``add_on``.
        family: optional grouping (a product line).

    >>> Product(id="analytics", name="Analytics", kind="core").kind
    <ProductKind.CORE: 'core'>
    """

    id: Identifier
    name: str = Field(min_length=1)
    kind: ProductKind = ProductKind.CORE
    family: str | None = None


class Plan(Record):
    """A price point of one product: a tier, a list price per unit, a billing interval.

    Attributes:
        id: unique plan id.
        product_id: the product this plan sells.
        name: display name.
        tier: ordinal rank within the product; higher is a richer plan (0 may be a free tier).
        price: list price per unit per billing interval; not negative.
        interval: the billing interval the price covers.

    >>> p = Plan(id="pro-annual", product_id="analytics", name="Pro", tier=2,
    ...          price={"amount": "1200", "currency": "USD"}, interval="annual")
    >>> p.price.amount, str(p.interval)
    (Decimal('1200'), '1 year')
    """

    id: Identifier
    product_id: Identifier
    name: str = Field(min_length=1)
    tier: Count = Field(ge=0, le=1_000_000)
    price: Money
    interval: Interval = Field(default_factory=lambda: Interval(count=1, unit=IntervalUnit.MONTH))

    @field_validator("price")
    @classmethod
    def _price_not_negative(cls, price: Money) -> Money:
        if price.amount < 0:
            raise PydanticCustomError(
                "amount_negative", "price must not be negative, got {value}",
                {"value": str(price.amount)},
            )
        check_input_digits(price.amount, "price")
        return price

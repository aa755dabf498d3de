"""Policies: every convention that revenue tools disagree on, as one frozen, documented value.

Vendors differ on when a returning customer is "reactivated" or "new", whether a discount
reduces MRR, whether a free-to-paid move is new business or expansion, which FX rate values a
movement, and how many weeks a month has. Here each choice is a field of :class:`Policy`, with a
default and a reason, so the same data can be run under two policies and the difference explained.

>>> Policy().level, Policy(reactivation_window_days=90).reactivation_window_days
('customer', 90)
>>> Policy.model_validate_json(Policy(weeks_per_month="4").model_dump_json()).weeks_per_month
Fraction(4, 1)
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, model_validator
from pydantic_core import PydanticCustomError

from expansion_revenue.models._base import Record
from expansion_revenue.money import to_decimal

__all__ = ["Policy", "Ratio"]


def _ratio(value: object) -> Fraction:
    result: Fraction | None = None
    try:
        if isinstance(value, Fraction) or (isinstance(value, int) and not isinstance(value, bool)):
            result = Fraction(value)
        elif isinstance(value, Decimal):
            # Through to_decimal: it refuses NaN, infinities and exponents such as 1e999999999,
            # which Fraction would expand into a billion-digit integer.
            result = Fraction(to_decimal(value))
        elif isinstance(value, str) and value.count("/") <= 1:
            numerator, slash, denominator = value.partition("/")
            result = Fraction(to_decimal(numerator))
            if slash:
                result /= Fraction(to_decimal(denominator))
    except (ValueError, ZeroDivisionError):
        result = None
    if result is None:
        raise PydanticCustomError(
            "ratio", "expected an exact ratio such as '52/12' or '4.33', got {value}",
            {"value": repr(value)},
        )
    if result <= 0:
        raise PydanticCustomError("ratio_positive", "must be positive, got {value}",
                                  {"value": str(result)})
    return result


#: An exact positive ratio; accepts ``"52/12"``, ``"4.33"``, ints; JSON: ``"13/3"``.
Ratio = Annotated[Fraction, BeforeValidator(_ratio), PlainSerializer(str, return_type=str)]

_LEVELS = ("customer", "parent", "ultimate_parent")


def _level(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        if text in _LEVELS or (text.startswith("attribute:") and len(text) > len("attribute:")):
            return text
    raise PydanticCustomError(
        "entity_level",
        "level must be 'customer', 'parent', 'ultimate_parent' or 'attribute:<name>', got {value}",
        {"value": repr(value)},
    )


#: The entity a bridge is computed for: ``customer``, ``parent`` (the customer's parent account,
#: or itself when top-level), ``ultimate_parent`` (the top of its chain), or ``attribute:<name>``
#: (customers grouped by that attribute, e.g. ``attribute:segment``; missing means ``(none)``).
EntityLevel = Annotated[str, BeforeValidator(_level)]


class Policy(Record):
    """The conventions an MRR snapshot or bridge follows. Every field has a documented default.

    Attributes:
        level: the entity movements are measured on (see :data:`EntityLevel`). Default
            ``customer``: one customer's churn is not hidden by another's growth.
        reactivation_window_days: a customer whose MRR returns after going to zero is
            *reactivated* if it returns within this many days of churning; later returns count as
            *new*. ``None`` (default, ProfitWell-style): any return is a reactivation.
        month_snapshot: which day measures "MRR of month M": ``end`` (default, its last day) or
            ``start`` (its first day).
        discounts_reduce_mrr: whether a line's discount lowers its MRR (default ``True``: MRR is
            what the customer pays). ``False`` reports list-price MRR.
        free_to_paid: how a move from a zero-MRR subscription (a free plan, a 100% discount) to a
            paying one is counted: ``new`` (default; also reactivation if it paid before) or
            ``expansion`` (and paid-to-free as ``contraction`` instead of churn).
        fx_basis: ``spot`` (default): each endpoint at its own date's rates; movements valued at
            the rates of their starting point, the rest is the ``fx`` line. ``constant``: every
            amount at the rates of ``fx_constant_date``, so there is no ``fx`` line.
        fx_constant_date: the rate date used when ``fx_basis`` is ``constant``.
        weeks_per_month: monthly factor for weekly prices (default ``52/12``).
        days_per_month: monthly factor for daily prices (default ``365/12``).
        mrr_decimal_places: a line's MRR is rounded once, half-even, to this many decimal places
            when its normalized value does not terminate (e.g. 100/12). Every later sum and
            difference is exact. Default 6.

    >>> Policy(level="attribute:segment", fx_basis="constant", fx_constant_date="2024-01-01").level
    'attribute:segment'
    >>> Policy(fx_basis="constant")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Policy
      fx_basis 'constant' needs fx_constant_date [type=fx_constant_date_missing, ...]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: EntityLevel = "customer"
    reactivation_window_days: int | None = Field(default=None, ge=0, le=100_000)
    month_snapshot: Literal["end", "start"] = "end"
    discounts_reduce_mrr: bool = True
    free_to_paid: Literal["new", "expansion"] = "new"
    fx_basis: Literal["spot", "constant"] = "spot"
    fx_constant_date: datetime.date | None = None
    weeks_per_month: Ratio = Fraction(52, 12)
    days_per_month: Ratio = Fraction(365, 12)
    mrr_decimal_places: int = Field(default=6, ge=0, le=18)

    @model_validator(mode="after")
    def _constant_date(self) -> Policy:
        if self.fx_basis == "constant" and self.fx_constant_date is None:
            raise PydanticCustomError(
                "fx_constant_date_missing", "fx_basis 'constant' needs fx_constant_date", {}
            )
        return self

    def replace(self, **changes: Any) -> Policy:
        """Return a copy with ``changes`` applied, validated again.

        >>> Policy().replace(level="parent").level
        'parent'
        """
        data = self.model_dump()
        data.update(changes)
        return Policy.model_validate(data)

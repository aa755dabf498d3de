"""The built-in rules: small frozen models with validated parameters, describable in JSON.

In the default order:

1. :class:`ProductAddedRule` -- a product the entity did not have: a core product is a
   ``cross_sell``, an add-on a ``add_on.feature`` purchase.
2. :class:`ProductRemovedRule` -- a product the entity no longer has (while it stays a customer):
   ``product_churn`` or ``add_on_removal.feature``.
3. :class:`PriceVolumeMixRule` -- a product held before and after: the change is split into tier,
   quantity, price and discount effects (a price-volume-mix decomposition), in a fixed order.

The price-volume-mix split. A line's MRR is ``(L + E) x Q x (1 - D)``: ``L`` the plan's list price
per unit per month, ``E`` the negotiated premium over list (``unit price - L``; negative for a
negotiated discount), ``Q`` the quantity and ``D`` the discount in force. Going from the line
before to the line after, the drivers are swapped one at a time in ``order`` (default: tier
``L``, quantity ``Q``, price ``E``, discount ``D``); each step's change in value is one part:

==========  ================================  =========================================
step        positive part                     negative part
==========  ================================  =========================================
tier        ``expansion.upsell``              ``contraction.downgrade``
quantity    ``expansion.add_on.capacity``     ``contraction.add_on_removal.capacity``
price       ``expansion.pricing.price_increase``  ``contraction.pricing.price_decrease``
discount    ``expansion.pricing.discount_expiry`` ``contraction.pricing.discount_added``
==========  ================================  =========================================

A plan change within the same tier (monthly to annual, say) is a price effect. Each intermediate
value is rounded once like a line's MRR and the last one is the line's actual MRR, so the parts
telescope: they sum exactly to the change. Lines are paired by line id, then by plan, then by tier
(highest with highest); a line left unpaired is an ``upsell`` (``downgrade`` when removed) if its
tier is above every tier on the other side, else ``capacity``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from expansion_revenue.engine.normalize import exact_or_rounded
from expansion_revenue.money import EXACT, quantize
from expansion_revenue.rules.change import LineView, Price, ProductChange

__all__ = ["BuiltinRule", "PriceVolumeMixRule", "ProductAddedRule", "ProductRemovedRule", "Step"]

#: A driver of the price-volume-mix split.
Step = Literal["tier", "quantity", "price", "discount"]

_CATEGORY = {
    "tier": ("expansion.upsell", "contraction.downgrade"),
    "quantity": ("expansion.add_on.capacity", "contraction.add_on_removal.capacity"),
    "price": ("expansion.pricing.price_increase", "contraction.pricing.price_decrease"),
    "discount": ("expansion.pricing.discount_expiry", "contraction.pricing.discount_added"),
}


class _Builtin(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProductAddedRule(_Builtin):
    """A product the entity did not have: ``cross_sell`` (core) or ``add_on.feature`` (add-on).

    Attributes:
        name: the rule's name.
        core_category: category for a new core product.
        add_on_category: category for a new add-on product.

    >>> ProductAddedRule().model_dump()["kind"]
    'product_added'
    """

    kind: Literal["product_added"] = "product_added"
    name: str = "product_added"
    core_category: str = "expansion.cross_sell"
    add_on_category: str = "expansion.add_on.feature"

    def classify(self, change: ProductChange) -> str | None:
        """The category when the product is new to the entity, else ``None``."""
        if not change.added:
            return None
        return self.add_on_category if change.is_add_on else self.core_category


class ProductRemovedRule(_Builtin):
    """A product the entity no longer has: ``product_churn`` or ``add_on_removal.feature``.

    Attributes:
        name: the rule's name.
        core_category: category for a dropped core product.
        add_on_category: category for a dropped add-on.

    >>> ProductRemovedRule().core_category
    'contraction.product_churn'
    """

    kind: Literal["product_removed"] = "product_removed"
    name: str = "product_removed"
    core_category: str = "contraction.product_churn"
    add_on_category: str = "contraction.add_on_removal.feature"

    def classify(self, change: ProductChange) -> str | None:
        """The category when the entity dropped the product, else ``None``."""
        if not change.removed:
            return None
        return self.add_on_category if change.is_add_on else self.core_category


class PriceVolumeMixRule(_Builtin):
    """Split a continuing product's change into tier, quantity, price and discount effects.

    Attributes:
        name: the rule's name.
        order: the order the drivers are swapped in; a permutation of the four steps.

    >>> PriceVolumeMixRule(order=("quantity", "tier", "price", "discount")).order[0]
    'quantity'
    >>> PriceVolumeMixRule(order=("tier", "tier", "price", "discount"))
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for PriceVolumeMixRule
    order
      order must name each of tier, quantity, price, discount once [...]
    """

    kind: Literal["price_volume_mix"] = "price_volume_mix"
    name: str = "price_volume_mix"
    order: tuple[Step, Step, Step, Step] = ("tier", "quantity", "price", "discount")

    @field_validator("order")
    @classmethod
    def _permutation(cls, order: tuple[Step, ...]) -> tuple[Step, ...]:
        if sorted(order) != sorted(_CATEGORY):
            raise PydanticCustomError(
                "pvm_order", "order must name each of tier, quantity, price, discount once", {})
        return order

    def classify(self, change: ProductChange) -> Sequence[tuple[str, Decimal]] | None:
        """The parts of a change to a product held on both sides, else ``None``."""
        if not change.before or not change.after:
            return None
        pairs, added, removed = _pair(change.before, change.after)
        local: dict[str, Decimal] = {}

        def add(category: str, amount: Decimal) -> None:
            if amount != 0:
                local[category] = EXACT.add(local.get(category, Decimal(0)), amount)

        for before, after in pairs:
            for category, amount in self._split(before, after, change.decimal_places):
                add(category, amount)
        top_before = max(v.tier for v in change.before)
        top_after = max(v.tier for v in change.after)
        for view in added:
            add("expansion.upsell" if view.tier > top_before else "expansion.add_on.capacity",
                view.mrr_local)
        for view in removed:
            add("contraction.downgrade" if view.tier > top_after
                else "contraction.add_on_removal.capacity", -view.mrr_local)
        if not local:
            return None
        return [(category, change.convert(amount)) for category, amount in local.items()]

    def _split(self, before: LineView, after: LineView, places: int) -> list[tuple[str, Decimal]]:
        drivers = _drivers(before)
        targets = _drivers(after)
        exact = all(isinstance(v, Decimal) for v in (*drivers.values(), *targets.values()))
        parts: list[tuple[str, Decimal]] = []
        value = before.mrr_local
        for index, step in enumerate(self.order):
            drivers[step] = targets[step]
            if index == len(self.order) - 1:
                new_value = after.mrr_local
            elif exact:
                new_value = _decimal_value(drivers, places)
            else:
                new_value = exact_or_rounded(
                    (Fraction(drivers["tier"]) + Fraction(drivers["price"]))
                    * Fraction(drivers["quantity"]) * (1 - Fraction(drivers["discount"])), places)
            delta = EXACT.subtract(new_value, value)
            if delta != 0:
                up, down = _CATEGORY[step]
                if step == "tier" and before.tier == after.tier:
                    up, down = _CATEGORY["price"]
                parts.append((up if delta > 0 else down, delta))
            value = new_value
        return parts


def _drivers(view: LineView) -> dict[str, Price]:
    premium: Price
    if isinstance(view.unit_mrr, Decimal) and isinstance(view.list_unit_mrr, Decimal):
        premium = EXACT.subtract(view.unit_mrr, view.list_unit_mrr)
    else:
        premium = Fraction(view.unit_mrr) - Fraction(view.list_unit_mrr)
    return {"tier": view.list_unit_mrr, "quantity": Decimal(view.line.quantity), "price": premium,
            "discount": view.discount}


def _decimal_value(drivers: dict[str, Price], places: int) -> Decimal:
    """``(L + E) x Q x (1 - D)`` in exact Decimals, rounded like a line's MRR."""
    unit = EXACT.add(drivers["tier"], drivers["price"])  # type: ignore[arg-type]
    value = EXACT.multiply(EXACT.multiply(unit, drivers["quantity"]),  # type: ignore[arg-type]
                           EXACT.subtract(Decimal(1), drivers["discount"]))  # type: ignore[arg-type]
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        return quantize(value, places)
    return value


def _pair(
    before: tuple[LineView, ...], after: tuple[LineView, ...]
) -> tuple[list[tuple[LineView, LineView]], list[LineView], list[LineView]]:
    """Pair lines before and after: same line, then same plan, then by tier."""
    left, right = list(before), list(after)
    pairs: list[tuple[LineView, LineView]] = []
    keys: tuple[Callable[[LineView], str], ...] = (lambda v: v.line.id, lambda v: v.plan.id)
    for key in keys:
        for b in list(left):
            match = next((a for a in right if key(a) == key(b)), None)
            if match is not None:
                pairs.append((b, match))
                left.remove(b)
                right.remove(match)
    by_tier = sorted(left, key=lambda v: (-v.tier, v.line.id))
    others = sorted(right, key=lambda v: (-v.tier, v.line.id))
    pairs += list(zip(by_tier, others, strict=False))
    count = min(len(by_tier), len(others))
    return pairs, others[count:], by_tier[count:]


#: The built-in rules, as one JSON-describable union.
BuiltinRule = ProductAddedRule | ProductRemovedRule | PriceVolumeMixRule

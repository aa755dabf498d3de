"""Expansion attribution results: every expansion and contraction split into categorized parts.

Two views of the same numbers. The **net** view is the bridge: one movement per entity (a
customer at +100 is an expansion of 100). The **gross** view is the parts behind it: that +100
may be +150 upsell and -50 capacity removal. Parts are signed; a category under ``expansion`` is
never negative and one under ``contraction`` never positive. The result checks on construction
that its parts sum exactly to the bridge's expansion, contraction and fx totals.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from expansion_revenue.categories import Categories
from expansion_revenue.frozen import FrozenMap
from expansion_revenue.money import EXACT, Amount, Currency

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from expansion_revenue.display.frames import DecimalMode

__all__ = ["AttributedPart", "Attribution", "BreakdownKey"]

#: What a breakdown groups parts by.
BreakdownKey = Literal["category", "product", "tier", "plan", "add_on", "entity"]


class AttributedPart(BaseModel):
    """One categorized part of one entity's movement.

    Attributes:
        entity_id: the entity.
        movement: the bridge movement the part belongs to (``expansion``, ``contraction``, ``fx``).
        on: the event day (events method) or ``None`` (snapshot method).
        category: the leaf category (``expansion.upsell`` ...).
        amount: the signed amount in the reporting currency.
        rule: the name of the rule that answered (``unclassified`` when none did).
        product_id: the product, or ``None`` for an fx part.
        add_on: whether the product is an add-on.
        plan_id: the plan the entity holds after the change (before, if the product was dropped).
        tier: that plan's tier.
        line_ids: the lines on either side of the change.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_id: str
    movement: Literal["expansion", "contraction", "fx"]
    on: datetime.date | None = None
    category: str
    amount: Amount
    rule: str
    product_id: str | None = None
    add_on: bool = False
    plan_id: str | None = None
    tier: int | None = None
    line_ids: tuple[str, ...] = ()


class Attribution(BaseModel):
    """Every expansion, contraction and fx movement of a bridge, split into categories.

    Attributes:
        start: the bridge's start.
        end: the bridge's end.
        currency: the reporting currency.
        categories: the category tree the parts use.
        expansion: the bridge's expansion total (= the sum of the expansion movements' parts).
        contraction: the bridge's contraction total.
        fx: the bridge's fx total.
        parts: every part.

    >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
    >>> a = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx()).attribution
    >>> a.tree["expansion"] + a.tree["contraction"] + a.tree["fx"] + a.tree["unclassified"] == (
    ...     a.expansion + a.contraction + a.fx)
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime.date
    end: datetime.date
    currency: Currency
    categories: Categories
    expansion: Amount
    contraction: Amount
    fx: Amount
    parts: tuple[AttributedPart, ...]

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._sums()

    def _sums(self) -> Attribution:
        known = set(self.categories.leaves)
        totals = {"expansion": Decimal(0), "contraction": Decimal(0), "fx": Decimal(0)}
        for part in self.parts:
            if part.category not in known:
                raise PydanticCustomError("attribution_category", "unknown category '{category}'",
                                          {"category": part.category})
            root = part.category.split(".", 1)[0]
            if (root == "expansion" and part.amount < 0) or (root == "contraction" and part.amount > 0):
                raise PydanticCustomError(
                    "attribution_sign", "a part of {amount} cannot sit under '{category}'",
                    {"amount": str(part.amount), "category": part.category})
            totals[part.movement] = EXACT.add(totals[part.movement], part.amount)
        for name, value in totals.items():
            if value != getattr(self, name):
                raise PydanticCustomError(
                    "attribution_sum", "{name} parts sum to {parts}, not the bridge's {total}",
                    {"name": name, "parts": str(value), "total": str(getattr(self, name))})
        return self

    @cached_property
    def by_category(self) -> FrozenMap[str, Decimal]:
        """Gross amount per leaf category (every declared leaf, zeros included)."""
        sums = dict.fromkeys(self.categories.leaves, Decimal(0))
        for part in self.parts:
            sums[part.category] = EXACT.add(sums[part.category], part.amount)
        return FrozenMap(sums)

    @cached_property
    def tree(self) -> FrozenMap[str, Decimal]:
        """Gross amount per node of the category tree: every parent is the sum of its children.

        >>> from expansion_revenue.rules import Categories
        >>> import datetime
        >>> empty = Attribution(start=datetime.date(2024, 1, 1), end=datetime.date(2024, 1, 1),
        ...     currency="USD", categories=Categories.default(), expansion=0, contraction=0, fx=0, parts=())
        >>> empty.tree["expansion.pricing"]
        Decimal('0')
        """
        sums = dict.fromkeys(self.categories.nodes(), Decimal(0))
        for leaf, amount in self.by_category.items():
            for node in (*self.categories.parents(leaf), leaf):
                sums[node] = EXACT.add(sums[node], amount)
        return FrozenMap(sums)

    def breakdown(self, by: BreakdownKey) -> FrozenMap[str, FrozenMap[str, Decimal]]:
        """Gross expansion and contraction (and fx) per product, tier, plan, add-on or category.

        Returns, for each key, the sums of its parts by root category (``expansion``,
        ``contraction``, ``fx``, ``unclassified``). ``add_on`` keeps add-on products only.

        >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
        >>> b = revenue_bridge(load_example(), "2023-02", "2024-12", fx=load_example_fx())
        >>> by_product = b.attribution.breakdown("product")
        >>> sum(v.get("expansion", 0) for v in by_product.values()) == b.attribution.tree["expansion"]
        True
        """
        key_of: dict[str, Callable[[AttributedPart], str | None]] = {
            "category": lambda p: p.category,
            "product": lambda p: p.product_id,
            "tier": lambda p: None if p.tier is None else str(p.tier),
            "plan": lambda p: p.plan_id,
            "add_on": lambda p: p.product_id if p.add_on else None,
            "entity": lambda p: p.entity_id,
        }
        if by not in key_of:
            raise ValueError(f"cannot break down by {by!r}; use one of {', '.join(key_of)}")
        groups: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for part in self.parts:
            key = key_of[by](part)
            if key is None and by == "add_on":
                continue
            root = part.category.split(".", 1)[0]
            bucket = groups[key if key is not None else "(none)"]
            bucket[root] = EXACT.add(bucket.get(root, Decimal(0)), part.amount)
        return FrozenMap({k: FrozenMap(v) for k, v in sorted(groups.items())})

    def for_entity(self, entity_id: str) -> tuple[AttributedPart, ...]:
        """The parts of one entity's movements (the gross view behind its net movement)."""
        return tuple(part for part in self.parts if part.entity_id == entity_id)

    @classmethod
    def combine(cls, attributions: tuple[Attribution, ...]) -> Attribution:
        """One attribution over consecutive periods: the parts and totals of all of them.

        Raises:
            ValueError: no attributions, or attributions with different category trees.
        """
        if not attributions:
            raise ValueError("nothing to combine")
        first = attributions[0]
        if any(a.categories != first.categories for a in attributions):
            raise ValueError("attributions with different category trees cannot be combined")

        def total(name: str) -> Decimal:
            value = Decimal(0)
            for a in attributions:
                value = EXACT.add(value, getattr(a, name))
            return value

        return cls(start=first.start, end=attributions[-1].end, currency=first.currency,
                   categories=first.categories, expansion=total("expansion"),
                   contraction=total("contraction"), fx=total("fx"),
                   parts=tuple(p for a in attributions for p in a.parts))

    def to_pandas(self, table: Literal["parts", "categories"] = "parts", *,
                  decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The parts, or the amount per category, as a pandas DataFrame.

        Tables and their columns:

        * ``parts``: one row per :class:`AttributedPart`; columns ``entity_id``, ``movement``,
          ``on``, ``category``, ``amount``, ``rule``, ``product_id``, ``add_on``, ``plan_id``,
          ``tier`` and ``line_ids``. The amounts of each ``movement`` sum to that total
          (:attr:`expansion`, :attr:`contraction`, :attr:`fx`).
        * ``categories``: one row per leaf category (every declared leaf, zeros included);
          columns ``category``, ``root`` (``expansion``, ``contraction``, ``fx``,
          ``unclassified``) and ``amount``, which sums to ``expansion + contraction + fx``.

        Amounts are Decimals unless ``decimals="float"`` (see
        :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.
            ValueError: an unknown table.

        >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
        >>> a = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx()).attribution
        >>> parts = a.to_pandas()
        >>> parts[parts["movement"] == "expansion"]["amount"].sum() == a.expansion
        True
        >>> a.to_pandas("categories")["amount"].sum() == a.expansion + a.contraction + a.fx
        True
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, table, decimals=decimals)

    def to_polars(self, table: Literal["parts", "categories"] = "parts", *,
                  decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The parts, or the amount per category, as a polars DataFrame.

        The same tables and columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the scale that
        holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.
            ValueError: an unknown table.

        >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
        >>> a = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx()).attribution
        >>> a.to_polars("categories")["amount"].sum() == a.expansion + a.contraction + a.fx
        True
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, table, decimals=decimals)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)

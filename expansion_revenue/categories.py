"""The attribution category tree: where each part of an expansion or contraction belongs.

Categories are dotted paths. Leaves carry amounts; every parent is the sum of its children::

    expansion                         contraction
      upsell                            downgrade
      cross_sell                        product_churn
      add_on.feature                    add_on_removal.feature
      add_on.capacity                   add_on_removal.capacity
      pricing.price_increase            pricing.price_decrease
      pricing.discount_expiry           pricing.discount_added
    fx                                unclassified

Users may declare new leaves under an existing node (``expansion.migration``,
``expansion.pricing.escalator``); an unknown parent is refused.

>>> cats = Categories.default().with_categories("expansion.pricing.escalator")
>>> "expansion.pricing.escalator" in cats.leaves, cats.parents("expansion.pricing.escalator")
(True, ('expansion', 'expansion.pricing'))
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

__all__ = ["DEFAULT_CATEGORIES", "Categories"]

#: The built-in leaf categories (DESIGN.md section 4).
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "expansion.upsell",
    "expansion.cross_sell",
    "expansion.add_on.feature",
    "expansion.add_on.capacity",
    "expansion.pricing.price_increase",
    "expansion.pricing.discount_expiry",
    "contraction.downgrade",
    "contraction.product_churn",
    "contraction.add_on_removal.feature",
    "contraction.add_on_removal.capacity",
    "contraction.pricing.price_decrease",
    "contraction.pricing.discount_added",
    "fx",
    "unclassified",
)


def _parents(path: str) -> tuple[str, ...]:
    parts = path.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))


class Categories(BaseModel):
    """An immutable set of leaf categories; parents follow from the dotted paths.

    Attributes:
        leaves: every leaf category, in declaration order.

    >>> Categories.default().with_categories("refund.partial")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Categories
    leaves
      new category 'refund.partial' must sit under an existing node (expansion, contraction ...) [...]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    leaves: tuple[str, ...]

    @field_validator("leaves")
    @classmethod
    def _well_formed(cls, leaves: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for leaf in leaves:
            parts = leaf.split(".")
            if not leaf or any(not p or not p.replace("_", "").isalnum() for p in parts):
                raise PydanticCustomError(
                    "category_name", "category '{name}' must be dotted words like 'expansion.upsell'",
                    {"name": leaf})
            if leaf in seen:
                raise PydanticCustomError("category_duplicate", "category '{name}' is declared twice",
                                          {"name": leaf})
            seen.add(leaf)
        nodes = {parent for leaf in DEFAULT_CATEGORIES for parent in _parents(leaf)}
        nodes |= set(DEFAULT_CATEGORIES) - {"fx", "unclassified"}
        for leaf in leaves:
            if leaf in DEFAULT_CATEGORIES:
                continue
            if not any(parent in nodes for parent in _parents(leaf)):
                raise PydanticCustomError(
                    "category_parent",
                    "new category '{name}' must sit under an existing node (expansion, contraction ...)",
                    {"name": leaf})
        for leaf in leaves:
            if any(parent in seen for parent in _parents(leaf)):
                raise PydanticCustomError(
                    "category_leaf", "category '{name}' sits under another leaf", {"name": leaf})
        return leaves

    @classmethod
    def default(cls) -> Categories:
        """The built-in tree.

        >>> len(Categories.default().leaves)
        14
        """
        return cls(leaves=DEFAULT_CATEGORIES)

    def with_categories(self, *names: str) -> Categories:
        """A tree with ``names`` added as new leaves.

        >>> Categories.default().with_categories("expansion.migration").leaves[-1]
        'expansion.migration'
        """
        return Categories(leaves=(*self.leaves, *names))

    def parents(self, leaf: str) -> tuple[str, ...]:
        """The nodes above ``leaf``, root first.

        >>> Categories.default().parents("expansion.add_on.capacity")
        ('expansion', 'expansion.add_on')
        """
        return _parents(leaf)

    def nodes(self) -> tuple[str, ...]:
        """Every node of the tree, parents before their children.

        >>> Categories.default().nodes()[:3]
        ('expansion', 'expansion.upsell', 'expansion.cross_sell')
        """
        out: dict[str, None] = {}
        for leaf in self.leaves:
            for parent in _parents(leaf):
                out.setdefault(parent)
            out.setdefault(leaf)
        return tuple(out)

    def root(self, leaf: str) -> str:
        """The top-level node of ``leaf`` (``expansion``, ``contraction``, ``fx`` ...).

        >>> Categories.default().root("contraction.pricing.discount_added")
        'contraction'
        """
        return leaf.split(".", 1)[0]

    def contains(self, names: Iterable[str]) -> bool:
        """Whether every name is a known leaf.

        >>> Categories.default().contains(["fx", "expansion.upsell"])
        True
        """
        known = set(self.leaves)
        return all(name in known for name in names)

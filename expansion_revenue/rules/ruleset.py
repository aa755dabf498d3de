"""Rule sets: an immutable, ordered collection of rules; the first rule that answers wins.

Derive new sets instead of changing one: :meth:`RuleSet.with_rule` (new rules go before the
defaults unless told otherwise), :meth:`RuleSet.without`, :meth:`RuleSet.replace`,
:meth:`RuleSet.with_categories`. There is no global registry; rules published by other packages
under the ``expansion_revenue.rules`` entry-point group are loaded only when you ask,
with :meth:`RuleSet.from_entry_points`.

>>> rules = RuleSet.default()
>>> rules.names
('product_added', 'product_removed', 'price_volume_mix')
>>> rules.without("product_removed").names
('product_added', 'price_volume_mix')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from pydantic import TypeAdapter

from expansion_revenue.categories import Categories
from expansion_revenue.errors import RuleError
from expansion_revenue.rules.builtin import (
    BuiltinRule,
    PriceVolumeMixRule,
    ProductAddedRule,
    ProductRemovedRule,
)
from expansion_revenue.rules.protocol import ClassificationRule

__all__ = ["ENTRY_POINT_GROUP", "RuleSet"]

#: The entry-point group other packages publish rules under.
ENTRY_POINT_GROUP = "expansion_revenue.rules"

_BUILTIN: TypeAdapter[BuiltinRule] = TypeAdapter(BuiltinRule)


@dataclass(frozen=True)
class RuleSet:
    """An ordered tuple of rules and the categories they may answer.

    Attributes:
        rules: the rules, asked in order.
        categories: the category tree (built-in plus any declared by the user).

    >>> RuleSet(rules=(ProductAddedRule(), ProductAddedRule()))
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.RuleError: two rules are named 'product_added'; rule names must be unique
    """

    rules: tuple[ClassificationRule, ...]
    categories: Categories = field(default_factory=Categories.default)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        seen: set[str] = set()
        for rule in self.rules:
            if not isinstance(rule, ClassificationRule):
                raise RuleError(f"{rule!r} is not a rule: it needs a 'name' and a 'classify' method")
            if rule.name in seen:
                raise RuleError(f"two rules are named {rule.name!r}; rule names must be unique")
            seen.add(rule.name)

    @classmethod
    def default(cls) -> RuleSet:
        """The built-in rules: product added, product removed, price-volume-mix.

        >>> len(RuleSet.default().rules)
        3
        """
        return cls(rules=(ProductAddedRule(), ProductRemovedRule(), PriceVolumeMixRule()))

    @property
    def names(self) -> tuple[str, ...]:
        """The rules' names, in order."""
        return tuple(rule.name for rule in self.rules)

    def _position(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise RuleError(f"no rule named {name!r} in this rule set ({', '.join(self.names)})") from None

    def with_rule(
        self, rule: ClassificationRule, *, before: str | None = None, after: str | None = None
    ) -> RuleSet:
        """A new set with ``rule`` added: first by default, or just before/after a named rule.

        >>> from expansion_revenue.rules import classification_rule
        >>> r = classification_rule("mine")(lambda change: None)
        >>> RuleSet.default().with_rule(r, after="product_removed").names
        ('product_added', 'product_removed', 'mine', 'price_volume_mix')
        """
        if before is not None and after is not None:
            raise RuleError("give before= or after=, not both")
        rules = list(self.rules)
        if before is not None:
            rules.insert(self._position(before), rule)
        elif after is not None:
            rules.insert(self._position(after) + 1, rule)
        else:
            rules.insert(0, rule)
        return RuleSet(rules=tuple(rules), categories=self.categories)

    def without(self, *names: str) -> RuleSet:
        """A new set without the named rules.

        >>> RuleSet.default().without("product_added", "product_removed").names
        ('price_volume_mix',)
        """
        for name in names:
            self._position(name)
        return RuleSet(rules=tuple(r for r in self.rules if r.name not in names),
                       categories=self.categories)

    def replace(self, name: str, rule: ClassificationRule) -> RuleSet:
        """A new set with the named rule replaced by ``rule`` in the same place.

        >>> pvm = PriceVolumeMixRule(order=("quantity", "tier", "price", "discount"))
        >>> RuleSet.default().replace("price_volume_mix", pvm).rules[-1].order[0]
        'quantity'
        """
        position = self._position(name)
        rules = list(self.rules)
        rules[position] = rule
        return RuleSet(rules=tuple(rules), categories=self.categories)

    def with_categories(self, *names: str) -> RuleSet:
        """A new set whose tree also has the leaf categories ``names``.

        >>> rules = RuleSet.default().with_categories("expansion.migration")
        >>> "expansion.migration" in rules.categories.leaves
        True
        """
        return RuleSet(rules=self.rules, categories=self.categories.with_categories(*names))

    def describe(self) -> dict[str, Any]:
        """The set as JSON-ready data: built-in rules with their parameters, others by name.

        >>> RuleSet.default().describe()["rules"][2]["order"]
        ['tier', 'quantity', 'price', 'discount']
        """
        described: list[dict[str, Any]] = []
        for rule in self.rules:
            if isinstance(rule, (ProductAddedRule, ProductRemovedRule, PriceVolumeMixRule)):
                described.append(rule.model_dump(mode="json"))
            else:
                described.append({"kind": "custom", "name": rule.name,
                                  "type": f"{type(rule).__module__}.{type(rule).__qualname__}"})
        return {"rules": described, "categories": list(self.categories.leaves)}

    @classmethod
    def from_description(
        cls, data: dict[str, Any], custom: Iterable[ClassificationRule] = ()
    ) -> RuleSet:
        """Rebuild a set from :meth:`describe` output; custom rules are supplied by name.

        >>> RuleSet.from_description(RuleSet.default().describe()) == RuleSet.default()
        True
        """
        by_name = {rule.name: rule for rule in custom}
        rules: list[ClassificationRule] = []
        for item in data.get("rules", []):
            if item.get("kind") == "custom":
                if item.get("name") not in by_name:
                    raise RuleError(f"custom rule {item.get('name')!r} was not supplied")
                rules.append(by_name[item["name"]])
            else:
                rules.append(_BUILTIN.validate_python(item))
        categories = Categories(leaves=tuple(data.get("categories", Categories.default().leaves)))
        return cls(rules=tuple(rules), categories=categories)

    @classmethod
    def from_entry_points(
        cls, group: str = ENTRY_POINT_GROUP, base: RuleSet | None = None
    ) -> RuleSet:
        """``base`` (default rules) with every rule published under ``group`` added first.

        An entry point may name a rule object or a zero-argument factory returning one. A rule
        may declare new leaf categories in a ``categories`` attribute (a tuple of names).

        >>> RuleSet.from_entry_points(group="no.such.group").names == RuleSet.default().names
        True
        """
        result = base or cls.default()
        for point in sorted(entry_points(group=group), key=lambda p: p.name, reverse=True):
            try:
                loaded = point.load()
                rule = loaded if isinstance(loaded, ClassificationRule) else loaded()
            except Exception as exc:
                raise RuleError(f"could not load rule entry point {point.name!r}: {exc}") from exc
            extra = tuple(getattr(rule, "categories", ()) or ())
            if extra:
                new = (c for c in extra if c not in result.categories.leaves)
                result = result.with_categories(*new)
            result = result.with_rule(rule)
        return result

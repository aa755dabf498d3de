"""The extension point: a classification rule looks at one product change and names its category.

A rule answers with one category name (the whole amount goes there), or with a split: a sequence
of ``(category, amount)`` pairs whose amounts sum exactly to the change's amount. Or it declines
with ``None``, and the next rule in the :class:`~expansion_revenue.rules.ruleset.RuleSet` is asked.

Any object with a ``name`` and a ``classify`` method is a rule; :func:`classification_rule` turns
a plain function into one.

>>> from expansion_revenue.rules import classification_rule
>>> @classification_rule("migration")
... def migration(change):
...     before = {v.plan.id for v in change.before}
...     after = {v.plan.id for v in change.after}
...     return "expansion.migration" if "legacy" in before and after else None
>>> migration.name
'migration'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, Union, runtime_checkable

from expansion_revenue.rules.change import ProductChange

__all__ = ["ClassificationRule", "FunctionRule", "RuleAnswer", "classification_rule"]

#: What a rule returns: a category, ``(category, amount)`` parts, or ``None`` to decline.
RuleAnswer = Union[str, Sequence[tuple[str, Decimal]], None]  # noqa: UP007 (a runtime alias on 3.10)


@runtime_checkable
class ClassificationRule(Protocol):
    """Anything with a ``name`` and a ``classify(change)`` method."""

    @property
    def name(self) -> str:
        """A unique, stable name (used in errors and to remove or replace the rule)."""
        ...

    def classify(self, change: ProductChange) -> RuleAnswer:
        """Answer a category (or split), or ``None`` to let the next rule decide."""
        ...


@dataclass(frozen=True)
class FunctionRule:
    """A rule made from a plain function ``change -> RuleAnswer``.

    Attributes:
        name: the rule's name.
        function: the function.
    """

    name: str
    function: Callable[[ProductChange], RuleAnswer]

    def classify(self, change: ProductChange) -> RuleAnswer:
        """Call the function."""
        return self.function(change)


def classification_rule(
    name: str,
) -> Callable[[Callable[[ProductChange], RuleAnswer]], FunctionRule]:
    """Decorator: turn ``function(change) -> category | parts | None`` into a named rule.

    >>> @classification_rule("everything_is_upsell")
    ... def upsell(change):
    ...     return "expansion.upsell" if change.amount > 0 else None
    >>> isinstance(upsell, ClassificationRule)
    True
    """

    def wrap(function: Callable[[ProductChange], RuleAnswer]) -> FunctionRule:
        return FunctionRule(name, function)

    return wrap

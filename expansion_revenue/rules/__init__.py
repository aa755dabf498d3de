"""Classification rules: the extension point of expansion attribution.

>>> from expansion_revenue.rules import RuleSet
>>> RuleSet.default().names
('product_added', 'product_removed', 'price_volume_mix')
"""

from expansion_revenue.categories import DEFAULT_CATEGORIES, Categories
from expansion_revenue.rules.builtin import (
    BuiltinRule,
    PriceVolumeMixRule,
    ProductAddedRule,
    ProductRemovedRule,
)
from expansion_revenue.rules.change import LineView, ProductChange
from expansion_revenue.rules.protocol import (
    ClassificationRule,
    FunctionRule,
    RuleAnswer,
    classification_rule,
)
from expansion_revenue.rules.ruleset import ENTRY_POINT_GROUP, RuleSet

__all__ = [
    "DEFAULT_CATEGORIES",
    "ENTRY_POINT_GROUP",
    "BuiltinRule",
    "Categories",
    "ClassificationRule",
    "FunctionRule",
    "LineView",
    "PriceVolumeMixRule",
    "ProductAddedRule",
    "ProductChange",
    "ProductRemovedRule",
    "RuleAnswer",
    "RuleSet",
    "classification_rule",
]

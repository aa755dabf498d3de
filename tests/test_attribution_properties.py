"""Attribution invariants over generated datasets: parts sum exactly, trees add up, rules compose."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import given, settings

from expansion_revenue import Dataset, FxRates, Policy, revenue_bridge
from expansion_revenue.results.attribution import Attribution
from expansion_revenue.rules import ProductChange, RuleAnswer, RuleSet, classification_rule
from tests.test_bridge_properties import METHODS, scenario


def check_tree(attribution: Attribution) -> None:
    tree = attribution.tree
    for node in attribution.categories.nodes():
        children = [n for n in tree if n.startswith(node + ".") and "." not in n[len(node) + 1:]]
        if children:
            assert tree[node] == sum((tree[c] for c in children), Decimal(0)), node


@given(scenario(), METHODS)
@settings(max_examples=60)
def test_parts_sum_to_each_movement_and_to_the_bridge(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], method: str) -> None:
    ds, rates, policy, t0, t1 = case
    bridge = revenue_bridge(ds, t0, t1, method=method, currency="USD", fx=rates,  # type: ignore[arg-type]
                            policy=policy)
    attribution = bridge.attribution
    assert attribution is not None
    per_movement: dict[tuple[str, str, dt.date | None], Decimal] = defaultdict(Decimal)
    for part in attribution.parts:
        per_movement[(part.entity_id, part.movement, part.on)] += part.amount
    expected: dict[tuple[str, str, dt.date | None], Decimal] = defaultdict(Decimal)
    for row in bridge.ledger:
        if row.kind.value in ("expansion", "contraction", "fx"):
            expected[(row.entity_id, row.kind.value, row.on)] += row.amount
    assert {k: v for k, v in per_movement.items() if v} == {k: v for k, v in expected.items() if v}
    roots = attribution.tree
    assert roots["expansion"] + roots["contraction"] + roots["fx"] + roots["unclassified"] == (
        bridge.expansion + bridge.contraction + bridge.fx)
    check_tree(attribution)
    # The default rules leave nothing unclassified.
    assert attribution.by_category["unclassified"] == 0


@classification_rule("even_products")
def even_products(change: ProductChange) -> RuleAnswer:
    """Answers only for products whose id ends in an even digit (an arbitrary subset)."""
    if change.product.id[-1:].isdigit() and int(change.product.id[-1]) % 2 == 0:
        return "expansion.custom" if change.amount >= 0 else "contraction.custom"
    return None


@given(scenario(), METHODS)
@settings(max_examples=60)
def test_a_custom_rule_first_changes_only_what_it_answers(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], method: str) -> None:
    ds, rates, policy, t0, t1 = case
    kwargs: dict[str, Any] = {"method": method, "currency": "USD", "fx": rates, "policy": policy}
    default = revenue_bridge(ds, t0, t1, **kwargs).attribution
    rules = RuleSet.default().with_categories("expansion.custom", "contraction.custom")
    custom = revenue_bridge(ds, t0, t1, rules=rules.with_rule(even_products),
                            **kwargs).attribution
    assert default is not None and custom is not None

    def answered(product_id: str | None) -> bool:
        return product_id is not None and product_id[-1:].isdigit() and int(product_id[-1]) % 2 == 0

    untouched = [p for p in default.parts if not answered(p.product_id)]
    assert [p for p in custom.parts if not answered(p.product_id)] == untouched
    assert all(p.rule == "even_products" for p in custom.parts if answered(p.product_id))
    assert custom.tree["expansion"] + custom.tree["contraction"] == (
        default.tree["expansion"] + default.tree["contraction"])
    check_tree(custom)
    # Taking the custom rule out again gives the default result.
    back = revenue_bridge(ds, t0, t1, rules=rules, **kwargs).attribution
    assert back is not None and back.parts == default.parts

"""Worked examples for expansion attribution and the rule extension point.

Each example states the lines before and after a change and the parts computed by hand. The
price-volume-mix split swaps the drivers in the order tier (list price L), quantity Q, price
(premium E over list) and discount D, valuing (L + E) x Q x (1 - D) after each swap.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from expansion_revenue import Dataset, Policy, RuleError, revenue_bridge
from expansion_revenue.engine.attribution import attribute_expansion
from expansion_revenue.rules import (
    PriceVolumeMixRule,
    ProductChange,
    RuleAnswer,
    RuleSet,
    classification_rule,
)
from tests.builders import contract, dataset, fx, line, one_customer, plan, product

BASIC = plan("basic", product="crm", tier=1, price="10")
PRO = plan("pro", product="crm", tier=2, price="20")
DESK = plan("desk", product="helpdesk", tier=1, price="30")
SSO = plan("sso", product="sso", tier=1, price="5")
PRODUCTS = [product("crm"), product("helpdesk"), product("sso", kind="add_on")]


def parts(ds: Dataset, start: str = "2024-02", end: str = "2024-02", *,
          method: str = "snapshot", rules: RuleSet | None = None) -> dict[str, Decimal]:
    bridge = revenue_bridge(ds, start, end, method=method, rules=rules)  # type: ignore[arg-type]
    assert bridge.attribution is not None
    return {p.category: p.amount for p in bridge.attribution.parts}


def switch(before: list[object], after: list[object], plans: list[object] | None = None) -> Dataset:
    """One customer whose lines ``before`` end and ``after`` start on 2024-02-10."""
    lines = [line(f"b{i}", **b) for i, b in enumerate(before)]  # type: ignore[arg-type]
    lines += [line(f"a{i}", **a) for i, a in enumerate(after)]  # type: ignore[arg-type]
    return one_customer(plans or [BASIC, PRO, DESK, SSO], lines, products=PRODUCTS)  # type: ignore[arg-type]


OLD = {"start": "2023-01-01", "end": "2024-02-10"}
NEW = {"start": "2024-02-10"}


def test_upsell_to_a_higher_tier() -> None:
    # 5 x basic (10) = 50 -> 5 x pro (20) = 100: the tier swap is worth (20 - 10) x 5 = +50.
    ds = switch([{"plan": "basic", "qty": 5, **OLD}], [{"plan": "pro", "qty": 5, **NEW}])
    assert parts(ds) == {"expansion.upsell": 50}


def test_downgrade_to_a_lower_tier() -> None:
    ds = switch([{"plan": "pro", "qty": 5, **OLD}], [{"plan": "basic", "qty": 5, **NEW}])
    assert parts(ds) == {"contraction.downgrade": -50}


def test_cross_sell_of_a_second_core_product() -> None:
    # crm stays at 50; helpdesk is new: 2 x 30 = +60 cross-sell.
    ds = one_customer([BASIC, DESK], [line("c", "basic", 5, "2023-01-01"),
                                      line("h", "desk", 2, "2024-02-10")], products=PRODUCTS)
    assert parts(ds) == {"expansion.cross_sell": 60}


def test_add_on_feature_bought_and_removed() -> None:
    ds = one_customer([BASIC, SSO], [line("c", "basic", 5, "2023-01-01"),
                                     line("s", "sso", 4, "2024-02-10", "2024-04-05")],
                      products=PRODUCTS)
    # Feb: SSO add-on 4 x 5 = +20. Apr: removed, -20.
    assert parts(ds) == {"expansion.add_on.feature": 20}
    assert parts(ds, "2024-04", "2024-04") == {"contraction.add_on_removal.feature": -20}


def test_product_churn_while_staying_a_customer() -> None:
    ds = one_customer([BASIC, DESK], [line("c", "basic", 5, "2023-01-01"),
                                      line("h", "desk", 2, "2023-01-01", "2024-02-10")],
                      products=PRODUCTS)
    assert parts(ds) == {"contraction.product_churn": -60}


def test_capacity_seats_up_and_down() -> None:
    # 5 -> 8 seats of basic: 3 x 10 = +30. The reverse is -30.
    up = switch([{"plan": "basic", "qty": 5, **OLD}], [{"plan": "basic", "qty": 8, **NEW}])
    assert parts(up) == {"expansion.add_on.capacity": 30}
    down = switch([{"plan": "basic", "qty": 8, **OLD}], [{"plan": "basic", "qty": 5, **NEW}])
    assert parts(down) == {"contraction.add_on_removal.capacity": -30}


def test_price_increase_at_renewal() -> None:
    # Same plan and seats, unit price 10 -> 12: (12 - 10) x 5 = +10.
    ds = switch([{"plan": "basic", "qty": 5, **OLD}],
                [{"plan": "basic", "qty": 5, "unit_price": "12", **NEW}])
    assert parts(ds) == {"expansion.pricing.price_increase": 10}


def test_discount_expiry_on_the_same_line() -> None:
    # 10 x 20 = 200 at 25% off = 150 until Feb 10, then 200: +50 discount expiry.
    ds = one_customer([PRO], [line("l", "pro", 10, "2023-01-01", discount="0.25",
                                   discount_end="2024-02-10")])
    assert parts(ds) == {"expansion.pricing.discount_expiry": 50}


def test_discount_added() -> None:
    ds = switch([{"plan": "pro", "qty": 10, **OLD}],
                [{"plan": "pro", "qty": 10, "discount": "0.1", **NEW}])
    # 200 -> 180.
    assert parts(ds) == {"contraction.pricing.discount_added": -20}


def test_combined_change_splits_in_the_documented_order() -> None:
    # Before: 10 x basic at a negotiated 9 (list 10, so E = -1), 10% off: 9 x 10 x 0.9 = 81.
    # After: 12 x pro at list 20, no discount: 240. Change +159.
    #   tier      L 10 -> 20:  (20 - 1) x 10 x 0.9 = 171   -> +90   upsell
    #   quantity  Q 10 -> 12:  19 x 12 x 0.9     = 205.2 -> +34.2 capacity
    #   price     E -1 -> 0:   20 x 12 x 0.9     = 216   -> +10.8 price increase
    #   discount  D 0.1 -> 0:  20 x 12           = 240   -> +24   discount expiry
    ds = switch([{"plan": "basic", "qty": 10, "unit_price": "9", "discount": "0.1", **OLD}],
                [{"plan": "pro", "qty": 12, **NEW}])
    assert parts(ds) == {"expansion.upsell": 90, "expansion.add_on.capacity": Decimal("34.2"),
                         "expansion.pricing.price_increase": Decimal("10.8"),
                         "expansion.pricing.discount_expiry": 24}
    # Another order gives other parts with the same sum: quantity first.
    #   Q 10 -> 12: 9 x 12 x 0.9 = 97.2 (+16.2); L: 19 x 12 x 0.9 = 205.2 (+108); E: +10.8; D: +24.
    quantity_first = RuleSet.default().replace(
        "price_volume_mix", PriceVolumeMixRule(order=("quantity", "tier", "price", "discount")))
    assert parts(ds, rules=quantity_first) == {
        "expansion.add_on.capacity": Decimal("16.2"), "expansion.upsell": 108,
        "expansion.pricing.price_increase": Decimal("10.8"),
        "expansion.pricing.discount_expiry": 24}


def test_net_movement_and_gross_parts() -> None:
    # 15 x basic (150) -> 10 x pro (200): net +50 expansion, but gross +150 upsell
    # ((20 - 10) x 15) and -100 capacity (5 fewer seats at 20).
    ds = switch([{"plan": "basic", "qty": 15, **OLD}], [{"plan": "pro", "qty": 10, **NEW}])
    bridge = revenue_bridge(ds, "2024-02", "2024-02")
    assert bridge.expansion == 50
    assert bridge.attribution is not None
    assert bridge.attribution.tree["expansion"] == 150
    assert bridge.attribution.tree["contraction"] == -100
    assert [(p.movement, p.category, p.amount) for p in bridge.attribution.for_entity("acme")] == [
        ("expansion", "expansion.upsell", 150),
        ("expansion", "contraction.add_on_removal.capacity", -100)]
    assert bridge.attribution.breakdown("tier") == {"2": {"expansion": 150, "contraction": -100}}


def test_fx_parts_and_multi_currency() -> None:
    ds = one_customer([plan("eur", price="100", currency="EUR")],
                      [line("l1", "eur", 2, "2023-06-01", "2024-02-10"),
                       line("l2", "eur", 3, "2024-02-10")], currency="EUR")
    rates = fx("USD", EUR={"2023-01-01": "1.10", "2024-02-01": "1.20"})
    bridge = revenue_bridge(ds, "2024-02", "2024-02", fx=rates)
    assert bridge.attribution is not None
    # 1 more seat of 100 EUR at the opening rate 1.10 = +110 capacity; fx +30 (see test_bridge).
    assert {p.category: p.amount for p in bridge.attribution.parts} == {
        "expansion.add_on.capacity": 110, "fx": 30}
    assert attribute_expansion(bridge, ds, fx=rates) == bridge.attribution


def test_events_method_attributes_each_event() -> None:
    # Upgrade Feb 10, seats up Mar 5 (events): upsell in Feb, capacity in Mar, both in the quarter.
    ds = one_customer([BASIC, PRO], [line("a", "basic", 5, "2023-01-01", "2024-02-10"),
                                     line("b", "pro", 5, "2024-02-10", "2024-03-05"),
                                     line("c", "pro", 7, "2024-03-05")])
    assert parts(ds, "2024-02", "2024-03", method="events") == {
        "expansion.upsell": 50, "expansion.add_on.capacity": 40}
    # The snapshot method sees one change, 50 -> 140: tier +50 at 5 seats, then 2 seats x 20.
    assert parts(ds, "2024-02", "2024-03") == {
        "expansion.upsell": 50, "expansion.add_on.capacity": 40}


def test_parent_level_attribution() -> None:
    from tests.builders import customer
    ds = dataset(customers=[customer("g"), customer("x", parent="g"), customer("y", parent="g")],
                 products=PRODUCTS, plans=[BASIC, DESK],
                 contracts=[contract("kx", "x", [line("x1", "basic", 5, "2023-01-01")]),
                            contract("ky", "y", [line("y1", "desk", 1, "2024-02-10")])])
    # At customer level y is new (no attribution); at parent level the group cross-sells helpdesk.
    assert parts(ds) == {}
    bridge = revenue_bridge(ds, "2024-02", "2024-02", policy=Policy(level="parent"))
    assert bridge.attribution is not None
    assert [(p.entity_id, p.category, p.amount) for p in bridge.attribution.parts] == [
        ("g", "expansion.cross_sell", 30)]


LEGACY = plan("legacy", product="crm", tier=1, price="8")


def migration_dataset() -> Dataset:
    # Customer m moves from the retired "legacy" plan to "basic" (same tier, 8 -> 10 per seat);
    # customer s buys 2 more seats of basic.
    return dataset(plans=[LEGACY, BASIC], contracts=[
        contract("km", "m", [line("m1", "legacy", 5, "2023-01-01", "2024-02-10"),
                             line("m2", "basic", 5, "2024-02-10")]),
        contract("ks", "s", [line("s1", "basic", 3, "2023-01-01", "2024-02-10"),
                             line("s2", "basic", 5, "2024-02-10")])])


@classification_rule("legacy_migration")
def legacy_migration(change: ProductChange) -> RuleAnswer:
    if any(v.plan.id == "legacy" for v in change.before) and change.after:
        return "expansion.migration"
    return None


def test_a_custom_rule_changes_only_what_it_answers() -> None:
    ds = migration_dataset()
    default = revenue_bridge(ds, "2024-02", "2024-02").attribution
    assert default is not None
    # Same tier, other plan: the default calls the +10 a price increase (5 x (10 - 8)).
    assert {(p.entity_id, p.category, p.amount) for p in default.parts} == {
        ("m", "expansion.pricing.price_increase", 10), ("s", "expansion.add_on.capacity", 20)}
    rules = RuleSet.default().with_categories("expansion.migration").with_rule(legacy_migration)
    custom = revenue_bridge(ds, "2024-02", "2024-02", rules=rules).attribution
    assert custom is not None
    assert {(p.entity_id, p.category, p.amount, p.rule) for p in custom.parts} == {
        ("m", "expansion.migration", 10, "legacy_migration"),
        ("s", "expansion.add_on.capacity", 20, "price_volume_mix")}
    assert custom.tree["expansion"] == default.tree["expansion"] == 30
    # Removing the custom rule gives the default result back.
    again = revenue_bridge(ds, "2024-02", "2024-02",
                           rules=rules.without("legacy_migration")).attribution
    assert again is not None and again.parts == default.parts


def test_no_rule_answering_is_explicitly_unclassified() -> None:
    bridge = revenue_bridge(migration_dataset(), "2024-02", "2024-02", rules=RuleSet(rules=()))
    assert bridge.attribution is not None
    assert bridge.attribution.by_category["unclassified"] == 30
    assert {p.rule for p in bridge.attribution.parts} == {"unclassified"}


def _rules_with(rule: object) -> RuleSet:
    return RuleSet.default().with_rule(rule)  # type: ignore[arg-type]


def test_rule_errors_name_the_rule_entity_and_lines() -> None:
    ds = migration_dataset()

    @classification_rule("explodes")
    def explodes(change: ProductChange) -> RuleAnswer:
        raise KeyError("boom")

    where = r"^rule '{}' on entity 'm', lines m1, m2: "
    with pytest.raises(RuleError, match=where.format("explodes") + r"raised KeyError: 'boom'$"):
        revenue_bridge(ds, "2024-02", "2024-02", rules=_rules_with(explodes))

    @classification_rule("unknown")
    def unknown(change: ProductChange) -> RuleAnswer:
        return "expansion.teleport"

    with pytest.raises(RuleError, match=where.format("unknown") + "unknown category 'expansion.teleport'"):
        revenue_bridge(ds, "2024-02", "2024-02", rules=_rules_with(unknown))

    @classification_rule("bad_sum")
    def bad_sum(change: ProductChange) -> RuleAnswer:
        return [("expansion.upsell", change.amount + 1)]

    with pytest.raises(RuleError, match=where.format("bad_sum") + "parts sum to 11, not the change of 10$"):
        revenue_bridge(ds, "2024-02", "2024-02", rules=_rules_with(bad_sum))

    @classification_rule("wrong_sign")
    def wrong_sign(change: ProductChange) -> RuleAnswer:
        return "contraction.downgrade"

    with pytest.raises(RuleError, match=r"a part of 10 cannot sit under 'contraction.downgrade'"):
        revenue_bridge(ds, "2024-02", "2024-02", rules=_rules_with(wrong_sign))

    @classification_rule("floaty")
    def floaty(change: ProductChange) -> RuleAnswer:
        return [("expansion.upsell", 10.0)]  # type: ignore[list-item]

    with pytest.raises(RuleError, match=r"is not a \(category, Decimal\) pair"):
        revenue_bridge(ds, "2024-02", "2024-02", rules=_rules_with(floaty))


def test_rule_set_is_immutable_and_checked() -> None:
    rules = RuleSet.default()
    assert rules.with_rule(legacy_migration).names[0] == "legacy_migration"
    assert rules.names == ("product_added", "product_removed", "price_volume_mix")
    with pytest.raises(RuleError, match="no rule named 'nope'"):
        rules.without("nope")
    with pytest.raises(RuleError, match="is not a rule"):
        RuleSet(rules=(object(),))  # type: ignore[arg-type]
    assert RuleSet.from_description(rules.describe()) == rules


class _FakeEntryPoint:
    def __init__(self, name: str, value: object) -> None:
        self.name = name
        self._value = value

    def load(self) -> object:
        return self._value


def test_rules_are_discovered_from_entry_points_only_when_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import expansion_revenue.rules.ruleset as ruleset_module

    def make_rule() -> object:  # a zero-argument factory, as a package may publish
        rule = classification_rule("legacy_migration")(legacy_migration.function)
        object.__setattr__(rule, "categories", ("expansion.migration",))
        return rule

    calls: list[str] = []

    def fake_entry_points(*, group: str) -> list[_FakeEntryPoint]:
        calls.append(group)
        return [_FakeEntryPoint("legacy", make_rule)] if group == "expansion_revenue.rules" else []

    monkeypatch.setattr(ruleset_module, "entry_points", fake_entry_points)
    assert RuleSet.default().names == ("product_added", "product_removed", "price_volume_mix")
    assert calls == []  # nothing is discovered behind the user's back
    rules = RuleSet.from_entry_points()
    assert calls == ["expansion_revenue.rules"]
    assert rules.names[0] == "legacy_migration"
    assert "expansion.migration" in rules.categories.leaves
    custom = revenue_bridge(migration_dataset(), "2024-02", "2024-02", rules=rules).attribution
    assert custom is not None
    assert ("m", "expansion.migration") in {(p.entity_id, p.category) for p in custom.parts}

    def broken_entry_points(*, group: str) -> list[_FakeEntryPoint]:
        return [_FakeEntryPoint("broken", lambda: 1 / 0)]

    monkeypatch.setattr(ruleset_module, "entry_points", broken_entry_points)
    with pytest.raises(RuleError, match="could not load rule entry point 'broken'"):
        RuleSet.from_entry_points()


def test_attribution_of_a_pooled_entity_does_not_depend_on_data_order() -> None:
    # Regression, found by test_input_order_does_not_matter: when one entity pools several
    # customers (here every customer lacks the segment attribute), the price-volume-mix rule
    # pairs the product's old and new lines; it paired them in data order, so reordering the
    # contracts moved amounts between categories (the net stayed right). Lines are now paired
    # in line-id order. On 2023-01-02: c0 goes from 2 to 3 seats of tier 1 (1 each), c1's free
    # tier-0 line ends, c3 moves from free tier 0 to 1 seat of tier 1 and drops its add-on.
    # Core: 2 -> 3 + 1 = +2; add-on: 2 -> 1 = -1; one pooled entity, expansion +1.
    free, paid = plan("t0", tier=0, price="0"), plan("t1", tier=1, price="1")
    addon = plan("a1", product="addon", price="1")
    contracts = [
        contract("k0", "c0", [line("l001", "t1", qty=2, start="2023-01-01", end="2023-01-02"),
                              line("l002", "t1", qty=3, start="2023-01-02")]),
        contract("k1", "c1", [line("l004", "t0", start="2023-01-01", end="2023-01-02")]),
        contract("k2", "c2", [line("l005", "t0", start="2023-01-01")]),
        contract("k3", "c3", [line("l006", "t0", start="2023-01-01", end="2023-01-02"),
                              line("l007", "t1", start="2023-01-02"),
                              line("l009", "a1", start="2023-01-01", end="2023-01-02")]),
        contract("k4", "c4", [line("l011", "a1", start="2023-01-01")]),
    ]
    products = [product("crm"), product("addon", kind="add_on")]
    policy = Policy(level="attribute:segment")
    trees = set()
    for order in (contracts, contracts[::-1], [contracts[3], contracts[0], contracts[4],
                                               contracts[2], contracts[1]]):
        ds = dataset(products=products, plans=[free, paid, addon], contracts=order)
        bridge = revenue_bridge(ds, "2023-01-01", "2023-01-02", policy=policy)
        assert bridge.expansion == 1
        assert bridge.attribution is not None
        trees.add(tuple(sorted(bridge.attribution.tree.items())))
    assert len(trees) == 1


def test_unit_prices_keep_the_exponent_each_line_was_priced_with() -> None:
    # Customer a pays 10.0 a seat, customer b pays 10; both add a seat on 2024-02-10. The
    # attributor computes unit prices once per distinct terms: "10.0" and "10" are equal but
    # distinct terms, so each line's view keeps its own text (10.0 x 1 month = 10.0), whichever
    # customer comes first in the data.
    seen: dict[str, str] = {}

    @classification_rule("record_units")
    def record_units(change: ProductChange) -> RuleAnswer:
        for view in change.before:
            seen[view.line.id] = str(view.unit_mrr)
        return None

    def data(order: str) -> Dataset:
        contracts = {
            c: contract(f"k{c}", c, [
                line(f"{c}1", "basic", qty=1, end="2024-02-10", unit_price=price),
                line(f"{c}2", "basic", qty=2, start="2024-02-10", unit_price=price)])
            for c, price in (("a", "10.0"), ("b", "10"))}
        return dataset(plans=[BASIC], contracts=[contracts[c] for c in order])

    for order in ("ab", "ba"):
        seen.clear()
        parts(data(order), rules=RuleSet.default().with_rule(record_units))
        assert seen == {"a1": "10.0", "b1": "10"}

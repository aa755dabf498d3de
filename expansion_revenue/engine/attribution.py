"""Expansion attribution: split every expansion and contraction into categorized parts by rules.

For each expansion or contraction movement in a bridge, the entity's lines on the day before and
the day after the change are grouped by product (and contract currency). Each product whose lines
or MRR differ becomes a :class:`~expansion_revenue.rules.change.ProductChange`, and the rule set
is asked in order; the first rule that answers classifies it. What no rule answers is
``unclassified``. FX movements become ``fx`` parts. "Never trust a plugin": a rule that raises,
names an unknown category or splits an amount that does not add up is a
:class:`~expansion_revenue.errors.RuleError` naming the rule, the entity and the lines.
"""

from __future__ import annotations

import datetime
import decimal
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.currency import Converter
from expansion_revenue.engine.entities import entity_resolver
from expansion_revenue.engine.normalize import LineTerms, compile_lines, monthly_factor
from expansion_revenue.errors import RuleError
from expansion_revenue.fx import FxRates
from expansion_revenue.money import EXACT
from expansion_revenue.policy import Policy
from expansion_revenue.records import field_values
from expansion_revenue.results._construct import trusted
from expansion_revenue.results.attribution import AttributedPart, Attribution
from expansion_revenue.results.bridge import Bridge, Movement, MovementKind
from expansion_revenue.rules.change import LineView, Price, ProductChange
from expansion_revenue.rules.ruleset import RuleSet

__all__ = ["Attributor", "attribute_expansion"]

_ONE_DAY = datetime.timedelta(days=1)


def attribute_expansion(
    bridge: Bridge,
    dataset: Dataset,
    *,
    rules: RuleSet | None = None,
    fx: FxRates | None = None,
) -> Attribution:
    """Split a bridge's expansion, contraction and fx movements into categorized parts.

    Args:
        bridge: a bridge computed from ``dataset`` (any method, any entity level).
        dataset: the data the bridge was computed from.
        rules: the rule set (default: :meth:`RuleSet.default`).
        fx: the FX rates the bridge was computed with, if any.

    Raises:
        RuleError: a rule raised, answered an unknown category, or split an amount that does
            not sum to the change.

    >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
    >>> ds, fx = load_example(), load_example_fx()
    >>> bridge = revenue_bridge(ds, "2024-01", "2024-06", fx=fx)
    >>> attribute_expansion(bridge, ds, fx=fx) == bridge.attribution
    True
    """
    return Attributor(dataset, bridge.currency, fx, bridge.policy, rules).attribute(bridge)


class Attributor:
    """Attributes bridges of one dataset under one policy and rule set (built once per series).

    Args:
        dataset: the data.
        currency: the reporting currency.
        fx: FX rates.
        policy: the bridge's policy.
        rules: the rule set.
    """

    def __init__(
        self, dataset: Dataset, currency: str | None, fx: FxRates | None, policy: Policy,
        rules: RuleSet | None, terms: tuple[LineTerms, ...] | None = None,
    ) -> None:
        self.dataset = dataset
        self.policy = policy
        self.rules = rules or RuleSet.default()
        self.converter = Converter.for_dataset(dataset, currency, fx, policy)
        entity_of = entity_resolver(dataset, policy.level)
        self._by_entity: dict[str, list[LineTerms]] = defaultdict(list)
        for term in terms if terms is not None else compile_lines(dataset, policy):
            self._by_entity[entity_of(term.ref.customer.id)].append(term)
        self._unit: dict[tuple[str, str, str], tuple[Price, Price]] = {}
        self._factors: dict[str, Fraction] = {}
        self._known = frozenset(self.rules.categories.leaves)

    def attribute(self, bridge: Bridge) -> Attribution:
        """The attribution of one bridge."""
        return self.attribute_movements(bridge.start, bridge.end, bridge.currency, bridge.method,
                                        bridge.ledger)

    def attribute_movements(
        self, start: datetime.date, end: datetime.date, currency: str, method: str,
        ledger: Sequence[Movement],
    ) -> Attribution:
        """The attribution of a bridge's ledger (before the bridge itself is built)."""
        parts: list[AttributedPart] = []
        totals = {"expansion": Decimal(0), "contraction": Decimal(0), "fx": Decimal(0)}
        # The rows' values: an engine-built ledger is not built into Movement objects here.
        for entity_id, kind, amount, _, _, on, _ in field_values(ledger, Movement):
            if kind is MovementKind.FX:
                parts.append(trusted(AttributedPart,
                    entity_id=entity_id, movement="fx", on=on, category="fx",
                    amount=amount, rule="fx", product_id=None, add_on=False, plan_id=None,
                    tier=None, line_ids=()))
            elif kind is MovementKind.EXPANSION or kind is MovementKind.CONTRACTION:
                parts += self._movement_parts(start, end, method, entity_id, kind, on)
            else:
                continue
            totals[kind.value] = EXACT.add(totals[kind.value], amount)
        return Attribution(start=start, end=end, currency=currency,
                           categories=self.rules.categories, parts=tuple(parts), **totals)

    def _prices(self, term: LineTerms) -> tuple[Price, Price]:
        """The line's ``(list, charged)`` unit prices per month, computed once per distinct terms.

        They depend on the plan, the price charged (its exponent too) and the contract currency
        only: a few thousand distinct terms for millions of lines.
        """
        ref = term.ref
        plan = ref.plan
        charged = ref.line.unit_price.amount if ref.line.unit_price else plan.price.amount
        key = (plan.id, str(charged), term.currency)  # the text: 10.0 and 10 keep their exponents
        found = self._unit.get(key)
        if found is None:
            factor = self._factors.get(plan.id)
            if factor is None:
                factor = self._factors[plan.id] = monthly_factor(plan.interval, self.policy)
            unit = _per_month(charged, factor)
            same_currency = plan.price.currency == term.currency
            listed = _per_month(plan.price.amount, factor) if same_currency else unit
            found = self._unit[key] = (listed, unit)
        return found

    def _views(self, entity: str, day: datetime.date) -> dict[tuple[str, str], list[LineView]]:
        groups: dict[tuple[str, str], list[LineView]] = defaultdict(list)
        for term in self._by_entity.get(entity, ()):
            if day < term.start or (term.end is not None and day >= term.end):
                continue
            ref = term.ref
            listed, unit = self._prices(term)
            discount = ref.line.discount_on(day) if self.policy.discounts_reduce_mrr else Decimal(0)
            groups[(ref.product.id, term.currency)].append(
                LineView(ref.line, ref.plan, term.mrr_on(day), listed, unit, discount))
        # Lines in id order, not data order: rules that pair lines (price-volume-mix) must give
        # the same parts whatever order the data came in (an entity may pool many customers).
        for views in groups.values():
            views.sort(key=_line_id)
        return groups

    def _movement_parts(
        self, start: datetime.date, end: datetime.date, method: str, entity_id: str,
        kind: MovementKind, on: datetime.date | None,
    ) -> list[AttributedPart]:
        """The parts of one expansion or contraction ledger row (its entity, kind and day)."""
        if method == "snapshot" or on is None:
            before_day, after_day, rate_day = start, end, start
        else:
            before_day, after_day, rate_day = on - _ONE_DAY, on, on
        before, after = self._views(entity_id, before_day), self._views(entity_id, after_day)
        movement: Literal["expansion", "contraction"] = (
            "expansion" if kind is MovementKind.EXPANSION else "contraction")
        parts: list[AttributedPart] = []
        for key in sorted(set(before) | set(after)):
            old, new = tuple(before.get(key, ())), tuple(after.get(key, ()))
            if _same(old, new):
                continue
            product_id, currency = key
            rate = self.converter.rate(currency, rate_day)
            local = EXACT.subtract(_total(new), _total(old))
            change = ProductChange(
                entity_id=entity_id, movement=kind, product=self.dataset.product(product_id),
                currency=currency, rate=rate, before=old, after=new, before_day=before_day,
                after_day=after_day, amount=EXACT.multiply(local, rate), catalogue=self.dataset,
                decimal_places=self.policy.mrr_decimal_places)
            rule_name, answer = self._classify(change)
            shown = max(new or old, key=_rank)
            line_ids = change.line_ids
            for category, amount in answer:
                if amount == 0:
                    continue
                parts.append(trusted(AttributedPart,
                    entity_id=entity_id, movement=movement, on=on, category=category,
                    amount=amount, rule=rule_name, product_id=product_id,
                    add_on=change.is_add_on, plan_id=shown.plan.id, tier=shown.plan.tier,
                    line_ids=line_ids))
        return parts

    def _classify(self, change: ProductChange) -> tuple[str, list[tuple[str, Decimal]]]:
        known = self._known
        for rule in self.rules.rules:
            try:
                answer = rule.classify(change)
            except Exception as exc:
                raise RuleError(f"{_where(rule.name, change)}: raised {type(exc).__name__}: {exc}") from exc
            if answer is None:
                continue
            parts = _as_parts(answer, change, rule.name)
            for category, amount in parts:
                if category not in known:
                    raise RuleError(f"{_where(rule.name, change)}: unknown category {category!r} "
                                    "(declare it with RuleSet.with_categories)")
                root = category.split(".", 1)[0]
                if (root == "expansion" and amount < 0) or (root == "contraction" and amount > 0):
                    raise RuleError(f"{_where(rule.name, change)}: a part of {amount} cannot sit "
                                    f"under {category!r}")
            return rule.name, parts
        return "unclassified", [("unclassified", change.amount)]


def _where(rule: str, change: ProductChange) -> str:
    return f"rule {rule!r} on entity {change.entity_id!r}, lines {', '.join(change.line_ids)}"


def _line_id(view: LineView) -> str:
    return view.line.id


def _rank(view: LineView) -> tuple[int, str]:
    return view.plan.tier, view.line.id


def _per_month(amount: Decimal, factor: Fraction) -> Price:
    """A price per interval as a price per month: a Decimal when exact, else a Fraction."""
    if factor.denominator == 1:
        return EXACT.multiply(amount, Decimal(factor.numerator))
    try:
        return EXACT.divide(EXACT.multiply(amount, Decimal(factor.numerator)),
                            Decimal(factor.denominator))
    except (decimal.Inexact, decimal.Rounded):
        return Fraction(amount) * factor


def _as_parts(answer: object, change: ProductChange, rule: str) -> list[tuple[str, Decimal]]:
    amount = change.amount
    if isinstance(answer, str):
        return [(answer, amount)]
    if not isinstance(answer, Sequence):
        raise RuleError(f"{_where(rule, change)}: answered {answer!r}; expected a category, parts or None")
    parts: list[tuple[str, Decimal]] = []
    total = Decimal(0)
    for item in answer:
        if (not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[0], str)
                or not isinstance(item[1], Decimal)):
            raise RuleError(f"{_where(rule, change)}: part {item!r} is not a (category, Decimal) pair")
        parts.append((item[0], item[1]))
        total = EXACT.add(total, item[1])
    if total != amount:
        raise RuleError(f"{_where(rule, change)}: parts sum to {total}, not the change of {amount}")
    return parts


def _total(views: Iterable[LineView]) -> Decimal:
    total = Decimal(0)
    for view in views:
        total = EXACT.add(total, view.mrr_local)
    return total


def _same(old: tuple[LineView, ...], new: tuple[LineView, ...]) -> bool:
    return sorted((v.line.id, v.mrr_local) for v in old) == sorted((v.line.id, v.mrr_local) for v in new)

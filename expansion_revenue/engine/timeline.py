"""Entity timelines: each entity's MRR state after every day on which it changes.

The bridge engine never evaluates every entity on every day. It turns each line into at most
three dated changes (start, discount end, end), groups them by entity and day, and folds them
into a short list of states. An entity's MRR on any day is the state of its latest change on or
before that day, so the cost grows with lines and changes, not with entities x periods.

A state is kept per contract currency (amounts in the contract currency), so it can be valued at
any FX rates later, exactly.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.normalize import LineValues
from expansion_revenue.models import ContractLine
from expansion_revenue.money import EXACT
from expansion_revenue.policy import Policy
from expansion_revenue.records import field_values

__all__ = ["EMPTY", "Change", "Entry", "State", "build_timelines", "collect_lines", "fold",
           "positive"]

#: An entity's MRR by contract currency, as sorted ``(currency, amount)`` pairs.
State = tuple[tuple[str, Decimal], ...]

#: One dated MRR change of a line: ``(day, currency, delta, step, line_id)``, where ``step`` is how
#: the count of active lines changes (+1 at a start, -1 at an end, 0 when a discount ends).
Entry = tuple[datetime.date, str, Decimal, int, str]

#: The state of an entity with no active line.
EMPTY: State = ()

_ZERO = Decimal(0)


def positive(state: State) -> bool:
    """Whether a state has MRR above zero (rates are positive, so currency does not matter).

    >>> positive((("USD", Decimal("0")),)), positive((("EUR", Decimal("5")),))
    (False, True)
    """
    return any(amount > 0 for _, amount in state)


class Change(NamedTuple):
    """An entity's state after all of one day's changes.

    Attributes:
        day: the day the changes take effect.
        state: MRR by currency from this day on.
        active: how many lines are active from this day on (free lines included).
        line_ids: the lines that changed on this day.
        paying: whether the state has MRR above zero (``positive(state)``, computed once).
    """

    day: datetime.date
    state: State
    active: int
    line_ids: tuple[str, ...]
    paying: bool


def build_timelines(
    dataset: Dataset, policy: Policy, entity_of: Callable[[str], str]
) -> dict[str, tuple[Change, ...]]:
    """Fold every line's changes into per-entity timelines, in day order.

    Entities appear in order of their first line in the data, so results do not depend on
    anything but the data; each timeline is sorted by day.
    """
    return {entity: fold(entries)
            for entity, entries in collect_lines(dataset, policy, entity_of).items()}


def collect_lines(
    dataset: Dataset, policy: Policy, entity_of: Callable[[str], str],
) -> dict[str, list[Entry]]:
    """Every line's dated changes, grouped by entity (in order of their first line), unsorted.

    A line's entries are its :meth:`~expansion_revenue.engine.normalize.LineTerms.changes`, with
    the currency, the step in active lines and the line id:

    >>> from expansion_revenue import load_example
    >>> from expansion_revenue.engine.normalize import compile_lines
    >>> ds, policy = load_example(), Policy()
    >>> found = collect_lines(ds, policy, str)
    >>> all([(e[0], e[2]) for e in found[t.ref.customer.id] if e[4] == t.ref.line.id]
    ...     == list(t.changes()) for t in compile_lines(ds, policy))
    True
    """
    raw: dict[str, list[Entry]] = defaultdict(list)
    subtract = EXACT.subtract
    values = LineValues(policy)
    with_discounts = policy.discounts_reduce_mrr
    # The key of LineValues -> the line's deltas: at its start, when its discount ends, and at its
    # end (with and without an earlier discount end). Few distinct keys, millions of lines.
    deltas: dict[tuple[Decimal, int, Decimal, str], tuple[Decimal, Decimal, Decimal, Decimal]] = {}
    plans = {plan.id: plan for plan in dataset.plans}
    last_customer: str | None = None
    entries: list[Entry] = []
    # Contract by contract, line by line (the order of ``dataset.lines``), from the lines' field
    # values: a loader's lines are never built as objects here.
    for contract in dataset.contracts:
        customer_id, currency = contract.customer_id, contract.currency
        if customer_id != last_customer:  # contracts come grouped by customer: look up less often
            entries, last_customer = raw[entity_of(customer_id)], customer_id
        for line_id, plan_id, quantity, unit_price, start, end, discount, discount_end in (
                field_values(contract.lines, ContractLine)):
            price = unit_price.amount if unit_price is not None else plans[plan_id].price.amount
            key = (price, quantity, discount if with_discounts else _ZERO, plan_id)
            found = deltas.get(key)
            if found is None:
                discounted, full = values.of(price, quantity, discount, plans[plan_id])
                found = deltas[key] = (discounted, subtract(full, discounted), -full, -discounted)
            entries.append((start, currency, found[0], 1, line_id))
            if discount_end is not None and (end is None or discount_end < end):
                entries.append((discount_end, currency, found[1], 0, line_id))
                if end is not None:
                    entries.append((end, currency, found[2], -1, line_id))
            elif end is not None:
                entries.append((end, currency, found[3], -1, line_id))
    return raw


def fold(entries: list[Entry]) -> tuple[Change, ...]:
    """One entity's dated changes, sorted by day (stably) and summed day by day into states."""
    entries.sort(key=_day)
    first_currency = entries[0][1]
    if all(entry[1] == first_currency for entry in entries):
        return _fold_one_currency(entries, first_currency)
    amounts: dict[str, Decimal] = {}
    active = 0
    out: list[Change] = []
    index, count = 0, len(entries)
    while index < count:
        day = entries[index][0]
        lines: list[str] = []
        while index < count and entries[index][0] == day:
            _, currency, delta, step, line_id = entries[index]
            amounts[currency] = EXACT.add(amounts.get(currency, _ZERO), delta)
            active += step
            lines.append(line_id)
            index += 1
        state = tuple(sorted((cur, amt) for cur, amt in amounts.items() if amt != 0))
        out.append(Change(day, state, active, tuple(dict.fromkeys(lines)), positive(state)))
    return tuple(out)


def _fold_one_currency(entries: list[Entry], currency: str) -> tuple[Change, ...]:
    amount = _ZERO
    active = 0
    out: list[Change] = []
    index, count = 0, len(entries)
    while index < count:
        day = entries[index][0]
        lines: list[str] = []
        while index < count and entries[index][0] == day:
            entry = entries[index]
            amount = EXACT.add(amount, entry[2])
            active += entry[3]
            lines.append(entry[4])
            index += 1
        state: State = ((currency, amount),) if amount != 0 else EMPTY
        out.append(Change(day, state, active,
                          tuple(lines) if len(lines) == 1 else tuple(dict.fromkeys(lines)),
                          amount > 0))
    return tuple(out)


def _day(entry: Entry) -> datetime.date:
    return entry[0]

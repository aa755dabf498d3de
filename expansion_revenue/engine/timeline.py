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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from expansion_revenue.engine.normalize import LineTerms
from expansion_revenue.money import EXACT

__all__ = ["EMPTY", "Change", "State", "build_timelines", "positive"]

#: An entity's MRR by contract currency, as sorted ``(currency, amount)`` pairs.
State = tuple[tuple[str, Decimal], ...]

#: The state of an entity with no active line.
EMPTY: State = ()


def positive(state: State) -> bool:
    """Whether a state has MRR above zero (rates are positive, so currency does not matter).

    >>> positive((("USD", Decimal("0")),)), positive((("EUR", Decimal("5")),))
    (False, True)
    """
    return any(amount > 0 for _, amount in state)


@dataclass(frozen=True, slots=True)
class Change:
    """An entity's state after all of one day's changes.

    Attributes:
        day: the day the changes take effect.
        state: MRR by currency from this day on.
        active: how many lines are active from this day on (free lines included).
        line_ids: the lines that changed on this day.
    """

    day: datetime.date
    state: State
    active: int
    line_ids: tuple[str, ...]


def build_timelines(
    terms: Iterable[LineTerms], entity_of: Callable[[str], str]
) -> dict[str, tuple[Change, ...]]:
    """Fold every line's changes into per-entity timelines, in day order.

    Entities appear in order of their first line in the data, so results do not depend on
    anything but the data; each timeline is sorted by day.
    """
    raw: dict[str, list[tuple[datetime.date, str, Decimal, int, str]]] = defaultdict(list)
    for term in terms:
        entity = entity_of(term.ref.customer.id)
        line_id = term.ref.line.id
        changes = term.changes()
        last = len(changes) - 1
        for index, (day, delta) in enumerate(changes):
            active = 1 if index == 0 else (-1 if index == last and term.end is not None else 0)
            raw[entity].append((day, term.currency, delta, active, line_id))
    timelines: dict[str, tuple[Change, ...]] = {}
    for entity, entries in raw.items():
        entries.sort(key=lambda entry: entry[0])
        amounts: dict[str, Decimal] = {}
        active = 0
        out: list[Change] = []
        index = 0
        while index < len(entries):
            day = entries[index][0]
            lines: list[str] = []
            while index < len(entries) and entries[index][0] == day:
                _, currency, delta, step, line_id = entries[index]
                amounts[currency] = EXACT.add(amounts.get(currency, Decimal(0)), delta)
                active += step
                lines.append(line_id)
                index += 1
            state = tuple(sorted((cur, amt) for cur, amt in amounts.items() if amt != 0))
            out.append(Change(day, state, active, tuple(dict.fromkeys(lines))))
        timelines[entity] = tuple(out)
    return timelines

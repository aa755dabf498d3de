"""Walking each entity's dated MRR changes into the ledger rows of every period it moves in.

This is the bridge engine's inner loop (the classification table is in :mod:`.bridge`). Its input
is each entity's list of :data:`~expansion_revenue.engine.timeline.Entry` (the dated MRR deltas of
its lines); its output, per period, the ledger rows, the entities that moved, and the MRR
deltas by contract currency (from which the bridge's starting and ending totals are summed).

Two implementations of the same semantics:

* the **general** walk folds an entity's entries into a timeline of states by currency
  (:func:`~expansion_revenue.engine.timeline.fold`) and values each state at FX rates;
* the **one-currency** walk, for the common entity whose lines all share one contract currency,
  works on a single running Decimal and never builds the timeline.

:func:`walk_entities` picks the one-currency walk where it applies unless told to use the general
walk everywhere; the test suite checks on generated data that both give identical bridges.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, localcontext
from operator import itemgetter

from expansion_revenue.engine.currency import Converter
from expansion_revenue.engine.timeline import EMPTY, Change, Entry, State, fold
from expansion_revenue.money import EXACT
from expansion_revenue.policy import Policy
from expansion_revenue.results.bridge import BridgeMethod, MovementKind

__all__ = ["PROGRESS_EVERY", "Classifier", "Moved", "PeriodRows", "Row", "Valuer", "walk_entities"]

#: A ledger row's field values, in :class:`~expansion_revenue.results.bridge.Movement`'s order:
#: ``(entity_id, kind, amount, prev_mrr, cur_mrr, on, line_ids)``.
Row = tuple[str, MovementKind, Decimal, Decimal, Decimal, "datetime.date | None", tuple[str, ...]]
#: An entity change's field values (:class:`~expansion_revenue.results.bridge.EntityChange`):
#: ``(entity_id, start_mrr, end_mrr)``.
Moved = tuple[str, Decimal, Decimal]

#: How many entities :func:`walk_entities` walks between two progress reports.
PROGRESS_EVERY = 10_000

_ZERO = Decimal(0)
_DAY = itemgetter(0)  # an entry's day
_NEW, _REACTIVATION = MovementKind.NEW, MovementKind.REACTIVATION
_EXPANSION, _CONTRACTION = MovementKind.EXPANSION, MovementKind.CONTRACTION
_CHURN, _FX = MovementKind.CHURN, MovementKind.FX


class Valuer:
    """Values states at FX rates, caching each (currency, day) rate."""

    def __init__(self, converter: Converter) -> None:
        self.converter = converter
        self.reporting = converter.currency
        #: Whether rates differ between dates (spot basis), so a foreign amount has an fx effect.
        self.spot = converter.constant_date is None
        self._rates: dict[tuple[str, datetime.date], Decimal] = {}

    def rate(self, currency: str, day: datetime.date) -> Decimal:
        """The rate of ``currency`` into the reporting currency for ``day`` (cached)."""
        key = (currency, day)
        found = self._rates.get(key)
        if found is None:
            found = self._rates[key] = self.converter.rate(currency, day)
        return found

    def value(self, state: State, day: datetime.date) -> Decimal:
        """A state's MRR in the reporting currency on ``day``."""
        if len(state) == 1 and state[0][0] == self.reporting:
            return state[0][1]
        total = _ZERO
        for currency, amount in state:
            if currency != self.reporting:
                amount = EXACT.multiply(amount, self.rate(currency, day))
            total = EXACT.add(total, amount)
        return total

    def amount_value(self, currency: str) -> Callable[[Decimal, datetime.date], Decimal]:
        """``value`` for a one-currency state given as its amount (``value(((currency, a),), day)``)."""
        if currency == self.reporting:
            return _as_is
        rate, multiply, add = self.rate, EXACT.multiply, EXACT.add

        def converted(amount: Decimal, day: datetime.date) -> Decimal:
            return add(_ZERO, multiply(amount, rate(currency, day))) if amount else _ZERO

        return converted

    def foreign(self, changes: tuple[Change, ...]) -> bool:
        """Whether an entity ever holds another currency than the reporting one (spot rates)."""
        if not self.spot:
            return False
        return any(c != self.reporting for change in changes for c, _ in change.state)


def _as_is(amount: Decimal, day: datetime.date) -> Decimal:
    """The value of a reporting-currency amount: itself (zero as ``Decimal(0)``, like ``EMPTY``)."""
    return amount or _ZERO


class Classifier:
    """Classifies one entity's move from ``prev`` to ``cur`` MRR under a policy."""

    def __init__(self, policy: Policy) -> None:
        self.window = policy.reactivation_window_days
        self.free_is_expansion = policy.free_to_paid == "expansion"

    def kind(
        self, prev: Decimal, cur: Decimal, prev_active: int, cur_active: int,
        returned_on: datetime.date, had_revenue: bool, churned_on: datetime.date | None,
    ) -> MovementKind | None:
        """The movement, or ``None``; ``had_revenue`` and ``churned_on`` describe the past."""
        if prev > 0:
            if cur > 0:
                if cur > prev:
                    return _EXPANSION
                return _CONTRACTION if cur < prev else None
            if cur == 0:
                return _CONTRACTION if self.free_is_expansion and cur_active > 0 else _CHURN
            return None
        if prev == 0 and cur > 0:
            if self.free_is_expansion and prev_active > 0:
                return _EXPANSION
            if not had_revenue:
                return _NEW
            if self.window is None or churned_on is None:
                return _REACTIVATION
            return _REACTIVATION if (returned_on - churned_on).days <= self.window else _NEW
        return None


class PeriodRows:
    """What the walk gathers for each period ``k`` (1-based): rows, moved entities, deltas.

    Rows and moved entities are kept as field values (:data:`Row`, :data:`Moved`); the bridge
    turns them into :class:`~expansion_revenue.records.Records`.

    ``deltas[currency][k]`` (``k`` from 0, one per boundary) lists MRR changes in that contract
    currency that take effect after boundary ``k - 1`` and by boundary ``k`` (``k = 0``: by the
    first one); :meth:`sink` gives a currency's lists. Only their sum counts: a walk may list an
    entity's changes one by one or summed over a stretch of days.
    """

    def __init__(self, periods: int) -> None:
        self.rows: list[list[Row]] = [[] for _ in range(periods)]
        self.moved: list[list[Moved]] = [[] for _ in range(periods)]
        self.deltas: dict[str, list[list[Decimal]]] = {}
        self._boundaries = periods + 1

    def sink(self, currency: str) -> list[list[Decimal]]:
        """The lists of changes in ``currency``, one per boundary (made on first use)."""
        found = self.deltas.get(currency)
        if found is None:
            found = self.deltas[currency] = [[] for _ in range(self._boundaries)]
        return found

    def totals(self) -> list[State]:
        """Total MRR by contract currency on each boundary (the deltas, accumulated)."""
        amounts: dict[str, Decimal] = {}
        out: list[State] = []
        with localcontext(EXACT):  # ``sum`` adds with ``+``: exactly, or it traps
            for k in range(self._boundaries):
                for currency, sink in self.deltas.items():
                    if sink[k]:
                        amounts[currency] = amounts.get(currency, _ZERO) + sum(sink[k], _ZERO)
                out.append(tuple(sorted((c, a) for c, a in amounts.items() if a != 0)))
        return out


def walk_entities(
    entries: dict[str, list[Entry]], boundaries: tuple[datetime.date, ...], method: BridgeMethod,
    valuer: Valuer, classifier: Classifier, out: PeriodRows, *, general: bool = False,
    one_currency: bool = False,
) -> Iterator[int]:
    """Walk every entity (consuming ``entries``), yielding the count done every few thousand.

    The count is yielded every :data:`PROGRESS_EVERY` entities.
    Entities are walked in the order of ``entries``; each is removed once walked, so the memory
    of the inputs is freed as the ledger grows. ``general=True`` uses the general walk for
    every entity (the reference the one-currency walk is tested against). ``one_currency=True``
    says the data has one contract currency, so no entity needs checking for several.
    """
    snapshot = method == "snapshot"
    one = _snapshot_one_currency if snapshot else _events_one_currency
    walk = _walk_snapshot if snapshot else _walk_events
    rows, moved, sink = out.rows, out.moved, out.sink
    find, last = bisect.bisect_left, len(boundaries)
    period_of = _PeriodOf(boundaries)
    if one_currency and not general and entries:  # every entity in one walk
        currency = next(iter(entries.values()))[0][1]
        yield from one(_drained(entries), currency, boundaries, period_of, valuer, classifier,
                       rows, moved, sink(currency))
        return
    for done, entity in enumerate(list(entries), start=1):
        items = entries.pop(entity)
        currency = items[0][1]
        if not general and all(item[1] == currency for item in items):
            for _ in one(((entity, items),), currency, boundaries, period_of, valuer, classifier,
                         rows, moved, sink(currency)):
                pass
        else:
            for day, item_currency, delta, _, _ in items:
                k = find(boundaries, day)  # the change counts from boundary k on
                if k < last:
                    sink(item_currency)[k].append(delta)
            walk(entity, fold(items), boundaries, valuer, classifier, rows, moved)
        if done % PROGRESS_EVERY == 0:
            yield done


def _drained(entries: dict[str, list[Entry]]) -> Iterator[tuple[str, list[Entry]]]:
    """Each entity and its entries, removed from ``entries`` as it is given (memory freed)."""
    for entity in list(entries):
        yield entity, entries.pop(entity)


class _PeriodOf(dict[datetime.date, int]):
    """Day -> the index of the first boundary on or after it (``bisect_left``), cached per day."""

    def __init__(self, boundaries: tuple[datetime.date, ...]) -> None:
        super().__init__()
        self.boundaries = boundaries

    def __missing__(self, day: datetime.date) -> int:
        k = self[day] = bisect.bisect_left(self.boundaries, day)
        return k


def _snapshot_one_currency(
    batch: Iterable[tuple[str, list[Entry]]], currency: str,
    boundaries: tuple[datetime.date, ...], period_of: _PeriodOf, valuer: Valuer,
    classifier: Classifier, rows: list[list[Row]], moved: list[list[Moved]],
    sink: list[list[Decimal]],
) -> Iterator[int]:
    """The snapshot walk of each entity of ``batch``, whose items are all in ``currency``.

    Sorts each entity's items by day; yields the count of entities done every
    :data:`PROGRESS_EVERY` entities.

    The hottest loop of the library, so it is written out: a period is closed in one place (a
    change in a later period, or the end of the items, closes it), a reporting-currency amount
    is its own value, and a move between two positive amounts is classified here (it depends on
    no policy); every other move goes to :meth:`Classifier.kind`. The changes for the totals go
    to ``sink`` summed per boundary (see :func:`_events_one_currency`).
    """
    value = valuer.amount_value(currency)
    plain = currency == valuer.reporting  # amounts are values: no conversion
    fx_moves = valuer.spot and not plain
    periods = len(boundaries) - 1
    add, subtract, kind_of = EXACT.add, EXACT.subtract, classifier.kind
    for done, (entity, items) in enumerate(batch, start=1):
        items.sort(key=_DAY)
        amount, active, paying = _ZERO, 0, False
        had_revenue, churned_on = False, None
        open_k = 0  # the period being gathered (0: none yet)
        prev_amount, prev_active = _ZERO, 0
        returned_on: datetime.date | None = None
        return_had, return_churned = False, None
        lines: list[str] = []
        sink_k, sink_from = -1, _ZERO  # the boundary whose changes are being summed, from what
        index, count = 0, len(items)
        while True:
            if index < count:
                day = items[index][0]
                k = period_of[day]
            else:
                k = periods + 1  # past the last period: close the open one and stop
            if k != sink_k:
                if sink_k >= 0:
                    sink[sink_k].append(subtract(amount, sink_from))
                sink_k, sink_from = k, amount
            if open_k and k != open_k:  # close period open_k: its row, fx row, moved entity
                t0 = boundaries[open_k - 1]
                if plain:
                    prev, cur_constant = prev_amount or _ZERO, amount or _ZERO
                else:
                    prev, cur_constant = value(prev_amount, t0), value(amount, t0)
                if prev > 0 and cur_constant > 0:
                    kind = (_EXPANSION if cur_constant > prev
                            else _CONTRACTION if cur_constant < prev else None)
                else:
                    kind = kind_of(prev, cur_constant, prev_active, active,
                                   returned_on or boundaries[open_k], return_had, return_churned)
                period_rows = rows[open_k - 1]
                if kind is not None:
                    period_rows.append((
                        entity, kind, subtract(cur_constant, prev), prev, cur_constant, None,
                        (lines[0],) if len(lines) == 1 else tuple(dict.fromkeys(lines))))
                cur = value(amount, boundaries[open_k]) if fx_moves else cur_constant
                if cur != cur_constant:
                    period_rows.append((entity, _FX, subtract(cur, cur_constant), prev, cur, None, ()))
                    moved[open_k - 1].append((entity, prev, cur))
                elif kind is not None:
                    moved[open_k - 1].append((entity, prev, cur))
            if k > periods:
                break
            new_amount, new_active = amount, active
            day_lines = []
            while index < count:
                item_day, _, delta, step, line_id = items[index]
                if item_day != day:
                    break
                new_amount = add(new_amount, delta)
                new_active += step
                day_lines.append(line_id)
                index += 1
            new_paying = new_amount > 0
            if k:
                if k != open_k:
                    if fx_moves and amount:
                        _fx_only(entity, amount, range(open_k + 1, k), boundaries, value, rows,
                                 moved, False)
                    open_k, prev_amount, prev_active = k, amount, active
                    returned_on, lines = None, []
                if returned_on is None and not paying and new_paying:
                    returned_on, return_had, return_churned = day, had_revenue, churned_on
                lines += day_lines
            if new_paying:
                had_revenue = True
            elif paying:
                churned_on = day
            amount, active, paying = new_amount, new_active, new_paying
        if fx_moves and amount:
            _fx_only(entity, amount, range(open_k + 1, periods + 1), boundaries, value, rows, moved,
                     False)
        if done % PROGRESS_EVERY == 0:
            yield done


def _fx_only(
    entity: str, amount: Decimal, ks: range, boundaries: tuple[datetime.date, ...],
    value: Callable[[Decimal, datetime.date], Decimal], rows: list[list[Row]],
    moved: list[list[Moved]], events: bool,
) -> None:
    """The fx rows of periods in which a foreign-currency entity did not change.

    The amount is computed as the general walk computes it for the method (``cur - prev`` or
    ``cur - prev - 0``), so the two walks give the same Decimals, exponent included.
    """
    subtract = EXACT.subtract
    for k in ks:
        prev, cur = value(amount, boundaries[k - 1]), value(amount, boundaries[k])
        if cur != prev:
            effect = subtract(subtract(cur, prev), _ZERO) if events else subtract(cur, prev)
            rows[k - 1].append((entity, _FX, effect, prev, cur, None, ()))
            moved[k - 1].append((entity, prev, cur))


def _events_one_currency(
    batch: Iterable[tuple[str, list[Entry]]], currency: str,
    boundaries: tuple[datetime.date, ...], period_of: _PeriodOf, valuer: Valuer,
    classifier: Classifier, rows: list[list[Row]], moved: list[list[Moved]],
    sink: list[list[Decimal]],
) -> Iterator[int]:
    """The events walk of each entity of ``batch``, whose items are all in ``currency``.

    Sorts each entity's items by day; yields the count of entities done every
    :data:`PROGRESS_EVERY` entities.

    The changes for the totals go to ``sink`` summed over each stretch of days that counts
    towards one boundary: the amount at its end minus the amount before it. That is exactly the
    sum of the day-by-day changes, exponent included (an exact sum has the smallest exponent
    of its terms, and the running amount's exponent only ever falls).
    """
    value = valuer.amount_value(currency)
    fx_moves = valuer.spot and currency != valuer.reporting
    periods = len(boundaries) - 1
    add, subtract, kind_of = EXACT.add, EXACT.subtract, classifier.kind
    for done, (entity, items) in enumerate(batch, start=1):
        items.sort(key=_DAY)
        amount, active, paying = _ZERO, 0, False
        had_revenue, churned_on = False, None
        open_k = 0
        prev, moved_by, emitted = _ZERO, _ZERO, False
        sink_k, sink_from = -1, _ZERO
        index, count = 0, len(items)
        while index < count:
            day = items[index][0]
            k = period_of[day]
            if k > periods:
                break
            if k != sink_k:
                if sink_k >= 0:
                    sink[sink_k].append(subtract(amount, sink_from))
                sink_k, sink_from = k, amount
            new_amount, new_active = amount, active
            day_lines = []
            while index < count:
                item_day, _, delta, step, line_id = items[index]
                if item_day != day:
                    break
                new_amount = add(new_amount, delta)
                new_active += step
                day_lines.append(line_id)
                index += 1
            new_paying = new_amount > 0
            if k:
                if k != open_k:
                    if open_k:
                        _close_events(entity, open_k, prev, value(amount, boundaries[open_k]),
                                      moved_by, emitted, rows, moved)
                    if fx_moves and amount:
                        _fx_only(entity, amount, range(open_k + 1, k), boundaries, value, rows,
                                 moved, True)
                    open_k, prev, moved_by, emitted = k, value(amount, boundaries[k - 1]), _ZERO, False
                before, after = value(amount, day), value(new_amount, day)
                kind = kind_of(before, after, active, new_active, day, had_revenue, churned_on)
                if kind is not None:
                    rows[k - 1].append((
                        entity, kind, subtract(after, before), before, after, day,
                        (day_lines[0],) if len(day_lines) == 1 else tuple(dict.fromkeys(day_lines))))
                    moved_by = add(moved_by, subtract(after, before))
                    emitted = True
            if new_paying:
                had_revenue = True
            elif paying:
                churned_on = day
            amount, active, paying = new_amount, new_active, new_paying
        if sink_k >= 0:
            sink[sink_k].append(subtract(amount, sink_from))
        if open_k:
            _close_events(entity, open_k, prev, value(amount, boundaries[open_k]), moved_by,
                          emitted, rows, moved)
        if fx_moves and amount:
            _fx_only(entity, amount, range(open_k + 1, periods + 1), boundaries, value, rows, moved,
                     True)
        if done % PROGRESS_EVERY == 0:
            yield done


def _close_events(
    entity: str, k: int, prev: Decimal, cur: Decimal, moved_by: Decimal, emitted: bool,
    rows: list[list[Row]], moved: list[list[Moved]],
) -> None:
    """The fx row and moved entity of events period ``k`` (``prev`` and ``cur``: its end values).

    ``moved_by`` is the sum of the period's movement rows (``emitted``: there was one); the fx
    row is the rest of the change.
    """
    fx_effect = EXACT.subtract(EXACT.subtract(cur, prev), moved_by)
    if fx_effect != 0:
        rows[k - 1].append((entity, _FX, fx_effect, prev, cur, None, ()))
    if emitted or fx_effect != 0:
        moved[k - 1].append((entity, prev, cur))


# ---------------------------------------------------------------------------------------------
# The general walk: any number of currencies, over a folded timeline.


class _History:
    """What an entity's past says about a return: did it pay before, and when did it stop."""

    __slots__ = ("churned_on", "had_revenue")

    def __init__(self, had_revenue: bool = False, churned_on: datetime.date | None = None) -> None:
        self.had_revenue = had_revenue
        self.churned_on = churned_on

    def record(self, was_paying: bool, change: Change) -> None:
        if change.paying:
            self.had_revenue = True
        elif was_paying:
            self.churned_on = change.day


def _opening(
    changes: tuple[Change, ...], opening_day: datetime.date
) -> tuple[int, State, int, bool, _History]:
    """The entity's state and history on the opening day; index of its first later change."""
    history = _History()
    state: State = EMPTY
    active = 0
    paying = False
    index = 0
    while index < len(changes) and changes[index].day <= opening_day:
        change = changes[index]
        history.record(paying, change)
        state, active, paying = change.state, change.active, change.paying
        index += 1
    return index, state, active, paying, history


def _periods_to_visit(
    changes: tuple[Change, ...], start_index: int, foreign: bool,
    boundaries: tuple[datetime.date, ...],
) -> list[int] | range:
    """Periods (1-based) in which the entity changes, or every period if it holds foreign money."""
    periods = len(boundaries) - 1
    if foreign:
        return range(1, periods + 1)
    visit: list[int] = []
    for change in changes[start_index:]:
        k = bisect.bisect_left(boundaries, change.day)
        if k > periods:
            break
        if not visit or visit[-1] != k:
            visit.append(k)
    return visit


def _walk_snapshot(
    entity: str, changes: tuple[Change, ...], boundaries: tuple[datetime.date, ...],
    valuer: Valuer, classifier: Classifier, rows: list[list[Row]],
    moved: list[list[Moved]],
) -> None:
    index, state, active, paying, history = _opening(changes, boundaries[0])
    foreign = valuer.foreign(changes)
    for k in _periods_to_visit(changes, index, foreign, boundaries):
        t0, t1 = boundaries[k - 1], boundaries[k]
        prev_state, prev_active = state, active
        returned_on: datetime.date | None = None
        return_history = history
        lines: list[str] = []
        while index < len(changes) and changes[index].day <= t1:
            change = changes[index]
            if returned_on is None and not paying and change.paying:
                returned_on = change.day
                return_history = _History(history.had_revenue, history.churned_on)
            history.record(paying, change)
            state, active, paying = change.state, change.active, change.paying
            lines.extend(change.line_ids)
            index += 1
        prev = valuer.value(prev_state, t0)
        cur_constant = valuer.value(state, t0)
        kind = classifier.kind(prev, cur_constant, prev_active, active, returned_on or t1,
                               return_history.had_revenue, return_history.churned_on)
        if kind is not None:
            rows[k - 1].append((entity, kind, EXACT.subtract(cur_constant, prev), prev,
                                cur_constant, None, tuple(dict.fromkeys(lines))))
        cur = valuer.value(state, t1) if foreign else cur_constant
        if cur != cur_constant:
            rows[k - 1].append((entity, _FX, EXACT.subtract(cur, cur_constant), prev, cur, None, ()))
        if kind is not None or cur != cur_constant:
            moved[k - 1].append((entity, prev, cur))


def _walk_events(
    entity: str, changes: tuple[Change, ...], boundaries: tuple[datetime.date, ...],
    valuer: Valuer, classifier: Classifier, rows: list[list[Row]],
    moved: list[list[Moved]],
) -> None:
    index, state, active, paying, history = _opening(changes, boundaries[0])
    foreign = valuer.foreign(changes)
    for k in _periods_to_visit(changes, index, foreign, boundaries):
        t0, t1 = boundaries[k - 1], boundaries[k]
        prev = valuer.value(state, t0)
        moved_by = _ZERO
        emitted = False
        while index < len(changes) and changes[index].day <= t1:
            change = changes[index]
            before = valuer.value(state, change.day)
            after = valuer.value(change.state, change.day)
            kind = classifier.kind(before, after, active, change.active, change.day,
                                   history.had_revenue, history.churned_on)
            if kind is not None:
                rows[k - 1].append((entity, kind, EXACT.subtract(after, before), before, after,
                                    change.day, change.line_ids))
                moved_by = EXACT.add(moved_by, EXACT.subtract(after, before))
                emitted = True
            history.record(paying, change)
            state, active, paying = change.state, change.active, change.paying
            index += 1
        _close_events(entity, k, prev, valuer.value(state, t1), moved_by, emitted, rows, moved)

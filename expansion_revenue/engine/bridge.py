"""The revenue bridge engine: starting MRR + movements = ending MRR, exactly, for any period.

For a period ``(t0, t1]`` and an entity level (``Policy.level``), each entity's movement is
classified (DESIGN.md section 3):

====================  ======================================================  ==============
movement              condition                                               amount
====================  ======================================================  ==============
new                   prev = 0, cur > 0, never had MRR before                 +cur
reactivation          prev = 0, cur > 0, had MRR before (within the window)   +cur
expansion             0 < prev < cur                                          cur - prev
contraction           0 < cur < prev                                          cur - prev
churn                 prev > 0, cur = 0                                       -prev
fx                    exchange rates alone                                    the rest
====================  ======================================================  ==============

Two methods:

* ``snapshot`` compares each entity's MRR at the two endpoints (finance ARR-bridge style). An
  upgrade followed by a downgrade inside the period nets out.
* ``events`` classifies every change on the day it happens (ChartMogul style), so the same
  customer shows an expansion and a contraction. Event bridges are additive over sub-periods.

FX (``Policy.fx_basis == "spot"``): endpoints are valued at their own dates' rates. In the snapshot
method a movement is valued at the period's opening rates; in the events method at the rates of
the day it happens. What the rates alone changed is the ``fx`` line, per entity, so
``starting + new + reactivation + expansion + contraction + churn + fx == ending`` holds exactly.

The cost grows with contract lines and change days, not with entities x periods: each entity is
visited only in the periods where it changes (and, when it holds a foreign currency under spot
rates, in every period, for its FX effect).
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Callable
from decimal import Decimal

from expansion_revenue._gc import collection_paused
from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.attribution import Attributor
from expansion_revenue.engine.currency import Converter
from expansion_revenue.engine.entities import entity_resolver
from expansion_revenue.engine.normalize import LineTerms, compile_lines
from expansion_revenue.engine.timeline import EMPTY, Change, State, build_timelines
from expansion_revenue.errors import InvalidPeriodError
from expansion_revenue.fx import FxRates
from expansion_revenue.money import EXACT
from expansion_revenue.periods import Frequency, resolve_period, series_boundaries
from expansion_revenue.policy import Policy
from expansion_revenue.results._construct import trusted
from expansion_revenue.results.bridge import (
    Bridge,
    BridgeMethod,
    BridgeSeries,
    EntityChange,
    Movement,
    MovementKind,
)
from expansion_revenue.rules.ruleset import RuleSet

__all__ = ["Progress", "bridge_series", "revenue_bridge"]

_ZERO = Decimal(0)
_PROGRESS_EVERY = 10_000

#: A progress callback: ``(phase, done, total)``, called synchronously by the engine at the start
#: and end of each phase ("compile lines", "walk entities", "build bridges") and every 10,000
#: entities. It must not change anything the engine uses; an exception it raises propagates
#: (a way to cancel).
Progress = Callable[[str, int, int], None]


def revenue_bridge(
    dataset: Dataset,
    start: datetime.date | str,
    end: datetime.date | str,
    *,
    method: BridgeMethod = "snapshot",
    currency: str | None = None,
    fx: FxRates | None = None,
    policy: Policy | None = None,
    rules: RuleSet | None = None,
    attribution: bool = True,
    progress: Progress | None = None,
) -> Bridge:
    """The revenue bridge of ``(start, end]``.

    Args:
        dataset: the validated data.
        start: opening snapshot date, or ``YYYY-MM`` for "from the start of that month".
        end: closing snapshot date, or ``YYYY-MM`` for "to the end of that month".
        method: ``snapshot`` (endpoints per entity) or ``events`` (every change as it happens).
        currency: reporting currency (default: ``fx.target`` or the data's only currency).
        fx: FX rates into the reporting currency.
        policy: conventions (entity level, reactivation window, FX basis ...).
        rules: classification rules for the attribution (default: ``RuleSet.default()``).
        attribution: whether to attribute expansion and contraction (``bridge.attribution``);
            ``False`` skips that work when only the bridge figures are needed.
        progress: optional callback ``(phase, done, total)`` for long runs (see :data:`Progress`).

    Raises:
        InvalidPeriodError: start after end, an unreadable date, an unknown method.
        MissingRateError: a currency has no FX rate on a date the bridge needs.

    >>> from expansion_revenue import load_example, load_example_fx
    >>> b = revenue_bridge(load_example(), "2024-01", "2024-03", fx=load_example_fx())
    >>> b.start, b.end
    (datetime.date(2023, 12, 31), datetime.date(2024, 3, 31))
    >>> b.starting_mrr + b.new + b.reactivation + b.expansion + b.contraction + b.churn + b.fx == b.ending_mrr
    True
    """
    policy = policy or Policy()
    first, last = resolve_period(start, end, policy.month_snapshot)
    with collection_paused():
        return _bridges(dataset, (first, last), method, currency, fx, policy,
                        rules if attribution else None, attribution, progress)[0]


def bridge_series(
    dataset: Dataset,
    start: datetime.date | str,
    end: datetime.date | str,
    *,
    freq: Frequency = "month",
    method: BridgeMethod = "snapshot",
    currency: str | None = None,
    fx: FxRates | None = None,
    policy: Policy | None = None,
    rules: RuleSet | None = None,
    attribution: bool = True,
    progress: Progress | None = None,
) -> BridgeSeries:
    """Consecutive bridges from ``start`` to ``end``, one per ``freq``; each ends where the next starts.

    ``start`` and ``end`` are snapshot dates or ``YYYY-MM`` months: ``("2024-01", "2024-12")`` gives
    the twelve monthly bridges of 2024. Month, quarter and year periods close on the policy's month
    snapshot day. Other arguments as in :func:`revenue_bridge`.

    >>> from expansion_revenue import load_example, load_example_fx
    >>> s = bridge_series(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    >>> [str(b.end) for b in s.bridges][:3]
    ['2024-01-31', '2024-02-29', '2024-03-31']
    """
    policy = policy or Policy()
    boundaries = series_boundaries(start, end, freq, policy.month_snapshot)
    with collection_paused():
        return BridgeSeries(bridges=tuple(_bridges(dataset, boundaries, method, currency, fx,
                                                   policy, rules, attribution, progress)))


class _Valuer:
    """Values states at FX rates, caching each (currency, day) rate."""

    def __init__(self, converter: Converter) -> None:
        self.converter = converter
        self.reporting = converter.currency
        self._rates: dict[tuple[str, datetime.date], Decimal] = {}

    def rate(self, currency: str, day: datetime.date) -> Decimal:
        key = (currency, day)
        found = self._rates.get(key)
        if found is None:
            found = self._rates[key] = self.converter.rate(currency, day)
        return found

    def value(self, state: State, day: datetime.date) -> Decimal:
        if len(state) == 1 and state[0][0] == self.reporting:
            return state[0][1]
        total = _ZERO
        for currency, amount in state:
            if currency != self.reporting:
                amount = EXACT.multiply(amount, self.rate(currency, day))
            total = EXACT.add(total, amount)
        return total

    def foreign(self, changes: tuple[Change, ...]) -> bool:
        """Whether an entity ever holds another currency than the reporting one (spot rates)."""
        if self.converter.constant_date is not None:
            return False
        return any(c != self.reporting for change in changes for c, _ in change.state)


class _Classifier:
    """Classifies one entity's move from ``prev`` to ``cur`` MRR under a policy."""

    def __init__(self, policy: Policy) -> None:
        self.window = policy.reactivation_window_days
        self.free_is_expansion = policy.free_to_paid == "expansion"

    def kind(
        self, prev: Decimal, cur: Decimal, prev_active: int, cur_active: int,
        returned_on: datetime.date, history: _History,
    ) -> MovementKind | None:
        if prev > 0 and cur > 0:
            if cur > prev:
                return MovementKind.EXPANSION
            return MovementKind.CONTRACTION if cur < prev else None
        if prev == 0 and cur > 0:
            if self.free_is_expansion and prev_active > 0:
                return MovementKind.EXPANSION
            if not history.had_revenue:
                return MovementKind.NEW
            if self.window is None or history.churned_on is None:
                return MovementKind.REACTIVATION
            within = (returned_on - history.churned_on).days <= self.window
            return MovementKind.REACTIVATION if within else MovementKind.NEW
        if prev > 0 and cur == 0:
            if self.free_is_expansion and cur_active > 0:
                return MovementKind.CONTRACTION
            return MovementKind.CHURN
        return None


class _History:
    """What an entity's past says about a return: did it pay before, and when did it stop."""

    __slots__ = ("churned_on", "had_revenue")

    def __init__(self) -> None:
        self.had_revenue = False
        self.churned_on: datetime.date | None = None

    def record(self, was_paying: bool, change: Change) -> None:
        if change.paying:
            self.had_revenue = True
        elif was_paying:
            self.churned_on = change.day


def _bridges(
    dataset: Dataset,
    boundaries: tuple[datetime.date, ...],
    method: BridgeMethod,
    currency: str | None,
    fx: FxRates | None,
    policy: Policy,
    rules: RuleSet | None,
    attribution: bool,
    progress: Progress | None = None,
) -> list[Bridge]:
    if method not in ("snapshot", "events"):
        raise InvalidPeriodError(f"method must be 'snapshot' or 'events', got {method!r}")
    report = progress or _silent
    converter = Converter.for_dataset(dataset, currency, fx, policy)
    valuer = _Valuer(converter)
    report("compile lines", 0, len(dataset.lines))
    terms = compile_lines(dataset, policy)
    report("compile lines", len(terms), len(terms))
    timelines = build_timelines(terms, entity_resolver(dataset, policy.level))
    periods = len(boundaries) - 1
    rows: list[list[Movement]] = [[] for _ in range(periods)]
    moved: list[list[EntityChange]] = [[] for _ in range(periods)]
    walk = _walk_snapshot if method == "snapshot" else _walk_events
    classifier = _Classifier(policy)
    count = len(timelines)
    report("walk entities", 0, count)
    totals = _local_totals(terms, boundaries)
    attributor = Attributor(dataset, currency, fx, policy, rules, terms) if attribution else None
    del terms  # the attributor keeps what it needs; the rest is freed before the ledger grows
    # Timelines are consumed as they are walked, so their memory is freed while the ledger grows.
    for done, entity in enumerate(list(timelines), start=1):
        walk(entity, timelines.pop(entity), boundaries, valuer, classifier, rows, moved)
        if done % _PROGRESS_EVERY == 0:
            report("walk entities", done, count)
    report("walk entities", count, count)
    bridges = []
    for k in range(1, periods + 1):
        by_kind: dict[MovementKind, Decimal] = dict.fromkeys(MovementKind, _ZERO)
        for row in rows[k - 1]:
            by_kind[row.kind] = EXACT.add(by_kind[row.kind], row.amount)
        sums = {kind.value: amount for kind, amount in by_kind.items()}
        ledger = tuple(rows[k - 1])
        attributed = None if attributor is None else attributor.attribute_movements(
            boundaries[k - 1], boundaries[k], converter.currency, method, ledger)
        bridges.append(Bridge(
            start=boundaries[k - 1], end=boundaries[k], currency=converter.currency, method=method,
            policy=policy, starting_mrr=valuer.value(totals[k - 1], boundaries[k - 1]),
            ending_mrr=valuer.value(totals[k], boundaries[k]), ledger=ledger,
            entities=tuple(moved[k - 1]), attribution=attributed, **sums,
        ))
        report("build bridges", k, periods)
    return bridges


def _silent(phase: str, done: int, total: int) -> None:
    """The default progress callback: report nothing."""


def _local_totals(terms: tuple[LineTerms, ...], boundaries: tuple[datetime.date, ...]) -> list[State]:
    """Total MRR by contract currency on each boundary: line changes bucketed by period, summed."""
    buckets: list[dict[str, Decimal]] = [{} for _ in boundaries]
    last = len(boundaries)
    find = bisect.bisect_left
    add = EXACT.add
    for term in terms:
        for day, delta in term.changes():
            k = find(boundaries, day)  # the change counts from boundary k on
            if k < last:
                bucket = buckets[k]
                bucket[term.currency] = add(bucket.get(term.currency, _ZERO), delta)
    amounts: dict[str, Decimal] = {}
    out: list[State] = []
    for bucket in buckets:
        for currency, delta in bucket.items():
            amounts[currency] = add(amounts.get(currency, _ZERO), delta)
        out.append(tuple(sorted((c, a) for c, a in amounts.items() if a != 0)))
    return out


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
    valuer: _Valuer, classifier: _Classifier, rows: list[list[Movement]],
    moved: list[list[EntityChange]],
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
                return_history = _copy(history)
            history.record(paying, change)
            state, active, paying = change.state, change.active, change.paying
            lines.extend(change.line_ids)
            index += 1
        prev = valuer.value(prev_state, t0)
        cur_constant = valuer.value(state, t0)
        kind = classifier.kind(prev, cur_constant, prev_active, active, returned_on or t1,
                               return_history)
        if kind is not None:
            rows[k - 1].append(_row(entity, kind, prev, cur_constant, None,
                                    tuple(dict.fromkeys(lines))))
        cur = valuer.value(state, t1) if foreign else cur_constant
        if cur != cur_constant:
            rows[k - 1].append(trusted(
                Movement, entity_id=entity, kind=MovementKind.FX,
                amount=EXACT.subtract(cur, cur_constant), prev_mrr=prev, cur_mrr=cur, on=None,
                line_ids=()))
        if kind is not None or cur != cur_constant:
            moved[k - 1].append(trusted(EntityChange, entity_id=entity, start_mrr=prev,
                                        end_mrr=cur))


def _walk_events(
    entity: str, changes: tuple[Change, ...], boundaries: tuple[datetime.date, ...],
    valuer: _Valuer, classifier: _Classifier, rows: list[list[Movement]],
    moved: list[list[EntityChange]],
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
            kind = classifier.kind(before, after, active, change.active, change.day, history)
            if kind is not None:
                rows[k - 1].append(_row(entity, kind, before, after, change.day, change.line_ids))
                moved_by = EXACT.add(moved_by, EXACT.subtract(after, before))
                emitted = True
            history.record(paying, change)
            state, active, paying = change.state, change.active, change.paying
            index += 1
        cur = valuer.value(state, t1)
        fx_effect = EXACT.subtract(EXACT.subtract(cur, prev), moved_by)
        if fx_effect != 0:
            rows[k - 1].append(trusted(
                Movement, entity_id=entity, kind=MovementKind.FX, amount=fx_effect, prev_mrr=prev,
                cur_mrr=cur, on=None, line_ids=()))
        if emitted or fx_effect != 0:
            moved[k - 1].append(trusted(EntityChange, entity_id=entity, start_mrr=prev,
                                        end_mrr=cur))


def _copy(history: _History) -> _History:
    clone = _History()
    clone.had_revenue, clone.churned_on = history.had_revenue, history.churned_on
    return clone


def _row(
    entity: str, kind: MovementKind, prev: Decimal, cur: Decimal, on: datetime.date | None,
    line_ids: tuple[str, ...],
) -> Movement:
    return trusted(Movement, entity_id=entity, kind=kind, amount=EXACT.subtract(cur, prev),
                   prev_mrr=prev, cur_mrr=cur, on=on, line_ids=line_ids)

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

import datetime
from collections.abc import Callable

from expansion_revenue._gc import collection_paused
from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.attribution import Attributor
from expansion_revenue.engine.currency import Converter
from expansion_revenue.engine.entities import entity_resolver
from expansion_revenue.engine.timeline import collect_lines
from expansion_revenue.engine.walk import Classifier, PeriodRows, Valuer, walk_entities
from expansion_revenue.errors import InvalidPeriodError
from expansion_revenue.fx import FxRates
from expansion_revenue.periods import Frequency, resolve_period, series_boundaries
from expansion_revenue.policy import Policy
from expansion_revenue.records import Records
from expansion_revenue.results.bridge import (
    Bridge,
    BridgeMethod,
    BridgeSeries,
    EntityChange,
    Movement,
)
from expansion_revenue.rules.ruleset import RuleSet

__all__ = ["Progress", "bridge_series", "revenue_bridge"]


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
    general: bool = False,
) -> list[Bridge]:
    """The bridges between consecutive ``boundaries`` (``general``: see :func:`walk_entities`)."""
    if method not in ("snapshot", "events"):
        raise InvalidPeriodError(f"method must be 'snapshot' or 'events', got {method!r}")
    report = progress or _silent
    converter = Converter.for_dataset(dataset, currency, fx, policy)
    valuer = Valuer(converter)
    report("compile lines", 0, dataset.line_count)
    entries = collect_lines(dataset, policy, entity_resolver(dataset, policy.level))
    report("compile lines", dataset.line_count, dataset.line_count)
    periods = len(boundaries) - 1
    out = PeriodRows(periods)
    count = len(entries)
    attributor = Attributor(dataset, currency, fx, policy, rules) if attribution else None
    report("walk entities", 0, count)
    for done in walk_entities(entries, boundaries, method, valuer, Classifier(policy), out,
                              general=general, one_currency=len(dataset.currencies()) == 1):
        report("walk entities", done, count)
    report("walk entities", count, count)
    rows, moved, totals = out.rows, out.moved, out.totals()
    bridges = []
    for k in range(1, periods + 1):
        ledger = Records(Movement, tuple(rows[k - 1]))
        attributed = None if attributor is None else attributor.attribute_movements(
            boundaries[k - 1], boundaries[k], converter.currency, method, ledger)
        bridges.append(Bridge._from_engine(
            start=boundaries[k - 1], end=boundaries[k], currency=converter.currency, method=method,
            policy=policy, starting_mrr=valuer.value(totals[k - 1], boundaries[k - 1]),
            ending_mrr=valuer.value(totals[k], boundaries[k]), ledger=ledger,
            entities=Records(EntityChange, tuple(moved[k - 1])), attribution=attributed,
        ))
        report("build bridges", k, periods)
    return bridges


def _silent(phase: str, done: int, total: int) -> None:
    """The default progress callback: report nothing."""

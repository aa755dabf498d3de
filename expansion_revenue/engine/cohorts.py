"""Cohort analysis: revenue retention and expansion by cohort and months since start.

An entity's *first revenue month* is the first month whose MRR snapshot (the policy's month
snapshot day: the month's last day by default) shows it with MRR above zero, the month in which a
bridge counts it as new. A cohort groups entities by that month (or by an attribute of theirs);
cell ``k`` of a cohort sums its members' MRR ``k`` months after each member's first revenue
month and compares it with their MRR in that first month:

* revenue retention = MRR in month k / MRR in month 0 (net: expansion included);
* gross retention = sum of min(MRR in month k, MRR in month 0) / MRR in month 0;
* expansion rate = sum of max(MRR in month k - MRR in month 0, 0) / MRR in month 0;
* logo retention = members still paying / members.

Revenue retention is gross retention plus expansion rate, exactly (before rounding). MRR is
valued at each month's snapshot rates under the policy's FX basis: pass a policy with
``fx_basis="constant"`` for constant-currency cohorts.

>>> from expansion_revenue import Dataset
>>> ds = Dataset(
...     customers=[{"id": "a", "name": "A"}],
...     products=[{"id": "p", "name": "P"}],
...     plans=[{"id": "m", "product_id": "p", "name": "M", "tier": 1,
...             "price": {"amount": "100", "currency": "USD"}, "interval": "month"}],
...     contracts=[{"id": "k", "customer_id": "a", "currency": "USD", "lines": [
...         {"id": "l1", "plan_id": "m", "quantity": 1, "start": "2024-01-10", "end": "2024-03-01"},
...         {"id": "l2", "plan_id": "m", "quantity": 3, "start": "2024-03-01"}]}])
>>> cohort_table(ds, "2024-01", "2024-03").matrix()["2024-01"]   # 100, 100, 300 over 100
(Decimal('1.000000'), Decimal('1.000000'), Decimal('3.000000'))
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.currency import Converter
from expansion_revenue.engine.entities import NO_ATTRIBUTE, entity_resolver
from expansion_revenue.engine.timeline import Change, State, build_timelines, positive
from expansion_revenue.errors import InvalidPeriodError, MetricInputError
from expansion_revenue.frozen import FrozenMap
from expansion_revenue.fx import FxRates
from expansion_revenue.money import EXACT
from expansion_revenue.periods import as_day, month_end, month_snapshot_day
from expansion_revenue.policy import Policy
from expansion_revenue.results.cohorts import CohortCell, CohortRow, CohortTable
from expansion_revenue.results.metrics import ratio
from expansion_revenue.results.snapshot import exact_sum

__all__ = ["cohort_table", "entity_grouping", "first_revenue_months"]

_ZERO = Decimal(0)

#: A cohort grouping: ``first_revenue_month``, ``attribute:<name>``, or entity id -> key.
Grouping = str | Callable[[str], str]


def first_revenue_months(dataset: Dataset, *, policy: Policy | None = None) -> FrozenMap[str, str]:
    """Each entity's first revenue month (``YYYY-MM``), at the policy's entity level.

    Entities that never show MRR on a month snapshot day (never paid, or paid only between two
    snapshot days) are left out.

    >>> from expansion_revenue import Dataset
    >>> dict(first_revenue_months(Dataset()))
    {}
    """
    policy = policy or Policy()
    timelines = build_timelines(dataset, policy, entity_resolver(dataset, policy.level))
    out: dict[str, str] = {}
    for entity, changes in timelines.items():
        first = _first_snapshot_day(changes, policy)
        if first is not None:
            out[entity] = _label(first)
    return FrozenMap(dict(sorted(out.items())))


def entity_grouping(
    dataset: Dataset, by: Grouping, policy: Policy
) -> tuple[str, Callable[[str], str]]:
    """A grouping's name and its function from entity id to group key.

    ``first_revenue_month`` groups by :func:`first_revenue_months` (entities that never paid on
    a snapshot day fall under ``(none)``); ``attribute:<name>`` by the entity's customer
    attribute (``(none)`` when missing); a callable is used as is.

    Raises:
        MetricInputError: an unknown grouping, or an attribute grouping of entities that are
            not customers (``Policy.level`` of the form ``attribute:...``).

    >>> from expansion_revenue import Dataset
    >>> ds = Dataset(customers=[{"id": "a", "name": "A", "attributes": {"segment": "smb"}}])
    >>> name, key = entity_grouping(ds, "attribute:segment", Policy())
    >>> name, key("a")
    ('attribute:segment', 'smb')
    """
    if callable(by):
        return getattr(by, "__name__", "custom"), by
    if by == "first_revenue_month":
        months = first_revenue_months(dataset, policy=policy)
        return by, lambda entity: months.get(entity, NO_ATTRIBUTE)
    if by.startswith("attribute:") and len(by) > len("attribute:"):
        if policy.level.startswith("attribute:"):
            raise MetricInputError(
                f"cannot group by {by!r}: the entities are {policy.level!r} groups, not customers")
        name = by.removeprefix("attribute:")
        return by, lambda entity: dataset.customer(entity).attributes.get(name, NO_ATTRIBUTE)
    raise MetricInputError(
        f"group by 'first_revenue_month', 'attribute:<name>' or a function, got {by!r}")


def cohort_table(
    dataset: Dataset,
    start: datetime.date | str,
    end: datetime.date | str,
    *,
    by: Grouping = "first_revenue_month",
    currency: str | None = None,
    fx: FxRates | None = None,
    policy: Policy | None = None,
) -> CohortTable:
    """Revenue retention and expansion of every cohort that started between ``start`` and ``end``.

    Args:
        dataset: the validated data.
        start: the first cohort month (``YYYY-MM``, or any date in it).
        end: the last month observed (``YYYY-MM``, or any date in it).
        by: ``first_revenue_month`` (default), ``attribute:<name>`` (e.g. ``attribute:segment``:
            months since start still count from each member's own first revenue month), or a
            function from entity id to cohort key.
        currency: reporting currency, as in :func:`~expansion_revenue.engine.mrr.mrr_snapshot`.
        fx: FX rates into the reporting currency.
        policy: conventions (entity level, month snapshot day, FX basis).

    Raises:
        InvalidPeriodError: ``start`` after ``end`` or an unreadable month.
        MetricInputError: as in :func:`entity_grouping`.

    >>> from expansion_revenue import Dataset
    >>> cohort_table(Dataset(), "2024-01", "2024-06").end
    '2024-06'
    """
    policy = policy or Policy()
    first, last = _month(start, "start"), _month(end, "end")
    if first > last:
        raise InvalidPeriodError(f"start {_label(first)} is after end {_label(last)}")
    converter = Converter.for_dataset(dataset, currency, fx, policy)
    name, key_of = entity_grouping(dataset, by, policy)
    days = _snapshot_days(first, last, policy)
    timelines = build_timelines(dataset, policy, entity_resolver(dataset, policy.level))
    tallies: dict[str, dict[int, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    sizes: dict[str, int] = defaultdict(int)
    for entity, changes in timelines.items():
        began = _first_snapshot_day(changes, policy)
        if began is None or not first <= began.replace(day=1) <= last:
            continue
        values = _values(changes, days[_months_between(first, began.replace(day=1)):], converter)
        key = key_of(entity)
        sizes[key] += 1
        for k, value in enumerate(values):
            tallies[key][k].add(values[0], value)
    rows = [CohortRow(cohort=key, size=sizes[key],
                      cells=tuple(tallies[key][k].cell(k) for k in sorted(tallies[key])))
            for key in sorted(tallies)]
    return CohortTable(start=_label(first), end=_label(last), by=name,
                       currency=converter.currency, policy=policy, rows=tuple(rows))


@dataclass
class _Tally:
    """The running sums behind one cohort cell."""

    members: int = 0
    paying: int = 0
    base: Decimal = _ZERO
    mrr: Decimal = _ZERO
    retained: Decimal = _ZERO
    expansion: Decimal = _ZERO

    def add(self, base: Decimal, value: Decimal) -> None:
        """Count one member whose first-month MRR is ``base`` and MRR this month ``value``."""
        self.members += 1
        self.paying += value > 0
        self.base = EXACT.add(self.base, base)
        self.mrr = EXACT.add(self.mrr, value)
        self.retained = EXACT.add(self.retained, min(value, base))
        self.expansion = EXACT.add(self.expansion, max(EXACT.subtract(value, base), _ZERO))

    def cell(self, months_since_start: int) -> CohortCell:
        return CohortCell(
            months_since_start=months_since_start, members=self.members, paying=self.paying,
            base_mrr=self.base, mrr=self.mrr, retained_mrr=self.retained,
            expansion_mrr=self.expansion, revenue_retention=ratio(self.mrr, self.base),
            gross_retention=ratio(self.retained, self.base),
            expansion_rate=ratio(self.expansion, self.base),
            logo_retention=ratio(self.paying, self.members))


def _month(value: datetime.date | str, name: str) -> datetime.date:
    """The first day of the month ``value`` (``YYYY-MM`` or a date) falls in."""
    if isinstance(value, str) and len(value.strip()) == 7:
        value = value.strip() + "-01"
    return as_day(value, name).replace(day=1)


def _label(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_between(first: datetime.date, later: datetime.date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def _snapshot_days(first: datetime.date, last: datetime.date, policy: Policy) -> list[datetime.date]:
    count = _months_between(first, last) + 1
    return [month_snapshot_day(first + relativedelta(months=k), policy.month_snapshot)
            for k in range(count)]


def _first_snapshot_day(changes: tuple[Change, ...], policy: Policy) -> datetime.date | None:
    """The first month snapshot day on which the entity has MRR above zero."""
    for index, change in enumerate(changes):
        if not positive(change.state):
            continue
        day = change.day
        if policy.month_snapshot == "end":
            snapshot = month_end(day)
        else:
            snapshot = day if day.day == 1 else (day + relativedelta(months=1)).replace(day=1)
        following = changes[index + 1].day if index + 1 < len(changes) else None
        if following is None or snapshot < following:
            return snapshot
    return None


def _values(changes: tuple[Change, ...], days: list[datetime.date],
            converter: Converter) -> list[Decimal]:
    """The entity's MRR on each of ``days`` (in order), in the reporting currency."""
    out = []
    state: State = ()
    index = 0
    for day in days:
        while index < len(changes) and changes[index].day <= day:
            state = changes[index].state
            index += 1
        out.append(exact_sum(EXACT.multiply(amount, converter.rate(currency, day))
                             for currency, amount in state))
    return out

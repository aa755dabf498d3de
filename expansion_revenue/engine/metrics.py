"""Revenue metrics from bridges: NRR, GRR, churn and expansion rates, quick ratio, ARR, ARPA, LTV.

Pure functions over :class:`~expansion_revenue.results.bridge.Bridge` and
:class:`~expansion_revenue.results.bridge.BridgeSeries`:

* :func:`bridge_metrics`: the metrics of one bridge (any period);
* :func:`series_metrics`: the metrics of each bridge of a series (e.g. monthly);
* :func:`trailing_metrics`: for each bridge, the metrics of the window of ``periods`` bridges
  ending there (trailing twelve months of a monthly series);
* :func:`period_metrics`: computes the bridge and the entity count from a dataset in one call.

NRR and GRR need each entity's MRR at both ends of the window. A bridge lists every entity that
moved (:class:`~expansion_revenue.results.bridge.EntityChange`); the others kept their MRR, so
sums over the starting entities follow from ``starting_mrr`` and the changed entities alone. A
window of several bridges is composed entity by entity: an entity's MRR at the window's start is
its start in the first bridge where it moves, its movements are the sum over the window. So a
trailing-twelve-month NRR is exactly the NRR of one direct bridge over those twelve months (in a
single currency).

Every figure is in constant currency: an entity's end-of-window MRR is its start plus its
non-``fx`` movements, so exchange rates never count as retention, expansion or loss. Counting
entities (logo churn, ARPA, LTV) needs how many entities had MRR at the start, which a bridge
does not record: pass ``starting_entities`` (a count or the start
:class:`~expansion_revenue.results.snapshot.MrrSnapshot`), or call :func:`period_metrics`.

>>> from expansion_revenue import Dataset, revenue_bridge
>>> ds = Dataset(
...     customers=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
...     products=[{"id": "p", "name": "P"}],
...     plans=[{"id": "m", "product_id": "p", "name": "M", "tier": 1,
...             "price": {"amount": "100", "currency": "USD"}, "interval": "month"}],
...     contracts=[
...         {"id": "ka", "customer_id": "a", "currency": "USD", "lines": [
...             {"id": "a1", "plan_id": "m", "quantity": 1, "start": "2024-01-01", "end": "2024-02-10"},
...             {"id": "a2", "plan_id": "m", "quantity": 2, "start": "2024-02-10"}]},
...         {"id": "kb", "customer_id": "b", "currency": "USD", "lines": [
...             {"id": "b1", "plan_id": "m", "quantity": 1, "start": "2024-01-01", "end": "2024-02-15"}]}])
>>> m = bridge_metrics(revenue_bridge(ds, "2024-01-31", "2024-02-29"), starting_entities=2)
>>> m.nrr, m.grr, m.logo_churn_rate   # (200 + 0) / 200, (100 + 0) / 200, 1 / 2
(Decimal('1.000000'), Decimal('0.500000'), Decimal('0.500000'))
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.bridge import revenue_bridge
from expansion_revenue.engine.mrr import mrr_snapshot
from expansion_revenue.errors import MetricInputError
from expansion_revenue.fx import FxRates
from expansion_revenue.money import EXACT, to_decimal
from expansion_revenue.periods import month_end
from expansion_revenue.policy import Policy
from expansion_revenue.results.bridge import COMPONENTS, Bridge, BridgeMethod, BridgeSeries, MovementKind
from expansion_revenue.results.metrics import MetricsSeries, RevenueMetrics, ratio
from expansion_revenue.results.snapshot import MrrSnapshot, exact_sum

__all__ = [
    "MetricInputError",
    "bridge_metrics",
    "period_metrics",
    "period_months",
    "series_metrics",
    "trailing_metrics",
]

_ZERO = Decimal(0)

NO_STARTING_MRR = "starting MRR is 0: no revenue to retain"
NO_ENTITY_DETAIL = ("the bridge keeps no per-entity changes (a series summary): "
                    "use trailing_metrics over the series or a direct bridge")
UNKNOWN_ENTITIES = ("the number of entities with MRR at the start is unknown: pass starting_entities "
                    "(a count or the start MrrSnapshot) or use period_metrics")
NO_STARTING_ENTITIES = "no entity had MRR at the start"
NO_LOSS = "no MRR was lost (contraction + churn = 0): the ratio is unbounded"
NO_PAYING_ENTITIES = "no entity has MRR at the end"
NO_LOSS_LIFETIME = "no MRR was lost (contraction + churn = 0): the customer lifetime is unbounded"


@dataclass
class _Path:
    """One entity's way through a window: MRR at both ends and its constant-currency movement."""

    start: Decimal
    end: Decimal
    moved: Decimal = _ZERO
    churned: bool = False

    @property
    def retained(self) -> Decimal:
        """Constant-currency MRR at the end: start plus movements (never below zero).

        The floor matters only for events bridges under spot FX, where a churn valued at a later
        rate can exceed the opening value.
        """
        return max(EXACT.add(self.start, self.moved), _ZERO)


def bridge_metrics(
    bridge: Bridge,
    *,
    starting_entities: int | MrrSnapshot | None = None,
    gross_margin: Decimal | str | int | None = None,
) -> RevenueMetrics:
    """Every metric of one bridge.

    Args:
        bridge: any bridge (snapshot or events method, any period and entity level).
        starting_entities: how many entities had MRR above zero at ``bridge.start``, or the
            snapshot on that date to count them from; needed for logo churn, ARPA and LTV.
        gross_margin: fraction of revenue kept after cost of service, in ``(0, 1]``, for LTV
            (default: LTV of revenue, as if the margin were 1).

    Raises:
        MetricInputError: the snapshot does not match the bridge, the count is smaller than the
            entities the bridge shows with starting MRR, or the gross margin is outside (0, 1].

    >>> m = bridge_metrics(Bridge.empty_example())
    >>> m.arr, m.quick_ratio, m.reasons["quick_ratio"]
    (Decimal('0'), None, 'no MRR was lost (contraction + churn = 0): the ratio is unbounded')
    """
    count = _starting_count(bridge, starting_entities)
    return _window((bridge,), count, _margin(gross_margin))


def series_metrics(
    series: BridgeSeries,
    *,
    starting_entities: int | MrrSnapshot | None = None,
    gross_margin: Decimal | str | int | None = None,
) -> MetricsSeries:
    """The metrics of each bridge of ``series`` (monthly metrics of a monthly series).

    ``starting_entities`` counts the entities with MRR at the first bridge's start; later counts
    follow from the bridges' entity changes. Other arguments as in :func:`bridge_metrics`.

    >>> series_metrics(BridgeSeries(bridges=(Bridge.empty_example(),))).column("nrr")
    (None,)
    """
    return trailing_metrics(series, 1, starting_entities=starting_entities, gross_margin=gross_margin)


def trailing_metrics(
    series: BridgeSeries,
    periods: int = 12,
    *,
    starting_entities: int | MrrSnapshot | None = None,
    gross_margin: Decimal | str | int | None = None,
) -> MetricsSeries:
    """For each bridge, the metrics of the ``periods`` bridges ending with it (trailing window).

    With a monthly series and ``periods=12`` each entry is a trailing-twelve-month figure: NRR
    and GRR compare each entity's MRR twelve months apart (the same as one direct bridge over
    the window), the movement lines are the window's sums and LTV uses the average monthly gross
    revenue churn rate. The first entry ends with bridge ``periods``: a series shorter than the
    window gives no entries.

    Args:
        series: consecutive bridges.
        periods: bridges per window, at least 1.
        starting_entities: as in :func:`series_metrics`.
        gross_margin: as in :func:`bridge_metrics`.

    Raises:
        MetricInputError: ``periods`` below 1, or as in :func:`bridge_metrics`.

    >>> trailing_metrics(BridgeSeries(bridges=(Bridge.empty_example(),)), 12).metrics
    ()
    """
    if periods < 1:
        raise MetricInputError(f"periods must be at least 1, got {periods}")
    margin = _margin(gross_margin)
    bridges = series.bridges
    counts: list[int | None] = [_starting_count(bridges[0], starting_entities) if bridges else None]
    for bridge in bridges:
        previous = counts[-1]
        counts.append(None if previous is None else _next_count(bridge, previous))
    out = [_window(bridges[last - periods + 1:last + 1], counts[last - periods + 1], margin)
           for last in range(periods - 1, len(bridges))]
    return MetricsSeries(window=periods, metrics=tuple(out))


def period_metrics(
    dataset: Dataset,
    start: datetime.date | str,
    end: datetime.date | str,
    *,
    method: BridgeMethod = "snapshot",
    currency: str | None = None,
    fx: FxRates | None = None,
    policy: Policy | None = None,
    gross_margin: Decimal | str | int | None = None,
) -> RevenueMetrics:
    """The metrics of ``(start, end]`` straight from a dataset, entity counts included.

    Arguments as in :func:`~expansion_revenue.engine.bridge.revenue_bridge` and
    :func:`bridge_metrics`.

    >>> from expansion_revenue import Dataset
    >>> period_metrics(Dataset(), "2024-01", "2024-12").reasons["logo_churn_rate"]
    'no entity had MRR at the start'
    """
    bridge = revenue_bridge(dataset, start, end, method=method, currency=currency, fx=fx,
                            policy=policy)
    snapshot = mrr_snapshot(dataset, bridge.start, currency=bridge.currency, fx=fx,
                            policy=bridge.policy)
    return bridge_metrics(bridge, starting_entities=snapshot, gross_margin=gross_margin)


def period_months(start: datetime.date, end: datetime.date, policy: Policy) -> Fraction:
    """The length of ``(start, end]`` in months.

    Whole calendar months when both dates are month ends, or both the first of a month (the two
    month-snapshot conventions); otherwise days divided by ``policy.days_per_month``.

    >>> period_months(datetime.date(2024, 1, 31), datetime.date(2024, 4, 30), Policy())
    Fraction(3, 1)
    >>> period_months(datetime.date(2024, 1, 1), datetime.date(2024, 1, 8), Policy())
    Fraction(84, 365)
    """
    if start == end:
        return Fraction(0)
    if (start == month_end(start) and end == month_end(end)) or (start.day == 1 and end.day == 1):
        return Fraction((end.year - start.year) * 12 + end.month - start.month)
    return Fraction((end - start).days) / policy.days_per_month


def _margin(value: Decimal | str | int | None) -> Decimal | None:
    if value is None:
        return None
    try:
        margin = to_decimal(value)
    except ValueError as exc:
        raise MetricInputError(f"gross_margin: {exc}") from None
    if not 0 < margin <= 1:
        raise MetricInputError(f"gross_margin must be above 0 and at most 1, got {margin}")
    return margin


def _starting_count(bridge: Bridge, given: int | MrrSnapshot | None) -> int | None:
    if given is None or isinstance(given, int):
        if given is not None:
            known = sum(1 for entity in bridge.entities if entity.start_mrr > 0)
            if given < known:
                raise MetricInputError(
                    f"starting_entities is {given}, but the bridge shows {known} entities with "
                    f"MRR at {bridge.start}")
        return given
    problems = []
    if given.at != bridge.start:
        problems.append(f"is on {given.at}, the bridge starts on {bridge.start}")
    if given.currency != bridge.currency:
        problems.append(f"is in {given.currency}, the bridge in {bridge.currency}")
    if given.policy.level != bridge.policy.level:
        problems.append(f"is at level {given.policy.level!r}, the bridge at {bridge.policy.level!r}")
    if not problems and given.total != bridge.starting_mrr:
        problems.append(f"totals {given.total}, the bridge starts from {bridge.starting_mrr}")
    if problems:
        raise MetricInputError("the starting snapshot does not match the bridge: it "
                               + "; it ".join(problems))
    return sum(1 for value in given.by_entity.values() if value > 0)


def _next_count(bridge: Bridge, count: int) -> int:
    for entity in bridge.entities:
        count += (entity.end_mrr > 0) - (entity.start_mrr > 0)
    return count


def _paths(bridges: Sequence[Bridge]) -> dict[str, _Path] | None:
    """Each moving entity's path through the window; ``None`` when a bridge lacks the detail."""
    paths: dict[str, _Path] = {}
    for bridge in bridges:
        if bridge.ledger and not bridge.entities:
            return None
        rows = bridge.by_entity
        for entity in bridge.entities:
            path = paths.get(entity.entity_id)
            if path is None:
                path = paths[entity.entity_id] = _Path(entity.start_mrr, entity.end_mrr)
            path.end = entity.end_mrr
            for row in rows.get(entity.entity_id, ()):
                if row.kind is not MovementKind.FX:
                    path.moved = EXACT.add(path.moved, row.amount)
                path.churned = path.churned or row.kind is MovementKind.CHURN
    return paths


def _window(bridges: Sequence[Bridge], starting_entities: int | None,
            margin: Decimal | None) -> RevenueMetrics:
    first, last = bridges[0], bridges[-1]
    sums = {name: exact_sum(getattr(b, name) for b in bridges) for name in COMPONENTS}
    months = sum((period_months(b.start, b.end, b.policy) for b in bridges), Fraction(0))
    starting = first.starting_mrr
    lost = EXACT.add(sums["contraction"], sums["churn"])
    gained = exact_sum((sums["new"], sums["reactivation"], sums["expansion"]))
    exact: dict[str, Fraction | None] = {}
    reasons: dict[str, str] = {}

    def quotient(name: str, numerator: Decimal | Fraction | int | None,
                 denominator: Decimal | Fraction | int, reason: str) -> Fraction | None:
        """Record ``numerator / denominator`` exactly, or ``None`` and the reason."""
        if numerator is None or denominator == 0:
            exact[name], reasons[name] = None, reason
        else:
            exact[name] = Fraction(numerator) / Fraction(denominator)
        return exact[name]

    paths = _paths(bridges)
    starters = [p for p in (paths or {}).values() if p.start > 0]
    nrr = grr = None
    if paths is not None:
        # Unchanged entities keep their start; changed starting ones move to their retained MRR.
        unchanged = EXACT.subtract(starting, exact_sum(p.start for p in starters))
        nrr = EXACT.add(unchanged, exact_sum(p.retained for p in starters))
        grr = EXACT.add(unchanged, exact_sum(min(p.retained, p.start) for p in starters))
    no_start = NO_STARTING_MRR if starting == 0 else NO_ENTITY_DETAIL
    quotient("nrr", nrr, starting, no_start)
    quotient("grr", grr, starting, no_start)
    quotient("expansion_rate", sums["expansion"], starting, NO_STARTING_MRR)
    quotient("contraction_rate", -sums["contraction"], starting, NO_STARTING_MRR)
    quotient("revenue_churn_rate", -sums["churn"], starting, NO_STARTING_MRR)
    quotient("gross_revenue_churn_rate", -lost, starting, NO_STARTING_MRR)
    quotient("net_revenue_churn_rate", -EXACT.add(lost, sums["expansion"]), starting, NO_STARTING_MRR)
    quotient("quick_ratio", gained, -lost, NO_LOSS)

    churned = ending_entities = None
    if paths is not None:
        churned = sum(1 for p in starters if p.end == 0 and p.churned)
        if starting_entities is not None:
            ending_entities = (starting_entities + sum(1 for p in paths.values() if p.end > 0)
                               - len(starters))
    unknown = NO_ENTITY_DETAIL if paths is None else UNKNOWN_ENTITIES
    if churned is None or starting_entities is None:
        quotient("logo_churn_rate", None, 0, unknown)
    else:
        quotient("logo_churn_rate", churned, starting_entities, NO_STARTING_ENTITIES)
    if ending_entities is None:
        arpa = quotient("arpa", None, 0, unknown)
    else:
        arpa = quotient("arpa", last.ending_mrr, ending_entities, NO_PAYING_ENTITIES)
    if arpa is None:
        quotient("ltv", None, 0, f"ARPA is undefined: {reasons['arpa']}")
    elif starting == 0:
        quotient("ltv", None, 0, NO_STARTING_MRR)
    else:
        # monthly gross revenue churn = (-lost / starting) / months; LTV = ARPA x margin / that.
        quotient("ltv", arpa * Fraction(margin or 1) * Fraction(starting) * months, -Fraction(lost),
                 NO_LOSS_LIFETIME)
    return RevenueMetrics(
        start=first.start, end=last.end, currency=first.currency, method=first.method,
        level=first.policy.level, periods=sum(b.periods for b in bridges), months=ratio(months, 1),
        starting_mrr=starting, ending_mrr=last.ending_mrr,
        arr=EXACT.multiply(last.ending_mrr, Decimal(12)), starting_entities=starting_entities,
        ending_entities=ending_entities, churned_entities=churned, gross_margin=margin,
        reasons=reasons, **sums,
        **{name: None if value is None else ratio(value, 1) for name, value in exact.items()},
    )

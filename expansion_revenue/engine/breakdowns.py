"""Breakdowns of a bridge by segment, cohort, product, plan, tier or add-on.

"Which plan tiers and products drive expansion?" Each entity of the bridge is put in one or more
groups, each group's entities make a bridge of their own (their starting and ending MRR, their
ledger rows), and each group gets the full set of metrics
(:func:`~expansion_revenue.engine.metrics.bridge_metrics`). Groupings:

=======================  ====================================================================
``by``                   an entity's group(s)
=======================  ====================================================================
``attribute:<name>``     its customer attribute, e.g. ``attribute:segment`` (``(none)`` if missing)
``first_revenue_month``  its cohort: the month it first had MRR (``YYYY-MM``)
``product``              every product it held
``plan``                 every plan it held
``tier``                 every plan tier it held (``tier 2``)
``add_on``               every add-on product it held (``(no add-on)`` if none)
a function               entity id -> group key
=======================  ====================================================================

"Held" means the entity's active contract lines at the start of the period (free lines
included), or at its end for entities with no line at the start (new and returning ones); an
entity with lines at neither end (it came and went inside an events bridge) is in ``(none)``.
Holding-based groups may overlap: an entity with two products counts in both, with all of its
movement. For the split of one entity's movement between its products and plans, use the
attribution engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.cohorts import Grouping, entity_grouping
from expansion_revenue.engine.entities import NO_ATTRIBUTE
from expansion_revenue.engine.metrics import MetricInputError, bridge_metrics
from expansion_revenue.engine.mrr import mrr_snapshot
from expansion_revenue.fx import FxRates
from expansion_revenue.models import ProductKind
from expansion_revenue.results.breakdowns import Breakdown
from expansion_revenue.results.bridge import COMPONENTS, Bridge, EntityChange, Movement
from expansion_revenue.results.snapshot import MrrSnapshot, exact_sum

__all__ = ["HOLDINGS", "revenue_breakdown"]

#: Groupings by what an entity holds (they may overlap).
HOLDINGS: tuple[str, ...] = ("product", "plan", "tier", "add_on")

NO_ADD_ON = "(no add-on)"


def revenue_breakdown(
    dataset: Dataset,
    bridge: Bridge,
    by: Grouping,
    *,
    fx: FxRates | None = None,
    gross_margin: Decimal | str | int | None = None,
) -> Breakdown:
    """Split ``bridge`` into groups of entities and compute each group's metrics.

    Args:
        dataset: the data the bridge was computed from.
        bridge: a bridge of ``dataset`` (any method; per-entity detail needed, so not a series
            summary).
        by: the grouping (see the module docs).
        fx: the FX table the bridge was computed with, if any.
        gross_margin: for LTV, as in :func:`~expansion_revenue.engine.metrics.bridge_metrics`.

    Raises:
        MetricInputError: an unknown grouping, a bridge without per-entity detail, or a bridge
            whose starting or ending MRR differs from the dataset's snapshots (other data, other
            FX rates).

    >>> from expansion_revenue import Dataset, revenue_bridge
    >>> ds = Dataset(
    ...     customers=[{"id": "a", "name": "A", "attributes": {"segment": "smb"}},
    ...                {"id": "b", "name": "B", "attributes": {"segment": "ent"}}],
    ...     products=[{"id": "p", "name": "P"}],
    ...     plans=[{"id": "m", "product_id": "p", "name": "M", "tier": 1,
    ...             "price": {"amount": "100", "currency": "USD"}, "interval": "month"}],
    ...     contracts=[
    ...         {"id": "ka", "customer_id": "a", "currency": "USD", "lines": [
    ...             {"id": "a1", "plan_id": "m", "quantity": 1, "start": "2024-01-01", "end": "2024-02-10"},
    ...             {"id": "a2", "plan_id": "m", "quantity": 2, "start": "2024-02-10"}]},
    ...         {"id": "kb", "customer_id": "b", "currency": "USD", "lines": [
    ...             {"id": "b1", "plan_id": "m", "quantity": 5, "start": "2024-01-01"}]}])
    >>> bd = revenue_breakdown(ds, revenue_bridge(ds, "2024-01-31", "2024-02-29"), "attribute:segment")
    >>> bd.ranked("expansion")
    (('smb', Decimal('100')), ('ent', Decimal('0')))
    >>> bd.groups["smb"].nrr, bd.total.nrr   # 200 / 100, 700 / 600
    (Decimal('2.000000'), Decimal('1.166667'))
    """
    if bridge.ledger and not bridge.entities:
        raise MetricInputError("the bridge keeps no per-entity changes (a series summary): "
                               "break down a direct bridge")
    snapshots = []
    for day, expected in ((bridge.start, bridge.starting_mrr), (bridge.end, bridge.ending_mrr)):
        snapshot = mrr_snapshot(dataset, day, currency=bridge.currency, fx=fx, policy=bridge.policy)
        if snapshot.total != expected:
            raise MetricInputError(
                f"the dataset's MRR on {day} is {snapshot.total}, the bridge has {expected}: "
                "pass the data and FX rates the bridge was computed with")
        snapshots.append(snapshot)
    opening, closing = snapshots
    name, groups_of = _grouping(dataset, by, bridge, opening, closing)
    entities = dict.fromkeys([*opening.by_entity, *closing.by_entity,
                              *(e.entity_id for e in bridge.entities)])
    members: dict[str, list[str]] = defaultdict(list)
    for entity in entities:
        for key in groups_of(entity):
            members[key].append(entity)
    groups = {key: bridge_metrics(_sub_bridge(bridge, set(ids), opening, closing),
                                  starting_entities=_paying(ids, opening), gross_margin=gross_margin)
              for key, ids in sorted(members.items())}
    return Breakdown(by=name, overlapping=isinstance(by, str) and by in HOLDINGS,
                     total=bridge_metrics(bridge, starting_entities=opening, gross_margin=gross_margin),
                     groups=groups)


def _grouping(
    dataset: Dataset, by: Grouping, bridge: Bridge, opening: MrrSnapshot, closing: MrrSnapshot
) -> tuple[str, Callable[[str], tuple[str, ...]]]:
    if not (isinstance(by, str) and by in HOLDINGS):
        name, key_of = entity_grouping(dataset, by, bridge.policy)
        return name, lambda entity: (key_of(entity),)
    held: dict[str, dict[str, None]] = {}
    for snapshot in (opening, closing):
        found: dict[str, dict[str, None]] = defaultdict(dict)
        for line in snapshot.lines:
            if by == "product":
                found[line.entity_id][line.product_id] = None
            elif by == "plan":
                found[line.entity_id][line.plan_id] = None
            elif by == "tier":
                found[line.entity_id][f"tier {dataset.plan(line.plan_id).tier}"] = None
            else:
                found[line.entity_id].setdefault(NO_ADD_ON, None)
                if dataset.product(line.product_id).kind is ProductKind.ADD_ON:
                    found[line.entity_id][line.product_id] = None
        for entity, keys in found.items():
            held.setdefault(entity, keys)
    if by == "add_on":
        for keys in held.values():
            if len(keys) > 1:
                del keys[NO_ADD_ON]

    def groups_of(entity: str) -> tuple[str, ...]:
        return tuple(sorted(held.get(entity, {NO_ATTRIBUTE: None})))

    return by, groups_of


def _paying(ids: list[str], snapshot: MrrSnapshot) -> int:
    return sum(1 for entity in ids if snapshot.by_entity.get(entity, 0) > 0)


def _sub_bridge(bridge: Bridge, ids: set[str], opening: MrrSnapshot, closing: MrrSnapshot) -> Bridge:
    """The bridge of some entities only: their MRR at both ends and their ledger rows."""
    ledger: tuple[Movement, ...] = tuple(row for row in bridge.ledger if row.entity_id in ids)
    changes: tuple[EntityChange, ...] = tuple(e for e in bridge.entities if e.entity_id in ids)
    sums = {name: exact_sum(row.amount for row in ledger if row.kind.value == name)
            for name in COMPONENTS}
    return Bridge(
        start=bridge.start, end=bridge.end, currency=bridge.currency, method=bridge.method,
        policy=bridge.policy, starting_mrr=exact_sum(opening.by_entity.get(e, 0) for e in ids),
        ending_mrr=exact_sum(closing.by_entity.get(e, 0) for e in ids), ledger=ledger,
        entities=changes, **sums)

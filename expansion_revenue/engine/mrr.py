"""MRR snapshots: which lines count on a date, and what they are worth in one currency.

A line counts on ``day`` when ``start <= day < end``. Its MRR is its normalized value (see
:mod:`expansion_revenue.engine.normalize`) in the contract currency, times the FX rate into the
reporting currency. Rates are finite Decimals, so the conversion is exact as well.
"""

from __future__ import annotations

import datetime

from expansion_revenue._gc import collection_paused
from expansion_revenue.dataset import Dataset
from expansion_revenue.engine.currency import Converter
from expansion_revenue.engine.entities import entity_resolver
from expansion_revenue.engine.normalize import LineTerms, compile_lines
from expansion_revenue.fx import FxRates
from expansion_revenue.money import EXACT
from expansion_revenue.periods import as_day
from expansion_revenue.policy import Policy
from expansion_revenue.results._construct import trusted
from expansion_revenue.results.snapshot import LineMrr, MrrSnapshot

__all__ = ["mrr_snapshot", "snapshot_from_terms"]


def mrr_snapshot(
    dataset: Dataset,
    at: datetime.date | str,
    *,
    currency: str | None = None,
    fx: FxRates | None = None,
    policy: Policy | None = None,
) -> MrrSnapshot:
    """MRR on ``at`` per line, customer, entity, product and plan, in one reporting currency.

    Args:
        dataset: the validated data.
        at: the snapshot date (a ``date`` or ISO string).
        currency: reporting currency; defaults to ``fx.target`` or the data's only currency.
        fx: rates into the reporting currency, needed when contracts use other currencies.
        policy: conventions (defaults: :class:`~expansion_revenue.policy.Policy`).

    Raises:
        MissingRateError: a contract currency has no rate on or before ``at``.
        CurrencyMismatchError: several currencies and no reporting currency or FX table.

    >>> from expansion_revenue import load_example, load_example_fx
    >>> snap = mrr_snapshot(load_example(), "2024-01-31", currency="USD", fx=load_example_fx())
    >>> snap.currency, snap.total > 0
    ('USD', True)
    """
    policy = policy or Policy()
    day = as_day(at, "at")
    converter = Converter.for_dataset(dataset, currency, fx, policy)
    with collection_paused():
        return snapshot_from_terms(dataset, compile_lines(dataset, policy), day, converter, policy)


def snapshot_from_terms(
    dataset: Dataset,
    terms: tuple[LineTerms, ...],
    day: datetime.date,
    converter: Converter,
    policy: Policy,
) -> MrrSnapshot:
    """The snapshot on ``day`` from already-compiled lines (used by the bridge engine)."""
    entity_of = entity_resolver(dataset, policy.level)
    rows = []
    total = EXACT.add(0, 0)
    for term in terms:
        if day < term.start or (term.end is not None and day >= term.end):
            continue
        local = term.mrr_on(day)
        rate = converter.rate(term.currency, day)
        value = EXACT.multiply(local, rate)
        total = EXACT.add(total, value)
        ref = term.ref
        rows.append(trusted(LineMrr,
            line_id=ref.line.id, contract_id=ref.contract.id, customer_id=ref.customer.id,
            entity_id=entity_of(ref.customer.id), product_id=ref.product.id, plan_id=ref.plan.id,
            currency=term.currency, mrr_local=local, rate=rate, mrr=value))
    return MrrSnapshot(at=day, currency=converter.currency, policy=policy, total=total,
                       lines=tuple(rows))

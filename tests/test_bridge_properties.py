"""The bridge's invariants (DESIGN.md section 6) over generated datasets and policies."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from expansion_revenue import (
    Bridge,
    Dataset,
    FxRates,
    Policy,
    bridge_series,
    mrr_snapshot,
    revenue_bridge,
)
from expansion_revenue.results.bridge import COMPONENTS
from tests.strategies import (
    datasets,
    days_around,
    fx_rates_for,
    policies,
    scale_factors,
    scale_prices,
    shuffled_dataset,
    split_line,
)

METHODS = st.sampled_from(("snapshot", "events"))


def ordered(a: dt.date, b: dt.date) -> tuple[dt.date, dt.date]:
    return (a, b) if a <= b else (b, a)


@st.composite
def scenario(draw: st.DrawFn, currencies: tuple[str, ...] = ("USD", "EUR")) -> tuple[
        Dataset, FxRates, Policy, dt.date, dt.date]:
    ds = draw(datasets(currencies=draw(st.sampled_from((("USD",), currencies))),
                       with_hierarchy=draw(st.booleans())))
    rates = draw(fx_rates_for(ds, target="USD", first=dt.date(2019, 1, 1)))
    policy = draw(policies())
    if policy.fx_basis == "constant":
        policy = policy.replace(fx_constant_date=draw(st.dates(dt.date(2019, 1, 1), dt.date(2027, 1, 1))))
    t0, t1 = ordered(draw(days_around(ds)), draw(days_around(ds)))
    return ds, rates, policy, t0, t1


def signed_sum(bridge: Bridge) -> Decimal:
    total = bridge.starting_mrr
    for name in COMPONENTS:
        total += getattr(bridge, name)
    return total


@given(scenario(), METHODS)
def test_every_bridge_sums_exactly_and_its_endpoints_are_snapshots(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], method: str) -> None:
    ds, rates, policy, t0, t1 = case
    bridge = revenue_bridge(ds, t0, t1, method=method, currency="USD", fx=rates,  # type: ignore[arg-type]
                            policy=policy)
    assert signed_sum(bridge) == bridge.ending_mrr
    assert bridge.starting_mrr == mrr_snapshot(ds, t0, currency="USD", fx=rates, policy=policy).total
    assert bridge.ending_mrr == mrr_snapshot(ds, t1, currency="USD", fx=rates, policy=policy).total
    assert bridge.new >= 0 and bridge.reactivation >= 0 and bridge.expansion >= 0
    assert bridge.contraction <= 0 and bridge.churn <= 0
    if policy.fx_basis == "constant" or ds.currencies() <= {"USD"}:
        assert bridge.fx == 0


@given(scenario(), METHODS)
def test_every_entitys_ledger_rows_sum_to_its_mrr_change(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], method: str) -> None:
    ds, rates, policy, t0, t1 = case
    bridge = revenue_bridge(ds, t0, t1, method=method, currency="USD", fx=rates,  # type: ignore[arg-type]
                            policy=policy, attribution=False)
    before = mrr_snapshot(ds, t0, currency="USD", fx=rates, policy=policy).by_entity
    after = mrr_snapshot(ds, t1, currency="USD", fx=rates, policy=policy).by_entity
    rows: dict[str, Decimal] = defaultdict(Decimal)
    for row in bridge.ledger:
        rows[row.entity_id] += row.amount
    for entity in set(before) | set(after) | set(rows):
        assert rows[entity] == after.get(entity, 0) - before.get(entity, 0), entity
    for change in bridge.entities:
        assert change.start_mrr == before.get(change.entity_id, 0)
        assert change.end_mrr == after.get(change.entity_id, 0)


@given(scenario(), st.data())
def test_event_bridges_are_additive_over_sub_periods(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], data: st.DataObject) -> None:
    ds, rates, policy, t0, t2 = case
    t1 = data.draw(st.dates(t0, t2))
    kwargs: dict[str, Any] = {"method": "events", "currency": "USD", "fx": rates, "policy": policy,
              "attribution": False}
    whole = revenue_bridge(ds, t0, t2, **kwargs)
    first = revenue_bridge(ds, t0, t1, **kwargs)
    second = revenue_bridge(ds, t1, t2, **kwargs)
    for name in COMPONENTS:
        assert getattr(whole, name) == getattr(first, name) + getattr(second, name), name
    # Every movement row appears in exactly one half (fx rows are per entity per period).
    def moves(bridge: Bridge) -> Counter[object]:
        return Counter(row for row in bridge.ledger if row.kind.value != "fx")

    assert moves(whole) == moves(first) + moves(second)


@given(scenario(), METHODS, st.sampled_from(("month", "quarter", "week")))
@settings(max_examples=40)
def test_series_chain_and_match_single_bridges(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], method: str, freq: str) -> None:
    ds, rates, policy, _, _ = case
    series = bridge_series(ds, "2023-01", "2023-12" if freq != "week" else "2023-03",
                           freq=freq, method=method, currency="USD", fx=rates,  # type: ignore[arg-type]
                           policy=policy, attribution=False)
    for before, after in zip(series.bridges, series.bridges[1:], strict=False):
        assert before.end == after.start and before.ending_mrr == after.starting_mrr
    some = series.bridges[len(series.bridges) // 2]
    alone = revenue_bridge(ds, some.start, some.end, method=method, currency="USD",  # type: ignore[arg-type]
                           fx=rates, policy=policy, attribution=False)
    assert alone.components == some.components and alone.ledger == some.ledger


@given(scenario(), METHODS, st.randoms(use_true_random=False))
@settings(max_examples=50)
def test_input_order_does_not_matter(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], method: str,
        rnd: random.Random) -> None:
    ds, rates, policy, t0, t1 = case
    kwargs: dict[str, Any] = {"method": method, "currency": "USD", "fx": rates, "policy": policy}
    bridge = revenue_bridge(ds, t0, t1, **kwargs)
    shuffled = revenue_bridge(shuffled_dataset(ds, rnd), t0, t1, **kwargs)
    assert shuffled.components == bridge.components
    assert shuffled.starting_mrr == bridge.starting_mrr and shuffled.ending_mrr == bridge.ending_mrr
    assert Counter((r.entity_id, r.kind, r.amount, r.on) for r in shuffled.ledger) == Counter(
        (r.entity_id, r.kind, r.amount, r.on) for r in bridge.ledger)
    assert bridge.attribution is not None and shuffled.attribution is not None
    assert shuffled.attribution.tree == bridge.attribution.tree


@given(datasets(), METHODS, st.data())
@settings(max_examples=50)
def test_splitting_a_line_changes_no_figure(ds: Dataset, method: str, data: st.DataObject) -> None:
    candidates = [ref.line for ref in ds.lines if ref.line.quantity >= 2]
    if not candidates:
        return
    target = data.draw(st.sampled_from(candidates))
    q1 = data.draw(st.integers(1, target.quantity - 1))
    split = split_line(ds, target.id, q1)
    t0, t1 = ordered(data.draw(days_around(ds)), data.draw(days_around(ds)))
    a = revenue_bridge(ds, t0, t1, method=method, attribution=False)  # type: ignore[arg-type]
    b = revenue_bridge(split, t0, t1, method=method, attribution=False)  # type: ignore[arg-type]
    assert (a.starting_mrr, a.components, a.ending_mrr) == (b.starting_mrr, b.components, b.ending_mrr)


@given(datasets(), METHODS, scale_factors(), st.data())
@settings(max_examples=50)
def test_scaling_prices_by_k_scales_every_figure_by_k(
        ds: Dataset, method: str, k: Decimal, data: st.DataObject) -> None:
    t0, t1 = ordered(data.draw(days_around(ds)), data.draw(days_around(ds)))
    a = revenue_bridge(ds, t0, t1, method=method)  # type: ignore[arg-type]
    b = revenue_bridge(scale_prices(ds, k), t0, t1, method=method)  # type: ignore[arg-type]
    assert b.starting_mrr == a.starting_mrr * k and b.ending_mrr == a.ending_mrr * k
    if k == 0:
        assert b.ledger == ()
        return
    for name in COMPONENTS:
        assert getattr(b, name) == getattr(a, name) * k
    assert [(r.entity_id, r.kind, r.amount) for r in b.ledger] == [
        (r.entity_id, r.kind, r.amount * k) for r in a.ledger]


@given(scenario(), METHODS)
@settings(max_examples=50)
def test_an_empty_period_has_no_movements(
        case: tuple[Dataset, FxRates, Policy, dt.date, dt.date], method: str) -> None:
    ds, rates, policy, t0, _ = case
    bridge = revenue_bridge(ds, t0, t0, method=method, currency="USD", fx=rates,  # type: ignore[arg-type]
                            policy=policy)
    assert bridge.ledger == () and bridge.starting_mrr == bridge.ending_mrr


@given(datasets(), METHODS)
@settings(max_examples=30)
def test_a_period_without_changes_has_only_zeros(ds: Dataset, method: str) -> None:
    # After every change day has passed, MRR stays put.
    last = max([ref.line.start for ref in ds.lines]
               + [d for ref in ds.lines for d in (ref.line.end, ref.line.discount_end) if d]
               + [dt.date(2023, 1, 1)])
    bridge = revenue_bridge(ds, last, last + dt.timedelta(days=400), method=method)  # type: ignore[arg-type]
    assert bridge.ledger == () and all(v == 0 for v in bridge.components.values())

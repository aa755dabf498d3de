"""Identities every MRR snapshot keeps, over generated datasets (DESIGN section 6)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from expansion_revenue import Dataset, FxRates, MrrSnapshot, mrr_snapshot
from expansion_revenue.money import EXACT
from tests.strategies import (
    datasets,
    days_around,
    fx_rates_for,
    scale_factors,
    scale_prices,
    shuffled_dataset,
    snapshot_days,
    split_line,
)

TWO_CURRENCIES = ("USD", "EUR")


def draw_case(data: st.DataObject, *, exact: bool = True) -> tuple[Dataset, FxRates, dt.date]:
    """A dataset in one or two currencies, rates into USD covering it, and a day worth checking."""
    ds = data.draw(datasets(currencies=data.draw(st.sampled_from((("USD",), TWO_CURRENCIES))),
                            with_hierarchy=True, exact=exact), label="dataset")
    fx = data.draw(fx_rates_for(ds, target="USD"), label="fx")
    day = data.draw(days_around(ds), label="day")
    return ds, fx, day


def rows(snapshot: MrrSnapshot) -> list[tuple[str, Decimal]]:
    return sorted((row.line_id, row.mrr) for row in snapshot.lines)


@given(data=st.data(), rnd=st.randoms(use_true_random=False))
def test_input_order_does_not_matter(data: st.DataObject, rnd: random.Random) -> None:
    ds, fx, day = draw_case(data, exact=False)
    before = mrr_snapshot(ds, day, fx=fx)
    after = mrr_snapshot(shuffled_dataset(ds, rnd), day, fx=fx)
    assert after.total == before.total
    assert after.by_customer == before.by_customer
    assert after.by_product == before.by_product
    assert after.by_plan == before.by_plan
    assert rows(after) == rows(before)


@given(data=st.data())
def test_splitting_a_line_changes_nothing(data: st.DataObject) -> None:
    ds, fx, day = draw_case(data)
    if not ds.lines:
        return
    ref = data.draw(st.sampled_from(ds.lines), label="line")
    q1 = data.draw(st.integers(0, ref.line.quantity), label="q1")
    before = mrr_snapshot(ds, day, fx=fx)
    after = mrr_snapshot(split_line(ds, ref.line.id, q1), day, fx=fx)
    assert after.total == before.total
    assert after.by_customer == before.by_customer
    assert after.by_product == before.by_product
    assert after.by_entity == before.by_entity
    assert len(after.lines) == len(before.lines) + (1 if ref.line.active_on(day) else 0)


@given(data=st.data(), k=scale_factors())
def test_scaling_every_price_scales_every_figure(data: st.DataObject, k: Decimal) -> None:
    ds, fx, day = draw_case(data)
    before = mrr_snapshot(ds, day, fx=fx)
    after = mrr_snapshot(scale_prices(ds, k), day, fx=fx)

    def scaled(value: Decimal) -> Decimal:
        return EXACT.multiply(value, k)

    assert after.total == scaled(before.total)
    assert dict(after.by_customer) == {key: scaled(value) for key, value in before.by_customer.items()}
    assert dict(after.by_product) == {key: scaled(value) for key, value in before.by_product.items()}
    assert rows(after) == [(line_id, scaled(mrr)) for line_id, mrr in rows(before)]


@given(data=st.data())
def test_every_active_line_is_accounted_for(data: st.DataObject) -> None:
    ds, fx, day = draw_case(data, exact=False)
    snap = mrr_snapshot(ds, day, fx=fx)
    active = [ref.line.id for ref in ds.lines if ref.line.start <= day and (
        ref.line.end is None or day < ref.line.end)]
    assert [row.line_id for row in snap.lines] == active  # in dataset order, none dropped
    assert snap.total >= 0
    assert all(row.mrr >= 0 and row.rate > 0 for row in snap.lines)
    assert all(row.mrr == EXACT.multiply(row.mrr_local, row.rate) for row in snap.lines)
    assert sum(row.mrr for row in snap.lines) == snap.total
    for breakdown in (snap.by_customer, snap.by_product, snap.by_plan, snap.by_entity):
        assert sum(breakdown.values()) == snap.total


@given(ds=datasets(), day=snapshot_days())
def test_single_currency_needs_no_fx_and_reports_in_it(ds: Dataset, day: dt.date) -> None:
    snap = mrr_snapshot(ds, day)
    assert snap.currency == (next(iter(ds.currencies())) if ds.currencies() else "XXX")
    assert all(row.rate == 1 and row.mrr == row.mrr_local for row in snap.lines)
    assert snap.total >= 0

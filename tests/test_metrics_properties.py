"""Metric and projection identities over generated datasets (tests/strategies.py) and drivers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from expansion_revenue import Dataset, Policy, bridge_series, mrr_snapshot, revenue_bridge
from expansion_revenue.engine.metrics import bridge_metrics, period_metrics, series_metrics, trailing_metrics
from expansion_revenue.engine.projection import project_mrr
from expansion_revenue.money import quantize
from expansion_revenue.results.bridge import COMPONENTS, BridgeMethod
from expansion_revenue.results.metrics import RevenueMetrics, ratio
from expansion_revenue.results.projection import ProjectionAssumptions
from tests.strategies import DEFAULT_START, change_days, datasets, days_around, fx_rates_for, policies

ROUNDING = Decimal("0.000001")
METHOD_NAMES: tuple[BridgeMethod, ...] = ("snapshot", "events")
METHODS = st.sampled_from(METHOD_NAMES)


@st.composite
def periods(draw: st.DrawFn, dataset: Dataset) -> tuple[dt.date, dt.date]:
    """A period that mostly opens while customers pay (shortly after a change day)."""
    days = change_days(dataset)
    near_a_change = draw(st.booleans())
    if days and near_a_change:
        opening = draw(st.sampled_from(days)) + dt.timedelta(days=draw(st.integers(0, 40)))
        return opening, opening + dt.timedelta(days=draw(st.integers(0, 500)))
    a, b = draw(days_around(dataset)), draw(days_around(dataset))
    return (a, b) if a <= b else (b, a)


@settings(max_examples=60)
@given(data=st.data())
def test_grr_is_within_zero_and_one_and_never_above_nrr(data: st.DataObject) -> None:
    ds = data.draw(datasets(currencies=data.draw(st.sampled_from((("USD",), ("USD", "EUR"))))))
    rates = data.draw(fx_rates_for(ds, target="USD", first=dt.date(2019, 1, 1)))
    policy = data.draw(policies())
    if policy.fx_basis == "constant":
        policy = policy.replace(fx_constant_date=dt.date(2022, 6, 30))
    t0, t1 = data.draw(periods(ds))
    m = period_metrics(ds, t0, t1, method=data.draw(METHODS), fx=rates, policy=policy)
    if m.starting_mrr == 0:
        assert m.nrr is None and m.grr is None
    else:
        assert m.nrr is not None and m.grr is not None
        assert 0 <= m.grr <= 1 and m.nrr >= m.grr
    assert m.logo_churn_rate is None or 0 <= m.logo_churn_rate <= 1
    assert m.ending_entities == sum(1 for value in mrr_snapshot(ds, t1, fx=rates, policy=policy)
                                    .by_entity.values() if value > 0)
    assert RevenueMetrics.model_validate_json(m.model_dump_json()) == m


@settings(max_examples=100)
@given(data=st.data())
def test_snapshot_nrr_is_one_plus_the_continuing_movements(data: st.DataObject) -> None:
    # Customer level, one currency: every expansion, contraction and churn comes from a starting
    # customer, so NRR = 1 + (expansion + contraction + churn) / starting, GRR leaves expansion
    # out, and NRR - GRR = expansion / starting.
    ds = data.draw(datasets(min_customers=2))
    t0, t1 = data.draw(periods(ds))
    b = revenue_bridge(ds, t0, t1)
    m = bridge_metrics(b)
    if b.starting_mrr == 0:
        return
    continuing = b.expansion + b.contraction + b.churn
    assert m.nrr == ratio(b.starting_mrr + continuing, b.starting_mrr)
    assert m.grr == ratio(b.starting_mrr + b.contraction + b.churn, b.starting_mrr)
    assert m.nrr is not None and m.grr is not None and m.expansion_rate is not None
    assert abs(m.nrr - m.grr - m.expansion_rate) <= 2 * ROUNDING
    assert m.net_revenue_churn_rate is not None
    assert abs(m.nrr + m.net_revenue_churn_rate - 1) <= ROUNDING


@settings(max_examples=40)
@given(data=st.data())
def test_trailing_windows_equal_direct_bridges(data: st.DataObject) -> None:
    ds = data.draw(datasets(max_customers=5))
    method = data.draw(METHODS)
    months = data.draw(st.integers(1, 8))
    window = data.draw(st.integers(1, months))
    first = f"{DEFAULT_START + relativedelta(months=data.draw(st.integers(-1, 20))):%Y-%m}"
    last = f"{dt.date.fromisoformat(first + '-01') + relativedelta(months=months - 1):%Y-%m}"
    series = bridge_series(ds, first, last, method=method)
    opening = mrr_snapshot(ds, series.bridges[0].start)
    trailing = trailing_metrics(series, window, starting_entities=opening)
    assert len(trailing.metrics) == months - window + 1
    for m in trailing.metrics:
        direct = period_metrics(ds, m.start, m.end, method=method)
        assert (m.nrr, m.grr, m.starting_mrr, m.ending_mrr) == (
            direct.nrr, direct.grr, direct.starting_mrr, direct.ending_mrr)
        assert (m.starting_entities, m.ending_entities) == (direct.starting_entities, direct.ending_entities)
        if method == "events":  # event bridges are additive: every line and rate agrees
            assert m.values == direct.values
    monthly = series_metrics(series, starting_entities=opening)
    for m, bridge in zip(monthly.metrics, series.bridges, strict=True):
        assert m.ending_entities == sum(1 for v in mrr_snapshot(ds, bridge.end).by_entity.values() if v > 0)


drivers = st.builds(
    ProjectionAssumptions,
    new_mrr=st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-2)),
    reactivation_mrr=st.integers(0, 10**4).map(lambda n: Decimal(n).scaleb(-2)),
    expansion_rate=st.integers(0, 2000).map(lambda n: Decimal(n).scaleb(-4)),
    contraction_rate=st.integers(0, 5000).map(lambda n: Decimal(n).scaleb(-4)),
    churn_rate=st.integers(0, 5000).map(lambda n: Decimal(n).scaleb(-4)),
)


@given(start=st.integers(0, 10**8).map(lambda n: Decimal(n).scaleb(-3)), months=st.integers(0, 36),
       assumptions=drivers, places=st.integers(0, 4), policy=policies())
def test_a_projection_chains_and_sums_exactly(start: Decimal, months: int,
                                               assumptions: ProjectionAssumptions, places: int,
                                               policy: Policy) -> None:
    s = project_mrr(start, "2024-01-31", months, assumptions, places=places, policy=policy)
    assert len(s.bridges) == months
    mrr = start
    for b in s.bridges:  # BridgeSeries already checked the chain; check it by hand too
        assert b.starting_mrr == mrr and b.method == "snapshot" and b.fx == 0
        moved = sum((getattr(b, name) for name in COMPONENTS), Decimal(0))
        assert b.ending_mrr == mrr + moved and b.ending_mrr >= 0
        capped = b.ending_mrr == b.new + b.reactivation + b.expansion  # all of mrr lost
        for name in COMPONENTS:  # rounded once, to places (a loss capped at all of mrr: exact)
            if not (capped and name in ("contraction", "churn")):
                assert getattr(b, name) == quantize(getattr(b, name), places)
        if capped:
            assert b.contraction + b.churn == -mrr
        m = bridge_metrics(b)
        if mrr > 0:
            lost = -(b.contraction + b.churn)
            assert m.nrr == ratio(mrr + b.expansion - lost, mrr)
            assert m.grr == ratio(mrr - lost, mrr) or lost == mrr  # all lost: the expansion stays
        mrr = b.ending_mrr


@given(start=st.integers(0, 10**8).map(lambda n: Decimal(n).scaleb(-2)), months=st.integers(0, 24))
def test_zero_rates_project_flat(start: Decimal, months: int) -> None:
    s = project_mrr(start, "2024-03-31", months, ProjectionAssumptions())
    assert all(b.starting_mrr == b.ending_mrr == start and not b.ledger for b in s.bridges)
    assert all(bridge_metrics(b).nrr in (None, 1) for b in s.bridges)

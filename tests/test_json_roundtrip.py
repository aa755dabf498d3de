"""Every model, policy and result survives JSON unchanged, on generated data.

``Model.model_validate_json(x.model_dump_json()) == x`` for every result type, with Decimals
written as strings (never JSON numbers, which would lose exactness in most JSON readers), and the
service's JSON-in, JSON-out path gives the same results as calling the engine directly.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from expansion_revenue import (
    Bridge,
    BridgeSeries,
    Dataset,
    FxRates,
    Policy,
    bridge_series,
    mrr_snapshot,
    revenue_bridge,
)
from expansion_revenue.engine.breakdowns import revenue_breakdown
from expansion_revenue.engine.cohorts import Grouping, cohort_table
from expansion_revenue.engine.metrics import bridge_metrics, series_metrics
from expansion_revenue.engine.projection import compare_scenarios, project_mrr
from expansion_revenue.periods import Frequency
from expansion_revenue.results.bridge import BridgeMethod
from expansion_revenue.results.projection import ProjectionAssumptions
from expansion_revenue.rules.builtin import PriceVolumeMixRule, ProductAddedRule, ProductRemovedRule
from expansion_revenue.rules.ruleset import RuleSet
from expansion_revenue.service import BridgeRequest, RuleSetDescription, handle_bridge
from tests.strategies import (
    contracts,
    customers,
    datasets,
    days_around,
    fx_rates_for,
    plans,
    policies,
    products,
)

M = TypeVar("M", bound=BaseModel)
Case = tuple[Dataset, FxRates, Policy, dt.date, dt.date]

#: Early enough for every generated day and every constant-FX policy date.
FIRST_RATE = dt.date(2019, 12, 1)


def _no_json_number(text: str) -> Decimal:
    raise AssertionError(f"a decimal was written as a JSON number: {text}")


def round_trips(result: M) -> M:
    """Check ``result`` survives JSON text and a JSON-ready dict; return the copy read back."""
    cls = type(result)
    text = result.model_dump_json()
    json.loads(text, parse_float=_no_json_number)  # Decimals are strings
    again = cls.model_validate_json(text)
    assert again == result
    assert again.model_dump_json() == text
    assert cls.model_validate(json.loads(json.dumps(result.model_dump(mode="json")))) == result
    return again


@st.composite
def scenario(draw: st.DrawFn) -> Case:
    """A two-currency dataset, FX rates covering it, a policy and an ordered pair of days."""
    ds = draw(datasets(currencies=("USD", "EUR"), max_customers=4))
    fx = draw(fx_rates_for(ds, target="USD", first=FIRST_RATE))
    policy = draw(policies())
    first, second = sorted((draw(days_around(ds)), draw(days_around(ds))))
    return ds, fx, policy, first, second


def month(day: dt.date) -> str:
    return day.strftime("%Y-%m")


@settings(max_examples=50)
@given(case=scenario())
def test_snapshot_round_trips(case: Case) -> None:
    ds, fx, policy, day, _ = case
    round_trips(mrr_snapshot(ds, day, fx=fx, policy=policy))


@settings(max_examples=50)
@given(case=scenario(), method=st.sampled_from(("snapshot", "events")))
def test_bridge_attribution_and_metrics_round_trip(
    case: Case, method: BridgeMethod
) -> None:
    ds, fx, policy, start, end = case
    bridge = revenue_bridge(ds, start, end, method=method, fx=fx, policy=policy)
    assert bridge.attribution is not None
    again = round_trips(bridge)
    assert again.attribution == bridge.attribution
    assert again.attribution is not None and again.attribution.tree == bridge.attribution.tree
    round_trips(bridge.attribution)
    opening = round_trips(mrr_snapshot(ds, bridge.start, fx=fx, policy=policy))
    round_trips(bridge_metrics(bridge, starting_entities=opening, gross_margin="0.75"))
    round_trips(bridge_metrics(bridge))


@settings(max_examples=40)
@given(case=scenario(), by=st.sampled_from(("product", "plan", "tier", "add_on")))
def test_breakdown_round_trips(case: Case, by: Grouping) -> None:
    ds, fx, policy, start, end = case
    bridge = revenue_bridge(ds, start, end, fx=fx, policy=policy, attribution=False)
    round_trips(revenue_breakdown(ds, bridge, by, fx=fx))


@settings(max_examples=40)
@given(case=scenario(), method=st.sampled_from(("snapshot", "events")),
       freq=st.sampled_from(("month", "quarter")))
def test_series_and_series_metrics_round_trip(
    case: Case, method: BridgeMethod, freq: Frequency
) -> None:
    ds, fx, policy, start, end = case
    series = bridge_series(ds, month(start), month(end), freq=freq, method=method,
                           fx=fx, policy=policy)
    round_trips(series)
    round_trips(series.summary)
    if series.bridges:
        opening = mrr_snapshot(ds, series.bridges[0].start, fx=fx, policy=policy)
        round_trips(series_metrics(series, starting_entities=opening))


@settings(max_examples=40)
@given(case=scenario())
def test_cohort_table_round_trips(case: Case) -> None:
    ds, fx, policy, start, end = case
    round_trips(cohort_table(ds, month(start), month(end), fx=fx, policy=policy))


rates = st.integers(0, 500).map(lambda n: Decimal(n).scaleb(-4))
assumptions = st.builds(
    ProjectionAssumptions, new_mrr=st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-2)),
    reactivation_mrr=st.integers(0, 10**5).map(lambda n: Decimal(n).scaleb(-2)),
    expansion_rate=rates, contraction_rate=rates, churn_rate=rates)


@settings(max_examples=50)
@given(start_mrr=st.integers(0, 10**8).map(lambda n: Decimal(n).scaleb(-2)),
       start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), months=st.integers(0, 24),
       drivers=assumptions, others=st.dictionaries(st.text(min_size=1, max_size=8), assumptions, max_size=3),
       places=st.integers(0, 6), policy=policies())
def test_projections_round_trip(start_mrr: Decimal, start: dt.date, months: int,
                                drivers: ProjectionAssumptions, others: dict[str, ProjectionAssumptions],
                                places: int, policy: Policy) -> None:
    round_trips(drivers)
    round_trips(project_mrr(start_mrr, start, months, drivers, currency="EUR", policy=policy, places=places))
    scenarios = {**others, "base": drivers}
    round_trips(compare_scenarios(start_mrr, start, max(months, 1), scenarios, baseline="base",
                                  places=places))


@given(ds=datasets(currencies=("USD", "EUR", "JPY"), with_hierarchy=True))
def test_dataset_round_trips(ds: Dataset) -> None:
    again = Dataset.from_json(ds.to_json())
    assert again == ds
    assert again.to_json() == ds.to_json()


@given(records=st.tuples(st.lists(customers(), max_size=3), st.lists(products(), max_size=3),
                         st.lists(plans(), max_size=3), st.lists(contracts(), max_size=3)))
def test_records_round_trip(records: tuple[list[Any], ...]) -> None:
    for group in records:
        for record in group:
            round_trips(record)


@given(policy=policies())
def test_policy_round_trips(policy: Policy) -> None:
    round_trips(policy)


@given(data=st.data())
def test_fx_rates_round_trip(data: st.DataObject) -> None:
    ds = data.draw(datasets(currencies=("USD", "EUR", "GBP"), max_customers=3))
    round_trips(data.draw(fx_rates_for(ds, varying=data.draw(st.booleans()))))


steps = st.permutations(("tier", "quantity", "price", "discount"))
extra_leaves = st.lists(st.sampled_from(("expansion.migration", "expansion.pricing.escalator",
                                         "contraction.migration", "contraction.pricing.rollback")),
                        unique=True, max_size=3)


@given(order=steps, extra=extra_leaves, drop=st.sets(st.sampled_from(("product_added", "product_removed"))))
def test_rule_set_descriptions_round_trip(order: list[str], extra: list[str], drop: set[str]) -> None:
    rules = RuleSet(rules=(ProductAddedRule(core_category="expansion.upsell"), ProductRemovedRule(),
                           PriceVolumeMixRule(order=tuple(order))))
    rules = rules.with_categories(*extra).without(*drop)
    text = json.dumps(rules.describe())
    assert RuleSet.from_description(json.loads(text)) == rules
    spec = RuleSetDescription.model_validate_json(text)
    assert spec.to_rule_set() == rules
    assert round_trips(spec).model_dump(mode="json") == rules.describe()


@settings(max_examples=40)
@given(case=scenario(), method=st.sampled_from(("snapshot", "events")),
       freq=st.sampled_from((None, "month")))
def test_json_in_json_out_equals_the_engine(
    case: Case, method: BridgeMethod, freq: Frequency | None
) -> None:
    ds, fx, policy, start, end = case
    request = BridgeRequest(dataset=ds, start=start.isoformat(), end=end.isoformat(), fx=fx,
                            policy=policy, method=method, freq=freq)
    assert round_trips(request).dataset.to_dataset() == ds
    payload = handle_bridge(request.model_dump_json())
    if freq is None:
        expected: Bridge | BridgeSeries = revenue_bridge(ds, start, end, method=method,
                                                         fx=fx, policy=policy)
        assert Bridge.model_validate(payload) == expected
    else:
        expected = bridge_series(ds, start, end, freq="month", method=method,
                                 fx=fx, policy=policy)
        assert BridgeSeries.model_validate(payload) == expected
    assert payload == json.loads(expected.model_dump_json())


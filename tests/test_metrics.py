"""Hand-computed metrics: every formula on a small business, plus the zero and single-customer edges."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from expansion_revenue import (
    Bridge,
    BridgeSeries,
    Dataset,
    Policy,
    bridge_series,
    mrr_snapshot,
    revenue_bridge,
)
from expansion_revenue.engine.metrics import (
    NO_ENTITY_DETAIL,
    NO_LOSS,
    NO_LOSS_LIFETIME,
    NO_PAYING_ENTITIES,
    NO_STARTING_ENTITIES,
    NO_STARTING_MRR,
    UNKNOWN_ENTITIES,
    MetricInputError,
    bridge_metrics,
    period_metrics,
    period_months,
    series_metrics,
    trailing_metrics,
)
from expansion_revenue.results.metrics import METRIC_NAMES, MetricsSeries, RevenueMetrics, ratio
from tests.builders import contract, customer, d, dataset, dec, fx, line, one_customer, plan


def business() -> Dataset:
    """Six customers on a 100/month plan; February 2024 has every kind of movement.

    MRR on Jan 31: acme 200, beta 400, gamma 100, delta 500 (4 customers, 1200).
    In February: acme 2 -> 3 seats (+100), beta 4 -> 1 (-300), gamma leaves (-100), delta stays,
    eps is new (+200), zeta returns (+100, it paid in Nov-Dec 2023).
    MRR on Feb 29: acme 300, beta 100, delta 500, eps 200, zeta 100 (5 customers, 1200).
    """
    return dataset(
        customers=[customer("acme", segment="smb"), customer("beta", segment="ent"),
                   customer("gamma", segment="smb"), customer("delta", segment="ent"),
                   customer("eps"), customer("zeta", segment="smb")],
        plans=[plan("m", price="100")],
        contracts=[
            contract("ka", "acme", [line("a1", "m", 2, "2023-12-01", "2024-02-10"),
                                    line("a2", "m", 3, "2024-02-10")]),
            contract("kb", "beta", [line("b1", "m", 4, "2023-12-01", "2024-02-10"),
                                    line("b2", "m", 1, "2024-02-10")]),
            contract("kg", "gamma", [line("g1", "m", 1, "2023-12-01", "2024-02-15")]),
            contract("kd", "delta", [line("d1", "m", 5, "2023-12-01")]),
            contract("ke", "eps", [line("e1", "m", 2, "2024-02-05")]),
            contract("kz", "zeta", [line("z1", "m", 1, "2023-11-01", "2023-12-15"),
                                    line("z2", "m", 1, "2024-02-20")]),
        ])


# -- the worked example ----------------------------------------------------------------------------


def test_every_metric_of_a_month_by_hand() -> None:
    m = period_metrics(business(), "2024-02", "2024-02")
    assert (m.start, m.end, m.months, m.periods) == (d("2024-01-31"), d("2024-02-29"), dec("1.000000"), 1)
    assert (m.starting_mrr, m.new, m.reactivation, m.expansion, m.contraction, m.churn, m.fx,
            m.ending_mrr) == (dec(1200), dec(200), dec(100), dec(100), dec(-300), dec(-100), dec(0),
                              dec(1200))
    assert (m.starting_entities, m.ending_entities, m.churned_entities) == (4, 5, 1)
    assert m.nrr == dec("0.750000")                       # (300 + 100 + 0 + 500) / 1200
    assert m.grr == dec("0.666667")                       # (200 + 100 + 0 + 500) / 1200 = 0.6666..
    assert m.expansion_rate == dec("0.083333")            # 100 / 1200
    assert m.contraction_rate == dec("0.250000")          # 300 / 1200
    assert m.revenue_churn_rate == dec("0.083333")        # 100 / 1200 (churned customers only)
    assert m.gross_revenue_churn_rate == dec("0.333333")  # (300 + 100) / 1200
    assert m.net_revenue_churn_rate == dec("0.250000")    # (400 - 100) / 1200 = 1 - NRR
    assert m.logo_churn_rate == dec("0.250000")           # 1 of 4
    assert m.quick_ratio == dec("1.000000")               # (200 + 100 + 100) / |-300 - 100|
    assert m.arr == dec(14400)                            # 12 x 1200, exact
    assert m.arpa == dec("240.000000")                    # 1200 / 5
    assert m.ltv == dec("720.000000")                     # 240 / (400 / 1200 per month)
    assert m.reasons == {}
    assert m.gross_margin is None


def test_gross_margin_scales_ltv() -> None:
    m = period_metrics(business(), "2024-02", "2024-02", gross_margin="0.8")
    assert (m.gross_margin, m.ltv) == (dec("0.8"), dec("576.000000"))  # 240 x 0.8 / (1/3)


@pytest.mark.parametrize("margin", ["0", "-0.1", "1.01", "abc"])
def test_gross_margin_outside_zero_one_is_refused(margin: str) -> None:
    with pytest.raises(MetricInputError, match="gross_margin"):
        bridge_metrics(Bridge.empty_example(), gross_margin=margin)


def test_bridge_alone_gives_everything_but_entity_counts() -> None:
    bridge = revenue_bridge(business(), "2024-02", "2024-02")
    m = bridge_metrics(bridge)
    assert (m.nrr, m.grr, m.quick_ratio) == (dec("0.750000"), dec("0.666667"), dec("1.000000"))
    assert m.churned_entities == 1 and m.starting_entities is None and m.ending_entities is None
    assert m.logo_churn_rate is None and m.arpa is None and m.ltv is None
    assert m.reasons == {"logo_churn_rate": UNKNOWN_ENTITIES, "arpa": UNKNOWN_ENTITIES,
                         "ltv": f"ARPA is undefined: {UNKNOWN_ENTITIES}"}


def test_starting_entities_as_a_count_or_a_snapshot() -> None:
    ds = business()
    bridge = revenue_bridge(ds, "2024-02", "2024-02")
    by_count = bridge_metrics(bridge, starting_entities=4)
    by_snapshot = bridge_metrics(bridge, starting_entities=mrr_snapshot(ds, "2024-01-31"))
    assert by_count == by_snapshot == period_metrics(ds, "2024-02", "2024-02")


def test_a_snapshot_that_does_not_match_the_bridge_is_refused() -> None:
    ds = business()
    bridge = revenue_bridge(ds, "2024-02", "2024-02")
    with pytest.raises(MetricInputError, match="is on 2024-01-30, the bridge starts on 2024-01-31"):
        bridge_metrics(bridge, starting_entities=mrr_snapshot(ds, "2024-01-30"))
    other = mrr_snapshot(ds, "2024-01-31", policy=Policy(discounts_reduce_mrr=False, level="parent"))
    with pytest.raises(MetricInputError, match="at level 'parent', the bridge at 'customer'"):
        bridge_metrics(bridge, starting_entities=other)
    cheaper = dataset(plans=[plan("m", price="50")], contracts=[
        contract("kd", "delta", [line("d1", "m", 5, "2023-12-01")])])
    with pytest.raises(MetricInputError, match="totals 250, the bridge starts from 1200"):
        bridge_metrics(bridge, starting_entities=mrr_snapshot(cheaper, "2024-01-31"))


def test_a_count_below_the_entities_the_bridge_shows_is_refused() -> None:
    # acme, beta and gamma had MRR on Jan 31 and moved: at least 3 starting entities.
    bridge = revenue_bridge(business(), "2024-02", "2024-02")
    with pytest.raises(MetricInputError, match="starting_entities is 2, but the bridge shows 3"):
        bridge_metrics(bridge, starting_entities=2)


# -- zero denominators and single customers ----------------------------------------------------------


def test_no_revenue_at_all_gives_none_with_reasons_never_zero() -> None:
    m = period_metrics(Dataset(), "2024-01", "2024-12")
    assert all(value is None for value in m.values.values())
    assert m.reasons["nrr"] == m.reasons["expansion_rate"] == NO_STARTING_MRR
    assert m.reasons["quick_ratio"] == NO_LOSS
    assert m.reasons["logo_churn_rate"] == NO_STARTING_ENTITIES
    assert m.reasons["arpa"] == NO_PAYING_ENTITIES
    assert m.reasons["ltv"] == f"ARPA is undefined: {NO_PAYING_ENTITIES}"
    assert (m.arr, m.starting_entities, m.ending_entities, m.churned_entities) == (0, 0, 0, 0)


def test_only_new_revenue_has_no_retention_but_an_arpa() -> None:
    # Starts 2024-02-05: no MRR on Jan 31, 300 on Feb 29.
    ds = one_customer([plan("m", price="100")], [line("l", "m", 3, "2024-02-05")])
    m = period_metrics(ds, "2024-02", "2024-02")
    assert m.new == 300 and m.nrr is None and m.grr is None
    assert m.arpa == dec("300.000000")
    assert m.quick_ratio is None and m.reasons["quick_ratio"] == NO_LOSS
    assert m.reasons["ltv"] == NO_STARTING_MRR


def test_single_customer_churning_everything() -> None:
    ds = one_customer([plan("m", price="100")], [line("l", "m", 1, "2024-01-01", "2024-02-10")])
    m = period_metrics(ds, "2024-02", "2024-02")
    assert (m.nrr, m.grr, m.logo_churn_rate) == (dec(0), dec(0), dec(1))  # 0 / 100, 0 / 100, 1 / 1
    assert m.revenue_churn_rate == m.gross_revenue_churn_rate == m.net_revenue_churn_rate == dec(1)
    assert m.quick_ratio == dec(0)                                         # 0 / 100
    assert m.arpa is None and m.reasons["arpa"] == NO_PAYING_ENTITIES
    assert m.ending_entities == 0


def test_single_customer_expanding_keeps_grr_at_one() -> None:
    ds = one_customer([plan("m", price="100")], [line("l1", "m", 2, "2024-01-01", "2024-02-10"),
                                                 line("l2", "m", 3, "2024-02-10")])
    m = period_metrics(ds, "2024-02", "2024-02")
    assert (m.nrr, m.grr, m.expansion_rate) == (dec("1.5"), dec(1), dec("0.5"))  # 300/200, 200/200
    assert m.net_revenue_churn_rate == dec("-0.500000")  # (0 - 100) / 200: negative net churn
    assert m.quick_ratio is None and m.ltv is None and m.reasons["ltv"] == NO_LOSS_LIFETIME
    assert m.arpa == dec(300)


def test_an_empty_period_has_no_movement_and_full_retention() -> None:
    m = period_metrics(business(), "2024-01-31", "2024-01-31")
    assert (m.months, m.nrr, m.grr, m.expansion_rate, m.logo_churn_rate) == (0, 1, 1, 0, 0)
    assert m.arpa == dec(300)   # 1200 / 4


def test_one_customers_expansion_never_hides_anothers_churn_in_grr() -> None:
    # a: 100 -> 200, b: 100 -> 0. Net: NRR 1; per entity: GRR (100 + 0) / 200.
    ds = dataset(plans=[plan("m", price="100")], contracts=[
        contract("ka", "a", [line("a1", "m", 1, "2024-01-01", "2024-02-10"),
                             line("a2", "m", 2, "2024-02-10")]),
        contract("kb", "b", [line("b1", "m", 1, "2024-01-01", "2024-02-10")])])
    m = period_metrics(ds, "2024-02", "2024-02")
    assert (m.nrr, m.grr) == (dec(1), dec("0.5"))


# -- methods, levels, currencies ---------------------------------------------------------------------


def test_events_bridge_retention_compares_endpoints() -> None:
    # Up from 1 to 3 seats on Feb 5, back to 1 on Feb 20: the events bridge shows +200 and -200,
    # but the customer ends where it started, so NRR = GRR = 1.
    ds = one_customer([plan("m", price="100")], [
        line("l1", "m", 1, "2024-01-01", "2024-02-05"), line("l2", "m", 3, "2024-02-05", "2024-02-20"),
        line("l3", "m", 1, "2024-02-20")])
    m = period_metrics(ds, "2024-02", "2024-02", method="events")
    assert (m.expansion, m.contraction) == (dec(200), dec(-200))
    assert (m.nrr, m.grr, m.expansion_rate, m.contraction_rate) == (1, 1, 2, 2)
    assert m.quick_ratio == 1


def test_events_bridge_counts_a_customer_that_left_and_returned_as_retained() -> None:
    ds = one_customer([plan("m", price="100")], [
        line("l1", "m", 1, "2024-01-01", "2024-02-05"), line("l2", "m", 1, "2024-02-20")])
    m = period_metrics(ds, "2024-02", "2024-02", method="events")
    assert (m.churn, m.reactivation) == (dec(-100), dec(100))
    assert (m.nrr, m.logo_churn_rate, m.churned_entities) == (1, 0, 0)


def test_metrics_follow_the_entity_level() -> None:
    # Two subsidiaries of one group: one leaves, the other grows by the same amount.
    ds = dataset(customers=[customer("g"), customer("s1", parent="g"), customer("s2", parent="g")],
                 plans=[plan("m", price="100")], contracts=[
        contract("k1", "s1", [line("l1", "m", 1, "2024-01-01", "2024-02-10")]),
        contract("k2", "s2", [line("l2", "m", 1, "2024-01-01", "2024-02-10"),
                              line("l3", "m", 2, "2024-02-10")])])
    by_customer = period_metrics(ds, "2024-02", "2024-02")
    by_parent = period_metrics(ds, "2024-02", "2024-02", policy=Policy(level="parent"))
    assert (by_customer.grr, by_customer.logo_churn_rate) == (dec("0.5"), dec("0.5"))
    assert (by_parent.grr, by_parent.logo_churn_rate, by_parent.level) == (1, 0, "parent")
    assert by_customer.nrr == by_parent.nrr == 1


def test_exchange_rates_never_count_as_retention() -> None:
    # A EUR customer whose MRR does not change while the euro rises 10%: NRR and GRR stay at 1.
    ds = one_customer([plan("m", price="100", currency="EUR")],
                      [line("l", "m", 1, "2024-01-01", currency="EUR")], currency="EUR")
    rates = fx("USD", EUR={"2024-01-01": "1.00", "2024-02-01": "1.10"})
    m = period_metrics(ds, "2024-02", "2024-02", fx=rates)
    assert (m.starting_mrr, m.fx, m.ending_mrr) == (dec("100.00"), dec("10.0000"), dec("110.0000"))
    assert (m.nrr, m.grr, m.expansion_rate) == (1, 1, 0)
    assert m.quick_ratio is None


def test_exchange_rates_do_not_change_a_churn() -> None:
    # The same customer leaves on Feb 10: GRR 0, not -0.1 or 0.1.
    ds = one_customer([plan("m", price="100", currency="EUR")],
                      [line("l", "m", 1, "2024-01-01", "2024-02-10", currency="EUR")], currency="EUR")
    rates = fx("USD", EUR={"2024-01-01": "1.00", "2024-02-01": "1.10"})
    for method in ("snapshot", "events"):
        m = period_metrics(ds, "2024-02", "2024-02", fx=rates, method=method)
        assert (m.nrr, m.grr, m.logo_churn_rate) == (0, 0, 1), method


# -- series and trailing windows -----------------------------------------------------------------------


def test_series_metrics_carry_the_entity_count_forward() -> None:
    ds = business()
    series = bridge_series(ds, "2024-01", "2024-03")
    out = series_metrics(series, starting_entities=mrr_snapshot(ds, series.bridges[0].start))
    assert out.window == 1
    # Dec 31: acme, beta, gamma, delta, zeta (zeta's line ended Dec 15: gone on Dec 31) -> 4.
    assert [(m.starting_entities, m.ending_entities) for m in out.metrics] == [(4, 4), (4, 5), (5, 5)]
    assert out.column("nrr") == (dec(1), dec("0.750000"), dec(1))
    assert [m.end for m in out.metrics] == [d("2024-01-31"), d("2024-02-29"), d("2024-03-31")]


def test_trailing_window_equals_a_direct_bridge_over_it() -> None:
    ds = business()
    series = bridge_series(ds, "2024-01", "2024-03")
    trailing = trailing_metrics(series, 2, starting_entities=mrr_snapshot(ds, "2023-12-31"))
    assert [m.start for m in trailing.metrics] == [d("2023-12-31"), d("2024-01-31")]
    direct = period_metrics(ds, "2024-01", "2024-02")
    assert trailing.metrics[0] == direct.model_copy(update={"periods": 2})
    assert trailing.metrics[0].months == 2 and trailing.metrics[0].periods == 2


def test_trailing_ltv_uses_the_average_monthly_churn() -> None:
    # Twelve months, one loss of 100 on 1200: monthly gross churn 100/1200/12; LTV = ARPA x 144.
    ds = dataset(plans=[plan("m", price="100")], contracts=[
        contract("ka", "a", [line("a1", "m", 11, "2023-01-01")]),
        contract("kb", "b", [line("b1", "m", 1, "2023-01-01", "2023-06-10")])])
    series = bridge_series(ds, "2023-02", "2024-01")
    m = trailing_metrics(series, 12, starting_entities=2).metrics[0]
    assert (m.months, m.gross_revenue_churn_rate) == (12, dec("0.083333"))
    assert m.arpa == 1100 and m.ltv == dec(1100 * 144)


def test_trailing_window_longer_than_the_series_is_empty() -> None:
    series = bridge_series(business(), "2024-01", "2024-03")
    assert trailing_metrics(series).metrics == ()
    with pytest.raises(MetricInputError, match="periods must be at least 1"):
        trailing_metrics(series, 0)


def test_a_series_summary_has_no_entity_detail() -> None:
    summary = bridge_series(business(), "2024-01", "2024-03").summary
    m = bridge_metrics(summary, starting_entities=4)
    assert m.nrr is None and m.reasons["nrr"] == NO_ENTITY_DETAIL
    assert m.reasons["logo_churn_rate"] == NO_ENTITY_DETAIL
    assert m.expansion_rate == dec("0.083333") and m.periods == 3


def test_metrics_of_quarterly_bridges_count_months() -> None:
    series = bridge_series(business(), "2024-01", "2024-06", freq="quarter")
    assert series_metrics(series).column("months") == (3, 3)


# -- building blocks ---------------------------------------------------------------------------------


def test_ratio_rounds_half_even_once() -> None:
    assert ratio(1, 8, places=2) == dec("0.12")       # 0.125 -> 0.12 (even)
    assert ratio(3, 8, places=2) == dec("0.38")       # 0.375 -> 0.38 (even)
    assert ratio(dec("2"), dec("3")) == dec("0.666667")
    assert str(ratio(1, 1)) == "1.000000"
    with pytest.raises(ZeroDivisionError):
        ratio(1, 0)


def test_period_months() -> None:
    policy = Policy()
    assert period_months(d("2024-01-31"), d("2024-02-29"), policy) == 1
    assert period_months(d("2024-01-01"), d("2025-01-01"), policy) == 12
    assert period_months(d("2024-01-01"), d("2024-01-31"), policy) * 365 == 30 * 12  # 30 days


def test_metrics_serialize_and_round_trip() -> None:
    m = period_metrics(business(), "2024-02", "2024-02", gross_margin="0.8")
    text = m.model_dump_json()
    assert '"nrr":"0.750000"' in text and '"arr":"14400"' in text
    assert RevenueMetrics.model_validate_json(text) == m
    series = series_metrics(bridge_series(business(), "2024-01", "2024-03"), starting_entities=4)
    assert MetricsSeries.model_validate_json(series.model_dump_json()) == series


def test_metrics_are_frozen_and_check_themselves() -> None:
    m = period_metrics(business(), "2024-02", "2024-02")
    with pytest.raises(ValidationError):
        m.nrr = Decimal(2)  # type: ignore[misc]
    data = m.model_dump()
    with pytest.raises(ValidationError, match="metrics_sum"):
        RevenueMetrics.model_validate({**data, "ending_mrr": "1"})
    with pytest.raises(ValidationError, match="reasons must name exactly"):
        RevenueMetrics.model_validate({**data, "nrr": None})
    with pytest.raises(ValidationError, match="outside"):
        RevenueMetrics.model_validate({**data, "grr": "1.1"})
    with pytest.raises(ValidationError, match="extra"):
        RevenueMetrics.model_validate({**data, "surprise": 1})
    assert list(m.values) == list(METRIC_NAMES)


def test_metrics_series_must_be_in_order_and_columns_must_exist() -> None:
    m = period_metrics(business(), "2024-02", "2024-02")
    with pytest.raises(ValidationError, match="date order"):
        MetricsSeries(window=1, metrics=(m, m))
    with pytest.raises(AttributeError, match="no field 'bogus'"):
        MetricsSeries(window=1, metrics=(m,)).column("bogus")


def test_empty_series() -> None:
    assert series_metrics(BridgeSeries(bridges=())).metrics == ()
    assert dt.date(2024, 1, 31) == Bridge.empty_example().start

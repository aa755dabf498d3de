"""Worked examples for the revenue bridge, with the arithmetic in comments.

Every figure below was computed by hand from the lines in the example; the bridge identity
``starting + movements == ending`` is also checked by the Bridge model itself.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from expansion_revenue import (
    Bridge,
    CurrencyMismatchError,
    Dataset,
    InvalidPeriodError,
    MissingRateError,
    MovementKind,
    Policy,
    bridge_series,
    mrr_snapshot,
    revenue_bridge,
)
from tests.builders import contract, customer, d, dataset, fx, line, one_customer, plan

BASIC = plan("basic", product="crm", tier=1, price="10")
PRO = plan("pro", product="crm", tier=2, price="20")


def figures(bridge: Bridge) -> dict[str, Decimal]:
    return {k: v for k, v in bridge.components.items() if v != 0}


def story_dataset() -> Dataset:
    """Customer a: new Jan 10 (5 x basic = 50), upgrade Feb 15 to pro (5 x 20 = 100),
    downgrade Mar 20 to basic (50). Customer b: 1 x basic (10) since 2023, churns Feb 1,
    returns Apr 1 with 2 x basic (20)."""
    return dataset(plans=[BASIC, PRO], contracts=[
        contract("ka", "a", [line("a1", "basic", 5, "2024-01-10", "2024-02-15"),
                             line("a2", "pro", 5, "2024-02-15", "2024-03-20"),
                             line("a3", "basic", 5, "2024-03-20")]),
        contract("kb", "b", [line("b1", "basic", 1, "2023-06-01", "2024-02-01"),
                             line("b2", "basic", 2, "2024-04-01")])])


def test_monthly_snapshot_bridges_show_every_movement() -> None:
    series = bridge_series(story_dataset(), "2024-01", "2024-04")
    jan, feb, mar, apr = series.bridges
    # Jan: start 10 (b); a is new with 5 x 10 = 50; end 60.
    assert (jan.starting_mrr, figures(jan), jan.ending_mrr) == (10, {"new": 50}, 60)
    # Feb: a 50 -> 100 (+50 expansion); b 10 -> 0 (-10 churn); end 100.
    assert (figures(feb), feb.ending_mrr) == ({"expansion": 50, "churn": -10}, 100)
    # Mar: a 100 -> 50 (-50 contraction).
    assert (figures(mar), mar.ending_mrr) == ({"contraction": -50}, 50)
    # Apr: b returns with 2 x 10 = 20: it paid before, so reactivation; end 70.
    assert (figures(apr), apr.ending_mrr) == ({"reactivation": 20}, 70)


def test_snapshot_method_nets_changes_inside_the_period() -> None:
    quarter = revenue_bridge(story_dataset(), "2024-01", "2024-04")
    # Dec 31 -> Apr 30: a 0 -> 50 (new 50); b 10 -> 20 (expansion 10). 10 + 60 = 70.
    assert (quarter.starting_mrr, figures(quarter), quarter.ending_mrr) == (
        10, {"new": 50, "expansion": 10}, 70)
    assert [(m.entity_id, m.kind.value, m.amount) for m in quarter.ledger] == [
        ("a", "new", 50), ("b", "expansion", 10)]


def test_events_method_shows_each_change_when_it_happens() -> None:
    quarter = revenue_bridge(story_dataset(), "2024-01", "2024-04", method="events")
    # a: new 50 (Jan 10), +50 (Feb 15), -50 (Mar 20); b: churn -10 (Feb 1), back +20 (Apr 1).
    assert figures(quarter) == {"new": 50, "expansion": 50, "contraction": -50, "churn": -10,
                                "reactivation": 20}
    assert [(m.entity_id, m.kind.value, m.amount, m.on) for m in quarter.ledger] == [
        ("a", "new", 50, d("2024-01-10")), ("a", "expansion", 50, d("2024-02-15")),
        ("a", "contraction", -50, d("2024-03-20")), ("b", "churn", -10, d("2024-02-01")),
        ("b", "reactivation", 20, d("2024-04-01"))]
    # Every row says which lines moved.
    assert quarter.ledger[1].line_ids == ("a1", "a2")


def test_parent_level_nets_a_child_churn_against_a_sibling() -> None:
    ds = dataset(
        customers=[customer("group"), customer("x", parent="group"), customer("y", parent="group")],
        plans=[BASIC],
        contracts=[contract("kx", "x", [line("x1", "basic", 3, "2023-01-01", "2024-01-15")]),
                   contract("ky", "y", [line("y1", "basic", 1, "2023-01-01", "2024-01-15"),
                                        line("y2", "basic", 4, "2024-01-15")])])
    # Customer level: x churns (-30), y expands 10 -> 40 (+30).
    child = revenue_bridge(ds, "2024-01", "2024-01")
    assert figures(child) == {"churn": -30, "expansion": 30}
    # Parent level: the group goes 40 -> 40: nothing moved.
    group = revenue_bridge(ds, "2024-01", "2024-01", policy=Policy(level="parent"))
    assert figures(group) == {} and group.ledger == ()
    by_segment = revenue_bridge(ds, "2024-01", "2024-01", policy=Policy(level="attribute:segment"))
    assert by_segment.ledger == ()  # all three customers fall in "(none)"


def test_fx_change_is_its_own_line() -> None:
    ds = one_customer([plan("eur", price="100", currency="EUR")],
                      [line("l1", "eur", 2, "2023-06-01")], currency="EUR")
    rates = fx("USD", EUR={"2023-01-01": "1.10", "2024-02-01": "1.05"})
    bridge = revenue_bridge(ds, "2024-01-31", "2024-02-29", fx=rates)
    # 2 x 100 EUR = 200 EUR. Jan 31: 200 x 1.10 = 220 USD; Feb 29: 200 x 1.05 = 210 USD.
    assert (bridge.starting_mrr, figures(bridge), bridge.ending_mrr) == (220, {"fx": -10}, 210)
    # Constant currency at Jan 1, 2023 rates: no fx line, 220 both ends.
    constant = Policy(fx_basis="constant", fx_constant_date="2023-01-01")
    flat = revenue_bridge(ds, "2024-01-31", "2024-02-29", fx=rates, policy=constant)
    assert (flat.starting_mrr, figures(flat), flat.ending_mrr) == (220, {}, 220)


def test_fx_and_expansion_together_value_movement_at_opening_rates() -> None:
    ds = one_customer([plan("eur", price="100", currency="EUR")],
                      [line("l1", "eur", 2, "2023-06-01", "2024-02-10"),
                       line("l2", "eur", 3, "2024-02-10")], currency="EUR")
    rates = fx("USD", EUR={"2023-01-01": "1.10", "2024-02-01": "1.20"})
    snap = revenue_bridge(ds, "2024-01-31", "2024-02-29", fx=rates)
    # Snapshot method: 200 EUR -> 300 EUR. At opening rate 1.10: 220 -> 330, expansion 110;
    # ending 300 x 1.20 = 360, so fx = 360 - 330 = 30.
    assert figures(snap) == {"expansion": 110, "fx": 30}
    events = revenue_bridge(ds, "2024-01-31", "2024-02-29", fx=rates, method="events")
    # Events method: the change on Feb 10 is valued at that day's rate 1.20: +100 x 1.2 = 120;
    # fx = (360 - 220) - 120 = 20 (the 200 EUR held through the rate change x 0.10).
    assert figures(events) == {"expansion": 120, "fx": 20}


def test_reactivation_window_turns_late_returns_into_new() -> None:
    ds = one_customer([BASIC], [line("l1", "basic", 1, "2023-01-01", "2023-06-01"),
                                line("l2", "basic", 1, "2023-12-01")])
    # Churned 2023-06-01, back 2023-12-01: 183 days later.
    anytime = revenue_bridge(ds, "2023-12", "2023-12")
    assert figures(anytime) == {"reactivation": 10}
    window_90 = revenue_bridge(ds, "2023-12", "2023-12", policy=Policy(reactivation_window_days=90))
    assert figures(window_90) == {"new": 10}
    window_200 = revenue_bridge(ds, "2023-12", "2023-12", policy=Policy(reactivation_window_days=200))
    assert figures(window_200) == {"reactivation": 10}


def test_free_to_paid_policy() -> None:
    free = plan("free", tier=0, price="0")
    ds = one_customer([free, PRO], [line("f", "free", 1, "2024-01-01", "2024-02-10"),
                                    line("p", "pro", 2, "2024-02-10")])
    # 0 -> 40 while subscribed to the free plan.
    assert figures(revenue_bridge(ds, "2024-02", "2024-02")) == {"new": 40}
    as_expansion = Policy(free_to_paid="expansion")
    assert figures(revenue_bridge(ds, "2024-02", "2024-02", policy=as_expansion)) == {"expansion": 40}
    # Zero-MRR lines are still in the snapshot: nothing is dropped.
    assert [x.line_id for x in mrr_snapshot(ds, "2024-01-31").lines] == ["f"]


def test_discount_expiry_and_list_price_policy() -> None:
    ds = one_customer([PRO], [line("l", "pro", 10, "2023-01-01", discount="0.25",
                                   discount_end="2024-03-01")])
    # 10 x 20 = 200 list; 25% off = 150 until Mar 1, then 200: expansion 50 in March.
    assert figures(revenue_bridge(ds, "2024-03", "2024-03")) == {"expansion": 50}
    list_price = Policy(discounts_reduce_mrr=False)
    assert figures(revenue_bridge(ds, "2024-03", "2024-03", policy=list_price)) == {}
    assert revenue_bridge(ds, "2024-03", "2024-03", policy=list_price).ending_mrr == 200


def test_month_strings_and_conventions() -> None:
    ds = story_dataset()
    # "2024-02" to "2024-02" under end-of-month: (Jan 31, Feb 29].
    feb = revenue_bridge(ds, "2024-02", "2024-02")
    assert (feb.start, feb.end) == (dt.date(2024, 1, 31), dt.date(2024, 2, 29))
    # Start-of-month convention measures each month on its first day: (Feb 1, Mar 1].
    first = revenue_bridge(ds, "2024-02", "2024-02", policy=Policy(month_snapshot="start"))
    assert (first.start, first.end) == (dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    quarters = bridge_series(ds, "2024-01", "2024-12", freq="quarter")
    assert [b.end for b in quarters.bridges] == [d("2024-03-31"), d("2024-06-30"), d("2024-09-30"),
                                                  d("2024-12-31")]


def test_series_summary_adds_up_the_periods() -> None:
    series = bridge_series(story_dataset(), "2024-01", "2024-04", method="events")
    direct = revenue_bridge(story_dataset(), "2024-01", "2024-04", method="events")
    assert series.summary.components == direct.components
    assert series.summary.periods == 4


def test_empty_period_has_no_movements() -> None:
    bridge = revenue_bridge(story_dataset(), "2024-02-15", "2024-02-15", method="events")
    # Feb 15: a on pro, 5 x 20 = 100; b left on Feb 1.
    assert bridge.ledger == () and bridge.starting_mrr == bridge.ending_mrr == 100


def test_bad_input_gives_typed_errors() -> None:
    ds = story_dataset()
    with pytest.raises(InvalidPeriodError, match=r"^start 2024-03-01 is after end 2024-01-01$"):
        revenue_bridge(ds, "2024-03-01", "2024-01-01")
    with pytest.raises(InvalidPeriodError, match=r"^start and end mix a naive and a time-zone-aware"):
        revenue_bridge(ds, dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc))
    with pytest.raises(InvalidPeriodError, match=r"^end 'soon' is not an ISO date"):
        revenue_bridge(ds, "2024-01-01", "soon")
    with pytest.raises(InvalidPeriodError, match=r"^method must be 'snapshot' or 'events'"):
        revenue_bridge(ds, "2024-01", "2024-02", method="magic")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reactivation_window_days"):
        Policy(reactivation_window_days=-1)
    euro = one_customer([plan("eur", price="100", currency="EUR")], [line("l1", "eur")],
                        currency="EUR")
    with pytest.raises(MissingRateError, match=r"^no FX rate from EUR to USD on or before 2023-12-31$"):
        revenue_bridge(euro, "2024-01", "2024-02", currency="USD", fx=fx("USD"))
    mixed = dataset(plans=[BASIC, plan("eur", price="100", currency="EUR")],
                    contracts=[contract("k1", "a", [line("l1", "basic")]),
                               contract("k2", "b", [line("l2", "eur")], currency="EUR")])
    with pytest.raises(CurrencyMismatchError, match=r"several currencies"):
        revenue_bridge(mixed, "2024-01", "2024-02")


def test_a_bridge_that_does_not_sum_cannot_be_built() -> None:
    good = revenue_bridge(story_dataset(), "2024-01", "2024-04", attribution=False)
    data = dict(good)
    data["new"] = good.new + 1
    with pytest.raises(ValidationError, match=r"bridge_sum|starting"):
        Bridge.model_validate(data)
    data = dict(good)
    data["ledger"] = good.ledger[1:]
    with pytest.raises(ValidationError):
        Bridge.model_validate(data)


def test_bridge_json_round_trip() -> None:
    bridge = revenue_bridge(story_dataset(), "2024-01", "2024-04", method="events")
    again = Bridge.model_validate_json(bridge.model_dump_json())
    assert again == bridge
    assert again.movements(MovementKind.CHURN)[0].amount == Decimal(-10)


def test_summary_of_a_one_bridge_series_is_that_bridge() -> None:
    series = bridge_series(story_dataset(), "2024-02", "2024-02")
    assert series.summary == series.bridges[0]
    assert figures(series.summary) == {"expansion": 50, "churn": -10}


def test_progress_callback_reports_each_phase() -> None:
    seen: list[tuple[str, int, int]] = []
    series = bridge_series(story_dataset(), "2024-01", "2024-04",
                           progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert seen[0] == ("compile lines", 0, 5) and ("compile lines", 5, 5) in seen
    assert ("walk entities", 2, 2) in seen
    assert [s for s in seen if s[0] == "build bridges"] == [("build bridges", k, 4) for k in range(1, 5)]
    # Progress does not change results.
    assert series == bridge_series(story_dataset(), "2024-01", "2024-04")

    def cancel(phase: str, done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        revenue_bridge(story_dataset(), "2024-01", "2024-04", progress=cancel)

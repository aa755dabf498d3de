"""Normalization to monthly revenue: worked examples, the arithmetic in the comments."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from expansion_revenue import FxRates, Interval, Policy, mrr_snapshot
from expansion_revenue.engine.normalize import (
    compile_lines,
    exact_or_rounded,
    line_terms,
    monthly_factor,
)
from tests.builders import contract, d, dataset, dec, fx, line, one_customer, plan


def line_mrr(price: str, interval: str, qty: int = 1, policy: Policy | None = None, **options: str
             ) -> Decimal:
    """The MRR on 2024-03-15 of one line of a plan at ``price`` per ``interval``."""
    ds = one_customer([plan("p", price=price, interval=interval)],
                      [line("l1", "p", qty=qty, start="2024-01-01", **options)])
    return mrr_snapshot(ds, "2024-03-15", policy=policy).total


@pytest.mark.parametrize(
    ("interval", "factor"),
    [("month", Fraction(1)), ("3 months", Fraction(1, 3)), ("annual", Fraction(1, 12)),
     ("2 years", Fraction(1, 24)), ("week", Fraction(52, 12)), ("2 weeks", Fraction(13, 6)),
     ("day", Fraction(365, 12)), ("30 days", Fraction(365, 360))],
)
def test_monthly_factor(interval: str, factor: Fraction) -> None:
    assert monthly_factor(Interval.model_validate(interval), Policy()) == factor


def test_monthly_factor_follows_the_policy() -> None:
    policy = Policy(weeks_per_month="4", days_per_month="30")
    assert monthly_factor(Interval.model_validate("2 weeks"), policy) == 2
    assert monthly_factor(Interval.model_validate("10 days"), policy) == 3


def test_monthly() -> None:
    # 49.90 a month x 4 seats = 199.60
    assert line_mrr("49.90", "month", qty=4) == dec("199.60")


def test_annual() -> None:
    # 1200 a year x 3 seats / 12 = 300 a month
    assert line_mrr("1200", "annual", qty=3) == dec("300")


def test_quarterly() -> None:
    # 450 a quarter x 2 / 3 = 300
    assert line_mrr("450", "quarterly", qty=2) == dec("300")


def test_weekly() -> None:
    # 30 a week x 52/12 = 130 (exactly: 30 x 52 = 1560, / 12 = 130)
    assert line_mrr("30", "week") == dec("130")


def test_daily() -> None:
    # 2.40 a day x 365/12 = 876/12 = 73
    assert line_mrr("2.40", "day") == dec("73")


def test_weekly_and_daily_under_another_policy() -> None:
    policy = Policy(weeks_per_month="4", days_per_month="30")
    # 30 a week x 4 = 120; 2.40 a day x 30 = 72
    assert line_mrr("30", "week", policy=policy) == dec("120")
    assert line_mrr("2.40", "day", policy=policy) == dec("72")


def test_non_terminating_mrr_is_rounded_half_even_to_six_places() -> None:
    # 100 a year / 12 = 8.3333333... -> 8.333333
    assert line_mrr("100", "annual") == dec("8.333333")
    # 10 a week x 52/12 = 43.3333333... -> 43.333333
    assert line_mrr("10", "week") == dec("43.333333")
    # 1 a day x 365/12 = 30.4166666... -> 30.416667
    assert line_mrr("1", "day") == dec("30.416667")
    # Exactly halfway at the 7th place rounds to even: 1/80000 = 0.0000125 -> 0.000012,
    # 3/80000 = 0.0000375 -> 0.000038
    assert exact_or_rounded(Fraction(1, 80000), 6) == dec("0.000012")
    assert exact_or_rounded(Fraction(3, 80000), 6) == dec("0.000038")


def test_rounding_places_follow_the_policy() -> None:
    # 100 / 12 = 8.333... -> 8.33 at two places; 1200 / 12 = 100 stays exact at any precision
    assert line_mrr("100", "annual", policy=Policy(mrr_decimal_places=2)) == dec("8.33")
    assert line_mrr("1200", "annual", policy=Policy(mrr_decimal_places=0)) == dec("100")


def test_terminating_results_are_exact_not_padded() -> None:
    # 1 / 8 = 0.125: exact (three places), not 0.125000
    assert str(exact_or_rounded(Fraction(1, 8), 6)) == "0.125"
    assert str(exact_or_rounded(Fraction(1200, 12), 6)) == "100"


def test_discount_until_it_ends() -> None:
    # 1200 a year x 3 / 12 = 300; 25% off until 2024-06-01: 300 x 0.75 = 225, then 300
    ds = one_customer([plan("y", price="1200", interval="annual")],
                      [line("l1", "y", qty=3, discount="0.25", discount_end="2024-06-01")])
    assert mrr_snapshot(ds, "2024-05-31").total == dec("225")
    assert mrr_snapshot(ds, "2024-06-01").total == dec("300")
    terms = line_terms(ds.lines[0], Policy())
    assert (terms.mrr_discounted, terms.mrr_full) == (dec("225"), dec("300"))


def test_discount_without_end_applies_for_the_whole_line() -> None:
    # 100 x 2 x (1 - 0.1) = 180
    assert line_mrr("100", "month", qty=2, discount="0.1") == dec("180")
    # 100% off: 0, still listed
    assert line_mrr("100", "month", discount="1") == dec("0")


def test_discount_ignored_when_policy_says_list_price() -> None:
    # discounts_reduce_mrr=False: 100 x 2 = 200 despite 10% off
    policy = Policy(discounts_reduce_mrr=False)
    assert line_mrr("100", "month", qty=2, discount="0.1", policy=policy) == dec("200")


def test_negotiated_unit_price_replaces_the_list_price() -> None:
    # list 100 a month, negotiated 80: 80 x 5 = 400 (list would be 500)
    ds = one_customer([plan("p", price="100")],
                      [line("l1", "p", qty=5, unit_price="80"), line("l2", "p", qty=5)])
    snap = mrr_snapshot(ds, "2024-03-15")
    assert [(row.line_id, row.mrr) for row in snap.lines] == [("l1", dec("400")), ("l2", dec("500"))]


def test_negotiated_price_with_discount_and_interval() -> None:
    # negotiated 900 a year x 4 seats / 12 = 300; 20% off: 240
    assert line_mrr("1200", "annual", qty=4, unit_price="900", discount="0.2") == dec("240")


def test_discount_on_a_non_terminating_line_rounds_once() -> None:
    # 100 a year x (1 - 0.3) / 12 = 70/12 = 5.8333... -> 5.833333, rounded once from the exact
    # product (not from the rounded full MRR: 8.333333 x 0.7 = 5.8333331)
    assert line_mrr("100", "annual", discount="0.3") == dec("5.833333")


def test_free_plan_and_zero_quantity_are_zero() -> None:
    assert line_mrr("0", "month", qty=10) == dec("0")
    assert line_mrr("100", "month", qty=0) == dec("0")


def test_line_terms_changes() -> None:
    # 300 full, 225 discounted until 2024-06-01, ends 2024-09-01
    ds = one_customer([plan("y", price="1200", interval="annual")],
                      [line("l1", "y", qty=3, discount="0.25", discount_end="2024-06-01",
                            end="2024-09-01")])
    terms = compile_lines(ds, Policy())[0]
    assert terms.changes() == ((d("2024-01-01"), dec("225")), (d("2024-06-01"), dec("75")),
                               (d("2024-09-01"), dec("-300")))
    assert terms.mrr_on(d("2023-12-31")) == 0
    assert terms.mrr_on(d("2024-09-01")) == 0


def test_discount_ending_after_the_line_is_no_change() -> None:
    ds = one_customer([plan("p", price="100")],
                      [line("l1", "p", discount="0.5", discount_end="2025-01-01", end="2024-06-01")])
    assert compile_lines(ds, Policy())[0].changes() == (
        (d("2024-01-01"), dec("50")), (d("2024-06-01"), dec("-50")))


def test_multi_currency_snapshot_with_fx() -> None:
    # acme pays 1000 EUR a month; globex pays 1200 USD a year (100 a month).
    # EUR->USD at 2024-03-01 is 1.0825: 1000 x 1.0825 = 1082.5 USD. Total: 1082.5 + 100 = 1182.5 USD.
    ds = dataset(
        plans=[plan("eu", price="1000", currency="EUR"),
               plan("us", price="1200", currency="USD", interval="annual")],
        contracts=[contract("k1", "acme", [line("l1", "eu")], currency="EUR"),
                   contract("k2", "globex", [line("l2", "us")])],
    )
    rates: FxRates = fx("USD", EUR={"2024-01-01": "1.10", "2024-03-01": "1.0825"})
    snap = mrr_snapshot(ds, "2024-03-15", fx=rates)
    assert snap.currency == "USD"
    eur = snap.lines[0]
    assert (eur.currency, eur.mrr_local, eur.rate, eur.mrr) == ("EUR", dec("1000"), dec("1.0825"),
                                                                dec("1082.5000"))
    assert snap.total == dec("1182.5")
    assert dict(snap.by_customer) == {"acme": dec("1082.5"), "globex": dec("100")}
    # In February the January rate holds: 1000 x 1.10 + 100 = 1200
    assert mrr_snapshot(ds, "2024-02-29", fx=rates).total == dec("1200")


def test_reporting_in_the_other_currency() -> None:
    # Report in EUR: 100 USD a month at 0.92 = 92 EUR; plus 1000 EUR = 1092 EUR.
    ds = dataset(
        plans=[plan("eu", price="1000", currency="EUR"), plan("us", price="100")],
        contracts=[contract("k1", "acme", [line("l1", "eu")], currency="EUR"),
                   contract("k2", "globex", [line("l2", "us")])],
    )
    snap = mrr_snapshot(ds, "2024-03-15", currency="EUR", fx=fx("EUR", USD={"2024-01-01": "0.92"}))
    assert (snap.currency, snap.total) == ("EUR", dec("1092"))


def test_constant_currency_policy_uses_one_date_for_every_snapshot() -> None:
    # Rates 1.10 (Jan) and 1.20 (Mar); constant at 2024-01-01: 1000 EUR -> 1100 USD even in March.
    ds = one_customer([plan("eu", price="1000", currency="EUR")], [line("l1", "eu")], currency="EUR")
    rates = fx("USD", EUR={"2024-01-01": "1.10", "2024-03-01": "1.20"})
    constant = Policy(fx_basis="constant", fx_constant_date="2024-01-01")
    assert mrr_snapshot(ds, "2024-03-15", fx=rates, policy=constant).total == dec("1100")
    assert mrr_snapshot(ds, "2024-03-15", fx=rates).total == dec("1200")

"""The bundled example: what it promises, checked from the data itself."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from expansion_revenue import (
    Dataset,
    FxRates,
    LineRef,
    ProductKind,
    example_path,
    load_example,
    load_example_fx,
    mrr_snapshot,
)

ROOT = Path(__file__).resolve().parent.parent
FIRST, LAST = dt.date(2023, 1, 1), dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_example()


def by_customer(ds: Dataset) -> dict[str, list[LineRef]]:
    lines: dict[str, list[LineRef]] = defaultdict(list)
    for ref in ds.lines:
        lines[ref.customer.id].append(ref)
    return lines


def price(ref: LineRef) -> Decimal:
    return (ref.line.unit_price or ref.plan.price).amount


def replacements(ds: Dataset) -> list[tuple[LineRef, LineRef]]:
    """(old, new): a line ending on the day another line of the same customer and product starts."""
    pairs = []
    for refs in by_customer(ds).values():
        for old in refs:
            for new in refs:
                if old.line.end == new.line.start and old.product.id == new.product.id:
                    pairs.append((old, new))
    return pairs


def active(refs: list[LineRef], day: dt.date) -> list[LineRef]:
    return [ref for ref in refs if ref.line.active_on(day)]


def test_the_example_has_customers_segments_and_regions(ds: Dataset) -> None:
    assert len(ds.customers) >= 40
    assert {c.attributes["segment"] for c in ds.customers} == {"smb", "mid_market", "enterprise"}
    assert all(c.attributes["region"] in {"na", "emea", "apac"} for c in ds.customers)


def test_three_core_products_with_three_tiers_and_add_ons(ds: Dataset) -> None:
    core = [p.id for p in ds.products if p.kind is ProductKind.CORE]
    add_ons = [p.id for p in ds.products if p.kind is ProductKind.ADD_ON]
    assert len(core) >= 3
    assert len(add_ons) >= 2
    for product in core:
        tiers = {plan.tier for plan in ds.plans if plan.product_id == product and plan.tier > 0}
        assert len(tiers) >= 3, product
    assert any(plan.tier == 0 and plan.price.amount == 0 for plan in ds.plans)  # a free tier


def test_billing_intervals_and_currencies(ds: Dataset) -> None:
    intervals = {str(plan.interval) for plan in ds.plans}
    assert {"1 month", "3 months", "1 year"} <= intervals
    assert ds.currencies() == frozenset({"USD", "EUR"})


def test_the_data_spans_two_years_with_mid_month_changes(ds: Dataset) -> None:
    starts = [ref.line.start for ref in ds.lines]
    assert min(starts) == FIRST
    assert max(starts) >= dt.date(2024, 6, 1)
    assert any(day.day != 1 for day in starts)
    assert all(ref.line.end is None or ref.line.end <= LAST for ref in ds.lines)
    fx = load_example_fx()
    assert mrr_snapshot(ds, FIRST, fx=fx).total > 0
    assert mrr_snapshot(ds, LAST, fx=fx).total > 0


def test_every_change_is_an_old_line_ending_as_a_new_one_starts(ds: Dataset) -> None:
    for old, new in replacements(ds):
        assert old.line.end == new.line.start
        assert old.contract.id == new.contract.id


def test_new_business_in_the_window(ds: Dataset) -> None:
    first_start = {c: min(ref.line.start for ref in refs) for c, refs in by_customer(ds).items()}
    assert sum(day > FIRST for day in first_start.values()) >= 10


@pytest.mark.parametrize("movement", [
    "upsell", "downgrade", "seats_up", "seats_down", "price_rise", "discount_added", "free_to_paid",
])
def test_each_line_change_movement_is_present(ds: Dataset, movement: str) -> None:
    found = []
    for old, new in replacements(ds):
        same_plan = old.plan.id == new.plan.id
        kinds = {
            "upsell": new.plan.tier > old.plan.tier > 0,
            "downgrade": new.plan.tier < old.plan.tier,
            "seats_up": same_plan and new.line.quantity > old.line.quantity,
            "seats_down": same_plan and new.line.quantity < old.line.quantity,
            "price_rise": same_plan and new.line.quantity == old.line.quantity and price(new) > price(old),
            "discount_added": (same_plan and price(new) == price(old)
                               and new.line.discount > old.line.discount),
            "free_to_paid": price(old) == 0 and price(new) > 0,
        }
        if kinds[movement]:
            found.append(new.customer.id)
    assert found, movement


def test_a_discount_expires(ds: Dataset) -> None:
    assert any(ref.line.discount > 0 and ref.line.discount_end is not None
               and (ref.line.end is None or ref.line.discount_end < ref.line.end) for ref in ds.lines)


def test_cross_sell_a_second_core_product(ds: Dataset) -> None:
    def cross_sold(refs: list[LineRef]) -> bool:
        return any(new.product.kind is ProductKind.CORE
                   and any(old.product.kind is ProductKind.CORE and old.product.id != new.product.id
                           for old in active(refs, new.line.start - dt.timedelta(days=1)))
                   for new in refs)
    assert any(cross_sold(refs) for refs in by_customer(ds).values())


def test_add_ons_are_bought_and_removed(ds: Dataset) -> None:
    bought = removed = False
    for refs in by_customer(ds).values():
        for ref in refs:
            if ref.product.kind is not ProductKind.ADD_ON:
                continue
            bought |= bool(active(refs, ref.line.start - dt.timedelta(days=1)))
            if ref.line.end is not None:
                removed |= bool(active(refs, ref.line.end))
    assert bought and removed


def churned(refs: list[LineRef]) -> dt.date | None:
    """The day the customer's last line ended, if none is open."""
    ends = [ref.line.end for ref in refs]
    return None if None in ends else max(end for end in ends if end is not None)


def test_churn_and_reactivation(ds: Dataset) -> None:
    customers = by_customer(ds)
    assert any(churned(refs) for refs in customers.values())
    reactivated = [
        customer for customer, refs in customers.items()
        if any(ref.line.end is not None and not active(refs, ref.line.end)
               and any(other.line.start > ref.line.end for other in refs) for ref in refs)]
    assert reactivated


def test_a_parent_whose_child_churns_while_a_sibling_grows(ds: Dataset) -> None:
    customers = by_customer(ds)
    children: dict[str, list[str]] = defaultdict(list)
    for customer in ds.customers:
        if customer.parent_id:
            children[customer.parent_id].append(customer.id)
    growers = {new.customer.id for old, new in replacements(ds)
               if new.line.quantity > old.line.quantity or new.plan.tier > old.plan.tier}
    assert any(2 <= len(kids) <= 3
               and any(churned(customers[kid]) for kid in kids)
               and any(kid in growers for kid in kids) for kids in children.values())


def test_the_fx_rates_vary_monthly_over_the_whole_window() -> None:
    fx = load_example_fx()
    assert isinstance(fx, FxRates) and fx.target == "USD"
    dates = fx.change_dates("EUR")
    # One rate before the data starts (so the bridge opening 2022-12-31 has one), then monthly.
    assert len(dates) == 25 and dates[0] == dt.date(2022, 12, 1) and dates[1] == FIRST
    assert dates[-1] == dt.date(2024, 12, 1)
    rates = [fx.rate("EUR", day) for day in dates]
    assert all(Decimal("1.04") <= rate <= Decimal("1.12") for rate in rates)
    assert all(rate != following for rate, following in itertools.pairwise(rates))


def test_example_path_names_only_bundled_files() -> None:
    assert example_path().name == "saas_lines.csv"
    assert example_path("fx_rates.csv").is_file()
    with pytest.raises(FileNotFoundError, match=r"no bundled example 'other\.csv'"):
        example_path("other.csv")


def test_the_committed_files_are_what_the_script_generates() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_example_data.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr

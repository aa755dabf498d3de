"""The record models: round trips, deep immutability, re-validating replace, every bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from expansion_revenue import (
    Contract,
    ContractLine,
    Customer,
    FxRates,
    Interval,
    IntervalUnit,
    Money,
    Plan,
    Product,
    ProductKind,
)
from tests.builders import line, plan
from tests.strategies import contract_lines, contracts, customers, intervals, plans, products

LINE = {"id": "l1", "plan_id": "pro", "quantity": 3, "start": "2024-01-01"}
PLAN = {"id": "pro", "product_id": "crm", "name": "Pro", "tier": 2,
        "price": {"amount": "100", "currency": "USD"}, "interval": "month"}


def errors_of(model: type[BaseModel], data: object) -> list[tuple[str, str, tuple[str | int, ...]]]:
    """(type, message, location) of every error validating ``data`` as ``model``."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(e["type"], e["msg"], tuple(e["loc"])) for e in info.value.errors(include_url=False)]


# -- round trips -------------------------------------------------------------------------------

record_strategies: list[tuple[type[BaseModel], st.SearchStrategy[Any]]] = [
    (Customer, customers()),
    (Product, products()),
    (Plan, plans()),
    (ContractLine, contract_lines()),
    (ContractLine, contract_lines(currency=None)),
    (Contract, contracts()),
    (Interval, intervals()),
]


@pytest.mark.parametrize(("model", "strategy"), record_strategies,
                         ids=[f"{m.__name__}-{i}" for i, (m, _) in enumerate(record_strategies)])
@given(data=st.data())
def test_json_round_trip(model: type[BaseModel], strategy: st.SearchStrategy[BaseModel],
                         data: st.DataObject) -> None:
    record = data.draw(strategy)
    assert type(record) is model
    again = model.model_validate_json(record.model_dump_json())
    assert again == record
    assert hash(again) == hash(record)
    # The python-mode dump is accepted too (what replace() relies on).
    assert model.model_validate(record.model_dump()) == record


def test_contract_json_shape() -> None:
    contract = Contract(id="k1", customer_id="acme", currency="usd", lines=[
        {**LINE, "discount": "0.25", "discount_end": "2024-06-01",
         "unit_price": {"amount": "90.50", "currency": "USD"}}])
    assert contract.model_dump(mode="json") == {
        "id": "k1", "customer_id": "acme", "currency": "USD", "lines": [{
            "id": "l1", "plan_id": "pro", "quantity": 3,
            "unit_price": {"amount": "90.50", "currency": "USD"},
            "start": "2024-01-01", "end": None, "discount": "0.25", "discount_end": "2024-06-01"}]}


# -- immutability ------------------------------------------------------------------------------


def test_records_are_frozen() -> None:
    record = Customer(id="c1", name="C")
    with pytest.raises(ValidationError) as info:
        record.name = "D"  # type: ignore[misc]
    assert info.value.errors()[0]["type"] == "frozen_instance"


def test_attributes_mapping_cannot_be_mutated() -> None:
    record = Customer(id="c1", name="C", attributes={"segment": "smb"})
    with pytest.raises(TypeError, match="does not support item assignment"):
        record.attributes["segment"] = "ent"  # type: ignore[index]
    with pytest.raises(AttributeError):
        record.attributes.pop("segment")  # type: ignore[attr-defined]
    assert not isinstance(record.attributes, dict)
    assert dict(record.attributes) == {"segment": "smb"}


def test_source_dict_changes_do_not_leak_in() -> None:
    source = {"segment": "smb"}
    record = Customer(id="c1", name="C", attributes=source)
    source["segment"] = "ent"
    assert record.attributes["segment"] == "smb"


def test_contract_lines_are_a_tuple() -> None:
    contract = Contract(id="k1", customer_id="acme", currency="USD", lines=[LINE])
    assert isinstance(contract.lines, tuple)
    with pytest.raises(AttributeError):
        contract.lines.append(contract.lines[0])  # type: ignore[attr-defined]


def test_records_are_hashable_and_compare_by_value() -> None:
    assert Customer(id="c", name="C", attributes={"a": "1"}) == Customer(
        id="c", name="C", attributes={"a": "1"})
    assert len({plan("p"), plan("p")}) == 1


# -- replace -----------------------------------------------------------------------------------


def test_replace_returns_a_new_validated_record() -> None:
    original = line("l1", "pro", qty=3)
    changed = original.replace(quantity=5, end=dt.date(2024, 2, 1))
    assert (changed.quantity, changed.end) == (5, dt.date(2024, 2, 1))
    assert original.quantity == 3
    assert changed.replace(quantity="7").quantity == 7  # coerced like a new record


def test_replace_revalidates() -> None:
    original = line("l1", "pro", start="2024-03-01")
    with pytest.raises(ValidationError) as info:
        original.replace(end=dt.date(2024, 1, 1))
    assert [(e["type"], e["msg"]) for e in info.value.errors()] == [
        ("end_before_start", "end 2024-01-01 must be after start 2024-03-01")]
    with pytest.raises(ValidationError):
        original.replace(quantity=-1)
    with pytest.raises(ValidationError):
        original.replace(colour="red")
    with pytest.raises(ValidationError):
        Customer(id="c1", name="C").replace(name="")


# -- bad input, one by one ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"quantity": -1},
         ("greater_than_equal", "Input should be greater than or equal to 0", ("quantity",))),
        ({"quantity": 1.5},
         ("int_from_float", "Input should be a valid integer, got a number with a fractional part",
          ("quantity",))),
        ({"quantity": "two"},
         ("int_parsing", "Input should be a valid integer, unable to parse string as an integer",
          ("quantity",))),
        ({"unit_price": {"amount": "-0.01", "currency": "USD"}},
         ("amount_negative", "unit_price must not be negative, got -0.01", ("unit_price",))),
        ({"unit_price": {"amount": "1", "currency": "DOLLAR"}},
         ("currency_unknown", "unknown currency code 'DOLLAR': expected an ISO 4217 code such as 'USD'",
          ("unit_price", "currency"))),
        ({"unit_price": {"amount": 0.1 + 0.7, "currency": "USD"}},
         ("decimal_exact", "float 0.7999999999999999 is not an exact decimal (more than 15 significant "
          "digits); pass it as a string or Decimal", ("unit_price", "amount"))),
        ({"end": "2023-12-31"},
         ("end_before_start", "end 2023-12-31 must be after start 2024-01-01", ("end",))),
        ({"end": "2024-01-01"},
         ("end_before_start", "end 2024-01-01 must be after start 2024-01-01", ("end",))),
        ({"discount": "1.01"},
         ("discount_range", "discount must be a fraction from 0 to 1, got 1.01", ("discount",))),
        ({"discount": "-0.1"},
         ("amount_negative", "must not be negative, got -0.1", ("discount",))),
        ({"discount": "0.1", "discount_end": "2023-06-01"},
         ("end_before_start", "discount_end 2023-06-01 must be after start 2024-01-01",
          ("discount_end",))),
        ({"discount": "0.1", "discount_end": "2024-01-01"},
         ("end_before_start", "discount_end 2024-01-01 must be after start 2024-01-01",
          ("discount_end",))),
        ({"id": ""},
         ("string_too_short", "String should have at least 1 character", ("id",))),
        ({"id": "   "},
         ("string_too_short", "String should have at least 1 character", ("id",))),
        ({"plan_id": None},
         ("string_type", "Input should be a valid string", ("plan_id",))),
        ({"start": "2024-02-30"},
         ("date_from_datetime_parsing", "Input should be a valid date or datetime, day value is outside "
          "expected range", ("start",))),
        ({"seats": 4},
         ("extra_forbidden", "Extra inputs are not permitted", ("seats",))),
    ],
)
def test_bad_contract_line(changes: dict[str, object], expected: tuple[str, str, tuple[str, ...]]) -> None:
    assert errors_of(ContractLine, {**LINE, **changes}) == [expected]


def test_missing_required_line_fields_are_all_reported() -> None:
    assert errors_of(ContractLine, {}) == [
        ("missing", "Field required", ("id",)),
        ("missing", "Field required", ("plan_id",)),
        ("missing", "Field required", ("quantity",)),
        ("missing", "Field required", ("start",)),
    ]


def test_line_accepts_valid_edges() -> None:
    edge = ContractLine.model_validate({**LINE, "quantity": 0, "discount": 1, "end": "2024-01-02",
                                        "discount_end": "2030-01-01",
                                        "unit_price": {"amount": 0, "currency": "USD"}})
    assert (edge.quantity, edge.discount, edge.unit_price) == (0, Decimal(1), Money.of(0, "USD"))
    assert ContractLine.model_validate({**LINE, "id": "  l9  "}).id == "l9"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"price": {"amount": "-1", "currency": "USD"}},
         ("amount_negative", "price must not be negative, got -1", ("price",))),
        ({"price": {"amount": "1", "currency": "usx"}},
         ("currency_unknown", "unknown currency code 'usx': expected an ISO 4217 code such as 'USD'",
          ("price", "currency"))),
        ({"price": {"amount": 0.1 + 0.2, "currency": "USD"}},
         ("decimal_exact", "float 0.30000000000000004 is not an exact decimal (more than 15 significant "
          "digits); pass it as a string or Decimal", ("price", "amount"))),
        ({"tier": -1},
         ("greater_than_equal", "Input should be greater than or equal to 0", ("tier",))),
        ({"interval": "fortnight"},
         ("interval_text", "cannot read 'fortnight' as a billing interval (try 'month', '3 months', "
          "'annual')", ("interval",))),
        ({"interval": {"count": 0, "unit": "month"}},
         ("greater_than_equal", "Input should be greater than or equal to 1", ("interval", "count"))),
        ({"interval": {"count": 1, "unit": "hour"}},
         ("enum", "Input should be 'day', 'week', 'month' or 'year'", ("interval", "unit"))),
        ({"name": ""},
         ("string_too_short", "String should have at least 1 character", ("name",))),
        ({"product_id": ""},
         ("string_too_short", "String should have at least 1 character", ("product_id",))),
        ({"colour": "red"},
         ("extra_forbidden", "Extra inputs are not permitted", ("colour",))),
    ],
)
def test_bad_plan(changes: dict[str, object], expected: tuple[str, str, tuple[str, ...]]) -> None:
    assert errors_of(Plan, {**PLAN, **changes}) == [expected]


@pytest.mark.parametrize(
    ("text", "count", "unit"),
    [("month", 1, "month"), ("3 months", 3, "month"), ("annual", 1, "year"), ("yearly", 1, "year"),
     ("quarterly", 3, "month"), ("weekly", 1, "week"), ("2 Weeks", 2, "week"), ("daily", 1, "day"),
     (" 30 days ", 30, "day"), ("MONTHLY", 1, "month")],
)
def test_interval_text_forms(text: str, count: int, unit: str) -> None:
    interval = Interval.model_validate(text)
    assert (interval.count, interval.unit) == (count, IntervalUnit(unit))


def test_interval_str() -> None:
    assert [str(Interval.model_validate(t)) for t in ("month", "3 months", "annual")] == [
        "1 month", "3 months", "1 year"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "c1", "name": ""},
         ("string_too_short", "String should have at least 1 character", ("name",))),
        ({"id": "", "name": "C"},
         ("string_too_short", "String should have at least 1 character", ("id",))),
        ({"id": "c1", "name": "C", "parent_id": ""},
         ("string_too_short", "String should have at least 1 character", ("parent_id",))),
        ({"id": "c1", "name": "C", "attributes": {"segment": 3}},
         ("string_type", "Input should be a valid string", ("attributes", "segment"))),
        ({"id": "c1", "name": "C", "attributes": ["smb"]},
         ("dict_type", "Input should be a valid dictionary", ("attributes",))),
        ({"id": "c1", "name": "C", "region": "emea"},
         ("extra_forbidden", "Extra inputs are not permitted", ("region",))),
    ],
)
def test_bad_customer(data: dict[str, object], expected: tuple[str, str, tuple[str, ...]]) -> None:
    assert errors_of(Customer, data) == [expected]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "p", "name": "P", "kind": "bundle"},
         ("enum", "Input should be 'core' or 'add_on'", ("kind",))),
        ({"id": "p", "name": ""},
         ("string_too_short", "String should have at least 1 character", ("name",))),
        ({"id": "p", "name": "P", "price": 1},
         ("extra_forbidden", "Extra inputs are not permitted", ("price",))),
    ],
)
def test_bad_product(data: dict[str, object], expected: tuple[str, str, tuple[str, ...]]) -> None:
    assert errors_of(Product, data) == [expected]


def test_product_defaults() -> None:
    assert Product(id="p", name="P").kind is ProductKind.CORE
    assert Product(id="p", name="P", kind="add_on").kind is ProductKind.ADD_ON


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "k", "customer_id": "c", "currency": "EURO"},
         ("currency_unknown", "unknown currency code 'EURO': expected an ISO 4217 code such as 'USD'",
          ("currency",))),
        ({"id": "k", "customer_id": "c", "currency": "USD", "lines": [{**LINE, "quantity": -2}]},
         ("greater_than_equal", "Input should be greater than or equal to 0",
          ("lines", 0, "quantity"))),
        ({"id": "k", "customer_id": "", "currency": "USD"},
         ("string_too_short", "String should have at least 1 character", ("customer_id",))),
        ({"id": "k", "customer_id": "c", "currency": "USD", "lines": "l1"},
         ("tuple_type", "Input should be a valid tuple", ("lines",))),
    ],
)
def test_bad_contract(data: dict[str, object], expected: tuple[str, str, tuple[str | int, ...]]) -> None:
    assert errors_of(Contract, data) == [expected]


def test_line_activity_and_discount_by_day() -> None:
    record = line("l1", "pro", start="2024-01-15", end="2024-03-01", discount="0.5",
                  discount_end="2024-02-01")
    assert not record.active_on(dt.date(2024, 1, 14))
    assert record.active_on(dt.date(2024, 1, 15))
    assert record.active_on(dt.date(2024, 2, 29))
    assert not record.active_on(dt.date(2024, 3, 1))
    assert record.discount_on(dt.date(2024, 1, 31)) == Decimal("0.5")
    assert record.discount_on(dt.date(2024, 2, 1)) == 0
    assert line("l2", "pro", discount="0.2").discount_on(dt.date(2099, 1, 1)) == Decimal("0.2")


def test_booleans_are_not_counts_and_quantities_are_bounded() -> None:
    with pytest.raises(ValidationError, match="not a boolean"):
        ContractLine(id="l", plan_id="p", quantity=True, start="2024-01-01")
    with pytest.raises(ValidationError, match="less than or equal to 1000000000000"):
        ContractLine(id="l", plan_id="p", quantity=10**13, start="2024-01-01")
    with pytest.raises(ValidationError, match="not a boolean"):
        Plan(id="p", product_id="x", name="P", tier=True, price=Money.of("1", "USD"))


def test_input_amounts_are_limited_to_30_significant_digits() -> None:
    # Keeps every later product and FX conversion inside the exact decimal context.
    long_price = "1." + "1" * 40
    with pytest.raises(ValidationError, match="price has 41 significant digits; at most 30"):
        Plan(id="p", product_id="x", name="P", tier=1, price=Money.of(long_price, "USD"))
    with pytest.raises(ValidationError, match="unit_price has 41 significant digits"):
        ContractLine(id="l", plan_id="p", quantity=1, start="2024-01-01",
                     unit_price=Money.of(long_price, "USD"))
    with pytest.raises(ValidationError, match="an FX rate has 41 significant digits"):
        FxRates(target="USD", rates={"EUR": {"2024-01-01": long_price}})

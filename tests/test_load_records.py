"""Loading Python records: normalized tables and the flat shape, and every problem they report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from expansion_revenue import (
    Dataset,
    InvalidDataError,
    Money,
    dataset_from_flat_records,
    dataset_from_tables,
    fx_rates_from_records,
    mrr_snapshot,
)

Problem = tuple[str, str, str | None, str]  # kind, record id, field, code

CUSTOMERS = [{"id": "acme", "name": "Acme", "segment": "smb", "region": "na"},
             {"id": "acme-eu", "name": "Acme EU", "parent_id": "acme", "segment": "", "region": "emea"}]
PRODUCTS = [{"id": "crm", "name": "CRM", "kind": "core"},
            {"id": "sso", "name": "SSO", "kind": "add_on", "family": "feature"}]
PLANS = [{"id": "crm-pro", "product_id": "crm", "name": "Pro", "tier": "2", "price": "600",
          "currency": "USD", "interval_count": "1", "interval_unit": "year"},
         {"id": "sso", "product_id": "sso", "name": "SSO", "tier": "1", "price": "100",
          "currency": "USD", "interval_count": "", "interval_unit": "Months"}]
LINE = {"contract_id": "k1", "customer_id": "acme", "currency": "USD", "line_id": "l1",
        "plan_id": "crm-pro", "quantity": "10", "unit_price": "", "discount": "",
        "discount_end_date": "", "start_date": "2024-01-01", "end_date": ""}
FLAT = {"customer_id": "acme", "contract_id": "k1", "line_id": "l1", "product_id": "crm",
        "product_kind": "core", "plan_id": "crm-pro", "plan_tier": "2", "quantity": "10",
        "unit_price": "600", "currency": "USD", "interval_count": "1", "interval_unit": "year",
        "discount": "", "start_date": "2024-01-01", "end_date": ""}


def tables(**changes: list[dict[str, Any]]) -> Dataset:
    tables: dict[str, Any] = {"customers": CUSTOMERS, "products": PRODUCTS, "plans": PLANS,
                              "lines": [LINE]}
    return dataset_from_tables(**{**tables, **changes})


def table_problems(**changes: list[dict[str, Any]]) -> list[Problem]:
    with pytest.raises(InvalidDataError) as info:
        tables(**changes)
    return [(p.kind, p.record_id, p.field, p.code) for p in info.value.problems]


def flat_problems(*rows: dict[str, Any]) -> list[Problem]:
    with pytest.raises(InvalidDataError) as info:
        dataset_from_flat_records(rows)
    return [(p.kind, p.record_id, p.field, p.code) for p in info.value.problems]


# -- normalized tables -----------------------------------------------------------------------


def test_tables_build_the_dataset_a_direct_construction_would() -> None:
    lines = [LINE, {**LINE, "line_id": "l2", "plan_id": "sso", "quantity": "1", "unit_price": "90",
                    "discount": "0.1", "discount_end_date": "2024-07-01", "end_date": "2025-01-01"}]
    expected = Dataset(
        customers=[{"id": "acme", "name": "Acme", "attributes": {"segment": "smb", "region": "na"}},
                   {"id": "acme-eu", "name": "Acme EU", "parent_id": "acme",
                    "attributes": {"region": "emea"}}],
        products=[{"id": "crm", "name": "CRM"},
                  {"id": "sso", "name": "SSO", "kind": "add_on", "family": "feature"}],
        plans=[{"id": "crm-pro", "product_id": "crm", "name": "Pro", "tier": 2,
                "price": {"amount": "600", "currency": "USD"}, "interval": "annual"},
               {"id": "sso", "product_id": "sso", "name": "SSO", "tier": 1,
                "price": {"amount": "100", "currency": "USD"}, "interval": "month"}],
        contracts=[{"id": "k1", "customer_id": "acme", "currency": "USD", "lines": [
            {"id": "l1", "plan_id": "crm-pro", "quantity": 10, "start": "2024-01-01"},
            {"id": "l2", "plan_id": "sso", "quantity": 1, "start": "2024-01-01", "end": "2025-01-01",
             "unit_price": {"amount": "90", "currency": "USD"}, "discount": "0.1",
             "discount_end": "2024-07-01"}]}],
    )
    assert tables(lines=lines) == expected


def test_lines_group_into_contracts_by_contract_id() -> None:
    lines = [LINE, {**LINE, "line_id": "l2", "contract_id": "k2", "customer_id": "acme-eu",
                    "currency": "eur", "unit_price": "550"},
             {**LINE, "line_id": "l3", "quantity": "2"}]
    ds = tables(lines=lines)
    assert [(c.id, c.customer_id, c.currency, [line.id for line in c.lines]) for c in ds.contracts] == [
        ("k1", "acme", "USD", ["l1", "l3"]), ("k2", "acme-eu", "EUR", ["l2"])]
    assert ds.line("l2").line.unit_price == Money.of("550", "EUR")


def test_python_values_and_numeric_ids_are_accepted() -> None:
    line = {**LINE, "contract_id": 7, "quantity": 10, "start_date": dt.date(2024, 1, 1),
            "unit_price": Decimal("612.5"), "discount": 0.25}
    ds = tables(lines=[line])
    assert ds.contract("7").lines[0].unit_price == Money.of("612.5", "USD")
    assert ds.contract("7").lines[0].discount == Decimal("0.25")


def test_free_and_zero_quantity_lines_are_loaded() -> None:
    lines = [{**LINE, "quantity": "0"}, {**LINE, "line_id": "l2", "unit_price": "0"}]
    ds = tables(lines=lines)
    assert len(ds.lines) == 2
    assert mrr_snapshot(ds, "2024-02-01").total == 0


@pytest.mark.parametrize(("change", "expected"), [
    ({"start_date": "2024-02-30"}, ("line", "record 1", "start_date", "date_from_datetime_parsing")),
    ({"end_date": "soon"}, ("line", "record 1", "end_date", "date_from_datetime_parsing")),
    ({"end_date": "2023-12-31"}, ("line", "record 1", "end_date", "end_before_start")),
    ({"discount_end_date": "2024-01-01"}, ("line", "record 1", "discount_end_date", "end_before_start")),
    ({"quantity": "-1"}, ("line", "record 1", "quantity", "greater_than_equal")),
    ({"quantity": "2.5"}, ("line", "record 1", "quantity", "int_parsing")),
    ({"quantity": ""}, ("line", "record 1", "quantity", "missing")),
    ({"unit_price": "1,200"}, ("line", "record 1", "unit_price", "decimal_exact")),
    ({"unit_price": "-5"}, ("line", "record 1", "unit_price", "amount_negative")),
    ({"discount": "1.5"}, ("line", "record 1", "discount", "discount_range")),
    ({"discount": "-0.1"}, ("line", "record 1", "discount", "amount_negative")),
    ({"currency": "XYZ"}, ("line", "record 1", "currency", "currency_unknown")),
    ({"currency": ""}, ("line", "record 1", "currency", "missing")),
    ({"customer_id": ""}, ("line", "record 1", "customer_id", "missing")),
    ({"contract_id": " "}, ("line", "record 1", "contract_id", "missing")),
    ({"line_id": ""}, ("line", "record 1", "line_id", "missing")),
    ({"plan_id": "crm-max"}, ("line", "record 1", "plan_id", "unknown_reference")),
    ({"customer_id": "nobody"}, ("line", "record 1", "customer_id", "unknown_reference")),
    ({"colour": "red"}, ("line", "record 1", "colour", "unknown_column")),
])
def test_a_bad_line_is_reported_with_its_record_and_column(
        change: dict[str, str], expected: Problem) -> None:
    assert table_problems(lines=[{**LINE, **change}]) == [expected]


def test_problem_messages_name_the_record_the_dataset_found_them_in() -> None:
    with pytest.raises(InvalidDataError) as info:
        tables(lines=[{**LINE, "plan_id": "crm-max"}])
    assert info.value.problems[0].message == "unknown plan 'crm-max' (line 'l1')"
    assert info.value.problems[0].source is None


@pytest.mark.parametrize(("table", "record", "expected"), [
    ("customers", {"id": "x", "name": ""}, ("customer", "record 3", "name", "missing")),
    ("customers", {"id": "x", "name": "X", "parent_id": "nobody"},
     ("customer", "record 3", "parent_id", "unknown_reference")),
    ("customers", {"id": "acme", "name": "Acme again"}, ("customer", "record 3", "id", "duplicate_id")),
    ("products", {"id": "x", "name": "X", "kind": "extra"}, ("product", "record 3", "kind", "enum")),
    ("products", {"id": "x", "name": "X", "price": "9"}, ("product", "record 3", "price", "unknown_column")),
    ("plans", {**PLANS[0], "id": "x", "tier": "gold"}, ("plan", "record 3", "tier", "int_parsing")),
    ("plans", {**PLANS[0], "id": "x", "price": "abc"}, ("plan", "record 3", "price", "decimal_exact")),
    ("plans", {**PLANS[0], "id": "x", "price": "-1"}, ("plan", "record 3", "price", "amount_negative")),
    ("plans", {**PLANS[0], "id": "x", "currency": "usdollar"},
     ("plan", "record 3", "currency", "currency_unknown")),
    ("plans", {**PLANS[0], "id": "x", "interval_unit": "fortnight"},
     ("plan", "record 3", "interval_unit", "enum")),
    ("plans", {**PLANS[0], "id": "x", "interval_count": "0"},
     ("plan", "record 3", "interval_count", "greater_than_equal")),
    ("plans", {**PLANS[0], "id": "x", "product_id": "nope"},
     ("plan", "record 3", "product_id", "unknown_reference")),
    ("plans", {**PLANS[0]}, ("plan", "record 3", "id", "duplicate_id")),
])
def test_a_bad_catalogue_or_customer_record_is_reported(
        table: str, record: dict[str, str], expected: Problem) -> None:
    base = {"customers": CUSTOMERS, "products": PRODUCTS, "plans": PLANS}[table]
    assert table_problems(**{table: [*base, record]}) == [expected]


def test_duplicate_line_ids_name_the_second_record() -> None:
    assert table_problems(lines=[LINE, {**LINE, "quantity": "3"}]) == [
        ("line", "record 2", "line_id", "duplicate_id")]


def test_rows_of_one_contract_must_agree_on_customer_and_currency() -> None:
    lines = [LINE, {**LINE, "line_id": "l2", "customer_id": "acme-eu", "currency": "EUR"}]
    with pytest.raises(InvalidDataError) as info:
        tables(lines=lines)
    assert [(p.kind, p.record_id, p.field, p.code, p.message) for p in info.value.problems] == [
        ("line", "record 2", "customer_id", "inconsistent",
         "contract 'k1' has customer_id 'acme-eu' here but 'acme' in record 1"),
        ("line", "record 2", "currency", "inconsistent",
         "contract 'k1' has currency 'EUR' here but 'USD' in record 1"),
    ]


def test_a_record_that_failed_is_not_also_reported_as_unknown() -> None:
    # The plan's own problem is the cause; its lines are not "unknown plan" on top of it.
    plans = [PLANS[0], {**PLANS[1], "tier": "gold"}]
    lines = [LINE, {**LINE, "line_id": "l2", "plan_id": "sso"}]
    customers = [{"id": "acme", "name": ""}, CUSTOMERS[1]]
    assert table_problems(customers=customers, plans=plans, lines=lines) == [
        ("customer", "record 1", "name", "missing"),
        ("plan", "record 2", "tier", "int_parsing"),
    ]


def test_every_problem_of_every_table_is_reported_together() -> None:
    problems = table_problems(
        customers=[*CUSTOMERS, {"id": "acme", "name": "Dup"}],
        products=[*PRODUCTS, {"id": "x", "name": "X", "kind": "bad"}],
        plans=[*PLANS, {**PLANS[0], "id": "y", "tier": "-1"}],
        lines=[{**LINE, "start_date": "2024-13-01"}, {**LINE, "line_id": "l2", "quantity": "2.5"},
               {**LINE, "line_id": "l3", "contract_id": "k2", "currency": "ABC"},
               {**LINE, "line_id": "l4", "plan_id": "ghost"}],
    )
    assert problems == [
        ("product", "record 3", "kind", "enum"),
        ("plan", "record 3", "tier", "greater_than_equal"),
        ("line", "record 1", "start_date", "date_from_datetime_parsing"),
        ("line", "record 2", "quantity", "int_parsing"),
        ("line", "record 3", "currency", "currency_unknown"),
        ("customer", "record 3", "id", "duplicate_id"),
        ("line", "record 4", "plan_id", "unknown_reference"),
    ]


def test_the_source_is_named_in_every_problem() -> None:
    with pytest.raises(InvalidDataError) as info:
        dataset_from_tables(customers=[{"id": "a"}], source="crm export")
    assert [(p.source, str(p)) for p in info.value.problems] == [
        ("crm export", "crm export: customer 'record 1', field 'name': Field required")]


# -- the flat shape --------------------------------------------------------------------------


def test_flat_rows_infer_customers_products_plans_and_contracts() -> None:
    rows = [
        {**FLAT, "customer_name": "Acme", "segment": "smb", "region": "na", "plan_name": "CRM Pro",
         "product_name": "CRM"},
        {**FLAT, "line_id": "l2", "product_id": "sso", "product_kind": "add_on", "plan_id": "sso",
         "plan_tier": "1", "quantity": "1", "unit_price": "100", "interval_unit": "month",
         "product_family": "feature", "discount": "0.5", "discount_end_date": "2024-04-01"},
        {**FLAT, "customer_id": "acme-eu", "contract_id": "k2", "line_id": "l3", "parent_id": "acme",
         "currency": "EUR", "unit_price": "550", "end_date": "2025-01-01"},
    ]
    ds = dataset_from_flat_records(rows)
    assert ds == Dataset(
        customers=[{"id": "acme", "name": "Acme", "attributes": {"segment": "smb", "region": "na"}},
                   {"id": "acme-eu", "name": "acme-eu", "parent_id": "acme"}],
        products=[{"id": "crm", "name": "CRM"},
                  {"id": "sso", "name": "sso", "kind": "add_on", "family": "feature"}],
        plans=[{"id": "crm-pro", "product_id": "crm", "name": "CRM Pro", "tier": 2,
                "price": {"amount": "600", "currency": "USD"}, "interval": "annual"},
               {"id": "sso", "product_id": "sso", "name": "sso", "tier": 1,
                "price": {"amount": "100", "currency": "USD"}, "interval": "month"}],
        contracts=[
            {"id": "k1", "customer_id": "acme", "currency": "USD", "lines": [
                {"id": "l1", "plan_id": "crm-pro", "quantity": 10, "start": "2024-01-01",
                 "unit_price": {"amount": "600", "currency": "USD"}},
                {"id": "l2", "plan_id": "sso", "quantity": 1, "start": "2024-01-01",
                 "unit_price": {"amount": "100", "currency": "USD"}, "discount": "0.5",
                 "discount_end": "2024-04-01"}]},
            {"id": "k2", "customer_id": "acme-eu", "currency": "EUR", "lines": [
                {"id": "l3", "plan_id": "crm-pro", "quantity": 10, "start": "2024-01-01",
                 "end": "2025-01-01", "unit_price": {"amount": "550", "currency": "EUR"}}]},
        ],
    )


def test_a_parent_without_lines_of_its_own_becomes_a_customer() -> None:
    ds = dataset_from_flat_records([{**FLAT, "customer_id": "child", "parent_id": "group"}])
    assert ds.customer("group").name == "group"
    assert ds.parent_chain("child") == ("group",)


def test_flat_free_and_zero_quantity_lines_are_loaded() -> None:
    ds = dataset_from_flat_records([{**FLAT, "quantity": "0"},
                                    {**FLAT, "line_id": "l2", "plan_id": "free", "plan_tier": "0",
                                     "unit_price": "0.00"}])
    assert [ref.line.id for ref in ds.lines] == ["l1", "l2"]
    assert mrr_snapshot(ds, "2024-06-30").total == 0


@pytest.mark.parametrize(("change", "expected"), [
    ({"plan_tier": "3"}, ("row", "record 2", "plan_tier", "inconsistent")),
    ({"product_id": "helpdesk"}, ("row", "record 2", "product_id", "inconsistent")),
    ({"interval_unit": "month"}, ("row", "record 2", "interval_unit", "inconsistent")),
    ({"interval_count": "2"}, ("row", "record 2", "interval_count", "inconsistent")),
    ({"product_kind": "add_on", "plan_id": "other"}, ("row", "record 2", "product_kind", "inconsistent")),
    ({"currency": "EUR"}, ("row", "record 2", "currency", "inconsistent")),
    ({"customer_id": "globex"}, ("row", "record 2", "customer_id", "inconsistent")),
    ({"parent_id": "group"}, ("row", "record 2", "parent_id", "inconsistent")),
])
def test_flat_contradictions_are_reported_at_the_later_row(
        change: dict[str, str], expected: Problem) -> None:
    assert flat_problems(FLAT, {**FLAT, "line_id": "l2", **change}) == [expected]


def test_equivalent_spellings_are_not_contradictions() -> None:
    ds = dataset_from_flat_records([FLAT, {**FLAT, "line_id": "l2", "plan_tier": "02",
                                           "interval_unit": "Years", "interval_count": ""}])
    assert len(ds.lines) == 2


def test_a_contradiction_message_names_both_rows() -> None:
    with pytest.raises(InvalidDataError) as info:
        dataset_from_flat_records([FLAT, {**FLAT, "line_id": "l2", "plan_tier": "3"}])
    assert info.value.problems[0].message == "plan 'crm-pro' has plan_tier '3' here but '2' in record 1"


@pytest.mark.parametrize(("change", "expected"), [
    ({"start_date": "2024-02-30"}, ("row", "record 1", "start_date", "date_from_datetime_parsing")),
    ({"end_date": "2023-06-01"}, ("row", "record 1", "end_date", "end_before_start")),
    ({"quantity": "-3"}, ("row", "record 1", "quantity", "greater_than_equal")),
    ({"quantity": "1.5"}, ("row", "record 1", "quantity", "int_parsing")),
    ({"unit_price": "ten"}, ("row", "record 1", "unit_price", "decimal_exact")),
    ({"unit_price": ""}, ("row", "record 1", "unit_price", "missing")),
    ({"discount": "2"}, ("row", "record 1", "discount", "discount_range")),
    ({"currency": "XYZ"}, ("row", "record 1", "currency", "currency_unknown")),
    ({"plan_tier": "gold"}, ("row", "record 1", "plan_tier", "int_parsing")),
    ({"interval_unit": "fortnight"}, ("row", "record 1", "interval_unit", "enum")),
    ({"product_kind": "extra"}, ("row", "record 1", "product_kind", "enum")),
    ({"customer_id": ""}, ("row", "record 1", "customer_id", "missing")),
    ({"plan_id": ""}, ("row", "record 1", "plan_id", "missing")),
])
def test_a_bad_flat_row_is_reported_with_its_column(change: dict[str, str], expected: Problem) -> None:
    assert flat_problems({**FLAT, **change}) == [expected]


def test_flat_duplicate_line_ids_name_the_second_row() -> None:
    assert flat_problems(FLAT, {**FLAT, "quantity": "3"}) == [("row", "record 2", "line_id", "duplicate_id")]


def test_a_parent_loop_is_reported_at_a_row() -> None:
    rows = [{**FLAT, "parent_id": "b"}, {**FLAT, "customer_id": "b", "contract_id": "k2", "line_id": "l2",
                                         "parent_id": "acme"}]
    problems = flat_problems(*rows)
    assert [(kind, field, code) for kind, _, field, code in problems] == [
        ("row", "parent_id", "cyclic_hierarchy")]


def test_every_flat_problem_is_reported_together() -> None:
    problems = flat_problems(
        {**FLAT, "start_date": "yesterday"},
        {**FLAT, "line_id": "l2", "quantity": "-1", "discount": "1.2"},
        {**FLAT, "line_id": "l3", "plan_tier": "9"},
        {**FLAT, "line_id": "l3"},
    )
    assert problems == [
        ("row", "record 1", "start_date", "date_from_datetime_parsing"),
        ("row", "record 2", "quantity", "greater_than_equal"),
        ("row", "record 2", "discount", "discount_range"),
        ("row", "record 3", "plan_tier", "inconsistent"),
        ("row", "record 4", "line_id", "duplicate_id"),
    ]


# -- FX rates --------------------------------------------------------------------------------


def test_fx_records_build_a_rate_table() -> None:
    fx = fx_rates_from_records([{"currency": "eur", "date": "2024-01-01", "rate": "1.10"},
                                {"currency": "EUR", "date": dt.date(2024, 2, 1), "rate": Decimal("1.08")}],
                               target="USD")
    assert fx.rate("EUR", dt.date(2024, 1, 31)) == Decimal("1.10")
    assert fx.change_dates("EUR") == (dt.date(2024, 1, 1), dt.date(2024, 2, 1))


def test_bad_fx_records_are_reported_together() -> None:
    with pytest.raises(InvalidDataError) as info:
        fx_rates_from_records([{"currency": "EUR", "date": "2024-01-01", "rate": "0"},
                               {"currency": "EURO", "date": "2024-01-01", "rate": "1.1"},
                               {"currency": "EUR", "date": "", "rate": "x"},
                               {"currency": "EUR", "date": "2024-01-01", "rate": "1.1"}],
                              target="USD")
    assert [(p.kind, p.record_id, p.field, p.code) for p in info.value.problems] == [
        ("rate", "record 1", "rate", "rate_not_positive"),
        ("rate", "record 2", "currency", "currency_unknown"),
        ("rate", "record 3", "date", "missing"),
        ("rate", "record 3", "rate", "decimal_exact"),
    ]

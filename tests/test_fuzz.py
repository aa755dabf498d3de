"""Fuzz: whatever the input, only the library's own errors (or pydantic's) escape.

Inputs are arbitrary records: keys from the real field names plus junk, values of every type
(None, bools, ints of any size, floats with nan/inf, Decimals with NaN/sNaN, text, dates, nested
lists and dicts), and "almost valid" records: a valid record with a few fields removed, replaced
by junk or added.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from expansion_revenue import (
    Contract,
    ContractLine,
    Customer,
    Dataset,
    ExpansionRevenueError,
    FxRates,
    Interval,
    MissingRateError,
    Money,
    MrrSnapshot,
    Plan,
    Policy,
    Product,
    mrr_snapshot,
)

MODELS: tuple[type[BaseModel], ...] = (Customer, Product, Plan, Contract, ContractLine, Interval,
                                       Money, FxRates, Policy)
FIELD_NAMES = sorted({name for model in MODELS for name in model.model_fields})

SPECIAL_TEXT = (
    "", " ", "USD", "eur", "XXX", "2024-01-01", "2024-02-30", "0001-01-01", "9999-12-31", "month",
    "3 months", "annual", "quarterly", "0 days", "core", "add_on", "customer", "parent",
    "attribute:segment", "attribute:", "constant", "spot", "end", "start", "new", "expansion",
    "1e999999999", "-1e-999999999", "0e-999999999", "NaN", "sNaN", "-Infinity", "-0", "0.1", "1_000",
    "52/12", "1/0", "13 / 3", "1" * 5000, "\x00", "\u2028", "l1", "pro", "acme",
)

keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(10**40), 10**40), st.just(10**4000),
    st.floats(), st.decimals(), st.fractions(), st.text(max_size=12), st.sampled_from(SPECIAL_TEXT),
    st.dates(), st.datetimes(), st.binary(max_size=4),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4)
    | st.tuples(inner, inner),
    max_leaves=10,
)
junk_records = st.dictionaries(keys, values, max_size=8)

VALID: dict[str, dict[str, Any]] = {
    "customer": {"id": "acme", "name": "Acme", "parent_id": None, "attributes": {"segment": "smb"}},
    "product": {"id": "crm", "name": "CRM", "kind": "core", "family": None},
    "plan": {"id": "pro", "product_id": "crm", "name": "Pro", "tier": 2,
             "price": {"amount": "100", "currency": "USD"}, "interval": "month"},
    "line": {"id": "l1", "plan_id": "pro", "quantity": 3, "unit_price": None, "start": "2024-01-01",
             "end": "2024-06-01", "discount": "0.1", "discount_end": "2024-03-01"},
    "contract": {"id": "k1", "customer_id": "acme", "currency": "USD", "lines": []},
    "fx": {"target": "USD", "rates": {"EUR": {"2024-01-01": "1.1"}}},
    "policy": {"level": "parent", "fx_basis": "constant", "fx_constant_date": "2024-01-01",
               "weeks_per_month": "52/12"},
}


UP_TO_THREE = st.integers(0, 3)


@st.composite
def almost(draw: st.DrawFn, kind: str, changes: st.SearchStrategy[int] = UP_TO_THREE) -> dict[str, Any]:
    """A valid record of ``kind`` with a few fields dropped, replaced by junk, or added."""
    record = dict(VALID[kind])
    if kind == "contract":
        record["lines"] = draw(st.lists(almost("line", changes), max_size=3))
        for number, line in enumerate(record["lines"]):
            if line.get("id") == "l1":
                line["id"] = f"l{number}"
    for _ in range(draw(changes)):
        action = draw(st.sampled_from(("drop", "replace", "add")))
        if action == "drop" and record:
            record.pop(draw(st.sampled_from(sorted(record))))
        elif action == "replace" and record:
            record[draw(st.sampled_from(sorted(record)))] = draw(values)
        else:
            record[draw(keys)] = draw(values)
    return record


def records(kind: str) -> st.SearchStrategy[Any]:
    return almost(kind) | junk_records | values


def only_library_errors(call: Callable[[], object]) -> object:
    """Run ``call``; a ValidationError or ExpansionRevenueError is fine, anything else fails."""
    try:
        return call()
    except (ValidationError, ExpansionRevenueError):
        return None


MODEL_KINDS = [(Customer, "customer"), (Product, "product"), (Plan, "plan"), (Contract, "contract"),
               (ContractLine, "line"), (Interval, "plan"), (Money, "plan"), (FxRates, "fx"),
               (Policy, "policy")]


@given(data=st.data(), choice=st.sampled_from(MODEL_KINDS))
def test_models_raise_only_validation_errors(data: st.DataObject,
                                              choice: tuple[type[BaseModel], str]) -> None:
    model, kind = choice
    record = data.draw(records(kind))
    result = only_library_errors(lambda: model.model_validate(record))
    if result is not None:
        assert isinstance(result, model)
        # What validates once round-trips.
        only_library_errors(lambda: model.model_validate_json(result.model_dump_json()))


@given(record=junk_records)
def test_models_raise_only_validation_errors_on_json(record: dict[str, Any]) -> None:
    text = json.dumps(record, default=str)
    for model in MODELS:
        only_library_errors(lambda model=model: model.model_validate_json(text))  # type: ignore[misc]


@given(amount=values, currency=values)
def test_money_of_raises_only_validation_errors(amount: Any, currency: Any) -> None:
    only_library_errors(lambda: Money.of(amount, currency))


@given(customers=st.lists(records("customer"), max_size=4), products=st.lists(records("product"), max_size=3),
       plans=st.lists(records("plan"), max_size=3), contracts=st.lists(records("contract"), max_size=3),
       day=st.dates(dt.date(2023, 6, 1), dt.date(2024, 12, 31)))
def test_dataset_raises_only_invalid_data_errors(customers: list[Any], products: list[Any],
                                                  plans: list[Any], contracts: list[Any],
                                                  day: dt.date) -> None:
    ds = only_library_errors(lambda: Dataset(customers=customers, products=products, plans=plans,
                                             contracts=contracts))
    if isinstance(ds, Dataset):
        # What builds can be serialized, rebuilt and measured.
        assert Dataset.from_json(ds.to_json()) == ds
        only_library_errors(lambda: mrr_snapshot(ds, day))


@given(records=st.tuples(*(almost(kind, st.sampled_from((0, 0, 0, 1)))
                           for kind in ("customer", "product", "plan", "contract"))),
       day=st.sampled_from((dt.date(2024, 1, 1), dt.date(2024, 2, 29), dt.date(2024, 5, 31)))
       | st.dates(dt.date(2023, 6, 1), dt.date(2024, 12, 31)), policy=st.sampled_from(
           (None, {"level": "parent"}, {"discounts_reduce_mrr": False}, {"mrr_decimal_places": 0})))
def test_nearly_valid_data_is_measured_or_refused(records: tuple[dict[str, Any], ...], day: dt.date,
                                                  policy: dict[str, Any] | None) -> None:
    customer, product, plan, contract = records
    ds = only_library_errors(lambda: Dataset(customers=[customer], products=[product], plans=[plan],
                                             contracts=[contract]))
    if isinstance(ds, Dataset):
        snapshot = only_library_errors(
            lambda: mrr_snapshot(ds, day, policy=None if policy is None else Policy(**policy)))
        if snapshot is not None:
            assert isinstance(snapshot, MrrSnapshot)
            assert snapshot.total >= 0


@given(document=values | st.dictionaries(st.sampled_from(("customers", "products", "plans", "contracts")),
                                         st.lists(values, max_size=3) | values, max_size=4))
def test_dataset_from_json_raises_only_invalid_data_errors(document: Any) -> None:
    text = json.dumps(document, default=str)
    only_library_errors(lambda: Dataset.from_json(text))


@given(currency=st.sampled_from(("USD", "EUR", "GBP")) | st.text(max_size=4), day=st.dates())
def test_fx_lookup_raises_only_missing_rate_errors(currency: str, day: dt.date) -> None:
    rates = FxRates(target="USD", rates={"EUR": {"2024-01-01": "1.1", "2024-02-01": "1.2"}})
    try:
        assert rates.rate(currency, day) > 0
    except MissingRateError as exc:
        assert currency != "USD" and (currency != "EUR" or day < dt.date(2024, 1, 1))
        assert str(exc) == f"no FX rate from {currency} to USD on or before {day}"


def test_special_values_are_refused_quickly() -> None:
    # Each of these once hung, crashed with a non-library error, or was kept silently.
    for value in ("1e999999999", "-1e-999999999", Decimal("sNaN"), Decimal("Infinity"), 10**5000):
        only_library_errors(lambda value=value: Money.of(value, "USD"))  # type: ignore[misc]
        only_library_errors(lambda value=value: Policy(weeks_per_month=value))  # type: ignore[misc]
        only_library_errors(
            lambda value=value: FxRates(target="USD", rates={"EUR": {"2024-01-01": value}}))  # type: ignore[misc]

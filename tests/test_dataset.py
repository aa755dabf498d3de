"""The dataset: referential integrity, every problem reported at once, JSON, the generators."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from expansion_revenue import Customer, DataProblem, Dataset, InvalidDataError, Policy
from expansion_revenue.engine.normalize import monthly_factor
from tests.builders import contract, customer, dataset, line, plan, product
from tests.strategies import FEATURES, dataset_features, datasets, shuffled_dataset, split_line

PRO = {"id": "pro", "product_id": "crm", "name": "Pro", "tier": 2,
       "price": {"amount": "100", "currency": "USD"}}


def problems_of(**records: Any) -> list[tuple[str, str, str | None, str, str]]:
    """(kind, record id, field, code, message) of every problem building a dataset."""
    with pytest.raises(InvalidDataError) as info:
        Dataset(**records)
    return [(p.kind, p.record_id, p.field, p.code, p.message) for p in info.value.problems]


def test_a_valid_dataset_is_indexed() -> None:
    ds = dataset(plans=[plan("pro", product="crm", tier=2)],
                 contracts=[contract("k1", "acme", [line("l1", "pro", qty=3), line("l2", "pro")])])
    assert ds.customer("acme").id == "acme"
    assert ds.product("crm").id == "crm"
    assert ds.plan("pro").tier == 2
    assert ds.contract("k1").customer_id == "acme"
    ref = ds.line("l2")
    assert (ref.line.id, ref.contract.id, ref.customer.id, ref.plan.id, ref.product.id) == (
        "l2", "k1", "acme", "pro", "crm")
    assert [r.line.id for r in ds] == ["l1", "l2"]
    assert ds.currencies() == frozenset({"USD"})
    assert repr(ds) == "Dataset(1 customers, 1 products, 1 plans, 1 contracts, 2 lines)"
    with pytest.raises(KeyError):
        ds.line("nope")


def test_dataset_accepts_dicts_and_models_alike() -> None:
    from_dicts = Dataset(customers=[{"id": "acme", "name": "Acme"}])
    from_models = Dataset(customers=[Customer(id="acme", name="Acme")])
    assert from_dicts == from_models
    assert hash(from_dicts) == hash(from_models)


def test_dataset_is_immutable() -> None:
    ds = Dataset()
    with pytest.raises(AttributeError, match=r"^Dataset is immutable; cannot set 'customers'$"):
        ds.customers = ()
    with pytest.raises(AttributeError, match=r"^Dataset is immutable; cannot delete 'lines'$"):
        del ds.lines
    assert isinstance(ds.customers, tuple)


def test_parent_chain() -> None:
    ds = Dataset(customers=[customer("g"), customer("p", parent="g"), customer("c", parent="p")])
    assert ds.parent_chain("c") == ("p", "g")
    assert ds.parent_chain("g") == ()


# -- single problems ---------------------------------------------------------------------------


def test_unknown_references() -> None:
    assert problems_of(
        customers=[{"id": "a", "name": "A", "parent_id": "ghost"}],
        products=[{"id": "crm", "name": "CRM"}],
        plans=[{**PRO, "product_id": "nope"}, {**PRO, "id": "basic"}],
        contracts=[{"id": "k1", "customer_id": "nobody", "currency": "USD", "lines": []},
                   {"id": "k2", "customer_id": "a", "currency": "USD",
                    "lines": [{"id": "l1", "plan_id": "missing", "quantity": 1, "start": "2024-01-01"}]}],
    ) == [
        ("customer", "a", "parent_id", "unknown_reference", "unknown customer 'ghost'"),
        ("plan", "pro", "product_id", "unknown_reference", "unknown product 'nope'"),
        ("contract", "k1", "customer_id", "unknown_reference", "unknown customer 'nobody'"),
        ("line", "l1", "plan_id", "unknown_reference", "unknown plan 'missing'"),
    ]


def test_duplicate_ids_of_every_kind() -> None:
    lines = [{"id": "l1", "plan_id": "pro", "quantity": 1, "start": "2024-01-01"}]
    assert problems_of(
        customers=[{"id": "a", "name": "A"}, {"id": "a", "name": "A again"}],
        products=[{"id": "crm", "name": "CRM"}, {"id": "crm", "name": "CRM"}],
        plans=[PRO, PRO],
        contracts=[{"id": "k1", "customer_id": "a", "currency": "USD", "lines": lines},
                   {"id": "k1", "customer_id": "a", "currency": "USD", "lines": []},
                   {"id": "k2", "customer_id": "a", "currency": "USD", "lines": lines + lines}],
    ) == [
        ("customer", "a", "id", "duplicate_id", "duplicate customer id"),
        ("product", "crm", "id", "duplicate_id", "duplicate product id"),
        ("plan", "pro", "id", "duplicate_id", "duplicate plan id"),
        ("contract", "k1", "id", "duplicate_id", "duplicate contract id"),
        # across contracts (k1's l1 came first), then twice within k2
        ("line", "l1", "id", "duplicate_id", "duplicate line id"),
        ("line", "l1", "id", "duplicate_id", "duplicate line id"),
    ]


def test_duplicate_line_ids_are_found_even_in_a_contract_with_other_problems() -> None:
    lines = [{"id": "l1", "plan_id": "pro", "quantity": 1, "start": "2024-01-01"}] * 2
    assert problems_of(
        products=[{"id": "crm", "name": "CRM"}], plans=[PRO],
        contracts=[{"id": "k1", "customer_id": "ghost", "currency": "USD", "lines": lines}],
    ) == [
        ("contract", "k1", "customer_id", "unknown_reference", "unknown customer 'ghost'"),
        ("line", "l1", "id", "duplicate_id", "duplicate line id"),
    ]


@pytest.mark.parametrize(
    ("parents", "first", "cycle"),
    [
        ({"a": "a"}, "a", "a -> a"),
        ({"a": "b", "b": "a"}, "a", "a -> b -> a"),
        ({"a": "b", "b": "c", "c": "a"}, "a", "a -> b -> c -> a"),
        ({"x": "a", "a": "b", "b": "a"}, "a", "a -> b -> a"),  # a tail leading into a loop
    ],
)
def test_cyclic_parent_chains(parents: dict[str, str], first: str, cycle: str) -> None:
    customers = [{"id": cid, "name": cid, "parent_id": parent} for cid, parent in parents.items()]
    assert problems_of(customers=customers) == [
        ("customer", first, "parent_id", "cyclic_hierarchy", f"parent chain loops: {cycle}")]


def test_every_cycle_is_reported_once() -> None:
    customers = [{"id": c, "name": c, "parent_id": p}
                 for c, p in [("a", "b"), ("b", "a"), ("s", "s"), ("x", "y"), ("y", "z"), ("z", "x"),
                              ("ok", None)]]
    assert [message for *_, message in problems_of(customers=customers)] == [
        "parent chain loops: a -> b -> a", "parent chain loops: s -> s",
        "parent chain loops: x -> y -> z -> x"]


def test_acyclic_hierarchy_of_any_depth_is_fine() -> None:
    chain = [{"id": f"c{i}", "name": "C", "parent_id": f"c{i - 1}" if i else None} for i in range(50)]
    ds = Dataset(customers=list(reversed(chain)))
    assert len(ds.parent_chain("c49")) == 49


def test_line_currency_must_match_its_contract() -> None:
    assert problems_of(
        customers=[{"id": "a", "name": "A"}], products=[{"id": "crm", "name": "CRM"}],
        plans=[PRO, {**PRO, "id": "pro-eur", "price": {"amount": "90", "currency": "EUR"}}],
        contracts=[{"id": "k1", "customer_id": "a", "currency": "EUR", "lines": [
            {"id": "l1", "plan_id": "pro", "quantity": 1, "start": "2024-01-01"},
            {"id": "l2", "plan_id": "pro", "quantity": 1, "start": "2024-01-01",
             "unit_price": {"amount": "90", "currency": "EUR"}},  # negotiated in EUR: fine
            {"id": "l3", "plan_id": "pro-eur", "quantity": 1, "start": "2024-01-01",
             "unit_price": {"amount": "90", "currency": "GBP"}},
        ]}],
    ) == [
        ("line", "l1", "plan_id", "currency_mismatch",
         "price currency USD differs from contract 'k1' currency EUR"),
        ("line", "l3", "unit_price", "currency_mismatch",
         "price currency GBP differs from contract 'k1' currency EUR"),
    ]


# -- everything at once ------------------------------------------------------------------------


def test_one_error_lists_every_problem() -> None:
    with pytest.raises(InvalidDataError) as info:
        Dataset(
            customers=[
                {"id": "acme", "name": "Acme", "parent_id": "globex"},
                {"id": "globex", "name": "Globex", "parent_id": "acme"},        # 1 cycle
                {"id": "initech", "name": ""},                                   # 2 bad field
                {"id": "hooli", "name": "Hooli", "parent_id": "umbrella"},       # 3 unknown parent
                {"id": "hooli", "name": "Hooli 2"},                              # 4 duplicate
            ],
            products=[{"id": "crm", "name": "CRM"}, {"id": "bi", "name": "BI", "kind": "bundle"}],  # 5
            plans=[PRO, {**PRO, "id": "lite", "product_id": "erp"},              # 6 unknown product
                   {**PRO, "id": "eur", "price": {"amount": "9", "currency": "EUR"}}],
            contracts=[
                {"id": "k1", "customer_id": "wayne", "currency": "USD", "lines": [  # 7 unknown customer
                    {"id": "l1", "plan_id": "pro", "quantity": -3, "start": "2024-01-01"},  # 8 field
                    {"id": "l2", "plan_id": "gold", "quantity": 1, "start": "2024-01-01"},  # 9 plan
                    {"id": "l3", "plan_id": "eur", "quantity": 1, "start": "2024-01-01"},   # 10 currency
                ]},
                {"id": "k2", "customer_id": "acme", "currency": "USD", "lines": [
                    {"id": "l3", "plan_id": "pro", "quantity": 1, "start": "2024-01-01"},   # 11 dup line
                    {"id": "l4", "plan_id": "pro", "quantity": 1, "start": "2024-02-01",
                     "end": "2024-01-01"},                                                 # 12 dates
                ]},
            ],
        )
    err = info.value
    assert isinstance(err, ValueError)
    assert [(p.kind, p.record_id, p.field, p.code) for p in err.problems] == [
        ("customer", "initech", "name", "string_too_short"),
        ("product", "bi", "kind", "enum"),
        ("line", "l1", "quantity", "greater_than_equal"),
        ("line", "l4", "end", "end_before_start"),
        ("customer", "hooli", "id", "duplicate_id"),
        ("customer", "hooli", "parent_id", "unknown_reference"),
        ("customer", "acme", "parent_id", "cyclic_hierarchy"),
        ("plan", "lite", "product_id", "unknown_reference"),
        ("contract", "k1", "customer_id", "unknown_reference"),
        ("line", "l2", "plan_id", "unknown_reference"),
        ("line", "l3", "plan_id", "currency_mismatch"),
        ("line", "l3", "id", "duplicate_id"),
    ]
    assert str(err) == "\n".join([
        "12 problems in the data:",
        "  - customer 'initech', field 'name': String should have at least 1 character",
        "  - product 'bi', field 'kind': Input should be 'core' or 'add_on'",
        "  - line 'l1', field 'quantity': Input should be greater than or equal to 0 (contract 'k1')",
        "  - line 'l4', field 'end': end 2024-01-01 must be after start 2024-02-01 (contract 'k2')",
        "  - customer 'hooli', field 'id': duplicate customer id",
        "  - customer 'hooli', field 'parent_id': unknown customer 'umbrella'",
        "  - customer 'acme', field 'parent_id': parent chain loops: acme -> globex -> acme",
        "  - plan 'lite', field 'product_id': unknown product 'erp'",
        "  - contract 'k1', field 'customer_id': unknown customer 'wayne'",
        "  - line 'l2', field 'plan_id': unknown plan 'gold'",
        "  - line 'l3', field 'plan_id': price currency EUR differs from contract 'k1' currency USD",
        "  - line 'l3', field 'id': duplicate line id",
    ])


def test_a_reference_to_an_invalid_record_is_not_also_unknown() -> None:
    # The customer and the plan are reported for their own fields; the contract and line that
    # refer to them are not reported a second time as "unknown".
    assert problems_of(
        customers=[{"id": "acme", "name": ""}, {"id": "sub", "name": "Sub", "parent_id": "acme"}],
        products=[{"id": "crm", "name": ""}],
        plans=[{**PRO, "tier": -1}, {**PRO, "id": "basic"}],
        contracts=[{"id": "k1", "customer_id": "acme", "currency": "USD", "lines": [
            {"id": "l1", "plan_id": "pro", "quantity": 1, "start": "2024-01-01"}]}],
    ) == [
        ("customer", "acme", "name", "string_too_short", "String should have at least 1 character"),
        ("product", "crm", "name", "string_too_short", "String should have at least 1 character"),
        ("plan", "pro", "tier", "greater_than_equal", "Input should be greater than or equal to 0"),
    ]


def test_records_without_ids_are_numbered() -> None:
    assert problems_of(customers=[{"id": "a", "name": "A"}, {"name": "B"}, "junk"]) == [
        ("customer", "#2", "id", "missing", "Field required"),
        ("customer", "#3", None, "model_type",
         "Input should be a valid dictionary or instance of Customer"),
    ]


def test_data_problem_str() -> None:
    problem = DataProblem("line", "l1", "quantity", "must be whole", "int_from_float", "lines.csv")
    assert str(problem) == "lines.csv: line 'l1', field 'quantity': must be whole"
    assert str(DataProblem("contract", "k1", None, "bad", "x")) == "contract 'k1': bad"


# -- JSON --------------------------------------------------------------------------------------


@given(ds=datasets(currencies=("USD", "EUR"), with_hierarchy=True, exact=False))
def test_json_round_trip_of_generated_datasets(ds: Dataset) -> None:
    again = Dataset.from_json(ds.to_json())
    assert again == ds
    assert again.to_dict() == ds.to_dict()


def test_from_json_shape_errors() -> None:
    with pytest.raises(InvalidDataError, match="expected a JSON object with record lists"):
        Dataset.from_json("[]")
    with pytest.raises(InvalidDataError) as info:
        Dataset.from_json('{"customers": [], "invoices": [], "zebras": []}')
    assert [(p.field, p.code) for p in info.value.problems] == [
        ("invoices", "extra_forbidden"), ("zebras", "extra_forbidden")]
    with pytest.raises(InvalidDataError, match="expected a list of records"):
        Dataset.from_json('{"customers": {"id": "a"}}')
    assert Dataset.from_json(json.dumps({"customers": [{"id": "a", "name": "A"}]})).customer("a")


# -- the generators themselves -----------------------------------------------------------------


@given(ds=datasets(min_customers=0, max_customers=4, currencies=("USD", "EUR", "GBP"),
                   with_hierarchy=True, max_lines_per_customer=5))
def test_generated_datasets_respect_their_parameters(ds: Dataset) -> None:
    assert len(ds.customers) <= 4
    assert ds.currencies() <= {"USD", "EUR", "GBP"}
    per_customer: dict[str, int] = {}
    for ref in ds.lines:
        per_customer[ref.customer.id] = per_customer.get(ref.customer.id, 0) + 1
        if ref.line.end is not None:
            assert ref.line.start < ref.line.end
    assert all(count <= 5 for count in per_customer.values())


@given(ds=datasets(currencies=("USD", "EUR")))
def test_exact_datasets_have_terminating_mrr(ds: Dataset) -> None:
    # price x quantity x (1 - discount) x monthly factor has at most 4 decimal places.
    for ref in ds.lines:
        price = (ref.line.unit_price or ref.plan.price).amount
        mrr = (Fraction(price) * ref.line.quantity * (1 - Fraction(ref.line.discount))
               * monthly_factor(ref.plan.interval, Policy()))
        assert 10**4 % mrr.denominator == 0, (ref.line.id, mrr)


@given(ds=datasets(), rnd=st.randoms(use_true_random=False), data=st.data())
def test_shuffle_and_split_keep_a_valid_dataset(ds: Dataset, rnd: Any, data: st.DataObject) -> None:
    shuffled = shuffled_dataset(ds, rnd)
    assert sorted(r.line.id for r in shuffled.lines) == sorted(r.line.id for r in ds.lines)
    assert set(shuffled.customers) == set(ds.customers)
    if ds.lines:
        ref = data.draw(st.sampled_from(ds.lines))
        q1 = data.draw(st.integers(0, ref.line.quantity))
        split = split_line(ds, ref.line.id, q1)
        assert len(split.lines) == len(ds.lines) + 1
        first, second = split.line(ref.line.id).line, split.line(f"{ref.line.id}~split").line
        assert (first.quantity, second.quantity) == (q1, ref.line.quantity - q1)
        assert first.replace(quantity=0) == second.replace(id=ref.line.id, quantity=0)


def test_generated_datasets_exercise_every_feature() -> None:
    # Over 300 datasets every movement and edge case shows up. (At 100 the rarest one, free-to-paid,
    # was missed once when the whole suite ran first: hypothesis state shifts what a seed draws.)
    seen: set[str] = set()

    @settings(max_examples=300, phases=[Phase.generate], database=None, derandomize=True)
    @given(ds=datasets(currencies=("USD", "EUR"), with_hierarchy=True))
    def collect(ds: Dataset) -> None:
        seen.update(dataset_features(ds))

    collect()
    assert set(FEATURES) - seen == set()


def test_builders_fill_in_customers_and_products() -> None:
    ds = dataset(plans=[plan("pro", product="crm"), plan("seats", product="extra")],
                 contracts=[contract("k1", "acme", [line("l1", "pro")]), contract("k2", "acme")])
    assert [c.id for c in ds.customers] == ["acme"]
    assert [p.id for p in ds.products] == ["crm", "extra"]
    explicit = dataset(products=[product("crm", kind="add_on")], plans=[plan("pro")])
    assert explicit.product("crm").kind.value == "add_on"

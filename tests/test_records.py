"""Records: lazily built ledger rows and contract lines behave as the tuple of the same rows."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal

import pytest

from expansion_revenue import (
    Bridge,
    Contract,
    Dataset,
    bridge_series,
    example_path,
    load_example,
    load_example_fx,
    load_flat_csv,
    revenue_bridge,
)
from expansion_revenue.records import Records, field_values
from expansion_revenue.results.bridge import EntityChange, Movement

D = Decimal


def example_records() -> Records[EntityChange]:
    return Records(EntityChange, (("a", D(0), D(5)), ("b", D(2), D(1))))


def as_tuple() -> tuple[EntityChange, ...]:
    return (EntityChange(entity_id="a", start_mrr=0, end_mrr=5),
            EntityChange(entity_id="b", start_mrr=2, end_mrr=1))


def test_records_equal_and_hash_as_the_tuple_of_their_rows() -> None:
    rows = example_records()
    assert rows == as_tuple() and as_tuple() == rows  # both ways round
    assert (rows != as_tuple()) is False  # __ne__ too, not only __eq__
    assert hash(rows) == hash(as_tuple())
    assert rows != as_tuple()[:1] and rows != Records(EntityChange, (("a", D(0), D(5)),))
    assert list(rows) == list(as_tuple()) and rows[-1] == as_tuple()[-1]
    assert rows[0:1] == as_tuple()[0:1] and as_tuple()[1] in rows
    assert rows.index(as_tuple()[1]) == 1 and rows.count(as_tuple()[0]) == 1
    assert list(reversed(rows)) == list(reversed(as_tuple()))


def test_len_and_field_values_build_no_row() -> None:
    rows = example_records()
    assert len(rows) == 2 and rows.field_values[1] == ("b", D(2), D(1))
    assert rows._built is None  # nothing read yet
    assert rows[0].start_mrr == 0
    assert rows._built is not None and rows[0] is rows[0]  # built once, then the same objects
    # The rows hold the values now: the tuples of values are let go, and read back from the rows.
    assert rows._values is None and rows.field_values == example_records().field_values
    assert len(rows) == 2 and rows == example_records() and example_records() == rows
    given = {"entity_id", "start_mrr"}
    with_sets = Records(EntityChange, example_records().field_values, (given, given))
    list(with_sets)
    back = pickle.loads(pickle.dumps(with_sets))  # built, then pickled: fields-sets kept
    assert back == with_sets and back[1].model_fields_set == given


def test_records_pickle_and_copy() -> None:
    rows = example_records()
    assert pickle.loads(pickle.dumps(rows)) == rows
    assert copy.deepcopy(rows) == rows


def test_an_engine_bridge_round_trips_through_json_and_pickle() -> None:
    bridge = revenue_bridge(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    assert isinstance(bridge.ledger, Records) and isinstance(bridge.entities, Records)
    assert len(bridge.ledger) > 0
    back = Bridge.model_validate_json(bridge.model_dump_json())
    assert isinstance(back.ledger, tuple)  # validated input is kept as a tuple
    assert back == bridge and bridge == back
    assert back.model_dump() == bridge.model_dump()
    assert pickle.loads(pickle.dumps(bridge)) == bridge
    assert bridge.model_copy(deep=True) == bridge
    assert hash(bridge) == hash(back)


def test_the_json_schema_is_an_array_of_rows() -> None:
    schema = Bridge.model_json_schema()
    ledger = schema["properties"]["ledger"]
    assert ledger["type"] == "array" and ledger["items"] == {"$ref": "#/$defs/Movement"}


def test_a_series_summary_joins_the_ledgers_without_building_rows() -> None:
    series = bridge_series(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    summary = series.summary
    assert isinstance(summary.ledger, Records)
    assert summary.ledger == tuple(row for b in series.bridges for row in b.ledger)


def test_a_bridge_whose_rows_do_not_sum_cannot_be_built_from_records() -> None:
    bridge = revenue_bridge(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    values = list(bridge.ledger.field_values)  # type: ignore[attr-defined]
    first = values[0]
    values[0] = (*first[:2], first[2] + 1, *first[3:])  # one row's amount off by one
    with pytest.raises(ValueError, match="ledger rows"):
        Bridge.model_validate({**dict(bridge), "ledger": Records(Movement, tuple(values))})


def test_engine_bridges_check_rows_in_any_order_and_refuse_wrong_sums() -> None:
    bridge = revenue_bridge(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    rows = bridge.ledger.field_values  # type: ignore[attr-defined]
    changes = bridge.entities.field_values  # type: ignore[attr-defined]
    assert len(changes) > 1
    fields = {name: getattr(bridge, name) for name in (
        "start", "end", "currency", "method", "policy", "starting_mrr", "ending_mrr")}
    # Rows in reverse order: not the one-pass order, so the general check runs, and passes.
    rebuilt = Bridge._from_engine(**fields, ledger=Records(Movement, rows[::-1]),
                                  entities=Records(EntityChange, changes), attribution=None)
    assert rebuilt.components == bridge.components
    # One entity's change off by one: refused, in either order.
    entity, start, end = changes[0]
    wrong = Records(EntityChange, ((entity, start, end + 1), *changes[1:]))
    for ledger in (rows, rows[::-1]):
        with pytest.raises(ValueError, match="do not sum to its MRR change"):
            Bridge._from_engine(**fields, ledger=Records(Movement, ledger), entities=wrong,
                                attribution=None)


# -- contract lines: a loader's lines are Records, and the dataset builds no line to check them --


def test_rows_keep_the_fields_set_they_were_given() -> None:
    given = {"entity_id", "start_mrr"}  # as if end_mrr had been left to its default
    rows = Records(EntityChange, (("a", D(0), D(5)), ("b", D(2), D(1))), (given, given))
    assert rows[0].model_fields_set == given and rows == as_tuple()
    assert pickle.loads(pickle.dumps(rows))[1].model_fields_set == given
    with pytest.raises(ValueError, match="2 rows but 1 fields-sets"):
        Records(EntityChange, rows.field_values, (given,))


def test_field_values_read_records_and_tuples_alike() -> None:
    rows = example_records()
    assert list(field_values(rows, EntityChange)) == list(field_values(as_tuple(), EntityChange))
    assert rows._built is None


def loaded() -> Dataset:
    return load_flat_csv(example_path("saas_lines.csv"))


def test_a_loaders_contract_lines_equal_the_validated_lines() -> None:
    dataset = loaded()
    contract = dataset.contracts[0]
    assert isinstance(contract.lines, Records)
    again = Contract.model_validate(contract.model_dump(exclude_unset=True))  # a tuple of lines
    assert isinstance(again.lines, tuple)
    assert again == contract and contract == again and hash(again) == hash(contract)
    assert [line.model_fields_set for line in again.lines] == [
        line.model_fields_set for line in contract.lines]
    assert Contract.model_validate_json(contract.model_dump_json()) == contract


def test_the_dataset_builds_its_lines_on_first_use_only() -> None:
    dataset = loaded()
    bridge_series(dataset, "2024-01", "2024-06", fx=load_example_fx(), attribution=False)
    # The checks and the bridge engine read the lines' values: no line index is built (a line
    # object only for the first line of each distinct price, quantity, discount and plan).
    assert dataset._lines is None
    assert dataset.line_count == len(dataset.lines) == sum(len(c.lines) for c in dataset.contracts)
    first = dataset.lines[0]
    assert dataset.line(first.line.id) is first and first.line is dataset.contracts[0].lines[0]
    assert dataset.lines is dataset.lines  # built once


def test_a_loaded_dataset_equals_the_same_records_validated() -> None:
    dataset = loaded()
    again = Dataset.from_json(dataset.to_json())
    assert again == dataset and hash(again) == hash(dataset)
    assert [ref.line for ref in again.lines] == [ref.line for ref in dataset.lines]

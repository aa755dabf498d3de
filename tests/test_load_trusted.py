"""The loaders' trusted path (records built without pydantic) against the precise path.

Loading reads most rows by the trusted path (``expansion_revenue.load._trusted``): values seen
in a valid line before are reused, and customers, contracts and lines are built directly. These
tests load the same rows twice, once as shipped and once with the trusted path switched off (so
every record is validated by pydantic), and require the same dataset, record for record (field
values, their order, ``model_fields_set``), or the same problems, in the same order.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from expansion_revenue import (
    Dataset,
    InvalidDataError,
    dataset_from_flat_records,
    dataset_from_tables,
    load_csv_folder,
    load_flat_csv,
)
from expansion_revenue.load import _rows, _trusted, flat
from expansion_revenue.records import Records

COLUMNS = ("customer_id", "contract_id", "line_id", "product_id", "product_kind", "plan_id",
           "plan_tier", "quantity", "unit_price", "currency", "interval_count", "interval_unit",
           "discount", "start_date", "end_date", "discount_end_date", "customer_name", "parent_id",
           "segment")
# Per column: the usual values first (drawn most often), then unusual, padded or invalid ones.
USUAL = 4
VALUES: dict[str, list[str]] = {
    "customer_id": ["acme", "beta", "gamma", "delta", " acme", "Ünï", "x" * 201, "x" * 200, ""],
    "contract_id": ["k1", "k2", "k3", "k4", "k1 ", "ké", "y" * 200, "y" * 201, ""],
    "line_id": ["l1", "l2", "l3", "l4", " l1", "l0", "lé", "z" * 200, "z" * 201, ""],
    "product_id": ["crm", "ads", "crm", "ads", "crm ", ""],
    "product_kind": ["core", "add_on", "core", "add_on", "CORE", " core", "extra", ""],
    "plan_id": ["crm-pro", "ads-1", "crm-pro", "ads-1", " ads-1", "plän", ""],
    "plan_tier": ["2", "1", "2", "1", "02", "-1", ""],
    "quantity": ["10", "1", "3", "0", " 10", "-1", "2.5", "x", ""],
    "unit_price": ["600", "10.00", "600", "55.5", " 600", "-1", "abc", "1e9999", ""],
    "currency": ["USD", "USD", "EUR", "usd", "EUR", " EUR", "XYZ", ""],
    "interval_count": ["1", "1", "", "3", " 1", "0", "x"],
    "interval_unit": ["year", "month", "year", "month", "Months", "fortnight", ""],
    "discount": ["", "", "0.1", "0.25", " 0.1", "1.5", "-0.1", "x"],
    "start_date": ["2024-01-01", "2024-02-15", "2024-03-01", "2024-01-01", " 2024-01-01",
                   "2024-02-30", "20240101", ""],
    "end_date": ["", "", "2024-06-01", "2024-09-30", "2024-06-01 ", "2024-01-01", "2023-01-01", "x"],
    "discount_end_date": ["", "", "2024-04-01", "", "2024-02-15", "2023-06-01", " 2024-04-01", "y"],
    "customer_name": ["", "Acme Corp", "", "Beta", " Spaced ", "Ünïcode GmbH"],
    "parent_id": ["", "", "", "acme", " acme", "beta", "group", "é", "x" * 201],
    "segment": ["", "smb", "smb", "enterprise", " smb ", "ünï"],
}


@st.composite
def flat_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Consistent flat rows (a plan keeps its terms, a contract its customer and currency), some
    with one value changed to an unusual one: the trusted path sees them after rows that made
    every other value of theirs known."""
    rows = []
    for index in range(draw(st.integers(1, 25))):
        row = {column: values[draw(st.integers(0, USUAL - 1))] for column, values in VALUES.items()}
        plan = draw(st.integers(0, 1))
        row.update(line_id=f"l{index}", plan_id=["crm-pro", "ads-1"][plan],
                   product_id=["crm", "ads"][plan], product_kind=["core", "add_on"][plan],
                   plan_tier=["2", "1"][plan], interval_count="1",
                   interval_unit=["year", "month"][plan])
        contract = draw(st.integers(0, 3))
        customer = ["acme", "beta", "beta", "gamma"][contract]
        row.update(contract_id=f"k{contract}", customer_id=customer,
                   currency=["USD", "USD", "EUR", "USD"][contract],
                   parent_id="acme" if customer == "gamma" else "")
        if draw(st.integers(0, 3)) == 0:
            column = draw(st.sampled_from(sorted(VALUES)))
            row[column] = draw(st.sampled_from(VALUES[column]))
        rows.append(row)
    return rows


def fingerprint(record: object) -> object:
    """A record as everything that tells two apart: type, fields in order, fields set."""
    if isinstance(record, BaseModel):
        fields = [(name, fingerprint(value)) for name, value in record.__dict__.items()]
        return type(record).__name__, fields, sorted(record.model_fields_set)
    if isinstance(record, (tuple, Records)):  # a loader's contract lines are Records
        return [fingerprint(item) for item in record]
    return (type(record).__name__, repr(record))


def outcome(load: Callable[[], Dataset]) -> object:
    """The dataset ``load`` gives, record by record, or its problems."""
    try:
        dataset = load()
    except InvalidDataError as error:
        return [(p.kind, p.record_id, p.field, p.message, p.code, p.source) for p in error.problems]
    return ([fingerprint(record) for records in (dataset.customers, dataset.products, dataset.plans,
                                                 dataset.contracts) for record in records],
            [(ref.line.id, ref.contract.id, ref.customer.id, ref.plan.id, ref.product.id)
             for ref in dataset.lines])


@contextmanager
def precise_only() -> Iterator[None]:
    with mock.patch.object(_rows, "TRUSTED", False), mock.patch.object(flat, "TRUSTED", False):
        yield


def both(load: Callable[[], Dataset]) -> tuple[object, object]:
    trusted = outcome(load)
    with precise_only():
        precise = outcome(load)
    return trusted, precise


def csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([row[column] for column in columns] for row in rows)
    return out.getvalue()


def test_the_trusted_path_is_on() -> None:
    # Off only when the models no longer have the fields and validators it was written for.
    assert _trusted.TRUSTED


@settings(max_examples=300)
@given(flat_rows())
def test_flat_csv_files_load_the_same_by_both_paths(rows: list[dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        trusted, precise = both(lambda: load_flat_csv(path))
    assert trusted == precise


@settings(max_examples=300)
@given(flat_rows())
def test_flat_csv_files_without_the_optional_columns_load_the_same(rows: list[dict[str, str]]) -> None:
    columns = tuple(column for column in COLUMNS
                    if column not in ("customer_name", "parent_id", "segment", "discount_end_date"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines.csv"
        path.write_text(csv_text(rows, columns), encoding="utf-8")
        trusted, precise = both(lambda: load_flat_csv(path))
    assert trusted == precise


@settings(max_examples=300)
@given(flat_rows())
def test_flat_records_load_the_same_by_both_paths(rows: list[dict[str, str]]) -> None:
    trusted, precise = both(lambda: dataset_from_flat_records(rows))
    assert trusted == precise


@settings(max_examples=300)
@given(flat_rows())
def test_tables_load_the_same_by_both_paths(rows: list[dict[str, str]]) -> None:
    customers = {row["customer_id"]: {"id": row["customer_id"], "name": row["customer_name"] or "C"}
                 for row in rows}
    plans = [{"id": "crm-pro", "product_id": "crm", "name": "Pro", "tier": "2", "price": "600",
              "currency": "USD", "interval_unit": "year"},
             {"id": "ads-1", "product_id": "ads", "name": "Ads", "tier": "1", "price": "10",
              "currency": "USD", "interval_unit": "month"}]
    products = [{"id": "crm", "name": "CRM"}, {"id": "ads", "name": "Ads", "kind": "add_on"}]
    lines = [{"contract_id": row["contract_id"], "customer_id": row["customer_id"],
              "currency": row["currency"], "line_id": row["line_id"], "plan_id": row["plan_id"],
              "quantity": row["quantity"], "unit_price": row["unit_price"] if index % 3 else "",
              "discount": row["discount"], "discount_end_date": row["discount_end_date"],
              "start_date": row["start_date"], "end_date": row["end_date"]}
             for index, row in enumerate(rows)]
    trusted, precise = both(lambda: dataset_from_tables(customers=list(customers.values()),
                                                        products=products, plans=plans, lines=lines))
    assert trusted == precise
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for table, records in (("customers", list(customers.values())), ("products", products),
                               ("plans", plans), ("lines", lines)):
            header = tuple(dict.fromkeys(column for record in records for column in record)) or ("id",)
            text = csv_text([{column: str(record.get(column, "")) for column in header}
                             for record in records], header)
            (folder / f"{table}.csv").write_text(text, encoding="utf-8")
        trusted, precise = both(lambda: load_csv_folder(folder))
    assert trusted == precise


def test_a_line_with_known_values_is_not_validated_again(tmp_path: Path) -> None:
    row = {column: values[0] for column, values in VALUES.items()}
    rows = [dict(row, line_id=f"l{index}", contract_id=f"k{index % 7}") for index in range(50)]
    path = tmp_path / "lines.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    calls: list[Any] = []
    validate = _rows.LineReader._validated

    def counted(self: _rows.LineReader, *args: Any) -> Any:
        calls.append(args)
        return validate(self, *args)

    with mock.patch.object(_rows.LineReader, "_validated", counted):
        dataset = load_flat_csv(path)
    assert len(dataset.lines) == 50
    assert len(calls) == 1  # the first line; the 49 others repeat its values

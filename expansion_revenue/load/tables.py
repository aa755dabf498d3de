"""Normalized tables: customers, products, plans and contract lines, one record kind per table.

The shape of a database or of four CSV files. Contracts are not a table of their own: they are
formed by grouping the lines by ``contract_id``, and every line of a contract must agree on its
``customer_id`` and ``currency``.

========== ===================================================================================
table      columns (``*`` required)
========== ===================================================================================
customers  ``id*, name*, parent_id``; every other column is an attribute (``segment``,
           ``region`` ...); an empty attribute cell is left out
products   ``id*, name*, kind`` (``core``, the default, or ``add_on``), ``family``
plans      ``id*, product_id*, name*, tier*, price*, currency*, interval_count`` (default 1),
           ``interval_unit*`` (``day``, ``week``, ``month``, ``year``)
lines      ``contract_id*, customer_id*, currency*, line_id*, plan_id*, quantity*, unit_price``
           (empty: the plan's price), ``discount`` (empty: 0), ``discount_end_date``,
           ``start_date*``, ``end_date`` (empty: open-ended)
========== ===================================================================================

An empty cell is a missing value. Numbers are read as exact decimals from their text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from expansion_revenue._gc import collection_paused
from expansion_revenue.dataset import Dataset
from expansion_revenue.load._rows import (
    LINE_COLUMNS,
    MISSING,
    Assembly,
    ContractGroup,
    FieldSets,
    LineReader,
    Origin,
    Problems,
    RecordRows,
    Rows,
    interval_unit,
    present,
    validated,
)
from expansion_revenue.models import Customer, Plan, Product

__all__ = [
    "CUSTOMER_COLUMNS",
    "LINE_TABLE_COLUMNS",
    "PLAN_COLUMNS",
    "PRODUCT_COLUMNS",
    "REQUIRED",
    "dataset_from_tables",
    "tables_dataset",
]

R = TypeVar("R", Customer, Product, Plan)

#: Columns of the customers table with a meaning of their own (any other is an attribute).
CUSTOMER_COLUMNS = frozenset({"id", "name", "parent_id"})
#: Columns of the products table.
PRODUCT_COLUMNS = frozenset({"id", "name", "kind", "family"})
#: Columns of the plans table.
PLAN_COLUMNS = frozenset({"id", "product_id", "name", "tier", "price", "currency", "interval_count",
                          "interval_unit"})
#: Columns of the lines table.
LINE_TABLE_COLUMNS = frozenset({"contract_id", "customer_id", "currency", "line_id", "plan_id",
                                "quantity", "unit_price", "discount", "discount_end_date",
                                "start_date", "end_date"})
#: The columns each table must have.
REQUIRED = {
    "customers": frozenset({"id", "name"}),
    "products": frozenset({"id", "name"}),
    "plans": frozenset({"id", "product_id", "name", "tier", "price", "currency", "interval_unit"}),
    "lines": frozenset({"contract_id", "customer_id", "currency", "line_id", "plan_id", "quantity",
                        "start_date"}),
}

_PLAN_FIELDS = {"price.amount": "price", "price.currency": "currency", "interval": "interval_unit",
                "interval.count": "interval_count", "interval.unit": "interval_unit"}
_CONTRACT_FIELDS = {"id": "contract_id"}


def dataset_from_tables(
    *,
    customers: Iterable[Mapping[str, Any]] = (),
    products: Iterable[Mapping[str, Any]] = (),
    plans: Iterable[Mapping[str, Any]] = (),
    lines: Iterable[Mapping[str, Any]] = (),
    source: str | None = None,
) -> Dataset:
    """Build a dataset from normalized tables given as Python records (one mapping per row).

    Values may be text (as from CSV or JSON) or Python values (``int``, ``Decimal``, ``date``).
    Contracts are the lines grouped by ``contract_id``. See the module docs for the columns.

    Args:
        customers: customer rows; columns other than ``id, name, parent_id`` are attributes.
        products: product rows.
        plans: plan rows.
        lines: contract-line rows.
        source: where the records came from, named in problems.

    Raises:
        InvalidDataError: every problem of every table, each with the table's record kind, the
            record's position (``record 1`` is the first record of its table) and the column.

    >>> ds = dataset_from_tables(
    ...     customers=[{"id": "acme", "name": "Acme", "segment": "smb"}],
    ...     products=[{"id": "crm", "name": "CRM"}],
    ...     plans=[{"id": "crm-pro", "product_id": "crm", "name": "Pro", "tier": "2", "price": "50",
    ...             "currency": "USD", "interval_unit": "month"}],
    ...     lines=[{"contract_id": "k1", "customer_id": "acme", "currency": "USD", "line_id": "l1",
    ...             "plan_id": "crm-pro", "quantity": "4", "start_date": "2024-01-01"}])
    >>> ds.customer("acme").attributes["segment"], ds.contract("k1").lines[0].quantity
    ('smb', 4)
    >>> dataset_from_tables(products=[{"id": "crm", "name": "CRM", "kind": "extra"}])
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.InvalidDataError: 1 problem in the data:
      - product 'record 1', field 'kind': Input should be 'core' or 'add_on'
    """
    return tables_dataset(RecordRows(customers, source), RecordRows(products, source),
                          RecordRows(plans, source), RecordRows(lines, source))


def tables_dataset(customers: Rows, products: Rows, plans: Rows, lines: Rows,
                   problems: Problems | None = None) -> Dataset:
    """Build a dataset from the four tables' rows (see :func:`dataset_from_tables`).

    >>> from expansion_revenue.load._rows import RecordRows
    >>> tables_dataset(RecordRows([{"id": "a", "name": "A"}]), RecordRows([]), RecordRows([]),
    ...                RecordRows([]))
    Dataset(1 customers, 0 products, 0 plans, 0 contracts, 0 lines)
    """
    with collection_paused():
        return _tables_dataset(customers, products, plans, lines, problems or Problems())


def _tables_dataset(customers: Rows, products: Rows, plans: Rows, lines: Rows,
                    problems: Problems) -> Dataset:
    failed: dict[str, set[Any]] = {kind: set() for kind in ("customer", "product", "plan", "contract")}
    origins = {
        "customer": Origin(customers, "customer", {}),
        "product": Origin(products, "product", {}),
        "plan": Origin(plans, "plan", _PLAN_FIELDS),
        "contract": Origin(lines, "line", _CONTRACT_FIELDS),
    }
    assembly = Assembly(
        _records(customers, "customer", Customer, _CUSTOMERS, problems, origins, failed),
        _records(products, "product", Product, _PRODUCTS, problems, origins, failed),
        _records(plans, "plan", Plan, _PLANS, problems, origins, failed),
        _contract_groups(lines, problems),
        origins, failed)
    return assembly.dataset(problems, Origin(lines, "line", LINE_COLUMNS))


def _customer(rows: Rows, values: list[Any], raw: Any) -> dict[str, object]:
    record_id, name, parent_id = values[:3]
    return present({"id": record_id, "name": name, "parent_id": parent_id,
                     "attributes": rows.others(raw, CUSTOMER_COLUMNS)})


def _product(rows: Rows, values: list[Any], raw: Any) -> dict[str, object]:
    record_id, name, kind, family = values[:4]
    return present({"id": record_id, "name": name, "kind": kind.lower() if kind else None,
                     "family": family})


def _plan(rows: Rows, values: list[Any], raw: Any) -> dict[str, object]:
    record_id, product_id, name, tier, price, currency, count, unit = values[:8]
    return present({
        "id": record_id, "product_id": product_id, "name": name, "tier": tier,
        "price": present({"amount": price, "currency": currency}),
        "interval": present({"count": count, "unit": interval_unit(unit)}),
    })


class _Table:
    """How to read one of the customers, products and plans tables."""

    def __init__(self, columns: tuple[str, ...], text_columns: set[str], allowed: frozenset[str] | None,
                 build: Callable[[Rows, list[Any], Any], dict[str, object]]) -> None:
        self.columns = columns
        self.text_columns = frozenset(text_columns)
        self.allowed = allowed  # None: any other column is an attribute
        self.build = build


_CUSTOMERS = _Table(("id", "name", "parent_id"), {"id", "parent_id"}, None, _customer)
_PRODUCTS = _Table(("id", "name", "kind", "family"), {"id", "kind"}, PRODUCT_COLUMNS, _product)
_PLANS = _Table(("id", "product_id", "name", "tier", "price", "currency", "interval_count",
                 "interval_unit"), {"id", "product_id", "currency", "interval_unit"}, PLAN_COLUMNS,
                _plan)


def _records(rows: Rows, kind: str, model: type[R], table: _Table, problems: Problems,
             origins: dict[str, Origin], failed: dict[str, set[Any]]) -> list[R]:
    records = []
    origin = origins[kind]
    share = FieldSets().share
    selection = rows.select(table.columns, table.text_columns)
    order = [selection.positions[column] for column in table.columns]
    for index, row_values, raw in selection.rows:
        values = [row_values[position] for position in order]
        if table.allowed is not None:
            problems.unknown_columns(rows, kind, index, raw, table.allowed)
        record = validated(model, table.build(rows, values, raw), problems, rows, kind, index,
                           origin.columns)
        if record is None:
            failed[kind].add(values[0])
        else:
            origin.add(record.id, index)
            records.append(share(record))
    return records


_GROUP_COLUMNS = ("contract_id", "customer_id", "currency", "plan_id")
_GROUP_TEXT = frozenset({"contract_id", "customer_id", "currency", "plan_id", "line_id"})


def _contract_groups(rows: Rows, problems: Problems) -> dict[Any, ContractGroup]:
    groups: dict[Any, ContractGroup] = {}
    selection = rows.select(_GROUP_COLUMNS + LineReader.COLUMNS, _GROUP_TEXT)
    reader = LineReader(rows, "line", problems, selection.positions)
    p_contract, p_customer, p_currency, p_plan = (selection.positions[c] for c in _GROUP_COLUMNS)
    for index, values, raw in selection.rows:
        problems.unknown_columns(rows, "line", index, raw, LINE_TABLE_COLUMNS)
        contract_id, customer_id = values[p_contract], values[p_customer]
        currency = values[p_currency]
        currency = currency.upper() if currency else None
        group = groups.get(contract_id) if contract_id else None
        if contract_id is None:
            problems.add(rows, "line", index, "contract_id", *MISSING)
        elif group is None:
            group = groups[contract_id] = ContractGroup(index, customer_id, currency,
                                                        reader.currency(index, currency))
        else:
            what = f"contract '{contract_id}'"
            if customer_id != group.customer_id:
                problems.contradiction(rows, "line", index, "customer_id", what, customer_id,
                                       group.customer_id, group.index)
            if currency != group.currency:
                problems.contradiction(rows, "line", index, "currency", what, currency,
                                       group.currency, group.index)
        line = reader.read(values, index, group.valid_currency if group else None, values[p_plan])
        if line is not None and group is not None:
            group.add(line, index)
    return groups

"""The flat shape: one table of contract lines, as a warehouse or billing system exports them.

Each row is one contract line and repeats what it needs of its customer, contract, product and
plan. The loader infers the customers, products, plans and contracts from the rows and reports
every row that contradicts an earlier one (one plan id with two tiers, two products or two
billing intervals; one product id with two kinds; one contract with two customers or two
currencies; one customer with two parents).

Columns (``*`` required; a required column may still have empty cells where a default is said):

- ``customer_id*``, ``contract_id*``, ``line_id*``, ``product_id*``, ``plan_id*``;
- ``product_kind*`` (``core`` or ``add_on``; empty: ``core``), ``plan_tier*`` (a whole number,
  higher is richer);
- ``quantity*`` (a whole number, zero or more), ``unit_price*`` (the price per unit per billing
  interval actually charged, in the row's ``currency*``);
- ``interval_count*`` (empty: 1), ``interval_unit*`` (``day``, ``week``, ``month``, ``year``);
- ``discount*`` (a fraction from 0 to 1; empty: 0), ``start_date*``, ``end_date*`` (empty:
  open-ended), ``discount_end_date`` (empty: the discount lasts as long as the line);
- ``customer_name``, ``product_name``, ``plan_name`` (empty: the id), ``product_family``,
  ``parent_id`` (the customer's parent account);
- any other column (``segment``, ``region`` ...) is a customer attribute.

Inference: a customer's name and attributes come from its first row; a parent account named by
``parent_id`` but without lines of its own becomes a customer named after its id. A plan's list
price is the ``unit_price`` of its first row, in that row's currency; every line keeps its own
``unit_price`` in its contract's currency, so one plan sold in two currencies is fine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from expansion_revenue.dataset import Dataset
from expansion_revenue.engine._gc import collection_paused
from expansion_revenue.load._rows import (
    LINE_COLUMNS,
    MISSING,
    NO_CURRENCY,
    Assembly,
    ContractGroup,
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

__all__ = ["FLAT_COLUMNS", "FLAT_REQUIRED", "dataset_from_flat_records", "flat_dataset"]

#: The columns a flat table must have.
FLAT_REQUIRED = frozenset({
    "customer_id", "contract_id", "line_id", "product_id", "product_kind", "plan_id", "plan_tier",
    "quantity", "unit_price", "currency", "interval_count", "interval_unit", "discount",
    "start_date", "end_date",
})
#: Every column with a meaning of its own; any other column is a customer attribute.
FLAT_COLUMNS = FLAT_REQUIRED | {"customer_name", "parent_id", "plan_name", "product_name",
                                "product_family", "discount_end_date"}

_KIND = "row"
# Values every row must have, beyond those the ContractLine model checks (line_id, plan_id ...).
_KEYS = ("customer_id", "contract_id", "product_id", "unit_price")
_FIELDS = {
    "customer": {"id": "customer_id", "name": "customer_name"},
    "product": {"id": "product_id", "name": "product_name", "kind": "product_kind",
                "family": "product_family"},
    "plan": {"id": "plan_id", "name": "plan_name", "tier": "plan_tier", "price": "unit_price",
             "price.amount": "unit_price", "price.currency": "currency", "interval": "interval_unit",
             "interval.count": "interval_count", "interval.unit": "interval_unit"},
    "contract": {"id": "contract_id"},
}


def dataset_from_flat_records(rows: Iterable[Mapping[str, Any]], *, source: str | None = None) -> Dataset:
    """Build a dataset from flat contract-line records (see the module docs for the columns).

    Args:
        rows: one mapping per contract line; values as text (as from CSV) or Python values.
        source: where the rows came from, named in problems.

    Raises:
        InvalidDataError: every problem, each of kind ``row`` with the record's position
            (``record 1`` is the first) and the column at fault.

    >>> row = {"customer_id": "acme", "contract_id": "k1", "line_id": "l1", "product_id": "crm",
    ...        "product_kind": "core", "plan_id": "crm-pro", "plan_tier": "2", "quantity": "10",
    ...        "unit_price": "600", "currency": "USD", "interval_count": "1",
    ...        "interval_unit": "year", "discount": "", "start_date": "2024-01-01", "end_date": ""}
    >>> ds = dataset_from_flat_records([row, dict(row, line_id="l2", contract_id="k2",
    ...                                           currency="EUR", unit_price="550")])
    >>> ds.plan("crm-pro").price, ds.line("l2").line.unit_price
    (Money(amount=Decimal('600'), currency='USD'), Money(amount=Decimal('550'), currency='EUR'))
    >>> dataset_from_flat_records([row, dict(row, line_id="l2", plan_tier="3")])
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.InvalidDataError: 1 problem in the data:
      - row 'record 2', field 'plan_tier': plan 'crm-pro' has plan_tier '3' here but '2' in record 1
    """
    return flat_dataset(RecordRows(rows, source))


def flat_dataset(rows: Rows, problems: Problems | None = None) -> Dataset:
    """Build a dataset from flat rows (see :func:`dataset_from_flat_records`).

    >>> from expansion_revenue.load._rows import RecordRows
    >>> flat_dataset(RecordRows([]))
    Dataset(0 customers, 0 products, 0 plans, 0 contracts, 0 lines)
    """
    with collection_paused():
        return _FlatReader(rows, problems or Problems()).dataset()


_SELECTED = ("customer_id", "contract_id", "product_id", "plan_id", "currency", "unit_price",
             "parent_id", "product_kind", "plan_tier", "interval_count", "interval_unit",
             "customer_name", "product_name", "product_family", "plan_name", *LineReader.COLUMNS)
_TEXT = frozenset({"customer_id", "contract_id", "product_id", "plan_id", "currency", "parent_id",
                   "product_kind", "interval_unit", "line_id"})


class _FlatReader:
    """Reads flat rows once, inferring each customer, product and plan from its first row."""

    def __init__(self, rows: Rows, problems: Problems) -> None:
        self.rows = rows
        self.problems = problems
        self.origins = {kind: Origin(rows, _KIND, columns) for kind, columns in _FIELDS.items()}
        self.failed: dict[str, set[Any]] = {kind: set() for kind in _FIELDS}
        self.selection = rows.select(_SELECTED, _TEXT)
        self.positions = self.selection.positions
        self.lines = LineReader(rows, _KIND, problems, self.positions)
        self.customers: list[Customer] = []
        self.products: list[Product] = []
        self.plans: list[Plan] = []
        self.seen_customers: dict[Any, tuple[int, Any]] = {}  # id -> (first row, parent_id)
        self.parents: dict[Any, int] = {}  # parent id -> first row naming it

    def dataset(self) -> Dataset:
        """Read every row, then build the dataset (raising every problem together)."""
        rows, problems, contradiction = self.rows, self.problems, self.problems.contradiction
        read_line, read_currency = self.lines.read, self.lines.currency
        seen_customers = self.seen_customers
        # id -> (index of its first row, what later rows must repeat)
        seen_products: dict[Any, tuple[int, Any]] = {}
        seen_plans: dict[Any, tuple[int, tuple[Any, ...]]] = {}
        groups: dict[Any, ContractGroup] = {}
        (p_customer, p_contract, p_product, p_plan, p_currency, p_price, p_parent, p_kind, p_tier,
         p_count, p_unit) = (self.positions[column] for column in _SELECTED[:11])
        for index, values, raw in self.selection.rows:
            customer_id, contract_id = values[p_customer], values[p_contract]
            product_id, plan_id = values[p_product], values[p_plan]
            currency = values[p_currency]
            if currency is not None:
                currency = currency.upper()
            if (customer_id is None or contract_id is None or product_id is None or plan_id is None
                    or values[p_price] is None):
                for column in _KEYS:
                    if values[self.positions[column]] is None:
                        problems.add(rows, _KIND, index, column, *MISSING)
                read_line(values, index, None, plan_id)  # for the row's other problems
                continue
            parent_id = values[p_parent]
            customer = seen_customers.get(customer_id)
            if customer is None:
                seen_customers[customer_id] = (index, parent_id)
                self._customer(customer_id, parent_id, values, raw, index)
            elif customer[1] != parent_id:
                contradiction(rows, _KIND, index, "parent_id", f"customer '{customer_id}'", parent_id,
                              customer[1], customer[0])
            kind = values[p_kind]
            if kind is not None:
                kind = kind.lower()
            product = seen_products.get(product_id)
            if product is None:
                seen_products[product_id] = (index, kind)
                self._product(product_id, kind, values, index)
            elif product[1] != kind:
                contradiction(rows, _KIND, index, "product_kind", f"product '{product_id}'", kind,
                              product[1], product[0])
            terms = (product_id, values[p_tier], values[p_count], values[p_unit])
            plan = seen_plans.get(plan_id)
            if plan is None:
                seen_plans[plan_id] = (index, terms)
                self._plan(plan_id, terms, currency, values, index)
            elif plan[1] != terms:
                self._plan_contradictions(index, plan_id, terms, *plan)
            group = groups.get(contract_id)
            if group is None:
                group = groups[contract_id] = ContractGroup(index, customer_id, currency,
                                                            read_currency(index, currency))
            else:
                if customer_id != group.customer_id:
                    contradiction(rows, _KIND, index, "customer_id", f"contract '{contract_id}'",
                                  customer_id, group.customer_id, group.index)
                if currency != group.currency:
                    contradiction(rows, _KIND, index, "currency", f"contract '{contract_id}'",
                                  currency, group.currency, group.index)
            line = read_line(values, index, group.valid_currency, plan_id)
            if line is not None:
                group.lines.append(line)
                group.rows.append(index)
        self._parents()
        assembly = Assembly(self.customers, self.products, self.plans, groups, self.origins,
                            self.failed)
        return assembly.dataset(problems, Origin(rows, _KIND, LINE_COLUMNS))

    def _keep(self, kind: str, record: Customer | Product | Plan | None, record_id: Any, index: int,
              into: list[Any]) -> None:
        """Keep a valid record (and its row), or note that ``record_id`` failed."""
        if record is None:
            self.failed[kind].add(record_id)
        else:
            self.origins[kind].add(record_id, index)
            into.append(record)

    def _customer(self, customer_id: Any, parent_id: Any, values: list[Any], raw: Any,
                  index: int) -> None:
        data: dict[str, object] = {
            "id": customer_id, "name": values[self.positions["customer_name"]] or customer_id,
            "attributes": self.rows.others(raw, FLAT_COLUMNS)}
        if parent_id is not None:
            data["parent_id"] = parent_id
            self.parents.setdefault(parent_id, index)
        customer = validated(Customer, data, self.problems, self.rows, _KIND, index,
                             self.origins["customer"].columns)
        if customer is not None:
            customer = self.lines.field_sets.share(customer)
        self._keep("customer", customer, customer_id, index, self.customers)

    def _parents(self) -> None:
        """A parent account named by ``parent_id`` but without lines becomes a customer."""
        for parent_id, index in self.parents.items():
            if parent_id not in self.seen_customers:
                parent = validated(Customer, {"id": parent_id, "name": parent_id}, self.problems,
                                   self.rows, _KIND, index, {"id": "parent_id", "name": "parent_id"})
                self._keep("customer", parent, parent_id, index, self.customers)

    def _product(self, product_id: Any, kind: Any, values: list[Any], index: int) -> None:
        data = {"id": product_id, "name": values[self.positions["product_name"]] or product_id,
                "kind": kind, "family": values[self.positions["product_family"]]}
        product = validated(Product, present(data), self.problems, self.rows, _KIND, index,
                            self.origins["product"].columns)
        self._keep("product", product, product_id, index, self.products)

    def _plan(self, plan_id: Any, terms: tuple[Any, ...], currency: str | None, values: list[Any],
              index: int) -> None:
        product_id, tier, count, unit = terms
        price = self.lines.money(values[self.positions["unit_price"]], currency or "")
        priced = not isinstance(price, Exception)
        interval = present({"count": count, "unit": interval_unit(unit)})
        data = {"id": plan_id, "product_id": product_id,
                "name": values[self.positions["plan_name"]] or plan_id, "tier": tier,
                "interval": interval,
                # A bad unit_price or currency is recorded with the row's line: check the rest.
                "price": price if priced else {"amount": 0, "currency": NO_CURRENCY}}
        plan = validated(Plan, present(data), self.problems, self.rows, _KIND, index,
                         self.origins["plan"].columns)
        self._keep("plan", plan if priced else None, plan_id, index, self.plans)

    def _plan_contradictions(self, index: int, plan_id: Any, terms: tuple[Any, ...],
                             first: int, earlier_terms: tuple[Any, ...]) -> None:
        for column, value, earlier in zip(_PLAN_TERMS, terms, earlier_terms, strict=True):
            if value != earlier and _normal(column, value) != _normal(column, earlier):
                self.problems.contradiction(self.rows, _KIND, index, column, f"plan '{plan_id}'", value,
                                            earlier, first)


_PLAN_TERMS = ("product_id", "plan_tier", "interval_count", "interval_unit")


def _normal(column: str, value: object) -> object:
    """``value`` as the plan will read it: ``02`` is tier 2, ``Months`` is ``month``."""
    if value is None:
        return 1 if column == "interval_count" else None
    if column in ("plan_tier", "interval_count"):
        try:
            return int(str(value))
        except ValueError:
            return value
    if column == "interval_unit":
        return interval_unit(value)
    return value

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
from operator import itemgetter
from typing import Any

from expansion_revenue._gc import collection_paused
from expansion_revenue.dataset import Dataset
from expansion_revenue.frozen import FrozenMap
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
    Row,
    Rows,
    Selection,
    TextSelection,
    interval_unit,
    present,
    validated,
)
from expansion_revenue.load._trusted import ID_MAX_LENGTH, TRUSTED, is_identifier, trusted
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
# The columns the trusted path reads, in the order it unpacks them.
_TEXT_COLUMNS = ("customer_id", "contract_id", "product_id", "plan_id", "currency", "unit_price",
                 "parent_id", "product_kind", "plan_tier", "interval_count", "interval_unit",
                 "line_id", "quantity", "discount", "discount_end_date", "start_date", "end_date")
# The columns that must agree with the first rows of a row's product and plan.
_TERM_COLUMNS = ("product_id", "product_kind", "plan_id", "plan_tier", "interval_count",
                 "interval_unit")
_TEXT = frozenset({"customer_id", "contract_id", "product_id", "plan_id", "currency", "parent_id",
                   "product_kind", "interval_unit", "line_id"})


class _FlatReader:
    """Reads flat rows once, inferring each customer, product and plan from its first row.

    Two paths read a row, with the same result. The precise path (:meth:`_read_rows`) takes the
    row's cleaned values (stripped, ``None`` when empty), checks everything and words every
    problem. The trusted path (:meth:`_read_text`, for text rows) reads a row as the file has it,
    without stripping it: a row whose every value is known (seen in a valid row before, see
    :mod:`._trusted`) and consistent with the earlier rows, with at most a new customer or
    contract that needs no validation, is read directly; every other row goes to the precise
    path. Known values are stripped text, so text that needs stripping is never known: a row with
    any always takes the precise path. Nothing is recorded for a row until one path reads it.
    """

    def __init__(self, rows: Rows, problems: Problems) -> None:
        self.rows = rows
        self.problems = problems
        self.origins = {kind: Origin(rows, _KIND, columns) for kind, columns in _FIELDS.items()}
        self.failed: dict[str, set[Any]] = {kind: set() for kind in _FIELDS}
        # Text rows (CSV) are read as text, by both paths; other rows by the precise path only.
        self.text = rows.text(_SELECTED)
        self.selection: Selection | None = None
        if self.text is None:
            self.selection = rows.select(_SELECTED, _TEXT)
            self.positions = self.selection.positions
        else:
            self.positions = self.text.positions
        self.lines = LineReader(rows, _KIND, problems, self.positions)
        self._name_position = self.positions["customer_name"]
        # The shared fields-sets of trusted customers: [with a parent, without].
        self._customer_fields = (self.lines.field_sets.get(_CHILD_FIELDS),
                                 self.lines.field_sets.get(_CUSTOMER_FIELDS))
        self._attribute_maps: dict[tuple[tuple[str, object], ...], FrozenMap[str, object]] = {}
        self.customers: list[Customer] = []
        self.products: list[Product] = []
        self.plans: list[Plan] = []
        self.seen_customers: dict[Any, tuple[int, Any]] = {}  # id -> (first row, parent_id)
        self.parents: dict[Any, int] = {}  # parent id -> first row naming it
        # id -> (index of its first row, what later rows must repeat)
        self.seen_products: dict[Any, tuple[int, Any]] = {}
        self.seen_plans: dict[Any, tuple[int, tuple[Any, ...]]] = {}
        self.groups: dict[Any, ContractGroup] = {}
        # The precise path's previous row: its customer and parent (when consistent), contract.
        self._last: tuple[Any, Any, Any, ContractGroup | None] = (None, None, None, None)

    def dataset(self) -> Dataset:
        """Read every row, then build the dataset (raising every problem together)."""
        if self.text is not None:
            self._read_text(self.text)
        elif self.selection is not None:
            self._read_rows(self.selection.rows)
        self._parents()
        assembly = Assembly(self.customers, self.products, self.plans, self.groups, self.origins,
                            self.failed)
        return assembly.dataset(self.problems, Origin(self.rows, _KIND, LINE_COLUMNS))

    def _read_text(self, text: TextSelection) -> None:
        """Read text rows: the trusted path where it applies, the precise path for the rest."""
        seen_customers, seen_products, seen_plans = self.seen_customers, self.seen_products, self.seen_plans
        groups, currencies, trusted_line = self.groups, self.lines.currencies, self.lines.trusted
        new_customer, precise, clean, width = self._text_customer, self._read_rows, text.clean, text.width
        columns = itemgetter(*(text.positions[column] for column in _TEXT_COLUMNS))
        terms_of = itemgetter(*(text.positions[column] for column in _TERM_COLUMNS))
        # The product and plan terms (as text) of rows that agreed with the first rows of their
        # product and plan: a fact that never changes, so later rows with them need no check.
        known_terms: set[tuple[str, ...]] = set()
        customer_rows, customers = self.origins["customer"].first, self.customers
        # The previous trusted row's customer and parent, and contract, as text.
        last_customer: Any = None
        last_parent: Any = None
        last_contract: Any = None
        group: ContractGroup | None = None
        for index, raw in text.rows:
            if len(raw) == width:
                raw.append("")  # the field of the columns the file lacks
                (customer_id, contract_id, product_id, plan_id, currency, price, parent_id, kind, tier,
                 count, unit, line_id, quantity, discount, discount_end, start, end) = columns(raw)
                customer: Customer | None = None
                parent = parent_id or None
                if customer_id == last_customer and parent_id == last_parent:
                    known = True
                else:
                    first = seen_customers.get(customer_id)
                    if first is None:
                        customer = new_customer(customer_id, parent, raw)
                        known = customer is not None
                    else:
                        known = first[1] == parent
                terms = terms_of(raw)
                if terms in known_terms:
                    consistent = True
                else:
                    product = seen_products.get(product_id)
                    plan = seen_plans.get(plan_id)
                    consistent = (product is not None and plan is not None
                                  and product[1] == (kind.lower() or None)
                                  and plan[1] == (product_id, tier or None, count or None, unit or None))
                    if consistent:
                        known_terms.add(terms)
                currency = currency.upper()
                existing = group if contract_id == last_contract else groups.get(contract_id)
                valid_currency: str | None
                if existing is None:
                    code = currencies.get(currency)
                    valid_currency = code if type(code) is str else None
                    fits = valid_currency is not None and _stripped_id(contract_id)
                else:
                    valid_currency = existing.valid_currency
                    fits = existing.customer_id == customer_id and existing.currency == currency
                line = trusted_line(plan_id, valid_currency, line_id, quantity, price, discount or None,
                                    discount_end or None, start, end or None) if (
                    known and fits and consistent and line_id == line_id.strip()) else None
                if line is not None:
                    if customer is not None:
                        seen_customers[customer_id] = (index, parent)
                        if parent is not None:
                            self.parents.setdefault(parent, index)
                        customer_rows[customer_id] = index  # new: not among the rows' customers yet
                        customers.append(customer)
                    last_customer, last_parent = customer_id, parent_id
                    if existing is None:
                        existing = groups[contract_id] = ContractGroup(index, customer_id, currency,
                                                                       valid_currency)
                    group, last_contract = existing, contract_id
                    existing.lines.append(line[0])  # ContractGroup.add, written out
                    existing.fields_sets.append(line[1])
                    existing.rows.append(index)
                    continue
                raw.pop()
            values = clean(index, raw)
            if values is not None:
                precise(((index, values, values),))

    def _read_rows(self, rows: Iterable[Row]) -> None:
        """Read rows by the precise path (see the class docs)."""
        rows_, problems, contradiction = self.rows, self.problems, self.problems.contradiction
        read_line, read_currency = self.lines.read, self.lines.currency
        seen_customers, seen_products, seen_plans = self.seen_customers, self.seen_products, self.seen_plans
        groups = self.groups
        # The previous row's customer (with its parent) and contract, when they were consistent:
        # rows usually come grouped by customer and contract, and comparing with the previous
        # row is cheaper than looking an id up among a million.
        last_customer, last_parent, last_contract, group = self._last
        columns = itemgetter(*(self.positions[column] for column in _SELECTED[:11]))
        for index, values, raw in rows:
            (customer_id, contract_id, product_id, plan_id, currency, price, parent_id, kind, tier,
             count, unit) = columns(values)
            if currency is not None:
                currency = currency.upper()
            if (customer_id is None or contract_id is None or product_id is None or plan_id is None
                    or price is None):
                for column in _KEYS:
                    if values[self.positions[column]] is None:
                        problems.add(rows_, _KIND, index, column, *MISSING)
                read_line(values, index, None, plan_id)  # for the row's other problems
                continue
            if customer_id != last_customer or parent_id != last_parent:
                customer = seen_customers.get(customer_id)
                if customer is None:
                    seen_customers[customer_id] = (index, parent_id)
                    self._customer(customer_id, parent_id, values, raw, index)
                    last_customer, last_parent = customer_id, parent_id
                elif customer[1] != parent_id:
                    contradiction(rows_, _KIND, index, "parent_id", f"customer '{customer_id}'",
                                  parent_id, customer[1], customer[0])
                    last_customer = None
                else:
                    last_customer, last_parent = customer_id, parent_id
            if kind is not None:
                kind = kind.lower()
            product = seen_products.get(product_id)
            if product is None:
                seen_products[product_id] = (index, kind)
                self._product(product_id, kind, values, index)
            elif product[1] != kind:
                contradiction(rows_, _KIND, index, "product_kind", f"product '{product_id}'", kind,
                              product[1], product[0])
            terms = (product_id, tier, count, unit)
            plan = seen_plans.get(plan_id)
            if plan is None:
                seen_plans[plan_id] = (index, terms)
                self._plan(plan_id, terms, currency, values, index)
            elif plan[1] != terms:
                self._plan_contradictions(index, plan_id, terms, *plan)
            if group is None or contract_id != last_contract:
                group = groups.get(contract_id)
                last_contract = contract_id
            if group is None:
                group = groups[contract_id] = ContractGroup(index, customer_id, currency,
                                                            read_currency(index, currency))
            else:
                if customer_id != group.customer_id:
                    contradiction(rows_, _KIND, index, "customer_id", f"contract '{contract_id}'",
                                  customer_id, group.customer_id, group.index)
                if currency != group.currency:
                    contradiction(rows_, _KIND, index, "currency", f"contract '{contract_id}'",
                                  currency, group.currency, group.index)
            line = read_line(values, index, group.valid_currency, plan_id)
            if line is not None:
                group.add(line, index)
        self._last = (last_customer, last_parent, last_contract, group)

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
        if parent_id is not None:
            self.parents.setdefault(parent_id, index)
        name = values[self._name_position] or customer_id
        attributes = self.rows.others(raw, FLAT_COLUMNS)
        customer = self._trusted_customer(customer_id, parent_id, name, attributes)
        if customer is None:
            data: dict[str, object] = {"id": customer_id, "name": name, "attributes": attributes}
            if parent_id is not None:
                data["parent_id"] = parent_id
            customer = validated(Customer, data, self.problems, self.rows, _KIND, index,
                                 self.origins["customer"].columns)
            if customer is not None:
                customer = self.lines.field_sets.share(customer)
        self._keep("customer", customer, customer_id, index, self.customers)

    def _trusted_customer(self, customer_id: Any, parent_id: Any, name: Any,
                          attributes: dict[str, object]) -> Customer | None:
        """The customer built without pydantic (``None``: it needs validating)."""
        if not (TRUSTED and _stripped_id(customer_id) and (parent_id is None or _stripped_id(parent_id))
                and _plain(name) and (not attributes or _plain_attributes(attributes))):
            return None
        return self._build_customer(customer_id, parent_id, name, attributes)

    def _text_customer(self, customer_id: str, parent_id: str | None, raw: list[str]) -> Customer | None:
        """The customer of a text row, built without pydantic (``None``: it needs validating).

        :meth:`_trusted_customer` for text, its checks written out (it runs once per customer).
        """
        if not (TRUSTED and customer_id.isascii() and 0 < len(customer_id) <= ID_MAX_LENGTH
                and customer_id == customer_id.strip()
                and (parent_id is None or (parent_id.isascii() and len(parent_id) <= ID_MAX_LENGTH
                                           and parent_id == parent_id.strip()))):
            return None
        name = raw[self._name_position].strip() or customer_id
        attributes = self.rows.others(raw, FLAT_COLUMNS)
        if not name.isascii() or (attributes and not _plain_attributes(attributes)):
            return None
        return self._build_customer(customer_id, parent_id, name, attributes)

    def _build_customer(self, customer_id: str, parent_id: str | None, name: str,
                        attributes: dict[str, object]) -> Customer:
        # Equal attributes share one read-only map: most customers have the same few.
        key = tuple(attributes.items())
        shared = self._attribute_maps.get(key)
        if shared is None:
            shared = self._attribute_maps[key] = FrozenMap(attributes)
        return trusted(Customer, {"id": customer_id, "name": name, "parent_id": parent_id,
                                  "attributes": shared}, self._customer_fields[parent_id is None])

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
# The fields-sets of customers read from rows (keys as FieldSets.share makes them).
_CUSTOMER_FIELDS = frozenset({"id", "name", "attributes"})
_CHILD_FIELDS = _CUSTOMER_FIELDS | {"parent_id"}


def _stripped_id(value: object) -> bool:
    """Whether ``value`` is an id pydantic would keep as it is (see _trusted), stripped already."""
    return is_identifier(value) and value == value.strip()  # type: ignore[attr-defined]


def _plain(value: object) -> bool:
    """Whether ``value`` is ASCII text: what pydantic keeps as it is once stripped (see _trusted)."""
    return type(value) is str and value.isascii()


def _plain_attributes(attributes: dict[str, object]) -> bool:
    """Whether a customer's attributes are all plain text (their names stripped, too)."""
    return all(_plain(name) and name == name.strip() and _plain(value)
               for name, value in attributes.items())


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

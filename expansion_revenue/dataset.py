"""The dataset: one validated, indexed, immutable collection of a business's records.

Building a :class:`Dataset` validates every record and then the references between them, and
raises one :class:`~expansion_revenue.errors.InvalidDataError` that lists **every** problem, each
with its record kind, id and field, the way a compiler lists every error in a file.

Checks: each record is valid on its own; ids are unique per kind (line ids across the whole
dataset); every ``parent_id``, ``product_id``, ``customer_id`` and ``plan_id`` resolves; no parent
chain loops; a line's price is in its contract's currency.

>>> ds = Dataset(
...     customers=[{"id": "acme", "name": "Acme"}],
...     products=[{"id": "crm", "name": "CRM", "kind": "core"}],
...     plans=[{"id": "crm-pro", "product_id": "crm", "name": "Pro", "tier": 2,
...             "price": {"amount": "50", "currency": "USD"}, "interval": "month"}],
...     contracts=[{"id": "k1", "customer_id": "acme", "currency": "USD",
...                 "lines": [{"id": "l1", "plan_id": "crm-pro", "quantity": 4, "start": "2024-01-01"}]}],
... )
>>> ds.plan("crm-pro").tier, len(ds.lines)
(2, 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from itertools import repeat
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ValidationError

from expansion_revenue.errors import DataProblem, InvalidDataError
from expansion_revenue.models import Contract, ContractLine, Customer, Plan, Product
from expansion_revenue.records import field_values

__all__ = ["Dataset", "LineRef", "problems_from_validation_error"]

M = TypeVar("M", bound=BaseModel)


class LineRef(NamedTuple):
    """A contract line with the records it belongs to, resolved once by the dataset.

    An immutable named tuple: the dataset builds one per line, so it is the cheapest immutable
    record Python has (one object, no per-instance dict).

    Attributes:
        line: the contract line.
        contract: the contract holding it.
        customer: the contract's customer.
        plan: the line's plan.
        product: the plan's product.

    >>> ds = Dataset(customers=[{"id": "a", "name": "A"}], products=[{"id": "p", "name": "P"}],
    ...              plans=[{"id": "q", "product_id": "p", "name": "Q", "tier": 1,
    ...                      "price": {"amount": "5", "currency": "EUR"}}],
    ...              contracts=[{"id": "k", "customer_id": "a", "currency": "EUR", "lines": [
    ...                  {"id": "l", "plan_id": "q", "quantity": 2, "start": "2024-01-01"}]}])
    >>> ref = ds.line("l")
    >>> ref.contract.id, ref.customer.id, ref.plan.id, ref.product.id
    ('k', 'a', 'q', 'p')
    """

    line: ContractLine
    contract: Contract
    customer: Customer
    plan: Plan
    product: Product


def problems_from_validation_error(
    error: ValidationError, kind: str, record_id: str, source: str | None = None,
    field_prefix: str = "",
) -> list[DataProblem]:
    """Turn a pydantic ``ValidationError`` into :class:`DataProblem` rows for one record.

    >>> from expansion_revenue import Customer
    >>> try:
    ...     Customer(id="c1", name="")
    ... except ValidationError as e:
    ...     print(problems_from_validation_error(e, "customer", "c1")[0])
    customer 'c1', field 'name': String should have at least 1 character
    """
    problems = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"])
        field = f"{field_prefix}{loc}" if loc else (field_prefix.rstrip(".") or None)
        problems.append(DataProblem(kind, record_id, field, item["msg"], item["type"], source))
    return problems


def _record_id(raw: object, index: int) -> str:
    if isinstance(raw, BaseModel):
        return str(getattr(raw, "id", f"#{index}"))
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw.get("id"):
        return str(raw["id"])
    return f"#{index + 1}"


class Dataset:
    """Customers, products, plans and contracts, validated together and indexed by id.

    Accepts model instances or plain dicts (as from JSON). Immutable: every attribute is a
    tuple or a read-only view; to change the data, build a new dataset.

    Args:
        customers: customer records.
        products: product records.
        plans: plan records.
        contracts: contract records with their lines.

    Raises:
        InvalidDataError: listing every problem found, each with kind, id and field.

    >>> Dataset(customers=[{"id": "a", "name": "A", "parent_id": "b"}])
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.InvalidDataError: 1 problem in the data:
      - customer 'a', field 'parent_id': unknown customer 'b'
    """

    __slots__ = (
        "_contracts",
        "_currencies",
        "_customers",
        "_line_count",
        "_lines",
        "_plans",
        "_products",
        "contracts",
        "customers",
        "plans",
        "products",
    )

    customers: tuple[Customer, ...]
    products: tuple[Product, ...]
    plans: tuple[Plan, ...]
    contracts: tuple[Contract, ...]
    _customers: dict[str, Customer]
    _products: dict[str, Product]
    _plans: dict[str, Plan]
    _contracts: dict[str, Contract]
    _line_count: int
    _currencies: frozenset[str]
    # Every LineRef, and the same by line id: built on first use (see lines).
    _lines: tuple[tuple[LineRef, ...], dict[str, LineRef]] | None

    def __init__(
        self,
        customers: Iterable[Customer | Mapping[str, Any]] = (),
        products: Iterable[Product | Mapping[str, Any]] = (),
        plans: Iterable[Plan | Mapping[str, Any]] = (),
        contracts: Iterable[Contract | Mapping[str, Any]] = (),
    ) -> None:
        problems: list[DataProblem] = []
        # Ids of records that failed validation: a reference to one is not also "unknown".
        invalid: set[tuple[str, str]] = set()
        set_ = object.__setattr__
        set_(self, "customers", _validate_all(Customer, customers, "customer", problems, invalid))
        set_(self, "products", _validate_all(Product, products, "product", problems, invalid))
        set_(self, "plans", _validate_all(Plan, plans, "plan", problems, invalid))
        set_(self, "contracts", _validate_all(Contract, contracts, "contract", problems, invalid))
        set_(self, "_customers", _index(self.customers, "customer", problems))
        set_(self, "_products", _index(self.products, "product", problems))
        set_(self, "_plans", _index(self.plans, "plan", problems))
        set_(self, "_contracts", _index(self.contracts, "contract", problems))
        problems += _check_customers(self.customers, self._customers, invalid)
        for plan in self.plans:
            if plan.product_id not in self._products and ("product", plan.product_id) not in invalid:
                problems.append(DataProblem("plan", plan.id, "product_id",
                                            f"unknown product '{plan.product_id}'",
                                            "unknown_reference"))
        line_count = _check_contracts(self, problems, invalid)
        if problems:
            raise InvalidDataError(problems)
        set_(self, "_line_count", line_count)
        set_(self, "_lines", None)
        set_(self, "_currencies", frozenset(map(_CURRENCY, self.contracts)))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Dataset is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Dataset is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return (f"Dataset({len(self.customers)} customers, {len(self.products)} products, "
                f"{len(self.plans)} plans, {len(self.contracts)} contracts, "
                f"{self._line_count} lines)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return (self.customers, self.products, self.plans, self.contracts) == (
            other.customers, other.products, other.plans, other.contracts)

    def __hash__(self) -> int:
        return hash((self.customers, self.products, self.plans, self.contracts))

    # -- look-ups -------------------------------------------------------------------------
    def customer(self, customer_id: str) -> Customer:
        """The customer with this id (``KeyError`` if none).

        >>> Dataset(customers=[{"id": "a", "name": "A"}]).customer("a").name
        'A'
        """
        return self._customers[customer_id]

    def product(self, product_id: str) -> Product:
        """The product with this id (``KeyError`` if none).

        >>> Dataset(products=[{"id": "p", "name": "P"}]).product("p").kind.value
        'core'
        """
        return self._products[product_id]

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id (``KeyError`` if none).

        >>> Dataset().plans
        ()
        """
        return self._plans[plan_id]

    def contract(self, contract_id: str) -> Contract:
        """The contract with this id (``KeyError`` if none).

        >>> Dataset().contracts
        ()
        """
        return self._contracts[contract_id]

    @property
    def lines(self) -> tuple[LineRef, ...]:
        """Every contract line with its records, contract by contract, in each contract's order.

        Built on first use (the dataset's checks and the bridge engine do without it), then kept.

        >>> Dataset().lines
        ()
        """
        return self._line_refs()[0]

    @property
    def line_count(self) -> int:
        """How many contract lines the dataset has (without building :attr:`lines`).

        >>> Dataset().line_count
        0
        """
        return self._line_count

    def line(self, line_id: str) -> LineRef:
        """The contract line with this id, with its contract, customer, plan and product.

        >>> Dataset().line("l1")
        Traceback (most recent call last):
        ...
        KeyError: 'l1'
        """
        return self._line_refs()[1][line_id]

    def _line_refs(self) -> tuple[tuple[LineRef, ...], dict[str, LineRef]]:
        """Every :class:`LineRef`, and line id -> its ref; built once (every reference resolves).

        Two threads may both build them; each gets equal results and one is kept.
        """
        built = self._lines
        if built is None:
            index: dict[str, LineRef] = {}
            customers, plans, products = self._customers, self._plans, self._products
            new_ref = tuple.__new__  # LineRef(...) without the keyword-handling __new__: same tuple
            for contract in self.contracts:
                customer = customers[contract.customer_id]
                for line in contract.lines:
                    plan = plans[line.plan_id]
                    index[line.id] = new_ref(LineRef, (line, contract, customer, plan,
                                                       products[plan.product_id]))
            built = (tuple(index.values()), index)
            object.__setattr__(self, "_lines", built)
        return built

    def parent_chain(self, customer_id: str) -> tuple[str, ...]:
        """The customer's ancestors, nearest first (empty for a top-level customer).

        >>> ds = Dataset(customers=[{"id": "g", "name": "G"}, {"id": "p", "name": "P", "parent_id": "g"},
        ...                         {"id": "c", "name": "C", "parent_id": "p"}])
        >>> ds.parent_chain("c")
        ('p', 'g')
        """
        chain: list[str] = []
        parent = self.customer(customer_id).parent_id
        while parent is not None:
            chain.append(parent)
            parent = self.customer(parent).parent_id
        return tuple(chain)

    def currencies(self) -> frozenset[str]:
        """Every contract currency in the data.

        >>> Dataset().currencies()
        frozenset()
        """
        return self._currencies

    def __iter__(self) -> Iterator[LineRef]:
        return iter(self.lines)

    # -- serialization --------------------------------------------------------------------
    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """The dataset as JSON-ready records (Decimals as strings, dates ISO).

        >>> Dataset(customers=[{"id": "a", "name": "A"}]).to_dict()["customers"][0]["id"]
        'a'
        """
        return {
            "customers": [c.model_dump(mode="json") for c in self.customers],
            "products": [p.model_dump(mode="json") for p in self.products],
            "plans": [p.model_dump(mode="json") for p in self.plans],
            "contracts": [c.model_dump(mode="json") for c in self.contracts],
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """Serialize to JSON; :meth:`from_json` gives back an equal dataset.

        >>> ds = Dataset(customers=[{"id": "a", "name": "A"}])
        >>> Dataset.from_json(ds.to_json()) == ds
        True
        """
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> Dataset:
        """Build a dataset from the JSON written by :meth:`to_json`.

        >>> Dataset.from_json('{"customers": []}')
        Dataset(0 customers, 0 products, 0 plans, 0 contracts, 0 lines)
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise InvalidDataError([DataProblem("dataset", "json", None,
                                                "expected a JSON object with record lists",
                                                "json_shape")])
        unknown = set(data) - {"customers", "products", "plans", "contracts"}
        if unknown:
            raise InvalidDataError([DataProblem("dataset", "json", key, "unknown key",
                                                "extra_forbidden") for key in sorted(unknown)])
        return cls(**{key: _as_list(key, value) for key, value in data.items()})


def _as_list(key: str, value: object) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidDataError([DataProblem("dataset", "json", key, "expected a list of records",
                                            "json_shape")])
    return value


def _validate_all(
    model: type[M], records: Iterable[M | Mapping[str, Any]], kind: str,
    problems: list[DataProblem], invalid: set[tuple[str, str]],
) -> tuple[M, ...]:
    records = tuple(records)
    if all(map(isinstance, records, repeat(model))):  # validated already (by a loader ...)
        return records  # type: ignore[return-value]
    valid: list[M] = []
    for index, raw in enumerate(records):
        if isinstance(raw, model):
            valid.append(raw)
            continue
        try:
            valid.append(model.model_validate(raw))
        except ValidationError as exc:
            problems += _located(problems_from_validation_error(exc, kind, _record_id(raw, index)),
                                 raw)
            invalid.add((kind, _record_id(raw, index).strip()))
            if model is Contract and isinstance(raw, Mapping):
                partial = _salvage_contract(raw, invalid)
                if partial is not None:
                    valid.append(partial)  # type: ignore[arg-type]
    return tuple(valid)


def _salvage_contract(raw: Mapping[str, Any], invalid: set[tuple[str, str]]) -> Contract | None:
    """The contract without its invalid lines, so the rest can still be checked and reported.

    Returns ``None`` when the contract's own fields are invalid. The problems of the dropped lines
    are already reported; the dataset is invalid either way.
    """
    lines = raw.get("lines", ())
    valid_lines: list[ContractLine] = []
    if isinstance(lines, (list, tuple)):
        for index, item in enumerate(lines):
            if isinstance(item, ContractLine):
                valid_lines.append(item)
                continue
            try:
                valid_lines.append(ContractLine.model_validate(item))
            except ValidationError:
                invalid.add(("line", _record_id(item, index).strip()))
    try:
        return Contract.model_validate({**raw, "lines": valid_lines})
    except ValidationError:
        return None


def _located(problems: list[DataProblem], raw: object) -> list[DataProblem]:
    """Re-address a contract's ``lines.N.field`` problems to the line they are about."""
    out = []
    for problem in problems:
        parts = (problem.field or "").split(".")
        if problem.kind == "contract" and len(parts) >= 2 and parts[0] == "lines" and parts[1].isdigit():
            lines = raw.get("lines") if isinstance(raw, Mapping) else None
            line_id = f"#{int(parts[1]) + 1}"
            if isinstance(lines, (list, tuple)) and int(parts[1]) < len(lines):
                line_id = _record_id(lines[int(parts[1])], int(parts[1]))
            out.append(DataProblem("line", line_id, ".".join(parts[2:]) or None,
                                   f"{problem.message} (contract '{problem.record_id}')",
                                   problem.code, problem.source))
        else:
            out.append(problem)
    return out


def _index(records: tuple[Any, ...], kind: str, problems: list[DataProblem]) -> dict[str, Any]:
    index: dict[str, Any] = dict(zip(map(_ID, records), records, strict=True))
    if len(index) == len(records):
        return index
    index = {}  # a duplicate id: the first record keeps it, each later one is a problem
    for record in records:
        if record.id in index:
            problems.append(DataProblem(kind, record.id, "id", f"duplicate {kind} id",
                                        "duplicate_id"))
        else:
            index[record.id] = record
    return index


def _check_customers(
    customers: tuple[Customer, ...], index: dict[str, Customer], invalid: set[tuple[str, str]]
) -> list[DataProblem]:
    problems: list[DataProblem] = []
    parents = set(map(_PARENT_ID, customers))
    parents.discard(None)
    if not parents:
        return problems  # no hierarchy: nothing to resolve, nothing can loop
    for customer in customers if not parents <= index.keys() else ():
        parent = customer.parent_id
        if parent is not None and parent not in index and ("customer", parent) not in invalid:
            problems.append(DataProblem("customer", customer.id, "parent_id",
                                        f"unknown customer '{customer.parent_id}'",
                                        "unknown_reference"))
    # A chain loops when walking parents comes back to a customer already on the path.
    state: dict[str, int] = {}  # 1: on the current path, 2: known to end at a root
    for customer in customers:
        if customer.parent_id is None:  # a root ends every chain through it: it cannot loop
            continue
        path: list[str] = []
        current: str | None = customer.id
        while current is not None and current in index and state.get(current) != 2:
            if state.get(current) == 1:
                cycle = [*path[path.index(current):], current]
                problems.append(DataProblem("customer", current, "parent_id",
                                            "parent chain loops: " + " -> ".join(cycle),
                                            "cyclic_hierarchy"))
                break
            state[current] = 1
            path.append(current)
            current = index[current].parent_id
        for seen in path:
            state[seen] = 2
    return problems


def _check_contracts(dataset: Dataset, problems: list[DataProblem], invalid: set[tuple[str, str]]) -> int:
    """Check every line's id and references (appending problems); return how many lines there are.

    Reads the lines' field values (see :func:`~expansion_revenue.records.field_values`), so a
    loader's lines are checked without being built.
    """
    seen: set[str] = set()
    customers: dict[str, Customer] = dataset._customers
    plans: dict[str, Plan] = dataset._plans
    # plan id -> the plan's price currency. A dataset has millions of lines but few plans:
    # resolve each plan once, not once per line.
    resolved: dict[str, str] = {}
    count = 0
    for contract in dataset.contracts:
        customer_id = contract.customer_id
        if customer_id not in customers and ("customer", customer_id) not in invalid:
            problems.append(DataProblem("contract", contract.id, "customer_id",
                                        f"unknown customer '{customer_id}'",
                                        "unknown_reference"))
        currency = contract.currency
        values = field_values(contract.lines, ContractLine)
        count += len(values)
        for line_id, plan_id, _, price, _, _, _, _ in values:
            if line_id in seen:
                problems.append(DataProblem("line", line_id, "id", "duplicate line id",
                                            "duplicate_id"))
                continue
            seen.add(line_id)
            plan_currency = resolved.get(plan_id)
            if plan_currency is None:
                plan = plans.get(plan_id)
                if plan is None:
                    if ("plan", plan_id) not in invalid:
                        problems.append(DataProblem("line", line_id, "plan_id",
                                                    f"unknown plan '{plan_id}'",
                                                    "unknown_reference"))
                    continue
                plan_currency = resolved[plan_id] = plan.price.currency
            if (plan_currency if price is None else price.currency) != currency:
                problems.append(DataProblem(
                    "line", line_id, "plan_id" if price is None else "unit_price",
                    f"price currency {plan_currency if price is None else price.currency} differs "
                    f"from contract '{contract.id}' currency {currency}", "currency_mismatch"))
    return count


_ID = attrgetter("id")
_CURRENCY = attrgetter("currency")
_PARENT_ID = attrgetter("parent_id")

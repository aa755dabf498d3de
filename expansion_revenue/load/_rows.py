"""Rows in, records or problems out: the bookkeeping every loader shares.

A loader reads rows (Python records, or the rows of a CSV file), turns each into a model and
remembers which row each record came from. Then it builds the
:class:`~expansion_revenue.dataset.Dataset`, which checks the references between records, and
readdresses the dataset's problems to the rows and columns they came from. So every problem names
a row, a column and a file, whether one row is wrong on its own (a bad date) or two rows disagree
(a duplicate id, a plan nobody defined).

Rows are numbered as a spreadsheet shows them: in a CSV file the header is row 1 and the first
data row is ``row 2``; Python records are numbered from 1 (``record 1``).

Loading is the one place where per-row cost adds up (millions of rows), so rows are read as lists
addressed by column position, and equal prices, quantities, dates and discounts are parsed once
and shared between lines. Most lines, contracts and customers are then built without pydantic,
from values it has accepted before (see :mod:`._trusted`); a CSV file's rows are read as text, and
only a row that is not made of known values is stripped and read field by field.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from expansion_revenue.dataset import Dataset, problems_from_validation_error
from expansion_revenue.errors import DataProblem, InvalidDataError
from expansion_revenue.load._trusted import (
    CONTRACT_FIELDS,
    ID_MAX_LENGTH,
    LINE_FIELDS,
    TRUSTED,
)
from expansion_revenue.models import Contract, ContractLine, Customer, Plan, Product
from expansion_revenue.money import Currency, Money
from expansion_revenue.records import Records

__all__ = [
    "LINE_COLUMNS",
    "MISSING",
    "NO_CURRENCY",
    "Assembly",
    "ContractGroup",
    "LineReader",
    "Origin",
    "Problems",
    "ReadLine",
    "RecordRows",
    "Rows",
    "FieldSets",
    "Selection",
    "TextSelection",
    "interval_unit",
    "present",
    "validated",
]

M = TypeVar("M", bound=BaseModel)

#: The message and code of a required value that is absent or empty (pydantic's own words).
MISSING = ("Field required", "missing")

#: Contract-line model fields and the columns they are read from (both table shapes).
LINE_COLUMNS: Mapping[str, str] = {
    "id": "line_id", "plan_id": "plan_id", "quantity": "quantity", "unit_price": "unit_price",
    "unit_price.amount": "unit_price", "unit_price.currency": "currency", "start": "start_date",
    "end": "end_date", "discount": "discount", "discount_end": "discount_end_date",
}

_CURRENCY: TypeAdapter[str] = TypeAdapter(Currency)
#: ISO 4217 "no currency": prices the lines of a contract whose own currency is invalid, so their
#: other problems are still found without repeating the currency one on every row.
NO_CURRENCY = "XXX"

#: One row: its index (0 for the first data row), its values in the selection's positions, and
#: the row as read (for the columns outside the selection).
Row = tuple[int, list[Any], Any]

#: A contract line as read: its field values in the model's field order (as
#: :class:`~expansion_revenue.records.Records` holds them) and its ``model_fields_set`` (shared).
ReadLine = tuple[tuple[Any, ...], set[str]]


@dataclass(frozen=True)
class Selection:
    """The rows of a table, as lists of cleaned values addressed by column position.

    Values are stripped text (``None`` when empty) or, from Python records, other Python values.

    Attributes:
        positions: column name -> position in each row's value list (a missing column points
            at a position that is always ``None``).
        rows: the rows.
    """

    positions: Mapping[str, int]
    rows: Iterator[Row]


@dataclass(frozen=True)
class TextSelection:
    """The rows of a text table (CSV) as read: every field a string, not stripped.

    A row's values as :class:`Selection` gives them cost a strip of every field; a reader that
    needs few fields of most rows can read the text and strip what it uses, and turn to
    ``clean`` for the rest.

    Attributes:
        positions: column name -> position of its field; a column the table lacks is at
            ``width``, past the end of the row (a reader appends ``""`` to read it as empty).
        width: how many fields a row has (``clean`` records a row with another number).
        rows: ``(index, fields)`` for every row as read, malformed or blank ones included.
        clean: a row's values as :class:`Selection` gives them (stripped text, ``None`` when
            empty, at ``positions``), or ``None`` when it is not a row (after recording why).
    """

    positions: Mapping[str, int]
    width: int
    rows: Iterator[tuple[int, list[str]]]
    clean: Callable[[int, list[str]], list[Any] | None]


class Rows(ABC):
    """One table's rows and how to name them in problems.

    Attributes:
        source: the file (or other origin) of the rows, for problems.
        word: ``row`` (CSV) or ``record`` (Python records).
        first: the number of the first data row (2 in a CSV file, whose header is row 1).
    """

    source: str | None
    word: str
    first: int

    def label(self, index: int) -> str:
        """The name of the row with ``index``: ``row 2``, ``record 1``."""
        return f"{self.word} {self.first + index}"

    @abstractmethod
    def select(self, columns: Sequence[str], text_columns: frozenset[str]) -> Selection:
        """The rows with ``columns`` at known positions; ``text_columns`` values read as text."""

    @abstractmethod
    def others(self, raw: Any, known: frozenset[str]) -> dict[str, object]:
        """The non-empty values of the columns of ``raw`` that are not in ``known``."""

    def unknown(self, raw: Any, allowed: frozenset[str]) -> list[str]:
        """The columns of ``raw`` that are not ``allowed`` (none when checked once already)."""
        return []

    def text(self, columns: Sequence[str]) -> TextSelection | None:
        """The rows as read, for a reader that strips only what it uses (``None``: not text).

        An alternative to :meth:`select` (use one or the other): see :class:`TextSelection`.
        """
        return None


def interval_unit(value: object) -> object:
    """A billing-interval unit as the plan model reads it: ``Months`` is ``month``."""
    return value.lower().removesuffix("s") if isinstance(value, str) else value


def present(data: dict[str, object]) -> dict[str, object]:
    """``data`` without its ``None`` values (so a model applies its defaults or says "missing")."""
    return {key: value for key, value in data.items() if value is not None}


def clean(value: object) -> object:
    """Text stripped (``None`` when blank); any other value as it is."""
    if type(value) is str:
        return value.strip() or None
    return value


class RecordRows(Rows):
    """Python records (mappings), numbered ``record 1``, ``record 2`` ..."""

    def __init__(self, records: Iterable[Mapping[str, Any]], source: str | None = None) -> None:
        self.records = records
        self.source = source
        self.word, self.first = "record", 1

    def select(self, columns: Sequence[str], text_columns: frozenset[str]) -> Selection:
        positions = {column: position for position, column in enumerate(columns)}
        as_text = [column in text_columns for column in columns]

        def rows() -> Iterator[Row]:
            for index, record in enumerate(self.records):
                if not isinstance(record, Mapping):
                    raise TypeError(f"{self.label(index)} is a {type(record).__name__}, not a mapping "
                                    "of column names to values")
                values: list[Any] = []
                for column, textual in zip(columns, as_text, strict=True):
                    value = record.get(column)
                    if textual and value is not None and type(value) is not str:
                        value = str(value)  # an id given as a number is its digits
                    values.append(clean(value))
                yield index, values, record

        return Selection(positions, rows())

    def others(self, raw: Any, known: frozenset[str]) -> dict[str, object]:
        found = {}
        for column, value in raw.items():
            if column not in known:
                value = clean(value)
                if value is not None:
                    found[column] = value
        return found

    def unknown(self, raw: Any, allowed: frozenset[str]) -> list[str]:
        return sorted(str(column) for column in raw.keys() - allowed)


class Problems:
    """The problems found so far, each tied to a row."""

    def __init__(self) -> None:
        self.items: list[DataProblem] = []

    def add(self, rows: Rows, kind: str, index: int, column: str | None, message: str,
            code: str) -> None:
        """Record one problem of row ``index`` of ``rows``."""
        self.items.append(DataProblem(kind, rows.label(index), column, message, code, rows.source))

    def invalid(self, error: ValidationError, rows: Rows, kind: str, index: int,
                columns: Mapping[str, str]) -> None:
        """Record a model's validation errors, with model fields renamed to ``columns``."""
        for problem in problems_from_validation_error(error, kind, rows.label(index), rows.source):
            name = problem.field or ""
            column = columns.get(name)
            if column is None:
                column = name.removeprefix("attributes.") or None
            self.items.append(DataProblem(kind, problem.record_id, column, problem.message,
                                          problem.code, problem.source))

    def unknown_columns(self, rows: Rows, kind: str, index: int, raw: Any,
                        allowed: frozenset[str]) -> None:
        """Record every column of a Python record that is not ``allowed``."""
        for column in rows.unknown(raw, allowed):
            self.add(rows, kind, index, column, "unknown column", "unknown_column")

    def contradiction(self, rows: Rows, kind: str, index: int, column: str, what: str,
                      value: object, earlier: object, earlier_index: int) -> None:
        """Record that this row says ``value`` where an earlier row said ``earlier``."""
        self.add(rows, kind, index, column,
                 f"{what} has {column} {value!r} here but {earlier!r} in {rows.label(earlier_index)}",
                 "inconsistent")


def validated(model: type[M], data: Mapping[str, object], problems: Problems, rows: Rows, kind: str,
              index: int, columns: Mapping[str, str]) -> M | None:
    """``model`` validated from ``data``, or ``None`` after recording its problems."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems.invalid(error, rows, kind, index, columns)
        return None


class FieldSets:
    """Lets models validated from the same keys share one ``model_fields_set``.

    Pydantic gives every instance its own set of the field names it was given; for a contract
    line that set (728 bytes) outweighs the rest of the line, and a large load holds millions of
    lines. The models are frozen, so the set is never changed in place (``model_copy`` copies it
    before an update): sharing it changes nothing but the memory used.
    """

    def __init__(self) -> None:
        self._sets: dict[Hashable, set[str]] = {}

    def share(self, model: M, key: Hashable = None) -> M:
        """``model``, its fields-set now shared with earlier models given the same fields.

        ``key`` identifies the set of fields when the caller knows it cheaply (default: the set).
        """
        fields = model.__pydantic_fields_set__
        shared = self._sets.setdefault(frozenset(fields) if key is None else key, fields)
        if shared is not fields:
            object.__setattr__(model, "__pydantic_fields_set__", shared)
        return model

    def get(self, key: tuple[str, ...] | frozenset[str]) -> set[str]:
        """The shared fields-set of models given the fields ``key`` names (a key as in :meth:`share`)."""
        return self._sets.setdefault(key, set(key))


class ContractGroup:
    """The lines of one contract, gathered from the rows that name it.

    ``currency`` is the text of its first row, ``valid_currency`` the ISO code it reads as
    (``None`` when it does not). Each line read (:data:`ReadLine`) is kept as its field values
    in ``lines``, its fields-set in ``fields_sets``, its row in ``rows``.
    """

    __slots__ = ("currency", "customer_id", "fields_sets", "index", "lines", "rows", "valid_currency")

    def __init__(self, index: int, customer_id: object, currency: object,
                 valid_currency: str | None) -> None:
        self.index = index
        self.customer_id = customer_id
        self.currency = currency
        self.valid_currency = valid_currency
        self.lines: list[tuple[Any, ...]] = []
        self.fields_sets: list[set[str]] = []
        self.rows = array("q")  # the row index of each line

    def add(self, line: ReadLine, index: int) -> None:
        """Keep ``line``, read from row ``index``."""
        self.lines.append(line[0])
        self.fields_sets.append(line[1])
        self.rows.append(index)


class LineReader:
    """Reads contract lines (and checks currencies), sharing equal values between lines.

    Equal prices, quantities, discounts and dates are parsed once: that keeps a large load small
    in memory (a few thousand distinct values for millions of lines) and lets every line after
    the first with its values be read without pydantic (see :mod:`._trusted`). A line is read as
    its field values (:data:`ReadLine`): the contract's
    :class:`~expansion_revenue.records.Records` builds the line objects when they are first used.
    """

    #: The columns a line is read from.
    COLUMNS = ("line_id", "quantity", "unit_price", "discount", "discount_end_date", "start_date",
               "end_date")

    def __init__(self, rows: Rows, kind: str, problems: Problems, positions: Mapping[str, int]) -> None:
        self.rows = rows
        self.kind = kind
        self.problems = problems
        self._columns = itemgetter(*(positions[column] for column in self.COLUMNS))
        self._money: dict[tuple[object, str], Money | ValidationError] = {}
        #: Currency text -> its ISO code, or why it is not one (texts :meth:`currency` has read).
        self.currencies: dict[object, str | ValidationError] = {}
        # Text -> the value pydantic made of it in a valid line (valid on its own, see _trusted).
        self._dates: dict[str, dt.date] = {}
        self._discounts: dict[str, Decimal] = {}
        self._quantities: dict[str, int] = {}
        self._plan_ids: dict[str, str] = {}
        self._prices: dict[str, dict[str, Money]] = {}  # by the contract's currency
        self._fields_sets: dict[int, set[str]] = {}
        self._validate = ContractLine.model_validate
        self.field_sets = FieldSets()

    def currency(self, index: int, value: object) -> str | None:
        """The ISO code of ``value`` (the ``currency`` column), or ``None`` after recording why not."""
        if value is None:
            self.problems.add(self.rows, self.kind, index, "currency", *MISSING)
            return None
        try:
            found = self.currencies.get(value)
        except TypeError:
            found = None
        if found is None:
            try:
                found = _CURRENCY.validate_python(value)
            except ValidationError as error:
                found = error
            if type(value) is str:
                self.currencies[value] = found
        if isinstance(found, ValidationError):
            self.problems.invalid(found, self.rows, self.kind, index, {"": "currency"})
            return None
        return found

    def money(self, amount: object, currency: str) -> Money | ValidationError:
        """The :class:`Money` of ``amount`` in ``currency`` (shared), or why it is invalid."""
        try:
            found = self._money.get((amount, currency))
            shareable = True
        except TypeError:  # an unhashable value from a Python record: validate it unshared
            found, shareable = None, False
        if found is None:
            try:
                found = Money.model_validate({"amount": amount, "currency": currency})
            except ValidationError as error:
                found = error
            if shareable:
                self._money[(amount, currency)] = found
        return found

    def read(self, values: list[Any], index: int, currency: str | None,
             plan_id: object) -> ReadLine | None:
        """The line of a row, priced in its contract's ``currency`` (``None``: invalid).

        Returns ``None`` after recording the row's problems.
        """
        columns = self._columns(values)
        line = self.trusted(plan_id, currency, *columns)
        return line if line is not None else self._validated(columns, index, currency, plan_id)

    def trusted(self, plan_id: object, currency: str | None, line_id: object, quantity: object,
                amount: object, discount: object, discount_end: object, start: object,
                end: object) -> ReadLine | None:
        """The line read from values earlier valid lines had, without pydantic (see ``_trusted``).

        ``None`` when the line has a value not seen in a valid line before, or a value that is
        not text, or an end not after its start: :meth:`read` then validates it. The values are
        as a row gives them: stripped text, ``None`` when empty.
        """
        if not (TRUSTED and type(line_id) is str and line_id.isascii() and 0 < len(line_id) <= _ID_MAX
                and type(plan_id) is str and type(quantity) is str and type(start) is str):
            return None
        dates = self._dates
        known_plan_id = self._plan_ids.get(plan_id)
        known_quantity = self._quantities.get(quantity)
        known_start = dates.get(start)
        if known_plan_id is None or known_quantity is None or known_start is None:
            return None
        present = 0  # which optional fields the row gives: the key of its fields-set
        if end is not None:
            end = dates.get(end) if type(end) is str else None
            if end is None or end <= known_start:
                return None
            present = 1
        if discount is None:
            discount = _NO_DISCOUNT
        else:
            discount = self._discounts.get(discount) if type(discount) is str else None
            if discount is None:
                return None
            present |= 2
        if discount_end is not None:
            discount_end = dates.get(discount_end) if type(discount_end) is str else None
            if discount_end is None or discount_end <= known_start:
                return None
            present |= 4
        if amount is not None:
            prices = self._prices.get(currency or NO_CURRENCY)
            amount = prices.get(amount) if prices is not None and type(amount) is str else None
            if amount is None:
                return None
            present |= 8
        fields_set = self._fields_sets.get(present)
        if fields_set is None:
            fields_set = self._fields_sets[present] = self.field_sets.get(_line_key(present))
        # The fields in LINE_FIELDS order (the model's: TRUSTED checks it).
        return ((line_id, known_plan_id, known_quantity, amount, known_start, end, discount,
                 discount_end), fields_set)

    def _validated(self, columns: tuple[Any, ...], index: int, currency: str | None,
                   plan_id: object) -> ReadLine | None:
        """The line validated by pydantic, remembering its values (``None`` after its problems)."""
        line_id, quantity, amount, discount, discount_end, start, end = columns
        dates, discounts = self._dates, self._discounts
        data: dict[str, object] = {"id": line_id, "plan_id": plan_id, "quantity": quantity}
        # Shared values are looked up by their text; Python values (dates ...) pass as they are.
        if start is not None:
            data["start"] = dates.get(start, start) if type(start) is str else start
        if end is not None:
            data["end"] = dates.get(end, end) if type(end) is str else end
        if discount is not None:
            data["discount"] = discounts.get(discount, discount) if type(discount) is str else discount
        if discount_end is not None:
            data["discount_end"] = (dates.get(discount_end, discount_end) if type(discount_end) is str
                                    else discount_end)
        priced = True
        if amount is not None:
            price = self.money(amount, currency or NO_CURRENCY)
            if isinstance(price, ValidationError):
                self.problems.invalid(price, self.rows, self.kind, index, {"amount": "unit_price"})
                priced = False
            else:
                data["unit_price"] = price
        if data["id"] is None:
            del data["id"]
        if plan_id is None:
            del data["plan_id"]
        if data["quantity"] is None:
            del data["quantity"]
        try:
            line = self._validate(data)
        except ValidationError as error:
            self.problems.invalid(error, self.rows, self.kind, index, LINE_COLUMNS)
            return None
        if not priced:
            return None
        if type(start) is str:
            dates.setdefault(start, line.start)
        if type(end) is str and line.end is not None:
            dates.setdefault(end, line.end)
        if type(discount_end) is str and line.discount_end is not None:
            dates.setdefault(discount_end, line.discount_end)
        if type(discount) is str:
            discounts.setdefault(discount, line.discount)
        if type(quantity) is str:
            self._quantities.setdefault(quantity, line.quantity)
        if type(plan_id) is str:
            self._plan_ids.setdefault(plan_id, line.plan_id)
        if type(amount) is str and line.unit_price is not None:
            self._prices.setdefault(currency or NO_CURRENCY, {}).setdefault(amount, line.unit_price)
        # A valid line was given exactly the fields in ``data``: their names are the key.
        self.field_sets.share(line, tuple(data))
        return _LINE_VALUES(line), line.__pydantic_fields_set__


_NO_DISCOUNT: Decimal = ContractLine.model_fields["discount"].default
_LINE_VALUES = attrgetter(*LINE_FIELDS)
_ID_MAX = ID_MAX_LENGTH
_new = object.__new__
_set = object.__setattr__


def _line_key(present: int) -> tuple[str, ...]:
    """The fields a trusted line was given, in the order :meth:`LineReader._validated` names them.

    So both paths share one fields-set. ``present`` has bits for end, discount, discount_end and
    unit_price.
    """
    optional = ("end", "discount", "discount_end", "unit_price")
    return ("id", "plan_id", "quantity", "start",
            *(name for bit, name in enumerate(optional) if present >> bit & 1))


@dataclass
class Origin:
    """Where the records of one kind came from, to readdress the dataset's problems to rows.

    Attributes:
        rows: the table the records were read from.
        kind: the kind to report problems under (the table's record kind, or ``row``).
        columns: model field -> column name.
        first: record id -> index of the row that defined the record.
        again: record id -> indexes of later rows that defined it again (duplicates).
    """

    rows: Rows
    kind: str
    columns: Mapping[str, str]
    first: dict[str, int] = field(default_factory=dict)
    again: dict[str, list[int]] = field(default_factory=dict)

    def add(self, record_id: str, index: int) -> None:
        """Note that row ``index`` defines the record ``record_id``."""
        if record_id in self.first:
            self.again.setdefault(record_id, []).append(index)
        else:
            self.first[record_id] = index


# A dangling reference is not reported when the record it points to was itself invalid: that
# record's own problem is the cause and is reported already.
_REFERENCES = {("customer", "parent_id"): "customer", ("plan", "product_id"): "product",
               ("contract", "customer_id"): "customer", ("line", "plan_id"): "plan"}


@dataclass
class Assembly:
    """The records a loader read, where each came from, and which ids failed validation.

    Attributes:
        customers: valid customers, in row order.
        products: valid products.
        plans: valid plans.
        contracts: contract id -> its gathered lines.
        origins: by model kind (``customer``, ``product``, ``plan``, ``contract``); the
            contracts' rows are filled from ``contracts`` when needed.
        failed: by model kind, the ids of records that failed their own validation.
    """

    customers: list[Customer]
    products: list[Product]
    plans: list[Plan]
    contracts: dict[Any, ContractGroup]
    origins: dict[str, Origin]
    failed: dict[str, set[Any]]

    def dataset(self, problems: Problems, line_origin: Origin) -> Dataset:
        """Build the dataset; raise every problem found, the rows' and the dataset's, together.

        ``line_origin`` gives the table, kind and columns for line problems; its rows are filled
        from the contract groups only if the dataset finds a problem.
        """
        contracts = self._contracts(problems)
        try:
            dataset = Dataset(self.customers, self.products, self.plans, contracts)
        except InvalidDataError as error:
            problems.items += self._readdress(error.problems, contracts, line_origin)
            raise InvalidDataError(problems.items) from None
        if problems.items:
            raise InvalidDataError(problems.items)
        return dataset

    def _contracts(self, problems: Problems) -> list[Contract]:
        origin = self.origins["contract"]
        contracts = []
        validate = Contract.model_validate
        field_sets = FieldSets()
        share, fields_set = field_sets.share, field_sets.get(frozenset(CONTRACT_FIELDS))
        for contract_id, group in self.contracts.items():
            currency = group.valid_currency
            if currency is None:  # recorded at the contract's first row already
                self.failed["contract"].add(contract_id)
                continue
            customer_id = group.customer_id
            lines: Sequence[ContractLine] = ()
            if group.lines:
                lines = Records(ContractLine, tuple(group.lines), tuple(group.fields_sets))
            group.lines.clear()  # the contract holds them now
            group.fields_sets.clear()
            # Trusted (see _trusted, written out: it runs once per contract): the lines and the
            # currency are validated already, the ids (stripped, as every value) are checked here.
            if (TRUSTED and type(contract_id) is str and contract_id.isascii()
                    and 0 < len(contract_id) <= _ID_MAX and type(customer_id) is str
                    and customer_id.isascii() and 0 < len(customer_id) <= _ID_MAX):
                contract = _new(Contract)
                _set(contract, "__dict__", {"id": contract_id, "customer_id": customer_id,
                                            "currency": currency, "lines": lines})
                _set(contract, "__pydantic_fields_set__", fields_set)
                _set(contract, "__pydantic_extra__", None)
                _set(contract, "__pydantic_private__", None)
                contracts.append(contract)
                continue
            data = present({"id": contract_id, "customer_id": customer_id, "currency": currency,
                            "lines": lines})
            try:
                contracts.append(share(validate(data)))
            except ValidationError as error:
                problems.invalid(error, origin.rows, origin.kind, group.index, origin.columns)
                self.failed["contract"].add(contract_id)
        return contracts

    def _readdress(self, found: Iterable[DataProblem], contracts: list[Contract],
                   line_origin: Origin) -> Iterator[DataProblem]:
        origins = dict(self.origins, line=line_origin)
        for contract_id, group in self.contracts.items():
            origins["contract"].add(contract_id, group.index)
        for contract in contracts:
            rows = self.contracts[contract.id].rows
            for line, line_index in zip(contract.lines, rows, strict=True):
                line_origin.add(line.id, line_index)
        records: dict[str, dict[str, Any]] = {
            "customer": {c.id: c for c in self.customers}, "plan": {p.id: p for p in self.plans},
            "contract": {c.id: c for c in contracts},
            "line": {line.id: line for c in reversed(contracts) for line in reversed(c.lines)},
        }
        duplicates: dict[tuple[str, str], int] = {}
        for problem in found:
            target = _REFERENCES.get((problem.kind, problem.field or ""))
            if target is not None and problem.code == "unknown_reference":
                referenced = getattr(records[problem.kind].get(problem.record_id), problem.field or "",
                                     None)
                if referenced in self.failed[target]:
                    continue
            origin = origins.get(problem.kind)
            if origin is None:  # not a record kind the loader made: pass it through
                yield problem
                continue
            index = origin.first.get(problem.record_id)
            if problem.code == "duplicate_id":
                seen = duplicates.get((problem.kind, problem.record_id), 0)
                duplicates[(problem.kind, problem.record_id)] = seen + 1
                later = origin.again.get(problem.record_id, [])
                if seen < len(later):
                    index = later[seen]
            column = origin.columns.get(problem.field or "", problem.field)
            if index is None:
                yield DataProblem(problem.kind, problem.record_id, column, problem.message,
                                  problem.code, origin.rows.source)
            else:
                yield DataProblem(origin.kind, origin.rows.label(index), column,
                                  f"{problem.message} ({problem.kind} '{problem.record_id}')",
                                  problem.code, origin.rows.source)

"""Records: an immutable sequence of model records kept as plain values until a record is read.

A monthly bridge series over 100,000 customers has about 300,000 ledger rows and as many entity
changes; its dataset has as many contract lines. Building each as a pydantic object costs about
a microsecond and a few hundred bytes, although many callers only read totals. So the engine
hands a bridge its rows, and a loader hands a contract its lines, as a :class:`Records`: the
records' field values, in tuples, and the model to build them with. The first time a record is
read (iteration, indexing, equality ...) every record of the sequence is built, once; ``len``
and code that reads :attr:`Records.field_values` (the engine, the dataset's checks) build
nothing.

To a reader a :class:`Records` is what the field's type says: an immutable sequence of models,
equal to the tuple of the same models, serialized and validated like one (JSON schema
included). Validated input (``Bridge.model_validate`` ...) stores a plain tuple.

>>> from decimal import Decimal
>>> from expansion_revenue.results.bridge import EntityChange
>>> rows = Records(EntityChange, (("a", Decimal(0), Decimal(5)), ("b", Decimal(2), Decimal(1))))
>>> len(rows), rows[1].entity_id
(2, 'b')
>>> rows == (EntityChange(entity_id="a", start_mrr=0, end_mrr=5),
...          EntityChange(entity_id="b", start_mrr=2, end_mrr=1))
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from operator import attrgetter
from typing import Any, Generic, TypeVar, cast, overload

from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Records", "RecordsSchema", "field_values"]

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__
_FIELD_SETS: dict[type[BaseModel], tuple[tuple[str, ...], set[str]]] = {}


def _fields(model: type[BaseModel]) -> tuple[tuple[str, ...], set[str]]:
    """The model's field names in order, and one fields-set shared by every record built here."""
    found = _FIELD_SETS.get(model)
    if found is None:
        names = tuple(model.model_fields)
        found = _FIELD_SETS[model] = (names, set(names))
    return found


class Records(Sequence[M], Generic[M]):
    """An immutable sequence of ``model`` records given as tuples of their field values.

    Args:
        model: the frozen pydantic model of the rows.
        values: one tuple per row, a value for every field in the model's field order, each
            already of the field's type (the rows are built without validation, as
            ``model_construct`` would).
        fields_sets: each row's ``model_fields_set`` (sets shared between rows, never changed
            in place), when a row was not given every field; default: every field.

    Once the rows are built they hold the values: the tuples of values are let go (so a
    sequence never holds both), and :attr:`field_values` reads them back from the rows.
    """

    __slots__ = ("_built", "_fields_sets", "_model", "_values")

    def __init__(self, model: type[M], values: tuple[tuple[Any, ...], ...],
                 fields_sets: tuple[set[str], ...] | None = None) -> None:
        if fields_sets is not None and len(fields_sets) != len(values):
            raise ValueError(f"{len(values)} rows but {len(fields_sets)} fields-sets")
        self._model = model
        self._values: tuple[tuple[Any, ...], ...] | None = values
        self._fields_sets = fields_sets
        self._built: tuple[M, ...] | None = None

    @property
    def model(self) -> type[M]:
        """The model of the rows."""
        return self._model

    @property
    def field_values(self) -> tuple[tuple[Any, ...], ...]:
        """Each row's field values, in the model's field order, without building any row.

        Read back from the rows (a new tuple each time) once they are built.
        """
        values = self._values
        if values is None:  # the rows are built and hold the values
            return tuple(map(_getter(self._model), self._rows()))
        return values

    def _rows(self) -> tuple[M, ...]:
        built = self._built
        if built is None:
            values = cast("tuple[tuple[Any, ...], ...]", self._values)  # let go once built only
            names, fields_set = _fields(self._model)
            model, out = self._model, []
            fields_sets = self._fields_sets or repeat(fields_set)
            # strict=False: ``repeat`` never ends (the lengths are checked in __init__)
            for row_values, row_fields in zip(values, fields_sets, strict=False):
                row = _new(model)
                _set(row, "__dict__", dict(zip(names, row_values, strict=True)))
                _set(row, "__pydantic_fields_set__", row_fields)
                _set(row, "__pydantic_extra__", None)
                _set(row, "__pydantic_private__", None)
                out.append(row)
            built = self._built = tuple(out)
            # The rows hold the values now (set after _built: a concurrent reader finds one).
            self._values = self._fields_sets = None
        return built

    def __len__(self) -> int:
        values = self._values
        return len(self._rows() if values is None else values)

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[M, ...]: ...

    def __getitem__(self, index: int | slice) -> M | tuple[M, ...]:
        return self._rows()[index]

    def __iter__(self) -> Iterator[M]:
        return iter(self._rows())

    def __reversed__(self) -> Iterator[M]:
        return reversed(self._rows())

    def __contains__(self, item: object) -> bool:
        return item in self._rows()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records):
            if self._model is other._model and self._values is not None and other._values is not None:
                return self._values == other._values
            return self._rows() == other._rows()
        if isinstance(other, tuple):
            return self._rows() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._rows())  # as the equal tuple hashes

    def __repr__(self) -> str:
        return repr(self._rows())

    def __reduce__(self) -> tuple[Callable[..., Records[M]], tuple[Any, ...]]:
        if self._values is None:  # built: the rows hold the values and the fields-sets
            rows = self._rows()
            return Records, (self._model, self.field_values,
                             tuple(row.__pydantic_fields_set__ for row in rows))
        return Records, (self._model, self._values, self._fields_sets)


def field_values(records: Sequence[M], model: type[M]) -> Sequence[tuple[Any, ...]]:
    """Each record's field values, in ``model``'s field order, built from none of the records.

    The values a :class:`Records` holds, or read from each record of any other sequence.

    >>> from decimal import Decimal
    >>> from expansion_revenue.results.bridge import EntityChange
    >>> change = EntityChange(entity_id="a", start_mrr=0, end_mrr=5)
    >>> field_values((change,), EntityChange)
    [('a', Decimal('0'), Decimal('5'))]
    >>> field_values(Records(EntityChange, (("a", Decimal(0), Decimal(5)),)), EntityChange)
    (('a', Decimal('0'), Decimal('5')),)
    """
    if isinstance(records, Records) and records.model is model:
        return records.field_values
    return list(map(_getter(model), records))


def _getter(model: type[BaseModel]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving a ``model`` record's field values, in order, as a tuple."""
    getter = _GETTERS.get(model)
    if getter is None:
        names = tuple(model.model_fields)
        # attrgetter of one name gives the value, not a one-value tuple
        getter = _GETTERS[model] = (attrgetter(*names) if len(names) > 1
                                    else lambda record: (getattr(record, names[0]),))
    return getter


_GETTERS: dict[type[BaseModel], Callable[[Any], tuple[Any, ...]]] = {}


class RecordsSchema:
    """Pydantic annotation for a field holding a tuple of models or a :class:`Records` of them.

    Validation: a :class:`Records` is kept as it is (the engine or a loader built it); anything
    else is validated as ``validate_as`` (default: the annotated type) and kept as a tuple.
    Serialization and JSON schema: those of ``validate_as`` (an array of the model).

    Args:
        validate_as: the type other values are validated as, e.g. ``tuple[Movement, ...]`` for
            a field annotated ``Sequence[Movement]``: a tuple's errors and schema.
    """

    def __init__(self, validate_as: Any = None) -> None:
        self.validate_as = validate_as

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler,
    ) -> core_schema.CoreSchema:
        inner = handler(source) if self.validate_as is None else handler.generate_schema(
            self.validate_as)
        return core_schema.no_info_wrap_validator_function(
            _keep_records, inner,
            serialization=core_schema.wrap_serializer_function_ser_schema(
                _as_tuple, schema=inner),
        )


def _keep_records(value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
    if isinstance(value, Records):
        return value
    return tuple(handler(value))


def _as_tuple(value: Any, handler: core_schema.SerializerFunctionWrapHandler) -> Any:
    return handler(tuple(value) if isinstance(value, Records) else value)


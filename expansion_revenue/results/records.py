"""Records: an immutable sequence of result rows kept as plain values until a row is read.

A monthly bridge series over 100,000 customers has about 300,000 ledger rows and as many entity
changes. Building each as a pydantic object costs about a microsecond and a few hundred bytes,
although many callers only read the bridge's figures. So the engine hands a bridge its rows as a
:class:`Records`: the rows' field values, in tuples, and the model to build them with. The first
time a row is read (iteration, indexing, equality ...) every row is built, once; ``len`` and
the engine's own checks read the values without building anything.

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
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["Records", "RecordsSchema"]

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
    """

    __slots__ = ("_built", "_model", "_values")

    def __init__(self, model: type[M], values: tuple[tuple[Any, ...], ...]) -> None:
        self._model = model
        self._values = values
        self._built: tuple[M, ...] | None = None

    @property
    def model(self) -> type[M]:
        """The model of the rows."""
        return self._model

    @property
    def field_values(self) -> tuple[tuple[Any, ...], ...]:
        """Each row's field values, in the model's field order, without building any row."""
        return self._values

    def _rows(self) -> tuple[M, ...]:
        built = self._built
        if built is None:
            names, fields_set = _fields(self._model)
            model, out = self._model, []
            for values in self._values:
                row = _new(model)
                _set(row, "__dict__", dict(zip(names, values, strict=True)))
                _set(row, "__pydantic_fields_set__", fields_set)
                _set(row, "__pydantic_extra__", None)
                _set(row, "__pydantic_private__", None)
                out.append(row)
            built = self._built = tuple(out)
        return built

    def __len__(self) -> int:
        return len(self._values)

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
            if self._model is other._model:
                return self._values == other._values
            return self._rows() == other._rows()
        if isinstance(other, tuple):
            return self._rows() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._rows())  # as the equal tuple hashes

    def __repr__(self) -> str:
        return repr(self._rows())

    def __reduce__(self) -> tuple[Callable[..., Records[M]], tuple[type[M], tuple[Any, ...]]]:
        return Records, (self._model, self._values)


class RecordsSchema:
    """Pydantic annotation for a field holding a tuple of models or a :class:`Records` of them.

    Validation: a :class:`Records` is kept as it is (the engine built it); anything else is
    validated as the annotated type and kept as a tuple. Serialization and JSON schema: those
    of the annotated type (an array of the model).
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler,
    ) -> core_schema.CoreSchema:
        inner = handler(source)
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


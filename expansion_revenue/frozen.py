"""A hashable, read-only mapping that pydantic validates and serializes like a dict.

Models are deeply immutable: where a record holds a mapping (customer attributes, FX rates,
results by customer) it is a :class:`FrozenMap`, never a ``dict``.

>>> m = FrozenMap({"segment": "smb"})
>>> m["segment"], len(m), dict(m)
('smb', 1, {'segment': 'smb'})
>>> m["segment"] = "x"
Traceback (most recent call last):
...
TypeError: 'FrozenMap' object does not support item assignment
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

__all__ = ["FrozenMap"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V], Generic[K, V]):
    """An immutable mapping; equal maps hash equal. Iteration keeps insertion order.

    >>> FrozenMap({"a": 1}) == {"a": 1}, hash(FrozenMap({"a": 1})) == hash(FrozenMap({"a": 1}))
    (True, True)
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | None = None) -> None:
        self._data: dict[K, V] = dict(data) if data is not None else {}
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        args = getattr(source, "__args__", None) or (Any, Any)
        dict_schema = handler.generate_schema(dict[args[0], args[1]])  # type: ignore[valid-type]
        return core_schema.no_info_after_validator_function(
            cls,
            dict_schema,
            serialization=core_schema.wrap_serializer_function_ser_schema(
                lambda value, nxt: nxt(dict(value)), schema=dict_schema
            ),
        )

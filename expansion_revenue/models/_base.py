"""The shared configuration of every record model."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

__all__ = ["Count", "Identifier", "Record"]

#: A record id: a non-empty string without surrounding blanks.
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

R = TypeVar("R", bound="Record")


def _not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer, not a boolean", {})
    return value


#: A whole number that is not a boolean (``True`` is not a quantity of 1).
Count = Annotated[int, BeforeValidator(_not_bool)]


class Record(BaseModel):
    """Base of the domain models: frozen, no unknown fields, validated on construction."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    def replace(self: R, **changes: Any) -> R:
        """Return a copy with ``changes`` applied, validated again like a new record.

        >>> from expansion_revenue import Customer
        >>> Customer(id="c1", name="Acme").replace(name="Acme Inc").name
        'Acme Inc'
        """
        data = self.model_dump()
        data.update(changes)
        return type(self).model_validate(data)

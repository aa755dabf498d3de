"""The shared configuration of every record model."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints

__all__ = ["Identifier", "Record"]

#: A record id: a non-empty string without surrounding blanks.
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

R = TypeVar("R", bound="Record")


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

"""Building ledger rows from positional values, without validation (the engine's hot path).

Like :func:`~expansion_revenue.results._construct.trusted`, for the two row types the bridge
engine builds hundreds of thousands of: a plain function with positional arguments and one
shared fields-set costs about half as much per row. The :class:`Bridge` holding the rows still
checks its invariants.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from pydantic import BaseModel

from expansion_revenue.results.bridge import EntityChange, Movement, MovementKind

__all__ = ["entity_change", "movement"]


_new = object.__new__
_set = object.__setattr__


def _fields_set(cls: type[BaseModel]) -> set[str]:
    """The ``model_fields_set`` shared by every instance built here (models are frozen)."""
    return set(cls.model_fields)


_MOVEMENT_FIELDS = _fields_set(Movement)
_CHANGE_FIELDS = _fields_set(EntityChange)


def movement(entity_id: str, kind: MovementKind, amount: Decimal, prev_mrr: Decimal,
             cur_mrr: Decimal, on: datetime.date | None, line_ids: tuple[str, ...]) -> Movement:
    """A ledger row, as ``trusted(Movement, ...)`` builds it, from positional values (faster).

    >>> from decimal import Decimal as D
    >>> row = movement("a", MovementKind.NEW, D(5), D(0), D(5), None, ("l",))
    >>> row == Movement(entity_id="a", kind="new", amount=5, prev_mrr=0, cur_mrr=5, line_ids=["l"])
    True
    """
    row = _new(Movement)
    _set(row, "__dict__", {"entity_id": entity_id, "kind": kind, "amount": amount,
                           "prev_mrr": prev_mrr, "cur_mrr": cur_mrr, "on": on,
                           "line_ids": line_ids})
    _set(row, "__pydantic_fields_set__", _MOVEMENT_FIELDS)
    _set(row, "__pydantic_extra__", None)
    _set(row, "__pydantic_private__", None)
    return row


def entity_change(entity_id: str, start_mrr: Decimal, end_mrr: Decimal) -> EntityChange:
    """An :class:`EntityChange`, as ``trusted`` builds it, from positional values (faster).

    >>> from decimal import Decimal as D
    >>> entity_change("a", D(1), D(2)) == EntityChange(entity_id="a", start_mrr=1, end_mrr=2)
    True
    """
    change = _new(EntityChange)
    _set(change, "__dict__", {"entity_id": entity_id, "start_mrr": start_mrr, "end_mrr": end_mrr})
    _set(change, "__pydantic_fields_set__", _CHANGE_FIELDS)
    _set(change, "__pydantic_extra__", None)
    _set(change, "__pydantic_private__", None)
    return change

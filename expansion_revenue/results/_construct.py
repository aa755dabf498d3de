"""Building result rows the engine has already checked, without validating them again.

The engine produces hundreds of thousands of ledger rows from values it computed itself. Like
beancount's "validate once at the boundary, trust afterwards", rows are built here without a
second validation; the result objects that hold them (``Bridge``, ``Attribution``,
``MrrSnapshot``) still check their invariants when constructed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["trusted"]

M = TypeVar("M", bound=BaseModel)


def trusted(cls: type[M], **values: Any) -> M:
    """An instance of ``cls`` from values given for every field, without validation.

    Equivalent to ``cls.model_construct(**values)`` when every field is given, and faster.

    >>> from expansion_revenue.results.bridge import EntityChange
    >>> trusted(EntityChange, entity_id="a", start_mrr=1, end_mrr=2) == EntityChange.model_construct(
    ...     entity_id="a", start_mrr=1, end_mrr=2)
    True
    """
    instance = cls.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance

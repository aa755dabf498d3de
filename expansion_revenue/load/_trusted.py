"""Building records without running pydantic, for values pydantic has already accepted.

Validating a contract line with pydantic costs a few microseconds, most of it the model's own
Python validators; a large load has millions of lines, but only a few thousand distinct prices,
quantities, discounts and dates. So the loaders validate the first line that uses a value with
pydantic (the *precise* path, which also words every problem), remember the value pydantic made
of the text, and build later lines from remembered values directly (the *trusted* path):

- a value is remembered only from a line pydantic accepted, so it is valid on its own (a
  contract's currency: from the ``Currency`` type itself);
- what depends on two fields (an end after the start) is checked again for every line;
- ids are unique per line, so they cannot be remembered: :func:`is_identifier` checks them as
  :data:`~expansion_revenue.models._base.Identifier` would, for plain ASCII text;
- anything else (a value not seen before, a non-ASCII id, a Python value that is not text) takes
  the precise path, which gives exactly the result, or exactly the problems, it always gave.

A trusted record is the object ``model_validate`` would return: the same field values in the same
order, the same ``model_fields_set``, no extra or private values. :data:`TRUSTED` turns the path
off (everything goes through pydantic) if the models no longer have the fields this module was
written for; a test checks that it is on and that both paths agree.
"""

from __future__ import annotations

from typing import Any, TypeVar, get_args

from pydantic import BaseModel

from expansion_revenue.models import Contract, ContractLine, Customer
from expansion_revenue.models._base import Identifier

__all__ = ["CONTRACT_FIELDS", "CUSTOMER_FIELDS", "LINE_FIELDS", "TRUSTED", "is_identifier", "trusted"]

M = TypeVar("M", bound=BaseModel)

#: The fields, in order, that trusted records are built with.
LINE_FIELDS = ("id", "plan_id", "quantity", "unit_price", "start", "end", "discount", "discount_end")
CONTRACT_FIELDS = ("id", "customer_id", "currency", "lines")
CUSTOMER_FIELDS = ("id", "name", "parent_id", "attributes")

# The field validators the trusted path knows about: the line's own checks run on the first line
# with a value, and ``_after_start`` (which compares two fields) is checked again for every line.
_VALIDATORS: dict[type[BaseModel], dict[str, tuple[str, ...]]] = {
    ContractLine: {"_discount_range": ("discount",), "_price_not_negative": ("unit_price",),
                   "_after_start": ("end", "discount_end")},
    Contract: {},
    Customer: {},
}


def _validators(model: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.root_validators or model.__pydantic_post_init__:
        return {"": ()}  # something the trusted path would skip: never equal to _VALIDATORS
    return {name: tuple(item.info.fields) for name, item in decorators.field_validators.items()}


#: Whether the models are the ones this module builds (if not, every record is validated).
TRUSTED = (
    tuple(ContractLine.model_fields) == LINE_FIELDS
    and tuple(Contract.model_fields) == CONTRACT_FIELDS
    and tuple(Customer.model_fields) == CUSTOMER_FIELDS
    and all(_validators(model) == expected for model, expected in _VALIDATORS.items())
)

#: The longest id :data:`Identifier` allows.
ID_MAX_LENGTH: int = next(item.max_length for item in get_args(Identifier)[1:]
                          if getattr(item, "max_length", None) is not None)

_new = object.__new__
_set = object.__setattr__


def is_identifier(value: object) -> bool:
    """Whether ``value`` is stripped ASCII text that :data:`Identifier` accepts unchanged.

    Loaders strip every value (``None`` when blank), so stripped is given; ASCII rules out the
    text pydantic refuses (lone surrogates) or would strip differently.

    >>> is_identifier("acme-01"), is_identifier("é"), is_identifier("x" * 201), is_identifier(7)
    (True, False, False, False)
    """
    return type(value) is str and value.isascii() and 0 < len(value) <= ID_MAX_LENGTH


def trusted(model: type[M], values: dict[str, Any], fields_set: set[str]) -> M:
    """The ``model`` instance holding ``values`` (every field, in the model's order), unvalidated.

    Only for values the model accepts as they are (see the module docs). ``fields_set`` is the
    instance's ``model_fields_set``, shared between instances (never changed in place).

    >>> from expansion_revenue.models import Customer
    >>> from expansion_revenue.frozen import FrozenMap
    >>> trusted(Customer, {"id": "a", "name": "A", "parent_id": None, "attributes": FrozenMap()},
    ...         {"id", "name"}) == Customer(id="a", name="A")
    True
    """
    record = _new(model)
    _set(record, "__dict__", values)
    _set(record, "__pydantic_fields_set__", fields_set)
    _set(record, "__pydantic_extra__", None)
    _set(record, "__pydantic_private__", None)
    return record

"""Customers and the account hierarchy.

A customer may name a ``parent_id``: a subsidiary under its group account. Bridges can be run at
the customer, parent or ultimate-parent level, so a child's churn offset by a sibling's growth
nets out at the group. The dataset checks that parents exist and that no chain loops.
"""

from __future__ import annotations

from pydantic import Field

from expansion_revenue.frozen import FrozenMap
from expansion_revenue.models._base import Identifier, Record

__all__ = ["Customer"]


class Customer(Record):
    """A paying (or once paying, or not yet paying) account.

    Attributes:
        id: unique customer id.
        name: display name.
        parent_id: the id of the parent account, if this is a subsidiary.
        attributes: free-form descriptors (``segment``, ``region`` ...), read-only.

    >>> c = Customer(id="acme-eu", name="Acme Europe", parent_id="acme", attributes={"segment": "enterprise"})
    >>> c.attributes["segment"]
    'enterprise'
    """

    id: Identifier
    name: str = Field(min_length=1)
    parent_id: Identifier | None = None
    attributes: FrozenMap[str, str] = Field(default_factory=FrozenMap)

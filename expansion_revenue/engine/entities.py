"""Entity levels: which id a customer's revenue is counted under.

>>> from expansion_revenue import Dataset, Policy
>>> ds = Dataset(customers=[{"id": "g", "name": "G"}, {"id": "c", "name": "C", "parent_id": "g",
...                          "attributes": {"segment": "smb"}}])
>>> entity_resolver(ds, "parent")("c"), entity_resolver(ds, "attribute:segment")("g")
('g', '(none)')
"""

from __future__ import annotations

from collections.abc import Callable

from expansion_revenue.dataset import Dataset

__all__ = ["NO_ATTRIBUTE", "entity_resolver"]

#: The entity id of customers that lack the attribute a bridge is grouped by.
NO_ATTRIBUTE = "(none)"


def entity_resolver(dataset: Dataset, level: str) -> Callable[[str], str]:
    """A function from customer id to the entity id at ``level`` (see ``Policy.level``).

    >>> entity_resolver(Dataset(customers=[{"id": "a", "name": "A"}]), "ultimate_parent")("a")
    'a'
    """
    if level == "customer":
        return lambda customer_id: customer_id
    if level == "parent":
        return lambda customer_id: dataset.customer(customer_id).parent_id or customer_id
    if level == "ultimate_parent":
        cache: dict[str, str] = {}

        def top(customer_id: str) -> str:
            if customer_id not in cache:
                chain = dataset.parent_chain(customer_id)
                cache[customer_id] = chain[-1] if chain else customer_id
            return cache[customer_id]

        return top
    name = level.removeprefix("attribute:")
    return lambda customer_id: dataset.customer(customer_id).attributes.get(name, NO_ATTRIBUTE)

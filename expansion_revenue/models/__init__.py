"""The domain model: immutable, validated records of a subscription business.

>>> from expansion_revenue.models import Customer, Product, Plan, Contract, ContractLine
"""

from expansion_revenue.models.catalogue import Interval, IntervalUnit, Plan, Product, ProductKind
from expansion_revenue.models.contract import Contract, ContractLine
from expansion_revenue.models.customer import Customer

__all__ = [
    "Contract",
    "ContractLine",
    "Customer",
    "Interval",
    "IntervalUnit",
    "Plan",
    "Product",
    "ProductKind",
]

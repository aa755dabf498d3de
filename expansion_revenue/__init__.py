"""expansion_revenue: where a subscription business's recurring revenue came from and went.

Immutable, validated records (:class:`Customer`, :class:`Product`, :class:`Plan`,
:class:`Contract`, :class:`ContractLine`) collected in a :class:`Dataset`; pure engine functions
(:func:`mrr_snapshot` ...) that return immutable, self-checking results; exact Decimal money.

>>> import expansion_revenue as er
>>> ds = er.Dataset(
...     customers=[{"id": "acme", "name": "Acme"}],
...     products=[{"id": "crm", "name": "CRM"}],
...     plans=[{"id": "pro", "product_id": "crm", "name": "Pro", "tier": 2,
...             "price": {"amount": "600", "currency": "USD"}, "interval": "annual"}],
...     contracts=[{"id": "k1", "customer_id": "acme", "currency": "USD",
...                 "lines": [{"id": "l1", "plan_id": "pro", "quantity": 10, "start": "2024-01-01"}]}],
... )
>>> er.mrr_snapshot(ds, "2024-03-31").total   # 600 x 10 / 12
Decimal('500')
"""

from expansion_revenue.dataset import Dataset, LineRef
from expansion_revenue.engine.bridge import bridge_series, revenue_bridge
from expansion_revenue.engine.mrr import mrr_snapshot
from expansion_revenue.errors import (
    CurrencyMismatchError,
    DataProblem,
    ExpansionRevenueError,
    InvalidDataError,
    InvalidPeriodError,
    MissingExtraError,
    MissingRateError,
    RuleError,
)
from expansion_revenue.examples import example_path, load_example, load_example_fx
from expansion_revenue.frozen import FrozenMap
from expansion_revenue.fx import FxRates
from expansion_revenue.load import (
    dataset_from_flat_records,
    dataset_from_tables,
    fx_rates_from_records,
    load_csv_folder,
    load_flat_csv,
    load_fx_csv,
)
from expansion_revenue.models import (
    Contract,
    ContractLine,
    Customer,
    Interval,
    IntervalUnit,
    Plan,
    Product,
    ProductKind,
)
from expansion_revenue.money import Money
from expansion_revenue.policy import Policy
from expansion_revenue.results import (
    Bridge,
    BridgeSeries,
    LineMrr,
    Movement,
    MovementKind,
    MrrSnapshot,
)

__version__ = "0.1.0"

__all__ = [
    "Bridge",
    "BridgeSeries",
    "Movement",
    "MovementKind",
    "bridge_series",
    "revenue_bridge",
    "Contract",
    "ContractLine",
    "CurrencyMismatchError",
    "Customer",
    "DataProblem",
    "Dataset",
    "ExpansionRevenueError",
    "FrozenMap",
    "FxRates",
    "Interval",
    "IntervalUnit",
    "InvalidDataError",
    "InvalidPeriodError",
    "LineMrr",
    "LineRef",
    "MissingExtraError",
    "MissingRateError",
    "Money",
    "MrrSnapshot",
    "Plan",
    "Policy",
    "Product",
    "ProductKind",
    "RuleError",
    "__version__",
    "dataset_from_flat_records",
    "dataset_from_tables",
    "example_path",
    "fx_rates_from_records",
    "load_csv_folder",
    "load_example",
    "load_example_fx",
    "load_flat_csv",
    "load_fx_csv",
    "mrr_snapshot",
]

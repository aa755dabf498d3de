"""Terse builders for hand-computed worked examples.

Every builder has defaults, so a worked example states only what matters to it::

    ds = dataset(
        plans=[plan("pro", product="crm", tier=2, price="100")],
        contracts=[contract("k1", "acme", [line("l1", "pro", qty=10, start="2024-01-01")])],
    )

:func:`dataset` fills in what the example leaves out: a product for every ``product=`` a plan
names, a customer for every ``customer_id`` a contract names.

>>> ds = one_customer([plan("pro", price="100")], [line("l1", "pro", qty=3)])
>>> ds.line("l1").customer.id, ds.plan("pro").product_id
('acme', 'crm')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from expansion_revenue import (
    Contract,
    ContractLine,
    Customer,
    Dataset,
    FxRates,
    Interval,
    Money,
    Plan,
    Product,
    ProductKind,
)

__all__ = ["contract", "customer", "d", "dataset", "dec", "fx", "line", "one_customer", "plan",
           "product"]

DateLike = dt.date | str


def d(text: DateLike) -> dt.date:
    """A date from ISO text: ``d("2024-01-31")``."""
    return text if isinstance(text, dt.date) else dt.date.fromisoformat(text)


def dec(value: str | int | Decimal) -> Decimal:
    """A Decimal from text or an int: ``dec("8.333333")``."""
    return Decimal(value)


def product(id: str, *, kind: str = "core", name: str | None = None,
            family: str | None = None) -> Product:
    """A product; ``kind`` is ``core`` or ``add_on``."""
    return Product(id=id, name=name or id.title(), kind=ProductKind(kind), family=family)


def plan(id: str, *, product: str = "crm", tier: int = 1, price: str | int | Decimal = "100",
         currency: str = "USD", interval: str | Interval = "month", name: str | None = None) -> Plan:
    """A plan: ``plan("pro", product="crm", tier=2, price="100", interval="month")``.

    ``interval`` takes the models' text forms: ``"month"``, ``"3 months"``, ``"annual"``,
    ``"2 weeks"``, ``"day"`` ...
    """
    return Plan(id=id, product_id=product, name=name or id, tier=tier,
                price=Money.of(price, currency), interval=Interval.model_validate(interval)
                if isinstance(interval, str) else interval)


def line(id: str, plan: str, qty: int = 1, start: DateLike = "2024-01-01",
         end: DateLike | None = None, *, discount: str | Decimal = "0",
         discount_end: DateLike | None = None, unit_price: str | int | Decimal | Money | None = None,
         currency: str = "USD") -> ContractLine:
    """A contract line: ``line("l1", "pro", qty=10, start="2024-01-01", end=None)``.

    ``unit_price`` as a number is in ``currency`` (the contract's); ``None`` means list price.
    """
    price = unit_price if isinstance(unit_price, Money) or unit_price is None else Money.of(
        unit_price, currency)
    return ContractLine(id=id, plan_id=plan, quantity=qty, unit_price=price, start=d(start),
                        end=None if end is None else d(end), discount=Decimal(discount),
                        discount_end=None if discount_end is None else d(discount_end))


def customer(id: str, *, name: str | None = None, parent: str | None = None,
             **attributes: str) -> Customer:
    """A customer; keyword arguments become attributes: ``customer("a", segment="smb")``."""
    return Customer(id=id, name=name or id.title(), parent_id=parent, attributes=attributes)


def contract(id: str, customer_id: str, lines: Iterable[ContractLine] = (), *,
             currency: str = "USD") -> Contract:
    """A contract: ``contract("k1", "acme", [line(...), ...], currency="EUR")``."""
    return Contract(id=id, customer_id=customer_id, currency=currency, lines=tuple(lines))


def dataset(*, customers: Sequence[Customer] | None = None, products: Sequence[Product] | None = None,
            plans: Sequence[Plan] = (), contracts: Sequence[Contract] = ()) -> Dataset:
    """A dataset; missing customers and products are made up from the ids that refer to them.

    ``customers=None`` adds a customer for each contract's ``customer_id``; ``products=None`` a
    core product for each plan's ``product_id``. Pass lists to control them exactly.
    """
    if customers is None:
        seen = dict.fromkeys(c.customer_id for c in contracts)
        customers = [customer(cid) for cid in seen]
    if products is None:
        seen = dict.fromkeys(p.product_id for p in plans)
        products = [product(pid) for pid in seen]
    return Dataset(customers=customers, products=products, plans=plans, contracts=contracts)


def one_customer(plans: Sequence[Plan], lines: Iterable[ContractLine], *, customer_id: str = "acme",
                 currency: str = "USD", products: Sequence[Product] | None = None) -> Dataset:
    """A dataset of one customer holding one contract with ``lines``."""
    return dataset(products=products, plans=plans,
                   contracts=[contract("k1", customer_id, lines, currency=currency)])


def fx(target: str = "USD", **rates: dict[str, str]) -> FxRates:
    """An FX table: ``fx("USD", EUR={"2024-01-01": "1.10"})``."""
    return FxRates.model_validate({"target": target, "rates": rates})

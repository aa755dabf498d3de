"""Hypothesis strategies for expansion_revenue: every value they produce is valid by construction.

Shipped with the library so that custom rules and downstream code can be tested on the same
generated businesses the library tests itself with. Needs the ``testing`` extra
(``pip install 'expansion_revenue[testing]'``, which brings hypothesis).

Two families:

* **Records** (:func:`currencies`, :func:`money`, :func:`intervals`, :func:`customers`,
  :func:`products`, :func:`plans`, :func:`contract_lines`, :func:`contracts`, :func:`policies`):
  one model each, with free-form text, for round trips and model-level properties.
* **Datasets** (:func:`datasets`): a whole, referentially valid business whose customers live
  through every movement the bridge must classify, plus helpers that transform a dataset in ways
  that must not change (or must scale) every figure: :func:`shuffled_dataset`, :func:`split_line`,
  :func:`scale_prices`; and :func:`fx_rates_for`, rates covering a dataset.

How a dataset is made
---------------------
Each customer's history is a set of *tracks*, one per product it buys: its first core product
from its start date, maybe a second core product later (cross-sell) and an add-on. A track is a
sequence of *segments*; each segment is one contract line. A segment ends in one of four ways:

* ``change``: the next segment starts **the same day** the old one ends (the modelling convention:
  a change is the old line ending and a new line starting on the same day; ``end`` is exclusive).
  The next segment differs by one or two of: tier up / down (upsell, downgrade, free-to-paid when
  leaving a free tier 0), seats up / down, unit price up / down (a negotiated ``unit_price``),
  discount added / removed; or by nothing (a like-for-like renewal).
* ``gap``: the line ends, nothing for a while, then a new line of the same product (churn, then
  reactivation).
* ``stop``: the line ends and the track is over (churn, or product churn while other tracks go on).
* ``open``: the line is open-ended (``end=None``).

Discounts may carry a ``discount_end`` (discount expiry, before or after the line's end). Dates are
a mix of first-of-month and arbitrary (mid-month) days between ``start`` and ``start + months``;
ends and discount ends may fall after that horizon. Some customers have no contract at all
(prospects, group parents), some have two contracts, some quantities are zero, some plans are
free (tier 0, price 0), some discounts are 100%.

Exactness (``exact=True``)
--------------------------
A line's MRR is ``price x quantity x (1 - discount) x f`` with ``f`` the monthly factor of the
plan's interval: ``1/n`` for n months, ``1/(12n)`` for n years, ``(52/12)/n`` for n weeks and
``(365/12)/n`` for n days (the default :class:`~expansion_revenue.Policy`). With ``exact=True``
every price (list and negotiated) is a 2-decimal *monthly amount* times :func:`price_multiple` of
its interval (``n``, ``12n``, ``3n``, ``12n`` respectively), so ``price x f`` is the monthly amount
times a whole number (1, 1, 13, 365). Discounts are whole percents, so every line's MRR has at most
4 decimal places: it terminates, no rounding happens (the policy rounds to 6 places), and scaling
every price by a ``k`` with at most 2 decimal places (see :func:`scale_factors`) scales every MRR by
exactly ``k``. Splitting a line into two is likewise exact. With ``exact=False`` prices are any
2-decimal amount, so weekly and daily plans give non-terminating MRR that the engine rounds per
line (then splitting or scaling a line can move a figure by a rounding unit).

Typical use::

    @given(ds=datasets(), day=snapshot_days())
    def test_something(ds: Dataset, day: date) -> None: ...

    @given(data=st.data())
    def test_fx(data: st.DataObject) -> None:
        ds = data.draw(datasets(currencies=("USD", "EUR")))
        fx = data.draw(fx_rates_for(ds, target="USD"))
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import TypeVar

from dateutil.relativedelta import relativedelta

from expansion_revenue.errors import MissingExtraError

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("hypothesis", "testing") from exc

from expansion_revenue import (
    Contract,
    ContractLine,
    Customer,
    Dataset,
    FxRates,
    Interval,
    IntervalUnit,
    Money,
    Plan,
    Policy,
    Product,
    ProductKind,
)

__all__ = [
    "CURRENCY_POOL",
    "DEFAULT_MONTHS",
    "DEFAULT_START",
    "FEATURES",
    "change_days",
    "contract_lines",
    "contracts",
    "currencies",
    "customers",
    "dataset_features",
    "datasets",
    "days_around",
    "fx_rates_for",
    "identifiers",
    "intervals",
    "money",
    "plans",
    "policies",
    "price_multiple",
    "products",
    "scale_factors",
    "scale_prices",
    "shuffled_dataset",
    "snapshot_days",
    "split_line",
]

#: Currencies the record strategies draw from.
CURRENCY_POOL: tuple[str, ...] = ("USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK")
#: Default first day of generated histories.
DEFAULT_START = dt.date(2023, 1, 1)
#: Default length of generated histories, in months.
DEFAULT_MONTHS = 24

_SEGMENTS = ("smb", "mid_market", "enterprise")
_REGIONS = ("emea", "amer", "apac")
_CENT = Decimal("0.01")
T = TypeVar("T")


# -- records -----------------------------------------------------------------------------------


def currencies(pool: Sequence[str] = CURRENCY_POOL) -> st.SearchStrategy[str]:
    """An ISO 4217 code from ``pool`` (upper case, as the models store it)."""
    return st.sampled_from(tuple(pool))


def _amounts(min_amount: Decimal, max_amount: Decimal, places: int) -> st.SearchStrategy[Decimal]:
    unit = Decimal(1).scaleb(-places)
    low, high = int(min_amount / unit), int(max_amount / unit)
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-places))


def money(
    currency: str | st.SearchStrategy[str] | None = None,
    *,
    min_amount: Decimal | str = "0",
    max_amount: Decimal | str = "100000",
    places: int = 2,
) -> st.SearchStrategy[Money]:
    """A :class:`Money` with exactly ``places`` decimal places in ``[min_amount, max_amount]``.

    Args:
        currency: a fixed code, a strategy of codes, or ``None`` for :func:`currencies`.
        min_amount: smallest amount (may be negative; prices are not).
        max_amount: largest amount.
        places: decimal places of the amount (``Decimal("12.30")`` has 2).
    """
    codes = currencies() if currency is None else (
        st.just(currency) if isinstance(currency, str) else currency)
    return st.builds(Money, amount=_amounts(Decimal(min_amount), Decimal(max_amount), places),
                     currency=codes)


def intervals(
    units: Sequence[IntervalUnit] = tuple(IntervalUnit), max_count: int = 12
) -> st.SearchStrategy[Interval]:
    """A billing interval: ``1..max_count`` of one of ``units``."""
    return st.builds(Interval, count=st.integers(1, max_count), unit=st.sampled_from(tuple(units)))


def identifiers(prefix: str = "") -> st.SearchStrategy[str]:
    """A record id: ``prefix`` plus 1-12 ASCII letters, digits, ``-`` or ``_`` (never blank)."""
    return st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
                   min_size=1, max_size=12).map(lambda s: prefix + s)


def _names() -> st.SearchStrategy[str]:
    # The models strip surrounding blanks and refuse an empty name: generate fixed points of that.
    return st.text(min_size=1, max_size=24).map(str.strip).filter(bool)


def _maybe(strategy: st.SearchStrategy[str], given: str | st.SearchStrategy[str] | None
           ) -> st.SearchStrategy[str]:
    if given is None:
        return strategy
    return st.just(given) if isinstance(given, str) else given


def customers(
    *, customer_id: str | st.SearchStrategy[str] | None = None,
    parent_id: str | st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[Customer]:
    """A :class:`Customer` with a free-text name and attributes (segment, region, free keys).

    Args:
        customer_id: a fixed id or strategy (default: :func:`identifiers`).
        parent_id: a fixed parent id or strategy (default: none or a generated id).
    """
    parents: st.SearchStrategy[str | None]
    if parent_id is None:
        parents = st.none() | identifiers("parent-")
    elif isinstance(parent_id, str):
        parents = st.just(parent_id)
    else:
        parents = parent_id
    attributes = st.dictionaries(
        st.sampled_from(("segment", "region")) | st.text(min_size=1, max_size=8),
        st.sampled_from(_SEGMENTS + _REGIONS) | st.text(max_size=8), max_size=3)
    return st.builds(Customer, id=_maybe(identifiers("c-"), customer_id), name=_names(),
                     parent_id=parents, attributes=attributes)


def products(
    *, product_id: str | st.SearchStrategy[str] | None = None,
    kind: ProductKind | None = None,
) -> st.SearchStrategy[Product]:
    """A :class:`Product`, core or add-on, with an optional family."""
    kinds = st.sampled_from(tuple(ProductKind)) if kind is None else st.just(kind)
    return st.builds(Product, id=_maybe(identifiers("p-"), product_id), name=_names(), kind=kinds,
                     family=st.none() | _names())


def plans(
    *, plan_id: str | st.SearchStrategy[str] | None = None,
    product_id: str | st.SearchStrategy[str] | None = None,
    currency: str | st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Plan]:
    """A :class:`Plan`: tier 0-5, a non-negative 2-decimal price, any interval."""
    return st.builds(Plan, id=_maybe(identifiers("plan-"), plan_id),
                     product_id=_maybe(identifiers("p-"), product_id), name=_names(),
                     tier=st.integers(0, 5), price=money(currency), interval=intervals())


@st.composite
def _contract_line(
    draw: st.DrawFn, line_id: str | st.SearchStrategy[str] | None,
    plan_id: str | st.SearchStrategy[str] | None, currency: str | None,
) -> ContractLine:
    start = draw(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)))
    end = draw(st.none() | st.integers(1, 3000).map(lambda n: start + dt.timedelta(days=n)))
    percent = Decimal(draw(st.integers(0, 100))) / 100
    discount_end = None
    if percent and draw(st.booleans()):
        discount_end = start + dt.timedelta(days=draw(st.integers(1, 3000)))
    unit_price = draw(st.none() | money(currency)) if currency is not None else None
    return ContractLine(
        id=draw(_maybe(identifiers("l-"), line_id)), plan_id=draw(_maybe(identifiers("plan-"), plan_id)),
        quantity=draw(st.integers(0, 10_000)), unit_price=unit_price, start=start, end=end,
        discount=percent, discount_end=discount_end)


def contract_lines(
    *, line_id: str | st.SearchStrategy[str] | None = None,
    plan_id: str | st.SearchStrategy[str] | None = None,
    currency: str | None = "USD",
) -> st.SearchStrategy[ContractLine]:
    """A :class:`ContractLine`: valid dates (``end > start``), whole-percent discount, optional
    ``discount_end`` and negotiated ``unit_price`` in ``currency`` (``None``: never negotiated).
    """
    return _contract_line(line_id, plan_id, currency)


@st.composite
def _contract(draw: st.DrawFn, max_lines: int) -> Contract:
    currency = draw(currencies())
    count = draw(st.integers(0, max_lines))
    lines = [draw(contract_lines(line_id=f"l-{index}", currency=currency)) for index in range(count)]
    return Contract(id=draw(identifiers("k-")), customer_id=draw(identifiers("c-")), currency=currency,
                    lines=tuple(lines))


def contracts(*, max_lines: int = 4) -> st.SearchStrategy[Contract]:
    """A :class:`Contract` with up to ``max_lines`` lines priced in its currency."""
    return _contract(max_lines)


@st.composite
def _policy(draw: st.DrawFn) -> Policy:
    level = draw(st.sampled_from(("customer", "parent", "ultimate_parent", "attribute:segment")))
    fx_basis = draw(st.sampled_from(("spot", "constant")))
    constant = draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))) if fx_basis == "constant" else None
    return Policy(
        level=level,
        reactivation_window_days=draw(st.none() | st.integers(0, 400)),
        month_snapshot=draw(st.sampled_from(("end", "start"))),
        discounts_reduce_mrr=draw(st.booleans()),
        free_to_paid=draw(st.sampled_from(("new", "expansion"))),
        fx_basis=fx_basis,
        fx_constant_date=constant,
        weeks_per_month=draw(st.sampled_from((Fraction(52, 12), Fraction(4), Fraction(433, 100)))),
        days_per_month=draw(st.sampled_from((Fraction(365, 12), Fraction(30), Fraction(3044, 100)))),
        mrr_decimal_places=draw(st.integers(0, 12)),
    )


def policies() -> st.SearchStrategy[Policy]:
    """A valid :class:`Policy` with every field varied (constant FX always has its date)."""
    return _policy()


# -- datasets ----------------------------------------------------------------------------------


_DENOMINATOR_PER_UNIT = {IntervalUnit.MONTH: 1, IntervalUnit.YEAR: 12, IntervalUnit.WEEK: 3,
                         IntervalUnit.DAY: 12}

#: Intervals used in generated catalogues (monthly most often).
_DATASET_INTERVALS: tuple[Interval, ...] = tuple(
    Interval.model_validate(text) for text in (
        "month", "month", "month", "3 months", "6 months", "year", "2 years", "week", "2 weeks",
        "day", "30 days"))


def price_multiple(interval: Interval) -> int:
    """What an exact price is a 2-decimal monthly amount times: the denominator of the interval's
    monthly factor under the default policy (or a multiple of it).

    ``n`` months -> ``n``; ``n`` years -> ``12n``; ``n`` weeks -> ``3n`` (52/12 = 13/3 a month);
    ``n`` days -> ``12n`` (365/12 a month). A price of ``m x price_multiple`` (``m`` a 2-decimal
    monthly amount) has a terminating MRR per unit: ``m``, ``m``, ``13m`` or ``365m``.

    >>> price_multiple(Interval.model_validate("2 weeks"))
    6
    """
    return _DENOMINATOR_PER_UNIT[interval.unit] * interval.count


@dataclass(frozen=True)
class _Catalogue:
    products: tuple[Product, ...]
    plans: tuple[Plan, ...]
    tiers: dict[str, tuple[int, ...]]  # product id -> its tiers, ascending
    plan_of: dict[tuple[str, int, str], Plan]  # (product, tier, currency) -> plan
    core: tuple[str, ...]
    add_ons: tuple[str, ...]


@st.composite
def _catalogue(draw: st.DrawFn, codes: tuple[str, ...], exact: bool) -> _Catalogue:
    n_core = draw(st.integers(1, 3))
    n_add_ons = draw(st.integers(0, 2))
    product_list: list[Product] = []
    plan_list: list[Plan] = []
    tiers: dict[str, tuple[int, ...]] = {}
    plan_of: dict[tuple[str, int, str], Plan] = {}
    for index in range(n_core + n_add_ons):
        core = index < n_core
        pid = f"core{index}" if core else f"addon{index - n_core}"
        product_list.append(Product(id=pid, name=pid.title(),
                                    kind=ProductKind.CORE if core else ProductKind.ADD_ON,
                                    family=draw(st.sampled_from((None, "platform", "insights")))))
        free_tier = core and draw(st.booleans())
        top = draw(st.integers(1, 3))
        product_tiers = tuple(range(0 if free_tier else 1, top + 1))
        tiers[pid] = product_tiers
        for tier in product_tiers:
            interval = draw(st.sampled_from(_DATASET_INTERVALS))
            for code in codes:
                if tier == 0:
                    price = Decimal("0.00")
                else:
                    # Cents of a monthly amount (exact) or of the price itself; higher tiers cost
                    # more per month as a rule, not always (a tier is a rank, not a price).
                    cents = draw(st.integers(100, 20_000)) * tier
                    price = Decimal(cents * (price_multiple(interval) if exact else 1)) * _CENT
                plan = Plan(id=f"{pid}-t{tier}-{code.lower()}", product_id=pid,
                            name=f"{pid.title()} tier {tier}", tier=tier,
                            price=Money(amount=price, currency=code), interval=interval)
                plan_list.append(plan)
                plan_of[(pid, tier, code)] = plan
    return _Catalogue(tuple(product_list), tuple(plan_list), tiers, plan_of,
                      tuple(p.id for p in product_list if p.kind is ProductKind.CORE),
                      tuple(p.id for p in product_list if p.kind is ProductKind.ADD_ON))


@dataclass(frozen=True)
class _Clock:
    """Day offsets from ``start``; knows where months begin so dates can land on the 1st."""

    start: dt.date
    horizon: int  # days from start to start + months
    month_starts: tuple[int, ...]

    @classmethod
    @functools.lru_cache(maxsize=64)
    def of(cls, start: dt.date, months: int) -> _Clock:
        end = start + relativedelta(months=months)
        firsts = []
        day = start.replace(day=1)
        while day <= end + relativedelta(months=30):
            if day >= start:
                firsts.append((day - start).days)
            day += relativedelta(months=1)
        return cls(start, (end - start).days, tuple(firsts))

    def date(self, offset: int) -> dt.date:
        return self.start + dt.timedelta(days=offset)

    def draw_day(self, draw: st.DrawFn, low: int, high: int) -> int:
        """An offset in ``[low, high]``: a first of month when one is in range and chosen."""
        if draw(st.booleans()):
            first = bisect.bisect_left(self.month_starts, low)
            last = bisect.bisect_right(self.month_starts, high)
            if first < last:
                return self.month_starts[draw(st.integers(first, last - 1))]
        return draw(st.integers(low, high))


@dataclass
class _Terms:
    """The state of a track between segments."""

    tier: int
    quantity: int
    price: Decimal | None  # negotiated unit price, None = list
    percent: int  # discount, whole percent


_CHANGES = ("tier_up", "tier_down", "seats_up", "seats_down", "price_up", "price_down",
            "discount_added", "discount_removed", "renewal")


def _change(draw: st.DrawFn, terms: _Terms, tiers: tuple[int, ...],
            pricing: Callable[[int], tuple[Decimal, Decimal]]) -> _Terms:
    """The terms after a change; ``pricing(tier)`` gives the list price and the price step."""
    kinds = draw(st.lists(st.sampled_from(_CHANGES), min_size=1, max_size=2, unique=True))
    new = _Terms(terms.tier, terms.quantity, terms.price, terms.percent)
    for kind in kinds:
        position = tiers.index(new.tier)
        list_price, step = pricing(new.tier)
        if kind == "tier_up" and position + 1 < len(tiers):
            new.tier, new.price = tiers[position + 1], None
        elif kind == "tier_down" and position > 0:
            new.tier, new.price = tiers[position - 1], None
        elif kind == "seats_up":
            new.quantity += draw(st.integers(1, 20))
        elif kind == "seats_down" and new.quantity > 1:
            new.quantity -= draw(st.integers(1, new.quantity - 1))
        elif kind == "price_up":
            current = list_price if new.price is None else new.price
            new.price = current + step * draw(st.integers(1, 2_000))
        elif kind == "price_down":
            current = list_price if new.price is None else new.price
            cut = draw(st.integers(1, 2_000))
            new.price = max(current - step * cut, Decimal("0.00"))
        elif kind == "discount_added":
            new.percent = min(100, new.percent + draw(st.sampled_from((5, 10, 15, 20, 25, 50))))
        elif kind == "discount_removed":
            new.percent = 0
    return new


@dataclass
class _Builder:
    """Accumulates the records of one dataset while customers are generated."""

    catalogue: _Catalogue
    clock: _Clock
    exact: bool
    line_count: int = 0

    def line(self, draw: st.DrawFn, product: str, currency: str, terms: _Terms, start: int,
             end: int | None) -> ContractLine:
        plan = self.catalogue.plan_of[(product, terms.tier, currency)]
        discount_end = None
        if terms.percent and draw(st.booleans()):
            high = (end if end is not None else self.clock.horizon) + 90
            discount_end = self.clock.date(self.clock.draw_day(draw, start + 1, max(start + 1, high)))
        self.line_count += 1
        return ContractLine(
            id=f"l{self.line_count:03d}", plan_id=plan.id, quantity=terms.quantity,
            unit_price=None if terms.price is None else Money(amount=terms.price, currency=currency),
            start=self.clock.date(start), end=None if end is None else self.clock.date(end),
            discount=Decimal(terms.percent) / 100, discount_end=discount_end)

    def track(self, draw: st.DrawFn, product: str, currency: str, first_day: int, budget: int
              ) -> list[ContractLine]:
        """One product's lines for one customer, from ``first_day``, at most ``budget`` lines."""
        tiers = self.catalogue.tiers[product]
        quantity = 0 if draw(st.integers(0, 15)) == 0 else draw(st.integers(1, 40))
        percent = draw(st.sampled_from((0, 0, 0, 10, 20, 35, 100)))
        terms = _Terms(draw(st.sampled_from(tiers)), quantity, None, percent)
        lines: list[ContractLine] = []
        day = first_day
        horizon = self.clock.horizon
        while len(lines) < budget:
            ending = draw(st.sampled_from(("change", "change", "gap", "stop", "open")))
            if ending == "open" or day >= horizon - 1 or (len(lines) + 1 == budget and draw(st.booleans())):
                lines.append(self.line(draw, product, currency, terms, day, None))
                break
            end = self.clock.draw_day(draw, day + 1, horizon)
            lines.append(self.line(draw, product, currency, terms, day, end))
            if ending == "stop":
                break
            if ending == "gap":
                day = end + draw(st.integers(1, 240))
                if day >= horizon:
                    break
            else:
                day = end
            terms = _change(draw, terms, tiers, lambda tier: self.pricing(product, tier, currency))
        return lines

    def pricing(self, product: str, tier: int, currency: str) -> tuple[Decimal, Decimal]:
        """A plan's list price and the step a negotiated price moves by (keeps it exact)."""
        plan = self.catalogue.plan_of[(product, tier, currency)]
        return plan.price.amount, _CENT * (price_multiple(plan.interval) if self.exact else 1)


@st.composite
def _dataset(
    draw: st.DrawFn, min_customers: int, max_customers: int, codes: tuple[str, ...],
    with_hierarchy: bool, max_lines_per_customer: int, start: dt.date, months: int, exact: bool,
) -> Dataset:
    catalogue = draw(_catalogue(codes, exact))
    clock = _Clock.of(start, months)
    builder = _Builder(catalogue, clock, exact)
    customer_list: list[Customer] = []
    contract_list: list[Contract] = []
    for index in range(draw(st.integers(min_customers, max_customers))):
        cid = f"c{index:02d}"
        parent = None
        if with_hierarchy and index > 0 and draw(st.booleans()):
            parent = f"c{draw(st.integers(0, index - 1)):02d}"
        attributes = {}
        if draw(st.booleans()):
            attributes["segment"] = draw(st.sampled_from(_SEGMENTS))
        if draw(st.booleans()):
            attributes["region"] = draw(st.sampled_from(_REGIONS))
        customer_list.append(Customer(id=cid, name=f"Customer {index}", parent_id=parent,
                                      attributes=attributes))
        if draw(st.integers(0, 7)) == 0:
            continue  # a prospect or a group parent: no contract
        n_contracts = draw(st.integers(1, 2))
        contract_ids = [f"k{len(contract_list) + n + 1:03d}" for n in range(n_contracts)]
        contract_currency = [draw(st.sampled_from(codes)) for _ in contract_ids]
        contract_lines_: list[list[ContractLine]] = [[] for _ in contract_ids]
        budget = max_lines_per_customer
        first_day = clock.draw_day(draw, 0, clock.horizon - 1)
        tracks = [(draw(st.sampled_from(catalogue.core)), first_day)]
        others = [p for p in catalogue.core if p != tracks[0][0]]
        if len(others) > 0 and draw(st.booleans()):  # cross-sell (or a later second product)
            tracks.append((draw(st.sampled_from(others)),
                           clock.draw_day(draw, first_day, clock.horizon - 1)))
        if len(catalogue.add_ons) > 0 and draw(st.booleans()):
            tracks.append((draw(st.sampled_from(catalogue.add_ons)),
                           clock.draw_day(draw, first_day, clock.horizon - 1)))
        for product, day in tracks:
            if budget <= 0:
                break
            slot = draw(st.integers(0, n_contracts - 1))
            lines = builder.track(draw, product, contract_currency[slot], day, budget)
            budget -= len(lines)
            contract_lines_[slot].extend(lines)
        for kid, code, lines in zip(contract_ids, contract_currency, contract_lines_, strict=True):
            contract_list.append(Contract(id=kid, customer_id=cid, currency=code, lines=tuple(lines)))
    return Dataset(customers=customer_list, products=catalogue.products, plans=catalogue.plans,
                   contracts=contract_list)


def datasets(
    *,
    min_customers: int = 1,
    max_customers: int = 6,
    currencies: Sequence[str] = ("USD",),
    with_hierarchy: bool = False,
    max_lines_per_customer: int = 8,
    start: dt.date = DEFAULT_START,
    months: int = DEFAULT_MONTHS,
    exact: bool = True,
) -> st.SearchStrategy[Dataset]:
    """A valid :class:`Dataset` whose customers go through every kind of movement over time.

    See the module docstring for how histories are built and what ``exact`` guarantees.

    Args:
        min_customers: fewest customers (some may have no contract).
        max_customers: most customers.
        currencies: contract currencies to draw from; every plan is offered in each of them.
        with_hierarchy: give some customers a parent (an earlier customer: acyclic, any depth).
        max_lines_per_customer: at most this many contract lines per customer (at least 1).
        start: first day a line may start.
        months: lines start before ``start + months`` (ends may be later).
        exact: every line's MRR terminates (see the module docstring).
    """
    if not 0 <= min_customers <= max_customers:
        raise ValueError("need 0 <= min_customers <= max_customers")
    if not currencies or max_lines_per_customer < 1 or months < 1:
        raise ValueError("need a currency, max_lines_per_customer >= 1 and months >= 1")
    codes = tuple(Money.of(0, code).currency for code in currencies)
    return _dataset(min_customers, max_customers, codes, with_hierarchy, max_lines_per_customer,
                    start, months, exact)


def snapshot_days(
    start: dt.date = DEFAULT_START, months: int = DEFAULT_MONTHS, margin_days: int = 45
) -> st.SearchStrategy[dt.date]:
    """A date from ``margin_days`` before ``start`` to ``margin_days`` after ``start + months``,
    often a month end or a first of month.
    """
    first = start - dt.timedelta(days=margin_days)
    last = start + relativedelta(months=months) + dt.timedelta(days=margin_days)
    any_day = st.dates(first, last)
    month_edges = st.integers(-2, months + 1).flatmap(lambda m: st.sampled_from((
        start + relativedelta(months=m), start + relativedelta(months=m + 1) - dt.timedelta(days=1))))
    return month_edges | any_day


def change_days(dataset: Dataset) -> tuple[dt.date, ...]:
    """Every day on which some line starts, ends or loses its discount, sorted."""
    days = set()
    for ref in dataset.lines:
        days.add(ref.line.start)
        for day in (ref.line.end, ref.line.discount_end):
            if day is not None:
                days.add(day)
    return tuple(sorted(days))


def days_around(
    dataset: Dataset, start: dt.date = DEFAULT_START, months: int = DEFAULT_MONTHS
) -> st.SearchStrategy[dt.date]:
    """A day that is interesting for ``dataset``: a change day, the day before one, or any day
    from :func:`snapshot_days`.
    """
    days = change_days(dataset)
    options = [snapshot_days(start, months)]
    if days:
        edges = st.sampled_from(days)
        options += [edges, edges.map(lambda d: d - dt.timedelta(days=1))]
    return st.one_of(options)


# -- transformations ---------------------------------------------------------------------------


def _shuffled(items: Sequence[T], rnd: random.Random) -> list[T]:
    out = list(items)
    rnd.shuffle(out)
    return out


def shuffled_dataset(dataset: Dataset, rnd: random.Random) -> Dataset:
    """The same records in another order: customers, products, plans, contracts and the lines of
    each contract are shuffled with ``rnd`` (use ``st.randoms()``).
    """
    contracts_ = [c.replace(lines=tuple(_shuffled(c.lines, rnd))) for c in dataset.contracts]
    return Dataset(customers=_shuffled(dataset.customers, rnd),
                   products=_shuffled(dataset.products, rnd),
                   plans=_shuffled(dataset.plans, rnd),
                   contracts=_shuffled(contracts_, rnd))


def split_line(dataset: Dataset, line_id: str, q1: int) -> Dataset:
    """Replace line ``line_id`` (quantity ``q``) by two lines of the same plan, price, discount
    and dates with quantities ``q1`` and ``q - q1``; the second is ``<line_id>~split``.

    Raises:
        ValueError: ``q1`` is not within ``0..q``.
    """
    ref = dataset.line(line_id)
    quantity = ref.line.quantity
    if not 0 <= q1 <= quantity:
        raise ValueError(f"q1 must be within 0..{quantity}, got {q1}")
    taken = {r.line.id for r in dataset.lines}
    new_id = f"{line_id}~split"
    while new_id in taken:
        new_id += "~"
    first = ref.line.replace(quantity=q1)
    second = ref.line.replace(id=new_id, quantity=quantity - q1)
    new_contracts = []
    for contract in dataset.contracts:
        if contract.id == ref.contract.id:
            lines: list[ContractLine] = []
            for line in contract.lines:
                lines += [first, second] if line.id == line_id else [line]
            contract = contract.replace(lines=tuple(lines))
        new_contracts.append(contract)
    return Dataset(customers=dataset.customers, products=dataset.products, plans=dataset.plans,
                   contracts=new_contracts)


def scale_prices(dataset: Dataset, k: Decimal | int) -> Dataset:
    """Every plan price and negotiated ``unit_price`` times ``k`` (``k >= 0``, exact)."""
    factor = Decimal(k)
    new_plans = [plan.replace(price=plan.price * factor) for plan in dataset.plans]
    new_contracts = [
        contract.replace(lines=tuple(
            line if line.unit_price is None else line.replace(unit_price=line.unit_price * factor)
            for line in contract.lines))
        for contract in dataset.contracts]
    return Dataset(customers=dataset.customers, products=dataset.products, plans=new_plans,
                   contracts=new_contracts)


def scale_factors() -> st.SearchStrategy[Decimal]:
    """A price scale ``k``: a whole number 0-20 or a 2-decimal number in (0, 10] (both keep
    :func:`datasets` ``exact=True`` data exact).
    """
    return st.integers(0, 20).map(Decimal) | st.integers(1, 1000).map(lambda n: Decimal(n) * _CENT)


# -- FX ----------------------------------------------------------------------------------------


@st.composite
def _fx(
    draw: st.DrawFn, dataset: Dataset, target: str | None, varying: bool,
    first: dt.date | None, last: dt.date | None, margin_months: int,
) -> FxRates:
    found = sorted(dataset.currencies())
    chosen = target if target is not None else (draw(st.sampled_from(found)) if found else "USD")
    days = change_days(dataset) or (DEFAULT_START,)
    low = first if first is not None else days[0].replace(day=1) - relativedelta(months=margin_months)
    high = last if last is not None else days[-1] + relativedelta(months=margin_months)
    rates: dict[str, dict[dt.date, Decimal]] = {}
    for code in found:
        if code == chosen:
            continue
        # Four decimal places, like published rates ("1.0825"): finite, so conversions are exact.
        # The first rate is drawn; later months move from it by a random walk from a drawn seed:
        # one draw instead of one per month. Seed 0 (where shrinking heads) keeps the rate flat.
        rate = draw(st.integers(2_000, 30_000))
        seed = draw(st.integers(0, 2**32 - 1)) if varying else 0
        walk = random.Random(seed)
        by_day: dict[dt.date, Decimal] = {}
        day = low
        while day <= high:
            by_day[day] = Decimal(rate).scaleb(-4)
            if not varying:
                break
            day += relativedelta(months=1)
            if seed and walk.random() < 0.8:
                rate = min(30_000, max(2_000, rate + walk.randint(-500, 500)))
        rates[code] = by_day
    return FxRates(target=chosen, rates=rates)


def fx_rates_for(
    dataset: Dataset,
    *,
    target: str | None = None,
    varying: bool = True,
    first: dt.date | None = None,
    last: dt.date | None = None,
    margin_months: int = 2,
) -> st.SearchStrategy[FxRates]:
    """Rates into ``target`` for every currency of ``dataset``, monthly from ``first`` to ``last``.

    Args:
        dataset: the data to cover.
        target: the reporting currency (default: one of the dataset's, or USD if it has none).
        varying: a new rate every month (``False``: one constant rate per currency).
        first: first rate date (default: the first of the month of the dataset's first change day,
            minus ``margin_months``).
        last: no rate after this date (default: the last change day plus ``margin_months``); the
            last rate stays in force afterwards.
        margin_months: see ``first`` and ``last``.

    Rates are 0.2000-3.0000 with four decimal places. Each currency's first rate is drawn; the
    following months move by a random walk seeded by one drawn number (seed 0, where shrinking
    heads, keeps the rate flat), which keeps generation fast.
    """
    return _fx(dataset, target, varying, first, last, margin_months)


# -- what a dataset exercises ------------------------------------------------------------------

#: The features :func:`dataset_features` can report.
FEATURES: tuple[str, ...] = (
    "new", "upsell", "downgrade", "seats_up", "seats_down", "price_increase", "price_decrease",
    "discount_added", "discount_removed", "discount_expiry", "renewal", "cross_sell", "add_on",
    "churn", "reactivation", "free_plan", "free_to_paid", "full_discount", "zero_quantity",
    "negotiated_price", "mid_month", "open_ended", "hierarchy", "multi_currency", "two_contracts",
    "no_contract",
)


def dataset_features(dataset: Dataset) -> frozenset[str]:
    """Which movements and edge cases ``dataset`` contains, read from its lines (see
    :data:`FEATURES`). Changes are detected per customer and product between a line and the line
    starting the day it ends; ``reactivation`` is a product line starting after a gap.
    """
    found: set[str] = set()
    by_track: dict[tuple[str, str], list[ContractLine]] = defaultdict(list)
    products_of: dict[str, set[str]] = defaultdict(set)
    contracts_of: dict[str, int] = defaultdict(int)
    for contract in dataset.contracts:
        contracts_of[contract.customer_id] += 1
    if len(dataset.currencies()) > 1:
        found.add("multi_currency")
    if any(n > 1 for n in contracts_of.values()):
        found.add("two_contracts")
    if any(c.id not in contracts_of for c in dataset.customers):
        found.add("no_contract")
    if any(c.parent_id is not None for c in dataset.customers):
        found.add("hierarchy")
    if dataset.lines:
        found.add("new")
    for ref in dataset.lines:
        line = ref.line
        by_track[(ref.customer.id, ref.product.id)].append(line)
        if ref.product.kind is ProductKind.CORE:
            products_of[ref.customer.id].add(ref.product.id)
        else:
            found.add("add_on")
        if ref.plan.price.amount == 0:
            found.add("free_plan")
        if line.discount == 1:
            found.add("full_discount")
        if line.quantity == 0:
            found.add("zero_quantity")
        if line.unit_price is not None:
            found.add("negotiated_price")
        if line.discount_end is not None and (line.end is None or line.discount_end < line.end):
            found.add("discount_expiry")
        if line.start.day != 1:
            found.add("mid_month")
        if line.end is None:
            found.add("open_ended")
    if any(len(p) > 1 for p in products_of.values()):
        found.add("cross_sell")
    plans = {plan.id: plan for plan in dataset.plans}
    for lines in by_track.values():
        lines.sort(key=lambda line: line.start)
        for before, after in pairwise(lines):
            if before.end is not None and before.end < after.start:
                found.update(("churn", "reactivation"))
            if before.end != after.start:
                continue
            old, new = plans[before.plan_id], plans[after.plan_id]
            old_price = (before.unit_price or old.price).amount
            new_price = (after.unit_price or new.price).amount
            same = True
            if new.tier != old.tier:
                found.add("upsell" if new.tier > old.tier else "downgrade")
                if old.price.amount == 0 and new.price.amount > 0:
                    found.add("free_to_paid")
                same = False
            elif new_price != old_price:
                found.add("price_increase" if new_price > old_price else "price_decrease")
                same = False
            if after.quantity != before.quantity:
                found.add("seats_up" if after.quantity > before.quantity else "seats_down")
                same = False
            if after.discount != before.discount:
                found.add("discount_added" if after.discount > before.discount else "discount_removed")
                same = False
            if same:
                found.add("renewal")
        if lines[-1].end is not None:
            found.add("churn")
    return frozenset(found)

"""Generate the bundled example data: a small B2B SaaS business, 2023-01-01 to 2024-12-31.

Writes ``expansion_revenue/examples/saas_lines.csv`` (the flat contract-line shape) and
``expansion_revenue/examples/fx_rates.csv`` (EUR -> USD, one rate per month). The output is
deterministic (hand-written stories plus seeded filler) and committed; run again after editing
this script, and ``--check`` verifies the committed files are up to date.

The business sells three core products (Analytics with a free tier, CRM, Helpdesk), each on three
or more tiers, and three add-ons (Extra storage, SSO, AI assistant), billed monthly, quarterly or
annually, in USD and EUR. About sixty customers in three segments and three regions. Every kind of
movement the library classifies appears at least once in a named customer's story below; each
change is the old line ending and a new line starting on the same day (end dates are exclusive).

Usage::

    python scripts/make_example_data.py          # rewrite the files
    python scripts/make_example_data.py --check  # exit 1 if they differ from this script's output
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import random
import sys
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "expansion_revenue" / "examples"
SEED = 20230101
START = datetime.date(2023, 1, 1)
HORIZON = datetime.date(2024, 12, 31)

HEADER = (
    "customer_id", "customer_name", "parent_id", "segment", "region", "contract_id", "line_id",
    "product_id", "product_name", "product_kind", "product_family", "plan_id", "plan_name",
    "plan_tier", "quantity", "unit_price", "currency", "interval_count", "interval_unit",
    "discount", "discount_end_date", "start_date", "end_date",
)

# product id -> (name, kind, family)
PRODUCTS = {
    "analytics": ("Analytics", "core", ""),
    "crm": ("CRM", "core", ""),
    "helpdesk": ("Helpdesk", "core", ""),
    "storage": ("Extra storage", "add_on", "capacity"),
    "sso": ("SSO", "add_on", "feature"),
    "ai": ("AI assistant", "add_on", "feature"),
}


@dataclass(frozen=True)
class PlanSpec:
    """A plan of the catalogue with its list price per unit per interval in each currency."""

    plan_id: str
    product_id: str
    name: str
    tier: int
    count: int
    unit: str
    usd: str
    eur: str


PLANS = {plan.plan_id: plan for plan in (
    PlanSpec("analytics-free", "analytics", "Analytics Free", 0, 1, "month", "0", "0"),
    PlanSpec("analytics-starter", "analytics", "Analytics Starter", 1, 1, "month", "29", "27"),
    PlanSpec("analytics-pro", "analytics", "Analytics Pro", 2, 1, "month", "59", "55"),
    PlanSpec("analytics-enterprise", "analytics", "Analytics Enterprise", 3, 1, "year", "1188", "1104"),
    PlanSpec("crm-starter", "crm", "CRM Starter", 1, 1, "month", "25", "23"),
    PlanSpec("crm-pro", "crm", "CRM Pro", 2, 1, "year", "600", "564"),
    PlanSpec("crm-enterprise", "crm", "CRM Enterprise", 3, 1, "year", "1200", "1116"),
    PlanSpec("helpdesk-starter", "helpdesk", "Helpdesk Starter", 1, 1, "month", "15", "14"),
    PlanSpec("helpdesk-pro", "helpdesk", "Helpdesk Pro", 2, 1, "month", "35", "32"),
    PlanSpec("helpdesk-enterprise", "helpdesk", "Helpdesk Enterprise", 3, 3, "month", "210", "195"),
    PlanSpec("storage-100gb", "storage", "Extra storage 100 GB", 1, 1, "month", "10", "9"),
    PlanSpec("sso", "sso", "SSO", 1, 1, "month", "100", "92"),
    PlanSpec("ai-assistant", "ai", "AI assistant", 1, 1, "month", "20", "18"),
)}
CORE_PLANS = {product: [p for p in PLANS.values() if p.product_id == product and p.tier > 0]
              for product in ("analytics", "crm", "helpdesk")}

#: EUR -> USD in force from 2022-12-01, so that a bridge opening on 2022-12-31 (the period
#: "2023-01" onwards) can value EUR movements at its opening rate.
EUR_USD_OPENING = "1.0589"

#: EUR -> USD, the rate in force from the first of each month (ECB-like monthly averages).
EUR_USD = (
    "1.0785", "1.0711", "1.0713", "1.0968", "1.0867", "1.0845", "1.1063", "1.0904", "1.0684",
    "1.0566", "1.0808", "1.0903", "1.0905", "1.0795", "1.0872", "1.0728", "1.0812", "1.0759",
    "1.0844", "1.1012", "1.1106", "1.0904", "1.0630", "1.0479",
)


@dataclass
class Customer:
    """A customer and its attributes."""

    customer_id: str
    name: str
    segment: str
    region: str
    parent_id: str = ""


@dataclass(frozen=True)
class Line:
    """One contract line as it will be written."""

    contract_id: str
    line_id: str
    plan: PlanSpec
    quantity: int
    unit_price: str
    currency: str
    start: datetime.date
    end: datetime.date | None = None
    discount: str = ""
    discount_end: datetime.date | None = None
    order: tuple[int, int, int] = (0, 0, 0)  # customer, contract and line number, for sorting


@dataclass
class Contract:
    """A contract of one customer in one currency; numbers its lines."""

    contract_id: str
    customer: Customer
    currency: str
    number: tuple[int, int]
    lines: int = 0


@dataclass
class Book:
    """Every customer, contract and line, in the order they were written."""

    customers: dict[str, Customer] = field(default_factory=dict)
    contracts: dict[str, int] = field(default_factory=dict)
    lines: list[tuple[Customer, Line]] = field(default_factory=list)
    open: dict[str, tuple[Customer, Line]] = field(default_factory=dict)
    contract_of: dict[str, Contract] = field(default_factory=dict)

    def customer(self, customer_id: str, name: str, segment: str, region: str,
                 parent_id: str = "") -> Customer:
        """Add a customer."""
        customer = Customer(customer_id, name, segment, region, parent_id)
        self.customers[customer_id] = customer
        return customer

    def contract(self, customer: Customer, currency: str = "USD") -> Contract:
        """Open a new contract for ``customer``."""
        number = self.contracts.get(customer.customer_id, 0) + 1
        self.contracts[customer.customer_id] = number
        customer_number = list(self.customers).index(customer.customer_id)
        return Contract(f"{customer.customer_id}-k{number}", customer, currency,
                        (customer_number, number))

    def sell(self, contract: Contract, plan_id: str, quantity: int, start: str | datetime.date,
             unit_price: str | None = None, discount: str = "",
             discount_end: str | None = None) -> str:
        """Start a line on ``contract`` at list price unless ``unit_price``; return its id."""
        plan = PLANS[plan_id]
        contract.lines += 1
        line = Line(contract.contract_id, f"{contract.contract_id}-l{contract.lines}", plan, quantity,
                    unit_price or (plan.usd if contract.currency == "USD" else plan.eur),
                    contract.currency, _day(start), None, discount,
                    _day(discount_end) if discount_end else None, (*contract.number, contract.lines))
        self.open[line.line_id] = (contract.customer, line)
        self.contract_of[line.line_id] = contract
        return line.line_id

    def change(self, line_id: str, day: str | datetime.date, *, plan_id: str | None = None,
               quantity: int | None = None, unit_price: str | None = None,
               discount: str | None = None, discount_end: str | None = None) -> str:
        """End ``line_id`` on ``day`` and start its successor with the changes; return its id."""
        old = self.open[line_id][1]
        when = _day(day)
        self.end(line_id, when)
        contract = self.contract_of[line_id]
        plan = PLANS[plan_id] if plan_id else old.plan
        if unit_price is None:
            unit_price = (old.unit_price if plan is old.plan
                          else plan.usd if contract.currency == "USD" else plan.eur)
        keep_discount = old.discount_end is None or old.discount_end > when
        return self.sell(
            contract, plan.plan_id, old.quantity if quantity is None else quantity, when, unit_price,
            discount if discount is not None else (old.discount if keep_discount else ""),
            discount_end if discount is not None else (
                old.discount_end.isoformat() if keep_discount and old.discount_end else None))

    def end(self, line_id: str, day: str | datetime.date) -> None:
        """End ``line_id`` on ``day`` (exclusive)."""
        customer, line = self.open.pop(line_id)
        self.lines.append((customer, replace(line, end=_day(day))))

    def churn(self, customer: Customer, day: str | datetime.date) -> None:
        """End every open line of ``customer`` on ``day``."""
        for line_id, (owner, _line) in list(self.open.items()):
            if owner is customer:
                self.end(line_id, day)

    def rows(self) -> list[tuple[str, ...]]:
        """Every line as a CSV row, by customer, contract and line number."""
        every = self.lines + list(self.open.values())
        every.sort(key=lambda item: item[1].order)
        out: list[tuple[str, ...]] = []
        for customer, line in every:
            plan = line.plan
            name, kind, family = PRODUCTS[plan.product_id]
            out.append((
                customer.customer_id, customer.name, customer.parent_id, customer.segment,
                customer.region, line.contract_id, line.line_id, plan.product_id, name, kind, family,
                plan.plan_id, plan.name, str(plan.tier), str(line.quantity), line.unit_price,
                line.currency, str(plan.count), plan.unit, line.discount,
                line.discount_end.isoformat() if line.discount_end else "", line.start.isoformat(),
                line.end.isoformat() if line.end else "",
            ))
        return out


def _day(value: str | datetime.date) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def stories(book: Book) -> None:
    """The named customers: each shows one kind of movement (some several)."""
    # new: a customer that arrives mid-month in the window.
    northwind = book.customer("northwind", "Northwind Traders", "mid_market", "na")
    book.sell(book.contract(northwind), "crm-pro", 15, "2023-04-17")

    # upsell (tier up): Analytics Starter -> Analytics Pro, same seats, mid-month.
    acme = book.customer("acme", "Acme Corp", "mid_market", "na")
    line = book.sell(book.contract(acme), "analytics-starter", 12, "2023-01-01")
    book.change(line, "2023-06-15", plan_id="analytics-pro")

    # downgrade (tier down): Helpdesk Pro -> Helpdesk Starter.
    globex = book.customer("globex", "Globex", "smb", "na")
    line = book.sell(book.contract(globex), "helpdesk-pro", 8, "2023-01-01")
    book.change(line, "2024-02-01", plan_id="helpdesk-starter")

    # cross-sell: a CRM customer buys a second core product, Analytics.
    initech = book.customer("initech", "Initech", "mid_market", "na")
    contract = book.contract(initech)
    book.sell(contract, "crm-pro", 10, "2023-01-01")
    book.sell(contract, "analytics-starter", 5, "2023-09-12")

    # add-on purchase: SSO, then extra storage packs.
    umbrella = book.customer("umbrella", "Umbrella Corporation", "enterprise", "na")
    contract = book.contract(umbrella)
    book.sell(contract, "helpdesk-pro", 20, "2023-01-01")
    book.sell(contract, "sso", 1, "2023-05-01")
    book.sell(contract, "storage-100gb", 3, "2023-10-01")

    # add-on removal: the AI assistant is dropped, Analytics stays.
    hooli = book.customer("hooli", "Hooli", "mid_market", "na")
    contract = book.contract(hooli)
    book.sell(contract, "analytics-pro", 15, "2023-02-01")
    ai = book.sell(contract, "ai-assistant", 15, "2023-02-01")
    book.end(ai, "2024-04-01")

    # seats up (mid-month), then more seats again at the next renewal.
    stark = book.customer("stark", "Stark Industries", "enterprise", "na")
    line = book.sell(book.contract(stark), "crm-starter", 20, "2023-01-01")
    line = book.change(line, "2023-08-10", quantity=35)
    book.change(line, "2024-08-10", quantity=42)

    # seats down.
    wayne = book.customer("wayne", "Wayne Enterprises", "enterprise", "na")
    line = book.sell(book.contract(wayne), "analytics-pro", 15, "2023-01-01")
    book.change(line, "2024-03-01", quantity=9)

    # price rise at renewal: same plan, same seats, unit price 600 -> 660.
    wonka = book.customer("wonka", "Wonka Industries", "mid_market", "emea")
    line = book.sell(book.contract(wonka), "crm-pro", 10, "2023-01-01")
    book.change(line, "2024-01-01", unit_price="660")

    # discount expiry: a 20% first-half-year discount that ends on 2023-07-01.
    soylent = book.customer("soylent", "Soylent", "smb", "na")
    book.sell(book.contract(soylent), "analytics-pro", 10, "2023-01-01", discount="0.2",
              discount_end="2023-07-01")

    # discount added: a 15% retention discount from 2024-05-01 (quarterly billing, in EUR).
    tyrell = book.customer("tyrell", "Tyrell Corporation", "enterprise", "emea")
    line = book.sell(book.contract(tyrell, "EUR"), "helpdesk-enterprise", 6, "2023-01-01")
    book.change(line, "2024-05-01", discount="0.15")

    # churn: every line ends.
    cyberdyne = book.customer("cyberdyne", "Cyberdyne Systems", "smb", "na")
    book.sell(book.contract(cyberdyne), "crm-starter", 8, "2023-01-01")
    book.churn(cyberdyne, "2023-11-01")

    # reactivation: churns 2023-06-01, comes back mid-January 2024 on a new contract.
    oscorp = book.customer("oscorp", "Oscorp", "smb", "na")
    book.sell(book.contract(oscorp), "helpdesk-starter", 5, "2023-01-01")
    book.churn(oscorp, "2023-06-01")
    book.sell(book.contract(oscorp), "helpdesk-pro", 5, "2024-01-15")

    # free-to-paid: the free Analytics tier, then Analytics Starter.
    pied_piper = book.customer("pied-piper", "Pied Piper", "smb", "na")
    line = book.sell(book.contract(pied_piper), "analytics-free", 5, "2023-02-01")
    book.change(line, "2023-08-01", plan_id="analytics-starter")

    # parent account with three subsidiaries: Asia churns while Europe (EUR) grows.
    massive = book.customer("massive", "Massive Dynamic", "enterprise", "na")
    book.sell(book.contract(massive), "crm-enterprise", 20, "2023-01-01")
    europe = book.customer("massive-eu", "Massive Dynamic Europe", "enterprise", "emea", "massive")
    line = book.sell(book.contract(europe, "EUR"), "analytics-pro", 10, "2023-03-01")
    book.change(line, "2024-03-15", quantity=25)
    asia = book.customer("massive-apac", "Massive Dynamic Asia", "enterprise", "apac", "massive")
    book.sell(book.contract(asia), "helpdesk-pro", 12, "2023-01-01")
    book.churn(asia, "2024-06-01")
    us = book.customer("massive-us", "Massive Dynamic US", "enterprise", "na", "massive")
    book.sell(book.contract(us), "crm-starter", 30, "2023-06-01")

    # euro customers: one on an annual enterprise plan with a negotiated price, one quarterly.
    vandelay = book.customer("vandelay", "Vandelay Industries", "mid_market", "emea")
    book.sell(book.contract(vandelay, "EUR"), "analytics-enterprise", 8, "2023-03-20", unit_price="1050")
    bluth = book.customer("bluth", "Bluth Company", "smb", "emea")
    contract = book.contract(bluth, "EUR")
    line = book.sell(contract, "helpdesk-starter", 6, "2023-05-01")
    book.change(line, "2024-05-01", plan_id="helpdesk-enterprise")


FILLER_NAMES = (
    "Blue Harbor Logistics", "Copperleaf Foods", "Driftwood Media", "Evergreen Clinics",
    "Foxglove Studios", "Granite Peak Capital", "Harborview Legal", "Ironbridge Manufacturing",
    "Juniper Health", "Keystone Freight", "Lakeshore Realty", "Maplewood Schools", "Northstar Energy",
    "Oakridge Insurance", "Pinecrest Hotels", "Quarry Lane Books", "Redwood Robotics",
    "Silverline Telecom", "Timberline Outdoors", "Umberfield Farms", "Vantage Point Analytics",
    "Willowbrook Dental", "Yellowstone Travel", "Zephyr Aviation", "Amberly Fashion",
    "Brightwater Labs", "Cedar & Stone Architects", "Dunmore Breweries", "Eastgate Pharmacy",
    "Fairhaven Marine", "Goldcrest Security", "Highland Textiles", "Ivory Tower Publishing",
    "Jadeview Optics", "Kingsbridge Rail", "Larkspur Events", "Meridian Payroll", "Nightingale Care",
    "Orchard Street Bakery", "Peregrine Drones",
)
SEGMENTS = (("smb", 5, (2, 10)), ("mid_market", 3, (8, 30)), ("enterprise", 1, (25, 80)))


def filler(book: Book, rng: random.Random) -> None:
    """Forty more customers with seeded random starts, seat changes, upgrades and churn."""
    for number, name in enumerate(FILLER_NAMES, start=1):
        segment, _, seats = rng.choices(SEGMENTS, weights=[s[1] for s in SEGMENTS])[0]
        region = rng.choices(("na", "emea", "apac"), weights=(5, 3, 2))[0]
        customer = book.customer(f"c{number:03d}", name, segment, region)
        currency = "EUR" if region == "emea" and rng.random() < 0.7 else "USD"
        contract = book.contract(customer, currency)
        start = (START if rng.random() < 0.3
                 else START + datetime.timedelta(days=rng.randint(0, 640)))
        product = rng.choice(tuple(CORE_PLANS))
        plan = rng.choices(CORE_PLANS[product], weights=(5, 3, 1))[0]
        line = book.sell(contract, plan.plan_id, rng.randint(*seats), start)
        day = start
        for _ in range(rng.randint(0, 3)):
            day += datetime.timedelta(days=rng.randint(60, 300))
            if day > HORIZON:
                break
            event = rng.choices(("seats", "upgrade", "churn"), weights=(5, 2, 1))[0]
            current = book.open[line][1]
            if event == "churn":
                book.churn(customer, day)
                break
            if event == "upgrade" and current.plan.tier < 3:
                higher = next(p for p in CORE_PLANS[product] if p.tier == current.plan.tier + 1)
                line = book.change(line, day, plan_id=higher.plan_id)
            else:
                change = rng.choice((-1, 1, 1, 2)) * max(1, current.quantity // 5)
                quantity = max(1, current.quantity + change)
                if quantity != current.quantity:
                    line = book.change(line, day, quantity=quantity)


def example_files() -> dict[str, str]:
    """The text of each bundled file."""
    book = Book()
    stories(book)
    filler(book, random.Random(SEED))
    lines = io.StringIO()
    writer = csv.writer(lines, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(book.rows())
    rates = io.StringIO()
    writer = csv.writer(rates, lineterminator="\n")
    writer.writerow(("currency", "date", "rate"))
    writer.writerow(("EUR", "2022-12-01", EUR_USD_OPENING))
    for month, rate in enumerate(EUR_USD):
        day = datetime.date(2023 + month // 12, month % 12 + 1, 1)
        writer.writerow(("EUR", day.isoformat(), str(Decimal(rate))))
    return {"saas_lines.csv": lines.getvalue(), "fx_rates.csv": rates.getvalue()}


def main(argv: list[str] | None = None) -> int:
    """Write the files, or with ``--check`` compare them with the committed ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name, text in example_files().items():
        path = OUT / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({text.count(chr(10)) - 1} rows)")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python scripts/make_example_data.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

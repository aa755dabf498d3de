"""Seeded generator of realistic subscription datasets in the library's flat CSV format.

Each customer lives a small story between 2021 and 2024: it arrives (a fifth of them before 2022,
so the bridges start from an installed base, the rest at a growing rate over 2022-2024) on one
core product, then, at random mid-month dates, upgrades or downgrades a tier, adds or removes
seats, cross-sells a second core product, buys or drops add-ons, gets a price rise, and may churn
(every line ends) and later come back on a new contract (a reactivation). Every change is the old
line ending and a new line starting on the same day, as the library models it.

Prices are chosen so that MRR is a terminating decimal and an SQL computation agrees with the
library to the cent: monthly unit prices have two decimals, annual unit prices are twelve times a
monthly price, discounts have at most two decimals. One currency (USD).

Usage::

    python benchmarks/generate.py --customers 100000 --seed 7 --out benchmarks/data/flat_100000.csv
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

__all__ = ["HEADER", "generate", "main"]

HEADER = (
    "customer_id,contract_id,line_id,product_id,product_kind,plan_id,plan_tier,quantity,unit_price,"
    "currency,interval_count,interval_unit,discount,start_date,end_date,discount_end_date"
)

#: Monthly list price per seat, in cents, of tiers 1..3 of each core product.
CORE_PRICES: dict[str, tuple[int, int, int]] = {
    "crm": (1900, 4900, 9900),
    "analytics": (2900, 6900, 14900),
    "helpdesk": (1500, 3500, 7900),
}
#: Monthly list price per unit, in cents, of each add-on (a single tier).
ADD_ON_PRICES: dict[str, int] = {"storage": 500, "sso": 2500}
CORE_PRODUCTS = tuple(CORE_PRICES)
ADD_ON_PRODUCTS = tuple(ADD_ON_PRICES)

HISTORY_START = datetime.date(2021, 1, 1).toordinal()
BRIDGE_START = datetime.date(2022, 1, 1).toordinal()
HORIZON = datetime.date(2024, 12, 31).toordinal()

PRE_EXISTING_SHARE = 0.2
ANNUAL_SHARE = 0.3
MEAN_DAYS_BETWEEN_EVENTS = 210.0
REACTIVATION_SHARE = 0.3
DISCOUNTS = ("0.1", "0.15", "0.2", "0.25", "0.3", "0.5")
PRICE_RISES = (3, 5, 8, 10)  # percent

_DATE_TEXT: dict[int, str] = {}


def iso(day: int) -> str:
    """The ISO text of a proleptic ordinal day, cached (date formatting dominates otherwise)."""
    text = _DATE_TEXT.get(day)
    if text is None:
        text = _DATE_TEXT[day] = datetime.date.fromordinal(day).isoformat()
    return text


def cents_text(cents: int) -> str:
    """``1234`` -> ``'12.34'``: an exact two-decimal price."""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(frozen=True, slots=True)
class Slot:
    """One open contract line: what is sold, at what terms, since when."""

    line_id: str
    product: str
    add_on: bool
    tier: int
    annual: bool
    quantity: int
    monthly_cents: int  # per unit; an annual line's unit price is 12 x this
    discount: str  # "" = none
    discount_end: int | None
    start: int


class CustomerWriter:
    """Builds one customer's lines and appends them, as CSV text, to a shared buffer."""

    def __init__(self, rng: random.Random, out: list[str]) -> None:
        self.rng = rng
        self.out = out
        self.customer = ""
        self.contract = ""
        self.lines = 0

    def _line_id(self) -> str:
        self.lines += 1
        return f"{self.customer}-l{self.lines}"

    def _discount(self, start: int) -> tuple[str, int | None]:
        """A quarter of new lines get a discount; most discounts are promotions that expire."""
        rng = self.rng
        if rng.random() >= 0.25:
            return "", None
        discount = rng.choice(DISCOUNTS)
        return discount, (start + rng.randint(60, 400) if rng.random() < 0.6 else None)

    def new_core(self, start: int, product: str, annual: bool | None = None) -> Slot:
        """A new core line at a random tier and seat count, at list price."""
        rng = self.rng
        tier = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        if annual is None:
            annual = rng.random() < ANNUAL_SHARE
        quantity = 1 + int(rng.expovariate(1 / 8))
        discount, discount_end = self._discount(start)
        return Slot(self._line_id(), product, False, tier, annual, quantity,
                    CORE_PRICES[product][tier - 1], discount, discount_end, start)

    def new_add_on(self, start: int, product: str, annual: bool) -> Slot:
        """A new add-on line (storage packs or an SSO seat bundle)."""
        quantity = self.rng.randint(1, 20) if product == "storage" else 1
        return Slot(self._line_id(), product, True, 1, annual, quantity, ADD_ON_PRICES[product],
                    "", None, start)

    def successor(self, slot: Slot, day: int, *, tier: int | None = None, quantity: int | None = None,
                  monthly_cents: int | None = None) -> Slot:
        """The line replacing ``slot`` from ``day``; an unexpired discount carries over."""
        keep = slot.discount_end is None or slot.discount_end > day
        return replace(
            slot, line_id=self._line_id(), start=day,
            tier=slot.tier if tier is None else tier,
            quantity=slot.quantity if quantity is None else quantity,
            monthly_cents=slot.monthly_cents if monthly_cents is None else monthly_cents,
            discount=slot.discount if keep else "",
            discount_end=slot.discount_end if keep else None,
        )

    def close(self, slot: Slot, end: int | None) -> None:
        """Write ``slot`` as one CSV row ending on ``end`` (``None``: open-ended)."""
        kind = "add_on" if slot.add_on else "core"
        suffix = "y" if slot.annual else "m"
        plan = f"{slot.product}-{suffix}" if slot.add_on else f"{slot.product}-t{slot.tier}-{suffix}"
        price = slot.monthly_cents * 12 if slot.annual else slot.monthly_cents
        discount_end = slot.discount_end
        self.out.append(
            f"{self.customer},{self.contract},{slot.line_id},{slot.product},{kind},{plan},{slot.tier},"
            f"{slot.quantity},{cents_text(price)},USD,1,{'year' if slot.annual else 'month'},"
            f"{slot.discount},{iso(slot.start)},{'' if end is None else iso(end)},"
            f"{'' if discount_end is None else iso(discount_end)}\n"
        )

    def write_customer(self, index: int) -> None:
        """Simulate customer ``index`` from arrival to churn or the horizon."""
        rng = self.rng
        self.customer, self.lines = f"c{index:07d}", 0
        day = arrival_day(rng)
        life = 0
        while True:
            life += 1
            self.contract = f"{self.customer}-k{life}"
            churn_day = self.live(day)
            if churn_day is None or rng.random() >= REACTIVATION_SHARE:
                return
            day = churn_day + rng.randint(30, 540)
            if day > HORIZON:
                return

    def live(self, day: int) -> int | None:
        """One subscription life from ``day``; returns the churn day, or ``None`` if still live."""
        rng = self.rng
        slots = [self.new_core(day, rng.choice(CORE_PRODUCTS))]
        if rng.random() < 0.15:
            slots.append(self.new_add_on(day, rng.choice(ADD_ON_PRODUCTS), slots[0].annual))
        while True:
            day += 1 + int(rng.expovariate(1 / MEAN_DAYS_BETWEEN_EVENTS))
            if day > HORIZON:
                for slot in slots:
                    self.close(slot, None)
                return None
            if self.event(slots, day):
                for slot in slots:
                    self.close(slot, day)
                return day

    def event(self, slots: list[Slot], day: int) -> bool:
        """Apply one random change to ``slots`` on ``day``; ``True`` means the customer churns."""
        rng = self.rng
        cores = [s for s in slots if not s.add_on]
        held = {s.product for s in slots}
        options: list[tuple[str, int]] = [("seats", 30), ("price", 12), ("churn", 10)]
        if any(s.tier < 3 for s in cores):
            options.append(("upgrade", 14))
        if any(s.tier > 1 for s in cores):
            options.append(("downgrade", 4))
        if not held.issuperset(CORE_PRODUCTS):
            options.append(("cross_sell", 9))
        if len(cores) > 1:
            options.append(("drop_product", 3))
        if not held.issuperset(ADD_ON_PRODUCTS):
            options.append(("add_on", 10))
        if len(cores) < len(slots):
            options.append(("remove_add_on", 4))
        kind = rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]
        if kind == "churn":
            return True
        self.change(kind, slots, cores, held, day)
        return False

    def change(self, kind: str, slots: list[Slot], cores: list[Slot], held: set[str], day: int) -> None:
        """Carry out a non-churn change ``kind`` on ``slots``."""
        rng = self.rng
        if kind in ("cross_sell", "add_on"):
            pool = CORE_PRICES if kind == "cross_sell" else ADD_ON_PRICES
            product = rng.choice([p for p in pool if p not in held])
            annual = rng.random() < ANNUAL_SHARE
            slots.append(self.new_core(day, product, annual) if kind == "cross_sell"
                         else self.new_add_on(day, product, annual))
            return
        if kind in ("drop_product", "remove_add_on"):
            victim = rng.choice(cores if kind == "drop_product" else [s for s in slots if s.add_on])
            slots.remove(victim)
            self.close(victim, day)
            return
        if kind == "upgrade":
            old = rng.choice([s for s in cores if s.tier < 3])
            new = self.successor(old, day, tier=old.tier + 1,
                                 monthly_cents=CORE_PRICES[old.product][old.tier])
        elif kind == "downgrade":
            old = rng.choice([s for s in cores if s.tier > 1])
            new = self.successor(old, day, tier=old.tier - 1,
                                 monthly_cents=CORE_PRICES[old.product][old.tier - 2])
        elif kind == "seats":
            old = rng.choice(slots)
            new = self.successor(old, day, quantity=seat_change(rng, old.quantity))
        else:  # price rise at renewal
            old = rng.choice(slots)
            rise = rng.choice(PRICE_RISES)
            new = self.successor(old, day, monthly_cents=(old.monthly_cents * (100 + rise) + 50) // 100)
        slots[slots.index(old)] = new
        self.close(old, day)


def arrival_day(rng: random.Random) -> int:
    """A customer's first day: part of an installed base in 2021, else a growing 2022-2024 intake."""
    if rng.random() < PRE_EXISTING_SHARE:
        return rng.randint(HISTORY_START, BRIDGE_START - 1)
    return BRIDGE_START + int((HORIZON - BRIDGE_START) * rng.random() ** 0.75)


def seat_change(rng: random.Random, quantity: int) -> int:
    """More seats (70%) or fewer (never below one)."""
    if quantity == 1 or rng.random() < 0.7:
        return quantity + rng.randint(1, max(1, quantity // 2))
    return quantity - rng.randint(1, max(1, quantity // 3))


def generate(customers: int, seed: int, stream: TextIO, flush_every: int = 20_000) -> int:
    """Write the header and the lines of ``customers`` customers to ``stream``; return the row count."""
    rng = random.Random(seed)
    buffer: list[str] = []
    writer = CustomerWriter(rng, buffer)
    stream.write(HEADER + "\n")
    rows = 0
    for index in range(1, customers + 1):
        writer.write_customer(index)
        if index % flush_every == 0:
            rows += len(buffer)
            stream.write("".join(buffer))
            buffer.clear()
    rows += len(buffer)
    stream.write("".join(buffer))
    return rows


def generate_file(customers: int, seed: int, out: Path) -> tuple[int, float]:
    """Generate to ``out`` atomically (a temporary file renamed); return rows and seconds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    started = time.perf_counter()
    with temporary.open("w", encoding="utf-8", newline="") as stream:
        rows = generate(customers, seed, stream)
    temporary.replace(out)
    return rows, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows, seconds = generate_file(args.customers, args.seed, args.out)
    print(f"{args.out}: {args.customers} customers, {rows} rows, {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

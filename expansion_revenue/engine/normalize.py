"""Normalization: a contract line's price, quantity and discount as monthly recurring revenue.

``line MRR = unit price x quantity x (1 - discount) x monthly factor``, where the monthly factor of
a billing interval of ``n`` units is ``1/n`` for months, ``1/(12n)`` for years, and
``weeks_per_month/n`` and ``days_per_month/n`` (policy; 52/12 and 365/12 by default) for weeks and
days. The product is computed as an exact fraction and turned into a Decimal once: exactly when
it terminates (1200/12 = 100), else rounded half-even to ``mrr_decimal_places``. That is the only
rounding in the library; everything downstream adds and subtracts these Decimals exactly.

>>> from expansion_revenue.models import Interval
>>> monthly_factor(Interval.model_validate("annual"), Policy())
Fraction(1, 12)
>>> exact_or_rounded(Fraction(1200, 12), 6), exact_or_rounded(Fraction(100, 12), 6)
(Decimal('100'), Decimal('8.333333'))
"""

from __future__ import annotations

import datetime
import decimal
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from expansion_revenue.dataset import Dataset, LineRef
from expansion_revenue.models import Interval, IntervalUnit, Plan
from expansion_revenue.money import EXACT
from expansion_revenue.policy import Policy

__all__ = ["LineTerms", "LineValues", "compile_lines", "exact_or_rounded", "line_terms", "monthly_factor",
           "monthly_value"]

_ONE = Decimal(1)
_ZERO = Decimal(0)


def monthly_factor(interval: Interval, policy: Policy) -> Fraction:
    """How many of ``interval`` fit in one month, as an exact fraction.

    >>> monthly_factor(Interval.model_validate("2 weeks"), Policy())
    Fraction(13, 6)
    """
    per_unit = {
        IntervalUnit.MONTH: Fraction(1),
        IntervalUnit.YEAR: Fraction(1, 12),
        IntervalUnit.WEEK: policy.weeks_per_month,
        IntervalUnit.DAY: policy.days_per_month,
    }[interval.unit]
    return per_unit / interval.count


def exact_or_rounded(value: Fraction, places: int) -> Decimal:
    """``value`` as a Decimal: exact when it terminates within ``places``, else rounded half-even.

    >>> exact_or_rounded(Fraction(1, 8), 2), exact_or_rounded(Fraction(-5, 1000), 2)
    (Decimal('0.12'), Decimal('0.00'))
    """
    scale = 10**places
    scaled = value * scale
    if scaled.denominator == 1:
        return EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return Decimal(round(scaled)).scaleb(-places)


def monthly_value(amount: Decimal, factor: Fraction, places: int) -> Decimal:
    """``amount x factor`` as :func:`exact_or_rounded` would give it, without fractions when exact.

    The common case (a monthly price, an annual price divisible by 12) is a plain Decimal
    division; only a non-terminating result takes the slower exact-fraction path.

    >>> monthly_value(Decimal("1200"), Fraction(1, 12), 6), monthly_value(Decimal("100"), Fraction(1, 12), 6)
    (Decimal('100'), Decimal('8.333333'))
    """
    numerator = amount if factor.numerator == 1 else EXACT.multiply(amount, Decimal(factor.numerator))
    try:
        result = numerator if factor.denominator == 1 else EXACT.divide(
            numerator, Decimal(factor.denominator))
    except (decimal.Inexact, decimal.Rounded):
        return exact_or_rounded(Fraction(numerator) / factor.denominator, places)
    exponent = result.as_tuple().exponent
    if exponent < -places:  # type: ignore[operator]
        return exact_or_rounded(Fraction(result), places)
    if exponent < 0:  # type: ignore[operator]
        result = result.normalize(EXACT)  # 225.00 -> 225, 8.50 -> 8.5
        if result.as_tuple().exponent > 0:  # type: ignore[operator]
            result = result.quantize(_ONE)  # 1E+2 -> 100
    return result


class LineTerms(NamedTuple):
    """One line reduced to what the engine needs: ids, dates and its MRR in contract currency.

    ``mrr_discounted`` applies from ``start`` until ``discount_end`` (or ``end``), ``mrr_full``
    from ``discount_end`` on. Both are already rounded once (see the module docs).
    """

    ref: LineRef
    currency: str
    start: datetime.date
    end: datetime.date | None
    discount_end: datetime.date | None
    mrr_discounted: Decimal
    mrr_full: Decimal

    def mrr_on(self, day: datetime.date) -> Decimal:
        """The line's MRR in its contract currency on ``day`` (zero when not active)."""
        if day < self.start or (self.end is not None and day >= self.end):
            return Decimal(0)
        if self.discount_end is not None and day >= self.discount_end:
            return self.mrr_full
        return self.mrr_discounted

    def changes(self) -> tuple[tuple[datetime.date, Decimal], ...]:
        """The days the line's MRR changes and by how much (contract currency, exact)."""
        out = [(self.start, self.mrr_discounted)]
        current = self.mrr_discounted
        if self.discount_end is not None and (self.end is None or self.discount_end < self.end):
            out.append((self.discount_end, EXACT.subtract(self.mrr_full, current)))
            current = self.mrr_full
        if self.end is not None:
            out.append((self.end, -current))
        return tuple(out)


def line_terms(ref: LineRef, policy: Policy) -> LineTerms:
    """Reduce one dataset line to its :class:`LineTerms` under ``policy``.

    >>> ds = Dataset(customers=[{"id": "c", "name": "C"}], products=[{"id": "p", "name": "P"}],
    ...   plans=[{"id": "y", "product_id": "p", "name": "Y", "tier": 1,
    ...           "price": {"amount": "1200", "currency": "USD"}, "interval": "annual"}],
    ...   contracts=[{"id": "k", "customer_id": "c", "currency": "USD", "lines": [
    ...       {"id": "l", "plan_id": "y", "quantity": 3, "discount": "0.25", "start": "2024-01-01"}]}])
    >>> t = line_terms(ds.lines[0], Policy())
    >>> t.mrr_discounted, t.mrr_full   # 1200 x 3 / 12 = 300; x 0.75 = 225
    (Decimal('225'), Decimal('300'))
    """
    return _line_terms(ref, policy, monthly_factor(ref.plan.interval, policy))


def _line_terms(ref: LineRef, policy: Policy, factor: Fraction) -> LineTerms:
    line, plan = ref.line, ref.plan
    price = line.unit_price.amount if line.unit_price is not None else plan.price.amount
    discounted, full = _mrr(price, line.quantity, line.discount, policy, factor)
    return LineTerms(ref, ref.contract.currency, line.start, line.end, line.discount_end,
                     discounted, full)


def _mrr(price: Decimal, quantity: int, discount: Decimal, policy: Policy,
         factor: Fraction) -> tuple[Decimal, Decimal]:
    """``(mrr_discounted, mrr_full)`` of ``quantity`` units at ``price`` per interval."""
    places = policy.mrr_decimal_places
    gross = EXACT.multiply(price, Decimal(quantity))
    full = monthly_value(gross, factor, places)
    if policy.discounts_reduce_mrr and discount:
        net = EXACT.multiply(gross, EXACT.subtract(_ONE, discount))
        return monthly_value(net, factor, places), full
    return full, full


class LineValues:
    """Each line's ``(mrr_discounted, mrr_full)`` under one policy, computed once per distinct terms.

    Lines with the same price, quantity, discount and plan share one computation (a large
    dataset has millions of lines but a few thousand distinct terms).

    >>> from expansion_revenue import load_example
    >>> ref = load_example().lines[0]
    >>> LineValues(Policy())(ref) == (line_terms(ref, Policy()).mrr_discounted,
    ...                              line_terms(ref, Policy()).mrr_full)
    True
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._with_discounts = policy.discounts_reduce_mrr
        self._factors: dict[str, Fraction] = {}
        self._values: dict[tuple[Decimal, int, Decimal, str], tuple[Decimal, Decimal]] = {}

    def __call__(self, ref: LineRef) -> tuple[Decimal, Decimal]:
        """The line's MRR while discounted and after the discount, in its contract currency."""
        line, plan = ref.line, ref.plan
        price = line.unit_price.amount if line.unit_price is not None else plan.price.amount
        return self.of(price, line.quantity, line.discount, plan)

    def of(self, price: Decimal, quantity: int, discount: Decimal,
           plan: Plan) -> tuple[Decimal, Decimal]:
        """:meth:`__call__` for a line given by its terms: ``price`` is the one it is charged."""
        key = (price, quantity, discount if self._with_discounts else _ZERO, plan.id)
        found = self._values.get(key)
        if found is None:
            factor = self._factors.get(plan.id)
            if factor is None:
                factor = self._factors[plan.id] = monthly_factor(plan.interval, self.policy)
            found = self._values[key] = _mrr(price, quantity, discount, self.policy, factor)
        return found


def compile_lines(dataset: Dataset, policy: Policy) -> tuple[LineTerms, ...]:
    """Every line of ``dataset`` as :class:`LineTerms`, in dataset order.

    >>> compile_lines(Dataset(), Policy())
    ()
    """
    values = LineValues(policy)
    out = []
    for ref in dataset.lines:
        line = ref.line
        discounted, full = values(ref)
        out.append(LineTerms(ref, ref.contract.currency, line.start, line.end, line.discount_end,
                             discounted, full))
    return tuple(out)

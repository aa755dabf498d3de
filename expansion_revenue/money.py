"""Currencies and money: exact decimal amounts that never mix currencies.

An amount is a :class:`decimal.Decimal`. Floats are accepted at the boundary only when their
shortest representation has at most 15 significant digits (so ``0.1`` means ``Decimal("0.1")``),
and rejected otherwise (``0.1 + 0.2`` is ``0.30000000000000004``: which decimal was meant is
unknowable). Arithmetic runs in :data:`EXACT`, a decimal context that raises instead of rounding,
so a sum is either exact or an error; rounding happens in exactly one place, :func:`quantize`.

>>> Money.of("19.99", "USD") * 3
Money(amount=Decimal('59.97'), currency='USD')
>>> Money.of("10", "EUR") / Money.of("4", "EUR")
Decimal('2.5')
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic_core import PydanticCustomError

from expansion_revenue.errors import CurrencyMismatchError

__all__ = [
    "EXACT",
    "ISO_4217",
    "MAX_EXPONENT",
    "MAX_INPUT_DIGITS",
    "check_input_digits",
    "Amount",
    "Currency",
    "Money",
    "NonNegativeAmount",
    "quantize",
    "to_decimal",
]

#: Decimal context for every sum, difference and product in the library. ``Inexact`` and
#: ``Rounded`` are traps: an operation that would lose a digit raises instead of rounding.
EXACT = decimal.Context(
    prec=120,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact,
           decimal.Rounded],
)

_ROUNDING = decimal.Context(prec=120, rounding=decimal.ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
                            traps=[decimal.InvalidOperation, decimal.Overflow])

#: Active ISO 4217 alphabetic codes (plus the precious-metal and test codes X..).
ISO_4217: frozenset[str] = frozenset({
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
})


def _check_currency(value: object) -> object:
    if isinstance(value, str):
        code = value.strip().upper()
        if code in ISO_4217:
            return code
        raise PydanticCustomError(
            "currency_unknown",
            "unknown currency code '{code}': expected an ISO 4217 code such as 'USD'",
            {"code": value},
        )
    raise PydanticCustomError("currency_type", "a currency code must be a string", {})


#: An ISO 4217 currency code; validated, upper-cased.
Currency = Annotated[str, BeforeValidator(_check_currency)]


#: The largest decimal exponent an amount may have, either way (``1E-1000`` to ``1E+1000`` in
#: size). Far beyond any amount, rate or ratio, it stops a value such as ``1e999999999`` from
#: turning into a billion-digit integer when the engine takes it as an exact fraction.
MAX_EXPONENT = 1000

#: Most significant digits an input price, discount or FX rate may have. Sums, products and FX
#: conversions of such inputs stay well inside :data:`EXACT`'s precision, so the engine's exact
#: arithmetic can never overflow into an error deep inside a bridge.
MAX_INPUT_DIGITS = 30


def check_input_digits(value: Decimal, field: str) -> Decimal:
    """Refuse an input amount with more than :data:`MAX_INPUT_DIGITS` significant digits.

    >>> check_input_digits(Decimal("19.99"), "price")
    Decimal('19.99')
    >>> check_input_digits(Decimal("1." + "1" * 40), "price")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.PydanticCustomError: price has 41 significant digits; ...supported
    """
    digits = len(value.as_tuple().digits)
    if digits > MAX_INPUT_DIGITS:
        raise PydanticCustomError(
            "too_many_digits", "{field} has {digits} significant digits; at most {limit} are supported",
            {"field": field, "digits": digits, "limit": MAX_INPUT_DIGITS})
    return value


def to_decimal(value: object) -> Decimal:
    """Convert a value to an exact, finite :class:`~decimal.Decimal`, or raise ``ValueError``.

    Strings, ints and Decimals convert exactly. A float converts through its shortest repr, and
    only when that repr has at most 15 significant digits (beyond that a float cannot tell which
    decimal was meant). Booleans, NaN, infinities and sizes beyond :data:`MAX_EXPONENT` are
    refused.

    >>> to_decimal(0.1), to_decimal("12.50"), to_decimal(3)
    (Decimal('0.1'), Decimal('12.50'), Decimal('3'))
    >>> to_decimal(0.1 + 0.2)
    Traceback (most recent call last):
    ...
    ValueError: float 0.30000000000000004 is not an exact decimal (more than 15 significant digits); ...
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        text = repr(value)
        result = Decimal(text)
        if result.is_finite() and len(result.as_tuple().digits) > 15:
            raise ValueError(
                f"float {text} is not an exact decimal (more than 15 significant digits); "
                "pass it as a string or Decimal"
            )
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except decimal.InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"{type(value).__name__} is not a number")
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if abs(result.adjusted()) > MAX_EXPONENT:
        if not result:
            return Decimal(0)  # 0E-999999999 is zero, but would blow up any sum it entered
        raise ValueError(f"{_shown(result)} is out of range (at most 1E+{MAX_EXPONENT} and at least "
                         f"1E-{MAX_EXPONENT} in size)")
    return result


def _shown(value: Decimal) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-12:]}"


def _amount(value: object) -> Decimal:
    try:
        return to_decimal(value)
    except ValueError as exc:
        raise PydanticCustomError("decimal_exact", "{reason}", {"reason": str(exc)}) from None


def _non_negative(value: object) -> Decimal:
    result = _amount(value)
    if result < 0:
        raise PydanticCustomError(
            "amount_negative", "must not be negative, got {value}", {"value": str(result)}
        )
    return result


_as_string = PlainSerializer(lambda d: str(d), return_type=str, when_used="json")

#: An exact, finite decimal amount (JSON: a string).
Amount = Annotated[Decimal, BeforeValidator(_amount), _as_string]
#: An exact, finite decimal amount that is zero or more (JSON: a string).
NonNegativeAmount = Annotated[Decimal, BeforeValidator(_non_negative), _as_string]


def quantize(value: Decimal, places: int) -> Decimal:
    """Round ``value`` half-even to ``places`` decimal places: the library's one rounding step.

    >>> quantize(Decimal(100) / Decimal(3), 4)
    Decimal('33.3333')
    """
    return value.quantize(Decimal(1).scaleb(-places), context=_ROUNDING)


class Money(BaseModel):
    """An exact amount of one currency.

    Same-currency ``+``, ``-``, comparisons and ``Money / Money`` (a plain ratio); ``Money * n``
    scales. Mixing currencies raises :class:`~expansion_revenue.errors.CurrencyMismatchError`.
    Every operation is exact (see :data:`EXACT`).

    Attributes:
        amount: the amount, a finite Decimal.
        currency: its ISO 4217 currency code.

    >>> price = Money.of("49", "USD")
    >>> (price * 12).amount, price.currency
    (Decimal('588'), 'USD')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Amount
    currency: Currency

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        """Build a Money from any exact amount (str, int, Decimal, short float) and a code.

        >>> Money.of("9.90", "eur")
        Money(amount=Decimal('9.90'), currency='EUR')
        """
        return cls.model_validate({"amount": amount, "currency": currency})

    def _same(self, other: Money, verb: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(f"cannot {verb} {self.currency} and {other.currency} amounts")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(amount=EXACT.add(self.amount, other.amount), currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(amount=EXACT.subtract(self.amount, other.amount), currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=EXACT.minus(self.amount), currency=self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, (Decimal, int)):
            return NotImplemented
        return Money(amount=EXACT.multiply(self.amount, Decimal(factor)), currency=self.currency)

    __rmul__ = __mul__

    def __truediv__(self, other: Money) -> Decimal:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "divide")
        if not other.amount:
            raise ZeroDivisionError(f"cannot divide by a zero {other.currency} amount")
        return _ROUNDING.divide(self.amount, other.amount)

    def _compare(self, other: object) -> tuple[Decimal, Decimal]:
        if not isinstance(other, Money):
            raise TypeError(f"cannot compare Money with {type(other).__name__}")
        self._same(other, "compare")
        return self.amount, other.amount

    def __lt__(self, other: Any) -> bool:
        a, b = self._compare(other)
        return a < b

    def __le__(self, other: Any) -> bool:
        a, b = self._compare(other)
        return a <= b

    def __gt__(self, other: Any) -> bool:
        a, b = self._compare(other)
        return a > b

    def __ge__(self, other: Any) -> bool:
        a, b = self._compare(other)
        return a >= b

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

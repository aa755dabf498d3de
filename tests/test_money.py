"""Money: exact arithmetic within one currency, the float policy, validation messages."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from expansion_revenue import CurrencyMismatchError, Money
from expansion_revenue.money import EXACT, MAX_EXPONENT, quantize, to_decimal
from tests.strategies import money


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def only_error(exc: ValidationError) -> tuple[str, str, tuple[str | int, ...]]:
    errors = exc.errors(include_url=False)
    assert len(errors) == 1
    return errors[0]["type"], errors[0]["msg"], tuple(errors[0]["loc"])


# -- arithmetic --------------------------------------------------------------------------------


def test_add_subtract_negate() -> None:
    assert usd("19.99") + usd("0.01") == usd("20.00")
    assert usd("10") - usd("12.5") == usd("-2.5")
    assert -usd("3") == usd("-3")


def test_multiply_by_int_and_decimal_both_sides() -> None:
    assert usd("19.99") * 3 == usd("59.97")
    assert 3 * usd("19.99") == usd("59.97")
    assert usd("100") * Decimal("0.075") == usd("7.500")


def test_multiply_by_float_or_bool_is_refused() -> None:
    with pytest.raises(TypeError):
        usd("1") * 0.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("1") * True


def test_money_over_money_is_a_plain_ratio() -> None:
    ratio = Money.of("10", "EUR") / Money.of("4", "EUR")
    assert ratio == Decimal("2.5")
    assert type(ratio) is Decimal


def test_division_by_zero_amount_raises() -> None:
    with pytest.raises(ZeroDivisionError, match=r"^cannot divide by a zero USD amount$"):
        usd("1") / usd("0.00")


def test_comparisons_within_one_currency() -> None:
    assert usd("1") < usd("2") <= usd("2.00") < usd("3")
    assert usd("3") > usd("2") >= usd("2")
    assert usd("2") == usd("2.00")


def test_comparison_with_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^cannot compare Money with int$"):
        assert usd("1") < 3


@pytest.mark.parametrize(
    ("operation", "verb"),
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "subtract"),
        (lambda a, b: a / b, "divide"),
        (lambda a, b: a < b, "compare"),
        (lambda a, b: a >= b, "compare"),
    ],
)
def test_mixing_currencies_raises(operation: object, verb: str) -> None:
    with pytest.raises(CurrencyMismatchError, match=rf"^cannot {verb} USD and EUR amounts$"):
        operation(usd("1"), Money.of("1", "EUR"))  # type: ignore[operator]


def test_currency_mismatch_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot add"):
        usd("1") + Money.of("1", "GBP")


def test_arithmetic_is_exact_or_raises() -> None:
    # 29 nines plus a unit in the 30th decimal place: 60 digits, exact within EXACT's precision.
    big = usd("9" * 29 + "." + "9" * 30)
    tiny = usd("0." + "0" * 29 + "1")
    assert (big + tiny).amount == Decimal("1" + "0" * 29)
    with pytest.raises(decimal.Inexact):
        EXACT.add(Decimal("1E+200"), Decimal("1"))


@given(a=money("USD", min_amount="-1000000"), b=money("USD", min_amount="-1000000"))
def test_addition_and_subtraction_are_inverse(a: Money, b: Money) -> None:
    assert (a + b) - b == a
    assert a + b == b + a


# -- the float policy and other inputs ---------------------------------------------------------


def test_short_float_converts_by_its_repr() -> None:
    assert Money.of(0.1, "USD").amount == Decimal("0.1")
    assert Money.of(19.99, "USD").amount == Decimal("19.99")


def test_inexact_float_is_rejected_with_the_exact_message() -> None:
    with pytest.raises(ValidationError) as info:
        Money.of(0.1 + 0.2, "USD")
    assert only_error(info.value) == (
        "decimal_exact",
        "float 0.30000000000000004 is not an exact decimal (more than 15 significant digits); "
        "pass it as a string or Decimal",
        ("amount",),
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "nan is not a finite number"),
        (float("inf"), "inf is not a finite number"),
        (float("-inf"), "-inf is not a finite number"),
        ("NaN", "'NaN' is not a finite number"),
        (Decimal("Infinity"), "Decimal('Infinity') is not a finite number"),
        (True, "a boolean is not an amount"),
        (False, "a boolean is not an amount"),
        ("ten", "'ten' is not a number"),
        ([1], "list is not a number"),
        (None, "NoneType is not a number"),
        # Refused at once: as an exact fraction it would be a billion-digit integer.
        ("1e999999999", "1E+999999999 is out of range (at most 1E+1000 and at least 1E-1000 in size)"),
        ("-1e-999999999", "-1E-999999999 is out of range (at most 1E+1000 and at least 1E-1000 in size)"),
        (10**1001, "10000000000000000000...000000000000 is out of range (at most 1E+1000 and at least "
                   "1E-1000 in size)"),
    ],
)
def test_bad_amounts_are_rejected(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Money.of(value, "USD")
    assert only_error(info.value) == ("decimal_exact", message, ("amount",))


def test_strings_ints_decimals_convert_exactly() -> None:
    assert to_decimal(" 1_000.50 ") == Decimal("1000.50")
    assert to_decimal(7) == Decimal(7)
    assert to_decimal(Decimal("2.500")) == Decimal("2.500")
    assert to_decimal(f"1e{MAX_EXPONENT}") == Decimal(10) ** MAX_EXPONENT
    # Zero with an absurd exponent is plain zero (it would otherwise poison exact sums).
    assert str(to_decimal("0e-999999999")) == "0"


def test_currency_is_upper_cased_and_stripped() -> None:
    assert Money.of("1", " eur ").currency == "EUR"


def test_unknown_currency_message() -> None:
    with pytest.raises(ValidationError) as info:
        Money.of("1", "ABC")
    assert only_error(info.value) == (
        "currency_unknown",
        "unknown currency code 'ABC': expected an ISO 4217 code such as 'USD'",
        ("currency",),
    )


def test_currency_must_be_text() -> None:
    with pytest.raises(ValidationError) as info:
        Money.of("1", 840)  # type: ignore[arg-type]
    assert only_error(info.value) == ("currency_type", "a currency code must be a string",
                                      ("currency",))


def test_extra_field_is_forbidden() -> None:
    with pytest.raises(ValidationError) as info:
        Money.model_validate({"amount": "1", "currency": "USD", "note": "x"})
    assert only_error(info.value)[0] == "extra_forbidden"


# -- serialization and immutability ------------------------------------------------------------


def test_json_keeps_the_amount_as_text() -> None:
    assert usd("19.90").model_dump_json() == '{"amount":"19.90","currency":"USD"}'


@given(value=money(min_amount="-1000000", places=4))
def test_json_round_trip(value: Money) -> None:
    again = Money.model_validate_json(value.model_dump_json())
    assert again == value
    assert str(again.amount) == str(value.amount)  # the same digits, trailing zeros included


def test_money_is_immutable_and_hashable() -> None:
    price = usd("1")
    with pytest.raises(ValidationError) as info:
        price.amount = Decimal(2)  # type: ignore[misc]
    assert only_error(info.value)[0] == "frozen_instance"
    assert hash(price) == hash(usd("1"))


def test_str() -> None:
    assert str(usd("12.50")) == "12.50 USD"


def test_quantize_rounds_half_even() -> None:
    assert quantize(Decimal("0.125"), 2) == Decimal("0.12")
    assert quantize(Decimal("0.135"), 2) == Decimal("0.14")
    assert quantize(Decimal("2.5"), 0) == Decimal("2")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**6, max_value=10**6))
def test_to_decimal_is_identity_on_ordinary_decimals(value: Decimal) -> None:
    assert to_decimal(value) == value

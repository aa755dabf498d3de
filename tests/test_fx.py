"""FX rates: as-of lookups, missing rates, validation, JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from expansion_revenue import Dataset, FxRates, MissingRateError
from tests.strategies import change_days, datasets, fx_rates_for

D = dt.date


def table() -> FxRates:
    return FxRates(target="usd", rates={"eur": {"2024-02-01": "1.08", "2024-01-01": "1.10"},
                                         "GBP": {"2024-01-15": "1.27"}})


def test_rate_in_force_is_the_latest_on_or_before_the_day() -> None:
    fx = table()
    assert fx.target == "USD"
    assert fx.rate("EUR", D(2024, 1, 1)) == Decimal("1.10")
    assert fx.rate("EUR", D(2024, 1, 31)) == Decimal("1.10")
    assert fx.rate("EUR", D(2024, 2, 1)) == Decimal("1.08")
    assert fx.rate("EUR", D(2030, 1, 1)) == Decimal("1.08")  # the last rate stays in force
    assert fx.rate("GBP", D(2024, 1, 15)) == Decimal("1.27")


def test_target_currency_converts_at_one_on_any_day() -> None:
    assert table().rate("USD", D(1900, 1, 1)) == Decimal(1)


def test_rates_are_sorted_by_date() -> None:
    fx = table()
    assert list(fx.rates["EUR"]) == [D(2024, 1, 1), D(2024, 2, 1)]
    assert fx.change_dates("EUR") == (D(2024, 1, 1), D(2024, 2, 1))
    assert fx.change_dates("JPY") == ()


def test_day_before_the_first_rate_is_missing() -> None:
    with pytest.raises(MissingRateError, match=r"^no FX rate from EUR to USD on or before 2023-12-31$"):
        table().rate("EUR", D(2023, 12, 31))


def test_unknown_currency_is_missing() -> None:
    with pytest.raises(MissingRateError) as info:
        table().rate("JPY", D(2024, 6, 1))
    assert str(info.value) == "no FX rate from JPY to USD on or before 2024-06-01"
    assert (info.value.currency, info.value.target, info.value.on) == ("JPY", "USD", D(2024, 6, 1))
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("0", ("rate_not_positive", "an FX rate must be positive, got 0")),
        ("-1.1", ("rate_not_positive", "an FX rate must be positive, got -1.1")),
        ("abc", ("decimal_exact", "'abc' is not a number")),
        (float("nan"), ("decimal_exact", "nan is not a finite number")),
        (0.1 + 0.2, ("decimal_exact", "float 0.30000000000000004 is not an exact decimal (more than 15 "
                     "significant digits); pass it as a string or Decimal")),
    ],
)
def test_bad_rates_are_rejected(rate: object, expected: tuple[str, str]) -> None:
    with pytest.raises(ValidationError) as info:
        FxRates(target="USD", rates={"EUR": {"2024-01-01": rate}})
    errors = info.value.errors(include_url=False)
    assert [(e["type"], e["msg"], e["loc"]) for e in errors] == [
        (*expected, ("rates", "EUR", "2024-01-01"))]


def test_bad_currency_and_date_keys_are_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        FxRates(target="USX", rates={"EUR": {"yesterday": "1"}})
    assert [e["type"] for e in info.value.errors()] == ["currency_unknown", "date_from_datetime_parsing"]


def test_the_same_currency_twice_is_rejected_not_merged() -> None:
    with pytest.raises(ValidationError) as info:
        FxRates(target="USD", rates={"eur": {"2024-01-01": "1.1"}, "EUR": {"2024-01-01": "1.2"}})
    assert [(e["type"], e["msg"]) for e in info.value.errors()] == [
        ("currency_duplicate", "currency EUR is given twice ('eur' and 'EUR')")]


def test_fx_is_frozen_and_forbids_extra_fields() -> None:
    fx = table()
    with pytest.raises(ValidationError):
        fx.target = "EUR"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fx.rates["EUR"] = {}  # type: ignore[index]
    with pytest.raises(ValidationError) as info:
        FxRates.model_validate({"target": "USD", "rates": {}, "source": "ecb"})
    assert info.value.errors()[0]["type"] == "extra_forbidden"


def test_json_round_trip() -> None:
    fx = table()
    text = fx.model_dump_json()
    assert text == ('{"target":"USD","rates":{"EUR":{"2024-01-01":"1.10","2024-02-01":"1.08"},'
                    '"GBP":{"2024-01-15":"1.27"}}}')
    again = FxRates.model_validate_json(text)
    assert again == fx
    assert again.rate("EUR", D(2024, 1, 20)) == Decimal("1.10")


@given(data=st.data())
def test_generated_tables_cover_every_dataset_currency(data: st.DataObject) -> None:
    ds: Dataset = data.draw(datasets(currencies=("USD", "EUR", "GBP"), max_customers=3))
    fx = data.draw(fx_rates_for(ds, target="USD"))
    assert FxRates.model_validate_json(fx.model_dump_json()) == fx
    for ref in ds.lines:
        for day in (ref.line.start, *(d for d in change_days(ds) if d >= ref.line.start)):
            assert fx.rate(ref.contract.currency, day) > 0

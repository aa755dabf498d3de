"""Exchange rates: a frozen table of rates by currency and date, passed as an argument.

A rate converts one unit of ``currency`` into the table's ``target`` currency. The rate in force
on a day is the latest one dated on or before it (rates are published daily or monthly; a month's
rate holds until the next). A day before a currency's first rate is a
:class:`~expansion_revenue.errors.MissingRateError`, never a silent zero or a guess.

>>> fx = FxRates(target="USD", rates={"EUR": {"2024-01-01": "1.10", "2024-02-01": "1.08"}})
>>> fx.rate("EUR", datetime.date(2024, 1, 31)), fx.rate("USD", datetime.date(1999, 1, 1))
(Decimal('1.10'), Decimal('1'))
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from expansion_revenue.errors import MissingRateError
from expansion_revenue.frozen import FrozenMap
from expansion_revenue.money import Amount, Currency, check_input_digits

__all__ = ["FxRates"]


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("rate_not_positive", "an FX rate must be positive, got {value}",
                                  {"value": str(value)})
    return check_input_digits(value, "an FX rate")


PositiveRate = Annotated[Amount, AfterValidator(_positive)]


class FxRates(BaseModel):
    """FX rates into one ``target`` currency, by source currency and effective date.

    Attributes:
        target: the currency amounts are converted into (the reporting currency).
        rates: for each source currency, its rates by effective date (units of ``target`` per
            one unit of the source currency).

    >>> FxRates(target="USD", rates={"EUR": {"2024-01-01": 0}})
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for FxRates
    rates.EUR.2024-01-01
      an FX rate must be positive, got 0 [type=rate_not_positive, input_value=0, input_type=int]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: Currency
    rates: FrozenMap[Currency, FrozenMap[datetime.date, PositiveRate]]

    @field_validator("rates", mode="before")
    @classmethod
    def _distinct_currencies(cls, rates: Any) -> Any:
        # "eur" and "EUR" are one currency once validated: refuse rather than keep one silently.
        if isinstance(rates, Mapping):
            seen: dict[str, object] = {}
            for key in rates:
                code = key.strip().upper() if isinstance(key, str) else key
                if isinstance(code, str) and code in seen:
                    raise PydanticCustomError(
                        "currency_duplicate", "currency {code} is given twice ('{first}' and '{second}')",
                        {"code": code, "first": seen[code], "second": key})
                if isinstance(code, str):
                    seen[code] = key
        return rates

    @field_validator("rates")
    @classmethod
    def _sorted(
        cls, rates: FrozenMap[str, FrozenMap[datetime.date, Decimal]]
    ) -> FrozenMap[str, FrozenMap[datetime.date, Decimal]]:
        return FrozenMap({cur: FrozenMap(dict(sorted(by_day.items()))) for cur, by_day in rates.items()})

    @cached_property
    def _days(self) -> dict[str, list[datetime.date]]:
        return {cur: list(by_day) for cur, by_day in self.rates.items()}

    def rate(self, currency: str, on: datetime.date) -> Decimal:
        """The rate converting ``currency`` into ``target`` on ``on``.

        Raises:
            MissingRateError: the currency has no rate dated on or before ``on``.

        >>> FxRates(target="USD", rates={}).rate("EUR", datetime.date(2024, 1, 1))
        Traceback (most recent call last):
        ...
        expansion_revenue.errors.MissingRateError: no FX rate from EUR to USD on or before 2024-01-01
        """
        if currency == self.target:
            return Decimal(1)
        days = self._days.get(currency)
        if not days:
            raise MissingRateError(currency, self.target, on)
        position = bisect.bisect_right(days, on)
        if position == 0:
            raise MissingRateError(currency, self.target, on)
        return self.rates[currency][days[position - 1]]

    def change_dates(self, currency: str) -> tuple[datetime.date, ...]:
        """The dates on which ``currency``'s rate changes.

        >>> FxRates(target="USD", rates={"EUR": {"2024-02-01": 1, "2024-01-01": 1}}).change_dates("EUR")
        (datetime.date(2024, 1, 1), datetime.date(2024, 2, 1))
        """
        return tuple(self._days.get(currency, ()))

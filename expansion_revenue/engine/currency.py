"""Reporting currency: choosing it and converting contract currencies into it.

>>> from expansion_revenue import Dataset, Policy
>>> conv = Converter.for_dataset(Dataset(), None, None, Policy())
>>> conv.currency, conv.rate("XXX", datetime.date(2024, 1, 1))
('XXX', Decimal('1'))
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from expansion_revenue.dataset import Dataset
from expansion_revenue.errors import CurrencyMismatchError, MissingRateError
from expansion_revenue.fx import FxRates
from expansion_revenue.money import ISO_4217
from expansion_revenue.policy import Policy

__all__ = ["Converter"]

_NO_CURRENCY = "XXX"  # ISO 4217 "no currency": the reporting currency of an empty dataset


@dataclass(frozen=True)
class Converter:
    """Converts contract-currency amounts into the reporting currency under a policy.

    Attributes:
        currency: the reporting currency.
        fx: the rate table, if any.
        constant_date: when set, every conversion uses this date's rates (constant currency).
    """

    currency: str
    fx: FxRates | None
    constant_date: datetime.date | None

    @classmethod
    def for_dataset(
        cls, dataset: Dataset, currency: str | None, fx: FxRates | None, policy: Policy
    ) -> Converter:
        """Pick the reporting currency for ``dataset``.

        ``currency`` if given, else the FX table's target, else the dataset's only currency
        (``XXX``, ISO 4217's "no currency", for an empty dataset).

        Raises:
            CurrencyMismatchError: several currencies and no way to choose, or an FX table
                into another currency than the one asked for.

        >>> Converter.for_dataset(Dataset(), "eur", None, Policy()).currency
        'EUR'
        """
        if currency is not None:
            chosen = currency.strip().upper()
            if chosen not in ISO_4217:
                raise CurrencyMismatchError(f"unknown reporting currency {currency!r}")
        elif fx is not None:
            chosen = fx.target
        else:
            found = dataset.currencies()
            if len(found) > 1:
                raise CurrencyMismatchError(
                    f"the data has several currencies ({', '.join(sorted(found))}); "
                    "pass currency= and fx= to report in one")
            chosen = next(iter(found)) if found else _NO_CURRENCY
        if fx is not None and fx.target != chosen:
            raise CurrencyMismatchError(
                f"the FX table converts into {fx.target}, not the reporting currency {chosen}")
        constant = policy.fx_constant_date if policy.fx_basis == "constant" else None
        return cls(chosen, fx, constant)

    def rate(self, currency: str, day: datetime.date) -> Decimal:
        """The rate converting ``currency`` into the reporting currency for amounts on ``day``.

        Raises:
            MissingRateError: no rate for that currency on (or before) the date needed.
        """
        if currency == self.currency:
            return Decimal(1)
        on = self.constant_date or day
        if self.fx is None:
            raise MissingRateError(currency, self.currency, on)
        return self.fx.rate(currency, on)

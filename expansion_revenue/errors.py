"""The library's error tree.

Every error the library raises on purpose derives from :class:`ExpansionRevenueError`, and also
from the standard-library error it most resembles, so ``except ValueError`` keeps working.
Field-level problems in a single record stay pydantic ``ValidationError`` (with stable codes);
problems that involve several records are collected into one :class:`InvalidDataError`.

>>> from expansion_revenue.errors import CurrencyMismatchError, ExpansionRevenueError
>>> issubclass(CurrencyMismatchError, ExpansionRevenueError) and issubclass(CurrencyMismatchError, ValueError)
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CurrencyMismatchError",
    "DataProblem",
    "ExpansionRevenueError",
    "InvalidDataError",
    "InvalidPeriodError",
    "MissingExtraError",
    "MetricInputError",
    "MissingRateError",
    "RuleError",
]


class ExpansionRevenueError(Exception):
    """Root of every error raised on purpose by ``expansion_revenue``.

    >>> isinstance(MissingRateError("EUR", "USD", None), ExpansionRevenueError)
    True
    """


class CurrencyMismatchError(ExpansionRevenueError, ValueError):
    """Arithmetic or comparison between amounts in two different currencies.

    >>> from expansion_revenue import Money
    >>> Money.of("1", "USD") + Money.of("1", "EUR")
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.CurrencyMismatchError: cannot add USD and EUR amounts
    """


@dataclass(frozen=True)
class DataProblem:
    """One problem found in the input data, tied to the record that caused it.

    Attributes:
        kind: the record kind (``customer``, ``product``, ``plan``, ``contract``, ``line``,
            ``row`` ...).
        record_id: the record's id, or its row number in a file.
        field: the field (column) at fault, or ``None`` when the record as a whole is.
        message: what is wrong, in words.
        code: a stable, machine-readable code (``duplicate_id``, ``unknown_reference`` ...).
        source: the file the record came from, if any.

    >>> str(DataProblem("plan", "pro", "product_id", "unknown product 'x'", "unknown_reference"))
    "plan 'pro', field 'product_id': unknown product 'x'"
    """

    kind: str
    record_id: str
    field: str | None
    message: str
    code: str
    source: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        field = f", field '{self.field}'" if self.field else ""
        return f"{where}{self.kind} '{self.record_id}'{field}: {self.message}"


class InvalidDataError(ExpansionRevenueError, ValueError):
    """The input data has one or more problems; all of them are listed, not only the first.

    Attributes:
        problems: every problem found, in the order found.

    >>> err = InvalidDataError([DataProblem("customer", "c1", "id", "duplicate id", "duplicate_id")])
    >>> print(err)
    1 problem in the data:
      - customer 'c1', field 'id': duplicate id
    """

    def __init__(self, problems: list[DataProblem] | tuple[DataProblem, ...]) -> None:
        self.problems: tuple[DataProblem, ...] = tuple(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the data:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class MissingRateError(ExpansionRevenueError, LookupError):
    """No FX rate converts ``currency`` into ``target`` on the date needed.

    >>> import datetime
    >>> print(MissingRateError("EUR", "USD", datetime.date(2024, 1, 31)))
    no FX rate from EUR to USD on or before 2024-01-31
    """

    def __init__(self, currency: str, target: str, on: object) -> None:
        self.currency = currency
        self.target = target
        self.on = on
        when = f" on or before {on}" if on is not None else ""
        super().__init__(f"no FX rate from {currency} to {target}{when}")


class InvalidPeriodError(ExpansionRevenueError, ValueError):
    """A period or date argument that cannot be used (start after end, mixed time zones ...).

    >>> raise InvalidPeriodError("start 2024-02-01 is after end 2024-01-01")
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.InvalidPeriodError: start 2024-02-01 is after end 2024-01-01
    """


class MetricInputError(ExpansionRevenueError, ValueError):
    """An argument a metric, cohort or projection function cannot use.

    >>> raise MetricInputError("gross_margin must be above 0 and at most 1, got 1.5")
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.MetricInputError: gross_margin must be above 0 and at most 1, got 1.5
    """


class RuleError(ExpansionRevenueError, ValueError):
    """A classification rule failed or answered something the library cannot accept.

    >>> raise RuleError("rule 'my_rule' on customer 'c1', line 'l1': unknown category 'x'")
    Traceback (most recent call last):
    ...
    expansion_revenue.errors.RuleError: rule 'my_rule' on customer 'c1', line 'l1': unknown category 'x'
    """


class MissingExtraError(ExpansionRevenueError, ImportError):
    """An optional dependency is needed for this call but is not installed.

    >>> print(MissingExtraError("pandas", "pandas"))
    this needs the optional dependency 'pandas': pip install 'expansion_revenue[pandas]'
    """

    def __init__(self, module: str, extra: str) -> None:
        self.module_name = module
        self.extra = extra
        super().__init__(
            f"this needs the optional dependency '{module}': "
            f"pip install 'expansion_revenue[{extra}]'"
        )

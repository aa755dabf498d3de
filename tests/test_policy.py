"""Policy: defaults, validation, JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from pydantic import ValidationError

from expansion_revenue import Policy
from tests.strategies import policies


def test_defaults() -> None:
    policy = Policy()
    assert policy.model_dump() == {
        "level": "customer",
        "reactivation_window_days": None,
        "month_snapshot": "end",
        "discounts_reduce_mrr": True,
        "free_to_paid": "new",
        "fx_basis": "spot",
        "fx_constant_date": None,
        "weeks_per_month": "13/3",
        "days_per_month": "365/12",
        "mrr_decimal_places": 6,
    }
    assert policy.weeks_per_month == Fraction(52, 12)
    assert policy.days_per_month == Fraction(365, 12)


def test_default_json() -> None:
    assert Policy().model_dump_json() == (
        '{"level":"customer","reactivation_window_days":null,"month_snapshot":"end",'
        '"discounts_reduce_mrr":true,"free_to_paid":"new","fx_basis":"spot","fx_constant_date":null,'
        '"weeks_per_month":"13/3","days_per_month":"365/12","mrr_decimal_places":6}')


@given(policy=policies())
def test_json_round_trip(policy: Policy) -> None:
    assert Policy.model_validate_json(policy.model_dump_json()) == policy
    assert Policy.model_validate(policy.model_dump()) == policy


@pytest.mark.parametrize(
    ("value", "expected"),
    [("52/12", Fraction(13, 3)), ("4.33", Fraction(433, 100)), (" 13 / 3 ", Fraction(13, 3)),
     (4, Fraction(4)), (Decimal("4.5"), Fraction(9, 2)), (Fraction(1, 3), Fraction(1, 3)),
     ("1e1", Fraction(10))],
)
def test_ratios(value: object, expected: Fraction) -> None:
    assert Policy(weeks_per_month=value).weeks_per_month == expected


def test_levels() -> None:
    for level in ("customer", "parent", "ultimate_parent", "attribute:segment"):
        assert Policy(level=level).level == level


def errors(**data: object) -> list[tuple[str, str, tuple[str | int, ...]]]:
    with pytest.raises(ValidationError) as info:
        Policy.model_validate(data)
    return [(e["type"], e["msg"], tuple(e["loc"])) for e in info.value.errors(include_url=False)]


LEVEL_MESSAGE = "level must be 'customer', 'parent', 'ultimate_parent' or 'attribute:<name>', got "
RATIO_MESSAGE = "expected an exact ratio such as '52/12' or '4.33', got "


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"level": "account"}, ("entity_level", LEVEL_MESSAGE + "'account'", ("level",))),
        ({"level": "attribute:"}, ("entity_level", LEVEL_MESSAGE + "'attribute:'", ("level",))),
        ({"level": 1}, ("entity_level", LEVEL_MESSAGE + "1", ("level",))),
        ({"weeks_per_month": "0"}, ("ratio_positive", "must be positive, got 0", ("weeks_per_month",))),
        ({"days_per_month": "-30"}, ("ratio_positive", "must be positive, got -30", ("days_per_month",))),
        ({"weeks_per_month": 4.33}, ("ratio", RATIO_MESSAGE + "4.33", ("weeks_per_month",))),
        ({"weeks_per_month": "1/0"}, ("ratio", RATIO_MESSAGE + "'1/0'", ("weeks_per_month",))),
        ({"weeks_per_month": "four"}, ("ratio", RATIO_MESSAGE + "'four'", ("weeks_per_month",))),
        ({"weeks_per_month": "1/2/3"}, ("ratio", RATIO_MESSAGE + "'1/2/3'", ("weeks_per_month",))),
        ({"weeks_per_month": "4/"}, ("ratio", RATIO_MESSAGE + "'4/'", ("weeks_per_month",))),
        ({"weeks_per_month": True}, ("ratio", RATIO_MESSAGE + "True", ("weeks_per_month",))),
        # Refused fast: Fraction would otherwise expand it into a billion-digit integer.
        ({"weeks_per_month": "1e999999999"},
         ("ratio", RATIO_MESSAGE + "'1e999999999'", ("weeks_per_month",))),
        ({"weeks_per_month": Decimal("Infinity")},
         ("ratio", RATIO_MESSAGE + "Decimal('Infinity')", ("weeks_per_month",))),
        ({"reactivation_window_days": -1},
         ("greater_than_equal", "Input should be greater than or equal to 0", ("reactivation_window_days",))),
        ({"mrr_decimal_places": 19},
         ("less_than_equal", "Input should be less than or equal to 18", ("mrr_decimal_places",))),
        ({"month_snapshot": "middle"},
         ("literal_error", "Input should be 'end' or 'start'", ("month_snapshot",))),
        ({"fx_basis": "constant"},
         ("fx_constant_date_missing", "fx_basis 'constant' needs fx_constant_date", ())),
        ({"colour": "red"}, ("extra_forbidden", "Extra inputs are not permitted", ("colour",))),
    ],
)
def test_bad_values(data: dict[str, object], expected: tuple[str, str, tuple[str, ...]]) -> None:
    assert errors(**data) == [expected]


def test_constant_fx_with_its_date() -> None:
    policy = Policy(fx_basis="constant", fx_constant_date="2024-01-01")
    assert policy.fx_constant_date == dt.date(2024, 1, 1)


def test_replace_revalidates_and_policy_is_frozen() -> None:
    policy = Policy()
    assert policy.replace(reactivation_window_days=90).reactivation_window_days == 90
    with pytest.raises(ValidationError):
        policy.replace(fx_basis="constant")
    with pytest.raises(ValidationError):
        policy.level = "parent"  # type: ignore[misc]
    assert hash(policy) == hash(Policy())

"""The one-currency walk gives exactly the bridges of the general walk (engine/walk.py)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from expansion_revenue import Dataset, FxRates, Policy
from expansion_revenue.engine.bridge import _bridges
from expansion_revenue.periods import series_boundaries
from tests.strategies import DEFAULT_START, datasets, days_around, fx_rates_for, policies

METHODS = st.sampled_from(("snapshot", "events"))


@st.composite
def series_case(draw: st.DrawFn) -> tuple[Dataset, FxRates, Policy, tuple[dt.date, ...]]:
    currencies = draw(st.sampled_from((("USD",), ("USD", "EUR"), ("EUR",))))
    ds = draw(datasets(currencies=currencies, with_hierarchy=draw(st.booleans()), max_customers=10))
    rates = draw(fx_rates_for(ds, target="USD", first=dt.date(2019, 1, 1)))
    policy = draw(policies())
    if policy.fx_basis == "constant":
        policy = policy.replace(fx_constant_date=draw(st.dates(dt.date(2019, 1, 1),
                                                               dt.date(2027, 1, 1))))
    if draw(st.booleans()):  # the whole history, where every kind of movement happens
        first, last = DEFAULT_START - dt.timedelta(days=40), DEFAULT_START + dt.timedelta(days=800)
    else:
        first, last = sorted((draw(days_around(ds)), draw(days_around(ds))))
    freq = draw(st.sampled_from(("month", "quarter", "week")))
    return ds, rates, policy, series_boundaries(first, last, freq,  # type: ignore[arg-type]
                                                policy.month_snapshot)


@given(series_case(), METHODS, st.booleans())
@settings(max_examples=150)
def test_the_one_currency_walk_matches_the_general_walk(
        case: tuple[Dataset, FxRates, Policy, tuple[dt.date, ...]], method: str,
        attribution: bool) -> None:
    ds, rates, policy, boundaries = case
    fast, general = (
        _bridges(ds, boundaries, method, "USD", rates, policy, None, attribution,  # type: ignore[arg-type]
                 general=flag)
        for flag in (False, True))
    # JSON, not just ==: the Decimals must be the same text too (exponents included).
    assert [b.model_dump_json() for b in fast] == [b.model_dump_json() for b in general]

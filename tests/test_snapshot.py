"""MRR snapshots: which lines count on a day, breakdowns, entity levels, currencies."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from expansion_revenue import (
    CurrencyMismatchError,
    Dataset,
    LineMrr,
    MissingRateError,
    MrrSnapshot,
    Policy,
    mrr_snapshot,
)
from tests.builders import contract, customer, dataset, dec, fx, line, plan, product


def business() -> Dataset:
    """Two groups: globex (parent) > globex-eu > globex-fr; acme alone.

    | line | customer  | plan (product)       | MRR | dates                   |
    |------|-----------|----------------------|-----|-------------------------|
    | a1   | acme      | pro (crm) 100 x 3    | 300 | 2024-01-01 ->           |
    | a2   | acme      | seats (extra) 10 x 5 |  50 | 2024-02-15 -> 2024-04-01 |
    | e1   | globex-eu | basic (crm) 40 x 5   | 200 | 2024-01-10 ->           |
    | f1   | globex-fr | free (crm) 0 x 8     |   0 | 2024-01-01 ->           |
    | g1   | globex    | pro (crm) 1200/yr x1 | 100 | 2024-03-01 ->           |
    """
    return dataset(
        customers=[customer("acme", segment="smb"), customer("globex", segment="enterprise"),
                   customer("globex-eu", parent="globex", segment="enterprise"),
                   customer("globex-fr", parent="globex-eu")],
        products=[product("crm"), product("extra", kind="add_on")],
        plans=[plan("pro", tier=2, price="100"), plan("basic", tier=1, price="40"),
               plan("free", tier=0, price="0"), plan("seats", product="extra", price="10"),
               plan("pro-annual", tier=2, price="1200", interval="annual")],
        contracts=[
            contract("k1", "acme", [line("a1", "pro", qty=3, start="2024-01-01"),
                                    line("a2", "seats", qty=5, start="2024-02-15", end="2024-04-01")]),
            contract("k2", "globex-eu", [line("e1", "basic", qty=5, start="2024-01-10")]),
            contract("k3", "globex-fr", [line("f1", "free", qty=8, start="2024-01-01")]),
            contract("k4", "globex", [line("g1", "pro-annual", start="2024-03-01")]),
        ],
    )


def ids(snapshot: MrrSnapshot) -> list[str]:
    return [row.line_id for row in snapshot.lines]


def test_lines_count_from_their_start_day_until_the_day_before_their_end() -> None:
    ds = business()
    assert ids(mrr_snapshot(ds, "2024-02-14")) == ["a1", "e1", "f1"]
    assert ids(mrr_snapshot(ds, "2024-02-15")) == ["a1", "a2", "e1", "f1"]  # a2 starts
    assert ids(mrr_snapshot(ds, "2024-03-31")) == ["a1", "a2", "e1", "f1", "g1"]
    assert ids(mrr_snapshot(ds, "2024-04-01")) == ["a1", "e1", "f1", "g1"]  # a2 ended (exclusive)
    assert ids(mrr_snapshot(ds, "2023-12-31")) == []


def test_totals_and_breakdowns() -> None:
    # 2024-03-31: a1 300 + a2 50 + e1 200 + f1 0 + g1 100 = 650
    snap = mrr_snapshot(business(), "2024-03-31")
    assert snap.at == dt.date(2024, 3, 31)
    assert snap.currency == "USD"
    assert snap.total == dec("650")
    assert snap.arr == dec("7800")  # 650 x 12
    assert dict(snap.by_customer) == {"acme": dec("350"), "globex": dec("100"),
                                      "globex-eu": dec("200"), "globex-fr": dec("0")}
    assert dict(snap.by_product) == {"crm": dec("600"), "extra": dec("50")}
    assert dict(snap.by_plan) == {"basic": dec("200"), "free": dec("0"), "pro": dec("300"),
                                  "pro-annual": dec("100"), "seats": dec("50")}
    for breakdown in (snap.by_customer, snap.by_product, snap.by_plan, snap.by_entity):
        assert sum(breakdown.values()) == snap.total


def test_free_lines_are_listed_with_zero() -> None:
    snap = mrr_snapshot(business(), "2024-01-05")
    free = next(row for row in snap.lines if row.line_id == "f1")
    assert (free.mrr, free.mrr_local, free.plan_id, free.customer_id) == (0, 0, "free", "globex-fr")
    assert snap.by_customer["globex-fr"] == 0


def test_line_rows_carry_their_records() -> None:
    snap = mrr_snapshot(business(), "2024-03-01")
    row = next(row for row in snap.lines if row.line_id == "a2")
    assert row == LineMrr(line_id="a2", contract_id="k1", customer_id="acme", entity_id="acme",
                          product_id="extra", plan_id="seats", currency="USD", mrr_local=dec("50"),
                          rate=dec("1"), mrr=dec("50"))


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("customer", {"acme": "350", "globex": "100", "globex-eu": "200", "globex-fr": "0"}),
        # parent: the direct parent, or the customer itself when top-level
        ("parent", {"acme": "350", "globex": "300", "globex-eu": "0"}),
        ("ultimate_parent", {"acme": "350", "globex": "300"}),
        # globex-fr has no segment attribute
        ("attribute:segment", {"(none)": "0", "enterprise": "300", "smb": "350"}),
    ],
)
def test_entity_levels(level: str, expected: dict[str, str]) -> None:
    snap = mrr_snapshot(business(), "2024-03-31", policy=Policy(level=level))
    assert dict(snap.by_entity) == {key: dec(value) for key, value in expected.items()}
    assert sum(snap.by_entity.values()) == snap.total
    assert snap.policy.level == level


def test_snapshot_of_an_empty_dataset() -> None:
    snap = mrr_snapshot(Dataset(), "2024-01-01")
    assert (snap.currency, snap.total, snap.lines) == ("XXX", 0, ())


def test_snapshot_accepts_datetimes_and_rejects_bad_dates() -> None:
    assert mrr_snapshot(business(), dt.datetime(2024, 2, 15, 8, 30)).total == dec("550")
    with pytest.raises(ValueError, match=r"^at 'soon' is not an ISO date \(YYYY-MM-DD\)$"):
        mrr_snapshot(business(), "soon")


def eur_and_usd() -> Dataset:
    return dataset(plans=[plan("eu", price="100", currency="EUR"), plan("us", price="100")],
                   contracts=[contract("k1", "a", [line("l1", "eu", start="2024-02-01")], currency="EUR"),
                              contract("k2", "b", [line("l2", "us")])])


def test_several_currencies_without_fx_is_a_currency_mismatch() -> None:
    with pytest.raises(CurrencyMismatchError) as info:
        mrr_snapshot(eur_and_usd(), "2024-03-01")
    assert str(info.value) == ("the data has several currencies (EUR, USD); "
                               "pass currency= and fx= to report in one")


def test_missing_fx_rate_is_reported() -> None:
    rates = fx("USD", EUR={"2024-03-01": "1.1"})
    with pytest.raises(MissingRateError, match=r"^no FX rate from EUR to USD on or before 2024-02-15$"):
        mrr_snapshot(eur_and_usd(), "2024-02-15", fx=rates)
    # Before the EUR line starts no rate is needed.
    assert mrr_snapshot(eur_and_usd(), "2024-01-15", fx=rates).total == dec("100")
    with pytest.raises(MissingRateError, match=r"^no FX rate from EUR to USD on or before 2024-03-01$"):
        mrr_snapshot(eur_and_usd(), "2024-03-01", currency="USD")


def test_fx_table_into_another_currency_is_a_mismatch() -> None:
    with pytest.raises(CurrencyMismatchError, match=r"^the FX table converts into EUR, not the "
                                                    r"reporting currency USD$"):
        mrr_snapshot(eur_and_usd(), "2024-03-01", currency="USD", fx=fx("EUR", USD={"2024-01-01": "1"}))
    with pytest.raises(CurrencyMismatchError, match=r"^unknown reporting currency 'US'$"):
        mrr_snapshot(eur_and_usd(), "2024-03-01", currency="US")


def test_snapshot_json_round_trip_and_immutability() -> None:
    snap = mrr_snapshot(business(), "2024-03-31", policy=Policy(level="parent"))
    again = MrrSnapshot.model_validate_json(snap.model_dump_json())
    assert again == snap
    assert again.by_entity == snap.by_entity
    with pytest.raises(ValidationError):
        snap.total = dec("1")  # type: ignore[misc]
    with pytest.raises(TypeError):
        snap.by_customer["acme"] = dec("0")  # type: ignore[index]


def test_a_snapshot_whose_total_is_not_its_sum_cannot_exist() -> None:
    data = mrr_snapshot(business(), "2024-03-31").model_dump()
    data["total"] = "651"
    with pytest.raises(ValidationError) as info:
        MrrSnapshot.model_validate(data)
    assert [(e["type"], e["msg"]) for e in info.value.errors()] == [
        ("snapshot_sum", "total 651 is not the sum of its lines")]

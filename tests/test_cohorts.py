"""Cohort tables: hand-computed triangles, groupings, conventions, and the month-total property."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from expansion_revenue import Dataset, InvalidPeriodError, Policy, mrr_snapshot
from expansion_revenue.engine.cohorts import cohort_table, entity_grouping, first_revenue_months
from expansion_revenue.errors import MetricInputError
from expansion_revenue.periods import month_end
from expansion_revenue.results.cohorts import CohortCell, CohortTable
from tests.builders import contract, customer, dataset, dec, fx, line, plan
from tests.strategies import DEFAULT_START, datasets


def cohorts_business() -> Dataset:
    """A 100/month plan.

    a (smb): from Jan 10, 1 seat; 3 seats from Mar 1.        MRR Jan 100, Feb 100, Mar 300, Apr 300
    b (ent): from Jan 20, 2 seats; leaves Mar 15.            MRR Jan 200, Feb 200, Mar 0,   Apr 0
    c (smb): from Feb 1, 4 seats; 2 seats from Mar 10.       MRR Feb 400, Mar 200, Apr 200
    e:       Jan 5 to Jan 25, never on a month end: in no cohort.
    f:       from Dec 2023: cohort 2023-12.
    """
    return dataset(
        customers=[customer("a", segment="smb"), customer("b", segment="ent"),
                   customer("c", segment="smb"), customer("e"), customer("f")],
        plans=[plan("m", price="100")],
        contracts=[
            contract("ka", "a", [line("a1", "m", 1, "2024-01-10", "2024-03-01"),
                                 line("a2", "m", 3, "2024-03-01")]),
            contract("kb", "b", [line("b1", "m", 2, "2024-01-20", "2024-03-15")]),
            contract("kc", "c", [line("c1", "m", 4, "2024-02-01", "2024-03-10"),
                                 line("c2", "m", 2, "2024-03-10")]),
            contract("ke", "e", [line("e1", "m", 1, "2024-01-05", "2024-01-25")]),
            contract("kf", "f", [line("f1", "m", 1, "2023-12-01")]),
        ])


def test_first_revenue_months() -> None:
    assert dict(first_revenue_months(cohorts_business())) == {
        "a": "2024-01", "b": "2024-01", "c": "2024-02", "f": "2023-12"}
    # Under the start-of-month convention MRR of month M is read on M-01.
    assert dict(first_revenue_months(cohorts_business(), policy=Policy(month_snapshot="start"))) == {
        "a": "2024-02", "b": "2024-02", "c": "2024-02", "f": "2023-12"}


def test_monthly_cohorts_by_hand() -> None:
    table = cohort_table(cohorts_business(), "2024-01", "2024-04")
    assert [(row.cohort, row.size, len(row.cells)) for row in table.rows] == [
        ("2024-01", 2, 4), ("2024-02", 1, 3)]
    jan = table.rows[0].cells
    assert [(c.base_mrr, c.mrr, c.retained_mrr, c.expansion_mrr, c.paying) for c in jan] == [
        (300, 300, 300, 0, 2), (300, 300, 300, 0, 2),
        (300, 300, 100, 200, 1),   # a 300 (100 kept + 200 more), b 0
        (300, 300, 100, 200, 1)]
    assert jan[2].revenue_retention == dec("1.000000")    # 300 / 300
    assert jan[2].gross_retention == dec("0.333333")      # (min(300, 100) + min(0, 200)) / 300
    assert jan[2].expansion_rate == dec("0.666667")       # 200 / 300
    assert jan[2].logo_retention == dec("0.500000")       # 1 of 2
    assert table.matrix("gross_retention")["2024-02"] == (dec(1), dec("0.5"), dec("0.5"))  # 400, 200, 200
    assert table.matrix("mrr") == {"2024-01": (300, 300, 300, 300), "2024-02": (400, 200, 200)}


def test_cohorts_by_attribute_count_months_from_each_members_start() -> None:
    table = cohort_table(cohorts_business(), "2024-01", "2024-04", by="attribute:segment")
    assert table.by == "attribute:segment"
    assert [row.cohort for row in table.rows] == ["ent", "smb"]
    smb = table.rows[1].cells
    # a starts in Jan (months 0-3 observed), c in Feb (months 0-2 observed).
    assert [(c.members, c.base_mrr, c.mrr, c.retained_mrr, c.expansion_mrr) for c in smb] == [
        (2, 500, 500, 500, 0),     # a 100 + c 400
        (2, 500, 300, 300, 0),     # a 100 + c 200
        (2, 500, 500, 300, 200),   # a 300 (100 + 200 more) + c 200
        (1, 100, 300, 100, 200)]   # a alone: c's month 3 (May) is past the end
    assert table.matrix()["smb"] == (dec(1), dec("0.6"), dec(1), dec(3))
    assert table.matrix("logo_retention")["ent"] == (1, 1, 0, 0)


def test_cohorts_under_the_start_of_month_convention() -> None:
    table = cohort_table(cohorts_business(), "2024-01", "2024-04", policy=Policy(month_snapshot="start"))
    # Read on Feb 1, Mar 1, Apr 1: a 100/300/300, b 200/200/0, c 400/400/200.
    assert table.matrix("mrr") == {"2024-02": (700, 900, 500)}


def test_a_function_can_group() -> None:
    def everyone(entity: str) -> str:
        return "all"

    table = cohort_table(cohorts_business(), "2024-01", "2024-02", by=everyone)
    assert table.by == "everyone"
    assert table.matrix("members") == {"all": (3, 2)}   # a, b, c; only a and b reach month 1


def test_cohorts_in_a_reporting_currency() -> None:
    ds = dataset(plans=[plan("m", price="100", currency="EUR")], contracts=[
        contract("k", "a", [line("l", "m", 1, "2024-01-01", currency="EUR")], currency="EUR")])
    rates = fx("USD", EUR={"2024-01-01": "1.00", "2024-02-01": "1.10"})
    assert cohort_table(ds, "2024-01", "2024-02", fx=rates).matrix("mrr") == {
        "2024-01": (dec("100.00"), dec("110.0000"))}
    constant = Policy(fx_basis="constant", fx_constant_date=dt.date(2024, 1, 1))
    assert cohort_table(ds, "2024-01", "2024-02", fx=rates, policy=constant).matrix() == {
        "2024-01": (1, 1)}


def test_groupings_that_cannot_work_are_refused() -> None:
    ds = cohorts_business()
    with pytest.raises(MetricInputError, match="group by 'first_revenue_month'"):
        cohort_table(ds, "2024-01", "2024-02", by="segment")
    with pytest.raises(MetricInputError, match="entities are 'attribute:segment' groups"):
        entity_grouping(ds, "attribute:region", Policy(level="attribute:segment"))
    with pytest.raises(InvalidPeriodError, match="start 2024-03 is after end 2024-02"):
        cohort_table(ds, "2024-03", "2024-02")
    with pytest.raises(InvalidPeriodError):
        cohort_table(ds, "2024-13", "2024-14")


def test_dates_select_their_month() -> None:
    table = cohort_table(cohorts_business(), dt.date(2024, 2, 17), "2024-02-03")
    assert (table.start, table.end, [row.cohort for row in table.rows]) == ("2024-02", "2024-02", ["2024-02"])


def test_cells_check_their_amounts_and_tables_round_trip() -> None:
    table = cohort_table(cohorts_business(), "2024-01", "2024-04", by="attribute:segment")
    assert CohortTable.model_validate_json(table.model_dump_json()) == table
    cell = table.rows[0].cells[0].model_dump()
    with pytest.raises(ValidationError, match="mrr is not retained"):
        CohortCell.model_validate({**cell, "mrr": "1"})
    with pytest.raises(ValidationError, match="a ratio does not match"):
        CohortCell.model_validate({**cell, "logo_retention": "0.5"})
    with pytest.raises(AttributeError):
        table.matrix("bogus")


def test_no_data_no_rows() -> None:
    assert cohort_table(Dataset(), "2024-01", "2024-12").rows == ()


# -- property ----------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(ds=datasets(max_customers=5), months=st.integers(1, 30))
def test_month_cohorts_add_up_to_the_months_mrr(ds: Dataset, months: int) -> None:
    # Every entity that ever paid is in exactly one cohort from 2020 on, so on each month end the
    # cohorts' MRR adds up to the snapshot's total; and net = gross + expansion in every cell.
    end = DEFAULT_START + relativedelta(months=months)
    table = cohort_table(ds, "2020-01", end)
    by_month: dict[str, Decimal] = {}
    for row in table.rows:
        first = dt.date.fromisoformat(row.cohort + "-01")
        assert row.size == row.cells[0].paying
        for cell in row.cells:
            month = first + relativedelta(months=cell.months_since_start)
            key = f"{month:%Y-%m}"
            by_month[key] = by_month.get(key, Decimal(0)) + cell.mrr
            assert cell.mrr == cell.retained_mrr + cell.expansion_mrr
            assert 0 <= cell.gross_retention <= 1
    month = DEFAULT_START - relativedelta(months=2)
    while month <= end:
        assert by_month.get(f"{month:%Y-%m}", 0) == mrr_snapshot(ds, month_end(month)).total
        month += relativedelta(months=1)

"""The MRR/ARR calculator: hand-computed projections, rounding, edges, scenarios."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from expansion_revenue import BridgeSeries, Money, Policy, bridge_series
from expansion_revenue.engine.metrics import bridge_metrics, series_metrics
from expansion_revenue.engine.projection import (
    LOST_ENTITY,
    NEW_ENTITY,
    REACTIVATED_ENTITY,
    RETAINED_ENTITY,
    compare_scenarios,
    measured_assumptions,
    project_from_series,
    project_mrr,
)
from expansion_revenue.errors import MetricInputError
from expansion_revenue.results.projection import ProjectionAssumptions, ScenarioComparison
from tests.builders import d, dec
from tests.test_metrics import business

DRIVERS = ProjectionAssumptions(new_mrr="500", reactivation_mrr="50", expansion_rate="0.03",
                                contraction_rate="0.01", churn_rate="0.02")


def test_two_months_by_hand() -> None:
    s = project_mrr("10000", "2024-12-31", 2, DRIVERS)
    first, second = s.bridges
    assert (first.start, first.end, second.end) == (d("2024-12-31"), d("2025-01-31"), d("2025-02-28"))
    # Month 1 from 10000: +500 new, +50 back, +300 (3%), -100 (1%), -200 (2%) = 10550.
    assert (first.new, first.reactivation, first.expansion, first.contraction, first.churn, first.fx,
            first.ending_mrr) == (500, 50, 300, -100, -200, 0, dec("10550.00"))
    # Month 2 from 10550: +500, +50, +316.50, -105.50, -211.00 = 11100.
    assert (second.expansion, second.contraction, second.churn, second.ending_mrr) == (
        dec("316.50"), dec("-105.50"), dec("-211.00"), dec("11100.00"))
    assert first.method == "snapshot" and first.policy == Policy() and first.currency == "USD"


def test_projected_bridges_carry_synthetic_entities() -> None:
    bridge = project_mrr("10000", "2024-12-31", 1, DRIVERS).bridges[0]
    # Retained: the 9700 not lost, expanding by 300; lost: the 300 lost, contracting then churning.
    assert [(e.entity_id, e.start_mrr, e.end_mrr) for e in bridge.entities] == [
        (NEW_ENTITY, 0, 500), (REACTIVATED_ENTITY, 0, 50), (RETAINED_ENTITY, 9700, 10000),
        (LOST_ENTITY, 300, 0)]
    assert [(r.kind.value, r.prev_mrr, r.cur_mrr) for r in bridge.by_entity[LOST_ENTITY]] == [
        ("contraction", 300, 200), ("churn", 200, 0)]
    assert all(r.amount == r.cur_mrr - r.prev_mrr for r in bridge.ledger)


def test_metrics_of_a_projection_are_the_assumptions() -> None:
    m = bridge_metrics(project_mrr("10000", "2024-12-31", 1, DRIVERS).bridges[0])
    assert m.nrr == 1                                  # 1 + (300 - 100 - 200) / 10000
    assert m.grr == dec("0.97")                        # 1 - 300 / 10000
    assert (m.expansion_rate, m.contraction_rate, m.revenue_churn_rate) == (
        dec("0.03"), dec("0.01"), dec("0.02"))
    assert m.quick_ratio == dec("2.833333")            # (500 + 50 + 300) / 300
    assert m.logo_churn_rate is None                   # a projection has no customers to count


def test_each_month_is_rounded_once_and_the_ending_is_exact() -> None:
    # 1 x 12.5% = 0.125 -> 0.12 (half-even); the ending 1.12 is the exact sum.
    s = project_mrr("1", "2024-01-31", 1, ProjectionAssumptions(expansion_rate="0.125"))
    assert (s.bridges[0].expansion, s.bridges[0].ending_mrr) == (dec("0.12"), dec("1.12"))
    # places=0 rounds to whole units; the starting MRR keeps its own digits.
    s = project_mrr("1000.5", "2024-01-31", 1, ProjectionAssumptions(expansion_rate="0.0105"), places=0)
    assert (s.bridges[0].expansion, s.bridges[0].ending_mrr) == (dec(11), dec("1011.5"))  # 10.505 -> 11


def test_rounding_never_takes_mrr_below_zero() -> None:
    # 0.126 x 100% rounds to 0.13: the loss is capped at the 0.126 there is.
    s = project_mrr("0.126", "2024-01-31", 2, ProjectionAssumptions(churn_rate="1"))
    assert [(b.churn, b.ending_mrr) for b in s.bridges] == [(dec("-0.126"), 0), (0, 0)]
    # Contraction and churn rounded separately would lose 0.02 + 0.02 of 0.03.
    s = project_mrr("0.03", "2024-01-31", 1, ProjectionAssumptions(contraction_rate="0.5", churn_rate="0.5"))
    assert (s.bridges[0].contraction, s.bridges[0].churn, s.bridges[0].ending_mrr) == (
        dec("-0.02"), dec("-0.01"), 0)


def test_everything_lost_still_expands() -> None:
    s = project_mrr("1000", "2024-01-31", 1, ProjectionAssumptions(
        expansion_rate="0.1", contraction_rate="0.5", churn_rate="0.5"))
    bridge = s.bridges[0]
    assert bridge.ending_mrr == 100   # 1000 + 100 - 500 - 500
    assert [e.entity_id for e in bridge.entities] == [LOST_ENTITY]


def test_zero_rates_are_flat_and_zero_months_empty() -> None:
    s = project_mrr(Money.of("250", "EUR"), dt.date(2024, 1, 15), 3, ProjectionAssumptions())
    assert [b.ending_mrr for b in s.bridges] == [250, 250, 250]
    assert [b.end for b in s.bridges] == [d("2024-02-15"), d("2024-03-15"), d("2024-04-15")]
    assert all(b.ledger == () and b.currency == "EUR" for b in s.bridges)
    assert project_mrr("1", "2024-01-31", 0, DRIVERS).bridges == ()


def test_from_nothing_only_new_and_reactivated_grow() -> None:
    s = project_mrr("0", "2024-01-31", 2, DRIVERS)
    assert [b.ending_mrr for b in s.bridges] == [dec("550.00"), dec("1100.00")]
    assert s.bridges[1].expansion == dec("16.50")   # 3% of 550


@pytest.mark.parametrize(("start", "months", "places"), [("-1", 1, 2), ("1", -1, 2), ("1", 1, 19)])
def test_bad_projection_arguments(start: str, months: int, places: int) -> None:
    with pytest.raises(MetricInputError, match="need starting MRR >= 0"):
        project_mrr(start, "2024-01-31", months, DRIVERS, places=places)


def test_assumptions_validate() -> None:
    with pytest.raises(ValidationError, match="projection_loss"):
        ProjectionAssumptions(contraction_rate="0.5", churn_rate="0.6")
    with pytest.raises(ValidationError, match="must not be negative"):
        ProjectionAssumptions(expansion_rate="-0.01")
    with pytest.raises(ValidationError):
        DRIVERS.adjusted(churn_rate="-0.05")
    with pytest.raises(TypeError, match="unknown assumption"):
        DRIVERS.adjusted(growth="1")
    assert DRIVERS.adjusted(expansion_rate="0.01", new_mrr=100).model_dump() == {
        **DRIVERS.model_dump(), "expansion_rate": dec("0.04"), "new_mrr": dec(600)}
    assert ProjectionAssumptions.model_validate_json(DRIVERS.model_dump_json()) == DRIVERS


def test_measured_assumptions_pool_the_series() -> None:
    # Jan-Mar 2024 of the metrics example: 1200 each month start; February has +200 new, +100 back,
    # +100 expansion, -300 contraction, -100 churn.
    a = measured_assumptions(bridge_series(business(), "2024-01", "2024-03"))
    assert a.new_mrr == dec("66.67")                  # 200 / 3 months
    assert a.reactivation_mrr == dec("33.33")         # 100 / 3
    assert a.expansion_rate == dec("0.027778")        # 100 / (3 x 1200)
    assert a.contraction_rate == dec("0.083333")      # 300 / 3600
    assert a.churn_rate == dec("0.027778")            # 100 / 3600
    quarterly = measured_assumptions(bridge_series(business(), "2024-01", "2024-03", freq="quarter"))
    assert quarterly == a                             # one quarter of 3 months, same rates
    with pytest.raises(MetricInputError, match="cannot measure"):
        measured_assumptions(BridgeSeries(bridges=()))


def test_a_forecast_continues_an_actual_series_and_compares_line_by_line() -> None:
    actual = bridge_series(business(), "2024-01", "2024-03")
    forecast = project_from_series(actual, 2)
    assert forecast.bridges[0].start == actual.bridges[-1].end
    assert forecast.bridges[0].starting_mrr == actual.bridges[-1].ending_mrr
    # Both are bridge series: chaining them is itself a valid series, and the metrics apply.
    joined = BridgeSeries(bridges=actual.bridges + forecast.bridges)
    assert len(series_metrics(joined).metrics) == 5
    first = forecast.bridges[0]
    # 1200 + 66.67 + 33.33 + 33.33 (2.7778%) - 100.00 - 33.33 = 1200.00
    assert (first.expansion, first.contraction, first.churn, first.ending_mrr) == (
        dec("33.33"), dec("-100.00"), dec("-33.33"), dec("1200.00"))
    explicit = project_from_series(actual, 1, ProjectionAssumptions())
    assert explicit.bridges[0].ending_mrr == 1200
    with pytest.raises(MetricInputError, match="empty series"):
        project_from_series(BridgeSeries(bridges=()), 1)


def test_scenarios_side_by_side() -> None:
    base = ProjectionAssumptions(expansion_rate="0.02", churn_rate="0.02")
    cmp = compare_scenarios("1000", "2024-12-31", 1, {
        "base": base, "+1pt expansion": base.adjusted(expansion_rate="0.01"),
        "half churn": base.replace(churn_rate="0.01")})
    assert dict(cmp.ending_mrr) == {"base": 1000, "+1pt expansion": 1010, "half churn": 1010}
    assert dict(cmp.ending_arr) == {"base": 12000, "+1pt expansion": 12120, "half churn": 12120}
    assert dict(cmp.versus()) == {"base": 0, "+1pt expansion": 10, "half churn": 10}
    assert dict(cmp.versus("half churn", arr=True)) == {"base": -120, "+1pt expansion": 0, "half churn": 0}
    assert ScenarioComparison.model_validate_json(cmp.model_dump_json()) == cmp
    assert compare_scenarios("1", "2024-12-31", 1, {"a": base, "b": base}, baseline="b").baseline == "b"


def test_scenarios_must_be_comparable() -> None:
    one = project_mrr("1000", "2024-12-31", 1, ProjectionAssumptions())
    other = project_mrr("1000", "2024-11-30", 1, ProjectionAssumptions())
    empty = ProjectionAssumptions()
    with pytest.raises(ValidationError, match="scenario_shape"):
        ScenarioComparison(baseline="a", assumptions={"a": empty, "b": empty},
                           projections={"a": one, "b": other})
    with pytest.raises(ValidationError, match="scenario_names"):
        ScenarioComparison(baseline="c", assumptions={"a": empty}, projections={"a": one})
    with pytest.raises(ValidationError, match="scenario_empty"):
        ScenarioComparison(baseline="a", assumptions={"a": empty},
                           projections={"a": BridgeSeries(bridges=())})
    with pytest.raises(MetricInputError, match="at least one scenario and one month"):
        compare_scenarios("1", "2024-12-31", 1, {})
    with pytest.raises(MetricInputError, match="at least one scenario and one month"):
        compare_scenarios("5", "2024-12-31", 0, {"a": empty})

"""The MRR/ARR calculator: project MRR month by month from growth drivers, as real bridges.

Each projected month starts from the previous month's ending MRR ``m`` and moves by:

* new = ``new_mrr`` and reactivation = ``reactivation_mrr`` (amounts);
* expansion = ``m x expansion_rate``;
* contraction = ``-(m x contraction_rate)`` and churn = ``-(m x churn_rate)``;

each rounded once, half-even, to ``places`` decimal places (cents by default) with
:func:`~expansion_revenue.money.quantize`; a loss that rounds to more than ``m`` is all of
``m`` (exactly, so a starting MRR with more decimals than ``places`` can end at zero, never
below it). The month's ending MRR is the exact sum, so the
months chain exactly, and the result is a :class:`~expansion_revenue.results.bridge.BridgeSeries`
of ordinary snapshot-method bridges: a forecast and an actual compare line by line, and every
metric function accepts a projection.

A bridge keeps the entities behind its figures, so each projected month carries four synthetic
entities (only those that move): ``(projected new)`` and ``(projected reactivation)`` come from
zero; ``(projected retained)`` holds the part of ``m`` that is not lost and takes the expansion;
``(projected lost)`` holds the lost part and contracts then churns. With them, the metrics of a
projected bridge come out as the assumptions say: NRR = 1 + (expansion + contraction + churn) / m
and GRR = 1 - (contraction + churn) / m.

>>> s = project_mrr("10000", "2024-12-31", 2, ProjectionAssumptions(new_mrr="500", churn_rate="0.02"))
>>> [(str(b.end), b.churn, b.ending_mrr) for b in s.bridges]
[('2025-01-31', Decimal('-200.00'), Decimal('10300.00')),
 ('2025-02-28', Decimal('-206.00'), Decimal('10594.00'))]
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from expansion_revenue.engine.metrics import period_months
from expansion_revenue.errors import MetricInputError
from expansion_revenue.money import EXACT, Money, quantize, to_decimal
from expansion_revenue.periods import as_day, month_end
from expansion_revenue.policy import Policy
from expansion_revenue.results.bridge import (
    COMPONENTS,
    Bridge,
    BridgeSeries,
    EntityChange,
    Movement,
    MovementKind,
)
from expansion_revenue.results.metrics import ratio
from expansion_revenue.results.projection import ProjectionAssumptions, ScenarioComparison
from expansion_revenue.results.snapshot import exact_sum

__all__ = ["compare_scenarios", "measured_assumptions", "project_from_series", "project_mrr"]

_ZERO = Decimal(0)

NEW_ENTITY = "(projected new)"
REACTIVATED_ENTITY = "(projected reactivation)"
RETAINED_ENTITY = "(projected retained)"
LOST_ENTITY = "(projected lost)"


def project_mrr(
    starting_mrr: Money | Decimal | str | int,
    start: datetime.date | str,
    months: int,
    assumptions: ProjectionAssumptions,
    *,
    currency: str = "USD",
    policy: Policy | None = None,
    places: int = 2,
) -> BridgeSeries:
    """Project ``months`` monthly bridges from ``starting_mrr`` on ``start``.

    Args:
        starting_mrr: MRR on ``start`` (a :class:`~expansion_revenue.money.Money` sets the
            currency).
        start: the date the projection starts from; periods step one month (month ends stay
            month ends).
        months: how many months to project (0 gives an empty series).
        assumptions: the monthly drivers.
        currency: the currency, when ``starting_mrr`` is not a ``Money``.
        policy: the policy recorded on the bridges (default :class:`Policy`).
        places: decimal places each month's movements are rounded to.

    Raises:
        MetricInputError: negative starting MRR or months, or ``places`` outside 0..18.

    >>> flat = project_mrr("1234.5", "2024-01-31", 3, ProjectionAssumptions())
    >>> {b.ending_mrr for b in flat.bridges}, flat.bridges[1].end
    ({Decimal('1234.50')}, datetime.date(2024, 3, 31))
    """
    if isinstance(starting_mrr, Money):
        currency, amount = starting_mrr.currency, starting_mrr.amount
    else:
        amount = to_decimal(starting_mrr)
    if amount < 0 or months < 0 or not 0 <= places <= 18:
        raise MetricInputError(
            f"need starting MRR >= 0, months >= 0 and places in 0..18, got {amount}, {months}, {places}")
    policy = policy or Policy()
    first = as_day(start, "start")
    at_month_end = first == month_end(first)
    bridges = []
    opening, mrr = first, amount
    for k in range(1, months + 1):
        closing = first + relativedelta(months=k)
        if at_month_end:
            closing = month_end(closing)
        bridge = _month(opening, closing, mrr, assumptions, currency, policy, places)
        bridges.append(bridge)
        opening, mrr = closing, bridge.ending_mrr
    return BridgeSeries(bridges=tuple(bridges))


def measured_assumptions(series: BridgeSeries, *, places: int = 2) -> ProjectionAssumptions:
    """The monthly drivers a series of actual bridges shows, to project it forward.

    Rates are pooled over the series: total expansion (contraction, churn) divided by the sum of
    each bridge's starting MRR times its length in months, so larger months weigh more and a
    quarterly series gives monthly rates. New and reactivated MRR are totals per month, rounded
    to ``places``. Rates are rounded like every ratio. The fx line is left out.

    Raises:
        MetricInputError: the series has no bridge, no length, or no starting MRR to measure
            rates against.

    >>> s = project_mrr("1000", "2024-01-31", 3, ProjectionAssumptions(new_mrr="50", expansion_rate="0.01"))
    >>> a = measured_assumptions(s)
    >>> a.new_mrr, a.expansion_rate   # 3 x 50 / 3; (10.00 + 10.60 + 11.21) / (1000 + 1060 + 1120.60)
    (Decimal('50.00'), Decimal('0.010001'))
    """
    months = sum((period_months(b.start, b.end, b.policy) for b in series.bridges), Fraction(0))
    exposure = sum((Fraction(b.starting_mrr) * period_months(b.start, b.end, b.policy)
                    for b in series.bridges), Fraction(0))
    if months == 0 or exposure == 0:
        raise MetricInputError("cannot measure monthly rates: the series has no length or no starting MRR")
    totals = {name: exact_sum(getattr(b, name) for b in series.bridges) for name in COMPONENTS}
    return ProjectionAssumptions(
        new_mrr=ratio(totals["new"], months, places),
        reactivation_mrr=ratio(totals["reactivation"], months, places),
        expansion_rate=ratio(totals["expansion"], exposure),
        contraction_rate=ratio(-totals["contraction"], exposure),
        churn_rate=ratio(-totals["churn"], exposure),
    )


def project_from_series(
    series: BridgeSeries,
    months: int,
    assumptions: ProjectionAssumptions | None = None,
    *,
    places: int = 2,
) -> BridgeSeries:
    """Continue an actual series for ``months`` months, from its last ending MRR.

    The assumptions default to :func:`measured_assumptions` of the series; currency and policy
    are the series'.

    Raises:
        MetricInputError: an empty series, or as in :func:`project_mrr`.

    >>> actual = project_mrr("1000", "2024-01-31", 2, ProjectionAssumptions(new_mrr="100"))
    >>> project_from_series(actual, 1).bridges[0].ending_mrr
    Decimal('1300.00')
    """
    if not series.bridges:
        raise MetricInputError("cannot continue an empty series")
    last = series.bridges[-1]
    return project_mrr(last.ending_mrr, last.end, months,
                       assumptions or measured_assumptions(series, places=places),
                       currency=last.currency, policy=last.policy, places=places)


def compare_scenarios(
    starting_mrr: Money | Decimal | str | int,
    start: datetime.date | str,
    months: int,
    scenarios: Mapping[str, ProjectionAssumptions],
    *,
    baseline: str | None = None,
    currency: str = "USD",
    policy: Policy | None = None,
    places: int = 2,
) -> ScenarioComparison:
    """Project the same starting point under several named assumption sets.

    ``baseline`` defaults to the first scenario. Other arguments as in :func:`project_mrr`.

    Raises:
        MetricInputError: no scenarios, ``months`` below 1, or as in :func:`project_mrr`.

    >>> base = ProjectionAssumptions(churn_rate="0.02")
    >>> halved = base.replace(churn_rate="0.01")
    >>> cmp = compare_scenarios("5000", "2024-12-31", 12, {"now": base, "halved": halved})
    >>> cmp.versus()["halved"] > 0
    True
    """
    if not scenarios or months < 1:
        raise MetricInputError("compare_scenarios needs at least one scenario and one month")
    projections = {name: project_mrr(starting_mrr, start, months, assumptions, currency=currency,
                                     policy=policy, places=places)
                   for name, assumptions in scenarios.items()}
    return ScenarioComparison(baseline=baseline or next(iter(scenarios)), assumptions=dict(scenarios),
                              projections=projections)


def _month(
    opening: datetime.date, closing: datetime.date, mrr: Decimal, assumptions: ProjectionAssumptions,
    currency: str, policy: Policy, places: int,
) -> Bridge:
    """One projected month as a bridge with synthetic entities (see the module docs)."""
    new = quantize(assumptions.new_mrr, places)
    reactivation = quantize(assumptions.reactivation_mrr, places)
    expansion = quantize(EXACT.multiply(mrr, assumptions.expansion_rate), places)
    # Round the total loss once and cap it at m, so rounding can never take MRR below zero.
    lost = min(quantize(EXACT.multiply(mrr, EXACT.add(assumptions.contraction_rate,
                                                       assumptions.churn_rate)), places), mrr)
    contraction = min(quantize(EXACT.multiply(mrr, assumptions.contraction_rate), places), lost)
    churn = EXACT.subtract(lost, contraction)
    retained = EXACT.subtract(mrr, lost)
    ledger: list[Movement] = []
    entities: list[EntityChange] = []

    def entity(entity_id: str, start_mrr: Decimal, moves: list[tuple[MovementKind, Decimal]]) -> None:
        level = start_mrr
        moved = False
        for kind, amount in moves:
            if amount == 0:
                continue
            after = EXACT.add(level, amount)
            ledger.append(Movement(entity_id=entity_id, kind=kind, amount=amount, prev_mrr=level,
                                   cur_mrr=after))
            level, moved = after, True
        if moved:
            entities.append(EntityChange(entity_id=entity_id, start_mrr=start_mrr, end_mrr=level))

    entity(NEW_ENTITY, _ZERO, [(MovementKind.NEW, new)])
    entity(REACTIVATED_ENTITY, _ZERO, [(MovementKind.REACTIVATION, reactivation)])
    # With everything lost there is no retained part to expand: the expansion goes to the lost part.
    grows_retained = retained > 0
    entity(RETAINED_ENTITY, retained, [(MovementKind.EXPANSION, expansion if grows_retained else _ZERO)])
    entity(LOST_ENTITY, lost, [(MovementKind.EXPANSION, _ZERO if grows_retained else expansion),
                               (MovementKind.CONTRACTION, _negative(contraction)),
                               (MovementKind.CHURN, _negative(churn))])
    ending = exact_sum((mrr, new, reactivation, expansion, _negative(lost)))
    return Bridge(start=opening, end=closing, currency=currency, method="snapshot", policy=policy,
                  starting_mrr=mrr, new=new, reactivation=reactivation, expansion=expansion,
                  contraction=_negative(contraction), churn=_negative(churn), fx=_ZERO, ending_mrr=ending,
                  ledger=tuple(ledger), entities=tuple(entities))


def _negative(amount: Decimal) -> Decimal:
    """``-amount``, without the negative zero ``-0.00`` that unary minus gives."""
    return EXACT.subtract(_ZERO, amount)

"""Projection inputs and scenario comparisons: the MRR/ARR calculator's result objects.

:class:`ProjectionAssumptions` holds one month's growth drivers (new and reactivated MRR as
amounts; expansion, contraction and churn as rates of the month's starting MRR).
:class:`ScenarioComparison` holds the projected series of several named assumption sets and
compares their endings.

>>> base = ProjectionAssumptions(new_mrr="1000", expansion_rate="0.02", churn_rate="0.01")
>>> base.adjusted(expansion_rate="0.01").expansion_rate   # one more point of expansion
Decimal('0.03')
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from expansion_revenue.frozen import FrozenMap
from expansion_revenue.money import EXACT, NonNegativeAmount, to_decimal
from expansion_revenue.results.bridge import BridgeSeries

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from expansion_revenue.display.frames import DecimalMode

__all__ = ["ProjectionAssumptions", "ScenarioComparison"]


class ProjectionAssumptions(BaseModel):
    """The monthly drivers of a projection.

    Attributes:
        new_mrr: new MRR added each month (an amount).
        reactivation_mrr: reactivated MRR added each month (an amount).
        expansion_rate: expansion each month, as a fraction of that month's starting MRR.
        contraction_rate: contraction each month, as a fraction of the starting MRR.
        churn_rate: churned MRR each month, as a fraction of the starting MRR.

    Rates are fractions (``0.02`` is 2%); contraction and churn together cannot exceed 1.

    >>> ProjectionAssumptions(contraction_rate="0.6", churn_rate="0.5")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ProjectionAssumptions
      contraction_rate + churn_rate is 1.1, above 1 [type=projection_loss, ...]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    new_mrr: NonNegativeAmount = Decimal(0)
    reactivation_mrr: NonNegativeAmount = Decimal(0)
    expansion_rate: NonNegativeAmount = Decimal(0)
    contraction_rate: NonNegativeAmount = Decimal(0)
    churn_rate: NonNegativeAmount = Decimal(0)

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._loss()

    def _loss(self) -> ProjectionAssumptions:
        lost = EXACT.add(self.contraction_rate, self.churn_rate)
        if lost > 1:
            raise PydanticCustomError("projection_loss", "contraction_rate + churn_rate is {lost}, above 1",
                                      {"lost": str(lost)})
        return self

    def replace(self, **changes: Any) -> ProjectionAssumptions:
        """A copy with some fields set to new values, validated again.

        >>> ProjectionAssumptions().replace(churn_rate="0.02").churn_rate
        Decimal('0.02')
        """
        data = self.model_dump()
        data.update(changes)
        return ProjectionAssumptions.model_validate(data)

    def adjusted(self, **deltas: Decimal | str | int) -> ProjectionAssumptions:
        """A copy with amounts added to some fields: ``adjusted(expansion_rate="0.01")`` is +1 point.

        Raises:
            TypeError: an unknown field.
            ValueError: an amount that is not a number.

        >>> ProjectionAssumptions(churn_rate="0.03").adjusted(churn_rate="-0.01").churn_rate
        Decimal('0.02')
        """
        unknown = set(deltas) - set(ProjectionAssumptions.model_fields)
        if unknown:
            raise TypeError(f"unknown assumption(s): {', '.join(sorted(unknown))}")
        return self.replace(**{name: EXACT.add(getattr(self, name), to_decimal(delta))
                               for name, delta in deltas.items()})


class ScenarioComparison(BaseModel):
    """Projections of the same starting point under named assumption sets, side by side.

    Attributes:
        baseline: the scenario the others are compared with.
        assumptions: each scenario's assumptions.
        projections: each scenario's projected series (real bridges, month by month; at least one
            month, the same months and starting MRR for every scenario).

    >>> from expansion_revenue.engine.projection import compare_scenarios
    >>> base = ProjectionAssumptions(expansion_rate="0.02")
    >>> plus_one = base.adjusted(expansion_rate="0.01")
    >>> cmp = compare_scenarios("1000", "2024-12-31", 12, {"base": base, "+1pt": plus_one})
    >>> cmp.ending_mrr["base"] < cmp.ending_mrr["+1pt"], cmp.versus()["base"]
    (True, Decimal('0.00'))
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    baseline: str
    assumptions: FrozenMap[str, ProjectionAssumptions]
    projections: FrozenMap[str, BridgeSeries]

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._comparable()

    def _comparable(self) -> ScenarioComparison:
        if set(self.assumptions) != set(self.projections) or self.baseline not in self.projections:
            raise PydanticCustomError(
                "scenario_names", "every scenario needs assumptions and a projection, baseline included", {})
        if any(not s.bridges for s in self.projections.values()):
            raise PydanticCustomError("scenario_empty", "every projection needs at least one month", {})
        shapes = {(tuple((b.start, b.end) for b in s.bridges), s.bridges[0].starting_mrr,
                   s.bridges[0].currency) for s in self.projections.values()}
        if len(shapes) > 1:
            raise PydanticCustomError(
                "scenario_shape", "scenarios must share their start, periods, starting MRR and currency", {})
        return self

    @property
    def ending_mrr(self) -> FrozenMap[str, Decimal]:
        """Each scenario's MRR at the end of the projection."""
        return FrozenMap({name: s.bridges[-1].ending_mrr for name, s in self.projections.items()})

    @property
    def ending_arr(self) -> FrozenMap[str, Decimal]:
        """Each scenario's ARR (12 x MRR) at the end of the projection."""
        return FrozenMap({name: EXACT.multiply(mrr, Decimal(12)) for name, mrr in self.ending_mrr.items()})

    def versus(self, baseline: str | None = None, *, arr: bool = False) -> FrozenMap[str, Decimal]:
        """Each scenario's ending MRR (or ARR) minus the baseline's (exact).

        Raises:
            KeyError: ``baseline`` is not a scenario.

        >>> from expansion_revenue.engine.projection import compare_scenarios
        >>> cmp = compare_scenarios("100", "2024-12-31", 1, {"a": ProjectionAssumptions(),
        ...                         "b": ProjectionAssumptions(new_mrr="10")})
        >>> dict(cmp.versus("a", arr=True))
        {'a': Decimal('0.00'), 'b': Decimal('120.00')}
        """
        endings = self.ending_arr if arr else self.ending_mrr
        base = endings[baseline or self.baseline]
        return FrozenMap({name: EXACT.subtract(value, base) for name, value in endings.items()})

    def to_pandas(self, table: Literal["months", "scenarios"] = "months", *,
                  decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The projections month by month, or one row per scenario, as a pandas DataFrame.

        Tables and their columns:

        * ``months``: one row per scenario and month; ``scenario``, then the columns of
          :meth:`BridgeSeries.to_pandas <expansion_revenue.results.bridge.BridgeSeries.to_pandas>`
          (``start``, ``end``, ``starting_mrr``, the six movements, ``ending_mrr``,
          ``net_change``).
        * ``scenarios``: one row per scenario; ``scenario``, ``baseline`` (a flag), the
          assumptions ``new_mrr``, ``reactivation_mrr``, ``expansion_rate``,
          ``contraction_rate`` and ``churn_rate``, then ``ending_mrr``, ``ending_arr``,
          ``mrr_vs_baseline`` and ``arr_vs_baseline`` (as :meth:`versus`).

        Amounts and rates are Decimals unless ``decimals="float"`` (see
        :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.
            ValueError: an unknown table.

        >>> from expansion_revenue.engine.projection import compare_scenarios
        >>> cmp = compare_scenarios("100", "2024-12-31", 3, {"a": ProjectionAssumptions(),
        ...                         "b": ProjectionAssumptions(new_mrr="10")})
        >>> len(cmp.to_pandas()), cmp.to_pandas("scenarios")["mrr_vs_baseline"].tolist()
        (6, [Decimal('0.00'), Decimal('30.00')])
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, table, decimals=decimals)

    def to_polars(self, table: Literal["months", "scenarios"] = "months", *,
                  decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The projections month by month, or one row per scenario, as a polars DataFrame.

        The same tables and columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the
        scale that holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.
            ValueError: an unknown table.

        >>> from expansion_revenue.engine.projection import compare_scenarios
        >>> cmp = compare_scenarios("100", "2024-12-31", 3, {"a": ProjectionAssumptions()})
        >>> cmp.to_polars("scenarios")["scenario"].to_list()
        ['a']
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, table, decimals=decimals)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)

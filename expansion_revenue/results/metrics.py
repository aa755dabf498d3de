"""Revenue metrics of a period: retention, churn, growth efficiency and unit economics.

A :class:`RevenueMetrics` holds the bridge figures of one period (or window of periods) and the
ratios computed from them. Amounts are exact; every ratio is a Decimal rounded once, half-even,
to :data:`RATIO_PLACES` decimal places. A ratio that cannot be computed (a zero denominator, a
figure the inputs do not determine) is ``None`` and ``reasons`` says why: never a crash and never
a fake 0. The formulas are in ``docs/concepts/metrics.md``.

>>> ratio(Decimal(2), Decimal(3))
Decimal('0.666667')
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from expansion_revenue.frozen import FrozenMap
from expansion_revenue.money import EXACT, Amount, Currency
from expansion_revenue.results.bridge import COMPONENTS, BridgeMethod
from expansion_revenue.results.snapshot import exact_sum

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from expansion_revenue.display.frames import DecimalMode

__all__ = ["METRIC_NAMES", "RATIO_PLACES", "MetricsSeries", "RevenueMetrics", "ratio"]

#: Decimal places of every ratio (and of ARPA and LTV): rounded once, half-even.
RATIO_PLACES = 6

#: The computed metrics of :class:`RevenueMetrics` (each a Decimal, or ``None`` with a reason).
METRIC_NAMES: tuple[str, ...] = (
    "nrr", "grr", "expansion_rate", "contraction_rate", "revenue_churn_rate",
    "gross_revenue_churn_rate", "net_revenue_churn_rate", "logo_churn_rate", "quick_ratio",
    "arpa", "ltv",
)


def ratio(numerator: Decimal | Fraction | int, denominator: Decimal | Fraction | int,
          places: int = RATIO_PLACES) -> Decimal:
    """``numerator / denominator`` rounded half-even to ``places`` decimal places.

    The quotient is taken as an exact fraction and rounded once, so the result never depends on
    the ambient decimal context.

    Raises:
        ZeroDivisionError: ``denominator`` is zero (callers turn that into ``None`` and a reason).

    >>> ratio(Decimal("105"), Decimal("100")), ratio(1, 8, places=2)
    (Decimal('1.050000'), Decimal('0.12'))
    """
    exact = Fraction(numerator) / Fraction(denominator)
    # Fraction.__round__ rounds half to even, exactly.
    return Decimal(round(exact * 10**places)).scaleb(-places, context=EXACT)


class RevenueMetrics(BaseModel):
    """The metrics of one period ``(start, end]`` at the bridge's entity level.

    Rates are fractions (``1.05`` is 105%). Every metric is computed in constant currency: the
    ``fx`` line is kept apart and never counted as retention, expansion or loss.

    Attributes:
        start: the period's opening date (exclusive).
        end: the period's closing date (inclusive).
        currency: the reporting currency.
        method: ``snapshot`` or ``events``, as in the bridges measured.
        level: the entity level (``customer``, ``parent`` ...).
        periods: how many consecutive bridges the window covers (1 for one bridge).
        months: the window's length in months (whole months between snapshot days of the same
            convention, else days / the policy's days per month), rounded to :data:`RATIO_PLACES`.
        starting_mrr: MRR at ``start``.
        new: new MRR in the window.
        reactivation: reactivated MRR.
        expansion: expansion MRR (positive).
        contraction: contraction MRR (negative).
        churn: churned MRR (negative).
        fx: the currency effect.
        ending_mrr: MRR at ``end``.
        arr: annual recurring revenue at ``end``: ``12 x ending_mrr`` (exact).
        starting_entities: entities with MRR above zero at ``start`` (``None`` when unknown).
        ending_entities: entities with MRR above zero at ``end`` (``None`` when unknown).
        churned_entities: entities with MRR at ``start``, none at ``end``, and a churn movement
            (``None`` when the bridge keeps no per-entity changes).
        gross_margin: the gross margin LTV was computed with (``None``: revenue LTV).
        nrr: net revenue retention.
        grr: gross revenue retention (never above 1).
        expansion_rate: ``expansion / starting_mrr``.
        contraction_rate: ``-contraction / starting_mrr``.
        revenue_churn_rate: ``-churn / starting_mrr`` (churned entities only).
        gross_revenue_churn_rate: ``-(churn + contraction) / starting_mrr``.
        net_revenue_churn_rate: ``-(churn + contraction + expansion) / starting_mrr`` (negative
            when expansion outweighs losses).
        logo_churn_rate: ``churned_entities / starting_entities``.
        quick_ratio: ``(new + reactivation + expansion) / |contraction + churn|``.
        arpa: ``ending_mrr / ending_entities``.
        ltv: ``arpa x gross_margin / monthly gross revenue churn rate``.
        reasons: for each metric that is ``None``, why.

    >>> from expansion_revenue.results.bridge import Bridge
    >>> from expansion_revenue.engine.metrics import bridge_metrics
    >>> m = bridge_metrics(Bridge.empty_example())
    >>> m.nrr, m.reasons["nrr"]
    (None, 'starting MRR is 0: no revenue to retain')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime.date
    end: datetime.date
    currency: Currency
    method: BridgeMethod
    level: str
    periods: int = Field(ge=1)
    months: Amount
    starting_mrr: Amount
    new: Amount
    reactivation: Amount
    expansion: Amount
    contraction: Amount
    churn: Amount
    fx: Amount
    ending_mrr: Amount
    arr: Amount
    starting_entities: int | None = Field(default=None, ge=0)
    ending_entities: int | None = Field(default=None, ge=0)
    churned_entities: int | None = Field(default=None, ge=0)
    gross_margin: Amount | None = None
    nrr: Amount | None = None
    grr: Amount | None = None
    expansion_rate: Amount | None = None
    contraction_rate: Amount | None = None
    revenue_churn_rate: Amount | None = None
    gross_revenue_churn_rate: Amount | None = None
    net_revenue_churn_rate: Amount | None = None
    logo_churn_rate: Amount | None = None
    quick_ratio: Amount | None = None
    arpa: Amount | None = None
    ltv: Amount | None = None
    reasons: FrozenMap[str, str] = Field(default_factory=FrozenMap)

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._consistent()

    def _consistent(self) -> RevenueMetrics:
        movements = exact_sum(getattr(self, name) for name in COMPONENTS)
        if EXACT.add(self.starting_mrr, movements) != self.ending_mrr:
            raise PydanticCustomError(
                "metrics_sum", "starting {start} + movements {net} != ending {end}",
                {"start": str(self.starting_mrr), "net": str(movements), "end": str(self.ending_mrr)})
        if self.arr != EXACT.multiply(self.ending_mrr, Decimal(12)):
            raise PydanticCustomError("metrics_arr", "arr is not 12 x ending MRR", {})
        missing = {name for name in METRIC_NAMES if getattr(self, name) is None}
        if set(self.reasons) != missing:
            raise PydanticCustomError(
                "metrics_reasons", "reasons must name exactly the metrics that are None: {names}",
                {"names": ", ".join(sorted(missing)) or "(none)"})
        if self.grr is not None and not 0 <= self.grr <= 1:
            raise PydanticCustomError("metrics_grr", "grr {grr} is outside [0, 1]",
                                      {"grr": str(self.grr)})
        return self

    @property
    def values(self) -> FrozenMap[str, Decimal | None]:
        """Every metric by name (see :data:`METRIC_NAMES`), ``None`` where undefined.

        >>> from expansion_revenue.results.bridge import Bridge
        >>> from expansion_revenue.engine.metrics import bridge_metrics
        >>> list(bridge_metrics(Bridge.empty_example()).values)[:2]
        ['nrr', 'grr']
        """
        return FrozenMap({name: getattr(self, name) for name in METRIC_NAMES})

    def to_pandas(self, *, decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The metrics as a one-row pandas DataFrame (the row of a :class:`MetricsSeries` frame).

        Columns: ``start``, ``end``, ``currency``, ``method``, ``level``,
        ``periods``, ``months``, ``starting_mrr``, ``new``, ``reactivation``, ``expansion``,
        ``contraction``, ``churn``, ``fx``, ``ending_mrr``, ``arr``, ``starting_entities``,
        ``ending_entities``, ``churned_entities``, ``gross_margin``, then the metrics of
        :data:`METRIC_NAMES` (``nrr`` ... ``ltv``), missing where undefined (the reasons are in
        :attr:`RevenueMetrics.reasons` and the HTML view).
        ``starting_mrr`` plus the six movement columns equals ``ending_mrr``. Amounts and
        ratios are Decimals unless ``decimals="float"`` (see
        :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.

        >>> from expansion_revenue.results.bridge import Bridge
        >>> from expansion_revenue.engine.metrics import bridge_metrics
        >>> df = bridge_metrics(Bridge.empty_example()).to_pandas()
        >>> df.shape, df["nrr"][0] is None
        ((1, 31), True)
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, decimals=decimals)

    def to_polars(self, *, decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The metrics as a one-row polars DataFrame.

        The same columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the scale that
        holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.

        >>> from expansion_revenue.results.bridge import Bridge
        >>> from expansion_revenue.engine.metrics import bridge_metrics
        >>> bridge_metrics(Bridge.empty_example()).to_polars()["nrr"].to_list()
        [None]
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, decimals=decimals)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)


class MetricsSeries(BaseModel):
    """Metrics of consecutive periods, or of a trailing window ending at each period.

    Attributes:
        window: how many bridges each entry covers (1 for per-period metrics, 12 for trailing
            twelve months of a monthly series).
        metrics: one :class:`RevenueMetrics` per period, in date order.

    >>> MetricsSeries(window=1, metrics=()).column("nrr")
    ()
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: int = Field(ge=1)
    metrics: tuple[RevenueMetrics, ...]

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._ordered()

    def _ordered(self) -> MetricsSeries:
        for before, after in zip(self.metrics, self.metrics[1:], strict=False):
            if after.end <= before.end:
                raise PydanticCustomError("metrics_order", "metrics must be in date order", {})
        return self

    def column(self, name: str) -> tuple[Decimal | None, ...]:
        """One metric (or amount) across the series, e.g. ``column("nrr")``.

        Raises:
            AttributeError: ``name`` is not a field of :class:`RevenueMetrics`.

        >>> MetricsSeries(window=12, metrics=()).column("expansion_rate")
        ()
        """
        if name not in RevenueMetrics.model_fields:
            raise AttributeError(f"RevenueMetrics has no field {name!r}")
        return tuple(getattr(m, name) for m in self.metrics)

    def to_pandas(self, *, decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The series as a pandas DataFrame: one row per entry, in date order.

        Columns: ``start``, ``end``, ``currency``, ``method``, ``level``,
        ``periods``, ``months``, ``starting_mrr``, ``new``, ``reactivation``, ``expansion``,
        ``contraction``, ``churn``, ``fx``, ``ending_mrr``, ``arr``, ``starting_entities``,
        ``ending_entities``, ``churned_entities``, ``gross_margin``, then the metrics of
        :data:`METRIC_NAMES` (``nrr`` ... ``ltv``), missing where undefined (the reasons are in
        :attr:`RevenueMetrics.reasons` and the HTML view).
        Each column equals :meth:`column` of the same name. Amounts and ratios are Decimals
        unless ``decimals="float"`` (see :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.

        >>> from expansion_revenue import load_example, load_example_fx, bridge_series
        >>> from expansion_revenue.engine.metrics import series_metrics
        >>> m = series_metrics(bridge_series(load_example(), "2024-01", "2024-06", fx=load_example_fx()))
        >>> tuple(m.to_pandas()["nrr"]) == m.column("nrr")
        True
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, decimals=decimals)

    def to_polars(self, *, decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The series as a polars DataFrame: one row per entry, in date order.

        The same columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the scale that
        holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.

        >>> MetricsSeries(window=1, metrics=()).to_polars().shape
        (0, 31)
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, decimals=decimals)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)

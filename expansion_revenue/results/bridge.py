"""Revenue bridges: starting MRR, signed movements, ending MRR, and the ledger behind them.

A :class:`Bridge` checks itself on construction: ``starting_mrr + new + reactivation + expansion +
contraction + churn + fx == ending_mrr`` with ``==`` on Decimals, and every component equals the
sum of its ledger rows. A bridge that does not sum cannot exist. A :class:`BridgeSeries` also
checks that its bridges chain: each ending MRR is the next starting MRR.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from expansion_revenue.frozen import FrozenMap
from expansion_revenue.money import EXACT, Amount, Currency
from expansion_revenue.policy import Policy
from expansion_revenue.records import Records, RecordsSchema, field_values
from expansion_revenue.results._construct import trusted
from expansion_revenue.results.attribution import Attribution
from expansion_revenue.results.snapshot import exact_sum

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from expansion_revenue.display.frames import DecimalMode

#: The tables of a bridge's frames (see :meth:`Bridge.to_pandas`).
BridgeTable = Literal["bridge", "ledger", "entities"]
#: The tables of a series' frames (see :meth:`BridgeSeries.to_pandas`).
SeriesTable = Literal["periods", "ledger"]

__all__ = [
    "COMPONENTS", "Bridge", "BridgeMethod", "BridgeSeries", "EntityChange", "Movement", "MovementKind",
    "ledger_sums",
]


class MovementKind(str, Enum):
    """What a ledger row is: one of the bridge's movement lines."""

    NEW = "new"
    REACTIVATION = "reactivation"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"
    FX = "fx"


#: The bridge's movement components, in display order.
COMPONENTS: tuple[str, ...] = tuple(kind.value for kind in MovementKind)

#: How movements are measured: endpoint comparison or every change as it happens.
BridgeMethod = Literal["snapshot", "events"]


class Movement(BaseModel):
    """One ledger row: an entity's movement of one kind, with the lines behind it.

    For every kind but ``fx``, ``amount == cur_mrr - prev_mrr``: the entity's MRR before and after
    the movement, both valued at the same FX rates. An ``fx`` row's ``amount`` is the entity's
    currency effect over the period; its ``prev_mrr`` and ``cur_mrr`` are the entity's MRR at the
    period's start and end (at their own dates' rates).

    Attributes:
        entity_id: the entity (customer, parent, segment ...) at the policy's level.
        kind: new, reactivation, expansion, contraction, churn or fx.
        amount: signed amount in the reporting currency (contraction and churn are negative).
        prev_mrr: MRR before.
        cur_mrr: MRR after.
        on: the day the change happened (events method), or ``None`` (snapshot method).
        line_ids: the contract lines whose MRR changed in this movement.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_id: str
    kind: MovementKind
    amount: Amount
    prev_mrr: Amount
    cur_mrr: Amount
    on: datetime.date | None = None
    line_ids: tuple[str, ...] = ()


class EntityChange(BaseModel):
    """An entity whose MRR moved in a bridge: its MRR at the period's start and end.

    Entities that do not appear here kept the same MRR through the period. The entity's ledger
    rows sum exactly to ``end_mrr - start_mrr`` (checked by :class:`Bridge`).

    Attributes:
        entity_id: the entity.
        start_mrr: its MRR on the bridge's start date (at that date's rates).
        end_mrr: its MRR on the bridge's end date (at that date's rates).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_id: str
    start_mrr: Amount
    end_mrr: Amount

    @property
    def change(self) -> Decimal:
        """``end_mrr - start_mrr``."""
        return EXACT.subtract(self.end_mrr, self.start_mrr)


def ledger_sums(
    ledger: Sequence[Movement],
) -> tuple[dict[MovementKind, Decimal], dict[str, Decimal]]:
    """The exact sums of ledger rows by kind and by entity (kinds and entities with rows only).

    >>> rows = (Movement(entity_id="a", kind="new", amount=5, prev_mrr=0, cur_mrr=5),
    ...         Movement(entity_id="a", kind="fx", amount=1, prev_mrr=0, cur_mrr=6))
    >>> ledger_sums(rows)
    ({<MovementKind.NEW: 'new'>: Decimal('5'), <MovementKind.FX: 'fx'>: Decimal('1')}, {'a': Decimal('6')})
    """
    by_kind: dict[MovementKind, Decimal] = {}
    per_entity: dict[str, Decimal] = {}
    zero = Decimal(0)
    with localcontext(EXACT):  # ``+`` traps any inexact sum, as EXACT.add would
        for entity, kind, amount, *_ in field_values(ledger, Movement):  # no row built
            by_kind[kind] = by_kind.get(kind, zero) + amount  # from 0, like a sum()
            found = per_entity.get(entity)
            per_entity[entity] = amount if found is None else found + amount
    return by_kind, per_entity


def _sums_in_entity_order(
    ledger: Sequence[Movement], entities: Sequence[EntityChange],
) -> dict[MovementKind, Decimal] | None:
    """The ledger's sums by kind, when its rows check against ``entities`` in one pass.

    The engine writes each entity's rows together, in the order of its entity changes; then each
    group of rows is summed and compared with its change as it goes, without the per-entity
    dictionary of :func:`ledger_sums`. ``None`` when the rows are not in that order or a group
    does not sum to its change: the caller then checks the general way (and words the error).
    """
    if not (isinstance(ledger, Records) and isinstance(entities, Records)):
        return None
    rows, count, index = ledger.field_values, len(ledger), 0
    by_kind: dict[MovementKind, Decimal] = {}
    zero = Decimal(0)
    with localcontext(EXACT):
        if count == len(entities):  # often one row per entity: pair them up
            get = by_kind.get
            for (entity, kind, amount, _, _, _, _), (changed, start_mrr, end_mrr) in zip(
                    rows, entities.field_values, strict=True):
                if entity != changed or amount != end_mrr - start_mrr:
                    break
                by_kind[kind] = get(kind, zero) + amount
            else:
                return by_kind
            by_kind = {}  # not one row per entity after all: group them below
        for entity, start_mrr, end_mrr in entities.field_values:
            if index >= count or rows[index][0] != entity:
                return None
            total = zero
            while index < count and rows[index][0] == entity:
                row = rows[index]
                by_kind[row[1]] = by_kind.get(row[1], zero) + row[2]
                total += row[2]
                index += 1
            if total != end_mrr - start_mrr:
                return None
    return by_kind if index == count else None


class Bridge(BaseModel):
    """How MRR moved from ``start`` to ``end``: the revenue bridge (MRR waterfall) of a period.

    The period is ``(start, end]``: ``starting_mrr`` is the snapshot on ``start`` and
    ``ending_mrr`` the snapshot on ``end``. Movements are signed.

    Attributes:
        start: the period's opening date (exclusive).
        end: the period's closing date (inclusive).
        currency: the reporting currency.
        method: ``snapshot`` or ``events``.
        policy: the conventions used.
        periods: how many consecutive periods this bridge adds up (1 for a direct bridge).
        starting_mrr: MRR on ``start``.
        new: MRR from entities that never paid before (positive).
        reactivation: MRR from entities returning after churn (positive).
        expansion: growth of continuing entities (positive).
        contraction: shrinkage of continuing entities (negative).
        churn: MRR lost from entities going to zero (negative).
        fx: the change due to exchange rates alone.
        ending_mrr: MRR on ``end``.
        ledger: every entity's movements, so each figure can be drilled into.
        entities: every entity that moved, with its start and end MRR (left empty on a
            series summary, whose ledger spans several periods).
        attribution: the expansion, contraction and fx movements split into categories by
            the rule set (``None`` when the bridge was computed with ``attribution=False``).

    >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
    >>> b = revenue_bridge(load_example(), "2024-01-31", "2024-12-31", fx=load_example_fx())
    >>> b.starting_mrr + b.net_change == b.ending_mrr
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime.date
    end: datetime.date
    currency: Currency
    method: BridgeMethod
    policy: Policy
    periods: int = 1
    starting_mrr: Amount
    new: Amount
    reactivation: Amount
    expansion: Amount
    contraction: Amount
    churn: Amount
    fx: Amount
    ending_mrr: Amount
    ledger: Annotated[Sequence[Movement], RecordsSchema(tuple[Movement, ...])]
    entities: Annotated[Sequence[EntityChange], RecordsSchema(tuple[EntityChange, ...])] = ()
    attribution: Attribution | None = None

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._identity()

    @classmethod
    def _from_engine(
        cls, *, start: datetime.date, end: datetime.date, currency: str, method: BridgeMethod,
        policy: Policy, starting_mrr: Decimal, ending_mrr: Decimal, ledger: Sequence[Movement],
        entities: Sequence[EntityChange], attribution: Attribution | None,
    ) -> Bridge:
        """A bridge whose components are the sums of ``ledger``, from values already typed.

        For the engine, whose values have the fields' types already: the fields are not
        validated again (like the ledger's rows, see ``_construct``), but every invariant is
        checked as on any construction: the components (summed here from the ledger) must take
        ``starting_mrr`` to ``ending_mrr``, each entity's rows must sum to its MRR change, and the
        attribution's totals must match.

        Raises:
            pydantic.ValidationError: an invariant does not hold (as from the constructor).

        >>> b = Bridge._from_engine(start=datetime.date(2024, 1, 31), end=datetime.date(2024, 2, 29),
        ...     currency="EUR", method="snapshot", policy=Policy(), starting_mrr=Decimal(10),
        ...     ending_mrr=Decimal(15), attribution=None,
        ...     ledger=(Movement(entity_id="a", kind="new", amount=5, prev_mrr=0, cur_mrr=5),),
        ...     entities=(EntityChange(entity_id="a", start_mrr=0, end_mrr=5),))
        >>> b.new, b == Bridge.model_validate(b.model_dump())
        (Decimal('5'), True)
        """
        in_order = _sums_in_entity_order(ledger, entities)
        by_kind, per_entity = ledger_sums(ledger) if in_order is None else (in_order, {})
        zero = Decimal(0)
        values: dict[str, Any] = {
            "start": start, "end": end, "currency": currency, "method": method,
            "policy": policy, "periods": 1, "starting_mrr": starting_mrr,
            **{kind.value: by_kind.get(kind, zero) for kind in MovementKind},
            "ending_mrr": ending_mrr, "ledger": ledger, "entities": entities,
            "attribution": attribution,
        }
        bridge = trusted(cls, **{name: values[name] for name in cls.model_fields})
        object.__setattr__(bridge, "__pydantic_fields_set__", _ENGINE_FIELDS_SET)
        try:
            bridge._identity((by_kind, per_entity), entities_checked=in_order is not None)
        except PydanticCustomError as error:
            raise ValidationError.from_exception_data(
                cls.__name__, [{"type": error, "loc": (), "input": values}]) from None
        return bridge

    def _identity(
        self, sums: tuple[dict[MovementKind, Decimal], dict[str, Decimal]] | None = None,
        *, entities_checked: bool = False,
    ) -> Bridge:
        if self.start > self.end:
            raise PydanticCustomError("bridge_period", "start {start} is after end {end}",
                                      {"start": str(self.start), "end": str(self.end)})
        signs = {"new": 1, "reactivation": 1, "expansion": 1, "contraction": -1, "churn": -1}
        for name, sign in signs.items():
            value: Decimal = getattr(self, name)
            if value * sign < 0:
                raise PydanticCustomError("bridge_sign", "{name} has the wrong sign: {value}",
                                          {"name": name, "value": str(value)})
        if EXACT.add(self.starting_mrr, self.net_change) != self.ending_mrr:
            raise PydanticCustomError(
                "bridge_sum",
                "starting {start} + movements {net} != ending {end}",
                {"start": str(self.starting_mrr), "net": str(self.net_change),
                 "end": str(self.ending_mrr)},
            )
        by_kind, per_entity = ledger_sums(self.ledger) if sums is None else sums
        if self.periods == 1 and not entities_checked:
            subtract = EXACT.subtract
            for entity, start_mrr, end_mrr in field_values(self.entities, EntityChange):
                moved = per_entity.pop(entity, None)
                if moved is None or moved != subtract(end_mrr, start_mrr):
                    raise PydanticCustomError(
                        "bridge_entities",
                        "the ledger rows of entity '{entity}' do not sum to its MRR change",
                        {"entity": entity})
            if per_entity:
                raise PydanticCustomError(
                    "bridge_entities", "entity '{entity}' has ledger rows but no MRR change",
                    {"entity": next(iter(per_entity))})
        if self.attribution is not None and (
                (self.attribution.expansion, self.attribution.contraction, self.attribution.fx)
                != (self.expansion, self.contraction, self.fx)):
            raise PydanticCustomError(
                "bridge_attribution", "the attribution's totals differ from the bridge's", {})
        zero = Decimal(0)
        for kind in MovementKind:
            found = by_kind.get(kind, zero)
            if found != getattr(self, kind.value):
                raise PydanticCustomError(
                    "bridge_ledger", "{name} {value} is not the sum of its ledger rows ({rows})",
                    {"name": kind.value, "value": str(getattr(self, kind.value)), "rows": str(found)},
                )
        return self

    @property
    def components(self) -> FrozenMap[str, Decimal]:
        """The movement components by name, in display order.

        >>> list(Bridge.empty_example().components)
        ['new', 'reactivation', 'expansion', 'contraction', 'churn', 'fx']
        """
        return FrozenMap({name: getattr(self, name) for name in COMPONENTS})

    @property
    def net_change(self) -> Decimal:
        """The sum of all movements: ``ending_mrr - starting_mrr``."""
        return exact_sum(getattr(self, name) for name in COMPONENTS)

    @property
    def gross_expansion(self) -> Decimal:
        """New + reactivation + expansion: all MRR gained."""
        return exact_sum((self.new, self.reactivation, self.expansion))

    @property
    def gross_loss(self) -> Decimal:
        """Contraction + churn: all MRR lost (negative)."""
        return EXACT.add(self.contraction, self.churn)

    @cached_property
    def by_entity(self) -> FrozenMap[str, tuple[Movement, ...]]:
        """The ledger grouped by entity (entities in order of first appearance)."""
        groups: dict[str, list[Movement]] = defaultdict(list)
        for row in self.ledger:
            groups[row.entity_id].append(row)
        return FrozenMap({key: tuple(rows) for key, rows in groups.items()})

    def movements(self, kind: MovementKind | str) -> tuple[Movement, ...]:
        """The ledger rows of one kind.

        >>> Bridge.empty_example().movements("churn")
        ()
        """
        wanted = MovementKind(kind)
        return tuple(row for row in self.ledger if row.kind is wanted)

    @classmethod
    def empty_example(cls) -> Bridge:
        """A bridge with no movements (for documentation and tests of presentation code).

        >>> Bridge.empty_example().ending_mrr
        Decimal('0')
        """
        day = datetime.date(2024, 1, 31)
        zero = Decimal(0)
        return cls(start=day, end=day, currency="USD", method="snapshot", policy=Policy(),
                   starting_mrr=zero, new=zero, reactivation=zero, expansion=zero,
                   contraction=zero, churn=zero, fx=zero, ending_mrr=zero, ledger=())

    def to_pandas(self, table: BridgeTable = "bridge", *, decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The bridge, its ledger or its entities as a pandas DataFrame.

        Tables and their columns:

        * ``bridge``: one row for ``starting_mrr``, one per movement (``new``, ``reactivation``,
          ``expansion``, ``contraction``, ``churn``, ``fx``) and one for ``ending_mrr``; columns
          ``component``, ``kind`` (``start``, ``movement`` or ``end``) and ``amount``. The
          movement rows sum to ``ending_mrr - starting_mrr``.
        * ``ledger``: one row per :class:`Movement`; columns ``entity_id``, ``kind``, ``amount``,
          ``prev_mrr``, ``cur_mrr``, ``on`` (events method; else missing) and ``line_ids``. The
          amounts of each kind sum to that component.
        * ``entities``: one row per :class:`EntityChange`; columns ``entity_id``, ``start_mrr``,
          ``end_mrr`` and ``change``. The changes sum to ``ending_mrr - starting_mrr``.

        The expansion attribution has its own frames: ``bridge.attribution.to_pandas()``.
        Amounts are Decimals unless ``decimals="float"`` (see
        :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.
            ValueError: an unknown table.

        >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
        >>> b = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx())
        >>> df = b.to_pandas()
        >>> df[df["kind"] == "movement"]["amount"].sum() == b.ending_mrr - b.starting_mrr
        True
        >>> ledger = b.to_pandas("ledger")
        >>> ledger[ledger["kind"] == "churn"]["amount"].sum() == b.churn
        True
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, table, decimals=decimals)

    def to_polars(self, table: BridgeTable = "bridge", *, decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The bridge, its ledger or its entities as a polars DataFrame.

        The same tables and columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the
        scale that holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.
            ValueError: an unknown table.

        >>> import polars as pl
        >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
        >>> b = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx())
        >>> b.to_polars().filter(pl.col("kind") == "movement")["amount"].sum() == b.net_change
        True
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, table, decimals=decimals)

    def plot(self, *, ax: Axes | None = None, title: str | None = None) -> Figure:
        """The bridge as a waterfall chart (see :func:`expansion_revenue.display.waterfall`).

        Raises:
            MissingExtraError: matplotlib is not installed.

        >>> len(Bridge.empty_example().plot().axes[0].patches)
        8
        """
        from expansion_revenue.display.charts import waterfall

        return waterfall(self, ax=ax, title=title)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)


#: The fields a bridge built by ``Bridge._from_engine`` counts as set (all but ``periods``, as when
#: the engine passed them to the constructor).
_ENGINE_FIELDS_SET = set(Bridge.model_fields) - {"periods"}


def _joined(ledgers: Iterable[Sequence[Movement]]) -> Sequence[Movement]:
    """Ledgers one after the other: the rows' values when every ledger is a Records, else rows."""
    parts = tuple(ledgers)
    if all(isinstance(part, Records) for part in parts):
        return Records(Movement, tuple(values for part in parts
                                       for values in field_values(part, Movement)))
    return tuple(row for part in parts for row in part)


class BridgeSeries(BaseModel):
    """Consecutive bridges (monthly, quarterly ...), each ending where the next starts.

    Attributes:
        bridges: the bridges in date order.

    >>> from expansion_revenue import load_example, load_example_fx, bridge_series
    >>> s = bridge_series(load_example(), "2024-01", "2024-12", fx=load_example_fx())
    >>> len(s.bridges), s.summary.ending_mrr == s.bridges[-1].ending_mrr
    (12, True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    bridges: tuple[Bridge, ...]

    def model_post_init(self, context: Any, /) -> None:
        """Check the invariants once, when built (not again when nested in another result)."""
        self._chain()

    def _chain(self) -> BridgeSeries:
        for before, after in zip(self.bridges, self.bridges[1:], strict=False):
            if before.end != after.start or before.ending_mrr != after.starting_mrr:
                raise PydanticCustomError(
                    "series_chain",
                    "bridge ending {end} ({ending}) does not start the next one ({start}, {starting})",
                    {"end": str(before.end), "ending": str(before.ending_mrr),
                     "start": str(after.start), "starting": str(after.starting_mrr)},
                )
        return self

    @cached_property
    def summary(self) -> Bridge:
        """One bridge over the whole range that adds up the periods' movements and ledgers.

        For the events method it equals the direct bridge of the range (event bridges are
        additive); for the snapshot method it is the sum of the periods, which counts an entity
        that churned and came back twice, unlike one endpoint-to-endpoint bridge.
        """
        if not self.bridges:
            raise ValueError("an empty series has no summary")
        if len(self.bridges) == 1:
            return self.bridges[0]
        first, last = self.bridges[0], self.bridges[-1]
        totals = {name: exact_sum(getattr(b, name) for b in self.bridges) for name in COMPONENTS}
        return Bridge(start=first.start, end=last.end, currency=first.currency, method=first.method,
                      policy=first.policy, periods=sum(b.periods for b in self.bridges),
                      starting_mrr=first.starting_mrr, ending_mrr=last.ending_mrr,
                      ledger=_joined(b.ledger for b in self.bridges),
                      entities=(), attribution=self.attribution, **totals)

    @cached_property
    def attribution(self) -> Attribution | None:
        """The periods' attributions combined (``None`` if any bridge has none)."""
        found = tuple(b.attribution for b in self.bridges if b.attribution is not None)
        if not found or len(found) != len(self.bridges):
            return None
        return Attribution.combine(found)

    def to_pandas(self, table: SeriesTable = "periods", *, decimals: DecimalMode = "exact") -> pd.DataFrame:
        """The series' periods or ledger as a pandas DataFrame.

        Tables and their columns:

        * ``periods``: one row per bridge; columns ``start``, ``end``, ``starting_mrr``, one per
          movement (``new``, ``reactivation``, ``expansion``, ``contraction``, ``churn``,
          ``fx``), ``ending_mrr`` and ``net_change``. In each row the movements sum to
          ``ending_mrr - starting_mrr``; each movement column sums to the :attr:`summary`'s.
        * ``ledger``: every bridge's ledger rows, with the bridge's ``start`` and ``end`` first,
          then the columns of :meth:`Bridge.to_pandas`'s ``ledger``.

        Amounts are Decimals unless ``decimals="float"`` (see
        :mod:`expansion_revenue.display.frames`).

        Raises:
            MissingExtraError: pandas is not installed.
            ValueError: an unknown table.

        >>> from expansion_revenue import load_example, load_example_fx, bridge_series
        >>> s = bridge_series(load_example(), "2024-01", "2024-12", fx=load_example_fx())
        >>> df = s.to_pandas()
        >>> len(df), df["expansion"].sum() == s.summary.expansion
        (12, True)
        """
        from expansion_revenue.display.frames import to_pandas

        return to_pandas(self, table, decimals=decimals)

    def to_polars(self, table: SeriesTable = "periods", *, decimals: DecimalMode = "exact") -> pl.DataFrame:
        """The series' periods or ledger as a polars DataFrame.

        The same tables and columns as :meth:`to_pandas`; amounts are ``pl.Decimal`` with the
        scale that holds every value exactly (``decimals="float"``: ``pl.Float64``).

        Raises:
            MissingExtraError: polars is not installed.
            ValueError: an unknown table.

        >>> from expansion_revenue import load_example, load_example_fx, bridge_series
        >>> s = bridge_series(load_example(), "2024-01", "2024-12", fx=load_example_fx())
        >>> s.to_polars()["churn"].sum() == s.summary.churn
        True
        """
        from expansion_revenue.display.frames import to_polars

        return to_polars(self, table, decimals=decimals)

    def plot(self, *, ax: Axes | None = None, title: str | None = None) -> Figure:
        """The movements per period and the ending MRR as a chart.

        See :func:`expansion_revenue.display.movements_chart`.

        Raises:
            MissingExtraError: matplotlib is not installed.

        >>> from expansion_revenue import load_example, load_example_fx, bridge_series
        >>> s = bridge_series(load_example(), "2024-01", "2024-03", fx=load_example_fx())
        >>> len(s.plot().axes[0].patches)
        18
        """
        from expansion_revenue.display.charts import movements_chart

        return movements_chart(self, ax=ax, title=title)

    def _repr_html_(self) -> str:
        """The notebook view: a small HTML table (see :mod:`expansion_revenue.display.html`)."""
        from expansion_revenue.display.html import render_html

        return render_html(self)

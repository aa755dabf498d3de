"""The rows and columns of every result, before any DataFrame library is involved.

A :class:`Table` is a tuple of typed :class:`Column` objects holding the result's own values
(exact Decimals, dates, ids): nothing is computed, rounded or converted here.
:mod:`~expansion_revenue.display.frames` turns a table into a pandas or polars DataFrame, so both
libraries get the same columns in the same order.

Each result offers one or more tables (the first is the default):

* ``MrrSnapshot``: ``lines``
* ``Bridge``: ``bridge``, ``ledger``, ``entities``
* ``BridgeSeries``: ``periods``, ``ledger``
* ``Attribution``: ``parts``, ``categories``
* ``RevenueMetrics`` and ``MetricsSeries``: ``metrics``
* ``CohortTable``: ``cells``
* ``Breakdown``: ``groups``
* ``ScenarioComparison``: ``months``, ``scenarios``

The columns of each are documented on the result's ``to_pandas`` method.

>>> from expansion_revenue import Bridge
>>> t = table_of(Bridge.empty_example())
>>> t.names
('component', 'kind', 'amount')
>>> t["component"].values
('starting_mrr', 'new', 'reactivation', 'expansion', 'contraction', 'churn', 'fx', 'ending_mrr')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from typing import Any, Literal, TypeVar

from expansion_revenue.results.attribution import Attribution
from expansion_revenue.results.breakdowns import Breakdown
from expansion_revenue.results.bridge import COMPONENTS, Bridge, BridgeSeries
from expansion_revenue.results.cohorts import CohortTable
from expansion_revenue.results.metrics import MetricsSeries, RevenueMetrics
from expansion_revenue.results.projection import ScenarioComparison
from expansion_revenue.results.snapshot import MrrSnapshot

__all__ = ["TABLES", "Column", "ColumnKind", "Presentable", "Table", "table_of"]

#: What a column holds: ``text`` (str or None), ``amount`` (Decimal or None), ``integer``
#: (int or None), ``date`` (datetime.date or None), ``flag`` (bool) or ``ids`` (tuple of str).
ColumnKind = Literal["text", "amount", "integer", "date", "flag", "ids"]

#: Every result this layer presents.
Presentable = (MrrSnapshot | Bridge | BridgeSeries | Attribution | RevenueMetrics | MetricsSeries
               | CohortTable | Breakdown | ScenarioComparison)

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """One named, typed column of a result's values.

    Attributes:
        name: the column name.
        kind: what the values are (see :data:`ColumnKind`).
        values: one value per row, exactly as the result holds it.

    >>> Column("amount", "amount", ()).values
    ()
    """

    name: str
    kind: ColumnKind
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """A result's rows as named, typed columns of equal length.

    Attributes:
        columns: the columns, in display order.

    >>> from expansion_revenue import Bridge
    >>> len(table_of(Bridge.empty_example(), "ledger"))
    0
    """

    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column.name for column in self.columns)

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def __len__(self) -> int:
        return len(self.columns[0].values) if self.columns else 0


#: A column of a row type: its name, its kind, and how to read it from a row.
Spec = tuple[tuple[str, ColumnKind, Callable[[Any], Any]], ...]


def _spec(*columns: tuple[str, ColumnKind]) -> Spec:
    return tuple((name, kind, attrgetter(name)) for name, kind in columns)


def _column(name: str, kind: ColumnKind, values: tuple[Any, ...]) -> Column:
    if kind == "text" and any(isinstance(value, Enum) for value in values):
        values = tuple(value.value if isinstance(value, Enum) else value for value in values)
    return Column(name, kind, values)


def _build(rows: Sequence[T], spec: Spec) -> Table:
    return Table(tuple(_column(name, kind, tuple(map(read, rows))) for name, kind, read in spec))


def _joined(*tables: Table) -> Table:
    return Table(tuple(column for table in tables for column in table.columns))


_AMOUNTS: tuple[tuple[str, ColumnKind], ...] = tuple((name, "amount") for name in COMPONENTS)

LINES: Spec = _spec(("line_id", "text"), ("contract_id", "text"), ("customer_id", "text"),
              ("entity_id", "text"), ("product_id", "text"), ("plan_id", "text"),
              ("currency", "text"), ("mrr_local", "amount"), ("rate", "amount"), ("mrr", "amount"))
LEDGER: Spec = _spec(("entity_id", "text"), ("kind", "text"), ("amount", "amount"), ("prev_mrr", "amount"),
               ("cur_mrr", "amount"), ("on", "date"), ("line_ids", "ids"))
ENTITIES: Spec = (*_spec(("entity_id", "text"), ("start_mrr", "amount"), ("end_mrr", "amount")),
            ("change", "amount", attrgetter("change")))
PERIODS: Spec = (*_spec(("start", "date"), ("end", "date"), ("starting_mrr", "amount"), *_AMOUNTS,
                  ("ending_mrr", "amount")), ("net_change", "amount", attrgetter("net_change")))
PARTS: Spec = _spec(("entity_id", "text"), ("movement", "text"), ("on", "date"), ("category", "text"),
              ("amount", "amount"), ("rule", "text"), ("product_id", "text"), ("add_on", "flag"),
              ("plan_id", "text"), ("tier", "integer"), ("line_ids", "ids"))
METRICS: Spec = _spec(
    ("start", "date"), ("end", "date"), ("currency", "text"), ("method", "text"), ("level", "text"),
    ("periods", "integer"), ("months", "amount"), ("starting_mrr", "amount"), *_AMOUNTS,
    ("ending_mrr", "amount"), ("arr", "amount"), ("starting_entities", "integer"),
    ("ending_entities", "integer"), ("churned_entities", "integer"), ("gross_margin", "amount"),
    ("nrr", "amount"), ("grr", "amount"), ("expansion_rate", "amount"), ("contraction_rate", "amount"),
    ("revenue_churn_rate", "amount"), ("gross_revenue_churn_rate", "amount"),
    ("net_revenue_churn_rate", "amount"), ("logo_churn_rate", "amount"), ("quick_ratio", "amount"),
    ("arpa", "amount"), ("ltv", "amount"),
)
CELLS: Spec = _spec(("months_since_start", "integer"), ("members", "integer"), ("paying", "integer"),
              ("base_mrr", "amount"), ("mrr", "amount"), ("retained_mrr", "amount"),
              ("expansion_mrr", "amount"), ("revenue_retention", "amount"),
              ("gross_retention", "amount"), ("expansion_rate", "amount"), ("logo_retention", "amount"))
ASSUMPTIONS: Spec = _spec(("new_mrr", "amount"), ("reactivation_mrr", "amount"), ("expansion_rate", "amount"),
                    ("contraction_rate", "amount"), ("churn_rate", "amount"))


def _snapshot_lines(snapshot: MrrSnapshot) -> Table:
    return _build(snapshot.lines, LINES)


def _bridge_lines(bridge: Bridge) -> Table:
    names = ("starting_mrr", *COMPONENTS, "ending_mrr")
    kinds = ("start", *("movement",) * len(COMPONENTS), "end")
    return Table((Column("component", "text", names), Column("kind", "text", kinds),
                  Column("amount", "amount", tuple(getattr(bridge, name) for name in names))))


def _series_periods(series: BridgeSeries) -> Table:
    return _build(series.bridges, PERIODS)


def _series_ledger(series: BridgeSeries) -> Table:
    rows = [(bridge, row) for bridge in series.bridges for row in bridge.ledger]
    period = _build([bridge for bridge, _ in rows], PERIODS[:2])
    return _joined(period, _build([row for _, row in rows], LEDGER))


def _categories(attribution: Attribution) -> Table:
    leaves = tuple(attribution.by_category)
    return Table((Column("category", "text", leaves),
                  Column("root", "text", tuple(leaf.split(".", 1)[0] for leaf in leaves)),
                  Column("amount", "amount", tuple(attribution.by_category.values()))))


def _metrics(metrics: Sequence[RevenueMetrics]) -> Table:
    return _build(metrics, METRICS)


def _breakdown(breakdown: Breakdown) -> Table:
    groups = tuple(breakdown.groups)
    return _joined(Table((Column("group", "text", groups),)), _metrics(tuple(breakdown.groups.values())))


def _cohort_cells(table: CohortTable) -> Table:
    pairs = [(row, cell) for row in table.rows for cell in row.cells]
    keys = Table((Column("cohort", "text", tuple(row.cohort for row, _ in pairs)),
                  Column("size", "integer", tuple(row.size for row, _ in pairs))))
    return _joined(keys, _build([cell for _, cell in pairs], CELLS))


def _scenario_months(comparison: ScenarioComparison) -> Table:
    rows = [(name, bridge) for name, series in comparison.projections.items() for bridge in series.bridges]
    names = Table((Column("scenario", "text", tuple(name for name, _ in rows)),))
    return _joined(names, _build([bridge for _, bridge in rows], PERIODS))


def _scenarios(comparison: ScenarioComparison) -> Table:
    names = tuple(comparison.projections)
    versus_mrr, versus_arr = comparison.versus(), comparison.versus(arr=True)
    return _joined(
        Table((Column("scenario", "text", names),
               Column("baseline", "flag", tuple(name == comparison.baseline for name in names)))),
        _build([comparison.assumptions[name] for name in names], ASSUMPTIONS),
        Table((Column("ending_mrr", "amount", tuple(comparison.ending_mrr[name] for name in names)),
               Column("ending_arr", "amount", tuple(comparison.ending_arr[name] for name in names)),
               Column("mrr_vs_baseline", "amount", tuple(versus_mrr[name] for name in names)),
               Column("arr_vs_baseline", "amount", tuple(versus_arr[name] for name in names)))),
    )


#: For each result type, its tables by name (the first is the default).
TABLES: dict[type[Any], dict[str, Callable[[Any], Table]]] = {
    MrrSnapshot: {"lines": _snapshot_lines},
    Bridge: {"bridge": _bridge_lines, "ledger": lambda b: _build(b.ledger, LEDGER),
             "entities": lambda b: _build(b.entities, ENTITIES)},
    BridgeSeries: {"periods": _series_periods, "ledger": _series_ledger},
    Attribution: {"parts": lambda a: _build(a.parts, PARTS), "categories": _categories},
    RevenueMetrics: {"metrics": lambda m: _metrics((m,))},
    MetricsSeries: {"metrics": lambda s: _metrics(s.metrics)},
    CohortTable: {"cells": _cohort_cells},
    Breakdown: {"groups": _breakdown},
    ScenarioComparison: {"months": _scenario_months, "scenarios": _scenarios},
}


def table_of(result: Presentable, table: str | None = None) -> Table:
    """One of a result's tables (its default table when ``table`` is ``None``).

    Args:
        result: any result object (snapshot, bridge, series, attribution, metrics, cohorts,
            breakdown, scenario comparison).
        table: the table's name; see the module documentation for each result's tables.

    Raises:
        TypeError: ``result`` is not a result object.
        ValueError: the result has no table of that name.

    >>> from expansion_revenue import Bridge
    >>> table_of(Bridge.empty_example(), "entities").names
    ('entity_id', 'start_mrr', 'end_mrr', 'change')
    >>> table_of(Bridge.empty_example(), "parts")
    Traceback (most recent call last):
    ...
    ValueError: a Bridge has no table 'parts'; use one of: bridge, ledger, entities
    """
    builders = next((TABLES[cls] for cls in type(result).__mro__ if cls in TABLES), None)
    if builders is None:
        raise TypeError(f"cannot tabulate a {type(result).__name__}")
    name = table if table is not None else next(iter(builders))
    if name not in builders:
        raise ValueError(f"a {type(result).__name__} has no table {name!r}; "
                         f"use one of: {', '.join(builders)}")
    return builders[name](result)

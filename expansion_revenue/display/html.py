"""HTML tables for notebooks: what Jupyter shows when a cell's value is a result.

Each result's ``_repr_html_`` calls :func:`render_html`. The tables need no extra and stay
small: amounts rounded half-even to 2 decimals with thousands separators (the exact value in
each cell's tooltip), the currency in the caption and the column headers, ratios as
percentages, and long lists (ledger rows, attribution parts, customers) cut to their first
:data:`MAX_ROWS` rows with a line saying how many more there are; the frames have them all.
Every piece of text from the data (ids, categories, scenario names) is HTML-escaped.

A bridge shows its identity: starting MRR, each movement, ending MRR, and a last row
``starting + movements = ending`` with the three figures.

>>> from expansion_revenue import Bridge
>>> html = render_html(Bridge.empty_example())
>>> "Starting MRR" in html and "starting + movements = ending" in html
True
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from expansion_revenue.display.tables import Presentable
from expansion_revenue.money import quantize
from expansion_revenue.results.attribution import Attribution
from expansion_revenue.results.breakdowns import Breakdown
from expansion_revenue.results.bridge import COMPONENTS, Bridge, BridgeSeries
from expansion_revenue.results.cohorts import CohortTable
from expansion_revenue.results.metrics import METRIC_NAMES, MetricsSeries, RevenueMetrics
from expansion_revenue.results.projection import ScenarioComparison
from expansion_revenue.results.snapshot import MrrSnapshot

__all__ = ["MAX_COLUMNS", "MAX_PERIODS", "MAX_ROWS", "format_amount", "format_percent", "render_html"]

#: Rows shown of a long list (ledger, parts, lines, customers) before "... and N more".
MAX_ROWS = 10
#: Rows shown of a table of periods, groups, scenarios or cohorts.
MAX_PERIODS = 36
#: Month columns shown of a cohort table.
MAX_COLUMNS = 36

_LABELS = {
    "starting_mrr": "Starting MRR", "new": "New", "reactivation": "Reactivation",
    "expansion": "Expansion", "contraction": "Contraction", "churn": "Churn", "fx": "FX",
    "ending_mrr": "Ending MRR",
}
_METRIC_LABELS = {
    "nrr": "Net revenue retention (NRR)", "grr": "Gross revenue retention (GRR)",
    "expansion_rate": "Expansion rate", "contraction_rate": "Contraction rate",
    "revenue_churn_rate": "Revenue churn rate", "gross_revenue_churn_rate": "Gross revenue churn rate",
    "net_revenue_churn_rate": "Net revenue churn rate", "logo_churn_rate": "Logo churn rate",
    "quick_ratio": "Quick ratio", "arpa": "ARPA", "ltv": "LTV",
}
_SERIES_METRICS = {"nrr": "NRR", "grr": "GRR", "expansion_rate": "Expansion", "contraction_rate":
                   "Contraction", "revenue_churn_rate": "Revenue churn", "logo_churn_rate": "Logo churn",
                   "quick_ratio": "Quick ratio"}
_RIGHT = "text-align:right"
_DASH = "—"


def format_amount(value: Decimal | None) -> str:
    """An amount for display: rounded half-even to 2 places, with thousands separators.

    >>> format_amount(Decimal("1234567.885")), format_amount(Decimal("-0.001")), format_amount(None)
    ('1,234,567.88', '0.00', '—')
    """
    if value is None:
        return _DASH
    shown = quantize(value, 2)
    return f"{shown if shown else abs(shown):,.2f}"


def format_percent(value: Decimal | None) -> str:
    """A ratio for display as a percentage with 2 decimals (``1.05`` is ``105.00%``).

    >>> format_percent(Decimal("1.0525")), format_percent(None)
    ('105.25%', '—')
    """
    if value is None:
        return _DASH
    shown = quantize(value.scaleb(2), 2)
    return f"{shown if shown else abs(shown):,.2f}%"


def _ratio(value: Decimal | None) -> str:
    return _DASH if value is None else f"{quantize(value, 2):,.2f}"


def _esc(value: object) -> str:
    return _html.escape(str(value))


def _cell(text: str, *, title: object = None, numeric: bool = False, indent: int = 0,
          tag: str = "td") -> str:
    """A table cell; ``text`` is plain text (escaped here), ``title`` an exact value or a note."""
    styles = [_RIGHT] if numeric else ["text-align:left"]
    if indent:
        styles.append(f"padding-left:{0.5 + 1.2 * indent:.1f}em")
    tip = f' title="{_esc(title)}"' if title is not None else ""
    return f'<{tag} style="{";".join(styles)}"{tip}>{_esc(text)}</{tag}>'


def _amount_cell(value: Decimal | None, note: str | None = None) -> str:
    return _cell(format_amount(value), title=note if value is None else value, numeric=True)


def _percent_cell(value: Decimal | None, note: str | None = None) -> str:
    return _cell(format_percent(value), title=note if value is None else value, numeric=True)


def _row(cells: Iterable[str], *, strong: bool = False) -> str:
    style = ' style="font-weight:bold"' if strong else ""
    return f"<tr{style}>{''.join(cells)}</tr>"


def _table(caption: str, headers: Sequence[tuple[str, bool]], rows: Iterable[str],
           footer: Iterable[str] = ()) -> str:
    """A table: ``headers`` are (text, numeric) pairs; ``rows`` and ``footer`` are ``<tr>``s."""
    head = _row(_cell(text, numeric=numeric, tag="th") for text, numeric in headers)
    foot = "".join(footer)
    return ("<table style=\"border-collapse:collapse\">"
            f"<caption style=\"text-align:left;font-weight:bold\">{_esc(caption)}</caption>"
            f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody>"
            + (f"<tfoot>{foot}</tfoot>" if foot else "") + "</table>")


def _note(text: str) -> str:
    return f'<p style="margin:0.2em 0 0.8em 0;font-size:90%">{_esc(text)}</p>'


def _more(shown: int, total: int, where: str) -> str:
    return _note(f"… and {total - shown} more ({where} has them all)") if total > shown else ""


def _wrap(kind: str, *parts: str) -> str:
    return f'<div class="expansion-revenue expansion-revenue-{kind}">{"".join(parts)}</div>'


def _period(start: object, end: object) -> str:
    return f"{start} → {end}"


def _bridge_caption(bridge: Bridge) -> str:
    periods = f" · {bridge.periods} periods" if bridge.periods != 1 else ""
    return (f"Revenue bridge {_period(bridge.start, bridge.end)} · {bridge.currency} · "
            f"{bridge.method} method · {bridge.policy.level} level{periods}")


def _bridge_html(bridge: Bridge) -> str:
    rows = [_row((_cell(_LABELS["starting_mrr"]), _amount_cell(bridge.starting_mrr)), strong=True)]
    for name, value in bridge.components.items():
        rows.append(_row((_cell(_LABELS[name], indent=1), _amount_cell(value))))
    rows.append(_row((_cell(_LABELS["ending_mrr"]), _amount_cell(bridge.ending_mrr)), strong=True))
    identity = (f"{format_amount(bridge.starting_mrr)} + {format_amount(bridge.net_change)} = "
                f"{format_amount(bridge.ending_mrr)}")
    footer = [_row((_cell("starting + movements = ending"),
                    _cell(identity, title=f"{bridge.starting_mrr} + {bridge.net_change} = "
                                          f"{bridge.ending_mrr} (exact)", numeric=True)))]
    parts = [_table(_bridge_caption(bridge), (("", False), (f"MRR ({bridge.currency})", True)), rows,
                    footer)]
    if bridge.attribution is not None:
        parts.append(_tree_table(bridge.attribution, "Gross expansion and contraction by category"))
    parts.append(_ledger_table(bridge))
    return _wrap("bridge", *parts)


def _ledger_table(bridge: Bridge) -> str:
    total = len(bridge.ledger)
    entities = len(bridge.by_entity)
    caption = f"Ledger: {total} movement{'s' if total != 1 else ''} of {entities} entit" + (
        "ies" if entities != 1 else "y")
    if not total:
        return _note(caption)
    dated = any(row.on is not None for row in bridge.ledger)
    headers = [("Entity", False), ("Movement", False), (f"Amount ({bridge.currency})", True),
               ("MRR before", True), ("MRR after", True)] + ([("On", False)] if dated else [])
    rows = []
    for row in bridge.ledger[:MAX_ROWS]:
        cells = [_cell(row.entity_id), _cell(row.kind.value), _amount_cell(row.amount),
                 _amount_cell(row.prev_mrr), _amount_cell(row.cur_mrr)]
        if dated:
            cells.append(_cell(_DASH if row.on is None else row.on.isoformat()))
        rows.append(_row(cells))
    return _table(caption, headers, rows) + _more(min(total, MAX_ROWS), total, 'to_pandas("ledger")')


def _tree_table(attribution: Attribution, caption: str) -> str:
    roots = {"expansion", "contraction", "fx"}
    rows = []
    for node, value in attribution.tree.items():
        if value == 0 and node not in roots:
            continue
        depth = node.count(".")
        label = node.rsplit(".", 1)[-1].replace("_", " ")
        label = label.upper() if label == "fx" else label.capitalize()
        rows.append(_row((_cell(label, title=node, indent=depth), _amount_cell(value)),
                         strong=depth == 0))
    return _table(f"{caption} · {attribution.currency}",
                  (("Category", False), (f"Amount ({attribution.currency})", True)), rows)


def _attribution_html(attribution: Attribution) -> str:
    totals = [_row((_cell(_LABELS[name]), _amount_cell(getattr(attribution, name))))
              for name in ("expansion", "contraction", "fx")]
    caption = f"Expansion attribution {_period(attribution.start, attribution.end)} · {attribution.currency}"
    parts = [_table(caption, (("Movement", False), (f"Net ({attribution.currency})", True)), totals),
             _tree_table(attribution, "Gross amount by category")]
    total = len(attribution.parts)
    if total:
        rows = [_row((_cell(p.entity_id), _cell(p.movement), _cell(p.category), _amount_cell(p.amount),
                      _cell(p.rule))) for p in attribution.parts[:MAX_ROWS]]
        parts.append(_table(f"Parts: {total}", (("Entity", False), ("Movement", False),
                                                 ("Category", False), ("Amount", True), ("Rule", False)),
                            rows))
        parts.append(_more(min(total, MAX_ROWS), total, "to_pandas()"))
    return _wrap("attribution", *parts)


def _snapshot_html(snapshot: MrrSnapshot) -> str:
    currency = snapshot.currency
    summary = [
        _row((_cell("Total MRR"), _amount_cell(snapshot.total)), strong=True),
        _row((_cell("ARR"), _amount_cell(snapshot.arr))),
        _row((_cell("Active lines"), _cell(str(len(snapshot.lines)), numeric=True))),
        _row((_cell("Customers"), _cell(str(len(snapshot.by_customer)), numeric=True))),
    ]
    if snapshot.policy.level != "customer":
        summary.append(_row((_cell(f"Entities ({snapshot.policy.level} level)"),
                             _cell(str(len(snapshot.by_entity)), numeric=True))))
    parts = [_table(f"MRR snapshot on {snapshot.at} · {currency}",
                    (("", False), (currency, True)), summary)]
    for title, figures, where in (("By product", snapshot.by_product, "by_product"),
                                  ("Largest customers", snapshot.by_customer, "by_customer")):
        if not figures:
            continue
        ranked = sorted(figures.items(), key=lambda item: -item[1])[:MAX_ROWS]
        rows = [_row((_cell(key), _amount_cell(value))) for key, value in ranked]
        parts.append(_table(title, (("", False), (f"MRR ({currency})", True)), rows))
        parts.append(_more(len(ranked), len(figures), where))
    return _wrap("snapshot", *parts)


def _movement_headers(currency: str, first: str) -> list[tuple[str, bool]]:
    return [(first, False), (f"Starting MRR ({currency})", True),
            *((_LABELS[name], True) for name in COMPONENTS), ("Ending MRR", True)]


def _movement_cells(bridge: Bridge) -> list[str]:
    return [_amount_cell(bridge.starting_mrr), *(_amount_cell(v) for v in bridge.components.values()),
            _amount_cell(bridge.ending_mrr)]


def _series_html(series: BridgeSeries) -> str:
    bridges = series.bridges
    if not bridges:
        return _wrap("series", _note("Bridge series: no periods"))
    first, last = bridges[0], bridges[-1]
    caption = (f"Bridge series: {len(bridges)} periods {_period(first.start, last.end)} · "
               f"{first.currency} · {first.method} method")
    rows = [_row((_cell(b.end.isoformat(), title=_period(b.start, b.end)), *_movement_cells(b)))
            for b in bridges[:MAX_PERIODS]]
    footer = [_row((_cell("Total"), *_movement_cells(series.summary)), strong=True)]
    return _wrap("series", _table(caption, _movement_headers(first.currency, "Period end"), rows, footer),
                 _more(min(len(bridges), MAX_PERIODS), len(bridges), 'to_pandas("periods")'))


def _metrics_html(metrics: RevenueMetrics) -> str:
    currency = metrics.currency
    caption = (f"Revenue metrics {_period(metrics.start, metrics.end)} · {currency} · {metrics.method} "
               f"method · {metrics.level} level · {metrics.periods} period"
               f"{'s' if metrics.periods != 1 else ''}, {metrics.months.normalize():f} months")
    amounts = [_row((_cell(_LABELS[name], indent=0 if name.endswith("_mrr") else 1),
                     _amount_cell(getattr(metrics, name))), strong=name.endswith("_mrr"))
               for name in ("starting_mrr", *COMPONENTS, "ending_mrr")]
    amounts.append(_row((_cell("ARR"), _amount_cell(metrics.arr))))
    for name, label in (("starting_entities", "Entities at start"), ("ending_entities", "Entities at end"),
                        ("churned_entities", "Churned entities")):
        count = getattr(metrics, name)
        amounts.append(_row((_cell(label), _cell(_DASH if count is None else str(count), numeric=True))))
    values = []
    for name in METRIC_NAMES:
        value: Decimal | None = getattr(metrics, name)
        reason = metrics.reasons.get(name, "")
        if name in ("arpa", "ltv"):
            shown = _amount_cell(value, reason)
        elif name == "quick_ratio":
            shown = _cell(_ratio(value), title=reason if value is None else value, numeric=True)
        else:
            shown = _percent_cell(value, reason)
        values.append(_row((_cell(_METRIC_LABELS[name]), shown, _cell(reason))))
    margin = ("" if metrics.gross_margin is None
              else f" · LTV at gross margin {format_percent(metrics.gross_margin)}")
    return _wrap("metrics",
                 _table(caption, (("", False), (currency, True)), amounts),
                 _table(f"Metrics{margin}", (("Metric", False), ("Value", True), ("Note", False)), values))


def _metrics_series_html(series: MetricsSeries) -> str:
    if not series.metrics:
        return _wrap("metrics-series", _note(f"Revenue metrics (window {series.window}): no periods"))
    currency = series.metrics[0].currency
    headers = [("Period end", False), (f"Starting MRR ({currency})", True), ("Ending MRR", True),
               *((label, True) for label in _SERIES_METRICS.values())]
    rows = []
    for m in series.metrics[:MAX_PERIODS]:
        cells = [_cell(m.end.isoformat(), title=_period(m.start, m.end)), _amount_cell(m.starting_mrr),
                 _amount_cell(m.ending_mrr)]
        for name in _SERIES_METRICS:
            value = getattr(m, name)
            reason = m.reasons.get(name)
            cells.append(_cell(_ratio(value), title=reason if value is None else value, numeric=True)
                         if name == "quick_ratio" else _percent_cell(value, reason))
        rows.append(_row(cells))
    window = "per period" if series.window == 1 else f"trailing {series.window} periods"
    return _wrap("metrics-series",
                 _table(f"Revenue metrics, {window} · {currency}", headers, rows),
                 _more(min(len(series.metrics), MAX_PERIODS), len(series.metrics), "to_pandas()"))


def _cohorts_html(table: CohortTable) -> str:
    caption = (f"Cohorts by {table.by}, {table.start} to {table.end} · {table.currency}: "
               "revenue retention (MRR / first-month MRR) by months since start")
    if not table.rows:
        return _wrap("cohorts", _note(f"{caption}: no cohorts"))
    months = max(len(row.cells) for row in table.rows)
    shown_months = min(months, MAX_COLUMNS)
    headers = [("Cohort", False), ("Size", True), *((str(k), True) for k in range(shown_months))]
    rows = []
    for row in table.rows[:MAX_PERIODS]:
        cells = [_cell(row.cohort), _cell(str(row.size), numeric=True)]
        for k in range(shown_months):
            if k < len(row.cells):
                cell = row.cells[k]
                cells.append(_cell(format_percent(cell.revenue_retention), numeric=True,
                                   title=f"MRR {format_amount(cell.mrr)} of {format_amount(cell.base_mrr)}; "
                                         f"{cell.paying} of {cell.members} paying"))
            else:
                cells.append(_cell("", numeric=True))
        rows.append(_row(cells))
    parts = [_table(caption, headers, rows),
             _more(min(len(table.rows), MAX_PERIODS), len(table.rows), "to_pandas()")]
    if months > shown_months:
        parts.append(_note(f"… and {months - shown_months} more months (to_pandas() has them all)"))
    return _wrap("cohorts", *parts)


def _breakdown_html(breakdown: Breakdown) -> str:
    total = breakdown.total
    headers = [*_movement_headers(total.currency, "Group"), ("NRR", True), ("GRR", True)]

    def cells(m: RevenueMetrics) -> list[str]:
        return [_amount_cell(m.starting_mrr), *(_amount_cell(getattr(m, n)) for n in COMPONENTS),
                _amount_cell(m.ending_mrr), _percent_cell(m.nrr, m.reasons.get("nrr")),
                _percent_cell(m.grr, m.reasons.get("grr"))]

    groups = list(breakdown.groups.items())
    rows = [_row((_cell(key), *cells(m))) for key, m in groups[:MAX_PERIODS]]
    footer = [_row((_cell("Total"), *cells(total)), strong=True)]
    caption = f"Breakdown by {breakdown.by}, {_period(total.start, total.end)} · {total.currency}"
    parts = [_table(caption, headers, rows, footer), _more(min(len(groups), MAX_PERIODS), len(groups),
                                                           "to_pandas()")]
    if breakdown.overlapping:
        parts.append(_note("An entity can sit in several groups: the groups do not add up to the total."))
    return _wrap("breakdown", *parts)


def _scenarios_html(comparison: ScenarioComparison) -> str:
    first = next(iter(comparison.projections.values())).bridges
    currency = first[0].currency
    caption = (f"Scenarios: {len(first)} months {_period(first[0].start, first[-1].end)} from "
               f"{format_amount(first[0].starting_mrr)} {currency} MRR · baseline {comparison.baseline}")
    headers = [("Scenario", False), ("New MRR / month", True), ("Reactivation / month", True),
               ("Expansion rate", True), ("Contraction rate", True), ("Churn rate", True),
               (f"Ending MRR ({currency})", True), ("Ending ARR", True), ("MRR vs baseline", True)]
    versus = comparison.versus()
    rows = []
    for name in list(comparison.projections)[:MAX_PERIODS]:
        a = comparison.assumptions[name]
        label = f"{name} (baseline)" if name == comparison.baseline else name
        rows.append(_row((_cell(label), _amount_cell(a.new_mrr), _amount_cell(a.reactivation_mrr),
                          _percent_cell(a.expansion_rate), _percent_cell(a.contraction_rate),
                          _percent_cell(a.churn_rate), _amount_cell(comparison.ending_mrr[name]),
                          _amount_cell(comparison.ending_arr[name]), _amount_cell(versus[name])),
                         strong=name == comparison.baseline))
    return _wrap("scenarios", _table(caption, headers, rows),
                 _more(min(len(comparison.projections), MAX_PERIODS), len(comparison.projections),
                       'to_pandas("scenarios")'))


_RENDERERS: dict[type[Any], Callable[[Any], str]] = {
    MrrSnapshot: _snapshot_html,
    Bridge: _bridge_html,
    BridgeSeries: _series_html,
    Attribution: _attribution_html,
    RevenueMetrics: _metrics_html,
    MetricsSeries: _metrics_series_html,
    CohortTable: _cohorts_html,
    Breakdown: _breakdown_html,
    ScenarioComparison: _scenarios_html,
}


def render_html(result: Presentable) -> str:
    """A result as a small HTML fragment (what a notebook shows for it).

    Raises:
        TypeError: ``result`` is not a result object.

    >>> from expansion_revenue import Bridge
    >>> render_html(Bridge.empty_example()).startswith('<div class="expansion-revenue')
    True
    """
    for cls in type(result).__mro__:
        if cls in _RENDERERS:
            return _RENDERERS[cls](result)
    raise TypeError(f"cannot render a {type(result).__name__}")

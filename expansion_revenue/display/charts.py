"""Charts: a bridge's waterfall, a series' monthly movements, a cohort table's heatmap.

matplotlib is an optional extra (``pip install 'expansion_revenue[charts]'``), imported on the
first call; without it a call raises :class:`~expansion_revenue.errors.MissingExtraError`.
Each function returns the :class:`matplotlib.figure.Figure`, to restyle or save. Figures are
built with ``matplotlib.figure.Figure`` rather than pyplot: no GUI backend and no global figure
registry are involved (rendering uses Agg, so it works without a display, on servers and in CI),
and nothing stays open after the figure is dropped. To draw into a figure of your own (pyplot
or subplots), pass ``ax=``. In Jupyter a returned figure shows as the cell's value once the
inline backend is active (``%matplotlib inline``, or after ``import matplotlib.pyplot``).

The charts draw the results' figures as floats; the exact values are in the results and frames.

>>> import tempfile, pathlib
>>> from expansion_revenue import Bridge
>>> fig = waterfall(Bridge.empty_example())
>>> len(fig.axes[0].patches)          # start, six movements, end
8
>>> with tempfile.TemporaryDirectory() as folder:
...     path = pathlib.Path(folder, "bridge.png")
...     fig.savefig(path)
...     path.stat().st_size > 0
True
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from expansion_revenue.errors import MissingExtraError
from expansion_revenue.results.bridge import COMPONENTS, Bridge, BridgeSeries
from expansion_revenue.results.cohorts import CohortCell, CohortTable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["COLORS", "cohort_heatmap", "movements_chart", "waterfall"]

#: Colours of the bridge lines (shared by the waterfall and the movements chart).
COLORS: dict[str, str] = {
    "total": "#5a5a7a",
    "new": "#55a868",
    "reactivation": "#8fd19e",
    "expansion": "#4c72b0",
    "contraction": "#dd8452",
    "churn": "#c44e52",
    "fx": "#8c8c8c",
    "unclassified": "#b8b8b8",
}
_LABELS = {"new": "New", "reactivation": "Reactivation", "expansion": "Expansion",
           "contraction": "Contraction", "churn": "Churn", "fx": "FX"}
_RATIOS = ("revenue_retention", "gross_retention", "expansion_rate", "logo_retention")
_COUNTS = ("months_since_start", "members", "paying")
_WIDTH = 0.6


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """A new figure and axes (or ``ax`` and its figure); raises when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingExtraError("matplotlib", "charts") from exc
    if ax is None:
        fig = Figure(figsize=size, layout="constrained")
        return fig, fig.add_subplot()
    owner: Any = ax.figure
    while not isinstance(owner, Figure):  # a SubFigure: climb to the figure that renders it
        owner = owner.figure
    return owner, ax


def _money_axis(ax: Axes, label: str) -> None:
    from matplotlib.ticker import StrMethodFormatter

    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylabel(label)


def _short(value: Decimal | float, signed: bool = False) -> str:
    return f"{float(value):+,.0f}" if signed else f"{float(value):,.0f}"


def waterfall(bridge: Bridge, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """A bridge as a waterfall: a starting bar, a floating bar per movement, an ending bar.

    Without attribution there are eight bars: starting MRR, new, reactivation, expansion,
    contraction, churn, fx, ending MRR (movements with no amount are zero-height bars, so the
    layout never changes). When ``bridge.attribution`` is present, expansion and contraction are
    drawn **gross**, stacked by category from ``attribution.by_category``: one bar per leaf
    category with an amount (an upsell, a capacity removal inside a growing account ...), plus
    an ``unclassified`` bar when parts went unclassified. The gross columns differ from the
    net bridge lines by the parts that offset each other inside one entity, but the bars still
    run from starting to ending MRR.

    Args:
        bridge: the bridge to draw.
        ax: axes to draw into (default: a new figure).
        title: the title (default: the period and currency).

    Raises:
        MissingExtraError: matplotlib is not installed.

    >>> from expansion_revenue import load_example, load_example_fx, revenue_bridge
    >>> b = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx())
    >>> fig = waterfall(b)
    >>> [" ".join(t.get_text().split()) for t in fig.axes[0].get_xticklabels()][:4]
    ['Starting MRR', 'New', 'Reactivation', 'Expansion (gross)']
    """
    fig, ax = _figure(ax, (10, 5.5))
    # each column: its label and its pieces (legend, colour, height), stacked in order
    columns: list[tuple[str, list[tuple[str, Any, float]]]] = []
    attribution = bridge.attribution
    if attribution is None:
        columns += [(_LABELS[name], [("", COLORS[name], float(value))])
                    for name, value in bridge.components.items()]
    else:
        from matplotlib import colormaps

        palette = colormaps["tab20"]
        leaves = attribution.categories.leaves
        for name, value in bridge.components.items():
            if name not in ("expansion", "contraction"):
                columns.append((_LABELS[name], [("", COLORS[name], float(value))]))
                continue
            pieces = [(leaf.split(".", 1)[1].replace("_", " ").replace(".", ": "),
                       palette(leaves.index(leaf) % palette.N), float(amount))
                      for leaf, amount in attribution.by_category.items()
                      if leaf.startswith(f"{name}.") and amount != 0]
            columns.append((f"{_LABELS[name]}\n(gross)", pieces or [("", COLORS[name], 0.0)]))
            if name == "contraction" and attribution.by_category.get("unclassified", 0) != 0:
                columns.append(("Unclassified", [("", COLORS["unclassified"],
                                                  float(attribution.by_category["unclassified"]))]))
    labels = ["Starting MRR", *(label for label, _ in columns), "Ending MRR"]
    start, end = float(bridge.starting_mrr), float(bridge.ending_mrr)
    ax.bar(0, start, width=_WIDTH, color=COLORS["total"])
    ax.text(0, start, _short(start), ha="center", va="bottom", fontsize=8)
    level = start
    for x, (_, pieces) in enumerate(columns, start=1):
        ax.plot([x - 1 + _WIDTH / 2, x - _WIDTH / 2], [level, level], color="#999999",
                linestyle=":", linewidth=1)
        base = level
        for legend, colour, height in pieces:
            ax.bar(x, height, bottom=level, width=_WIDTH, color=colour, label=legend or None,
                   edgecolor="white", linewidth=0.5)
            level += height
        top = max(base, level)
        ax.text(x, top, _short(level - base, signed=True), ha="center", va="bottom", fontsize=8)
    last = len(columns) + 1
    ax.plot([last - 1 + _WIDTH / 2, last - _WIDTH / 2], [level, level], color="#999999",
            linestyle=":", linewidth=1)
    ax.bar(last, end, width=_WIDTH, color=COLORS["total"])
    ax.text(last, end, _short(end), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.axhline(0, color="#444444", linewidth=0.8)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.06 * (high - low))  # room for the labels above the tallest bar
    _money_axis(ax, f"MRR ({bridge.currency})")
    ax.set_title(title if title is not None else
                 f"Revenue bridge {bridge.start} → {bridge.end} ({bridge.currency})")
    if attribution is not None and any(legend for _, pieces in columns for legend, _, _ in pieces):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, title="gross by category",
                  title_fontsize=7)
    return fig


def movements_chart(series: BridgeSeries, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """A series' movements per period as stacked bars, with the ending MRR as a line.

    Gains (new, reactivation, expansion, a positive fx) stack upwards from zero and losses
    (contraction, churn, a negative fx) downwards: six bars per period (zero-height where a line
    has no amount), in ``fig.axes[0]``. The ending MRR is a line on a second y axis,
    ``fig.axes[1]``, since it is far larger than the movements.

    Args:
        series: consecutive bridges (monthly, quarterly ...).
        ax: axes to draw the bars into (default: a new figure).
        title: the title (default: the range and currency).

    Raises:
        MissingExtraError: matplotlib is not installed.

    >>> from expansion_revenue import load_example, load_example_fx, bridge_series
    >>> s = bridge_series(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    >>> fig = movements_chart(s)
    >>> len(fig.axes[0].patches), len(fig.axes[1].lines[0].get_xdata())
    (36, 6)
    """
    fig, ax = _figure(ax, (11, 5.5))
    bridges = series.bridges
    if not bridges:
        ax.text(0.5, 0.5, "no periods", ha="center", va="center", transform=ax.transAxes)
        return fig
    currency = bridges[0].currency
    x = list(range(len(bridges)))
    up = [0.0] * len(bridges)
    down = [0.0] * len(bridges)
    for name in COMPONENTS:
        heights = [float(getattr(b, name)) for b in bridges]
        bottoms = [up[i] if h >= 0 else down[i] for i, h in enumerate(heights)]
        ax.bar(x, heights, bottom=bottoms, width=0.7, color=COLORS[name], label=_LABELS[name])
        for i, h in enumerate(heights):
            if h >= 0:
                up[i] += h
            else:
                down[i] += h
    ax.axhline(0, color="#444444", linewidth=0.8)
    _money_axis(ax, f"Movement ({currency})")
    line_axis = ax.twinx()
    line_axis.plot(x, [float(b.ending_mrr) for b in bridges], color="#222222", marker="o",
                   markersize=3, linewidth=1.5, label="Ending MRR")
    _money_axis(line_axis, f"Ending MRR ({currency})")
    line_axis.set_ylim(bottom=0)
    ax.set_xticks(x, [b.end.strftime("%Y-%m") for b in bridges], fontsize=8,
                  rotation=45 if len(bridges) > 12 else 0)
    bars, bar_labels = ax.get_legend_handles_labels()
    lines, line_labels = line_axis.get_legend_handles_labels()
    ax.legend(bars + lines, bar_labels + line_labels, loc="upper left", fontsize=7, ncols=2)
    ax.set_title(title if title is not None else
                 f"MRR movements {bridges[0].start} → {bridges[-1].end} ({currency})")
    return fig


def cohort_heatmap(table: CohortTable, value: str = "revenue_retention", *, ax: Axes | None = None,
                   title: str | None = None) -> Figure:
    """A cohort table as a heatmap: a row per cohort, a column per month since start.

    The image (``fig.axes[0].images[0]``) has a row per cohort and a column per month; months a
    cohort has not reached yet are blank. Each cell is annotated with its value when the table
    has at most 400 cells (text is slow to render). The colour bar is ``fig.axes[1]``.

    Args:
        table: the cohort table.
        value: the :class:`~expansion_revenue.results.cohorts.CohortCell` field to show
            (``revenue_retention`` by default; ``gross_retention``, ``expansion_rate``,
            ``logo_retention``, ``mrr`` ...).
        ax: axes to draw into (default: a new figure).
        title: the title (default: the value, grouping and currency).

    Raises:
        MissingExtraError: matplotlib is not installed.
        AttributeError: ``value`` is not a cohort cell field.

    >>> from expansion_revenue import load_example, load_example_fx
    >>> from expansion_revenue.engine.cohorts import cohort_table
    >>> t = cohort_table(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    >>> cohort_heatmap(t).axes[0].images[0].get_array().shape == (len(t.rows), 6)
    True
    """
    if value not in CohortCell.model_fields:
        raise AttributeError(f"CohortCell has no field {value!r}")
    rows = table.matrix(value)
    fig, ax = _figure(ax, (max(6.0, 2.5 + 0.45 * max((len(v) for v in rows.values()), default=1)),
                           max(3.0, 1.8 + 0.35 * len(rows))))
    caption = title if title is not None else (
        f"{value.replace('_', ' ').capitalize()} by cohort ({table.by}, {table.currency})")
    ax.set_title(caption)
    if not rows:
        ax.text(0.5, 0.5, "no cohorts", ha="center", va="center", transform=ax.transAxes)
        return fig
    months = max(len(values) for values in rows.values())
    nan = float("nan")
    grid = [[float(v) for v in values] + [nan] * (months - len(values)) for values in rows.values()]
    image = ax.imshow(grid, aspect="auto", cmap="viridis", interpolation="nearest")
    sizes = {row.cohort: row.size for row in table.rows}
    ax.set_yticks(range(len(rows)), [f"{key} (n={sizes[key]})" for key in rows], fontsize=8)
    ax.set_xticks(range(months), [str(k) for k in range(months)], fontsize=8)
    ax.set_xlabel("months since start")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(value.replace("_", " "))
    if value in _RATIOS:
        from matplotlib.ticker import PercentFormatter

        bar.ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
    if len(rows) * months <= 400:
        _annotate(ax, image, list(rows.values()), value)
    return fig


def _annotate(ax: Axes, image: Any, rows: Sequence[Sequence[Decimal]], value: str) -> None:
    for y, values in enumerate(rows):
        for x, cell in enumerate(values):
            number = float(cell)
            if value in _RATIOS:
                text = f"{number:.0%}"
            elif value in _COUNTS:
                text = f"{number:.0f}"
            else:
                text = _short(number)
            shade = image.norm(number)
            ax.text(x, y, text, ha="center", va="center", fontsize=7,
                    color="white" if shade < 0.55 else "black")

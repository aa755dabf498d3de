"""Charts: waterfall, monthly movements and cohort heatmap render, with the bars the results imply.

The worked example (as in ``test_frames``): starting MRR 60, new +40, expansion +50, churn -10,
ending 140, all in February 2024.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from expansion_revenue import (
    Bridge,
    BridgeSeries,
    Dataset,
    MissingExtraError,
    bridge_series,
    load_example,
    load_example_fx,
    revenue_bridge,
)
from expansion_revenue.display import cohort_heatmap, movements_chart, waterfall
from expansion_revenue.engine.cohorts import cohort_table
from expansion_revenue.results import COMPONENTS
from tests.builders import contract, dataset, line, plan

pytest.importorskip("matplotlib")
import numpy as np  # after the skip: the charts extra may be missing
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def story() -> Dataset:
    return dataset(plans=[plan("basic", price="10"), plan("pro", tier=2, price="20")], contracts=[
        contract("ka", "a", [line("a1", "basic", qty=5, start="2023-01-01", end="2024-02-15"),
                             line("a2", "pro", qty=5, start="2024-02-15")]),
        contract("kb", "b", [line("b1", "basic", qty=1, start="2023-01-01", end="2024-02-01")]),
        contract("kc", "c", [line("c1", "pro", qty=2, start="2024-02-10")]),
    ])


def rectangles(ax: Axes) -> list[Rectangle]:
    bars = [patch for patch in ax.patches if isinstance(patch, Rectangle)]
    assert len(bars) == len(ax.patches)
    return bars


def saved(fig: Figure, path: Path) -> int:
    fig.savefig(path)
    return path.stat().st_size


def test_waterfall_bars_by_hand(tmp_path: Path) -> None:
    b = revenue_bridge(story(), "2024-02", "2024-02", attribution=False)
    fig = waterfall(b)
    bars = rectangles(fig.axes[0])
    assert len(bars) == 8                                               # start, 6 movements, end
    # (bottom, height) of each bar: 60 | +40 from 60 | 0 | +50 from 100 | 0 | -10 from 150 | 0 | 140
    assert [(bar.get_y(), bar.get_height()) for bar in bars] == [
        (0, 60), (60, 40), (100, 0), (100, 50), (150, 0), (150, -10), (140, 0), (0, 140)]
    labels = [" ".join(t.get_text().split()) for t in fig.axes[0].get_xticklabels()]
    assert labels == ["Starting MRR", "New", "Reactivation", "Expansion", "Contraction", "Churn", "FX",
                      "Ending MRR"]
    assert fig.axes[0].get_title() == "Revenue bridge 2024-01-31 → 2024-02-29 (USD)"
    assert saved(fig, tmp_path / "waterfall.png") > 5_000


def test_waterfall_stacks_expansion_by_category(tmp_path: Path) -> None:
    b = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx())
    assert b.attribution is not None
    by_category = b.attribution.by_category
    expansion = [leaf for leaf, v in by_category.items() if leaf.startswith("expansion.") and v]
    contraction = [leaf for leaf, v in by_category.items() if leaf.startswith("contraction.") and v]
    unclassified = 1 if by_category["unclassified"] else 0
    assert len(expansion) > 1 and len(contraction) > 1
    fig = b.plot()
    bars = rectangles(fig.axes[0])
    # start, new, reactivation, a bar per category, churn, fx, end
    assert len(bars) == 6 + len(expansion) + len(contraction) + unclassified
    heights = [bar.get_height() for bar in bars]
    assert heights[3:3 + len(expansion)] == pytest.approx([float(by_category[c]) for c in expansion])
    assert sum(heights[3:3 + len(expansion)]) == pytest.approx(float(b.attribution.tree["expansion"]))
    assert heights[0] == pytest.approx(float(b.starting_mrr))
    assert heights[-1] == pytest.approx(float(b.ending_mrr))
    assert sum(heights[1:-1]) == pytest.approx(float(b.net_change))     # the bars still reach the end
    legend = fig.axes[0].get_legend()
    assert legend is not None and "upsell" in [t.get_text() for t in legend.get_texts()]
    assert saved(fig, tmp_path / "waterfall.png") > 5_000


def test_waterfall_into_given_axes() -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert waterfall(Bridge.empty_example(), ax=right, title="mine") is fig
    assert right.get_title() == "mine" and not left.patches
    outer = Figure()
    sub = outer.add_subfigure(outer.add_gridspec(1, 2)[0, 1])
    assert waterfall(Bridge.empty_example(), ax=sub.add_subplot()) is outer


def test_movements_chart(tmp_path: Path) -> None:
    s = bridge_series(story(), "2024-01", "2024-03")
    fig = s.plot()
    bars, line_axis = fig.axes[0], fig.axes[1]
    assert len(bars.patches) == 6 * 3                                   # six lines x three months
    rects = rectangles(bars)
    by_line = {name: rects[i * 3:(i + 1) * 3] for i, name in enumerate(COMPONENTS)}
    assert [p.get_height() for p in by_line["new"]] == [0, 40, 0]
    assert [p.get_height() for p in by_line["expansion"]] == [0, 50, 0]
    assert by_line["expansion"][1].get_y() == 40                        # stacked on new
    assert by_line["churn"][1].get_y() == 0                             # losses hang below zero
    assert by_line["churn"][1].get_height() == -10
    assert list(line_axis.lines[0].get_ydata()) == [60, 140, 140]  # type: ignore[arg-type]
    assert [t.get_text() for t in bars.get_xticklabels()] == ["2024-01", "2024-02", "2024-03"]
    assert saved(fig, tmp_path / "movements.png") > 5_000


def test_movements_chart_of_two_years(tmp_path: Path) -> None:
    s = bridge_series(load_example(), "2023-02", "2024-12", fx=load_example_fx())
    fig = movements_chart(s, title="two years")
    assert len(fig.axes[0].patches) == 6 * 23
    assert fig.axes[0].get_title() == "two years"
    assert saved(fig, tmp_path / "movements.png") > 5_000


def test_movements_chart_of_nothing() -> None:
    fig = movements_chart(BridgeSeries(bridges=()))
    assert not fig.axes[0].patches and fig.axes[0].texts[0].get_text() == "no periods"


def test_cohort_heatmap(tmp_path: Path) -> None:
    t = cohort_table(load_example(), "2023-07", "2024-12", fx=load_example_fx())
    fig = t.plot()
    image = fig.axes[0].images[0]
    months = max(len(row.cells) for row in t.rows)
    grid = image.get_array()
    assert grid is not None and grid.shape == (len(t.rows), months)
    first = t.rows[0]
    assert [float(v) for v in grid[0][:len(first.cells)]] == [float(c.revenue_retention) for c in first.cells]
    last = t.rows[-1]
    assert np.ma.getmaskarray(grid)[-1][len(last.cells):].all()         # months not reached are blank
    assert len(fig.axes) == 2                                           # the heatmap and its colour bar
    cells = sum(len(row.cells) for row in t.rows)
    assert len(fig.axes[0].texts) == cells                              # each cell annotated
    assert saved(fig, tmp_path / "cohorts.png") > 5_000


def test_cohort_heatmap_other_values(tmp_path: Path) -> None:
    t = cohort_table(load_example(), "2024-01", "2024-06", fx=load_example_fx())
    fig = cohort_heatmap(t, "mrr")
    assert fig.axes[0].get_title().startswith("Mrr by cohort")
    assert saved(fig, tmp_path / "mrr.png") > 5_000
    with pytest.raises(AttributeError, match="CohortCell has no field 'nrr'"):
        cohort_heatmap(t, "nrr")
    empty = cohort_heatmap(cohort_table(Dataset(), "2024-01", "2024-02"))
    assert not empty.axes[0].images


def test_missing_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingExtraError) as info:
        Bridge.empty_example().plot()
    assert str(info.value) == (
        "this needs the optional dependency 'matplotlib': pip install 'expansion_revenue[charts]'")
    with pytest.raises(MissingExtraError, match=r"expansion_revenue\[charts\]"):
        movements_chart(BridgeSeries(bridges=()))

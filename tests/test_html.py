"""The notebook views: every result renders a small HTML table with its figures, formatted and escaped.

The worked example (as in ``test_frames``): starting MRR 60, new +40, expansion +50, churn -10,
ending 140.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from expansion_revenue import (
    Bridge,
    BridgeSeries,
    Dataset,
    bridge_series,
    load_example,
    load_example_fx,
    mrr_snapshot,
    revenue_bridge,
)
from expansion_revenue.display import render_html
from expansion_revenue.display.html import MAX_ROWS, format_amount, format_percent
from expansion_revenue.engine.breakdowns import revenue_breakdown
from expansion_revenue.engine.cohorts import cohort_table
from expansion_revenue.engine.metrics import bridge_metrics, series_metrics
from expansion_revenue.engine.projection import compare_scenarios
from expansion_revenue.results.metrics import MetricsSeries
from expansion_revenue.results.projection import ProjectionAssumptions
from tests.builders import contract, dataset, line, plan

EVIL = '<script>alert("x")</script>&'


def story(customer_b: str = "b") -> Dataset:
    return dataset(plans=[plan("basic", price="10"), plan("pro", tier=2, price="20")], contracts=[
        contract("ka", "a", [line("a1", "basic", qty=5, start="2023-01-01", end="2024-02-15"),
                             line("a2", "pro", qty=5, start="2024-02-15")]),
        contract("kb", customer_b, [line("b1", "basic", qty=1, start="2023-01-01", end="2024-02-01")]),
        contract("kc", "c", [line("c1", "pro", qty=2, start="2024-02-10")]),
    ])


def cells(html: str) -> list[str]:
    """The text of every cell, in order."""
    return re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html)


def test_formatting() -> None:
    assert format_amount(Decimal("1234567.885")) == "1,234,567.88"      # half-even
    assert format_amount(Decimal("1234567.895")) == "1,234,567.90"
    assert format_amount(Decimal("-1454.21075")) == "-1,454.21"
    assert format_amount(Decimal("-0.004")) == "0.00"                   # no negative zero
    assert format_percent(Decimal("0.998809")) == "99.88%"
    assert format_percent(Decimal("1.666667")) == "166.67%"


def test_bridge_shows_its_identity() -> None:
    b = revenue_bridge(story(), "2024-02", "2024-02")
    html = b._repr_html_()
    assert html == render_html(b)
    text = cells(html)
    rows = list(zip(text[2::2], text[3::2], strict=False))[:8]           # after the header
    assert rows == [("Starting MRR", "60.00"), ("New", "40.00"), ("Reactivation", "0.00"),
                    ("Expansion", "50.00"), ("Contraction", "0.00"), ("Churn", "-10.00"),
                    ("FX", "0.00"), ("Ending MRR", "140.00")]
    assert "starting + movements = ending" in html
    assert "60.00 + 80.00 = 140.00" in html
    assert "MRR (USD)" in html and "· USD ·" in html
    assert "snapshot method" in html and "customer level" in html
    # The gross view and the ledger follow the bridge.
    assert "Upsell" in html and 'title="expansion.upsell"' in html
    assert "Ledger: 3 movements of 3 entities" in html
    assert "more" not in html


def test_bridge_thousands_and_exact_tooltips() -> None:
    b = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx())
    html = b._repr_html_()
    assert format_amount(b.ending_mrr) in html and "," in format_amount(b.ending_mrr)
    assert f'title="{b.ending_mrr}"' in html                            # exact value on hover
    assert f'title="{b.fx}"' in html
    shown = len(b.ledger) - MAX_ROWS
    assert f"… and {shown} more" in html                                # the ledger is cut
    assert html.count("<tr") < 60


def test_text_is_escaped() -> None:
    b = revenue_bridge(story(customer_b=EVIL), "2024-02", "2024-02")
    html = b._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in html
    base = ProjectionAssumptions()
    comparison = compare_scenarios("100", "2024-12-31", 2, {EVIL: base, "b": base})
    scenario_html = comparison._repr_html_()
    assert "<script>" not in scenario_html and "&lt;script&gt;" in scenario_html


def test_empty_bridge() -> None:
    html = Bridge.empty_example()._repr_html_()
    assert "Ending MRR" in html and "0.00 + 0.00 = 0.00" in html
    assert "Ledger: 0 movements of 0 entities" in html


def test_snapshot() -> None:
    snap = mrr_snapshot(story(), "2024-02-29")
    html = snap._repr_html_()
    assert "MRR snapshot on 2024-02-29 · USD" in html
    text = cells(html)
    assert text[text.index("Total MRR") + 1] == "140.00"
    assert text[text.index("ARR") + 1] == "1,680.00"                     # 12 x 140
    assert text[text.index("Active lines") + 1] == "2"
    big = mrr_snapshot(load_example(), "2024-06-30", fx=load_example_fx())
    big_html = big._repr_html_()
    assert format_amount(big.total) in big_html
    assert f"… and {len(big.by_customer) - MAX_ROWS} more" in big_html


def test_series() -> None:
    s = bridge_series(story(), "2024-01", "2024-03")
    html = s._repr_html_()
    assert "Bridge series: 3 periods 2023-12-31 → 2024-03-31 · USD" in html
    text = cells(html)
    total = text.index("Total")
    assert text[total:total + 9] == ["Total", "60.00", "40.00", "0.00", "50.00", "0.00", "-10.00", "0.00",
                                     "140.00"]
    assert "2024-02-29" in text
    assert "no periods" in BridgeSeries(bridges=())._repr_html_()


def test_attribution() -> None:
    a = revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx()).attribution
    assert a is not None
    html = a._repr_html_()
    text = cells(html)
    assert text[text.index("Expansion") + 1] == format_amount(a.expansion)
    assert format_amount(a.tree["expansion"]) in text                   # the gross figure
    assert f"Parts: {len(a.parts)}" in html
    assert f"… and {len(a.parts) - MAX_ROWS} more" in html


def test_metrics() -> None:
    b = revenue_bridge(story(), "2024-02", "2024-02")
    html = bridge_metrics(b, starting_entities=2)._repr_html_()
    text = cells(html)
    assert text[text.index("Net revenue retention (NRR)") + 1] == "166.67%"   # (60 + 50 - 10) / 60
    assert text[text.index("Quick ratio") + 1] == "9.00"                     # (40 + 50) / 10
    assert text[text.index("ARR") + 1] == "1,680.00"
    empty = bridge_metrics(Bridge.empty_example())
    empty_html = empty._repr_html_()
    assert "—" in empty_html and "starting MRR is 0: no revenue to retain" in empty_html


def test_metrics_series() -> None:
    s = series_metrics(bridge_series(story(), "2024-01", "2024-03"))
    html = s._repr_html_()
    assert "Revenue metrics, per period · USD" in html
    assert "166.67%" in html and html.count("<tr") == 4                 # header + 3 periods
    assert "no periods" in MetricsSeries(window=12, metrics=())._repr_html_()


def test_cohorts() -> None:
    t = cohort_table(load_example(), "2023-01", "2024-12", fx=load_example_fx())
    html = t._repr_html_()
    assert "revenue retention" in html
    assert format_percent(t.rows[0].cells[-1].revenue_retention) in html
    assert f"{t.rows[0].cohort}</td>" in html
    assert "no cohorts" in cohort_table(Dataset(), "2024-01", "2024-02")._repr_html_()


def test_breakdown() -> None:
    ds, fx = load_example(), load_example_fx()
    bd = revenue_breakdown(ds, revenue_bridge(ds, "2024-01", "2024-12", fx=fx), "attribute:segment", fx=fx)
    html = bd._repr_html_()
    assert "Breakdown by attribute:segment" in html
    for key, group in bd.groups.items():
        assert f">{key}</td>" in html and format_amount(group.ending_mrr) in html
    assert format_amount(bd.total.ending_mrr) in html and "Total" in html
    assert "do not add up" not in html
    overlapping = revenue_breakdown(ds, revenue_bridge(ds, "2024-01", "2024-12", fx=fx), "product", fx=fx)
    assert "do not add up" in overlapping._repr_html_()


def test_scenarios() -> None:
    base = ProjectionAssumptions(new_mrr="100", expansion_rate="0.02")
    plus_one = base.adjusted(expansion_rate="0.01")
    cmp = compare_scenarios("1000", "2024-12-31", 12, {"base": base, "+1pt": plus_one})
    html = cmp._repr_html_()
    assert "base (baseline)" in html and "+1pt" in html
    for name in ("base", "+1pt"):
        assert format_amount(cmp.ending_mrr[name]) in html and format_amount(cmp.ending_arr[name]) in html
    assert format_amount(cmp.versus()["+1pt"]) in html
    assert "2.00%" in html and "3.00%" in html


def test_unknown_object() -> None:
    with pytest.raises(TypeError, match="cannot render a int"):
        render_html(3)  # type: ignore[arg-type]

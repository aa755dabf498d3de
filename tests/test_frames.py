"""DataFrames of the results: documented columns, exact amounts, and sums that match the results.

The worked example (customer ``a`` upgrades, ``b`` churns, ``c`` is new in February 2024):
starting MRR 60 (a: 5 x 10, b: 1 x 10); new +40 (c: 2 x 20); expansion +50 (a: 5 x 20 - 5 x 10);
churn -10 (b); ending 140 = 60 + 40 + 50 - 10.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest

from expansion_revenue import (
    Bridge,
    Dataset,
    LineMrr,
    MissingExtraError,
    MrrSnapshot,
    Policy,
    bridge_series,
    load_example,
    load_example_fx,
    mrr_snapshot,
    revenue_bridge,
)
from expansion_revenue.display import Column, frames, table_of, to_pandas, to_polars
from expansion_revenue.engine.breakdowns import revenue_breakdown
from expansion_revenue.engine.cohorts import cohort_table
from expansion_revenue.engine.metrics import bridge_metrics, series_metrics
from expansion_revenue.engine.projection import compare_scenarios
from expansion_revenue.results import COMPONENTS
from expansion_revenue.results.metrics import METRIC_NAMES
from expansion_revenue.results.projection import ProjectionAssumptions
from tests.builders import contract, d, dataset, dec, line, plan

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

BASIC = plan("basic", price="10")
PRO = plan("pro", tier=2, price="20")
METRIC_COLUMNS = ["start", "end", "currency", "method", "level", "periods", "months", "starting_mrr",
                  *COMPONENTS, "ending_mrr", "arr", "starting_entities", "ending_entities",
                  "churned_entities", "gross_margin", *METRIC_NAMES]
PERIOD_COLUMNS = ["start", "end", "starting_mrr", *COMPONENTS, "ending_mrr", "net_change"]
LEDGER_COLUMNS = ["entity_id", "kind", "amount", "prev_mrr", "cur_mrr", "on", "line_ids"]


def story() -> Dataset:
    return dataset(plans=[BASIC, PRO], contracts=[
        contract("ka", "a", [line("a1", "basic", qty=5, start="2023-01-01", end="2024-02-15"),
                             line("a2", "pro", qty=5, start="2024-02-15")]),
        contract("kb", "b", [line("b1", "basic", qty=1, start="2023-01-01", end="2024-02-01")]),
        contract("kc", "c", [line("c1", "pro", qty=2, start="2024-02-10")]),
    ])


def story_bridge() -> Bridge:
    return revenue_bridge(story(), "2024-02", "2024-02")


@pytest.fixture(scope="module")
def example_bridge() -> Bridge:
    return revenue_bridge(load_example(), "2024-01", "2024-12", fx=load_example_fx(), method="events")


# ----------------------------------------------------------------------------- bridge


def test_bridge_frame_by_hand() -> None:
    df = story_bridge().to_pandas()
    assert list(df.columns) == ["component", "kind", "amount"]
    assert df["component"].tolist() == ["starting_mrr", *COMPONENTS, "ending_mrr"]
    assert df["kind"].tolist() == ["start", *["movement"] * 6, "end"]
    assert df["amount"].tolist() == [60, 40, 0, 50, 0, -10, 0, 140]
    assert all(isinstance(v, Decimal) for v in df["amount"])
    movements = df[df["kind"] == "movement"]["amount"].sum()
    assert movements == 80 and isinstance(movements, Decimal)          # 140 - 60


def test_bridge_frame_polars_by_hand() -> None:
    df = story_bridge().to_polars()
    assert df.columns == ["component", "kind", "amount"]
    assert df.schema["amount"] == pl.Decimal(38, 0)
    assert df.filter(pl.col("kind") == "movement")["amount"].sum() == 80


def test_bridge_frames_sum_like_the_bridge(example_bridge: Bridge) -> None:
    b = example_bridge
    for df in (b.to_pandas(), b.to_polars()):
        amounts = dict(zip(df["component"], df["amount"], strict=True))
        assert amounts["starting_mrr"] == b.starting_mrr and amounts["ending_mrr"] == b.ending_mrr
        assert sum(amounts[name] for name in COMPONENTS) == b.ending_mrr - b.starting_mrr


def test_ledger_frame(example_bridge: Bridge) -> None:
    b = example_bridge
    df = b.to_pandas("ledger")
    assert list(df.columns) == LEDGER_COLUMNS and len(df) == len(b.ledger)
    sums = df.groupby("kind")["amount"].sum()
    for name in COMPONENTS:
        assert sums.get(name, Decimal(0)) == getattr(b, name), name
    assert df["on"].dtype.kind == "M"                                   # datetime64
    assert df["line_ids"].tolist() == [row.line_ids for row in b.ledger]
    polars = b.to_polars("ledger")
    assert polars.schema["on"] == pl.Date and polars.schema["line_ids"] == pl.List(pl.String)
    by_kind = dict(polars.group_by("kind").agg(pl.col("amount").sum()).iter_rows())
    assert {k: v for k, v in by_kind.items()} == {name: getattr(b, name) for name in by_kind}


def test_entities_frame(example_bridge: Bridge) -> None:
    b = example_bridge
    df = b.to_pandas("entities")
    assert list(df.columns) == ["entity_id", "start_mrr", "end_mrr", "change"]
    assert df["change"].sum() == b.ending_mrr - b.starting_mrr
    assert (df["end_mrr"] - df["start_mrr"] == df["change"]).all()


def test_snapshot_method_ledger_has_no_dates() -> None:
    df = story_bridge().to_pandas("ledger")
    assert df["on"].isna().all()
    assert df["entity_id"].tolist() == ["a", "b", "c"]
    assert df["kind"].tolist() == ["expansion", "churn", "new"]


def test_empty_bridge_frames() -> None:
    empty = Bridge.empty_example()
    assert empty.to_pandas("ledger").shape == (0, 7)
    assert empty.to_polars("entities").shape == (0, 4)
    assert list(empty.to_pandas("ledger").columns) == LEDGER_COLUMNS


# ----------------------------------------------------------------------------- series


def test_series_frame_one_row_per_period() -> None:
    s = bridge_series(load_example(), "2024-01", "2024-12", fx=load_example_fx())
    df = s.to_pandas()
    assert list(df.columns) == PERIOD_COLUMNS and len(df) == 12
    for name in COMPONENTS:
        assert df[name].sum() == getattr(s.summary, name), name
    for _, row in df.iterrows():
        assert row["starting_mrr"] + sum(row[n] for n in COMPONENTS) == row["ending_mrr"]
        assert row["ending_mrr"] - row["starting_mrr"] == row["net_change"]
    assert df["ending_mrr"].iloc[-1] == s.bridges[-1].ending_mrr
    assert (df["end"].iloc[:-1].to_numpy() == df["start"].iloc[1:].to_numpy()).all()
    polars = s.to_polars()
    assert polars.columns == PERIOD_COLUMNS and polars.schema["end"] == pl.Date
    assert polars["new"].sum() == s.summary.new


def test_series_ledger_frame() -> None:
    s = bridge_series(story(), "2024-01", "2024-03")
    df = s.to_pandas("ledger")
    assert list(df.columns) == ["start", "end", *LEDGER_COLUMNS]
    assert len(df) == sum(len(b.ledger) for b in s.bridges) == 3
    assert df["end"].dt.date.tolist() == [d("2024-02-29")] * 3        # every movement is in February
    assert df["amount"].sum() == s.summary.net_change == 80


# ----------------------------------------------------------------------------- snapshot


def test_snapshot_frame() -> None:
    snap = mrr_snapshot(story(), "2024-02-29")
    df = snap.to_pandas()
    assert list(df.columns) == ["line_id", "contract_id", "customer_id", "entity_id", "product_id",
                                "plan_id", "currency", "mrr_local", "rate", "mrr"]
    assert df["line_id"].tolist() == ["a2", "c1"]
    assert df["mrr"].sum() == snap.total == 140                         # 5 x 20 + 2 x 20
    assert snap.to_polars()["mrr"].sum() == 140


def test_polars_keeps_every_decimal_place() -> None:
    snap = mrr_snapshot(load_example(), "2024-06-30", fx=load_example_fx())
    df = snap.to_polars()
    places = max(-line.mrr.as_tuple().exponent for line in snap.lines)  # type: ignore[operator]
    assert df.schema["mrr"] == pl.Decimal(38, places)
    assert df["mrr"].to_list() == [line.mrr for line in snap.lines]
    assert df["mrr"].sum() == snap.total


def test_polars_refuses_amounts_longer_than_a_decimal_column() -> None:
    huge = Decimal("1" * 30 + "." + "1" * 10)                           # 40 digits
    snap = MrrSnapshot(at=dt.date(2024, 1, 31), currency="USD", policy=Policy(), total=huge,
                       lines=(LineMrr(line_id="l", contract_id="k", customer_id="c", entity_id="c",
                                      product_id="p", plan_id="q", currency="USD", mrr_local=huge,
                                      rate=1, mrr=huge),))
    with pytest.raises(ValueError, match=r"column 'mrr_local' needs 40 digits.*decimals='float'"):
        snap.to_polars()
    assert snap.to_polars(decimals="float")["mrr"].to_list() == [float(huge)]
    assert snap.to_pandas()["mrr"].tolist() == [huge]


@pytest.mark.parametrize("ids", [(("a", "b"), (), ("c",)), (("a\x1fb",), (), ("c", "d"))])
def test_polars_id_lists(ids: tuple[tuple[str, ...], ...]) -> None:
    series = frames._polars_series(pl, Column("line_ids", "ids", ids), "exact")
    assert series.dtype == pl.List(pl.String) and series.to_list() == [list(row) for row in ids]
    assert to_polars(Bridge.empty_example(), "ledger").schema["line_ids"] == pl.List(pl.String)


def test_float_mode() -> None:
    b = story_bridge()
    df = b.to_pandas(decimals="float")
    assert df["amount"].dtype == "float64" and df["amount"].tolist() == [60, 40, 0, 50, 0, -10, 0, 140]
    assert b.to_polars(decimals="float").schema["amount"] == pl.Float64
    with pytest.raises(ValueError, match="decimals must be 'exact' or 'float', got 'approx'"):
        b.to_pandas(decimals="approx")  # type: ignore[arg-type]


def test_unknown_table() -> None:
    with pytest.raises(ValueError, match="a Bridge has no table 'parts'; use one of: bridge, ledger, entit"):
        story_bridge().to_pandas("parts")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot tabulate a str"):
        table_of("bridge")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- attribution


def test_attribution_frames(example_bridge: Bridge) -> None:
    a = example_bridge.attribution
    assert a is not None
    parts = a.to_pandas()
    assert list(parts.columns) == ["entity_id", "movement", "on", "category", "amount", "rule",
                                   "product_id", "add_on", "plan_id", "tier", "line_ids"]
    assert len(parts) == len(a.parts) and parts["add_on"].dtype == bool
    for movement in ("expansion", "contraction", "fx"):
        assert parts[parts["movement"] == movement]["amount"].sum() == getattr(a, movement)
    categories = a.to_pandas("categories")
    assert list(categories.columns) == ["category", "root", "amount"]
    assert categories["category"].tolist() == list(a.categories.leaves)
    assert categories["amount"].sum() == a.expansion + a.contraction + a.fx
    assert categories.groupby("root")["amount"].sum()["expansion"] == a.tree["expansion"]
    polars = a.to_polars()
    assert polars.schema["tier"] == pl.Int64 and polars.schema["add_on"] == pl.Boolean
    assert polars.filter(pl.col("movement") == "fx")["amount"].sum() == a.fx


def test_attribution_parts_by_hand() -> None:
    a = story_bridge().attribution
    assert a is not None
    df = a.to_pandas()
    assert df[["entity_id", "movement", "category", "amount"]].values.tolist() == [
        ["a", "expansion", "expansion.upsell", Decimal(50)]]              # basic -> pro, tier up


# ----------------------------------------------------------------------------- metrics


def test_metrics_frame() -> None:
    b = story_bridge()
    m = bridge_metrics(b, starting_entities=2)
    df = m.to_pandas()
    assert list(df.columns) == METRIC_COLUMNS and len(df) == 1
    row = df.iloc[0]
    assert row["starting_mrr"] + sum(row[n] for n in COMPONENTS) == row["ending_mrr"] == 140
    assert row["nrr"] == m.nrr == dec("1.666667")                       # (60 + 50 - 10) / 60
    assert row["starting_entities"] == 2 and row["level"] == "customer"
    assert m.to_polars().schema["nrr"] == pl.Decimal(38, 6)


def test_undefined_metrics_are_missing() -> None:
    m = bridge_metrics(Bridge.empty_example())
    df = m.to_pandas()
    assert df["nrr"].tolist() == [None] and df["starting_entities"].dtype == "Int64"
    assert bool(df["starting_entities"].isna().all())
    assert m.to_pandas(decimals="float")["nrr"].isna().all()
    assert m.to_polars()["nrr"].null_count() == 1


def test_metrics_series_frame() -> None:
    s = series_metrics(bridge_series(load_example(), "2024-01", "2024-12", fx=load_example_fx()))
    df = s.to_pandas()
    assert list(df.columns) == METRIC_COLUMNS and len(df) == 12
    for name in ("nrr", "grr", "new", "quick_ratio"):
        assert tuple(df[name]) == s.column(name), name
    assert s.to_polars()["churn"].sum() == sum(s.column("churn"))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- cohorts, breakdowns, scenarios


def test_cohort_frame() -> None:
    t = cohort_table(load_example(), "2023-01", "2024-12", fx=load_example_fx())
    df = t.to_pandas()
    assert list(df.columns) == ["cohort", "size", "months_since_start", "members", "paying", "base_mrr",
                                "mrr", "retained_mrr", "expansion_mrr", "revenue_retention",
                                "gross_retention", "expansion_rate", "logo_retention"]
    assert len(df) == sum(len(row.cells) for row in t.rows)
    assert (df["mrr"] == df["retained_mrr"] + df["expansion_mrr"]).all()
    first = df[df["cohort"] == t.rows[0].cohort]
    assert tuple(first["revenue_retention"]) == t.matrix()[t.rows[0].cohort]
    triangle = df.pivot(index="cohort", columns="months_since_start", values="revenue_retention")
    assert triangle.shape == (len(t.rows), max(len(row.cells) for row in t.rows))
    assert t.to_polars().height == len(df)


def test_breakdown_frame_adds_up() -> None:
    ds, fx = load_example(), load_example_fx()
    bd = revenue_breakdown(ds, revenue_bridge(ds, "2024-01", "2024-12", fx=fx), "attribute:segment", fx=fx)
    assert not bd.overlapping
    df = bd.to_pandas()
    assert list(df.columns) == ["group", *METRIC_COLUMNS]
    assert df["group"].tolist() == list(bd.groups)
    for name in ("starting_mrr", *COMPONENTS, "ending_mrr"):
        assert df[name].sum() == getattr(bd.total, name), name
    assert bd.to_polars()["expansion"].sum() == bd.total.expansion


def test_scenario_frames() -> None:
    base = ProjectionAssumptions(new_mrr="100", churn_rate="0.01")
    cmp = compare_scenarios("1000", "2024-12-31", 3, {"base": base, "more": base.adjusted(new_mrr="50")})
    months = cmp.to_pandas()
    assert list(months.columns) == ["scenario", *PERIOD_COLUMNS] and len(months) == 6
    for name, series in cmp.projections.items():
        rows = months[months["scenario"] == name]
        assert rows["ending_mrr"].iloc[-1] == series.bridges[-1].ending_mrr
        assert rows["net_change"].sum() == series.bridges[-1].ending_mrr - 1000
    scenarios = cmp.to_pandas("scenarios")
    assert list(scenarios.columns) == ["scenario", "baseline", "new_mrr", "reactivation_mrr",
                                       "expansion_rate", "contraction_rate", "churn_rate", "ending_mrr",
                                       "ending_arr", "mrr_vs_baseline", "arr_vs_baseline"]
    assert scenarios["baseline"].tolist() == [True, False]
    assert scenarios["mrr_vs_baseline"].tolist() == list(cmp.versus().values())
    assert cmp.to_polars("scenarios")["ending_arr"].to_list() == list(cmp.ending_arr.values())


# ----------------------------------------------------------------------------- missing extras


def test_missing_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtraError) as info:
        story_bridge().to_pandas()
    assert str(info.value) == (
        "this needs the optional dependency 'pandas': pip install 'expansion_revenue[pandas]'")
    assert isinstance(info.value, ImportError) and info.value.extra == "pandas"


def test_missing_polars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'expansion_revenue\[polars\]'"):
        to_polars(story_bridge())
    assert to_pandas(story_bridge()).shape == (8, 3)                    # pandas is unaffected


def test_extras_are_imported_only_when_used() -> None:
    code = ("import sys, expansion_revenue, expansion_revenue.display\n"
            "html = expansion_revenue.Bridge.empty_example()._repr_html_()\n"
            "print(sorted(m for m in ('pandas', 'polars', 'matplotlib') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"

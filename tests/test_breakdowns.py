"""Breakdowns by segment, cohort, product, plan, tier and add-on, computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from expansion_revenue import Dataset, bridge_series, revenue_bridge
from expansion_revenue.engine.breakdowns import revenue_breakdown
from expansion_revenue.errors import MetricInputError
from expansion_revenue.results.breakdowns import Breakdown
from expansion_revenue.results.bridge import COMPONENTS, BridgeMethod
from tests.builders import contract, customer, dataset, dec, line, plan, product
from tests.strategies import datasets, days_around


def shop() -> Dataset:
    """Core products crm (basic 100, pro 200) and bi (50); add-on sso (10). MRR Jan 31 -> Feb 29:

    a (smb): crm-basic + sso, upgrades to crm-pro on Feb 10.   110 -> 210  expansion +100
    b (ent): 2 x crm-pro + 2 x bi; drops bi on Feb 15.         500 -> 400  contraction -100
    c (smb): crm-basic, leaves on Feb 20.                      100 -> 0    churn -100
    n (ent): new on Feb 5 with crm-pro.                          0 -> 200  new +200
    """
    return dataset(
        customers=[customer("a", segment="smb"), customer("b", segment="ent"),
                   customer("c", segment="smb"), customer("n", segment="ent")],
        products=[product("crm"), product("bi"), product("sso", kind="add_on")],
        plans=[plan("crm-basic", product="crm", tier=1, price="100"),
               plan("crm-pro", product="crm", tier=2, price="200"),
               plan("bi-std", product="bi", tier=1, price="50"),
               plan("sso-addon", product="sso", tier=1, price="10")],
        contracts=[
            contract("ka", "a", [line("a1", "crm-basic", 1, "2023-12-01", "2024-02-10"),
                                 line("a2", "crm-pro", 1, "2024-02-10"),
                                 line("a3", "sso-addon", 1, "2023-12-01")]),
            contract("kb", "b", [line("b1", "crm-pro", 2, "2023-12-01"),
                                 line("b2", "bi-std", 2, "2023-12-01", "2024-02-15")]),
            contract("kc", "c", [line("c1", "crm-basic", 1, "2023-12-01", "2024-02-20")]),
            contract("kn", "n", [line("n1", "crm-pro", 1, "2024-02-05")]),
        ])


def february(method: BridgeMethod = "snapshot") -> Breakdown:
    ds = shop()
    return revenue_breakdown(ds, revenue_bridge(ds, "2024-02", "2024-02", method=method),
                             "attribute:segment")


def test_by_segment_by_hand() -> None:
    bd = february()
    assert (bd.by, bd.overlapping, list(bd.groups)) == ("attribute:segment", False, ["ent", "smb"])
    smb, ent = bd.groups["smb"], bd.groups["ent"]
    assert (smb.starting_mrr, smb.expansion, smb.churn, smb.ending_mrr) == (210, 100, -100, 210)
    assert (smb.nrr, smb.grr) == (dec(1), dec("0.523810"))        # 210 / 210; (110 + 0) / 210
    assert (smb.starting_entities, smb.logo_churn_rate) == (2, dec("0.5"))
    assert (ent.starting_mrr, ent.new, ent.contraction, ent.ending_mrr) == (500, 200, -100, 600)
    assert (ent.nrr, ent.grr, ent.arpa) == (dec("0.8"), dec("0.8"), dec(300))  # 400/500; 600/2
    assert bd.total.nrr == dec("0.859155")                         # (210 + 400) / 710
    assert bd.ranked("expansion") == (("smb", 100), ("ent", 0))
    assert bd.ranked("contraction") == (("ent", -100), ("smb", 0))  # biggest loss first
    assert bd.shares("expansion") == {"ent": 0, "smb": 1}
    assert bd.shares("churn") == {"ent": 0, "smb": 1}


def test_by_product_plan_tier_and_add_on_use_what_was_held_at_the_start() -> None:
    ds = shop()
    bridge = revenue_bridge(ds, "2024-02", "2024-02")

    def groups(by: str) -> dict[str, tuple[Decimal, ...]]:
        bd = revenue_breakdown(ds, bridge, by)
        assert bd.overlapping
        return {key: (m.new, m.expansion, m.contraction, m.churn) for key, m in bd.groups.items()}

    # n held nothing on Jan 31: it is grouped by what it holds on Feb 29 (crm-pro).
    assert groups("product") == {"bi": (0, 0, -100, 0), "crm": (200, 100, -100, -100),
                                 "sso": (0, 100, 0, 0)}
    assert groups("plan") == {"bi-std": (0, 0, -100, 0), "crm-basic": (0, 100, 0, -100),
                              "crm-pro": (200, 0, -100, 0), "sso-addon": (0, 100, 0, 0)}
    assert groups("tier") == {"tier 1": (0, 100, -100, -100), "tier 2": (200, 0, -100, 0)}
    assert groups("add_on") == {"(no add-on)": (200, 0, -100, -100), "sso": (0, 100, 0, 0)}
    by_plan = revenue_breakdown(ds, bridge, "plan")
    assert by_plan.groups["crm-basic"].nrr == dec(1)        # a 110 -> 210, c 100 -> 0: 210 / 210
    assert by_plan.ranked("expansion")[:2] == (("crm-basic", 100), ("sso-addon", 100))


def test_by_cohort_and_by_function() -> None:
    ds = shop()
    bridge = revenue_bridge(ds, "2024-02", "2024-02")
    by_cohort = revenue_breakdown(ds, bridge, "first_revenue_month")
    assert list(by_cohort.groups) == ["2023-12", "2024-02"]
    assert by_cohort.groups["2024-02"].new == 200 and by_cohort.groups["2023-12"].new == 0

    def initial(entity: str) -> str:
        return "a-b" if entity in ("a", "b") else "other"

    by_initial = revenue_breakdown(ds, bridge, initial)
    assert (by_initial.by, by_initial.overlapping) == ("initial", False)
    a_b = by_initial.groups["a-b"]
    assert (a_b.nrr, a_b.grr) == (dec(1), dec("0.836066"))   # (210 + 400) / 610; (110 + 400) / 610


def test_events_bridges_break_down_too() -> None:
    bd = february("events")
    assert bd.groups["smb"].expansion == 100 and bd.total.method == "events"


def test_what_cannot_be_broken_down() -> None:
    ds = shop()
    summary = bridge_series(ds, "2024-01", "2024-02").summary
    with pytest.raises(MetricInputError, match="no per-entity changes"):
        revenue_breakdown(ds, summary, "product")
    other = dataset(plans=[plan("m", price="1")],
                    contracts=[contract("k", "z", [line("l", "m", 1, "2023-01-01")])])
    with pytest.raises(MetricInputError, match="the dataset's MRR on 2024-01-31 is 1, the bridge has 710"):
        revenue_breakdown(other, revenue_bridge(ds, "2024-02", "2024-02"), "product")
    with pytest.raises(MetricInputError, match="group by"):
        revenue_breakdown(ds, revenue_bridge(ds, "2024-02", "2024-02"), "segment")


def test_breakdowns_round_trip_and_check_their_sums() -> None:
    bd = february()
    assert Breakdown.model_validate_json(bd.model_dump_json()) == bd
    groups = dict(bd.groups)
    groups.pop("ent")
    with pytest.raises(ValidationError, match="does not add up"):
        Breakdown(by=bd.by, overlapping=False, total=bd.total, groups=groups)
    with pytest.raises(AttributeError):
        bd.ranked("bogus")
    with pytest.raises(AttributeError):
        bd.shares("nrr")


@settings(max_examples=40)
@given(data=st.data())
def test_segment_and_cohort_groups_add_up_to_the_bridge(data: st.DataObject) -> None:
    ds = data.draw(datasets(max_customers=5))
    t0, t1 = sorted((data.draw(days_around(ds)), data.draw(days_around(ds))))
    methods: tuple[BridgeMethod, ...] = ("snapshot", "events")
    method = data.draw(st.sampled_from(methods))
    bridge = revenue_bridge(ds, t0, t1, method=method)
    for by in ("attribute:segment", "first_revenue_month"):
        bd = revenue_breakdown(ds, bridge, by)   # the model checks that groups add up
        for name in ("starting_mrr", *COMPONENTS, "ending_mrr"):
            assert sum(getattr(m, name) for m in bd.groups.values()) == getattr(bridge, name)
    for by in ("product", "plan", "tier", "add_on"):
        bd = revenue_breakdown(ds, bridge, by)
        for group in bd.groups.values():
            assert group.grr is None or 0 <= group.grr <= 1

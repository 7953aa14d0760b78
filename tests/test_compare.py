"""compare(): the moved-shipment table and counts agree with a per-row reference on plans that differ in
routes, channels and in which shipments they hold; totals are the plans' column sums."""

from __future__ import annotations

import numpy as np
import pytest

import routing
from routing import SolveOptions
from routing import scenario as sc
from routing.compare import COST_COLUMNS, compare
from routing.data.generate import write_generated
from routing.sweep import PlanSummary


def _reference(base_plan, other_plan) -> tuple[list[dict], dict[str, int]]:
    """Shipment by shipment, in Python: the rows of ``other`` (in its order) matched by id in ``base``
    whose route or status differ, and the counts of changes."""
    b, o = base_plan.to_pylist(), other_plan.to_pylist()
    b_at = {r["shipment_id"]: r for r in b}
    rows, counts = [], dict.fromkeys(("changed_channel", "changed_route", "changed_status"), 0)
    found = 0
    for r in o:
        p = b_at.get(r["shipment_id"])
        if p is None:
            continue
        found += 1
        if p["route"] == r["route"] and p["status"] == r["status"]:
            continue
        counts["changed_channel"] += p["channel"] != r["channel"]
        counts["changed_route"] += p["route"] != r["route"]
        counts["changed_status"] += p["status"] != r["status"]
        rows.append({"shipment_id": r["shipment_id"], "status_base": p["status"], "status_other": r["status"],
                     "channel_base": p["channel"], "channel_other": r["channel"], "route_base": p["route"],
                     "route_other": r["route"], "cost_delta": r["cost_total"] - p["cost_total"]})
    counts.update(only_base=len(b) - found, only_other=len(o) - found)
    return rows, counts


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    d = tmp_path_factory.mktemp("compare")
    net = routing.load_network("fixtures/network.yaml")
    ships = routing.load_shipments(write_generated(net, 600, 3, d, days=5)["shipments"], net)
    options = SolveOptions(strategy="aggregate", time_limit=30)
    base = routing.solve(net, ships, options=options)
    # Liège closed and a quarter less air capacity (routes and channels move), US demand x1.5 (new ids),
    # German demand x0.5 (ids only in the base), a tenth of the capacity on every bonded node (parcels out)
    edited = sc.scale_capacity(sc.scale_capacity(sc.close_node(net, "BE-LGG-BW"), factor=0.75, mode="air"),
                               factor=0.1, node="US-LAX-BW")
    other_ships = sc.scale_demand(sc.scale_demand(ships, net, 1.5, market="US", seed=3), net, 0.5, market="DE",
                                  seed=4)
    return base, routing.solve(edited, other_ships, options=options)


def test_moves_and_counts_match_a_per_row_reference(plans):
    base, other = plans
    cmp = compare(base, other)
    rows, counts = _reference(base.plan, other.plan)
    assert cmp.counts == counts
    assert counts["changed_route"] > 0 and counts["changed_channel"] > 0 and counts["changed_status"] > 0
    assert counts["only_base"] > 0 and counts["only_other"] > 0
    assert cmp.changed.column_names == list(rows[0])
    assert cmp.changed.to_pylist() == rows


def test_totals_are_the_plans_column_sums(plans):
    base, other = plans
    cmp = compare(base, other)
    for c in COST_COLUMNS:
        b, o = float(np.sum(base.plan[c].to_numpy())), float(np.sum(other.plan[c].to_numpy()))
        assert cmp.totals[c]["base"] == pytest.approx(b, abs=1e-6)
        assert cmp.totals[c]["other"] == pytest.approx(o, abs=1e-6)
        assert cmp.totals[c]["delta"] == pytest.approx(o - b, abs=1e-6)
    # the plan's cost_total column sums to the objective to the cent
    assert cmp.totals["cost_total"]["delta"] == pytest.approx(other.objective - base.objective, abs=0.011)


def test_a_plan_compared_with_itself_moves_nothing(plans):
    """Not even its shipments out of the plan (no route on either side)."""
    _, other = plans
    assert other.plan["route"].null_count > 0
    cmp = compare(other, other)
    assert cmp.changed.num_rows == 0 and len(cmp.changed.column_names) == 8
    assert cmp.counts == dict.fromkeys(("changed_channel", "changed_route", "changed_status", "only_base",
                                        "only_other"), 0)
    assert all(v["delta"] == 0.0 for v in cmp.totals.values())


def test_compare_and_a_warm_replan_name_what_they_were_given(plans):
    """A sweep's summary compares like a result but is no base to re-plan from; other objects are refused."""
    base, other = plans
    view = PlanSummary(base.plan, base.figures)
    assert compare(view, other).totals == compare(base, other).totals
    with pytest.raises(routing.InputError, match="compare: other: must be a Result of solve\\(\\) or a sweep's "
                                                 "PlanSummary, got str"):
        compare(base, "plan.csv")
    with pytest.raises(routing.InputError, match="solve: base: must be a Result of solve\\(\\), got PlanSummary"):
        routing.solve(base.warm_start.network, base.warm_start.shipments, base=view)



def test_moves_by_hand():
    """Each rule on hand-made plan rows: a status change with no route on either side counts (unassigned
    -> unroutable), a channel change counts only with a move, two missing routes are the same route,
    ids are matched wherever they stand, and rows only in one plan are counted, not listed."""
    import pyarrow as pa

    from routing.report.compare import moved_shipments

    def plan(rows):
        ids, status, channel, route, cost = zip(*rows, strict=True)
        return pa.table({"shipment_id": list(ids), "status": list(status), "channel": list(channel),
                         "route": pa.array(route, pa.string()), "cost_total": list(cost)})

    base = plan([("a", "assigned", "jit", "r1", 10.0), ("b", "unassigned", None, None, 60.0),
                 ("c", "assigned", "bonded", "r2", 8.0), ("d", "unassigned", None, None, 60.0),
                 ("e", "assigned", "jit", "r1", 9.0), ("gone", "assigned", "jit", "r1", 5.0)])
    other = plan([("new", "assigned", "jit", "r1", 7.0), ("e", "assigned", "jit", "r1", 9.5),
                  ("d", "unassigned", None, None, 60.0), ("c", "assigned", "jit", "r3", 11.0),
                  ("b", "unroutable", None, None, 60.0), ("a", "assigned", "bonded", "r1", 10.0)])
    changed, counts = moved_shipments(base, other)
    assert counts == {"changed_channel": 1, "changed_route": 1, "changed_status": 1, "only_base": 1,
                      "only_other": 1}
    assert changed.to_pylist() == [
        {"shipment_id": "c", "status_base": "assigned", "status_other": "assigned", "channel_base": "bonded",
         "channel_other": "jit", "route_base": "r2", "route_other": "r3", "cost_delta": 3.0},
        {"shipment_id": "b", "status_base": "unassigned", "status_other": "unroutable", "channel_base": None,
         "channel_other": None, "route_base": None, "route_other": None, "cost_delta": 0.0}]

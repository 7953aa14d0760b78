"""What-if edits: each changes exactly what it names and leaves the base untouched; metamorphic
laws hold on optimal plans of seeded instances."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

import routing
from routing import PlanSettings
from routing import scenario as sc

from .helpers import write_instance
from .test_brute_force import random_instance
from .test_rules import network, ship

BASE_SHIPS = [ship("a", sku="X"), ship("b", sku="X", destination="M"), ship("c", sku="Y", order_date="2026-12-01")]


@pytest.fixture
def base(tmp_path):
    inst = write_instance(tmp_path, network(lane_air={"capacity_kg_per_departure": 2.0}),
                          BASE_SHIPS, [{"node": "B", "sku": "X", "units": 1}])
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments, net)
    inv = routing.load_inventory(inst.inventory, net)
    return net, ships, inv


def _diff(a, b) -> set[str]:
    """Ids of nodes and lanes that differ between two networks."""
    return {x.id for x, y in zip(a.nodes + a.lanes, b.nodes + b.lanes, strict=True) if x != y}


def test_each_network_edit_changes_only_its_target(base):
    net, _, _ = base
    frozen = dataclasses.replace(net)
    cases = {
        "close node": (sc.close_node(net, "B"), {"B"}),
        "close lane": (sc.close_lane(net, "air"), {"air"}),
        "capacity lane": (sc.scale_capacity(net, factor=0.5, lane="air"), {"air"}),
        "capacity set node": (sc.scale_capacity(net, value=3, node="B"), {"B"}),
        "capacity mode": (sc.scale_capacity(net, factor=0.7, mode="air"), {"air"}),
        "cost mode": (sc.scale_cost(net, 1.1, mode="last_mile"), {"lm", "blm"}),
        "fuel": (sc.fuel_surcharge(net, 0.12), {"air"}),
        "market": (sc.set_market(net, "M", promise_days=4, de_minimis=None, duty_rate=0.2), {"M"}),
    }
    for name, (edited, expected) in cases.items():
        assert _diff(net, edited) == expected, name
    assert net == frozen  # the base is untouched
    assert sc.scale_capacity(net, factor=0.5, lane="air").lane("air").capacity_kg_per_departure == 1.0
    assert sc.fuel_surcharge(net, 0.12).lane("air").cost_per_kg == pytest.approx(2.24)
    assert sc.reopen_node(sc.close_node(net, "B"), "B") == net
    added = sc.add_lane(net, **{"from": "H", "to": "M", "mode": "express", "id": "direct", "transit_days": 2})
    assert added.lane("direct").transit_days == 2 and len(added.lanes) == len(net.lanes) + 1


@pytest.mark.parametrize(("call", "message"), [
    (lambda n: sc.close_node(n, "NOPE"), "node 'NOPE': unknown node"),
    (lambda n: sc.close_lane(n, "nope"), "lane 'nope': unknown lane"),
    (lambda n: sc.scale_capacity(n, factor=-1, lane="air"), "must be >= 0"),
    (lambda n: sc.scale_capacity(n, lane="air"), "exactly one of factor and value"),
    (lambda n: sc.scale_cost(n, 2.0, mode="boat"), "field 'mode'"),
    (lambda n: sc.set_market(n, "H", promise_days=3), "must be a market node"),
    (lambda n: sc.set_market(n, "M", on_time_target=1.5), "on_time_target"),
    (lambda n: sc.set_market(n, "M", colour="red"), "field 'colour'"),
    (lambda n: sc.add_lane(n, **{"from": "H", "to": "ZZ", "mode": "air"}), "unknown node 'ZZ'"),
])
def test_edits_validate_their_arguments(base, call, message):
    net, _, _ = base
    with pytest.raises(routing.InputError, match=message):
        call(net)


def test_demand_and_stock_edits(base):
    net, ships, inv = base
    double = sc.scale_demand(ships, net, 2.0, market="M")
    assert len(double) == 2 * len(ships)
    assert double.ids.to_pylist()[:3] == ships.ids.to_pylist() and "a~1" in double.ids.to_pylist()
    assert sc.scale_demand(ships, net, 2.0, market="M", seed=1).ids == sc.scale_demand(ships, net, 2.0, market="M",
                                                                                        seed=1).ids
    clash = dataclasses.replace(ships, ids=pa.array(["a", "a~1", "a~1~"]))  # copies must not repeat an input id
    tripled = sc.scale_demand(clash, net, 3.0).ids.to_pylist()
    assert len(set(tripled)) == 9 and tripled[:3] == ["a", "a~1", "a~1~"] and "a~1~~" in tripled
    for seed in ("x", -1, 1.5, True):
        with pytest.raises(routing.InputError, match="demand: field 'seed': must be a whole number >= 0"):
            sc.scale_demand(ships, net, 2.0, market="M", seed=seed)
    half = sc.scale_demand(ships, net, 0.34, factory="F")
    assert len(half) == 1 and len(ships) == 3  # base untouched
    more = sc.set_stock(inv, net, "B", "X", 5)
    assert more.stocked(net.node_index["B"], "X") == 5 and inv.stocked(net.node_index["B"], "X") == 1
    with pytest.raises(routing.InputError, match="must be a bonded node"):
        sc.set_stock(inv, net, "H", "X", 5)
    halved = sc.scale_stock(inv, 0.5, node="B", net=net)
    assert halved.stocked(net.node_index["B"], "X") == 0 and inv.stocked(net.node_index["B"], "X") == 1
    with pytest.raises(routing.InputError, match=r"scenario: stock: give the network \(net=...\) to name a node"):
        sc.scale_stock(inv, 0.5, node="B")


def _solve(net, ships, inv, penalty=60.0) -> routing.Result:
    result = routing.solve(net, ships, inv, settings=PlanSettings(horizon_days=5, unassigned_penalty=penalty))
    assert result.status == "optimal"
    return result


def _optimum(net, ships, inv, penalty=60.0) -> tuple[int, float]:
    """(parcels short of targets, cost): the solver minimises shortfall first, then cost."""
    s = _solve(net, ships, inv, penalty).summary_data
    return sum(m["shortfall"] for m in s["markets"].values()), round(s["objective"], 9)


def _le(a: tuple[int, float], b: tuple[int, float]) -> bool:
    return a[0] < b[0] or (a[0] == b[0] and a[1] <= b[1] + 1e-9)


def test_metamorphic_laws(tmp_path):
    compared_closures = 0
    for seed in range(8):
        network_doc, shipments, inventory = random_instance(seed)
        inst = write_instance(tmp_path, network_doc, shipments, inventory, name=f"s{seed}")
        net = routing.load_network(inst.network)
        ships = routing.load_shipments(inst.shipments, net)
        inv = routing.load_inventory(inst.inventory, net) if inst.inventory else None
        base = _solve(net, ships, inv)
        opt = _optimum(net, ships, inv)
        # more capacity never raises the optimum
        assert _le(_optimum(sc.scale_capacity(net, factor=2.0, mode="air"), ships, inv), opt)
        # closing a lane or a node never lowers it — where no shipment becomes unroutable (an unroutable
        # shipment carries no cost by definition, docs/rules.md, and leaves its market's target base)
        for edited in (sc.close_lane(net, "exp"), sc.close_node(net, "B1")):
            if _solve(edited, ships, inv).summary_data["counts"]["unroutable"] == \
                    base.summary_data["counts"]["unroutable"]:
                assert _le(opt, _optimum(edited, ships, inv))
                compared_closures += 1
        # every cost (and the penalty) times k: the optimum times k
        scaled = _optimum(sc.scale_all_costs(net, 3.0), ships, inv, penalty=180.0)
        assert scaled[0] == opt[0] and scaled[1] == pytest.approx(3 * opt[1], rel=1e-9)
        # a looser promise never raises it
        market = net.ids_of_kind("market")[0]
        looser = sc.set_market(net, market, promise_days=net.node(market).promise_days + 2)
        assert _le(_optimum(looser, ships, inv), opt)
    assert compared_closures >= 8


def test_saved_networks_read_back_equal(tmp_path):
    net = routing.load_network("fixtures/network.yaml")
    for suffix in ("yaml", "json"):
        assert routing.load_network(routing.save_network(net, tmp_path / f"n.{suffix}")) == net
    # the file format has no closed flag: a closed node keeps its row and loses its lanes
    closed = routing.load_network(routing.save_network(sc.close_node(net, "BE-LGG-BW"), tmp_path / "c.yaml"))
    assert closed.node("BE-LGG-BW") == net.node("BE-LGG-BW")
    assert {ln.id for ln in net.lanes} - {ln.id for ln in closed.lanes} == \
        {ln.id for ln in net.lanes if "BE-LGG-BW" in (ln.origin, ln.dest)}

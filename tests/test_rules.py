"""Hand-worked cases, one per rule of docs/rules.md, each with the numbers worked out by hand.

Base network (epoch Monday 2026-11-30): F (factory, handling 1 day) → H (hub, 0 days) by daily truck
(1 day) → G (gateway, handling 1 day) by air on Mon/Thu (1 day) or by daily express (1 day) → M
(market, promise 6) by daily last mile (1 day). Bonded B is replenished from H by sea and serves M
by daily last mile (1 day) after 1 day handling.

An order on Monday (day 0): ready at F on day 1, truck day 1 → H day 2, air Thursday day 3 → G
day 4, ready day 5, last mile day 5 → M day 6: on time. The next air departure is Monday day 7 →
G day 8 → M day 10: 4 days late.
"""

from __future__ import annotations

import copy
import filecmp

import pytest

from .helpers import plan, read_plan, read_summary, write_instance

BASE = {
    "epoch": "2026-11-30",
    "nodes": [
        {"id": "F", "kind": "factory", "country": "CN", "handling_days": 1, "handling_cost": 0.1},
        {"id": "H", "kind": "hub", "country": "CN", "handling_days": 0, "handling_cost": 0.2},
        {"id": "G", "kind": "gateway", "country": "DE", "handling_days": 1, "handling_cost": 0.5},
        {"id": "B", "kind": "bonded", "country": "DE", "handling_days": 1, "handling_cost": 2.0,
         "storage_cost_per_kg_day": 0.01, "dwell_days": 10},
        {"id": "M", "kind": "market", "country": "DE", "promise_days": 6, "late_penalty_per_day": 1.0,
         "duty_rate": 0.0},
        {"id": "X", "kind": "market", "country": "FR"},
    ],
    "lanes": [
        {"id": "truck", "from": "F", "to": "H", "mode": "truck", "transit_days": 1, "cost_per_kg": 0.0},
        {"id": "air", "from": "H", "to": "G", "mode": "air", "transit_days": 1, "departures": ["mon", "thu"],
         "cost_per_kg": 2.0},
        {"id": "express", "from": "H", "to": "G", "mode": "express", "transit_days": 1, "cost_per_kg": 20.0},
        {"id": "lm", "from": "G", "to": "M", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 1.0},
        {"id": "sea", "from": "H", "to": "B", "mode": "sea", "transit_days": 30, "cost_per_kg": 0.5},
        {"id": "blm", "from": "B", "to": "M", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 1.0},
    ],
}


def network(**edits) -> dict:
    """A deep copy of BASE with ``node_ID={field: value}`` / ``lane_ID={...}`` edits (None drops the item)."""
    net = copy.deepcopy(BASE)
    for key, change in edits.items():
        kind, ident = key.split("_", 1)
        items = net["nodes"] if kind == "node" else net["lanes"]
        item = next(i for i in items if i["id"] == ident)
        if change is None:
            items.remove(item)
        else:
            item.update(change)
    return net


def ship(sid: str, **kw) -> dict:
    row = {"shipment_id": sid, "origin": "F", "destination": "M", "order_date": "2026-11-30", "weight_kg": 1.0}
    row.update(kw)
    return row


def no_bonded() -> dict:
    return network(lane_sea=None, lane_blm=None, node_B=None)


def test_full_flight_pushes_to_next_departure_and_late(tmp_path):
    net = network(lane_air={"capacity_kg_per_departure": 2.0}, lane_express=None)
    net = {**net, "nodes": [n for n in net["nodes"] if n["id"] != "B"],
           "lanes": [ln for ln in net["lanes"] if ln["id"] not in ("sea", "blm")]}
    inst = write_instance(tmp_path, net, [ship("a", weight_kg=1.5), ship("b", weight_kg=1.5)])
    plan(inst)
    rows = read_plan(inst.dir / "out")
    deliveries = sorted((r["delivery_date"], r["on_time"], float(r["cost_penalty"])) for r in rows.values())
    assert deliveries == [("2026-12-06", "true", 0.0), ("2026-12-10", "false", 4.0)]
    legs = (inst.dir / "out" / "legs.csv").read_text()
    assert "2026-12-03" in legs and "2026-12-07" in legs  # Thursday flight full, the next Monday one
    # transport: 1.5 kg × 2.0 air + 1.0 last mile each; handling 0.1 + 0.2 + 0.5 + 0 each
    assert sum(float(r["cost_total"]) for r in rows.values()) == pytest.approx(2 * (3.0 + 1.0 + 0.8) + 4.0)


def test_bonded_wins_with_stock_and_loses_when_it_runs_out(tmp_path):
    # bonded: sea 0.5 + last mile 1 + handling 0.1+0.2+2.0 + storage 0.01×10×1 = 3.9
    # JIT by air: 2.0 + 1.0 + handling 0.8 = 3.8 ... so make air dearer: 3.0/kg → JIT 4.8
    net = network(lane_air={"cost_per_kg": 3.0}, lane_express=None)
    ships = [ship("a", sku="X"), ship("b", sku="X")]
    inst = write_instance(tmp_path, net, ships, [{"node": "B", "sku": "X", "units": 1}])
    plan(inst)
    rows = read_plan(inst.dir / "out")
    assert sorted(r["channel"] for r in rows.values()) == ["bonded", "jit"]
    assert sorted(float(r["cost_total"]) for r in rows.values()) == pytest.approx([3.9, 4.8])
    inst2 = write_instance(tmp_path, net, ships, [{"node": "B", "sku": "X", "units": 2}], name="stocked")
    plan(inst2)
    assert [r["channel"] for r in read_plan(inst2.dir / "out").values()] == ["bonded", "bonded"]


def test_value_over_de_minimis_flips_channel(tmp_path):
    # JIT 4.8 (no duty when value ≤ 50), bonded 3.9 (always pays duty 20%):
    # value 40: JIT 4.8 vs bonded 3.9 + 8 = 11.9 → JIT; value 60: JIT 4.8 + 12 vs bonded 3.9 + 12 → bonded
    net = network(lane_air={"cost_per_kg": 3.0}, lane_express=None, node_M={"duty_rate": 0.2, "de_minimis": 50})
    inst = write_instance(tmp_path, net, [ship("low", value=40), ship("high", value=60), ship("edge", value=50)])
    plan(inst)
    rows = read_plan(inst.dir / "out")
    assert rows["low"]["channel"] == "jit" and float(rows["low"]["cost_duty"]) == 0.0
    assert rows["edge"]["channel"] == "jit" and float(rows["edge"]["cost_duty"]) == 0.0  # at de minimis: exempt
    assert rows["high"]["channel"] == "bonded" and float(rows["high"]["cost_duty"]) == pytest.approx(12.0)


def test_volumetric_weight_decides_chargeable_kg(tmp_path):
    net = no_bonded()
    net = network(lane_express=None, lane_air={"volumetric_divisor": 5000})
    net = {**net, "nodes": [n for n in net["nodes"] if n["id"] != "B"],
           "lanes": [ln for ln in net["lanes"] if ln["id"] not in ("sea", "blm")]}
    inst = write_instance(tmp_path, net, [ship("bulky", weight_kg=1.0, volume_cm3=10000),
                                          ship("dense", weight_kg=1.0, volume_cm3=2000)])
    plan(inst)
    rows = read_plan(inst.dir / "out")
    assert float(rows["bulky"]["cost_transport"]) == pytest.approx(2 * 2.0 + 1.0)  # 10000/5000 = 2 kg
    assert float(rows["dense"]["cost_transport"]) == pytest.approx(1 * 2.0 + 1.0)
    legs = [line.split(",") for line in (inst.dir / "out" / "legs.csv").read_text().splitlines()[1:]]
    air = {leg[0].strip('"'): float(leg[7]) for leg in legs if leg[2].strip('"') == "air"}
    truck = {leg[0].strip('"'): float(leg[7]) for leg in legs if leg[2].strip('"') == "truck"}
    assert air == {"bulky": 2.0, "dense": 1.0}
    assert truck == {"bulky": 1.0, "dense": 1.0}  # no divisor on the truck: actual weight


def test_on_time_target_forces_dearer_path(tmp_path):
    # order on Monday: air Thursday → delivery day 6, promise 5 → 1 day late at 0.5 (3.8 + 0.5);
    # express (20/kg) on day 2 delivers day 5: on time but 18 dearer (21.8). Without a target all go by air.
    net = network(node_M={"promise_days": 5, "late_penalty_per_day": 0.5}, lane_sea=None, lane_blm=None,
                  node_B=None)
    ships = [ship(f"s{i}") for i in range(4)]
    inst = write_instance(tmp_path, net, ships)
    plan(inst)
    assert [r["on_time"] for r in read_plan(inst.dir / "out").values()] == ["false"] * 4
    net_t = network(node_M={"promise_days": 5, "late_penalty_per_day": 0.5, "on_time_target": 0.5},
                    lane_sea=None, lane_blm=None, node_B=None)
    inst_t = write_instance(tmp_path, net_t, ships, name="target")
    result = plan(inst_t)
    rows = read_plan(inst_t.dir / "out").values()
    assert sum(r["on_time"] == "true" for r in rows) == 2
    assert result.summary_data["markets"]["M"]["target_met"] is True
    assert result.objective == pytest.approx(4 * 3.8 + 2 * 0.5 + 2 * 18.0)


def test_unmeetable_target_reports_shortfall(tmp_path):
    net = network(node_M={"promise_days": 5, "late_penalty_per_day": 0.5, "on_time_target": 1.0},
                  lane_express={"capacity_kg_per_departure": 1.0}, lane_sea=None, lane_blm=None, node_B=None)
    inst = write_instance(tmp_path, net, [ship(f"s{i}") for i in range(4)])
    result = plan(inst)
    market = read_summary(inst.dir / "out")["markets"]["M"]
    # 1 kg per express departure, and only the day-2 departure is on time → 1 parcel on time
    assert market["target_met"] is False and market["shortfall"] == 3
    assert market["on_time_rate"] == pytest.approx(0.25)
    assert result.summary_data["counts"]["assigned"] == 4


def test_node_capacity_counts_order_day_at_bonded(tmp_path):
    net = network(node_B={"capacity_parcels_per_day": 1}, lane_air={"cost_per_kg": 3.0}, lane_express=None)
    ships = [ship("a"), ship("b"), ship("c", order_date="2026-12-01")]
    inst = write_instance(tmp_path, net, ships)
    result = plan(inst)
    rows = read_plan(inst.dir / "out")
    assert sorted(r["channel"] for r in rows.values()) == ["bonded", "bonded", "jit"]
    assert rows["c"]["channel"] == "bonded"
    nodes = {(n["node"], n["date"]): n for n in result.summary_data["nodes"]}
    assert nodes["B", "2026-11-30"]["parcels"] == 1 and nodes["B", "2026-11-30"]["shadow_price"] >= 0


def test_unassigned_when_capacity_leaves_no_path(tmp_path):
    net = network(lane_air={"capacity_kg_per_departure": 1.0}, lane_express=None, lane_sea=None, lane_blm=None,
                  node_B=None)
    inst = write_instance(tmp_path, net, [ship("big", weight_kg=2.0), ship("ok", weight_kg=1.0)])
    result = plan(inst, unassigned_penalty=500.0)
    rows = read_plan(inst.dir / "out")
    assert rows["big"]["status"] == "unassigned" and rows["big"]["reason"] == "lane_capacity"
    assert float(rows["big"]["cost_penalty"]) == 500.0 and float(rows["big"]["cost_total"]) == 500.0
    assert rows["ok"]["status"] == "assigned"
    assert result.summary_data["reasons"] == {"lane_capacity": 1}


def test_unroutable_shipments_carry_reasons(tmp_path):
    net = network(lane_express=None)
    ships = [
        ship("nowhere", destination="X"),  # no lane reaches market X
        ship("bonded_only", channel="bonded", sku="Z"),  # Z not stocked at B
        ship("fine", sku="Y"),
    ]
    inst = write_instance(tmp_path, net, ships, [{"node": "B", "sku": "Y", "units": 5}])
    result = plan(inst)
    rows = read_plan(inst.dir / "out")
    assert rows["nowhere"]["status"] == "unroutable" and rows["nowhere"]["reason"] == "no_route"
    assert rows["bonded_only"]["status"] == "unroutable" and rows["bonded_only"]["reason"] == "sku_not_stocked"
    assert rows["fine"]["status"] == "assigned" and rows["fine"]["reason"] == ""
    assert float(rows["nowhere"]["cost_total"]) == 0.0
    assert result.summary_data["reasons"] == {"no_route": 1, "sku_not_stocked": 1}


def test_departures_beyond_horizon_make_a_shipment_unroutable(tmp_path):
    # with a 2-day horizon the Thursday flight (day 3) is out of reach for a Monday order
    net = network(lane_express=None, lane_sea=None, lane_blm=None, node_B=None)
    inst = write_instance(tmp_path, net, [ship("a"), ship("b", channel="bonded")])
    plan(inst, horizon_days=2)
    rows = read_plan(inst.dir / "out")
    assert rows["a"]["reason"] == "no_departure_in_horizon"
    assert rows["b"]["reason"] == "no_bonded_route"


def test_channel_restriction_is_respected(tmp_path):
    net = network(lane_express=None)  # bonded is cheaper (3.9 vs 3.8+... see above) but jit is forced
    inst = write_instance(tmp_path, net, [ship("j", channel="jit"), ship("b", channel="bonded")])
    plan(inst)
    rows = read_plan(inst.dir / "out")
    assert rows["j"]["channel"] == "jit" and rows["b"]["channel"] == "bonded"


def test_replenishment_legs_marked_and_charged(tmp_path):
    net = network(lane_air={"cost_per_kg": 9.0}, lane_express=None)
    inst = write_instance(tmp_path, net, [ship("a", weight_kg=2.0)])
    plan(inst)
    legs = (inst.dir / "out" / "legs.csv").read_text().splitlines()
    assert legs[1:] == [
        '"a",1,"truck","F","H",,,2,true',
        '"a",2,"sea","H","B",,,2,true',
        '"a",3,"blm","B","M",2026-12-01,2026-12-02,2,false',
    ]
    row = read_plan(inst.dir / "out")["a"]
    # sea 0.5×2 + last mile 1; handling 0.1+0.2+2.0+0 (M); storage 0.01×10×2
    assert float(row["cost_transport"]) == pytest.approx(2.0)
    assert float(row["cost_handling"]) == pytest.approx(2.3)
    assert float(row["cost_storage"]) == pytest.approx(0.2)
    assert row["dispatch_date"] == "2026-12-01" and row["delivery_date"] == "2026-12-02"


@pytest.mark.parametrize("solver", ["highs", "scip", "cp-sat"])
def test_backends_agree(tmp_path, solver):
    net = network(lane_air={"capacity_kg_per_departure": 2.5}, node_B={"capacity_parcels_per_day": 1},
                  node_M={"on_time_target": 0.6})
    ships = [ship(f"s{i}", weight_kg=0.5 + 0.3 * i, order_date=f"2026-12-0{1 + i % 3}") for i in range(6)]
    inst = write_instance(tmp_path, net, ships)
    result = plan(inst, solver=solver)
    reference = plan(inst, out="ref", solver="highs")
    assert result.summary_data["status"] == "optimal"
    assert result.objective == pytest.approx(reference.objective, rel=1e-9)


def test_same_inputs_same_bytes(tmp_path):
    net = network(lane_air={"capacity_kg_per_departure": 2.5}, node_B={"capacity_parcels_per_day": 1})
    ships = [ship(f"s{i}", weight_kg=0.5 + 0.1 * i, order_date=f"2026-12-0{1 + i % 4}") for i in range(12)]
    inst = write_instance(tmp_path, net, ships)
    plan(inst, out="one")
    plan(inst, out="two")
    for name in ("plan.csv", "legs.csv"):
        assert filecmp.cmp(inst.dir / "one" / name, inst.dir / "two" / name, shallow=False)


def test_parquet_output_validates(tmp_path):
    net = network(lane_air={"capacity_kg_per_departure": 2.5})
    inst = write_instance(tmp_path, net, [ship(f"s{i}", weight_kg=1.0 + i) for i in range(3)])
    plan(inst, fmt="parquet")
    assert (inst.dir / "out" / "plan.parquet").exists() and (inst.dir / "out" / "legs.parquet").exists()

"""Self-tests of the independent plan validator on a small hand-made plan (no `routing` import)."""

import copy
import csv
import datetime as dt
import json
import pathlib
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from .validator import (
    LEG_COLUMNS,
    PLAN_COLUMNS,
    Ctx,
    load_inventory,
    load_network,
    load_shipments,
    route_exists,
    validate_plan,
)

# 2026-11-30 is a Monday.
NETWORK = {
    "epoch": dt.date(2026, 11, 30),
    "nodes": [
        {"id": "F1", "kind": "factory", "country": "CN", "handling_days": 1, "handling_cost": 0.1,
         "capacity_parcels_per_day": 10},
        {"id": "H1", "kind": "hub", "country": "CN", "handling_days": 0, "handling_cost": 0.2},
        {"id": "G1", "kind": "gateway", "country": "DE", "handling_days": 1, "handling_cost": 0.3},
        {"id": "B1", "kind": "bonded", "country": "DE", "handling_days": 0, "handling_cost": 1.0,
         "storage_cost_per_kg_day": 0.01, "dwell_days": 30, "capacity_parcels_per_day": 2},
        {"id": "M1", "kind": "market", "country": "DE", "promise_days": 5, "on_time_target": 0.5,
         "late_penalty_per_day": 2.0, "duty_rate": 0.1, "de_minimis": 150},
        {"id": "M2", "kind": "market", "country": "FR"},
    ],
    "lanes": [
        {"from": "F1", "to": "H1", "mode": "truck", "transit_days": 0, "cost_per_kg": 0.5},
        {"from": "H1", "to": "G1", "mode": "air", "id": "HG-air", "transit_days": 1,
         "departures": ["mon", "wed", "fri"], "cost_per_kg": 3.0, "volumetric_divisor": 6000,
         "capacity_kg_per_departure": 10},
        {"from": "G1", "to": "M1", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 2.0},
        {"from": "H1", "to": "B1", "mode": "sea", "transit_days": 20, "cost_per_kg": 0.2},
        {"from": "B1", "to": "M1", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 1.5},
    ],
}
SHIP_COLUMNS = ["shipment_id", "origin", "destination", "order_date", "weight_kg", "volume_cm3",
                "value", "sku", "quantity", "channel", "promise_days"]
SHIPMENTS = [
    ["S1", "F1", "M1", "2026-11-30", 2.0, 18000, 100, None, None, "jit", None],
    ["S2", "F1", "M1", "2026-11-30", 1.0, None, 200, "A", 2, "bonded", None],
    ["S3", "F1", "M1", "2026-12-01", 1.0, None, None, "B", None, None, 2],
    ["S4", "F1", "M2", "2026-11-30", 1.0, None, None, None, None, None, None],
    ["S5", "F1", "M1", "2026-11-30", 1.0, None, 10, None, None, "any", None],
]
INVENTORY = [["B1", "A", 2], ["B1", "B", 0]]
PLAN = [
    ["S1", "assigned", "jit", "F1", "M1", "2026-11-30", "2026-12-05", "F1>H1>G1>M1",
     "F1>H1:truck|HG-air|G1>M1:last_mile", "2026-12-01", "2026-12-05", 0, True,
     12.0, 0.6, 0.0, 0.0, 0.0, 0.0, 12.6, None, None],
    ["S2", "assigned", "bonded", "F1", "M1", "2026-11-30", "2026-12-05", "F1>H1>B1>M1",
     "F1>H1:truck|H1>B1:sea|B1>M1:last_mile", "2026-11-30", "2026-12-01", 0, True,
     2.2, 1.3, 0.3, 20.0, 0.0, 0.0, 23.8, None, None],
    ["S3", "assigned", "jit", "F1", "M1", "2026-12-01", "2026-12-03", "F1>H1>G1>M1",
     "F1>H1:truck|HG-air|G1>M1:last_mile", "2026-12-02", "2026-12-05", 2, False,
     5.5, 0.6, 0.0, 0.0, 4.0, 0.0, 10.1, None, None],
    ["S4", "unroutable", None, "F1", "M2", "2026-11-30", "2026-12-05", None, None, None, None, None, None,
     0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "no_route", None],
    ["S5", "unassigned", None, "F1", "M1", "2026-11-30", "2026-12-05", None, None, None, None, None, None,
     0.0, 0.0, 0.0, 0.0, 1000.0, 0.0, 1000.0, "penalty_cheaper", None],
]
TABLES = {  # name: (columns, rows)
    "lanes": (["lane_id", "from", "to", "mode", "departure_date", "capacity_kg", "used_kg", "share", "shadow_price",
               "binding"], [["HG-air", "H1", "G1", "air", "2026-12-02", 10, 4.0, 0.4, 0.0, False]]),
    "nodes": (["node", "kind", "date", "capacity_parcels", "used_parcels", "share", "shadow_price", "binding"],
              [["F1", "factory", "2026-11-30", 10, 1, 0.1, 0.0, False],
               ["F1", "factory", "2026-12-01", 10, 1, 0.1, 0.0, False],
               ["B1", "bonded", "2026-11-30", 2, 1, 0.5, 0.0, False]]),
    "stock": (["node", "sku", "units", "used_units", "share", "shadow_price", "binding"],
              [["B1", "A", 2, 2, 1.0, 0.0, True], ["B1", "B", 0, 0, None, 0.0, True]]),
}
LEGS = [
    ["S1", 1, "F1>H1:truck", "F1", "H1", "2026-12-01", "2026-12-01", 2.0, False],
    ["S1", 2, "HG-air", "H1", "G1", "2026-12-02", "2026-12-03", 3.0, False],
    ["S1", 3, "G1>M1:last_mile", "G1", "M1", "2026-12-04", "2026-12-05", 2.0, False],
    ["S2", 1, "F1>H1:truck", "F1", "H1", None, None, 1.0, True],
    ["S2", 2, "H1>B1:sea", "H1", "B1", None, None, 1.0, True],
    ["S2", 3, "B1>M1:last_mile", "B1", "M1", "2026-11-30", "2026-12-01", 1.0, False],
    ["S3", 1, "F1>H1:truck", "F1", "H1", "2026-12-02", "2026-12-02", 1.0, False],
    ["S3", 2, "HG-air", "H1", "G1", "2026-12-02", "2026-12-03", 1.0, False],
    ["S3", 3, "G1>M1:last_mile", "G1", "M1", "2026-12-04", "2026-12-05", 1.0, False],
]
SUMMARY = {
    "status": "optimal", "objective": 1046.5, "lower_bound": 1040.0, "gap": 6.5 / 1046.5,
    "unassigned_penalty": 1000.0,
    "counts": {"assigned": 3, "unassigned": 1, "unroutable": 1},
    "seconds": {"load": 0, "routes": 0, "build": 0, "solve": 0, "write": 0, "total": 0},
    "markets": {
        "M1": {"shipments": 4, "on_time_rate": 0.5, "target": 0.5, "target_met": True,
               "shortfall": 0, "cost": 1046.5, "cost_per_kg": 261.625, "jit_share": 2 / 3},
        "M2": {"shipments": 0, "on_time_rate": 0.0, "target": None, "target_met": True,
               "shortfall": 0, "cost": 0.0, "cost_per_kg": None, "jit_share": None},
    },
    "lanes": [{"lane_id": "HG-air", "departure_date": "2026-12-02", "load_kg": 4.0,
               "capacity_kg": 10, "shadow_price": 0.0}],
    "nodes": [
        {"node": "F1", "date": "2026-11-30", "parcels": 1, "capacity": 10, "shadow_price": 0.0},
        {"node": "F1", "date": "2026-12-01", "parcels": 1, "capacity": 10, "shadow_price": 0.0},
        {"node": "B1", "date": "2026-11-30", "parcels": 1, "capacity": 2, "shadow_price": 0.0},
    ],
    "reasons": {"no_route": 1, "penalty_cheaper": 1},
    "epoch": "2026-11-30", "horizon_days": 14, "waiting_days": None, "max_legs": 4,
    "strategy": "hand", "solver": "hand", "heuristic": False,
}

Case = dict[str, Any]


def base_case() -> Case:
    return copy.deepcopy({
        "network": NETWORK, "shipments": [dict(zip(SHIP_COLUMNS, r, strict=True)) for r in SHIPMENTS],
        "inventory": [dict(zip(["node", "sku", "units"], r, strict=True)) for r in INVENTORY],
        "plan": [dict(zip(PLAN_COLUMNS, r, strict=True)) for r in PLAN],
        "legs": [dict(zip(LEG_COLUMNS, r, strict=True)) for r in LEGS], "summary": SUMMARY,
        "plan_columns": PLAN_COLUMNS,
        "tables": {name: [dict(zip(cols, r, strict=True)) for r in rows] for name, (cols, rows) in TABLES.items()},
    })


def _cell(v: Any) -> str:
    if v is None:
        return ""
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _write_csv(path: pathlib.Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        w.writerows([_cell(r[c]) for c in columns] for r in rows)


def _write_parquet(path: pathlib.Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    def conv(k: str, v: Any) -> Any:  # real dates in date columns, like a typical writer
        return dt.date.fromisoformat(v) if v and k.endswith("_date") else v
    data = [{c: conv(c, r[c]) for c in columns} for r in rows]
    pq.write_table(pa.Table.from_pylist(data), path)


def run(tmp_path: pathlib.Path, case: Case, fmt: str = "csv", inventory: bool = True,
        **kw: Any) -> None:
    net = tmp_path / "network.yaml"
    net.write_text(yaml.safe_dump(case["network"], sort_keys=False))
    ships, inv = tmp_path / "shipments.csv", tmp_path / "inventory.csv"
    _write_csv(ships, SHIP_COLUMNS, case["shipments"])
    _write_csv(inv, ["node", "sku", "units"], case["inventory"])
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    write = _write_parquet if fmt == "parquet" else _write_csv
    write(out / f"plan.{fmt}", case["plan_columns"], case["plan"])
    write(out / f"legs.{fmt}", LEG_COLUMNS, case["legs"])
    for name, rows in case["tables"].items():
        if name == "stock" and not inventory:  # planned without stock: what the plan draws, nothing on hand
            rows = [dict(r, units=None, share=None, binding=False) for r in rows if r["used_units"]]
        write(out / f"{name}.{fmt}", TABLES[name][0], rows)
    (out / "summary.json").write_text(json.dumps(case["summary"]))
    validate_plan(net, ships, out, inv if inventory else None, fmt=fmt, **kw)


def row(case: Case, sid: str) -> dict[str, Any]:
    return next(r for r in case["plan"] if r["shipment_id"] == sid)


def leg(case: Case, sid: str, seq: int) -> dict[str, Any]:
    return next(g for g in case["legs"] if g["shipment_id"] == sid and g["seq"] == seq)


def node(case: Case, nid: str) -> dict[str, Any]:
    return next(n for n in case["network"]["nodes"] if n["id"] == nid)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_valid_plan_passes(tmp_path: pathlib.Path, fmt: str) -> None:
    run(tmp_path, base_case(), fmt=fmt)
    run(tmp_path, base_case(), fmt=fmt, inventory=False)


def test_json_network_and_parquet_inputs(tmp_path: pathlib.Path) -> None:
    case = base_case()
    case["network"]["epoch"] = "2026-11-30"
    run(tmp_path, case)  # writes the CSV outputs
    (tmp_path / "network.json").write_text(json.dumps(case["network"]))
    _write_parquet(tmp_path / "s.parquet", SHIP_COLUMNS, case["shipments"])
    validate_plan(tmp_path / "network.json", tmp_path / "s.parquet", tmp_path / "out")


def _set(obj: dict[str, Any], **kw: Any) -> None:
    obj.update(kw)


CORRUPTIONS: dict[str, tuple[Callable[[Case], Any], str]] = {
    "weekday": (lambda c: _set(leg(c, "S1", 2), departure_date="2026-12-01",
                               arrival_date="2026-12-02"), "S1: leg 2 HG-air departs 2026-12-01, not"),
    "before_ready": (lambda c: (_set(leg(c, "S1", 1), departure_date="2026-11-30",
                                     arrival_date="2026-11-30"),
                                _set(row(c, "S1"), dispatch_date="2026-11-30")),
                     "S1: leg 1 F1>H1:truck departs 2026-11-30 before ready"),
    "arrival": (lambda c: _set(leg(c, "S3", 3), arrival_date="2026-12-06"), "S3: leg 3 arrival"),
    "dispatch": (lambda c: _set(row(c, "S2"), dispatch_date="2026-12-01"), "S2: dispatch"),
    "horizon": (lambda c: _set(c["summary"], horizon_days=3), "S1: leg 3 G1>M1:last_mile departs"),
    "cost": (lambda c: _set(row(c, "S3"), cost_transport=6.5), "S3: cost_transport=6.5"),
    "duty": (lambda c: node(c, "M1").update(de_minimis=None), "S1: cost_duty=0.0 expected 10.0"),
    "late_penalty": (lambda c: _set(c["shipments"][2], promise_days=4), "S3: cost_penalty"),
    "on_time": (lambda c: _set(row(c, "S3"), on_time=True), "S3: on_time=True"),
    "lane_capacity": (lambda c: c["network"]["lanes"][1].update(capacity_kg_per_departure=3.5),
                      "lane HG-air on 2026-12-02 carries 4.0 kg > 3.5 (shipments ['S1', 'S3'])"),
    "node_capacity": (lambda c: node(c, "B1").update(capacity_parcels_per_day=0),
                      "node B1 on 2026-11-30 counts 1 parcels > 0 (shipments ['S2'])"),
    "stock_exceeded": (lambda c: _set(c["inventory"][0], units=1), "(shipments ['S2'])"),
    "not_stocked": (lambda c: c["inventory"].pop(0), "S2: bonded route via B1 but sku A is not"),
    "channel_restriction": (lambda c: _set(c["shipments"][0], channel="bonded"), "S1: restricted"),
    "channel_column": (lambda c: _set(row(c, "S2"), channel="jit"), "S2: channel 'jit'"),
    "intermediate_kind": (lambda c: node(c, "G1").update(kind="market"), "S1: route has invalid"),
    "route_endpoints": (lambda c: _set(c["shipments"][2], destination="M2"), "S3: route F1>H1>G1>M1"),
    "lane_id": (lambda c: _set(leg(c, "S1", 3), lane_id="B1>M1:last_mile"), "S1: leg 3"),
    "seq_gap": (lambda c: _set(leg(c, "S3", 3), seq=4), "S3: leg seqs [1, 2, 4]"),
    "chargeable": (lambda c: _set(leg(c, "S1", 2), chargeable_kg=2.0), "S1: leg 2 chargeable_kg"),
    "replenishment": (lambda c: _set(leg(c, "S2", 2), replenishment=False), "S2: leg 2 replen"),
    "repl_dates": (lambda c: _set(leg(c, "S2", 1), departure_date="2026-11-01"), "S2: leg 1"),
    "unassigned_cost": (lambda c: _set(row(c, "S5"), cost_penalty=999.0), "S5: unassigned row"),
    "no_reason": (lambda c: _set(row(c, "S4"), reason=None), "S4: unroutable row has no reason"),
    "false_unroutable": (lambda c: _set(row(c, "S5"), status="unroutable", cost_penalty=0.0,
                                        cost_total=0.0), "S5: marked unroutable"),
    "legs_of_unassigned": (lambda c: c["legs"].append(dict(leg(c, "S1", 1), shipment_id="S5")),
                           "S5: unassigned shipment has legs"),
    "status": (lambda c: _set(row(c, "S4"), status="lost"), "S4: invalid status"),
    "order": (lambda c: c["plan"].reverse(), "input order"),
    "columns": (lambda c: c.update(plan_columns=PLAN_COLUMNS[::-1]), "columns differ"),
    "objective": (lambda c: _set(c["summary"], objective=1000.0), "summary objective 1000.0"),
    "gap": (lambda c: _set(c["summary"], gap=0.0), "lower_bound 1040.0 / gap 0.0"),
    "bound_above": (lambda c: _set(c["summary"], lower_bound=1100.0), "lower_bound 1100.0"),
    "counts": (lambda c: c["summary"]["counts"].update(assigned=2), "summary counts"),
    "reasons": (lambda c: _set(c["summary"], reasons={"no_route": 2}), "summary reasons"),
    "epoch": (lambda c: _set(c["summary"], epoch="2026-11-29"), "summary epoch"),
    "target_met": (lambda c: c["summary"]["markets"]["M1"].update(target_met=False),
                   "market M1 target_met=False"),
    "target_raised": (lambda c: node(c, "M1").update(on_time_target=0.75), "M1 shortfall=0"),
    "market_cost": (lambda c: c["summary"]["markets"]["M1"].update(cost=1.0), "M1 cost=1.0"),
    "lane_entry": (lambda c: c["summary"]["lanes"][0].update(load_kg=3.0), "summary lane entry"),
    "lane_missing": (lambda c: c["summary"]["lanes"].clear(), "summary lanes lacks"),
    "node_entry": (lambda c: c["summary"]["nodes"][2].update(parcels=2), "summary node entry"),
    "heuristic": (lambda c: _set(c["summary"], waiting_days=3), "heuristic"),
    "described": (lambda c: _set(row(c, "S4"), destination="M1"), "S4: destination='M1' expected 'M2'"),
    "promise_date": (lambda c: _set(row(c, "S3"), promise_date="2026-12-05"), "S3: promise_date"),
    "days_late": (lambda c: _set(row(c, "S3"), days_late=1), "S3: days_late=1"),
    "lanes_column": (lambda c: _set(row(c, "S1"), lanes="F1>H1:truck|HG-air"), "S1: lanes"),
    "change_unmarked": (lambda c: _set(row(c, "S1"), cost_change=1.0, cost_total=13.6),
                        "S1: cost_change=1.0 on a shipment that did not change"),
    "change_penalty": (lambda c: (_set(c["summary"], bookings={"previous": "legs.csv", "change_penalty": 2.0}),
                                  _set(row(c, "S1"), changed=True)), "S1: cost_change=0.0 expected 2.0"),
    "change_charged": (lambda c: (_set(c["summary"], bookings=None), _set(row(c, "S3"), changed=True,
                                                                          cost_change=2.0, cost_total=12.1)),
                       "S3: cost_change=2.0 expected 0.0"),
    "change_summary": (lambda c: (_set(c["summary"], bookings={"previous": "legs.csv", "change_penalty": 2.0,
                                                                "changed": 0, "change_cost": 0.0}),
                                  _set(row(c, "S1"), changed=True, cost_change=2.0, cost_total=14.6)),
                       "summary bookings changed=0 change_cost=0.0 != plan 1 / 2.0"),
    "change_unassigned": (lambda c: _set(row(c, "S5"), cost_change=5.0, cost_total=1005.0),
                          "S5: unassigned row cost_change=5.0 expected 0.0"),
    "lanes_table": (lambda c: _set(c["tables"]["lanes"][0], used_kg=5.0), "lanes table row ('HG-air'"),
    "lanes_table_missing": (lambda c: c["tables"]["lanes"].clear(), "lanes table lacks the loaded departure HG-air"),
    "nodes_table_binding": (lambda c: _set(c["tables"]["nodes"][2], used_parcels=2, share=1.0),
                            "nodes table row ('B1'"),
    "stock_table": (lambda c: c["tables"]["stock"].pop(0), "stock table lacks B1 A (2 units drawn)"),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruption_is_caught(tmp_path: pathlib.Path, name: str) -> None:
    mutate, expected = CORRUPTIONS[name]
    case = base_case()
    mutate(case)
    with pytest.raises(AssertionError) as err:
        run(tmp_path, case)
    assert expected in str(err.value), str(err.value)


def test_max_legs_argument(tmp_path: pathlib.Path) -> None:
    with pytest.raises(AssertionError, match="S1: 3 legs exceed max_legs=2"):
        run(tmp_path, base_case(), max_legs=2)


def test_parquet_corruption_is_caught(tmp_path: pathlib.Path) -> None:
    case = base_case()
    _set(leg(case, "S1", 2), departure_date="2026-12-01", arrival_date="2026-12-02")
    with pytest.raises(AssertionError, match="S1: leg 2 HG-air"):
        run(tmp_path, case, fmt="parquet")


def test_route_exists_respects_horizon_channel_stock_and_max_legs(tmp_path: pathlib.Path) -> None:
    case = base_case()
    run(tmp_path, case)
    net = load_network(tmp_path / "network.yaml")
    s1, s2, _, s4, _ = load_shipments(tmp_path / "shipments.csv")
    stock = load_inventory(tmp_path / "inventory.csv")
    assert stock["B1", "A"] == 2
    assert route_exists(s1, None, Ctx(net, 14, 4, 1000.0))
    assert not route_exists(s4, None, Ctx(net, 14, 4, 1000.0))  # no lane into M2
    # JIT: F1 ready Tue, air Wed -> last mile departs day 4 after the order.
    assert not route_exists(s1, None, Ctx(net, 3, 4, 1000.0))
    assert not route_exists(s1, None, Ctx(net, 14, 2, 1000.0))
    # Bonded: B1 last mile departs on the order day; needs stock when inventory is given.
    assert route_exists(s2, None, Ctx(net, 0, 3, 1000.0))
    assert route_exists(s2, frozenset({"B1"}), Ctx(net, 0, 3, 1000.0))
    assert not route_exists(s2, frozenset(), Ctx(net, 14, 4, 1000.0))
    assert not route_exists(s2, None, Ctx(net, 14, 2, 1000.0))

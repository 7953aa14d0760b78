"""Optimality against brute force: on tiny seeded instances with binding lane and node capacities,
bonded stock and on-time targets, enumerate every assignment of every shipment to every route and
every departure schedule in the horizon (or leave it unassigned) and compare with the solver.

The enumeration here is written from docs/rules.md alone; it shares no code with the solver.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import random

import pytest

import routing

from .helpers import plan, write_instance
from .validator import validate_plan

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EPOCH = dt.date(2026, 11, 30)
HORIZON = 5
PENALTY = 60.0
STATS_BOOKINGS: list[tuple[int, int, int]] = []  # per seed: committed, changed, with a previous option


def random_instance(seed: int) -> tuple[dict, list[dict], list[dict] | None]:
    rng = random.Random(seed)
    cap = lambda lo, hi: rng.choice([None, rng.uniform(lo, hi)])  # noqa: E731
    nodes = [
        {"id": "F1", "kind": "factory", "country": "CN", "handling_days": rng.choice([0, 1]),
         "handling_cost": 0.1, "capacity_parcels_per_day": rng.choice([None, 2, 3])},
        {"id": "H1", "kind": "hub", "country": "CN", "handling_days": rng.choice([0, 1]), "handling_cost": 0.2},
        {"id": "G1", "kind": "gateway", "country": "DE", "handling_days": 1, "handling_cost": 0.5,
         "capacity_parcels_per_day": rng.choice([None, 1, 2])},
        {"id": "B1", "kind": "bonded", "country": "DE", "handling_days": rng.choice([0, 1]), "handling_cost": 2.0,
         "storage_cost_per_kg_day": 0.01, "dwell_days": 20, "capacity_parcels_per_day": rng.choice([None, 1, 2])},
        {"id": "M1", "kind": "market", "country": "DE", "promise_days": rng.choice([3, 4, 5]),
         "late_penalty_per_day": rng.choice([0.5, 2.0, 6.0]), "duty_rate": 0.1,
         "de_minimis": rng.choice([None, 25.0]), "on_time_target": rng.choice([None, 0.5, 0.75])},
    ]
    air_days = sorted(rng.sample(WEEKDAYS, rng.randint(1, 4)), key=WEEKDAYS.index)
    lanes = [
        {"from": "F1", "to": "H1", "mode": "truck", "transit_days": 1, "cost_per_kg": 0.1, "cost_per_parcel": 0.2},
        {"id": "air", "from": "H1", "to": "G1", "mode": "air", "transit_days": 1, "departures": air_days,
         "cost_per_kg": 3.5, "volumetric_divisor": 6000, "capacity_kg_per_departure": cap(1.0, 3.0)},
        {"id": "exp", "from": "H1", "to": "G1", "mode": "express", "transit_days": rng.choice([1, 2]),
         "departures": rng.choice(["daily", ["mon", "thu"]]), "cost_per_kg": 6.0, "cost_per_parcel": 1.0,
         "volumetric_divisor": 5000, "capacity_kg_per_departure": cap(1.0, 4.0)},
        {"from": "G1", "to": "M1", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 2.0,
         "cost_per_kg": 0.5},
        {"from": "H1", "to": "B1", "mode": "sea", "transit_days": 30, "cost_per_kg": 0.3},
        {"from": "B1", "to": "M1", "mode": "last_mile", "transit_days": rng.choice([1, 2]), "cost_per_parcel": 2.5,
         "cost_per_kg": 0.4, "capacity_kg_per_departure": cap(1.0, 3.0)},
    ]
    if rng.random() < 0.5:  # a second, direct gateway path that skips the hub (truck then air)
        nodes.insert(3, {"id": "G2", "kind": "gateway", "country": "DE", "handling_days": 0, "handling_cost": 0.3})
        lanes += [{"id": "g2", "from": "F1", "to": "G2", "mode": "air", "transit_days": 2, "departures": ["tue", "fri"],
                   "cost_per_kg": 5.0, "capacity_kg_per_departure": cap(0.5, 2.0)},
                  {"from": "G2", "to": "M1", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 1.5}]
    network = {"epoch": str(EPOCH), "nodes": nodes, "lanes": lanes}
    shipments = []
    for i in range(rng.choice([3, 4])):
        shipments.append({
            "shipment_id": f"s{i}", "origin": "F1", "destination": "M1",
            "order_date": str(EPOCH + dt.timedelta(days=rng.randint(0, 2))),
            "weight_kg": round(rng.uniform(0.3, 1.6), 2), "volume_cm3": rng.choice([0, 4000, 9000]),
            "value": rng.choice([10, 40, 80]), "sku": rng.choice(["A", "B"]), "quantity": rng.choice([1, 1, 2]),
            "channel": rng.choice(["", "", "", "jit", "bonded"]),
            "promise_days": rng.choice(["", "", 3]),
        })
    inventory = None
    if rng.random() < 0.6:
        inventory = [{"node": "B1", "sku": "A", "units": rng.randint(0, 3)},
                     {"node": "B1", "sku": "B", "units": rng.randint(1, 3)}]
    return network, shipments, inventory


def _options(net: dict, ship: dict, inventory: list[dict] | None) -> list[dict]:
    """Every (route, departures) of §3 for one shipment, with its cost, resources and on-time flag."""
    nodes = {n["id"]: n for n in net["nodes"]}
    out_lanes: dict[str, list[dict]] = {}
    for ln in net["lanes"]:
        out_lanes.setdefault(ln["from"], []).append(ln)
    order = (dt.date.fromisoformat(ship["order_date"]) - EPOCH).days
    market = nodes[ship["destination"]]
    promise = int(ship["promise_days"]) if ship["promise_days"] != "" else market["promise_days"]
    stock = {(r["node"], r["sku"]): r["units"] for r in inventory} if inventory is not None else None
    w, vol, value = ship["weight_kg"], ship["volume_cm3"], ship["value"]

    def chg(ln: dict) -> float:
        return max(w, vol / ln["volumetric_divisor"]) if ln.get("volumetric_divisor") else w

    paths: list[list[dict]] = []

    def walk(node: str, path: list[dict], seen: set[str]) -> None:
        for ln in out_lanes.get(node, []):
            nxt = ln["to"]
            if nxt in seen:
                continue
            if nxt == ship["destination"]:
                paths.append(path + [ln])
            elif nodes[nxt]["kind"] in ("hub", "gateway", "bonded"):
                walk(nxt, path + [ln], seen | {nxt})

    walk(ship["origin"], [], {ship["origin"]})
    options = []
    for path in paths:
        route = [ship["origin"]] + [ln["to"] for ln in path]
        bonded = [n for n in route if nodes[n]["kind"] == "bonded"]
        if len(bonded) > 1:
            continue
        channel = "bonded" if bonded else "jit"
        if ship["channel"] not in ("", channel):
            continue
        if bonded and stock is not None and stock.get((bonded[0], ship["sku"]), 0) <= 0:
            continue
        start = route.index(bonded[0]) if bonded else 0
        timed = path[start:]
        base = sum(ln.get("cost_per_parcel", 0) + ln.get("cost_per_kg", 0) * chg(ln) for ln in path)
        base += sum(nodes[n].get("handling_cost", 0) for n in route)
        if bonded:
            b = nodes[bonded[0]]
            base += b["storage_cost_per_kg_day"] * b["dwell_days"] * w + market["duty_rate"] * value
        elif market["de_minimis"] is None or value > market["de_minimis"]:
            base += market["duty_rate"] * value
        first = route[start]
        node_res0 = [(first, order)] if nodes[first].get("capacity_parcels_per_day") else []

        untimed = tuple((_lane_id(ln), None) for ln in path[:start])  # replenishment: no departure date

        def legs(k: int, ready: int, res: list, lane_res: list, timed=timed, base=base, bonded=bonded,
                 deps: tuple = untimed) -> None:
            if k == len(timed):
                return
            ln = timed[k]
            days = ln.get("departures", "daily")
            for d in range(ready, order + HORIZON + 1):
                if days != "daily" and WEEKDAYS[(EPOCH + dt.timedelta(days=d)).weekday()] not in days:
                    continue
                arr = d + ln["transit_days"]
                nres = res + ([(ln["to"], arr)] if nodes[ln["to"]].get("capacity_parcels_per_day") else [])
                lres = lane_res + ([(_lane_id(ln), d, chg(ln), ln["capacity_kg_per_departure"])]
                                   if ln.get("capacity_kg_per_departure") else [])
                here = deps + ((_lane_id(ln), d),)
                if k + 1 == len(timed):
                    late = max(0, arr - order - promise)
                    options.append({"cost": base + market["late_penalty_per_day"] * late, "on_time": late == 0,
                                    "nodes": nres, "lanes": lres, "legs": here,
                                    "stock": (bonded[0], ship["sku"], ship["quantity"]) if bonded else None})
                else:
                    legs(k + 1, arr + nodes[ln["to"]]["handling_days"], nres, lres, deps=here)

        legs(0, order + nodes[first]["handling_days"], node_res0, [])
    return options


def _lane_id(ln: dict) -> str:
    return ln.get("id") or f"{ln['from']}>{ln['to']}:{ln['mode']}"


def brute_force(net: dict, ships: list[dict], inventory: list[dict] | None, committed: dict | None = None,
                previous: dict | None = None, change_penalty: float = 0.0) -> tuple[int, float]:
    """(minimum total shortfall, minimum cost at that shortfall) over every assignment. ``committed``:
    shipment id -> its legs ((lane id, day) in route order, None for a replenishment leg's day), the only
    option it may take; ``previous``: shipment id -> its legs in the previous plan, any other option of an
    assigned shipment costing ``change_penalty`` more."""
    nodes = {n["id"]: n for n in net["nodes"]}
    market = net["nodes"][-1]
    committed, previous = committed or {}, previous or {}
    per_ship = []
    for s in ships:
        opts = _options(net, s, inventory)
        sid = s["shipment_id"]
        if sid in previous:
            opts = [{**o, "cost": o["cost"] + change_penalty * (o["legs"] != previous[sid])} for o in opts]
        if sid in committed:
            per_ship.append([o for o in opts if o["legs"] == committed[sid]])
            assert len(per_ship[-1]) == 1, (sid, committed[sid])
        else:
            per_ship.append(opts + [None])
    routable = [s for s, opts in zip(ships, per_ship, strict=True) if any(o is not None for o in opts)]
    target = market.get("on_time_target")
    need = math.ceil(target * len(routable) - 1e-9) if target else 0
    stock = {(r["node"], r["sku"]): r["units"] for r in inventory} if inventory is not None else None
    best = (math.inf, math.inf)
    for combo in itertools.product(*per_ship):
        cost, on_time = 0.0, 0
        node_load: dict = {}
        lane_load: dict = {}
        stock_use: dict = {}
        ok = True
        for opts, choice in zip(per_ship, combo, strict=True):
            if choice is None:
                cost += PENALTY if len(opts) > 1 else 0.0
                continue
            cost += choice["cost"]
            on_time += choice["on_time"]
            for key in choice["nodes"]:
                node_load[key] = node_load.get(key, 0) + 1
                ok &= node_load[key] <= nodes[key[0]]["capacity_parcels_per_day"]
            for lane, day, kg, cap in choice["lanes"]:
                lane_load[lane, day] = lane_load.get((lane, day), 0.0) + kg
                ok &= lane_load[lane, day] <= cap + 1e-9
            if choice["stock"] and stock is not None:
                node, sku, qty = choice["stock"]
                stock_use[node, sku] = stock_use.get((node, sku), 0) + qty
                ok &= stock_use[node, sku] <= stock.get((node, sku), 0)
            if not ok:
                break
        if ok:
            best = min(best, (max(0, need - on_time), cost))
    return best


@pytest.mark.parametrize("seed", range(24))
def test_solver_matches_brute_force(tmp_path, seed):
    network, shipments, inventory = random_instance(seed)
    inst = write_instance(tmp_path, network, shipments, inventory)
    result = plan(inst, horizon_days=HORIZON, unassigned_penalty=PENALTY)
    shortfall, cost = brute_force(network, shipments, inventory)
    summary = result.summary_data
    assert summary["status"] == "optimal"
    assert summary["markets"]["M1"]["shortfall"] == shortfall
    assert summary["objective"] == pytest.approx(cost, rel=1e-9, abs=1e-9)
    assert summary["gap"] <= 1e-6


def _written_legs(out) -> dict[str, tuple]:
    """Each shipment's legs in a written plan: ((lane id, day since the epoch or None), ...) in route order."""
    found: dict[str, list] = {}
    with open(out / "legs.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            day = (dt.date.fromisoformat(r["departure_date"]) - EPOCH).days if r["departure_date"] else None
            found.setdefault(r["shipment_id"], []).append((int(r["seq"]), r["lane_id"], day))
    return {sid: tuple((lane, day) for _, lane, day in sorted(legs)) for sid, legs in found.items()}


def _write_legs(path, legs: dict[str, tuple]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["shipment_id", "seq", "lane_id", "departure_date"])
        for sid, route in legs.items():
            for seq, (lane, day) in enumerate(route, 1):
                w.writerow([sid, seq, lane, "" if day is None else str(EPOCH + dt.timedelta(days=day))])


@pytest.mark.parametrize("seed", range(12))
def test_solver_matches_brute_force_with_bookings(tmp_path, seed):
    """Some shipments of the optimal plan are committed to their legs; every other one had some option
    (drawn at random) in a previous plan, and pays a change penalty to take another."""
    network, shipments, inventory = random_instance(seed)
    rng = random.Random(1000 + seed)
    inst = write_instance(tmp_path, network, shipments, inventory)
    plan(inst, horizon_days=HORIZON, unassigned_penalty=PENALTY)
    committed = {sid: legs for sid, legs in _written_legs(inst.dir / "out").items() if rng.random() < 0.4}
    previous = {}
    for s in shipments:
        options = _options(network, s, inventory)
        if options and s["shipment_id"] not in committed:
            previous[s["shipment_id"]] = rng.choice(options)["legs"]
    _write_legs(inst.dir / "committed.csv", committed)
    _write_legs(inst.dir / "previous.csv", previous)
    penalty = rng.choice([0.5, 2.0, 8.0])
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments, net)
    inv = routing.load_inventory(inst.inventory, net) if inst.inventory else None
    bookings = routing.Bookings(committed=routing.load_booked_legs(inst.dir / "committed.csv", net),
                                previous=routing.load_booked_legs(inst.dir / "previous.csv", net),
                                change_penalty=penalty)
    result = routing.solve(net, ships, inv, settings=routing.PlanSettings(horizon_days=HORIZON,
                                                                          unassigned_penalty=PENALTY),
                           options=routing.SolveOptions(gap=0.0), bookings=bookings)
    result.write(inst.dir / "booked")
    validate_plan(inst.network, inst.shipments, inst.dir / "booked", inst.inventory,
                  committed=inst.dir / "committed.csv")
    shortfall, cost = brute_force(network, shipments, inventory, committed, previous, penalty)
    summary = result.summary_data
    assert summary["status"] == "optimal"
    assert summary["markets"]["M1"]["shortfall"] == shortfall
    assert summary["objective"] == pytest.approx(cost, rel=1e-9, abs=1e-9)
    kept = _written_legs(inst.dir / "booked")
    assert all(kept[sid] == legs for sid, legs in committed.items())
    STATS_BOOKINGS.append((len(committed), summary["bookings"]["changed"], len(previous)))


def test_instances_exercise_every_constraint():
    """The seeded family really binds capacities, stock and targets (else the comparison proves little)."""
    seen = {"lane_cap": 0, "node_cap": 0, "stock": 0, "target": 0, "constrained": 0}
    for seed in range(24):
        network, shipments, inventory = random_instance(seed)
        seen["lane_cap"] += any(ln.get("capacity_kg_per_departure") for ln in network["lanes"])
        seen["node_cap"] += any(n.get("capacity_parcels_per_day") for n in network["nodes"])
        seen["stock"] += inventory is not None
        seen["target"] += network["nodes"][-1]["on_time_target"] is not None
        unconstrained = sum(min((o["cost"] for o in _options(network, s, None)), default=0.0) for s in shipments)
        shortfall, cost = brute_force(network, shipments, inventory)
        seen["constrained"] += cost > unconstrained + 1e-9
    assert all(v >= 5 for v in seen.values()), seen

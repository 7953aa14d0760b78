"""A seeded synthetic *large* network for benchmarks: factories in south-east China, origin hubs,
destination gateways, bonded warehouses and markets in five regions.

Capacities are sized from the expected shipment count (``shipments`` over ``days``) so that a
share of the air departures and bonded warehouses bind at any instance size. Figures follow the
bundled example network (fixtures/network.yaml, sources in fixtures/README.md).
"""

from __future__ import annotations

import math
import random
from typing import Any

# (id, region, lat, lon, demand weight, promise days, duty rate, de minimis USD, late penalty)
MARKETS = [
    ("US", "NA", 39.8, -98.6, 30, 5, 0.10, None, 1.5), ("CA", "NA", 56.1, -106.3, 4, 6, 0.08, 110, 1.0),
    ("MX", "LA", 23.6, -102.5, 5, 7, 0.335, None, 1.0), ("BR", "LA", -14.2, -51.9, 6, 10, 0.20, None, 1.0),
    ("CL", "LA", -35.7, -71.5, 2, 8, 0.19, 41, 1.0), ("CO", "LA", 4.6, -74.3, 2, 8, 0.10, 200, 1.0),
    ("GB", "EU", 54.0, -2.0, 12, 5, 0.04, 170, 1.5), ("DE", "EU", 51.2, 10.4, 9, 5, 0.04, 160, 1.5),
    ("FR", "EU", 46.2, 2.2, 7, 5, 0.04, 160, 1.2), ("ES", "EU", 40.5, -3.7, 5, 5, 0.04, 160, 1.2),
    ("IT", "EU", 41.9, 12.6, 5, 6, 0.04, 160, 1.2), ("NL", "EU", 52.1, 5.3, 3, 5, 0.04, 160, 1.2),
    ("BE", "EU", 50.5, 4.5, 2, 5, 0.04, 160, 1.2), ("PL", "EU", 51.9, 19.1, 3, 6, 0.04, 160, 1.0),
    ("SE", "EU", 60.1, 18.6, 1, 6, 0.04, 160, 1.0), ("AT", "EU", 47.5, 14.6, 1, 6, 0.04, 160, 1.0),
    ("CH", "EU", 46.8, 8.2, 1, 6, 0.03, 65, 1.0), ("PT", "EU", 39.4, -8.2, 1, 6, 0.04, 160, 1.0),
    ("CZ", "EU", 49.8, 15.5, 1, 6, 0.04, 160, 1.0), ("DK", "EU", 56.3, 9.5, 1, 6, 0.04, 160, 1.0),
    ("IE", "EU", 53.4, -8.2, 1, 6, 0.04, 160, 1.0), ("NO", "EU", 60.5, 8.5, 1, 6, 0.03, 30, 1.0),
    ("FI", "EU", 61.9, 25.7, 1, 6, 0.04, 160, 1.0), ("KR", "AP", 35.9, 127.8, 5, 5, 0.08, 150, 1.5),
    ("JP", "AP", 36.2, 138.3, 4, 5, 0.05, 90, 1.5), ("AU", "AP", -25.3, 133.8, 3, 6, 0.05, None, 1.0),
    ("NZ", "AP", -40.9, 174.9, 1, 6, 0.05, 700, 1.0), ("SA", "ME", 23.9, 45.1, 2, 6, 0.05, 270, 1.0),
    ("AE", "ME", 23.4, 53.8, 2, 5, 0.05, 270, 1.0), ("IL", "ME", 31.0, 34.9, 1, 6, 0.05, 75, 1.0),
]
# (id, region, lat, lon, handling days, markets served by truck/last mile)
GATEWAYS = [
    ("US-LAX-GW", "NA", 33.9, -118.4, 1, ["US", "CA"]), ("US-JFK-GW", "NA", 40.6, -73.8, 1, ["US", "CA"]),
    ("MX-MEX-GW", "LA", 19.4, -99.1, 2, ["MX", "CO"]), ("BR-GRU-GW", "LA", -23.4, -46.5, 3, ["BR", "CL"]),
    ("GB-LHR-GW", "EU", 51.5, -0.5, 1, ["GB", "IE"]),
    ("BE-LGG-GW", "EU", 50.6, 5.4, 1, ["BE", "NL", "DE", "FR", "IT", "AT", "CH", "CZ", "DK", "SE", "NO", "FI"]),
    ("ES-MAD-GW", "EU", 40.5, -3.6, 1, ["ES", "PT", "FR", "IT"]),
    ("DE-FRA-GW", "EU", 50.0, 8.6, 2, ["DE", "PL", "CZ", "AT", "CH"]),
    ("KR-ICN-GW", "AP", 37.5, 126.4, 1, ["KR", "JP"]), ("AE-DXB-GW", "ME", 25.3, 55.4, 1, ["AE", "SA", "IL"]),
    ("AU-SYD-GW", "AP", -33.9, 151.2, 1, ["AU", "NZ"]),
]
BONDED = [
    ("US-LAX-BW", 34.1, -117.6, 0.017, 30, ["US", "CA"]), ("US-EWR-BW", 40.7, -74.2, 0.017, 30, ["US"]),
    ("MX-MEX-BW", 19.7, -99.2, 0.007, 45, ["MX"]), ("BR-VCP-BW", -23.0, -47.1, 0.008, 45, ["BR"]),
    ("GB-EMA-BW", 52.8, -1.3, 0.012, 30, ["GB", "IE"]), ("BE-LGG-BW", 50.6, 5.5, 0.010, 35, ["BE", "NL", "DE", "FR"]),
    ("ES-MAD-BW", 40.4, -3.5, 0.008, 40, ["ES", "PT"]), ("PL-WAW-BW", 52.2, 21.0, 0.007, 40, ["PL", "DE", "CZ"]),
    ("IT-MXP-BW", 45.6, 8.7, 0.009, 35, ["IT", "AT", "CH"]), ("KR-ICN-BW", 37.5, 126.6, 0.010, 20, ["KR"]),
    ("JP-NRT-BW", 35.8, 140.4, 0.012, 25, ["JP"]), ("AU-SYD-BW", -33.9, 151.2, 0.010, 35, ["AU", "NZ"]),
]
HUBS = [
    ("CN-SZX-HUB", 22.6, 113.8, 0, 0.20), ("CN-CAN-HUB", 23.4, 113.3, 1, 0.15), ("CN-HGH-HUB", 30.2, 120.4, 0, 0.20),
    ("CN-PVG-HUB", 31.1, 121.8, 0, 0.22), ("CN-XMN-HUB", 24.5, 118.1, 1, 0.15), ("CN-NGB-HUB", 29.8, 121.5, 1, 0.15),
]
AIR_RATE = {"NA": 4.25, "LA": 5.0, "EU": 3.5, "AP": 2.2, "ME": 3.0}  # USD/kg, CN spot rates 2025 (WorldACD, Freightos)
AIR_DAYS = {"NA": 2, "LA": 3, "EU": 2, "AP": 1, "ME": 2}
WEEKLY = [["mon", "wed", "fri"], ["tue", "thu", "sat"], ["mon", "thu"], ["tue", "fri"], "daily"]


def large_network(factories: int = 40, shipments: int = 1_000_000, days: int = 14, seed: int = 0) -> dict[str, Any]:
    """The network as a dict in the network file schema (docs/inputs.md) (write it with ``yaml.safe_dump``).

    Capacities scale with ``shipments / days`` so several departures and warehouses bind.
    """
    rng = random.Random(seed)
    per_day = shipments / days
    # `routing generate` draws markets Zipf(1) in file order: size capacities on the same shares
    zipf = [1.0 / (i + 1) for i in range(len(MARKETS))]
    market_day = {m[0]: per_day * z / sum(zipf) for m, z in zip(MARKETS, zipf, strict=True)}  # parcels/day
    nodes: list[dict[str, Any]] = []
    lanes: list[dict[str, Any]] = []
    for k in range(factories):
        hub = HUBS[k % len(HUBS)]
        nodes.append({"id": f"CN-F{k + 1:03d}", "kind": "factory", "country": "CN",
                      "lat": round(hub[1] + rng.uniform(-1.5, 1.5), 2),
                      "lon": round(hub[2] + rng.uniform(-1.5, 1.5), 2),
                      "handling_days": 1, "handling_cost": round(rng.uniform(0.05, 0.15), 2)})
    for hid, lat, lon, hd, hc in HUBS:
        nodes.append({"id": hid, "kind": "hub", "country": "CN", "lat": lat, "lon": lon, "handling_days": hd,
                      "handling_cost": hc})
    gw_load: dict[str, float] = {}
    for gid, _region, lat, lon, hd, served in GATEWAYS:
        node = {"id": gid, "kind": "gateway", "country": gid[:2], "lat": lat, "lon": lon, "handling_days": hd,
                "handling_cost": round(rng.uniform(0.3, 0.6), 2)}
        if gid == "BR-GRU-GW":  # Brazil customs is the bottleneck
            node["capacity_parcels_per_day"] = max(1, math.ceil(0.9 * (market_day["BR"] + market_day["CL"])))
        nodes.append(node)
        gw_load[gid] = sum(market_day[m] / sum(m in g[5] for g in GATEWAYS) for m in served)
    for bid, lat, lon, storage, dwell, served in BONDED:
        demand = sum(market_day[m] for m in served)
        nodes.append({"id": bid, "kind": "bonded", "country": bid[:2], "lat": lat, "lon": lon, "handling_days": 1,
                      "handling_cost": round(rng.uniform(2.0, 3.5), 2), "storage_cost_per_kg_day": storage,
                      "dwell_days": dwell, "capacity_parcels_per_day": max(1, math.ceil(0.3 * demand))})
    for mid, _region, lat, lon, _w, promise, duty, dm, late in MARKETS:
        node = {"id": mid, "kind": "market", "country": mid, "lat": lat, "lon": lon, "promise_days": promise,
                "late_penalty_per_day": late, "duty_rate": duty, "de_minimis": dm}
        if mid in ("US", "GB", "DE", "KR", "JP"):
            node["on_time_target"] = 0.75 if mid == "KR" else 0.9
        nodes.append(node)
    # first mile: each factory to its two nearest hubs (daily trucks)
    for k in range(factories):
        for j in (k % len(HUBS), (k + 1) % len(HUBS)):
            lanes.append({"id": f"F{k + 1:03d}-{HUBS[j][0][3:6]}-truck", "from": f"CN-F{k + 1:03d}", "to": HUBS[j][0],
                          "mode": "truck", "transit_days": 1, "cost_per_kg": 0.08, "cost_per_parcel": 0.10})
    # air linehaul hub -> gateway, weekday schedules, a share of them capacitated
    for h, (hid, *_rest) in enumerate(HUBS):
        for g, (gid, region, *_r) in enumerate(GATEWAYS):
            deps = WEEKLY[(h + g) % len(WEEKLY)]
            n_dep = 7 if deps == "daily" else len(deps)
            lane = {"id": f"{hid[3:6]}-{gid[3:6]}-air", "from": hid, "to": gid, "mode": "air",
                    "transit_days": AIR_DAYS[region] + (h % 2), "departures": deps,
                    "cost_per_kg": round(AIR_RATE[region] * rng.uniform(0.9, 1.15), 2), "cost_per_parcel": 0.0,
                    "volumetric_divisor": 6000}
            if (h + 2 * g) % 3 != 0:  # two in three flights have block space limits
                share = gw_load[gid] / len(HUBS) * 7 / n_dep
                lane["capacity_kg_per_departure"] = round(max(1.0, 0.7 * share), 1)  # ~0.7 kg per parcel
            lanes.append(lane)
    # express door to door from two hubs to the target markets
    for hid in ("CN-SZX-HUB", "CN-PVG-HUB"):
        for mid in ("US", "GB", "DE", "KR", "JP"):
            lanes.append({"id": f"{hid[3:6]}-{mid}-express", "from": hid, "to": mid, "mode": "express",
                          "transit_days": 2 if mid in ("KR", "JP") else 3, "cost_per_kg": 7.5, "cost_per_parcel": 2.0,
                          "volumetric_divisor": 5000})
    for gid, _region, *_r, served in GATEWAYS:
        for mid in served:
            lanes.append({"id": f"{gid[3:6]}-{mid}-lm", "from": gid, "to": mid, "mode": "last_mile",
                          "transit_days": 1 if gid[:2] == mid else 2, "cost_per_kg": round(rng.uniform(0.3, 0.8), 2),
                          "cost_per_parcel": round(rng.uniform(2.0, 4.5), 2)})
    for b, (bid, *_r, served) in enumerate(BONDED):
        for hid in (HUBS[b % len(HUBS)][0], HUBS[(b + 3) % len(HUBS)][0]):
            mode = "rail" if bid[:2] in ("BE", "PL", "IT", "ES") and b % 2 else "sea"
            lanes.append({"id": f"{hid[3:6]}-{bid[3:6]}-{mode}", "from": hid, "to": bid, "mode": mode,
                          "transit_days": 17 if mode == "rail" else 30, "departures": ["sat"],
                          "cost_per_kg": 0.5 if mode == "rail" else round(rng.uniform(0.28, 0.4), 2)})
        for mid in served:
            lanes.append({"id": f"{bid[3:6]}-BW-{mid}-lm", "from": bid, "to": mid, "mode": "last_mile",
                          "transit_days": 1 if bid[:2] == mid else 2, "cost_per_kg": round(rng.uniform(0.3, 0.6), 2),
                          "cost_per_parcel": round(rng.uniform(2.0, 4.0), 2)})
    return {"name": f"synthetic-large-{factories}f", "currency": "USD", "epoch": "2026-11-30",
            "nodes": nodes, "lanes": lanes}

"""The independent checker of a written plan (``routing validate``, and the test suite's validator):
every rule of docs/rules.md and every column and figure of docs/outputs.md re-derived from the input
and output files alone. It imports nothing of the rest of ``routing`` (tests/test_layers.py checks),
so a planner's hand-edited plan is judged by rules written once more, not by the solver's own code.

:func:`plan_violations` lists what is wrong; :func:`validate_plan` raises AssertionError with them (the
tests' form); :func:`check_plan_dir` reads a plan directory and the inputs it records.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PLAN_COLUMNS = ["shipment_id", "status", "channel", "origin", "destination", "order_date", "promise_date", "route",
                "lanes", "dispatch_date", "delivery_date", "days_late", "on_time",
                "cost_transport", "cost_handling", "cost_storage", "cost_duty", "cost_penalty", "cost_change",
                "cost_total", "reason", "changed"]
CENT = 0.005 + 1e-9  # money is written rounded to the cent
TOTAL_CENT = 0.01 + 1e-9  # cost_total: within a cent, the column summing to the objective to the cent
LEG_COLUMNS = ["shipment_id", "seq", "lane_id", "from", "to", "departure_date", "arrival_date",
               "chargeable_kg", "replenishment"]
SHIP_COLUMNS = ["shipment_id", "origin", "destination", "order_date", "weight_kg", "volume_cm3", "value", "sku",
                "quantity", "channel", "promise_days"]
COSTS = ["cost_transport", "cost_handling", "cost_storage", "cost_duty", "cost_penalty"]
SUMMARY_KEYS = ["status", "objective", "lower_bound", "gap", "unassigned_penalty", "counts", "seconds",
                "markets", "lanes", "nodes", "reasons", "epoch", "horizon_days", "waiting_days", "max_legs",
                "strategy", "solver", "heuristic"]
STATUSES = ("assigned", "unassigned", "unroutable")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
VIA = ("hub", "gateway", "bonded")  # kinds allowed strictly inside a route
MAX_SHOWN = 20
Row = dict[str, Any]
Stock = dict[tuple[str, str], float]


class Violations:
    """What a check found wrong, and how much it read (shipments, legs)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.shipments = self.legs = 0

    def add(self, sid: str | None, msg: str) -> None:
        self.items.append(f"shipment {sid}: {msg}" if sid else msg)


def _close(a: float | None, b: float | None, abs_: float = 1e-6) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=abs_)


@cache
def _day(v: Any) -> int | None:
    """Day ordinal of a date / datetime / 'YYYY-MM-DD' string; None when missing."""
    if v is None or v == "":
        return None
    if isinstance(v, dt.date):  # a datetime is a date too
        return v.toordinal()
    return dt.date.fromisoformat(str(v)[:10]).toordinal()


def _iso(day: int) -> str:
    return dt.date.fromordinal(day).isoformat()


def _bool(v: Any) -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise ValueError(f"bad boolean {v!r}")


def _float(v: Any, default: float | None = None) -> float | None:
    return default if v is None or v == "" else float(v)


def _num(d: Row, key: str, default: float = 0.0) -> float:
    v = d.get(key)
    return default if v is None else float(v)


_CODECS = {".gz": "gzip", ".zst": "zstd", ".bz2": "bz2"}


def _read_table(path: Path) -> tuple[list[str], list[Row]]:
    """Column names and rows of a CSV or Parquet file (optionally .gz/.zst/.bz2); empty strings become None."""
    import pyarrow as pa

    codec = _CODECS.get(path.suffix.lower())
    inner = Path(path.stem) if codec else path
    if inner.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        table = pq.read_table(pa.input_stream(str(path), compression=codec) if codec else path)
        return list(table.column_names), [{k: None if v == "" else v for k, v in r.items()}
                                          for r in table.to_pylist()]
    raw = pa.input_stream(str(path), compression=codec).read() if codec else path.read_bytes()
    with io.StringIO(raw.decode("utf-8-sig"), newline="") as f:
        reader = csv.reader(f)
        names = next(reader, [])
        return names, [dict(zip(names, [x or None for x in r], strict=False)) for r in reader]


@dataclass
class Lane:
    id: str
    src: str
    dst: str
    transit: int
    days: frozenset[int] | None  # weekdays (Monday = 0) with a departure; None: daily
    cost_kg: float
    cost_parcel: float
    divisor: float | None
    capacity: float | None

    def chargeable(self, weight: float, volume: float) -> float:
        return max(weight, volume / self.divisor) if self.divisor else weight

    def departs(self, day: int) -> bool:
        return self.days is None or dt.date.fromordinal(day).weekday() in self.days

    def next_departure(self, ready: int) -> int | None:
        return next((d for d in range(ready, ready + 7) if self.departs(d)), None)


@dataclass
class Network:
    nodes: dict[str, Row]
    kind: dict[str, str]
    hdays: dict[str, int]  # handling_days
    lanes: dict[str, Lane]
    out: dict[str, list[Lane]]
    epoch: int | None


def _weekdays(raw: Any) -> frozenset[int] | None:
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw or ["daily"])
    if "daily" in items:
        return None
    return frozenset(x if isinstance(x, int) else WEEKDAYS.index(str(x).lower()[:3]) for x in items)


def load_network(path: str | Path) -> Network:
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    nodes = {str(n["id"]): n for n in data.get("nodes") or []}
    lanes: dict[str, Lane] = {}
    out: dict[str, list[Lane]] = defaultdict(list)
    for r in data.get("lanes") or []:
        src, dst = str(r["from"]), str(r["to"])
        lane = Lane(str(r.get("id") or f"{src}>{dst}:{r.get('mode')}"), src, dst,
                    int(r.get("transit_days") or 0), _weekdays(r.get("departures")),
                    _num(r, "cost_per_kg"), _num(r, "cost_per_parcel"),
                    _float(r.get("volumetric_divisor")), _float(r.get("capacity_kg_per_departure")))
        lanes.setdefault(lane.id, lane)
        out[src].append(lane)
    return Network(nodes, {k: str(n.get("kind")) for k, n in nodes.items()},
                   {k: int(_num(n, "handling_days")) for k, n in nodes.items()}, lanes, out,
                   _day(data.get("epoch")))


@dataclass
class Shipment:
    sid: str
    origin: str
    dest: str
    order: int
    weight: float
    volume: float
    value: float
    sku: str
    qty: int
    channel: str
    promise: int | None


def _order_day(v: Any, zone: str | None) -> int | None:
    """An order date: a date, or an ISO timestamp — with an offset, the date it falls on in ``zone`` (the
    origin's time zone, UTC if none); without, the date written."""
    if isinstance(v, dt.datetime):
        stamp = v
    elif isinstance(v, str) and len(v.strip()) > 10:
        stamp = dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
    else:
        return _day(v)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(zoneinfo.ZoneInfo(zone or "UTC"))
    return _day(stamp.date())


def load_shipments(path: str | Path, zones: dict[str, str | None] | None = None) -> list[Shipment]:
    return _shipments(_read_table(Path(path))[1], zones)


def _shipments(rows: list[Row], zones: dict[str, str | None] | None) -> list[Shipment]:
    """The shipments of a table's rows (``zones``: each factory's time zone, for order timestamps)."""
    out = []
    for r in rows:
        sid, promise = str(r["shipment_id"]), r.get("promise_days")
        zone = (zones or {}).get(str(r["origin"]))
        out.append(Shipment(sid, str(r["origin"]), str(r["destination"]), _order_day(r["order_date"], zone),
                            float(r["weight_kg"]), _float(r.get("volume_cm3"), 0.0),
                            _float(r.get("value"), 0.0),
                            str(r.get("sku") or sid), int(float(r.get("quantity") or 1)),
                            str(r.get("channel") or "any"), None if promise is None else int(float(promise))))
    return out


def load_inventory(path: str | Path) -> Stock:
    stock: Stock = defaultdict(float)
    for r in _read_table(Path(path))[1]:
        stock[str(r["node"]), str(r["sku"])] += float(r["units"] or 0)
    return stock


@dataclass
class Ctx:
    net: Network
    horizon: int
    max_legs: int | None
    penalty: float | None
    change_penalty: float | None = None  # currency per changed shipment (None: not known, any amount >= 0)
    v: Violations = field(default_factory=Violations)


@dataclass
class Placed:
    """What an assigned shipment contributes to capacities, stock and the summary."""

    ship: Shipment
    bonded: str | None
    loads: list[tuple[str, int, float]]  # timed legs: (lane id, departure day, chargeable kg)
    visits: list[tuple[str, int]]  # timed nodes: (node, day it counts)


def _parse_row(r: Row) -> Row:
    return {**r, **{k: _float(r[k]) for k in COSTS + ["cost_change", "cost_total"]}, "on_time": _bool(r["on_time"]),
            "changed": _bool(r["changed"]),
            "dispatch_date": _day(r["dispatch_date"]), "delivery_date": _day(r["delivery_date"]),
            "order_date": _day(r["order_date"]), "promise_date": _day(r["promise_date"]),
            "days_late": None if r["days_late"] in (None, "") else int(float(r["days_late"]))}


def check_described(s: Shipment, row: Row, c: Ctx) -> None:
    """The columns that describe the shipment itself: origin, destination, order and promise dates."""
    want = {"origin": s.origin, "destination": s.dest, "order_date": s.order,
            "promise_date": s.order + _promise(s, c.net)}
    for k, w in want.items():
        if row[k] != w:
            c.v.add(s.sid, f"{k}={row[k]!r} expected {w!r}")


def _parse_leg(g: Row) -> Row:
    return {**g, "seq": int(float(g["seq"])), "chargeable_kg": float(g["chargeable_kg"]),
            "dep": _day(g["departure_date"]), "arr": _day(g["arrival_date"]),
            "replenishment": _bool(g["replenishment"])}


def check_unplaced(row: Row, c: Ctx) -> None:
    """Unassigned / unroutable rows: no path fields, only the unassigned penalty, a reason."""
    sid, status = row["shipment_id"], row["status"]
    for k in ("channel", "route", "lanes", "dispatch_date", "delivery_date", "days_late", "on_time"):
        if row[k] is not None:
            c.v.add(sid, f"{status} row has {k}={row[k]!r}")
    penalty = (c.penalty or 0.0) if status == "unassigned" else 0.0
    for k, want in (dict.fromkeys(COSTS + ["cost_change"], 0.0)
                    | {"cost_penalty": penalty, "cost_total": penalty}).items():
        if not _close(row[k], want, TOTAL_CENT if k == "cost_total" else CENT):
            c.v.add(sid, f"{status} row {k}={row[k]} expected {want}")
    if not row["reason"]:
        c.v.add(sid, f"{status} row has no reason")


def _route_kind(route: list[str], s: Shipment, c: Ctx) -> int | None:
    """Check the route's shape; return the bonded node's index (None for JIT)."""
    kind, text = c.net.kind, ">".join(route)
    if route[0] != s.origin or route[-1] != s.dest:
        c.v.add(s.sid, f"route {text} does not run {s.origin} -> {s.dest}")
    if kind[route[0]] != "factory" or kind[route[-1]] != "market":
        c.v.add(s.sid, f"route {text} must start at a factory and end at a market")
    if len(set(route)) != len(route):
        c.v.add(s.sid, f"route {text} is not a simple path")
    bonded = [i for i in range(1, len(route) - 1) if kind[route[i]] == "bonded"]
    odd = [n for n in route[1:-1] if kind[n] not in VIA]
    if odd or len(bonded) > 1:
        c.v.add(s.sid, f"route has invalid intermediate nodes {odd} / {len(bonded)} bonded nodes")
    return bonded[0] if bonded else None


def check_assigned(s: Shipment, row: Row, legs: list[Row], c: Ctx) -> Placed | None:
    """Route shape, channel, legs and their lanes, then timing and costs of one assigned row."""
    sid, route = s.sid, str(row["route"] or "").split(">")
    if len(route) < 2 or any(n not in c.net.nodes for n in route):
        c.v.add(sid, f"route {row['route']!r} is empty or has unknown nodes")
        return None
    b = _route_kind(route, s, c)
    if route[0] != s.origin or route[-1] != s.dest:
        return None  # reported; timing and costs would be meaningless
    kind = "jit" if b is None else "bonded"
    if row["channel"] != kind:
        c.v.add(sid, f"channel {row['channel']!r} but the route is {kind}")
    if s.channel not in ("any", kind):
        c.v.add(sid, f"restricted to {s.channel} but routed {kind}")
    legs = sorted(legs, key=lambda g: g["seq"])
    if [g["seq"] for g in legs] != list(range(1, len(route))):
        c.v.add(sid, f"leg seqs {[g['seq'] for g in legs]} do not match the {len(route) - 1} route legs")
        return None
    if c.max_legs is not None and len(legs) > c.max_legs:
        c.v.add(sid, f"{len(legs)} legs exceed max_legs={c.max_legs}")
    lanes = []
    for i, g in enumerate(legs):
        lane, ends = c.net.lanes.get(str(g["lane_id"])), (route[i], route[i + 1])
        if (g["from"], g["to"]) != ends or lane is None or (lane.src, lane.dst) != ends:
            c.v.add(sid, f"leg {i + 1} {g['lane_id']} {g['from']}>{g['to']} does not join {'>'.join(ends)} "
                         "by a network lane")
            return None
        lanes.append(lane)
        kg = lane.chargeable(s.weight, s.volume)
        if not _close(g["chargeable_kg"], kg):
            c.v.add(sid, f"leg {i + 1} chargeable_kg {g['chargeable_kg']} expected {kg}")
        repl = b is not None and i < b
        if g["replenishment"] is not repl or (repl and (g["dep"] or g["arr"]) is not None):
            c.v.add(sid, f"leg {i + 1} replenishment={g['replenishment']} expected {repl} "
                         "(replenishment legs carry no dates)")
    if row["lanes"] != "|".join(ln.id for ln in lanes):
        c.v.add(sid, f"lanes {row['lanes']!r} != the legs' lanes {'|'.join(ln.id for ln in lanes)!r}")
    placed = _check_timing(s, row, route, legs, lanes, b or 0, c)
    if placed is not None:
        _check_costs(s, row, route, lanes, b, legs[-1]["arr"], c)
    return placed


def _promise(s: Shipment, net: Network) -> int:
    return s.promise if s.promise is not None else int(_num(net.nodes[s.dest], "promise_days", 5))


def _check_timing(s: Shipment, row: Row, route: list[str], legs: list[Row], lanes: list[Lane], t0: int,
                  c: Ctx) -> Placed | None:
    """Departures on lane weekdays, not before ready, within the horizon; arrivals; dates; on_time."""
    sid, ready = s.sid, s.order + c.net.hdays[route[t0]]
    placed = Placed(s, route[t0] if t0 else None, [], [(route[t0], s.order)])
    for i in range(t0, len(legs)):
        dep, arr, lane = legs[i]["dep"], legs[i]["arr"], lanes[i]
        if dep is None or arr is None:
            c.v.add(sid, f"timed leg {i + 1} has no departure/arrival date")
            return None
        if dep < ready:
            c.v.add(sid, f"leg {i + 1} {lane.id} departs {_iso(dep)} before ready day {_iso(ready)}")
        if dep > s.order + c.horizon:
            c.v.add(sid, f"leg {i + 1} {lane.id} departs {_iso(dep)} beyond the horizon ({c.horizon} days)")
        if not lane.departs(dep):
            c.v.add(sid, f"leg {i + 1} {lane.id} departs {_iso(dep)}, not a departure weekday of the lane")
        if arr != dep + lane.transit:
            c.v.add(sid, f"leg {i + 1} arrival {_iso(arr)} != departure + {lane.transit} days")
        ready = arr + c.net.hdays[route[i + 1]]
        placed.loads.append((lane.id, dep, lane.chargeable(s.weight, s.volume)))
        placed.visits.append((route[i + 1], arr))
    if row["dispatch_date"] != legs[t0]["dep"] or row["delivery_date"] != legs[-1]["arr"]:
        c.v.add(sid, f"dispatch/delivery {row['dispatch_date']}/{row['delivery_date']} (day ordinals) differ "
                     "from the first timed departure / the last arrival")
    due = s.order + _promise(s, c.net)
    if row["days_late"] != max(0, legs[-1]["arr"] - due):
        c.v.add(sid, f"days_late={row['days_late']} but delivered {_iso(legs[-1]['arr'])}, due {_iso(due)}")
    if row["on_time"] is not (legs[-1]["arr"] <= due):
        c.v.add(sid, f"on_time={row['on_time']} but delivered {_iso(legs[-1]['arr'])}, due {_iso(due)}")
    return placed


def _check_costs(s: Shipment, row: Row, route: list[str], lanes: list[Lane], b: int | None, delivery: int,
                 c: Ctx) -> None:
    nodes, market = c.net.nodes, c.net.nodes[s.dest]
    duty = _num(market, "duty_rate") * s.value
    if b is None and market.get("de_minimis") is not None and s.value <= market["de_minimis"]:
        duty = 0.0
    bonded = nodes[route[b]] if b else {}
    late = max(0, delivery - s.order - _promise(s, c.net))
    transport = sum(ln.cost_parcel + ln.cost_kg * ln.chargeable(s.weight, s.volume) for ln in lanes)
    want = {"cost_transport": transport,
            "cost_handling": sum(_num(nodes[n], "handling_cost") for n in route),
            "cost_storage": _num(bonded, "storage_cost_per_kg_day") * _num(bonded, "dwell_days") * s.weight,
            "cost_duty": duty, "cost_penalty": _num(market, "late_penalty_per_day") * late}
    change = row["cost_change"] or 0.0
    if c.change_penalty is not None:  # the penalty is paid exactly by the shipments that changed
        want["cost_change"] = change = c.change_penalty if row["changed"] else 0.0
    elif change < 0 or (change > 0 and not row["changed"]):
        c.v.add(s.sid, f"cost_change={change} on a shipment that did not change")
    want["cost_total"] = sum(want.values()) + (0.0 if "cost_change" in want else change)
    for k, w in want.items():
        if not _close(row[k], w, TOTAL_CENT if k == "cost_total" else CENT):
            c.v.add(s.sid, f"{k}={row[k]} expected {w}")


def check_capacities(placed: list[Placed], stock: Stock | None, c: Ctx) -> tuple[dict, dict, dict]:
    """Lane-departure kg, node-day parcels and bonded stock; returns the recomputed loads and units drawn."""
    lane_load: dict[tuple[str, int], list] = defaultdict(lambda: [0.0, []])
    node_load: dict[tuple[str, int], list] = defaultdict(lambda: [0, []])
    used: dict[tuple[str, str], list] = defaultdict(lambda: [0, []])
    for p in placed:
        sid = p.ship.sid
        for lane_id, day, kg in p.loads:
            lane_load[lane_id, day][0] += kg
            lane_load[lane_id, day][1].append(sid)
        for node, day in p.visits:
            node_load[node, day][0] += 1
            node_load[node, day][1].append(sid)
        if p.bonded:
            if stock is not None and stock.get((p.bonded, p.ship.sku), 0) <= 0:
                c.v.add(sid, f"bonded route via {p.bonded} but sku {p.ship.sku} is not stocked there")
            used[p.bonded, p.ship.sku][0] += p.ship.qty
            used[p.bonded, p.ship.sku][1].append(sid)
    for (lane_id, day), (kg, sids) in lane_load.items():
        cap = c.net.lanes[lane_id].capacity
        if cap is not None and kg > cap + 1e-6:
            c.v.add(None, f"lane {lane_id} on {_iso(day)} carries {kg} kg > {cap} (shipments {sids[:5]})")
    for (node, day), (n, sids) in node_load.items():
        cap = c.net.nodes[node].get("capacity_parcels_per_day")
        if cap is not None and n > cap:
            c.v.add(None, f"node {node} on {_iso(day)} counts {n} parcels > {cap} (shipments {sids[:5]})")
    for (node, sku), (qty, sids) in used.items():
        if stock is not None and qty > stock.get((node, sku), 0):
            c.v.add(None, f"stock of {sku} at {node}: {qty} units used > {stock.get((node, sku), 0)} "
                          f"(shipments {sids[:5]})")
    return ({k: x[0] for k, x in lane_load.items()}, {k: x[0] for k, x in node_load.items()},
            {k: x[0] for k, x in used.items()})


def check_capacity_tables(out: Path, ext: str, lane_load: dict, node_load: dict, used: dict, stock: Stock | None,
                          c: Ctx) -> None:
    """lanes / nodes / stock tables (when written): every loaded capacitated row present, used, capacity,
    share and binding against the loads recomputed from the legs."""
    def read(name: str) -> list[Row]:
        return _read_table(out / f"{name}.{ext}")[1] if (out / f"{name}.{ext}").exists() else []

    def check(what: str, key: tuple, cap: float | None, got_cap: Any, got_used: Any, share: Any, binding: Any,
              want: float) -> None:
        cap_ok = cap is None if got_cap in (None, "") else _close(_float(got_cap), cap)
        bind = _bool(binding)
        if not cap_ok or not _close(_float(got_used), want) or (cap and not _close(_float(share), want / cap)) \
                or (cap is not None and want >= cap - 1e-6 and bind is not True):
            c.v.add(None, f"{what} table row {key}: capacity {got_cap}, used {got_used}, share {share}, "
                          f"binding {binding} != recomputed use {want} of {cap}")

    seen: set[tuple] = set()
    for r in read("lanes"):
        key = (str(r["lane_id"]), _day(r["departure_date"]))
        lane = c.net.lanes.get(key[0])
        check("lanes", key, lane and lane.capacity, r["capacity_kg"], r["used_kg"], r["share"], r["binding"],
              lane_load.get(key, 0.0))
        seen.add(("lane", *key))
    for r in read("nodes"):
        key = (str(r["node"]), _day(r["date"]))
        cap = c.net.nodes.get(key[0], {}).get("capacity_parcels_per_day")
        check("nodes", key, cap, r["capacity_parcels"], r["used_parcels"], r["share"], r["binding"],
              node_load.get(key, 0))
        seen.add(("node", *key))
    for r in read("stock"):
        key = (str(r["node"]), str(r["sku"]))
        if stock is None:  # validated without the inventory: what the plan draws only
            if not _close(_float(r["used_units"]), used.get(key, 0)):
                c.v.add(None, f"stock table row {key}: used {r['used_units']} != recomputed {used.get(key, 0)}")
        else:
            check("stock", key, stock.get(key, 0), r["units"], r["used_units"], r["share"], r["binding"],
                  used.get(key, 0))
        seen.add(("stock", *key))
    if not (out / f"lanes.{ext}").exists():
        return
    _check_listed(lane_load, node_load, seen, ("lanes table", "nodes table"), c)
    for (node, sku), n in used.items():
        if n and ("stock", node, sku) not in seen:
            c.v.add(None, f"stock table lacks {node} {sku} ({n} units drawn)")


def check_summary(summary: Row, rows: list[tuple[Shipment, Row]], lane_load: dict, node_load: dict,
                  c: Ctx) -> None:
    """Keys, counts, objective / bound / gap, heuristic flag and reasons of summary.json."""
    for k in SUMMARY_KEYS:
        if k not in summary:
            c.v.add(None, f"summary lacks key {k!r}")
    counts, got = Counter(r["status"] for _, r in rows), summary.get("counts") or {}
    if any(got.get(k, 0) != counts.get(k, 0) for k in STATUSES):
        c.v.add(None, f"summary counts {got} != plan {dict(counts)}")
    total = sum(r["cost_total"] or 0.0 for _, r in rows)
    obj, lb, gap = summary.get("objective"), summary.get("lower_bound"), summary.get("gap")
    if not isinstance(obj, (int, float)) or not _close(obj, total, CENT + 1e-9 * abs(total)):
        c.v.add(None, f"summary objective {obj} != sum of cost_total {total}")
    elif lb is not None or gap is not None:
        scale = max(1.0, abs(obj))
        if lb is None or lb > obj + 1e-6 * scale or not _close(gap, (obj - lb) / scale, 1e-9):
            c.v.add(None, f"lower_bound {lb} / gap {gap} inconsistent with objective {obj}")
    waiting = summary.get("waiting_days")
    if waiting is not None and waiting < c.horizon and summary.get("heuristic") is not True:
        c.v.add(None, "waiting_days < horizon_days but the summary does not say heuristic")
    reasons = Counter(r["reason"] for _, r in rows if r["status"] != "assigned")
    if {k: n for k, n in (summary.get("reasons") or {}).items() if n} != dict(reasons):
        c.v.add(None, f"summary reasons {summary.get('reasons')} != plan {dict(reasons)}")
    _check_markets(summary.get("markets") or {}, rows, c)
    _check_loads(summary, lane_load, node_load, c)
    if isinstance(booked := summary.get("bookings"), dict) and booked.get("previous") is not None:
        changed = sum(r["changed"] is True for _, r in rows)
        cost = sum(r["cost_change"] or 0.0 for _, r in rows)
        if booked.get("changed") != changed or not _close(booked.get("change_cost") or 0.0, cost, TOTAL_CENT):
            c.v.add(None, f"summary bookings changed={booked.get('changed')} change_cost={booked.get('change_cost')} "
                          f"!= plan {changed} / {cost}")


def _check_markets(markets: Row, rows: list[tuple[Shipment, Row]], c: Ctx) -> None:
    agg: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0.0])
    for s, r in rows:  # per market: shipments (not unroutable), on time, assigned, jit, cost, assigned kg
        a, assigned = agg[s.dest], r["status"] == "assigned"
        a[0] += r["status"] != "unroutable"
        a[1] += assigned and bool(r["on_time"])
        a[2] += assigned
        a[3] += assigned and r["channel"] == "jit"
        a[4] += r["cost_total"] or 0.0
        a[5] += s.weight if assigned else 0.0
    for m in set(agg) | set(markets):
        n, on_time, assigned, jit, cost, kg = agg[m]
        if c.net.kind.get(m) != "market" or (m not in markets and n):
            c.v.add(None, f"summary market {m}: not a market node, or missing from the summary")
        if c.net.kind.get(m) != "market" or m not in markets:
            continue
        target = c.net.nodes[m].get("on_time_target")
        need = math.ceil(target * n - 1e-9) if target is not None else 0
        want = {"shipments": n, "on_time_rate": on_time / n if n else 0.0, "target": target,
                "target_met": on_time >= need, "shortfall": max(0, need - on_time), "cost": cost,
                "cost_per_kg": cost / kg if kg else None, "jit_share": jit / assigned if assigned else None}
        for k, w in want.items():
            g = markets[m].get(k)
            if (w is None and k != "target" and g in (None, 0)) or (
                    target is None and k in ("target_met", "shortfall") and g in (None, True, 0)):
                continue  # undefined ratios may be null or 0; without a target: met, no shortfall
            money = k in ("cost", "cost_per_kg")  # summed from rows rounded to the cent
            ok = (g is w or g == w) if isinstance(w, bool) or w is None else (
                isinstance(g, (int, float)) and _close(g, w, TOTAL_CENT * max(1, n) / (
                    kg if k == "cost_per_kg" and kg else 1) if money else 1e-6))
            if not ok:
                c.v.add(None, f"summary market {m} {k}={g!r} expected {w!r}")


def _check_loads(summary: Row, lane_load: dict, node_load: dict, c: Ctx) -> None:
    """summary lanes / nodes entries against the loads recomputed from the legs."""
    seen: set[tuple[str, str, int | None]] = set()
    for e in summary.get("lanes") or []:
        key = ("lane", str(e.get("lane_id")), _day(e.get("departure_date")))
        lane = c.net.lanes.get(key[1])
        load = lane_load.get(key[1:], 0.0)
        if lane is None or key in seen or not _close(e.get("load_kg"), load) \
                or not _close(_float(e.get("capacity_kg")), lane.capacity):
            c.v.add(None, f"summary lane entry {e} != recomputed load {load} or capacity")
        seen.add(key)
    for e in summary.get("nodes") or []:
        key = ("node", str(e.get("node")), _day(e.get("date")))
        node = c.net.nodes.get(key[1])
        load = node_load.get(key[1:], 0)
        if node is None or key in seen or e.get("parcels") != load \
                or e.get("capacity") != node.get("capacity_parcels_per_day"):
            c.v.add(None, f"summary node entry {e} != recomputed parcels {load} or capacity")
        seen.add(key)
    _check_listed(lane_load, node_load, seen, ("summary lanes", "summary nodes"), c)


def _check_listed(lane_load: dict, node_load: dict, seen: set, names: tuple[str, str], c: Ctx) -> None:
    """Every loaded capacitated departure and node-day is among the rows ``seen`` (kind, id, day) of the
    listing ``names`` (lanes, nodes)."""
    for (lane_id, day), kg in lane_load.items():
        if c.net.lanes[lane_id].capacity is not None and ("lane", lane_id, day) not in seen:
            c.v.add(None, f"{names[0]} lacks the loaded departure {lane_id} {_iso(day)} ({kg} kg)")
    for (node, day), n in node_load.items():
        if c.net.nodes[node].get("capacity_parcels_per_day") is not None and ("node", node, day) not in seen:
            c.v.add(None, f"{names[1]} lacks {node} {_iso(day)} ({n} parcels)")


def route_exists(s: Shipment, stocked: frozenset[str] | None, c: Ctx) -> bool:
    """Is there a simple path of an allowed kind whose earliest-departure schedule fits the horizon?

    `stocked`: the bonded nodes holding the sku (None: unlimited stock). Capacities are ignored.
    """
    net, last = c.net, s.order + c.horizon
    limit = c.max_legs if c.max_legs is not None else len(net.nodes)
    if net.kind.get(s.origin) != "factory" or net.kind.get(s.dest) != "market":
        return False

    def timed(start: str, legs_left: int, avoid: set[str]) -> bool:
        """Earliest ready day per node, by number of legs, over hubs/gateways not in `avoid`.

        Walks suffice: cutting a cycle out of a walk never makes a first-departure schedule later.
        """
        frontier = {start: s.order + net.hdays[start]}
        best = dict(frontier)
        for _ in range(legs_left):
            reached: dict[str, int] = {}
            for node, ready in frontier.items():
                for lane in net.out.get(node, []):
                    to = lane.dst
                    if to in avoid or (to != s.dest and net.kind.get(to) not in ("hub", "gateway")):
                        continue
                    dep = lane.next_departure(ready)
                    if dep is None or dep > last:
                        continue
                    if to == s.dest:
                        return True
                    if (r := dep + lane.transit + net.hdays[to]) < best.get(to, r + 1):
                        best[to] = reached[to] = r
            frontier = reached
        return False

    def replenish(node: str, path: list[str]) -> bool:
        """Simple untimed paths origin -> hubs/gateways -> a bonded node, then its timed part."""
        for lane in net.out.get(node, []):
            to, used = lane.dst, len(path)  # legs used once this lane is taken
            if to in path:
                continue
            if to in targets and timed(to, limit - used, {*path, to}):
                return True
            if net.kind.get(to) in ("hub", "gateway") and used < limit - 1 and replenish(to, [*path, to]):
                return True
        return False

    if s.channel != "bonded" and timed(s.origin, limit, {s.origin}):
        return True
    targets = {n for n, k in net.kind.items() if k == "bonded" and (stocked is None or n in stocked)
               and timed(n, limit - 1, {n})}  # a bonded node that cannot reach the market on time is useless
    return s.channel != "jit" and bool(targets) and replenish(s.origin, [s.origin])


def check_unroutable(rows: list[tuple[Shipment, Row]], stock: Stock | None, c: Ctx) -> None:
    """An unroutable row must truly have no route (cached per origin, market, channel, weekday, stock)."""
    cache: dict[tuple, bool] = {}
    bonded = [n for n, k in c.net.kind.items() if k == "bonded"]
    for s, r in rows:
        if r["status"] != "unroutable":
            continue
        stocked = None if stock is None else frozenset(n for n in bonded if stock.get((n, s.sku), 0) > 0)
        key = (s.origin, s.dest, s.channel, dt.date.fromordinal(s.order).weekday(), stocked)
        if key not in cache:
            cache[key] = route_exists(s, stocked, c)
        if cache[key]:
            c.v.add(s.sid, "marked unroutable but a route with departures in the horizon exists")


def validate_plan(network_path: str | Path, shipments_path: str | Path, out_dir: str | Path,
                  inventory_path: str | Path | None = None, *, fmt: str = "csv",
                  max_legs: int | None = None, committed: str | Path | None = None) -> None:
    """Raise AssertionError listing the violations of the plan in `out_dir`; return None if it is valid
    (``committed``: a legs table of booked legs the plan must keep)."""
    _raise(plan_violations(network_path, shipments_path, out_dir, inventory_path, fmt=fmt, max_legs=max_legs,
                           committed_path=committed))


def plan_violations(network_path: str | Path, shipments_path: str | Path, out_dir: str | Path,
                    inventory_path: str | Path | None = None, *, fmt: str = "csv", max_legs: int | None = None,
                    with_summary: bool = True, committed_path: str | Path | None = None,
                    previous_path: str | Path | None = None) -> Violations:
    """Every violation of the plan in `out_dir` (``with_summary``: its summary.json's figures too;
    ``committed_path``: a legs table of booked legs, which the plan must keep; ``previous_path``: the previous
    plan's legs table, which the ``changed`` column is checked against)."""
    net = load_network(network_path)
    ship_cols, ship_rows = _read_table(Path(shipments_path))  # read once: the shipments and their extra columns
    ships = _shipments(ship_rows, {n: raw.get("timezone") for n, raw in net.nodes.items()})
    stock = load_inventory(inventory_path) if inventory_path is not None else None
    out, ext = Path(out_dir), "parquet" if fmt == "parquet" else "csv"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    plan_cols, plan = _read_table(out / f"plan.{ext}")
    leg_cols, raw_legs = _read_table(out / f"legs.{ext}")
    horizon = summary.get("horizon_days")
    if max_legs is None:
        max_legs = summary.get("max_legs")
    # the change penalty: none without a previous plan, unknown from a summary that does not say
    booked = summary.get("bookings") if isinstance(summary.get("bookings"), dict) else {}
    change_penalty = None if "bookings" not in summary else \
        (_float(booked.get("change_penalty"), 0.0) if booked.get("previous") is not None else 0.0)
    c = Ctx(net, int(14 if horizon is None else horizon), max_legs, _float(summary.get("unassigned_penalty")),
            change_penalty)
    v = c.v
    v.shipments, v.legs = len(ship_rows), len(raw_legs)
    extras = [k for k in ship_cols if k not in SHIP_COLUMNS]  # passed through to the plan untouched
    if plan_cols != PLAN_COLUMNS + extras or leg_cols != LEG_COLUMNS:
        v.add(None, f"columns differ: plan {plan_cols}, legs {leg_cols} (extra input columns {extras})")
        return v
    for raw, given in zip(plan, ship_rows, strict=False):
        for k in extras:
            if (None if raw[k] is None else str(raw[k])) != (None if given[k] is None else str(given[k])):
                v.add(str(raw["shipment_id"]), f"extra column {k!r} = {raw[k]!r}, the input has {given[k]!r}")
    epoch = net.epoch or min((s.order for s in ships), default=None)
    if with_summary and _day(summary.get("epoch")) != epoch:
        v.add(None, f"summary epoch {summary.get('epoch')} != {epoch and _iso(epoch)}")
    if [str(r["shipment_id"]) for r in plan] != [s.sid for s in ships]:
        v.add(None, "plan rows are not one per shipment in input order")
    by_id = {s.sid: s for s in ships}
    legs: dict[str, list[Row]] = defaultdict(list)
    for g in raw_legs:
        try:
            legs[str(g["shipment_id"])].append(_parse_leg(g))
        except (ValueError, TypeError, KeyError) as e:
            v.add(str(g["shipment_id"]), f"unparsable leg: {e}")
    rows: list[tuple[Shipment, Row]] = []
    placed: list[Placed] = []
    for raw in plan:
        sid = str(raw["shipment_id"])
        try:
            row = _parse_row(raw)
        except (ValueError, TypeError, KeyError) as e:
            v.add(sid, f"unparsable plan row: {e}")
            continue
        if (s := by_id.get(sid)) is None:
            continue
        rows.append((s, row))
        check_described(s, row, c)
        if row["status"] not in STATUSES:
            v.add(sid, f"invalid status {row['status']!r}")
        elif row["status"] != "assigned":
            check_unplaced(row, c)
            if legs.get(sid):
                v.add(sid, f"{row['status']} shipment has legs")
        else:
            if row["reason"]:
                v.add(sid, f"assigned row has reason {row['reason']!r}")
            if (p := check_assigned(s, row, legs.get(sid, []), c)) is not None:
                placed.append(p)
    for sid in set(legs) - by_id.keys():
        v.add(sid, "legs for an unknown shipment")
    if committed_path is not None:
        check_committed(Path(committed_path), legs, c)
    if previous_path is not None:
        check_changed(Path(previous_path), rows, legs, c)
    lane_load, node_load, used = check_capacities(placed, stock, c)
    if with_summary:
        check_summary(summary, rows, lane_load, node_load, c)
        check_capacity_tables(out, ext, lane_load, node_load, used, stock, c)
    check_unroutable(rows, stock, c)
    return v


class PlanDirError(ValueError):
    """What cannot be checked at all, with the file it is about: ``path: message``."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path, self.message = str(path), message
        super().__init__(f"{path}: {message}")


def _booked_legs(path: Path) -> dict[str, list[tuple[int, str, int | None]]]:
    """A legs table (committed or previous) per shipment: (seq, lane id, departure day or None)."""
    if not path.is_file():
        raise PlanDirError(path, "file not found")
    _, rows = _read_table(path)
    booked: dict[str, list[tuple[int, str, int | None]]] = defaultdict(list)
    for k, g in enumerate(rows):
        try:
            seq = k if g.get("seq") is None else int(float(g["seq"]))
            day = _day(g.get("departure_date"))
        except (ValueError, TypeError) as exc:
            raise PlanDirError(path, f"row {k + 1}: {exc}") from None
        booked[str(g["shipment_id"]).strip()].append((seq, str(g["lane_id"]).strip(), day))
    return booked


def check_committed(path: Path, legs: dict[str, list[Row]], c: Ctx) -> None:
    """Every shipment of the committed legs table keeps exactly those legs: lanes in order, same departures."""
    for sid, want in _booked_legs(path).items():
        kept = [(g["lane_id"], g["dep"]) for g in sorted(legs.get(sid, []), key=lambda g: g["seq"])]
        if kept != [(lane, day) for _, lane, day in sorted(want)]:
            c.v.add(sid, f"committed legs not kept: plan has {[(x, d and _iso(d)) for x, d in kept]}, "
                         f"{path.name} books {[(x, d and _iso(d)) for _, x, d in sorted(want)]}")


def check_changed(path: Path, rows: list[tuple[Shipment, Row]], legs: dict[str, list[Row]], c: Ctx) -> None:
    """``changed`` of every plan row against the previous plan's legs: null for a shipment it did not assign,
    true when the shipment left the plan or took another lane or departure, else false."""
    previous = _booked_legs(path)
    for s, row in rows:
        before = previous.get(s.sid)
        if before is None:
            want = None
        else:
            now = [(g["lane_id"], g["dep"]) for g in sorted(legs.get(s.sid, []), key=lambda g: g["seq"])]
            want = row["status"] != "assigned" or now != [(lane, day) for _, lane, day in sorted(before)]
        if row["changed"] != want:
            c.v.add(s.sid, f"changed={row['changed']} expected {want} against the previous plan {path.name}")


@dataclass
class PlanCheck:
    """What :func:`check_plan_dir` found: the violations, the files changed since the plan was written
    (then the summary's figures are not checked), the inputs used, and the counts checked."""

    violations: list[str]
    changed: list[str]
    inputs: dict[str, str]
    shipments: int
    legs: int
    skipped: list[str] = field(default_factory=list)  # checks left out, and why


def check_plan_dir(out_dir: str | Path, network: str | Path | None = None, shipments: str | Path | None = None,
                   inventory: str | Path | None = None, committed: str | Path | None = None,
                   previous: str | Path | None = None) -> PlanCheck:
    """Check the plan directory `out_dir` against the input files it records in summary.json (or those
    given). A table changed since the plan was written (a hand edit: its SHA-256 differs from the
    summary's) is checked against every rule, but the summary's figures are then not. Raises ValueError
    for what cannot be checked at all (no plan directory, inputs neither recorded nor given, an input
    changed since the plan was made). ``committed``: a legs table of booked legs the plan must keep;
    ``previous``: the previous plan's legs table, the ``changed`` column's reference."""
    out = Path(out_dir)
    marker = out / "summary.json"
    if not marker.is_file():
        raise PlanDirError(out, "not a plan directory (no summary.json)")
    summary = json.loads(marker.read_text(encoding="utf-8"))
    files = summary.get("files") or {}
    plan_name = next((n for n in files if n.startswith("plan.")), "plan.csv")
    fmt = "parquet" if plan_name.endswith(".parquet") else "csv"
    changed = [n for n, digest in files.items() if not (out / n).is_file() or _sha256(out / n) != digest]
    recorded = summary.get("inputs") or {}
    given = {"network": network, "shipments": shipments, "inventory": inventory, "committed": committed,
             "previous": previous}
    paths: dict[str, str] = {}
    skipped: list[str] = []
    for kind in ("network", "shipments", "inventory", "committed", "previous"):
        if given[kind] is not None:
            paths[kind] = str(given[kind])
        elif kind in recorded:
            entry = recorded[kind]
            gone = not Path(entry["path"]).is_file() or _sha256(Path(entry["path"])) != entry["sha256"]
            if gone and kind == "previous":  # last night's directory moves on: the changed column is then not checked
                skipped.append(f"the previous plan's legs {entry['path']} are gone or changed: column changed not "
                               "checked (give them with --previous)")
                continue
            if gone:
                raise PlanDirError(entry["path"], f"the {kind} file is gone or changed since the plan was made "
                                 f"(give it with --{kind})")
            paths[kind] = entry["path"]
    for kind in ("network", "shipments"):
        if kind not in paths:
            raise PlanDirError(marker, f"records no {kind} file (give it with --{kind})")
    v = plan_violations(paths["network"], paths["shipments"], out, paths.get("inventory"), fmt=fmt,
                        with_summary=not changed, committed_path=paths.get("committed"),
                        previous_path=paths.get("previous"))
    return PlanCheck(violations=list(v.items), changed=changed, inputs=paths, shipments=v.shipments, legs=v.legs,
                     skipped=skipped)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _raise(v: Violations) -> None:
    if v.items:
        shown = "\n  ".join(v.items[:MAX_SHOWN])
        raise AssertionError(f"{len(v.items)} plan violation(s):\n  {shown}")

"""The plan as tables (pyarrow), the summary (DESIGN.md §4), and writing them atomically."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .network import Network
from .options import Candidates, PlanSettings, unpack_key
from .ranges import concat_ranges
from .schedules import RES_LANE, RES_NODE, RES_STOCK
from .shipments import Inventory, Shipments
from .tables import atomic_write_bytes, write_table

if TYPE_CHECKING:
    from .model import Model
    from .solver import Solution, SolveOptions

PLAN_COLUMNS = ("shipment_id", "status", "channel", "route", "dispatch_date", "delivery_date", "on_time",
                "cost_transport", "cost_handling", "cost_storage", "cost_duty", "cost_penalty", "cost_total",
                "reason")
LEG_COLUMNS = ("shipment_id", "seq", "lane_id", "from", "to", "departure_date", "arrival_date",
               "chargeable_kg", "replenishment")
_DAY0 = dt.date(1970, 1, 1)
STATUS_NAMES = ("assigned", "unassigned", "unroutable")  # plan status by code
ASSIGNED, UNASSIGNED, UNROUTABLE = range(3)
CHANNEL_NAMES = ("jit", "bonded")
JIT, BONDED = range(2)


class SummaryFields:
    """``objective``, ``status`` and the text ``summary()`` of a plan, read from its ``summary_data``."""

    summary_data: dict[str, Any]

    @property
    def objective(self) -> float:
        return float(self.summary_data["objective"])

    @property
    def status(self) -> str:
        return str(self.summary_data["status"])

    def summary(self) -> str:
        """A short human-readable report of the plan."""
        s = self.summary_data
        c = s["counts"]
        lines = [
            f"status {s['status']} ({s['strategy']}/{s['solver']}{', heuristic window' if s['heuristic'] else ''})",
            f"objective {s['objective']:,.2f}   lower bound {s['lower_bound']:,.2f}   gap {s['gap']:.2e}",
            f"shipments {sum(c.values()):,}: assigned {c['assigned']:,}, unassigned {c['unassigned']:,}, "
            f"unroutable {c['unroutable']:,}",
            f"{'market':<8}{'ships':>8}{'on-time':>9}{'target':>8}{'met':>5}{'short':>7}{'cost':>13}"
            f"{'/kg':>8}{'jit':>6}",
        ]
        for m, d in s["markets"].items():
            target = "-" if d["target"] is None else f"{d['target']:.0%}"
            lines.append(f"{m:<8}{d['shipments']:>8,}{d['on_time_rate']:>9.1%}{target:>8}"
                         f"{'yes' if d['target_met'] else 'NO':>5}{d['shortfall']:>7}{d['cost']:>13,.2f}"
                         f"{d['cost_per_kg']:>8.2f}{d['jit_share']:>6.0%}")
        binding = sum(e["shadow_price"] > 0 for e in s["lanes"])
        lines.append(
            f"capacitated lane departures {len(s['lanes'])} (binding {binding}), "
            f"node-days {len(s['nodes'])} (full {sum(n['parcels'] >= n['capacity'] for n in s['nodes'])}), "
            f"stock rows {len(s['stock'])} (used up {sum(e['units_used'] >= e['units'] for e in s['stock'])})")
        if s["reasons"]:
            lines.append("reasons: " + ", ".join(f"{k} {v}" for k, v in s["reasons"].items()))
        if "warm" in s:
            w = s["warm"]
            lines.append(f"warm re-plan: option table {w['table']}; {w['repriced']:,} shipments re-priced, "
                         f"{w['kept']:,} kept their options" + (f"; fell back to {w['fallback']}" if "fallback" in w
                                                                else ""))
        secs = s["seconds"]
        lines.append("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in secs.items()))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class Result(SummaryFields):
    """A solved plan: ``plan`` and ``legs`` tables, ``summary_data`` (the summary JSON as a dict).

    The inputs, candidates, model and solution are kept so a what-if re-plan can reuse them. The
    legs table is built on first use (a what-if answer often needs only the plan and summary).
    """

    plan: pa.Table
    summary_data: dict[str, Any]
    network: Network
    shipments: Shipments
    inventory: Inventory | None
    settings: PlanSettings
    options: SolveOptions
    candidates: Candidates
    model: Model
    solution: Solution

    @cached_property
    def legs(self) -> pa.Table:
        """One row per leg of every assigned shipment (DESIGN.md §4)."""
        chosen = np.flatnonzero(self.solution.values[:self.model.n_x] > 0.5)
        return _legs_table(self.network, self.shipments, self.candidates, self.candidates.var_ship[chosen], chosen)

    def to_pandas(self) -> tuple[Any, Any]:
        """(plan, legs) as pandas DataFrames (needs pandas)."""
        return self.plan.to_pandas(), self.legs.to_pandas()

    def write(self, out_dir: str | Path, fmt: str = "csv") -> dict[str, Path]:
        """Write plan, legs (``fmt`` csv or parquet) and summary.json into ``out_dir``, each atomically."""
        out = Path(out_dir)
        t = time.perf_counter()
        ext = {"csv": "csv", "parquet": "parquet"}[fmt]
        paths = {"plan": out / f"plan.{ext}", "legs": out / f"legs.{ext}", "summary": out / "summary.json"}
        write_table(self.plan, paths["plan"], fmt)
        write_table(self.legs, paths["legs"], fmt)
        secs = self.summary_data["seconds"]
        secs["write"] = time.perf_counter() - t
        secs["total"] = secs.get("load", 0.0) + secs.get("plan", 0.0) + secs["write"]
        text = json.dumps(self.summary_data, indent=2, allow_nan=False)
        atomic_write_bytes(paths["summary"], lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
        return paths


def _coded(codes: np.ndarray, names: list[str], mask: np.ndarray | None = None) -> pa.Array:
    """A string column from per-row codes into ``names`` (null where ``mask``): no Python string per row."""
    indices = pa.array(codes.astype(np.int32, copy=False), pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names or [""], pa.string())).cast(pa.string())


def _dates(epoch: dt.date, days: np.ndarray, mask: np.ndarray) -> pa.Array:
    base = (epoch - _DAY0).days
    return pa.array((base + days).astype(np.int32), type=pa.int32(), mask=~mask).cast(pa.date32())


def _unassigned_reasons(model: Model, cand: Candidates, values: np.ndarray, ships: np.ndarray) -> np.ndarray:
    """Why each of ``ships`` (unassigned) was left out: what blocks its options cheaper than the penalty."""
    out = np.full(len(ships), "penalty_cheaper", dtype=object)
    if len(ships) == 0:
        return out
    n_x = model.n_x
    load = model.A_res @ values[:n_x]
    A_res = model.A_res.tocsc()
    kinds = unpack_key(model.res_keys)[0]
    pos = {s: i for i, s in enumerate(ships.tolist())}
    for j in np.flatnonzero(np.isin(cand.var_ship, ships)).tolist():
        if cand.var_cost[j] >= model.unassigned_penalty:
            continue
        i = pos[int(cand.var_ship[j])]
        lo, hi = A_res.indptr[j], A_res.indptr[j + 1]
        rows = A_res.indices[lo:hi]
        full = rows[load[rows] + A_res.data[lo:hi] > model.res_cap[rows] + 1e-9]
        kind = {RES_LANE: "lane_capacity", RES_NODE: "node_capacity", RES_STOCK: "stock_exhausted"}
        found = sorted({kind[int(k)] for k in kinds[full]})
        label = found[0] if len(found) == 1 else ("capacity" if found else "not_selected")
        prev = out[i]
        if prev == "penalty_cheaper":
            out[i] = label
        elif prev != label:
            out[i] = "not_selected" if "not_selected" in (prev, label) else "capacity"
    return out


def assemble_result(network: Network, shipments: Shipments, inventory: Inventory | None,
                    settings: PlanSettings, options: SolveOptions, cand: Candidates, model: Model,
                    solution: Solution, seconds: dict[str, float]) -> Result:
    n, n_x = len(shipments), model.n_x
    values = solution.values
    table = cand.table
    chosen = np.flatnonzero(values[:n_x] > 0.5)
    ship_var = np.full(n, -1, dtype=np.int64)
    ship_var[cand.var_ship[chosen]] = chosen
    assigned = ship_var >= 0
    routable = cand.routable
    unassigned = routable & ~assigned
    status = np.where(assigned, ASSIGNED, np.where(unassigned, UNASSIGNED, UNROUTABLE)).astype(np.int8)

    a_idx = np.flatnonzero(assigned)
    v = ship_var[a_idx]
    r = cand.var_route[v]
    slot = cand.var_slot[v]
    rc = table.rc  # the table's route costs were computed on this network
    bonded = table.bonded_node.ravel()[slot] >= 0
    data = cand.data  # per-shipment cost inputs, as priced
    w = shipments.weight_kg[a_idx]
    val = shipments.value[a_idx]
    # transport = Σ legs (cost_per_parcel + cost_per_kg × chargeable kg in the lane's divisor column)
    n_div = cand.chargeable.shape[1]
    transport = rc.parcel[r] + np.einsum("nd,nd->n", rc.per_kg[r][:, :n_div], cand.chargeable[a_idx])
    handling = rc.handling[r]
    storage = rc.storage_per_kg[r] * w
    duty = np.where(~bonded & data.duty_exempt_jit[a_idx], 0.0, data.duty_rate[a_idx] * val)
    delivery_off = table.delivery.ravel()[slot]
    dispatch_off = table.schedule_arrays.dispatch[cand.var_sched[v]]
    late_days = np.maximum(0, delivery_off - data.promise[a_idx])
    penalty = data.late_rate[a_idx] * late_days

    def full(values_a: np.ndarray, fill: float = 0.0) -> np.ndarray:
        out = np.full(n, fill, dtype=np.float64)
        out[a_idx] = values_a
        return out

    cost_transport, cost_handling = full(transport), full(handling)
    cost_storage, cost_duty = full(storage), full(duty)
    cost_penalty = full(penalty)
    cost_penalty[unassigned] = model.unassigned_penalty
    cost_total = cost_transport + cost_handling + cost_storage + cost_duty + cost_penalty
    if len(a_idx):
        drift = np.abs(cost_total[a_idx] - cand.var_cost[v]).max()
        assert drift < 1e-6 * max(1.0, float(np.abs(cand.var_cost).max())), f"cost mismatch {drift}"

    in_plan = np.bincount(r, minlength=len(table.routes)) > 0  # only the routes in the plan are named
    used_r = np.flatnonzero(in_plan)
    r_code = (np.cumsum(in_plan) - 1)[r]
    route_code = np.zeros(n, dtype=np.int32)
    route_code[a_idx] = r_code
    route_col = _coded(route_code, [table.route_names[i] for i in used_r.tolist()], ~assigned)
    channel = np.full(n, JIT, dtype=np.int8)
    channel[a_idx[bonded]] = BONDED
    dispatch = np.zeros(n, dtype=np.int64)
    delivery = np.zeros(n, dtype=np.int64)
    dispatch[a_idx] = cand.order_day[a_idx] + dispatch_off
    delivery[a_idx] = cand.order_day[a_idx] + delivery_off
    on_time = np.zeros(n, dtype=bool)
    on_time[a_idx] = late_days == 0
    # why a shipment is not in the plan: its unroutable reason, or what kept its options out
    out_idx = np.flatnonzero(~assigned)
    reason = cand.unroutable_reason[out_idx].copy()
    un = routable[out_idx]
    reason[un] = _unassigned_reasons(model, cand, values, out_idx[un])
    labels, code = np.unique(reason.astype(str), return_inverse=True)
    reason_code = np.zeros(n, dtype=np.int32)
    reason_code[out_idx] = code

    plan = pa.table({
        "shipment_id": shipments.ids,
        "status": _coded(status, list(STATUS_NAMES)),
        "channel": _coded(channel, list(CHANNEL_NAMES), ~assigned),
        "route": route_col,
        "dispatch_date": _dates(cand.epoch, dispatch, assigned),
        "delivery_date": _dates(cand.epoch, delivery, assigned),
        "on_time": pa.array(on_time, pa.bool_(), mask=~assigned),
        "cost_transport": cost_transport, "cost_handling": cost_handling, "cost_storage": cost_storage,
        "cost_duty": cost_duty, "cost_penalty": cost_penalty, "cost_total": cost_total,
        "reason": _coded(reason_code, labels.tolist(), assigned),
    })
    summary = _summary(network, shipments, inventory, settings, options, cand, model, solution, seconds,
                       status, on_time, cost_total, channel, reason)
    return Result(plan=plan, summary_data=summary, network=network, shipments=shipments,
                  inventory=inventory, settings=settings, options=options, candidates=cand, model=model,
                  solution=solution)


def _legs_table(network: Network, shipments: Shipments, cand: Candidates, a_idx: np.ndarray,
                v: np.ndarray) -> pa.Table:
    """One row per leg of every assigned shipment, built by gathering padded per-route arrays."""
    routes, schedules = cand.routes, cand.schedules
    r_lanes = cand.table.route_lanes
    r_first = np.array([r.first_timed for r in routes], dtype=np.int64)
    rid = cand.var_route[v]
    used_s, sid = np.unique(cand.var_sched[v], return_inverse=True)  # departures of the schedules in use
    max_timed = max((len(schedules[k].departures) for k in used_s.tolist()), default=0)
    s_deps = np.zeros((max(len(used_s), 1), max(max_timed, 1)), dtype=np.int64)
    for i, k in enumerate(used_s.tolist()):
        s_deps[i, :len(schedules[k].departures)] = schedules[k].departures
    n_legs = (r_lanes[rid] >= 0).sum(axis=1) if len(v) else np.zeros(0, dtype=np.int64)
    ship = np.repeat(a_idx, n_legs)
    k = concat_ranges(np.zeros(len(n_legs), dtype=np.int64), n_legs)  # leg position on its route
    rr, ss = np.repeat(rid, n_legs), np.repeat(sid, n_legs)
    lane = r_lanes[rr, k]
    rep = k < r_first[rr]
    dep = cand.order_day[ship] + np.where(rep, 0, s_deps[ss, np.maximum(k - r_first[rr], 0)])
    seq = k + 1
    transit = np.array([ln.transit_days for ln in network.lanes], dtype=np.int64)
    chg = cand.chargeable[ship, cand.data.lane_divclass[lane]] if len(ship) else np.zeros(0)
    timed = ~rep
    return pa.table({
        "shipment_id": shipments.ids.take(pa.array(ship)),
        "seq": pa.array(seq, pa.int64()),
        "lane_id": _coded(lane, [ln.id for ln in network.lanes]),
        "from": _coded(lane, [ln.origin for ln in network.lanes]),
        "to": _coded(lane, [ln.dest for ln in network.lanes]),
        "departure_date": _dates(cand.epoch, dep, timed),
        "arrival_date": _dates(cand.epoch, dep + transit[lane], timed),
        "chargeable_kg": pa.array(chg, pa.float64()),
        "replenishment": pa.array(rep, pa.bool_()),
    })


def _add_idle_capacity(network: Network, cand: Candidates, settings: PlanSettings, lanes_out: list[dict],
                       nodes_out: list[dict]) -> None:
    """Every capacitated lane departure and node-day of the planning window, used or not (load 0)."""
    if len(cand.order_day) == 0:
        return
    first, last = int(cand.order_day.min()), int(cand.order_day.max()) + settings.horizon_days
    seen_lanes = {(e["lane_id"], e["departure_date"]) for e in lanes_out}
    seen_nodes = {(e["node"], e["date"]) for e in nodes_out}
    dates = {d: cand.epoch + dt.timedelta(days=d) for d in range(first, last + 1)}
    for lane in network.lanes:
        if lane.capacity_kg_per_departure is None:
            continue
        for date in dates.values():
            if lane.departures[date.weekday()] and (lane.id, str(date)) not in seen_lanes:
                lanes_out.append({"lane_id": lane.id, "departure_date": str(date), "load_kg": 0.0,
                                  "capacity_kg": float(lane.capacity_kg_per_departure), "shadow_price": 0.0})
    for node in network.nodes:
        if node.capacity_parcels_per_day is None:
            continue
        for date in dates.values():
            if (node.id, str(date)) not in seen_nodes:
                nodes_out.append({"node": node.id, "date": str(date), "parcels": 0,
                                  "capacity": int(node.capacity_parcels_per_day), "shadow_price": 0.0})


def _summary(network: Network, shipments: Shipments, inventory: Inventory | None, settings: PlanSettings,
             options: SolveOptions, cand: Candidates, model: Model, solution: Solution,
             seconds: dict[str, float], status: np.ndarray, on_time: np.ndarray, cost_total: np.ndarray,
             channel: np.ndarray, reason: np.ndarray) -> dict[str, Any]:
    """The summary JSON; ``status`` and ``channel`` are per-shipment codes, ``reason`` the reasons of the
    shipments not in the plan."""
    n_x = model.n_x
    values = solution.values
    objective = float(cost_total.sum())
    shortfall_cols = values[n_x + model.n_u:]
    lower = solution.internal_bound - model.shortfall_penalty * float(shortfall_cols.sum())
    lower = min(lower, objective)
    gap = (objective - lower) / max(1.0, abs(objective))
    assigned = status == ASSIGNED
    routable = status != UNROUTABLE
    markets: dict[str, Any] = {}
    dest = shipments.destination
    n_nodes = len(network.nodes)

    def per_market(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(dest[mask], weights=None if weights is None else weights[mask], minlength=n_nodes)

    everyone = np.ones(len(dest), dtype=bool)
    count, ships_m = per_market(everyone), per_market(routable)
    on_m, assigned_m = per_market(assigned & on_time), per_market(assigned)
    kg_m, cost_m = per_market(assigned, shipments.weight_kg), per_market(everyone, cost_total)
    jit_m = per_market(assigned & (channel == JIT))
    for m, node in enumerate(network.nodes):
        if node.kind != "market" or not count[m]:
            continue
        ships, on, n_assigned = int(ships_m[m]), int(on_m[m]), int(assigned_m[m])
        kg, cost = float(kg_m[m]), float(cost_m[m])
        target = node.on_time_target
        need = math.ceil(target * ships - 1e-9) if target is not None else 0
        markets[node.id] = {
            "shipments": ships,
            "on_time_rate": on / ships if ships else 0.0,
            "target": target,
            "target_met": on >= need,
            "shortfall": max(0, need - on),
            "cost": cost,
            "cost_per_kg": cost / kg if kg > 0 else 0.0,
            "jit_share": float(jit_m[m]) / n_assigned if n_assigned else 0.0,
        }
    load = model.A_res @ values[:n_x]
    load = np.where(np.abs(load) < 1e-12, 0.0, load)
    price = np.zeros(len(model.res_keys)) if solution.duals is None else \
        -solution.duals[model.res_row0:model.target_row0]
    price = np.where(np.abs(price) < 1e-12, 0.0, price)
    kind, ident, val = unpack_key(model.res_keys)
    day_names = {d: str(cand.epoch + dt.timedelta(days=d)) for d in np.unique(val[kind != RES_STOCK]).tolist()}
    sku_names = shipments.sku_names.to_pylist() if inventory is not None else []
    lane_ids, node_ids = [ln.id for ln in network.lanes], [nd.id for nd in network.nodes]

    def rows_of(k: int, names: list[str], keys: tuple[str, ...], fmt) -> list[dict]:
        r = np.flatnonzero(kind == k)
        cols = zip([names[i] for i in ident[r].tolist()], val[r].tolist(), load[r].tolist(),
                   model.res_cap[r].tolist(), (price[r] + 0.0).tolist(), strict=True)
        return [dict(zip(keys, fmt(*c), strict=True)) for c in cols]

    lanes_out = rows_of(RES_LANE, lane_ids, ("lane_id", "departure_date", "load_kg", "capacity_kg", "shadow_price"),
                        lambda i, d, ld, cap, p: (i, day_names[d], ld, float(cap), p))
    nodes_out = rows_of(RES_NODE, node_ids, ("node", "date", "parcels", "capacity", "shadow_price"),
                        lambda i, d, ld, cap, p: (i, day_names[d], int(round(ld)), int(cap), p))
    stock_out = rows_of(RES_STOCK, node_ids, ("node", "sku", "units_used", "units", "shadow_price"),
                        lambda i, d, ld, cap, p: (i, sku_names[d], int(round(ld)), int(cap), p))
    _add_idle_capacity(network, cand, settings, lanes_out, nodes_out)
    lanes_out.sort(key=lambda e: (e["lane_id"], e["departure_date"]))
    nodes_out.sort(key=lambda e: (e["node"], e["date"]))
    stock_out.sort(key=lambda e: (e["node"], e["sku"]))
    labels, label_counts = np.unique(reason.astype(str), return_counts=True)
    reasons = {str(k): int(c) for k, c in zip(labels, label_counts, strict=True)}
    by_status = np.bincount(status, minlength=len(STATUS_NAMES))
    counts = {name: int(c) for name, c in zip(STATUS_NAMES, by_status.tolist(), strict=True)}
    heuristic = settings.waiting_days is not None and settings.waiting_days < settings.horizon_days
    return {
        # optimal over a shortened waiting window is only a feasible plan for the full problem
        "status": "feasible" if heuristic and solution.status == "optimal" else solution.status,
        "objective": objective,
        "lower_bound": lower,
        "gap": gap,
        "lp_bound": solution.lp_objective,
        "unassigned_penalty": model.unassigned_penalty,
        "counts": counts,
        "seconds": dict(seconds),
        "markets": markets,
        "lanes": lanes_out,
        "nodes": nodes_out,
        "stock": stock_out,
        "reasons": reasons,
        "epoch": str(cand.epoch),
        "horizon_days": settings.horizon_days,
        "waiting_days": settings.waiting_days,
        "max_legs": settings.max_legs,
        "heuristic": heuristic,
        "bound_scope": "waiting window" if heuristic else "full horizon",
        "strategy": solution.info.get("strategy", options.strategy),
        "bound_method": solution.info.get("bound", "LP relaxation / MIP bound"),
        "solver": options.solver,
        **({"warm": solution.info["warm"]} if "warm" in solution.info else {}),
        "model": {"columns": model.n_cols, "rows": model.n_rows, "nonzeros": int(model.A.nnz),
                  "options": n_x, "routes": cand.stats.get("routes", 0),
                  "dominated_options": cand.stats.get("pruned_options", 0)},
    }

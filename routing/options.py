"""Candidate options: every (shipment, route, schedule) worth a variable, with its cost and resources.

Shipments are grouped by (origin, destination, order day); each group shares its routes and
schedules, so costs are computed as one numpy matrix per group. An option is dropped when an
option using no capacity at all is at least as cheap (and, where the market has an on-time target,
at least as punctual): such a dropped option can never be needed in an optimal plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .network import Network
from .routes import Route, enumerate_routes, route_costs
from .schedules import RES_LANE, RES_STOCK, Schedule, enumerate_schedules
from .shipments import CHANNEL_BONDED, CHANNEL_JIT, Inventory, Shipments

_DAY_BIAS = 1 << 23
_KEY_KIND, _KEY_ID = 56, 24

# reasons a shipment has no option at all
NO_ROUTE = "no_route"
NO_JIT_ROUTE = "no_jit_route"
NO_BONDED_ROUTE = "no_bonded_route"
SKU_NOT_STOCKED = "sku_not_stocked"
NO_DEPARTURE = "no_departure_in_horizon"


@dataclass(frozen=True)
class PlanSettings:
    """Knobs of route and option enumeration.

    horizon_days: a departure must leave at most this many days after the order day.
    waiting_days: how long a parcel may wait past a leg's first feasible departure (None: to the
    horizon, which is exact; a number is a heuristic and is reported as such).
    max_legs: longest route considered. unassigned_penalty: cost per parcel left unassigned.
    """

    horizon_days: int = 14
    waiting_days: int | None = None
    max_legs: int = 6
    unassigned_penalty: float = 1000.0
    prune: bool = True


@dataclass(frozen=True, eq=False)
class Candidates:
    """Flat arrays of the model's shipment-option variables and their resource incidences."""

    epoch: dt.date
    order_day: np.ndarray  # per shipment, days since epoch
    destination: np.ndarray  # per shipment, market node index
    promise: np.ndarray  # per shipment, effective promise days
    routes: list[Route]
    schedules: list[Schedule]
    chargeable: np.ndarray  # (n shipments, n divisor classes) chargeable kg
    lane_divclass: np.ndarray  # per lane, column of ``chargeable``
    unroutable_reason: np.ndarray  # per shipment, '' when it has options (object array)
    # one entry per variable
    var_ship: np.ndarray
    var_route: np.ndarray
    var_sched: np.ndarray
    var_cost: np.ndarray
    var_ontime: np.ndarray
    # resource incidence (COO): variable, resource row key, coefficient
    inc_var: np.ndarray
    inc_key: np.ndarray
    inc_coef: np.ndarray
    stats: dict = field(default_factory=dict)

    @property
    def n_vars(self) -> int:
        return len(self.var_ship)


def resource_key(kind: int | np.ndarray, ident: int | np.ndarray, value: int | np.ndarray) -> np.ndarray:
    """Pack (kind, id, day or sku) into one int64 key; days are biased to stay positive."""
    kind = np.asarray(kind, dtype=np.int64)
    value = np.asarray(value, dtype=np.int64)
    value = np.where(kind == RES_STOCK, value, value + _DAY_BIAS)
    return (kind << _KEY_KIND) | (np.asarray(ident, dtype=np.int64) << _KEY_ID) | value


def unpack_key(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    kind = key >> _KEY_KIND
    ident = (key >> _KEY_ID) & ((1 << (_KEY_KIND - _KEY_ID)) - 1)
    value = key & ((1 << _KEY_ID) - 1)
    value = np.where(kind == RES_STOCK, value, value - _DAY_BIAS)
    return kind, ident, value


def chargeable_kg(network: Network, shipments: Shipments) -> tuple[np.ndarray, np.ndarray]:
    """Chargeable kg per shipment for each distinct volumetric divisor, and each lane's column."""
    divisors = sorted({ln.volumetric_divisor for ln in network.lanes if ln.volumetric_divisor})
    cols = [shipments.weight_kg]
    for d in divisors:
        cols.append(np.maximum(shipments.weight_kg, shipments.volume_cm3 / d))
    lane_cls = np.array([0 if not ln.volumetric_divisor else 1 + divisors.index(ln.volumetric_divisor)
                         for ln in network.lanes], dtype=np.int64)
    return np.column_stack(cols), lane_cls


def effective_promise(network: Network, shipments: Shipments) -> np.ndarray:
    market_promise = np.array([n.promise_days for n in network.nodes], dtype=np.int32)
    return np.where(shipments.promise_days >= 0, shipments.promise_days, market_promise[shipments.destination])


def build_candidates(network: Network, shipments: Shipments, inventory: Inventory | None,
                     settings: PlanSettings, epoch: dt.date | None = None) -> Candidates:
    """Enumerate routes and schedules and emit one variable per useful (shipment, option)."""
    epoch = epoch or network.epoch or shipments.first_order_date()
    epoch_days = (epoch - dt.date(1970, 1, 1)).days
    order_day = shipments.order_date.astype(np.int64) - epoch_days
    epoch_wd = epoch.weekday()
    graph = network.graph()
    lane_cap = np.array([ln.capacity_kg_per_departure is not None for ln in network.lanes])
    node_cap = np.array([n.capacity_parcels_per_day is not None for n in network.nodes])
    chg, lane_cls = chargeable_kg(network, shipments)
    promise = effective_promise(network, shipments)
    n = len(shipments)
    reason = np.full(n, "", dtype=object)
    market_has_target = np.array([n_.on_time_target is not None for n_ in network.nodes])
    late_rate = np.array([n_.late_penalty_per_day for n_ in network.nodes])
    duty_rate = np.array([n_.duty_rate for n_ in network.nodes])
    de_min = np.array([np.nan if n_.de_minimis is None else n_.de_minimis for n_ in network.nodes])
    sku_names = shipments.sku_names.to_pylist() if inventory is not None else None

    routes: list[Route] = []
    schedules: list[Schedule] = []
    sched_cache: dict[tuple, list[int]] = {}
    out_ship, out_route, out_sched, out_cost, out_ontime = [], [], [], [], []
    inc_var, inc_key, inc_coef = [], [], []
    n_vars = 0
    n_pruned = 0

    pair_key = shipments.origin.astype(np.int64) * len(network.nodes) + shipments.destination
    order = np.lexsort((order_day, pair_key))
    pair_sorted = pair_key[order]
    starts = np.flatnonzero(np.r_[True, pair_sorted[1:] != pair_sorted[:-1]])
    ends = np.r_[starts[1:], n]
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        idx = order[a:b]
        o, m = int(shipments.origin[idx[0]]), int(shipments.destination[idx[0]])
        pair_routes = enumerate_routes(network, graph, o, m, settings.max_legs)
        chan = shipments.channel[idx]
        if not pair_routes:
            reason[idx] = NO_ROUTE
            continue
        r0 = len(routes)
        routes.extend(pair_routes)
        rc = route_costs(network, pair_routes)
        is_bonded = np.array([r.bonded for r in pair_routes])
        # (shipments of the pair) x (routes) cost without lateness
        w = shipments.weight_kg[idx]
        val = shipments.value[idx]
        base = np.empty((len(idx), len(pair_routes)))
        for j, r in enumerate(pair_routes):
            kg_cost = np.zeros(len(idx))
            for ln in r.lanes:
                kg_cost += network.lanes[ln].cost_per_kg * chg[idx, lane_cls[ln]]
            base[:, j] = rc.fixed[j] + kg_cost + rc.storage_per_kg[j] * w
        dm = de_min[m]
        jit_duty = duty_rate[m] * val
        if not np.isnan(dm):
            jit_duty = np.where(val <= dm, 0.0, duty_rate[m] * val)
        base += np.where(is_bonded[None, :], (duty_rate[m] * val)[:, None], jit_duty[:, None])
        allowed = np.ones_like(base, dtype=bool)
        allowed[chan == CHANNEL_JIT] &= ~is_bonded[None, :]
        allowed[chan == CHANNEL_BONDED] &= is_bonded[None, :]
        stocked = np.ones_like(base, dtype=bool)
        if inventory is not None:
            skus = shipments.sku[idx]
            for j, r in enumerate(pair_routes):
                if r.bonded:
                    stocked[:, j] = _stocked_mask(inventory, r.bonded_node, skus, sku_names)
        allowed &= stocked
        # unroutable reasons before timing
        no_kind = ~(allowed | ~stocked).any(axis=1)
        reason[idx[no_kind & (chan == CHANNEL_JIT)]] = NO_JIT_ROUTE
        reason[idx[no_kind & (chan == CHANNEL_BONDED)]] = NO_BONDED_ROUTE
        reason[idx[~allowed.any(axis=1) & ~no_kind]] = SKU_NOT_STOCKED

        days = order_day[idx]
        d_starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
        d_ends = np.r_[d_starts[1:], len(idx)]
        for da, db in zip(d_starts.tolist(), d_ends.tolist(), strict=True):
            t0 = int(days[da])
            wd = (epoch_wd + t0) % 7
            opt_route, opt_sched = [], []
            for j, r in enumerate(pair_routes):
                ft = r.first_timed
                key = (r.lanes[ft:], r.nodes[ft:], wd)
                if key not in sched_cache:
                    found = enumerate_schedules(network, r.lanes[ft:], r.nodes[ft:], wd, settings.horizon_days,
                                                settings.waiting_days, lane_cap, node_cap)
                    sched_cache[key] = list(range(len(schedules), len(schedules) + len(found)))
                    schedules.extend(found)
                for sid in sched_cache[key]:
                    opt_route.append(j)
                    opt_sched.append(sid)
            gidx = idx[da:db]
            g_allowed = allowed[da:db]
            if not opt_route:
                reason[gidx[reason[gidx] == ""]] = NO_DEPARTURE
                continue
            opt_route_a = np.array(opt_route)
            opt_sched_a = np.array(opt_sched)
            delivery = np.array([schedules[s].delivery for s in opt_sched])
            n_res = np.array([len(schedules[s].resources) for s in opt_sched])
            g_prom = promise[gidx]
            late = np.maximum(0, delivery[None, :] - g_prom[:, None])
            cost = base[da:db][:, opt_route_a] + late_rate[m] * late
            ontime = late == 0
            ok = g_allowed[:, opt_route_a]
            uses_stock = (inventory is not None) & is_bonded[opt_route_a]
            free = (n_res == 0) & ~uses_stock
            has_opt = ok.any(axis=1)
            reason[gidx[~has_opt & (reason[gidx] == "")]] = NO_DEPARTURE
            # unroutable shipments get no variables at all
            ok &= (reason[gidx] == "")[:, None]
            if settings.prune:
                keep = _prune(cost, ok, free, ontime, settings.unassigned_penalty, bool(market_has_target[m]))
                n_pruned += int(ok.sum() - keep.sum())
            else:
                keep = ok
            rows, cols = np.nonzero(keep)
            k = len(rows)
            if k == 0:
                continue
            var_ids = np.arange(n_vars, n_vars + k)
            out_ship.append(gidx[rows])
            out_route.append(r0 + opt_route_a[cols])
            out_sched.append(opt_sched_a[cols])
            out_cost.append(cost[rows, cols])
            out_ontime.append(ontime[rows, cols])
            # resources of each chosen option
            for c in np.unique(cols).tolist():
                sel = var_ids[cols == c]
                ships = gidx[rows[cols == c]]
                for kind, ident, off in schedules[opt_sched[c]].resources:
                    inc_var.append(sel)
                    inc_key.append(np.full(len(sel), resource_key(kind, ident, t0 + off)))
                    inc_coef.append(chg[ships, lane_cls[ident]] if kind == RES_LANE else np.ones(len(sel)))
                if uses_stock[c]:
                    bn = pair_routes[opt_route[c]].bonded_node
                    inc_var.append(sel)
                    inc_key.append(resource_key(RES_STOCK, bn, shipments.sku[ships]))
                    inc_coef.append(shipments.quantity[ships].astype(np.float64))
            n_vars += k

    def cat(parts: list, dtype) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return Candidates(
        epoch=epoch, order_day=order_day, destination=shipments.destination, promise=promise,
        routes=routes, schedules=schedules,
        chargeable=chg, lane_divclass=lane_cls, unroutable_reason=reason,
        var_ship=cat(out_ship, np.int64), var_route=cat(out_route, np.int64), var_sched=cat(out_sched, np.int64),
        var_cost=cat(out_cost, np.float64), var_ontime=cat(out_ontime, bool),
        inc_var=cat(inc_var, np.int64), inc_key=cat(inc_key, np.int64), inc_coef=cat(inc_coef, np.float64),
        stats={"routes": len(routes), "schedules": len(schedules), "pruned_options": n_pruned},
    )


def _stocked_mask(inventory: Inventory, node: int, skus: np.ndarray, sku_names: list[str]) -> np.ndarray:
    uniq, inv = np.unique(skus, return_inverse=True)
    has = np.array([inventory.stocked(node, sku_names[s]) > 0 for s in uniq.tolist()], dtype=bool)
    return has[inv]


def _prune(cost: np.ndarray, ok: np.ndarray, free: np.ndarray, ontime: np.ndarray, penalty: float,
           has_target: bool) -> np.ndarray:
    """Keep options not dominated by a capacity-free option (or by leaving the parcel unassigned)."""
    inf = np.inf
    free_ok = ok & free[None, :]
    best_free = np.where(free_ok, cost, inf).min(axis=1, initial=inf)
    bound_any = np.minimum(best_free, penalty)
    keep = ok & (cost < bound_any[:, None])
    # the cheapest free option itself (first on ties) stays
    arg = np.argmin(np.where(free_ok, cost, inf), axis=1)
    rows = np.flatnonzero(np.isfinite(best_free) & (best_free <= penalty))
    keep[rows, arg[rows]] = True
    if has_target:
        free_on = free_ok & ontime
        best_on = np.where(free_on, cost, inf).min(axis=1, initial=inf)
        keep |= ok & ontime & (cost < best_on[:, None])
        arg_on = np.argmin(np.where(free_on, cost, inf), axis=1)
        rows_on = np.flatnonzero(np.isfinite(best_on))
        keep[rows_on, arg_on[rows_on]] = True
    return keep

"""The plan and legs tables (pyarrow) of a solved model: one row per shipment and one per leg, with
dates, costs (currency) and the reason a shipment is not in the plan. Columns: docs/outputs.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..arrays import concat_ranges
from ..candidates.candidates import Candidates
from ..candidates.keys import RES_LANE, RES_NODE, RES_STOCK, unpack_key
from ..data.limits import LANE_SEPARATOR
from ..data.network import Network
from ..data.shipments import Shipments
from ..errors import InternalError
from ..model import Model

_DAY0 = dt.date(1970, 1, 1)
STATUS_NAMES = ("assigned", "unassigned", "unroutable")  # plan status by code
ASSIGNED, UNASSIGNED, UNROUTABLE = range(3)
CHANNEL_NAMES = ("jit", "bonded")
JIT, BONDED = range(2)
ENUMERATION_CUT = "enumeration_cut"  # reason of a parcel whose group enumeration did not reach


def coded(codes: np.ndarray, names: list[str], mask: np.ndarray | None = None) -> pa.Array:
    """A string column from per-row codes into ``names`` (null where ``mask``): no Python string per row."""
    indices = pa.array(codes.astype(np.int32, copy=False), pa.int32(), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names or [""], pa.string())).cast(pa.string())


def dates(epoch: dt.date, days: np.ndarray, mask: np.ndarray) -> pa.Array:
    base = (epoch - _DAY0).days
    return pa.array((base + days).astype(np.int32), type=pa.int32(), mask=~mask).cast(pa.date32())


_REASON_NAMES = np.array(["not_selected", "lane_capacity", "node_capacity", "stock_exhausted", "capacity"],
                         dtype=object)  # by code: an option left out though free, or the kind of limit it meets
_KIND_CODE = {RES_LANE: 1, RES_NODE: 2, RES_STOCK: 3}


def unassigned_reasons(model: Model, cand: Candidates, values: np.ndarray, ships: np.ndarray) -> np.ndarray:
    """Why each of ``ships`` (unassigned) was left out: what blocks its options cheaper than the penalty.

    Per option, the kinds of limit it would overrun (one kind names it, several make ``capacity``, none
    ``not_selected``); per shipment, ``not_selected`` if any option was free, the one label its options
    share, else ``capacity``; ``penalty_cheaper`` without such options, ``enumeration_cut`` without options
    because enumeration stopped short."""
    out = np.full(len(ships), "penalty_cheaper", dtype=object)
    if len(ships) == 0:
        return out
    cut = cand.table.group_cut
    if cut is not None:  # enumeration gave them no candidates (out of time or budget)
        out[cut[cand.table.group_of[ships]]] = ENUMERATION_CUT
    n_x = model.n_x
    where = np.full(len(cand.order_day), -1, dtype=np.int64)  # shipment -> its place in ``ships``
    where[ships] = np.arange(len(ships))
    var_pos = where[cand.var_ship]
    js = np.flatnonzero((var_pos >= 0) & (cand.var_cost < model.unassigned_penalty))
    if len(js) == 0:
        return out
    load = model.A_res @ values[:n_x]
    cols = model.A_res_csc[:, js]
    rows, data = cols.indices, cols.data
    col = np.repeat(np.arange(len(js)), np.diff(cols.indptr))
    full = load[rows] + data > model.res_cap[rows] + 1e-9
    kinds = unpack_key(model.res_keys)[0][rows]
    hit = np.zeros((len(js), 3), dtype=bool)  # option x kind of limit it overruns
    for kind, code in _KIND_CODE.items():
        hit[:, code - 1] = np.bincount(col[full & (kinds == kind)], minlength=len(js)) > 0
    n_hit = hit.sum(axis=1)
    label = np.where(n_hit == 0, 0, np.where(n_hit == 1, hit.argmax(axis=1) + 1, 4))
    pos = var_pos[js]
    lo = np.full(len(ships), 5, dtype=np.int64)
    hi = np.full(len(ships), -1, dtype=np.int64)
    np.minimum.at(lo, pos, label)
    np.maximum.at(hi, pos, label)
    has = hi >= 0
    code = np.where((lo == 0) | (lo == hi), lo, 4)
    out[has] = _REASON_NAMES[code[has]]
    return out


def legs_table(network: Network, shipments: Shipments, cand: Candidates, a_idx: np.ndarray,
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
        "lane_id": coded(lane, [ln.id for ln in network.lanes]),
        "from": coded(lane, [ln.origin for ln in network.lanes]),
        "to": coded(lane, [ln.dest for ln in network.lanes]),
        "departure_date": dates(cand.epoch, dep, timed),
        "arrival_date": dates(cand.epoch, dep + transit[lane], timed),
        "chargeable_kg": pa.array(chg, pa.float64()),
        "replenishment": pa.array(rep, pa.bool_()),
    })


CENT = 2  # decimals money is written with


def to_cent(money: np.ndarray) -> np.ndarray:
    """Money (currency) rounded to the cent, -0.0 made 0.0."""
    return np.round(money, CENT) + 0.0


def to_cent_summing(money: np.ndarray) -> np.ndarray:
    """Money (currency, ≥ 0) to the cent such that the column sums to its exact total rounded to the cent:
    each value rounded down, and the cents still missing given to the values with the largest remainders
    (a partial sort: deterministic for the same amounts). Each value is within a cent of its exact amount."""
    scaled = money * 100.0
    cents = np.floor(scaled + 1e-7)
    missing = int(round(float(scaled.sum()))) - int(cents.sum())
    if 0 < missing < len(cents):
        cents[np.argpartition(cents - scaled, missing - 1)[:missing]] += 1
    elif missing >= len(cents):
        cents += 1
    elif missing < 0:  # rounding down never overshoots, but for float noise below half a cent
        cents[np.argpartition(scaled - cents, -missing - 1)[:-missing]] -= 1
    return cents / 100.0 + 0.0


@dataclass(frozen=True, eq=False)
class OptionCosts:
    """The cost components (currency, unrounded) and dates of some (shipment, option) pairs: transport
    (Σ legs, replenishment included), handling, storage, duty, late penalty; days late, dispatch and
    delivery (days after the order day), bonded node (index into ``Network.nodes``, -1 for JIT)."""

    transport: np.ndarray
    handling: np.ndarray
    storage: np.ndarray
    duty: np.ndarray
    penalty: np.ndarray
    days_late: np.ndarray
    dispatch: np.ndarray
    delivery: np.ndarray
    bonded_node: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.transport + self.handling + self.storage + self.duty + self.penalty


def option_costs(cand: Candidates, ships: np.ndarray, v: np.ndarray) -> OptionCosts:
    """The cost components of variables ``v`` of ``cand`` (of shipments ``ships``), worked out again from
    their routes (:func:`plan_table` checks them against the variables' costs)."""
    table, data = cand.table, cand.data
    r, slot = cand.var_route[v], cand.var_slot[v]
    rc = table.rc  # the table's route costs were computed on this network
    bonded_at = table.bonded_node.ravel()[slot]
    n_div = cand.chargeable.shape[1]
    transport = rc.parcel[r] + np.einsum("nd,nd->n", rc.per_kg[r][:, :n_div], cand.chargeable[ships])
    duty = np.where((bonded_at < 0) & data.duty_exempt_jit[ships], 0.0, data.duty_rate[ships] * data.value[ships])
    delivery = table.delivery.ravel()[slot]
    late_days = np.maximum(0, delivery - data.promise[ships])
    return OptionCosts(transport=transport, handling=rc.handling[r], storage=rc.storage_per_kg[r] * data.weight[ships],
                       duty=duty, penalty=data.late_rate[ships] * late_days, days_late=late_days,
                       dispatch=table.schedule_arrays.dispatch[cand.var_sched[v]], delivery=delivery,
                       bonded_node=bonded_at)


@dataclass(frozen=True, eq=False)
class PlanArrays:
    """Per shipment, what the summary reads of the plan: status and channel codes, on time, total cost
    (currency, unrounded), the bonded node drawn from (index into ``Network.nodes``, -1: none); and the
    reasons of the shipments not in the plan (in row order)."""

    status: np.ndarray
    channel: np.ndarray
    on_time: np.ndarray
    cost_total: np.ndarray
    bonded_node: np.ndarray
    reason: np.ndarray
    changed: np.ndarray  # left the previous plan's route or departures (False without a previous plan)
    cost_change: np.ndarray  # change penalty (currency)


def plan_table(network: Network, shipments: Shipments, cand: Candidates, model: Model, values: np.ndarray
               ) -> tuple[pa.Table, PlanArrays]:
    """The plan table of column values ``values`` of ``model`` (one row per shipment, in input order; money
    to the cent), with the arrays the summary reads. Raises :class:`InternalError` if a shipment's costs, worked out
    again from its route, differ from its option's."""
    n, n_x = len(shipments), model.n_x
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
    parts = option_costs(cand, a_idx, v)
    bonded_at = parts.bonded_node
    bonded = bonded_at >= 0
    transport, handling, storage, duty = parts.transport, parts.handling, parts.storage, parts.duty
    late_days, penalty = parts.days_late, parts.penalty
    delivery_off, dispatch_off = parts.delivery, parts.dispatch

    def full(values_a: np.ndarray, fill: float = 0.0) -> np.ndarray:
        out = np.full(n, fill, dtype=np.float64)
        out[a_idx] = values_a
        return out

    cost_transport, cost_handling = full(transport), full(handling)
    cost_storage, cost_duty = full(storage), full(duty)
    cost_penalty = full(penalty)
    cost_penalty[unassigned] = model.unassigned_penalty
    booked = cand.booked
    slot_k = cand.var_slot[v] % table.K
    cost_change = full(booked.change_cost(a_idx, slot_k)) if booked is not None else np.zeros(n)
    cost_total = cost_transport + cost_handling + cost_storage + cost_duty + cost_penalty + cost_change
    if len(a_idx):
        drift = np.abs(cost_total[a_idx] - cand.var_cost[v]).max()
        if not drift < 1e-6 * max(1.0, float(np.abs(cand.var_cost).max())):
            raise InternalError(f"the plan's costs differ from the model's by up to {drift:g}")

    in_plan = np.bincount(r, minlength=len(table.routes)) > 0  # only the routes in the plan are named
    used_r = np.flatnonzero(in_plan)
    r_code = (np.cumsum(in_plan) - 1)[r]
    route_code = np.zeros(n, dtype=np.int32)
    route_code[a_idx] = r_code
    route_col = coded(route_code, [table.route_names[i] for i in used_r.tolist()], ~assigned)
    lane_ids = [ln.id for ln in network.lanes]
    lanes_col = coded(route_code, [LANE_SEPARATOR.join(lane_ids[k] for k in table.route_lanes[i].tolist() if k >= 0)
                                   for i in used_r.tolist()], ~assigned)
    bonded_node = np.full(n, -1, dtype=np.int64)
    bonded_node[a_idx] = bonded_at
    channel = np.full(n, JIT, dtype=np.int8)
    channel[a_idx[bonded]] = BONDED
    dispatch = np.zeros(n, dtype=np.int64)
    delivery = np.zeros(n, dtype=np.int64)
    dispatch[a_idx] = cand.order_day[a_idx] + dispatch_off
    delivery[a_idx] = cand.order_day[a_idx] + delivery_off
    on_time = np.zeros(n, dtype=bool)
    on_time[a_idx] = late_days == 0
    days_late = np.zeros(n, dtype=np.int64)
    days_late[a_idx] = late_days
    # the route or a departure is not the previous plan's, or the shipment left the plan
    has_previous = booked.has_previous if booked is not None else np.zeros(n, dtype=bool)
    changed = has_previous.copy()
    if booked is not None:
        changed[a_idx] = booked.changed(a_idx, slot_k)
    node_ids = [nd.id for nd in network.nodes]
    everyone = np.ones(n, dtype=bool)
    # why a shipment is not in the plan: its unroutable reason, or what kept its options out
    out_idx = np.flatnonzero(~assigned)
    reason = cand.unroutable_reason[out_idx].copy()
    un = routable[out_idx]
    reason[un] = unassigned_reasons(model, cand, values, out_idx[un])
    labels, code = np.unique(reason.astype(str), return_inverse=True)
    reason_code = np.zeros(n, dtype=np.int32)
    reason_code[out_idx] = code

    plan = pa.table({
        "shipment_id": shipments.ids,
        "status": coded(status, list(STATUS_NAMES)),
        "channel": coded(channel, list(CHANNEL_NAMES), ~assigned),
        "origin": coded(shipments.origin, node_ids),
        "destination": coded(shipments.destination, node_ids),
        "order_date": dates(cand.epoch, cand.order_day, everyone),
        "promise_date": dates(cand.epoch, cand.order_day + cand.data.promise, everyone),
        "route": route_col,
        "lanes": lanes_col,
        "dispatch_date": dates(cand.epoch, dispatch, assigned),
        "delivery_date": dates(cand.epoch, delivery, assigned),
        "days_late": pa.array(days_late, pa.int64(), mask=~assigned),
        "on_time": pa.array(on_time, pa.bool_(), mask=~assigned),
        **{name: to_cent(money) for name, money in (
            ("cost_transport", cost_transport), ("cost_handling", cost_handling), ("cost_storage", cost_storage),
            ("cost_duty", cost_duty), ("cost_penalty", cost_penalty), ("cost_change", cost_change))},
        "cost_total": to_cent_summing(cost_total),  # sums to the objective, to the cent
        "reason": coded(reason_code, labels.tolist(), assigned),
        "changed": pa.array(changed, pa.bool_(), mask=~has_previous),  # null: not in a previous plan
    })
    for name in shipments.extra_columns:  # the input's own columns, untouched
        plan = plan.append_column(name, shipments.extra.column(name))
    return plan, PlanArrays(status=status, channel=channel, on_time=on_time, cost_total=cost_total,
                            bonded_node=bonded_node, reason=reason, changed=changed, cost_change=cost_change)

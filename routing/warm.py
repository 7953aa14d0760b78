"""Warm re-plan: ``solve(..., base=previous_result)`` reuses what an edit leaves valid.

1. **Option table.** Routes and schedules depend only on the network's topology, timing and
   which lanes and nodes are capacitated (and on the horizon settings). If none of that changed,
   the base table is kept: its cost grids are recomputed where a route's costs changed, and the
   slots of routes through a newly closed lane or node are emptied. Added lanes: the groups of the
   pairs they may serve are built again (reusing the schedules already enumerated) and spliced into
   the base table; reopening or changing timing rebuilds it.
2. **Candidates.** A shipment keeps its base options when its row, its group's slots and its
   market's settings (promise, penalty, duty, target) and stock are all unchanged; only the other
   shipments are priced and pruned again. The result is the candidate set a cold build gives. An
   edit of limits only keeps the base candidates and model matrix (new row bounds).
3. **Start.** The base plan's choices carried onto the new model (by shipment id, route and
   departures), overfilled capacity rows shed, shipments left without an option parked on their
   cheapest capacity-free one, shortfall recomputed: a feasible plan.
4. **Optimise.** Small models run the exact strategy with the start as an incumbent, so the warm
   optimum is the cold optimum. Large ones re-optimise locally (:func:`improve_locally`): the
   shipments whose carried choice is gone or no longer cheapest at the base plan's shadow prices
   (prices of rows whose capacity grew are dropped), those on a row whose capacity grew, those
   that can best meet an on-time target the carried plan now misses (or whose need fell), and the
   holders of the tight rows they need go into an LP started from the carried plan's basis
   (:mod:`routing.warm_lp`); its duals re-price the held shipments and those with a cheaper option
   join it, until the LP is within a small gap of the best Lagrangian bound found (the carried
   prices' bound counts) or none has; the LP is then rounded, and a parcel the rounding leaves out
   is placed by a small MIP with the holders of the rows it needs before the rounded plan is
   compared with the carried one. Everything else keeps its base choice. The lower bound is the
   Lagrangian bound of the full model at the better of the carried and the re-optimised prices.
   Edits that reach too far (many new shipments, a quarter of them to re-optimise, a weak local
   answer) run the aggregate strategy on the reused options instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pyarrow.compute as pc

from .aggregate import (
    _fill_unassigned,
    _neighbours,
    _shed_overload,
    lagrangian_bound,
    place_left_out,
    priced_best,
    priced_choice,
    priced_costs,
    ship_columns,
)
from .model import Model
from .network import Network
from .option_table import (
    OptionTable,
    ShipmentData,
    build_option_table,
    find_groups,
    group_keys,
    index_in,
    lane_divclasses,
    open_routes,
    reprice_table,
    shipment_data,
    shipment_data_inputs,
    splice_tables,
    stocked_skus,
)
from .options import (
    Candidates,
    PlanSettings,
    PricedOptions,
    build_candidates,
    make_candidates,
    price_options,
    slot_incidence,
)
from .progress import Progress
from .shipments import Inventory, Shipments
from .warm_lp import RestrictedLP

if TYPE_CHECKING:
    from .result import Result
    from .solver import Solution, SolveOptions

NEW_MAX_SHARE = 0.1  # more new shipments than this share: a broad edit, planned by the aggregate strategy
LOCAL_MAX_SHARE = 0.25  # re-optimise locally while at most this share of shipments needs it
_SHIP_COLUMNS = ("origin", "destination", "order_date", "weight_kg", "volume_cm3", "value", "sku", "quantity",
                 "channel", "promise_days")


LANES_ADDED = "lanes added"  # table_blocker's answer when the base table can be extended
Renumbering = tuple[np.ndarray, np.ndarray]  # per base route / schedule (and a trailing -1): its new index or -1


@dataclass(frozen=True, eq=False)
class Reuse:
    """What a warm build took over from the base (:func:`warm_candidates`), for carrying its plan over."""

    base_of: np.ndarray  # per shipment, its base row or -1
    info: dict[str, Any]  # what was reused, for the result's summary
    renumber: Renumbering | None = None  # an extended table's indices of the base routes and schedules
    var_map: np.ndarray | None = None  # per base option, the same option's variable now; -1 if re-priced or gone


def table_blocker(old: Network, new: Network, old_settings: PlanSettings, new_settings: PlanSettings) -> str | None:
    """Why the base option table cannot serve the edited inputs as it is (None: it can;
    :data:`LANES_ADDED`: it can be extended, only lanes were added after the base's own)."""
    keys = ("horizon_days", "waiting_days", "max_legs")
    if any(getattr(old_settings, k) != getattr(new_settings, k) for k in keys):
        return "settings changed"
    if old.epoch != new.epoch:
        return "epoch changed"
    if len(old.nodes) != len(new.nodes) or len(old.lanes) > len(new.lanes):
        return "nodes added or lanes removed"
    for a, b in zip(old.nodes, new.nodes, strict=True):
        if (a.id, a.kind, a.handling_days, a.capacity_parcels_per_day is None) != \
                (b.id, b.kind, b.handling_days, b.capacity_parcels_per_day is None):
            return f"node '{a.id}': timing or capacitated flag changed"
        if a.closed and not b.closed:
            return f"node '{a.id}' reopened"
    for a, b in zip(old.lanes, new.lanes[:len(old.lanes)], strict=True):
        if (a.id, a.origin, a.dest, a.mode, a.transit_days, a.departures, a.volumetric_divisor,
                a.capacity_kg_per_departure is None) != \
                (b.id, b.origin, b.dest, b.mode, b.transit_days, b.departures, b.volumetric_divisor,
                 b.capacity_kg_per_departure is None):
            return f"lane '{a.id}': route, timing or capacitated flag changed"
        if a.closed and not b.closed:
            return f"lane '{a.id}' reopened"
    return LANES_ADDED if len(new.lanes) > len(old.lanes) else None


def match_shipments(old: Shipments, new: Shipments) -> tuple[np.ndarray, np.ndarray]:
    """(base row of each new shipment by id, -1 if new; whether that row is unchanged)."""
    if new is old:
        return np.arange(len(new)), np.ones(len(new), dtype=bool)
    at = pc.index_in(new.ids, value_set=old.ids)
    base_of = pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    same = base_of >= 0
    b = np.maximum(base_of, 0)
    for name in _SHIP_COLUMNS:
        same &= getattr(new, name) == getattr(old, name)[b]
    if not new.sku_names.equals(old.sku_names):
        same[:] = False
    return base_of, same


def _changed_markets_data(old, new, base_of: np.ndarray) -> np.ndarray:
    """Per new shipment: any per-shipment cost input (promise, penalties, duty, target flag) differs."""
    b = np.maximum(base_of, 0)
    out = base_of < 0
    for name in ("promise", "late_rate", "duty_rate", "duty_exempt_jit", "has_target", "order_day"):
        out |= getattr(new, name) != getattr(old, name)[b]
    if new.chargeable.shape[1] != old.chargeable.shape[1]:  # a lane with a new volumetric divisor
        return np.ones(len(base_of), dtype=bool)
    out |= (new.chargeable != old.chargeable[b]).any(axis=1)
    return out


def _new_of_base(base_of: np.ndarray, n_base: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Per base shipment: its row in the new table (-1 if gone); only ``rows`` of the new table if given."""
    rows = np.flatnonzero(base_of >= 0) if rows is None else rows
    out = np.full(n_base, -1, dtype=np.int64)
    out[base_of[rows]] = rows
    return out


def _stock_changed(old: dict | None, new: dict | None, n_skus: int) -> np.ndarray | None:
    """Per sku index: stocked somewhere before but not now, or the reverse (None: all changed)."""
    if (old is None) != (new is None):
        return None
    out = np.zeros(n_skus, dtype=bool)
    if old is None:
        return out
    empty = np.zeros(n_skus, dtype=bool)
    for node in set(old) | set(new):
        out |= old.get(node, empty) != new.get(node, empty)
    return out


def _unchanged_routes(old: OptionTable, old_net: Network, network: Network) -> dict[int, list]:
    """Per (origin, destination) pair of ``old`` that no added lane can serve (its origin does not
    reach the lane's start or the lane's end does not reach its destination) and whose routes are all
    still open: those routes, as a new enumeration would find them."""
    g = network.graph()
    index = network.node_index
    n_nodes = len(network.nodes)
    pairs, first = np.unique(old.group_pair, return_index=True)
    o, d = np.divmod(pairs, n_nodes)
    served = np.zeros(len(pairs), dtype=bool)
    for ln in network.lanes[len(old_net.lanes):]:
        if ln.origin not in g or ln.dest not in g:
            continue
        # origins that reach the lane's start, destinations its end reaches (each node reaches itself)
        before = np.zeros(n_nodes, dtype=bool)
        before[[index[m] for m in nx.ancestors(g, ln.origin) | {ln.origin}]] = True
        after = np.zeros(n_nodes, dtype=bool)
        after[[index[m] for m in nx.descendants(g, ln.dest) | {ln.dest}]] = True
        served |= before[o] & after[d]
    is_open = open_routes(network, old.route_lanes) & old.route_open
    closed_before = np.r_[0, np.cumsum(~is_open)]  # every route of a pair open: none closed in routes[lo:hi]
    lo, hi = old.group_routes[first].T
    keep = ~served & (closed_before[hi] == closed_before[lo])
    return {p: old.routes[a:b] for p, a, b in zip(pairs[keep].tolist(), lo[keep].tolist(), hi[keep].tolist(),
                                                   strict=True)}


def _spliced_table(base: Result, network: Network, shipments: Shipments, data: ShipmentData,
                   settings: PlanSettings,
                   known: dict[int, list]) -> tuple[OptionTable, np.ndarray, np.ndarray] | None:
    """The base table with the groups of the pairs an added lane may serve (those not in ``known``)
    built again and spliced in (:func:`~routing.option_table.splice_tables`). Returns (table, each
    base route's index in it, per group: rebuilt or re-priced — the others are the base's as they
    were), or None when the splice does not apply (other shipments, or the chargeable-kg columns changed)."""
    bc = base.candidates
    old = bc.table
    if shipments is not base.shipments or data.chargeable.shape[1] != bc.data.chargeable.shape[1] or \
            not np.array_equal(data.lane_divclass[:len(bc.data.lane_divclass)], bc.data.lane_divclass):
        return None
    served = ~np.isin(old.group_pair, np.fromiter(known, dtype=np.int64, count=len(known)))
    sub_ships = np.flatnonzero(served[old.group_of])
    n_old_r = len(old.routes)
    route_map = np.r_[np.arange(n_old_r), -1]
    if not len(sub_ships):  # no pair gains a route: the base table, re-priced on the new network
        table, repriced = reprice_table(old, network, data.lane_divclass, old.group_of)
        return replace(table, schedule_from=np.arange(len(old.schedules))), route_map, repriced
    small = build_option_table(network, shipments.take(sub_ships), data.order_day[sub_ships], old.epoch,
                               settings.horizon_days, settings.waiting_days, settings.max_legs, reuse=old)
    table, redone = splice_tables(old, small, network, data.lane_divclass)
    # base routes of the rebuilt pairs: their copy among small's routes (where the pair still has it)
    gone = np.zeros(n_old_r, dtype=bool)
    for lo, hi in np.unique(old.group_routes[served], axis=0).tolist():
        gone[lo:hi] = True
    idx = np.flatnonzero(gone)
    at = _index_by_content([old.routes[i] for i in idx.tolist()], small.routes)[:-1]
    route_map[idx] = np.where(at >= 0, at + n_old_r, -1)
    return table, route_map, redone


def _extended_table(base: Result, network: Network, shipments: Shipments, data: ShipmentData,
                    settings: PlanSettings) -> tuple[OptionTable, np.ndarray, np.ndarray, Renumbering]:
    """The option table of a network with lanes added, built reusing the base table's schedules.

    Returns (table, per new group: its slots or their costs differ from the base group's (or it has
    none), per base group: its index in the new table or -1, the base routes' and schedules' indices
    in the new table)."""
    old = base.candidates.table
    known = _unchanged_routes(old, base.network, network)
    spliced = _spliced_table(base, network, shipments, data, settings, known)
    if spliced is not None:  # the same groups; those not redone are the base's as they were
        table, route_map, redone = spliced
        new_of_old = np.arange(len(old.group_day))
        go = np.flatnonzero(redone)
    else:
        table = build_option_table(network, shipments, data.order_day, old.epoch, settings.horizon_days,
                                   settings.waiting_days, settings.max_legs, reuse=old, known_routes=known)
        route_map = _index_by_content(old.routes, table.routes)
        new_of_old = index_in(group_keys(table.group_pair, table.group_day),
                              group_keys(old.group_pair, old.group_day))
        go = np.flatnonzero(new_of_old >= 0)
    gn = new_of_old[go]
    # the base groups' slots in the new table's route and schedule numbering (-1: not there)
    sched_map = np.full(len(old.schedules) + 1, -1, dtype=np.int64)
    taken = np.flatnonzero(table.schedule_from >= 0)
    sched_map[table.schedule_from[taken]] = taken
    K = max(old.K, table.K)

    def padded(a: np.ndarray, fill) -> np.ndarray:
        return np.pad(a, [(0, 0), (0, K - a.shape[1])] + [(0, 0)] * (a.ndim - 2), constant_values=fill)

    r_old = padded(np.where(old.route[go] >= 0, route_map[old.route[go]], -1), -1)
    s_old = padded(np.where(old.route[go] >= 0, sched_map[old.sched[go]], -1), -1)
    r_new = padded(table.route[gn], -1)
    s_new = padded(np.where(table.route[gn] >= 0, table.sched[gn], -1), -1)
    same = (r_old == r_new).all(axis=1) & (s_old == s_new).all(axis=1)
    for grid in ("fixed", "storage"):
        same &= (padded(getattr(old, grid)[go], 0.0) == padded(getattr(table, grid)[gn], 0.0)).all(axis=1)
    if old.kgcoef.shape[0] == table.kgcoef.shape[0]:
        for d in range(old.kgcoef.shape[0]):
            same &= (padded(old.kgcoef[d][go], 0.0) == padded(table.kgcoef[d][gn], 0.0)).all(axis=1)
    else:
        same[:] = False
    for flag in ("has_jit", "has_bonded", "no_route"):  # what an unroutable shipment's reason says
        same &= getattr(old, flag)[go] == getattr(table, flag)[gn]
    changed = np.ones(len(table.group_day), dtype=bool) if spliced is None else redone.copy()
    changed[gn[same]] = False
    return table, changed, new_of_old, (route_map, sched_map)


def warm_candidates(base: Result, network: Network, shipments: Shipments, inventory: Inventory | None,
                    settings: PlanSettings) -> tuple[Candidates, Reuse]:
    """Candidates of the edited inputs, equal to a cold build, reusing the base where valid; and what was reused."""
    bc = base.candidates
    base_of, same_row = match_shipments(base.shipments, shipments)
    epoch = network.epoch or shipments.first_order_date()
    blocker = table_blocker(base.network, network, base.settings, settings)
    if blocker in (None, LANES_ADDED) and epoch != bc.epoch:
        blocker = "epoch changed"
    data, data_changed = None, None
    if blocker in (None, LANES_ADDED):
        if shipments is base.shipments and shipment_data_inputs(network) == shipment_data_inputs(base.network):
            # the same per-shipment cost inputs: the base's (added lanes read their chargeable-kg columns)
            data = bc.data if len(network.lanes) == len(bc.data.lane_divclass) else \
                replace(bc.data, lane_divclass=lane_divclasses(network))
            data_changed = np.zeros(len(shipments), dtype=bool)
        else:
            data = shipment_data(network, shipments, epoch)
            data_changed = _changed_markets_data(bc.data, data, base_of)
    if blocker is None:
        same_groups = shipments is base.shipments  # same rows, same epoch: the same groups
        group_of = bc.table.group_of if same_groups else find_groups(bc.table, shipments, data.order_day,
                                                                     len(network.nodes))
        if (group_of < 0).any():
            blocker = "shipments on new (origin, destination, day) groups"
    renumber = None
    if blocker == LANES_ADDED:
        table, regrouped, new_group, renumber = _extended_table(base, network, shipments, data, settings)
        how = "extended (lanes added; schedules reused)"
    elif blocker is None:
        table, regrouped = reprice_table(bc.table, network, data.lane_divclass, group_of)
        new_group = np.arange(len(bc.table.group_day))
        how = "reused, re-priced" if regrouped.any() else "reused"
    else:
        cand = build_candidates(network, shipments, inventory, settings, epoch=epoch)
        return cand, Reuse(base_of, {"table": f"rebuilt ({blocker})", "repriced": len(shipments), "kept": 0})

    stock = stocked_skus(inventory, shipments.sku_names.to_pylist()) if inventory is not None else None
    touched = ~same_row | data_changed
    touched |= regrouped[table.group_of]
    sku_changed = _stock_changed(bc.stock, stock, len(shipments.sku_names))
    rules = (settings.prune, settings.unassigned_penalty) != (base.settings.prune, base.settings.unassigned_penalty)
    if sku_changed is None or rules:
        touched[:] = True
    else:
        touched |= sku_changed[shipments.sku]
    if not touched.any() and not regrouped.any() and blocker is None and shipments is base.shipments:
        # no option changed (a capacity, stock or target edit): the base candidates are this edit's
        return bc, Reuse(base_of, {"table": "reused", "repriced": 0, "kept": len(shipments)},
                         var_map=np.arange(bc.n_vars))
    kept_new = np.flatnonzero(~touched)
    new_of_base = _new_of_base(base_of, len(base.shipments), kept_new)
    kv = np.flatnonzero(new_of_base[bc.var_ship] >= 0)
    # a kept option keeps its slot k in its group, renumbered to the table's groups and width
    old_slot = bc.var_slot[kv]
    kept_slot = old_slot if blocker is None else new_group[old_slot // bc.table.K] * table.K + old_slot % bc.table.K
    priced = price_options(table, data, stock, inventory is not None, settings, np.flatnonzero(touched))
    ship = np.concatenate([new_of_base[bc.var_ship[kv]], priced.ship])
    order = np.argsort(ship, kind="stable")
    merged = type(priced)(
        ship=ship[order], slot=np.concatenate([kept_slot, priced.slot])[order],
        cost=np.concatenate([bc.var_cost[kv], priced.cost])[order],
        ontime=np.concatenate([bc.var_ontime[kv], priced.ontime])[order], reason=priced.reason, pruned=0)
    if shipments is base.shipments:  # the same rows: the base's reasons where kept
        reason = bc.unroutable_reason.copy()
    else:
        reason = np.full(len(shipments), "", dtype=object)
        reason[kept_new] = bc.unroutable_reason[base_of[kept_new]]
    reason[touched] = priced.reason
    pruned = bc.stats.get("pruned_options", 0) + priced.pruned  # kept shipments' pruning is the base's
    at = np.empty(len(order), dtype=np.int64)
    at[order] = np.arange(len(order))
    var_map = np.full(bc.n_vars, -1, dtype=np.int64)
    var_map[kv] = at[:len(kv)]
    incidence = _merged_incidence(bc, var_map, priced, at[len(kv):], table, data, inventory)
    cand = make_candidates(table, data, inventory, stock, merged, reason, pruned, incidence)
    info = {"table": how, "repriced": int(touched.sum()), "kept": len(kept_new)}
    return cand, Reuse(base_of, info, renumber, var_map)


def _merged_incidence(bc: Candidates, var_map: np.ndarray, priced: PricedOptions, priced_at: np.ndarray,
                      table: OptionTable, data: ShipmentData,
                      inventory: Inventory | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacity-row incidence of the merged options (the kept base options, at ``var_map``, and
    ``priced``, at ``priced_at``): a kept option's rows are the base's (same slot, same shipment);
    only the re-priced options' are looked up."""
    kept = var_map[bc.inc_var]
    keep = kept >= 0
    var, key, coef = slot_incidence(table, data, inventory, priced.ship, priced.slot)
    return (np.concatenate([kept[keep], priced_at[var]]), np.concatenate([bc.inc_key[keep], key]),
            np.concatenate([bc.inc_coef[keep], coef]))


def _index_by_content(old: list, new: list) -> np.ndarray:
    """Index in ``new`` of each of ``old`` (equal content), -1 where absent."""
    first: dict = {}
    for i, s in enumerate(new):
        first.setdefault(s, i)
    return np.array([first.get(s, -1) for s in old] + [-1], dtype=np.int64)


def carry_plan(base: Result, cand: Candidates, model: Model, reuse: Reuse) -> tuple[np.ndarray, np.ndarray]:
    """The base plan on the new model: each shipment keeps its base route and departures where that
    option still exists; overfilled capacity rows are shed (heaviest first); the rest is unassigned.

    Returns (column values, per shipment: its base choice is gone or costs something else now)."""
    bc = base.candidates
    chosen = np.flatnonzero(base.solution.values[:base.model.n_x] > 0.5)
    values = np.zeros(model.n_cols)
    moved = np.zeros(len(cand.unroutable_reason), dtype=bool)
    ship = _new_of_base(reuse.base_of, len(base.shipments))[bc.var_ship[chosen]]
    moved[ship[ship >= 0]] = True
    # a kept option is where the build put it; the others are looked up by shipment, route and departures
    direct = reuse.var_map[chosen] if reuse.var_map is not None else np.full(len(chosen), -1)
    found = [direct[direct >= 0]]
    rest = (direct < 0) & (ship >= 0)
    if rest.any():
        ship, route, sched = ship[rest], bc.var_route[chosen[rest]], bc.var_sched[chosen[rest]]
        mine = np.zeros(len(moved), dtype=bool)
        mine[ship] = True
        cv = np.flatnonzero(mine[cand.var_ship])  # the variables of those shipments
        cand_sched = cand.var_sched[cv]
        if reuse.renumber is not None:  # an extended table holds the base's own schedule objects
            route, sched = reuse.renumber[0][route], reuse.renumber[1][sched]
        elif cand.routes is not bc.routes:  # a rebuilt table: by content, equal schedules of different routes made one
            route = _index_by_content(bc.routes, cand.routes)[route]
            sched = _index_by_content(bc.schedules, cand.schedules)[sched]
            cand_sched = _index_by_content(cand.schedules, cand.schedules)[cand_sched]
        ok = (route >= 0) & (sched >= 0)
        R, S = len(cand.routes) + 1, len(cand.schedules) + 1
        at = index_in((cand.var_ship[cv] * R + cand.var_route[cv]) * S + cand_sched,
                      (ship[ok] * R + route[ok]) * S + sched[ok])
        found.append(cv[at[at >= 0]])
    new_var = np.concatenate(found)
    values[new_var] = 1.0
    moved[cand.var_ship[new_var]] = False
    values = _shed_overload(model, cand, values)
    taken = model.options_taken(values) > 0.5
    moved[model.u_ship[~taken]] = True
    taken[_park(model, cand, values, np.flatnonzero(~taken))] = True
    return _fill_unassigned(model, values, taken), moved


def _park(model: Model, cand: Candidates, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The shipments of assignment ``rows`` (without an option in ``values``) take their cheapest
    option that uses no capacity row, where one is cheaper than leaving them out (a feasible start
    nearer the optimum); ``values`` is updated. Returns the rows so placed."""
    ships = model.u_ship[rows]
    if not len(ships):
        return rows
    idx, seg = cand.vars_of(ships)
    cost = np.where(model.uses_capacity[idx] | (cand.var_cost[idx] >= model.unassigned_penalty), np.inf,
                    cand.var_cost[idx])
    best = np.minimum.reduceat(cost, seg)
    # the first of each shipment's options at its minimum
    hit = np.flatnonzero(np.isfinite(cost) & (cost == np.repeat(best, np.diff(np.r_[seg, len(idx)]))))
    first = hit[np.r_[True, cand.var_ship[idx[hit[1:]]] != cand.var_ship[idx[hit[:-1]]]]] if len(hit) else hit
    values[idx[first]] = 1.0
    return model.col_assign_row[idx[first]]


def _base_rows(base: Result, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Per capacity row of ``model``: the base model's row with the same key (0 if none), and whether there is one."""
    at = index_in(base.model.res_keys, model.res_keys)
    return np.maximum(at, 0), at >= 0


def carried_prices(base: Result, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The base plan's shadow prices on the new model's rows: (capacity rows, target rows), ≥ 0.

    Rows new to the model and rows whose capacity grew get price 0 (their old price overstates)."""
    bm, duals = base.model, base.solution.duals
    price = np.zeros(len(model.res_keys))
    mu = np.zeros(len(model.target_markets))
    if duals is None:
        return price, mu
    old_price = np.maximum(0.0, -duals[bm.res_row0:bm.target_row0])
    pos, found = _base_rows(base, model)
    hit = found & (model.res_cap <= bm.res_cap[pos] + 1e-9) if len(bm.res_keys) else found
    price[hit] = old_price[pos[hit]]
    old_mu = dict(zip(bm.target_markets.tolist(), np.maximum(0.0, duals[bm.target_row0:]).tolist(), strict=True))
    mu[:] = [old_mu.get(m, 0.0) for m in model.target_markets.tolist()]
    return price, mu


def grown_rows(base: Result, model: Model) -> np.ndarray:
    """Capacity rows of ``model`` that are new or whose capacity grew."""
    pos, found = _base_rows(base, model)
    if not found.any():
        return ~found
    return ~found | (model.res_cap > base.model.res_cap[pos] + 1e-9)


def _improvable(model: Model, cand: Candidates, values: np.ndarray, priced: np.ndarray,
                best: np.ndarray) -> np.ndarray:
    """Per shipment: an option (or leaving it unassigned) is cheaper at these prices (``best``,
    :func:`priced_best`) than its current column — a column with negative reduced cost, so the LP
    over the held plan is not optimal."""
    n_ships = len(best)
    cur = priced_choice(model, cand, values, priced, n_ships)
    u = model.u_ship
    out = np.zeros(n_ships, dtype=bool)
    out[u] = cur[u] > best[u] + 1e-3 + 1e-6 * np.abs(best[u])
    return out


def improve_locally(base: Result, model: Model, cand: Candidates, start: np.ndarray, focus: np.ndarray,
                    carried: tuple[np.ndarray, ...], options: SolveOptions, progress: Progress,
                    neighbours: int = 40, max_rounds: int = 3, gap: float = 1e-3, deficit: float = 4.0) -> Solution:
    """Re-optimise the ``focus`` shipments around the carried plan (both from :func:`local_focus`, with
    ``carried``, its prices).

    Pricing rounds: solve the LP over the free shipments (focus plus, on each capacity row they need
    more of than is free, the holders with the cheapest moves elsewhere: enough to free ``deficit``
    times the shortfall, at most ``neighbours``) with the rest held; take its row duals as the new
    prices (:func:`_lp_prices`); free every held shipment that some option now beats (a negative
    reduced cost); repeat until none does or the LP is within ``gap`` (relative; 1e-3: a what-if answer
    proven within 0.1% — a second round costs as much again, for ~1e-4 of plan cost at 100k) of the best
    Lagrangian bound so far (at the carried or the LP's prices). The last LP is
    rounded (integral shipments kept, a small MIP for the rest); shipments the rounding leaves
    unassigned although an option costs less than the penalty are placed by
    :func:`~routing.aggregate.place_left_out` before the rounded plan is judged. The lower bound is the
    Lagrangian bound of the full model at the better of the carried and the final prices."""
    from .solver import Solution, restricted_lp_round

    deadline = time.perf_counter() + options.time_limit
    n_x, n_u = model.n_x, model.n_u
    n_ships = len(cand.unroutable_reason)
    price0, mu0, priced0, best0 = carried
    priced, price, mu, bound_now = priced0, price0, mu0, -np.inf
    bound0 = lagrangian_bound(model, cand, price0, mu0, best=best0)  # valid whatever the LP does
    free = ship_columns(model, cand, focus)
    free |= _neighbours(model, cand, priced, start, free, per_row=neighbours, tight_only=True, deficit_factor=deficit)
    values, lp, rounds = start, None, 0
    with progress.phase("solve", f"warm: {int(focus.sum()):,} shipments to re-optimise") as info:
        restricted = RestrictedLP(model, start, max(0.5, deadline - time.perf_counter()))
        restricted.add(free)
        while rounds < max_rounds and time.perf_counter() < deadline:
            lp = restricted.solve()
            rounds += 1
            lp_obj = float(model.cost @ lp[0])
            price, mu, priced, best, bound_now = _lp_prices(model, cand, lp, price, mu, price0, mu0)
            if lp_obj - max(bound_now, bound0) <= gap * max(1.0, abs(lp_obj)) or rounds == max_rounds:
                break  # the LP over the held plan is within ``gap`` of the full model's best bound so far
            held = ~np.zeros(n_ships, dtype=bool)
            held[model.u_ship[restricted.free[n_x:n_x + n_u]]] = False
            more = _improvable(model, cand, start, priced, best) & held
            if not more.any() or restricted.free[:n_x + n_u].sum() > LOCAL_MAX_SHARE * (n_x + n_u):
                break  # nothing left to price in, or the edit reaches too far for a local LP to pay off
            restricted.add(ship_columns(model, cand, more))
        free = restricted.free
        if lp is not None:
            again = restricted_lp_round(model, lp[0], free, options, max(0.5, deadline - time.perf_counter()))
            if again is not None and time.perf_counter() < deadline:
                # parcels the rounding left out, placed before the rounded plan is judged: holders to move
                # aside, cheapest first at the prices of the better bound (those reflect the whole model;
                # the last LP's duals only the free part's view of it); 2 holders per row first (a ~250-column
                # MIP, ~25 ms at 100k against 45-70 for 5, plans within a few units), wider while any stay out
                again = place_left_out(model, cand, again, priced0 if bound0 >= bound_now else priced, options,
                                       max(0.5, deadline - time.perf_counter()), per_rows=(2, 5, neighbours))
            if again is not None and model.cost @ again < model.cost @ values - 1e-9:
                values = again
        n_free = int(free[:n_x + n_u].sum())
        info["done"] = (f"{n_free:,} columns re-optimised, {rounds} pricing round(s), "
                        f"{float(model.cost @ start):,.2f} -> {float(model.cost @ values):,.2f}")
    bounds = [(bound0, price0, mu0), (bound_now, price, mu)]
    bound, p_best, mu_best = max(bounds, key=lambda b: b[0])
    obj = float(model.cost @ values)
    out_duals = np.zeros(model.n_rows)
    out_duals[model.res_row0:model.target_row0] = -p_best
    out_duals[model.target_row0:] = mu_best
    return Solution(values=values, status="feasible", internal_objective=obj, internal_bound=min(bound, obj),
                    lp_objective=bound, duals=out_duals,
                    info={"bound": "lagrangian at carried / re-optimised prices", "reoptimised_columns": n_free,
                          "pricing_rounds": rounds})


def _lp_prices(model: Model, cand: Candidates, lp: tuple[np.ndarray, np.ndarray, float], price: np.ndarray,
               mu: np.ndarray, price0: np.ndarray, mu0: np.ndarray) -> tuple[np.ndarray, ...]:
    """Row prices after a restricted LP: its duals on the rows it holds (the others keep ``price``, ``mu``),
    except on rows it leaves at their limit with dual 0: there the carried price (``price0``, ``mu0``).

    Such a dual is 0 only because the held plan leaves nothing on the row to move (a degenerate vertex),
    not because the row is loose in the full model: priced at 0, every held shipment that could use the
    row looks improvable and the Lagrangian bound drops (the EU de minimis edit at 100k: 1,099,947
    against 1,102,467). Returns (capacity prices, target prices, every option priced, each shipment's
    best, the Lagrangian bound)."""
    values, duals, _ = lp
    seen = ~np.isnan(duals)
    res = slice(model.res_row0, model.target_row0)
    p_lp = np.where(seen[res], np.maximum(0.0, -np.nan_to_num(duals[res])), price)
    m_lp = np.where(seen[model.target_row0:], np.maximum(0.0, np.nan_to_num(duals[model.target_row0:])), mu)
    at_cap = model.A_res @ values[:model.n_x] >= model.res_cap - 1e-6 * np.maximum(1.0, model.res_cap)
    at_need = model.A_target @ values[:model.n_x] <= model.target_need + 1e-6
    price = np.where(at_cap & (p_lp <= 1e-9), price0, p_lp)
    mu = np.where(at_need & (m_lp <= 1e-9), mu0, m_lp)
    priced = priced_costs(model, cand, price, mu)
    best = priced_best(model, cand, priced)
    return price, mu, priced, best, lagrangian_bound(model, cand, price, mu, best=best)


def local_focus(base: Result, model: Model, cand: Candidates, start: np.ndarray, base_of: np.ndarray,
                moved: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Shipments a local re-optimisation must look at: new ones, those whose carried choice is gone,
    costs something else now (``moved``) or is no longer the cheapest at the carried prices, those on
    a row whose capacity grew (or that is new), and for a market whose on-time need changed, the
    shipments that can switch between late and on time most cheaply.

    Returns (focus per shipment, the carried prices: capacity rows, target rows, every option
    priced, each shipment's best at them)."""
    n_ships = len(cand.unroutable_reason)
    price, mu = carried_prices(base, model)
    priced = priced_costs(model, cand, price, mu)
    cur = priced_choice(model, cand, start, priced, n_ships)
    best = priced_best(model, cand, priced)
    focus = np.zeros(n_ships, dtype=bool)
    u = model.u_ship
    focus[u] = (cur[u] > best[u] + 1e-7 * np.maximum(1.0, np.abs(best[u]))) | (base_of[u] < 0) | moved[u]
    # a row that grew invites its holders' neighbours in; from one that shrank, the carried plan
    # already shed the excess (those parcels are moved) and pricing frees whoever else should go
    rows = np.flatnonzero(grown_rows(base, model))
    if len(rows):
        on_rows = np.unique(model.A_res[rows].indices)
        focus[cand.var_ship[on_rows[start[on_rows] > 0.5]]] = True
    focus |= _target_flips(base, model, cand, start, priced, n_ships)
    return focus, (price, mu, priced, best)


def _target_flips(base: Result, model: Model, cand: Candidates, start: np.ndarray, priced: np.ndarray,
                  n_ships: int, extra: int = 200) -> np.ndarray:
    """Per target market the carried plan leaves d parcels short of its on-time need (a raised target,
    a tightened promise), or whose need fell by d: the 2d + ``extra`` shipments that switch most
    cheaply (at the carried prices) between late and on time in the needed direction."""
    n_x = model.n_x
    out = np.zeros(n_ships, dtype=bool)
    if not len(model.target_markets):
        return out
    chosen = np.flatnonzero(start[:n_x] > 0.5)
    on_now = np.zeros(n_ships, dtype=bool)
    on_now[cand.var_ship[chosen[cand.var_ontime[chosen]]]] = True
    on_count = np.bincount(cand.destination[on_now], minlength=int(model.target_markets.max()) + 1)
    bm = base.model
    old_need = dict(zip(bm.target_markets.tolist(), bm.target_need.tolist(), strict=True))
    change = {}
    for m, need in zip(model.target_markets.tolist(), model.target_need.tolist(), strict=True):
        short, fell = need - int(on_count[m]), need - old_need.get(m, 0)
        if short > 0 or fell < 0:
            change[m] = short if short > 0 else fell
    if not change:
        return out
    cur = priced_choice(model, cand, start, priced, n_ships, with_unassigned=False)
    has = cand.ship_vars > 0
    for m, d in change.items():
        # more on-time parcels needed: late ones that can turn on time; fewer: on-time ones that can turn late
        ships = np.flatnonzero((cand.destination == m) & (~on_now if d > 0 else on_now) & has)
        idx, seg = cand.vars_of(ships)
        turn = cand.var_ontime[idx] if d > 0 else ~cand.var_ontime[idx]
        best = np.minimum.reduceat(np.where(turn, priced[idx], np.inf), seg) if len(idx) else np.zeros(0)
        able = np.isfinite(best)
        ships, step = ships[able], best[able] - cur[ships[able]]
        out[ships[np.argsort(step, kind="stable")[: 2 * abs(d) + extra]]] = True
    return out


__all__ = ["carry_plan", "improve_locally", "local_focus", "match_shipments", "table_blocker", "warm_candidates"]

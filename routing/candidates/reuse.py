"""Candidates of edited inputs built from a previous plan's (a what-if re-plan's first step).

Routes and schedules depend only on the network's topology, timing and which lanes and nodes are
capacitated (and on the horizon settings). If none of that changed, the base option table is kept:
its cost grids are recomputed where a route's costs changed, and the slots of routes through a newly
closed lane or node are emptied. Added lanes: the groups of the pairs they may serve are built again
(reusing the schedules already enumerated) and spliced into the base table; reopening or changing
timing rebuilds it. A shipment keeps its base options when its row, its group's slots, its market's
settings (promise, penalty, duty, target) and its stock are all unchanged; only the other shipments
are priced and pruned again. The result is the candidate set a cold build gives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import networkx as nx
import numpy as np
import pyarrow.compute as pc

from ..arrays import index_by_content, index_in, new_of_base
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..settings import PlanSettings
from .candidates import Candidates, build_candidates, make_candidates, slot_incidence
from .option_table import (
    OptionTable,
    build_option_table,
    find_groups,
    group_keys,
    open_routes,
    reprice_table,
    splice_tables,
)
from .pricing import PricedOptions, price_options, stocked_skus
from .shipment_data import ShipmentData, lane_divclasses, shipment_data, shipment_data_inputs

_SHIP_COLUMNS = ("origin", "destination", "order_date", "weight_kg", "volume_cm3", "value", "sku", "quantity",
                 "channel", "promise_days")  # a shipment row is unchanged when all of these are
LANES_ADDED = "lanes added"  # table_blocker's answer when the base table can be extended
Renumbering = tuple[np.ndarray, np.ndarray]  # per base route / schedule (and a trailing -1): its new index or -1


class PlanBase(Protocol):
    """What a warm build reads of the plan it starts from: the inputs and settings its candidates were
    built from, and the candidates."""

    @property
    def network(self) -> Network: ...

    @property
    def shipments(self) -> Shipments: ...

    @property
    def settings(self) -> PlanSettings: ...

    @property
    def candidates(self) -> Candidates: ...


@dataclass(frozen=True, eq=False)
class ExtendedTable:
    """The option table of a network with lanes added (:func:`_extended_table`)."""

    table: OptionTable
    changed: np.ndarray  # per new group: its slots or their costs differ from the base group's (or it has none)
    new_group: np.ndarray  # per base group: its index in the new table or -1
    renumber: Renumbering  # the base routes' and schedules' indices in the new table


@dataclass(frozen=True, eq=False)
class Reuse:
    """What a warm build took over from the base (:func:`warm_candidates`), for carrying its plan over."""

    base_of: np.ndarray  # per shipment, its base row or -1
    table: str  # how the option table was got: reused, re-priced, extended or rebuilt (and why)
    repriced: int  # shipments priced again
    kept: int  # shipments that kept their base options
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


def _spliced_table(base: PlanBase, network: Network, shipments: Shipments, data: ShipmentData,
                   settings: PlanSettings,
                   known: dict[int, list]) -> tuple[OptionTable, np.ndarray, np.ndarray] | None:
    """The base table with the groups of the pairs an added lane may serve (those not in ``known``)
    built again and spliced in (:func:`~routing.candidates.option_table.splice_tables`). Returns (table, each
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
                               settings.horizon_days, settings.waiting_days, settings.max_legs, reuse=old,
                               limits=settings.enumeration)
    table, redone = splice_tables(old, small, network, data.lane_divclass)
    # base routes of the rebuilt pairs: their copy among small's routes (where the pair still has it)
    gone = np.zeros(n_old_r, dtype=bool)
    for lo, hi in np.unique(old.group_routes[served], axis=0).tolist():
        gone[lo:hi] = True
    idx = np.flatnonzero(gone)
    at = index_by_content([old.routes[i] for i in idx.tolist()], small.routes)[:-1]
    route_map[idx] = np.where(at >= 0, at + n_old_r, -1)
    return table, route_map, redone


def _extended_table(base: PlanBase, network: Network, shipments: Shipments, data: ShipmentData,
                    settings: PlanSettings) -> ExtendedTable:
    """The option table of a network with lanes added, built reusing the base table's schedules."""
    old = base.candidates.table
    known = _unchanged_routes(old, base.network, network)
    spliced = _spliced_table(base, network, shipments, data, settings, known)
    if spliced is not None:  # the same groups; those not redone are the base's as they were
        table, route_map, redone = spliced
        new_of_old = np.arange(len(old.group_day))
        go = np.flatnonzero(redone)
    else:
        table = build_option_table(network, shipments, data.order_day, old.epoch, settings.horizon_days,
                                   settings.waiting_days, settings.max_legs, reuse=old, known_routes=known,
                                   limits=settings.enumeration)
        route_map = index_by_content(old.routes, table.routes)
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
    return ExtendedTable(table, changed, new_of_old, (route_map, sched_map))


def warm_candidates(base: PlanBase, network: Network, shipments: Shipments, inventory: Inventory | None,
                    settings: PlanSettings, deadline: float | None = None) -> tuple[Candidates, Reuse]:
    """Candidates of the edited inputs, equal to a cold build, reusing the base where valid; and what was
    reused (``deadline``: when a rebuild's enumeration stops)."""
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
        ext = _extended_table(base, network, shipments, data, settings)
        table, regrouped, new_group, renumber = ext.table, ext.changed, ext.new_group, ext.renumber
        how = "extended (lanes added; schedules reused)"
    elif blocker is None:
        table, regrouped = reprice_table(bc.table, network, data.lane_divclass, group_of)
        new_group = np.arange(len(bc.table.group_day))
        how = "reused, re-priced" if regrouped.any() else "reused"
    else:
        cand = build_candidates(network, shipments, inventory, settings, epoch=epoch, deadline=deadline)
        return cand, Reuse(base_of, f"rebuilt ({blocker})", repriced=len(shipments), kept=0)

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
        return bc, Reuse(base_of, "reused", repriced=0, kept=len(shipments),
                         var_map=np.arange(bc.n_vars))
    kept_new = np.flatnonzero(~touched)
    kept_row = new_of_base(base_of, len(base.shipments), kept_new)
    kv = np.flatnonzero(kept_row[bc.var_ship] >= 0)
    # a kept option keeps its slot k in its group, renumbered to the table's groups and width
    old_slot = bc.var_slot[kv]
    kept_slot = old_slot if blocker is None else new_group[old_slot // bc.table.K] * table.K + old_slot % bc.table.K
    priced = price_options(table, data, stock, inventory is not None, settings, np.flatnonzero(touched))
    ship = np.concatenate([kept_row[bc.var_ship[kv]], priced.ship])
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
    pruned = bc.stats.pruned_options + priced.pruned  # kept shipments' pruning is the base's
    at = np.empty(len(order), dtype=np.int64)
    at[order] = np.arange(len(order))
    var_map = np.full(bc.n_vars, -1, dtype=np.int64)
    var_map[kv] = at[:len(kv)]
    incidence = _merged_incidence(bc, var_map, priced, at[len(kv):], table, data, inventory)
    cand = make_candidates(table, data, inventory, stock, merged, reason, pruned, incidence)
    return cand, Reuse(base_of, how, int(touched.sum()), len(kept_new), renumber, var_map)


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



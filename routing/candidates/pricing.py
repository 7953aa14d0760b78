"""Pricing shipments on the option table: each shipment's cost (currency) and punctuality on every
slot of its group, which slots its channel and the bonded stock allow, why a shipment has none
(the unroutable reason codes), and dominance pruning of the options worth a variable."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..data.shipments import CHANNEL_BONDED, CHANNEL_JIT, Inventory
from ..settings import PlanSettings
from .booked_slots import BookedSlots
from .option_table import OptionTable
from .shipment_data import ShipmentData

# reasons a shipment has no option at all (plan column ``reason`` of an unroutable shipment)
NO_ROUTE = "no_route"
NO_JIT_ROUTE = "no_jit_route"
NO_BONDED_ROUTE = "no_bonded_route"
SKU_NOT_STOCKED = "sku_not_stocked"
NO_DEPARTURE = "no_departure_in_horizon"


def slot_costs(table: OptionTable, data: ShipmentData, idx: np.ndarray,
               stocked: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cost, on_time, allowed) of shipments ``idx`` on every slot of their group, each (len(idx), K).

    ``stocked`` (len(idx), K), when given, says whether the bonded slot's sku is in stock.
    """
    g = table.group_of[idx]
    valid = table.route[g] >= 0
    bonded = table.bonded_node[g] >= 0
    # Σ_d kg coefficient × chargeable kg, one divisor column at a time (no (n, K, D) temporary)
    per_kg = table.kgcoef[0][g] * data.chargeable[idx, 0, None]
    for d in range(1, table.kgcoef.shape[0]):
        per_kg += table.kgcoef[d][g] * data.chargeable[idx, d, None]
    cost = table.fixed[g] + per_kg
    cost += table.storage[g] * data.weight[idx, None]
    duty = data.duty_rate[idx] * data.value[idx]
    cost += np.where(bonded | ~data.duty_exempt_jit[idx, None], duty[:, None], 0.0)
    late = np.maximum(0, table.delivery[g] - data.promise[idx, None])
    cost += data.late_rate[idx, None] * late
    chan = data.channel[idx, None]
    allowed = valid & ~((chan == CHANNEL_JIT) & bonded) & ~((chan == CHANNEL_BONDED) & ~bonded)
    if stocked is not None:
        allowed &= stocked
    return cost, late == 0, allowed


def stocked_skus(inventory: Inventory | None, sku_names: list[str]) -> dict[int, np.ndarray] | None:
    """Per bonded node: which skus (by index into ``sku_names``) have stock (None: unlimited stock)."""
    if inventory is None:
        return None
    index = {name: k for k, name in enumerate(sku_names)}
    out: dict[int, np.ndarray] = {}
    for (node, sku), units in inventory.units.items():
        k = index.get(sku)
        if k is not None and units > 0:
            out.setdefault(node, np.zeros(len(sku_names), dtype=bool))[k] = True
    return out


def stock_mask(table: OptionTable, data: ShipmentData, stocked: dict[int, np.ndarray] | None,
               idx: np.ndarray) -> np.ndarray | None:
    """Whether each bonded slot of shipments ``idx`` has their sku in stock (None: unlimited stock)."""
    if stocked is None:
        return None
    bonded = table.bonded_node[table.group_of[idx]]
    out = bonded < 0
    skus = data.sku[idx]
    for node in np.unique(bonded[bonded >= 0]).tolist():
        if node in stocked:
            out |= (bonded == node) & stocked[node][skus][:, None]
    return out


def unroutable_reasons(table: OptionTable, data: ShipmentData, idx: np.ndarray, allowed: np.ndarray,
                       stocked: np.ndarray | None) -> np.ndarray:
    """Why each of ``idx`` has no allowed slot ('' where it has one)."""
    out = np.full(len(idx), "", dtype=object)
    none = np.flatnonzero(~allowed.any(axis=1))
    if not len(none):
        return out
    g = table.group_of[idx[none]]
    valid = table.route[g] >= 0
    bonded = table.bonded_node[g] >= 0
    ch = data.channel[idx[none]]
    kind_ok = ~((ch[:, None] == CHANNEL_JIT) & bonded) & ~((ch[:, None] == CHANNEL_BONDED) & ~bonded)
    reason = np.where(table.no_route[g], NO_ROUTE, NO_DEPARTURE).astype(object)
    reason = np.where((ch == CHANNEL_JIT) & ~table.has_jit[g] & ~table.no_route[g], NO_JIT_ROUTE, reason)
    reason = np.where((ch == CHANNEL_BONDED) & ~table.has_bonded[g] & ~table.no_route[g], NO_BONDED_ROUTE, reason)
    if stocked is not None:
        ok = valid & kind_ok
        unstocked = ok.any(axis=1) & ~(ok & stocked[none]).any(axis=1)
        reason = np.where(unstocked, SKU_NOT_STOCKED, reason)
    if table.group_cut is not None:  # not enumerated: not known to be unroutable (left unassigned instead)
        reason = np.where(table.group_cut[g], "", reason)
    out[none] = reason
    return out


@dataclass(frozen=True, eq=False)
class PricedOptions:
    """Kept options of some shipments: flat (shipment, slot, cost, on-time) plus why shipments have none."""

    ship: np.ndarray
    slot: np.ndarray  # group × K + k
    cost: np.ndarray
    ontime: np.ndarray
    reason: np.ndarray  # per priced shipment, '' when it has options
    pruned: int


def price_options(table: OptionTable, data: ShipmentData, stock: dict[int, np.ndarray] | None, has_inventory: bool,
                  settings: PlanSettings, idx: np.ndarray, booked: BookedSlots | None = None) -> PricedOptions:
    """Price shipments ``idx`` (ascending) on every slot of their group and keep the undominated
    options, ``settings.pricing.chunk`` shipments at a time, split in pieces priced side by side on
    ``settings.pricing.threads`` threads (numpy releases the GIL in the grid arithmetic; the result does
    not depend on the split). ``booked``: a slot other than a shipment's previous one costs the change
    penalty more, and a committed shipment keeps its committed slot only (never pruned)."""
    K = table.K
    chunk, threads = settings.pricing.chunk, settings.pricing.threads

    def piece(part: np.ndarray) -> tuple[np.ndarray, ...]:
        stocked = stock_mask(table, data, stock, part)
        cost, ontime, allowed = slot_costs(table, data, part, stocked)
        held = None
        if booked is not None:
            slots = np.arange(K)[None, :]
            if booked.prices_changes:
                cost += booked.change_cost(part[:, None], slots)
            fixed = booked.committed[part]
            held = np.flatnonzero(fixed >= 0)
            only = slots == fixed[held, None]
            allowed[held] = only  # a committed slot was checked allowed when it was matched
        reason = unroutable_reasons(table, data, part, allowed, stocked)
        g = table.group_of[part]
        free = table.free[g] & ((table.bonded_node[g] < 0) | (not has_inventory))
        if settings.prune:
            keep = prune_options(cost, allowed, free, ontime, settings.unassigned_penalty, data.has_target[part])
            if held is not None and len(held):
                keep[held] = only
            pruned = int(allowed.sum() - keep.sum())
        else:
            keep, pruned = allowed, 0
        rows, cols = np.nonzero(keep)
        return part[rows], g[rows] * K + cols, cost[rows, cols], ontime[rows, cols], reason, pruned

    # pieces of at most chunk / threads shipments: the threads together hold one chunk's grids
    size = max(settings.pricing.piece, min(chunk // threads, -(-len(idx) // threads)))
    parts = [idx[a:a + size] for a in range(0, len(idx), size)]
    if len(parts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            done = list(pool.map(piece, parts))
    else:
        done = [piece(part) for part in parts]
    if not done:
        done = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool),
                 np.zeros(0, dtype=object), 0)]
    ship, slot, cost, ontime, reason, pruned = zip(*done, strict=True)
    return PricedOptions(ship=np.concatenate(ship), slot=np.concatenate(slot), cost=np.concatenate(cost),
                         ontime=np.concatenate(ontime), reason=np.concatenate(reason), pruned=sum(pruned))


def prune_options(cost: np.ndarray, ok: np.ndarray, free: np.ndarray, ontime: np.ndarray, penalty: float,
                  has_target: np.ndarray) -> np.ndarray:
    """Keep options not dominated by a capacity-free option (or by leaving the parcel unassigned)."""
    inf = np.inf
    n = len(cost)
    free_ok = ok & free
    masked = np.where(free_ok, cost, inf)
    arg = np.argmin(masked, axis=1)  # K >= 1: an option table has at least one slot per group
    best_free = masked[np.arange(n), arg]
    keep = ok & (cost < np.minimum(best_free, penalty)[:, None])
    # the cheapest free option itself (first on ties) stays
    rows = np.flatnonzero(np.isfinite(best_free) & (best_free <= penalty))
    keep[rows, arg[rows]] = True
    # where the market has an on-time target, punctuality has a value of its own
    t = np.flatnonzero(has_target)
    if len(t):
        ok_on = ok[t] & ontime[t]
        masked_on = np.where(free_ok[t] & ontime[t], cost[t], inf)
        arg_on = np.argmin(masked_on, axis=1)
        best_on = masked_on[np.arange(len(t)), arg_on]
        keep[t] |= ok_on & (cost[t] < best_on[:, None])
        rows_on = np.flatnonzero(np.isfinite(best_on))
        keep[t[rows_on], arg_on[rows_on]] = True
    return keep

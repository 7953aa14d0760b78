"""Candidate options: every (shipment, route, schedule) worth a variable, with its cost and resources.

Shipments are grouped by (origin, destination, order day); each group shares one row of the
option table (:mod:`routing.option_table`), so costs are one numpy expression per chunk. An option is dropped when an
option using no capacity at all is at least as cheap (and, where the market has an on-time target,
at least as punctual): such a dropped option can never be needed in an optimal plan.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .network import Network
from .option_table import (
    OptionTable,
    ShipmentData,
    build_option_table,
    resource_key,
    shipment_data,
    slot_costs,
    stock_mask,
    stocked_skus,
    unpack_key,
    unroutable_reasons,
)
from .ranges import concat_ranges
from .routes import Route
from .schedules import RES_STOCK, Schedule
from .shipments import Inventory, Shipments

__all__ = ["Candidates", "PlanSettings", "build_candidates", "prune_options", "resource_key", "unpack_key"]


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
    """Flat arrays of the model's shipment-option variables and their resource incidences, with the
    option table they index and the per-shipment inputs they were priced from."""

    table: OptionTable
    data: ShipmentData
    unroutable_reason: np.ndarray  # per shipment, '' when it has options (object array)
    # one entry per variable
    var_ship: np.ndarray
    var_slot: np.ndarray  # its slot (group × K + k) in ``table``
    var_route: np.ndarray
    var_sched: np.ndarray
    var_cost: np.ndarray
    var_ontime: np.ndarray
    # resource incidence (COO): variable, resource row key, coefficient
    inc_var: np.ndarray
    inc_key: np.ndarray
    inc_coef: np.ndarray
    stock: dict[int, np.ndarray] | None = None  # stocked skus per bonded node (None: unlimited stock)
    stats: dict = field(default_factory=dict)

    @property
    def n_vars(self) -> int:
        return len(self.var_ship)

    @cached_property
    def routable(self) -> np.ndarray:
        """Per shipment: it has options (its unroutable reason is empty)."""
        return self.unroutable_reason == ""

    @cached_property
    def ship_first(self) -> np.ndarray:
        """Per shipment, its first variable, and n_vars at the end: shipment s owns variables
        ``ship_first[s]:ship_first[s + 1]`` (variables come in shipment order)."""
        return np.r_[0, np.cumsum(self.ship_vars)]

    @cached_property
    def ship_vars(self) -> np.ndarray:
        """Per shipment, how many variables it has."""
        return np.bincount(self.var_ship, minlength=len(self.unroutable_reason))

    def vars_of(self, ships: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The variables of ``ships`` (each with some), shipment after shipment, and where each one's begin."""
        count = self.ship_vars[ships]
        return concat_ranges(self.ship_first[ships], count), np.cumsum(count) - count

    # what the table and the shipment inputs hold, under the names the model and the result use
    @property
    def epoch(self) -> dt.date:
        """Day 0 of the plan."""
        return self.table.epoch

    @property
    def routes(self) -> list[Route]:
        return self.table.routes

    @property
    def schedules(self) -> list[Schedule]:
        return self.table.schedules

    @property
    def order_day(self) -> np.ndarray:
        """Per shipment, days since epoch."""
        return self.data.order_day

    @property
    def destination(self) -> np.ndarray:
        """Per shipment, market node index."""
        return self.data.destination

    @property
    def chargeable(self) -> np.ndarray:
        """(n shipments, divisor classes) chargeable kg."""
        return self.data.chargeable


@dataclass(frozen=True, eq=False)
class PricedOptions:
    """Kept options of some shipments: flat (shipment, slot, cost, on-time) plus why shipments have none."""

    ship: np.ndarray
    slot: np.ndarray  # group × K + k
    cost: np.ndarray
    ontime: np.ndarray
    reason: np.ndarray  # per priced shipment, '' when it has options
    pruned: int


_PRICE_THREADS = 2  # pricing pieces run side by side: numpy releases the GIL in the grid arithmetic
_PRICE_PIECE = 20_000  # fewer shipments than twice this: one piece


def price_options(table: OptionTable, data: ShipmentData, stock: dict[int, np.ndarray] | None, has_inventory: bool,
                  settings: PlanSettings, idx: np.ndarray, chunk: int = 100_000) -> PricedOptions:
    """Price shipments ``idx`` (ascending) on every slot of their group and keep the undominated
    options, ``chunk`` shipments at a time (split in pieces priced on two threads; the result does
    not depend on the split)."""
    K = table.K

    def piece(part: np.ndarray) -> tuple[np.ndarray, ...]:
        stocked = stock_mask(table, data, stock, part)
        cost, ontime, allowed = slot_costs(table, data, part, stocked)
        reason = unroutable_reasons(table, data, part, allowed, stocked)
        g = table.group_of[part]
        free = table.free[g] & ((table.bonded_node[g] < 0) | (not has_inventory))
        if settings.prune:
            keep = prune_options(cost, allowed, free, ontime, settings.unassigned_penalty, data.has_target[part])
            pruned = int(allowed.sum() - keep.sum())
        else:
            keep, pruned = allowed, 0
        rows, cols = np.nonzero(keep)
        return part[rows], g[rows] * K + cols, cost[rows, cols], ontime[rows, cols], reason, pruned

    # pieces of at most chunk / threads shipments: the threads together hold one chunk's grids
    size = max(_PRICE_PIECE, min(chunk // _PRICE_THREADS, -(-len(idx) // _PRICE_THREADS)))
    parts = [idx[a:a + size] for a in range(0, len(idx), size)]
    if len(parts) > 1:
        with ThreadPoolExecutor(_PRICE_THREADS) as pool:
            done = list(pool.map(piece, parts))
    else:
        done = [piece(part) for part in parts]
    if not done:
        done = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool),
                 np.zeros(0, dtype=object), 0)]
    ship, slot, cost, ontime, reason, pruned = zip(*done, strict=True)
    return PricedOptions(ship=np.concatenate(ship), slot=np.concatenate(slot), cost=np.concatenate(cost),
                         ontime=np.concatenate(ontime), reason=np.concatenate(reason), pruned=sum(pruned))


def build_candidates(network: Network, shipments: Shipments, inventory: Inventory | None,
                     settings: PlanSettings, epoch: dt.date | None = None,
                     table: OptionTable | None = None, chunk: int = 100_000) -> Candidates:
    """Emit one variable per useful (shipment, option): the option table's slots, priced per shipment
    and pruned by dominance, in chunks of ``chunk`` shipments."""
    epoch = epoch or network.epoch or shipments.first_order_date()
    data = shipment_data(network, shipments, epoch)
    if table is None:
        table = build_option_table(network, shipments, data.order_day, epoch, settings.horizon_days,
                                   settings.waiting_days, settings.max_legs)
    stock = stocked_skus(inventory, shipments.sku_names.to_pylist()) if inventory is not None else None
    priced = price_options(table, data, stock, inventory is not None, settings, np.arange(len(shipments)), chunk)
    return make_candidates(table, data, inventory, stock, priced, priced.reason, priced.pruned)


def make_candidates(table: OptionTable, data: ShipmentData, inventory: Inventory | None,
                    stock: dict[int, np.ndarray] | None, priced: PricedOptions, reason: np.ndarray,
                    pruned: int, incidence: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Candidates:
    """Candidates of the kept options ``priced`` (every shipment's, in shipment order); ``incidence``
    their capacity-row incidence (:func:`slot_incidence`, entries in any order) if already known."""
    ship, slot = priced.ship, priced.slot
    inc_var, inc_key, inc_coef = incidence or slot_incidence(table, data, inventory, ship, slot)
    return Candidates(
        table=table, data=data, unroutable_reason=reason,
        var_ship=ship, var_slot=slot, var_route=table.route.ravel()[slot], var_sched=table.sched.ravel()[slot],
        var_cost=priced.cost, var_ontime=priced.ontime,
        inc_var=inc_var, inc_key=inc_key, inc_coef=inc_coef, stock=stock,
        stats={"routes": len(table.routes), "schedules": len(table.schedules), "pruned_options": pruned,
               "groups": len(table.group_day), "slots": table.K},
    )


def slot_incidence(table: OptionTable, data: ShipmentData, inventory: Inventory | None, ship: np.ndarray,
                   slot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacity-row incidence (variable, row key, coefficient) of variables (``ship``, ``slot``)."""
    lo, hi = table.res_ptr[slot], table.res_ptr[slot + 1]
    count = hi - lo
    var = np.repeat(np.arange(len(slot)), count)
    pos = concat_ranges(lo, count)
    key = table.res_key[pos]
    div = table.res_div[pos]
    coef = np.where(div >= 0, data.chargeable[ship[var], np.maximum(div, 0)], 1.0)
    if inventory is not None:
        bonded = table.bonded_node.ravel()[slot]
        sv = np.flatnonzero(bonded >= 0)
        var = np.concatenate([var, sv])
        key = np.concatenate([key, resource_key(RES_STOCK, bonded[sv], data.sku[ship[sv]])])
        coef = np.concatenate([coef, data.quantity[ship[sv]].astype(np.float64)])
    return var.astype(np.int64), key.astype(np.int64), coef.astype(np.float64)


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

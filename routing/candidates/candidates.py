"""Candidates: every (shipment, route, schedule) worth a variable, with its cost and capacity rows.

Shipments are grouped by (origin, destination, order day); each group shares one row of the
option table (:mod:`routing.candidates.option_table`), so costs are one numpy expression per piece
(:mod:`routing.candidates.pricing`). An option is dropped when an option using no capacity at all is
at least as cheap (and, where the market has an on-time target, at least as punctual): such a
dropped option can never be needed in an optimal plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..arrays import concat_ranges
from ..data.bookings import Bookings
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..settings import PlanSettings
from .booked_slots import BookedSlots
from .bookings import booked_slots
from .keys import RES_STOCK, resource_key
from .option_table import OptionTable, build_option_table
from .pricing import PricedOptions, price_options, stocked_skus
from .routes import Route
from .schedules import Schedule
from .shipment_data import ShipmentData, shipment_data


@dataclass(frozen=True)
class CandidateStats:
    """How the candidates came about: routes and schedules enumerated, options dropped as dominated,
    order groups and the option table's slots per group."""

    routes: int
    schedules: int
    pruned_options: int
    groups: int
    slots: int


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
    stats: CandidateStats
    stock: dict[int, np.ndarray] | None = None  # stocked skus per bonded node (None: unlimited stock)
    booked: BookedSlots | None = None  # committed and previous slots (None: no bookings)
    # capacity taken by committed shipments (row key, coefficient): off the model's limits, not in ``inc_*``
    booked_key: np.ndarray | None = None
    booked_coef: np.ndarray | None = None

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


def build_candidates(network: Network, shipments: Shipments, inventory: Inventory | None,
                     settings: PlanSettings, epoch: dt.date | None = None,
                     table: OptionTable | None = None, deadline: float | None = None,
                     bookings: Bookings | None = None) -> Candidates:
    """Emit one variable per useful (shipment, option): the option table's slots, priced per shipment
    and pruned by dominance (``table``: one already built for these shipments on ``network``; ``deadline``:
    when enumeration stops, a ``time.perf_counter()`` value; ``bookings``: committed shipments get their
    committed option only, and options other than a shipment's previous one cost the change penalty)."""
    epoch = epoch or network.epoch or shipments.first_order_date()
    data = shipment_data(network, shipments, epoch)
    if table is None:
        table = build_option_table(network, shipments, data.order_day, epoch, settings.horizon_days,
                                   settings.waiting_days, settings.max_legs,
                                   limits=settings.enumeration, deadline=deadline)
    stock = stocked_skus(inventory, shipments.sku_names.to_pylist()) if inventory is not None else None
    booked, table = booked_slots(table, data, shipments, bookings, stock, network, settings.horizon_days)
    priced = price_options(table, data, stock, inventory is not None, settings, np.arange(len(shipments)), booked)
    return make_candidates(table, data, inventory, stock, priced, priced.reason, priced.pruned, booked=booked)


def make_candidates(table: OptionTable, data: ShipmentData, inventory: Inventory | None,
                    stock: dict[int, np.ndarray] | None, priced: PricedOptions, reason: np.ndarray,
                    pruned: int, incidence: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                    booked: BookedSlots | None = None) -> Candidates:
    """Candidates of the kept options ``priced`` (every shipment's, in shipment order); ``incidence``
    their capacity-row incidence (:func:`slot_incidence`, entries in any order) if already known;
    ``booked``: the committed shipments' incidence is set apart (``booked_key``, ``booked_coef``)."""
    ship, slot = priced.ship, priced.slot
    inc_var, inc_key, inc_coef = incidence or slot_incidence(table, data, inventory, ship, slot)
    booked_key = booked_coef = None
    if booked is not None:
        held = booked.is_committed[ship[inc_var]]
        booked_key, booked_coef = inc_key[held], inc_coef[held]
        inc_var, inc_key, inc_coef = inc_var[~held], inc_key[~held], inc_coef[~held]
    return Candidates(
        table=table, data=data, unroutable_reason=reason,
        var_ship=ship, var_slot=slot, var_route=table.route.ravel()[slot], var_sched=table.sched.ravel()[slot],
        var_cost=priced.cost, var_ontime=priced.ontime,
        inc_var=inc_var, inc_key=inc_key, inc_coef=inc_coef, stock=stock,
        booked=booked, booked_key=booked_key, booked_coef=booked_coef,
        stats=CandidateStats(routes=len(table.routes), schedules=len(table.schedules), pruned_options=pruned,
                             groups=len(table.group_day), slots=table.K),
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



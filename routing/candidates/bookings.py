"""Bookings on the option table: which slot (route and departures) of its group each committed
shipment is held to, and which slot each shipment held in the previous plan (docs/rules.md#bookings).

A booked shipment's legs name a route by its lanes and a schedule by the departure dates of its timed
legs; the slot is the option of the shipment's group with that route and those departures. A committed
shipment whose legs are no option of tonight's network (a lane closed, a departure outside the
horizon or the waiting window, another channel, a sku not stocked there) is refused; a previous plan's
shipment whose option is gone simply changes, whatever it is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pyarrow.compute as pc

from ..arrays import concat_ranges
from ..data.bookings import NO_DATE, BookedLegs, Bookings
from ..data.network import Network
from ..data.shipments import CHANNEL_BONDED, CHANNEL_JIT, CHANNELS, Shipments
from ..errors import InputError
from .booked_slots import FREE, GONE, NOT_PREVIOUS, BookedSlots
from .option_table import OptionTable, with_extra_slots
from .pricing import slot_costs, stock_mask
from .schedules import Schedule, booked_schedule, capacitated
from .shipment_data import ShipmentData


@dataclass(frozen=True)
class _Match:
    """A booked shipment's option in the table: its slot k, or (k -1) the schedule to add for its route
    (a booked departure enumeration did not keep), or why its legs are no option at all."""

    k: int
    route: int = -1
    schedule: Schedule | None = None
    why: str = ""


class _Matcher:
    """Finds booked legs among the slots of the shipments' groups (:meth:`match`)."""

    def __init__(self, table: OptionTable, data: ShipmentData, network: Network, horizon_days: int) -> None:
        self.table, self.data, self.network, self.horizon = table, data, network, horizon_days
        self.routes: dict[tuple[int, ...], list[int]] = {}
        for r, row in enumerate(table.route_lanes.tolist()):
            self.routes.setdefault(tuple(x for x in row if x >= 0), []).append(r)
        self.epoch_day = (table.epoch - dt.date(1970, 1, 1)).days
        self.lane_cap, self.node_cap = capacitated(network)

    def match(self, ship: int, lanes: tuple[int, ...], departures: tuple[int, ...]) -> _Match:
        """The option of ``ship`` with route ``lanes`` and ``departures`` (days since 1970); shipments
        booked alike are matched once (:func:`_alike`)."""
        table = self.table
        g = int(table.group_of[ship])
        if table.group_cut is not None and table.group_cut[g]:
            return _Match(-1, why="the enumeration stopped before its order group (the time limit or the "
                                  "enumeration budgets): no option of it is known; give more --time-limit")
        lo, hi = (int(x) for x in table.group_routes[g])
        mine = [r for r in self.routes.get(lanes, []) if lo <= r < hi]
        if not mine:
            pair = int(table.group_pair[g])
            cut = pair in table.enumeration.legs_capped or pair in table.enumeration.routes_capped
            return _Match(-1, why="its lanes are no route from its origin to its market"
                          + (" (a lane the network does not have)" if -1 in lanes else
                             " among those enumerated (--max-legs or the route budget cut some)" if cut else ""))
        r = mine[0]
        route = table.routes[r]
        first = route.first_timed
        lane_ids = [self.network.lanes[x].id for x in lanes]
        dated = [k for k in range(first) if departures[k] != NO_DATE]
        if dated:
            return _Match(-1, why=f"leg {dated[0] + 1} ({lane_ids[dated[0]]}) is a replenishment leg of route "
                                  f"{table.route_names[r]}: it has no departure date")
        undated = [k for k in range(first, len(lanes)) if departures[k] == NO_DATE]
        if undated:
            return _Match(-1, why=f"leg {undated[0] + 1} ({lane_ids[undated[0]]}) of route {table.route_names[r]} "
                                  "has no departure date")
        order = self.epoch_day + int(self.data.order_day[ship])
        offsets = tuple(d - order for d in departures[first:])
        for k in np.flatnonzero(table.route[g] == r).tolist():
            if table.schedules[int(table.sched[g, k])].departures == offsets:
                return _Match(k)
        if not table.route_open[r]:
            return _Match(-1, why=f"route {table.route_names[r]} runs through a closed lane or node")
        day = dt.date(1970, 1, 1) + dt.timedelta(days=order)
        found = booked_schedule(self.network, route.lanes[first:], route.nodes[first:], day, offsets,
                                self.horizon, self.lane_cap, self.node_cap)
        if isinstance(found, str):
            return _Match(-1, why=f"its departures break the timing rules for an order of {day} on route "
                                  f"{table.route_names[r]}: {found}")
        return _Match(-1, route=r, schedule=found)


@dataclass(frozen=True, eq=False)
class _Booked:
    """The booked shipments of one legs table found in the shipments: shipment index each, and its match
    as ``matches[alike[j]]`` (shipments booked alike share one)."""

    ships: np.ndarray
    alike: np.ndarray
    matches: list[_Match]

    def per_ship(self, field: str, dtype: type) -> np.ndarray:
        """A field of each shipment's match (k, route), or whether it has a schedule to add ("schedule")."""
        values = [getattr(m, field) if field != "schedule" else m.schedule is not None for m in self.matches]
        return np.array(values, dtype=dtype)[self.alike] if self.matches else np.zeros(0, dtype=dtype)


def _slots(matcher: _Matcher, shipments: Shipments, legs: BookedLegs, refuse: bool) -> _Booked:
    """The booked shipments of ``legs`` in ``shipments`` and their matches; ``refuse``: a booked shipment not
    in the shipments, or whose legs are no option, is an error (else left out, or matched to nothing).
    Shipments booked alike (same pair, order weekday, lanes and departures after the order) are matched
    once: their groups' slots are the same."""
    pos = pc.index_in(legs.shipment_ids, value_set=shipments.ids)
    missing = pc.is_null(pos).to_numpy(zero_copy_only=False)
    if refuse and missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(legs.source, f"row {int(legs.first_row[i])}",
                         f"shipment {legs.shipment_ids[i].as_py()!r} is not in the shipments")
    kept = np.flatnonzero(~missing)
    ships = pc.fill_null(pos, 0).to_numpy(zero_copy_only=False).astype(np.int64)[kept]
    first, alike = _alike(matcher, legs, kept, ships)
    matches = [matcher.match(int(ships[j]), *legs.legs_of(int(kept[j]))) for j in first.tolist()]
    if refuse and any(m.why for m in matches):
        bad = np.array([bool(m.why) for m in matches])
        j = int(np.flatnonzero(bad[alike])[0])  # the first in the file; its own message (its order date)
        why = matcher.match(int(ships[j]), *legs.legs_of(int(kept[j]))).why
        raise InputError(legs.source, f"row {int(legs.first_row[kept[j]])}",
                         f"shipment {legs.shipment_ids[int(kept[j])].as_py()!r}: {why}")
    return _Booked(ships, alike, matches)


def _alike(matcher: _Matcher, legs: BookedLegs, kept: np.ndarray, ships: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Booked shipments ``kept`` (shipments ``ships``) grouped by (pair, order weekday, lanes, departures
    after the order day): the position of each kind's first shipment, and each shipment's kind (rows
    hashed, then checked against their representative, so a hash collision only matches twice)."""
    n = len(kept)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    table = matcher.table
    group = table.group_of[ships]
    count = np.diff(legs.leg_ptr)[kept]
    width = int(count.max())
    row = np.repeat(np.arange(n), count)
    at = concat_ranges(legs.leg_ptr[kept], count)
    col = at - np.repeat(legs.leg_ptr[kept], count)
    order = matcher.epoch_day + matcher.data.order_day[ships]
    key = np.full((n, 2 + 2 * width), -3, dtype=np.int64)
    key[:, 0] = table.group_pair[group]
    key[:, 1] = (table.epoch.weekday() + table.group_day[group]) % 7
    key[row, 2 + col] = legs.lane[at]
    dep = legs.departure[at]
    key[row, 2 + width + col] = np.where(dep == NO_DATE, NO_DATE - 10**6, dep - order[row])
    with np.errstate(over="ignore"):  # a hash: wrapping is meant
        h = np.zeros(n, dtype=np.uint64)
        for c in range(key.shape[1]):
            h = h * np.uint64(1_000_003) + key[:, c].astype(np.uint64)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    differ = np.flatnonzero((key != key[first[inverse]]).any(axis=1))  # hash collisions: each its own kind
    inverse[differ] = len(first) + np.arange(len(differ))
    return np.r_[first, differ], inverse


def _check_allowed(table: OptionTable, data: ShipmentData, shipments: Shipments, legs: BookedLegs,
                   stock: dict[int, np.ndarray] | None, ships: np.ndarray, slot: np.ndarray) -> None:
    """Refuse a committed slot the shipment may not take: another channel, or its sku not stocked there."""
    if not len(ships):
        return
    stocked = stock_mask(table, data, stock, ships)
    _, _, allowed = slot_costs(table, data, ships, stocked)
    bad = np.flatnonzero(~allowed[np.arange(len(ships)), slot])
    if not len(bad):
        return
    j = int(bad[0])
    s, k = int(ships[j]), int(slot[j])
    bonded = bool(table.bonded_node[table.group_of[s], k] >= 0)
    channel = int(shipments.channel[s])
    if (channel == CHANNEL_JIT and bonded) or (channel == CHANNEL_BONDED and not bonded):
        why = f"its channel is {CHANNELS[channel]}, the booked route is {'bonded' if bonded else 'jit'}"
    else:
        why = "its sku has no stock at the booked bonded warehouse"
    i = pc.index(legs.shipment_ids, shipments.ids[s]).as_py()
    raise InputError(legs.source, f"row {int(legs.first_row[i])}", f"shipment {shipments.ids[s].as_py()!r}: {why}")


def booked_slots(table: OptionTable, data: ShipmentData, shipments: Shipments, bookings: Bookings | None,
                 stock: dict[int, np.ndarray] | None, network: Network,
                 horizon_days: int) -> tuple[BookedSlots | None, OptionTable]:
    """The slots ``bookings`` hold the shipments to (None without bookings), and the table with the booked
    options enumeration did not keep added for the shipments booked on them."""
    if bookings is None or bookings.empty:
        return None, table
    n = len(shipments)
    matcher = _Matcher(table, data, network, horizon_days)
    found: dict[str, _Booked] = {}
    if bookings.committed is not None:
        found["committed"] = _slots(matcher, shipments, bookings.committed, refuse=True)
    if bookings.previous is not None:
        found["previous"] = _slots(matcher, shipments, bookings.previous, refuse=False)
    is_committed = np.zeros(n, dtype=bool)
    if "committed" in found:
        is_committed[found["committed"].ships] = True
    # options to add: a committed shipment's, else a previous one's; one new group per (group, option)
    adds, add_kinds = [], []
    for kind, b in found.items():
        idx = np.flatnonzero(b.per_ship("schedule", bool) & ((kind == "committed") | ~is_committed[b.ships]))
        adds.append(np.column_stack([b.ships[idx], table.group_of[b.ships[idx]], b.alike[idx]]))
        add_kinds += [kind] * len(idx)
    place = np.full(n, -1, dtype=np.int64)  # per shipment: the slot its added option took
    added: dict[int, tuple] = {}  # shipment -> (route, departures) of its added option
    add = np.vstack(adds) if adds else np.zeros((0, 3), dtype=np.int64)
    if len(add):
        kind_code = np.array([0 if k == "committed" else 1 for k in add_kinds], dtype=np.int64)
        keys, new_of = np.unique(np.column_stack([add[:, 1], kind_code, add[:, 2]]), axis=0, return_inverse=True)
        options = [found["committed" if c == 0 else "previous"].matches[u] for _, c, u in keys.tolist()]
        table, new_groups, new_k = with_extra_slots(table, network, keys[:, 0],
                                                    np.array([m.route for m in options], dtype=np.int64),
                                                    [m.schedule for m in options])
        group_of = table.group_of.copy()
        group_of[add[:, 0]] = new_groups[new_of.ravel()]
        place[add[:, 0]] = new_k[new_of.ravel()]
        table = replace(table, group_of=group_of)
        added = {s: (options[o].route, options[o].schedule.departures)
                 for s, o in zip(add[:, 0].tolist(), new_of.ravel().tolist(), strict=True)}
    committed = np.full(n, FREE, dtype=np.int64)
    previous = np.full(n, NOT_PREVIOUS, dtype=np.int64)
    for kind, b in found.items():
        k = b.per_ship("k", np.int64)
        # a shipment's added option takes its slot in this table only if it is this one (a committed shipment's
        # previous option may be another)
        for j in np.flatnonzero(place[b.ships] >= 0).tolist():
            m = b.matches[int(b.alike[j])]
            if m.schedule is not None and added[int(b.ships[j])] == (m.route, m.schedule.departures):
                k[j] = place[b.ships[j]]
        if kind == "committed":
            _check_allowed(table, data, shipments, bookings.committed, stock, b.ships, k)
            committed[b.ships] = k
        else:
            previous[b.ships] = np.where(k >= 0, k, GONE)
    return BookedSlots(committed=committed, previous=previous, change_penalty=bookings.change_penalty,
                       committed_source=None if bookings.committed is None else bookings.committed.source), table

"""The option table: every (route, schedule) open to an order group, as padded numpy arrays.

Shipments with the same origin, destination and order day form a *group* and share one row of
the table: K option slots (route, departure schedule, delivery offset, cost coefficients, the
capacity rows it uses). A shipment's cost on each slot is then one vectorised expression of its
chargeable kg, weight, value and promise (:func:`~routing.candidates.pricing.slot_costs`), so
nothing loops over shipments in Python. A what-if edit reuses a table: re-priced on an edited network
(:func:`reprice_table`), or extended by the groups an added lane serves (:func:`splice_tables`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace

import numpy as np

from ..arrays import concat_ranges, index_in
from ..data.network import Network
from ..data.shipments import Shipments
from ..settings import EnumerationParams
from .keys import RES_LANE, resource_key
from .routes import Route, RouteCosts, enumerate_routes, padded_lanes, route_costs
from .schedules import Schedule, ScheduleArrays, capacitated, enumerate_schedules
from .shipment_data import lane_divclasses


@dataclass(frozen=True)
class EnumerationReport:
    """What the enumeration budgets (:class:`~routing.settings.EnumerationParams`) and the leg limit cut:
    pairs (origin × nodes + market) with a longer route beyond ``max_legs`` or more routes than kept,
    (route, weekday)s with more schedules than kept, (pair, weekday)s with more options than kept, and
    order groups given no candidates at all (out of time, or past the total budgets)."""

    legs_capped: frozenset[int] = frozenset()
    routes_capped: frozenset[int] = frozenset()
    schedules_capped: int = 0
    slots_capped: int = 0
    groups_cut: int = 0
    timed_out: bool = False  # groups were cut because the enumeration's share of the time limit ran out

    @property
    def complete(self) -> bool:
        """Every route up to the leg limit and every schedule was enumerated."""
        return not (self.routes_capped or self.schedules_capped or self.slots_capped or self.groups_cut)

    def merged(self, other: EnumerationReport) -> EnumerationReport:
        """Both reports together (a table spliced from two)."""
        return EnumerationReport(self.legs_capped | other.legs_capped, self.routes_capped | other.routes_capped,
                                 self.schedules_capped + other.schedules_capped,
                                 self.slots_capped + other.slots_capped, self.groups_cut + other.groups_cut,
                                 self.timed_out or other.timed_out)

    def to_dict(self) -> dict[str, int]:
        """The summary's ``enumeration`` entry (counts)."""
        return {"legs_capped_pairs": len(self.legs_capped), "routes_capped_pairs": len(self.routes_capped),
                "schedules_capped": self.schedules_capped, "slots_capped": self.slots_capped,
                "groups_cut": self.groups_cut}


@dataclass(frozen=True, eq=False)
class OptionTable:
    """Per group g (origin, destination, order day) and slot k < K: one (route, schedule) option.

    ``route[g, k] < 0`` marks an empty slot. Costs in currency, days relative to the epoch.
    Resources of slot (g, k) are ``res_key[res_ptr[g*K+k] : res_ptr[g*K+k+1]]`` (absolute days),
    with ``res_div`` the chargeable-kg column for a lane row and -1 for a node row.
    """

    epoch: dt.date
    routes: list[Route]
    schedules: list[Schedule]
    group_of: np.ndarray  # per shipment
    group_day: np.ndarray  # per group, order day
    group_market: np.ndarray  # per group, destination node
    route: np.ndarray  # (G, K) global route index, -1 empty
    sched: np.ndarray  # (G, K) global schedule index
    delivery: np.ndarray  # (G, K) delivery offset from the order day
    bonded_node: np.ndarray  # (G, K) bonded node index or -1
    fixed: np.ndarray  # (G, K) per-parcel transport + handling
    storage: np.ndarray  # (G, K) per kg of actual weight
    kgcoef: np.ndarray  # (D, G, K) per chargeable kg in divisor column d (one contiguous grid per d)
    free: np.ndarray  # (G, K) uses no capacitated lane departure or node-day
    res_ptr: np.ndarray
    res_key: np.ndarray
    res_div: np.ndarray
    has_jit: np.ndarray  # per group: the pair has a JIT route (timing aside)
    has_bonded: np.ndarray  # per group: the pair has a bonded route (timing aside)
    group_pair: np.ndarray  # per group, origin × n_nodes + destination
    group_routes: np.ndarray  # (G, 2): the pair's routes are ``routes[lo:hi]``
    route_lanes: np.ndarray  # (routes, max legs) lane indices, -1 padded
    route_first: np.ndarray  # per route, its first node
    route_bonded: np.ndarray  # per route, its bonded node (-1: JIT)
    route_open: np.ndarray  # per route, every lane and node on it is open (on the table's network)
    rc: RouteCosts  # cost coefficients of ``routes`` on the table's network
    route_names: list[str]  # per route, its node ids joined by '>'
    schedule_ids: dict[tuple, tuple[int, int]]  # ((timed lanes, timed nodes), order weekday) -> its schedules' range
    schedule_arrays: ScheduleArrays  # ``schedules`` as flat arrays
    schedule_from: np.ndarray  # per schedule, its index in the table this one reused (-1: enumerated here)
    group_cut: np.ndarray | None = None  # per group: enumeration gave it no candidates (None: no group)
    enumeration: EnumerationReport = field(default_factory=lambda: EnumerationReport())

    @property
    def K(self) -> int:
        return self.route.shape[1]

    @property
    def no_route(self) -> np.ndarray:
        """Per group: the pair has no route at all."""
        return ~(self.has_jit | self.has_bonded)


def slot_rows(kind: np.ndarray, ident: np.ndarray, day: np.ndarray,
              lane_cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A slot's resource entries as the table keeps them: the packed row key of each (kind, id, absolute
    day), and the chargeable-kg column of a lane row (-1 for a node row)."""
    lane_rows = kind == RES_LANE  # (a node row's id is a node index: not a lane's)
    return resource_key(kind, ident, day), np.where(lane_rows, np.append(lane_cls, 0)[np.where(lane_rows, ident, -1)],
                                                    -1)


def build_option_table(network: Network, shipments: Shipments, order_day: np.ndarray, epoch: dt.date,
                       horizon_days: int, waiting_days: int | None, max_legs: int,
                       reuse: OptionTable | None = None,
                       known_routes: dict[int, list[Route]] | None = None,
                       limits: EnumerationParams | None = None, deadline: float | None = None) -> OptionTable:
    """Enumerate routes per (origin, destination) and schedules per (route, weekday) once each, within
    ``limits`` and until ``deadline`` (a ``time.perf_counter()`` value): what they cut is in the table's
    ``enumeration`` report, and the groups left without candidates in ``group_cut``.

    ``reuse``: a table built on a network that differs only by lanes added after its own (same
    nodes, same timing, capacitated flags, epoch and horizon settings); the schedules of the timed
    legs it already enumerated are taken from it instead of enumerated again. ``known_routes``: per
    (origin × nodes + destination) pair, its routes where they are known not to have changed."""
    n_nodes = len(network.nodes)
    lane_cap, node_cap = capacitated(network)
    lane_cls = lane_divclasses(network)
    n_div = int(lane_cls.max(initial=0)) + 1
    pair = shipments.origin.astype(np.int64) * n_nodes + shipments.destination
    day0 = int(order_day.min())
    gkey = pair * (int(order_day.max()) - day0 + 1) + (order_day - day0)
    uniq, group_of = np.unique(gkey, return_inverse=True)
    span = int(order_day.max()) - day0 + 1
    g_pair, g_day = uniq // span, uniq % span + day0
    epoch_wd = epoch.weekday()

    routes: list[Route] = []
    timed: list[tuple] = []  # per route, its timed (lanes, nodes)
    schedules: list[Schedule] = []
    enumerated: list[Schedule] = []
    source: list[int] = []  # per schedule, its index in ``reuse``, or -1 - its index in ``enumerated``
    pair_routes: dict[int, tuple[int, int]] = {}
    sched_cache: dict[tuple, tuple[int, int]] = {}
    # a group's slots depend on its pair and order weekday: each (pair, weekday) is worked out once, in
    # the order groups first need it, so routes and schedules are numbered as they are first met
    pw_key, pw_first, group_pw = np.unique(g_pair * 7 + (epoch_wd + g_day) % 7, return_index=True,
                                           return_inverse=True)
    slot_route: list[int] = []  # slots of each (pair, weekday), one after the other
    slot_sched: list[int] = []
    pw_start = np.zeros(len(pw_key), dtype=np.int64)
    limits = limits or EnumerationParams()
    pw_cut = np.zeros(len(pw_key), dtype=bool)  # (pair, weekday)s left without candidates: out of budget
    legs_capped, routes_capped, schedules_capped, slots_capped, timed_out = set(), set(), 0, 0, False
    for i in np.argsort(pw_first, kind="stable").tolist():
        p, wd = divmod(int(pw_key[i]), 7)
        pw_start[i] = len(slot_route)
        late = deadline is not None and time.perf_counter() > deadline
        if late or len(routes) >= limits.max_routes or len(schedules) >= limits.max_schedules:
            pw_cut[i], timed_out = True, timed_out or late
            continue
        if p not in pair_routes:
            found = known_routes.get(p) if known_routes is not None else None
            if found is None:
                search = enumerate_routes(network, p // n_nodes, p % n_nodes, max_legs, limits.max_routes_per_pair)
                found = search.routes
                if search.legs_capped:
                    legs_capped.add(p)
                if search.truncated:
                    routes_capped.add(p)
            pair_routes[p] = (len(routes), len(routes) + len(found))
            routes.extend(found)
            timed.extend((r.lanes[r.first_timed:], r.nodes[r.first_timed:]) for r in found)
        for rid in range(*pair_routes[p]):
            key = (timed[rid], wd)
            ids = sched_cache.get(key)
            if ids is None:
                known = reuse.schedule_ids.get(key) if reuse is not None else None
                if known is not None:
                    found_s = reuse.schedules[known[0]:known[1]]
                    source += range(*known)
                else:
                    found_s, cut = enumerate_schedules(network, *timed[rid], wd, horizon_days, waiting_days,
                                                       lane_cap, node_cap, limits.max_schedules_per_route)
                    schedules_capped += cut
                    source += range(-1 - len(enumerated), -1 - len(enumerated) - len(found_s), -1)
                    enumerated += found_s
                ids = sched_cache[key] = (len(schedules), len(schedules) + len(found_s))
                schedules.extend(found_s)
            room = limits.max_slots_per_group - (len(slot_route) - int(pw_start[i]))
            take = min(ids[1] - ids[0], room)
            slot_route += [rid] * take
            slot_sched += range(ids[0], ids[0] + take)
            if take < ids[1] - ids[0]:  # the group's options are full: the other routes' schedules are cut
                slots_capped += 1
                break
    G = len(uniq)
    group_cut = pw_cut[group_pw]
    report = EnumerationReport(legs_capped=frozenset(legs_capped), routes_capped=frozenset(routes_capped),
                               schedules_capped=schedules_capped, slots_capped=slots_capped,
                               groups_cut=int(group_cut.sum()), timed_out=timed_out)
    pw_count = np.zeros(len(pw_key), dtype=np.int64)
    # the order the (pair, weekday) lists were filled in: the loop's (by pw_start alone, ties among empty
    # lists would fall back to key order and hand one weekday's slots to another)
    filled = np.argsort(pw_first, kind="stable")
    pw_count[filled] = np.diff(np.r_[pw_start[filled], len(slot_route)])
    counts = pw_count[group_pw]
    sg = np.repeat(np.arange(G), counts)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    slot_k = np.arange(len(sg)) - starts[sg]
    at = pw_start[group_pw][sg] + slot_k  # position in the (pair, weekday) lists
    sr = np.array(slot_route, dtype=np.int64)[at]
    ss = np.array(slot_sched, dtype=np.int64)[at]
    K = max(1, int(counts.max(initial=0)))
    from_reuse = np.array(source, dtype=np.int64)
    sa = ScheduleArrays.of(enumerated)
    if reuse is not None and len(from_reuse):
        both = ScheduleArrays.concat([reuse.schedule_arrays, sa])
        sa = both.select(np.where(from_reuse >= 0, from_reuse, len(reuse.schedules) - 1 - from_reuse))

    route_lanes = padded_lanes(routes)
    r_first = np.array([r.nodes[0] for r in routes], dtype=np.int64)
    r_bonded = np.array([r.bonded_node for r in routes], dtype=np.int64)
    rc = route_costs(network, routes, lane_cls, route_lanes, r_first, r_bonded)
    s_nres = np.diff(sa.res_ptr)

    group_routes = np.array([pair_routes.get(p, (0, 0)) for p in g_pair.tolist()], dtype=np.int64).reshape(-1, 2)
    has_jit, has_bonded = pair_kinds(r_bonded, np.ones(len(routes), dtype=bool), group_routes)

    def grid(fill, dtype, values) -> np.ndarray:
        out = np.full((G, K), fill, dtype=dtype)
        out[sg, slot_k] = values
        return out

    route = grid(-1, np.int64, sr)
    fixed, storage, kgcoef = cost_grids(route, rc, n_div)
    # resources of every slot (slots come in (group, k) order), in absolute days
    res_count = np.zeros(G * K, dtype=np.int64)
    flat = sg * K + slot_k
    n_res = s_nres[ss]
    res_count[flat] = n_res
    res_ptr = np.r_[0, np.cumsum(res_count)]
    pos = concat_ranges(sa.res_ptr[ss], n_res)
    kinds_a, idents_a = sa.res_kind[pos], sa.res_ident[pos]
    days_a = sa.res_off[pos] + np.repeat(g_day[sg], n_res)
    res_key, res_div = slot_rows(kinds_a, idents_a, days_a, lane_cls)
    return OptionTable(
        epoch=epoch, routes=routes, schedules=schedules, group_of=group_of.astype(np.int64), group_day=g_day,
        group_market=g_pair % n_nodes, route=route, sched=grid(0, np.int64, ss),
        delivery=grid(0, np.int64, sa.delivery[ss] if len(ss) else ss),
        bonded_node=grid(-1, np.int64, r_bonded[sr] if len(sr) else sr),
        fixed=fixed, storage=storage, kgcoef=kgcoef, free=grid(True, bool, s_nres[ss] == 0 if len(ss) else True),
        res_ptr=res_ptr, res_key=res_key, res_div=res_div,
        has_jit=has_jit, has_bonded=has_bonded,
        group_pair=g_pair, route_lanes=route_lanes, rc=rc, route_first=r_first, route_bonded=r_bonded,
        route_open=np.ones(len(routes), dtype=bool),  # routes through anything closed are not enumerated
        route_names=[">".join(network.nodes[k].id for k in r.nodes) for r in routes], schedule_ids=sched_cache,
        schedule_arrays=sa, schedule_from=np.maximum(from_reuse, -1),
        group_routes=group_routes, group_cut=group_cut if group_cut.any() else None, enumeration=report,
    )


def splice_tables(old: OptionTable, small: OptionTable, network: Network,
                  lane_cls: np.ndarray) -> tuple[OptionTable, np.ndarray]:
    """``old`` with the groups ``small`` has replaced by ``small``'s slots. ``small`` is a table of
    some of those groups' shipments on ``network`` (``old``'s with lanes added), built reusing
    ``old``'s schedules. Old routes and schedules keep their indices; small's routes and the schedules
    it enumerated come after them (old routes only the replaced groups used stay, unused). Cost
    grids are worked out on ``network`` for the replaced groups and those whose routes cost something
    else there (the others keep ``old``'s); ``schedule_from`` maps each old schedule to itself.

    Returns (the table, per group: replaced or re-priced — every other group is ``old``'s as it was)."""
    n_r, n_s = len(old.routes), len(old.schedules)
    G, K = len(old.group_day), max(old.K, small.K)
    gs = index_in(group_keys(old.group_pair, old.group_day), group_keys(small.group_pair, small.group_day))
    replaced = np.zeros(G, dtype=bool)
    replaced[gs] = True
    fresh = np.flatnonzero(small.schedule_from < 0)
    sched_of = small.schedule_from.copy()  # each of small's schedules in the spliced numbering
    sched_of[fresh] = n_s + np.arange(len(fresh))
    # slots: old's, the replaced groups' from small
    route = np.full((G, K), -1, dtype=np.int64)
    sched = np.zeros((G, K), dtype=np.int64)
    route[~replaced, :old.K], sched[~replaced, :old.K] = old.route[~replaced], old.sched[~replaced]
    route[gs, :small.K] = np.where(small.route >= 0, small.route + n_r, -1)
    slot = small.route >= 0  # (small's empty slots hold schedule 0, which it may not have)
    sched[gs, :small.K] = np.where(slot, sched_of[np.where(slot, small.sched, 0)] if len(sched_of) else 0, 0)
    group_routes = old.group_routes.copy()
    group_routes[gs] = small.group_routes + n_r
    # slot resources, group after group (each in slot order): the kept groups' as they were, small's
    old_count = np.diff(old.res_ptr).reshape(G, old.K)
    small_count = np.diff(small.res_ptr).reshape(len(gs), small.K)
    count = np.zeros((G, K), dtype=np.int64)
    count[~replaced, :old.K] = old_count[~replaced]
    count[gs, :small.K] = small_count
    old_entry_group = np.repeat(np.arange(G), old_count.sum(axis=1))
    kept = ~replaced[old_entry_group]
    order = np.argsort(np.r_[old_entry_group[kept], np.repeat(gs, small_count.sum(axis=1))], kind="stable")
    # routes: old's then small's
    routes = old.routes + small.routes
    width = max(old.route_lanes.shape[1], small.route_lanes.shape[1])
    route_lanes = np.vstack([np.pad(t.route_lanes, [(0, 0), (0, width - t.route_lanes.shape[1])], constant_values=-1)
                             for t in (old, small)])
    r_first, r_bonded = np.r_[old.route_first, small.route_first], np.r_[old.route_bonded, small.route_bonded]
    rc = route_costs(network, routes, lane_cls, route_lanes, r_first, r_bonded)
    is_open = np.r_[open_routes(network, old.route_lanes) & old.route_open, small.route_open]
    has_jit, has_bonded = pair_kinds(r_bonded, is_open, group_routes)
    arrays = ScheduleArrays.concat([old.schedule_arrays, small.schedule_arrays.select(fresh)])
    schedule_ids = dict(old.schedule_ids)
    for key, (a, b) in small.schedule_ids.items():  # (a route with no schedule has an empty range)
        first = int(sched_of[a]) if b > a else 0
        schedule_ids.setdefault(key, (first, first + b - a))
    valid = route >= 0
    n_div = old.kgcoef.shape[0]
    repriced = np.r_[repriced_routes(old.rc, rc, n_div),
                     np.zeros(len(small.routes), dtype=bool)]  # small's routes: only in replaced groups
    redo = replaced | groups_using(route, repriced)
    fixed, storage = np.zeros((G, K)), np.zeros((G, K))
    kgcoef = np.zeros((n_div, G, K))
    fixed[~redo, :old.K], storage[~redo, :old.K] = old.fixed[~redo], old.storage[~redo]
    kgcoef[:, ~redo, :old.K] = old.kgcoef[:, ~redo]
    fixed[redo], storage[redo], kgcoef[:, redo] = cost_grids(route[redo], rc, n_div)
    if len(arrays.delivery):
        delivery, n_res = arrays.delivery[sched], np.diff(arrays.res_ptr)[sched]
    else:  # no schedule at all (so no slot either)
        delivery, n_res = np.zeros((G, K), dtype=np.int64), np.zeros((G, K), dtype=np.int64)
    group_cut = _spliced_cut(old, small, gs)
    # the groups still cut are counted from the spliced flags (the re-enumerated ones replaced the old)
    n_cut = 0 if group_cut is None else int(group_cut.sum())
    merged = old.enumeration.merged(small.enumeration)
    enumeration = replace(merged, groups_cut=n_cut, timed_out=merged.timed_out and n_cut > 0)
    return OptionTable(
        epoch=old.epoch, routes=routes, schedules=old.schedules + [small.schedules[i] for i in fresh.tolist()],
        group_of=old.group_of, group_day=old.group_day, group_market=old.group_market, route=route, sched=sched,
        delivery=np.where(valid, delivery, 0), bonded_node=np.where(valid, r_bonded[route], -1),
        fixed=fixed, storage=storage, kgcoef=kgcoef, free=~valid | (n_res == 0),
        res_ptr=np.r_[0, np.cumsum(count.ravel())], res_key=np.r_[old.res_key[kept], small.res_key][order],
        res_div=np.r_[old.res_div[kept], small.res_div][order], has_jit=has_jit, has_bonded=has_bonded,
        group_pair=old.group_pair, route_lanes=route_lanes, rc=rc, route_first=r_first, route_bonded=r_bonded,
        route_open=is_open, route_names=old.route_names + small.route_names, schedule_ids=schedule_ids,
        schedule_arrays=arrays, schedule_from=np.r_[np.arange(n_s), np.full(len(fresh), -1)],
        group_routes=group_routes, group_cut=group_cut, enumeration=enumeration), redo


def _spliced_cut(old: OptionTable, small: OptionTable, gs: np.ndarray) -> np.ndarray | None:
    """``group_cut`` of ``old`` with its groups ``gs`` replaced by ``small``'s."""
    if old.group_cut is None and small.group_cut is None:
        return None
    cut = np.zeros(len(old.group_day), dtype=bool) if old.group_cut is None else old.group_cut.copy()
    cut[gs] = False if small.group_cut is None else small.group_cut
    return cut if cut.any() else None


_DAY_BITS = 21  # group keys: pair × 2^21 + (order day + 2^20)


def group_keys(pair: np.ndarray, day: np.ndarray) -> np.ndarray:
    return pair.astype(np.int64) * (1 << _DAY_BITS) + (day.astype(np.int64) + (1 << (_DAY_BITS - 1)))


def find_groups(table: OptionTable, shipments: Shipments, order_day: np.ndarray, n_nodes: int) -> np.ndarray:
    """Each shipment's group in ``table`` (by origin, destination and order day); -1 where it has none."""
    want = group_keys(shipments.origin.astype(np.int64) * n_nodes + shipments.destination, order_day)
    return index_in(group_keys(table.group_pair, table.group_day), want)


def pair_kinds(route_bonded: np.ndarray, route_open: np.ndarray,
               group_routes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: whether its pair has an open JIT route, and an open bonded route (timing aside);
    the pair's routes are ``group_routes[g, 0]:group_routes[g, 1]``."""
    bonded = route_bonded >= 0
    cum_jit = np.r_[0, np.cumsum(route_open & ~bonded)]
    cum_bonded = np.r_[0, np.cumsum(route_open & bonded)]
    lo, hi = group_routes[:, 0], group_routes[:, 1]
    return cum_jit[hi] > cum_jit[lo], cum_bonded[hi] > cum_bonded[lo]


def cost_grids(route: np.ndarray, rc: RouteCosts, n_div: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost coefficients of the slots of ``route`` (route index per slot, -1 empty; any shape): per
    parcel, per kg of actual weight, and per chargeable kg in each of the ``n_div`` divisor columns
    (a leading axis, one contiguous grid per column); 0 on empty slots (currency)."""
    valid = route >= 0
    r = np.maximum(route, 0)
    kgcoef = np.where(valid, np.moveaxis(rc.per_kg[r][..., :n_div], -1, 0), 0.0)
    return np.where(valid, rc.fixed[r], 0.0), np.where(valid, rc.storage_per_kg[r], 0.0), np.ascontiguousarray(kgcoef)


def open_routes(network: Network, route_lanes: np.ndarray) -> np.ndarray:
    """Per route (lanes as in :attr:`OptionTable.route_lanes`): every lane and node on it is open."""
    closed_node = {n.id for n in network.nodes if n.closed}
    lane_closed = np.array([ln.closed or ln.origin in closed_node or ln.dest in closed_node for ln in network.lanes]
                           + [False])  # the padding (-1) reads the trailing False
    return ~lane_closed[route_lanes].any(axis=1)


def repriced_routes(old: RouteCosts, new: RouteCosts, n_div: int) -> np.ndarray:
    """Per route of ``old`` (the first routes of ``new`` are the same ones): its per-parcel, storage
    or per-kg cost coefficients (in the first ``n_div`` chargeable-kg columns) differ in ``new``."""
    n = len(old.fixed)
    return ((new.fixed[:n] != old.fixed) | (new.storage_per_kg[:n] != old.storage_per_kg)
            | (new.per_kg[:n, :n_div] != old.per_kg[:, :n_div]).any(axis=1))


def groups_using(route: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Per group of a slot grid ``route`` (route index per slot, -1 empty): some slot's route is ``marked``."""
    if not len(marked):
        return np.zeros(len(route), dtype=bool)
    return ((route >= 0) & marked[np.maximum(route, 0)]).any(axis=1)


def reprice_table(table: OptionTable, network: Network, lane_cls: np.ndarray,
                  group_of: np.ndarray) -> tuple[OptionTable, np.ndarray]:
    """``table`` for an edited network with the same routes and schedules (same topology, timing and
    capacitated flags; lanes or nodes may have closed): cost grids recomputed where a route's costs
    changed, slots of routes through anything closed emptied, shipments pointed at their groups by
    ``group_of``.

    Returns (the table, per group: some slot's costs or availability changed)."""
    routes = table.routes
    rc = route_costs(network, routes, lane_cls, table.route_lanes, table.route_first, table.route_bonded)
    is_open = open_routes(network, table.route_lanes)
    n_div = table.kgcoef.shape[0]
    changed_route = repriced_routes(table.rc, rc, n_div) | (is_open != table.route_open)
    r = np.maximum(table.route, 0)
    changed = groups_using(table.route, changed_route)
    has_jit, has_bonded = pair_kinds(table.route_bonded, is_open, table.group_routes)
    changed |= (has_jit != table.has_jit) | (has_bonded != table.has_bonded)
    out = replace(table, group_of=group_of, rc=rc, route_open=is_open, has_jit=has_jit, has_bonded=has_bonded)
    g = np.flatnonzero(changed)
    if not len(g):
        return out, changed
    fixed, storage, kgcoef = table.fixed.copy(), table.storage.copy(), table.kgcoef.copy()
    kept = np.where((table.route[g] >= 0) & is_open[r[g]], table.route[g], -1)
    route = table.route
    if (kept != route[g]).any():  # slots through something closed: emptied
        route = route.copy()
        route[g] = kept
    fixed[g], storage[g], kgcoef[:, g] = cost_grids(route[g], rc, n_div)
    return replace(out, route=route, fixed=fixed, storage=storage, kgcoef=kgcoef), changed


def with_extra_slots(table: OptionTable, network: Network, group: np.ndarray, route: np.ndarray,
                     schedules: list[Schedule]) -> tuple[OptionTable, np.ndarray, np.ndarray]:
    """``table`` with one more option for some groups: new group ``j`` copies group ``group[j]`` and adds
    the slot (route ``route[j]``, schedule ``schedules[j]``) in its first empty place (the grids grow a
    column if a group is full). The new groups come after the old ones (same pair and order day) and
    the new schedules after the old ones; what enumeration did not keep, e.g. a booked departure that
    another one dominates, is an option of only the shipments moved to those groups.

    Returns (the table, each new group's index, its new slot's k)."""
    G, K, n = len(table.group_day), table.K, len(group)
    n_sched = len(table.schedules)
    empty = table.route[group] < 0
    place = np.where(empty.any(axis=1), empty.argmax(axis=1), K)
    K2 = max(K, int(place.max(initial=-1)) + 1)

    def grown(grid: np.ndarray, fill: object, new: np.ndarray) -> np.ndarray:
        """``grid`` (G, K) widened to K2 with ``fill``, the new groups' rows (old row, then ``new`` at ``place``)."""
        out = np.full((G + n, K2), fill, dtype=grid.dtype)
        out[:G, :K] = grid
        out[G:, :K] = grid[group]
        out[G + np.arange(n), place] = new
        return out

    s_arr = ScheduleArrays.of(schedules)
    lane_cls = lane_divclasses(network)
    n_div = table.kgcoef.shape[0]
    fixed, storage, kgcoef = cost_grids(route, table.rc, n_div)
    kg_new = np.zeros((n_div, G + n, K2))
    kg_new[:, :G, :K] = table.kgcoef
    kg_new[:, G:, :K] = table.kgcoef[:, group]
    kg_new[:, G + np.arange(n), place] = kgcoef
    # slot resources, group after group in k order: the old groups' as they were, then each new group's
    old_count = np.diff(table.res_ptr).reshape(G, K)
    count = np.zeros((G + n, K2), dtype=np.int64)
    count[:G, :K] = old_count
    count[G:, :K] = old_count[group]
    count[G + np.arange(n), place] = np.diff(s_arr.res_ptr)
    keys, divs = [table.res_key], [table.res_div]
    for j in range(n):
        g, k = int(group[j]), int(place[j])
        lo, mid, hi = (int(table.res_ptr[g * K + x]) for x in (0, min(k, K), K))
        own = slice(int(s_arr.res_ptr[j]), int(s_arr.res_ptr[j + 1]))
        key, div = slot_rows(s_arr.res_kind[own], s_arr.res_ident[own], s_arr.res_off[own] + table.group_day[g],
                             lane_cls)
        keys += [table.res_key[lo:mid], key, table.res_key[mid:hi]]
        divs += [table.res_div[lo:mid], div, table.res_div[mid:hi]]
    return replace(
        table, schedules=table.schedules + list(schedules),
        group_day=np.r_[table.group_day, table.group_day[group]],
        group_market=np.r_[table.group_market, table.group_market[group]],
        group_pair=np.r_[table.group_pair, table.group_pair[group]],
        group_routes=np.vstack([table.group_routes, table.group_routes[group]]),
        has_jit=np.r_[table.has_jit, table.has_jit[group]], has_bonded=np.r_[table.has_bonded, table.has_bonded[group]],
        group_cut=None if table.group_cut is None else np.r_[table.group_cut, table.group_cut[group]],
        route=grown(table.route, -1, route), sched=grown(table.sched, 0, n_sched + np.arange(n)),
        delivery=grown(table.delivery, 0, s_arr.delivery), bonded_node=grown(table.bonded_node, -1,
                                                                              table.route_bonded[route]),
        fixed=grown(table.fixed, 0.0, fixed), storage=grown(table.storage, 0.0, storage), kgcoef=kg_new,
        free=grown(table.free, True, np.diff(s_arr.res_ptr) == 0),
        res_ptr=np.r_[0, np.cumsum(count.ravel())], res_key=np.concatenate(keys), res_div=np.concatenate(divs),
        schedule_arrays=ScheduleArrays.concat([table.schedule_arrays, s_arr]),
        schedule_from=np.r_[table.schedule_from, np.full(n, -1, dtype=np.int64)],
    ), G + np.arange(n), place

"""Departure schedules of a route's timed legs (the timing rules of docs/rules.md).

A schedule fixes a departure day for every timed leg, as offsets (days) from the order day. Only
capacitated lane departures and node-days are *resources*; a leg that is uncapacitated and ends at
an uncapacitated node only ever needs its first departure (a later one is dominated: same
resources, later readiness downstream). Schedules of one route are pruned by dominance: A beats B
when A delivers no later and uses a subset of B's resources.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..arrays import concat_ranges
from ..data.network import Network
from .keys import RES_LANE, RES_NODE


@dataclass(frozen=True)
class Schedule:
    """Departure offsets (days after the order day) of the timed legs, delivery offset, resources.

    ``resources`` holds ``(kind, id, offset)``: kind RES_LANE with a lane index and departure
    offset, or RES_NODE with a node index and the offset of the day the parcel counts there.
    """

    departures: tuple[int, ...]
    delivery: int
    resources: tuple[tuple[int, int, int], ...]


def capacitated(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Per lane, whether its departures have a kg limit; per node, whether its days have a parcel limit."""
    return (np.array([ln.capacity_kg_per_departure is not None for ln in network.lanes], dtype=bool),
            np.array([n.capacity_parcels_per_day is not None for n in network.nodes], dtype=bool))


def _departs(departures: tuple[bool, ...], weekday: int) -> bool:
    return departures[weekday % 7]


def enumerate_schedules(network: Network, timed_lanes: tuple[int, ...], timed_nodes: tuple[int, ...],
                        weekday: int, horizon_days: int, waiting_days: int | None,
                        lane_cap: np.ndarray, node_cap: np.ndarray,
                        cap: int | None = None) -> tuple[list[Schedule], bool]:
    """Non-dominated schedules for an order placed on ``weekday`` (0 = Monday), and whether ``cap`` cut
    them: at most ``cap`` schedules are enumerated (before pruning), earliest departures first.

    Every departure must be at most ``horizon_days`` after the order day; at each leg the parcel
    may wait up to ``waiting_days`` after the first feasible departure (None: up to the horizon).
    """
    nodes, lanes = network.nodes, network.lanes
    first = timed_nodes[0]
    start_res: list[tuple[int, int, int]] = [(RES_NODE, first, 0)] if node_cap[first] else []
    out: list[Schedule] = []
    deps: list[int] = []
    res: list[tuple[int, int, int]] = list(start_res)
    cut = [False]

    def leg(k: int, ready: int) -> None:
        if k == len(timed_lanes) or cut[0]:
            return
        lane_idx = timed_lanes[k]
        lane = lanes[lane_idx]
        nxt = timed_nodes[k + 1]
        first_dep = next((d for d in range(ready, horizon_days + 1) if _departs(lane.departures, weekday + d)),
                         None)
        if first_dep is None:
            return
        free = not lane_cap[lane_idx] and not node_cap[nxt]
        last = first_dep if free else horizon_days
        if waiting_days is not None:
            last = min(last, first_dep + waiting_days)
        for d in range(first_dep, last + 1):
            if cap is not None and len(out) >= cap:
                cut[0] = True
                return
            if not _departs(lane.departures, weekday + d):
                continue
            arrival = d + lane.transit_days
            added = 0
            if lane_cap[lane_idx]:
                res.append((RES_LANE, lane_idx, d))
                added += 1
            if node_cap[nxt]:
                res.append((RES_NODE, nxt, arrival))
                added += 1
            deps.append(d)
            if k + 1 == len(timed_lanes):
                out.append(Schedule(tuple(deps), arrival, tuple(res)))
            else:
                leg(k + 1, arrival + nodes[nxt].handling_days)
            deps.pop()
            del res[len(res) - added:]

    leg(0, nodes[first].handling_days)
    return prune_dominated(out), cut[0]


def prune_dominated(schedules: list[Schedule]) -> list[Schedule]:
    """Drop schedules that deliver no earlier than another while using a superset of its resources."""
    order = sorted(range(len(schedules)), key=lambda i: (schedules[i].delivery, len(schedules[i].resources), i))
    kept: list[tuple[int, frozenset]] = []
    for i in order:
        s = schedules[i]
        rs = frozenset(s.resources)
        if any(k_rs <= rs for _, k_rs in kept):
            continue
        kept.append((i, rs))
    return [schedules[i] for i, _ in sorted(kept)]


@dataclass(frozen=True, eq=False)
class ScheduleArrays:
    """Schedules as flat arrays: per schedule its delivery and first timed departure (days after the
    order day, 0 without timed legs); its resources are entries ``res_ptr[i]:res_ptr[i + 1]`` of
    ``res_kind``, ``res_ident``, ``res_off`` (as in :attr:`Schedule.resources`)."""

    delivery: np.ndarray
    dispatch: np.ndarray
    res_ptr: np.ndarray
    res_kind: np.ndarray
    res_ident: np.ndarray
    res_off: np.ndarray

    @classmethod
    def of(cls, schedules: list[Schedule]) -> ScheduleArrays:
        res = [r for s in schedules for r in s.resources]
        kind, ident, off = (np.array(c, dtype=np.int64) for c in zip(*res, strict=True)) if res else \
            (np.zeros(0, dtype=np.int64),) * 3
        return cls(delivery=np.array([s.delivery for s in schedules], dtype=np.int64),
                   dispatch=np.array([s.departures[0] if s.departures else 0 for s in schedules], dtype=np.int64),
                   res_ptr=np.r_[0, np.cumsum([len(s.resources) for s in schedules], dtype=np.int64)],
                   res_kind=kind, res_ident=ident, res_off=off)

    def select(self, idx: np.ndarray) -> ScheduleArrays:
        """The schedules at ``idx``, in that order."""
        count = np.diff(self.res_ptr)[idx]
        pos = concat_ranges(self.res_ptr[idx], count)
        return ScheduleArrays(self.delivery[idx], self.dispatch[idx], np.r_[0, np.cumsum(count)].astype(np.int64),
                              self.res_kind[pos], self.res_ident[pos], self.res_off[pos])

    @classmethod
    def concat(cls, parts: list[ScheduleArrays]) -> ScheduleArrays:
        if not parts:
            return cls.of([])
        counts = [np.diff(p.res_ptr) for p in parts]
        return cls(delivery=np.concatenate([p.delivery for p in parts]),
                   dispatch=np.concatenate([p.dispatch for p in parts]),
                   res_ptr=np.r_[0, np.cumsum(np.concatenate(counts))].astype(np.int64),
                   res_kind=np.concatenate([p.res_kind for p in parts]),
                   res_ident=np.concatenate([p.res_ident for p in parts]),
                   res_off=np.concatenate([p.res_off for p in parts]))


def booked_schedule(network: Network, timed_lanes: tuple[int, ...], timed_nodes: tuple[int, ...], order: dt.date,
                    departures: tuple[int, ...], horizon_days: int, lane_cap: np.ndarray,
                    node_cap: np.ndarray) -> Schedule | str:
    """The schedule of given ``departures`` (days after the ``order`` date, one per timed leg), by the timing
    rules of :func:`enumerate_schedules` but with no waiting window and no dominance (a booked departure
    stands as booked); or why it breaks a rule."""
    nodes, lanes = network.nodes, network.lanes
    first = timed_nodes[0]
    res: list[tuple[int, int, int]] = [(RES_NODE, first, 0)] if node_cap[first] else []
    ready, arrival = nodes[first].handling_days, 0

    def day(offset: int) -> str:
        date = order + dt.timedelta(days=offset)
        return f"{date} ({date.strftime('%a')})"

    for lane_idx, nxt, d in zip(timed_lanes, timed_nodes[1:], departures, strict=True):
        lane = lanes[lane_idx]
        if d < ready:
            return f"lane {lane.id} departs {day(d)}, before the parcel is ready for it on {day(ready)}"
        if d > horizon_days:
            return f"lane {lane.id} departs {day(d)}, beyond the horizon ({horizon_days} days after the order)"
        if not _departs(lane.departures, order.weekday() + d):
            return f"lane {lane.id} does not depart on {day(d)}"
        arrival = d + lane.transit_days
        if lane_cap[lane_idx]:
            res.append((RES_LANE, lane_idx, d))
        if node_cap[nxt]:
            res.append((RES_NODE, nxt, arrival))
        ready = arrival + nodes[nxt].handling_days
    return Schedule(tuple(departures), arrival, tuple(res))

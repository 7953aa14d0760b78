"""Route enumeration (docs/rules.md): simple paths factory → … → market of kind JIT or bonded.

A JIT route passes only hubs and gateways; a bonded route passes exactly one bonded warehouse
(the legs before it are replenishment, the legs from it on are fulfilment, the *timed* legs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.network import Network

_PASSABLE = {"hub", "gateway"}
_VIA = _PASSABLE | {"bonded"}  # kinds a route may pass


@dataclass(frozen=True)
class Route:
    """One path: ``lanes`` index ``Network.lanes``; ``nodes`` index ``Network.nodes`` (len = legs + 1).

    ``bonded_pos`` is the position of the bonded node in ``nodes`` (-1 for JIT); the timed legs are
    ``lanes[first_timed:]``.
    """

    lanes: tuple[int, ...]
    nodes: tuple[int, ...]
    bonded_pos: int

    @property
    def bonded(self) -> bool:
        return self.bonded_pos >= 0

    @property
    def first_timed(self) -> int:
        return max(self.bonded_pos, 0)

    @property
    def bonded_node(self) -> int:
        return self.nodes[self.bonded_pos] if self.bonded else -1


@dataclass(frozen=True, eq=False)
class RouteSearch:
    """The routes of one (origin, market) pair, and whether the search was cut: ``legs_capped``, a
    longer route may exist beyond the leg limit; ``truncated``, more routes exist than the cap kept."""

    routes: list[Route]
    legs_capped: bool = False
    truncated: bool = False


def enumerate_routes(network: Network, origin: int, destination: int, max_legs: int,
                     cap: int | None = None) -> RouteSearch:
    """All JIT and bonded routes from ``origin`` to ``destination`` with at most ``max_legs`` legs (the
    first ``cap`` of them, if given).

    Deterministic order: depth-first in the order lanes appear in the network file.
    """
    nodes, index = network.nodes, network.node_index
    target = nodes[destination].id
    out: list[Route] = []
    successors = network.adjacency.__getitem__
    capped = [False, False]  # legs capped, truncated

    path_nodes = [origin]
    path_lanes: list[int] = []
    on_path = {origin}

    def leads_on(node_id: str) -> bool:
        """From here (at the leg limit) a longer route could go on: to the target or towards it."""
        reaches = network.reaching(target)
        return any(index[nxt] not in on_path and (nxt == target or (nodes[index[nxt]].kind in _VIA and nxt in reaches))
                   for _, nxt in successors(node_id))

    def dfs(node_id: str, bonded_pos: int) -> None:
        if len(path_lanes) >= max_legs:
            if not capped[0] and leads_on(node_id):
                capped[0] = True
            return
        for lane_idx, nxt in successors(node_id):
            if cap is not None and len(out) >= cap:
                capped[1] = True
                return
            j = index[nxt]
            if j in on_path:
                continue
            kind = nodes[j].kind
            if nxt == target:
                out.append(Route(tuple(path_lanes) + (lane_idx,), tuple(path_nodes) + (j,), bonded_pos))
                continue
            if kind == "bonded":
                if bonded_pos >= 0:
                    continue
                new_bonded = len(path_nodes)
            elif kind in _PASSABLE:
                new_bonded = bonded_pos
            else:
                continue
            path_nodes.append(j)
            path_lanes.append(lane_idx)
            on_path.add(j)
            dfs(nxt, new_bonded)
            on_path.discard(j)
            path_lanes.pop()
            path_nodes.pop()

    dfs(nodes[origin].id, -1)
    return RouteSearch(out, legs_capped=capped[0], truncated=capped[1])


@dataclass(frozen=True, eq=False)
class RouteCosts:
    """Per-route cost coefficients (currency): per parcel, per kg of actual weight, per chargeable kg."""

    parcel: np.ndarray  # Σ lane cost_per_parcel, per route
    handling: np.ndarray  # Σ node handling_cost, per route
    storage_per_kg: np.ndarray  # storage_cost_per_kg_day × dwell_days of the bonded node (0 for JIT)
    per_kg: np.ndarray  # (routes, divisor columns): Σ lane cost_per_kg by the lane's chargeable-kg column

    @property
    def fixed(self) -> np.ndarray:
        """Per-parcel part: transport per parcel plus handling."""
        return self.parcel + self.handling


def padded_lanes(routes: list[Route]) -> np.ndarray:
    """(routes, longest route) lane indices, -1 past each route's end."""
    out = np.full((len(routes), max((len(r.lanes) for r in routes), default=1)), -1, dtype=np.int64)
    for i, r in enumerate(routes):
        out[i, :len(r.lanes)] = r.lanes
    return out


def route_costs(network: Network, routes: list[Route], lane_divclass: np.ndarray,
                route_lanes: np.ndarray | None = None, first: np.ndarray | None = None,
                bonded: np.ndarray | None = None) -> RouteCosts:
    """Cost coefficients of ``routes``; ``lane_divclass`` maps each lane to its chargeable-kg column.

    If at hand (an option table keeps them): ``route_lanes``, the routes' lanes padded with -1;
    ``first``, each route's first node; ``bonded``, its bonded node (-1 for JIT)."""
    n = max(len(routes), 1)
    n_div = int(lane_divclass.max(initial=0)) + 1
    if route_lanes is None:
        route_lanes = padded_lanes(routes)
    lanes, nodes = network.lanes, network.nodes
    index = network.node_index
    # per lane (one extra zero entry that the -1 padding reads)
    lane_parcel = np.array([ln.cost_per_parcel for ln in lanes] + [0.0])
    lane_kg = np.array([ln.cost_per_kg for ln in lanes] + [0.0])
    lane_dest = np.array([index[ln.dest] for ln in lanes] + [-1], dtype=np.int64)
    node_handling = np.array([nd.handling_cost for nd in nodes] + [0.0])
    parcel, handling, storage = np.zeros(n), np.zeros(n), np.zeros(n)
    per_kg = np.zeros((n, n_div))
    if len(routes):
        on = route_lanes >= 0
        parcel[:len(routes)] = lane_parcel[route_lanes].sum(axis=1)
        cls = np.where(on, np.append(lane_divclass, 0)[route_lanes], 0)
        kg = lane_kg[route_lanes]
        for d in range(n_div):  # adding the zeros of other columns changes no bit of the path-order sum
            per_kg[:len(routes), d] = np.where(on & (cls == d), kg, 0.0).sum(axis=1)
        if first is None:
            first = np.array([r.nodes[0] for r in routes], dtype=np.int64)
        # summed in path order, as a running total would (the same floats to the last bit)
        handling[:len(routes)] = np.column_stack([node_handling[first],
                                                  node_handling[lane_dest[route_lanes]]]).sum(axis=1)
        if bonded is None:
            bonded = np.array([r.bonded_node for r in routes], dtype=np.int64)
        stored = np.array([nd.storage_cost_per_kg_day * nd.dwell_days for nd in nodes] + [0.0])
        storage[:len(routes)] = stored[bonded]
    return RouteCosts(parcel=parcel, handling=handling, storage_per_kg=storage, per_kg=per_kg)

"""Route enumeration (DESIGN.md §3): simple paths factory → … → market of kind JIT or bonded.

A JIT route passes only hubs and gateways; a bonded route passes exactly one bonded warehouse
(the legs before it are replenishment, the legs from it on are fulfilment, the *timed* legs).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from .network import Network

_PASSABLE = {"hub", "gateway"}


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


def enumerate_routes(network: Network, graph: nx.MultiDiGraph, origin: int, destination: int,
                     max_legs: int) -> list[Route]:
    """All JIT and bonded routes from ``origin`` to ``destination`` with at most ``max_legs`` legs.

    Deterministic order: depth-first in the order lanes appear in the network file.
    """
    nodes, index = network.nodes, network.node_index
    target = nodes[destination].id
    out: list[Route] = []
    adjacency = _adjacency(network, graph)

    def successors(node_id: str) -> list[tuple[int, str]]:
        return adjacency[node_id]

    path_nodes = [origin]
    path_lanes: list[int] = []
    on_path = {origin}

    def dfs(node_id: str, bonded_pos: int) -> None:
        if len(path_lanes) >= max_legs:
            return
        for lane_idx, nxt in successors(node_id):
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
    return out


_ADJACENCY: dict[int, tuple[nx.MultiDiGraph, dict[str, list[tuple[int, str]]]]] = {}


def _adjacency(network: Network, graph: nx.MultiDiGraph) -> dict[str, list[tuple[int, str]]]:
    """Out-lanes of every node as (lane index, next node id), in file order; cached per graph."""
    cached = _ADJACENCY.get(id(graph))
    if cached is not None and cached[0] is graph:
        return cached[1]
    lane_order = network.lane_index
    adj = {n: sorted(((lane_order[k], v) for _, v, k in graph.out_edges(n, keys=True)), key=lambda e: e[0])
           for n in graph.nodes}
    _ADJACENCY.clear()
    _ADJACENCY[id(graph)] = (graph, adj)
    return adj


@dataclass(frozen=True, eq=False)
class RouteCosts:
    """Per-route cost coefficients (currency): parcel-independent part and per-kg lane rates."""

    fixed: np.ndarray  # Σ lane cost_per_parcel + Σ node handling_cost, per route
    handling: np.ndarray  # Σ node handling_cost, per route
    storage_per_kg: np.ndarray  # storage_cost_per_kg_day × dwell_days of the bonded node (0 for JIT)


def route_costs(network: Network, routes: list[Route]) -> RouteCosts:
    handling = np.array([sum(network.nodes[n].handling_cost for n in r.nodes) for r in routes])
    parcel = np.array([sum(network.lanes[ln].cost_per_parcel for ln in r.lanes) for r in routes])
    storage = np.array([
        network.nodes[r.bonded_node].storage_cost_per_kg_day * network.nodes[r.bonded_node].dwell_days
        if r.bonded else 0.0 for r in routes
    ])
    return RouteCosts(fixed=handling + parcel, handling=handling, storage_per_kg=storage)

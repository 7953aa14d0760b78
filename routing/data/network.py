"""The network: nodes (factories, hubs, gateways, bonded warehouses, markets) and lanes.

``load_network`` reads the YAML/JSON file of docs/inputs.md into a frozen :class:`Network`;
``Network.graph()`` gives the networkx ``MultiDiGraph`` view used for route enumeration.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from ..errors import InputError
from .documents import Fields, parse_date, read_document
from .limits import NETWORK_RANGES, date_problem, id_problem, show
from .tables import atomic_write_bytes

NODE_KINDS = ("factory", "hub", "gateway", "bonded", "market")
LANE_MODES = ("truck", "air", "sea", "rail", "express", "last_mile")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAILY = (True,) * 7

_NODE_FIELDS = {
    "id", "kind", "country", "lat", "lon", "handling_days", "handling_cost", "capacity_parcels_per_day",
    "storage_cost_per_kg_day", "dwell_days", "promise_days", "on_time_target", "late_penalty_per_day",
    "duty_rate", "de_minimis", "name", "timezone",
}
_LANE_FIELDS = {
    "from", "to", "mode", "id", "transit_days", "departures", "cost_per_kg", "cost_per_parcel",
    "volumetric_divisor", "capacity_kg_per_departure",
}


@dataclass(frozen=True)
class Node:
    """A place parcels pass. Costs in currency per parcel, days are whole days."""

    id: str
    kind: str
    country: str = ""
    lat: float | None = None
    lon: float | None = None
    handling_days: int = 0
    handling_cost: float = 0.0
    capacity_parcels_per_day: int | None = None
    # bonded warehouses
    storage_cost_per_kg_day: float = 0.0
    dwell_days: float = 0.0
    # markets
    promise_days: int = 5
    on_time_target: float | None = None
    late_penalty_per_day: float = 0.0
    duty_rate: float = 0.0
    de_minimis: float | None = None
    timezone: str | None = None  # IANA name (e.g. Asia/Shanghai): a factory's orders' local dates; None: UTC
    closed: bool = False  # a what-if: no route passes a closed node


@dataclass(frozen=True)
class Lane:
    """A transport service between two nodes; ``departures[k]`` is True if it leaves on weekday k (Mon=0)."""

    id: str
    origin: str
    dest: str
    mode: str
    transit_days: int = 0
    departures: tuple[bool, ...] = DAILY
    cost_per_kg: float = 0.0
    cost_per_parcel: float = 0.0
    volumetric_divisor: float | None = None
    capacity_kg_per_departure: float | None = None
    closed: bool = False  # a what-if: a closed lane carries nothing

    @property
    def daily(self) -> bool:
        return all(self.departures)


@dataclass(frozen=True)
class Network:
    """Nodes and lanes of the logistics network; ``epoch`` is day 0 of the plan (None: earliest order)."""

    nodes: tuple[Node, ...]
    lanes: tuple[Lane, ...]
    epoch: dt.date | None = None
    source: str = field(default="<network>", compare=False)
    currency: str | None = field(default=None, compare=False)  # the file's label for its money (not converted)

    @cached_property
    def node_index(self) -> dict[str, int]:
        return {n.id: i for i, n in enumerate(self.nodes)}

    @cached_property
    def lane_index(self) -> dict[str, int]:
        return {ln.id: i for i, ln in enumerate(self.lanes)}

    @cached_property
    def adjacency(self) -> dict[str, list[tuple[int, str]]]:
        """Open out-lanes of every node as (lane index, next node id), in file order (from :meth:`graph`)."""
        g = self._open_graph
        lane = self.lane_index
        return {n: sorted(((lane[k], v) for _, v, k in g.out_edges(n, keys=True)), key=lambda e: e[0])
                for n in g.nodes}

    @cached_property
    def _open_graph(self) -> nx.MultiDiGraph:
        return self.graph()

    @cached_property
    def _reaching(self) -> dict[str, frozenset[str]]:
        return {}

    def reaching(self, node_id: str) -> frozenset[str]:
        """The nodes an open-lane path leads from to ``node_id`` (worked out once per node)."""
        if node_id not in self._reaching:
            self._reaching[node_id] = frozenset(nx.ancestors(self._open_graph, node_id))
        return self._reaching[node_id]

    def node(self, node_id: str) -> Node:
        return self.nodes[self.node_index[node_id]]

    def lane(self, lane_id: str) -> Lane:
        return self.lanes[self.lane_index[lane_id]]

    def ids_of_kind(self, kind: str) -> list[str]:
        return [n.id for n in self.nodes if n.kind == kind]

    def graph(self) -> nx.MultiDiGraph:
        """A ``MultiDiGraph`` of what is open: node attributes are the :class:`Node`, edge key is the
        lane id. Closed nodes keep their vertex (shipments may name them) but lose every lane."""
        g = nx.MultiDiGraph()
        for n in self.nodes:
            g.add_node(n.id, node=n, kind=n.kind)
        closed = {n.id for n in self.nodes if n.closed}
        for ln in self.lanes:
            if not ln.closed and ln.origin not in closed and ln.dest not in closed:
                g.add_edge(ln.origin, ln.dest, key=ln.id, lane=ln, mode=ln.mode)
        return g


# --------------------------------------------------------------------------- loading


def _parse_departures(f: Fields) -> tuple[bool, ...]:
    value = f.data.get("departures", "daily")
    if value is None or (isinstance(value, str) and value.strip().lower() == "daily"):
        return DAILY
    if isinstance(value, str):
        value = [v.strip() for v in value.replace(";", ",").split(",")]
    if not isinstance(value, list) or not value:
        f.fail("departures", f"must be 'daily' or a non-empty list of weekdays, got {show(value)}")
    days = [False] * 7
    for v in value:
        name = str(v).strip().lower()
        key = name[:3]
        if key not in WEEKDAYS or len(name) < 3 or not _DAY_NAMES[WEEKDAYS.index(key)].startswith(name):
            f.fail("departures", f"unknown weekday {show(v)} (use mon, tue, wed, thu, fri, sat, sun)")
        days[WEEKDAYS.index(key)] = True
    return tuple(days)


def _ranged(f: Fields, name: str, default: Any, **kw: Any) -> Any:
    """A number field within its range (docs/inputs.md#limits)."""
    lo, hi = NETWORK_RANGES[name]
    return f.number(name, default, minimum=lo, maximum=hi, **kw)


def _ident(f: Fields, name: str, default: str | None = None, node: bool = False, lane: bool = False) -> str:
    """An id field, checked against the id rules."""
    value = f.string(name, default)
    if (problem := id_problem(value, node=node, lane=lane)) is not None:
        f.fail(name, problem)
    return value


def _parse_node(source: str, k: int, raw: Any) -> Node:
    if not isinstance(raw, Mapping):
        raise InputError(source, f"nodes[{k + 1}]", f"must be a mapping, got {show(raw)}")
    ident = raw.get("id")
    where = f"node {show(ident)}" if isinstance(ident, str) and ident.strip() else f"nodes[{k + 1}]"
    f = Fields(source, where, raw, _NODE_FIELDS)
    node_id = _ident(f, "id", node=True)
    kind = f.string("kind")
    if kind not in NODE_KINDS:
        f.fail("kind", f"must be one of {', '.join(NODE_KINDS)}, got {show(kind)}")
    country = str(raw.get("country") or "").strip()
    if country and (len(country) != 2 or not country.isalpha()):
        f.fail("country", f"must be an ISO 3166 alpha-2 code, got {show(country)}")
    cap = _ranged(f, "capacity_parcels_per_day", None, integer=True, nullable=True)
    target = _ranged(f, "on_time_target", None, nullable=True)
    return Node(
        id=node_id,
        kind=kind,
        country=country.upper(),
        lat=f.number("lat", None, minimum=-90, maximum=90),
        lon=f.number("lon", None, minimum=-180, maximum=180),
        handling_days=_ranged(f, "handling_days", 0, integer=True),
        handling_cost=_ranged(f, "handling_cost", 0.0),
        capacity_parcels_per_day=cap,
        storage_cost_per_kg_day=_ranged(f, "storage_cost_per_kg_day", 0.0),
        dwell_days=_ranged(f, "dwell_days", 0.0),
        promise_days=_ranged(f, "promise_days", 5, integer=True),
        on_time_target=target,
        late_penalty_per_day=_ranged(f, "late_penalty_per_day", 0.0),
        duty_rate=_ranged(f, "duty_rate", 0.0),
        de_minimis=_ranged(f, "de_minimis", None, nullable=True),
        timezone=_timezone(f),
    )


def _timezone(f: Fields) -> str | None:
    """An IANA time zone name the system's database knows (None when not given)."""
    if f.data.get("timezone") is None:
        return None
    name = f.string("timezone")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        f.fail("timezone", f"must be an IANA time zone name such as Asia/Shanghai or UTC, got {show(name)}")
    return name


def _parse_lane(source: str, k: int, raw: Any, nodes: Mapping[str, Node]) -> Lane:
    if not isinstance(raw, Mapping):
        raise InputError(source, f"lanes[{k + 1}]", f"must be a mapping, got {show(raw)}")
    ident = raw.get("id")
    default_id = f"{raw.get('from')}>{raw.get('to')}:{raw.get('mode')}"
    where = f"lane {show(str(ident if ident not in (None, '') else default_id))}"
    f = Fields(source, where, raw, _LANE_FIELDS)
    origin, dest, mode = f.string("from"), f.string("to"), f.string("mode")
    for name, node_id in (("from", origin), ("to", dest)):
        if node_id not in nodes:
            f.fail(name, f"unknown node {show(node_id)}")
    if origin == dest:
        f.fail("to", "a lane must join two different nodes")
    if mode not in LANE_MODES:
        f.fail("mode", f"must be one of {', '.join(LANE_MODES)}, got {show(mode)}")
    return Lane(
        id=_ident(f, "id", f"{origin}>{dest}:{mode}", lane=True),
        origin=origin,
        dest=dest,
        mode=mode,
        transit_days=_ranged(f, "transit_days", 0, integer=True),
        departures=_parse_departures(f),
        cost_per_kg=_ranged(f, "cost_per_kg", 0.0),
        cost_per_parcel=_ranged(f, "cost_per_parcel", 0.0),
        volumetric_divisor=_ranged(f, "volumetric_divisor", None, nullable=True),
        capacity_kg_per_departure=_ranged(f, "capacity_kg_per_departure", None, nullable=True),
    )


def network_from_dict(data: Any, source: str = "<network>") -> Network:
    """Build and validate a :class:`Network` from the parsed YAML/JSON document."""
    if not isinstance(data, Mapping):
        raise InputError(source, None, "must be a mapping with 'nodes' and 'lanes'")
    unknown = sorted(set(data) - {"epoch", "nodes", "lanes", "name", "currency", "description"})
    if unknown:
        raise InputError(source, None, f"unknown top-level field '{unknown[0]}'")
    epoch = None
    if data.get("epoch") is not None:
        try:
            epoch = parse_date(data["epoch"])
        except (ValueError, TypeError):
            raise InputError(source, "epoch", f"bad date {show(data['epoch'])} (expected YYYY-MM-DD)") from None
        if (problem := date_problem(epoch)) is not None:
            raise InputError(source, "epoch", problem)
    raw_nodes, raw_lanes = data.get("nodes"), data.get("lanes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise InputError(source, "nodes", "must be a non-empty list")
    if raw_lanes is None:
        raw_lanes = []
    if not isinstance(raw_lanes, list):
        raise InputError(source, "lanes", "must be a list")
    nodes: dict[str, Node] = {}
    first: dict[str, int] = {}
    for k, raw in enumerate(raw_nodes):
        node = _parse_node(source, k, raw)
        if node.id in nodes:
            raise InputError(source, f"node '{node.id}'",
                             f"field 'id': duplicate node id (nodes[{k + 1}], first at nodes[{first[node.id]}])")
        nodes[node.id], first[node.id] = node, k + 1
    lanes: dict[str, Lane] = {}
    first.clear()
    for k, raw in enumerate(raw_lanes):
        lane = _parse_lane(source, k, raw, nodes)
        if lane.id in lanes:
            raise InputError(source, f"lane '{lane.id}'",
                             f"field 'id': duplicate lane id (lanes[{k + 1}], first at lanes[{first[lane.id]}])")
        lanes[lane.id], first[lane.id] = lane, k + 1
    currency = data.get("currency")
    if currency is not None and (not isinstance(currency, str) or not currency.strip() or len(currency) > 16):
        raise InputError(source, "currency", f"must be a short label such as EUR or USD, got {show(currency)}")
    return Network(nodes=tuple(nodes.values()), lanes=tuple(lanes.values()), epoch=epoch, source=source,
                   currency=None if currency is None else currency.strip())


def load_network(path: str | Path) -> Network:
    """Read and validate a network file (YAML or JSON, docs/inputs.md)."""
    path = Path(path)
    return network_from_dict(read_document(path), str(path))


def network_to_dict(network: Network) -> dict[str, Any]:
    """The network as a document :func:`network_from_dict` reads back (the file format of docs/inputs.md).

    The format has no closed flag: a closed lane, or one touching a closed node, is left out (it
    carries nothing either way); a closed node stays, without lanes."""
    node_fields = [f for f in Node.__dataclass_fields__ if f != "closed"]
    closed = {n.id for n in network.nodes if n.closed}
    nodes = [{k: getattr(n, k) for k in node_fields if getattr(n, k) != Node.__dataclass_fields__[k].default
              or k in ("id", "kind")} for n in network.nodes]
    lanes = []
    for ln in network.lanes:
        if ln.closed or ln.origin in closed or ln.dest in closed:
            continue
        doc: dict[str, Any] = {"id": ln.id, "from": ln.origin, "to": ln.dest, "mode": ln.mode,
                               "transit_days": ln.transit_days,
                               "departures": "daily" if ln.daily else [d for d, on in zip(WEEKDAYS, ln.departures,
                                                                                          strict=True) if on],
                               "cost_per_kg": ln.cost_per_kg, "cost_per_parcel": ln.cost_per_parcel}
        if ln.volumetric_divisor is not None:
            doc["volumetric_divisor"] = ln.volumetric_divisor
        if ln.capacity_kg_per_departure is not None:
            doc["capacity_kg_per_departure"] = ln.capacity_kg_per_departure
        lanes.append(doc)
    return {**({"epoch": str(network.epoch)} if network.epoch else {}),
            **({"currency": network.currency} if network.currency else {}), "nodes": nodes, "lanes": lanes}


def save_network(network: Network, path: str | Path) -> Path:
    """Write the network as YAML (or JSON for a ``.json`` path), atomically; e.g. a what-if network."""
    path = Path(path)
    doc = network_to_dict(network)
    text = json.dumps(doc, indent=2) if path.suffix == ".json" else yaml.safe_dump(doc, sort_keys=False)
    atomic_write_bytes(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path

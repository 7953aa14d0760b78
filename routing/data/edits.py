"""What-if edits: pure functions that return a new network, shipments table or inventory (public as
:mod:`routing.scenario`).

Nothing is mutated: every edit builds new frozen objects with ``dataclasses.replace``. Arguments
are checked with the same :class:`InputError` messages as loading (source ``scenario``).

    >>> closed = close_node(net, "BE-LGG-BW")
    >>> thin = scale_capacity(net, factor=0.7, lane_from="CN-SZX-HUB", mode="air")
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .network import LANE_MODES, Lane, Network, Node, network_from_dict
from .shipments import Inventory, Shipments

SOURCE = "scenario"
MARKET_FIELDS = ("promise_days", "on_time_target", "late_penalty_per_day", "duty_rate", "de_minimis")


def _fail(where: str, message: str) -> None:
    raise InputError(SOURCE, where, message)


def _node(net: Network, node_id: str, kind: str | None = None) -> Node:
    if node_id not in net.node_index:
        _fail(f"node '{node_id}'", "unknown node")
    node = net.node(node_id)
    if kind is not None and node.kind != kind:
        _fail(f"node '{node_id}'", f"must be a {kind} node, not a {node.kind}")
    return node


def _lane(net: Network, lane_id: str) -> Lane:
    if lane_id not in net.lane_index:
        _fail(f"lane '{lane_id}'", "unknown lane")
    return net.lane(lane_id)


def _number(where: str, name: str, value: Any, *, minimum: float = 0.0, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(where, f"field '{name}': must be a finite number, got {value!r}")
    if positive and value <= 0:
        _fail(where, f"field '{name}': must be > 0, got {value!r}")
    if value < minimum:
        _fail(where, f"field '{name}': must be >= {minimum:g}, got {value!r}")
    return float(value)


def _with_nodes(net: Network, changed: dict[str, Node]) -> Network:
    return replace(net, nodes=tuple(changed.get(n.id, n) for n in net.nodes))


def _with_lanes(net: Network, changed: dict[str, Lane]) -> Network:
    return replace(net, lanes=tuple(changed.get(ln.id, ln) for ln in net.lanes))


def _select_lanes(net: Network, lane: str | None, mode: str | None, lane_from: str | None) -> list[Lane]:
    if lane is not None:
        return [_lane(net, lane)]
    if mode is not None and mode not in LANE_MODES:
        _fail("lanes", f"field 'mode': must be one of {', '.join(LANE_MODES)}, got {mode!r}")
    if lane_from is not None:
        _node(net, lane_from)
    chosen = [ln for ln in net.lanes if (mode is None or ln.mode == mode)
              and (lane_from is None or ln.origin == lane_from)]
    if not chosen:
        _fail("lanes", f"no lane matches mode={mode!r}, from={lane_from!r}")
    return chosen


# --------------------------------------------------------------------------- network edits


def close_node(net: Network, node_id: str) -> Network:
    """No route passes ``node_id`` (a warehouse closes, a gateway stops clearing)."""
    return _with_nodes(net, {node_id: replace(_node(net, node_id), closed=True)})


def reopen_node(net: Network, node_id: str) -> Network:
    return _with_nodes(net, {node_id: replace(_node(net, node_id), closed=False)})


def close_lane(net: Network, lane_id: str) -> Network:
    return _with_lanes(net, {lane_id: replace(_lane(net, lane_id), closed=True)})


def reopen_lane(net: Network, lane_id: str) -> Network:
    return _with_lanes(net, {lane_id: replace(_lane(net, lane_id), closed=False)})


def scale_capacity(net: Network, *, factor: float | None = None, value: float | None = None,
                   lane: str | None = None, mode: str | None = None, lane_from: str | None = None,
                   node: str | None = None) -> Network:
    """Scale (``factor``) or set (``value``) the capacity of a node (parcels/day) or of lanes (kg per
    departure): one ``lane``, or every lane of a ``mode`` and/or leaving ``lane_from``. Scaling an
    uncapacitated lane or node leaves it uncapacitated; setting gives it a capacity."""
    if (factor is None) == (value is None):
        _fail("capacity", "give exactly one of factor and value")
    amount = _number("capacity", "factor" if factor is not None else "value",
                     factor if factor is not None else value)
    if node is not None:
        n = _node(net, node)
        cap = n.capacity_parcels_per_day
        new = (None if cap is None else int(math.floor(cap * amount))) if factor is not None else int(amount)
        return _with_nodes(net, {node: replace(n, capacity_parcels_per_day=new)})
    changed = {}
    for ln in _select_lanes(net, lane, mode, lane_from):
        cap = ln.capacity_kg_per_departure
        new_cap = (None if cap is None else cap * amount) if factor is not None else amount
        changed[ln.id] = replace(ln, capacity_kg_per_departure=new_cap)
    return _with_lanes(net, changed)


def scale_cost(net: Network, factor: float, *, lane: str | None = None, mode: str | None = None,
               lane_from: str | None = None, per_kg: bool = True, per_parcel: bool = True) -> Network:
    """Multiply lane costs (per kg and/or per parcel) by ``factor`` for the selected lanes."""
    f = _number("cost", "factor", factor)
    changed = {ln.id: replace(ln, cost_per_kg=ln.cost_per_kg * f if per_kg else ln.cost_per_kg,
                              cost_per_parcel=ln.cost_per_parcel * f if per_parcel else ln.cost_per_parcel)
               for ln in _select_lanes(net, lane, mode, lane_from)}
    return _with_lanes(net, changed)


def fuel_surcharge(net: Network, share: float) -> Network:
    """Air freight per kg up by ``share`` (0.12 = +12%)."""
    return scale_cost(net, 1.0 + _number("fuel surcharge", "share", share, minimum=-1.0), mode="air",
                      per_parcel=False)


def scale_all_costs(net: Network, factor: float) -> Network:
    """Every cost of the network times ``factor``: lanes, handling, storage, late penalties and duty
    (its rate; the de minimis threshold is a declared value and stays)."""
    f = _number("cost", "factor", factor)
    lanes = tuple(replace(ln, cost_per_kg=ln.cost_per_kg * f, cost_per_parcel=ln.cost_per_parcel * f)
                  for ln in net.lanes)
    nodes = tuple(replace(n, handling_cost=n.handling_cost * f, storage_cost_per_kg_day=n.storage_cost_per_kg_day * f,
                          late_penalty_per_day=n.late_penalty_per_day * f, duty_rate=n.duty_rate * f)
                  for n in net.nodes)
    return replace(net, nodes=nodes, lanes=lanes)


def set_market(net: Network, market: str, **changes: Any) -> Network:
    """Change a market's promise_days, on_time_target, late_penalty_per_day, duty_rate or de_minimis."""
    node = _node(net, market, "market")
    where = f"node '{market}'"
    for name, value in changes.items():
        if name not in MARKET_FIELDS:
            _fail(where, f"field '{name}': not a market setting (use {', '.join(MARKET_FIELDS)})")
        if value is None and name in ("on_time_target", "de_minimis"):
            continue
        _number(where, name, value)
        if name == "promise_days" and float(value) != int(value):
            _fail(where, f"field 'promise_days': must be a whole number, got {value!r}")
        if name == "on_time_target" and value > 1:
            _fail(where, f"field 'on_time_target': must be <= 1, got {value!r}")
    return _with_nodes(net, {market: replace(node, **changes)})


def add_lane(net: Network, **lane: Any) -> Network:
    """A new lane, given as in the network file (``from``, ``to``, ``mode``, …), validated alike."""
    doc = {"epoch": None, "nodes": [_node_doc(n) for n in net.nodes], "lanes": [lane]}
    new = network_from_dict(doc, SOURCE).lanes[0]
    if new.id in net.lane_index:
        _fail(f"lane '{new.id}'", "duplicate lane id")
    return replace(net, lanes=net.lanes + (new,))


def _node_doc(n: Node) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind}


# --------------------------------------------------------------------------- demand and stock


def scale_demand(shipments: Shipments, net: Network, factor: float, *, market: str | None = None,
                 factory: str | None = None, seed: int = 0) -> Shipments:
    """Scale the shipments to a market and/or from a factory by ``factor``: above 1 the matching rows
    are repeated (whole copies, then a seeded sample for the fraction) with ids ``<id>~<k>``; below 1
    a seeded sample of them is kept. Other rows are unchanged; order is the input order."""
    f = _number("demand", "factor", factor)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        _fail("demand", f"field 'seed': must be a whole number >= 0, got {seed!r}")
    match = np.ones(len(shipments), dtype=bool)
    if market is not None:
        match &= shipments.destination == net.node_index[_node(net, market, "market").id]
    if factory is not None:
        match &= shipments.origin == net.node_index[_node(net, factory, "factory").id]
    rows = np.flatnonzero(match)
    rng = np.random.default_rng(seed)
    if f <= 1.0:
        keep = np.sort(rng.choice(rows, size=int(round(f * len(rows))), replace=False))
        return shipments.take(np.sort(np.concatenate([np.flatnonzero(~match), keep])))
    whole = int(math.floor(f))
    extra = np.sort(rng.choice(rows, size=int(round((f - whole) * len(rows))), replace=False))
    copies = [rows] * (whole - 1) + [extra]
    out = shipments.take(np.concatenate([np.arange(len(shipments))] + copies))
    ids = [shipments.ids]
    for k, c in enumerate(copies, start=1):
        copy_ids = pc.binary_join_element_wise(shipments.ids.take(pa.array(c)), f"~{k}", "")  # <id>~<k>
        # where the input already holds that id, another tilde until it does not (copies end in a digit,
        # so they never meet each other)
        while (clash := pc.is_in(copy_ids, value_set=shipments.ids)).true_count:
            copy_ids = pc.if_else(clash, pc.binary_join_element_wise(copy_ids, "~", ""), copy_ids)
        ids.append(copy_ids)
    return replace(out, ids=pa.concat_arrays(ids))


def set_stock(inventory: Inventory, net: Network, node: str, sku: str, units: int) -> Inventory:
    """Set the units of ``sku`` at bonded ``node`` (0 removes it)."""
    idx = net.node_index[_node(net, node, "bonded").id]
    n = _number(f"node '{node}'", "units", units)
    if n != int(n):
        _fail(f"node '{node}'", f"field 'units': must be a whole number, got {units!r}")
    stock = dict(inventory.units)
    stock[(idx, str(sku))] = int(n)
    return replace(inventory, units=stock)


def scale_stock(inventory: Inventory, factor: float, node: str | None = None, net: Network | None = None) -> Inventory:
    """All stock (or one warehouse's) times ``factor``, rounded down."""
    f = _number("stock", "factor", factor)
    only = None
    if node is not None:
        if net is None:
            _fail("stock", "give the network (net=...) to name a node")
        only = net.node_index[_node(net, node, "bonded").id]
    return replace(inventory, units={k: (int(math.floor(v * f)) if only is None or k[0] == only else v)
                                     for k, v in inventory.units.items()})

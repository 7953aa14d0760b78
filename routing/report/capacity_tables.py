"""The capacity tables of a plan (docs/outputs.md): ``lanes`` (every capacitated lane departure),
``nodes`` (every capacitated node-day) and ``stock`` (every (bonded warehouse, sku)), each with its
capacity, what the plan uses, the share used and the shadow price — what one more unit of capacity
would save (currency per kg, parcel or unit; 4 decimals). Built from the plan's
:class:`~routing.report.summary.Summary`."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from ..data.network import Network
from .summary import Summary

PRICE_DECIMALS = 4  # shadow prices are rates (currency per kg, parcel or unit): kept past the cent
LANE_TOLERANCE = 1e-6  # relative: a departure's kg load is a sum of floats, at capacity within this


def is_binding(used: np.ndarray | float, capacity: np.ndarray | float, price: np.ndarray | float,
               relative: float = 0.0) -> np.ndarray:
    """A capacity row binds when the plan uses it up (within ``relative`` × capacity, at least that much
    absolute) or the relaxation prices it — the one rule of the capacity tables, ``compare()`` and the run
    history's diff."""
    used, capacity, price = (np.asarray(x, dtype=np.float64) for x in (used, capacity, price))
    return (used >= capacity - relative * np.maximum(1.0, capacity)) | (price > 1e-9)


def _share(used: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capacity > 0, used / np.where(capacity > 0, capacity, 1.0), np.where(used > 0, np.inf, 0.0))


def _price(values: list[float]) -> pa.Array:
    return pa.array(np.round(np.asarray(values, dtype=np.float64), PRICE_DECIMALS) + 0.0, pa.float64())


def _dates(texts: list[str]) -> pa.Array:
    return pa.array([dt.date.fromisoformat(t) for t in texts], pa.date32())


def lanes_table(figures: Summary, network: Network) -> pa.Table:
    """One row per capacitated lane departure in the planning window: lane, its ends and mode, date,
    capacity and load (chargeable kg), share, shadow price (currency per kg), binding (at capacity or
    priced)."""
    lanes = figures.lanes
    by_id = {ln.id: ln for ln in network.lanes}
    ids = [e.lane_id for e in lanes]
    cap = np.array([e.capacity_kg for e in lanes], dtype=np.float64)
    used = np.array([e.load_kg for e in lanes], dtype=np.float64)
    price = [e.shadow_price for e in lanes]
    return pa.table({
        "lane_id": pa.array(ids, pa.string()),
        "from": pa.array([by_id[i].origin for i in ids], pa.string()),
        "to": pa.array([by_id[i].dest for i in ids], pa.string()),
        "mode": pa.array([by_id[i].mode for i in ids], pa.string()),
        "departure_date": _dates([e.departure_date for e in lanes]),
        "capacity_kg": pa.array(cap, pa.float64()),
        "used_kg": pa.array(used, pa.float64()),
        "share": pa.array(_share(used, cap), pa.float64()),
        "shadow_price": _price(price),
        "binding": pa.array(is_binding(used, cap, price, LANE_TOLERANCE), pa.bool_()),
    })


def nodes_table(figures: Summary, network: Network) -> pa.Table:
    """One row per capacitated node-day in the planning window: node, its kind, date, capacity and
    parcels counted (parcels), share, shadow price (currency per parcel), binding."""
    nodes = figures.nodes
    kind = {nd.id: nd.kind for nd in network.nodes}
    cap = np.array([e.capacity for e in nodes], dtype=np.int64)
    used = np.array([e.parcels for e in nodes], dtype=np.int64)
    price = [e.shadow_price for e in nodes]
    return pa.table({
        "node": pa.array([e.node for e in nodes], pa.string()),
        "kind": pa.array([kind[e.node] for e in nodes], pa.string()),
        "date": _dates([e.date for e in nodes]),
        "capacity_parcels": pa.array(cap, pa.int64()),
        "used_parcels": pa.array(used, pa.int64()),
        "share": pa.array(_share(used.astype(float), cap.astype(float)), pa.float64()),
        "shadow_price": _price(price),
        "binding": pa.array(is_binding(used, cap, price), pa.bool_()),
    })


def stock_table(figures: Summary) -> pa.Table:
    """One row per (bonded warehouse, sku): units on hand (null when planned without an inventory: then
    one row per pair the plan draws from — what to forward-position), units drawn, share (null without
    an inventory), shadow price (currency per unit), binding (all on hand drawn, or priced)."""
    stock = figures.stock
    known = np.array([e.units is not None for e in stock], dtype=bool)
    units = np.array([e.units or 0 for e in stock], dtype=np.int64)
    used = np.array([e.units_used for e in stock], dtype=np.int64)
    price = [e.shadow_price for e in stock]
    return pa.table({
        "node": pa.array([e.node for e in stock], pa.string()),
        "sku": pa.array([e.sku for e in stock], pa.string()),
        "units": pa.array(units, pa.int64(), mask=~known),
        "used_units": pa.array(used, pa.int64()),
        "share": pa.array(_share(used.astype(float), units.astype(float)), pa.float64(), mask=~known),
        "shadow_price": _price(price),
        "binding": pa.array(known & is_binding(used, units, price), pa.bool_()),
    })

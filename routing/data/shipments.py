"""Shipments and bonded inventory tables (docs/inputs.md), held as numpy columns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .limits import ID_RULE, INVENTORY_UNITS, SHIPMENT_RANGES, bad_ids, show
from .network import Network
from .tables import STDIN, Column, read_table

CHANNELS = ("any", "jit", "bonded")
CHANNEL_ANY, CHANNEL_JIT, CHANNEL_BONDED = 0, 1, 2

SHIPMENT_COLUMNS = {
    "shipment_id": True, "origin": True, "destination": True, "order_date": True, "weight_kg": True,
    "volume_cm3": False, "value": False, "sku": False, "quantity": False, "channel": False,
    "promise_days": False,
}
INVENTORY_COLUMNS = {"node": True, "sku": True, "units": True}
# the plan table's own columns (routing.report.plan_tables writes them; tests/test_inputs.py checks the two
# agree): an extra shipments column passed through to the plan may not take one of these names
PLAN_OUTPUT_COLUMNS = (
    "shipment_id", "status", "channel", "origin", "destination", "order_date", "promise_date", "route", "lanes",
    "dispatch_date", "delivery_date", "days_late", "on_time", "cost_transport", "cost_handling", "cost_storage",
    "cost_duty", "cost_penalty", "cost_change", "cost_total", "reason", "changed",
)
_EPOCH_1970 = dt.date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class Shipments:
    """One row per parcel. Weights in kg, volumes in cm³, value in currency, dates as days since 1970.

    ``origin``/``destination`` index ``Network.nodes``; ``sku`` indexes ``sku_names``;
    ``promise_days`` is -1 where the market's promise applies.
    """

    ids: pa.Array
    origin: np.ndarray
    destination: np.ndarray
    order_date: np.ndarray
    weight_kg: np.ndarray
    volume_cm3: np.ndarray
    value: np.ndarray
    sku: np.ndarray
    sku_names: pa.Array
    quantity: np.ndarray
    channel: np.ndarray
    promise_days: np.ndarray
    source: str = field(default="<shipments>")
    extra: pa.Table | None = field(default=None, repr=False)  # columns beyond the known ones, passed to the plan

    @property
    def extra_columns(self) -> list[str]:
        """The names of the columns passed through to the plan untouched, in input order."""
        return [] if self.extra is None else list(self.extra.column_names)

    def __len__(self) -> int:
        return len(self.origin)

    def take(self, index: np.ndarray) -> Shipments:
        """A new table with the rows at ``index`` (in that order)."""
        index = np.asarray(index, dtype=np.int64)
        return Shipments(
            ids=self.ids.take(pa.array(index)), origin=self.origin[index],
            destination=self.destination[index], order_date=self.order_date[index],
            weight_kg=self.weight_kg[index], volume_cm3=self.volume_cm3[index], value=self.value[index],
            sku=self.sku[index], sku_names=self.sku_names, quantity=self.quantity[index],
            channel=self.channel[index], promise_days=self.promise_days[index], source=self.source,
            extra=None if self.extra is None else self.extra.take(pa.array(index)),
        )

    def first_order_date(self) -> dt.date:
        return _EPOCH_1970 + dt.timedelta(days=int(self.order_date.min()))


@dataclass(frozen=True, eq=False)
class Inventory:
    """Units of stock per (bonded node index, sku name)."""

    units: dict[tuple[int, str], int]
    source: str = "<inventory>"

    def stocked(self, node: int, sku: str) -> int:
        return self.units.get((node, sku), 0)


def _node_lookup(col: Column, network: Network, kind: str) -> np.ndarray:
    """Map a text column of node ids to node indices, checking existence and kind."""
    encoded = pc.dictionary_encode(col.text()).combine_chunks()
    names = encoded.dictionary.to_pylist()
    index = np.empty(len(names), dtype=np.int32)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    for k, name in enumerate(names):
        if name not in network.node_index:
            col.check(codes == k, "unknown node")
        idx = network.node_index[name]
        if network.nodes[idx].kind != kind:
            col.check(codes == k, f"must be a {kind} node, not a {network.nodes[idx].kind}")
        index[k] = idx
    return index[codes]


def load_shipments(path: str | Path | Any, network: Network) -> Shipments:
    """Read and validate the shipments table against ``network``: a CSV or Parquet file (optionally
    .gz/.zst/.bz2-compressed), ``-`` for standard input, or a pyarrow Table or pandas/polars DataFrame.
    Columns beyond the known ones are passed through to the plan untouched (their names must not be
    plan columns). Order timestamps with an offset count on the origin factory's local date (its
    ``timezone``, UTC when none)."""
    source = _source_name(path)
    table = read_table(path, SHIPMENT_COLUMNS, extra=True)
    extras = [c for c in table.column_names if c not in SHIPMENT_COLUMNS]
    for name in extras:
        if name in PLAN_OUTPUT_COLUMNS:
            raise InputError(source, None, f"column '{name}' is a column of the plan the planner writes: rename it "
                                           "to pass it through")
    if table.num_rows == 0:
        raise InputError(source, None, "has no shipment rows")
    col = {name: Column(source, table, name) for name in SHIPMENT_COLUMNS}
    for name, required in SHIPMENT_COLUMNS.items():
        if required:
            col[name].require_filled()

    ids = col["shipment_id"].text().combine_chunks()
    col["shipment_id"].check(bad_ids(ids).to_numpy(zero_copy_only=False), f"ids {ID_RULE}")
    unique = pc.unique(ids)
    if len(unique) != len(ids):
        counts = pc.value_counts(ids)
        dup = counts.field("values").filter(pc.greater(counts.field("counts"), 1))[0].as_py()
        first = pc.index(ids, dup).as_py()
        second = first + 1 + pc.index(ids.slice(first + 1), dup).as_py()
        col["shipment_id"].fail(second + 1, f"duplicate shipment_id {dup!r} (first at row {first + 1})")

    origin = _node_lookup(col["origin"], network, "factory")
    destination = _node_lookup(col["destination"], network, "market")
    zones = [n.timezone or "UTC" for n in network.nodes]
    order_date = col["order_date"].dates((origin, zones))

    weight = col["weight_kg"].floats(np.nan)
    col["weight_kg"].within(weight, *SHIPMENT_RANGES["weight_kg"], lo_open=True)
    volume = col["volume_cm3"].floats(0.0)
    col["volume_cm3"].within(volume, *SHIPMENT_RANGES["volume_cm3"])
    value = col["value"].floats(0.0)
    col["value"].within(value, *SHIPMENT_RANGES["value"])
    quantity = col["quantity"].ints(1, *SHIPMENT_RANGES["quantity"])
    promise = col["promise_days"].ints(-1, *SHIPMENT_RANGES["promise_days"])
    promise[col["promise_days"].blank()] = -1

    if col["channel"].present:
        text = pc.utf8_lower(col["channel"].text()).fill_null("")
        chan_text = pc.if_else(pc.equal(text, ""), "any", text).combine_chunks()
        channel = np.full(len(ids), -1, dtype=np.int8)
        for code, name in enumerate(CHANNELS):
            channel[pc.equal(chan_text, name).to_numpy(zero_copy_only=False)] = code
        col["channel"].check(channel < 0, "must be any, jit or bonded")
    else:
        channel = np.zeros(len(ids), dtype=np.int8)

    if col["sku"].present:
        sku_text = col["sku"].text()
        col["sku"].check(bad_ids(sku_text).to_numpy(zero_copy_only=False), f"skus {ID_RULE}")
        sku_text = pc.if_else(pc.or_(pc.is_null(sku_text), pc.equal(sku_text, "")), ids, sku_text)
    else:
        sku_text = ids
    sku_enc = pc.dictionary_encode(sku_text).combine_chunks() if isinstance(
        sku_text, pa.ChunkedArray) else pc.dictionary_encode(sku_text)
    return Shipments(
        ids=ids, origin=origin, destination=destination, order_date=order_date.astype(np.int32),
        weight_kg=weight, volume_cm3=volume, value=value,
        sku=sku_enc.indices.to_numpy(zero_copy_only=False).astype(np.int32),
        sku_names=sku_enc.dictionary, quantity=quantity.astype(np.int64), channel=channel,
        promise_days=promise.astype(np.int32), source=source,
        extra=table.select(extras) if extras else None,
    )


def _source_name(path: object) -> str:
    """How error messages name a table: its path, ``<stdin>``, or ``<DataFrame>`` for one in memory."""
    if isinstance(path, (str, Path)):
        return "<stdin>" if str(path) == STDIN else str(path)
    return f"<{type(path).__name__}>"


def load_inventory(path: str | Path | Any, network: Network) -> Inventory:
    """Read and validate the bonded stock table ``node, sku, units`` (a file, ``-`` or an in-memory table,
    as :func:`load_shipments`)."""
    source = _source_name(path)
    table = read_table(path, INVENTORY_COLUMNS)
    col = {name: Column(source, table, name) for name in INVENTORY_COLUMNS}
    for c in col.values():
        c.require_filled()
    units = col["units"].ints(0, *INVENTORY_UNITS)
    if table.num_rows == 0:
        return Inventory(units={}, source=source)
    nodes = _node_lookup(col["node"], network, "bonded")
    sku_text = col["sku"].text()
    col["sku"].check(bad_ids(sku_text).to_numpy(zero_copy_only=False), f"skus {ID_RULE}")
    skus = sku_text.to_pylist()
    stock: dict[tuple[int, str], int] = {}
    for row, (node, sku, n) in enumerate(zip(nodes.tolist(), skus, units.tolist(), strict=True)):
        key = (node, sku)
        if key in stock:
            col["sku"].fail(row + 1, f"duplicate stock row for node {network.nodes[node].id!r}, sku {show(sku)}")
        stock[key] = n
    return Inventory(units=stock, source=source)

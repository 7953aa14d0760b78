"""What a run's tables become in the history: each whole table as Parquet bytes (zstd; read back to
the same Arrow table, so ``routing runs export`` writes the same files), and the narrow rows that
``routing runs diff`` joins on: one per shipment (:func:`shipment_rows`) and one per capacity
(:func:`capacity_rows`)."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..report.capacity_tables import LANE_TOLERANCE, is_binding
from .backend import Connection

TABLE_NAMES = ("plan", "legs", "lanes", "nodes", "stock")  # a plan's tables, in the order they are stored
SHIPMENT_COLUMNS: dict[str, pa.DataType] = {
    "shipment_id": pa.string(), "destination": pa.string(), "status": pa.string(), "channel": pa.string(),
    "route": pa.string(), "lanes": pa.string(), "dispatch_date": pa.date32(), "delivery_date": pa.date32(),
    "on_time": pa.bool_(), "cost_total": pa.float64(),
}
CAPACITY_KINDS = ("lane", "node", "stock")


def to_parquet(table: pa.Table) -> bytes:
    """``table`` as the bytes of a Parquet file (zstd; the Arrow schema kept, so types read back as they were)."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def from_parquet(data: bytes | memoryview) -> pa.Table:
    return pq.read_table(pa.BufferReader(bytes(data)))


def json_value(value: Any) -> Any:
    """A JSON column as Python: DuckDB gives the text, psycopg the parsed value."""
    return json.loads(value) if isinstance(value, str) else value


def departures(plan: pa.Table, legs: pa.Table) -> pa.Array:
    """Per plan row: the departure dates of its timed legs in route order joined by ``|`` (null: no
    timed leg). Column-wise: one hash lookup of the legs' shipments, no Python object per leg."""
    n = plan.num_rows
    timed = legs.filter(pc.is_valid(legs["departure_date"]))  # replenishment legs have no date
    idx = pc.index_in(timed["shipment_id"], value_set=plan["shipment_id"])
    found = pc.is_valid(idx)
    row = pc.filter(idx, found).to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.argsort(row, kind="stable")  # legs come in plan order already; stable keeps route order
    dates = pc.filter(timed["departure_date"], found).cast(pa.string()).take(pa.array(order, pa.int64()))
    row = row[order]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=n), out=offsets[1:])
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), dates.combine_chunks()), "|")
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def shipment_rows(run_id: int, plan: pa.Table, legs: pa.Table | None = None) -> pa.Table:
    """One row per shipment of ``plan``: run id, plan order (``row_number``, from 0), the columns
    :data:`SHIPMENT_COLUMNS` (null where the plan lacks one) and, with the ``legs``, ``departures``
    (see :func:`departures`; null without them)."""
    n = plan.num_rows
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "run_id": pa.array(np.full(n, run_id, dtype=np.int64)),
        "row_number": pa.array(np.arange(n, dtype=np.int64)),
    }
    for name, kind in SHIPMENT_COLUMNS.items():
        columns[name] = plan[name].cast(kind) if name in plan.column_names else pa.nulls(n, kind)
    columns["departures"] = pa.nulls(n, pa.string()) if legs is None else departures(plan, legs)
    return pa.table(columns)


def _capacity_table(run_id: int, kind: str, ids: list[str], dates: list[str], capacity: list[Any], used: list[Any],
                    price: list[Any], binding: Any) -> pa.Table:
    n = len(ids)
    return pa.table({
        "run_id": pa.array(np.full(n, run_id, dtype=np.int64)),
        "kind": pa.array([kind] * n, pa.string()),
        "capacity_id": pa.array(ids, pa.string()),
        "on_date": pa.array(dates, pa.string()),
        "capacity": pa.array(capacity, pa.float64()),
        "used": pa.array(used, pa.float64()),
        "shadow_price": pa.array(price, pa.float64()),
        "binding": pa.array(np.asarray(binding, dtype=bool), pa.bool_()),
    })


def _from_tables(run_id: int, tables: dict[str, pa.Table]) -> list[pa.Table]:
    lanes, nodes, stock = tables["lanes"], tables["nodes"], tables["stock"]
    return [
        _capacity_table(run_id, "lane", lanes["lane_id"].to_pylist(),
                        lanes["departure_date"].cast(pa.string()).to_pylist(), lanes["capacity_kg"].to_pylist(),
                        lanes["used_kg"].to_pylist(), lanes["shadow_price"].to_pylist(),
                        lanes["binding"].to_numpy(zero_copy_only=False)),
        _capacity_table(run_id, "node", nodes["node"].to_pylist(), nodes["date"].cast(pa.string()).to_pylist(),
                        nodes["capacity_parcels"].to_pylist(), nodes["used_parcels"].to_pylist(),
                        nodes["shadow_price"].to_pylist(), nodes["binding"].to_numpy(zero_copy_only=False)),
        _capacity_table(run_id, "stock", pc.binary_join_element_wise(stock["node"], stock["sku"], "/").to_pylist(),
                        [""] * stock.num_rows, stock["units"].to_pylist(), stock["used_units"].to_pylist(),
                        stock["shadow_price"].to_pylist(), stock["binding"].to_numpy(zero_copy_only=False)),
    ]


def _from_summary(run_id: int, summary: dict[str, Any]) -> list[pa.Table]:
    """The same rows from summary.json's lists, for a run recorded without its capacity tables (a sweep's),
    marked binding by the rule of :mod:`routing.report.capacity_tables`."""
    out = []
    lanes = summary.get("lanes") or []
    cap, used = (np.array([e[k] for e in lanes], dtype=np.float64) for k in ("capacity_kg", "load_kg"))
    price = np.array([e["shadow_price"] for e in lanes], dtype=np.float64)
    out.append(_capacity_table(run_id, "lane", [e["lane_id"] for e in lanes], [e["departure_date"] for e in lanes],
                               cap.tolist(), used.tolist(), price.tolist(),
                               is_binding(used, cap, price, LANE_TOLERANCE)))
    nodes = summary.get("nodes") or []
    cap, used = (np.array([e[k] for e in nodes], dtype=np.float64) for k in ("capacity", "parcels"))
    price = np.array([e["shadow_price"] for e in nodes], dtype=np.float64)
    out.append(_capacity_table(run_id, "node", [e["node"] for e in nodes], [e["date"] for e in nodes],
                               cap.tolist(), used.tolist(), price.tolist(), is_binding(used, cap, price)))
    stock = summary.get("stock") or []
    known = np.array([e["units"] is not None for e in stock], dtype=bool)
    cap = np.array([e["units"] or 0 for e in stock], dtype=np.float64)
    used = np.array([e["units_used"] for e in stock], dtype=np.float64)
    price = np.array([e["shadow_price"] for e in stock], dtype=np.float64)
    out.append(_capacity_table(run_id, "stock", [f"{e['node']}/{e['sku']}" for e in stock], [""] * len(stock),
                               [e["units"] for e in stock], used.tolist(), price.tolist(),
                               known & is_binding(used, cap, price)))
    return out


def capacity_rows(run_id: int, summary: dict[str, Any], tables: dict[str, pa.Table]) -> pa.Table:
    """One row per capacitated lane departure (``lane``, lane id, date), node-day (``node``, node,
    date) and stock row (``stock``, ``node/sku``, empty date): capacity, used, shadow price and binding
    — from the plan's lanes, nodes and stock tables when the run has them, else from its summary."""
    parts = _from_tables(run_id, tables) if all(k in tables for k in ("lanes", "nodes", "stock")) else \
        _from_summary(run_id, summary)
    return pa.concat_tables(parts)


def backfill_rows(conn: Connection) -> None:
    """Migration 2: the shipment and capacity rows of every run recorded before, from its stored tables
    (and summary)."""
    for run_id, summary in conn.query("SELECT id, summary FROM runs ORDER BY id"):
        stored = {name: from_parquet(data) for name, data in
                  conn.query("SELECT name, data FROM run_tables WHERE run_id = ?", [run_id])}
        if "plan" in stored:
            conn.insert_arrow("run_shipments", shipment_rows(run_id, stored["plan"], stored.get("legs")))
        if summary is not None:
            conn.insert_arrow("run_capacities", capacity_rows(run_id, json_value(summary) or {}, stored))

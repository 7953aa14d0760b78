"""The history's schema and its migrations (docs/history.md#schema).

``schema_version`` holds one row per migration applied (version, when, what). Opening a history
applies, in order and each in its own transaction, every migration past the database's version; a
database of a newer version than this package knows is refused (run a newer routing). A migration
is a list of DDL statements (``{id}``: the dialect's auto-numbered id column), optionally followed by
a backfill: Python that fills what the new tables hold for the runs recorded before.

Migrations are never edited once released: a change of schema is a new one at the end.

- 1: ``runs`` (one row per run), ``run_markets`` (per-market figures), ``run_tables`` (the plan's
  tables — plan, legs, lanes, nodes, stock — each as a Parquet file, zstd).
- 2: ``run_shipments`` (per shipment: status, channel, route, lanes, dispatch and delivery dates, the
  departure dates of its legs, cost)
  and ``run_capacities`` (per capacitated lane departure, node-day and stock row: capacity, used,
  shadow price, binding), what ``routing runs diff`` joins on; backfilled from ``run_tables``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .backend import Connection
from .rows import backfill_rows

Backfill = Callable[[Connection], None]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str | dict[str, str], ...]  # a statement, or one per dialect
    backfill: Backfill | None = None


V1 = (
    """CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY,
        applied_at TIMESTAMP NOT NULL,
        description TEXT NOT NULL)""",
    "CREATE SEQUENCE IF NOT EXISTS run_ids START 1",  # DuckDB's id column draws from it; unused by PostgreSQL
    """CREATE TABLE runs (
        id {id},
        started_at TIMESTAMP,
        finished_at TIMESTAMP,
        version TEXT NOT NULL,
        command TEXT NOT NULL,
        scenario TEXT,
        parent_id BIGINT,
        status TEXT NOT NULL,
        error TEXT,
        objective DOUBLE PRECISION,
        lower_bound DOUBLE PRECISION,
        gap DOUBLE PRECISION,
        gap_target DOUBLE PRECISION,
        strategy TEXT,
        solver TEXT,
        seed BIGINT,
        shipments BIGINT,
        assigned BIGINT,
        unassigned BIGINT,
        unroutable BIGINT,
        currency TEXT,
        network_sha256 TEXT,
        shipments_sha256 TEXT,
        inventory_sha256 TEXT,
        inputs JSON,
        settings JSON,
        options JSON,
        summary JSON,
        out_dir TEXT)""",
    "CREATE INDEX runs_started ON runs (started_at)",
    """CREATE TABLE run_markets (
        run_id BIGINT NOT NULL REFERENCES runs (id),
        market TEXT NOT NULL,
        shipments BIGINT,
        on_time_rate DOUBLE PRECISION,
        target DOUBLE PRECISION,
        target_met BOOLEAN,
        shortfall BIGINT,
        cost DOUBLE PRECISION,
        cost_per_kg DOUBLE PRECISION,
        jit_share DOUBLE PRECISION,
        target_price DOUBLE PRECISION,
        target_price_per_point DOUBLE PRECISION,
        PRIMARY KEY (run_id, market))""",
    """CREATE TABLE run_tables (
        run_id BIGINT NOT NULL REFERENCES runs (id),
        name TEXT NOT NULL,
        file TEXT,
        n_rows BIGINT NOT NULL,
        sha256 TEXT,
        data BYTEA NOT NULL,
        PRIMARY KEY (run_id, name))""",
)


def _bulk(name: str, columns: str, key: str) -> dict[str, str]:
    """A table of many rows per run: keyed and tied to ``runs`` in PostgreSQL; bare in DuckDB, whose hash
    joins need no index and whose index on (run_id, shipment_id) would triple the file (100,000
    shipments: 3.4 MB of rows, 10 MB of index)."""
    return {"duckdb": f"CREATE TABLE {name} (run_id BIGINT NOT NULL, {columns})",
            "postgresql": f"CREATE TABLE {name} (run_id BIGINT NOT NULL REFERENCES runs (id), {columns}, "
                          f"PRIMARY KEY ({key}))"}


V2 = (
    _bulk("run_shipments", """
        row_number BIGINT NOT NULL,
        shipment_id TEXT NOT NULL,
        destination TEXT,
        status TEXT,
        channel TEXT,
        route TEXT,
        lanes TEXT,
        dispatch_date DATE,
        delivery_date DATE,
        departures TEXT,
        on_time BOOLEAN,
        cost_total DOUBLE PRECISION""", "run_id, shipment_id"),
    _bulk("run_capacities", """
        kind TEXT NOT NULL,
        capacity_id TEXT NOT NULL,
        on_date TEXT NOT NULL,
        capacity DOUBLE PRECISION,
        used DOUBLE PRECISION,
        shadow_price DOUBLE PRECISION,
        binding BOOLEAN NOT NULL""", "run_id, kind, capacity_id, on_date"),
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, per-market figures, the plan's tables as Parquet", V1),
    Migration(2, "per-shipment and per-capacity rows for runs diff", V2, backfill_rows),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

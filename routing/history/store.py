"""The run history (:class:`History`): open a DuckDB file or a PostgreSQL database by URL, migrate it
to this package's schema, record runs, read them back.

Every driver error becomes one :class:`~routing.errors.HistoryError` line naming the database (its
password hidden) and what was being done; a run id that is not there, or a DuckDB file that does not
exist when only reading, is an :class:`~routing.errors.InputError`. A run is recorded in one
transaction: all of it or nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ..errors import HistoryError, InputError
from .backend import Connection
from .record import RunRecord
from .rows import TABLE_NAMES, capacity_rows, from_parquet, json_value, shipment_rows, to_parquet
from .schema import MIGRATIONS, SCHEMA_VERSION
from .url import DUCKDB, HistoryUrl, duckdb_path

RUN_COLUMNS = ("id", "started_at", "finished_at", "version", "command", "scenario", "parent_id", "status", "error",
               "objective", "lower_bound", "gap", "gap_target", "strategy", "solver", "seed", "shipments",
               "assigned", "unassigned", "unroutable", "currency", "network_sha256", "shipments_sha256",
               "inventory_sha256", "inputs", "settings", "options", "out_dir")
MARKET_COLUMNS = ("market", "shipments", "on_time_rate", "target", "target_met", "shortfall", "cost", "cost_per_kg",
                  "jit_share", "target_price", "target_price_per_point")
JSON_COLUMNS = ("inputs", "settings", "options")
_REF = re.compile(r"^last(?:-(\d+))?$")


@dataclass(frozen=True)
class StoredTable:
    """A table of a recorded run: the file it was written to (e.g. ``plan.csv``), its SHA-256 then, rows."""

    name: str
    file: str | None
    sha256: str | None
    rows: int
    table: pa.Table


@dataclass(frozen=True)
class StoredRun:
    """A recorded run: the ``runs`` row as a dict (JSON columns parsed, times as naive UTC datetimes) and
    its per-market figures by market."""

    row: dict[str, Any]
    markets: dict[str, dict[str, Any]]

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def label(self) -> str:
        """``plan``, or ``sweep:<scenario>``."""
        r = self.row
        return r["command"] + (f":{r['scenario']}" if r["scenario"] else "")


def _connect(url: HistoryUrl) -> Connection:
    if url.kind == DUCKDB:
        from .duckdb_backend import DuckDBConnection

        return DuckDBConnection(duckdb_path(url))
    from .postgres_backend import PostgresConnection  # psycopg: only for a PostgreSQL history

    return PostgresConnection(url.target)


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class History:
    """An open run history; a context manager that closes it."""

    def __init__(self, url: HistoryUrl, conn: Connection) -> None:
        self.url = url
        self.conn = conn

    @classmethod
    def open(cls, url: HistoryUrl, *, create: bool = True) -> History:
        """Connect to ``url`` and bring its schema to :data:`SCHEMA_VERSION`. ``create``: a DuckDB file that
        does not exist is created (recording); otherwise it is an :class:`InputError` (reading)."""
        if url.kind == DUCKDB and not create and not duckdb_path(url).is_file():
            raise InputError(url.shown, None, "no such history database (no run recorded there yet?)")
        try:
            conn = _connect(url)
        except Exception as exc:  # the driver's own errors, an OSError: whatever stops the connection
            raise HistoryError(f"{url.shown}: cannot open the history database: {_first_line(exc)}") from None
        history = cls(url, conn)
        try:
            history._migrate()
        except BaseException:
            history.close()
            raise
        return history

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Driver errors in the block as one :class:`HistoryError` line: ``URL: <what>: <driver's words>``."""
        try:
            yield
        except self.conn.driver_errors as exc:
            raise HistoryError(f"{self.url.shown}: {what}: {_first_line(exc)}") from None

    # -- schema ---------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The database's schema version (0: empty)."""
        with self.guard("cannot read the schema version"):
            exists = self.conn.query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_name = ?", ["schema_version"])
            if not exists or not exists[0]:
                return 0
            row = self.conn.query_one("SELECT max(version) FROM schema_version")
            return int(row[0]) if row and row[0] is not None else 0

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        for migration in MIGRATIONS:
            with self.guard(f"cannot migrate to schema version {migration.version}"), self.conn.transaction():
                self.conn.lock_schema()
                current = self.schema_version()  # again, under the lock: another process may have done it
                if current > SCHEMA_VERSION:
                    raise HistoryError(f"{self.url.shown}: the history database is at schema version {current}, "
                                       f"newer than this routing knows ({SCHEMA_VERSION}): use a newer routing")
                if current >= migration.version:
                    continue
                for statement in migration.statements:
                    self.conn.execute(self.conn.ddl(statement))
                if migration.backfill is not None:
                    migration.backfill(self.conn)
                self.conn.execute("INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)",
                                  [migration.version, dt.datetime.now(dt.UTC).replace(tzinfo=None),
                                   migration.description])

    # -- writing --------------------------------------------------------------------------------------

    def record(self, run: RunRecord, parent_id: int | None = None) -> int:
        """Record ``run`` (one transaction); its id."""
        return self.record_all([run], parent_id)[0]

    def record_all(self, runs: Sequence[RunRecord], parent_id: int | None = None) -> list[int]:
        """Record ``runs`` in one transaction; their ids. With ``parent_id`` None, runs after the first
        get the first's id as their parent (a sweep: the base, then its scenarios)."""
        ids: list[int] = []
        with self.guard("cannot record the run"), self.conn.transaction():
            for run in runs:
                parent = parent_id if parent_id is not None or not ids else ids[0]
                ids.append(self._insert(run, parent))
        return ids

    def _insert(self, run: RunRecord, parent_id: int | None) -> int:
        s = run.summary or {}
        counts = s.get("counts") or {}
        inputs = run.inputs if run.inputs is not None else s.get("inputs") or {}

        def sha(kind: str) -> str | None:
            return (inputs.get(kind) or {}).get("sha256")

        values: dict[str, Any] = {
            "started_at": run.started_at, "finished_at": run.finished_at, "version": run.version,
            "command": run.command, "scenario": run.scenario, "parent_id": parent_id, "status": run.status,
            "error": run.error, "objective": s.get("objective"), "lower_bound": s.get("lower_bound"),
            "gap": s.get("gap"), "gap_target": s.get("gap_target"), "strategy": s.get("strategy"),
            "solver": s.get("solver"), "seed": run.options.get("seed"),
            "shipments": sum(counts.values()) if counts else None, "assigned": counts.get("assigned"),
            "unassigned": counts.get("unassigned"), "unroutable": counts.get("unroutable"),
            "currency": s.get("currency"), "network_sha256": sha("network"), "shipments_sha256": sha("shipments"),
            "inventory_sha256": sha("inventory"), "inputs": json.dumps(inputs),
            "settings": json.dumps(run.settings), "options": json.dumps(run.options),
            "summary": None if run.summary is None else json.dumps(run.summary, allow_nan=False),
            "out_dir": run.out_dir,
        }
        names = list(values)
        marks = ", ".join("CAST(? AS JSON)" if n in (*JSON_COLUMNS, "summary") else "?" for n in names)
        row = self.conn.query_one(f"INSERT INTO runs ({', '.join(names)}) VALUES ({marks}) RETURNING id",
                                  list(values.values()))
        assert row is not None
        run_id = int(row[0])
        markets = s.get("markets") or {}
        self.conn.executemany(
            f"INSERT INTO run_markets (run_id, {', '.join(MARKET_COLUMNS)}) "
            f"VALUES (?, {', '.join('?' for _ in MARKET_COLUMNS)})",
            [[run_id, market, *(fig.get(c) for c in MARKET_COLUMNS[1:])] for market, fig in markets.items()])
        stored = []
        for name in TABLE_NAMES:
            if name in run.tables:
                file, digest = run.file_of(name)
                stored.append([run_id, name, file, run.tables[name].num_rows, digest, to_parquet(run.tables[name])])
        self.conn.executemany("INSERT INTO run_tables (run_id, name, file, n_rows, sha256, data) "
                              "VALUES (?, ?, ?, ?, ?, ?)", stored)
        if "plan" in run.tables:
            self.conn.insert_arrow("run_shipments", shipment_rows(run_id, run.tables["plan"], run.tables.get("legs")))
        if run.summary is not None:
            self.conn.insert_arrow("run_capacities", capacity_rows(run_id, run.summary, run.tables))
        return run_id

    # -- reading --------------------------------------------------------------------------------------

    def resolve(self, ref: str | int) -> int:
        """A run id from ``ref``: a whole number, ``last`` (the newest run) or ``last-N`` (N before it);
        :class:`InputError` if there is no such run."""
        text = str(ref).strip()
        match = _REF.match(text)
        with self.guard("cannot look the run up"):
            if match:
                back = int(match.group(1) or 0)
                row = self.conn.query_one("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", [back])
            elif text.isdigit():
                row = self.conn.query_one("SELECT id FROM runs WHERE id = ?", [int(text)])
            else:
                raise InputError("run", text, "is not a run id (a number, last, or last-N)")
        if row is None:
            raise InputError("run", text, f"no such run in {self.url.shown}")
        return int(row[0])

    def _rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        out = []
        for values in self.conn.query(sql, params):
            row = dict(zip(RUN_COLUMNS, values, strict=True))
            for c in JSON_COLUMNS:
                row[c] = json_value(row[c])
            out.append(row)
        return out

    def list_runs(self, limit: int | None = None) -> list[StoredRun]:
        """The newest ``limit`` runs (all with None), oldest first, without their markets."""
        with self.guard("cannot list the runs"):
            rows = self._rows(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY id DESC LIMIT ?",
                              [limit if limit is not None else 2 ** 62])
        return [StoredRun(row, {}) for row in reversed(rows)]

    def run(self, ref: str | int) -> StoredRun:
        """The run ``ref`` (see :meth:`resolve`) with its per-market figures."""
        run_id = self.resolve(ref)
        with self.guard(f"cannot read run {run_id}"):
            row = self._rows(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = ?", [run_id])[0]
            markets = {m[0]: dict(zip(MARKET_COLUMNS[1:], m[1:], strict=True)) for m in self.conn.query(
                f"SELECT {', '.join(MARKET_COLUMNS)} FROM run_markets WHERE run_id = ? ORDER BY market", [run_id])}
        return StoredRun(row, markets)

    def summary(self, run_id: int) -> dict[str, Any] | None:
        """summary.json of a run as recorded (None: a failed sweep scenario)."""
        with self.guard(f"cannot read run {run_id}"):
            row = self.conn.query_one("SELECT summary FROM runs WHERE id = ?", [run_id])
        return None if row is None else json_value(row[0])

    def table_info(self, run_id: int) -> list[tuple[str, str | None, int]]:
        """The tables a run keeps: (name, file, rows), in :data:`TABLE_NAMES` order."""
        with self.guard(f"cannot read run {run_id}"):
            found = {r[0]: (r[0], r[1], int(r[2])) for r in self.conn.query(
                "SELECT name, file, n_rows FROM run_tables WHERE run_id = ?", [run_id])}
        return [found[n] for n in TABLE_NAMES if n in found]

    def tables(self, run_id: int) -> dict[str, StoredTable]:
        """The tables a run keeps, read back, by name."""
        with self.guard(f"cannot read the tables of run {run_id}"):
            rows = self.conn.query("SELECT name, file, sha256, n_rows, data FROM run_tables WHERE run_id = ?",
                                   [run_id])
        out = {}
        for name, file, digest, n, data in rows:
            out[name] = StoredTable(name, file, digest, int(n), from_parquet(data))
        return {n: out[n] for n in TABLE_NAMES if n in out}


def open_history(url: HistoryUrl, *, create: bool = True) -> History:
    """:meth:`History.open`."""
    return History.open(url, create=create)

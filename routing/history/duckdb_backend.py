"""The embedded history: one DuckDB file (created on first use, its directory too). DuckDB lets one
process write a file at a time: a second run that finds the file locked waits for it, up to
:data:`LOCK_WAIT` seconds, before failing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .backend import Connection, check_bulk_table

LOCK_WAIT = 30.0  # seconds a run waits for another process to let go of the file
_INCOMING = "routing_incoming_rows"  # the name an Arrow table is registered under while it is appended


def _locked(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


class DuckDBConnection(Connection):
    dialect = "duckdb"
    driver_errors = (duckdb.Error, OSError)
    id_column = "BIGINT PRIMARY KEY DEFAULT nextval('run_ids')"

    def __init__(self, path: Path, wait: float = LOCK_WAIT) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # a file where the directory should be
            raise NotADirectoryError(f"{path.parent} is not a directory") from None
        deadline = time.monotonic() + wait
        while True:
            try:
                self._con = duckdb.connect(str(path))
                break
            except duckdb.Error as exc:
                if not _locked(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, list(params))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, list(params)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._con.executemany(sql, [list(r) for r in rows])

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        check_bulk_table(table)
        self._con.register(_INCOMING, data)
        try:
            self._con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {_INCOMING}")
        finally:
            self._con.unregister(_INCOMING)

    def begin(self) -> None:
        self._con.begin()

    def commit(self) -> None:
        self._con.commit()

    def rollback(self) -> None:
        self._con.rollback()

    def close(self) -> None:
        self._con.close()

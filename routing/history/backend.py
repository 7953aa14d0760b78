"""The connection a history store talks through: one interface, a backend per database
(:mod:`.duckdb_backend`, :mod:`.postgres_backend`).

SQL is written once with ``?`` placeholders (values are always bound, never formatted into the text)
and DDL with ``{id}`` for the dialect's auto-numbered id column; each backend maps them. Bulk rows go
through :meth:`Connection.insert_arrow` (DuckDB reads the Arrow table in place, PostgreSQL takes it by
``COPY … FROM STDIN`` as CSV) into one of the tables named in :data:`BULK_TABLES`.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

BULK_TABLES = frozenset({"run_shipments", "run_capacities"})  # the only targets of insert_arrow


class Connection(ABC):
    """An open history database. ``dialect``: duckdb or postgresql; ``driver_errors``: what the driver
    raises (the store turns them into one-line :class:`~routing.errors.HistoryError`)."""

    dialect: str
    driver_errors: tuple[type[BaseException], ...]
    id_column: str  # DDL of an auto-numbered BIGINT primary key

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement with ``?`` placeholders bound to ``params``."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query; all its rows."""

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""

    @abstractmethod
    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Append ``data`` (columns named as ``table``'s) to ``table``, one of :data:`BULK_TABLES`."""

    @abstractmethod
    def begin(self) -> None: ...

    @abstractmethod
    def commit(self) -> None: ...

    @abstractmethod
    def rollback(self) -> None: ...

    def lock_schema(self) -> None:  # noqa: B027 (a no-op where the database locks already)
        """Held to the end of the transaction: one process migrates at a time (DuckDB: the file lock)."""

    @abstractmethod
    def close(self) -> None: ...

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction: committed after the block, rolled back if it raises."""
        self.begin()
        try:
            yield
        except BaseException:
            with contextlib.suppress(*self.driver_errors):
                self.rollback()
            raise
        self.commit()

    def ddl(self, statement: str | dict[str, str]) -> str:
        """A DDL statement of :mod:`.schema` (one text, or one per dialect) in this dialect."""
        sql = statement[self.dialect] if isinstance(statement, dict) else statement
        return sql.replace("{id}", self.id_column)


def check_bulk_table(table: str) -> str:
    """``table`` if it may be bulk-loaded (an identifier from this package, never from input)."""
    if table not in BULK_TABLES:
        raise ValueError(f"not a bulk table: {table!r}")
    return table

"""The run history per size: two plans (the base, and air capacity × 0.7 so that shipments move and
departures bind; strategy ``aggregate``, quick: what is timed does not depend on the plans' quality),
made once per size for both backends and written as Parquet, then recorded as ``routing plan
--history`` records them (open, migrate, insert: the second one timed), the history's size, and
``routing runs diff`` of the two (open and the queries: timed). DuckDB always; PostgreSQL too when
$ROUTING_TEST_POSTGRES names a server (CI's), each case in a schema of its own. Figures in
``benchmark.extra_info``; nothing asserted but that the diff finds the moves."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

import routing
from routing import solve
from routing.data.edits import scale_capacity
from routing.history import parse_url
from routing.history.commands import plan_records, record_runs
from routing.history.diff import diff_runs
from routing.history.store import open_history
from routing.report.result import write_result

from .instances import build_instance

POSTGRES = "ROUTING_TEST_POSTGRES"


def _size(history: str) -> int:
    """Bytes the history takes: the DuckDB file, or the PostgreSQL schema's tables with their indexes and
    TOAST."""
    url = parse_url(history)
    if url.kind == "duckdb":
        return os.path.getsize(url.target)
    with open_history(url, create=False) as h:
        return int(h.conn.query_one(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'")[0])


_PLANS: dict[str, list] = {}  # size -> the two plans' records, shared by the backends


def _records(size_id: str, tmp_path, solve_options) -> list:
    if size_id not in _PLANS:
        inst = build_instance(size_id)
        net = routing.load_network(inst.network)
        ships = routing.load_shipments(inst.shipments_file, net)
        options = solve_options("aggregate")
        records = []
        for i, network in enumerate((net, scale_capacity(net, factor=0.7, mode="air"))):
            started = dt.datetime.now(dt.UTC)
            result = solve(network, ships, options=options)
            written = write_result(result, tmp_path / f"plan{i}", "parquet")
            records.append(plan_records(written.figures.to_dict(), result.tables(), out_dir=tmp_path / f"plan{i}",
                                        started_at=started, settings=routing.PlanSettings(), options=options))
        _PLANS.clear()  # one size's tables in memory at a time
        _PLANS[size_id] = [inst.shipments, records]
    return _PLANS[size_id]


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_history(benchmark, size_id, tmp_path, solve_options, backend):
    if backend == "duckdb":
        history, cleanup = str(tmp_path / "runs.duckdb"), None
    else:
        if not os.environ.get(POSTGRES):
            pytest.skip(f"${POSTGRES} names no PostgreSQL server")
        from tests.postgres import drop_schema, fresh_schema_url

        history, schema = fresh_schema_url(os.environ[POSTGRES])
        cleanup = (os.environ[POSTGRES], schema)
    try:
        shipments, records = _records(size_id, tmp_path, solve_options)
        url = parse_url(history)
        record_runs(url, records[0])
        seconds: dict[str, float] = {}

        def record() -> list[int]:
            t = time.perf_counter()
            ids = record_runs(url, records[1])
            seconds["record"] = time.perf_counter() - t
            return ids

        ids = benchmark.pedantic(record, rounds=1, iterations=1)
        t = time.perf_counter()
        with open_history(url, create=False) as h:
            found = diff_runs(h, ids[0] - 1, ids[0])
        seconds["diff"] = time.perf_counter() - t
        size = _size(history)
        benchmark.extra_info.update({
            "shipments": shipments, "backend": backend, "record_seconds": round(seconds["record"], 3),
            "diff_seconds": round(seconds["diff"], 3), "history_bytes_two_runs": size,
            "history_megabytes_two_runs": round(size / 1e6, 2), "changed": found.shipments,
            "capacities": found.capacities, "legs": records[1][0].tables["legs"].num_rows,
        })
        assert found.shipments["changed"] > 0
    finally:
        if cleanup is not None:
            drop_schema(*cleanup)

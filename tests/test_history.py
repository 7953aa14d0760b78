"""Run history (docs/history.md) against DuckDB and a real PostgreSQL server alike: three runs of
``routing plan --history``, ``routing runs list|show|diff|export`` checked against the plan files,
a database failure that keeps the plan (exit 6, one line), refusals (exit 2), a sweep, and the
migration of a database made at schema version 1."""

from __future__ import annotations

import csv
import filecmp
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from routing.cli import EXIT_HISTORY, EXIT_INPUT, main
from routing.history import parse_url
from routing.history.rows import to_parquet
from routing.history.schema import SCHEMA_VERSION
from routing.history.store import open_history
from routing.report.plan_dir import read_plan_dir

from .helpers import read_plan, read_summary, write_instance
from .postgres import ENV, drop_schema, fresh_schema_url, server_binaries, temporary_server
from .test_rules import network, ship
from .validator import validate_plan

TABLES = ("plan", "legs", "lanes", "nodes", "stock")
SHIPS = [ship(s) for s in "abcd"]  # 1 kg each, ordered Monday: all fit Thursday's air, or two go bonded


# -- databases ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL URL: $ROUTING_TEST_POSTGRES (CI's server), else a throwaway server started here;
    None (the PostgreSQL cases skip) only when neither psycopg nor the server binaries are there."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield None
        return
    if server_binaries() is None:
        yield None
        return
    with temporary_server() as url:
        yield url


@pytest.fixture(params=["duckdb", "postgresql"])
def history(request, tmp_path):
    """A fresh, empty history URL: a DuckDB file, or a schema of its own in the PostgreSQL database."""
    if request.param == "duckdb":
        yield str(tmp_path / "runs.duckdb")
        return
    base = request.getfixturevalue("postgres_server")
    if base is None:
        pytest.skip(f"no PostgreSQL: set {ENV} or install postgresql and psycopg")
    url, schema = fresh_schema_url(base)
    yield url
    drop_schema(base, schema)


def _run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    """The same shipments on two networks: air's Thursday departure takes 10 kg (all four fly), or 2 kg
    (two go bonded instead, and the departure binds)."""
    tmp = tmp_path_factory.mktemp("history")
    return {cap: write_instance(tmp, network(lane_air={"capacity_kg_per_departure": cap}), SHIPS, name=f"air{cap:g}")
            for cap in (10.0, 2.0)}


def _plan(capsys, inst, out: Path, history: str, *extra) -> tuple[int, str, str]:
    return _run(capsys, "plan", "--network", inst.network, "--shipments", inst.shipments, "--out", out, "--gap", "0",
                "--quiet", "--history", history, *extra)


@pytest.fixture
def three_runs(instances, history, tmp_path, capsys):
    """Runs 1 and 2: the wide network (the same plan twice); run 3: the tight one. Returns (history URL,
    output directory by run id)."""
    outs = {}
    for run_id, cap in ((1, 10.0), (2, 10.0), (3, 2.0)):
        out = tmp_path / f"out{run_id}"
        code, stdout, err = _plan(capsys, instances[cap], out, history)
        assert code == 0, err
        assert stdout.splitlines()[-1] == f"recorded run {run_id} in {parse_url(history).shown}"
        outs[run_id] = out
    return history, outs


# -- what the files say changed ----------------------------------------------------------------------

def _departures(out: Path) -> dict[str, str]:
    by: dict[str, list[str]] = {}
    with open(out / "legs.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["departure_date"]:
                by.setdefault(r["shipment_id"], []).append(r["departure_date"])
    return {k: "|".join(v) for k, v in by.items()}


def _binding(out: Path) -> set[tuple[str, str, str]]:
    keys = {"lanes": ("lane", "lane_id", "departure_date"), "nodes": ("node", "node", "date")}
    found = set()
    for name, (kind, ident, date) in keys.items():
        with open(out / f"{name}.csv", newline="") as fh:
            found |= {(kind, r[ident], r[date]) for r in csv.DictReader(fh) if r["binding"] == "true"}
    with open(out / "stock.csv", newline="") as fh:
        found |= {("stock", f"{r['node']}/{r['sku']}", "") for r in csv.DictReader(fh) if r["binding"] == "true"}
    return found


def _changed(a: Path, b: Path) -> dict[str, set[str]]:
    pa_, pb = read_plan(a), read_plan(b)
    da, db = _departures(a), _departures(b)
    out: dict[str, set[str]] = {k: set() for k in ("status", "channel", "route", "departure")}
    for sid in pa_:
        ra, rb = pa_[sid], pb[sid]
        if ra["status"] != rb["status"]:
            out["status"].add(sid)
            continue
        if ra["channel"] != rb["channel"]:
            out["channel"].add(sid)
        if (ra["route"], ra["lanes"]) != (rb["route"], rb["lanes"]):
            out["route"].add(sid)
        if da.get(sid) != db.get(sid):
            out["departure"].add(sid)
    return out


# -- the nightly sequence ----------------------------------------------------------------------------

def test_three_runs_listed_shown_and_diffed(three_runs, capsys):
    history, outs = three_runs
    code, listing, err = _run(capsys, "runs", "list", "--history", history)
    assert code == 0, err
    lines = listing.splitlines()
    assert lines[0].split()[:4] == ["id", "started", "(UTC)", "command"] and len(lines) == 4
    for run_id, line in zip((1, 2, 3), lines[1:], strict=True):
        s = read_summary(outs[run_id])
        cells = line.split()
        assert cells[0] == str(run_id) and cells[3:5] == ["plan", "optimal"], line
        assert cells[5] == f"{s['objective']:,.2f}" and cells[-1] == str(outs[run_id].absolute())
        assert s["inputs"]["network"]["sha256"][:8] in cells and s["inputs"]["shipments"]["sha256"][:8] in cells
    assert _run(capsys, "runs", "list", "--history", history, "--limit", "1")[1].splitlines()[1].startswith("3 ")

    code, shown, _ = _run(capsys, "runs", "show", "3", "--history", history)
    s = read_summary(outs[3])
    assert code == 0 and shown.startswith("run 3: plan, recorded in ")
    assert f"objective {s['objective']:,.2f}" in shown and "tables: plan (4 rows, plan.csv)" in shown
    assert any(line.split()[:2] == ["M", "4"] for line in shown.splitlines())
    code, shown, _ = _run(capsys, "runs", "show", "last", "--history", history, "--format", "json")
    doc = json.loads(shown)
    assert doc["run"]["id"] == 3 and doc["run"]["objective"] == s["objective"]
    assert doc["run"]["settings"] == s.get("settings", doc["run"]["settings"])
    assert doc["markets"]["M"]["cost"] == s["markets"]["M"]["cost"]

    # the same inputs twice: nothing changed
    code, same, _ = _run(capsys, "runs", "diff", "1", "2", "--history", history, "--format", "json")
    same = json.loads(same)
    assert code == 0 and same["inputs"] == {} and same["changed"] == []
    assert all(v == 0 for v in same["shipments"].values()) and same["capacities"] == {"newly_binding": 0, "freed": 0}

    # a tighter air departure: what the plan files say moved, and the departure that now binds
    code, found, _ = _run(capsys, "runs", "diff", "last-2", "last", "--history", history, "--format", "json",
                          "--limit", "100")
    found = json.loads(found)
    expected = _changed(outs[1], outs[3])
    assert expected["channel"] and expected["route"] and expected["departure"]  # the instance moves something
    assert {k: found["shipments"][k] for k in expected} == {k: len(v) for k, v in expected.items()}
    assert {r["shipment_id"] for r in found["changed"]} == set().union(*expected.values())
    assert found["shipments"]["only_a"] == found["shipments"]["only_b"] == 0
    assert set(found["inputs"]) == {"network"}
    newly = _binding(outs[3]) - _binding(outs[1])
    assert newly == {("lane", "air", "2026-12-03")}
    assert {(r["kind"], r["id"], r["date"]) for r in found["capacity_rows"] if r["change"] == "newly_binding"} == newly
    assert found["capacities"] == {"newly_binding": 1, "freed": 0}
    s1, s3 = read_summary(outs[1]), read_summary(outs[3])
    (market,) = found["markets"]
    assert market["market"] == "M" and market["cost_delta"] == pytest.approx(
        s3["markets"]["M"]["cost"] - s1["markets"]["M"]["cost"])
    assert market["on_time_b"] == s3["markets"]["M"]["on_time_rate"]

    code, text, _ = _run(capsys, "runs", "diff", "1", "3", "--history", history)
    assert code == 0
    assert f"objective {s1['objective']:,.2f} -> {s3['objective']:,.2f}" in text
    assert "newly_binding lane air 2026-12-03: used 4.0 -> 2.0 of 2.0" in text
    assert "channel jit -> bonded; route F>H>G>M -> F>H>B>M" in text


def test_nightly_sequence_with_bookings(instances, history, tmp_path, capsys):
    """README's nightly sequence: last night's plan recorded; tonight (air's Thursday departure down to
    2 kg) 'a' and 'b', booked on it, are committed, the plan stays close to last night's run at a change
    penalty, and is recorded; `runs diff` and `validate` follow."""
    night1 = tmp_path / "night1"
    assert _plan(capsys, instances[10.0], night1, history)[0] == 0
    legs = (night1 / "legs.csv").read_text().splitlines()
    committed = tmp_path / "committed.csv"
    committed.write_text("\n".join([legs[0], *(r for r in legs[1:] if r.split(",")[0] in ('"a"', '"b"'))]) + "\n")
    night2 = tmp_path / "night2"
    code, out, err = _plan(capsys, instances[2.0], night2, history, "--committed", committed,
                           "--previous", "last", "--change-penalty", "1")
    assert code == 0, err
    assert "bookings: 2 committed shipments kept their legs" in out and "2 changed from the previous plan" in out
    kept = {r["shipment_id"]: r for r in read_plan(night2).values()}
    assert _departures(night2)["a"] == _departures(night1)["a"] and _departures(night2)["b"] == _departures(night1)["b"]
    assert [kept[s]["changed"] for s in "abcd"] == ["false", "false", "true", "true"]
    assert [float(kept[s]["cost_change"]) for s in "abcd"] == [0.0, 0.0, 1.0, 1.0]
    summary = read_summary(night2)
    assert summary["bookings"]["previous"] == f"run 1 in {parse_url(history).shown}"
    assert summary["bookings"]["committed"] == str(committed) and summary["inputs"]["committed"]["path"] == str(
        committed.absolute())
    code, diff, err = _run(capsys, "runs", "diff", "last-1", "last", "--history", history, "--format", "json")
    assert code == 0, err
    assert {r["shipment_id"] for r in json.loads(diff)["changed"]} == {"c", "d"}
    code, checked, err = _run(capsys, "validate", night2)
    assert code == 0 and "valid: 4 shipments" in checked, err
    # a run id names the previous plan as well; one the history lacks is bad input
    code, _, err = _plan(capsys, instances[2.0], tmp_path / "night3", history, "--previous", "1",
                         "--change-penalty", "1")
    assert code == 0, err
    code, _, err = _plan(capsys, instances[2.0], tmp_path / "night4", history, "--previous", "99")
    assert code == EXIT_INPUT and err.count("\n") == 1 and "run: 99: no such run" in err, err


def test_export_writes_the_runs_own_files(three_runs, instances, tmp_path, capsys):
    history, outs = three_runs
    exported = tmp_path / "exported"
    code, out, err = _run(capsys, "runs", "export", "3", "--out", exported, "--history", history)
    assert code == 0, err
    assert out.startswith("wrote ") and out.rstrip().endswith("summary.json")
    for name in [f"{t}.csv" for t in TABLES] + ["summary.json"]:
        assert filecmp.cmp(outs[3] / name, exported / name, shallow=False), name
    validate_plan(instances[2.0].network, instances[2.0].shipments, exported)
    read_plan_dir(exported)  # its files match summary.json's hashes

    # another format: the same tables; and it replaces what the directory held
    code, _, err = _run(capsys, "runs", "export", "1", "--out", exported, "--history", history, "--format", "parquet")
    assert code == 0, err
    assert not (exported / "plan.csv").exists()
    original = read_plan_dir(outs[1])
    again = read_plan_dir(exported)
    for t in TABLES:
        assert pq.read_table(exported / f"{t}.parquet").equals(again.tables[t])
        assert again.tables[t].num_rows == original.tables[t].num_rows
    assert again.tables["plan"].column("shipment_id").to_pylist() == list("abcd")
    validate_plan(instances[10.0].network, instances[10.0].shipments, exported, fmt="parquet")


def test_database_failure_keeps_the_plan(instances, tmp_path, capsys, request):
    """The database cannot be reached or written: the plan's files are all there and valid, one line on
    stderr, exit 6 — for DuckDB (a path under a regular file) and PostgreSQL (a closed port)."""
    (tmp_path / "a-file").write_text("")
    urls = [str(tmp_path / "a-file" / "runs.duckdb")]
    if request.getfixturevalue("postgres_server") is not None:
        import socket

        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        urls.append(f"postgresql://routing:secret@127.0.0.1:{port}/routing")
    for i, url in enumerate(urls):
        out = tmp_path / f"out{i}"
        code, stdout, err = _plan(capsys, instances[2.0], out, url)
        assert code == EXIT_HISTORY, err
        assert len(err.splitlines()) == 1 and err.startswith("routing: history: "), err
        assert "secret" not in err and "cannot open the history database" in err
        assert "wrote " in stdout and "recorded" not in stdout
        validate_plan(instances[2.0].network, instances[2.0].shipments, out)


def test_refusals_are_bad_input(instances, tmp_path, capsys, monkeypatch):
    inst = instances[10.0]
    for url, what in (("mysql://u@h/db", "unknown scheme"), ("runs.txt", "is not a history URL"),
                      ("", "must name the history database")):
        code, _, err = _plan(capsys, inst, tmp_path / "never", url)
        assert code == EXIT_INPUT and what in err and len(err.splitlines()) == 1, err
        assert not (tmp_path / "never").exists()  # refused before any work
    monkeypatch.delenv("ROUTING_HISTORY", raising=False)
    code, _, err = _run(capsys, "runs", "list")
    assert code == EXIT_INPUT and "names no history database" in err
    code, _, err = _run(capsys, "runs", "list", "--history", tmp_path / "none.duckdb")
    assert code == EXIT_INPUT and "no such history database" in err
    assert not (tmp_path / "none.duckdb").exists()

    # $ROUTING_HISTORY when --history is not given
    monkeypatch.setenv("ROUTING_HISTORY", str(tmp_path / "env.duckdb"))
    assert _run(capsys, "plan", "--network", inst.network, "--shipments", inst.shipments, "--out", tmp_path / "o",
                "--quiet")[1].rstrip().endswith(f"recorded run 1 in {tmp_path / 'env.duckdb'}")
    for ref, what in (("2", "no such run"), ("last-1", "no such run"), ("x1", "is not a run id")):
        code, _, err = _run(capsys, "runs", "show", ref)
        assert code == EXIT_INPUT and what in err, err
    code, _, err = _run(capsys, "runs", "export", "1", "--out", tmp_path / "o" / "summary.json")
    assert code == EXIT_INPUT and "exists and is not a directory" in err


def test_sweep_records_base_and_scenarios(instances, tmp_path, capsys):
    """``routing sweep --history``: the base, then each scenario (its summary and plan table; a failed one
    with its error), each scenario pointing to the base."""
    inst = instances[10.0]
    scenarios = tmp_path / "scenarios.yaml"
    scenarios.write_text("scenarios:\n"
                         "  - name: air-tight\n    edits: [{scale_capacity: {value: 2.0, lane: air}}]\n"
                         "  - name: broken\n    edits: [{close_lane: {lane: no-such-lane}}]\n")
    url = str(tmp_path / "runs.duckdb")
    code, out, err = _run(capsys, "sweep", "--network", inst.network, "--shipments", inst.shipments,
                          "--scenarios", scenarios, "--out", tmp_path / "sweep", "--workers", "1", "--quiet",
                          "--history", url)
    assert code == 1, err  # a scenario failed: everything written and recorded all the same
    assert f"recorded runs 1-3 in {url}" in out
    with open_history(parse_url(url), create=False) as h:
        runs = {r.row["scenario"]: r.row for r in h.list_runs()}
        assert [runs[k]["id"] for k in ("base", "air-tight", "broken")] == [1, 2, 3]
        assert runs["air-tight"]["parent_id"] == 1 and runs["broken"]["status"] == "failed"
        assert "no-such-lane" in runs["broken"]["error"]
        assert set(runs["base"]["inputs"]) == {"network", "shipments", "scenarios"}
        assert [t[0] for t in h.table_info(2)] == ["plan"]
    code, text, _ = _run(capsys, "runs", "diff", "1", "2", "--history", url, "--format", "json")
    found = json.loads(text)
    assert found["shipments"]["channel"] == 2 and found["capacities"]["newly_binding"] == 1
    code, _, err = _run(capsys, "runs", "export", "3", "--out", tmp_path / "x", "--history", url)
    assert code == EXIT_INPUT and "keeps no plan" in err


# -- schema ------------------------------------------------------------------------------------------

V1_DUCKDB_ID = "BIGINT PRIMARY KEY DEFAULT nextval('run_ids')"
V1_POSTGRES_ID = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
V1 = [  # schema version 1 as released, written out here so that a change to the migration shows
    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL, "
    "description TEXT NOT NULL)",
    "CREATE SEQUENCE IF NOT EXISTS run_ids START 1",
    "CREATE TABLE runs (id {id}, started_at TIMESTAMP, finished_at TIMESTAMP, version TEXT NOT NULL, "
    "command TEXT NOT NULL, scenario TEXT, parent_id BIGINT, status TEXT NOT NULL, error TEXT, "
    "objective DOUBLE PRECISION, lower_bound DOUBLE PRECISION, gap DOUBLE PRECISION, gap_target DOUBLE PRECISION, "
    "strategy TEXT, solver TEXT, seed BIGINT, shipments BIGINT, assigned BIGINT, unassigned BIGINT, "
    "unroutable BIGINT, currency TEXT, network_sha256 TEXT, shipments_sha256 TEXT, inventory_sha256 TEXT, "
    "inputs JSON, settings JSON, options JSON, summary JSON, out_dir TEXT)",
    "CREATE INDEX runs_started ON runs (started_at)",
    "CREATE TABLE run_markets (run_id BIGINT NOT NULL REFERENCES runs (id), market TEXT NOT NULL, "
    "shipments BIGINT, on_time_rate DOUBLE PRECISION, target DOUBLE PRECISION, target_met BOOLEAN, "
    "shortfall BIGINT, cost DOUBLE PRECISION, cost_per_kg DOUBLE PRECISION, jit_share DOUBLE PRECISION, "
    "target_price DOUBLE PRECISION, target_price_per_point DOUBLE PRECISION, PRIMARY KEY (run_id, market))",
    "CREATE TABLE run_tables (run_id BIGINT NOT NULL REFERENCES runs (id), name TEXT NOT NULL, file TEXT, "
    "n_rows BIGINT NOT NULL, sha256 TEXT, data BYTEA NOT NULL, PRIMARY KEY (run_id, name))",
]


def _raw(url: str):
    """A plain driver connection to the history at ``url`` and its placeholder."""
    parsed = parse_url(url)
    if parsed.kind == "duckdb":
        import duckdb

        return duckdb.connect(parsed.target), "?", V1_DUCKDB_ID
    import psycopg

    return psycopg.connect(parsed.target, autocommit=True), "%s", V1_POSTGRES_ID


def test_a_version_1_database_is_migrated(history, instances, tmp_path, capsys):
    """A history made at schema version 1 (no per-shipment rows) with one run in it, written here by
    hand: opening it migrates it to the current version, the run's shipment and capacity rows are
    backfilled from its stored tables, and it diffs against a run recorded after."""
    first = tmp_path / "first"
    code, _, err = _plan(capsys, instances[10.0], first, str(tmp_path / "scratch.duckdb"))
    assert code == 0, err
    s = read_summary(first)
    plan_dir = read_plan_dir(first)
    con, mark, id_column = _raw(history)
    for statement in V1:
        con.execute(statement.replace("{id}", id_column))
    con.execute(f"INSERT INTO schema_version VALUES (1, {mark}, {mark})", ["2026-01-01 00:00:00", "v1 by hand"])
    con.execute(f"INSERT INTO runs (version, command, status, objective, lower_bound, gap, gap_target, summary, "
                f"settings, options, inputs, out_dir) VALUES ({', '.join([mark] * 12)})",
                ["0.0.9", "plan", s["status"], s["objective"], s["lower_bound"], s["gap"], s["gap_target"],
                 json.dumps(s), "{}", "{}", json.dumps(s["inputs"]), str(first)])
    for name, table in plan_dir.tables.items():
        con.execute(f"INSERT INTO run_tables VALUES (1, {mark}, {mark}, {mark}, {mark}, {mark})",
                    [name, f"{name}.csv", table.num_rows, s["files"][f"{name}.csv"], to_parquet(table)])
    con.close()

    code, listing, err = _run(capsys, "runs", "list", "--history", history)
    assert code == 0, err
    assert listing.splitlines()[1].split()[0] == "1"
    with open_history(parse_url(history), create=False) as h:
        assert h.schema_version() == SCHEMA_VERSION == 2
        assert h.conn.query("SELECT version FROM schema_version ORDER BY version") == [(1,), (2,)]
        assert h.conn.query_one("SELECT count(*) FROM run_shipments WHERE run_id = 1")[0] == 4
        assert h.conn.query_one("SELECT count(*) FROM run_capacities WHERE run_id = 1")[0] == 5
    code, _, err = _plan(capsys, instances[2.0], tmp_path / "second", history)
    assert code == 0, err
    code, found, _ = _run(capsys, "runs", "diff", "1", "2", "--history", history, "--format", "json")
    found = json.loads(found)
    expected = _changed(first, tmp_path / "second")
    assert {k: found["shipments"][k] for k in expected} == {k: len(v) for k, v in expected.items()}
    assert found["capacities"]["newly_binding"] == 1
    code, _, err = _run(capsys, "runs", "export", "1", "--out", tmp_path / "back", "--history", history)
    assert code == 0, err
    assert filecmp.cmp(first / "legs.csv", tmp_path / "back" / "legs.csv", shallow=False)


def test_a_newer_database_is_refused(history, capsys):
    with open_history(parse_url(history)) as h:
        h.conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [99, "2030-01-01 00:00:00", "from the future"])
    code, _, err = _run(capsys, "runs", "list", "--history", history)
    assert code == EXIT_HISTORY and "schema version 99, newer than this routing knows (2)" in err
    assert len(err.splitlines()) == 1


def test_urls():
    assert parse_url("runs.duckdb").kind == "duckdb"
    assert parse_url("duckdb:///tmp/x/runs.db").target == "/tmp/x/runs.db"
    assert parse_url("duckdb://rel/runs.duckdb").target == "rel/runs.duckdb"
    pg = parse_url("postgresql://me:pw@db.example:5432/routing?sslmode=require")
    assert pg.kind == "postgresql" and pg.shown == "postgresql://me:***@db.example:5432/routing?sslmode=require"
    assert parse_url("postgres://me@h/db").target == "postgres://me@h/db"

"""Inputs as they come: standard input, compressed files, DataFrames and Arrow tables, extra columns
passed through to the plan, ISO timestamps with an offset turned into the origin's local order date.
Every plan is checked by the independent validator."""

from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import routing
from routing import cli
from routing.data.shipments import PLAN_OUTPUT_COLUMNS

from .helpers import write_instance
from .test_rules import network, ship
from .validator import validate_plan

NO_BONDED = {"lane_sea": None, "lane_blm": None, "node_B": None}


def _instance(tmp_path: Path, rows: list[dict] | None = None, **edits):
    rows = rows or [ship("a"), ship("b", weight_kg=2.0, order_date="2026-12-01"), ship("c", value=30)]
    return write_instance(tmp_path, network(**{**NO_BONDED, **edits}), rows)


def _plan(argv: list, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_columns_are_the_reserved_names(tmp_path):
    inst = _instance(tmp_path)
    net = routing.load_network(inst.network)
    result = routing.solve(net, routing.load_shipments(inst.shipments, net))
    assert tuple(result.plan.column_names) == PLAN_OUTPUT_COLUMNS


@pytest.mark.parametrize("codec", ["gzip", "zstd", "bz2"])
def test_compressed_csv_plans_like_the_plain_file(tmp_path, capsys, codec):
    inst = _instance(tmp_path)
    suffix = {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2"}[codec]
    packed = inst.dir / f"shipments.csv{suffix}"
    with pa.CompressedOutputStream(str(packed), codec) as out:
        out.write(inst.shipments.read_bytes())
    for name, path in (("plain", inst.shipments), ("packed", packed)):
        code, _, err = _plan(["plan", "--network", inst.network, "--shipments", path, "--out", tmp_path / name,
                              "--quiet"], capsys)
        assert code == 0, err
    validate_plan(inst.network, inst.shipments, tmp_path / "packed")
    assert (tmp_path / "packed" / "plan.csv").read_bytes() == (tmp_path / "plain" / "plan.csv").read_bytes()


def test_a_damaged_gzip_file_is_one_line(tmp_path, capsys):
    inst = _instance(tmp_path)
    bad = inst.dir / "shipments.csv.gz"
    bad.write_bytes(gzip.compress(inst.shipments.read_bytes())[:40])
    code, _, err = _plan(["plan", "--network", inst.network, "--shipments", bad, "--out", tmp_path / "o"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "shipments.csv.gz" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "csv.gz"])
def test_shipments_from_standard_input(tmp_path, fmt):
    inst = _instance(tmp_path)
    if fmt == "parquet":
        sink = pa.BufferOutputStream()
        pq.write_table(pacsv.read_csv(inst.shipments), sink)
        data = sink.getvalue().to_pybytes()
    else:
        data = inst.shipments.read_bytes()
        data = gzip.compress(data) if fmt == "csv.gz" else data
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "routing.cli", "plan", "--network", str(inst.network),
                           "--shipments", "-", "--out", str(out), "--quiet"], input=data, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    validate_plan(inst.network, inst.shipments, out)


def test_dataframes_and_arrow_tables(tmp_path):
    pd = pytest.importorskip("pandas")
    inst = _instance(tmp_path)
    net = routing.load_network(inst.network)
    from_file = routing.solve(net, routing.load_shipments(inst.shipments, net))
    table = pacsv.read_csv(inst.shipments)  # typed: weights as doubles, dates as date32
    frame = pd.read_csv(inst.shipments)
    for data in (table, table.to_batches()[0], frame):
        got = routing.solve(net, routing.load_shipments(data, net))
        assert got.plan.equals(from_file.plan)
    frame.loc[1, "weight_kg"] = -1.0
    with pytest.raises(routing.InputError, match=r"<DataFrame>: row 2: column 'weight_kg'"):
        routing.load_shipments(frame, net)
    with pytest.raises(routing.InputError, match="expected a file path"):
        routing.load_shipments([1, 2, 3], net)


def test_extra_columns_pass_through_untouched(tmp_path, capsys):
    rows = [ship("a", customer="ACME", note="rush"), ship("b", customer="Globex", note=""), ship("c", customer="")]
    inst = _instance(tmp_path, rows)
    out = tmp_path / "out"
    code, _, err = _plan(["plan", "--network", inst.network, "--shipments", inst.shipments, "--out", out,
                          "--quiet"], capsys)
    assert code == 0, err
    validate_plan(inst.network, inst.shipments, out)
    with open(out / "plan.csv", newline="") as fh:
        plan = list(csv.DictReader(fh))
    assert list(plan[0])[-2:] == ["customer", "note"]
    assert [(r["customer"], r["note"]) for r in plan] == [("ACME", "rush"), ("Globex", ""), ("", "")]
    # Parquet keeps their types
    out_pq = tmp_path / "pq"
    assert _plan(["plan", "--network", inst.network, "--shipments", inst.shipments, "--out", out_pq,
                  "--format", "parquet", "--quiet"], capsys)[0] == 0
    assert pq.read_table(out_pq / "plan.parquet").column("customer").to_pylist() == ["ACME", "Globex", ""]


def test_an_extra_column_named_like_a_plan_column_is_refused(tmp_path, capsys):
    inst = _instance(tmp_path, [ship("a", status="vip")])
    out = tmp_path / "out"
    code, _, err = _plan(["plan", "--network", inst.network, "--shipments", inst.shipments, "--out", out], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "column 'status' is a column of the plan" in err and not out.exists()


def test_timestamps_with_an_offset_count_on_the_origins_local_date(tmp_path, capsys):
    """F is in Shanghai (UTC+8): 23:30 in New York on 30 Nov is 12:30 on 1 Dec in Shanghai; 20:00 in
    Shanghai is 20:00 there; a timestamp without an offset is the date written; at a factory without a
    time zone, UTC counts."""
    rows = [ship("ny", order_date="2026-11-30T23:30:00-05:00"), ship("sh", order_date="2026-11-30T20:00:00+08:00"),
            ship("naive", order_date="2026-11-30T23:59:59"), ship("z", order_date="2026-12-01T01:00:00Z")]
    inst = _instance(tmp_path, rows, node_F={"timezone": "Asia/Shanghai"})
    out = tmp_path / "out"
    code, _, err = _plan(["plan", "--network", inst.network, "--shipments", inst.shipments, "--out", out,
                          "--quiet"], capsys)
    assert code == 0, err
    validate_plan(inst.network, inst.shipments, out)
    with open(out / "plan.csv", newline="") as fh:
        dates = {r["shipment_id"]: r["order_date"] for r in csv.DictReader(fh)}
    assert dates == {"ny": "2026-12-01", "sh": "2026-11-30", "naive": "2026-11-30", "z": "2026-12-01"}
    utc = _instance(tmp_path / "utc", rows)  # no time zone on F: UTC
    net = routing.load_network(utc.network)
    days = routing.load_shipments(utc.shipments, net).order_date.tolist()
    assert [routing.load_shipments(utc.shipments, net).first_order_date().isoformat()] == ["2026-11-30"]
    assert days[0] - days[1] == 1 and days[3] == days[0]  # 04:30Z Dec 1; 12:00Z Nov 30; 01:00Z Dec 1


@pytest.mark.parametrize(("value", "expect"), [
    ("2026-11-30T25:00:00+01:00", "bad timestamp"), ("30/11/2026", "expected YYYY-MM-DD or an ISO 8601"),
    ("2026-11-30T10:00+0100x", "expected YYYY-MM-DD or an ISO 8601")])
def test_bad_timestamps_are_one_line(tmp_path, capsys, value, expect):
    inst = _instance(tmp_path, [ship("a"), ship("b", order_date=value)])
    code, _, err = _plan(["plan", "--network", inst.network, "--shipments", inst.shipments, "--out",
                          tmp_path / "o"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "row 2" in err and "order_date" in err and expect in err


def test_unknown_time_zone_is_refused(tmp_path, capsys):
    inst = _instance(tmp_path, node_F={"timezone": "Mars/Olympus"})
    code, _, err = _plan(["plan", "--network", inst.network, "--shipments", inst.shipments, "--out",
                          tmp_path / "o"], capsys)
    assert code == 2 and "timezone" in err and "IANA" in err

"""Hostile input and hostile surroundings: the loader's limits, the output directory, and the writing of a plan.

Two promises, checked on every case:

* **Refused input**: ``routing plan`` (or ``generate``) exits 2 and prints exactly one stderr line
  ``routing: error: ...`` that names the offending file (or option / output directory) and the field
  or row; no traceback; nothing written (an ``--out`` that did not exist is not created, one that
  existed keeps its listing).
* **Accepted input**: exit 0 and the written plan passes ``tests.validator.validate_plan``.

Most runs are in-process (``routing.cli.main`` with ``capsys``); a run that could hang or must be
killed is a subprocess with a ``timeout=``, so a hang fails the test instead of blocking CI.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import routing
from routing import cli

from .helpers import FIXTURES, Instance, expected_exit, read_plan, read_summary, write_instance
from .test_rules import network, no_bonded, ship
from .validator import validate_plan

NETWORK = FIXTURES / "network.yaml"
EXAMPLE = FIXTURES / "example" / "shipments.csv"
PREFIX = "routing: error: "


# --------------------------------------------------------------------------- running the CLI


@dataclass
class Run:
    code: int | None
    out: str
    err: str
    seconds: float = 0.0


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Run:
    """``routing.cli.main(argv)`` in-process; argparse's SystemExit counts as an exit status."""
    capsys.readouterr()
    t = time.perf_counter()
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse refuses by raising
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    seconds = time.perf_counter() - t
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err, seconds)


def run_sub(argv: list[str], *, timeout: float, cwd: Path | None = None) -> Run:
    """``python -m routing.cli argv`` in a subprocess; a hang fails the test after ``timeout`` seconds."""
    t = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "routing.cli", *map(str, argv)], capture_output=True,
                              text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`routing {' '.join(map(str, argv[:1]))} ...` still running after {timeout:g} s "
                    f"(stderr so far: {(exc.stderr or b'')[-500:]!r})")
    return Run(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t)


def plan_argv(inst: Instance, out: Path, *extra: Any, shipments: Path | None = None) -> list[str]:
    argv = ["plan", "--network", inst.network, "--shipments", shipments or inst.shipments, "--out", out]
    if inst.inventory is not None:
        argv += ["--inventory", inst.inventory]
    return [str(a) for a in [*argv, *extra]]


def snapshot(path: Path) -> Any:
    """What a directory (or file, or symlink) holds, symlinks not followed: compared before and after a
    refused run. None: nothing there."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if os.path.islink(path):
        return ("symlink", os.readlink(path))
    if not os.path.isdir(path):
        return ("file", path.read_bytes())
    entries = []
    for root, dirs, files in os.walk(path):
        for name in sorted(dirs + files):
            full = os.path.join(root, name)
            s = os.lstat(full)
            entries.append((os.path.relpath(full, path), s.st_mode, s.st_size, s.st_mtime_ns))
    return (st.st_mode, sorted(entries))


def assert_refused(run: Run, out: Path | None, *names: str, before: Any = None, pattern: str | None = None) -> str:
    """Exit 2, one ``routing: error:`` line naming ``names`` (and matching ``pattern``), no traceback,
    nothing written into ``out`` (its snapshot equals ``before``: None = it does not exist)."""
    both = run.out + run.err
    assert "Traceback" not in both, both
    assert run.code == 2, f"exit {run.code}, expected 2; stderr: {run.err[-2000:]!r}"
    lines = run.err.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {run.err[-2000:]!r}"
    line = lines[0]
    assert line.startswith(PREFIX), line
    for name in names:
        assert name in line, f"{name!r} not named in {line!r}"
    if pattern is not None:
        assert re.search(pattern, line), f"{pattern!r} not in {line!r}"
    if out is not None:
        assert snapshot(out) == before, f"{out} changed by a refused run: {snapshot(out)!r}"
    return line


def assert_planned(run: Run, inst: Instance, out: Path, *, fmt: str = "csv",
                   shipments: Path | None = None) -> dict[str, Any]:
    """Exit 0, no traceback, and the written plan validates; returns summary.json."""
    assert "Traceback" not in run.out + run.err, run.out + run.err
    summary = read_summary(out)
    assert run.code == expected_exit(summary), f"exit {run.code}; stderr: {run.err[-2000:]!r}"
    validate_plan(inst.network, shipments or inst.shipments, out, inst.inventory, fmt=fmt)
    return summary


def opt(name: str) -> str:
    """A regex naming a CLI option either as ``--horizon-days`` or as the setting ``horizon_days``."""
    return "[-_]".join(re.escape(part) for part in name.lstrip("-").split("-"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tmp_files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- instances


def small(tmp: Path, net: dict | None = None, ships: list[dict] | None = None,
          inventory: list[dict] | None = None, name: str = "inst") -> Instance:
    """The rules' base network (tests/test_rules.py) and a few shipments."""
    rows = ships if ships is not None else [ship("a"), ship("b", weight_kg=2.0, order_date="2026-12-01"),
                                            ship("c", value=80, sku="K", quantity=2)]
    return write_instance(tmp, net if net is not None else network(), rows, inventory, name=name)


def capacitated(tmp: Path, n: int, name: str = "cap") -> Instance:
    """``n`` shipments on the base network without the warehouse, air and express capacitated."""
    net = network(lane_air={"capacity_kg_per_departure": 30.0}, lane_express={"capacity_kg_per_departure": 20.0},
                  lane_sea=None, lane_blm=None, node_B=None, node_H={"capacity_parcels_per_day": 40})
    days = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    rows = [ship(f"s{i}", weight_kg=0.5 + (i % 7) * 0.3, order_date=days[i % 5], value=10 + i % 50)
            for i in range(n)]
    return write_instance(tmp, net, rows, name=name)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two medium instances on the bundled network (1,500 shipments each, different seeds, with stock)."""
    paths = {}
    for seed in (3, 4):
        out = tmp_path_factory.mktemp(f"gen{seed}")
        assert cli.main(["generate", "--network", str(NETWORK), "--shipments", "1500", "--seed", str(seed),
                         "--days", "7", "--inventory", "--out", str(out), "--quiet"]) == 0
        paths[f"shipments{seed}"] = out / "shipments.csv"
        paths[f"inventory{seed}"] = out / "inventory.csv"
    return paths


def medium(generated: dict[str, Path], seed: int = 3) -> Instance:
    return Instance(NETWORK, generated[f"shipments{seed}"], generated[f"inventory{seed}"],
                    generated[f"shipments{seed}"].parent)


@pytest.fixture(scope="module")
def startup() -> float:
    """Wall seconds of a bare ``python -m routing.cli --version`` (interpreter start and imports)."""
    return run_sub(["--version"], timeout=60).seconds


# =========================================================================== documents


def _bomb_yaml(levels: int = 9, fan: int = 10) -> str:
    """A billion-laughs network: ``levels`` levels of ``fan`` aliases each, in labels the planner ignores."""
    lines = ["description:", "  l0: &l0 [" + ", ".join(["lol"] * fan) + "]"]
    for k in range(1, levels + 1):
        lines.append(f"  l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * fan) + "]")
    top = f"*l{levels}"
    lines.append("name: [" + ", ".join([top] * fan) + "]")
    net = no_bonded()
    for n in net["nodes"]:  # every node carries the top level as its (ignored) name
        n["name"] = "TOP"
    body = yaml.safe_dump({"epoch": net["epoch"], "nodes": net["nodes"], "lanes": net["lanes"]}, sort_keys=False)
    return "\n".join(lines) + "\n" + body.replace("name: TOP", f"name: {top}")


def test_yaml_alias_bomb_refused_quickly(tmp_path: Path) -> None:
    inst = small(tmp_path, no_bonded())
    text = _bomb_yaml()
    assert len(text) < 2500 and text.count("*l") > 100  # ~1.5 KB, 10^10 leaves if expanded
    inst.network.write_text(text)
    out = tmp_path / "out"
    run = run_sub(plan_argv(inst, out, "--quiet"), timeout=30, cwd=tmp_path)
    assert_refused(run, out, "network.yaml")
    assert run.seconds < 5, f"took {run.seconds:.1f} s"


def test_yaml_with_a_few_aliases_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Anchors and merge keys for shared lane fields are ordinary YAML: well under the alias budget."""
    inst = small(tmp_path, no_bonded())
    text = """epoch: 2026-11-30
description: &lastmile {mode: last_mile, transit_days: 1, cost_per_parcel: 1.0}
nodes:
  - {id: F, kind: factory, handling_days: 1, handling_cost: 0.1}
  - {id: H, kind: hub, handling_cost: 0.2}
  - {id: G, kind: gateway, handling_days: 1, handling_cost: 0.5}
  - {id: M, kind: market, promise_days: 6, late_penalty_per_day: 1.0}
  - {id: X, kind: market}
lanes:
  - {id: truck, from: F, to: H, mode: truck, transit_days: 1}
  - {id: air, from: H, to: G, mode: air, transit_days: 1, departures: [mon, thu], cost_per_kg: 2.0}
  - {<<: *lastmile, id: lm, from: G, to: M}
  - {<<: *lastmile, id: lmx, from: G, to: X}
"""
    inst.network.write_text(text)
    out = tmp_path / "out"
    assert_planned(run_cli(plan_argv(inst, out, "--quiet"), capsys), inst, out)


@pytest.mark.parametrize(("fmt", "depth"), [("json", 100_000), ("yaml", 100_000), ("json", 100), ("yaml", 100)])
def test_deeply_nested_document_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str,
                                        depth: int) -> None:
    """Nesting beyond 64 levels is refused with one line, however deep (no RecursionError)."""
    inst = small(tmp_path, no_bonded())
    deep = "[" * depth + "]" * depth
    net = no_bonded()
    if fmt == "json":
        path = inst.dir / "network.json"
        body = json.dumps({"epoch": net["epoch"], "nodes": net["nodes"], "lanes": net["lanes"],
                           "description": "DEEP"})
        path.write_text(body.replace('"DEEP"', deep))
    else:
        path = inst.network
        path.write_text(yaml.safe_dump(net, sort_keys=False) + f"description: {deep}\n")
    inst = Instance(path, inst.shipments, None, inst.dir)
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet"), capsys)
    assert_refused(run, out, path.name)
    assert run.seconds < 5


# =========================================================================== dates


@pytest.mark.parametrize("day", ["0000-01-01", "0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_order_date_out_of_range_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], day: str) -> None:
    inst = small(tmp_path, ships=[ship("a"), ship("b", order_date=day), ship("c")])
    out = tmp_path / "out"
    assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "shipments.csv", "row 2", "order_date")


@pytest.mark.parametrize("epoch", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "0000-01-01"])
@pytest.mark.parametrize("quoted", [True, False], ids=["text", "yaml-date"])
def test_epoch_out_of_range_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], epoch: str,
                                    quoted: bool) -> None:
    """Both as a quoted text and as a bare YAML date (``0000-01-01`` is no date PyYAML can build)."""
    inst = small(tmp_path)
    text = inst.network.read_text()
    assert "epoch: '2026-11-30'" in text
    inst.network.write_text(text.replace("epoch: '2026-11-30'", f"epoch: '{epoch}'" if quoted else f"epoch: {epoch}"))
    out = tmp_path / "out"
    assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "network.yaml", "epoch")


def test_dates_at_the_limits_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """1900-01-01 and 2199-12-31 are inside the range: orders on both days get a validated plan."""
    net = network()
    del net["epoch"]
    inst = small(tmp_path, net, [ship("old", order_date="1900-01-01"), ship("late", order_date="2199-12-31")])
    out = tmp_path / "out"
    summary = assert_planned(run_cli(plan_argv(inst, out, "--quiet"), capsys), inst, out)
    assert summary["epoch"] == "1900-01-01"


# =========================================================================== numbers


SHIPMENT_NUMBERS = [
    ("weight_kg", "1e308"), ("weight_kg", "100001"), ("volume_cm3", "1e308"), ("volume_cm3", "1000000001"),
    ("value", "1e308"), ("value", "1000000001"), ("quantity", "9e18"), ("quantity", "9000000000000000000"),
    ("quantity", "1000001"), ("quantity", "2.5"), ("promise_days", "3000000000"), ("promise_days", "4294967296"),
    ("promise_days", "366"), ("promise_days", "1.5"),
]


@pytest.mark.parametrize(("column", "value"), SHIPMENT_NUMBERS, ids=[f"{c}={v}" for c, v in SHIPMENT_NUMBERS])
def test_shipment_number_out_of_range_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str,
                                              value: str) -> None:
    inst = small(tmp_path, ships=[ship("a"), ship("b", **{column: value}), ship("c")])
    out = tmp_path / "out"
    assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "shipments.csv", "row 2", column)


NETWORK_NUMBERS = [
    ("lane", "air", "cost_per_kg", 1e200), ("node", "B", "dwell_days", 1e300),
    ("node", "M", "promise_days", 3000000000), ("node", "M", "promise_days", 4294967296),
    ("node", "F", "handling_days", 366), ("node", "F", "handling_days", 2.5), ("node", "F", "handling_days", -1),
    ("node", "F", "handling_days", 10**30), ("lane", "air", "transit_days", 366), ("node", "M", "promise_days", 366),
    ("node", "H", "handling_cost", 1000001.0), ("lane", "air", "cost_per_kg", 2e6),
    ("lane", "lm", "cost_per_parcel", 2e6), ("node", "M", "late_penalty_per_day", 2e6),
    ("node", "B", "storage_cost_per_kg_day", 10001.0), ("node", "B", "dwell_days", 3651),
    ("node", "M", "duty_rate", 10.5), ("node", "M", "de_minimis", 2e9),
    ("node", "H", "capacity_parcels_per_day", 2e9), ("node", "H", "capacity_parcels_per_day", 2.5),
    ("lane", "air", "capacity_kg_per_departure", 2e12), ("lane", "air", "volumetric_divisor", 0.5),
    ("lane", "air", "volumetric_divisor", 2e7),
]


@pytest.mark.parametrize(("kind", "ident", "field", "value"), NETWORK_NUMBERS,
                         ids=[f"{i}.{f}={v:g}" for _, i, f, v in NETWORK_NUMBERS])
def test_network_number_out_of_range_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str,
                                             ident: str, field: str, value: float) -> None:
    inst = small(tmp_path, network(**{f"{kind}_{ident}": {field: value}}))
    out = tmp_path / "out"
    assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "network.yaml", f"'{ident}'", field)


def test_unassigned_penalty_inf_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", "--unassigned-penalty", "inf"), capsys)
    assert_refused(run, out, pattern=opt("--unassigned-penalty"))


@pytest.mark.parametrize(("row", "column", "value"), [
    (2, "units", "1000000001"), (1, "units", "2.5"), (2, "units", "-1"), (1, "units", "1e300"),
    (2, "sku", "=HYPERLINK(\"x\")"), (1, "sku", "x" * 201),
])
def test_inventory_out_of_range_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], row: int, column: str,
                                        value: str) -> None:
    stock = [{"node": "B", "sku": "K", "units": "5"}, {"node": "B", "sku": "L", "units": "7"}]
    stock[row - 1][column] = value
    inst = small(tmp_path, inventory=stock)
    out = tmp_path / "out"
    assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "inventory.csv", f"row {row}", column)


def test_limits_are_inclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every network, shipment and inventory number at the edge of its range, and 200-character ids, plan."""
    long_hub = "h" * 200
    net = network(
        node_X={"promise_days": 365, "late_penalty_per_day": 1e6, "duty_rate": 10, "de_minimis": 1e9,
                "handling_days": 365, "handling_cost": 1e6, "capacity_parcels_per_day": 1_000_000_000},
        node_B={"storage_cost_per_kg_day": 1e4, "dwell_days": 3650},
        node_M={"promise_days": 0, "late_penalty_per_day": 0},
        lane_express={"cost_per_kg": 1e6, "cost_per_parcel": 1e6, "volumetric_divisor": 1e7,
                      "capacity_kg_per_departure": 1e12, "transit_days": 365},
        lane_air={"volumetric_divisor": 1},
    )
    net["nodes"].append({"id": long_hub, "kind": "hub", "capacity_parcels_per_day": 0})
    net["lanes"].append({"id": "l" * 200, "from": "H", "to": long_hub, "mode": "truck", "transit_days": 0})
    rows = [ship("a"), ship("s" * 200, weight_kg=1e5, volume_cm3=1e9, value=1e9, quantity=1_000_000,
                            promise_days=365, sku="k" * 200),
            ship("c", weight_kg=1e-6, promise_days=0, quantity=1)]
    inst = small(tmp_path, net, rows, [{"node": "B", "sku": "k" * 200, "units": 1_000_000_000},
                                       {"node": "B", "sku": "a", "units": 0}])
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", "--horizon-days", "365", "--max-legs", "20",
                            "--unassigned-penalty", "1e7", "--seed", "2147483647"), capsys)
    summary = assert_planned(run, inst, out)
    assert summary["horizon_days"] == 365 and summary["max_legs"] == 20


# =========================================================================== Parquet


def _parquet_columns(n: int = 3) -> dict[str, pa.Array]:
    return {"shipment_id": pa.array([f"S{i}" for i in range(n)]), "origin": pa.array(["F"] * n),
            "destination": pa.array(["M"] * n), "order_date": pa.array([dt.date(2026, 11, 30)] * n),
            "weight_kg": pa.array([1.0 + i for i in range(n)])}


PARQUET_TYPES = {
    "list": ("sku", pa.array([["a"], ["b", "c"], []], pa.list_(pa.string()))),
    "struct": ("value", pa.array([{"x": 1.0}, {"x": 2.0}, {"x": 3.0}], pa.struct([("x", pa.float64())]))),
    "map": ("channel", pa.array([[("k", "jit")], [], [("k", "any")]], pa.map_(pa.string(), pa.string()))),
    "binary": ("shipment_id", pa.array([b"S0", b"S1", b"\xff"], pa.binary())),
}


@pytest.mark.parametrize("kind", list(PARQUET_TYPES))
def test_parquet_nested_or_binary_column_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 kind: str) -> None:
    inst = small(tmp_path)
    column, values = PARQUET_TYPES[kind]
    cols = _parquet_columns() | {column: values}
    path = inst.dir / "shipments.parquet"
    pq.write_table(pa.table(cols), path)
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", shipments=path), capsys)
    assert_refused(run, out, "shipments.parquet", column)


def test_parquet_int64_ids_above_2_53_read_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)
    ids = [2**53 + 1, 2**53 + 3, 2**63 - 1]
    cols = _parquet_columns() | {"shipment_id": pa.array(ids, pa.int64())}
    path = inst.dir / "shipments.parquet"
    pq.write_table(pa.table(cols), path)
    out = tmp_path / "out"
    assert_planned(run_cli(plan_argv(inst, out, "--quiet", shipments=path), capsys), inst, out, shipments=path)
    assert list(read_plan(out)) == [str(i) for i in ids]


# =========================================================================== CSV text


@pytest.mark.parametrize("ragged", [False, True], ids=["long-field", "long-field-then-ragged-row"])
def test_csv_field_of_200000_chars_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], ragged: bool) -> None:
    """Longer than Python's csv field limit (131,072): one line, not ``_csv.Error``; a ragged row after it
    sends the reader down its row-counting path too."""
    inst = small(tmp_path)
    header = inst.shipments.read_text().splitlines()[0].split(",")
    with open(inst.shipments, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, restval="")
        w.writerow(ship("d", sku="x" * 200_000))
        if ragged:
            csv.writer(fh).writerow(["e", "F", "M"])
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet"), capsys)
    line = assert_refused(run, out, "shipments.csv")
    assert "row 4" in line or (ragged and "row 5" in line), line


# =========================================================================== ids

BAD_IDS = {"formula=": "=1+1", "formula+": "+44", "formula-": "-x", "formula@": "@SUM(A1)", "tab": "a\tb",
           "newline": "a\nb", "201-chars": "x" * 201}


def _add_node(node_id: str) -> dict:
    net = network()
    net["nodes"].append({"id": node_id, "kind": "hub"})
    return net


@pytest.mark.parametrize("bad", [*BAD_IDS, "route-separator"])
def test_bad_node_id_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    node_id = "A>B" if bad == "route-separator" else BAD_IDS[bad]
    inst = small(tmp_path, _add_node(node_id))
    out = tmp_path / "out"
    line = assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "network.yaml")
    assert re.search(r"\bid\b|nodes\[7\]", line), line


@pytest.mark.parametrize("bad", [*BAD_IDS, "lane-separator"])
def test_bad_lane_id_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    inst = small(tmp_path, network(lane_express={"id": "air|express" if bad == "lane-separator" else BAD_IDS[bad]}))
    out = tmp_path / "out"
    line = assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "network.yaml")
    assert re.search(r"\bid\b|lanes\[3\]", line), line


@pytest.mark.parametrize("column", ["shipment_id", "sku"])
@pytest.mark.parametrize("bad", [*BAD_IDS])
def test_bad_shipment_id_or_sku_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str,
                                        bad: str) -> None:
    inst = small(tmp_path, ships=[ship("a", sku="K"), ship("b", sku="L"), ship("c", sku="K")])
    rows = list(csv.DictReader(inst.shipments.open(newline="")))
    rows[1][column] = BAD_IDS[bad]
    with open(inst.shipments, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "out"
    line = assert_refused(run_cli(plan_argv(inst, out, "--quiet"), capsys), out, "shipments.csv")
    if bad != "newline":  # a raw newline may be reported as the row the reader saw break
        assert "row 2" in line and column in line, line


# =========================================================================== settings (CLI flags)

BAD_FLAGS = [
    ("--horizon-days", "366"), ("--horizon-days", "-1"), ("--max-legs", "21"), ("--max-legs", "-1"),
    ("--unassigned-penalty", "0"), ("--unassigned-penalty", "-1"), ("--unassigned-penalty", "nan"),
    ("--unassigned-penalty", "inf"), ("--unassigned-penalty", "10000001"), ("--unassigned-penalty", "1e308"),
    ("--time-limit", "0"), ("--time-limit", "-1"), ("--time-limit", "nan"), ("--time-limit", "inf"),
    ("--threads", "0"), ("--threads", "257"), ("--seed", "-1"), ("--seed", "2147483648"),
]


@pytest.mark.parametrize(("flag", "value"), BAD_FLAGS, ids=[f"{f}={v}" for f, v in BAD_FLAGS])
def test_bad_setting_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", flag, value), capsys)
    assert_refused(run, out, pattern=opt(flag))


@pytest.mark.parametrize(("horizon", "waiting"), [("5", "6"), ("14", "15"), ("0", "1")])
def test_waiting_days_beyond_horizon_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], horizon: str,
                                             waiting: str) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", "--horizon-days", horizon, "--waiting-days", waiting), capsys)
    assert_refused(run, out, pattern=opt("--waiting-days"))


def test_horizon_100000_days_refused_quickly(tmp_path: Path) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    run = run_sub(plan_argv(inst, out, "--quiet", "--horizon-days", "100000"), timeout=20, cwd=tmp_path)
    assert_refused(run, out, pattern=opt("--horizon-days"))
    assert run.seconds < 5, f"took {run.seconds:.1f} s"


# =========================================================================== routing generate

BAD_GENERATE = [
    ("--seed", "-1"), ("--seed", "4294967296"), ("--days", "1e8"), ("--days", "0"), ("--days", "367"),
    ("--days", "-3"), ("--shipments", "0"), ("--shipments", "-5"),
]


def _generate_argv(out: Path, **flags: str) -> list[str]:
    args = {"--shipments": "10", "--seed": "1", "--days": "7"} | flags
    return ["generate", "--network", str(NETWORK), *itertools.chain.from_iterable(args.items()), "--out", str(out),
            "--quiet"]


@pytest.mark.parametrize(("flag", "value"), BAD_GENERATE, ids=[f"{f}={v}" for f, v in BAD_GENERATE])
def test_generate_bad_option_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str,
                                     value: str) -> None:
    out = tmp_path / "gen"
    run = run_cli(_generate_argv(out, **{flag: value}), capsys)
    assert_refused(run, out, pattern=opt(flag))


def test_generate_more_than_ten_million_shipments_refused(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    run = run_sub(_generate_argv(out, **{"--shipments": "10000001"}), timeout=10, cwd=tmp_path)
    assert_refused(run, out, pattern=opt("--shipments"))


def test_generate_options_at_their_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gen"
    run = run_cli(_generate_argv(out, **{"--shipments": "1", "--days": "366", "--seed": "4294967295"}), capsys)
    assert run.code == 0, run.err
    rows = list(csv.DictReader((out / "shipments.csv").open(newline="")))
    assert len(rows) == 1


# =========================================================================== the output directory


OUT_CASES = {  # name -> (the --out argument under tmp, how the error line may name it)
    "empty": ("", None),
    "existing-file": ("a-file", "a-file"),
    "dangling-symlink": ("dangling", "dangling"),
    "under-a-file": ("a-file/sub/out", "a-file"),
    "component-300-chars": ("x" * 300 + "/out", "x" * 20),
}


@pytest.mark.parametrize("case", list(OUT_CASES))
def test_bad_out_refused_before_planning(tmp_path: Path, startup: float, case: str) -> None:
    """On the bundled 10,000-shipment example (~15 s to plan): refused within 3 s of start-up, nothing
    created anywhere (the working directory, the file, the symlink's target)."""
    (tmp_path / "a-file").write_text("keep me\n")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "target")
    (tmp_path / "cwd").mkdir()
    arg, token = OUT_CASES[case]
    out = str(tmp_path / arg) if arg else ""
    before = snapshot(tmp_path)
    run = run_sub(["plan", "--network", NETWORK, "--shipments", EXAMPLE, "--out", out, "--quiet"],
                  timeout=startup + 10, cwd=tmp_path / "cwd")
    line = assert_refused(run, tmp_path, before=before)
    assert "--out" in line or "output director" in line or (token and token in line), line
    assert run.seconds < startup + 3, f"took {run.seconds:.1f} s (start-up {startup:.1f} s)"


def test_refused_input_leaves_an_existing_out_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    assert_planned(run_cli(plan_argv(inst, out, "--quiet"), capsys), inst, out)
    (out / "notes.txt").write_text("mine\n")
    before = snapshot(out)
    bad = small(tmp_path, ships=[ship("a"), ship("b", weight_kg="1e308")], name="bad")
    assert_refused(run_cli(plan_argv(bad, out, "--quiet"), capsys), out, "shipments.csv", before=before)


# =========================================================================== plans always come back


def test_aggregate_without_capacities_or_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)  # the base network has neither
    out = tmp_path / "out"
    assert_planned(run_cli(plan_argv(inst, out, "--quiet", "--strategy", "aggregate"), capsys), inst, out)


def test_aggregate_with_capacities_and_no_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = network(lane_air={"capacity_kg_per_departure": 2.0}, node_H={"capacity_parcels_per_day": 2})
    inst = small(tmp_path, net, [ship(f"s{i}", weight_kg=1.0 + i % 2) for i in range(6)])
    out = tmp_path / "out"
    assert_planned(run_cli(plan_argv(inst, out, "--quiet", "--strategy", "aggregate"), capsys), inst, out)


def test_aggregate_with_the_largest_unassigned_penalty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = network(lane_air={"capacity_kg_per_departure": 2.0})
    inst = small(tmp_path, net, [ship(f"s{i}") for i in range(4)])
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", "--strategy", "aggregate", "--unassigned-penalty", "1e7"), capsys)
    summary = assert_planned(run, inst, out)
    assert summary["unassigned_penalty"] == 1e7


def test_exact_with_a_time_limit_too_short_for_the_lp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = capacitated(tmp_path, 150)
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", "--strategy", "exact", "--time-limit", "0.001"), capsys)
    summary = assert_planned(run, inst, out)
    assert summary["status"] == "time_limit"
    assert summary["lower_bound"] <= summary["objective"] + 1e-6


def test_aggregate_with_a_tiny_time_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = capacitated(tmp_path, 150)
    out = tmp_path / "out"
    run = run_cli(plan_argv(inst, out, "--quiet", "--strategy", "aggregate", "--time-limit", "0.001"), capsys)
    summary = assert_planned(run, inst, out)
    assert summary["lower_bound"] <= summary["objective"] + 1e-6


def _complete_network(n: int = 8) -> dict:
    """A factory, a market and ``n`` hubs/gateways joined by every possible capacitated daily lane."""
    mids = [f"N{i}" for i in range(n)]
    nodes = [{"id": "F", "kind": "factory"}, {"id": "M", "kind": "market", "promise_days": 10}]
    nodes += [{"id": m, "kind": "hub" if i < n // 2 else "gateway"} for i, m in enumerate(mids)]
    lanes = []
    for m in mids:
        lanes.append({"id": f"F-{m}", "from": "F", "to": m, "mode": "truck", "transit_days": 1, "cost_per_kg": 1.0,
                      "capacity_kg_per_departure": 3.0})
        lanes.append({"id": f"{m}-M", "from": m, "to": "M", "mode": "last_mile", "transit_days": 1,
                      "cost_per_kg": 1.0, "capacity_kg_per_departure": 3.0})
    for a, b in itertools.permutations(mids, 2):
        lanes.append({"id": f"{a}-{b}", "from": a, "to": b, "mode": "air", "transit_days": 1, "cost_per_kg": 0.5,
                      "capacity_kg_per_departure": 3.0})
    return {"epoch": "2026-11-30", "nodes": nodes, "lanes": lanes}


def test_time_limit_bounds_route_enumeration(tmp_path: Path) -> None:
    """A complete graph of 8 hubs/gateways: enumeration is cut by the time limit, and the summary says so."""
    inst = write_instance(tmp_path, _complete_network(), [ship(f"s{i}") for i in range(20)])
    out = tmp_path / "out"
    run = run_sub(plan_argv(inst, out, "--quiet", "--time-limit", "5"), timeout=60, cwd=tmp_path)
    summary = assert_planned(run, inst, out)
    assert run.seconds < 20, f"took {run.seconds:.1f} s"
    assert summary["heuristic"] is True
    assert summary["bound_scope"] != "full horizon"


def test_max_legs_cutting_the_optimum_is_not_optimal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The cheap route has 4 legs; with --max-legs 2 only the dear 2-leg one is seen: no optimality claim."""
    net = {"epoch": "2026-11-30", "nodes": [
        {"id": "F", "kind": "factory"}, {"id": "h1", "kind": "hub"}, {"id": "h2", "kind": "hub"},
        {"id": "h3", "kind": "gateway"}, {"id": "gw", "kind": "gateway"}, {"id": "M", "kind": "market"}],
        "lanes": [
            {"id": "c1", "from": "F", "to": "h1", "mode": "truck", "cost_per_parcel": 0.1},
            {"id": "c2", "from": "h1", "to": "h2", "mode": "truck", "cost_per_parcel": 0.1},
            {"id": "c3", "from": "h2", "to": "h3", "mode": "air", "cost_per_parcel": 0.1},
            {"id": "c4", "from": "h3", "to": "M", "mode": "last_mile", "cost_per_parcel": 0.1},
            {"id": "d1", "from": "F", "to": "gw", "mode": "air", "cost_per_parcel": 5.0},
            {"id": "d2", "from": "gw", "to": "M", "mode": "last_mile", "cost_per_parcel": 5.0}]}
    inst = write_instance(tmp_path, net, [ship("a"), ship("b")])
    out = tmp_path / "out"
    summary = assert_planned(run_cli(plan_argv(inst, out, "--quiet", "--max-legs", "2"), capsys), inst, out)
    assert all(r["route"] == "F>gw>M" for r in read_plan(out).values())
    assert summary["heuristic"] is True
    assert "2 legs" in summary["bound_scope"], summary["bound_scope"]
    assert summary["status"] != "optimal"
    # with the default cap (6 legs, more than any simple path here) the same instance is proven optimal
    out2 = tmp_path / "out2"
    summary2 = assert_planned(run_cli(plan_argv(inst, out2, "--quiet"), capsys), inst, out2)
    assert all(r["route"] == "F>h1>h2>h3>M" for r in read_plan(out2).values())
    assert summary2["status"] == "optimal" and summary2["heuristic"] is False


def test_lp_bound_is_on_the_objectives_basis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A target of 1.0 nobody can meet (promise 2 days, the fastest path takes 6): lp_bound <= objective."""
    net = no_bonded()
    net = {**net, "lanes": [ln for ln in net["lanes"] if ln["id"] != "express"]}
    for n in net["nodes"]:
        if n["id"] == "M":
            n.update(promise_days=2, on_time_target=1.0)
    inst = small(tmp_path, net, [ship("a"), ship("b"), ship("c", weight_kg=3.0)])
    out = tmp_path / "out"
    summary = assert_planned(run_cli(plan_argv(inst, out, "--quiet"), capsys), inst, out)
    assert summary["markets"]["M"]["target_met"] is False
    assert summary["lp_bound"] <= summary["objective"] + 1e-6
    assert summary["lower_bound"] <= summary["objective"]


# =========================================================================== outputs


def test_rerun_in_another_format_removes_the_old_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    assert_planned(run_cli(plan_argv(inst, out, "--quiet"), capsys), inst, out)
    assert (out / "plan.csv").exists()
    summary = assert_planned(run_cli(plan_argv(inst, out, "--quiet", "--format", "parquet"), capsys), inst, out,
                             fmt="parquet")
    assert not (out / "plan.csv").exists() and not (out / "legs.csv").exists()
    assert summary["files"]["plan.parquet"] == sha256(out / "plan.parquet")
    assert summary["files"]["legs.parquet"] == sha256(out / "legs.parquet")


def test_no_temp_files_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    for fmt in ("csv", "parquet", "csv"):
        assert_planned(run_cli(plan_argv(inst, out, "--quiet", "--format", fmt), capsys), inst, out, fmt=fmt)
        assert tmp_files(out) == []


def test_files_get_mode_644_under_umask_022(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        run = run_cli(plan_argv(inst, out, "--quiet"), capsys)
    finally:
        os.umask(old)
    assert_planned(run, inst, out)
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in out.iterdir()}
    assert modes == {f"{name}.csv": "0o644" for name in ("plan", "legs", "lanes", "nodes", "stock")} | \
        {"summary.json": "0o644"}


def test_summary_names_its_files_with_sha256(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst = small(tmp_path)
    out = tmp_path / "out"
    summary = assert_planned(run_cli(plan_argv(inst, out, "--quiet"), capsys), inst, out)
    files = summary["files"]
    assert files["plan.csv"] == sha256(out / "plan.csv")
    assert files["legs.csv"] == sha256(out / "legs.csv")
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in files.values())


def _consistent(out: Path) -> None:
    """summary.json is absent, or it names the plan and legs on disk by their sha256."""
    if not (out / "summary.json").exists():
        return
    summary = json.loads((out / "summary.json").read_text())  # never half-written
    files = summary.get("files") or {}
    for name in ("plan.csv", "legs.csv"):
        assert (out / name).exists(), f"summary.json beside no {name}"
        assert files.get(name) == sha256(out / name), f"summary.json does not name this {name}: {files}"


def _wait_for_tmp(proc: subprocess.Popen, out: Path, deadline: float) -> bool:
    while proc.poll() is None and time.perf_counter() < deadline:
        try:
            if any(e.name.endswith(".tmp") for e in os.scandir(out)):
                return True
        except FileNotFoundError:
            pass
        time.sleep(0.0002)
    return False


def test_kill_during_write_never_mixes_runs(tmp_path: Path, generated: dict[str, Path]) -> None:
    """SIGKILL at 10 seeded points around the write phase, alternating two instances into one --out:
    after every kill the directory holds no summary, or a summary whose hashes match the tables."""
    out = tmp_path / "out"
    insts = [medium(generated, 3), medium(generated, 4)]
    first = run_sub(plan_argv(insts[0], out, "--quiet"), timeout=120, cwd=tmp_path)
    assert_planned(first, insts[0], out)
    duration = first.seconds
    write = read_summary(out)["seconds"].get("write", 0.05)
    rng = random.Random(20261203)
    for trial in range(10):
        inst = insts[(trial + 1) % 2]
        proc = subprocess.Popen([sys.executable, "-m", "routing.cli", *plan_argv(inst, out, "--quiet")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path)
        t0 = time.perf_counter()
        try:
            if trial % 2 == 0:  # at a temp file's appearance, then somewhere in the write phase
                if _wait_for_tmp(proc, out, t0 + 3 * duration + 10):
                    time.sleep(rng.uniform(0, 1.5 * write))
            else:  # at a seeded time of the run (start-up, planning or writing)
                pause = rng.uniform(0, 1.05) * duration
                while proc.poll() is None and time.perf_counter() - t0 < pause:
                    time.sleep(0.001)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
            err = proc.stderr.read().decode() if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
        assert "Traceback" not in err, err
        _consistent(out)
    final = run_sub(plan_argv(insts[0], out, "--quiet"), timeout=120, cwd=tmp_path)
    assert_planned(final, insts[0], out)
    _consistent(out)
    assert tmp_files(out) == []


def test_concurrent_runs_into_one_out(tmp_path: Path, generated: dict[str, Path]) -> None:
    """Two runs started together into one existing --out: one is refused (the directory is in use), the
    other writes one consistent set. (The directory exists: a refused run must not create one.)"""
    inst = medium(generated, 3)
    out = tmp_path / "out"
    out.mkdir()
    argv = [sys.executable, "-m", "routing.cli", *plan_argv(inst, out, "--quiet")]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
             for _ in range(2)]
    results = []
    for p in procs:
        try:
            o, e = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("a concurrent run hung")
        results.append(Run(p.returncode, o, e))
    assert sorted(r.code == 2 for r in results) == [False, True], [(r.code, r.err[-500:]) for r in results]
    loser = next(r for r in results if r.code == 2)
    winner = next(r for r in results if r.code != 2)
    line = assert_refused(loser, None)
    assert "in use" in line, line
    assert winner.err == ""
    assert_planned(winner, inst, out)
    _consistent(out)
    assert tmp_files(out) == []


@pytest.mark.parametrize("strategy", ["exact", "aggregate"])
def test_quiet_prints_nothing_on_stderr(tmp_path: Path, generated: dict[str, Path], capfd: pytest.CaptureFixture[str],
                                        strategy: str) -> None:
    """Not a progress line, not a solver's own log on file descriptor 2, not a RuntimeWarning."""
    inst = medium(generated, 4)
    out = tmp_path / "out"
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = cli.main(plan_argv(inst, out, "--quiet", "--strategy", strategy))
    captured = capfd.readouterr()
    assert captured.err == "", captured.err
    assert [str(w.message) for w in caught] == []
    assert_planned(Run(code, captured.out, captured.err), inst, out)


def test_summary_table_figures_never_run_together(tmp_path: Path) -> None:
    """A market whose cost and shortfall have 13+ digits (1M parcels unassigned at a high penalty) still
    reads as ten columns: every column is as wide as its widest figure."""
    inst = write_instance(tmp_path, network(), [ship("a"), ship("b")])
    net = routing.load_network(inst.network)
    result = routing.solve(net, routing.load_shipments(inst.shipments, net))
    huge = {m: dataclasses.replace(d, shipments=1_000_000, shortfall=900_000, cost=1.0e13, cost_per_kg=12345.67)
            for m, d in result.figures.markets.items()}
    text = dataclasses.replace(result.figures, markets=huge).text()
    lines = text.splitlines()
    table = lines[lines.index(next(ln for ln in lines if ln.startswith("market"))):][:1 + len(huge)]
    assert table[0].split() == ["market", "ships", "on-time", "target", "met", "short", "cost", "/kg", "jit", "/pt"]
    for row in table[1:]:
        cells = row.split()
        assert len(cells) == 10, row
        assert cells[1] == "1,000,000" and cells[5] == "900,000" and cells[6] == "10,000,000,000,000.00", row
    assert len({len(row) for row in table}) == 1  # aligned

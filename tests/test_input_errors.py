"""Malformed input: each case corrupts one thing in a small valid network / shipments / inventory set.

For every case the loaders must raise ``routing.InputError`` naming the file, the place (``row N`` for
tables, 1-based with the header excluded; ``node 'ID'`` / ``lane 'ID'`` for the network), the field or
column and what is wrong; and ``routing plan`` must print one ``routing: error:`` line, exit 2 and
write nothing.  The CLI check runs in-process for every case and as a real subprocess for a few.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import routing
from routing import cli

# 2026-11-30 is a Monday.
NETWORK: dict[str, Any] = {
    "epoch": dt.date(2026, 11, 30),
    "nodes": [
        {"id": "F1", "kind": "factory", "country": "CN", "handling_days": 1, "handling_cost": 0.1,
         "capacity_parcels_per_day": 100},
        {"id": "H1", "kind": "hub", "country": "CN", "handling_days": 0, "handling_cost": 0.2},
        {"id": "G1", "kind": "gateway", "country": "DE", "handling_days": 1, "handling_cost": 0.3},
        {"id": "B1", "kind": "bonded", "country": "DE", "handling_days": 0, "handling_cost": 1.0,
         "storage_cost_per_kg_day": 0.01, "dwell_days": 30},
        {"id": "M1", "kind": "market", "country": "DE", "promise_days": 5, "on_time_target": 0.5,
         "late_penalty_per_day": 2.0, "duty_rate": 0.1, "de_minimis": 150},
    ],
    "lanes": [
        {"id": "FH", "from": "F1", "to": "H1", "mode": "truck", "transit_days": 0, "cost_per_kg": 0.5},
        {"id": "HG", "from": "H1", "to": "G1", "mode": "air", "transit_days": 1, "departures": ["mon", "wed", "fri"],
         "cost_per_kg": 3.0, "volumetric_divisor": 6000, "capacity_kg_per_departure": 100},
        {"id": "GM", "from": "G1", "to": "M1", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 2.0},
        {"id": "HB", "from": "H1", "to": "B1", "mode": "sea", "transit_days": 20, "cost_per_kg": 0.2},
        {"id": "BM", "from": "B1", "to": "M1", "mode": "last_mile", "transit_days": 1, "cost_per_parcel": 1.5},
    ],
}
SHIPMENT_COLUMNS = ["shipment_id", "origin", "destination", "order_date", "weight_kg", "volume_cm3", "value",
                    "sku", "quantity", "channel", "promise_days"]
SHIPMENTS: list[dict[str, Any]] = [
    dict(zip(SHIPMENT_COLUMNS, row, strict=True)) for row in [
        ["S1", "F1", "M1", "2026-11-30", "2.0", "18000", "100", "", "", "jit", ""],
        ["S2", "F1", "M1", "2026-11-30", "1.0", "", "200", "A", "2", "bonded", ""],
        ["S3", "F1", "M1", "2026-12-01", "1.5", "", "", "B", "1", "any", "3"],
    ]
]
INVENTORY: list[dict[str, Any]] = [{"node": "B1", "sku": "A", "units": "10"}, {"node": "B1", "sku": "B", "units": "5"}]


@dataclass
class Inputs:
    """The three inputs, valid until a case corrupts them; ``write`` puts them in ``tmp``."""

    tmp: Path
    network: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(NETWORK))
    shipments: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(SHIPMENTS))
    inventory: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(INVENTORY))
    network_name: str = "network.yaml"
    shipments_name: str = "shipments.csv"
    inventory_name: str = "inventory.csv"
    shipments_table: pa.Table | None = None  # written as Parquet instead of the rows when set

    @property
    def network_path(self) -> Path:
        return self.tmp / self.network_name

    @property
    def shipments_path(self) -> Path:
        return self.tmp / self.shipments_name

    @property
    def inventory_path(self) -> Path:
        return self.tmp / self.inventory_name

    def path(self, which: str) -> Path:
        return {"network": self.network_path, "shipments": self.shipments_path,
                "inventory": self.inventory_path}[which]

    def write(self) -> None:
        if self.network_name.endswith(".json"):
            self.network_path.write_text(json.dumps(self.network, default=str, indent=1), encoding="utf-8")
        else:
            self.network_path.write_text(yaml.safe_dump(self.network, sort_keys=False), encoding="utf-8")
        if self.shipments_table is not None:
            pq.write_table(self.shipments_table, self.shipments_path)
        else:
            _write_csv(self.shipments_path, self.shipments)
        _write_csv(self.inventory_path, self.inventory)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _load_all(inp: Inputs) -> None:
    """Load the inputs in the CLI's order: network, shipments, inventory."""
    network = routing.load_network(inp.network_path)
    routing.load_shipments(inp.shipments_path, network)
    routing.load_inventory(inp.inventory_path, network)


# --------------------------------------------------------------------------- corruptions


Edit = Callable[[Inputs], None]


def node(node_id: str, **changes: Any) -> Edit:
    def edit(inp: Inputs) -> None:
        (raw,) = [n for n in inp.network["nodes"] if n["id"] == node_id]
        raw.update(changes)
    return edit


def lane(lane_id: str, **changes: Any) -> Edit:
    def edit(inp: Inputs) -> None:
        (raw,) = [ln for ln in inp.network["lanes"] if ln["id"] == lane_id]
        raw.update(changes)
    return edit


def top(**changes: Any) -> Edit:
    def edit(inp: Inputs) -> None:
        inp.network.update(changes)
    return edit


def ship(row: int, column: str, value: Any) -> Edit:
    """Set one cell of the shipments table (``row`` 1-based, header excluded)."""
    def edit(inp: Inputs) -> None:
        inp.shipments[row - 1][column] = value
    return edit


def stock(row: int, column: str, value: Any) -> Edit:
    def edit(inp: Inputs) -> None:
        inp.inventory[row - 1][column] = value
    return edit


def drop_column(which: str, column: str) -> Edit:
    def edit(inp: Inputs) -> None:
        for row in getattr(inp, which):
            del row[column]
    return edit


def add_column(which: str, column: str) -> Edit:
    def edit(inp: Inputs) -> None:
        for row in getattr(inp, which):
            row[column] = "x"
    return edit


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (old, text)
    path.write_text(text.replace(old, new), encoding="utf-8")


def missing(which: str) -> Edit:
    def edit(inp: Inputs) -> None:
        inp.path(which).unlink()
    return edit


def empty(which: str) -> Edit:
    def edit(inp: Inputs) -> None:
        inp.path(which).write_bytes(b"")
    return edit


def raw_text(which: str, text: str) -> Edit:
    def edit(inp: Inputs) -> None:
        inp.path(which).write_text(text, encoding="utf-8")
    return edit


def as_json(edit: Edit) -> Edit:
    def json_edit(inp: Inputs) -> None:
        inp.network_name = "network.json"
        edit(inp)
    return json_edit


def parquet_weight(values: pa.Array) -> Edit:
    """Write the shipments as Parquet with ``weight_kg`` of another type."""
    def edit(inp: Inputs) -> None:
        table = pa.table({c: [r[c] for r in inp.shipments] for c in ("shipment_id", "origin", "destination")})
        table = table.append_column("order_date", pa.array([dt.date.fromisoformat(r["order_date"])
                                                            for r in inp.shipments]))
        inp.shipments_table = table.append_column("weight_kg", values)
        inp.shipments_name = "shipments.parquet"
    return edit


@dataclass(frozen=True)
class Case:
    """One corruption and what the error must say.

    ``pre`` edits the data before it is written, ``post`` the files after; ``where`` is the place
    (``None``: the whole file), ``name`` the field/column (``None``: none applies), ``what`` a
    lower-case phrase of the problem.
    """

    id: str
    bad: str  # "network" | "shipments" | "inventory"
    where: str | None
    name: str | None
    what: str
    pre: Edit | None = None
    post: Edit | None = None

    def build(self, tmp: Path) -> Inputs:
        inp = Inputs(tmp)
        if self.pre:
            self.pre(inp)
        inp.write()
        if self.post:
            self.post(inp)
        return inp


def col(name: str) -> str:
    return f"column '{name}'"


def fld(name: str) -> str:
    return f"field '{name}'"


CASES = [
    # ---- files
    Case("missing-network", "network", None, None, "not found", post=missing("network")),
    Case("missing-shipments", "shipments", None, None, "not found", post=missing("shipments")),
    Case("missing-inventory", "inventory", None, None, "not found", post=missing("inventory")),
    Case("empty-network", "network", None, None, "empty", post=empty("network")),
    Case("empty-shipments", "shipments", None, None, "empty", post=empty("shipments")),
    Case("empty-inventory", "inventory", None, None, "empty", post=empty("inventory")),
    Case("blank-network", "network", None, None, "empty", post=raw_text("network", "\n  \n")),
    Case("header-only-shipments", "shipments", None, None, "no shipment rows",
         post=raw_text("shipments", ",".join(SHIPMENT_COLUMNS) + "\n")),
    Case("bad-yaml-syntax", "network", "line 4", None, "not valid yaml",
         post=raw_text("network", "epoch: 2026-11-30\nnodes:\n  - id: F1\n    kind: factory: hub\n")),
    Case("network-not-utf8", "network", "line 3", None, "not utf-8",
         post=lambda inp: inp.network_path.write_bytes(b"nodes:\n  - id: F1\n    name: Li\xe8ge\n")),
    Case("shipments-row-too-long", "shipments", "row 2", None, "12 fields, the header has 11",
         post=lambda inp: _replace(inp.shipments_path, "S2,F1,M1", "S2,F1,EXTRA,M1")),
    Case("shipments-row-too-short", "shipments", "row 3", None, "2 fields, the header has 11",
         post=lambda inp: _replace(inp.shipments_path, "S3,F1,M1,2026-12-01,1.5,,,B,1,any,3", "S3,F1")),
    Case("bad-json-syntax", "network", "line 1", None, "not valid json",
         pre=as_json(lambda inp: None), post=raw_text("network", '{"nodes": [}')),
    # ---- columns
    *[Case(f"shipments-missing-{c}", "shipments", None, col(c), "missing required", pre=drop_column("shipments", c))
      for c in ("shipment_id", "origin", "destination", "order_date", "weight_kg")],
    Case("inventory-missing-units", "inventory", None, col("units"), "missing required",
         pre=drop_column("inventory", "units")),
    Case("shipments-plan-column", "shipments", None, col("status"), "is a column of the plan",
         pre=add_column("shipments", "status")),
    Case("inventory-unknown-column", "inventory", None, col("warehouse"), "unknown column",
         pre=add_column("inventory", "warehouse")),
    # ---- shipments cells
    Case("weight-not-a-number", "shipments", "row 2", col("weight_kg"), "not a number",
         pre=ship(2, "weight_kg", "1,5kg")),
    Case("parquet-weight-bool", "shipments", "row 1", col("weight_kg"), "not a number",
         pre=parquet_weight(pa.array([True, False, True]))),
    Case("parquet-weight-text", "shipments", "row 2", col("weight_kg"), "not a number",
         pre=parquet_weight(pa.array(["1.0", "abc", "2.0"]))),
    Case("duplicate-shipment-id", "shipments", "row 3", col("shipment_id"), "duplicate",
         pre=ship(3, "shipment_id", "S1")),
    Case("origin-unknown-node", "shipments", "row 2", col("origin"), "unknown node", pre=ship(2, "origin", "F9")),
    Case("origin-not-factory", "shipments", "row 3", col("origin"), "must be a factory", pre=ship(3, "origin", "H1")),
    Case("destination-unknown-node", "shipments", "row 1", col("destination"), "unknown node",
         pre=ship(1, "destination", "XX")),
    Case("destination-not-market", "shipments", "row 2", col("destination"), "must be a market",
         pre=ship(2, "destination", "B1")),
    *[Case(f"weight-{label}", "shipments", "row 2", col("weight_kg"), what, pre=ship(2, "weight_kg", value))
      for label, value, what in [("negative", "-1", "> 0"), ("zero", "0", "> 0"), ("nan", "NaN", "> 0"),
                                 ("inf", "inf", "finite"), ("empty", "", "empty")]],
    Case("value-negative", "shipments", "row 2", col("value"), ">= 0", pre=ship(2, "value", "-5")),
    Case("volume-negative", "shipments", "row 3", col("volume_cm3"), ">= 0", pre=ship(3, "volume_cm3", "-1")),
    *[Case(f"order-date-{label}", "shipments", "row 2", col("order_date"), what, pre=ship(2, "order_date", value))
      for label, value, what in [("month-13", "2026-13-01", "bad date"), ("slashes", "2026/11/30", "bad date"),
                                 ("feb-30", "2026-02-30", "bad date"), ("empty", "", "empty")]],
    Case("channel-bad", "shipments", "row 3", col("channel"), "must be any, jit or bonded",
         pre=ship(3, "channel", "express")),
    Case("quantity-fraction", "shipments", "row 2", col("quantity"), "whole number", pre=ship(2, "quantity", "1.5")),
    Case("quantity-zero", "shipments", "row 2", col("quantity"), ">= 1", pre=ship(2, "quantity", "0")),
    Case("quantity-negative", "shipments", "row 3", col("quantity"), ">= 1", pre=ship(3, "quantity", "-2")),
    Case("quantity-text", "shipments", "row 3", col("quantity"), "not a number", pre=ship(3, "quantity", "two")),
    Case("promise-days-negative", "shipments", "row 3", col("promise_days"), ">= 0",
         pre=ship(3, "promise_days", "-1")),
    # ---- inventory cells
    Case("inventory-non-bonded-node", "inventory", "row 2", col("node"), "must be a bonded",
         pre=stock(2, "node", "M1")),
    Case("inventory-unknown-node", "inventory", "row 1", col("node"), "unknown node", pre=stock(1, "node", "B9")),
    Case("inventory-negative-units", "inventory", "row 2", col("units"), ">= 0", pre=stock(2, "units", "-3")),
    Case("inventory-fraction-units", "inventory", "row 1", col("units"), "whole number", pre=stock(1, "units", "2.5")),
    Case("inventory-empty-units", "inventory", "row 2", col("units"), "empty", pre=stock(2, "units", "")),
    Case("inventory-duplicate-stock", "inventory", "row 2", col("sku"), "duplicate", pre=stock(2, "sku", "A")),
    # ---- network
    Case("duplicate-node-id", "network", "node 'H1'", fld("id"), "duplicate node id",
         pre=lambda inp: inp.network["nodes"].append({"id": "H1", "kind": "hub"})),
    Case("duplicate-lane-id", "network", "lane 'GM'", fld("id"), "duplicate lane id", pre=lane("BM", id="GM")),
    Case("lane-unknown-from", "network", "lane 'HG'", fld("from"), "unknown node", pre=lane("HG", **{"from": "H9"})),
    Case("lane-unknown-to", "network", "lane 'GM'", fld("to"), "unknown node", pre=lane("GM", to="M9")),
    Case("lane-bad-mode", "network", "lane 'HB'", fld("mode"), "must be one of", pre=lane("HB", mode="ship")),
    Case("lane-unknown-weekday", "network", "lane 'HG'", fld("departures"), "unknown weekday",
         pre=lane("HG", departures=["mon", "wdn"])),
    Case("lane-weekday-prefix-of-a-word", "network", "lane 'HG'", fld("departures"), "unknown weekday",
         pre=lane("HG", departures=["month", "wed"])),
    Case("lane-negative-transit-days", "network", "lane 'HB'", fld("transit_days"), ">= 0",
         pre=lane("HB", transit_days=-1)),
    Case("lane-negative-capacity", "network", "lane 'HG'", fld("capacity_kg_per_departure"), ">= 0",
         pre=lane("HG", capacity_kg_per_departure=-100)),
    Case("lane-negative-cost-per-kg", "network", "lane 'FH'", fld("cost_per_kg"), ">= 0",
         pre=lane("FH", cost_per_kg=-0.5)),
    Case("node-bad-kind", "network", "node 'G1'", fld("kind"), "must be one of", pre=node("G1", kind="airport")),
    Case("node-negative-handling-days", "network", "node 'G1'", fld("handling_days"), ">= 0",
         pre=node("G1", handling_days=-1)),
    Case("node-negative-capacity", "network", "node 'F1'", fld("capacity_parcels_per_day"), ">= 0",
         pre=node("F1", capacity_parcels_per_day=-5)),
    Case("node-negative-handling-cost", "network", "node 'B1'", fld("handling_cost"), ">= 0",
         pre=node("B1", handling_cost=-1.0)),
    Case("node-on-time-target-above-1", "network", "node 'M1'", fld("on_time_target"), "<= 1",
         pre=node("M1", on_time_target=1.5)),
    Case("epoch-not-a-date", "network", "epoch", None, "bad date", pre=top(epoch="next monday")),
    Case("epoch-month-13", "network", "epoch", None, "bad date",
         post=lambda inp: _replace(inp.network_path, "2026-11-30", "2026-13-01")),
    Case("json-bad-transit-days", "network", "lane 'HB'", fld("transit_days"), "must be a number",
         pre=as_json(lane("HB", transit_days="twenty"))),
    Case("json-epoch-not-a-date", "network", "epoch", None, "bad date", pre=as_json(top(epoch="2026-11-31"))),
]
CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS)


def _plan_argv(inp: Inputs, out: Path) -> list[str]:
    return ["plan", "--network", str(inp.network_path), "--shipments", str(inp.shipments_path),
            "--inventory", str(inp.inventory_path), "--out", str(out), "--quiet"]


def _check_cli_output(case: Case, inp: Inputs, code: int, stderr: str, out: Path) -> None:
    assert code == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("routing: error: " + str(inp.path(case.bad))), stderr
    assert "Traceback" not in stderr
    assert not out.exists()


def test_valid_inputs_load(tmp_path: Path) -> None:
    """The uncorrupted inputs are valid, so each case's error comes from its one corruption."""
    inp = Case("valid", "", None, None, "").build(tmp_path)
    network = routing.load_network(inp.network_path)
    assert len(routing.load_shipments(inp.shipments_path, network)) == 3
    assert routing.load_inventory(inp.inventory_path, network).stocked(network.node_index["B1"], "A") == 10
    inp.network_name = "network.json"
    inp.write()
    assert routing.load_network(inp.network_path) == network


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_input_error(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inp = case.build(tmp_path)
    path = str(inp.path(case.bad))

    # (a) the loader names the file, the place, the field and what is wrong
    with pytest.raises(routing.InputError) as info:
        _load_all(inp)
    err = info.value
    message = str(err)
    assert err.source == path
    assert err.where == case.where
    prefix = f"{path}: {case.where}: " if case.where else f"{path}: "
    assert message.startswith(prefix), message
    if case.name:
        assert case.name in err.detail, message
    assert case.what in err.detail.lower(), message

    # (b) the CLI prints that one line and exits 2, writing nothing
    out = tmp_path / "out"
    capsys.readouterr()
    code = cli.main(_plan_argv(inp, out))
    captured = capsys.readouterr()
    _check_cli_output(case, inp, code, captured.err, out)
    assert captured.err.strip() == f"routing: error: {message}"
    assert captured.out == ""


SUBPROCESS_CASES = [c for c in CASES if c.id in ("bad-yaml-syntax", "parquet-weight-text", "inventory-non-bonded-node")]


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.id for c in SUBPROCESS_CASES])
def test_cli_subprocess(case: Case, tmp_path: Path) -> None:
    """End to end: a real interpreter exits 2 with one error line and no traceback."""
    inp = case.build(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "routing.cli", *_plan_argv(inp, out)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    _check_cli_output(case, inp, proc.returncode, proc.stderr, out)
    assert proc.stdout == ""


def test_cli_error_is_one_line_without_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (case,) = [c for c in CASES if c.id == "weight-negative"]
    inp = case.build(tmp_path)
    out = tmp_path / "out"
    code = cli.main(_plan_argv(inp, out)[:-1])  # drop --quiet
    _check_cli_output(case, inp, code, capsys.readouterr().err, out)


@pytest.mark.parametrize(("departures", "days"), [
    ("daily", (True,) * 7), ("Daily", (True,) * 7), (None, (True,) * 7),
    (["Monday", "wed", "FRI"], (True, False, True, False, True, False, False)),
    ("tues, thurs", (False, True, False, True, False, False, False)),
])
def test_weekday_spellings(tmp_path: Path, departures: Any, days: tuple[bool, ...]) -> None:
    """Weekdays are the 3-letter code or a prefix of the full name, any case; 'month' is no Monday."""
    inp = Inputs(tmp_path)
    lane("HG", departures=departures)(inp)
    inp.write()
    assert routing.load_network(inp.network_path).lane("HG").departures == days

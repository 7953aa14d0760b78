"""Shared test helpers: write small instances to disk, plan them, and validate every written plan."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import routing
from routing import PlanSettings, SolveOptions

from .validator import validate_plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@dataclass
class Instance:
    network: Path
    shipments: Path
    inventory: Path | None
    dir: Path


def write_instance(tmp: Path, network: dict[str, Any], shipments: list[dict[str, Any]],
                   inventory: list[dict[str, Any]] | None = None, name: str = "inst") -> Instance:
    """Write ``network`` as YAML and the rows as CSV files under ``tmp/name``."""
    d = tmp / name
    d.mkdir(parents=True, exist_ok=True)
    net = d / "network.yaml"
    net.write_text(yaml.safe_dump(network, sort_keys=False))
    ships = d / "shipments.csv"
    _write_csv(ships, shipments)
    inv = None
    if inventory is not None:
        inv = d / "inventory.csv"
        _write_csv(inv, inventory, ["node", "sku", "units"])
    return Instance(net, ships, inv, d)


def _write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> None:
    cols = header or list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r.get(k) for k in cols})


def plan(inst: Instance, *, fmt: str = "csv", validate: bool = True, out: str = "out",
         **settings: Any) -> routing.Result:
    """Load, solve (to optimality unless ``gap`` is given), write and (by default) validate the written
    files independently."""
    opts = {k: settings.pop(k) for k in ("solver", "time_limit", "strategy", "seed") if k in settings}
    opts["gap"] = settings.pop("gap", 0.0)  # the tests pin optima: proven, not within the default 1e-4
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments, net)
    inv = routing.load_inventory(inst.inventory, net) if inst.inventory else None
    result = routing.solve(net, ships, inv, settings=PlanSettings(**settings), options=SolveOptions(**opts))
    out_dir = inst.dir / out
    result.write(out_dir, fmt)
    if validate:
        validate_plan(inst.network, inst.shipments, out_dir, inst.inventory, fmt=fmt)
    return result


EXIT_BY_STATUS = {"optimal": 0, "time_limit": 3}  # any other plan status: 4 (docs/cli.md#exit-statuses)


def expected_exit(summary: dict[str, Any]) -> int:
    """The exit status `routing plan` owes a written plan, from its summary (without --strict)."""
    return EXIT_BY_STATUS.get(summary["status"], 4)


def read_plan(out_dir: Path) -> dict[str, dict[str, str]]:
    with open(out_dir / "plan.csv", newline="") as fh:
        return {r["shipment_id"]: r for r in csv.DictReader(fh)}


def read_summary(out_dir: Path) -> dict[str, Any]:
    return json.loads((out_dir / "summary.json").read_text())

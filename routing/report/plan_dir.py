"""A written plan directory read back (``routing report``, ``routing explain``): summary.json, the
tables it names (checked against their SHA-256), and the input files the plan was made from —
recorded in the summary by path and SHA-256, and refused if they changed since."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..data.network import Network, load_network
from ..data.shipments import Inventory, Shipments, load_inventory, load_shipments
from ..errors import InputError
from .output import sha256

TABLE_NAMES = ("plan", "legs", "lanes", "nodes", "stock")
_TEXT_COLUMNS = ("shipment_id", "status", "channel", "origin", "destination", "route", "lanes", "reason", "lane_id",
                 "from", "to", "mode", "node", "kind", "sku")  # read as text whatever they look like


@dataclass(frozen=True, eq=False)
class PlanDir:
    """A plan directory: its path, summary.json as a dict, its tables by name (plan, legs, lanes,
    nodes, stock; those it has) and their format."""

    path: Path
    summary: dict[str, Any]
    tables: dict[str, pa.Table]
    fmt: str

    def input_path(self, kind: str) -> Path | None:
        """The recorded input file of ``kind`` (network, shipments, inventory), None if none was used."""
        entry = self.summary.get("inputs", {}).get(kind)
        return None if entry is None else Path(entry["path"])

    def load_inputs(self) -> tuple[Network, Shipments, Inventory | None]:
        """The network, shipments and inventory the plan was made from, read from their recorded paths;
        :class:`InputError` if the plan does not record them, or a file is gone or changed since."""
        recorded = self.summary.get("inputs")
        if not recorded or "network" not in recorded or "shipments" not in recorded:
            raise InputError(str(self.path / "summary.json"), "inputs",
                             "does not record the input files the plan was made from (written by `routing plan`, "
                             "or by Result.write(..., inputs=...))")
        paths = {kind: self._checked(kind) for kind in recorded}
        network = load_network(paths["network"])
        shipments = load_shipments(paths["shipments"], network)
        inventory = load_inventory(paths["inventory"], network) if "inventory" in paths else None
        return network, shipments, inventory

    def load_network(self) -> Network:
        """The network the plan was made from (checked as :meth:`load_inputs` does)."""
        return load_network(self._checked("network"))

    def _checked(self, kind: str) -> Path:
        entry = self.summary.get("inputs", {}).get(kind)
        if entry is None:
            raise InputError(str(self.path / "summary.json"), "inputs", f"does not record the {kind} file")
        path = Path(entry["path"])
        if not path.is_file():
            raise InputError(str(path), None, f"the {kind} file this plan was made from is gone")
        if sha256(path) != entry["sha256"]:
            raise InputError(str(path), None, f"the {kind} file changed since the plan in {self.path} was made "
                                              "(its SHA-256 differs): plan again")
        return path


def _read(path: Path, fmt: str) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(path)
    head = path.open(encoding="utf-8").readline()
    names = [c.strip().strip('"') for c in head.strip().split(",")]
    types = {c: pa.string() for c in names if c in _TEXT_COLUMNS}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types,
                                                                     strings_can_be_null=True))


def read_plan_dir(path: str | Path) -> PlanDir:
    """Read the plan directory ``path``: summary.json and the tables it names, each checked against its
    SHA-256 (:class:`InputError`: not a plan directory, a file missing or changed since it was written)."""
    out = Path(path)
    marker = out / "summary.json"
    if not out.is_dir():
        raise InputError(str(out), None, "is not a directory (expected the --out directory of `routing plan`)")
    if not marker.is_file():
        raise InputError(str(out), None, "is not a plan directory: no summary.json (still being written, or not "
                                         "written by `routing plan`)")
    try:
        summary = json.loads(marker.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(str(marker), None, f"is not valid JSON: {exc}") from None
    files = summary.get("files") if isinstance(summary, dict) else None
    if not isinstance(files, dict) or not files:
        raise InputError(str(marker), "files", "names no plan files")
    tables, fmt = {}, "csv"
    for name, digest in files.items():
        file = out / name
        if not file.is_file():
            raise InputError(str(file), None, "is missing from the plan directory")
        if sha256(file) != digest:
            raise InputError(str(file), None, "changed since the plan was written (its SHA-256 differs from "
                                              "summary.json's)")
        stem, _, fmt = name.rpartition(".")
        if stem in TABLE_NAMES:
            tables[stem] = _read(file, fmt)
    if "plan" not in tables:
        raise InputError(str(marker), "files", "names no plan table")
    return PlanDir(path=out, summary=summary, tables=tables, fmt=fmt)


def plan_dir_legs(path: Path) -> Path:
    """The legs table of plan directory ``path`` (legs.csv or legs.parquet, as the plan wrote it; a hand edit
    of it is taken as it stands)."""
    found = [path / name for name in ("legs.csv", "legs.parquet") if (path / name).is_file()]
    if not found:
        raise InputError(str(path), None, "is not a plan directory: no legs.csv or legs.parquet")
    return found[0]

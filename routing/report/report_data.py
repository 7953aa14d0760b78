"""What the report of a plan (``routing report``, :mod:`routing.report.charts`, :mod:`routing.report.html`)
is drawn from: the summary.json dict, the five tables (plan, legs, lanes, nodes, stock) with their
columns in one set of types whether they were read back from CSV or Parquet or come from a
:class:`~routing.report.result.Result` in memory, and the network when it is at hand (the flow map
needs the nodes' lat/lon)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..data.network import Network
from ..errors import InputError
from .plan_dir import PlanDir, read_plan_dir

_S, _F, _I, _D, _B = pa.string(), pa.float64(), pa.int64(), pa.date32(), pa.bool_()
# the columns the report reads, by table, and the type each is read as (docs/outputs.md)
COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "plan": {"shipment_id": _S, "status": _S, "channel": _S, "origin": _S, "destination": _S, "order_date": _D,
             "promise_date": _D, "dispatch_date": _D, "delivery_date": _D, "days_late": _F, "on_time": _B,
             "cost_transport": _F, "cost_handling": _F, "cost_storage": _F, "cost_duty": _F, "cost_penalty": _F,
             "cost_total": _F, "reason": _S},
    "legs": {"shipment_id": _S, "seq": _I, "lane_id": _S, "from": _S, "to": _S, "departure_date": _D,
             "arrival_date": _D, "chargeable_kg": _F, "replenishment": _B},
    "lanes": {"lane_id": _S, "from": _S, "to": _S, "mode": _S, "departure_date": _D, "capacity_kg": _F,
              "used_kg": _F, "share": _F, "shadow_price": _F, "binding": _B},
    "nodes": {"node": _S, "kind": _S, "date": _D, "capacity_parcels": _F, "used_parcels": _F, "share": _F,
              "shadow_price": _F, "binding": _B},
    "stock": {"node": _S, "sku": _S, "units": _F, "used_units": _F, "share": _F, "shadow_price": _F, "binding": _B},
}
OPTIONAL = ("lanes", "nodes", "stock")  # tables a plan written before they existed lacks: read as empty


def _conform(name: str, table: pa.Table | None, where: str) -> pa.Table:
    """``table`` with the report's columns of ``name`` in their types (other columns dropped); an absent
    optional table as an empty one; :class:`InputError` for a missing column."""
    types = COLUMNS[name]
    if table is None:
        if name not in OPTIONAL:
            raise InputError(where, name, "the plan has no such table")
        return pa.table({c: pa.array([], t) for c, t in types.items()})
    missing = [c for c in types if c not in table.column_names]
    if missing:
        raise InputError(where, name, f"has no column {', '.join(repr(c) for c in missing)} (written by an older "
                                      f"routing? plan again)")
    columns = {}
    for column, kind in types.items():
        values = table.column(column)
        if values.type != kind:
            try:
                values = pc.cast(values, kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InputError(where, f"{name}.{column}", f"cannot be read as {kind}: {exc}") from None
        columns[column] = values
    return pa.table(columns)


@dataclass(frozen=True, eq=False)
class ReportData:
    """A plan as the report reads it: ``summary`` (the summary.json dict), the tables in the types of
    :data:`COLUMNS`, the ``network`` (None when not at hand: ``network_note`` says why) and ``source``
    (the plan directory, or what the plan came from)."""

    summary: dict[str, Any]
    plan: pa.Table
    legs: pa.Table
    lanes: pa.Table
    nodes: pa.Table
    stock: pa.Table
    network: Network | None = None
    network_note: str | None = None
    source: str = ""

    @classmethod
    def build(cls, summary: dict[str, Any], tables: dict[str, pa.Table], network: Network | None,
              network_note: str | None, source: str) -> ReportData:
        """From a summary dict and tables by name (see :data:`COLUMNS`), each brought to the report's types."""
        conformed = {name: _conform(name, tables.get(name), source) for name in COLUMNS}
        return cls(summary=summary, network=network, network_note=network_note, source=source, **conformed)

    @classmethod
    def from_plan_dir(cls, plan_dir: PlanDir | str | Path) -> ReportData:
        """A written plan directory (read with :func:`~routing.report.plan_dir.read_plan_dir` unless given
        read). The network is loaded from the path summary.json records; a network file that is gone or
        changed since leaves the report without its flow map (``network_note`` says why) rather than
        without a report."""
        pd = plan_dir if isinstance(plan_dir, PlanDir) else read_plan_dir(plan_dir)
        network, note = None, None
        try:
            network = pd.load_network()
        except InputError as exc:
            note = str(exc)
        return cls.build(pd.summary, pd.tables, network, note, str(pd.path))

    @classmethod
    def from_result(cls, result: Any, summary: dict[str, Any] | None = None, source: str = "") -> ReportData:
        """A :class:`~routing.report.result.Result` in memory (``summary``: the summary as written, with its
        files and inputs, instead of the result's own; ``source``: where it was written, if it was)."""
        warm = getattr(result, "warm_start", None)
        network = None if warm is None else warm.network
        note = None if network is not None else "this Result keeps no network (its warm start was dropped)"
        return cls.build(summary if summary is not None else result.summary_data, result.tables(), network, note,
                         source or "a plan solved in Python")

    @classmethod
    def of(cls, source: Any) -> ReportData:
        """``source`` as report data: a ReportData, a :class:`PlanDir`, the path of a plan directory, or a
        Result (anything with ``tables()`` and ``summary_data``)."""
        if isinstance(source, ReportData):
            return source
        if isinstance(source, (PlanDir, str, Path)):
            return cls.from_plan_dir(source)
        if hasattr(source, "tables") and hasattr(source, "summary_data"):
            return cls.from_result(source)
        raise TypeError(f"cannot report on a {type(source).__name__}: give a Result, a plan directory or ReportData")

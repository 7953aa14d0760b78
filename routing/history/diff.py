"""``routing runs diff A B``: what changed from run A to run B, worked out in the database — objective
and status, which inputs, settings and options differ, cost and on-time share per market, the
shipments that changed status or, their status the same, channel, route (its nodes or lanes) or
departure (the date of any of its legs' departures; ``dispatch_date`` for a run recorded without its
legs, a sweep's) or are in one run only (counts, and the first ones in B's plan order), and the capacities (lane
departures, node-days, stock rows) that became binding or were freed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..report.summary import text_table
from .store import History, StoredRun

SHIPMENT_HEAD = 20  # changed shipments and capacities listed by default
_PAIR = ("WITH a AS (SELECT * FROM {t} WHERE run_id = ?), b AS (SELECT * FROM {t} WHERE run_id = ?) ")
_CHANGED = {  # a shipment in both runs changed ... when (channel, route, departure: its status the same)
    "status": "a.status IS DISTINCT FROM b.status",
    "channel": "(a.status = b.status AND a.channel IS DISTINCT FROM b.channel)",
    "route": "(a.status = b.status AND (a.route IS DISTINCT FROM b.route OR a.lanes IS DISTINCT FROM b.lanes))",
    "departure": "(a.status = b.status AND CASE WHEN a.departures IS NOT NULL AND b.departures IS NOT NULL "
                 "THEN a.departures <> b.departures ELSE a.dispatch_date IS DISTINCT FROM b.dispatch_date END)",
}
_ANY = "(" + " OR ".join(_CHANGED.values()) + ")"
_BOTH = "a.shipment_id IS NOT NULL AND b.shipment_id IS NOT NULL"


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: value}


def _changed_keys(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, list[Any]]:
    fa, fb = _flat(a or {}), _flat(b or {})
    return {k: [fa.get(k), fb.get(k)] for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)}


def _text(value: Any) -> str:
    return "-" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


@dataclass(frozen=True)
class RunDiff:
    """From run ``a`` to run ``b``: ``headline`` (objective, bound, gap, status, counts of each),
    ``inputs`` (kind -> [sha256 in a, in b], those that differ), ``settings`` and ``options`` (key ->
    [a, b], those that differ), ``markets`` (rows: cost and on-time share in each), ``shipments``
    (counts), ``changed`` (the first changed shipments), ``capacities`` (counts) and
    ``capacity_rows`` (the first that became binding or were freed)."""

    a: StoredRun
    b: StoredRun
    inputs: dict[str, list[str | None]]
    settings: dict[str, list[Any]]
    options: dict[str, list[Any]]
    markets: list[dict[str, Any]]
    shipments: dict[str, int]
    changed: list[dict[str, Any]]
    capacities: dict[str, int]
    capacity_rows: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``--format json``)."""
        def run(r: StoredRun) -> dict[str, Any]:
            return {k: _text(r.row[k]) if isinstance(r.row[k], dt.date) else r.row[k] for k in (
                "id", "started_at", "command", "scenario", "status", "objective", "lower_bound", "gap", "out_dir")}

        def dated_text(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: _text(v) if isinstance(v, dt.date) else v for k, v in row.items()} for row in rows]

        return {"a": run(self.a), "b": run(self.b), "inputs": self.inputs, "settings": self.settings,
                "options": self.options, "markets": self.markets, "shipments": self.shipments,
                "changed": dated_text(self.changed), "capacities": self.capacities,
                "capacity_rows": dated_text(self.capacity_rows)}

    def text(self) -> str:
        a, b = self.a.row, self.b.row
        ia, ib = self.a.id, self.b.id
        lines = [f"run {ia} ({self.a.label}, {_when(a['started_at'])}) -> run {ib} ({self.b.label}, "
                 f"{_when(b['started_at'])})"]
        if a["objective"] is not None and b["objective"] is not None:
            lines.append(f"objective {a['objective']:,.2f} -> {b['objective']:,.2f} "
                         f"({b['objective'] - a['objective']:+,.2f}); status {a['status']} -> {b['status']}; "
                         f"gap {a['gap']:.2e} -> {b['gap']:.2e}")
        else:
            lines.append(f"status {a['status']} -> {b['status']}")
        lines.append("inputs: " + (", ".join(f"{k} {_text(v[0])[:8]} -> {_text(v[1])[:8]}"
                                             for k, v in self.inputs.items()) or "the same files"))
        for name, changes in (("settings", self.settings), ("options", self.options)):
            if changes:
                lines.append(f"{name}: " + ", ".join(f"{k} {_text(v[0])} -> {_text(v[1])}" for k, v in changes.items()))
        if self.markets:
            rows = [["market", f"cost {ia}", f"cost {ib}", "delta", f"on-time {ia}", f"on-time {ib}", "delta"]]
            for m in self.markets:
                rows.append([m["market"], _money(m["cost_a"]), _money(m["cost_b"]), _money(m["cost_delta"], True),
                             _share(m["on_time_a"]), _share(m["on_time_b"]), _points(m["on_time_delta"])])
            lines += text_table(rows[0], rows[1:])
        s = self.shipments
        lines.append(f"shipments: {s['changed']:,} changed: {s['status']:,} status; of the others "
                     f"{s['channel']:,} channel, {s['route']:,} route, {s['departure']:,} departure; "
                     f"{s['only_a']:,} only in run {ia}, {s['only_b']:,} only in run {ib}")
        for row in self.changed:
            lines.append("  " + _shipment_line(row, ia, ib))
        if s["changed"] + s["only_a"] + s["only_b"] > len(self.changed):
            lines.append(f"  ... {s['changed'] + s['only_a'] + s['only_b'] - len(self.changed):,} more")
        c = self.capacities
        lines.append(f"capacities: {c['newly_binding']:,} newly binding, {c['freed']:,} freed")
        for row in self.capacity_rows:
            date = f" {row['date']}" if row["date"] else ""
            lines.append(f"  {row['change']:<13} {row['kind']} {row['id']}{date}: used {_num(row['used_a'])} -> "
                         f"{_num(row['used_b'])} of {_num(row['capacity'])}, price {_num(row['price_a'], 4)} -> "
                         f"{_num(row['price_b'], 4)}")
        if c["newly_binding"] + c["freed"] > len(self.capacity_rows):
            lines.append(f"  ... {c['newly_binding'] + c['freed'] - len(self.capacity_rows):,} more")
        return "\n".join(lines)


def _when(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _money(v: float | None, sign: bool = False) -> str:
    return "-" if v is None else f"{v:+,.2f}" if sign else f"{v:,.2f}"


def _share(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def _points(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:+.1f} pt"


def _num(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def _shipment_line(row: dict[str, Any], ia: int, ib: int) -> str:
    sid = row["shipment_id"]
    if not row["in_a"]:
        return f"{sid}: only in run {ib} ({row['status_b']})"
    if not row["in_b"]:
        return f"{sid}: only in run {ia} ({row['status_a']})"
    parts = []
    if row["status_a"] != row["status_b"]:
        was = [_text(row[f"{c}_a"]) for c in ("channel", "route", "dispatch") if row[f"{c}_a"] is not None]
        now = [_text(row[f"{c}_b"]) for c in ("channel", "route", "dispatch") if row[f"{c}_b"] is not None]
        parts.append(f"{row['status_a']} -> {row['status_b']}" + (f" (was {', '.join(was)})" if was else "")
                     + (f" (now {', '.join(now)})" if now else ""))
    else:
        if row["channel_a"] != row["channel_b"]:
            parts.append(f"channel {_text(row['channel_a'])} -> {_text(row['channel_b'])}")
        if row["route_a"] != row["route_b"]:
            parts.append(f"route {_text(row['route_a'])} -> {_text(row['route_b'])}")
        elif row["lanes_a"] != row["lanes_b"]:
            parts.append(f"lanes {_text(row['lanes_a'])} -> {_text(row['lanes_b'])}")
        if row["dispatch_a"] != row["dispatch_b"]:
            parts.append(f"departure {_text(row['dispatch_a'])} -> {_text(row['dispatch_b'])}")
        elif None not in (row["departures_a"], row["departures_b"]) and row["departures_a"] != row["departures_b"]:
            parts.append(f"leg departures {row['departures_a']} -> {row['departures_b']}")
    delta = (row["cost_b"] or 0.0) - (row["cost_a"] or 0.0)
    return f"{sid}: " + "; ".join(parts) + f"; cost {delta:+,.2f}"


def diff_runs(history: History, ref_a: str | int, ref_b: str | int, head: int = SHIPMENT_HEAD) -> RunDiff:
    """Run ``ref_a`` against run ``ref_b`` (ids, ``last`` or ``last-N``); ``head``: how many changed
    shipments and capacities to list (all are counted)."""
    if head < 0:
        raise InputError("runs diff", "limit", f"must be >= 0, got {head}")
    a, b = history.run(ref_a), history.run(ref_b)
    ids = [a.id, b.id]
    conn = history.conn
    inputs_a, inputs_b = a.row["inputs"] or {}, b.row["inputs"] or {}
    inputs = {}
    for kind in sorted(set(inputs_a) | set(inputs_b)):
        ha, hb = (inputs_a.get(kind) or {}).get("sha256"), (inputs_b.get(kind) or {}).get("sha256")
        if ha != hb:
            inputs[kind] = [ha, hb]
    markets = []
    for m in sorted(set(a.markets) | set(b.markets)):
        fa, fb = a.markets.get(m, {}), b.markets.get(m, {})
        ca, cb, oa, ob = fa.get("cost"), fb.get("cost"), fa.get("on_time_rate"), fb.get("on_time_rate")
        markets.append({"market": m, "cost_a": ca, "cost_b": cb,
                        "cost_delta": None if ca is None or cb is None else cb - ca,
                        "on_time_a": oa, "on_time_b": ob,
                        "on_time_delta": None if oa is None or ob is None else ob - oa,
                        "shipments_a": fa.get("shipments"), "shipments_b": fb.get("shipments")})
    with history.guard(f"cannot compare runs {a.id} and {b.id}"):
        pair = _PAIR.format(t="run_shipments")
        sums = ", ".join(f"sum(CASE WHEN {_BOTH} AND {cond} THEN 1 ELSE 0 END)" for cond in _CHANGED.values())
        row = conn.query_one(
            pair + f"SELECT sum(CASE WHEN b.shipment_id IS NULL THEN 1 ELSE 0 END), "
                   f"sum(CASE WHEN a.shipment_id IS NULL THEN 1 ELSE 0 END), "
                   f"sum(CASE WHEN {_BOTH} AND {_ANY} THEN 1 ELSE 0 END), {sums} "
                   f"FROM a FULL OUTER JOIN b ON a.shipment_id = b.shipment_id", ids)
        counts = [int(v or 0) for v in (row or [])] or [0] * (3 + len(_CHANGED))
        shipments = dict(zip(["only_a", "only_b", "changed", *_CHANGED], counts, strict=True))
        changed = [dict(zip(
            ["shipment_id", "in_a", "in_b", "status_a", "status_b", "channel_a", "channel_b", "route_a", "route_b",
             "lanes_a", "lanes_b", "dispatch_a", "dispatch_b", "departures_a", "departures_b", "cost_a", "cost_b"],
            r, strict=True))
            for r in conn.query(
                pair + "SELECT coalesce(b.shipment_id, a.shipment_id), a.shipment_id IS NOT NULL, "
                       "b.shipment_id IS NOT NULL, a.status, b.status, a.channel, b.channel, a.route, b.route, "
                       "a.lanes, b.lanes, a.dispatch_date, b.dispatch_date, a.departures, b.departures, "
                       "a.cost_total, b.cost_total "
                       "FROM a FULL OUTER JOIN b ON a.shipment_id = b.shipment_id "
                       f"WHERE a.shipment_id IS NULL OR b.shipment_id IS NULL OR {_ANY} "
                       "ORDER BY b.row_number IS NULL, b.row_number, a.row_number LIMIT ?", [*ids, head])]
        pair = _PAIR.format(t="run_capacities")
        flip = "coalesce(a.binding, FALSE) <> coalesce(b.binding, FALSE)"
        cap_rows = [dict(zip(["change", "kind", "id", "date", "used_a", "used_b", "capacity", "price_a", "price_b"], r,
                             strict=True)) for r in conn.query(
            pair + "SELECT CASE WHEN coalesce(b.binding, FALSE) THEN 'newly_binding' ELSE 'freed' END, "
                   "coalesce(b.kind, a.kind), coalesce(b.capacity_id, a.capacity_id), coalesce(b.on_date, a.on_date), "
                   "a.used, b.used, coalesce(b.capacity, a.capacity), a.shadow_price, b.shadow_price "
                   "FROM a FULL OUTER JOIN b ON a.kind = b.kind AND a.capacity_id = b.capacity_id "
                   f"AND a.on_date = b.on_date WHERE {flip} "
                   "ORDER BY coalesce(b.binding, FALSE) DESC, 2, 3, 4 LIMIT ?", [*ids, head])]
        row = conn.query_one(
            pair + "SELECT sum(CASE WHEN coalesce(b.binding, FALSE) THEN 1 ELSE 0 END), "
                   "sum(CASE WHEN coalesce(a.binding, FALSE) THEN 1 ELSE 0 END) "
                   "FROM a FULL OUTER JOIN b ON a.kind = b.kind AND a.capacity_id = b.capacity_id "
                   f"AND a.on_date = b.on_date WHERE {flip}", ids)
    capacities = {"newly_binding": int((row or [0])[0] or 0), "freed": int((row or [0, 0])[1] or 0)}
    return RunDiff(a=a, b=b, inputs=inputs, settings=_changed_keys(a.row["settings"], b.row["settings"]),
                   options=_changed_keys(a.row["options"], b.row["options"]), markets=markets, shipments=shipments,
                   changed=changed, capacities=capacities, capacity_rows=cap_rows)

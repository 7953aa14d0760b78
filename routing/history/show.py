"""The text of ``routing runs list`` (a table of runs) and ``routing runs show ID`` (one run: its
figures, inputs, settings, tables and markets)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .store import StoredRun

HASH = 8  # hex digits of an input's SHA-256 shown


def _when(value: dt.datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _short(digest: str | None) -> str:
    return "-" if not digest else digest[:HASH]


def _columns(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """A text table: the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for r in [header, *rows]:
        cells = [f"{c:<{w}}" if i < left or i == len(r) - 1 else f"{c:>{w}}"
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
    return out


def runs_table(runs: list[StoredRun]) -> str:
    """One line per run: id, start (UTC), command, status, objective, gap, the inputs' short hashes,
    the output directory."""
    if not runs:
        return "no runs recorded"
    rows = []
    for run in runs:
        r = run.row
        rows.append([str(r["id"]), _when(r["started_at"]), run.label, r["status"],
                     "-" if r["objective"] is None else f"{r['objective']:,.2f}",
                     "-" if r["gap"] is None else f"{r['gap']:.1e}",
                     _short(r["network_sha256"]), _short(r["shipments_sha256"]), _short(r["inventory_sha256"]),
                     r["out_dir"] or "-"])
    header = ["id", "started (UTC)", "command", "status", "objective", "gap", "network", "shipments", "inventory",
              "out"]
    return "\n".join(_columns(header, rows, left=4))  # id, started, command, status left-aligned


def _value(v: Any) -> str:
    return "-" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def run_text(run: StoredRun, tables: list[tuple[str, str | None, int]], where: str) -> str:
    """The report of one run: what ran and when, outcome, inputs, settings and options, its tables and
    the per-market figures."""
    r = run.row
    took = (r["finished_at"] - r["started_at"]).total_seconds() if r["started_at"] and r["finished_at"] else None
    lines = [f"run {r['id']}: {run.label}, recorded in {where}" + (f" (sweep base: run {r['parent_id']})"
                                                                  if r["parent_id"] else ""),
             f"started {_when(r['started_at'])} UTC, finished {_when(r['finished_at'])}"
             + (f" ({took:.1f} s)" if took is not None else "") + f", routing {r['version']}"]
    if r["error"]:
        lines.append(f"status {r['status']}: {r['error']}")
    else:
        lines.append(f"status {r['status']} ({r['strategy']}/{r['solver']}, seed {_value(r['seed'])})")
        lines.append(f"objective {r['objective']:,.2f}   lower bound {r['lower_bound']:,.2f}   gap {r['gap']:.2e} "
                     f"(target {r['gap_target']:g})" + (f"   currency {r['currency']}" if r["currency"] else ""))
        lines.append(f"shipments {_value(r['shipments'])}: assigned {_value(r['assigned'])}, "
                     f"unassigned {_value(r['unassigned'])}, unroutable {_value(r['unroutable'])}")
    inputs = r["inputs"] or {}
    for kind, entry in inputs.items():
        lines.append(f"{kind + ':':<10} {entry.get('path')}  sha256 {entry.get('sha256')}")
    if r["settings"]:
        lines.append("settings: " + ", ".join(f"{k} {_value(v)}" for k, v in r["settings"].items()
                                              if not isinstance(v, dict)))
    if r["options"]:
        lines.append("options: " + ", ".join(f"{k} {_value(v)}" for k, v in r["options"].items()
                                             if not isinstance(v, dict)))
    lines.append(f"out: {r['out_dir'] or '-'}")
    if tables:
        lines.append("tables: " + ", ".join(f"{name} ({rows:,} rows" + (f", {file})" if file else ")")
                                            for name, file, rows in tables))
    if run.markets:
        rows = [[m, _value(f["shipments"]), f"{f['on_time_rate']:.1%}",
                 "-" if f["target"] is None else f"{f['target']:.0%}", "yes" if f["target_met"] else "NO",
                 f"{f['cost']:,.2f}", f"{f['cost_per_kg']:.2f}", f"{f['jit_share']:.0%}"]
                for m, f in run.markets.items()]
        lines += _columns(["market", "ships", "on-time", "target", "met", "cost", "/kg", "jit"], rows)
    return "\n".join(lines)

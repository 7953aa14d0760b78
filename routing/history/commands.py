"""The command line of the run history: ``--history URL`` on ``routing plan`` and ``routing sweep``
(recording after the files are written) and ``routing runs list|show|diff|export`` (docs/history.md).

Refusals: an unusable URL, no URL at all, an unknown run id or a DuckDB file that does not exist are
:class:`~routing.errors.InputError` (exit 2); a database that cannot be reached or fails is a
:class:`~routing.errors.HistoryError` (exit 6 — for ``plan`` and ``sweep`` after every file is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from .. import __version__
from ..errors import InputError
from ..report.output import OutputDir
from ..report.result import input_record
from .diff import SHIPMENT_HEAD, diff_runs
from .export import export_run
from .record import RunRecord, failed_record, plan_record
from .show import run_text, runs_table
from .store import open_history
from .url import ENV, HistoryUrl, history_url

LIST_LIMIT = 20  # runs listed by default
HISTORY_HELP = (f"record the run in this history database: a DuckDB file (runs.duckdb, created if need be) or "
                f"postgresql://USER@HOST:PORT/DB (default ${ENV}; docs/history.md)")


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def add_history_option(p: argparse.ArgumentParser) -> None:
    """``--history URL`` of ``routing plan`` and ``routing sweep``."""
    p.add_argument("--history", metavar="URL", help=HISTORY_HELP)


def add_runs_parser(sub: Any) -> None:
    """``routing runs`` and its actions, on the subparsers ``sub`` of ``routing``."""
    runs = sub.add_parser(
        "runs", help="the run history: list, show, diff and export recorded runs",
        description="Read the history that `routing plan --history URL` and `routing sweep --history URL` record "
                    f"into (--history, default ${ENV}): a DuckDB file or a PostgreSQL database. A RUN is a run id, "
                    "`last` (the newest run) or `last-N` (N runs before it).",
    )
    actions = runs.add_subparsers(dest="action", required=True, metavar="ACTION")
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--history", metavar="URL", help=f"the history database (default ${ENV})")
    where.add_argument("--log-format", choices=("text", "json"), default=argparse.SUPPRESS,
                       help="stderr as text lines (default) or one JSON object per line")  # as after `runs`
    ls = actions.add_parser("list", parents=[where], help="the recorded runs, newest last",
                            description="One line per run: id, start (UTC), command, status, objective, gap, the "
                                        "first hex digits of the input files' SHA-256, the output directory.")
    ls.add_argument("--limit", type=_count, default=LIST_LIMIT, metavar="N",
                    help=f"the newest N runs; 0: all (default {LIST_LIMIT})")
    show = actions.add_parser("show", parents=[where], help="one run: figures, inputs, settings, markets",
                              description="What ran and when, the outcome, the input files with their SHA-256, "
                                          "settings and options, the tables kept and the per-market figures.")
    show.add_argument("run", metavar="RUN")
    show.add_argument("--format", choices=("text", "json"), default="text", help="output (default text)")
    diff = actions.add_parser(
        "diff", parents=[where], help="what changed from run A to run B",
        description="Objective and status, the inputs, settings and options that differ, cost and on-time share "
                    "per market, the shipments that changed status, channel, route or departure (counted, the "
                    "first --limit listed in B's plan order) and the capacities newly binding or freed.")
    diff.add_argument("a", metavar="A")
    diff.add_argument("b", metavar="B")
    diff.add_argument("--limit", type=_count, default=SHIPMENT_HEAD, metavar="N",
                      help=f"changed shipments and capacities listed (all are counted; default {SHIPMENT_HEAD})")
    diff.add_argument("--format", choices=("text", "json"), default="text", help="output (default text)")
    export = actions.add_parser(
        "export", parents=[where], help="write a recorded run back as a plan directory",
        description="Write the run's tables (plan, legs, lanes, nodes, stock: those it kept) and its summary.json "
                    "into --out, published as one set as `routing plan` does: the same files the run wrote when "
                    "the format is the same.")
    export.add_argument("run", metavar="RUN")
    export.add_argument("--out", required=True, help="output directory")
    export.add_argument("--format", choices=("csv", "parquet"),
                        help="the tables' format (default: the one the run wrote)")


def _url(args: argparse.Namespace) -> HistoryUrl:
    url = history_url(args.history)
    if url is None:
        raise InputError("--history", None, f"names no history database: give --history URL or set ${ENV}")
    return url


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v))


def runs_command(args: argparse.Namespace) -> int:
    """``routing runs ACTION``: prints its result on stdout; 0."""
    url = _url(args)
    if args.action == "export":
        with OutputDir.claim(args.out) as out, open_history(url, create=False) as history:
            paths = export_run(history, args.run, out, args.format)
        print("wrote " + ", ".join(str(p) for p in paths.values()))
        return 0
    with open_history(url, create=False) as history:
        if args.action == "list":
            print(runs_table(history.list_runs(args.limit or None)))
        elif args.action == "show":
            run = history.run(args.run)
            if args.format == "json":
                print(_json({"run": run.row, "markets": run.markets}))
            else:
                print(run_text(run, history.table_info(run.id), url.shown))
        else:
            found = diff_runs(history, args.a, args.b, args.limit)
            print(_json(found.to_dict()) if args.format == "json" else found.text())
    return 0


def run_legs(url: HistoryUrl, ref: str) -> tuple[pa.Table, str]:
    """The legs table of run ``ref`` (an id, ``last`` or ``last-N``) and how messages name it
    (``run 7 in URL``); :class:`InputError` if the run keeps no legs."""
    with open_history(url, create=False) as history:
        run_id = history.resolve(ref)
        tables = history.tables(run_id)
    if "legs" not in tables:
        raise InputError("run", str(ref), "keeps no legs table (a sweep scenario that failed)")
    return tables["legs"].table, f"run {run_id} in {url.shown}"


def record_runs(url: HistoryUrl, records: Sequence[RunRecord]) -> list[int]:
    """Record ``records`` in the history at ``url`` (created if need be; a sweep's: the base first, its
    scenarios pointing to it); their ids. :class:`~routing.errors.HistoryError` on any database failure."""
    with open_history(url, create=True) as history:
        return history.record_all(records)


def recorded_text(ids: list[int], url: HistoryUrl) -> str:
    """``recorded run 7 in URL``, or ``recorded runs 8-11 in URL``."""
    runs = f"run {ids[0]}" if len(ids) == 1 else f"runs {ids[0]}-{ids[-1]}"
    return f"recorded {runs} in {url.shown}"


def plan_records(summary: dict[str, Any], tables: dict[str, pa.Table], *, out_dir: str | Path,
                 started_at: dt.datetime, settings: Any, options: Any) -> list[RunRecord]:
    """The record of ``routing plan``: the written summary.json and the plan's tables."""
    return [plan_record(summary, tables, command="plan", version=__version__, started_at=started_at,
                        finished_at=dt.datetime.now(dt.UTC), settings=settings, options=options,
                        out_dir=str(Path(out_dir).absolute()))]


def sweep_records(base: Any, results: dict[str, Any], table: pa.Table, *, out_dir: str | Path,
                  started_at: dt.datetime, settings: Any, options: Any,
                  inputs: dict[str, str | Path | None]) -> list[RunRecord]:
    """The records of ``routing sweep``: the base, then each scenario in the file's order — its summary
    and the tables the sweep kept (the plan table; all five with ``--plans``), or its error if it failed.
    All carry the sweep's input files (the scenario file among them)."""
    finished = dt.datetime.now(dt.UTC)
    out = str(Path(out_dir).absolute())
    recorded = input_record(inputs)

    def planned(name: str, result: Any) -> RunRecord:
        record = plan_record(result.summary_data, result.tables(), command="sweep", scenario=name,
                             version=__version__, started_at=started_at, finished_at=finished, settings=settings,
                             options=options, out_dir=out)
        return replace(record, inputs=recorded)

    records = [planned("base", base)]
    for row in table.to_pylist():
        name = row["scenario"]
        if name in results:
            records.append(planned(name, results[name]))
        else:
            records.append(replace(failed_record(
                command="sweep", scenario=name, error=str(row.get("error") or "failed"), version=__version__,
                started_at=started_at, finished_at=finished, settings=settings, options=options, out_dir=out),
                inputs=recorded))
    return records

"""Command line: ``routing plan``, ``routing sweep``, ``routing generate``, ``routing explain`` and
``routing report`` (docs/cli.md).

Options and their defaults come from :class:`~routing.settings.PlanSettings` and
:class:`~routing.settings.SolveOptions`. Exit status: 0 done, 1 a failure that is not the input's
(a sweep: a scenario failed, after everything was written), 2 bad input — one line
``routing: error: <file>: <where>: <what>`` on stderr, with nothing written —, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .data.bookings import Bookings, load_booked_legs
from .data.generate import check_generate, write_generated
from .data.limits import CHANGE_PENALTY
from .data.network import Network, load_network
from .data.shipments import load_inventory, load_shipments
from .errors import HistoryError, InputError, RoutingError
from .history.commands import (
    add_history_option,
    add_runs_parser,
    plan_records,
    record_runs,
    recorded_text,
    run_legs,
    runs_command,
    sweep_records,
)
from .history.record import utc_now
from .history.url import HistoryUrl, history_url
from .logs import json_line, log_json
from .progress import Progress
from .report.explain import explain, plan_dir_facts
from .report.output import OutputDir
from .report.plan_dir import plan_dir_legs, read_plan_dir
from .report.report_data import ReportData
from .report.result import write_result
from .report.summary import Summary
from .settings import STRATEGY_CHOICES, MipSolver, PlanSettings, SolveOptions, Status
from .solve import solve
from .sweep import WORKERS, dask_installed, load_scenarios, run_sweep, write_sweep
from .validate import PlanDirError, check_plan_dir

EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 1, 2, 130
# a plan was written, but: the time limit cut the search / it is not proven within the gap target /
# --strict and an on-time target is missed or a parcel is left out (the first that applies, in this order:
# strict, time limit, not proven)
EXIT_TIME_LIMIT, EXIT_NOT_PROVEN, EXIT_STRICT = 3, 4, 5
EXIT_INVALID = 7  # routing validate: the plan breaks a rule
VALIDATE_SHOWN = 50  # violations printed by routing validate
EXIT_HISTORY = 6  # --history: the run could not be recorded (every file written); wins over the statuses above
PLAN = PlanSettings()  # the defaults the options show
SOLVE = SolveOptions()


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit status 2, as every refusal is."""

    def error(self, message: str) -> NoReturn:
        print(f"routing: error: {self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def _ranged(convert: Callable[[str], float], ok: Callable[[float], bool], what: str) -> Callable[[str], float]:
    """An argparse ``type``: ``convert`` the text and check it, else one line saying what it must be."""
    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value
    return parse


_positive_float = _ranged(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
_gap = _ranged(float, lambda v: math.isfinite(v) and 0 <= v <= 1, "a relative gap from 0 to 1")
_positive_int = _ranged(int, lambda v: v >= 1, "a whole number >= 1")
_non_negative_int = _ranged(int, lambda v: v >= 0, "a whole number >= 0")
_change_penalty = _ranged(float, lambda v: math.isfinite(v) and CHANGE_PENALTY[0] <= v <= CHANGE_PENALTY[1],
                          f"a finite number >= 0 and <= {CHANGE_PENALTY[1]:,.0f}")


def _add_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--network", required=True, type=Path, help="network file (YAML or JSON)")
    p.add_argument("--shipments", required=True, type=Path, help="shipments table (CSV or Parquet)")
    p.add_argument("--inventory", type=Path, help="bonded stock table node,sku,units (CSV or Parquet); "
                                                  "without it bonded stock is unlimited")


def _load_inputs(args: argparse.Namespace) -> tuple:
    network = load_network(args.network)
    shipments = load_shipments(args.shipments, network)
    inventory = load_inventory(args.inventory, network) if args.inventory else None
    return network, shipments, inventory


def _add_bookings(p: argparse.ArgumentParser) -> None:
    """``--committed``, ``--previous`` and ``--change-penalty`` of ``plan`` (docs/cli.md#bookings)."""
    p.add_argument("--committed", type=Path, metavar="FILE",
                   help="legs already booked, as a plan's legs table (yesterday's legs.csv or rows of it): those "
                        "shipments keep their legs, and their kg, parcels and stock count against the limits")
    p.add_argument("--previous", metavar="PLAN_DIR|RUN",
                   help="a previous plan (its directory, or a run of --history: id, last, last-N): the plan table "
                        "marks the shipments whose route or departures changed")
    p.add_argument("--change-penalty", type=_change_penalty, default=0.0, metavar="COST",
                   help="cost per shipment whose route or departures differ from --previous (default 0: changes "
                        "are marked, not penalised)")


def _load_bookings(args: argparse.Namespace, network: Network) -> Bookings | None:
    """The bookings of a ``plan`` command line, read against ``network`` (None without any)."""
    if args.previous is None and args.change_penalty:
        raise InputError("--change-penalty", None, "needs --previous PLAN_DIR|RUN (the plan changes are counted from)")
    if args.committed is not None and str(args.committed) == "-" == str(args.shipments):
        raise InputError("--committed", None, "standard input is read for --shipments already: give a file")
    committed = load_booked_legs(args.committed, network) if args.committed is not None else None
    previous = None
    if args.previous is not None:
        where = Path(args.previous)
        if where.is_dir():
            previous = load_booked_legs(plan_dir_legs(where), network, known_lanes=False)
        else:
            url = history_url(args.history)
            if url is None:
                raise InputError("--previous", args.previous, "is no plan directory (and no --history to look a "
                                                              "run up in)")
            table, source = run_legs(url, args.previous)
            previous = load_booked_legs(table, network, source=source, known_lanes=False)
    if committed is None and previous is None:
        return None
    return Bookings(committed=committed, previous=previous, change_penalty=args.change_penalty)


def _add_solve_options(p: argparse.ArgumentParser) -> None:
    """The planning settings and solve options ``plan`` and ``sweep`` share."""
    p.add_argument("--solver", choices=[str(s) for s in MipSolver], default=str(SOLVE.solver),
                      help=f"MIP backend (default {SOLVE.solver})")
    p.add_argument("--strategy", choices=[str(s) for s in STRATEGY_CHOICES], default=str(SOLVE.strategy),
                      help=f"exact: the MIP over every option, to the gap target; aggregate: class LP, repair and "
                           f"polish, with a Lagrangian bound; auto: aggregate, then exact from its plan while the "
                           f"gap target is missed and the exact LP fits in half the time limit "
                           f"(default {SOLVE.strategy})")
    p.add_argument("--time-limit", type=_positive_float, default=SOLVE.time_limit, metavar="S",
                      help=f"seconds for the whole run, inputs read to files written (default {SOLVE.time_limit:g})")
    p.add_argument("--gap", type=_gap, default=SOLVE.gap, metavar="REL",
                      help=f"stop once the plan is proven within this relative gap of the bound; 0 proves optimality "
                           f"(default {SOLVE.gap:g})")
    p.add_argument("--horizon-days", type=_non_negative_int, default=PLAN.horizon_days, metavar="D",
                      help=f"a departure may leave at most D days after the order day (default {PLAN.horizon_days})")
    p.add_argument("--waiting-days", type=_non_negative_int, default=PLAN.waiting_days, metavar="D",
                      help="wait at most D days past each leg's first departure (default: to the horizon, exact; "
                           "a smaller window is a heuristic)")
    p.add_argument("--max-legs", type=_non_negative_int, default=PLAN.max_legs, metavar="N",
                      help=f"longest route considered, in legs (default {PLAN.max_legs})")
    p.add_argument("--unassigned-penalty", type=_positive_float, default=PLAN.unassigned_penalty, metavar="COST",
                      help=f"cost per parcel left unassigned (default {PLAN.unassigned_penalty:g})")
    p.add_argument("--seed", type=int, default=SOLVE.seed, help=f"solver random seed (default {SOLVE.seed})")
    p.add_argument("--threads", type=_positive_int, default=SOLVE.threads,
                      help=f"solver threads (default {SOLVE.threads})")


def _settings_options(args: argparse.Namespace) -> tuple[PlanSettings, SolveOptions]:
    """The :class:`PlanSettings` and :class:`SolveOptions` of a ``plan`` or ``sweep`` command line."""
    settings = PlanSettings(horizon_days=args.horizon_days, waiting_days=args.waiting_days,
                            max_legs=args.max_legs, unassigned_penalty=args.unassigned_penalty)
    options = SolveOptions(strategy=args.strategy, solver=args.solver, time_limit=args.time_limit,
                           gap=args.gap, seed=args.seed, threads=args.threads)
    return settings, options


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="routing",
        description="Plan cross-border parcels (JIT vs bonded warehouse) at minimum landed cost with OR-Tools.",
    )
    p.add_argument("--version", action="version", version=f"routing {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = sub.add_parser(
        "plan", help="plan every shipment: route, channel and departures",
        description="Assign every shipment to a JIT or bonded path with a departure for each leg, at minimum "
                    "landed cost within lane, node and stock capacities and on-time targets. Writes plan, legs "
                    "and summary.json into --out.",
    )
    _add_inputs(plan)
    plan.add_argument("--out", required=True, help="output directory")
    plan.add_argument("--format", choices=("csv", "parquet"), help="plan/legs format (default csv)")
    _add_solve_options(plan)
    _add_bookings(plan)
    plan.add_argument("--report", action="store_true",
                      help="also write report.html into --out: the plan as one self-contained HTML page "
                           "(docs/report.md)")
    plan.add_argument("--strict", action="store_true",
                      help=f"exit {EXIT_STRICT} (after writing the plan) when an on-time target is missed or a "
                           "parcel is left unassigned")
    add_history_option(plan)
    plan.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    sw = sub.add_parser(
        "sweep", help="plan the base and every what-if scenario of a file, on Dask",
        description="Plan the base inputs and every scenario of --scenarios (a YAML list of named edit lists) as "
                    "independent tasks on Dask distributed (a LocalCluster unless --scheduler is given); write "
                    "comparison.<format> (one row per scenario: cost deltas, moved shipments, capacities) and "
                    "summaries/<name>.json. A failing scenario is reported in its row and the others go on; the "
                    "exit status is then 1 (2 for bad input, found before any planning).",
    )
    _add_inputs(sw)
    sw.add_argument("--scenarios", required=True, type=Path, help="scenario file (YAML)")
    sw.add_argument("--out", required=True, help="output directory")
    sw.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a LocalCluster here)")
    sw.add_argument("--workers", type=_positive_int, default=WORKERS,
                    help=f"LocalCluster worker processes (default {WORKERS})")
    sw.add_argument("--format", choices=("csv", "parquet"), default="csv", help="comparison table format")
    _add_solve_options(sw)  # the time limit is per plan
    sw.add_argument("--plans", action="store_true",
                    help="also write each plan's tables (plan, legs, lanes, nodes, stock) into DIR/plans/<name>/")
    sw.add_argument("--in-process", action="store_true",
                    help="plan one after another in this process, without Dask (what happens anyway when Dask is not "
                         'installed: pip install "routing[dask]")')
    sw.add_argument("--warm", action="store_true",
                    help="plan the base first, then every scenario as a warm re-plan of it (pays off on large "
                         "inputs; the default plans everything from scratch, in parallel)")
    add_history_option(sw)
    sw.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    ex = sub.add_parser(
        "explain", help="why a shipment took its path: the chosen option and why each alternative lost",
        description="For each SHIPMENT_ID of the plan in PLAN_DIR: the chosen option with its cost components and "
                    "dates, and the best alternatives with their cost difference and the reason each lost (a full "
                    "departure or node-day, no stock, late while the market's target binds, the channel, duty, or "
                    "simply dearer). Reads the input files the plan records and refuses if they changed.",
    )
    ex.add_argument("plan_dir", metavar="PLAN_DIR", help="the --out directory of `routing plan`")
    ex.add_argument("shipment_ids", nargs="+", metavar="SHIPMENT_ID", help="shipments to explain")
    ex.add_argument("--alternatives", type=_non_negative_int, default=3, metavar="N",
                    help="the N cheapest alternatives (and the cheapest on-time and other-channel ones; default 3)")
    ex.add_argument("--format", choices=("text", "json"), default="text", help="output (default text)")
    ex.add_argument("--quiet", action="store_true", help="no warnings on stderr")

    rep = sub.add_parser(
        "report", help="the plan of PLAN_DIR as one self-contained HTML page",
        description="Write an HTML report of the plan in PLAN_DIR (default PLAN_DIR/report.html): headline "
                    "figures, markets, cost by component, lane-departure and node-day utilisation, bonded stock, "
                    "a flow map, binding limits with their shadow prices, and the shipments left out by reason. "
                    "One file with its charts inlined: it opens offline and loads nothing (docs/report.md).",
    )
    rep.add_argument("plan_dir", metavar="PLAN_DIR", help="the --out directory of `routing plan`")
    rep.add_argument("--out", metavar="FILE", help="the HTML file to write (default PLAN_DIR/report.html)")
    rep.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    gen = sub.add_parser(
        "generate", help="generate realistic shipments (and stock) for a network",
        description="Write shipments.csv (and inventory.csv with --inventory) into --out: order dates over "
                    "--days from the network epoch, skewed market demand, lognormal weights, Zipf sku popularity. "
                    "Deterministic for a given seed.",
    )
    gen.add_argument("--network", required=True, type=Path, help="network file (YAML or JSON)")
    gen.add_argument("--shipments", required=True, type=int, metavar="N", help="number of shipments")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--days", type=int, default=7, help="order dates spread over this many days (default 7)")
    gen.add_argument("--out", required=True, help="output directory")
    gen.add_argument("--inventory", action="store_true", help="also write bonded stock (inventory.csv)")
    gen.add_argument("--format", choices=("csv", "parquet"), default="csv", help="table format (default csv)")
    gen.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_runs_parser(sub)
    val = sub.add_parser(
        "validate", help="check a written (or hand-edited) plan against every rule, independently of the solver",
        description="Re-derive every path rule, cost, capacity and summary figure of the plan in PLAN_DIR from its "
                    "files and the input files it records (or those given), with a checker that shares no code with "
                    "the solver. A table edited since the plan was written is checked against every rule; the "
                    f"summary's figures are then not. Exit 0 valid, {EXIT_INVALID} a rule broken (each violation on "
                    "stdout), 2 nothing to check.",
    )
    val.add_argument("plan_dir", metavar="PLAN_DIR", help="the --out directory of `routing plan`")
    val.add_argument("--network", type=Path, help="network file (default: the one the plan records)")
    val.add_argument("--shipments", type=Path, help="shipments table (default: the one the plan records)")
    val.add_argument("--inventory", type=Path, help="stock table (default: the one the plan records, if any)")
    val.add_argument("--committed", type=Path, metavar="FILE",
                     help="booked legs the plan must keep (default: the --committed file the plan records, if any)")
    val.add_argument("--previous", type=Path, metavar="FILE",
                     help="the previous plan's legs table, the plan's changed column is checked against (default: "
                          "the --previous directory's legs the plan records, if any)")
    val.add_argument("--quiet", action="store_true", help="print only violations")
    for command in sub.choices.values():
        command.add_argument("--log-format", choices=("text", "json"), default="text",
                             help="stderr as text lines (default) or one JSON object per line, for job runners")
    return p


def _progress(args: argparse.Namespace) -> Progress:
    """Phase lines as text on stderr, or none (``--quiet``; ``--log-format json`` logs them as JSON)."""
    return Progress(quiet=args.quiet or args.log_format == "json")


def plan_exit(figures: Summary, strict: bool) -> tuple[int, str]:
    """The exit status of a written plan and the line that says why when it is not 0 (docs/cli.md)."""
    missed = [m for m, d in figures.markets.items() if not d.target_met]
    left_out = figures.counts.get("unassigned", 0)
    if strict and (missed or left_out):
        what = ([f"on-time target missed in {', '.join(missed)}"] if missed else []) + \
            ([f"{left_out:,} parcel(s) unassigned"] if left_out else [])
        return EXIT_STRICT, f"--strict: {'; '.join(what)} (plan written)"
    if figures.status == Status.TIME_LIMIT:
        return EXIT_TIME_LIMIT, f"the time limit cut the search: plan written, gap {figures.gap:.2e}"
    if figures.status != Status.OPTIMAL:
        return EXIT_NOT_PROVEN, (f"plan written, not proven within the gap target ({figures.gap:.2e} > "
                                 f"{figures.gap_target:g}{', ' + figures.bound_scope if figures.heuristic else ''})")
    return 0, ""


def _plan(args: argparse.Namespace) -> int:
    t = time.perf_counter()
    started = utc_now()
    history = history_url(args.history)  # a bad URL is refused before any work
    # cheap checks first: the output directory (claimed until the files are written) and the settings
    with OutputDir.claim(args.out) as out:
        settings, options = _settings_options(args)
        progress = _progress(args)
        with progress.phase("load", announce=False) as info:
            network, shipments, inventory = _load_inputs(args)
            bookings = _load_bookings(args, network)
            info["done"] = f"{len(network.nodes)} nodes, {len(network.lanes)} lanes, {len(shipments):,} shipments"
        result = solve(network, shipments, inventory, settings=settings, options=options, progress=progress,
                       load_seconds=time.perf_counter() - t, bookings=bookings)
        with progress.phase("write", str(args.out)):
            # a previous plan directory is recorded as an input, unless this plan replaces it (--out the same)
            previous = args.previous if args.previous is not None and Path(args.previous).is_dir() \
                and Path(args.previous).resolve() != out.path.resolve() else None
            written = write_result(result, out, args.format or "csv", inputs={
                "network": args.network, "shipments": args.shipments, "inventory": args.inventory,
                "committed": args.committed, "previous": previous and plan_dir_legs(Path(previous))})
        paths = list(written.paths.values())
        if args.report:  # after the plan's files, in the directory still claimed; not among summary.json's files
            from .report.html import write_report  # imports matplotlib: only when a report is asked for

            paths.append(out.path / "report.html")
            with progress.phase("report", str(paths[-1])) as info:
                data = ReportData.from_result(result, summary=written.figures.to_dict(), source=str(out.path))
                info["done"] = f"{write_report(data, paths[-1]) / 1e6:.2f} MB"
    print(written.figures.text())
    print("wrote " + ", ".join(str(p) for p in paths))
    code, why = plan_exit(written.figures, args.strict)
    if code and not args.quiet:  # (under --quiet the status says it)
        _stderr(args, "warning", f"routing: {why} (exit {code})", exit=code)
    if history is not None:  # after every file is written: a database failure loses no plan
        code = _record(args, progress, history, plan_records(
            written.figures.to_dict(), result.tables(), out_dir=args.out, started_at=started, settings=settings,
            options=options)) or code
    return code


def _record(args: argparse.Namespace, progress: Progress, url: HistoryUrl, records: list) -> int:
    """Record the runs of a command in the history at ``url``: 0, or on a database failure one line and
    :data:`EXIT_HISTORY`."""
    try:
        with progress.phase("history", announce=False) as info:
            ids = record_runs(url, records)
            info["done"] = recorded_text(ids, url)
    except HistoryError as exc:
        _stderr(args, "error", f"routing: history: {exc}", exit=EXIT_HISTORY)
        return EXIT_HISTORY
    print(recorded_text(ids, url))
    return 0


def _stderr(args: argparse.Namespace, level: str, message: str, **fields: object) -> None:
    """One line on stderr: text, or a JSON object under ``--log-format json``."""
    if getattr(args, "log_format", "text") == "json":
        message = json_line(level, message, **fields)
    print(message, file=sys.stderr, flush=True)


def _sweep(args: argparse.Namespace) -> int:
    started = utc_now()
    history = history_url(args.history)  # a bad URL is refused before any work
    with OutputDir.claim(args.out) as out:
        settings, options = _settings_options(args)
        progress = _progress(args)
        with progress.phase("load", announce=False) as info:
            network, shipments, inventory = _load_inputs(args)
            scenarios = load_scenarios(args.scenarios)
            info["done"] = f"{len(shipments):,} shipments, {len(scenarios)} scenarios"
        where = "in this process" if args.in_process or (not args.scheduler and not dask_installed()) else \
            "on " + (args.scheduler or f"a LocalCluster of {args.workers} workers")
        with progress.phase("sweep", where):
            base, results, table = run_sweep(network, shipments, inventory, scenarios, settings=settings,
                                             options=options, scheduler=args.scheduler, workers=args.workers,
                                             progress=progress, warm=args.warm, keep_results=False,
                                             tables=args.plans, in_process=args.in_process)
        paths = write_sweep(out, base, results, table, args.format, plans=args.plans)
    rows = table.to_pylist()
    for row in rows:
        delta = row.get("delta_cost_total")
        print(f"{row['scenario']:<28} " + (f"FAILED: {row['error']}" if row["error"] else
                                           f"{row['status']:<10} objective {row['objective']:>16,.2f}  "
                                           f"delta {delta:>+14,.2f}"))
    summaries = len(paths) - 1 - ("plans" in paths)
    print(f"wrote {paths['comparison']} and {summaries} summaries" +
          (f", each plan in {paths['plans']}" if "plans" in paths else ""))
    code = 0 if history is None else _record(args, progress, history, sweep_records(
        base, results, table, out_dir=args.out, started_at=started, settings=settings, options=options,
        inputs={"network": args.network, "shipments": args.shipments, "inventory": args.inventory,
                "scenarios": args.scenarios}))
    failed = sum(1 for row in rows if row["error"])
    if failed:  # everything is written; a nightly job still learns that a scenario did not plan
        print(f"routing: {failed} of {len(scenarios)} scenario{'s' if len(scenarios) > 1 else ''} failed "
              f"(see {paths['comparison']})", file=sys.stderr)
        return code or EXIT_FAILED
    return code


def _explain(args: argparse.Namespace) -> int:
    facts = plan_dir_facts(read_plan_dir(args.plan_dir))
    found = [explain(facts, sid, args.alternatives) for sid in args.shipment_ids]  # all checked before printing
    if args.format == "json":
        print(json.dumps([e.to_dict() for e in found], indent=2))
    else:
        print("\n\n".join(e.text() for e in found))
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report.html import report_path, write_report  # imports matplotlib: only for a report

    plan_dir = Path(args.plan_dir)
    path = report_path(plan_dir, args.out)
    # into the plan directory: claimed against a `routing plan` writing there at the same time
    inside = plan_dir.is_dir() and path.parent.resolve() == plan_dir.resolve()
    with OutputDir.claim(plan_dir) if inside else contextlib.nullcontext():
        progress = _progress(args)
        with progress.phase("report", announce=False) as info:  # a refused plan directory: its one line only
            size = write_report(ReportData.from_plan_dir(plan_dir), path)
            info["done"] = f"{path}, {size / 1e6:.2f} MB"
    print(f"wrote {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    try:
        found = check_plan_dir(args.plan_dir, args.network, args.shipments, args.inventory, args.committed,
                               args.previous)
    except PlanDirError as exc:
        raise InputError(exc.path, None, exc.message) from None
    except (ValueError, KeyError, TypeError, OSError, UnicodeDecodeError) as exc:
        raise InputError(str(args.plan_dir), None, f"cannot be checked: {type(exc).__name__}: {exc}") from None
    if not args.quiet:
        for note in found.skipped:
            print(f"note: {note}")
    if found.changed and not args.quiet:
        print(f"note: {', '.join(found.changed)} changed since the plan was written (a hand edit?): every rule is "
              "checked, the summary's figures are not")
    for line in found.violations[:VALIDATE_SHOWN]:
        print(line)
    if found.violations:
        more = len(found.violations) - VALIDATE_SHOWN
        print(f"INVALID: {len(found.violations):,} violation(s)" + (f", {more:,} not shown" if more > 0 else ""))
        return EXIT_INVALID
    if not args.quiet:
        print(f"valid: {found.shipments:,} shipments, {found.legs:,} legs checked against every rule "
              f"({', '.join(f'{k} {v}' for k, v in found.inputs.items())})")
    return 0


def _generate(args: argparse.Namespace) -> int:
    check_generate(args.shipments, args.seed, args.days)
    with OutputDir.claim(args.out):
        progress = _progress(args)
        network = load_network(args.network)
        with progress.phase("generate", f"{args.shipments:,} shipments, seed {args.seed}"):
            paths = write_generated(network, args.shipments, args.seed, args.out, inventory=args.inventory,
                                    days=args.days, fmt=args.format)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "quiet", False):  # nothing on stderr but a refusal or a failure
        warnings.simplefilter("ignore")
    handler = log_json() if args.log_format == "json" else None
    try:
        return {"plan": _plan, "sweep": _sweep, "generate": _generate, "explain": _explain,
                "report": _report, "runs": runs_command, "validate": _validate}[args.command](args)
    except InputError as exc:
        _stderr(args, "error", f"routing: error: {exc}", exit=EXIT_INPUT)
        return EXIT_INPUT
    except HistoryError as exc:  # routing runs: the database failed
        _stderr(args, "error", f"routing: history: {exc}", exit=EXIT_HISTORY)
        return EXIT_HISTORY
    except RoutingError as exc:
        _stderr(args, "error", f"routing: failed: {exc}", exit=EXIT_FAILED)
        return EXIT_FAILED
    except BrokenPipeError:  # e.g. `routing plan ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        _stderr(args, "error", "routing: interrupted", exit=EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    finally:
        if handler is not None:  # main() may run again in the same process (tests, a notebook)
            for name in ("routing", "py.warnings"):
                logging.getLogger(name).removeHandler(handler)


def run() -> NoReturn:
    """The ``routing`` command: :func:`main`, then exit at once. The plan's files are written and synced
    by then, so the interpreter's teardown of large arrays and solver state (0.3 s at 10,000 shipments)
    is skipped; an exception still ends the usual way, with its traceback."""
    try:
        code = main()
    except SystemExit as exc:  # argparse's own exits (--help, usage errors)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe has nothing left to flush into
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()

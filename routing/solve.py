"""``solve(network, shipments, ...)``: wires the parts — candidates → model → a strategy → result.

Strategy ``exact`` (:mod:`routing.strategies.exact`) solves the MIP to the gap target; ``aggregate``
(:mod:`routing.strategies.aggregate`) plans by shipment classes and polishes; ``auto``
(:mod:`routing.strategies.auto`) runs the aggregate, then the exact from its plan while the target is
missed and time allows (a warm re-plan: ``exact`` while the model has at most
``options.exact.max_columns`` columns). With ``base=`` a previous
result, the candidates are rebuilt from the base's (:mod:`routing.candidates.reuse`) and its plan is
carried over and improved (:mod:`routing.strategies.warm`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

from .candidates.candidates import build_candidates
from .candidates.option_table import EnumerationReport
from .candidates.reuse import warm_candidates
from .data.bookings import Bookings
from .data.network import Network
from .data.shipments import Inventory, Shipments
from .errors import InputError
from .logs import utc_text
from .model import build_model, with_new_limits
from .progress import Progress
from .report.result import Result, assemble_result
from .settings import PlanSettings, SolveOptions, Strategy
from .strategies.aggregate import solve_aggregate
from .strategies.auto import solve_auto
from .strategies.exact import solve_exact
from .strategies.solution import previous_plan, with_committed
from .strategies.warm import solve_warm

RESERVE_SECONDS, RESERVE_PER_SHIPMENT = 0.1, 3e-6  # time kept for the result tables and the files (s; 1M as CSV: 2.0 s)
TABLES_PER_SHIPMENT = 4e-6  # time the option table's pricing and the model take after enumeration (s)


def _say_cut(progress: Progress, cut: EnumerationReport, settings: PlanSettings) -> None:
    """A line on stderr when a leg limit or an enumeration budget narrowed the candidates."""
    if cut.legs_capped:
        progress.say(f"routes: {len(cut.legs_capped):,} (origin, market) pair(s) have routes longer than "
                     f"--max-legs {settings.max_legs}: the plan and its bound hold for shorter routes only")
    if not cut.complete:
        progress.say("routes: enumeration cut by its budgets (" + ", ".join(
            f"{k.replace('_', ' ')} {v:,}" for k, v in cut.to_dict().items() if v and k != "legs_capped_pairs")
            + "): the plan and its bound hold for the candidates enumerated")


def solve(network: Network, shipments: Shipments, inventory: Inventory | None = None, *,
          settings: PlanSettings | None = None, options: SolveOptions | None = None,
          progress: Progress | None = None, load_seconds: float = 0.0, base: Result | None = None,
          bookings: Bookings | None = None) -> Result:
    """Plan every shipment: the minimum-cost assignment to routes and departures (docs/rules.md).

    ``base``, a previous result on related inputs (a what-if edit of them), makes this a warm
    re-plan: its option table, candidates and plan are reused where the edit leaves them valid.
    ``settings`` and ``options`` default to the base's. ``bookings``: committed legs that their
    shipments keep (their capacity and stock taken off the limits) and a previous plan to stay close
    to (docs/rules.md#bookings); a plan with bookings, or from a base that had them, is planned cold.
    """
    if base is not None and not (isinstance(base, Result) and base.warm_start is not None):
        kind = type(base).__name__ if not isinstance(base, Result) else "Result without its warm start"
        raise InputError("solve", "base", f"must be a Result of solve(), got {kind} (a sweep's PlanSummary or "
                                          "a result without its warm start keeps no options or model to re-plan from)")
    warm = base.warm_start if base is not None else None
    if bookings is not None and bookings.empty:
        bookings = None
    if warm is not None and (bookings is not None or warm.candidates.booked is not None):
        settings, options = settings or warm.settings, options or warm.options
        warm = None  # the base's kept options and plan do not know the bookings: planned cold
    if warm is not None:
        settings = settings or warm.settings
        options = options or warm.options
    settings = settings or PlanSettings()
    options = options or SolveOptions()
    progress = progress or Progress(quiet=True)
    t0 = time.perf_counter()
    started = t0 - load_seconds  # the time limit counts from the start of loading to the files written
    # enumeration stops in time for what must follow it: pricing, the model, the result and the files
    reserve = RESERVE_SECONDS + RESERVE_PER_SHIPMENT * len(shipments)
    enumeration_deadline = started + min(settings.enumeration.time_share * options.time_limit,
                                         options.time_limit - reserve - TABLES_PER_SHIPMENT * len(shipments))
    with progress.phase("routes", f"{len(shipments):,} shipments") as info:
        if warm is None:
            cand = build_candidates(network, shipments, inventory, settings, deadline=enumeration_deadline,
                                    bookings=bookings)
        else:
            cand, reuse = warm_candidates(warm, network, shipments, inventory, settings, enumeration_deadline)
        stats = cand.stats
        info["done"] = (f"{stats.routes:,} routes, {stats.schedules:,} schedules, "
                        f"{cand.n_vars:,} options kept ({stats.pruned_options:,} dominated)")
        if warm is not None:
            info["done"] += f"; warm: table {reuse.table}, {reuse.repriced:,} shipments re-priced"
    _say_cut(progress, cand.table.enumeration, settings)
    if (early := int((cand.order_day < 0).sum())):
        progress.say(f"routes: {early:,} shipment(s) ordered before the network's epoch {cand.epoch} "
                     "(planned all the same; summary orders_before_epoch)")
    with progress.phase("build") as info:
        model = None
        if warm is not None and cand is warm.candidates and \
                settings.unassigned_penalty == warm.model.unassigned_penalty:
            model = with_new_limits(warm.model, network, shipments, inventory)  # same columns, new limits
        if model is None:
            model = build_model(network, shipments, inventory, cand, settings.unassigned_penalty)
        info["done"] = f"{model.n_cols:,} columns x {model.n_rows:,} rows, {model.A.nnz:,} nonzeros"
    strategy = options.strategy
    if strategy == Strategy.AUTO and warm is not None:  # a warm re-plan chooses by model size
        strategy = Strategy.EXACT if model.n_cols <= options.exact.max_columns else Strategy.AGGREGATE
    # the solve gets what is left of the time limit but the reserve for the result tables and the files
    timed = replace(options, time_limit=max(0.01, started + options.time_limit - reserve - time.perf_counter()))
    report = None
    t_solve = time.perf_counter()
    if warm is not None:
        solution, report = solve_warm(warm, network, shipments, inventory, cand, model, reuse, strategy, timed,
                                      progress)
    elif strategy == Strategy.EXACT:
        solution = solve_exact(model, cand, timed, progress, start=previous_plan(model, cand))
    elif strategy == Strategy.AUTO:
        solution = solve_auto(network, shipments, inventory, cand, model, timed, progress, limit=options.time_limit,
                              start=previous_plan(model, cand))
    else:
        solution = solve_aggregate(network, shipments, inventory, cand, model, timed, progress)
    solution, put_back = with_committed(model, cand, solution)
    if put_back:
        progress.say(f"bookings: {put_back:,} committed shipment(s) put back on their committed legs")
    t_result = time.perf_counter()  # the strategy's whole run is "solve", its set-up outside phases included
    seconds = {"load": load_seconds, **{k: progress.seconds.get(k, 0.0) for k in ("routes", "build")},
               "solve": t_result - t_solve}
    result = assemble_result(network, shipments, inventory, settings, options, cand, model, solution, seconds, report,
                             bookings)
    # the result tables count too: "plan" is everything from the candidates to the result
    done = time.perf_counter()
    seconds.update(result=done - t_result, plan=done - t0)
    now = dt.datetime.now(dt.UTC)
    began = now - dt.timedelta(seconds=done - started)
    return replace(result, figures=replace(result.figures, seconds=seconds, started_at=utc_text(began),
                                           finished_at=utc_text(now)))

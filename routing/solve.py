"""``solve(network, shipments, ...)``: wires the parts — candidates → model → a strategy → result.

Strategy ``exact`` (:mod:`routing.strategies.exact`) proves optimality; ``aggregate``
(:mod:`routing.strategies.aggregate`) plans very large instances by shipment classes; ``auto`` takes
``exact`` while the model has at most ``options.exact.max_columns`` columns. With ``base=`` a previous
result, the candidates are rebuilt from the base's (:mod:`routing.candidates.reuse`) and its plan is
carried over and improved (:mod:`routing.strategies.warm`).
"""

from __future__ import annotations

import time
from dataclasses import replace

from .candidates.candidates import build_candidates
from .candidates.reuse import warm_candidates
from .data.network import Network
from .data.shipments import Inventory, Shipments
from .errors import InputError
from .model import build_model, with_new_limits
from .progress import Progress
from .report.result import Result, assemble_result
from .settings import PlanSettings, SolveOptions, Strategy
from .strategies.aggregate import solve_aggregate
from .strategies.exact import solve_exact
from .strategies.warm import carry_plan, improve_locally, local_focus


def solve(network: Network, shipments: Shipments, inventory: Inventory | None = None, *,
          settings: PlanSettings | None = None, options: SolveOptions | None = None,
          progress: Progress | None = None, load_seconds: float = 0.0, base: Result | None = None) -> Result:
    """Plan every shipment: the minimum-cost assignment to routes and departures (docs/rules.md).

    ``base``, a previous result on related inputs (a what-if edit of them), makes this a warm
    re-plan: its option table, candidates and plan are reused where the edit leaves them valid.
    ``settings`` and ``options`` default to the base's.
    """
    if base is not None and not (isinstance(base, Result) and base.warm_start is not None):
        kind = type(base).__name__ if not isinstance(base, Result) else "Result without its warm start"
        raise InputError("solve", "base", f"must be a Result of solve(), got {kind} (a sweep's PlanSummary or "
                                          "a result without its warm start keeps no options or model to re-plan from)")
    warm = base.warm_start if base is not None else None
    if warm is not None:
        settings = settings or warm.settings
        options = options or warm.options
    settings = settings or PlanSettings()
    options = options or SolveOptions()
    progress = progress or Progress(quiet=True)
    t0 = time.perf_counter()
    with progress.phase("routes", f"{len(shipments):,} shipments") as info:
        if warm is None:
            cand = build_candidates(network, shipments, inventory, settings)
        else:
            cand, reuse = warm_candidates(warm, network, shipments, inventory, settings)
            report = reuse.report
        stats = cand.stats
        info["done"] = (f"{stats.routes:,} routes, {stats.schedules:,} schedules, "
                        f"{cand.n_vars:,} options kept ({stats.pruned_options:,} dominated)")
        if warm is not None:
            info["done"] += f"; warm: table {report.table}, {report.repriced:,} shipments re-priced"
    with progress.phase("build") as info:
        model = None
        if warm is not None and cand is warm.candidates and \
                settings.unassigned_penalty == warm.model.unassigned_penalty:
            model = with_new_limits(warm.model, network, shipments, inventory)  # same columns, new limits
        if model is None:
            model = build_model(network, shipments, inventory, cand, settings.unassigned_penalty)
        info["done"] = f"{model.n_cols:,} columns x {model.n_rows:,} rows, {model.A.nnz:,} nonzeros"
    strategy = options.strategy
    if strategy == Strategy.AUTO:
        strategy = Strategy.EXACT if model.n_cols <= options.exact.max_columns else Strategy.AGGREGATE
    # the base plan carried over: the exact strategy's first incumbent, the local re-plan's start
    # (an edit adding more than warm.new_max_share new shipments is planned broadly, without it)
    params = options.warm
    carry = warm is not None and (strategy == Strategy.EXACT or
                                  (reuse.base_of < 0).sum() <= params.new_max_share * len(shipments))
    start, moved = carry_plan(warm, cand, model, reuse) if carry else (None, None)
    if strategy == Strategy.EXACT:
        solution = solve_exact(model, cand, options, progress, start=start)
    elif start is not None and \
            (local := local_focus(warm, model, cand, start, reuse.base_of, moved, params))[0].sum() <= \
            params.local_max_share * max(1, len(shipments)):
        solution = improve_locally(model, cand, start, local[0], local[1], options, progress)
        # a local answer far weaker than the base plan was (a target the neighbourhood could not meet,
        # an edit that reached further than it looked): plan the reused options from scratch as well
        local_gap = solution.gap
        if local_gap > max(params.fallback_gap, params.fallback_factor * base.figures.gap):
            wide = solve_aggregate(network, shipments, inventory, cand, model, options, progress,
                                   start=warm.solution.lp_basis)
            if wide.model_objective < solution.model_objective:
                solution = wide
            report = replace(report, local_gap=local_gap, fallback=str(Strategy.AGGREGATE))
    else:
        solution = solve_aggregate(network, shipments, inventory, cand, model, options, progress,
                                   start=warm.solution.lp_basis if warm is not None else None)
    seconds = {"load": load_seconds, **{k: progress.seconds.get(k, 0.0) for k in ("routes", "build", "solve")}}
    seconds["plan"] = time.perf_counter() - t0
    return assemble_result(network, shipments, inventory, settings, options, cand, model, solution, seconds,
                           report if warm is not None else None)

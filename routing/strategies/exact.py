"""Strategy ``exact``: LP relaxation → LP-guided plan → MIP over a reduced-cost core, widened until it
provably holds a plan within the gap target (``options.gap``; 0: the optimum).

The LP relaxation of the full model (``options.lp_solver``; HiGHS dual simplex by default) gives the
lower bound and the shadow prices; an LP-guided greedy plan and the LP rounded (integral shipments
kept, the fractional ones re-optimised in a small MIP) give an upper bound; a carried-over base plan
(a warm re-plan's) competes with them. Columns whose reduced cost exceeds the remaining gap cannot
appear in a cheaper plan and are fixed at 0; the MIP (``options.solver``; HiGHS by default) solves the
rest, and the core widens until the best plan found is within it. The search stops as soon as the
best plan is proven within ``options.gap`` of the bound, for the whole model over the full horizon;
a MIP running longer than a few seconds reports its incumbent, bound and gap on the progress stream.
"""

from __future__ import annotations

import time

import numpy as np

from ..backends.lp import LPSolution, solve_lp
from ..backends.mip import MipResult, solve_mip
from ..backends.status import NotSolved
from ..candidates.candidates import Candidates
from ..model import Model
from ..progress import Progress
from ..settings import SolveOptions, Status, Strategy
from .lagrangian import priced_costs
from .repair import MIN_SECONDS, degraded, fallback_seconds, place_left_out, restricted_mip, settle_integral
from .solution import Solution, empty_solution, within_gap


def reduced_cost_fixing(lp: LPSolution, upper: float) -> np.ndarray:
    """Columns that no solution cheaper than ``upper`` can use: at 0 in the LP with reduced cost
    above ``upper - lp.objective`` (a small tolerance keeps the test conservative)."""
    slack = upper - lp.objective + 1e-6 * max(1.0, abs(upper))
    return (lp.values < 1e-9) & (lp.reduced_costs > slack)


def greedy_plan(model: Model, cand: Candidates, preference: np.ndarray | None = None) -> np.ndarray:
    """A feasible 0/1 column vector: each shipment takes its most preferred option that still fits.

    ``preference`` (per x column, higher first; e.g. LP values) orders a shipment's options, cost
    breaks ties; shipments are served in order of their best preference, most certain first.
    """
    n_x = model.n_x
    values = np.zeros(model.n_cols)
    if preference is None:
        preference = np.zeros(n_x)
    A_res = model.A_res_csc
    load = np.zeros(len(model.res_keys))
    cap = model.res_cap + 1e-9
    order = np.lexsort((cand.var_cost, -preference, cand.var_ship))
    ships = cand.var_ship[order]
    if len(order) == 0:
        values[n_x:n_x + model.n_u] = 1.0
        values[n_x + model.n_u:] = model.target_need
        return values
    starts = np.flatnonzero(np.r_[True, ships[1:] != ships[:-1]])
    ends = np.r_[starts[1:], len(order)]
    first_pref = preference[order[starts]]
    chosen = np.full(len(cand.unroutable_reason), -1, dtype=np.int64)

    def fits(j: int) -> tuple[np.ndarray, np.ndarray, bool]:
        lo, hi = A_res.indptr[j], A_res.indptr[j + 1]
        rows, coef = A_res.indices[lo:hi], A_res.data[lo:hi]
        return rows, coef, bool(np.all(load[rows] + coef <= cap[rows]))

    for g in np.argsort(-first_pref, kind="stable").tolist():
        for j in order[starts[g]:ends[g]].tolist():
            if cand.var_cost[j] >= model.unassigned_penalty and preference[j] < 0.5:
                continue
            rows, coef, ok = fits(j)
            if ok:
                load[rows] += coef
                chosen[cand.var_ship[j]] = j
                break
    _repair_targets(model, cand, chosen, load, fits)
    values[chosen[chosen >= 0]] = 1.0
    values[n_x:n_x + model.n_u] = (chosen[model.u_ship] < 0).astype(float)
    # shortfall columns take whatever the targets still miss
    on_rows = model.A_target @ values[:n_x]
    values[n_x + model.n_u:] = np.maximum(0.0, model.target_need - on_rows)
    return values


def _repair_targets(model: Model, cand: Candidates, chosen: np.ndarray, load: np.ndarray, fits) -> None:
    """Move shipments of markets short of their target to on-time options that fit, cheapest first."""
    targets = model.A_target
    for r in range(targets.shape[0]):
        cols = targets.indices[targets.indptr[r]:targets.indptr[r + 1]]
        on_time_cols = set(cols.tolist())
        short = int(model.target_need[r]) - sum(1 for j in chosen[cand.var_ship[cols]].tolist() if j in on_time_cols)
        if short <= 0:
            continue
        ships = cand.var_ship[cols]
        current = chosen[ships]
        now_cost = np.where(current >= 0, cand.var_cost[np.maximum(current, 0)], model.unassigned_penalty)
        now_on = np.isin(current, cols)
        extra = cand.var_cost[cols] - now_cost
        for k in np.argsort(extra, kind="stable").tolist():
            if short <= 0:
                break
            s_, j = int(ships[k]), int(cols[k])
            if now_on[k] or chosen[s_] in on_time_cols:
                continue
            old = int(chosen[s_])
            if old >= 0:
                rows_o, coef_o, _ = fits(old)
                load[rows_o] -= coef_o
            rows, coef, ok = fits(j)
            if ok:
                load[rows] += coef
                chosen[s_] = j
                short -= 1
            elif old >= 0:
                load[rows_o] += coef_o


def _core_run(model: Model, options: SolveOptions, hint: np.ndarray, time_limit: float,
              fixed: np.ndarray, progress: Progress) -> MipResult:
    """The full MIP with the ``fixed`` columns at 0, started from ``hint``, to the gap target; the MIP's
    incumbent and bound go to ``progress`` every few seconds."""
    col_ub = np.where(fixed, 0.0, model.col_ub)

    def report(incumbent: float, bound: float) -> None:
        progress.say(f"solve: MIP incumbent {incumbent:,.2f}, bound {bound:,.2f}, "
                     f"gap {(incumbent - bound) / max(1.0, abs(incumbent)):.2e}")

    # the target is on the plan's cost without shortfall penalties (as the summary has it); the MIP's
    # gap is on its objective, penalties included: scaled at the start plan's ratio of the two
    objective = float(model.cost @ hint)
    plan_cost = objective - model.shortfall_cost(hint)
    rel_gap = options.gap * max(1.0, abs(plan_cost)) / max(1.0, abs(objective))
    return solve_mip(model.cost, col_ub, model.A, model.row_lb, model.row_ub, options, time_limit, hint,
                     rel_gap=rel_gap, report=report)


def lp_round(model: Model, cand: Candidates, lp: LPSolution, options: SolveOptions,
             time_limit: float) -> np.ndarray | None:
    """Keep every shipment the LP assigns integrally; re-optimise the fractional ones in a small MIP.

    If the residual targets cannot be met that way, the shipments of the short markets are freed too.
    """
    n_x, n_u = model.n_x, model.n_u
    base, free = settle_integral(model, lp.values, np.arange(n_x + n_u))
    t = time.perf_counter()
    values = restricted_mip(model, base, free, options, time_limit)
    if values is None:
        return None
    shortfall = values[n_x + n_u:]
    if shortfall.sum() > 0.5 and lp.values[n_x + n_u:].sum() < 0.5:
        short_markets = model.target_markets[shortfall > 0.5]
        col_dest = cand.destination[np.concatenate([cand.var_ship, model.u_ship])]
        free[:n_x + n_u] |= np.isin(col_dest, short_markets)
        retry = restricted_mip(model, values, free, options, max(0.1, time_limit - (time.perf_counter() - t)))
        if retry is not None and model.cost @ retry < model.cost @ values:
            values = retry
    return values


def solve_exact(model: Model, cand: Candidates, options: SolveOptions, progress: Progress,
                start: np.ndarray | None = None) -> Solution:
    """Solve ``model`` to proven optimality (within the time limit); always returns a feasible plan.

    ``start``, a feasible plan such as a carried-over base plan, competes with the LP-guided plans
    as the first incumbent.
    """
    deadline = time.perf_counter() + options.time_limit
    if model.n_cols == 0:
        return empty_solution(model.n_rows, Strategy.EXACT)
    fallback = fallback_seconds(cand)  # kept for the solver-free plan, should the LP not be solved
    with progress.phase("solve", f"LP relaxation ({options.lp_solver})") as info:
        try:
            if options.time_limit < fallback + MIN_SECONDS:
                raise NotSolved(Status.TIME_LIMIT, "no time left for the LP relaxation")
            lp = solve_lp(model, options.lp_solver, max(0.01, deadline - fallback - time.perf_counter()))
        except NotSolved as exc:  # no LP in time: the solver-free plan (or the carried start) is the answer
            info["done"] = f"{exc}; parcels on their cheapest options that fit"
            return degraded(model, cand, Strategy.EXACT,
                            Status.TIME_LIMIT if exc.status == Status.TIME_LIMIT else Status.HEURISTIC,
                            "no LP relaxation solved", start)
        info["done"] = f"LP bound {lp.objective:,.2f}"
    with progress.phase("solve", "rounding the LP (fractional shipments re-optimised)") as info:
        hint = greedy_plan(model, cand, lp.values[:model.n_x])
        hint_obj = float(model.cost @ hint)
        rounded = lp_round(model, cand, lp, options,
                           max(0.1, options.exact.rounding_share * (deadline - time.perf_counter())))
        if rounded is not None:  # parcels the rounding left out: re-planned with the holders of their rows
            price = np.maximum(0.0, -lp.duals[model.res_row0:model.target_row0])
            mu = np.maximum(0.0, lp.duals[model.target_row0:])
            rounded = place_left_out(model, cand, rounded, priced_costs(model, cand, price, mu), options,
                                     max(0.1, options.exact.rounding_share * (deadline - time.perf_counter())),
                                     per_rows=options.aggregate.left_out_widths)
        if rounded is not None and float(model.cost @ rounded) < hint_obj:
            hint, hint_obj = rounded, float(model.cost @ rounded)
        if start is not None and float(model.cost @ start) < hint_obj:
            hint, hint_obj = start, float(model.cost @ start)
        info["done"] = f"upper bound {hint_obj:,.2f}"
    lp_int = np.round(lp.values)
    if np.all(np.abs(lp.values - lp_int) < 1e-9) and float(model.cost @ lp_int) <= hint_obj:
        best = MipResult(lp_int, Status.OPTIMAL, float(model.cost @ lp_int), lp.objective)
    elif within_gap(model, hint, lp.objective, options.gap):  # the LP-guided plan is within the target already
        best = MipResult(hint, Status.OPTIMAL, hint_obj, lp.objective)
    else:
        best = _core_mip(model, options, lp, hint, hint_obj, deadline, progress)
    bound = max(best.bound if np.isfinite(best.bound) else -np.inf, lp.objective)
    bound = min(bound, best.objective)
    return Solution(values=best.values, status=best.status, model_objective=best.objective, model_bound=bound,
                    lp_objective=lp.objective, duals=lp.duals, strategy=Strategy.EXACT)


def _core_mip(model: Model, options: SolveOptions, lp: LPSolution, hint: np.ndarray, hint_obj: float,
              deadline: float, progress: Progress) -> MipResult:
    """MIP over a reduced-cost core, widened until the core provably holds every cheaper plan.

    Columns with reduced cost above ``delta`` are left out; once the best plan found costs at most
    ``lp.objective + delta``, no column left out can improve it, so an optimal core MIP is optimal.
    Returns the best plan, how the search ended and the bound proven.
    """
    values, obj, bound = hint, hint_obj, lp.objective
    gap = hint_obj - lp.objective
    # a shortfall in the hint says nothing about reduced costs: size the first core on the cost part only
    k = model.n_x + model.n_u
    cost_gap = max(0.0, float(model.cost[:k] @ hint[:k] - model.cost[:k] @ lp.values[:k]))
    delta = min(gap, max(options.exact.core_start * cost_gap, 1e-7 * max(1.0, abs(lp.objective)), 1e-6))
    while True:
        # the best plan's columns stay in the core, so that it starts the MIP as a feasible incumbent
        fixed = reduced_cost_fixing(lp, lp.objective + delta) & (values < 0.5)
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            return MipResult(values, Status.TIME_LIMIT, obj, bound)
        with progress.phase("solve", f"MIP ({options.solver}, {model.n_cols - int(fixed.sum()):,} of "
                                     f"{model.n_cols:,} columns in the core, {remaining:.0f}s left)") as info:
            run = _core_run(model, options, values, remaining, fixed, progress)
            info["done"] = f"{run.status}, {run.objective:,.2f}" if run.values is not None else \
                (str(run.status) if run.status != Status.NOT_SOLVED else run.solver_status)
        if run.values is not None and run.objective < obj:
            values, obj = run.values, run.objective
        # a plan using a column outside the core costs at least LP + delta: the core's bound holds
        # globally up to that level
        if np.isfinite(run.bound):
            bound = max(bound, run.bound if not fixed.any() else min(run.bound, lp.objective + delta))
        bound = min(bound, obj)
        if within_gap(model, values, bound, options.gap):
            return MipResult(values, Status.OPTIMAL, obj, bound)
        if run.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            return MipResult(values, Status.TIME_LIMIT if run.status == Status.TIME_LIMIT else Status.HEURISTIC,
                             obj, bound)
        if not fixed.any():  # the whole model solved to the MIP's own measure, not to ours: nothing wider to try
            return MipResult(values, Status.FEASIBLE, obj, bound)
        # widen to the proven need when the plan meets its targets; while it still pays shortfall
        # penalties that need is inflated, so widen geometrically instead
        short = float(values[model.n_x + model.n_u:].sum()) > 0.5
        wider = min(obj - lp.objective, options.exact.core_growth * delta) if short else obj - lp.objective
        if wider <= delta:  # the MIP called the core solved, but not to our measure: no wider core to try
            return MipResult(values, Status.FEASIBLE, obj, bound)
        delta = wider

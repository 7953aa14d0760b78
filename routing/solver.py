"""``solve(network, shipments, ...)``: candidates → model → OR-Tools → :class:`~routing.result.Result`.

Strategy ``exact`` solves the LP relaxation (GLOP: lower bound and shadow prices), builds an
LP-guided feasible plan, then gives the full MIP — one binary per (shipment, option) after
dominance pruning — to the chosen backend (HiGHS by default, SCIP or CP-SAT) with that plan as a
hint, and proves optimality within the time limit where it can.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.optimize import linprog

from .component_lp import LPBasis
from .errors import InputError, SolverError
from .model import Model, build_model, with_new_limits
from .network import Network
from .options import Candidates, PlanSettings, build_candidates
from .progress import Progress
from .result import Result, assemble_result
from .shipments import Inventory, Shipments
from .warm_lp import RestrictedLP

MIP_SOLVERS = {"highs": "highs", "scip": "scip", "cp-sat": "sat"}
LP_SOLVERS = {"highs": "highs", "glop": "glop", "pdlp": "pdlp"}
STRATEGIES = ("auto", "exact", "aggregate")
EXACT_MAX_COLUMNS = 100_000  # auto: the exact MIP where the model is at most this wide


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: strategy, MIP backend, time limit (s), random seed, threads for the backend.

    strategy ``exact`` proves optimality (MIP over every shipment option); ``aggregate`` solves an
    LP over shipment classes, disaggregates and repairs, and reports a Lagrangian bound; ``auto``
    takes ``exact`` while the model has at most EXACT_MAX_COLUMNS columns.
    """

    strategy: str = "auto"
    solver: str = "scip"
    time_limit: float = 60.0
    seed: int = 0
    threads: int = 1
    lp_solver: str = "highs"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InputError("options", "strategy", f"unknown strategy {self.strategy!r} (use {', '.join(STRATEGIES)})")
        if self.solver not in MIP_SOLVERS:
            raise InputError("options", "solver", f"unknown solver {self.solver!r} (use {', '.join(MIP_SOLVERS)})")
        if self.lp_solver not in LP_SOLVERS:
            raise InputError("options", "lp_solver", f"unknown LP solver {self.lp_solver!r}")
        if not self.time_limit > 0:
            raise InputError("options", "time_limit", f"must be > 0 seconds, got {self.time_limit!r}")
        if not isinstance(self.threads, int) or self.threads < 1:
            raise InputError("options", "threads", f"must be a whole number >= 1, got {self.threads!r}")


@dataclass(frozen=True, eq=False)
class Solution:
    """Column values of a solved model plus what the solver proved."""

    values: np.ndarray
    status: str
    internal_objective: float
    internal_bound: float
    lp_objective: float | None
    duals: np.ndarray | None
    info: dict = field(default_factory=dict)
    lp_basis: LPBasis | None = None  # the aggregate strategy's class-LP basis, a start for a warm re-plan


def _solver_params(name: str, threads: int, seed: int, abs_gap: float = 1e-7, node_limit: int | None = None) -> str:
    """Backend parameters: proven optimal within ``abs_gap`` (currency) or a 1e-9 relative gap. With a
    ``node_limit`` (a small repair MIP): at most that many branch-and-bound nodes — a limit that, unlike
    time, gives the same answer on any machine — and for SCIP no presolve (2-3x faster there; HiGHS
    is slower without); CP-SAT has no node limit and ignores it."""
    if name == "highs":
        nodes = f"\nmip_max_nodes={node_limit}" if node_limit else ""
        return (f"mip_rel_gap=1e-9\nmip_abs_gap={abs_gap}\nthreads={threads}\nrandom_seed={seed}\n"
                f"output_flag=false{nodes}")
    if name == "scip":
        nodes = f"\nlimits/nodes = {node_limit}\npresolving/maxrounds = 0" if node_limit else ""
        return f"limits/gap = 1e-9\nlimits/absgap = {abs_gap}\nrandomization/randomseedshift = {seed}{nodes}"
    if name == "sat":
        return (f"relative_gap_limit:1e-9 absolute_gap_limit:{abs_gap} num_workers:{max(threads, 1)} "
                f"random_seed:{seed} interleave_search:true")
    return ""


def solve_lp(model: Model, lp_solver: str = "highs", time_limit: float = 60.0) -> LPSolution:
    """LP relaxation: objective, primal values, row duals and reduced costs.

    Duals follow d(objective)/d(right-hand side): ≤ 0 on a binding capacity row, ≥ 0 on a binding
    target row. ``highs`` runs HiGHS dual simplex through scipy (OR-Tools' HiGHS wrapper returns no
    duals); ``glop`` and ``pdlp`` run through OR-Tools' model builder.
    """
    if lp_solver == "highs":
        return lp_blocks(model.cost, model.col_ub, model.A, model.row_lb, model.row_ub, model.n_u,
                         model.target_row0, time_limit)
    helper = model.to_ortools(integral=False)
    solver = mbh.ModelSolverHelper(LP_SOLVERS[lp_solver])
    solver.set_time_limit_in_seconds(time_limit)
    solver.solve(helper)
    if solver.status() != mbh.SolveStatus.OPTIMAL:
        raise SolverError(f"LP relaxation not solved: {solver.status().name} {solver.status_string()}")
    return LPSolution(objective=solver.objective_value(), values=np.asarray(solver.variable_values()),
                      duals=np.asarray(solver.dual_values()), reduced_costs=np.asarray(solver.reduced_costs()))


def lp_blocks(cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray, row_ub: np.ndarray,
              n_eq: int, ge_row0: int, time_limit: float) -> LPSolution:
    """LP by HiGHS (scipy) on rows laid out as [equalities | ≤ rows | ≥ rows from ``ge_row0``]."""
    A = A.tocsr()
    t = A.shape[0]
    A_ub = sp.vstack([A[n_eq:ge_row0], -A[ge_row0:t]]).tocsr()
    b_ub = np.concatenate([row_ub[n_eq:ge_row0], -row_lb[ge_row0:t]])
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A[:n_eq], b_eq=row_lb[:n_eq],
                  bounds=np.column_stack([np.zeros(len(cost)), col_ub]), method="highs",
                  options={"time_limit": float(time_limit), "presolve": True})
    if res.status != 0:
        raise SolverError(f"LP relaxation not solved: {res.message}")
    ineq = res.ineqlin.marginals
    duals = np.concatenate([res.eqlin.marginals, ineq[:ge_row0 - n_eq], -ineq[ge_row0 - n_eq:]])
    return LPSolution(objective=float(res.fun), values=np.asarray(res.x), duals=duals,
                      reduced_costs=np.asarray(res.lower.marginals) + np.asarray(res.upper.marginals))


@dataclass(frozen=True, eq=False)
class LPSolution:
    objective: float
    values: np.ndarray
    duals: np.ndarray
    reduced_costs: np.ndarray


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
    A_res = model.A_res.tocsc()
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


def _mip_arrays(cost: np.ndarray, col_ub: np.ndarray, A: sp.csr_matrix, row_lb: np.ndarray, row_ub: np.ndarray,
                options: SolveOptions, time_limit: float, hint: np.ndarray | None = None,
                abs_gap: float = 1e-7, node_limit: int | None = None) -> tuple[np.ndarray | None, str, float, float]:
    """Solve an all-integer model (optimal within ``abs_gap``, currency; at most ``node_limit`` nodes if
    given); returns (values or None, status, objective, bound)."""
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(np.zeros(len(cost)), col_ub, cost, row_lb, row_ub, A)
    for j in range(len(cost)):
        helper.set_var_integrality(j, True)
    # HiGHS through OR-Tools crashes on solution hints; the other backends take them
    if hint is not None and options.solver != "highs":
        for j in np.flatnonzero(hint > 0.5).tolist():
            helper.add_hint(j, float(round(hint[j])))
    solver = mbh.ModelSolverHelper(MIP_SOLVERS[options.solver])
    if not solver.solver_is_supported():
        raise SolverError(f"solver {options.solver!r} is not available in this OR-Tools build")
    solver.set_solver_specific_parameters(_solver_params(MIP_SOLVERS[options.solver], options.threads, options.seed,
                                                         abs_gap, node_limit))
    solver.set_time_limit_in_seconds(max(time_limit, 0.1))
    t = time.perf_counter()
    solver.solve(helper)
    took = time.perf_counter() - t
    status = solver.status()
    if status == mbh.SolveStatus.INVALID_SOLVER_PARAMETERS:
        raise SolverError(f"{options.solver}: {solver.status_string()}")
    if status in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE) and solver.has_solution():
        values = np.round(np.asarray(solver.variable_values()))
        name = "optimal" if status == mbh.SolveStatus.OPTIMAL else (
            "time_limit" if took >= 0.95 * time_limit else "feasible")
        return values, name, solver.objective_value(), solver.best_objective_bound()
    name = "time_limit" if took >= 0.95 * time_limit else status.name.lower()
    return None, name, float("nan"), solver.best_objective_bound() if solver.has_response() else -np.inf


def _mip(model: Model, cand: Candidates, options: SolveOptions, hint: np.ndarray | None,
         time_limit: float, fixed: np.ndarray | None = None) -> tuple[np.ndarray | None, str, float, float]:
    col_ub = model.col_ub if fixed is None else np.where(fixed, 0.0, model.col_ub)
    return _mip_arrays(model.cost, col_ub, model.A, model.row_lb, model.row_ub, options, time_limit,
                       None if hint is None else hint)


def restricted_mip(model: Model, base: np.ndarray, free: np.ndarray, options: SolveOptions,
                   time_limit: float, abs_gap: float = 1e-7, node_limit: int | None = None) -> np.ndarray | None:
    """Re-optimise the columns where ``free`` is True with every other column held at ``base`` (the
    MIP holds the free columns and the rows they touch, bounds shifted by the held activity; optimal
    within ``abs_gap``, currency, or the best found in ``node_limit`` nodes)."""
    held = np.where(free, 0.0, base)
    A_free = model.A_csc[:, free].tocsr()
    rows = np.flatnonzero(np.diff(A_free.indptr) > 0)
    activity = model.A[rows] @ held  # the held plan's load on those rows only
    values, _, _, _ = _mip_arrays(model.cost[free], model.col_ub[free], A_free[rows],
                                  model.row_lb[rows] - activity, model.row_ub[rows] - activity,
                                  options, time_limit, abs_gap=abs_gap, node_limit=node_limit)
    if values is None:
        return None
    out = held.copy()
    out[free] = values
    return out


def restricted_lp_round(model: Model, values: np.ndarray, free: np.ndarray, options: SolveOptions,
                        time_limit: float) -> np.ndarray | None:
    """Round an LP solution ``values`` over the ``free`` columns (whole shipments; the others held at a
    plan): the shipments it assigns integrally keep that column, the fractional ones are re-optimised
    in a MIP (a small one)."""
    held, open_cols = settle_integral(model, values, np.flatnonzero(free[:model.n_x + model.n_u]))
    return restricted_mip(model, held, open_cols, options, time_limit)


def reoptimise(model: Model, plan: np.ndarray, free: np.ndarray, options: SolveOptions,
               time_limit: float) -> np.ndarray | None:
    """Re-optimise the ``free`` columns around ``plan`` (a feasible plan; every other column held): the
    LP in HiGHS started from the plan's basis (:class:`RestrictedLP`), then rounded
    (:func:`restricted_lp_round`). None if the rounding MIP finds nothing in time."""
    t = time.perf_counter()
    lp = RestrictedLP(model, plan, time_limit)
    lp.add(free)
    values, _, _ = lp.solve()
    return restricted_lp_round(model, values, free, options, max(0.5, time_limit - (time.perf_counter() - t)))


def repair_left_out(model: Model, plan: np.ndarray, free: np.ndarray, options: SolveOptions, time_limit: float,
                    mip_columns: int = 1_000, mip_nodes: int = 200) -> np.ndarray | None:
    """Re-plan the ``free`` columns (whole shipments) around ``plan`` for parcels a rounding left out.
    An LP there can place such a parcel only fractionally, and rounding it leaves the parcel out
    again; so a neighbourhood of at most ``mip_columns`` option and unassigned columns is solved as a
    MIP outright, to within 5% of the unassigned penalty or the best of ``mip_nodes`` nodes (the same
    on any machine); a larger one, or one the MIP finds nothing better for, by :func:`reoptimise`.
    None if nothing is found in time."""
    if free[:model.n_x + model.n_u].sum() <= mip_columns:
        t = time.perf_counter()
        out = restricted_mip(model, plan, free, options, time_limit, abs_gap=0.05 * model.unassigned_penalty,
                             node_limit=mip_nodes)
        if out is not None and model.cost @ out < model.cost @ plan - 1e-9:
            return out
        time_limit = max(0.5, time_limit - (time.perf_counter() - t))
    return reoptimise(model, plan, free, options, time_limit)


def settle_integral(model: Model, values: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round an LP solution over the x/u columns ``cols`` (whole shipments; the others hold a plan):
    shipments it assigns integrally keep that column (at 1). Returns (``values`` with ``cols`` so
    settled, the mask of the other, fractional shipments' columns plus every shortfall column — what
    a rounding MIP re-optimises)."""
    col_row = model.col_assign_row
    whole = values[cols] >= 1.0 - 1e-6
    settled = np.zeros(model.n_u, dtype=bool)
    settled[col_row[cols[whole]]] = True
    held = values.copy()
    held[cols] = whole
    open_cols = np.zeros(model.n_cols, dtype=bool)
    open_cols[cols[~settled[col_row[cols]]]] = True
    open_cols[model.n_x + model.n_u:] = True
    return held, open_cols


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


def optimise(model: Model, cand: Candidates, options: SolveOptions, progress: Progress,
             start: np.ndarray | None = None) -> Solution:
    """Solve ``model`` by the chosen strategy; always returns a feasible plan.

    LP relaxation → LP-guided greedy plan (an upper bound; ``start``, a feasible plan such as a
    carried-over base plan, competes with it) → reduced-cost fixing (columns that cannot appear in
    any cheaper plan are fixed at 0) → MIP on what is left. The MIP's answer is optimal for the whole
    model: every plan cheaper than the upper bound survives the fixing.
    """
    deadline = time.perf_counter() + options.time_limit
    if model.n_cols == 0:
        return Solution(values=np.zeros(0), status="optimal", internal_objective=0.0, internal_bound=0.0,
                        lp_objective=0.0, duals=np.zeros(model.n_rows))
    with progress.phase("solve", f"LP relaxation ({options.lp_solver})") as info:
        lp = solve_lp(model, options.lp_solver, options.time_limit)
        info["done"] = f"LP bound {lp.objective:,.2f}"
    with progress.phase("solve", "rounding the LP (fractional shipments re-optimised)") as info:
        hint = greedy_plan(model, cand, lp.values[:model.n_x])
        hint_obj = float(model.cost @ hint)
        rounded = lp_round(model, cand, lp, options, max(0.1, 0.25 * (deadline - time.perf_counter())))
        if rounded is not None and float(model.cost @ rounded) < hint_obj:
            hint, hint_obj = rounded, float(model.cost @ rounded)
        if start is not None and float(model.cost @ start) < hint_obj:
            hint, hint_obj = start, float(model.cost @ start)
        info["done"] = f"upper bound {hint_obj:,.2f}"
    lp_int = np.round(lp.values)
    if np.all(np.abs(lp.values - lp_int) < 1e-9) and float(model.cost @ lp_int) <= hint_obj:
        values, status, obj, bound = lp_int, "optimal", float(model.cost @ lp_int), lp.objective
    else:
        values, status, obj, bound = _core_mip(model, cand, options, lp, hint, hint_obj, deadline, progress)
    bound = max(bound if np.isfinite(bound) else -np.inf, lp.objective)
    bound = min(bound, obj)
    return Solution(values=values, status=status, internal_objective=obj, internal_bound=bound,
                    lp_objective=lp.objective, duals=lp.duals)


def _core_mip(model: Model, cand: Candidates, options: SolveOptions, lp: LPSolution, hint: np.ndarray,
              hint_obj: float, deadline: float, progress: Progress) -> tuple[np.ndarray, str, float, float]:
    """MIP over a reduced-cost core, widened until the core provably holds every cheaper plan.

    Columns with reduced cost above ``delta`` are left out; once the best plan found costs at most
    ``lp.objective + delta``, no column left out can improve it, so an optimal core MIP is optimal.
    """
    values, obj, bound, _status = hint, hint_obj, lp.objective, "heuristic"
    gap = hint_obj - lp.objective
    # a shortfall in the hint says nothing about reduced costs: size the first core on the cost part only
    k = model.n_x + model.n_u
    cost_gap = max(0.0, float(model.cost[:k] @ hint[:k] - model.cost[:k] @ lp.values[:k]))
    delta = min(gap, max(0.05 * cost_gap, 1e-7 * max(1.0, abs(lp.objective)), 1e-6))
    while True:
        fixed = reduced_cost_fixing(lp, lp.objective + delta)
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            return values, "time_limit", obj, bound
        with progress.phase("solve", f"MIP ({options.solver}, {model.n_cols - int(fixed.sum()):,} of "
                                     f"{model.n_cols:,} columns in the core, {remaining:.0f}s left)") as info:
            v, st, o, b = _mip(model, cand, options, values, remaining, fixed)
            info["done"] = f"{st}, {o:,.2f}" if v is not None else st
        if v is not None and o < obj:
            values, obj = v, o
        if st not in ("optimal", "infeasible"):
            # time ran out inside the core: a plan using a column outside it costs at least
            # LP + delta, so the core's bound holds globally up to that level
            if np.isfinite(b):
                bound = max(bound, b if not fixed.any() else min(b, lp.objective + delta))
            return values, ("time_limit" if st == "time_limit" else "heuristic"), obj, bound
        if obj - lp.objective <= delta + 1e-9 * max(1.0, abs(obj)) or not fixed.any():
            return values, "optimal", obj, obj
        # widen to the proven need when the plan meets its targets; while it still pays shortfall
        # penalties that need is inflated, so widen geometrically instead
        short = float(values[model.n_x + model.n_u:].sum()) > 0.5
        delta = min(obj - lp.objective, 4.0 * delta) if short else obj - lp.objective


def optimise_aggregate(network: Network, shipments: Shipments, inventory: Inventory | None, cand: Candidates,
                       model: Model, settings: PlanSettings, options: SolveOptions, progress: Progress,
                       start: LPBasis | None = None) -> Solution:
    """The ``aggregate`` strategy (see :mod:`routing.aggregate`); ``start``, a previous class-LP basis."""
    from .aggregate import solve_aggregate

    if model.n_cols == 0:
        return Solution(values=np.zeros(0), status="optimal", internal_objective=0.0, internal_bound=0.0,
                        lp_objective=0.0, duals=np.zeros(model.n_rows))
    values, bound, _class_lp, duals, info, basis = solve_aggregate(
        network, shipments, inventory, cand, model, settings.unassigned_penalty, options.time_limit, options, progress,
        start=start)
    obj = float(model.cost @ values)
    return Solution(values=values, status="feasible", internal_objective=obj, internal_bound=min(bound, obj),
                    lp_objective=bound, duals=duals, info=info, lp_basis=basis)


def _gap(solution: Solution) -> float:
    """Relative distance of a solution's internal objective (shortfall penalties included) to its bound."""
    obj = solution.internal_objective
    return (obj - solution.internal_bound) / max(1.0, abs(obj))


def solve(network: Network, shipments: Shipments, inventory: Inventory | None = None, *,
          settings: PlanSettings | None = None, options: SolveOptions | None = None,
          progress: Progress | None = None, load_seconds: float = 0.0, base: Result | None = None) -> Result:
    """Plan every shipment: the minimum-cost assignment to routes and departures (DESIGN.md §3).

    ``base``, a previous result on related inputs (a what-if edit of them), makes this a warm
    re-plan (:mod:`routing.warm`): its option table, candidates and plan are reused where the edit
    leaves them valid. ``settings`` and ``options`` default to the base's.
    """
    from .warm import LOCAL_MAX_SHARE, NEW_MAX_SHARE, carry_plan, improve_locally, local_focus, warm_candidates

    if base is not None and not isinstance(base, Result):
        raise InputError("solve", "base", f"must be a Result of solve(), got {type(base).__name__} (a sweep's "
                                          "PlanSummary keeps no options or model to re-plan from)")
    if base is not None:
        settings = settings or base.settings
        options = options or base.options
    settings = settings or PlanSettings()
    options = options or SolveOptions()
    progress = progress or Progress(quiet=True)
    t0 = time.perf_counter()
    with progress.phase("routes", f"{len(shipments):,} shipments") as info:
        if base is None:
            cand = build_candidates(network, shipments, inventory, settings)
        else:
            cand, reuse = warm_candidates(base, network, shipments, inventory, settings)
            base_of, warm_info = reuse.base_of, reuse.info
        info["done"] = (f"{cand.stats['routes']:,} routes, {cand.stats['schedules']:,} schedules, "
                        f"{cand.n_vars:,} options kept ({cand.stats['pruned_options']:,} dominated)")
        if base is not None:
            info["done"] += f"; warm: table {warm_info['table']}, {warm_info['repriced']:,} shipments re-priced"
    with progress.phase("build") as info:
        model = None
        if base is not None and cand is base.candidates and \
                settings.unassigned_penalty == base.model.unassigned_penalty:
            model = with_new_limits(base.model, network, shipments, inventory)  # same columns, new limits
        if model is None:
            model = build_model(network, shipments, inventory, cand, settings.unassigned_penalty)
        info["done"] = f"{model.n_cols:,} columns x {model.n_rows:,} rows, {model.A.nnz:,} nonzeros"
    strategy = options.strategy
    if strategy == "auto":
        strategy = "exact" if model.n_cols <= EXACT_MAX_COLUMNS else "aggregate"
    # the base plan carried over: the exact strategy's first incumbent, the local re-plan's start
    # (an edit adding more than NEW_MAX_SHARE new shipments is planned broadly, without it)
    carry = base is not None and (strategy == "exact" or (base_of < 0).sum() <= NEW_MAX_SHARE * len(shipments))
    start, moved = carry_plan(base, cand, model, reuse) if carry else (None, None)
    if strategy == "exact":
        solution = optimise(model, cand, options, progress, start=start)
    elif start is not None and \
            (local := local_focus(base, model, cand, start, base_of, moved))[0].sum() <= \
            LOCAL_MAX_SHARE * max(1, len(shipments)):
        strategy = "warm-local"
        solution = improve_locally(base, model, cand, start, local[0], local[1], options, progress)
        # a local answer far weaker than the base plan was (a target the neighbourhood could not meet,
        # an edit that reached further than it looked): plan the reused options from scratch as well
        local_gap = _gap(solution)
        if local_gap > max(2e-3, 2.0 * base.summary_data["gap"]):
            wide = optimise_aggregate(network, shipments, inventory, cand, model, settings, options, progress,
                                      start=base.solution.lp_basis)
            if wide.internal_objective < solution.internal_objective:
                solution, strategy = wide, "aggregate"
            warm_info = {**warm_info, "local_gap": local_gap, "fallback": "aggregate"}
    else:
        solution = optimise_aggregate(network, shipments, inventory, cand, model, settings, options, progress,
                                      start=base.solution.lp_basis if base is not None else None)
    solution.info["strategy"] = strategy
    if base is not None:
        solution.info["warm"] = warm_info
    seconds = {"load": load_seconds, **{k: progress.seconds.get(k, 0.0) for k in ("routes", "build", "solve")}}
    seconds["plan"] = time.perf_counter() - t0
    return assemble_result(network, shipments, inventory, settings, options, cand, model, solution, seconds)

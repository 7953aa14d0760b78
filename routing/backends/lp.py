"""The LP relaxation of a whole model, one backend class per solver: HiGHS dual simplex through
scipy's ``linprog`` (the default; OR-Tools' HiGHS wrapper returns no duals), GLOP or PDLP through
OR-Tools' model builder. Every backend returns duals and reduced costs.

``scipy.optimize`` is imported on first use: only the exact strategy's LP needs it, and importing it
costs 0.15-0.3 s of start-up that the aggregate strategy and the command line's other paths save."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh

from ..model import Model
from ..settings import LpSolver, Status
from .ortools import fill_model
from .status import NotSolved, linprog_status, ortools_status


@dataclass(frozen=True, eq=False)
class LPSolution:
    """An optimal LP solution: objective (currency), column values, row duals (d objective / d right-hand
    side: ≤ 0 on a binding capacity row, ≥ 0 on a binding target row), reduced costs per column."""

    objective: float
    values: np.ndarray
    duals: np.ndarray
    reduced_costs: np.ndarray


class LpBackend:
    """An LP solver for :func:`solve_lp`."""

    name: LpSolver

    def solve(self, model: Model, time_limit: float) -> LPSolution:
        raise NotImplementedError


class ScipyHighsLp(LpBackend):
    """HiGHS (presolve on) through scipy, on the model's rows laid out as [assignment equalities |
    capacity ≤ rows | target ≥ rows]."""

    name = LpSolver.HIGHS

    def solve(self, model: Model, time_limit: float) -> LPSolution:
        from scipy.optimize import linprog  # see the module's docstring

        cost, col_ub, row_lb, row_ub = model.cost, model.col_ub, model.row_lb, model.row_ub
        n_eq, ge_row0 = model.n_u, model.target_row0
        A = model.A.tocsr()
        t = A.shape[0]
        A_ub = sp.vstack([A[n_eq:ge_row0], -A[ge_row0:t]]).tocsr()
        b_ub = np.concatenate([row_ub[n_eq:ge_row0], -row_lb[ge_row0:t]])
        res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A[:n_eq], b_eq=row_lb[:n_eq],
                      bounds=np.column_stack([np.zeros(len(cost)), col_ub]), method="highs",
                      options={"time_limit": float(time_limit), "presolve": True})
        if linprog_status(res.status) != Status.OPTIMAL:
            raise NotSolved(linprog_status(res.status), f"LP relaxation not solved: {res.message.splitlines()[0]}")
        ineq = res.ineqlin.marginals
        duals = np.concatenate([res.eqlin.marginals, ineq[:ge_row0 - n_eq], -ineq[ge_row0 - n_eq:]])
        return LPSolution(objective=float(res.fun), values=np.asarray(res.x), duals=duals,
                          reduced_costs=np.asarray(res.lower.marginals) + np.asarray(res.upper.marginals))


class OrtoolsLp(LpBackend):
    """GLOP (simplex) or PDLP (first-order) through OR-Tools' model builder."""

    def __init__(self, name: LpSolver) -> None:
        self.name = name

    def solve(self, model: Model, time_limit: float) -> LPSolution:
        helper = fill_model(model.cost, model.col_ub, model.A, model.row_lb, model.row_ub, integral=False)
        solver = mbh.ModelSolverHelper(str(self.name))
        solver.set_time_limit_in_seconds(time_limit)
        solver.solve(helper)
        outcome = ortools_status(solver.status(), solver.has_solution(), timed_out=False)
        if outcome != Status.OPTIMAL:
            raise NotSolved(outcome, f"LP relaxation not solved: {solver.status().name} {solver.status_string()}")
        return LPSolution(objective=solver.objective_value(), values=np.asarray(solver.variable_values()),
                          duals=np.asarray(solver.dual_values()), reduced_costs=np.asarray(solver.reduced_costs()))


BACKENDS: dict[LpSolver, LpBackend] = {LpSolver.HIGHS: ScipyHighsLp(), LpSolver.GLOP: OrtoolsLp(LpSolver.GLOP),
                                       LpSolver.PDLP: OrtoolsLp(LpSolver.PDLP)}


def solve_lp(model: Model, lp_solver: LpSolver, time_limit: float) -> LPSolution:
    """The LP relaxation of ``model`` by ``lp_solver`` within ``time_limit`` seconds: objective, primal
    values, row duals and reduced costs."""
    return BACKENDS[LpSolver(lp_solver)].solve(model, time_limit)

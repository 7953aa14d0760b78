"""MIPs through OR-Tools' model builder: one backend class per solver (HiGHS, SCIP, CP-SAT), each
knowing its name there, whether it takes a solution hint, and how its parameters are written."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh

from ..errors import SolverError
from ..settings import MipSolver, SolveOptions, Status
from .ortools import fill_model
from .status import ortools_status


@dataclass(frozen=True, eq=False)
class MipResult:
    """One MIP run: column values (None without a solution), outcome, objective and best bound (currency),
    and the backend's own name for how it ended (``abnormal``, ``unbounded``, ...: for messages)."""

    values: np.ndarray | None
    status: Status
    objective: float
    bound: float
    solver_status: str = ""


class MipBackend:
    """A MIP solver of OR-Tools' model builder."""

    name: MipSolver
    ortools_name: str
    takes_hints = True

    def parameters(self, threads: int, seed: int, rel_gap: float, abs_gap: float, node_limit: int | None) -> str:
        """The solver-specific parameter text: optimal within ``rel_gap`` or ``abs_gap`` (currency), and
        with a ``node_limit`` at most that many branch-and-bound nodes."""
        raise NotImplementedError


class HighsMip(MipBackend):
    """HiGHS: slower without presolve, so a node limit keeps it; takes no hints (it crashes on them
    through OR-Tools)."""

    name, ortools_name, takes_hints = MipSolver.HIGHS, "highs", False

    def parameters(self, threads: int, seed: int, rel_gap: float, abs_gap: float, node_limit: int | None) -> str:
        nodes = f"\nmip_max_nodes={node_limit}" if node_limit else ""
        return (f"mip_rel_gap={rel_gap}\nmip_abs_gap={abs_gap}\nthreads={threads}\nrandom_seed={seed}\n"
                f"output_flag=false{nodes}")


class ScipMip(MipBackend):
    """SCIP: with a node limit (a small repair MIP) also without presolve, 2-3x faster there."""

    name, ortools_name = MipSolver.SCIP, "scip"

    def parameters(self, threads: int, seed: int, rel_gap: float, abs_gap: float, node_limit: int | None) -> str:
        nodes = f"\nlimits/nodes = {node_limit}\npresolving/maxrounds = 0" if node_limit else ""
        return f"limits/gap = {rel_gap}\nlimits/absgap = {abs_gap}\nrandomization/randomseedshift = {seed}{nodes}"


class CpSatMip(MipBackend):
    """CP-SAT: has no node limit and ignores it."""

    name, ortools_name = MipSolver.CP_SAT, "sat"

    def parameters(self, threads: int, seed: int, rel_gap: float, abs_gap: float, node_limit: int | None) -> str:
        return (f"relative_gap_limit:{rel_gap} absolute_gap_limit:{abs_gap} num_workers:{max(threads, 1)} "
                f"random_seed:{seed} interleave_search:true")


BACKENDS: dict[MipSolver, MipBackend] = {b.name: b() for b in (HighsMip, ScipMip, CpSatMip)}


def solve_mip(cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray, row_ub: np.ndarray,
              options: SolveOptions, time_limit: float, hint: np.ndarray | None = None, abs_gap: float | None = None,
              node_limit: int | None = None) -> MipResult:
    """min cost·x over integral 0 ≤ x ≤ col_ub, row_lb ≤ A x ≤ row_ub with ``options.solver``, optimal
    within ``options.mip`` (``abs_gap``, currency, if given) or the best found in ``node_limit`` nodes
    (a limit that, unlike time, gives the same answer on any machine); ``hint``: a solution to start
    from (backends that take one). A run that stops within 5% of ``time_limit`` reports ``time_limit``."""
    backend = BACKENDS[options.solver]
    helper = fill_model(cost, col_ub, A, row_lb, row_ub, integral=True)
    if hint is not None and backend.takes_hints:
        for j in np.flatnonzero(hint > 0.5).tolist():
            helper.add_hint(j, float(round(hint[j])))
    solver = mbh.ModelSolverHelper(backend.ortools_name)
    if not solver.solver_is_supported():
        raise SolverError(f"solver '{options.solver}' is not available in this OR-Tools build")
    solver.set_solver_specific_parameters(backend.parameters(
        options.threads, options.seed, options.mip.rel_gap, options.mip.abs_gap if abs_gap is None else abs_gap,
        node_limit))
    solver.set_time_limit_in_seconds(max(time_limit, 0.1))
    t = time.perf_counter()
    solver.solve(helper)
    took = time.perf_counter() - t
    status = solver.status()
    if status == mbh.SolveStatus.INVALID_SOLVER_PARAMETERS:
        raise SolverError(f"{options.solver}: {solver.status_string()}")
    outcome = ortools_status(status, solver.has_solution(), timed_out=took >= 0.95 * time_limit)
    if status in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE) and solver.has_solution():
        values = np.round(np.asarray(solver.variable_values()))
        return MipResult(values, outcome, solver.objective_value(), solver.best_objective_bound(), status.name.lower())
    return MipResult(None, outcome, float("nan"), solver.best_objective_bound() if solver.has_response() else -np.inf,
                     status.name.lower())

"""MIPs, one backend class per solver: HiGHS through highspy (presolve, a starting solution, a callback
that reports incumbent and bound while it runs), SCIP and CP-SAT through OR-Tools' model builder
(each knowing its name there and how its parameters are written)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder_helper as mbh

from ..errors import SolverError
from ..settings import MipSolver, SolveOptions, Status
from .highs import new_highs, pass_lp
from .ortools import fill_model
from .status import highs_status, ortools_status

ProgressReport = Callable[[float, float], None]  # (incumbent, bound), currency; called every few seconds
REPORT_SECONDS = 5.0  # how often a running MIP reports its incumbent and bound


@dataclass(frozen=True, eq=False)
class MipResult:
    """One MIP run: column values (None without a solution), outcome, objective and best bound (currency),
    and the backend's own name for how it ended (``abnormal``, ``unbounded``, ...: for messages)."""

    values: np.ndarray | None
    status: Status
    objective: float
    bound: float
    solver_status: str = ""


@dataclass(frozen=True)
class MipRun:
    """One MIP to solve: within ``rel_gap`` (relative) or ``abs_gap`` (currency) of optimal, or the best of
    ``node_limit`` nodes; ``time_limit`` seconds; ``hint`` a solution to start from; ``report`` called with
    (incumbent, bound) every few seconds while it runs (backends that can)."""

    threads: int
    seed: int
    rel_gap: float
    abs_gap: float
    time_limit: float
    node_limit: int | None = None
    hint: np.ndarray | None = None
    report: ProgressReport | None = None


class MipBackend:
    """A MIP solver: min cost·x over integral 0 ≤ x ≤ col_ub, row_lb ≤ A x ≤ row_ub."""

    name: MipSolver

    def solve(self, cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray, row_ub: np.ndarray,
              run: MipRun) -> MipResult:
        raise NotImplementedError


class HighsMip(MipBackend):
    """HiGHS through highspy, presolve on (a node-limited repair MIP goes without: small, and the same
    answer on any machine), started from the hint, reporting through its MIP callbacks. Its plan's cost
    is recomputed from the columns (not taken from HiGHS)."""

    name = MipSolver.HIGHS

    def solve(self, cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray, row_ub: np.ndarray,
              run: MipRun) -> MipResult:
        h = new_highs()
        n = len(cost)
        try:
            pass_lp(h, cost, col_ub, A, row_lb, row_ub)
        except SolverError:  # refused: no answer, the strategy keeps its plan so far
            return MipResult(None, Status.NOT_SOLVED, float("nan"), -np.inf, "refused")
        if n and h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                         np.ones(n, dtype=np.uint8)) != highspy.HighsStatus.kOk:
            return MipResult(None, Status.NOT_SOLVED, float("nan"), -np.inf, "refused")
        # HiGHS 1.16 measures its gap on the presolved image of a start, which can cost less than the start
        # it hands back: with a start, asking for half the gap keeps the plan returned within the whole one
        rel_gap = run.rel_gap / 2 if run.hint is not None else run.rel_gap
        # no "threads": HiGHS keeps one scheduler per process, sized by its first run (the LPs'), and
        # refuses to run under another count; its MIP search runs on one thread either way
        for name, value in (("mip_rel_gap", float(rel_gap)), ("mip_abs_gap", float(run.abs_gap)),
                            ("random_seed", int(run.seed)),
                            ("time_limit", float(max(run.time_limit, 0.01))),
                            ("presolve", "off" if run.node_limit else "on")):
            h.setOptionValue(name, value)
        if run.node_limit:
            h.setOptionValue("mip_max_nodes", int(run.node_limit))
        if run.hint is not None:
            start = highspy.HighsSolution()
            start.col_value = np.asarray(run.hint, dtype=np.float64).tolist()
            start.value_valid = True
            h.setSolution(start)
        if run.report is not None:
            _watch(h, run.report)
        t = time.perf_counter()
        if h.run() == highspy.HighsStatus.kError:  # no answer: the strategy keeps its plan so far
            return MipResult(None, Status.NOT_SOLVED, float("nan"), -np.inf, "error")
        took = time.perf_counter() - t
        status = h.getModelStatus()
        info = h.getInfo()
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else -np.inf
        has = info.primal_solution_status == 2  # kSolutionStatusFeasible
        outcome = highs_status(status)
        if outcome == Status.OPTIMAL and not has:
            outcome = Status.NOT_SOLVED
        if outcome not in (Status.OPTIMAL, Status.INFEASIBLE) and has:
            outcome = Status.TIME_LIMIT if took >= 0.95 * run.time_limit or outcome == Status.TIME_LIMIT \
                else Status.FEASIBLE
        name = h.modelStatusToString(status).lower()
        if not has:
            return MipResult(None, outcome, float("nan"), bound, name)
        values = np.round(np.asarray(h.getSolution().col_value))
        return MipResult(values, outcome, float(cost @ values), min(bound, float(cost @ values)), name)


def _watch(h: highspy.Highs, report: ProgressReport) -> None:
    """Call ``report(incumbent, bound)`` from HiGHS's MIP callbacks at most every ``REPORT_SECONDS``."""
    last = [time.perf_counter()]

    def callback(kind, message, out, data_in, user):  # noqa: ARG001 (HiGHS's signature)
        now = time.perf_counter()
        if now - last[0] >= REPORT_SECONDS and np.isfinite(out.mip_primal_bound):
            last[0] = now
            report(float(out.mip_primal_bound), float(out.mip_dual_bound))

    h.setCallback(callback, None)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)


class OrtoolsMip(MipBackend):
    """A MIP solver of OR-Tools' model builder: its name there and its parameter text."""

    ortools_name: str

    def parameters(self, run: MipRun) -> str:
        """The solver-specific parameter text for ``run`` (gaps, threads, seed, node limit)."""
        raise NotImplementedError

    def solve(self, cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray, row_ub: np.ndarray,
              run: MipRun) -> MipResult:
        helper = fill_model(cost, col_ub, A, row_lb, row_ub, integral=True)
        if run.hint is not None:
            for j in np.flatnonzero(run.hint > 0.5).tolist():
                helper.add_hint(j, float(round(run.hint[j])))
        solver = mbh.ModelSolverHelper(self.ortools_name)
        if not solver.solver_is_supported():
            raise SolverError(f"solver '{self.name}' is not available in this OR-Tools build")
        solver.set_solver_specific_parameters(self.parameters(run))
        solver.set_time_limit_in_seconds(max(run.time_limit, 0.1))
        t = time.perf_counter()
        solver.solve(helper)
        took = time.perf_counter() - t
        status = solver.status()
        if status == mbh.SolveStatus.INVALID_SOLVER_PARAMETERS:
            raise SolverError(f"{self.name}: {solver.status_string()}")
        outcome = ortools_status(status, solver.has_solution(), timed_out=took >= 0.95 * run.time_limit)
        if status in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE) and solver.has_solution():
            values = np.round(np.asarray(solver.variable_values()))
            return MipResult(values, outcome, solver.objective_value(), solver.best_objective_bound(),
                             status.name.lower())
        return MipResult(None, outcome, float("nan"),
                         solver.best_objective_bound() if solver.has_response() else -np.inf, status.name.lower())


class ScipMip(OrtoolsMip):
    """SCIP: with a node limit (a small repair MIP) also without presolve, 2-3x faster there."""

    name, ortools_name = MipSolver.SCIP, "scip"

    def parameters(self, run: MipRun) -> str:
        nodes = f"\nlimits/nodes = {run.node_limit}\npresolving/maxrounds = 0" if run.node_limit else ""
        return (f"limits/gap = {run.rel_gap}\nlimits/absgap = {run.abs_gap}\n"
                f"randomization/randomseedshift = {run.seed}{nodes}")


class CpSatMip(OrtoolsMip):
    """CP-SAT: has no node limit and ignores it."""

    name, ortools_name = MipSolver.CP_SAT, "sat"

    def parameters(self, run: MipRun) -> str:
        return (f"relative_gap_limit:{run.rel_gap} absolute_gap_limit:{run.abs_gap} num_workers:{max(run.threads, 1)} "
                f"random_seed:{run.seed} interleave_search:true")


BACKENDS: dict[MipSolver, MipBackend] = {b.name: b() for b in (HighsMip, ScipMip, CpSatMip)}


def solve_mip(cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray, row_ub: np.ndarray,
              options: SolveOptions, time_limit: float, hint: np.ndarray | None = None, abs_gap: float | None = None,
              node_limit: int | None = None, rel_gap: float | None = None,
              report: ProgressReport | None = None) -> MipResult:
    """min cost·x over integral 0 ≤ x ≤ col_ub, row_lb ≤ A x ≤ row_ub with ``options.solver``, optimal
    within ``rel_gap`` (default ``options.mip.rel_gap``) or ``abs_gap`` (currency; default
    ``options.mip.abs_gap``), or the best found in ``node_limit`` nodes (a limit that, unlike time, gives
    the same answer on any machine); ``hint``: a solution to start from (backends that take one);
    ``report(incumbent, bound)`` every few seconds while it runs (HiGHS). A run that stops within 5% of
    ``time_limit`` reports ``time_limit``."""
    run = MipRun(threads=options.threads, seed=options.seed,
                 rel_gap=options.mip.rel_gap if rel_gap is None else rel_gap,
                 abs_gap=options.mip.abs_gap if abs_gap is None else abs_gap,
                 time_limit=time_limit, node_limit=node_limit, hint=hint, report=report)
    return BACKENDS[options.solver].solve(cost, col_ub, A, row_lb, row_ub, run)

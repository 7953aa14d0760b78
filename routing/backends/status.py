"""Every solver library's outcome codes mapped to the package's :class:`~routing.settings.Status`, in one
place, and the error an LP raises when it ends without an optimum (its status says why)."""

from __future__ import annotations

import highspy
from ortools.linear_solver.python import model_builder_helper as mbh

from ..errors import SolverError
from ..settings import Status


class NotSolved(SolverError):
    """An LP ended without an optimum: ``status`` is why (``time_limit`` when time ran out)."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status


_HIGHS = {
    highspy.HighsModelStatus.kOptimal: Status.OPTIMAL,
    highspy.HighsModelStatus.kTimeLimit: Status.TIME_LIMIT,
    highspy.HighsModelStatus.kIterationLimit: Status.TIME_LIMIT,
    highspy.HighsModelStatus.kInfeasible: Status.INFEASIBLE,
}


def highs_status(model_status: highspy.HighsModelStatus) -> Status:
    """A HiGHS model status (anything but optimal, limits and infeasible: not solved)."""
    return _HIGHS.get(model_status, Status.NOT_SOLVED)


def linprog_status(code: int) -> Status:
    """scipy ``linprog``'s status code: 0 optimal, 1 iteration or time limit, 2 infeasible, else not solved."""
    return {0: Status.OPTIMAL, 1: Status.TIME_LIMIT, 2: Status.INFEASIBLE}.get(code, Status.NOT_SOLVED)


def ortools_status(status: mbh.SolveStatus, has_solution: bool, timed_out: bool) -> Status:
    """An OR-Tools model-builder status; ``timed_out``: the run took (nearly) all its time."""
    if status in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE) and has_solution:
        if status == mbh.SolveStatus.OPTIMAL:
            return Status.OPTIMAL
        return Status.TIME_LIMIT if timed_out else Status.FEASIBLE
    if timed_out:
        return Status.TIME_LIMIT
    return Status.INFEASIBLE if status == mbh.SolveStatus.INFEASIBLE else Status.NOT_SOLVED

"""A restricted LP in HiGHS (highspy): some columns of a model re-optimised around a plan, started from
that plan's basis (the repairs of every strategy, and the warm re-plan's pricing rounds).

The LP holds the model's free columns; every other column stays at its value in the plan
(``start``), so each row's bounds are shifted by that held activity. The first solve starts from
the basis the plan defines: each free shipment's chosen column (or its unassigned column)
basic, assignment rows at their bound, capacity rows' slacks basic. Pricing rounds free more
shipments: their columns (and any rows new to the LP) are added to the same HiGHS model with the
previous basis extended the same way, so each round continues from where the last one stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Model
from ..settings import Status
from .highs import basis_codes, new_highs, set_basis
from .status import NotSolved, highs_status


@dataclass(frozen=True, eq=False)
class RestrictedSolution:
    """A restricted LP's optimum on the whole model: every column's value (the held ones at the plan's),
    row duals (NaN on rows the LP does not hold) and the LP's objective (currency)."""

    values: np.ndarray
    duals: np.ndarray
    objective: float


class RestrictedLP:
    """min cost·v over the free columns of ``model``, the others held at ``start`` (a feasible plan)."""

    def __init__(self, model: Model, start: np.ndarray, time_limit: float) -> None:
        self.model, self.start = model, start
        self.A = model.A_csc
        self.held_activity = model.A @ start
        self.row_pos = np.full(model.n_rows, -1, dtype=np.int64)
        self.rows = np.zeros(0, dtype=np.int64)  # model row of each LP row
        self.cols = np.zeros(0, dtype=np.int64)  # model column of each LP column
        self.free = np.zeros(model.n_cols, dtype=bool)
        self.h = new_highs()
        self.h.setOptionValue("time_limit", float(max(time_limit, 0.1)))
        # the basis the next solve starts from, per LP column / row (codes: 0 lower, 1 basic, 2 upper)
        self.col_code = np.zeros(0, dtype=np.int8)
        self.row_code = np.zeros(0, dtype=np.int8)
        self.ended: tuple[np.ndarray, np.ndarray] | None = None  # the last solve's column and row values,
        # while its basis is still HiGHS's and not yet read into the codes (read only if another round follows)

    def _read_basis(self) -> None:
        """Take the basis the last solve ended on into the codes (before the model changes)."""
        if self.ended is not None:
            col_value, row_value = self.ended
            lo, hi = self._bounds(self.rows)
            self.col_code, self.row_code = basis_codes(self.h, col_value, row_value, self.model.col_ub[self.cols],
                                                       lo, hi)
            self.ended = None

    def _bounds(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        act = self.held_activity[rows]
        return self.model.row_lb[rows] - act, self.model.row_ub[rows] - act

    def add(self, cols: np.ndarray) -> int:
        """Free the columns where ``cols`` is True (those already free are skipped); returns how many."""
        new = np.flatnonzero(cols & ~self.free)
        if not len(new):
            return 0
        self._read_basis()  # adding columns or rows changes HiGHS's basis
        m = self.model
        sub = self.A[:, new]
        self.held_activity -= sub @ self.start[new]
        touched = np.flatnonzero(np.bincount(sub.indices, minlength=m.n_rows))  # sorted, unique
        fresh = touched[self.row_pos[touched] < 0]
        known = touched[self.row_pos[touched] >= 0]
        if len(known):
            lo, hi = self._bounds(known)
            self.h.changeRowsBounds(len(known), self.row_pos[known].astype(np.int32), lo, hi)
        if len(fresh):
            lo, hi = self._bounds(fresh)
            self.h.addRows(len(fresh), lo, hi, 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32),
                           np.zeros(0))
            self.row_pos[fresh] = len(self.rows) + np.arange(len(fresh))
            self.rows = np.concatenate([self.rows, fresh])
            # an assignment row sits at its bound (the shipment's chosen column is basic); a target
            # row whose shortfall column is basic likewise; every other new row keeps its slack basic
            at_bound = fresh < m.n_u
            target = fresh >= m.target_row0
            at_bound[target] = self.start[m.n_x + m.n_u + (fresh[target] - m.target_row0)] > 0.5
            self.row_code = np.concatenate([self.row_code, (~at_bound).astype(np.int8)])
        self.h.addCols(len(new), m.cost[new], np.zeros(len(new)), m.col_ub[new], sub.nnz,
                       sub.indptr[:-1].astype(np.int32), self.row_pos[sub.indices].astype(np.int32), sub.data)
        self.cols = np.concatenate([self.cols, new])
        self.free[new] = True
        # the carried choice basic, the rest at 0
        self.col_code = np.concatenate([self.col_code, (self.start[new] > 0.5).astype(np.int8)])
        return len(new)

    def solve(self) -> RestrictedSolution:
        """The optimum over the free columns, started from the basis the last run ended on."""
        if not len(self.cols):  # nothing free: the held plan is the answer
            return RestrictedSolution(self.start.copy(), np.full(self.model.n_rows, np.nan),
                                      float(self.model.cost @ self.start))
        self._read_basis()  # solved again without changes: continue from where it stopped
        set_basis(self.h, self.col_code, self.row_code)
        self.h.run()
        status = self.h.getModelStatus()
        if highs_status(status) != Status.OPTIMAL:
            raise NotSolved(highs_status(status), f"restricted LP not solved: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        col_value, row_value = np.asarray(sol.col_value), np.asarray(sol.row_value)
        self.ended = (col_value, row_value)
        values = np.where(self.free, 0.0, self.start)
        values[self.cols] = col_value
        duals = np.full(self.model.n_rows, np.nan)
        duals[self.rows] = np.asarray(sol.row_dual)
        return RestrictedSolution(values, duals, float(self.h.getInfo().objective_function_value))

"""The warm re-plan's restricted LP in HiGHS (highspy), started from the carried plan's basis.

The LP holds the model's free columns; every other column stays at its value in the carried plan
(``start``), so each row's bounds are shifted by that held activity. The first solve starts from
the basis the carried plan defines: each free shipment's chosen column (or its unassigned column)
basic, assignment rows at their bound, capacity rows' slacks basic. Pricing rounds free more
shipments: their columns (and any rows new to the LP) are added to the same HiGHS model with the
previous basis extended the same way, so each round continues from where the last one stopped.
"""

from __future__ import annotations

import highspy
import numpy as np

from .errors import SolverError
from .highs import basis_codes, new_highs, statuses_of
from .model import Model


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
        self.col_status: list = []  # the carried plan's basis statuses, per LP column / row
        self.row_status: list = []
        self.solved: tuple[int, int] | None = None  # LP size at the last solve
        self.values: tuple = ()  # the last solve's column and row values
        self.ended: tuple[list, list] | None = None  # the basis it ended on (read before the LP changes)

    def _bounds(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        act = self.held_activity[rows]
        return self.model.row_lb[rows] - act, self.model.row_ub[rows] - act

    def add(self, cols: np.ndarray) -> int:
        """Free the columns where ``cols`` is True (those already free are skipped); returns how many."""
        new = np.flatnonzero(cols & ~self.free)
        if not len(new):
            return 0
        if self.solved is not None and self.ended is None:
            self.ended = self._statuses(*self.values)  # adding columns or rows changes HiGHS's basis
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
            self.row_status += statuses_of(~at_bound)
        self.h.addCols(len(new), m.cost[new], np.zeros(len(new)), m.col_ub[new], sub.nnz,
                       sub.indptr[:-1].astype(np.int32), self.row_pos[sub.indices].astype(np.int32), sub.data)
        self.cols = np.concatenate([self.cols, new])
        self.free[new] = True
        self.col_status += statuses_of(self.start[new] > 0.5)  # the carried choice basic, the rest at 0
        return len(new)

    def solve(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(all column values, row duals of the model — NaN off the LP's rows —, LP objective)."""
        basis = highspy.HighsBasis()
        if self.solved is None:
            basis.col_status, basis.row_status = self.col_status, self.row_status
        else:
            # keep what the last solve reached; what was added since gets the carried plan's statuses
            n_col, n_row = self.solved
            col_last, row_last = self.ended or self._statuses(*self.values)
            basis.col_status = col_last + self.col_status[n_col:]
            basis.row_status = row_last + self.row_status[n_row:]
        basis.valid = True
        self.h.setBasis(basis)
        self.h.run()
        self.solved = (len(self.cols), len(self.rows))
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"warm LP not solved: {self.h.modelStatusToString(status)}")
        sol = self.h.getSolution()
        col_value, row_value = np.asarray(sol.col_value), np.asarray(sol.row_value)
        self.values, self.ended = (col_value, row_value), None
        values = np.where(self.free, 0.0, self.start)
        values[self.cols] = col_value
        duals = np.full(self.model.n_rows, np.nan)
        duals[self.rows] = np.asarray(sol.row_dual)
        return values, duals, float(self.h.getInfo().objective_function_value)

    def _statuses(self, col_value: np.ndarray, row_value: np.ndarray) -> tuple[list, list]:
        """The basis the last solve ended on (HiGHS's model unchanged since), as status lists over its
        columns and rows. Read only when another round follows."""
        lo, hi = self._bounds(self.rows[:len(row_value)])
        col, row = basis_codes(self.h, col_value, row_value, self.model.col_ub[self.cols[:len(col_value)]], lo, hi)
        return statuses_of(col), statuses_of(row)

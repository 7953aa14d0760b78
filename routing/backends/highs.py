"""HiGHS through highspy: silent instances, models passed from sparse arrays, bases as code arrays.

A basis is kept as one code per column and per row: 0 nonbasic at the lower bound, 1 basic,
2 nonbasic at the upper bound (numpy int8; HiGHS takes them as lists of its status enum).
"""

from __future__ import annotations

import os
import sys

import highspy
import numpy as np
import scipy.sparse as sp

from ..errors import SolverError

_STATUS = np.array([highspy.HighsBasisStatus.kLower, highspy.HighsBasisStatus.kBasic,
                    highspy.HighsBasisStatus.kUpper], dtype=object)

_banner_shown = False


def statuses_of(codes: np.ndarray) -> list:
    """HiGHS basis statuses for an array of codes (0 lower, 1 basic, 2 upper), as the list HiGHS takes."""
    return _STATUS[codes.astype(np.int64)].tolist()


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance, presolve off (the first one per process prints a banner on stdout:
    swallowed; create instances on the main thread)."""
    global _banner_shown
    if _banner_shown:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    return h


def pass_lp(h: highspy.Highs, cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray,
            row_ub: np.ndarray) -> None:
    """Load min cost·x, 0 ≤ x ≤ col_ub, row_lb ≤ A x ≤ row_ub into ``h`` (one call from the arrays,
    column-wise; ~15x faster than filling a ``HighsLp``)."""
    A = sp.csc_matrix(A)
    n_row, n_col = A.shape
    status = h.passModel(
        n_col, n_row, A.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
        np.asarray(cost, dtype=np.float64), np.zeros(n_col), np.asarray(col_ub, dtype=np.float64),
        np.asarray(row_lb, dtype=np.float64), np.asarray(row_ub, dtype=np.float64),
        A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(np.float64),
        np.zeros(n_col, dtype=np.int32))  # every column continuous: an LP
    if status != highspy.HighsStatus.kOk:
        raise SolverError(f"HiGHS refused the LP ({n_row:,} rows x {n_col:,} columns)")


def set_basis(h: highspy.Highs, col_codes: np.ndarray, row_codes: np.ndarray, alien: bool = True) -> bool:
    """Start ``h``'s next run from this basis; False if HiGHS refuses it.

    ``alien`` (a basis put together outside HiGHS): HiGHS factorizes it here, on the calling thread,
    and repairs it. ``alien=False`` (one a HiGHS run ended on, kept for an LP of the same pattern): HiGHS
    only checks it has one basic variable per row and factorizes it when the run starts — on the run's
    thread, so the factorizations of pieces run side by side (a basis the new coefficients make
    singular is repaired there too)."""
    basis = highspy.HighsBasis()
    basis.col_status, basis.row_status = statuses_of(col_codes), statuses_of(row_codes)
    basis.valid = True
    basis.alien = alien
    return h.setBasis(basis) == highspy.HighsStatus.kOk


def basis_codes(h: highspy.Highs, col_value: np.ndarray, row_value: np.ndarray, col_ub: np.ndarray,
                row_lb: np.ndarray, row_ub: np.ndarray, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """The basis ``h`` ended on (its model unchanged since the run), as codes per column and row: basic
    from HiGHS's basic-variable list (reading ``getBasis()`` statuses is ~50x slower), nonbasic at the
    bound the value sits on."""
    _, basic = h.getBasicVariables()
    basic_vars = np.asarray(basic, dtype=np.int64)
    col_basic = np.zeros(len(col_value), dtype=bool)
    row_basic = np.zeros(len(row_value), dtype=bool)
    col_basic[basic_vars[basic_vars >= 0]] = True
    row_basic[-1 - basic_vars[basic_vars < 0]] = True
    col_up = ~col_basic & np.isfinite(col_ub) & (col_ub > 0) & (col_value >= col_ub - tol)
    row_up = ~row_basic & np.isfinite(row_ub) & ((row_value >= row_ub - tol) | ~np.isfinite(row_lb))
    return (col_basic + 2 * col_up).astype(np.int8), (row_basic + 2 * row_up).astype(np.int8)

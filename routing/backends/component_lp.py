"""An LP solved per connected component of its matrix in HiGHS (dual simplex), keeping the basis.

Rows linked by shared columns form a component; the pieces are independent, so their merged
values, duals and objective are those of the whole LP. The largest pieces go first, on a few
threads (HiGHS releases the GIL). The basis every piece ended on is kept (:class:`LPBasis`): an LP
with the same matrix pattern — the class LP of a what-if edit that only changed bounds, such as
more shipments in existing classes — starts from it and needs a fraction of the simplex iterations.
"""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..settings import Status
from .highs import basis_codes, new_highs, pass_lp, set_basis
from .status import NotSolved, highs_status


@dataclass(frozen=True, eq=False)
class LPBasis:
    """Where a solve ended: a code per column and row (0 at the lower bound, 1 basic, 2 at the upper
    bound), for an LP whose matrix pattern has the digest ``structure`` (and so these components)."""

    structure: str
    col: np.ndarray  # int8 per column
    row: np.ndarray  # int8 per row
    parts: tuple[tuple[np.ndarray, np.ndarray], ...]  # (rows, columns) of each component, largest first


@dataclass(frozen=True, eq=False)
class ComponentLP:
    """An optimal solution: objective (currency), column values, row duals (HiGHS signs: ≤ rows at
    their bound ≤ 0, ≥ rows ≥ 0), the basis it ended on, and whether it started from a given one."""

    objective: float
    values: np.ndarray
    duals: np.ndarray
    basis: LPBasis
    warm: bool
    iterations: int


def pattern_digest(A: sp.csr_matrix) -> str:
    """A digest of the shape and nonzero pattern of ``A`` (CSR, canonical)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(np.asarray(A.shape, dtype=np.int64).tobytes())
    h.update(A.indptr.astype(np.int64).tobytes())
    h.update(A.indices.astype(np.int64).tobytes())
    return h.hexdigest()


def _components(A: sp.csr_matrix) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Rows and columns (ascending) of each connected component with at least one column, largest first."""
    m, n = A.shape
    pattern = sp.csr_matrix((np.ones(A.nnz), A.indices, A.indptr), shape=(m, n))
    graph = sp.bmat([[None, pattern], [pattern.T, None]], format="csr")
    _, label = connected_components(graph, directed=False)
    row_label, col_label = label[:m], label[m:]
    groups = np.unique(col_label)

    def members(lab: np.ndarray) -> list[np.ndarray]:
        order = np.argsort(lab, kind="stable")  # ascending indices within each component
        lo, hi = np.searchsorted(lab[order], groups), np.searchsorted(lab[order], groups, side="right")
        return [order[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]

    rows, cols = members(row_label), members(col_label)
    order = np.argsort([-len(c) for c in cols], kind="stable")
    return [rows[i] for i in order], [cols[i] for i in order]


def solve_components(cost: np.ndarray, col_ub: np.ndarray, A: sp.spmatrix, row_lb: np.ndarray, row_ub: np.ndarray,
                     time_limit: float, workers: int = 2, start: LPBasis | None = None) -> ComponentLP:
    """min cost·x, 0 ≤ x ≤ col_ub, row_lb ≤ A x ≤ row_ub, per component; ``start`` is used when its
    structure matches ``A``'s pattern. Raises :class:`~routing.backends.status.NotSolved` unless every piece
    is optimal."""
    A = sp.csr_matrix(A)
    if not A.has_canonical_format:  # on a copy: the caller's matrix stays as it was
        A = A.copy()
        A.sum_duplicates()
    m, n = A.shape
    structure = pattern_digest(A)
    warm = start is not None and start.structure == structure
    rows_of, cols_of = ([p[0] for p in start.parts], [p[1] for p in start.parts]) if warm else _components(A)
    deadline = time.perf_counter() + time_limit
    # a column in no row sits at its cheaper bound; a row with no column keeps its slack basic
    values = np.where(cost < 0, col_ub, 0.0)
    duals = np.zeros(m)
    col_code = np.where(cost < 0, 2, 0).astype(np.int8)
    row_code = np.ones(m, dtype=np.int8)
    pieces, taken = [], []
    for rows, cols in zip(rows_of, cols_of, strict=True):
        h = new_highs()  # on this thread: the first instance's banner is swallowed through stdout
        pass_lp(h, cost[cols], col_ub[cols], A[rows][:, cols], row_lb[rows], row_ub[rows])
        if warm:
            # a basis HiGHS ended on: factorized when the piece's run starts, on its thread
            taken.append(set_basis(h, start.col[cols], start.row[rows], alien=False))  # refused: runs cold
        pieces.append(h)
    warm = warm and all(taken)  # reported warm only if HiGHS took every piece's basis

    def run(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        h, rows, cols = pieces[i], rows_of[i], cols_of[i]
        left = deadline - time.perf_counter()
        if left <= 0:
            raise NotSolved(Status.TIME_LIMIT, "class LP not solved: Time limit reached")
        h.setOptionValue("time_limit", float(left))
        h.run()
        status = h.getModelStatus()
        if highs_status(status) != Status.OPTIMAL:
            raise NotSolved(highs_status(status), f"class LP not solved: {h.modelStatusToString(status)}")
        sol = h.getSolution()
        x, act = np.asarray(sol.col_value), np.asarray(sol.row_value)
        codes = basis_codes(h, x, act, col_ub[cols], row_lb[rows], row_ub[rows])
        return x, np.asarray(sol.row_dual), *codes, int(h.getInfo().simplex_iteration_count)

    iterations = 0
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        for i, (x, y, c_code, r_code, iters) in enumerate(pool.map(run, range(len(pieces)))):
            values[cols_of[i]], duals[rows_of[i]] = x, y
            col_code[cols_of[i]], row_code[rows_of[i]] = c_code, r_code
            iterations += iters
    finally:  # on a failed piece the others not started are dropped (those running stop by the deadline)
        pool.shutdown(wait=True, cancel_futures=True)
    return ComponentLP(objective=float(cost @ values), values=values, duals=duals,
                       basis=LPBasis(structure=structure, col=col_code, row=row_code,
                                     parts=tuple(zip(rows_of, cols_of, strict=True))), warm=warm,
                       iterations=iterations)

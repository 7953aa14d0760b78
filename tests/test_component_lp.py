"""The LP solved per component (HiGHS) against one scipy ``linprog`` of the whole LP, and its warm start:
same pattern, new bounds → the same optimum from the kept basis in fewer simplex iterations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

import routing
from routing import SolveOptions
from routing import scenario as sc
from routing.backends.component_lp import pattern_digest, solve_components
from routing.data.generate import write_generated
from routing.errors import SolverError


def _blocks(seed: int, blocks: int = 4, classes: int = 120, options: int = 4, res: int = 30):
    """Independent transportation-like blocks: per class an equality row (its size) over its option
    columns, ≤ capacity rows shared inside the block, and an unassigned column per class (cost 50)."""
    rng = np.random.default_rng(seed)
    mats, costs, ubs, lbs, uprs = [], [], [], [], []
    for _ in range(blocks):
        size = rng.integers(1, 6, classes).astype(float)
        n_x = classes * options
        cls = np.repeat(np.arange(classes), options)
        rows = rng.integers(0, res, n_x)
        assign = sp.csr_matrix((np.ones(n_x), (cls, np.arange(n_x))), shape=(classes, n_x))
        capac = sp.csr_matrix((rng.uniform(0.5, 3.0, n_x), (rows, np.arange(n_x))), shape=(res, n_x))
        A = sp.bmat([[assign, sp.identity(classes)], [capac, None]], format="csr")
        mats.append(A)
        costs.append(np.r_[rng.uniform(1.0, 10.0, n_x), np.full(classes, 50.0)])
        ubs.append(np.r_[np.repeat(size, options), size])
        lbs.append(np.r_[size, np.full(res, -np.inf)])
        uprs.append(np.r_[size, rng.uniform(5.0, 25.0, res)])
    return (np.concatenate(costs), np.concatenate(ubs), sp.block_diag(mats, format="csr"),
            np.concatenate(lbs), np.concatenate(uprs))


def _linprog(cost, col_ub, A, row_lb, row_ub) -> float:
    eq = row_lb == row_ub
    res = linprog(cost, A_ub=A[~eq], b_ub=row_ub[~eq], A_eq=A[eq], b_eq=row_lb[eq],
                  bounds=np.column_stack([np.zeros(len(cost)), col_ub]), method="highs")
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_components_give_the_whole_lps_optimum(seed):
    cost, col_ub, A, row_lb, row_ub = _blocks(seed)
    lp = solve_components(cost, col_ub, A, row_lb, row_ub, time_limit=60)
    assert lp.objective == pytest.approx(_linprog(cost, col_ub, A, row_lb, row_ub), rel=1e-9)
    x = lp.values
    assert (x >= -1e-9).all() and (x <= col_ub + 1e-9).all()
    act = A @ x
    assert (act >= row_lb - 1e-7).all() and (act <= row_ub + 1e-7).all()
    # duals price the rows: capacity duals ≤ 0 (HiGHS signs), zero where the row has slack
    cap = row_lb == -np.inf
    assert (lp.duals[cap] <= 1e-9).all()
    assert np.allclose(lp.duals[cap & (act < row_ub - 1e-6)], 0.0)
    assert not lp.warm and lp.basis.structure == pattern_digest(A)
    assert (lp.basis.row == 1).sum() + (lp.basis.col == 1).sum() == A.shape[0]  # a full basis


def test_a_kept_basis_restarts_an_lp_with_new_bounds():
    cost, col_ub, A, row_lb, row_ub = _blocks(7)
    first = solve_components(cost, col_ub, A, row_lb, row_ub, time_limit=60)
    # every class grows by one parcel (more demand in the same classes): only bounds change
    n_cls, options = 120, 4
    grown_ub, grown_lb, grown_row_ub = col_ub.copy(), row_lb.copy(), row_ub.copy()
    off_row = off_col = 0
    for _ in range(4):
        grown_lb[off_row:off_row + n_cls] += 1
        grown_row_ub[off_row:off_row + n_cls] += 1
        grown_ub[off_col:off_col + n_cls * (options + 1)] += 1
        off_row += n_cls + 30
        off_col += n_cls * (options + 1)
    cold = solve_components(cost, grown_ub, A, grown_lb, grown_row_ub, time_limit=60)
    warm = solve_components(cost, grown_ub, A, grown_lb, grown_row_ub, time_limit=60, start=first.basis)
    assert warm.warm and not cold.warm
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.objective == pytest.approx(_linprog(cost, grown_ub, A, grown_lb, grown_row_ub), rel=1e-9)
    assert warm.iterations < cold.iterations / 2
    # a basis of another pattern is not used
    other = solve_components(cost[:-1], col_ub[:-1], A[:, :-1], row_lb, row_ub, time_limit=60, start=first.basis)
    assert not other.warm


def test_a_kept_basis_the_new_coefficients_make_singular_still_gives_the_optimum():
    """min −x0 − 1.5·x1 − x2 over x ≤ 5 with x0 + x1 ≤ 3, x0 + 2·x1 ≤ 4, x2 ≤ 10 ends at (2, 1, 5), x0
    and x1 basic; the same pattern with 2·x0 + 2·x1 ≤ 4 makes that basis singular: the restart is still
    optimal (−8 at (0, 2, 5))."""
    cost, col_ub = np.array([-1.0, -1.5, -1.0]), np.full(3, 5.0)
    row_lb, row_ub = np.full(3, -np.inf), np.array([3.0, 4.0, 10.0])
    first = solve_components(cost, col_ub, sp.csr_matrix(np.array([[1.0, 1, 0], [1, 2, 0], [0, 0, 1]])), row_lb,
                             row_ub, time_limit=10)
    assert first.objective == pytest.approx(-8.5) and list(first.basis.col[:2]) == [1, 1]
    singular = sp.csr_matrix(np.array([[1.0, 1, 0], [2, 2, 0], [0, 0, 1]]))
    again = solve_components(cost, col_ub, singular, row_lb, row_ub, time_limit=10, start=first.basis)
    assert again.warm and again.objective == pytest.approx(-8.0)
    assert again.objective == pytest.approx(_linprog(cost, col_ub, singular, row_lb, row_ub))


def test_an_infeasible_lp_raises():
    A = sp.csr_matrix(np.array([[1.0, 1.0]]))
    with pytest.raises(SolverError, match="not solved"):
        solve_components(np.ones(2), np.ones(2), A, np.array([3.0]), np.array([3.0]), time_limit=10)


def test_more_demand_in_existing_classes_restarts_the_class_lp(tmp_path):
    """Demand ×2 to one market duplicates its shipments: the classes and the class LP's pattern stay,
    only the class sizes grow. The warm re-plan starts the class LP from the base's basis and reaches
    the same class-LP optimum as a cold solve of the edited inputs."""
    net = routing.load_network("fixtures/network.yaml")
    paths = write_generated(net, 1_500, 11, tmp_path, days=7)
    ships = routing.load_shipments(paths["shipments"], net)
    options = SolveOptions(strategy="aggregate", time_limit=60)
    base = routing.solve(net, ships, options=options)
    more = sc.scale_demand(ships, net, 2.0, market="US", seed=1)
    warm = routing.solve(net, more, base=base)
    cold = routing.solve(net, more, options=options)
    assert warm.summary_data["strategy"] == "aggregate"  # a third more shipments: a broad edit
    warm_lp, cold_lp = warm.warm_start.solution.class_lp, cold.warm_start.solution.class_lp
    assert warm_lp.warm and not cold_lp.warm
    assert warm_lp.objective == pytest.approx(cold_lp.objective,
                                                                     rel=1e-9)
    assert warm.summary_data["lower_bound"] <= warm.objective + 1e-6

"""The MIP backends against scipy's ``milp`` on small generated MIPs: the same optimum from each, the
gap target honoured, HiGHS started from a plan and reporting while it runs, and HiGHS still running
after threaded LPs in the same process (its one scheduler per process once refused every MIP there,
and the aggregate strategy's repairs silently fell back to unassigned parcels)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

import routing.backends.mip as mip
from routing import SolveOptions
from routing.backends.component_lp import solve_components
from routing.backends.mip import solve_mip
from routing.settings import Status


def _assignment_mip(seed: int, items: int = 30, options: int = 4, rows: int = 6):
    """Items each take one option (or stay out at cost 40); options load capacity rows (kg-like)."""
    rng = np.random.default_rng(seed)
    n_x = items * options
    item = np.repeat(np.arange(items), options)
    assign = sp.csr_matrix((np.ones(n_x), (item, np.arange(n_x))), shape=(items, n_x))
    load = sp.csr_matrix((rng.uniform(1.0, 6.0, n_x), (rng.integers(0, rows, n_x), np.arange(n_x))),
                         shape=(rows, n_x))
    A = sp.bmat([[assign, sp.identity(items)], [load, None]], format="csr")
    cost = np.r_[rng.uniform(1.0, 20.0, n_x), np.full(items, 40.0)]
    lo = np.r_[np.ones(items), np.full(rows, -np.inf)]
    hi = np.r_[np.ones(items), rng.uniform(8.0, 25.0, rows)]
    return cost, np.ones(len(cost)), A, lo, hi


def _reference(cost, col_ub, A, lo, hi) -> float:
    res = milp(cost, constraints=LinearConstraint(A, lo, hi), bounds=Bounds(0, col_ub),
               integrality=np.ones(len(cost)))
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("solver", ["highs", "scip", "cp-sat"])
@pytest.mark.parametrize("seed", range(3))
def test_every_backend_finds_the_optimum(solver, seed):
    cost, col_ub, A, lo, hi = _assignment_mip(seed)
    got = solve_mip(cost, col_ub, A, lo, hi, SolveOptions(solver=solver), time_limit=30)
    assert got.status == Status.OPTIMAL
    assert got.objective == pytest.approx(_reference(cost, col_ub, A, lo, hi), abs=1e-6)
    assert np.all(A @ got.values <= hi + 1e-9) and np.all(A @ got.values >= lo - 1e-9)
    assert got.bound <= got.objective + 1e-9


@pytest.mark.parametrize("seed", range(3))
def test_highs_honours_the_gap_and_never_returns_worse_than_its_start(seed):
    cost, col_ub, A, lo, hi = _assignment_mip(seed, items=60)
    best = _reference(cost, col_ub, A, lo, hi)
    start = np.r_[np.zeros(A.shape[1] - 60), np.ones(60)]  # everything out: feasible, dear
    got = solve_mip(cost, col_ub, A, lo, hi, SolveOptions(), time_limit=30, hint=start, rel_gap=0.05)
    assert got.status == Status.OPTIMAL
    assert got.objective == pytest.approx(float(cost @ got.values))  # the plan's own cost, not HiGHS's image
    assert got.objective <= float(cost @ start)
    assert got.objective - best <= 0.05 * got.objective + 1e-6
    assert got.bound <= best + 1e-6


def test_highs_runs_after_other_highs_runs_in_the_same_process():
    cost, col_ub, A, lo, hi = _assignment_mip(7)
    best = _reference(cost, col_ub, A, lo, hi)
    solve_components(cost, col_ub, A, lo, hi, time_limit=30, workers=3)  # HiGHS LPs on worker threads
    for threads in (1, 3, 2):  # HiGHS sizes one scheduler per process at its first run and refused others
        got = solve_mip(cost, col_ub, A, lo, hi, SolveOptions(threads=threads), time_limit=30)
        assert got.status == Status.OPTIMAL and got.values is not None
        assert got.objective == pytest.approx(best, abs=1e-6)


def test_highs_reports_incumbent_and_bound_while_it_runs(monkeypatch):
    monkeypatch.setattr(mip, "REPORT_SECONDS", 0.0)  # every callback reports
    cost, col_ub, A, lo, hi = _assignment_mip(3, items=80, rows=10)
    seen: list[tuple[float, float]] = []
    got = solve_mip(cost, col_ub, A, lo, hi, SolveOptions(), time_limit=30, rel_gap=0.0,
                    report=lambda inc, bound: seen.append((inc, bound)))
    assert seen, "no report while the MIP ran"
    assert all(bound <= inc + 1e-6 for inc, bound in seen)
    assert min(inc for inc, _ in seen) >= got.objective - 1e-6  # incumbents never beat the final plan

"""The straightforward model beside ours on the same instance: one binary per (shipment, path
option) — every route and departure schedule, no dominance pruning — handed to CP-SAT, SCIP or HiGHS
with the same time limit. Records cost, bound and time, ours/baseline ratios, and the time ours
takes to reach the baseline's cost: ours is run at ever tighter gap targets (``REACH_GAPS``) until
its plan costs no more than the baseline's; ``speedup`` is the baseline's seconds over that time.

Opt-in (``--bench-baseline``): at 10k it runs for the whole time limit per backend.
"""

from __future__ import annotations

import time

import pytest

import routing
from routing import PlanSettings, SolveOptions, solve
from routing.backends.mip import solve_mip
from routing.candidates import build_candidates
from routing.model import build_model

from .instances import build_instance

TIME_LIMIT = 60.0
REACH_GAPS = (1e-2, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 0.0)  # ours, tried in turn to reach the baseline's cost


def _time_to_reach(net, ships, cost: float) -> tuple[float | None, float | None]:
    """Seconds (load excluded) and gap target of ours' first run, loosest target first, whose model objective
    (shortfall penalties included, as the baseline's) is at most ``cost``; (None, None) if none does."""
    for gap in REACH_GAPS:
        t = time.perf_counter()
        result = solve(net, ships, options=SolveOptions(time_limit=TIME_LIMIT, gap=gap))
        seconds = time.perf_counter() - t
        if result.warm_start.solution.model_objective <= cost * (1 + 1e-9):
            return seconds, gap
    return None, None


@pytest.mark.parametrize("backend", ["cp-sat", "scip", "highs"])
@pytest.mark.parametrize("base_size", ["2k", "10k"])
def test_baseline_vs_ours(benchmark, request, base_size, backend):
    if not request.config.getoption("--bench-baseline"):
        pytest.skip("baseline runs only with --bench-baseline")
    inst = build_instance(base_size)
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments_file, net)
    t = time.perf_counter()
    ours = solve(net, ships, options=SolveOptions(time_limit=TIME_LIMIT))
    ours_seconds = time.perf_counter() - t
    settings = PlanSettings(prune=False)
    options = SolveOptions(solver=backend, time_limit=TIME_LIMIT, threads=2)

    def baseline():
        cand = build_candidates(net, ships, None, settings)
        model = build_model(net, ships, None, cand, settings.unassigned_penalty)
        run = solve_mip(model.cost, model.col_ub, model.A, model.row_lb, model.row_ub, options, TIME_LIMIT)
        return model, str(run.status) if run.status != "not_solved" else run.solver_status, run.objective, run.bound

    t = time.perf_counter()
    model, status, obj, bound = benchmark.pedantic(baseline, rounds=1, iterations=1)
    base_seconds = time.perf_counter() - t
    s = ours.summary_data
    reach_seconds, reach_gap = (None, None) if obj != obj else _time_to_reach(net, ships, obj)
    benchmark.extra_info.update({
        "ours_seconds_to_baseline_cost": None if reach_seconds is None else round(reach_seconds, 2),
        "ours_gap_target_to_baseline_cost": reach_gap,
        "speedup": None if reach_seconds is None else round(base_seconds / reach_seconds, 1),
        "shipments": inst.shipments, "baseline_variables": model.n_cols, "baseline_status": status,
        "baseline_objective": obj, "baseline_bound": bound, "baseline_seconds": round(base_seconds, 2),
        "ours_objective": s["objective"], "ours_lower_bound": s["lower_bound"], "ours_gap": s["gap"],
        "ours_status": s["status"], "ours_seconds": round(ours_seconds, 2),
        "time_ratio": round(ours_seconds / base_seconds, 3),
        "cost_ratio": (s["objective"] / obj) if obj == obj and obj else None,
    })

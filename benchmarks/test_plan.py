"""Phases timed one by one (load, routes, build, solve, write) and end to end, per size and strategy.

Every case records objective, lower bound, gap, status, model size and peak memory in
``benchmark.extra_info``; the 100k case fails if the gap exceeds 0.1% or the plan does not validate.
"""

from __future__ import annotations

import time

import pytest

import routing
from routing import PlanSettings, solve
from routing.candidates import build_candidates
from routing.model import build_model
from routing.progress import Progress
from routing.report.result import write_result
from tests.validator import validate_plan

from .instances import build_instance, peak_memory_mb

PHASES = ("load", "routes", "build", "solve", "write")


def _load(inst):
    net = routing.load_network(inst.network)
    return net, routing.load_shipments(inst.shipments_file, net)


_SOLVED: dict[str, dict] = {}  # size -> summary of one solve, so every phase case carries the plan's figures


@pytest.mark.parametrize("phase", PHASES)
def test_phase(benchmark, size_id, phase, tmp_path, solve_options):
    """One phase alone, on inputs prepared outside the timer."""
    inst = build_instance(size_id)
    net, ships = _load(inst)
    settings, options = PlanSettings(), solve_options("auto")
    cand = build_candidates(net, ships, None, settings)
    model = build_model(net, ships, None, cand, settings.unassigned_penalty)
    result = None
    if phase == "load":
        benchmark.pedantic(_load, args=(inst,), rounds=1, iterations=1)
    elif phase == "routes":
        benchmark.pedantic(build_candidates, args=(net, ships, None, settings), rounds=1, iterations=1)
    elif phase == "build":
        benchmark.pedantic(build_model, args=(net, ships, None, cand, settings.unassigned_penalty), rounds=1,
                           iterations=1)
    elif phase == "solve":
        result = benchmark.pedantic(solve, args=(net, ships), kwargs={"settings": settings, "options": options},
                                    rounds=1, iterations=1)
    else:
        result = solve(net, ships, settings=settings, options=options)
        benchmark.pedantic(result.write, args=(tmp_path / "out", "parquet"), rounds=1, iterations=1)
    benchmark.extra_info.update({"shipments": inst.shipments, "variables": model.n_cols,
                                 "constraints": model.n_rows, "peak_memory_mb": round(peak_memory_mb())})
    if result is None and size_id not in _SOLVED:
        result = solve(net, ships, settings=settings, options=options)
    if result is not None:
        _SOLVED[size_id] = result.summary_data
    s = _SOLVED[size_id]
    benchmark.extra_info.update({k: s[k] for k in ("objective", "lower_bound", "gap", "status", "strategy")})


def test_end_to_end(benchmark, size_id, strategy, tmp_path, solve_options):
    """Files in, plan written: what `routing plan` does, timed as a whole, with phase seconds."""
    inst = build_instance(size_id)
    out = tmp_path / "out"

    def run():
        t = time.perf_counter()
        net, ships = _load(inst)
        result = solve(net, ships, options=solve_options(strategy), progress=Progress(),
                       load_seconds=time.perf_counter() - t)
        return write_result(result, out, "parquet").figures  # the summary as written, with its write seconds

    s = benchmark.pedantic(run, rounds=1, iterations=1).to_dict()
    benchmark.extra_info.update({
        "shipments": inst.shipments, "variables": s["model"]["columns"], "constraints": s["model"]["rows"],
        "objective": s["objective"], "lower_bound": s["lower_bound"], "gap": s["gap"], "status": s["status"],
        "strategy": s["strategy"], "seconds": {k: round(v, 2) for k, v in s["seconds"].items()},
        "peak_memory_mb": round(peak_memory_mb()),
    })
    if inst.shipments >= 100_000:  # the quality guard
        assert s["gap"] <= 1e-3, f"gap {s['gap']:.2e} above 0.1%"
        validate_plan(inst.network, inst.shipments_file, out, fmt="parquet")

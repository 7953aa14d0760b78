"""Time to gap: files in, plan written, with the gap target as the only knob (``--bench-gaps``, default
1e-3 and 1e-4), per size. ``benchmark.extra_info`` holds objective, lower bound, gap, status, strategy,
phase seconds and peak memory: ``python benchmarks/report.py FILE`` sets seconds beside the gap reached
per (size, target), the time-to-gap curve."""

from __future__ import annotations

import time

import routing
from routing import solve
from routing.progress import Progress
from routing.report.result import write_result

from .instances import build_instance, peak_memory_mb


def test_time_to_gap(benchmark, size_id, gap_target, tmp_path, solve_options):
    """`routing plan` at this gap target, timed as a whole (load to files written)."""
    inst = build_instance(size_id)
    out = tmp_path / "out"

    def run():
        t = time.perf_counter()
        net = routing.load_network(inst.network)
        ships = routing.load_shipments(inst.shipments_file, net)
        result = solve(net, ships, options=solve_options("auto", gap=float(gap_target)), progress=Progress(),
                       load_seconds=time.perf_counter() - t)
        return write_result(result, out, "parquet").figures

    s = benchmark.pedantic(run, rounds=1, iterations=1).to_dict()
    benchmark.extra_info.update({
        "shipments": inst.shipments, "gap_target": float(gap_target), "objective": s["objective"],
        "lower_bound": s["lower_bound"], "gap": s["gap"], "status": s["status"], "strategy": s["strategy"],
        "seconds": {k: round(v, 2) for k, v in s["seconds"].items()}, "peak_memory_mb": round(peak_memory_mb()),
    })
    assert s["status"] in ("optimal", "feasible", "time_limit")
    if s["status"] == "optimal":
        assert s["gap"] <= float(gap_target) + 1e-9

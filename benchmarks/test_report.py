"""`routing report` per size: a written plan (Parquet, inputs recorded, so the flow map has its network) read
back and rendered to report.html, timed as a whole. ``benchmark.extra_info`` holds the file's size, the
rows drawn from and the seconds (the 5 s aimed at from 100k on is read there, not asserted: a slower machine
is not a defect); from 100k on the case fails past 5 MB."""

from __future__ import annotations

import time

import routing
from routing import solve
from routing.report.html import write_report
from routing.report.report_data import ReportData
from routing.report.result import write_result

from .instances import build_instance, peak_memory_mb

MAX_BYTES = 5_000_000  # the size a 100k report must stay within


def test_report(benchmark, size_id, tmp_path, solve_options):
    """Plan directory in, report.html written: what `routing report PLAN_DIR` does after its imports."""
    inst = build_instance(size_id)
    out = tmp_path / "plan"
    net = routing.load_network(inst.network)
    result = solve(net, routing.load_shipments(inst.shipments_file, net), options=solve_options("auto"))
    write_result(result, out, "parquet", inputs={"network": inst.network, "shipments": inst.shipments_file})
    page = out / "report.html"
    seconds: list[float] = []

    def run() -> int:
        t = time.perf_counter()
        size = write_report(ReportData.from_plan_dir(out), page)
        seconds.append(time.perf_counter() - t)
        return size

    size = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update({
        "shipments": inst.shipments, "bytes": size, "megabytes": round(size / 1e6, 3),
        "seconds": round(min(seconds), 2), "legs": result.legs.num_rows, "lane_departures": result.lanes.num_rows,
        "node_days": result.nodes.num_rows, "stock_rows": result.stock.num_rows,
        "peak_memory_mb": round(peak_memory_mb()),
    })
    assert page.stat().st_size == size
    if inst.shipments >= 100_000:
        assert size <= MAX_BYTES, f"report {size / 1e6:.2f} MB over 5 MB"

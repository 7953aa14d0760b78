"""What-if re-plans, cold vs warm, one case per edit kind: the edited inputs solved from scratch, then
``solve(..., base=base_result)``. Both record objective, lower bound and gap; the warm case also
the cold time and the ratio warm / cold (``python benchmarks/report.py`` prints them side by side),
its cold time from cold solves alternating with its warm rounds (untimed set-up of each round), so
that the ratio holds even when the machine's speed drifts. With ``--bench-rounds N`` each case is
solved N times and the fastest round counts (this machine's timings vary by ±20% from run to run).

    pytest benchmarks/test_whatif.py --bench-sizes 100k --bench-rounds 3 --benchmark-json warm.json
"""

from __future__ import annotations

import functools
import time

import pytest

import routing
from routing import load_inventory, solve
from routing import scenario as sc
from routing.data.generate import generate_inventory
from routing.data.tables import write_table

from .instances import build_instance, peak_memory_mb

EU = ("DE", "FR", "ES", "IT", "NL", "BE", "PL", "SE", "AT", "CZ", "DK", "IE", "FI", "PT")


def _eu_ends_de_minimis(net):
    for market in EU:
        if market in net.node_index:
            net = sc.set_market(net, market, de_minimis=None)
    return net


# edit kind -> (network, shipments, inventory) -> edited inputs; ids exist in routing.data.synth.large_network
EDITS = {
    "close-bonded": lambda n, s, i: (sc.close_node(n, "BE-LGG-BW"), s, i),
    "close-lane": lambda n, s, i: (sc.close_lane(n, "SZX-JFK-air"), s, i),
    "capacity-air-SZX-x0.7": lambda n, s, i: (sc.scale_capacity(n, factor=0.7, mode="air", lane_from="CN-SZX-HUB"),
                                              s, i),
    "lane-cost-x1.2": lambda n, s, i: (sc.scale_cost(n, 1.2, lane="SZX-FRA-air"), s, i),
    "fuel-surcharge-12pct": lambda n, s, i: (sc.fuel_surcharge(n, 0.12), s, i),
    "eu-de-minimis-ends": lambda n, s, i: (_eu_ends_de_minimis(n), s, i),
    "promise-DE-4d": lambda n, s, i: (sc.set_market(n, "DE", promise_days=4), s, i),
    "target-US-95pct": lambda n, s, i: (sc.set_market(n, "US", on_time_target=0.95), s, i),
    "add-lane": lambda n, s, i: (sc.add_lane(n, **{"id": "SZX-FRA-air-2", "from": "CN-SZX-HUB", "to": "DE-FRA-GW",
                                                   "mode": "air", "transit_days": 2, "cost_per_kg": 3.0,
                                                   "cost_per_parcel": 1.0}), s, i),
    "demand-US-x2": lambda n, s, i: (n, sc.scale_demand(s, n, 2.0, market="US", seed=1), i),
    "stock-LAX-x0.5": lambda n, s, i: (n, s, sc.scale_stock(i, 0.5, node="US-LAX-BW", net=n)),
}
STOCK_EDITS = {"stock-LAX-x0.5"}  # planned with an inventory (generated from the demand)

_BASE: dict[tuple[str, bool], routing.Result] = {}
_COLD: dict[tuple[str, str], tuple[float, float]] = {}


@functools.cache
def _inputs(size_id: str, with_stock: bool):
    """The instance's network, shipments and (with_stock) inventory, read once per process (edits never mutate)."""
    inst = build_instance(size_id)
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments_file, net)
    inv = None
    if with_stock:
        path = inst.shipments_file.parent / "inventory.parquet"
        if not path.exists():
            import pyarrow.parquet as pq

            write_table(generate_inventory(net, pq.read_table(inst.shipments_file)), path, "parquet")
        inv = load_inventory(path, net)
    return inst, net, ships, inv


def _base(size_id: str, with_stock: bool, options) -> routing.Result:
    key = (size_id, with_stock)
    if key not in _BASE:
        _, net, ships, inv = _inputs(size_id, with_stock)
        _BASE[key] = solve(net, ships, inv, options=options)
    return _BASE[key]


@pytest.mark.parametrize("mode", ["cold", "warm"])
@pytest.mark.parametrize("edit", list(EDITS))
def test_replan(benchmark, request, size_id, edit, mode, solve_options):
    """One edit re-planned cold (from scratch) or warm (from the base result)."""
    rounds = request.config.getoption("--bench-rounds")
    with_stock = edit in STOCK_EDITS
    inst, net, ships, inv = _inputs(size_id, with_stock)
    options = solve_options("aggregate")  # what `auto` picks at 100k and beyond; keeps the smoke size quick
    base = _base(size_id, with_stock, options)
    edited = EDITS[edit](net, ships, inv)
    kwargs = {"options": options, **({"base": base} if mode == "warm" else {})}
    times: list[float] = []
    cold_times: list[float] = []

    def timed(*args, **kw) -> routing.Result:
        t = time.perf_counter()
        out = solve(*args, **kw)
        times.append(time.perf_counter() - t)
        return out

    def cold_first() -> None:
        """Before each warm round, untimed by the benchmark: a cold solve of the same edit, timed here, so
        warm and cold alternate and the ratio does not drift with the machine's load."""
        t = time.perf_counter()
        solve(*edited, options=options)
        cold_times.append(time.perf_counter() - t)

    setup = cold_first if mode == "warm" else None
    result = benchmark.pedantic(timed, args=edited, kwargs=kwargs, setup=setup, rounds=rounds, iterations=1)
    seconds = min(times)
    s = result.summary_data
    benchmark.extra_info.update({
        "shipments": len(edited[1]), "objective": s["objective"], "lower_bound": s["lower_bound"], "gap": s["gap"],
        "status": s["status"], "strategy": s["strategy"], "peak_memory_mb": round(peak_memory_mb()),
        "seconds": {k: round(v, 2) for k, v in s["seconds"].items()}, "base_objective": base.objective,
        "fastest_seconds": seconds, "rounds": len(times),
    })
    if mode == "cold":
        _COLD[(size_id, edit)] = (seconds, s["objective"])
    else:
        benchmark.extra_info["warm"] = s["warm"]
        cold_seconds = min(cold_times)  # the fastest of the cold solves alternating with the warm ones
        benchmark.extra_info.update({"cold_seconds": cold_seconds, "warm_over_cold": seconds / cold_seconds})
        if (size_id, edit) in _COLD:
            benchmark.extra_info["cold_objective"] = _COLD[(size_id, edit)][1]
        # a warm plan is a plan of the edited inputs: never worse than its own bound, no parcel lost
        assert s["lower_bound"] <= s["objective"] + 1e-6
        assert sum(s["counts"].values()) == len(edited[1])


@pytest.mark.parametrize("edit", ["close-lane", "demand-US-x2"])
def test_compare(benchmark, request, size_id, edit, solve_options):
    """The side-by-side answer to a what-if: compare(base, warm re-plan) — the same shipments (a network
    edit) and shipments added (demand)."""
    from routing.compare import compare

    _, net, ships, inv = _inputs(size_id, False)
    options = solve_options("aggregate")
    base = _base(size_id, False, options)
    other = solve(*EDITS[edit](net, ships, inv), options=options, base=base)
    cmp = benchmark.pedantic(compare, args=(base, other), rounds=request.config.getoption("--bench-rounds"),
                             iterations=1)
    benchmark.extra_info.update({"shipments": other.plan.num_rows, "counts": cmp.counts,
                                 "delta_cost_total": cmp.totals["cost_total"]["delta"]})
    # each plan's cost_total column sums to its objective to the cent
    assert cmp.totals["cost_total"]["delta"] == pytest.approx(other.objective - base.objective, abs=0.011)

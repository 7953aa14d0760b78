"""Tonight's plan with yesterday's bookings, per size: last night's plan (the size's network and
shipments), then tonight on a network with a 10% fuel surcharge, the first 30% of last night's
assigned shipments committed to their legs and last night's plan as the previous one at a change
penalty of 1 per shipment. Timed: ``solve`` with the bookings (strategy ``auto``, the default gap),
the matching of the booked legs included. ``benchmark.extra_info`` carries objective, lower bound and
gap beside the time, the free plan's (no bookings, same network) objective and time, and the counts:
committed shipments and shipments changed. Nothing asserted but that the committed shipments kept
their legs."""

from __future__ import annotations

import time

import numpy as np
import pyarrow.compute as pc

import routing
from routing import Bookings, load_booked_legs, solve
from routing.data.edits import fuel_surcharge

from .instances import build_instance, peak_memory_mb

COMMITTED_SHARE, PENALTY, SURCHARGE = 0.3, 1.0, 0.1


def test_bookings(benchmark, size_id, solve_options):
    inst = build_instance(size_id)
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments_file, net)
    options = solve_options("auto")
    last_night = solve(net, ships, options=options)
    legs = last_night.legs
    ids = pc.unique(legs["shipment_id"])
    committed_ids = ids.slice(0, int(COMMITTED_SHARE * len(ids)))
    committed = legs.filter(pc.is_in(legs["shipment_id"], value_set=committed_ids))
    tonight = fuel_surcharge(net, SURCHARGE)
    free, free_seconds = None, None
    if not benchmark.disabled:  # the free plan beside it: figures only (the suite's smoke run skips it)
        t = time.perf_counter()
        free = solve(tonight, ships, options=options)
        free_seconds = time.perf_counter() - t
    t = time.perf_counter()
    bookings = Bookings(committed=load_booked_legs(committed, tonight, source="committed"),
                        previous=load_booked_legs(legs, tonight, source="last night", known_lanes=False),
                        change_penalty=PENALTY)
    read_seconds = time.perf_counter() - t

    result = benchmark.pedantic(lambda: solve(tonight, ships, options=options, bookings=bookings), rounds=1,
                                iterations=1)
    kept = result.legs.filter(pc.is_in(result.legs["shipment_id"], value_set=committed_ids))
    assert kept.select(["shipment_id", "lane_id", "departure_date"]).equals(
        committed.select(["shipment_id", "lane_id", "departure_date"]))
    f, b = result.figures, result.figures.bookings
    benchmark.extra_info.update(
        shipments=len(ships), objective=round(f.objective, 2), lower_bound=round(f.lower_bound, 2),
        gap=f.gap, status=str(f.status), strategy=str(f.strategy), committed=b.committed_shipments,
        changed=b.changed, change_cost=b.change_cost, read_bookings_s=round(read_seconds, 3),
        routes_s=round(f.seconds["routes"], 3), solve_s=round(f.seconds["solve"], 3),
        peak_mb=round(peak_memory_mb()))
    if free is not None:
        benchmark.extra_info.update(
            free_objective=round(free.objective, 2), free_s=round(free_seconds, 3),
            free_changed_vs_last_night=int(np.count_nonzero(
                pc.invert(pc.equal(free.plan["route"], last_night.plan["route"])).fill_null(False))))

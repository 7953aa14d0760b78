"""Property-based tests: hypothesis generates small networks, shipment tables, inventories, plan
settings and what-if edits; every plan the solver writes goes through the independent validator
(tests/validator.py).

Properties (one test each):

- every generated instance gets a valid plan with ``strategy="exact"`` and with ``"aggregate"``;
  its lower bound is at most its objective and its counts cover every shipment;
- where the exact plan is proven optimal it is no worse than the aggregate plan, and the aggregate's
  lower bound does not exceed the exact optimum;
- the same instance solved twice writes byte-identical ``plan.csv`` and ``legs.csv``;
- a random what-if edit (``routing.scenario``) planned cold and warm (``solve(..., base=)``) gives
  valid plans, and with the exact strategy the same optimum (parametrized by edit kind, so that
  every kind is generated, each on instances it applies to);
- doubling every lane capacity never makes the exact optimum dearer (on instances whose lane
  capacities are mostly tight);
- bookings (committed legs of a first plan, that plan as the previous one at a change penalty) on a
  network with scaled lane capacities are refused exactly when the committed kg overrun a departure,
  else give a valid plan keeping every committed leg, no better than the free optimum; with nothing
  committed on the same network, a penalised re-plan keeps the first optimal plan as it was.

The smallest case of each bug these properties found is pinned as an explicit example (or, for the
what-if property, a plain parametrized companion test) and runs before the generated cases.

"Optimum" is compared the way the model ranks plans (docs/rules.md, Objective): fewer parcels short
of the on-time targets first, then the lower cost. With at most 25 shipments the shortfall weight
(100 x the dearest option or the penalty) exceeds any difference in plan cost, so this order is the
model's own.

Edited inputs are validated against files edited here, independently of ``routing.scenario`` (a
closed node or lane is left out of the network file, as docs/rules.md says it carries no route);
only a ``scale_demand`` table is written from the edited ``Shipments`` object, after checking that
each of its rows is a copy of an input row.

The number of generated examples per test, and how many of them reached each comparison, is
printed at the end of the module (``-s`` not needed), kept in ``STATS`` and, with
``ROUTING_PROPERTY_STATS=<file>``, written there as JSON.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import json
import math
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import routing
from routing import PlanSettings, SolveOptions
from routing import scenario as sc

from .helpers import Instance, write_instance
from .validator import validate_plan

EPOCH = dt.date(2026, 11, 30)  # a Monday
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MODES = ["truck", "air", "sea", "rail", "express", "last_mile"]
SKUS = ["A", "B", "C"]
TIME_LIMIT = 30.0
REL = 1e-6

STATS: Counter[str] = Counter()

# Derandomized: the same cases on every run. A failure is shrunk to a minimal example (that can take
# hypothesis' five-minute shrink budget per failing test: a case is 1-3 solves);
# ROUTING_PROPERTY_NO_SHRINK=1 reports the first failing case as found instead.
PHASES = [Phase.explicit, Phase.generate] + ([] if os.environ.get("ROUTING_PROPERTY_NO_SHRINK") else [Phase.shrink])
COMMON = dict(deadline=None, database=None, derandomize=True, print_blob=True, phases=PHASES,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much])


@pytest.fixture(scope="module", autouse=True)
def _report_example_counts(request):
    """Print how many generated cases ran (per test and in all) when the module is done."""
    yield
    per_test = {k.split(":", 1)[1]: v for k, v in sorted(STATS.items()) if k.startswith("examples:")}
    others = {k: v for k, v in sorted(STATS.items()) if not k.startswith("examples")}
    line = (f"test_properties: {STATS['examples']} generated examples {per_test}; {others}")
    if path := os.environ.get("ROUTING_PROPERTY_STATS"):  # for a CI note: the counts as JSON
        Path(path).write_text(json.dumps(dict(STATS), indent=1, sort_keys=True))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:  # pragma: no cover
        print(line, file=sys.stderr)
        return
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        reporter.write_line("")
        reporter.write_line(line)


def _count(test: str, case) -> bool:
    """Count an example of ``test``; False for a pinned one (the explicit examples below)."""
    if str(case[0].get("name", "")).startswith("pinned"):
        STATS["pinned examples"] += 1
        return False
    STATS["examples"] += 1
    STATS[f"examples:{test}"] += 1
    return True


# --------------------------------------------------------------------------- strategies


def _money(hi: float, step: float = 0.05) -> st.SearchStrategy[float]:
    return st.integers(0, int(round(hi / step))).map(lambda k: round(k * step, 6))


def _maybe(strategy: st.SearchStrategy, none_weight: int = 1) -> st.SearchStrategy:
    return st.one_of(*([st.none()] * none_weight), strategy)


def lane_id(lane: dict[str, Any]) -> str:
    return str(lane.get("id") or f"{lane['from']}>{lane['to']}:{lane['mode']}")


TIGHT = st.integers(1, 10).map(lambda k: k * 0.5)  # kg per departure: binds on a parcel or two


@st.composite
def lane_docs(draw, src: str, dst: str, mode: str | None = None, tight: bool = False) -> dict[str, Any]:
    """One lane with random timing, costs, divisor and capacity (tight ones included; ``tight``: mostly)."""
    lane: dict[str, Any] = {"from": src, "to": dst, "mode": mode or draw(st.sampled_from(MODES)),
                            "transit_days": draw(st.integers(0, 4))}
    dep = draw(st.one_of(st.just("daily"), st.none(),
                         st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=6, unique=True)))
    if dep is not None:
        lane["departures"] = dep if dep == "daily" else sorted(dep, key=WEEKDAYS.index)
    lane["cost_per_kg"] = draw(_money(8.0))
    lane["cost_per_parcel"] = draw(_money(5.0))
    divisor = draw(_maybe(st.sampled_from([4000, 5000, 6000])))
    if divisor is not None:
        lane["volumetric_divisor"] = divisor
    cap = draw(st.one_of(st.none(), TIGHT, TIGHT) if tight else
               st.one_of(st.none(), st.none(), st.just(0), TIGHT, st.integers(10, 60).map(float)))
    if cap is not None:
        lane["capacity_kg_per_departure"] = cap
    return lane


@st.composite
def networks(draw, needs: frozenset[str] = frozenset(), tight: bool = False) -> dict[str, Any]:
    """1-3 factories, 0-2 hubs, 1-3 gateways, 0-2 bonded warehouses, 1-3 markets, random lanes.

    ``needs``: "air" (an air lane), "bonded" (a bonded warehouse), "node_cap" (a capacitated node), so
    that an edit of that kind applies; ``tight``: lane capacities mostly tight."""
    counts = {"factory": draw(st.integers(1, 3)), "hub": draw(st.integers(0, 2)), "gateway": draw(st.integers(1, 3)),
              "bonded": draw(st.integers(1 if "bonded" in needs else 0, 2)), "market": draw(st.integers(1, 3))}
    prefix = {"factory": "F", "hub": "H", "gateway": "G", "bonded": "B", "market": "M"}
    node_cap = _maybe(st.integers(0, 4), none_weight=3)
    nodes: list[dict[str, Any]] = []
    for kind, n in counts.items():
        for i in range(n):
            node: dict[str, Any] = {"id": f"{prefix[kind]}{i + 1}", "kind": kind,
                                    "handling_cost": draw(_money(2.0))}
            if kind != "market":
                node["handling_days"] = draw(st.integers(0, 2))
            if kind == "bonded":
                node["storage_cost_per_kg_day"] = draw(_money(0.05, 0.005))
                node["dwell_days"] = draw(_money(40.0, 0.5))
            if kind == "market":
                node["promise_days"] = draw(st.integers(1, 7))
                node["late_penalty_per_day"] = draw(_money(10.0, 0.25))
                node["duty_rate"] = draw(_money(0.3, 0.01))
                target = draw(st.one_of(st.none(), st.none(), st.sampled_from([0.5, 0.8, 1.0]),
                                        st.integers(0, 20).map(lambda k: k / 20)))
                if target is not None:  # 1.0 is often unreachable: the plan is returned short of it
                    node["on_time_target"] = target
                de_minimis = draw(_maybe(_money(200.0, 5.0)))
                if de_minimis is not None:
                    node["de_minimis"] = de_minimis
            cap = draw(node_cap)
            if cap is not None:
                node["capacity_parcels_per_day"] = cap
            nodes.append(node)
    if "node_cap" in needs and all(n.get("capacity_parcels_per_day") is None for n in nodes):
        nodes[draw(st.integers(0, len(nodes) - 1))]["capacity_parcels_per_day"] = draw(st.integers(0, 4))
    ids = {kind: [n["id"] for n in nodes if n["kind"] == kind] for kind in counts}
    via = ids["hub"] + ids["gateway"]
    # allowed lane kinds: factory -> hub/gateway/bonded/market, hub/gateway -> hub/gateway/bonded/market,
    # bonded -> hub/gateway/market
    pairs = [(a, b) for a in ids["factory"] for b in via + ids["bonded"] + ids["market"]]
    pairs += [(a, b) for a in via for b in via + ids["bonded"] + ids["market"] if a != b]
    pairs += [(a, b) for a in ids["bonded"] for b in via + ids["market"]]
    ends = [(f, draw(st.sampled_from(via))) for f in ids["factory"]]  # every factory leaves somewhere
    ends += [(draw(st.sampled_from(ids["gateway"] + ids["bonded"])), m) for m in ids["market"]]  # and every market
    ends += draw(st.lists(st.sampled_from(pairs), max_size=10))  # parallel lanes allowed
    # lanes the rules never use (into a factory, out of a market): accepted, never in a route
    ends += draw(st.lists(st.sampled_from([(g, f) for g in via for f in ids["factory"]]
                                          + [(m, g) for m in ids["market"] for g in via]), max_size=1))
    lanes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for k, (a, b) in enumerate(ends):
        lane = draw(lane_docs(a, b, "air" if k == 0 and "air" in needs else None, tight))
        if draw(st.booleans()) or lane_id(lane) in seen:
            lane = {"id": f"L{k + 1}", **lane}
        seen.add(lane_id(lane))
        lanes.append(lane)
    doc: dict[str, Any] = {"name": "generated"}
    epoch = draw(st.sampled_from([None, EPOCH, EPOCH - dt.timedelta(days=3), EPOCH + dt.timedelta(days=2)]))
    if epoch is not None:  # absent: day 0 is the earliest order; after it: negative order days
        doc["epoch"] = str(epoch)
    doc["nodes"] = nodes
    doc["lanes"] = lanes
    return doc


def _ids(doc: dict[str, Any], kind: str) -> list[str]:
    return [n["id"] for n in doc["nodes"] if n["kind"] == kind]


@st.composite
def shipment_rows(draw, doc: dict[str, Any]) -> list[dict[str, Any]]:
    factories, markets = _ids(doc, "factory"), _ids(doc, "market")
    days = draw(st.integers(1, 10))
    rows = []
    for i in range(draw(st.integers(1, 25))):
        volume = draw(st.one_of(st.just(0), st.integers(1, 60).map(lambda k: k * 1000)))
        rows.append({
            "shipment_id": f"s{i}", "origin": draw(st.sampled_from(factories)),
            "destination": draw(st.sampled_from(markets)),
            "order_date": str(EPOCH + dt.timedelta(days=draw(st.integers(0, days - 1)))),
            "weight_kg": draw(st.integers(1, 100).map(lambda k: k / 10)),
            "volume_cm3": volume if draw(st.booleans()) else None,
            "value": draw(_money(300.0, 2.5)),
            "sku": draw(st.one_of(st.sampled_from(SKUS), st.none())),  # none: the sku is the shipment id
            "quantity": draw(st.one_of(st.none(), st.integers(1, 3))),
            "channel": draw(st.sampled_from(["any", "jit", "bonded", None])),
            "promise_days": draw(st.one_of(st.none(), st.none(), st.integers(0, 9))),
        })
    return rows


@st.composite
def inventories(draw, doc: dict[str, Any], required: bool = False) -> list[dict[str, Any]] | None:
    if not required and draw(st.booleans()):
        return None  # no table: unlimited bonded stock
    keys = [(b, s) for b in _ids(doc, "bonded") for s in SKUS]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys))) if keys else []
    return [{"node": b, "sku": s, "units": draw(st.integers(0, 4))} for b, s in chosen]  # [] : no stock anywhere


@st.composite
def instances(draw, needs: frozenset[str] = frozenset(), tight: bool = False
              ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(network document, shipment rows, inventory rows or None); ``needs`` may also hold "inventory"."""
    doc = draw(networks(needs, tight))
    return doc, draw(shipment_rows(doc)), draw(inventories(doc, "inventory" in needs))


@st.composite
def plan_settings(draw, waiting: bool = True) -> PlanSettings:
    horizon = draw(st.integers(3, 14))
    wait = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(0, horizon))) if waiting else None
    return PlanSettings(horizon_days=horizon, waiting_days=wait, max_legs=draw(st.integers(2, 6)),
                        unassigned_penalty=float(draw(st.integers(20, 2000))))


# --------------------------------------------------------------------------- planning helpers


class Loaded:
    """An instance on disk and loaded."""

    def __init__(self, tmp: Path, doc: dict, rows: list[dict], inv: list[dict] | None, name: str = "inst"):
        self.doc, self.rows, self.inv_rows = doc, rows, inv
        self.inst: Instance = write_instance(tmp, doc, rows, inv, name=name)
        self.net = routing.load_network(self.inst.network)
        self.ships = routing.load_shipments(self.inst.shipments, self.net)
        self.inv = routing.load_inventory(self.inst.inventory, self.net) if self.inst.inventory else None


def options(strategy: str) -> SolveOptions:
    """Solved to optimality (gap 0): the properties compare optima."""
    return SolveOptions(strategy=strategy, time_limit=TIME_LIMIT, gap=0.0)


def check(result: routing.Result, inst: Instance, out: str, n_ships: int) -> Path:
    """Write ``result`` and validate the written files; the bound is below the objective and the
    counts cover every shipment."""
    out_dir = inst.dir / out
    result.write(out_dir)
    validate_plan(inst.network, inst.shipments, out_dir, inst.inventory)
    s = result.summary_data
    assert s["lower_bound"] <= s["objective"] + 1e-6, (s["lower_bound"], s["objective"])
    assert sum(s["counts"].values()) == n_ships, s["counts"]
    assert set(s["counts"]) <= {"assigned", "unassigned", "unroutable"}, s["counts"]
    STATS["plans validated"] += 1
    STATS["plans with unassigned"] += s["counts"].get("unassigned", 0) > 0
    STATS["plans with unroutable"] += s["counts"].get("unroutable", 0) > 0
    STATS["plans with a parcel left out by a capacity or stock"] += any(
        s["reasons"].get(r, 0) > 0 for r in ("lane_capacity", "node_capacity", "stock_exhausted", "capacity"))
    STATS["plans short of a target"] += any(m["shortfall"] > 0 for m in s["markets"].values())
    return out_dir


def shortfall(result: routing.Result) -> int:
    return sum(m["shortfall"] for m in result.summary_data["markets"].values())


def no_worse(a: routing.Result, b: routing.Result) -> bool:
    """``a`` ranks no worse than ``b`` in the model's order: shortfall, then cost."""
    sa, sb = shortfall(a), shortfall(b)
    if sa != sb:
        return sa < sb
    return a.objective <= b.objective + REL * max(1.0, abs(b.objective))


def _tmp():
    return tempfile.TemporaryDirectory(prefix="routing-prop-")


# --------------------------------------------------------------------------- pinned examples
# The smallest cases of the bugs these properties found (each runs before the generated cases, in
# the test whose property it broke): F1 -> G1 -> M1 by truck, one 1 kg parcel ordered on a Monday.


def _pinned(bug: str, lanes: list[dict], *, extra_nodes: tuple[dict, ...] = (), rows: list[dict] | None = None,
            market: dict | None = None):
    nodes = [{"id": "F1", "kind": "factory"}, {"id": "G1", "kind": "gateway"},
             {"id": "M1", "kind": "market", **(market or {})}, *extra_nodes]
    rows = rows or [_row("s0", "F1")]
    return {"name": f"pinned: {bug}", "nodes": nodes, "lanes": lanes}, rows, None


def _row(sid: str, origin: str, weight: float = 1.0) -> dict[str, Any]:
    return {"shipment_id": sid, "origin": origin, "destination": "M1", "order_date": str(EPOCH), "weight_kg": weight}


def _truck(src: str, dst: str, **fields: Any) -> dict[str, Any]:
    return {"from": src, "to": dst, "mode": "truck", **fields}


# found on 5b1d12b, fixed in 7c12161: IndexError in build_option_table (a node-capacity row indexed the
# lanes' divisor table)
NODE_CAP_AFTER_LANES = _pinned("capacity on a node listed after the last lane",
                               [_truck("F1", "G1"), _truck("G1", "M1")], market={"capacity_parcels_per_day": 5})
# found on 5b1d12b, fixed in cb823d1: aggregate, IndexError in _disaggregate (no contested shipment)
AGG_NONE_CONTESTED = _pinned("aggregate, no contested shipment", [_truck("F1", "G1", cost_per_kg=1.0),
                                                                   _truck("G1", "M1")])
# found on 5b1d12b, fixed in cb823d1: aggregate, IndexError in make_classes (no option at all: the only one
# costs more than the penalty)
AGG_NO_OPTION = _pinned("aggregate, only option dearer than the penalty",
                        [_truck("F1", "G1", cost_per_kg=30.0), _truck("G1", "M1")])
# found on 5b1d12b, fixed in cb823d1: aggregate, IndexError in neighbourhood.left_out (reduceat over a
# shipment without options)
AGG_LAST_WITHOUT_OPTION = _pinned(
    "aggregate, last shipment without options",
    [_truck("F1", "G1", capacity_kg_per_departure=100.0), _truck("F2", "G1", cost_per_kg=30.0), _truck("G1", "M1")],
    extra_nodes=({"id": "F2", "kind": "factory"},), rows=[_row("s0", "F1"), _row("s1", "F2")])
# found on 5b1d12b, fixed in cb823d1: aggregate, SolverError "warm LP not solved: Empty" (nothing left to
# re-plan)
AGG_NOTHING_TO_REPLAN = _pinned("aggregate, nothing left to re-plan",
                                [_truck("F1", "G1", capacity_kg_per_departure=100.0), _truck("G1", "M1")])
# found on 5b1d12b, fixed in cb823d1: warm, IndexError in warm._park (a carried shipment loses its only option)
WARM_LOSES_ONLY_OPTION = _pinned("warm, a carried shipment loses its only option",
                                 [_truck("F1", "G1", cost_per_kg=8.0), _truck("G1", "M1")])
# found on 5b1d12b, fixed in 7c12161: summary.json listed idle capacity rows of a lane through a closed node
CLOSED_NODE_IDLE_ROWS = _pinned("closed node, idle capacity rows",
                                [_truck("F1", "G1"), _truck("G1", "M1", capacity_kg_per_departure=0)])
# open at 3a8c733: warm, IndexError in splice_tables (after add_lane, a group re-enumerated whose routes
# have no departure in the horizon)
ADDED_LANE_NO_DEPARTURE = _pinned("warm, added lane with no departure in the horizon",
                                  [_truck("G1", "M1", departures=["fri"])])
# found on 2a13766 (there since 608fb21 at least), fixed in the next commit: a (pair, weekday) without
# options enumerated before another of the same pair whose weekday sorts first handed its slots to the
# wrong order day (a Tuesday order took a Monday-only departure; the Monday order had none)
EMPTY_WEEKDAY_FIRST = _pinned("options of a weekday handed to another", [_truck("F1", "G1"),
                                                                          _truck("G1", "M1", departures=["mon"])],
                              rows=[{**_row("s0", "F1"), "order_date": "2026-12-01"},
                                    {**_row("s1", "F1"), "order_date": "2026-12-07"}])
PENALTY_20 = PlanSettings(unassigned_penalty=20.0)


# --------------------------------------------------------------------------- a. valid plans


@settings(max_examples=60, **COMMON)
@given(case=instances(), plan=plan_settings())
@example(case=NODE_CAP_AFTER_LANES, plan=PlanSettings())
@example(case=EMPTY_WEEKDAY_FIRST, plan=PlanSettings(horizon_days=3))
def test_every_generated_instance_gets_a_valid_exact_plan(case, plan):
    _count("exact valid", case)
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        check(routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("exact")), x.inst, "exact",
              len(case[1]))


@settings(max_examples=60, **COMMON)
@given(case=instances(), plan=plan_settings())
@example(case=NODE_CAP_AFTER_LANES, plan=PlanSettings())
@example(case=AGG_NONE_CONTESTED, plan=PENALTY_20)
@example(case=AGG_NO_OPTION, plan=PENALTY_20)
@example(case=AGG_LAST_WITHOUT_OPTION, plan=PENALTY_20)
@example(case=AGG_NOTHING_TO_REPLAN, plan=PlanSettings())
def test_every_generated_instance_gets_a_valid_aggregate_plan(case, plan):
    _count("aggregate valid", case)
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        check(routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("aggregate")), x.inst,
              "aggregate", len(case[1]))


# --------------------------------------------------------------------------- b. exact vs aggregate


@settings(max_examples=40, **COMMON)
@given(case=instances(), plan=plan_settings())
def test_a_proven_exact_optimum_is_no_worse_than_the_aggregate_plan(case, plan):
    _count("exact vs aggregate", case)
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        exact = routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("exact"))
        agg = routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("aggregate"))
        check(exact, x.inst, "exact", len(case[1]))
        check(agg, x.inst, "aggregate", len(case[1]))
        if exact.status != "optimal":
            return
        STATS["exact vs aggregate: compared"] += 1
        assert no_worse(exact, agg), ((shortfall(exact), exact.objective), (shortfall(agg), agg.objective))
        lb = agg.summary_data["lower_bound"]
        assert lb <= exact.objective + 1e-6, (lb, exact.objective)


# --------------------------------------------------------------------------- c. determinism


@settings(max_examples=25, **COMMON)
@given(case=instances(), plan=plan_settings(), strategy=st.sampled_from(["exact", "aggregate"]))
def test_the_same_instance_planned_twice_writes_the_same_files(case, plan, strategy):
    _count("determinism", case)
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        first = check(routing.solve(x.net, x.ships, x.inv, settings=plan, options=options(strategy)), x.inst,
                      "first", len(case[1]))
        second = check(routing.solve(x.net, x.ships, x.inv, settings=plan, options=options(strategy)), x.inst,
                       "second", len(case[1]))
        for name in ("plan.csv", "legs.csv"):
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


# --------------------------------------------------------------------------- d. what-if, cold and warm


# edit kind -> what the instance needs for it to apply (see networks())
EDIT_KINDS: dict[str, frozenset[str]] = {
    "close_node": frozenset(), "close_lane": frozenset(), "scale_capacity": frozenset(),
    "scale_node_capacity": frozenset({"node_cap"}), "scale_cost": frozenset(), "fuel_surcharge": frozenset({"air"}),
    "set_market": frozenset(), "add_lane": frozenset(), "scale_demand": frozenset(),
    "set_stock": frozenset({"bonded", "inventory"}),
}


@st.composite
def edits(draw, case, kind: str) -> tuple[str, dict[str, Any]]:
    """A what-if edit of ``kind`` on the instance, as (kind, arguments)."""
    doc, _, inv = case
    lanes = [lane_id(ln) for ln in doc["lanes"]]
    closable = [n["id"] for n in doc["nodes"] if n["kind"] in ("hub", "gateway", "bonded")]
    if kind == "close_node":
        return kind, {"node_id": draw(st.sampled_from(closable))}
    if kind == "close_lane":
        return kind, {"lane_id": draw(st.sampled_from(lanes))}
    if kind == "scale_capacity":
        capped = [lane_id(ln) for ln in doc["lanes"] if ln.get("capacity_kg_per_departure") is not None]
        return kind, {"lane": draw(st.sampled_from(capped or lanes)),
                      "factor": draw(st.integers(0, 40).map(lambda k: k / 20))}
    if kind == "scale_node_capacity":
        capped = [n["id"] for n in doc["nodes"] if n.get("capacity_parcels_per_day") is not None]
        return kind, {"node": draw(st.sampled_from(capped)), "factor": draw(st.integers(0, 8).map(lambda k: k / 4))}
    if kind == "scale_cost":
        return kind, {"lane": draw(st.sampled_from(lanes)), "factor": draw(st.integers(0, 30).map(lambda k: k / 10))}
    if kind == "fuel_surcharge":
        return kind, {"share": draw(st.integers(-10, 20).map(lambda k: k / 20))}
    if kind == "set_market":
        field = draw(st.sampled_from(sc.MARKET_FIELDS))
        value = {"promise_days": st.integers(1, 7),
                 "on_time_target": st.one_of(st.none(), st.sampled_from([0.5, 0.9, 1.0]),
                                             st.integers(0, 20).map(lambda k: k / 20)),
                 "late_penalty_per_day": _money(10.0, 0.25), "duty_rate": _money(0.3, 0.01),
                 "de_minimis": _maybe(_money(200.0, 5.0))}[field]
        return kind, {"market": draw(st.sampled_from(_ids(doc, "market"))), field: draw(value)}
    if kind == "add_lane":
        via = _ids(doc, "hub") + _ids(doc, "gateway")
        pairs = [(a, b) for a in _ids(doc, "factory") + via for b in via + _ids(doc, "bonded") + _ids(doc, "market")
                 if a != b] + [(a, b) for a in _ids(doc, "bonded") for b in via + _ids(doc, "market")]
        a, b = draw(st.sampled_from(pairs))
        return kind, {"id": "NEW", **draw(lane_docs(a, b))}
    if kind == "scale_demand":
        args: dict[str, Any] = {"factor": draw(st.integers(10, 40).map(lambda k: k / 20)),
                                "seed": draw(st.integers(0, 99))}
        market = draw(_maybe(st.sampled_from(_ids(doc, "market"))))
        if market is not None:
            args["market"] = market
        return kind, args
    assert kind == "set_stock"
    return kind, {"node": draw(st.sampled_from(_ids(doc, "bonded"))), "sku": draw(st.sampled_from(SKUS)),
                  "units": draw(st.integers(0, 4))}


def apply_edit(x: Loaded, kind: str, args: dict[str, Any]):
    """The edit through ``routing.scenario``: (network, shipments, inventory)."""
    net, ships, inv = x.net, x.ships, x.inv
    if kind == "close_node":
        return sc.close_node(net, args["node_id"]), ships, inv
    if kind == "close_lane":
        return sc.close_lane(net, args["lane_id"]), ships, inv
    if kind == "scale_capacity":
        return sc.scale_capacity(net, factor=args["factor"], lane=args["lane"]), ships, inv
    if kind == "scale_node_capacity":
        return sc.scale_capacity(net, factor=args["factor"], node=args["node"]), ships, inv
    if kind == "scale_cost":
        return sc.scale_cost(net, args["factor"], lane=args["lane"]), ships, inv
    if kind == "fuel_surcharge":
        return sc.fuel_surcharge(net, args["share"]), ships, inv
    if kind == "set_market":
        fields = {k: v for k, v in args.items() if k != "market"}
        return sc.set_market(net, args["market"], **fields), ships, inv
    if kind == "add_lane":
        return sc.add_lane(net, **args), ships, inv
    if kind == "scale_demand":
        return net, sc.scale_demand(ships, net, args["factor"], market=args.get("market"), seed=args["seed"]), inv
    assert kind == "set_stock"
    return net, ships, sc.set_stock(inv, net, args["node"], args["sku"], args["units"])


def edit_docs(x: Loaded, kind: str, args: dict[str, Any], ships) -> tuple[dict, list[dict], list[dict] | None]:
    """The same edit made on the input documents, without routing.scenario (except the demand rows)."""
    doc, rows, inv = copy.deepcopy(x.doc), x.rows, copy.deepcopy(x.inv_rows)
    lanes = doc["lanes"]
    by_id = {lane_id(ln): ln for ln in lanes}
    if kind == "close_node":
        doc["lanes"] = [ln for ln in lanes if args["node_id"] not in (ln["from"], ln["to"])]
    elif kind == "close_lane":
        doc["lanes"] = [ln for ln in lanes if lane_id(ln) != args["lane_id"]]
    elif kind == "scale_capacity":
        ln = by_id[args["lane"]]
        if ln.get("capacity_kg_per_departure") is not None:
            ln["capacity_kg_per_departure"] = ln["capacity_kg_per_departure"] * args["factor"]
    elif kind == "scale_node_capacity":
        node = next(n for n in doc["nodes"] if n["id"] == args["node"])
        node["capacity_parcels_per_day"] = int(math.floor(node["capacity_parcels_per_day"] * args["factor"]))
    elif kind == "scale_cost":
        ln = by_id[args["lane"]]
        for k in ("cost_per_kg", "cost_per_parcel"):
            ln[k] = ln.get(k, 0.0) * args["factor"]
    elif kind == "fuel_surcharge":
        for ln in lanes:
            if ln["mode"] == "air":
                ln["cost_per_kg"] = ln.get("cost_per_kg", 0.0) * (1.0 + args["share"])
    elif kind == "set_market":
        node = next(n for n in doc["nodes"] if n["id"] == args["market"])
        for k, v in args.items():
            if k != "market":
                node[k] = v
    elif kind == "add_lane":
        lanes.append(dict(args))
    elif kind == "scale_demand":
        rows = demand_rows(x, ships, args)
    else:
        inv = [r for r in inv if (r["node"], r["sku"]) != (args["node"], args["sku"])]
        inv.append({"node": args["node"], "sku": args["sku"], "units": args["units"]})
    return doc, rows, inv


def demand_rows(x: Loaded, ships: routing.Shipments, args: dict[str, Any]) -> list[dict]:
    """The rows of a scale_demand table, each checked to be a copy of an input row."""
    names = [n.id for n in x.net.nodes]
    skus = ships.sku_names.to_pylist()
    source = {r["shipment_id"]: r for r in x.rows}
    out = []
    for i, sid in enumerate(ships.ids.to_pylist()):
        row = {"shipment_id": sid, "origin": names[int(ships.origin[i])],
               "destination": names[int(ships.destination[i])],
               "order_date": str(dt.date(1970, 1, 1) + dt.timedelta(days=int(ships.order_date[i]))),
               "weight_kg": float(ships.weight_kg[i]), "volume_cm3": float(ships.volume_cm3[i]),
               "value": float(ships.value[i]), "sku": skus[int(ships.sku[i])],
               "quantity": int(ships.quantity[i]), "channel": ["any", "jit", "bonded"][int(ships.channel[i])],
               "promise_days": None if int(ships.promise_days[i]) < 0 else int(ships.promise_days[i])}
        orig = source[sid.split("~")[0]]
        want = {**orig, "shipment_id": sid, "sku": orig["sku"] or orig["shipment_id"],
                "quantity": orig["quantity"] or 1, "channel": orig["channel"] or "any",
                "volume_cm3": float(orig["volume_cm3"] or 0)}
        assert row == want, (row, want)
        out.append(row)
    matching = [r for r in x.rows if args.get("market") in (None, r["destination"])]
    f = args["factor"]
    expected = len(x.rows) - len(matching) + (round(f * len(matching)) if f <= 1 else
                                              math.floor(f) * len(matching)
                                              + round((f - math.floor(f)) * len(matching)))
    assert len(out) == expected, (len(out), expected)
    return out


@st.composite
def what_if_cases(draw, kind: str):
    """An instance the edit ``kind`` applies to, and the edit: (case, (kind, arguments))."""
    # derandomized, every parametrization of the test below starts from the same seed: a few draws more
    # per kind set each kind off on instances of its own
    draw(st.lists(st.integers(0, 255), min_size=3 * list(EDIT_KINDS).index(kind),
                  max_size=3 * list(EDIT_KINDS).index(kind)))
    case = draw(instances(EDIT_KINDS[kind]))
    return case, draw(edits(case, kind))


@pytest.mark.parametrize("kind", list(EDIT_KINDS))
@settings(max_examples=10, **COMMON)
@given(data=st.data(), plan=plan_settings(), strategy=st.sampled_from(["exact", "exact", "aggregate"]))
def test_a_what_if_edit_planned_cold_and_warm(kind, data, plan, strategy):
    case, (kind, args) = data.draw(what_if_cases(kind), label="case, edit")
    what_if(case, kind, args, plan, strategy)


@pytest.mark.parametrize(("case", "edit", "plan"), [
    (WARM_LOSES_ONLY_OPTION, ("scale_cost", {"lane": "F1>G1:truck", "factor": 3.0}), PENALTY_20),
    (CLOSED_NODE_IDLE_ROWS, ("close_node", {"node_id": "G1"}), PlanSettings(horizon_days=3)),
    (ADDED_LANE_NO_DEPARTURE, ("add_lane", {"id": "NEW", **_truck("F1", "G1")}), PlanSettings(horizon_days=3)),
], ids=["warm-loses-only-option", "closed-node-idle-rows", "added-lane-no-departure"])
def test_a_what_if_edit_planned_cold_and_warm_pinned(case, edit, plan):
    """The what-if property on the pinned cases (hypothesis cannot take explicit examples of a drawn edit)."""
    what_if(case, *edit, plan, "exact")


def what_if(case, kind: str, args: dict[str, Any], plan: PlanSettings, strategy: str) -> None:
    """Base, then the edited inputs cold and warm from the base: both valid; the same optimum (exact)."""
    generated = _count("what-if", case)
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        base = routing.solve(x.net, x.ships, x.inv, settings=plan, options=options(strategy))
        check(base, x.inst, "base", len(x.ships))
        edited = apply_edit(x, kind, args)
        doc, rows, inv = edit_docs(x, kind, args, edited[1])
        STATS[f"what-if edit {kind}"] += generated
        if not rows:  # scale_demand kept no row: nothing to plan (a loaded table is never empty)
            STATS["what-if: empty demand"] += 1
            return
        inst = write_instance(Path(tmp), doc, rows, inv, name="edited")
        cold = routing.solve(*edited, settings=plan, options=options(strategy))
        check(cold, inst, "cold", len(rows))
        warm = routing.solve(*edited, base=base)
        check(warm, inst, "warm", len(rows))
        if strategy == "exact" and cold.status == warm.status == "optimal":
            STATS["what-if: warm vs cold compared"] += 1
            assert shortfall(warm) == shortfall(cold)
            assert warm.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------- e. monotonicity


@settings(max_examples=40, **COMMON)
@given(case=instances(tight=True), plan=plan_settings(waiting=False))
def test_more_lane_capacity_never_makes_the_optimum_dearer(case, plan):
    _count("monotone capacity", case)
    doc = case[0]
    capped = [lane_id(ln) for ln in doc["lanes"] if ln.get("capacity_kg_per_departure") is not None]
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        base = routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("exact"))
        check(base, x.inst, "base", len(x.ships))
        net = x.net
        for lane in capped:
            net = sc.scale_capacity(net, factor=2.0, lane=lane)
        more = copy.deepcopy(doc)
        for ln in more["lanes"]:
            if ln.get("capacity_kg_per_departure") is not None:
                ln["capacity_kg_per_departure"] *= 2.0
        inst = write_instance(Path(tmp), more, case[1], case[2], name="doubled")
        wider = routing.solve(net, x.ships, x.inv, settings=plan, options=options("exact"))
        check(wider, inst, "doubled", len(x.ships))
        if base.status == wider.status == "optimal":
            STATS["monotone: compared"] += 1
            assert no_worse(wider, base), ((shortfall(wider), wider.objective), (shortfall(base), base.objective))
            STATS["monotone: strictly better with more capacity"] += not no_worse(base, wider)


# --------------------------------------------------------------------------- f. bookings


def _legs_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "legs.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@settings(max_examples=40, **COMMON)
@given(case=instances(tight=True), plan=plan_settings(waiting=False), data=st.data())
def test_bookings_are_kept_or_refused_and_only_ever_cost_more(case, plan, data):
    """Plan, then commit a drawn subset of the plan's shipments to their legs and re-plan on a network
    whose lane capacities are scaled by a drawn factor, against the first plan at a drawn change
    penalty: refused exactly when the committed kg overrun a scaled departure, else a valid plan that
    keeps every committed leg and costs no less than the free optimum."""
    generated = _count("bookings", case)
    strategy = data.draw(st.sampled_from(["exact", "aggregate"]), label="strategy")
    factor = data.draw(st.sampled_from([0.5, 1.0, 2.0]), label="capacity factor")
    penalty = data.draw(st.sampled_from([0.0, 0.5, 5.0]), label="change penalty")
    doc = case[0]
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        first = routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("exact"))
        out = check(first, x.inst, "first", len(x.ships))
        legs = _legs_rows(out)
        ids = sorted({r["shipment_id"] for r in legs})
        count = data.draw(st.integers(min(1, len(ids)), len(ids)), label="committed shipments")
        chosen = set(data.draw(st.permutations(ids), label="shipments in order")[:count])
        committed = x.inst.dir / "committed.csv"
        with open(committed, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(legs[0]) if legs else ["shipment_id", "seq", "lane_id",
                                                                            "departure_date"])
            w.writeheader()
            w.writerows(r for r in legs if r["shipment_id"] in chosen)
        tonight = copy.deepcopy(doc)
        cap = {}
        for ln in tonight["lanes"]:
            if ln.get("capacity_kg_per_departure") is not None:
                ln["capacity_kg_per_departure"] *= factor
                cap[lane_id(ln)] = ln["capacity_kg_per_departure"]
        load: Counter[tuple[str, str]] = Counter()
        for r in legs:
            if r["shipment_id"] in chosen and r["lane_id"] in cap and r["departure_date"]:
                load[r["lane_id"], r["departure_date"]] += float(r["chargeable_kg"])
        overrun = any(kg > cap[lane] * (1 + 1e-9) + 1e-9 for (lane, _), kg in load.items())
        y = Loaded(Path(tmp), tonight, case[1], case[2], name="tonight")
        bookings = routing.Bookings(committed=routing.load_booked_legs(committed, y.net),
                                    previous=routing.load_booked_legs(out / "legs.csv", y.net, known_lanes=False),
                                    change_penalty=penalty)
        STATS[f"bookings: {len(chosen) > 0 and 'some' or 'none'} committed"] += generated
        try:
            booked = routing.solve(y.net, y.ships, y.inv, settings=plan, options=options(strategy),
                                   bookings=bookings)
        except routing.InputError as exc:
            assert overrun and "more than its limit" in str(exc), str(exc)
            STATS["bookings: refused, committed kg over a scaled departure"] += 1
            return
        assert not overrun
        out2 = y.inst.dir / "booked"
        booked.write(out2)
        validate_plan(y.inst.network, y.inst.shipments, out2, y.inst.inventory, committed=committed)
        kept = {(r["shipment_id"], r["seq"], r["lane_id"], r["departure_date"]) for r in _legs_rows(out2)}
        assert all((r["shipment_id"], r["seq"], r["lane_id"], r["departure_date"]) in kept
                   for r in legs if r["shipment_id"] in chosen)
        STATS["bookings: plans validated"] += 1
        if strategy != "exact" or booked.status != "optimal":
            return
        free = routing.solve(y.net, y.ships, y.inv, settings=plan, options=options("exact"))
        if free.status == "optimal":
            STATS["bookings: compared with the free optimum"] += 1
            assert no_worse(free, booked), ((shortfall(free), free.objective), (shortfall(booked), booked.objective))


@settings(max_examples=25, **COMMON)
@given(case=instances(), plan=plan_settings(waiting=False), penalty=st.sampled_from([0.01, 1.0, 50.0]))
def test_replanning_against_its_own_optimum_changes_nothing(case, plan, penalty):
    """The same inputs re-planned against their own optimal plan at any change penalty: every change
    costs more, so none is made and the objective is the first plan's."""
    _count("bookings: own plan", case)
    with _tmp() as tmp:
        x = Loaded(Path(tmp), *case)
        first = routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("exact"))
        out = check(first, x.inst, "first", len(x.ships))
        again = routing.solve(x.net, x.ships, x.inv, settings=plan, options=options("exact"), bookings=routing.Bookings(
            previous=routing.load_booked_legs(out / "legs.csv", x.net), change_penalty=penalty))
        check(again, x.inst, "again", len(x.ships))
        if first.status == again.status == "optimal":
            STATS["bookings: own optimum kept"] += 1
            assert again.summary_data["bookings"]["changed"] == 0
            assert again.objective == pytest.approx(first.objective, rel=1e-9, abs=1e-6)

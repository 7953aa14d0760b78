"""Warm re-plan, ``solve(..., base=result)``: the same optimum as a cold solve for every edit kind,
the same candidate options, reuse where the edit allows it, and a base left untouched."""

from __future__ import annotations

import numpy as np
import pytest

import routing
from routing import PlanSettings, SolveOptions
from routing import scenario as sc
from routing.candidates import build_candidates
from routing.data.generate import write_generated
from routing.model import build_model

from .helpers import write_instance
from .test_brute_force import random_instance
from .validator import validate_plan

SETTINGS = PlanSettings(horizon_days=5, unassigned_penalty=60.0)

# edit name -> (network, shipments, inventory) -> edited (network, shipments, inventory); None: not applicable
EDITS = {
    "close node": lambda n, s, i: (sc.close_node(n, "B1"), s, i),
    "close lane": lambda n, s, i: (sc.close_lane(n, "exp"), s, i),
    "capacity x0.5 air": lambda n, s, i: (sc.scale_capacity(n, factor=0.5, mode="air"), s, i),
    "capacity x3 all lanes from H1": lambda n, s, i: (sc.scale_capacity(n, factor=3.0, lane_from="H1"), s, i),
    "capacity set gateway": lambda n, s, i: (sc.scale_capacity(n, value=1, node="G1"), s, i),
    "capacity on the hub": lambda n, s, i: (sc.scale_capacity(n, value=2, node="H1"), s, i),
    "lane cost": lambda n, s, i: (sc.scale_cost(n, 1.3, lane="exp"), s, i),
    "fuel surcharge": lambda n, s, i: (sc.fuel_surcharge(n, 0.25), s, i),
    "all costs x2": lambda n, s, i: (sc.scale_all_costs(n, 2.0), s, i),
    "promise": lambda n, s, i: (sc.set_market(n, "M1", promise_days=3), s, i),
    "target": lambda n, s, i: (sc.set_market(n, "M1", on_time_target=0.9), s, i),
    "penalty, duty, de minimis": lambda n, s, i: (
        sc.set_market(n, "M1", late_penalty_per_day=9.0, duty_rate=0.3, de_minimis=None), s, i),
    "add lane": lambda n, s, i: (sc.add_lane(n, **{"id": "direct", "from": "H1", "to": "M1", "mode": "express",
                                                   "transit_days": 2, "cost_per_kg": 4.0}), s, i),
    "demand x2": lambda n, s, i: (n, sc.scale_demand(s, n, 2.0, market="M1", seed=3), i),
    "demand x0.5": lambda n, s, i: (n, sc.scale_demand(s, n, 0.5, market="M1", seed=3), i),
    "stock set": lambda n, s, i: None if i is None else (n, s, sc.set_stock(i, n, "B1", "A", 0)),
    "stock x2": lambda n, s, i: None if i is None else (n, s, sc.scale_stock(i, 2.0)),
}


def _load(tmp_path, seed):
    network_doc, shipments, inventory = random_instance(seed)
    inst = write_instance(tmp_path, network_doc, shipments, inventory, name=f"w{seed}")
    net = routing.load_network(inst.network)
    ships = routing.load_shipments(inst.shipments, net)
    inv = routing.load_inventory(inst.inventory, net) if inst.inventory else None
    return net, ships, inv


def _optimum(result: routing.Result) -> tuple[int, float]:
    s = result.summary_data
    return sum(m["shortfall"] for m in s["markets"].values()), s["objective"]


def _options(result: routing.Result, cand=None) -> list[tuple]:
    """Every candidate option as (shipment id, route lanes, departures, cost, on time), sorted."""
    c = result.warm_start.candidates if cand is None else cand
    ids = result.warm_start.shipments.ids.to_pylist()
    return sorted(zip([ids[s] for s in c.var_ship.tolist()], [c.routes[r].lanes for r in c.var_route.tolist()],
                      [c.schedules[k].departures for k in c.var_sched.tolist()], np.round(c.var_cost, 9).tolist(),
                      c.var_ontime.tolist(), strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_warm_replan_gives_the_cold_optimum_for_every_edit(tmp_path, seed):
    net, ships, inv = _load(tmp_path, seed)
    base = routing.solve(net, ships, inv, settings=SETTINGS)
    assert base.status == "optimal"
    for name, edit in EDITS.items():
        edited = edit(net, ships, inv)
        if edited is None:
            continue
        cold = routing.solve(*edited, settings=SETTINGS)
        warm = routing.solve(*edited, settings=SETTINGS, base=base)
        assert cold.status == warm.status == "optimal", name
        short_c, obj_c = _optimum(cold)
        short_w, obj_w = _optimum(warm)
        assert short_w == short_c and obj_w == pytest.approx(obj_c, rel=1e-9, abs=1e-9), (seed, name)
        # the reused candidates are exactly the cold ones
        assert _options(warm) == _options(cold), (seed, name)
        w, c = warm.warm_start, cold.warm_start
        assert list(w.candidates.unroutable_reason) == list(c.candidates.unroutable_reason), (seed, name)
        # and so is the model built on them, row for row (capacity-row incidence reused from the base)
        assert np.array_equal(w.model.res_keys, c.model.res_keys), (seed, name)
        assert w.model.A.shape == c.model.A.shape and (w.model.A != c.model.A).nnz == 0, (seed, name)


def test_warm_reuses_what_the_edit_leaves_valid(tmp_path):
    net, ships, inv = _load(tmp_path, 1)
    base = routing.solve(net, ships, inv, settings=SETTINGS)
    info = {name: routing.solve(*EDITS[name](net, ships, inv), settings=SETTINGS, base=base).summary_data["warm"]
            for name in ("capacity x0.5 air", "lane cost", "promise", "close lane", "add lane", "demand x2",
                         "capacity on the hub")}
    n = len(ships)
    text = routing.solve(*EDITS["lane cost"](net, ships, inv), settings=SETTINGS, base=base).summary()
    assert "warm re-plan: option table reused, re-priced;" in text
    # a capacity value changes no option: the table and every shipment's options are kept
    assert info["capacity x0.5 air"] == {"table": "reused", "repriced": 0, "kept": n}
    # a cost or market edit keeps the table; only the shipments it touches are priced again
    assert info["lane cost"]["table"] == "reused, re-priced"
    assert info["promise"]["table"] == "reused"
    assert info["close lane"]["table"] == "reused, re-priced"
    # new shipments are priced, the others kept
    assert info["demand x2"]["table"] == "reused" and info["demand x2"]["kept"] == n
    assert info["demand x2"]["repriced"] > 0
    # an added lane extends the table (here its new routes reach every group: all priced again)
    assert info["add lane"] == {"table": "extended (lanes added; schedules reused)", "repriced": n, "kept": 0}
    # a newly capacitated node needs a new table
    assert info["capacity on the hub"]["table"] == "rebuilt (node 'H1': timing or capacitated flag changed)"


@pytest.mark.parametrize(("name", "seed"), [("capacity x0.5 air", 1), ("capacity x3 all lanes from H1", 1),
                                          ("capacity set gateway", 4), ("target", 2), ("stock x2", 1)])
def test_an_edit_of_limits_keeps_the_model_and_changes_only_its_bounds(tmp_path, name, seed):
    """Instances where the edit changes a limit but no option: the model's matrix is the base's."""
    net, ships, inv = _load(tmp_path, seed)
    base = routing.solve(net, ships, inv, settings=SETTINGS)
    edited = EDITS[name](net, ships, inv)
    w, b = routing.solve(*edited, settings=SETTINGS, base=base).warm_start, base.warm_start
    assert w.candidates is b.candidates and w.model.A is b.model.A
    fresh = build_model(*edited, b.candidates, SETTINGS.unassigned_penalty)
    for field in ("cost", "col_ub", "row_lb", "row_ub", "res_keys", "res_cap", "target_markets", "target_need",
                  "target_shipments", "u_ship", "col_assign_row"):
        assert np.array_equal(getattr(w.model, field), getattr(fresh, field)), (name, field)
    assert (w.model.A != fresh.A).nnz == 0
    assert (w.model.A_res != fresh.A_res).nnz == 0 and (w.model.A_target != fresh.A_target).nnz == 0
    assert not np.array_equal(w.model.row_lb, b.model.row_lb) or \
        not np.array_equal(w.model.row_ub, b.model.row_ub)  # the edit did change a limit


def test_reopening_rebuilds_and_still_matches_cold(tmp_path):
    net, ships, inv = _load(tmp_path, 2)
    closed = sc.close_lane(net, "exp")
    base = routing.solve(closed, ships, inv, settings=SETTINGS)
    warm = routing.solve(sc.reopen_lane(closed, "exp"), ships, inv, settings=SETTINGS, base=base)
    cold = routing.solve(net, ships, inv, settings=SETTINGS)
    assert warm.summary_data["warm"]["table"] == "rebuilt (lane 'exp' reopened)"
    assert _optimum(warm) == pytest.approx(_optimum(cold))


def test_warm_replan_leaves_the_base_untouched_and_is_deterministic(tmp_path):
    net, ships, inv = _load(tmp_path, 3)
    base = routing.solve(net, ships, inv, settings=SETTINGS)
    b = base.warm_start
    before = (b.solution.values.copy(), b.candidates.var_cost.copy(), b.candidates.var_ship.copy(),
              base.plan, dict(base.summary_data["counts"]), b.candidates.table.fixed.copy())
    edited = sc.close_lane(net, "exp")
    first = routing.solve(edited, ships, inv, settings=SETTINGS, base=base)
    second = routing.solve(edited, ships, inv, settings=SETTINGS, base=base)
    assert first.plan.equals(second.plan) and first.legs.equals(second.legs)
    after = (b.solution.values, b.candidates.var_cost, b.candidates.var_ship, base.plan,
             base.summary_data["counts"], b.candidates.table.fixed)
    for x, y in zip(before, after, strict=True):
        assert (np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y or x.equals(y))
    assert b.network.lane("exp").closed is False


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    """2,000 generated shipments on the bundled network, planned by the aggregate strategy."""
    d = tmp_path_factory.mktemp("medium")
    net = routing.load_network("fixtures/network.yaml")
    paths = write_generated(net, 2_000, 5, d, days=7)
    ships = routing.load_shipments(paths["shipments"], net)
    options = SolveOptions(strategy="aggregate", time_limit=30)
    return d, net, ships, paths["shipments"], routing.solve(net, ships, options=options)


def _hgh_fra(net):
    return sc.add_lane(net, **{"id": "HGH-FRA-air-2", "from": "CN-HGH-HUB", "to": "DE-FRA-GW", "mode": "air",
                               "transit_days": 1, "cost_per_kg": 3.2, "volumetric_divisor": 6000,
                               "capacity_kg_per_departure": 40})


def test_an_added_lane_extends_the_table(medium):
    """Only the groups the new lane gives new routes are priced again; the rest keep their options,
    renumbered into the wider table, and the candidates are exactly a cold build's."""
    _, net, ships, _, base = medium
    edited = _hgh_fra(net)
    warm = routing.solve(edited, ships, base=base)
    info = warm.summary_data["warm"]
    assert info["table"] == "extended (lanes added; schedules reused)"
    assert 0 < info["repriced"] < len(ships) // 2 and info["kept"] == len(ships) - info["repriced"]
    old_t, new_t = base.warm_start.candidates.table, warm.warm_start.candidates.table
    assert new_t.K > old_t.K  # the slot grid widened
    reused = {id(s) for s in old_t.schedules}
    assert sum(id(s) in reused for s in new_t.schedules) > 0.9 * len(old_t.schedules)
    # spliced: the base's routes and schedules keep their places, the rebuilt groups' new ones come after
    assert len(new_t.routes) > len(old_t.routes)
    assert all(a is b for a, b in zip(old_t.routes, new_t.routes, strict=False))
    assert all(a is b for a, b in zip(old_t.schedules, new_t.schedules, strict=False))
    cold = build_candidates(edited, ships, None, base.warm_start.settings)
    assert _options(warm) == _options(warm, cold)
    assert list(warm.warm_start.candidates.unroutable_reason) == list(cold.unroutable_reason)
    # with other edits in the same step: a Korean lane's cost (kept groups must see it) and a US lane closed
    mixed = sc.close_lane(sc.scale_cost(_hgh_fra(net), 1.3, lane="CAN-ICN-air"), "SZX-JFK-air")
    warm = routing.solve(mixed, ships, base=base)
    assert warm.summary_data["warm"]["table"].startswith("extended") and warm.summary_data["warm"]["kept"] > 0
    assert _options(warm) == _options(warm, build_candidates(mixed, ships, None, base.warm_start.settings))
    # a lane with a volumetric divisor the network did not have changes every chargeable weight
    odd = sc.add_lane(net, **{"id": "HGH-FRA-x", "from": "CN-HGH-HUB", "to": "DE-FRA-GW", "mode": "air",
                              "transit_days": 1, "cost_per_kg": 3.2, "volumetric_divisor": 7000})
    warm = routing.solve(odd, ships, base=base)
    assert warm.summary_data["warm"]["repriced"] == len(ships)
    assert _options(warm) == _options(warm, build_candidates(odd, ships, None, base.warm_start.settings))


def test_a_lane_no_pair_can_use_keeps_the_base_table(medium):
    """A lane out of a closed warehouse gives no pair a route: the base table serves as it is (re-priced,
    nothing re-priced in fact) and the candidates are still a cold build's."""
    _, net, ships, _, _ = medium
    closed = sc.close_node(net, "BE-LGG-BW")
    base = routing.solve(closed, ships, options=SolveOptions(strategy="aggregate", time_limit=30))
    edited = sc.add_lane(closed, **{"id": "LGG-BW-NL-x", "from": "BE-LGG-BW", "to": "NL", "mode": "truck",
                                    "transit_days": 1, "cost_per_kg": 0.3, "cost_per_parcel": 2.0})
    warm = routing.solve(edited, ships, base=base)
    info = warm.summary_data["warm"]
    assert info["table"].startswith("extended") and info["repriced"] == 0 and info["kept"] == len(ships)
    assert warm.warm_start.candidates.table.routes is base.warm_start.candidates.table.routes
    assert _options(warm) == _options(warm, build_candidates(edited, ships, None, base.warm_start.settings))
    assert warm.objective <= base.objective + 1e-6  # the same options: the base plan is still there


@pytest.mark.parametrize("edit", [
    lambda n: sc.close_node(n, "BE-LGG-BW"),
    lambda n: sc.scale_capacity(n, factor=0.5, lane="SZX-LAX-air"),
    lambda n: sc.set_market(n, "DE", promise_days=3),
    _hgh_fra,
], ids=["close bonded", "lane capacity x0.5", "promise DE 3 days", "add lane HGH-FRA"])
def test_local_warm_replan_is_valid_and_close_to_the_optimum(medium, edit):
    d, net, ships, ships_path, base = medium
    edited = edit(net)
    warm = routing.solve(edited, ships, base=base)
    assert warm.summary_data["strategy"] == "warm-local"
    assert routing.solve(edited, ships, base=base).plan.equals(warm.plan)  # deterministic
    out = d / f"warm-{abs(hash(edited))}"
    warm.write(out)
    validate_plan(routing.save_network(edited, out / "network.yaml"), ships_path, out)
    exact = routing.solve(edited, ships, options=SolveOptions(strategy="exact", time_limit=60, gap=0))
    # the warm bound is a true lower bound; the warm plan is within 1% of the optimum
    assert warm.summary_data["lower_bound"] <= exact.objective + 1e-6
    assert warm.objective <= 1.01 * exact.objective
    assert sum(m["shortfall"] for m in warm.summary_data["markets"].values()) == \
        sum(m["shortfall"] for m in exact.summary_data["markets"].values())


@pytest.mark.parametrize("seed", range(4))
def test_a_warm_result_is_the_base_of_the_next_edit(tmp_path, seed):
    """What-ifs chained (close a lane, then also halve air capacity, then double demand), each warm
    from the one before: every step gives the cold optimum of its own inputs."""
    net, ships, inv = _load(tmp_path, seed)
    steps = [lambda n, s: (sc.close_lane(n, "exp"), s), lambda n, s: (sc.scale_capacity(n, factor=0.5, mode="air"), s),
             lambda n, s: (n, sc.scale_demand(s, n, 2.0, seed=seed))]
    prev = routing.solve(net, ships, inv, settings=SETTINGS)
    for k, step in enumerate(steps):
        net, ships = step(net, ships)
        warm = routing.solve(net, ships, inv, settings=SETTINGS, base=prev)
        cold = routing.solve(net, ships, inv, settings=SETTINGS)
        assert "warm" in warm.summary_data and warm.status == cold.status == "optimal", (seed, k)
        assert _optimum(warm)[0] == _optimum(cold)[0], (seed, k)
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-9), (seed, k)
        prev = warm


def test_a_local_warm_result_is_the_base_of_the_next_edit(medium):
    """At the aggregate strategy's size: Liège closed warm from the base, then Shenzhen-LAX capacity
    halved warm from that answer; the second plan passes the validator, its bound is a true bound and
    it is within 1% of the optimum of its inputs."""
    d, net, ships, ships_path, base = medium
    closed = sc.close_node(net, "BE-LGG-BW")
    first = routing.solve(closed, ships, base=base)
    both = sc.scale_capacity(closed, factor=0.5, lane="SZX-LAX-air")
    second = routing.solve(both, ships, base=first)
    assert first.summary_data["strategy"] == second.summary_data["strategy"] == "warm-local"
    out = d / "chained"
    second.write(out)
    validate_plan(routing.save_network(both, out / "network.yaml"), ships_path, out)
    exact = routing.solve(both, ships, options=SolveOptions(strategy="exact", time_limit=60, gap=0))
    assert second.summary_data["lower_bound"] <= exact.objective + 1e-6
    assert second.objective <= 1.01 * exact.objective


def test_a_tightened_promise_flips_parcels_of_the_market_it_leaves_short(medium):
    """The German promise cut to 3 days leaves the carried plan short of Germany's on-time need
    (the need itself is unchanged): the local focus takes German parcels, late in the carried plan,
    that an on-time option could serve."""
    from routing.candidates.reuse import warm_candidates
    from routing.model import build_model
    from routing.strategies.lagrangian import priced_costs
    from routing.strategies.warm import carried_prices, carry_plan, target_flips

    _, net, ships, _, base = medium
    edited = sc.set_market(net, "DE", promise_days=3)
    warm = base.warm_start
    cand, reuse = warm_candidates(warm, edited, ships, None, warm.settings)
    model = build_model(edited, ships, None, cand, base.warm_start.settings.unassigned_penalty)
    assert list(model.target_need) == list(base.warm_start.model.target_need)
    start, _ = carry_plan(warm, cand, model, reuse)
    de = edited.node_index["DE"]
    row = model.target_markets.tolist().index(de)
    assert model.A_target[row] @ start[:model.n_x] < model.target_need[row]  # short after the cut
    flips = target_flips(warm, model, cand, start, priced_costs(model, cand, *carried_prices(warm, model)),
                         len(ships), SolveOptions().warm.target_extra)
    assert flips.any() and (cand.destination[flips] == de).all()
    chosen = np.flatnonzero(start[:model.n_x] > 0.5)
    on_now = np.zeros(len(ships), dtype=bool)
    on_now[cand.var_ship[chosen[cand.var_ontime[chosen]]]] = True
    can_be_on = np.zeros(len(ships), dtype=bool)
    can_be_on[cand.var_ship[cand.var_ontime]] = True
    assert not on_now[flips].any() and can_be_on[flips].all()


def _one_taken_out(tmp_path, seed):
    """An exact optimum of a seeded tiny instance and a copy of its plan with one parcel taken out (the
    first placed at an option cheaper than the penalty; None if there is none), shortfall recomputed:
    what a rounding that leaves a parcel out hands on. Returns (optimum, plan, that parcel's column)."""
    net, ships, inv = _load(tmp_path, seed)
    opt = routing.solve(net, ships, inv, settings=SETTINGS, options=SolveOptions(strategy="exact", gap=0))
    model, cand, values = opt.warm_start.model, opt.warm_start.candidates, opt.warm_start.solution.values.copy()
    n_x, n_u = model.n_x, model.n_u
    cheap = np.flatnonzero((values[:n_x] > 0.5) & (cand.var_cost < model.unassigned_penalty))
    if not len(cheap):
        return opt, None, None
    out = cheap[0]
    values[out] = 0.0
    values[n_x + model.col_assign_row[out]] = 1.0  # left out at the penalty
    values[n_x + n_u:] = np.maximum(0.0, model.target_need - model.A_target @ values[:n_x])
    return opt, values, out


@pytest.mark.parametrize("seed", range(6))
def test_a_left_out_parcel_is_placed_again_by_the_repair(tmp_path, seed):
    """``repair_left_out`` on a plan with one parcel taken out (a rounding's leftover): over the
    whole (small) model it returns the optimum again, to within its 5%-of-the-penalty MIP gap, and
    never anything dearer than the plan it was given."""
    from routing.strategies.repair import repair_left_out

    opt, values, _ = _one_taken_out(tmp_path, seed)
    if values is None:
        pytest.skip("no parcel placed below the penalty")
    model = opt.warm_start.model
    again = repair_left_out(model, values, np.ones(model.n_cols, dtype=bool), opt.warm_start.options, 10.0)
    assert again is not None
    left, best = float(model.cost @ values), float(model.cost @ opt.warm_start.solution.values)
    assert float(model.cost @ again) <= left + 1e-9
    assert float(model.cost @ again) <= best + 0.05 * model.unassigned_penalty + 1e-6


@pytest.mark.parametrize("per_rows", [(5, 40), (2, 5, 40)])
@pytest.mark.parametrize("seed", range(4))
def test_place_left_out_puts_a_parcel_back(tmp_path, seed, per_rows):
    """A parcel taken out of an exact optimum (an option cheaper than the penalty is open) is found by
    ``left_out`` and placed again by ``place_left_out``: no more parcels out than the optimum leaves,
    the optimum's cost back within the repair's 5%-of-the-penalty gap."""
    from routing.strategies.neighbourhood import left_out
    from routing.strategies.repair import place_left_out

    opt, values, out = _one_taken_out(tmp_path, seed)
    if values is None:
        pytest.skip("no parcel placed below the penalty")
    model, cand = opt.warm_start.model, opt.warm_start.candidates
    before = left_out(model, cand, opt.warm_start.solution.values)  # parcels the optimum itself cannot place
    now = left_out(model, cand, values)
    assert now[cand.var_ship[out]] and (now & ~before).sum() == 1
    again = place_left_out(model, cand, values, cand.var_cost, opt.warm_start.options, 10.0, per_rows=per_rows)
    assert left_out(model, cand, again).sum() <= before.sum()
    best = float(model.cost @ opt.warm_start.solution.values)
    assert float(model.cost @ again) <= best + 0.05 * model.unassigned_penalty + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_lp_prices_keep_the_carried_price_on_rows_held_at_their_limit(tmp_path, seed):
    """Row prices after a restricted LP: a nonzero dual is taken as it is; a capacity row the LP
    holds at its limit with dual 0 (a degenerate vertex: nothing on it left to move) keeps its
    carried price, one it holds below its limit is priced 0; rows the LP does not hold keep the
    prices so far; the same for target rows at / above their need. The bound returned is the
    Lagrangian bound at the prices returned."""
    from routing.backends.restricted_lp import RestrictedSolution
    from routing.strategies.lagrangian import lagrangian_bound
    from routing.strategies.local import lp_prices

    net, ships, inv = _load(tmp_path, seed)
    opt = routing.solve(net, ships, inv, settings=SETTINGS, options=SolveOptions(strategy="exact", gap=0))
    model, cand, values = opt.warm_start.model, opt.warm_start.candidates, opt.warm_start.solution.values
    n_x, n_res, n_t = model.n_x, len(model.res_keys), len(model.target_markets)
    at_cap = model.A_res @ values[:n_x] >= model.res_cap - 1e-6 * np.maximum(1.0, model.res_cap)
    if not at_cap.any() or at_cap.all():
        pytest.skip("no row at its limit, or no row below it")
    rng = np.random.default_rng(seed)
    price0, mu0 = rng.uniform(1.0, 5.0, n_res), rng.uniform(1.0, 5.0, n_t)  # carried
    so_far, mu_so_far = rng.uniform(0.0, 1.0, n_res), rng.uniform(0.0, 1.0, n_t)
    held = rng.random(n_res) < 0.7
    dual = np.where(rng.random(n_res) < 0.5, 0.0, -rng.uniform(0.5, 2.0, n_res))  # capacity duals <= 0
    for row in (np.flatnonzero(at_cap)[0], np.flatnonzero(~at_cap)[0]):  # one of each, held with dual 0
        held[row], dual[row] = True, 0.0
    dual_t = np.where(rng.random(n_t) < 0.5, 0.0, rng.uniform(0.5, 2.0, n_t))
    at_need = model.A_target @ values[:n_x] <= model.target_need + 1e-6
    dual_t[np.flatnonzero(at_need)[:1]] = 0.0  # a target met exactly, with dual 0
    duals = np.full(model.n_rows, np.nan)
    duals[model.res_row0 + np.flatnonzero(held)] = dual[held]
    duals[model.target_row0:] = dual_t
    now = lp_prices(model, cand, RestrictedSolution(values, duals, 0.0), so_far, mu_so_far, price0, mu0)
    price, mu, bound = now.price, now.mu, now.bound
    assert np.array_equal(price, np.where(~held, so_far, np.where(dual < 0, -dual, np.where(at_cap, price0, 0.0))))
    assert np.array_equal(mu, np.where(dual_t > 0, dual_t, np.where(at_need, mu0, 0.0)))
    assert bound == pytest.approx(lagrangian_bound(model, cand, price, mu), rel=1e-12)

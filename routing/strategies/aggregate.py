"""Strategy ``aggregate``: classes → class LP → disaggregation → repair MIP → Lagrangian bound.

For very large instances. Shipments whose only useful option uses no capacity are settled at
once. The others are grouped into *classes*: same order group, channel, promise, duty status,
kept options and chargeable kg in the same ``options.aggregate.bucket`` log bucket. One LP over classes (a column per
class and option, costs and kg averaged) prices every capacity and target row. Each class's
integral LP counts are handed to its members (heavier parcels to the options with the flattest
kg cost), over-full rows shed parcels, and the parcels left over are re-planned with the cheapest
holders to move on the rows they need (restricted LP from the plan's basis, then a small MIP;
:mod:`routing.strategies.repair`). While the plan misses the gap target, the polish re-optimises the
shipments some option beats at the class LP's prices by pricing rounds over the per-shipment model
(:mod:`routing.strategies.local`). The lower bound is the Lagrangian bound of the full per-shipment
model at the class LP's prices or the polish's, the better: valid whatever the aggregation.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ..arrays import by_group_then, factorize, index_in
from ..backends.component_lp import LPBasis, solve_components
from ..backends.status import NotSolved
from ..candidates.candidates import Candidates
from ..candidates.keys import factorize_keys
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..model import Model
from ..progress import Progress
from ..settings import SolveOptions, Status, Strategy
from .lagrangian import lagrangian_bound, priced_best, priced_costs
from .local import Prices, improvable, improve_locally
from .neighbourhood import left_out, neighbours, ship_columns
from .repair import (
    MIN_SECONDS,
    degraded,
    fallback_seconds,
    fill_capacity,
    fill_unassigned,
    place_left_out,
    reoptimise,
    shed_overload,
)
from .solution import ClassLPDetails, Solution, empty_solution, within_gap


@dataclass(frozen=True, eq=False)
class Classes:
    """Contested shipments grouped: ``of_ship`` (-1 for settled shipments), size per class."""

    of_ship: np.ndarray
    size: np.ndarray
    settled_var: np.ndarray  # per shipment: its only variable when settled, else -1


def make_classes(cand: Candidates, shipments: Shipments, bucket: float, with_sku: bool,
                 duty_step: float) -> Classes:
    """Settle the shipments whose only option uses no capacity; group the others (the contested ones)
    into classes of the same order group, channel, promise, duty step (``duty_step``, currency, for
    duty-free JIT parcels), chargeable kg in one log bucket of width a factor ``1 + bucket`` and,
    ``with_sku``, sku and
    quantity."""
    n = len(shipments)
    start, count = cand.ship_first[:-1], cand.ship_vars
    uses = np.bincount(cand.inc_var, minlength=max(cand.n_vars, 1)) > 0  # (one entry at least: indexed below)
    single = count == 1
    settled_var = np.where(single & ~uses[np.minimum(start, max(cand.n_vars - 1, 0))], start, -1)
    contested = (count > 1) | (single & (settled_var < 0))
    log_b = math.log1p(bucket)
    kg = np.floor(np.log(np.maximum(cand.chargeable, 1e-6)) / log_b).astype(np.int64)
    # value only changes the choice where a JIT parcel is duty-free (bonded pays duty on it)
    exempt = cand.data.duty_exempt_jit
    duty = cand.data.duty_rate * shipments.value
    value_b = np.where(exempt, np.floor(duty / duty_step), -1).astype(np.int64)
    cols = [shipments.channel.astype(np.int64), cand.data.promise.astype(np.int64), value_b,
            cand.order_day.astype(np.int64), shipments.destination.astype(np.int64),
            shipments.origin.astype(np.int64)] + [kg[:, d] for d in range(kg.shape[1])]
    if with_sku:
        cols += [shipments.sku.astype(np.int64), shipments.quantity.astype(np.int64)]
    if cand.booked is not None:  # members share the options the penalty spares, and their group's added ones
        cols += [cand.booked.previous, cand.table.group_of]
    inv = factorize([c[contested] for c in cols])
    of_ship = np.full(n, -1, dtype=np.int64)
    of_ship[contested] = inv
    size = np.bincount(inv)
    return Classes(of_ship=of_ship, size=size, settled_var=settled_var)


def _slot_rank(cand: Candidates) -> np.ndarray:
    """A per-variable rank of how fast cost grows with kg (route's kg cost), for handing out parcels."""
    return cand.var_cost / np.maximum(cand.chargeable[cand.var_ship, 0], 1e-6)


def solve_aggregate(network: Network, shipments: Shipments, inventory: Inventory | None, cand: Candidates,
                    model: Model, options: SolveOptions, progress: Progress, start: LPBasis | None = None) -> Solution:
    """Plan ``model`` by classes (see the module's description) within ``options.time_limit``; ``start``:
    a class-LP basis of a previous solve (used if the class LP has the same pattern). The solution
    keeps the class LP's final basis."""
    if model.n_cols == 0:
        return empty_solution(model.n_rows, Strategy.AGGREGATE)
    params = options.aggregate
    unassigned_penalty = model.unassigned_penalty
    deadline = time.perf_counter() + options.time_limit
    fallback = fallback_seconds(cand)  # kept for the solver-free plan, should the class LP not be solved

    def out_of_time() -> Solution:
        return degraded(model, cand, Strategy.AGGREGATE, Status.TIME_LIMIT, "no time left for the class LP")

    if options.time_limit < fallback + MIN_SECONDS:
        return out_of_time()
    cls = make_classes(cand, shipments, params.bucket, with_sku=inventory is not None, duty_step=params.duty_step)
    n_cls = len(cls.size)
    in_cls = cls.of_ship[cand.var_ship] >= 0
    cvar = np.flatnonzero(in_cls)
    # one LP column per (class, route, schedule); members share their kept options by construction
    var_class = cls.of_ship[cand.var_ship[cvar]]
    col_of = factorize([var_class, cand.var_route[cvar], cand.var_sched[cvar]])
    n_col = int(col_of.max(initial=-1)) + 1
    col_class = np.zeros(n_col, dtype=np.int64)
    col_class[col_of] = var_class
    size = cls.size[col_class].astype(np.float64)
    # members may differ in which options survived pruning: average over those that have the column
    col_count = np.bincount(col_of, minlength=n_col).astype(np.float64)
    col_cost = np.bincount(col_of, weights=cand.var_cost[cvar], minlength=n_col) / col_count
    col_ontime = np.zeros(n_col, dtype=bool)
    col_ontime[col_of] = cand.var_ontime[cvar]
    # resource rows: mean coefficient over the class's members
    var_col = np.full(cand.n_vars, -1, dtype=np.int64)
    var_col[cvar] = col_of
    inc_mask = var_col[cand.inc_var] >= 0
    row_keys, row_of = factorize_keys(cand.inc_key[inc_mask])
    n_res = len(row_keys)
    A_res = sp.csr_matrix((cand.inc_coef[inc_mask], (row_of.ravel(), var_col[cand.inc_var[inc_mask]])),
                          shape=(n_res, n_col))
    A_res = sp.csr_matrix(A_res.multiply(1.0 / col_count[None, :]))
    res_cap = model.res_cap[np.searchsorted(model.res_keys, row_keys)]  # what committed shipments leave
    # targets: need net of settled on-time shipments
    t_markets, t_need = model.target_markets, model.target_need.astype(np.float64)
    settled = cls.settled_var >= 0
    settled_on = np.bincount(shipments.destination[settled], weights=cand.var_ontime[cls.settled_var[settled]],
                             minlength=len(network.nodes))
    resid_need = np.maximum(0.0, t_need - settled_on[t_markets])
    market_row = np.full(len(network.nodes), -1, dtype=np.int64)
    market_row[t_markets] = np.arange(len(t_markets))
    col_market = shipments.destination[np.maximum(cand.var_ship[cvar[np.unique(col_of, return_index=True)[1]]], 0)]
    on_cols = np.flatnonzero(col_ontime & (market_row[col_market] >= 0))
    n_t = len(t_markets)
    # [assignment rows per class | capacity rows | target rows]; columns [z | u per class | s per target]
    A = sp.vstack([
        sp.hstack([sp.csr_matrix((np.ones(n_col), (col_class, np.arange(n_col))), shape=(n_cls, n_col)),
                   sp.identity(n_cls, format="csr"), sp.csr_matrix((n_cls, n_t))]),
        sp.hstack([A_res, sp.csr_matrix((n_res, n_cls + n_t))]),
        sp.hstack([sp.csr_matrix((np.ones(len(on_cols)), (market_row[col_market[on_cols]], on_cols)),
                                 shape=(n_t, n_col)), sp.csr_matrix((n_t, n_cls)), sp.identity(n_t, format="csr")]),
    ]).tocsr()
    cost = np.concatenate([col_cost, np.full(n_cls, unassigned_penalty), np.full(n_t, model.shortfall_penalty)])
    col_ub = np.concatenate([size, cls.size.astype(float), resid_need])
    row_lb = np.concatenate([cls.size.astype(float), np.full(n_res, -np.inf), resid_need])
    row_ub = np.concatenate([cls.size.astype(float), res_cap, np.full(n_t, np.inf)])
    if deadline - time.perf_counter() < fallback + MIN_SECONDS:
        return out_of_time()
    with progress.phase("solve", f"class LP: {n_cls:,} classes of {int(cls.size.sum()):,} contested shipments, "
                                 f"{n_col:,} columns x {A.shape[0]:,} rows") as info:
        try:
            lp = solve_components(cost, col_ub, A, row_lb, row_ub, max(0.01, deadline - fallback - time.perf_counter()),
                                  workers=max(1, options.threads) + 1, start=start)
        except NotSolved as exc:  # no class LP in time: each parcel on its cheapest capacity-free option
            info["done"] = f"{exc}; parcels on their cheapest capacity-free options"
            return degraded(model, cand, Strategy.AGGREGATE,
                            Status.TIME_LIMIT if exc.status == Status.TIME_LIMIT else Status.HEURISTIC,
                            "no class LP solved")
        info["done"] = (f"class LP {lp.objective:,.2f}, {lp.iterations:,} simplex iterations"
                        + (" from the base's basis" if lp.warm else ""))
    price = np.maximum(0.0, -lp.duals[n_cls:n_cls + n_res])  # per capacity row, currency per kg/parcel/unit
    mu = np.maximum(0.0, lp.duals[n_cls + n_res:])  # per target row, currency per on-time parcel

    # prices on the model's rows: Lagrangian reduced costs of every shipment option
    model_price = np.zeros(len(model.res_keys))
    pos = np.searchsorted(row_keys, model.res_keys)
    # (rows only committed shipments take are model rows without a class column)
    found = (pos < n_res) & (row_keys[np.minimum(pos, n_res - 1)] == model.res_keys) if n_res else pos < 0
    model_price[found] = price[pos[found]]
    priced = priced_costs(model, cand, model_price, mu)
    with progress.phase("solve", "disaggregating classes, repairing capacities") as info:
        values = _disaggregate(model, cand, cls, lp.values[:n_col], col_of, cvar, n_col)
        values = shed_overload(model, values)
        taken = model.options_taken(values) > 0.5
        open_ships = np.zeros(len(cand.unroutable_reason), dtype=bool)
        open_ships[model.u_ship[~taken]] = True  # without an option yet
        free = ship_columns(model, cand, open_ships)
        free |= neighbours(model, cand, priced, values, free, per_row=params.neighbours)
        info["done"] = f"{int(free[:model.n_x + model.n_u].sum()):,} columns left to re-plan"
    with progress.phase("solve", "repair MIP on the parcels left over") as info:
        values = fill_unassigned(model, values, taken)
        repaired = reoptimise(model, values, free, options, max(0.05, deadline - time.perf_counter())) \
            if time.perf_counter() < deadline else None
        if repaired is None:  # out of time: the parcels left over take what capacity is still free
            taken = model.options_taken(values) > 0.5
            values = fill_unassigned(model, fill_capacity(model, cand, values, taken), taken)
        else:
            values = repaired
        # parcels the rounding left out although an option costs less than the penalty: re-planned with
        # the holders of the rows they need, 5 per row as a MIP, then ever wider
        if deadline - time.perf_counter() >= min(1.0, 0.1 * options.time_limit):
            values = place_left_out(model, cand, values, priced, options, max(1.0, deadline - time.perf_counter()),
                                    per_rows=params.left_out_widths)
        out = int(left_out(model, cand, values).sum())
        info["done"] = f"{out:,} parcel(s) left out" if repaired is not None else \
            ("time limit" if time.perf_counter() >= deadline else "no repaired plan found") + \
            f": left-over parcels took the capacity still free, {out:,} left out"
    # Lagrangian bound of the per-shipment model at the class-LP prices
    best = priced_best(model, cand, priced)
    bound = lagrangian_bound(model, cand, model_price, mu, priced, best)
    duals = np.zeros(model.n_rows)
    duals[model.res_row0:model.target_row0] = -model_price
    duals[model.target_row0:] = mu
    obj = float(model.cost @ values)
    details = ClassLPDetails(classes=int(n_cls), contested=int(cls.size.sum()), columns=int(n_col),
                             objective=float(lp.objective), warm=lp.warm)
    status = Status.TIME_LIMIT if time.perf_counter() >= deadline else Status.FEASIBLE
    solution = Solution(values=values, status=status, model_objective=obj, model_bound=min(bound, obj),
                        lp_objective=bound, duals=duals, strategy=Strategy.AGGREGATE,
                        bound_method="lagrangian at class-LP prices", lp_basis=lp.basis, class_lp=details)
    return _polish(model, cand, solution, Prices(model_price, mu, priced, best, bound), options, deadline, progress)


def _polish(model: Model, cand: Candidates, solution: Solution, prices: Prices, options: SolveOptions,
            deadline: float, progress: Progress) -> Solution:
    """While the plan misses the gap target: the shipments some option beats at the class-LP prices,
    re-optimised around it by pricing rounds (:func:`~routing.strategies.local.improve_locally`; at 100k
    0.2 s, 2.3e-4 -> 8e-5). Keeps the better plan and the better bound."""
    left = deadline - time.perf_counter()
    if within_gap(model, solution.values, solution.model_bound, options.gap) or left < MIN_SECONDS:
        return solution
    focus = improvable(model, cand, solution.values, prices.priced, prices.best)
    if not focus.any():
        return solution
    local = replace(options, time_limit=left, warm=replace(options.warm, gap=options.gap, local_max_share=1.0))
    polished = improve_locally(model, cand, solution.values, focus, prices, local, progress, label="polish")
    if polished.model_objective >= solution.model_objective and polished.model_bound <= solution.model_bound:
        return solution
    better = polished if polished.model_objective < solution.model_objective else solution
    bound_from = polished if polished.lp_objective > solution.lp_objective else solution
    obj = better.model_objective
    return replace(solution, values=better.values, model_objective=obj,
                   model_bound=min(max(solution.model_bound, polished.model_bound), obj),
                   lp_objective=bound_from.lp_objective, duals=bound_from.duals,
                   status=Status.TIME_LIMIT if time.perf_counter() >= deadline else solution.status,
                   bound_method="lagrangian at class-LP / re-optimised prices")


def _disaggregate(model: Model, cand: Candidates, cls: Classes, z: np.ndarray, col_of: np.ndarray,
                  cvar: np.ndarray, n_col: int) -> np.ndarray:
    """Hand each class's integral LP counts to its members; settled shipments take their variable."""
    values = np.zeros(model.n_cols)
    values[cls.settled_var[cls.settled_var >= 0]] = 1.0
    whole = np.floor(z + 1e-6).astype(np.int64)
    # per class: columns ordered by kg cost growth (flattest first), members heaviest first
    rank = np.zeros(n_col)
    rank[col_of] = _slot_rank(cand)[cvar]
    col_class = np.zeros(n_col, dtype=np.int64)
    col_class[col_of] = cls.of_ship[cand.var_ship[cvar]]
    order = by_group_then(col_class, rank)
    seq_col = np.repeat(order, whole[order])
    seq_class = col_class[seq_col]
    first = np.r_[0, np.flatnonzero(np.diff(seq_class)) + 1]
    pos = np.arange(len(seq_col)) - np.repeat(first, np.diff(np.r_[first, len(seq_col)]))
    members = np.flatnonzero(cls.of_ship >= 0)
    if not len(members):  # every shipment settled: nothing contested
        return values
    weight = cand.chargeable[members, 0]
    m_order = by_group_then(cls.of_ship[members], -weight)
    members = members[m_order]
    m_class = cls.of_ship[members]
    m_first = np.r_[0, np.flatnonzero(np.diff(m_class)) + 1]
    class_start = np.zeros(len(cls.size), dtype=np.int64)
    class_start[m_class[m_first]] = m_first
    ship = members[class_start[seq_class] + pos]
    # the variable of (ship, column)
    at = index_in(cand.var_ship[cvar] * (n_col + 1) + col_of, ship * (n_col + 1) + seq_col)
    values[cvar[at[at >= 0]]] = 1.0  # a member whose pruning dropped this option stays open for the repair
    return values



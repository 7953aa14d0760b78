"""Plan repairs shared by every strategy: re-optimising some columns with the rest of a plan held
(a restricted MIP, or the restricted LP then rounded), placing parcels a rounding left out, shedding
overfilled rows and completing a partial plan."""

from __future__ import annotations

import time

import numpy as np

from ..arrays import segment_argmin
from ..backends.mip import solve_mip
from ..backends.restricted_lp import RestrictedLP
from ..backends.status import NotSolved
from ..candidates.candidates import Candidates
from ..model import Model
from ..settings import SolveOptions, Status, Strategy
from .lagrangian import lagrangian_bound
from .neighbourhood import left_out, neighbours, ship_columns
from .solution import Solution


def restricted_mip(model: Model, base: np.ndarray, free: np.ndarray, options: SolveOptions,
                   time_limit: float, abs_gap: float | None = None, node_limit: int | None = None) -> np.ndarray | None:
    """Re-optimise the columns where ``free`` is True with every other column held at ``base`` (the
    MIP holds the free columns and the rows they touch, bounds shifted by the held activity; optimal
    within ``options.mip`` or ``abs_gap``, currency, or the best found in ``node_limit`` nodes)."""
    held = np.where(free, 0.0, base)
    A_free = model.A_csc[:, free].tocsr()
    rows = np.flatnonzero(np.diff(A_free.indptr) > 0)
    activity = model.A[rows] @ held  # the held plan's load on those rows only
    values = solve_mip(model.cost[free], model.col_ub[free], A_free[rows], model.row_lb[rows] - activity,
                       model.row_ub[rows] - activity, options, time_limit, abs_gap=abs_gap,
                       node_limit=node_limit).values
    if values is None:
        return None
    out = held.copy()
    out[free] = values
    return out


def restricted_lp_round(model: Model, values: np.ndarray, free: np.ndarray, options: SolveOptions,
                        time_limit: float) -> np.ndarray | None:
    """Round an LP solution ``values`` over the ``free`` columns (whole shipments; the others held at a
    plan): the shipments it assigns integrally keep that column, the fractional ones are re-optimised
    in a MIP (a small one)."""
    held, open_cols = settle_integral(model, values, np.flatnonzero(free[:model.n_x + model.n_u]))
    return restricted_mip(model, held, open_cols, options, time_limit)


def reoptimise(model: Model, plan: np.ndarray, free: np.ndarray, options: SolveOptions,
               time_limit: float) -> np.ndarray | None:
    """Re-optimise the ``free`` columns around ``plan`` (a feasible plan; every other column held): the
    LP in HiGHS started from the plan's basis (:class:`RestrictedLP`), then rounded
    (:func:`restricted_lp_round`). None if the LP or the rounding MIP finds nothing in time."""
    t = time.perf_counter()
    lp = RestrictedLP(model, plan, time_limit)
    lp.add(free)
    try:
        values = lp.solve().values
    except NotSolved:
        return None
    return restricted_lp_round(model, values, free, options, max(0.05, time_limit - (time.perf_counter() - t)))


def repair_left_out(model: Model, plan: np.ndarray, free: np.ndarray, options: SolveOptions,
                    time_limit: float) -> np.ndarray | None:
    """Re-plan the ``free`` columns (whole shipments) around ``plan`` for parcels a rounding left out.
    An LP there can place such a parcel only fractionally, and rounding it leaves the parcel out
    again; so a neighbourhood of at most ``options.repair.mip_columns`` option and unassigned columns
    is solved as a MIP outright, to within ``mip_gap_share`` of the unassigned penalty or the best of
    ``mip_nodes`` nodes (the same on any machine); a larger one, or one the MIP finds nothing better
    for, by :func:`reoptimise`. None if nothing is found in time."""
    params = options.repair
    if free[:model.n_x + model.n_u].sum() <= params.mip_columns:
        t = time.perf_counter()
        out = restricted_mip(model, plan, free, options, time_limit,
                             abs_gap=params.mip_gap_share * model.unassigned_penalty, node_limit=params.mip_nodes)
        if out is not None and model.cost @ out < model.cost @ plan - 1e-9:
            return out
        time_limit = max(0.5, time_limit - (time.perf_counter() - t))
    return reoptimise(model, plan, free, options, time_limit)


def settle_integral(model: Model, values: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round an LP solution over the x/u columns ``cols`` (whole shipments; the others hold a plan):
    shipments it assigns integrally keep that column (at 1). Returns (``values`` with ``cols`` so
    settled, the mask of the other, fractional shipments' columns plus every shortfall column — what
    a rounding MIP re-optimises)."""
    col_row = model.col_assign_row
    whole = values[cols] >= 1.0 - 1e-6
    settled = np.zeros(model.n_u, dtype=bool)
    settled[col_row[cols[whole]]] = True
    held = values.copy()
    held[cols] = whole
    open_cols = np.zeros(model.n_cols, dtype=bool)
    open_cols[cols[~settled[col_row[cols]]]] = True
    open_cols[model.n_x + model.n_u:] = True
    return held, open_cols


def place_left_out(model: Model, cand: Candidates, values: np.ndarray, priced: np.ndarray, options: SolveOptions,
                   time_limit: float, per_rows: tuple[int, ...]) -> np.ndarray:
    """``values`` with its left-out parcels (:func:`~routing.strategies.neighbourhood.left_out`) re-planned
    together with the holders of the tight rows they need, by :func:`repair_left_out`: first the
    ``per_rows[0]`` cheapest holders to move (at ``priced``) per row, then more while parcels stay out;
    each answer kept only if cheaper."""
    deadline = time.perf_counter() + time_limit
    for per_row in per_rows:
        stuck = left_out(model, cand, values)
        if not stuck.any() or time.perf_counter() >= deadline:
            break
        fix = ship_columns(model, cand, stuck)
        fix |= neighbours(model, cand, priced, values, fix, per_row=per_row, tight_only=True)
        again = repair_left_out(model, values, fix, options, max(0.5, deadline - time.perf_counter()))
        if again is not None and model.cost @ again < model.cost @ values - 1e-9:
            values = again
    return values


MIN_SECONDS = 0.1  # with less time than this, a strategy attempts no LP: the plan is built without one
PARK_SECONDS_PER_OPTION = 3e-7  # what :func:`parked_plan` takes (s per option; 0.5-0.8 s for 3.5M options)


def fallback_seconds(cand: Candidates) -> float:
    """Time to keep for building the solver-free plan (:func:`parked_plan`) should a solver fail, s."""
    return MIN_SECONDS + PARK_SECONDS_PER_OPTION * cand.n_vars


def park(model: Model, cand: Candidates, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The shipments of assignment ``rows`` (without an option in ``values``) take their cheapest
    option that uses no capacity row, where one is cheaper than leaving them out (a feasible start
    nearer the optimum); ``values`` is updated. Returns the rows so placed."""
    ships = model.u_ship[rows]
    if not len(ships):
        return rows
    idx, seg = cand.vars_of(ships)
    if not len(idx):
        return rows[:0]
    cost = np.where(model.uses_capacity[idx] | (cand.var_cost[idx] >= model.unassigned_penalty), np.inf,
                    cand.var_cost[idx])
    first = segment_argmin(cost, seg)  # each shipment's first option at its minimum
    values[idx[first]] = 1.0
    return model.col_assign_row[idx[first]]


def fill_capacity(model: Model, cand: Candidates, values: np.ndarray, taken: np.ndarray,
                  rounds: int = 50) -> np.ndarray:
    """Place the shipments still out (``taken`` False, per assignment row) on their cheapest option that
    fits the capacity ``values`` leaves, in rounds: each shipment picks such an option, the picks are
    granted in order of cost (lightest loads first) while every row they use still has room, and the
    others pick again (at most ``rounds`` times; vectorised: 0.5 s at 1M). ``values`` and ``taken`` are
    updated; stops when no pick is refused. Returns ``values``."""
    n_x = model.n_x
    A_csc = model.A_res_csc
    room = model.res_cap - model.A_res @ values[:n_x]
    for _ in range(rounds):
        ships = model.u_ship[~taken]
        idx, seg = cand.vars_of(ships)
        if not len(idx):
            break
        sub = A_csc[:, idx]
        over = sub.data > room[sub.indices] + 1e-9
        fits = np.bincount(np.repeat(np.arange(len(idx)), np.diff(sub.indptr))[over], minlength=len(idx)) == 0
        cost = np.where(fits & (cand.var_cost[idx] < model.unassigned_penalty), cand.var_cost[idx], np.inf)
        first = segment_argmin(cost, seg)
        if not len(first):
            break
        picks = idx[first[np.argsort(cost[first], kind="stable")]]
        # grant in pick order while each row's running load stays within its room (a refused pick's load
        # still counts on its other rows: the grant is cautious, never over a capacity)
        used = A_csc[:, picks]
        pick_of = np.repeat(np.arange(len(picks)), np.diff(used.indptr))
        order = np.lexsort((pick_of, used.indices))
        rows, load = used.indices[order], used.data[order]
        run = np.cumsum(load)
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        run -= np.repeat(run[starts] - load[starts], np.diff(np.r_[starts, len(rows)]))
        refused = np.zeros(len(picks), dtype=bool)
        refused[pick_of[order][run > room[rows] + 1e-9]] = True
        granted = picks[~refused]
        values[granted] = 1.0
        taken[model.col_assign_row[granted]] = True
        kept = ~refused[pick_of]
        room -= np.bincount(used.indices[kept], weights=used.data[kept], minlength=len(room))
        if not refused.any():
            break
    return values


def parked_plan(model: Model, cand: Candidates) -> np.ndarray:
    """A feasible plan without any solver: every shipment on its cheapest option that uses no capacity
    (where that beats the penalty), then the others on their cheapest option that still fits
    (:func:`fill_capacity`), the rest unassigned; shortfall follows."""
    values = np.zeros(model.n_cols)
    taken = np.zeros(model.n_u, dtype=bool)
    taken[park(model, cand, values, np.arange(model.n_u))] = True
    fill_capacity(model, cand, values, taken)
    return fill_unassigned(model, values, taken)


def degraded(model: Model, cand: Candidates, strategy: Strategy, status: Status, why: str,
             start: np.ndarray | None = None) -> Solution:
    """The solution of a strategy whose solver gave no answer (``why``): the solver-free plan
    (:func:`parked_plan`, within :func:`fallback_seconds`), or ``start`` (a feasible plan) if cheaper, with
    the Lagrangian bound at zero prices — valid whatever the capacities and targets, and on the plan's
    cost alone (no shortfall penalty in it) whatever the plan's shortfall."""
    values = parked_plan(model, cand)
    if start is not None and float(model.cost @ start) < float(model.cost @ values):
        values = start
    bound = lagrangian_bound(model, cand, np.zeros(len(model.res_keys)), np.zeros(len(model.target_markets)),
                             priced=cand.var_cost)  # zero prices: each option costs what it costs
    objective = float(model.cost @ values)
    return Solution(values=values, status=status, model_objective=objective, model_bound=min(bound, objective),
                    lp_objective=bound, duals=None, strategy=strategy,
                    bound_method=f"lagrangian at zero prices ({why})", plan_bound=bound)


def shed_overload(model: Model, values: np.ndarray) -> np.ndarray:
    """Unassign parcels from overfilled capacity rows (averaged kg, a shrunk capacity), heaviest first,
    until each fits; ``values`` is updated."""
    n_x = model.n_x
    A_res = model.A_res
    for _ in range(50):
        load = A_res @ values[:n_x]
        over = np.flatnonzero(load > model.res_cap + 1e-9)
        if not len(over):
            break
        for r in over.tolist():
            lo, hi = A_res.indptr[r], A_res.indptr[r + 1]
            cols, coef = A_res.indices[lo:hi], A_res.data[lo:hi]
            on = values[cols] > 0.5
            cols, coef = cols[on], coef[on]
            excess = load[r] - model.res_cap[r]
            drop = np.argsort(-coef, kind="stable")
            take = drop[: int(np.searchsorted(np.cumsum(coef[drop]), excess - 1e-9) + 1)]
            values[cols[take]] = 0.0
    return values


def fill_unassigned(model: Model, values: np.ndarray, taken: np.ndarray | None = None) -> np.ndarray:
    """Complete a partial plan: shipments without an option are unassigned (``taken``: per assignment
    row, whether it has one, if known); shortfall follows."""
    n_x, n_u = model.n_x, model.n_u
    if taken is None:
        taken = model.options_taken(values) > 0.5
    values[n_x:n_x + n_u] = (~taken).astype(float)
    on = model.A_target @ values[:n_x]
    values[n_x + n_u:] = np.maximum(0.0, model.target_need - on)
    return values

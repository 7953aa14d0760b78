"""Local re-optimisation around a plan, by pricing rounds: the shipments that some option beats at
the current row prices, and the holders of the tight rows they need, go into an LP started from the
plan's basis (:mod:`routing.backends.restricted_lp`); its duals re-price the held shipments and those
with a cheaper option join it, until the LP is within a gap of the best Lagrangian bound found or
none has; the LP is then rounded, and parcels the rounding leaves out are placed by a small MIP with
the holders of the rows they need. Used by the warm re-plan (the carried plan at the base's prices)
and by the aggregate strategy (its disaggregated plan at the class LP's prices)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..backends.restricted_lp import RestrictedLP, RestrictedSolution
from ..backends.status import NotSolved
from ..candidates.candidates import Candidates
from ..model import Model
from ..progress import Progress
from ..settings import SolveOptions, Status, Strategy
from .lagrangian import lagrangian_bound, priced_best, priced_choice, priced_costs
from .neighbourhood import neighbours, ship_columns
from .repair import place_left_out, restricted_lp_round
from .solution import LocalDetails, Solution, within_gap


@dataclass(frozen=True, eq=False)
class Prices:
    """Row prices and what they imply: per capacity row (currency per kg, parcel or unit) and per target
    row (currency per on-time parcel), every option's priced cost, each shipment's best at these prices,
    and the Lagrangian bound of the whole model there (None if not worked out)."""

    price: np.ndarray
    mu: np.ndarray
    priced: np.ndarray
    best: np.ndarray
    bound: float | None = None


def improvable(model: Model, cand: Candidates, values: np.ndarray, priced: np.ndarray,
                best: np.ndarray) -> np.ndarray:
    """Per shipment: an option (or leaving it unassigned) is cheaper at these prices (``best``,
    :func:`priced_best`) than its current column — a column with negative reduced cost, so the LP
    over the held plan is not optimal."""
    n_ships = len(best)
    cur = priced_choice(model, cand, values, priced, n_ships)
    u = model.u_ship
    out = np.zeros(n_ships, dtype=bool)
    out[u] = cur[u] > best[u] + 1e-3 + 1e-6 * np.abs(best[u])
    return out


def improve_locally(model: Model, cand: Candidates, start: np.ndarray, focus: np.ndarray, carried: Prices,
                    options: SolveOptions, progress: Progress, label: str = "warm") -> Solution:
    """Re-optimise the ``focus`` shipments around the plan ``start`` (a warm re-plan's carried plan,
    from :func:`~routing.strategies.warm.local_focus`, or the aggregate's), ``carried`` its prices;
    ``label`` names the step on the progress stream.

    Pricing rounds (``options.warm``): solve the LP over the free shipments (focus plus, on each capacity
    row they need more of than is free, the holders with the cheapest moves elsewhere: enough to free
    ``deficit`` times the shortfall, at most ``neighbours``) with the rest held; take its row duals as
    the new prices (:func:`lp_prices`); free every held shipment that some option now beats (a negative
    reduced cost); repeat until none does or the LP is within the gap (``warm.gap``, by default the run's target:
    at 100k a warm answer then lands within 1e-4 for 20-60% more time than at 1e-3) of the best
    Lagrangian bound so far (at the carried or the LP's prices), at most ``max_rounds`` times. The last
    LP is rounded (integral shipments kept, a small MIP for the rest); shipments the rounding leaves
    unassigned although an option costs less than the penalty are placed by
    :func:`~routing.strategies.repair.place_left_out` before the rounded plan is judged. The lower bound
    is the Lagrangian bound of the full model at the better of the carried and the final prices."""
    params = options.warm
    gap = options.gap if params.gap is None else params.gap
    deadline = time.perf_counter() + options.time_limit
    n_x, n_u = model.n_x, model.n_u
    n_ships = len(cand.unroutable_reason)
    price0, mu0, priced0 = carried.price, carried.mu, carried.priced
    priced, price, mu, bound_now = priced0, price0, mu0, -np.inf
    bound0 = carried.bound if carried.bound is not None else \
        lagrangian_bound(model, cand, price0, mu0, best=carried.best)  # valid whatever the LP does
    free = ship_columns(model, cand, focus)
    free |= neighbours(model, cand, priced, start, free, per_row=params.neighbours, tight_only=True,
                       deficit_factor=params.deficit)
    values, lp, rounds = start, None, 0
    with progress.phase("solve", f"{label}: {int(focus.sum()):,} shipments to re-optimise") as info:
        restricted = RestrictedLP(model, start, max(0.5, deadline - time.perf_counter()))
        restricted.add(free)
        while rounds < params.max_rounds and time.perf_counter() < deadline:
            try:
                lp = restricted.solve()
            except NotSolved:  # out of time (or numerically stuck): the last LP, or the carried plan, stands
                break
            rounds += 1
            now = lp_prices(model, cand, lp, price, mu, price0, mu0)
            price, mu, priced, best, bound_now = now.price, now.mu, now.priced, now.best, now.bound
            if within_gap(model, lp.values, max(bound_now, bound0), gap) or rounds == params.max_rounds:
                break  # the LP over the held plan is within ``gap`` of the full model's best bound so far
            held = ~np.zeros(n_ships, dtype=bool)
            held[model.u_ship[restricted.free[n_x:n_x + n_u]]] = False
            more = improvable(model, cand, start, priced, best) & held
            if not more.any() or restricted.free[:n_x + n_u].sum() > params.local_max_share * (n_x + n_u):
                break  # nothing left to price in, or the edit reaches too far for a local LP to pay off
            restricted.add(ship_columns(model, cand, more))
        free = restricted.free
        if lp is not None:
            again = restricted_lp_round(model, lp.values, free, options, max(0.5, deadline - time.perf_counter()))
            if again is not None and time.perf_counter() < deadline:
                # parcels the rounding left out, placed before the rounded plan is judged: holders to move
                # aside, cheapest first at the prices of the better bound (those reflect the whole model;
                # the last LP's duals only the free part's view of it); 2 holders per row first (a ~250-column
                # MIP, ~25 ms at 100k against 45-70 for 5, plans within a few units), wider while any stay out
                again = place_left_out(model, cand, again, priced0 if bound0 >= bound_now else priced, options,
                                       max(0.5, deadline - time.perf_counter()), per_rows=params.left_out_widths)
            if again is not None and model.cost @ again < model.cost @ values - 1e-9:
                values = again
        n_free = int(free[:n_x + n_u].sum())
        info["done"] = (f"{n_free:,} columns re-optimised, {rounds} pricing round(s), "
                        f"{float(model.cost @ start):,.2f} -> {float(model.cost @ values):,.2f}")
    bounds = [(bound0, price0, mu0), (bound_now, price, mu)]
    bound, p_best, mu_best = max(bounds, key=lambda b: b[0])
    obj = float(model.cost @ values)
    out_duals = np.zeros(model.n_rows)
    out_duals[model.res_row0:model.target_row0] = -p_best
    out_duals[model.target_row0:] = mu_best
    status = Status.TIME_LIMIT if time.perf_counter() >= deadline else Status.FEASIBLE
    return Solution(values=values, status=status, model_objective=obj, model_bound=min(bound, obj),
                    lp_objective=bound, duals=out_duals, strategy=Strategy.WARM_LOCAL,
                    bound_method="lagrangian at carried / re-optimised prices",
                    local=LocalDetails(reoptimised_columns=n_free, pricing_rounds=rounds))


def lp_prices(model: Model, cand: Candidates, lp: RestrictedSolution, price: np.ndarray, mu: np.ndarray,
              price0: np.ndarray, mu0: np.ndarray) -> Prices:
    """Row prices after a restricted LP: its duals on the rows it holds (the others keep ``price``, ``mu``),
    except on rows it leaves at their limit with dual 0: there the carried price (``price0``, ``mu0``).

    Such a dual is 0 only because the held plan leaves nothing on the row to move (a degenerate vertex),
    not because the row is loose in the full model: priced at 0, every held shipment that could use the
    row looks improvable and the Lagrangian bound drops (the EU de minimis edit at 100k: 1,099,947
    against 1,102,467). The prices come back with the Lagrangian bound at them."""
    values, duals = lp.values, lp.duals
    seen = ~np.isnan(duals)
    res = slice(model.res_row0, model.target_row0)
    p_lp = np.where(seen[res], np.maximum(0.0, -np.nan_to_num(duals[res])), price)
    m_lp = np.where(seen[model.target_row0:], np.maximum(0.0, np.nan_to_num(duals[model.target_row0:])), mu)
    at_cap = model.A_res @ values[:model.n_x] >= model.res_cap - 1e-6 * np.maximum(1.0, model.res_cap)
    at_need = model.A_target @ values[:model.n_x] <= model.target_need + 1e-6
    price = np.where(at_cap & (p_lp <= 1e-9), price0, p_lp)
    mu = np.where(at_need & (m_lp <= 1e-9), mu0, m_lp)
    priced = priced_costs(model, cand, price, mu)
    best = priced_best(model, cand, priced)
    return Prices(price, mu, priced, best, lagrangian_bound(model, cand, price, mu, best=best))

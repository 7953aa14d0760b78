"""Options priced at row prices (currency per kg, parcel, unit of stock, on-time parcel): each option's
Lagrangian cost, each shipment's best and current, and the Lagrangian lower bound of the whole model
— valid for any prices, so every strategy can prove a bound from the prices it has."""

from __future__ import annotations

import numpy as np

from ..candidates.candidates import Candidates
from ..model import Model


def priced_costs(model: Model, cand: Candidates, price: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """c_so + π·a_so − μ·on_so per variable: its cost at the given row prices."""
    return cand.var_cost + model.A_res.T @ price - model.A_target.T @ mu


def priced_choice(model: Model, cand: Candidates, values: np.ndarray, priced: np.ndarray, n_ships: int,
                   with_unassigned: bool = True) -> np.ndarray:
    """Per shipment: the priced cost of its column in ``values`` (the penalty when unassigned and
    ``with_unassigned``; inf without a column)."""
    n_x, n_u = model.n_x, model.n_u
    cur = np.full(n_ships, np.inf)
    chosen = np.flatnonzero(values[:n_x] > 0.5)
    cur[cand.var_ship[chosen]] = priced[chosen]
    if with_unassigned:
        cur[model.u_ship[values[n_x:n_x + n_u] > 0.5]] = model.unassigned_penalty
    return cur


def priced_best(model: Model, cand: Candidates, priced: np.ndarray) -> np.ndarray:
    """Per shipment: its cheapest option at these prices, or the penalty if leaving it out is cheaper (and
    allowed: a committed shipment's unassigned column is bounded at 0)."""
    best = ship_min(priced, cand)
    may_leave = model.col_ub[model.n_x:model.n_x + model.n_u] > 0
    ships = model.u_ship[may_leave]
    best[ships] = np.minimum(best[ships], model.unassigned_penalty)
    return best


def ship_min(values: np.ndarray, cand: Candidates) -> np.ndarray:
    """Per shipment, the least of its variables' ``values`` (inf without any)."""
    out = np.full(len(cand.unroutable_reason), np.inf)
    np.minimum.at(out, cand.var_ship, values)  # unbuffered: ~4x faster than reduceat over the segments
    return out


def lagrangian_bound(model: Model, cand: Candidates, price: np.ndarray, mu: np.ndarray,
                     priced: np.ndarray | None = None, best: np.ndarray | None = None) -> float:
    """L(π, μ) = Σ_s min(penalty, min_o c_so + π·a_so − μ·on_so) − π·cap + μ·need + Σ min(0, M − μ)·need;
    ``priced`` (:func:`priced_costs`) and ``best`` (:func:`priced_best`) at these prices if at hand."""
    if best is None:
        if priced is None:
            priced = priced_costs(model, cand, price, mu)
        best = priced_best(model, cand, priced)
    need = model.target_need.astype(float)
    return float(best[model.u_ship].sum() - price @ model.res_cap + mu @ need
                 + np.minimum(0.0, model.shortfall_penalty - mu) @ need)

"""Which columns a repair frees: whole shipments (their option and unassigned columns), and the
holders of the capacity rows they need, chosen by the cheapest move elsewhere at given prices."""

from __future__ import annotations

import numpy as np

from ..arrays import by_group_then, segment_min
from ..candidates.candidates import Candidates
from ..model import Model


def neighbours(model: Model, cand: Candidates, priced: np.ndarray, values: np.ndarray, free: np.ndarray,
               per_row: int, tight_only: bool = False, deficit_factor: float = 0.0) -> np.ndarray:
    """Columns of the assigned shipments that could make room on the rows the open shipments need:
    on each such row, the ``per_row`` parcels with the cheapest move elsewhere (at current prices).
    ``tight_only``: only rows whose slack (held plan) is less than what the open options there need together.
    ``deficit_factor`` > 0 (with ``tight_only``): on each row, only as many parcels as would free
    ``deficit_factor`` times the row's shortfall of slack (at least one), at most ``per_row``."""
    n_x, n_u = model.n_x, model.n_u
    out = np.zeros(model.n_cols, dtype=bool)
    open_vars = np.flatnonzero(free[:n_x] & (cand.var_cost < model.unassigned_penalty))
    if not len(open_vars) or per_row <= 0:
        return out
    A_res = model.A_res
    row_open, coef_open = model.res_entries(open_vars)
    rows = np.unique(row_open)
    if tight_only and len(rows):
        need = np.bincount(row_open, weights=coef_open, minlength=A_res.shape[0])
        held = np.where(free[:n_x], 0.0, values[:n_x])
        slack = model.res_cap - A_res @ held
        rows = rows[slack[rows] < need[rows] - 1e-9]
    if not len(rows):
        return out
    limit = np.full(len(rows), per_row)
    n_ships = len(cand.unroutable_reason)
    # the chosen columns on each row and their shipments' cheapest move elsewhere (to another option
    # or unassigned), cheapest first (ties: column order); the first per_row of each
    sub = A_res[rows]
    row_of = np.repeat(np.arange(len(rows)), np.diff(sub.indptr))
    on = values[sub.indices] > 0.5
    row_of, col, coef = row_of[on], sub.indices[on], sub.data[on]
    holder = cand.var_ship[col]
    alt = np.minimum(_alternative(cand, priced, values, holder), model.unassigned_penalty)
    move = alt[holder] - priced[col]
    order = by_group_then(row_of, move)
    row_of, col, coef = row_of[order], col[order], coef[order]
    first = np.searchsorted(row_of, np.arange(len(rows)))
    rank = np.arange(len(row_of)) - first[row_of]
    if tight_only and deficit_factor > 0 and len(row_of):
        # parcels taken in move order until their load covers the factor times the row's deficit
        load = np.cumsum(coef)
        before = load - coef - np.r_[0.0, load][first][row_of]
        deficit = deficit_factor * (need[rows] - slack[rows])
        limit = np.minimum(limit, np.bincount(row_of, weights=before < deficit[row_of], minlength=len(rows)))
    ships = np.zeros(n_ships, dtype=bool)
    ships[cand.var_ship[col[rank < limit[row_of]]]] = True
    out[:n_x] = ships[cand.var_ship]
    out[n_x:n_x + n_u] = ships[model.u_ship]
    return out


def ship_columns(model: Model, cand: Candidates, ships: np.ndarray) -> np.ndarray:
    """Mask of the x and u columns of ``ships`` (a per-shipment mask) plus every shortfall column."""
    free = np.zeros(model.n_cols, dtype=bool)
    free[:model.n_x] = ships[cand.var_ship]
    free[model.n_x:model.n_x + model.n_u] = ships[model.u_ship]
    free[model.n_x + model.n_u:] = True
    return free


def left_out(model: Model, cand: Candidates, values: np.ndarray) -> np.ndarray:
    """Per shipment: unassigned in ``values`` although one of its options costs less than the penalty."""
    n_x, n_u = model.n_x, model.n_u
    out = np.zeros(len(cand.unroutable_reason), dtype=bool)
    ships = model.u_ship[values[n_x:n_x + n_u] > 0.5]
    if len(ships):
        idx, seg = cand.vars_of(ships)
        out[ships] = segment_min(cand.var_cost[idx], seg) < model.unassigned_penalty
    return out


def _alternative(cand: Candidates, priced: np.ndarray, values: np.ndarray, ships: np.ndarray) -> np.ndarray:
    """Per shipment (all of them): for ``ships`` (repeats allowed), its cheapest priced option not
    taken in ``values`` (inf if it has no other); inf for the others."""
    mine = np.zeros(len(cand.unroutable_reason), dtype=bool)
    mine[ships] = True
    idx = np.flatnonzero(mine[cand.var_ship])
    out = np.full(len(mine), np.inf)
    np.minimum.at(out, cand.var_ship[idx], np.where(values[idx] < 0.5, priced[idx], np.inf))
    return out

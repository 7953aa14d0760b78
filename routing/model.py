"""The optimisation model as sparse arrays (scipy CSR/CSC), which every backend takes in one call.

Columns: one per candidate (shipment, option) ``x``, one ``u`` per routable shipment (left
unassigned at ``unassigned_penalty``), one ``s`` per market target (parcels short of the target, at a
penalty large enough that shortfall is minimised first). Rows: each routable shipment takes exactly
one of its options or ``u``; every capacitated lane departure (chargeable kg), node-day (parcels)
and stocked (bonded node, sku) (units) stays within its limit; each market's on-time count plus its
shortfall reaches ``ceil(target × shipments)``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .arrays import concat_ranges
from .candidates.candidates import Candidates
from .candidates.keys import RES_LANE, RES_NODE, RES_STOCK, factorize_keys, unpack_key
from .data.network import Network
from .data.shipments import Inventory, Shipments
from .errors import InputError, InternalError


@dataclass(frozen=True, eq=False)
class Model:
    """Minimise ``cost @ v`` subject to ``row_lb <= A @ v <= row_ub``, ``0 <= v <= col_ub``."""

    cost: np.ndarray
    col_ub: np.ndarray
    A: sp.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    n_x: int
    u_ship: np.ndarray  # shipment of each u column
    target_markets: np.ndarray  # market node index of each s column / target row
    target_need: np.ndarray  # on-time parcels needed per target row
    target_shipments: np.ndarray  # non-unroutable shipments per target market
    col_assign_row: np.ndarray  # assignment row of each x and u column
    res_keys: np.ndarray  # packed key of each resource row
    res_cap: np.ndarray
    shortfall_penalty: float
    unassigned_penalty: float
    res_booked: np.ndarray | None = None  # per capacity row, what committed shipments take of it (None: none)

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    @property
    def n_u(self) -> int:
        return len(self.u_ship)

    @property
    def res_row0(self) -> int:
        return self.n_u

    @property
    def target_row0(self) -> int:
        return self.n_u + len(self.res_keys)

    @property
    def res_limit(self) -> np.ndarray:
        """Per capacity row, its limit as the inputs give it: ``res_cap`` plus what committed shipments take."""
        return self.res_cap if self.res_booked is None else self.res_cap + self.res_booked

    def res_load(self, values: np.ndarray) -> np.ndarray:
        """Per capacity row, what the plan ``values`` takes of it, committed shipments included."""
        load = self.A_res @ values[:self.n_x]
        return load if self.res_booked is None else load + self.res_booked

    @cached_property
    def A_csc(self) -> sp.csc_matrix:
        """``A`` by columns (for picking column subsets)."""
        return self.A.tocsc()

    def options_taken(self, values: np.ndarray) -> np.ndarray:
        """Per assignment row (routable shipment): the sum of its option (x) columns in ``values``."""
        return np.bincount(self.col_assign_row[:self.n_x], weights=values[:self.n_x], minlength=self.n_u)

    @cached_property
    def A_res(self) -> sp.csr_matrix:
        """Capacity rows × option columns: kg, parcels or units each option takes of each row."""
        return self.A[self.res_row0:self.target_row0, :self.n_x].tocsr()

    @cached_property
    def A_res_csc(self) -> sp.csc_matrix:
        """``A_res`` by columns (an option's capacity entries together)."""
        return self.A_res.tocsc()

    def shortfall_cost(self, values: np.ndarray) -> float:
        """The shortfall penalties in ``cost @ values`` (currency): a plan's cost is the rest."""
        return self.shortfall_penalty * float(values[self.n_x + self.n_u:].sum())

    def res_entries(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Capacity-row entries of option columns ``cols``: (capacity row index, coefficient) each."""
        csc = self.A_csc
        lo, hi = csc.indptr[cols], csc.indptr[cols + 1]
        count = hi - lo
        pos = concat_ranges(lo, count)
        rows = csc.indices[pos]
        res = (rows >= self.res_row0) & (rows < self.target_row0)
        return rows[res] - self.res_row0, csc.data[pos][res]

    @cached_property
    def uses_capacity(self) -> np.ndarray:
        """Per option column: whether it takes any capacity row."""
        return np.bincount(self.A_res.indices, minlength=self.n_x) > 0

    @cached_property
    def A_target(self) -> sp.csr_matrix:
        """Target rows × option columns: 1 where an option delivers on time in a target market."""
        return self.A[self.target_row0:, :self.n_x].tocsr()


def resource_capacity(network: Network, inventory: Inventory | None, sku_names: list[str] | None,
                      keys: np.ndarray) -> np.ndarray:
    """The limit of each capacity row ``keys``: kg per lane departure, parcels per node-day, units of stock."""
    kind, ident, value = unpack_key(keys)
    cap = np.empty(len(keys))
    for r, (k, i, v) in enumerate(zip(kind.tolist(), ident.tolist(), value.tolist(), strict=True)):
        if k == RES_LANE:
            cap[r] = network.lanes[i].capacity_kg_per_departure
        elif k == RES_NODE:
            cap[r] = network.nodes[i].capacity_parcels_per_day
        elif k == RES_STOCK:
            if inventory is None or sku_names is None:
                raise InternalError("a stock row in a plan without an inventory")
            cap[r] = inventory.stocked(i, sku_names[v])
    return cap


def left_for_plan(cap: np.ndarray, booked: np.ndarray | None, keys: np.ndarray, network: Network,
                  sku_names: list[str] | None, source: str | None, epoch: dt.date | None = None) -> np.ndarray:
    """The limits ``cap`` of capacity rows ``keys`` less what committed shipments take (``booked``); an
    :class:`InputError` (naming ``source``) where they take more than the limit (days counted from ``epoch``)."""
    if booked is None:
        return cap
    left = cap - booked
    over = np.flatnonzero(left < -1e-9 * np.maximum(1.0, cap))
    if len(over):
        r = int(over[0])
        kind, ident, value = (int(a[0]) for a in unpack_key(keys[r:r + 1]))
        day = str(epoch + dt.timedelta(days=value)) if epoch is not None else f"day {value}"
        if kind == RES_LANE:
            what = f"{booked[r]:g} chargeable kg of lane {network.lanes[ident].id} departing {day}"
        elif kind == RES_NODE:
            what = f"{booked[r]:g} parcels of node {network.nodes[ident].id} on {day}"
        else:
            what = f"{booked[r]:g} units of sku {sku_names[value] if sku_names else value} at {network.nodes[ident].id}"
        raise InputError(source or "committed", None, f"the committed legs take {what}, more than its limit "
                                                      f"{cap[r]:g} (keep those legs out of the file, or give the "
                                                      "limit they were booked under)")
    return np.maximum(left, 0.0)


def _targets(network: Network, shipments: Shipments, routable: np.ndarray) -> tuple[list, list, list]:
    """Markets with an on-time need: (market node, parcels needed on time, routable shipments)."""
    targets = [(i, n.on_time_target) for i, n in enumerate(network.nodes)
               if n.kind == "market" and n.on_time_target is not None]
    counts = np.bincount(shipments.destination[routable], minlength=len(network.nodes))
    t_market, t_need, t_ships = [], [], []
    for m, target in targets:
        need = math.ceil(target * counts[m] - 1e-9)
        if need > 0:
            t_market.append(m)
            t_need.append(need)
            t_ships.append(int(counts[m]))
    return t_market, t_need, t_ships


def with_new_limits(model: Model, network: Network, shipments: Shipments, inventory: Inventory | None) -> Model | None:
    """``model`` (built on the same candidates and shipments) with the capacities, stock and on-time
    needs of ``network`` / ``inventory``: same columns and matrix, new row bounds. None when the
    markets with an on-time need differ (the rows themselves would)."""
    t_market, t_need, t_ships = _targets(network, shipments, model.u_ship)
    if t_market != model.target_markets.tolist():
        return None
    sku_names = shipments.sku_names.to_pylist() if inventory is not None else None
    res_cap = left_for_plan(resource_capacity(network, inventory, sku_names, model.res_keys), model.res_booked,
                            model.res_keys, network, sku_names, None)
    need = np.asarray(t_need, dtype=float)
    out = replace(model, res_cap=res_cap, target_need=np.asarray(t_need, dtype=np.int64),
                  target_shipments=np.asarray(t_ships, dtype=np.int64),
                  row_lb=np.concatenate([model.row_lb[:model.target_row0], need]),
                  row_ub=np.concatenate([model.row_ub[:model.res_row0], res_cap, model.row_ub[model.target_row0:]]),
                  col_ub=np.concatenate([model.col_ub[:model.n_x + model.n_u], need]))
    for cached in ("A_csc", "A_res", "A_target"):  # the matrix is the same: so are its views
        if cached in model.__dict__:
            out.__dict__[cached] = model.__dict__[cached]
    return out


def build_model(network: Network, shipments: Shipments, inventory: Inventory | None, cand: Candidates,
                unassigned_penalty: float, shortfall_penalty: float | None = None) -> Model:
    """Assemble the sparse model of the candidates."""
    routable = np.flatnonzero(cand.routable)
    n_x, n_u = cand.n_vars, len(routable)
    ship_row = np.full(len(shipments), -1, dtype=np.int64)
    ship_row[routable] = np.arange(n_u)

    booked = cand.booked_key is not None and len(cand.booked_key) > 0
    if booked:  # the rows committed shipments take are rows too, whether or not an option takes them
        res_keys, rows = factorize_keys(np.concatenate([cand.inc_key, cand.booked_key]))
        res_row = rows[:len(cand.inc_key)]
        res_booked = np.bincount(rows[len(cand.inc_key):], weights=cand.booked_coef, minlength=len(res_keys))
    else:
        res_keys, res_row = factorize_keys(cand.inc_key)
        res_booked = None
    n_res = len(res_keys)
    sku_names = shipments.sku_names.to_pylist() if inventory is not None else None
    source = cand.booked.committed_source if cand.booked is not None else None
    res_cap = left_for_plan(resource_capacity(network, inventory, sku_names, res_keys), res_booked, res_keys,
                            network, sku_names, source, cand.epoch)

    t_market, t_need, t_ships = _targets(network, shipments, routable)
    n_t = len(t_market)
    max_cost = float(cand.var_cost.max()) if n_x else 0.0
    if shortfall_penalty is None:
        shortfall_penalty = 100.0 * max(unassigned_penalty, max_cost, 1.0)
    market_row = np.full(len(network.nodes), -1, dtype=np.int64)
    market_row[t_market] = np.arange(n_t)
    target_row = market_row[shipments.destination[cand.var_ship]]
    on = cand.var_ontime & (target_row >= 0)
    var_row = ship_row[cand.var_ship]
    A_csc = _columns(var_row, cand.inc_var, res_row, cand.inc_coef, np.where(on, target_row, -1),
                     n_u, n_res, n_t)
    A = A_csc.tocsr()
    row_lb = np.concatenate([np.ones(n_u), np.full(len(res_keys), -np.inf), np.asarray(t_need, float)])
    row_ub = np.concatenate([np.ones(n_u), res_cap, np.full(n_t, np.inf)])
    cost = np.concatenate([cand.var_cost, np.full(n_u, unassigned_penalty), np.full(n_t, shortfall_penalty)])
    col_ub = np.concatenate([np.ones(n_x + n_u), np.asarray(t_need, float)])
    if cand.booked is not None:  # a committed shipment is never left out
        col_ub[n_x:n_x + n_u][cand.booked.is_committed[routable]] = 0.0
    model = Model(
        cost=cost, col_ub=col_ub, A=A, row_lb=row_lb, row_ub=row_ub, n_x=n_x, u_ship=routable,
        col_assign_row=np.concatenate([var_row, np.arange(n_u)]),
        target_markets=np.asarray(t_market, dtype=np.int64), target_need=np.asarray(t_need, dtype=np.int64),
        target_shipments=np.asarray(t_ships, dtype=np.int64), res_keys=res_keys, res_cap=res_cap,
        shortfall_penalty=shortfall_penalty, unassigned_penalty=unassigned_penalty, res_booked=res_booked,
    )
    model.__dict__["A_csc"] = A_csc  # built by columns: the row-wise copy is the conversion
    return model


def _columns(var_row: np.ndarray, inc_var: np.ndarray, inc_row: np.ndarray, inc_coef: np.ndarray,
             var_target: np.ndarray, n_u: int, n_res: int, n_t: int) -> sp.csc_matrix:
    """The constraint matrix by columns: each option column holds its assignment row ``var_row``,
    its capacity rows (``inc_*``: option, capacity row, coefficient) and its target row (``var_target``,
    -1 for none); then the ``n_u`` unassigned and ``n_t`` shortfall columns. Rows ascend in every column."""
    n_x = len(var_row)
    n_rows, n_cols = n_u + n_res + n_t, n_x + n_u + n_t
    on = var_target >= 0
    inc_count = np.bincount(inc_var, minlength=n_x)
    count = np.concatenate([1 + inc_count + on, np.ones(n_u + n_t, dtype=np.int64)])
    indptr = np.r_[0, np.cumsum(count)]
    nnz = int(indptr[-1])
    itype = np.int32 if max(nnz, n_rows, n_cols) < 2**31 - 1 else np.int64
    indices = np.empty(nnz, dtype=itype)
    data = np.ones(nnz)
    indices[indptr[:n_x]] = var_row
    order = np.argsort(inc_var * max(n_res, 1) + inc_row, kind="stable")  # by option, then row
    iv, ir = inc_var[order], inc_row[order]
    pos = indptr[iv] + 1 + np.arange(len(iv)) - (np.cumsum(inc_count) - inc_count)[iv]
    indices[pos] = n_u + ir
    data[pos] = inc_coef[order]
    indices[indptr[1:n_x + 1][on] - 1] = n_u + n_res + var_target[on]
    indices[indptr[n_x:n_cols]] = np.r_[np.arange(n_u), n_u + n_res + np.arange(n_t)]
    A = sp.csc_matrix((data, indices, indptr.astype(itype)), shape=(n_rows, n_cols))
    if len(iv) > 1 and ((iv[1:] == iv[:-1]) & (ir[1:] == ir[:-1])).any():
        A.sum_duplicates()  # an option taking one row twice: one entry, coefficients summed
    else:
        A.has_canonical_format = True
    return A

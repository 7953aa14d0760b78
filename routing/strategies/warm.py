"""Warm re-plan, the solve side: a previous plan (:class:`WarmStart`) carried onto the model of edited
inputs and improved locally. The candidates of the edited inputs come from
:mod:`routing.candidates.reuse`; :func:`solve_warm` chooses between the ways below.

1. **Start.** The base plan's choices carried onto the new model (by shipment id, route and
   departures), overfilled capacity rows shed, shipments left without an option parked on their
   cheapest capacity-free one, shortfall recomputed: a feasible plan (:func:`carry_plan`).
2. **Optimise.** Small models run the exact strategy with the start as an incumbent, so the warm
   optimum is the cold optimum. Large ones re-optimise locally (:func:`improve_locally`): the
   shipments whose carried choice is gone or no longer cheapest at the base plan's shadow prices
   (prices of rows whose capacity grew are dropped), those on a row whose capacity grew, those
   that can best meet an on-time target the carried plan now misses (or whose need fell), and the
   holders of the tight rows they need go into an LP started from the carried plan's basis
   (:mod:`routing.backends.restricted_lp`); its duals re-price the held shipments and those with a
   cheaper option join it, until the LP is within a small gap of the best Lagrangian bound found (the
   carried prices' bound counts) or none has; the LP is then rounded, and a parcel the rounding leaves
   out is placed by a small MIP with the holders of the rows it needs before the rounded plan is
   compared with the carried one. Everything else keeps its base choice. The lower bound is the
   Lagrangian bound of the full model at the better of the carried and the re-optimised prices.
   Edits that reach too far (many new shipments, a quarter of them to re-optimise, a weak local
   answer) run the aggregate strategy on the reused options instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..arrays import index_by_content, index_in, new_of_base, segment_min
from ..candidates.candidates import Candidates
from ..candidates.reuse import Reuse
from ..data.bookings import Bookings
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..model import Model
from ..progress import Progress
from ..settings import PlanSettings, SolveOptions, Strategy, WarmParams
from .aggregate import solve_aggregate
from .exact import solve_exact
from .lagrangian import priced_best, priced_choice, priced_costs
from .local import Prices, improve_locally
from .repair import fill_unassigned, park, shed_overload
from .solution import Solution


@dataclass(frozen=True)
class WarmReport:
    """What a warm re-plan reused (summary key ``warm``): how the option table was got (``table``:
    reused, re-priced, extended or rebuilt and why), how many shipments were priced again and how many
    kept their base options; ``local_gap`` and ``fallback`` when a weak local answer was re-planned
    broadly too."""

    table: str
    repriced: int
    kept: int
    local_gap: float | None = None
    fallback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"table": self.table, "repriced": self.repriced, "kept": self.kept}
        if self.fallback is not None:
            out.update(local_gap=self.local_gap, fallback=self.fallback)
        return out


@dataclass(frozen=True, eq=False)
class WarmStart:
    """What a what-if re-plan reuses of a plan: the inputs, settings and options it was made with, its
    candidates, model and solution, and the plan's gap as reported (a
    :class:`~routing.report.result.Result` carries it as ``warm_start``)."""

    network: Network
    shipments: Shipments
    inventory: Inventory | None
    settings: PlanSettings
    options: SolveOptions
    candidates: Candidates
    model: Model
    solution: Solution
    gap: float  # (objective - lower bound) / max(1, |objective|) of the plan, shortfall penalties left out
    bookings: Bookings | None = None  # the committed legs and previous plan it kept to


def solve_warm(base: WarmStart, network: Network, shipments: Shipments, inventory: Inventory | None,
               cand: Candidates, model: Model, reuse: Reuse, strategy: Strategy, options: SolveOptions,
               progress: Progress) -> tuple[Solution, WarmReport]:
    """Re-plan edited inputs (``cand``, ``model``: built from the base's, :mod:`routing.candidates.reuse`)
    from the base plan; ``strategy`` is ``exact`` or ``aggregate``.

    The exact strategy takes the carried plan as its first incumbent. Otherwise the shipments the
    edit touches are re-optimised locally while they are at most ``options.warm.local_max_share`` of
    all (and the edit adds at most ``new_max_share`` new ones); a local answer whose gap exceeds
    max(``fallback_gap``, ``fallback_factor`` × the base plan's gap) is planned by the aggregate strategy
    too, and the cheaper kept. Broader edits run the aggregate strategy, its class LP started from the
    base's basis. Returns the solution and what was reused."""
    params = options.warm
    report = WarmReport(reuse.table, reuse.repriced, reuse.kept)
    carry = strategy == Strategy.EXACT or (reuse.base_of < 0).sum() <= params.new_max_share * len(shipments)
    start, moved = carry_plan(base, cand, model, reuse) if carry else (None, None)
    if strategy == Strategy.EXACT:
        return solve_exact(model, cand, options, progress, start=start), report
    if start is not None:
        focus, carried = local_focus(base, model, cand, start, reuse.base_of, moved, params)
        if focus.sum() <= params.local_max_share * max(1, len(shipments)):
            solution = improve_locally(model, cand, start, focus, carried, options, progress)
            # a local answer far weaker than the base plan was (a target the neighbourhood could not
            # meet, an edit that reached further than it looked): plan the reused options broadly too
            local_gap = solution.gap
            if local_gap > max(params.fallback_gap, params.fallback_factor * base.gap):
                wide = solve_aggregate(network, shipments, inventory, cand, model, options, progress,
                                       start=base.solution.lp_basis)
                if wide.model_objective < solution.model_objective:
                    solution = wide
                report = replace(report, local_gap=local_gap, fallback=str(Strategy.AGGREGATE))
            return solution, report
    return solve_aggregate(network, shipments, inventory, cand, model, options, progress,
                           start=base.solution.lp_basis), report


def carry_plan(base: WarmStart, cand: Candidates, model: Model, reuse: Reuse) -> tuple[np.ndarray, np.ndarray]:
    """The base plan on the new model: each shipment keeps its base route and departures where that
    option still exists; overfilled capacity rows are shed (heaviest first); the rest is unassigned.

    Returns (column values, per shipment: its base choice is gone or costs something else now)."""
    bc = base.candidates
    chosen = np.flatnonzero(base.solution.values[:base.model.n_x] > 0.5)
    values = np.zeros(model.n_cols)
    moved = np.zeros(len(cand.unroutable_reason), dtype=bool)
    ship = new_of_base(reuse.base_of, len(base.shipments))[bc.var_ship[chosen]]
    moved[ship[ship >= 0]] = True
    # a kept option is where the build put it; the others are looked up by shipment, route and departures
    direct = reuse.var_map[chosen] if reuse.var_map is not None else np.full(len(chosen), -1)
    found = [direct[direct >= 0]]
    rest = (direct < 0) & (ship >= 0)
    if rest.any():
        ship, route, sched = ship[rest], bc.var_route[chosen[rest]], bc.var_sched[chosen[rest]]
        mine = np.zeros(len(moved), dtype=bool)
        mine[ship] = True
        cv = np.flatnonzero(mine[cand.var_ship])  # the variables of those shipments
        cand_sched = cand.var_sched[cv]
        if reuse.renumber is not None:  # an extended table holds the base's own schedule objects
            route, sched = reuse.renumber[0][route], reuse.renumber[1][sched]
        elif cand.routes is not bc.routes:  # a rebuilt table: by content, equal schedules of different routes made one
            route = index_by_content(bc.routes, cand.routes)[route]
            sched = index_by_content(bc.schedules, cand.schedules)[sched]
            cand_sched = index_by_content(cand.schedules, cand.schedules)[cand_sched]
        ok = (route >= 0) & (sched >= 0)
        R, S = len(cand.routes) + 1, len(cand.schedules) + 1
        at = index_in((cand.var_ship[cv] * R + cand.var_route[cv]) * S + cand_sched,
                      (ship[ok] * R + route[ok]) * S + sched[ok])
        found.append(cv[at[at >= 0]])
    new_var = np.concatenate(found)
    values[new_var] = 1.0
    moved[cand.var_ship[new_var]] = False
    values = shed_overload(model, values)
    taken = model.options_taken(values) > 0.5
    moved[model.u_ship[~taken]] = True
    taken[park(model, cand, values, np.flatnonzero(~taken))] = True
    return fill_unassigned(model, values, taken), moved


def _base_rows(base: WarmStart, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Per capacity row of ``model``: the base model's row with the same key (0 if none), and whether there is one."""
    at = index_in(base.model.res_keys, model.res_keys)
    return np.maximum(at, 0), at >= 0


def carried_prices(base: WarmStart, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The base plan's shadow prices on the new model's rows: (capacity rows, target rows), ≥ 0.

    Rows new to the model and rows whose capacity grew get price 0 (their old price overstates)."""
    bm, duals = base.model, base.solution.duals
    price = np.zeros(len(model.res_keys))
    mu = np.zeros(len(model.target_markets))
    if duals is None:
        return price, mu
    old_price = np.maximum(0.0, -duals[bm.res_row0:bm.target_row0])
    pos, found = _base_rows(base, model)
    hit = found & (model.res_cap <= bm.res_cap[pos] + 1e-9) if len(bm.res_keys) else found
    price[hit] = old_price[pos[hit]]
    old_mu = dict(zip(bm.target_markets.tolist(), np.maximum(0.0, duals[bm.target_row0:]).tolist(), strict=True))
    mu[:] = [old_mu.get(m, 0.0) for m in model.target_markets.tolist()]
    return price, mu


def grown_rows(base: WarmStart, model: Model) -> np.ndarray:
    """Capacity rows of ``model`` that are new or whose capacity grew."""
    pos, found = _base_rows(base, model)
    if not found.any():
        return ~found
    return ~found | (model.res_cap > base.model.res_cap[pos] + 1e-9)


def local_focus(base: WarmStart, model: Model, cand: Candidates, start: np.ndarray, base_of: np.ndarray,
                moved: np.ndarray, params: WarmParams) -> tuple[np.ndarray, Prices]:
    """Shipments a local re-optimisation must look at: new ones, those whose carried choice is gone,
    costs something else now (``moved``) or is no longer the cheapest at the carried prices, those on
    a row whose capacity grew (or that is new), and for a market whose on-time need changed, the
    shipments that can switch between late and on time most cheaply (:func:`target_flips`).

    Returns (focus per shipment, the carried prices)."""
    n_ships = len(cand.unroutable_reason)
    price, mu = carried_prices(base, model)
    priced = priced_costs(model, cand, price, mu)
    cur = priced_choice(model, cand, start, priced, n_ships)
    best = priced_best(model, cand, priced)
    focus = np.zeros(n_ships, dtype=bool)
    u = model.u_ship
    focus[u] = (cur[u] > best[u] + 1e-7 * np.maximum(1.0, np.abs(best[u]))) | (base_of[u] < 0) | moved[u]
    # a row that grew invites its holders' neighbours in; from one that shrank, the carried plan
    # already shed the excess (those parcels are moved) and pricing frees whoever else should go
    rows = np.flatnonzero(grown_rows(base, model))
    if len(rows):
        on_rows = np.unique(model.A_res[rows].indices)
        focus[cand.var_ship[on_rows[start[on_rows] > 0.5]]] = True
    focus |= target_flips(base, model, cand, start, priced, n_ships, params.target_extra)
    return focus, Prices(price, mu, priced, best)


def target_flips(base: WarmStart, model: Model, cand: Candidates, start: np.ndarray, priced: np.ndarray,
                 n_ships: int, extra: int) -> np.ndarray:
    """Per target market the carried plan leaves d parcels short of its on-time need (a raised target,
    a tightened promise), or whose need fell by d: the 2d + ``extra`` shipments that switch most
    cheaply (at the carried prices) between late and on time in the needed direction."""
    n_x = model.n_x
    out = np.zeros(n_ships, dtype=bool)
    if not len(model.target_markets):
        return out
    chosen = np.flatnonzero(start[:n_x] > 0.5)
    on_now = np.zeros(n_ships, dtype=bool)
    on_now[cand.var_ship[chosen[cand.var_ontime[chosen]]]] = True
    on_count = np.bincount(cand.destination[on_now], minlength=int(model.target_markets.max()) + 1)
    bm = base.model
    old_need = dict(zip(bm.target_markets.tolist(), bm.target_need.tolist(), strict=True))
    change = {}
    for m, need in zip(model.target_markets.tolist(), model.target_need.tolist(), strict=True):
        short, fell = need - int(on_count[m]), need - old_need.get(m, 0)
        if short > 0 or fell < 0:
            change[m] = short if short > 0 else fell
    if not change:
        return out
    cur = priced_choice(model, cand, start, priced, n_ships, with_unassigned=False)
    has = cand.ship_vars > 0
    for m, d in change.items():
        # more on-time parcels needed: late ones that can turn on time; fewer: on-time ones that can turn late
        ships = np.flatnonzero((cand.destination == m) & (~on_now if d > 0 else on_now) & has)
        idx, seg = cand.vars_of(ships)
        turn = cand.var_ontime[idx] if d > 0 else ~cand.var_ontime[idx]
        best = segment_min(np.where(turn, priced[idx], np.inf), seg)
        able = np.isfinite(best)
        ships, step = ships[able], best[able] - cur[ships[able]]
        out[ships[np.argsort(step, kind="stable")[: 2 * abs(d) + extra]]] = True
    return out



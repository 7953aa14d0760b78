"""What a strategy returns: the model's column values and what the solver proved about them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..backends.component_lp import LPBasis
from ..candidates.candidates import Candidates
from ..model import Model
from ..settings import Status, Strategy, proven_within


@dataclass(frozen=True)
class ClassLPDetails:
    """The aggregate strategy's class LP: classes, contested shipments in them, LP columns, its objective
    (currency), and whether it started from a kept basis."""

    classes: int
    contested: int
    columns: int
    objective: float
    warm: bool


@dataclass(frozen=True)
class LocalDetails:
    """A local warm re-plan: columns re-optimised and LP pricing rounds."""

    reoptimised_columns: int
    pricing_rounds: int


@dataclass(frozen=True, eq=False)
class Solution:
    """Column values of a solved model plus what the solver proved.

    ``model_objective`` is ``cost @ values`` (currency, shortfall penalties included) and ``model_bound``
    a proven lower bound on it; ``lp_objective`` is the LP or Lagrangian bound it came from. ``duals``
    are the row prices of that bound (d objective / d right-hand side: ≤ 0 on a binding capacity row,
    ≥ 0 on a binding target row). ``lp_basis`` is the aggregate strategy's class-LP basis, a start for
    a warm re-plan. ``plan_bound``, where known, bounds the plan's cost without shortfall penalties
    over every plan whatever its shortfall (the Lagrangian at zero prices), currency.
    """

    values: np.ndarray
    status: Status
    model_objective: float
    model_bound: float
    lp_objective: float | None
    duals: np.ndarray | None
    strategy: Strategy
    bound_method: str = "LP relaxation / MIP bound"
    lp_basis: LPBasis | None = None
    class_lp: ClassLPDetails | None = None
    local: LocalDetails | None = None
    plan_bound: float | None = None

    @property
    def gap(self) -> float:
        """Relative distance of the model objective to its bound."""
        return (self.model_objective - self.model_bound) / max(1.0, abs(self.model_objective))


def within_gap(model: Model, values: np.ndarray, bound: float, gap: float) -> bool:
    """Whether the plan ``values`` is proven within the relative ``gap`` of ``bound`` (a bound on the model's
    objective), measured as the summary measures it: against the plan's cost without its shortfall
    penalties (with a numerical tolerance, so that ``gap`` 0 accepts a proof up to the solvers' own)."""
    objective = float(model.cost @ values)
    plan_cost = objective - model.shortfall_cost(values)
    return proven_within(objective, bound, plan_cost, gap)


def empty_solution(n_rows: int, strategy: Strategy) -> Solution:
    """The solution of a model without columns (nothing to plan)."""
    return Solution(values=np.zeros(0), status=Status.OPTIMAL, model_objective=0.0, model_bound=0.0,
                    lp_objective=0.0, duals=np.zeros(n_rows), strategy=strategy)


def with_committed(model: Model, cand: Candidates, solution: Solution) -> tuple[Solution, int]:
    """``solution`` with every committed shipment on its committed option (its only one, which takes no
    capacity row: committed use is off the limits already) and how many a strategy's heuristic had left
    out. The model forbids leaving them out; this holds it whatever path a strategy took."""
    if cand.booked is None or not len(solution.values):
        return solution, 0
    ships = np.flatnonzero(cand.booked.is_committed & cand.routable)
    var = cand.ship_first[ships]
    off = np.flatnonzero(solution.values[var] < 0.5)
    if not len(off):
        return solution, 0
    values = solution.values.copy()
    values[var[off]] = 1.0
    values[model.n_x + np.cumsum(cand.routable)[ships[off]] - 1] = 0.0  # u columns: one per routable shipment
    on = model.A_target @ values[:model.n_x]  # their on-time parcels count: the shortfall is what is left
    values[model.n_x + model.n_u:] = np.maximum(0.0, model.target_need - on)
    objective = float(model.cost @ values)
    return replace(solution, values=values, model_objective=objective,
                   model_bound=min(solution.model_bound, objective)), len(off)


def previous_plan(model: Model, cand: Candidates) -> np.ndarray | None:
    """The previous plan as column values of ``model`` (committed shipments on their options, the others
    on their previous option where they have it, else unassigned; shortfall where targets are missed), or
    None when that plan does not fit tonight's limits or changes cost nothing: a start that changes nothing."""
    booked = cand.booked
    if booked is None or not booked.prices_changes:
        return None  # (without a penalty the previous plan is no better a start than any)
    k = cand.var_slot % cand.table.K
    ships = cand.var_ship
    take = booked.has_previous[ships] & (k == booked.previous[ships])
    take |= booked.is_committed[ships]
    values = np.zeros(model.n_cols)
    values[np.flatnonzero(take)] = 1.0
    taken = model.options_taken(values) > 0.5
    values[model.n_x:model.n_x + model.n_u] = ~taken
    on = model.A_target @ values[:model.n_x]
    values[model.n_x + model.n_u:] = np.maximum(0.0, model.target_need - on)
    activity = model.A @ values
    tol = 1e-9 * np.maximum(1.0, np.abs(model.row_ub))
    fits = np.all(activity >= model.row_lb - tol) & np.all(activity <= model.row_ub + tol) & \
        np.all(values <= model.col_ub + 1e-9)
    return values if fits else None

"""What a strategy returns: the model's column values and what the solver proved about them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backends.component_lp import LPBasis
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

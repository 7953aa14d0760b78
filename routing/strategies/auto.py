"""Strategy ``auto``: the aggregate strategy first (fast at every size, and within the gap target from
~100k shipments on); while its plan misses the target, the exact strategy started from that plan, which
it keeps unless it finds a better one — if the exact LP is expected to fit in half the run's time limit.
The expectation is the model's nonzeros times the exact LP's measured rate on the benchmark network
(10k: 82k nonzeros in 0.5-0.7 s, 30k: 1.7 s, 100k: 6-11 s for 820k; taken 2x higher), so that the
choice depends on the inputs and the time limit, never on how loaded the machine is."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..candidates.candidates import Candidates
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..model import Model
from ..progress import Progress
from ..settings import SolveOptions
from .aggregate import solve_aggregate
from .exact import solve_exact
from .repair import MIN_SECONDS
from .solution import Solution, within_gap

EXACT_LP_SECONDS_PER_NONZERO = 2e-5  # the exact LP's expected time per model nonzero (s)
EXACT_LP_SHARE = 0.5  # the exact strategy runs if its LP is expected to take at most this share of the limit


def solve_auto(network: Network, shipments: Shipments, inventory: Inventory | None, cand: Candidates,
               model: Model, options: SolveOptions, progress: Progress, limit: float | None = None,
               start: np.ndarray | None = None) -> Solution:
    """Plan ``model`` to ``options.gap`` by the fastest way that reaches it (see the module's description);
    ``options.time_limit`` is the time this solve has, ``limit`` the run's whole time limit (s), which the
    choice is made against (default: the solve's); ``start``: a feasible plan (the previous one) that the
    aggregate's plan must beat to be kept."""
    deadline = time.perf_counter() + options.time_limit
    first = solve_aggregate(network, shipments, inventory, cand, model, options, progress)
    if start is not None and float(model.cost @ start) < first.model_objective:
        cost = float(model.cost @ start)
        first = replace(first, values=start, model_objective=cost, model_bound=min(first.model_bound, cost))
    if within_gap(model, first.values, first.model_bound, options.gap):
        return first
    estimate = EXACT_LP_SECONDS_PER_NONZERO * model.A.nnz
    budget = EXACT_LP_SHARE * (options.time_limit if limit is None else limit)
    left = deadline - time.perf_counter()
    if estimate > budget or left < MIN_SECONDS:
        progress.say(f"solve: gap {first.gap:.2e} misses the target {options.gap:g}; the exact LP (~{estimate:.1f}s "
                     f"expected) does not fit in half the time limit: the aggregate plan stands" if left >= MIN_SECONDS
                     else "solve: no time left for the exact strategy: the aggregate plan stands")
        return first
    progress.say(f"solve: gap {first.gap:.2e} misses the target {options.gap:g}: exact from the aggregate plan")
    # the aggregate's plan starts the exact strategy, which returns nothing dearer
    second = solve_exact(model, cand, replace(options, time_limit=left), progress, start=first.values)
    bound = min(max(first.model_bound, second.model_bound), second.model_objective)
    method = second.bound_method if second.model_bound >= first.model_bound else first.bound_method
    # the class LP's basis stays with the plan: a what-if re-plan that falls back to the aggregate restarts from it
    return replace(second, model_bound=bound, bound_method=method, lp_basis=first.lp_basis)

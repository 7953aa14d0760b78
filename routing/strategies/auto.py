"""Strategy ``auto``: the aggregate strategy first (fast at every size, and within the gap target from
~100k shipments on), then — while its plan misses the target and the exact LP is expected to fit in
the time left — the exact strategy started from that plan, which it keeps unless it finds a better
one. The estimate is measured on the model at hand: the class LP's seconds per column, scaled to the
per-shipment model's columns."""

from __future__ import annotations

import time
from dataclasses import replace

from ..candidates.candidates import Candidates
from ..data.network import Network
from ..data.shipments import Inventory, Shipments
from ..model import Model
from ..progress import Progress
from ..settings import SolveOptions
from .aggregate import solve_aggregate
from .exact import solve_exact
from .solution import Solution, within_gap

EXACT_LP_ALLOWANCE = 4.0  # the exact LP may take at most this many times the class LP's rate per column...
EXACT_LP_SHARE = 0.5  # ...and, so estimated, at most this share of the time left


def solve_auto(network: Network, shipments: Shipments, inventory: Inventory | None, cand: Candidates,
               model: Model, options: SolveOptions, progress: Progress) -> Solution:
    """Plan ``model`` to ``options.gap`` by the fastest way that reaches it (see the module's description)."""
    deadline = time.perf_counter() + options.time_limit
    first = solve_aggregate(network, shipments, inventory, cand, model, options, progress)
    left = deadline - time.perf_counter()
    if within_gap(model, first.values, first.model_bound, options.gap) or first.class_lp is None:
        return first
    per_column = first.class_lp.seconds / max(1, first.class_lp.columns)
    estimate = EXACT_LP_ALLOWANCE * per_column * model.n_cols
    if estimate > EXACT_LP_SHARE * left:
        progress.say(f"solve: gap {first.gap:.2e} misses the target {options.gap:.0e}; the exact LP "
                     f"(~{estimate:.1f}s) does not fit in the {left:.1f}s left: the aggregate plan stands")
        return first
    progress.say(f"solve: gap {first.gap:.2e} misses the target {options.gap:.0e}: exact from the aggregate plan")
    second = solve_exact(model, cand, replace(options, time_limit=left), progress, start=first.values)
    if second.model_objective > first.model_objective + 1e-9:  # never lose the incumbent
        second = replace(second, values=first.values, model_objective=first.model_objective)
    if first.model_bound > second.model_bound:
        second = replace(second, model_bound=min(first.model_bound, second.model_objective))
    return second
